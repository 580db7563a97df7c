/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels kpmem supports (Debian 6.1 and 6.12)
 * is absorbed here, so that the rest of the module is written against one
 * API.  Tests are on the features themselves where a header tells, on the
 * kernel version otherwise.
 */
#ifndef KPMEM_COMPAT_H
#define KPMEM_COMPAT_H

#include <linux/version.h>

/*
 * io_uring commands: 6.12 has <linux/io_uring/cmd.h>, the SQE in the
 * command and cancelable commands; 6.1 hands over the command area only.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#include <linux/io_uring/cmd.h>

static inline const void *kpmem_uring_cmd_area(const struct io_uring_cmd *cmd)
{
	return io_uring_sqe_cmd(cmd->sqe);
}

#define KPMEM_URING_F_CANCEL	IO_URING_F_CANCEL
#define kpmem_uring_cmd_mark_cancelable(cmd, issue_flags) \
	io_uring_cmd_mark_cancelable(cmd, issue_flags)
#else
#include <linux/io_uring.h>

static inline const void *kpmem_uring_cmd_area(const struct io_uring_cmd *cmd)
{
	return cmd->cmd;
}

#define KPMEM_URING_F_CANCEL	0
static inline void kpmem_uring_cmd_mark_cancelable(struct io_uring_cmd *cmd,
						   unsigned int issue_flags)
{
}
#endif

/* Tracepoints: 6.10 made __assign_str() take the field alone. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define kpmem_assign_str(dst, src)	do { (void)(src); __assign_str(dst); } while (0)
#else
#define kpmem_assign_str(dst, src)	__assign_str(dst, src)
#endif

/*
 * Soft-RoCE teardown (rpmem_qp_drain.c).  Since 6.4's rewrite of
 * rxe_task.c every run of a QP's tasks goes through one state machine, and
 * moving the QP to RESET drains them (rxe_disable_task()) before anything
 * is reset: kpmem_qp_drain() relies on that.  Before (6.1), a packet's
 * arrival may run the responder inline (rxe_run_task(task, 0)) beside the
 * reset, which tasklet_disable() does not stop; and 6.1's responder
 * flushes when it finds the QP in error instead of re-running the packet,
 * so the plain drain is the one to use there.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define KPMEM_RXE_RESET_QUIESCES	true
#else
#define KPMEM_RXE_RESET_QUIESCES	false
#endif

#endif /* KPMEM_COMPAT_H */
