/* SPDX-License-Identifier: BSD-3-Clause */
/* struct pmemset: what the library keeps next to the kernel's set. */
#ifndef PMEMSET_SET_H
#define PMEMSET_SET_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "libpmemset.h"

struct pmemset_part;
struct pmemset_part_map;
struct pmemset_headroom;

/* The persistence functions libpmem2 picked for the first mapped part. */
struct pmemset_fns {
	pmem2_persist_fn persist;
	pmem2_flush_fn flush;
	pmem2_drain_fn drain;
	pmem2_memmove_fn memmove;
	pmem2_memcpy_fn memcpy;
	pmem2_memset_fn memset;
};

struct pmemset {
	int dev_fd;			/* /dev/kpmem */
	int set_fd;			/* the kernel's set */

	/* copied from the config at pmemset_new(); later changes do not apply */
	enum pmem2_granularity required_gran;
	struct pmem2_vm_reservation *rsv;
	pmemset_event_callback *callback;
	void *callback_arg;
	uint64_t acceptable_states;

	/*
	 * Guards everything below: parts, part-map objects, the previous
	 * part map, the effective granularity, and every kernel call that
	 * changes the set (so the kernel's index and ours change together).
	 */
	pthread_mutex_t lock;
	enum pmemset_coalescing coalescing;
	/*
	 * The part map last mapped into ("previous" for coalescing): its id,
	 * and an address in it in case the kernel renumbers it when trimmed.
	 */
	uint64_t prev_pmap_id;		/* 0: none */
	uint64_t prev_last;		/* its last byte */
	bool gran_known;
	enum pmem2_granularity effective_gran;
	struct pmemset_part *parts;	/* by address */
	struct pmemset_part_map *pmaps;	/* objects handed to the user, by id */
	struct pmemset_headroom *headroom;	/* our reservations, see headroom.h */

	/*
	 * Set once by the first mapping, read without the lock afterwards.
	 * Page-granularity sets do not use libpmem2's functions (see
	 * page_persist.c), the others use all of them.
	 */
	bool fns_ready;
	bool page_gran;
	struct pmemset_fns fns;
};

static inline void set_lock(struct pmemset *set)
{
	pthread_mutex_lock(&set->lock);
}

static inline void set_unlock(struct pmemset *set)
{
	pthread_mutex_unlock(&set->lock);
}

#endif /* PMEMSET_SET_H */
