/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks shared by the libpmemset tests (host and guest).  Include after
 * kselftest_harness.h.
 */
#ifndef PMEMSET_EXPECT_H
#define PMEMSET_EXPECT_H

#include <string.h>

#include <libpmemset.h>

/*
 * A call must return @code and, when that is an error, leave a non-empty
 * message (what PMDK's UT_PMEMSET_EXPECT_RETURN insists on).
 */
#define ASSERT_PMEMSET(code, call) do {						\
	int __r = (call);							\
	ASSERT_EQ((code), __r) TH_LOG("%s: %s", #call, pmemset_errormsg());	\
	if ((code) != 0)							\
		ASSERT_NE(0, (int)strlen(pmemset_errormsg()))			\
			TH_LOG("%s failed without a message", #call);		\
} while (0)

#endif /* PMEMSET_EXPECT_H */
