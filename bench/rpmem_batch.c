// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem_batch: remote persists per second, the synchronous rpmem_persist()
 * loop against io_uring batches (rpmem_uring.h) of 1, 8 and 64, and
 * rpmem_flush() x N + rpmem_drain(), for a few sizes.  Runs on the
 * initiator of a pair whose target exports EXPORT (default remote.set).
 *
 * usage: rpmem_batch TARGET [SECONDS_PER_CASE] [SIZES...]
 * Prints a RESULT line per case for bench/report (persists counted, MB/s
 * of persisted bytes) and a markdown table whose ratio column is against
 * the sync loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <librpmem.h>
#include <rpmem_uring.h>

/* Fits bench/guest-remote.sh's 40 MiB export. */
#define POOL_SIZE (32UL << 20)
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

/* Each case returns persists per second and counts them in *count. */
static double run_sync(RPMEMpool *rpp, size_t size, double secs, size_t *count)
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
	*count = n;
	return n / (t - t0);
}

static double run_uring(RPMEMpool *rpp, struct io_uring *ring, size_t size, unsigned batch,
			double secs, size_t *count)
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
	*count = n;
	return n / (t - t0);
}

static double run_flush_drain(RPMEMpool *rpp, size_t size, unsigned batch, double secs,
			      size_t *count)
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
	*count = n;
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
	struct row {
		size_t size;
		double rate[5];
	} *rows;

	if (argc < 2) {
		fprintf(stderr, "usage: %s TARGET [SECONDS_PER_CASE] [SIZES...]\n", argv[0]);
		return 2;
	}
	rows = calloc(nsizes, sizeof(*rows));
	if (!rows)
		return 1;
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

	for (i = 0; i < nsizes; i++) {
		static const unsigned int batches[] = { 1, 8, 64 };
		static const char *const names[] = { "uring_b1", "uring_b8", "uring_b64" };
		size_t size = argc > 3 ? strtoul(argv[3 + i], NULL, 0) : default_sizes[i];
		size_t n[5];
		double rate[5];

		if (!size || size > POOL_SIZE / 128) {
			fprintf(stderr, "size %zu: not in [1, %lu]\n", size, POOL_SIZE / 128);
			return 2;
		}
		rate[0] = run_sync(rpp, size, secs, &n[0]);
		for (b = 0; b < 3; b++)
			rate[1 + b] = run_uring(rpp, &ring, size, batches[b], secs, &n[1 + b]);
		rate[4] = run_flush_drain(rpp, size, 64, secs, &n[4]);
		printf("RESULT kpmem batch_sync %zu %zu - - %.4f\n", size, n[0], rate[0] * size / 1e6);
		for (b = 0; b < 3; b++)
			printf("RESULT kpmem batch_%s %zu %zu - - %.4f\n", names[b], size, n[1 + b],
			       rate[1 + b] * size / 1e6);
		printf("RESULT kpmem batch_flush64_drain %zu %zu - - %.4f\n", size, n[4],
		       rate[4] * size / 1e6);
		rows[i] = (struct row){ size, { rate[0], rate[1], rate[2], rate[3], rate[4] } };
		fflush(stdout);
	}
	printf("| size | sync rpmem_persist/s | uring batch 1 /s | batch 8 /s | batch 64 /s | "
	       "flush x64 + drain /s | batch 64 / sync |\n");
	printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (i = 0; i < nsizes; i++)
		printf("| %zu | %.0f | %.0f | %.0f | %.0f | %.0f | %.1fx |\n", rows[i].size,
		       rows[i].rate[0], rows[i].rate[1], rows[i].rate[2], rows[i].rate[3],
		       rows[i].rate[4], rows[i].rate[3] / rows[i].rate[0]);
	io_uring_queue_exit(&ring);
	rpmem_close(rpp);
	rpmem_remove(argv[1], export, RPMEM_REMOVE_FORCE);
	free(rows);
	return 0;
}
