// SPDX-License-Identifier: BSD-3-Clause
/*
 * pmemset_map(): check the source (shutdown state, bad blocks, size,
 * alignment), have the kernel map the part where the set's rules put it,
 * then wrap the kernel's mapping in a libpmem2 map so persistence and
 * memory operations run in userspace (no syscall on DAX).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "badblock.h"
#include "error.h"
#include "event.h"
#include "headroom.h"
#include "kernel.h"
#include "map_config.h"
#include "part.h"
#include "part_map.h"
#include "placement.h"
#include "sds.h"
#include "set.h"
#include "source.h"

static const char *gran_name(enum pmem2_granularity g)
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE:
		return "BYTE";
	case PMEM2_GRANULARITY_CACHE_LINE:
		return "CACHE_LINE";
	case PMEM2_GRANULARITY_PAGE:
		return "PAGE";
	}
	return "unknown";
}

/* Shutdown state first: the state is reported even when it is refused. */
static int map_check_sds(struct pmemset *set, struct pmemset_source *src)
{
	enum pmemset_part_state state;
	int ret = pmemset_sds_check(src, &state);

	if (ret)
		return ret;
	if (src->state_ptr)
		*src->state_ptr = state;
	if (!(state & set->acceptable_states))
		return pmemset_err(PMEMSET_E_UNDESIRABLE_PART_STATE,
				   "part state 0x%x is not among the acceptable states 0x%llx",
				   state, (unsigned long long)set->acceptable_states);
	return 0;
}

/* Resolve length 0, check the source is (or may become) long enough. */
static int map_resolve_length(struct pmemset_source *src, uint64_t offset, __u64 *length)
{
	size_t size;
	int ret = pmem2_source_size(src->pmem2, &size);

	if (ret)
		return pmemset_err_pmem2(ret, PMEMSET_E_INVALID_SOURCE_TYPE, "reading the source size");
	if (*length == 0) {
		if (size == 0 || offset >= size)
			return pmemset_err(PMEMSET_E_MAP_LENGTH_UNSET,
					   "no mapping length set and the source holds nothing after offset %llu",
					   (unsigned long long)offset);
		*length = size - offset;
		return 0;
	}
	if (offset + *length >= offset && offset + *length <= size)
		return 0;
	if (src->file_flags & PMEMSET_SOURCE_FILE_DO_NOT_GROW)
		return pmemset_err(PMEMSET_E_SOURCE_FILE_IS_TOO_SMALL,
				   "the source (%zu bytes) is smaller than offset %llu + length %llu and may not grow",
				   size, (unsigned long long)offset, (unsigned long long)*length);
	/* Files grow in the kernel; a size off_t cannot hold never will. */
	if (offset + *length < offset || offset + *length > (uint64_t)INT64_MAX)
		return pmemset_err(PMEMSET_E_CANNOT_GROW_SOURCE_FILE,
				   "cannot grow the source to offset %llu + length %llu",
				   (unsigned long long)offset, (unsigned long long)*length);
	return 0;
}

static int map_check_alignment(struct pmemset_source *src, uint64_t offset, uint64_t length,
			       size_t *align)
{
	int ret = pmem2_source_alignment(src->pmem2, align);

	if (ret)
		return pmemset_err_pmem2(ret, PMEMSET_E_INVALID_ALIGNMENT_VALUE, "reading the source alignment");
	if (offset % *align)
		return pmemset_err(PMEMSET_E_INVALID_OFFSET_VALUE,
				   "offset %llu is not a multiple of the source's alignment %zu",
				   (unsigned long long)offset, *align);
	if (length % *align)
		return pmemset_err(PMEMSET_E_LENGTH_UNALIGNED,
				   "length %llu is not a multiple of the source's alignment %zu",
				   (unsigned long long)length, *align);
	return 0;
}

static int map_check_granularity(struct pmemset *set, enum pmem2_granularity g)
{
	if (g > set->required_gran)
		return pmemset_err(PMEMSET_E_GRANULARITY_NOT_SUPPORTED,
				   "the part's store granularity %s is coarser than the required %s",
				   gran_name(g), gran_name(set->required_gran));
	if (set->gran_known && g != set->effective_gran)
		return pmemset_err(PMEMSET_E_GRANULARITY_MISMATCH,
				   "the part's store granularity %s differs from the set's %s",
				   gran_name(g), gran_name(set->effective_gran));
	return 0;
}

static void set_fns_once(struct pmemset *set, struct pmem2_map *p2map, enum pmem2_granularity g)
{
	if (set->gran_known)
		return;
	set->gran_known = true;
	set->effective_gran = g;
	set->page_gran = g == PMEM2_GRANULARITY_PAGE;
	set->fns.persist = pmem2_get_persist_fn(p2map);
	set->fns.flush = pmem2_get_flush_fn(p2map);
	set->fns.drain = pmem2_get_drain_fn(p2map);
	set->fns.memmove = pmem2_get_memmove_fn(p2map);
	set->fns.memcpy = pmem2_get_memcpy_fn(p2map);
	set->fns.memset = pmem2_get_memset_fn(p2map);
	__atomic_store_n(&set->fns_ready, true, __ATOMIC_RELEASE);
}

/*
 * The kernel mapped @req; make it a part of the set.  On failure the part
 * is removed again (for a coalesced part that trims the part map back).
 * Lock held.  Return: 0 or a libpmemset code.
 */
static int map_adopt(struct pmemset *set, struct pmemset_source *src,
		     const struct kpmem_part_add *req, struct pmemset_part_descriptor *whole)
{
	enum pmem2_granularity g = (enum pmem2_granularity)req->granularity;
	void *addr = (void *)(uintptr_t)req->addr;
	struct kpmem_pmap_info info;
	struct pmemset_part *part;
	struct pmem2_map *p2map;
	int ret;

	ret = map_check_granularity(set, g);
	if (ret)
		goto undo;
	ret = pmem2_map_from_existing(&p2map, src->pmem2, addr, req->length, g);
	if (ret) {
		ret = pmemset_err_pmem2(ret, PMEMSET_E_INVALID_PMEM2_MAP, "wrapping the part in a pmem2 map");
		if (ret == -ENOMEM)
			ret = PMEMSET_E_INVALID_PMEM2_MAP;
		goto undo;
	}
	part = calloc(1, sizeof(*part));
	if (!part) {
		pmem2_map_delete(&p2map);
		ret = pmemset_err(-ENOMEM, "cannot allocate the part record");
		goto undo;
	}
	part->addr = addr;
	part->len = req->length;
	part->p2map = p2map;
	part->src = src;
	pmemset_source_get(src);
	__atomic_add_fetch(&src->nparts, 1, __ATOMIC_ACQ_REL);
	part_insert(set, part);
	set_fns_once(set, p2map, g);

	/* The descriptor is the whole part map, coalesced parts included. */
	if (kset_lookup(set->set_fd, req->addr, 0, &info)) {
		info.addr = req->addr;
		info.length = req->length;
		info.pmap_id = req->pmap_id;
	}
	placement_set_prev(set, &info);
	whole->addr = (void *)(uintptr_t)info.addr;
	whole->size = info.length;
	return 0;
undo:
	kset_part_remove(set->set_fd, req->addr, req->length);
	headroom_prune(set);
	return ret;
}

int pmemset_map(struct pmemset *set, struct pmemset_source *src,
		struct pmemset_map_config *map_cfg, struct pmemset_part_descriptor *desc)
{
	struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_PART_ADD };
	struct pmemset_part_descriptor whole;
	struct kpmem_part_add req;
	size_t align;
	int ret;

	if (!set)
		return pmemset_err(-EINVAL, "pmemset_map: set is NULL");
	if (!src)
		return pmemset_err(PMEMSET_E_INVALID_SOURCE_TYPE, "pmemset_map: source is NULL");
	if (!src->pmem2)
		return pmemset_err(PMEMSET_E_INVALID_SOURCE_TYPE, "pmemset_map: the source was deleted");

	if (src->sds) {
		ret = map_check_sds(set, src);
		if (ret)
			return ret;
	}
	if (src->badblock_detection) {
		ret = pmemset_badblock_scan(set, src);
		if (ret)
			return ret;
	}

	memset(&req, 0, sizeof(req));
	req.source_fd = pmemset_source_fd(src);
	req.offset = map_cfg ? map_cfg->offset : 0;
	req.length = map_cfg ? map_cfg->length : 0;
	if (src->file_flags & PMEMSET_SOURCE_FILE_DO_NOT_GROW)
		req.flags |= KPMEM_PART_DO_NOT_GROW;
	ret = map_resolve_length(src, req.offset, &req.length);
	if (ret)
		return ret;
	ret = map_check_alignment(src, req.offset, req.length, &align);
	if (ret)
		return ret;

	set_lock(set);
	ret = placement_add(set, &req, align);
	if (ret == 0)
		ret = map_adopt(set, src, &req, &whole);
	set_unlock(set);
	if (ret)
		return ret;

	if (desc)
		*desc = whole;
	ctx.data.part_add.addr = whole.addr;
	ctx.data.part_add.len = whole.size;
	ctx.data.part_add.src = src->pmem2;
	pmemset_event_fire(set, &ctx);
	if (src->sds)
		pmemset_sds_register(set, src);
	return 0;
}
