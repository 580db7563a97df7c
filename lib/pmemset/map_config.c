// SPDX-License-Identifier: BSD-3-Clause
/* pmemset_map_config: offset and length of the next mapping. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "libpmemset.h"
#include "error.h"
#include "map_config.h"

int pmemset_map_config_new(struct pmemset_map_config **map_cfg)
{
	if (!map_cfg)
		return pmemset_err(-EINVAL, "pmemset_map_config_new: map_cfg pointer is NULL");
	*map_cfg = calloc(1, sizeof(**map_cfg));
	if (!*map_cfg)
		return pmemset_err(-ENOMEM, "pmemset_map_config_new: cannot allocate the map config");
	return 0;
}

int pmemset_map_config_set_offset(struct pmemset_map_config *map_cfg, size_t offset)
{
	if (!map_cfg)
		return pmemset_err(-EINVAL, "pmemset_map_config_set_offset: map_cfg is NULL");
	/* Offsets are off_t on the way to the kernel. */
	if (offset > (size_t)INT64_MAX)
		return pmemset_err(PMEMSET_E_OFFSET_OUT_OF_RANGE,
				   "offset %zu is larger than INT64_MAX", offset);
	map_cfg->offset = offset;
	return 0;
}

void pmemset_map_config_set_length(struct pmemset_map_config *map_cfg, size_t length)
{
	if (map_cfg)
		map_cfg->length = length;
}

int pmemset_map_config_delete(struct pmemset_map_config **map_cfg)
{
	if (!map_cfg)
		return 0;
	free(*map_cfg);
	*map_cfg = NULL;
	return 0;
}
