# SPDX-License-Identifier: GPL-2.0
#
# TAP for shell selftests:
#   . "$KPMEM_TOP/selftests/lib/tap.sh"
#   tap_plan N
#   tap_test "name says the behaviour" command args...   # ok if it exits 0
#   tap_skip "name" "reason this machine cannot meet"
#   tap_done                                             # exit status
# Each test's output goes to the log as TAP comments.  Tests run in the
# calling shell, one after the other, and may share variables.

_tap_n=0 _tap_failed=0
tap_plan() { echo "TAP version 13"; echo "1..$1"; }
tap_test() {
	local name=$1 log rc
	shift
	_tap_n=$((_tap_n + 1))
	# Run in this shell (not a subshell), so tests can leave state for the
	# ones after them; only the output is diverted.
	log=$(mktemp)
	"$@" > "$log" 2>&1
	rc=$?
	sed 's/^/# /' "$log"
	rm -f "$log"
	if [ $rc = 0 ]; then
		echo "ok $_tap_n $name"
	else
		echo "not ok $_tap_n $name # exit status $rc"
		_tap_failed=$((_tap_failed + 1))
	fi
}
tap_skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n $1 # SKIP $2"; }
tap_done() { [ $_tap_failed = 0 ]; exit $?; }

# Fails (returns 1) with a message unless "$1" "$2" "$3" holds, e.g.
# expect "$x" = 3 "x is three".
expect() {
	if [ "$1" "$2" "$3" ]; then return 0; fi
	echo "expected $1 $2 $3: ${4:-}"
	return 1
}
