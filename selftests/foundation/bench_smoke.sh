#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark programs still run (tiny sizes; no timing is judged).
. "$KPMEM_TOP/selftests/lib/tap.sh"

part_map_scaling_runs() {
	local out
	out=$("$KPMEM_BUILD/bench/part_map_scaling" 10 100) || return 1
	echo "$out"
	expect "$(echo "$out" | grep -cE '^\| +[0-9]+ \|')" = 2 "table rows"
}

tap_plan 1
tap_test bench_part_map_scaling_runs part_map_scaling_runs
tap_done
