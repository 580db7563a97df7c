// SPDX-License-Identifier: GPL-2.0
/*
 * Part maps: iteration in address order, lookup by address, descriptors,
 * references (drop), and pmemset_remove_part_map() with its reference rule.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "../lib/pmemset_guest.h"

FIXTURE(part) {
	struct src_env env;
	struct pmemset *set;
	struct pmemset_source *src;
	struct event_log log;
};

PMEMSET_SOURCE_VARIANTS(part);

FIXTURE_SETUP(part)
{
	memset(&self->log, 0, sizeof(self->log));
	ASSERT_EQ(0, env_prepare(variant->kind, &self->env));
	ASSERT_PMEMSET(0, env_set(&self->set, PMEM2_GRANULARITY_PAGE, record_event, &self->log, NULL));
	ASSERT_PMEMSET(0, env_source(&self->env, self->env.capacity, &self->src));
}

FIXTURE_TEARDOWN(part)
{
	pmemset_delete(&self->set);
	pmemset_source_delete(&self->src);
	env_cleanup(&self->env);
}

static int map_parts(struct pmemset *set, struct pmemset_source *src, size_t part, int n,
		     struct pmemset_part_descriptor *d)
{
	for (int i = 0; i < n; i++) {
		int ret = env_map(set, src, (size_t)i * part, part, &d[i]);

		if (ret)
			return ret;
	}
	return 0;
}

TEST_F(part, first_part_map_is_lowest_address)
{
	struct pmemset_part_descriptor d[3], got;
	struct pmemset_part_map *pm = (void *)1;
	void *lowest;

	pmemset_first_part_map(self->set, &pm);
	ASSERT_EQ(NULL, pm);
	ASSERT_PMEMSET(0, map_parts(self->set, self->src, self->env.part, 3, d));
	lowest = d[0].addr;
	for (int i = 1; i < 3; i++)
		if (d[i].addr < lowest)
			lowest = d[i].addr;
	pmemset_first_part_map(self->set, &pm);
	ASSERT_NE(NULL, pm);
	got = pmemset_descriptor_part_map(pm);
	ASSERT_EQ(lowest, got.addr);
	ASSERT_EQ(self->env.part, got.size);
	pmemset_part_map_drop(&pm);
	ASSERT_EQ(NULL, pm);
}

TEST_F(part, next_part_map_walks_in_address_order)
{
	struct pmemset_part_descriptor d[4];
	struct pmemset_part_map *pm, *next;
	char *prev = NULL;
	int n = 0;

	ASSERT_PMEMSET(0, map_parts(self->set, self->src, self->env.part, 4, d));
	pmemset_first_part_map(self->set, &pm);
	while (pm) {
		struct pmemset_part_descriptor cur = pmemset_descriptor_part_map(pm);

		ASSERT_LT(prev, (char *)cur.addr);
		prev = cur.addr;
		n++;
		pmemset_next_part_map(self->set, pm, &next);
		pmemset_part_map_drop(&pm);
		pm = next;
	}
	ASSERT_EQ(4, n);
}

TEST_F(part, part_map_by_address_finds_each_part_map)
{
	struct pmemset_part_descriptor d[3];
	struct pmemset_part_map *pm;

	ASSERT_PMEMSET(0, map_parts(self->set, self->src, self->env.part, 3, d));
	for (int i = 0; i < 3; i++) {
		ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, d[i].addr));
		ASSERT_EQ(d[i].addr, pmemset_descriptor_part_map(pm).addr);
		pmemset_part_map_drop(&pm);
		/* any address inside works */
		ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm,
				  (char *)d[i].addr + d[i].size - 1));
		ASSERT_EQ(d[i].addr, pmemset_descriptor_part_map(pm).addr);
		pmemset_part_map_drop(&pm);
	}
	pm = (void *)1;
	ASSERT_PMEMSET(PMEMSET_E_CANNOT_FIND_PART_MAP,
		       pmemset_part_map_by_address(self->set, &pm, (void *)0x999));
	ASSERT_EQ(NULL, pm);
}

TEST_F(part, remove_part_map_unmaps_and_fires_part_remove)
{
	struct pmemset_part_descriptor d[2];
	struct pmemset_part_map *pm;

	ASSERT_PMEMSET(0, map_parts(self->set, self->src, self->env.part, 2, d));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, d[0].addr));
	self->log.n = 0;
	ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
	ASSERT_EQ(NULL, pm);
	ASSERT_EQ(1, count_part_maps(self->set));
	ASSERT_PMEMSET(PMEMSET_E_CANNOT_FIND_PART_MAP, pmemset_part_map_by_address(self->set, &pm, d[0].addr));
	ASSERT_LE(1, self->log.n);
	ASSERT_EQ((int)PMEMSET_EVENT_PART_REMOVE, (int)self->log.ev[0].type);
	ASSERT_EQ(d[0].addr, self->log.ev[0].data.part_remove.addr);
	ASSERT_EQ(d[0].size, self->log.ev[0].data.part_remove.len);
	/* nothing is mapped there any more */
	ASSERT_EQ(-1, msync(d[0].addr, 4096, MS_ASYNC));
	ASSERT_EQ(ENOMEM, errno);
}

TEST_F(part, remove_referenced_part_map_possible_use_after_drop)
{
	struct pmemset_part_descriptor d;
	struct pmemset_part_map *pm, *again;

	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, self->env.part, &d));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, d.addr));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &again, d.addr));
	ASSERT_EQ(pm, again);
	ASSERT_PMEMSET(PMEMSET_E_PART_MAP_POSSIBLE_USE_AFTER_DROP, pmemset_remove_part_map(self->set, &pm));
	ASSERT_NE(NULL, pm);
	ASSERT_EQ(1, count_part_maps(self->set));
	pmemset_part_map_drop(&again);
	ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
	ASSERT_EQ(0, count_part_maps(self->set));
}

TEST_F(part, remove_part_map_of_other_set_not_found)
{
	struct pmemset_part_descriptor d;
	struct pmemset_part_map *pm;
	struct pmemset *other;

	ASSERT_PMEMSET(0, env_set(&other, PMEM2_GRANULARITY_PAGE, NULL, NULL, NULL));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, self->env.part, &d));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, d.addr));
	ASSERT_PMEMSET(PMEMSET_E_PART_NOT_FOUND, pmemset_remove_part_map(other, &pm));
	pmemset_part_map_drop(&pm);
	pmemset_delete(&other);
}

TEST_F_TIMEOUT(part, remove_many_part_maps_from_the_middle, 300)
{
	int n = (int)(self->env.capacity / self->env.part);
	struct pmemset_part_descriptor *d;

	if (n > 100)
		n = 100;
	d = calloc((size_t)n, sizeof(*d));
	ASSERT_NE(NULL, d);
	ASSERT_PMEMSET(0, map_parts(self->set, self->src, self->env.part, n, d));
	ASSERT_EQ(n, count_part_maps(self->set));
	for (int i = n / 4; i < 3 * n / 4; i++) {
		struct pmemset_part_map *pm;

		ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, d[i].addr));
		ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
	}
	ASSERT_EQ(n - (3 * n / 4 - n / 4), count_part_maps(self->set));
	/* the remaining ones still hold their data */
	for (int i = 0; i < n / 4; i++)
		((char *)d[i].addr)[0] = (char)i;
	free(d);
}

/*
 * PMDK's test_remove_multiple_part_maps: walk to the middle part map with
 * first/next, dropping each reference on the way, and remove it with the
 * one reference left; repeat until the set is empty.
 */
TEST_F_TIMEOUT(part, remove_middle_part_map_found_by_walking, 300)
{
	int n = (int)(self->env.capacity / self->env.part);
	struct pmemset_part_map *pm, *next;
	struct pmemset_part_descriptor d;

	if (n > 20)
		n = 20;
	for (int i = 0; i < n; i++)
		ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, self->env.part, &d));
	while (n) {
		pmemset_first_part_map(self->set, &pm);
		ASSERT_NE(NULL, pm);
		for (int i = 0; i < n / 2; i++) {
			pmemset_next_part_map(self->set, pm, &next);
			ASSERT_NE(NULL, next);
			pmemset_part_map_drop(&pm);
			pm = next;
		}
		ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
		ASSERT_EQ(NULL, pm);
		n--;
		ASSERT_EQ(n, count_part_maps(self->set));
	}
	pmemset_first_part_map(self->set, &pm);
	ASSERT_EQ(NULL, pm);
}

/*
 * PMDK's test_part_map_next: two parts of different sizes from the same
 * offset; the lower one comes first and each keeps its size.
 */
TEST_F(part, part_maps_of_one_offset_keep_their_sizes)
{
	struct pmemset_part_descriptor d[2], a, b;
	struct pmemset_part_map *pm, *next;
	size_t part = self->env.part;

	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, part, &d[0]));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, 2 * part, &d[1]));
	pmemset_first_part_map(self->set, &pm);
	ASSERT_NE(NULL, pm);
	pmemset_next_part_map(self->set, pm, &next);
	ASSERT_NE(NULL, next);
	a = pmemset_descriptor_part_map(pm);
	b = pmemset_descriptor_part_map(next);
	ASSERT_LT((char *)a.addr, (char *)b.addr);
	ASSERT_NE(a.size, b.size);
	ASSERT_EQ(3 * part, a.size + b.size);
	/* both show the same bytes of the source */
	((char *)d[0].addr)[100] = 'q';
	ASSERT_PMEMSET(0, pmemset_persist(self->set, (char *)d[0].addr + 100, 1));
	ASSERT_EQ('q', ((volatile char *)d[1].addr)[100]);
	pmemset_part_map_drop(&pm);
	pmemset_part_map_drop(&next);
}

TEST_F(part, drop_leaves_part_map_in_set)
{
	struct pmemset_part_descriptor d;
	struct pmemset_part_map *pm;

	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, self->env.part, &d));
	pmemset_first_part_map(self->set, &pm);
	ASSERT_NE(NULL, pm);
	pmemset_part_map_drop(&pm);
	ASSERT_EQ(NULL, pm);
	pmemset_part_map_drop(&pm);
	ASSERT_EQ(1, count_part_maps(self->set));
	memset(d.addr, 0, 64);
}

TEST_HARNESS_MAIN
