// SPDX-License-Identifier: GPL-2.0
/*
 * What a user without privileges may do with /dev/kpmem: open it, make
 * sets and map files it opened read-write; not administer exports, not map
 * a file opened read-only, not use a set fd another process made.  Each
 * test drops to uid/gid 65534 (nobody) after the root parts of its setup;
 * the harness runs it as root in a guest with kpmem.ko loaded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kpmem_device.h"

#define NOBODY 65534
#define SIZE (1UL << 20)

/* Effective capabilities of this process, from /proc. */
static unsigned long long cap_eff(void)
{
	unsigned long long caps = ~0ULL;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return caps;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps;
}

static int drop_privileges(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -1;
	return cap_eff() ? -1 : 0;
}

FIXTURE(user) {
	char dir[64];
	char user_file[128];	/* nobody's, 0600 */
	char root_file[128];	/* root's, 0644: nobody may only read it */
	int dev;
};

FIXTURE_SETUP(user)
{
	int fd;

	self->dev = -1;
	if (geteuid())
		SKIP(return, "needs root to set up and then drop to uid %d", NOBODY);
	if (access(KPMEM_DEVICE_PATH, F_OK))
		SKIP(return, "no %s: kpmem.ko is not loaded", KPMEM_DEVICE_PATH);
	snprintf(self->dir, sizeof(self->dir), "/tmp/kpmem-user.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	/* Nobody's directory, so that its teardown can remove root's file too. */
	ASSERT_EQ(0, chmod(self->dir, 0755));
	ASSERT_EQ(0, chown(self->dir, NOBODY, NOBODY));
	snprintf(self->user_file, sizeof(self->user_file), "%s/user", self->dir);
	snprintf(self->root_file, sizeof(self->root_file), "%s/root", self->dir);
	fd = open(self->user_file, O_RDWR | O_CREAT | O_EXCL, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, SIZE));
	ASSERT_EQ(0, fchown(fd, NOBODY, NOBODY));
	close(fd);
	fd = open(self->root_file, O_RDWR | O_CREAT | O_EXCL, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, SIZE));
	close(fd);

	/* Nothing of kpmem's is open yet: everything below is the user's. */
	ASSERT_EQ(0, drop_privileges()) TH_LOG("cannot become uid %d without capabilities",
					       NOBODY);
	self->dev = open(KPMEM_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev) TH_LOG("unprivileged open: %s", strerror(errno));
}

FIXTURE_TEARDOWN(user)
{
	char cmd[128];

	if (self->dev >= 0)
		close(self->dev);
	/* The teardown runs in the (unprivileged) test process: files are ours or /tmp's. */
	unlink(self->user_file);
	snprintf(cmd, sizeof(cmd), "rm -rf %s 2>/dev/null", self->dir);
	if (self->dir[0] && system(cmd))
		TH_LOG("%s stays behind", self->dir);
}

static int set_create(int dev)
{
	struct kpmem_set_create c = { 0 };

	return ioctl(dev, KPMEM_IOC_SET_CREATE, &c);
}

static int part_add(int set, int fd, struct kpmem_part_add *p)
{
	memset(p, 0, sizeof(*p));
	p->source_fd = fd;
	p->length = SIZE;
	return ioctl(set, KPMEM_SET_IOC_PART_ADD, p) ? -errno : 0;
}

TEST_F(user, device_opens_and_reports_its_version)
{
	struct kpmem_version_info info = { 0 };

	ASSERT_EQ(0, ioctl(self->dev, KPMEM_IOC_GET_VERSION, &info));
	ASSERT_EQ((__u32)KPMEM_ABI_VERSION, info.abi_version);
}

TEST_F(user, export_administration_fails_with_eperm)
{
	struct kpmem_export_add *add = calloc(1, sizeof(*add));
	struct kpmem_export_remove rm = { 0 };
	struct kpmem_export_info info;
	struct kpmem_export_list list = { .entries = (uintptr_t)&info, .capacity = 1 };
	int fd = open(self->user_file, O_RDWR | O_CLOEXEC);

	ASSERT_NE(NULL, add);
	ASSERT_LE(0, fd);
	/* Well-formed requests on storage the user owns: refused all the same. */
	snprintf(add->name, sizeof(add->name), "user-export");
	add->backing_fd = fd;
	add->size = SIZE;
	EXPECT_EQ(-1, ioctl(self->dev, KPMEM_IOC_EXPORT_ADD, add));
	EXPECT_EQ(EPERM, errno);
	snprintf(rm.name, sizeof(rm.name), "user-export");
	EXPECT_EQ(-1, ioctl(self->dev, KPMEM_IOC_EXPORT_REMOVE, &rm));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(self->dev, KPMEM_IOC_EXPORT_LIST, &list));
	EXPECT_EQ(EPERM, errno);
	/* Even a malformed request: the permission check comes first. */
	EXPECT_EQ(-1, ioctl(self->dev, KPMEM_IOC_EXPORT_ADD, NULL));
	EXPECT_EQ(EPERM, errno);
	close(fd);
	free(add);
}

TEST_F(user, module_parameters_are_not_writable)
{
	EXPECT_EQ(-1, open("/sys/module/kpmem/parameters/max_parts_per_set", O_WRONLY));
	EXPECT_EQ(EACCES, errno);
}

TEST_F(user, set_maps_a_file_the_user_opened_read_write)
{
	struct kpmem_part_add p;
	struct kpmem_pmap_info info = { 0 };
	int set = set_create(self->dev);
	int fd = open(self->user_file, O_RDWR | O_CLOEXEC);
	volatile uint8_t *mem;

	ASSERT_LE(0, set) TH_LOG("unprivileged set create: %s", strerror(errno));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, part_add(set, fd, &p));
	ASSERT_EQ((__u32)KPMEM_SOURCE_FILE, p.source_kind);
	mem = (volatile uint8_t *)(uintptr_t)p.addr;
	mem[0] = 0x42;
	mem[SIZE - 1] = 0x24;
	ASSERT_EQ(0x42, mem[0]);
	info.addr = p.addr;
	ASSERT_EQ(0, ioctl(set, KPMEM_SET_IOC_PMAP_LOOKUP, &info));
	ASSERT_EQ(p.pmap_id, info.pmap_id);
	close(fd);
	close(set);
}

TEST_F(user, map_of_a_file_opened_read_only_fails_with_eacces)
{
	struct kpmem_part_add p;
	int set = set_create(self->dev);
	int ro_own = open(self->user_file, O_RDONLY | O_CLOEXEC);
	int ro_root = open(self->root_file, O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, set);
	ASSERT_LE(0, ro_own);
	ASSERT_LE(0, ro_root);
	/* The user cannot get root's file read-write in the first place. */
	EXPECT_EQ(-1, open(self->root_file, O_RDWR));
	EXPECT_EQ(-EACCES, part_add(set, ro_root, &p));
	/* Its own file too: what counts is how the fd was opened. */
	EXPECT_EQ(-EACCES, part_add(set, ro_own, &p));
	close(ro_own);
	close(ro_root);
	close(set);
}

TEST_F(user, pool_connect_is_not_an_admin_operation)
{
	struct kpmem_pool_connect c = { .op = KPMEM_POOL_CREATE, .flags = KPMEM_POOL_HAS_ATTR,
					.nlanes = 1, .timeout_ms = 2000, .pool_size = SIZE };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(1) };
	const char *peer = getenv("KPMEM_VM_PEER_ADDR");
	void *pool;

	if (!peer)
		SKIP(return, "no KPMEM_VM_PEER_ADDR: not in a harness guest");
	pool = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pool);
	/* A port nobody listens on: the user gets as far as the network. */
	ASSERT_EQ(1, inet_pton(AF_INET, peer, &sin.sin_addr));
	c.target.family = AF_INET;
	c.target.len = sizeof(sin);
	memcpy(c.target.addr, &sin, sizeof(sin));
	snprintf(c.name, sizeof(c.name), "user-pool");
	c.pool_addr = (uintptr_t)pool;
	EXPECT_EQ(-1, ioctl(self->dev, KPMEM_IOC_POOL_CONNECT, &c));
	EXPECT_EQ(ECONNREFUSED, errno) TH_LOG("connect: %s", strerror(errno));
	munmap(pool, SIZE);
}

/* Lookup on @set from a child process; its errno, or 0. */
static int child_lookup(int set)
{
	struct kpmem_pmap_info info = { .flags = KPMEM_LOOKUP_NEXT };

	return ioctl(set, KPMEM_SET_IOC_PMAP_LOOKUP, &info) ? errno : 0;
}

TEST_F(user, set_fd_in_another_process_is_refused)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct msghdr msg = { .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	char byte = 'x';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct cmsghdr *cmsg;
	struct kpmem_part_add p;
	int sv[2], status, set, fd;
	pid_t pid;

	set = set_create(self->dev);
	fd = open(self->user_file, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, set);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, part_add(set, fd, &p));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));

	/* A fork child, which also receives the set fd over a socket. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct msghdr rmsg = { .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct iovec riov = { .iov_base = &byte, .iov_len = 1 };
		int got;

		close(sv[0]);
		/* A fork child shares no address space with the owner either. */
		if (child_lookup(set) != EPERM)
			_exit(10);
		rmsg.msg_iov = &riov;
		rmsg.msg_iovlen = 1;
		if (recvmsg(sv[1], &rmsg, 0) != 1)
			_exit(11);
		cmsg = CMSG_FIRSTHDR(&rmsg);
		if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
			_exit(12);
		memcpy(&got, CMSG_DATA(cmsg), sizeof(got));
		if (child_lookup(got) != EPERM)
			_exit(13);
		/* Adding and removing are refused too, and nothing is mapped. */
		if (part_add(got, fd, &p) != -EPERM)
			_exit(14);
		_exit(0);
	}
	close(sv[1]);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &set, sizeof(set));
	ASSERT_EQ(1, sendmsg(sv[0], &msg, 0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("10: fork child, 11-12: no fd received, "
						 "13: lookup, 14: add not refused");
	/* The owner still has its set. */
	EXPECT_EQ(0, child_lookup(set));
	close(sv[0]);
	close(fd);
	close(set);
}

TEST_HARNESS_MAIN
