// SPDX-License-Identifier: BSD-3-Clause
/*
 * Opening /dev/kpmem and agreeing with the module on ABI and features.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kpmem_device.h"

static const struct {
	uint64_t bit;
	const char *name;
} kpmem_features[] = {
	{ KPMEM_FEAT_VERSION, "version" },
	{ KPMEM_FEAT_PART_MAPS, "part_maps" },
	{ KPMEM_FEAT_RPMEM_TARGET, "rpmem_target" },
	{ KPMEM_FEAT_RPMEM_INITIATOR, "rpmem_initiator" },
	{ KPMEM_FEAT_URING_CMD, "uring_cmd" },
};

const char *kpmem_feature_name(uint64_t feature)
{
	for (size_t i = 0; i < sizeof(kpmem_features) / sizeof(kpmem_features[0]); i++)
		if (kpmem_features[i].bit == feature)
			return kpmem_features[i].name;
	return "unknown";
}

static int fail(int err, char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(int err, char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	if (msg && msglen) {
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return -err;
}

int kpmem_version_check(const struct kpmem_version_info *info,
			uint64_t required, char *msg, size_t msglen)
{
	uint64_t missing;

	if (info->abi_version != KPMEM_ABI_VERSION)
		return fail(EPROTO, msg, msglen,
			    "kpmem module speaks ABI version %u, this library ABI version %u: load a matching kpmem.ko",
			    info->abi_version, KPMEM_ABI_VERSION);

	missing = required & ~info->features;
	if (missing) {
		uint64_t first = missing & -missing;

		return fail(EOPNOTSUPP, msg, msglen,
			    "kpmem module lacks feature '%s' (missing feature bits 0x%llx): load a newer kpmem.ko",
			    kpmem_feature_name(first), (unsigned long long)missing);
	}
	return 0;
}

int kpmem_device_open(const char *path, uint64_t required,
		      struct kpmem_version_info *info, char *msg, size_t msglen)
{
	struct kpmem_version_info local;
	int fd, err;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT)
			return fail(err, msg, msglen, "%s does not exist: is kpmem.ko loaded?", path);
		return fail(err, msg, msglen, "cannot open %s: %s", path, strerror(err));
	}

	memset(&local, 0, sizeof(local));
	if (ioctl(fd, KPMEM_IOC_GET_VERSION, &local) < 0) {
		err = errno;
		close(fd);
		if (err == ENOTTY || err == EINVAL)
			return fail(ENOTTY, msg, msglen, "%s is not a kpmem device", path);
		return fail(err, msg, msglen, "cannot query %s: %s", path, strerror(err));
	}

	err = kpmem_version_check(&local, required, msg, msglen);
	if (err) {
		close(fd);
		return err;
	}
	if (info)
		*info = local;
	return fd;
}
