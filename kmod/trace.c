// SPDX-License-Identifier: GPL-2.0
/* The one place kpmem's tracepoints (kpmem_trace.h) are defined. */
#include <linux/in.h>
#include <linux/in6.h>

#define CREATE_TRACE_POINTS
#include "kpmem_trace.h"
