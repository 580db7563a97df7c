// SPDX-License-Identifier: BSD-3-Clause
/* Sets: creation (a kernel set per pmemset), deletion, set-wide settings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "headroom.h"
#include "kernel.h"
#include "part.h"
#include "part_map.h"
#include "set.h"

int pmemset_new(struct pmemset **set, struct pmemset_config *cfg)
{
	struct pmemset *s;
	int ret;

	if (!set)
		return pmemset_err(-EINVAL, "pmemset_new: set pointer is NULL");
	*set = NULL;
	if (!cfg)
		return pmemset_err(-EINVAL, "pmemset_new: config is NULL");
	if (!cfg->granularity_set)
		return pmemset_err(PMEMSET_E_GRANULARITY_NOT_SET,
				   "please define the max granularity requested for the mapping");

	s = calloc(1, sizeof(*s));
	if (!s)
		return pmemset_err(-ENOMEM, "cannot allocate the set");
	ret = pthread_mutex_init(&s->lock, NULL);
	if (ret) {
		free(s);
		return pmemset_err(-ret, "cannot initialise the set lock: %s", strerror(ret));
	}
	ret = kset_open(&s->dev_fd, &s->set_fd);
	if (ret) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return ret;
	}
	s->required_gran = cfg->granularity;
	s->rsv = cfg->rsv;
	s->callback = cfg->callback;
	s->callback_arg = cfg->callback_arg;
	s->acceptable_states = cfg->acceptable_states;
	s->coalescing = PMEMSET_COALESCING_NONE;
	*set = s;
	return 0;
}

int pmemset_delete(struct pmemset **set)
{
	struct pmemset *s;
	struct pmemset_part *p, *all;

	if (!set || !*set)
		return 0;
	s = *set;

	/*
	 * Unmap every part regardless of references and without PART_REMOVE,
	 * as PMDK does; SDS records are still unregistered (SDS_UPDATE).
	 * Closing the set alone would leave the mappings in place.
	 */
	set_lock(s);
	for (p = s->parts; p; p = p->next)
		kset_part_remove(s->set_fd, (uintptr_t)p->addr, p->len);
	all = parts_take_all(s);
	pmaps_free_all(s);
	headroom_prune(s);	/* no parts left: every region goes */
	set_unlock(s);
	parts_release(s, all);

	close(s->set_fd);
	close(s->dev_fd);
	pthread_mutex_destroy(&s->lock);
	free(s);
	*set = NULL;
	return 0;
}

int pmemset_get_store_granularity(struct pmemset *set, enum pmem2_granularity *g)
{
	int ret = 0;

	if (!set)
		return pmemset_err(-EINVAL, "pmemset_get_store_granularity: set is NULL");
	if (!g)
		return pmemset_err(-EINVAL, "pmemset_get_store_granularity: granularity pointer is NULL");
	set_lock(set);
	if (set->gran_known)
		*g = set->effective_gran;
	else
		ret = pmemset_err(PMEMSET_E_NO_PART_MAPPED,
				  "no part has been mapped yet: the set has no effective granularity");
	set_unlock(set);
	return ret;
}

int pmemset_set_contiguous_part_coalescing(struct pmemset *set, enum pmemset_coalescing value)
{
	if (!set)
		return pmemset_err(-EINVAL, "pmemset_set_contiguous_part_coalescing: set is NULL");
	switch (value) {
	case PMEMSET_COALESCING_NONE:
	case PMEMSET_COALESCING_OPPORTUNISTIC:
	case PMEMSET_COALESCING_FULL:
		break;
	default:
		return pmemset_err(PMEMSET_E_INVALID_COALESCING_VALUE,
				   "invalid part coalescing value %d", (int)value);
	}
	set_lock(set);
	set->coalescing = value;
	set_unlock(set);
	return 0;
}
