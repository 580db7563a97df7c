/* SPDX-License-Identifier: GPL-2.0 */
/* rpmem target: an export's memory registered for one connection. */
#ifndef KPMEM_RPMEM_TARGET_MR_H
#define KPMEM_RPMEM_TARGET_MR_H

#include <linux/completion.h>
#include <linux/scatterlist.h>
#include <rdma/ib_verbs.h>

struct kpmem_export;
struct kpmem_wire_seg;

/* Pool bytes [offset, offset + length) mapped by @mr. */
struct kpmem_target_mr {
	struct ib_mr *mr;
	struct sg_table sgt;
	bool mapped;			/* @sgt is DMA-mapped */
	u64 offset;
	u64 length;
};

struct kpmem_target_mrs {
	struct ib_device *dev;
	u32 nmrs;
	struct kpmem_target_mr *mrs;
	struct ib_cqe reg_cqe;
	struct completion reg_done;
	int reg_status;
	bool reg_stuck;			/* a registration never completed */
};

void kpmem_target_mrs_init(struct kpmem_target_mrs *mrs, struct ib_device *dev);
int kpmem_target_mrs_register(struct kpmem_target_mrs *mrs, struct ib_pd *pd,
			      struct ib_qp *qp, struct kpmem_export *exp, u64 start, u64 end,
			      u32 budget);
void kpmem_target_mrs_describe(const struct kpmem_target_mrs *mrs, struct kpmem_wire_seg *segs);
void kpmem_target_mrs_free(struct kpmem_target_mrs *mrs);

#endif /* KPMEM_RPMEM_TARGET_MR_H */
