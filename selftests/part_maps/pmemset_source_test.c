// SPDX-License-Identifier: GPL-2.0
/*
 * Sources on real pmem: creation flags, temporary files and alignment on
 * each kind, machine-check-safe I/O, and bad-block detection on media
 * without bad blocks.
 */
#include "kselftest_harness.h"
#include "../lib/pmemset_guest.h"

FIXTURE(src) {
	struct src_env env;
	struct pmemset *set;
	struct event_log log;
};

PMEMSET_SOURCE_VARIANTS(src);

FIXTURE_SETUP(src)
{
	memset(&self->log, 0, sizeof(self->log));
	ASSERT_EQ(0, env_prepare(variant->kind, &self->env));
	ASSERT_PMEMSET(0, env_set(&self->set, PMEM2_GRANULARITY_PAGE, record_event, &self->log, NULL));
}

FIXTURE_TEARDOWN(src)
{
	pmemset_delete(&self->set);
	env_cleanup(&self->env);
}

TEST_F(src, alignment_matches_the_kind)
{
	struct pmemset_source *s;
	size_t align = 0;

	ASSERT_PMEMSET(0, env_source(&self->env, 1 << 20, &s));
	ASSERT_PMEMSET(0, pmemset_source_alignment(s, &align));
	if (self->env.kind == KIND_DEVDAX) {
		ASSERT_EQ((size_t)(2 << 20), align);
	} else {
		ASSERT_EQ((size_t)4096, align);
	}
	pmemset_source_delete(&s);
}

TEST_F(src, mcsafe_round_trip_and_bounds)
{
	struct pmemset_source *s;
	char out[4096], in[4096];

	ASSERT_PMEMSET(0, env_source(&self->env, 1 << 20, &s));
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i ^ 0x5c);
	ASSERT_PMEMSET(0, pmemset_source_pwrite_mcsafe(s, out, sizeof(out), 12288));
	ASSERT_PMEMSET(0, pmemset_source_pread_mcsafe(s, in, sizeof(in), 12288));
	ASSERT_EQ(0, memcmp(in, out, sizeof(in)));
	if (self->env.kind != KIND_DEVDAX) {
		ASSERT_PMEMSET(PMEMSET_E_LENGTH_OUT_OF_RANGE,
			       pmemset_source_pread_mcsafe(s, in, sizeof(in), (1 << 20) - 1));
	}
	pmemset_source_delete(&s);
}

TEST_F(src, created_file_with_mode_maps)
{
	struct pmemset_part_descriptor d;
	struct pmemset_source *s;
	struct stat st;

	if (self->env.kind == KIND_DEVDAX) {
		/* a device exists already: CREATE_IF_NEEDED opens it */
		ASSERT_PMEMSET(0, pmemset_xsource_from_file(&s, self->env.path,
				  PMEMSET_SOURCE_FILE_CREATE_IF_NEEDED));
	} else {
		ASSERT_PMEMSET(0, pmemset_xsource_from_file(&s, self->env.path,
				  PMEMSET_SOURCE_FILE_CREATE_ALWAYS_MODE(PMEMSET_SOURCE_FILE_RWU_MODE)));
		ASSERT_EQ(0, stat(self->env.path, &st));
		ASSERT_EQ(0600U, st.st_mode & 0777);
	}
	ASSERT_PMEMSET(0, env_map(self->set, s, 0, self->env.part, &d));
	memset(d.addr, 1, d.size);
	ASSERT_PMEMSET(0, pmemset_persist(self->set, d.addr, d.size));
	pmemset_source_delete(&s);
}

TEST_F(src, temporary_source_in_kind_directory_maps)
{
	struct pmemset_part_descriptor d;
	struct pmemset_source *s;
	enum pmem2_granularity g;

	ASSERT_PMEMSET(0, pmemset_source_from_temporary(&s, self->env.dir));
	ASSERT_PMEMSET(0, env_map(self->set, s, 0, 64 << 10, &d));
	ASSERT_PMEMSET(0, pmemset_get_store_granularity(self->set, &g));
	if (self->env.kind == KIND_FSDAX) {
		ASSERT_NE((int)PMEM2_GRANULARITY_PAGE, (int)g);
	} else {
		ASSERT_EQ((int)PMEM2_GRANULARITY_PAGE, (int)g);	/* /tmp is not DAX */
	}
	pmemset_source_delete(&s);
	/* the part keeps the unnamed file alive */
	memset(d.addr, 2, d.size);
}

TEST_F(src, badblock_detection_without_bad_blocks_maps_silently)
{
	struct pmemset_part_descriptor d;
	struct pmemset_source *s;

	ASSERT_PMEMSET(0, env_source(&self->env, 1 << 20, &s));
	pmemset_source_set_badblock_detection(s, true);
	ASSERT_PMEMSET(0, env_map(self->set, s, 0, self->env.part, &d));
	/* only PART_ADD: no BADBLOCK, no BADBLOCKS_CLEARED */
	ASSERT_EQ(1, self->log.n);
	ASSERT_EQ((int)PMEMSET_EVENT_PART_ADD, (int)self->log.ev[0].type);
	pmemset_source_delete(&s);
}

TEST_HARNESS_MAIN
