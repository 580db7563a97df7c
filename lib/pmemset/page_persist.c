// SPDX-License-Identifier: BSD-3-Clause
/* msync-based persistence for page-granularity sets (see page_persist.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "page_persist.h"
#include "part.h"

void page_persist(struct pmemset *set, const void *ptr, size_t size)
{
	const char *start = ptr, *end = start + size;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	if (!size)
		return;
	set_lock(set);
	for (struct pmemset_part *p = set->parts; p; p = p->next) {
		const char *a, *e;
		uintptr_t aligned;
		int ret;

		if (!part_intersects(p, start, size))
			continue;
		a = start > p->addr ? start : p->addr;
		e = end < p->addr + p->len ? end : p->addr + p->len;
		/* parts are page aligned: rounding down stays inside the part */
		aligned = (uintptr_t)a & ~(page - 1);
		do {
			ret = msync((void *)aligned, (size_t)((uintptr_t)e - aligned), MS_SYNC);
		} while (ret && errno == EINTR);
		/*
		 * The part was mapped by the kernel for this set: failing to
		 * sync it means it was unmapped behind our back.  There is no
		 * way to report it and carrying on would lose data silently.
		 */
		if (ret)
			abort();
	}
	set_unlock(set);
}

static void page_after(struct pmemset *set, void *dest, size_t len, unsigned flags)
{
	if (!(flags & PMEMSET_F_MEM_NOFLUSH))
		page_persist(set, dest, len);
}

void *page_memmove(struct pmemset *set, void *dest, const void *src, size_t len, unsigned flags)
{
	memmove(dest, src, len);
	page_after(set, dest, len, flags);
	return dest;
}

void *page_memcpy(struct pmemset *set, void *dest, const void *src, size_t len, unsigned flags)
{
	memcpy(dest, src, len);
	page_after(set, dest, len, flags);
	return dest;
}

void *page_memset(struct pmemset *set, void *dest, int c, size_t len, unsigned flags)
{
	memset(dest, c, len);
	page_after(set, dest, len, flags);
	return dest;
}
