/* SPDX-License-Identifier: BSD-3-Clause */
/* rpmem_flush/rpmem_drain batched through an io_uring per lane. */
#ifndef RPMEM_FLUSH_RING_H
#define RPMEM_FLUSH_RING_H

#include <stddef.h>

#include "pool.h"

struct rpmem_flush_ring;

struct rpmem_flush_ring *rpmem_flush_rings_new(unsigned nlanes);
void rpmem_flush_rings_free(struct rpmem_flush_ring *rings, unsigned nlanes);
int rpmem_flush_ring_queue(const char *fn, struct rpmem_pool *rpp, size_t offset, size_t length,
			   unsigned lane, unsigned kflags);
int rpmem_flush_ring_persist(const char *fn, struct rpmem_pool *rpp, size_t offset,
			     size_t length, unsigned lane, unsigned kflags);
int rpmem_flush_ring_complete(const char *fn, struct rpmem_pool *rpp, unsigned lane);
int rpmem_flush_ring_drain(const char *fn, struct rpmem_pool *rpp, unsigned lane);

#endif /* RPMEM_FLUSH_RING_H */
