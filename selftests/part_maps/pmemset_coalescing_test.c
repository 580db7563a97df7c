// SPDX-License-Identifier: GPL-2.0
/*
 * Contiguous part coalescing: FULL and OPPORTUNISTIC extend the previous
 * part map, NONE never does, FULL fails when the space after the previous
 * part map is taken, and removal works on coalesced part maps.
 */
#include <stdbool.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "../lib/pmemset_guest.h"

FIXTURE(coal) {
	struct src_env env;
	struct pmemset *set;
	struct pmemset_source *src;
};

PMEMSET_SOURCE_VARIANTS(coal);

FIXTURE_SETUP(coal)
{
	ASSERT_EQ(0, env_prepare(variant->kind, &self->env));
	ASSERT_PMEMSET(0, env_set(&self->set, PMEM2_GRANULARITY_PAGE, NULL, NULL, NULL));
	ASSERT_PMEMSET(0, env_source(&self->env, self->env.capacity, &self->src));
}

FIXTURE_TEARDOWN(coal)
{
	pmemset_delete(&self->set);
	pmemset_source_delete(&self->src);
	env_cleanup(&self->env);
}

TEST_F(coal, invalid_coalescing_value_refused)
{
	ASSERT_PMEMSET(PMEMSET_E_INVALID_COALESCING_VALUE,
		       pmemset_set_contiguous_part_coalescing(self->set, (enum pmemset_coalescing)3));
	ASSERT_PMEMSET(PMEMSET_E_INVALID_COALESCING_VALUE,
		       pmemset_set_contiguous_part_coalescing(self->set, (enum pmemset_coalescing)-1));
}

TEST_F(coal, full_coalescing_before_mapping_makes_one_part_map)
{
	struct pmemset_part_descriptor d1, d2;
	size_t part = self->env.part;

	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set, PMEMSET_COALESCING_FULL));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, part, &d1));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, part, part, &d2));
	ASSERT_EQ(1, count_part_maps(self->set));
	/* the descriptor is the whole coalesced part map */
	ASSERT_EQ(d1.addr, d2.addr);
	ASSERT_EQ(2 * part, d2.size);
	/* and it is contiguous: the second part follows the first */
	memset(d2.addr, 0x11, 2 * part);
	ASSERT_PMEMSET(0, pmemset_persist(self->set, d2.addr, 2 * part));
}

TEST_F(coal, full_coalescing_after_first_map_extends_it)
{
	struct pmemset_part_descriptor d1, d2;
	size_t part = self->env.part;

	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, part, &d1));
	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set, PMEMSET_COALESCING_FULL));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, part, part, &d2));
	ASSERT_EQ(1, count_part_maps(self->set));
	ASSERT_EQ(d1.addr, d2.addr);
	ASSERT_EQ(2 * part, d2.size);
}

TEST_F(coal, opportunistic_coalescing_extends_when_free)
{
	struct pmemset_part_descriptor d1, d2;
	size_t part = self->env.part;

	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set,
			  PMEMSET_COALESCING_OPPORTUNISTIC));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, part, &d1));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, part, part, &d2));
	ASSERT_EQ(1, count_part_maps(self->set));
	ASSERT_EQ(2 * part, d2.size);
}

TEST_F(coal, no_coalescing_keeps_part_maps_apart)
{
	struct pmemset_part_descriptor d1, d2;
	size_t part = self->env.part;

	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, part, &d1));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, part, part, &d2));
	ASSERT_EQ(2, count_part_maps(self->set));
	ASSERT_EQ(part, d2.size);
}

/* Is @addr inside a PROT_NONE private mapping (the library's headroom)? */
static bool in_reservation(void *addr)
{
	unsigned long a = (unsigned long)addr, lo, hi;
	char line[512], perms[8];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && a >= lo && a < hi)
			found = strcmp(perms, "---p") == 0;
	if (f)
		fclose(f);
	return found;
}

/*
 * Occupy the page right after @d with an ordinary mapping, so the next part
 * cannot follow it: either a free page, or a page of the library's own
 * headroom reservation, which is replaced.
 */
static void *block_after(struct pmemset_part_descriptor *d)
{
	void *want = (char *)d->addr + d->size;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *p;

	flags |= in_reservation(want) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
	p = mmap(want, 4096, PROT_READ, flags, -1, 0);
	return p == want ? p : NULL;
}

static size_t part_map_size(struct pmemset *set, void *addr)
{
	struct pmemset_part_map *pm;
	size_t size;

	if (pmemset_part_map_by_address(set, &pm, addr))
		return 0;
	size = pmemset_descriptor_part_map(pm).size;
	pmemset_part_map_drop(&pm);
	return size;
}

TEST_F(coal, full_coalescing_blocked_cannot_coalesce)
{
	struct pmemset_part_descriptor d1;
	size_t part = self->env.part;
	void *blocker;

	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set, PMEMSET_COALESCING_FULL));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, part, &d1));
	blocker = block_after(&d1);
	ASSERT_NE(NULL, blocker);
	ASSERT_PMEMSET(PMEMSET_E_CANNOT_COALESCE_PARTS, env_map(self->set, self->src, part, part, NULL));
	ASSERT_EQ(1, count_part_maps(self->set));
	ASSERT_EQ(part, part_map_size(self->set, d1.addr));
	munmap(blocker, 4096);
}

TEST_F(coal, opportunistic_coalescing_blocked_makes_new_part_map)
{
	struct pmemset_part_descriptor d1, d2;
	size_t part = self->env.part;
	void *blocker;

	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set,
			  PMEMSET_COALESCING_OPPORTUNISTIC));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, part, &d1));
	blocker = block_after(&d1);
	ASSERT_NE(NULL, blocker);
	ASSERT_PMEMSET(0, env_map(self->set, self->src, part, part, &d2));
	ASSERT_EQ(2, count_part_maps(self->set));
	ASSERT_EQ(part, d2.size);
	ASSERT_NE(d1.addr, d2.addr);
	munmap(blocker, 4096);
}

TEST_F(coal, remove_coalesced_part_map_removes_all_parts)
{
	struct pmemset_part_descriptor d;
	struct pmemset_part_map *pm;
	size_t part = self->env.part;

	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set, PMEMSET_COALESCING_FULL));
	for (int i = 0; i < 3; i++)
		ASSERT_PMEMSET(0, env_map(self->set, self->src, (size_t)i * part, part, &d));
	ASSERT_EQ(3 * part, d.size);
	pmemset_first_part_map(self->set, &pm);
	ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
	ASSERT_EQ(0, count_part_maps(self->set));
	ASSERT_EQ(-1, msync((char *)d.addr + 2 * part, 4096, MS_ASYNC));
}

TEST_F(coal, full_coalescing_after_removing_first_part_map)
{
	struct pmemset_part_descriptor d1, d2, d3;
	struct pmemset_part_map *pm;
	size_t part = self->env.part;

	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, part, &d1));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, part, part, &d2));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, d1.addr));
	ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set, PMEMSET_COALESCING_FULL));
	/* the second part map is still the previous one: extend it */
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 2 * part, part, &d3));
	ASSERT_EQ(d2.addr, d3.addr);
	ASSERT_EQ(2 * part, d3.size);
	ASSERT_EQ(1, count_part_maps(self->set));
}

TEST_F(coal, full_coalescing_after_removing_second_part_map)
{
	struct pmemset_part_descriptor d1, d2, d3;
	struct pmemset_part_map *pm;
	size_t part = self->env.part;

	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, part, &d1));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, part, part, &d2));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, d2.addr));
	ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set, PMEMSET_COALESCING_FULL));
	/* the previous part map is gone: its neighbour (the first) is extended */
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 2 * part, part, &d3));
	ASSERT_EQ(d1.addr, d3.addr);
	ASSERT_EQ(2 * part, d3.size);
	ASSERT_EQ(1, count_part_maps(self->set));
}

TEST_HARNESS_MAIN
