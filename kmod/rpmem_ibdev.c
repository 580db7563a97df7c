// SPDX-License-Identifier: GPL-2.0
/*
 * The ib_client that owns RDMA device removal for kpmem (rpmem_ibdev.h).
 *
 * A device's removal first takes it off kpmem's list of live devices, so
 * that nothing new is set up on it (an accept or a pool connect checks the
 * list under its own side's lock, and that side's removal then looks
 * under the same lock), then has the target and the initiator tear down,
 * synchronously, what they hold on it.  Only then does ib_core go on to
 * rdma_cm, which would otherwise wait for our connection ids while we
 * still used the device's queue pairs.
 *
 * The list is kpmem's own rather than ib_core's client data: rdma_cm can
 * still hand us a connection request on the device after our removal
 * returned, and client data freed there could be looked up then.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <rdma/ib_verbs.h>

#include "rpmem_ibdev.h"

struct kpmem_ibdev {
	struct list_head node;
	struct ib_device *dev;
};

static struct ib_client kpmem_ib_client;
static LIST_HEAD(kpmem_ibdevs);
static DEFINE_SPINLOCK(kpmem_ibdevs_lock);

static int kpmem_ibdev_add(struct ib_device *dev)
{
	struct kpmem_ibdev *kdev = kzalloc(sizeof(*kdev), GFP_KERNEL);

	if (!kdev)
		return -ENOMEM;
	kdev->dev = dev;
	spin_lock(&kpmem_ibdevs_lock);
	list_add(&kdev->node, &kpmem_ibdevs);
	spin_unlock(&kpmem_ibdevs_lock);
	ib_set_client_data(dev, &kpmem_ib_client, kdev);
	return 0;
}

static void kpmem_ibdev_remove(struct ib_device *dev, void *client_data)
{
	struct kpmem_ibdev *kdev = client_data;

	spin_lock(&kpmem_ibdevs_lock);
	list_del(&kdev->node);
	spin_unlock(&kpmem_ibdevs_lock);
	kfree(kdev);
	pr_debug("device %s going away\n", dev_name(&dev->dev));
	kpmem_target_remove_device(dev);
	kpmem_pools_remove_device(dev);
}

static struct ib_client kpmem_ib_client = {
	.name = "kpmem",
	.add = kpmem_ibdev_add,
	.remove = kpmem_ibdev_remove,
};

/**
 * kpmem_ibdev_dying() - may nothing new be set up on @dev any more?
 * @dev: an RDMA device a connection id of the caller is bound to (which
 *	 keeps it allocated)
 *
 * A device kpmem has no record of (being removed, or added while kpmem
 * could not allocate its record) counts as dying: kpmem would not hear of
 * its removal.  Any context.
 *
 * Return: true when nothing may be set up on @dev.
 */
bool kpmem_ibdev_dying(struct ib_device *dev)
{
	struct kpmem_ibdev *kdev;
	bool dying = true;

	spin_lock(&kpmem_ibdevs_lock);
	list_for_each_entry(kdev, &kpmem_ibdevs, node) {
		if (kdev->dev == dev) {
			dying = false;
			break;
		}
	}
	spin_unlock(&kpmem_ibdevs_lock);
	return dying;
}

int kpmem_ibdev_init(void)
{
	return ib_register_client(&kpmem_ib_client);
}

/* Tears down everything on every device, as if each were removed. */
void kpmem_ibdev_exit(void)
{
	ib_unregister_client(&kpmem_ib_client);
}
