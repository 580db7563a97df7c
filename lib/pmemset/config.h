/* SPDX-License-Identifier: BSD-3-Clause */
/* What pmemset_new() copies out of a struct pmemset_config. */
#ifndef PMEMSET_CONFIG_H
#define PMEMSET_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "libpmemset.h"

#define PMEMSET_PART_STATES_ALL (PMEMSET_PART_STATE_INDETERMINATE | \
	PMEMSET_PART_STATE_OK | PMEMSET_PART_STATE_OK_BUT_ALREADY_OPEN | \
	PMEMSET_PART_STATE_OK_BUT_INTERRUPTED | PMEMSET_PART_STATE_CORRUPTED)

struct pmemset_config {
	bool granularity_set;
	enum pmem2_granularity granularity;	/* coarsest a part may have */
	struct pmem2_vm_reservation *rsv;	/* user's, never resized */
	pmemset_event_callback *callback;
	void *callback_arg;
	uint64_t acceptable_states;
};

#endif /* PMEMSET_CONFIG_H */
