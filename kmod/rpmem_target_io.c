// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem target: a connection's receive slots and the requests that arrive
 * in them.
 *
 * Every exchange is one request SEND and one reply SEND on a lane, and a
 * lane has at most one request in flight, so a live connection needs one
 * receive slot per lane.  Before HELLO there is only the HELLO slot, sized
 * for HELLO.  Nothing is posted to the queue pair except under the
 * connection's lock and in a state that posts (rpmem_target.h): once a
 * release began, no buffer goes back to the device, so draining the queue
 * pair really is the end of its completions.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include "compat.h"
#include "kpmem.h"
#include "kpmem_trace.h"
#include "rpmem.h"
#include "rpmem_target.h"
#include "rpmem_target_mr.h"
#include "rpmem_wire.h"

static void kpmem_tconn_recv_done(struct ib_cq *cq, struct ib_wc *wc);
static void kpmem_tconn_hello_recv_done(struct ib_cq *cq, struct ib_wc *wc);
static void kpmem_tconn_send_done(struct ib_cq *cq, struct ib_wc *wc);

static void kpmem_slot_free(struct ib_device *dev, struct kpmem_target_slot *slot,
			    u32 reply_size)
{
	if (slot->req_dma)
		ib_dma_unmap_single(dev, slot->req_dma, slot->req_size, DMA_FROM_DEVICE);
	if (slot->reply_dma)
		ib_dma_unmap_single(dev, slot->reply_dma, reply_size, DMA_TO_DEVICE);
	kfree(slot->req);
	kfree(slot->reply);
	slot->req = NULL;
	slot->reply = NULL;
	slot->req_dma = 0;
	slot->reply_dma = 0;
}

static int kpmem_slot_init(struct kpmem_tconn *conn, struct kpmem_target_slot *slot,
			   u32 req_size, u32 reply_size)
{
	struct ib_device *dev = conn->dev;

	slot->conn = conn;
	slot->req_size = req_size;
	slot->send_cqe.done = kpmem_tconn_send_done;
	slot->req = kmalloc(req_size, GFP_KERNEL);
	slot->reply = kmalloc(reply_size, GFP_KERNEL);
	if (!slot->req || !slot->reply)
		return -ENOMEM;
	slot->req_dma = ib_dma_map_single(dev, slot->req, req_size, DMA_FROM_DEVICE);
	if (ib_dma_mapping_error(dev, slot->req_dma)) {
		slot->req_dma = 0;
		return -ENOMEM;
	}
	slot->reply_dma = ib_dma_map_single(dev, slot->reply, reply_size, DMA_TO_DEVICE);
	if (ib_dma_mapping_error(dev, slot->reply_dma)) {
		slot->reply_dma = 0;
		return -ENOMEM;
	}
	return 0;
}

#define KPMEM_HELLO_REPLY_SIZE \
	(sizeof(struct kpmem_wire_hdr) + sizeof(struct kpmem_wire_hello_reply))

/**
 * kpmem_tconn_init_hello_slot() - the buffers of a connection before HELLO
 * @conn: a new connection, its device set
 *
 * A receive buffer exactly the size of HELLO (anything longer fails to
 * arrive and ends the connection) and a reply buffer for a HELLO reply
 * without segments.
 *
 * Return: 0 or -ENOMEM (kpmem_tconn_free_slots() frees what was made).
 */
int kpmem_tconn_init_hello_slot(struct kpmem_tconn *conn)
{
	conn->hello.recv_cqe.done = kpmem_tconn_hello_recv_done;
	return kpmem_slot_init(conn, &conn->hello, KPMEM_WIRE_HELLO_MSG_SIZE,
			       KPMEM_HELLO_REPLY_SIZE);
}

/**
 * kpmem_tconn_alloc_slots() - one receive slot per granted lane
 * @conn: a connection in HELLO
 * @nslots: lanes granted
 *
 * Return: 0 or -ENOMEM (kpmem_tconn_free_slots() frees what was made).
 */
int kpmem_tconn_alloc_slots(struct kpmem_tconn *conn, u32 nslots)
{
	u32 i;
	int ret;

	conn->slots = kcalloc(nslots, sizeof(*conn->slots), GFP_KERNEL);
	if (!conn->slots)
		return -ENOMEM;
	conn->nslots = nslots;
	for (i = 0; i < nslots; i++) {
		conn->slots[i].recv_cqe.done = kpmem_tconn_recv_done;
		ret = kpmem_slot_init(conn, &conn->slots[i], KPMEM_WIRE_MSG_SIZE,
				      KPMEM_WIRE_MSG_SIZE);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * kpmem_tconn_free_slots() - free every slot's buffers
 * @conn: a connection whose queue pair is drained (or was never used)
 */
void kpmem_tconn_free_slots(struct kpmem_tconn *conn)
{
	u32 i;

	for (i = 0; conn->slots && i < conn->nslots; i++)
		kpmem_slot_free(conn->dev, &conn->slots[i], KPMEM_WIRE_MSG_SIZE);
	kfree(conn->slots);
	conn->slots = NULL;
	conn->nslots = 0;
	kpmem_slot_free(conn->dev, &conn->hello, KPMEM_HELLO_REPLY_SIZE);
}

/* Can @conn still post to its queue pair?  Under conn->lock. */
static bool kpmem_tconn_posts(const struct kpmem_tconn *conn)
{
	return conn->state < KPMEM_TCONN_RELEASING;
}

/* Post @slot's receive buffer (the caller synced it for the device); under conn->lock. */
static int kpmem_tconn_post_recv_locked(struct kpmem_target_slot *slot)
{
	struct kpmem_tconn *conn = slot->conn;
	struct ib_sge sge = {
		.addr = slot->req_dma,
		.length = slot->req_size,
		.lkey = conn->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe = &slot->recv_cqe,
		.sg_list = &sge,
		.num_sge = 1,
	};

	lockdep_assert_held(&conn->lock);
	if (!kpmem_tconn_posts(conn))
		return -ESHUTDOWN;
	return ib_post_recv(conn->qp, &wr, NULL);
}

/**
 * kpmem_tconn_post_recv() - give @slot's receive buffer to the device
 * @slot: a slot whose request was consumed (or a new one)
 *
 * Return: 0, -ESHUTDOWN when the connection is being released, or the
 * device's error.
 */
int kpmem_tconn_post_recv(struct kpmem_target_slot *slot)
{
	struct kpmem_tconn *conn = slot->conn;
	int ret;

	ib_dma_sync_single_for_device(conn->dev, slot->req_dma, slot->req_size, DMA_FROM_DEVICE);
	spin_lock(&conn->lock);
	ret = kpmem_tconn_post_recv_locked(slot);
	spin_unlock(&conn->lock);
	return ret;
}

/**
 * kpmem_tconn_reply() - answer a request
 * @conn: the connection
 * @slot: the slot the request came in (its receive buffer is reposted
 *	  unless the reply is the connection's last, at once or, while the
 *	  slot has KPMEM_SLOT_MAX_REPLIES in flight, when one completes), or
 *	  NULL for HELLO's
 * @req: the request's header
 * @rhdr: the reply's header, followed by its data
 * @rdma: @rhdr's DMA address
 * @ret: the request's result: reply data length or a negative errno
 * @from: the state the connection must still be in
 * @next: the state the reply moves it to (LAST_REPLY: released once sent)
 *
 * The state check, the transition and the posts are one step under the
 * connection's lock, so that a release never races a post.
 *
 * Return: 0, -ESHUTDOWN when the connection left @from, or a device error.
 */
int kpmem_tconn_reply(struct kpmem_tconn *conn, struct kpmem_target_slot *slot,
		      const struct kpmem_wire_hdr *req, struct kpmem_wire_hdr *rhdr, u64 rdma,
		      int ret, enum kpmem_tconn_state from, enum kpmem_tconn_state next)
{
	u32 len = ret > 0 ? ret : 0;
	struct ib_sge sge = {
		.addr = rdma,
		.length = sizeof(*rhdr) + len,
		.lkey = conn->pd->local_dma_lkey,
	};
	struct ib_send_wr wr = {
		.wr_cqe = next == KPMEM_TCONN_LAST_REPLY ? &conn->last_reply_cqe :
			  slot ? &slot->send_cqe : &conn->hello.send_cqe,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IB_WR_SEND,
		.send_flags = IB_SEND_SIGNALED,
	};
	bool repost = slot && next != KPMEM_TCONN_LAST_REPLY;
	/* Whose send_done() will see this reply complete (none for the last). */
	struct kpmem_target_slot *owner = next == KPMEM_TCONN_LAST_REPLY ? NULL :
					  slot ?: &conn->hello;
	int err;

	memset(rhdr, 0, sizeof(*rhdr));
	rhdr->type = cpu_to_le16(le16_to_cpu(req->type) | KPMEM_WIRE_REPLY);
	rhdr->lane = req->lane;
	rhdr->seq = req->seq;
	rhdr->offset = req->offset;
	rhdr->status = cpu_to_le32(ret < 0 ? -ret : 0);
	rhdr->length = cpu_to_le32(len);
	if (ret < 0 && conn->exp)
		atomic64_inc(&conn->exp->stats.errors);
	ib_dma_sync_single_for_device(conn->dev, rdma, sge.length, DMA_TO_DEVICE);

	/* The request is consumed: the slot can take the lane's next one. */
	if (repost)
		ib_dma_sync_single_for_device(conn->dev, slot->req_dma, slot->req_size,
					      DMA_FROM_DEVICE);

	spin_lock(&conn->lock);
	if (conn->state != from) {
		spin_unlock(&conn->lock);
		return -ESHUTDOWN;
	}
	if (next != from)
		kpmem_tconn_set_state(conn, next);
	/*
	 * The slot's buffer goes back before the reply: a peer answers a
	 * reply with the lane's next request at once, which must not meet an
	 * empty receive queue (an RNR NAK and a retry).  A peer may also send
	 * that request before it has acknowledged the reply, and a rogue may
	 * never acknowledge: with this reply KPMEM_SLOT_MAX_REPLIES in flight,
	 * the buffer waits for a completion instead (the peer meanwhile gets
	 * RNR NAKs), so that the send queue cannot overflow.
	 */
	if (repost) {
		if (slot->replies_in_flight + 1 >= KPMEM_SLOT_MAX_REPLIES)
			slot->recv_deferred = true;
		else
			err = kpmem_tconn_post_recv_locked(slot);
	}
	if (!err)
		err = ib_post_send(conn->qp, &wr, NULL);
	if (!err && owner)
		owner->replies_in_flight++;
	spin_unlock(&conn->lock);
	return err;
}

/* [offset, offset + len) is pool data a request may write (or read). */
static int kpmem_tconn_check_range(struct kpmem_tconn *conn, u64 offset, u32 len, bool write)
{
	u64 end;

	if (!conn->exp || !conn->pool_size)
		return -EPROTO;
	if (!len || len > KPMEM_WIRE_MAX_DATA || check_add_overflow(offset, (u64)len, &end) ||
	    end > conn->pool_size)
		return -EINVAL;
	if (write && offset < conn->hdr_size)
		return -EINVAL;
	return 0;
}

/*
 * PERSIST_RANGES: the initiator RDMA-wrote these ranges into the
 * registered pool; write them back from the CPU caches and fence.
 */
static int kpmem_tconn_persist_ranges(struct kpmem_tconn *conn,
				      const struct kpmem_wire_range *r, u32 len, bool deep)
{
	struct kpmem_export *exp = conn->exp;
	u32 n = len / sizeof(*r), i;
	u64 total = 0, off, end;
	int ret;

	if (!exp || !conn->pool_size || !conn->mrs.nmrs || !n || len % sizeof(*r))
		return -EPROTO;
	for (i = 0; i < n; i++) {
		off = le64_to_cpu(r[i].offset);
		if (!r[i].length || check_add_overflow(off, le64_to_cpu(r[i].length), &end) ||
		    end > conn->pool_size || off < conn->hdr_size)
			return -EINVAL;
		total += le64_to_cpu(r[i].length);
		if (total > KPMEM_WIRE_MAX_RANGES_BYTES)
			return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		kpmem_export_writeback(exp, le64_to_cpu(r[i].offset), le64_to_cpu(r[i].length));
		cond_resched();
	}
	ret = kpmem_export_persist(exp, le64_to_cpu(r[0].offset), le64_to_cpu(r[0].length), deep);
	if (!ret) {
		atomic64_add(n, &exp->stats.persists);
		atomic64_add(total, &exp->stats.bytes_persisted);
	}
	return ret;
}

/*
 * Serve one request of a live connection; fill the reply's data.  @next
 * says whether the reply is the connection's last.  Return: reply data
 * length or a negative errno (-EPROTO: a protocol violation, no reply).
 */
static int kpmem_tconn_serve(struct kpmem_tconn *conn, const struct kpmem_wire_hdr *hdr,
			     const void *data, void *reply_data, enum kpmem_tconn_state *next)
{
	u64 offset = le64_to_cpu(hdr->offset);
	u32 len = le32_to_cpu(hdr->length);
	struct kpmem_export *exp = conn->exp;
	bool deep = le32_to_cpu(hdr->flags) & KPMEM_WIRE_DEEP;
	int ret;

	switch (le16_to_cpu(hdr->type)) {
	case KPMEM_WIRE_PERSIST_RANGES:
		return kpmem_tconn_persist_ranges(conn, data, len, deep);
	case KPMEM_WIRE_KEEPALIVE:
		/* Receiving it was the point (see kpmem_tconn_recv_done()). */
		return !len && !offset ? 0 : -EPROTO;
	case KPMEM_WIRE_PERSIST:
		ret = kpmem_tconn_check_range(conn, offset, len, true);
		if (ret)
			return ret;
		ret = kpmem_export_write(exp, offset, data, len);
		if (!ret)
			ret = kpmem_export_persist(exp, offset, len, deep);
		if (!ret) {
			atomic64_inc(&exp->stats.persists);
			atomic64_add(len, &exp->stats.bytes_persisted);
		}
		return ret;
	case KPMEM_WIRE_READ:
		/* A read request carries no data; its length is what to read. */
		ret = kpmem_tconn_check_range(conn, offset, len, false);
		if (ret)
			return ret;
		ret = kpmem_export_read(exp, offset, reply_data, len);
		if (!ret)
			atomic64_inc(&exp->stats.reads);
		return ret ? ret : len;
	case KPMEM_WIRE_SET_ATTR:
		if (len != sizeof(struct kpmem_pool_attr) || offset)
			return -EPROTO;
		/*
		 * A pool without a header has no attributes: setting some is
		 * EINVAL, setting none (rpmem_set_attr(rpp, NULL)) is a no-op,
		 * as PMDK's util_replica_set_attr() has it.
		 */
		if (exp->flags & KPMEM_EXPORT_NOHDRS)
			return memchr_inv(data, 0, len) ? -EINVAL : 0;
		mutex_lock(&exp->lock);
		ret = kpmem_export_pool_set(exp, conn->pool_size, data);
		mutex_unlock(&exp->lock);
		return ret;
	case KPMEM_WIRE_CLOSE:
		/*
		 * Let go of the export before answering, so that the initiator
		 * can open it again the moment its close returns; revoke the
		 * rkeys before anyone else may attach.  The connection ends
		 * once the reply is sent.
		 */
		if (len || offset)
			return -EPROTO;
		kpmem_target_mrs_free(&conn->mrs);
		kpmem_export_detach(exp, conn);
		*next = KPMEM_TCONN_LAST_REPLY;
		return 0;
	default:
		return -EPROTO;
	}
}

/* Serve the request in @slot (slot->byte_len bytes) and answer it. */
static void kpmem_tconn_handle(struct kpmem_target_slot *slot)
{
	struct kpmem_tconn *conn = slot->conn;
	struct kpmem_wire_hdr *hdr = slot->req, *rhdr = slot->reply;
	enum kpmem_tconn_state next = KPMEM_TCONN_LIVE;
	u32 type, lane, data_len;
	int ret;

	/*
	 * Nothing more is served once the connection stopped being live (a
	 * CLOSE before this request let go of the export): its completions
	 * are handled one after the other, so the check suffices.
	 */
	if (READ_ONCE(conn->state) != KPMEM_TCONN_LIVE)
		return;
	/* Never trust the wire: the header, then lengths, before anything else. */
	if (slot->byte_len < sizeof(*hdr))
		goto protocol_error;
	type = le16_to_cpu(hdr->type);
	lane = le16_to_cpu(hdr->lane);
	data_len = type == KPMEM_WIRE_READ ? 0 : le32_to_cpu(hdr->length);
	if (lane >= conn->nslots || slot->byte_len != sizeof(*hdr) + data_len)
		goto protocol_error;

	ret = kpmem_tconn_serve(conn, hdr, hdr + 1, rhdr + 1, &next);
	trace_kpmem_target_request(conn, type, lane, le64_to_cpu(hdr->offset),
				   le32_to_cpu(hdr->length), ret);
	if (ret == -EPROTO)
		goto protocol_error;
	ret = kpmem_tconn_reply(conn, slot, hdr, rhdr, slot->reply_dma, ret, KPMEM_TCONN_LIVE,
				next);
	if (ret && ret != -ESHUTDOWN)
		kpmem_tconn_release(conn, "cannot post a reply");
	return;

protocol_error:
	pr_info_ratelimited("malformed request from %pISpc (%u bytes): disconnecting\n",
			    &conn->peer, slot->byte_len);
	if (conn->exp)
		atomic64_inc(&conn->exp->stats.errors);
	kpmem_tconn_release(conn, "malformed request");
}

static void kpmem_tconn_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kpmem_target_slot *slot = container_of(wc->wr_cqe, struct kpmem_target_slot,
						      recv_cqe);
	struct kpmem_tconn *conn = slot->conn;

	if (wc->status != IB_WC_SUCCESS) {
		/*
		 * Flushed: the QP went to error, by our release (then this is
		 * a no-op) or by the peer (a bad rkey, say): let go of the
		 * export now rather than when the CM notices.
		 */
		kpmem_tconn_release(conn, ib_wc_status_msg(wc->status));
		return;
	}
	ib_dma_sync_single_for_cpu(conn->dev, slot->req_dma, slot->req_size, DMA_FROM_DEVICE);
	slot->byte_len = wc->byte_len;
	WRITE_ONCE(conn->last_rx, jiffies);
	kpmem_tconn_handle(slot);
}

/*
 * HELLO arrived.  It registers memory, waiting for completions this
 * context must deliver, so it is served from the target's workqueue.
 */
static void kpmem_tconn_hello_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kpmem_tconn *conn = container_of(wc->wr_cqe, struct kpmem_tconn, hello.recv_cqe);

	if (wc->status != IB_WC_SUCCESS) {
		kpmem_tconn_release(conn, ib_wc_status_msg(wc->status));
		return;
	}
	ib_dma_sync_single_for_cpu(conn->dev, conn->hello.req_dma, conn->hello.req_size,
				   DMA_FROM_DEVICE);
	conn->hello.byte_len = wc->byte_len;
	WRITE_ONCE(conn->last_rx, jiffies);
	spin_lock(&conn->lock);
	/* An initiator may send HELLO before its RTU made us ESTABLISHED. */
	if (conn->state == KPMEM_TCONN_CONNECTING)
		kpmem_tconn_set_state(conn, KPMEM_TCONN_UNAUTH);
	if (conn->state == KPMEM_TCONN_UNAUTH) {
		kpmem_tconn_set_state(conn, KPMEM_TCONN_HELLO);
		queue_work(kpmem_target_wq, &conn->hello_work);
	}
	spin_unlock(&conn->lock);
}

static void kpmem_tconn_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kpmem_target_slot *slot = container_of(wc->wr_cqe, struct kpmem_target_slot,
						      send_cqe);
	struct kpmem_tconn *conn = slot->conn;
	int ret = 0;

	spin_lock(&conn->lock);
	slot->replies_in_flight--;
	if (slot->recv_deferred && wc->status == IB_WC_SUCCESS) {
		slot->recv_deferred = false;
		ret = kpmem_tconn_post_recv_locked(slot);
	}
	spin_unlock(&conn->lock);
	if (ret && ret != -ESHUTDOWN)
		kpmem_tconn_release(conn, "cannot post a receive");
	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR) {
		pr_info_ratelimited("reply to %pISpc failed: %s\n", &conn->peer,
				    ib_wc_status_msg(wc->status));
		kpmem_tconn_release(conn, "reply failed");
	}
}
