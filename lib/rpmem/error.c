// SPDX-License-Identifier: BSD-3-Clause
/*
 * Error reporting: errno plus a thread-local message per failure, and the
 * API version check, whose messages are PMDK's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "librpmem.h"
#include "error.h"

static __thread char last_msg[RPMEM_MSG_MAX];

int rpmem_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	/* A caller passing 0 would report failure with errno 0: never do that. */
	errno = err > 0 ? err : EINVAL;
	return -1;
}

int rpmem_fail_again(const char *fn)
{
	char inner[RPMEM_MSG_MAX];
	int err = errno;

	/* Copy first: the message is both source and destination. */
	memcpy(inner, last_msg, sizeof(inner));
	return rpmem_fail(err, "%s: %s", fn, inner);
}

const char *rpmem_errormsg(void)
{
	return last_msg;
}

/*
 * Callers compiled against a newer minor API may need functions this
 * library lacks; any other major version is another API altogether.
 */
const char *rpmem_check_version(unsigned major_required, unsigned minor_required)
{
	if (major_required != RPMEM_MAJOR_VERSION) {
		rpmem_fail(EINVAL, "librpmem major version mismatch (need %u, found %u)",
			   major_required, RPMEM_MAJOR_VERSION);
		return last_msg;
	}
	if (minor_required > RPMEM_MINOR_VERSION) {
		rpmem_fail(EINVAL, "librpmem minor version mismatch (need %u, found %u)",
			   minor_required, RPMEM_MINOR_VERSION);
		return last_msg;
	}
	return NULL;
}
