// SPDX-License-Identifier: GPL-2.0
/*
 * One set used by many threads at once: map, look up, remove, over and
 * over (PMDK's test_pmemset_async_map_remove_multiple_part_maps, scaled to
 * emulated CPUs).  Nothing may fail and nothing may be left behind.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "../lib/pmemset_guest.h"

#define THREADS 32
/*
 * Cycles per thread under TCG: 2 MiB device DAX parts cost far more to map
 * and unmap than 64 KiB ones, so they run fewer.
 */
#define CYCLES 100
#define CYCLES_DEVDAX 10

FIXTURE(conc) {
	struct src_env env;
	struct pmemset *set;
	struct pmemset_source *src;
};

PMEMSET_SOURCE_VARIANTS(conc);

FIXTURE_SETUP(conc)
{
	ASSERT_EQ(0, env_prepare(variant->kind, &self->env));
	ASSERT_PMEMSET(0, env_set(&self->set, PMEM2_GRANULARITY_PAGE, NULL, NULL, NULL));
	ASSERT_PMEMSET(0, env_source(&self->env, self->env.capacity, &self->src));
}

FIXTURE_TEARDOWN(conc)
{
	pmemset_delete(&self->set);
	pmemset_source_delete(&self->src);
	env_cleanup(&self->env);
}

struct worker {
	pthread_t t;
	struct pmemset *set;
	struct pmemset_source *src;
	size_t off, part;
	int cycles;
	int failed_at;		/* 0: all cycles passed */
	int err;
	char msg[256];
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 1; i <= w->cycles; i++) {
		struct pmemset_part_descriptor d;
		struct pmemset_part_map *pm;
		int ret = env_map(w->set, w->src, w->off, w->part, &d);

		if (!ret) {
			*(volatile char *)d.addr = (char)i;
			ret = pmemset_part_map_by_address(w->set, &pm, d.addr);
		}
		if (!ret && pmemset_descriptor_part_map(pm).addr != d.addr)
			ret = -1;
		if (!ret)
			ret = pmemset_remove_part_map(w->set, &pm);
		if (ret) {
			fprintf(stderr, "# worker at %zu, cycle %d: %d: %s\n", w->off, i, ret,
				pmemset_errormsg());
			w->failed_at = i;
			w->err = ret;
			snprintf(w->msg, sizeof(w->msg), "%s", pmemset_errormsg());
			break;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(conc, threads_map_and_remove_part_maps_concurrently, 300)
{
	size_t part = self->env.part;
	int nthreads = THREADS;
	struct worker *w;

	/* device DAX parts are 2 MiB: fit the threads in the capacity */
	if ((size_t)nthreads * part > self->env.capacity)
		nthreads = (int)(self->env.capacity / part);
	w = calloc((size_t)nthreads, sizeof(*w));
	ASSERT_NE(NULL, w);
	for (int i = 0; i < nthreads; i++) {
		w[i].set = self->set;
		w[i].src = self->src;
		w[i].off = (size_t)i * part;
		w[i].part = part;
		w[i].cycles = self->env.kind == KIND_DEVDAX ? CYCLES_DEVDAX : CYCLES;
		ASSERT_EQ(0, pthread_create(&w[i].t, NULL, work, &w[i]));
	}
	for (int i = 0; i < nthreads; i++)
		ASSERT_EQ(0, pthread_join(w[i].t, NULL));
	for (int i = 0; i < nthreads; i++) {
		EXPECT_EQ(0, w[i].failed_at) TH_LOG("thread %d: error %d: %s", i, w[i].err, w[i].msg);
	}
	ASSERT_EQ(0, count_part_maps(self->set));
	free(w);
}

TEST_HARNESS_MAIN
