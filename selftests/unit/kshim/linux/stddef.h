/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel's <linux/stddef.h> (host unit tests). */
#ifndef KPMEM_KSHIM_LINUX_STDDEF_H
#define KPMEM_KSHIM_LINUX_STDDEF_H
#include_next <linux/stddef.h>
#include <stddef.h>
#endif
