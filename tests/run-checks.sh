#!/usr/bin/env bash
# Runs every test suite of vfiobuf and prints one summary line:
#   N passed, N failed, N skipped
# Every suite speaks TAP; its file lands in $RESULTS.  A suite that dies
# without a complete plan counts as one failure.  Called by `make check`.
set -u
cd "$(dirname "$0")/.."
BUILD=${VFIOBUF_BUILD:-build/default}
ASAN_BUILD=build/asan
RESULTS=${VFIOBUF_RESULTS:-$BUILD/results}
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
export VFIOBUF_TOP=$PWD

total_pass=0 total_fail=0 total_skip=0

# count FILE SUITE: add a TAP file's counts to the totals.
count() {
	local file=$1 suite=$2 p f s planned ran
	read -r p f s planned ran < <(awk '
		/^ok / { if (tolower($0) ~ /# skip/) s++; else p++; ran++ }
		/^not ok / { if (tolower($0) ~ /# todo/) s++; else f++; ran++ }
		/^1\.\.[0-9]+/ { split($0, a, "[.]"); planned = a[3] + 0; hasplan = 1 }
		END { if (!hasplan) planned = -1; printf "%d %d %d %d %d\n", p, f, s, planned, ran }
	' "$file")
	if [ "$planned" -ne "$ran" ]; then
		echo "not ok - $suite: plan $planned but $ran tests ran (suite died?)" >>"$file"
		f=$((f + 1))
	fi
	printf '%-28s %4d passed, %d failed, %d skipped\n' "$suite" "$p" "$f" "$s"
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
}

# skip_suite NAME REASON: one skipped test, with its reason.
skip_suite() {
	echo "ok 1 - $1 # skip $2" >"$RESULTS/$1.tap"
	echo "1..1" >>"$RESULTS/$1.tap"
	count "$RESULTS/$1.tap" "$1"
}

# Run C unit test binaries of one build dir, concatenating their TAP.
run_unit_dir() {
	local dir=$1 name=$2 wrapper=${3:-} out="$RESULTS/$2.tap" n=0
	: >"$out"
	for t in "$dir"/tests/test_*; do
		[ -x "$t" ] && [ "${t%.d}" = "$t" ] || continue
		local tout
		# shellcheck disable=SC2086
		tout=$(timeout -k 5 "${VFIOBUF_UNIT_TIMEOUT:-120}" $wrapper "$t" 2>&1)
		local rc=$?
		# renumber into one stream
		while IFS= read -r line; do
			case "$line" in
			"ok "* | "not ok "*)
				n=$((n + 1))
				echo "$line" | sed -E "s/^(not )?ok [0-9]+/\\1ok $n $(basename "$t"):/" >>"$out"
				;;
			"#"*) echo "$line" >>"$out" ;;
			esac
		done <<<"$tout"
		if [ $rc -ne 0 ] && ! grep -q '^not ok' <<<"$tout"; then
			n=$((n + 1))
			echo "not ok $n $(basename "$t"): exited $rc" >>"$out"
			echo "$tout" | tail -20 | sed 's/^/# /' >>"$out"
		fi
	done
	echo "1..$n" >>"$out"
	count "$out" "$name"
}

echo "== unit tests"
run_unit_dir "$BUILD" unit
echo "== unit tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run_unit_dir "$ASAN_BUILD" unit-asan
echo "== unit tests under valgrind"
if command -v valgrind >/dev/null; then
	run_unit_dir "$BUILD" unit-valgrind "valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
else
	skip_suite unit-valgrind "valgrind not installed"
fi

echo "== bats suites (host, fixture trees)"
for f in tests/*.bats; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .bats)
	timeout -k 10 "${VFIOBUF_BATS_TIMEOUT:-900}" bats --tap "$f" >"$RESULTS/bats-$name.tap" 2>&1
	count "$RESULTS/bats-$name.tap" "bats-$name"
done

echo "== man pages"
out="$RESULTS/man.tap" n=0
: >"$out"
for m in man/*.1 man/*.7; do
	[ -e "$m" ] || continue
	n=$((n + 1))
	if lint=$(mandoc -Tlint -W warning "$m" 2>&1) && [ -z "$lint" ]; then
		echo "ok $n - mandoc lint $m" >>"$out"
	else
		echo "not ok $n - mandoc lint $m" >>"$out"
		echo "$lint" | sed 's/^/# /' >>"$out"
	fi
done
echo "1..$n" >>"$out"
count "$out" man

for extra in tests/suites/*.sh; do
	[ -x "$extra" ] || continue
	name=$(basename "$extra" .sh)
	echo "== $name"
	timeout -k 10 "${VFIOBUF_SUITE_TIMEOUT:-1200}" "$extra" >"$RESULTS/$name.tap" 2>&1
	count "$RESULTS/$name.tap" "$name"
done

echo "== QEMU lab"
if [ -x tests/lab/run-lab-suites ]; then
	labout="$RESULTS/lab"
	mkdir -p "$labout"
	tests/lab/run-lab-suites "$labout" >"$RESULTS/lab-harness.log" 2>&1
	rc=$?
	if [ $rc -eq 77 ] && [ "${CI:-}" != true ]; then
		skip_suite lab "$(tail -1 "$RESULTS/lab-harness.log")"
	elif [ $rc -ne 0 ]; then
		tail -30 "$RESULTS/lab-harness.log"
		echo "not ok 1 - QEMU lab harness failed (exit $rc, see $RESULTS/lab-harness.log)" >"$RESULTS/lab.tap"
		echo "1..1" >>"$RESULTS/lab.tap"
		count "$RESULTS/lab.tap" lab
	else
		for t in "$labout"/*.tap; do
			[ -e "$t" ] && count "$t" "$(basename "$t" .tap)"
		done
	fi
else
	skip_suite lab "tests/lab/run-lab-suites not present"
fi

echo
grep -h '^not ok' "$RESULTS"/*.tap "$RESULTS"/lab/*.tap 2>/dev/null | head -40
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
