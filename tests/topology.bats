#!/usr/bin/env bats
# topology and distance on fixture trees; expected values worked out from the
# kernel's calc_map_type_and_dist / host_bridge_whitelist rules.

load helpers/common
load helpers/schema
load fixtures/fixture_helpers

vb() { "$VB" --sysfs-root "$root/sys" "$@"; }
pairj() { vb distance -j "$1" "$2"; }

@test "qemu-lab: NVMe and ivshmem behind one switch: distance 4, bus-addr" {
	root=$(fixture qemu-lab)
	run pairj 03:00.0 04:00.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.verdict == "bus-addr" and .distance == 4 and .kernel_distance == 4
		and .common_upstream == "0000:01:00.0" and .acs_redirect == [] and .advice == null'
}

@test "qemu-lab: two functions under an ACS root port: distance 2, not-supported, advice" {
	root=$(fixture qemu-lab)
	run pairj 06:00.0 06:00.1
	echo "$output" | jq -e '.verdict == "not-supported" and .distance == 2 and .kernel_distance == -1
		and .acs_redirect == ["0000:00:04.0"] and .advice == "pci=disable_acs_redir=0000:00:04.0"
		and .provider_host_bridge.root_id == "8086:29c0" and .provider_host_bridge.whitelisted == false'
	run vb distance 06:00.0 06:00.1
	grep -q '^to lift:   add the kernel parameter pci=disable_acs_redir=0000:00:04.0$' <<<"$output"
}

@test "qemu-lab: endpoints under different root ports: no common upstream, host bridge named" {
	root=$(fixture qemu-lab)
	run pairj 03:00.0 05:00.0
	echo "$output" | jq -e '.verdict == "not-supported" and .common_upstream == null and .distance == 6
		and .host_bridge_checked and .provider_host_bridge.name == "pci0000:00"'
	run vb distance 03:00.0 05:00.0
	grep -q "not in the kernel's P2PDMA whitelist" <<<"$output"
}

@test "qemu-lab: same function is distance 0" {
	root=$(fixture qemu-lab)
	run pairj 04:00.0 04:00.0
	echo "$output" | jq -e '.distance == 0 and .verdict == "bus-addr"'
}

@test "qemu-lab: clearing the root port's redirect bits makes it bus-addr" {
	root=$(fixture_copy qemu-lab)
	cfg="$root/sys/bus/pci/devices/0000:00:04.0/config"
	printf '\x00\x00' | dd of="$cfg" bs=1 seek=$((0x148 + 6)) conv=notrunc status=none
	run pairj 06:00.0 06:00.1
	echo "$output" | jq -e '.verdict == "bus-addr" and .distance == 2'
}

@test "server-2s: whitelisted host bridge lets ACS-redirected traffic through" {
	root=$(fixture server-2s)
	run pairj 03:00.0 05:00.0
	echo "$output" | jq -e '.verdict == "thru-host-bridge" and .distance == 4 and .acs_redirect == ["0000:02:02.0"]'
	run pairj 03:00.0 04:00.0
	echo "$output" | jq -e '.verdict == "bus-addr" and .distance == 4'
}

@test "server-2s: non-whitelisted socket and cross-socket pairs are refused" {
	root=$(fixture server-2s)
	run pairj 83:00.0 84:00.0
	echo "$output" | jq -e '.verdict == "not-supported" and .advice == "pci=disable_acs_redir=0000:82:00.0;0000:82:01.0"'
	run pairj 03:00.0 83:00.0
	echo "$output" | jq -e '.verdict == "not-supported" and .common_upstream == null
		and .client_host_bridge.name == "pci0000:80" and .client_host_bridge.whitelisted == false'
}

@test "multifunction: AMD Zen CPU allows the host-bridge route" {
	root=$(fixture multifunction)
	run pairj 01:00.0 01:00.1
	echo "$output" | jq -e '.verdict == "thru-host-bridge" and .zen_rule == true and .distance == 2'
}

@test "sriov: VFs use their PF's upstream bridge" {
	root=$(fixture sriov)
	run pairj 01:00.2 01:00.3
	echo "$output" | jq -e '.distance == 2 and .common_upstream == "0000:00:01.0" and .verdict == "thru-host-bridge"'
}

@test "non-root view: ACS unknown makes the verdict uncertain, not guessed" {
	"$FIXTURES_DIR/gen-sysfs" "$FIXTURES_DIR/qemu-lab.json" "$BATS_TEST_TMPDIR/nr" --non-root-view
	run "$VB" --sysfs-root "$BATS_TEST_TMPDIR/nr/sys" distance -j 06:00.0 06:00.1
	echo "$output" | jq -e '.uncertain == true and .verdict_if_redirect == "not-supported"
		and (.acs_unknown | index("0000:00:04.0") != null)'
	run "$VB" --sysfs-root "$BATS_TEST_TMPDIR/nr/sys" topology --matrix 06:00.0 06:00.1
	grep -q '2?' <<<"$output"
}

@test "topology text tree is annotated" {
	root=$(fixture qemu-lab)
	run vb topology
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "pci0000:00 host bridge, root 0000:00:00.0 8086:29c0 (not P2PDMA whitelisted)" ]
	grep -q -- "- 0000:00:02.0 root-port \[1b36:000c\] pcieport  QEMU PCIe Root port  ACS redirect \[RR CR\]" <<<"$output"
	grep -q -- "- 0000:01:00.0 switch upstream-port \[104c:8232\]" <<<"$output"
	grep -q -- "- 0000:03:00.0 endpoint \[1b36:0010\] nvme" <<<"$output"
}

@test "topology --matrix with a legend" {
	root=$(fixture qemu-lab)
	run vb topology --matrix 03:00.0 04:00.0 05:00.0
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^D0\ +SELF\ +4\ +X\  ]]
	grep -q '^  X     not-supported' <<<"$output"
}

@test "topology --pairs in text: a line per endpoint pair after the tree" {
	root=$(fixture server-2s)
	run vb topology --pairs
	[ "$status" -eq 0 ]
	grep -q '^pci0000:00 host bridge' <<<"$output"
	[ "$(grep -c '^0000:[0-9a-f:.]* -- 0000:[0-9a-f:.]*: [a-z-]*, [0-9]*\( (uncertain)\)\?$' <<<"$output")" -eq 28 ]
	run vb -j distance 03:00.0 04:00.0
	want="0000:03:00.0 -- 0000:04:00.0: $(jq -r '"\(.verdict), \(.distance)"' <<<"$output")"
	run vb topology --pairs
	grep -qx -- "$want" <<<"$output"
}

@test "topology -j: nodes, edges, and every pair with --pairs" {
	root=$(fixture server-2s)
	run vb topology -j
	[ "$status" -eq 0 ]
	assert_schema topology
	echo "$output" | jq -e 'has("pairs") | not'
	n=$(echo "$output" | jq '[.nodes[] | select(.endpoint)] | length')
	[ "$n" -eq 8 ]
	tree=$output
	run vb topology -j --pairs
	[ "$status" -eq 0 ]
	assert_schema topology
	echo "$output" | jq -e --argjson n "$n" '(.pairs | length) == ($n * ($n - 1) / 2)'
	# the same document but for the pairs
	[ "$(echo "$output" | jq -c 'del(.pairs)')" = "$(echo "$tree" | jq -c .)" ]
	echo "$output" | jq -e '.edges | any(.from == "0000:01:00.0" and .to == "0000:02:00.0")'
	echo "$output" | jq -e '.host_bridges | map(.whitelisted) == [true, false]'
	echo "$output" | jq -e '.cpu.vendor == "GenuineIntel" and .cpu.p2p_any_host_bridge == false'
}

@test "topology --format dot renders with Graphviz" {
	command -v dot >/dev/null || skip "graphviz not installed"
	root=$(fixture server-2s)
	run vb topology --format dot
	[ "$status" -eq 0 ]
	grep -q 'color=red' <<<"$output"
	grep -q 'color=darkgreen' <<<"$output"
	vb topology --format dot | dot -Tsvg >"$BATS_TEST_TMPDIR/t.svg"
	grep -q '<svg' "$BATS_TEST_TMPDIR/t.svg"
}

@test "topology filters and --all" {
	root=$(fixture server-2s)
	run vb topology -j -d 10de:
	echo "$output" | jq -e '[.nodes[] | select(.endpoint)] | length == 4'
	run vb topology -j --all
	echo "$output" | jq -e --argjson n "$(ls "$root/sys/bus/pci/devices" | wc -l)" '[.nodes[] | select(.endpoint)] | length == $n'
}

@test "distance: bad input" {
	root=$(fixture qemu-lab)
	run vb distance 03:00.0
	[ "$status" -eq 2 ]
	[[ "$output" == *"give two devices"* ]]
	run vb distance 03:00.0 zz
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid device address 'zz'"* ]]
	run vb distance 03:00.0 09:00.0
	[ "$status" -eq 3 ]
	[ "$output" = "vfiobuf: 0000:09:00.0: no such PCI device" ]
	run vb topology --format svg
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid --format 'svg'"* ]]
}
