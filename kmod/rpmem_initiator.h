/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rpmem initiator internals: a pool (one RC connection to a target's
 * export) and its lanes, shared by the connection code, the RDMA data
 * movement and the io_uring commands.
 */
#ifndef KPMEM_RPMEM_INITIATOR_H
#define KPMEM_RPMEM_INITIATOR_H

#include <linux/completion.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
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
	struct completion done;		/* reply or READs arrived, or the pool failed */
	u64 seq;			/* of the request in flight, under pool->lock */
	bool waiting;			/* under pool->lock */
	struct kpmem_recv_buf *reply;	/* under pool->lock */
	struct kpmem_xfer *xfer;
	struct llist_head uring_queue;	/* io_uring commands waiting, newest first */
	struct work_struct uring_work;	/* serves @uring_queue */
};

struct kpmem_pool {
	struct rdma_cm_id *cm_id;
	struct ib_device *dev;
	struct ib_pd *pd;
	struct ib_cq *cq;
	struct ib_qp *qp;
	struct mm_struct *mm;		/* whose memory the pool is; mmgrab()ed */
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
	spinlock_t lock;		/* @error, lanes' seq/waiting/reply */
	int error;			/* sticky, negative errno; under @lock */
	u8 challenge[KPMEM_WIRE_CHALLENGE_LEN];	/* from the target's REP */
	bool has_challenge;
	struct completion cm_done;	/* a connection-setup step ended */
	int cm_status;
	bool established;		/* report failures from now on */
	bool attached;			/* the target holds the export for us */
	struct mutex teardown_lock;	/* @torn_down, @cm_gone, the RDMA resources */
	struct rw_semaphore io_sem;	/* data path (read) vs. teardown (write) */
	bool torn_down;			/* the data path is stopped */
	bool cm_gone;			/* disconnected; the RDMA resources freed */
	struct list_head parked;	/* on kpmem_pools_parked: waits for its port */
	bool closing;			/* teardown began: failures are expected */
	struct work_struct removal_work;	/* RDMA device going away */
	u32 keepalive;			/* ms, as announced in HELLO; 0: none */
	unsigned long last_tx;		/* jiffies of the last request sent */
	struct delayed_work keepalive_work;	/* KEEPALIVE when idle */
};

void kpmem_pool_fail(struct kpmem_pool *pool, int err, const char *why);
int kpmem_pool_check_range(struct kpmem_pool *pool, u32 lane, u64 offset, u64 length,
			   bool write);
int kpmem_lane_persist(struct kpmem_lane *lane, u64 offset, u64 len, u32 io_flags);
int kpmem_lane_read(struct kpmem_lane *lane, u64 offset, u64 len, u64 buf);
long kpmem_lane_add_range(struct kpmem_lane *lane, u64 offset, u64 len, bool whole);
int kpmem_lane_persist_xfer(struct kpmem_lane *lane, u32 wflags);

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
