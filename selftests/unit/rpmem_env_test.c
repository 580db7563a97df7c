// SPDX-License-Identifier: GPL-2.0
/*
 * RPMEM_MAX_NLANES on the host: which values count, exactly as PMDK's
 * librpmem reads them (strtol base 10: leading blanks and a sign allowed,
 * nothing after the digits, the value positive and not past LONG_MAX, then
 * capped at UINT_MAX), and that it is read when the library is loaded.
 * Linked against the library's env object, which is internal.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "env.h"

#define ASSERT_VALID(s, v) do {							\
	unsigned out = 12345;							\
	ASSERT_EQ(0, rpmem_env_parse_uint(s, &out)) TH_LOG("rejected '%s'", s);	\
	ASSERT_EQ((unsigned)(v), out);						\
} while (0)

#define ASSERT_INVALID(s) do {							\
	unsigned out = 12345;							\
	ASSERT_EQ(-1, rpmem_env_parse_uint(s, &out)) TH_LOG("accepted '%s'", (s) ? (const char *)(s) : "(null)"); \
	ASSERT_EQ(12345U, out);							\
} while (0)

TEST(positive_integers_are_valid)
{
	ASSERT_VALID("1", 1);
	ASSERT_VALID("16", 16);
	ASSERT_VALID("0042", 42);
	ASSERT_VALID("4294967295", UINT_MAX);
}

/* What strtol skips or takes before the digits counts, as with PMDK. */
TEST(leading_blanks_and_plus_sign_are_valid)
{
	ASSERT_VALID(" 2", 2);
	ASSERT_VALID("+2", 2);
	ASSERT_VALID("\t\n\v\f\r 3", 3);
	ASSERT_VALID(" +0010", 10);
}

/* A long above UINT_MAX caps the lanes at UINT_MAX (PMDK clamps it). */
TEST(values_past_uint_max_cap_at_uint_max)
{
	ASSERT_VALID("4294967296", UINT_MAX);
	ASSERT_VALID("9223372036854775807", UINT_MAX);
}

TEST(everything_else_is_ignored)
{
	ASSERT_INVALID(NULL);
	ASSERT_INVALID("");
	ASSERT_INVALID("0");
	ASSERT_INVALID("-0");
	ASSERT_INVALID("+0");
	ASSERT_INVALID("-1");
	ASSERT_INVALID("-4294967295");
	ASSERT_INVALID("+");
	ASSERT_INVALID("-");
	ASSERT_INVALID(" ");
	ASSERT_INVALID("4 ");
	ASSERT_INVALID("4\n");
	ASSERT_INVALID("4x");
	ASSERT_INVALID("2.5");
	ASSERT_INVALID("0x10");
	ASSERT_INVALID("x");
	ASSERT_INVALID("+-4");
	ASSERT_INVALID("- 4");
	/* past LONG_MAX (ERANGE) and below LONG_MIN */
	ASSERT_INVALID("9223372036854775808");
	ASSERT_INVALID("99999999999999999999999999");
	ASSERT_INVALID("-99999999999999999999999999");
}

/*
 * The value in the environment when this program started is what the
 * library's constructor saw: check it, then re-run this program with a
 * cap and with garbage to see both outcomes.
 */
TEST(value_at_load_time_is_the_cap)
{
	const char *env = getenv("RPMEM_MAX_NLANES");
	const char *want = getenv("RPMEM_ENV_TEST_WANT");
	unsigned at_load;
	char buf[32];

	if (want) {
		snprintf(buf, sizeof(buf), "%u", rpmem_env_max_nlanes());
		ASSERT_STREQ(want, buf) TH_LOG("RPMEM_MAX_NLANES='%s'", env ? env : "(unset)");
		return;
	}
	if (rpmem_env_parse_uint(env, &at_load))
		at_load = UINT_MAX;
	ASSERT_EQ(at_load, rpmem_env_max_nlanes());

	/* Changing the environment later changes nothing. */
	setenv("RPMEM_MAX_NLANES", "3", 1);
	ASSERT_EQ(at_load, rpmem_env_max_nlanes());
}

static int run_self(const char *value, const char *want)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char cmd[8300];

	if (n < 0)
		return -1;
	self[n] = '\0';
	snprintf(cmd, sizeof(cmd),
		 "RPMEM_MAX_NLANES='%s' RPMEM_ENV_TEST_WANT='%s' '%s' -t value_at_load_time_is_the_cap >/dev/null 2>&1",
		 value, want, self);
	return system(cmd);
}

TEST(valid_value_caps_and_invalid_value_is_ignored)
{
	if (getenv("RPMEM_ENV_TEST_WANT"))
		return;
	ASSERT_EQ(0, run_self("8", "8"));
	ASSERT_EQ(0, run_self("1", "1"));
	ASSERT_EQ(0, run_self(" 2", "2"));
	ASSERT_EQ(0, run_self("+2", "2"));
	ASSERT_EQ(0, run_self("0", "4294967295"));
	ASSERT_EQ(0, run_self("lots", "4294967295"));
	ASSERT_EQ(0, run_self("2 ", "4294967295"));
	/* And the check itself can fail, so the zeros above mean something. */
	ASSERT_NE(0, run_self("8", "9"));
}

TEST_HARNESS_MAIN
