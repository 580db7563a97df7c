// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/kpmem: the misc device every kpmem user starts from, and the ioctls
 * that belong to the device as a whole.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "kpmem.h"
#include "rpmem.h"

static long kpmem_ioctl_get_version(void __user *argp)
{
	struct kpmem_version_info info = {
		.abi_version = KPMEM_ABI_VERSION,
		.features = KPMEM_FEAT_ALL,
		.module_version = KPMEM_MODULE_VERSION,
	};

	if (copy_to_user(argp, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

/*
 * What a /dev/kpmem command needs beyond an open device: module-wide
 * administration (exports) needs CAP_SYS_ADMIN, checked before the
 * argument is read.  Everything else checks what it needs itself (a set
 * or pool belongs to the address space that made it).
 */
static int kpmem_dev_ioctl_permission(unsigned int cmd)
{
	switch (cmd) {
	case KPMEM_IOC_EXPORT_ADD:
	case KPMEM_IOC_EXPORT_REMOVE:
	case KPMEM_IOC_EXPORT_LIST:
		return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
	default:
		return 0;
	}
}

/* Every command of /dev/kpmem; the set and pool files have their own. */
static long kpmem_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	int ret;

	ret = kpmem_dev_ioctl_permission(cmd);
	if (ret)
		return ret;
	switch (cmd) {
	case KPMEM_IOC_GET_VERSION:
		return kpmem_ioctl_get_version(argp);
	case KPMEM_IOC_SET_CREATE:
		return kpmem_set_create(argp);
	case KPMEM_IOC_POOL_CONNECT:
		return kpmem_pool_connect(argp);
	case KPMEM_IOC_EXPORT_ADD:
		return kpmem_export_add(argp);
	case KPMEM_IOC_EXPORT_REMOVE:
		return kpmem_export_remove(argp);
	case KPMEM_IOC_EXPORT_LIST:
		return kpmem_export_list(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kpmem_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kpmem_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/*
 * World-accessible: opening the device grants nothing by itself.  Each
 * operation checks what it needs (an fd the caller opened read-write for a
 * mapping, CAP_SYS_ADMIN for module-wide administration).
 */
static const struct attribute_group *kpmem_dev_groups[] = {
	&kpmem_live_group,
	NULL
};

static struct miscdevice kpmem_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = KPMEM_DEVICE_NAME,
	.fops = &kpmem_dev_fops,
	.mode = 0666,
	.groups = kpmem_dev_groups,
};

/**
 * kpmem_chrdev_init() - register /dev/kpmem
 *
 * Return: 0 or a negative errno from misc_register().
 */
int kpmem_chrdev_init(void)
{
	int ret;

	ret = misc_register(&kpmem_miscdev);
	if (ret)
		pr_err("cannot register /dev/%s: %d\n", KPMEM_DEVICE_NAME, ret);
	return ret;
}

/**
 * kpmem_chrdev_exit() - unregister /dev/kpmem
 *
 * The module cannot be unloaded while the device is open (the file holds a
 * module reference through .owner), so no file can outlive this.
 */
void kpmem_chrdev_exit(void)
{
	misc_deregister(&kpmem_miscdev);
}
