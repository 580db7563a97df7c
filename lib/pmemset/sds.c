// SPDX-License-Identifier: BSD-3-Clause
/*
 * Shutdown data state (SDS).  The user's struct pmemset_sds is copied at
 * pmemset_source_set_sds(); the copy records the device id, its unsafe
 * shutdown count (USC) and how many mappings use it.  Mapping a part compares
 * it with the device:
 *   base state: mapped by someone (refcount > 0) and by this process
 *   (source has parts) -> OK_BUT_ALREADY_OPEN; refcount > 0 but no part ->
 *   OK_BUT_INTERRUPTED (a previous user did not unmap cleanly); else OK.
 *   same id, USC changed: in use -> CORRUPTED, not in use -> USC refreshed.
 *   other id: not in use -> re-initialised, in use -> INDETERMINATE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "event.h"
#include "sds.h"
#include "source.h"

int pmemset_source_set_sds(struct pmemset_source *src, struct pmemset_sds *sds,
			   enum pmemset_part_state *state_ptr)
{
	struct pmemset_sds *copy;

	if (!src)
		return pmemset_err(-EINVAL, "pmemset_source_set_sds: source is NULL");
	if (!sds)
		return pmemset_err(-EINVAL, "pmemset_source_set_sds: sds is NULL");
	if (src->sds)
		return pmemset_err(PMEMSET_E_SDS_ALREADY_SET, "the source already has a shutdown data state");
	copy = malloc(sizeof(*copy));
	if (!copy)
		return pmemset_err(-ENOMEM, "cannot allocate the shutdown data state copy");
	memcpy(copy, sds, sizeof(*copy));
	copy->id[PMEMSET_SDS_DEVICE_ID_LEN] = '\0';
	src->sds = copy;
	src->state_ptr = state_ptr;
	return 0;
}

static int read_device(struct pmemset_source *src, char *id, uint64_t *usc)
{
	size_t len = 0;
	int ret;

	ret = pmem2_source_device_usc(src->pmem2, usc);
	if (ret == PMEM2_E_NOSUPP)
		return pmemset_err(PMEMSET_E_SDS_NOSUPP,
				   "the source's device reports no unsafe shutdown count: %s", pmem2_errormsg());
	if (ret)
		return pmemset_err_pmem2(ret, 0, "reading the unsafe shutdown count");

	ret = pmem2_source_device_id(src->pmem2, NULL, &len);
	if (ret == PMEM2_E_NOSUPP)
		return pmemset_err(PMEMSET_E_SDS_NOSUPP, "the source's device has no id: %s", pmem2_errormsg());
	if (ret)
		return pmemset_err_pmem2(ret, 0, "reading the device id length");
	/* len counts the terminating NUL */
	if (len > PMEMSET_SDS_DEVICE_ID_LEN + 1)
		return pmemset_err(PMEMSET_E_SDS_DEVICE_ID_LEN_TOO_BIG,
				   "device id is %zu bytes, at most %zu fit", len - 1, PMEMSET_SDS_DEVICE_ID_LEN);
	ret = pmem2_source_device_id(src->pmem2, id, &len);
	if (ret)
		return pmemset_err_pmem2(ret, 0, "reading the device id");
	return 0;
}

int pmemset_sds_check(struct pmemset_source *src, enum pmemset_part_state *state)
{
	struct pmemset_sds *sds = src->sds;
	char id[PMEMSET_SDS_DEVICE_ID_LEN + 1] = "";
	uint64_t usc;
	enum pmemset_part_state st;
	int ret;

	if (!src->pmem2)
		return pmemset_err(PMEMSET_E_INVALID_SOURCE_TYPE, "the source was deleted");
	ret = read_device(src, id, &usc);
	if (ret)
		return ret;

	if (sds->refcount > 0 && __atomic_load_n(&src->nparts, __ATOMIC_ACQUIRE) > 0)
		st = PMEMSET_PART_STATE_OK_BUT_ALREADY_OPEN;
	else if (sds->refcount > 0)
		st = PMEMSET_PART_STATE_OK_BUT_INTERRUPTED;
	else
		st = PMEMSET_PART_STATE_OK;

	if (strcmp(id, sds->id) == 0) {
		if (usc != sds->usc) {
			if (sds->refcount != 0)
				st = PMEMSET_PART_STATE_CORRUPTED;
			else
				sds->usc = usc;
		}
	} else if (sds->refcount == 0) {
		strcpy(sds->id, id);
		sds->usc = usc;
	} else {
		st = PMEMSET_PART_STATE_INDETERMINATE;
	}
	*state = st;
	return 0;
}

static void sds_update(struct pmemset *set, struct pmemset_source *src)
{
	struct pmemset_event_context ctx = { .type = PMEMSET_EVENT_SDS_UPDATE };

	ctx.data.sds_update.sds = src->sds;
	ctx.data.sds_update.src = src;
	pmemset_event_fire(set, &ctx);
}

void pmemset_sds_register(struct pmemset *set, struct pmemset_source *src)
{
	__atomic_add_fetch(&src->sds->refcount, 1, __ATOMIC_ACQ_REL);
	sds_update(set, src);
}

void pmemset_sds_unregister(struct pmemset *set, struct pmemset_source *src)
{
	__atomic_sub_fetch(&src->sds->refcount, 1, __ATOMIC_ACQ_REL);
	sds_update(set, src);
}
