#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# On a pair's initiator (bench/latency-trace): trace 8 B rpmem_persist
# calls, then librpma write + persistent flush, on both guests; the traces
# go to standard output between "=== <what> <role>" and "=== end" lines.
set -u
bin=$KPMEM_BUILD/bench
kpmemctl=$KPMEM_BUILD/tools/kpmemctl
probes=$KPMEM_TOP/bench/latency-probes
peer_addr=$KPMEM_VM_PEER_ADDR
# The target's NVDIMM as device DAX (the libpmemset tests' helper).
daxdev=$(peer "$KPMEM_TOP/selftests/part_maps/pmemset_env.sh" devdax-up) || exit 1
echo "INFO kernel $(uname -r), target $daxdev"

traced() { # WHAT COMMAND...: run COMMAND with both guests tracing
	local what=$1 rc
	shift
	peer "$probes" on target && "$probes" on initiator || return 1
	"$@"
	rc=$?
	"$probes" off; peer "$probes" off
	echo "=== $what initiator"; "$probes" dump
	echo "=== $what target"; peer "$probes" dump
	echo "=== end"
	return $rc
}

failed=0
peer "$kpmemctl" export-add trace.set "$daxdev" --size 40M > /dev/null || exit 1
# The analysis drops the first 50 calls (warm-up).
traced kpmem "$bin/rpmem_bench" -n 250 -s 8 -m persist -p 36 "$peer_addr" trace.set || failed=1
peer "$kpmemctl" export-remove --force trace.set > /dev/null

peer bash -c "$bin/rpma_bench server $peer_addr 7450 $daxdev 64 > /tmp/rpma-srv.log 2>&1 & echo \$! > /tmp/rpma-srv.pid"
sleep 1
"$bin/rpma_bench" client -n 50 -s 8 -b 1 "$peer_addr" 7450 > /dev/null || failed=1	# warm-up
# Its QD1 write + flush phase comes first; the analysis takes 200 of those.
traced rpma "$bin/rpma_bench" client -n 200 -s 8 -b 1 "$peer_addr" 7450 || failed=1
peer bash -c 'kill $(cat /tmp/rpma-srv.pid) 2>/dev/null; true'
exit $failed
