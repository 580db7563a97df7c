/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR BSD-3-Clause */
/*
 * kpmem user ABI: ioctls on /dev/kpmem and on the file descriptors it hands
 * out, shared verbatim by kpmem.ko and the userspace libraries.
 *
 * Rules every structure here follows:
 *  - fixed-width types only, naturally aligned, no implicit padding;
 *  - every structure ends with reserved fields, which must be zero on
 *    input: a later field takes reserved room, and is announced by a
 *    feature bit;
 *  - a command is matched on its whole number, which encodes the size of
 *    its structure: a structure that has to outgrow its reserved room gets
 *    a new command number (the old one stays served), never a silently
 *    larger argument;
 *  - the ABI version changes only on an incompatible change.
 */
#ifndef _UAPI_LINUX_KPMEM_H
#define _UAPI_LINUX_KPMEM_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define KPMEM_DEVICE_NAME	"kpmem"
#define KPMEM_DEVICE_PATH	"/dev/" KPMEM_DEVICE_NAME

/* Incremented on every incompatible change of anything in this file. */
#define KPMEM_ABI_VERSION	2

/*
 * Feature bits reported by KPMEM_IOC_GET_VERSION.  A library refuses to work
 * with a module that lacks a feature it needs, naming the missing feature.
 */
#define KPMEM_FEAT_VERSION	_BITULL(0)	/* KPMEM_IOC_GET_VERSION itself */
#define KPMEM_FEAT_PART_MAPS	_BITULL(1)	/* sets of part maps (below) */
#define KPMEM_FEAT_RPMEM_TARGET	_BITULL(2)	/* exports served over RDMA */
#define KPMEM_FEAT_RPMEM_INITIATOR _BITULL(3)	/* remote pools */
#define KPMEM_FEAT_URING_CMD	_BITULL(4)	/* io_uring commands on pool fds */

#define KPMEM_FEAT_ALL		(KPMEM_FEAT_VERSION | KPMEM_FEAT_PART_MAPS | \
				 KPMEM_FEAT_RPMEM_TARGET | KPMEM_FEAT_RPMEM_INITIATOR | \
				 KPMEM_FEAT_URING_CMD)

/* ioctl type byte; not assigned in Documentation/.../ioctl-number.rst. */
#define KPMEM_IOC_MAGIC		0xD5

/**
 * struct kpmem_version_info - what the loaded module implements
 * @abi_version: KPMEM_ABI_VERSION the module was built with
 * @reserved0: zero
 * @features: KPMEM_FEAT_* bits the module implements
 * @module_version: module release, (major << 16) | (minor << 8) | patch
 * @reserved1: zero
 * @reserved: zero, room for later fields
 */
struct kpmem_version_info {
	__u32 abi_version;
	__u32 reserved0;
	__u64 features;
	__u32 module_version;
	__u32 reserved1;
	__u64 reserved[4];
};

#define KPMEM_IOC_GET_VERSION	_IOR(KPMEM_IOC_MAGIC, 0x00, struct kpmem_version_info)

/*
 * Sets of part maps.
 *
 * KPMEM_IOC_SET_CREATE on /dev/kpmem returns a new file descriptor (the
 * set, O_CLOEXEC).  The set belongs to the address space of the process
 * that created it: every request on it from another process (after fork,
 * or with a passed fd) fails with EPERM.
 *
 * A part is a mapping of [offset, offset + length) of a source file that
 * the module creates in the owner's address space with mmap semantics:
 * MAP_SHARED_VALIDATE | MAP_SYNC for DAX sources (device DAX, or a file on
 * a filesystem mounted with -o dax), MAP_SHARED for other regular files.
 * Parts are grouped into part maps: a part added with pmap_id of an
 * existing part map is placed right after it and extends it.
 *
 * Closing the set forgets its parts but leaves their mappings in place
 * (they are ordinary shared mappings holding their own file references);
 * KPMEM_SET_IOC_PART_REMOVE unmaps.  A part the process unmapped or
 * replaced behind the module's back is reported stale by lookups and only
 * forgotten, never unmapped, by a remove.
 */
struct kpmem_set_create {
	__u32 flags;		/* none defined: zero */
	__u32 reserved0;
	__u64 reserved[3];
};

#define KPMEM_IOC_SET_CREATE	_IOW(KPMEM_IOC_MAGIC, 0x01, struct kpmem_set_create)

/* Where a part goes (kpmem_part_add.placement). */
enum kpmem_part_placement {
	KPMEM_PLACE_ANYWHERE = 0,	/* the kernel picks the address */
	KPMEM_PLACE_HINT = 1,		/* at addr if free, elsewhere otherwise */
	KPMEM_PLACE_FIXED = 2,		/* at addr, which must be unmapped (EEXIST) */
	/*
	 * At addr, replacing a reservation: [addr, addr + length) must be
	 * covered by private anonymous PROT_NONE mappings (EEXIST otherwise);
	 * removing the part puts such a mapping back.
	 */
	KPMEM_PLACE_RESERVED = 3,
};

/* kpmem_part_add.flags */
#define KPMEM_PART_DO_NOT_GROW	_BITUL(0)	/* a file shorter than offset + length: ERANGE */
#define KPMEM_PART_FLAGS_ALL	(KPMEM_PART_DO_NOT_GROW)

/* Effective store granularity: the values of libpmem2's enum pmem2_granularity. */
enum kpmem_granularity {
	KPMEM_GRANULARITY_BYTE = 0,
	KPMEM_GRANULARITY_CACHE_LINE = 1,
	KPMEM_GRANULARITY_PAGE = 2,
};

enum kpmem_source_kind {
	KPMEM_SOURCE_DEVDAX = 1,	/* device DAX character device */
	KPMEM_SOURCE_FSDAX = 2,		/* regular file with DAX (S_DAX) */
	KPMEM_SOURCE_FILE = 3,		/* regular file without DAX: page cache */
};

/**
 * struct kpmem_part_add - KPMEM_SET_IOC_PART_ADD argument
 * @source_fd: the source, opened read-write
 * @placement: enum kpmem_part_placement
 * @flags: KPMEM_PART_* bits
 * @granularity: out: enum kpmem_granularity of the new part
 * @offset: offset in the source, a multiple of @alignment
 * @length: bytes to map, a multiple of @alignment; 0 = up to the end of the
 *	source (which then must not be empty)
 * @addr: in: the address for HINT, FIXED and RESERVED; out: where the part is
 * @pmap_id: in: 0 for a new part map, or the part map to extend: the part
 *	must then be placed FIXED or RESERVED at @addr == that part map's end
 *	(EINVAL otherwise); out: its part map
 * @source_kind: out: enum kpmem_source_kind
 * @reserved0: zero
 * @alignment: out: the source's required alignment for offset, length, addr
 * @source_size: out: the size of the source after the call (grown if needed)
 * @reserved: zero
 *
 * Errors: EBADF (@source_fd), ENODEV (not a DAX device nor a regular file),
 * EACCES (not opened read-write), EINVAL (bad flags/placement, unaligned
 * offset, length or addr), EOVERFLOW (offset + length overflows), ERANGE
 * (past the end of a device, or of a file with DO_NOT_GROW), EFBIG/ENOSPC
 * (cannot grow the file), EEXIST (FIXED/RESERVED range not free, or not a
 * reservation), ENOENT (@pmap_id unknown), ENOMEM, EMFILE (the set holds
 * max_parts_per_set parts), EPERM (set owned by another process), and what
 * mmap itself returns.
 */
struct kpmem_part_add {
	__s32 source_fd;
	__u32 placement;
	__u32 flags;
	__u32 granularity;
	__u64 offset;
	__u64 length;
	__u64 addr;
	__u64 pmap_id;
	__u32 source_kind;
	__u32 reserved0;
	__u64 alignment;
	__u64 source_size;
	__u64 reserved[2];
};

/**
 * struct kpmem_part_remove - KPMEM_SET_IOC_PART_REMOVE argument
 * @addr: start of the range
 * @length: length of the range, non-zero
 * @flags: zero
 * @removed: out: parts removed (every part the range intersects, whole)
 * @stale: out: of those, parts that were no longer mapped as the module
 *	mapped them, and were therefore only forgotten
 * @reserved0: zero
 * @reserved: zero
 *
 * A part map that loses a part in its middle splits in two; the part before
 * the hole keeps the part map's id.  Errors: ENOENT when the range
 * intersects no part, EINVAL, EOVERFLOW, EPERM.
 */
struct kpmem_part_remove {
	__u64 addr;
	__u64 length;
	__u32 flags;
	__u32 removed;
	__u32 stale;
	__u32 reserved0;
	__u64 reserved[2];
};

/* kpmem_pmap_info.flags */
#define KPMEM_LOOKUP_NEXT	_BITUL(0)	/* first part map ending after addr */
/* kpmem_pmap_info.state */
#define KPMEM_PMAP_STALE	_BITUL(0)	/* a part was unmapped behind our back */

/**
 * struct kpmem_pmap_info - KPMEM_SET_IOC_PMAP_LOOKUP argument
 * @addr: in: an address inside the part map (or, with KPMEM_LOOKUP_NEXT,
 *	where to start looking); out: the part map's start
 * @length: out: the part map's length
 * @pmap_id: out: the part map's id
 * @nparts: out: how many parts it holds
 * @flags: in: KPMEM_LOOKUP_* bits
 * @state: out: KPMEM_PMAP_* bits
 * @granularity: out: enum kpmem_granularity
 * @reserved: zero
 *
 * Errors: ENOENT when no part map matches, EINVAL, EPERM.
 */
struct kpmem_pmap_info {
	__u64 addr;
	__u64 length;
	__u64 pmap_id;
	__u32 nparts;
	__u32 flags;
	__u32 state;
	__u32 granularity;
	__u64 reserved[2];
};

#define KPMEM_SET_IOC_PART_ADD		_IOWR(KPMEM_IOC_MAGIC, 0x10, struct kpmem_part_add)
#define KPMEM_SET_IOC_PART_REMOVE	_IOWR(KPMEM_IOC_MAGIC, 0x11, struct kpmem_part_remove)
#define KPMEM_SET_IOC_PMAP_LOOKUP	_IOWR(KPMEM_IOC_MAGIC, 0x12, struct kpmem_pmap_info)

/*
 * Remote persistent memory (rpmem).
 *
 * A target node serves exports: named byte ranges of persistent memory (a
 * device DAX device, or a file, fsdax or not) that one initiator at a time
 * may use as the remote replica of a pool.  The initiator's module connects
 * over rdma_cm, moves data with RDMA WRITE/READ or inline in requests, and
 * acknowledges a persist only once the target has made the range durable.
 */

#define KPMEM_NAME_MAX		255	/* export / pool-set name, without NUL */
#define KPMEM_ADDR_MAX		28	/* sockaddr_in6 */
#define KPMEM_EXPORT_ALLOW_MAX	8
#define KPMEM_POOL_HDR_SIZE	4096	/* the pool header a non-NOHDRS pool keeps */
#define KPMEM_DEFAULT_PORT	7440	/* rdma_cm port (module parameter target_port) */

/* Same layout and meaning as librpmem's struct rpmem_pool_attr (104 bytes). */
struct kpmem_pool_attr {
	char signature[8];
	__u32 major;
	__u32 compat_features;
	__u32 incompat_features;
	__u32 ro_compat_features;
	__u8 poolset_uuid[16];
	__u8 uuid[16];
	__u8 next_uuid[16];
	__u8 prev_uuid[16];
	__u8 user_flags[16];
};

/* A socket address as the library resolved it (AF_INET or AF_INET6). */
struct kpmem_sockaddr {
	__u16 family;
	__u16 len;			/* bytes of addr used */
	__u32 prefix_len;		/* export allow lists: network prefix; else 0 */
	__u8 addr[KPMEM_ADDR_MAX];	/* struct sockaddr_in or sockaddr_in6 */
	__u32 reserved;
};

/* ---- target: exports (CAP_SYS_ADMIN) ---- */

/* Pre-shared keys of exports and pools, in bytes. */
#define KPMEM_KEY_MIN		16
#define KPMEM_KEY_MAX		32

/* kpmem_export_add.flags */
#define KPMEM_EXPORT_NOHDRS	_BITUL(0)	/* no pool header: the whole export is data */
#define KPMEM_EXPORT_STATE_FD	_BITUL(1)	/* @state_fd keeps what is not on the media */
/*
 * Convert a kpmem 0.1 pool header ("KPMEMPL\1") at offset 0 of the backing
 * into PMDK's pool header with the same attributes before the export is
 * listed; anything else there is left alone.  Not with NOHDRS (EINVAL).
 * Without it such an export is added, and its pool refused with EUCLEAN
 * until converted.
 */
#define KPMEM_EXPORT_CONVERT_HDR _BITUL(2)
#define KPMEM_EXPORT_FLAGS_ALL	(KPMEM_EXPORT_NOHDRS | KPMEM_EXPORT_STATE_FD | \
				 KPMEM_EXPORT_CONVERT_HDR)

/**
 * struct kpmem_export_add - KPMEM_IOC_EXPORT_ADD argument
 * @name: NUL-terminated export name (what rpmem_create/open call the pool
 *	set); 1..KPMEM_NAME_MAX characters from [A-Za-z0-9._-]
 * @backing_fd: the storage, open read-write: a device DAX device or a
 *	regular file (fsdax or not)
 * @flags: KPMEM_EXPORT_* bits
 * @size: bytes to export from offset 0 of the backing; a multiple of 4096;
 *	0 = all of it.  A file is grown to @size.
 * @nallow: entries used in @allow; 0 = any initiator
 * @key_len: 0, or KPMEM_KEY_MIN..KPMEM_KEY_MAX: initiators must then prove
 *	they hold @key: a key derived from it and both sides' nonces
 *	(HKDF-SHA256) MACs the HELLO, and the target proves it too
 * @allow: initiator addresses (with prefix_len) allowed to connect
 * @key: the pre-shared key, @key_len bytes; the rest zero
 * @state_fd: with KPMEM_EXPORT_STATE_FD: a regular file, open read-write,
 *	in which the module keeps the export's state that its media cannot
 *	hold (whether a NOHDRS export holds a pool), so that it survives a
 *	module reload or a reboot; an empty file means "nothing yet".  Only
 *	with KPMEM_EXPORT_NOHDRS (EINVAL); not opened O_APPEND.  A pool whose
 *	creation or removal cannot be recorded there fails with the I/O error
 * @reserved0: zero
 * @reserved: zero
 *
 * Errors: EPERM, EINVAL, EEXIST (name in use), EBUSY (another export has
 * the same file or device), EBADF, ENODEV, EACCES, ENOMEM, EUCLEAN
 * (@state_fd holds something else), and errors setting up the rdma_cm
 * listener.
 */
struct kpmem_export_add {
	char name[KPMEM_NAME_MAX + 1];
	__s32 backing_fd;
	__u32 flags;
	__u64 size;
	__u32 nallow;
	__u32 key_len;
	struct kpmem_sockaddr allow[KPMEM_EXPORT_ALLOW_MAX];
	__u8 key[KPMEM_KEY_MAX];
	__s32 state_fd;
	__u32 reserved0;
	__u64 reserved[3];
};

/* kpmem_export_remove.flags */
#define KPMEM_EXPORT_REMOVE_FORCE _BITUL(0)	/* disconnect a connected initiator */

/**
 * struct kpmem_export_remove - KPMEM_IOC_EXPORT_REMOVE argument
 * @name: the export
 * @flags: KPMEM_EXPORT_REMOVE_* bits
 * @reserved0: zero
 * @reserved: zero
 *
 * Errors: ENOENT, EBUSY (connected, without FORCE), EPERM, EINVAL.
 */
struct kpmem_export_remove {
	char name[KPMEM_NAME_MAX + 1];
	__u32 flags;
	__u32 reserved0;
	__u64 reserved[2];
};

/* kpmem_export_info.state */
enum kpmem_export_state {
	KPMEM_EXPORT_IDLE = 0,		/* no initiator */
	KPMEM_EXPORT_CONNECTED = 1,	/* an initiator holds it */
};

/* kpmem_export_info.flags */
#define KPMEM_EXPORT_HAS_POOL	_BITUL(16)	/* a pool was created and not removed */
#define KPMEM_EXPORT_HAS_KEY	_BITUL(17)	/* initiators must prove the key */
#define KPMEM_EXPORT_DEEP_FLUSH	_BITUL(18)	/* deep persists flush the nvdimm region */

struct kpmem_export_info {
	char name[KPMEM_NAME_MAX + 1];
	__u32 flags;			/* KPMEM_EXPORT_* | _HAS_POOL | _HAS_KEY | _DEEP_FLUSH */
	__u32 state;			/* enum kpmem_export_state */
	__u32 backing_kind;		/* enum kpmem_source_kind */
	__u32 nallow;
	__u64 size;
	struct kpmem_sockaddr peer;	/* connected initiator, if any */
	__u64 connections;		/* accepted so far */
	__u64 rejected;			/* refused connection attempts */
	__u64 persists;			/* persist / drain requests served */
	__u64 bytes_persisted;
	__u64 reads;			/* read requests served */
	__u64 errors;			/* requests answered with an error */
	__u64 deep_flushes;		/* nvdimm region flushes for deep persists */
	__u64 reserved[3];
};

/* Most entries one KPMEM_IOC_EXPORT_LIST call returns. */
#define KPMEM_EXPORT_LIST_MAX	4096

/**
 * struct kpmem_export_list - KPMEM_IOC_EXPORT_LIST argument
 * @entries: user pointer to @capacity struct kpmem_export_info
 * @capacity: entries room, at most KPMEM_EXPORT_LIST_MAX (EINVAL above)
 * @count: out: exports that exist (may exceed @capacity: call again)
 * @port: out: the rdma_cm port the target listens on (0 = not listening)
 * @reserved0: zero
 * @reserved: zero
 */
struct kpmem_export_list {
	__u64 entries;
	__u32 capacity;
	__u32 count;
	__u32 port;
	__u32 reserved0;
	__u64 reserved[2];
};

#define KPMEM_IOC_EXPORT_ADD	_IOW(KPMEM_IOC_MAGIC, 0x20, struct kpmem_export_add)
#define KPMEM_IOC_EXPORT_REMOVE	_IOW(KPMEM_IOC_MAGIC, 0x21, struct kpmem_export_remove)
#define KPMEM_IOC_EXPORT_LIST	_IOWR(KPMEM_IOC_MAGIC, 0x22, struct kpmem_export_list)

/* ---- initiator: pools ---- */

enum kpmem_pool_op {
	KPMEM_POOL_CREATE = 1,	/* the export must hold no pool (EEXIST) */
	KPMEM_POOL_OPEN = 2,	/* the export must hold a pool (ENOENT) */
	KPMEM_POOL_REMOVE = 3,	/* drop the export's pool; no fd is returned */
};

/* kpmem_pool_connect.flags */
#define KPMEM_POOL_HAS_ATTR	_BITUL(0)	/* create: @attr is given (pool with header) */
#define KPMEM_POOL_REMOVE_FORCE	_BITUL(1)	/* remove: even if the pool looks broken */
#define KPMEM_POOL_FLAGS_ALL	(KPMEM_POOL_HAS_ATTR | KPMEM_POOL_REMOVE_FORCE)

/**
 * struct kpmem_pool_connect - KPMEM_IOC_POOL_CONNECT argument
 * @op: enum kpmem_pool_op
 * @flags: KPMEM_POOL_* bits
 * @target: where the target listens (port included)
 * @name: NUL-terminated export name
 * @pool_addr: the local pool memory (page aligned); not used by REMOVE
 * @pool_size: its size (page aligned); the export must be at least as large
 * @nlanes: in: lanes wanted (>= 1); out: lanes granted
 * @timeout_ms: connection setup limit; 0 = KPMEM_POOL_TIMEOUT_DEFAULT_MS;
 *	at most KPMEM_POOL_TIMEOUT_MAX_MS (EINVAL above)
 * @attr: create with KPMEM_POOL_HAS_ATTR: stored in the pool header; open:
 *	out: the stored attributes (zero for a NOHDRS export)
 * @hdr_size: out: bytes at the start of the pool that belong to the header
 *	(KPMEM_POOL_HDR_SIZE, or 0 for NOHDRS)
 * @key_len: 0, or KPMEM_KEY_MIN..KPMEM_KEY_MAX: prove to the target that we
 *	hold @key (exports with a key refuse initiators without it: EACCES)
 * @key: the pre-shared key, @key_len bytes; the rest zero; with a key the
 *	target must prove it holds it too (EACCES otherwise)
 * @reserved: zero
 *
 * Return: CREATE/OPEN: a new pool file descriptor (O_CLOEXEC) whose
 * ioctls below move data; REMOVE: 0.  Errors: EINVAL, EFAULT, ETIMEDOUT,
 * ECONNREFUSED (no target listening), EHOSTUNREACH, EACCES (no such export,
 * or this initiator may not use it: allow list, key), ENOENT (no pool to
 * open/remove), EEXIST (create on a pool), EBUSY (export in use, or the
 * target's connection limits), EFBIG (export smaller than the pool),
 * EPROTONOSUPPORT (target speaks another protocol version), EPROTO (the
 * target broke the protocol), EMFILE (the process has max_pools_per_process
 * pools), ENODEV (the RDMA device went away), ENOMEM.
 */
struct kpmem_pool_connect {
	__u32 op;
	__u32 flags;
	struct kpmem_sockaddr target;
	char name[KPMEM_NAME_MAX + 1];
	__u64 pool_addr;
	__u64 pool_size;
	__u32 nlanes;
	__u32 timeout_ms;
	struct kpmem_pool_attr attr;
	__u32 hdr_size;
	__u32 key_len;
	__u8 key[KPMEM_KEY_MAX];
	__u64 reserved[4];
};

#define KPMEM_POOL_TIMEOUT_DEFAULT_MS	5000
#define KPMEM_POOL_TIMEOUT_MAX_MS	600000

#define KPMEM_IOC_POOL_CONNECT	_IOWR(KPMEM_IOC_MAGIC, 0x30, struct kpmem_pool_connect)

/* kpmem_pool_io.flags */
#define KPMEM_IO_RELAXED	_BITUL(0)	/* persist/flush: no atomicity promise */
#define KPMEM_IO_DEEP		_BITUL(1)	/* persist: deep persist */
#define KPMEM_IO_FLAGS_ALL	(KPMEM_IO_RELAXED | KPMEM_IO_DEEP)

/**
 * struct kpmem_pool_io - argument of the pool fd's data ioctls
 * @offset: pool offset
 * @length: bytes (0: nothing to do, success)
 * @lane: < granted nlanes
 * @flags: KPMEM_IO_* bits valid for the ioctl
 * @buf: READ: user buffer receiving the data
 * @reserved: zero
 *
 * PERSIST returns once [offset, offset + length) of the local pool memory
 * is durable on the target; FLUSH starts moving it; DRAIN (offset, length
 * and buf zero) returns once every earlier FLUSH on the lane is durable;
 * READ copies the target's data into @buf.  Errors: EINVAL (range outside
 * the pool, a header-protected offset, bad lane or flags), EFAULT, and after
 * a connection failure the connection's error (ECONNRESET, ETIMEDOUT, ...),
 * for every later call.
 */
struct kpmem_pool_io {
	__u64 offset;
	__u64 length;
	__u32 lane;
	__u32 flags;
	__u64 buf;
	__u64 reserved[2];
};

/**
 * struct kpmem_pool_set_attr - KPMEM_POOL_IOC_SET_ATTR argument
 * @attr: the new pool attributes (all zero to clear)
 * @reserved: zero
 */
struct kpmem_pool_set_attr {
	struct kpmem_pool_attr attr;
	__u64 reserved[2];
};

#define KPMEM_POOL_IOC_PERSIST	_IOW(KPMEM_IOC_MAGIC, 0x31, struct kpmem_pool_io)
#define KPMEM_POOL_IOC_FLUSH	_IOW(KPMEM_IOC_MAGIC, 0x32, struct kpmem_pool_io)
#define KPMEM_POOL_IOC_DRAIN	_IOW(KPMEM_IOC_MAGIC, 0x33, struct kpmem_pool_io)
#define KPMEM_POOL_IOC_READ	_IOW(KPMEM_IOC_MAGIC, 0x34, struct kpmem_pool_io)
#define KPMEM_POOL_IOC_SET_ATTR	_IOW(KPMEM_IOC_MAGIC, 0x35, struct kpmem_pool_set_attr)

/*
 * io_uring: IORING_OP_URING_CMD on a pool fd, with sqe->cmd_op one of
 * KPMEM_URING_CMD_* and the command area holding struct kpmem_uring_cmd.
 * The ring must be set up with IORING_SETUP_SQE128: a plain SQE's 16-byte
 * command area cannot hold a read's buffer address next to a 64-bit
 * offset and length, and one layout for every command is simpler to get
 * right than two.  Commands from other rings fail with EINVAL.
 *
 * A CQE's res is 0 once the command's guarantee holds (PERSIST: the range
 * is durable on the target; FLUSH: likewise, it is served as a persist;
 * DRAIN: every earlier command on the lane has its guarantee, though their
 * CQEs may be reaped after the drain's; READ: @buf holds the data), or a
 * negative errno: EINVAL (range, lane, flags, reserved
 * fields, length above 4 GiB - 1), EPERM (a ring of another process),
 * ECANCELED (the ring went away first), or the pool's sticky error.
 * Commands on one lane are served in order; commands submitted together
 * on a lane share round trips to the target.
 */
#define KPMEM_URING_CMD_PERSIST	_IOW(KPMEM_IOC_MAGIC, 0x40, struct kpmem_uring_cmd)
#define KPMEM_URING_CMD_FLUSH	_IOW(KPMEM_IOC_MAGIC, 0x41, struct kpmem_uring_cmd)
#define KPMEM_URING_CMD_DRAIN	_IOW(KPMEM_IOC_MAGIC, 0x42, struct kpmem_uring_cmd)
#define KPMEM_URING_CMD_READ	_IOW(KPMEM_IOC_MAGIC, 0x43, struct kpmem_uring_cmd)

/**
 * struct kpmem_uring_cmd - the command area of a pool fd's uring_cmd SQE
 * @offset: pool offset (DRAIN: 0)
 * @length: bytes, < 4 GiB (DRAIN: 0; 0 elsewhere: nothing to do)
 * @buf: READ: where the data goes; 0 otherwise
 * @lane: < granted nlanes
 * @flags: PERSIST: KPMEM_IO_RELAXED, KPMEM_IO_DEEP; FLUSH: KPMEM_IO_RELAXED
 * @reserved: zero
 */
struct kpmem_uring_cmd {
	__u64 offset;
	__u64 length;
	__u64 buf;
	__u32 lane;
	__u32 flags;
	__u64 reserved[2];
};

#endif /* _UAPI_LINUX_KPMEM_H */
