/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parts as the library sees them: one per successful kernel part add, with
 * the libpmem2 map that gives it userspace persistence.  The kernel removes
 * parts whole, so the library can tell which of these a removal took.
 */
#ifndef PMEMSET_PART_H
#define PMEMSET_PART_H

#include <stddef.h>

#include "set.h"

struct pmemset_source;

struct pmemset_part {
	struct pmemset_part *next;	/* by address */
	char *addr;
	size_t len;
	struct pmem2_map *p2map;
	struct pmemset_source *src;	/* holds a reference */
};

/* Insert @part in address order (set lock held). */
void part_insert(struct pmemset *set, struct pmemset_part *part);

/* Does @part intersect [addr, addr + len)? */
static inline int part_intersects(const struct pmemset_part *part, const char *addr, size_t len)
{
	return part->addr < addr + len && addr < part->addr + part->len;
}

/*
 * After the kernel removed them: unlink every part intersecting
 * [addr, addr + len) into a list and delete their pmem2 maps (set lock
 * held).  libpmem2 registers maps by address process-wide, so this must
 * happen before another thread can map a new part at the same address.
 */
struct pmemset_part *parts_take(struct pmemset *set, const char *addr, size_t len);

/* parts_take() of every part (pmemset_delete). */
struct pmemset_part *parts_take_all(struct pmemset *set);

/*
 * Release a list from parts_take(): unregister SDS records (firing
 * SDS_UPDATE), drop the sources.  Call without the lock (events).
 */
void parts_release(struct pmemset *set, struct pmemset_part *list);

#endif /* PMEMSET_PART_H */
