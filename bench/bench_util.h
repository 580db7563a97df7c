/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark programs share: a clock, size lists, latency
 * statistics and the one result-line format bench/report parses:
 *
 *   RESULT <workload> <op> <size> <iters> <p50_us> <p99_us> <MB/s>
 *
 * p50/p99 are of per-operation latency (one operation = what <op> names,
 * e.g. one persist, or N flushes and a drain); MB/s is bytes moved by all
 * operations over the loop's wall time (10^6 bytes per second).  A field
 * that does not apply is "-".
 */
#ifndef KPMEM_BENCH_UTIL_H
#define KPMEM_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @lat in place; nearest-rank percentile @pct (0..100). */
static inline double bench_pct(double *lat, size_t n, double pct)
{
	size_t i;

	if (!n)
		return 0;
	qsort(lat, n, sizeof(*lat), bench_cmp_double);
	i = (size_t)(pct / 100.0 * n + 0.999999);
	if (i < 1)
		i = 1;
	return lat[(i > n ? n : i) - 1];
}

/* Parses "8,64,4K,1M" into @sizes (at most @max); returns the count or -1. */
static inline int bench_parse_sizes(const char *arg, size_t *sizes, int max)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	int n = 0;

	for (tok = strtok_r(copy, ",", &save); tok && n < max; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long v = strtoul(tok, &end, 0);

		if (*end == 'K' || *end == 'k')
			v <<= 10, end++;
		else if (*end == 'M' || *end == 'm')
			v <<= 20, end++;
		if (*end || !v) {
			free(copy);
			return -1;
		}
		sizes[n++] = v;
	}
	free(copy);
	return n;
}

/*
 * Iterations for one point: @iters, but no more than @budget bytes moved
 * (large sizes over a slow link), and never fewer than @min.
 */
static inline unsigned int bench_iters(unsigned int iters, size_t size, size_t budget,
				       unsigned int min)
{
	size_t cap = budget / size;

	if (cap < iters)
		iters = (unsigned int)cap;
	return iters < min ? min : iters;
}

/* Prints the RESULT line for @n latencies (sorted here) and @bytes in @total_us. */
static inline void bench_report(const char *workload, const char *op, size_t size, double *lat,
				unsigned int n, double bytes, double total_us)
{
	double p50 = bench_pct(lat, n, 50), p99 = bench_pct(lat, n, 99);

	printf("RESULT %s %s %zu %u %.2f %.2f %.6g\n", workload, op, size, n, p50, p99,
	       total_us > 0 ? bytes / total_us : 0);
	fflush(stdout);
}

#endif /* KPMEM_BENCH_UTIL_H */
