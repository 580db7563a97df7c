// SPDX-License-Identifier: GPL-2.0
/*
 * Pre-shared keys: an export added with `kpmemctl export-add --key-file`
 * serves only initiators whose librpmem proves the same key
 * (KPMEM_RPMEM_KEY_FILE).  One guest: the target is 10.77.0.2 over the
 * guest's own veth pair and Soft-RoCE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librpmem.h>

#include "kselftest_harness.h"
#include "../lib/guest_util.h"

#define POOL_SIZE (1UL << 20)
#define TARGET "10.77.0.2"

static int write_key(const char *path, unsigned char fill, size_t len)
{
	unsigned char key[64];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < len; i++)
		key[i] = fill + i * 7;
	if (write(fd, key, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

FIXTURE(psk) {
	void *pool;
};

FIXTURE_SETUP(psk)
{
	self->pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	ASSERT_NE(MAP_FAILED, self->pool);
	ASSERT_EQ(0, write_key("/tmp/psk-right", 0x11, 32));
	ASSERT_EQ(0, write_key("/tmp/psk-wrong", 0x12, 32));
	ASSERT_EQ(0, write_key("/tmp/psk-short", 0x11, 8));
	run("%s export-remove --force keyed.set 2>/dev/null", kpmemctl());
	ASSERT_EQ(0, run("rm -f /tmp/keyed.img && %s export-add keyed.set /tmp/keyed.img "
			 "--size 4M --key-file /tmp/psk-right", kpmemctl()));
	unsetenv("KPMEM_RPMEM_KEY_FILE");
}

FIXTURE_TEARDOWN(psk)
{
	unsetenv("KPMEM_RPMEM_KEY_FILE");
	run("%s export-remove --force keyed.set 2>/dev/null", kpmemctl());
	munmap(self->pool, POOL_SIZE);
}

static RPMEMpool *create(void *pool)
{
	struct rpmem_pool_attr attr = { .major = 1 };
	unsigned int nlanes = 1;

	memcpy(attr.signature, "PSKTEST", 8);
	return rpmem_create(TARGET, "keyed.set", pool, POOL_SIZE, &nlanes, &attr);
}

TEST_F_TIMEOUT(psk, only_the_right_key_gets_in, 120)
{
	char buf[64];
	RPMEMpool *rpp;

	/* No key, then the wrong one: refused, and the target keeps nothing. */
	EXPECT_EQ(NULL, create(self->pool));
	EXPECT_EQ(EACCES, errno);
	EXPECT_NE(NULL, strstr(rpmem_errormsg(), "key")) TH_LOG("%s", rpmem_errormsg());
	setenv("KPMEM_RPMEM_KEY_FILE", "/tmp/psk-wrong", 1);
	EXPECT_EQ(NULL, create(self->pool));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, run("%s export-list --json | grep -q '\"rejected\":2'", kpmemctl()));
	EXPECT_EQ(0, run("%s export-list | grep keyed.set | grep -q 'key required, no pool, idle'",
			 kpmemctl()));
	EXPECT_EQ(0, run("dmesg | grep -q \"does not prove the export's key 'keyed.set'\""));

	/* The right key: a working pool at once. */
	setenv("KPMEM_RPMEM_KEY_FILE", "/tmp/psk-right", 1);
	rpp = create(self->pool);
	ASSERT_NE(NULL, rpp) TH_LOG("%s", rpmem_errormsg());
	memset((char *)self->pool + 4096, 0x3c, sizeof(buf));
	EXPECT_EQ(0, rpmem_persist(rpp, 4096, sizeof(buf), 0, 0));
	EXPECT_EQ(0, rpmem_read(rpp, buf, 4096, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, (char *)self->pool + 4096, sizeof(buf)));
	EXPECT_EQ(0, rpmem_close(rpp));
	/* Remove proves the key too. */
	unsetenv("KPMEM_RPMEM_KEY_FILE");
	EXPECT_EQ(-1, rpmem_remove(TARGET, "keyed.set", 0));
	EXPECT_EQ(EACCES, errno);
	setenv("KPMEM_RPMEM_KEY_FILE", "/tmp/psk-right", 1);
	EXPECT_EQ(0, rpmem_remove(TARGET, "keyed.set", 0)) TH_LOG("%s", rpmem_errormsg());
}

TEST_F_TIMEOUT(psk, bad_key_files_fail_locally_with_a_message, 60)
{
	setenv("KPMEM_RPMEM_KEY_FILE", "/tmp/psk-short", 1);
	EXPECT_EQ(NULL, create(self->pool));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_NE(NULL, strstr(rpmem_errormsg(), "16 to 32 bytes")) TH_LOG("%s", rpmem_errormsg());
	setenv("KPMEM_RPMEM_KEY_FILE", "/tmp/psk-missing", 1);
	EXPECT_EQ(NULL, create(self->pool));
	EXPECT_EQ(ENOENT, errno);
	/* kpmemctl refuses them too, before asking the module. */
	EXPECT_EQ(2, run("%s export-add other.set /tmp/other.img --size 4M "
			 "--key-file /tmp/psk-short 2>/dev/null", kpmemctl()));
	EXPECT_NE(0, run("%s export-list | grep -q other.set", kpmemctl()));
}

/*
 * Authentication is mutual: an initiator holding a key talks only to a
 * target that proves it holds it too, so that a rogue target cannot pass
 * for the real one by simply asking for no key.  Without a key the same
 * keyless export works.
 */
TEST_F_TIMEOUT(psk, a_key_holder_refuses_a_target_that_does_not_prove_the_key, 60)
{
	RPMEMpool *rpp;
	struct rpmem_pool_attr attr = { .major = 1 };
	unsigned int nlanes = 1;

	ASSERT_EQ(0, run("rm -f /tmp/open.img && %s export-add open.set /tmp/open.img --size 4M",
			 kpmemctl()));
	memcpy(attr.signature, "PSKTEST", 8);
	setenv("KPMEM_RPMEM_KEY_FILE", "/tmp/psk-right", 1);
	rpp = rpmem_create(TARGET, "open.set", self->pool, POOL_SIZE, &nlanes, &attr);
	EXPECT_EQ(NULL, rpp);
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, run("dmesg | grep -q \"holds a key, which the export does not have, for 'open.set'\""));
	/* Refused before anything was done: the export is free and holds no pool. */
	unsetenv("KPMEM_RPMEM_KEY_FILE");
	rpp = rpmem_create(TARGET, "open.set", self->pool, POOL_SIZE, &nlanes, &attr);
	EXPECT_NE(NULL, rpp) TH_LOG("%s", rpmem_errormsg());
	if (rpp)
		EXPECT_EQ(0, rpmem_close(rpp));
	run("%s export-remove --force open.set", kpmemctl());
}

TEST_HARNESS_MAIN
