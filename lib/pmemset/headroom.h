/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address-space headroom after part maps the library places itself, so
 * later parts can be coalesced onto them.
 *
 * Without it coalescing would rarely work: the kernel hands out addresses
 * top-down, so the range right after a new mapping is normally taken by an
 * older one.  Each part map placed without a config reservation therefore
 * goes at the start of a private PROT_NONE reservation (kpmem's RESERVED
 * placement) whose rest stays free for parts that extend it.  A removed part's
 * range is given back (unmapped: PMDK releases it too, and an application
 * may map there), which splits or shortens its region; a region, or what is
 * left of one, is unmapped when no part is in it any more.
 */
#ifndef PMEMSET_HEADROOM_H
#define PMEMSET_HEADROOM_H

#include <stdbool.h>
#include <stdint.h>

#include "set.h"

/* Address space reserved after each part map for coalescing. */
#define PMEMSET_HEADROOM (1ULL << 30)

struct pmemset_headroom {
	struct pmemset_headroom *next;
	uint64_t start;
	uint64_t len;
};

/* Reserve a region for a new @len-byte part map aligned to @align (lock held). */
int headroom_new(struct pmemset *set, uint64_t len, uint64_t align, uint64_t *addr);

/* Is [addr, addr + len) inside one of the set's regions? (lock held) */
bool headroom_covers(struct pmemset *set, uint64_t addr, uint64_t len);

/*
 * A part at [addr, addr + len) was removed (the kernel put a reservation
 * back over it): unmap the share of our regions, splitting a region in two
 * when the hole is in its middle (lock held).
 */
void headroom_release(struct pmemset *set, uint64_t addr, uint64_t len);

/* Unmap regions no part uses any more (lock held, parts list up to date). */
void headroom_prune(struct pmemset *set);

#endif /* PMEMSET_HEADROOM_H */
