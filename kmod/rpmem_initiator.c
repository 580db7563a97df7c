// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem initiator: connecting a pool to a target's export, and the pool
 * file's data path (persist, flush, drain, read, set_attr) over lanes.
 *
 * A pool is one RC connection.  Each lane owns a request buffer and has at
 * most one request in flight; replies land in a shared ring of receive
 * buffers and are handed to the waiting lane by sequence number.  Any
 * transport failure is sticky: every later call fails at once with it.
 * Bulk data moves by RDMA (rpmem_xfer.c) when the target registered the
 * pool for us, inline in the messages otherwise.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include "compat.h"
#include "kpmem.h"
#include "port_park.h"
#include "rpmem.h"
#include "rpmem_initiator.h"
#include "rpmem_wire.h"

/*
 * 4 s, so that with wake-up latency a dead target is noticed within the
 * 5 s librpmem promises.
 */
static unsigned int request_timeout_ms = 4000;
module_param(request_timeout_ms, uint, 0644);
MODULE_PARM_DESC(request_timeout_ms,
		 "a target not answering a request within this time is dead (default 4000)");

/*
 * An idle pool sends a KEEPALIVE this often, so that the target can tell a
 * quiet initiator from a vanished one (and a dead target is noticed even
 * by a pool nobody uses).
 */
static unsigned int keepalive_ms = 1000;
module_param(keepalive_ms, uint, 0644);
MODULE_PARM_DESC(keepalive_ms,
		 "an idle pool tells the target it is alive this often; 0: never (default 1000)");

static int kpmem_pool_error(struct kpmem_pool *pool)
{
	return READ_ONCE(pool->error);
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
	spin_unlock_irqrestore(&pool->lock, flags);
	if (first && pool->established && !READ_ONCE(pool->closing))
		pr_info_ratelimited("pool on %pISpc failed (%d): %s\n",
				    &pool->cm_id->route.addr.dst_addr, err, why);
	/* Connection setup can fail before there are lanes (pairs with the release). */
	lanes = smp_load_acquire(&pool->lanes);
	for (i = 0; lanes && i < pool->wire_lanes; i++)
		complete_all(&lanes[i].done);
}

static int kpmem_pool_post_recv(struct kpmem_pool *pool, struct kpmem_recv_buf *rb)
{
	struct ib_sge sge = {
		.addr = rb->dma, .length = KPMEM_WIRE_MSG_SIZE, .lkey = pool->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = { .wr_cqe = &rb->cqe, .sg_list = &sge, .num_sge = 1 };

	ib_dma_sync_single_for_device(pool->dev, rb->dma, KPMEM_WIRE_MSG_SIZE, DMA_FROM_DEVICE);
	return ib_post_recv(pool->qp, &wr, NULL);
}

static void kpmem_pool_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kpmem_recv_buf *rb = container_of(wc->wr_cqe, struct kpmem_recv_buf, cqe);
	struct kpmem_pool *pool = rb->pool;
	struct kpmem_wire_hdr *hdr = rb->buf;
	struct kpmem_lane *lane;
	unsigned long flags;
	u32 l;

	if (wc->status != IB_WC_SUCCESS) {
		kpmem_pool_fail(pool, -ECONNRESET, ib_wc_status_msg(wc->status));
		return;
	}
	ib_dma_sync_single_for_cpu(pool->dev, rb->dma, KPMEM_WIRE_MSG_SIZE, DMA_FROM_DEVICE);
	if (wc->byte_len < sizeof(*hdr) ||
	    wc->byte_len != sizeof(*hdr) + le32_to_cpu(hdr->length) ||
	    !(le16_to_cpu(hdr->type) & KPMEM_WIRE_REPLY))
		goto bad;
	l = le16_to_cpu(hdr->lane);
	if (l >= pool->wire_lanes)
		goto bad;
	lane = &pool->lanes[l];
	spin_lock_irqsave(&pool->lock, flags);
	if (!lane->waiting || lane->seq != le64_to_cpu(hdr->seq) || lane->reply) {
		spin_unlock_irqrestore(&pool->lock, flags);
		goto bad;
	}
	lane->reply = rb;
	spin_unlock_irqrestore(&pool->lock, flags);
	complete(&lane->done);
	return;
bad:
	kpmem_pool_fail(pool, -EPROTO, "malformed reply");
}

static void kpmem_pool_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kpmem_lane *lane = container_of(wc->wr_cqe, struct kpmem_lane, send_cqe);

	if (wc->status != IB_WC_SUCCESS)
		kpmem_pool_fail(lane->pool, -ECONNRESET, ib_wc_status_msg(wc->status));
}

/* The last READ of a lane's transfer: the whole transfer has landed. */
static void kpmem_pool_rdma_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kpmem_lane *lane = container_of(wc->wr_cqe, struct kpmem_lane, rdma_cqe);

	if (wc->status != IB_WC_SUCCESS)
		kpmem_pool_fail(lane->pool, -ECONNRESET, ib_wc_status_msg(wc->status));
	else
		complete(&lane->done);
}

/* Wait for @lane->done; a target not answering in time is dead. */
static void kpmem_lane_wait(struct kpmem_lane *lane)
{
	long left = wait_for_completion_killable_timeout(&lane->done,
							 msecs_to_jiffies(request_timeout_ms));

	if (left == 0)
		kpmem_pool_fail(lane->pool, -ETIMEDOUT, "the target did not answer in time");
	else if (left < 0)
		/* Killed: the reply may still come; the pool is dead anyway. */
		kpmem_pool_fail(lane->pool, -EINTR, "caller killed while waiting");
}

/*
 * Send the request prepared in @lane->req (header + @data_len bytes), after
 * the RDMA WRITEs of the lane's transfer if it has one, and wait for its
 * reply, at most request_timeout_ms.  On success the reply's receive buffer
 * is returned; give it back with kpmem_pool_put_reply().
 */
static struct kpmem_recv_buf *kpmem_lane_call(struct kpmem_lane *lane, u32 data_len)
{
	struct kpmem_pool *pool = lane->pool;
	struct kpmem_wire_hdr *hdr = lane->req;
	struct ib_sge sge = {
		.addr = lane->req_dma, .length = sizeof(*hdr) + data_len,
		.lkey = pool->pd->local_dma_lkey,
	};
	struct ib_send_wr wr = {
		.wr_cqe = &lane->send_cqe, .sg_list = &sge, .num_sge = 1,
		.opcode = IB_WR_SEND, .send_flags = IB_SEND_SIGNALED,
	};
	struct kpmem_recv_buf *rb;
	unsigned long flags;
	int err;

	spin_lock_irqsave(&pool->lock, flags);
	err = pool->error;
	if (!err) {
		lane->seq++;
		hdr->seq = cpu_to_le64(lane->seq);
		lane->waiting = true;
		lane->reply = NULL;
		reinit_completion(&lane->done);
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	if (err)
		return ERR_PTR(err);

	ib_dma_sync_single_for_device(pool->dev, lane->req_dma, sge.length, DMA_TO_DEVICE);
	err = ib_post_send(pool->qp, kpmem_xfer_chain(lane, &wr), NULL);
	if (err) {
		kpmem_pool_fail(pool, -ECONNRESET, "cannot post a request");
	} else {
		WRITE_ONCE(pool->last_tx, jiffies);
		kpmem_lane_wait(lane);
	}

	spin_lock_irqsave(&pool->lock, flags);
	lane->waiting = false;
	rb = lane->reply;
	lane->reply = NULL;
	err = pool->error;
	spin_unlock_irqrestore(&pool->lock, flags);
	if (rb && !err)
		return rb;
	if (rb)
		kpmem_pool_post_recv(pool, rb);
	return ERR_PTR(err ? err : -ECONNRESET);
}

static void kpmem_pool_put_reply(struct kpmem_pool *pool, struct kpmem_recv_buf *rb)
{
	if (kpmem_pool_post_recv(pool, rb))
		kpmem_pool_fail(pool, -ECONNRESET, "cannot post a receive");
}

static void kpmem_lane_prep(struct kpmem_lane *lane, u16 type, u16 lnum, u64 offset, u32 length,
			    u32 flags)
{
	struct kpmem_wire_hdr *hdr = lane->req;

	memset(hdr, 0, sizeof(*hdr));
	hdr->type = cpu_to_le16(type);
	hdr->lane = cpu_to_le16(lnum);
	hdr->offset = cpu_to_le64(offset);
	hdr->length = cpu_to_le32(length);
	hdr->flags = cpu_to_le32(flags);
}

/* A reply's status as a negative errno, bounded: never trust the wire. */
static int kpmem_reply_status(const struct kpmem_wire_hdr *hdr)
{
	u32 status = le32_to_cpu(hdr->status);

	if (!status)
		return 0;
	return status < MAX_ERRNO ? -(int)status : -EREMOTEIO;
}

/* Pools whose disconnect waits for their port (see kpmem_pool_port_wait()). */
static struct kpmem_port_park kpmem_pools_park;

/* Stop the data path: no call uses the QP any more, nothing is in the device. */
static void kpmem_pool_quiesce(struct kpmem_pool *pool)
{
	u32 i;

	mutex_lock(&pool->teardown_lock);
	if (pool->torn_down) {
		mutex_unlock(&pool->teardown_lock);
		return;
	}
	/*
	 * Calls in flight were woken with the pool's error; wait for them to
	 * leave the QP alone (device removal can come while they run).
	 */
	down_write(&pool->io_sem);
	pool->torn_down = true;
	up_write(&pool->io_sem);
	/* What the drain flushes is no news. */
	WRITE_ONCE(pool->closing, true);
	if (pool->qp)
		ib_drain_qp(pool->qp);
	/* Nothing is in the device any more: pages of failed transfers can go. */
	for (i = 0; pool->lanes && i < pool->wire_lanes; i++)
		kpmem_xfer_release(&pool->lanes[i]);
	mutex_unlock(&pool->teardown_lock);
}

static void kpmem_pool_teardown(struct kpmem_pool *pool)
{
	u32 i;

	kpmem_pool_quiesce(pool);
	mutex_lock(&pool->teardown_lock);
	if (pool->cm_gone) {
		mutex_unlock(&pool->teardown_lock);
		return;
	}
	pool->cm_gone = true;
	if (pool->qp)
		rdma_disconnect(pool->cm_id);
	rdma_destroy_id(pool->cm_id);
	if (pool->qp)
		ib_destroy_qp(pool->qp);
	if (pool->cq)
		ib_free_cq(pool->cq);
	for (i = 0; pool->recv && i < pool->nrecv; i++) {
		if (pool->recv[i].dma)
			ib_dma_unmap_single(pool->dev, pool->recv[i].dma, KPMEM_WIRE_MSG_SIZE,
					    DMA_FROM_DEVICE);
		kfree(pool->recv[i].buf);
	}
	for (i = 0; pool->lanes && i < pool->wire_lanes; i++) {
		if (pool->lanes[i].req_dma)
			ib_dma_unmap_single(pool->dev, pool->lanes[i].req_dma,
					    KPMEM_WIRE_MSG_SIZE, DMA_TO_DEVICE);
		kfree(pool->lanes[i].req);
	}
	if (pool->pd)
		ib_dealloc_pd(pool->pd);
	mutex_unlock(&pool->teardown_lock);
}

/*
 * Should the pool's disconnect wait for its port (port_park.h)?  Not once
 * device removal has torn the connection down; the lock keeps that from
 * freeing the id under us.
 */
static bool kpmem_pool_port_wait(struct kpmem_pool *pool)
{
	bool wait;

	mutex_lock(&pool->teardown_lock);
	wait = !pool->cm_gone && pool->established &&
	       kpmem_port_is_down(pool->cm_id->device, pool->cm_id->port_num);
	mutex_unlock(&pool->teardown_lock);
	return wait;
}

/*
 * Tell a healthy target we are done, and wait (bounded) for it to have
 * released the export: an open right after a close must not find it busy.
 */
static void kpmem_pool_close(struct kpmem_pool *pool)
{
	struct kpmem_lane *lane = &pool->lanes[0];
	struct kpmem_recv_buf *rb;

	down_read(&pool->io_sem);
	if (!pool->torn_down) {
		mutex_lock(&lane->lock);
		kpmem_lane_prep(lane, KPMEM_WIRE_CLOSE, 0, 0, 0, 0);
		rb = kpmem_lane_call(lane, 0);
		if (!IS_ERR(rb))
			kpmem_pool_put_reply(pool, rb);
		mutex_unlock(&lane->lock);
	}
	up_read(&pool->io_sem);
}

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
	struct kpmem_recv_buf *rb;
	u32 i;

	if (kpmem_pool_error(pool) || READ_ONCE(pool->closing))
		return;
	if (time_before(jiffies, READ_ONCE(pool->last_tx) + period) ||
	    !down_read_trylock(&pool->io_sem))
		goto again;
	for (i = 0; !pool->torn_down && i < pool->wire_lanes; i++) {
		struct kpmem_lane *lane = &pool->lanes[i];

		if (!mutex_trylock(&lane->lock))
			continue;
		kpmem_lane_prep(lane, KPMEM_WIRE_KEEPALIVE, i, 0, 0, 0);
		rb = kpmem_lane_call(lane, 0);
		if (!IS_ERR(rb))
			kpmem_pool_put_reply(pool, rb);
		mutex_unlock(&lane->lock);
		break;
	}
	up_read(&pool->io_sem);
again:
	if (!kpmem_pool_error(pool))
		queue_delayed_work(system_long_wq, &pool->keepalive_work, period);
}

/* The last of a pool: its connection, its workers, its memory. */
static void kpmem_pool_destroy(struct kpmem_pool *pool)
{
	u32 i;

	kpmem_pool_teardown(pool);
	cancel_work_sync(&pool->removal_work);
	/* Every command completed (each held the file), but a worker may linger. */
	for (i = 0; pool->lanes && i < pool->wire_lanes; i++)
		cancel_work_sync(&pool->lanes[i].uring_work);
	kfree(pool->recv);
	for (i = 0; pool->lanes && i < pool->wire_lanes; i++)
		kvfree(pool->lanes[i].xfer);
	kfree(pool->lanes);
	kfree(pool->segs);
	if (pool->mm)
		mmdrop(pool->mm);
	kfree_sensitive(pool);
	kpmem_live_dec(KPMEM_LIVE_POOLS);
}

static void kpmem_pool_free(struct kpmem_pool *pool)
{
	cancel_delayed_work_sync(&pool->keepalive_work);

	if (pool->attached && !kpmem_pool_error(pool))
		kpmem_pool_close(pool);
	kpmem_pool_quiesce(pool);
	if (!kpmem_port_park_stopping(&kpmem_pools_park) && kpmem_pool_port_wait(pool)) {
		/* Not the peer's address: device removal may free the id meanwhile. */
		pr_info_ratelimited("port down: a pool's disconnect waits for it\n");
		kpmem_port_park_add(&kpmem_pools_park, &pool->parked);
		return;
	}
	kpmem_pool_destroy(pool);
}

static bool kpmem_pool_parked_wait(struct list_head *node)
{
	return kpmem_pool_port_wait(list_entry(node, struct kpmem_pool, parked));
}

static void kpmem_pool_parked_finish(struct list_head *node)
{
	kpmem_pool_destroy(list_entry(node, struct kpmem_pool, parked));
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

static void kpmem_pool_removal_work(struct work_struct *work)
{
	kpmem_pool_teardown(container_of(work, struct kpmem_pool, removal_work));
}

/* The target's REP carries the challenge a keyed HELLO answers. */
static void kpmem_pool_take_challenge(struct kpmem_pool *pool, const struct rdma_conn_param *p)
{
	const struct kpmem_wire_cm_rep *rep = p->private_data;

	if (rep && p->private_data_len >= sizeof(*rep) &&
	    le32_to_cpu(rep->magic) == KPMEM_WIRE_MAGIC) {
		memcpy(pool->challenge, rep->challenge, sizeof(pool->challenge));
		pool->has_challenge = true;
	}
}

static int kpmem_pool_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *event)
{
	struct kpmem_pool *pool = id->context;
	int status = 0;

	switch (event->event) {
	case RDMA_CM_EVENT_ESTABLISHED:
		kpmem_pool_take_challenge(pool, &event->param.conn);
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
		status = -ECONNREFUSED;
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_ADDR_CHANGE:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		kpmem_pool_fail(pool, -ECONNRESET, rdma_event_msg(event->event));
		return 0;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/* The id cannot be destroyed from its own handler. */
		kpmem_pool_fail(pool, -ENODEV, rdma_event_msg(event->event));
		pool->cm_status = -ENODEV;
		complete(&pool->cm_done);
		schedule_work(&pool->removal_work);
		return 0;
	default:
		return 0;
	}
	pool->cm_status = status;
	if (status)
		kpmem_pool_fail(pool, status, rdma_event_msg(event->event));
	else if (event->event == RDMA_CM_EVENT_ESTABLISHED)
		pool->established = true;
	complete(&pool->cm_done);
	return 0;
}

static int kpmem_pool_wait_cm(struct kpmem_pool *pool, unsigned int timeout_ms)
{
	long left = wait_for_completion_killable_timeout(&pool->cm_done,
							 msecs_to_jiffies(timeout_ms));

	if (left == 0)
		return -ETIMEDOUT;
	if (left < 0)
		return left;
	reinit_completion(&pool->cm_done);
	return pool->cm_status;
}

static int kpmem_pool_alloc_buffers(struct kpmem_pool *pool)
{
	struct kpmem_lane *lanes;
	u32 i;

	lanes = kpmem_alloc(kcalloc(pool->wire_lanes, sizeof(*lanes), GFP_KERNEL));
	if (!lanes)
		return -ENOMEM;
	/*
	 * Whole before it is published: kpmem_pool_fail() (any context) wakes
	 * every lane, and kpmem_pool_free() cancels their workers.
	 */
	for (i = 0; i < pool->wire_lanes; i++) {
		struct kpmem_lane *lane = &lanes[i];

		lane->pool = pool;
		mutex_init(&lane->lock);
		init_completion(&lane->done);
		lane->send_cqe.done = kpmem_pool_send_done;
		lane->rdma_cqe.done = kpmem_pool_rdma_done;
		init_llist_head(&lane->uring_queue);
		INIT_WORK(&lane->uring_work, kpmem_uring_lane_work);
	}
	/* Pairs with kpmem_pool_fail(): lanes are whole before anyone sees them. */
	smp_store_release(&pool->lanes, lanes);
	pool->recv = kpmem_alloc(kcalloc(pool->nrecv, sizeof(*pool->recv), GFP_KERNEL));
	if (!pool->recv)
		return -ENOMEM;
	for (i = 0; i < pool->wire_lanes; i++) {
		struct kpmem_lane *lane = &pool->lanes[i];

		lane->req = kpmem_alloc(kmalloc(KPMEM_WIRE_MSG_SIZE, GFP_KERNEL));
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

		rb->pool = pool;
		rb->cqe.done = kpmem_pool_recv_done;
		rb->buf = kpmem_alloc(kmalloc(KPMEM_WIRE_MSG_SIZE, GFP_KERNEL));
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

/* Route resolved: the queue pair and the buffers, then connect. */
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

	pool->dev = pool->cm_id->device;
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

	ret = kpmem_pool_alloc_buffers(pool);
	for (i = 0; !ret && i < pool->nrecv; i++)
		ret = kpmem_pool_post_recv(pool, &pool->recv[i]);
	if (ret)
		return ret;
	return rdma_connect(pool->cm_id, &param);
}

/* Room for RDMA transfers, on lanes the target granted. */
static int kpmem_pool_alloc_xfers(struct kpmem_pool *pool)
{
	u32 i;

	for (i = 0; i < pool->nlanes; i++) {
		struct kpmem_lane *lane = &pool->lanes[i];

		lane->xfer = kpmem_alloc(kvzalloc(sizeof(*lane->xfer), GFP_KERNEL));
		if (!lane->xfer)
			return -ENOMEM;
	}
	return 0;
}

static int kpmem_pool_hello(struct kpmem_pool *pool, struct kpmem_pool_connect *req)
{
	struct kpmem_lane *lane = &pool->lanes[0];
	struct kpmem_wire_hello *hello = (void *)((struct kpmem_wire_hdr *)lane->req + 1);
	const struct kpmem_wire_hello_reply *reply;
	struct kpmem_recv_buf *rb;
	struct kpmem_wire_hdr *rhdr;
	int ret;

	kpmem_lane_prep(lane, KPMEM_WIRE_HELLO, 0, 0, sizeof(*hello), 0);
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
	if (req->key_len) {
		if (!pool->has_challenge)
			return -EPROTO;
		ret = kpmem_auth_proof(req->key, req->key_len, pool->challenge, req->name,
				       req->op, hello->proof);
		if (ret)
			return ret;
		hello->has_proof = cpu_to_le32(1);
	}

	rb = kpmem_lane_call(lane, sizeof(*hello));
	if (IS_ERR(rb))
		return PTR_ERR(rb);
	rhdr = rb->buf;
	reply = (const void *)(rhdr + 1);
	ret = kpmem_reply_status(rhdr);
	if (!ret && (le32_to_cpu(rhdr->length) < sizeof(*reply) ||
		     le32_to_cpu(reply->nsegs) > KPMEM_WIRE_MAX_SEGS ||
		     le32_to_cpu(rhdr->length) != sizeof(*reply) +
		     le32_to_cpu(reply->nsegs) * sizeof(struct kpmem_wire_seg)))
		ret = -EPROTO;
	if (!ret) {
		u32 nlanes = le32_to_cpu(reply->nlanes);
		u32 hdr_size = le32_to_cpu(reply->hdr_size);

		if (req->op != KPMEM_POOL_REMOVE &&
		    (!nlanes || nlanes > pool->wire_lanes ||
		     (hdr_size && hdr_size != KPMEM_POOL_HDR_SIZE) ||
		     le64_to_cpu(reply->export_size) < req->pool_size))
			ret = -EPROTO;
		pool->attached = true;
		pool->nlanes = nlanes;
		pool->hdr_size = hdr_size;
		req->nlanes = nlanes;
		req->hdr_size = hdr_size;
		if (req->op == KPMEM_POOL_OPEN)
			req->attr = reply->attr;
		if (!ret && req->op != KPMEM_POOL_REMOVE)
			ret = kpmem_pool_check_segs(pool, (const void *)(reply + 1),
						    le32_to_cpu(reply->nsegs));
	}
	kpmem_pool_put_reply(pool, rb);
	if (!ret && pool->nsegs)
		ret = kpmem_pool_alloc_xfers(pool);
	return ret;
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

/* Persist [offset, offset + len) inline: the bytes ride in the request. */
static int kpmem_lane_persist_inline(struct kpmem_lane *lane, u32 lnum, u64 offset, u32 len,
				     u32 wflags)
{
	struct kpmem_pool *pool = lane->pool;
	struct kpmem_recv_buf *rb;
	int ret;

	kpmem_lane_prep(lane, KPMEM_WIRE_PERSIST, lnum, offset, len, wflags);
	if (copy_from_user((struct kpmem_wire_hdr *)lane->req + 1,
			   u64_to_user_ptr(pool->pool_addr + offset), len))
		return -EFAULT;
	rb = kpmem_lane_call(lane, len);
	if (IS_ERR(rb))
		return PTR_ERR(rb);
	ret = kpmem_reply_status(rb->buf);
	kpmem_pool_put_reply(pool, rb);
	return ret;
}

/*
 * Send the lane's transfer: its RDMA WRITEs, then PERSIST_RANGES naming
 * the ranges (already in the request), and wait for the target to have
 * made them durable.
 */
int kpmem_lane_persist_xfer(struct kpmem_lane *lane, u32 wflags)
{
	struct kpmem_pool *pool = lane->pool;
	struct kpmem_xfer *x = lane->xfer;
	u32 len = x->nranges * sizeof(struct kpmem_wire_range);
	struct kpmem_wire_hdr *hdr = lane->req;
	struct kpmem_recv_buf *rb;
	int ret;

	hdr->type = cpu_to_le16(KPMEM_WIRE_PERSIST_RANGES);
	hdr->lane = cpu_to_le16(lane - pool->lanes);
	hdr->status = 0;
	hdr->offset = 0;
	hdr->length = cpu_to_le32(len);
	hdr->flags = cpu_to_le32(wflags);
	rb = kpmem_lane_call(lane, len);
	x->nwr = 0;
	if (IS_ERR(rb))
		return PTR_ERR(rb);	/* pages stay pinned until teardown */
	ret = kpmem_reply_status(rb->buf);
	kpmem_pool_put_reply(pool, rb);
	kpmem_xfer_release(lane);
	return ret;
}

/**
 * kpmem_lane_add_range() - add a persist range to the lane's transfer
 * @lane: the lane, transfer begun for writing
 * @offset: pool offset (checked, past the header)
 * @len: bytes
 * @whole: all of it or nothing
 *
 * Return: bytes added (0: the transfer is full) or a negative errno.
 */
long kpmem_lane_add_range(struct kpmem_lane *lane, u64 offset, u64 len, bool whole)
{
	struct kpmem_pool *pool = lane->pool;
	struct kpmem_xfer *x = lane->xfer;
	struct kpmem_wire_range *r = (void *)((struct kpmem_wire_hdr *)lane->req + 1);
	long n;

	if (x->nranges == KPMEM_WIRE_MAX_RANGES || x->bytes >= KPMEM_WIRE_MAX_RANGES_BYTES ||
	    (whole && x->bytes + len > KPMEM_WIRE_MAX_RANGES_BYTES))
		return 0;
	len = min(len, KPMEM_WIRE_MAX_RANGES_BYTES - x->bytes);
	n = kpmem_xfer_add(lane, offset, pool->pool_addr + offset, len, whole);
	if (n > 0) {
		r[x->nranges].offset = cpu_to_le64(offset);
		r[x->nranges].length = cpu_to_le64(n);
		x->nranges++;
	}
	return n;
}

/**
 * kpmem_lane_persist() - persist pool [offset, offset + len), lane locked
 * @lane: the lane, its lock held
 * @offset: checked pool offset
 * @len: checked length
 * @io_flags: KPMEM_IO_*
 *
 * Return: 0 once the range is durable on the target, or a negative errno.
 */
int kpmem_lane_persist(struct kpmem_lane *lane, u64 offset, u64 len, u32 io_flags)
{
	struct kpmem_pool *pool = lane->pool;
	u32 wflags = io_flags & KPMEM_IO_DEEP ? KPMEM_WIRE_DEEP : 0;
	u32 lnum = lane - pool->lanes;
	u64 done = 0;
	long n;
	int ret = 0;

	while (!ret && done < len) {
		u64 left = len - done;

		if (!pool->nsegs || left <= KPMEM_WIRE_INLINE_MAX) {
			n = min_t(u64, left, KPMEM_WIRE_MAX_DATA);
			ret = kpmem_lane_persist_inline(lane, lnum, offset + done, n, wflags);
		} else {
			kpmem_xfer_begin(lane, true);
			n = kpmem_lane_add_range(lane, offset + done, left, false);
			if (n <= 0)
				ret = n ? n : -EFAULT;
			else
				ret = kpmem_lane_persist_xfer(lane, wflags);
		}
		done += n;
	}
	return ret;
}

/*
 * Take a lane for a synchronous call.  What io_uring queued on it before
 * the call is served first: a persist, drain or read covers every earlier
 * command on its lane, as rpmem_persist(3) promises for earlier flushes.
 */
static void kpmem_lane_lock(struct kpmem_lane *lane)
{
	mutex_lock(&lane->lock);
	kpmem_uring_lane_serve(lane, true);
}

static long kpmem_pool_persist(struct kpmem_pool *pool, const struct kpmem_pool_io *io)
{
	struct kpmem_lane *lane = &pool->lanes[io->lane];
	int ret;

	kpmem_lane_lock(lane);
	ret = kpmem_pool_error(pool);
	if (!ret && io->length)
		ret = kpmem_lane_persist(lane, io->offset, io->length, io->flags);
	mutex_unlock(&lane->lock);
	return ret;
}

/* Read [offset, offset + len) inline, through the target. */
static int kpmem_lane_read_inline(struct kpmem_lane *lane, u32 lnum, u64 offset, u32 len,
				  u64 buf)
{
	struct kpmem_pool *pool = lane->pool;
	struct kpmem_recv_buf *rb;
	struct kpmem_wire_hdr *rhdr;
	int ret;

	kpmem_lane_prep(lane, KPMEM_WIRE_READ, lnum, offset, len, 0);
	rb = kpmem_lane_call(lane, 0);
	if (IS_ERR(rb))
		return PTR_ERR(rb);
	rhdr = rb->buf;
	ret = kpmem_reply_status(rhdr);
	if (!ret && le32_to_cpu(rhdr->length) != len)
		ret = -EPROTO;
	if (!ret && copy_to_user(u64_to_user_ptr(buf), rhdr + 1, len))
		ret = -EFAULT;
	kpmem_pool_put_reply(pool, rb);
	return ret;
}

/* RDMA READ [offset, offset + len) straight into the user's buffer. */
static long kpmem_lane_read_rdma(struct kpmem_lane *lane, u64 offset, u64 len, u64 buf)
{
	struct kpmem_pool *pool = lane->pool;
	struct kpmem_xfer *x = lane->xfer;
	struct ib_rdma_wr *last;
	unsigned long flags;
	long n;
	int err;

	kpmem_xfer_begin(lane, false);
	n = kpmem_xfer_add(lane, offset, buf, len, false);
	if (n <= 0)
		return n ? n : -EFAULT;
	last = &x->wrs[x->nwr - 1];
	last->wr.wr_cqe = &lane->rdma_cqe;
	last->wr.send_flags = IB_SEND_SIGNALED;

	spin_lock_irqsave(&pool->lock, flags);
	err = pool->error;
	if (!err)
		reinit_completion(&lane->done);
	spin_unlock_irqrestore(&pool->lock, flags);
	if (err) {
		kpmem_xfer_release(lane);
		return err;
	}
	err = ib_post_send(pool->qp, kpmem_xfer_chain(lane, NULL), NULL);
	x->nwr = 0;
	if (err) {
		kpmem_xfer_release(lane);
		kpmem_pool_fail(pool, -ECONNRESET, "cannot post a read");
		return -ECONNRESET;
	}
	kpmem_lane_wait(lane);
	err = kpmem_pool_error(pool);
	if (err)
		return err;	/* pages stay pinned until teardown */
	kpmem_xfer_release(lane);
	return n;
}

/**
 * kpmem_lane_read() - read pool [offset, offset + len) into @buf, lane locked
 * @lane: the lane, its lock held
 * @offset: checked pool offset
 * @len: checked length
 * @buf: user address of the destination
 *
 * Return: 0 once all of it is in @buf, or a negative errno.
 */
int kpmem_lane_read(struct kpmem_lane *lane, u64 offset, u64 len, u64 buf)
{
	struct kpmem_pool *pool = lane->pool;
	u32 lnum = lane - pool->lanes;
	u64 done = 0;
	long n;
	int ret = 0;

	while (!ret && done < len) {
		u64 pos = offset + done, left = len - done;

		if (!pool->nsegs || pos < pool->hdr_size || left <= KPMEM_WIRE_INLINE_MAX) {
			n = min_t(u64, left, KPMEM_WIRE_MAX_DATA);
			if (pos < pool->hdr_size)
				n = min_t(u64, n, pool->hdr_size - pos);
			ret = kpmem_lane_read_inline(lane, lnum, pos, n, buf + done);
		} else {
			n = kpmem_lane_read_rdma(lane, pos, left, buf + done);
			if (n < 0)
				ret = n;
		}
		done += n;
	}
	if (ret == -EPROTO)
		kpmem_pool_fail(pool, ret, "malformed read reply");
	return ret;
}

static long kpmem_pool_read(struct kpmem_pool *pool, const struct kpmem_pool_io *io)
{
	struct kpmem_lane *lane = &pool->lanes[io->lane];
	int ret;

	kpmem_lane_lock(lane);
	ret = kpmem_pool_error(pool);
	if (!ret && io->length)
		ret = kpmem_lane_read(lane, io->offset, io->length, io->buf);
	mutex_unlock(&lane->lock);
	return ret;
}

static long kpmem_pool_set_attr(struct kpmem_pool *pool, void __user *argp)
{
	struct kpmem_lane *lane = &pool->lanes[0];
	struct kpmem_pool_set_attr req;
	struct kpmem_recv_buf *rb;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved[0] || req.reserved[1])
		return -EINVAL;
	mutex_lock(&lane->lock);
	kpmem_lane_prep(lane, KPMEM_WIRE_SET_ATTR, 0, 0, sizeof(req.attr), 0);
	memcpy((struct kpmem_wire_hdr *)lane->req + 1, &req.attr, sizeof(req.attr));
	rb = kpmem_lane_call(lane, sizeof(req.attr));
	if (IS_ERR(rb)) {
		ret = PTR_ERR(rb);
	} else {
		ret = kpmem_reply_status(rb->buf);
		kpmem_pool_put_reply(pool, rb);
	}
	mutex_unlock(&lane->lock);
	return ret;
}

static long kpmem_pool_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kpmem_pool *pool = file->private_data;
	void __user *argp = (void __user *)arg;
	struct kpmem_pool_io io;
	int ret;

	/* The pool's memory is the creator's: nobody else can persist it. */
	if (current->mm != pool->mm)
		return -EPERM;
	if (cmd == KPMEM_POOL_IOC_SET_ATTR) {
		ret = kpmem_pool_error(pool);
		if (ret)
			return ret;
		down_read(&pool->io_sem);
		ret = pool->torn_down ? -ENODEV : kpmem_pool_set_attr(pool, argp);
		up_read(&pool->io_sem);
		return ret;
	}
	if (cmd != KPMEM_POOL_IOC_PERSIST && cmd != KPMEM_POOL_IOC_FLUSH &&
	    cmd != KPMEM_POOL_IOC_DRAIN && cmd != KPMEM_POOL_IOC_READ)
		return -ENOTTY;
	if (copy_from_user(&io, argp, sizeof(io)))
		return -EFAULT;
	if (io.reserved[0] || io.reserved[1])
		return -EINVAL;

	switch (cmd) {
	case KPMEM_POOL_IOC_PERSIST:
	case KPMEM_POOL_IOC_FLUSH:
		if (io.flags & ~(cmd == KPMEM_POOL_IOC_PERSIST ? KPMEM_IO_FLAGS_ALL :
							   KPMEM_IO_RELAXED) || io.buf)
			return -EINVAL;
		ret = kpmem_pool_check_range(pool, io.lane, io.offset, io.length, true);
		break;
	case KPMEM_POOL_IOC_DRAIN:
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
	if (pool->torn_down)
		ret = -ENODEV;
	else if (cmd == KPMEM_POOL_IOC_READ)
		ret = kpmem_pool_read(pool, &io);
	else
		ret = kpmem_pool_persist(pool, &io);
	up_read(&pool->io_sem);
	return ret;
}

static int kpmem_pool_release(struct inode *inode, struct file *file)
{
	kpmem_pool_free(file->private_data);
	return 0;
}

static const struct file_operations kpmem_pool_fops = {
	.owner = THIS_MODULE,
	.release = kpmem_pool_release,
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
	unsigned int timeout;
	struct kpmem_pool *pool;
	long ret;

	req = kpmem_memdup_user(argp, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = kpmem_pool_connect_check(req);
	if (ret)
		goto out_req;
	memcpy(&dst, req->target.addr, req->target.len);
	timeout = req->timeout_ms ? req->timeout_ms : 5000;

	ret = -ENOMEM;
	pool = kpmem_alloc(kzalloc(sizeof(*pool), GFP_KERNEL));
	if (!pool)
		goto out_req;
	kpmem_live_inc(KPMEM_LIVE_POOLS);
	spin_lock_init(&pool->lock);
	init_completion(&pool->cm_done);
	mutex_init(&pool->teardown_lock);
	init_rwsem(&pool->io_sem);
	INIT_WORK(&pool->removal_work, kpmem_pool_removal_work);
	INIT_LIST_HEAD(&pool->parked);
	INIT_DELAYED_WORK(&pool->keepalive_work, kpmem_pool_keepalive_work);
	pool->pool_addr = req->pool_addr;
	pool->pool_size = req->pool_size;
	pool->wire_lanes = clamp_t(u32, req->nlanes, 1, KPMEM_WIRE_MAX_LANES);
	mmgrab(current->mm);
	pool->mm = current->mm;

	pool->cm_id = rdma_create_id(current->nsproxy->net_ns, kpmem_pool_cm_handler, pool,
				     RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(pool->cm_id)) {
		ret = PTR_ERR(pool->cm_id);
		pool->torn_down = true;
		pool->cm_gone = true;
		goto out_pool;
	}
	ret = rdma_resolve_addr(pool->cm_id, NULL, (struct sockaddr *)&dst, timeout);
	if (!ret)
		ret = kpmem_pool_wait_cm(pool, timeout + 1000);
	if (!ret)
		ret = rdma_resolve_route(pool->cm_id, timeout);
	if (!ret)
		ret = kpmem_pool_wait_cm(pool, timeout + 1000);
	if (!ret)
		ret = kpmem_pool_setup_qp(pool);
	if (!ret)
		ret = kpmem_pool_wait_cm(pool, timeout + 1000);
	if (!ret)
		ret = kpmem_pool_hello(pool, req);
	if (ret)
		goto out_pool;

	if (req->op == KPMEM_POOL_REMOVE) {
		kpmem_pool_free(pool);
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
		goto out_pool;
	ret = anon_inode_getfd("[kpmem-pool]", &kpmem_pool_fops, pool, O_RDWR | O_CLOEXEC);
	if (ret < 0)
		goto out_pool;
	kfree_sensitive(req);
	return ret;

out_pool:
	kpmem_pool_free(pool);
out_req:
	kfree_sensitive(req);
	return ret;
}
