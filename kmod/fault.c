// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation-failure injection, for tests: the allocations wrapped in
 * kpmem_alloc() (the module's own objects: sets, parts, part maps,
 * exports, pool headers; not those the RDMA core makes for us, such as
 * PDs, CQs, QPs and MRs) count, and fail_alloc_nth=N makes the N-th of
 * them (counted from the write) fail once, so a test can walk N = 1, 2, ...
 * through an operation and check that each failure unwinds cleanly.  The
 * parameter reads back 0 once the failure was injected.  The kernel's own
 * fault injection (failslab, fail_page_alloc, fail-nth) reaches every
 * allocation; it needs a kernel built with it.
 */
#include <linux/atomic.h>
#include <linux/moduleparam.h>

#include "kpmem.h"

static unsigned int fail_alloc_nth;
static atomic_t fail_alloc_countdown = ATOMIC_INIT(0);

static int fail_alloc_nth_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret = kstrtouint(val, 0, &n);

	if (ret)
		return ret;
	WRITE_ONCE(fail_alloc_nth, n);
	atomic_set(&fail_alloc_countdown, n);
	return 0;
}

static const struct kernel_param_ops fail_alloc_nth_ops = {
	.set = fail_alloc_nth_set,
	.get = param_get_uint,
};
module_param_cb(fail_alloc_nth, &fail_alloc_nth_ops, &fail_alloc_nth, 0600);
MODULE_PARM_DESC(fail_alloc_nth, "test only: fail the N-th allocation from now on (0: off)");

/**
 * kpmem_fail_alloc() - should this allocation fail?
 *
 * Return: true exactly once, for the fail_alloc_nth-th call after the
 * parameter was written.
 */
bool kpmem_fail_alloc(void)
{
	if (likely(!READ_ONCE(fail_alloc_nth)))
		return false;
	if (atomic_dec_return(&fail_alloc_countdown))
		return false;
	/* Fired: reading the parameter back (0) tells the test so. */
	WRITE_ONCE(fail_alloc_nth, 0);
	return true;
}
