// SPDX-License-Identifier: BSD-3-Clause
/*
 * Talking to kpmem.ko: opening the device, creating the set, and the three
 * part-map ioctls with their errno values turned into libpmemset codes.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libpmemset.h"
#include "error.h"
#include "kernel.h"
#include "kpmem_device.h"

int kset_open(int *dev_fd, int *set_fd)
{
	struct kpmem_set_create create;
	char msg[KPMEM_MSG_MAX] = "";
	int dfd, sfd, err;

	dfd = kpmem_device_open(KPMEM_DEVICE_PATH, KPMEM_FEAT_PART_MAPS, NULL, msg, sizeof(msg));
	if (dfd < 0)
		return pmemset_err(dfd, "%s", msg[0] ? msg : strerror(-dfd));

	memset(&create, 0, sizeof(create));
	sfd = ioctl(dfd, KPMEM_IOC_SET_CREATE, &create);
	if (sfd < 0) {
		err = errno;
		close(dfd);
		return pmemset_err(-err, "kpmem cannot create a set: %s", strerror(err));
	}
	*dev_fd = dfd;
	*set_fd = sfd;
	return 0;
}

int kset_part_add(int set_fd, struct kpmem_part_add *req)
{
	return ioctl(set_fd, KPMEM_SET_IOC_PART_ADD, req) ? -errno : 0;
}

int kset_part_add_err(int err, const struct kpmem_part_add *req, int eexist)
{
	unsigned long long off = req->offset, len = req->length, addr = req->addr;

	switch (-err) {
	case EBADF:
		return pmemset_err(PMEMSET_E_INVALID_SOURCE_TYPE, "the source's file descriptor is not open");
	case ENODEV:
		return pmemset_err(PMEMSET_E_INVALID_SOURCE_TYPE,
				   "the source is neither a device DAX nor a regular file");
	case EACCES:
		/* PMDK: every failure to create the mapping is INVALID_PMEM2_MAP */
		return pmemset_err(PMEMSET_E_INVALID_PMEM2_MAP,
				   "cannot map the part: the source's file is not open for reading and writing");
	case EINVAL:
		return pmemset_err(PMEMSET_E_INVALID_OFFSET_VALUE,
				   "kpmem refused offset 0x%llx length 0x%llx at 0x%llx: not aligned to the source's alignment, or a bad placement",
				   off, len, addr);
	case EOVERFLOW:
		return pmemset_err(PMEMSET_E_OFFSET_OUT_OF_RANGE,
				   "offset 0x%llx + length 0x%llx overflows", off, len);
	case ERANGE:
		return pmemset_err(PMEMSET_E_SOURCE_FILE_IS_TOO_SMALL,
				   "offset 0x%llx + length 0x%llx is past the end of the source and it may not grow",
				   off, len);
	case EFBIG:
	case ENOSPC:
		return pmemset_err(PMEMSET_E_CANNOT_GROW_SOURCE_FILE,
				   "cannot grow the source file to 0x%llx bytes: %s", off + len, strerror(-err));
	case EEXIST:
		return pmemset_err(eexist, "the address range 0x%llx-0x%llx is not free",
				   addr, addr + len);
	case ENOENT:
		return pmemset_err(PMEMSET_E_CANNOT_COALESCE_PARTS,
				   "the part map to extend (id %llu) no longer exists",
				   (unsigned long long)req->pmap_id);
	case ENOMEM:
		return pmemset_err(err, "kpmem is out of memory for the part");
	case EMFILE:
		return pmemset_err(err, "the set holds as many parts as kpmem allows (max_parts_per_set)");
	case EPERM:
		return pmemset_err(err, "the set belongs to another process (used after fork?)");
	default:
		return pmemset_err(PMEMSET_E_INVALID_PMEM2_MAP, "kpmem cannot map the part: %s",
				   strerror(-err));
	}
}

int kset_part_remove(int set_fd, uint64_t addr, uint64_t len)
{
	struct kpmem_part_remove req;

	memset(&req, 0, sizeof(req));
	req.addr = addr;
	req.length = len;
	return ioctl(set_fd, KPMEM_SET_IOC_PART_REMOVE, &req) ? -errno : 0;
}

int kset_lookup(int set_fd, uint64_t addr, uint32_t flags, struct kpmem_pmap_info *info)
{
	memset(info, 0, sizeof(*info));
	info->addr = addr;
	info->flags = flags;
	return ioctl(set_fd, KPMEM_SET_IOC_PMAP_LOOKUP, info) ? -errno : 0;
}

int kset_lookup_id(int set_fd, uint64_t id, struct kpmem_pmap_info *info)
{
	uint64_t at = 0;
	int ret;

	for (;;) {
		ret = kset_lookup(set_fd, at, KPMEM_LOOKUP_NEXT, info);
		if (ret)
			return ret;
		if (info->pmap_id == id)
			return 0;
		if (info->addr + info->length <= at)
			return -ENOENT;	/* a kernel going backwards: do not loop */
		at = info->addr + info->length;
	}
}
