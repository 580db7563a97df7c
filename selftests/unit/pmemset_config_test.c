// SPDX-License-Identifier: GPL-2.0
/*
 * libpmemset configs on the host: allocation, validation, defaults, and
 * the set-creation checks that come before the kernel is asked anything.
 */
#include <libpmemset.h>	/* first: the public header compiles on its own */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../lib/pmemset_expect.h"
#include "../lib/pmemset_fail_alloc.h"

TEST(config_create_and_delete)
{
	struct pmemset_config *cfg = (void *)1;

	ASSERT_PMEMSET(0, pmemset_config_new(&cfg));
	ASSERT_NE(NULL, cfg);
	ASSERT_PMEMSET(0, pmemset_config_delete(&cfg));
	ASSERT_EQ(NULL, cfg);
}

TEST(config_delete_null_is_noop)
{
	struct pmemset_config *cfg = NULL;

	ASSERT_PMEMSET(0, pmemset_config_delete(&cfg));
	ASSERT_PMEMSET(0, pmemset_config_delete(NULL));
}

TEST(config_new_null_pointer_is_einval)
{
	ASSERT_PMEMSET(-EINVAL, pmemset_config_new(NULL));
}

TEST(config_invalid_granularity_not_supported)
{
	struct pmemset_config *cfg;

	ASSERT_PMEMSET(0, pmemset_config_new(&cfg));
	ASSERT_PMEMSET(PMEMSET_E_GRANULARITY_NOT_SUPPORTED,
		       pmemset_config_set_required_store_granularity(cfg, (enum pmem2_granularity)3));
	ASSERT_PMEMSET(PMEMSET_E_GRANULARITY_NOT_SUPPORTED,
		       pmemset_config_set_required_store_granularity(cfg, (enum pmem2_granularity)-1));
	ASSERT_PMEMSET(0, pmemset_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_BYTE));
	ASSERT_PMEMSET(0, pmemset_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_CACHE_LINE));
	ASSERT_PMEMSET(0, pmemset_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE));
	pmemset_config_delete(&cfg);
}

TEST(config_acceptable_states_reject_undefined_bits)
{
	struct pmemset_config *cfg;

	ASSERT_PMEMSET(0, pmemset_config_new(&cfg));
	ASSERT_PMEMSET(PMEMSET_E_INVALID_PART_STATES, pmemset_config_set_acceptable_states(cfg, 1 << 5));
	ASSERT_PMEMSET(PMEMSET_E_INVALID_PART_STATES, pmemset_config_set_acceptable_states(cfg, 1ULL << 40));
	ASSERT_PMEMSET(0, pmemset_config_set_acceptable_states(cfg, PMEMSET_PART_STATE_OK));
	ASSERT_PMEMSET(0, pmemset_config_set_acceptable_states(cfg, 0x1f));
	pmemset_config_delete(&cfg);
}

TEST(config_void_setters_accept_null_config)
{
	pmemset_config_set_reservation(NULL, NULL);
	pmemset_config_set_event_callback(NULL, NULL, NULL);
}

TEST(every_event_fits_the_context)
{
	struct pmemset_event_context ctx;

	ASSERT_EQ(64, PMEMSET_EVENT_CONTEXT_SIZE);
	ASSERT_EQ(sizeof(ctx.data._data), sizeof(ctx.data));
	ASSERT_GE((size_t)64, sizeof(struct pmemset_event_copy));
	ASSERT_GE((size_t)64, sizeof(struct pmemset_event_move));
	ASSERT_GE((size_t)64, sizeof(struct pmemset_event_set));
	ASSERT_GE((size_t)64, sizeof(struct pmemset_event_flush));
	ASSERT_GE((size_t)64, sizeof(struct pmemset_event_persist));
	ASSERT_GE((size_t)64, sizeof(struct pmemset_event_remove_range));
	ASSERT_GE((size_t)64, sizeof(struct pmemset_event_part_remove));
	ASSERT_GE((size_t)64, sizeof(struct pmemset_event_part_add));
	ASSERT_GE((size_t)64, sizeof(struct pmemset_event_sds_update));
	ASSERT_GE((size_t)64, sizeof(struct pmemset_event_badblock));
	ASSERT_GE((size_t)64, sizeof(struct pmemset_event_badblocks_cleared));
	ASSERT_EQ((size_t)8, offsetof(struct pmemset_event_context, data));
}

TEST(interface_values_match_pmdk)
{
	ASSERT_EQ(0, PMEMSET_EVENT_COPY);
	ASSERT_EQ(11, PMEMSET_EVENT_BADBLOCKS_CLEARED);
	ASSERT_EQ(2, PMEMSET_COALESCING_FULL);
	ASSERT_EQ(16, PMEMSET_PART_STATE_CORRUPTED);
	ASSERT_EQ(-200038, PMEMSET_E_BADBLOCK_NOSUPP);
	ASSERT_EQ(-200035, PMEMSET_E_INVALID_ALIGNMENT_VALUE);
	ASSERT_EQ((size_t)513, sizeof(((struct pmemset_sds *)0)->id));
	ASSERT_EQ(0x3fU, PMEMSET_F_MEM_VALID_FLAGS);
	ASSERT_EQ(PMEM2_F_MEM_VALID_FLAGS, PMEMSET_F_MEM_VALID_FLAGS);
	/* PMDK's name for the mode bits (a program using it must compile) */
	ASSERT_EQ(0777ULL << 32, PMEMSET_SOURCE_FILE_VALID_MODES);
	ASSERT_EQ(0777ULL << 32 | 7, PMEMSET_SOURCE_FILE_CREATE_VALID_FLAGS);
	ASSERT_EQ(0600U, FILE_CREATE_MODE_FROM_FLAG(PMEMSET_SOURCE_FILE_CREATE_MODE(0600)));
	ASSERT_EQ(sizeof(void *) + sizeof(size_t), sizeof(struct pmemset_part_descriptor));
	ASSERT_EQ(2 * sizeof(size_t), sizeof(struct pmemset_badblock));
}

TEST(new_without_granularity_is_granularity_not_set)
{
	struct pmemset_config *cfg;
	struct pmemset *set = (void *)1;

	ASSERT_PMEMSET(0, pmemset_config_new(&cfg));
	ASSERT_PMEMSET(PMEMSET_E_GRANULARITY_NOT_SET, pmemset_new(&set, cfg));
	ASSERT_EQ(NULL, set);
	pmemset_config_delete(&cfg);
}

TEST(new_without_module_names_kpmem)
{
	struct pmemset_config *cfg;
	struct pmemset *set = (void *)1;
	int ret;

	if (access("/dev/kpmem", F_OK) == 0)
		SKIP(return, "kpmem is loaded here: covered by the guest tests");
	ASSERT_PMEMSET(0, pmemset_config_new(&cfg));
	ASSERT_PMEMSET(0, pmemset_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE));
	ret = pmemset_new(&set, cfg);
	ASSERT_EQ(-ENOENT, ret);
	ASSERT_EQ(NULL, set);
	ASSERT_NE(NULL, strstr(pmemset_errormsg(), "kpmem")) TH_LOG("%s", pmemset_errormsg());
	pmemset_config_delete(&cfg);
}

TEST(set_functions_reject_null_set)
{
	struct pmemset *set = NULL;
	enum pmem2_granularity g;
	char buf[8];

	ASSERT_PMEMSET(0, pmemset_delete(&set));
	ASSERT_PMEMSET(0, pmemset_delete(NULL));
	ASSERT_PMEMSET(-EINVAL, pmemset_get_store_granularity(NULL, &g));
	ASSERT_PMEMSET(-EINVAL, pmemset_set_contiguous_part_coalescing(NULL, PMEMSET_COALESCING_NONE));
	ASSERT_PMEMSET(-EINVAL, pmemset_map(NULL, NULL, NULL, NULL));
	ASSERT_PMEMSET(-EINVAL, pmemset_remove_range(NULL, buf, 1));
	ASSERT_PMEMSET(-EINVAL, pmemset_remove_part_map(NULL, NULL));
	ASSERT_PMEMSET(-EINVAL, pmemset_persist(NULL, buf, 1));
	ASSERT_PMEMSET(-EINVAL, pmemset_flush(NULL, buf, 1));
	ASSERT_PMEMSET(-EINVAL, pmemset_drain(NULL));
	ASSERT_PMEMSET(-EINVAL, pmemset_deep_flush(NULL, buf, 1));
}

TEST(part_map_functions_tolerate_null)
{
	struct pmemset_part_map *pmap = (void *)1;
	struct pmemset_part_descriptor d;

	ASSERT_PMEMSET(-EINVAL, pmemset_part_map_by_address(NULL, &pmap, NULL));
	ASSERT_EQ(NULL, pmap);
	pmap = (void *)1;
	pmemset_first_part_map(NULL, &pmap);
	ASSERT_EQ(NULL, pmap);
	pmap = (void *)1;
	pmemset_next_part_map(NULL, NULL, &pmap);
	ASSERT_EQ(NULL, pmap);
	pmemset_part_map_drop(&pmap);
	pmemset_part_map_drop(NULL);
	d = pmemset_descriptor_part_map(NULL);
	ASSERT_EQ(NULL, d.addr);
	ASSERT_EQ((size_t)0, d.size);
}

/* PMDK's test_alloc_cfg_enomem and test_alloc_new_enomem. */
TEST(allocation_failures_are_enomem)
{
	struct pmemset_config *cfg = (void *)1;
	struct pmemset *set = (void *)1;

	ASSERT_PMEMSET(-ENOMEM, WITHOUT_MEMORY(pmemset_config_new(&cfg)));
	ASSERT_EQ(NULL, cfg);
	ASSERT_PMEMSET(0, pmemset_config_new(&cfg));
	ASSERT_PMEMSET(0, pmemset_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE));
	ASSERT_PMEMSET(-ENOMEM, WITHOUT_MEMORY(pmemset_new(&set, cfg)));
	ASSERT_EQ(NULL, set);
	pmemset_config_delete(&cfg);
}

TEST_HARNESS_MAIN
