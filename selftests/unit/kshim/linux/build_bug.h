/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel's <linux/build_bug.h> (host unit tests). */
#ifndef KPMEM_KSHIM_LINUX_BUILD_BUG_H
#define KPMEM_KSHIM_LINUX_BUILD_BUG_H
#undef static_assert
#define static_assert(expr, ...) _Static_assert(expr, #expr)
#endif
