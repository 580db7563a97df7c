// SPDX-License-Identifier: BSD-3-Clause
/*
 * RPMEM_MAX_NLANES: a positive integer caps the lanes every create/open
 * asks for.  The value is read the way PMDK's librpmem reads it (strtol,
 * base 10), so a setting means the same with either library.  Invalid
 * values are ignored, like PMDK does (it only logs them, and a library must
 * not write to the application's stderr).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "env.h"

static unsigned max_nlanes = UINT_MAX;

/*
 * PMDK's rule: strtol skips leading white space and takes an optional sign;
 * the value must be followed by nothing, be positive and not overflow a
 * long (LONG_MAX itself, read without ERANGE, is fine); above UINT_MAX it
 * becomes UINT_MAX.  An empty string counts as not set.
 */
int rpmem_env_parse_uint(const char *s, unsigned *out)
{
	int saved = errno, overflow;
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	overflow = errno == ERANGE && v == LONG_MAX;
	errno = saved;
	if (*end != '\0' || v <= 0 || overflow)
		return -1;
	*out = (unsigned long)v < UINT_MAX ? (unsigned)v : UINT_MAX;
	return 0;
}

unsigned rpmem_env_max_nlanes(void)
{
	return max_nlanes;
}

static void __attribute__((constructor)) rpmem_env_init(void)
{
	unsigned v;

	if (rpmem_env_parse_uint(getenv("RPMEM_MAX_NLANES"), &v) == 0)
		max_nlanes = v;
}
