// SPDX-License-Identifier: GPL-2.0
/*
 * kpmem: persistent memory part maps and remote persistence, with the heavy
 * lifting in the kernel.  This file owns the module's lifetime.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>

#include "compat.h"
#include "kpmem.h"
#include "rpmem.h"

unsigned int kpmem_max_parts_per_set = 65536;
module_param_named(max_parts_per_set, kpmem_max_parts_per_set, uint, 0644);
MODULE_PARM_DESC(max_parts_per_set, "most parts one set may hold (default 65536)");

static int __init kpmem_init(void)
{
	int ret;

	kpmem_initiator_init();
	ret = kpmem_target_init();
	if (ret)
		return ret;
	ret = kpmem_uring_init();
	if (ret)
		goto out_target;
	ret = kpmem_chrdev_init();
	if (ret)
		goto out_uring;

	pr_info("loaded, ABI %u, release %u.%u.%u\n", KPMEM_ABI_VERSION,
		KPMEM_VERSION_MAJOR, KPMEM_VERSION_MINOR, KPMEM_VERSION_PATCH);
	return 0;

out_uring:
	kpmem_uring_exit();
out_target:
	kpmem_target_exit();
	return ret;
}

static void __exit kpmem_exit(void)
{
	kpmem_chrdev_exit();
	kpmem_uring_exit();
	kpmem_initiator_exit();
	kpmem_target_exit();
	kpmem_live_check();
	pr_info("unloaded\n");
}

module_init(kpmem_init);
module_exit(kpmem_exit);

MODULE_DESCRIPTION("Persistent memory part maps and RDMA remote persistence");
MODULE_AUTHOR("kpmem developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(__stringify(KPMEM_VERSION_MAJOR.KPMEM_VERSION_MINOR.KPMEM_VERSION_PATCH));
