#!/usr/bin/env bats
# -cpu EPYC (AMD Zen): the host-bridge case flips; vfiobuf and the kernel
# must still agree on every pair.

load ../lab_helpers
load ../p2p_oracle_helpers

setup() { skip_unless_in_lab; }

@test "oracle zen: every endpoint pair agrees with the kernel" {
	run oracle_compare
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "oracle zen: endpoints under different root ports get distance 6" {
	run oracle_run 0000:03:00.0,0000:05:00.0
	grep -qx '0000:03:00.0 0000:05:00.0 6' <<<"$output"
}
