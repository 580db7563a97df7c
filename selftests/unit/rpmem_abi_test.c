// SPDX-License-Identifier: GPL-2.0
/*
 * librpmem.so.1's binary interface: struct rpmem_pool_attr exactly as PMDK
 * lays it out, the constants' values, the soname, and the dynamic symbols:
 * exactly PMDK's 12 functions under LIBRPMEM_1.0 plus kpmem's own under
 * KPMEM_RPMEM_1.0, nothing else.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include <linux/kpmem.h>

#include "librpmem.h"
#include "librpmem_kpmem.h"

#ifndef KPMEM_BUILD_LIB
#error "KPMEM_BUILD_LIB: the directory holding the freshly built librpmem.so.1"
#endif
#define LIBRPMEM_PATH KPMEM_BUILD_LIB "/librpmem.so.1"

static const char *const pmdk_functions[] = {
	"rpmem_check_version", "rpmem_close", "rpmem_create", "rpmem_deep_persist",
	"rpmem_drain", "rpmem_errormsg", "rpmem_flush", "rpmem_open",
	"rpmem_persist", "rpmem_read", "rpmem_remove", "rpmem_set_attr",
};
#define NFUNCS (sizeof(pmdk_functions) / sizeof(pmdk_functions[0]))

TEST(pool_attr_layout_is_pmdks)
{
	struct rpmem_pool_attr a;

	ASSERT_EQ((size_t)104, sizeof(struct rpmem_pool_attr));
	ASSERT_EQ((size_t)0, offsetof(struct rpmem_pool_attr, signature));
	ASSERT_EQ((size_t)8, offsetof(struct rpmem_pool_attr, major));
	ASSERT_EQ((size_t)12, offsetof(struct rpmem_pool_attr, compat_features));
	ASSERT_EQ((size_t)16, offsetof(struct rpmem_pool_attr, incompat_features));
	ASSERT_EQ((size_t)20, offsetof(struct rpmem_pool_attr, ro_compat_features));
	ASSERT_EQ((size_t)24, offsetof(struct rpmem_pool_attr, poolset_uuid));
	ASSERT_EQ((size_t)40, offsetof(struct rpmem_pool_attr, uuid));
	ASSERT_EQ((size_t)56, offsetof(struct rpmem_pool_attr, next_uuid));
	ASSERT_EQ((size_t)72, offsetof(struct rpmem_pool_attr, prev_uuid));
	ASSERT_EQ((size_t)88, offsetof(struct rpmem_pool_attr, user_flags));
	ASSERT_EQ((size_t)8, sizeof(a.signature));
	ASSERT_EQ((size_t)4, sizeof(a.major));
	ASSERT_EQ((size_t)16, sizeof(a.poolset_uuid));
	ASSERT_EQ((size_t)16, sizeof(a.user_flags));
	ASSERT_EQ((size_t)4, _Alignof(struct rpmem_pool_attr));
}

TEST(kernel_pool_attr_layout_is_the_same)
{
	ASSERT_EQ(sizeof(struct rpmem_pool_attr), sizeof(struct kpmem_pool_attr));
	ASSERT_EQ(offsetof(struct rpmem_pool_attr, major), offsetof(struct kpmem_pool_attr, major));
	ASSERT_EQ(offsetof(struct rpmem_pool_attr, poolset_uuid),
		  offsetof(struct kpmem_pool_attr, poolset_uuid));
	ASSERT_EQ(offsetof(struct rpmem_pool_attr, user_flags),
		  offsetof(struct kpmem_pool_attr, user_flags));
}

TEST(constants_have_pmdks_values)
{
	ASSERT_EQ(8, RPMEM_POOL_HDR_SIG_LEN);
	ASSERT_EQ(16, RPMEM_POOL_HDR_UUID_LEN);
	ASSERT_EQ(16, RPMEM_POOL_USER_FLAGS_LEN);
	ASSERT_EQ(1U, RPMEM_PERSIST_RELAXED);
	ASSERT_EQ(1U, RPMEM_FLUSH_RELAXED);
	ASSERT_EQ(1, RPMEM_REMOVE_FORCE);
	ASSERT_EQ(2, RPMEM_REMOVE_POOL_SET);
	ASSERT_EQ(1, RPMEM_MAJOR_VERSION);
	ASSERT_EQ(3, RPMEM_MINOR_VERSION);
	ASSERT_EQ((size_t)8192, RPMEM_MIN_POOL);
	ASSERT_EQ((size_t)2 * 1024 * 1024, RPMEM_MIN_PART);
}

TEST(all_pmdk_functions_are_versioned_libpmem_1_0)
{
	void *h = dlopen(LIBRPMEM_PATH, RTLD_NOW | RTLD_LOCAL);

	ASSERT_NE(NULL, h) TH_LOG("%s", dlerror());
	for (size_t i = 0; i < NFUNCS; i++) {
		void *v = dlvsym(h, pmdk_functions[i], "LIBRPMEM_1.0");

		ASSERT_NE(NULL, v) TH_LOG("%s@LIBRPMEM_1.0 missing", pmdk_functions[i]);
		/* The default version is the same function. */
		ASSERT_EQ(v, dlsym(h, pmdk_functions[i]));
	}
	ASSERT_NE(NULL, dlvsym(h, "rpmem_pool_fd", "KPMEM_RPMEM_1.0"));
	ASSERT_EQ(NULL, dlvsym(h, "rpmem_pool_fd", "LIBRPMEM_1.0"));
	/* Internals stay internal. */
	ASSERT_EQ(NULL, dlsym(h, "rpmem_fail"));
	ASSERT_EQ(NULL, dlsym(h, "rpmem_target_parse"));
	ASSERT_EQ(NULL, dlsym(h, "kpmem_device_open"));
	dlclose(h);
}

/* nm's view: defined dynamic symbols, name@@VERSION for each. */
TEST(exported_symbols_are_exactly_these)
{
	char want[64][64], line[512];
	size_t nwant = 0, nseen = 0;
	FILE *p;

	for (size_t i = 0; i < NFUNCS; i++)
		snprintf(want[nwant++], sizeof(want[0]), "%s@@LIBRPMEM_1.0", pmdk_functions[i]);
	snprintf(want[nwant++], sizeof(want[0]), "rpmem_pool_fd@@KPMEM_RPMEM_1.0");

	p = popen("nm -D --defined-only " LIBRPMEM_PATH " 2>/dev/null", "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p)) {
		char addr[64], type[8], name[256];
		int found = 0;

		if (sscanf(line, "%63s %7s %255s", addr, type, name) != 3)
			continue;
		/* The version definitions themselves (type A). */
		if (!strcmp(type, "A")) {
			ASSERT_TRUE(!strcmp(name, "LIBRPMEM_1.0") || !strcmp(name, "KPMEM_RPMEM_1.0"))
				TH_LOG("unexpected version node %s", name);
			continue;
		}
		for (size_t i = 0; i < nwant; i++)
			found |= !strcmp(name, want[i]);
		ASSERT_TRUE(found) TH_LOG("unexpected export %s %s", type, name);
		ASSERT_STREQ("T", type);
		nseen++;
	}
	/* binutils comes with build-essential, which make deps installs. */
	ASSERT_FALSE(pclose(p) != 0 && nseen == 0) TH_LOG("nm (binutils) did not run");
	ASSERT_EQ(nwant, nseen);
}

TEST(soname_is_librpmem_so_1)
{
	char line[512];
	int found = 0;
	FILE *p = popen("readelf -d " LIBRPMEM_PATH " 2>/dev/null", "r");

	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "(SONAME)"))
			found = strstr(line, "[librpmem.so.1]") != NULL ? 1 : -1;
	ASSERT_FALSE(pclose(p) != 0 && !found) TH_LOG("readelf (binutils) did not run");
	ASSERT_EQ(1, found);
}

TEST_HARNESS_MAIN
