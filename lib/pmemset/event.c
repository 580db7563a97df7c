// SPDX-License-Identifier: BSD-3-Clause
/* Events: the user's callback sees each library operation as it happens. */
#include "event.h"

int pmemset_event_fire(struct pmemset *set, struct pmemset_event_context *ctx)
{
	if (!set->callback)
		return 0;
	return set->callback(set, ctx, set->callback_arg);
}
