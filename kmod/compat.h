/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels kpmem supports (Debian 6.1 and 6.12)
 * is absorbed here, so that the rest of the module is written against one
 * API.  Tests are on the features themselves where a header tells, on the
 * kernel version otherwise.
 */
#ifndef KPMEM_COMPAT_H
#define KPMEM_COMPAT_H

#include <linux/version.h>

#endif /* KPMEM_COMPAT_H */
