// SPDX-License-Identifier: BSD-3-Clause
/* The library's per-part records, kept sorted by address. */
#include <stdlib.h>

#include "part.h"
#include "sds.h"
#include "source.h"

void part_insert(struct pmemset *set, struct pmemset_part *part)
{
	struct pmemset_part **pp = &set->parts;

	while (*pp && (*pp)->addr < part->addr)
		pp = &(*pp)->next;
	part->next = *pp;
	*pp = part;
}

struct pmemset_part *parts_take(struct pmemset *set, const char *addr, size_t len)
{
	struct pmemset_part **pp = &set->parts, *taken = NULL, **tail = &taken;

	while (*pp) {
		struct pmemset_part *p = *pp;

		if (part_intersects(p, addr, len)) {
			*pp = p->next;
			p->next = NULL;
			/* owns no mapping (pmem2_map_from_existing): only unregisters */
			pmem2_map_delete(&p->p2map);
			*tail = p;
			tail = &p->next;
		} else {
			pp = &p->next;
		}
	}
	return taken;
}

struct pmemset_part *parts_take_all(struct pmemset *set)
{
	struct pmemset_part *all = set->parts;

	set->parts = NULL;
	for (struct pmemset_part *p = all; p; p = p->next)
		pmem2_map_delete(&p->p2map);
	return all;
}

void parts_release(struct pmemset *set, struct pmemset_part *list)
{
	while (list) {
		struct pmemset_part *p = list;

		list = p->next;
		__atomic_sub_fetch(&p->src->nparts, 1, __ATOMIC_ACQ_REL);
		if (p->src->sds)
			pmemset_sds_unregister(set, p->src);
		pmemset_source_put(p->src);
		free(p);
	}
}
