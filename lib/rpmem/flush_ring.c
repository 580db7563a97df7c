// SPDX-License-Identifier: BSD-3-Clause
/*
 * rpmem_flush and rpmem_drain on io_uring: each lane gets its own ring
 * (a lane is used by one thread at a time, PMDK's contract, so no locks),
 * made on the lane's first flush.  A flush only queues an SQE; the drain
 * submits them all at once and waits, so N flushes and a drain cost one
 * system call and as few round trips to the target as the module can
 * share between them.  Where io_uring is unavailable (disabled, or a
 * kernel without 128-byte SQEs) or KPMEM_RPMEM_FLUSH_RING=0, flushes fall
 * back to one ioctl each.
 *
 * Whatever else happens on a lane after its flushes must see them done
 * first: a persist or deep persist joins the queued flushes and completes
 * with them (rpmem_persist(3): it may replace the last flush and the
 * drain), a read completes them before it reads, and close completes
 * every lane's before the pool goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rpmem_uring.h>

#include "error.h"
#include "flush_ring.h"

#define FLUSH_RING_ENTRIES 64

enum ring_state { RING_UNTRIED, RING_READY, RING_UNAVAILABLE };

struct rpmem_flush_ring {
	struct io_uring ring;
	enum ring_state state;
	unsigned queued;	/* SQEs prepared or submitted, CQEs not reaped */
	unsigned submitted;
};

/*
 * KPMEM_RPMEM_FLUSH_RING=0 (read when a pool is opened) keeps flushes on
 * one ioctl each: for comparisons, and for programs that must not use
 * io_uring.
 */
struct rpmem_flush_ring *rpmem_flush_rings_new(unsigned nlanes)
{
	const char *env = getenv("KPMEM_RPMEM_FLUSH_RING");

	if (env && !strcmp(env, "0"))
		return NULL;
	return calloc(nlanes, sizeof(struct rpmem_flush_ring));
}

void rpmem_flush_rings_free(struct rpmem_flush_ring *rings, unsigned nlanes)
{
	unsigned i;

	for (i = 0; rings && i < nlanes; i++)
		if (rings[i].state == RING_READY)
			io_uring_queue_exit(&rings[i].ring);
	free(rings);
}

/*
 * Submit what is queued and reap every CQE.  Return: 0, or the first
 * failed command's errno (the rest are reaped all the same).
 */
static int ring_complete(struct rpmem_flush_ring *r)
{
	struct io_uring_cqe *cqe;
	int err = 0, ret;

	if (r->queued > r->submitted) {
		do {
			ret = io_uring_submit(&r->ring);
		} while (ret == -EINTR);
		if (ret < 0)
			err = -ret;
		else
			r->submitted += ret;
	}
	while (r->submitted) {
		ret = io_uring_wait_cqe(&r->ring, &cqe);
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			/* Cannot happen with CQEs owed; give up on them rather than spin. */
			err = err ? err : -ret;
			break;
		}
		if (cqe->res < 0 && !err)
			err = -cqe->res;
		io_uring_cqe_seen(&r->ring, cqe);
		r->submitted--;
	}
	r->queued = 0;
	r->submitted = 0;
	return err;
}

static int report(const char *fn, struct rpmem_pool *rpp, unsigned lane, int err)
{
	if (err != EINVAL && err != EFAULT && err != ENOMEM)
		rpmem_pool_set_error(rpp, err);
	return rpmem_fail(err, "%s: lane %u: a flush queued on it failed: %s", fn, lane,
			  strerror(err));
}

/* The lane's ring if flushes are queued on it, NULL otherwise. */
static struct rpmem_flush_ring *pending(struct rpmem_pool *rpp, unsigned lane)
{
	struct rpmem_flush_ring *r;

	if (!rpp->rings)
		return NULL;
	r = &rpp->rings[lane];
	return r->state == RING_READY && r->queued ? r : NULL;
}

/**
 * rpmem_flush_ring_queue() - queue a checked flush on the lane's ring
 *
 * Return: 0 queued, 1 when the lane has no ring (use the ioctl), -1 with
 * the error reported.
 */
int rpmem_flush_ring_queue(const char *fn, struct rpmem_pool *rpp, size_t offset, size_t length,
			   unsigned lane, unsigned kflags)
{
	struct rpmem_flush_ring *r;
	struct io_uring_sqe *sqe;
	int err;

	if (!rpp->rings)
		return 1;
	r = &rpp->rings[lane];
	if (r->state == RING_UNTRIED)
		r->state = rpmem_uring_queue_init(FLUSH_RING_ENTRIES, &r->ring, 0) ?
			   RING_UNAVAILABLE : RING_READY;
	if (r->state != RING_READY)
		return 1;
	sqe = io_uring_get_sqe(&r->ring);
	if (!sqe) {
		/* The ring is full: what it holds goes now. */
		err = ring_complete(r);
		if (err)
			return report(fn, rpp, lane, err);
		sqe = io_uring_get_sqe(&r->ring);
		if (!sqe)
			return report(fn, rpp, lane, EBUSY);
	}
	rpmem_uring_prep_cmd(sqe, rpp->fd, KPMEM_URING_CMD_FLUSH, offset, length, 0, lane, kflags);
	r->queued++;
	return 0;
}

/**
 * rpmem_flush_ring_persist() - a checked persist on a lane with queued flushes
 *
 * The persist joins the lane's queued flushes: all of them are submitted
 * together, and the call returns when every one is durable.
 *
 * Return: 0 when they all succeeded, 1 when nothing was queued (persist
 * with the ioctl), -1 with the first error reported.
 */
int rpmem_flush_ring_persist(const char *fn, struct rpmem_pool *rpp, size_t offset,
			     size_t length, unsigned lane, unsigned kflags)
{
	struct rpmem_flush_ring *r = pending(rpp, lane);
	struct io_uring_sqe *sqe;
	int err;

	if (!r)
		return 1;
	sqe = length ? io_uring_get_sqe(&r->ring) : NULL;
	if (sqe) {
		rpmem_uring_prep_cmd(sqe, rpp->fd, KPMEM_URING_CMD_PERSIST, offset, length, 0,
				     lane, kflags);
		r->queued++;
	}
	err = ring_complete(r);
	if (err)
		return report(fn, rpp, lane, err);
	/* A full ring, or nothing to persist: the flushes are done, the rest is the caller's. */
	return sqe || !length ? 0 : 1;
}

/**
 * rpmem_flush_ring_complete() - complete the lane's queued flushes, if any
 *
 * Return: 0 when there were none or they all succeeded, -1 with the first
 * error reported.
 */
int rpmem_flush_ring_complete(const char *fn, struct rpmem_pool *rpp, unsigned lane)
{
	struct rpmem_flush_ring *r = pending(rpp, lane);
	int err;

	if (!r)
		return 0;
	err = ring_complete(r);
	return err ? report(fn, rpp, lane, err) : 0;
}

/**
 * rpmem_flush_ring_drain() - complete the lane's queued flushes
 *
 * Return: 0 when they all succeeded, 1 when nothing was queued (drain
 * with the ioctl), -1 with the first error reported.
 */
int rpmem_flush_ring_drain(const char *fn, struct rpmem_pool *rpp, unsigned lane)
{
	if (!pending(rpp, lane))
		return 1;
	return rpmem_flush_ring_complete(fn, rpp, lane);
}
