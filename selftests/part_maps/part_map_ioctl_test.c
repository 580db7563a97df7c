// SPDX-License-Identifier: GPL-2.0
/*
 * The module's part-map ioctls, on each kind of source: device DAX, a file
 * on an fsdax filesystem (MAP_SYNC) and a file on a non-DAX filesystem.
 * Run through selftests/part_maps/with_sources, which prepares the sources.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../lib/guest_util.h"
#include "kpmem_device.h"

#define MiB (1UL << 20)
/* A unit every source kind accepts: device DAX here is 2 MiB aligned. */
#define UNIT (2 * MiB)

enum source_kind { FILE_SOURCE, FSDAX_SOURCE, DEVDAX_SOURCE };

static int open_source(struct __test_metadata *_metadata, enum source_kind kind)
{
	const char *dir = getenv(kind == FILE_SOURCE ? "KPMEM_TEST_FILE_DIR" : "KPMEM_TEST_FSDAX_DIR");
	char path[256];
	int fd;

	if (kind == DEVDAX_SOURCE) {
		const char *dev = getenv("KPMEM_TEST_DEVDAX");

		if (!dev)
			return -1;
		return open(dev, O_RDWR);
	}
	if (!dir)
		return -1;
	snprintf(path, sizeof(path), "%s/part.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static int set_create(void)
{
	struct kpmem_set_create req = { 0 };
	int dev = open(KPMEM_DEVICE_PATH, O_RDWR | O_CLOEXEC), set;

	if (dev < 0)
		return -1;
	set = ioctl(dev, KPMEM_IOC_SET_CREATE, &req);
	close(dev);
	return set;
}

static int part_add(int set, struct kpmem_part_add *req)
{
	return ioctl(set, KPMEM_SET_IOC_PART_ADD, req) ? -errno : 0;
}

static struct kpmem_part_add add_req(int fd, uint64_t offset, uint64_t length)
{
	struct kpmem_part_add req = {
		.source_fd = fd, .placement = KPMEM_PLACE_ANYWHERE,
		.offset = offset, .length = length,
	};
	return req;
}

static int part_remove(int set, uint64_t addr, uint64_t len, struct kpmem_part_remove *out)
{
	struct kpmem_part_remove req = { .addr = addr, .length = len };
	int ret = ioctl(set, KPMEM_SET_IOC_PART_REMOVE, &req) ? -errno : 0;

	if (out)
		*out = req;
	return ret;
}

static int pmap_lookup(int set, uint64_t addr, uint32_t flags, struct kpmem_pmap_info *info)
{
	memset(info, 0, sizeof(*info));
	info->addr = addr;
	info->flags = flags;
	return ioctl(set, KPMEM_SET_IOC_PMAP_LOOKUP, info) ? -errno : 0;
}

static int is_mapped(void *addr)
{
	return msync(addr, 4096, MS_ASYNC) == 0;
}

FIXTURE(part) {
	int set;
	int fd;
};

FIXTURE_VARIANT(part) {
	enum source_kind kind;
	uint32_t granularity;
	uint64_t alignment;
};

FIXTURE_VARIANT_ADD(part, file) {
	.kind = FILE_SOURCE, .granularity = KPMEM_GRANULARITY_PAGE, .alignment = 4096,
};

FIXTURE_VARIANT_ADD(part, fsdax) {
	.kind = FSDAX_SOURCE, .granularity = KPMEM_GRANULARITY_CACHE_LINE, .alignment = 4096,
};

FIXTURE_VARIANT_ADD(part, devdax) {
	.kind = DEVDAX_SOURCE, .granularity = KPMEM_GRANULARITY_CACHE_LINE, .alignment = UNIT,
};

FIXTURE_SETUP(part)
{
	self->set = set_create();
	ASSERT_LE(0, self->set) TH_LOG("set create: %s", strerror(errno));
	self->fd = open_source(_metadata, variant->kind);
	ASSERT_LE(0, self->fd) TH_LOG("no source: run me through with_sources (%s)", strerror(errno));
	if (variant->kind != DEVDAX_SOURCE)
		ASSERT_EQ(0, ftruncate(self->fd, 16 * MiB));
}

FIXTURE_TEARDOWN(part)
{
	close(self->fd);
	close(self->set);
}

TEST_F(part, add_maps_source_with_its_kind_and_granularity)
{
	struct kpmem_part_add req = add_req(self->fd, UNIT, UNIT);
	uint8_t *own, *part;

	ASSERT_EQ(0, part_add(self->set, &req));
	ASSERT_NE(0ULL, req.addr);
	ASSERT_EQ(variant->granularity, req.granularity);
	ASSERT_EQ((uint32_t)(variant->kind == DEVDAX_SOURCE ? KPMEM_SOURCE_DEVDAX :
			     variant->kind == FSDAX_SOURCE ? KPMEM_SOURCE_FSDAX : KPMEM_SOURCE_FILE),
		  req.source_kind);
	ASSERT_EQ(variant->alignment, req.alignment);
	ASSERT_NE(0ULL, req.pmap_id);

	/* What is stored through the part is in the source at that offset. */
	part = (uint8_t *)(uintptr_t)req.addr;
	for (size_t i = 0; i < UNIT; i += 4096)
		part[i] = (uint8_t)(i / 4096 + 7);
	own = mmap(NULL, 2 * UNIT, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, own);
	for (size_t i = 0; i < UNIT; i += 4096)
		ASSERT_EQ((uint8_t)(i / 4096 + 7), own[UNIT + i]);
	munmap(own, 2 * UNIT);
}

TEST_F(part, lookup_finds_part_map_from_any_address_inside)
{
	struct kpmem_part_add req = add_req(self->fd, 0, UNIT);
	struct kpmem_pmap_info info;

	ASSERT_EQ(0, part_add(self->set, &req));
	ASSERT_EQ(0, pmap_lookup(self->set, req.addr + UNIT - 1, 0, &info));
	ASSERT_EQ(req.addr, info.addr);
	ASSERT_EQ((uint64_t)UNIT, info.length);
	ASSERT_EQ(req.pmap_id, info.pmap_id);
	ASSERT_EQ(1U, info.nparts);
	ASSERT_EQ(0U, info.state);
	ASSERT_EQ(-ENOENT, pmap_lookup(self->set, req.addr + UNIT, 0, &info));
	ASSERT_EQ(-ENOENT, pmap_lookup(self->set, req.addr - 1, 0, &info));
}

TEST_F(part, next_lookup_iterates_part_maps_in_address_order)
{
	uint64_t addrs[4], prev = 0;
	struct kpmem_pmap_info info;
	int n = 0;

	for (int i = 0; i < 4; i++) {
		struct kpmem_part_add req = add_req(self->fd, (uint64_t)i * UNIT, UNIT);

		ASSERT_EQ(0, part_add(self->set, &req));
		addrs[i] = req.addr;
	}
	for (uint64_t at = 0; pmap_lookup(self->set, at, KPMEM_LOOKUP_NEXT, &info) == 0;
	     at = info.addr + info.length) {
		ASSERT_LT(prev, info.addr + 1);
		prev = info.addr;
		n++;
		ASSERT_LE(n, 4);
	}
	ASSERT_EQ(4, n);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, pmap_lookup(self->set, addrs[i], 0, &info));
}

/* Three coalesced parts at a free spot found by reserving it first. */
static uint64_t add_three_coalesced(struct __test_metadata *_metadata, int set, int fd,
				    uint64_t *pmap_id)
{
	void *spot = mmap(NULL, 3 * UNIT + UNIT, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t base;

	EXPECT_NE(MAP_FAILED, spot);
	base = ((uintptr_t)spot + UNIT - 1) & ~(UNIT - 1);
	munmap(spot, 4 * UNIT);
	for (int i = 0; i < 3; i++) {
		struct kpmem_part_add req = add_req(fd, (uint64_t)i * UNIT, UNIT);

		req.placement = KPMEM_PLACE_FIXED;
		req.addr = base + (uint64_t)i * UNIT;
		req.pmap_id = i ? *pmap_id : 0;
		EXPECT_EQ(0, part_add(set, &req));
		*pmap_id = req.pmap_id;
	}
	return base;
}

TEST_F(part, extending_part_map_coalesces_parts)
{
	struct kpmem_pmap_info info;
	struct kpmem_part_add b;
	uint64_t id, base;

	base = add_three_coalesced(_metadata, self->set, self->fd, &id);
	ASSERT_EQ(0, pmap_lookup(self->set, base + 2 * UNIT + 5, 0, &info));
	ASSERT_EQ(base, info.addr);
	ASSERT_EQ(id, info.pmap_id);
	ASSERT_EQ((uint64_t)3 * UNIT, info.length);
	ASSERT_EQ(3U, info.nparts);

	/* Extending a part map anywhere but at its end is refused. */
	b = add_req(self->fd, 0, UNIT);
	b.placement = KPMEM_PLACE_FIXED;
	b.addr = base + 5 * UNIT;
	b.pmap_id = id;
	ASSERT_EQ(-ENOENT, part_add(self->set, &b));
	b.pmap_id = id + 1000;
	b.addr = base + 3 * UNIT;
	ASSERT_EQ(-ENOENT, part_add(self->set, &b));
}

TEST_F(part, removing_middle_part_splits_part_map)
{
	struct kpmem_part_remove rm;
	struct kpmem_pmap_info info;
	uint64_t id, base;

	base = add_three_coalesced(_metadata, self->set, self->fd, &id);
	ASSERT_EQ(0, pmap_lookup(self->set, base, 0, &info));
	ASSERT_EQ(3U, info.nparts);

	/* One byte of the middle part removes it whole. */
	ASSERT_EQ(0, part_remove(self->set, base + UNIT + 100, 1, &rm));
	ASSERT_EQ(1U, rm.removed);
	ASSERT_EQ(0U, rm.stale);
	ASSERT_FALSE(is_mapped((void *)(uintptr_t)(base + UNIT)));

	ASSERT_EQ(0, pmap_lookup(self->set, base, 0, &info));
	ASSERT_EQ(id, info.pmap_id);
	ASSERT_EQ((uint64_t)UNIT, info.length);
	ASSERT_EQ(0, pmap_lookup(self->set, base + 2 * UNIT, 0, &info));
	ASSERT_NE(id, info.pmap_id);
	ASSERT_EQ(base + 2 * UNIT, info.addr);
	ASSERT_EQ(1U, info.nparts);
	ASSERT_EQ(-ENOENT, pmap_lookup(self->set, base + UNIT, 0, &info));
}

TEST_F(part, live_counts_follow_sets_parts_and_part_maps)
{
	long sets = kpmem_live("sets", 0);
	long parts = kpmem_live("parts", 0), pmaps = kpmem_live("part_maps", 0);
	struct kpmem_part_remove rm;
	uint64_t id, base;
	int other;

	/* The fixture's set is open: nothing else of ours is. */
	ASSERT_LE(1, sets);
	ASSERT_EQ(0, parts);
	ASSERT_EQ(0, pmaps);
	base = add_three_coalesced(_metadata, self->set, self->fd, &id);
	EXPECT_EQ(3, kpmem_live("parts", 0));
	EXPECT_EQ(1, kpmem_live("part_maps", 0));
	/* Removing the middle part leaves two part maps of one part each. */
	ASSERT_EQ(0, part_remove(self->set, base + UNIT, UNIT, &rm));
	EXPECT_EQ(2, kpmem_live("parts", 0));
	EXPECT_EQ(2, kpmem_live("part_maps", 0));

	other = set_create();
	ASSERT_LE(0, other);
	EXPECT_EQ(sets + 1, kpmem_live("sets", 0));
	close(other);
	EXPECT_EQ(sets, kpmem_live("sets", 0));
	/* Closing the set forgets its parts (their mappings stay the user's). */
	close(self->set);
	self->set = set_create();
	ASSERT_LE(0, self->set);
	EXPECT_EQ(0, kpmem_live("parts", 0));
	EXPECT_EQ(0, kpmem_live("part_maps", 0));
	EXPECT_EQ(sets, kpmem_live("sets", 0));
	munmap((void *)(uintptr_t)base, 3 * UNIT);
}

TEST_F(part, remove_of_range_without_parts_is_enoent)
{
	struct kpmem_part_add req = add_req(self->fd, 0, UNIT);

	ASSERT_EQ(0, part_add(self->set, &req));
	ASSERT_EQ(-ENOENT, part_remove(self->set, req.addr + UNIT, UNIT, NULL));
	ASSERT_EQ(-EINVAL, part_remove(self->set, req.addr, 0, NULL));
	ASSERT_EQ(-EOVERFLOW, part_remove(self->set, ~0ULL - 10, 100, NULL));
	ASSERT_TRUE(is_mapped((void *)(uintptr_t)req.addr));
}

TEST_F(part, remove_unmaps_every_intersected_part)
{
	struct kpmem_part_remove rm;
	uint64_t id, base;

	base = add_three_coalesced(_metadata, self->set, self->fd, &id);
	ASSERT_EQ(0, part_remove(self->set, base, 3 * UNIT, &rm));
	ASSERT_EQ(3U, rm.removed);
	for (int i = 0; i < 3; i++)
		ASSERT_FALSE(is_mapped((void *)(uintptr_t)(base + (uint64_t)i * UNIT)));
}

TEST_F(part, misaligned_or_overflowing_requests_are_refused)
{
	struct kpmem_part_add req;

	req = add_req(self->fd, variant->alignment / 2, UNIT);
	ASSERT_EQ(-EINVAL, part_add(self->set, &req));
	req = add_req(self->fd, 0, variant->alignment + variant->alignment / 2);
	ASSERT_EQ(-EINVAL, part_add(self->set, &req));
	req = add_req(self->fd, 0, UNIT);
	req.placement = KPMEM_PLACE_FIXED;
	req.addr = 0x7f0000000000ULL + variant->alignment / 2;
	ASSERT_EQ(-EINVAL, part_add(self->set, &req));
	req = add_req(self->fd, ~0ULL & ~(UNIT - 1), UNIT);
	ASSERT_EQ(-EOVERFLOW, part_add(self->set, &req));
}

TEST_F(part, bad_flags_placement_and_reserved_fields_are_einval)
{
	struct kpmem_part_add req;

	req = add_req(self->fd, 0, UNIT);
	req.flags = 1U << 31;
	ASSERT_EQ(-EINVAL, part_add(self->set, &req));
	req = add_req(self->fd, 0, UNIT);
	req.placement = 77;
	ASSERT_EQ(-EINVAL, part_add(self->set, &req));
	req = add_req(self->fd, 0, UNIT);
	req.reserved[1] = 1;
	ASSERT_EQ(-EINVAL, part_add(self->set, &req));
	req = add_req(self->fd, 0, UNIT);
	req.pmap_id = 1;	/* extending needs FIXED or RESERVED */
	ASSERT_EQ(-EINVAL, part_add(self->set, &req));
	req = add_req(self->fd, 0, UNIT);
	req.placement = KPMEM_PLACE_FIXED;	/* without an address */
	ASSERT_EQ(-EINVAL, part_add(self->set, &req));
}

TEST_F(part, wrong_sources_get_clear_errors)
{
	struct kpmem_part_add req = add_req(-1, 0, UNIT);
	int ro, null, sock[2];
	char path[64];

	ASSERT_EQ(-EBADF, part_add(self->set, &req));

	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->fd);
	ro = open(path, O_RDONLY);
	ASSERT_LE(0, ro);
	req = add_req(ro, 0, UNIT);
	ASSERT_EQ(-EACCES, part_add(self->set, &req));
	close(ro);

	null = open("/dev/null", O_RDWR);
	req = add_req(null, 0, UNIT);
	ASSERT_EQ(-ENODEV, part_add(self->set, &req));
	close(null);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sock));
	req = add_req(sock[0], 0, UNIT);
	ASSERT_EQ(-ENODEV, part_add(self->set, &req));
	close(sock[0]);
	close(sock[1]);

	req = add_req(self->set, 0, UNIT);	/* a set is no source */
	ASSERT_EQ(-ENODEV, part_add(self->set, &req));
}

TEST_F(part, range_past_source_end_grows_files_only)
{
	struct kpmem_part_add req;
	struct stat st;

	if (variant->kind == DEVDAX_SOURCE) {
		req = add_req(self->fd, 0, 0);	/* 0: the whole device */
		ASSERT_EQ(0, part_add(self->set, &req));
		req = add_req(self->fd, req.length, UNIT);
		ASSERT_EQ(-ERANGE, part_add(self->set, &req));
		return;
	}
	req = add_req(self->fd, 16 * MiB, UNIT);
	req.flags = KPMEM_PART_DO_NOT_GROW;
	ASSERT_EQ(-ERANGE, part_add(self->set, &req));
	ASSERT_EQ(0, fstat(self->fd, &st));
	ASSERT_EQ((off_t)(16 * MiB), st.st_size);

	req = add_req(self->fd, 16 * MiB, UNIT);
	ASSERT_EQ(0, part_add(self->set, &req));
	ASSERT_EQ((uint64_t)(16 * MiB + UNIT), req.source_size);
	ASSERT_EQ(0, fstat(self->fd, &st));
	ASSERT_EQ((off_t)(16 * MiB + UNIT), st.st_size);
	memset((void *)(uintptr_t)req.addr, 0x5a, UNIT);

	/* Length 0 maps to the end of the source. */
	req = add_req(self->fd, 4 * MiB, 0);
	ASSERT_EQ(0, part_add(self->set, &req));
	ASSERT_EQ((uint64_t)(12 * MiB + UNIT), req.length);
}

TEST_F(part, fixed_placement_refuses_occupied_range)
{
	struct kpmem_part_add a = add_req(self->fd, 0, UNIT), b;

	ASSERT_EQ(0, part_add(self->set, &a));
	b = add_req(self->fd, UNIT, UNIT);
	b.placement = KPMEM_PLACE_FIXED;
	b.addr = a.addr;
	ASSERT_EQ(-EEXIST, part_add(self->set, &b));
	ASSERT_TRUE(is_mapped((void *)(uintptr_t)a.addr));
}

TEST_F(part, part_in_reservation_gives_the_range_back_on_removal)
{
	size_t len = 4 * UNIT;
	uint8_t *rsv = mmap(NULL, len + UNIT, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kpmem_part_add req;
	uint64_t base;
	void *again;

	ASSERT_NE(MAP_FAILED, rsv);
	base = ((uintptr_t)rsv + UNIT - 1) & ~(UNIT - 1);

	req = add_req(self->fd, 0, UNIT);
	req.placement = KPMEM_PLACE_RESERVED;
	req.addr = base + UNIT;
	ASSERT_EQ(0, part_add(self->set, &req));
	ASSERT_EQ(base + UNIT, req.addr);
	*(volatile uint8_t *)(uintptr_t)req.addr = 1;

	/* A second part cannot go where the first one is: not a reservation. */
	req = add_req(self->fd, UNIT, UNIT);
	req.placement = KPMEM_PLACE_RESERVED;
	req.addr = base + UNIT;
	ASSERT_EQ(-EEXIST, part_add(self->set, &req));

	ASSERT_EQ(0, part_remove(self->set, base + UNIT, UNIT, NULL));
	/* The reservation is whole again: FIXED_NOREPLACE cannot take it. */
	ASSERT_TRUE(is_mapped((void *)(uintptr_t)(base + UNIT)));
	again = mmap((void *)(uintptr_t)(base + UNIT), 4096, PROT_READ,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(MAP_FAILED, again);
	ASSERT_EQ(EEXIST, errno);
	munmap(rsv, len + UNIT);
}

TEST_F(part, part_unmapped_behind_the_back_is_stale_and_only_forgotten)
{
	struct kpmem_part_add req = add_req(self->fd, 0, UNIT);
	struct kpmem_pmap_info info;
	struct kpmem_part_remove rm;
	void *anon;

	ASSERT_EQ(0, part_add(self->set, &req));
	ASSERT_EQ(0, munmap((void *)(uintptr_t)req.addr, UNIT));
	anon = mmap((void *)(uintptr_t)req.addr, UNIT, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((void *)(uintptr_t)req.addr, anon);

	ASSERT_EQ(0, pmap_lookup(self->set, req.addr, 0, &info));
	ASSERT_EQ((uint32_t)KPMEM_PMAP_STALE, info.state);

	ASSERT_EQ(0, part_remove(self->set, req.addr, UNIT, &rm));
	ASSERT_EQ(1U, rm.removed);
	ASSERT_EQ(1U, rm.stale);
	/* The user's own mapping there was left alone. */
	ASSERT_TRUE(is_mapped(anon));
	memset(anon, 1, UNIT);
	munmap(anon, UNIT);
}

TEST_F(part, other_process_cannot_use_the_set)
{
	struct kpmem_part_add req = add_req(self->fd, 0, UNIT);
	int status;
	pid_t pid;

	ASSERT_EQ(0, part_add(self->set, &req));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kpmem_part_add r = add_req(self->fd, UNIT, UNIT);
		struct kpmem_pmap_info info;

		if (part_add(self->set, &r) != -EPERM)
			_exit(1);
		if (pmap_lookup(self->set, req.addr, 0, &info) != -EPERM)
			_exit(2);
		if (part_remove(self->set, req.addr, UNIT, NULL) != -EPERM)
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_TRUE(is_mapped((void *)(uintptr_t)req.addr));
}

TEST_F(part, closing_set_leaves_mappings_usable)
{
	struct kpmem_part_add req = add_req(self->fd, 0, UNIT);
	int set2 = set_create();

	ASSERT_LE(0, set2);
	ASSERT_EQ(0, part_add(set2, &req));
	close(set2);
	memset((void *)(uintptr_t)req.addr, 0x11, UNIT);
	ASSERT_EQ(0, munmap((void *)(uintptr_t)req.addr, UNIT));
}

TEST_F(part, set_refuses_parts_beyond_module_limit)
{
	const char *param = "/sys/module/kpmem/parameters/max_parts_per_set";
	char old[32] = "";
	struct kpmem_part_add req;
	FILE *f = fopen(param, "r");
	int i;

	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(old, sizeof(old), f));
	fclose(f);
	f = fopen(param, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "3\n");
	fclose(f);
	for (i = 0; i < 3; i++) {
		req = add_req(self->fd, (uint64_t)i * UNIT, UNIT);
		EXPECT_EQ(0, part_add(self->set, &req));
	}
	req = add_req(self->fd, 3 * UNIT, UNIT);
	EXPECT_EQ(-EMFILE, part_add(self->set, &req));
	f = fopen(param, "w");
	ASSERT_NE(NULL, f);
	fputs(old, f);
	fclose(f);
}

struct stress_arg {
	int set, fd, id;
	unsigned int ops;
	int errors;
};

static void *stress_thread(void *p)
{
	struct stress_arg *a = p;
	unsigned int seed = (unsigned int)a->id * 7919u;
	uint64_t mine[8] = { 0 };

	for (unsigned int i = 0; i < a->ops; i++) {
		int slot = rand_r(&seed) % 8;
		struct kpmem_pmap_info info;

		if (!mine[slot]) {
			struct kpmem_part_add req = add_req(a->fd, (uint64_t)slot * UNIT, UNIT);

			if (part_add(a->set, &req)) {
				a->errors++;
				continue;
			}
			mine[slot] = req.addr;
			*(volatile uint8_t *)(uintptr_t)req.addr = (uint8_t)i;
		} else if (rand_r(&seed) % 2) {
			if (pmap_lookup(a->set, mine[slot], 0, &info) || info.addr != mine[slot])
				a->errors++;
			pmap_lookup(a->set, rand_r(&seed), KPMEM_LOOKUP_NEXT, &info);
		} else {
			if (part_remove(a->set, mine[slot], UNIT, NULL))
				a->errors++;
			mine[slot] = 0;
		}
	}
	for (int slot = 0; slot < 8; slot++)
		if (mine[slot] && part_remove(a->set, mine[slot], UNIT, NULL))
			a->errors++;
	return NULL;
}

TEST_F(part, concurrent_add_lookup_remove_keep_index_consistent)
{
	struct stress_arg args[4];
	struct kpmem_pmap_info info;
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		args[i] = (struct stress_arg){ .set = self->set, .fd = self->fd, .id = i + 1,
					       .ops = 400 };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, stress_thread, &args[i]));
	}
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, args[i].errors) TH_LOG("thread %d", i);
	}
	/* Every thread removed what it added: the set is empty. */
	ASSERT_EQ(-ENOENT, pmap_lookup(self->set, 0, KPMEM_LOOKUP_NEXT, &info));
}

TEST_HARNESS_MAIN
