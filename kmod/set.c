// SPDX-License-Identifier: GPL-2.0
/*
 * Sets of part maps: the file that represents a set, who may use it, and
 * looking part maps up by address.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "kpmem.h"

static int kpmem_set_release(struct inode *inode, struct file *file)
{
	struct kpmem_set *set = file->private_data;
	struct interval_tree_node *node;
	struct kpmem_pmap *pmap;
	struct kpmem_part *part;

	/*
	 * The last reference may go from any context (another process, exit):
	 * the mappings are left alone, they hold their own file references.
	 * Each part map is freed with its last part.
	 */
	while ((node = interval_tree_iter_first(&set->parts, 0, ULONG_MAX))) {
		part = container_of(node, struct kpmem_part, node);
		interval_tree_remove(node, &set->parts);
		pmap = part->pmap;
		if (--pmap->nparts == 0)
			kpmem_pmap_free(pmap);
		kpmem_part_free(part);
	}
	mmdrop(set->mm);
	mutex_destroy(&set->lock);
	kfree(set);
	kpmem_live_dec(KPMEM_LIVE_SETS);
	return 0;
}

static long kpmem_pmap_lookup(struct kpmem_set *set, void __user *argp)
{
	struct interval_tree_node *node;
	struct kpmem_pmap_info info;
	struct kpmem_part *part;
	unsigned long last;

	if (copy_from_user(&info, argp, sizeof(info)))
		return -EFAULT;
	if (info.flags & ~KPMEM_LOOKUP_NEXT || info.reserved[0] || info.reserved[1])
		return -EINVAL;
	if (info.addr > ULONG_MAX)
		return -ENOENT;
	last = info.flags & KPMEM_LOOKUP_NEXT ? ULONG_MAX : info.addr;

	mutex_lock(&set->lock);
	/* The leftmost part overlapping [addr, last]: O(log n). */
	node = interval_tree_iter_first(&set->parts, info.addr, last);
	if (!node) {
		mutex_unlock(&set->lock);
		return -ENOENT;
	}
	part = container_of(node, struct kpmem_part, node);
	info.addr = part->pmap->start;
	info.length = part->pmap->end - part->pmap->start;
	info.pmap_id = part->pmap->id;
	info.nparts = part->pmap->nparts;
	info.granularity = part->granularity;
	info.state = kpmem_part_is_mapped(set, part) ? 0 : KPMEM_PMAP_STALE;
	mutex_unlock(&set->lock);

	if (copy_to_user(argp, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long kpmem_set_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kpmem_set *set = file->private_data;
	void __user *argp = (void __user *)arg;

	/*
	 * Mappings are made in, and looked up against, the owner's address
	 * space; another process (a fork child, an fd receiver) has none of
	 * them.
	 */
	if (current->mm != set->mm)
		return -EPERM;

	switch (cmd) {
	case KPMEM_SET_IOC_PART_ADD:
		return kpmem_part_add(set, argp);
	case KPMEM_SET_IOC_PART_REMOVE:
		return kpmem_part_remove(set, argp);
	case KPMEM_SET_IOC_PMAP_LOOKUP:
		return kpmem_pmap_lookup(set, argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kpmem_set_fops = {
	.owner = THIS_MODULE,
	.release = kpmem_set_release,
	.unlocked_ioctl = kpmem_set_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/**
 * kpmem_set_create() - KPMEM_IOC_SET_CREATE: a new, empty set
 * @argp: struct kpmem_set_create in user memory
 *
 * Return: the new set's file descriptor, or a negative errno.
 */
long kpmem_set_create(void __user *argp)
{
	struct kpmem_set_create req;
	struct kpmem_set *set;
	int fd;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.reserved0 || memchr_inv(req.reserved, 0, sizeof(req.reserved)))
		return -EINVAL;
	if (!current->mm)
		return -EINVAL;

	set = kpmem_alloc(kzalloc(sizeof(*set), GFP_KERNEL_ACCOUNT));
	if (!set)
		return -ENOMEM;
	kpmem_live_inc(KPMEM_LIVE_SETS);
	mutex_init(&set->lock);
	set->parts = RB_ROOT_CACHED;
	set->next_pmap_id = 1;
	mmgrab(current->mm);
	set->mm = current->mm;

	fd = anon_inode_getfd("[kpmem-set]", &kpmem_set_fops, set, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		mmdrop(set->mm);
		mutex_destroy(&set->lock);
		kfree(set);
		kpmem_live_dec(KPMEM_LIVE_SETS);
	}
	return fd;
}
