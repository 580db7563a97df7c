/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Teardowns that wait for their RDMA port to come back up.
 *
 * rxe fails a send into a port whose link is down by moving the QP to the
 * error state, and ib_mad never brings the GSI QP back from that: one DREQ
 * (rdma_disconnect(), or rdma_destroy_id() of a connected id) sent during an
 * outage leaves the device deaf to every later connection request.  So the
 * part of a teardown that talks to the CM is parked here until the port is
 * ACTIVE again.
 */
#ifndef KPMEM_PORT_PARK_H
#define KPMEM_PORT_PARK_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>

struct kpmem_port_park {
	spinlock_t lock;		/* @waiting */
	struct list_head waiting;	/* except those the work is looking at */
	bool stopping;			/* module exit: nobody waits any more */
	struct delayed_work work;
	/* Is @node still to wait for its port?  Process context. */
	bool (*must_wait)(struct list_head *node);
	/* The rest of @node's teardown, once it need not wait. */
	void (*finish)(struct list_head *node);
};

void kpmem_port_park_init(struct kpmem_port_park *park,
			  bool (*must_wait)(struct list_head *node),
			  void (*finish)(struct list_head *node));
bool kpmem_port_is_down(struct ib_device *dev, u32 port_num);
bool kpmem_port_park_stopping(struct kpmem_port_park *park);
void kpmem_port_park_add(struct kpmem_port_park *park, struct list_head *node);
void kpmem_port_park_kick(struct kpmem_port_park *park);
void kpmem_port_park_drain(struct kpmem_port_park *park);

#endif /* KPMEM_PORT_PARK_H */
