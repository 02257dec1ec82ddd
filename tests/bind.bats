#!/usr/bin/env bats
# bind/unbind on fixture trees: planning, refusals, dry-run writes, state.
# (Fixture trees are plain files: the kernel's driver moves happen only in
# the lab, tests/lab/bind.bats.)

load helpers/common
load fixtures/fixture_helpers

vb() { "$VB" --sysfs-root "$root/sys" "$@"; }

@test "bind --dry-run prints the writes and changes nothing" {
	root=$(fixture_copy qemu-lab)
	run vb bind --dry-run 03:00.0
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "write 'vfio-pci\\n' to $root/sys/bus/pci/devices/0000:03:00.0/driver_override" ]
	[ "${lines[1]}" = "write '0000:03:00.0' to $root/sys/bus/pci/drivers/nvme/unbind" ]
	[ "${lines[2]}" = "write '0000:03:00.0' to $root/sys/bus/pci/drivers_probe" ]
	[ "${lines[3]}" = "0000:03:00.0: nvme -> vfio-pci  /dev/vfio/2" ]
	[ "$(cat "$root/sys/bus/pci/devices/0000:03:00.0/driver_override")" = "(null)" ]
	[ ! -e "$root/run/vfiobuf/state.json" ]
}

@test "bind -j --dry-run: writes and devices as JSON" {
	root=$(fixture_copy qemu-lab)
	run vb bind -j --dry-run 04:00.0
	echo "$output" | jq -e '.dry_run and (.writes | length) == 2 and .devices[0].old_driver == null
		and .devices[0].new_driver == "vfio-pci" and .devices[0].iommu_group == 3'
}

@test "a group with a member on a host driver is refused, naming it" {
	root=$(fixture_copy multifunction)
	run vb bind --dry-run 02:00.0
	[ "$status" -eq 6 ]
	[ "$output" = "vfiobuf: 0000:02:00.0: IOMMU group 5 also holds 0000:02:00.1 (snd_hda_intel): bind them too, or use --group" ]
}

@test "--group takes the whole group" {
	root=$(fixture_copy multifunction)
	run vb bind -j --dry-run --group 02:00.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '[.devices[] | {bdf, old_driver, requested}] == [
		{"bdf":"0000:02:00.0","old_driver":"nvidia","requested":true},
		{"bdf":"0000:02:00.1","old_driver":"snd_hda_intel","requested":false}]'
}

@test "naming every member of the group is enough without --group" {
	root=$(fixture_copy multifunction)
	run vb bind --dry-run 02:00.0 02:00.1
	[ "$status" -eq 0 ]
}

@test "safety: the NVMe holding / and swap is refused" {
	root=$(fixture_copy laptop)
	run vb bind --dry-run 01:00.0
	[ "$status" -eq 6 ]
	[[ "$output" == *"0000:01:00.0: in use by the host (/dev/nvme0n1p2 holds the root filesystem; /dev/nvme0n1p1 is mounted on /boot/efi; /dev/nvme0n1p3 is active swap); refusing to take it from nvme (--force to override)" ]]
}

@test "safety: a mounted data disk, an interface that is up, the boot VGA" {
	root=$(fixture_copy server-2s)
	run vb bind --dry-run 06:00.0
	[ "$status" -eq 6 ]
	[[ "$output" == *"/dev/nvme0n1 is mounted on /data"* ]]
	run vb bind --dry-run 05:00.0
	[ "$status" -eq 6 ]
	[[ "$output" == *"network interface ens1np0 is up"* ]]
	root=$(fixture_copy multifunction)
	run vb bind --dry-run 03:00.0
	[ "$status" -eq 6 ]
	[[ "$output" == *"it is the boot VGA device"* ]]
}

@test "safety: --force overrides the in-use refusal" {
	root=$(fixture_copy server-2s)
	run vb bind --dry-run --force 06:00.0
	[ "$status" -eq 0 ]
	grep -q "drivers/nvme/unbind" <<<"$output"
}

@test "a device already on vfio-pci is a no-op, not an unbind/rebind" {
	root=$(fixture_copy server-2s)
	run vb bind -j --dry-run 07:00.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.writes == [] and .devices[0].changed == false
		and .devices[0].vfio_group == "/dev/vfio/20" and .devices[0].vfio_cdev == "/dev/vfio/devices/vfio0"'
}

@test "a failed bind on a fixture is rolled back and leaves no record" {
	root=$(fixture_copy qemu-lab)
	run vb bind 04:00.0
	[ "$status" -eq 1 ]
	[[ "$output" == *"vfio-pci did not claim it (driver is now none); every device was put back on its previous driver" ]]
	# the record written before the move is gone again with the rollback
	jq -e '.devices == {}' "$root/run/vfiobuf/state.json"
	# the rollback cleared the override again: a newline, as the kernel
	# wants (a fixture file is overwritten in place, not truncated)
	[ "$(head -c1 "$root/sys/bus/pci/devices/0000:04:00.0/driver_override" | od -An -c | tr -d ' ')" = '\n' ]
}

@test "unbind restores the driver recorded in the state file" {
	root=$(fixture_copy server-2s)
	mkdir -p "$root/run/vfiobuf"
	echo '{"version":1,"devices":{"0000:07:00.0":{"driver":"nvme","time":0}}}' >"$root/run/vfiobuf/state.json"
	run vb unbind --dry-run 07:00.0
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "write '\\n' to $root/sys/bus/pci/devices/0000:07:00.0/driver_override" ]
	[ "${lines[1]}" = "write '0000:07:00.0' to $root/sys/bus/pci/drivers/vfio-pci/unbind" ]
	[ "${lines[2]}" = "write '0000:07:00.0' to $root/sys/bus/pci/drivers/nvme/bind" ]
}

@test "unbind --driver and --none choose the target" {
	root=$(fixture_copy server-2s)
	run vb unbind --dry-run --driver nvme 07:00.0
	grep -q "drivers/nvme/bind" <<<"$output"
	run vb unbind --dry-run --none 07:00.0
	[ "$status" -eq 0 ]
	! grep -q "drivers_probe\|/bind" <<<"$output"
	run vb unbind --none --driver nvme 07:00.0
	[ "$status" -eq 2 ]
}

@test "unbind of a device vfiobuf did not bind asks what to do" {
	root=$(fixture_copy server-2s)
	run vb unbind --dry-run 07:00.0
	[ "$status" -eq 2 ]
	[[ "$output" == *"0000:07:00.0: was not bound by vfiobuf"*"--driver NAME, --none, or --force"* ]]
}

@test "a corrupt state file is an error naming the file" {
	root=$(fixture_copy server-2s)
	mkdir -p "$root/run/vfiobuf"
	echo 'not json' >"$root/run/vfiobuf/state.json"
	run vb unbind --dry-run 07:00.0
	[ "$status" -eq 1 ]
	[[ "$output" == *"state file $root/run/vfiobuf/state.json is not vfiobuf state"* ]]
	run vb bind 03:00.0
	[ "$status" -eq 1 ]
	[[ "$output" == *"state file $root/run/vfiobuf/state.json is not vfiobuf state"* ]]
}

@test "a corrupt state file does not block unbind --none or --driver: a warning, the file left alone" {
	root=$(fixture_copy server-2s)
	mkdir -p "$root/run/vfiobuf"
	echo 'not json' >"$root/run/vfiobuf/state.json"
	run --separate-stderr vb unbind --none 07:00.0
	[ "$status" -eq 0 ]
	[[ "$stderr" == "vfiobuf: warning: state file $root/run/vfiobuf/state.json is not vfiobuf state"*"going on without it (--none given) and leaving it as it is" ]]
	[ "$(cat "$root/sys/bus/pci/drivers/vfio-pci/unbind")" = "0000:07:00.0" ]
	[ "$(cat "$root/run/vfiobuf/state.json")" = "not json" ]
	run --separate-stderr vb unbind -j --dry-run --driver nvme 07:00.0
	[ "$status" -eq 0 ]
	[ -n "$output" ] && jq -e '(.warnings[0] | contains("--driver given")) and .devices[0].new_driver == "nvme"' <<<"$output"
}

@test "bind --from-config plans the devices in /etc/vfiobuf/overrides" {
	root=$(fixture_copy qemu-lab)
	mkdir -p "$root/etc/vfiobuf"
	printf '# comment\n0000:04:00.0 vfio-pci\n0000:06:00.0 other\n' >"$root/etc/vfiobuf/overrides"
	run vb bind -j --dry-run --from-config
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '[.devices[].bdf] == ["0000:04:00.0"]'
}

@test "bind: bad input" {
	root=$(fixture_copy qemu-lab)
	run vb bind
	[ "$status" -eq 2 ]
	run vb bind 0000:03:00.9
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid device address '0000:03:00.9'"* ]]
	run vb bind 09:00.0
	[ "$status" -eq 3 ]
	run vb bind --dry-run 00:02.0
	[ "$status" -eq 2 ]
	[[ "$output" == *"is a PCI bridge"* ]]
}

@test "bind without root on the real /sys: exit 4 before anything" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to drop to nobody"
	# a device that does not exist: even a wrong privilege check could not touch anything
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$VB" bind 0000:7f:1f.7
	[ "$status" -eq 4 ]
	[[ "$output" == *"bind needs root"* ]]
}

@test "list marks the devices vfiobuf bound, with their original driver" {
	root=$(fixture_copy server-2s)
	mkdir -p "$root/run/vfiobuf"
	echo '{"version":1,"devices":{"0000:07:00.0":{"driver":"nvme","time":0}}}' >"$root/run/vfiobuf/state.json"
	run vb list 07:00.0
	[[ "${lines[1]}" == *" vfio-pci* "* ]]
	[ "${lines[2]}" = "* bound to vfio-pci by vfiobuf ('vfiobuf unbind' gives it back)" ]
	run vb list -j
	echo "$output" | jq -e '[.[] | select(.bound_by_vfiobuf)] == [.[] | select(.bdf == "0000:07:00.0")]
		and (.[] | select(.bdf == "0000:07:00.0") | .original_driver == "nvme")'
}
