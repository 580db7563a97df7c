// SPDX-License-Identifier: GPL-2.0
/*
 * Persistence: data written through a set reaches the source; on DAX parts
 * persist, flush, drain and the memory operations make no system call at
 * all (they run under a seccomp filter that kills on msync, fsync and
 * friends), while page-granularity parts msync; deep flush per part.
 */
#include <dlfcn.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "../lib/pmemset_guest.h"

FIXTURE(persist) {
	struct src_env env;
	struct pmemset *set;
	struct pmemset_source *src;
};

PMEMSET_SOURCE_VARIANTS(persist);

FIXTURE_SETUP(persist)
{
	ASSERT_EQ(0, env_prepare(variant->kind, &self->env));
	ASSERT_PMEMSET(0, env_set(&self->set, PMEM2_GRANULARITY_PAGE, NULL, NULL, NULL));
	ASSERT_PMEMSET(0, env_source(&self->env, self->env.capacity, &self->src));
}

FIXTURE_TEARDOWN(persist)
{
	pmemset_delete(&self->set);
	pmemset_source_delete(&self->src);
	env_cleanup(&self->env);
}

/* SIGSYS on any system call that could be a persistence fallback. */
static int forbid_sync_syscalls(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_msync, 6, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fsync, 5, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_fdatasync, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sync_file_range, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_syncfs, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* Run every persistence entry point in a child under the filter. */
static int persist_under_filter(struct pmemset *set, char *p, size_t len)
{
	char buf[4096];
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		memset(buf, 0xab, sizeof(buf));
		if (forbid_sync_syscalls())
			_exit(2);
		p[0] = 1;
		pmemset_persist(set, p, 64);
		pmemset_flush(set, p, 64);
		pmemset_drain(set);
		pmemset_memcpy(set, p, buf, sizeof(buf), 0);
		pmemset_memmove(set, p + 7, p, len / 2, 0);
		pmemset_memset(set, p, 0, len, PMEMSET_F_MEM_NONTEMPORAL);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

TEST_F(persist, dax_persistence_makes_no_syscall)
{
	struct pmemset_part_descriptor d;
	int status;

	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, self->env.part, &d));
	status = persist_under_filter(self->set, d.addr, d.size);
	if (self->env.kind == KIND_FILE) {
		/* page cache: persistence is msync, which the filter kills */
		ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("status 0x%x", status);
		ASSERT_EQ(SIGSYS, WTERMSIG(status));
	} else {
		ASSERT_EQ(0, status) TH_LOG("status 0x%x: a system call on a DAX part", status);
	}
}

TEST_F(persist, persisted_data_reaches_the_source)
{
	struct pmemset_part_descriptor d[2];
	char msg[] = "persisted through kpmem", buf[sizeof(msg)] = "";
	size_t part = self->env.part;

	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, part, &d[0]));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, part, part, &d[1]));
	memcpy((char *)d[1].addr + 100, msg, sizeof(msg));
	ASSERT_PMEMSET(0, pmemset_persist(self->set, (char *)d[1].addr + 100, sizeof(msg)));
	memcpy(d[0].addr, msg, sizeof(msg));
	ASSERT_PMEMSET(0, pmemset_flush(self->set, d[0].addr, sizeof(msg)));
	ASSERT_PMEMSET(0, pmemset_drain(self->set));
	ASSERT_PMEMSET(0, pmemset_delete(&self->set));
	ASSERT_PMEMSET(0, pmemset_source_pread_mcsafe(self->src, buf, sizeof(buf), part + 100));
	ASSERT_STREQ(msg, buf);
	ASSERT_PMEMSET(0, pmemset_source_pread_mcsafe(self->src, buf, sizeof(buf), 0));
	ASSERT_STREQ(msg, buf);
}

TEST_F(persist, deep_flush_of_mapped_and_unmapped_ranges)
{
	struct pmemset_part_descriptor d;
	size_t part = self->env.part;
	char outside;

	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set, PMEMSET_COALESCING_FULL));
	for (int i = 0; i < 4; i++)
		ASSERT_PMEMSET(0, env_map(self->set, self->src, (size_t)i * part, part, &d));
	memset(d.addr, 3, d.size);
	ASSERT_PMEMSET(0, pmemset_deep_flush(self->set, d.addr, d.size));
	ASSERT_PMEMSET(0, pmemset_deep_flush(self->set, (char *)d.addr + part / 2, 2 * part));
	ASSERT_PMEMSET(0, pmemset_deep_flush(self->set, (char *)d.addr + 4096, 64));
	ASSERT_PMEMSET(0, pmemset_deep_flush(self->set, &outside, 1));
}

/*
 * Calls into libpmem2's deep flush, counted: the program's definition
 * interposes libpmem2's for libpmemset (as PMDK's test mocks it).
 */
static int deep_flushes;

int pmem2_deep_flush(struct pmem2_map *map, void *ptr, size_t size)
{
	static int (*real)(struct pmem2_map *, void *, size_t);

	if (!real)
		real = (int (*)(struct pmem2_map *, void *, size_t))dlsym(RTLD_NEXT, "pmem2_deep_flush");
	deep_flushes++;
	return real ? real(map, ptr, size) : -ENOSYS;
}

/* deep_flush(offset, len) in parts from @base; Return: libpmem2 calls made. */
static int df_calls(struct pmemset *set, char *base, double off, double len, size_t part)
{
	deep_flushes = 0;
	if (pmemset_deep_flush(set, base + (ptrdiff_t)(off * (double)part), (size_t)(len * (double)part)))
		return -1;
	return deep_flushes;
}

/*
 * PMDK's pmemset_deep_flush tests: on DAX parts one libpmem2 deep flush per
 * part the range touches, clipped to it, none outside the parts.  Page-cache
 * parts are msync'ed by the library itself (see README, libpmem2
 * workaround), so they make no libpmem2 call.
 */
TEST_F_TIMEOUT(persist, deep_flush_once_per_part_touched, 300)
{
	struct pmemset_part_descriptor d, other;
	size_t part = self->env.part;
	bool dax = self->env.kind != KIND_FILE;
	char *b, *lo, *hi;

	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set, PMEMSET_COALESCING_FULL));
	for (int i = 0; i < 8; i++)
		ASSERT_PMEMSET(0, env_map(self->set, self->src, (size_t)i * part, part, &d));
	ASSERT_EQ(8 * part, d.size);
	b = d.addr;
	ASSERT_EQ(dax ? 8 : 0, df_calls(self->set, b, 0, 8, part));
	ASSERT_EQ(dax ? 4 : 0, df_calls(self->set, b, 4, 8, part));
	ASSERT_EQ(dax ? 3 : 0, df_calls(self->set, b, 0.5, 2, part));
	ASSERT_EQ(dax ? 1 : 0, df_calls(self->set, b, 2.25, 0.25, part));
	ASSERT_EQ(dax ? 3 : 0, df_calls(self->set, b, 1.5, 2, part));
	ASSERT_EQ(dax ? 1 : 0, df_calls(self->set, b, 5, 1, part));
	ASSERT_EQ(dax ? 2 : 0, df_calls(self->set, b, 5, 1.5, part));
	ASSERT_EQ(dax ? 8 : 0, df_calls(self->set, b, 0, 9, part));
	ASSERT_EQ(0, df_calls(self->set, b, -1, 0.5, part));
	ASSERT_EQ(0, df_calls(self->set, b, 8, 1, part));

	/* two part maps apart, one range over both and what lies between */
	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set, PMEMSET_COALESCING_NONE));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 8 * part, part, &other));
	lo = (char *)other.addr < b ? other.addr : b;
	hi = (char *)other.addr < b ? b + 8 * part : (char *)other.addr + part;
	deep_flushes = 0;
	ASSERT_PMEMSET(0, pmemset_deep_flush(self->set, lo, (size_t)(hi - lo)));
	ASSERT_EQ(dax ? 9 : 0, deep_flushes);
}

TEST_F(persist, persist_before_any_part_is_harmless)
{
	char buf[64];

	ASSERT_PMEMSET(0, pmemset_persist(self->set, buf, sizeof(buf)));
	ASSERT_PMEMSET(0, pmemset_flush(self->set, buf, sizeof(buf)));
	ASSERT_PMEMSET(0, pmemset_drain(self->set));
	ASSERT_EQ((void *)buf, pmemset_memset(self->set, buf, 1, sizeof(buf), 0));
	ASSERT_EQ(1, buf[63]);
}

TEST_HARNESS_MAIN
