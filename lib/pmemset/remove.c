// SPDX-License-Identifier: BSD-3-Clause
/*
 * Removing part maps and ranges.  The kernel removes every part a range
 * intersects, whole, and splits part maps that lose a middle part; the
 * library mirrors that on its part records and checks references first,
 * so a part map the user still holds is never unmapped under them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "event.h"
#include "headroom.h"
#include "kernel.h"
#include "part.h"
#include "part_map.h"
#include "placement.h"
#include "set.h"

static int remove_err(int ret, uint64_t addr, uint64_t len)
{
	return pmemset_err(ret == -ENOENT ? PMEMSET_E_PART_NOT_FOUND : ret,
			   "kpmem cannot remove 0x%llx-0x%llx: %s", (unsigned long long)addr,
			   (unsigned long long)(addr + len), strerror(-ret));
}

/* Give back the address space of removed parts that was our headroom (lock held). */
static void release_parts(struct pmemset *set, const struct pmemset_part *list)
{
	for (const struct pmemset_part *p = list; p; p = p->next)
		headroom_release(set, (uintptr_t)p->addr, p->len);
}

static void fire_part_remove(struct pmemset *set, uint64_t addr, uint64_t len)
{
	struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_PART_REMOVE };

	ctx.data.part_remove.addr = (void *)(uintptr_t)addr;
	ctx.data.part_remove.len = len;
	pmemset_event_fire(set, &ctx);
}

int pmemset_remove_part_map(struct pmemset *set, struct pmemset_part_map **part)
{
	struct kpmem_pmap_info info;
	struct pmemset_part_map *pmap;
	struct pmemset_part *taken;
	int ret;

	if (!set)
		return pmemset_err(-EINVAL, "pmemset_remove_part_map: set is NULL");
	if (!part || !*part)
		return pmemset_err(-EINVAL, "pmemset_remove_part_map: part map is NULL");
	pmap = *part;
	if (pmap->set != set)
		return pmemset_err(PMEMSET_E_PART_NOT_FOUND, "the part map belongs to another set");

	set_lock(set);
	ret = kset_lookup(set->set_fd, (uintptr_t)pmap->desc.addr, 0, &info);
	if (ret || info.pmap_id != pmap->id) {
		set_unlock(set);
		return pmemset_err(PMEMSET_E_PART_NOT_FOUND, "the part map at %p is not in the set",
				   pmap->desc.addr);
	}
	/* The caller's own reference is expected; any other one is a user. */
	if (pmap_refs(pmap) > 1) {
		set_unlock(set);
		return pmemset_err(PMEMSET_E_PART_MAP_POSSIBLE_USE_AFTER_DROP,
				   "the part map at 0x%llx is referenced %d times",
				   (unsigned long long)info.addr, pmap_refs(pmap));
	}
	set_unlock(set);

	/* Data first: nothing may be lost by unmapping. */
	pmemset_deep_flush(set, (void *)(uintptr_t)info.addr, info.length);
	fire_part_remove(set, info.addr, info.length);

	set_lock(set);
	ret = kset_part_remove(set->set_fd, info.addr, info.length);
	if (ret) {
		set_unlock(set);
		return remove_err(ret, info.addr, info.length);
	}
	taken = parts_take(set, (char *)(uintptr_t)info.addr, info.length);
	pmap_forget(set, pmap->id);
	placement_prev_removed(set, info.addr, info.length);
	release_parts(set, taken);
	headroom_prune(set);
	set_unlock(set);
	parts_release(set, taken);
	*part = NULL;
	return 0;
}

/* The part maps intersecting [addr, end), in address order (lock held). */
static int collect(struct pmemset *set, uint64_t addr, uint64_t end,
		   struct kpmem_pmap_info **out, size_t *n)
{
	struct kpmem_pmap_info info, *v = NULL, *nv;
	size_t cnt = 0, cap = 0;
	uint64_t at = addr;

	while (at < end && kset_lookup(set->set_fd, at, KPMEM_LOOKUP_NEXT, &info) == 0) {
		if (info.addr >= end || info.addr + info.length <= at)
			break;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return pmemset_err(-ENOMEM, "cannot allocate the list of part maps to remove");
			}
			v = nv;
		}
		v[cnt++] = info;
		at = info.addr + info.length;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* Does [addr, end) touch the first and the last part of part map @pm? */
static bool covers_whole(struct pmemset *set, const struct kpmem_pmap_info *pm,
			 uint64_t addr, uint64_t end)
{
	const struct pmemset_part *p, *first = NULL, *last = NULL;
	uint64_t pm_end = pm->addr + pm->length;

	for (p = set->parts; p; p = p->next) {
		if ((uintptr_t)p->addr >= pm->addr && (uintptr_t)p->addr < pm_end) {
			if (!first)
				first = p;
			last = p;
		}
	}
	if (!first)
		return addr <= pm->addr && end >= pm_end;
	return part_intersects(first, (char *)(uintptr_t)addr, end - addr) &&
	       part_intersects(last, (char *)(uintptr_t)addr, end - addr);
}

static struct pmemset_part_map *pmap_object(struct pmemset *set, uint64_t id)
{
	struct pmemset_part_map *p;

	for (p = set->pmaps; p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

int pmemset_remove_range(struct pmemset *set, void *addr, size_t len)
{
	struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_REMOVE_RANGE };
	uint64_t start = (uintptr_t)addr, end = start + len;
	struct pmemset_part *taken = NULL, **tail = &taken;
	struct kpmem_pmap_info *pms = NULL;
	bool *whole = NULL;
	size_t n = 0;
	int ret = 0;

	if (!set)
		return pmemset_err(-EINVAL, "pmemset_remove_range: set is NULL");
	/* REMOVE_RANGE comes first, before any validation (as PMDK). */
	ctx.data.remove_range.addr = addr;
	ctx.data.remove_range.len = len;
	pmemset_event_fire(set, &ctx);
	if (end < start)
		return pmemset_err(-EINVAL, "remove range %p + %zu wraps around the address space", addr, len);
	/* an empty range overlaps nothing (the man page's CANNOT_FIND_PART_MAP) */
	if (len == 0)
		return pmemset_err(PMEMSET_E_CANNOT_FIND_PART_MAP, "the empty range at %p overlaps no part map",
				   addr);

	pmemset_deep_flush(set, addr, len);

	set_lock(set);
	ret = collect(set, start, end, &pms, &n);
	if (ret)
		goto out;
	if (n == 0) {
		ret = pmemset_err(PMEMSET_E_CANNOT_FIND_PART_MAP,
				  "no part map intersects %p-%p", addr, (char *)addr + len);
		goto out;
	}
	/* All or nothing: refuse before anything changes. */
	for (size_t i = 0; i < n; i++) {
		struct pmemset_part_map *obj = pmap_object(set, pms[i].pmap_id);

		if (obj && pmap_refs(obj) > 0) {
			ret = pmemset_err(PMEMSET_E_PART_MAP_POSSIBLE_USE_AFTER_DROP,
					  "the part map at 0x%llx intersecting the range is still referenced (%d)",
					  (unsigned long long)pms[i].addr, pmap_refs(obj));
			goto out;
		}
	}
	whole = calloc(n, sizeof(*whole));
	if (!whole) {
		ret = pmemset_err(-ENOMEM, "cannot allocate the removal plan");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		whole[i] = covers_whole(set, &pms[i], start, end);
	set_unlock(set);

	for (size_t i = 0; i < n; i++)
		if (whole[i])
			fire_part_remove(set, pms[i].addr, pms[i].length);

	set_lock(set);
	for (size_t i = 0; i < n; i++) {
		uint64_t a = start > pms[i].addr ? start : pms[i].addr;
		uint64_t e = end < pms[i].addr + pms[i].length ? end : pms[i].addr + pms[i].length;
		int r = kset_part_remove(set->set_fd, a, e - a);

		if (r && !ret)
			ret = remove_err(r, a, e - a);
		if (r)
			continue;
		*tail = parts_take(set, (char *)(uintptr_t)a, e - a);
		while (*tail)
			tail = &(*tail)->next;
		placement_prev_removed(set, a, e - a);
	}
	/* Split or trimmed part maps get fresh objects on their next lookup. */
	pmaps_prune(set);
	release_parts(set, taken);
	headroom_prune(set);
out:
	set_unlock(set);
	parts_release(set, taken);
	free(whole);
	free(pms);
	return ret;
}
