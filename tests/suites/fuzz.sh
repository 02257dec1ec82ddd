#!/usr/bin/env bash
# Fuzz smoke run (part of make check): build the libFuzzer targets of
# tests/fuzz/ with ASan+UBSan and run each for FUZZ_SECONDS (default 20)
# from its seed corpus.  TAP on stdout.  A crash, leak or sanitizer report
# fails the target; its reproducer is kept under build/fuzz/.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-20}
out=build/fuzz
mkdir -p "$out"
targets=(request:"src/lib/proto.c src/lib/bdf.c src/lib/ranges.c src/lib/vb_error.c"
	 policy:"src/lib/policy.c src/lib/uevent.c src/lib/proto.c src/lib/bdf.c src/lib/ranges.c src/lib/vb_error.c"
	 dump_tree:"src/lib/pci_dump.c src/lib/bdf.c")
echo "1..$(( ${#targets[@]} * 2 ))"
n=0
if ! command -v clang >/dev/null; then
	for t in "${targets[@]}"; do
		echo "ok $((++n)) # SKIP clang not installed"; echo "ok $((++n)) # SKIP clang not installed"
	done
	exit 0
fi
flags="-g -O1 -std=gnu11 -D_GNU_SOURCE -DVFIOBUF_VERSION=\"fuzz\" -Isrc/lib $(pkg-config --cflags jansson libnl-3.0)"
libs="$(pkg-config --libs jansson libnl-3.0)"
for t in "${targets[@]}"; do
	name=${t%%:*} srcs=${t#*:}
	bin=$out/fuzz_$name
	# shellcheck disable=SC2086
	if clang $flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o "$bin" "tests/fuzz/fuzz_$name.c" $srcs $libs 2>"$out/build_$name.log"; then
		echo "ok $((++n)) - fuzz target $name builds"
	else
		echo "not ok $((++n)) - fuzz target $name builds"
		sed 's/^/# /' "$out/build_$name.log"
		echo "not ok $((++n)) - fuzz $name ${secs}s # not built"
		continue
	fi
	mkdir -p "$out/corpus_$name"
	if "$bin" -max_total_time="$secs" -max_len=70000 -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$out/crash_$name-" "$out/corpus_$name" "tests/fuzz/corpus/$name" \
		>"$out/run_$name.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$out/run_$name.log" | grep -o '[0-9]*')
		echo "ok $((++n)) - fuzz $name ${secs}s: ${runs:-?} inputs, no crash, leak or UB"
	else
		echo "not ok $((++n)) - fuzz $name ${secs}s"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$out/run_$name.log" | head -20 | sed 's/^/# /'
	fi
done
