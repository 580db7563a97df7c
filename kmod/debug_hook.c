// SPDX-License-Identifier: GPL-2.0
/*
 * Debug builds only (debug_hook.h): stall points that tests set through
 * debugfs to widen race windows.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/delay.h>

#include "debug_hook.h"

static const char *const kpmem_debug_names[KPMEM_DBG_NR] = {
	[KPMEM_DBG_TARGET_ACCEPT] = "target_accept",
	[KPMEM_DBG_TARGET_HELLO] = "target_hello",
	[KPMEM_DBG_TARGET_DRAIN] = "target_drain",
	[KPMEM_DBG_TARGET_RELEASE] = "target_release",
	[KPMEM_DBG_POOL_SETUP] = "pool_setup",
	[KPMEM_DBG_POOL_HELLO] = "pool_hello",
	[KPMEM_DBG_POOL_QUIESCE] = "pool_quiesce",
};

static u32 kpmem_debug_delay_ms[KPMEM_DBG_NR];
static u32 kpmem_debug_hits[KPMEM_DBG_NR];
static struct dentry *kpmem_debug_dir;

/**
 * kpmem_debug_point() - pass a stall point
 * @point: which
 *
 * Counts the pass, then sleeps for the point's delay, if one is set.
 * Callers are in process context.
 */
void kpmem_debug_point(enum kpmem_debug_point point)
{
	u32 ms = READ_ONCE(kpmem_debug_delay_ms[point]);

	WRITE_ONCE(kpmem_debug_hits[point], READ_ONCE(kpmem_debug_hits[point]) + 1);
	if (ms) {
		pr_info("debug point %s: stalling %u ms\n", kpmem_debug_names[point], ms);
		msleep(ms);
	}
}

int kpmem_debug_init(void)
{
	int i;

	kpmem_debug_dir = debugfs_create_dir("kpmem", NULL);
	for (i = 0; i < KPMEM_DBG_NR; i++) {
		struct dentry *d = debugfs_create_dir(kpmem_debug_names[i], kpmem_debug_dir);

		debugfs_create_u32("delay_ms", 0600, d, &kpmem_debug_delay_ms[i]);
		debugfs_create_u32("hits", 0600, d, &kpmem_debug_hits[i]);
	}
	pr_warn("debug build: stall points in /sys/kernel/debug/kpmem\n");
	return 0;
}

void kpmem_debug_exit(void)
{
	debugfs_remove_recursive(kpmem_debug_dir);
}
