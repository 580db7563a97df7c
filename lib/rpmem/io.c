// SPDX-License-Identifier: BSD-3-Clause
/*
 * The data path: rpmem_persist, rpmem_deep_persist, rpmem_flush,
 * rpmem_drain, rpmem_read, each one ioctl on the pool fd, except that
 * flushes are queued on the lane's io_uring and submitted together by the
 * next drain or persist on the lane (flush_ring.c), and a read on a lane
 * with queued flushes completes them first.
 *
 * Arguments are checked here first, in PMDK's order (an earlier connection
 * failure, flags, the header, lane, range, zero length), so misuse is
 * reported without a syscall; the module checks them again.  Argument
 * errors do not poison the pool; a failure of the connection does, for
 * every later data-path call and set_attr (PMDK's sticky error).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include "librpmem.h"
#include "error.h"
#include "flush_ring.h"
#include "pool.h"

static int check_pool(const char *fn, const RPMEMpool *rpp)
{
	int err;

	if (!rpp)
		return rpmem_fail(EINVAL, "%s: rpp is NULL", fn);
	err = rpmem_pool_error(rpp);
	if (err)
		return rpmem_fail(err, "%s: the pool's connection failed earlier: %s",
				  fn, strerror(err));
	return 0;
}

/* PMDK's rule: the header is not the user's to write. */
static int check_header(const char *fn, size_t hdr_size, size_t offset)
{
	if (offset < hdr_size)
		return rpmem_fail(EINVAL, "%s: offset %zu is inside the %zu-byte pool header",
				  fn, offset, hdr_size);
	return 0;
}

/* Lane, then range; an offset at or past the end fails even for length 0. */
static int check_lane_range(const char *fn, const RPMEMpool *rpp, size_t offset,
			    size_t length, unsigned lane)
{
	if (lane >= rpp->nlanes)
		return rpmem_fail(EINVAL, "%s: lane %u is not below the pool's %u lanes",
				  fn, lane, rpp->nlanes);
	if (offset >= rpp->pool_size || length > rpp->pool_size - offset)
		return rpmem_fail(EINVAL, "%s: range [%zu, +%zu) is outside the %zu-byte pool",
				  fn, offset, length, rpp->pool_size);
	return 0;
}

/*
 * Errors that say the call was wrong (or memory was short) rather than
 * that the connection broke; they leave the pool usable.
 */
static int error_is_sticky(int err)
{
	return err != EINVAL && err != EFAULT && err != ENOMEM;
}

static int pool_ioctl(const char *fn, RPMEMpool *rpp, unsigned long req,
		      struct kpmem_pool_io *io)
{
	int ret, err;

	/* Every command is idempotent, so an interrupted one is reissued. */
	do {
		ret = ioctl(rpp->fd, req, io);
	} while (ret < 0 && errno == EINTR);
	if (ret == 0)
		return 0;
	err = errno;
	if (error_is_sticky(err))
		rpmem_pool_set_error(rpp, err);
	return rpmem_fail(err, "%s: [%llu, +%llu) on lane %u failed: %s", fn,
			  (unsigned long long)io->offset, (unsigned long long)io->length,
			  io->lane, strerror(err));
}

static int transfer(const char *fn, RPMEMpool *rpp, unsigned long req, size_t offset,
		    size_t length, unsigned lane, unsigned kflags, void *buf)
{
	struct kpmem_pool_io io;
	int ret;

	if (check_lane_range(fn, rpp, offset, length, lane))
		return -1;
	/*
	 * Flushes queued on the lane come first: a persist joins them, a
	 * read waits for them (see flush_ring.c).
	 */
	if (req == KPMEM_POOL_IOC_PERSIST) {
		ret = rpmem_flush_ring_persist(fn, rpp, offset, length, lane, kflags);
		if (ret <= 0)
			return ret;
	} else if (req == KPMEM_POOL_IOC_READ) {
		if (rpmem_flush_ring_complete(fn, rpp, lane))
			return -1;
	}
	if (length == 0)
		return 0;
	memset(&io, 0, sizeof(io));
	io.offset = offset;
	io.length = length;
	io.lane = lane;
	io.flags = kflags;
	io.buf = (uintptr_t)buf;
	return pool_ioctl(fn, rpp, req, &io);
}

int rpmem_persist(RPMEMpool *rpp, size_t offset, size_t length, unsigned lane, unsigned flags)
{
	static const char fn[] = "rpmem_persist";

	if (check_pool(fn, rpp))
		return -1;
	if (flags & ~RPMEM_PERSIST_RELAXED)
		return rpmem_fail(EINVAL, "%s: invalid flags 0x%x", fn, flags);
	if (check_header(fn, rpp->hdr_size, offset))
		return -1;
	return transfer(fn, rpp, KPMEM_POOL_IOC_PERSIST, offset, length, lane,
			(flags & RPMEM_PERSIST_RELAXED) ? KPMEM_IO_RELAXED : 0, NULL);
}

int rpmem_deep_persist(RPMEMpool *rpp, size_t offset, size_t length, unsigned lane)
{
	static const char fn[] = "rpmem_deep_persist";

	if (check_pool(fn, rpp))
		return -1;
	/* PMDK protects the header size here even for pools without one. */
	if (check_header(fn, KPMEM_POOL_HDR_SIZE, offset))
		return -1;
	return transfer(fn, rpp, KPMEM_POOL_IOC_PERSIST, offset, length, lane,
			KPMEM_IO_DEEP, NULL);
}

int rpmem_flush(RPMEMpool *rpp, size_t offset, size_t length, unsigned lane, unsigned flags)
{
	static const char fn[] = "rpmem_flush";
	int ret;

	if (check_pool(fn, rpp))
		return -1;
	if (flags & ~RPMEM_FLUSH_RELAXED)
		return rpmem_fail(EINVAL, "%s: invalid flags 0x%x", fn, flags);
	if (check_header(fn, rpp->hdr_size, offset))
		return -1;
	if (check_lane_range(fn, rpp, offset, length, lane))
		return -1;
	if (length == 0)
		return 0;
	ret = rpmem_flush_ring_queue(fn, rpp, offset, length, lane,
				     (flags & RPMEM_FLUSH_RELAXED) ? KPMEM_IO_RELAXED : 0);
	if (ret <= 0)
		return ret;
	return transfer(fn, rpp, KPMEM_POOL_IOC_FLUSH, offset, length, lane,
			(flags & RPMEM_FLUSH_RELAXED) ? KPMEM_IO_RELAXED : 0, NULL);
}

int rpmem_drain(RPMEMpool *rpp, unsigned lane, unsigned flags)
{
	static const char fn[] = "rpmem_drain";
	struct kpmem_pool_io io;
	int ret;

	if (check_pool(fn, rpp))
		return -1;
	if (flags)
		return rpmem_fail(EINVAL, "%s: invalid flags 0x%x (must be 0)", fn, flags);
	if (lane >= rpp->nlanes)
		return rpmem_fail(EINVAL, "%s: lane %u is not below the pool's %u lanes",
				  fn, lane, rpp->nlanes);
	ret = rpmem_flush_ring_drain(fn, rpp, lane);
	if (ret <= 0)
		return ret;
	memset(&io, 0, sizeof(io));
	io.lane = lane;
	return pool_ioctl(fn, rpp, KPMEM_POOL_IOC_DRAIN, &io);
}

int rpmem_read(RPMEMpool *rpp, void *buff, size_t offset, size_t length, unsigned lane)
{
	static const char fn[] = "rpmem_read";

	if (check_pool(fn, rpp))
		return -1;
	/* Reading the header is allowed: PMDK only logs it. */
	if (!buff && length)
		return rpmem_fail(EINVAL, "%s: buff is NULL", fn);
	return transfer(fn, rpp, KPMEM_POOL_IOC_READ, offset, length, lane, 0, buff);
}
