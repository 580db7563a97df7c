// SPDX-License-Identifier: GPL-2.0
/*
 * Shutdown data state.  The guest's legacy memmap pmem (fsdax variant)
 * reports an unsafe shutdown count, so the whole state machine runs there:
 * OK, OK_BUT_ALREADY_OPEN, OK_BUT_INTERRUPTED, CORRUPTED, INDETERMINATE,
 * refreshes, acceptable states and SDS_UPDATE refcounts.  QEMU's NVDIMM
 * (devdax) and tmpfs files report none: SDS_NOSUPP, nothing mapped.
 */
#include "kselftest_harness.h"
#include "../lib/pmemset_guest.h"

FIXTURE(sds) {
	struct src_env env;
	struct pmemset *set;
	struct pmemset_source *src;
	struct event_log log;
	struct pmemset_sds dev;		/* the device's id and usc */
	enum pmemset_part_state state;
};

PMEMSET_SOURCE_VARIANTS(sds);

/* Read the device's id and usc the way the library does. */
static int device_sds(const char *path, struct pmemset_sds *sds)
{
	struct pmem2_source *p2;
	size_t len = sizeof(sds->id);
	int fd = open(path, O_RDWR), ret;

	if (fd < 0)
		return -errno;
	ret = pmem2_source_from_fd(&p2, fd);
	if (!ret)
		ret = pmem2_source_device_usc(p2, &sds->usc);
	if (!ret)
		ret = pmem2_source_device_id(p2, sds->id, &len);
	pmem2_source_delete(&p2);
	close(fd);
	return ret;
}

FIXTURE_SETUP(sds)
{
	memset(&self->log, 0, sizeof(self->log));
	memset(&self->dev, 0, sizeof(self->dev));
	ASSERT_EQ(0, env_prepare(variant->kind, &self->env));
	ASSERT_PMEMSET(0, env_set(&self->set, PMEM2_GRANULARITY_PAGE, record_event, &self->log, NULL));
	ASSERT_PMEMSET(0, env_source(&self->env, self->env.capacity, &self->src));
	if (variant->kind == KIND_FSDAX)
		ASSERT_EQ(0, device_sds(self->env.path, &self->dev)) TH_LOG("%s", pmem2_errormsg());
}

FIXTURE_TEARDOWN(sds)
{
	pmemset_delete(&self->set);
	pmemset_source_delete(&self->src);
	env_cleanup(&self->env);
}

/* The SDS copy the library reported in the last SDS_UPDATE event. */
static struct pmemset_sds *last_sds(struct event_log *log)
{
	for (int i = log->n - 1; i >= 0; i--)
		if (log->ev[i].type == PMEMSET_EVENT_SDS_UPDATE)
			return log->ev[i].data.sds_update.sds;
	return NULL;
}

/* Map with @sds set on the source; the part state lands in self->state. */
#define MAP_WITH(sds_init, expect) do {						\
	ASSERT_PMEMSET(0, pmemset_source_set_sds(self->src, &(sds_init), &self->state)); \
	ASSERT_PMEMSET((expect), env_map(self->set, self->src, 0, self->env.part, NULL)); \
} while (0)

TEST_F(sds, sds_without_unsafe_shutdown_count_is_nosupp)
{
	struct pmemset_sds sds = PMEMSET_SDS_INITIALIZE();

	if (self->env.kind == KIND_FSDAX)
		return;	/* has a count: the other tests */
	self->state = (enum pmemset_part_state)0x100;
	MAP_WITH(sds, PMEMSET_E_SDS_NOSUPP);
	ASSERT_EQ(0x100, (int)self->state);
	ASSERT_EQ(0, self->log.n);
	ASSERT_EQ(0, count_part_maps(self->set));
}

TEST_F(sds, first_map_ok_then_already_open_and_refcounts_follow)
{
	struct pmemset_sds sds = PMEMSET_SDS_INITIALIZE();
	struct pmemset_part_map *pm;
	struct pmemset_sds *copy;

	if (self->env.kind != KIND_FSDAX) {
		MAP_WITH(sds, PMEMSET_E_SDS_NOSUPP);
		return;
	}
	MAP_WITH(sds, 0);
	ASSERT_EQ((int)PMEMSET_PART_STATE_OK, (int)self->state);
	ASSERT_EQ(2, self->log.n);
	ASSERT_EQ((int)PMEMSET_EVENT_PART_ADD, (int)self->log.ev[0].type);
	ASSERT_EQ((int)PMEMSET_EVENT_SDS_UPDATE, (int)self->log.ev[1].type);
	ASSERT_EQ(self->src, self->log.ev[1].data.sds_update.src);
	copy = last_sds(&self->log);
	/* a copy: the caller's struct is not touched */
	ASSERT_NE(&sds, copy);
	ASSERT_EQ(0, sds.refcount);
	ASSERT_EQ(1, copy->refcount);
	ASSERT_STREQ(self->dev.id, copy->id);
	ASSERT_EQ(self->dev.usc, copy->usc);

	ASSERT_PMEMSET(0, env_map(self->set, self->src, self->env.part, self->env.part, NULL));
	ASSERT_EQ((int)PMEMSET_PART_STATE_OK_BUT_ALREADY_OPEN, (int)self->state);
	ASSERT_EQ(2, copy->refcount);

	pmemset_first_part_map(self->set, &pm);
	self->log.n = 0;
	ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
	ASSERT_EQ(1, copy->refcount);
	ASSERT_EQ(2, self->log.n);	/* PART_REMOVE, SDS_UPDATE */
	ASSERT_EQ((int)PMEMSET_EVENT_SDS_UPDATE, (int)self->log.ev[1].type);

	self->log.n = 0;
	ASSERT_PMEMSET(0, pmemset_delete(&self->set));
	ASSERT_EQ(1, self->log.n);	/* SDS_UPDATE, no PART_REMOVE */
	ASSERT_EQ((int)PMEMSET_EVENT_SDS_UPDATE, (int)self->log.ev[0].type);
	ASSERT_EQ(0, copy->refcount);
}

TEST_F(sds, left_over_refcount_is_interrupted)
{
	struct pmemset_sds sds = self->dev;

	if (self->env.kind != KIND_FSDAX) {
		MAP_WITH(sds, PMEMSET_E_SDS_NOSUPP);
		return;
	}
	sds.refcount = 1;	/* the last user did not unmap cleanly */
	MAP_WITH(sds, PMEMSET_E_UNDESIRABLE_PART_STATE);
	ASSERT_EQ((int)PMEMSET_PART_STATE_OK_BUT_INTERRUPTED, (int)self->state);
	ASSERT_EQ(0, count_part_maps(self->set));
	ASSERT_EQ(0, self->log.n);
}

TEST_F(sds, changed_usc_while_in_use_is_corrupted)
{
	struct pmemset_sds sds = self->dev;

	if (self->env.kind != KIND_FSDAX) {
		MAP_WITH(sds, PMEMSET_E_SDS_NOSUPP);
		return;
	}
	sds.usc++;
	sds.refcount = 1;
	MAP_WITH(sds, PMEMSET_E_UNDESIRABLE_PART_STATE);
	ASSERT_EQ((int)PMEMSET_PART_STATE_CORRUPTED, (int)self->state);
	ASSERT_EQ(0, count_part_maps(self->set));
}

TEST_F(sds, changed_usc_not_in_use_is_refreshed)
{
	struct pmemset_sds sds = self->dev;

	if (self->env.kind != KIND_FSDAX) {
		MAP_WITH(sds, PMEMSET_E_SDS_NOSUPP);
		return;
	}
	sds.usc += 7;
	MAP_WITH(sds, 0);
	ASSERT_EQ((int)PMEMSET_PART_STATE_OK, (int)self->state);
	ASSERT_EQ(self->dev.usc, last_sds(&self->log)->usc);
}

TEST_F(sds, other_device_while_in_use_is_indeterminate)
{
	struct pmemset_sds sds = self->dev;

	if (self->env.kind != KIND_FSDAX) {
		MAP_WITH(sds, PMEMSET_E_SDS_NOSUPP);
		return;
	}
	strcpy(sds.id, "some-other-device");
	sds.refcount = 2;
	MAP_WITH(sds, PMEMSET_E_UNDESIRABLE_PART_STATE);
	ASSERT_EQ((int)PMEMSET_PART_STATE_INDETERMINATE, (int)self->state);
}

TEST_F(sds, other_device_not_in_use_is_reinitialised)
{
	struct pmemset_sds sds = self->dev;

	if (self->env.kind != KIND_FSDAX) {
		MAP_WITH(sds, PMEMSET_E_SDS_NOSUPP);
		return;
	}
	strcpy(sds.id, "some-other-device");
	sds.usc = self->dev.usc + 3;
	MAP_WITH(sds, 0);
	ASSERT_EQ((int)PMEMSET_PART_STATE_OK, (int)self->state);
	ASSERT_STREQ(self->dev.id, last_sds(&self->log)->id);
	ASSERT_EQ(self->dev.usc, last_sds(&self->log)->usc);
}

TEST_F(sds, already_open_refused_when_only_ok_is_acceptable)
{
	struct pmemset_sds sds = PMEMSET_SDS_INITIALIZE();
	struct pmemset_config *cfg;
	struct pmemset *strict;

	ASSERT_PMEMSET(0, pmemset_config_new(&cfg));
	ASSERT_PMEMSET(0, pmemset_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE));
	ASSERT_PMEMSET(0, pmemset_config_set_acceptable_states(cfg, PMEMSET_PART_STATE_OK));
	ASSERT_PMEMSET(0, pmemset_new(&strict, cfg));
	pmemset_config_delete(&cfg);
	ASSERT_PMEMSET(0, pmemset_source_set_sds(self->src, &sds, &self->state));
	if (self->env.kind != KIND_FSDAX) {
		ASSERT_PMEMSET(PMEMSET_E_SDS_NOSUPP, env_map(strict, self->src, 0, self->env.part, NULL));
		pmemset_delete(&strict);
		return;
	}
	ASSERT_PMEMSET(0, env_map(strict, self->src, 0, self->env.part, NULL));
	ASSERT_PMEMSET(PMEMSET_E_UNDESIRABLE_PART_STATE,
		       env_map(strict, self->src, self->env.part, self->env.part, NULL));
	ASSERT_EQ((int)PMEMSET_PART_STATE_OK_BUT_ALREADY_OPEN, (int)self->state);
	ASSERT_EQ(1, count_part_maps(strict));
	pmemset_delete(&strict);
}

TEST_HARNESS_MAIN
