// SPDX-License-Identifier: BSD-3-Clause
/*
 * replicate TARGET EXPORT [RECORDS]
 *
 * An application's view of kpmem: keep a log of fixed-size records in
 * local memory and make each one durable on a remote node with
 * rpmem_persist() before counting it as written.  Prints what it did and
 * the persist latency and throughput it saw; the caller then checks the
 * target's copy (make demo does).
 */
#include <errno.h>
#include <librpmem.h>
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

int main(int argc, char **argv)
{
	struct rpmem_pool_attr attr = { .major = 1 };
	unsigned int nlanes = 1, records = argc > 3 ? atoi(argv[3]) : 1000;
	double *lat, t0, total;
	struct record *log;
	RPMEMpool *rpp;
	uint8_t *pool;

	if (argc < 3 || records == 0 ||
	    records > (POOL_SIZE - HDR_SIZE) / sizeof(struct record)) {
		fprintf(stderr, "usage: replicate TARGET EXPORT [RECORDS (1..%lu)]\n",
			(POOL_SIZE - HDR_SIZE) / sizeof(struct record));
		return 2;
	}
	pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	lat = calloc(records, sizeof(*lat));
	if (pool == MAP_FAILED || !lat) {
		perror("replicate");
		return 1;
	}
	memcpy(attr.signature, "KPMEMLOG", 8);

	rpp = rpmem_create(argv[1], argv[2], pool, POOL_SIZE, &nlanes, &attr);
	if (!rpp) {
		fprintf(stderr, "replicate: %s\n", rpmem_errormsg());
		return 1;
	}
	log = (struct record *)(pool + HDR_SIZE);
	t0 = now_us();
	for (unsigned int i = 0; i < records; i++) {
		struct record *r = &log[i];
		double s = now_us();

		r->seq = i + 1;
		snprintf(r->text, sizeof(r->text), "record %u, replicated by kpmem", i + 1);
		r->checksum = r->seq * 0x9e3779b97f4a7c15ULL ^ strlen(r->text);
		if (rpmem_persist(rpp, HDR_SIZE + (size_t)i * sizeof(*r), sizeof(*r), 0, 0)) {
			fprintf(stderr, "replicate: record %u: %s\n", i + 1, rpmem_errormsg());
			return 1;
		}
		lat[i] = now_us() - s;
	}
	total = now_us() - t0;
	if (rpmem_close(rpp)) {
		fprintf(stderr, "replicate: close: %s\n", rpmem_errormsg());
		return 1;
	}

	qsort(lat, records, sizeof(*lat), cmp_double);
	printf("records persisted: %u x %d bytes = %u bytes to %s:%s\n", records, RECORD_SIZE,
	       records * RECORD_SIZE, argv[1], argv[2]);
	printf("persist latency: p50 %.0f us, p99 %.0f us; throughput %.1f records/s, %.2f MB/s\n",
	       lat[records / 2], lat[records * 99 / 100], records / (total / 1e6),
	       records * RECORD_SIZE / total);
	return 0;
}
