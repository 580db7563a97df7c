// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation-failure injection: for each setup path (part maps, exports,
 * a remote pool with its target connection, io_uring-free and RDMA data
 * paths alike), fail its 1st, 2nd, ... allocation through the module's
 * test-only parameter fail_alloc_nth until the path runs through without
 * hitting one.  Every injected failure must come back as a clean error,
 * leave no export, set or module reference behind, and the same operation
 * must work right after.  The harness then fails the run on any splat or
 * on a module that will not unload.  One guest: the pool's target is the
 * same guest over its veth pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librpmem.h>

#include "kselftest_harness.h"
#include "../lib/guest_util.h"
#include "kpmem_device.h"

#define PARAM "/sys/module/kpmem/parameters/fail_alloc_nth"
#define MAX_WALK 200

static int param_write(unsigned int n)
{
	FILE *f = fopen(PARAM, "w");

	if (!f)
		return -1;
	fprintf(f, "%u\n", n);
	return fclose(f);
}

static unsigned int param_read(void)
{
	unsigned int n = ~0U;
	FILE *f = fopen(PARAM, "r");

	if (f) {
		if (fscanf(f, "%u", &n) != 1)
			n = ~0U;
		fclose(f);
	}
	return n;
}

static int module_refs(void)
{
	int n = -1;
	FILE *f = fopen("/sys/module/kpmem/refcnt", "r");

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* One pass of a setup path; 0 on success, else a negative errno. */
typedef int (*op_fn)(void);

static int op_part_maps(void)
{
	struct kpmem_set_create sc = { 0 };
	int dev = open(KPMEM_DEVICE_PATH, O_RDWR | O_CLOEXEC), set, fd, ret = 0;
	char path[] = "/tmp/fault.XXXXXX";

	if (dev < 0)
		return -errno;
	set = ioctl(dev, KPMEM_IOC_SET_CREATE, &sc);
	if (set < 0)
		ret = -errno;
	close(dev);
	if (ret)
		return ret;
	fd = mkstemp(path);
	if (fd < 0) {
		close(set);
		return -errno;
	}
	unlink(path);
	for (int i = 0; i < 3 && !ret; i++) {
		struct kpmem_part_add a = {
			.source_fd = fd, .placement = KPMEM_PLACE_ANYWHERE,
			.offset = i * 4096, .length = 4096,
		};

		if (ioctl(set, KPMEM_SET_IOC_PART_ADD, &a))
			ret = -errno;
		else if (i == 2) {
			/* Splitting nothing, but a removal allocates nothing either. */
			struct kpmem_part_remove r = { .addr = a.addr, .length = 4096 };

			if (ioctl(set, KPMEM_SET_IOC_PART_REMOVE, &r))
				ret = -errno;
		}
	}
	close(fd);
	close(set);
	return ret;
}

static int op_export(void)
{
	int ret = run("%s export-add fault.set /tmp/fault-export.img --size 4M 2>/dev/null",
		      kpmemctl());

	if (ret)
		return -ENOMEM;	/* kpmemctl printed nothing: its exit status is all */
	return run("%s export-remove fault.set", kpmemctl()) ? -EIO : 0;
}

/* A pool on a file export (inline data) or device DAX (RDMA, registrations). */
static const char *pool_export = "fault.set";

static int op_pool(void)
{
	static char mem[2 << 20] __attribute__((aligned(4096)));
	struct rpmem_pool_attr attr = { .major = 1 };
	unsigned int nlanes = 2;
	char back[8192];
	RPMEMpool *rpp;
	int ret = 0;

	memcpy(attr.signature, "FAULTTS", 8);
	rpmem_remove("10.77.0.2", pool_export, RPMEM_REMOVE_FORCE);
	rpp = rpmem_create("10.77.0.2", pool_export, mem, sizeof(mem), &nlanes, &attr);
	if (!rpp)
		return -errno;
	memset(mem + 4096, 0x5e, 8192);
	if (rpmem_persist(rpp, 4096, 8192, 1, 0) || rpmem_read(rpp, back, 4096, 8192, 0))
		ret = -errno;
	else if (memcmp(back, mem + 4096, 8192))
		ret = -EIO;
	rpmem_close(rpp);
	return ret;
}

/*
 * Walk @op's allocations.  Return: how many failures were injected, or -1
 * (with the reason logged) when one was not clean.
 */
static int walk(struct __test_metadata *_metadata, const char *what, op_fn op)
{
	int refs = module_refs(), n, ret;

	for (n = 1; n <= MAX_WALK; n++) {
		if (param_write(n))
			return -1;
		ret = op();
		if (param_read() != 0) {
			/* Fewer than n allocations: it ran through untouched. */
			param_write(0);
			if (ret) {
				TH_LOG("%s: failed (%d) without an injected failure", what, ret);
				return -1;
			}
			return n - 1;
		}
		param_write(0);
		if (ret == 0)
			TH_LOG("%s: allocation %d failed and it still succeeded (a fallback)",
			       what, n);
		/* Nothing kept: same references, no export, and it works again now. */
		usleep(100 * 1000);
		if (module_refs() != refs) {
			TH_LOG("%s: allocation %d: module refs %d, were %d", what, n,
			       module_refs(), refs);
			return -1;
		}
		ret = op();
		if (ret) {
			TH_LOG("%s: after failing allocation %d it fails on its own: %d", what, n,
			       ret);
			return -1;
		}
	}
	TH_LOG("%s: more than %d allocations?", what, MAX_WALK);
	return -1;
}

FIXTURE(fault) {
	int unused;
};

FIXTURE_SETUP(fault)
{
	ASSERT_EQ(0, access(PARAM, W_OK)) TH_LOG("no %s: kpmem.ko without injection?", PARAM);
}

FIXTURE_TEARDOWN(fault)
{
	param_write(0);
}

TEST_F(fault, part_map_setup_unwinds_every_allocation_failure)
{
	int n = walk(_metadata, "part maps", op_part_maps);

	ASSERT_LT(0, n);
	TH_LOG("part maps: %d allocation failures injected", n);
}

TEST_F(fault, export_add_unwinds_every_allocation_failure)
{
	int n = walk(_metadata, "export add", op_export);

	ASSERT_LT(0, n);
	TH_LOG("export add: %d allocation failures injected", n);
}

TEST_F_TIMEOUT(fault, pool_and_target_connection_unwind_every_allocation_failure, 240)
{
	int n;

	ASSERT_EQ(0, run("rm -f /tmp/fault-pool.img; %s export-add fault.set /tmp/fault-pool.img "
			 "--size 4M", kpmemctl()));
	n = walk(_metadata, "pool on a file export", op_pool);
	run("%s export-remove --force fault.set", kpmemctl());
	ASSERT_LT(0, n);
	TH_LOG("pool on a file export: %d allocation failures injected", n);
}

TEST_F_TIMEOUT(fault, rdma_pool_and_registrations_unwind_every_allocation_failure, 240)
{
	const char *devdax = getenv("KPMEM_TEST_DEVDAX");
	int n;

	ASSERT_NE(NULL, devdax) TH_LOG("run me through selftests/part_maps/with_sources");
	ASSERT_EQ(0, run("%s export-add fault.set %s --size 16M", kpmemctl(), devdax));
	n = walk(_metadata, "pool on device DAX", op_pool);
	run("%s export-remove --force fault.set", kpmemctl());
	ASSERT_LT(0, n);
	TH_LOG("pool on device DAX: %d allocation failures injected", n);
}

TEST_HARNESS_MAIN
