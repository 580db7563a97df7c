// SPDX-License-Identifier: GPL-2.0
/*
 * Debug builds only (debug_hook.h): stall points that tests set through
 * debugfs to widen race windows.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kprobes.h>
#include <rdma/ib_verbs.h>

#include "debug_hook.h"

static const char *const kpmem_debug_names[KPMEM_DBG_NR] = {
	[KPMEM_DBG_TARGET_ACCEPT] = "target_accept",
	[KPMEM_DBG_TARGET_HELLO] = "target_hello",
	[KPMEM_DBG_TARGET_DRAIN] = "target_drain",
	[KPMEM_DBG_TARGET_RELEASE] = "target_release",
	[KPMEM_DBG_POOL_SETUP] = "pool_setup",
	[KPMEM_DBG_POOL_HELLO] = "pool_hello",
	[KPMEM_DBG_POOL_QUIESCE] = "pool_quiesce",
	[KPMEM_DBG_RXE_RECV_DONE] = "rxe_recv_done",
};

static u32 kpmem_debug_delay_ms[KPMEM_DBG_NR];
static u32 kpmem_debug_hits[KPMEM_DBG_NR];
static struct dentry *kpmem_debug_dir;

/**
 * kpmem_debug_point() - pass a stall point
 * @point: which
 *
 * Counts the pass, then sleeps for the point's delay, if one is set.
 * Callers are in process context.
 */
void kpmem_debug_point(enum kpmem_debug_point point)
{
	u32 ms = READ_ONCE(kpmem_debug_delay_ms[point]);

	WRITE_ONCE(kpmem_debug_hits[point], READ_ONCE(kpmem_debug_hits[point]) + 1);
	if (ms) {
		pr_info("debug point %s: stalling %u ms\n", kpmem_debug_names[point], ms);
		msleep(ms);
	}
}

/*
 * rxe_recv_done is a point in Soft-RoCE, not in kpmem: its responder posts
 * a receive's completion (rxe_cq_post()) and only then finishes the packet,
 * a window in which moving the QP to error crashed 6.12's rdma_rxe
 * (kpmem_qp_drain()).  A kretprobe holds the device there, on the way out
 * of rxe_cq_post(), for a successful receive of exactly
 * rxe_recv_done/bytes bytes, so that a test can make kpmem tear the
 * connection down inside the window.  The probe runs with preemption off
 * (in 6.1's tasklet, in softirq context): it busy-waits.
 *
 * The completion is a struct ib_wc for kernel consumers; a user CQ's
 * struct ib_uverbs_wc has status, opcode and byte_len at the same offsets.
 */
static u32 kpmem_debug_rxe_bytes;

static int kpmem_debug_rxe_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct ib_wc *wc = (const struct ib_wc *)regs_get_kernel_argument(regs, 1);
	u32 bytes = READ_ONCE(kpmem_debug_rxe_bytes);

	/* Non-zero: no return probe for this call. */
	return !READ_ONCE(kpmem_debug_delay_ms[KPMEM_DBG_RXE_RECV_DONE]) || !bytes ||
	       wc->status != IB_WC_SUCCESS || wc->opcode != IB_WC_RECV || wc->byte_len != bytes;
}

static int kpmem_debug_rxe_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	u32 ms = READ_ONCE(kpmem_debug_delay_ms[KPMEM_DBG_RXE_RECV_DONE]);

	WRITE_ONCE(kpmem_debug_hits[KPMEM_DBG_RXE_RECV_DONE],
		   READ_ONCE(kpmem_debug_hits[KPMEM_DBG_RXE_RECV_DONE]) + 1);
	pr_info("debug point rxe_recv_done: holding the device %u ms\n", ms);
	while (ms--)
		mdelay(1);
	return 0;
}

static struct kretprobe kpmem_debug_rxe_probe = {
	.kp.symbol_name = "rxe_cq_post",
	.entry_handler = kpmem_debug_rxe_entry,
	.handler = kpmem_debug_rxe_return,
};

static bool kpmem_debug_rxe_probed;

int kpmem_debug_init(void)
{
	int i;

	kpmem_debug_dir = debugfs_create_dir("kpmem", NULL);
	for (i = 0; i < KPMEM_DBG_NR; i++) {
		struct dentry *d = debugfs_create_dir(kpmem_debug_names[i], kpmem_debug_dir);

		debugfs_create_u32("delay_ms", 0600, d, &kpmem_debug_delay_ms[i]);
		debugfs_create_u32("hits", 0600, d, &kpmem_debug_hits[i]);
		if (i == KPMEM_DBG_RXE_RECV_DONE)
			debugfs_create_u32("bytes", 0600, d, &kpmem_debug_rxe_bytes);
	}
	/* rdma_rxe must be loaded first; without it the point is never passed. */
	kpmem_debug_rxe_probed = !register_kretprobe(&kpmem_debug_rxe_probe);
	if (!kpmem_debug_rxe_probed)
		pr_info("debug point rxe_recv_done: rdma_rxe not loaded, not armed\n");
	pr_warn("debug build: stall points in /sys/kernel/debug/kpmem\n");
	return 0;
}

void kpmem_debug_exit(void)
{
	if (kpmem_debug_rxe_probed)
		unregister_kretprobe(&kpmem_debug_rxe_probe);
	debugfs_remove_recursive(kpmem_debug_dir);
}
