/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What librpmem keeps per open pool.  The kernel owns the connection; the
 * library keeps what it needs to validate arguments without a syscall.
 */
#ifndef RPMEM_POOL_H
#define RPMEM_POOL_H

#include <stddef.h>

#include <linux/kpmem.h>

#include "librpmem.h"

struct rpmem_pool {
	int fd;			/* the kpmem pool file descriptor */
	size_t pool_size;	/* as passed to create/open */
	unsigned nlanes;	/* granted by the module */
	size_t hdr_size;	/* 0 (NOHDRS) or KPMEM_POOL_HDR_SIZE */
	/*
	 * The first connection failure a data-path call saw.  The module keeps
	 * it too; keeping it here answers later calls without a syscall,
	 * like PMDK's rpp->error.
	 */
	int error;
	struct rpmem_flush_ring *rings;	/* per lane (flush_ring.c); NULL: ioctls */
};

/*
 * Lanes are used from several threads without locks (PMDK's contract), so
 * the sticky error is read and written atomically.
 */
static inline int rpmem_pool_error(const struct rpmem_pool *rpp)
{
	return __atomic_load_n(&rpp->error, __ATOMIC_RELAXED);
}

static inline void rpmem_pool_set_error(struct rpmem_pool *rpp, int err)
{
	int none = 0;

	/* The first failure is the one worth reporting. */
	__atomic_compare_exchange_n(&rpp->error, &none, err, 0, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
}

/* attr.c: struct rpmem_pool_attr <-> struct kpmem_pool_attr */
void rpmem_attr_to_kpmem(struct kpmem_pool_attr *dst, const struct rpmem_pool_attr *src);
void rpmem_attr_from_kpmem(struct rpmem_pool_attr *dst, const struct kpmem_pool_attr *src);
/** rpmem_attr_is_zero() - true for NULL or an all-zero @attr (a pool without header) */
int rpmem_attr_is_zero(const struct rpmem_pool_attr *attr);

#endif /* RPMEM_POOL_H */
