/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Allocation failure for the libpmemset tests: the program's malloc and
 * calloc interpose the C library's for the whole process (libpmemset and
 * libpmem2 included) and fail while WITHOUT_MEMORY() runs its call, so a
 * test sees what a library call does when memory runs out (what PMDK's
 * tests inject with core_inject_fault_at).  Include in one file per
 * program; other allocations go to glibc's allocator unchanged.
 */
#ifndef PMEMSET_FAIL_ALLOC_H
#define PMEMSET_FAIL_ALLOC_H

#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);

static volatile int fail_alloc;

void *malloc(size_t size)
{
	if (fail_alloc) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	if (fail_alloc) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(n, size);
}

/* Evaluate @call (an int expression) with every allocation failing. */
#define WITHOUT_MEMORY(call) ({			\
	int __ret;				\
	fail_alloc = 1;				\
	__ret = (call);				\
	fail_alloc = 0;				\
	__ret;					\
})

#endif /* PMEMSET_FAIL_ALLOC_H */
