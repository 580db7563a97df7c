// SPDX-License-Identifier: GPL-2.0
/*
 * pmemset_map() on each kind of source: what gets mapped, the descriptor,
 * granularity, sizes and alignment, growing files, and the mapping going
 * away with the set.
 */
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "../lib/pmemset_guest.h"
#include "../lib/pmemset_fail_alloc.h"

FIXTURE(map) {
	struct src_env env;
	struct pmemset *set;
	struct pmemset_source *src;
};

PMEMSET_SOURCE_VARIANTS(map);

FIXTURE_SETUP(map)
{
	ASSERT_EQ(0, env_prepare(variant->kind, &self->env));
	ASSERT_PMEMSET(0, env_set(&self->set, PMEM2_GRANULARITY_PAGE, NULL, NULL, NULL));
	ASSERT_PMEMSET(0, env_source(&self->env, self->env.capacity, &self->src));
}

FIXTURE_TEARDOWN(map)
{
	pmemset_delete(&self->set);
	pmemset_source_delete(&self->src);
	env_cleanup(&self->env);
}

TEST_F(map, map_part_descriptor_is_part)
{
	struct pmemset_part_descriptor d = { 0 };
	size_t part = self->env.part;

	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, part, &d));
	ASSERT_NE(NULL, d.addr);
	ASSERT_EQ(part, d.size);
	/* the mapping is usable and shared with the source */
	memset(d.addr, 0x5a, part);
	ASSERT_PMEMSET(0, pmemset_persist(self->set, d.addr, part));
	{
		char c = 0;

		ASSERT_PMEMSET(0, pmemset_source_pread_mcsafe(self->src, &c, 1, part - 1));
		ASSERT_EQ(0x5a, c);
	}
}

TEST_F(map, map_without_config_maps_whole_source)
{
	struct pmemset_part_descriptor d = { 0 };
	size_t size = 0;
	struct stat st;

	ASSERT_PMEMSET(0, pmemset_map(self->set, self->src, NULL, &d));
	if (self->env.kind == KIND_DEVDAX) {
		struct pmem2_source *p2;
		int fd = open(self->env.path, O_RDONLY);

		/* a character device has no st_size: ask libpmem2 */
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, pmem2_source_from_fd(&p2, fd));
		ASSERT_EQ(0, pmem2_source_size(p2, &size));
		pmem2_source_delete(&p2);
		close(fd);
	} else {
		ASSERT_EQ(0, stat(self->env.path, &st));
		size = (size_t)st.st_size;
	}
	ASSERT_EQ(size, d.size);
}

TEST_F(map, map_from_pmem2_source)
{
	struct pmemset_part_descriptor d = { 0 };
	struct pmemset_source *src;
	struct pmem2_source *p2;
	int fd = open(self->env.path, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pmem2_source_from_fd(&p2, fd));
	ASSERT_PMEMSET(0, pmemset_source_from_pmem2(&src, p2));
	ASSERT_PMEMSET(0, env_map(self->set, src, self->env.part, self->env.part, &d));
	ASSERT_EQ(self->env.part, d.size);
	ASSERT_PMEMSET(0, pmemset_source_delete(&src));
	/* the part outlives the source */
	memset(d.addr, 1, 64);
	ASSERT_PMEMSET(0, pmemset_delete(&self->set));
	pmem2_source_delete(&p2);
	close(fd);
}

TEST_F(map, map_null_source_invalid_type)
{
	ASSERT_PMEMSET(PMEMSET_E_INVALID_SOURCE_TYPE, pmemset_map(self->set, NULL, NULL, NULL));
}

TEST_F(map, granularity_unknown_before_first_map)
{
	enum pmem2_granularity g;

	ASSERT_PMEMSET(PMEMSET_E_NO_PART_MAPPED, pmemset_get_store_granularity(self->set, &g));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, self->env.part, NULL));
	ASSERT_PMEMSET(0, pmemset_get_store_granularity(self->set, &g));
	if (self->env.kind == KIND_FILE) {
		ASSERT_EQ((int)PMEM2_GRANULARITY_PAGE, (int)g);
	} else {
		ASSERT_NE((int)PMEM2_GRANULARITY_PAGE, (int)g);	/* DAX: MAP_SYNC, no msync */
	}
}

TEST_F(map, coarser_granularity_than_required_refused)
{
	struct pmemset *strict;
	enum pmem2_granularity g;

	ASSERT_PMEMSET(0, env_set(&strict, PMEM2_GRANULARITY_CACHE_LINE, NULL, NULL, NULL));
	if (self->env.kind == KIND_FILE) {
		ASSERT_PMEMSET(PMEMSET_E_GRANULARITY_NOT_SUPPORTED,
			       env_map(strict, self->src, 0, self->env.part, NULL));
		ASSERT_EQ(0, count_part_maps(strict));
		ASSERT_PMEMSET(PMEMSET_E_NO_PART_MAPPED, pmemset_get_store_granularity(strict, &g));
	} else {
		ASSERT_PMEMSET(0, env_map(strict, self->src, 0, self->env.part, NULL));
	}
	pmemset_delete(&strict);
}

TEST_F(map, mixed_granularities_mismatch)
{
	struct pmemset_source *other;
	struct src_env tmp;
	char path[300];

	/* pair this variant's source with one of the other granularity */
	ASSERT_EQ(0, env_prepare(self->env.kind == KIND_FILE ? KIND_FSDAX : KIND_FILE, &tmp));
	snprintf(path, sizeof(path), "%s", tmp.path);
	ASSERT_PMEMSET(0, env_source(&tmp, 1 << 20, &other));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, self->env.part, NULL));
	ASSERT_PMEMSET(PMEMSET_E_GRANULARITY_MISMATCH, env_map(self->set, other, 0, 64 << 10, NULL));
	ASSERT_EQ(1, count_part_maps(self->set));
	pmemset_source_delete(&other);
	env_cleanup(&tmp);
}

TEST_F(map, unaligned_length_refused)
{
	ASSERT_PMEMSET(PMEMSET_E_LENGTH_UNALIGNED,
		       env_map(self->set, self->src, 0, self->env.part - 1, NULL));
	ASSERT_EQ(0, count_part_maps(self->set));
}

TEST_F(map, whole_file_of_unaligned_size_refused)
{
	struct pmemset_source *src;

	if (self->env.kind == KIND_DEVDAX) {
		/* a device has an aligned size: the same check through the length */
		ASSERT_PMEMSET(PMEMSET_E_LENGTH_UNALIGNED,
			       env_map(self->set, self->src, 0, self->env.part + 4096, NULL));
		return;
	}
	pmemset_source_delete(&self->src);
	ASSERT_PMEMSET(0, env_source(&self->env, (16 << 20) - 1, &src));
	ASSERT_PMEMSET(PMEMSET_E_LENGTH_UNALIGNED, pmemset_map(self->set, src, NULL, NULL));
	pmemset_source_delete(&src);
}

TEST_F(map, unaligned_offset_refused)
{
	ASSERT_PMEMSET(PMEMSET_E_INVALID_OFFSET_VALUE,
		       env_map(self->set, self->src, 512, self->env.part, NULL));
}

TEST_F(map, length_unset_on_empty_source_refused)
{
	struct pmemset_source *tmp;

	ASSERT_PMEMSET(0, pmemset_source_from_temporary(&tmp, self->env.dir));
	ASSERT_PMEMSET(PMEMSET_E_MAP_LENGTH_UNSET, pmemset_map(self->set, tmp, NULL, NULL));
	pmemset_source_delete(&tmp);
}

TEST_F(map, temporary_source_grows_on_map)
{
	struct pmemset_part_descriptor d;
	struct pmemset_source *tmp;
	char buf[8] = "";

	if (self->env.kind == KIND_DEVDAX) {
		/* device DAX has no directory: temporary files live in /tmp */
		ASSERT_PMEMSET(0, pmemset_source_from_temporary(&tmp, "/tmp"));
	} else {
		ASSERT_PMEMSET(0, pmemset_source_from_temporary(&tmp, self->env.dir));
	}
	ASSERT_PMEMSET(0, env_map(self->set, tmp, 0, 2 * (64 << 10), &d));
	ASSERT_EQ((size_t)(128 << 10), d.size);
	memcpy(d.addr, "temp", 5);
	ASSERT_PMEMSET(0, pmemset_persist(self->set, d.addr, 5));
	ASSERT_PMEMSET(0, pmemset_source_pread_mcsafe(tmp, buf, 5, 0));
	ASSERT_STREQ("temp", buf);
	pmemset_source_delete(&tmp);
}

TEST_F(map, temporary_source_cannot_grow_to_size_max)
{
	struct pmemset_source *tmp;

	ASSERT_PMEMSET(0, pmemset_source_from_temporary(&tmp, self->env.kind == KIND_DEVDAX ?
							"/tmp" : self->env.dir));
	ASSERT_PMEMSET(PMEMSET_E_CANNOT_GROW_SOURCE_FILE, env_map(self->set, tmp, 0, SIZE_MAX, NULL));
	pmemset_source_delete(&tmp);
}

TEST_F(map, file_grows_unless_do_not_grow)
{
	struct pmemset_source *src;
	struct stat st;
	size_t part = 64 << 10;

	if (self->env.kind == KIND_DEVDAX) {
		/* a device never grows: mapping past its end fails */
		ASSERT_NE(0, env_map(self->set, self->src, 0, (size_t)1 << 40, NULL));
		ASSERT_NE(0, (int)strlen(pmemset_errormsg()));
		return;
	}
	pmemset_source_delete(&self->src);
	ASSERT_PMEMSET(0, env_source(&self->env, 0, &src));
	ASSERT_PMEMSET(0, env_map(self->set, src, 0, part, NULL));
	ASSERT_EQ(0, stat(self->env.path, &st));
	ASSERT_EQ((off_t)part, st.st_size);
	ASSERT_PMEMSET(0, env_map(self->set, src, part, part, NULL));
	ASSERT_EQ(0, stat(self->env.path, &st));
	ASSERT_EQ((off_t)(2 * part), st.st_size);
	pmemset_source_delete(&src);

	ASSERT_PMEMSET(0, pmemset_xsource_from_file(&src, self->env.path, PMEMSET_SOURCE_FILE_DO_NOT_GROW));
	ASSERT_PMEMSET(PMEMSET_E_SOURCE_FILE_IS_TOO_SMALL, env_map(self->set, src, 0, 4 * part, NULL));
	ASSERT_PMEMSET(0, env_map(self->set, src, 0, 2 * part, NULL));
	ASSERT_EQ(0, stat(self->env.path, &st));
	ASSERT_EQ((off_t)(2 * part), st.st_size);
	pmemset_source_delete(&src);
}

TEST_F(map, do_not_grow_empty_file_too_small)
{
	struct pmemset_source *src;

	if (self->env.kind == KIND_DEVDAX) {
		ASSERT_PMEMSET(0, pmemset_xsource_from_file(&src, self->env.path,
				  PMEMSET_SOURCE_FILE_DO_NOT_GROW));
		ASSERT_PMEMSET(0, env_map(self->set, src, 0, self->env.part, NULL));
		pmemset_source_delete(&src);
		return;
	}
	ASSERT_PMEMSET(0, pmemset_xsource_from_file(&src, self->env.path,
			  PMEMSET_SOURCE_FILE_CREATE_ALWAYS | PMEMSET_SOURCE_FILE_DO_NOT_GROW));
	ASSERT_PMEMSET(PMEMSET_E_SOURCE_FILE_IS_TOO_SMALL, env_map(self->set, src, 0, 64 << 10, NULL));
	ASSERT_PMEMSET(PMEMSET_E_MAP_LENGTH_UNSET, pmemset_map(self->set, src, NULL, NULL));
	pmemset_source_delete(&src);
}

TEST_F(map, parts_are_unmapped_by_set_delete)
{
	struct pmemset_part_descriptor d;
	int status;
	pid_t pid;

	/* in a child: the set belongs to the process that created it */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct pmemset *set;
		volatile char *p;

		if (env_set(&set, PMEM2_GRANULARITY_PAGE, NULL, NULL, NULL) ||
		    env_map(set, self->src, 0, self->env.part, &d))
			_exit(2);
		p = d.addr;
		p[0] = 1;
		pmemset_delete(&set);
		p[0] = 2;	/* must fault */
		_exit(3);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("status 0x%x", status);
	ASSERT_EQ(SIGSEGV, WTERMSIG(status));
}

TEST_F(map, set_is_refused_in_forked_child)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int r = env_map(self->set, self->src, 0, self->env.part, NULL);

		_exit(r == -EPERM && strlen(pmemset_errormsg()) ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
}

/*
 * PMDK's test_part_map_enomem: a map that cannot allocate its part map
 * fails with -ENOMEM and leaves nothing behind.  Extending a part map
 * allocates only inside libpmem2, whose failures PMDK reports as
 * INVALID_PMEM2_MAP; the part map keeps its size and the set works
 * normally afterwards.  On device DAX libpmem2 reads the source's size
 * through libndctl, which needs memory first and fails in its own way
 * (as it would under PMDK): only "fails, changes nothing" is checked there.
 */
TEST_F(map, map_without_memory_is_enomem_and_maps_nothing)
{
	bool devdax = self->env.kind == KIND_DEVDAX;
	struct pmemset_map_config *mc;
	struct pmemset_part_descriptor d;
	struct pmemset_part_map *pm;
	size_t part = self->env.part;
	int ret;

	/* libpmem2 allocates its message buffer at its first error, or aborts */
	(void)pmem2_errormsg();
	ASSERT_PMEMSET(0, pmemset_map_config_new(&mc));
	pmemset_map_config_set_length(mc, part);
	ret = WITHOUT_MEMORY(pmemset_map(self->set, self->src, mc, &d));
	ASSERT_TRUE(devdax ? ret != 0 : ret == -ENOMEM) TH_LOG("%d: %s", ret, pmemset_errormsg());
	ASSERT_NE(0, (int)strlen(pmemset_errormsg()));
	ASSERT_EQ(0, count_part_maps(self->set));

	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set, PMEMSET_COALESCING_FULL));
	ASSERT_PMEMSET(0, pmemset_map(self->set, self->src, mc, &d));
	ASSERT_EQ(part, d.size);
	ret = WITHOUT_MEMORY(pmemset_map(self->set, self->src, mc, NULL));
	ASSERT_TRUE(devdax ? ret != 0 : ret == PMEMSET_E_INVALID_PMEM2_MAP)
		TH_LOG("%d: %s", ret, pmemset_errormsg());
	ASSERT_EQ(1, count_part_maps(self->set));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, d.addr));
	ASSERT_EQ(part, pmemset_descriptor_part_map(pm).size);
	pmemset_part_map_drop(&pm);
	ASSERT_PMEMSET(0, pmemset_map(self->set, self->src, mc, &d));
	ASSERT_EQ(2 * part, d.size);
	memset(d.addr, 6, d.size);
	pmemset_map_config_delete(&mc);
}

/*
 * A pmem2 source on a descriptor opened read-only cannot be mapped for
 * writing: PMDK reports every failure to create the mapping as
 * INVALID_PMEM2_MAP.
 */
TEST_F(map, read_only_pmem2_source_is_invalid_pmem2_map)
{
	struct pmemset_source *src;
	struct pmem2_source *p2;
	int fd = open(self->env.path, O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pmem2_source_from_fd(&p2, fd));
	ASSERT_PMEMSET(0, pmemset_source_from_pmem2(&src, p2));
	ASSERT_PMEMSET(PMEMSET_E_INVALID_PMEM2_MAP, env_map(self->set, src, 0, self->env.part, NULL));
	ASSERT_EQ(0, count_part_maps(self->set));
	pmemset_source_delete(&src);
	pmem2_source_delete(&p2);
	close(fd);
}

TEST_HARNESS_MAIN
