#!/usr/bin/env bats
# `vfiobuf doctor` in the lab guest: the real kernel, IOMMU and devices.
load lab_helpers

setup_file() {
	[ "${LAB_GUEST:-}" = 1 ] || return 0
	"$VB" bind 04:00.0 >/dev/null
}

teardown_file() {
	[ "${LAB_GUEST:-}" = 1 ] || return 0
	"$VB" unbind 04:00.0 >/dev/null || true
}

setup() { skip_unless_in_lab; }

st() { jq -r --arg c "$1" --arg d "${2:-}" '.checks[] | select(.check == $c and ((.bdf // "") == $d)) | .status' <<<"$output"; }

@test "lab doctor: the guest passes, the device on vfio-pci probes green" {
	run "$VB" -j doctor 04:00.0
	echo "$output" | jq -c '.checks[] | select(.status != "ok")'
	[ "$status" -eq 0 ]
	assert_schema doctor
	for c in kernel iommu modules vfio-container; do [ "$(st $c)" = ok ]; done
	[ "$(st driver 0000:04:00.0)" = ok ]
	[ "$(st group 0000:04:00.0)" = ok ]
	[ "$(st bar2 0000:04:00.0)" = ok ]
	[ "$(st probe 0000:04:00.0)" = ok ]
	jq -e --arg m "${LAB_KERNEL:-debian}" '.checks[] | select(.check == "probe") | .message |
		contains(if $m == "iommufd" then "cdev path" else "group path" end)' <<<"$output"
	if [ "${LAB_KERNEL:-debian}" = debian ]; then
		[ "$(st dev-iommu)" = info ]  # Debian's 7.3 has no IOMMUFD
	else
		[ "$(st dev-iommu)" = ok ]
		[ "$(st iommufd)" = ok ]
		[ "$(st vfio-cdev)" = ok ]
	fi
}

@test "lab doctor: a device on its host driver is a warning with the bind command" {
	run "$VB" -j doctor 03:00.0
	[ "$(st driver 0000:03:00.0)" = warn ]
	jq -e '.checks[] | select(.check == "driver") | .hint == "vfiobuf bind 0000:03:00.0"' <<<"$output"
}

@test "lab doctor: a device another process owns is info, not a failure" {
	"$VB" export 04:00.0 --bar 2 --hold >"$BATS_TEST_TMPDIR/hold.out" 2>&1 &
	pid=$!
	wait_until grep -q exported "$BATS_TEST_TMPDIR/hold.out"
	run "$VB" -j doctor 04:00.0
	kill -TERM $pid
	wait $pid || true
	echo "$output" | jq -c '.checks[] | select(.check == "probe")'
	[ "$status" -eq 0 ]
	assert_schema doctor
	[ "$(st probe 0000:04:00.0)" = info ]
}
