// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem_persist(3): "returns 0 only when the whole range is persistent on
 * the remote node".  Runs on the initiator of a pair, with a device DAX
 * export on the target's file-backed NVDIMM (selftests/rpmem/pair_setup):
 *
 *  - persist a known pattern through librpmem: many calls of many sizes on
 *    several lanes from several threads (persist, relaxed persist, deep
 *    persist, flush + drain), then a stream of small numbered records on
 *    every lane, logging every acknowledgement;
 *  - while the records still flow, have the host SIGKILL the target's QEMU
 *    (selftests/vm/peer-vm kill): no close, no flush, no shutdown on either
 *    side; the last acknowledgement comes just before the kill;
 *  - the open pool notices within 5 s, fails with a sticky connection
 *    error, and closing it does not hang;
 *  - boot the target again on the same NVDIMM backing file, export the same
 *    device again (nothing wiped), check the acknowledged ranges there
 *    (hashed on the target), rpmem_open the pool and rpmem_read them back:
 *    every acknowledged byte is there.
 *
 * Only the public librpmem API, kpmemctl and the harness are used.
 * KPMEM_DURABILITY_SKIP=N logs chunk N as acknowledged without persisting
 * it: the test must then fail (a check of the check).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <librpmem.h>

#include "kselftest_harness.h"

#define KiB (1UL << 10)
#define MiB (1UL << 20)
#define POOL_SIZE (32 * MiB)		/* the export's size too */
#define HDR_SIZE (4 * KiB)		/* a pool with attributes has a header */
#define BULK_BYTES (12 * MiB)		/* persisted, starting after the header */
#define RECORD 256			/* then records up to the pool's end */
#define KILL_AFTER_RECORDS 64		/* records acknowledged before the kill */
#define MAX_LANES 4
#define EXPORT "durable.set"
#define DAX "/dev/dax1.0"		/* made by selftests/rpmem/pair_setup */
#define MAX_CHUNKS (BULK_BYTES / 4096 + POOL_SIZE / RECORD)
/*
 * Issue 4: a dead target is noticed within 5 s.  The module's request
 * timeout is 4 s; the rest is for a TCG guest waking the waiter.
 */
#define NOTICE_LIMIT_S 5.0

enum { NOT_SENT, IN_FLIGHT, ACKED, FAILED };
enum { PERSIST, PERSIST_RELAXED, DEEP_PERSIST, FLUSH_DRAIN, NKINDS };

struct chunk {
	size_t off, len;
	unsigned int lane, kind;
	_Atomic int state;
};

struct stream {
	RPMEMpool *rpp;
	uint8_t *pool;
	struct chunk *chunks;
	unsigned int nchunks, nbulk, nlanes;
	int skip;			/* chunk logged but not persisted, or -1 */
	_Atomic unsigned int bulk_acked, records_acked;
	_Atomic int first_errno;
	pthread_mutex_t lock;
	double first_fail;		/* monotonic seconds of the first failure */
	double longest_failing_call;	/* seconds a failing call took */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Progress, stamped with the seconds since the fixture's setup began. */
static double t_start;
#define note(fmt, ...) ksft_print_msg("[%5.1f s] " fmt, now() - t_start, ##__VA_ARGS__)

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -1;
	ret = system(cmd);
	free(cmd);
	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

static const char *build(void)
{
	return getenv("KPMEM_BUILD") ?: "build";
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Bulk: sizes from 1 byte to 1 MiB and odd ones, contiguous, so that
 * offsets are odd too; then records.  Lanes and kinds in turn. */
static void plan_chunks(struct stream *s)
{
	static const size_t sizes[] = {
		1, 8, 100, 4095, 4096, 4097, 65535, 65536, 65537, 200003, MiB, 3, 513,
		128 * KiB, 262147, 16 * KiB, 777777,
	};
	size_t off = HDR_SIZE;
	unsigned int i;

	for (i = 0; off < POOL_SIZE && i < MAX_CHUNKS; i++) {
		size_t len = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];

		if (off >= HDR_SIZE + BULK_BYTES)
			len = RECORD;
		else if (len > HDR_SIZE + BULK_BYTES - off)
			len = HDR_SIZE + BULK_BYTES - off;
		if (len > POOL_SIZE - off)
			len = POOL_SIZE - off;
		if (off < HDR_SIZE + BULK_BYTES)
			s->nbulk = i + 1;
		s->chunks[i] = (struct chunk){ .off = off, .len = len, .lane = i % s->nlanes,
					       .kind = (i / s->nlanes) % NKINDS };
		off += len;
	}
	s->nchunks = i;
}

static int persist_chunk(struct stream *s, struct chunk *c)
{
	switch (c->kind) {
	case PERSIST:
		return rpmem_persist(s->rpp, c->off, c->len, c->lane, 0);
	case PERSIST_RELAXED:
		return rpmem_persist(s->rpp, c->off, c->len, c->lane, RPMEM_PERSIST_RELAXED);
	case DEEP_PERSIST:
		return rpmem_deep_persist(s->rpp, c->off, c->len, c->lane);
	default:
		if (rpmem_flush(s->rpp, c->off, c->len, c->lane, 0))
			return -1;
		return rpmem_drain(s->rpp, c->lane, 0);
	}
}

static void note_failure(struct stream *s, int err, double started)
{
	double t = now();

	pthread_mutex_lock(&s->lock);
	if (!s->first_errno) {
		s->first_errno = err;
		s->first_fail = t;
	}
	if (t - started > s->longest_failing_call)
		s->longest_failing_call = t - started;
	pthread_mutex_unlock(&s->lock);
}

struct lane_arg {
	struct stream *s;
	unsigned int lane;
};

/* One lane: its chunks in order, until the pool fails. */
static void *lane_thread(void *arg)
{
	struct lane_arg *a = arg;
	struct stream *s = a->s;
	unsigned int i;
	double t;

	for (i = 0; i < s->nchunks; i++) {
		struct chunk *c = &s->chunks[i];

		if (c->lane != a->lane)
			continue;
		if (s->first_errno)
			break;
		c->state = IN_FLIGHT;
		t = now();
		if ((int)i == s->skip || persist_chunk(s, c) == 0) {
			c->state = ACKED;
			if (i < s->nbulk)
				s->bulk_acked++;
			else
				s->records_acked++;
			continue;
		}
		c->state = FAILED;
		note_failure(s, errno, t);
		break;
	}
	return NULL;
}

/* Acknowledged chunks, merged into ranges (at most one a chunk). */
static size_t acked_ranges(struct stream *s, size_t (*r)[2], size_t max)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < s->nchunks; i++) {
		struct chunk *c = &s->chunks[i];

		if (c->state != ACKED)
			continue;
		if (n && r[n - 1][0] + r[n - 1][1] == c->off) {
			r[n - 1][1] += c->len;
		} else if (n < max) {
			r[n][0] = c->off;
			r[n][1] = c->len;
			n++;
		}
	}
	return n;
}

static bool connection_errno(int err)
{
	return err == ECONNRESET || err == ETIMEDOUT || err == ECONNABORTED ||
	       err == ENOTCONN || err == EHOSTUNREACH || err == EPIPE || err == EREMOTEIO;
}

static struct rpmem_pool_attr pool_attr(uint64_t seed)
{
	struct rpmem_pool_attr a = { .major = 1, .compat_features = 0x5 };

	memcpy(a.signature, "DURABLE", 8);
	memcpy(a.uuid, &seed, sizeof(seed));
	return a;
}

FIXTURE(durability) {
	struct stream s;
	char target[64];
	bool target_down;
};

FIXTURE_SETUP(durability)
{
	t_start = now();
	memset(&self->s, 0, sizeof(self->s));
	pthread_mutex_init(&self->s.lock, NULL);
	self->s.skip = getenv("KPMEM_DURABILITY_SKIP") ? atoi(getenv("KPMEM_DURABILITY_SKIP")) : -1;
	snprintf(self->target, sizeof(self->target), "%s", getenv("KPMEM_VM_PEER_ADDR") ?: "");
	ASSERT_NE(0, self->target[0]) TH_LOG("not on the initiator of a harness pair");
	ASSERT_EQ(0, sh("peer test -c " DAX)) TH_LOG("the target has no " DAX " (run me through pair_setup)");
	sh("peer %s/tools/kpmemctl export-remove --force " EXPORT " >/dev/null 2>&1", build());
	ASSERT_EQ(0, sh("peer %s/tools/kpmemctl export-add " EXPORT " " DAX " --size %lu",
			build(), POOL_SIZE));
	/* Whatever an earlier run left in the device. */
	rpmem_remove(self->target, EXPORT, RPMEM_REMOVE_FORCE);
	self->s.chunks = calloc(MAX_CHUNKS, sizeof(*self->s.chunks));
	ASSERT_NE(NULL, self->s.chunks);
	self->s.pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	ASSERT_NE(MAP_FAILED, self->s.pool);
}

FIXTURE_TEARDOWN(durability)
{
	/* The suite's later tests need the target back. */
	if (self->target_down && sh("peer-vm boot"))
		return;
	if (self->s.rpp)
		rpmem_close(self->s.rpp);
	rpmem_remove(self->target, EXPORT, RPMEM_REMOVE_FORCE);
	sh("peer %s/tools/kpmemctl export-remove --force " EXPORT " >/dev/null 2>&1", build());
	munmap(self->s.pool, POOL_SIZE);
	free(self->s.chunks);
	note("done\n");
}

TEST_F_TIMEOUT(durability, acknowledged_persists_survive_target_kill, 280)
{
	struct stream *s = &self->s;
	struct lane_arg args[MAX_LANES];
	pthread_t threads[MAX_LANES];
	struct rpmem_pool_attr attr, got;
	size_t (*ranges)[2], nranges, i, total = 0;
	double t0, t_kill, t_killed, t_noticed, t, dt;
	unsigned int nlanes = MAX_LANES, n_inflight = 0, n_unsent = 0, lost = 0, j;
	char expect_file[] = "/tmp/durability.XXXXXX", *args_buf;
	uint8_t *back;
	uint64_t seed;
	int fd, err, ret;
	FILE *f;

	/* A pattern no earlier run left on the device. */
	seed = mix((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
	for (i = 0; i < POOL_SIZE / 8; i++)
		((uint64_t *)s->pool)[i] = mix(seed + i);
	attr = pool_attr(seed);

	s->rpp = rpmem_create(self->target, EXPORT, s->pool, POOL_SIZE, &nlanes, &attr);
	ASSERT_NE(NULL, s->rpp) TH_LOG("rpmem_create: %s", rpmem_errormsg());
	ASSERT_LE(2U, nlanes);
	s->nlanes = nlanes < MAX_LANES ? nlanes : MAX_LANES;
	plan_chunks(s);
	note("pool created on the target, %u lanes granted\n", nlanes);

	/* The stream; the kill lands among the records. */
	t0 = now();
	for (i = 0; i < s->nlanes; i++) {
		args[i] = (struct lane_arg){ .s = s, .lane = i };
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, lane_thread, &args[i]));
	}
	while ((s->bulk_acked < s->nbulk || s->records_acked < KILL_AFTER_RECORDS) &&
	       !s->first_errno && now() - t0 < 120)
		usleep(2000);
	ASSERT_EQ(0, s->first_errno) TH_LOG("persist failed before the kill: %s",
					    strerror(s->first_errno));
	ASSERT_EQ(s->nbulk, s->bulk_acked);
	t_kill = now();
	note("%u bulk persists (%lu bytes, %u lanes) and %u records acknowledged in "
		       "%.1f s; killing the target\n", s->nbulk, BULK_BYTES, s->nlanes,
		       s->records_acked, t_kill - t0);
	ret = sh("peer-vm kill");
	t_killed = now();
	self->target_down = ret == 0;
	ASSERT_EQ(0, ret) TH_LOG("peer-vm kill failed");

	/* The lanes stop at the first failure; if every chunk was in before
	 * the kill, a new persist finds the pool dead. */
	for (i = 0; i < s->nlanes; i++)
		pthread_join(threads[i], NULL);
	if (!s->first_errno) {
		t = now();
		ret = rpmem_persist(s->rpp, HDR_SIZE, 4096, 0, 0);
		if (ret)
			note_failure(s, errno, t);
		note("the stream ended before the kill; a new persist failed after %.2f s\n",
			       now() - t);
		ASSERT_NE(0, ret) TH_LOG("persist to a killed target succeeded");
	}
	t_noticed = s->first_fail - t_killed;
	for (i = 0; i < s->nchunks; i++) {
		n_inflight += s->chunks[i].state == IN_FLIGHT || s->chunks[i].state == FAILED;
		n_unsent += s->chunks[i].state == NOT_SENT;
		if (s->chunks[i].state == ACKED)
			total += s->chunks[i].len;
	}
	note("kill request took %.2f s; first failure %.2f s after it returned (%s); "
		       "the longest failing call took %.2f s\n", t_killed - t_kill, t_noticed,
		       strerror(s->first_errno), s->longest_failing_call);
	note("acknowledged: %zu bytes, %u records; %u chunks in flight, %u never sent\n",
		       total, s->records_acked, n_inflight, n_unsent);
	EXPECT_TRUE(connection_errno(s->first_errno)) TH_LOG("errno %d (%s)", s->first_errno,
							     strerror(s->first_errno));
	EXPECT_GE(NOTICE_LIMIT_S, t_noticed) TH_LOG("the dead target was noticed after %.2f s",
						    t_noticed);
	EXPECT_GE(NOTICE_LIMIT_S, s->longest_failing_call);

	/* Sticky: every data-path call fails at once with the same error. */
	t = now();
	errno = 0;
	EXPECT_EQ(-1, rpmem_persist(s->rpp, HDR_SIZE, 64, 0, 0));
	EXPECT_EQ(s->first_errno, errno);
	errno = 0;
	EXPECT_EQ(-1, rpmem_read(s->rpp, s->pool, HDR_SIZE, 64, 1));
	EXPECT_EQ(s->first_errno, errno);
	errno = 0;
	EXPECT_EQ(-1, rpmem_drain(s->rpp, 1, 0));
	EXPECT_EQ(s->first_errno, errno);
	dt = now() - t;
	EXPECT_GE(0.5, dt) TH_LOG("failing again took %.2f s", dt);
	/* Closing the dead pool does not hang. */
	t = now();
	EXPECT_EQ(0, rpmem_close(s->rpp));
	s->rpp = NULL;
	dt = now() - t;
	note("rpmem_close of the dead pool took %.2f s\n", dt);
	EXPECT_GE(5.0, dt);

	/* The same NVDIMM backing file, a new boot; the same device exported
	 * again: its contents are what the target had when it died. */
	t = now();
	ASSERT_EQ(0, sh("peer-vm boot"));
	self->target_down = false;
	note("the target was booted again in %.1f s\n", now() - t);
	ASSERT_EQ(0, sh("peer %s/tools/kpmemctl export-add " EXPORT " " DAX " --size %lu",
			build(), POOL_SIZE)) TH_LOG("cannot export " DAX " again after the boot");

	ranges = calloc(s->nchunks, sizeof(*ranges));
	ASSERT_NE(NULL, ranges);
	nranges = acked_ranges(s, ranges, s->nchunks);
	ASSERT_LT(0UL, nranges);
	/* " OFF+LEN" each, for dax_sha256 on the target's command line. */
	args_buf = calloc(nranges, 48);
	ASSERT_NE(NULL, args_buf);

	/* On the target: a hash of the acknowledged ranges on the device. */
	fd = mkstemp(expect_file);
	ASSERT_LE(0, fd);
	f = fdopen(fd, "w");
	ASSERT_NE(NULL, f);
	for (i = 0; i < nranges; i++) {
		size_t used = strlen(args_buf);

		fwrite(s->pool + ranges[i][0], 1, ranges[i][1], f);
		snprintf(args_buf + used, 48, " %zu+%zu", ranges[i][0], ranges[i][1]);
	}
	fclose(f);
	ret = sh("a=$(sha256sum < %s | cut -d' ' -f1); "
		 "b=$(peer %s/selftests/rpmem/dax_sha256 " DAX " %lu%s); "
		 "[ \"$a\" = \"$b\" ] || { echo \"# expected $a, the target has $b\"; exit 1; }",
		 expect_file, getenv("KPMEM_TOP") ?: ".", POOL_SIZE, args_buf);
	unlink(expect_file);
	free(args_buf);
	EXPECT_EQ(0, ret) TH_LOG("the target's device does not hold every acknowledged byte");
	note("checked on the target's device\n");

	/* Through librpmem: the pool opens with its attributes and reads back
	 * every acknowledged byte. */
	nlanes = MAX_LANES;
	memset(&got, 0, sizeof(got));
	s->rpp = rpmem_open(self->target, EXPORT, s->pool, POOL_SIZE, &nlanes, &got);
	ASSERT_NE(NULL, s->rpp) TH_LOG("rpmem_open after the restart: %s", rpmem_errormsg());
	EXPECT_EQ(0, memcmp(&attr, &got, sizeof(attr)));
	back = malloc(POOL_SIZE);
	ASSERT_NE(NULL, back);
	memset(back, 0, POOL_SIZE);
	for (i = 0; i < nranges; i++) {
		size_t off = ranges[i][0], len = ranges[i][1], k;

		err = rpmem_read(s->rpp, back + off, off, len, i % nlanes);
		ASSERT_EQ(0, err) TH_LOG("rpmem_read [%zu, +%zu): %s", off, len, rpmem_errormsg());
		if (!memcmp(back + off, s->pool + off, len))
			continue;
		for (k = off; back[k] == s->pool[k]; k++)
			;
		lost++;
		for (j = 0; j < s->nchunks; j++) {
			struct chunk *c = &s->chunks[j];

			if (c->off <= k && k < c->off + c->len)
				note("lost: chunk %u [%zu, +%zu) lane %u kind %u, first "
					       "difference at %zu\n", j, c->off, c->len, c->lane,
					       c->kind, k);
		}
	}
	EXPECT_EQ(0U, lost) TH_LOG("acknowledged persists were lost (%u ranges differ)", lost);
	free(back);
	free(ranges);
	if (!lost && !ret)
		note("every acknowledged byte (%zu in %zu ranges) is on the target\n",
			       total, nranges);
}

TEST_HARNESS_MAIN
