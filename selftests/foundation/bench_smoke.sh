#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The single-guest benchmark programs still run (tiny sizes; no timing is
# judged): part-map scaling, local copies on the NVDIMM's device DAX, and the
# librpma client/server across the guest's two rxe devices, and rpmem_batch
# (sync vs io_uring persists) against an export of this guest's own target.
# The other remote kpmem and perftest workloads need a pair:
# `BENCH_QUICK=1 make bench`.
. "$KPMEM_TOP/selftests/lib/tap.sh"
bin=$KPMEM_BUILD/bench

results() { # $1: output, $2: workload; prints the count of its RESULT lines
	echo "$1" | grep -c "^RESULT $2 "
}

part_map_scaling_runs() {
	local out
	out=$("$bin/part_map_scaling" 10 100) || return 1
	echo "$out"
	expect "$(echo "$out" | grep -cE '^\| +[0-9]+ \|')" = 2 "table rows" &&
		expect "$(results "$out" partmap)" = 6 "RESULT lines"
}

ns=""
local_bench_runs() {
	local r dax out rc
	r=$(for r in /sys/bus/nd/devices/region*; do [ "$(cat "$r/mappings")" -gt 0 ] && basename "$r"; done | head -n 1)
	[ -n "$r" ] || { echo "no NVDIMM region"; return 1; }
	ns=$(ndctl list -N -r "$r" | jq -r 'if type == "array" then .[0].dev else .dev end')
	dax=/dev/$(ndctl create-namespace -f -e "$ns" -m devdax -a 2M | jq -r '.daxregion.devices[0].chardev')
	out=$("$bin/local_bench" -n 8 -s 4K,64K -l 4 "$dax")
	rc=$?
	echo "$out"
	ndctl create-namespace -f -e "$ns" -m raw > /dev/null || rc=1
	expect "$rc" = 0 "local_bench status" && expect "$(results "$out" local)" = 6 "RESULT lines"
}

rpma_bench_runs() {
	local out rc pid
	"$bin/rpma_bench" server "$KPMEM_VM_PEER_ADDR" 7451 - 4 > /tmp/rpma-srv.log 2>&1 &
	pid=$!
	for _ in $(seq 20); do
		out=$("$bin/rpma_bench" client -n 3 -s 8,4K "$KPMEM_VM_PEER_ADDR" 7451 2>&1) && break
		sleep 0.3
	done
	rc=$?
	kill "$pid"
	wait "$pid" 2>/dev/null
	echo "$out"
	expect "$rc" = 0 "rpma_bench client status" && expect "$(results "$out" rpma)" = 8 "RESULT lines"
}

rpmem_batch_runs() {
	local out rc dir kpmemctl=$KPMEM_BUILD/tools/kpmemctl
	dir=$(mktemp -d)
	"$kpmemctl" export-add bench.smoke "$dir/pool.img" --size 40M > /dev/null || return 1
	out=$(EXPORT=bench.smoke "$bin/rpmem_batch" "$KPMEM_VM_PEER_ADDR" 0.2 64 4096 2>&1)
	rc=$?
	echo "$out"
	"$kpmemctl" export-remove --force bench.smoke > /dev/null || rc=1
	rm -rf "$dir"
	expect "$rc" = 0 "rpmem_batch status" && expect "$(results "$out" kpmem)" = 10 "RESULT lines"
}

tap_plan 4
tap_test bench_part_map_scaling_runs part_map_scaling_runs
tap_test bench_local_bench_runs local_bench_runs
tap_test bench_rpma_bench_runs rpma_bench_runs
tap_test bench_rpmem_batch_runs rpmem_batch_runs
tap_done
