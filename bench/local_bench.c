// SPDX-License-Identifier: GPL-2.0
/*
 * local_bench [-n ITERS] [-s SIZES] [-b BUDGET_MIB] [-l MAP_MIB] DEVDAX
 *
 * kpmem local: copies into the same device DAX pages, mapped by libpmemset
 * (so by kpmem.ko) and by libpmem2, three ways:
 *   pmemset_memcpy          pmemset_memcpy(flags 0): copy and make durable
 *   pmemset_memcpy_persist  pmemset_memcpy(NOFLUSH) then pmemset_persist
 *   pmem2_memcpy            libpmem2's memcpy, flags 0, on libpmem2's own
 *                           mapping of the same device pages
 * The three modes interleave per size so drift hits each alike, taking
 * turns at going first, after an uncounted warm-up round.  Prints
 * RESULT lines (bench_util.h): per-copy p50/p99 and throughput.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libpmem2.h>
#include <libpmemset.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"

#define MAX_SIZES	32
#define NMODES		3
/*
 * Each mode's iterations, split into interleaved rounds; each mode goes
 * first in as many rounds as the others (the first mode of a round ran
 * measurably slower at 4 KiB, whichever it was).
 */
#define ROUNDS		6

static const char *const mode_names[NMODES] = {
	"pmemset_memcpy", "pmemset_memcpy_persist", "pmem2_memcpy",
};

int main(int argc, char **argv)
{
	size_t sizes[MAX_SIZES], budget = 64 << 20, maplen = 64 << 20;
	int nsizes = bench_parse_sizes("4K,16K,64K,256K,1M", sizes, MAX_SIZES), opt, fd;
	struct pmemset_part_descriptor desc;
	struct pmemset_map_config *mc = NULL;
	struct pmemset_source *src = NULL;
	struct pmemset_config *cfg = NULL;
	struct pmem2_source *p2src = NULL;
	struct pmem2_map *p2map = NULL;
	struct pmem2_config *p2cfg = NULL;
	struct pmemset *set = NULL;
	pmem2_memcpy_fn p2memcpy;
	unsigned int iters = 1000;
	uint8_t *buf, *pmem, *p2pmem;

	while ((opt = getopt(argc, argv, "n:s:b:l:")) != -1) {
		switch (opt) {
		case 'n': iters = atoi(optarg); break;
		case 's': nsizes = bench_parse_sizes(optarg, sizes, MAX_SIZES); break;
		case 'b': budget = strtoul(optarg, NULL, 0) << 20; break;
		case 'l': maplen = strtoul(optarg, NULL, 0) << 20; break;
		default: goto usage;
		}
	}
	if (argc - optind != 1 || nsizes <= 0 || iters < ROUNDS)
		goto usage;

	if (pmemset_config_new(&cfg) ||
	    pmemset_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_CACHE_LINE) ||
	    pmemset_new(&set, cfg) || pmemset_source_from_file(&src, argv[optind]) ||
	    pmemset_map_config_new(&mc) || pmemset_map_config_set_offset(mc, 0)) {
		pmemset_perror("local_bench: pmemset setup");
		return 1;
	}
	pmemset_map_config_set_length(mc, maplen);
	if (pmemset_map(set, src, mc, &desc)) {
		pmemset_perror("local_bench: pmemset_map %s", argv[optind]);
		return 1;
	}
	pmem = desc.addr;

	/*
	 * libpmemset registers its mapping with libpmem2, which refuses a
	 * second registration of the range: pmem2 gets its own mapping of the
	 * same device pages (offset 0, same length).
	 */
	fd = open(argv[optind], O_RDWR);
	if (fd < 0 || pmem2_source_from_fd(&p2src, fd) || pmem2_config_new(&p2cfg) ||
	    pmem2_config_set_required_store_granularity(p2cfg, PMEM2_GRANULARITY_CACHE_LINE) ||
	    pmem2_config_set_length(p2cfg, desc.size) || pmem2_map_new(&p2map, p2cfg, p2src)) {
		pmem2_perror("local_bench: pmem2 mapping of %s", argv[optind]);
		return 1;
	}
	p2memcpy = pmem2_get_memcpy_fn(p2map);
	p2pmem = pmem2_map_get_address(p2map);
	buf = malloc(maplen);
	if (!buf) {
		perror("local_bench");
		return 1;
	}
	memset(buf, 0x3c, maplen);
	/* Fault both mappings in first: the loops measure copies, not faults. */
	for (size_t o = 0; o < desc.size; o += 4096)
		pmem[o] = p2pmem[o] = 0;
	printf("# local_bench: %s, %zu MiB mapped by pmemset at %p, pmem2's own mapping of the same pages\n",
	       argv[optind], desc.size >> 20, desc.addr);

	for (int s = 0; s < nsizes; s++) {
		size_t size = sizes[s], off = 0;
		unsigned int n = bench_iters(iters, size, budget, ROUNDS), per = n / ROUNDS;
		unsigned int k[NMODES] = { 0 };
		double *lat[NMODES], total[NMODES] = { 0 };

		if (size > desc.size) {
			fprintf(stderr, "local_bench: %zu larger than the mapping\n", size);
			return 1;
		}
		for (int m = 0; m < NMODES; m++)
			lat[m] = calloc(n, sizeof(double));
		/*
		 * Round -1 warms up and is not counted: under TCG the first run
		 * of each code path pays for its translation, which would land
		 * on whichever mode happens to go first.
		 */
		for (int r = -1; r < ROUNDS; r++)
			for (int j = 0; j < NMODES; j++) {
				int m = (j + (r > 0 ? r : 0)) % NMODES;
				double t0 = bench_now_us();

				for (unsigned int i = 0; i < per; i++) {
					double t = bench_now_us();
					uint8_t *dst;

					if (off + size > desc.size)
						off = 0;
					dst = (m == 2 ? p2pmem : pmem) + off;
					off += size;
					buf[i % size] ^= 1;
					if (m == 0) {
						pmemset_memcpy(set, dst, buf, size, 0);
					} else if (m == 1) {
						pmemset_memcpy(set, dst, buf, size, PMEMSET_F_MEM_NOFLUSH);
						if (pmemset_persist(set, dst, size)) {
							pmemset_perror("local_bench: persist");
							return 1;
						}
					} else {
						p2memcpy(dst, buf, size, 0);
					}
					if (r >= 0)
						lat[m][k[m]++] = bench_now_us() - t;
				}
				if (r >= 0)
					total[m] += bench_now_us() - t0;
			}
		for (int m = 0; m < NMODES; m++) {
			bench_report("local", mode_names[m], size, lat[m], k[m],
				     (double)size * k[m], total[m]);
			free(lat[m]);
		}
	}
	pmem2_map_delete(&p2map);
	pmem2_config_delete(&p2cfg);
	pmem2_source_delete(&p2src);
	close(fd);
	pmemset_map_config_delete(&mc);
	pmemset_delete(&set);
	pmemset_source_delete(&src);
	pmemset_config_delete(&cfg);
	free(buf);
	return 0;
usage:
	fprintf(stderr, "usage: local_bench [-n ITERS] [-s SIZES] [-b BUDGET_MIB] [-l MAP_MIB] DEVDAX\n");
	return 2;
}
