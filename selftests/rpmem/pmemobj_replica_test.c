// SPDX-License-Identifier: GPL-2.0
/*
 * The real client: Debian's unmodified libpmemobj with a pool set whose
 * REPLICA is a kpmem target.  libpmemobj dlopen()s librpmem.so.1 (ours, by
 * this program's RPATH), creates the pool, runs transactions, closes and
 * reopens it, and the target's export ends up identical to the local pool
 * (compared on the target, outside the ranges libpmemobj keeps per replica).
 * Runs on the initiator of a pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <libpmemobj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define POOL_MB 16
#define NRECORDS 64

struct record {
	uint64_t seq;
	char text[120];
};

struct root {
	uint64_t count;
	struct record records[NRECORDS];
};

static int run(const char *cmd)
{
	int ret = system(cmd);

	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

FIXTURE(replica) {
	char set[64];
	char part[64];
};

FIXTURE_SETUP(replica)
{
	char cmd[512];
	FILE *f;

	snprintf(self->set, sizeof(self->set), "/tmp/replicated.set");
	snprintf(self->part, sizeof(self->part), "/tmp/replicated.part");
	unlink(self->part);
	f = fopen(self->set, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "PMEMPOOLSET\n%dM %s\nREPLICA %s remote.set\n", POOL_MB, self->part,
		getenv("KPMEM_VM_PEER_ADDR"));
	fclose(f);
	/* The replica needs the pool's size; the export is a little larger. */
	snprintf(cmd, sizeof(cmd), "peer sh -c 'rm -f /tmp/replica.img; %s/tools/kpmemctl export-add remote.set /tmp/replica.img --size %dM'",
		 getenv("KPMEM_BUILD"), POOL_MB + 1);
	ASSERT_EQ(0, run(cmd));
}

FIXTURE_TEARDOWN(replica)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "peer %s/tools/kpmemctl export-remove --force remote.set",
		 getenv("KPMEM_BUILD"));
	run(cmd);
	if (!getenv("KPMEM_KEEP"))
		unlink(self->part);
	unlink(self->set);
}

TEST_F_TIMEOUT(replica, pmemobj_pool_with_kpmem_replica_round_trips, 600)
{
	PMEMobjpool *pop;
	struct root *root;
	char cmd[1536];
	PMEMoid oid;

	pop = pmemobj_create(self->set, "kpmem", 0, 0600);
	ASSERT_NE(NULL, pop) TH_LOG("pmemobj_create: %s", pmemobj_errormsg());
	root = pmemobj_direct(pmemobj_root(pop, sizeof(*root)));
	ASSERT_NE(NULL, root);
	for (int i = 0; i < NRECORDS; i++) {
		TX_BEGIN(pop) {
			pmemobj_tx_add_range_direct(&root->records[i], sizeof(root->records[i]));
			pmemobj_tx_add_range_direct(&root->count, sizeof(root->count));
			root->records[i].seq = i + 1;
			snprintf(root->records[i].text, sizeof(root->records[i].text),
				 "record %d replicated through kpmem", i);
			root->count = i + 1;
		} TX_ONABORT {
			ASSERT_TRUE(0) TH_LOG("transaction %d aborted: %s", i, pmemobj_errormsg());
		} TX_END
	}
	pmemobj_close(pop);

	/* Reopen: the pool opens, with its remote replica, and holds the data. */
	pop = pmemobj_open(self->set, "kpmem");
	ASSERT_NE(NULL, pop) TH_LOG("pmemobj_open: %s", pmemobj_errormsg());
	oid = pmemobj_root(pop, sizeof(*root));
	root = pmemobj_direct(oid);
	ASSERT_EQ((uint64_t)NRECORDS, root->count);
	for (int i = 0; i < NRECORDS; i++)
		ASSERT_EQ((uint64_t)i + 1, root->records[i].seq);
	pmemobj_close(pop);

	/*
	 * On the target, the replica holds the root object with every
	 * committed record, at the same offset as the local pool.
	 */
	snprintf(cmd, sizeof(cmd),
		 "peer python3 -c 'import struct, sys; "
		 "d = open(\"/tmp/replica.img\", \"rb\").read(); o = %llu; "
		 "n = struct.unpack_from(\"<Q\", d, o)[0]; "
		 "bad = [i for i in range(%d) if struct.unpack_from(\"<Q\", d, o + 8 + i * %zu)[0] != i + 1 or "
		 "d[o + 16 + i * %zu:o + 16 + i * %zu + 40].split(b\"\\0\")[0] != b\"record %%d replicated through kpmem\" %% i]; "
		 "print(\"replica: count\", n, \"bad records\", bad); sys.exit(0 if n == %d and not bad else 1)'",
		 (unsigned long long)oid.off, NRECORDS, sizeof(struct record), sizeof(struct record),
		 sizeof(struct record), NRECORDS);
	ASSERT_EQ(0, run(cmd));

	/*
	 * And the whole replica is the local pool: the target compares its
	 * export with a copy of the local part file (through the pair's shared
	 * directory), byte for byte except for the few ranges libpmemobj never
	 * replicates -- the per-replica pool header, the run-time half of the
	 * pool descriptor, chunk footers and volatile allocator records in free
	 * chunks; pmemobj_replica_cmp.py documents each.  Anything else that
	 * differs is a persist the replica lost.
	 */
	ASSERT_NE(NULL, getenv("KPMEM_VM_SHARED"));
	snprintf(cmd, sizeof(cmd), "cp %s %s/pmemobj-local.part", self->part,
		 getenv("KPMEM_VM_SHARED"));
	ASSERT_EQ(0, run(cmd));
	snprintf(cmd, sizeof(cmd),
		 "peer python3 %s/selftests/rpmem/pmemobj_replica_cmp.py %s/pmemobj-local.part /tmp/replica.img",
		 getenv("KPMEM_TOP"), getenv("KPMEM_VM_SHARED"));
	ASSERT_EQ(0, run(cmd));
	snprintf(cmd, sizeof(cmd), "rm -f %s/pmemobj-local.part", getenv("KPMEM_VM_SHARED"));
	run(cmd);
	snprintf(cmd, sizeof(cmd), "peer %s/tools/kpmemctl export-list", getenv("KPMEM_BUILD"));
	run(cmd);
}

TEST_HARNESS_MAIN
