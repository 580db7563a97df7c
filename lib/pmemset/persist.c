// SPDX-License-Identifier: BSD-3-Clause
/*
 * Persistence through the libpmem2 functions chosen for the set's parts:
 * CPU cache flushes and fences on DAX parts (no system call), msync on
 * page-granularity parts.  Events bracket each operation as documented.
 */
#include <errno.h>

#include "error.h"
#include "event.h"
#include "page_persist.h"
#include "part.h"
#include "set.h"

/* Before the first part is mapped there is nothing to make persistent. */
static bool fns_ready(struct pmemset *set)
{
	return __atomic_load_n(&set->fns_ready, __ATOMIC_ACQUIRE);
}

static void fire_flush(struct pmemset *set, void *ptr, size_t size)
{
	struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_FLUSH };

	ctx.data.flush.addr = ptr;
	ctx.data.flush.len = size;
	pmemset_event_fire(set, &ctx);
}

static void fire_drain(struct pmemset *set)
{
	struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_DRAIN };

	pmemset_event_fire(set, &ctx);
}

int pmemset_persist(struct pmemset *set, void *ptr, size_t size)
{
	if (!set)
		return pmemset_err(-EINVAL, "pmemset_persist: set is NULL");
	/* FLUSH, persist, DRAIN: PERSIST itself is never fired (as PMDK). */
	fire_flush(set, ptr, size);
	if (fns_ready(set)) {
		if (set->page_gran)
			page_persist(set, ptr, size);
		else
			set->fns.persist(ptr, size);
	}
	fire_drain(set);
	return 0;
}

int pmemset_flush(struct pmemset *set, void *ptr, size_t size)
{
	if (!set)
		return pmemset_err(-EINVAL, "pmemset_flush: set is NULL");
	fire_flush(set, ptr, size);
	if (fns_ready(set)) {
		if (set->page_gran)
			page_persist(set, ptr, size);	/* msync flushes and drains */
		else
			set->fns.flush(ptr, size);
	}
	return 0;
}

int pmemset_drain(struct pmemset *set)
{
	if (!set)
		return pmemset_err(-EINVAL, "pmemset_drain: set is NULL");
	if (fns_ready(set) && !set->page_gran)
		set->fns.drain();
	fire_drain(set);
	return 0;
}

int pmemset_deep_flush(struct pmemset *set, void *ptr, size_t size)
{
	char *start = ptr, *end = start + size;
	int ret = 0;

	if (!set)
		return pmemset_err(-EINVAL, "pmemset_deep_flush: set is NULL");
	if (end < start)
		return pmemset_err(-EINVAL, "pmemset_deep_flush: range %p + %zu wraps", ptr, size);

	/* Page cache parts: msync is the deepest flush there is. */
	if (fns_ready(set) && set->page_gran) {
		page_persist(set, ptr, size);
		return 0;
	}
	/* One pmem2_deep_flush per part the range touches, clipped to it. */
	set_lock(set);
	for (struct pmemset_part *p = set->parts; p && !ret; p = p->next) {
		char *a, *e;
		int r;

		if (!part_intersects(p, start, size))
			continue;
		a = start > p->addr ? start : p->addr;
		e = end < p->addr + p->len ? end : p->addr + p->len;
		r = pmem2_deep_flush(p->p2map, a, (size_t)(e - a));
		if (r) {
			pmemset_err_pmem2(r, 0, "pmem2_deep_flush");
			ret = pmemset_err(PMEMSET_E_DEEP_FLUSH_FAIL, "deep flush of %p-%p failed: %s",
					  (void *)a, (void *)e, pmem2_errormsg());
		}
	}
	set_unlock(set);
	return ret;
}
