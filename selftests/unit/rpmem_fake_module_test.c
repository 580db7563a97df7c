// SPDX-License-Identifier: GPL-2.0
/*
 * librpmem against a stand-in for kpmem.ko, on the host: this program
 * defines open() and ioctl(), which the library's calls resolve to, and
 * answers /dev/kpmem and pool-fd ioctls itself.  That proves what the
 * library hands the module (connect request, data-path commands, flags),
 * what it does with the answers (lanes, header, attributes, errors), and
 * which misuse it stops without a syscall.  The real module is tested in
 * guests; this is the library's half of the contract.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kpmem.h>

#include "kselftest_harness.h"
#include "librpmem.h"
#include "librpmem_kpmem.h"

/* The stand-in module's behaviour and what it saw.  Each test is a fresh process. */
static struct {
	uint64_t features;
	int connect_err;		/* connect fails with this */
	int grant_override;		/* >= 0: grant this many lanes */
	unsigned max_lanes;		/* otherwise min(asked, this) */
	unsigned hdr_size;
	struct kpmem_pool_attr stored_attr;
	int io_err;			/* data-path ioctls fail with this */
	int io_err_once;
	int eintr_left;			/* fail this many with EINTR first */

	int dev_fd, pool_fd;
	unsigned connects, pool_ioctls;
	struct kpmem_pool_connect conn;
	unsigned long last_req;
	struct kpmem_pool_io last_io;
	struct kpmem_pool_set_attr last_set_attr;
} fake = {
	.features = KPMEM_FEAT_VERSION | KPMEM_FEAT_RPMEM_INITIATOR,
	.grant_override = -1,
	.max_lanes = 3,
	.hdr_size = KPMEM_POOL_HDR_SIZE,
	.dev_fd = -1,
	.pool_fd = -1,
};

static int real_open(const char *path, int flags, mode_t mode)
{
	static int (*fn)(const char *, int, ...);

	if (!fn)
		fn = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	return fn(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (strcmp(path, KPMEM_DEVICE_PATH) == 0) {
		fake.dev_fd = real_open("/dev/null", O_RDWR | O_CLOEXEC, 0);
		return fake.dev_fd;
	}
	return real_open(path, flags, mode);
}

static int fake_connect(struct kpmem_pool_connect *c)
{
	fake.connects++;
	fake.conn = *c;
	if (fake.connect_err) {
		errno = fake.connect_err;
		return -1;
	}
	if (c->op == KPMEM_POOL_REMOVE)
		return 0;
	c->nlanes = fake.grant_override >= 0 ? (unsigned)fake.grant_override :
		    c->nlanes < fake.max_lanes ? c->nlanes : fake.max_lanes;
	c->hdr_size = fake.hdr_size;
	if (c->op == KPMEM_POOL_OPEN)
		c->attr = fake.stored_attr;
	fake.pool_fd = real_open("/dev/null", O_RDWR | O_CLOEXEC, 0);
	return fake.pool_fd;
}

static int fake_pool_ioctl(unsigned long req, void *arg)
{
	fake.pool_ioctls++;
	fake.last_req = req;
	if (fake.eintr_left > 0) {
		fake.eintr_left--;
		errno = EINTR;
		return -1;
	}
	if (fake.io_err) {
		errno = fake.io_err;
		if (fake.io_err_once)
			fake.io_err = 0;
		return -1;
	}
	if (req == KPMEM_POOL_IOC_SET_ATTR) {
		fake.last_set_attr = *(struct kpmem_pool_set_attr *)arg;
		return 0;
	}
	fake.last_io = *(struct kpmem_pool_io *)arg;
	if (req == KPMEM_POOL_IOC_READ)
		memset((void *)(uintptr_t)fake.last_io.buf, 0xab, fake.last_io.length);
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (fd >= 0 && fd == fake.dev_fd) {
		if (req == KPMEM_IOC_GET_VERSION) {
			struct kpmem_version_info *vi = arg;

			memset(vi, 0, sizeof(*vi));
			vi->abi_version = KPMEM_ABI_VERSION;
			vi->features = fake.features;
			return 0;
		}
		if (req == KPMEM_IOC_POOL_CONNECT)
			return fake_connect(arg);
		errno = ENOTTY;
		return -1;
	}
	if (fd >= 0 && fd == fake.pool_fd)
		return fake_pool_ioctl(req, arg);
	if (!real)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real(fd, req, arg);
}

#define ASSERT_FAILED(err, what) do {						\
	ASSERT_EQ(err, errno) TH_LOG("errno %d (%s), message: %s", errno,	\
				     strerror(errno), rpmem_errormsg());	\
	ASSERT_NE(NULL, strstr(rpmem_errormsg(), what))				\
		TH_LOG("message: %s", rpmem_errormsg());			\
} while (0)

/* A pool over POOL_PAGES pages, created through the stand-in. */
#define POOL_SIZE ((size_t)16 * 4096)

FIXTURE(pool) {
	void *addr;
	unsigned nlanes;
	struct rpmem_pool_attr attr;
	RPMEMpool *rpp;
};

FIXTURE_SETUP(pool)
{
	self->addr = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->addr);
	memset(&self->attr, 0, sizeof(self->attr));
	memcpy(self->attr.signature, "PMEMOBJ", 8);
	self->attr.major = 6;
	self->attr.user_flags[15] = 0x5a;
	self->nlanes = 1024;
	self->rpp = NULL;
}

FIXTURE_TEARDOWN(pool)
{
	if (self->rpp)
		rpmem_close(self->rpp);
	munmap(self->addr, POOL_SIZE);
}

static RPMEMpool *create_pool(FIXTURE_DATA(pool) *self)
{
	self->rpp = rpmem_create("127.0.0.1", "remote.set", self->addr, POOL_SIZE,
				 &self->nlanes, &self->attr);
	return self->rpp;
}

TEST_F(pool, create_hands_the_module_everything)
{
	struct sockaddr_in sin;

	ASSERT_NE(NULL, create_pool(self)) TH_LOG("%s", rpmem_errormsg());
	ASSERT_EQ(1U, fake.connects);
	ASSERT_EQ((unsigned)KPMEM_POOL_CREATE, fake.conn.op);
	ASSERT_EQ(KPMEM_POOL_HAS_ATTR, fake.conn.flags);
	ASSERT_STREQ("remote.set", fake.conn.name);
	ASSERT_EQ((uintptr_t)self->addr, fake.conn.pool_addr);
	ASSERT_EQ(POOL_SIZE, fake.conn.pool_size);
	ASSERT_EQ(1024U, fake.conn.nlanes);
	ASSERT_EQ(0U, fake.conn.timeout_ms);
	ASSERT_EQ(0, memcmp(&fake.conn.attr, &self->attr, sizeof(self->attr)));
	/* No KPMEM_RPMEM_KEY_FILE: no key. */
	ASSERT_EQ(0U, fake.conn.key_len);
	ASSERT_EQ(AF_INET, fake.conn.target.family);
	memcpy(&sin, fake.conn.target.addr, sizeof(sin));
	ASSERT_EQ(htons(KPMEM_DEFAULT_PORT), sin.sin_port);
	ASSERT_EQ(htonl(INADDR_LOOPBACK), sin.sin_addr.s_addr);
	for (size_t i = 0; i < sizeof(fake.conn.key); i++) {
		ASSERT_EQ(0, fake.conn.key[i]);
	}

	/* Lanes granted come back; the device fd is not kept open. */
	ASSERT_EQ(3U, self->nlanes);
	ASSERT_EQ(fake.pool_fd, rpmem_pool_fd(self->rpp));
	ASSERT_EQ(-1, fcntl(fake.dev_fd, F_GETFD));
	ASSERT_EQ(0, rpmem_close(self->rpp));
	self->rpp = NULL;
	/* Closing the handle closes the pool fd. */
	ASSERT_EQ(-1, fcntl(fake.pool_fd, F_GETFD));
}

TEST_F(pool, create_without_attributes_asks_for_no_header)
{
	struct rpmem_pool_attr zero;

	memset(&zero, 0, sizeof(zero));
	self->rpp = rpmem_create("127.0.0.1", "p", self->addr, POOL_SIZE, &self->nlanes, NULL);
	ASSERT_NE(NULL, self->rpp);
	ASSERT_EQ(0U, fake.conn.flags);
	rpmem_close(self->rpp);
	self->rpp = rpmem_create("127.0.0.1", "p", self->addr, POOL_SIZE, &self->nlanes, &zero);
	ASSERT_NE(NULL, self->rpp);
	ASSERT_EQ(0U, fake.conn.flags);
	ASSERT_EQ(0, memcmp(&fake.conn.attr, &zero, sizeof(zero)));
}

TEST_F(pool, open_returns_the_stored_attributes)
{
	struct rpmem_pool_attr got;

	memcpy(&fake.stored_attr, &self->attr, sizeof(self->attr));
	memset(&got, 0xee, sizeof(got));
	self->rpp = rpmem_open("[::1]:7001", "remote.set", self->addr, POOL_SIZE,
			       &self->nlanes, &got);
	ASSERT_NE(NULL, self->rpp) TH_LOG("%s", rpmem_errormsg());
	ASSERT_EQ((unsigned)KPMEM_POOL_OPEN, fake.conn.op);
	ASSERT_EQ(0U, fake.conn.flags);
	ASSERT_EQ(AF_INET6, fake.conn.target.family);
	ASSERT_EQ(0, memcmp(&got, &self->attr, sizeof(got)));
	rpmem_close(self->rpp);

	/* open_attr may be NULL. */
	self->rpp = rpmem_open("::1", "remote.set", self->addr, POOL_SIZE, &self->nlanes, NULL);
	ASSERT_NE(NULL, self->rpp);
}

TEST_F(pool, module_refusal_keeps_its_errno_and_explains)
{
	static const struct { int err; const char *says; } cases[] = {
		{ EEXIST, "already holds a pool" },
		{ ENOENT, "the export holds no pool" },
		{ EACCES, "no export by that name, or does not allow this initiator" },
		{ EPROTONOSUPPORT, "another kpmem protocol version" },
		{ EMFILE, "max_pools_per_process" },
		{ EBUSY, "in use by another initiator" },
		{ EFBIG, "smaller than pool_size" },
		{ ECONNREFUSED, "no kpmem target listens" },
		{ ENOMEM, "annot allocate memory" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake.connect_err = cases[i].err;
		errno = 0;
		ASSERT_EQ(NULL, create_pool(self));
		ASSERT_FAILED(cases[i].err, cases[i].says);
		ASSERT_NE(NULL, strstr(rpmem_errormsg(), "export 'remote.set'"));
		ASSERT_EQ(1024U, self->nlanes);
		ASSERT_EQ(-1, fcntl(fake.dev_fd, F_GETFD));
	}
}

TEST_F(pool, module_without_initiator_is_eopnotsupp)
{
	fake.features = KPMEM_FEAT_VERSION;
	errno = 0;
	ASSERT_EQ(NULL, create_pool(self));
	ASSERT_FAILED(EOPNOTSUPP, "rpmem_create: kpmem module lacks feature");
	ASSERT_EQ(0U, fake.connects);
}

TEST_F(pool, impossible_grant_is_eproto_and_closes_the_pool)
{
	static const int grants[] = { 0, 2000 };

	for (size_t i = 0; i < 2; i++) {
		fake.grant_override = grants[i];
		errno = 0;
		ASSERT_EQ(NULL, create_pool(self));
		ASSERT_FAILED(EPROTO, "granted");
		ASSERT_EQ(-1, fcntl(fake.pool_fd, F_GETFD));
		ASSERT_EQ(1024U, self->nlanes);
	}
	fake.grant_override = -1;
	fake.hdr_size = 512;
	ASSERT_EQ(NULL, create_pool(self));
	ASSERT_FAILED(EPROTO, "512-byte header");
}

TEST_F(pool, data_path_commands_and_flags)
{
	char buf[64];

	/* Flushes through io_uring need the real module (tests in guests). */
	setenv("KPMEM_RPMEM_FLUSH_RING", "0", 1);
	ASSERT_NE(NULL, create_pool(self));
	unsetenv("KPMEM_RPMEM_FLUSH_RING");
	ASSERT_EQ(0, rpmem_persist(self->rpp, 4096, 100, 2, 0));
	ASSERT_EQ(KPMEM_POOL_IOC_PERSIST, fake.last_req);
	ASSERT_EQ(4096ULL, fake.last_io.offset);
	ASSERT_EQ(100ULL, fake.last_io.length);
	ASSERT_EQ(2U, fake.last_io.lane);
	ASSERT_EQ(0U, fake.last_io.flags);

	ASSERT_EQ(0, rpmem_persist(self->rpp, 8192, 1, 0, RPMEM_PERSIST_RELAXED));
	ASSERT_EQ(KPMEM_IO_RELAXED, fake.last_io.flags);

	ASSERT_EQ(0, rpmem_deep_persist(self->rpp, 4096, 8, 1));
	ASSERT_EQ(KPMEM_POOL_IOC_PERSIST, fake.last_req);
	ASSERT_EQ(KPMEM_IO_DEEP, fake.last_io.flags);

	ASSERT_EQ(0, rpmem_flush(self->rpp, 4096, 8, 1, 0));
	ASSERT_EQ(KPMEM_POOL_IOC_FLUSH, fake.last_req);
	ASSERT_EQ(0U, fake.last_io.flags);
	ASSERT_EQ(0, rpmem_flush(self->rpp, 4096, 8, 1, RPMEM_FLUSH_RELAXED));
	ASSERT_EQ(KPMEM_IO_RELAXED, fake.last_io.flags);

	ASSERT_EQ(0, rpmem_drain(self->rpp, 1, 0));
	ASSERT_EQ(KPMEM_POOL_IOC_DRAIN, fake.last_req);
	ASSERT_EQ(0ULL, fake.last_io.offset);
	ASSERT_EQ(0ULL, fake.last_io.length);
	ASSERT_EQ(0ULL, fake.last_io.buf);
	ASSERT_EQ(1U, fake.last_io.lane);

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, rpmem_read(self->rpp, buf, 4096, sizeof(buf), 2));
	ASSERT_EQ(KPMEM_POOL_IOC_READ, fake.last_req);
	ASSERT_EQ((uintptr_t)buf, fake.last_io.buf);
	ASSERT_EQ((unsigned char)0xab, (unsigned char)buf[63]);
	/* The header can be read, as in PMDK. */
	ASSERT_EQ(0, rpmem_read(self->rpp, buf, 0, sizeof(buf), 0));
	ASSERT_EQ(0ULL, fake.last_io.offset);
	/* The whole pool after the header. */
	ASSERT_EQ(0, rpmem_persist(self->rpp, 4096, POOL_SIZE - 4096, 0, 0));
}

TEST_F(pool, misuse_is_einval_without_a_syscall)
{
	char buf[8];
	unsigned before;

	ASSERT_NE(NULL, create_pool(self));
	before = fake.pool_ioctls;

#define EINVAL_CALL(call, what) do { errno = 0; ASSERT_EQ(-1, call); ASSERT_FAILED(EINVAL, what); } while (0)
	EINVAL_CALL(rpmem_persist(self->rpp, 4096, 8, 0, 2), "invalid flags 0x2");
	EINVAL_CALL(rpmem_persist(self->rpp, 0, 8, 0, 0), "inside the 4096-byte pool header");
	EINVAL_CALL(rpmem_persist(self->rpp, 4095, 8, 0, RPMEM_PERSIST_RELAXED), "pool header");
	EINVAL_CALL(rpmem_flush(self->rpp, 100, 8, 0, 0), "pool header");
	EINVAL_CALL(rpmem_flush(self->rpp, 4096, 8, 0, 0x80), "invalid flags");
	EINVAL_CALL(rpmem_deep_persist(self->rpp, 10, 8, 0), "pool header");
	EINVAL_CALL(rpmem_drain(self->rpp, 0, 1), "invalid flags");
	EINVAL_CALL(rpmem_persist(self->rpp, 4096, 8, 3, 0), "lane 3 is not below the pool's 3 lanes");
	EINVAL_CALL(rpmem_drain(self->rpp, 3, 0), "lane 3");
	EINVAL_CALL(rpmem_read(self->rpp, buf, 4096, 8, UINT_MAX), "lane");
	EINVAL_CALL(rpmem_persist(self->rpp, POOL_SIZE, 0, 0, 0), "outside the");
	EINVAL_CALL(rpmem_persist(self->rpp, POOL_SIZE - 8, 9, 0, 0), "outside the");
	EINVAL_CALL(rpmem_flush(self->rpp, 8192, SIZE_MAX, 0, 0), "outside the");
	EINVAL_CALL(rpmem_read(self->rpp, buf, SIZE_MAX, 1, 0), "outside the");
	EINVAL_CALL(rpmem_read(self->rpp, NULL, 4096, 8, 0), "buff is NULL");
	ASSERT_EQ(before, fake.pool_ioctls);

	/* Zero length inside the pool: success, nothing to do. */
	ASSERT_EQ(0, rpmem_persist(self->rpp, 4096, 0, 0, 0));
	ASSERT_EQ(0, rpmem_flush(self->rpp, 4096, 0, 0, 0));
	ASSERT_EQ(0, rpmem_deep_persist(self->rpp, 4096, 0, 0));
	ASSERT_EQ(0, rpmem_read(self->rpp, NULL, 4096, 0, 0));
	ASSERT_EQ(before, fake.pool_ioctls);

	/* Misuse does not break the pool. */
	ASSERT_EQ(0, rpmem_persist(self->rpp, 4096, 8, 0, 0));
}

TEST_F(pool, pool_without_header_accepts_offset_0_except_deep_persist)
{
	fake.hdr_size = 0;
	self->rpp = rpmem_create("127.0.0.1", "p", self->addr, POOL_SIZE, &self->nlanes, NULL);
	ASSERT_NE(NULL, self->rpp);
	ASSERT_EQ(0, rpmem_persist(self->rpp, 0, 8, 0, 0));
	ASSERT_EQ(0, rpmem_flush(self->rpp, 0, 8, 0, 0));
	/* PMDK's rpmem_deep_persist protects the header size regardless. */
	errno = 0;
	ASSERT_EQ(-1, rpmem_deep_persist(self->rpp, 0, 8, 0));
	ASSERT_FAILED(EINVAL, "pool header");
	ASSERT_EQ(0, rpmem_deep_persist(self->rpp, 4096, 8, 0));
}

TEST_F(pool, connection_failure_is_sticky)
{
	unsigned before;
	char buf[8];

	ASSERT_NE(NULL, create_pool(self));
	fake.io_err = ECONNRESET;
	fake.io_err_once = 1;
	errno = 0;
	ASSERT_EQ(-1, rpmem_persist(self->rpp, 4096, 8, 0, 0));
	ASSERT_FAILED(ECONNRESET, "rpmem_persist: [4096, +8) on lane 0 failed");

	/* The module would now succeed; the library answers from memory. */
	before = fake.pool_ioctls;
	errno = 0;
	ASSERT_EQ(-1, rpmem_persist(self->rpp, 4096, 8, 0, 0));
	ASSERT_FAILED(ECONNRESET, "failed earlier");
	errno = 0;
	ASSERT_EQ(-1, rpmem_flush(self->rpp, 4096, 8, 0, 0));
	ASSERT_FAILED(ECONNRESET, "rpmem_flush");
	errno = 0;
	ASSERT_EQ(-1, rpmem_drain(self->rpp, 0, 0));
	ASSERT_FAILED(ECONNRESET, "rpmem_drain");
	errno = 0;
	ASSERT_EQ(-1, rpmem_deep_persist(self->rpp, 4096, 8, 0));
	ASSERT_FAILED(ECONNRESET, "rpmem_deep_persist");
	errno = 0;
	ASSERT_EQ(-1, rpmem_read(self->rpp, buf, 4096, 8, 0));
	ASSERT_FAILED(ECONNRESET, "rpmem_read");
	errno = 0;
	ASSERT_EQ(-1, rpmem_set_attr(self->rpp, NULL));
	ASSERT_FAILED(ECONNRESET, "rpmem_set_attr");
	/* The sticky error comes before argument checks, as in PMDK. */
	errno = 0;
	ASSERT_EQ(-1, rpmem_persist(self->rpp, 0, 8, 99, 77));
	ASSERT_FAILED(ECONNRESET, "failed earlier");
	ASSERT_EQ(before, fake.pool_ioctls);

	/* Closing still works and frees everything. */
	ASSERT_EQ(0, rpmem_close(self->rpp));
	self->rpp = NULL;
}

TEST_F(pool, read_failure_is_sticky_too)
{
	char buf[8];

	ASSERT_NE(NULL, create_pool(self));
	fake.io_err = ETIMEDOUT;
	fake.io_err_once = 1;
	ASSERT_EQ(-1, rpmem_read(self->rpp, buf, 4096, 8, 0));
	ASSERT_EQ(-1, rpmem_persist(self->rpp, 4096, 8, 0, 0));
	ASSERT_FAILED(ETIMEDOUT, "failed earlier");
}

TEST_F(pool, module_argument_errors_are_not_sticky)
{
	static const int errs[] = { EINVAL, EFAULT, ENOMEM };

	ASSERT_NE(NULL, create_pool(self));
	for (size_t i = 0; i < 3; i++) {
		fake.io_err = errs[i];
		fake.io_err_once = 1;
		errno = 0;
		ASSERT_EQ(-1, rpmem_persist(self->rpp, 4096, 8, 0, 0));
		ASSERT_FAILED(errs[i], "rpmem_persist");
		ASSERT_EQ(0, rpmem_persist(self->rpp, 4096, 8, 0, 0));
	}
}

TEST_F(pool, interrupted_commands_are_reissued)
{
	unsigned before;

	ASSERT_NE(NULL, create_pool(self));
	before = fake.pool_ioctls;
	fake.eintr_left = 2;
	ASSERT_EQ(0, rpmem_persist(self->rpp, 4096, 8, 0, 0));
	ASSERT_EQ(before + 3, fake.pool_ioctls);
	fake.eintr_left = 1;
	ASSERT_EQ(0, rpmem_drain(self->rpp, 0, 0));
	fake.eintr_left = 1;
	ASSERT_EQ(0, rpmem_set_attr(self->rpp, NULL));
}

TEST_F(pool, set_attr_sends_the_attributes_or_zeroes)
{
	struct kpmem_pool_attr zero;

	memset(&zero, 0, sizeof(zero));
	ASSERT_NE(NULL, create_pool(self));
	ASSERT_EQ(0, rpmem_set_attr(self->rpp, &self->attr));
	ASSERT_EQ(KPMEM_POOL_IOC_SET_ATTR, fake.last_req);
	ASSERT_EQ(0, memcmp(&fake.last_set_attr.attr, &self->attr, sizeof(self->attr)));
	ASSERT_EQ(0ULL, fake.last_set_attr.reserved[0]);
	ASSERT_EQ(0, rpmem_set_attr(self->rpp, NULL));
	ASSERT_EQ(0, memcmp(&fake.last_set_attr.attr, &zero, sizeof(zero)));

	/* A failed set_attr reports but does not poison the pool. */
	fake.io_err = EIO;
	fake.io_err_once = 1;
	errno = 0;
	ASSERT_EQ(-1, rpmem_set_attr(self->rpp, NULL));
	ASSERT_FAILED(EIO, "rpmem_set_attr");
	ASSERT_EQ(0, rpmem_persist(self->rpp, 4096, 8, 0, 0));
}

TEST(remove_maps_flags_onto_the_module)
{
	ASSERT_EQ(0, rpmem_remove("user@127.0.0.1:7555", "remote.set", 0));
	ASSERT_EQ((unsigned)KPMEM_POOL_REMOVE, fake.conn.op);
	ASSERT_EQ(0U, fake.conn.flags);
	ASSERT_STREQ("remote.set", fake.conn.name);
	ASSERT_EQ(0, rpmem_remove("127.0.0.1", "remote.set", RPMEM_REMOVE_FORCE));
	ASSERT_EQ(KPMEM_POOL_REMOVE_FORCE, fake.conn.flags);
	/* The export is an admin object: POOL_SET removes only the pool. */
	ASSERT_EQ(0, rpmem_remove("127.0.0.1", "remote.set", RPMEM_REMOVE_POOL_SET));
	ASSERT_EQ(0U, fake.conn.flags);
	ASSERT_EQ(0, rpmem_remove("127.0.0.1", "remote.set",
				  RPMEM_REMOVE_FORCE | RPMEM_REMOVE_POOL_SET));
	ASSERT_EQ(KPMEM_POOL_REMOVE_FORCE, fake.conn.flags);
	ASSERT_EQ(-1, fcntl(fake.dev_fd, F_GETFD));

	fake.connect_err = ENOENT;
	errno = 0;
	ASSERT_EQ(-1, rpmem_remove("127.0.0.1", "gone", 0));
	ASSERT_FAILED(ENOENT, "export 'gone'");
}

TEST(unresolvable_host_fails_before_connecting)
{
	unsigned nlanes = 1;
	void *addr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, addr);
	errno = 0;
	ASSERT_EQ(NULL, rpmem_create("no-such-host.invalid", "p", addr, 4096, &nlanes, NULL));
	ASSERT_TRUE(errno == EHOSTUNREACH || errno == EAGAIN);
	ASSERT_NE(NULL, strstr(rpmem_errormsg(), "rpmem_create: cannot resolve target host"))
		TH_LOG("%s", rpmem_errormsg());
	ASSERT_EQ(0U, fake.connects);
	munmap(addr, 4096);
}

/* RPMEM_MAX_NLANES is read at load: check it in a re-executed copy. */
TEST(max_nlanes_caps_the_request)
{
	const char *want = getenv("RPMEM_FAKE_TEST_WANT");
	unsigned nlanes = 1024;
	void *addr;
	char self[4096], cmd[4300];
	ssize_t n;

	if (want) {
		addr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		fake.max_lanes = UINT_MAX;
		ASSERT_NE(NULL, rpmem_create("127.0.0.1", "p", addr, 4096, &nlanes, NULL));
		ASSERT_EQ((unsigned)atoi(want), fake.conn.nlanes);
		ASSERT_EQ((unsigned)atoi(want), nlanes);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ASSERT_GT(n, 0);
	self[n] = '\0';
	snprintf(cmd, sizeof(cmd), "RPMEM_MAX_NLANES=5 RPMEM_FAKE_TEST_WANT=5 '%s' -t max_nlanes_caps_the_request >/dev/null 2>&1", self);
	ASSERT_EQ(0, system(cmd));
	/* Above the request it changes nothing; garbage is ignored. */
	snprintf(cmd, sizeof(cmd), "RPMEM_MAX_NLANES=5000 RPMEM_FAKE_TEST_WANT=1024 '%s' -t max_nlanes_caps_the_request >/dev/null 2>&1", self);
	ASSERT_EQ(0, system(cmd));
	snprintf(cmd, sizeof(cmd), "RPMEM_MAX_NLANES=-5 RPMEM_FAKE_TEST_WANT=1024 '%s' -t max_nlanes_caps_the_request >/dev/null 2>&1", self);
	ASSERT_EQ(0, system(cmd));
	snprintf(cmd, sizeof(cmd), "RPMEM_MAX_NLANES=5 RPMEM_FAKE_TEST_WANT=6 '%s' -t max_nlanes_caps_the_request >/dev/null 2>&1", self);
	ASSERT_NE(0, system(cmd));
}

TEST_HARNESS_MAIN
