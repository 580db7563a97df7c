// SPDX-License-Identifier: BSD-3-Clause
/*
 * kpmemctl version: what is installed and loaded.
 *
 *  - kpmemctl's own release and the ABI it speaks;
 *  - the loaded module: its release and features (KPMEM_IOC_GET_VERSION),
 *    and the version and srcversion the kernel shows in /sys/module/kpmem/
 *    (which modinfo shows for the .ko file);
 *  - librpmem.so.1 and libpmemset.so.1 as the dynamic linker finds them for
 *    any program (dlopen), with the release each was built as: the build
 *    stamps "KPMEM_RELEASE=x.y.z" into both libraries (lib/common/common.mk), so a
 *    library without it is not kpmem's (PMDK's own librpmem, for one).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librpmem.h>

#include "json.h"
#include "kpmem_device.h"
#include "kpmemctl.h"

#ifndef KPMEM_RELEASE
#error "KPMEM_RELEASE must be defined (tools/tools.mk)"
#endif

#define RELEASE_MARKER	"KPMEM_RELEASE="

struct lib_info {
	const char *soname;
	char path[PATH_MAX];
	char release[32];	/* "" when the library carries no kpmem stamp */
	char api[16];		/* librpmem: the API version it accepts */
	char error[256];	/* why it could not be loaded; "" when loaded */
};

/* The release stamped into @path, or "" when there is none. */
static void read_stamp(const char *path, char *out, size_t outlen)
{
	const char *map, *p, *end;
	struct stat st;
	size_t n = 0;
	int fd;

	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) || st.st_size <= 0) {
		close(fd);
		return;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return;
	end = map + st.st_size;
	p = memmem(map, st.st_size, RELEASE_MARKER, strlen(RELEASE_MARKER));
	if (p) {
		p += strlen(RELEASE_MARKER);
		while (p + n < end && n + 1 < outlen && ((p[n] >= '0' && p[n] <= '9') || p[n] == '.'))
			n++;
		memcpy(out, p, n);
		out[n] = '\0';
	}
	munmap((void *)map, st.st_size);
}

static void find_library(struct lib_info *li)
{
	struct link_map *lm = NULL;
	void *h;

	h = dlopen(li->soname, RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		snprintf(li->error, sizeof(li->error), "%s", dlerror());
		return;
	}
	if (!dlinfo(h, RTLD_DI_LINKMAP, &lm) && lm && lm->l_name[0] &&
	    !realpath(lm->l_name, li->path))
		snprintf(li->path, sizeof(li->path), "%s", lm->l_name);
	if (li->path[0])
		read_stamp(li->path, li->release, sizeof(li->release));
	if (!strcmp(li->soname, "librpmem.so.1")) {
		const char *(*check)(unsigned int, unsigned int);

		*(void **)&check = dlsym(h, "rpmem_check_version");
		if (check && !check(RPMEM_MAJOR_VERSION, RPMEM_MINOR_VERSION))
			snprintf(li->api, sizeof(li->api), "%d.%d", RPMEM_MAJOR_VERSION,
				 RPMEM_MINOR_VERSION);
	}
	dlclose(h);
}

/* First line of /sys/module/kpmem/@attr, or "" (not loaded, no such file). */
static void sysfs_attr(const char *attr, char *out, size_t len)
{
	char path[64];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/sys/module/kpmem/%s", attr);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(out, len, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

static void put_json_field(const char *key, const char *value, const char *sep)
{
	printf("%s\"%s\":", sep, key);
	if (value && *value && json_utf8_valid(value))
		json_put_string(stdout, value);
	else
		fputs("null", stdout);
}

int cmd_version(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lib_info libs[] = {
		{ .soname = "librpmem.so.1" },
		{ .soname = "libpmemset.so.1" },
	};
	struct kpmem_version_info info;
	char msg[KPMEM_MSG_MAX], sys_version[64], srcversion[64];
	int json = 0, c, fd;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j') {
			json = 1;
			continue;
		}
		fputs("usage: kpmemctl version [-j|--json]\n", c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : EXIT_USAGE;
	}
	if (optind != argc) {
		fprintf(stderr, "kpmemctl version: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}

	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
		find_library(&libs[i]);
	fd = kpmem_device_open(KPMEM_DEVICE_PATH, 0, &info, msg, sizeof(msg));
	if (fd >= 0)
		close(fd);
	sysfs_attr("version", sys_version, sizeof(sys_version));
	sysfs_attr("srcversion", srcversion, sizeof(srcversion));

	if (json) {
		if (fd < 0) {
			fprintf(stderr, "kpmemctl version: %s\n", msg);
			return EXIT_FAIL;
		}
		printf("{\n  \"abi_version\":%u,\n  \"library_abi_version\":%u,\n"
		       "  \"module_version\":\"%u.%u.%u\",\n",
		       info.abi_version, KPMEM_ABI_VERSION,
		       info.module_version >> 16, (info.module_version >> 8) & 0xff,
		       info.module_version & 0xff);
		put_json_field("module_sysfs_version", sys_version, "  ");
		put_json_field("module_srcversion", srcversion, ",\n  ");
		put_json_field("kpmemctl_version", KPMEM_RELEASE, ",\n  ");
		printf(",\n  \"features\":[");
		for (int bit = 0, first = 1; bit < 64; bit++) {
			if (!(info.features & (1ULL << bit)))
				continue;
			printf("%s\"%s\"", first ? "" : ",", kpmem_feature_name(1ULL << bit));
			first = 0;
		}
		printf("],\n  \"libraries\":[");
		for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
			printf("%s\n    {", i ? "," : "");
			put_json_field("soname", libs[i].soname, "");
			put_json_field("path", libs[i].path, ",");
			put_json_field("release", libs[i].release, ",");
			if (!strcmp(libs[i].soname, "librpmem.so.1"))
				put_json_field("api_version", libs[i].api, ",");
			put_json_field("error", libs[i].error, ",");
			printf("}");
		}
		printf("\n  ]\n}\n");
		return 0;
	}

	printf("kpmemctl %s, ABI %u\n", KPMEM_RELEASE, KPMEM_ABI_VERSION);
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		const struct lib_info *li = &libs[i];

		if (li->error[0])
			printf("%s: not found (%s)\n", li->soname, li->error);
		else if (li->release[0])
			printf("%s: kpmem %s%s%s, %s\n", li->soname, li->release,
			       li->api[0] ? ", API " : "", li->api, li->path);
		else
			printf("%s: not kpmem's (no release stamp), %s\n", li->soname, li->path);
	}
	if (fd < 0) {
		fflush(stdout);
		fprintf(stderr, "kpmemctl version: %s\n", msg);
		return EXIT_FAIL;
	}
	printf("module %u.%u.%u, ABI %u (library ABI %u)",
	       info.module_version >> 16, (info.module_version >> 8) & 0xff,
	       info.module_version & 0xff, info.abi_version, KPMEM_ABI_VERSION);
	if (sys_version[0] || srcversion[0])
		printf("; /sys/module/kpmem: version %s, srcversion %s",
		       sys_version[0] ? sys_version : "-", srcversion[0] ? srcversion : "-");
	printf("\nfeatures:");
	for (int bit = 0; bit < 64; bit++)
		if (info.features & (1ULL << bit))
			printf(" %s", kpmem_feature_name(1ULL << bit));
	printf("\n");
	return 0;
}
