#!/usr/bin/env bats
# vfiobuf list/show against the real 7.3 kernel in the lab guest: the values
# QEMU gives the emulated switch, NVMe, ivshmem and root ports.

load lab_helpers

setup() { skip_unless_in_lab; }

@test "lab: the kernel is Debian's 7.3 with an IOMMU" {
	[[ "$(uname -r)" == 7.3.* ]]
	[ -n "$(ls /sys/kernel/iommu_groups)" ]
}

@test "lab: list shows every function the kernel has" {
	n=$(ls /sys/bus/pci/devices | wc -l)
	run "$VB" list -j
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --argjson n "$n" 'length == $n'
}

@test "lab: NVMe behind the switch: driver, group, 16 MiB CMB BAR2" {
	run "$VB" list -j 03:00.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.[0] | .vendor_id == "1b36" and .device_id == "0010" and .driver == "nvme"
		and .iommu_group == 9 and .parent == "0000:02:00.0"'
	echo "$output" | jq -e '[.[0].bars[] | {index, size, is_64bit, prefetchable}] == [
		{"index":0,"size":16384,"is_64bit":true,"prefetchable":false},
		{"index":2,"size":16777216,"is_64bit":true,"prefetchable":true}]'
}

@test "lab: ivshmem: no driver, group 10, 256-byte BAR0 and 16 MiB BAR2" {
	run "$VB" list -j 04:00.0
	echo "$output" | jq -e '.[0] | .vendor_id == "1af4" and .device_id == "1110" and .driver == null and .iommu_group == 10'
	echo "$output" | jq -e '[.[0].bars[] | {index, size, prefetchable}] == [
		{"index":0,"size":256,"prefetchable":false},{"index":2,"size":16777216,"prefetchable":true}]'
}

@test "lab: the switch and its ports, groups shared with the endpoints" {
	run "$VB" list -j 01:00.0 02:00.0 02:01.0
	echo "$output" | jq -e 'map({bdf, device_id, iommu_group, driver}) == [
		{"bdf":"0000:01:00.0","device_id":"8232","iommu_group":8,"driver":"pcieport"},
		{"bdf":"0000:02:00.0","device_id":"8233","iommu_group":9,"driver":"pcieport"},
		{"bdf":"0000:02:01.0","device_id":"8233","iommu_group":10,"driver":"pcieport"}]'
}

@test "lab: show NVMe: path to the root port, ACS redirect on the root port only" {
	run "$VB" show -j 03:00.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.path == ["0000:03:00.0","0000:02:00.0","0000:01:00.0","0000:00:02.0"]'
	echo "$output" | jq -e '[.upstream[] | .pcie_type] == ["endpoint","downstream-port","upstream-port","root-port"]'
	echo "$output" | jq -e '[.upstream[] | .acs.status] == ["absent","absent","absent","present"]'
	echo "$output" | jq -e '.upstream[3].acs | .ctrl == "0x001d" and .redirect == true and .cap == "0x005f"'
}

@test "lab: the NVMe CMB is published as p2pmem, sized like BAR2" {
	[ "$(cat /sys/bus/pci/devices/0000:03:00.0/p2pmem/size)" -eq 16777216 ]
}

@test "lab: filters on the real bus" {
	run "$VB" list -j -d 1b36:0010
	echo "$output" | jq -e 'map(.bdf) == ["0000:03:00.0","0000:07:00.0"]'
	run "$VB" list -j -c 0500
	echo "$output" | jq -e 'map(.bdf) == ["0000:04:00.0"]'
}

@test "lab: a non-root user gets 'needs root' for ACS, not a crash" {
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$VB" show -j 00:02.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.acs.status == "needs root" and .config_size == 64'
}
