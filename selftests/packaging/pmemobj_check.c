// SPDX-License-Identifier: GPL-2.0
/*
 * Built by deb_pair.sh without any library path: Debian's libpmemobj
 * creates a pool set with a remote replica, which makes it dlopen()
 * "librpmem.so.1" from the default library path, where kpmem's package put
 * it.  A transaction's data reaches the replica.
 *
 * usage: pmemobj_check POOLSET
 */
#include <stdio.h>
#include <string.h>

#include <libpmemobj.h>

struct root {
	char text[64];
};

int main(int argc, char **argv)
{
	PMEMobjpool *pop;
	PMEMoid root;
	struct root *r;

	if (argc != 2)
		return 2;
	pop = pmemobj_create(argv[1], "kpmem-deb", 0, 0600);
	if (!pop) {
		fprintf(stderr, "pmemobj_check: pmemobj_create: %s\n", pmemobj_errormsg());
		return 1;
	}
	root = pmemobj_root(pop, sizeof(struct root));
	r = pmemobj_direct(root);
	TX_BEGIN(pop) {
		pmemobj_tx_add_range(root, 0, sizeof(*r));
		strcpy(r->text, "replicated by kpmem's librpmem.so.1");
	} TX_END
	pmemobj_close(pop);
	pop = pmemobj_open(argv[1], "kpmem-deb");
	if (!pop) {
		fprintf(stderr, "pmemobj_check: pmemobj_open: %s\n", pmemobj_errormsg());
		return 1;
	}
	r = pmemobj_direct(pmemobj_root(pop, sizeof(struct root)));
	printf("%s\n", r->text);
	pmemobj_close(pop);
	return 0;
}
