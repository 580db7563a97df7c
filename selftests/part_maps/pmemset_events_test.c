// SPDX-License-Identifier: GPL-2.0
/*
 * Events: which ones each call fires, in which order, with which payload,
 * and what a callback's return value does.
 */
#include "kselftest_harness.h"
#include "../lib/pmemset_guest.h"

FIXTURE(ev) {
	struct src_env env;
	struct pmemset *set;
	struct pmemset_source *src;
	struct event_log log;
	struct pmemset_part_descriptor d;
};

PMEMSET_SOURCE_VARIANTS(ev);

FIXTURE_SETUP(ev)
{
	memset(&self->log, 0, sizeof(self->log));
	ASSERT_EQ(0, env_prepare(variant->kind, &self->env));
	ASSERT_PMEMSET(0, env_set(&self->set, PMEM2_GRANULARITY_PAGE, record_event, &self->log, NULL));
	ASSERT_PMEMSET(0, env_source(&self->env, self->env.capacity, &self->src));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, 0, self->env.part, &self->d));
	self->log.n = 0;
}

FIXTURE_TEARDOWN(ev)
{
	pmemset_delete(&self->set);
	pmemset_source_delete(&self->src);
	env_cleanup(&self->env);
}

#define EV(i) (self->log.ev[i])
#define ASSERT_TYPE(i, t) ASSERT_EQ((int)(t), (int)EV(i).type)

TEST_F(ev, part_add_fires_after_map_with_pmem2_source)
{
	struct pmemset_part_descriptor d;

	ASSERT_PMEMSET(0, env_map(self->set, self->src, self->env.part, self->env.part, &d));
	ASSERT_EQ(1, self->log.n);
	ASSERT_TYPE(0, PMEMSET_EVENT_PART_ADD);
	ASSERT_EQ(d.addr, EV(0).data.part_add.addr);
	ASSERT_EQ(d.size, EV(0).data.part_add.len);
	ASSERT_NE(NULL, EV(0).data.part_add.src);
}

TEST_F(ev, part_add_of_coalesced_part_reports_whole_part_map)
{
	struct pmemset_part_descriptor d;

	ASSERT_PMEMSET(0, pmemset_set_contiguous_part_coalescing(self->set, PMEMSET_COALESCING_FULL));
	ASSERT_PMEMSET(0, env_map(self->set, self->src, self->env.part, self->env.part, &d));
	ASSERT_EQ(1, self->log.n);
	ASSERT_EQ(self->d.addr, EV(0).data.part_add.addr);
	ASSERT_EQ(2 * self->env.part, EV(0).data.part_add.len);
}

TEST_F(ev, persist_fires_flush_then_drain_never_persist)
{
	char *p = self->d.addr;

	ASSERT_PMEMSET(0, pmemset_persist(self->set, p + 64, 128));
	ASSERT_EQ(2, self->log.n);
	ASSERT_TYPE(0, PMEMSET_EVENT_FLUSH);
	ASSERT_EQ((void *)(p + 64), EV(0).data.flush.addr);
	ASSERT_EQ((size_t)128, EV(0).data.flush.len);
	ASSERT_TYPE(1, PMEMSET_EVENT_DRAIN);
}

TEST_F(ev, flush_and_drain_fire_their_events)
{
	ASSERT_PMEMSET(0, pmemset_flush(self->set, self->d.addr, 64));
	ASSERT_PMEMSET(0, pmemset_drain(self->set));
	ASSERT_EQ(2, self->log.n);
	ASSERT_TYPE(0, PMEMSET_EVENT_FLUSH);
	ASSERT_EQ(self->d.addr, EV(0).data.flush.addr);
	ASSERT_TYPE(1, PMEMSET_EVENT_DRAIN);
}

TEST_F(ev, memcpy_fires_copy_then_drain_no_flush)
{
	char src[256] = "copied";
	char *dst = self->d.addr;

	ASSERT_EQ((void *)dst, pmemset_memcpy(self->set, dst, src, sizeof(src), 0));
	ASSERT_EQ(2, self->log.n);
	ASSERT_TYPE(0, PMEMSET_EVENT_COPY);
	ASSERT_EQ((void *)src, EV(0).data.copy.src);
	ASSERT_EQ((void *)dst, EV(0).data.copy.dest);
	ASSERT_EQ(sizeof(src), EV(0).data.copy.len);
	ASSERT_EQ(0U, EV(0).data.copy.flags);
	ASSERT_TYPE(1, PMEMSET_EVENT_DRAIN);
	ASSERT_STREQ("copied", dst);
}

TEST_F(ev, memmove_and_memset_fire_move_and_set)
{
	char *p = self->d.addr;

	pmemset_memset(self->set, p, 'x', 100, PMEMSET_F_MEM_NONTEMPORAL);
	pmemset_memmove(self->set, p + 10, p, 50, PMEMSET_F_MEM_NODRAIN);
	ASSERT_EQ(3, self->log.n);
	ASSERT_TYPE(0, PMEMSET_EVENT_SET);
	ASSERT_EQ((void *)p, EV(0).data.set.dest);
	ASSERT_EQ('x', EV(0).data.set.value);
	ASSERT_EQ((size_t)100, EV(0).data.set.len);
	ASSERT_EQ(PMEMSET_F_MEM_NONTEMPORAL, EV(0).data.set.flags);
	ASSERT_TYPE(1, PMEMSET_EVENT_DRAIN);
	/* NODRAIN: no DRAIN after the move */
	ASSERT_TYPE(2, PMEMSET_EVENT_MOVE);
	ASSERT_EQ((void *)p, EV(2).data.move.src);
	ASSERT_EQ((void *)(p + 10), EV(2).data.move.dest);
	ASSERT_EQ((size_t)50, EV(2).data.move.len);
	ASSERT_EQ(PMEMSET_F_MEM_NODRAIN, EV(2).data.move.flags);
}

static int count_events(struct event_log *log, enum pmemset_event t)
{
	int n = 0;

	for (int i = 0; i < log->n; i++)
		n += log->ev[i].type == t;
	return n;
}

/*
 * NOFLUSH does not skip the DRAIN event: PMDK (pmemset.c) fires it after
 * every memory operation without NODRAIN, and the man page says so.
 */
TEST_F(ev, memops_with_noflush_still_fire_drain)
{
	static const unsigned flags[] = {
		PMEMSET_F_MEM_NOFLUSH,
		PMEMSET_F_MEM_NOFLUSH | PMEMSET_F_MEM_NONTEMPORAL,
		PMEMSET_F_MEM_NOFLUSH | PMEMSET_F_MEM_WB,
	};
	char *p = self->d.addr;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		self->log.n = 0;
		pmemset_memset(self->set, p, 'a', 256, flags[i]);
		pmemset_memcpy(self->set, p + 512, p, 256, flags[i]);
		pmemset_memmove(self->set, p + 64, p + 512, 256, flags[i]);
		ASSERT_EQ(6, self->log.n) TH_LOG("flags 0x%x", flags[i]);
		ASSERT_TYPE(0, PMEMSET_EVENT_SET);
		ASSERT_TYPE(1, PMEMSET_EVENT_DRAIN);
		ASSERT_TYPE(2, PMEMSET_EVENT_COPY);
		ASSERT_TYPE(3, PMEMSET_EVENT_DRAIN);
		ASSERT_TYPE(4, PMEMSET_EVENT_MOVE);
		ASSERT_TYPE(5, PMEMSET_EVENT_DRAIN);
		ASSERT_EQ(flags[i], EV(2).data.copy.flags);
	}
	ASSERT_PMEMSET(0, pmemset_persist(self->set, p, 1024));
}

/* NODRAIN, alone or with NOFLUSH, is the only flag that skips DRAIN. */
TEST_F(ev, memops_with_nodrain_fire_no_drain)
{
	static const unsigned flags[] = {
		PMEMSET_F_MEM_NODRAIN,
		PMEMSET_F_MEM_NODRAIN | PMEMSET_F_MEM_NOFLUSH,
		PMEMSET_F_MEM_NODRAIN | PMEMSET_F_MEM_NONTEMPORAL,
	};
	char *p = self->d.addr;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		self->log.n = 0;
		pmemset_memset(self->set, p, 'b', 256, flags[i]);
		pmemset_memcpy(self->set, p + 512, p, 256, flags[i]);
		pmemset_memmove(self->set, p + 64, p + 512, 256, flags[i]);
		ASSERT_EQ(3, self->log.n) TH_LOG("flags 0x%x", flags[i]);
		ASSERT_EQ(0, count_events(&self->log, PMEMSET_EVENT_DRAIN));
		ASSERT_EQ(0, count_events(&self->log, PMEMSET_EVENT_FLUSH));
	}
	ASSERT_PMEMSET(0, pmemset_drain(self->set));
}

/* What the COPY/MOVE/SET callback sees at the destination. */
struct before_op {
	int checked;
	int already_done;
};

static int check_before_op(struct pmemset *set, struct pmemset_event_context *ctx, void *arg)
{
	struct before_op *b = arg;
	const char *dest, *src;
	size_t len;

	(void)set;
	switch (ctx->type) {
	case PMEMSET_EVENT_COPY:
		dest = ctx->data.copy.dest;
		src = ctx->data.copy.src;
		len = ctx->data.copy.len;
		break;
	case PMEMSET_EVENT_MOVE:
		dest = ctx->data.move.dest;
		src = ctx->data.move.src;
		len = ctx->data.move.len;
		break;
	case PMEMSET_EVENT_SET:
		b->checked++;
		b->already_done += ((const char *)ctx->data.set.dest)[0] == (char)ctx->data.set.value;
		return 0;
	default:
		return 0;
	}
	b->checked++;
	b->already_done += memcmp(dest, src, len) == 0;
	return 0;
}

/* The operation's event comes before the operation (PMDK's event test). */
TEST_F(ev, memop_event_fires_before_the_operation)
{
	struct before_op b = { 0 };
	struct pmemset_part_descriptor d;
	struct pmemset *set;
	char *p;

	ASSERT_PMEMSET(0, env_set(&set, PMEM2_GRANULARITY_PAGE, check_before_op, &b, NULL));
	ASSERT_PMEMSET(0, env_map(set, self->src, self->env.part, self->env.part, &d));
	p = d.addr;
	memset(p, 0, 3 * 1000);
	pmemset_memset(set, p, 0xbb, 1000, 0);
	pmemset_memcpy(set, p + 1000, p, 1000, 0);
	pmemset_memmove(set, p + 2000, p + 1000, 1000, PMEMSET_F_MEM_NODRAIN);
	ASSERT_EQ(3, b.checked);
	ASSERT_EQ(0, b.already_done);
	ASSERT_EQ((char)0xbb, p[2999]);
	pmemset_delete(&set);
}

TEST_F(ev, remove_part_map_fires_part_remove)
{
	struct pmemset_part_map *pm;

	pmemset_first_part_map(self->set, &pm);
	ASSERT_PMEMSET(0, pmemset_remove_part_map(self->set, &pm));
	ASSERT_EQ(1, self->log.n);
	ASSERT_TYPE(0, PMEMSET_EVENT_PART_REMOVE);
	ASSERT_EQ(self->d.addr, EV(0).data.part_remove.addr);
	ASSERT_EQ(self->d.size, EV(0).data.part_remove.len);
}

TEST_F(ev, remove_range_fires_remove_range_then_part_remove)
{
	ASSERT_PMEMSET(0, pmemset_remove_range(self->set, self->d.addr, 4096));
	ASSERT_EQ(2, self->log.n);
	ASSERT_TYPE(0, PMEMSET_EVENT_REMOVE_RANGE);
	ASSERT_EQ(self->d.addr, EV(0).data.remove_range.addr);
	ASSERT_EQ((size_t)4096, EV(0).data.remove_range.len);
	ASSERT_TYPE(1, PMEMSET_EVENT_PART_REMOVE);
	ASSERT_EQ(self->d.addr, EV(1).data.part_remove.addr);
	ASSERT_EQ(self->d.size, EV(1).data.part_remove.len);
}

TEST_F(ev, set_delete_fires_no_part_remove)
{
	ASSERT_PMEMSET(0, pmemset_delete(&self->set));
	ASSERT_EQ(0, self->log.n);
}

static int failing_cb(struct pmemset *set, struct pmemset_event_context *ctx, void *arg)
{
	int *calls = arg;

	(void)set;
	(void)ctx;
	(*calls)++;
	return -1;
}

TEST_F(ev, callback_errors_are_ignored_where_not_handled)
{
	struct pmemset *set;
	struct pmemset_part_descriptor d;
	struct pmemset_part_map *pm;
	int calls = 0;

	ASSERT_PMEMSET(0, env_set(&set, PMEM2_GRANULARITY_PAGE, failing_cb, &calls, NULL));
	ASSERT_PMEMSET(0, env_map(set, self->src, 0, self->env.part, &d));
	ASSERT_PMEMSET(0, pmemset_persist(set, d.addr, 64));
	pmemset_memset(set, d.addr, 0, 64, 0);
	pmemset_first_part_map(set, &pm);
	ASSERT_PMEMSET(0, pmemset_remove_part_map(set, &pm));
	ASSERT_EQ(6, calls);	/* PART_ADD, FLUSH, DRAIN, SET, DRAIN, PART_REMOVE */
	pmemset_delete(&set);
}

TEST_F(ev, config_changes_after_new_do_not_reach_the_set)
{
	struct pmemset_config *cfg;
	struct pmemset *set;
	struct event_log other = { 0 };

	ASSERT_PMEMSET(0, pmemset_config_new(&cfg));
	ASSERT_PMEMSET(0, pmemset_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE));
	pmemset_config_set_event_callback(cfg, record_event, &self->log);
	ASSERT_PMEMSET(0, pmemset_new(&set, cfg));
	pmemset_config_set_event_callback(cfg, record_event, &other);
	pmemset_config_delete(&cfg);
	ASSERT_PMEMSET(0, env_map(set, self->src, self->env.part, self->env.part, NULL));
	ASSERT_EQ(1, self->log.n);
	ASSERT_EQ(0, other.n);
	pmemset_delete(&set);
}

TEST_HARNESS_MAIN
