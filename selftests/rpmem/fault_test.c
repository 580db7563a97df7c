// SPDX-License-Identifier: GPL-2.0
/*
 * Faults under a connected pool, between the two guests of a pair: the
 * initiator's RDMA device removed (idle, and with io_uring commands in
 * flight), the initiator's link cut under an idle pool, the target's module
 * unloaded, the initiator's module asked to unload.  Each must fail the pool fast with
 * a sticky error (or be refused, for the last), close cleanly, and leave
 * both sides able to serve a new pool.
 */
#include <errno.h>
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

#define POOL_SIZE (4UL << 20)
#define FAULT_TEST(name) TEST_F_TIMEOUT(fault, name, 180)

FIXTURE(fault) {
	char *pool;
	RPMEMpool *rpp;
	const char *peer;
};

static int export_add(void)
{
	return run("peer sh -c 'rm -f /tmp/fault.img; \"$KPMEM_BUILD\"/tools/kpmemctl export-add "
		   "fault.set /tmp/fault.img --size 8M' >/dev/null");
}

static RPMEMpool *pool_create(struct __test_metadata *_metadata, void *mem, const char *peer)
{
	struct rpmem_pool_attr attr = { .major = 1 };
	unsigned int nlanes = 2;

	memcpy(attr.signature, "FAULTTS", 8);
	rpmem_remove(peer, "fault.set", RPMEM_REMOVE_FORCE);
	return rpmem_create(peer, "fault.set", mem, POOL_SIZE, &nlanes, &attr);
}

FIXTURE_SETUP(fault)
{
	self->peer = getenv("KPMEM_VM_PEER_ADDR");
	self->pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	ASSERT_NE(MAP_FAILED, self->pool);
	run("peer \"$KPMEM_BUILD\"/tools/kpmemctl export-remove --force fault.set "
	    ">/dev/null 2>&1");
	ASSERT_EQ(0, export_add());
	self->rpp = pool_create(_metadata, self->pool, self->peer);
	ASSERT_NE(NULL, self->rpp) TH_LOG("%s", rpmem_errormsg());
	memset(self->pool + 4096, 0x21, 65536);
	ASSERT_EQ(0, rpmem_persist(self->rpp, 4096, 65536, 0, 0));
}

FIXTURE_TEARDOWN(fault)
{
	if (self->rpp)
		rpmem_close(self->rpp);
	run("peer sh -c 'echo 10000 > /sys/module/kpmem/parameters/initiator_timeout_ms' 2>/dev/null");
	run("peer \"$KPMEM_BUILD\"/tools/kpmemctl export-remove --force fault.set "
	    ">/dev/null 2>&1");
	munmap(self->pool, POOL_SIZE);
}

/* The pool is dead: a persist fails fast, again and again, and close works. */
static void expect_dead(struct __test_metadata *_metadata, RPMEMpool **rpp, double limit)
{
	double t0 = now();
	int err;

	EXPECT_EQ(-1, rpmem_persist(*rpp, 4096, 4096, 0, 0));
	err = errno;
	EXPECT_GT(limit, now() - t0) TH_LOG("the failure took %.1f s", now() - t0);
	TH_LOG("failed with %s after %.1f s: %s", strerror(err), now() - t0, rpmem_errormsg());
	t0 = now();
	EXPECT_EQ(-1, rpmem_persist(*rpp, 4096, 64, 1, 0));
	EXPECT_EQ(err, errno);
	EXPECT_GT(0.5, now() - t0);
	EXPECT_EQ(0, rpmem_close(*rpp));
	*rpp = NULL;
}

/* A new pool connects within 10 s (after @what) and persists. */
static void pool_works_again(struct __test_metadata *_metadata, FIXTURE_DATA(fault) *self,
			     const char *what)
{
	for (int i = 0; i < 50 && !self->rpp; i++) {
		self->rpp = pool_create(_metadata, self->pool, self->peer);
		if (!self->rpp)
			usleep(200 * 1000);
	}
	ASSERT_NE(NULL, self->rpp) TH_LOG("after %s: %s", what, rpmem_errormsg());
	EXPECT_EQ(0, rpmem_persist(self->rpp, 4096, 4096, 0, 0));
}

/* rxe0 back after its removal, and a new pool through it works. */
static void device_comes_back(struct __test_metadata *_metadata, FIXTURE_DATA(fault) *self)
{
	ASSERT_EQ(0, run("rdma link add rxe0 type rxe netdev eth0"));
	/* A new device takes a moment to get its GID for the address. */
	pool_works_again(_metadata, self, "the device came back");
}

FAULT_TEST(initiator_rdma_device_removed_under_an_open_pool)
{
	ASSERT_EQ(0, run("rdma link delete rxe0"));
	expect_dead(_metadata, &self->rpp, 6.0);
	device_comes_back(_metadata, self);
}

FAULT_TEST(initiator_rdma_device_removed_with_io_uring_commands_in_flight)
{
	const unsigned int n = 128, len = 64 * 1024;
	unsigned int i, failed = 0;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	double t0;

	ASSERT_EQ(0, rpmem_uring_queue_init(n, &ring, 0));
	/* 8 MiB in 64 KiB persists on both lanes: more than a TCG link moves at once. */
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		ASSERT_NE(NULL, sqe);
		rpmem_prep_persist(sqe, self->rpp, 4096 + (i % 48) * len, len, i % 2, 0);
	}
	ASSERT_EQ((int)n, io_uring_submit(&ring));
	ASSERT_EQ(0, run("rdma link delete rxe0"));
	/* Every command completes, once, soon; none is left behind. */
	t0 = now();
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		if (cqe->res < 0)
			failed++;
		else
			EXPECT_EQ(0, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
	EXPECT_GT(8.0, now() - t0) TH_LOG("the last CQE came after %.1f s", now() - t0);
	EXPECT_NE(0, io_uring_peek_cqe(&ring, &cqe));
	TH_LOG("%u of %u persists failed with the device gone", failed, n);
	io_uring_queue_exit(&ring);
	EXPECT_EQ(0, kpmem_live("uring_cmds", 0));
	expect_dead(_metadata, &self->rpp, 6.0);
	EXPECT_EQ(0, kpmem_live("pool_pinned_pages", 0));
	device_comes_back(_metadata, self);
}

/*
 * The initiator's link is cut while its pool sits idle.  Its keepalives go
 * unanswered, so the pool fails by itself and every later call fails at
 * once; the target hears nothing (not even a disconnect) and drops the
 * silent initiator, so the export is free when the link comes back.
 */
FAULT_TEST(initiator_link_cut_under_an_idle_pool)
{
	double t0;
	int i;

	ASSERT_EQ(0, run("peer sh -c 'echo 3000 > /sys/module/kpmem/parameters/initiator_timeout_ms'"));
	ASSERT_EQ(0, run("ip link set eth0 down; sleep 8; ip link set eth0 up"));
	t0 = now();
	EXPECT_EQ(-1, rpmem_persist(self->rpp, 4096, 4096, 0, 0));
	EXPECT_GT(0.5, now() - t0) TH_LOG("the idle pool had not noticed: %s", rpmem_errormsg());
	EXPECT_EQ(0, rpmem_close(self->rpp));
	self->rpp = NULL;
	for (i = 0; i < 40 && run("peer true >/dev/null 2>&1"); i++)
		sleep(1);
	EXPECT_EQ(0, run("peer sh -c 'dmesg | grep -q \"silent for\"'"))
		TH_LOG("the target did not drop the silent initiator");
	EXPECT_EQ(0, kpmem_live("target_conns", 1));
	EXPECT_EQ(0, run("peer sh -c 'echo 10000 > /sys/module/kpmem/parameters/initiator_timeout_ms'"));
	pool_works_again(_metadata, self, "the link came back");
}

/*
 * The target's own link is down for longer than its initiator timeout: it
 * must not count that as the initiator's silence, and a new pool must
 * connect once the link is back.
 */
#define SINCE_MARK(what) \
	"dmesg | sed -n \"/fault_test: target link down/,\\$p\" | grep -q \"" what "\""
#define SILENT_SINCE_MARK SINCE_MARK("silent for")

FAULT_TEST(target_link_down_longer_than_its_initiator_timeout)
{
	double t0;
	int i;

	ASSERT_EQ(0, run("peer sh -c 'echo 3000 > /sys/module/kpmem/parameters/initiator_timeout_ms'"));
	/* Only what the target logs from here on counts. */
	ASSERT_EQ(0, run("peer sh -c 'echo fault_test: target link down > /dev/kmsg'"));
	ASSERT_EQ(0, run("peer sh -c '(ip link set eth0 down; sleep 8; ip link set eth0 up) "
			 ">/dev/null 2>&1 &'"));
	for (i = 0; i < 20 && !run("ping -c 1 -W 1 %s >/dev/null 2>&1", self->peer); i++)
		;
	ASSERT_GT(20, i) TH_LOG("the target's link never went down");
	/* The initiator's keepalive or this persist notices within the request timeout. */
	t0 = now();
	EXPECT_EQ(-1, rpmem_persist(self->rpp, 4096, 4096, 0, 0));
	EXPECT_GT(6.0, now() - t0) TH_LOG("the failure took %.1f s", now() - t0);
	EXPECT_EQ(0, rpmem_close(self->rpp));
	self->rpp = NULL;
	for (i = 0; i < 40 && run("peer true >/dev/null 2>&1"); i++)
		sleep(1);
	ASSERT_GT(40, i) TH_LOG("the target's link never came back");
	EXPECT_NE(0, run("peer sh -c '%s'", SILENT_SINCE_MARK))
		TH_LOG("the target dropped the initiator while its own link was down");
	/*
	 * Gone soon after the link is back: the initiator's disconnect gets
	 * through then, or else the watchdog drops the silent initiator.
	 */
	for (i = 0; i < 100 && kpmem_live("target_conns", 1); i++)
		usleep(100 * 1000);
	EXPECT_EQ(0, kpmem_live("target_conns", 1));
	pool_works_again(_metadata, self, "the link came back");
}

/*
 * The target drops a connection while its own link is down (the export is
 * removed under it).  rxe fails a send into a down port by putting the QP in
 * error, and its GSI QP never recovers: a DREQ sent then would leave the
 * target deaf to every later connection request.  The disconnect must wait
 * for the link, and a new pool must connect once it is back.
 */
FAULT_TEST(target_drops_a_connection_while_its_link_is_down)
{
	int i;

	ASSERT_EQ(0, run("peer sh -c 'echo fault_test: target link down > /dev/kmsg'"));
	ASSERT_EQ(0, run("peer sh -c '(ip link set eth0 down; sleep 1; "
			 "\"$KPMEM_BUILD\"/tools/kpmemctl export-remove --force fault.set; "
			 "sleep 5; ip link set eth0 up) >/dev/null 2>&1 &'"));
	for (i = 0; i < 20 && !run("ping -c 1 -W 1 %s >/dev/null 2>&1", self->peer); i++)
		;
	ASSERT_GT(20, i) TH_LOG("the target's link never went down");
	expect_dead(_metadata, &self->rpp, 6.0);
	for (i = 0; i < 40 && run("peer true >/dev/null 2>&1"); i++)
		sleep(1);
	ASSERT_GT(40, i) TH_LOG("the target's link never came back");
	EXPECT_EQ(0, run("peer sh -c '%s'", SINCE_MARK("waits for it")))
		TH_LOG("the target did not drop the connection while its link was down");
	for (i = 0; i < 100 && kpmem_live("target_conns", 1); i++)
		usleep(100 * 1000);
	EXPECT_EQ(0, kpmem_live("target_conns", 1));
	ASSERT_EQ(0, export_add());
	pool_works_again(_metadata, self, "a disconnect held over the target's outage");
}

/*
 * The initiator closes a pool while its own link is down: the close gives up
 * on telling the target, and the disconnect must wait for the link, or rxe's
 * GSI QP on this host dies and it connects nowhere again.
 */
FAULT_TEST(initiator_closes_a_pool_while_its_link_is_down)
{
	double t0;

	/* Only what this guest logs from here on counts. */
	ASSERT_EQ(0, run("echo fault_test: initiator link down > /dev/kmsg"));
	ASSERT_EQ(0, run("ip link set eth0 down"));
	t0 = now();
	EXPECT_EQ(0, rpmem_close(self->rpp));
	self->rpp = NULL;
	EXPECT_GT(6.0, now() - t0) TH_LOG("the close took %.1f s", now() - t0);
	ASSERT_EQ(0, run("ip link set eth0 up"));
	EXPECT_EQ(0, run("dmesg | sed -n '/fault_test: initiator link down/,$p' | "
			 "grep -q 'waits for it'"))
		TH_LOG("the close did not hold the disconnect");
	pool_works_again(_metadata, self, "a close during the initiator's outage");
}

FAULT_TEST(target_module_unloaded_with_a_connected_initiator)
{
	/* The target tears connections down rather than refusing to unload. */
	ASSERT_EQ(0, run("peer rmmod kpmem"));
	expect_dead(_metadata, &self->rpp, 6.0);
	ASSERT_EQ(0, run("peer sh -c 'insmod \"$KPMEM_KO\"'"));
	ASSERT_EQ(0, export_add());
	self->rpp = pool_create(_metadata, self->pool, self->peer);
	ASSERT_NE(NULL, self->rpp) TH_LOG("%s", rpmem_errormsg());
	EXPECT_EQ(0, rpmem_persist(self->rpp, 4096, 4096, 0, 0));
}

FAULT_TEST(initiator_module_unload_is_refused_while_a_pool_is_open)
{
	/* Each pool file holds the module: rmmod must fail and change nothing. */
	EXPECT_NE(0, run("rmmod kpmem 2>/dev/null"));
	EXPECT_EQ(0, rpmem_persist(self->rpp, 4096, 4096, 0, 0)) TH_LOG("%s", rpmem_errormsg());
}

TEST_HARNESS_MAIN
