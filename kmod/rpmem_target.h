/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rpmem target internals: one accepted connection and its life, shared by
 * the connection code (rpmem_target.c), HELLO (rpmem_target_hello.c) and
 * the data path (rpmem_target_io.c).
 *
 * A connection's life, one state at a time (kpmem_tconn_set_state()):
 *
 *   CONNECTING -> UNAUTH -> HELLO -> LIVE
 *                                 -> LAST_REPLY
 *   any of those -> RELEASING -> PARKED -> (destroyed)
 *
 * Until HELLO succeeds a connection holds only a small fixed amount of
 * memory (its queue pair and one HELLO-sized buffer each way) and counts
 * against the unauthenticated caps; lane buffers come with LIVE.  A
 * refused HELLO, a pool removal and CLOSE end in LAST_REPLY: the reply is
 * sent, then the connection is released.  RELEASING stops all posting
 * (under @lock), drains and frees the RDMA resources in the order the
 * device needs them gone (QP, CQ, PD, then the CM id) and lets go of the
 * export; PARKED keeps only the CM id, whose disconnect waits for a down
 * port (port_park.h).
 */
#ifndef KPMEM_RPMEM_TARGET_H
#define KPMEM_RPMEM_TARGET_H

#include <linux/list.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>

#include "rpmem_target_mr.h"
#include "rpmem_wire.h"

enum kpmem_tconn_state {
	KPMEM_TCONN_CONNECTING,		/* accepted, not established yet */
	KPMEM_TCONN_UNAUTH,		/* established; waiting for HELLO */
	KPMEM_TCONN_HELLO,		/* HELLO being served (hello_work) */
	KPMEM_TCONN_LIVE,		/* serving the pool on its lanes */
	KPMEM_TCONN_LAST_REPLY,		/* the last reply is on its way, then release */
	KPMEM_TCONN_RELEASING,		/* nothing is posted any more; teardown runs */
	KPMEM_TCONN_PARKED,		/* only the CM id is left; waits for the port */
	KPMEM_TCONN_NR_STATES
};

/* A receive buffer and the reply to what arrives in it. */
struct kpmem_target_slot {
	struct kpmem_tconn *conn;
	void *req;
	void *reply;
	u64 req_dma;
	u64 reply_dma;
	u32 req_size;			/* bytes @req can receive */
	u32 byte_len;			/* of the request being served */
	u32 replies_in_flight;		/* posted, not completed; under conn->lock */
	bool recv_deferred;		/* @req goes back to the device at a completion */
	struct ib_cqe recv_cqe;
	struct ib_cqe send_cqe;
};

struct kpmem_tconn {
	struct rdma_cm_id *cm_id;
	struct ib_device *dev;
	struct ib_pd *pd;
	struct ib_cq *cq;
	struct ib_qp *qp;
	spinlock_t lock;		/* @state; posting to @qp */
	enum kpmem_tconn_state state;
	u32 wire_lanes;			/* asked for when connecting: the QP's size */
	u32 nslots;			/* lanes granted by HELLO */
	struct kpmem_target_slot *slots;	/* LIVE: one per lane */
	struct kpmem_target_slot hello;	/* HELLO in, a reply without data out */
	struct sockaddr_storage peer;	/* the initiator */
	struct sockaddr_storage local;	/* our address it connected to */
	u8 nonce_i[KPMEM_WIRE_NONCE_LEN];	/* the initiator's, from its REQ */
	u8 nonce_t[KPMEM_WIRE_NONCE_LEN];	/* ours, sent with the REP */
	u8 conn_key[KPMEM_WIRE_MAC_LEN];	/* keyed exports: after HELLO */
	struct kpmem_export *exp;	/* after HELLO attached it */
	u64 pool_size;
	u32 hdr_size;
	struct kpmem_target_mrs mrs;	/* the pool's data, registered for this peer */
	u32 keepalive_ms;		/* the initiator's period, after HELLO; 0: none */
	unsigned long last_rx;		/* jiffies of the last request received */
	unsigned long accepted_at;	/* jiffies: the HELLO deadline, eviction order */
	struct ib_cqe last_reply_cqe;	/* LAST_REPLY: its completion releases */
	struct work_struct hello_work;
	struct work_struct release_work;
	struct work_struct qp_error_work;	/* an asynchronous QP error: release */
	const char *qp_error;		/* which one, for the log */
	unsigned long state_at;		/* jiffies: when @state was entered */
	struct list_head node;		/* on the target's connection list */
	struct list_head parked;	/* on the target's park: waits for its port */
};

/*
 * Replies of one slot in the send queue at most: a peer slow to acknowledge
 * them gets the slot's receive buffer back only as they complete, so the
 * send queue (2 per slot, HELLO's reply, ib_drain_qp()'s) never overflows.
 */
#define KPMEM_SLOT_MAX_REPLIES		2

/* A LAST_REPLY connection whose reply is not sent after this long goes. */
#define KPMEM_TCONN_LAST_REPLY_S	30

/* The RNR NAK timer the target's QPs advertise: 0.16 ms (IBTA table 45). */
#define KPMEM_TCONN_MIN_RNR_TIMER	IB_RNR_TIMER_000_16

/* rpmem_target.c */
extern struct workqueue_struct *kpmem_target_wq;
bool kpmem_tconn_set_state(struct kpmem_tconn *conn, enum kpmem_tconn_state state);
void kpmem_tconn_release(struct kpmem_tconn *conn, const char *why);

/* rpmem_target_io.c */
int kpmem_tconn_init_hello_slot(struct kpmem_tconn *conn);
int kpmem_tconn_alloc_slots(struct kpmem_tconn *conn, u32 nslots);
void kpmem_tconn_free_slots(struct kpmem_tconn *conn);
int kpmem_tconn_post_recv(struct kpmem_target_slot *slot);
int kpmem_tconn_reply(struct kpmem_tconn *conn, struct kpmem_target_slot *slot,
		      const struct kpmem_wire_hdr *req, struct kpmem_wire_hdr *rhdr, u64 rdma,
		      int ret, enum kpmem_tconn_state from, enum kpmem_tconn_state next);

/* rpmem_target_hello.c */
void kpmem_tconn_hello_work(struct work_struct *work);

#endif /* KPMEM_RPMEM_TARGET_H */
