// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring commands on a remote pool (lib/include/rpmem_uring.h), between
 * the two guests of a pair: batches across lanes and threads verified on
 * the target, error CQEs, drain ordering, and rings or processes going
 * away with commands in flight.  Run through selftests/rpmem/pair_setup,
 * which gives the target /dev/dax1.0.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librpmem.h>
#include <rpmem_uring.h>

#include "kselftest_harness.h"
#include "../lib/guest_util.h"

#define MiB (1UL << 20)
#define POOL_SIZE (32 * MiB)
#define HDR 4096
#define NTHREADS 4
#define PER_THREAD 1024
#define BATCH 64
#define URING_TEST(name) TEST_F_TIMEOUT(uring, name, 240)

static RPMEMpool *pool_create(void *addr, unsigned int *nlanes)
{
	struct rpmem_pool_attr attr = { .major = 1 };

	memcpy(attr.signature, "URINGTS", 8);
	return rpmem_create(getenv("KPMEM_VM_PEER_ADDR"), "remote.set", addr, POOL_SIZE, nlanes,
			    &attr);
}

FIXTURE(uring) {
	uint8_t *pool;
	RPMEMpool *rpp;
	unsigned int nlanes;
};

FIXTURE_SETUP(uring)
{
	self->pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	ASSERT_NE(MAP_FAILED, self->pool);
	/* A test that died leaves its export behind. */
	run("peer %s export-remove --force remote.set >/dev/null 2>&1", kpmemctl());
	ASSERT_EQ(0, run("peer %s export-add remote.set /dev/dax1.0 --size 64M >/dev/null",
			 kpmemctl()));
	/* The device keeps what an earlier test left: no pool on it. */
	rpmem_remove(getenv("KPMEM_VM_PEER_ADDR"), "remote.set", RPMEM_REMOVE_FORCE);
	self->nlanes = NTHREADS;
	self->rpp = pool_create(self->pool, &self->nlanes);
	if (!self->rpp) {
		TH_LOG("rpmem_create: %s", rpmem_errormsg());
		/* Teardown does not run after a failed setup. */
		run("peer %s export-remove --force remote.set >/dev/null 2>&1", kpmemctl());
	}
	ASSERT_NE(NULL, self->rpp);
	ASSERT_EQ(NTHREADS, (int)self->nlanes);
}

FIXTURE_TEARDOWN(uring)
{
	if (self->rpp) {
		rpmem_close(self->rpp);
		rpmem_remove(getenv("KPMEM_VM_PEER_ADDR"), "remote.set", RPMEM_REMOVE_FORCE);
	}
	run("peer %s export-remove --force remote.set >/dev/null 2>&1", kpmemctl());
	munmap(self->pool, POOL_SIZE);
}

/* An SQE, or the test dies: every ring here is sized for what it submits. */
static struct io_uring_sqe *sqe_of(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		abort();
	return sqe;
}

/* Reap @n CQEs; return how many had res != @want (the first one's res in *bad). */
static int reap(struct io_uring *ring, unsigned int n, int want, int *bad)
{
	struct io_uring_cqe *cqe;
	int wrong = 0;

	while (n--) {
		if (io_uring_wait_cqe(ring, &cqe))
			return -1;
		if (cqe->res != want) {
			if (!wrong)
				*bad = cqe->res;
			wrong++;
		}
		io_uring_cqe_seen(ring, cqe);
	}
	return wrong;
}

/* Submit one command prepared by @prep-style arguments and return its res. */
static int one_cmd(struct io_uring *ring, __u32 op, __u64 off, __u64 len, __u64 buf,
		   unsigned int lane, unsigned int flags, int fd)
{
	struct io_uring_sqe *sqe = sqe_of(ring);
	struct io_uring_cqe *cqe;
	int res;

	rpmem_uring_prep_cmd(sqe, fd, op, off, len, buf, lane, flags);
	if (io_uring_submit(ring) != 1 || io_uring_wait_cqe(ring, &cqe))
		return -EIO;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

struct writer {
	RPMEMpool *rpp;
	uint8_t *pool;
	unsigned int lane;
	int failed;		/* CQEs with res != 0 */
	int first_bad;
	int setup_err;
};

/*
 * Lane @lane owns the pool slice [HDR + lane * slice, ...): PER_THREAD
 * persists of 64 B to 4 KiB at scattered offsets, BATCH per submission.
 */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	size_t slice = (POOL_SIZE - HDR) / NTHREADS;
	size_t base = HDR + w->lane * slice;
	struct io_uring ring;
	unsigned int i, j;

	w->setup_err = rpmem_uring_queue_init(BATCH, &ring, 0);
	if (w->setup_err)
		return NULL;
	srand(w->lane + 1);
	for (i = 0; i < PER_THREAD; i += BATCH) {
		for (j = 0; j < BATCH; j++) {
			size_t len = 64 << (rand() % 7);	/* 64 B .. 4 KiB */
			size_t off = base + ((size_t)rand() % (slice - len));
			struct io_uring_sqe *sqe = sqe_of(&ring);

			memset(w->pool + off, (int)(i + j + w->lane), len);
			rpmem_prep_persist(sqe, w->rpp, off, len, w->lane,
					   j % 2 ? RPMEM_PERSIST_RELAXED : 0);
			sqe->user_data = i + j;
		}
		if (io_uring_submit(&ring) != BATCH) {
			w->setup_err = -EIO;
			break;
		}
		w->failed += reap(&ring, BATCH, 0, &w->first_bad);
	}
	io_uring_queue_exit(&ring);
	return NULL;
}

/* The target's device holds what the local pool holds past the header. */
static int target_matches(struct __test_metadata *_metadata, const uint8_t *pool)
{
	const char *tmp = "/tmp/uring-local.bin";
	FILE *f = fopen(tmp, "w");

	if (!f || fwrite(pool + HDR, 1, POOL_SIZE - HDR, f) != POOL_SIZE - HDR || fclose(f))
		return -1;
	/* The initiator's /tmp is not the target's: compare digests. */
	return run("want=$(sha256sum < %s | cut -d' ' -f1); "
		   "got=$(peer python3 -c 'import mmap,os,hashlib; "
		   "fd=os.open(\"/dev/dax1.0\", os.O_RDONLY); "
		   "m=mmap.mmap(fd, 64<<20, mmap.MAP_SHARED, mmap.PROT_READ); "
		   "print(hashlib.sha256(m[%u:%lu]).hexdigest())'); "
		   "[ \"$want\" = \"$got\" ] || { echo \"target digest $got, local $want\" >&2; exit 1; }",
		   tmp, HDR, POOL_SIZE);
}

URING_TEST(thousands_of_persists_across_lanes_and_threads_land_byte_for_byte)
{
	struct writer w[NTHREADS];
	pthread_t t[NTHREADS];
	uint8_t *back;
	double t0;
	int i;

	/* The device holds earlier tests' data: start from the local pool's. */
	ASSERT_EQ(0, rpmem_persist(self->rpp, HDR, POOL_SIZE - HDR, 0, 0));
	t0 = now();
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct writer){ .rpp = self->rpp, .pool = self->pool, .lane = i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, writer_main, &w[i]));
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, w[i].setup_err);
		EXPECT_EQ(0, w[i].failed) TH_LOG("lane %d: first bad res %d", i, w[i].first_bad);
	}
	TH_LOG("%d persists on %d lanes in %.1f s", NTHREADS * PER_THREAD, NTHREADS, now() - t0);

	/* What the target has: through the initiator (RDMA READ) and on its device. */
	back = malloc(POOL_SIZE);
	ASSERT_NE(NULL, back);
	ASSERT_EQ(0, rpmem_read(self->rpp, back + HDR, HDR, POOL_SIZE - HDR, 0));
	EXPECT_EQ(0, memcmp(back + HDR, self->pool + HDR, POOL_SIZE - HDR));
	free(back);
	EXPECT_EQ(0, target_matches(_metadata, self->pool));
}

URING_TEST(bad_commands_complete_with_einval_and_lose_nothing)
{
	int fd = rpmem_pool_fd(self->rpp);
	struct io_uring ring, plain;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	uint8_t buf[256];

	ASSERT_EQ(0, rpmem_uring_queue_init(8, &ring, 0));
	/* Beyond the pool, into the header, straddling the end, overflowing. */
	EXPECT_EQ(-EINVAL, one_cmd(&ring, KPMEM_URING_CMD_PERSIST, POOL_SIZE, 64, 0, 0, 0, fd));
	EXPECT_EQ(-EINVAL, one_cmd(&ring, KPMEM_URING_CMD_PERSIST, 0, 64, 0, 0, 0, fd));
	EXPECT_EQ(-EINVAL, one_cmd(&ring, KPMEM_URING_CMD_PERSIST, POOL_SIZE - 32, 64, 0, 0, 0,
				   fd));
	EXPECT_EQ(-EINVAL, one_cmd(&ring, KPMEM_URING_CMD_PERSIST, ~0ULL - 8, 64, 0, 0, 0, fd));
	EXPECT_EQ(-EINVAL, one_cmd(&ring, KPMEM_URING_CMD_READ, POOL_SIZE, 1, (uintptr_t)buf, 0,
				   0, fd));
	/* Bad lane, bad flags, a buffer where none belongs, a non-empty drain, >4 GiB. */
	EXPECT_EQ(-EINVAL, one_cmd(&ring, KPMEM_URING_CMD_PERSIST, HDR, 64, 0, self->nlanes, 0,
				   fd));
	EXPECT_EQ(-EINVAL, one_cmd(&ring, KPMEM_URING_CMD_DRAIN, 0, 0, 0, 99, 0, fd));
	EXPECT_EQ(-EINVAL, one_cmd(&ring, KPMEM_URING_CMD_PERSIST, HDR, 64, 0, 0, 0x100, fd));
	EXPECT_EQ(-EINVAL, one_cmd(&ring, KPMEM_URING_CMD_FLUSH, HDR, 64, 0, 0, KPMEM_IO_DEEP,
				   fd));
	EXPECT_EQ(-EINVAL, one_cmd(&ring, KPMEM_URING_CMD_PERSIST, HDR, 64, 1, 0, 0, fd));
	EXPECT_EQ(-EINVAL, one_cmd(&ring, KPMEM_URING_CMD_DRAIN, HDR, 0, 0, 0, 0, fd));
	EXPECT_EQ(-EINVAL, one_cmd(&ring, KPMEM_URING_CMD_PERSIST, HDR, 1ULL << 32, 0, 0, 0,
				   fd));
	EXPECT_EQ(-ENOTTY, one_cmd(&ring, KPMEM_URING_CMD_PERSIST + 0x10, HDR, 64, 0, 0, 0, fd));
	/* A read into memory that is not there. */
	EXPECT_EQ(-EFAULT, one_cmd(&ring, KPMEM_URING_CMD_READ, HDR, 64, 8, 0, 0, fd));

	/* The pool still works after all that, read included. */
	memset(self->pool + HDR, 0x5a, sizeof(buf));
	EXPECT_EQ(0, one_cmd(&ring, KPMEM_URING_CMD_PERSIST, HDR, sizeof(buf), 0, 0, 0, fd));
	EXPECT_EQ(0, one_cmd(&ring, KPMEM_URING_CMD_READ, HDR, sizeof(buf), (uintptr_t)buf, 0, 0,
			     fd));
	EXPECT_EQ(0, memcmp(buf, self->pool + HDR, sizeof(buf)));
	/* Zero-length commands are done at once. */
	EXPECT_EQ(0, one_cmd(&ring, KPMEM_URING_CMD_PERSIST, HDR, 0, 0, 0, 0, fd));
	io_uring_queue_exit(&ring);

	/* A ring without 128-byte SQEs has no room for the command. */
	ASSERT_EQ(0, io_uring_queue_init(8, &plain, 0));
	sqe = sqe_of(&plain);
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = KPMEM_URING_CMD_DRAIN;
	ASSERT_EQ(1, io_uring_submit(&plain));
	ASSERT_EQ(0, io_uring_wait_cqe(&plain, &cqe));
	EXPECT_EQ(-EINVAL, cqe->res);
	io_uring_cqe_seen(&plain, cqe);
	io_uring_queue_exit(&plain);
}

URING_TEST(flushes_then_drain_in_one_submission_drain_means_all_durable)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	uint8_t *back = malloc(MiB);
	unsigned int i, seen = 0;

	ASSERT_NE(NULL, back);
	for (i = 0; i < 100; i++)
		memset(self->pool + HDR + i * 8192, i + 1, 8192);
	ASSERT_EQ(0, rpmem_uring_queue_init(128, &ring, 0));
	for (i = 0; i < 100; i++) {
		struct io_uring_sqe *sqe = sqe_of(&ring);

		rpmem_prep_flush(sqe, self->rpp, HDR + i * 8192, 8192, 1, 0);
		sqe->user_data = i;
	}
	{
		struct io_uring_sqe *sqe = sqe_of(&ring);

		rpmem_prep_drain(sqe, self->rpp, 1);
		sqe->user_data = 1000;
	}
	ASSERT_EQ(101, io_uring_submit(&ring));
	for (i = 0; i < 101; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		EXPECT_EQ(0, cqe->res);
		if (cqe->user_data == 1000) {
			/*
			 * The drain's guarantee: every flush before it on the
			 * lane is durable, whether or not its CQE was reaped yet
			 * (io_uring does not order CQEs of task work).
			 */
			TH_LOG("drain CQE after %u of 100 flush CQEs", seen);
			ASSERT_EQ(0, rpmem_read(self->rpp, back, HDR, 100 * 8192, 2));
			EXPECT_EQ(0, memcmp(back, self->pool + HDR, 100 * 8192));
		} else {
			seen++;
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	EXPECT_EQ(100U, seen);
	io_uring_queue_exit(&ring);
	free(back);
}

URING_TEST(rpmem_flushes_and_one_drain_make_everything_durable)
{
	uint8_t *back = malloc(MiB);
	unsigned int i;
	double t0;

	ASSERT_NE(NULL, back);
	for (i = 0; i < 200; i++)
		memset(self->pool + HDR + i * 4096, 0xc0 + i % 16, 4096);
	/* librpmem queues flushes on the lane's ring; the drain submits them. */
	t0 = now();
	for (i = 0; i < 200; i++)
		ASSERT_EQ(0, rpmem_flush(self->rpp, HDR + i * 4096, 4096, 3, 0))
			TH_LOG("%s", rpmem_errormsg());
	ASSERT_EQ(0, rpmem_drain(self->rpp, 3, 0)) TH_LOG("%s", rpmem_errormsg());
	TH_LOG("200 flushes + drain: %.2f s", now() - t0);
	ASSERT_EQ(0, rpmem_read(self->rpp, back, HDR, 200 * 4096, 0));
	EXPECT_EQ(0, memcmp(back, self->pool + HDR, 200 * 4096));
	/* Misuse is still reported by the flush itself. */
	EXPECT_EQ(-1, rpmem_flush(self->rpp, POOL_SIZE, 64, 3, 0));
	EXPECT_EQ(EINVAL, errno);
	/* An empty drain is fine. */
	EXPECT_EQ(0, rpmem_drain(self->rpp, 3, 0));
	free(back);
}

URING_TEST(sqpoll_ring_with_a_registered_pool_fd)
{
	int fd = rpmem_pool_fd(self->rpp), bad = 0;
	struct io_uring ring;
	uint8_t *back = malloc(64 * 8192);
	unsigned int i;

	ASSERT_NE(NULL, back);
	ASSERT_EQ(0, rpmem_uring_queue_init(64, &ring, IORING_SETUP_SQPOLL));
	ASSERT_EQ(0, io_uring_register_files(&ring, &fd, 1));
	for (i = 0; i < 64; i++) {
		struct io_uring_sqe *sqe = sqe_of(&ring);

		memset(self->pool + HDR + i * 8192, 0x90 + i, 8192);
		rpmem_prep_persist(sqe, self->rpp, HDR + i * 8192, 8192, i % self->nlanes, 0);
		sqe->fd = 0;			/* the registered file's index */
		sqe->flags |= IOSQE_FIXED_FILE;
	}
	ASSERT_EQ(64, io_uring_submit(&ring));
	EXPECT_EQ(0, reap(&ring, 64, 0, &bad)) TH_LOG("first bad res %d", bad);
	io_uring_queue_exit(&ring);
	ASSERT_EQ(0, rpmem_read(self->rpp, back, HDR, 64 * 8192, 0));
	EXPECT_EQ(0, memcmp(back, self->pool + HDR, 64 * 8192));
	free(back);
}

URING_TEST(ring_closed_with_commands_in_flight_leaves_pool_working)
{
	struct io_uring ring;
	unsigned int i;

	ASSERT_EQ(0, rpmem_uring_queue_init(256, &ring, 0));
	for (i = 0; i < 256; i++)
		rpmem_prep_persist(sqe_of(&ring), self->rpp, HDR + i * 64 * 1024,
				   64 * 1024, i % self->nlanes, 0);
	ASSERT_EQ(256, io_uring_submit(&ring));
	io_uring_queue_exit(&ring);	/* waits or cancels; must not hang or leak */
	memset(self->pool + HDR, 0x77, 4096);
	EXPECT_EQ(0, rpmem_persist(self->rpp, HDR, 4096, 0, 0)) TH_LOG("%s", rpmem_errormsg());
}

URING_TEST(process_killed_with_commands_in_flight_releases_the_export)
{
	int ready[2];
	pid_t pid;
	char c;
	int status;
	double t0;

	/* The child owns a pool of its own: ours goes first. */
	rpmem_close(self->rpp);
	self->rpp = NULL;
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned int nlanes = 2, i;
		struct io_uring ring;
		RPMEMpool *rpp = rpmem_open(getenv("KPMEM_VM_PEER_ADDR"), "remote.set",
					    self->pool, POOL_SIZE, &nlanes, NULL);

		if (!rpp || rpmem_uring_queue_init(512, &ring, 0))
			_exit(1);
		for (i = 0; i < 512; i++)
			rpmem_prep_persist(sqe_of(&ring), rpp, HDR + i * 32 * 1024,
					   32 * 1024, i % nlanes, 0);
		if (io_uring_submit(&ring) != 512)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("the child could not submit");
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	/*
	 * The dead process's ring is torn down asynchronously: its commands
	 * complete (bounded by the request timeout), then the pool file goes
	 * and the target lets go of the export.
	 */
	t0 = now();
	do {
		self->nlanes = NTHREADS;
		self->rpp = rpmem_open(getenv("KPMEM_VM_PEER_ADDR"), "remote.set", self->pool,
				       POOL_SIZE, &self->nlanes, NULL);
	} while (!self->rpp && errno == EBUSY && now() - t0 < 15 && !usleep(200 * 1000));
	ASSERT_NE(NULL, self->rpp) TH_LOG("rpmem_open after the kill: %s", rpmem_errormsg());
	TH_LOG("the export was free again %.1f s after the kill", now() - t0);
	EXPECT_EQ(0, rpmem_persist(self->rpp, HDR, 4096, 0, 0));
}

URING_TEST(link_down_mid_batch_fails_every_cqe_within_seconds)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	unsigned int i, failed = 0;
	double t0, waited;

	ASSERT_EQ(0, rpmem_uring_queue_init(256, &ring, 0));
	/*
	 * The target drops off the link for a while (the peer link carries
	 * `peer` too): longer than the request timeout, shorter than the
	 * target's initiator timeout (fault_test covers that case).
	 */
	ASSERT_EQ(0, run("peer sh -c '(ip link set eth0 down; sleep 8; ip link set eth0 up) "
			 ">/dev/null 2>&1 &'"));
	/* Under TCG the target takes its time: submit once it is really gone. */
	for (i = 0; i < 20 && !run("ping -c 1 -W 1 %s >/dev/null 2>&1",
				   getenv("KPMEM_VM_PEER_ADDR")); i++)
		;
	ASSERT_GT(20U, i) TH_LOG("the target's link never went down");
	t0 = now();
	for (i = 0; i < 256; i++)
		rpmem_prep_persist(sqe_of(&ring), self->rpp, HDR + i * 16 * 1024,
				   16 * 1024, i % self->nlanes, 0);
	ASSERT_EQ(256, io_uring_submit(&ring));
	for (i = 0; i < 256; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		if (cqe->res < 0)
			failed++;
		io_uring_cqe_seen(&ring, cqe);
	}
	waited = now() - t0;
	io_uring_queue_exit(&ring);
	EXPECT_EQ(256U, failed);
	/* request_timeout_ms is 4 s; TCG scheduling gets a little slack. */
	EXPECT_GT(8.0, waited) TH_LOG("the last CQE came after %.1f s", waited);
	/* Sticky: synchronous calls fail fast too. */
	t0 = now();
	EXPECT_EQ(-1, rpmem_persist(self->rpp, HDR, 64, 0, 0));
	EXPECT_GT(1.0, now() - t0);
	/* Wait for the link to come back so teardown can reach the target. */
	for (i = 0; i < 40 && run("peer true >/dev/null 2>&1"); i++)
		sleep(1);
}

TEST_HARNESS_MAIN
