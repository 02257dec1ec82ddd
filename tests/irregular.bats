#!/usr/bin/env bats
# Incomplete and irregular sysfs trees, as real captures have them: one
# generated fixture per class of defect.  A verdict is certain only when
# every input the kernel would use was read; otherwise it is marked
# uncertain and names what was missing.

load helpers/common
load helpers/schema
load fixtures/fixture_helpers

vb() { "$VB" --sysfs-root "$root/sys" "$@"; }
devdir() { readlink -f "$root/sys/bus/pci/devices/$1"; }
# cut every config file to the 64 bytes a non-root reader gets
non_root_view() {
	find "$root/sys/devices" -name config -type f -exec truncate -s 64 {} +
}

# server-2s without 0000:00:00.0: the root bus of pci0000:00 starts with the
# root port 00:01.0 (8086:2030, whitelisted), as on a Skylake-SP capture.
root_port_first() {
	root=$(fixture_copy server-2s)
	rm -rf "$(devdir 0000:00:00.0)" "$root/sys/bus/pci/devices/0000:00:00.0"
	# the port services the PCIe port driver adds under a root port
	mkdir "$(devdir 0000:00:01.0)/0000:00:01.0:pcie001" "$(devdir 0000:00:01.0)/0000:00:01.0:pcie010"
}

@test "root port first on the root bus, full config: thru-host-bridge, certain" {
	root_port_first
	run vb distance -j 03:00.0 06:00.0
	[ "$status" -eq 0 ]
	assert_schema distance
	echo "$output" | jq -e '.verdict == "thru-host-bridge" and .uncertain == false and .missing == []
		and .provider_host_bridge.root_device == "0000:00:01.0"'
}

@test "root port first on the root bus, 64-byte config: inferred root port, uncertain, same verdict" {
	root_port_first
	non_root_view
	run --separate-stderr vb distance -j 03:00.0 06:00.0
	[ "$status" -eq 0 ]
	assert_schema distance
	echo "$output" | jq -e '.verdict == "thru-host-bridge" and .uncertain == true
		and (.missing | map(select(.input == "pcie_type" and .bdf == "0000:00:01.0"
			and .reason == "not captured" and .host_bridge == "pci0000:00")) | length == 1)'
	echo "$output" | jq -r .reason | grep -q "pci0000:00's first device 0000:00:01.0 is taken for a root port from type-1 header, class 0604, PCIe port services in sysfs, bound to pcieport"
	run vb -j topology
	echo "$output" | jq -e '.host_bridges[] | select(.name == "pci0000:00") | .root_inferred == true
		and .root_device == "0000:00:01.0"
		and .root_evidence == ["type1-header", "class-0604", "port-services", "pcieport-driver"]'
	run vb distance 03:00.0 06:00.0
	grep -q '^verdict:   thru-host-bridge (uncertain: best inference, see why)$' <<<"$output"
}

@test "an endpoint first on the root bus at 02.0: certain, whatever the config size" {
	root=$(fixture_copy laptop)
	# laptop's 00:00.0 is the host bridge; remove it so the iGPU at 00:02.0
	# (a type-0 header: it can never be a root port) is first
	rm -rf "$(devdir 0000:00:00.0)" "$root/sys/bus/pci/devices/0000:00:00.0"
	non_root_view
	run vb -j topology --all
	[ "$status" -eq 0 ]
	assert_schema topology
	echo "$output" | jq -e '.host_bridges[0].root_device == null and .host_bridges[0].root_inferred == false'
	run vb -j topology --pairs
	echo "$output" | jq -e '[.pairs[] | select(.verdict == "not-supported" and .host_bridge_checked and (.missing | map(select(.input == "pcie_type")) | length > 0))] | length == 0'
}

@test "a bridge in the sysfs path but missing from bus/pci/devices is synthesized, warned once" {
	root=$(fixture_copy server-2s)
	rm "$root/sys/bus/pci/devices/0000:02:00.0" "$root/sys/bus/pci/devices/0000:01:00.0"
	run --separate-stderr vb -j topology
	[ "$status" -eq 0 ]
	assert_schema topology
	[ "$(grep -c '0000:02:00.0: in the sysfs path of the functions below it but not in bus/pci/devices' <<<"$stderr")" -eq 1 ]
	[ "$(grep -c '0000:01:00.0: in the sysfs path' <<<"$stderr")" -eq 1 ]
	echo "$output" | jq -e '.nodes[] | select(.bdf == "0000:03:00.0") | .parent == "0000:02:00.0"'
	echo "$output" | jq -e '.nodes[] | select(.bdf == "0000:02:00.0") | .synthesized and .parent == "0000:01:00.0"'
	# its directory is still there: its config was read, so the verdict is certain
	run --separate-stderr vb distance -j 03:00.0 04:00.0
	echo "$output" | jq -e '.verdict == "bus-addr" and .distance == 4 and .common_upstream == "0000:01:00.0" and .uncertain == false'
}

@test "a missing bridge whose config is not there either: its ACS makes the verdict uncertain" {
	root=$(fixture_copy server-2s)
	rm "$root/sys/bus/pci/devices/0000:02:00.0" "$(devdir 0000:01:00.0)/0000:02:00.0/config"
	run --separate-stderr vb distance -j 03:00.0 04:00.0
	[ "$status" -eq 0 ]
	assert_schema distance
	echo "$output" | jq -e '.verdict == "bus-addr" and .uncertain == true and .acs_unknown == ["0000:02:00.0"]
		and .missing == [{"bdf": "0000:02:00.0", "input": "acs", "reason": "not in bus/pci/devices"}]'
	echo "$output" | jq -r .reason | grep -q 'ACS of 0000:02:00.0 (not in bus/pci/devices) not read'
}

@test "two functions of one device behind a missing bridge: common upstream, not 'none'" {
	root=$(fixture_copy multifunction)
	run vb -j topology
	pair=$(echo "$output" | jq -c '[.nodes[] | select(.endpoint and .parent != null)] | group_by(.parent) | map(select(length >= 2))[0] | map(.bdf)')
	a=$(echo "$pair" | jq -r '.[0]') b=$(echo "$pair" | jq -r '.[1]') parent=$(echo "$output" | jq -r --arg a "$a" '.nodes[] | select(.bdf == $a) | .parent')
	run vb distance -j "$a" "$b"
	want=$(echo "$output" | jq -c '{verdict, distance, common_upstream}')
	rm "$root/sys/bus/pci/devices/$parent"
	run --separate-stderr vb distance -j "$a" "$b"
	[ "$status" -eq 0 ]
	assert_schema distance
	[ "$(echo "$output" | jq -c '{verdict, distance, common_upstream}')" = "$want" ]
	echo "$output" | jq -e --arg p "$parent" '.common_upstream == $p'
}

@test "no pci<domain>:<bus> in the path: one host bridge per root bus, always named, said synthesized" {
	root=$(fixture_copy server-2s)
	mkdir -p "$root/sys/devices/platform/vmbus"
	mv "$root/sys/devices/pci0000:00" "$root/sys/devices/platform/vmbus/dev0"
	mv "$root/sys/devices/pci0000:80" "$root/sys/devices/platform/vmbus/dev1"
	for l in "$root"/sys/bus/pci/devices/*; do
		t=$(readlink "$l"); t=${t/pci0000:00/platform\/vmbus\/dev0}; t=${t/pci0000:80/platform\/vmbus\/dev1}
		ln -sfn "$t" "$l"
	done
	run --separate-stderr vb -j topology --all
	[ "$status" -eq 0 ]
	assert_schema topology
	echo "$output" | jq -e '[.host_bridges[] | .name] == ["pci0000:00", "pci0000:80"]'
	echo "$output" | jq -e '[.host_bridges[] | .synthesized] == [true, true]'
	echo "$output" | jq -e '[.nodes[] | select(.host_bridge == "" or .host_bridge == null)] == []'
	run vb topology
	grep -q '^pci0000:80 host bridge (name synthesized: no pci<domain>:<bus> in sysfs)' <<<"$output"
	run vb distance 83:00.0 84:00.0
	! grep -q '  *$' <<<"$(grep '^path:' <<<"$output")"
	grep -q 'common:    0000:81:00.0' <<<"$output"
}

@test "bad functions are reported once each and the rest is answered" {
	root=$(fixture_copy server-2s)
	rm "$(devdir 0000:03:00.0)/vendor"
	echo "garbage line" >"$(devdir 0000:05:00.0)/resource"
	: >"$(devdir 0000:06:00.0)/config"
	ln -s ../../../devices/pci0000:00/0000:00:01.0 "$root/sys/bus/pci/devices/not-a-bdf"
	for cmd in "list" "topology" "distance 03:00.0 04:00.0"; do
		run --separate-stderr vb $cmd
		[ "$status" -eq 0 ]
		[ "$(grep -c 'warning: 0000:03:00.0: vendor/device attribute missing or garbage (taken from config)' <<<"$stderr")" -eq 1 ]
		[ "$(grep -c 'warning: 0000:05:00.0: resource: line 1 unparsable' <<<"$stderr")" -eq 1 ]
		[ "$(grep -c 'warning: 0000:06:00.0: config: 0 bytes readable' <<<"$stderr")" -eq 1 ]
		[ "$(grep -c 'warning: bus/pci/devices/not-a-bdf: not a PCI address, ignored' <<<"$stderr")" -eq 1 ]
	done
	run --separate-stderr vb -j list
	echo "$output" | jq -e '.[] | select(.bdf == "0000:03:00.0") | .vendor_id == "10de" and (.problems | length == 1)'
	echo "$output" | jq -e '[.[] | select(.bdf == "0000:06:00.0")] | length == 1'
	run --separate-stderr vb -j topology
	echo "$output" | jq -e '.warnings | length == 4'
	echo "$output" | jq -e '.nodes[] | select(.bdf == "0000:06:00.0") | .acs == "unknown" and .acs_missing_reason == "config unreadable"'
	run vb -q topology
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "a parent loop never makes a function its own ancestor" {
	root=$(fixture_copy server-2s)
	# 02:00.0 re-homed below 03:00.0, which sits below 02:00.0
	d3=$(devdir 0000:03:00.0)
	mkdir "$d3/0000:02:00.0"
	cp -a "$(devdir 0000:02:00.0)"/{vendor,device,class,config,resource} "$d3/0000:02:00.0/"
	ln -sfn "$(realpath --relative-to="$root/sys/bus/pci/devices" "$d3/0000:02:00.0")" "$root/sys/bus/pci/devices/0000:02:00.0"
	run --separate-stderr vb -j topology --all
	[ "$status" -eq 0 ]
	assert_schema topology
	grep -q 'loops back on itself' <<<"$stderr"
	# walk every node's parents: never back to itself
	echo "$output" | jq -e '
		(.nodes | map({key: .bdf, value: .parent}) | from_entries) as $up
		| [.nodes[] | .bdf as $me | [limit(40; $up[$me] | recurse(if . == null then empty else $up[.] end))] | index($me)] | all(. == null)'
	run --separate-stderr vb distance -j 03:00.0 04:00.0
	[ "$status" -eq 0 ]
	assert_schema distance
}

@test "a BAR spanning past 2^64 is reported, not wrapped to size 0" {
	root=$(fixture_copy server-2s)
	r=$(devdir 0000:03:00.0)/resource
	{ echo "0x0000000000000000 0xffffffffffffffff 0x0000000000140204"; tail -n +2 "$r"; } >"$r.new" && mv "$r.new" "$r"
	run --separate-stderr vb -j list 03:00.0
	[ "$status" -eq 0 ]
	assert_schema list
	echo "$output" | jq -e '.[0].problems == ["BAR 0 spans past 2^64 (ignored)"] and ([.[0].bars[] | select(.index == 0)] | length == 0)'
	grep -q 'warning: 0000:03:00.0: BAR 0 spans past 2^64' <<<"$stderr"
}

@test "a host bridge's NUMA node comes from any function beneath it" {
	root=$(fixture_copy server-2s)
	for d in "$root"/sys/bus/pci/devices/0000:8*; do echo -1 >"$d/numa_node"; done
	echo 1 >"$(devdir 0000:84:00.0)/numa_node"
	run vb -j topology
	echo "$output" | jq -e '.host_bridges[] | select(.name == "pci0000:80") | .numa_node == 1'
	run vb topology
	grep -q '^pci0000:80 host bridge.*NUMA 1$' <<<"$output"
}

@test "no root device ID is printed for a host bridge without one" {
	root=$(fixture_copy laptop)
	rm -rf "$(devdir 0000:00:00.0)" "$root/sys/bus/pci/devices/0000:00:00.0"
	run vb topology --all
	grep -q '^pci0000:00 host bridge, no qualifying root device (not P2PDMA whitelisted)' <<<"$output"
	! grep -q 'root - ' <<<"$output"
}

@test "the driver name comes from the link's own name when its target is absent" {
	root=$(fixture_copy server-2s)
	d=$(devdir 0000:06:00.0)
	ln -sfn ../../../../bus/pci/drivers/gone_driver "$d/driver"
	run vb -j list 06:00.0
	echo "$output" | jq -e '.[0].driver == "gone_driver"'
}

@test "list: columns widen for 5-digit domains and long BAR lists" {
	root=$(fixture_copy server-2s)
	mkdir -p "$root/sys/devices/pci10000:00/10000:00:00.0"
	cp -a "$(devdir 0000:03:00.0)"/{vendor,device,class,config,numa_node} "$root/sys/devices/pci10000:00/10000:00:00.0/"
	printf '0x%016x 0x%016x 0x0000000000140204\n' $((0xf000000000)) $((0xf00fffffff)) $((0xf100000000)) $((0xf10fffffff)) \
		$((0xf200000000)) $((0xf20fffffff)) $((0xf300000000)) $((0xf30fffffff)) $((0xf400000000)) $((0xf40fffffff)) \
		$((0xf500000000)) $((0xf50fffffff)) >"$root/sys/devices/pci10000:00/10000:00:00.0/resource"
	ln -s ../../../devices/pci10000:00/10000:00:00.0 "$root/sys/bus/pci/devices/10000:00:00.0"
	run --separate-stderr vb list
	[ "$status" -eq 0 ]
	grep -q '^10000:00:00.0 ' <<<"$output"
	# every row's ID, GROUP and NAME columns start where the header's do
	for word in ID GROUP NAME; do
		col=$(head -1 <<<"$output" | awk -v w="$word" '{ print index($0 " ", " " w " ") }')
		[ "$col" -gt 0 ]
		while IFS= read -r line; do
			[ "${line:$col:1}" != " " ]
			[ "${line:$((col - 1)):1}" = " " ]
		done < <(tail -n +2 <<<"$output")
	done
}

@test "every irregular tree reads clean under valgrind (no leak, no invalid read)" {
	command -v valgrind >/dev/null || skip "valgrind not installed"
	root=$(fixture_copy server-2s)
	rm "$(devdir 0000:03:00.0)/vendor" "$root/sys/bus/pci/devices/0000:02:00.0"
	echo "garbage line" >"$(devdir 0000:05:00.0)/resource"
	: >"$(devdir 0000:06:00.0)/config"
	ln -s ../../../devices/pci0000:00/0000:00:01.0 "$root/sys/bus/pci/devices/not-a-bdf"
	r=$(devdir 0000:84:00.0)/resource
	{ echo "0x0000000000000000 0xffffffffffffffff 0x0000000000140204"; tail -n +2 "$r"; } >"$r.new" && mv "$r.new" "$r"
	find "$root/sys/devices" -name config -path '*0000:8*' -exec truncate -s 64 {} +
	for cmd in "list" "-j list" "topology" "-j topology --all" "topology --matrix" "distance 03:00.0 04:00.0" "show 03:00.0" "show 84:00.0"; do
		run --separate-stderr valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			"$VB" --sysfs-root "$root/sys" $cmd
		[ "$status" -eq 0 ] || { echo "$cmd: status $status: $stderr"; false; }
	done
}
