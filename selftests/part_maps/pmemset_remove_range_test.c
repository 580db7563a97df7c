// SPDX-License-Identifier: GPL-2.0
/*
 * pmemset_remove_range() as pmemset_remove_range(3) documents it: every part
 * the range touches goes (whole), coalesced part maps are trimmed or split,
 * a referenced part map refuses, and a range touching nothing fails.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "../lib/pmemset_guest.h"

FIXTURE(rr) {
	struct src_env env;
	struct pmemset *set;
	struct pmemset_source *src;
	struct event_log log;
};

PMEMSET_SOURCE_VARIANTS(rr);

FIXTURE_SETUP(rr)
{
	memset(&self->log, 0, sizeof(self->log));
	ASSERT_EQ(0, env_prepare(variant->kind, &self->env));
	ASSERT_PMEMSET(0, env_set(&self->set, PMEM2_GRANULARITY_PAGE, record_event, &self->log, NULL));
	ASSERT_PMEMSET(0, env_source(&self->env, self->env.capacity, &self->src));
}

FIXTURE_TEARDOWN(rr)
{
	pmemset_delete(&self->set);
	pmemset_source_delete(&self->src);
	env_cleanup(&self->env);
}

/* Map @n parts with coalescing @c; *whole gets the last descriptor. */
static int map_n(struct pmemset *set, struct pmemset_source *src, size_t part, int n,
		 enum pmemset_coalescing c, struct pmemset_part_descriptor *d)
{
	int ret = pmemset_set_contiguous_part_coalescing(set, c);

	for (int i = 0; i < n && !ret; i++)
		ret = env_map(set, src, (size_t)i * part, part, &d[i]);
	return ret;
}

static bool mapped(void *addr)
{
	unsigned char v;

	return mincore((void *)((unsigned long)addr & ~4095UL), 4096, &v) == 0 &&
	       !(msync((void *)((unsigned long)addr & ~4095UL), 4096, MS_ASYNC) && errno == ENOMEM);
}

static int count_type(struct event_log *log, enum pmemset_event t)
{
	int n = 0;

	for (int i = 0; i < log->n; i++)
		n += log->ev[i].type == t;
	return n;
}

TEST_F(rr, remove_two_ranges_removes_both_part_maps)
{
	struct pmemset_part_descriptor d[2];
	size_t part = self->env.part;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, part, 2, PMEMSET_COALESCING_NONE, d));
	self->log.n = 0;
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, d[0].addr, d[0].size));
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, d[1].addr, d[1].size));
	ASSERT_EQ(0, count_part_maps(self->set));
	ASSERT_EQ(2, count_type(&self->log, PMEMSET_EVENT_REMOVE_RANGE));
	ASSERT_EQ(2, count_type(&self->log, PMEMSET_EVENT_PART_REMOVE));
	ASSERT_FALSE(mapped(d[0].addr));
}

TEST_F(rr, one_byte_removes_the_whole_part)
{
	struct pmemset_part_descriptor d;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, self->env.part, 1, PMEMSET_COALESCING_NONE, &d));
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, (char *)d.addr + d.size / 2, 1));
	ASSERT_EQ(0, count_part_maps(self->set));
	ASSERT_FALSE(mapped(d.addr));
}

TEST_F(rr, range_across_two_coalesced_parts_removes_both)
{
	struct pmemset_part_descriptor d[3];
	size_t part = self->env.part;
	struct pmemset_part_map *pm;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, part, 3, PMEMSET_COALESCING_FULL, d));
	ASSERT_EQ(3 * part, d[2].size);
	/* from the last byte of part 1 to the first byte of part 2 */
	self->log.n = 0;
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, (char *)d[2].addr + part - 1, 2));
	ASSERT_EQ(1, count_part_maps(self->set));
	ASSERT_EQ(1, count_type(&self->log, PMEMSET_EVENT_REMOVE_RANGE));
	ASSERT_EQ(0, count_type(&self->log, PMEMSET_EVENT_PART_REMOVE));
	pmemset_first_part_map(self->set, &pm);
	ASSERT_NE(NULL, pm);
	ASSERT_EQ((char *)d[2].addr + 2 * part, pmemset_descriptor_part_map(pm).addr);
	ASSERT_EQ(part, pmemset_descriptor_part_map(pm).size);
	pmemset_part_map_drop(&pm);
	ASSERT_TRUE(mapped((char *)d[2].addr + 2 * part));
}

TEST_F(rr, coalesced_middle_part_removal_leaves_a_hole)
{
	struct pmemset_part_descriptor d[3];
	size_t part = self->env.part;
	struct pmemset_part_map *pm;
	char *base;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, part, 3, PMEMSET_COALESCING_FULL, d));
	base = d[2].addr;
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, base + part, part));
	ASSERT_EQ(2, count_part_maps(self->set));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, base));
	ASSERT_EQ(part, pmemset_descriptor_part_map(pm).size);
	pmemset_part_map_drop(&pm);
	ASSERT_PMEMSET(PMEMSET_E_CANNOT_FIND_PART_MAP,
		       pmemset_part_map_by_address(self->set, &pm, base + part));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, base + 2 * part));
	ASSERT_EQ(base + 2 * part, pmemset_descriptor_part_map(pm).addr);
	pmemset_part_map_drop(&pm);
	base[0] = 1;
	base[2 * part] = 1;
}

TEST_F(rr, two_removals_in_five_coalesced_parts_leave_three_part_maps)
{
	struct pmemset_part_descriptor d[5];
	size_t part = self->env.part;
	struct pmemset_part_map *pm, *next;
	char *base;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, part, 5, PMEMSET_COALESCING_FULL, d));
	base = d[4].addr;
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, base + part, part));
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, base + 3 * part, part));
	ASSERT_EQ(3, count_part_maps(self->set));
	/* the pieces can be removed as part maps */
	pmemset_first_part_map(self->set, &pm);
	while (pm) {
		pmemset_next_part_map(self->set, pm, &next);
		ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
		pm = next;
	}
	ASSERT_EQ(0, count_part_maps(self->set));
}

TEST_F(rr, enclosing_range_fires_part_remove_per_part_map)
{
	struct pmemset_part_descriptor d[2];
	size_t part = self->env.part;
	char *lo, *hi;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, part, 2, PMEMSET_COALESCING_NONE, d));
	lo = d[0].addr < d[1].addr ? d[0].addr : d[1].addr;
	hi = d[0].addr < d[1].addr ? d[1].addr : d[0].addr;
	self->log.n = 0;
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, lo, (size_t)(hi - lo) + part));
	ASSERT_EQ(0, count_part_maps(self->set));
	ASSERT_EQ(3, self->log.n);
	ASSERT_EQ((int)PMEMSET_EVENT_REMOVE_RANGE, (int)self->log.ev[0].type);
	ASSERT_EQ((void *)lo, self->log.ev[0].data.remove_range.addr);
	ASSERT_EQ((int)PMEMSET_EVENT_PART_REMOVE, (int)self->log.ev[1].type);
	ASSERT_EQ((void *)lo, self->log.ev[1].data.part_remove.addr);
	ASSERT_EQ((int)PMEMSET_EVENT_PART_REMOVE, (int)self->log.ev[2].type);
	ASSERT_EQ((void *)hi, self->log.ev[2].data.part_remove.addr);
}

TEST_F(rr, remove_range_referenced_part_fails)
{
	struct pmemset_part_descriptor d;
	struct pmemset_part_map *pm;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, self->env.part, 1, PMEMSET_COALESCING_NONE, &d));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, d.addr));
	ASSERT_PMEMSET(PMEMSET_E_PART_MAP_POSSIBLE_USE_AFTER_DROP,
		       pmemset_remove_range(self->set, d.addr, d.size));
	ASSERT_EQ(1, count_part_maps(self->set));
	ASSERT_TRUE(mapped(d.addr));
	pmemset_part_map_drop(&pm);
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, d.addr, d.size));
}

TEST_F(rr, range_touching_nothing_cannot_find_part_map)
{
	struct pmemset_part_descriptor d;
	char stack_byte;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, self->env.part, 1, PMEMSET_COALESCING_NONE, &d));
	self->log.n = 0;
	ASSERT_PMEMSET(PMEMSET_E_CANNOT_FIND_PART_MAP, pmemset_remove_range(self->set, &stack_byte, 1));
	/* REMOVE_RANGE fires before the range is validated */
	ASSERT_EQ(1, self->log.n);
	ASSERT_EQ(1, count_part_maps(self->set));
	/* the bytes right after the part map are not in it */
	ASSERT_PMEMSET(PMEMSET_E_CANNOT_FIND_PART_MAP,
		       pmemset_remove_range(self->set, (char *)d.addr + d.size, 4096));
	ASSERT_EQ(1, count_part_maps(self->set));
}

/*
 * An empty range overlaps no part map: CANNOT_FIND_PART_MAP, as for any
 * range that overlaps none (PMDK's code returns 0 for both); REMOVE_RANGE
 * still fires first.  A range that wraps around is no range at all.
 */
TEST_F(rr, empty_range_cannot_find_part_map)
{
	struct pmemset_part_descriptor d;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, self->env.part, 1, PMEMSET_COALESCING_NONE, &d));
	self->log.n = 0;
	ASSERT_PMEMSET(PMEMSET_E_CANNOT_FIND_PART_MAP, pmemset_remove_range(self->set, d.addr, 0));
	ASSERT_EQ(1, self->log.n);
	ASSERT_EQ((int)PMEMSET_EVENT_REMOVE_RANGE, (int)self->log.ev[0].type);
	ASSERT_EQ(1, count_part_maps(self->set));
	ASSERT_PMEMSET(-EINVAL, pmemset_remove_range(self->set, (char *)d.addr + d.size, SIZE_MAX));
	ASSERT_EQ(1, count_part_maps(self->set));
	ASSERT_TRUE(mapped(d.addr));
}

TEST_F(rr, divided_coalesced_part_map_pieces_are_found)
{
	struct pmemset_part_descriptor d[4];
	size_t part = self->env.part;
	struct pmemset_part_map *pm;
	char *base;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, part, 4, PMEMSET_COALESCING_FULL, d));
	base = d[3].addr;
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, base + part, 2 * part));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, base + 3 * part));
	ASSERT_EQ(base + 3 * part, pmemset_descriptor_part_map(pm).addr);
	ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, base));
	ASSERT_EQ(part, pmemset_descriptor_part_map(pm).size);
	ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
	ASSERT_EQ(0, count_part_maps(self->set));
}

/*
 * Is [addr, addr + len) free address space?  mincore fails with ENOMEM on
 * an unmapped range, and a MAP_FIXED_NOREPLACE mapping of the whole range
 * lands exactly there (an application may place its own mapping where a
 * removed part was).
 */
static bool released(void *addr, size_t len)
{
	unsigned char v[1];
	void *m;

	for (size_t off = 0; off < len; off += 4096)
		if (mincore((char *)addr + off, 4096, v) == 0 || errno != ENOMEM)
			return false;
	m = mmap(addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		 -1, 0);
	if (m == MAP_FAILED)
		return false;
	memset(m, 1, len);
	munmap(m, len);
	return m == addr;
}

/* Removing the last part of a coalesced part map gives its range back. */
TEST_F(rr, removed_last_coalesced_part_is_released)
{
	struct pmemset_part_descriptor d[3];
	size_t part = self->env.part;
	char *base;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, part, 3, PMEMSET_COALESCING_FULL, d));
	base = d[2].addr;
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, base + 2 * part, part));
	ASSERT_TRUE(released(base + 2 * part, part));
	/* the rest of the part map is untouched */
	ASSERT_TRUE(mapped(base + part));
	memset(base, 2, 2 * part);
	ASSERT_EQ(1, count_part_maps(self->set));
}

/* Removing the first part of a coalesced part map gives its range back. */
TEST_F(rr, removed_first_coalesced_part_is_released)
{
	struct pmemset_part_descriptor d[3];
	size_t part = self->env.part;
	char *base;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, part, 3, PMEMSET_COALESCING_FULL, d));
	base = d[2].addr;
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, base, 1));
	ASSERT_TRUE(released(base, part));
	memset(base + part, 3, 2 * part);
	ASSERT_EQ(1, count_part_maps(self->set));
}

/* A part removed from the middle leaves a hole that is free address space. */
TEST_F(rr, removed_middle_coalesced_part_is_released)
{
	struct pmemset_part_descriptor d[3];
	size_t part = self->env.part;
	char *base;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, part, 3, PMEMSET_COALESCING_FULL, d));
	base = d[2].addr;
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, base + part, part));
	ASSERT_TRUE(released(base + part, part));
	memset(base, 4, part);
	memset(base + 2 * part, 4, part);
	ASSERT_EQ(2, count_part_maps(self->set));
	/* the pieces still go, and so does their address space */
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, base, 3 * part));
	ASSERT_EQ(0, count_part_maps(self->set));
	ASSERT_TRUE(released(base, 3 * part));
}

/* A whole part map removed by range: its range is free, as in PMDK. */
TEST_F(rr, removed_part_map_is_released)
{
	struct pmemset_part_descriptor d;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, self->env.part, 1, PMEMSET_COALESCING_NONE, &d));
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, d.addr, d.size));
	ASSERT_TRUE(released(d.addr, d.size));
}

/* After the tail went, the part map extends again where it was (FULL). */
TEST_F(rr, coalescing_continues_after_the_released_tail)
{
	struct pmemset_part_descriptor d[3], again;
	size_t part = self->env.part;
	char *base;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, part, 3, PMEMSET_COALESCING_FULL, d));
	base = d[2].addr;
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, base + 2 * part, part));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 2 * part, part, &again));
	ASSERT_EQ((void *)base, again.addr);
	ASSERT_EQ(3 * part, again.size);
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 3 * part, part, &again));
	ASSERT_EQ(4 * part, again.size);
	memset(base, 5, 4 * part);
	ASSERT_EQ(1, count_part_maps(self->set));
}

/*
 * PMDK's test_remove_two_ranges: from the last byte of one part map to the
 * first byte of the next removes both, whatever lies between them.
 */
TEST_F(rr, last_byte_to_first_byte_of_next_part_map_removes_both)
{
	struct pmemset_part_descriptor d[2];
	size_t part = self->env.part;
	char *lo, *hi;

	ASSERT_PMEMSET(0, map_n(self->set, self->src, part, 2, PMEMSET_COALESCING_NONE, d));
	lo = d[0].addr < d[1].addr ? d[0].addr : d[1].addr;
	hi = d[0].addr < d[1].addr ? d[1].addr : d[0].addr;
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, lo + part - 1, (size_t)(hi - (lo + part)) + 2));
	ASSERT_EQ(0, count_part_maps(self->set));
	ASSERT_TRUE(released(lo, part));
	ASSERT_TRUE(released(hi, part));
}

/*
 * PMDK's test_remove_coalesced_two_ranges: two part maps of two parts
 * each; a range from the last byte of the first to the first byte of the
 * second takes one part of each and leaves two one-part part maps.
 */
TEST_F(rr, range_across_two_coalesced_part_maps_takes_one_part_of_each)
{
	struct pmemset_part_descriptor d[4], first, second;
	struct pmemset_part_map *pm, *next;
	size_t part = self->env.part;
	char *lo_end, *hi;

	for (int i = 0; i < 4; i++) {
		ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set,
				  i % 2 ? PMEMSET_COALESCING_FULL : PMEMSET_COALESCING_NONE));
		ASSERT_PMEMSET(0, env_map(self->set, self->src, (size_t)i * part, part, &d[i]));
	}
	ASSERT_EQ(2 * part, d[1].size);
	ASSERT_EQ(2 * part, d[3].size);
	ASSERT_EQ(2, count_part_maps(self->set));
	pmemset_first_part_map(self->set, &pm);
	ASSERT_NE(NULL, pm);
	first = pmemset_descriptor_part_map(pm);
	pmemset_next_part_map(self->set, pm, &next);
	ASSERT_NE(NULL, next);
	second = pmemset_descriptor_part_map(next);
	pmemset_part_map_drop(&pm);
	pmemset_part_map_drop(&next);

	lo_end = (char *)first.addr + first.size;
	hi = second.addr;
	self->log.n = 0;
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, lo_end - 1, (size_t)(hi - lo_end) + 2));
	ASSERT_EQ(1, count_type(&self->log, PMEMSET_EVENT_REMOVE_RANGE));
	ASSERT_EQ(0, count_type(&self->log, PMEMSET_EVENT_PART_REMOVE));
	ASSERT_EQ(2, count_part_maps(self->set));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, first.addr));
	ASSERT_EQ(first.addr, pmemset_descriptor_part_map(pm).addr);
	ASSERT_EQ(part, pmemset_descriptor_part_map(pm).size);
	pmemset_part_map_drop(&pm);
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, hi + part));
	ASSERT_EQ((void *)(hi + part), pmemset_descriptor_part_map(pm).addr);
	ASSERT_EQ(part, pmemset_descriptor_part_map(pm).size);
	pmemset_part_map_drop(&pm);
	ASSERT_TRUE(released(lo_end - part, part));
	ASSERT_TRUE(released(hi, part));
}

TEST_HARNESS_MAIN
