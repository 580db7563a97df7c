// SPDX-License-Identifier: BSD-3-Clause
/*
 * Finding part maps (by address, first, next) through the kernel's index,
 * and the reference counting the removal calls check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kernel.h"
#include "part_map.h"

struct pmemset_part_map *pmap_get(struct pmemset *set, const struct kpmem_pmap_info *info)
{
	struct pmemset_part_map *pmap;

	for (pmap = set->pmaps; pmap; pmap = pmap->next)
		if (pmap->id == info->pmap_id)
			break;
	if (!pmap) {
		pmap = calloc(1, sizeof(*pmap));
		if (!pmap)
			return NULL;
		pmap->set = set;
		pmap->id = info->pmap_id;
		pmap->next = set->pmaps;
		set->pmaps = pmap;
	}
	pmap->desc.addr = (void *)(uintptr_t)info->addr;
	pmap->desc.size = info->length;
	__atomic_add_fetch(&pmap->refcount, 1, __ATOMIC_ACQ_REL);
	return pmap;
}

void pmap_forget(struct pmemset *set, uint64_t id)
{
	struct pmemset_part_map **pp;

	for (pp = &set->pmaps; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct pmemset_part_map *p = *pp;

			*pp = p->next;
			free(p);
			return;
		}
	}
}

void pmaps_prune(struct pmemset *set)
{
	struct pmemset_part_map **pp = &set->pmaps;

	while (*pp) {
		struct pmemset_part_map *p = *pp;

		if (pmap_refs(p) == 0) {
			*pp = p->next;
			free(p);
		} else {
			pp = &p->next;
		}
	}
}

void pmaps_free_all(struct pmemset *set)
{
	while (set->pmaps) {
		struct pmemset_part_map *p = set->pmaps;

		set->pmaps = p->next;
		free(p);
	}
}

/* Look up and reference; *pmap = NULL and the libpmemset code on failure. */
static int pmap_find(struct pmemset *set, uint64_t addr, uint32_t flags,
		     struct pmemset_part_map **pmap)
{
	struct kpmem_pmap_info info;
	int ret;

	*pmap = NULL;
	set_lock(set);
	ret = kset_lookup(set->set_fd, addr, flags, &info);
	if (ret == 0) {
		*pmap = pmap_get(set, &info);
		if (!*pmap)
			ret = -ENOMEM;
	}
	set_unlock(set);
	if (ret == -ENOENT)
		return pmemset_err(PMEMSET_E_CANNOT_FIND_PART_MAP,
				   "no part map %s 0x%llx", flags & KPMEM_LOOKUP_NEXT ? "after" : "holds address",
				   (unsigned long long)addr);
	if (ret == -ENOMEM)
		return pmemset_err(ret, "cannot allocate a part map object");
	if (ret)
		return pmemset_err(ret, "kpmem part map lookup at 0x%llx failed: %s",
				   (unsigned long long)addr, strerror(-ret));
	return 0;
}

int pmemset_part_map_by_address(struct pmemset *set, struct pmemset_part_map **pmap, void *addr)
{
	if (!pmap)
		return pmemset_err(-EINVAL, "pmemset_part_map_by_address: pmap pointer is NULL");
	*pmap = NULL;
	if (!set)
		return pmemset_err(-EINVAL, "pmemset_part_map_by_address: set is NULL");
	return pmap_find(set, (uintptr_t)addr, 0, pmap);
}

void pmemset_first_part_map(struct pmemset *set, struct pmemset_part_map **pmap)
{
	if (!pmap)
		return;
	*pmap = NULL;
	if (set)
		pmap_find(set, 0, KPMEM_LOOKUP_NEXT, pmap);
}

void pmemset_next_part_map(struct pmemset *set, struct pmemset_part_map *cur,
			   struct pmemset_part_map **next)
{
	if (!next)
		return;
	*next = NULL;
	if (!set || !cur)
		return;
	/* "first ending after" the end of cur: the one after it, in address order */
	pmap_find(set, (uintptr_t)cur->desc.addr + cur->desc.size, KPMEM_LOOKUP_NEXT, next);
}

void pmemset_part_map_drop(struct pmemset_part_map **pmap)
{
	if (!pmap || !*pmap)
		return;
	__atomic_sub_fetch(&(*pmap)->refcount, 1, __ATOMIC_ACQ_REL);
	*pmap = NULL;
}

struct pmemset_part_descriptor pmemset_descriptor_part_map(struct pmemset_part_map *pmap)
{
	struct pmemset_part_descriptor none = { NULL, 0 };
	struct kpmem_pmap_info info;

	if (!pmap)
		return none;
	/*
	 * A referenced part map can only grow (coalescing): ask the kernel for
	 * its current extent, keep the cached one if the kernel cannot say.
	 */
	set_lock(pmap->set);
	if (kset_lookup(pmap->set->set_fd, (uintptr_t)pmap->desc.addr, 0, &info) == 0 &&
	    info.pmap_id == pmap->id) {
		pmap->desc.addr = (void *)(uintptr_t)info.addr;
		pmap->desc.size = info.length;
	}
	none = pmap->desc;
	set_unlock(pmap->set);
	return none;
}
