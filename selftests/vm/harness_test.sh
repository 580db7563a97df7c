#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# harness_test.sh KERNEL
#
# Tests of the guest harness itself, run on the host: a run must pass on the
# command's exit status, and fail when the kernel splats, when kpmem cannot
# be unloaded, and when the guest hangs.  Without these, a green suite
# would prove nothing.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/tap.sh"
kver=$("$top/scripts/kernels" "$1") || exit 1
splat_ko=$top/build/kernel/$kver/selftests/kmod/kpmem_splat_trigger.ko
res=$top/build/vm-results/harness-$kver
rm -rf "$res"

vm() { # $1: results name, rest: run arguments
	local name=$1
	shift
	"$top/selftests/vm/run" --kernel "$kver" --pmem none --results "$res/$name" -q "$@" 2>&1
}

exit_status_reaches_host() {
	local out rc
	out=$(vm exit-status -- sh -c 'exit 3'); rc=$?
	echo "$out"
	expect $rc = 3 "run exit status"
}

splat_fails_run() { # $1: kind of splat
	local out rc
	out=$(vm "splat-$1" -- insmod "$splat_ko" "kind=$1"); rc=$?
	echo "$out"
	expect $rc = 1 "run exit status" && echo "$out" | grep -q 'run: kernel splat on the single guest'
}

unload_failure_fails_run() {
	local out rc
	# A process left behind holding /dev/kpmem keeps the module in use.
	out=$(vm unload -- sh -c 'setsid sleep 600 < /dev/kpmem > /dev/null 2>&1 & sleep 0.5'); rc=$?
	echo "$out"
	expect $rc = 1 "run exit status" && echo "$out" | grep -q 'kpmem could not be unloaded'
}

hung_guest_hits_time_limit() {
	local out rc
	out=$(vm hang --timeout 30 -- sleep 600); rc=$?
	echo "$out"
	expect $rc = 1 "run exit status" && echo "$out" | grep -q 'did not finish within 30s'
}

tap_plan 5
tap_test "harness_command_exit_status_reaches_host ($kver)" exit_status_reaches_host
tap_test "harness_fails_run_on_kernel_warning ($kver)" splat_fails_run warn
tap_test "harness_fails_run_on_refcount_underflow ($kver)" splat_fails_run refcount
tap_test "harness_fails_run_when_kpmem_cannot_unload ($kver)" unload_failure_fails_run
tap_test "harness_fails_hung_guest_at_time_limit ($kver)" hung_guest_hits_time_limit
tap_done
