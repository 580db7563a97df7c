// SPDX-License-Identifier: GPL-2.0
/*
 * The pre-authentication denial of service, on a pair.  From the
 * initiator guest, 64 userspace rdma_cm connections (librdmacm) carry a
 * valid kpmem v4 connection request for 64 lanes each, and then say
 * nothing.  Before wire version 4 the target gave every such connection
 * its lane buffers at once (64 lanes x 64 KiB each way: 8 MiB), so one
 * burst pinned 512 MiB of the target's memory and filled max_target_conns
 * until the initiators went away.  Now a connection holds only a queue
 * pair and one HELLO-sized buffer until HELLO, at most max_unauth_per_peer
 * of one address wait at once (a new one pushes out the oldest), and
 * hello_timeout_s after its accept a connection that has not said HELLO
 * is dropped.  Each round of the flood shows:
 *
 *  a) the target's kernel memory (/proc/meminfo on the target: slab,
 *     vmalloc, per-CPU, page tables, stacks) grows by less than
 *     MEM_BOUND_MIB (what one such connection cost before the fix), and
 *     it holds at most max_unauth_per_peer of the connections
 *     (MemAvailable is logged too; it moves by several MiB with the page
 *     cache alone);
 *  b) meanwhile, with the silent connections held, a librpmem initiator
 *     is served from the flooding guest (the kernel initiator, against the
 *     target's device DAX export) and, at the same time, from the target
 *     guest itself (this program with --legit, run there with peer, over
 *     its own rxe0);
 *  c) the silent connections are dropped by the HELLO deadline (set to
 *     DEADLINE_S for the test): each sees its disconnect within
 *     DEADLINE_S + 2 s of being established, and the target's connection
 *     count and memory come back;
 *  d) a librpmem initiator is served afterwards.
 *
 * Runs on the initiator of a pair behind selftests/rpmem/pair_setup (the
 * target's /dev/dax1.0).  Prints MemAvailable before/during/after and the
 * time each legitimate initiator took to be served (rpmem_create or
 * rpmem_open returning), against a baseline without a flood.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
#include <librpmem.h>

#include "kselftest_harness.h"
#include "../lib/guest_util.h"

#define PORT		7440
#define NFLOOD		64
#define FLOOD_LANES	64
#define ROUNDS		3		/* KPMEM_FLOOD_ROUNDS: another number */
#define DEADLINE_S	8		/* hello_timeout_s during the test */
/*
 * The most the flood may take from the target's MemAvailable: one
 * connection's lane buffers before the fix (64 lanes x 2 x 64 KiB).  Now
 * at most max_unauth_per_peer (4) connections wait at once, each with a
 * queue pair sized for 64 lanes and 456 + 192 bytes of buffers (well
 * under 1 MiB in all); the rest of the margin is the guest's own noise.
 */
#define MEM_BOUND_MIB	8
#define EXP_DAX		"flood.dax"	/* the target's /dev/dax1.0 (pair_setup) */
#define EXP_LOCAL	"flood.local"	/* a file export for the target's own initiator */
#define DAX_POOL	(8UL << 20)
#define LOCAL_POOL	(4UL << 20)
#define IO_OFF		4096UL
#define IO_LEN		(64UL << 10)

/* The connection request, encoded here (kmod/rpmem_wire.h, version 4). */
#define W_MAGIC		0x4b504d4d
#define W_VERSION	4
struct w_cm_req {
	uint32_t magic;
	uint16_t version;
	uint16_t nlanes;
	uint8_t nonce[32];
};
struct w_cm_rep {
	uint32_t magic;
	uint32_t reserved;
	uint8_t nonce[32];
};
struct w_cm_rej {
	uint32_t magic;
	uint32_t status;
};
_Static_assert(sizeof(struct w_cm_req) == 40, "REQ private data");

/* ------------------------------------------------------------------ */
/* A legitimate initiator: librpmem, through the kernel initiator.     */

enum legit_op { L_CREATE, L_OPEN, L_REMOVE, L_REMOVE_FORCE };
static const char *const legit_ops[] = { "create", "open", "remove", "remove-force" };

struct legit_result {
	double served;		/* rpmem_create/rpmem_open: connected and through HELLO */
	double total;		/* and persist, read back, close */
	char why[256];
};

/*
 * Create or open the pool on @export, persist IO_LEN bytes, read them
 * back on another lane, close; or remove the pool.
 */
static int legit(const char *target, const char *export, size_t size, enum legit_op op,
		 struct legit_result *res)
{
	struct rpmem_pool_attr attr = { .signature = "FLOOD" };
	unsigned int nlanes = 4;
	char *pool = NULL, *back = NULL;
	RPMEMpool *rpp;
	double t0 = now();
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (op == L_REMOVE || op == L_REMOVE_FORCE) {
		ret = rpmem_remove(target, export, op == L_REMOVE_FORCE ? RPMEM_REMOVE_FORCE : 0);
		res->served = res->total = now() - t0;
		if (ret)
			snprintf(res->why, sizeof(res->why), "rpmem_remove: %s", rpmem_errormsg());
		return ret ? -1 : 0;
	}
	pool = aligned_alloc(4096, size);
	back = malloc(IO_LEN);
	if (!pool || !back) {
		snprintf(res->why, sizeof(res->why), "no memory");
		goto out;
	}
	memset(pool, 0, size);
	for (size_t i = 0; i < IO_LEN; i++)
		pool[IO_OFF + i] = (char)(i * 7 + getpid());
	rpp = op == L_CREATE ? rpmem_create(target, export, pool, size, &nlanes, &attr) :
			       rpmem_open(target, export, pool, size, &nlanes, &attr);
	res->served = now() - t0;
	if (!rpp) {
		snprintf(res->why, sizeof(res->why), "rpmem_%s: %s", legit_ops[op],
			 rpmem_errormsg());
		goto out;
	}
	if (rpmem_persist(rpp, IO_OFF, IO_LEN, 0, 0)) {
		snprintf(res->why, sizeof(res->why), "rpmem_persist: %s", rpmem_errormsg());
	} else if (rpmem_read(rpp, back, IO_OFF, IO_LEN, nlanes - 1)) {
		snprintf(res->why, sizeof(res->why), "rpmem_read: %s", rpmem_errormsg());
	} else if (memcmp(back, pool + IO_OFF, IO_LEN)) {
		snprintf(res->why, sizeof(res->why), "read back other bytes");
	} else {
		ret = 0;
	}
	if (rpmem_close(rpp) && !ret) {
		snprintf(res->why, sizeof(res->why), "rpmem_close: %s", rpmem_errormsg());
		ret = -1;
	}
	res->total = now() - t0;
out:
	free(pool);
	free(back);
	return ret;
}

static void target_watch(const char *path, long per_peer);

/*
 * flood_test --legit OP TARGET EXPORT: one legitimate initiator, as the
 * target guest runs it against itself; flood_test --target-watch FILE
 * (below).  Both before the harness's main.
 */
__attribute__((constructor)) static void legit_mode(int argc, char **argv)
{
	struct legit_result res;
	unsigned int op;
	int ret;

	if (argc == 4 && !strcmp(argv[1], "--target-watch"))
		target_watch(argv[2], atol(argv[3]));
	if (argc != 5 || strcmp(argv[1], "--legit"))
		return;
	for (op = 0; op < 4 && strcmp(argv[2], legit_ops[op]); op++)
		;
	if (op == 4) {
		fprintf(stderr, "usage: %s --legit create|open|remove|remove-force TARGET EXPORT\n",
			argv[0]);
		_exit(2);
	}
	ret = legit(argv[3], argv[4], LOCAL_POOL, op, &res);
	printf("legit: %s served in %.3f s, done in %.3f s%s%s\n", ret ? "FAILED" : "ok",
	       res.served, res.total, ret ? ": " : "", res.why);
	fflush(stdout);
	_exit(ret ? 1 : 0);
}

/* A number from a file (sysfs), or -1. */
static long read_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

#define MEM_SAMPLES	5

/*
 * MemAvailable here, KiB.  It moves by itself by several MiB (caches,
 * other processes, deferred frees): with clean caches dropped first, the
 * median of a few samples 0.1 s apart.
 */
static long mem_available(void)
{
	long kib[MEM_SAMPLES];
	char line[256];
	FILE *dc;
	int n;

	dc = fopen("/proc/sys/vm/drop_caches", "w");
	if (dc) {
		fputs("3\n", dc);
		fclose(dc);
	}
	for (n = 0; n < MEM_SAMPLES; n++) {
		FILE *f = fopen("/proc/meminfo", "r");

		kib[n] = -1;
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "MemAvailable: %ld kB", &kib[n]) == 1)
				break;
		if (f)
			fclose(f);
		if (kib[n] < 0)
			return -1;
		if (n + 1 < MEM_SAMPLES)
			usleep(100000);
	}
	qsort(kib, MEM_SAMPLES, sizeof(kib[0]), cmp_long);
	return kib[MEM_SAMPLES / 2];
}

#define LIVE_CONNS	"/sys/class/misc/kpmem/live/target_conns"

/*
 * What the kernel itself holds, KiB: unreclaimable slab (kmalloc, large
 * ones included), vmalloc, per-CPU, page tables, stacks.  What a
 * connection costs the target shows here; MemAvailable also moves with
 * the page cache of whatever else the guest does, by several MiB.
 */
static long kernel_kib(void)
{
	static const char *const fields[] = {
		"SUnreclaim", "VmallocUsed", "Percpu", "PageTables", "KernelStack",
	};
	char line[256], name[64];
	long kib, sum = 0;
	int seen = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %ld", name, &kib) != 2)
			continue;
		for (unsigned int i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			if (!strcmp(name, fields[i])) {
				sum += kib;
				seen++;
			}
		}
	}
	if (f)
		fclose(f);
	return seen == sizeof(fields) / sizeof(fields[0]) ? sum : -1;
}

/* The kernel's own memory, KiB, for the log: where a change in MemAvailable went. */
static void kernel_mem(FILE *out, const char *key)
{
	static const char *const fields[] = {
		"MemFree", "Shmem", "SUnreclaim", "VmallocUsed", "Percpu", "PageTables",
	};
	char line[256], name[64];
	long kib;
	FILE *f = fopen("/proc/meminfo", "r");

	fprintf(out, "%s", key);
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %ld", name, &kib) != 2)
			continue;
		for (unsigned int i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (!strcmp(name, fields[i]))
				fprintf(out, " %s %ld", name, kib);
	}
	if (f)
		fclose(f);
	fprintf(out, "\n");
}

/*
 * flood_test --target-watch FILE PER_PEER, on the target, started before a
 * flood (a peer call is too slow to measure inside the HELLO deadline on
 * a loaded TCG host): MemAvailable with no connection; once the flood's
 * first connection is there and the target is down to PER_PEER
 * connections (those pushed out are released in the background),
 * MemAvailable and the connection count again, then this guest's own
 * initiator against its own export; then how long until the target holds
 * no connection, and MemAvailable once more.  Lines "key value" in FILE,
 * times in seconds since the flood's first connection: "ready" once the
 * baseline is taken, "done" at the end.
 */
static void target_watch(const char *path, long per_peer)
{
	struct legit_result res;
	double t0, t_arrived;
	long conns;
	FILE *out = fopen(path, "w");
	int ret;

	if (!out)
		_exit(1);
	setvbuf(out, NULL, _IOLBF, 0);
	fprintf(out, "before_conns %ld\n", read_long(LIVE_CONNS));
	fprintf(out, "before_kib %ld\n", mem_available());
	fprintf(out, "before_kkib %ld\n", kernel_kib());
	kernel_mem(out, "before_kernel");
	fprintf(out, "ready\n");
	t0 = now();
	while ((conns = read_long(LIVE_CONNS)) == 0 && now() < t0 + 300)
		usleep(10000);
	t_arrived = now();
	fprintf(out, "waited_s %.3f\n", t_arrived - t0);
	/* The burst takes a second or two to be answered. */
	sleep(1);
	while (read_long(LIVE_CONNS) > per_peer && now() < t_arrived + 10)
		usleep(20000);
	fprintf(out, "during_conns %ld\n", read_long(LIVE_CONNS));
	fprintf(out, "settled_at_s %.3f\n", now() - t_arrived);
	fprintf(out, "during_kib %ld\n", mem_available());
	fprintf(out, "during_kkib %ld\n", kernel_kib());
	fprintf(out, "during_at_s %.3f\n", now() - t_arrived);
	ret = legit(getenv("KPMEM_VM_ADDR") ?: "10.77.0.2", EXP_LOCAL, LOCAL_POOL, L_OPEN, &res);
	fprintf(out, "legit_ok %d\nlegit_served %.3f\nlegit_total %.3f\nlegit_why %s\n", !ret,
		res.served, res.total, res.why);
	fprintf(out, "legit_at_s %.3f\n", now() - t_arrived);
	while (read_long(LIVE_CONNS) > 0 && now() < t_arrived + 120)
		usleep(20000);
	fprintf(out, "zero_at_s %.3f\n", now() - t_arrived);
	/* Some of a connection's memory goes after it (RCU, deferred frees). */
	sleep(1);
	fprintf(out, "after_kib %ld\n", mem_available());
	fprintf(out, "after_kkib %ld\n", kernel_kib());
	kernel_mem(out, "after_kernel");
	fprintf(out, "done\n");
	fclose(out);
	_exit(0);
}

/* Run the target's own initiator with peer: 0 and its times, or -1 (@out: what it said). */
static int legit_on_target(enum legit_op op, double *served, double *total, char *out,
			   size_t len)
{
	char cmd[1024];
	FILE *p;
	size_t n;
	int rc;

	snprintf(cmd, sizeof(cmd), "peer %s/selftests/hardening/flood_test --legit %s %s %s 2>&1",
		 getenv("KPMEM_BUILD") ?: "build", legit_ops[op],
		 getenv("KPMEM_VM_PEER_ADDR") ?: "10.77.0.2", EXP_LOCAL);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	rc = pclose(p);
	out[strcspn(out, "\n")] = '\0';
	if (sscanf(out, "legit: ok served in %lf s, done in %lf s", served, total) != 2)
		return -1;
	return rc ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* The target, through peer.                                           */

/* Start the watcher on the target; return once it has its baseline. */
static int target_watch_start(const char *file, long per_peer)
{
	return run("peer sh -c '%s/selftests/hardening/flood_test --target-watch %s %ld "
		   ">/dev/null 2>&1 & for i in $(seq 600); do grep -q ^ready %s 2>/dev/null && "
		   "exit 0; sleep 0.1; done; exit 1'", getenv("KPMEM_BUILD") ?: "build", file,
		   per_peer, file);
}

struct watch {
	long before_kib, during_kib, after_kib, during_conns;
	long before_kkib, during_kkib, after_kkib;	/* kernel_kib() */
	double settled_at, during_at, legit_at, zero_at, legit_served;
	int legit_ok;
	char legit_why[256], before_kernel[256], after_kernel[256];
};

/* The watcher's findings, once it is done. */
static int target_watch_end(const char *file, struct watch *w)
{
	char cmd[512], line[512];
	bool done = false;
	FILE *p;

	memset(w, 0, sizeof(*w));
	w->before_kib = w->during_kib = w->after_kib = -1;
	w->before_kkib = w->during_kkib = w->after_kkib = -1;
	snprintf(cmd, sizeof(cmd),
		 "peer sh -c 'for i in $(seq 1200); do grep -q ^done %s && break; sleep 0.1; done; "
		 "cat %s; rm -f %s'", file, file, file);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		sscanf(line, "before_kib %ld", &w->before_kib);
		sscanf(line, "during_kib %ld", &w->during_kib);
		sscanf(line, "after_kib %ld", &w->after_kib);
		sscanf(line, "before_kkib %ld", &w->before_kkib);
		sscanf(line, "during_kkib %ld", &w->during_kkib);
		sscanf(line, "after_kkib %ld", &w->after_kkib);
		sscanf(line, "during_conns %ld", &w->during_conns);
		sscanf(line, "settled_at_s %lf", &w->settled_at);
		sscanf(line, "during_at_s %lf", &w->during_at);
		sscanf(line, "legit_at_s %lf", &w->legit_at);
		sscanf(line, "zero_at_s %lf", &w->zero_at);
		sscanf(line, "legit_served %lf", &w->legit_served);
		sscanf(line, "legit_ok %d", &w->legit_ok);
		if (!strncmp(line, "before_kernel ", 14))
			snprintf(w->before_kernel, sizeof(w->before_kernel), "%.200s", line + 14);
		if (!strncmp(line, "after_kernel ", 13))
			snprintf(w->after_kernel, sizeof(w->after_kernel), "%.200s", line + 13);
		if (!strncmp(line, "legit_why ", 10))
			snprintf(w->legit_why, sizeof(w->legit_why), "%.200s", line + 10);
		done |= !strcmp(line, "done");
	}
	return pclose(p) || !done ? -1 : 0;
}

static long target_param(const char *name)
{
	char cmd[256];
	long v = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "peer cat /sys/module/kpmem/parameters/%s", name);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fscanf(p, "%ld", &v) != 1)
		v = -1;
	pclose(p);
	return v;
}

static int target_param_set(const char *name, long v)
{
	return run("peer sh -c 'echo %ld > /sys/module/kpmem/parameters/%s'", v, name);
}

/* Wait until the target holds @want connections; the count last seen. */
static long target_conns_wait(long want, double secs)
{
	double end = now() + secs;
	long n;

	while ((n = kpmem_live("target_conns", 1)) != want && now() < end)
		usleep(200000);
	return n;
}

/* ------------------------------------------------------------------ */
/* The flood: silent userspace rdma_cm connections.                    */

enum { F_PENDING, F_ESTABLISHED, F_REFUSED, F_ABORTED, F_DROPPED };

struct fconn {
	struct rdma_cm_id *id;
	int state;
	bool rep_ok;		/* the REP carried kpmem's magic and a nonce */
	int end_event;		/* how it ended */
	uint32_t rej_status;	/* a kpmem REJ's reason */
	double t_req, t_est, t_gone;
};

struct flood {
	struct rdma_event_channel *ch;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct fconn c[NFLOOD];
	pthread_t th;
	bool th_running;
	volatile int stop;
	pthread_mutex_t lock;
};

static void flood_event(struct flood *f, struct rdma_cm_event *ev)
{
	struct fconn *c = ev->id->context;
	struct w_cm_rep rep;
	struct w_cm_rej rej;

	if (!c)
		return;
	pthread_mutex_lock(&f->lock);
	switch (ev->event) {
	case RDMA_CM_EVENT_ESTABLISHED:
		c->state = F_ESTABLISHED;
		c->t_est = now();
		if (ev->param.conn.private_data && ev->param.conn.private_data_len >= sizeof(rep)) {
			memcpy(&rep, ev->param.conn.private_data, sizeof(rep));
			c->rep_ok = rep.magic == W_MAGIC;
		}
		break;
	case RDMA_CM_EVENT_REJECTED:
		rej.magic = 0;
		if (ev->param.conn.private_data && ev->param.conn.private_data_len >= sizeof(rej))
			memcpy(&rej, ev->param.conn.private_data, sizeof(rej));
		if (c->state == F_PENDING && rej.magic == W_MAGIC) {
			/* Refused outright, saying why. */
			c->state = F_REFUSED;
			c->rej_status = rej.status;
			c->end_event = ev->event;
			c->t_gone = now();
			break;
		}
		/* fall through */
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		if (c->state == F_PENDING || c->state == F_ESTABLISHED) {
			c->state = c->state == F_PENDING ? F_ABORTED : F_DROPPED;
			c->end_event = ev->event;
			c->t_gone = now();
		}
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&f->lock);
}

/* Take every event there is; wait up to @ms for the first. */
static void flood_poll(struct flood *f, int ms)
{
	struct pollfd pfd = { .fd = f->ch->fd, .events = POLLIN };
	struct rdma_cm_event *ev;

	if (poll(&pfd, 1, ms) <= 0)
		return;
	while (!rdma_get_cm_event(f->ch, &ev)) {
		flood_event(f, ev);
		rdma_ack_cm_event(ev);
	}
}

static void *flood_thread(void *arg)
{
	struct flood *f = arg;

	while (!f->stop)
		flood_poll(f, 50);
	return NULL;
}

/* Wait for @n events of type @type on the channel (address and route resolution). */
static int flood_wait_resolved(struct flood *f, enum rdma_cm_event_type type, int n)
{
	struct pollfd pfd = { .fd = f->ch->fd, .events = POLLIN };
	double end = now() + 30;
	struct rdma_cm_event *ev;

	while (n > 0 && now() < end) {
		if (rdma_get_cm_event(f->ch, &ev)) {
			poll(&pfd, 1, 100);
			continue;
		}
		if (ev->event == type)
			n--;
		else
			fprintf(stderr, "# flood: %s while resolving\n", rdma_event_str(ev->event));
		rdma_ack_cm_event(ev);
	}
	return n ? -1 : 0;
}

/*
 * Make NFLOOD connections ready to connect: ids, resolved addresses and
 * routes, queue pairs.  Nothing reaches the target's kpmem yet.
 */
static int flood_prepare(struct flood *f, const char *target)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct ibv_qp_init_attr qa = { };
	int i;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	inet_pton(AF_INET, target, &dst.sin_addr);
	f->ch = rdma_create_event_channel();
	if (!f->ch)
		return -1;
	fcntl(f->ch->fd, F_SETFL, fcntl(f->ch->fd, F_GETFL) | O_NONBLOCK);
	for (i = 0; i < NFLOOD; i++)
		if (rdma_create_id(f->ch, &f->c[i].id, NULL, RDMA_PS_TCP) ||
		    rdma_resolve_addr(f->c[i].id, NULL, (struct sockaddr *)&dst, 10000))
			return -1;
	if (flood_wait_resolved(f, RDMA_CM_EVENT_ADDR_RESOLVED, NFLOOD))
		return -1;
	for (i = 0; i < NFLOOD; i++)
		if (rdma_resolve_route(f->c[i].id, 10000))
			return -1;
	if (flood_wait_resolved(f, RDMA_CM_EVENT_ROUTE_RESOLVED, NFLOOD))
		return -1;
	f->pd = ibv_alloc_pd(f->c[0].id->verbs);
	f->cq = f->pd ? ibv_create_cq(f->c[0].id->verbs, 4 * NFLOOD, NULL, NULL, 0) : NULL;
	if (!f->cq)
		return -1;
	qa.send_cq = f->cq;
	qa.recv_cq = f->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = 1;
	qa.cap.max_recv_wr = 1;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 1;
	for (i = 0; i < NFLOOD; i++) {
		if (f->c[i].id->verbs != f->c[0].id->verbs || rdma_create_qp(f->c[i].id, f->pd, &qa))
			return -1;
		f->c[i].id->context = &f->c[i];
	}
	if (pthread_create(&f->th, NULL, flood_thread, f))
		return -1;
	f->th_running = true;
	return 0;
}

/* Every connection request at once: valid, 64 lanes, then nothing. */
static int flood_fire(struct flood *f)
{
	struct rdma_conn_param cp = {
		.initiator_depth = 1, .responder_resources = 1, .retry_count = 3,
		.rnr_retry_count = 7,
	};
	struct w_cm_req req = { .magic = W_MAGIC, .version = W_VERSION, .nlanes = FLOOD_LANES };
	int i;

	cp.private_data = &req;
	cp.private_data_len = sizeof(req);
	for (i = 0; i < NFLOOD; i++) {
		if (getrandom(req.nonce, sizeof(req.nonce), 0) != sizeof(req.nonce))
			return -1;
		f->c[i].t_req = now();
		if (rdma_connect(f->c[i].id, &cp))
			return -1;
	}
	return 0;
}

struct flood_counts {
	int pending, established, refused, aborted, dropped, rep_bad;
};

static void flood_count(struct flood *f, struct flood_counts *n)
{
	memset(n, 0, sizeof(*n));
	pthread_mutex_lock(&f->lock);
	for (int i = 0; i < NFLOOD; i++) {
		switch (f->c[i].state) {
		case F_PENDING:
			n->pending++;
			break;
		case F_ESTABLISHED:
			n->established++;
			break;
		case F_REFUSED:
			n->refused++;
			break;
		case F_ABORTED:
			n->aborted++;
			break;
		case F_DROPPED:
			n->dropped++;
			break;
		}
		n->rep_bad += f->c[i].t_est && !f->c[i].rep_ok;
	}
	pthread_mutex_unlock(&f->lock);
}

/* Wait until no connection is pending (with @est_too: none established either). */
static bool flood_wait(struct flood *f, bool est_too, double secs)
{
	double end = now() + secs;
	struct flood_counts n;

	do {
		flood_count(f, &n);
		if (!n.pending && (!est_too || !n.established))
			return true;
		usleep(50000);
	} while (now() < end);
	return false;
}

/*
 * Connections the flooder still believes established: a zero-length SEND
 * on each.  Where the target has no queue pair any more nothing answers
 * and the send fails once its retries are spent.  Return how many were
 * probed; @ok: how many sends were acknowledged.  The connections count
 * as dropped afterwards.
 */
static int flood_probe(struct flood *f, int *ok)
{
	struct ibv_send_wr wr = { .opcode = IBV_WR_SEND, .send_flags = IBV_SEND_SIGNALED }, *bad;
	double end = now() + 30;
	struct ibv_wc wc;
	int i, probed = 0, done = 0;

	*ok = 0;
	pthread_mutex_lock(&f->lock);
	for (i = 0; i < NFLOOD; i++) {
		if (f->c[i].state != F_ESTABLISHED)
			continue;
		wr.wr_id = i;
		if (!ibv_post_send(f->c[i].id->qp, &wr, &bad))
			probed++;
		f->c[i].state = F_DROPPED;
		f->c[i].end_event = -1;
	}
	pthread_mutex_unlock(&f->lock);
	while (done < probed && now() < end) {
		if (ibv_poll_cq(f->cq, 1, &wc) != 1) {
			usleep(10000);
			continue;
		}
		done++;
		if (wc.status == IBV_WC_SUCCESS) {
			(*ok)++;
			fprintf(stderr, "# flood connection %lu: the target acknowledged a SEND\n",
				(unsigned long)wc.wr_id);
		}
	}
	if (done < probed)
		fprintf(stderr, "# %d of %d probe sends never completed\n", probed - done, probed);
	return probed;
}

static void flood_destroy(struct flood *f)
{
	int i;

	f->stop = 1;
	if (f->th_running)
		pthread_join(f->th, NULL);
	for (i = 0; i < NFLOOD; i++) {
		if (!f->c[i].id)
			continue;
		if (f->c[i].state == F_ESTABLISHED)
			rdma_disconnect(f->c[i].id);
		if (f->c[i].id->qp)
			rdma_destroy_qp(f->c[i].id);
	}
	if (f->ch)
		flood_poll(f, 0);
	for (i = 0; i < NFLOOD; i++)
		if (f->c[i].id)
			rdma_destroy_id(f->c[i].id);
	if (f->cq)
		ibv_destroy_cq(f->cq);
	if (f->pd)
		ibv_dealloc_pd(f->pd);
	if (f->ch)
		rdma_destroy_event_channel(f->ch);
	pthread_mutex_destroy(&f->lock);
}

/* ------------------------------------------------------------------ */

FIXTURE(flood) {
	long hello_timeout;	/* the target's, to restore */
	bool exports;
	const char *target;
};

FIXTURE_SETUP(flood)
{
	struct legit_result res;
	const char *k;

	self->hello_timeout = -1;
	ASSERT_STREQ("initiator", getenv("KPMEM_VM_ROLE") ?: "")
		TH_LOG("run me on the initiator of a pair (selftests/vm/run --topology pair)");
	self->target = getenv("KPMEM_VM_PEER_ADDR") ?: "10.77.0.2";
	k = kpmemctl();
	ASSERT_EQ(0, run("peer test -c /dev/dax1.0"))
		TH_LOG("no /dev/dax1.0: run me behind selftests/rpmem/pair_setup");
	ASSERT_EQ(0, run("peer sh -c '%s export-add %s /dev/dax1.0 --size 32M && "
			 "%s export-add %s /tmp/flood.local.img --size 16M' >/dev/null", k, EXP_DAX,
			 k, EXP_LOCAL));
	self->exports = true;
	/* A pool an earlier test left on the device goes (it may not exist: no check). */
	legit(self->target, EXP_DAX, DAX_POOL, L_REMOVE_FORCE, &res);
	self->hello_timeout = target_param("hello_timeout_s");
	ASSERT_LT(0, self->hello_timeout);
	ASSERT_EQ(0, target_param_set("hello_timeout_s", DEADLINE_S));
}

FIXTURE_TEARDOWN(flood)
{
	const char *k = kpmemctl();

	if (self->hello_timeout > 0)
		EXPECT_EQ(0, target_param_set("hello_timeout_s", self->hello_timeout));
	if (self->exports)
		EXPECT_EQ(0, run("peer sh -c '%s export-remove %s; %s export-remove %s; "
				 "rm -f /tmp/flood.local.img' >/dev/null", k, EXP_DAX, k,
				 EXP_LOCAL));
}

/*
 * A burst of NFLOOD silent connections for 64 lanes, ROUNDS times: it
 * costs the target little, initiators on both guests are served while it
 * lasts, the HELLO deadline ends it and gives the memory back, and
 * initiators are served afterwards.
 */
TEST_F_TIMEOUT(flood, silent_connection_flood_costs_little_and_blocks_nobody, 900)
{
	long per_peer = target_param("max_unauth_per_peer");
	int rounds = atoi(getenv("KPMEM_FLOOD_ROUNDS") ?: "") ?: ROUNDS;
	struct legit_result base, res;
	double target_served, target_total;
	char out[512];
	int round;

	ASSERT_LT(0, per_peer);
	/* The baseline: how long being served takes without a flood; the pools made. */
	ASSERT_EQ(0, legit(self->target, EXP_DAX, DAX_POOL, L_CREATE, &base)) TH_LOG("%s", base.why);
	ASSERT_EQ(0, legit_on_target(L_CREATE, &target_served, &target_total, out, sizeof(out)))
		TH_LOG("%s", out);
	printf("# no flood: served in %.3f s here, %.3f s on the target\n", base.served,
	       target_served);

	for (round = 1; round <= rounds; round++) {
		double t0, t_settled, t_legit, lat_min = 1e9, lat_max = 0;
		double first_est = 1e18, first_drop = 1e18;
		int unheard, probe_ok;
		int i, at_deadline = 0, evicted = 0, alive_during;
		struct flood_counts n;
		struct flood f;
		struct watch w;
		char file[64];

		snprintf(file, sizeof(file), "/tmp/flood.watch.%d", round);
		ASSERT_EQ(0, target_conns_wait(0, 20)) TH_LOG("round %d: connections left", round);
		ASSERT_EQ(0, flood_prepare(&f, self->target)) TH_LOG("round %d: %s", round,
								     strerror(errno));
		ASSERT_EQ(0, target_watch_start(file, per_peer));

		/* The burst, then silence. */
		t0 = now();
		ASSERT_EQ(0, flood_fire(&f));
		EXPECT_TRUE(flood_wait(&f, false, 60)) TH_LOG("round %d: requests unanswered", round);
		t_settled = now() - t0;
		/*
		 * Each was admitted, pushing out the oldest waiting one; the
		 * disconnects of those pushed out follow as the target releases
		 * them (the watcher checks that the target holds no more than
		 * max_unauth_per_peer: a DREQ or REJ lost on the way, which the
		 * CM does not send again, leaves a connection here that the
		 * target no longer has).
		 */
		while (flood_count(&f, &n), n.established > per_peer && now() < t0 + t_settled + 1)
			usleep(50000);
		printf("# round %d: %d connection requests answered in %.2f s: %d held (after %.2f s), %d pushed out (%d before the handshake completed), %d refused\n",
		       round, NFLOOD, t_settled, n.established, now() - t0, n.aborted + n.dropped,
		       n.aborted, n.refused);
		EXPECT_EQ(0, n.rep_bad);
		EXPECT_EQ(0, n.refused);
		EXPECT_LT(0, n.established);

		/* b) Served meanwhile from this guest (the target's own initiator: below). */
		EXPECT_EQ(0, legit(self->target, EXP_DAX, DAX_POOL, L_OPEN, &res))
			TH_LOG("round %d: %s", round, res.why);
		t_legit = now() - t0;
		flood_count(&f, &n);
		alive_during = n.established;
		printf("# round %d: during the flood served here in %.3f s (done in %.3f s, at %.1f s); %d silent connections still held\n",
		       round, res.served, res.total, t_legit, alive_during);
		/* The flood was still on: the deadline had not come yet. */
		EXPECT_LT(0, alive_during);

		/*
		 * c) The deadline drops the rest: the flooder hears of it, and
		 * whatever it did not hear of is gone on the target (a SEND on
		 * it is never acknowledged).
		 */
		flood_wait(&f, true, DEADLINE_S + 4 - (now() - t0));
		unheard = flood_probe(&f, &probe_ok);
		pthread_mutex_lock(&f.lock);
		for (i = 0; i < NFLOOD; i++) {
			struct fconn *c = &f.c[i];
			double lat = c->t_gone - c->t_est;

			if (!c->t_est)
				continue;
			if (c->t_est < first_est)
				first_est = c->t_est;
			if (c->end_event == -1)		/* never heard of: probed */
				continue;
			if (c->state != F_DROPPED || c->t_gone < c->t_req + DEADLINE_S) {
				evicted++;
				continue;
			}
			if (c->t_gone < first_drop)
				first_drop = c->t_gone;
			at_deadline++;
			lat_min = lat < lat_min ? lat : lat_min;
			lat_max = lat > lat_max ? lat : lat_max;
			EXPECT_GE(DEADLINE_S + 2.0, lat)
				TH_LOG("round %d: connection %d dropped %.2f s after it was established",
				       round, i, lat);
		}
		pthread_mutex_unlock(&f.lock);
		printf("# round %d: %d silent connections dropped by the %d s deadline, %.2f-%.2f s after they were established; %d established ones were pushed out earlier; %d never heard of (%d of those still answered)\n",
		       round, at_deadline, DEADLINE_S, lat_min, lat_max, evicted, unheard, probe_ok);
		EXPECT_LT(0, at_deadline);
		EXPECT_EQ(0, probe_ok) TH_LOG("round %d: the target still had a connection", round);

		/* a), the target's side of b) and c): what the watcher saw there. */
		ASSERT_EQ(0, target_watch_end(file, &w)) TH_LOG("round %d: no watcher results", round);
		printf("# round %d: target MemAvailable %ld KiB before, %ld KiB during (%+ld KiB, %.1f s into the flood, %ld connections held from %.1f s), %ld KiB after (%+ld KiB)\n",
		       round, w.before_kib, w.during_kib, w.during_kib - w.before_kib, w.during_at,
		       w.during_conns, w.settled_at, w.after_kib, w.after_kib - w.before_kib);
		printf("# round %d: target kernel memory %ld KiB before, %ld KiB during (%+ld KiB), %ld KiB after (%+ld KiB)\n",
		       round, w.before_kkib, w.during_kkib, w.during_kkib - w.before_kkib,
		       w.after_kkib, w.after_kkib - w.before_kkib);
		printf("# round %d: target /proc/meminfo before: %s\n# round %d: and after:            %s\n",
		       round, w.before_kernel, round, w.after_kernel);
		printf("# round %d: the target's own initiator served in %.3f s, done %.1f s into the flood; the flood's first deadline drop seen here %.1f s after its first connection; none left on the target %.1f s into the flood\n",
		       round, w.legit_served, w.legit_at, first_drop - first_est, w.zero_at);
		EXPECT_LT(0, w.before_kkib);
		EXPECT_LT(0, w.during_kkib);
		EXPECT_GT(MEM_BOUND_MIB << 10, w.during_kkib - w.before_kkib);
		EXPECT_LT(0, w.during_conns);
		EXPECT_GE(per_peer, w.during_conns);
		EXPECT_EQ(1, w.legit_ok) TH_LOG("round %d: %s", round, w.legit_why);
		/*
		 * Served while the flood was held: the watcher's clock starts at
		 * the first connection the target listed, before this side saw
		 * its first ESTABLISHED, so its legit was done before
		 * first_est + legit_at, and no deadline drop had come by then.
		 */
		EXPECT_LT(first_est + w.legit_at, first_drop);
		EXPECT_LT(0, w.after_kkib);
		EXPECT_GT(MEM_BOUND_MIB << 10, w.after_kkib - w.before_kkib);
		EXPECT_EQ(0, target_conns_wait(0, 10));
		flood_destroy(&f);

		/* d) Served afterwards, here and on the target. */
		EXPECT_EQ(0, legit(self->target, EXP_DAX, DAX_POOL, L_OPEN, &res))
			TH_LOG("round %d: %s", round, res.why);
		EXPECT_EQ(0, legit_on_target(L_OPEN, &target_served, &target_total, out,
					     sizeof(out)))
			TH_LOG("round %d: %s", round, out);
		printf("# round %d: after the flood served in %.3f s here, %.3f s on the target\n",
		       round, res.served, target_served);
		fflush(stdout);
	}
	/* The initiators remove their pools: answered, then the target disconnects. */
	EXPECT_EQ(0, legit(self->target, EXP_DAX, DAX_POOL, L_REMOVE, &res))
		TH_LOG("%s", res.why);
	EXPECT_EQ(0, legit_on_target(L_REMOVE, &target_served, &target_total, out, sizeof(out)))
		TH_LOG("%s", out);
	EXPECT_EQ(0, target_conns_wait(0, 10));
}

TEST_HARNESS_MAIN
