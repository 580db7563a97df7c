// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem initiator: a pool's life (rpmem_initiator.h).  Connecting it to a
 * target's export (KPMEM_IOC_POOL_CONNECT), its file and the commands on
 * it, keepalives, closing it, and tearing it down when its RDMA device
 * goes.
 *
 * Teardown has one vocabulary on both sides of kpmem: *release* starts
 * it (once, whoever asks first), *quiesce* stops the data path and frees
 * what the RDMA device holds (queue pair, CQ, buffers, PD, in that order),
 * *disconnect* ends the CM id (after waiting for a down port if need be),
 * and *free* gives back the memory once the last reference goes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include "compat.h"
#include "debug_hook.h"
#include "kpmem.h"
#include "kpmem_trace.h"
#include "port_park.h"
#include "rpmem.h"
#include "rpmem_ibdev.h"
#include "rpmem_initiator.h"
#include "rpmem_wire.h"

/*
 * An idle pool sends a KEEPALIVE this often, so that the target can tell a
 * quiet initiator from a vanished one (and a dead target is noticed even
 * by a pool nobody uses).
 */
static unsigned int keepalive_ms = 1000;
module_param(keepalive_ms, uint, 0644);
MODULE_PARM_DESC(keepalive_ms,
		 "an idle pool tells the target it is alive this often; 0: never (default 1000)");

static unsigned int max_pools_per_process = 64;
module_param(max_pools_per_process, uint, 0644);
MODULE_PARM_DESC(max_pools_per_process,
		 "remote pools one process may have open at once (default 64)");

/* Every pool, for device removal and the per-process bound. */
static LIST_HEAD(kpmem_pools);
static DEFINE_SPINLOCK(kpmem_pools_lock);

/* Pools whose disconnect waits for their port. */
static struct kpmem_port_park kpmem_pools_park;

static const char *const kpmem_pool_state_names[KPMEM_POOL_NR_STATES] = {
	[KPMEM_POOL_RESOLVING] = "resolving",
	[KPMEM_POOL_CONNECTING] = "connecting",
	[KPMEM_POOL_HELLO] = "hello",
	[KPMEM_POOL_LIVE] = "live",
	[KPMEM_POOL_QUIESCED] = "quiesced",
	[KPMEM_POOL_PARKED] = "parked",
	[KPMEM_POOL_GONE] = "gone",
};

#define S(state)	BIT(KPMEM_POOL_##state)
static const unsigned int kpmem_pool_next_states[KPMEM_POOL_NR_STATES] = {
	[KPMEM_POOL_RESOLVING] = S(CONNECTING) | S(QUIESCED),
	[KPMEM_POOL_CONNECTING] = S(HELLO) | S(QUIESCED),
	[KPMEM_POOL_HELLO] = S(LIVE) | S(QUIESCED),
	[KPMEM_POOL_LIVE] = S(QUIESCED),
	[KPMEM_POOL_QUIESCED] = S(PARKED) | S(GONE),
	[KPMEM_POOL_PARKED] = S(GONE),
	[KPMEM_POOL_GONE] = 0,
};

#undef S

/* Move @pool to @state; under its state_lock.  A transition that does not exist warns. */
static bool kpmem_pool_set_state(struct kpmem_pool *pool, enum kpmem_pool_state state)
{
	enum kpmem_pool_state old = pool->state;

	lockdep_assert_held(&pool->state_lock);
	if (WARN_ONCE(!(kpmem_pool_next_states[old] & BIT(state)),
		      "kpmem: pool: no transition %s -> %s\n", kpmem_pool_state_names[old],
		      kpmem_pool_state_names[state]))
		return false;
	pr_debug("pool %p: %s -> %s\n", pool, kpmem_pool_state_names[old],
		 kpmem_pool_state_names[state]);
	trace_kpmem_pool_state(pool, kpmem_pool_state_names[old], kpmem_pool_state_names[state]);
	WRITE_ONCE(pool->state, state);
	return true;
}

int kpmem_pool_error(struct kpmem_pool *pool)
{
	return READ_ONCE(pool->error);
}

/* Is the data path open?  Under io_sem (or for a hint). */
bool kpmem_pool_live(struct kpmem_pool *pool)
{
	return READ_ONCE(pool->state) == KPMEM_POOL_LIVE;
}

/**
 * kpmem_pool_fail() - the connection is unusable from now on
 * @pool: the pool
 * @err: the sticky error (negative errno); the first one stays
 * @why: for the log
 *
 * Fails every waiter, once.  Any context.
 */
void kpmem_pool_fail(struct kpmem_pool *pool, int err, const char *why)
{
	struct kpmem_lane *lanes;
	unsigned long flags;
	bool first;
	u32 i;

	spin_lock_irqsave(&pool->lock, flags);
	first = !pool->error;
	if (first)
		WRITE_ONCE(pool->error, err);
	/* Flushed receives (ECONNRESET) leave a setup step to the CM's answer. */
	if (err != -ECONNRESET && !pool->cm_abort)
		pool->cm_abort = err;
	spin_unlock_irqrestore(&pool->lock, flags);
	if (first)
		trace_kpmem_pool_fail(pool, err, why);
	/*
	 * Failures during setup are the caller's answer, and a close is no
	 * news; a live pool failing is.
	 */
	if (first && err != -ESHUTDOWN && kpmem_pool_live(pool))
		pr_info_ratelimited("pool on %pISpc failed (%d): %s\n", &pool->peer, err, why);
	else if (first)
		pr_debug("pool %p failed (%d): %s\n", pool, err, why);
	/* Connection setup can fail before there are lanes (pairs with their allocation). */
	lanes = smp_load_acquire(&pool->lanes);
	for (i = 0; lanes && i < pool->wire_lanes; i++)
		complete_all(&lanes[i].done);
	complete(&pool->cm_done);
}

/**
 * kpmem_pool_check_range() - check a data request's lane and range
 * @pool: the pool
 * @lane: lane number
 * @offset: pool offset
 * @length: bytes
 * @write: a persist (which may not touch the header)
 *
 * Return: 0 or -EINVAL.
 */
int kpmem_pool_check_range(struct kpmem_pool *pool, u32 lane, u64 offset, u64 length,
			   bool write)
{
	u64 end;

	if (lane >= pool->nlanes)
		return -EINVAL;
	if (check_add_overflow(offset, length, &end) || end > pool->pool_size)
		return -EINVAL;
	if (write && length && offset < pool->hdr_size)
		return -EINVAL;
	return 0;
}

/* ---- teardown ---------------------------------------------------------- */

/* Free the RDMA resources: queue pair, CQ, buffers, PD.  Under state_lock, drained. */
static void kpmem_pool_free_rdma(struct kpmem_pool *pool)
{
	u32 i;

	if (pool->qp) {
		rdma_destroy_qp(pool->cm_id);
		pool->qp = NULL;
	}
	if (pool->cq) {
		ib_free_cq(pool->cq);
		pool->cq = NULL;
	}
	for (i = 0; pool->recv && i < pool->nrecv; i++) {
		if (pool->recv[i].dma)
			ib_dma_unmap_single(pool->dev, pool->recv[i].dma, KPMEM_WIRE_MSG_SIZE,
					    DMA_FROM_DEVICE);
		kfree(pool->recv[i].buf);
		pool->recv[i].buf = NULL;
		pool->recv[i].dma = 0;
	}
	for (i = 0; pool->lanes && i < pool->wire_lanes; i++) {
		struct kpmem_lane *lane = &pool->lanes[i];

		if (lane->req_dma)
			ib_dma_unmap_single(pool->dev, lane->req_dma, KPMEM_WIRE_MSG_SIZE,
					    DMA_TO_DEVICE);
		kfree(lane->req);
		lane->req = NULL;
		lane->req_dma = 0;
	}
	if (pool->pd) {
		ib_dealloc_pd(pool->pd);
		pool->pd = NULL;
	}
}

/*
 * Stop the data path and free what the device holds: afterwards no call
 * uses the queue pair and nothing of the pool is in the device.  Calls in
 * flight were woken with the pool's error; their pages go once the queue
 * pair is drained.
 */
static void kpmem_pool_quiesce(struct kpmem_pool *pool)
{
	u32 i;

	mutex_lock(&pool->state_lock);
	if (pool->state >= KPMEM_POOL_QUIESCED) {
		mutex_unlock(&pool->state_lock);
		return;
	}
	if (!kpmem_pool_error(pool))
		kpmem_pool_fail(pool, -ESHUTDOWN, "closed");
	down_write(&pool->io_sem);
	kpmem_pool_set_state(pool, KPMEM_POOL_QUIESCED);
	up_write(&pool->io_sem);
	if (pool->qp)
		kpmem_qp_drain(pool->qp, pool->cm_id->port_num);
	kpmem_debug_point(KPMEM_DBG_POOL_QUIESCE);
	for (i = 0; pool->lanes && i < pool->wire_lanes; i++)
		kpmem_xfer_release(&pool->lanes[i]);
	kpmem_pool_free_rdma(pool);
	mutex_unlock(&pool->state_lock);
}

/*
 * Should the pool's disconnect wait for its port (port_park.h)?  Not once
 * the module or the device goes.
 */
static bool kpmem_pool_port_wait(struct kpmem_pool *pool)
{
	bool wait;

	mutex_lock(&pool->state_lock);
	wait = pool->state == KPMEM_POOL_PARKED && !kpmem_port_park_stopping(&kpmem_pools_park) &&
	       !kpmem_ibdev_dying(pool->dev) &&
	       kpmem_port_is_down(pool->cm_id->device, pool->cm_id->port_num);
	mutex_unlock(&pool->state_lock);
	return wait;
}

/* End the CM id: a DREQ if we were connected, then the id.  Idempotent. */
static void kpmem_pool_disconnect(struct kpmem_pool *pool)
{
	mutex_lock(&pool->state_lock);
	if (pool->state == KPMEM_POOL_QUIESCED || pool->state == KPMEM_POOL_PARKED) {
		rdma_disconnect(pool->cm_id);
		rdma_destroy_id(pool->cm_id);
		kpmem_pool_set_state(pool, KPMEM_POOL_GONE);
	}
	mutex_unlock(&pool->state_lock);
}

static void kpmem_pool_free(struct kref *ref)
{
	struct kpmem_pool *pool = container_of(ref, struct kpmem_pool, ref);
	u32 i;

	WARN_ON_ONCE(pool->state != KPMEM_POOL_GONE);
	spin_lock(&kpmem_pools_lock);
	list_del(&pool->node);
	spin_unlock(&kpmem_pools_lock);
	cancel_delayed_work_sync(&pool->keepalive_work);
	/* Every command completed (each held the file), but a worker may linger. */
	for (i = 0; pool->lanes && i < pool->wire_lanes; i++)
		cancel_work_sync(&pool->lanes[i].uring_work);
	kfree(pool->recv);
	for (i = 0; pool->lanes && i < pool->wire_lanes; i++)
		kvfree(pool->lanes[i].xfer);
	kfree(pool->lanes);
	kfree(pool->segs);
	mmdrop(pool->mm);
	kfree_sensitive(pool);
	kpmem_live_dec(KPMEM_LIVE_POOLS);
}

static void kpmem_pool_put(struct kpmem_pool *pool)
{
	kref_put(&pool->ref, kpmem_pool_free);
}

/*
 * Tear the pool down and drop the caller's reference.  The disconnect
 * waits on the park while the pool's port is down (rxe loses its CM queue
 * pair to a message sent into a down port); the rest is done at once.
 */
static void kpmem_pool_release(struct kpmem_pool *pool)
{
	cancel_delayed_work_sync(&pool->keepalive_work);
	kpmem_pool_quiesce(pool);
	mutex_lock(&pool->state_lock);
	if (pool->state == KPMEM_POOL_QUIESCED && pool->dev &&
	    !kpmem_port_park_stopping(&kpmem_pools_park) && !kpmem_ibdev_dying(pool->dev) &&
	    kpmem_port_is_down(pool->cm_id->device, pool->cm_id->port_num)) {
		kpmem_pool_set_state(pool, KPMEM_POOL_PARKED);
		mutex_unlock(&pool->state_lock);
		/* Not the peer's address: device removal may free the id meanwhile. */
		pr_info_ratelimited("port down: a pool's disconnect waits for it\n");
		/* The park takes the caller's reference. */
		kpmem_port_park_add(&kpmem_pools_park, &pool->parked);
		return;
	}
	mutex_unlock(&pool->state_lock);
	kpmem_pool_disconnect(pool);
	kpmem_pool_put(pool);
}

static bool kpmem_pool_parked_wait(struct list_head *node)
{
	return kpmem_pool_port_wait(list_entry(node, struct kpmem_pool, parked));
}

static void kpmem_pool_parked_finish(struct list_head *node)
{
	struct kpmem_pool *pool = list_entry(node, struct kpmem_pool, parked);

	kpmem_pool_disconnect(pool);
	kpmem_pool_put(pool);
}

/**
 * kpmem_pools_remove_device() - tear down every pool on @dev
 * @dev: an RDMA device going away (rpmem_ibdev.c)
 *
 * Each fails with ENODEV and loses its connection now; its file stays
 * until closed.  Returns once none of them uses @dev.  Sleeps.
 */
void kpmem_pools_remove_device(struct ib_device *dev)
{
	struct kpmem_pool *pool, *found;

	for (;;) {
		found = NULL;
		spin_lock(&kpmem_pools_lock);
		list_for_each_entry(pool, &kpmem_pools, node) {
			if (pool->dev == dev && READ_ONCE(pool->state) != KPMEM_POOL_GONE &&
			    kref_get_unless_zero(&pool->ref)) {
				found = pool;
				break;
			}
		}
		spin_unlock(&kpmem_pools_lock);
		if (!found)
			break;
		kpmem_pool_fail(found, -ENODEV, "RDMA device removed");
		kpmem_pool_quiesce(found);
		kpmem_pool_disconnect(found);
		kpmem_pool_put(found);
	}
	/* A pool on the park is torn down above; the park drops it when it looks. */
	kpmem_port_park_kick(&kpmem_pools_park);
}

/* ---- keepalive ----------------------------------------------------------- */

/*
 * Every keepalive period: if no request left in that time, send a
 * KEEPALIVE on a lane nobody is using (a busy lane is traffic enough).  A
 * target that does not answer fails the pool like any other request.
 */
static void kpmem_pool_keepalive_work(struct work_struct *work)
{
	struct kpmem_pool *pool = container_of(to_delayed_work(work), struct kpmem_pool,
					       keepalive_work);
	unsigned long period = msecs_to_jiffies(pool->keepalive);
	u32 i;

	if (kpmem_pool_error(pool))
		return;
	if (time_before(jiffies, READ_ONCE(pool->last_tx) + period) ||
	    !down_read_trylock(&pool->io_sem))
		goto again;
	for (i = 0; kpmem_pool_live(pool) && i < pool->nlanes; i++) {
		struct kpmem_lane *lane = &pool->lanes[i];

		if (!mutex_trylock(&lane->lock))
			continue;
		kpmem_lane_simple(lane, KPMEM_WIRE_KEEPALIVE);
		mutex_unlock(&lane->lock);
		break;
	}
	up_read(&pool->io_sem);
again:
	if (!kpmem_pool_error(pool))
		queue_delayed_work(system_long_wq, &pool->keepalive_work, period);
}

/* ---- connecting ---------------------------------------------------------- */

/* A refusal from a kpmem target says why (struct kpmem_wire_cm_rej). */
static int kpmem_pool_rejected(struct rdma_cm_id *id, struct rdma_cm_event *event)
{
	const struct kpmem_wire_cm_rej *rej;
	u8 len = 0;
	u32 status;

	rej = rdma_consumer_reject_data(id, event, &len);
	if (!rej || len < sizeof(*rej) || le32_to_cpu(rej->magic) != KPMEM_WIRE_MAGIC) {
		/* Not kpmem's refusal: the CM's (no listener, a stale connection, ...). */
		pr_info_ratelimited("connection to %pISpc rejected: %s\n",
				    &id->route.addr.dst_addr, rdma_reject_msg(id, event->status));
		return -ECONNREFUSED;
	}
	status = le32_to_cpu(rej->status);
	return status && status < MAX_ERRNO ? -(int)status : -ECONNREFUSED;
}

/* The target's REP carries its nonce. */
static int kpmem_pool_take_nonce(struct kpmem_pool *pool, const struct rdma_conn_param *p)
{
	const struct kpmem_wire_cm_rep *rep = p->private_data;

	if (!rep || p->private_data_len < sizeof(*rep) ||
	    le32_to_cpu(rep->magic) != KPMEM_WIRE_MAGIC)
		return -EPROTO;
	memcpy(pool->nonce_t, rep->nonce, sizeof(pool->nonce_t));
	return 0;
}

/* The CM answered the step being waited for (kpmem_pool_wait_cm()). */
static void kpmem_pool_cm_answer(struct kpmem_pool *pool, int status)
{
	spin_lock_irq(&pool->lock);
	pool->cm_status = status;
	pool->cm_answered = true;
	spin_unlock_irq(&pool->lock);
}

/*
 * CM events.  Runs under the id's handler mutex, so it never takes the
 * pool's state_lock (setup holds that while calling into rdma_cm): it only
 * records what happened and wakes the connecting thread or fails the pool.
 */
static int kpmem_pool_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *event)
{
	struct kpmem_pool *pool = id->context;
	int status = 0;

	switch (event->event) {
	case RDMA_CM_EVENT_ESTABLISHED:
		status = kpmem_pool_take_nonce(pool, &event->param.conn);
		break;
	case RDMA_CM_EVENT_ADDR_RESOLVED:
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		break;
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
		status = -EHOSTUNREACH;
		break;
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_CONNECT_ERROR:
		status = event->status == -ETIMEDOUT ? -ETIMEDOUT : -EHOSTUNREACH;
		break;
	case RDMA_CM_EVENT_REJECTED:
		status = kpmem_pool_rejected(id, event);
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_ADDR_CHANGE:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		kpmem_pool_cm_answer(pool, -ECONNRESET);
		kpmem_pool_fail(pool, -ECONNRESET, rdma_event_msg(event->event));
		return 0;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/*
		 * The device's removal tore every pool bound to it down first
		 * (rpmem_ibdev.c); this one was not bound yet.  Whoever holds
		 * it destroys the id, which the removal waits for.
		 */
		kpmem_pool_fail(pool, -ENODEV, rdma_event_msg(event->event));
		kpmem_port_park_kick(&kpmem_pools_park);
		return 0;
	default:
		return 0;
	}
	kpmem_pool_cm_answer(pool, status);
	if (status)
		kpmem_pool_fail(pool, status, rdma_event_msg(event->event));
	complete(&pool->cm_done);
	return 0;
}

/*
 * Wait for the CM's answer to a connection-setup step.  A pool failed by
 * a close or a device removal stops waiting at once; one failed by its
 * flushed receives (ECONNRESET) keeps waiting for the answer, which says
 * why: a refused connect moves the QP to error, and the flushes can come
 * before the CM's REJECTED.
 */
static int kpmem_pool_wait_cm(struct kpmem_pool *pool, unsigned int timeout_ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(timeout_ms);
	int abort, status;
	bool answered;
	long left;

	for (;;) {
		left = time_after_eq(jiffies, end) ? 1 : (long)(end - jiffies);
		left = wait_for_completion_killable_timeout(&pool->cm_done, left);
		if (left == 0)
			return -ETIMEDOUT;
		if (left < 0)
			return left;
		/* An answer that completed before the reinit is seen under the lock. */
		reinit_completion(&pool->cm_done);
		spin_lock_irq(&pool->lock);
		answered = pool->cm_answered;
		pool->cm_answered = false;
		status = pool->cm_status;
		abort = pool->cm_abort;
		spin_unlock_irq(&pool->lock);
		if (answered)
			return status ?: kpmem_pool_error(pool);
		if (abort)
			return abort;
	}
}

/**
 * kpmem_pool_alloc_lanes() - lanes, request and receive buffers
 * @pool: a pool whose device is known, under its state_lock
 *
 * Charged to the caller's memory cgroup, as everything a pool holds.
 *
 * Return: 0 or -ENOMEM (what was allocated is freed by teardown).
 */
int kpmem_pool_alloc_lanes(struct kpmem_pool *pool)
{
	struct kpmem_lane *lanes;
	u32 i;

	lanes = kcalloc(pool->wire_lanes, sizeof(*lanes), GFP_KERNEL_ACCOUNT);
	if (!lanes)
		return -ENOMEM;
	for (i = 0; i < pool->wire_lanes; i++)
		kpmem_lane_init(&lanes[i], pool);
	/* Pairs with kpmem_pool_fail(): lanes are whole before anyone sees them. */
	smp_store_release(&pool->lanes, lanes);
	pool->recv = kcalloc(pool->nrecv, sizeof(*pool->recv), GFP_KERNEL_ACCOUNT);
	if (!pool->recv)
		return -ENOMEM;
	for (i = 0; i < pool->wire_lanes; i++) {
		struct kpmem_lane *lane = &pool->lanes[i];

		lane->req = kmalloc(KPMEM_WIRE_MSG_SIZE, GFP_KERNEL_ACCOUNT);
		if (!lane->req)
			return -ENOMEM;
		lane->req_dma = ib_dma_map_single(pool->dev, lane->req, KPMEM_WIRE_MSG_SIZE,
						  DMA_TO_DEVICE);
		if (ib_dma_mapping_error(pool->dev, lane->req_dma)) {
			lane->req_dma = 0;
			return -ENOMEM;
		}
	}
	for (i = 0; i < pool->nrecv; i++) {
		struct kpmem_recv_buf *rb = &pool->recv[i];

		kpmem_recv_buf_init(rb, pool);
		rb->buf = kmalloc(KPMEM_WIRE_MSG_SIZE, GFP_KERNEL_ACCOUNT);
		if (!rb->buf)
			return -ENOMEM;
		rb->dma = ib_dma_map_single(pool->dev, rb->buf, KPMEM_WIRE_MSG_SIZE,
					    DMA_FROM_DEVICE);
		if (ib_dma_mapping_error(pool->dev, rb->dma)) {
			rb->dma = 0;
			return -ENOMEM;
		}
	}
	return 0;
}

/* Bind the pool to its resolved device, unless the device is going away. */
static int kpmem_pool_bind(struct kpmem_pool *pool)
{
	int ret = 0;

	spin_lock(&kpmem_pools_lock);
	if (kpmem_ibdev_dying(pool->cm_id->device))
		ret = -ENODEV;
	else
		pool->dev = pool->cm_id->device;
	spin_unlock(&kpmem_pools_lock);
	return ret;
}

/* Route resolved: the queue pair and the buffers, then connect.  Under state_lock. */
static int kpmem_pool_setup_qp(struct kpmem_pool *pool)
{
	struct kpmem_wire_cm_req req = {
		.magic = cpu_to_le32(KPMEM_WIRE_MAGIC),
		.version = cpu_to_le16(KPMEM_WIRE_VERSION),
		.nlanes = cpu_to_le16(pool->wire_lanes),
	};
	struct rdma_conn_param param = {
		.private_data = &req, .private_data_len = sizeof(req),
		.retry_count = 7, .rnr_retry_count = 7, .flow_control = 1,
	};
	struct ib_qp_init_attr attr = { };
	u32 i, lane_wrs, send_wrs, cqes;
	int ret;

	ret = kpmem_pool_bind(pool);
	if (ret)
		return ret;
	memcpy(req.nonce, pool->nonce_i, sizeof(req.nonce));
	pool->max_sge = min3(pool->dev->attrs.max_send_sge, pool->dev->attrs.max_sge_rd,
			     KPMEM_LANE_MAX_SGE);
	param.initiator_depth = min_t(u32, pool->dev->attrs.max_qp_init_rd_atom, 16);
	/*
	 * A lane posts its transfer's RDMA work requests and the request; the
	 * previous one's may not have been retired yet.
	 */
	lane_wrs = 2 * (KPMEM_LANE_MAX_WRS + 1);
	/* ib_drain_qp() needs one more send and one more receive. */
	send_wrs = pool->wire_lanes * lane_wrs + 1;
	pool->nrecv = pool->wire_lanes + 1;
	/*
	 * Room for a completion of every work request the QP can hold: most
	 * RDMA work requests are unsignaled, but when the QP goes to error
	 * each one is flushed with a completion, and a full CQ would lose the
	 * drain's (ib_drain_qp() then waits forever).
	 */
	cqes = send_wrs + pool->nrecv + 1;
	if (!pool->max_sge || send_wrs > pool->dev->attrs.max_qp_wr ||
	    cqes > pool->dev->attrs.max_cqe)
		return -EOPNOTSUPP;
	pool->pd = ib_alloc_pd(pool->dev, 0);
	if (IS_ERR(pool->pd)) {
		ret = PTR_ERR(pool->pd);
		pool->pd = NULL;
		return ret;
	}
	pool->cq = ib_alloc_cq(pool->dev, pool, cqes, 0, IB_POLL_SOFTIRQ);
	if (IS_ERR(pool->cq)) {
		ret = PTR_ERR(pool->cq);
		pool->cq = NULL;
		return ret;
	}
	attr.send_cq = pool->cq;
	attr.recv_cq = pool->cq;
	attr.qp_type = IB_QPT_RC;
	attr.sq_sig_type = IB_SIGNAL_REQ_WR;
	attr.cap.max_send_wr = send_wrs;
	attr.cap.max_recv_wr = pool->nrecv + 1;
	attr.cap.max_send_sge = pool->max_sge;
	attr.cap.max_recv_sge = 1;
	ret = rdma_create_qp(pool->cm_id, pool->pd, &attr);
	if (ret)
		return ret;
	pool->qp = pool->cm_id->qp;

	ret = kpmem_pool_alloc_lanes(pool);
	for (i = 0; !ret && i < pool->nrecv; i++)
		ret = kpmem_pool_post_recv(pool, &pool->recv[i]);
	if (ret)
		return ret;
	kpmem_debug_point(KPMEM_DBG_POOL_SETUP);
	kpmem_pool_set_state(pool, KPMEM_POOL_CONNECTING);
	return rdma_connect(pool->cm_id, &param);
}

/* Room for RDMA transfers, on lanes the target granted. */
static int kpmem_pool_alloc_xfers(struct kpmem_pool *pool)
{
	u32 i;

	for (i = 0; i < pool->nlanes; i++) {
		struct kpmem_lane *lane = &pool->lanes[i];

		lane->xfer = kvzalloc(sizeof(*lane->xfer), GFP_KERNEL_ACCOUNT);
		if (!lane->xfer)
			return -ENOMEM;
	}
	return 0;
}

/* Fill HELLO from the request, with our proof when we hold a key. */
static int kpmem_pool_hello_fill(struct kpmem_pool *pool, const struct kpmem_pool_connect *req,
				 struct kpmem_wire_hello *hello)
{
	int ret;

	memset(hello, 0, sizeof(*hello));
	hello->op = cpu_to_le32(req->op);
	hello->flags = cpu_to_le32(req->flags);
	hello->pool_size = cpu_to_le64(req->pool_size);
	hello->nlanes = cpu_to_le32(pool->wire_lanes);
	hello->name_len = cpu_to_le32(strlen(req->name));
	strscpy(hello->name, req->name, sizeof(hello->name));
	hello->attr = req->attr;
	pool->keepalive = min(READ_ONCE(keepalive_ms), KPMEM_WIRE_MAX_KEEPALIVE_MS);
	hello->keepalive_ms = cpu_to_le32(pool->keepalive);
	if (!req->key_len)
		return 0;
	hello->auth = cpu_to_le32(KPMEM_WIRE_AUTH_PSK);
	ret = kpmem_auth_conn_key(req->key, req->key_len, pool->nonce_i, pool->nonce_t,
				  pool->conn_key);
	if (!ret)
		ret = kpmem_auth_hello_mac(pool->conn_key,
					   (struct sockaddr *)&pool->cm_id->route.addr.src_addr,
					   (struct sockaddr *)&pool->cm_id->route.addr.dst_addr,
					   hello, hello->mac);
	return ret;
}

/* Take a successful HELLO reply (length checked): lanes, header, segments. */
static int kpmem_pool_hello_take(struct kpmem_pool *pool, struct kpmem_pool_connect *req,
				 const struct kpmem_wire_hello *hello,
				 const struct kpmem_wire_hello_reply *reply)
{
	const struct kpmem_wire_seg *segs = (const void *)(reply + 1);
	u32 nsegs = le32_to_cpu(reply->nsegs);
	u32 nlanes = le32_to_cpu(reply->nlanes);
	u32 hdr_size = le32_to_cpu(reply->hdr_size);
	u8 mac[KPMEM_WIRE_MAC_LEN];

	/* With a key, nothing the target says counts without its proof. */
	if (req->key_len) {
		if (le32_to_cpu(reply->auth) != KPMEM_WIRE_AUTH_PSK ||
		    kpmem_auth_reply_mac(pool->conn_key, hello->mac, reply, segs, nsegs, mac) ||
		    !kpmem_auth_mac_equal(mac, reply->mac)) {
			pr_info_ratelimited("target %pISpc did not prove it holds the key of '%s'\n",
					    &pool->peer, req->name);
			return -EACCES;
		}
	}
	if (req->op == KPMEM_POOL_REMOVE)
		return 0;
	if (!nlanes || nlanes > pool->wire_lanes || (hdr_size && hdr_size != KPMEM_POOL_HDR_SIZE) ||
	    le64_to_cpu(reply->export_size) < req->pool_size)
		return -EPROTO;
	pool->nlanes = nlanes;
	pool->hdr_size = hdr_size;
	req->nlanes = nlanes;
	req->hdr_size = hdr_size;
	if (req->op == KPMEM_POOL_OPEN)
		req->attr = reply->attr;
	return kpmem_pool_check_segs(pool, segs, nsegs);
}

/* HELLO: name the export and what to do with its pool; prove our key. */
static int kpmem_pool_hello(struct kpmem_pool *pool, struct kpmem_pool_connect *req)
{
	struct kpmem_lane *lane = &pool->lanes[0];
	struct kpmem_wire_hello *hello = (void *)((struct kpmem_wire_hdr *)lane->req + 1);
	const struct kpmem_wire_hello_reply *reply;
	struct kpmem_wire_hello sent;
	struct kpmem_recv_buf *rb;
	struct kpmem_wire_hdr *rhdr;
	u32 len;
	int ret;

	mutex_lock(&pool->state_lock);
	ret = kpmem_pool_error(pool);
	if (!ret && !kpmem_pool_set_state(pool, KPMEM_POOL_HELLO))
		ret = -EPROTO;
	mutex_unlock(&pool->state_lock);
	if (ret)
		return ret;

	kpmem_debug_point(KPMEM_DBG_POOL_HELLO);
	down_read(&pool->io_sem);
	ret = pool->state == KPMEM_POOL_HELLO ? 0 : -ENODEV;
	mutex_lock(&lane->lock);
	if (!ret) {
		kpmem_lane_prep(lane, KPMEM_WIRE_HELLO, 0, sizeof(*hello), 0);
		ret = kpmem_pool_hello_fill(pool, req, hello);
		sent = *hello;
	}
	rb = ret ? ERR_PTR(ret) : kpmem_lane_call(lane, sizeof(*hello));
	mutex_unlock(&lane->lock);
	if (IS_ERR(rb)) {
		up_read(&pool->io_sem);
		return PTR_ERR(rb);
	}

	/*
	 * io_sem stays held while the reply is read and its buffer posted
	 * again: device removal frees both (and the QP) only under it.
	 */
	rhdr = rb->buf;
	reply = (const void *)(rhdr + 1);
	len = le32_to_cpu(rhdr->length);
	ret = kpmem_reply_status(rhdr);
	if (!ret && (len < sizeof(*reply) || le32_to_cpu(reply->nsegs) > KPMEM_WIRE_MAX_SEGS ||
		     len != sizeof(*reply) +
			    le32_to_cpu(reply->nsegs) * sizeof(struct kpmem_wire_seg)))
		ret = -EPROTO;
	if (!ret)
		ret = kpmem_pool_hello_take(pool, req, &sent, reply);
	kpmem_pool_put_reply(pool, rb);
	up_read(&pool->io_sem);
	memzero_explicit(&sent, sizeof(sent));
	if (!ret && pool->nsegs)
		ret = kpmem_pool_alloc_xfers(pool);
	/* A removal is done once answered; the target then disconnects. */
	if (ret || req->op == KPMEM_POOL_REMOVE)
		return ret;

	mutex_lock(&pool->state_lock);
	ret = kpmem_pool_error(pool);
	if (!ret && !kpmem_pool_set_state(pool, KPMEM_POOL_LIVE))
		ret = -EPROTO;
	mutex_unlock(&pool->state_lock);
	return ret;
}

/*
 * Resolve the target's address and route, set up the queue pair, connect
 * and say HELLO.  Each step holds state_lock while it touches RDMA
 * resources, and none while it waits, so that device removal can tear the
 * pool down between steps; a failed pool stops the waits at once.
 */
static int kpmem_pool_establish(struct kpmem_pool *pool, struct kpmem_pool_connect *req,
				struct sockaddr *dst, unsigned int timeout)
{
	int ret;

	ret = rdma_resolve_addr(pool->cm_id, NULL, dst, timeout);
	if (!ret)
		ret = kpmem_pool_wait_cm(pool, timeout + 1000);
	if (!ret)
		ret = rdma_resolve_route(pool->cm_id, timeout);
	if (!ret)
		ret = kpmem_pool_wait_cm(pool, timeout + 1000);
	if (ret)
		return ret;
	mutex_lock(&pool->state_lock);
	ret = pool->state == KPMEM_POOL_RESOLVING ? kpmem_pool_setup_qp(pool) : -ENODEV;
	mutex_unlock(&pool->state_lock);
	if (!ret)
		ret = kpmem_pool_wait_cm(pool, timeout + 1000);
	if (!ret)
		ret = kpmem_pool_hello(pool, req);
	return ret;
}

/* ---- the pool file ------------------------------------------------------- */

static long kpmem_pool_ioc_io(struct kpmem_pool *pool, unsigned int nr, void __user *argp)
{
	struct kpmem_pool_io io;
	struct kpmem_lane *lane;
	u32 flags_ok;
	int ret;

	if (copy_from_user(&io, argp, sizeof(io)))
		return -EFAULT;
	if (io.reserved[0] || io.reserved[1])
		return -EINVAL;
	switch (nr) {
	case _IOC_NR(KPMEM_POOL_IOC_PERSIST):
	case _IOC_NR(KPMEM_POOL_IOC_FLUSH):
		flags_ok = nr == _IOC_NR(KPMEM_POOL_IOC_PERSIST) ? KPMEM_IO_FLAGS_ALL :
								   KPMEM_IO_RELAXED;
		if (io.flags & ~flags_ok || io.buf)
			return -EINVAL;
		ret = kpmem_pool_check_range(pool, io.lane, io.offset, io.length, true);
		break;
	case _IOC_NR(KPMEM_POOL_IOC_DRAIN):
		ret = io.flags || io.offset || io.length || io.buf || io.lane >= pool->nlanes ?
		      -EINVAL : 0;
		break;
	default:	/* READ */
		ret = io.flags ? -EINVAL :
		      kpmem_pool_check_range(pool, io.lane, io.offset, io.length, false);
		if (!ret && io.length && !access_ok(u64_to_user_ptr(io.buf), io.length))
			ret = -EFAULT;
		break;
	}
	if (ret)
		return ret;
	ret = kpmem_pool_error(pool);
	if (ret)
		return ret;

	/*
	 * A flush is served as a persist (the target makes each request
	 * durable before answering), so a drain has only the lane's queued
	 * io_uring commands left to wait for: a persist of nothing.
	 */
	down_read(&pool->io_sem);
	if (!kpmem_pool_live(pool)) {
		ret = kpmem_pool_error(pool) ?: -ENODEV;
	} else {
		lane = &pool->lanes[io.lane];
		kpmem_lane_lock(lane);
		ret = kpmem_pool_error(pool);
		if (!ret && io.length && nr == _IOC_NR(KPMEM_POOL_IOC_READ))
			ret = kpmem_lane_read(lane, io.offset, io.length, io.buf);
		else if (!ret && io.length)
			ret = kpmem_lane_persist(lane, io.offset, io.length, io.flags);
		mutex_unlock(&lane->lock);
	}
	up_read(&pool->io_sem);
	return ret;
}

static long kpmem_pool_ioc_set_attr(struct kpmem_pool *pool, void __user *argp)
{
	struct kpmem_pool_set_attr req;
	struct kpmem_lane *lane = &pool->lanes[0];
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved[0] || req.reserved[1])
		return -EINVAL;
	ret = kpmem_pool_error(pool);
	if (ret)
		return ret;
	down_read(&pool->io_sem);
	if (!kpmem_pool_live(pool)) {
		ret = kpmem_pool_error(pool) ?: -ENODEV;
	} else {
		kpmem_lane_lock(lane);
		ret = kpmem_lane_set_attr(lane, &req.attr);
		mutex_unlock(&lane->lock);
	}
	up_read(&pool->io_sem);
	return ret;
}

/**
 * kpmem_pool_ioctl() - the pool file's commands
 * @file: a pool file
 * @cmd: KPMEM_POOL_IOC_*
 * @arg: its argument
 *
 * One permission check, then one switch on the command.
 *
 * Return: 0 or a negative errno.
 */
static long kpmem_pool_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kpmem_pool *pool = file->private_data;
	void __user *argp = (void __user *)arg;

	/* The pool's memory is the creator's: nobody else can persist it. */
	if (current->mm != pool->mm)
		return -EPERM;
	switch (cmd) {
	case KPMEM_POOL_IOC_PERSIST:
	case KPMEM_POOL_IOC_FLUSH:
	case KPMEM_POOL_IOC_DRAIN:
	case KPMEM_POOL_IOC_READ:
		return kpmem_pool_ioc_io(pool, _IOC_NR(cmd), argp);
	case KPMEM_POOL_IOC_SET_ATTR:
		return kpmem_pool_ioc_set_attr(pool, argp);
	default:
		return -ENOTTY;
	}
}

/*
 * Tell a healthy target we are done, and wait (bounded) for it to have
 * released the export: an open right after a close must not find it busy.
 */
static void kpmem_pool_close(struct kpmem_pool *pool)
{
	struct kpmem_lane *lane = &pool->lanes[0];

	down_read(&pool->io_sem);
	if (kpmem_pool_live(pool) && !kpmem_pool_error(pool)) {
		mutex_lock(&lane->lock);
		kpmem_lane_simple(lane, KPMEM_WIRE_CLOSE);
		mutex_unlock(&lane->lock);
		/* The target disconnects after its answer: that is no failure. */
		kpmem_pool_fail(pool, -ESHUTDOWN, "closed");
	}
	up_read(&pool->io_sem);
}

static int kpmem_pool_file_release(struct inode *inode, struct file *file)
{
	struct kpmem_pool *pool = file->private_data;

	cancel_delayed_work_sync(&pool->keepalive_work);
	kpmem_pool_close(pool);
	kpmem_pool_release(pool);
	return 0;
}

static const struct file_operations kpmem_pool_fops = {
	.owner = THIS_MODULE,
	.release = kpmem_pool_file_release,
	.unlocked_ioctl = kpmem_pool_ioctl,
	.uring_cmd = kpmem_pool_uring_cmd,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static int kpmem_pool_connect_check(struct kpmem_pool_connect *req)
{
	const struct kpmem_sockaddr *t = &req->target;
	size_t len = strnlen(req->name, sizeof(req->name));

	if (req->flags & ~KPMEM_POOL_FLAGS_ALL || !kpmem_auth_key_ok(req->key, req->key_len) ||
	    memchr_inv(req->reserved, 0, sizeof(req->reserved)) ||
	    req->timeout_ms > KPMEM_POOL_TIMEOUT_MAX_MS ||
	    !len || len > KPMEM_NAME_MAX || t->reserved || t->prefix_len)
		return -EINVAL;
	if (!((t->family == AF_INET && t->len == sizeof(struct sockaddr_in)) ||
	      (t->family == AF_INET6 && t->len == sizeof(struct sockaddr_in6))) ||
	    ((struct sockaddr *)t->addr)->sa_family != t->family)
		return -EINVAL;
	if (req->op == KPMEM_POOL_REMOVE)
		return req->flags & KPMEM_POOL_HAS_ATTR ? -EINVAL : 0;
	if (req->op != KPMEM_POOL_CREATE && req->op != KPMEM_POOL_OPEN)
		return -EINVAL;
	if (req->flags & KPMEM_POOL_REMOVE_FORCE ||
	    (req->op == KPMEM_POOL_OPEN && req->flags & KPMEM_POOL_HAS_ATTR))
		return -EINVAL;
	if (!req->nlanes || !req->pool_addr || !req->pool_size ||
	    !PAGE_ALIGNED(req->pool_addr) || !PAGE_ALIGNED(req->pool_size) ||
	    req->pool_addr + req->pool_size < req->pool_addr ||
	    !access_ok(u64_to_user_ptr(req->pool_addr), req->pool_size))
		return -EINVAL;
	return 0;
}

/* A new pool, listed, counted against the caller's process. */
static struct kpmem_pool *kpmem_pool_alloc(const struct kpmem_pool_connect *req)
{
	unsigned int max = READ_ONCE(max_pools_per_process), n = 0;
	struct kpmem_pool *pool, *p;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL_ACCOUNT);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	kpmem_live_inc(KPMEM_LIVE_POOLS);
	kref_init(&pool->ref);
	spin_lock_init(&pool->lock);
	init_completion(&pool->cm_done);
	mutex_init(&pool->state_lock);
	init_rwsem(&pool->io_sem);
	INIT_LIST_HEAD(&pool->parked);
	INIT_DELAYED_WORK(&pool->keepalive_work, kpmem_pool_keepalive_work);
	pool->state = KPMEM_POOL_RESOLVING;
	pool->pool_addr = req->pool_addr;
	pool->pool_size = req->pool_size;
	pool->wire_lanes = clamp_t(u32, req->nlanes, 1, KPMEM_WIRE_MAX_LANES);
	get_random_bytes(pool->nonce_i, sizeof(pool->nonce_i));
	/* Pages pinned for transfers count against the locked-memory limit, as RDMA's do. */
	pool->memlock_pages = capable(CAP_IPC_LOCK) ? U64_MAX :
			      rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	mmgrab(current->mm);
	pool->mm = current->mm;

	spin_lock(&kpmem_pools_lock);
	list_for_each_entry(p, &kpmem_pools, node)
		n += p->mm == pool->mm && READ_ONCE(p->state) < KPMEM_POOL_QUIESCED;
	if (n < max)
		list_add_tail(&pool->node, &kpmem_pools);
	spin_unlock(&kpmem_pools_lock);
	if (n >= max) {
		mmdrop(pool->mm);
		kfree(pool);
		kpmem_live_dec(KPMEM_LIVE_POOLS);
		return ERR_PTR(-EMFILE);
	}
	return pool;
}

/**
 * kpmem_pool_connect() - KPMEM_IOC_POOL_CONNECT
 * @argp: struct kpmem_pool_connect in user memory
 *
 * Return: a pool file descriptor (create, open), 0 (remove) or a negative
 * errno.
 */
long kpmem_pool_connect(void __user *argp)
{
	struct kpmem_pool_connect *req;
	struct sockaddr_storage dst = { };
	struct kpmem_pool *pool;
	unsigned int timeout;
	long ret;

	req = memdup_user(argp, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = kpmem_pool_connect_check(req);
	if (ret)
		goto out_req;
	memcpy(&dst, req->target.addr, req->target.len);
	timeout = req->timeout_ms ? req->timeout_ms : KPMEM_POOL_TIMEOUT_DEFAULT_MS;

	pool = kpmem_pool_alloc(req);
	if (IS_ERR(pool)) {
		ret = PTR_ERR(pool);
		goto out_req;
	}
	memcpy(&pool->peer, &dst, sizeof(pool->peer));
	pool->cm_id = rdma_create_id(current->nsproxy->net_ns, kpmem_pool_cm_handler, pool,
				     RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(pool->cm_id)) {
		ret = PTR_ERR(pool->cm_id);
		mutex_lock(&pool->state_lock);
		kpmem_pool_set_state(pool, KPMEM_POOL_QUIESCED);
		kpmem_pool_set_state(pool, KPMEM_POOL_GONE);
		mutex_unlock(&pool->state_lock);
		kpmem_pool_put(pool);
		goto out_req;
	}
	ret = kpmem_pool_establish(pool, req, (struct sockaddr *)&dst, timeout);
	trace_kpmem_pool_connect(pool, (struct sockaddr *)&dst, req->name, req->op, ret);
	if (ret)
		goto out_pool;
	if (req->op == KPMEM_POOL_REMOVE) {
		/* The target ends the connection after its answer. */
		kpmem_pool_release(pool);
		kfree_sensitive(req);
		return 0;
	}
	if (pool->keepalive) {
		WRITE_ONCE(pool->last_tx, jiffies);
		queue_delayed_work(system_long_wq, &pool->keepalive_work,
				   msecs_to_jiffies(pool->keepalive));
	}
	ret = -EFAULT;
	if (copy_to_user(argp, req, sizeof(*req)))
		goto out_close;
	/* The file takes the connect's reference. */
	ret = anon_inode_getfd("[kpmem-pool]", &kpmem_pool_fops, pool, O_RDWR | O_CLOEXEC);
	if (ret < 0)
		goto out_close;
	kfree_sensitive(req);
	return ret;

out_close:
	cancel_delayed_work_sync(&pool->keepalive_work);
	kpmem_pool_close(pool);
out_pool:
	kpmem_pool_release(pool);
out_req:
	kfree_sensitive(req);
	return ret;
}

void kpmem_initiator_init(void)
{
	kpmem_port_park_init(&kpmem_pools_park, kpmem_pool_parked_wait, kpmem_pool_parked_finish);
}

/* Module exit: pools still waiting for their port disconnect now. */
void kpmem_initiator_exit(void)
{
	kpmem_port_park_drain(&kpmem_pools_park);
}
