// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem target: registering an export's memory for one connection.
 *
 * Each connection gets its own fast-registration MRs over exactly the
 * pool's data (past its header) with remote write and read rights and
 * nothing more; deregistering them revokes the rkeys.  A device bounds the
 * pages one MR maps, so a big pool takes several MRs.  Device DAX memory
 * is physically contiguous at its 2 MiB alignment, which lets one MR with
 * 2 MiB pages cover up to a GiB; where that does not hold, MRs map
 * PAGE_SIZE pages instead.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <rdma/ib_verbs.h>

#include "compat.h"
#include "kpmem.h"
#include "rpmem.h"
#include "rpmem_target_mr.h"
#include "rpmem_wire.h"

#define KPMEM_MR_ACCESS (IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_READ)
#define KPMEM_REG_TIMEOUT_MS 10000

static void kpmem_target_mr_reg_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kpmem_target_mrs *mrs = container_of(wc->wr_cqe, struct kpmem_target_mrs, reg_cqe);

	mrs->reg_status = wc->status == IB_WC_SUCCESS ? 0 : -EIO;
	complete(&mrs->reg_done);
}

/**
 * kpmem_target_mrs_init() - prepare an empty MR set
 * @mrs: the set
 * @dev: the connection's device
 */
void kpmem_target_mrs_init(struct kpmem_target_mrs *mrs, struct ib_device *dev)
{
	memset(mrs, 0, sizeof(*mrs));
	mrs->dev = dev;
	mrs->reg_cqe.done = kpmem_target_mr_reg_done;
	init_completion(&mrs->reg_done);
}

/**
 * kpmem_target_mrs_free() - deregister every MR of the set (revoking rkeys)
 * @mrs: the set; empty afterwards
 *
 * Sleeps.  No registration work request may still be pending.
 */
void kpmem_target_mrs_free(struct kpmem_target_mrs *mrs)
{
	u32 i;

	for (i = 0; mrs->mrs && i < mrs->nmrs; i++) {
		struct kpmem_target_mr *m = &mrs->mrs[i];

		if (m->mr) {
			ib_dereg_mr(m->mr);
			kpmem_live_dec(KPMEM_LIVE_TARGET_MRS);
		}
		if (m->mapped)
			ib_dma_unmap_sgtable_attrs(mrs->dev, &m->sgt, DMA_BIDIRECTIONAL, 0);
		sg_free_table(&m->sgt);
	}
	kfree(mrs->mrs);
	mrs->mrs = NULL;
	mrs->nmrs = 0;
}

/* Map pool bytes [m->offset, +m->length) of @exp into @m->mr with @page_size pages. */
static int kpmem_target_mr_map(struct kpmem_target_mrs *mrs, struct kpmem_target_mr *m,
			       struct kpmem_export *exp, unsigned int page_size)
{
	unsigned long first = m->offset >> PAGE_SHIFT;
	unsigned long last = (m->offset + m->length - 1) >> PAGE_SHIFT;
	int ret, n;

	ret = sg_alloc_table_from_pages(&m->sgt, exp->pages + first, last - first + 1,
					offset_in_page(m->offset), m->length, GFP_KERNEL);
	if (ret)
		return ret;
	ret = ib_dma_map_sgtable_attrs(mrs->dev, &m->sgt, DMA_BIDIRECTIONAL, 0);
	if (ret)
		return ret;
	m->mapped = true;
	n = ib_map_mr_sg(m->mr, m->sgt.sgl, m->sgt.nents, NULL, page_size);
	return n == m->sgt.nents ? 0 : -EINVAL;
}

/* Post the REG_MR work requests for @mrs, @budget at a time, and wait for them. */
static int kpmem_target_mrs_post(struct kpmem_target_mrs *mrs, struct ib_qp *qp, u32 budget)
{
	struct ib_reg_wr *wrs;
	u32 i, n, done = 0;
	int ret = 0;

	wrs = kcalloc(budget, sizeof(*wrs), GFP_KERNEL);
	if (!wrs)
		return -ENOMEM;
	while (!ret && done < mrs->nmrs) {
		n = min(budget, mrs->nmrs - done);
		for (i = 0; i < n; i++) {
			struct ib_mr *mr = mrs->mrs[done + i].mr;

			memset(&wrs[i], 0, sizeof(wrs[i]));
			wrs[i].wr.opcode = IB_WR_REG_MR;
			wrs[i].wr.next = i + 1 < n ? &wrs[i + 1].wr : NULL;
			wrs[i].mr = mr;
			wrs[i].key = mr->rkey;
			wrs[i].access = KPMEM_MR_ACCESS;
		}
		/* Only the last is signaled: the send queue completes in order. */
		wrs[n - 1].wr.wr_cqe = &mrs->reg_cqe;
		wrs[n - 1].wr.send_flags = IB_SEND_SIGNALED;
		reinit_completion(&mrs->reg_done);
		ret = ib_post_send(qp, &wrs[0].wr, NULL);
		if (ret)
			break;
		if (!wait_for_completion_timeout(&mrs->reg_done,
						 msecs_to_jiffies(KPMEM_REG_TIMEOUT_MS))) {
			/* The work request still points at @mrs: report, keep nothing. */
			ret = -ETIMEDOUT;
			mrs->reg_stuck = true;
			break;
		}
		ret = mrs->reg_status;
		done += n;
	}
	kfree(wrs);
	return ret;
}

/* Split [start, end) into MRs of at most @span bytes and map them. */
static int kpmem_target_mrs_build(struct kpmem_target_mrs *mrs, struct ib_pd *pd,
				  struct kpmem_export *exp, u64 start, u64 end,
				  unsigned int page_size, u32 max_pages)
{
	/* One page of slack: a range need not start at a @page_size boundary. */
	u64 span = (u64)(max_pages - 1) * page_size;
	u64 off;
	u32 i;
	int ret;

	mrs->nmrs = DIV_ROUND_UP_ULL(end - start, span);
	if (mrs->nmrs > KPMEM_WIRE_MAX_SEGS)
		return -E2BIG;
	mrs->mrs = kcalloc(mrs->nmrs, sizeof(*mrs->mrs), GFP_KERNEL);
	if (!mrs->mrs)
		return -ENOMEM;
	for (i = 0, off = start; i < mrs->nmrs; i++, off += span) {
		struct kpmem_target_mr *m = &mrs->mrs[i];
		struct ib_mr *mr;

		m->offset = off;
		m->length = min(span, end - off);
		mr = ib_alloc_mr(pd, IB_MR_TYPE_MEM_REG, max_pages);
		if (IS_ERR(mr))
			return PTR_ERR(mr);
		kpmem_live_inc(KPMEM_LIVE_TARGET_MRS);
		m->mr = mr;
		ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey) & 0xff);
		ret = kpmem_target_mr_map(mrs, m, exp, page_size);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * kpmem_target_mrs_register() - register pool bytes [start, end) of @exp
 * @mrs: an empty set (kpmem_target_mrs_init())
 * @pd: the connection's protection domain
 * @qp: the connection's queue pair, which carries the registrations
 * @exp: a device DAX export (its pages pinned)
 * @start: first pool byte, page aligned
 * @end: end of the pool, page aligned, within the export
 * @budget: send queue entries free for registration work requests
 *
 * Sleeps; not from the connection's completion context, which must run to
 * complete the registrations.
 *
 * Return: 0, or a negative errno with @mrs empty again.
 */
int kpmem_target_mrs_register(struct kpmem_target_mrs *mrs, struct ib_pd *pd,
			      struct ib_qp *qp, struct kpmem_export *exp, u64 start, u64 end,
			      u32 budget)
{
	const struct ib_device_attr *attrs = &mrs->dev->attrs;
	u32 max_pages = min_t(u32, attrs->max_fast_reg_page_list_len, SZ_64K);
	int ret = -EINVAL;

	if (!exp->pages || start >= end || max_pages < 2 || !budget)
		return -EOPNOTSUPP;
	if (attrs->page_size_cap & SZ_2M) {
		ret = kpmem_target_mrs_build(mrs, pd, exp, start, end, SZ_2M, max_pages);
		if (ret)
			kpmem_target_mrs_free(mrs);
	}
	if (ret && attrs->page_size_cap & PAGE_SIZE) {
		ret = kpmem_target_mrs_build(mrs, pd, exp, start, end, PAGE_SIZE, max_pages);
		if (ret)
			kpmem_target_mrs_free(mrs);
	}
	if (!ret) {
		ret = kpmem_target_mrs_post(mrs, qp, budget);
		/* A stuck registration is freed after the queue pair is drained. */
		if (ret && !mrs->reg_stuck)
			kpmem_target_mrs_free(mrs);
	}
	return ret;
}

/**
 * kpmem_target_mrs_describe() - the segments to send to the initiator
 * @mrs: a registered set
 * @segs: room for @mrs->nmrs entries
 */
void kpmem_target_mrs_describe(const struct kpmem_target_mrs *mrs, struct kpmem_wire_seg *segs)
{
	u32 i;

	for (i = 0; i < mrs->nmrs; i++) {
		const struct kpmem_target_mr *m = &mrs->mrs[i];

		segs[i].offset = cpu_to_le64(m->offset);
		segs[i].length = cpu_to_le64(m->length);
		segs[i].addr = cpu_to_le64(m->mr->iova);
		segs[i].rkey = cpu_to_le32(m->mr->rkey);
		segs[i].reserved = 0;
	}
}
