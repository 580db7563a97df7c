#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb_pair.sh packages-install|packages-dkms|packages-use|packages-purge
#
# The Debian packages of build/deb/ (make deb) on a pair, installed offline
# with dpkg into the guests' throwaway roots.  Four phases, run one after
# the other by selftests/TESTS, each within the suite's time limit per test
# (the DKMS build alone takes a minute or more under emulation):
#  - target: librpmem1-kpmem, libpmemset1-kpmem, kpmemctl; the installed
#    kpmemctl adds exports, saves them, and kpmem.service's own commands
#    restore them as at boot;
#  - initiator: everything; kpmem-dkms's postinst has DKMS build kpmem.ko
#    for the running kernel, which replaces the harness's module; a program
#    built with pkg-config against the installed headers replicates to the
#    target through the installed librpmem.so.1, and Debian's libpmemobj and
#    pmempool find that library in the default path.
# The last phase purges the packages on both guests and loads the harness's
# module again, for the tests after these.
#
# Not in selftests/TESTS yet: measured on 6.12 with other guests running,
# the install phases pass, and packages-dkms (DKMS building kpmem.ko in the
# guest) exceeded guest-suite's 300 s per-test limit.  It needs a longer
# limit of its own before it can join the suite.
. "$KPMEM_TOP/selftests/lib/tap.sh"
release=$("$KPMEM_TOP/scripts/version")
debs=$KPMEM_TOP/build/deb
kver=$(uname -r)
phase=${1:?usage: deb_pair.sh packages-install|packages-dkms|packages-use|packages-purge}
work=/tmp/deb-pair
mkdir -p "$work"
ctl=/usr/sbin/kpmemctl
all=(kpmem-dkms librpmem1-kpmem libpmemset1-kpmem libkpmem-dev kpmemctl)
# dpkg on the target outlasts peer's default limit under emulation.
slow_peer=(peer --timeout $((600 * ${KPMEM_VM_SLOW:-1})))
runtime=(librpmem1-kpmem libpmemset1-kpmem kpmemctl)

deb() { # $1: package
	local arch=amd64
	[ "$1" = kpmem-dkms ] && arch=all
	echo "$debs/${1}_${release}_$arch.deb"
}
debs_of() { local p; for p in "$@"; do deb "$p"; done; }

# Installing runs the man-db trigger, which would index every manual page
# under emulation for minutes: this throwaway root needs no index.
no_mandb='rm -f /var/lib/man-db/auto-update'
# No question is ever asked (none is expected either).
dpkg='DEBIAN_FRONTEND=noninteractive dpkg'

debs_are_built() {
	local p ok=0
	for p in "${all[@]}"; do
		[ -f "$(deb "$p")" ] || { echo "no $(deb "$p"): run make deb"; ok=1; }
	done
	return $ok
}

target_installs_runtime_packages() {
	# shellcheck disable=SC2046 # one argument per package file
	"${slow_peer[@]}" sh -c "$no_mandb; $dpkg -i $(debs_of "${runtime[@]}" | tr '\n' ' ') < /dev/null" || return 1
	peer "$ctl" version | tee "$work/target-version"
	grep -q "^librpmem.so.1: kpmem $release, API 1.3, /usr/lib/x86_64-linux-gnu/librpmem.so.1" \
		"$work/target-version"
}

initiator_installs_libraries_dev_and_kpmemctl() {
	eval "$no_mandb"
	# shellcheck disable=SC2046 # one argument per package file
	eval "$dpkg -i $(debs_of "${runtime[@]}" libkpmem-dev | tr '\n' ' ')" < /dev/null
}

# kpmem-dkms builds for the running kernel and for the newest in /boot;
# this guest runs one of them, so the install sees its own kernel only.
initiator_installs_kpmem_dkms() {
	local boot
	boot=$(mktemp -d)
	cp "/boot/config-$kver" "$boot/" || return 1
	unshare -m sh -c "mount --bind '$boot' /boot && $dpkg -i $(deb kpmem-dkms)" < /dev/null
}

dkms_built_the_module_for_this_kernel() {
	dkms status kpmem
	dkms status -m kpmem -v "$release" -k "$kver" | grep -q ': installed' &&
		ls "/lib/modules/$kver/updates/dkms/"kpmem.ko*
}

dkms_module_replaces_the_harness_module() {
	local file
	rmmod kpmem || return 1
	if ! modprobe kpmem; then
		insmod "$KPMEM_KO"
		return 1
	fi
	file=$(modinfo -n kpmem)
	echo "loaded $file, version $(cat /sys/module/kpmem/version), srcversion $(cat /sys/module/kpmem/srcversion)"
	case $file in "/lib/modules/$kver/updates/dkms/kpmem.ko"*) ;; *) return 1 ;; esac
	expect "$(cat /sys/module/kpmem/version)" = "$release" "module version" &&
		expect "$(cat /sys/module/kpmem/srcversion)" = "$(modinfo -F srcversion kpmem)" "srcversion"
}

installed_kpmemctl_reports_versions() {
	"$ctl" version | tee "$work/version" || return 1
	grep -q "^kpmemctl $release" "$work/version" &&
		grep -q "^librpmem.so.1: kpmem $release, API 1.3, /usr/lib/x86_64-linux-gnu/librpmem.so.1" "$work/version" &&
		grep -q "^libpmemset.so.1: kpmem $release, /usr/lib/x86_64-linux-gnu/libpmemset.so.1" "$work/version" &&
		grep -q "^module $release, .*/sys/module/kpmem: version $release, srcversion" "$work/version"
}

programs_build_with_pkg_config() {
	local flags
	flags=$(pkg-config --cflags --libs librpmem libpmemset) || return 1
	echo "pkg-config: $flags; librpmem $(pkg-config --modversion librpmem)"
	expect "$(pkg-config --modversion librpmem libpmemset | sort -u)" = "$release" "pkg-config versions" &&
		gcc -Wall -Wextra -Werror -o "$work/replicate_check" \
			"$KPMEM_TOP/selftests/packaging/replicate_check.c" $flags &&
		gcc -Wall -Wextra -Werror -o "$work/pmemobj_check" \
			"$KPMEM_TOP/selftests/packaging/pmemobj_check.c" -lpmemobj || return 1
	# No RPATH, no RUNPATH: the dynamic linker's default path only.
	! readelf -d "$work/replicate_check" | grep -qE 'RPATH|RUNPATH' &&
		ldd "$work/replicate_check" | grep -q 'librpmem.so.1 => /usr/lib/x86_64-linux-gnu/librpmem.so.1'
}

target_exports_survive_a_restart_of_kpmem_service() {
	peer sh -c "rm -f /tmp/pkg.img /tmp/obj.img && $ctl export-add pkg.set /tmp/pkg.img --size 16M &&
		$ctl export-add obj.set /tmp/obj.img --size 17M && $ctl save" || return 1
	peer cat /etc/kpmem/exports.json || return 1
	peer sh -c "$ctl export-remove pkg.set && $ctl export-remove obj.set" || return 1
	# As systemd would at boot: the unit's ExecStartPre and ExecStart.
	peer sh -c 'sed -n "s/^ExecStart\(Pre\)\{0,1\}=//p" /lib/systemd/system/kpmem.service |
		while read -r cmd; do echo "+ $cmd"; $cmd || exit 1; done' || return 1
	peer "$ctl" export-list | tee "$work/list"
	grep -q '^pkg.set: file, 16777216 bytes' "$work/list" && grep -q '^obj.set: file, 17825792 bytes' "$work/list"
}

installed_librpmem_replicates_to_the_target() {
	"$work/replicate_check" "$KPMEM_VM_PEER_ADDR" pkg.set "$work/expected" || return 1
	local want got
	want=$(sha256sum < "$work/expected")
	got=$(peer sh -c 'dd if=/tmp/pkg.img bs=4096 skip=1 count=16 status=none | sha256sum')
	expect "$got" = "$want" "what the target's export holds at pool offset 4096"
}

debian_libpmemobj_and_pmempool_load_kpmem_librpmem() {
	printf 'PMEMPOOLSET\n16M %s/obj.part\nREPLICA %s obj.set\n' "$work" "$KPMEM_VM_PEER_ADDR" > "$work/obj.set"
	"$work/pmemobj_check" "$work/obj.set" || return 1
	peer grep -qa 'replicated by kpmem' /tmp/obj.img || { echo "the replica lacks the data"; return 1; }
	if command -v pmempool > /dev/null; then
		pmempool info "$work/obj.set" > "$work/info" || { cat "$work/info"; return 1; }
		pmempool rm -v "$work/obj.set" || return 1
	else
		echo "pmempool (pmdk-tools) is not installed: only libpmemobj was checked"
	fi
}

# At the end of packages-use, as at shutdown: kpmem.service's ExecStop saves
# the exports; then they go, so that no kpmem object outlives the phase.
stop_saves_the_exports() {
	local saved
	peer sh -c 'sed -n "s/^ExecStop=//p" /lib/systemd/system/kpmem.service |
		while read -r cmd; do echo "+ $cmd"; $cmd || exit 1; done' || return 1
	saved=$(peer cat /etc/kpmem/exports.json) || return 1
	echo "$saved"
	peer sh -c "$ctl export-remove pkg.set && $ctl export-remove obj.set" || return 1
	echo "$saved" | jq -e '.exports | map(.name) == ["obj.set", "pkg.set"]' > /dev/null
}

# Both guests as they were: no export, no package, the harness's module.
purge_leaves_both_guests_as_they_were() {
	peer sh -c "$ctl export-remove --force pkg.set; $ctl export-remove --force obj.set" > /dev/null 2>&1
	"${slow_peer[@]}" sh -c "$dpkg --purge ${runtime[*]} > /dev/null; rm -f /tmp/pkg.img /tmp/obj.img"
	rmmod kpmem 2>/dev/null
	DEBIAN_FRONTEND=noninteractive dpkg --purge "${all[@]}" > /dev/null < /dev/null
	grep -q '^kpmem ' /proc/modules || insmod "$KPMEM_KO"
	rm -rf "$work"
	peer sh -c '! test -e /etc/kpmem/exports.json && ! test -e /usr/sbin/kpmemctl' &&
		! dpkg -s kpmem-dkms > /dev/null 2>&1 && ! ls "/lib/modules/$kver/updates/dkms/"kpmem.ko* 2>/dev/null &&
		! dkms status kpmem | grep -q . && grep -q '^kpmem ' /proc/modules
}

# A phase after a failed one: say so instead of failing for the same reason.
ok_installed() { dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
installed() {
	ok_installed kpmem-dkms && ok_installed kpmemctl &&
		peer dpkg-query -W -f '${Status}' kpmemctl 2>/dev/null | grep -q 'ok installed'
}

case $phase in
packages-install)
	tap_plan 3
	tap_test debs_are_built debs_are_built
	[ -f "$(deb kpmemctl)" ] || tap_done
	tap_test target_installs_runtime_packages_offline target_installs_runtime_packages
	tap_test initiator_installs_libraries_dev_and_kpmemctl_offline initiator_installs_libraries_dev_and_kpmemctl
	;;
packages-dkms)
	tap_plan 2
	tap_test kpmem_dkms_installs_offline initiator_installs_kpmem_dkms
	tap_test dkms_builds_and_installs_kpmem_for_the_running_kernel dkms_built_the_module_for_this_kernel
	;;
packages-use)
	tap_plan 7
	if ! installed; then
		echo "not ok 1 packages_are_installed # an earlier phase failed"
		exit 1
	fi
	# Stopped by the suite's time limit, it still leaves no export behind.
	trap 'peer sh -c "$ctl export-remove --force pkg.set; $ctl export-remove --force obj.set" > /dev/null 2>&1' EXIT
	tap_test dkms_module_loads_instead_of_the_harness_module dkms_module_replaces_the_harness_module
	tap_test installed_kpmemctl_reports_module_and_library_versions installed_kpmemctl_reports_versions
	tap_test programs_build_with_pkg_config_against_installed_headers programs_build_with_pkg_config
	tap_test target_exports_come_back_through_kpmem_service_commands target_exports_survive_a_restart_of_kpmem_service
	tap_test installed_librpmem_replicates_to_the_target installed_librpmem_replicates_to_the_target
	tap_test debian_libpmemobj_and_pmempool_use_kpmem_librpmem debian_libpmemobj_and_pmempool_load_kpmem_librpmem
	tap_test kpmem_service_stop_saves_the_exports stop_saves_the_exports
	;;
packages-purge)
	tap_plan 1
	tap_test purge_leaves_both_guests_as_they_were purge_leaves_both_guests_as_they_were
	;;
*)
	echo "deb_pair.sh: unknown phase $phase" >&2
	exit 2
	;;
esac
tap_done
