// SPDX-License-Identifier: GPL-2.0
/*
 * pmemobj_replica_read POOLSET
 *
 * For pmemobj_replica_test, on the target: opens POOLSET (the target's copy
 * of the replicated pool, after the recovery steps of lib/rpmem/README.md)
 * with Debian's libpmemobj and checks the root object and every record the
 * initiator wrote.  Exit 0 when all are there.
 */
#include <libpmemobj.h>
#include <stdio.h>
#include <string.h>

#include "pmemobj_replica.h"

int main(int argc, char **argv)
{
	char want[sizeof(((struct record *)0)->text)];
	PMEMobjpool *pop;
	struct root *root;
	int bad = 0, ok;

	if (argc != 2) {
		fprintf(stderr, "usage: pmemobj_replica_read POOLSET\n");
		return 2;
	}
	pop = pmemobj_open(argv[1], LAYOUT);
	if (!pop) {
		fprintf(stderr, "pmemobj_open %s: %s\n", argv[1], pmemobj_errormsg());
		return 1;
	}
	root = pmemobj_direct(pmemobj_root(pop, sizeof(*root)));
	for (int i = 0; i < NRECORDS; i++) {
		snprintf(want, sizeof(want), RECORD_TEXT, i);
		if (root->records[i].seq != (uint64_t)i + 1 || strcmp(root->records[i].text, want))
			bad++;
	}
	printf("%s: root object at 0x%llx, count %llu, %d of %d records wrong\n", argv[1],
	       (unsigned long long)pmemobj_oid(root).off, (unsigned long long)root->count, bad,
	       NRECORDS);
	ok = root->count == NRECORDS && !bad;
	pmemobj_close(pop);
	return ok ? 0 : 1;
}
