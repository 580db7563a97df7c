// SPDX-License-Identifier: GPL-2.0
/*
 * Part sources: what kind of file backs a part, the alignment its mappings
 * need, its size, and growing it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/magic.h>
#include <linux/slab.h>

#include "compat.h"
#include "kpmem.h"

/*
 * Device DAX keeps its size and alignment in drivers/dax private
 * structures; the device's sysfs attributes are the interface it offers
 * everybody else, kernel modules included.
 */
static int kpmem_devdax_attr(struct inode *inode, const char *attr, u64 *val)
{
	char path[64], buf[32];
	struct file *f;
	loff_t pos = 0;
	ssize_t n;
	int ret;

	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/%s",
		 MAJOR(inode->i_rdev), MINOR(inode->i_rdev), attr);
	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	filp_close(f, NULL);
	if (n <= 0)
		return n < 0 ? n : -EIO;
	buf[n] = '\0';
	ret = kstrtou64(strim(buf), 0, val);
	return ret;
}

static bool kpmem_file_is_devdax(struct file *file)
{
	struct inode *inode = file_inode(file);

	return S_ISCHR(inode->i_mode) && file->f_mapping && file->f_mapping->host &&
	       file->f_mapping->host->i_sb->s_magic == DAXFS_MAGIC;
}

/**
 * kpmem_source_probe() - classify a part source and read its geometry
 * @file: the source, as passed by the user
 * @src: receives kind, alignment and size
 *
 * Return: 0, -EACCES when @file is not open for both reading and writing,
 * -ENODEV when it is neither a device DAX device nor a regular file, or an
 * error reading the device's attributes.
 */
int kpmem_source_probe(struct file *file, struct kpmem_source *src)
{
	struct inode *inode = file_inode(file);
	int ret;

	if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) != (FMODE_READ | FMODE_WRITE))
		return -EACCES;

	if (kpmem_file_is_devdax(file)) {
		src->kind = KPMEM_SOURCE_DEVDAX;
		src->granularity = KPMEM_GRANULARITY_CACHE_LINE;
		ret = kpmem_devdax_attr(inode, "size", &src->size);
		if (!ret)
			ret = kpmem_devdax_attr(inode, "align", &src->alignment);
		if (ret)
			return ret;
		if (!src->alignment || !is_power_of_2(src->alignment))
			return -ENODEV;
		return 0;
	}
	if (!S_ISREG(inode->i_mode))
		return -ENODEV;

	/*
	 * A DAX file gets MAP_SYNC mappings: its stores are persistent once
	 * flushed from the CPU caches.  Platforms that also make the caches
	 * persistent (eADR) are not told apart: cache-line granularity is
	 * always correct there, merely not minimal.
	 */
	if (IS_DAX(inode)) {
		src->kind = KPMEM_SOURCE_FSDAX;
		src->granularity = KPMEM_GRANULARITY_CACHE_LINE;
	} else {
		src->kind = KPMEM_SOURCE_FILE;
		src->granularity = KPMEM_GRANULARITY_PAGE;
	}
	src->alignment = PAGE_SIZE;
	src->size = i_size_read(inode);
	return 0;
}

/**
 * kpmem_source_grow() - extend a regular file source to @size bytes
 * @file: the source
 * @src: its probed geometry; size is updated
 * @size: the size wanted, larger than the current one
 *
 * Blocks are allocated (fallocate), so that later page faults on a DAX
 * mapping find them; filesystems without fallocate are truncated up.
 *
 * Return: 0 or a negative errno (-EFBIG, also when the size did not follow,
 * -ENOSPC, ...).
 */
int kpmem_source_grow(struct file *file, struct kpmem_source *src, u64 size)
{
	int ret;

	if (size > (u64)LLONG_MAX)
		return -EFBIG;
	ret = vfs_fallocate(file, 0, src->size, size - src->size);
	if (ret == -EOPNOTSUPP)
		ret = vfs_truncate(&file->f_path, size);
	if (ret)
		return ret;
	/*
	 * Pseudo files (sysfs, procfs attributes) accept the truncate and
	 * keep their size: the file cannot grow, which is EFBIG to the
	 * caller, not an I/O error.
	 */
	src->size = i_size_read(file_inode(file));
	return src->size >= size ? 0 : -EFBIG;
}
