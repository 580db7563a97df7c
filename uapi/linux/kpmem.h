/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR BSD-3-Clause */
/*
 * kpmem user ABI: ioctls on /dev/kpmem and on the file descriptors it hands
 * out, shared verbatim by kpmem.ko and the userspace libraries.
 *
 * Rules every structure here follows:
 *  - fixed-width types only, naturally aligned, no implicit padding;
 *  - every structure starts with everything it needs to be extended: new
 *    fields are appended, and reserved fields must be zero on input;
 *  - the ABI version changes only on an incompatible change; additions are
 *    announced by feature bits.
 */
#ifndef _UAPI_LINUX_KPMEM_H
#define _UAPI_LINUX_KPMEM_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define KPMEM_DEVICE_NAME	"kpmem"
#define KPMEM_DEVICE_PATH	"/dev/" KPMEM_DEVICE_NAME

/* Incremented on every incompatible change of anything in this file. */
#define KPMEM_ABI_VERSION	1

/*
 * Feature bits reported by KPMEM_IOC_GET_VERSION.  A library refuses to work
 * with a module that lacks a feature it needs, naming the missing feature.
 */
#define KPMEM_FEAT_VERSION	_BITULL(0)	/* KPMEM_IOC_GET_VERSION itself */
#define KPMEM_FEAT_PART_MAPS	_BITULL(1)	/* sets of part maps (below) */

#define KPMEM_FEAT_ALL		(KPMEM_FEAT_VERSION | KPMEM_FEAT_PART_MAPS)

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

#endif /* _UAPI_LINUX_KPMEM_H */
