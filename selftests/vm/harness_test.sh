#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# harness_test.sh KERNEL
#
# Tests of the guest harness itself, run on the host: a run must pass on the
# command's exit status, and fail when the kernel splats, when kpmem cannot
# be unloaded, and when the guest hangs.  On a kernel with kmemleak and KASAN
# (the debug kernel), a leak and an out-of-bounds read must fail the run
# too, and guest-suite must blame a leak on the test that leaked.  Without
# these, a green suite would prove nothing.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/tap.sh"
where=$("$top/scripts/kernels" --paths "$1") || exit 1
IFS=$'\t' read -r kver _ _ kbuild <<< "$where"
has() { grep -q "^CONFIG_$1=y" "$kbuild/.config" 2>/dev/null; }
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

leak_fails_run() {
	local out rc
	out=$(vm leak -- insmod "$splat_ko" kind=leak); rc=$?
	echo "$out"
	expect $rc = 1 "run exit status" &&
		echo "$out" | grep -q 'run: kmemleak on the single guest' &&
		grep -q 'deliberate leak' "$res/leak/single/kmemleak"
}

kasan_report_fails_run() {
	local out rc
	out=$(vm kasan -- insmod "$splat_ko" kind=kasan); rc=$?
	echo "$out"
	expect $rc = 1 "run exit status" && echo "$out" | grep -q 'run: kernel splat on the single guest' &&
		grep -q 'BUG: KASAN: slab-out-of-bounds' "$res/kasan/single/dmesg"
}

# guest-suite checks kmemleak after each test: the leak is the leaking
# test's failure, not the next one's.
suite_blames_leak_on_its_test() {
	local dir=$res/suite-leak out
	mkdir -p "$dir"
	cat > "$dir/leaks.sh" <<-EOF
	#!/bin/bash
	insmod "$splat_ko" kind=leak && echo "ok 1 leaked"
	EOF
	printf '%s\n' '#!/bin/bash' 'echo "ok 1 nothing"' > "$dir/clean.sh"
	chmod +x "$dir/leaks.sh" "$dir/clean.sh"
	printf 'single %s\nsingle %s\n' "${dir#"$top"/}/leaks.sh" "${dir#"$top"/}/clean.sh" > "$dir/tests"
	vm suite-leak/run -- env KPMEM_TESTS_FILE="$dir/tests" selftests/guest-suite single
	out=$(cat "$dir/run/single/output")
	echo "$out"
	echo "$out" | grep -q '^not ok - leaks.sh: kmemleak after the test' &&
		! echo "$out" | grep -q '^not ok - clean.sh' &&
		echo "$out" | grep -q '^# .*deliberate leak'
}

hung_guest_hits_time_limit() {
	local out rc
	out=$(vm hang --timeout 30 -- sleep 600); rc=$?
	echo "$out"
	expect $rc = 1 "run exit status" && echo "$out" | grep -q 'did not finish within 30s'
}

# The detectors' tests only where the kernel has them.
plan=5
has DEBUG_KMEMLEAK && plan=$((plan + 2))
has KASAN && plan=$((plan + 1))
tap_plan $plan
tap_test "harness_command_exit_status_reaches_host ($kver)" exit_status_reaches_host
tap_test "harness_fails_run_on_kernel_warning ($kver)" splat_fails_run warn
tap_test "harness_fails_run_on_refcount_underflow ($kver)" splat_fails_run refcount
if has DEBUG_KMEMLEAK; then
	tap_test "harness_fails_run_on_kmemleak_report ($kver)" leak_fails_run
	tap_test "harness_suite_blames_leak_on_the_leaking_test ($kver)" suite_blames_leak_on_its_test
fi
if has KASAN; then
	tap_test "harness_fails_run_on_kasan_report ($kver)" kasan_report_fails_run
fi
tap_test "harness_fails_run_when_kpmem_cannot_unload ($kver)" unload_failure_fails_run
tap_test "harness_fails_hung_guest_at_time_limit ($kver)" hung_guest_hits_time_limit
tap_done
