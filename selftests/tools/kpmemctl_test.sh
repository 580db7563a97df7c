#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kpmemctl against the real module, in a single guest: a failed export-add
# leaves nothing behind (no file, no export, no record), export-add and
# export-remove keep the per-export records, save writes the live exports
# and refuses to guess, restore brings them back, skips what exists, and
# restores the good entries of a config with bad ones.  File exports in a
# scratch directory; records and saved files there too.
. "$KPMEM_TOP/selftests/lib/tap.sh"
kpmemctl=$KPMEM_BUILD/tools/kpmemctl
release=$("$KPMEM_TOP/scripts/version")
abi=$(sed -n 's/^#define KPMEM_ABI_VERSION[[:space:]]*\([0-9]*\).*/\1/p' "$KPMEM_TOP/uapi/linux/kpmem.h")
dir=$(mktemp -d /tmp/kpmemctl-test.XXXXXX)
export KPMEMCTL_REGISTRY_DIR=$dir/registry
cfg=$dir/exports.json
names=(a.set k.set g.set m.set x.set t.set)

# Runs kpmemctl; its stderr goes to $dir/err (shown in the log) and stdout
# to $dir/out.  Returns kpmemctl's status.
kc() {
	"$kpmemctl" "$@" > "$dir/out" 2> "$dir/err"
	local rc=$?
	cat "$dir/out" "$dir/err"
	return $rc
}
exported() { "$kpmemctl" export-list --json | jq -e --arg n "$1" '.exports | map(.name) | index($n) != null' > /dev/null; }
cleanup() {
	for n in "${names[@]}"; do "$kpmemctl" export-remove --force "$n" > /dev/null 2>&1; done
	rm -rf "$dir"
}
# Also when the suite's time limit stops the test: no export may outlive it.
trap cleanup EXIT

no_module_means_no_file() {
	rmmod kpmem || return 1
	kc export-add t.set "$dir/new.img" --size 4M
	local rc=$?
	insmod "$KPMEM_KO" || return 1
	expect "$rc" = 1 "exit status" &&
		grep -q 'is kpmem.ko loaded?' "$dir/err" && ! test -e "$dir/new.img"
}

mistyped_device_is_an_error_not_a_file() {
	kc export-add t.set /dev/dax7.7
	expect $? = 1 "without --size" || return 1
	kc export-add t.set /dev/dax7.7 --size 4M
	expect $? = 1 "with --size" || return 1
	grep -q 'never created under /dev' "$dir/err" && ! test -e /dev/dax7.7 && ! exported t.set
}

missing_file_needs_size() {
	kc export-add t.set "$dir/none.img"
	expect $? = 1 "exit status" && grep -q -- '--size creates a file' "$dir/err" &&
		! test -e "$dir/none.img" && ! exported t.set
}

refused_export_removes_its_file() {
	# The module refuses a size that is no multiple of 4096.
	kc export-add t.set "$dir/odd.img" --size 5000
	expect $? = 1 "new file" || return 1
	! test -e "$dir/odd.img" || { echo "the file was left behind"; return 1; }
	truncate -s 4096 "$dir/old.img"
	kc export-add t.set "$dir/old.img" --size 5000
	expect $? = 1 "existing file" || return 1
	expect "$(stat -c %s "$dir/old.img")" = 4096 "size of the existing file" &&
		! exported t.set && ! test -e "$KPMEMCTL_REGISTRY_DIR/t.set.json"
}

taken_name_is_refused_before_the_backing() {
	kc export-add a.set "$dir/a.img" --size 4M --nohdrs --allow 10.77.0.0/24 || return 1
	kc export-add a.set "$dir/b.img" --size 4M
	expect $? = 1 "exit status" && grep -q 'exists' "$dir/err" && ! test -e "$dir/b.img"
}

# a.set (the test above) has a.img: no second export of it, under another
# path either (a hard link is the same file).
taken_backing_is_refused() {
	ln "$dir/a.img" "$dir/a-link.img" || return 1
	for path in "$dir/a.img" "$dir/a-link.img"; do
		kc export-add t.set "$path"
		expect $? = 1 "exit status for $path" || return 1
		grep -q 'another export has this backing' "$dir/err" || return 1
	done
	rm -f "$dir/a-link.img"
	expect "$(stat -c %s "$dir/a.img")" = 4194304 "size of a.img" &&
		! exported t.set && ! test -e "$KPMEMCTL_REGISTRY_DIR/t.set.json"
}

bad_options_are_usage_errors() {
	kc export-add t.set "$dir/t.img" --size 4Q
	expect $? = 2 "bad size" || return 1
	kc export-add t.set "$dir/t.img" --allow 10.0.0.0/99
	expect $? = 2 "bad allow" || return 1
	head -c 8 /dev/urandom > "$dir/short.key"
	kc export-add t.set "$dir/t.img" --size 4M --key-file "$dir/short.key"
	expect $? = 2 "short key" || return 1
	! test -e "$dir/t.img" && ! exported t.set
}

export_add_records_the_export() {
	head -c 32 /dev/urandom > "$dir/k.key"
	kc export-add k.set "$dir/k.img" --size 8M --key-file "$dir/k.key" || return 1
	jq -e --arg d "$dir" '.name == "a.set" and .backing == ($d + "/a.img") and
		.size == 4194304 and .nohdrs and .allow == ["10.77.0.0/24"] and
		(has("key_file") | not)' "$KPMEMCTL_REGISTRY_DIR/a.set.json" > /dev/null &&
		jq -e --arg d "$dir" '.key_file == ($d + "/k.key") and (.nohdrs | not)' \
			"$KPMEMCTL_REGISTRY_DIR/k.set.json" > /dev/null
}

save_writes_the_live_exports() {
	kc save --file "$cfg" || return 1
	cat "$cfg"
	jq -e --arg d "$dir" '.version == 1 and (.exports | map(.name)) == ["a.set", "k.set"] and
		.exports[0].backing == ($d + "/a.img") and .exports[0].nohdrs and
		.exports[0].allow == ["10.77.0.0/24"] and .exports[1].key_file == ($d + "/k.key") and
		.exports[1].size == 8388608' "$cfg" > /dev/null &&
		expect "$(stat -c %a "$cfg")" = 600 "mode"
}

save_refuses_an_export_without_a_record() {
	mv "$KPMEMCTL_REGISTRY_DIR/k.set.json" "$dir/k.rec"
	kc save --file "$dir/second.json"
	local rc=$?
	mv "$dir/k.rec" "$KPMEMCTL_REGISTRY_DIR/k.set.json"
	expect $rc = 1 "exit status" && grep -q "export 'k.set': no record" "$dir/err" &&
		! test -e "$dir/second.json"
}

export_remove_forgets_the_record() {
	kc export-remove a.set && kc export-remove k.set || return 1
	! test -e "$KPMEMCTL_REGISTRY_DIR/a.set.json" && ! test -e "$KPMEMCTL_REGISTRY_DIR/k.set.json" &&
		! exported a.set && ! exported k.set
}

restore_brings_the_exports_back() {
	kc restore --file "$cfg" || return 1
	"$kpmemctl" export-list --json | tee "$dir/list"
	jq -e '.exports | map({(.name): .}) | add |
		(.["a.set"].headers | not) and .["a.set"].allow == 1 and .["a.set"].size == 4194304 and
		.["k.set"].key and .["k.set"].size == 8388608' "$dir/list" > /dev/null &&
		test -e "$KPMEMCTL_REGISTRY_DIR/a.set.json" && test -e "$KPMEMCTL_REGISTRY_DIR/k.set.json"
}

restore_twice_changes_nothing() {
	kc restore --file "$cfg" || return 1
	expect "$("$kpmemctl" export-list --json | jq '.exports | length')" = 2 "exports"
}

restore_reports_bad_entries_and_restores_the_rest() {
	truncate -s 4M "$dir/g.img"
	cat > "$dir/mixed.json" <<-EOF
	{
	  "version": 1,
	  "exports": [
	    {"name": "g.set", "backing": "$dir/g.img"},
	    {"name": "m.set", "backing": "/dev/dax9.9"},
	    {"name": "x.set", "backing": "$dir/x.img", "sise": 4096},
	    {"backing": "$dir/y.img"},
	    {"name": "g.set", "backing": "$dir/g.img"}
	  ]
	}
	EOF
	kc restore --file "$dir/mixed.json"
	expect $? = 1 "exit status" &&
		grep -q "export 'm.set' (entry 2, line 5): /dev/dax9.9: No such file" "$dir/err" &&
		grep -q "export 'x.set' (entry 3, line 6): unknown member \"sise\"" "$dir/err" &&
		grep -q 'entry 4 (line 7): no "name"' "$dir/err" &&
		grep -q "export 'g.set' (entry 5, line 8): listed more than once" "$dir/err" &&
		exported g.set && ! exported m.set && ! exported x.set &&
		! test -e /dev/dax9.9 && ! test -e "$dir/x.img"
}

bad_json_restores_nothing() {
	kc export-remove g.set || return 1
	printf '{"version": 1, "exports": [\n  {"name": "g.set", "backing": "%s/g.img"},\n]}\n' \
		"$dir" > "$dir/bad.json"
	kc restore --file "$dir/bad.json"
	expect $? = 1 "exit status" && grep -q 'line 3, column 1: trailing comma' "$dir/err" &&
		grep -q 'nothing restored' "$dir/err" && ! exported g.set
}

restore_without_a_saved_file_does_nothing() {
	[ ! -e /etc/kpmem/exports.json ] || { echo "a saved file exists in this guest"; return 1; }
	kc restore
}

version_reports_module_and_libraries() {
	LD_LIBRARY_PATH=$KPMEM_BUILD/lib "$kpmemctl" version > "$dir/out" || return 1
	cat "$dir/out"
	grep -q "^kpmemctl $release, ABI $abi" "$dir/out" &&
		grep -q "^librpmem.so.1: kpmem $release, API 1.3, $KPMEM_BUILD/lib/librpmem.so.1" "$dir/out" &&
		grep -q "^libpmemset.so.1: kpmem $release, $KPMEM_BUILD/lib/libpmemset.so.1" "$dir/out" &&
		grep -q "^module $release, ABI $abi (library ABI $abi); /sys/module/kpmem: version $release, srcversion $(cat /sys/module/kpmem/srcversion)" "$dir/out" &&
		"$kpmemctl" version --json | jq -e --arg r "$release" \
			'.module_sysfs_version == $r and .kpmemctl_version == $r and (.features | index("uring_cmd"))' > /dev/null
}

help_lists_every_option() {
	local o out
	out=$("$kpmemctl" help) || return 1
	for o in --json --size --nohdrs --allow --key-file --state-file --convert-header --force --file \
		export-add export-remove \
		export-list save restore version; do
		echo "$out" | grep -q -- "$o" || { echo "help does not mention $o"; return 1; }
	done
}

tap_plan 18
tap_test export_add_without_module_creates_no_file no_module_means_no_file
tap_test export_add_mistyped_device_is_an_error_not_a_file mistyped_device_is_an_error_not_a_file
tap_test export_add_missing_file_without_size_is_an_error missing_file_needs_size
tap_test export_add_refused_by_module_removes_the_file_it_created refused_export_removes_its_file
tap_test export_add_taken_name_fails_before_touching_the_backing taken_name_is_refused_before_the_backing
tap_test export_add_of_a_backing_another_export_has_is_refused taken_backing_is_refused
tap_test export_add_bad_options_are_usage_errors_and_change_nothing bad_options_are_usage_errors
tap_test export_add_records_backing_options_and_key_file export_add_records_the_export
tap_test save_writes_the_live_exports_sorted save_writes_the_live_exports
tap_test save_refuses_an_export_without_a_record_and_keeps_the_file save_refuses_an_export_without_a_record
tap_test export_remove_forgets_the_record export_remove_forgets_the_record
tap_test restore_brings_the_saved_exports_back restore_brings_the_exports_back
tap_test restore_twice_changes_nothing restore_twice_changes_nothing
tap_test restore_names_bad_entries_and_restores_the_rest restore_reports_bad_entries_and_restores_the_rest
tap_test restore_of_invalid_json_restores_nothing bad_json_restores_nothing
tap_test restore_without_a_saved_file_succeeds restore_without_a_saved_file_does_nothing
tap_test version_reports_module_srcversion_and_library_releases version_reports_module_and_libraries
tap_test help_lists_every_command_and_option help_lists_every_option
tap_done
