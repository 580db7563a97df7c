// SPDX-License-Identifier: BSD-3-Clause
/*
 * Error reporting: every failing call leaves a non-empty message in a
 * thread-local buffer; successful calls leave it alone (PMDK release
 * behaviour), so a message always explains the last failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libpmem2.h>

#include "libpmemset.h"
#include "error.h"

static __thread char last_msg[PMEMSET_MSG_MAX];

int pmemset_err(int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	return ret;
}

/* pmem2 codes with a libpmemset namesake; everything else uses the fallback. */
static const struct {
	int pmem2;
	int pmemset;
} pmem2_codes[] = {
	{ PMEM2_E_IO_FAIL, PMEMSET_E_IO_FAIL },
	{ PMEM2_E_LENGTH_OUT_OF_RANGE, PMEMSET_E_LENGTH_OUT_OF_RANGE },
	{ PMEM2_E_OFFSET_OUT_OF_RANGE, PMEMSET_E_OFFSET_OUT_OF_RANGE },
	{ PMEM2_E_DAX_REGION_NOT_FOUND, PMEMSET_E_DAX_REGION_NOT_FOUND },
	{ PMEM2_E_CANNOT_READ_BOUNDS, PMEMSET_E_CANNOT_READ_BOUNDS },
	{ PMEM2_E_INVALID_ALIGNMENT_VALUE, PMEMSET_E_INVALID_ALIGNMENT_VALUE },
	{ PMEM2_E_INVALID_ALIGNMENT_FORMAT, PMEMSET_E_INVALID_ALIGNMENT_VALUE },
	{ PMEM2_E_INVALID_FILE_TYPE, PMEMSET_E_INVALID_SOURCE_TYPE },
	{ PMEM2_E_INVALID_FILE_HANDLE, PMEMSET_E_INVALID_SOURCE_TYPE },
	{ PMEM2_E_GRANULARITY_NOT_SUPPORTED, PMEMSET_E_GRANULARITY_NOT_SUPPORTED },
};

int pmemset_err_pmem2(int ret, int fallback, const char *what)
{
	const char *p2msg = pmem2_errormsg();
	int code = ret;

	if (ret > -100000) {
		/* -errno: keep it, explain it */
		pmemset_err(ret, "%s: %s", what, p2msg && *p2msg ? p2msg : strerror(-ret));
		return ret;
	}
	if (fallback)
		code = fallback;
	for (size_t i = 0; i < sizeof(pmem2_codes) / sizeof(pmem2_codes[0]); i++)
		if (pmem2_codes[i].pmem2 == ret)
			code = pmem2_codes[i].pmemset;
	pmemset_err(code, "%s: %s (libpmem2 error %d)", what,
		    p2msg && *p2msg ? p2msg : "failed", ret);
	return code;
}

const char *pmemset_errormsg(void)
{
	return last_msg;
}

void pmemset_perror(const char *format, ...)
{
	char prefix[PMEMSET_MSG_MAX];
	va_list ap;
	int saved = errno;

	va_start(ap, format);
	vsnprintf(prefix, sizeof(prefix), format, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", prefix, last_msg);
	errno = saved;
}

/*
 * The mapping (PMDK's, extended to pmem2 codes we may pass through):
 *   err > 0                      -> the caller passed a non-error: EINVAL
 *                                   (PMDK aborts here; a library must not)
 *   PMEMSET_E_NOSUPP             -> ENOTSUP
 *   any other PMEMSET_E_* code   -> EINVAL (err <= -200000)
 *   a PMEM2_E_* code             -> ENOTSUP for PMEM2_E_NOSUPP, else EINVAL
 *   -errno                       -> errno
 *   0                            -> 0
 */
int pmemset_err_to_errno(int err)
{
	if (err > 0)
		return EINVAL;
	if (err == PMEMSET_E_NOSUPP || err == PMEM2_E_NOSUPP)
		return ENOTSUP;
	if (err <= -100000)
		return EINVAL;
	return -err;
}
