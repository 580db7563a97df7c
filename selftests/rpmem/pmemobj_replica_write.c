// SPDX-License-Identifier: GPL-2.0
/*
 * pmemobj_replica_write POOLSET
 *
 * For pmempool_remote_test: opens POOLSET, an existing pool (made by
 * `pmempool create obj`), with Debian's libpmemobj and writes the root
 * object's records, one transaction each, as pmemobj_replica_test does;
 * pmemobj_replica_read checks them.  With a REPLICA line in POOLSET every
 * transaction goes through librpmem.so.1 (the one LD_LIBRARY_PATH finds).
 * Exit 0 when every transaction committed.
 */
#include <libpmemobj.h>
#include <stdio.h>

#include "pmemobj_replica.h"

int main(int argc, char **argv)
{
	PMEMobjpool *pop;
	struct root *root;
	int failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: pmemobj_replica_write POOLSET\n");
		return 2;
	}
	pop = pmemobj_open(argv[1], LAYOUT);
	if (!pop) {
		fprintf(stderr, "pmemobj_open %s: %s\n", argv[1], pmemobj_errormsg());
		return 1;
	}
	root = pmemobj_direct(pmemobj_root(pop, sizeof(*root)));
	for (int i = 0; i < NRECORDS && root; i++) {
		TX_BEGIN(pop) {
			pmemobj_tx_add_range_direct(&root->records[i], sizeof(root->records[i]));
			pmemobj_tx_add_range_direct(&root->count, sizeof(root->count));
			root->records[i].seq = i + 1;
			snprintf(root->records[i].text, sizeof(root->records[i].text), RECORD_TEXT, i);
			root->count = i + 1;
		} TX_ONABORT {
			fprintf(stderr, "transaction %d aborted: %s\n", i, pmemobj_errormsg());
			failed = 1;
		} TX_END
		if (failed)
			break;
	}
	pmemobj_close(pop);
	return root && !failed ? 0 : 1;
}
