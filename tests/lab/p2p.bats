#!/usr/bin/env bats
# topology/distance on the real 7.3 guest (-cpu max: AuthenticAMD family 15,
# not Zen; q35 host bridge 8086:29c0 not whitelisted; pcie-root-ports with
# ACS RR+CR enabled by the kernel; XIO3130 ports without ACS).

load lab_helpers

setup() { skip_unless_in_lab; }

@test "lab p2p: NVMe and ivshmem behind one switch: 4, bus-addr" {
	run "$VB" distance -j 03:00.0 04:00.0
	[ "$status" -eq 0 ]
	assert_schema distance
	echo "$output" | jq -e '.verdict == "bus-addr" and .distance == 4 and .common_upstream == "0000:01:00.0"'
}

@test "lab p2p: endpoints under different root ports: not-supported, host bridge named" {
	run "$VB" distance -j 03:00.0 05:00.0
	echo "$output" | jq -e '.verdict == "not-supported" and .common_upstream == null and .distance == 6
		and .provider_host_bridge.root_id == "8086:29c0"'
}

@test "lab p2p: two functions under an ACS root port: 2, not-supported, advice" {
	run "$VB" distance -j 06:00.0 06:00.1
	echo "$output" | jq -e '.verdict == "not-supported" and .distance == 2
		and .advice == "pci=disable_acs_redir=0000:00:04.0"'
}

@test "lab p2p: after clearing the root port's redirect bits with setpci: bus-addr" {
	setpci -s 00:04.0 ECAP0d+6.w=0:2c
	run "$VB" distance -j 06:00.0 06:00.1
	setpci -s 00:04.0 ECAP0d+6.w=000c:000c
	echo "$output" | jq -e '.verdict == "bus-addr" and .distance == 2 and .acs_redirect == []'
}

@test "lab p2p: the matrix and JSON agree for every endpoint pair" {
	run "$VB" topology -j --pairs
	[ "$status" -eq 0 ]
	assert_schema topology
	n=$(echo "$output" | jq '[.nodes[] | select(.endpoint)] | length')
	echo "$output" | jq -e --argjson n "$n" '(.pairs | length) == ($n * ($n - 1) / 2)'
	echo "$output" | jq -e '.cpu.vendor == "AuthenticAMD" and .cpu.family == 15 and .cpu.p2p_any_host_bridge == false'
}
