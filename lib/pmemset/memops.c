// SPDX-License-Identifier: BSD-3-Clause
/*
 * Memory operations with persistence: libpmem2's functions for the set's
 * granularity, the matching event before, one DRAIN event after unless
 * NODRAIN is given (as PMDK: NOFLUSH alone drains nothing, since nothing
 * was flushed, but still fires DRAIN).
 */
#include <string.h>

#include "event.h"
#include "page_persist.h"
#include "set.h"

static bool fns_ready(struct pmemset *set)
{
	return __atomic_load_n(&set->fns_ready, __ATOMIC_ACQUIRE);
}

/*
 * Whether libpmem2's own drain may stand in for pmemset_drain(): yes when
 * nobody listens for the DRAIN event the latter fires (one call less per
 * small copy, which bench/local_bench sees).
 */
static bool pmem2_drains(const struct pmemset *set, unsigned flags)
{
	return !set->callback && !(flags & (PMEMSET_F_MEM_NODRAIN | PMEMSET_F_MEM_NOFLUSH));
}

/* Otherwise the drain pmem2 would do is pmemset_drain()'s, which fires DRAIN. */
static unsigned op_flags(const struct pmemset *set, unsigned flags)
{
	return pmem2_drains(set, flags) ? flags : flags | PMEM2_F_MEM_NODRAIN;
}

static void after_op(struct pmemset *set, unsigned flags)
{
	struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_DRAIN };

	if (flags & PMEMSET_F_MEM_NODRAIN || pmem2_drains(set, flags))
		return;
	if (flags & PMEMSET_F_MEM_NOFLUSH)
		pmemset_event_fire(set, &ctx);
	else
		pmemset_drain(set);
}

void *pmemset_memmove(struct pmemset *set, void *pmemdest, void *src, size_t len, unsigned flags)
{
	if (!set)
		return memmove(pmemdest, src, len);
	/* Only a listener needs the event (small copies feel every call). */
	if (set->callback) {
		struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_MOVE };

		ctx.data.move.src = src;
		ctx.data.move.dest = pmemdest;
		ctx.data.move.len = len;
		ctx.data.move.flags = flags;
		pmemset_event_fire(set, &ctx);
	}
	if (fns_ready(set) && set->page_gran)
		page_memmove(set, pmemdest, src, len, flags);
	else if (fns_ready(set))
		set->fns.memmove(pmemdest, src, len, op_flags(set, flags));
	else
		memmove(pmemdest, src, len);
	after_op(set, flags);
	return pmemdest;
}

void *pmemset_memcpy(struct pmemset *set, void *pmemdest, void *src, size_t len, unsigned flags)
{
	if (!set)
		return memcpy(pmemdest, src, len);
	/* Only a listener needs the event (small copies feel every call). */
	if (set->callback) {
		struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_COPY };

		ctx.data.copy.src = src;
		ctx.data.copy.dest = pmemdest;
		ctx.data.copy.len = len;
		ctx.data.copy.flags = flags;
		pmemset_event_fire(set, &ctx);
	}
	if (fns_ready(set) && set->page_gran)
		page_memcpy(set, pmemdest, src, len, flags);
	else if (fns_ready(set))
		set->fns.memcpy(pmemdest, src, len, op_flags(set, flags));
	else
		memcpy(pmemdest, src, len);
	after_op(set, flags);
	return pmemdest;
}

void *pmemset_memset(struct pmemset *set, void *pmemdest, int c, size_t len, unsigned flags)
{
	if (!set)
		return memset(pmemdest, c, len);
	/* Only a listener needs the event (small copies feel every call). */
	if (set->callback) {
		struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_SET };

		ctx.data.set.dest = pmemdest;
		ctx.data.set.value = c;
		ctx.data.set.len = len;
		ctx.data.set.flags = flags;
		pmemset_event_fire(set, &ctx);
	}
	if (fns_ready(set) && set->page_gran)
		page_memset(set, pmemdest, c, len, flags);
	else if (fns_ready(set))
		set->fns.memset(pmemdest, c, len, op_flags(set, flags));
	else
		memset(pmemdest, c, len);
	after_op(set, flags);
	return pmemdest;
}
