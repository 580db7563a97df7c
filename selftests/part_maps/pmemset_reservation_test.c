// SPDX-License-Identifier: GPL-2.0
/*
 * Sets configured with a libpmem2 VM reservation: parts go inside it, first
 * fit, coalescing within it, and CANNOT_FIT_PART_MAP when there is no room
 * (too small, or fragmented).  The reservation itself is never resized.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "../lib/pmemset_guest.h"

FIXTURE(rsv) {
	struct src_env env;
	struct pmemset *set;
	struct pmemset_source *src;
	struct pmem2_vm_reservation *rsv;
	char *base;
	size_t size;
};

PMEMSET_SOURCE_VARIANTS(rsv);

/*
 * A reservation at an address aligned to @align (2 MiB for device DAX
 * parts): reserve more, then shrink both ends away.
 */
static int aligned_reservation(struct pmem2_vm_reservation **rsv, size_t size, size_t align)
{
	size_t head, tail;
	uintptr_t addr;
	int ret = pmem2_vm_reservation_new(rsv, NULL, size + align);

	if (ret)
		return ret;
	addr = (uintptr_t)pmem2_vm_reservation_get_address(*rsv);
	head = (align - addr % align) % align;
	tail = align - head;
	if (head)
		ret = pmem2_vm_reservation_shrink(*rsv, 0, head);
	if (!ret && tail)
		ret = pmem2_vm_reservation_shrink(*rsv, size, tail);
	return ret;
}

FIXTURE_SETUP(rsv)
{
	ASSERT_EQ(0, env_prepare(variant->kind, &self->env));
	self->size = 3 * self->env.part;
	ASSERT_EQ(0, aligned_reservation(&self->rsv, self->size, self->env.part))
		TH_LOG("%s", pmem2_errormsg());
	self->base = pmem2_vm_reservation_get_address(self->rsv);
	ASSERT_PMEMSET(0, env_set(&self->set, PMEM2_GRANULARITY_PAGE, NULL, NULL, self->rsv));
	ASSERT_PMEMSET(0, env_source(&self->env, self->env.capacity, &self->src));
}

FIXTURE_TEARDOWN(rsv)
{
	pmemset_delete(&self->set);
	pmemset_source_delete(&self->src);
	if (self->rsv)
		pmem2_vm_reservation_delete(&self->rsv);
	env_cleanup(&self->env);
}

TEST_F(rsv, parts_fill_reservation_first_fit)
{
	struct pmemset_part_descriptor d[3];
	size_t part = self->env.part;

	for (int i = 0; i < 3; i++) {
		ASSERT_PMEMSET(0, env_map(self->set, self->src, (size_t)i * part, part, &d[i]));
		ASSERT_EQ(self->base + (size_t)i * part, (char *)d[i].addr);
	}
	ASSERT_EQ(3, count_part_maps(self->set));
	ASSERT_EQ(self->size, pmem2_vm_reservation_get_size(self->rsv));
	ASSERT_EQ((void *)self->base, pmem2_vm_reservation_get_address(self->rsv));
	memset(self->base, 7, self->size);
	/* full: one more does not fit */
	ASSERT_PMEMSET(PMEMSET_E_CANNOT_FIT_PART_MAP, env_map(self->set, self->src, 0, part, NULL));
}

TEST_F(rsv, coalesce_within_reservation)
{
	struct pmemset_part_descriptor d;
	size_t part = self->env.part;

	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set, PMEMSET_COALESCING_FULL));
	for (int i = 0; i < 3; i++)
		ASSERT_PMEMSET(0, env_map(self->set, self->src, (size_t)i * part, part, &d));
	ASSERT_EQ((void *)self->base, d.addr);
	ASSERT_EQ(3 * part, d.size);
	ASSERT_EQ(1, count_part_maps(self->set));

	/* remove the 1st and 3rd part: the middle one remains, and is extended */
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, self->base, part));
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, self->base + 2 * part, part));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, part, &d));
	ASSERT_EQ((void *)(self->base + part), d.addr);
	ASSERT_EQ(2 * part, d.size);
	ASSERT_EQ(self->size, pmem2_vm_reservation_get_size(self->rsv));
}

TEST_F(rsv, part_larger_than_reservation_cannot_fit)
{
	ASSERT_PMEMSET(PMEMSET_E_CANNOT_FIT_PART_MAP,
		       env_map(self->set, self->src, 0, 4 * self->env.part, NULL));
	ASSERT_EQ(0, count_part_maps(self->set));
}

TEST_F(rsv, fragmented_reservation_cannot_fit)
{
	struct pmemset_part_descriptor d[6];
	size_t part = self->env.part, half = part / 2;

	if (self->env.kind == KIND_DEVDAX)
		half = part;	/* device DAX parts cannot be smaller than 2 MiB */
	for (int i = 0; i < (int)(self->size / half); i++)
		ASSERT_PMEMSET(0, env_map(self->set, self->src, (size_t)i * half, half, &d[i]));
	for (int i = 0; i < (int)(self->size / half); i += 2)
		ASSERT_PMEMSET(0, pmemset_remove_range(self->set, d[i].addr, half));
	/* half of it is free, but no two free halves are adjacent */
	ASSERT_PMEMSET(PMEMSET_E_CANNOT_FIT_PART_MAP, env_map(self->set, self->src, 0, 2 * half, NULL));
	ASSERT_EQ(self->size, pmem2_vm_reservation_get_size(self->rsv));
}

TEST_F(rsv, removed_part_returns_to_reservation)
{
	struct pmemset_part_descriptor d, again;
	struct pmemset_part_map *pm;

	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, self->env.part, &d));
	ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, d.addr));
	ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, self->env.part, &again));
	ASSERT_EQ(d.addr, again.addr);
	ASSERT_PMEMSET(0, pmemset_delete(&self->set));
	/* the reservation is the user's: still there, same size, empty */
	ASSERT_EQ(self->size, pmem2_vm_reservation_get_size(self->rsv));
	ASSERT_EQ(0, pmem2_vm_reservation_delete(&self->rsv));
}

/*
 * A part removed from the user's reservation goes back into it: the range
 * stays reserved (PROT_NONE, nobody else can map there) and the
 * reservation keeps its size (PMDK's test_part_map_with_set_reservation).
 */
TEST_F(rsv, removed_parts_stay_in_the_users_reservation)
{
	struct pmemset_part_descriptor d[3];
	struct pmemset_part_map *pm;
	size_t part = self->env.part;
	unsigned char v;

	for (int i = 0; i < 3; i++)
		ASSERT_PMEMSET(0, env_map(self->set, self->src, (size_t)i * part, part, &d[i]));
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, d[1].addr, part));
	for (int i = 0; i < 3; i += 2) {
		ASSERT_PMEMSET(0, pmemset_part_map_by_address(self->set, &pm, d[i].addr));
		ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
	}
	ASSERT_EQ(0, count_part_maps(self->set));
	ASSERT_EQ(self->size, pmem2_vm_reservation_get_size(self->rsv));
	for (size_t off = 0; off < self->size; off += 4096)
		ASSERT_EQ(0, mincore(self->base + off, 4096, &v));
	ASSERT_EQ(MAP_FAILED, mmap(self->base, part, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
				   MAP_FIXED_NOREPLACE, -1, 0));
	ASSERT_EQ(EEXIST, errno);
}

TEST_HARNESS_MAIN
