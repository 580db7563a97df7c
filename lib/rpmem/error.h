/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The thread-local message behind rpmem_errormsg().  Every failing librpmem
 * call sets errno and a non-empty message; successful calls leave both
 * alone, so the message always explains the thread's last failure.
 */
#ifndef RPMEM_ERROR_H
#define RPMEM_ERROR_H

/* Room for an export name, a target (quoted up to 200 characters) and an explanation. */
#define RPMEM_MSG_MAX 1024

/**
 * rpmem_fail() - record a failure of the calling thread
 * @err: the errno value to set (positive)
 * @fmt: printf format of the message
 *
 * errno is set last, after formatting, so nothing the formatting does can
 * change it.
 *
 * Return: -1, so callers can `return rpmem_fail(...)`.
 */
int rpmem_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * rpmem_fail_again() - name the API call in a failure recorded by a helper
 * @fn: the API function, prefixed to the message as "@fn: "
 *
 * Keeps errno (the helper's) and the helper's message after the prefix.
 *
 * Return: -1.
 */
int rpmem_fail_again(const char *fn);

#endif /* RPMEM_ERROR_H */
