#!/usr/bin/env bats
# The fixture generator builds trees that lspci itself reads as real sysfs.

load helpers/common
load fixtures/fixture_helpers

lspci_tree() {
	lspci -A linux-sysfs -O sysfs.path="$1/sys/bus/pci" "${@:2}"
}

@test "every description generates a tree lspci reads without complaint" {
	for f in "$FIXTURES_DIR"/*.json; do
		name=$(basename "$f" .json)
		root=$(fixture "$name")
		run --separate-stderr lspci -A linux-sysfs -O sysfs.path="$root/sys/bus/pci" -tv
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		[ -n "$output" ]
	done
}

@test "qemu-lab: lspci -t shows the switch holding NVMe and ivshmem" {
	root=$(fixture qemu-lab)
	run lspci_tree "$root" -tvn
	[ "$status" -eq 0 ]
	grep -q -- '+-02.0-\[01-04\]----00.0-\[02-04\]--+-00.0-\[03\]----00.0  1b36:0010' <<<"$output"
	grep -q -- '\\-01.0-\[04\]----00.0  1af4:1110' <<<"$output"
}

@test "qemu-lab: BAR sizes and flags as lspci reports them" {
	root=$(fixture qemu-lab)
	run lspci_tree "$root" -s 04:00.0 -v
	grep -q 'Memory at [0-9a-f]* (64-bit, prefetchable) \[size=16M\]' <<<"$output"
	run lspci_tree "$root" -s 06:00.0 -v
	grep -q 'I/O ports at [0-9a-f]* \[size=256\]' <<<"$output"
}

@test "qemu-lab: root port ACS as lspci decodes it" {
	root=$(fixture qemu-lab)
	run lspci_tree "$root" -s 00:02.0 -vv
	grep -q 'Capabilities: \[148 v1\] Access Control Services' <<<"$output"
	grep -q 'ACSCtl:	SrcValid+ TransBlk- ReqRedir+ CmpltRedir+' <<<"$output"
	grep -q 'Root Port (Slot+)' <<<"$output"
}

@test "server-2s: two host bridges, NUMA and bus ranges" {
	root=$(fixture server-2s)
	run lspci_tree "$root" -tn
	grep -q '\[0000:00\]' <<<"$output"
	grep -q '\[0000:80\]' <<<"$output"
	grep -q -- '01.0-\[81-84\]' <<<"$output"
	[ "$(cat "$root/sys/bus/pci/devices/0000:83:00.0/numa_node")" = 1 ]
}

@test "links: driver, iommu_group, physfn, virtfn point where the kernel's do" {
	root=$(fixture sriov)
	d=$root/sys/bus/pci/devices
	[ "$(readlink "$d/0000:01:00.0/driver")" = "../../../../bus/pci/drivers/mlx5_core" ]
	[ "$(basename "$(readlink "$d/0000:01:00.2/iommu_group")")" = 10 ]
	[ "$(basename "$(readlink "$d/0000:01:00.2/physfn")")" = "0000:01:00.0" ]
	[ "$(basename "$(readlink "$d/0000:01:00.0/virtfn3")")" = "0000:01:00.5" ]
	[ -L "$root/sys/kernel/iommu_groups/10/devices/0000:01:00.2" ]
	[ "$(cat "$d/0000:01:00.0/sriov_numvfs")" = 4 ]
	# VFs are siblings of the PF, under the root port
	[ "$(basename "$(dirname "$(realpath "$d/0000:01:00.3")")")" = "0000:00:01.0" ]
}

@test "resource files use the kernel's format and line count" {
	root=$(fixture qemu-lab)
	run cat "$root/sys/bus/pci/devices/0000:04:00.0/resource"
	[ "${#lines[@]}" -eq 13 ]
	[[ "${lines[2]}" =~ ^0x[0-9a-f]{16}\ 0x[0-9a-f]{16}\ 0x000000000014220c$ ]]
	run cat "$root/sys/bus/pci/devices/0000:00:02.0/resource"
	[ "${#lines[@]}" -eq 17 ]
}

@test "--non-root-view cuts config space to 64 bytes" {
	"$FIXTURES_DIR/gen-sysfs" "$FIXTURES_DIR/qemu-lab.json" "$BATS_TEST_TMPDIR/nr" --non-root-view
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/nr/sys/bus/pci/devices/0000:00:02.0/config")" -eq 64 ]
	[ "$(stat -c %s "$(fixture qemu-lab)/sys/bus/pci/devices/0000:00:02.0/config")" -eq 4096 ]
}

@test "fake root carries cpuinfo, mounts and osrelease" {
	root=$(fixture laptop)
	grep -q 'vendor_id	: GenuineIntel' "$root/proc/cpuinfo"
	grep -q ' / ext4 ' "$root/proc/mounts"
	[ -s "$root/proc/sys/kernel/osrelease" ]
	root=$(fixture qemu-lab)
	grep -q 'cpu family	: 15' "$root/proc/cpuinfo"
}

@test "gen-sysfs without arguments prints usage and fails" {
	run "$FIXTURES_DIR/gen-sysfs"
	[ "$status" -eq 2 ]
	[[ "$output" == usage:* ]]
}
