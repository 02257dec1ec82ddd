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
	assert_schema list
	echo "$output" | jq -e --argjson n "$n" 'length == $n'
}

@test "lab: NVMe behind the switch: driver, group, 16 MiB CMB BAR2" {
	run "$VB" list -j 03:00.0
	[ "$status" -eq 0 ]
	assert_schema list
	lab_jq_all "$output" '.[0] | .vendor_id == "1b36" and .device_id == "0010" and .driver == "nvme"
		and .iommu_group == 9 and .parent == "0000:02:00.0"' \
		'[.[0].bars[] | {index, size, is_64bit, prefetchable}] == [
		{"index":0,"size":16384,"is_64bit":true,"prefetchable":false},
		{"index":2,"size":16777216,"is_64bit":true,"prefetchable":true}]'
}

@test "lab: ivshmem: no driver, group 10, 256-byte BAR0 and 16 MiB BAR2" {
	run "$VB" list -j 04:00.0
	lab_jq_all "$output" '.[0] | .vendor_id == "1af4" and .device_id == "1110" and .driver == null and .iommu_group == 10' \
		'[.[0].bars[] | {index, size, prefetchable}] == [
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
	assert_schema show
	lab_jq_all "$output" '.path == ["0000:03:00.0","0000:02:00.0","0000:01:00.0","0000:00:02.0"]' \
		'[.upstream[] | .pcie_type] == ["endpoint","downstream-port","upstream-port","root-port"]' \
		'[.upstream[] | .acs.status] == ["absent","absent","absent","present"]' \
		'.upstream[3].acs | .ctrl == "0x001d" and .redirect == true and .cap == "0x005f"'
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
	assert_schema show
	echo "$output" | jq -e '.acs.status == "needs root" and .config_size == 64'
}

@test "lab: human list: one row per function, NVMe and ivshmem rows with group and BARs" {
	n=$(ls /sys/bus/pci/devices | wc -l)
	run "$VB" list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq $((n + 1)) ]
	[[ "${lines[0]}" == DEVICE* ]]
	grep -Eq '^0000:03:00\.0 +1b36:0010 +0108 +nvme +9 .* 0:16K\(64\) 2:16M\(64,pf\) ' <<<"$output"
	grep -Eq '^0000:04:00\.0 +1af4:1110 +0500 +- +10 .* 0:256 2:16M\(64,pf\) ' <<<"$output"
	grep -Eq '^0000:01:00\.0 +104c:8232 +0604 +pcieport +8 ' <<<"$output"
}

@test "lab: human show NVMe: BAR2 16M 64-bit prefetchable, path up to the root port" {
	run "$VB" show 03:00.0
	[ "$status" -eq 0 ]
	grep -Eq '^ +driver: +nvme$' <<<"$output"
	grep -Eq '^ +iommu group: +9$' <<<"$output"
	grep -Eq '^ +BAR 2: +mem 0x[0-9a-f]+ +16M +64-bit +prefetchable$' <<<"$output"
	grep -Eq -- '-> 0000:02:00\.0 +downstream-port' <<<"$output"
	grep -Eq -- '-> 0000:00:02\.0 +root-port .*redirect' <<<"$output"
}

@test "lab: show -j ivshmem: 16 MiB 64-bit prefetchable BAR2, conventional PCI behind the switch" {
	run "$VB" show -j 04:00.0
	[ "$status" -eq 0 ]
	assert_schema show
	lab_jq_all "$output" '.bars[] | select(.index == 2) | .type == "mem" and .size == 16777216 and .is_64bit and .prefetchable' \
		'.pcie_type == null and .config_size == 256 and .iommu_group == 10' \
		'.path == ["0000:04:00.0","0000:02:01.0","0000:01:00.0","0000:00:02.0"]'
}

@test "lab: every BAR's start and size equal the kernel's resource file" {
	run "$VB" list -j
	[ "$status" -eq 0 ]
	assert_schema list
	# the kernel's view, one process: "BDF INDEX START END" for every resource line
	declare -A kernel
	while read -r bdf idx kstart kend; do
		kernel["$bdf $idx"]="$kstart $kend"
	done < <(awk '{ n = split(FILENAME, p, "/"); print p[n - 1], FNR - 1, $1, $2 }' /sys/bus/pci/devices/*/resource)
	checked=0
	while read -r bdf idx start size; do
		read -r kstart kend <<<"${kernel["$bdf $idx"]}"
		[ "$start" -eq "$((kstart))" ] || { echo "$bdf BAR$idx start $start, kernel $kstart"; false; }
		[ "$size" -eq "$((kend - kstart + 1))" ] || { echo "$bdf BAR$idx size $size, kernel $kstart-$kend"; false; }
		checked=$((checked + 1))
	done < <(echo "$output" | jq -r '.[] | .bdf as $b | .bars[] | "\($b) \(.index) \(.start) \(.size)"')
	[ "$checked" -ge 20 ]
}

@test "lab: every IOMMU group equals the kernel's" {
	run "$VB" list -j
	[ "$status" -eq 0 ]
	assert_schema list
	mine=$(echo "$output" | jq -r '.[] | "\(.bdf) \(.iommu_group)"' | sort)
	kernel=$(find /sys/kernel/iommu_groups -mindepth 3 -maxdepth 3 | awk -F/ '{ print $7, $5 }' | sort)
	[ -n "$kernel" ]
	diff <(echo "$mine") <(echo "$kernel")
}

@test "lab: multi-function pci-testdev: one group, I/O BAR1 of 256 bytes, 2 MiB BAR2" {
	run "$VB" list -j -d 1b36:0005
	[ "$status" -eq 0 ]
	assert_schema list
	lab_jq_all "$output" 'map(.bdf) == ["0000:06:00.0","0000:06:00.1"] and map(.iommu_group) == [12,12]
		and all(.[]; .parent == "0000:00:04.0" and .driver == null)' \
		'all(.[]; [.bars[] | {index, type, size, is_64bit, prefetchable}] == [
		{"index":0,"type":"mem","size":4096,"is_64bit":false,"prefetchable":false},
		{"index":1,"type":"io","size":256,"is_64bit":false,"prefetchable":false},
		{"index":2,"type":"mem","size":2097152,"is_64bit":true,"prefetchable":true}])'
}

@test "lab: edu on the second root port: 1 MiB BAR0, its own group, no driver, no name" {
	run "$VB" list -j -d 1234:11e8
	echo "$output" | jq -e '.[0] | .bdf == "0000:05:00.0" and .parent == "0000:00:03.0" and .iommu_group == 11
		and .driver == null and .vendor_name == null and .bars == [{"index":0,"type":"mem","start":.bars[0].start,
		"size":1048576,"is_64bit":false,"prefetchable":false}]'
}

@test "lab: the NVMe on its own root port has no CMB (no BAR2)" {
	run "$VB" list -j 07:00.0
	echo "$output" | jq -e '.[0] | .driver == "nvme" and .iommu_group == 13 and ([.bars[].index] == [0])'
}

@test "lab: the topology is clean: no NIC, no display device" {
	run "$VB" list -j
	echo "$output" | jq -e '[.[] | select(.class_id | startswith("02") or startswith("03"))] == []'
}

@test "lab: show of an absent device: exit 3, one line on stderr naming it" {
	run --separate-stderr "$VB" show 0000:0f:1f.7
	[ "$status" -eq 3 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *0f:1f.7* ]]
}
