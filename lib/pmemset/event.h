/* SPDX-License-Identifier: BSD-3-Clause */
/* Calling the user's event callback. */
#ifndef PMEMSET_EVENT_H
#define PMEMSET_EVENT_H

#include "set.h"

/*
 * Fire @ctx at the set's callback (if any), never with the set lock held
 * so the callback may call back into the library.  Return: the callback's
 * result (0 without a callback); only some events act on it.
 */
int pmemset_event_fire(struct pmemset *set, struct pmemset_event_context *ctx);

#endif /* PMEMSET_EVENT_H */
