// SPDX-License-Identifier: BSD-3-Clause
/* Private reservations that let part maps grow in place (see headroom.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "error.h"
#include "headroom.h"
#include "part.h"

int headroom_new(struct pmemset *set, uint64_t len, uint64_t align, uint64_t *addr)
{
	struct pmemset_headroom *h = calloc(1, sizeof(*h));
	uint64_t total = len + PMEMSET_HEADROOM, start, end, raw_end;
	void *raw;

	if (!h)
		return pmemset_err(-ENOMEM, "cannot allocate a reservation record");
	/* over-reserve by the alignment, then trim both ends */
	raw = mmap(NULL, total + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED) {
		free(h);
		return pmemset_err(-errno, "cannot reserve %llu bytes of address space: %s",
				   (unsigned long long)(total + align), strerror(errno));
	}
	start = ((uintptr_t)raw + align - 1) / align * align;
	end = start + total;
	raw_end = (uintptr_t)raw + total + align;
	if (start > (uintptr_t)raw)
		munmap(raw, start - (uintptr_t)raw);
	if (raw_end > end)
		munmap((void *)(uintptr_t)end, raw_end - end);
	h->start = start;
	h->len = total;
	h->next = set->headroom;
	set->headroom = h;
	*addr = start;
	return 0;
}

bool headroom_covers(struct pmemset *set, uint64_t addr, uint64_t len)
{
	for (struct pmemset_headroom *h = set->headroom; h; h = h->next)
		if (addr >= h->start && addr + len <= h->start + h->len && addr + len > addr)
			return true;
	return false;
}

void headroom_release(struct pmemset *set, uint64_t addr, uint64_t len)
{
	struct pmemset_headroom **pp = &set->headroom;

	while (*pp) {
		struct pmemset_headroom *h = *pp, *tail = NULL;
		uint64_t end = h->start + h->len;
		uint64_t a = addr > h->start ? addr : h->start;
		uint64_t e = addr + len < end ? addr + len : end;

		if (a >= e) {
			pp = &h->next;
			continue;
		}
		/* a hole in the middle leaves two regions */
		if (a > h->start && e < end) {
			tail = calloc(1, sizeof(*tail));
			if (!tail) {
				/* keep it reserved: still ours, unmapped with the region */
				pp = &h->next;
				continue;
			}
		}
		munmap((void *)(uintptr_t)a, e - a);
		if (tail) {
			tail->start = e;
			tail->len = end - e;
			tail->next = h->next;
			h->next = tail;
			h->len = a - h->start;
			pp = &tail->next;
		} else if (a > h->start) {
			h->len = a - h->start;
			pp = &h->next;
		} else if (e < end) {
			h->start = e;
			h->len = end - e;
			pp = &h->next;
		} else {
			*pp = h->next;
			free(h);
		}
	}
}

static bool region_used(struct pmemset *set, const struct pmemset_headroom *h)
{
	for (struct pmemset_part *p = set->parts; p; p = p->next)
		if (part_intersects(p, (char *)(uintptr_t)h->start, h->len))
			return true;
	return false;
}

void headroom_prune(struct pmemset *set)
{
	struct pmemset_headroom **pp = &set->headroom;

	while (*pp) {
		struct pmemset_headroom *h = *pp;

		if (region_used(set, h)) {
			pp = &h->next;
			continue;
		}
		*pp = h->next;
		munmap((void *)(uintptr_t)h->start, h->len);
		free(h);
	}
}
