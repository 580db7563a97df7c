#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The two guests of a pair reach each other over Soft-RoCE: rdma_cm
# connection, SEND and RDMA READ/WRITE (rping), from initiator to target.
. "$KPMEM_TOP/selftests/lib/tap.sh"

rxe_active_on_both() {
	rdma link show | grep -q "rxe0/1 state ACTIVE" || { rdma link show; return 1; }
	peer rdma link show | grep -q "rxe0/1 state ACTIVE" || { peer rdma link show; return 1; }
}

rping_round_trips() {
	peer sh -c "rping -s -a $KPMEM_VM_PEER_ADDR -C 10 > /tmp/rping-server.log 2>&1 &" || return 1
	local rc=1
	for _ in $(seq 20); do
		if timeout 30 rping -c -a "$KPMEM_VM_PEER_ADDR" -C 10 -v > /tmp/rping.log 2>&1; then
			rc=0
			break
		fi
		sleep 0.2	# the server may not be listening yet
	done
	cat /tmp/rping.log
	expect "$rc" = 0 "rping exit status" || return 1
	expect "$(grep -c 'ping data: rdma-ping-' /tmp/rping.log)" = 10 "pings"
}

tap_plan 2
tap_test rxe_device_active_on_both_guests rxe_active_on_both
tap_test rping_ten_round_trips_initiator_to_target rping_round_trips
tap_done
