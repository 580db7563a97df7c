/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * kpmem extensions of librpmem, outside PMDK's API (symbol version
 * KPMEM_RPMEM_1.0, so the LIBRPMEM_1.0 node stays exactly PMDK's).
 */
#ifndef LIBRPMEM_KPMEM_H
#define LIBRPMEM_KPMEM_H 1

#include <librpmem.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * rpmem_pool_fd() - the kpmem pool file descriptor behind @rpp
 * @rpp: an open pool
 *
 * For submitting the pool's KPMEM_POOL_IOC_* commands directly (e.g.
 * through io_uring).  The descriptor stays owned by @rpp: do not close it;
 * rpmem_close() does.
 *
 * Return: the descriptor, or -1 with errno EINVAL when @rpp is NULL.
 */
int rpmem_pool_fd(RPMEMpool *rpp);

#ifdef __cplusplus
}
#endif

#endif /* LIBRPMEM_KPMEM_H */
