// SPDX-License-Identifier: BSD-3-Clause
/*
 * Memory operations with persistence: libpmem2's functions for the set's
 * granularity, the matching event before, one DRAIN event after unless the
 * flags skip the drain (NODRAIN, or NOFLUSH which implies it).
 */
#include <string.h>

#include "event.h"
#include "page_persist.h"
#include "set.h"

static bool fns_ready(struct pmemset *set)
{
	return __atomic_load_n(&set->fns_ready, __ATOMIC_ACQUIRE);
}

/* The drain pmem2 would do is done by pmemset_drain(), which fires DRAIN. */
static unsigned op_flags(unsigned flags)
{
	return flags | PMEM2_F_MEM_NODRAIN;
}

static void after_op(struct pmemset *set, unsigned flags)
{
	if (!(flags & (PMEMSET_F_MEM_NODRAIN | PMEMSET_F_MEM_NOFLUSH)))
		pmemset_drain(set);
}

void *pmemset_memmove(struct pmemset *set, void *pmemdest, void *src, size_t len, unsigned flags)
{
	struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_MOVE };

	if (!set)
		return memmove(pmemdest, src, len);
	ctx.data.move.src = src;
	ctx.data.move.dest = pmemdest;
	ctx.data.move.len = len;
	ctx.data.move.flags = flags;
	pmemset_event_fire(set, &ctx);
	if (fns_ready(set) && set->page_gran)
		page_memmove(set, pmemdest, src, len, flags);
	else if (fns_ready(set))
		set->fns.memmove(pmemdest, src, len, op_flags(flags));
	else
		memmove(pmemdest, src, len);
	after_op(set, flags);
	return pmemdest;
}

void *pmemset_memcpy(struct pmemset *set, void *pmemdest, void *src, size_t len, unsigned flags)
{
	struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_COPY };

	if (!set)
		return memcpy(pmemdest, src, len);
	ctx.data.copy.src = src;
	ctx.data.copy.dest = pmemdest;
	ctx.data.copy.len = len;
	ctx.data.copy.flags = flags;
	pmemset_event_fire(set, &ctx);
	if (fns_ready(set) && set->page_gran)
		page_memcpy(set, pmemdest, src, len, flags);
	else if (fns_ready(set))
		set->fns.memcpy(pmemdest, src, len, op_flags(flags));
	else
		memcpy(pmemdest, src, len);
	after_op(set, flags);
	return pmemdest;
}

void *pmemset_memset(struct pmemset *set, void *pmemdest, int c, size_t len, unsigned flags)
{
	struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_SET };

	if (!set)
		return memset(pmemdest, c, len);
	ctx.data.set.dest = pmemdest;
	ctx.data.set.value = c;
	ctx.data.set.len = len;
	ctx.data.set.flags = flags;
	pmemset_event_fire(set, &ctx);
	if (fns_ready(set) && set->page_gran)
		page_memset(set, pmemdest, c, len, flags);
	else if (fns_ready(set))
		set->fns.memset(pmemdest, c, len, op_flags(flags));
	else
		memset(pmemdest, c, len);
	after_op(set, flags);
	return pmemdest;
}
