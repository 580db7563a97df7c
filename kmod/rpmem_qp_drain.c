// SPDX-License-Identifier: GPL-2.0
/*
 * Draining a queue pair at teardown without racing the device's receive
 * processing (rpmem_ibdev.h).
 *
 * ib_drain_qp() moves the QP to error and waits for the flushes.  Soft-RoCE
 * cannot take that transition while its responder is inside a packet:
 * 6.12's rdma_rxe posts a receive's completion, then looks at the QP state
 * once more and, finding it in error, runs the same packet again without a
 * receive WR, which for the last packet of a multi-packet SEND dereferences
 * NULL (copy_data() from rxe_receiver()).  The peer decides when its
 * packets arrive, so a teardown can meet one at any time: a completion
 * handler that refuses a message, a DREQ right behind a request.
 *
 * rxe's RESET transition disables its tasks, which waits for the responder
 * to leave the packet it is in, and the responder never re-runs a packet
 * for RESET; in RESET the device drops what the peer still sends.  So on
 * rxe the drain goes RESET, INIT (error cannot be reached from RESET),
 * then the usual ib_drain_qp().  What was posted before the RESET may be
 * discarded without a completion; callers free those buffers after the
 * drain either way, and nothing of kpmem waits for such a completion
 * without a timeout or a pool failure to end the wait.  Only where the
 * RESET is known to drain rxe's tasks (KPMEM_RXE_RESET_QUIESCES, compat.h);
 * other devices, and rxe on 6.1, keep the plain drain.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <rdma/ib_verbs.h>

#include "compat.h"
#include "rpmem_ibdev.h"

/* Let rxe's responder finish its packet, then leave @qp in INIT (or in error). */
static void kpmem_rxe_quiesce(struct ib_qp *qp, u32 port_num)
{
	struct ib_qp_init_attr init;
	struct ib_qp_attr attr = { .qp_state = IB_QPS_RESET };
	int ret;

	ret = ib_modify_qp(qp, &attr, IB_QP_STATE);
	if (ret) {
		pr_warn_ratelimited("cannot reset queue pair %u before draining it (%d)\n",
				    qp->qp_num, ret);
		return;
	}
	/* The responder may have put the QP in error itself on its way out. */
	if (ib_query_qp(qp, &attr, IB_QP_STATE, &init) || attr.qp_state != IB_QPS_RESET)
		return;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IB_QPS_INIT;
	attr.port_num = port_num;
	ret = ib_modify_qp(qp, &attr,
			   IB_QP_STATE | IB_QP_PKEY_INDEX | IB_QP_PORT | IB_QP_ACCESS_FLAGS);
	if (ret)
		pr_warn_ratelimited("cannot move queue pair %u from reset to init (%d)\n",
				    qp->qp_num, ret);
}

/**
 * kpmem_qp_drain() - ib_drain_qp() that no device packet straddles
 * @qp: the queue pair, nothing posted to it any more by its owner
 * @port_num: its port (for rxe's INIT transition)
 *
 * Process context.  Afterwards the device uses none of @qp's buffers and
 * every completion handler of its CQ has returned; only if rxe refused the
 * way from RESET to INIT (logged) are handlers left to ib_free_cq().
 */
void kpmem_qp_drain(struct ib_qp *qp, u32 port_num)
{
	if (KPMEM_RXE_RESET_QUIESCES && qp->device->ops.driver_id == RDMA_DRIVER_RXE) {
		struct ib_qp_init_attr init;
		struct ib_qp_attr attr;

		kpmem_rxe_quiesce(qp, port_num);
		/* Error is unreachable from RESET; what RESET discarded needs no flush. */
		if (!ib_query_qp(qp, &attr, IB_QP_STATE, &init) && attr.qp_state == IB_QPS_RESET)
			return;
	}
	ib_drain_qp(qp);
}
