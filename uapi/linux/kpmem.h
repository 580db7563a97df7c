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

#define KPMEM_FEAT_ALL		(KPMEM_FEAT_VERSION)

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

#endif /* _UAPI_LINUX_KPMEM_H */
