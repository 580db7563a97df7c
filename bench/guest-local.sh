#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-local.sh SIZES ITERS REPS PARTS: the local workloads, run by bench/run
# in a single harness guest with an NVDIMM: local_bench (pmemset_memcpy vs
# pmem2_memcpy on one device DAX mapping) at SIZES, and part_map_scaling at
# PARTS (comma-separated), each REPS times.  Prints RESULT/INFO/FAIL lines.
set -u
sizes=$1 iters=$2 reps=$3 parts=$4
bin=$KPMEM_BUILD/bench
failed=0

echo "INFO kernel $(uname -r)"
echo "INFO guest_cpus $(nproc)"
echo "INFO guest_mem_mib $(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 ))"
echo "INFO libpmem2 $(dpkg-query -W -f='${Version}' libpmem2 2>/dev/null)"

r=$(for r in /sys/bus/nd/devices/region*; do [ "$(cat "$r/mappings")" -gt 0 ] && basename "$r"; done | head -n 1)
ns=$(ndctl list -N -r "$r" | jq -r 'if type == "array" then .[0].dev else .dev end')
dax=/dev/$(ndctl create-namespace -f -e "$ns" -m devdax -a 2M | jq -r '.daxregion.devices[0].chardev')
[ -c "$dax" ] || { echo "FAIL no device DAX from the NVDIMM"; exit 1; }
echo "INFO local_pmem $dax (QEMU NVDIMM, devdax, align 2M)"

# One throwaway run first: the first copies after the guest booted and
# created the namespace ran several times slower, in whichever modes they
# fell on (seen in two of two runs of 3 repetitions).
"$bin/local_bench" -n 400 -s 4K,64K "$dax" > /dev/null || { echo "FAIL local_bench warm-up"; failed=1; }

for rep in $(seq "$reps"); do
	echo "INFO rep $rep start $(date +%s)"
	"$bin/local_bench" -n "$iters" -s "$sizes" "$dax" || { echo "FAIL local_bench"; failed=1; }
	"$bin/part_map_scaling" ${parts//,/ } | grep '^RESULT' || { echo "FAIL part_map_scaling"; failed=1; }
	echo "INFO rep $rep end $(date +%s)"
done
exit $failed
