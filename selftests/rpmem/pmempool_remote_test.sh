#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian's unmodified pmempool and libpmemobj with a pool set whose REPLICA
# is a kpmem target, on the initiator of a pair: `pmempool create obj`
# creates the remote replica, a libpmemobj writer and reader go through it,
# `pmempool info` reads the set, `pmempool sync` rebuilds a replica whose
# header was damaged on the target (data and header: compared with the
# local part on the target), and `pmempool rm` removes the remote pool.
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

cleanup() {
	peer "$kpmemctl" export-remove --force "$export_name" > /dev/null 2>&1
	peer rm -f "$img"
	rm -f "$part" "$set_file" "$KPMEM_VM_SHARED/pmempool-remote.part"
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
			"$KPMEM_VM_SHARED/pmempool-remote.part" "$img"
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
	echo "$out" | grep -q 'PMEMOBJ'
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

rm_removes_the_remote_pool() {
	pmempool rm -v "$set_file" || return 1
	expect "$(test -e "$part" && echo kept || echo removed)" = removed "local part" || return 1
	# The export stays, without a pool: its header is zero.
	peer "$kpmemctl" export-list | grep -q "$export_name" || { echo "export gone"; return 1; }
	peer cmp -n 4096 "$img" /dev/zero
}

tap_plan 5
tap_test pmempool_create_obj_makes_the_remote_replica create_makes_the_remote_replica
tap_test libpmemobj_writer_and_reader_go_through_the_replica writer_and_reader_go_through_the_replica
tap_test pmempool_info_reads_the_set info_reads_the_set
tap_test pmempool_sync_rebuilds_a_replica_whose_header_was_damaged sync_rebuilds_a_damaged_remote_header
tap_test pmempool_rm_removes_the_remote_pool rm_removes_the_remote_pool
tap_done
