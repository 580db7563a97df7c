// SPDX-License-Identifier: BSD-3-Clause
/*
 * Pool attributes.  The kernel's struct kpmem_pool_attr is defined with
 * exactly the layout of struct rpmem_pool_attr, so converting is a copy;
 * the assertions below keep the two from drifting apart.
 */
#include <stddef.h>
#include <string.h>

#include "pool.h"

#define SAME_FIELD(f)                                                           \
	_Static_assert(offsetof(struct rpmem_pool_attr, f) ==                   \
		       offsetof(struct kpmem_pool_attr, f) &&                   \
		       sizeof(((struct rpmem_pool_attr *)0)->f) ==              \
		       sizeof(((struct kpmem_pool_attr *)0)->f),                \
		       "struct kpmem_pool_attr." #f " differs from struct rpmem_pool_attr")

_Static_assert(sizeof(struct rpmem_pool_attr) == 104, "struct rpmem_pool_attr is not PMDK's");
_Static_assert(sizeof(struct rpmem_pool_attr) == sizeof(struct kpmem_pool_attr),
	       "struct kpmem_pool_attr and struct rpmem_pool_attr differ in size");
SAME_FIELD(signature);
SAME_FIELD(major);
SAME_FIELD(compat_features);
SAME_FIELD(incompat_features);
SAME_FIELD(ro_compat_features);
SAME_FIELD(poolset_uuid);
SAME_FIELD(uuid);
SAME_FIELD(next_uuid);
SAME_FIELD(prev_uuid);
SAME_FIELD(user_flags);

void rpmem_attr_to_kpmem(struct kpmem_pool_attr *dst, const struct rpmem_pool_attr *src)
{
	if (src)
		memcpy(dst, src, sizeof(*dst));
	else
		memset(dst, 0, sizeof(*dst));
}

void rpmem_attr_from_kpmem(struct rpmem_pool_attr *dst, const struct kpmem_pool_attr *src)
{
	memcpy(dst, src, sizeof(*dst));
}

int rpmem_attr_is_zero(const struct rpmem_pool_attr *attr)
{
	static const struct rpmem_pool_attr zero;

	return !attr || memcmp(attr, &zero, sizeof(zero)) == 0;
}
