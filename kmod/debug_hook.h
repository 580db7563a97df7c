/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Points where a debug build of kpmem can be told to stall, so that tests
 * provoke the races of teardown and device removal on purpose instead of
 * hoping for them.  A release build has none: the calls compile to
 * nothing (KPMEM_DEBUG_HOOKS is set only by scripts/build-kmod's debug
 * variant, whose module is never installed).
 *
 * In a debug build, /sys/kernel/debug/kpmem/<point>/delay_ms makes the
 * next passes through <point> sleep that long, and
 * /sys/kernel/debug/kpmem/<point>/hits counts the passes, so that a test
 * knows when a thread is inside the window it widened.
 */
#ifndef KPMEM_DEBUG_HOOK_H
#define KPMEM_DEBUG_HOOK_H

enum kpmem_debug_point {
	KPMEM_DBG_TARGET_ACCEPT,	/* a connection listed, before its accept is sent */
	KPMEM_DBG_TARGET_HELLO,		/* HELLO work, before it looks up the export */
	KPMEM_DBG_TARGET_DRAIN,		/* release work, before the QP is drained */
	KPMEM_DBG_TARGET_RELEASE,	/* release work, QP drained, before it is freed */
	KPMEM_DBG_POOL_SETUP,		/* pool connect, QP made, before the connect request */
	KPMEM_DBG_POOL_HELLO,		/* pool connect, connected, before HELLO */
	KPMEM_DBG_POOL_QUIESCE,		/* pool teardown, QP drained, before it is freed */
	KPMEM_DBG_RXE_RECV_DONE,	/* rdma_rxe, a receive's completion posted (debug_hook.c) */
	KPMEM_DBG_NR
};

#ifdef KPMEM_DEBUG_HOOKS
void kpmem_debug_point(enum kpmem_debug_point point);
int kpmem_debug_init(void);
void kpmem_debug_exit(void);
#else
static inline void kpmem_debug_point(enum kpmem_debug_point point)
{
}

static inline int kpmem_debug_init(void)
{
	return 0;
}

static inline void kpmem_debug_exit(void)
{
}
#endif

#endif /* KPMEM_DEBUG_HOOK_H */
