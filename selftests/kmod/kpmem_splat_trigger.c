// SPDX-License-Identifier: GPL-2.0
/*
 * Provokes a kernel splat on load, so that the guest harness can prove it
 * fails a run whose dmesg holds one.  Built for tests only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/string.h>

static char *kind = "warn";
module_param(kind, charp, 0444);
MODULE_PARM_DESC(kind, "splat to provoke: warn or refcount");

static int __init splat_trigger_init(void)
{
	refcount_t ref = REFCOUNT_INIT(0);

	if (!strcmp(kind, "warn")) {
		WARN(1, "deliberate warning for the harness self-test\n");
	} else if (!strcmp(kind, "refcount")) {
		/* Decrementing a zero refcount reports an underflow. */
		refcount_dec(&ref);
	} else {
		pr_err("unknown kind '%s'\n", kind);
		return -EINVAL;
	}
	/* Stay unloadable: the splat is the whole point. */
	return 0;
}

static void __exit splat_trigger_exit(void)
{
}

module_init(splat_trigger_init);
module_exit(splat_trigger_exit);

MODULE_DESCRIPTION("kpmem selftest: provoke a kernel splat");
MODULE_LICENSE("GPL");
