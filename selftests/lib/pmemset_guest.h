/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the libpmemset guest tests share: the three kinds of source each
 * test runs on (a regular file on a non-DAX filesystem, a file on an ext4
 * mounted -o dax on the legacy pmem device, and the NVDIMM as device DAX),
 * set creation, and an event recorder.  Include after kselftest_harness.h.
 *
 * The pmem is prepared once, before the harness forks its first test
 * (a constructor; pmemset_env.sh does the work), handed to every test
 * through the environment, and restored when the test program exits (the
 * harness runs each test in a child; the destructor runs in the parent).
 * Under TCG every shell started costs a fraction of a second, so tests
 * start none.
 */
#ifndef PMEMSET_GUEST_H
#define PMEMSET_GUEST_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmemset.h>

#include "pmemset_expect.h"

enum src_kind { KIND_FILE, KIND_FSDAX, KIND_DEVDAX };

/* Where a test's source lives and how large its parts are. */
struct src_env {
	enum src_kind kind;
	char dir[256];		/* directory for files (FILE, FSDAX) */
	char path[300];		/* the file, or the device */
	size_t part;		/* part size: 64 KiB, 2 MiB on device DAX */
	size_t capacity;	/* bytes a test may map from the source */
};


static inline int env_run(const char *what, char *out, size_t outlen)
{
	char cmd[512];
	const char *top = getenv("KPMEM_TOP");
	FILE *p;
	int rc;

	snprintf(cmd, sizeof(cmd), "%s/selftests/part_maps/pmemset_env.sh %s",
		 top ? top : ".", what);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out && (!fgets(out, (int)outlen, p) || !*out))
		out[0] = '\0';
	rc = pclose(p);
	if (out)
		out[strcspn(out, "\n")] = '\0';
	return rc;
}

/* Once, in the parent: the fsdax mount and the device DAX node. */
__attribute__((constructor)) static void env_setup(void)
{
	char out[256] = "";

	if (!getenv("PMEMSET_TEST_FSDAX") && !env_run("fsdax-up", out, sizeof(out)) && *out)
		setenv("PMEMSET_TEST_FSDAX", out, 1);
	out[0] = '\0';
	if (!getenv("PMEMSET_TEST_DEVDAX") && !env_run("devdax-up", out, sizeof(out)) && *out)
		setenv("PMEMSET_TEST_DEVDAX", out, 1);
}

__attribute__((destructor)) static void env_restore(void)
{
	/* Leave the guest as we found it for the next test program. */
	env_run("fsdax-down", NULL, 0);
	env_run("devdax-down", NULL, 0);
}

/* Make the pmem for @kind exist; fill @env.  Return: 0 or -1. */
static inline int env_prepare(enum src_kind kind, struct src_env *env)
{
	memset(env, 0, sizeof(*env));
	env->kind = kind;
	env->part = 64 << 10;
	env->capacity = 16 << 20;
	switch (kind) {
	case KIND_FILE:
		snprintf(env->dir, sizeof(env->dir), "/tmp/pmemset_file.%d", getpid());
		if (mkdir(env->dir, 0700) && errno != EEXIST)
			return -1;
		break;
	case KIND_FSDAX:
		if (!getenv("PMEMSET_TEST_FSDAX"))
			return -1;
		snprintf(env->dir, sizeof(env->dir), "%s/t.%d", getenv("PMEMSET_TEST_FSDAX"),
			 getpid());
		if (mkdir(env->dir, 0700) && errno != EEXIST)
			return -1;
		break;
	case KIND_DEVDAX: {
		const char *dev = getenv("PMEMSET_TEST_DEVDAX");
		struct stat st;

		if (!dev || stat(dev, &st))
			return -1;
		snprintf(env->path, sizeof(env->path), "%s", dev);
		strcpy(env->dir, "/tmp");
		env->part = 2 << 20;
		env->capacity = 128 << 20;
		return 0;
	}
	}
	snprintf(env->path, sizeof(env->path), "%s/file", env->dir);
	return 0;
}

static inline int env_rm_one(const char *path, const struct stat *st, int type,
			     struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* Remove what a FILE/FSDAX test created. */
static inline void env_cleanup(struct src_env *env)
{
	if (env->kind == KIND_DEVDAX || !env->dir[0])
		return;
	if (nftw(env->dir, env_rm_one, 16, FTW_DEPTH | FTW_PHYS))
		fprintf(stderr, "# cannot remove %s\n", env->dir);
}

/* The test's source file, @size bytes (holey); device DAX as it is. */
static inline int env_source(struct src_env *env, size_t size, struct pmemset_source **src)
{
	if (env->kind != KIND_DEVDAX) {
		int fd = open(env->path, O_RDWR | O_CREAT | O_TRUNC, 0644);

		if (fd < 0)
			return -errno;
		if (ftruncate(fd, (off_t)size)) {
			close(fd);
			return -errno;
		}
		close(fd);
	}
	return pmemset_source_from_file(src, env->path);
}

/* A set with @gran required and optional callback/reservation. */
static inline int env_set(struct pmemset **set, enum pmem2_granularity gran,
		   pmemset_event_callback *cb, void *arg, struct pmem2_vm_reservation *rsv)
{
	struct pmemset_config *cfg;
	int ret = pmemset_config_new(&cfg);

	if (ret)
		return ret;
	pmemset_config_set_required_store_granularity(cfg, gran);
	pmemset_config_set_event_callback(cfg, cb, arg);
	pmemset_config_set_reservation(cfg, rsv);
	ret = pmemset_new(set, cfg);
	pmemset_config_delete(&cfg);
	return ret;
}

/* Map [off, off + len) of @src; length 0: the whole source. */
static inline int env_map(struct pmemset *set, struct pmemset_source *src, size_t off, size_t len,
		   struct pmemset_part_descriptor *desc)
{
	struct pmemset_map_config *mc;
	int ret = pmemset_map_config_new(&mc);

	if (ret)
		return ret;
	ret = pmemset_map_config_set_offset(mc, off);
	pmemset_map_config_set_length(mc, len);
	if (!ret)
		ret = pmemset_map(set, src, mc, desc);
	pmemset_map_config_delete(&mc);
	return ret;
}

/* How many part maps the set has, walking first/next. */
static inline int count_part_maps(struct pmemset *set)
{
	struct pmemset_part_map *pm, *next;
	int n = 0;

	pmemset_first_part_map(set, &pm);
	while (pm) {
		n++;
		pmemset_next_part_map(set, pm, &next);
		pmemset_part_map_drop(&pm);
		pm = next;
	}
	return n;
}

/* ---- event recorder ---- */
#define MAX_EVENTS 64

struct event_log {
	int n;
	struct pmemset_event_context ev[MAX_EVENTS];
	int ret_for[16];	/* what the callback returns, per event type */
};

static inline int record_event(struct pmemset *set, struct pmemset_event_context *ctx, void *arg)
{
	struct event_log *log = arg;

	(void)set;
	if (log->n < MAX_EVENTS)
		log->ev[log->n++] = *ctx;
	return log->ret_for[ctx->type];
}

/* The variants every source-based test program runs on. */
#define PMEMSET_SOURCE_VARIANTS(fixture)				\
	FIXTURE_VARIANT(fixture) { enum src_kind kind; };		\
	FIXTURE_VARIANT_ADD(fixture, file) { .kind = KIND_FILE };	\
	FIXTURE_VARIANT_ADD(fixture, fsdax) { .kind = KIND_FSDAX };	\
	FIXTURE_VARIANT_ADD(fixture, devdax) { .kind = KIND_DEVDAX }

#endif /* PMEMSET_GUEST_H */
