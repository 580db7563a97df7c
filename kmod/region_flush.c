// SPDX-License-Identifier: GPL-2.0
/*
 * Deep flush of the nvdimm region under a device DAX device: what a deep
 * persist adds to writing back CPU caches.  It flushes the memory
 * controller's write-pending queues through the region's flush hints
 * (nvdimm_flush(), as the region's deep_flush attribute does).
 *
 * libnvdimm is reached through symbol_get() so that kpmem.ko loads on
 * machines without it (an initiator has no pmem); a device DAX device that
 * is not an nvdimm namespace (hmem, for one) has no region to flush.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/libnvdimm.h>
#include <linux/module.h>
#include <linux/string.h>

#include "rpmem.h"

/*
 * The region above @dev: a device DAX device's cdev hangs under the dax
 * device, whose ancestors are the namespace's dax seed and its region.
 */
static struct device *kpmem_nvdimm_region_of(struct file *devdax)
{
	struct cdev *cdev = file_inode(devdax)->i_cdev;
	struct device *dev;

	if (!cdev || !cdev->kobj.parent)
		return NULL;
	for (dev = kobj_to_dev(cdev->kobj.parent); dev; dev = dev->parent) {
		/* Exactly what to_nd_region() accepts: a pmem region device. */
		if (dev->bus && !strcmp(dev->bus->name, "nd") && dev->type &&
		    dev->type->name && !strcmp(dev->type->name, "nd_pmem"))
			return get_device(dev);
	}
	return NULL;
}

/**
 * kpmem_region_flush_get() - find the nvdimm region to flush for @devdax
 * @rf: filled in; kpmem_region_flush_put() it when done
 * @devdax: an open device DAX file
 *
 * Return: 0, or -ENODEV when the device is not on an nvdimm region (then
 * deep persists are the CPU cache write-back alone).
 */
int kpmem_region_flush_get(struct kpmem_region_flush *rf, struct file *devdax)
{
	struct nd_region *(*region_of)(struct device *dev);

	memset(rf, 0, sizeof(*rf));
	rf->dev = kpmem_nvdimm_region_of(devdax);
	if (!rf->dev)
		return -ENODEV;
	region_of = symbol_get(to_nd_region);
	rf->flush = symbol_get(nvdimm_flush);
	if (!region_of || !rf->flush) {
		if (region_of)
			symbol_put(to_nd_region);
		kpmem_region_flush_put(rf);
		return -ENODEV;
	}
	rf->region = region_of(rf->dev);
	symbol_put(to_nd_region);
	return 0;
}

/**
 * kpmem_region_flush() - flush the region's write-pending queues
 * @rf: from kpmem_region_flush_get()
 *
 * Sleeps (nvdimm_flush() may).  Return: 0 or a negative errno.
 */
int kpmem_region_flush(struct kpmem_region_flush *rf)
{
	return rf->flush(rf->region, NULL);
}

void kpmem_region_flush_put(struct kpmem_region_flush *rf)
{
	if (rf->flush)
		symbol_put(nvdimm_flush);
	put_device(rf->dev);
	memset(rf, 0, sizeof(*rf));
}
