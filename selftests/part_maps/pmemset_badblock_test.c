// SPDX-License-Identifier: GPL-2.0
/*
 * Bad blocks for real: sectors of a file on the fsdax filesystem are marked
 * bad in the pmem block device's badblocks list (the gendisk's
 * /sys/dev/block/MAJ:MIN/badblocks, which is the pmem driver's list: DAX
 * access to those sectors fails from then on, and it is what libndctl
 * reads for a namespace, so what libpmem2 reports for a file).  Then
 * pmemset_map with bad-block detection must report each of them, relative
 * to the source, let the callback clear them, fire BADBLOCKS_CLEARED and
 * map; without clearing, the map fails with PMEMSET_E_IO_FAIL.
 *
 * Device DAX is not covered: libpmem2 reads a device DAX source's bad
 * blocks from its nvdimm region's list, which only the bus's address range
 * scrub fills (ndctl inject-error), and QEMU's NFIT has no error injection.
 */
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "../lib/pmemset_guest.h"

#define FILE_SIZE	(64 << 10)
#define NBAD		2

/* Where the bad blocks go, in the file: one 4 KiB block, then two. */
static const size_t bad_off[NBAD] = { 8 << 10, 40 << 10 };
static const size_t bad_len[NBAD] = { 4 << 10, 8 << 10 };

struct bb_log {
	int n;
	enum pmemset_event type[MAX_EVENTS];
	struct pmemset_badblock bb[MAX_EVENTS];
	struct pmemset_source *src[MAX_EVENTS];
	bool clear;		/* clear each bad block in the BADBLOCK callback */
	int clear_ret[MAX_EVENTS];
	int cleared_ret;	/* what the BADBLOCKS_CLEARED callback returns */
};

static int bb_event(struct pmemset *set, struct pmemset_event_context *ctx, void *arg)
{
	struct bb_log *log = arg;
	int i = log->n;

	(void)set;
	if (i >= MAX_EVENTS)
		return 0;
	log->n++;
	log->type[i] = ctx->type;
	switch (ctx->type) {
	case PMEMSET_EVENT_BADBLOCK:
		log->bb[i] = *ctx->data.badblock.bb;
		log->src[i] = ctx->data.badblock.src;
		if (log->clear)
			log->clear_ret[i] = pmemset_badblock_clear(ctx->data.badblock.bb,
								   ctx->data.badblock.src);
		return 0;
	case PMEMSET_EVENT_BADBLOCKS_CLEARED:
		log->src[i] = ctx->data.badblocks_cleared.src;
		return log->cleared_ret;
	default:
		return 0;
	}
}

FIXTURE(bb) {
	struct src_env env;
	struct pmemset *set;
	struct bb_log log;
	char sysfs[128];		/* the block device's badblocks file */
	char bdev[160];			/* and its node, for putting things back */
	unsigned long long sector[NBAD];	/* first bad sector of each range */
	unsigned char pattern[FILE_SIZE];
};

static char pat(size_t i)
{
	return (char)(0x80 | ((i * 7) & 0x7f));	/* never zero */
}

/* The device sector holding byte @off of @fd (allocated, 512-aligned). */
static int file_sector(int fd, size_t off, unsigned long long *sector, bool unwritten_ok)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext[32];
	} f;

	memset(&f, 0, sizeof(f));
	f.fm.fm_start = 0;
	f.fm.fm_length = ~0ULL;
	f.fm.fm_flags = FIEMAP_FLAG_SYNC;
	f.fm.fm_extent_count = 32;
	if (ioctl(fd, FS_IOC_FIEMAP, &f.fm))
		return -errno;
	for (unsigned i = 0; i < f.fm.fm_mapped_extents; i++) {
		struct fiemap_extent *e = &f.ext[i];

		if (off < e->fe_logical || off >= e->fe_logical + e->fe_length)
			continue;
		if (e->fe_flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_ENCODED) ||
		    (!unwritten_ok && (e->fe_flags & FIEMAP_EXTENT_UNWRITTEN)))
			return -EINVAL;
		*sector = (e->fe_physical + (off - e->fe_logical)) >> 9;
		return 0;
	}
	return -ENOENT;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -errno;
}

/* Whether the device's list has any sector of [sector, sector + count). */
static bool listed(const char *sysfs, unsigned long long sector, unsigned count)
{
	unsigned long long s;
	unsigned n;
	bool hit = false;
	FILE *f = fopen(sysfs, "r");

	if (!f)
		return false;
	while (fscanf(f, "%llu %u", &s, &n) == 2)
		if (s < sector + count && sector < s + n)
			hit = true;
	fclose(f);
	return hit;
}

/* Put the sectors back: a write to a bad sector of legacy pmem clears it. */
static void unpoison(FIXTURE_DATA(bb) *self)
{
	void *zero;
	int fd;

	if (posix_memalign(&zero, 4096, 8 << 10))
		return;
	memset(zero, 0, 8 << 10);
	fd = open(self->bdev, O_RDWR | O_DIRECT);
	for (int i = 0; fd >= 0 && i < NBAD; i++)
		if (listed(self->sysfs, self->sector[i], bad_len[i] >> 9) &&
		    pwrite(fd, zero, bad_len[i], (off_t)(self->sector[i] << 9)) != (ssize_t)bad_len[i])
			fprintf(stderr, "# cannot rewrite sector %llu of %s: %s\n",
				self->sector[i], self->bdev, strerror(errno));
	if (fd >= 0)
		close(fd);
	else
		fprintf(stderr, "# cannot open %s: %s\n", self->bdev, strerror(errno));
	free(zero);
}

/* /dev/NAME of the block device @dev, from its uevent. */
static int bdev_node(dev_t dev, char *node, size_t len)
{
	char path[128], line[128];
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major(dev), minor(dev));
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "DEVNAME=", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(node, len, "/dev/%s", line + 8);
			ret = 0;
		}
	fclose(f);
	return ret;
}

FIXTURE_SETUP(bb)
{
	struct stat st;
	char line[64];
	int fd;

	memset(&self->log, 0, sizeof(self->log));
	ASSERT_EQ(0, env_prepare(KIND_FSDAX, &self->env)) TH_LOG("no fsdax mount");
	ASSERT_PMEMSET(0, env_set(&self->set, PMEM2_GRANULARITY_PAGE, bb_event, &self->log, NULL));

	/* the file, written (allocated, not unwritten extents) with a pattern */
	for (size_t i = 0; i < FILE_SIZE; i++)
		self->pattern[i] = (unsigned char)pat(i);
	fd = open(self->env.path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(FILE_SIZE, pwrite(fd, self->pattern, FILE_SIZE, 0));
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, fstat(fd, &st));
	snprintf(self->sysfs, sizeof(self->sysfs), "/sys/dev/block/%u:%u/badblocks",
		 major(st.st_dev), minor(st.st_dev));
	ASSERT_EQ(0, bdev_node(st.st_dev, self->bdev, sizeof(self->bdev)));
	ASSERT_EQ(0, access(self->sysfs, W_OK)) TH_LOG("%s: %s", self->sysfs, strerror(errno));

	for (int i = 0; i < NBAD; i++) {
		ASSERT_EQ(0, file_sector(fd, bad_off[i], &self->sector[i], false));
		/* the range must be physically contiguous in the file */
		for (size_t o = 512; o < bad_len[i]; o += 512) {
			unsigned long long s;

			ASSERT_EQ(0, file_sector(fd, bad_off[i] + o, &s, false));
			ASSERT_EQ(self->sector[i] + (o >> 9), s);
		}
	}
	close(fd);

	for (int i = 0; i < NBAD; i++) {
		snprintf(line, sizeof(line), "%llu %zu\n", self->sector[i], bad_len[i] >> 9);
		ASSERT_EQ(0, write_str(self->sysfs, line)) TH_LOG("%s <- %s", self->sysfs, line);
		ASSERT_TRUE(listed(self->sysfs, self->sector[i], bad_len[i] >> 9));
	}
}

FIXTURE_TEARDOWN(bb)
{
	pmemset_delete(&self->set);
	unpoison(self);
	for (int i = 0; i < NBAD; i++) {
		EXPECT_FALSE(listed(self->sysfs, self->sector[i], bad_len[i] >> 9))
			TH_LOG("sector %llu is still bad", self->sector[i]);
	}
	env_cleanup(&self->env);
}

/* The BADBLOCK events of @log are exactly the injected ranges, in order. */
static void expect_badblocks(struct __test_metadata *_metadata, struct bb_log *log,
			     struct pmemset_source *src)
{
	ASSERT_LE(NBAD, log->n);
	for (int i = 0; i < NBAD; i++) {
		ASSERT_EQ((int)PMEMSET_EVENT_BADBLOCK, (int)log->type[i]);
		EXPECT_EQ(bad_off[i], log->bb[i].offset);
		EXPECT_EQ(bad_len[i], log->bb[i].length);
		EXPECT_EQ(src, log->src[i]);
	}
}

TEST_F(bb, injected_blocks_are_real)
{
	struct pmemset_source *s;
	char buf[512];

	ASSERT_PMEMSET(0, pmemset_source_from_file(&s, self->env.path));
	/* machine-check-safe read of a bad block fails; next to it works */
	ASSERT_PMEMSET(PMEMSET_E_IO_FAIL, pmemset_source_pread_mcsafe(s, buf, sizeof(buf), bad_off[0]));
	ASSERT_PMEMSET(0, pmemset_source_pread_mcsafe(s, buf, sizeof(buf), bad_off[0] - sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, self->pattern + bad_off[0] - sizeof(buf), sizeof(buf)));
	pmemset_source_delete(&s);
}

TEST_F(bb, cleared_in_callback_then_mapped_as_zeros)
{
	struct pmemset_part_descriptor d;
	struct pmemset_source *s;
	const unsigned char *p;

	self->log.clear = true;
	ASSERT_PMEMSET(0, pmemset_source_from_file(&s, self->env.path));
	pmemset_source_set_badblock_detection(s, true);
	ASSERT_PMEMSET(0, env_map(self->set, s, 0, FILE_SIZE, &d));

	/* BADBLOCK per range, BADBLOCKS_CLEARED, then PART_ADD */
	ASSERT_EQ(NBAD + 2, self->log.n);
	expect_badblocks(_metadata, &self->log, s);
	for (int i = 0; i < NBAD; i++)
		EXPECT_EQ(0, self->log.clear_ret[i]);
	EXPECT_EQ((int)PMEMSET_EVENT_BADBLOCKS_CLEARED, (int)self->log.type[NBAD]);
	EXPECT_EQ(s, self->log.src[NBAD]);
	EXPECT_EQ((int)PMEMSET_EVENT_PART_ADD, (int)self->log.type[NBAD + 1]);

	/* the cleared ranges read as zeros, the rest kept its data */
	ASSERT_EQ((size_t)FILE_SIZE, d.size);
	p = d.addr;
	for (size_t off = 0; off < FILE_SIZE; off++) {
		bool bad = false;

		for (int i = 0; i < NBAD; i++)
			bad |= off >= bad_off[i] && off < bad_off[i] + bad_len[i];
		ASSERT_EQ(bad ? 0 : self->pattern[off], p[off]) TH_LOG("offset %zu", off);
	}
	/* and are usable again */
	memset(d.addr, 0x5a, d.size);
	ASSERT_PMEMSET(0, pmemset_persist(self->set, d.addr, d.size));
	/*
	 * written through the map, the cleared blocks hold good data: the
	 * device lists none of the sectors they now live in
	 */
	{
		int fd = open(self->env.path, O_RDONLY);

		ASSERT_LE(0, fd);
		for (int i = 0; i < NBAD; i++) {
			unsigned long long now = 0;

			ASSERT_EQ(0, file_sector(fd, bad_off[i], &now, true));
			TH_LOG("range %d: sector %llu -> %llu, old sectors %s", i, self->sector[i], now,
			       listed(self->sysfs, self->sector[i], bad_len[i] >> 9) ? "still listed" : "clear");
			EXPECT_FALSE(listed(self->sysfs, now, bad_len[i] >> 9));
		}
		close(fd);
	}

	/* a second map of the source finds nothing */
	self->log.n = 0;
	ASSERT_PMEMSET(0, env_map(self->set, s, 0, FILE_SIZE, &d));
	ASSERT_EQ(1, self->log.n);
	EXPECT_EQ((int)PMEMSET_EVENT_PART_ADD, (int)self->log.type[0]);
	pmemset_source_delete(&s);
}

TEST_F(bb, not_cleared_fails_with_io_fail)
{
	struct pmemset_part_descriptor d;
	struct pmemset_source *s;

	ASSERT_PMEMSET(0, pmemset_source_from_file(&s, self->env.path));
	pmemset_source_set_badblock_detection(s, true);
	ASSERT_PMEMSET(PMEMSET_E_IO_FAIL, env_map(self->set, s, 0, FILE_SIZE, &d));
	EXPECT_NE(NULL, strstr(pmemset_errormsg(), "not cleared")) TH_LOG("%s", pmemset_errormsg());
	/* the events, no BADBLOCKS_CLEARED, nothing mapped */
	ASSERT_EQ(NBAD, self->log.n);
	expect_badblocks(_metadata, &self->log, s);
	ASSERT_EQ(0, count_part_maps(self->set));

	/* pmemset_badblock_clear outside a callback, then the map works */
	for (int i = 0; i < NBAD; i++)
		ASSERT_PMEMSET(0, pmemset_badblock_clear(&self->log.bb[i], s));
	self->log.n = 0;
	ASSERT_PMEMSET(0, env_map(self->set, s, 0, FILE_SIZE, &d));
	ASSERT_EQ(1, self->log.n);
	EXPECT_EQ((int)PMEMSET_EVENT_PART_ADD, (int)self->log.type[0]);
	pmemset_source_delete(&s);
}

TEST_F(bb, without_detection_no_events)
{
	struct pmemset_part_descriptor d;
	struct pmemset_source *s;

	/* detection off: the map does not look (touching the bad pages would) */
	ASSERT_PMEMSET(0, pmemset_source_from_file(&s, self->env.path));
	ASSERT_PMEMSET(0, env_map(self->set, s, 0, FILE_SIZE, &d));
	ASSERT_EQ(1, self->log.n);
	EXPECT_EQ((int)PMEMSET_EVENT_PART_ADD, (int)self->log.type[0]);
	pmemset_source_delete(&s);
}

TEST_F(bb, cleared_callback_error_is_the_result)
{
	struct pmemset_part_descriptor d;
	struct pmemset_source *s;

	self->log.clear = true;
	self->log.cleared_ret = -ENOTSUP;
	ASSERT_PMEMSET(0, pmemset_source_from_file(&s, self->env.path));
	pmemset_source_set_badblock_detection(s, true);
	ASSERT_PMEMSET(-ENOTSUP, env_map(self->set, s, 0, FILE_SIZE, &d));
	ASSERT_EQ(NBAD + 1, self->log.n);
	EXPECT_EQ((int)PMEMSET_EVENT_BADBLOCKS_CLEARED, (int)self->log.type[NBAD]);
	ASSERT_EQ(0, count_part_maps(self->set));
	pmemset_source_delete(&s);
}

TEST_HARNESS_MAIN
