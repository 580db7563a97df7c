// SPDX-License-Identifier: BSD-3-Clause
/* pmemset_config: the settings a set is created with. */
#include <errno.h>
#include <stdlib.h>

#include "config.h"
#include "error.h"

int pmemset_config_new(struct pmemset_config **cfg)
{
	struct pmemset_config *c;

	if (!cfg)
		return pmemset_err(-EINVAL, "pmemset_config_new: cfg pointer is NULL");
	*cfg = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return pmemset_err(-ENOMEM, "pmemset_config_new: cannot allocate the config");
	/* PMDK's defaults: no granularity, no callback, no reservation. */
	c->acceptable_states = PMEMSET_PART_STATE_OK | PMEMSET_PART_STATE_OK_BUT_ALREADY_OPEN;
	*cfg = c;
	return 0;
}

void pmemset_config_set_reservation(struct pmemset_config *cfg, struct pmem2_vm_reservation *rsv)
{
	if (cfg)
		cfg->rsv = rsv;
}

int pmemset_config_set_acceptable_states(struct pmemset_config *cfg, uint64_t states)
{
	if (!cfg)
		return pmemset_err(-EINVAL, "pmemset_config_set_acceptable_states: cfg is NULL");
	if (states & ~(uint64_t)PMEMSET_PART_STATES_ALL)
		return pmemset_err(PMEMSET_E_INVALID_PART_STATES,
				   "acceptable part states 0x%llx hold undefined bits (valid: 0x%x)",
				   (unsigned long long)states, PMEMSET_PART_STATES_ALL);
	cfg->acceptable_states = states;
	return 0;
}

void pmemset_config_set_event_callback(struct pmemset_config *config,
				       pmemset_event_callback *callback, void *arg)
{
	if (!config)
		return;
	config->callback = callback;
	config->callback_arg = arg;
}

int pmemset_config_set_required_store_granularity(struct pmemset_config *cfg,
						  enum pmem2_granularity g)
{
	if (!cfg)
		return pmemset_err(-EINVAL, "pmemset_config_set_required_store_granularity: cfg is NULL");
	switch (g) {
	case PMEM2_GRANULARITY_BYTE:
	case PMEM2_GRANULARITY_CACHE_LINE:
	case PMEM2_GRANULARITY_PAGE:
		break;
	default:
		return pmemset_err(PMEMSET_E_GRANULARITY_NOT_SUPPORTED,
				   "store granularity %d is not BYTE, CACHE_LINE or PAGE", (int)g);
	}
	cfg->granularity = g;
	cfg->granularity_set = true;
	return 0;
}

int pmemset_config_delete(struct pmemset_config **cfg)
{
	if (!cfg)
		return 0;
	free(*cfg);
	*cfg = NULL;
	return 0;
}
