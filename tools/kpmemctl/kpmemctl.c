// SPDX-License-Identifier: BSD-3-Clause
/*
 * kpmemctl - administer and inspect kpmem
 *
 *   kpmemctl version [-j|--json]   kpmemctl, libraries, module, features
 *   kpmemctl export-add | export-remove | export-list   target exports
 *   kpmemctl save | restore        exports that survive a reboot
 *
 * Every command either does all it was asked or, failing, changes nothing;
 * kpmemctl(8) is the manual.
 */
#include <stdio.h>
#include <string.h>

#include "kpmemctl.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kpmemctl <command> [options]\n"
		"\n"
		"commands:\n"
		"  version [-j|--json]\n"
		"        kpmemctl's release, the librpmem.so.1 and libpmemset.so.1 found,\n"
		"        the loaded module's release, ABI version, srcversion and features\n"
		"  export-add NAME BACKING [--size BYTES[K|M|G]] [--nohdrs]\n"
		"                          [--allow ADDR[/PREFIX]]... [--key-file PATH]\n"
		"                          [--state-file PATH] [--convert-header]\n"
		"        serve BACKING (a device DAX device or a file) as export NAME to one\n"
		"        initiator at a time; --size exports that many bytes and creates a\n"
		"        missing file, --nohdrs exports without a pool header, --allow admits\n"
		"        only those initiator addresses (at most %d; a filter, not\n"
		"        authentication: addresses can be forged), --key-file requires initiators to\n"
		"        prove they hold the 16-32 byte key in PATH, --state-file is where a\n"
		"        --nohdrs export records whether it holds a pool (default\n"
		"        " KPMEMCTL_STATE_DIR "/NAME.state), --convert-header\n"
		"        rewrites a kpmem 0.1 pool header in BACKING as PMDK's\n"
		"  export-remove NAME [--force]\n"
		"        stop serving NAME (--force: even with an initiator connected)\n"
		"  export-list [-j|--json]\n"
		"        exports with state and counters\n"
		"  save [--file PATH]\n"
		"        write the exports to PATH (default %s)\n"
		"  restore [--file PATH]\n"
		"        add the exports saved in PATH that do not exist yet\n"
		"  help  show this text\n",
		KPMEM_EXPORT_ALLOW_MAX, KPMEMCTL_CONFIG_DEFAULT);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "version", cmd_version },
	{ "export-add", cmd_export_add },
	{ "export-remove", cmd_export_remove },
	{ "export-list", cmd_export_list },
	{ "save", cmd_save },
	{ "restore", cmd_restore },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "kpmemctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
