#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-remote.sh SIZES ITERS REPS [BUDGET_MIB [LINK_SIZES [BATCH_SECS]]]: the remote workloads, run by bench/run on
# the initiator of a harness pair (the target answers through `peer`).
# Every repetition runs, in turn: perftest (link limits), librpma
# (rpma_bench) and kpmem (rpmem_bench), all over rxe0, SIZES bytes
# (comma-separated, K/M suffixes), ITERS operations per point (fewer for
# large sizes: a byte budget per point), then rpmem_batch (64 B and 4 KiB
# persists: the synchronous loop against io_uring batches, BATCH_SECS
# seconds a case).  Prints RESULT and INFO lines for
# bench/report; a workload that fails prints FAIL and the run exits non-zero
# at the end.
set -u
sizes=$1 iters=$2 reps=$3
budget=${4:-8}
link_sizes=${5:-$sizes}
batch_secs=${6:-2}
bin=$KPMEM_BUILD/bench
kpmemctl=$KPMEM_BUILD/tools/kpmemctl
peer_addr=$KPMEM_VM_PEER_ADDR
dev=$KPMEM_VM_RDMA_DEV
failed=0

bytes() { # 4K -> 4096
	case $1 in *K) echo $(( ${1%K} << 10 )) ;; *M) echo $(( ${1%M} << 20 )) ;; *) echo "$1" ;; esac
}
fail() { echo "FAIL $*"; failed=1; }

echo "INFO kernel $(uname -r)"
echo "INFO guest_cpus $(nproc)"
echo "INFO guest_mem_mib $(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 ))"
echo "INFO rdma_dev $dev active_mtu $(ibv_devinfo -d "$dev" | awk '/active_mtu/ {print $2, $3}') netdev_mtu $(cat /sys/class/net/eth0/mtu)"
echo "INFO kpmem $($kpmemctl version | tr '\n' ' ')"

# The target's NVDIMM as device DAX: kpmem exports it, the rpma server maps it.
setup='r=$(for r in /sys/bus/nd/devices/region*; do [ "$(cat $r/mappings)" -gt 0 ] && basename $r; done | head -n 1)
ns=$(ndctl list -N -r "$r" | jq -r "if type == \"array\" then .[0].dev else .dev end")
ndctl create-namespace -f -e "$ns" -m devdax -a 2M | jq -r ".daxregion.devices[0].chardev"'
daxdev=/dev/$(peer bash -c "$setup") || { echo "FAIL target devdax setup"; exit 1; }
peer test -c "$daxdev" || { echo "FAIL target has no $daxdev"; exit 1; }
echo "INFO target_pmem $daxdev (QEMU NVDIMM, devdax, align 2M)"

# Runs a perftest pair: the server on the target (its pid kept there), the
# client here, retried until the server listens.  $1: tool, $2: size, $3: iters.
# perftest 4.5 sometimes dies of a general protection fault in librdmacm (on
# either side, on both kernels): a server that died or stopped answering is
# started anew before the next attempt.
perftest() {
	local tool=$1 size=$2 n=$3 extra=() out t0 attempt server deadline=$((SECONDS + 150))
	case $tool in *_bw) extra=(-t "$(( n < 16 ? n : 16 ))") ;; esac
	server="$tool -R -d $dev -s $size -n $n ${extra[*]}"
	for attempt in $(seq 30); do
		if [ "$attempt" = 1 ] || ! peer bash -c 'kill -0 $(cat /tmp/perftest-srv.pid) 2>/dev/null'; then
			peer bash -c "$server > /tmp/perftest-srv.log 2>&1 & echo \$! > /tmp/perftest-srv.pid" ||
				return 1
		fi
		t0=$SECONDS
		if out=$(timeout 45 "$tool" -R -d "$dev" -s "$size" -n "$n" "${extra[@]}" "$peer_addr" 2>&1); then
			break
		fi
		echo "$out" | tail -n 3 | sed 's/^/# /' >&2
		out=""
		# A refused connection is a server not listening yet; anything
		# slower is a server that will not answer this client again.
		[ $(( SECONDS - t0 )) -lt 15 ] || peer bash -c 'kill $(cat /tmp/perftest-srv.pid) 2>/dev/null; true'
		[ $SECONDS -lt $deadline ] || break
		sleep 0.3
	done
	peer bash -c 'kill $(cat /tmp/perftest-srv.pid) 2>/dev/null; true'
	# Latency lines: bytes iters t_min t_max t_typical t_avg t_stdev p99 p99.9;
	# bandwidth lines: bytes iters peak avg msgrate (MB = 2^20 bytes).
	echo "$out" | awk -v tool="$tool" -v size="$size" '
		$1 == size && NF >= 9 && tool ~ /_lat$/ { printf "RESULT link %s %s %s %s %s -\n", tool, $1, $2, $5, $8; ok = 1 }
		$1 == size && NF >= 5 && tool ~ /_bw$/ { printf "RESULT link %s %s %s - - %.3f\n", tool, $1, $2, $4 * 1.048576; ok = 1 }
		END { exit !ok }' || { echo "$out" >&2; return 1; }
}

echo "INFO perftest $(dpkg-query -W -f='${Version}' perftest 2>/dev/null)"
echo "INFO librpma $(dpkg-query -W -f='${Version}' librpma0 2>/dev/null)"
for rep in $(seq "$reps"); do
	echo "INFO rep $rep start $(date +%s)"
	for tool in ib_write_lat ib_read_lat ib_send_lat ib_write_bw; do
		# On the 6.1 guests ib_read_lat -R dies in librdmacm (a general
		# protection fault, which also fails the harness run): not run there.
		if [ "$tool" = ib_read_lat ] && [[ $(uname -r) == 6.1.* ]]; then
			[ "$rep" = 1 ] && echo "SKIP ib_read_lat: crashes (GP fault in librdmacm) on $(uname -r)"
			continue
		fi
		for s in ${link_sizes//,/ }; do
			b=$(bytes "$s")
			n=$iters
			[ $(( b * n )) -gt $(( budget << 20 )) ] && n=$(( (budget << 20) / b ))
			[ "$n" -lt 5 ] && n=5
			# Bandwidth keeps a window in flight: more messages, same budget.
			case $tool in *_bw) n=$(( (budget << 20) / b )); [ "$n" -gt 1000 ] && n=1000; [ "$n" -lt 16 ] && n=16 ;; esac
			t0=$SECONDS
			perftest "$tool" "$b" "$n" || fail "perftest $tool $b"
			echo "# $tool $b: $(( SECONDS - t0 )) s"
		done
	done

	t0=$SECONDS
	# librpma: server on the target's device DAX (64 MiB of it).
	peer bash -c "$bin/rpma_bench server $peer_addr 7450 $daxdev 64 > /tmp/rpma-srv.log 2>&1 & echo \$! > /tmp/rpma-srv.pid"
	ok=0
	for _ in $(seq 30); do
		if "$bin/rpma_bench" client -n "$iters" -s "$sizes" -b "$budget" "$peer_addr" 7450 2> /tmp/rpma-cli.err; then
			ok=1
			break
		fi
		grep -q 'rpma_conn_req_connect\|connection not established\|RPMA_E_PROVIDER' /tmp/rpma-cli.err || break
		sleep 0.3
	done
	if [ $ok = 0 ]; then
		cat /tmp/rpma-cli.err
		peer cat /tmp/rpma-srv.log
		fail "rpma_bench"
	fi
	peer bash -c 'kill $(cat /tmp/rpma-srv.pid) 2>/dev/null; cat /tmp/rpma-srv.log' | sed 's/^/# target: /'

	echo "# rpma: $(( SECONDS - t0 )) s"
	t0=$SECONDS
	# kpmem: an export of the same device, the in-kernel initiator.
	if peer "$kpmemctl" export-add bench.set "$daxdev" --size 40M > /dev/null; then
		"$bin/rpmem_bench" -n "$iters" -s "$sizes" -b "$budget" -p 36 "$peer_addr" bench.set ||
			fail "rpmem_bench"
		EXPORT=bench.set "$bin/rpmem_batch" "$peer_addr" "$batch_secs" 64 4096 ||
			fail "rpmem_batch"
		peer "$kpmemctl" export-remove --force bench.set > /dev/null || fail "export-remove"
	else
		fail "kpmem export-add"
	fi
	echo "# kpmem: $(( SECONDS - t0 )) s"
	echo "INFO rep $rep end $(date +%s)"
done
exit $failed
