// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/kpmem as a device: the version ioctl, and clean errors for ioctls it
 * does not know and for argument pointers it cannot use.  Runs in a guest
 * with kpmem.ko loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kpmem_device.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(KPMEM_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", KPMEM_DEVICE_PATH, strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, version_reports_abi_features_and_zero_reserved)
{
	struct kpmem_version_info info;

	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, ioctl(self->fd, KPMEM_IOC_GET_VERSION, &info));
	ASSERT_EQ((__u32)KPMEM_ABI_VERSION, info.abi_version);
	ASSERT_EQ(KPMEM_FEAT_VERSION, info.features & KPMEM_FEAT_VERSION);
	ASSERT_EQ(0ULL, info.features & ~KPMEM_FEAT_ALL);
	ASSERT_NE(0U, info.module_version);
	ASSERT_EQ(0U, info.reserved0);
	ASSERT_EQ(0U, info.reserved1);
	for (size_t i = 0; i < sizeof(info.reserved) / sizeof(info.reserved[0]); i++)
		ASSERT_EQ(0ULL, info.reserved[i]);
}

TEST_F(dev, library_open_accepts_loaded_module)
{
	struct kpmem_version_info info;
	char msg[KPMEM_MSG_MAX] = "";
	int fd;

	fd = kpmem_device_open(KPMEM_DEVICE_PATH, KPMEM_FEAT_ALL, &info, msg, sizeof(msg));
	ASSERT_LE(0, fd) TH_LOG("%s", msg);
	ASSERT_EQ((__u32)KPMEM_ABI_VERSION, info.abi_version);
	close(fd);
}

TEST_F(dev, unknown_ioctls_are_enotty)
{
	struct kpmem_version_info info;
	const unsigned long bad[] = {
		_IOR(KPMEM_IOC_MAGIC, 0x7f, struct kpmem_version_info),	/* unknown number */
		_IOR('x', 0x00, struct kpmem_version_info),		/* other driver's type */
		_IOR(KPMEM_IOC_MAGIC, 0x00, uint64_t),			/* wrong size */
		_IOW(KPMEM_IOC_MAGIC, 0x00, struct kpmem_version_info),	/* wrong direction */
		_IO(KPMEM_IOC_MAGIC, 0x00),				/* no argument */
		0, ~0UL,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, bad[i], &info)) TH_LOG("cmd 0x%lx", bad[i]);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd 0x%lx", bad[i]);
	}
}

TEST_F(dev, bad_argument_pointers_are_efault)
{
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *bad[] = {
		NULL, (void *)1, ro, none,
		(void *)(uintptr_t)0xffff888000000000ULL,	/* kernel direct map */
		(char *)ro + 4096 - 8,				/* straddles the end */
	};

	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, none);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, KPMEM_IOC_GET_VERSION, bad[i])) TH_LOG("arg %p", bad[i]);
		EXPECT_EQ(EFAULT, errno) TH_LOG("arg %p", bad[i]);
	}
	munmap(ro, 4096);
	munmap(none, 4096);
}

TEST(device_node_is_world_accessible_misc_char_device)
{
	struct stat st;

	ASSERT_EQ(0, stat(KPMEM_DEVICE_PATH, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(10U, major(st.st_rdev));	/* MISC_MAJOR */
	ASSERT_EQ(0666U, st.st_mode & 0777);
}

TEST(unprivileged_user_can_query_version)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kpmem_version_info info;
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = open(KPMEM_DEVICE_PATH, O_RDWR);
		if (fd < 0)
			_exit(11);
		if (ioctl(fd, KPMEM_IOC_GET_VERSION, &info) || info.abi_version != KPMEM_ABI_VERSION)
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST(read_only_open_can_query_version)
{
	struct kpmem_version_info info;
	int fd = open(KPMEM_DEVICE_PATH, O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, KPMEM_IOC_GET_VERSION, &info));
	close(fd);
}

TEST_HARNESS_MAIN
