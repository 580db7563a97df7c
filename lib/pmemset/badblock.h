/* SPDX-License-Identifier: BSD-3-Clause */
/* Bad blocks found before mapping a source. */
#ifndef PMEMSET_BADBLOCK_H
#define PMEMSET_BADBLOCK_H

#include "set.h"

struct pmemset_source;

/**
 * pmemset_badblock_scan() - fire BADBLOCK for each bad block of @src
 *
 * Called by pmemset_map() when detection is on.  If there were bad blocks,
 * the source is scanned again: none left fires BADBLOCKS_CLEARED (whose
 * callback result is returned), some left fails with IO_FAIL.
 */
int pmemset_badblock_scan(struct pmemset *set, struct pmemset_source *src);

#endif /* PMEMSET_BADBLOCK_H */
