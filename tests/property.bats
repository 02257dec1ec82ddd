#!/usr/bin/env bats
# Property (issue 14): with every config cut to the 64 bytes a non-root
# reader gets, each verdict of `topology -a -j` either is the full-config
# verdict or is marked uncertain; never a different certain answer.  Here
# over every generated fixture (tests/fixtures/*.json, new ones included);
# the real captures have theirs in captures.bats.  One fixture alone:
#   tests/captures/check-capture property NAME

load helpers/common
load helpers/schema

CAPTURES=$VFIOBUF_TOP/tests/captures

setup_file() {
	export CAPTURE_TMP=$BATS_RUN_TMPDIR/property
	mkdir -p "$CAPTURE_TMP"
}

@test "every generated fixture: 64-byte verdicts are the full-config verdicts or uncertain" {
	local f name bad=0 n=0
	for f in "$VFIOBUF_TOP"/tests/fixtures/*.json; do
		name=$(basename "$f" .json)
		"$CAPTURES/check-capture" property "$name" || bad=$((bad + 1))
		n=$((n + 1))
	done
	echo "$n fixtures, $bad with a different certain verdict or a failed run"
	[ "$n" -ge 5 ] && [ "$bad" -eq 0 ]
}

@test "fill-config truncate cuts every config to 64 bytes, and the fills keep those 64 bytes" {
	local root=$BATS_TEST_TMPDIR/root cfg
	"$VFIOBUF_TOP/tests/fixtures/gen-sysfs" "$VFIOBUF_TOP/tests/fixtures/qemu-lab.json" "$root"
	cp -al "$root" "$root.t"
	"$CAPTURES/fill-config" "$root.t" truncate
	cfg=sys/bus/pci/devices/0000:00:04.0/config
	[ "$(stat -c %s "$root/$cfg")" -eq 4096 ]   # the hard-linked original is untouched
	[ "$(stat -c %s "$root.t/$cfg")" -eq 64 ]
	[ -z "$(find "$root.t/sys/devices" -name config -size +64c)" ]
	cp -al "$root.t" "$root.f"
	"$CAPTURES/fill-config" "$root.f" acs-redir
	cmp -n 64 "$root/$cfg" "$root.f/$cfg"
	lspci -A linux-sysfs -O sysfs.path="$root.f/sys/bus/pci" -vv -s 00:04.0 | grep -q 'Root Port'
	lspci -A linux-sysfs -O sysfs.path="$root.f/sys/bus/pci" -vv -s 00:04.0 | grep -q 'ACSCtl:.*ReqRedir+ CmpltRedir+'
}

@test "the property check fails on a different certain answer, and not on one marked uncertain or inferred" {
	# a vfiobuf that rewrites its JSON for the 64-byte tree with LIAR_JQ
	local liar=$BATS_TEST_TMPDIR/vb-liar
	# shellcheck disable=SC2016 # the script is written literally
	printf '%s\n' '#!/bin/bash' \
		'case "$2" in' \
		'*/trunc/sys) "$REAL_VB" "$@" | jq "$LIAR_JQ" ;;' \
		'*) exec "$REAL_VB" "$@" ;;' \
		'esac' >"$liar"
	chmod +x "$liar"
	export REAL_VB=$VB
	LIAR_JQ='.pairs[] |= (.verdict = "bus-addr" | .uncertain = false)' VB=$liar \
		run "$CAPTURES/check-capture" property qemu-lab
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q '^MISMATCH qemu-lab 0000:03:00.0 0000:05:00.0: 64-byte view says bus-addr (certain), full config says not-supported$' <<<"$output"
	LIAR_JQ='.pairs[] |= (.verdict = "bus-addr" | .uncertain = true)' VB=$liar \
		run "$CAPTURES/check-capture" property qemu-lab
	echo "$output"
	[ "$status" -eq 0 ]
	LIAR_JQ='.host_bridges[0].root_device = null' VB=$liar run "$CAPTURES/check-capture" property qemu-lab
	echo "$output"
	[ "$status" -eq 1 ]
	grep -q '^MISMATCH qemu-lab host bridge pci0000:00: 64-byte view says root - whitelisted false (certain), full config says root 0000:00:00.0 false$' <<<"$output"
	LIAR_JQ='.host_bridges[0] |= (.root_device = null | .root_inferred = true)' VB=$liar \
		run "$CAPTURES/check-capture" property qemu-lab
	echo "$output"
	[ "$status" -eq 0 ]
}
