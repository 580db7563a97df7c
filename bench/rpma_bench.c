// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace alternative to kpmem remote persistence, on Debian's
 * librpma (1.2.0, which has no native RDMA FLUSH: rpma_flush() of type
 * PERSISTENT is a read-after-write, APM).
 *
 *   rpma_bench server ADDR PORT PATH MIB
 *	maps MIB MiB of PATH (a device DAX node, or "-" for anonymous DRAM),
 *	registers it for remote write/read/persistent flush, and serves
 *	connections one after another until killed.
 *   rpma_bench client [-n ITERS] [-s SIZES] [-q DEPTH] [-b BUDGET_MIB] ADDR PORT
 *	for each size: write_flush (rpma_write + rpma_flush PERSISTENT) and
 *	read (rpma_read), each at queue depth 1 (every operation timed: p50,
 *	p99) and pipelined at DEPTH (throughput only).
 *
 * Against a DRAM server the flush is of type VISIBILITY (write_flush_visibility).
 * The server sends its MR descriptor and peer configuration (direct write to
 * pmem: yes for a device DAX path) as connection private data.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <librpma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_util.h"

#define MAX_SIZES	32
#define MAX_DEPTH	64

struct pdata {
	uint8_t mr_desc_size;
	uint8_t pcfg_desc_size;
	uint8_t desc[128];	/* MR descriptor, then peer cfg descriptor */
};

#define CHECK(call) do {						\
	int ret_ = (call);						\
	if (ret_) {							\
		fprintf(stderr, "rpma_bench: %s: %s\n", #call, rpma_err_2str(ret_)); \
		return -1;						\
	}								\
} while (0)

static int server(const char *addr, const char *port, const char *path, size_t mib)
{
	struct rpma_peer_cfg *pcfg = NULL;
	struct ibv_context *ibv = NULL;
	struct rpma_mr_local *mr = NULL;
	struct rpma_peer *peer = NULL;
	struct rpma_ep *ep = NULL;
	struct pdata pd = { 0 };
	size_t size = mib << 20, ds;
	int pmem = strcmp(path, "-") != 0;
	void *mem;

	if (pmem) {
		int fd = open(path, O_RDWR);

		if (fd < 0) {
			perror(path);
			return -1;
		}
		mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
	} else {
		mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (mem == MAP_FAILED) {
		perror("rpma_bench: mmap");
		return -1;
	}
	CHECK(rpma_utils_get_ibv_context(addr, RPMA_UTIL_IBV_CONTEXT_LOCAL, &ibv));
	CHECK(rpma_peer_new(ibv, &peer));
	CHECK(rpma_mr_reg(peer, mem, size, RPMA_MR_USAGE_WRITE_DST | RPMA_MR_USAGE_READ_SRC |
			  (pmem ? RPMA_MR_USAGE_FLUSH_TYPE_PERSISTENT :
			   RPMA_MR_USAGE_FLUSH_TYPE_VISIBILITY), &mr));
	CHECK(rpma_mr_get_descriptor_size(mr, &ds));
	pd.mr_desc_size = (uint8_t)ds;
	CHECK(rpma_mr_get_descriptor(mr, pd.desc));
	CHECK(rpma_peer_cfg_new(&pcfg));
	CHECK(rpma_peer_cfg_set_direct_write_to_pmem(pcfg, pmem));
	CHECK(rpma_peer_cfg_get_descriptor_size(pcfg, &ds));
	pd.pcfg_desc_size = (uint8_t)ds;
	if (pd.mr_desc_size + ds > sizeof(pd.desc)) {
		fprintf(stderr, "rpma_bench: descriptors too large\n");
		return -1;
	}
	CHECK(rpma_peer_cfg_get_descriptor(pcfg, pd.desc + pd.mr_desc_size));
	CHECK(rpma_ep_listen(peer, addr, port, &ep));
	printf("# rpma_bench server: %s:%s, %zu MiB of %s\n", addr, port, mib,
	       pmem ? path : "DRAM");
	fflush(stdout);

	for (;;) {
		struct rpma_conn_private_data priv = { .ptr = &pd, .len = sizeof(pd) };
		struct rpma_conn_req *req = NULL;
		struct rpma_conn *conn = NULL;
		enum rpma_conn_event ev;

		CHECK(rpma_ep_next_conn_req(ep, NULL, &req));
		CHECK(rpma_conn_req_connect(&req, &priv, &conn));
		if (!rpma_conn_next_event(conn, &ev) && ev == RPMA_CONN_ESTABLISHED)
			rpma_conn_next_event(conn, &ev);	/* until the client leaves */
		rpma_conn_disconnect(conn);
		rpma_conn_delete(&conn);
	}
	return 0;
}

struct client {
	struct rpma_conn *conn;
	struct rpma_cq *cq;
	struct rpma_mr_remote *dst;
	struct rpma_mr_local *src;
	size_t remote_size, next;
	enum rpma_flush_type flush;	/* PERSISTENT, VISIBILITY if the server is on DRAM */
};

enum op { OP_WRITE_FLUSH, OP_READ };

static int post(struct client *c, enum op op, size_t size, uintptr_t slot)
{
	size_t off;

	if (c->next + size > c->remote_size)
		c->next = 0;
	off = c->next;
	c->next += size;
	if (op == OP_READ)
		return rpma_read(c->conn, c->src, 0, c->dst, off, size, RPMA_F_COMPLETION_ALWAYS,
				 (void *)slot);
	CHECK(rpma_write(c->conn, c->dst, off, c->src, 0, size, RPMA_F_COMPLETION_ON_ERROR, NULL));
	return rpma_flush(c->conn, c->dst, off, size, c->flush, RPMA_F_COMPLETION_ALWAYS,
			  (void *)slot);
}

/* Waits for at least one completion; returns how many, or -1. */
static int reap(struct client *c, struct ibv_wc *wc, int max)
{
	for (;;) {
		int got = 0, ret = rpma_cq_get_wc(c->cq, max, wc, &got);

		if (!ret) {
			for (int i = 0; i < got; i++)
				if (wc[i].status != IBV_WC_SUCCESS) {
					fprintf(stderr, "rpma_bench: completion: %s\n",
						ibv_wc_status_str(wc[i].status));
					return -1;
				}
			return got;
		}
		if (ret != RPMA_E_NO_COMPLETION) {
			fprintf(stderr, "rpma_bench: rpma_cq_get_wc: %s\n", rpma_err_2str(ret));
			return -1;
		}
		ret = rpma_cq_wait(c->cq);
		if (ret && ret != RPMA_E_NO_COMPLETION) {
			fprintf(stderr, "rpma_bench: rpma_cq_wait: %s\n", rpma_err_2str(ret));
			return -1;
		}
	}
}

/* @iters operations of @size, at most @depth in flight; QD1 records each latency. */
static int run(struct client *c, enum op op, size_t size, unsigned int iters, int depth)
{
	static const char *const names[3][2] = {
		{ "write_flush", "write_flush_pipelined" }, { "read", "read_pipelined" },
		{ "write_flush_visibility", "write_flush_visibility_pipelined" },
	};
	int row = op == OP_WRITE_FLUSH && c->flush != RPMA_FLUSH_TYPE_PERSISTENT ? 2 : op;
	double *lat = calloc(iters, sizeof(*lat)), t0, total;
	unsigned int posted = 0, done = 0;
	struct ibv_wc wc[MAX_DEPTH];
	int inflight = 0;

	if (!lat)
		return -1;
	for (int i = 0; i < 2; i++) {	/* warm-up */
		if (post(c, op, size, 0) || reap(c, wc, 1) != 1)
			goto fail;
	}
	t0 = bench_now_us();
	while (done < iters) {
		double s = bench_now_us();
		int got;

		while (inflight < depth && posted < iters) {
			if (post(c, op, size, posted))
				goto fail;
			posted++;
			inflight++;
		}
		got = reap(c, wc, MAX_DEPTH);
		if (got < 0)
			goto fail;
		if (depth == 1)
			lat[done] = bench_now_us() - s;
		inflight -= got;
		done += got;
	}
	total = bench_now_us() - t0;
	if (depth == 1) {
		bench_report("rpma", names[row][0], size, lat, iters, (double)size * iters, total);
	} else {
		printf("RESULT rpma %s %zu %u - - %.6g\n", names[row][1], size, iters,
		       (double)size * iters / total);
		fflush(stdout);
	}
	free(lat);
	return 0;
fail:
	fprintf(stderr, "rpma_bench: %s %zu failed\n", names[row][0], size);
	free(lat);
	return -1;
}

static int client(int argc, char **argv)
{
	size_t sizes[MAX_SIZES], budget = 16 << 20, maxsize = 0;
	int nsizes = bench_parse_sizes("8,64,512,4K,32K,256K,1M", sizes, MAX_SIZES), opt, depth = 8;
	struct rpma_conn_private_data priv;
	struct rpma_conn_cfg *cfg = NULL;
	struct rpma_peer_cfg *pcfg = NULL;
	struct ibv_context *ibv = NULL;
	struct rpma_conn_req *req = NULL;
	struct rpma_peer *peer = NULL;
	struct client c = { 0 };
	unsigned int iters = 100;
	enum rpma_conn_event ev;
	bool pmem = false;
	struct pdata pd;
	void *buf;

	while ((opt = getopt(argc, argv, "n:s:q:b:")) != -1) {
		switch (opt) {
		case 'n': iters = atoi(optarg); break;
		case 's': nsizes = bench_parse_sizes(optarg, sizes, MAX_SIZES); break;
		case 'q': depth = atoi(optarg); break;
		case 'b': budget = strtoul(optarg, NULL, 0) << 20; break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || nsizes <= 0 || !iters || depth < 1 || depth > MAX_DEPTH)
		return 2;
	for (int i = 0; i < nsizes; i++)
		maxsize = sizes[i] > maxsize ? sizes[i] : maxsize;
	buf = mmap(NULL, maxsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return -1;
	memset(buf, 0x5a, maxsize);

	CHECK(rpma_utils_get_ibv_context(argv[optind], RPMA_UTIL_IBV_CONTEXT_REMOTE, &ibv));
	CHECK(rpma_peer_new(ibv, &peer));
	CHECK(rpma_conn_cfg_new(&cfg));
	CHECK(rpma_conn_cfg_set_sq_size(cfg, 2 * MAX_DEPTH + 4));
	CHECK(rpma_conn_cfg_set_cq_size(cfg, MAX_DEPTH + 4));
	CHECK(rpma_conn_cfg_set_timeout(cfg, 5000));
	CHECK(rpma_conn_req_new(peer, argv[optind], argv[optind + 1], cfg, &req));
	CHECK(rpma_conn_req_connect(&req, NULL, &c.conn));
	CHECK(rpma_conn_next_event(c.conn, &ev));
	if (ev != RPMA_CONN_ESTABLISHED) {
		fprintf(stderr, "rpma_bench: connection not established (event %d)\n", ev);
		return -1;
	}
	CHECK(rpma_conn_get_private_data(c.conn, &priv));
	if (priv.len < 2) {
		fprintf(stderr, "rpma_bench: no private data from the server\n");
		return -1;
	}
	memcpy(&pd, priv.ptr, priv.len < sizeof(pd) ? priv.len : sizeof(pd));
	CHECK(rpma_mr_remote_from_descriptor(pd.desc, pd.mr_desc_size, &c.dst));
	CHECK(rpma_peer_cfg_from_descriptor(pd.desc + pd.mr_desc_size, pd.pcfg_desc_size, &pcfg));
	CHECK(rpma_conn_apply_remote_peer_cfg(c.conn, pcfg));
	CHECK(rpma_peer_cfg_get_direct_write_to_pmem(pcfg, &pmem));
	c.flush = pmem ? RPMA_FLUSH_TYPE_PERSISTENT : RPMA_FLUSH_TYPE_VISIBILITY;
	CHECK(rpma_mr_remote_get_size(c.dst, &c.remote_size));
	CHECK(rpma_mr_reg(peer, buf, maxsize, RPMA_MR_USAGE_WRITE_SRC | RPMA_MR_USAGE_READ_DST,
			  &c.src));
	CHECK(rpma_conn_get_cq(c.conn, &c.cq));
	printf("# rpma_bench client: %s:%s, remote region %zu MiB (%s), pipelined depth %d\n",
	       argv[optind], argv[optind + 1], c.remote_size >> 20,
	       pmem ? "pmem: flush PERSISTENT" : "DRAM: flush VISIBILITY", depth);

	for (int o = OP_WRITE_FLUSH; o <= OP_READ; o++)
		for (int i = 0; i < nsizes; i++) {
			unsigned int n = bench_iters(iters, sizes[i], budget, 3);

			if (sizes[i] > c.remote_size || run(&c, o, sizes[i], n, 1) ||
			    run(&c, o, sizes[i], n, depth))
				return -1;
		}

	rpma_conn_disconnect(c.conn);
	rpma_conn_next_event(c.conn, &ev);
	rpma_mr_dereg(&c.src);
	rpma_mr_remote_delete(&c.dst);
	rpma_conn_delete(&c.conn);
	rpma_peer_cfg_delete(&pcfg);
	rpma_conn_cfg_delete(&cfg);
	rpma_peer_delete(&peer);
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc == 6 && !strcmp(argv[1], "server"))
		return server(argv[2], argv[3], argv[4], strtoul(argv[5], NULL, 0)) ? 1 : 0;
	if (argc > 1 && !strcmp(argv[1], "client")) {
		rc = client(argc - 1, argv + 1);
		if (rc != 2)
			return rc ? 1 : 0;
	}
	fprintf(stderr, "usage: rpma_bench server ADDR PORT DEVDAX|- MIB\n"
		"       rpma_bench client [-n ITERS] [-s SIZES] [-q DEPTH] [-b BUDGET_MIB] ADDR PORT\n");
	return 2;
}
