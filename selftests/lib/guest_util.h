/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the C selftests running in harness guests share: running shell
 * commands (`peer` reaches the pair's target), the built kpmemctl, and a
 * monotonic clock.
 */
#ifndef KPMEM_SELFTEST_GUEST_UTIL_H
#define KPMEM_SELFTEST_GUEST_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Run a shell command; return its exit status, or -1 if it did not exit. */
static inline int __attribute__((format(printf, 1, 2), unused)) run(const char *fmt, ...)
{
	char cmd[4096];
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

/* The number a shell command prints, or -1. */
static inline __attribute__((unused)) long output_long(const char *cmd)
{
	long n = -1;
	FILE *f = popen(cmd, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	pclose(f);
	return n;
}

/*
 * A count from /sys/class/misc/kpmem/live/@kind (what the module holds),
 * here or, with @on_peer, on a pair's target; -1 if it cannot be read.
 */
static inline __attribute__((unused)) long kpmem_live(const char *kind, int on_peer)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "%scat /sys/class/misc/kpmem/live/%s", on_peer ? "peer " : "",
		 kind);
	return output_long(cmd);
}

/*
 * The stall points of kpmem's debug build (kmod/debug_hook.h, loaded by
 * selftests/rpmem/with_debug_hooks), here or, with @on_peer, on a pair's
 * target.
 */
#define KPMEM_DEBUGFS	"/sys/kernel/debug/kpmem"

/* Is the kpmem loaded there the debug build? */
static inline __attribute__((unused)) bool debug_build(int on_peer)
{
	return !run("%stest -d " KPMEM_DEBUGFS, on_peer ? "peer " : "");
}

/* How often @point was passed, or -1. */
static inline __attribute__((unused)) long debug_hits(int on_peer, const char *point)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "%scat " KPMEM_DEBUGFS "/%s/hits", on_peer ? "peer " : "",
		 point);
	return output_long(cmd);
}

/* From now on, passes through @point stall @ms (0: not at all). */
static inline __attribute__((unused)) int debug_stall(int on_peer, const char *point, int ms)
{
	return run("%ssh -c 'echo %d > " KPMEM_DEBUGFS "/%s/delay_ms'", on_peer ? "peer " : "",
		   ms, point);
}

/* Wait (up to 60 s) until @point was passed more than @before times. */
static inline __attribute__((unused)) bool debug_entered(int on_peer, const char *point,
							  long before)
{
	for (int i = 0; i < 600; i++) {
		if (debug_hits(on_peer, point) > before)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

#endif /* KPMEM_SELFTEST_GUEST_UTIL_H */
