// SPDX-License-Identifier: GPL-2.0
/*
 * Provokes a kernel splat on load, so that the guest harness can prove it
 * fails a run whose dmesg holds one.  Built for tests only.
 *
 * kind=warn      a WARN()
 * kind=refcount  a refcount_t underflow
 * kind=leak      a kmalloc'd buffer nothing points to (kmemleak reports it
 *                at the harness's next scan)
 * kind=kasan     a read one byte past a kmalloc'd buffer (KASAN reports it)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *kind = "warn";
module_param(kind, charp, 0444);
MODULE_PARM_DESC(kind, "splat to provoke: warn, refcount, leak or kasan");

#define LEAK_SIZE 1234
#define OOB_SIZE 16

static int leak_buffer(void)
{
	char *buf = kmalloc(LEAK_SIZE, GFP_KERNEL);

	if (!buf)
		return -ENOMEM;
	/* Recognisable in kmemleak's hex dump. */
	memset(buf, 0, LEAK_SIZE);
	strscpy(buf, "deliberate leak for the harness self-test", LEAK_SIZE);
	pr_info("leaking %d bytes\n", LEAK_SIZE);
	/* The only pointer to buf dies here. */
	return 0;
}

static int out_of_bounds_read(void)
{
	size_t i = OOB_SIZE;
	char *buf = kzalloc(OOB_SIZE, GFP_KERNEL);
	char c;

	if (!buf)
		return -ENOMEM;
	/* Hide the index from the compiler's own bounds checks. */
	OPTIMIZER_HIDE_VAR(i);
	c = READ_ONCE(buf[i]);
	pr_info("read %d one byte past a %d-byte buffer\n", c, OOB_SIZE);
	kfree(buf);
	return 0;
}

static int __init splat_trigger_init(void)
{
	refcount_t ref = REFCOUNT_INIT(0);

	if (!strcmp(kind, "leak"))
		return leak_buffer();
	if (!strcmp(kind, "kasan"))
		return out_of_bounds_read();
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
