#!/usr/bin/env bats
# bind/unbind against the real 7.3 kernel in the lab guest.

load lab_helpers

setup() { skip_unless_in_lab; }

state() { cat /run/vfiobuf/state.json; }

@test "lab bind: ivshmem to vfio-pci, /dev/vfio/N appears, state recorded" {
	run "$VB" bind -j 04:00.0
	[ "$status" -eq 0 ]
	assert_schema bind
	echo "$output" | jq -e '.devices[0] | .old_driver == null and .new_driver == "vfio-pci" and .vfio.group == "/dev/vfio/10"'
	[ "$(lab_driver 0000:04:00.0)" = vfio-pci ]
	[ -c /dev/vfio/10 ]
	state | jq -e '.devices["0000:04:00.0"].driver == null'
	run "$VB" list -j 04:00.0
	echo "$output" | jq -e '.[0].vfio.group == "/dev/vfio/10" and .[0].bound_by_vfiobuf and .[0].original_driver == null'
}

@test "lab bind: binding again is a no-op" {
	run "$VB" bind -j 04:00.0
	[ "$status" -eq 0 ]
	assert_schema bind
	echo "$output" | jq -e '.devices[0].changed == false'
	[ "$(lab_driver 0000:04:00.0)" = vfio-pci ]
}

@test "lab unbind: ivshmem back to no driver, node gone, override cleared" {
	run "$VB" unbind 04:00.0
	[ "$status" -eq 0 ]
	[ "$(lab_driver 0000:04:00.0)" = none ]
	[ ! -e /dev/vfio/10 ]
	[ "$(cat /sys/bus/pci/devices/0000:04:00.0/driver_override)" = "(null)" ]
	state | jq -e '.devices | has("0000:04:00.0") | not'
}

@test "lab bind/unbind: the NVMe leaves nvme and comes back with its block device" {
	[ -b /dev/nvme0n1 ]
	run "$VB" bind 03:00.0
	[ "$status" -eq 0 ]
	[ "$(lab_driver 0000:03:00.0)" = vfio-pci ]
	[ ! -e /sys/bus/pci/devices/0000:03:00.0/nvme ]
	run "$VB" unbind -j 03:00.0
	[ "$status" -eq 0 ]
	assert_schema unbind
	echo "$output" | jq -e '.devices[0].new_driver == "nvme"'
	[ "$(lab_driver 0000:03:00.0)" = nvme ]
	for i in $(seq 50); do ls /sys/bus/pci/devices/0000:03:00.0/nvme/*/ 2>/dev/null | grep -q n1 && break; sleep 0.1; done
	ls /sys/bus/pci/devices/0000:03:00.0/nvme/*/ | grep -q 'nvme[0-9]n1'
}

@test "lab rollback: a failing bind puts every device back exactly" {
	VFIOBUF_FAULT_INJECT_BIND=0000:04:00.0 run "$VB" bind 03:00.0 04:00.0
	[ "$status" -eq 1 ]
	[[ "$output" == *"0000:04:00.0: vfio-pci did not claim it (injected failure); every device was put back"* ]]
	[ "$(lab_driver 0000:03:00.0)" = nvme ]
	[ "$(lab_driver 0000:04:00.0)" = none ]
	[ "$(cat /sys/bus/pci/devices/0000:03:00.0/driver_override)" = "(null)" ]
	[ "$(cat /sys/bus/pci/devices/0000:04:00.0/driver_override)" = "(null)" ]
}

@test "lab safety: an NVMe whose namespace is mounted is refused, --force takes it" {
	bdf=0000:07:00.0
	blk=$(ls /sys/bus/pci/devices/$bdf/nvme/*/ | grep -m1 'nvme[0-9]n1$')
	mkfs.ext4 -q -F "/dev/$blk"
	mkdir -p /mnt/lab-nvme
	mount "/dev/$blk" /mnt/lab-nvme
	run "$VB" bind 07:00.0
	[ "$status" -eq 6 ]
	[[ "$output" == *"/dev/$blk is mounted on /mnt/lab-nvme"* ]]
	[ "$(lab_driver $bdf)" = nvme ]
	umount /mnt/lab-nvme
	mount "/dev/$blk" /mnt/lab-nvme
	run "$VB" bind --force 07:00.0
	[ "$status" -eq 0 ]
	[ "$(lab_driver $bdf)" = vfio-pci ]
	umount -l /mnt/lab-nvme || true
	run "$VB" unbind 07:00.0
	[ "$status" -eq 0 ]
	[ "$(lab_driver $bdf)" = nvme ]
}

@test "lab bind --persist / unbind --persist edit /etc/vfiobuf/overrides" {
	run "$VB" bind --persist 04:00.0
	[ "$status" -eq 0 ]
	grep -qx '0000:04:00.0 vfio-pci' /etc/vfiobuf/overrides
	run "$VB" unbind --persist 04:00.0
	[ "$status" -eq 0 ]
	! grep -q '0000:04:00.0' /etc/vfiobuf/overrides
}

@test "lab bind: a non-root user gets exit 4 and nothing changes" {
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$VB" bind 04:00.0
	[ "$status" -eq 4 ]
	[ "$(lab_driver 0000:04:00.0)" = none ]
}
