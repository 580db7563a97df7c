// SPDX-License-Identifier: GPL-2.0
/*
 * Built by deb_pair.sh inside the guest against the installed packages
 * (pkg-config librpmem libpmemset): creates a pool in a target's export
 * through the installed librpmem, persists, flushes and drains, reads back
 * and reopens, and writes what the target's export must now hold at pool
 * offset 4096 to EXPECTED, for the test to compare on the target.
 *
 * usage: replicate_check TARGET EXPORT EXPECTED
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <libpmemset.h>
#include <librpmem.h>

#define POOL_SIZE	(16u << 20)
#define DATA_OFF	4096u
#define DATA_LEN	(64u << 10)
#define FLUSH_OFF	(1u << 20)

static int fail(const char *what)
{
	fprintf(stderr, "replicate_check: %s: %s\n", what, rpmem_errormsg());
	return 1;
}

int main(int argc, char **argv)
{
	struct rpmem_pool_attr attr = { .major = 1 }, got;
	struct pmemset_config *cfg;
	unsigned int nlanes = 4;
	const char *msg;
	unsigned char *pool, *back;
	RPMEMpool *rpp;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: replicate_check TARGET EXPORT EXPECTED\n");
		return 2;
	}
	msg = rpmem_check_version(RPMEM_MAJOR_VERSION, RPMEM_MINOR_VERSION);
	if (msg) {
		fprintf(stderr, "replicate_check: %s\n", msg);
		return 1;
	}
	/* libpmemset links and runs too (no module needed for a config). */
	if (pmemset_config_new(&cfg) || pmemset_config_delete(&cfg)) {
		fprintf(stderr, "replicate_check: libpmemset: %s\n", pmemset_errormsg());
		return 1;
	}

	pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	back = malloc(DATA_LEN);
	if (pool == MAP_FAILED || !back)
		return 1;
	memcpy(attr.signature, "PKGTEST", 8);
	rpp = rpmem_create(argv[1], argv[2], pool, POOL_SIZE, &nlanes, &attr);
	if (!rpp)
		return fail("rpmem_create");
	for (unsigned int i = 0; i < DATA_LEN; i++)
		pool[DATA_OFF + i] = (unsigned char)(i * 7 + 3);
	if (rpmem_persist(rpp, DATA_OFF, DATA_LEN, 0, 0))
		return fail("rpmem_persist");
	memset(pool + FLUSH_OFF, 0x5a, 4096);
	if (rpmem_flush(rpp, FLUSH_OFF, 4096, nlanes - 1, 0) || rpmem_drain(rpp, nlanes - 1, 0))
		return fail("rpmem_flush/rpmem_drain");
	if (rpmem_read(rpp, back, DATA_OFF, DATA_LEN, 0))
		return fail("rpmem_read");
	if (memcmp(back, pool + DATA_OFF, DATA_LEN)) {
		fprintf(stderr, "replicate_check: what rpmem_read returned differs from what was persisted\n");
		return 1;
	}
	if (rpmem_close(rpp))
		return fail("rpmem_close");

	rpp = rpmem_open(argv[1], argv[2], pool, POOL_SIZE, &nlanes, &got);
	if (!rpp)
		return fail("rpmem_open");
	if (memcmp(got.signature, "PKGTEST", 8) || got.major != 1) {
		fprintf(stderr, "replicate_check: the pool's attributes did not survive a reopen\n");
		return 1;
	}
	if (rpmem_close(rpp))
		return fail("rpmem_close");

	f = fopen(argv[3], "w");
	if (!f || fwrite(pool + DATA_OFF, 1, DATA_LEN, f) != DATA_LEN || fclose(f))
		return 1;
	printf("replicated %u + 4096 bytes over %u lanes\n", DATA_LEN, nlanes);
	return 0;
}
