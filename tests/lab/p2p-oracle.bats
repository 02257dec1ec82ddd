#!/usr/bin/env bats
# vfiobuf's distance for every pair of endpoints equals what the kernel's
# pci_p2pdma_distance_many() returns (test-only oracle module), -cpu max.

load lab_helpers
load p2p_oracle_helpers

setup() { skip_unless_in_lab; }

@test "oracle: every endpoint pair agrees with the kernel" {
	run oracle_compare
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *" 0 disagreements"* ]]
}

@test "oracle: the kernel's known values (4 under the switch, -1 across root ports)" {
	run oracle_run 0000:03:00.0,0000:04:00.0,0000:05:00.0
	grep -qx '0000:03:00.0 0000:04:00.0 4' <<<"$output"
	grep -qx '0000:03:00.0 0000:05:00.0 -1' <<<"$output"
}

@test "oracle: after clearing the root port's ACS redirect, both agree again" {
	# 06:00.x have no driver, so the kernel caches nothing for them
	setpci -s 00:04.0 ECAP0d+6.w=0:2c
	run oracle_run 0000:06:00.0,0000:06:00.1
	kernel=$(awk '$1 == "0000:06:00.0" && $2 == "0000:06:00.1" {print $3}' <<<"$output")
	mine=$("$VB" distance -j 06:00.0 06:00.1 | jq .kernel_distance)
	setpci -s 00:04.0 ECAP0d+6.w=000c:000c
	[ "$kernel" = 2 ]
	[ "$mine" = 2 ]
}
