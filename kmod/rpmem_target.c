// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem target: the rdma_cm listener (up while exports exist), accepted
 * connections, and serving their requests against the attached export.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in6.h>
#include <linux/random.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_cm.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include "compat.h"
#include "kpmem.h"
#include "port_park.h"
#include "rpmem.h"
#include "rpmem_target_mr.h"
#include "rpmem_wire.h"

static unsigned short target_port = KPMEM_DEFAULT_PORT;
module_param(target_port, ushort, 0444);
MODULE_PARM_DESC(target_port, "rdma_cm port the target listens on while it has exports (default 7440)");

/*
 * A connected initiator that announced keepalives and has sent nothing for
 * this long (or three of its periods, if longer) has vanished without a
 * disconnect (a crashed host, a cut link): its export is freed for others.
 */
static unsigned int initiator_timeout_ms = 10000;
module_param(initiator_timeout_ms, uint, 0644);
MODULE_PARM_DESC(initiator_timeout_ms,
		 "drop a connection whose initiator stays silent this long; 0: never (default 10000)");

static unsigned int max_target_conns = 64;
module_param(max_target_conns, uint, 0644);
MODULE_PARM_DESC(max_target_conns, "connections the target serves at once (default 64)");

/* One receive slot per lane: the request and the reply to it. */
struct kpmem_target_slot {
	struct kpmem_target_conn *conn;
	void *req;
	void *reply;
	u64 req_dma;
	u64 reply_dma;
	u32 byte_len;			/* of the request being served */
	struct ib_cqe recv_cqe;
	struct ib_cqe send_cqe;
};

struct kpmem_target_conn {
	struct rdma_cm_id *cm_id;
	struct ib_device *dev;
	struct ib_pd *pd;
	struct ib_cq *cq;
	struct ib_qp *qp;
	u32 nslots;
	struct kpmem_target_slot *slots;
	struct sockaddr_storage peer;
	u8 challenge[KPMEM_WIRE_CHALLENGE_LEN];	/* sent with our REP */
	struct kpmem_export *exp;	/* after a successful HELLO */
	u64 pool_size;
	u32 hdr_size;
	struct kpmem_target_mrs mrs;	/* the pool's data, registered for this peer */
	u32 keepalive_ms;		/* the initiator's period, after HELLO; 0: none */
	unsigned long last_rx;		/* jiffies of the last request received */
	bool hello_pending;		/* @hello_work owns the connection's state */
	struct kpmem_target_slot *hello_slot;
	struct work_struct hello_work;
	unsigned long flags;		/* KPMEM_TARGET_CONN_* */
	struct list_head node;		/* on kpmem_target_conns */
	struct list_head parked;	/* on kpmem_target_park: waits for its port */
	struct work_struct release_work;
};

enum {
	KPMEM_TARGET_CONN_DYING,	/* release queued */
	KPMEM_TARGET_CONN_DEVICE_GONE,	/* its RDMA device is being removed */
};

static struct workqueue_struct *kpmem_target_wq;
static DEFINE_MUTEX(kpmem_listen_lock);
static struct rdma_cm_id *kpmem_listener;	/* under kpmem_listen_lock */
static unsigned int kpmem_listen_users;
static LIST_HEAD(kpmem_target_conns);
static DEFINE_SPINLOCK(kpmem_target_conns_lock);
static unsigned int kpmem_target_nconns;
static bool kpmem_target_stopping;	/* module exit: accept nothing more */

static void kpmem_target_watchdog_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(kpmem_target_watchdog, kpmem_target_watchdog_fn);
static struct kpmem_port_park kpmem_target_park;	/* releases waiting for their port */

static void kpmem_target_conn_free(struct kpmem_target_conn *conn)
{
	struct ib_device *dev = conn->dev;
	u32 i;

	if (conn->slots) {
		for (i = 0; i < conn->nslots; i++) {
			struct kpmem_target_slot *slot = &conn->slots[i];

			if (slot->req_dma)
				ib_dma_unmap_single(dev, slot->req_dma, KPMEM_WIRE_MSG_SIZE,
						    DMA_FROM_DEVICE);
			if (slot->reply_dma)
				ib_dma_unmap_single(dev, slot->reply_dma, KPMEM_WIRE_MSG_SIZE,
						    DMA_TO_DEVICE);
			kfree(slot->req);
			kfree(slot->reply);
		}
		kfree(conn->slots);
	}
	kpmem_target_mrs_free(&conn->mrs);
	if (conn->qp)
		ib_destroy_qp(conn->qp);
	if (conn->cq)
		ib_free_cq(conn->cq);
	if (conn->pd)
		ib_dealloc_pd(conn->pd);
	kfree(conn);
	kpmem_live_dec(KPMEM_LIVE_TARGET_CONNS);
}

/* Should @conn's DREQ wait for its port (port_park.h)?  Not if the module or device goes. */
static bool kpmem_target_port_wait(struct kpmem_target_conn *conn)
{
	return !READ_ONCE(kpmem_target_stopping) &&
	       !test_bit(KPMEM_TARGET_CONN_DEVICE_GONE, &conn->flags) &&
	       kpmem_port_is_down(conn->dev, conn->cm_id->port_num);
}

/* The second half of a release: the CM's part, then the memory. */
static void kpmem_target_conn_destroy(struct kpmem_target_conn *conn)
{
	rdma_disconnect(conn->cm_id);
	rdma_destroy_id(conn->cm_id);
	if (conn->exp)
		kpmem_export_put(conn->exp);
	spin_lock(&kpmem_target_conns_lock);
	list_del(&conn->node);
	kpmem_target_nconns--;
	spin_unlock(&kpmem_target_conns_lock);
	kpmem_target_conn_free(conn);
}

static void kpmem_target_release_work(struct work_struct *work)
{
	struct kpmem_target_conn *conn = container_of(work, struct kpmem_target_conn,
						      release_work);

	/*
	 * First what needs no peer: nothing reaches the pool through this
	 * connection any more and its export is free for another initiator.
	 */
	ib_drain_qp(conn->qp);
	/* A HELLO being served finishes (its registrations flushed) first. */
	flush_work(&conn->hello_work);
	kpmem_target_mrs_free(&conn->mrs);
	if (conn->exp)
		kpmem_export_detach(conn->exp, conn);

	if (kpmem_target_port_wait(conn)) {
		pr_info_ratelimited("port down: the disconnect of %pISpc waits for it\n",
				    &conn->peer);
		kpmem_port_park_add(&kpmem_target_park, &conn->parked);
		return;
	}
	kpmem_target_conn_destroy(conn);
}

static bool kpmem_target_parked_wait(struct list_head *node)
{
	return kpmem_target_port_wait(list_entry(node, struct kpmem_target_conn, parked));
}

static void kpmem_target_parked_finish(struct list_head *node)
{
	kpmem_target_conn_destroy(list_entry(node, struct kpmem_target_conn, parked));
}

/* Tear @conn down from process context, once, whoever asks first. */
static void kpmem_target_conn_release(struct kpmem_target_conn *conn)
{
	if (!test_and_set_bit(KPMEM_TARGET_CONN_DYING, &conn->flags))
		queue_work(kpmem_target_wq, &conn->release_work);
}

/**
 * kpmem_target_conn_kill() - disconnect a connection (export removal)
 * @conn: the connection
 *
 * May be called under locks: the teardown runs later on the target's
 * workqueue, which module exit flushes.
 */
void kpmem_target_conn_kill(struct kpmem_target_conn *conn)
{
	kpmem_target_conn_release(conn);
}

void kpmem_target_conn_peer(struct kpmem_target_conn *conn, struct kpmem_sockaddr *peer)
{
	size_t len = conn->peer.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						       sizeof(struct sockaddr_in);

	peer->family = conn->peer.ss_family;
	peer->len = len;
	memcpy(peer->addr, &conn->peer, len);
}

static int kpmem_target_post_recv(struct kpmem_target_slot *slot)
{
	struct kpmem_target_conn *conn = slot->conn;
	struct ib_sge sge = {
		.addr = slot->req_dma,
		.length = KPMEM_WIRE_MSG_SIZE,
		.lkey = conn->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe = &slot->recv_cqe,
		.sg_list = &sge,
		.num_sge = 1,
	};

	ib_dma_sync_single_for_device(conn->dev, slot->req_dma,
				      KPMEM_WIRE_MSG_SIZE, DMA_FROM_DEVICE);
	return ib_post_recv(conn->qp, &wr, NULL);
}

static void kpmem_target_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kpmem_target_slot *slot = container_of(wc->wr_cqe, struct kpmem_target_slot,
						      send_cqe);

	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR) {
		pr_info_ratelimited("reply to %pISpc failed: %s\n", &slot->conn->peer,
				    ib_wc_status_msg(wc->status));
		kpmem_target_conn_release(slot->conn);
	}
}

static int kpmem_target_hello(struct kpmem_target_conn *conn, const struct kpmem_wire_hdr *hdr,
			      const void *data, struct kpmem_wire_hello_reply *reply)
{
	const struct kpmem_wire_hello *hello = data;
	struct kpmem_pool_attr attr;
	struct kpmem_export *exp;
	bool exists, has_attr;
	u32 op, flags, nlanes, keepalive;
	u64 pool_size;
	int ret;

	if (conn->exp || le32_to_cpu(hdr->length) != sizeof(*hello) ||
	    le32_to_cpu(hello->name_len) > KPMEM_NAME_MAX ||
	    strnlen(hello->name, sizeof(hello->name)) != le32_to_cpu(hello->name_len))
		return -EPROTO;
	op = le32_to_cpu(hello->op);
	flags = le32_to_cpu(hello->flags);
	pool_size = le64_to_cpu(hello->pool_size);
	nlanes = le32_to_cpu(hello->nlanes);
	keepalive = le32_to_cpu(hello->keepalive_ms);
	if (flags & ~KPMEM_POOL_FLAGS_ALL || op < KPMEM_POOL_CREATE || op > KPMEM_POOL_REMOVE ||
	    keepalive > KPMEM_WIRE_MAX_KEEPALIVE_MS)
		return -EINVAL;

	exp = kpmem_export_get(hello->name);
	if (!exp)
		return -ENOENT;
	ret = -EACCES;
	if (!kpmem_export_allows(exp, (struct sockaddr *)&conn->peer)) {
		pr_info_ratelimited("initiator %pISc is not allowed on export '%s'\n",
				    &conn->peer, exp->name);
		goto out_reject;
	}
	if (exp->key_len) {
		ret = le32_to_cpu(hello->has_proof) != 1 ? -EACCES :
		      kpmem_auth_check(exp->key, exp->key_len, conn->challenge, exp->name, op,
				       hello->proof);
		if (ret) {
			pr_info_ratelimited("initiator %pISc %s the key of export '%s'\n",
					    &conn->peer, ret == -EACCES ? "does not prove" :
					    "cannot be checked against", exp->name);
			goto out_reject;
		}
	}
	ret = kpmem_export_attach(exp, conn);
	if (ret)
		goto out_reject;
	conn->exp = exp;
	atomic64_inc(&exp->stats.connections);

	conn->hdr_size = exp->flags & KPMEM_EXPORT_NOHDRS ? 0 : KPMEM_POOL_HDR_SIZE;
	has_attr = flags & KPMEM_POOL_HAS_ATTR;
	if (op != KPMEM_POOL_REMOVE) {
		ret = -EINVAL;
		if (!pool_size || !IS_ALIGNED(pool_size, PAGE_SIZE) ||
		    pool_size <= conn->hdr_size || !nlanes)
			goto out_detach;
		ret = -EFBIG;
		if (pool_size > exp->size)
			goto out_detach;
	}

	mutex_lock(&exp->lock);
	ret = kpmem_export_pool_get(exp, &exists, &attr);
	if (ret)
		goto out_unlock;
	switch (op) {
	case KPMEM_POOL_CREATE:
		/* A header keeps attributes; a NOHDRS pool has nowhere to. */
		ret = -EINVAL;
		if (has_attr != !(exp->flags & KPMEM_EXPORT_NOHDRS))
			break;
		ret = -EEXIST;
		if (exists)
			break;
		attr = hello->attr;
		ret = kpmem_export_pool_set(exp, pool_size, &attr);
		break;
	case KPMEM_POOL_OPEN:
		ret = exists ? 0 : -ENOENT;
		break;
	case KPMEM_POOL_REMOVE:
		ret = -ENOENT;
		if (!exists && !(flags & KPMEM_POOL_REMOVE_FORCE))
			break;
		ret = kpmem_export_pool_set(exp, 0, NULL);
		break;
	}
out_unlock:
	mutex_unlock(&exp->lock);
	if (ret)
		goto out_detach;

	conn->pool_size = op == KPMEM_POOL_REMOVE ? 0 : pool_size;
	if (conn->pool_size && exp->pages) {
		/* Nothing else is in flight during HELLO: the send queue is ours. */
		ret = kpmem_target_mrs_register(&conn->mrs, conn->pd, conn->qp, exp,
						conn->hdr_size, conn->pool_size, conn->nslots);
		if (ret) {
			pr_info_ratelimited("cannot register export '%s' for %pISpc: %d\n",
					    exp->name, &conn->peer, ret);
			conn->pool_size = 0;
			goto out_detach;
		}
		kpmem_target_mrs_describe(&conn->mrs, (struct kpmem_wire_seg *)(reply + 1));
	}
	reply->export_size = cpu_to_le64(exp->size);
	reply->nlanes = cpu_to_le32(min(nlanes, conn->nslots));
	reply->hdr_size = cpu_to_le32(conn->hdr_size);
	reply->attr = attr;
	reply->nsegs = cpu_to_le32(conn->mrs.nmrs);
	reply->reserved = 0;
	/* From now on the watchdog expects to hear from the initiator. */
	WRITE_ONCE(conn->last_rx, jiffies);
	WRITE_ONCE(conn->keepalive_ms, keepalive);
	return sizeof(*reply) + conn->mrs.nmrs * sizeof(struct kpmem_wire_seg);

out_detach:
	/* A refused initiator holds nothing: the next one may come at once. */
	kpmem_export_detach(exp, conn);
	conn->exp = NULL;
out_reject:
	atomic64_inc(&exp->stats.rejected);
	kpmem_export_put(exp);
	return ret;
}

/* [offset, offset + len) is pool data a request may write (or read). */
static int kpmem_target_check_range(struct kpmem_target_conn *conn, u64 offset, u32 len,
				    bool write)
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
static int kpmem_target_persist_ranges(struct kpmem_target_conn *conn,
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

/* Serve one request; fill the reply's data.  Return: reply data length or -errno. */
static int kpmem_target_serve(struct kpmem_target_conn *conn, const struct kpmem_wire_hdr *hdr,
			      const void *data, void *reply_data)
{
	u64 offset = le64_to_cpu(hdr->offset);
	u32 len = le32_to_cpu(hdr->length);
	struct kpmem_export *exp = conn->exp;
	bool deep = le32_to_cpu(hdr->flags) & KPMEM_WIRE_DEEP;
	int ret;

	switch (le16_to_cpu(hdr->type)) {
	case KPMEM_WIRE_HELLO:
		return kpmem_target_hello(conn, hdr, data, reply_data);
	case KPMEM_WIRE_PERSIST_RANGES:
		return kpmem_target_persist_ranges(conn, data, len, deep);
	case KPMEM_WIRE_KEEPALIVE:
		/* Receiving it was the point (see kpmem_target_recv_done()). */
		return exp && !len && !offset ? 0 : -EPROTO;
	case KPMEM_WIRE_PERSIST:
		ret = kpmem_target_check_range(conn, offset, len, true);
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
		ret = kpmem_target_check_range(conn, offset, len, false);
		if (ret)
			return ret;
		ret = kpmem_export_read(exp, offset, reply_data, len);
		if (!ret)
			atomic64_inc(&exp->stats.reads);
		return ret ? ret : len;
	case KPMEM_WIRE_SET_ATTR:
		if (!exp || len != sizeof(struct kpmem_pool_attr))
			return -EPROTO;
		if (exp->flags & KPMEM_EXPORT_NOHDRS)
			return 0;
		mutex_lock(&exp->lock);
		ret = kpmem_export_pool_set(exp, conn->pool_size, data);
		mutex_unlock(&exp->lock);
		return ret;
	case KPMEM_WIRE_CLOSE:
		/*
		 * Let go of the export before answering, so that the initiator
		 * can open it again the moment its close returns.
		 */
		if (!exp || len)
			return -EPROTO;
		/* Revoke the rkeys before anyone else may attach. */
		kpmem_target_mrs_free(&conn->mrs);
		kpmem_export_detach(exp, conn);
		kpmem_export_put(exp);
		conn->exp = NULL;
		conn->pool_size = 0;
		return 0;
	default:
		return -EPROTO;
	}
}

/* Serve the request in @slot (slot->byte_len bytes) and post the reply. */
static void kpmem_target_handle(struct kpmem_target_slot *slot)
{
	struct kpmem_target_conn *conn = slot->conn;
	struct ib_device *dev = conn->dev;
	struct kpmem_wire_hdr *hdr = slot->req, *rhdr = slot->reply;
	struct ib_sge sge;
	struct ib_send_wr wr = { };
	u32 type, lane, data_len;
	int ret;

	/* Never trust the wire: the header, then lengths, before anything else. */
	if (slot->byte_len < sizeof(*hdr))
		goto protocol_error;
	type = le16_to_cpu(hdr->type);
	lane = le16_to_cpu(hdr->lane);
	data_len = type == KPMEM_WIRE_READ ? 0 : le32_to_cpu(hdr->length);
	if (lane >= conn->nslots || slot->byte_len != sizeof(*hdr) + data_len)
		goto protocol_error;

	if (test_bit(KPMEM_TARGET_CONN_DYING, &conn->flags))
		ret = -ECONNRESET;
	else
		ret = kpmem_target_serve(conn, hdr, hdr + 1, rhdr + 1);
	if (type == KPMEM_WIRE_HELLO) {
		/*
		 * The initiator may send again once it has the reply: publish
		 * what HELLO set up (pairs with kpmem_target_recv_done()).
		 */
		smp_store_release(&conn->hello_pending, false);
	}
	if (ret == -EPROTO)
		goto protocol_error;

	memset(rhdr, 0, sizeof(*rhdr));
	rhdr->type = cpu_to_le16(type | KPMEM_WIRE_REPLY);
	rhdr->lane = hdr->lane;
	rhdr->seq = hdr->seq;
	rhdr->offset = hdr->offset;
	rhdr->status = cpu_to_le32(ret < 0 ? -ret : 0);
	rhdr->length = cpu_to_le32(ret > 0 ? ret : 0);
	if (ret < 0 && conn->exp)
		atomic64_inc(&conn->exp->stats.errors);

	/* The request is consumed: the slot can take the next one. */
	if (kpmem_target_post_recv(slot))
		goto conn_error;
	sge.addr = slot->reply_dma;
	sge.length = sizeof(*rhdr) + (ret > 0 ? ret : 0);
	sge.lkey = conn->pd->local_dma_lkey;
	wr.wr_cqe = &slot->send_cqe;
	wr.sg_list = &sge;
	wr.num_sge = 1;
	wr.opcode = IB_WR_SEND;
	wr.send_flags = IB_SEND_SIGNALED;
	ib_dma_sync_single_for_device(dev, slot->reply_dma, sge.length, DMA_TO_DEVICE);
	if (ib_post_send(conn->qp, &wr, NULL))
		goto conn_error;
	return;

protocol_error:
	pr_info_ratelimited("malformed request from %pISpc (%u bytes): disconnecting\n",
			    &conn->peer, slot->byte_len);
	if (conn->exp)
		atomic64_inc(&conn->exp->stats.errors);
conn_error:
	kpmem_target_conn_release(conn);
}

static void kpmem_target_hello_work(struct work_struct *work)
{
	struct kpmem_target_conn *conn = container_of(work, struct kpmem_target_conn, hello_work);

	kpmem_target_handle(conn->hello_slot);
}

static void kpmem_target_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kpmem_target_slot *slot = container_of(wc->wr_cqe, struct kpmem_target_slot,
						      recv_cqe);
	struct kpmem_target_conn *conn = slot->conn;
	const struct kpmem_wire_hdr *hdr = slot->req;

	if (wc->status != IB_WC_SUCCESS) {
		/*
		 * Flushed: the QP went to error, by our teardown (then this is
		 * a no-op) or by the peer (a bad rkey, say): let go of the
		 * export now rather than when the CM notices.
		 */
		kpmem_target_conn_release(conn);
		return;
	}
	ib_dma_sync_single_for_cpu(conn->dev, slot->req_dma, KPMEM_WIRE_MSG_SIZE,
				   DMA_FROM_DEVICE);
	slot->byte_len = wc->byte_len;
	WRITE_ONCE(conn->last_rx, jiffies);

	/* Nothing may overtake a HELLO: it sets up what requests use (see above). */
	if (smp_load_acquire(&conn->hello_pending)) {
		pr_info_ratelimited("request from %pISpc during HELLO: disconnecting\n",
				    &conn->peer);
		kpmem_target_conn_release(conn);
		return;
	}
	/*
	 * HELLO registers memory, waiting for completions this context must
	 * deliver: it is served from the target's workqueue.
	 */
	if (wc->byte_len >= sizeof(*hdr) && le16_to_cpu(hdr->type) == KPMEM_WIRE_HELLO) {
		conn->hello_pending = true;
		conn->hello_slot = slot;
		queue_work(kpmem_target_wq, &conn->hello_work);
		return;
	}
	kpmem_target_handle(slot);
}

/* Asynchronous QP errors (access errors, catastrophic ones) end the connection. */
static void kpmem_target_qp_event(struct ib_event *event, void *context)
{
	struct kpmem_target_conn *conn = context;

	switch (event->event) {
	case IB_EVENT_QP_FATAL:
	case IB_EVENT_QP_REQ_ERR:
	case IB_EVENT_QP_ACCESS_ERR:
		pr_info_ratelimited("connection from %pISpc: %s\n", &conn->peer,
				    ib_event_msg(event->event));
		kpmem_target_conn_release(conn);
		break;
	default:
		break;
	}
}

static int kpmem_target_alloc_slots(struct kpmem_target_conn *conn)
{
	struct ib_device *dev = conn->dev;
	u32 i;

	conn->slots = kpmem_alloc(kcalloc(conn->nslots, sizeof(*conn->slots), GFP_KERNEL));
	if (!conn->slots)
		return -ENOMEM;
	for (i = 0; i < conn->nslots; i++) {
		struct kpmem_target_slot *slot = &conn->slots[i];

		slot->conn = conn;
		slot->recv_cqe.done = kpmem_target_recv_done;
		slot->send_cqe.done = kpmem_target_send_done;
		slot->req = kpmem_alloc(kmalloc(KPMEM_WIRE_MSG_SIZE, GFP_KERNEL));
		slot->reply = kpmem_alloc(kmalloc(KPMEM_WIRE_MSG_SIZE, GFP_KERNEL));
		if (!slot->req || !slot->reply)
			return -ENOMEM;
		slot->req_dma = ib_dma_map_single(dev, slot->req, KPMEM_WIRE_MSG_SIZE,
						  DMA_FROM_DEVICE);
		if (ib_dma_mapping_error(dev, slot->req_dma)) {
			slot->req_dma = 0;
			return -ENOMEM;
		}
		slot->reply_dma = ib_dma_map_single(dev, slot->reply, KPMEM_WIRE_MSG_SIZE,
						    DMA_TO_DEVICE);
		if (ib_dma_mapping_error(dev, slot->reply_dma)) {
			slot->reply_dma = 0;
			return -ENOMEM;
		}
	}
	return 0;
}

static int kpmem_target_accept(struct rdma_cm_id *id, struct rdma_cm_event *event)
{
	const struct kpmem_wire_cm_req *req = event->param.conn.private_data;
	struct kpmem_wire_cm_rep rep = { .magic = cpu_to_le32(KPMEM_WIRE_MAGIC) };
	struct rdma_conn_param param = {
		.private_data = &rep,
		.private_data_len = sizeof(rep),
		.rnr_retry_count = 7,
		/*
		 * The initiator RDMA READs pool data; the target reads nothing.
		 * The event states the request from our side: what the initiator
		 * wants to read with is our responder_resources.
		 */
		.responder_resources = min_t(u32, event->param.conn.responder_resources,
					     id->device->attrs.max_qp_rd_atom),
	};
	struct ib_qp_init_attr qp_attr = { };
	struct kpmem_target_conn *conn;
	u32 nlanes, i;
	int ret;

	if (event->param.conn.private_data_len < sizeof(*req) ||
	    le32_to_cpu(req->magic) != KPMEM_WIRE_MAGIC ||
	    le16_to_cpu(req->version) != KPMEM_WIRE_VERSION) {
		pr_info_ratelimited("connection from %pISpc rejected: not a kpmem initiator\n",
				    &id->route.addr.dst_addr);
		rdma_reject(id, NULL, 0, IB_CM_REJ_CONSUMER_DEFINED);
		return -EPROTO;
	}
	nlanes = le16_to_cpu(req->nlanes);
	if (!nlanes || nlanes > KPMEM_WIRE_MAX_LANES) {
		pr_info_ratelimited("connection from %pISpc rejected: %u lanes\n",
				    &id->route.addr.dst_addr, nlanes);
		rdma_reject(id, NULL, 0, IB_CM_REJ_CONSUMER_DEFINED);
		return -EINVAL;
	}

	spin_lock(&kpmem_target_conns_lock);
	if (kpmem_target_stopping) {
		spin_unlock(&kpmem_target_conns_lock);
		rdma_reject(id, NULL, 0, IB_CM_REJ_CONSUMER_DEFINED);
		return -ESHUTDOWN;
	}
	if (kpmem_target_nconns >= READ_ONCE(max_target_conns)) {
		spin_unlock(&kpmem_target_conns_lock);
		pr_info_ratelimited("connection from %pISpc rejected: %u connections already\n",
				    &id->route.addr.dst_addr, max_target_conns);
		rdma_reject(id, NULL, 0, IB_CM_REJ_CONSUMER_DEFINED);
		return -EBUSY;
	}
	kpmem_target_nconns++;
	spin_unlock(&kpmem_target_conns_lock);

	ret = -ENOMEM;
	conn = kpmem_alloc(kzalloc(sizeof(*conn), GFP_KERNEL));
	if (!conn)
		goto out_count;
	kpmem_live_inc(KPMEM_LIVE_TARGET_CONNS);
	conn->cm_id = id;
	conn->dev = id->device;
	conn->nslots = nlanes;
	INIT_WORK(&conn->release_work, kpmem_target_release_work);
	INIT_WORK(&conn->hello_work, kpmem_target_hello_work);
	kpmem_target_mrs_init(&conn->mrs, id->device);
	INIT_LIST_HEAD(&conn->node);
	INIT_LIST_HEAD(&conn->parked);
	memcpy(&conn->peer, &id->route.addr.dst_addr, sizeof(conn->peer));
	get_random_bytes(conn->challenge, sizeof(conn->challenge));
	memcpy(rep.challenge, conn->challenge, sizeof(rep.challenge));

	conn->pd = ib_alloc_pd(id->device, 0);
	if (IS_ERR(conn->pd)) {
		ret = PTR_ERR(conn->pd);
		conn->pd = NULL;
		goto out_free;
	}
	/*
	 * A lane's next request can arrive before the reply to its last one
	 * has been acknowledged, so up to two replies per lane are in the
	 * send queue; one more send and receive each for ib_drain_qp().
	 */
	conn->cq = ib_alloc_cq(id->device, conn, 3 * nlanes + 4, 0, IB_POLL_WORKQUEUE);
	if (IS_ERR(conn->cq)) {
		ret = PTR_ERR(conn->cq);
		conn->cq = NULL;
		goto out_free;
	}
	qp_attr.send_cq = conn->cq;
	qp_attr.recv_cq = conn->cq;
	qp_attr.event_handler = kpmem_target_qp_event;
	qp_attr.qp_context = conn;
	qp_attr.qp_type = IB_QPT_RC;
	qp_attr.sq_sig_type = IB_SIGNAL_REQ_WR;
	qp_attr.cap.max_send_wr = 2 * nlanes + 1;
	qp_attr.cap.max_recv_wr = nlanes + 1;
	qp_attr.cap.max_send_sge = 1;
	qp_attr.cap.max_recv_sge = 1;
	ret = rdma_create_qp(id, conn->pd, &qp_attr);
	if (ret)
		goto out_free;
	conn->qp = id->qp;

	ret = kpmem_target_alloc_slots(conn);
	for (i = 0; !ret && i < conn->nslots; i++)
		ret = kpmem_target_post_recv(&conn->slots[i]);
	if (ret)
		goto out_free;

	id->context = conn;
	spin_lock(&kpmem_target_conns_lock);
	list_add_tail(&conn->node, &kpmem_target_conns);
	spin_unlock(&kpmem_target_conns_lock);
	queue_delayed_work(kpmem_target_wq, &kpmem_target_watchdog, HZ);
	ret = rdma_accept(id, &param);
	if (ret) {
		/* Established or not, the release path owns it now. */
		kpmem_target_conn_release(conn);
		return 0;
	}
	return 0;

out_free:
	/* Completions flushed from here on must not queue a release. */
	set_bit(KPMEM_TARGET_CONN_DYING, &conn->flags);
	if (conn->qp) {
		rdma_destroy_qp(id);
		conn->qp = NULL;
	}
	kpmem_target_conn_free(conn);
out_count:
	spin_lock(&kpmem_target_conns_lock);
	kpmem_target_nconns--;
	spin_unlock(&kpmem_target_conns_lock);
	rdma_reject(id, NULL, 0, IB_CM_REJ_CONSUMER_DEFINED);
	return ret;	/* non-zero: the core destroys the new id */
}

static int kpmem_target_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *event)
{
	struct kpmem_target_conn *conn = id->context;

	switch (event->event) {
	case RDMA_CM_EVENT_CONNECT_REQUEST:
		return kpmem_target_accept(id, event);
	case RDMA_CM_EVENT_ESTABLISHED:
		return 0;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/* The removal waits for our id: a down port must not hold it. */
		if (conn) {
			set_bit(KPMEM_TARGET_CONN_DEVICE_GONE, &conn->flags);
			kpmem_port_park_kick(&kpmem_target_park);
		}
		fallthrough;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_REJECTED:
	case RDMA_CM_EVENT_ADDR_CHANGE:
		/* The listener itself never gets here with a context. */
		if (conn)
			kpmem_target_conn_release(conn);
		return 0;
	default:
		return 0;
	}
}

static int kpmem_target_listen_start(void)
{
	struct sockaddr_in6 any6 = { .sin6_family = AF_INET6, .sin6_port = htons(target_port) };
	struct sockaddr_in any4 = { .sin_family = AF_INET, .sin_port = htons(target_port) };
	struct rdma_cm_id *id;
	int ret;

	id = rdma_create_id(&init_net, kpmem_target_cm_handler, NULL, RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(id))
		return PTR_ERR(id);
	/* Both IPv6 and IPv4 initiators when the stack allows, IPv4 otherwise. */
	ret = rdma_set_afonly(id, 0);
	if (!ret)
		ret = rdma_bind_addr(id, (struct sockaddr *)&any6);
	if (ret) {
		rdma_destroy_id(id);
		id = rdma_create_id(&init_net, kpmem_target_cm_handler, NULL, RDMA_PS_TCP,
				    IB_QPT_RC);
		if (IS_ERR(id))
			return PTR_ERR(id);
		ret = rdma_bind_addr(id, (struct sockaddr *)&any4);
	}
	if (!ret)
		ret = rdma_listen(id, 128);
	if (ret) {
		pr_err("cannot listen on rdma_cm port %u: %d\n", target_port, ret);
		rdma_destroy_id(id);
		return ret;
	}
	kpmem_listener = id;
	pr_info("target listening on rdma_cm port %u\n", target_port);
	return 0;
}

/**
 * kpmem_target_listen_get() - listen while at least one export exists
 *
 * Return: 0 or the error from setting up the listener.
 */
int kpmem_target_listen_get(void)
{
	int ret = 0;

	mutex_lock(&kpmem_listen_lock);
	if (!kpmem_listen_users)
		ret = kpmem_target_listen_start();
	if (!ret)
		kpmem_listen_users++;
	mutex_unlock(&kpmem_listen_lock);
	return ret;
}

void kpmem_target_listen_put(void)
{
	mutex_lock(&kpmem_listen_lock);
	if (!--kpmem_listen_users) {
		rdma_destroy_id(kpmem_listener);
		kpmem_listener = NULL;
		pr_info("target stopped listening\n");
	}
	mutex_unlock(&kpmem_listen_lock);
}

u32 kpmem_target_port_listening(void)
{
	u32 port;

	mutex_lock(&kpmem_listen_lock);
	port = kpmem_listener ? target_port : 0;
	mutex_unlock(&kpmem_listen_lock);
	return port;
}

/*
 * Once a second while there are connections: drop those whose initiator
 * promised keepalives and has been silent past the timeout.
 */
static void kpmem_target_watchdog_fn(struct work_struct *work)
{
	unsigned int timeout_ms = READ_ONCE(initiator_timeout_ms);
	struct kpmem_target_conn *conn;
	enum ib_port_state state;
	unsigned long silent;
	bool any;

	spin_lock(&kpmem_target_conns_lock);
	list_for_each_entry(conn, &kpmem_target_conns, node) {
		u32 keepalive = READ_ONCE(conn->keepalive_ms);

		if (!keepalive || !timeout_ms || test_bit(KPMEM_TARGET_CONN_DYING, &conn->flags))
			continue;
		/*
		 * Our own port being down silences every initiator: the clock
		 * starts again when it is back.
		 */
		if (ib_get_cached_port_state(conn->dev, conn->cm_id->port_num, &state) ||
		    state != IB_PORT_ACTIVE) {
			WRITE_ONCE(conn->last_rx, jiffies);
			continue;
		}
		silent = jiffies - READ_ONCE(conn->last_rx);
		if (silent <= msecs_to_jiffies(max(timeout_ms, 3 * keepalive)))
			continue;
		pr_info_ratelimited("initiator %pISc silent for %u ms: dropping its connection\n",
				    &conn->peer, jiffies_to_msecs(silent));
		kpmem_target_conn_release(conn);
	}
	any = !list_empty(&kpmem_target_conns) && !kpmem_target_stopping;
	spin_unlock(&kpmem_target_conns_lock);
	if (any)
		queue_delayed_work(kpmem_target_wq, &kpmem_target_watchdog, HZ);
}

int kpmem_target_init(void)
{
	kpmem_port_park_init(&kpmem_target_park, kpmem_target_parked_wait,
			     kpmem_target_parked_finish);
	kpmem_target_wq = alloc_workqueue("kpmem_target", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return kpmem_target_wq ? 0 : -ENOMEM;
}

void kpmem_target_exit(void)
{
	struct kpmem_target_conn *conn;

	spin_lock(&kpmem_target_conns_lock);
	WRITE_ONCE(kpmem_target_stopping, true);
	spin_unlock(&kpmem_target_conns_lock);
	kpmem_exports_remove_all();
	/* Connections not attached to any export yet (no HELLO) go too. */
	spin_lock(&kpmem_target_conns_lock);
	list_for_each_entry(conn, &kpmem_target_conns, node)
		kpmem_target_conn_release(conn);
	spin_unlock(&kpmem_target_conns_lock);
	cancel_delayed_work_sync(&kpmem_target_watchdog);
	/* Releases that waited for a down port go ahead now. */
	flush_workqueue(kpmem_target_wq);
	kpmem_port_park_drain(&kpmem_target_park);
	destroy_workqueue(kpmem_target_wq);
}
