# Prometheus text exposition checks with Debian's promtool (package
# prometheus, in the Makefile's DEB_DEPS).
#
#   load helpers/prom
#   require_promtool            # skip without it; under CI=true, fail
#   assert_promtool FILE        # `promtool check metrics` finds nothing
#   metric_is FILE 'name{label="v"}' 3

# require_promtool: a missing promtool skips the test on a workstation,
# and fails it under CI=true (a check that silently did not run is not a
# pass).
require_promtool() {
	command -v promtool >/dev/null && return 0
	if [ "${CI:-}" = true ]; then
		echo "promtool not installed (apt-get install prometheus, or make deps)" >&2
		return 1
	fi
	skip "promtool not installed (package prometheus)"
}

# assert_promtool FILE: promtool parses FILE and its linter says nothing
# (HELP and TYPE present, counters named *_total, label values escaped).
assert_promtool() {
	local out rc
	out=$(promtool check metrics <"$1" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] || [ -n "$out" ]; then
		{
			echo "-- promtool check metrics $1: exit $rc --"
			echo "$out"
			echo "-- $1 --"
			head -60 "$1"
		} >&2
		return 1
	fi
}

# metric FILE SERIES: the value of SERIES (name{labels} as written) in FILE
metric() { awk -v m="$2" '$1 == m { print $2 }' "$1" 2>/dev/null; }
# metric_is FILE SERIES VALUE (a condition for wait_until)
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }
# metric_sum_is FILE NAME VALUE: the samples of NAME, every label, add up to VALUE
metric_sum_is() {
	[ "$(awk -v n="$2" 'index($1, n "{") == 1 || $1 == n { s += $2 } END { print s + 0 }' "$1" 2>/dev/null)" = "$3" ]
}
