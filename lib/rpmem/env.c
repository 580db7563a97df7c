// SPDX-License-Identifier: BSD-3-Clause
/*
 * RPMEM_MAX_NLANES: a positive integer caps the lanes every create/open
 * asks for.  Invalid values are ignored, like PMDK does (it only logs them,
 * and a library must not write to the application's stderr).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "env.h"

static unsigned max_nlanes = UINT_MAX;

int rpmem_env_parse_uint(const char *s, unsigned *out)
{
	unsigned long long v;
	int saved = errno;
	char *end;

	/* strtoull alone would accept leading blanks, a sign and wrap "-1". */
	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v == 0 || v > UINT_MAX) {
		errno = saved;
		return -1;
	}
	errno = saved;
	*out = (unsigned)v;
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
