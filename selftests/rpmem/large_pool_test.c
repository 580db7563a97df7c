// SPDX-License-Identifier: GPL-2.0
/*
 * A 1 GiB remote pool on the target's device DAX (more than one MR's
 * worth: the registration is split into segments), and a target addressed
 * by IPv6.  Pair topology, through selftests/rpmem/pair_setup (which makes
 * /dev/dax1.0 of the target's whole NVDIMM: make check gives the pair
 * 1152 MiB).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librpmem.h>

#include "kselftest_harness.h"
#include "../lib/guest_util.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

#define kpmemctl_on_peer(args) \
	run("peer sh -c '\"$KPMEM_BUILD\"/tools/kpmemctl " args "' >/dev/null 2>&1")

static RPMEMpool *create(const char *target, void *mem, size_t size, unsigned int *nlanes)
{
	struct rpmem_pool_attr attr = { .major = 1 };

	memcpy(attr.signature, "BIGPOOL", 8);
	rpmem_remove(target, "big.set", RPMEM_REMOVE_FORCE);
	return rpmem_create(target, "big.set", mem, size, nlanes, &attr);
}

FIXTURE(big) {
	int unused;
};

FIXTURE_SETUP(big)
{
}

FIXTURE_TEARDOWN(big)
{
}

TEST_F_TIMEOUT(big, a_1_gib_pool_persists_and_reads_across_its_segments, 300)
{
	/*
	 * The first data page, across 511 MiB (a 4 KiB-page MR's edge), across
	 * and right after the 2 MiB-page MR's edge (1022 MiB past the header),
	 * and the pool's last bytes.
	 */
	static const uint64_t spots[] = {
		4096, 511 * MiB - 300 * 1024, 1022 * MiB - 512 * 1024, 1022 * MiB + 4096,
		GiB - 512 * 1024,
	};
	static const uint64_t lens[] = { 2 * MiB, 2 * MiB, 2 * MiB, 1 * MiB, 512 * 1024 };
	const char *peer = getenv("KPMEM_VM_PEER_ADDR");
	unsigned int nlanes = 2;
	uint8_t *mem, *back;
	RPMEMpool *rpp;
	size_t i;

	kpmemctl_on_peer("export-remove --force big.set");
	ASSERT_EQ(0, kpmemctl_on_peer("export-add big.set /dev/dax1.0 --size 1088M"))
		TH_LOG("the target's /dev/dax1.0 must hold 1 GiB and more");
	mem = mmap(NULL, GiB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	back = malloc(2 * MiB);
	ASSERT_NE(NULL, back);
	rpp = create(peer, mem, GiB, &nlanes);
	ASSERT_NE(NULL, rpp) TH_LOG("%s", rpmem_errormsg());
	for (i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		for (size_t j = 0; j < lens[i]; j++)
			mem[spots[i] + j] = (uint8_t)(j * 13 + i);
		EXPECT_EQ(0, rpmem_persist(rpp, spots[i], lens[i], i % nlanes, 0))
			TH_LOG("spot %zu: %s", i, rpmem_errormsg());
	}
	/* Beyond the pool by one byte: refused. */
	EXPECT_EQ(-1, rpmem_persist(rpp, GiB - 4096, 4097, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	for (i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		memset(back, 0, 2 * MiB);
		EXPECT_EQ(0, rpmem_read(rpp, back, spots[i], lens[i], 0));
		EXPECT_EQ(0, memcmp(back, mem + spots[i], lens[i])) TH_LOG("spot %zu", i);
	}
	/* On the target's device itself, at the last spot. */
	EXPECT_EQ(0, run("want=$(python3 -c 'import hashlib; "
			 "print(hashlib.sha256(bytes(((j * 13 + 4) & 255) for j in range(512 << 10)))"
			 ".hexdigest())'); "
			 "got=$(peer python3 -c 'import mmap,os,hashlib; "
			 "fd=os.open(\"/dev/dax1.0\", os.O_RDONLY); "
			 "m=mmap.mmap(fd, %llu, mmap.MAP_SHARED, mmap.PROT_READ); "
			 "print(hashlib.sha256(m[%llu:%llu]).hexdigest())'); [ \"$want\" = \"$got\" ]",
			 GiB, GiB - 512 * 1024, GiB));
	EXPECT_EQ(0, rpmem_close(rpp));
	rpmem_remove(peer, "big.set", RPMEM_REMOVE_FORCE);
	kpmemctl_on_peer("export-remove --force big.set");
	free(back);
	munmap(mem, GiB);
}

TEST_F_TIMEOUT(big, a_target_addressed_by_ipv6, 120)
{
	static char mem[4 * MiB] __attribute__((aligned(4096)));
	unsigned int nlanes = 1;
	char back[4096];
	RPMEMpool *rpp;

	/* Both ends get a unique local address (no DAD wait: the link is ours). */
	ASSERT_EQ(0, run("ip -6 addr replace fd77::1/64 dev eth0 nodad"));
	ASSERT_EQ(0, run("peer ip -6 addr replace fd77::2/64 dev eth0 nodad"));
	kpmemctl_on_peer("export-remove --force big.set");
	ASSERT_EQ(0, run("peer sh -c 'rm -f /tmp/v6.img; \"$KPMEM_BUILD\"/tools/kpmemctl "
			 "export-add big.set /tmp/v6.img --size 8M --allow fd77::/64' >/dev/null"));
	/* The rxe device learns new addresses as GIDs shortly after they appear. */
	rpp = NULL;
	for (int i = 0; i < 25 && !rpp; i++) {
		rpp = create("[fd77::2]:7440", mem, sizeof(mem), &nlanes);
		if (!rpp)
			usleep(200 * 1000);
	}
	ASSERT_NE(NULL, rpp) TH_LOG("%s", rpmem_errormsg());
	memset(mem + 4096, 0x66, sizeof(back));
	EXPECT_EQ(0, rpmem_persist(rpp, 4096, sizeof(back), 0, 0));
	EXPECT_EQ(0, rpmem_read(rpp, back, 4096, sizeof(back), 0));
	EXPECT_EQ(0, memcmp(back, mem + 4096, sizeof(back)));
	/* The export's allow list saw an IPv6 peer. */
	EXPECT_EQ(0, run("peer \"$KPMEM_BUILD\"/tools/kpmemctl export-list | grep -q 'fd77::1'"));
	EXPECT_EQ(0, rpmem_close(rpp));
	/* An IPv4 initiator is not in the IPv6 allow list. */
	EXPECT_EQ(NULL, create(getenv("KPMEM_VM_PEER_ADDR"), mem, sizeof(mem), &nlanes));
	EXPECT_EQ(EACCES, errno);
	kpmemctl_on_peer("export-remove --force big.set");
}

TEST_HARNESS_MAIN
