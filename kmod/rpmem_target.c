// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem target: the rdma_cm listener (up while exports exist), admitting
 * and accepting connections, their life until they are released
 * (rpmem_target.h), the watchdog that ends those that went silent or never
 * said HELLO, and device removal.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/in6.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_cm.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include "compat.h"
#include "debug_hook.h"
#include "kpmem.h"
#include "kpmem_trace.h"
#include "port_park.h"
#include "rpmem.h"
#include "rpmem_ibdev.h"
#include "rpmem_target.h"
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

/*
 * A connection that has not sent its HELLO this long after its accept is
 * dropped; serving an authorized HELLO may take longer (registering a big
 * pool, creating one on a file).
 */
static unsigned int hello_timeout_s = 10;
module_param(hello_timeout_s, uint, 0644);
MODULE_PARM_DESC(hello_timeout_s,
		 "drop a connection that has not sent HELLO this many seconds after it was accepted (default 10)");

static unsigned int max_target_conns = 64;
module_param(max_target_conns, uint, 0644);
MODULE_PARM_DESC(max_target_conns, "connections the target serves at once (default 64)");

static unsigned int max_conns_per_peer = 32;
module_param(max_conns_per_peer, uint, 0644);
MODULE_PARM_DESC(max_conns_per_peer, "connections one initiator address may hold at once (default 32)");

/*
 * Connections that have not authenticated yet cost little each, but
 * nobody vouches for them: few may wait at once, and a new one pushes out
 * the oldest waiting one, so that a flood of silent connections cannot
 * keep a real initiator out.
 */
static unsigned int max_unauth_conns = 16;
module_param(max_unauth_conns, uint, 0644);
MODULE_PARM_DESC(max_unauth_conns,
		 "connections waiting for HELLO at once; a new one evicts the oldest (default 16)");

static unsigned int max_unauth_per_peer = 4;
module_param(max_unauth_per_peer, uint, 0644);
MODULE_PARM_DESC(max_unauth_per_peer,
		 "connections one initiator address may have waiting for HELLO (default 4)");

struct workqueue_struct *kpmem_target_wq;
static DEFINE_MUTEX(kpmem_listen_lock);
static struct rdma_cm_id *kpmem_listener;	/* under kpmem_listen_lock */
static unsigned int kpmem_listen_users;
static LIST_HEAD(kpmem_target_conns);
static DEFINE_SPINLOCK(kpmem_target_conns_lock);	/* the list; before any conn->lock */
static DECLARE_WAIT_QUEUE_HEAD(kpmem_target_conn_gone);	/* a connection left the list */
static bool kpmem_target_stopping;	/* module exit: accept nothing more */

static void kpmem_target_watchdog_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(kpmem_target_watchdog, kpmem_target_watchdog_fn);
static struct kpmem_port_park kpmem_target_park;	/* releases waiting for their port */

static const char *const kpmem_tconn_state_names[KPMEM_TCONN_NR_STATES] = {
	[KPMEM_TCONN_CONNECTING] = "connecting",
	[KPMEM_TCONN_UNAUTH] = "unauthenticated",
	[KPMEM_TCONN_HELLO] = "hello",
	[KPMEM_TCONN_LIVE] = "live",
	[KPMEM_TCONN_LAST_REPLY] = "last-reply",
	[KPMEM_TCONN_RELEASING] = "releasing",
	[KPMEM_TCONN_PARKED] = "parked",
};

#define S(state)	BIT(KPMEM_TCONN_##state)
static const unsigned int kpmem_tconn_next_states[KPMEM_TCONN_NR_STATES] = {
	[KPMEM_TCONN_CONNECTING] = S(UNAUTH) | S(RELEASING),
	[KPMEM_TCONN_UNAUTH] = S(HELLO) | S(RELEASING),
	[KPMEM_TCONN_HELLO] = S(LIVE) | S(LAST_REPLY) | S(RELEASING),
	[KPMEM_TCONN_LIVE] = S(LAST_REPLY) | S(RELEASING),
	[KPMEM_TCONN_LAST_REPLY] = S(RELEASING),
	[KPMEM_TCONN_RELEASING] = S(PARKED),
	[KPMEM_TCONN_PARKED] = 0,
};

#undef S

/**
 * kpmem_tconn_set_state() - move a connection to @state
 * @conn: the connection, its lock held (or not yet visible to anyone else)
 * @state: the next state, which must follow the current one
 *
 * Return: true, or false (and a warning) for a transition that does not
 * exist: a bug.
 */
bool kpmem_tconn_set_state(struct kpmem_tconn *conn, enum kpmem_tconn_state state)
{
	enum kpmem_tconn_state old = conn->state;

	if (WARN_ONCE(!(kpmem_tconn_next_states[old] & BIT(state)),
		      "kpmem: connection from %pISpc: no transition %s -> %s\n", &conn->peer,
		      kpmem_tconn_state_names[old], kpmem_tconn_state_names[state]))
		return false;
	pr_debug("connection from %pISpc: %s -> %s\n", &conn->peer,
		 kpmem_tconn_state_names[old], kpmem_tconn_state_names[state]);
	trace_kpmem_target_state(conn, (struct sockaddr *)&conn->peer,
				 kpmem_tconn_state_names[old], kpmem_tconn_state_names[state]);
	WRITE_ONCE(conn->state, state);
	WRITE_ONCE(conn->state_at, jiffies);
	return true;
}

/**
 * kpmem_tconn_release() - end a connection, once, whoever asks first
 * @conn: the connection
 * @why: for the debug log
 *
 * From any context: the teardown runs on the target's workqueue.  Nothing
 * is posted to the connection's queue pair from now on.
 */
void kpmem_tconn_release(struct kpmem_tconn *conn, const char *why)
{
	spin_lock(&conn->lock);
	if (conn->state >= KPMEM_TCONN_RELEASING) {
		spin_unlock(&conn->lock);
		return;
	}
	pr_debug("connection from %pISpc: release: %s\n", &conn->peer, why);
	kpmem_tconn_set_state(conn, KPMEM_TCONN_RELEASING);
	spin_unlock(&conn->lock);
	queue_work(kpmem_target_wq, &conn->release_work);
}

/* Free what the RDMA device holds for @conn: QP, CQ, buffers, PD. */
static void kpmem_tconn_free_rdma(struct kpmem_tconn *conn)
{
	kpmem_target_mrs_free(&conn->mrs);
	if (conn->qp) {
		rdma_destroy_qp(conn->cm_id);
		conn->qp = NULL;
	}
	/* No event comes after the QP is gone; one that came is done with. */
	cancel_work_sync(&conn->qp_error_work);
	if (conn->cq) {
		ib_free_cq(conn->cq);
		conn->cq = NULL;
	}
	kpmem_tconn_free_slots(conn);
	if (conn->pd) {
		ib_dealloc_pd(conn->pd);
		conn->pd = NULL;
	}
}

/* The memory of a connection whose CM id is gone (or was never ours). */
static void kpmem_tconn_free(struct kpmem_tconn *conn)
{
	if (conn->exp)
		kpmem_export_put(conn->exp);
	kfree_sensitive(conn);
	kpmem_live_dec(KPMEM_LIVE_TARGET_CONNS);
}

/* The last of a connection: its CM id (the disconnect), then its memory. */
static void kpmem_tconn_destroy(struct kpmem_tconn *conn)
{
	rdma_disconnect(conn->cm_id);
	rdma_destroy_id(conn->cm_id);
	spin_lock(&kpmem_target_conns_lock);
	list_del(&conn->node);
	spin_unlock(&kpmem_target_conns_lock);
	wake_up_all(&kpmem_target_conn_gone);
	kpmem_tconn_free(conn);
}

/* Should @conn's DREQ wait for its port (port_park.h)?  Not if the module or device goes. */
static bool kpmem_tconn_port_wait(struct kpmem_tconn *conn)
{
	return !READ_ONCE(kpmem_target_stopping) && !kpmem_ibdev_dying(conn->dev) &&
	       kpmem_port_is_down(conn->dev, conn->cm_id->port_num);
}

static void kpmem_tconn_release_work(struct work_struct *work)
{
	struct kpmem_tconn *conn = container_of(work, struct kpmem_tconn, release_work);

	/*
	 * A connection is listed before its accept is sent: wait for the CM
	 * handler that accepts it to be done with the QP.
	 */
	rdma_lock_handler(conn->cm_id);
	rdma_unlock_handler(conn->cm_id);
	/* A HELLO being served sees the release and posts nothing more. */
	flush_work(&conn->hello_work);
	/*
	 * First what needs no peer: nothing reaches the pool through this
	 * connection any more (the QP drained, the rkeys revoked), and the
	 * device's resources go before the CM id, as the device needs.
	 */
	kpmem_debug_point(KPMEM_DBG_TARGET_DRAIN);
	if (conn->qp)
		kpmem_qp_drain(conn->qp, conn->cm_id->port_num);
	kpmem_debug_point(KPMEM_DBG_TARGET_RELEASE);
	kpmem_tconn_free_rdma(conn);
	/* The export is free for another initiator (and a forced removal returns). */
	if (conn->exp)
		kpmem_export_detach(conn->exp, conn);

	if (kpmem_tconn_port_wait(conn)) {
		pr_info_ratelimited("port down: the disconnect of %pISpc waits for it\n",
				    &conn->peer);
		spin_lock(&conn->lock);
		kpmem_tconn_set_state(conn, KPMEM_TCONN_PARKED);
		spin_unlock(&conn->lock);
		kpmem_port_park_add(&kpmem_target_park, &conn->parked);
		return;
	}
	kpmem_tconn_destroy(conn);
}

static bool kpmem_tconn_parked_wait(struct list_head *node)
{
	return kpmem_tconn_port_wait(list_entry(node, struct kpmem_tconn, parked));
}

static void kpmem_tconn_parked_finish(struct list_head *node)
{
	kpmem_tconn_destroy(list_entry(node, struct kpmem_tconn, parked));
}

/* The connection's last reply is sent (or failed): it ends now. */
static void kpmem_tconn_last_reply_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct kpmem_tconn *conn = container_of(wc->wr_cqe, struct kpmem_tconn, last_reply_cqe);

	kpmem_tconn_release(conn, "last reply sent");
}

/**
 * kpmem_target_conn_kill() - disconnect a connection (export removal)
 * @conn: the connection
 *
 * May be called under locks: the teardown runs later on the target's
 * workqueue, which detaches the export once the connection can no longer
 * write to it.
 */
void kpmem_target_conn_kill(struct kpmem_tconn *conn)
{
	kpmem_tconn_release(conn, "export removed");
}

void kpmem_target_conn_peer(struct kpmem_tconn *conn, struct kpmem_sockaddr *peer)
{
	size_t len = conn->peer.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						       sizeof(struct sockaddr_in);

	peer->family = conn->peer.ss_family;
	peer->len = len;
	memcpy(peer->addr, &conn->peer, len);
}

static void kpmem_tconn_qp_error_work(struct work_struct *work)
{
	struct kpmem_tconn *conn = container_of(work, struct kpmem_tconn, qp_error_work);

	kpmem_tconn_release(conn, READ_ONCE(conn->qp_error));
}

/*
 * Asynchronous QP errors (access errors, catastrophic ones) end the
 * connection; any peer can cause one, e.g. with an RDMA WRITE under a bad
 * rkey.  Drivers report them from interrupt context, where @conn->lock
 * (taken with interrupts on) must not be: the release is queued.
 */
static void kpmem_tconn_qp_event(struct ib_event *event, void *context)
{
	struct kpmem_tconn *conn = context;

	switch (event->event) {
	case IB_EVENT_COMM_EST:
		/* Data before the RTU: the CM must know it is established. */
		rdma_notify(conn->cm_id, event->event);
		break;
	case IB_EVENT_QP_FATAL:
	case IB_EVENT_QP_REQ_ERR:
	case IB_EVENT_QP_ACCESS_ERR:
		pr_info_ratelimited("connection from %pISpc: %s\n", &conn->peer,
				    ib_event_msg(event->event));
		WRITE_ONCE(conn->qp_error, ib_event_msg(event->event));
		queue_work(kpmem_target_wq, &conn->qp_error_work);
		break;
	default:
		break;
	}
}

/* Refuse a connection request, saying why; the core then destroys @id. */
static int kpmem_target_reject(struct rdma_cm_id *id, int err, const char *why)
{
	struct kpmem_wire_cm_rej rej = {
		.magic = cpu_to_le32(KPMEM_WIRE_MAGIC),
		.status = cpu_to_le32(-err),
	};

	trace_kpmem_target_accept((struct sockaddr *)&id->route.addr.dst_addr, 0, err);
	pr_info_ratelimited("connection from %pISpc rejected: %s\n", &id->route.addr.dst_addr,
			    why);
	rdma_reject(id, &rej, sizeof(rej), IB_CM_REJ_CONSUMER_DEFINED);
	return err;
}

/* A connection request must be a kpmem initiator's, of our version. */
static int kpmem_target_parse_req(const struct rdma_cm_event *event, u32 *nlanes,
				  const char **why)
{
	const struct kpmem_wire_cm_req *req = event->param.conn.private_data;

	*why = "not a kpmem initiator";
	if (event->param.conn.private_data_len < sizeof(req->magic) ||
	    le32_to_cpu(req->magic) != KPMEM_WIRE_MAGIC)
		return -EPROTO;
	*why = "another protocol version";
	if (event->param.conn.private_data_len < offsetofend(typeof(*req), version) ||
	    le16_to_cpu(req->version) != KPMEM_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	*why = "malformed request";
	if (event->param.conn.private_data_len < sizeof(*req))
		return -EPROTO;
	*nlanes = le16_to_cpu(req->nlanes);
	*why = "lanes out of range";
	if (!*nlanes || *nlanes > KPMEM_WIRE_MAX_LANES)
		return -EINVAL;
	return 0;
}

/* A new connection and its fixed-cost resources: PD, CQ, QP, HELLO buffers. */
static struct kpmem_tconn *kpmem_tconn_alloc(struct rdma_cm_id *id,
					     const struct rdma_cm_event *event, u32 nlanes)
{
	const struct kpmem_wire_cm_req *req = event->param.conn.private_data;
	struct ib_qp_init_attr qp_attr = { };
	struct kpmem_tconn *conn;
	int ret;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return ERR_PTR(-ENOMEM);
	kpmem_live_inc(KPMEM_LIVE_TARGET_CONNS);
	spin_lock_init(&conn->lock);
	conn->state = KPMEM_TCONN_CONNECTING;
	conn->cm_id = id;
	conn->dev = id->device;
	conn->wire_lanes = nlanes;
	conn->accepted_at = jiffies;
	conn->state_at = jiffies;
	conn->last_reply_cqe.done = kpmem_tconn_last_reply_done;
	INIT_WORK(&conn->release_work, kpmem_tconn_release_work);
	INIT_WORK(&conn->hello_work, kpmem_tconn_hello_work);
	INIT_WORK(&conn->qp_error_work, kpmem_tconn_qp_error_work);
	kpmem_target_mrs_init(&conn->mrs, id->device);
	INIT_LIST_HEAD(&conn->node);
	INIT_LIST_HEAD(&conn->parked);
	memcpy(&conn->peer, &id->route.addr.dst_addr, sizeof(conn->peer));
	memcpy(&conn->local, &id->route.addr.src_addr, sizeof(conn->local));
	memcpy(conn->nonce_i, req->nonce, sizeof(conn->nonce_i));
	get_random_bytes(conn->nonce_t, sizeof(conn->nonce_t));

	conn->pd = ib_alloc_pd(id->device, 0);
	if (IS_ERR(conn->pd)) {
		ret = PTR_ERR(conn->pd);
		conn->pd = NULL;
		goto out_free;
	}
	/*
	 * A lane's next request can arrive before the reply to its last one
	 * has been acknowledged: up to KPMEM_SLOT_MAX_REPLIES replies per slot
	 * are in the send queue (kpmem_tconn_reply() holds a slot's buffer
	 * back beyond that), with HELLO's reply perhaps still among them; one
	 * more send and receive each for ib_drain_qp().
	 */
	conn->cq = ib_alloc_cq(id->device, conn,
			       (KPMEM_SLOT_MAX_REPLIES + 1) * nlanes + 5, 0, IB_POLL_WORKQUEUE);
	if (IS_ERR(conn->cq)) {
		ret = PTR_ERR(conn->cq);
		conn->cq = NULL;
		goto out_free;
	}
	qp_attr.send_cq = conn->cq;
	qp_attr.recv_cq = conn->cq;
	qp_attr.event_handler = kpmem_tconn_qp_event;
	qp_attr.qp_context = conn;
	qp_attr.qp_type = IB_QPT_RC;
	qp_attr.sq_sig_type = IB_SIGNAL_REQ_WR;
	qp_attr.cap.max_send_wr = KPMEM_SLOT_MAX_REPLIES * nlanes + 2;
	qp_attr.cap.max_recv_wr = nlanes + 1;
	qp_attr.cap.max_send_sge = 1;
	qp_attr.cap.max_recv_sge = 1;
	ret = rdma_create_qp(id, conn->pd, &qp_attr);
	if (ret)
		goto out_free;
	conn->qp = id->qp;
	ret = kpmem_tconn_init_hello_slot(conn);
	if (ret)
		goto out_free;
	return conn;

out_free:
	kpmem_tconn_free_rdma(conn);
	kpmem_tconn_free(conn);
	return ERR_PTR(ret);
}

/* Counts the target's admission works with, under kpmem_target_conns_lock. */
struct kpmem_target_counts {
	u32 total, unauth, peer_total, peer_unauth;
	struct kpmem_tconn *oldest_unauth, *oldest_peer_unauth;
};

static bool kpmem_same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return ipv6_addr_equal(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr);
}

static void kpmem_target_count(const struct kpmem_tconn *new, struct kpmem_target_counts *c)
{
	struct kpmem_tconn *conn;

	memset(c, 0, sizeof(*c));
	list_for_each_entry(conn, &kpmem_target_conns, node) {
		enum kpmem_tconn_state state = READ_ONCE(conn->state);
		bool peer = kpmem_same_peer(&conn->peer, &new->peer);
		bool waiting = state == KPMEM_TCONN_CONNECTING || state == KPMEM_TCONN_UNAUTH;

		if (state >= KPMEM_TCONN_RELEASING)
			continue;
		c->total++;
		c->peer_total += peer;
		if (!waiting && state != KPMEM_TCONN_HELLO)
			continue;
		c->unauth++;
		c->peer_unauth += peer;
		/* Only those still waiting for HELLO make way. */
		if (!waiting)
			continue;
		if (!c->oldest_unauth ||
		    time_before(conn->accepted_at, c->oldest_unauth->accepted_at))
			c->oldest_unauth = conn;
		if (peer && (!c->oldest_peer_unauth ||
			     time_before(conn->accepted_at, c->oldest_peer_unauth->accepted_at)))
			c->oldest_peer_unauth = conn;
	}
}

/*
 * Admit @new within the limits, evicting the oldest connection still
 * waiting for HELLO where a limit is reached, and list it.  Return: 0 or
 * the reason to refuse it.
 */
static int kpmem_target_admit(struct kpmem_tconn *new, const char **why)
{
	struct kpmem_target_counts c;
	int ret = 0, i;

	spin_lock(&kpmem_target_conns_lock);
	*why = "the target is stopping";
	if (kpmem_target_stopping) {
		ret = -ESHUTDOWN;
		goto out;
	}
	*why = "its RDMA device is going away";
	if (kpmem_ibdev_dying(new->dev)) {
		ret = -ENODEV;
		goto out;
	}
	/* At most one eviction for each limit. */
	for (i = 0; i < 2; i++) {
		struct kpmem_tconn *victim = NULL;

		kpmem_target_count(new, &c);
		if (c.peer_total >= READ_ONCE(max_conns_per_peer) ||
		    c.peer_unauth >= READ_ONCE(max_unauth_per_peer)) {
			*why = "the initiator's address holds as many connections as it may";
			victim = c.oldest_peer_unauth;
		} else if (c.total >= READ_ONCE(max_target_conns) ||
			   c.unauth >= READ_ONCE(max_unauth_conns)) {
			*why = "the target holds as many connections as it may";
			victim = c.oldest_unauth;
		} else {
			break;
		}
		if (!victim) {
			ret = -EBUSY;
			goto out;
		}
		pr_info_ratelimited("connection from %pISpc evicted: no HELLO yet, and %pISpc waits\n",
				    &victim->peer, &new->peer);
		kpmem_tconn_release(victim, "evicted by a newer connection");
	}
	if (i == 2) {
		ret = -EBUSY;
		goto out;
	}
	list_add_tail(&new->node, &kpmem_target_conns);
out:
	spin_unlock(&kpmem_target_conns_lock);
	return ret;
}

static int kpmem_target_accept(struct rdma_cm_id *id, struct rdma_cm_event *event)
{
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
	struct kpmem_tconn *conn;
	const char *why;
	u32 nlanes;
	int ret;

	ret = kpmem_target_parse_req(event, &nlanes, &why);
	if (ret)
		return kpmem_target_reject(id, ret, why);
	conn = kpmem_tconn_alloc(id, event, nlanes);
	if (IS_ERR(conn))
		return kpmem_target_reject(id, PTR_ERR(conn), "no memory for it");
	ret = kpmem_target_admit(conn, &why);
	if (ret) {
		kpmem_tconn_free_rdma(conn);
		kpmem_tconn_free(conn);
		return kpmem_target_reject(id, ret, why);
	}
	/* Listed: from here on, the release path owns it, established or not. */
	id->context = conn;
	kpmem_debug_point(KPMEM_DBG_TARGET_ACCEPT);
	memcpy(rep.nonce, conn->nonce_t, sizeof(rep.nonce));
	ret = kpmem_tconn_post_recv(&conn->hello);
	/*
	 * A lane's receive buffer can be held back while its replies are
	 * unacknowledged (KPMEM_SLOT_MAX_REPLIES): the peer's next request
	 * then gets an RNR NAK, and the CM's default timer would make it
	 * wait 655 ms before retrying.
	 */
	if (!ret)
		ret = rdma_set_min_rnr_timer(id, KPMEM_TCONN_MIN_RNR_TIMER);
	if (!ret)
		ret = rdma_accept(id, &param);
	if (ret)
		kpmem_tconn_release(conn, "cannot accept");
	trace_kpmem_target_accept((struct sockaddr *)&conn->peer, nlanes, ret);
	if (!READ_ONCE(kpmem_target_stopping))
		queue_delayed_work(kpmem_target_wq, &kpmem_target_watchdog, HZ);
	return 0;
}

static int kpmem_target_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *event)
{
	struct kpmem_tconn *conn = id->context;

	switch (event->event) {
	case RDMA_CM_EVENT_CONNECT_REQUEST:
		return kpmem_target_accept(id, event);
	case RDMA_CM_EVENT_ESTABLISHED:
		spin_lock(&conn->lock);
		if (conn->state == KPMEM_TCONN_CONNECTING)
			kpmem_tconn_set_state(conn, KPMEM_TCONN_UNAUTH);
		spin_unlock(&conn->lock);
		return 0;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/*
		 * The device's removal tore every connection down first
		 * (rpmem_ibdev.c); one that slipped in after that still
		 * goes, without waiting for any port.
		 */
		kpmem_port_park_kick(&kpmem_target_park);
		fallthrough;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_REJECTED:
	case RDMA_CM_EVENT_ADDR_CHANGE:
		/* The listener itself never gets here with a context. */
		if (conn)
			kpmem_tconn_release(conn, rdma_event_msg(event->event));
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

/* Under kpmem_listen_lock.  Waits for connection requests being handled. */
static void kpmem_target_listen_stop(void)
{
	if (!kpmem_listener)
		return;
	rdma_destroy_id(kpmem_listener);
	kpmem_listener = NULL;
	pr_info("target stopped listening\n");
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
	if (READ_ONCE(kpmem_target_stopping))
		ret = -ESHUTDOWN;
	else if (!kpmem_listen_users)
		ret = kpmem_target_listen_start();
	if (!ret)
		kpmem_listen_users++;
	mutex_unlock(&kpmem_listen_lock);
	return ret;
}

void kpmem_target_listen_put(void)
{
	mutex_lock(&kpmem_listen_lock);
	if (!--kpmem_listen_users)
		kpmem_target_listen_stop();
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

/* Under kpmem_target_conns_lock: has a live @conn gone quiet for too long? */
static void kpmem_target_watch(struct kpmem_tconn *conn, unsigned int timeout_ms)
{
	enum kpmem_tconn_state state = READ_ONCE(conn->state);
	u32 keepalive = READ_ONCE(conn->keepalive_ms);
	enum ib_port_state port;
	unsigned long silent;

	switch (state) {
	case KPMEM_TCONN_CONNECTING:
	case KPMEM_TCONN_UNAUTH:
		/* Not through HELLO in time: it is not a working initiator. */
		if (time_after(jiffies, conn->accepted_at + READ_ONCE(hello_timeout_s) * HZ)) {
			pr_info_ratelimited("connection from %pISpc: no HELLO within %u s: dropping it\n",
					    &conn->peer, hello_timeout_s);
			kpmem_tconn_release(conn, "HELLO deadline");
		}
		return;
	case KPMEM_TCONN_LAST_REPLY:
		/*
		 * The transport's retries end a reply the peer never
		 * acknowledges; this is the backstop if they do not.
		 */
		if (time_after(jiffies, READ_ONCE(conn->state_at) + KPMEM_TCONN_LAST_REPLY_S * HZ))
			kpmem_tconn_release(conn, "last reply not sent in time");
		return;
	case KPMEM_TCONN_LIVE:
		break;
	default:
		/* HELLO is served by a work bounded by its own timeouts. */
		return;
	}
	if (!keepalive || !timeout_ms)
		return;
	/*
	 * Our own port being down silences every initiator: the clock starts
	 * again when it is back.
	 */
	if (ib_get_cached_port_state(conn->dev, conn->cm_id->port_num, &port) ||
	    port != IB_PORT_ACTIVE) {
		WRITE_ONCE(conn->last_rx, jiffies);
		return;
	}
	silent = jiffies - READ_ONCE(conn->last_rx);
	if (silent <= msecs_to_jiffies(max(timeout_ms, 3 * keepalive)))
		return;
	pr_info_ratelimited("initiator %pISc silent for %u ms: dropping its connection\n",
			    &conn->peer, jiffies_to_msecs(silent));
	kpmem_tconn_release(conn, "initiator silent");
}

/*
 * Once a second while there are connections: drop those that did not say
 * HELLO in time, and those whose initiator promised keepalives and has
 * been silent past the timeout.
 */
static void kpmem_target_watchdog_fn(struct work_struct *work)
{
	unsigned int timeout_ms = READ_ONCE(initiator_timeout_ms);
	struct kpmem_tconn *conn;
	bool any;

	spin_lock(&kpmem_target_conns_lock);
	list_for_each_entry(conn, &kpmem_target_conns, node)
		kpmem_target_watch(conn, timeout_ms);
	any = !list_empty(&kpmem_target_conns) && !kpmem_target_stopping;
	spin_unlock(&kpmem_target_conns_lock);
	if (any)
		queue_delayed_work(kpmem_target_wq, &kpmem_target_watchdog, HZ);
}

static bool kpmem_target_has_conns_on(struct ib_device *dev)
{
	struct kpmem_tconn *conn;
	bool found = false;

	spin_lock(&kpmem_target_conns_lock);
	list_for_each_entry(conn, &kpmem_target_conns, node) {
		if (!dev || conn->dev == dev) {
			found = true;
			break;
		}
	}
	spin_unlock(&kpmem_target_conns_lock);
	return found;
}

/**
 * kpmem_target_remove_device() - tear down every connection on @dev
 * @dev: an RDMA device going away (rpmem_ibdev.c); NULL: every device
 *
 * Returns once each of them has freed its queue pair and CM id.  Sleeps.
 */
void kpmem_target_remove_device(struct ib_device *dev)
{
	struct kpmem_tconn *conn;

	spin_lock(&kpmem_target_conns_lock);
	list_for_each_entry(conn, &kpmem_target_conns, node)
		if (!dev || conn->dev == dev)
			kpmem_tconn_release(conn, "RDMA device removal");
	spin_unlock(&kpmem_target_conns_lock);
	/* Those waiting for their port wait no more (the device is dying). */
	kpmem_port_park_kick(&kpmem_target_park);
	wait_event(kpmem_target_conn_gone, !kpmem_target_has_conns_on(dev));
}

int kpmem_target_init(void)
{
	kpmem_port_park_init(&kpmem_target_park, kpmem_tconn_parked_wait,
			     kpmem_tconn_parked_finish);
	/*
	 * Not WQ_MEM_RECLAIM: the target serves no memory reclaim of this
	 * host, and a release work flushes the HELLO work of its connection,
	 * which under a rescuer (one work at a time) would wait for itself.
	 */
	kpmem_target_wq = alloc_workqueue("kpmem_target", WQ_UNBOUND, 0);
	return kpmem_target_wq ? 0 : -ENOMEM;
}

/**
 * kpmem_target_stop() - module exit, first step: accept nothing more
 *
 * Destroying the listener waits for connection requests being handled, so
 * afterwards no connection can be added.
 */
void kpmem_target_stop(void)
{
	spin_lock(&kpmem_target_conns_lock);
	WRITE_ONCE(kpmem_target_stopping, true);
	spin_unlock(&kpmem_target_conns_lock);
	mutex_lock(&kpmem_listen_lock);
	kpmem_target_listen_stop();
	mutex_unlock(&kpmem_listen_lock);
}

/**
 * kpmem_target_exit() - module exit, after every device's connections went
 *
 * (kpmem_ibdev_exit() removed them.)  Exports go, then what runs on the
 * target's workqueue.
 */
void kpmem_target_exit(void)
{
	/* Connections on no device kpmem knew of cannot exist; be sure. */
	kpmem_target_remove_device(NULL);
	kpmem_exports_remove_all();
	cancel_delayed_work_sync(&kpmem_target_watchdog);
	kpmem_port_park_drain(&kpmem_target_park);
	destroy_workqueue(kpmem_target_wq);
}
