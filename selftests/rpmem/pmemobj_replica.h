/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pool pmemobj_replica_test writes through libpmemobj with a kpmem
 * replica, and pmemobj_replica_read reads back on the target.
 */
#ifndef KPMEM_SELFTEST_PMEMOBJ_REPLICA_H
#define KPMEM_SELFTEST_PMEMOBJ_REPLICA_H

#include <stdint.h>

#define POOL_MB 16
#define NRECORDS 64
#define LAYOUT "kpmem"
#define RECORD_TEXT "record %d replicated through kpmem"

struct record {
	uint64_t seq;
	char text[120];
};

struct root {
	uint64_t count;
	struct record records[NRECORDS];
};

#endif /* KPMEM_SELFTEST_PMEMOBJ_REPLICA_H */
