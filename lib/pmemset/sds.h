/* SPDX-License-Identifier: BSD-3-Clause */
/* Shutdown data state: is it safe to trust what a source holds? */
#ifndef PMEMSET_SDS_H
#define PMEMSET_SDS_H

#include "set.h"

struct pmemset_source;

/**
 * pmemset_sds_check() - the state of @src's device before mapping a part
 * @src: a source with an SDS
 * @state: receives the part state
 *
 * Compares the device's id and unsafe shutdown count with the SDS copy and
 * refreshes the copy where that is safe.  Return: 0, SDS_NOSUPP when the
 * device reports no unsafe shutdown count, SDS_DEVICE_ID_LEN_TOO_BIG, or
 * another libpmem2 failure.
 */
int pmemset_sds_check(struct pmemset_source *src, enum pmemset_part_state *state);

/* A part of @src was mapped: count it and fire SDS_UPDATE (no lock held). */
void pmemset_sds_register(struct pmemset *set, struct pmemset_source *src);

/* A part of @src was removed: uncount it and fire SDS_UPDATE (no lock held). */
void pmemset_sds_unregister(struct pmemset *set, struct pmemset_source *src);

#endif /* PMEMSET_SDS_H */
