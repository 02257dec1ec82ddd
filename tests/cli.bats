#!/usr/bin/env bats
# The CLI frame: global options, dispatch, errors, batch mode, and list/show
# on this machine's real /sys (read-only).

load helpers/common
load helpers/schema

@test "--version prints the version" {
	run "$VB" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^vfiobuf\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "--help lists the commands and exit codes" {
	run "$VB" --help
	[ "$status" -eq 0 ]
	grep -q '^  list ' <<<"$output"
	grep -q '^  show ' <<<"$output"
	grep -q '6 busy or in use' <<<"$output"
}

@test "command --help works and exits 0" {
	run "$VB" list --help
	[ "$status" -eq 0 ]
	grep -q 'Usage: vfiobuf list' <<<"$output"
}

@test "no command is a usage error" {
	run "$VB"
	[ "$status" -eq 2 ]
	[[ "$output" == *"no command given"* ]]
}

@test "unknown command: exit 2, names the command" {
	run "$VB" frobnicate
	[ "$status" -eq 2 ]
	[ "$output" = "vfiobuf: unknown command 'frobnicate' (see 'vfiobuf --help')" ]
}

@test "unambiguous prefix selects the command" {
	run "$VB" li -q
	[ "$status" -eq 0 ]
	run "$VB" sh --help
	[ "$status" -eq 0 ]
	grep -q 'Usage: vfiobuf show' <<<"$output"
}

@test "unknown option: exit 2, one line on stderr" {
	run --separate-stderr "$VB" list --frob
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "vfiobuf: unrecognized option '--frob'" ]
}

@test "unknown global option under -j gives a JSON error object" {
	run --separate-stderr "$VB" -j --frob list
	[ "$status" -eq 2 ]
	assert_schema error
	echo "$output" | jq -e '.error.exit_code == 2 and (.error.message | test("--frob"))'
}

@test "malformed device address: exit 2 naming the text" {
	run --separate-stderr "$VB" show 0000:03:20.0
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"invalid device address '0000:03:20.0'"* ]]
}

@test "malformed address under -j: JSON error on stdout, line on stderr" {
	run --separate-stderr "$VB" show -j zz:00.0
	[ "$status" -eq 2 ]
	assert_schema error
	echo "$output" | jq -e '.error.exit_code == 2 and .error.errno == 0'
	[[ "$stderr" == *"'zz:00.0'"* ]]
}

@test "unknown device: exit 3 with the device in the JSON error" {
	run --separate-stderr "$VB" -j show 0000:7f:1f.7
	[ "$status" -eq 3 ]
	assert_schema error
	echo "$output" | jq -e '.error.bdf == "0000:7f:1f.7" and .error.exit_code == 3'
	[ "$stderr" = "vfiobuf: 0000:7f:1f.7: no such PCI device" ]
}

@test "malformed -d and -c filters are usage errors" {
	run "$VB" list -d 12345:1
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid -d '12345:1'"* ]]
	run "$VB" list -c 0x01
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid -c '0x01'"* ]]
}

@test "a filter that matches nothing exits 3" {
	run "$VB" list -d ffff:fffe
	[ "$status" -eq 3 ]
	[[ "$output" == *"no PCI function matches"* ]]
}

@test "missing sysfs root: exit 2 with the errno text" {
	run --separate-stderr "$VB" --sysfs-root /nonexistent/sys list
	[ "$status" -eq 2 ]
	[ "$stderr" = "vfiobuf: cannot use sysfs root '/nonexistent/sys': No such file or directory" ]
}

@test "VFIOBUF_SYSFS_ROOT is honoured" {
	VFIOBUF_SYSFS_ROOT=/nonexistent/sys run "$VB" list
	[ "$status" -eq 2 ]
	[[ "$output" == *"/nonexistent/sys"* ]]
}

@test "a sysfs root without bus/pci says so" {
	mkdir -p "$BATS_TEST_TMPDIR/empty/sys"
	run "$VB" --sysfs-root "$BATS_TEST_TMPDIR/empty/sys" list
	[ "$status" -eq 5 ]
	[[ "$output" == *"cannot read the PCI device list"* ]]
}

@test "list on this machine: every sysfs function, valid JSON" {
	n=$(ls /sys/bus/pci/devices | wc -l)
	run "$VB" list -j
	[ "$status" -eq 0 ]
	assert_schema list
	echo "$output" | jq -e --argjson n "$n" 'length == $n'
	echo "$output" | jq -e 'all(.[]; (.bdf | test("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$")))'
}

@test "list on this machine agrees with sysfs on drivers and BAR sizes" {
	for d in /sys/bus/pci/devices/*; do
		bdf=$(basename "$d")
		drv=null
		[ -L "$d/driver" ] && drv="\"$(basename "$(readlink "$d/driver")")\""
		"$VB" list -j "$bdf" | jq -e --argjson drv "$drv" '.[0].driver == $drv'
		# BAR 0 size from the resource file
		read -r start end _ < <(head -1 "$d/resource")
		if [ $((end)) -gt $((start)) ]; then
			size=$((end - start + 1))
			"$VB" list -j "$bdf" | jq -e --argjson s "$size" '.[0].bars[] | select(.index == 0) | .size == $s'
		fi
	done
}

@test "show 00:03.0 on this machine" {
	[ -e /sys/bus/pci/devices/0000:00:03.0 ] || skip "no 00:03.0 here"
	run "$VB" show 00:03.0
	[ "$status" -eq 0 ]
	grep -q '^0000:00:03.0 ' <<<"$output"
	run "$VB" -j show 00:03.0
	echo "$output" | jq -e '.bdf == "0000:00:03.0" and (.path | .[0] == "0000:00:03.0")'
}

@test "pretty JSON is indented and equal to compact JSON" {
	a=$("$VB" -j list | jq -S .)
	b=$("$VB" -p list | jq -S .)
	[ "$a" = "$b" ]
	"$VB" -p list | grep -q '^  {'
}

@test "global options are accepted after the command" {
	a=$("$VB" -j list)
	b=$("$VB" list -j)
	[ "$a" = "$b" ]
}

@test "batch mode runs each line and stops at the first failure" {
	printf '# comment\nlist -q\n\nshow zz\nlist\n' >"$BATS_TEST_TMPDIR/batch"
	run "$VB" --batch "$BATS_TEST_TMPDIR/batch"
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid device address 'zz'"* ]]
	! grep -q '^DEVICE' <<<"$output"
}

@test "batch file that does not exist: exit 2" {
	run "$VB" --batch /nonexistent/batch
	[ "$status" -eq 2 ]
	[[ "$output" == *"cannot open batch file '/nonexistent/batch'"* ]]
}

@test "list runs clean under valgrind" {
	command -v valgrind >/dev/null || skip "valgrind not installed"
	run valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$VB" list -j
	[ "$status" -eq 0 ]
	assert_schema list
}

@test "every command has a man page naming each of its options" {
	missing=()
	for c in $("$VB" --help | awk '/^Commands:/{f=1;next} f&&/^  [a-z]/{print $1}'); do
		page="$VFIOBUF_TOP/man/vfiobuf-$c.1"
		if [ ! -f "$page" ]; then
			missing+=("$c: no man page")
			continue
		fi
		text=$(mandoc -Tascii "$page" | col -b)
		for o in $("$VB" "$c" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
			case $o in --help | --usage | --json | --pretty | --quiet | --verbose | --sysfs-root | --from-dump) continue ;; esac
			grep -q -- "$o" <<<"$text" || missing+=("$c: $o")
		done
	done
	printf '%s\n' "${missing[@]}"
	[ "${#missing[@]}" -eq 0 ]
}

# jq 1.6 exits 0 on empty input: the output must be there and match
out_is() { [ -n "$output" ] && jq -e "$1" <<<"$output" >/dev/null; }

@test "-j after the command: the JSON error even when the error comes first" {
	# the bad option/command/root is found before the -j that follows it
	run --separate-stderr "$VB" list --bogus -j
	[ "$status" -eq 2 ]
	assert_schema error
	out_is '.error.message == "unrecognized option '"'--bogus'"'" and .error.exit_code == 2' 
	run --separate-stderr "$VB" lst -j
	[ "$status" -eq 2 ]
	out_is '.error.message | startswith("unknown command '"'lst'"'")' 
	run --separate-stderr "$VB" --bogus list -jq
	[ "$status" -eq 2 ]
	assert_schema error
	out_is '.error.exit_code == 2' 
	VFIOBUF_SYSFS_ROOT=/nonexistent run --separate-stderr "$VB" list -p
	[ "$status" -eq 2 ]
	out_is '.error.errno_name == "ENOENT" and (.error.message | contains("/nonexistent"))' 
	[[ "$stderr" == "vfiobuf: cannot use sysfs root '/nonexistent': No such file or directory" ]]
	# a --sysfs-root after the command replaces the unusable one
	VFIOBUF_SYSFS_ROOT=/nonexistent run "$VB" list -q --sysfs-root /sys
	[ "$status" -eq 0 ]
	# without -j, no JSON
	run --separate-stderr "$VB" list --bogus
	[ "$status" -eq 2 ]
	[ -z "$output" ]
}

@test "-j: an error text that is not UTF-8 still gives the JSON error object" {
	run --separate-stderr "$VB" -j $'l\xffst'
	[ "$status" -eq 2 ]
	out_is '.error.message == "unknown command '"'l\ufffdst'"' (see '"'vfiobuf --help'"')"' 
	run --separate-stderr "$VB" show -j $'0000:0\xe2:00.0'
	[ "$status" -eq 2 ]
	assert_schema error
	out_is '.error.message | startswith("invalid device address '"'0000:0\ufffd:00.0'"'")' 
}

@test "batch: lines split like bpftool (quotes, escapes, comments), nothing expanded" {
	load fixtures/fixture_helpers
	root=$(fixture qemu-lab)
	cd "$BATS_TEST_TMPDIR"
	touch x1 x2
	printf '%s\n' "show '0000:03:00.0' # a comment" 'show "0000:04:00.0"' 'show 0000:05:00.\0' \
		'  # indented comment' >batch
	run "$VB" -j --sysfs-root "$root/sys" --batch batch
	[ "$status" -eq 0 ]
	[ "$(jq -r .bdf <<<"$output" | tr '\n' ' ')" = "0000:03:00.0 0000:04:00.0 0000:05:00.0 " ]
	# a glob and a $VAR reach the command as typed (wordexp expanded both)
	for word in 'x*' '$HOME' '~' '$(id)'; do
		printf 'show %s\n' "$word" >batch
		HOME=/tmp run --separate-stderr "$VB" --sysfs-root "$root/sys" --batch batch
		[ "$status" -eq 2 ]
		[ "$stderr" = "vfiobuf: invalid device address '$word' (expected [DOMAIN:]BUS:DEV.FN, e.g. 0000:03:00.0)" ]
	done
	printf 'list\nshow "0000:03:00.0\n' >batch
	run --separate-stderr "$VB" -j --sysfs-root "$root/sys" --batch batch
	[ "$status" -eq 2 ]
	[ "$stderr" = "vfiobuf: batch file 'batch' line 2: unterminated \" quote (column 6)" ]
	[ "$(tail -n1 <<<"$output" | jq -r .error.message)" = "batch file 'batch' line 2: unterminated \" quote (column 6)" ]
}

@test "batch: global options given on a line do not carry over to the next" {
	load fixtures/fixture_helpers
	lab=$(fixture qemu-lab)
	srv=$(fixture server-2s)
	cd "$BATS_TEST_TMPDIR"
	# -j on line 1, then text again
	printf 'show -j 0000:03:00.0\nshow 0000:03:00.0\n' >batch
	run "$VB" --sysfs-root "$lab/sys" --batch batch
	[ "$status" -eq 0 ]
	jq -e '.bdf == "0000:03:00.0"' <<<"${lines[0]}"
	[[ "${lines[1]}" == "0000:03:00.0  "* ]]
	# -q on line 1 only
	printf 'list -q\nlist\n' >batch
	run "$VB" --sysfs-root "$lab/sys" --batch batch
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == DEVICE* ]]
	# --sysfs-root on line 1 only: 0000:07:00.0 is in server-2s, not in qemu-lab
	printf 'show -q --sysfs-root %s 0000:07:00.0\nshow 0000:07:00.0\n' "$srv/sys" >batch
	run --separate-stderr "$VB" --sysfs-root "$lab/sys" --batch batch
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"0000:07:00.0"* ]]
	# and -j on the real command line holds for every line
	printf 'show 0000:03:00.0\nshow -q 0000:04:00.0\n' >batch
	run "$VB" -j --sysfs-root "$lab/sys" --batch batch
	[ "$status" -eq 0 ]
	[ "$(jq -r .bdf <<<"$output" | tr '\n' ' ')" = "0000:03:00.0 0000:04:00.0 " ]
}
