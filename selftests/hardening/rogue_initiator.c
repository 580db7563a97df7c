// SPDX-License-Identifier: GPL-2.0
/*
 * A rogue initiator against kpmem's in-kernel rpmem target, written on
 * userspace rdma-core (librdmacm, libibverbs) with its own encoding of the
 * wire protocol (kmod/rpmem_wire.h, version 3).  In a single guest it
 * connects to the target at 10.77.0.2:7440 (rxe1; the route to a local
 * address loops back on that device, as the module's own initiator's does)
 * and sends malformed connection private data, malformed, out-of-order and
 * out-of-range requests, RDMA WRITEs and READs with rkeys outside their
 * segments, stale and borrowed, floods of connects and disconnects in the
 * middle of requests.  Every abuse must end in a reply with an error status
 * or in the target disconnecting that one connection.
 *
 * Meanwhile a well-behaved initiator (librpmem, the module's own kernel
 * initiator) persists to and reads back another export from a thread, and
 * must never fail.  After each group: every export is idle, the target's
 * connection count is back (a max_target_conns probe), and a well-formed
 * connection is still served.  The messages sent are counted per category
 * and printed in the TAP output.
 *
 * Runs as root in a guest with kpmem.ko loaded; makes its own exports with
 * kpmemctl and, when the guest has an NVDIMM, a device DAX export for the
 * RDMA tests (skipped otherwise).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
#include <linux/kpmem.h>

#include <librpmem.h>

#include "kselftest_harness.h"

#define DST_ADDR	"10.77.0.2"
#define PORT		7440

/* The wire protocol, encoded here independently of the module's header. */
#define W_MAGIC		0x4b504d4d
#define W_VERSION	3
#define W_MSG		(64 * 1024)
#define W_MAX_DATA	(W_MSG - 32)
#define W_MAX_RANGES	(W_MAX_DATA / 16)
enum { W_HELLO = 1, W_PERSIST, W_READ, W_SET_ATTR, W_CLOSE, W_PERSIST_RANGES, W_KEEPALIVE };

struct w_cm_req {
	uint32_t magic;
	uint16_t version;
	uint16_t nlanes;
};

struct w_hdr {
	uint16_t type;
	uint16_t lane;
	uint32_t status;
	uint64_t seq;
	uint64_t offset;
	uint32_t length;
	uint32_t flags;
};

struct w_hello {
	uint32_t op;
	uint32_t flags;
	uint64_t pool_size;
	uint32_t nlanes;
	uint32_t name_len;
	char name[KPMEM_NAME_MAX + 1];
	struct kpmem_pool_attr attr;
	uint32_t has_proof;	/* 1: @proof answers the REP's challenge */
	uint32_t keepalive_ms;	/* 0: this initiator sends no keepalives */
	uint8_t proof[32];
};

struct w_hello_reply {
	uint64_t export_size;
	uint32_t nlanes;
	uint32_t hdr_size;
	struct kpmem_pool_attr attr;
	uint32_t nsegs;
	uint32_t reserved;
};

struct w_seg {
	uint64_t offset;
	uint64_t length;
	uint64_t addr;
	uint32_t rkey;
	uint32_t reserved;
};

struct w_range {
	uint64_t offset;
	uint64_t length;
};

_Static_assert(sizeof(struct w_hdr) == 32, "wire header");
_Static_assert(sizeof(struct w_hello) == 424, "wire hello");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the wire is little endian");

/* What was sent, per category; shared with the harness's forked tests. */
enum cat {
	C_CM, C_FRAME, C_HELLO, C_RANGE, C_RANGES, C_RDMA, C_FLOOD, C_MIDREQ, C_CONTROL, NCAT
};
static const char *const cat_name[NCAT] = {
	"connect private data", "framing and order", "HELLO", "PERSIST/READ ranges",
	"PERSIST_RANGES", "RDMA WRITE/READ with rkeys", "connect flood",
	"disconnect mid-request", "well-formed control",
};
static unsigned long *sent;
static enum cat cur_cat;

#define EXP_GOOD	"rogue.good"	/* the well-behaved initiator's */
#define EXP_FILE	"rogue.file"
#define EXP_NOHDR	"rogue.nohdr"
#define EXP_DENY	"rogue.deny"
#define EXP_DAX		"rogue.dax"
#define EXP_KEYED	"rogue.keyed"	/* a pre-shared key the rogue lacks */
#define FILE_SIZE	(16UL << 20)
#define POOL_SIZE	(1UL << 20)	/* pools on the file exports */
#define DAX_EXPORT	(32UL << 20)
#define DAX_POOL	(8UL << 20)
#define GOOD_SIZE	(1UL << 20)
#define TMO_MS		15000		/* TCG: everything is slow */

static double start_time;
static char devdax[64];		/* /dev/daxX.Y, when the guest has one */
static bool devdax_made;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static void count(enum cat c)
{
	__atomic_fetch_add(&sent[c], 1, __ATOMIC_RELAXED);
}

static const char *kpmemctl(void)
{
	static char path[512];
	const char *b = getenv("KPMEM_BUILD");

	snprintf(path, sizeof(path), "%s/tools/kpmemctl", b ? b : "build");
	return path;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The JSON export list, into @buf. */
static int export_list(char *buf, size_t len)
{
	char cmd[600];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "%s export-list --json", kpmemctl());
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(buf, 1, len - 1, p);
	buf[n] = '\0';
	return pclose(p) ? -1 : 0;
}

/* @name's "state" in the export list, "" when not listed. */
static void export_state(const char *list, const char *name, char *state, size_t len)
{
	char key[300];
	const char *p, *end;

	state[0] = '\0';
	snprintf(key, sizeof(key), "\"name\":\"%s\"", name);
	p = strstr(list, key);
	if (!p || !(p = strstr(p, "\"state\":\"")))
		return;
	p += strlen("\"state\":\"");
	end = strchr(p, '"');
	if (end && (size_t)(end - p) < len) {
		memcpy(state, p, end - p);
		state[end - p] = '\0';
	}
}

/* Wait (release is asynchronous) until @name's state is @want. */
static bool export_wait_state(const char *name, const char *want)
{
	static char list[65536];
	char state[32] = "";
	double end = now_s() + TMO_MS / 1000.0;

	do {
		if (!export_list(list, sizeof(list))) {
			export_state(list, name, state, sizeof(state));
			if (!strcmp(state, want))
				return true;
		}
		nap_us(100000);
	} while (now_s() < end);
	fprintf(stderr, "# export %s is '%s', not '%s':\n%s", name, state, want, list);
	return false;
}

static int param_get(const char *name)
{
	char path[128];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/sys/module/kpmem/parameters/%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int param_set(const char *name, int v)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "/sys/module/kpmem/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ret = fprintf(f, "%d\n", v) > 0 ? 0 : -1;
	return fclose(f) ? -1 : ret;
}

/* ------------------------------------------------------------------ */
/* The rogue: one rdma_cm connection with a few buffers.               */

#define R_SEND		0			/* room for an oversized send */
#define R_RECV		(2 * W_MSG)
#define R_MAXRECV	9
#define R_RDMA		(R_RECV + R_MAXRECV * W_MSG)
#define R_RDMA_SIZE	(64 * 1024)
#define R_BUF		(R_RDMA + R_RDMA_SIZE)

struct rogue {
	struct rdma_event_channel *ch;
	struct rdma_cm_id *id;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	char *buf;
	unsigned int nrecv;
	uint64_t seq;
	bool qp_made, connected, dead;
	int last_event, last_status;
	char reply[W_MSG];		/* the last reply received */
	struct w_seg segs[16];		/* from the last HELLO reply */
	uint32_t nsegs;
};

static int rogue_event(struct rogue *r, int ms)
{
	struct rdma_cm_event *ev;
	struct pollfd pfd = { .fd = r->ch->fd, .events = POLLIN };

	for (;;) {
		if (!rdma_get_cm_event(r->ch, &ev)) {
			r->last_event = ev->event;
			r->last_status = ev->status;
			rdma_ack_cm_event(ev);
			if (r->last_event == RDMA_CM_EVENT_DISCONNECTED ||
			    r->last_event == RDMA_CM_EVENT_TIMEWAIT_EXIT ||
			    r->last_event == RDMA_CM_EVENT_DEVICE_REMOVAL) {
				r->dead = true;
				r->connected = false;
			}
			return r->last_event;
		}
		if (errno != EAGAIN || !ms)
			return -1;
		if (poll(&pfd, 1, ms) <= 0)
			return -1;
		ms = 1;		/* something came: read it next time around */
	}
}

static int rogue_post_recv(struct rogue *r, unsigned int i)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)r->buf + R_RECV + (size_t)i * W_MSG,
		.length = W_MSG,
		.lkey = r->mr->lkey,
	};
	struct ibv_recv_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1 }, *bad;

	return ibv_post_recv(r->id->qp, &wr, &bad);
}

static int rogue_start_(struct rogue *r, const void *pdata, uint8_t pdlen, unsigned int nrecv,
			int *stage);

/* Resolve, make the queue pair, send the REQ.  0 or -1. */
static int rogue_start(struct rogue *r, const void *pdata, uint8_t pdlen, unsigned int nrecv)
{
	int stage = 0, ret = rogue_start_(r, pdata, pdlen, nrecv, &stage);

	if (ret)
		fprintf(stderr, "# rogue: connection setup failed at step %d: %s (event %d status %d)\n",
			stage, strerror(errno), r->last_event, r->last_status);
	return ret;
}

static int rogue_start_(struct rogue *r, const void *pdata, uint8_t pdlen, unsigned int nrecv,
			int *stage)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct ibv_qp_init_attr qa = { };
	struct rdma_conn_param cp = { };
	unsigned int i;

	memset(r, 0, sizeof(*r));
	inet_pton(AF_INET, DST_ADDR, &dst.sin_addr);
	r->nrecv = nrecv;
	r->ch = rdma_create_event_channel();
	if (!r->ch)
		return *stage = 1, -1;
	fcntl(r->ch->fd, F_SETFL, fcntl(r->ch->fd, F_GETFL) | O_NONBLOCK);
	if (rdma_create_id(r->ch, &r->id, r, RDMA_PS_TCP))
		return *stage = 2, -1;
	if (rdma_resolve_addr(r->id, NULL, (struct sockaddr *)&dst, 5000) ||
	    rogue_event(r, TMO_MS) != RDMA_CM_EVENT_ADDR_RESOLVED)
		return *stage = 3, -1;
	if (rdma_resolve_route(r->id, 5000) ||
	    rogue_event(r, TMO_MS) != RDMA_CM_EVENT_ROUTE_RESOLVED)
		return *stage = 4, -1;
	r->pd = ibv_alloc_pd(r->id->verbs);
	if (!r->pd)
		return *stage = 5, -1;
	r->cq = ibv_create_cq(r->id->verbs, 2 * R_MAXRECV + 64, NULL, NULL, 0);
	if (!r->cq)
		return *stage = 6, -1;
	r->buf = aligned_alloc(4096, R_BUF);
	if (!r->buf)
		return *stage = 7, -1;
	memset(r->buf, 0, R_BUF);
	r->mr = ibv_reg_mr(r->pd, r->buf, R_BUF, IBV_ACCESS_LOCAL_WRITE);
	if (!r->mr)
		return *stage = 8, -1;
	qa.send_cq = r->cq;
	qa.recv_cq = r->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = 32;
	qa.cap.max_recv_wr = R_MAXRECV;
	qa.cap.max_send_sge = 1;
	qa.cap.max_recv_sge = 1;
	if (rdma_create_qp(r->id, r->pd, &qa))
		return *stage = 9, -1;
	r->qp_made = true;
	for (i = 0; i < nrecv; i++)
		if (rogue_post_recv(r, i))
			return *stage = 10, -1;
	cp.private_data = pdata;
	cp.private_data_len = pdlen;
	cp.initiator_depth = 1;
	cp.responder_resources = 1;
	cp.retry_count = 3;
	cp.rnr_retry_count = 7;
	*stage = 99;
	return rdma_connect(r->id, &cp) ? -1 : 0;
}

/* After rogue_start(): 0 when established, -ECONNREFUSED when rejected. */
static int rogue_finish(struct rogue *r)
{
	int ev;

	if (!r->qp_made)
		return -EIO;
	ev = rogue_event(r, TMO_MS);

	if (ev == RDMA_CM_EVENT_ESTABLISHED) {
		r->connected = true;
		return 0;
	}
	r->dead = true;
	return ev == RDMA_CM_EVENT_REJECTED ? -ECONNREFUSED : -EIO;
}

static void rogue_close(struct rogue *r)
{
	if (r->connected)
		rdma_disconnect(r->id);
	if (r->qp_made)
		rdma_destroy_qp(r->id);
	if (r->mr)
		ibv_dereg_mr(r->mr);
	if (r->cq)
		ibv_destroy_cq(r->cq);
	if (r->pd)
		ibv_dealloc_pd(r->pd);
	if (r->id) {
		/* Every event must be acknowledged before the id goes. */
		while (rogue_event(r, 0) >= 0)
			;
		rdma_destroy_id(r->id);
	}
	if (r->ch)
		rdma_destroy_event_channel(r->ch);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

static int rogue_open_pd(struct rogue *r, const void *pdata, uint8_t pdlen, unsigned int nrecv)
{
	count(cur_cat);
	if (rogue_start(r, pdata, pdlen, nrecv))
		return -EIO;
	return rogue_finish(r);
}

/* A kpmem initiator's connection with @lanes lanes. */
static int rogue_open(struct rogue *r, unsigned int lanes)
{
	struct w_cm_req req = { W_MAGIC, W_VERSION, lanes };

	return rogue_open_pd(r, &req, sizeof(req), lanes + 1 > R_MAXRECV ? R_MAXRECV : lanes + 1);
}

static struct w_hdr *msg_at(struct rogue *r, size_t at, uint16_t type, uint16_t lane,
			    uint64_t offset, uint32_t length)
{
	struct w_hdr *h = (struct w_hdr *)(r->buf + at);

	memset(h, 0, sizeof(*h));
	h->type = type;
	h->lane = lane;
	h->seq = ++r->seq;
	h->offset = offset;
	h->length = length;
	return h;
}

static struct w_hdr *msg(struct rogue *r, uint16_t type, uint16_t lane, uint64_t offset,
			 uint32_t length)
{
	return msg_at(r, R_SEND, type, lane, offset, length);
}

static int post_send(struct rogue *r, uint64_t wr_id, size_t off, size_t len, bool signaled)
{
	struct ibv_sge sge = { .addr = (uintptr_t)r->buf + off, .length = len, .lkey = r->mr->lkey };
	struct ibv_send_wr wr = {
		.wr_id = wr_id, .sg_list = &sge, .num_sge = len ? 1 : 0,
		.opcode = IBV_WR_SEND, .send_flags = signaled ? IBV_SEND_SIGNALED : 0,
	}, *bad;

	count(cur_cat);
	return ibv_post_send(r->id->qp, &wr, &bad);
}

#define WR_SEND	(1ULL << 32)
#define WR_RDMA	(2ULL << 32)

/*
 * Send @len bytes from the send buffer and wait for the outcome: the
 * reply's status (>= 0, the reply in r->reply), or -ECONNRESET when the
 * target dropped the connection, -ETIMEDOUT when it did neither.
 */
static int rogue_xfer(struct rogue *r, size_t len)
{
	bool send_done = false, got_reply = false;
	double end = now_s() + TMO_MS / 1000.0;
	struct ibv_wc wc;

	if (r->dead)
		return -ECONNRESET;
	if (post_send(r, WR_SEND, R_SEND, len, true))
		return -ECONNRESET;
	while (now_s() < end) {
		int n = ibv_poll_cq(r->cq, 1, &wc);

		if (n == 1) {
			if (wc.status != IBV_WC_SUCCESS) {
				r->dead = true;
				return -ECONNRESET;
			}
			if (wc.wr_id == WR_SEND) {
				send_done = true;
			} else if (wc.opcode & IBV_WC_RECV) {
				memcpy(r->reply, r->buf + R_RECV + wc.wr_id * W_MSG, wc.byte_len);
				rogue_post_recv(r, wc.wr_id);
				got_reply = true;
			}
			if (send_done && got_reply)
				return ((struct w_hdr *)r->reply)->status;
			continue;
		}
		rogue_event(r, 0);
		if (r->dead)
			return -ECONNRESET;
		nap_us(200);
	}
	return -ETIMEDOUT;
}

static void hello_fill(struct w_hello *h, uint32_t op, uint32_t flags, uint64_t pool_size,
		       uint32_t nlanes, const char *name)
{
	memset(h, 0, sizeof(*h));
	h->op = op;
	h->flags = flags;
	h->pool_size = pool_size;
	h->nlanes = nlanes;
	h->name_len = strlen(name);
	strcpy(h->name, name);
	memcpy(h->attr.signature, "ROGUE", 5);
}

static struct w_hello *hello_msg(struct rogue *r, uint32_t op, uint32_t flags,
				 uint64_t pool_size, const char *name)
{
	struct w_hello *h = (struct w_hello *)(msg(r, W_HELLO, 0, 0, sizeof(*h)) + 1);

	hello_fill(h, op, flags, pool_size, 4, name);
	return h;
}

static int hello(struct rogue *r, uint32_t op, uint32_t flags, uint64_t pool_size,
		 const char *name)
{
	const struct w_hello_reply *rep = (void *)(r->reply + sizeof(struct w_hdr));
	int ret;

	hello_msg(r, op, flags, pool_size, name);
	ret = rogue_xfer(r, sizeof(struct w_hdr) + sizeof(struct w_hello));
	if (!ret) {
		r->nsegs = rep->nsegs < 16 ? rep->nsegs : 16;
		memcpy(r->segs, rep + 1, r->nsegs * sizeof(r->segs[0]));
	}
	return ret;
}

/* Request with no data (READ's length is what to read). */
static int req(struct rogue *r, uint16_t type, uint64_t offset, uint32_t length)
{
	msg(r, type, 0, offset, length);
	return rogue_xfer(r, sizeof(struct w_hdr));
}

static int persist(struct rogue *r, uint64_t offset, uint32_t length, uint8_t fill)
{
	struct w_hdr *h = msg(r, W_PERSIST, 0, offset, length);

	memset(h + 1, fill, length);
	return rogue_xfer(r, sizeof(*h) + length);
}

static int persist_ranges(struct rogue *r, const struct w_range *rg, uint32_t n)
{
	struct w_hdr *h = msg(r, W_PERSIST_RANGES, 0, 0, n * sizeof(*rg));

	memcpy(h + 1, rg, n * sizeof(*rg));
	return rogue_xfer(r, sizeof(*h) + n * sizeof(*rg));
}

/* One RDMA operation of ours; the work completion's status. */
static int rogue_rdma(struct rogue *r, bool write, size_t len, uint64_t raddr, uint32_t rkey)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)r->buf + R_RDMA, .length = len, .lkey = r->mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = WR_RDMA, .sg_list = &sge, .num_sge = 1,
		.opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	}, *bad;
	double end = now_s() + TMO_MS / 1000.0;
	struct ibv_wc wc;

	count(cur_cat);
	if (ibv_post_send(r->id->qp, &wr, &bad))
		return -1;
	while (now_s() < end) {
		if (ibv_poll_cq(r->cq, 1, &wc) == 1) {
			if (wc.wr_id != WR_RDMA)
				continue;
			if (wc.status != IBV_WC_SUCCESS)
				r->dead = true;
			return wc.status;
		}
		nap_us(200);
	}
	return -ETIMEDOUT;
}

/* A connection the target serves: HELLO (dropping any pool), CLOSE. */
static int probe_good_connection(void)
{
	enum cat saved = cur_cat;
	struct rogue r;
	int ret;

	cur_cat = C_CONTROL;
	ret = rogue_open(&r, 1);
	if (!ret)
		ret = hello(&r, KPMEM_POOL_REMOVE, KPMEM_POOL_REMOVE_FORCE, 0, EXP_NOHDR);
	if (!ret)
		ret = req(&r, W_CLOSE, 0, 0);
	rogue_close(&r);
	cur_cat = saved;
	return ret;
}

/*
 * The target's connection count is back to @held: with max_target_conns
 * at @held + 3, three connections at once are all accepted.
 */
static int conns_back_to(int held)
{
	int max = param_get("max_target_conns"), ok = 0, i, tries;
	enum cat saved = cur_cat;
	struct rogue r[3];

	if (max < 0 || param_set("max_target_conns", held + 3))
		return -1;
	cur_cat = C_CONTROL;
	/* Connections being released count until their work has run. */
	for (tries = 0; tries < 30 && ok != 3; tries++) {
		if (tries)
			nap_us(300000);
		for (i = 0; i < 3; i++) {
			count(C_CONTROL);
			rogue_start(&r[i], &(struct w_cm_req){ W_MAGIC, W_VERSION, 1 }, 8, 1);
		}
		for (ok = 0, i = 0; i < 3; i++) {
			ok += !rogue_finish(&r[i]);
		}
		for (i = 0; i < 3; i++)
			rogue_close(&r[i]);
	}
	param_set("max_target_conns", max);
	cur_cat = saved;
	return ok == 3 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* The well-behaved initiator.                                         */

struct good {
	RPMEMpool *rpp;
	char *pool, *back;
	unsigned int nlanes;
	pthread_t th;
	bool running;
	volatile int stop;
	unsigned long rounds, failures;
	char why[256];
};

static int good_round(struct good *g, unsigned long i)
{
	size_t off = 4096 + (i % 15) * 65536, len = 8192 + (i % 7) * 4096;
	unsigned int lane = i % g->nlanes;

	for (size_t k = 0; k < len; k++)
		g->pool[off + k] = (char)(i * 31 + k);
	if (rpmem_persist(g->rpp, off, len, lane, 0)) {
		snprintf(g->why, sizeof(g->why), "persist %lu: %s", i, rpmem_errormsg());
		return -1;
	}
	memset(g->back, 0, len);
	if (rpmem_read(g->rpp, g->back, off, len, lane)) {
		snprintf(g->why, sizeof(g->why), "read %lu: %s", i, rpmem_errormsg());
		return -1;
	}
	if (memcmp(g->back, g->pool + off, len)) {
		snprintf(g->why, sizeof(g->why), "round %lu read back other bytes", i);
		return -1;
	}
	g->rounds++;
	return 0;
}

static void *good_thread(void *arg)
{
	struct good *g = arg;

	while (!g->stop) {
		if (good_round(g, g->rounds + 1000)) {
			g->failures++;
			break;
		}
		nap_us(20000);
	}
	return NULL;
}

static int good_open(struct good *g)
{
	struct rpmem_pool_attr attr = { .signature = "GOOD" };

	memset(g, 0, sizeof(*g));
	g->pool = aligned_alloc(4096, GOOD_SIZE);
	g->back = malloc(GOOD_SIZE);
	if (!g->pool || !g->back)
		return -1;
	memset(g->pool, 0, GOOD_SIZE);
	g->nlanes = 4;
	g->rpp = rpmem_create(DST_ADDR, EXP_GOOD, g->pool, GOOD_SIZE, &g->nlanes, &attr);
	if (!g->rpp) {
		snprintf(g->why, sizeof(g->why), "rpmem_create: %s", rpmem_errormsg());
		return -1;
	}
	return g->nlanes ? 0 : -1;
}

/* ------------------------------------------------------------------ */

FIXTURE(target) {
	struct good good;
	char dir[64];
	bool dax;
	unsigned long before[NCAT];
	int max_conns;
	double t0;
};

static const char *const export_names[] = {
	EXP_FILE, EXP_NOHDR, EXP_DENY, EXP_DAX, EXP_GOOD, EXP_KEYED,
};

/* One shell for all of them: under TCG every process started costs. */
static void remove_exports(void)
{
	const char *k = kpmemctl();

	run("for e in %s %s %s %s %s %s; do %s export-remove --force $e; done >/dev/null 2>&1",
	    export_names[0], export_names[1], export_names[2], export_names[3], export_names[4],
	    export_names[5], k);
}

/* The rogue's exports idle and the good one @good (release is asynchronous). */
static bool exports_settled(bool dax, const char *good)
{
	static char list[65536];
	double end = now_s() + TMO_MS / 1000.0;
	char state[32];
	unsigned int i;
	bool ok;

	do {
		ok = !export_list(list, sizeof(list));
		for (i = 0; ok && i < 5; i++) {	/* not EXP_KEYED: the hello test's own */
			if (!strcmp(export_names[i], EXP_DAX) && !dax)
				continue;
			export_state(list, export_names[i], state, sizeof(state));
			ok = !strcmp(state, strcmp(export_names[i], EXP_GOOD) ? "idle" : good);
		}
		if (ok)
			return true;
		nap_us(100000);
	} while (now_s() < end);
	fprintf(stderr, "# exports not settled (%s wanted %s):\n%s", export_names[i - 1],
		good, list);
	return false;
}

static void rmdir_files(const char *dir)
{
	static const char *const files[] = {
		"good.img", "file.img", "nohdr.img", "deny.img", "keyed.img", "key",
	};
	char path[128];

	for (unsigned int i = 0; i < 6; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

FIXTURE_SETUP(target)
{
	char cmd[4096];
	const char *k = kpmemctl();

	self->max_conns = -1;
	self->t0 = now_s();
	memcpy(self->before, sent, sizeof(self->before));
	if (geteuid())
		SKIP(return, "needs root (exports are administration)");
	if (access("/dev/kpmem", F_OK) || access("/sys/class/infiniband/rxe1", F_OK))
		SKIP(return, "needs kpmem.ko and the single guest's rxe0/rxe1");
	self->max_conns = param_get("max_target_conns");
	ASSERT_LT(0, self->max_conns);
	/* A test killed at its time limit leaves its exports behind. */
	if (!export_list(cmd, sizeof(cmd)) && strstr(cmd, "\"rogue."))
		remove_exports();
	strcpy(self->dir, "/tmp/rogue.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(cmd, sizeof(cmd),
		 "%s export-add %s %s/good.img --size 16M && "
		 "%s export-add %s %s/file.img --size 16M && "
		 "%s export-add %s %s/nohdr.img --size 16M --nohdrs && "
		 "%s export-add %s %s/deny.img --size 16M --allow 10.77.9.9/32 >/dev/null",
		 k, EXP_GOOD, self->dir, k, EXP_FILE, self->dir, k, EXP_NOHDR, self->dir,
		 k, EXP_DENY, self->dir);
	ASSERT_EQ(0, run("%s", cmd));
	if (devdax[0]) {
		ASSERT_EQ(0, run("%s export-add %s %s --size 32M >/dev/null", k, EXP_DAX, devdax));
		self->dax = true;
	}
	/* Before the abuse: the good initiator works, then keeps working. */
	ASSERT_EQ(0, good_open(&self->good)) TH_LOG("%s", self->good.why);
	ASSERT_EQ(0, good_round(&self->good, 1)) TH_LOG("%s", self->good.why);
	ASSERT_EQ(0, pthread_create(&self->good.th, NULL, good_thread, &self->good));
	self->good.running = true;
}

FIXTURE_TEARDOWN(target)
{
	struct good *g = &self->good;
	int c;

	if (self->max_conns > 0)
		param_set("max_target_conns", self->max_conns);
	param_set("initiator_timeout_ms", 10000);
	if (g->running) {
		g->stop = 1;
		pthread_join(g->th, NULL);
		EXPECT_EQ(0UL, g->failures) TH_LOG("good initiator during the abuse: %s", g->why);
		EXPECT_LT(0UL, g->rounds);
		/* After the abuse. */
		EXPECT_EQ(0, good_round(g, 2)) TH_LOG("%s", g->why);
		/* The rogue's exports are idle, the good one still connected. */
		EXPECT_TRUE(exports_settled(self->dax, "connected"));
		EXPECT_EQ(0, conns_back_to(1));
		EXPECT_EQ(0, probe_good_connection());
		fprintf(stderr, "# good initiator: %lu rounds of persist+read during the abuse\n",
			g->rounds);
	}
	if (g->rpp) {
		EXPECT_EQ(0, rpmem_close(g->rpp));
		EXPECT_TRUE(exports_settled(self->dax, "idle"));
	}
	free(g->pool);
	free(g->back);
	remove_exports();
	if (self->dir[0])
		rmdir_files(self->dir);
	for (c = 0; c < NCAT; c++)
		if (sent[c] != self->before[c])
			fprintf(stderr, "# rogue messages sent: %-28s %lu\n", cat_name[c],
				sent[c] - self->before[c]);
	fprintf(stderr, "# group took %.1f s\n", now_s() - self->t0);
}

/* Malformed REQ private data: every one rejected, nothing kept. */
TEST_F_TIMEOUT(target, connect_private_data, 120)
{
	struct {
		const char *what;
		struct w_cm_req req;
		uint8_t len;
	} bad[] = {
		{ "none", { 0 }, 0 },
		{ "truncated (magic only)", { W_MAGIC, W_VERSION, 1 }, 4 },
		{ "truncated (no lanes)", { W_MAGIC, W_VERSION, 1 }, 6 },
		{ "wrong magic", { W_MAGIC ^ 1, W_VERSION, 1 }, 8 },
		{ "wrong version 1", { W_MAGIC, 1, 1 }, 8 },
		{ "wrong version 2", { W_MAGIC, 2, 1 }, 8 },
		{ "wrong version 4", { W_MAGIC, 4, 1 }, 8 },
		{ "wrong version 0xffff", { W_MAGIC, 0xffff, 1 }, 8 },
		{ "nlanes 0", { W_MAGIC, W_VERSION, 0 }, 8 },
		{ "nlanes 65", { W_MAGIC, W_VERSION, 65 }, 8 },
		{ "nlanes 0xffff", { W_MAGIC, W_VERSION, 0xffff }, 8 },
	};
	struct rogue r;
	unsigned int i, round;
	char big[56];

	cur_cat = C_CM;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			int ret = rogue_open_pd(&r, bad[i].len ? &bad[i].req : NULL, bad[i].len, 2);

			EXPECT_EQ(-ECONNREFUSED, ret) TH_LOG("%s: event %d", bad[i].what,
							      r.last_event);
			rogue_close(&r);
		}
	}
	/* 56 bytes, the most a REQ carries: a good request with trailing junk is fine. */
	memset(big, 0xee, sizeof(big));
	memcpy(big, &(struct w_cm_req){ W_MAGIC, W_VERSION, 64 }, 8);
	EXPECT_EQ(0, rogue_open_pd(&r, big, sizeof(big), R_MAXRECV));
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_REMOVE, KPMEM_POOL_REMOVE_FORCE, 0, EXP_FILE));
	rogue_close(&r);
}

static bool two_replies_or_dropped(struct rogue *r)
{
	double end = now_s() + TMO_MS / 1000.0;
	unsigned int replies = 0;
	struct ibv_wc wc;

	while (!r->dead && replies < 2 && now_s() < end) {
		if (ibv_poll_cq(r->cq, 1, &wc) == 1) {
			/* The target's queue pair went away under our send. */
			if (wc.status != IBV_WC_SUCCESS) {
				r->dead = true;
				break;
			}
			if (wc.opcode & IBV_WC_RECV)
				replies++;
		} else {
			rogue_event(r, 1);
		}
	}
	return r->dead || replies == 2;
}

/* Framing, lanes, order: each drops that connection, and only it. */
TEST_F_TIMEOUT(target, framing_and_order, 120)
{
	struct rogue r;
	struct w_hdr *h;
	unsigned int i;
	struct {
		const char *what;
		uint16_t type, lane;
		uint32_t length;	/* header field */
		size_t bytes;		/* sent */
		bool hello_first;
	} bad[] = {
		{ "empty message", 0, 0, 0, 0, false },
		{ "one byte", W_HELLO, 0, 0, 1, false },
		{ "31 bytes", W_HELLO, 0, 0, 31, false },
		{ "truncated HELLO", W_HELLO, 0, sizeof(struct w_hello), 32 + 100, false },
		{ "length says more", W_PERSIST, 0, 100, 32 + 50, true },
		{ "length says less", W_PERSIST, 0, 10, 32 + 50, true },
		{ "length 0xffffffff", W_PERSIST, 0, 0xffffffff, 32 + 64, true },
		{ "READ carrying data", W_READ, 0, 16, 32 + 16, true },
		{ "oversized message", W_PERSIST, 0, W_MSG - 32 + 1, W_MSG + 1, true },
		{ "type 0", 0, 0, 0, 32, true },
		{ "type 8", 8, 0, 0, 32, true },
		{ "a reply type", W_HELLO | 0x80, 0, 0, 32, true },
		{ "type 0xffff", 0xffff, 0, 0, 32, true },
		{ "lane = nlanes", W_READ, 4, 8, 32, true },
		{ "lane 0xffff", W_READ, 0xffff, 8, 32, true },
		{ "PERSIST before HELLO", W_PERSIST, 0, 8, 32 + 8, false },
		{ "READ before HELLO", W_READ, 0, 8, 32, false },
		{ "SET_ATTR before HELLO", W_SET_ATTR, 0, 104, 32 + 104, false },
		{ "CLOSE before HELLO", W_CLOSE, 0, 0, 32, false },
		{ "PERSIST_RANGES before HELLO", W_PERSIST_RANGES, 0, 16, 32 + 16, false },
		{ "KEEPALIVE before HELLO", W_KEEPALIVE, 0, 0, 32, false },
		{ "KEEPALIVE with data", W_KEEPALIVE, 0, 8, 32 + 8, true },
		{ "second HELLO", W_HELLO, 0, sizeof(struct w_hello), 32 + sizeof(struct w_hello), true },
		{ "SET_ATTR short", W_SET_ATTR, 0, 50, 32 + 50, true },
		{ "CLOSE with data", W_CLOSE, 0, 8, 32 + 8, true },
		{ "PERSIST_RANGES on a file export", W_PERSIST_RANGES, 0, 16, 32 + 16, true },
	};

	cur_cat = C_FRAME;
	ASSERT_EQ(0, rogue_open(&r, 4));
	ASSERT_EQ(0, hello(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE));
	ASSERT_EQ(0, req(&r, W_CLOSE, 0, 0));
	rogue_close(&r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(0, rogue_open(&r, 4)) TH_LOG("%s", bad[i].what);
		if (bad[i].hello_first)
			ASSERT_EQ(0, hello(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE))
				TH_LOG("%s: HELLO", bad[i].what);
		h = msg(&r, bad[i].type, bad[i].lane, 4096, bad[i].length);
		if (bad[i].type == W_HELLO && bad[i].bytes > 32)
			hello_fill((struct w_hello *)(h + 1), KPMEM_POOL_OPEN, 0, POOL_SIZE, 4,
				   EXP_FILE);
		EXPECT_EQ(-ECONNRESET, rogue_xfer(&r, bad[i].bytes)) TH_LOG("%s", bad[i].what);
		rogue_close(&r);
		if (i % 6 == 5)
			EXPECT_EQ(0, probe_good_connection()) TH_LOG("after %s", bad[i].what);
	}

	/* Nothing may overtake a HELLO: two back to back on two lanes. */
	ASSERT_EQ(0, rogue_open(&r, 4));
	hello_msg(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE);
	ASSERT_EQ(0, post_send(&r, 1, R_SEND, 32 + sizeof(struct w_hello), false));
	h = msg_at(&r, 2 * 4096, W_READ, 1, 4096, 8);
	ASSERT_EQ(0, post_send(&r, 2, 2 * 4096, sizeof(*h), false));
	/* Either the READ came during the HELLO (dropped) or after it (served). */
	EXPECT_TRUE(two_replies_or_dropped(&r));
	rogue_close(&r);
	EXPECT_TRUE(export_wait_state(EXP_FILE, "idle"));
	EXPECT_EQ(0, probe_good_connection());
}

/* HELLO: missing, forbidden, busy and absurd exports and pools. */
TEST_F_TIMEOUT(target, hello, 120)
{
	struct rogue r;
	struct w_hello *h;
	char name[300];
	unsigned int i;
	FILE *keyf;
	struct {
		const char *what;
		uint32_t op, flags;
		uint64_t size;
		const char *name;
		int status;
	} bad[] = {
		{ "missing export", KPMEM_POOL_OPEN, 0, POOL_SIZE, "rogue.missing", ENOENT },
		{ "empty name", KPMEM_POOL_OPEN, 0, POOL_SIZE, "", ENOENT },
		{ "path name", KPMEM_POOL_OPEN, 0, POOL_SIZE, "../../etc/passwd", ENOENT },
		{ "disallowed export", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_DENY,
		  EACCES },
		{ "export in use", KPMEM_POOL_OPEN, 0, GOOD_SIZE, EXP_GOOD, EBUSY },
		{ "op 0", 0, 0, POOL_SIZE, EXP_FILE, EINVAL },
		{ "op 4", 4, 0, POOL_SIZE, EXP_FILE, EINVAL },
		{ "op 0xffffffff", 0xffffffff, 0, POOL_SIZE, EXP_FILE, EINVAL },
		{ "unknown flags", KPMEM_POOL_CREATE, 0x80000001, POOL_SIZE, EXP_FILE, EINVAL },
		{ "pool size 0", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, 0, EXP_FILE, EINVAL },
		{ "pool size unaligned", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE + 1,
		  EXP_FILE, EINVAL },
		{ "pool size = header", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, 4096, EXP_FILE,
		  EINVAL },
		{ "pool size > export", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, FILE_SIZE + 4096,
		  EXP_FILE, EFBIG },
		{ "pool size 2^63", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, 1ULL << 63, EXP_FILE,
		  EFBIG },
		{ "pool size ~0", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, ~0ULL, EXP_FILE, EINVAL },
		{ "pool size -4096", KPMEM_POOL_OPEN, 0, -4096ULL, EXP_FILE, EFBIG },
		{ "create without attributes", KPMEM_POOL_CREATE, 0, POOL_SIZE, EXP_FILE, EINVAL },
		{ "create NOHDRS with attributes", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR,
		  POOL_SIZE, EXP_NOHDR, EINVAL },
		{ "open without a pool", KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE, ENOENT },
		{ "remove without a pool", KPMEM_POOL_REMOVE, 0, 0, EXP_FILE, ENOENT },
	};

	cur_cat = C_HELLO;
	/* Refusals are replies: the same connection goes on asking. */
	ASSERT_EQ(0, rogue_open(&r, 4));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *what = bad[i].what;
		int want = bad[i].status;
		int ret = hello(&r, bad[i].op, bad[i].flags, bad[i].size, bad[i].name);

		EXPECT_EQ(want, ret) TH_LOG("%s", what);
	}
	/* A keepalive period past the protocol's limit. */
	h = hello_msg(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE);
	h->keepalive_ms = 60001;
	EXPECT_EQ(EINVAL, rogue_xfer(&r, 32 + sizeof(*h)));
	/* nlanes 0 asks to be served nothing. */
	h = hello_msg(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE);
	h->nlanes = 0;
	EXPECT_EQ(EINVAL, rogue_xfer(&r, 32 + sizeof(*h)));
	/* Absurd nlanes: granted what the connection has. */
	h = hello_msg(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE);
	h->nlanes = 0xffffffff;
	EXPECT_EQ(0, rogue_xfer(&r, 32 + sizeof(*h)));
	EXPECT_EQ(4U, ((struct w_hello_reply *)(r.reply + 32))->nlanes);
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	/* The pool exists now. */
	EXPECT_EQ(EEXIST, hello(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE));
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE));
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	rogue_close(&r);

	/* Names the target cannot even parse: dropped. */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, rogue_open(&r, 2));
		h = hello_msg(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE);
		switch (i) {
		case 0:		/* longer than any name */
			h->name_len = KPMEM_NAME_MAX + 1;
			break;
		case 1:		/* disagrees with the string */
			h->name_len = 3;
			break;
		case 2:		/* no terminating NUL at all */
			memset(h->name, 'a', sizeof(h->name));
			h->name_len = KPMEM_NAME_MAX;
			break;
		case 3:		/* 4 GiB name */
			h->name_len = 0xffffffff;
			break;
		}
		EXPECT_EQ(-ECONNRESET, rogue_xfer(&r, 32 + sizeof(*h))) TH_LOG("name %u", i);
		rogue_close(&r);
	}
	/* An export with a pre-shared key: no proof, a bogus one, a bad flag. */
	snprintf(name, sizeof(name), "%s/key", self->dir);
	keyf = fopen(name, "w");
	ASSERT_NE(NULL, keyf);
	for (i = 0; i < 32; i++)
		fputc(0x11, keyf);
	ASSERT_EQ(0, fclose(keyf));
	ASSERT_EQ(0, run("%s export-add %s %s/keyed.img --size 4M --key-file %s >/dev/null",
			 kpmemctl(), EXP_KEYED, self->dir, name));
	ASSERT_EQ(0, rogue_open(&r, 2));
	for (i = 0; i < 4; i++) {
		h = hello_msg(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_KEYED);
		h->has_proof = i == 3 ? 2 : !!i;
		memset(h->proof, i == 2 ? 0x11 : 0, sizeof(h->proof));
		EXPECT_EQ(EACCES, rogue_xfer(&r, 32 + sizeof(*h))) TH_LOG("proof %u", i);
	}
	rogue_close(&r);
	EXPECT_EQ(0, run("%s export-remove %s >/dev/null", kpmemctl(), EXP_KEYED));

	/* A name of the longest length, not an export. */
	ASSERT_EQ(0, rogue_open(&r, 2));
	memset(name, 'n', KPMEM_NAME_MAX);
	name[KPMEM_NAME_MAX] = '\0';
	EXPECT_EQ(ENOENT, hello(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, name));
	rogue_close(&r);
	EXPECT_TRUE(export_wait_state(EXP_DENY, "idle"));
}

/* PERSIST and READ with out-of-range, overflowing and header offsets. */
TEST_F_TIMEOUT(target, persist_read_ranges, 120)
{
	struct {
		const char *what;
		uint16_t type;
		uint64_t offset;
		uint32_t length;
		int status;
	} bad[] = {
		{ "persist into the header", W_PERSIST, 0, 16, EINVAL },
		{ "persist across the header's end", W_PERSIST, 4090, 16, EINVAL },
		{ "persist past the pool", W_PERSIST, POOL_SIZE - 8, 16, EINVAL },
		{ "persist at the pool's end", W_PERSIST, POOL_SIZE, 1, EINVAL },
		{ "persist far away", W_PERSIST, FILE_SIZE, 16, EINVAL },
		{ "persist overflowing", W_PERSIST, ~0ULL - 7, 16, EINVAL },
		{ "persist at 2^63", W_PERSIST, 1ULL << 63, 16, EINVAL },
		{ "persist of 0 bytes", W_PERSIST, 4096, 0, EINVAL },
		{ "read of 0 bytes", W_READ, 4096, 0, EINVAL },
		{ "read past the pool", W_READ, POOL_SIZE - 4, 8, EINVAL },
		{ "read overflowing", W_READ, ~0ULL - 3, 8, EINVAL },
		{ "read beyond a message", W_READ, 4096, W_MAX_DATA + 1, EINVAL },
		{ "read of 64 KiB", W_READ, 4096, W_MSG, EINVAL },
		{ "read of 4 GiB", W_READ, 4096, 0xffffffff, EINVAL },
		{ "read at 2^63", W_READ, 1ULL << 63, 8, EINVAL },
	};
	struct rogue r;
	unsigned int i;

	cur_cat = C_RANGE;
	ASSERT_EQ(0, rogue_open(&r, 4));
	ASSERT_EQ(0, hello(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE));
	EXPECT_EQ(0, persist(&r, 8192, 4096, 0x3c));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = bad[i].type == W_PERSIST ?
			persist(&r, bad[i].offset, bad[i].length, 0xee) :
			req(&r, W_READ, bad[i].offset, bad[i].length);

		EXPECT_EQ(bad[i].status, ret) TH_LOG("%s", bad[i].what);
	}
	/* Reading the header is allowed; the largest read fits a message. */
	EXPECT_EQ(0, req(&r, W_READ, 0, 4096));
	EXPECT_EQ(0, req(&r, W_READ, POOL_SIZE - W_MAX_DATA, W_MAX_DATA));
	EXPECT_EQ((uint32_t)W_MAX_DATA, ((struct w_hdr *)r.reply)->length);
	/* None of the refused persists landed. */
	EXPECT_EQ(0, req(&r, W_READ, 8192 - 16, 4096 + 32));
	for (i = 0; i < 4096 + 32; i++) {
		char want = i < 16 || i >= 4096 + 16 ? 0 : 0x3c;

		if (r.reply[32 + i] != want) {
			EXPECT_EQ(want, r.reply[32 + i]) TH_LOG("byte %u", i);
			break;
		}
	}
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	/* After CLOSE, no more requests. */
	EXPECT_EQ(-ECONNRESET, req(&r, W_READ, 8192, 8));
	rogue_close(&r);

	/* Without a header, offset 0 is the pool's. */
	ASSERT_EQ(0, rogue_open(&r, 4));
	ASSERT_EQ(0, hello(&r, KPMEM_POOL_CREATE, 0, POOL_SIZE, EXP_NOHDR));
	EXPECT_EQ(0, persist(&r, 0, 16, 0x11));
	EXPECT_EQ(EINVAL, persist(&r, POOL_SIZE - 8, 16, 0x11));
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_REMOVE, 0, 0, EXP_NOHDR));
	rogue_close(&r);
}

/* A connection with the device DAX export's segments. */
static int dax_hello(struct rogue *r, uint32_t op)
{
	int ret = rogue_open(r, 4);

	if (!ret)
		ret = hello(r, op, op == KPMEM_POOL_CREATE ? KPMEM_POOL_HAS_ATTR : 0, DAX_POOL,
			    EXP_DAX);
	return ret;
}

/* Pool offset @off's remote address under @r's segments, its rkey in @rkey. */
static uint64_t seg_addr(const struct rogue *r, uint64_t off, uint32_t *rkey)
{
	for (uint32_t i = 0; i < r->nsegs; i++) {
		const struct w_seg *s = &r->segs[i];

		if (off >= s->offset && off < s->offset + s->length) {
			*rkey = s->rkey;
			return s->addr + (off - s->offset);
		}
	}
	*rkey = r->segs[0].rkey;
	return 0;
}

static bool all_bytes(const char *p, size_t len, char c)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

#define CANARY	((char)0xa5)
#define CTRL_OFF	0x10000UL	/* where the well-formed RDMA WRITE goes */

/* PERSIST_RANGES, and RDMA with rkeys out of their bounds, stale or borrowed. */
TEST_F_TIMEOUT(target, rdma_and_ranges, 120)
{
	static const struct {
		const char *what;
		struct w_range r;
	} bad[] = {
		{ "the header", { 0, 16 } },
		{ "across the header's end", { 4090, 16 } },
		{ "past the pool", { DAX_POOL - 8, 16 } },
		{ "beyond the export", { DAX_EXPORT, 4096 } },
		{ "overflowing", { 4096, ~0ULL } },
		{ "overflowing offset", { ~0ULL - 7, 16 } },
		{ "zero length", { 4096, 0 } },
	};
	struct rogue a, b;
	struct w_range rg[W_MAX_RANGES];
	uint64_t first, last_end, addr;
	uint32_t rkey, old_rkey;
	const struct w_seg *last;
	unsigned int i;
	char *map;
	int fd, st;

	if (!self->dax) {
		/* Harness guests have an NVDIMM (--pmem both): not having one is a failure there. */
		ASSERT_EQ(NULL, getenv("KPMEM_VM_ROLE")) TH_LOG("no device DAX in this guest");
		SKIP(return, "no device DAX here");
	}
	fd = open(devdax, O_RDWR);
	ASSERT_LE(0, fd);
	map = mmap(NULL, DAX_EXPORT, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	memset(map, CANARY, DAX_EXPORT);

	/* The well-formed path works: WRITE into a segment, PERSIST_RANGES. */
	cur_cat = C_RANGES;
	ASSERT_EQ(0, dax_hello(&a, KPMEM_POOL_CREATE));
	ASSERT_LT(0U, a.nsegs);
	first = a.segs[0].offset;
	last = &a.segs[a.nsegs - 1];
	last_end = last->offset + last->length;
	EXPECT_EQ((uint64_t)KPMEM_POOL_HDR_SIZE, first);
	EXPECT_EQ((uint64_t)DAX_POOL, last_end);
	addr = seg_addr(&a, CTRL_OFF, &rkey);
	memset(a.buf + R_RDMA, 0x5a, 4096);
	EXPECT_EQ(IBV_WC_SUCCESS, rogue_rdma(&a, true, 4096, addr, rkey));
	rg[0] = (struct w_range){ CTRL_OFF, 4096 };
	EXPECT_EQ(0, persist_ranges(&a, rg, 1));
	EXPECT_TRUE(all_bytes(map + CTRL_OFF, 4096, 0x5a));
	memset(a.buf + R_RDMA, 0, 4096);
	EXPECT_EQ(IBV_WC_SUCCESS, rogue_rdma(&a, false, 4096, addr, rkey));
	EXPECT_TRUE(all_bytes(a.buf + R_RDMA, 4096, 0x5a));

	/* PERSIST_RANGES out of bounds: refused with a reply. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rg[0] = (struct w_range){ CTRL_OFF, 16 };
		rg[1] = bad[i].r;
		EXPECT_EQ(EINVAL, persist_ranges(&a, rg, 2)) TH_LOG("%s", bad[i].what);
	}
	/* More than 64 MiB in total, in ranges each valid. */
	for (i = 0; i < 9; i++)
		rg[i] = (struct w_range){ 4096, DAX_POOL - 4096 };
	EXPECT_EQ(EINVAL, persist_ranges(&a, rg, 9));
	/* Lengths adding up past 2^64 in total. */
	rg[0] = (struct w_range){ 4096, DAX_POOL - 4096 };
	for (i = 1; i < 4; i++)
		rg[i] = (struct w_range){ 4096, ~0ULL - 8192 };
	EXPECT_EQ(EINVAL, persist_ranges(&a, rg, 4));
	/* As many ranges as a message holds is fine. */
	for (i = 0; i < W_MAX_RANGES; i++)
		rg[i] = (struct w_range){ 4096 + i * 16, 16 };
	EXPECT_EQ(0, persist_ranges(&a, rg, W_MAX_RANGES));
	/* A length that is no whole number of ranges, or none: dropped. */
	msg(&a, W_PERSIST_RANGES, 0, 0, 24);
	EXPECT_EQ(-ECONNRESET, rogue_xfer(&a, 32 + 24));
	rogue_close(&a);
	ASSERT_EQ(0, dax_hello(&a, KPMEM_POOL_OPEN));
	msg(&a, W_PERSIST_RANGES, 0, 0, 0);
	EXPECT_EQ(-ECONNRESET, rogue_xfer(&a, 32));
	rogue_close(&a);
	/* More ranges than a message holds. */
	ASSERT_EQ(0, dax_hello(&a, KPMEM_POOL_OPEN));
	msg(&a, W_PERSIST_RANGES, 0, 0, (W_MAX_RANGES + 1) * 16);
	EXPECT_EQ(-ECONNRESET, rogue_xfer(&a, 32 + (W_MAX_RANGES + 1) * 16));
	rogue_close(&a);

	/* RDMA outside the advertised segments: each kills its queue pair. */
	cur_cat = C_RDMA;
	for (i = 0; i < 7; i++) {
		bool write = i != 3 && i != 4;
		size_t len = 4096;

		ASSERT_EQ(0, dax_hello(&a, KPMEM_POOL_OPEN)) TH_LOG("attack %u", i);
		switch (i) {
		case 0:		/* the header, just before the first segment */
		case 3:
			addr = a.segs[0].addr - 4096;
			rkey = a.segs[0].rkey;
			break;
		case 1:		/* past the pool, after the last segment */
		case 4:
			addr = a.segs[a.nsegs - 1].addr + a.segs[a.nsegs - 1].length;
			rkey = a.segs[a.nsegs - 1].rkey;
			break;
		case 2:		/* straddling the pool's end */
			addr = a.segs[a.nsegs - 1].addr + a.segs[a.nsegs - 1].length - 2048;
			rkey = a.segs[a.nsegs - 1].rkey;
			break;
		case 5:		/* a key that is not ours */
			addr = seg_addr(&a, CTRL_OFF, &rkey);
			rkey ^= 0x5a;
			break;
		case 6:		/* far away */
			addr = a.segs[0].addr + (1ULL << 40);
			rkey = a.segs[0].rkey;
			break;
		}
		memset(a.buf + R_RDMA, 0xbd, len);
		st = rogue_rdma(&a, write, len, addr, rkey);
		EXPECT_NE(IBV_WC_SUCCESS, st) TH_LOG("attack %u", i);
		if (!write)
			EXPECT_TRUE(all_bytes(a.buf + R_RDMA, len, (char)0xbd)) TH_LOG("attack %u", i);
		rogue_close(&a);
	}

	/* A stale rkey after CLOSE, and after CLOSE and a new HELLO. */
	ASSERT_EQ(0, dax_hello(&a, KPMEM_POOL_OPEN));
	addr = seg_addr(&a, CTRL_OFF, &old_rkey);
	EXPECT_EQ(0, req(&a, W_CLOSE, 0, 0));
	EXPECT_NE(IBV_WC_SUCCESS, rogue_rdma(&a, true, 4096, addr, old_rkey));
	rogue_close(&a);
	ASSERT_EQ(0, dax_hello(&a, KPMEM_POOL_OPEN));
	addr = seg_addr(&a, CTRL_OFF, &old_rkey);
	EXPECT_EQ(0, req(&a, W_CLOSE, 0, 0));
	EXPECT_EQ(0, hello(&a, KPMEM_POOL_OPEN, 0, DAX_POOL, EXP_DAX));
	seg_addr(&a, CTRL_OFF, &rkey);
	EXPECT_NE(old_rkey, rkey);
	EXPECT_NE(IBV_WC_SUCCESS, rogue_rdma(&a, true, 4096, addr, old_rkey));
	rogue_close(&a);
	/* A stale rkey from a connection that is gone. */
	ASSERT_EQ(0, dax_hello(&a, KPMEM_POOL_OPEN));
	addr = seg_addr(&a, CTRL_OFF, &old_rkey);
	rogue_close(&a);
	EXPECT_TRUE(export_wait_state(EXP_DAX, "idle"));
	ASSERT_EQ(0, rogue_open(&b, 2));
	EXPECT_NE(IBV_WC_SUCCESS, rogue_rdma(&b, true, 4096, addr, old_rkey));
	rogue_close(&b);

	/* Another connection's live rkey, from a connection without an export. */
	ASSERT_EQ(0, dax_hello(&a, KPMEM_POOL_OPEN));
	addr = seg_addr(&a, CTRL_OFF, &rkey);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, rogue_open(&b, 2));
		if (i)
			EXPECT_EQ(0, hello(&b, KPMEM_POOL_REMOVE, KPMEM_POOL_REMOVE_FORCE, 0,
					   EXP_FILE));
		memset(b.buf + R_RDMA, 0xbd, 4096);
		EXPECT_NE(IBV_WC_SUCCESS, rogue_rdma(&b, !i, 4096, addr, rkey)) TH_LOG("%u", i);
		EXPECT_TRUE(all_bytes(b.buf + R_RDMA, 4096, (char)0xbd));
		rogue_close(&b);
	}
	/* ... which still works for its owner. */
	cur_cat = C_CONTROL;
	memset(a.buf + R_RDMA, 0x77, 4096);
	EXPECT_EQ(IBV_WC_SUCCESS, rogue_rdma(&a, true, 4096, addr, rkey));
	rg[0] = (struct w_range){ CTRL_OFF, 4096 };
	EXPECT_EQ(0, persist_ranges(&a, rg, 1));
	EXPECT_EQ(0, req(&a, W_CLOSE, 0, 0));
	rogue_close(&a);

	/* Outside the pool header, only the two well-formed writes landed. */
	EXPECT_TRUE(all_bytes(map + CTRL_OFF, 4096, 0x77));
	EXPECT_TRUE(all_bytes(map + KPMEM_POOL_HDR_SIZE, CTRL_OFF - KPMEM_POOL_HDR_SIZE, CANARY));
	EXPECT_TRUE(all_bytes(map + CTRL_OFF + 4096, DAX_EXPORT - CTRL_OFF - 4096, CANARY));
	munmap(map, DAX_EXPORT);
	close(fd);
}

/* Connects: 200 in a row, and more than max_target_conns at once. */
TEST_F_TIMEOUT(target, connect_flood, 180)
{
	const int nflood = 200, over = 4;
	int i, est = 0, rej = 0, max = 6;
	struct rogue r, *many;
	double t0 = now_s();

	cur_cat = C_FLOOD;
	for (i = 0; i < nflood; i++) {
		int ret = rogue_open(&r, 1 + i % 3);

		ASSERT_EQ(0, ret) TH_LOG("connect %d", i);
		/* Every tenth takes the export and leaves without CLOSE. */
		if (i % 10 == 9)
			EXPECT_EQ(0, hello(&r, KPMEM_POOL_REMOVE, KPMEM_POOL_REMOVE_FORCE, 0, EXP_FILE));
		rogue_close(&r);
	}
	fprintf(stderr, "# %d connects in a row: %.1f s\n", nflood, now_s() - t0);

	/* The good initiator holds one connection. */
	ASSERT_EQ(0, param_set("max_target_conns", max));
	many = calloc(max + over, sizeof(*many));
	ASSERT_NE(NULL, many);
	for (i = 0; i < max + over; i++) {
		count(C_FLOOD);
		EXPECT_EQ(0, rogue_start(&many[i], &(struct w_cm_req){ W_MAGIC, W_VERSION, 2 }, 8, 3));
	}
	for (i = 0; i < max + over; i++) {
		int ret = rogue_finish(&many[i]);

		est += !ret;
		rej += ret == -ECONNREFUSED;
	}
	fprintf(stderr, "# %d at once with max_target_conns %d: %d accepted, %d rejected\n",
		max + over, max, est, rej);
	EXPECT_EQ(max + over, est + rej);
	EXPECT_GE(max - 1, est);
	EXPECT_LE(over + 1, rej);
	/* The accepted ones are served. */
	for (i = 0; i < max + over; i++)
		if (many[i].connected)
			EXPECT_EQ(ENOENT, hello(&many[i], KPMEM_POOL_OPEN, 0, POOL_SIZE, "nothing"));
	for (i = 0; i < max + over; i++)
		rogue_close(&many[i]);
	free(many);
	ASSERT_EQ(0, param_set("max_target_conns", self->max_conns));
}

/* A child that connects, starts requests and dies without a word. */
static void die_mid_request(const char *name, uint32_t op, uint64_t size)
{
	struct rogue r;
	int i;

	if (rogue_open(&r, 4) || hello(&r, op, op == KPMEM_POOL_CREATE ? KPMEM_POOL_HAS_ATTR : 0,
				       size, name))
		_exit(1);
	/* Two persists of 60000 bytes (both halves of the send area), two reads. */
	for (i = 0; i < 4; i++) {
		size_t at = i % 2 ? R_RDMA + i * 64 : R_SEND + (i / 2) * W_MSG;

		msg_at(&r, at, i % 2 ? W_READ : W_PERSIST, i, 4096 + i * 65536,
		       i % 2 ? W_MAX_DATA : 60000);
		post_send(&r, i, at, i % 2 ? 32 : 32 + 60000, false);
	}
	_exit(0);
}

/* Disconnects in the middle of requests and of HELLO. */
TEST_F_TIMEOUT(target, disconnect_mid_request, 120)
{
	struct w_hello *h;
	struct rogue r;
	int i, lane, status;
	pid_t pid;

	cur_cat = C_MIDREQ;
	/*
	 * Processes that die with requests posted: the kernel disconnects
	 * them.  First, while this process has no rdma-core state a child
	 * would share (its device files would outlive the child).
	 */
	for (i = 0; i < 3; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			die_mid_request(EXP_FILE, i ? KPMEM_POOL_OPEN : KPMEM_POOL_CREATE, POOL_SIZE);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
		sent[C_MIDREQ] += 6;	/* the child's connect, HELLO and requests */
		EXPECT_TRUE(export_wait_state(EXP_FILE, "idle"));
	}
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, rogue_open(&r, 4));
		ASSERT_EQ(0, hello(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE));
		/* Persists and reads on every lane, then gone at once. */
		for (lane = 0; lane < 4; lane++) {
			size_t at = lane % 2 ? R_RDMA + lane * 64 : R_SEND + (lane / 2) * W_MSG;

			msg_at(&r, at, lane % 2 ? W_READ : W_PERSIST, lane, 4096 + lane * 65536,
			       lane % 2 ? W_MAX_DATA : 60000);
			post_send(&r, lane, at, lane % 2 ? 32 : 32 + 60000, false);
		}
		if (i % 2)
			nap_us(i * 2000);
		rogue_close(&r);
	}
	/* Gone in the middle of HELLO (which registers memory on device DAX). */
	for (i = 0; i < 6; i++) {
		bool dax = self->dax && i % 2;
		const char *name = dax ? EXP_DAX : EXP_FILE;

		ASSERT_EQ(0, rogue_open(&r, 4));
		h = hello_msg(&r, KPMEM_POOL_OPEN, 0, dax ? DAX_POOL : POOL_SIZE, name);
		if (dax && i == 1) {
			h->op = KPMEM_POOL_CREATE;
			h->flags = KPMEM_POOL_HAS_ATTR;
		}
		post_send(&r, 0, R_SEND, 32 + sizeof(struct w_hello), false);
		nap_us(i * 3000);
		rogue_close(&r);
	}
	EXPECT_TRUE(export_wait_state(EXP_FILE, "idle"));
	if (self->dax)
		EXPECT_TRUE(export_wait_state(EXP_DAX, "idle"));
	/* The export is served again at once. */
	ASSERT_EQ(0, rogue_open(&r, 4));
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE));
	EXPECT_EQ(0, persist(&r, 4096, 100, 1));
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	rogue_close(&r);
}

/*
 * An initiator that promised keepalives and went quiet without a
 * disconnect (its host died, its link was cut) loses the export; one that
 * promised none keeps it however quiet, and one that keeps its promise is
 * never dropped.
 */
TEST_F_TIMEOUT(target, silent_initiator_is_dropped, 120)
{
	struct rogue quiet, silent, chatty;
	struct w_hello *h;
	double t0;

	cur_cat = C_CONTROL;
	ASSERT_EQ(0, param_set("initiator_timeout_ms", 1500));
	ASSERT_EQ(0, rogue_open(&silent, 2));
	h = hello_msg(&silent, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE);
	h->keepalive_ms = 200;
	ASSERT_EQ(0, rogue_xfer(&silent, 32 + sizeof(*h)));
	EXPECT_EQ(0, req(&silent, W_KEEPALIVE, 0, 0));
	/* Silent from now on: dropped after 1.5 s (the watchdog looks once a second). */
	t0 = now_s();
	EXPECT_TRUE(export_wait_state(EXP_FILE, "idle"));
	TH_LOG("the silent initiator lost its export after %.1f s", now_s() - t0);
	EXPECT_GT(8.0, now_s() - t0);
	EXPECT_EQ(-ECONNRESET, req(&silent, W_KEEPALIVE, 0, 0));
	rogue_close(&silent);

	/* No keepalives promised (keepalive_ms 0): kept however long it is quiet. */
	ASSERT_EQ(0, rogue_open(&quiet, 2));
	ASSERT_EQ(0, hello(&quiet, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE));
	nap_us(4000000);
	EXPECT_EQ(0, req(&quiet, W_KEEPALIVE, 0, 0));
	EXPECT_EQ(0, req(&quiet, W_CLOSE, 0, 0));
	rogue_close(&quiet);
	EXPECT_TRUE(export_wait_state(EXP_FILE, "idle"));

	/* Keepalives every 300 ms for 4 s: never dropped. */
	ASSERT_EQ(0, rogue_open(&chatty, 2));
	h = hello_msg(&chatty, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE);
	h->keepalive_ms = 300;
	ASSERT_EQ(0, rogue_xfer(&chatty, 32 + sizeof(*h)));
	for (int i = 0; i < 13; i++) {
		nap_us(300000);
		EXPECT_EQ(0, req(&chatty, W_KEEPALIVE, 0, 0)) TH_LOG("keepalive %d", i);
	}
	EXPECT_EQ(0, req(&chatty, W_CLOSE, 0, 0));
	rogue_close(&chatty);
	EXPECT_EQ(0, param_set("initiator_timeout_ms", 10000));
	EXPECT_EQ(0, probe_good_connection());
}

/* Shared counters, and device DAX for the RDMA tests, before the first fork. */
__attribute__((constructor)) static void setup(void)
{
	char cmd[512];
	const char *top = getenv("KPMEM_TOP");
	const char *given = getenv("KPMEM_TEST_DEVDAX");
	FILE *p;

	start_time = now_s();
	sent = mmap(NULL, NCAT * sizeof(*sent), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sent == MAP_FAILED)
		abort();
	memset(sent, 0, NCAT * sizeof(*sent));
	if (given && *given) {
		snprintf(devdax, sizeof(devdax), "%s", given);
		return;
	}
	if (geteuid() || access("/dev/kpmem", F_OK))
		return;
	snprintf(cmd, sizeof(cmd), "%s/selftests/part_maps/pmemset_env.sh devdax-up 2>/dev/null",
		 top ? top : ".");
	p = popen(cmd, "r");
	if (!p)
		return;
	if (!fgets(devdax, sizeof(devdax), p))
		devdax[0] = '\0';
	devdax[strcspn(devdax, "\n")] = '\0';
	if (pclose(p))
		devdax[0] = '\0';
	devdax_made = devdax[0];
}

/* In the harness's process, after every test: the totals, the guest restored. */
__attribute__((destructor)) static void restore(void)
{
	const char *top = getenv("KPMEM_TOP");
	unsigned long total = 0;
	int c;

	for (c = 0; c < NCAT; c++) {
		printf("# rogue messages, %-28s %lu\n", cat_name[c], sent[c]);
		total += sent[c];
	}
	printf("# rogue messages, total                        %lu (in %.1f s)\n", total,
	       now_s() - start_time);
	fflush(stdout);

	if (devdax_made)
		run("%s/selftests/part_maps/pmemset_env.sh devdax-down", top ? top : ".");
}

TEST_HARNESS_MAIN
