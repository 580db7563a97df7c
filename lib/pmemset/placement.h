/* SPDX-License-Identifier: BSD-3-Clause */
/* Where a new part goes: coalescing, the config's reservation, or anywhere. */
#ifndef PMEMSET_PLACEMENT_H
#define PMEMSET_PLACEMENT_H

#include <stddef.h>

#include <linux/kpmem.h>

#include "set.h"

/**
 * placement_add() - add the part described by @req, placed per the set's rules
 * @set: the set (lock held)
 * @req: source_fd, flags, offset and length filled in; on success the
 *	kernel's answer (addr, pmap_id, granularity, ...)
 * @align: the source's alignment (addresses chosen here are multiples)
 *
 * Coalescing extends the previous part map (pmap_id, FIXED or RESERVED at
 * its end); OPPORTUNISTIC falls back to a new part map, FULL fails with
 * CANNOT_COALESCE_PARTS.  With a config reservation the part goes to the
 * first free aligned gap inside it (CANNOT_FIT_PART_MAP when none).
 *
 * Return: 0 or a libpmemset code with the message set.
 */
int placement_add(struct pmemset *set, struct kpmem_part_add *req, size_t align);

/* Find the previous part map (lock held).  Return: 0 or -ENOENT. */
int placement_prev(struct pmemset *set, struct kpmem_pmap_info *info);

/* Make @info's part map the previous one (lock held); NULL: none. */
void placement_set_prev(struct pmemset *set, const struct kpmem_pmap_info *info);

/*
 * After a removal: if the previous part map was removed, its address-order
 * predecessor (else its successor) becomes the previous one (lock held).
 * @gone: the removed range.
 */
void placement_prev_removed(struct pmemset *set, uint64_t gone_addr, uint64_t gone_len);

#endif /* PMEMSET_PLACEMENT_H */
