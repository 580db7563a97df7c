// SPDX-License-Identifier: GPL-2.0
/*
 * librpmem's public API on the host, without the module: every argument
 * error PMDK reports locally is reported before any syscall with errno and
 * a non-empty message, for all 12 functions; the version check says what
 * PMDK says; messages are per thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "librpmem.h"
#include "librpmem_kpmem.h"

/* errno @err, and a message containing @what. */
#define ASSERT_FAILED(err, what) do {						\
	ASSERT_EQ(err, errno) TH_LOG("errno %d (%s), message: %s", errno,	\
				     strerror(errno), rpmem_errormsg());	\
	ASSERT_STRNE("", rpmem_errormsg());					\
	ASSERT_NE(NULL, strstr(rpmem_errormsg(), what))				\
		TH_LOG("message: %s", rpmem_errormsg());			\
} while (0)

/* rpmem_create and rpmem_open take the same arguments: test both. */
typedef RPMEMpool *(*connect_fn)(const char *, const char *, void *, size_t, unsigned *,
				 struct rpmem_pool_attr *);

static RPMEMpool *create_(const char *t, const char *n, void *a, size_t s, unsigned *l,
			  struct rpmem_pool_attr *attr)
{
	return rpmem_create(t, n, a, s, l, attr);
}

static const struct {
	const char *name;
	connect_fn fn;
} connects[] = {
	{ "rpmem_create", create_ },
	{ "rpmem_open", rpmem_open },
};

FIXTURE(pool_mem) {
	void *addr;
	size_t size;
	size_t page;
	unsigned nlanes;
	struct rpmem_pool_attr attr;
};

FIXTURE_SETUP(pool_mem)
{
	self->page = (size_t)sysconf(_SC_PAGESIZE);
	self->size = 4 * self->page;
	self->addr = mmap(NULL, self->size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->addr);
	self->nlanes = 4;
	memset(&self->attr, 0, sizeof(self->attr));
	memcpy(self->attr.signature, "PMEMOBJ", 8);
	self->attr.major = 6;
}

FIXTURE_TEARDOWN(pool_mem)
{
	munmap(self->addr, self->size);
}

TEST_F(pool_mem, null_pool_addr_is_einval)
{
	for (size_t i = 0; i < 2; i++) {
		errno = 0;
		ASSERT_EQ(NULL, connects[i].fn("localhost", "pool", NULL, self->size,
					       &self->nlanes, &self->attr));
		ASSERT_FAILED(EINVAL, "pool_addr is NULL");
		ASSERT_NE(NULL, strstr(rpmem_errormsg(), connects[i].name));
		ASSERT_EQ(4U, self->nlanes);
	}
}

TEST_F(pool_mem, unaligned_pool_addr_is_einval)
{
	for (size_t i = 0; i < 2; i++) {
		errno = 0;
		ASSERT_EQ(NULL, connects[i].fn("localhost", "pool", (char *)self->addr + 64,
					       self->page, &self->nlanes, &self->attr));
		ASSERT_FAILED(EINVAL, "not aligned to the page size");
	}
}

TEST_F(pool_mem, unaligned_or_zero_pool_size_is_einval)
{
	for (size_t i = 0; i < 2; i++) {
		errno = 0;
		ASSERT_EQ(NULL, connects[i].fn("localhost", "pool", self->addr, self->page + 1,
					       &self->nlanes, &self->attr));
		ASSERT_FAILED(EINVAL, "not a multiple of the page size");
		errno = 0;
		ASSERT_EQ(NULL, connects[i].fn("localhost", "pool", self->addr, 0,
					       &self->nlanes, &self->attr));
		ASSERT_FAILED(EINVAL, "pool_size is 0");
	}
}

TEST_F(pool_mem, wrapping_pool_range_is_einval)
{
	void *high = (void *)(uintptr_t)(UINTPTR_MAX - self->page + 1);

	errno = 0;
	ASSERT_EQ(NULL, rpmem_create("localhost", "pool", high, 2 * self->page,
				     &self->nlanes, NULL));
	ASSERT_FAILED(EINVAL, "wraps around");
}

TEST_F(pool_mem, null_or_zero_nlanes_is_einval)
{
	unsigned zero = 0;

	for (size_t i = 0; i < 2; i++) {
		errno = 0;
		ASSERT_EQ(NULL, connects[i].fn("localhost", "pool", self->addr, self->size,
					       NULL, &self->attr));
		ASSERT_FAILED(EINVAL, "nlanes is NULL");
		errno = 0;
		ASSERT_EQ(NULL, connects[i].fn("localhost", "pool", self->addr, self->size,
					       &zero, &self->attr));
		ASSERT_FAILED(EINVAL, "*nlanes is 0");
		ASSERT_EQ(0U, zero);
	}
}

TEST_F(pool_mem, bad_targets_are_einval_naming_the_call)
{
	static const char *const bad[] = { "", "[::1", "host:0", "user@", "h:x" };

	for (size_t i = 0; i < 2; i++) {
		errno = 0;
		ASSERT_EQ(NULL, connects[i].fn(NULL, "pool", self->addr, self->size,
					       &self->nlanes, &self->attr));
		ASSERT_FAILED(EINVAL, "target is NULL");
		for (size_t j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			errno = 0;
			ASSERT_EQ(NULL, connects[i].fn(bad[j], "pool", self->addr, self->size,
						       &self->nlanes, &self->attr));
			ASSERT_FAILED(EINVAL, "target '");
			ASSERT_EQ(0, strncmp(rpmem_errormsg(), connects[i].name,
					     strlen(connects[i].name)));
		}
	}
}

TEST_F(pool_mem, bad_pool_set_names_are_einval)
{
	char longname[300];

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	for (size_t i = 0; i < 2; i++) {
		errno = 0;
		ASSERT_EQ(NULL, connects[i].fn("localhost", NULL, self->addr, self->size,
					       &self->nlanes, &self->attr));
		ASSERT_FAILED(EINVAL, "pool set name is NULL");
		errno = 0;
		ASSERT_EQ(NULL, connects[i].fn("localhost", "", self->addr, self->size,
					       &self->nlanes, &self->attr));
		ASSERT_FAILED(EINVAL, "pool set name is empty");
		errno = 0;
		ASSERT_EQ(NULL, connects[i].fn("localhost", "dir/remote.set", self->addr,
					       self->size, &self->nlanes, &self->attr));
		ASSERT_FAILED(EINVAL, "not a kpmem export name");
		errno = 0;
		ASSERT_EQ(NULL, connects[i].fn("localhost", longname, self->addr, self->size,
					       &self->nlanes, &self->attr));
		ASSERT_FAILED(EINVAL, "longer than 255");
	}
}

/* Argument checks come first, as in PMDK: a bad address beats a bad target. */
TEST_F(pool_mem, pool_arguments_are_checked_before_the_target)
{
	errno = 0;
	ASSERT_EQ(NULL, rpmem_create("[", NULL, NULL, 0, NULL, NULL));
	ASSERT_FAILED(EINVAL, "pool_addr is NULL");
}

TEST_F(pool_mem, valid_call_without_module_names_the_module)
{
	if (access("/dev/kpmem", F_OK) == 0)
		SKIP(return, "/dev/kpmem exists: this test is for hosts without kpmem.ko");
	for (size_t i = 0; i < 2; i++) {
		errno = 0;
		ASSERT_EQ(NULL, connects[i].fn("localhost:7440", "remote.set", self->addr,
					       self->size, &self->nlanes, &self->attr));
		ASSERT_FAILED(ENOENT, "is kpmem.ko loaded?");
		ASSERT_EQ(4U, self->nlanes);
	}
	/* NULL and all-zero attributes are valid too (a pool without header). */
	errno = 0;
	ASSERT_EQ(NULL, rpmem_create("localhost", "remote.set", self->addr, self->size,
				     &self->nlanes, NULL));
	ASSERT_FAILED(ENOENT, "is kpmem.ko loaded?");
	errno = 0;
	ASSERT_EQ(NULL, rpmem_open("localhost", "remote.set", self->addr, self->size,
				   &self->nlanes, NULL));
	ASSERT_FAILED(ENOENT, "is kpmem.ko loaded?");
}

TEST(remove_with_unknown_flags_is_einval)
{
	static const int bad[] = { 0x4, 0x8, 0x7, -1, (int)0x80000000 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ASSERT_EQ(-1, rpmem_remove("localhost", "remote.set", bad[i]));
		ASSERT_FAILED(EINVAL, "invalid flags");
	}
}

TEST(remove_flags_are_checked_before_the_target)
{
	errno = 0;
	ASSERT_EQ(-1, rpmem_remove(NULL, NULL, 0x10));
	ASSERT_FAILED(EINVAL, "invalid flags");
}

TEST(remove_with_bad_target_or_name_is_einval)
{
	errno = 0;
	ASSERT_EQ(-1, rpmem_remove(NULL, "remote.set", 0));
	ASSERT_FAILED(EINVAL, "rpmem_remove: target is NULL");
	errno = 0;
	ASSERT_EQ(-1, rpmem_remove("[::1]:99999", "remote.set", 0));
	ASSERT_FAILED(EINVAL, "outside 1..65535");
	errno = 0;
	ASSERT_EQ(-1, rpmem_remove("localhost", NULL, 0));
	ASSERT_FAILED(EINVAL, "pool set name is NULL");
	errno = 0;
	ASSERT_EQ(-1, rpmem_remove("localhost", "a b", 0));
	ASSERT_FAILED(EINVAL, "not a kpmem export name");
}

TEST(remove_accepts_force_and_pool_set_flags)
{
	static const int good[] = { 0, RPMEM_REMOVE_FORCE, RPMEM_REMOVE_POOL_SET,
				    RPMEM_REMOVE_FORCE | RPMEM_REMOVE_POOL_SET };

	if (access("/dev/kpmem", F_OK) == 0)
		SKIP(return, "/dev/kpmem exists: this test is for hosts without kpmem.ko");
	/* Valid flags get as far as the device. */
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		errno = 0;
		ASSERT_EQ(-1, rpmem_remove("localhost", "remote.set", good[i]));
		ASSERT_FAILED(ENOENT, "rpmem_remove: /dev/kpmem does not exist");
	}
}

/*
 * PMDK does not check rpp (it would crash); a NULL handle failing with
 * EINVAL is the safe equivalent.
 */
TEST(null_pool_handle_is_einval_everywhere)
{
	char buf[8];

	errno = 0;
	ASSERT_EQ(-1, rpmem_persist(NULL, 4096, 8, 0, 0));
	ASSERT_FAILED(EINVAL, "rpmem_persist: rpp is NULL");
	errno = 0;
	ASSERT_EQ(-1, rpmem_deep_persist(NULL, 4096, 8, 0));
	ASSERT_FAILED(EINVAL, "rpmem_deep_persist: rpp is NULL");
	errno = 0;
	ASSERT_EQ(-1, rpmem_flush(NULL, 4096, 8, 0, 0));
	ASSERT_FAILED(EINVAL, "rpmem_flush: rpp is NULL");
	errno = 0;
	ASSERT_EQ(-1, rpmem_drain(NULL, 0, 0));
	ASSERT_FAILED(EINVAL, "rpmem_drain: rpp is NULL");
	errno = 0;
	ASSERT_EQ(-1, rpmem_read(NULL, buf, 4096, 8, 0));
	ASSERT_FAILED(EINVAL, "rpmem_read: rpp is NULL");
	errno = 0;
	ASSERT_EQ(-1, rpmem_set_attr(NULL, NULL));
	ASSERT_FAILED(EINVAL, "rpmem_set_attr: rpp is NULL");
	errno = 0;
	ASSERT_NE(0, rpmem_close(NULL));
	ASSERT_FAILED(EINVAL, "rpmem_close: rpp is NULL");
	errno = 0;
	ASSERT_EQ(-1, rpmem_pool_fd(NULL));
	ASSERT_FAILED(EINVAL, "rpmem_pool_fd: rpp is NULL");
}

TEST(check_version_accepts_1_0_to_1_3)
{
	for (unsigned minor = 0; minor <= RPMEM_MINOR_VERSION; minor++) {
		ASSERT_EQ(NULL, rpmem_check_version(RPMEM_MAJOR_VERSION, minor));
	}
	ASSERT_EQ(NULL, rpmem_check_version(1, 3));
}

TEST(check_version_major_mismatch_message)
{
	const char *msg;

	msg = rpmem_check_version(2, 0);
	ASSERT_NE(NULL, msg);
	ASSERT_STREQ("librpmem major version mismatch (need 2, found 1)", msg);
	ASSERT_STREQ(msg, rpmem_errormsg());
	msg = rpmem_check_version(0, 3);
	ASSERT_STREQ("librpmem major version mismatch (need 0, found 1)", msg);
}

TEST(check_version_minor_mismatch_message)
{
	const char *msg = rpmem_check_version(1, 4);

	ASSERT_NE(NULL, msg);
	ASSERT_STREQ("librpmem minor version mismatch (need 4, found 3)", msg);
	ASSERT_STREQ(msg, rpmem_errormsg());
}

TEST(success_keeps_the_last_message)
{
	ASSERT_NE(NULL, rpmem_check_version(1, 9));
	ASSERT_EQ(NULL, rpmem_check_version(1, 1));
	ASSERT_STREQ("librpmem minor version mismatch (need 9, found 3)", rpmem_errormsg());
}

static void *fail_in_thread(void *arg)
{
	(void)arg;
	rpmem_drain(NULL, 0, 0);
	return strdup(rpmem_errormsg());
}

TEST(messages_are_per_thread)
{
	pthread_t th;
	void *other;

	rpmem_check_version(7, 0);
	ASSERT_EQ(0, pthread_create(&th, NULL, fail_in_thread, NULL));
	ASSERT_EQ(0, pthread_join(th, &other));
	ASSERT_NE(NULL, strstr((char *)other, "rpmem_drain"));
	free(other);
	ASSERT_STREQ("librpmem major version mismatch (need 7, found 1)", rpmem_errormsg());
}

TEST(fresh_thread_has_an_empty_message)
{
	ASSERT_STREQ("", rpmem_errormsg());
}

TEST_HARNESS_MAIN
