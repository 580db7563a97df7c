// SPDX-License-Identifier: GPL-2.0
/* libpmemset map configs on the host: allocation and offset validation. */
#include <errno.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "../lib/pmemset_expect.h"
#include "../lib/pmemset_fail_alloc.h"

TEST(map_config_create_and_delete)
{
	struct pmemset_map_config *mc = NULL;

	ASSERT_PMEMSET(0, pmemset_map_config_new(&mc));
	ASSERT_NE(NULL, mc);
	pmemset_map_config_set_length(mc, 65536);
	ASSERT_PMEMSET(0, pmemset_map_config_set_offset(mc, 4096));
	ASSERT_PMEMSET(0, pmemset_map_config_delete(&mc));
	ASSERT_EQ(NULL, mc);
}

TEST(map_config_delete_null_is_noop)
{
	struct pmemset_map_config *mc = NULL;

	ASSERT_PMEMSET(0, pmemset_map_config_delete(&mc));
	ASSERT_PMEMSET(0, pmemset_map_config_delete(NULL));
	pmemset_map_config_set_length(NULL, 1);
}

TEST(map_config_offset_past_int64_max_out_of_range)
{
	struct pmemset_map_config *mc;

	ASSERT_PMEMSET(0, pmemset_map_config_new(&mc));
	ASSERT_PMEMSET(PMEMSET_E_OFFSET_OUT_OF_RANGE,
		       pmemset_map_config_set_offset(mc, (size_t)INT64_MAX + 1));
	ASSERT_PMEMSET(PMEMSET_E_OFFSET_OUT_OF_RANGE, pmemset_map_config_set_offset(mc, SIZE_MAX));
	ASSERT_PMEMSET(0, pmemset_map_config_set_offset(mc, (size_t)INT64_MAX));
	pmemset_map_config_delete(&mc);
}

TEST(map_config_null_is_einval)
{
	ASSERT_PMEMSET(-EINVAL, pmemset_map_config_new(NULL));
	ASSERT_PMEMSET(-EINVAL, pmemset_map_config_set_offset(NULL, 0));
}

/* PMDK's test_map_config_new_enomem. */
TEST(map_config_new_without_memory_is_enomem)
{
	struct pmemset_map_config *mc = (void *)1;

	ASSERT_PMEMSET(-ENOMEM, WITHOUT_MEMORY(pmemset_map_config_new(&mc)));
	ASSERT_EQ(NULL, mc);
}

TEST_HARNESS_MAIN
