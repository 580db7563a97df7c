// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel memory an unprivileged user causes is the user's: a remote pool's
 * buffers are charged to the caller's memory cgroup, the pages pinned for
 * its RDMA transfers to its RLIMIT_MEMLOCK (as RDMA registrations are), a
 * process has at most max_pools_per_process pools, and part records are
 * charged too.  A user who reaches a limit gets a clean error (or, for
 * pinning, the slower inline transfer), never an OOM elsewhere.
 *
 * Runs on the initiator of a pair (selftests/rpmem/pair_setup), as root to
 * set up and then as uid 65534 in a child for each case.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librpmem.h>

#include "kselftest_harness.h"
#include "../lib/guest_util.h"

#define NOBODY 65534
#define MiB (1UL << 20)
#define EXPORT "acct.set"
#define CG "/sys/fs/cgroup/kpmem-acct"

/* Drop to nobody in this (child) process. */
static int become_nobody(void)
{
	return setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	       setresuid(NOBODY, NOBODY, NOBODY) ? -1 : 0;
}

static RPMEMpool *create(void *addr, size_t size, unsigned int *nlanes)
{
	struct rpmem_pool_attr attr = { .major = 1 };

	memcpy(attr.signature, "ACCOUNT", 8);
	return rpmem_create(getenv("KPMEM_VM_PEER_ADDR"), EXPORT, addr, size, nlanes, &attr);
}

/* Run @fn as nobody in a child; return its exit status (0: all its checks held). */
static int as_nobody(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(become_nobody() ? 100 : fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static long dmesg_count(const char *what)
{
	char cmd[256];
	long n = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "dmesg | grep -c '%s'", what);
	f = popen(cmd, "r");
	if (f && fscanf(f, "%ld", &n) != 1)
		n = -1;
	if (f)
		pclose(f);
	return n;
}

FIXTURE(acct) {
	long ooms;
};

FIXTURE_SETUP(acct)
{
	ASSERT_EQ(0u, geteuid());
	run("peer %s export-remove --force " EXPORT " >/dev/null 2>&1", kpmemctl());
	ASSERT_EQ(0, run("peer %s export-add " EXPORT " /dev/dax1.0 --size 16M >/dev/null",
			 kpmemctl()));
	/* The device keeps what earlier tests left on it: no pool to start with. */
	rpmem_remove(getenv("KPMEM_VM_PEER_ADDR"), EXPORT, RPMEM_REMOVE_FORCE);
	self->ooms = dmesg_count("Out of memory\\|oom-kill");
}

FIXTURE_TEARDOWN(acct)
{
	/* Whatever the case did, nobody was OOM-killed for it. */
	EXPECT_EQ(self->ooms, dmesg_count("Out of memory\\|oom-kill"));
	rpmem_remove(getenv("KPMEM_VM_PEER_ADDR"), EXPORT, RPMEM_REMOVE_FORCE);
	run("peer %s export-remove --force " EXPORT " >/dev/null 2>&1", kpmemctl());
	run("rmdir " CG " 2>/dev/null");
}

struct pins {
	size_t limit;		/* bytes of RLIMIT_MEMLOCK */
	_Atomic long peak;	/* most pool_pinned_pages seen */
	_Atomic int stop;
};

static void *watch_pins(void *arg)
{
	struct pins *p = arg;

	while (!p->stop) {
		long n = kpmem_live("pool_pinned_pages", 0);

		if (n > p->peak)
			p->peak = n;
		usleep(2000);
	}
	return NULL;
}

/* Persists and reads of 1 MiB work under @limit, pinning no more than it allows. */
static int memlock_case(void *arg)
{
	struct pins *p = arg;
	struct rlimit rl = { p->limit, p->limit };
	unsigned int nlanes = 4;
	pthread_t t;
	RPMEMpool *rpp;
	uint8_t *pool, *back;
	int bad = 0;

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		return 101;
	pool = mmap(NULL, 8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	back = malloc(MiB);
	if (pool == MAP_FAILED || !back)
		return 102;
	for (size_t i = 0; i < 8 * MiB; i++)
		pool[i] = (uint8_t)(i * 7 + 3);
	rpp = create(pool, 8 * MiB, &nlanes);
	if (!rpp) {
		fprintf(stderr, "# create: %s\n", rpmem_errormsg());
		return 103;
	}
	pthread_create(&t, NULL, watch_pins, p);
	for (int i = 0; i < 4 && !bad; i++) {
		if (rpmem_persist(rpp, 4096 + i * MiB, MiB, 0, 0)) {
			fprintf(stderr, "# persist: %s\n", rpmem_errormsg());
			bad = 104;
		} else if (rpmem_read(rpp, back, 4096 + i * MiB, MiB, 1) ||
			   memcmp(back, pool + 4096 + i * MiB, MiB)) {
			fprintf(stderr, "# read back: %s\n", rpmem_errormsg());
			bad = 105;
		}
	}
	p->stop = 1;
	pthread_join(t, NULL);
	rpmem_close(rpp);
	rpmem_remove(getenv("KPMEM_VM_PEER_ADDR"), EXPORT, 0);
	if (!bad && p->peak * 4096 > (long)p->limit) {
		fprintf(stderr, "# %ld pages pinned with a limit of %zu bytes\n", p->peak, p->limit);
		bad = 106;
	}
	fprintf(stderr, "# RLIMIT_MEMLOCK %zu: at most %ld pages pinned\n", p->limit, p->peak);
	return bad;
}

TEST_F_TIMEOUT(acct, transfers_pin_no_more_than_rlimit_memlock_allows, 300)
{
	struct pins none = { .limit = 0 }, some = { .limit = 256 * 1024 };

	/* Nothing may be pinned: every byte travels inline, and arrives. */
	EXPECT_EQ(0, as_nobody(memlock_case, &none));
	/* 64 pages may be: transfers stay within them. */
	EXPECT_EQ(0, as_nobody(memlock_case, &some));
	EXPECT_EQ(0, kpmem_live("pool_pinned_pages", 0));
}

struct lanes_case {
	unsigned int nlanes;
	int err;		/* errno of a failed create, 0 on success */
	unsigned int granted;
};

/* In the cgroup (joined by the parent), create a pool with that many lanes. */
static int cgroup_case(void *arg)
{
	struct lanes_case *c = arg;
	void *pool = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	RPMEMpool *rpp;

	if (pool == MAP_FAILED)
		return 102;
	rpp = create(pool, MiB, &c->nlanes);
	if (!rpp) {
		fprintf(stderr, "# create with %u lanes: %s\n", c->nlanes, rpmem_errormsg());
		return errno == ENOMEM ? 10 : 11;
	}
	if (rpmem_persist(rpp, 4096, 4096, 0, 0))
		return 12;
	rpmem_close(rpp);
	return 0;
}

/* Run cgroup_case in a child placed in CG. */
static int in_cgroup(struct lanes_case *c)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (run("echo %d > " CG "/cgroup.procs", getpid()))
			_exit(99);
		_exit(become_nobody() ? 100 : cgroup_case(c));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F_TIMEOUT(acct, pool_buffers_are_charged_to_the_callers_memory_cgroup, 300)
{
	struct lanes_case many = { .nlanes = 64 }, few = { .nlanes = 1 };

	run("mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup");
	ASSERT_EQ(0, run("grep -qw memory /sys/fs/cgroup/cgroup.controllers"));
	run("echo +memory > /sys/fs/cgroup/cgroup.subtree_control");
	ASSERT_EQ(0, run("mkdir -p " CG " && echo 6M > " CG "/memory.max && "
			 "echo 0 > " CG "/memory.swap.max 2>/dev/null; true"));
	/*
	 * 64 lanes are about 8 MiB of request and reply buffers, more than
	 * the cgroup has beside the process itself: a clean ENOMEM.  One
	 * lane fits, and works.
	 */
	EXPECT_EQ(10, in_cgroup(&many));
	EXPECT_EQ(0, in_cgroup(&few));
	EXPECT_EQ(0, kpmem_live("pools", 0));
}

static const char *const extra_exports[] = { "acct1.set", "acct2.set" };

/* Pools on export 0 and the extra ones, each created: the one over the bound is EMFILE. */
static int pools_case(void *arg)
{
	unsigned int max = *(unsigned int *)arg, nlanes;
	struct rpmem_pool_attr attr = { .major = 1 };
	RPMEMpool *rpp[3] = { };
	int ret = 0;

	memcpy(attr.signature, "ACCOUNT", 8);
	for (unsigned int i = 0; i <= max && i < 3; i++) {
		void *pool = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);

		nlanes = 1;
		rpp[i] = rpmem_create(getenv("KPMEM_VM_PEER_ADDR"), i ? extra_exports[i - 1] : EXPORT,
				      pool, MiB, &nlanes, &attr);
		if (i < max && !rpp[i]) {
			fprintf(stderr, "# pool %u: %s\n", i, rpmem_errormsg());
			ret = 20;
		}
		if (i == max && (rpp[i] || errno != EMFILE)) {
			fprintf(stderr, "# pool %u over the bound: %s\n", i,
				rpp[i] ? "created" : rpmem_errormsg());
			ret = 21;
		}
	}
	for (unsigned int i = 0; i < 3; i++)
		if (rpp[i])
			rpmem_close(rpp[i]);
	return ret;
}

TEST_F_TIMEOUT(acct, a_process_has_at_most_max_pools_per_process_pools, 300)
{
	unsigned int max = 2;

	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, run("peer %s export-add %s /tmp/%s.img --size 16M >/dev/null",
				 kpmemctl(), extra_exports[i], extra_exports[i]));
	ASSERT_EQ(0, run("echo %u > /sys/module/kpmem/parameters/max_pools_per_process", max));
	/* The one over the bound is refused at home, before anything is sent. */
	EXPECT_EQ(0, as_nobody(pools_case, &max));
	run("echo 64 > /sys/module/kpmem/parameters/max_pools_per_process");
	for (int i = 0; i < 2; i++) {
		rpmem_remove(getenv("KPMEM_VM_PEER_ADDR"), extra_exports[i], RPMEM_REMOVE_FORCE);
		run("peer %s export-remove --force %s >/dev/null", kpmemctl(), extra_exports[i]);
	}
}

TEST_HARNESS_MAIN
