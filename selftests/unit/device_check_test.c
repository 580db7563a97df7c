// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the libraries' module handshake: what they say and
 * return for every way the module can disagree with them.  No module needed.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "kpmem_device.h"

static struct kpmem_version_info good_info(void)
{
	struct kpmem_version_info info = {
		.abi_version = KPMEM_ABI_VERSION,
		.features = KPMEM_FEAT_ALL,
	};
	return info;
}

TEST(matching_abi_and_features_are_accepted)
{
	struct kpmem_version_info info = good_info();
	char msg[KPMEM_MSG_MAX] = "";

	ASSERT_EQ(0, kpmem_version_check(&info, KPMEM_FEAT_ALL, msg, sizeof(msg)));
	ASSERT_STREQ("", msg);
}

TEST(other_abi_version_is_eproto_with_both_versions_named)
{
	struct kpmem_version_info info = good_info();
	char msg[KPMEM_MSG_MAX] = "";
	char want[64];

	info.abi_version = KPMEM_ABI_VERSION + 1;
	ASSERT_EQ(-EPROTO, kpmem_version_check(&info, 0, msg, sizeof(msg)));
	snprintf(want, sizeof(want), "ABI version %u", KPMEM_ABI_VERSION + 1);
	ASSERT_NE(NULL, strstr(msg, want)) TH_LOG("message: %s", msg);
	snprintf(want, sizeof(want), "library ABI version %u", KPMEM_ABI_VERSION);
	ASSERT_NE(NULL, strstr(msg, want)) TH_LOG("message: %s", msg);
}

TEST(missing_feature_is_eopnotsupp_and_named)
{
	struct kpmem_version_info info = good_info();
	char msg[KPMEM_MSG_MAX] = "";

	info.features = 0;
	ASSERT_EQ(-EOPNOTSUPP, kpmem_version_check(&info, KPMEM_FEAT_VERSION, msg, sizeof(msg)));
	ASSERT_NE(NULL, strstr(msg, "'version'")) TH_LOG("message: %s", msg);
}

TEST(unknown_future_feature_bit_is_named_unknown)
{
	struct kpmem_version_info info = good_info();
	char msg[KPMEM_MSG_MAX] = "";

	ASSERT_EQ(-EOPNOTSUPP, kpmem_version_check(&info, 1ULL << 63, msg, sizeof(msg)));
	ASSERT_NE(NULL, strstr(msg, "'unknown'")) TH_LOG("message: %s", msg);
	ASSERT_NE(NULL, strstr(msg, "0x8000000000000000")) TH_LOG("message: %s", msg);
}

TEST(extra_module_features_are_fine)
{
	struct kpmem_version_info info = good_info();

	info.features |= 1ULL << 62;
	ASSERT_EQ(0, kpmem_version_check(&info, KPMEM_FEAT_VERSION, NULL, 0));
}

TEST(missing_device_node_says_module_not_loaded)
{
	char msg[KPMEM_MSG_MAX] = "";

	ASSERT_EQ(-ENOENT, kpmem_device_open("/nonexistent/kpmem", 0, NULL, msg, sizeof(msg)));
	ASSERT_NE(NULL, strstr(msg, "is kpmem.ko loaded?")) TH_LOG("message: %s", msg);
}

TEST(non_kpmem_node_is_enotty)
{
	char msg[KPMEM_MSG_MAX] = "";

	ASSERT_EQ(-ENOTTY, kpmem_device_open("/dev/null", 0, NULL, msg, sizeof(msg)));
	ASSERT_NE(NULL, strstr(msg, "not a kpmem device")) TH_LOG("message: %s", msg);
}

TEST(message_is_truncated_not_overflowed)
{
	struct kpmem_version_info info = good_info();
	char msg[8];

	memset(msg, 'x', sizeof(msg));
	info.abi_version = 99;
	ASSERT_EQ(-EPROTO, kpmem_version_check(&info, 0, msg, sizeof(msg)));
	ASSERT_EQ(7U, strlen(msg));
}

TEST_HARNESS_MAIN
