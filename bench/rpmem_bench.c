// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem_bench [-n ITERS] [-s SIZES] [-m MODES] [-f FLUSHES] [-b BUDGET] [-p POOL_MIB]
 *             TARGET EXPORT
 *
 * kpmem remote persistence through the public librpmem API only (so it
 * keeps working while the data path underneath changes).  For each mode and
 * size: a few warm-up operations, then ITERS timed operations back to back
 * at queue depth 1 (ITERS / batch for a batched operation; fewer when the
 * byte budget, BUDGET MiB per point, runs out; at least 3), each one timed; prints one RESULT line (bench_util.h)
 * with p50/p99 per operation and the loop's throughput.
 *
 * Modes (-m, comma-separated; default all):
 *   persist          rpmem_persist(size)
 *   persist_relaxed  rpmem_persist(size, RPMEM_PERSIST_RELAXED)
 *   flush_drain      FLUSHES x rpmem_flush(size) at consecutive offsets, then
 *                    rpmem_drain; one operation moves FLUSHES x size bytes
 *   read             rpmem_read(size)
 *   persist_uring8   8 persists of size at consecutive offsets submitted
 *                    with one io_uring_enter and all awaited: the pipelined
 *                    throughput (perftest's ib_write_bw keeps a window in
 *                    flight too); one operation moves 8 x size bytes
 *
 * One operation is "batch" requests.
 */
#include <errno.h>
#include <getopt.h>
#include <librpmem.h>
#include <rpmem_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench_util.h"

#define HDR_SIZE	4096UL		/* the pool header; data offsets start after it */
#define MAX_SIZES	32
#define URING_DEPTH	8

struct ctx {
	RPMEMpool *rpp;
	uint8_t *pool;
	size_t pool_size;
	size_t next;		/* next data offset, cycling over the pool */
	unsigned int flushes;	/* per drain, flush_drain mode */
	void *readbuf;
	struct io_uring ring;	/* URING_DEPTH entries */
};

struct mode {
	const char *name;
	/* Requests one operation makes; bytes moved = batch x size. */
	unsigned int (*batch)(const struct ctx *c);
	int (*op)(struct ctx *c, size_t size);
};

/* The offset of the next @n consecutive ranges of @size bytes. */
static size_t take(struct ctx *c, size_t size, unsigned int n)
{
	size_t off;

	if (c->next + size * n > c->pool_size)
		c->next = HDR_SIZE;
	off = c->next;
	c->next += size * n;
	return off;
}

static unsigned int one(const struct ctx *c)
{
	(void)c;
	return 1;
}

static unsigned int uring_depth(const struct ctx *c)
{
	(void)c;
	return URING_DEPTH;
}

static unsigned int flushes(const struct ctx *c)
{
	return c->flushes;
}

static void touch(struct ctx *c, size_t off, size_t size)
{
	/* The data changes every time, as an application's would. */
	c->pool[off] ^= 1;
	c->pool[off + size - 1] ^= 1;
}

static int op_persist(struct ctx *c, size_t size)
{
	size_t off = take(c, size, 1);

	touch(c, off, size);
	return rpmem_persist(c->rpp, off, size, 0, 0);
}

static int op_persist_relaxed(struct ctx *c, size_t size)
{
	size_t off = take(c, size, 1);

	touch(c, off, size);
	return rpmem_persist(c->rpp, off, size, 0, RPMEM_PERSIST_RELAXED);
}

static int op_flush_drain(struct ctx *c, size_t size)
{
	size_t off = take(c, size, c->flushes);

	for (unsigned int i = 0; i < c->flushes; i++) {
		touch(c, off + i * size, size);
		if (rpmem_flush(c->rpp, off + i * size, size, 0, 0))
			return -1;
	}
	return rpmem_drain(c->rpp, 0, 0);
}

static int op_read(struct ctx *c, size_t size)
{
	return rpmem_read(c->rpp, c->readbuf, take(c, size, 1), size, 0);
}

static int op_persist_uring(struct ctx *c, size_t size)
{
	size_t off = take(c, size, URING_DEPTH);
	struct io_uring_cqe *cqe;
	int ret = 0, i;

	for (i = 0; i < URING_DEPTH; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);

		if (!sqe)
			return -1;
		touch(c, off + i * size, size);
		rpmem_prep_persist(sqe, c->rpp, off + i * size, size, 0, 0);
	}
	if (io_uring_submit_and_wait(&c->ring, URING_DEPTH) != URING_DEPTH)
		return -1;
	for (i = 0; i < URING_DEPTH; i++) {
		if (io_uring_wait_cqe(&c->ring, &cqe))
			return -1;
		if (cqe->res && !ret) {
			fprintf(stderr, "rpmem_bench: persist CQE: %s\n", strerror(-cqe->res));
			ret = -1;
		}
		io_uring_cqe_seen(&c->ring, cqe);
	}
	return ret;
}

static const struct mode modes[] = {
	{ "persist", one, op_persist },
	{ "persist_relaxed", one, op_persist_relaxed },
	{ "flush_drain", flushes, op_flush_drain },
	{ "read", one, op_read },
	{ "persist_uring8", uring_depth, op_persist_uring },
};

static int wanted(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

static int run(struct ctx *c, const struct mode *m, size_t size, unsigned int iters)
{
	unsigned int batch = m->batch(c);
	double *lat = calloc(iters, sizeof(*lat)), t0, total;

	if (!lat)
		return -1;
	if (size * batch > c->pool_size - HDR_SIZE) {
		fprintf(stderr, "rpmem_bench: %s %zu: larger than the pool\n", m->name, size);
		free(lat);
		return -1;
	}
	for (int i = 0; i < 2; i++)	/* warm-up */
		if (m->op(c, size))
			goto fail;
	t0 = bench_now_us();
	for (unsigned int i = 0; i < iters; i++) {
		double s = bench_now_us();

		if (m->op(c, size))
			goto fail;
		lat[i] = bench_now_us() - s;
	}
	total = bench_now_us() - t0;
	bench_report("kpmem", m->name, size, lat, iters, (double)size * batch * iters, total);
	free(lat);
	return 0;
fail:
	fprintf(stderr, "rpmem_bench: %s %zu: %s\n", m->name, size, rpmem_errormsg());
	free(lat);
	return -1;
}

int main(int argc, char **argv)
{
	struct rpmem_pool_attr attr = { .major = 1 };
	const char *modelist = "persist,persist_relaxed,flush_drain,read,persist_uring8";
	size_t sizes[MAX_SIZES], budget = 16 << 20;
	unsigned int iters = 100, nlanes = 1;
	struct ctx c = { .flushes = 8, .pool_size = 32UL << 20 };
	int nsizes = bench_parse_sizes("8,64,512,4K,32K,256K,1M", sizes, MAX_SIZES), opt, rc = 0;

	while ((opt = getopt(argc, argv, "n:s:m:f:b:p:")) != -1) {
		switch (opt) {
		case 'n': iters = atoi(optarg); break;
		case 's': nsizes = bench_parse_sizes(optarg, sizes, MAX_SIZES); break;
		case 'm': modelist = optarg; break;
		case 'f': c.flushes = atoi(optarg); break;
		case 'b': budget = strtoul(optarg, NULL, 0) << 20; break;
		case 'p': c.pool_size = strtoul(optarg, NULL, 0) << 20; break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || nsizes <= 0 || !iters || !c.flushes || !budget)
		goto usage;

	c.pool = mmap(NULL, c.pool_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c.readbuf = malloc(c.pool_size);
	if (c.pool == MAP_FAILED || !c.readbuf) {
		perror("rpmem_bench");
		return 1;
	}
	memset(c.pool, 0xa5, c.pool_size);
	memcpy(attr.signature, "KPMBENCH", 8);
	c.next = HDR_SIZE;
	/* The pool header lives on the export's media: a run leaves none behind. */
	rpmem_remove(argv[optind], argv[optind + 1], RPMEM_REMOVE_FORCE);
	c.rpp = rpmem_create(argv[optind], argv[optind + 1], c.pool, c.pool_size, &nlanes, &attr);
	if (!c.rpp) {
		fprintf(stderr, "rpmem_bench: rpmem_create: %s\n", rpmem_errormsg());
		return 1;
	}
	if (rpmem_uring_queue_init(URING_DEPTH, &c.ring, 0)) {
		fprintf(stderr, "rpmem_bench: rpmem_uring_queue_init failed\n");
		rpmem_close(c.rpp);
		return 1;
	}
	printf("# rpmem_bench: target %s export %s pool %zu MiB lanes %u flushes/drain %u\n",
	       argv[optind], argv[optind + 1], c.pool_size >> 20, nlanes, c.flushes);
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]) && !rc; m++) {
		if (!wanted(modelist, modes[m].name))
			continue;
		for (int i = 0; i < nsizes && !rc; i++)
			/* ITERS requests: a batched operation counts as batch requests. */
			rc = run(&c, &modes[m], sizes[i],
				 bench_iters(iters / modes[m].batch(&c), sizes[i] * modes[m].batch(&c),
					     budget, 3));
	}
	io_uring_queue_exit(&c.ring);
	if (rpmem_close(c.rpp)) {
		fprintf(stderr, "rpmem_bench: rpmem_close: %s\n", rpmem_errormsg());
		rc = -1;
	}
	if (rpmem_remove(argv[optind], argv[optind + 1], RPMEM_REMOVE_FORCE)) {
		fprintf(stderr, "rpmem_bench: rpmem_remove: %s\n", rpmem_errormsg());
		rc = -1;
	}
	return rc ? 1 : 0;
usage:
	fprintf(stderr, "usage: rpmem_bench [-n ITERS] [-s SIZES] [-m MODES] [-f FLUSHES] "
		"[-b BUDGET_MIB] [-p POOL_MIB] TARGET EXPORT\n");
	return 2;
}
