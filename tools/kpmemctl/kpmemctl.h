/* SPDX-License-Identifier: BSD-3-Clause */
/* kpmemctl's commands, and what they share. */
#ifndef KPMEMCTL_H
#define KPMEMCTL_H

#include <stdbool.h>

#include <linux/kpmem.h>

#include "record.h"

int cmd_export_add(int argc, char **argv);
int cmd_export_remove(int argc, char **argv);
int cmd_export_list(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* Exit statuses: as ndctl, 1 for a failure, 2 for a bad command line. */
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/** open_device() - /dev/kpmem with the target feature; prints why not */
int open_device(const char *cmd);

/**
 * export_list_fetch() - the module's export list
 * @dev: /dev/kpmem
 * @req: receives the list header (count, port)
 * @infos: receives a malloc()ed array of req->count entries (may be NULL
 *	when there are none)
 *
 * Return: 0 or a negative errno.
 */
int export_list_fetch(int dev, struct kpmem_export_list *req, struct kpmem_export_info **infos);

/** export_errno_reason() - what an export ioctl's errno means, for messages */
const char *export_errno_reason(int err);

/**
 * export_create() - add the export @r describes, and its record
 * @dev: /dev/kpmem
 * @r: the export; backing and key_file absolute
 * @may_create: create a missing backing file when @r->size is set
 *	(export-add); restore never creates one
 * @what: message prefix naming the command and export
 *
 * Everything is checked before anything changes: the name is free, the
 * key file and allow list are good, the backing exists (or, for
 * export-add with --size, a file can be created at a path outside /dev).
 * A file created here is deleted again, and a file the module grew is cut
 * back, when the module refuses the export; an export whose record cannot
 * be written is removed again.  Prints its own messages.
 *
 * Return: 0, EXIT_FAIL, or EXIT_USAGE for a bad key file or allow entry.
 */
int export_create(int dev, const struct export_rec *r, bool may_create, const char *what);

#endif /* KPMEMCTL_H */
