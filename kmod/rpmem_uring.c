// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem initiator: io_uring commands on a pool file.
 *
 * A command is checked when it is issued and then queued on its lane; a
 * worker per lane serves the lane's queue in order.  Persists waiting
 * together on a lane leave as one transfer: their RDMA WRITEs and a single
 * PERSIST_RANGES request, so a batch costs one round trip to the target
 * instead of one per command.  Completions go back to the submitting
 * task's context through io_uring task work.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kthread.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "kpmem.h"
#include "kpmem_trace.h"
#include "rpmem.h"
#include "rpmem_initiator.h"

enum kpmem_uring_op {
	KPMEM_UOP_PERSIST,	/* FLUSH too: it is served as a persist */
	KPMEM_UOP_DRAIN,
	KPMEM_UOP_READ,
};

/* Set in kpmem_uring_pdu.flags when io_uring cancels the command. */
#define KPMEM_UFLAG_CANCELED	BIT(7)

/* A queued command, in io_uring_cmd.pdu. */
struct kpmem_uring_pdu {
	struct llist_node node;
	union {
		u64 offset;
		int res;		/* once served */
	};
	u64 buf;
	u32 length;
	u16 lane;
	u8 op;
	u8 flags;		/* KPMEM_IO_*, KPMEM_UFLAG_CANCELED */
};

static struct workqueue_struct *kpmem_uring_wq;

static struct kpmem_uring_pdu *kpmem_uring_pdu(struct io_uring_cmd *cmd)
{
	BUILD_BUG_ON(sizeof(struct kpmem_uring_pdu) > sizeof_field(struct io_uring_cmd, pdu));
	return (struct kpmem_uring_pdu *)cmd->pdu;
}

static struct io_uring_cmd *kpmem_uring_cmd_of(struct kpmem_uring_pdu *pdu)
{
	return container_of((void *)pdu, struct io_uring_cmd, pdu);
}

static void kpmem_uring_done_task(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	io_uring_cmd_done(cmd, kpmem_uring_pdu(cmd)->res, 0, issue_flags);
	kpmem_live_dec(KPMEM_LIVE_URING_CMDS);
}

/* Post the CQE from the submitter's task; @pdu is not ours afterwards. */
static void kpmem_uring_complete(struct kpmem_uring_pdu *pdu, int res)
{
	trace_kpmem_uring_complete(kpmem_uring_cmd_of(pdu), res);
	pdu->res = res;
	io_uring_cmd_complete_in_task(kpmem_uring_cmd_of(pdu), kpmem_uring_done_task);
}

/* Complete @n commands from @node on with @res; return what follows them. */
static struct llist_node *kpmem_uring_complete_n(struct llist_node *node, u32 n, int res)
{
	while (n--) {
		struct llist_node *next = node->next;

		kpmem_uring_complete(llist_entry(node, struct kpmem_uring_pdu, node), res);
		node = next;
	}
	return node;
}

static bool kpmem_uring_batchable(const struct kpmem_uring_pdu *first,
				  const struct kpmem_uring_pdu *p)
{
	return p->op == KPMEM_UOP_PERSIST &&
	       !(READ_ONCE(p->flags) & KPMEM_UFLAG_CANCELED) &&
	       (p->flags & KPMEM_IO_DEEP) == (first->flags & KPMEM_IO_DEEP);
}

/*
 * Serve the persist at @node and the persists after it that fit one
 * transfer with it.  Return: the first command not served.
 */
static struct llist_node *kpmem_uring_persist(struct kpmem_lane *lane, struct llist_node *node)
{
	struct kpmem_uring_pdu *first = llist_entry(node, struct kpmem_uring_pdu, node);
	u32 wflags = first->flags & KPMEM_IO_DEEP ? KPMEM_WIRE_DEEP : 0;
	struct llist_node *next = node->next;
	u32 n = 1;
	long added;
	int ret;

	if (!lane->pool->nsegs) {
		/* The target takes data inline only: one command at a time. */
		ret = kpmem_lane_persist(lane, first->offset, first->length, first->flags);
		return kpmem_uring_complete_n(node, 1, ret);
	}
	kpmem_xfer_begin(lane, true);
	added = kpmem_lane_add_range(lane, first->offset, first->length, false);
	if (added < 0)
		return kpmem_uring_complete_n(node, 1, added);
	if (!added) {
		/* No room to pin it: on its own, inline. */
		ret = kpmem_lane_persist(lane, first->offset, first->length, first->flags);
		return kpmem_uring_complete_n(node, 1, ret);
	}
	if (added < first->length) {
		/* Bigger than a transfer: on its own, in pieces. */
		ret = kpmem_lane_persist_xfer(lane, wflags);
		if (!ret)
			ret = kpmem_lane_persist(lane, first->offset + added,
						 first->length - added, first->flags);
		return kpmem_uring_complete_n(node, 1, ret);
	}
	while (next) {
		struct kpmem_uring_pdu *p = llist_entry(next, struct kpmem_uring_pdu, node);

		if (!kpmem_uring_batchable(first, p))
			break;
		added = kpmem_lane_add_range(lane, p->offset, p->length, true);
		if (added <= 0)
			break;	/* full, or it fails again on its own */
		next = next->next;
		n++;
	}
	ret = kpmem_lane_persist_xfer(lane, wflags);
	return kpmem_uring_complete_n(node, n, ret);
}

/* Serve the command at @node (and maybe more); return the first not served. */
static struct llist_node *kpmem_uring_serve(struct kpmem_lane *lane, struct llist_node *node,
					    bool have_mm)
{
	struct kpmem_pool *pool = lane->pool;
	struct kpmem_uring_pdu *pdu = llist_entry(node, struct kpmem_uring_pdu, node);
	int err;

	if (READ_ONCE(pdu->flags) & KPMEM_UFLAG_CANCELED)
		err = -ECANCELED;
	else if (!kpmem_pool_live(pool))
		err = kpmem_pool_error(pool) ?: -ENODEV;
	else if (!have_mm)
		err = -EFAULT;		/* the process's memory is gone */
	else
		err = READ_ONCE(pool->error);
	if (err)
		return kpmem_uring_complete_n(node, 1, err);

	switch (pdu->op) {
	case KPMEM_UOP_DRAIN:
		/* Everything before it on the lane has completed. */
		return kpmem_uring_complete_n(node, 1, 0);
	case KPMEM_UOP_READ:
		err = kpmem_lane_read(lane, pdu->offset, pdu->length, pdu->buf);
		return kpmem_uring_complete_n(node, 1, err);
	default:
		return kpmem_uring_persist(lane, node);
	}
}

/**
 * kpmem_uring_lane_serve() - serve the io_uring commands queued on a lane
 * @lane: the lane, its lock held, with the pool's io_sem held for reading
 * @have_mm: the caller runs in the pool's address space
 *
 * The lane's synchronous calls serve its queue first too: whatever was
 * submitted on a lane before a persist, drain or read is done before it.
 */
void kpmem_uring_lane_serve(struct kpmem_lane *lane, bool have_mm)
{
	struct llist_node *node = llist_del_all(&lane->uring_queue);

	lockdep_assert_held(&lane->lock);
	node = llist_reverse_order(node);
	while (node)
		node = kpmem_uring_serve(lane, node, have_mm);
}

/**
 * kpmem_uring_lane_work() - serve a lane's queued io_uring commands
 * @work: the lane's uring_work
 *
 * Runs in a kworker, in the address space of the pool's process (user
 * pages are pinned from it), holding the lane like a synchronous call.
 */
void kpmem_uring_lane_work(struct work_struct *work)
{
	struct kpmem_lane *lane = container_of(work, struct kpmem_lane, uring_work);
	struct kpmem_pool *pool = lane->pool;
	bool have_mm;

	if (llist_empty(&lane->uring_queue))
		return;
	have_mm = mmget_not_zero(pool->mm);
	if (have_mm)
		kthread_use_mm(pool->mm);
	down_read(&pool->io_sem);
	mutex_lock(&lane->lock);
	kpmem_uring_lane_serve(lane, have_mm);
	mutex_unlock(&lane->lock);
	up_read(&pool->io_sem);
	if (have_mm) {
		kthread_unuse_mm(pool->mm);
		mmput_async(pool->mm);
	}
}

/* Check @c for @op: Return 0 or -EINVAL. */
static int kpmem_uring_check(struct kpmem_pool *pool, const struct kpmem_uring_cmd *c,
			     enum kpmem_uring_op op, u32 flags_ok)
{
	if (c->reserved[0] || c->reserved[1] || c->flags & ~flags_ok || c->length > U32_MAX)
		return -EINVAL;
	switch (op) {
	case KPMEM_UOP_DRAIN:
		return c->offset || c->length || c->buf || c->lane >= pool->nlanes ? -EINVAL : 0;
	case KPMEM_UOP_READ:
		if (c->length && !access_ok(u64_to_user_ptr(c->buf), c->length))
			return -EFAULT;
		return kpmem_pool_check_range(pool, c->lane, c->offset, c->length, false);
	default:
		return c->buf ? -EINVAL :
		       kpmem_pool_check_range(pool, c->lane, c->offset, c->length, true);
	}
}

/**
 * kpmem_pool_uring_cmd() - file_operations.uring_cmd of a pool file
 * @cmd: the command
 * @issue_flags: IO_URING_F_*
 *
 * Never blocks: checks the command and queues it on its lane.
 *
 * Return: -EIOCBQUEUED, or the CQE's result for a command served at once.
 */
int kpmem_pool_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct kpmem_pool *pool = cmd->file->private_data;
	struct kpmem_uring_pdu *pdu = kpmem_uring_pdu(cmd);
	struct kpmem_uring_cmd c;
	enum kpmem_uring_op op;
	struct kpmem_lane *lane;
	u32 flags_ok = 0;
	int ret;

	if (issue_flags & KPMEM_URING_F_CANCEL) {
		/* Queued, since io_uring still has it: its lane's worker ends it. */
		WRITE_ONCE(pdu->flags, pdu->flags | KPMEM_UFLAG_CANCELED);
		queue_work(kpmem_uring_wq, &pool->lanes[pdu->lane].uring_work);
		return 0;
	}
	if (!(issue_flags & IO_URING_F_SQE128))
		return -EINVAL;
	if (current->mm != pool->mm)
		return -EPERM;
	switch (cmd->cmd_op) {
	case KPMEM_URING_CMD_PERSIST:
		op = KPMEM_UOP_PERSIST;
		flags_ok = KPMEM_IO_FLAGS_ALL;
		break;
	case KPMEM_URING_CMD_FLUSH:
		op = KPMEM_UOP_PERSIST;
		flags_ok = KPMEM_IO_RELAXED;
		break;
	case KPMEM_URING_CMD_DRAIN:
		op = KPMEM_UOP_DRAIN;
		break;
	case KPMEM_URING_CMD_READ:
		op = KPMEM_UOP_READ;
		break;
	default:
		return -ENOTTY;
	}
	/* Once: the SQE is shared with user space, which may change it. */
	memcpy(&c, kpmem_uring_cmd_area(cmd), sizeof(c));
	ret = kpmem_uring_check(pool, &c, op, flags_ok);
	if (ret)
		return ret;
	ret = READ_ONCE(pool->error);
	if (ret || (!c.length && op != KPMEM_UOP_DRAIN))
		return ret;

	pdu->offset = c.offset;
	pdu->buf = c.buf;
	pdu->length = c.length;
	pdu->lane = c.lane;
	pdu->op = op;
	pdu->flags = c.flags;
	lane = &pool->lanes[c.lane];
	kpmem_uring_cmd_mark_cancelable(cmd, issue_flags);
	kpmem_live_inc(KPMEM_LIVE_URING_CMDS);
	trace_kpmem_uring_submit(pool, cmd, c.lane, op, c.offset, c.length);
	llist_add(&pdu->node, &lane->uring_queue);
	queue_work(kpmem_uring_wq, &lane->uring_work);
	return -EIOCBQUEUED;
}

int kpmem_uring_init(void)
{
	kpmem_uring_wq = alloc_workqueue("kpmem_uring", WQ_UNBOUND, 0);
	return kpmem_uring_wq ? 0 : -ENOMEM;
}

void kpmem_uring_exit(void)
{
	destroy_workqueue(kpmem_uring_wq);
}
