/* SPDX-License-Identifier: BSD-3-Clause */
/* Which range of a source pmemset_map() maps. */
#ifndef PMEMSET_MAP_CONFIG_H
#define PMEMSET_MAP_CONFIG_H

#include <stddef.h>

struct pmemset_map_config {
	size_t offset;
	size_t length;	/* 0: up to the end of the source */
};

#endif /* PMEMSET_MAP_CONFIG_H */
