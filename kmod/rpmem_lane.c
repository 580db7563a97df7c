// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem initiator: requests on a pool's lanes.
 *
 * Each lane owns a request buffer and has at most one request in flight;
 * replies land in a shared ring of receive buffers and are handed to the
 * waiting lane by sequence number.  A call is over once both its request's
 * send has completed and its reply has arrived (or, for an RDMA READ, its
 * last READ completed); only then are the pages it pinned let go.  Bulk
 * data moves by RDMA (rpmem_xfer.c) when the target registered the pool
 * for us and the caller's locked-memory limit leaves room to pin it,
 * inline in the messages otherwise.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <rdma/ib_verbs.h>

#include "compat.h"
#include "kpmem.h"
#include "kpmem_trace.h"
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

/* One of the completions a lane's call waits for is in. */
static void kpmem_lane_complete_one(struct kpmem_lane *lane)
{
	if (atomic_dec_and_test(&lane->pending))
		complete(&lane->done);
}

/**
 * kpmem_pool_post_recv() - give a receive buffer to the device
 * @pool: the pool
 * @rb: one of its receive buffers
 *
 * Return: 0 or the device's error.
 */
int kpmem_pool_post_recv(struct kpmem_pool *pool, struct kpmem_recv_buf *rb)
{
	struct ib_sge sge = {
		.addr = rb->dma, .length = KPMEM_WIRE_MSG_SIZE, .lkey = pool->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = { .wr_cqe = &rb->cqe, .sg_list = &sge, .num_sge = 1 };

	ib_dma_sync_single_for_device(pool->dev, rb->dma, KPMEM_WIRE_MSG_SIZE, DMA_FROM_DEVICE);
	return ib_post_recv(pool->qp, &wr, NULL);
}

void kpmem_pool_put_reply(struct kpmem_pool *pool, struct kpmem_recv_buf *rb)
{
	if (kpmem_pool_post_recv(pool, rb))
		kpmem_pool_fail(pool, -ECONNRESET, "cannot post a receive");
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
	kpmem_lane_complete_one(lane);
	return;
bad:
	kpmem_pool_fail(pool, -EPROTO, "malformed reply");
}

static void kpmem_pool_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kpmem_lane *lane = container_of(wc->wr_cqe, struct kpmem_lane, send_cqe);

	if (wc->status != IB_WC_SUCCESS)
		kpmem_pool_fail(lane->pool, -ECONNRESET, ib_wc_status_msg(wc->status));
	else
		kpmem_lane_complete_one(lane);
}

/* The last READ of a lane's transfer: the whole transfer has landed. */
static void kpmem_pool_rdma_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kpmem_lane *lane = container_of(wc->wr_cqe, struct kpmem_lane, rdma_cqe);

	if (wc->status != IB_WC_SUCCESS)
		kpmem_pool_fail(lane->pool, -ECONNRESET, ib_wc_status_msg(wc->status));
	else
		kpmem_lane_complete_one(lane);
}

/**
 * kpmem_recv_buf_init() - a receive buffer of @pool, for replies
 * @rb: the buffer's record
 * @pool: its pool
 */
void kpmem_recv_buf_init(struct kpmem_recv_buf *rb, struct kpmem_pool *pool)
{
	rb->pool = pool;
	rb->cqe.done = kpmem_pool_recv_done;
}

/**
 * kpmem_lane_init() - a lane of @pool, before anyone can see it
 * @lane: the lane
 * @pool: its pool
 */
void kpmem_lane_init(struct kpmem_lane *lane, struct kpmem_pool *pool)
{
	lane->pool = pool;
	mutex_init(&lane->lock);
	init_completion(&lane->done);
	lane->send_cqe.done = kpmem_pool_send_done;
	lane->rdma_cqe.done = kpmem_pool_rdma_done;
	init_llist_head(&lane->uring_queue);
	INIT_WORK(&lane->uring_work, kpmem_uring_lane_work);
}

/*
 * Arm @lane for a call waiting for @n completions.  Return: 0, or the
 * pool's sticky error.
 */
static int kpmem_lane_arm(struct kpmem_lane *lane, int n, bool reply)
{
	struct kpmem_pool *pool = lane->pool;
	struct kpmem_wire_hdr *hdr = lane->req;
	unsigned long flags;
	int err;

	spin_lock_irqsave(&pool->lock, flags);
	err = pool->error;
	if (!err) {
		if (reply) {
			lane->seq++;
			hdr->seq = cpu_to_le64(lane->seq);
			lane->waiting = true;
			lane->reply = NULL;
		}
		atomic_set(&lane->pending, n);
		reinit_completion(&lane->done);
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	return err;
}

/* Wait for @lane's call; a target not answering in time is dead. */
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

/**
 * kpmem_lane_call() - send the request prepared in @lane->req, wait for its reply
 * @lane: the lane, locked, with the pool's io_sem held for reading
 * @data_len: bytes following the request's header
 *
 * The RDMA WRITEs of the lane's transfer, if it has one, go first.  Waits
 * at most request_timeout_ms.
 *
 * Return: the reply's receive buffer (give it back with
 * kpmem_pool_put_reply()), or an ERR_PTR; the pages of a failed call's
 * transfer stay pinned until teardown has drained the queue pair.
 */
struct kpmem_recv_buf *kpmem_lane_call(struct kpmem_lane *lane, u32 data_len)
{
	struct kpmem_pool *pool = lane->pool;
	const struct kpmem_wire_hdr *hdr = lane->req;
	struct ib_sge sge = {
		.addr = lane->req_dma, .length = sizeof(struct kpmem_wire_hdr) + data_len,
		.lkey = pool->pd->local_dma_lkey,
	};
	struct ib_send_wr wr = {
		.wr_cqe = &lane->send_cqe, .sg_list = &sge, .num_sge = 1,
		.opcode = IB_WR_SEND, .send_flags = IB_SEND_SIGNALED,
	};
	struct kpmem_recv_buf *rb;
	unsigned long flags;
	int err;

	/* Two completions: the request's send and the reply. */
	err = kpmem_lane_arm(lane, 2, true);
	if (err)
		return ERR_PTR(err);
	ib_dma_sync_single_for_device(pool->dev, lane->req_dma, sge.length, DMA_TO_DEVICE);
	trace_kpmem_lane_submit(pool, lane - pool->lanes, le16_to_cpu(hdr->type),
				le64_to_cpu(hdr->offset), le32_to_cpu(hdr->length));
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
	trace_kpmem_lane_complete(pool, lane - pool->lanes, le16_to_cpu(hdr->type),
				  rb ? kpmem_reply_status(rb->buf) : err ?: -ECONNRESET);
	/*
	 * The answer counts even if the connection failed right after it (a
	 * target ends the connection after its last reply); whether the
	 * call's pages may go is kpmem_lane_over()'s to say.
	 */
	if (rb)
		return rb;
	return ERR_PTR(err ? err : -ECONNRESET);
}

/**
 * kpmem_lane_over() - is the lane's last call over in the device too?
 * @lane: the lane, locked, after kpmem_lane_call() returned
 *
 * Return: true once every completion of the call came in; false when the
 * pool failed first, in which case the pages of its transfer stay pinned
 * until teardown has drained the queue pair.
 */
bool kpmem_lane_over(struct kpmem_lane *lane)
{
	return !atomic_read(&lane->pending);
}

/**
 * kpmem_lane_prep() - start a request in the lane's buffer
 * @lane: the lane, locked
 * @type: enum kpmem_wire_type
 * @offset: pool offset
 * @length: bytes of data following the header
 * @flags: KPMEM_WIRE_* request flags
 */
void kpmem_lane_prep(struct kpmem_lane *lane, u16 type, u64 offset, u32 length, u32 flags)
{
	struct kpmem_wire_hdr *hdr = lane->req;

	memset(hdr, 0, sizeof(*hdr));
	hdr->type = cpu_to_le16(type);
	hdr->lane = cpu_to_le16(lane - lane->pool->lanes);
	hdr->offset = cpu_to_le64(offset);
	hdr->length = cpu_to_le32(length);
	hdr->flags = cpu_to_le32(flags);
}

/**
 * kpmem_reply_status() - a reply's status as a negative errno
 * @hdr: the reply's header
 *
 * Bounded: never trust the wire.
 *
 * Return: 0 or a negative errno.
 */
int kpmem_reply_status(const struct kpmem_wire_hdr *hdr)
{
	u32 status = le32_to_cpu(hdr->status);

	if (!status)
		return 0;
	return status < MAX_ERRNO ? -(int)status : -EREMOTEIO;
}

/**
 * kpmem_lane_lock() - take a lane for a synchronous call
 * @lane: the lane
 *
 * What io_uring queued on it before the call is served first: a persist,
 * drain or read covers every earlier command on its lane, as
 * rpmem_persist(3) promises for earlier flushes.  The caller runs in the
 * pool's address space, with its io_sem held for reading.
 */
void kpmem_lane_lock(struct kpmem_lane *lane)
{
	mutex_lock(&lane->lock);
	kpmem_uring_lane_serve(lane, true);
}

/**
 * kpmem_lane_simple() - a request without data (CLOSE, KEEPALIVE)
 * @lane: the lane, locked, with the pool's io_sem held for reading
 * @type: the request's type
 *
 * Return: the reply's status, or a negative errno.
 */
int kpmem_lane_simple(struct kpmem_lane *lane, u16 type)
{
	struct kpmem_recv_buf *rb;
	int ret;

	kpmem_lane_prep(lane, type, 0, 0, 0);
	rb = kpmem_lane_call(lane, 0);
	if (IS_ERR(rb))
		return PTR_ERR(rb);
	ret = kpmem_reply_status(rb->buf);
	kpmem_pool_put_reply(lane->pool, rb);
	return ret;
}

/**
 * kpmem_lane_set_attr() - SET_ATTR on lane 0
 * @lane: the lane, locked, with the pool's io_sem held for reading
 * @attr: the new attributes
 *
 * Return: 0 or a negative errno.
 */
int kpmem_lane_set_attr(struct kpmem_lane *lane, const struct kpmem_pool_attr *attr)
{
	struct kpmem_recv_buf *rb;
	int ret;

	kpmem_lane_prep(lane, KPMEM_WIRE_SET_ATTR, 0, sizeof(*attr), 0);
	memcpy((struct kpmem_wire_hdr *)lane->req + 1, attr, sizeof(*attr));
	rb = kpmem_lane_call(lane, sizeof(*attr));
	if (IS_ERR(rb))
		return PTR_ERR(rb);
	ret = kpmem_reply_status(rb->buf);
	kpmem_pool_put_reply(lane->pool, rb);
	return ret;
}

/* Persist [offset, offset + len) inline: the bytes ride in the request. */
static int kpmem_lane_persist_inline(struct kpmem_lane *lane, u64 offset, u32 len, u32 wflags)
{
	struct kpmem_pool *pool = lane->pool;
	struct kpmem_recv_buf *rb;
	int ret;

	kpmem_lane_prep(lane, KPMEM_WIRE_PERSIST, offset, len, wflags);
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

/**
 * kpmem_lane_persist_xfer() - send the lane's transfer and persist it
 * @lane: the lane, locked, with a transfer holding ranges
 * @wflags: KPMEM_WIRE_* request flags
 *
 * Its RDMA WRITEs, then PERSIST_RANGES naming the ranges (already in the
 * request); waits for the target to have made them durable.
 *
 * Return: 0 or a negative errno.
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
	if (kpmem_lane_over(lane))
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
 * Return: bytes added (0: the transfer is full, or no more pages may be
 * pinned), or a negative errno.
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
	u64 done = 0;
	long n = 0;
	int ret = 0;

	while (!ret && done < len) {
		u64 left = len - done;

		if (pool->nsegs && left > KPMEM_WIRE_INLINE_MAX) {
			kpmem_xfer_begin(lane, true);
			n = kpmem_lane_add_range(lane, offset + done, left, false);
			if (n < 0)
				ret = n;
			else if (n)
				ret = kpmem_lane_persist_xfer(lane, wflags);
		}
		if (!ret && !n) {
			/* Small, inline only, or no room to pin: the bytes ride inline. */
			n = min_t(u64, left, KPMEM_WIRE_MAX_DATA);
			ret = kpmem_lane_persist_inline(lane, offset + done, n, wflags);
		}
		done += n;
		n = 0;
	}
	return ret;
}

/* Read [offset, offset + len) inline, through the target. */
static int kpmem_lane_read_inline(struct kpmem_lane *lane, u64 offset, u32 len, u64 buf)
{
	struct kpmem_pool *pool = lane->pool;
	struct kpmem_recv_buf *rb;
	struct kpmem_wire_hdr *rhdr;
	int ret;

	kpmem_lane_prep(lane, KPMEM_WIRE_READ, offset, len, 0);
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

/*
 * RDMA READ [offset, offset + len) straight into the user's buffer.
 * Return: bytes read (0: no room to pin), or a negative errno.
 */
static long kpmem_lane_read_rdma(struct kpmem_lane *lane, u64 offset, u64 len, u64 buf)
{
	struct kpmem_pool *pool = lane->pool;
	struct kpmem_xfer *x = lane->xfer;
	struct ib_rdma_wr *last;
	long n;
	int err;

	kpmem_xfer_begin(lane, false);
	n = kpmem_xfer_add(lane, offset, buf, len, false);
	if (n <= 0)
		return n;
	last = &x->wrs[x->nwr - 1];
	last->wr.wr_cqe = &lane->rdma_cqe;
	last->wr.send_flags = IB_SEND_SIGNALED;

	err = kpmem_lane_arm(lane, 1, false);
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
	u64 done = 0;
	long n = 0;
	int ret = 0;

	while (!ret && done < len) {
		u64 pos = offset + done, left = len - done;

		if (pool->nsegs && pos >= pool->hdr_size && left > KPMEM_WIRE_INLINE_MAX) {
			n = kpmem_lane_read_rdma(lane, pos, left, buf + done);
			if (n < 0)
				ret = n;
		}
		if (!ret && !n) {
			n = min_t(u64, left, KPMEM_WIRE_MAX_DATA);
			if (pos < pool->hdr_size)
				n = min_t(u64, n, pool->hdr_size - pos);
			ret = kpmem_lane_read_inline(lane, pos, n, buf + done);
		}
		done += n;
		n = 0;
	}
	if (ret == -EPROTO)
		kpmem_pool_fail(pool, ret, "malformed read reply");
	return ret;
}
