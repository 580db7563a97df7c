#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pmemset_env.sh fsdax-up|fsdax-down|devdax-up|devdax-down
#
# The pmem the libpmemset guest tests map, prepared on first use and put
# back when a test program exits:
#   fsdax-up    ext4 on the legacy memmap pmem block device, mounted -o dax
#               at /tmp/pmemset_fsdax; prints the mount point
#   devdax-up   the NVDIMM's namespace as devdax (-a 2M); prints /dev/daxX.Y
#   *-down      unmount / restore the namespace to raw
set -u
mnt=/tmp/pmemset_fsdax

nvdimm_region() {
	local r
	for r in /sys/bus/nd/devices/region*; do
		[ "$(cat "$r/mappings" 2>/dev/null)" -gt 0 ] 2>/dev/null && { basename "$r"; return; }
	done
}

memmap_blockdev() {
	local r b
	for r in /sys/bus/nd/devices/region*; do
		[ "$(cat "$r/mappings" 2>/dev/null)" = 0 ] || continue
		for b in "$r"/namespace*/block/pmem*; do
			[ -e "$b" ] && { echo "/dev/${b##*/}"; return; }
		done
	done
	echo /dev/pmem0
}

nvdimm_namespace() {
	ndctl list -N -r "$(nvdimm_region)" | jq -r 'if type == "array" then .[0].dev else .dev end'
}

case ${1:-} in
fsdax-up)
	if ! grep -q " $mnt " /proc/mounts; then
		dev=$(memmap_blockdev)
		mkdir -p $mnt
		mkfs.ext4 -q -F -b 4096 "$dev" >&2 || exit 1
		mount -o dax "$dev" $mnt >&2 || exit 1
	fi
	grep -qE " $mnt ext4 [^ ]*dax" /proc/mounts || { echo "$mnt is not mounted with dax" >&2; exit 1; }
	echo $mnt
	;;
fsdax-down)
	grep -q " $mnt " /proc/mounts && umount $mnt
	exit 0
	;;
devdax-up)
	ns=$(nvdimm_namespace)
	[ -n "$ns" ] && [ "$ns" != null ] || { echo "no NVDIMM namespace" >&2; ndctl list -RN >&2; exit 1; }
	dev=$(ndctl list -N -n "$ns" | jq -r 'if type == "array" then .[0] else . end | select(.mode == "devdax") | .chardev // .daxregion.devices[0].chardev // empty')
	if [ -z "$dev" ]; then
		dev=$(ndctl create-namespace -f -e "$ns" -m devdax -a 2M | jq -r '.daxregion.devices[0].chardev') || exit 1
	fi
	[ -c "/dev/$dev" ] || { echo "/dev/$dev is not a char device" >&2; exit 1; }
	echo "/dev/$dev"
	;;
devdax-down)
	ns=$(nvdimm_namespace)
	[ -n "$ns" ] && [ "$ns" != null ] || exit 0
	mode=$(ndctl list -N -n "$ns" | jq -r 'if type == "array" then .[0].mode else .mode end')
	[ "$mode" = raw ] || ndctl create-namespace -f -e "$ns" -m raw > /dev/null
	;;
*)
	echo "usage: $0 fsdax-up|fsdax-down|devdax-up|devdax-down" >&2
	exit 2
	;;
esac
