// SPDX-License-Identifier: GPL-2.0
/*
 * rpmem initiator: moving pool data by RDMA WRITE and READ.
 *
 * A transfer pins the user pages of one request's ranges, maps them for
 * the device and describes them as WRITE (persist) or READ work requests
 * against the target's registered segments.  A lane builds at most one
 * transfer at a time.  Pages stay pinned until the transfer is known to be
 * over: after the request's send completed and the target's reply came
 * (writes), after the last READ completed (reads), or, when the pool
 * failed with work requests possibly still in the device, until teardown
 * has drained the queue pair.  Pinned pages count against the process's
 * RLIMIT_MEMLOCK, as RDMA memory registrations do.
 */
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include <rdma/ib_verbs.h>

#include "compat.h"
#include "kpmem.h"
#include "rpmem_initiator.h"
#include "rpmem_wire.h"

/**
 * kpmem_pool_check_segs() - take the target's segment list, checked
 * @pool: the pool (hdr_size and pool_size known)
 * @segs: the wire segments
 * @n: how many
 *
 * Return: 0, -ENOMEM, or -EPROTO when they do not tile the pool's data.
 */
int kpmem_pool_check_segs(struct kpmem_pool *pool, const struct kpmem_wire_seg *segs, u32 n)
{
	u64 next = pool->hdr_size;
	u32 i;

	if (!n)
		return 0;
	pool->segs = kcalloc(n, sizeof(*pool->segs), GFP_KERNEL_ACCOUNT);
	if (!pool->segs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct kpmem_remote_seg *s = &pool->segs[i];

		s->offset = le64_to_cpu(segs[i].offset);
		s->length = le64_to_cpu(segs[i].length);
		s->addr = le64_to_cpu(segs[i].addr);
		s->rkey = le32_to_cpu(segs[i].rkey);
		if (s->offset != next || !s->length ||
		    check_add_overflow(s->offset, s->length, &next) || next > pool->pool_size ||
		    s->addr + s->length < s->addr)
			return -EPROTO;
	}
	if (next != pool->pool_size)
		return -EPROTO;
	pool->nsegs = n;
	return 0;
}

/* The segment holding pool byte @offset (past the header, inside the pool). */
static const struct kpmem_remote_seg *kpmem_pool_seg(const struct kpmem_pool *pool, u64 offset)
{
	u32 lo = 0, hi = pool->nsegs;

	while (hi - lo > 1) {
		u32 mid = lo + (hi - lo) / 2;

		if (pool->segs[mid].offset <= offset)
			lo = mid;
		else
			hi = mid;
	}
	return &pool->segs[lo];
}

/**
 * kpmem_xfer_begin() - start an empty transfer on @lane
 * @lane: a lane with a transfer buffer and no transfer pending
 * @to_pool: WRITE (true) or READ
 */
void kpmem_xfer_begin(struct kpmem_lane *lane, bool to_pool)
{
	struct kpmem_xfer *x = lane->xfer;

	x->to_pool = to_pool;
	x->npages = 0;
	x->nwr = 0;
	x->wr_open = false;
	x->wr_len = 0;
	x->nranges = 0;
	x->bytes = 0;
}

/*
 * Charge up to @want pages to the pool's locked-memory budget, as RDMA
 * memory registration does (mm->pinned_vm against RLIMIT_MEMLOCK).
 * Return: how many may be pinned; 0 when the budget is spent, and the
 * caller moves the bytes inline instead.
 */
static u32 kpmem_pool_charge_pins(struct kpmem_pool *pool, u32 want)
{
	s64 now = atomic64_add_return(want, &pool->mm->pinned_vm);
	u64 over;

	if (pool->memlock_pages == U64_MAX || now <= pool->memlock_pages)
		return want;
	over = min_t(u64, now - pool->memlock_pages, want);
	atomic64_sub(over, &pool->mm->pinned_vm);
	return want - over;
}

static void kpmem_pool_uncharge_pins(struct kpmem_pool *pool, u32 n)
{
	atomic64_sub(n, &pool->mm->pinned_vm);
}

static void kpmem_xfer_put_pages(struct kpmem_lane *lane, u32 from)
{
	struct kpmem_xfer *x = lane->xfer;
	struct ib_device *dev = lane->pool->dev;
	enum dma_data_direction dir = x->to_pool ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
	u32 i;

	for (i = from; i < x->npages; i++)
		ib_dma_unmap_page(dev, x->page_dma[i], PAGE_SIZE, dir);
	if (x->to_pool)
		unpin_user_pages(x->pages + from, x->npages - from);
	else
		unpin_user_pages_dirty_lock(x->pages + from, x->npages - from, true);
	kpmem_live_add(KPMEM_LIVE_POOL_PINNED_PAGES, -(long)(x->npages - from));
	kpmem_pool_uncharge_pins(lane->pool, x->npages - from);
	x->npages = from;
}

/**
 * kpmem_xfer_release() - unpin and unmap what the lane's transfer holds
 * @lane: the lane; its transfer must be over (see the file comment)
 */
void kpmem_xfer_release(struct kpmem_lane *lane)
{
	if (lane->xfer && lane->xfer->npages)
		kpmem_xfer_put_pages(lane, 0);
}

/* Append local [dma, dma + n) <-> pool [offset, offset + n) to the transfer. */
static bool kpmem_xfer_piece(struct kpmem_lane *lane, const struct kpmem_remote_seg *seg,
			     u64 offset, u64 dma, u32 n)
{
	struct kpmem_pool *pool = lane->pool;
	struct kpmem_xfer *x = lane->xfer;
	u64 raddr = seg->addr + (offset - seg->offset);
	struct ib_rdma_wr *wr;
	struct ib_sge *sge;

	if (x->wr_open) {
		wr = &x->wrs[x->nwr - 1];
		if (wr->rkey == seg->rkey && wr->remote_addr + x->wr_len == raddr) {
			sge = &x->sges[x->nwr - 1][wr->wr.num_sge - 1];
			if (sge->addr + sge->length == dma) {
				sge->length += n;
				x->wr_len += n;
				return true;
			}
			if (wr->wr.num_sge < pool->max_sge) {
				sge++;
				sge->addr = dma;
				sge->length = n;
				sge->lkey = pool->pd->local_dma_lkey;
				wr->wr.num_sge++;
				x->wr_len += n;
				return true;
			}
		}
		x->wr_open = false;
	}
	if (x->nwr == KPMEM_LANE_MAX_WRS)
		return false;
	wr = &x->wrs[x->nwr];
	sge = &x->sges[x->nwr][0];
	memset(wr, 0, sizeof(*wr));
	wr->wr.opcode = x->to_pool ? IB_WR_RDMA_WRITE : IB_WR_RDMA_READ;
	wr->wr.sg_list = sge;
	wr->wr.num_sge = 1;
	wr->remote_addr = raddr;
	wr->rkey = seg->rkey;
	sge->addr = dma;
	sge->length = n;
	sge->lkey = pool->pd->local_dma_lkey;
	x->nwr++;
	x->wr_open = true;
	x->wr_len = n;
	return true;
}

/**
 * kpmem_xfer_add() - add pool [offset, offset + len) to the lane's transfer
 * @lane: the lane, with a transfer begun
 * @offset: pool offset, past the header; the range is checked
 * @uaddr: the user memory the bytes come from (WRITE) or go to (READ)
 * @len: bytes, non-zero
 * @whole: all of it or nothing
 *
 * Adds as much as the transfer has room for (with @whole, only if that is
 * everything): pages to pin and work requests to describe them.
 *
 * Return: the bytes added (0: the transfer is full, or the caller's
 * locked-memory limit leaves no room to pin), or a negative errno.
 */
long kpmem_xfer_add(struct kpmem_lane *lane, u64 offset, u64 uaddr, u64 len, bool whole)
{
	struct kpmem_pool *pool = lane->pool;
	struct kpmem_xfer *x = lane->xfer;
	u32 first = x->npages, room = KPMEM_LANE_MAX_PAGES - first, want, i;
	u32 first_wr = x->nwr;
	unsigned int pgoff = offset_in_page(uaddr);
	u64 done = 0;
	long n;

	if (!room)
		return 0;
	want = min_t(u64, DIV_ROUND_UP_ULL(pgoff + len, PAGE_SIZE), room);
	want = kpmem_pool_charge_pins(pool, want);
	if (!want || (whole && want < DIV_ROUND_UP_ULL(pgoff + len, PAGE_SIZE))) {
		kpmem_pool_uncharge_pins(pool, want);
		return 0;
	}
	len = min_t(u64, len, (u64)want * PAGE_SIZE - pgoff);
	n = pin_user_pages_fast(uaddr & PAGE_MASK, want, x->to_pool ? 0 : FOLL_WRITE,
				x->pages + first);
	if (n < (long)want)
		kpmem_pool_uncharge_pins(pool, want - max(n, 0L));
	if (n <= 0)
		return n ? n : -EFAULT;
	kpmem_live_add(KPMEM_LIVE_POOL_PINNED_PAGES, n);
	for (i = 0; i < n; i++) {
		u64 dma = ib_dma_map_page(pool->dev, x->pages[first + i], 0, PAGE_SIZE,
					  x->to_pool ? DMA_TO_DEVICE : DMA_FROM_DEVICE);

		if (ib_dma_mapping_error(pool->dev, dma)) {
			unpin_user_pages(x->pages + first + i, n - i);
			kpmem_live_add(KPMEM_LIVE_POOL_PINNED_PAGES, -(n - i));
			kpmem_pool_uncharge_pins(pool, n - i);
			n = i;
			break;
		}
		x->page_dma[first + i] = dma;
	}
	x->npages = first + n;
	len = min_t(u64, len, (u64)n * PAGE_SIZE - pgoff);
	/* A new range never continues the previous one's work request. */
	x->wr_open = false;

	while (done < len) {
		u32 pg = (pgoff + done) >> PAGE_SHIFT;
		u32 in_page = offset_in_page(pgoff + done);
		u64 pos = offset + done;
		const struct kpmem_remote_seg *seg = kpmem_pool_seg(pool, pos);
		u32 piece = min3(len - done, (u64)(PAGE_SIZE - in_page),
				 seg->offset + seg->length - pos);

		if (!kpmem_xfer_piece(lane, seg, pos, x->page_dma[first + pg] + in_page, piece))
			break;
		done += piece;
	}
	/*
	 * A range never continues an earlier range's work request, so taking
	 * it back is dropping its own.
	 */
	if (whole && done < len) {
		x->nwr = first_wr;
		x->wr_open = false;
		done = 0;
	}
	/* Give back the pages this range could not use. */
	kpmem_xfer_put_pages(lane, first + (done ? DIV_ROUND_UP_ULL(pgoff + done, PAGE_SIZE) : 0));
	x->bytes += done;
	return done;
}

/**
 * kpmem_xfer_chain() - link the transfer's work requests
 * @lane: the lane
 * @next: what follows the last one (the request SEND), or NULL
 *
 * Return: the first work request to post, @next when there is none.
 */
struct ib_send_wr *kpmem_xfer_chain(struct kpmem_lane *lane, struct ib_send_wr *next)
{
	struct kpmem_xfer *x = lane->xfer;
	u32 i;

	if (!x || !x->nwr)
		return next;
	for (i = 0; i < x->nwr; i++)
		x->wrs[i].wr.next = i + 1 < x->nwr ? &x->wrs[i + 1].wr : next;
	return &x->wrs[0].wr;
}
