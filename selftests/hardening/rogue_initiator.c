// SPDX-License-Identifier: GPL-2.0
/*
 * A rogue initiator against kpmem's in-kernel rpmem target, written on
 * userspace rdma-core (librdmacm, libibverbs) with its own encoding of the
 * wire protocol (kmod/rpmem_wire.h, version 4) and its own HKDF/HMAC
 * (OpenSSL's libcrypto) for exports with a pre-shared key.  In a single
 * guest it connects to the target at 10.77.0.2:7440 (rxe1; the route to a
 * local address loops back on that device, as the module's own
 * initiator's does) and, for the tests that need a second initiator
 * address, to and so from 10.77.0.1 (rxe0).  It sends malformed
 * connection private data, malformed first messages, malformed,
 * out-of-order and out-of-range requests, forged and replayed MACs, RDMA
 * WRITEs and READs with rkeys outside their segments, stale and borrowed,
 * floods of silent connections, connections that never say HELLO, and
 * disconnects in the middle of requests.  Every abuse must end in a reply
 * with an error status, in a refused connection request that says why, or
 * in the target disconnecting that one connection.
 *
 * Meanwhile a well-behaved initiator (librpmem, the module's own kernel
 * initiator) persists to and reads back another export from a thread, and
 * must never fail.  After each group: every export is idle, the target's
 * connection count is back (target_conns, then three connections at once
 * within max_target_conns), and a well-formed connection is still served.
 * The messages sent are counted per category and printed in the TAP output.
 *
 * Runs as root in a guest with kpmem.ko loaded; makes its own exports with
 * kpmemctl and, when the guest has an NVDIMM, a device DAX export (with a
 * pre-shared key: its HELLO replies carry segments under the target's MAC)
 * for the RDMA tests.
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
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <linux/kpmem.h>

#include <librpmem.h>

#include "kselftest_harness.h"
#include "../lib/guest_util.h"

#define DST_ADDR	"10.77.0.2"
#define OTHER_ADDR	"10.77.0.1"	/* rxe0's: the target seen from another address */
#define PORT		7440

/* The wire protocol, encoded here independently of the module's header. */
#define W_MAGIC		0x4b504d4d
#define W_VERSION	4
#define W_MSG		(64 * 1024)
#define W_MAX_DATA	(W_MSG - 32)
#define W_MAX_RANGES	(W_MAX_DATA / 16)
#define W_MAX_LANES	64
#define W_NONCE		32
#define W_MAC		32
#define W_AUTH_NONE	0
#define W_AUTH_PSK	1
#define IB_REJ_CONSUMER	28	/* the IB CM's reject reason "consumer defined" */
enum { W_HELLO = 1, W_PERSIST, W_READ, W_SET_ATTR, W_CLOSE, W_PERSIST_RANGES, W_KEEPALIVE };

struct w_cm_req {
	uint32_t magic;
	uint16_t version;
	uint16_t nlanes;
	uint8_t nonce[W_NONCE];
};

struct w_cm_rep {
	uint32_t magic;
	uint32_t reserved;
	uint8_t nonce[W_NONCE];
};

struct w_cm_rej {
	uint32_t magic;
	uint32_t status;	/* positive errno */
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
	uint32_t auth;		/* W_AUTH_PSK: @mac proves the key */
	uint32_t keepalive_ms;	/* 0: this initiator sends no keepalives */
	uint8_t mac[W_MAC];
};

struct w_hello_reply {
	uint64_t export_size;
	uint32_t nlanes;
	uint32_t hdr_size;
	struct kpmem_pool_attr attr;
	uint32_t nsegs;
	uint32_t auth;
	uint8_t mac[W_MAC];
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

#define W_HELLO_MSG	(sizeof(struct w_hdr) + sizeof(struct w_hello))

_Static_assert(sizeof(struct w_cm_req) == 40, "REQ private data");
_Static_assert(sizeof(struct w_cm_rep) == 40, "REP private data");
_Static_assert(sizeof(struct w_hdr) == 32, "wire header");
_Static_assert(sizeof(struct w_hello) == 424, "wire hello");
_Static_assert(W_HELLO_MSG == 456, "HELLO message");
_Static_assert(sizeof(struct w_hello_reply) == 160, "wire hello reply");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the wire is little endian");

/* What was sent, per category; shared with the harness's forked tests. */
enum cat {
	C_CM, C_FRAME, C_FIRST, C_HELLO, C_AUTH, C_RANGE, C_RANGES, C_RDMA, C_FLOOD, C_ADMIT,
	C_DEADLINE, C_MIDREQ, C_CONTROL, NCAT
};
static const char *const cat_name[NCAT] = {
	"connect private data", "framing and order", "first message", "HELLO",
	"keys and MACs", "PERSIST/READ ranges", "PERSIST_RANGES", "RDMA WRITE/READ with rkeys",
	"connect flood", "admission and eviction", "HELLO deadline", "disconnect mid-request",
	"well-formed control",
};
static unsigned long *sent;
static enum cat cur_cat;

#define EXP_GOOD	"rogue.good"	/* the well-behaved initiator's */
#define EXP_FILE	"rogue.file"
#define EXP_NOHDR	"rogue.nohdr"
#define EXP_DENY	"rogue.deny"
#define EXP_DAX		"rogue.dax"	/* keyed with dax_key */
#define EXP_KEYED	"rogue.keyed"	/* 32-byte key */
#define EXP_KEYED16	"rogue.keyed16"	/* 16-byte key */
#define FILE_SIZE	(16UL << 20)
#define POOL_SIZE	(1UL << 20)	/* pools on the file exports */
#define DAX_EXPORT	(32UL << 20)
#define DAX_POOL	(8UL << 20)
#define GOOD_SIZE	(1UL << 20)
#define TMO_MS		15000		/* TCG: everything is slow */

static double start_time;
static char devdax[64];		/* /dev/daxX.Y, when the guest has one */
static bool devdax_made;
static uint8_t dax_key[32];	/* EXP_DAX's key, made by the fixture */
static const char *rogue_dst;	/* connect to this address (NULL: DST_ADDR) */

static void nap_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static void count(enum cat c)
{
	__atomic_fetch_add(&sent[c], 1, __ATOMIC_RELAXED);
}

static void random_bytes(void *p, size_t len)
{
	if (getrandom(p, len, 0) != (ssize_t)len)
		abort();
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
	double end = now() + TMO_MS / 1000.0;

	do {
		if (!export_list(list, sizeof(list))) {
			export_state(list, name, state, sizeof(state));
			if (!strcmp(state, want))
				return true;
		}
		nap_us(100000);
	} while (now() < end);
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

/* What the module holds: /sys/class/misc/kpmem/live/@kind, or -1. */
static long live_count(const char *kind)
{
	char path[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/kpmem/live/%s", kind);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* Wait until the target holds @want connections; the count last seen. */
static long target_conns_wait(long want, double secs)
{
	double end = now() + secs;
	long n;

	while ((n = live_count("target_conns")) != want && now() < end)
		nap_us(50000);
	return n;
}

/* ------------------------------------------------------------------ */
/* Keys and MACs (rpmem_wire.h: HKDF-SHA256, then HMAC-SHA256).        */

struct part {
	const void *p;
	size_t len;
};

static void hmac_parts(const uint8_t *key, size_t key_len, const struct part *parts,
		       unsigned int n, uint8_t *out)
{
	unsigned char buf[4096];
	unsigned int olen = W_MAC;
	size_t len = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (len + parts[i].len > sizeof(buf))
			abort();
		memcpy(buf + len, parts[i].p, parts[i].len);
		len += parts[i].len;
	}
	if (!HMAC(EVP_sha256(), key, key_len, buf, len, out, &olen) || olen != W_MAC)
		abort();
}

/* The connection key: OpenSSL's HKDF over the export key, both nonces as salt. */
static void conn_key(const uint8_t *psk, size_t psk_len, const uint8_t *nonce_i,
		     const uint8_t *nonce_t, uint8_t *key)
{
	static const char info[] = "kpmem v4 connection key";
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	uint8_t salt[2 * W_NONCE];
	size_t len = W_MAC;

	memcpy(salt, nonce_i, W_NONCE);
	memcpy(salt + W_NONCE, nonce_t, W_NONCE);
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, sizeof(salt)) <= 0 ||
	    EVP_PKEY_CTX_set1_hkdf_key(ctx, psk, psk_len) <= 0 ||
	    EVP_PKEY_CTX_add1_hkdf_info(ctx, (const unsigned char *)info, sizeof(info) - 1) <= 0 ||
	    EVP_PKEY_derive(ctx, key, &len) <= 0 || len != W_MAC)
		abort();
	EVP_PKEY_CTX_free(ctx);
}

/* An address as 16 bytes of IPv6 (IPv4 mapped). */
static void addr16(const struct sockaddr *sa, uint8_t *out)
{
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else if (sa->sa_family == AF_INET) {
		out[10] = 0xff;
		out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
}

/* HELLO's MAC under connection key @k, with the addresses as given. */
static void hello_mac(const uint8_t *k, const struct sockaddr *initiator,
		      const struct sockaddr *target, const struct w_hello *h, uint8_t *mac)
{
	static const char label[] = "kpmem v4 hello";
	uint8_t addrs[32];
	struct part parts[] = {
		{ label, sizeof(label) - 1 },
		{ addrs, sizeof(addrs) },
		{ h, offsetof(struct w_hello, mac) },
	};

	addr16(initiator, addrs);
	addr16(target, addrs + 16);
	hmac_parts(k, W_MAC, parts, 3, mac);
}

/* The HELLO reply's MAC: over the initiator's MAC, the reply and its segments. */
static void reply_mac(const uint8_t *k, const uint8_t *hmac, const struct w_hello_reply *rep,
		      uint32_t nsegs, uint8_t *mac)
{
	static const char label[] = "kpmem v4 hello reply";
	struct part parts[] = {
		{ label, sizeof(label) - 1 },
		{ hmac, W_MAC },
		{ rep, offsetof(struct w_hello_reply, mac) },
		{ rep + 1, (size_t)nsegs * sizeof(struct w_seg) },
	};

	hmac_parts(k, W_MAC, parts, 4, mac);
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
	bool gone;			/* the connection ended: disconnect, reject, error */
	int last_event, last_status;
	double t_req, t_est, t_gone;	/* REQ sent, ESTABLISHED seen, end seen */
	bool rep_ok;			/* the REP carried kpmem's magic and a nonce */
	bool rej_kpmem;			/* the REJ carried kpmem's magic ... */
	uint32_t rej_status;		/* ... and this reason */
	uint8_t nonce_i[W_NONCE], nonce_t[W_NONCE];
	const uint8_t *key;		/* sign HELLOs with this pre-shared key */
	size_t key_len;
	uint8_t conn_key[W_MAC], hello_mac[W_MAC];
	uint32_t reply_len;		/* bytes of the last reply */
	char reply[W_MSG];		/* the last reply received */
	struct w_seg segs[16];		/* from the last HELLO reply */
	uint32_t nsegs;
};

static void rogue_take(struct rogue *r, const struct rdma_cm_event *ev)
{
	const void *pd = ev->param.conn.private_data;
	uint8_t len = ev->param.conn.private_data_len;
	struct w_cm_rep rep;
	struct w_cm_rej rej;

	r->last_event = ev->event;
	r->last_status = ev->status;
	switch (ev->event) {
	case RDMA_CM_EVENT_ESTABLISHED:
		r->t_est = now();
		if (pd && len >= sizeof(rep)) {
			memcpy(&rep, pd, sizeof(rep));
			if (rep.magic == W_MAGIC) {
				memcpy(r->nonce_t, rep.nonce, W_NONCE);
				r->rep_ok = true;
			}
		}
		return;
	case RDMA_CM_EVENT_REJECTED:
		if (pd && len >= sizeof(rej)) {
			memcpy(&rej, pd, sizeof(rej));
			r->rej_kpmem = rej.magic == W_MAGIC;
			r->rej_status = rej.status;
		}
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
		break;
	default:
		return;
	}
	r->dead = true;
	r->connected = false;
	if (!r->gone) {
		r->gone = true;
		r->t_gone = now();
	}
}

static int rogue_event(struct rogue *r, int ms)
{
	struct rdma_cm_event *ev;
	struct pollfd pfd = { .fd = r->ch->fd, .events = POLLIN };

	for (;;) {
		if (!rdma_get_cm_event(r->ch, &ev)) {
			rogue_take(r, ev);
			rdma_ack_cm_event(ev);
			return r->last_event;
		}
		if (errno != EAGAIN || !ms)
			return -1;
		if (poll(&pfd, 1, ms) <= 0)
			return -1;
		ms = 1;		/* something came: read it next time around */
	}
}

/* Wait for the connection to end (the target's disconnect); true if it did. */
static bool wait_gone_s(struct rogue *r, double secs)
{
	double end = now() + secs;

	while (!r->gone && r->ch && now() < end)
		rogue_event(r, 100);
	return r->gone;
}

static bool wait_gone(struct rogue *r)
{
	return wait_gone_s(r, TMO_MS / 1000.0);
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
	if (pdata && pdlen >= offsetof(struct w_cm_req, nonce) + W_NONCE)
		memcpy(r->nonce_i, (const uint8_t *)pdata + offsetof(struct w_cm_req, nonce),
		       W_NONCE);
	inet_pton(AF_INET, rogue_dst ?: DST_ADDR, &dst.sin_addr);
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
	r->t_req = now();
	return rdma_connect(r->id, &cp) ? -1 : 0;
}

/*
 * After rogue_start(): 0 when established, -ECONNREFUSED when rejected
 * (r->rej_kpmem, r->rej_status: why), -ECONNABORTED when the target went
 * away during the handshake, -EIO otherwise.
 */
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
	if (ev == RDMA_CM_EVENT_REJECTED)
		return -ECONNREFUSED;
	return ev == RDMA_CM_EVENT_CONNECT_ERROR ? -ECONNABORTED : -EIO;
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

/* A kpmem v4 connection request for @nlanes lanes, with a fresh nonce. */
static struct w_cm_req cm_req(uint16_t nlanes)
{
	struct w_cm_req req = { .magic = W_MAGIC, .version = W_VERSION, .nlanes = nlanes };

	random_bytes(req.nonce, sizeof(req.nonce));
	return req;
}

/* A kpmem initiator's connection with @lanes lanes. */
static int rogue_open(struct rogue *r, unsigned int lanes)
{
	struct w_cm_req req = cm_req(lanes);

	return rogue_open_pd(r, &req, sizeof(req), lanes + 1 > R_MAXRECV ? R_MAXRECV : lanes + 1);
}

/* rogue_open() with a pre-shared key for the HELLOs. */
static int rogue_open_keyed(struct rogue *r, unsigned int lanes, const uint8_t *key,
			    size_t key_len)
{
	int ret = rogue_open(r, lanes);

	r->key = key;
	r->key_len = key_len;
	return ret;
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
	double end = now() + TMO_MS / 1000.0;
	struct ibv_wc wc;

	if (r->dead)
		return -ECONNRESET;
	if (post_send(r, WR_SEND, R_SEND, len, true))
		return -ECONNRESET;
	while (now() < end) {
		int n = ibv_poll_cq(r->cq, 1, &wc);

		if (n == 1) {
			if (wc.status != IBV_WC_SUCCESS) {
				r->dead = true;
				break;
			}
			if (wc.wr_id == WR_SEND) {
				send_done = true;
			} else if (wc.opcode & IBV_WC_RECV) {
				memcpy(r->reply, r->buf + R_RECV + wc.wr_id * W_MSG, wc.byte_len);
				r->reply_len = wc.byte_len;
				rogue_post_recv(r, wc.wr_id);
				got_reply = true;
			}
			if (send_done && got_reply)
				return ((struct w_hdr *)r->reply)->status;
			continue;
		}
		/* A reply always completes before the disconnect that may follow it. */
		if (r->dead)
			break;
		rogue_event(r, 0);
		nap_us(200);
	}
	/*
	 * The connection ended, or the time is up.  A reply is the target's
	 * answer even when our send's own completion did not come first: the
	 * device may process the target's ACK after the reply and after the
	 * disconnect that follows a last reply (the send is flushed then).
	 */
	if (got_reply && r->dead)
		return ((struct w_hdr *)r->reply)->status;
	return r->dead ? -ECONNRESET : -ETIMEDOUT;
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

/* Prove r->key in HELLO @h, as it now is. */
static void hello_sign(struct rogue *r, struct w_hello *h)
{
	h->auth = W_AUTH_PSK;
	conn_key(r->key, r->key_len, r->nonce_i, r->nonce_t, r->conn_key);
	hello_mac(r->conn_key, rdma_get_local_addr(r->id), rdma_get_peer_addr(r->id), h, h->mac);
	memcpy(r->hello_mac, h->mac, W_MAC);
}

/* A HELLO in the send buffer, signed when the connection has a key. */
static struct w_hello *hello_msg(struct rogue *r, uint32_t op, uint32_t flags,
				 uint64_t pool_size, const char *name)
{
	struct w_hello *h = (struct w_hello *)(msg(r, W_HELLO, 0, 0, sizeof(*h)) + 1);

	hello_fill(h, op, flags, pool_size, 4, name);
	if (r->key)
		hello_sign(r, h);
	return h;
}

/*
 * Send the HELLO in the send buffer: its status, or -EBADMSG for a
 * successful reply that is not a whole HELLO reply or, with a key, whose
 * MAC does not prove the target holds it.
 */
static int hello_send(struct rogue *r)
{
	const struct w_hello_reply *rep = (void *)(r->reply + sizeof(struct w_hdr));
	const struct w_hdr *rh = (const void *)r->reply;
	uint8_t mac[W_MAC];
	int ret;

	ret = rogue_xfer(r, W_HELLO_MSG);
	if (ret)
		return ret;
	if (rh->type != (W_HELLO | 0x80) || r->reply_len < 32 + sizeof(*rep) || rep->nsegs > 16 ||
	    r->reply_len != 32 + sizeof(*rep) + rep->nsegs * sizeof(struct w_seg) ||
	    rh->length != r->reply_len - 32) {
		fprintf(stderr, "# HELLO reply of %u bytes, type %#x, length %u, %u segments\n",
			r->reply_len, rh->type, rh->length, rep->nsegs);
		return -EBADMSG;
	}
	r->nsegs = rep->nsegs;
	memcpy(r->segs, rep + 1, r->nsegs * sizeof(r->segs[0]));
	if (r->key) {
		reply_mac(r->conn_key, r->hello_mac, rep, rep->nsegs, mac);
		if (rep->auth != W_AUTH_PSK || memcmp(mac, rep->mac, W_MAC)) {
			fprintf(stderr, "# the target's HELLO reply does not prove the key (auth %u)\n",
				rep->auth);
			return -EBADMSG;
		}
	}
	return 0;
}

static int hello(struct rogue *r, uint32_t op, uint32_t flags, uint64_t pool_size,
		 const char *name)
{
	hello_msg(r, op, flags, pool_size, name);
	return hello_send(r);
}

static const struct w_hello_reply *hello_reply(const struct rogue *r)
{
	return (const void *)(r->reply + sizeof(struct w_hdr));
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
	double end = now() + TMO_MS / 1000.0;
	struct ibv_wc wc;

	count(cur_cat);
	if (ibv_post_send(r->id->qp, &wr, &bad))
		return -1;
	while (now() < end) {
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

/*
 * A connection the target serves: HELLO removing a pool (dropping any),
 * answered, then the target's disconnect.
 */
static int probe_good_connection(void)
{
	enum cat saved = cur_cat;
	struct rogue r;
	int ret;

	cur_cat = C_CONTROL;
	ret = rogue_open(&r, 1);
	if (!ret)
		ret = hello(&r, KPMEM_POOL_REMOVE, KPMEM_POOL_REMOVE_FORCE, 0, EXP_NOHDR);
	if (!ret && !wait_gone(&r))
		ret = -ETIMEDOUT;
	rogue_close(&r);
	cur_cat = saved;
	return ret;
}

/*
 * The target's connections are back to @held (the good initiator's), and
 * with max_target_conns at @held + 3, three connections at once are all
 * accepted, none pushing another out: each is served.
 */
static int conns_back_to(long held)
{
	int max = param_get("max_target_conns"), ok = 0, i;
	enum cat saved = cur_cat;
	struct rogue r[3];
	long n;

	/* Connections being released count until their work has run. */
	n = target_conns_wait(held, TMO_MS / 1000.0);
	if (n != held) {
		fprintf(stderr, "# the target holds %ld connections, not %ld\n", n, held);
		return -1;
	}
	if (max < 0 || param_set("max_target_conns", held + 3))
		return -1;
	cur_cat = C_CONTROL;
	for (i = 0; i < 3; i++) {
		struct w_cm_req q = cm_req(1);

		count(C_CONTROL);
		rogue_start(&r[i], &q, sizeof(q), 1);
	}
	for (i = 0; i < 3; i++)
		rogue_finish(&r[i]);
	for (i = 0; i < 3; i++) {
		if (r[i].connected && hello(&r[i], KPMEM_POOL_OPEN, 0, POOL_SIZE, "nothing") == EACCES)
			ok++;
		rogue_close(&r[i]);
	}
	param_set("max_target_conns", max);
	cur_cat = saved;
	if (ok != 3)
		fprintf(stderr, "# %d of 3 connections within max_target_conns served\n", ok);
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

/* Module parameters a test may change; the fixture puts them back. */
static const char *const params[] = {
	"max_target_conns", "max_conns_per_peer", "max_unauth_conns", "max_unauth_per_peer",
	"hello_timeout_s", "initiator_timeout_ms",
};
#define NPARAMS	(sizeof(params) / sizeof(params[0]))

FIXTURE(target) {
	struct good good;
	char dir[64];
	bool dax;
	unsigned long before[NCAT];
	int param[NPARAMS];
	double t0;
};

static const char *const export_names[] = {
	EXP_FILE, EXP_NOHDR, EXP_DENY, EXP_DAX, EXP_GOOD, EXP_KEYED, EXP_KEYED16,
};

/* One shell for all of them: under TCG every process started costs. */
static void remove_exports(void)
{
	const char *k = kpmemctl();

	run("for e in %s %s %s %s %s %s %s; do %s export-remove --force $e; done >/dev/null 2>&1",
	    export_names[0], export_names[1], export_names[2], export_names[3], export_names[4],
	    export_names[5], export_names[6], k);
}

/* The rogue's exports idle and the good one @good (release is asynchronous). */
static bool exports_settled(bool dax, const char *good)
{
	static char list[65536];
	double end = now() + TMO_MS / 1000.0;
	char state[32];
	unsigned int i;
	bool ok;

	do {
		ok = !export_list(list, sizeof(list));
		for (i = 0; ok && i < 5; i++) {	/* not the keyed ones: the key test's own */
			if (!strcmp(export_names[i], EXP_DAX) && !dax)
				continue;
			export_state(list, export_names[i], state, sizeof(state));
			ok = !strcmp(state, strcmp(export_names[i], EXP_GOOD) ? "idle" : good);
		}
		if (ok)
			return true;
		nap_us(100000);
	} while (now() < end);
	fprintf(stderr, "# exports not settled (%s wanted %s):\n%s", export_names[i - 1],
		good, list);
	return false;
}

static const char *const dir_files[] = {
	"good.img", "file.img", "nohdr.img", "deny.img", "keyed.img", "keyed16.img", "key",
	"key16", "dax.key",
};

static void rmdir_files(const char *dir)
{
	char path[128];

	for (unsigned int i = 0; i < sizeof(dir_files) / sizeof(dir_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, dir_files[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Write @len random bytes to @dir/@file (a key file) and into @key. */
static int make_key(const char *dir, const char *file, uint8_t *key, size_t len)
{
	char path[128];
	FILE *f;

	random_bytes(key, len);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	if (!f)
		return -1;
	if (fwrite(key, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

FIXTURE_SETUP(target)
{
	char cmd[4096];
	const char *k = kpmemctl();
	unsigned int i;

	self->param[0] = -1;
	self->t0 = now();
	rogue_dst = NULL;
	memcpy(self->before, sent, sizeof(self->before));
	if (geteuid())
		SKIP(return, "needs root (exports are administration)");
	if (access("/dev/kpmem", F_OK) || access("/sys/class/infiniband/rxe1", F_OK))
		SKIP(return, "needs kpmem.ko and the single guest's rxe0/rxe1");
	for (i = 0; i < NPARAMS; i++) {
		self->param[i] = param_get(params[i]);
		ASSERT_LE(0, self->param[i]) TH_LOG("%s", params[i]);
	}
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
		ASSERT_EQ(0, make_key(self->dir, "dax.key", dax_key, sizeof(dax_key)));
		ASSERT_EQ(0, run("%s export-add %s %s --size 32M --key-file %s/dax.key >/dev/null",
				 k, EXP_DAX, devdax, self->dir));
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
	unsigned int i;
	int c;

	rogue_dst = NULL;
	for (i = 0; self->param[0] >= 0 && i < NPARAMS; i++)
		param_set(params[i], self->param[i]);
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
	fprintf(stderr, "# group took %.1f s\n", now() - self->t0);
}

#define REQ(m, v, n)	{ .magic = (m), .version = (v), .nlanes = (n) }

/*
 * Malformed REQ private data: every one refused, with kpmem's reason in
 * the REJ.  The CM carries 56 bytes of REQ private data for rdma_cm users
 * and pads what the initiator gave with zeros, so a truncated request is
 * one whose missing fields are zero: a lone magic has version 0, magic and
 * version have no lanes.
 */
TEST_F_TIMEOUT(target, malformed_connect_requests_are_refused_with_their_reason, 120)
{
	struct {
		const char *what;
		struct w_cm_req req;
		uint8_t len;
		uint32_t status;
	} bad[] = {
		{ "none", REQ(0, 0, 0), 0, EPROTO },
		{ "half a magic", REQ(W_MAGIC, W_VERSION, 1), 2, EPROTO },
		{ "magic only (version 0)", REQ(W_MAGIC, W_VERSION, 1), 4, EPROTONOSUPPORT },
		{ "no lanes (nlanes 0)", REQ(W_MAGIC, W_VERSION, 1), 6, EINVAL },
		{ "wrong magic", REQ(W_MAGIC ^ 1, W_VERSION, 1), 40, EPROTO },
		{ "byte-swapped magic", REQ(0x4d4d504b, W_VERSION, 1), 40, EPROTO },
		{ "version 1", REQ(W_MAGIC, 1, 1), 40, EPROTONOSUPPORT },
		{ "version 3 (the last one)", REQ(W_MAGIC, 3, 1), 40, EPROTONOSUPPORT },
		{ "version 3, its 8 bytes", REQ(W_MAGIC, 3, 1), 8, EPROTONOSUPPORT },
		{ "version 5", REQ(W_MAGIC, 5, 1), 40, EPROTONOSUPPORT },
		{ "version 0xffff", REQ(W_MAGIC, 0xffff, 1), 40, EPROTONOSUPPORT },
		{ "nlanes 0", REQ(W_MAGIC, W_VERSION, 0), 40, EINVAL },
		{ "nlanes 65", REQ(W_MAGIC, W_VERSION, W_MAX_LANES + 1), 40, EINVAL },
		{ "nlanes 0xffff", REQ(W_MAGIC, W_VERSION, 0xffff), 40, EINVAL },
	};
	uint8_t first_nonce[W_NONCE], zero[W_NONCE] = { 0 };
	unsigned int i, round;
	struct w_cm_req good;
	struct rogue r;
	char big[56];

	cur_cat = C_CM;
	for (round = 0; round < 2; round++) {
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			int ret;

			random_bytes(bad[i].req.nonce, W_NONCE);
			ret = rogue_open_pd(&r, bad[i].len ? &bad[i].req : NULL, bad[i].len, 2);
			EXPECT_EQ(-ECONNREFUSED, ret) TH_LOG("%s: event %d", bad[i].what,
							      r.last_event);
			if (ret == -ECONNREFUSED) {
				EXPECT_EQ(IB_REJ_CONSUMER, r.last_status) TH_LOG("%s", bad[i].what);
				EXPECT_TRUE(r.rej_kpmem) TH_LOG("%s: no kpmem REJ data", bad[i].what);
				EXPECT_EQ(bad[i].status, r.rej_status)
					TH_LOG("%s: refused with %s", bad[i].what,
					       strerror(r.rej_status));
			}
			rogue_close(&r);
		}
	}
	/* 40 bytes, the most lanes: accepted; the REP carries the target's nonce. */
	good = cm_req(W_MAX_LANES);
	ASSERT_EQ(0, rogue_open_pd(&r, &good, sizeof(good), R_MAXRECV));
	EXPECT_TRUE(r.rep_ok);
	EXPECT_NE(0, memcmp(r.nonce_t, zero, W_NONCE));
	memcpy(first_nonce, r.nonce_t, W_NONCE);
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_REMOVE, KPMEM_POOL_REMOVE_FORCE, 0, EXP_FILE));
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);
	/* 56 bytes, the most a REQ carries: a good request with trailing junk is fine. */
	memset(big, 0xee, sizeof(big));
	good = cm_req(W_MAX_LANES);
	memcpy(big, &good, sizeof(good));
	ASSERT_EQ(0, rogue_open_pd(&r, big, sizeof(big), R_MAXRECV));
	EXPECT_TRUE(r.rep_ok);
	/* Every connection gets a nonce of its own. */
	EXPECT_NE(0, memcmp(r.nonce_t, first_nonce, W_NONCE));
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_REMOVE, KPMEM_POOL_REMOVE_FORCE, 0, EXP_FILE));
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);
}

static bool two_replies_or_dropped(struct rogue *r)
{
	double end = now() + TMO_MS / 1000.0;
	unsigned int replies = 0;
	struct ibv_wc wc;

	while (!r->dead && replies < 2 && now() < end) {
		if (ibv_poll_cq(r->cq, 1, &wc) == 1) {
			/* The target's queue pair went away under our send. */
			if (wc.status != IBV_WC_SUCCESS) {
				r->dead = true;
				break;
			}
			if (wc.opcode & IBV_WC_RECV) {
				const struct w_hdr *h = (const void *)(r->buf + R_RECV +
								       wc.wr_id * W_MSG);

				/* The HELLO's reply first, whole; then the READ's. */
				if (replies == 0 && (h->type != (W_HELLO | 0x80) || h->status ||
						     wc.byte_len != 32 + sizeof(struct w_hello_reply)))
					fprintf(stderr, "# first reply: type %#x status %u, %u bytes\n",
						h->type, h->status, wc.byte_len);
				else if (replies == 1 && (h->type != (W_READ | 0x80) || h->status ||
							  wc.byte_len != 32 + 8))
					fprintf(stderr, "# second reply: type %#x status %u, %u bytes\n",
						h->type, h->status, wc.byte_len);
				else
					replies++;
			}
		} else {
			rogue_event(r, 1);
		}
	}
	if (!r->dead && replies < 2)
		fprintf(stderr, "# %u of 2 replies in %d s and no disconnect\n", replies,
			TMO_MS / 1000);
	return r->dead || replies == 2;
}

/* Framing, lanes, order: each drops that connection, and only it. */
TEST_F_TIMEOUT(target, malformed_or_misordered_requests_drop_only_their_connection, 150)
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
		{ "length says more", W_PERSIST, 0, 100, 32 + 50, true },
		{ "length says less", W_PERSIST, 0, 10, 32 + 50, true },
		{ "length 0xffffffff", W_PERSIST, 0, 0xffffffff, 32 + 64, true },
		{ "READ carrying data", W_READ, 0, 16, 32 + 16, true },
		{ "oversized message", W_PERSIST, 0, W_MSG - 32 + 1, W_MSG + 1, true },
		{ "empty message", 0, 0, 0, 0, true },
		{ "31 bytes", W_READ, 0, 0, 31, true },
		{ "type 0", 0, 0, 0, 32, true },
		{ "type 8", 8, 0, 0, 32, true },
		{ "a reply type", W_HELLO | 0x80, 0, 0, 32, true },
		{ "type 0xffff", 0xffff, 0, 0, 32, true },
		{ "lane = nlanes", W_READ, 4, 8, 32, true },
		{ "lane 0xffff", W_READ, 0xffff, 8, 32, true },
		{ "KEEPALIVE with data", W_KEEPALIVE, 0, 8, 32 + 8, true },
		{ "second HELLO", W_HELLO, 0, sizeof(struct w_hello), W_HELLO_MSG, true },
		{ "SET_ATTR short", W_SET_ATTR, 0, 50, 32 + 50, true },
		{ "CLOSE with data", W_CLOSE, 0, 8, 32 + 8, true },
		{ "PERSIST_RANGES on a file export", W_PERSIST_RANGES, 0, 16, 32 + 16, true },
	};

	cur_cat = C_FRAME;
	ASSERT_EQ(0, rogue_open(&r, 4));
	ASSERT_EQ(0, hello(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE));
	ASSERT_EQ(0, req(&r, W_CLOSE, 0, 0));
	/* CLOSE is answered, then the target disconnects. */
	EXPECT_TRUE(wait_gone(&r));
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
		EXPECT_TRUE(wait_gone(&r)) TH_LOG("%s: no disconnect", bad[i].what);
		rogue_close(&r);
		if (i % 6 == 5)
			EXPECT_EQ(0, probe_good_connection()) TH_LOG("after %s", bad[i].what);
	}

	/*
	 * Nothing may overtake a HELLO: a READ on lane 1 right behind it.
	 * Before HELLO the target has one receive buffer, so the READ waits
	 * (RNR) until the lanes' buffers are posted; then it is served after
	 * the HELLO's reply, or dropped with its connection.
	 */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, rogue_open(&r, 4));
		hello_msg(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE);
		ASSERT_EQ(0, post_send(&r, 1, R_SEND, W_HELLO_MSG, false));
		h = msg_at(&r, 2 * 4096, W_READ, 1, 4096, 8);
		ASSERT_EQ(0, post_send(&r, 2, 2 * 4096, sizeof(*h), false));
		EXPECT_TRUE(two_replies_or_dropped(&r)) TH_LOG("round %u", i);
		rogue_close(&r);
	}
	EXPECT_TRUE(export_wait_state(EXP_FILE, "idle"));
	EXPECT_EQ(0, probe_good_connection());
}

/*
 * Before HELLO the target has one receive buffer of exactly a HELLO's
 * size: anything longer never arrives and ends the connection, and a
 * first message that is not a well-formed HELLO ends it too, without a
 * reply.
 */
TEST_F_TIMEOUT(target, first_message_other_than_one_wellformed_hello_is_dropped, 120)
{
	struct rogue r;
	struct w_hello *hl;
	struct w_hdr *h;
	unsigned int i;
	struct {
		const char *what;
		uint16_t type, lane;
		uint32_t length;	/* header field */
		size_t bytes;		/* sent */
		int tweak;
	} bad[] = {
		{ "a HELLO and one byte more (457 bytes)", W_HELLO, 0, sizeof(struct w_hello),
		  W_HELLO_MSG + 1, 0 },
		{ "a HELLO saying so (457 bytes)", W_HELLO, 0, sizeof(struct w_hello) + 1,
		  W_HELLO_MSG + 1, 0 },
		{ "64 KiB", W_HELLO, 0, sizeof(struct w_hello), W_MSG, 0 },
		{ "64 KiB and one byte", W_HELLO, 0, sizeof(struct w_hello), W_MSG + 1, 0 },
		{ "empty message", 0, 0, 0, 0, 0 },
		{ "one byte", W_HELLO, 0, 0, 1, 0 },
		{ "31 bytes", W_HELLO, 0, 0, 31, 0 },
		{ "a header alone", W_HELLO, 0, 0, 32, 0 },
		{ "truncated HELLO", W_HELLO, 0, sizeof(struct w_hello), 32 + 100, 0 },
		{ "a HELLO one byte short", W_HELLO, 0, sizeof(struct w_hello), W_HELLO_MSG - 1, 0 },
		{ "HELLO with length 423", W_HELLO, 0, sizeof(struct w_hello) - 1, W_HELLO_MSG, 0 },
		{ "HELLO on lane 1", W_HELLO, 1, sizeof(struct w_hello), W_HELLO_MSG, 0 },
		{ "HELLO-sized PERSIST", W_PERSIST, 0, sizeof(struct w_hello), W_HELLO_MSG, 0 },
		{ "HELLO-sized reply type", W_HELLO | 0x80, 0, sizeof(struct w_hello),
		  W_HELLO_MSG, 0 },
		{ "name not NUL-terminated", W_HELLO, 0, sizeof(struct w_hello), W_HELLO_MSG, 1 },
		{ "name not NUL-terminated, length 256", W_HELLO, 0, sizeof(struct w_hello),
		  W_HELLO_MSG, 2 },
		{ "empty name", W_HELLO, 0, sizeof(struct w_hello), W_HELLO_MSG, 3 },
		{ "name_len longer than any name", W_HELLO, 0, sizeof(struct w_hello),
		  W_HELLO_MSG, 4 },
		{ "name_len disagreeing with the name", W_HELLO, 0, sizeof(struct w_hello),
		  W_HELLO_MSG, 5 },
		{ "name_len 0xffffffff", W_HELLO, 0, sizeof(struct w_hello), W_HELLO_MSG, 6 },
		{ "PERSIST before HELLO", W_PERSIST, 0, 8, 32 + 8, 0 },
		{ "READ before HELLO", W_READ, 0, 8, 32, 0 },
		{ "SET_ATTR before HELLO", W_SET_ATTR, 0, 104, 32 + 104, 0 },
		{ "CLOSE before HELLO", W_CLOSE, 0, 0, 32, 0 },
		{ "PERSIST_RANGES before HELLO", W_PERSIST_RANGES, 0, 16, 32 + 16, 0 },
		{ "KEEPALIVE before HELLO", W_KEEPALIVE, 0, 0, 32, 0 },
	};

	cur_cat = C_FIRST;
	/* The control: exactly a HELLO, well formed. */
	ASSERT_EQ(0, rogue_open(&r, 4));
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE));
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	rogue_close(&r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(0, rogue_open(&r, 4)) TH_LOG("%s", bad[i].what);
		memset(r.buf + R_SEND, 0, W_MSG + 1);
		h = msg(&r, bad[i].type, bad[i].lane, 0, bad[i].length);
		hl = (struct w_hello *)(h + 1);
		if (bad[i].bytes >= W_HELLO_MSG)
			hello_fill(hl, KPMEM_POOL_OPEN, 0, POOL_SIZE, 4, EXP_FILE);
		switch (bad[i].tweak) {
		case 1:		/* no NUL anywhere; name_len says the longest */
			memset(hl->name, 'a', sizeof(hl->name));
			hl->name_len = KPMEM_NAME_MAX;
			break;
		case 2:
			memset(hl->name, 'a', sizeof(hl->name));
			hl->name_len = KPMEM_NAME_MAX + 1;
			break;
		case 3:
			memset(hl->name, 0, sizeof(hl->name));
			hl->name_len = 0;
			break;
		case 4:
			hl->name_len = KPMEM_NAME_MAX + 1;
			break;
		case 5:
			hl->name_len = 3;
			break;
		case 6:
			hl->name_len = 0xffffffff;
			break;
		}
		EXPECT_EQ(-ECONNRESET, rogue_xfer(&r, bad[i].bytes)) TH_LOG("%s", bad[i].what);
		EXPECT_TRUE(wait_gone(&r)) TH_LOG("%s: no disconnect", bad[i].what);
		rogue_close(&r);
		if (i % 8 == 7)
			EXPECT_EQ(0, probe_good_connection()) TH_LOG("after %s", bad[i].what);
	}
	EXPECT_TRUE(export_wait_state(EXP_FILE, "idle"));
	EXPECT_EQ(0, probe_good_connection());
}

/*
 * HELLO: a missing export and one the initiator may not use are the same
 * EACCES; then busy exports and absurd pools.  Every refusal is answered
 * and then the target disconnects; the export stays free.
 */
TEST_F_TIMEOUT(target, refused_hello_is_answered_then_disconnected, 150)
{
	enum { T_NONE, T_NLANES0, T_KEEPALIVE, T_AUTH2, T_AUTH_NOKEY };
	struct rogue r;
	struct w_hello *h;
	char name[300];
	unsigned int i;
	struct {
		const char *what;
		uint32_t op, flags;
		uint64_t size;
		const char *name;
		int status;
		int tweak;
	} bad[] = {
		{ "missing export", KPMEM_POOL_OPEN, 0, POOL_SIZE, "rogue.missing", EACCES, T_NONE },
		{ "path name", KPMEM_POOL_OPEN, 0, POOL_SIZE, "../../etc/passwd", EACCES, T_NONE },
		{ "longest name, no such export", KPMEM_POOL_OPEN, 0, POOL_SIZE, name, EACCES, T_NONE },
		{ "disallowed export", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_DENY,
		  EACCES, T_NONE },
		{ "disallowed export, no pool", KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_DENY, EACCES, T_NONE },
		{ "export in use", KPMEM_POOL_OPEN, 0, GOOD_SIZE, EXP_GOOD, EBUSY, T_NONE },
		{ "op 0", 0, 0, POOL_SIZE, EXP_FILE, EINVAL, T_NONE },
		{ "op 4", 4, 0, POOL_SIZE, EXP_FILE, EINVAL, T_NONE },
		{ "op 0xffffffff", 0xffffffff, 0, POOL_SIZE, EXP_FILE, EINVAL, T_NONE },
		{ "unknown flags", KPMEM_POOL_CREATE, 0x80000001, POOL_SIZE, EXP_FILE, EINVAL, T_NONE },
		{ "auth 2", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE, EINVAL,
		  T_AUTH2 },
		{ "keepalive past the limit", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE,
		  EXP_FILE, EINVAL, T_KEEPALIVE },
		{ "nlanes 0", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE, EINVAL,
		  T_NLANES0 },
		{ "pool size 0", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, 0, EXP_FILE, EINVAL, T_NONE },
		{ "pool size unaligned", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE + 1,
		  EXP_FILE, EINVAL, T_NONE },
		{ "pool size = header", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, 4096, EXP_FILE,
		  EINVAL, T_NONE },
		{ "pool size > export", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, FILE_SIZE + 4096,
		  EXP_FILE, EFBIG, T_NONE },
		{ "pool size 2^63", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, 1ULL << 63, EXP_FILE,
		  EFBIG, T_NONE },
		{ "pool size ~0", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, ~0ULL, EXP_FILE, EINVAL, T_NONE },
		{ "pool size -4096", KPMEM_POOL_OPEN, 0, -4096ULL, EXP_FILE, EFBIG, T_NONE },
		{ "create without attributes", KPMEM_POOL_CREATE, 0, POOL_SIZE, EXP_FILE, EINVAL, T_NONE },
		{ "create NOHDRS with attributes", KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR,
		  POOL_SIZE, EXP_NOHDR, EINVAL, T_NONE },
		{ "open without a pool", KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE, ENOENT, T_NONE },
		{ "remove without a pool", KPMEM_POOL_REMOVE, 0, 0, EXP_FILE, ENOENT, T_NONE },
	};
	const struct w_hello_reply *rep;

	memset(name, 'n', KPMEM_NAME_MAX);
	name[KPMEM_NAME_MAX] = '\0';
	cur_cat = C_HELLO;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *what = bad[i].what;

		ASSERT_EQ(0, rogue_open(&r, 4)) TH_LOG("%s", what);
		h = hello_msg(&r, bad[i].op, bad[i].flags, bad[i].size, bad[i].name);
		switch (bad[i].tweak) {
		case T_NLANES0:
			h->nlanes = 0;
			break;
		case T_KEEPALIVE:
			h->keepalive_ms = 60001;
			break;
		case T_AUTH2:
			h->auth = 2;
			break;
		}
		EXPECT_EQ(bad[i].status, hello_send(&r)) TH_LOG("%s", what);
		EXPECT_EQ(32U, r.reply_len) TH_LOG("%s: a refusal is a bare header", what);
		EXPECT_TRUE(wait_gone(&r)) TH_LOG("%s: not disconnected after the refusal", what);
		rogue_close(&r);
	}
	EXPECT_TRUE(export_wait_state(EXP_DENY, "idle"));
	EXPECT_TRUE(export_wait_state(EXP_FILE, "idle"));

	/* Absurd nlanes: granted what the connection has; CLOSE ends it. */
	ASSERT_EQ(0, rogue_open(&r, 4));
	h = hello_msg(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE);
	h->nlanes = 0xffffffff;
	EXPECT_EQ(0, hello_send(&r));
	rep = hello_reply(&r);
	EXPECT_EQ(4U, rep->nlanes);
	EXPECT_EQ((uint32_t)KPMEM_POOL_HDR_SIZE, rep->hdr_size);
	EXPECT_EQ((uint64_t)FILE_SIZE, rep->export_size);
	EXPECT_EQ(0U, rep->nsegs);
	EXPECT_EQ((uint32_t)W_AUTH_NONE, rep->auth);
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	EXPECT_TRUE(wait_gone(&r));
	/* Nothing after CLOSE. */
	EXPECT_EQ(-ECONNRESET, req(&r, W_KEEPALIVE, 0, 0));
	rogue_close(&r);
	/* The pool exists now. */
	ASSERT_EQ(0, rogue_open(&r, 4));
	EXPECT_EQ(EEXIST, hello(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE));
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);
	/*
	 * An initiator with a key believes only a target that proves it; an
	 * export without one has nothing to prove: refused like any other
	 * authorization failure.
	 */
	ASSERT_EQ(0, rogue_open(&r, 4));
	h = hello_msg(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE);
	h->auth = W_AUTH_PSK;
	memset(h->mac, 0x5a, sizeof(h->mac));
	EXPECT_EQ(EACCES, hello_send(&r));
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);
	/* Without the claim, the pool opens: the export was left alone. */
	ASSERT_EQ(0, rogue_open(&r, 4));
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE));
	EXPECT_EQ((uint32_t)W_AUTH_NONE, hello_reply(&r)->auth);
	EXPECT_EQ(0, memcmp(hello_reply(&r)->mac, (uint8_t[W_MAC]){ 0 }, W_MAC));
	EXPECT_EQ(0, memcmp(hello_reply(&r)->attr.signature, "ROGUE", 5));
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);
	/* A successful REMOVE is answered with a reply body, then disconnected. */
	ASSERT_EQ(0, rogue_open(&r, 4));
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_REMOVE, 0, 0, EXP_FILE));
	EXPECT_EQ(32U + sizeof(struct w_hello_reply), r.reply_len);
	EXPECT_EQ(0U, hello_reply(&r)->nsegs);
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);
	ASSERT_EQ(0, rogue_open(&r, 4));
	EXPECT_EQ(ENOENT, hello(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE));
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);
	EXPECT_TRUE(export_wait_state(EXP_FILE, "idle"));
}

/*
 * An export with a pre-shared key serves only a HELLO whose MAC, under the
 * connection key derived from the key and both nonces, covers both
 * addresses and the HELLO as sent; anything else is EACCES, before it
 * learns whether the export is busy or has a pool.  The target's reply
 * proves it holds the key too.
 */
TEST_F_TIMEOUT(target, keyed_export_serves_only_a_valid_mac_and_proves_itself, 150)
{
	uint8_t key[32], key16[16], wrong[32], replay[W_MAC], k[W_MAC];
	struct sockaddr_in elsewhere = { .sin_family = AF_INET };
	struct w_hello_reply rep;
	struct rogue r, r2;
	struct w_hello *h;
	char cmd[4096];
	unsigned int i;

	cur_cat = C_AUTH;
	ASSERT_EQ(0, make_key(self->dir, "key", key, sizeof(key)));
	ASSERT_EQ(0, make_key(self->dir, "key16", key16, sizeof(key16)));
	memcpy(wrong, key, sizeof(wrong));
	wrong[31] ^= 1;
	snprintf(cmd, sizeof(cmd),
		 "%s export-add %s %s/keyed.img --size 4M --key-file %s/key && "
		 "%s export-add %s %s/keyed16.img --size 4M --key-file %s/key16 >/dev/null",
		 kpmemctl(), EXP_KEYED, self->dir, self->dir, kpmemctl(), EXP_KEYED16, self->dir,
		 self->dir);
	ASSERT_EQ(0, run("%s", cmd));

	/* Refused, each on its own connection: EACCES, then the disconnect. */
	inet_pton(AF_INET, "10.77.9.9", &elsewhere.sin_addr);
	for (i = 0; i < 11; i++) {
		const char *what = "";

		ASSERT_EQ(0, rogue_open_keyed(&r, 2, key, sizeof(key)));
		h = hello_msg(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_KEYED);
		switch (i) {
		case 0:
			what = "no proof";
			h->auth = W_AUTH_NONE;
			memset(h->mac, 0, W_MAC);
			break;
		case 1:
			what = "a MAC of zeros";
			memset(h->mac, 0, W_MAC);
			break;
		case 2:
			what = "a MAC under another key";
			r.key = wrong;
			hello_sign(&r, h);
			break;
		case 3:
			what = "a MAC under the raw key, not the connection key";
			hello_mac(key, rdma_get_local_addr(r.id), rdma_get_peer_addr(r.id), h,
				  h->mac);
			break;
		case 4:
			what = "a MAC with the nonces swapped";
			conn_key(key, sizeof(key), r.nonce_t, r.nonce_i, k);
			hello_mac(k, rdma_get_local_addr(r.id), rdma_get_peer_addr(r.id), h, h->mac);
			break;
		case 5:
			what = "a MAC over another initiator address";
			hello_mac(r.conn_key, (struct sockaddr *)&elsewhere,
				  rdma_get_peer_addr(r.id), h, h->mac);
			break;
		case 10:
			what = "a MAC over another target address";
			hello_mac(r.conn_key, rdma_get_local_addr(r.id),
				  (struct sockaddr *)&elsewhere, h, h->mac);
			break;
		case 6:
			what = "a HELLO changed after its MAC";
			h->pool_size = 2 * POOL_SIZE;
			break;
		case 7:
			what = "a MAC for another export's name";
			strcpy(h->name, EXP_KEYED16);
			h->name_len = strlen(EXP_KEYED16);
			hello_sign(&r, h);
			strcpy(h->name, EXP_KEYED);
			h->name_len = strlen(EXP_KEYED);
			break;
		case 8:
			what = "the key of the other keyed export";
			r.key = key16;
			r.key_len = sizeof(key16);
			hello_sign(&r, h);
			break;
		case 9:
			what = "a MAC that is right but for the last byte";
			h->mac[W_MAC - 1] ^= 0x80;
			break;
		}
		EXPECT_EQ(EACCES, hello_send(&r)) TH_LOG("%s", what);
		EXPECT_TRUE(wait_gone(&r)) TH_LOG("%s: not disconnected", what);
		rogue_close(&r);
	}
	/* With the key: no pool yet is ENOENT; without, the same question is EACCES. */
	ASSERT_EQ(0, rogue_open_keyed(&r, 2, key, sizeof(key)));
	EXPECT_EQ(ENOENT, hello(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_KEYED));
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);
	ASSERT_EQ(0, rogue_open(&r, 2));
	EXPECT_EQ(EACCES, hello(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_KEYED));
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);

	/* Create with the key: served, and the reply's MAC proves the target's key. */
	ASSERT_EQ(0, rogue_open_keyed(&r, 2, key, sizeof(key)));
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_KEYED));
	memcpy(&rep, hello_reply(&r), sizeof(rep));
	EXPECT_EQ((uint32_t)W_AUTH_PSK, rep.auth);
	memcpy(replay, r.hello_mac, W_MAC);
	/* While it is connected: without the key EACCES, with it EBUSY. */
	ASSERT_EQ(0, rogue_open(&r2, 2));
	EXPECT_EQ(EACCES, hello(&r2, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_KEYED));
	EXPECT_TRUE(wait_gone(&r2));
	rogue_close(&r2);
	ASSERT_EQ(0, rogue_open_keyed(&r2, 2, key, sizeof(key)));
	EXPECT_EQ(EBUSY, hello(&r2, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_KEYED));
	EXPECT_TRUE(wait_gone(&r2));
	rogue_close(&r2);
	EXPECT_EQ(0, persist(&r, 8192, 512, 0x42));
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);

	/* A replayed MAC: the same HELLO bytes, its MAC from the last connection. */
	ASSERT_EQ(0, rogue_open_keyed(&r, 2, key, sizeof(key)));
	h = hello_msg(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_KEYED);
	memcpy(h->mac, replay, W_MAC);
	EXPECT_EQ(EACCES, hello_send(&r));
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);

	/* Open with the key: the data is there; the 16-byte key works as well. */
	ASSERT_EQ(0, rogue_open_keyed(&r, 2, key, sizeof(key)));
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_KEYED));
	EXPECT_EQ(0, memcmp(hello_reply(&r)->attr.signature, "ROGUE", 5));
	EXPECT_EQ(0, req(&r, W_READ, 8192, 512));
	EXPECT_EQ((char)0x42, r.reply[32]);
	EXPECT_EQ((char)0x42, r.reply[32 + 511]);
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	rogue_close(&r);
	ASSERT_EQ(0, rogue_open_keyed(&r, 2, key16, sizeof(key16)));
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_KEYED16));
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	rogue_close(&r);

	/* Removal: without the key EACCES; with it a proven reply without segments. */
	ASSERT_EQ(0, rogue_open(&r, 2));
	EXPECT_EQ(EACCES, hello(&r, KPMEM_POOL_REMOVE, KPMEM_POOL_REMOVE_FORCE, 0, EXP_KEYED));
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, rogue_open_keyed(&r, 2, i ? key16 : key, i ? 16 : 32));
		EXPECT_EQ(0, hello(&r, KPMEM_POOL_REMOVE, 0, 0, i ? EXP_KEYED16 : EXP_KEYED));
		EXPECT_EQ(32U + sizeof(struct w_hello_reply), r.reply_len);
		EXPECT_EQ((uint32_t)W_AUTH_PSK, hello_reply(&r)->auth);
		EXPECT_TRUE(wait_gone(&r));
		rogue_close(&r);
	}
	EXPECT_TRUE(export_wait_state(EXP_KEYED, "idle"));
	EXPECT_EQ(0, run("%s export-remove %s && %s export-remove %s >/dev/null", kpmemctl(),
			 EXP_KEYED, kpmemctl(), EXP_KEYED16));
}

/* PERSIST and READ with out-of-range, overflowing and header offsets. */
TEST_F_TIMEOUT(target, out_of_range_persists_and_reads_are_refused, 120)
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
	/* After CLOSE, no more requests: the target disconnected. */
	EXPECT_EQ(-ECONNRESET, req(&r, W_READ, 8192, 8));
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);

	/* Without a header, offset 0 is the pool's. */
	ASSERT_EQ(0, rogue_open(&r, 4));
	ASSERT_EQ(0, hello(&r, KPMEM_POOL_CREATE, 0, POOL_SIZE, EXP_NOHDR));
	EXPECT_EQ(0U, hello_reply(&r)->hdr_size);
	EXPECT_EQ(0, persist(&r, 0, 16, 0x11));
	EXPECT_EQ(EINVAL, persist(&r, POOL_SIZE - 8, 16, 0x11));
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	rogue_close(&r);
	ASSERT_EQ(0, rogue_open(&r, 4));
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_REMOVE, 0, 0, EXP_NOHDR));
	rogue_close(&r);
}

/* A connection with the (keyed) device DAX export's segments, the reply's MAC checked. */
static int dax_hello(struct rogue *r, uint32_t op)
{
	int ret = rogue_open_keyed(r, 4, dax_key, sizeof(dax_key));

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
TEST_F_TIMEOUT(target, rdma_outside_the_granted_segments_fails_and_lands_nothing, 150)
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

	/* Harness guests have an NVDIMM (--pmem both): not having one is a failure there. */
	ASSERT_TRUE(self->dax) TH_LOG("no device DAX in this guest");
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
	EXPECT_TRUE(wait_gone(&a));
	rogue_close(&a);
	ASSERT_EQ(0, dax_hello(&a, KPMEM_POOL_OPEN));
	msg(&a, W_PERSIST_RANGES, 0, 0, 0);
	EXPECT_EQ(-ECONNRESET, rogue_xfer(&a, 32));
	EXPECT_TRUE(wait_gone(&a));
	rogue_close(&a);
	/* More ranges than a message holds. */
	ASSERT_EQ(0, dax_hello(&a, KPMEM_POOL_OPEN));
	msg(&a, W_PERSIST_RANGES, 0, 0, (W_MAX_RANGES + 1) * 16);
	EXPECT_EQ(-ECONNRESET, rogue_xfer(&a, 32 + (W_MAX_RANGES + 1) * 16));
	EXPECT_TRUE(wait_gone(&a));
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
		/* The target's side of the queue pair failed too: it drops the connection. */
		EXPECT_TRUE(wait_gone(&a)) TH_LOG("attack %u", i);
		rogue_close(&a);
	}

	/* A stale rkey after CLOSE. */
	ASSERT_EQ(0, dax_hello(&a, KPMEM_POOL_OPEN));
	addr = seg_addr(&a, CTRL_OFF, &old_rkey);
	EXPECT_EQ(0, req(&a, W_CLOSE, 0, 0));
	EXPECT_NE(IBV_WC_SUCCESS, rogue_rdma(&a, true, 4096, addr, old_rkey));
	rogue_close(&a);
	/* The next connection's rkeys are new, and the old one fails on it. */
	ASSERT_EQ(0, dax_hello(&a, KPMEM_POOL_OPEN));
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

	/*
	 * Another connection's live rkey, from a connection without HELLO and
	 * from one live on another export.
	 */
	ASSERT_EQ(0, dax_hello(&a, KPMEM_POOL_OPEN));
	addr = seg_addr(&a, CTRL_OFF, &rkey);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, rogue_open(&b, 2));
		if (i)
			EXPECT_EQ(0, hello(&b, KPMEM_POOL_CREATE, 0, POOL_SIZE, EXP_NOHDR));
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

/*
 * @n silent connections from one address at once.  Return how many the
 * target still serves afterwards (HELLO for a missing export answered
 * EACCES) and set @served[i]; count those refused outright (kpmem REJ) in
 * @refused.
 */
static int burst(int n, bool *served, int *refused)
{
	struct rogue *many = calloc(n, sizeof(*many));
	int i, alive = 0;

	if (!many)
		return -1;
	*refused = 0;
	for (i = 0; i < n; i++) {
		struct w_cm_req q = cm_req(2);

		count(cur_cat);
		rogue_start(&many[i], &q, sizeof(q), 3);
	}
	for (i = 0; i < n; i++)
		if (rogue_finish(&many[i]) == -ECONNREFUSED && many[i].rej_kpmem)
			(*refused)++;
	/* Let evictions reach us. */
	for (i = 0; i < n; i++)
		if (many[i].connected)
			rogue_event(&many[i], 50);
	for (i = 0; i < n; i++) {
		served[i] = many[i].connected &&
			    hello(&many[i], KPMEM_POOL_OPEN, 0, POOL_SIZE, "nothing") == EACCES;
		alive += served[i];
		rogue_close(&many[i]);
	}
	free(many);
	return alive;
}

static void print_served(const char *what, const bool *served, int n)
{
	char line[256];
	int i, len = 0;

	for (i = 0; i < n && len < (int)sizeof(line) - 2; i++)
		line[len++] = served[i] ? '+' : '.';
	line[len] = '\0';
	fprintf(stderr, "# %s: served %s (oldest first; '.': evicted)\n", what, line);
}

/*
 * Connects: 200 in a row; then bursts of silent connections.  Each new
 * connection is admitted and pushes out the oldest one still waiting for
 * HELLO, so a burst never holds the target at a limit: what stays is the
 * newest max_unauth_per_peer from one address, max_unauth_conns in all,
 * and what fits under max_target_conns.
 */
TEST_F_TIMEOUT(target, connect_flood_evicts_the_oldest_silent_connections, 200)
{
	const int nflood = 200, nburst = 12;
	int i, alive, refused, per_peer = self->param[3];
	double t0 = now();
	struct rogue r;
	bool served[12];

	cur_cat = C_FLOOD;
	ASSERT_EQ(0, param_set("hello_timeout_s", 60));
	for (i = 0; i < nflood; i++) {
		int ret = rogue_open(&r, 1 + i % 3);

		ASSERT_EQ(0, ret) TH_LOG("connect %d", i);
		/* Every tenth takes the export: answered, then disconnected. */
		if (i % 10 == 9) {
			EXPECT_EQ(0, hello(&r, KPMEM_POOL_REMOVE, KPMEM_POOL_REMOVE_FORCE, 0,
					   EXP_FILE));
			EXPECT_TRUE(wait_gone(&r));
		}
		rogue_close(&r);
	}
	fprintf(stderr, "# %d connects in a row: %.1f s\n", nflood, now() - t0);

	/* One address's burst: the newest max_unauth_per_peer stay. */
	ASSERT_LT(0, per_peer);
	ASSERT_GT(nburst, per_peer);
	alive = burst(nburst, served, &refused);
	print_served("a burst from one address", served, nburst);
	EXPECT_EQ(0, refused);
	EXPECT_EQ(per_peer, alive);
	for (i = nburst - per_peer; i < nburst; i++)
		EXPECT_TRUE(served[i]) TH_LOG("connection %d of the burst", i);

	/* max_unauth_conns: the newest 5 in all stay. */
	ASSERT_EQ(0, param_set("max_unauth_per_peer", 64));
	ASSERT_EQ(0, param_set("max_unauth_conns", 5));
	alive = burst(nburst, served, &refused);
	print_served("max_unauth_conns 5", served, nburst);
	EXPECT_EQ(0, refused);
	EXPECT_EQ(5, alive);
	ASSERT_EQ(0, param_set("max_unauth_conns", self->param[2]));

	/* max_target_conns: the good initiator's plus 3 (the newest) stay. */
	ASSERT_EQ(1, target_conns_wait(1, TMO_MS / 1000.0));
	ASSERT_EQ(0, param_set("max_target_conns", 1 + 3));
	alive = burst(nburst, served, &refused);
	print_served("max_target_conns 4", served, nburst);
	EXPECT_EQ(0, refused);
	EXPECT_EQ(3, alive);
	for (i = nburst - 3; i < nburst; i++)
		EXPECT_TRUE(served[i]) TH_LOG("connection %d of the burst", i);
	ASSERT_EQ(0, param_set("max_target_conns", self->param[0]));
	ASSERT_EQ(0, param_set("max_unauth_per_peer", per_peer));
}

/*
 * A silent connection; 0 when established.  Connected to @dst (NULL:
 * DST_ADDR): the route to a local address starts there too, so the
 * target sees @dst as the initiator's address.
 */
static int open_silent(struct rogue *r, const char *dst)
{
	const char *saved = rogue_dst;
	int ret;

	rogue_dst = dst;
	ret = rogue_open(r, 2);
	rogue_dst = saved;
	return ret;
}

/* Is @r still served?  A HELLO for a missing export: EACCES, then the disconnect. */
static bool still_served(struct rogue *r)
{
	return r->connected && !r->gone &&
	       hello(r, KPMEM_POOL_OPEN, 0, POOL_SIZE, "nothing") == EACCES && wait_gone(r);
}

/*
 * Admission.  Connections through HELLO are never pushed out: when they
 * fill a limit, a new connection is refused EBUSY (and says so in its
 * REJ).  Connections waiting for HELLO make room, the oldest first: of
 * the same address for the per-address limits, of anyone for the global
 * ones.  The other initiator address is rxe0's: a connection to the target
 * at 10.77.0.1 comes from there.
 */
TEST_F_TIMEOUT(target, admission_limits_refuse_only_when_nothing_can_be_evicted, 180)
{
	struct rogue l1, l2, x, b, a[6];
	char list[65536], *p;
	int i, ret;

	cur_cat = C_ADMIT;
	ASSERT_EQ(0, param_set("hello_timeout_s", 60));
	/* The second address is another initiator to the target. */
	ASSERT_EQ(0, open_silent(&b, OTHER_ADDR));
	ASSERT_EQ(0, hello(&b, KPMEM_POOL_CREATE, 0, POOL_SIZE, EXP_NOHDR));
	ASSERT_EQ(0, export_list(list, sizeof(list)));
	p = strstr(list, "\"name\":\"" EXP_NOHDR "\"");
	ASSERT_NE(NULL, p);
	EXPECT_NE(NULL, strstr(p, "\"peer\":\"" OTHER_ADDR)) TH_LOG("%.300s", p);
	EXPECT_EQ(0, req(&b, W_CLOSE, 0, 0));
	rogue_close(&b);
	ASSERT_EQ(1, target_conns_wait(1, TMO_MS / 1000.0));

	/* The good initiator and two live rogues fill max_target_conns 3. */
	ASSERT_EQ(0, rogue_open(&l1, 2));
	ASSERT_EQ(0, hello(&l1, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE));
	ASSERT_EQ(0, rogue_open(&l2, 2));
	ASSERT_EQ(0, hello(&l2, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_NOHDR));
	ASSERT_EQ(0, param_set("max_target_conns", 3));
	for (i = 0; i < 2; i++) {
		ret = open_silent(&x, i ? OTHER_ADDR : NULL);
		EXPECT_EQ(-ECONNREFUSED, ret) TH_LOG("from %s", i ? OTHER_ADDR : DST_ADDR);
		EXPECT_TRUE(x.rej_kpmem);
		EXPECT_EQ((uint32_t)EBUSY, x.rej_status) TH_LOG("%s", strerror(x.rej_status));
		rogue_close(&x);
	}
	ASSERT_EQ(0, param_set("max_target_conns", self->param[0]));
	/* max_conns_per_peer 3: this address is full, the other one is not. */
	ASSERT_EQ(0, param_set("max_conns_per_peer", 3));
	EXPECT_EQ(-ECONNREFUSED, open_silent(&x, NULL));
	EXPECT_TRUE(x.rej_kpmem);
	EXPECT_EQ((uint32_t)EBUSY, x.rej_status);
	rogue_close(&x);
	ASSERT_EQ(0, open_silent(&x, OTHER_ADDR));
	EXPECT_TRUE(still_served(&x));
	rogue_close(&x);
	/* The live ones were never touched. */
	EXPECT_EQ(0, persist(&l1, 4096, 64, 1));
	EXPECT_EQ(0, persist(&l2, 0, 64, 1));
	/* A waiting connection of this address makes room for the next one. */
	ASSERT_EQ(0, param_set("max_conns_per_peer", 4));
	ASSERT_EQ(0, open_silent(&a[0], NULL));
	ASSERT_EQ(0, open_silent(&a[1], NULL));
	EXPECT_TRUE(wait_gone(&a[0])) TH_LOG("the oldest waiting connection stayed");
	EXPECT_TRUE(still_served(&a[1]));
	rogue_close(&a[0]);
	rogue_close(&a[1]);
	ASSERT_EQ(0, param_set("max_conns_per_peer", self->param[1]));
	EXPECT_EQ(0, req(&l1, W_CLOSE, 0, 0));
	EXPECT_EQ(0, req(&l2, W_CLOSE, 0, 0));
	rogue_close(&l1);
	rogue_close(&l2);
	ASSERT_EQ(1, target_conns_wait(1, TMO_MS / 1000.0));

	/* max_unauth_per_peer: this address's oldest go, the other address's stays. */
	ASSERT_EQ(0, open_silent(&b, OTHER_ADDR));
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, open_silent(&a[i], NULL)) TH_LOG("%d", i);
	EXPECT_TRUE(wait_gone(&a[0]));
	EXPECT_TRUE(wait_gone(&a[1]));
	for (i = 2; i < 6; i++)
		EXPECT_TRUE(still_served(&a[i])) TH_LOG("%d", i);
	EXPECT_TRUE(still_served(&b));
	for (i = 0; i < 6; i++)
		rogue_close(&a[i]);
	rogue_close(&b);

	/* max_unauth_conns: the oldest of anyone goes. */
	ASSERT_EQ(0, param_set("max_unauth_conns", 3));
	ASSERT_EQ(0, open_silent(&b, OTHER_ADDR));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, open_silent(&a[i], NULL)) TH_LOG("%d", i);
	EXPECT_TRUE(wait_gone(&b)) TH_LOG("the oldest waiting connection stayed");
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(still_served(&a[i])) TH_LOG("%d", i);
	for (i = 0; i < 3; i++)
		rogue_close(&a[i]);
	rogue_close(&b);
	ASSERT_EQ(0, param_set("max_unauth_conns", self->param[2]));
}

/*
 * A connection that has not been through HELLO hello_timeout_s after its
 * accept is dropped (the watchdog looks once a second), whether it is
 * established or its initiator never even completed the handshake; one
 * that said HELLO in time stays however quiet it is.
 */
TEST_F_TIMEOUT(target, connection_without_hello_is_dropped_at_the_deadline, 120)
{
	const int deadline = 2;
	struct rogue s, h, c;
	struct w_cm_req q;
	double t, t_req;
	long held;

	cur_cat = C_DEADLINE;
	held = target_conns_wait(1, TMO_MS / 1000.0);
	ASSERT_EQ(1, held);
	ASSERT_EQ(0, param_set("hello_timeout_s", deadline));

	/* One that said HELLO at once, beside one established and silent. */
	ASSERT_EQ(0, rogue_open(&h, 2));
	EXPECT_EQ(0, hello(&h, KPMEM_POOL_CREATE, 0, POOL_SIZE, EXP_NOHDR));
	ASSERT_EQ(0, rogue_open(&s, 2));
	EXPECT_TRUE(wait_gone_s(&s, deadline + 5));
	t = s.t_gone - s.t_est;
	TH_LOG("the silent connection was dropped %.2f s after it was established (%.2f s after its REQ); deadline %d s",
	       t, s.t_gone - s.t_req, deadline);
	EXPECT_TRUE(s.t_gone - s.t_req >= deadline);
	EXPECT_TRUE(t <= deadline + 2.0);
	/* Too late now. */
	EXPECT_EQ(-ECONNRESET, hello(&s, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE));
	rogue_close(&s);
	/* The one that said HELLO is still served, past the deadline and then some. */
	nap_us(2000000);
	EXPECT_EQ(0, req(&h, W_KEEPALIVE, 0, 0));
	EXPECT_EQ(0, persist(&h, 0, 64, 7));
	EXPECT_EQ(0, req(&h, W_CLOSE, 0, 0));
	rogue_close(&h);
	ASSERT_EQ(held, target_conns_wait(held, TMO_MS / 1000.0));

	/* A handshake never completed (no RTU): the target's connection goes too. */
	q = cm_req(2);
	count(cur_cat);
	ASSERT_EQ(0, rogue_start(&c, &q, sizeof(q), 3));
	t_req = c.t_req;
	while (live_count("target_conns") == held && now() < t_req + 5)
		nap_us(20000);
	EXPECT_EQ(held + 1, live_count("target_conns")) TH_LOG("no connection for the REQ");
	EXPECT_EQ(held, target_conns_wait(held, deadline + 5));
	t = now() - t_req;
	TH_LOG("the half-open connection was dropped %.2f s after its REQ; deadline %d s", t,
	       deadline);
	EXPECT_TRUE(t >= deadline);
	EXPECT_TRUE(t <= deadline + 2.0);
	rogue_close(&c);
	ASSERT_EQ(0, param_set("hello_timeout_s", self->param[4]));
	EXPECT_EQ(0, probe_good_connection());
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

/* Disconnects in the middle of requests and of HELLO free the export at once. */
TEST_F_TIMEOUT(target, disconnects_mid_request_free_the_export, 120)
{
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

		if (dax) {
			ASSERT_EQ(0, rogue_open_keyed(&r, 4, dax_key, sizeof(dax_key)));
			if (i == 1)
				hello_msg(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, DAX_POOL,
					  EXP_DAX);
			else
				hello_msg(&r, KPMEM_POOL_OPEN, 0, DAX_POOL, EXP_DAX);
		} else {
			ASSERT_EQ(0, rogue_open(&r, 4));
			hello_msg(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE);
		}
		post_send(&r, 0, R_SEND, W_HELLO_MSG, false);
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
 * A peer gone while the device still finishes its request: 6.12's rdma_rxe
 * posts a receive's completion, then looks at the QP state once more and,
 * finding it in error, runs the packet again without a receive WR (NULL
 * dereference in copy_data()).  kpmem's release must not move the QP to
 * error inside that window.  With kpmem's debug build (with_debug_hooks),
 * the point rxe_recv_done holds the device there, after the completion of
 * a receive of more than one packet, until the release ran; with the
 * release build, the timing is the network's.
 */
TEST_F_TIMEOUT(target, disconnect_while_the_device_finishes_a_request, 180)
{
	bool hooked = debug_build(0);
	struct rogue r;
	long before;
	int i;

	cur_cat = C_MIDREQ;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, rogue_open(&r, 4));
		ASSERT_EQ(0, hello(&r, i ? KPMEM_POOL_OPEN : KPMEM_POOL_CREATE,
				   i ? 0 : KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE));
		before = hooked ? debug_hits(0, "rxe_recv_done") : 0;
		/* Only for this message: a persist carrying 60000 bytes (fifteen packets). */
		if (hooked)
			ASSERT_EQ(0, run("echo %d > " KPMEM_DEBUGFS "/rxe_recv_done/bytes && "
					 "echo 1500 > " KPMEM_DEBUGFS "/rxe_recv_done/delay_ms",
					 32 + 60000));
		msg_at(&r, R_SEND, W_PERSIST, 0, 4096, 60000);
		ASSERT_EQ(0, post_send(&r, 0, R_SEND, 32 + 60000, false));
		if (hooked) {
			/* The device sits after the completion; go now. */
			EXPECT_TRUE(debug_entered(0, "rxe_recv_done", before));
			EXPECT_EQ(0, debug_stall(0, "rxe_recv_done", 0));
		} else {
			nap_us(i * 500);
		}
		rogue_close(&r);
		EXPECT_TRUE(export_wait_state(EXP_FILE, "idle"));
	}
	/* The export is served again at once. */
	ASSERT_EQ(0, rogue_open(&r, 4));
	EXPECT_EQ(0, hello(&r, KPMEM_POOL_OPEN, 0, POOL_SIZE, EXP_FILE));
	EXPECT_EQ(0, persist(&r, 4096, 100, 1));
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	rogue_close(&r);
}

/* Kernel log lines containing @what, now. */
static long dmesg_count(const char *what)
{
	char cmd[256], out[32];
	FILE *f;
	long n = -1;

	snprintf(cmd, sizeof(cmd), "dmesg | grep -c -F '%s'", what);
	f = popen(cmd, "r");
	if (f && fgets(out, sizeof(out), f))
		n = atol(out);
	if (f)
		pclose(f);
	return n;
}

/*
 * A peer that does not wait for replies: it sends a lane's next request as
 * soon as the target has acknowledged the last one, so replies pile up in
 * the target's send queue faster than their acknowledgements come back.
 * The target must hold the peer back (its receive buffers return as
 * replies complete; the peer meanwhile gets RNR NAKs and retries) and
 * answer every request (a reply's content is not checked: a peer this
 * eager may find a reply buffer reused before its first transmission);
 * it must never fail a post on a full send queue and
 * then ib_drain_qp() a full queue ("failed to drain send queue", a WARN a
 * peer must not be able to cause).
 */
TEST_F_TIMEOUT(target, pipelined_requests_never_overflow_the_send_queue, 120)
{
	long drain_warns = dmesg_count("failed to drain");
	unsigned int sent_reqs = 0, replies = 0;
	double end = now() + 10;
	struct ibv_wc wc;
	struct rogue r;

	cur_cat = C_CONTROL;
	ASSERT_LE(0, drain_warns) TH_LOG("cannot read the kernel log");
	ASSERT_EQ(0, rogue_open(&r, 2));
	ASSERT_EQ(0, hello(&r, KPMEM_POOL_CREATE, KPMEM_POOL_HAS_ATTR, POOL_SIZE, EXP_FILE));
	/* Ten seconds of requests, each sent once the previous one was taken. */
	while (!r.dead && now() < end) {
		bool taken = false;

		msg(&r, W_KEEPALIVE, 0, 0, 0);
		if (post_send(&r, WR_SEND, R_SEND, sizeof(struct w_hdr), true))
			break;
		sent_reqs++;
		while (!taken && !r.dead && now() < end + TMO_MS / 1000.0) {
			if (ibv_poll_cq(r.cq, 1, &wc) != 1) {
				rogue_event(&r, 0);
				continue;
			}
			if (wc.status != IBV_WC_SUCCESS)
				r.dead = true;
			else if (wc.wr_id == WR_SEND)
				taken = true;
			else if (wc.opcode & IBV_WC_RECV)
				replies++, rogue_post_recv(&r, wc.wr_id);
		}
	}
	/* Then every reply. */
	end = now() + TMO_MS / 1000.0;
	while (!r.dead && replies < sent_reqs && now() < end) {
		if (ibv_poll_cq(r.cq, 1, &wc) != 1) {
			rogue_event(&r, 0);
			nap_us(1000);
		} else if (wc.status != IBV_WC_SUCCESS) {
			r.dead = true;
		} else if (wc.opcode & IBV_WC_RECV) {
			replies++;
			rogue_post_recv(&r, wc.wr_id);
		}
	}
	TH_LOG("%u requests pipelined, %u replies, connection %s", sent_reqs, replies,
	       r.dead ? "dropped" : "up");
	EXPECT_FALSE(r.dead);
	EXPECT_EQ(sent_reqs, replies);
	/* Far more than the send queue holds: the pipeline ran. */
	EXPECT_LT(100u, sent_reqs);
	EXPECT_EQ(0, req(&r, W_CLOSE, 0, 0));
	EXPECT_TRUE(wait_gone(&r));
	rogue_close(&r);
	EXPECT_TRUE(export_wait_state(EXP_FILE, "idle"));
	EXPECT_EQ(drain_warns, dmesg_count("failed to drain"));
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
	ASSERT_EQ(0, hello_send(&silent));
	EXPECT_EQ(0, req(&silent, W_KEEPALIVE, 0, 0));
	/* Silent from now on: dropped after 1.5 s (the watchdog looks once a second). */
	t0 = now();
	EXPECT_TRUE(export_wait_state(EXP_FILE, "idle"));
	TH_LOG("the silent initiator lost its export after %.1f s", now() - t0);
	EXPECT_GT(8.0, now() - t0);
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
	ASSERT_EQ(0, hello_send(&chatty));
	for (int i = 0; i < 13; i++) {
		nap_us(300000);
		EXPECT_EQ(0, req(&chatty, W_KEEPALIVE, 0, 0)) TH_LOG("keepalive %d", i);
	}
	EXPECT_EQ(0, req(&chatty, W_CLOSE, 0, 0));
	rogue_close(&chatty);
	EXPECT_EQ(0, param_set("initiator_timeout_ms", self->param[5]));
	EXPECT_EQ(0, probe_good_connection());
}

/* Shared counters, and device DAX for the RDMA tests, before the first fork. */
__attribute__((constructor)) static void setup(void)
{
	char cmd[512];
	const char *top = getenv("KPMEM_TOP");
	const char *given = getenv("KPMEM_TEST_DEVDAX");
	FILE *p;

	start_time = now();
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
	       now() - start_time);
	fflush(stdout);

	if (devdax_made)
		run("%s/selftests/part_maps/pmemset_env.sh devdax-down", top ? top : ".");
}

TEST_HARNESS_MAIN
