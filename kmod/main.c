// SPDX-License-Identifier: GPL-2.0
/*
 * kpmem: persistent memory part maps and remote persistence, with the heavy
 * lifting in the kernel.  This file owns the module's lifetime.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>

#include "compat.h"
#include "debug_hook.h"
#include "kpmem.h"
#include "rpmem.h"
#include "rpmem_ibdev.h"

unsigned int kpmem_max_parts_per_set = 65536;
module_param_named(max_parts_per_set, kpmem_max_parts_per_set, uint, 0644);
MODULE_PARM_DESC(max_parts_per_set, "most parts one set may hold (default 65536)");

/*
 * The io_uring and target workqueues and the initiator's park first, then
 * the RDMA device client (from here on devices come and go), then the
 * device file (from here on users come).  Exit undoes it in reverse; the
 * target stops listening before the device client goes, so that nothing
 * new arrives while every device's connections are torn down.
 */
static int __init kpmem_init(void)
{
	int ret;

	ret = kpmem_debug_init();
	if (ret)
		return ret;
	ret = kpmem_uring_init();
	if (ret)
		goto out_debug;
	kpmem_initiator_init();
	ret = kpmem_target_init();
	if (ret)
		goto out_initiator;
	ret = kpmem_ibdev_init();
	if (ret)
		goto out_target;
	ret = kpmem_chrdev_init();
	if (ret)
		goto out_ibdev;

	pr_info("loaded, ABI %u, release %u.%u.%u\n", KPMEM_ABI_VERSION,
		KPMEM_VERSION_MAJOR, KPMEM_VERSION_MINOR, KPMEM_VERSION_PATCH);
	return 0;

out_ibdev:
	kpmem_target_stop();
	kpmem_ibdev_exit();
out_target:
	kpmem_target_exit();
out_initiator:
	kpmem_initiator_exit();
	kpmem_uring_exit();
out_debug:
	kpmem_debug_exit();
	return ret;
}

static void __exit kpmem_exit(void)
{
	kpmem_chrdev_exit();
	kpmem_target_stop();
	kpmem_ibdev_exit();
	kpmem_target_exit();
	kpmem_initiator_exit();
	kpmem_uring_exit();
	kpmem_debug_exit();
	kpmem_live_check();
	pr_info("unloaded\n");
}

module_init(kpmem_init);
module_exit(kpmem_exit);

MODULE_DESCRIPTION("Persistent memory part maps and RDMA remote persistence");
MODULE_AUTHOR("kpmem developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(__stringify(KPMEM_VERSION_MAJOR.KPMEM_VERSION_MINOR.KPMEM_VERSION_PATCH));
