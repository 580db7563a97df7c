#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's unmodified pmempool and libpmemobj with a pool set whose REPLICA
# is a kpmem target, on the initiator of a pair: `pmempool create obj`
# creates the remote replica, a libpmemobj writer and reader go through it,
# `pmempool info` reads the set, `pmempool sync` rebuilds a replica whose
# header was damaged on the target (data and header: compared with the
# local part on the target) and a lost local part from the replica (read
# through librpmem), and `pmempool rm` removes the remote pool, or refuses
# when it is gone unless forced (-f); a pool with two kpmem replicas keeps
# both identical, and `pmempool transform` adds a kpmem replica to a pool of
# two local parts and takes it away again; and a pool whose local part is
# on the initiator's own pmem (an fsdax ext4 on its NVDIMM, as a real pool
# is) replicates like one in a plain file.  After PMDK's pmempool_*_remote
# and obj_rpmem_basic_integration tests.
# Every PMDK program loads kpmem's librpmem.so.1 from LD_LIBRARY_PATH.
. "$KPMEM_TOP/selftests/lib/tap.sh"
export LD_LIBRARY_PATH=$KPMEM_BUILD/lib
# pmempool sync first asks rpmemd over ssh to remove a broken replica (and
# ignores failure); kpmem has no rpmemd: fail that at once, not after ssh's
# connection attempt.
export RPMEM_SSH=false
kpmemctl=$KPMEM_BUILD/tools/kpmemctl
pool_mb=16			# as pmemobj_replica.h's POOL_MB
set_file=/tmp/pmempool-remote.set
part=/tmp/pmempool-remote.part
img=/tmp/pmempool-remote.img	# the export's file, on the target
export_name=pmempool-remote.set
img2=/tmp/pmempool-remote2.img	# a second export, for two replicas
export2=pmempool-remote2.set
in_set=/tmp/pmempool-local.set	# two local parts, for transform
dax_mnt=/mnt/kpmem-fsdax	# the initiator's NVDIMM, fsdax, mounted -o dax
dax_ns=

cleanup() {
	peer "$kpmemctl" export-remove --force "$export_name" > /dev/null 2>&1
	peer "$kpmemctl" export-remove --force "$export2" > /dev/null 2>&1
	peer rm -f "$img" "$img2"
	rm -f "$part" "$part.1" "$part.2" "$set_file" "$in_set" \
		"$KPMEM_VM_SHARED/pmempool-remote.part"
	if mountpoint -q "$dax_mnt"; then
		rm -f "$dax_mnt/pool.part"
		umount "$dax_mnt"
	fi
	# The NVDIMM back to the raw namespace the next test expects.
	[ -z "$dax_ns" ] || ndctl create-namespace -f -e "$dax_ns" -m raw > /dev/null
}
trap cleanup EXIT

setup() {
	cleanup
	printf 'PMEMPOOLSET\n%dM %s\nREPLICA %s %s\n' "$pool_mb" "$part" \
		"$KPMEM_VM_PEER_ADDR" "$export_name" > "$set_file" &&
		peer "$kpmemctl" export-add "$export_name" "$img" --size $((pool_mb + 1))M
}

# The target's copy: PMDK's header, as pmempool on the target reads it.
target_header_is_pmemobj() {
	local out
	out=$(peer pmempool info "$img") || { echo "$out"; return 1; }
	echo "$out" | grep -E '^(Signature|Pool type|Layout|Checksum)'
	echo "$out" | grep -q '^Signature *: PMEMOBJ' && echo "$out" | grep -q '^Checksum.*\[OK\]'
}

# The whole replica is the local pool (pmemobj_replica_cmp.py says which
# few ranges libpmemobj never replicates; everything else must match).
replica_matches_local_part() {
	cp "$part" "$KPMEM_VM_SHARED/pmempool-remote.part" &&
		peer python3 "$KPMEM_TOP/selftests/rpmem/pmemobj_replica_cmp.py" \
			"$KPMEM_VM_SHARED/pmempool-remote.part" "${1:-$img}" ${2:+"$2"}
}

create_makes_the_remote_replica() {
	setup || return 1
	pmempool create -v --layout kpmem obj "$set_file" || return 1
	test -s "$part" && target_header_is_pmemobj
}

writer_and_reader_go_through_the_replica() {
	"$KPMEM_BUILD/selftests/rpmem/pmemobj_replica_write" "$set_file" &&
		"$KPMEM_BUILD/selftests/rpmem/pmemobj_replica_read" "$set_file" &&
		replica_matches_local_part
}

info_reads_the_set() {
	local out
	out=$(pmempool info "$set_file") || { echo "$out"; return 1; }
	echo "$out" | head -n 30
	echo "$out" | grep -q '^Replica 1 - remote' &&
		echo "$out" | grep -Eq "^node +: $KPMEM_VM_PEER_ADDR\$" &&
		echo "$out" | grep -Eq "^pool set +: $export_name\$" &&
		echo "$out" | grep -Eq '^Signature +: PMEMOBJ'
}

# The header's checksum is its last 8 bytes: with one of them flipped, the
# replica is broken for PMDK (rpmem_open() finds no pool there).
sync_rebuilds_a_damaged_remote_header() {
	peer python3 -c "
f = open('$img', 'r+b'); f.seek(4090); b = f.read(1); f.seek(4090)
f.write(bytes([b[0] ^ 0xff])); f.close()" || return 1
	if peer pmempool info "$img" > /dev/null 2>&1; then
		echo "the damaged header still reads as a pool"
		return 1
	fi
	if "$KPMEM_BUILD/selftests/rpmem/pmemobj_replica_read" "$set_file"; then
		echo "libpmemobj opened the set with a broken replica"
		return 1
	fi
	pmempool sync -v "$set_file" || return 1
	target_header_is_pmemobj && replica_matches_local_part &&
		"$KPMEM_BUILD/selftests/rpmem/pmemobj_replica_read" "$set_file"
}

# The primary's only part is lost: sync reads the pool back from the
# replica (rpmem_open + rpmem_read) and the writer's records are there.
sync_restores_a_lost_local_part() {
	rm -f "$part" || return 1
	pmempool sync -v "$set_file" || return 1
	test -s "$part" && "$KPMEM_BUILD/selftests/rpmem/pmemobj_replica_read" "$set_file" &&
		replica_matches_local_part
}

rm_removes_the_remote_pool() {
	pmempool rm -v "$set_file" || return 1
	expect "$(test -e "$part" && echo kept || echo removed)" = removed "local part" || return 1
	# The export stays, without a pool: its header is zero.
	peer "$kpmemctl" export-list | grep -q "$export_name" || { echo "export gone"; return 1; }
	peer cmp -n 4096 "$img" /dev/zero
}

# With the remote pool gone (its header zeroed on the target), rm refuses
# (rpmem_remove: ENOENT) and rm -f removes what is left.
rm_of_a_set_whose_remote_pool_is_gone() {
	pmempool create --layout kpmem obj "$set_file" || return 1
	peer dd if=/dev/zero of="$img" bs=4096 count=1 conv=notrunc status=none || return 1
	if pmempool rm "$set_file"; then
		echo "pmempool rm succeeded without the remote pool"
		return 1
	fi
	pmempool rm -f -v "$set_file" || return 1
	expect "$(test -e "$part" && echo kept || echo removed)" = removed "local part"
}

# Two REPLICA lines: libpmemobj writes both through librpmem; each is the
# local pool (outside what libpmemobj never replicates), and the set reads
# back.
two_remote_replicas_stay_identical() {
	printf 'PMEMPOOLSET\n%dM %s\nREPLICA %s %s\nREPLICA %s %s\n' "$pool_mb" "$part" \
		"$KPMEM_VM_PEER_ADDR" "$export_name" "$KPMEM_VM_PEER_ADDR" "$export2" > "$set_file" &&
		peer "$kpmemctl" export-add "$export2" "$img2" --size $((pool_mb + 1))M || return 1
	local rc=1
	pmempool create --layout kpmem obj "$set_file" &&
		"$KPMEM_BUILD/selftests/rpmem/pmemobj_replica_write" "$set_file" &&
		"$KPMEM_BUILD/selftests/rpmem/pmemobj_replica_read" "$set_file" &&
		replica_matches_local_part "$img" --more-replicas &&
		replica_matches_local_part "$img2" --more-replicas &&
		pmempool info "$set_file" | grep -c '^Replica [12] - remote' | grep -qx 2 && rc=0
	pmempool rm -f -v "$set_file"
	return $rc
}

# A pool of two local parts gets a kpmem replica by transform (its data
# copied there through librpmem), keeps its data, and loses the replica by
# the reverse transform.
transform_adds_and_removes_a_kpmem_replica() {
	printf 'PMEMPOOLSET\n%dM %s.1\n%dM %s.2\n' $((pool_mb / 2)) "$part" $((pool_mb / 2)) \
		"$part" > "$in_set" &&
		printf 'PMEMPOOLSET\n%dM %s.1\n%dM %s.2\nREPLICA %s %s\n' $((pool_mb / 2)) "$part" \
			$((pool_mb / 2)) "$part" "$KPMEM_VM_PEER_ADDR" "$export_name" > "$set_file" ||
		return 1
	# Whatever an earlier case left, the export holds no pool.
	peer dd if=/dev/zero of="$img" bs=4096 count=1 conv=notrunc status=none || return 1
	pmempool create --layout kpmem obj "$in_set" &&
		"$KPMEM_BUILD/selftests/rpmem/pmemobj_replica_write" "$in_set" || return 1
	pmempool transform -v "$in_set" "$set_file" || return 1
	target_header_is_pmemobj &&
		"$KPMEM_BUILD/selftests/rpmem/pmemobj_replica_read" "$set_file" || return 1
	pmempool transform -v "$set_file" "$in_set" || return 1
	"$KPMEM_BUILD/selftests/rpmem/pmemobj_replica_read" "$in_set" &&
		pmempool info "$in_set" > /dev/null && pmempool rm -v "$in_set"
}

# The local part on DAX: libpmemobj flushes it with CPU instructions and
# librpmem's persists read it from the DAX mapping.
local_part_on_fsdax_replicates() {
	local r blk
	r=$(for r in /sys/bus/nd/devices/region*; do
		[ "$(cat "$r/mappings")" -gt 0 ] && basename "$r"; done | head -n 1)
	[ -n "$r" ] || { echo "no NVDIMM region"; ndctl list -RN; return 1; }
	dax_ns=$(ndctl list -N -r "$r" | jq -r 'if type == "array" then .[0].dev else .dev end')
	ndctl create-namespace -f -e "$dax_ns" -m fsdax > /dev/null || return 1
	blk=$(ndctl list -N -n "$dax_ns" | jq -r 'if type == "array" then .[0].blockdev else .blockdev end')
	mkfs.ext4 -q -F -b 4096 "/dev/$blk" && mkdir -p "$dax_mnt" &&
		mount -o dax "/dev/$blk" "$dax_mnt" || return 1
	grep -E "^/dev/$blk $dax_mnt ext4 [^ ]*dax" /proc/mounts || { echo "not -o dax"; return 1; }
	peer dd if=/dev/zero of="$img" bs=4096 count=1 conv=notrunc status=none || return 1
	printf 'PMEMPOOLSET\n%dM %s\nREPLICA %s %s\n' "$pool_mb" "$dax_mnt/pool.part" \
		"$KPMEM_VM_PEER_ADDR" "$export_name" > "$set_file" || return 1
	pmempool create --layout kpmem obj "$set_file" &&
		"$KPMEM_BUILD/selftests/rpmem/pmemobj_replica_write" "$set_file" &&
		"$KPMEM_BUILD/selftests/rpmem/pmemobj_replica_read" "$set_file" || return 1
	part=$dax_mnt/pool.part replica_matches_local_part
}

# Two groups, each within the suite's per-test time limit under TCG:
# "lifecycle" (create, info, sync, rm) and "layouts" (two replicas,
# transform, the local part on fsdax); no argument runs both.
group=${1:-all}
case $group in
lifecycle) tap_plan 7 ;;
layouts) tap_plan 3 ;;
all) tap_plan 10 ;;
*) echo "usage: $0 [lifecycle|layouts]" >&2; exit 2 ;;
esac
if [ "$group" != layouts ]; then
	tap_test pmempool_create_obj_makes_the_remote_replica create_makes_the_remote_replica
	tap_test libpmemobj_writer_and_reader_go_through_the_replica writer_and_reader_go_through_the_replica
	tap_test pmempool_info_reads_the_set info_reads_the_set
	tap_test pmempool_sync_rebuilds_a_replica_whose_header_was_damaged sync_rebuilds_a_damaged_remote_header
	tap_test pmempool_sync_restores_a_lost_local_part_from_the_replica sync_restores_a_lost_local_part
	tap_test pmempool_rm_removes_the_remote_pool rm_removes_the_remote_pool
	tap_test pmempool_rm_refuses_a_set_whose_remote_pool_is_gone_unless_forced rm_of_a_set_whose_remote_pool_is_gone
fi
if [ "$group" != lifecycle ]; then
	[ "$group" = all ] || setup > /dev/null || { echo "setup failed" >&2; exit 1; }
	tap_test libpmemobj_keeps_two_kpmem_replicas_identical two_remote_replicas_stay_identical
	tap_test pmempool_transform_adds_and_removes_a_kpmem_replica transform_adds_and_removes_a_kpmem_replica
	tap_test libpmemobj_pool_on_local_fsdax_replicates_through_kpmem local_part_on_fsdax_replicates
fi
tap_done
