// SPDX-License-Identifier: BSD-3-Clause
/*
 * kpmemctl - administer and inspect kpmem
 *
 *   kpmemctl version [-j|--json]   module and library ABI, features
 *   kpmemctl export-add | export-remove | export-list   target exports
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpmem_device.h"
#include "kpmemctl.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kpmemctl <command> [options]\n"
		"\n"
		"commands:\n"
		"  version [-j|--json]   show the loaded module's ABI version and features\n"
		"  export-add NAME BACKING [--size BYTES[K|M|G]] [--nohdrs] [--allow ADDR[/PREFIX]]...\n"
		"                        serve BACKING (device DAX or file) to one initiator at a time\n"
		"  export-remove NAME [--force]\n"
		"                        stop serving NAME (--force: disconnect its initiator)\n"
		"  export-list [-j|--json]\n"
		"                        exports with state and counters\n"
		"  help                  show this text\n");
}

static int cmd_version(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct kpmem_version_info info;
	char msg[KPMEM_MSG_MAX];
	int json = 0, c, fd;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j') {
			usage(stderr);
			return 2;
		}
		json = 1;
	}
	if (optind != argc) {
		fprintf(stderr, "kpmemctl version: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}

	fd = kpmem_device_open(KPMEM_DEVICE_PATH, 0, &info, msg, sizeof(msg));
	if (fd < 0) {
		fprintf(stderr, "kpmemctl version: %s\n", msg);
		return 1;
	}
	close(fd);

	if (json) {
		printf("{\n  \"abi_version\":%u,\n  \"library_abi_version\":%u,\n"
		       "  \"module_version\":\"%u.%u.%u\",\n  \"features\":[",
		       info.abi_version, KPMEM_ABI_VERSION,
		       info.module_version >> 16, (info.module_version >> 8) & 0xff,
		       info.module_version & 0xff);
		for (int bit = 0, first = 1; bit < 64; bit++) {
			if (!(info.features & (1ULL << bit)))
				continue;
			printf("%s\"%s\"", first ? "" : ",", kpmem_feature_name(1ULL << bit));
			first = 0;
		}
		printf("]\n}\n");
	} else {
		printf("module %u.%u.%u, ABI %u (library ABI %u)\nfeatures:",
		       info.module_version >> 16, (info.module_version >> 8) & 0xff,
		       info.module_version & 0xff, info.abi_version, KPMEM_ABI_VERSION);
		for (int bit = 0; bit < 64; bit++)
			if (info.features & (1ULL << bit))
				printf(" %s", kpmem_feature_name(1ULL << bit));
		printf("\n");
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "version"))
		return cmd_version(argc - 1, argv + 1);
	if (!strcmp(argv[1], "export-add"))
		return cmd_export_add(argc - 1, argv + 1);
	if (!strcmp(argv[1], "export-remove"))
		return cmd_export_remove(argc - 1, argv + 1);
	if (!strcmp(argv[1], "export-list"))
		return cmd_export_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "kpmemctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
