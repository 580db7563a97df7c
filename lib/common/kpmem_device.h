/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Opening /dev/kpmem and agreeing with the module on ABI and features:
 * shared by every kpmem library and tool.
 */
#ifndef KPMEM_DEVICE_H
#define KPMEM_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include <linux/kpmem.h>

/* Long enough for every message this file writes. */
#define KPMEM_MSG_MAX 256

/**
 * kpmem_version_check() - can a library needing @required use this module?
 * @info: what KPMEM_IOC_GET_VERSION reported
 * @required: KPMEM_FEAT_* bits the caller cannot work without
 * @msg: receives the reason on failure (may be NULL)
 * @msglen: size of @msg
 *
 * Return: 0, -EPROTO on an ABI version mismatch, -EOPNOTSUPP when a
 * required feature is missing.
 */
int kpmem_version_check(const struct kpmem_version_info *info,
			uint64_t required, char *msg, size_t msglen);

/**
 * kpmem_device_open() - open @path (normally KPMEM_DEVICE_PATH) and check it
 * @path: the kpmem device node
 * @required: KPMEM_FEAT_* bits the caller needs
 * @info: receives the module's version information (may be NULL)
 * @msg: receives the reason on failure (may be NULL)
 * @msglen: size of @msg
 *
 * Return: an O_CLOEXEC file descriptor, or a negative errno: -ENOENT when
 * the module is not loaded, -EACCES, -ENOTTY when the node is not kpmem,
 * -EPROTO or -EOPNOTSUPP from kpmem_version_check().
 */
int kpmem_device_open(const char *path, uint64_t required,
		      struct kpmem_version_info *info, char *msg, size_t msglen);

/** kpmem_feature_name() - short name of one KPMEM_FEAT_* bit, or "unknown" */
const char *kpmem_feature_name(uint64_t feature);

#endif /* KPMEM_DEVICE_H */
