#!/usr/bin/env bats
# list and show on the fixture trees: concrete values, not just exit codes.

load helpers/common
load helpers/schema
load fixtures/fixture_helpers

vb() { "$VB" --sysfs-root "$root/sys" "$@"; }

@test "list works on every fixture and lists every function" {
	for f in "$FIXTURES_DIR"/*.json; do
		root=$(fixture "$(basename "$f" .json)")
		n=$(ls "$root/sys/bus/pci/devices" | wc -l)
		run vb list -j
		[ "$status" -eq 0 ]
		assert_schema list
		echo "$output" | jq -e --argjson n "$n" 'length == $n'
		run vb list
		[ "$status" -eq 0 ]
		# a heading line, plus the legend of ! and ? (VFIO drivers that
		# cannot or may not export) when a row has one
		legend=$(printf '%s\n' "${lines[@]}" | grep -c '^! a VFIO driver' || true)
		[ "${#lines[@]}" -eq $((n + 1 + legend)) ]
	done
}

@test "qemu-lab: NVMe identity, driver, group and BARs" {
	root=$(fixture qemu-lab)
	run vb list -j 03:00.0
	[ "$status" -eq 0 ]
	assert_schema list
	echo "$output" | jq -e '.[0] | .vendor_id == "1b36" and .device_id == "0010"
		and .class_id == "0108" and .driver == "nvme" and .iommu_group == 2
		and .parent == "0000:02:00.0" and .host_bridge == "pci0000:00"
		and .vendor_name == "Red Hat, Inc." and .vfio == null'
	echo "$output" | jq -e '.[0].bars == [
		{"index":0,"type":"mem","start":.[0].bars[0].start,"size":16384,"is_64bit":true,"prefetchable":false},
		{"index":2,"type":"mem","start":.[0].bars[1].start,"size":16777216,"is_64bit":true,"prefetchable":true}]'
}

@test "qemu-lab: human list row for ivshmem" {
	root=$(fixture qemu-lab)
	run vb list 04:00.0
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^0000:04:00.0\ +1af4:1110\ +0500\ +-\ +3\ +-\ +-\ +0:256\ 2:16M\(64,pf\)\ +Red\ Hat,\ Inc.\ Inter-VM\ shared\ memory$ ]]
}

@test "qemu-lab: I/O BAR of the pci-testdev is marked io" {
	root=$(fixture qemu-lab)
	run vb list -j 06:00.1
	echo "$output" | jq -e '.[0].bars[] | select(.index == 1) | .type == "io" and .size == 256'
}

@test "qemu-lab: show gives the upstream path with ACS on the root port" {
	root=$(fixture qemu-lab)
	run vb show -j 03:00.0
	[ "$status" -eq 0 ]
	assert_schema show
	echo "$output" | jq -e '.path == ["0000:03:00.0","0000:02:00.0","0000:01:00.0","0000:00:02.0"]'
	echo "$output" | jq -e '.pcie_type == "endpoint" and .config_size == 4096 and .acs.status == "absent"'
	echo "$output" | jq -e '.upstream[3] | .pcie_type == "root-port" and .acs.ctrl == "0x000d" and .acs.redirect == true'
	echo "$output" | jq -e '.upstream[1].pcie_type == "downstream-port" and .upstream[2].pcie_type == "upstream-port"'
	run vb show 03:00.0
	grep -q '^    -> 0000:00:02.0  root-port         cap \[SV TB RR CR UF DT\] ctrl \[SV RR CR\] redirect$' <<<"$output"
	grep -q 'pci0000:00 (host bridge)' <<<"$output"
}

@test "a 64-byte capture: ACS and PCIe type 'not captured', whoever reads it" {
	"$FIXTURES_DIR/gen-sysfs" "$FIXTURES_DIR/qemu-lab.json" "$BATS_TEST_TMPDIR/nr" --non-root-view
	run "$VB" --sysfs-root "$BATS_TEST_TMPDIR/nr/sys" show -j 00:02.0
	[ "$status" -eq 0 ]
	assert_schema show
	echo "$output" | jq -e '.acs.status == "not captured" and .config_size == 64 and .pcie_type == null'
	run "$VB" --sysfs-root "$BATS_TEST_TMPDIR/nr/sys" show 00:02.0
	grep -q 'pcie type:    unknown (not captured)' <<<"$output"
}

@test "live sysfs read by a non-root user: ACS 'needs root' (reads only)" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to drop to nobody"
	dev=$(ls /sys/bus/pci/devices 2>/dev/null | head -1)
	[ -n "$dev" ] || skip "this host has no PCI functions in /sys"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$VB" show -j "$dev"
	[ "$status" -eq 0 ]
	assert_schema show
	echo "$output" | jq -e '.config_size == 64 and (.acs.status == "needs root" or .acs.status == "absent")'
	run "$VB" show -j "$dev"
	echo "$output" | jq -e '.acs.status != "needs root" and .acs.status != "not captured"'
}

@test "server-2s: vfio-pci device shows group and cdev nodes" {
	root=$(fixture server-2s)
	run vb list -j 07:00.0
	echo "$output" | jq -e '.[0].vfio == {"group":"/dev/vfio/20","cdev":"/dev/vfio/devices/vfio0"}
		and .[0].driver_override == "vfio-pci" and .[0].numa_node == 0'
	run vb list --vfio -j
	echo "$output" | jq -e 'map(.bdf) == ["0000:07:00.0"]'
}

@test "server-2s: second socket on NUMA 1 under pci0000:80, 32G BAR" {
	root=$(fixture server-2s)
	run vb list -j 83:00.0
	echo "$output" | jq -e '.[0] | .numa_node == 1 and .host_bridge == "pci0000:80"
		and (.bars[] | select(.index == 1) | .size == 34359738368 and .prefetchable)'
}

@test "server-2s: -d and -c filters like lspci" {
	root=$(fixture server-2s)
	run vb list -j -d 10de:
	echo "$output" | jq -e 'length == 4 and all(.[]; .vendor_id == "10de")'
	run vb list -j -c 0108
	echo "$output" | jq -e 'map(.bdf) == ["0000:06:00.0","0000:07:00.0"]'
	run vb list -j -d 15b3: -c 02
	echo "$output" | jq -e 'length == 2'
	run vb list -j -d :2030
	echo "$output" | jq -e 'map(.bdf) == ["0000:00:01.0","0000:80:01.0"]'
}

@test "sriov: VFs name their PF and inherit its upstream bridge" {
	root=$(fixture sriov)
	run vb list -j 01:00.3
	echo "$output" | jq -e '.[0] | .is_vf and .physfn == "0000:01:00.0" and .parent == "0000:00:01.0"
		and .iommu_group == 11 and .device_id == "1018"'
	run vb list -j 01:00.0
	echo "$output" | jq -e '.[0].is_vf == false'
}

@test "multifunction: both NVMe functions under one root port" {
	root=$(fixture multifunction)
	run vb show -j 01:00.1
	echo "$output" | jq -e '.path == ["0000:01:00.1","0000:00:01.1"] and .acs.status == "present" and .acs.redirect == false'
}

@test "laptop: rciep graphics sits on the root bus" {
	root=$(fixture laptop)
	run vb show -j 00:02.0
	echo "$output" | jq -e '.parent == null and .path == ["0000:00:02.0"] and .pcie_type == "rc-integrated-endpoint"'
}

@test "list with names off prints numeric IDs only" {
	root=$(fixture laptop)
	run vb list -n 00:14.3
	[[ "${lines[1]}" =~ \ -$ ]]
	run vb list -n -j 00:14.3
	echo "$output" | jq -e '.[0].vendor_name == null and .[0].vendor_id == "8086"'
}

@test "unknown device on a fixture: exit 3 naming it" {
	root=$(fixture laptop)
	run vb show 00:1e.0
	[ "$status" -eq 3 ]
	[ "$output" = "vfiobuf: 0000:00:1e.0: no such PCI device" ]
	run vb list 0000:00:1e.0
	[ "$status" -eq 3 ]
}

@test "truncated config file: show fails with exit 1, list lists it with the problem" {
	root=$(fixture_copy qemu-lab)
	head -c 20 "$root/sys/bus/pci/devices/0000:04:00.0/config" >"$root/t" && mv "$root/t" "$root/sys/bus/pci/devices/0000:04:00.0/config"
	run "$VB" --sysfs-root "$root/sys" show 04:00.0
	[ "$status" -eq 1 ]
	[ "$output" = "vfiobuf: 0000:04:00.0: cannot read the 64-byte configuration header from sysfs (config file truncated or unreadable)" ]
	run --separate-stderr "$VB" --sysfs-root "$root/sys" -j list
	[ "$status" -eq 0 ]
	assert_schema list
	echo "$output" | jq -e 'length == 14'
	echo "$output" | jq -e '.[] | select(.bdf == "0000:04:00.0") | .problems == ["config: 20 bytes readable, not even the 64-byte header"]'
	echo "$output" | jq -e '[.[] | select(.bdf != "0000:04:00.0") | .problems | length] | add == 0'
	[ "$(grep -c "warning: 0000:04:00.0: config: 20 bytes" <<<"$stderr")" -eq 1 ]
}

@test "unreadable sysfs root: exit 2" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to make a dir root cannot read as nobody"
	root=$(fixture_copy laptop)
	chmod 000 "$root/sys"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$VB" --sysfs-root "$root/sys" list
	chmod 755 "$root/sys"
	[ "$status" -eq 2 ]
	[[ "$output" == *"sysfs root"*"Permission denied"* ]]
}

@test "a missing resource file is reported once, the rest is listed" {
	root=$(fixture_copy qemu-lab)
	rm "$root/sys/bus/pci/devices/0000:05:00.0/resource"
	run --separate-stderr "$VB" --sysfs-root "$root/sys" list
	[ "$status" -eq 0 ]
	[ "$stderr" = "vfiobuf: warning: 0000:05:00.0: resource: missing (no BARs known)" ]
	[ "$(grep -c '^0000:' <<<"$output")" -eq 14 ]
	[[ "$output" == *"0000:04:00.0"*"16M"* ]]
}
