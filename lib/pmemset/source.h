/* SPDX-License-Identifier: BSD-3-Clause */
/* What a pmemset_source holds, shared by mapping, SDS and bad-block code. */
#ifndef PMEMSET_SOURCE_H
#define PMEMSET_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "libpmemset.h"

enum pmemset_source_type {
	PMEMSET_SOURCE_PMEM2,	/* the user's pmem2_source; we only borrow it */
	PMEMSET_SOURCE_FILE,	/* a file we opened */
	PMEMSET_SOURCE_TEMP,	/* an unnamed file we created; gone when closed */
};

struct pmemset_source {
	enum pmemset_source_type type;
	struct pmem2_source *pmem2;	/* borrowed (PMEM2) or ours */
	int fd;				/* the source's file, handed to the kernel */
	uint64_t file_flags;		/* PMEMSET_SOURCE_FILE_DO_NOT_GROW */
	bool badblock_detection;
	struct pmemset_sds *sds;	/* heap copy, NULL until set_sds */
	enum pmemset_part_state *state_ptr;
	int nparts;			/* parts mapped from it (SDS "already open") */
	/*
	 * Lifetime: one reference for the user, one per mapped part.  A source
	 * the user deletes while parts still use it is closed at once but
	 * freed with its last part, because SDS bookkeeping at removal needs it.
	 */
	int refs;
};

/* A part starts using @src. */
void pmemset_source_get(struct pmemset_source *src);
/* A part stops using @src; frees it when that was the last reference. */
void pmemset_source_put(struct pmemset_source *src);

/* The fd the kernel should map, or -1 when the source cannot be mapped. */
static inline int pmemset_source_fd(const struct pmemset_source *src)
{
	return src->fd;
}

#endif /* PMEMSET_SOURCE_H */
