/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the C selftests running in harness guests share: running shell
 * commands (`peer` reaches the pair's target), the built kpmemctl, and a
 * monotonic clock.
 */
#ifndef KPMEM_SELFTEST_GUEST_UTIL_H
#define KPMEM_SELFTEST_GUEST_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

/* Run a shell command; return its exit status, or -1 if it did not exit. */
static inline int __attribute__((format(printf, 1, 2), unused)) run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

/* The kpmemctl of this build (KPMEM_BUILD in a guest). */
static inline __attribute__((unused)) const char *kpmemctl(void)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/tools/kpmemctl", getenv("KPMEM_BUILD") ?: "build");
	return path;
}

/* Seconds on the monotonic clock. */
static inline __attribute__((unused)) double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* KPMEM_SELFTEST_GUEST_UTIL_H */
