// SPDX-License-Identifier: BSD-3-Clause
/*
 * Placing parts.  The kernel index is the truth about what is where, so
 * the previous part map and the gaps in a reservation are found by lookups,
 * not from library state that could be out of date.
 */
#include <errno.h>
#include <stdint.h>

#include "error.h"
#include "headroom.h"
#include "kernel.h"
#include "placement.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* Is [addr, addr + len) free of part maps? */
static bool range_free(struct pmemset *set, uint64_t addr, uint64_t len)
{
	struct kpmem_pmap_info info;

	if (kset_lookup(set->set_fd, addr, KPMEM_LOOKUP_NEXT, &info))
		return true;
	return info.addr >= addr + len || info.addr + info.length <= addr;
}

/* First aligned gap of @len in [start, end), walking the part maps in it. */
static bool first_fit(struct pmemset *set, uint64_t start, uint64_t end, uint64_t len,
		      uint64_t align, uint64_t *addr)
{
	struct kpmem_pmap_info info;
	uint64_t cand = align_up(start, align), at = start;

	while (cand + len <= end) {
		if (kset_lookup(set->set_fd, at, KPMEM_LOOKUP_NEXT, &info) || info.addr >= end)
			break;
		if (info.addr + info.length <= at)
			break;	/* not moving forward: treat the rest as free */
		if (cand + len <= info.addr)
			break;
		if (info.addr + info.length > cand)
			cand = align_up(info.addr + info.length, align);
		at = info.addr + info.length;
	}
	if (cand + len > end)
		return false;
	*addr = cand;
	return true;
}

int placement_prev(struct pmemset *set, struct kpmem_pmap_info *info)
{
	if (!set->prev_pmap_id)
		return -ENOENT;
	if (kset_lookup_id(set->set_fd, set->prev_pmap_id, info) == 0)
		return 0;
	if (kset_lookup(set->set_fd, set->prev_last, 0, info) == 0)
		return 0;
	return -ENOENT;
}

void placement_set_prev(struct pmemset *set, const struct kpmem_pmap_info *info)
{
	set->prev_pmap_id = info ? info->pmap_id : 0;
	set->prev_last = info ? info->addr + info->length - 1 : 0;
}

/* The last part map ending at or before @addr. */
static int prev_before(struct pmemset *set, uint64_t addr, struct kpmem_pmap_info *out)
{
	struct kpmem_pmap_info info;
	uint64_t at = 0;
	int found = -ENOENT;

	while (kset_lookup(set->set_fd, at, KPMEM_LOOKUP_NEXT, &info) == 0 &&
	       info.addr + info.length <= addr && info.addr + info.length > at) {
		*out = info;
		found = 0;
		at = info.addr + info.length;
	}
	return found;
}

void placement_prev_removed(struct pmemset *set, uint64_t gone_addr, uint64_t gone_len)
{
	struct kpmem_pmap_info info;

	if (!set->prev_pmap_id)
		return;
	if (placement_prev(set, &info) == 0) {
		placement_set_prev(set, &info);	/* still there, maybe shorter */
		return;
	}
	/* gone: its address-order predecessor, else its successor */
	if (prev_before(set, gone_addr, &info) == 0 ||
	    kset_lookup(set->set_fd, gone_addr + gone_len, KPMEM_LOOKUP_NEXT, &info) == 0)
		placement_set_prev(set, &info);
	else
		placement_set_prev(set, NULL);
}

/* Try extending the previous part map.  Return: 0, or a libpmemset code. */
static int try_coalesce(struct pmemset *set, struct kpmem_part_add *req, uint64_t align,
			uint64_t rsv_start, uint64_t rsv_end)
{
	struct kpmem_pmap_info prev;
	uint64_t end;
	int ret;

	if (placement_prev(set, &prev))
		return pmemset_err(PMEMSET_E_CANNOT_COALESCE_PARTS, "there is no previous part map to extend");
	end = prev.addr + prev.length;
	if (end % align)
		return pmemset_err(PMEMSET_E_CANNOT_COALESCE_PARTS,
				   "the previous part map ends at 0x%llx, not aligned to the source's 0x%llx",
				   (unsigned long long)end, (unsigned long long)align);
	if (set->rsv) {
		if (end < rsv_start || end + req->length > rsv_end || end + req->length < end)
			return pmemset_err(PMEMSET_E_CANNOT_COALESCE_PARTS,
					   "the part does not fit in the reservation after the previous part map");
		if (!range_free(set, end, req->length))
			return pmemset_err(PMEMSET_E_CANNOT_COALESCE_PARTS,
					   "the range after the previous part map is taken");
	}
	/* inside a reservation (the user's or our headroom) the part replaces it */
	req->placement = set->rsv || headroom_covers(set, end, req->length) ?
			 KPMEM_PLACE_RESERVED : KPMEM_PLACE_FIXED;
	req->addr = end;
	req->pmap_id = prev.pmap_id;
	ret = kset_part_add(set->set_fd, req);
	if (ret)
		return kset_part_add_err(ret, req, PMEMSET_E_CANNOT_COALESCE_PARTS);
	return 0;
}

int placement_add(struct pmemset *set, struct kpmem_part_add *req, size_t align)
{
	uint64_t rsv_start = 0, rsv_end = 0, addr;
	int ret;

	if (set->rsv) {
		rsv_start = (uintptr_t)pmem2_vm_reservation_get_address(set->rsv);
		rsv_end = rsv_start + pmem2_vm_reservation_get_size(set->rsv);
		if (req->length > rsv_end - rsv_start)
			return pmemset_err(PMEMSET_E_CANNOT_FIT_PART_MAP,
					   "the part (0x%llx bytes) is larger than the reservation (0x%llx bytes)",
					   (unsigned long long)req->length,
					   (unsigned long long)(rsv_end - rsv_start));
	}

	/* The first part map of a set has nothing to extend, in any mode. */
	if (set->coalescing != PMEMSET_COALESCING_NONE && set->prev_pmap_id) {
		ret = try_coalesce(set, req, align, rsv_start, rsv_end);
		if (ret == 0 || set->coalescing == PMEMSET_COALESCING_FULL)
			return ret;
		/* OPPORTUNISTIC: only placement failures fall back to a new part map */
		if (ret != PMEMSET_E_CANNOT_COALESCE_PARTS)
			return ret;
	}

	req->pmap_id = 0;
	if (set->rsv) {
		if (!first_fit(set, rsv_start, rsv_end, req->length, align, &addr))
			return pmemset_err(PMEMSET_E_CANNOT_FIT_PART_MAP,
					   "no free 0x%llx-byte range in the reservation",
					   (unsigned long long)req->length);
		req->placement = KPMEM_PLACE_RESERVED;
		req->addr = addr;
	} else {
		ret = headroom_new(set, req->length, align, &addr);
		if (ret)
			return ret;
		req->placement = KPMEM_PLACE_RESERVED;
		req->addr = addr;
	}
	ret = kset_part_add(set->set_fd, req);
	if (ret) {
		headroom_prune(set);
		return kset_part_add_err(ret, req, set->rsv ? PMEMSET_E_CANNOT_FIT_PART_MAP :
					 PMEMSET_E_PART_EXISTS);
	}
	return 0;
}
