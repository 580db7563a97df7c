/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RDMA devices as kpmem sees them: one ib_client, so that a device going
 * away has one owner, which tears down every target connection and every
 * pool on it before rdma_cm and the device itself go (ib_core removes
 * clients in the reverse order of their registration, and kpmem registers
 * after rdma_cm).
 */
#ifndef KPMEM_RPMEM_IBDEV_H
#define KPMEM_RPMEM_IBDEV_H

#include <linux/types.h>

struct ib_device;
struct ib_qp;

int kpmem_ibdev_init(void);
void kpmem_ibdev_exit(void);
bool kpmem_ibdev_dying(struct ib_device *dev);

/* Teardown's ib_drain_qp(), safe against rxe's receive processing (rpmem_qp_drain.c). */
void kpmem_qp_drain(struct ib_qp *qp, u32 port_num);

/* What each side does when a device goes (process context, may sleep). */
void kpmem_target_remove_device(struct ib_device *dev);
void kpmem_pools_remove_device(struct ib_device *dev);

#endif /* KPMEM_RPMEM_IBDEV_H */
