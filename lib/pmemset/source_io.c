// SPDX-License-Identifier: BSD-3-Clause
/*
 * Reading, writing and asking a source about itself without mapping it:
 * machine-check-safe I/O and the alignment pmemset_map() needs, both from
 * libpmem2.
 */
#include <errno.h>

#include "error.h"
#include "source.h"

static int source_usable(const struct pmemset_source *src, const char *fn)
{
	if (!src)
		return pmemset_err(-EINVAL, "%s: source is NULL", fn);
	if (!src->pmem2)
		return pmemset_err(PMEMSET_E_INVALID_SOURCE_TYPE, "%s: source has no backing file", fn);
	return 0;
}

int pmemset_source_pread_mcsafe(struct pmemset_source *src, void *buf, size_t size, size_t offset)
{
	int ret = source_usable(src, "pmemset_source_pread_mcsafe");

	if (ret)
		return ret;
	if (!buf && size)
		return pmemset_err(-EINVAL, "pmemset_source_pread_mcsafe: buffer is NULL");
	ret = pmem2_source_pread_mcsafe(src->pmem2, buf, size, offset);
	if (ret)
		return pmemset_err_pmem2(ret, 0, "pmemset_source_pread_mcsafe");
	return 0;
}

int pmemset_source_pwrite_mcsafe(struct pmemset_source *src, void *buf, size_t size, size_t offset)
{
	int ret = source_usable(src, "pmemset_source_pwrite_mcsafe");

	if (ret)
		return ret;
	if (!buf && size)
		return pmemset_err(-EINVAL, "pmemset_source_pwrite_mcsafe: buffer is NULL");
	ret = pmem2_source_pwrite_mcsafe(src->pmem2, buf, size, offset);
	if (ret)
		return pmemset_err_pmem2(ret, 0, "pmemset_source_pwrite_mcsafe");
	return 0;
}

int pmemset_source_alignment(struct pmemset_source *src, size_t *alignment)
{
	size_t a;
	int ret = source_usable(src, "pmemset_source_alignment");

	if (ret)
		return ret;
	if (!alignment)
		return pmemset_err(-EINVAL, "pmemset_source_alignment: alignment pointer is NULL");
	ret = pmem2_source_alignment(src->pmem2, &a);
	if (ret) {
		pmemset_err_pmem2(ret, 0, "pmemset_source_alignment");
		return pmemset_err(PMEMSET_E_INVALID_ALIGNMENT_VALUE, "cannot read the source's alignment: %s",
				   pmem2_errormsg());
	}
	*alignment = a;
	return 0;
}
