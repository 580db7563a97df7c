// SPDX-License-Identifier: BSD-3-Clause
/*
 * replicate TARGET EXPORT [RECORDS [BATCH]]
 *
 * An application's view of kpmem: keep a log of fixed-size records in
 * local memory and make each one durable on a remote node before counting
 * it as written.  The first quarter of the records goes one at a time
 * through rpmem_persist(); the rest in batches of BATCH (default 32)
 * persists on the application's own io_uring (rpmem_uring.h), one
 * submission per batch, each record counted when its CQE arrives.  Prints
 * what it did and the latency and throughput of both; the caller then
 * checks the target's copy (make demo does).
 */
#include <errno.h>
#include <librpmem.h>
#include <rpmem_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define POOL_SIZE	(16UL << 20)
#define RECORD_SIZE	256
#define HDR_SIZE	4096

struct record {
	uint64_t seq;
	uint64_t checksum;
	char text[RECORD_SIZE - 16];
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct record *write_record(uint8_t *pool, unsigned int i)
{
	struct record *r = (struct record *)(pool + HDR_SIZE) + i;

	r->seq = i + 1;
	snprintf(r->text, sizeof(r->text), "record %u, replicated by kpmem", i + 1);
	r->checksum = r->seq * 0x9e3779b97f4a7c15ULL ^ strlen(r->text);
	return r;
}

static size_t record_offset(unsigned int i)
{
	return HDR_SIZE + (size_t)i * sizeof(struct record);
}

/* Records [from, to) one rpmem_persist() each; lat[i]: record i's. */
static int persist_sync(RPMEMpool *rpp, uint8_t *pool, unsigned int from, unsigned int to,
			double *lat)
{
	for (unsigned int i = from; i < to; i++) {
		double s = now_us();

		write_record(pool, i);
		if (rpmem_persist(rpp, record_offset(i), sizeof(struct record), 0, 0)) {
			fprintf(stderr, "replicate: record %u: %s\n", i + 1, rpmem_errormsg());
			return -1;
		}
		lat[i] = now_us() - s;
	}
	return 0;
}

/*
 * Records [from, to) in batches of @batch persists, one io_uring_enter per
 * batch; lat[i]: from the batch's submission to record i's CQE.
 */
static int persist_batched(RPMEMpool *rpp, struct io_uring *ring, uint8_t *pool,
			   unsigned int from, unsigned int to, unsigned int batch, double *lat)
{
	for (unsigned int first = from; first < to; first += batch) {
		unsigned int n = to - first < batch ? to - first : batch, i;
		struct io_uring_cqe *cqe;
		double s;
		int ret;

		for (i = first; i < first + n; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

			if (!sqe)
				return -1;
			write_record(pool, i);
			rpmem_prep_persist(sqe, rpp, record_offset(i), sizeof(struct record), 0, 0);
			io_uring_sqe_set_data64(sqe, i);
		}
		s = now_us();
		ret = io_uring_submit(ring);
		if (ret != (int)n) {
			fprintf(stderr, "replicate: io_uring_submit: %s\n",
				strerror(ret < 0 ? -ret : EIO));
			return -1;
		}
		for (i = 0; i < n; i++) {
			ret = io_uring_wait_cqe(ring, &cqe);
			if (ret) {
				fprintf(stderr, "replicate: io_uring_wait_cqe: %s\n", strerror(-ret));
				return -1;
			}
			if (cqe->res) {
				fprintf(stderr, "replicate: record %llu: %s\n",
					(unsigned long long)cqe->user_data + 1, strerror(-cqe->res));
				return -1;
			}
			lat[cqe->user_data] = now_us() - s;
			io_uring_cqe_seen(ring, cqe);
		}
	}
	return 0;
}

static void summary(const char *how, double *lat, unsigned int n, double total_us)
{
	if (!n)
		return;
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("%s: %u records, latency p50 %.0f us, p99 %.0f us; %.1f records/s, %.2f MB/s\n",
	       how, n, lat[n / 2], lat[n * 99 / 100], n / (total_us / 1e6),
	       n * (double)sizeof(struct record) / total_us);
}

int main(int argc, char **argv)
{
	struct rpmem_pool_attr attr = { .major = 1 };
	unsigned int nlanes = 1, records = argc > 3 ? atoi(argv[3]) : 1000;
	unsigned int batch = argc > 4 ? atoi(argv[4]) : 32, nsync;
	double *lat, t0, t_sync, t_batched;
	struct io_uring ring;
	char how[64];
	RPMEMpool *rpp;
	uint8_t *pool;
	int ret;

	if (argc < 3 || records == 0 ||
	    records > (POOL_SIZE - HDR_SIZE) / sizeof(struct record) || batch == 0 || batch > 256) {
		fprintf(stderr, "usage: replicate TARGET EXPORT [RECORDS (1..%lu) [BATCH (1..256)]]\n",
			(POOL_SIZE - HDR_SIZE) / sizeof(struct record));
		return 2;
	}
	nsync = (records + 3) / 4;
	pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	lat = calloc(records, sizeof(*lat));
	if (pool == MAP_FAILED || !lat) {
		perror("replicate");
		return 1;
	}
	ret = rpmem_uring_queue_init(batch, &ring, 0);
	if (ret) {
		fprintf(stderr, "replicate: io_uring: %s\n", strerror(-ret));
		return 1;
	}
	memcpy(attr.signature, "KPMEMLOG", 8);

	rpp = rpmem_create(argv[1], argv[2], pool, POOL_SIZE, &nlanes, &attr);
	if (!rpp) {
		fprintf(stderr, "replicate: %s\n", rpmem_errormsg());
		return 1;
	}
	t0 = now_us();
	if (persist_sync(rpp, pool, 0, nsync, lat))
		return 1;
	t_sync = now_us() - t0;
	t0 = now_us();
	if (persist_batched(rpp, &ring, pool, nsync, records, batch, lat))
		return 1;
	t_batched = now_us() - t0;
	io_uring_queue_exit(&ring);
	if (rpmem_close(rpp)) {
		fprintf(stderr, "replicate: close: %s\n", rpmem_errormsg());
		return 1;
	}

	printf("records persisted: %u x %d bytes = %u bytes to %s:%s\n", records, RECORD_SIZE,
	       records * RECORD_SIZE, argv[1], argv[2]);
	summary("rpmem_persist, one at a time", lat, nsync, t_sync);
	snprintf(how, sizeof(how), "io_uring, %u persists per submission", batch);
	summary(how, lat + nsync, records - nsync, t_batched);
	return 0;
}
