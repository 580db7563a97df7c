// SPDX-License-Identifier: GPL-2.0
/*
 * pmemset_memcpy, pmemset_memmove and pmemset_memset: libc results for
 * every flag combination and misaligned offsets (0, 7, 9), overlapping
 * moves both ways, and the bytes reaching the source.
 */
#include "kselftest_harness.h"
#include "../lib/pmemset_guest.h"

FIXTURE(mem) {
	struct src_env env;
	struct pmemset *set;
	struct pmemset_source *src;
	char *pmem;
	size_t len;
};

PMEMSET_SOURCE_VARIANTS(mem);

FIXTURE_SETUP(mem)
{
	struct pmemset_part_descriptor d;

	ASSERT_EQ(0, env_prepare(variant->kind, &self->env));
	ASSERT_PMEMSET(0, env_set(&self->set, PMEM2_GRANULARITY_PAGE, NULL, NULL, NULL));
	ASSERT_PMEMSET(0, env_source(&self->env, self->env.capacity, &self->src));
	self->len = self->env.part < (4 << 20) ? (4 << 20) : self->env.part;
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, self->len, &d));
	self->pmem = d.addr;
}

FIXTURE_TEARDOWN(mem)
{
	pmemset_delete(&self->set);
	pmemset_source_delete(&self->src);
	env_cleanup(&self->env);
}

static const unsigned flag_sets[] = {
	0,
	PMEMSET_F_MEM_NODRAIN,
	PMEMSET_F_MEM_NONTEMPORAL,
	PMEMSET_F_MEM_TEMPORAL,
	PMEMSET_F_MEM_NONTEMPORAL | PMEMSET_F_MEM_TEMPORAL,
	PMEMSET_F_MEM_NONTEMPORAL | PMEMSET_F_MEM_NODRAIN,
	PMEMSET_F_MEM_WC,
	PMEMSET_F_MEM_WB,
	PMEMSET_F_MEM_NOFLUSH,
	PMEMSET_F_MEM_NODRAIN | PMEMSET_F_MEM_NOFLUSH,
	PMEMSET_F_MEM_WB | PMEMSET_F_MEM_NODRAIN,
};
static const size_t offs[] = { 0, 7, 9 };

#define NFLAGS (sizeof(flag_sets) / sizeof(flag_sets[0]))
#define NOFFS (sizeof(offs) / sizeof(offs[0]))
#define LEN 4096

static void pattern(char *p, size_t n, int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(i * 31 + (size_t)seed);
}

TEST_F(mem, memcpy_all_flags_and_offsets)
{
	char src[LEN + 16];

	for (size_t f = 0; f < NFLAGS; f++)
		for (size_t a = 0; a < NOFFS; a++)
			for (size_t b = 0; b < NOFFS; b++) {
				char *dst = self->pmem + 2 * LEN * (f * NOFFS + a) + offs[a];

				pattern(src, sizeof(src), (int)(f + a + b));
				ASSERT_EQ((void *)dst, pmemset_memcpy(self->set, dst, src + offs[b], LEN,
								      flag_sets[f]));
				if (flag_sets[f] & PMEMSET_F_MEM_NOFLUSH)
					pmemset_persist(self->set, dst, LEN);
				ASSERT_EQ(0, memcmp(dst, src + offs[b], LEN)) TH_LOG("flags 0x%x", flag_sets[f]);
			}
}

/*
 * PMDK's pmemset_memcpy: copies between two halves of one part, from the
 * upper half down and from the lower half up, every flag and offset.
 */
TEST_F(mem, memcpy_within_pmem_both_directions)
{
	char *lower = self->pmem, *upper = self->pmem + self->len / 2;
	char ref[LEN];

	for (int dir = 0; dir < 2; dir++)
		for (size_t f = 0; f < NFLAGS; f++)
			for (size_t a = 0; a < NOFFS; a++) {
				char *src = (dir ? lower : upper) + offs[a];
				char *dst = (dir ? upper : lower) + 2 * LEN * f + offs[(a + 1) % NOFFS];

				pattern(src, LEN, (int)(dir + f + a));
				memcpy(ref, src, LEN);
				ASSERT_EQ((void *)dst, pmemset_memcpy(self->set, dst, src, LEN, flag_sets[f]));
				if (flag_sets[f] & PMEMSET_F_MEM_NOFLUSH)
					pmemset_persist(self->set, dst, LEN);
				ASSERT_EQ(0, memcmp(dst, ref, LEN)) TH_LOG("flags 0x%x", flag_sets[f]);
			}
}

TEST_F(mem, memmove_overlapping_both_directions)
{
	char ref[3 * LEN];

	for (size_t f = 0; f < NFLAGS; f++)
		for (size_t a = 0; a < NOFFS; a++) {
			char *base = self->pmem + 4 * LEN * f;

			pattern(base, 3 * LEN, (int)(f + a));
			memcpy(ref, base, sizeof(ref));
			/* forward overlap */
			pmemset_memmove(self->set, base + LEN / 2 + offs[a], base, LEN, flag_sets[f]);
			memmove(ref + LEN / 2 + offs[a], ref, LEN);
			ASSERT_EQ(0, memcmp(ref, base, sizeof(ref))) TH_LOG("flags 0x%x", flag_sets[f]);
			/* backward overlap */
			pmemset_memmove(self->set, base + offs[a], base + LEN / 2, LEN, flag_sets[f]);
			memmove(ref + offs[a], ref + LEN / 2, LEN);
			ASSERT_EQ(0, memcmp(ref, base, sizeof(ref))) TH_LOG("flags 0x%x", flag_sets[f]);
		}
}

TEST_F(mem, memset_all_flags_and_offsets)
{
	char ref[LEN];

	for (size_t f = 0; f < NFLAGS; f++)
		for (size_t a = 0; a < NOFFS; a++) {
			char *dst = self->pmem + 2 * LEN * (f * NOFFS + a) + offs[a];
			int c = (int)(0x20 + f * 3 + a);

			ASSERT_EQ((void *)dst, pmemset_memset(self->set, dst, c, LEN, flag_sets[f]));
			memset(ref, c, LEN);
			ASSERT_EQ(0, memcmp(dst, ref, LEN));
		}
}

TEST_F(mem, copied_bytes_reach_the_source)
{
	char src[LEN], back[LEN];

	pattern(src, LEN, 5);
	pmemset_memcpy(self->set, self->pmem + 9, src, LEN, 0);
	pmemset_memset(self->set, self->pmem + LEN * 3, 'z', LEN, PMEMSET_F_MEM_NONTEMPORAL);
	ASSERT_PMEMSET(0, pmemset_delete(&self->set));
	ASSERT_PMEMSET(0, pmemset_source_pread_mcsafe(self->src, back, LEN, 9));
	ASSERT_EQ(0, memcmp(src, back, LEN));
	ASSERT_PMEMSET(0, pmemset_source_pread_mcsafe(self->src, back, LEN, LEN * 3));
	ASSERT_EQ('z', back[0]);
	ASSERT_EQ('z', back[LEN - 1]);
}

TEST_HARNESS_MAIN
