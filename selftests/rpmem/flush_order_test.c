// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem_persist(3) and rpmem_flush(3): a persist, deep persist or drain on
 * a lane makes every earlier flush on that lane durable ("the last
 * rpmem_flush() + rpmem_drain() can be replaced with rpmem_persist()"), a
 * read on a lane sees the lane's earlier writes, and rpmem_close() drops
 * nothing that was flushed.  Each case checks the bytes on the target's
 * media itself (hashed there), not through the initiator.
 *
 * Runs on the initiator of a pair through selftests/rpmem/pair_setup
 * (device DAX on the target), once with librpmem's io_uring flush ring and
 * once with one ioctl per flush (KPMEM_RPMEM_FLUSH_RING=0), plus the
 * io_uring helpers of rpmem_uring.h mixed with synchronous calls.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <librpmem.h>
#include <rpmem_uring.h>

#include "kselftest_harness.h"
#include "../lib/guest_util.h"

#define KiB (1UL << 10)
#define MiB (1UL << 20)
#define POOL_SIZE (4 * MiB)
#define EXPORT "order.set"
#define DAX "/dev/dax1.0"
#define FLUSH_TEST(name) TEST_F_TIMEOUT(order, name, 180)

/* Ranges the cases write: odd sizes and offsets, away from the header. */
static const struct { size_t off, len; } R[] = {
	{ 8 * KiB + 3, 100 },		/* A */
	{ 12 * KiB + 5, 300 },		/* B */
	{ 64 * KiB, 8 * KiB + 1 },	/* C: big enough to travel by RDMA WRITE */
	{ 1 * MiB + 17, 4000 },		/* D */
};
enum { A, B, C, D };

FIXTURE(order) {
	uint8_t *pool;
	RPMEMpool *rpp;
	unsigned int nlanes;
	unsigned int gen;
};

FIXTURE_VARIANT(order) {
	const char *flush_ring;		/* KPMEM_RPMEM_FLUSH_RING */
};

FIXTURE_VARIANT_ADD(order, flush_ring) { .flush_ring = "1" };
FIXTURE_VARIANT_ADD(order, flush_ioctl) { .flush_ring = "0" };

static RPMEMpool *pool_open(void *addr, unsigned int *nlanes, int create)
{
	struct rpmem_pool_attr attr = { .major = 1 };

	memcpy(attr.signature, "FLUSHOR", 8);
	if (create)
		return rpmem_create(getenv("KPMEM_VM_PEER_ADDR"), EXPORT, addr, POOL_SIZE,
				    nlanes, &attr);
	return rpmem_open(getenv("KPMEM_VM_PEER_ADDR"), EXPORT, addr, POOL_SIZE, nlanes, &attr);
}

/* Fill range @i of the local pool with bytes no earlier case wrote there. */
static void fill(struct _test_data_order *self, int i)
{
	self->gen++;
	for (size_t k = 0; k < R[i].len; k++)
		self->pool[R[i].off + k] = (uint8_t)(k * 37 + self->gen * 101 + i);
}

/*
 * Are the ranges in @mask (bits of R's indexes) on the target's media
 * equal to the local pool's bytes?  The target hashes its device, in one
 * call for all of them; we hash what we expect.
 */
static int on_target(struct _test_data_order *self, unsigned int mask)
{
	char path[] = "/dev/shm/flush_order.XXXXXX", cmd[1024], want[80] = "", got[80] = "";
	size_t n = 0;
	FILE *f;
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	n = snprintf(cmd, sizeof(cmd), "peer %s/selftests/rpmem/dax_sha256 %s %lu",
		     getenv("KPMEM_TOP") ?: ".", DAX, 2 * MiB + POOL_SIZE);
	for (unsigned int i = 0; i < sizeof(R) / sizeof(R[0]); i++) {
		if (!(mask & (1u << i)))
			continue;
		if (write(fd, self->pool + R[i].off, R[i].len) != (ssize_t)R[i].len)
			return -1;
		n += snprintf(cmd + n, sizeof(cmd) - n, " %zu+%zu", R[i].off, R[i].len);
	}
	close(fd);
	f = popen(cmd, "r");
	if (!f || !fgets(got, sizeof(got), f))
		return -1;
	pclose(f);
	snprintf(cmd, sizeof(cmd), "sha256sum %s | cut -d' ' -f1", path);
	f = popen(cmd, "r");
	if (!f || !fgets(want, sizeof(want), f))
		return -1;
	pclose(f);
	unlink(path);
	return strcmp(want, got) == 0;
}

#define M(x) (1u << (x))

FIXTURE_SETUP(order)
{
	setenv("KPMEM_RPMEM_FLUSH_RING", variant->flush_ring, 1);
	/* Bytes no earlier case (or run) left on the device. */
	self->gen = (unsigned int)getpid() * 2654435761u ^ (unsigned int)time(NULL);
	self->pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	ASSERT_NE(MAP_FAILED, self->pool);
	/* One round trip to the target: what a killed test left, then a fresh export. */
	ASSERT_EQ(0, run("peer sh -c '%s export-remove --force " EXPORT " 2>/dev/null; "
			 "%s export-add " EXPORT " " DAX " --size 8M' >/dev/null",
			 kpmemctl(), kpmemctl()));
	self->nlanes = 2;
	self->rpp = pool_open(self->pool, &self->nlanes, 1);
	if (!self->rpp && errno == EEXIST) {
		/* A killed test left its pool on the device. */
		rpmem_remove(getenv("KPMEM_VM_PEER_ADDR"), EXPORT, RPMEM_REMOVE_FORCE);
		self->rpp = pool_open(self->pool, &self->nlanes, 1);
	}
	ASSERT_NE(NULL, self->rpp) TH_LOG("rpmem_create: %s", rpmem_errormsg());
	ASSERT_EQ(2u, self->nlanes);
}

FIXTURE_TEARDOWN(order)
{
	if (self->rpp)
		rpmem_close(self->rpp);
	rpmem_remove(getenv("KPMEM_VM_PEER_ADDR"), EXPORT, RPMEM_REMOVE_FORCE);
	run("peer %s export-remove --force " EXPORT " >/dev/null 2>&1", kpmemctl());
	munmap(self->pool, POOL_SIZE);
}

FLUSH_TEST(persist_after_flushes_makes_them_durable)
{
	fill(self, A);
	fill(self, B);
	fill(self, C);
	ASSERT_EQ(0, rpmem_flush(self->rpp, R[A].off, R[A].len, 0, 0));
	ASSERT_EQ(0, rpmem_flush(self->rpp, R[B].off, R[B].len, 0, 0));
	ASSERT_EQ(0, rpmem_persist(self->rpp, R[C].off, R[C].len, 0, 0));
	/* Durable when persist returned: checked with the pool still open. */
	EXPECT_EQ(1, on_target(self, M(A) | M(B) | M(C)));
}

FLUSH_TEST(relaxed_persist_after_flushes_makes_them_durable)
{
	fill(self, A);
	fill(self, D);
	ASSERT_EQ(0, rpmem_flush(self->rpp, R[A].off, R[A].len, 0, RPMEM_FLUSH_RELAXED));
	ASSERT_EQ(0, rpmem_persist(self->rpp, R[D].off, R[D].len, 0, RPMEM_PERSIST_RELAXED));
	EXPECT_EQ(1, on_target(self, M(A) | M(D)));
}

FLUSH_TEST(deep_persist_after_flushes_makes_them_durable)
{
	fill(self, A);
	fill(self, C);
	fill(self, D);
	ASSERT_EQ(0, rpmem_flush(self->rpp, R[A].off, R[A].len, 1, 0));
	ASSERT_EQ(0, rpmem_flush(self->rpp, R[C].off, R[C].len, 1, 0));
	ASSERT_EQ(0, rpmem_deep_persist(self->rpp, R[D].off, R[D].len, 1));
	EXPECT_EQ(1, on_target(self, M(A) | M(C) | M(D)));
}

FLUSH_TEST(read_on_a_lane_sees_its_earlier_flushes)
{
	uint8_t *buf = malloc(R[C].len);

	ASSERT_NE(NULL, buf);
	fill(self, A);
	fill(self, C);
	ASSERT_EQ(0, rpmem_flush(self->rpp, R[A].off, R[A].len, 0, 0));
	ASSERT_EQ(0, rpmem_flush(self->rpp, R[C].off, R[C].len, 0, 0));
	ASSERT_EQ(0, rpmem_read(self->rpp, buf, R[A].off, R[A].len, 0));
	EXPECT_EQ(0, memcmp(buf, self->pool + R[A].off, R[A].len));
	ASSERT_EQ(0, rpmem_read(self->rpp, buf, R[C].off, R[C].len, 0));
	EXPECT_EQ(0, memcmp(buf, self->pool + R[C].off, R[C].len));
	free(buf);
}

FLUSH_TEST(close_sends_what_was_flushed)
{
	fill(self, A);
	fill(self, B);
	ASSERT_EQ(0, rpmem_flush(self->rpp, R[A].off, R[A].len, 0, 0));
	ASSERT_EQ(0, rpmem_flush(self->rpp, R[B].off, R[B].len, 1, 0));
	ASSERT_EQ(0, rpmem_close(self->rpp));
	self->rpp = NULL;
	EXPECT_EQ(1, on_target(self, M(A) | M(B)));
	/* And the pool opened again reads them back. */
	uint8_t buf[300];

	self->rpp = pool_open(self->pool, &self->nlanes, 0);
	ASSERT_NE(NULL, self->rpp) TH_LOG("rpmem_open: %s", rpmem_errormsg());
	ASSERT_EQ(0, rpmem_read(self->rpp, buf, R[B].off, R[B].len, 0));
	EXPECT_EQ(0, memcmp(buf, self->pool + R[B].off, R[B].len));
}

/* A persist on lane 1 need not cover lane 0; a drain on lane 0 must. */
FLUSH_TEST(drain_covers_its_own_lane_whatever_other_lanes_did)
{
	fill(self, A);
	fill(self, B);
	fill(self, D);
	ASSERT_EQ(0, rpmem_flush(self->rpp, R[A].off, R[A].len, 0, 0));
	ASSERT_EQ(0, rpmem_flush(self->rpp, R[D].off, R[D].len, 1, 0));
	ASSERT_EQ(0, rpmem_persist(self->rpp, R[B].off, R[B].len, 1, 0));
	/* Lane 1's flush is covered by lane 1's persist. */
	EXPECT_EQ(1, on_target(self, M(D) | M(B)));
	ASSERT_EQ(0, rpmem_drain(self->rpp, 0, 0));
	EXPECT_EQ(1, on_target(self, M(A)));
}

/*
 * The io_uring helpers: flushes submitted on the application's own ring
 * and not yet completed are earlier flushes on their lane too, for a
 * synchronous persist and a synchronous drain alike.
 */
FLUSH_TEST(uring_flushes_in_flight_are_covered_by_a_sync_persist)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	int n = 0;

	ASSERT_EQ(0, rpmem_uring_queue_init(64, &ring, 0));
	for (int round = 0; round < 2; round++) {
		fill(self, A);
		fill(self, C);
		fill(self, D);
		rpmem_prep_flush(io_uring_get_sqe(&ring), self->rpp, R[A].off, R[A].len, 0, 0);
		rpmem_prep_flush(io_uring_get_sqe(&ring), self->rpp, R[C].off, R[C].len, 0, 0);
		ASSERT_EQ(2, io_uring_submit(&ring));
		n += 2;
		if (round % 2) {
			ASSERT_EQ(0, rpmem_persist(self->rpp, R[D].off, R[D].len, 0, 0));
		} else {
			ASSERT_EQ(0, rpmem_drain(self->rpp, 0, 0));
		}
		EXPECT_EQ(1, on_target(self, M(A) | M(C))) TH_LOG("round %d", round);
		while (n) {
			ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
			EXPECT_EQ(0, cqe->res);
			io_uring_cqe_seen(&ring, cqe);
			n--;
		}
	}
	io_uring_queue_exit(&ring);
}

TEST_HARNESS_MAIN
