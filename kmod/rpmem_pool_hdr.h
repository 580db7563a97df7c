/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pool header at offset 0 of an export that keeps one: PMDK's
 * struct pool_hdr (PMDK 1.12 src/common/pool_hdr.h), 4096 bytes, integers
 * little-endian, written for a remote replica as rpmemd does
 * (util_header_create() from the rpmem_create() attributes), so that the
 * export holds a PMDK pool part that PMDK's tools open on the target.
 *
 * Also recognised, never written: the header of kpmem 0.1 ("KPMEMPL\1",
 * the pool size, then struct kpmem_pool_attr), which
 * KPMEM_EXPORT_CONVERT_HDR converts.
 *
 * Pure functions of memory: the host unit test builds this file in user
 * space (selftests/unit/pool_hdr_test.c).
 */
#ifndef KPMEM_RPMEM_POOL_HDR_H
#define KPMEM_RPMEM_POOL_HDR_H

#include <linux/types.h>
#include <linux/kpmem.h>

#define KPMEM_PMDK_HDR_SIZE	4096

/* pool_hdr.h: features.incompat bits that change how the header is read */
#define KPMEM_PMDK_FEAT_CKSUM_2K	0x0002U	/* only the first 2 KiB are checksummed */

/**
 * struct kpmem_pmdk_hdr - PMDK's struct pool_hdr, as stored
 * @signature: pool type ("PMEMOBJ" ...); rpmem_pool_attr.signature
 * @major: format major version; .major
 * @compat: features.compat; .compat_features
 * @incompat: features.incompat; .incompat_features
 * @ro_compat: features.ro_compat; .ro_compat_features
 * @poolset_uuid: .poolset_uuid
 * @uuid: this part's uuid; .uuid
 * @prev_part_uuid: previous part of the replica: the one part itself
 * @next_part_uuid: next part of the replica: the one part itself
 * @prev_repl_uuid: previous replica; .prev_uuid
 * @next_repl_uuid: next replica; .next_uuid
 * @crtime: creation time, seconds since the epoch
 * @arch_flags: struct arch_flags (alignment descriptor, machine class,
 *	data encoding, machine); .user_flags, byte for byte
 * @unused: zero; the end of what a CKSUM_2K header checksums
 * @unused2: zero
 * @sds: struct shutdown_state; zero (see kpmem_pool_hdr_create())
 * @checksum: PMDK's Fletcher64-like checksum of the above
 */
struct kpmem_pmdk_hdr {
	char signature[8];
	__le32 major;
	__le32 compat;
	__le32 incompat;
	__le32 ro_compat;
	__u8 poolset_uuid[16];
	__u8 uuid[16];
	__u8 prev_part_uuid[16];
	__u8 next_part_uuid[16];
	__u8 prev_repl_uuid[16];
	__u8 next_repl_uuid[16];
	__le64 crtime;
	__u8 arch_flags[16];
	__u8 unused[1904];
	__u8 unused2[1976];
	__u8 sds[64];
	__le64 checksum;
};

/* kpmem 0.1's header: 120 bytes at offset 0, the rest of page 0 unused. */
#define KPMEM_OLD_POOL_HDR_MAGIC	0x014c504d454d504bULL	/* "KPMEMPL\1" */
struct kpmem_old_pool_hdr {
	__le64 magic;
	__le64 pool_size;
	struct kpmem_pool_attr attr;
};

/* What offset 0 of an export with headers holds. */
enum kpmem_pool_hdr_kind {
	KPMEM_POOL_HDR_NONE,	/* all zero: no pool */
	KPMEM_POOL_HDR_PMDK,	/* PMDK's pool header with a valid checksum */
	KPMEM_POOL_HDR_OLD,	/* kpmem 0.1's header */
	KPMEM_POOL_HDR_INVALID,	/* anything else */
};

u64 kpmem_pool_hdr_checksum(const struct kpmem_pmdk_hdr *hdr);
void kpmem_pool_hdr_set_attr(struct kpmem_pmdk_hdr *hdr, const struct kpmem_pool_attr *attr);
void kpmem_pool_hdr_create(struct kpmem_pmdk_hdr *hdr, const struct kpmem_pool_attr *attr,
			   u64 crtime);
enum kpmem_pool_hdr_kind kpmem_pool_hdr_parse(const struct kpmem_pmdk_hdr *hdr,
					      struct kpmem_pool_attr *attr);

#endif /* KPMEM_RPMEM_POOL_HDR_H */
