/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rpmem initiator internals: a pool (one RC connection to a target's
 * export) and its lanes, shared by the pool's life (rpmem_pool.c), the
 * lanes' requests (rpmem_lane.c), the RDMA data movement (rpmem_xfer.c)
 * and the io_uring commands (rpmem_uring.c).
 *
 * A pool's life, one state at a time (kpmem_pool_set_state(), under
 * @state_lock; the data path reads it under @io_sem):
 *
 *   RESOLVING -> CONNECTING -> HELLO -> LIVE
 *   any of those -> QUIESCED -> PARKED -> GONE
 *                            -> GONE
 *
 * QUIESCED: no call uses the queue pair any more, it is drained, and the
 * queue pair, CQ, buffers and PD are freed, in that order; only the CM id
 * is left, which GONE destroys (PARKED first waits for a down port,
 * port_park.h).  A failure is not a state but the sticky @error, which
 * every later call returns; teardown follows when the pool is closed, or
 * at once when its device goes.
 */
#ifndef KPMEM_RPMEM_INITIATOR_H
#define KPMEM_RPMEM_INITIATOR_H

#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>

#include "rpmem_wire.h"

/* RDMA work requests (and SGEs each) one lane may chain before its request. */
#define KPMEM_LANE_MAX_WRS	64
#define KPMEM_LANE_MAX_SGE	16
/* User pages one lane keeps pinned for one request: 1 MiB plus a partial page. */
#define KPMEM_LANE_MAX_PAGES	((SZ_1M >> PAGE_SHIFT) + 1)

struct kpmem_pool;

struct kpmem_recv_buf {
	struct kpmem_pool *pool;
	void *buf;
	u64 dma;
	struct ib_cqe cqe;
};

/* A segment of the remote pool (struct kpmem_wire_seg, checked). */
struct kpmem_remote_seg {
	u64 offset;
	u64 length;
	u64 addr;
	u32 rkey;
};

/*
 * One request's RDMA transfer being built on a lane: the user pages it
 * pinned, and the WRITE or READ work requests over them.
 */
struct kpmem_xfer {
	u32 npages;
	struct page *pages[KPMEM_LANE_MAX_PAGES];
	u64 page_dma[KPMEM_LANE_MAX_PAGES];
	bool to_pool;			/* WRITE (persist) or READ */
	u32 nwr;
	bool wr_open;			/* wrs[nwr - 1] may still grow */
	u32 wr_len;			/* bytes in wrs[nwr - 1] */
	struct ib_rdma_wr wrs[KPMEM_LANE_MAX_WRS];
	struct ib_sge sges[KPMEM_LANE_MAX_WRS][KPMEM_LANE_MAX_SGE];
	u32 nranges;			/* struct kpmem_wire_range in the request */
	u64 bytes;
};

struct kpmem_lane {
	struct kpmem_pool *pool;
	struct mutex lock;		/* one call at a time on a lane */
	void *req;
	u64 req_dma;
	struct ib_cqe send_cqe;
	struct ib_cqe rdma_cqe;		/* the last READ of a transfer */
	/*
	 * A call is over when every completion it waits for is in: its
	 * request's send and its reply, or its last READ.  Only then may the
	 * pages it pinned go (a retransmission still reads them).
	 */
	atomic_t pending;
	struct completion done;		/* @pending reached 0, or the pool failed */
	u64 seq;			/* of the request in flight, under pool->lock */
	bool waiting;			/* under pool->lock */
	struct kpmem_recv_buf *reply;	/* under pool->lock */
	struct kpmem_xfer *xfer;
	struct llist_head uring_queue;	/* io_uring commands waiting, newest first */
	struct work_struct uring_work;	/* serves @uring_queue */
};

enum kpmem_pool_state {
	KPMEM_POOL_RESOLVING,		/* address and route */
	KPMEM_POOL_CONNECTING,		/* queue pair made; connection requested */
	KPMEM_POOL_HELLO,		/* connected; HELLO asked */
	KPMEM_POOL_LIVE,		/* the data path is open */
	KPMEM_POOL_QUIESCED,		/* RDMA resources gone; the CM id is left */
	KPMEM_POOL_PARKED,		/* the disconnect waits for the port */
	KPMEM_POOL_GONE,		/* the CM id is destroyed */
	KPMEM_POOL_NR_STATES
};

struct kpmem_pool {
	struct kref ref;		/* the file (or connect), the park, device removal */
	struct list_head node;		/* on kpmem_pools */
	struct rdma_cm_id *cm_id;
	struct ib_device *dev;		/* bound, under the pools' list lock */
	struct ib_pd *pd;
	struct ib_cq *cq;
	struct ib_qp *qp;
	struct sockaddr_storage peer;	/* the target, for the log */
	struct mm_struct *mm;		/* whose memory the pool is; mmgrab()ed */
	u64 memlock_pages;		/* RLIMIT_MEMLOCK at connect; U64_MAX: CAP_IPC_LOCK */
	u64 pool_addr;
	u64 pool_size;
	u32 hdr_size;
	u32 nlanes;			/* granted; lanes[] has wire_lanes entries */
	u32 wire_lanes;
	struct kpmem_lane *lanes;
	u32 nrecv;
	struct kpmem_recv_buf *recv;
	u32 max_sge;			/* per RDMA work request */
	u32 nsegs;			/* 0: the target takes data inline only */
	struct kpmem_remote_seg *segs;
	struct mutex state_lock;	/* @state; the RDMA resources */
	struct rw_semaphore io_sem;	/* calls using the QP (read) vs. teardown (write) */
	enum kpmem_pool_state state;
	spinlock_t lock;		/* @error, lanes' seq/waiting/reply */
	int error;			/* sticky, negative errno; under @lock */
	u8 nonce_i[KPMEM_WIRE_NONCE_LEN];	/* ours, sent with the REQ */
	u8 nonce_t[KPMEM_WIRE_NONCE_LEN];	/* the target's, from its REP */
	u8 conn_key[KPMEM_WIRE_MAC_LEN];	/* with a key: after HELLO */
	struct completion cm_done;	/* a connection-setup step ended */
	/* Under @lock: how kpmem_pool_wait_cm() learns that a step ended. */
	int cm_status;			/* the CM's answer to the step, */
	bool cm_answered;		/* when this is set */
	int cm_abort;			/* a failure that ends every wait (not a flush's) */
	struct list_head parked;	/* on the park: waits for its port */
	u32 keepalive;			/* ms, as announced in HELLO; 0: none */
	unsigned long last_tx;		/* jiffies of the last request sent */
	struct delayed_work keepalive_work;	/* KEEPALIVE when idle */
};

/* rpmem_pool.c */
void kpmem_pool_fail(struct kpmem_pool *pool, int err, const char *why);
int kpmem_pool_error(struct kpmem_pool *pool);
bool kpmem_pool_live(struct kpmem_pool *pool);
int kpmem_pool_check_range(struct kpmem_pool *pool, u32 lane, u64 offset, u64 length,
			   bool write);
int kpmem_pool_alloc_lanes(struct kpmem_pool *pool);
void kpmem_pool_free_lanes(struct kpmem_pool *pool);

/* rpmem_lane.c */
int kpmem_pool_post_recv(struct kpmem_pool *pool, struct kpmem_recv_buf *rb);
void kpmem_lane_init(struct kpmem_lane *lane, struct kpmem_pool *pool);
void kpmem_recv_buf_init(struct kpmem_recv_buf *rb, struct kpmem_pool *pool);
void kpmem_lane_prep(struct kpmem_lane *lane, u16 type, u64 offset, u32 length, u32 flags);
struct kpmem_recv_buf *kpmem_lane_call(struct kpmem_lane *lane, u32 data_len);
bool kpmem_lane_over(struct kpmem_lane *lane);
void kpmem_pool_put_reply(struct kpmem_pool *pool, struct kpmem_recv_buf *rb);
int kpmem_reply_status(const struct kpmem_wire_hdr *hdr);
void kpmem_lane_lock(struct kpmem_lane *lane);
int kpmem_lane_persist(struct kpmem_lane *lane, u64 offset, u64 len, u32 io_flags);
int kpmem_lane_read(struct kpmem_lane *lane, u64 offset, u64 len, u64 buf);
long kpmem_lane_add_range(struct kpmem_lane *lane, u64 offset, u64 len, bool whole);
int kpmem_lane_persist_xfer(struct kpmem_lane *lane, u32 wflags);
int kpmem_lane_set_attr(struct kpmem_lane *lane, const struct kpmem_pool_attr *attr);
int kpmem_lane_simple(struct kpmem_lane *lane, u16 type);

/* rpmem_uring.c */
struct io_uring_cmd;
int kpmem_pool_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags);
void kpmem_uring_lane_work(struct work_struct *work);
void kpmem_uring_lane_serve(struct kpmem_lane *lane, bool have_mm);

/* rpmem_xfer.c */
void kpmem_xfer_begin(struct kpmem_lane *lane, bool to_pool);
long kpmem_xfer_add(struct kpmem_lane *lane, u64 offset, u64 uaddr, u64 len, bool whole);
struct ib_send_wr *kpmem_xfer_chain(struct kpmem_lane *lane, struct ib_send_wr *next);
void kpmem_xfer_release(struct kpmem_lane *lane);
int kpmem_pool_check_segs(struct kpmem_pool *pool, const struct kpmem_wire_seg *segs, u32 n);

#endif /* KPMEM_RPMEM_INITIATOR_H */
