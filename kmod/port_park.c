// SPDX-License-Identifier: GPL-2.0
/*
 * Teardowns that wait for their RDMA port (see port_park.h): a list per
 * user, looked at again every 250 ms on system_long_wq.
 */
#include "port_park.h"

#define KPMEM_PORT_PARK_PERIOD	(HZ / 4)

/**
 * kpmem_port_is_down() - is @port_num of @dev up for sending?
 * @dev: the RDMA device
 * @port_num: its port
 *
 * Return: true if the port is known not to be ACTIVE (a failed query is
 * not a reason to wait).
 */
bool kpmem_port_is_down(struct ib_device *dev, u32 port_num)
{
	struct ib_port_attr attr;

	return !ib_query_port(dev, port_num, &attr) && attr.state != IB_PORT_ACTIVE;
}

bool kpmem_port_park_stopping(struct kpmem_port_park *park)
{
	return READ_ONCE(park->stopping);
}

static void kpmem_port_park_fn(struct work_struct *work)
{
	struct kpmem_port_park *park = container_of(to_delayed_work(work),
						    struct kpmem_port_park, work);
	struct list_head *node, *tmp;
	LIST_HEAD(waiting);

	spin_lock(&park->lock);
	list_splice_init(&park->waiting, &waiting);
	spin_unlock(&park->lock);

	list_for_each_safe(node, tmp, &waiting) {
		if (!kpmem_port_park_stopping(park) && park->must_wait(node))
			continue;
		list_del_init(node);
		park->finish(node);
	}
	if (list_empty(&waiting))
		return;
	spin_lock(&park->lock);
	list_splice(&waiting, &park->waiting);
	spin_unlock(&park->lock);
	queue_delayed_work(system_long_wq, &park->work, KPMEM_PORT_PARK_PERIOD);
}

void kpmem_port_park_init(struct kpmem_port_park *park,
			  bool (*must_wait)(struct list_head *node),
			  void (*finish)(struct list_head *node))
{
	spin_lock_init(&park->lock);
	INIT_LIST_HEAD(&park->waiting);
	park->stopping = false;
	INIT_DELAYED_WORK(&park->work, kpmem_port_park_fn);
	park->must_wait = must_wait;
	park->finish = finish;
}

/* Park @node until ->must_wait() says no; ->finish() then completes it. */
void kpmem_port_park_add(struct kpmem_port_park *park, struct list_head *node)
{
	spin_lock(&park->lock);
	list_add_tail(node, &park->waiting);
	spin_unlock(&park->lock);
	queue_delayed_work(system_long_wq, &park->work, KPMEM_PORT_PARK_PERIOD);
}

/* Look at the parked teardowns now (a device is going away, say). */
void kpmem_port_park_kick(struct kpmem_port_park *park)
{
	mod_delayed_work(system_long_wq, &park->work, 0);
}

/* Module exit: finish every parked teardown, waiting or not, and return after. */
void kpmem_port_park_drain(struct kpmem_port_park *park)
{
	WRITE_ONCE(park->stopping, true);
	mod_delayed_work(system_long_wq, &park->work, 0);
	flush_delayed_work(&park->work);
}
