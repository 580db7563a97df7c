/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for the kernel's <linux/types.h> (host unit tests). */
#ifndef KPMEM_KSHIM_LINUX_TYPES_H
#define KPMEM_KSHIM_LINUX_TYPES_H
#include_next <linux/types.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#endif
