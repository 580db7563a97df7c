// SPDX-License-Identifier: GPL-2.0
/*
 * Live-object accounting.  Every object the module creates on someone's
 * behalf (sets, parts, exports, connections, MRs, pinned pages, io_uring
 * commands) is counted while it exists.  The counts are what a leak check
 * reads after a test: with no process using kpmem, each must be zero, and
 * an unload with anything still counted is reported as a leak.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/sysfs.h>

#include "kpmem.h"

static atomic_long_t kpmem_live[KPMEM_LIVE_NR];

/**
 * kpmem_live_add() - count @n objects of @kind in (n > 0) or out (n < 0)
 * @kind: what they are
 * @n: how many
 *
 * Any context.  A count that goes negative is a bug in the caller's
 * accounting, and said so once.
 */
void kpmem_live_add(enum kpmem_live_kind kind, long n)
{
	WARN_ON_ONCE(atomic_long_add_return(n, &kpmem_live[kind]) < 0);
}

struct kpmem_live_attr {
	struct device_attribute attr;
	enum kpmem_live_kind kind;
};

static ssize_t kpmem_live_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	const struct kpmem_live_attr *la = container_of(attr, struct kpmem_live_attr, attr);

	return sysfs_emit(buf, "%ld\n", atomic_long_read(&kpmem_live[la->kind]));
}

#define KPMEM_LIVE_ATTR(_name, _kind) \
	static struct kpmem_live_attr kpmem_live_attr_##_name = { \
		.attr = __ATTR(_name, 0444, kpmem_live_show, NULL), \
		.kind = _kind, \
	}

KPMEM_LIVE_ATTR(sets, KPMEM_LIVE_SETS);
KPMEM_LIVE_ATTR(parts, KPMEM_LIVE_PARTS);
KPMEM_LIVE_ATTR(part_maps, KPMEM_LIVE_PART_MAPS);
KPMEM_LIVE_ATTR(exports, KPMEM_LIVE_EXPORTS);
KPMEM_LIVE_ATTR(export_pinned_pages, KPMEM_LIVE_EXPORT_PINNED_PAGES);
KPMEM_LIVE_ATTR(target_conns, KPMEM_LIVE_TARGET_CONNS);
KPMEM_LIVE_ATTR(target_mrs, KPMEM_LIVE_TARGET_MRS);
KPMEM_LIVE_ATTR(pools, KPMEM_LIVE_POOLS);
KPMEM_LIVE_ATTR(pool_pinned_pages, KPMEM_LIVE_POOL_PINNED_PAGES);
KPMEM_LIVE_ATTR(uring_cmds, KPMEM_LIVE_URING_CMDS);

static struct attribute *kpmem_live_attrs[] = {
	&kpmem_live_attr_sets.attr.attr,
	&kpmem_live_attr_parts.attr.attr,
	&kpmem_live_attr_part_maps.attr.attr,
	&kpmem_live_attr_exports.attr.attr,
	&kpmem_live_attr_export_pinned_pages.attr.attr,
	&kpmem_live_attr_target_conns.attr.attr,
	&kpmem_live_attr_target_mrs.attr.attr,
	&kpmem_live_attr_pools.attr.attr,
	&kpmem_live_attr_pool_pinned_pages.attr.attr,
	&kpmem_live_attr_uring_cmds.attr.attr,
	NULL
};

/* /sys/class/misc/kpmem/live/<kind>: one count per file. */
const struct attribute_group kpmem_live_group = {
	.name = "live",
	.attrs = kpmem_live_attrs,
};

/**
 * kpmem_live_check() - at unload, report whatever is still counted
 *
 * Nothing can hold the module by then (files and connections take module
 * references), so any nonzero count is an object that was never freed.
 */
void kpmem_live_check(void)
{
	struct attribute **a;

	for (a = kpmem_live_attrs; *a; a++) {
		const struct kpmem_live_attr *la =
			container_of(*a, struct kpmem_live_attr, attr.attr);
		long n = atomic_long_read(&kpmem_live[la->kind]);

		if (n)
			pr_err("leaked %ld %s\n", n, (*a)->name);
	}
}
