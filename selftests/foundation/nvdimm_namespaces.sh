#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest's emulated pmem is usable the way kpmem's users will use it:
# the NVDIMM region can be turned into a devdax namespace and into an fsdax
# namespace carrying a DAX-mounted ext4; legacy memmap= pmem is a block
# device.  Leaves the NVDIMM as it found it (one raw namespace).
. "$KPMEM_TOP/selftests/lib/tap.sh"

# The NVDIMM's region is the one backed by DIMM mappings; memmap= pmem has none.
nvdimm_region() {
	local r
	for r in /sys/bus/nd/devices/region*; do
		[ "$(cat "$r/mappings" 2>/dev/null)" -gt 0 ] 2>/dev/null && { basename "$r"; return; }
	done
}

ns=""
find_namespace() {
	local r
	r=$(nvdimm_region)
	[ -n "$r" ] || { echo "no NVDIMM region (mappings > 0)"; ndctl list -RN; return 1; }
	ns=$(ndctl list -N -r "$r" | jq -r 'if type == "array" then .[0].dev else .dev end')
	[ -n "$ns" ] && [ "$ns" != null ] || { echo "no namespace in $r"; return 1; }
	echo "region $r namespace $ns"
}

devdax_namespace() {
	local out dev
	out=$(ndctl create-namespace -f -e "$ns" -m devdax -a 2M) || return 1
	dev=$(echo "$out" | jq -r '.daxregion.devices[0].chardev')
	echo "$out"
	[ -c "/dev/$dev" ] || { echo "/dev/$dev is not a char device"; return 1; }
	expect "$(daxctl list -d "$dev" | jq -r '.[0].mode // .mode')" = devdax "daxctl mode"
}

fsdax_namespace_with_dax_ext4() {
	local out blk mnt=/tmp/fsdax
	out=$(ndctl create-namespace -f -e "$ns" -m fsdax) || return 1
	blk=$(echo "$out" | jq -r '.blockdev')
	echo "$out"
	[ -b "/dev/$blk" ] || { echo "/dev/$blk missing"; return 1; }
	mkfs.ext4 -q -F -b 4096 "/dev/$blk" || return 1
	mkdir -p $mnt && mount -o dax "/dev/$blk" $mnt || return 1
	grep -E "^/dev/$blk $mnt ext4 [^ ]*dax" /proc/mounts || { echo "not mounted with dax"; umount $mnt; return 1; }
	dd if=/dev/urandom of=$mnt/f bs=1M count=4 status=none && sync
	local sum
	sum=$(md5sum < $mnt/f)
	umount $mnt && mount -o dax "/dev/$blk" $mnt || return 1
	expect "$(md5sum < $mnt/f)" = "$sum" "data survives remount"
	local rc=$?
	umount $mnt
	return $rc
}

restore_raw_namespace() {
	ndctl create-namespace -f -e "$ns" -m raw > /dev/null
}

memmap_pmem_is_block_device() {
	local r
	for r in /sys/bus/nd/devices/region*; do
		[ "$(cat "$r/mappings")" = 0 ] || continue
		ls "$r" | grep -q '^namespace' || continue
		ls /sys/block | grep -q '^pmem' && return 0
	done
	echo "no legacy (memmap) pmem region with a block device"
	ndctl list -RN
	return 1
}

tap_plan 5
tap_test nvdimm_region_has_a_namespace find_namespace
tap_test nvdimm_namespace_becomes_devdax devdax_namespace
tap_test nvdimm_namespace_becomes_fsdax_with_dax_ext4 fsdax_namespace_with_dax_ext4
tap_test nvdimm_namespace_restored_to_raw restore_raw_namespace
tap_test memmap_pmem_is_a_block_device memmap_pmem_is_block_device
tap_done
