// SPDX-License-Identifier: BSD-3-Clause
/*
 * kpmemctl save / restore: exports that survive a reboot.
 *
 * `save` writes the live exports to a JSON file (/etc/kpmem/exports.json
 * by default):
 *
 *   {
 *     "version": 1,
 *     "exports": [ <record>, ... ]
 *   }
 *
 * with one record (record.h) per export.  The module's list says which
 * exports exist; each export's record, kept since its export-add, says how
 * it was made (the module knows neither the backing's path nor the key
 * file's).  An export without a record, or whose record disagrees with
 * what the module reports, fails the save and leaves the file as it was.
 *
 * `restore` adds the file's exports that do not exist yet, each as
 * export-add would (but never creating a backing file), and goes on past
 * an entry that fails: a missing device, a bad key file or a malformed
 * entry is reported with the entry's name (or position) and the rest are
 * restored.  A file that is not JSON restores nothing.  Either command
 * exits non-zero if anything failed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpmem_device.h"
#include "kpmemctl.h"

struct saved {
	struct export_rec *recs;
	unsigned int count;
};

static int fill_config(FILE *f, void *arg)
{
	const struct saved *s = arg;

	fprintf(f, "{\n  \"version\": %d,\n  \"exports\": [", KPMEMCTL_CONFIG_VERSION);
	for (unsigned int i = 0; i < s->count; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		record_write(f, &s->recs[i], "    ");
	}
	fputs(s->count ? "\n  ]\n}\n" : "]\n}\n", f);
	return ferror(f) ? -EIO : 0;
}

/* Does the live export @e look like what record @r would have made? */
static const char *record_mismatch(const struct export_rec *r, const struct kpmem_export_info *e)
{
	if (!!(e->flags & KPMEM_EXPORT_NOHDRS) != r->nohdrs)
		return "header setting";
	if (!!(e->flags & KPMEM_EXPORT_HAS_KEY) != !!r->key_file)
		return "key";
	if (e->nallow != r->nallow)
		return "allow list";
	if (r->size && e->size != r->size)
		return "size";
	return NULL;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct export_rec *)a)->name, ((const struct export_rec *)b)->name);
}

static int file_option(int argc, char **argv, const char *cmd, const char **file)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*file = KPMEMCTL_CONFIG_DEFAULT;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		if (c == 'f') {
			*file = optarg;
			continue;
		}
		fprintf(c == 'h' ? stdout : stderr, "usage: kpmemctl %s [--file PATH]\n", cmd);
		return c == 'h' ? 0 : EXIT_USAGE;
	}
	if (optind != argc) {
		fprintf(stderr, "kpmemctl %s: unexpected argument '%s'\n", cmd, argv[optind]);
		return EXIT_USAGE;
	}
	return -1;
}

int cmd_save(int argc, char **argv)
{
	struct kpmem_export_info *infos = NULL;
	struct kpmem_export_list list;
	struct saved s = { 0 };
	const char *file, *bad;
	char msg[512];
	int dev, ret, failed = 0;

	ret = file_option(argc, argv, "save", &file);
	if (ret >= 0)
		return ret;
	dev = open_device("save");
	if (dev < 0)
		return EXIT_FAIL;
	ret = export_list_fetch(dev, &list, &infos);
	close(dev);
	if (ret) {
		fprintf(stderr, "kpmemctl save: %s\n", export_errno_reason(-ret));
		return EXIT_FAIL;
	}
	s.recs = calloc(list.count ? list.count : 1, sizeof(*s.recs));
	if (!s.recs) {
		fprintf(stderr, "kpmemctl save: %s\n", strerror(ENOMEM));
		free(infos);
		return EXIT_FAIL;
	}
	for (unsigned int i = 0; i < list.count; i++) {
		struct export_rec *r = &s.recs[s.count];

		ret = registry_load(infos[i].name, r, msg, sizeof(msg));
		if (ret == -ENOENT) {
			fprintf(stderr, "kpmemctl save: export '%s': no record of how it was added (%s/%s.json); add it with kpmemctl export-add\n",
				infos[i].name, registry_dir(), infos[i].name);
		} else if (ret) {
			fprintf(stderr, "kpmemctl save: export '%s': %s\n", infos[i].name, msg);
		} else if ((bad = record_mismatch(r, &infos[i]))) {
			fprintf(stderr, "kpmemctl save: export '%s': its %s differs from its record in %s: was it replaced without kpmemctl?\n",
				infos[i].name, bad, registry_dir());
			ret = -EINVAL;
		} else if ((bad = record_check_utf8(r))) {
			fprintf(stderr, "kpmemctl save: export '%s': path %s is not UTF-8, which JSON cannot hold\n",
				infos[i].name, bad);
			ret = -EILSEQ;
		}
		if (ret) {
			record_free(r);
			failed++;
			continue;
		}
		s.count++;
	}
	free(infos);
	if (failed) {
		fprintf(stderr, "kpmemctl save: %d export%s not saved; %s left as it was\n", failed,
			failed == 1 ? "" : "s", file);
		ret = EXIT_FAIL;
		goto out;
	}
	/* By name, so that two saves of the same exports are the same file. */
	qsort(s.recs, s.count, sizeof(*s.recs), cmp_name);
	ret = write_file_atomic(file, 0600, fill_config, &s, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "kpmemctl save: %s\n", msg);
		ret = EXIT_FAIL;
	}
out:
	for (unsigned int i = 0; i < s.count; i++)
		record_free(&s.recs[i]);
	free(s.recs);
	return ret;
}

/* "export 'NAME' (entry N)", or "entry N" when the entry has no usable name. */
static void entry_label(const struct json_value *e, unsigned int n, char *buf, size_t len)
{
	const struct json_value *name = json_member(e, "name");

	if (name && name->type == JSON_STRING && export_name_valid(name->text))
		snprintf(buf, len, "export '%s' (entry %u, line %u)", name->text, n, e->line);
	else
		snprintf(buf, len, "entry %u (line %u)", n, e->line);
}

int cmd_restore(int argc, char **argv)
{
	const struct json_value *version, *exports;
	struct kpmem_export_info *infos = NULL;
	struct kpmem_export_list list;
	struct json_value *root = NULL;
	char msg[512], label[320], what[1024];
	unsigned int restored = 0, present = 0, failed = 0;
	const char *file;
	uint64_t ver;
	size_t len;
	char *buf;
	int dev, ret;

	ret = file_option(argc, argv, "restore", &file);
	if (ret >= 0)
		return ret;
	ret = read_file(file, &buf, &len);
	if (ret == -ENOENT && !strcmp(file, KPMEMCTL_CONFIG_DEFAULT))
		return 0;	/* nothing was ever saved: nothing to restore */
	if (ret) {
		fprintf(stderr, "kpmemctl restore: %s: %s\n", file, strerror(-ret));
		return EXIT_FAIL;
	}
	ret = json_parse(buf, len, &root, msg, sizeof(msg));
	free(buf);
	if (ret) {
		fprintf(stderr, "kpmemctl restore: %s: %s; nothing restored\n", file,
			ret == -ENOMEM ? strerror(ENOMEM) : msg);
		return EXIT_FAIL;
	}
	version = json_member(root, "version");
	exports = json_member(root, "exports");
	ret = EXIT_FAIL;
	if (root->type != JSON_OBJECT) {
		fprintf(stderr, "kpmemctl restore: %s: the file must hold an object, not %s; nothing restored\n",
			file, json_type_name(root->type));
		goto out;
	}
	if (!version || json_to_u64(version, &ver) || ver != KPMEMCTL_CONFIG_VERSION) {
		fprintf(stderr, "kpmemctl restore: %s: \"version\" must be %d; nothing restored\n",
			file, KPMEMCTL_CONFIG_VERSION);
		goto out;
	}
	if (!exports || exports->type != JSON_ARRAY) {
		fprintf(stderr, "kpmemctl restore: %s: \"exports\" must be an array; nothing restored\n",
			file);
		goto out;
	}
	for (size_t i = 0; i < root->count; i++) {
		if (strcmp(root->keys[i], "version") && strcmp(root->keys[i], "exports")) {
			fprintf(stderr, "kpmemctl restore: %s: unknown member \"%s\"; nothing restored\n",
				file, root->keys[i]);
			goto out;
		}
	}

	dev = open_device("restore");
	if (dev < 0)
		goto out;
	ret = export_list_fetch(dev, &list, &infos);
	if (ret) {
		fprintf(stderr, "kpmemctl restore: %s\n", export_errno_reason(-ret));
		close(dev);
		ret = EXIT_FAIL;
		goto out;
	}

	for (size_t i = 0; i < exports->count; i++) {
		const struct json_value *e = &exports->items[i];
		struct export_rec rec = { 0 };
		bool dup = false, live = false;

		entry_label(e, i + 1, label, sizeof(label));
		snprintf(what, sizeof(what), "kpmemctl restore: %s: %s", file, label);
		ret = record_from_json(e, &rec, msg, sizeof(msg));
		if (ret) {
			fprintf(stderr, "%s: %s; not restored\n", what, msg);
			record_free(&rec);
			failed++;
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			const struct json_value *n = json_member(&exports->items[j], "name");

			if (n && n->type == JSON_STRING && !strcmp(n->text, rec.name))
				dup = true;
		}
		for (unsigned int j = 0; j < list.count; j++)
			if (!strcmp(infos[j].name, rec.name))
				live = true;
		if (dup) {
			fprintf(stderr, "%s: listed more than once; not restored again\n", what);
			failed++;
		} else if (live) {
			/* Restoring twice (a service restart) changes nothing. */
			present++;
		} else if (export_create(dev, &rec, false, what)) {
			failed++;
		} else {
			restored++;
		}
		record_free(&rec);
	}
	close(dev);
	if (failed)
		fprintf(stderr, "kpmemctl restore: %s: %u of %zu export%s restored, %u already present, %u failed\n",
			file, restored, exports->count, exports->count == 1 ? "" : "s", present,
			failed);
	ret = failed ? EXIT_FAIL : 0;
out:
	free(infos);
	json_free(root);
	return ret;
}
