// SPDX-License-Identifier: GPL-2.0
/*
 * libpmemset error reporting on the host: the message of the last failure
 * per thread, pmemset_perror's format, and pmemset_err_to_errno.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "../lib/pmemset_expect.h"

/* Run @fn with stderr going to a buffer; returns what it printed. */
static char *capture_stderr(void (*fn)(void))
{
	static char buf[4096];
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n;

	fflush(stderr);
	dup2(fileno(f), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void fail_pmemset_simple(void)
{
	struct pmemset_source *s;

	pmemset_source_from_file(&s, "");
	pmemset_perror("pmemset_source_from_file");
}

static void fail_pmemset_format(void)
{
	struct pmemset_source *s;

	pmemset_source_from_file(&s, "");
	pmemset_perror("test %d", 123);
}

static void fail_system_format(void)
{
	struct pmemset_source *s;

	pmemset_xsource_from_file(&s, "/nonexistent-dir/f", PMEMSET_SOURCE_FILE_CREATE_ALWAYS);
	pmemset_perror("test %d", 123);
}

TEST(perror_pmemset_failure_simple)
{
	ASSERT_STREQ("pmemset_source_from_file: source file path cannot be empty\n",
		     capture_stderr(fail_pmemset_simple));
}

TEST(perror_pmemset_failure_format)
{
	ASSERT_STREQ("test 123: source file path cannot be empty\n", capture_stderr(fail_pmemset_format));
}

TEST(perror_system_failure_names_errno)
{
	ASSERT_STREQ("test 123: open /nonexistent-dir/f: No such file or directory\n",
		     capture_stderr(fail_system_format));
}

TEST(err_to_errno_maps_codes)
{
	ASSERT_EQ(ENOTSUP, pmemset_err_to_errno(PMEMSET_E_NOSUPP));
	ASSERT_EQ(EINVAL, pmemset_err_to_errno(PMEMSET_E_UNKNOWN));
	ASSERT_EQ(EINVAL, pmemset_err_to_errno(PMEMSET_E_BADBLOCK_NOSUPP));
	ASSERT_EQ(EINVAL, pmemset_err_to_errno(PMEMSET_E_INVALID_SOURCE_PATH));
	ASSERT_EQ(ENOTSUP, pmemset_err_to_errno(-ENOTSUP));
	ASSERT_EQ(ENOMEM, pmemset_err_to_errno(-ENOMEM));
	ASSERT_EQ(ENOTSUP, pmemset_err_to_errno(PMEM2_E_NOSUPP));
	ASSERT_EQ(EINVAL, pmemset_err_to_errno(PMEM2_E_IO_FAIL));
	ASSERT_EQ(0, pmemset_err_to_errno(0));
	ASSERT_EQ(EINVAL, pmemset_err_to_errno(1));
}

TEST(success_keeps_the_last_message)
{
	struct pmemset_config *cfg;

	pmemset_config_new(&cfg);
	ASSERT_PMEMSET(PMEMSET_E_INVALID_PART_STATES, pmemset_config_set_acceptable_states(cfg, ~0ULL));
	ASSERT_PMEMSET(0, pmemset_config_set_acceptable_states(cfg, PMEMSET_PART_STATE_OK));
	ASSERT_NE(NULL, strstr(pmemset_errormsg(), "acceptable part states"));
	pmemset_config_delete(&cfg);
}

static void *other_thread(void *arg)
{
	struct pmemset_map_config *mc;
	char *msg = arg;

	pmemset_map_config_new(&mc);
	pmemset_map_config_set_offset(mc, SIZE_MAX);
	strncpy(msg, pmemset_errormsg(), 255);
	pmemset_map_config_delete(&mc);
	return NULL;
}

TEST(messages_are_per_thread)
{
	char theirs[256] = "";
	struct pmemset_source *s;
	pthread_t t;

	pmemset_source_from_file(&s, "");
	ASSERT_EQ(0, pthread_create(&t, NULL, other_thread, theirs));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_STREQ("source file path cannot be empty", pmemset_errormsg());
	ASSERT_NE(NULL, strstr(theirs, "INT64_MAX")) TH_LOG("%s", theirs);
}

TEST_HARNESS_MAIN
