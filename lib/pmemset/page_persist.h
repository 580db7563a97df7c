/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Persistence for page-granularity sets (parts in the page cache).
 *
 * libpmem2 1.12's page-granularity functions find their range through the
 * map's reserved length, which is zero for maps made by
 * pmem2_map_from_existing(): they spin forever calling msync(addr, 0).  So
 * these sets msync the parts themselves, and their memory operations are
 * libc's followed by that msync.
 */
#ifndef PMEMSET_PAGE_PERSIST_H
#define PMEMSET_PAGE_PERSIST_H

#include <stddef.h>

#include "set.h"

/* msync(MS_SYNC) every part's share of [ptr, ptr + size). */
void page_persist(struct pmemset *set, const void *ptr, size_t size);

void *page_memmove(struct pmemset *set, void *dest, const void *src, size_t len, unsigned flags);
void *page_memcpy(struct pmemset *set, void *dest, const void *src, size_t len, unsigned flags);
void *page_memset(struct pmemset *set, void *dest, int c, size_t len, unsigned flags);

#endif /* PMEMSET_PAGE_PERSIST_H */
