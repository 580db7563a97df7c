/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kpmem part-map ioctls, one wrapper each.  The kernel owns the
 * mappings and the part-map index; these calls are the library's only way
 * to change or query them.
 */
#ifndef PMEMSET_KERNEL_H
#define PMEMSET_KERNEL_H

#include <stdint.h>

#include <linux/kpmem.h>

/**
 * kset_open() - open /dev/kpmem (KPMEM_FEAT_PART_MAPS required), create a set
 * @dev_fd: receives the device fd
 * @set_fd: receives the set fd
 *
 * Return: 0, or a negative errno with the message set.
 */
int kset_open(int *dev_fd, int *set_fd);

/* KPMEM_SET_IOC_PART_ADD; Return: 0 or -errno (no message: callers explain). */
int kset_part_add(int set_fd, struct kpmem_part_add *req);

/**
 * kset_part_add_err() - explain a failed part add
 * @err: the negative errno kset_part_add() returned
 * @req: the request
 * @eexist: the libpmemset code EEXIST means in the caller's context
 *
 * Return: the libpmemset code, with the message set.
 */
int kset_part_add_err(int err, const struct kpmem_part_add *req, int eexist);

/* KPMEM_SET_IOC_PART_REMOVE of [addr, addr + len); Return: 0 or -errno. */
int kset_part_remove(int set_fd, uint64_t addr, uint64_t len);

/*
 * KPMEM_SET_IOC_PMAP_LOOKUP: the part map holding @addr, or with
 * KPMEM_LOOKUP_NEXT the first one ending after @addr.  Return: 0, -ENOENT
 * when there is none, or another -errno.
 */
int kset_lookup(int set_fd, uint64_t addr, uint32_t flags, struct kpmem_pmap_info *info);

/* The part map with id @id (by walking the index), 0 or -ENOENT. */
int kset_lookup_id(int set_fd, uint64_t id, struct kpmem_pmap_info *info);

#endif /* PMEMSET_KERNEL_H */
