// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem target: HELLO, the first request of a connection, which names the
 * export and what to do with its pool.  Served from the target's
 * workqueue in four steps, each of which may refuse:
 *
 *  1. parse: every field checked once, from the one copy that arrived;
 *  2. authorize: the export exists, allows this peer and, if it has a key,
 *     the initiator proved it holds it.  Until this step passed, every
 *     refusal is the same EACCES, so that nobody unauthenticated can tell
 *     a missing export from one it may not use;
 *  3. attach and act: the export is free (EBUSY), the pool is created,
 *     opened or removed;
 *  4. open the lanes: their buffers and the pool's registrations exist
 *     only from here, for authorized initiators; then the reply, with the
 *     target's own proof when the export has a key.
 *
 * A refused HELLO is answered, and the connection released once the
 * answer is sent.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/random.h>
#include <linux/slab.h>
#include <rdma/ib_verbs.h>

#include "compat.h"
#include "debug_hook.h"
#include "kpmem.h"
#include "kpmem_trace.h"
#include "rpmem.h"
#include "rpmem_target.h"
#include "rpmem_target_mr.h"
#include "rpmem_wire.h"

/* HELLO as checked, in host byte order. */
struct kpmem_hello_req {
	u32 op;
	u32 flags;
	u64 pool_size;
	u32 nlanes;
	u32 auth;
	u32 keepalive_ms;
	const char *name;
	const struct kpmem_wire_hello *wire;
};

/* Step 1.  Return: 0, -EINVAL (answered) or -EPROTO (not a kpmem HELLO). */
static int kpmem_hello_parse(struct kpmem_tconn *conn, struct kpmem_hello_req *req)
{
	const struct kpmem_wire_hdr *hdr = conn->hello.req;
	const struct kpmem_wire_hello *hello = (const void *)(hdr + 1);
	u32 name_len;

	if (conn->hello.byte_len != KPMEM_WIRE_HELLO_MSG_SIZE ||
	    le16_to_cpu(hdr->type) != KPMEM_WIRE_HELLO || hdr->lane ||
	    le32_to_cpu(hdr->length) != sizeof(*hello))
		return -EPROTO;
	name_len = le32_to_cpu(hello->name_len);
	if (!name_len || name_len > KPMEM_NAME_MAX ||
	    strnlen(hello->name, sizeof(hello->name)) != name_len)
		return -EPROTO;
	req->wire = hello;
	req->name = hello->name;
	req->op = le32_to_cpu(hello->op);
	req->flags = le32_to_cpu(hello->flags);
	req->pool_size = le64_to_cpu(hello->pool_size);
	req->nlanes = le32_to_cpu(hello->nlanes);
	req->auth = le32_to_cpu(hello->auth);
	req->keepalive_ms = le32_to_cpu(hello->keepalive_ms);
	if (req->flags & ~KPMEM_POOL_FLAGS_ALL || req->op < KPMEM_POOL_CREATE ||
	    req->op > KPMEM_POOL_REMOVE || req->keepalive_ms > KPMEM_WIRE_MAX_KEEPALIVE_MS ||
	    (req->auth != KPMEM_WIRE_AUTH_NONE && req->auth != KPMEM_WIRE_AUTH_PSK))
		return -EINVAL;
	return 0;
}

/*
 * Does the initiator's MAC prove it holds @key?  With no export to check
 * against (@key NULL) the same work is done on a throwaway key, so that
 * the answer takes as long either way.
 */
static bool kpmem_hello_proven(struct kpmem_tconn *conn, const struct kpmem_hello_req *req,
			       const u8 *key, u32 key_len)
{
	u8 dummy[KPMEM_KEY_MIN], mac[KPMEM_WIRE_MAC_LEN];
	bool ok;

	if (!key) {
		get_random_bytes(dummy, sizeof(dummy));
		key = dummy;
		key_len = sizeof(dummy);
	}
	ok = !kpmem_auth_conn_key(key, key_len, conn->nonce_i, conn->nonce_t, conn->conn_key) &&
	     !kpmem_auth_hello_mac(conn->conn_key, (struct sockaddr *)&conn->peer,
				   (struct sockaddr *)&conn->local, req->wire, mac) &&
	     req->auth == KPMEM_WIRE_AUTH_PSK && kpmem_auth_mac_equal(mac, req->wire->mac) &&
	     key != dummy;
	memzero_explicit(dummy, sizeof(dummy));
	memzero_explicit(mac, sizeof(mac));
	return ok;
}

/* Step 2.  Return: the export, referenced, or NULL (refused: EACCES). */
static struct kpmem_export *kpmem_hello_authorize(struct kpmem_tconn *conn,
						  const struct kpmem_hello_req *req)
{
	struct kpmem_export *exp = kpmem_export_get(req->name);
	bool keyed = exp && exp->key_len;
	const char *why = NULL;
	bool proven;

	/*
	 * The proof is checked once, whatever the outcome, against the
	 * export's key or a random one: every refusal costs the same work,
	 * so its timing does not tell which export names exist, which have
	 * a key, or whom they admit.
	 */
	proven = kpmem_hello_proven(conn, req, keyed ? exp->key : NULL, keyed ? exp->key_len : 0);
	if (!exp) {
		why = "asks for an export that does not exist";
	} else if (!kpmem_export_allows(exp, (struct sockaddr *)&conn->peer)) {
		why = "is not on the export's allow list";
	} else if (keyed && !proven) {
		why = req->auth == KPMEM_WIRE_AUTH_PSK ? "does not prove the export's key" :
			"has no key for the export";
	} else if (!keyed && req->auth == KPMEM_WIRE_AUTH_PSK) {
		/*
		 * It will believe only a target that proves a key; this export
		 * has none to prove.  Refused before anything is done to it.
		 */
		why = "holds a key, which the export does not have, for";
	}
	if (!why)
		return exp;
	pr_info_ratelimited("initiator %pISc %s '%s': refused\n", &conn->peer, why, req->name);
	if (exp) {
		atomic64_inc(&exp->stats.rejected);
		kpmem_export_put(exp);
	}
	memzero_explicit(conn->conn_key, sizeof(conn->conn_key));
	return NULL;
}

/* Step 3: create, open or remove the export's pool.  Under nothing. */
static int kpmem_hello_pool_op(struct kpmem_tconn *conn, const struct kpmem_hello_req *req,
			       struct kpmem_pool_attr *attr)
{
	struct kpmem_export *exp = conn->exp;
	bool has_attr = req->flags & KPMEM_POOL_HAS_ATTR;
	bool exists;
	int ret;

	conn->hdr_size = exp->flags & KPMEM_EXPORT_NOHDRS ? 0 : KPMEM_POOL_HDR_SIZE;
	if (req->op != KPMEM_POOL_REMOVE) {
		if (!req->pool_size || !IS_ALIGNED(req->pool_size, PAGE_SIZE) ||
		    req->pool_size <= conn->hdr_size || !req->nlanes)
			return -EINVAL;
		if (req->pool_size > exp->size)
			return -EFBIG;
	}

	mutex_lock(&exp->lock);
	ret = kpmem_export_pool_get(exp, &exists, attr);
	if (ret)
		goto out;
	switch (req->op) {
	case KPMEM_POOL_CREATE:
		/* A header keeps attributes; a NOHDRS pool has nowhere to. */
		ret = -EINVAL;
		if (has_attr != !(exp->flags & KPMEM_EXPORT_NOHDRS))
			break;
		ret = -EEXIST;
		if (exists)
			break;
		*attr = req->wire->attr;
		ret = kpmem_export_pool_set(exp, req->pool_size, attr);
		break;
	case KPMEM_POOL_OPEN:
		ret = exists ? 0 : -ENOENT;
		break;
	case KPMEM_POOL_REMOVE:
		ret = -ENOENT;
		if (!exists && !(req->flags & KPMEM_POOL_REMOVE_FORCE))
			break;
		ret = kpmem_export_pool_set(exp, 0, NULL);
		break;
	}
out:
	mutex_unlock(&exp->lock);
	return ret;
}

/*
 * Step 4: the lanes' buffers, posted, and the pool registered for this
 * peer.  Nothing else is in flight during HELLO: the send queue, sized for
 * the lanes, is ours for the registrations.
 */
static int kpmem_hello_open_lanes(struct kpmem_tconn *conn, const struct kpmem_hello_req *req)
{
	struct kpmem_export *exp = conn->exp;
	u32 i;
	int ret;

	conn->pool_size = req->pool_size;
	ret = kpmem_tconn_alloc_slots(conn, min(req->nlanes, conn->wire_lanes));
	if (ret)
		return ret;
	if (exp->pages) {
		ret = kpmem_target_mrs_register(&conn->mrs, conn->pd, conn->qp, exp,
						conn->hdr_size, conn->pool_size, conn->wire_lanes);
		if (ret) {
			pr_info_ratelimited("cannot register export '%s' for %pISpc: %d\n",
					    exp->name, &conn->peer, ret);
			return ret;
		}
	}
	for (i = 0; i < conn->nslots; i++) {
		ret = kpmem_tconn_post_recv(&conn->slots[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* The successful reply, in lane 0's reply buffer; return its data length. */
static int kpmem_hello_fill_reply(struct kpmem_tconn *conn, const struct kpmem_hello_req *req,
				  const struct kpmem_pool_attr *attr,
				  struct kpmem_wire_hello_reply *reply)
{
	struct kpmem_wire_seg *segs = (struct kpmem_wire_seg *)(reply + 1);
	int ret;

	memset(reply, 0, sizeof(*reply));
	reply->export_size = cpu_to_le64(conn->exp->size);
	reply->nlanes = cpu_to_le32(conn->nslots);
	reply->hdr_size = cpu_to_le32(conn->hdr_size);
	reply->attr = *attr;
	reply->nsegs = cpu_to_le32(conn->mrs.nmrs);
	kpmem_target_mrs_describe(&conn->mrs, segs);
	if (conn->exp->key_len) {
		reply->auth = cpu_to_le32(KPMEM_WIRE_AUTH_PSK);
		ret = kpmem_auth_reply_mac(conn->conn_key, req->wire->mac, reply, segs,
					   conn->mrs.nmrs, reply->mac);
		if (ret)
			return ret;
	}
	return sizeof(*reply) + conn->mrs.nmrs * sizeof(struct kpmem_wire_seg);
}

/**
 * kpmem_tconn_hello_work() - serve a connection's HELLO
 * @work: the connection's hello_work
 */
void kpmem_tconn_hello_work(struct work_struct *work)
{
	struct kpmem_tconn *conn = container_of(work, struct kpmem_tconn, hello_work);
	const struct kpmem_wire_hdr *hdr = conn->hello.req;
	struct kpmem_wire_hdr *rhdr = conn->hello.reply;
	enum kpmem_tconn_state next = KPMEM_TCONN_LAST_REPLY;
	struct kpmem_pool_attr attr = { };
	struct kpmem_hello_req req;
	struct kpmem_export *exp;
	u64 rdma = conn->hello.reply_dma;
	int ret;

	ret = kpmem_hello_parse(conn, &req);
	if (ret == -EPROTO) {
		pr_info_ratelimited("malformed HELLO from %pISpc: disconnecting\n", &conn->peer);
		kpmem_tconn_release(conn, "malformed HELLO");
		return;
	}
	kpmem_debug_point(KPMEM_DBG_TARGET_HELLO);
	if (!ret) {
		exp = kpmem_hello_authorize(conn, &req);
		ret = exp ? 0 : -EACCES;
	}
	if (!ret) {
		/* A removed export is a missing one. */
		ret = kpmem_export_attach(exp, conn);
		if (ret) {
			kpmem_export_put(exp);
			ret = ret == -ENOENT ? -EACCES : ret;
		} else {
			conn->exp = exp;
		}
	}
	if (!ret)
		ret = kpmem_hello_pool_op(conn, &req, &attr);
	if (!ret && req.op != KPMEM_POOL_REMOVE) {
		ret = kpmem_hello_open_lanes(conn, &req);
		if (!ret) {
			rhdr = conn->slots[0].reply;
			rdma = conn->slots[0].reply_dma;
			ret = kpmem_hello_fill_reply(conn, &req, &attr, (void *)(rhdr + 1));
		}
		if (ret >= 0)
			next = KPMEM_TCONN_LIVE;
	} else if (!ret) {
		/* A removal is answered (and proven) like any HELLO, without segments. */
		ret = kpmem_hello_fill_reply(conn, &req, &attr, (void *)(rhdr + 1));
	}
	/*
	 * A registration that timed out may still be run by the device: its
	 * MRs, and the export whose pages they map, stay until the release
	 * has drained the queue pair.
	 */
	if (conn->exp && next != KPMEM_TCONN_LIVE && !conn->mrs.reg_stuck) {
		/*
		 * A refused initiator holds nothing, and a removal is over:
		 * the next initiator may come at once.
		 */
		if (ret < 0)
			atomic64_inc(&conn->exp->stats.rejected);
		kpmem_target_mrs_free(&conn->mrs);
		kpmem_export_detach(conn->exp, conn);
		kpmem_export_put(conn->exp);
		conn->exp = NULL;
	}
	if (next == KPMEM_TCONN_LIVE) {
		atomic64_inc(&conn->exp->stats.connections);
		/* From now on the watchdog expects to hear from the initiator. */
		WRITE_ONCE(conn->last_rx, jiffies);
		WRITE_ONCE(conn->keepalive_ms, req.keepalive_ms);
	}
	trace_kpmem_target_hello(conn, req.name, req.op, conn->nslots, ret < 0 ? ret : 0);
	ret = kpmem_tconn_reply(conn, NULL, hdr, rhdr, rdma, ret, KPMEM_TCONN_HELLO, next);
	if (ret && ret != -ESHUTDOWN)
		kpmem_tconn_release(conn, "cannot answer HELLO");
}
