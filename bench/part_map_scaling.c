// SPDX-License-Identifier: GPL-2.0
/*
 * part_map_scaling [N...]: per-operation cost of the module's part-map
 * index as the set grows.  For each N: add N one-page parts of a tmpfs
 * file, look each up, then remove them one by one; print ns/op.  Per-op
 * cost should grow at most logarithmically with N.  Not a test: it asserts
 * nothing about time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "kpmem_device.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int run(int dev, int src, long n, int print)
{
	struct kpmem_set_create create = { 0 };
	uint64_t *addr = calloc(n, sizeof(*addr));
	double t0, t_add, t_lookup, t_remove;
	int set;

	if (!addr)
		return -ENOMEM;
	set = ioctl(dev, KPMEM_IOC_SET_CREATE, &create);
	if (set < 0)
		return -errno;

	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		struct kpmem_part_add req = {
			.source_fd = src, .placement = KPMEM_PLACE_ANYWHERE,
			.offset = (uint64_t)(i % 256) * 4096, .length = 4096,
		};

		if (ioctl(set, KPMEM_SET_IOC_PART_ADD, &req))
			return -errno;
		addr[i] = req.addr;
	}
	t_add = now_ns() - t0;

	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		struct kpmem_pmap_info info = { .addr = addr[(i * 7919) % n] };

		if (ioctl(set, KPMEM_SET_IOC_PMAP_LOOKUP, &info))
			return -errno;
	}
	t_lookup = now_ns() - t0;

	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		struct kpmem_part_remove req = { .addr = addr[(i * 7919) % n], .length = 1 };

		/* 7919 is prime and n is not a multiple of it: every part once. */
		if (ioctl(set, KPMEM_SET_IOC_PART_REMOVE, &req))
			return -errno;
	}
	t_remove = now_ns() - t0;

	if (print) {
		printf("| %6ld | %10.0f | %10.0f | %10.0f |\n", n, t_add / n, t_lookup / n, t_remove / n);
		/* For bench/report: mean per-op cost in the p50 column, in us. */
		printf("RESULT partmap add %ld %ld %.3f - -\n", n, n, t_add / n / 1e3);
		printf("RESULT partmap lookup %ld %ld %.3f - -\n", n, n, t_lookup / n / 1e3);
		printf("RESULT partmap remove %ld %ld %.3f - -\n", n, n, t_remove / n / 1e3);
	}
	close(set);
	free(addr);
	return 0;
}

int main(int argc, char **argv)
{
	static const long defaults[] = { 10, 100, 1000, 10000 };
	char msg[KPMEM_MSG_MAX], path[] = "/tmp/kpmem-scaling.XXXXXX";
	int dev, src, ret;

	dev = kpmem_device_open(KPMEM_DEVICE_PATH, KPMEM_FEAT_PART_MAPS, NULL, msg, sizeof(msg));
	if (dev < 0) {
		fprintf(stderr, "part_map_scaling: %s\n", msg);
		return 1;
	}
	src = mkstemp(path);
	if (src < 0 || ftruncate(src, 256 * 4096)) {
		perror("part_map_scaling: source file");
		return 1;
	}
	unlink(path);

	/* Warm caches and the allocator first, so the first row is not all cold misses. */
	ret = run(dev, src, 100, 0);
	if (ret) {
		fprintf(stderr, "part_map_scaling: warm-up: %s\n", strerror(-ret));
		return 1;
	}
	printf("| parts  | add ns/op  | lookup ns/op | remove ns/op |\n|---|---|---|---|\n");
	for (int i = 1; i < argc || (argc == 1 && i <= 4); i++) {
		long n = argc > 1 ? strtol(argv[i], NULL, 0) : defaults[i - 1];

		ret = run(dev, src, n, 1);
		if (ret) {
			fprintf(stderr, "part_map_scaling: %ld parts: %s\n", n, strerror(-ret));
			return 1;
		}
	}
	return 0;
}
