// SPDX-License-Identifier: GPL-2.0
/*
 * PMDK's pool header for an export's pool: built from the attributes
 * rpmem_create() and rpmem_set_attr() send, as rpmemd builds it, and read
 * back into the attributes rpmem_open() reports.  See rpmem_pool_hdr.h.
 *
 * Mapping (PMDK 1.12.1: rpmemd_db.c rpmemd_get_attr(), set.c
 * util_header_create(), util_replica_set_attr(), util_get_rpmem_attr()),
 * struct kpmem_pool_attr (= rpmem_pool_attr) -> struct pool_hdr:
 *
 *   signature, major, *_features -> signature, major, features
 *   poolset_uuid                 -> poolset_uuid
 *   uuid                         -> uuid, and prev_part_uuid and
 *                                   next_part_uuid (one part: itself)
 *   prev_uuid, next_uuid         -> prev_repl_uuid, next_repl_uuid
 *   user_flags                   -> arch_flags, byte for byte
 *
 * The reverse for rpmem_open().  Where rpmemd would fill in a field the
 * attributes leave zero (a new pool set or part uuid, the replica links to
 * itself, the target's own arch flags), kpmem stores the zeros: rpmem_open()
 * then reports exactly what rpmem_create() stored.  libpmemobj always sends
 * every one of them, so its replicas get rpmemd's header bytes.
 */
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/byteorder.h>

#include "rpmem_pool_hdr.h"

static_assert(sizeof(struct kpmem_pmdk_hdr) == KPMEM_PMDK_HDR_SIZE);
static_assert(offsetof(struct kpmem_pmdk_hdr, poolset_uuid) == 24);
static_assert(offsetof(struct kpmem_pmdk_hdr, crtime) == 120);
static_assert(offsetof(struct kpmem_pmdk_hdr, arch_flags) == 128);
static_assert(offsetof(struct kpmem_pmdk_hdr, unused2) == 2048);
static_assert(offsetof(struct kpmem_pmdk_hdr, sds) == 4024);
static_assert(offsetof(struct kpmem_pmdk_hdr, checksum) == 4088);
static_assert(sizeof(((struct kpmem_pool_attr *)0)->user_flags) ==
	      sizeof(((struct kpmem_pmdk_hdr *)0)->arch_flags));
static_assert(sizeof(struct kpmem_old_pool_hdr) == 120);

/**
 * kpmem_pool_hdr_checksum() - PMDK's checksum of a pool header
 * @hdr: the header
 *
 * PMDK's util_checksum(): a Fletcher64-like sum over the header as
 * little-endian 32-bit words, two 32-bit running sums, where the checksum
 * field and, with CKSUM_2K, everything from unused2 on count as zero.
 *
 * Return: the checksum, in CPU byte order.
 */
u64 kpmem_pool_hdr_checksum(const struct kpmem_pmdk_hdr *hdr)
{
	const __le32 *word = (const __le32 *)hdr;
	size_t end = le32_to_cpu(hdr->incompat) & KPMEM_PMDK_FEAT_CKSUM_2K ?
		     offsetof(struct kpmem_pmdk_hdr, unused2) :
		     offsetof(struct kpmem_pmdk_hdr, checksum);
	u32 lo = 0, hi = 0;
	size_t i;

	for (i = 0; i < KPMEM_PMDK_HDR_SIZE / sizeof(*word); i++) {
		if (i < end / sizeof(*word))
			lo += le32_to_cpu(word[i]);
		hi += lo;
	}
	return (u64)hi << 32 | lo;
}

/**
 * kpmem_pool_hdr_set_attr() - store the attributes in a header
 * @hdr: the header; crtime, sds and the unused bytes stay as they are
 * @attr: the attributes (integers in CPU byte order)
 *
 * What rpmemd's rpmem_set_attr() does to the one part's header
 * (util_replica_set_attr()), checksum included.
 */
void kpmem_pool_hdr_set_attr(struct kpmem_pmdk_hdr *hdr, const struct kpmem_pool_attr *attr)
{
	memcpy(hdr->signature, attr->signature, sizeof(hdr->signature));
	hdr->major = cpu_to_le32(attr->major);
	hdr->compat = cpu_to_le32(attr->compat_features);
	hdr->incompat = cpu_to_le32(attr->incompat_features);
	hdr->ro_compat = cpu_to_le32(attr->ro_compat_features);
	memcpy(hdr->poolset_uuid, attr->poolset_uuid, sizeof(hdr->poolset_uuid));
	memcpy(hdr->uuid, attr->uuid, sizeof(hdr->uuid));
	memcpy(hdr->prev_part_uuid, attr->uuid, sizeof(hdr->prev_part_uuid));
	memcpy(hdr->next_part_uuid, attr->uuid, sizeof(hdr->next_part_uuid));
	memcpy(hdr->prev_repl_uuid, attr->prev_uuid, sizeof(hdr->prev_repl_uuid));
	memcpy(hdr->next_repl_uuid, attr->next_uuid, sizeof(hdr->next_repl_uuid));
	memcpy(hdr->arch_flags, attr->user_flags, sizeof(hdr->arch_flags));
	hdr->checksum = cpu_to_le64(kpmem_pool_hdr_checksum(hdr));
}

/**
 * kpmem_pool_hdr_create() - a new pool's header
 * @hdr: filled in completely
 * @attr: the attributes rpmem_create() sent
 * @crtime: creation time, seconds since the epoch
 *
 * rpmemd's util_header_create() for its one part.  The shutdown state
 * stays zero: rpmemd records the target device's unsafe shutdown count
 * there when the pool has the SDS feature, but a zero state is what PMDK
 * itself leaves for parts it cannot read one for, and what a PMDK open of
 * the part on the target accepts and initializes (shutdown_state_check()).
 */
void kpmem_pool_hdr_create(struct kpmem_pmdk_hdr *hdr, const struct kpmem_pool_attr *attr,
			   u64 crtime)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->crtime = cpu_to_le64(crtime);
	kpmem_pool_hdr_set_attr(hdr, attr);
}

/**
 * kpmem_pool_hdr_parse() - what an export's first 4096 bytes hold
 * @hdr: the bytes
 * @attr: for KPMEM_POOL_HDR_PMDK and _OLD, the pool's attributes
 *
 * A PMDK header is valid as rpmemd opens a remote pool
 * (util_header_check_remote()): not all zero, and its checksum right.
 * Signature, version and features are the pool's owner's to check (for
 * libpmemobj on the initiator, for PMDK's tools on the target); an
 * attribute set of all zeros is a pool like any other.
 *
 * Return: the kind of header.
 */
enum kpmem_pool_hdr_kind kpmem_pool_hdr_parse(const struct kpmem_pmdk_hdr *hdr,
					      struct kpmem_pool_attr *attr)
{
	const struct kpmem_old_pool_hdr *old = (const void *)hdr;

	if (!memchr_inv(hdr, 0, sizeof(*hdr)))
		return KPMEM_POOL_HDR_NONE;
	if (le64_to_cpu(hdr->checksum) == kpmem_pool_hdr_checksum(hdr)) {
		memcpy(attr->signature, hdr->signature, sizeof(attr->signature));
		attr->major = le32_to_cpu(hdr->major);
		attr->compat_features = le32_to_cpu(hdr->compat);
		attr->incompat_features = le32_to_cpu(hdr->incompat);
		attr->ro_compat_features = le32_to_cpu(hdr->ro_compat);
		memcpy(attr->poolset_uuid, hdr->poolset_uuid, sizeof(attr->poolset_uuid));
		memcpy(attr->uuid, hdr->uuid, sizeof(attr->uuid));
		memcpy(attr->next_uuid, hdr->next_repl_uuid, sizeof(attr->next_uuid));
		memcpy(attr->prev_uuid, hdr->prev_repl_uuid, sizeof(attr->prev_uuid));
		memcpy(attr->user_flags, hdr->arch_flags, sizeof(attr->user_flags));
		return KPMEM_POOL_HDR_PMDK;
	}
	if (le64_to_cpu(old->magic) == KPMEM_OLD_POOL_HDR_MAGIC) {
		*attr = old->attr;
		return KPMEM_POOL_HDR_OLD;
	}
	return KPMEM_POOL_HDR_INVALID;
}
