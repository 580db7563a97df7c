/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The thread-local error message behind pmemset_errormsg(), and the
 * translations of libpmem2 results into libpmemset codes.
 */
#ifndef PMEMSET_ERROR_H
#define PMEMSET_ERROR_H

#include <stddef.h>

/* Long enough for a path plus an explanation. */
#define PMEMSET_MSG_MAX 1024

/**
 * pmemset_err() - record the message for the calling thread's last error
 * @ret: the code being returned, handed back so callers can `return pmemset_err(...)`
 * @fmt: printf format of the message
 *
 * Return: @ret.
 */
int pmemset_err(int ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * pmemset_err_pmem2() - report a failed libpmem2 call
 * @ret: what libpmem2 returned (a PMEM2_E_* code or -errno)
 * @fallback: the libpmemset code to return for pmem2 codes without a
 *	libpmemset counterpart (0: return @ret unchanged)
 * @what: the operation, prefixed to pmem2's own message
 *
 * Return: the libpmemset code for @ret (-errno stays -errno).
 */
int pmemset_err_pmem2(int ret, int fallback, const char *what);

#endif /* PMEMSET_ERROR_H */
