/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpmem internals shared by the files of kpmem.ko; nothing outside the
 * module may include this.
 */
#ifndef KPMEM_H
#define KPMEM_H

#include <linux/kpmem.h>

/* Module release reported by KPMEM_IOC_GET_VERSION. */
#define KPMEM_VERSION_MAJOR	0
#define KPMEM_VERSION_MINOR	1
#define KPMEM_VERSION_PATCH	0
#define KPMEM_MODULE_VERSION \
	((KPMEM_VERSION_MAJOR << 16) | (KPMEM_VERSION_MINOR << 8) | KPMEM_VERSION_PATCH)

int kpmem_chrdev_init(void);
void kpmem_chrdev_exit(void);

#endif /* KPMEM_H */
