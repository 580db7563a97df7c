// SPDX-License-Identifier: BSD-3-Clause
/*
 * Bad blocks, through libpmem2: detection before a source is mapped (the
 * user's callback may clear them) and clearing on request.
 */
#include <errno.h>

#include "badblock.h"
#include "error.h"
#include "event.h"
#include "source.h"

void pmemset_source_set_badblock_detection(struct pmemset_source *src, bool value)
{
	if (src)
		src->badblock_detection = value;
}

static int badblock_ctx(struct pmem2_badblock_context **bbctx, struct pmemset_source *src)
{
	int ret;

	if (!src->pmem2)
		return pmemset_err(PMEMSET_E_INVALID_SOURCE_TYPE, "the source was deleted");
	ret = pmem2_badblock_context_new(bbctx, src->pmem2);
	if (ret == PMEM2_E_NOSUPP)
		return pmemset_err(PMEMSET_E_BADBLOCK_NOSUPP,
				   "bad blocks cannot be read for this source: %s", pmem2_errormsg());
	if (ret)
		return pmemset_err_pmem2(ret, 0, "bad block context");
	return 0;
}

/* Count (and report through BADBLOCK events when @fire) the source's bad blocks. */
static int badblock_count(struct pmemset *set, struct pmemset_source *src, bool fire, unsigned *count)
{
	struct pmem2_badblock_context *bbctx;
	struct pmem2_badblock bb;
	int ret = badblock_ctx(&bbctx, src);

	if (ret)
		return ret;
	*count = 0;
	while ((ret = pmem2_badblock_next(bbctx, &bb)) == 0) {
		struct pmemset_badblock sbb = { .offset = bb.offset, .length = bb.length };
		struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_BADBLOCK };

		(*count)++;
		if (!fire)
			continue;
		ctx.data.badblock.bb = &sbb;
		ctx.data.badblock.src = src;
		/* The BADBLOCK callback's result is ignored, as documented. */
		pmemset_event_fire(set, &ctx);
	}
	pmem2_badblock_context_delete(&bbctx);
	if (ret != PMEM2_E_NO_BAD_BLOCK_FOUND)
		return pmemset_err_pmem2(ret, 0, "reading bad blocks");
	return 0;
}

int pmemset_badblock_scan(struct pmemset *set, struct pmemset_source *src)
{
	struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_BADBLOCKS_CLEARED };
	unsigned found, left;
	int ret;

	ret = badblock_count(set, src, true, &found);
	if (ret || !found)
		return ret;
	ret = badblock_count(set, src, false, &left);
	if (ret)
		return ret;
	if (left)
		return pmemset_err(PMEMSET_E_IO_FAIL,
				   "the source has %u bad block(s) (%u found) that were not cleared", left, found);
	ctx.data.badblocks_cleared.src = src;
	ret = pmemset_event_fire(set, &ctx);
	if (ret)
		return pmemset_err(ret, "the BADBLOCKS_CLEARED callback failed with %d", ret);
	return 0;
}

int pmemset_badblock_clear(struct pmemset_badblock *bb, struct pmemset_source *src)
{
	struct pmem2_badblock_context *bbctx;
	struct pmem2_badblock p2bb;
	int ret;

	if (!bb)
		return pmemset_err(-EINVAL, "pmemset_badblock_clear: bad block is NULL");
	if (!src)
		return pmemset_err(-EINVAL, "pmemset_badblock_clear: source is NULL");
	/* pmem2 takes off_t-sized values */
	if (bb->offset > (size_t)INT64_MAX)
		return pmemset_err(PMEMSET_E_OFFSET_OUT_OF_RANGE, "bad block offset %zu is too large", bb->offset);
	if (bb->length > (size_t)INT64_MAX)
		return pmemset_err(PMEMSET_E_LENGTH_OUT_OF_RANGE, "bad block length %zu is too large", bb->length);
	ret = badblock_ctx(&bbctx, src);
	if (ret)
		return ret;
	p2bb.offset = bb->offset;
	p2bb.length = bb->length;
	ret = pmem2_badblock_clear(bbctx, &p2bb);
	pmem2_badblock_context_delete(&bbctx);
	if (ret)
		return pmemset_err_pmem2(ret, 0, "clearing a bad block");
	return 0;
}
