/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmem_uring.h - batched asynchronous remote persists with io_uring
 *
 * A librpmem pool opened through kpmem is a file descriptor of the kpmem
 * module (rpmem_pool_fd()); these helpers prepare io_uring SQEs for it, in
 * the style of liburing's io_uring_prep_*(), so an application submits its
 * persists on its own ring next to its other I/O.  The ring must be set up
 * with IORING_SETUP_SQE128 (rpmem_uring_queue_init() does it); commands on
 * other rings complete with -EINVAL.  Each CQE's res is 0 once the
 * command's guarantee holds, or a negative errno (see rpmem_uring(7)).
 * user_data is the caller's, as with every prep helper.
 *
 * Commands on one lane are served in order and the ones waiting together
 * share round trips to the target: submit many at once.
 */
#ifndef RPMEM_URING_H
#define RPMEM_URING_H 1

#include <errno.h>
#include <string.h>

#include <liburing.h>
#include <linux/kpmem.h>
#include <librpmem_kpmem.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * rpmem_uring_queue_init() - io_uring_queue_init() for rpmem commands
 * @entries: SQ entries
 * @ring: the ring to set up
 * @flags: IORING_SETUP_* (SQPOLL etc.); IORING_SETUP_SQE128 is added
 *
 * Return: as io_uring_queue_init(): 0 or a negative errno.
 */
static inline int rpmem_uring_queue_init(unsigned int entries, struct io_uring *ring,
					 unsigned int flags)
{
	return io_uring_queue_init(entries, ring, flags | IORING_SETUP_SQE128);
}

static inline void rpmem_uring_prep_cmd(struct io_uring_sqe *sqe, int fd, __u32 op,
					__u64 offset, __u64 length, __u64 buf,
					unsigned int lane, unsigned int flags)
{
	struct kpmem_uring_cmd *cmd;

	/* 128 bytes: the command area continues past the classic SQE. */
	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = op;
	cmd = (struct kpmem_uring_cmd *)sqe->cmd;
	cmd->offset = offset;
	cmd->length = length;
	cmd->buf = buf;
	cmd->lane = lane;
	cmd->flags = flags;
}

/* RPMEM_PERSIST_RELAXED as the module's flag; other bits stay (and fail). */
static inline unsigned int rpmem_uring_flags(unsigned int rpmem_flags)
{
	return (rpmem_flags & RPMEM_PERSIST_RELAXED ? KPMEM_IO_RELAXED : 0) |
	       (rpmem_flags & ~RPMEM_PERSIST_RELAXED ? 0x80000000u : 0);
}

/**
 * rpmem_prep_persist() - rpmem_persist() as an SQE
 * @sqe: from io_uring_get_sqe() on an SQE128 ring
 * @rpp: the pool
 * @offset: pool offset, as for rpmem_persist()
 * @length: bytes, below 4 GiB
 * @lane: lane
 * @flags: 0 or RPMEM_PERSIST_RELAXED
 *
 * The CQE arrives once [offset, offset + length) is durable on the target.
 */
static inline void rpmem_prep_persist(struct io_uring_sqe *sqe, RPMEMpool *rpp, size_t offset,
				      size_t length, unsigned int lane, unsigned int flags)
{
	rpmem_uring_prep_cmd(sqe, rpmem_pool_fd(rpp), KPMEM_URING_CMD_PERSIST, offset, length, 0,
			     lane, rpmem_uring_flags(flags));
}

/**
 * rpmem_prep_deep_persist() - rpmem_deep_persist() as an SQE
 * @sqe: from io_uring_get_sqe() on an SQE128 ring
 * @rpp: the pool
 * @offset: pool offset
 * @length: bytes, below 4 GiB
 * @lane: lane
 */
static inline void rpmem_prep_deep_persist(struct io_uring_sqe *sqe, RPMEMpool *rpp,
					   size_t offset, size_t length, unsigned int lane)
{
	rpmem_uring_prep_cmd(sqe, rpmem_pool_fd(rpp), KPMEM_URING_CMD_PERSIST, offset, length, 0,
			     lane, KPMEM_IO_DEEP);
}

/**
 * rpmem_prep_flush() - rpmem_flush() as an SQE
 * @sqe: from io_uring_get_sqe() on an SQE128 ring
 * @rpp: the pool
 * @offset: pool offset
 * @length: bytes, below 4 GiB
 * @lane: lane
 * @flags: 0 or RPMEM_FLUSH_RELAXED
 *
 * kpmem serves a flush as a persist: its CQE already means durable.
 */
static inline void rpmem_prep_flush(struct io_uring_sqe *sqe, RPMEMpool *rpp, size_t offset,
				    size_t length, unsigned int lane, unsigned int flags)
{
	rpmem_uring_prep_cmd(sqe, rpmem_pool_fd(rpp), KPMEM_URING_CMD_FLUSH, offset, length, 0,
			     lane, rpmem_uring_flags(flags));
}

/**
 * rpmem_prep_drain() - rpmem_drain() as an SQE
 * @sqe: from io_uring_get_sqe() on an SQE128 ring
 * @rpp: the pool
 * @lane: lane
 *
 * The CQE arrives once every command submitted before it on @lane holds
 * its guarantee; io_uring may still deliver their CQEs after this one.
 */
static inline void rpmem_prep_drain(struct io_uring_sqe *sqe, RPMEMpool *rpp, unsigned int lane)
{
	rpmem_uring_prep_cmd(sqe, rpmem_pool_fd(rpp), KPMEM_URING_CMD_DRAIN, 0, 0, 0, lane, 0);
}

/**
 * rpmem_prep_read() - rpmem_read() as an SQE
 * @sqe: from io_uring_get_sqe() on an SQE128 ring
 * @rpp: the pool
 * @buf: where the data goes; must stay valid until the CQE
 * @offset: pool offset
 * @length: bytes, below 4 GiB
 * @lane: lane
 */
static inline void rpmem_prep_read(struct io_uring_sqe *sqe, RPMEMpool *rpp, void *buf,
				   size_t offset, size_t length, unsigned int lane)
{
	rpmem_uring_prep_cmd(sqe, rpmem_pool_fd(rpp), KPMEM_URING_CMD_READ, offset, length,
			     (__u64)(unsigned long)buf, lane, 0);
}

#ifdef __cplusplus
}
#endif

#endif /* RPMEM_URING_H */
