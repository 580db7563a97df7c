// SPDX-License-Identifier: GPL-2.0
/*
 * The module's rpmem initiator and target, through the raw ioctls, between
 * the two guests of a pair: the test runs on the initiator and sets up and
 * checks the target with `peer` (selftests/vm/peer).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../lib/guest_util.h"
#include "kpmem_device.h"

#define MiB (1UL << 20)
#define POOL_SIZE (4 * MiB)
/* Two guests under TCG move a few MB/s: give each test room. */
#define RPMEM_TEST(name) TEST_F_TIMEOUT(rpmem, name, 240)
#define RPMEM_DAX_TEST(name) TEST_F_TIMEOUT(rpmem_dax, name, 240)

/* Run on the target guest. */
#define peer(fmt, ...) run("peer " fmt " >/dev/null", ##__VA_ARGS__)

static int pool_op(uint32_t op, const char *name, void *pool, size_t size, uint32_t *nlanes,
		   struct kpmem_pool_attr *attr, uint32_t flags, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct kpmem_pool_connect c = {
		.op = op, .flags = flags, .pool_addr = (uintptr_t)pool, .pool_size = size,
		.nlanes = nlanes ? *nlanes : 1,
	};
	int dev = open(KPMEM_DEVICE_PATH, O_RDWR | O_CLOEXEC), fd;

	if (dev < 0)
		return -errno;
	inet_pton(AF_INET, getenv("KPMEM_VM_PEER_ADDR"), &sin.sin_addr);
	c.target.family = AF_INET;
	c.target.len = sizeof(sin);
	memcpy(c.target.addr, &sin, sizeof(sin));
	snprintf(c.name, sizeof(c.name), "%s", name);
	if (attr && (flags & KPMEM_POOL_HAS_ATTR))
		c.attr = *attr;
	fd = ioctl(dev, KPMEM_IOC_POOL_CONNECT, &c);
	if (fd < 0)
		fd = -errno;
	close(dev);
	if (fd >= 0 && nlanes)
		*nlanes = c.nlanes;
	if (fd >= 0 && attr && op == KPMEM_POOL_OPEN)
		*attr = c.attr;
	return fd;
}

static int pool_io(int fd, unsigned long cmd, uint64_t off, uint64_t len, uint32_t lane,
		   uint32_t flags, void *buf)
{
	struct kpmem_pool_io io = {
		.offset = off, .length = len, .lane = lane, .flags = flags, .buf = (uintptr_t)buf,
	};
	return ioctl(fd, cmd, &io) ? -errno : 0;
}

static struct kpmem_pool_attr test_attr(void)
{
	struct kpmem_pool_attr a = { .major = 6, .compat_features = 0x11 };

	memcpy(a.signature, "PMEMOBJ", 8);
	memset(a.uuid, 0xab, sizeof(a.uuid));
	return a;
}

struct rpmem_env {
	uint8_t *pool;
	char backing[128];
};

static int env_setup(struct __test_metadata *_metadata, struct rpmem_env *env, bool devdax)
{
	env->pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (env->pool == MAP_FAILED)
		return -1;
	for (size_t i = 0; i < POOL_SIZE; i++)
		env->pool[i] = (uint8_t)(i * 131 + 7);
	if (devdax) {
		/* Made from the target's NVDIMM by selftests/rpmem/pair_setup. */
		snprintf(env->backing, sizeof(env->backing), "/dev/dax1.0");
		if (peer("test -c %s", env->backing)) {
			TH_LOG("the target has no %s (run me through pair_setup)", env->backing);
			return -1;
		}
	} else {
		snprintf(env->backing, sizeof(env->backing), "/tmp/remote.img");
		if (peer("rm -f %s", env->backing))
			return -1;
	}
	/* A test killed by its time limit leaves its export behind. */
	peer("%s export-remove --force remote.set 2>/dev/null", kpmemctl());
	return peer("%s export-add remote.set %s --size 16M", kpmemctl(), env->backing);
}

static void env_teardown(struct rpmem_env *env)
{
	/* The device keeps its data: the next test must not find this pool. */
	pool_op(KPMEM_POOL_REMOVE, "remote.set", NULL, 0, NULL, NULL, KPMEM_POOL_REMOVE_FORCE,
		KPMEM_DEFAULT_PORT);
	peer("%s export-remove --force remote.set", kpmemctl());
	munmap(env->pool, POOL_SIZE);
}

/* Every behaviour, on a file-backed export. */
FIXTURE(rpmem) {
	struct rpmem_env env;
};

FIXTURE_SETUP(rpmem)
{
	ASSERT_EQ(0, env_setup(_metadata, &self->env, false));
}

FIXTURE_TEARDOWN(rpmem)
{
	env_teardown(&self->env);
}

/* The data path again, on a device DAX export (pmem on the target). */
FIXTURE(rpmem_dax) {
	struct rpmem_env env;
};

FIXTURE_SETUP(rpmem_dax)
{
	ASSERT_EQ(0, env_setup(_metadata, &self->env, true));
}

FIXTURE_TEARDOWN(rpmem_dax)
{
	env_teardown(&self->env);
}

/* The target's copy of [off, off + len) equals ours. */
static int target_matches(const char *backing, const uint8_t *pool, size_t off, size_t len)
{
	char path[] = "/tmp/expect.XXXXXX";
	int fd = mkstemp(path), ret;

	if (fd < 0 || write(fd, pool + off, len) != (ssize_t)len)
		return -1;
	close(fd);
	/* Device DAX has no read(): hash through a mapping. */
	ret = run("a=$(sha256sum < %s | cut -d' ' -f1); "
		  "b=$(peer python3 -c 'import hashlib, mmap, os, sys; "
		  "fd = os.open(sys.argv[1], os.O_RDONLY); "
		  "m = mmap.mmap(fd, 16 << 20, mmap.MAP_SHARED, mmap.PROT_READ); "
		  "print(hashlib.sha256(m[%zu:%zu]).hexdigest())' %s); "
		  "[ \"$a\" = \"$b\" ]", path, off, off + len, backing);
	unlink(path);
	return ret;
}

static void persist_makes_range_durable_on_target(struct __test_metadata *_metadata,
				struct rpmem_env *env)
{
	struct kpmem_pool_attr attr = test_attr();
	uint32_t nlanes = 4;
	int fd;

	fd = pool_op(KPMEM_POOL_CREATE, "remote.set", env->pool, POOL_SIZE, &nlanes, &attr,
		     KPMEM_POOL_HAS_ATTR, KPMEM_DEFAULT_PORT);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	ASSERT_EQ(4U, nlanes);
	ASSERT_EQ(0, pool_io(fd, KPMEM_POOL_IOC_PERSIST, 4096, POOL_SIZE - 4096, 0, 0, NULL));
	ASSERT_EQ(0, target_matches(env->backing, env->pool, 4096, POOL_SIZE - 4096));

	/* Relaxed and deep persists too, from other lanes. */
	memset(env->pool + 8192, 0x3c, 4096);
	ASSERT_EQ(0, pool_io(fd, KPMEM_POOL_IOC_PERSIST, 8192, 4096, 1, KPMEM_IO_RELAXED, NULL));
	memset(env->pool + 12288, 0x5d, 4096);
	ASSERT_EQ(0, pool_io(fd, KPMEM_POOL_IOC_PERSIST, 12288, 4096, 3, KPMEM_IO_DEEP, NULL));
	memset(env->pool + 16384, 0x6e, 4096);
	ASSERT_EQ(0, pool_io(fd, KPMEM_POOL_IOC_FLUSH, 16384, 4096, 2, 0, NULL));
	ASSERT_EQ(0, pool_io(fd, KPMEM_POOL_IOC_DRAIN, 0, 0, 2, 0, NULL));
	ASSERT_EQ(0, target_matches(env->backing, env->pool, 8192, 12288));

	/*
	 * On device DAX (an NVDIMM namespace), deep persists flush the region:
	 * the target's own when it wrote the pool header, and this test's.
	 */
	if (!strncmp(env->backing, "/dev/dax", 8)) {
		int counted = !run("peer %s export-list --json | jq -e '.exports[] | "
				   "select(.name == \"remote.set\") | .deep_flush and "
				   ".deep_flushes == 2' > /dev/null", kpmemctl());

		if (!counted)
			run("peer %s export-list --json | sed 's/^/# /'", kpmemctl());
		EXPECT_TRUE(counted) TH_LOG("no region flush counted for the deep persist (above)");
	}

	/* What the module counts while the pool is open... */
	EXPECT_EQ(1, kpmem_live("pools", 0));
	EXPECT_EQ(1, kpmem_live("target_conns", 1));
	EXPECT_LE(1, kpmem_live("exports", 1));
	if (!strncmp(env->backing, "/dev/dax", 8))
		EXPECT_LE(1, kpmem_live("target_mrs", 1));
	close(fd);
	/* ... is let go of on both sides once it is closed. */
	EXPECT_EQ(0, kpmem_live("pools", 0));
	EXPECT_EQ(0, kpmem_live("pool_pinned_pages", 0));
	for (int i = 0; i < 50 && kpmem_live("target_conns", 1); i++)
		usleep(100000);
	EXPECT_EQ(0, kpmem_live("target_conns", 1));
	EXPECT_EQ(0, kpmem_live("target_mrs", 1));
}

RPMEM_TEST(persist_makes_range_durable_on_target)
{
	persist_makes_range_durable_on_target(_metadata, &self->env);
}

RPMEM_DAX_TEST(persist_makes_range_durable_on_target)
{
	persist_makes_range_durable_on_target(_metadata, &self->env);
}

static void read_returns_persisted_data(struct __test_metadata *_metadata,
				struct rpmem_env *env)
{
	struct kpmem_pool_attr attr = test_attr();
	uint8_t *buf = malloc(POOL_SIZE);
	int fd;

	ASSERT_NE(NULL, buf);
	fd = pool_op(KPMEM_POOL_CREATE, "remote.set", env->pool, POOL_SIZE, NULL, &attr,
		     KPMEM_POOL_HAS_ATTR, KPMEM_DEFAULT_PORT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pool_io(fd, KPMEM_POOL_IOC_PERSIST, 4096, POOL_SIZE - 4096, 0, 0, NULL));
	ASSERT_EQ(0, pool_io(fd, KPMEM_POOL_IOC_READ, 4096, POOL_SIZE - 4096, 0, 0, buf));
	ASSERT_EQ(0, memcmp(buf, env->pool + 4096, POOL_SIZE - 4096));
	ASSERT_EQ(0, pool_io(fd, KPMEM_POOL_IOC_READ, 0, 0, 0, 0, buf));
	close(fd);
	free(buf);
}

RPMEM_TEST(read_returns_persisted_data)
{
	read_returns_persisted_data(_metadata, &self->env);
}

RPMEM_DAX_TEST(read_returns_persisted_data)
{
	read_returns_persisted_data(_metadata, &self->env);
}

RPMEM_TEST(create_on_existing_pool_is_eexist_and_open_returns_attributes)
{
	struct kpmem_pool_attr attr = test_attr(), got;
	int fd;

	fd = pool_op(KPMEM_POOL_CREATE, "remote.set", self->env.pool, POOL_SIZE, NULL, &attr,
		     KPMEM_POOL_HAS_ATTR, KPMEM_DEFAULT_PORT);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(-EEXIST, pool_op(KPMEM_POOL_CREATE, "remote.set", self->env.pool, POOL_SIZE,
				   NULL, &attr, KPMEM_POOL_HAS_ATTR, KPMEM_DEFAULT_PORT));
	memset(&got, 0, sizeof(got));
	fd = pool_op(KPMEM_POOL_OPEN, "remote.set", self->env.pool, POOL_SIZE, NULL, &got, 0,
		     KPMEM_DEFAULT_PORT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, memcmp(&attr, &got, sizeof(attr)));
	close(fd);
}

/*
 * An export that does not exist is refused like one the initiator may not
 * use (EACCES): nobody unauthenticated learns which names exist.  A pool
 * missing from an export the initiator may use is ENOENT.
 */
RPMEM_TEST(open_without_pool_is_enoent_and_unknown_export_eacces)
{
	ASSERT_EQ(-ENOENT, pool_op(KPMEM_POOL_OPEN, "remote.set", self->env.pool, POOL_SIZE, NULL,
				   NULL, 0, KPMEM_DEFAULT_PORT));
	ASSERT_EQ(-EACCES, pool_op(KPMEM_POOL_OPEN, "no.such.set", self->env.pool, POOL_SIZE, NULL,
				   NULL, 0, KPMEM_DEFAULT_PORT));
}

RPMEM_TEST(remove_drops_pool_so_create_works_again)
{
	struct kpmem_pool_attr attr = test_attr();
	int fd;

	fd = pool_op(KPMEM_POOL_CREATE, "remote.set", self->env.pool, POOL_SIZE, NULL, &attr,
		     KPMEM_POOL_HAS_ATTR, KPMEM_DEFAULT_PORT);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, pool_op(KPMEM_POOL_REMOVE, "remote.set", NULL, 0, NULL, NULL, 0,
			     KPMEM_DEFAULT_PORT));
	ASSERT_EQ(-ENOENT, pool_op(KPMEM_POOL_REMOVE, "remote.set", NULL, 0, NULL, NULL, 0,
				   KPMEM_DEFAULT_PORT));
	ASSERT_EQ(0, pool_op(KPMEM_POOL_REMOVE, "remote.set", NULL, 0, NULL, NULL,
			     KPMEM_POOL_REMOVE_FORCE, KPMEM_DEFAULT_PORT));
	fd = pool_op(KPMEM_POOL_CREATE, "remote.set", self->env.pool, POOL_SIZE, NULL, &attr,
		     KPMEM_POOL_HAS_ATTR, KPMEM_DEFAULT_PORT);
	ASSERT_LE(0, fd);
	close(fd);
}

RPMEM_TEST(second_initiator_is_ebusy)
{
	struct kpmem_pool_attr attr = test_attr();
	int fd;

	fd = pool_op(KPMEM_POOL_CREATE, "remote.set", self->env.pool, POOL_SIZE, NULL, &attr,
		     KPMEM_POOL_HAS_ATTR, KPMEM_DEFAULT_PORT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-EBUSY, pool_op(KPMEM_POOL_OPEN, "remote.set", self->env.pool, POOL_SIZE, NULL,
				  NULL, 0, KPMEM_DEFAULT_PORT));
	close(fd);
	/* The target notices the close: the export is free again. */
	for (int i = 0; i < 50; i++) {
		fd = pool_op(KPMEM_POOL_OPEN, "remote.set", self->env.pool, POOL_SIZE, NULL, NULL, 0,
			     KPMEM_DEFAULT_PORT);
		if (fd != -EBUSY)
			break;
		usleep(100000);
	}
	ASSERT_LE(0, fd);
	close(fd);
}

/* Wait up to 10 s for the export to take a new initiator; return its pool fd or -errno. */
static int reopen_when_free(struct rpmem_env *env)
{
	int fd = -EBUSY;

	for (int i = 0; i < 100 && fd == -EBUSY; i++) {
		fd = pool_op(KPMEM_POOL_OPEN, "remote.set", env->pool, POOL_SIZE, NULL, NULL, 0,
			     KPMEM_DEFAULT_PORT);
		if (fd == -EBUSY)
			usleep(100000);
	}
	return fd;
}

static void *persist_forever(void *p)
{
	int fd = *(int *)p;

	for (;;)
		pool_io(fd, KPMEM_POOL_IOC_PERSIST, 4096, POOL_SIZE - 4096, 1, 0, NULL);
	return NULL;
}

/* A process killed in the middle of synchronous persists (RDMA WRITEs on device DAX). */
RPMEM_DAX_TEST(process_killed_during_persists_releases_everything)
{
	struct kpmem_pool_attr attr = test_attr();
	int status, fd;
	pid_t child;

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		uint32_t nlanes = 2;
		pthread_t th;

		fd = pool_op(KPMEM_POOL_CREATE, "remote.set", self->env.pool, POOL_SIZE, &nlanes,
			     &attr, KPMEM_POOL_HAS_ATTR, KPMEM_DEFAULT_PORT);
		if (fd < 0 || pthread_create(&th, NULL, persist_forever, &fd))
			_exit(1);
		for (;;)
			pool_io(fd, KPMEM_POOL_IOC_PERSIST, 4096, POOL_SIZE - 4096, 0, 0, NULL);
	}
	/* Let the persists of both lanes get going, then kill the process. */
	for (int i = 0; i < 100 && kpmem_live("pool_pinned_pages", 0) <= 0; i++)
		usleep(100000);
	EXPECT_LT(0, kpmem_live("pool_pinned_pages", 0)) TH_LOG("no persist was under way");
	kill(child, SIGKILL);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));

	fd = reopen_when_free(&self->env);
	ASSERT_LE(0, fd) TH_LOG("the export stayed held: %s", strerror(-fd));
	EXPECT_EQ(0, pool_io(fd, KPMEM_POOL_IOC_PERSIST, 4096, 65536, 0, 0, NULL));
	close(fd);
	EXPECT_EQ(0, kpmem_live("pools", 0));
	EXPECT_EQ(0, kpmem_live("pool_pinned_pages", 0));
}

struct closer {
	int fd;
	int last_error;
	unsigned long persists;
};

static void *persist_until_error(void *p)
{
	struct closer *c = p;
	int ret;

	while (!(ret = pool_io(c->fd, KPMEM_POOL_IOC_PERSIST, 4096, POOL_SIZE - 4096, 0, 0, NULL)))
		c->persists++;
	c->last_error = ret;
	return NULL;
}

/* The pool fd closed by one thread while another is in the middle of a persist. */
RPMEM_DAX_TEST(pool_fd_closed_from_another_thread_mid_persist)
{
	struct kpmem_pool_attr attr = test_attr();
	struct closer c = { 0 };
	pthread_t th;
	int fd;

	c.fd = pool_op(KPMEM_POOL_CREATE, "remote.set", self->env.pool, POOL_SIZE, NULL, &attr,
		       KPMEM_POOL_HAS_ATTR, KPMEM_DEFAULT_PORT);
	ASSERT_LE(0, c.fd);
	ASSERT_EQ(0, pthread_create(&th, NULL, persist_until_error, &c));
	for (int i = 0; i < 50 && kpmem_live("pool_pinned_pages", 0) <= 0; i++)
		usleep(100000);
	/* The persist under way holds the file: it finishes, the next call is EBADF. */
	ASSERT_EQ(0, close(c.fd));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(-EBADF, c.last_error);
	TH_LOG("%lu whole-pool persists before the close", c.persists);
	fd = reopen_when_free(&self->env);
	ASSERT_LE(0, fd) TH_LOG("the export stayed held: %s", strerror(-fd));
	close(fd);
	EXPECT_EQ(0, kpmem_live("pools", 0));
	EXPECT_EQ(0, kpmem_live("pool_pinned_pages", 0));
}

RPMEM_TEST(bad_ranges_lanes_and_flags_are_einval)
{
	struct kpmem_pool_attr attr = test_attr();
	uint32_t nlanes = 2;
	int fd;

	fd = pool_op(KPMEM_POOL_CREATE, "remote.set", self->env.pool, POOL_SIZE, &nlanes, &attr,
		     KPMEM_POOL_HAS_ATTR, KPMEM_DEFAULT_PORT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-EINVAL, pool_io(fd, KPMEM_POOL_IOC_PERSIST, 0, 8, 0, 0, NULL));	/* header */
	ASSERT_EQ(-EINVAL, pool_io(fd, KPMEM_POOL_IOC_PERSIST, 4095, 8, 0, 0, NULL));
	ASSERT_EQ(-EINVAL, pool_io(fd, KPMEM_POOL_IOC_PERSIST, POOL_SIZE - 4, 8, 0, 0, NULL));
	ASSERT_EQ(-EINVAL, pool_io(fd, KPMEM_POOL_IOC_PERSIST, ~0ULL - 2, 8, 0, 0, NULL));
	ASSERT_EQ(-EINVAL, pool_io(fd, KPMEM_POOL_IOC_PERSIST, 4096, 8, nlanes, 0, NULL));
	ASSERT_EQ(-EINVAL, pool_io(fd, KPMEM_POOL_IOC_PERSIST, 4096, 8, 0, 1U << 7, NULL));
	ASSERT_EQ(-EINVAL, pool_io(fd, KPMEM_POOL_IOC_FLUSH, 4096, 8, 0, KPMEM_IO_DEEP, NULL));
	ASSERT_EQ(-EINVAL, pool_io(fd, KPMEM_POOL_IOC_DRAIN, 0, 0, 0, 1, NULL));
	ASSERT_EQ(-EINVAL, pool_io(fd, KPMEM_POOL_IOC_READ, POOL_SIZE, 8, 0, 0, self->env.pool));
	ASSERT_EQ(-EFAULT, pool_io(fd, KPMEM_POOL_IOC_READ, 4096, 8, 0, 0,
				   (void *)0xffff888000000000ULL));
	/* A zero-length persist is a no-op, even in the header. */
	ASSERT_EQ(0, pool_io(fd, KPMEM_POOL_IOC_PERSIST, 0, 0, 0, 0, NULL));
	/* The connection is still good after all that. */
	ASSERT_EQ(0, pool_io(fd, KPMEM_POOL_IOC_PERSIST, 4096, 8, 1, 0, NULL));
	close(fd);
}

RPMEM_TEST(pool_larger_than_export_is_efbig)
{
	struct kpmem_pool_attr attr = test_attr();
	void *big = mmap(NULL, 32 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);

	ASSERT_NE(MAP_FAILED, big);
	ASSERT_EQ(-EFBIG, pool_op(KPMEM_POOL_CREATE, "remote.set", big, 32 * MiB, NULL, &attr,
				  KPMEM_POOL_HAS_ATTR, KPMEM_DEFAULT_PORT));
	munmap(big, 32 * MiB);
}

RPMEM_TEST(unreachable_port_fails_without_hanging)
{
	struct timespec t0, t1;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = pool_op(KPMEM_POOL_OPEN, "remote.set", self->env.pool, POOL_SIZE, NULL, NULL, 0, 7441);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_GT(0, ret);
	ASSERT_TRUE(ret == -ECONNREFUSED || ret == -EHOSTUNREACH || ret == -ETIMEDOUT)
		TH_LOG("%s", strerror(-ret));
	ASSERT_LT(t1.tv_sec - t0.tv_sec, 10);
}

struct lane_arg {
	int fd;
	uint32_t lane;
	uint8_t *pool;
	int ret;
};

static void *lane_writer(void *p)
{
	struct lane_arg *a = p;
	size_t slice = (POOL_SIZE - 4096) / 4, base = 4096 + a->lane * slice;

	for (size_t off = 0; off < slice && !a->ret; off += 64 * 1024) {
		size_t len = slice - off < 64 * 1024 ? slice - off : 64 * 1024;

		memset(a->pool + base + off, 0x40 + a->lane, len);
		a->ret = pool_io(a->fd, KPMEM_POOL_IOC_PERSIST, base + off, len, a->lane, 0, NULL);
	}
	return NULL;
}

static void lanes_are_independent_across_threads(struct __test_metadata *_metadata,
				struct rpmem_env *env)
{
	struct kpmem_pool_attr attr = test_attr();
	struct lane_arg args[4];
	pthread_t t[4];
	uint32_t nlanes = 4;
	int fd;

	fd = pool_op(KPMEM_POOL_CREATE, "remote.set", env->pool, POOL_SIZE, &nlanes, &attr,
		     KPMEM_POOL_HAS_ATTR, KPMEM_DEFAULT_PORT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4U, nlanes);
	for (uint32_t i = 0; i < 4; i++) {
		args[i] = (struct lane_arg){ .fd = fd, .lane = i, .pool = env->pool };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, lane_writer, &args[i]));
	}
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, args[i].ret) TH_LOG("lane %d: %s", i, strerror(-args[i].ret));
	}
	ASSERT_EQ(0, target_matches(env->backing, env->pool, 4096, POOL_SIZE - 4096));
	close(fd);
}

RPMEM_TEST(lanes_are_independent_across_threads)
{
	lanes_are_independent_across_threads(_metadata, &self->env);
}

RPMEM_DAX_TEST(lanes_are_independent_across_threads)
{
	lanes_are_independent_across_threads(_metadata, &self->env);
}

RPMEM_TEST(export_removed_under_initiator_gives_sticky_error_fast)
{
	struct kpmem_pool_attr attr = test_attr();
	struct timespec t0, t1;
	int fd, first, ret;

	fd = pool_op(KPMEM_POOL_CREATE, "remote.set", self->env.pool, POOL_SIZE, NULL, &attr,
		     KPMEM_POOL_HAS_ATTR, KPMEM_DEFAULT_PORT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pool_io(fd, KPMEM_POOL_IOC_PERSIST, 4096, 4096, 0, 0, NULL));
	ASSERT_EQ(0, peer("%s export-remove --force remote.set", kpmemctl()));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		first = pool_io(fd, KPMEM_POOL_IOC_PERSIST, 4096, 4096, 0, 0, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while (!first && t1.tv_sec - t0.tv_sec < 10);
	ASSERT_NE(0, first);
	ASSERT_LE(t1.tv_sec - t0.tv_sec, 5);
	/* Sticky: every later call fails at once with the same error. */
	ret = pool_io(fd, KPMEM_POOL_IOC_READ, 4096, 8, 0, 0, self->env.pool);
	ASSERT_EQ(first, ret);
	ASSERT_EQ(first, pool_io(fd, KPMEM_POOL_IOC_DRAIN, 0, 0, 0, 0, NULL));
	close(fd);
	/* Put the export back for the teardown. */
	ASSERT_EQ(0, peer("%s export-add remote.set %s --size 16M", kpmemctl(), self->env.backing));
}

RPMEM_TEST(initiator_outside_allow_list_is_eacces)
{
	ASSERT_EQ(0, peer("%s export-add fenced.set %s.fenced --size 16M --allow 10.99.0.0/16",
			  kpmemctl(), "/tmp/remote.img"));
	ASSERT_EQ(-EACCES, pool_op(KPMEM_POOL_OPEN, "fenced.set", self->env.pool, POOL_SIZE, NULL,
				   NULL, 0, KPMEM_DEFAULT_PORT));
	ASSERT_EQ(0, peer("%s export-remove fenced.set", kpmemctl()));
}

TEST_HARNESS_MAIN
