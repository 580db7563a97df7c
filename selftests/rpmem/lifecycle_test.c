// SPDX-License-Identifier: GPL-2.0
/*
 * Teardown races, provoked on purpose: RDMA device removal on either side
 * while a pool connects, says HELLO, sits idle, persists (synchronously
 * and in io_uring batches), or while a connection is being released; the
 * target's module unloaded while it accepts a connection; and a forced
 * export removal while its initiator writes, which must return only once
 * that initiator can no longer write.
 *
 * Each race window is a few microseconds in a release build.  The test
 * runs with kpmem's debug build on both guests of a pair
 * (selftests/rpmem/with_debug_hooks), which has stall points
 * (kmod/debug_hook.h): it sets one to stall for seconds, waits until a
 * thread is inside, and removes the device (or the module) then.  Every
 * case must end without a kernel splat (the suite checks dmesg on both
 * guests), with every object given back (the live counters), and with a
 * new pool working afterwards.
 *
 * KPMEM_LIFECYCLE_REPEAT (default 1) repeats each case.
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <librpmem.h>
#include <rpmem_uring.h>

#include "kselftest_harness.h"
#include "../lib/guest_util.h"

#define MiB (1UL << 20)
#define POOL_SIZE (8 * MiB)
#define EXPORTS 3
/*
 * A connect's stall only has to outlast the device removal's start; a
 * teardown's must outlast the whole removal, or the race is not run.
 */
#define STALL_MS 3000
#define LONG_STALL_MS 15000
#define LIFE_TEST(name) TEST_F_TIMEOUT(life, name, 600)

static const char *const export_names[EXPORTS] = { "life0.set", "life1.set", "life2.set" };

static int repeat(void)
{
	const char *e = getenv("KPMEM_LIFECYCLE_REPEAT");

	return e && atoi(e) > 0 ? atoi(e) : 1;
}

/* On the initiator (@target false) or the target, through `peer`. */
static int on(bool target, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int on(bool target, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return target ? run("peer sh -c '%s'", cmd) : run("sh -c '%s'", cmd);
}

/* The target's kpmem, unloaded by a case, loaded again (the debug build). */
static int target_reload(void)
{
	return on(true, "insmod ${KPMEM_KO%%/kmod/kpmem.ko}/debug-hooks/kmod/kpmem.ko");
}

/* Export 0 is the target's device DAX (its HELLO registers memory); the others are files. */
static int exports_add(void)
{
	return run("peer sh -c '%s export-add %s /dev/dax1.0 --size 16M && "
		   "%s export-add %s /tmp/%s.img --size 16M && "
		   "%s export-add %s /tmp/%s.img --size 16M' >/dev/null",
		   kpmemctl(), export_names[0], kpmemctl(), export_names[1], export_names[1],
		   kpmemctl(), export_names[2], export_names[2]);
}

static void exports_remove(void)
{
	run("peer sh -c 'for e in %s %s %s; do %s export-remove --force $e; done' >/dev/null 2>&1",
	    export_names[0], export_names[1], export_names[2], kpmemctl());
}

/*
 * rxe0 on one side gone, and back.  rxe unregisters a device from a work
 * item of ib_core: wait (up to 60 s) until it is really gone.
 */
static int device_delete(bool target)
{
	return on(target, "rdma link delete rxe0 && for i in $(seq 600); do "
		  "test -e /sys/class/infiniband/rxe0 || exit 0; sleep 0.1; done; exit 1");
}

static int device_add(bool target)
{
	return on(target, "rdma link add rxe0 type rxe netdev eth0");
}

FIXTURE(life) {
	uint8_t *pool[EXPORTS];
	RPMEMpool *rpp[EXPORTS];
};

static RPMEMpool *create(FIXTURE_DATA(life) *self, int i)
{
	struct rpmem_pool_attr attr = { .major = 1 };
	unsigned int nlanes = 4;

	memcpy(attr.signature, "LIFECYC", 8);
	rpmem_remove(getenv("KPMEM_VM_PEER_ADDR"), export_names[i], RPMEM_REMOVE_FORCE);
	return rpmem_create(getenv("KPMEM_VM_PEER_ADDR"), export_names[i], self->pool[i],
			    POOL_SIZE, &nlanes, &attr);
}

/* A new pool connects (the device may need a moment for its address) and persists. */
static void works_again(struct __test_metadata *_metadata, FIXTURE_DATA(life) *self,
			const char *after)
{
	RPMEMpool *rpp = NULL;

	for (int i = 0; i < 100 && !rpp; i++) {
		rpp = create(self, 0);
		if (!rpp)
			usleep(200 * 1000);
	}
	ASSERT_NE(NULL, rpp) TH_LOG("after %s: %s", after, rpmem_errormsg());
	EXPECT_EQ(0, rpmem_persist(rpp, 4096, 64 * 1024, 0, 0)) TH_LOG("%s", rpmem_errormsg());
	EXPECT_EQ(0, rpmem_close(rpp));
}

FIXTURE_SETUP(life)
{
	for (int i = 0; i < EXPORTS; i++) {
		self->pool[i] = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, self->pool[i]);
		memset(self->pool[i], 0x5a + i, POOL_SIZE);
	}
	ASSERT_TRUE(debug_build(false) && debug_build(true))
		TH_LOG("run me through selftests/rpmem/with_debug_hooks");
	exports_remove();
	ASSERT_EQ(0, exports_add());
}

FIXTURE_TEARDOWN(life)
{
	for (int i = 0; i < EXPORTS; i++)
		if (self->rpp[i])
			rpmem_close(self->rpp[i]);
	/* A device a failed case left deleted comes back; a present one stays. */
	run("rdma link show rxe0/1 >/dev/null 2>&1 || rdma link add rxe0 type rxe netdev eth0");
	run("peer sh -c 'rdma link show rxe0/1 >/dev/null 2>&1 || rdma link add rxe0 type rxe netdev eth0'");
	exports_remove();
	for (int i = 0; i < EXPORTS; i++)
		munmap(self->pool[i], POOL_SIZE);
}

struct creator {
	FIXTURE_DATA(life) *self;
	RPMEMpool *rpp;
	int err;
};

static void *create_thread(void *arg)
{
	struct creator *c = arg;

	c->rpp = create(c->self, 0);
	c->err = c->rpp ? 0 : errno;
	return NULL;
}

/*
 * A pool connects while @point (on @target's side) stalls; the device of
 * @remove_target's side goes away inside the window.
 */
static void removal_during_connect(struct __test_metadata *_metadata, FIXTURE_DATA(life) *self,
				   bool target, const char *point, bool remove_target)
{
	for (int r = 0; r < repeat(); r++) {
		struct creator c = { .self = self };
		long before = debug_hits(target, point);
		pthread_t t;

		ASSERT_LE(0, before);
		ASSERT_EQ(0, debug_stall(target, point, STALL_MS));
		ASSERT_EQ(0, pthread_create(&t, NULL, create_thread, &c));
		ASSERT_TRUE(debug_entered(target, point, before)) TH_LOG("%s never reached", point);
		ASSERT_EQ(0, device_delete(remove_target));
		pthread_join(t, NULL);
		ASSERT_EQ(0, debug_stall(target, point, 0));
		/* Whether it connected first or not, the pool is of no use now. */
		if (c.rpp) {
			EXPECT_NE(0, rpmem_persist(c.rpp, 4096, 4096, 0, 0));
			rpmem_close(c.rpp);
		} else {
			TH_LOG("round %d: connect failed: %s", r, strerror(c.err));
		}
		ASSERT_EQ(0, device_add(remove_target));
		works_again(_metadata, self, point);
	}
}

LIFE_TEST(initiator_device_removed_while_the_pool_sets_up)
{
	removal_during_connect(_metadata, self, false, "pool_setup", false);
}

LIFE_TEST(initiator_device_removed_before_hello)
{
	removal_during_connect(_metadata, self, false, "pool_hello", false);
}

LIFE_TEST(target_device_removed_while_it_serves_hello)
{
	removal_during_connect(_metadata, self, true, "target_hello", true);
}

LIFE_TEST(target_device_removed_while_it_accepts)
{
	removal_during_connect(_metadata, self, true, "target_accept", true);
}

struct closer {
	RPMEMpool *rpp;
	int ret;
};

static void *close_thread(void *arg)
{
	struct closer *c = arg;

	c->ret = rpmem_close(c->rpp);
	return NULL;
}

/* A pool closes while @point stalls its teardown; @remove_target's device goes inside. */
static void removal_during_teardown(struct __test_metadata *_metadata, FIXTURE_DATA(life) *self,
				    bool target, const char *point, bool remove_target)
{
	for (int r = 0; r < repeat(); r++) {
		struct closer c = { };
		long before = debug_hits(target, point);
		pthread_t t;

		c.rpp = create(self, 0);
		ASSERT_NE(NULL, c.rpp) TH_LOG("%s", rpmem_errormsg());
		ASSERT_EQ(0, rpmem_persist(c.rpp, 4096, 4096, 0, 0));
		ASSERT_EQ(0, debug_stall(target, point, LONG_STALL_MS));
		ASSERT_EQ(0, pthread_create(&t, NULL, close_thread, &c));
		ASSERT_TRUE(debug_entered(target, point, before)) TH_LOG("%s never reached", point);
		ASSERT_EQ(0, device_delete(remove_target));
		pthread_join(t, NULL);
		ASSERT_EQ(0, debug_stall(target, point, 0));
		EXPECT_EQ(0, c.ret);
		ASSERT_EQ(0, device_add(remove_target));
		works_again(_metadata, self, point);
	}
}

LIFE_TEST(target_device_removed_while_a_connection_is_released)
{
	removal_during_teardown(_metadata, self, true, "target_release", true);
}

LIFE_TEST(initiator_device_removed_while_a_pool_is_torn_down)
{
	removal_during_teardown(_metadata, self, false, "pool_quiesce", false);
}

/* Several idle pools; one side's device goes; each fails, closes, and works again. */
static void removal_with_idle_pools(struct __test_metadata *_metadata, FIXTURE_DATA(life) *self,
				    bool remove_target)
{
	for (int r = 0; r < repeat(); r++) {
		for (int i = 0; i < EXPORTS; i++) {
			self->rpp[i] = create(self, i);
			ASSERT_NE(NULL, self->rpp[i]) TH_LOG("%s", rpmem_errormsg());
		}
		ASSERT_EQ(0, device_delete(remove_target));
		for (int i = 0; i < EXPORTS; i++) {
			/* Dead within the request timeout, whichever side went. */
			double t0 = now();

			EXPECT_NE(0, rpmem_persist(self->rpp[i], 4096, 4096, 0, 0));
			EXPECT_GT(10.0, now() - t0);
			EXPECT_EQ(0, rpmem_close(self->rpp[i]));
			self->rpp[i] = NULL;
		}
		ASSERT_EQ(0, device_add(remove_target));
		works_again(_metadata, self, "removal with idle pools");
	}
}

LIFE_TEST(initiator_device_removed_under_idle_pools)
{
	removal_with_idle_pools(_metadata, self, false);
}

LIFE_TEST(target_device_removed_under_idle_pools)
{
	removal_with_idle_pools(_metadata, self, true);
}

struct loader {
	RPMEMpool *rpp;
	unsigned int lane;
	int failed;
};

/* Persists until one fails. */
static void *persist_thread(void *arg)
{
	struct loader *l = arg;

	for (int i = 0; i < 100000; i++) {
		if (rpmem_persist(l->rpp, 4096 + (i % 64) * 65536, 65536, l->lane, 0)) {
			l->failed = 1;
			break;
		}
	}
	return NULL;
}

static void removal_under_load(struct __test_metadata *_metadata, FIXTURE_DATA(life) *self,
			       bool remove_target)
{
	for (int r = 0; r < repeat(); r++) {
		struct loader l = { .lane = 1 };
		struct io_uring_cqe *cqe;
		struct io_uring ring;
		const unsigned int n = 64;
		pthread_t t;

		self->rpp[0] = create(self, 0);
		ASSERT_NE(NULL, self->rpp[0]) TH_LOG("%s", rpmem_errormsg());
		l.rpp = self->rpp[0];
		ASSERT_EQ(0, rpmem_uring_queue_init(n, &ring, 0));
		for (unsigned int i = 0; i < n; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			ASSERT_NE(NULL, sqe);
			rpmem_prep_persist(sqe, self->rpp[0], 4096 + (i % 32) * 65536, 65536,
					   i % 2 ? 2 : 0, 0);
		}
		ASSERT_EQ((int)n, io_uring_submit(&ring));
		ASSERT_EQ(0, pthread_create(&t, NULL, persist_thread, &l));
		usleep(300 * 1000);
		ASSERT_EQ(0, device_delete(remove_target));
		/* Every command completes, once; the synchronous loop fails. */
		for (unsigned int i = 0; i < n; i++) {
			ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
			io_uring_cqe_seen(&ring, cqe);
		}
		io_uring_queue_exit(&ring);
		pthread_join(t, NULL);
		EXPECT_EQ(1, l.failed);
		EXPECT_EQ(0, rpmem_close(self->rpp[0]));
		self->rpp[0] = NULL;
		EXPECT_EQ(0, kpmem_live("uring_cmds", 0));
		EXPECT_EQ(0, kpmem_live("pool_pinned_pages", 0));
		ASSERT_EQ(0, device_add(remove_target));
		works_again(_metadata, self, "removal under load");
	}
}

LIFE_TEST(initiator_device_removed_under_persists_and_io_uring)
{
	removal_under_load(_metadata, self, false);
}

LIFE_TEST(target_device_removed_under_persists_and_io_uring)
{
	removal_under_load(_metadata, self, true);
}

/* ---- a forced export removal ----------------------------------------- */

#define WRITERS 4

struct writer {
	RPMEMpool *rpp;
	unsigned int lane;
	uint8_t *pool;
	volatile bool *stop;
	long rounds;
};

/* Rewrite this lane's quarter of the pool, round after round, until told or refused. */
static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	size_t len = (POOL_SIZE - 4096) / WRITERS & ~4095UL;
	size_t off = 4096 + w->lane * len;

	while (!*w->stop) {
		memset(w->pool + off, (int)(w->rounds * WRITERS + w->lane), len);
		if (rpmem_persist(w->rpp, off, len, w->lane, 0))
			break;
		w->rounds++;
	}
	return NULL;
}

/* SHA-256 of the pool's bytes in the target's device DAX (export 0). */
static int target_pool_sha(char *out, size_t len)
{
	char cmd[512];
	FILE *f;
	int ok;

	snprintf(cmd, sizeof(cmd), "peer %s/selftests/rpmem/dax_sha256 /dev/dax1.0 %lu 0+%lu",
		 getenv("KPMEM_TOP") ?: ".", POOL_SIZE, POOL_SIZE);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	ok = fgets(out, len, f) != NULL;
	pclose(f);
	return ok ? 0 : -1;
}

/* export-remove --force of @name on the target, timed there: ms, or -1. */
static long target_remove_ms(const char *name)
{
	char cmd[1200];
	long ms = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "peer sh -c 's=$(date +%%s%%N); %s export-remove --force %s >&2 || exit 1; "
		 "e=$(date +%%s%%N); echo $(( (e - s) / 1000000 ))'", kpmemctl(), name);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &ms) != 1)
		ms = -1;
	pclose(f);
	return ms;
}

/* SHA-256 of the target's pool data (past the header), and of @byte repeated as long. */
static int data_shas(char *got, char *want, size_t len, int byte)
{
	char cmd[512];
	FILE *f;
	int ok;

	snprintf(cmd, sizeof(cmd), "peer %s/selftests/rpmem/dax_sha256 /dev/dax1.0 %lu 4096+%lu",
		 getenv("KPMEM_TOP") ?: ".", POOL_SIZE, POOL_SIZE - 4096);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	ok = fgets(got, len, f) != NULL;
	pclose(f);
	snprintf(cmd, sizeof(cmd), "head -c %lu /dev/zero | tr '\\000' '\\%03o' | sha256sum | cut -d' ' -f1",
		 POOL_SIZE - 4096, byte);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	ok = ok && fgets(want, len, f) != NULL;
	pclose(f);
	return ok ? 0 : -1;
}

/*
 * export-remove --force while an initiator writes the export with RDMA
 * WRITEs on every lane, and the target's release stalls before it drains
 * the connection's QP: the removal returns only once the QP is drained,
 * so nothing of the old initiator lands afterwards, and the device can be
 * exported to the next initiator at once.
 */
LIFE_TEST(forced_export_remove_returns_once_the_old_initiator_cannot_write)
{
	char before_ret[128], later[128], want[128];
	struct writer w[WRITERS];
	pthread_t t[WRITERS];
	volatile bool stop = false;
	unsigned int nlanes = WRITERS;
	struct rpmem_pool_attr attr = { .major = 1 };
	RPMEMpool *rpp;
	long before, took;
	int i;

	memcpy(attr.signature, "LIFECYC", 8);
	rpmem_remove(getenv("KPMEM_VM_PEER_ADDR"), export_names[0], RPMEM_REMOVE_FORCE);
	self->rpp[0] = rpmem_create(getenv("KPMEM_VM_PEER_ADDR"), export_names[0], self->pool[0],
				    POOL_SIZE, &nlanes, &attr);
	ASSERT_NE(NULL, self->rpp[0]) TH_LOG("%s", rpmem_errormsg());
	ASSERT_EQ(WRITERS, (int)nlanes);
	for (i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .rpp = self->rpp[0], .lane = i, .pool = self->pool[0],
					.stop = &stop };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, writer_thread, &w[i]));
	}
	sleep(1);
	before = debug_hits(true, "target_drain");
	ASSERT_LE(0, before);
	ASSERT_EQ(0, debug_stall(true, "target_drain", STALL_MS));
	took = target_remove_ms(export_names[0]);
	ASSERT_EQ(0, target_pool_sha(before_ret, sizeof(before_ret)));
	EXPECT_TRUE(debug_entered(true, "target_drain", before));
	/* It waited out the stalled drain (timed on the target, without peer's round trip). */
	EXPECT_LE(STALL_MS - 200, took) TH_LOG("export-remove --force returned after %ld ms", took);
	sleep(2);
	ASSERT_EQ(0, target_pool_sha(later, sizeof(later)));
	EXPECT_STREQ(before_ret, later) TH_LOG("the old initiator's writes landed after the removal returned");
	stop = true;
	for (i = 0; i < WRITERS; i++) {
		pthread_join(t[i], NULL);
		EXPECT_LT(0, w[i].rounds) TH_LOG("lane %d never persisted", i);
	}
	rpmem_close(self->rpp[0]);
	self->rpp[0] = NULL;
	ASSERT_EQ(0, debug_stall(true, "target_drain", 0));

	/* The device goes to the next initiator at once, and holds what it writes. */
	ASSERT_EQ(0, run("peer %s export-add %s /dev/dax1.0 --size 16M", kpmemctl(),
			 export_names[0]));
	nlanes = 1;
	memset(self->pool[0], 0xc3, POOL_SIZE);
	rpp = rpmem_create(getenv("KPMEM_VM_PEER_ADDR"), export_names[0], self->pool[0], POOL_SIZE,
			   &nlanes, &attr);
	if (!rpp && errno == EEXIST) {
		rpmem_remove(getenv("KPMEM_VM_PEER_ADDR"), export_names[0], RPMEM_REMOVE_FORCE);
		rpp = rpmem_create(getenv("KPMEM_VM_PEER_ADDR"), export_names[0], self->pool[0],
				   POOL_SIZE, &nlanes, &attr);
	}
	ASSERT_NE(NULL, rpp) TH_LOG("%s", rpmem_errormsg());
	ASSERT_EQ(0, rpmem_persist(rpp, 4096, POOL_SIZE - 4096, 0, 0));
	ASSERT_EQ(0, rpmem_close(rpp));
	sleep(1);
	/* The header is the target's; the data must be all 0xc3. */
	ASSERT_EQ(0, data_shas(later, want, sizeof(want), 0xc3));
	EXPECT_STREQ(want, later);
}

/*
 * The pool's teardown while the initiator's Soft-RoCE is still inside a
 * multi-packet reply (rogue_initiator's
 * disconnect_while_the_device_finishes_a_request is the target's side):
 * rxe_recv_done holds the device for HOLD_MS after the completion of a
 * 4 KiB read's inline reply (two packets); the read returns meanwhile, a
 * persist on another lane times out behind the held device, and the pool
 * fails and is closed inside the window.  Moving the QP to error there
 * crashed 6.12's rdma_rxe (kpmem_qp_drain()).  6.1's rxe delivers a
 * kernel CQ's notification from a tasklet on the CPU its responder holds,
 * so there the read returns only after the hold: no window to tear down
 * in, and the case checks that the pool still works and closes.
 */
#define REQUEST_TIMEOUT "/sys/module/kpmem/parameters/request_timeout_ms"
#define HOLD_MS 3000

/* Does rxe call a kernel CQ's handler from rxe_cq_post() itself (6.12), not a tasklet (6.1)? */
static bool rxe_notifies_directly(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	return !uname(&u) && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
	       (major > 6 || (major == 6 && minor >= 12));
}

LIFE_TEST(pool_torn_down_while_the_device_finishes_a_reply)
{
	static char buf[4096];
	char saved[32] = "";
	FILE *f = fopen(REQUEST_TIMEOUT, "r");

	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(saved, sizeof(saved), f));
	fclose(f);
	saved[strcspn(saved, "\n")] = 0;
	for (int r = 0; r < repeat(); r++) {
		long before = debug_hits(false, "rxe_recv_done");
		RPMEMpool *rpp = create(self, 0);
		double t0;
		bool held;

		ASSERT_NE(NULL, rpp) TH_LOG("%s", rpmem_errormsg());
		/* A read the hold delays (6.1) must not time out meanwhile. */
		ASSERT_EQ(0, run("echo %zu > " KPMEM_DEBUGFS "/rxe_recv_done/bytes && "
				 "echo %d > " KPMEM_DEBUGFS "/rxe_recv_done/delay_ms && "
				 "echo %d > " REQUEST_TIMEOUT, 32 + sizeof(buf), HOLD_MS, 4 * HOLD_MS));
		t0 = now();
		EXPECT_EQ(0, rpmem_read(rpp, buf, 4096, sizeof(buf), 0)) TH_LOG("%s", rpmem_errormsg());
		held = now() - t0 < HOLD_MS / 2000.0;
		EXPECT_LT(before, debug_hits(false, "rxe_recv_done"));
		ASSERT_EQ(0, debug_stall(false, "rxe_recv_done", 0));
		if (held) {
			/* Its reply waits behind the held device: the pool fails. */
			int ret;

			ASSERT_EQ(0, run("echo 300 > " REQUEST_TIMEOUT));
			ret = rpmem_persist(rpp, 4096, 64, 1, 0);
			/* 6.1's hold may end early (a tasklet): only 6.12's must still hold. */
			if (rxe_notifies_directly()) {
				EXPECT_NE(0, ret);
			} else {
				TH_LOG("persist during the hold: %d", ret);
			}
		} else {
			TH_LOG("the read returned after the hold (%.1f s): no window here",
			       now() - t0);
			EXPECT_EQ(0, rpmem_persist(rpp, 4096, 64, 1, 0)) TH_LOG("%s", rpmem_errormsg());
		}
		rpmem_close(rpp);
		ASSERT_EQ(0, run("echo %s > " REQUEST_TIMEOUT, saved));
		works_again(_metadata, self, "a pool closed while the device finished a reply");
	}
}

/* The target's module goes while a connection request is being accepted. */
LIFE_TEST(target_module_unloaded_while_it_accepts)
{
	for (int r = 0; r < repeat(); r++) {
		struct creator c = { .self = self };
		long before = debug_hits(true, "target_accept");
		pthread_t t;

		ASSERT_EQ(0, debug_stall(true, "target_accept", STALL_MS));
		ASSERT_EQ(0, pthread_create(&t, NULL, create_thread, &c));
		ASSERT_TRUE(debug_entered(true, "target_accept", before));
		/* Waits for the accept in progress, then tears it down. */
		ASSERT_EQ(0, run("peer rmmod kpmem"));
		pthread_join(t, NULL);
		if (c.rpp) {
			EXPECT_NE(0, rpmem_persist(c.rpp, 4096, 4096, 0, 0));
			rpmem_close(c.rpp);
		}
		ASSERT_EQ(0, target_reload());
		ASSERT_EQ(0, exports_add());
		works_again(_metadata, self, "the target's module came back");
	}
}

TEST_HARNESS_MAIN
