// SPDX-License-Identifier: GPL-2.0
/*
 * A header-less export (kpmemctl export-add --nohdrs, PMDK's OPTION
 * NOHDRS) has no byte to say that it holds a pool: the target keeps that in
 * the export's state file (KPMEM_EXPORT_STATE_FD), so that a module reload
 * or a reboot does not forget a pool whose data is there.  On a pair:
 *
 *  - a pool created before the target's module is reloaded (and the export
 *    added again) opens afterwards, with its data, and cannot be created
 *    over;
 *  - a pool removed before the reload stays removed: open fails with
 *    ENOENT, create succeeds;
 *  - a state file is one export's: naming another export's is refused,
 *    and nothing is added;
 *  - --state-file without --nohdrs is a usage error;
 *  - as PMDK's (rpmem_basic TEST9), such a pool has no attributes to set:
 *    rpmem_set_attr() with attributes fails with EINVAL and changes
 *    nothing, without attributes (NULL) it succeeds, and rpmem_create()
 *    with attributes is EINVAL; everything from offset 0 is pool data.
 *
 * The target's export is a file, /tmp/nh.img; its state file is
 * kpmemctl's default, /var/lib/kpmem/state/nh.set.state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <librpmem.h>

#include "kselftest_harness.h"
#include "../lib/guest_util.h"

#define EXPORT		"nh.set"
#define IMG		"/tmp/nh.img"
#define STATE		"/var/lib/kpmem/state/" EXPORT ".state"
#define POOL_SIZE	(4UL << 20)
#define EXPORT_SIZE	"4M"
#define DATA_OFF	8192UL
#define DATA_LEN	(64UL << 10)

FIXTURE(nh) {
	const char *target;
	unsigned char *pool;
	unsigned int nlanes;
};

static int export_add(void)
{
	return run("peer %s export-add " EXPORT " " IMG " --size " EXPORT_SIZE " --nohdrs",
		   kpmemctl());
}

/* The target's module as after a reboot: removed, loaded, the export added again. */
static int reload_target(void)
{
	if (run("peer %s export-remove " EXPORT, kpmemctl()) ||
	    run("peer bash -c 'rmmod kpmem && insmod \"$KPMEM_KO\"'"))
		return -1;
	return export_add();
}

FIXTURE_SETUP(nh)
{
	self->target = getenv("KPMEM_VM_PEER_ADDR");
	ASSERT_NE(NULL, self->target);
	self->pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	ASSERT_NE(MAP_FAILED, self->pool);
	run("peer %s export-remove --force " EXPORT " >/dev/null 2>&1", kpmemctl());
	ASSERT_EQ(0, run("peer rm -f " IMG " " STATE));
	ASSERT_EQ(0, export_add());
}

FIXTURE_TEARDOWN(nh)
{
	run("peer %s export-remove --force " EXPORT " >/dev/null 2>&1", kpmemctl());
	run("peer %s export-remove --force other.nh.set >/dev/null 2>&1", kpmemctl());
	run("peer rm -f " IMG " " STATE);
	munmap(self->pool, POOL_SIZE);
}

static RPMEMpool *create(FIXTURE_DATA(nh) *self)
{
	self->nlanes = 2;
	return rpmem_create(self->target, EXPORT, self->pool, POOL_SIZE, &self->nlanes, NULL);
}

static RPMEMpool *open_pool(FIXTURE_DATA(nh) *self)
{
	self->nlanes = 2;
	return rpmem_open(self->target, EXPORT, self->pool, POOL_SIZE, &self->nlanes, NULL);
}

TEST_F_TIMEOUT(nh, created_pool_opens_after_target_module_reload, 300)
{
	unsigned char back[DATA_LEN];
	RPMEMpool *rpp;
	size_t i;

	for (i = 0; i < DATA_LEN; i++)
		self->pool[DATA_OFF + i] = (unsigned char)(i * 7 + 3);
	rpp = create(self);
	ASSERT_NE(NULL, rpp) TH_LOG("rpmem_create: %s", rpmem_errormsg());
	ASSERT_EQ(0, rpmem_persist(rpp, DATA_OFF, DATA_LEN, 0, 0));
	ASSERT_EQ(0, rpmem_close(rpp));

	ASSERT_EQ(0, reload_target());

	rpp = open_pool(self);
	ASSERT_NE(NULL, rpp) TH_LOG("rpmem_open after the reload: %s (errno %d)",
				    rpmem_errormsg(), errno);
	memset(back, 0, sizeof(back));
	ASSERT_EQ(0, rpmem_read(rpp, back, DATA_OFF, DATA_LEN, 0));
	EXPECT_EQ(0, memcmp(back, self->pool + DATA_OFF, DATA_LEN));
	ASSERT_EQ(0, rpmem_close(rpp));

	/* It exists: a create over it is refused, as before the reload. */
	errno = 0;
	EXPECT_EQ(NULL, create(self));
	EXPECT_EQ(EEXIST, errno) TH_LOG("rpmem_create over the pool: %s", rpmem_errormsg());
}

TEST_F_TIMEOUT(nh, removed_pool_stays_removed_after_target_module_reload, 300)
{
	RPMEMpool *rpp;

	rpp = create(self);
	ASSERT_NE(NULL, rpp) TH_LOG("rpmem_create: %s", rpmem_errormsg());
	ASSERT_EQ(0, rpmem_close(rpp));
	ASSERT_EQ(0, rpmem_remove(self->target, EXPORT, 0));

	ASSERT_EQ(0, reload_target());

	errno = 0;
	EXPECT_EQ(NULL, open_pool(self));
	EXPECT_EQ(ENOENT, errno) TH_LOG("rpmem_open of the removed pool: %s", rpmem_errormsg());
	rpp = create(self);
	ASSERT_NE(NULL, rpp) TH_LOG("rpmem_create after the reload: %s", rpmem_errormsg());
	ASSERT_EQ(0, rpmem_close(rpp));
}

TEST_F_TIMEOUT(nh, another_exports_state_file_is_refused, 300)
{
	RPMEMpool *rpp;

	/* The file holds a record once a pool was created. */
	rpp = create(self);
	ASSERT_NE(NULL, rpp) TH_LOG("rpmem_create: %s", rpmem_errormsg());
	ASSERT_EQ(0, rpmem_close(rpp));

	EXPECT_NE(0, run("peer %s export-add other.nh.set " IMG ".2 --size 1M --nohdrs "
			 "--state-file " STATE " 2>&1", kpmemctl()));
	EXPECT_NE(0, run("peer %s export-list | grep -q other.nh.set", kpmemctl()));
	/* The export-add that failed created no backing file. */
	EXPECT_NE(0, run("peer test -e " IMG ".2"));
	run("peer rm -f " IMG ".2");
}

TEST_F_TIMEOUT(nh, state_file_without_nohdrs_is_a_usage_error, 300)
{
	EXPECT_EQ(2, run("peer %s export-add other.nh.set " IMG ".2 --size 1M "
			 "--state-file /tmp/nh.other.state 2>&1", kpmemctl()));
	EXPECT_NE(0, run("peer test -e /tmp/nh.other.state"));
	EXPECT_NE(0, run("peer test -e " IMG ".2"));
}

TEST_F_TIMEOUT(nh, a_pool_without_header_has_no_attributes_to_set, 300)
{
	struct rpmem_pool_attr attr = { .signature = "KPMEMNH", .major = 1 };
	unsigned int nlanes = 2;
	RPMEMpool *rpp;

	rpp = rpmem_create(self->target, EXPORT, self->pool, POOL_SIZE, &nlanes, &attr);
	EXPECT_EQ(NULL, rpp);
	EXPECT_EQ(EINVAL, errno) TH_LOG("rpmem_create with attributes: %s", rpmem_errormsg());
	if (rpp)
		rpmem_close(rpp);
	rpp = create(self);
	ASSERT_NE(NULL, rpp) TH_LOG("rpmem_create: %s", rpmem_errormsg());
	EXPECT_EQ(-1, rpmem_set_attr(rpp, &attr));
	EXPECT_EQ(EINVAL, errno) TH_LOG("rpmem_set_attr: %s", rpmem_errormsg());
	EXPECT_NE(0UL, strlen(rpmem_errormsg()));
	/* The refusal is no failure of the connection. */
	EXPECT_EQ(0, rpmem_set_attr(rpp, NULL)) TH_LOG("%s", rpmem_errormsg());
	/* Offset 0 is the pool's first byte: there is no header to protect. */
	memset(self->pool, 0x5a, 4096);
	EXPECT_EQ(0, rpmem_persist(rpp, 0, 4096, 0, 0)) TH_LOG("%s", rpmem_errormsg());
	memset(self->pool, 0, 4096);
	EXPECT_EQ(0, rpmem_read(rpp, self->pool, 0, 4096, 0)) TH_LOG("%s", rpmem_errormsg());
	EXPECT_EQ(0x5a, ((unsigned char *)self->pool)[0]);
	EXPECT_EQ(0x5a, ((unsigned char *)self->pool)[4095]);
	ASSERT_EQ(0, rpmem_close(rpp));
}

TEST_HARNESS_MAIN
