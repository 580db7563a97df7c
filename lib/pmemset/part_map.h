/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Part-map objects handed to the user.  The kernel's index says which part
 * maps exist and in what order; the library keeps one object per part-map
 * id so references (refcount) survive between lookups.
 */
#ifndef PMEMSET_PART_MAP_H
#define PMEMSET_PART_MAP_H

#include <stdint.h>

#include <linux/kpmem.h>

#include "set.h"

struct pmemset_part_map {
	struct pmemset_part_map *next;
	struct pmemset *set;
	uint64_t id;
	struct pmemset_part_descriptor desc;	/* as of the last lookup */
	int refcount;				/* first/next/by_address minus drops */
};

/* The object for @info's part map, created if needed, refcount + 1 (lock held). */
struct pmemset_part_map *pmap_get(struct pmemset *set, const struct kpmem_pmap_info *info);

/* Free the object of part map @id if it exists (lock held). */
void pmap_forget(struct pmemset *set, uint64_t id);

/* Free every unreferenced object, after removals changed the index (lock held). */
void pmaps_prune(struct pmemset *set);

/* Free every object (pmemset_delete). */
void pmaps_free_all(struct pmemset *set);

static inline int pmap_refs(const struct pmemset_part_map *pmap)
{
	return __atomic_load_n(&pmap->refcount, __ATOMIC_ACQUIRE);
}

#endif /* PMEMSET_PART_MAP_H */
