/* SPDX-License-Identifier: BSD-3-Clause */
/* kpmemctl's commands, one file each. */
#ifndef KPMEMCTL_H
#define KPMEMCTL_H

int cmd_export_add(int argc, char **argv);
int cmd_export_remove(int argc, char **argv);
int cmd_export_list(int argc, char **argv);

#endif /* KPMEMCTL_H */
