#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kpmem.ko loads, registers /dev/kpmem, refuses to unload while the device
# is open, and unloads and reloads cleanly, many times over.
. "$KPMEM_TOP/selftests/lib/tap.sh"

loaded() { grep -q '^kpmem ' /proc/modules; }

unload_removes_device() {
	rmmod kpmem || return 1
	! loaded || { echo "still in /proc/modules"; return 1; }
	[ ! -e /dev/kpmem ] || { echo "/dev/kpmem still exists"; return 1; }
}

load_creates_device() {
	insmod "$KPMEM_KO" || return 1
	for _ in $(seq 20); do [ -c /dev/kpmem ] && break; sleep 0.05; done
	[ -c /dev/kpmem ] || { echo "/dev/kpmem missing"; return 1; }
	dmesg | tail -n 5 | grep -q 'kpmem: loaded, ABI' || { echo "no load message"; return 1; }
}

open_device_pins_module() {
	exec 9<>/dev/kpmem || return 1
	if rmmod kpmem 2>/dev/null; then
		echo "rmmod succeeded with /dev/kpmem open"
		exec 9>&-
		return 1
	fi
	[ "$(cat /sys/module/kpmem/refcnt)" = 1 ] || { echo "refcnt $(cat /sys/module/kpmem/refcnt)"; exec 9>&-; return 1; }
	exec 9>&-
	[ "$(cat /sys/module/kpmem/refcnt)" = 0 ] || { echo "refcnt after close $(cat /sys/module/kpmem/refcnt)"; return 1; }
}

reload_cycles() {
	for i in $(seq 20); do
		rmmod kpmem || { echo "rmmod failed at cycle $i"; return 1; }
		insmod "$KPMEM_KO" || { echo "insmod failed at cycle $i"; return 1; }
		"$KPMEM_BUILD/tools/kpmemctl" version > /dev/null || { echo "kpmemctl failed at cycle $i"; return 1; }
	done
}

kpmemctl_json_reports_abi() {
	local out
	out=$("$KPMEM_BUILD/tools/kpmemctl" version --json) || return 1
	echo "$out"
	echo "$out" | jq -e '.abi_version == .library_abi_version and (.features | index("version"))' > /dev/null
}

kpmemctl_without_module_explains() {
	local out rc
	rmmod kpmem || return 1
	out=$("$KPMEM_BUILD/tools/kpmemctl" version 2>&1)
	rc=$?
	insmod "$KPMEM_KO" || return 1
	echo "$out"
	expect $rc = 1 "exit status" && echo "$out" | grep -q 'is kpmem.ko loaded?'
}

tap_plan 6
loaded || insmod "$KPMEM_KO"
tap_test module_unload_removes_device unload_removes_device
tap_test module_load_creates_device load_creates_device
tap_test open_device_pins_module open_device_pins_module
tap_test twenty_unload_reload_cycles reload_cycles
tap_test kpmemctl_version_json_reports_matching_abi kpmemctl_json_reports_abi
tap_test kpmemctl_without_module_explains_why kpmemctl_without_module_explains
tap_done
