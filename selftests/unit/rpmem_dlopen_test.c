// SPDX-License-Identifier: GPL-2.0
/*
 * The way Debian's libpmemobj 1.12.1 uses librpmem: dlopen("librpmem.so.1",
 * RTLD_NOW) found through the library path, then plain dlsym of 8 names.
 * This program puts the freshly built library on LD_LIBRARY_PATH (by
 * re-executing itself) exactly as a user would, has no rpath of its own,
 * and finally lets the real libpmemobj (when installed) try a pool set with
 * a remote replica: it must get as far as calling our rpmem_create.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#ifndef KPMEM_BUILD_LIB
#error "KPMEM_BUILD_LIB: the directory holding the freshly built librpmem.so.1"
#endif

static const char *const pmemobj_needs[] = {
	"rpmem_create", "rpmem_open", "rpmem_close", "rpmem_persist",
	"rpmem_deep_persist", "rpmem_read", "rpmem_remove", "rpmem_set_attr",
};

/* Before main: make sure LD_LIBRARY_PATH starts with the build directory. */
static void __attribute__((constructor)) use_build_library_path(int argc, char **argv)
{
	const char *cur = getenv("LD_LIBRARY_PATH");
	char buf[PATH_MAX * 4], self[PATH_MAX];
	ssize_t n;

	(void)argc;
	if (cur && !strncmp(cur, KPMEM_BUILD_LIB, strlen(KPMEM_BUILD_LIB)))
		return;
	snprintf(buf, sizeof(buf), "%s%s%s", KPMEM_BUILD_LIB, cur ? ":" : "", cur ? cur : "");
	setenv("LD_LIBRARY_PATH", buf, 1);
	/* The resolved path, which tools like valgrind report as the program. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		execv(self, argv);
	}
	perror("re-exec with LD_LIBRARY_PATH");
	_exit(1);
}

TEST(librpmem_so_1_loads_from_the_library_path)
{
	char real[PATH_MAX], want[PATH_MAX];
	Dl_info info;
	void *h, *sym;

	h = dlopen("librpmem.so.1", RTLD_NOW);
	ASSERT_NE(NULL, h) TH_LOG("%s", dlerror());
	sym = dlsym(h, "rpmem_create");
	ASSERT_NE(NULL, sym);
	/* It is ours, not some other librpmem.so.1 on the system. */
	ASSERT_NE(0, dladdr(sym, &info));
	ASSERT_NE(NULL, realpath(info.dli_fname, real));
	ASSERT_NE(NULL, realpath(KPMEM_BUILD_LIB "/librpmem.so.1", want));
	ASSERT_STREQ(want, real);
	dlclose(h);
}

TEST(the_8_symbols_libpmemobj_needs_resolve_unversioned)
{
	void *h = dlopen("librpmem.so.1", RTLD_NOW);

	ASSERT_NE(NULL, h) TH_LOG("%s", dlerror());
	for (size_t i = 0; i < sizeof(pmemobj_needs) / sizeof(pmemobj_needs[0]); i++) {
		ASSERT_NE(NULL, dlsym(h, pmemobj_needs[i])) TH_LOG("%s: %s", pmemobj_needs[i], dlerror());
	}
	dlclose(h);
}

/*
 * The real thing: libpmemobj loads librpmem.so.1 lazily when a pool set has
 * a remote replica.  Without kpmem.ko our rpmem_create fails, so
 * pmemobj_create fails, but not with "cannot be loaded".
 */
TEST(debian_libpmemobj_loads_and_calls_it)
{
	typedef void *(*create_fn)(const char *, const char *, size_t, mode_t);
	typedef const char *(*errmsg_fn)(void);
	char dir[] = "/tmp/rpmem_dlopen_XXXXXX", set[PATH_MAX], part[PATH_MAX];
	errmsg_fn errmsg, rpmem_errmsg;
	void *obj, *pop, *rpmem;
	create_fn create;
	int err;
	FILE *f;

	obj = dlopen("libpmemobj.so.1", RTLD_NOW);
	/* make deps installs Debian's libpmemobj1: its absence is a failure. */
	ASSERT_NE(NULL, obj) TH_LOG("libpmemobj.so.1: %s", dlerror());
	create = (create_fn)dlsym(obj, "pmemobj_create");
	errmsg = (errmsg_fn)dlsym(obj, "pmemobj_errormsg");
	ASSERT_NE(NULL, create);
	ASSERT_NE(NULL, errmsg);

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(set, sizeof(set), "%s/pool.set", dir);
	snprintf(part, sizeof(part), "%s/part0", dir);
	f = fopen(set, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "PMEMPOOLSET\n16M %s\nREPLICA localhost remote.set\n", part);
	fclose(f);

	errno = 0;
	pop = create(set, "layout", 0, 0600);
	err = errno;
	TH_LOG("pmemobj_create: %s (errno %d)", pop ? "ok" : errmsg(), err);
	unlink(part);
	unlink(set);
	rmdir(dir);
	if (pop || access("/dev/kpmem", F_OK) == 0)
		SKIP(return, "kpmem is loaded here: this test is for hosts without it");
	ASSERT_EQ(NULL, strstr(errmsg(), "cannot be loaded")) TH_LOG("%s", errmsg());
	/* Our rpmem_create ran, on this thread, and failed for want of kpmem.ko. */
	ASSERT_EQ(ENOENT, err);
	rpmem = dlopen("librpmem.so.1", RTLD_NOW);
	ASSERT_NE(NULL, rpmem);
	rpmem_errmsg = (errmsg_fn)dlsym(rpmem, "rpmem_errormsg");
	ASSERT_NE(NULL, rpmem_errmsg);
	ASSERT_NE(NULL, strstr(rpmem_errmsg(), "rpmem_create: /dev/kpmem does not exist"))
		TH_LOG("rpmem_errormsg: %s", rpmem_errmsg());
	dlclose(rpmem);
	dlclose(obj);
}

TEST_HARNESS_MAIN
