/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel's <linux/string.h> (host unit tests). */
#ifndef KPMEM_KSHIM_LINUX_STRING_H
#define KPMEM_KSHIM_LINUX_STRING_H
#include <string.h>

/* The kernel's: the first byte that is not @c, or NULL. */
static inline void *memchr_inv(const void *start, int c, size_t bytes)
{
	const unsigned char *p = start;

	for (size_t i = 0; i < bytes; i++)
		if (p[i] != (unsigned char)c)
			return (void *)(p + i);
	return NULL;
}
#endif
