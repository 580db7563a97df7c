// SPDX-License-Identifier: GPL-2.0
/*
 * The real client: Debian's unmodified libpmemobj with a pool set whose
 * REPLICA is a kpmem target.  libpmemobj dlopen()s librpmem.so.1 (ours, by
 * this program's RPATH), creates the pool, runs transactions, closes and
 * reopens it, and the target's export ends up identical to the local pool
 * (compared on the target, outside the ranges libpmemobj keeps per replica).
 * The target's copy is a PMDK pool part: Debian's pmempool on the target
 * reads the pool header the initiator's libpmemobj wrote for the replica,
 * and after the recovery steps of lib/rpmem/README.md ("Recovering from the
 * target's copy") a libpmemobj program on the target (pmemobj_replica_read)
 * opens it and finds the root object and every record.
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
#include "pmemobj_replica.h"

static int run(const char *cmd)
{
	int ret = system(cmd);

	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

/* Run @cmd, keep its output; return its wait status. */
static int output_of(const char *cmd, char *out, size_t len)
{
	size_t n = 0;
	FILE *f = popen(cmd, "r");

	if (!f)
		return -1;
	while (n + 1 < len && !feof(f))
		n += fread(out + n, 1, len - 1 - n, f);
	out[n] = '\0';
	return pclose(f);
}

/* The value pmempool info printed for @name ("" if none). */
static const char *field(const char *out, const char *name)
{
	static char val[128];
	size_t flen = strlen(name);

	val[0] = '\0';
	for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *c = strchr(l, ':');

		if (strncmp(l, name, flen) || l[flen] != ' ' || !c)
			continue;
		snprintf(val, sizeof(val), "%.*s", (int)strcspn(c + 2, "\n"), c + 2);
		break;
	}
	return val;
}

/* A uuid of a pool header as pmempool info prints it (util_uuid_to_string()). */
static const char *uuid_at(const unsigned char *hdr, size_t off, char *out)
{
	const unsigned char *u = hdr + off;

	sprintf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6], u[8], u[9], u[10], u[11], u[12],
		u[13], u[14], u[15]);
	return out;
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

	pop = pmemobj_create(self->set, LAYOUT, 0, 0600);
	ASSERT_NE(NULL, pop) TH_LOG("pmemobj_create: %s", pmemobj_errormsg());
	root = pmemobj_direct(pmemobj_root(pop, sizeof(*root)));
	ASSERT_NE(NULL, root);
	for (int i = 0; i < NRECORDS; i++) {
		TX_BEGIN(pop) {
			pmemobj_tx_add_range_direct(&root->records[i], sizeof(root->records[i]));
			pmemobj_tx_add_range_direct(&root->count, sizeof(root->count));
			root->records[i].seq = i + 1;
			snprintf(root->records[i].text, sizeof(root->records[i].text),
				 RECORD_TEXT, i);
			root->count = i + 1;
		} TX_ONABORT {
			ASSERT_TRUE(0) TH_LOG("transaction %d aborted: %s", i, pmemobj_errormsg());
		} TX_END
	}
	pmemobj_close(pop);

	/* Reopen: the pool opens, with its remote replica, and holds the data. */
	pop = pmemobj_open(self->set, LAYOUT);
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

/*
 * The primary is lost; the target's copy is what is left.  Its header is
 * the one the initiator's libpmemobj created for the replica (pmempool
 * info on the export's file), and the recovery steps of lib/rpmem/README.md
 * turn it into a pool that libpmemobj opens on the target.
 */
TEST_F_TIMEOUT(replica, target_copy_is_a_pmdk_pool_after_recovery, 600)
{
	char cmd[1024], out[8192], u[40];
	unsigned char local[4096];
	PMEMobjpool *pop;
	struct root *root;
	FILE *f;

	pop = pmemobj_create(self->set, LAYOUT, 0, 0600);
	ASSERT_NE(NULL, pop) TH_LOG("pmemobj_create: %s", pmemobj_errormsg());
	root = pmemobj_direct(pmemobj_root(pop, sizeof(*root)));
	ASSERT_NE(NULL, root);
	for (int i = 0; i < NRECORDS; i++) {
		TX_BEGIN(pop) {
			pmemobj_tx_add_range_direct(&root->records[i], sizeof(root->records[i]));
			pmemobj_tx_add_range_direct(&root->count, sizeof(root->count));
			root->records[i].seq = i + 1;
			snprintf(root->records[i].text, sizeof(root->records[i].text),
				 RECORD_TEXT, i);
			root->count = i + 1;
		} TX_ONABORT {
			ASSERT_TRUE(0) TH_LOG("transaction %d aborted: %s", i, pmemobj_errormsg());
		} TX_END
	}
	pmemobj_close(pop);
	f = fopen(self->part, "rb");
	ASSERT_NE(NULL, f);
	ASSERT_EQ((size_t)1, fread(local, sizeof(local), 1, f));
	fclose(f);

	/* Nothing writes the copy any more. */
	snprintf(cmd, sizeof(cmd), "peer %s/tools/kpmemctl export-remove remote.set",
		 getenv("KPMEM_BUILD"));
	ASSERT_EQ(0, run(cmd));

	/*
	 * The header: the pool set's, the replica's own uuid (the local
	 * header's next replica), linked back to the local part.
	 */
	ASSERT_EQ(0, output_of("peer pmempool info /tmp/replica.img", out, sizeof(out)));
	TH_LOG("target: pmempool info /tmp/replica.img\n%s", out);
	EXPECT_EQ(0, strncmp(field(out, "Signature"), "PMEMOBJ", 7));
	EXPECT_STREQ("6", field(out, "Major"));
	EXPECT_STREQ(uuid_at(local, 24, u), field(out, "Pool set UUID"));
	EXPECT_STREQ(uuid_at(local, 104, u), field(out, "UUID"));
	EXPECT_STREQ(uuid_at(local, 104, u), field(out, "Previous part UUID"));
	EXPECT_STREQ(uuid_at(local, 104, u), field(out, "Next part UUID"));
	EXPECT_STREQ(uuid_at(local, 40, u), field(out, "Previous replica UUID"));
	EXPECT_STREQ(uuid_at(local, 40, u), field(out, "Next replica UUID"));
	EXPECT_NE(NULL, strstr(field(out, "Checksum"), "[OK]"));

	/* Recovery (lib/rpmem/README.md), on the target. */
	snprintf(cmd, sizeof(cmd),
		 "peer sh -c 'rm -f /tmp/lost-primary.part; "
		 "printf \"PMEMPOOLSET\\n%dM /tmp/replica.img\\nREPLICA\\n%dM /tmp/lost-primary.part\\n\" > /tmp/recover.set && "
		 "printf \"PMEMPOOLSET\\n%dM /tmp/replica.img\\n\" > /tmp/copy.set && "
		 "pmempool sync -v /tmp/recover.set && pmempool transform -v /tmp/recover.set /tmp/copy.set'",
		 POOL_MB + 1, POOL_MB + 1, POOL_MB + 1);
	ASSERT_EQ(0, run(cmd));
	ASSERT_EQ(0, output_of("peer pmempool info /tmp/copy.set", out, sizeof(out)));
	TH_LOG("target: pmempool info /tmp/copy.set\n%s", out);
	EXPECT_STREQ(uuid_at(local, 24, u), field(out, "Pool set UUID"));
	EXPECT_STREQ(uuid_at(local, 104, u), field(out, "UUID"));
	EXPECT_STREQ("kpmem", field(out, "Layout"));
	snprintf(cmd, sizeof(cmd), "peer %s/selftests/rpmem/pmemobj_replica_read /tmp/copy.set",
		 getenv("KPMEM_BUILD"));
	EXPECT_EQ(0, run(cmd));
	run("peer rm -f /tmp/recover.set /tmp/copy.set /tmp/lost-primary.part");
}

TEST_HARNESS_MAIN
