/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What kpmemctl remembers about an export, beyond what the module reports:
 * the backing path and key file as the administrator gave them, the size
 * asked for, the allow list as written.  One record per export lives in
 * the registry directory while the export exists (export-add writes it,
 * export-remove deletes it); `kpmemctl save` joins the records with the
 * module's list of live exports into the saved configuration, `kpmemctl
 * restore` adds exports back from it.  A record is a JSON object:
 *
 *   {"name": "remote.set", "backing": "/dev/dax0.0", "size": 0,
 *    "nohdrs": false, "allow": ["10.0.0.0/24"], "key_file": "/etc/kpmem/k"}
 *
 * "size" 0 exports all of the backing; "allow" [] admits any initiator;
 * "key_file" is left out when the export has no key.
 */
#ifndef KPMEMCTL_RECORD_H
#define KPMEMCTL_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <linux/kpmem.h>

#include "json.h"

/*
 * Where --nohdrs exports keep whether they hold a pool, one file each,
 * unless --state-file names another: it must survive reboots.
 */
#define KPMEMCTL_STATE_DIR	"/var/lib/kpmem/state"

/* Where the records live; KPMEMCTL_REGISTRY_DIR overrides it (tests). */
#define KPMEMCTL_REGISTRY_DEFAULT	"/run/kpmem/exports"
/* The saved configuration `save` writes and `restore` reads by default. */
#define KPMEMCTL_CONFIG_DEFAULT		"/etc/kpmem/exports.json"
/* The configuration's "version": changes only with an incompatible format. */
#define KPMEMCTL_CONFIG_VERSION		1

/**
 * struct export_rec - one export as kpmemctl knows it
 * @name: export name
 * @backing: absolute path of the device DAX device or file
 * @size: bytes asked for (--size); 0 = all of the backing
 * @nohdrs: exported without a pool header (--nohdrs)
 * @key_file: absolute path of the pre-shared key file, or NULL
 * @nallow: entries used in @allow
 * @allow: --allow arguments as given, ADDR[/PREFIX]
 * @state_file: absolute path of a --nohdrs export's state file given with
 *	--state-file; NULL: KPMEMCTL_STATE_DIR/NAME.state (open_state_file();
 *	see <linux/kpmem.h>, KPMEM_EXPORT_STATE_FD)
 * @convert_header: rewrite an old kpmem pool header as PMDK's
 *	(--convert-header); an action of this export-add, never saved
 */
struct export_rec {
	char name[KPMEM_NAME_MAX + 1];
	char *backing;
	uint64_t size;
	bool nohdrs;
	char *key_file;
	unsigned int nallow;
	char *allow[KPMEM_EXPORT_ALLOW_MAX];
	char *state_file;
	bool convert_header;
};

/** record_free() - free what a record points to (not the record itself) */
void record_free(struct export_rec *r);

/**
 * record_from_json() - fill @r from a record object
 * @v: the JSON object
 * @r: zeroed record to fill; free it with record_free() even on failure
 * @err: receives what is wrong, naming the member
 * @errlen: size of @err
 *
 * Checks types and values strictly: unknown members, a missing name or
 * backing, a relative path, a bad name, size or allow entry are errors.
 *
 * Return: 0 or -EINVAL (-ENOMEM).
 */
int record_from_json(const struct json_value *v, struct export_rec *r, char *err, size_t errlen);

/**
 * record_write() - write @r as a JSON object
 * @f: the stream
 * @r: the record; its strings must be valid UTF-8 (record_check_utf8())
 * @indent: prefix of each member line ("" for the first level)
 */
void record_write(FILE *f, const struct export_rec *r, const char *indent);

/** record_check_utf8() - NULL, or the first path of @r JSON cannot hold */
const char *record_check_utf8(const struct export_rec *r);

/** registry_dir() - $KPMEMCTL_REGISTRY_DIR, or KPMEMCTL_REGISTRY_DEFAULT */
const char *registry_dir(void);

/**
 * registry_store() - write @r's record (replacing an older one)
 * @r: the record
 * @err: receives the reason on failure
 * @errlen: size of @err
 *
 * Return: 0 or a negative errno.
 */
int registry_store(const struct export_rec *r, char *err, size_t errlen);

/**
 * registry_load() - read the record of export @name
 * @name: the export
 * @r: zeroed record to fill (record_free() it afterwards)
 * @err: receives the reason on failure
 * @errlen: size of @err
 *
 * Return: 0, -ENOENT when there is no record, -EINVAL for a damaged one,
 * another negative errno.
 */
int registry_load(const char *name, struct export_rec *r, char *err, size_t errlen);

/** registry_forget() - delete @name's record; 0 or a negative errno (-ENOENT) */
int registry_forget(const char *name);

/**
 * write_file_atomic() - replace @path with what @fill writes
 * @path: the file; "-" writes to stdout instead
 * @mode: permissions of a new file
 * @fill: writes the content to the stream; returns 0 or a negative errno
 * @arg: passed to @fill
 * @err: receives the reason on failure
 * @errlen: size of @err
 *
 * Writes a temporary file next to @path, syncs it and renames it over
 * @path, so a reader sees the old or the new content, never a part.
 * Creates @path's directory (mode 0755) if needed.
 *
 * Return: 0 or a negative errno.
 */
int write_file_atomic(const char *path, mode_t mode, int (*fill)(FILE *, void *), void *arg,
		      char *err, size_t errlen);

/**
 * read_file() - all of @path ("-": stdin), at most 1 MiB
 * @path: the file
 * @buf: receives a malloc()ed buffer
 * @len: receives its length
 *
 * Return: 0 or a negative errno (-EFBIG when too large).
 */
int read_file(const char *path, char **buf, size_t *len);

/** export_name_valid() - 1..KPMEM_NAME_MAX characters of [A-Za-z0-9._-]? */
bool export_name_valid(const char *name);

/** parse_allow() - "ADDR" or "ADDR/PREFIX", numeric IPv4 or IPv6; 0 or -1 */
int parse_allow(const char *arg, struct kpmem_sockaddr *out);

/** parse_size() - "BYTES" with an optional K, M or G suffix; 0 or -1 */
int parse_size(const char *arg, uint64_t *out);

/** absolute_path() - malloc()ed @path, made absolute with the working directory */
char *absolute_path(const char *path);

#endif /* KPMEMCTL_RECORD_H */
