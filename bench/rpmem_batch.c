// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem_batch: remote persists per second, the synchronous rpmem_persist()
 * loop against io_uring batches (rpmem_uring.h) of 1, 8 and 64, and
 * rpmem_flush() x N + rpmem_drain(), for a few sizes.  Runs on the
 * initiator of a pair whose target exports EXPORT (default remote.set).
 *
 * usage: rpmem_batch TARGET [SECONDS_PER_CASE] [SIZES...]
 * Prints a markdown table; the ratio column is against the sync loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <librpmem.h>
#include <rpmem_uring.h>

#define POOL_SIZE (64UL << 20)
#define HDR 4096UL

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Offsets walk the pool so that no two persists in flight touch one page. */
static size_t slot(size_t i, size_t size)
{
	size_t stride = size < 4096 ? 4096 : size;

	return HDR + (i * stride) % (POOL_SIZE - HDR - stride);
}

static double run_sync(RPMEMpool *rpp, size_t size, double secs)
{
	double t0 = now(), t;
	size_t n = 0;

	do {
		if (rpmem_persist(rpp, slot(n, size), size, 0, 0)) {
			fprintf(stderr, "rpmem_persist: %s\n", rpmem_errormsg());
			exit(1);
		}
		n++;
		t = now();
	} while (t - t0 < secs);
	return n / (t - t0);
}

static double run_uring(RPMEMpool *rpp, struct io_uring *ring, size_t size, unsigned batch,
			double secs)
{
	struct io_uring_cqe *cqe;
	double t0 = now(), t;
	size_t n = 0;
	unsigned i;

	do {
		for (i = 0; i < batch; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

			if (!sqe)
				abort();
			rpmem_prep_persist(sqe, rpp, slot(n + i, size), size, 0, 0);
		}
		if (io_uring_submit_and_wait(ring, batch) < 0)
			abort();
		for (i = 0; i < batch; i++) {
			if (io_uring_wait_cqe(ring, &cqe))
				abort();
			if (cqe->res) {
				fprintf(stderr, "persist CQE: %s\n", strerror(-cqe->res));
				exit(1);
			}
			io_uring_cqe_seen(ring, cqe);
		}
		n += batch;
		t = now();
	} while (t - t0 < secs);
	return n / (t - t0);
}

static double run_flush_drain(RPMEMpool *rpp, size_t size, unsigned batch, double secs)
{
	double t0 = now(), t;
	size_t n = 0;
	unsigned i;

	do {
		for (i = 0; i < batch; i++)
			if (rpmem_flush(rpp, slot(n + i, size), size, 0, 0))
				exit(1);
		if (rpmem_drain(rpp, 0, 0))
			exit(1);
		n += batch;
		t = now();
	} while (t - t0 < secs);
	return n / (t - t0);
}

int main(int argc, char **argv)
{
	static const size_t default_sizes[] = { 64, 4096 };
	const char *export = getenv("EXPORT") ?: "remote.set";
	double secs = argc > 2 ? atof(argv[2]) : 3;
	struct rpmem_pool_attr attr = { .major = 1 };
	struct io_uring ring;
	unsigned nlanes = 1, b;
	RPMEMpool *rpp;
	void *pool;
	int i, nsizes = argc > 3 ? argc - 3 : 2;

	if (argc < 2) {
		fprintf(stderr, "usage: %s TARGET [SECONDS_PER_CASE] [SIZES...]\n", argv[0]);
		return 2;
	}
	pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pool == MAP_FAILED)
		return 1;
	memset(pool, 0x42, POOL_SIZE);
	memcpy(attr.signature, "BENCH", 6);
	rpmem_remove(argv[1], export, RPMEM_REMOVE_FORCE);
	rpp = rpmem_create(argv[1], export, pool, POOL_SIZE, &nlanes, &attr);
	if (!rpp) {
		fprintf(stderr, "rpmem_create: %s\n", rpmem_errormsg());
		return 1;
	}
	if (rpmem_uring_queue_init(64, &ring, 0))
		return 1;

	printf("| size | sync rpmem_persist/s | uring batch 1 /s | batch 8 /s | batch 64 /s | "
	       "flush x64 + drain /s | batch 64 / sync |\n");
	printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (i = 0; i < nsizes; i++) {
		size_t size = argc > 3 ? strtoul(argv[3 + i], NULL, 0) : default_sizes[i];
		double sync = run_sync(rpp, size, secs), u[3], fd;
		static const unsigned batches[] = { 1, 8, 64 };

		for (b = 0; b < 3; b++)
			u[b] = run_uring(rpp, &ring, size, batches[b], secs);
		fd = run_flush_drain(rpp, size, 64, secs);
		printf("| %zu | %.0f | %.0f | %.0f | %.0f | %.0f | %.1fx |\n", size, sync, u[0], u[1],
		       u[2], fd, u[2] / sync);
		fflush(stdout);
	}
	io_uring_queue_exit(&ring);
	rpmem_close(rpp);
	rpmem_remove(argv[1], export, RPMEM_REMOVE_FORCE);
	return 0;
}
