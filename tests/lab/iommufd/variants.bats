#!/usr/bin/env bats
# VFIO variant drivers for real (issue 19): the iommufd kernel builds
# virtio_vfio_pci as a module and the guest has a modern virtio-blk at
# 08:00.0.  bind picks virtio_vfio_pci from modules.alias (and loads it),
# export from it is refused naming the driver and the fix (virtio_vfio_pci
# sets no get_dmabuf_phys: EOPNOTSUPP), and bind --driver vfio-pci exports.

load ../lab_helpers
load ../../helpers/schema

DEV=0000:08:00.0

setup() {
	skip_unless_in_lab
	[ "${LAB_KERNEL:-}" = iommufd ] || skip "needs LAB_KERNEL=iommufd"
}

teardown_file() {
	[ "${LAB_GUEST:-}" = 1 ] && [ "${LAB_KERNEL:-}" = iommufd ] || return 0
	"$VB" unbind "$DEV" >/dev/null 2>&1 || true
}

@test "variants lab: the guest has the modern virtio-blk and the kernel's vfio_pci: aliases" {
	[ "$(lab_find_one "$LAB_VIRTIO_BLK_ID")" = "$DEV" ]
	[ "$(lab_driver "$DEV")" = virtio-pci ]
	grep -qx 'alias vfio_pci:v00001AF4d00001042sv\*sd\*bc\*sc\*i\* virtio_vfio_pci' \
		"/lib/modules/$(uname -r)/modules.alias"
	[ ! -d /sys/module/virtio_vfio_pci ] # nothing loaded it: bind will
}

@test "variants lab: bind picks virtio_vfio_pci by its alias, loads it and binds" {
	run "$VB" -j bind --dry-run "$DEV"
	[ "$status" -eq 0 ]
	assert_schema bind
	lab_jq_all "$output" '.devices[0].new_driver == "virtio_vfio_pci"' \
		'.devices[0].driver_choice.reason == "alias"' \
		'.devices[0].driver_choice.alias == "vfio_pci:v00001AF4d00001042sv*sd*bc*sc*i*"'
	run "$VB" bind "$DEV"
	[ "$status" -eq 0 ]
	[ "$(lab_driver "$DEV")" = virtio_vfio_pci ]
	[ -d /sys/module/virtio_vfio_pci ]
	[ -d "/sys/bus/pci/devices/$DEV/vfio-dev" ]
	run "$VB" -j list "$DEV"
	lab_jq_all "$output" '.[0].driver == "virtio_vfio_pci"' '.[0].vfio_driver == true' \
		'.[0].dmabuf_export == false' '.[0].vfio != null'
}

@test "variants lab: info and export on virtio_vfio_pci name the driver and the fix (exit 5)" {
	[ "$(lab_driver "$DEV")" = virtio_vfio_pci ] || "$VB" bind "$DEV" >/dev/null
	fix="give it to vfio-pci, which can: vfiobuf unbind $DEV; vfiobuf bind --driver vfio-pci $DEV"
	run "$VB" -j info "$DEV"
	[ "$status" -eq 0 ]
	assert_schema info
	lab_jq_all "$output" '.driver == "virtio_vfio_pci"' '.dmabuf_export == false' \
		"(.dmabuf_error | startswith(\"virtio_vfio_pci, the VFIO driver it is bound to, implements no dma-buf export\"))" \
		".dmabuf_fix == \"$fix\""
	run --separate-stderr "$VB" export "$DEV" --bar 4 --exec true
	[ "$status" -eq 5 ]
	[ "$stderr" = "vfiobuf: $DEV: virtio_vfio_pci, the VFIO driver it is bound to, implements no dma-buf export: $fix: Operation not supported" ]
	run "$VB" -j doctor --no-probe "$DEV"
	lab_jq_all "$output" '.checks[] | select(.check == "driver-export") | .status == "fail"'
}

@test "variants lab: unbind restores virtio-pci; bind --driver vfio-pci then exports" {
	run "$VB" unbind "$DEV"
	[ "$status" -eq 0 ]
	[ "$(lab_driver "$DEV")" = virtio-pci ]
	run "$VB" -j bind --driver vfio-pci "$DEV"
	[ "$status" -eq 0 ]
	lab_jq_all "$output" '.devices[0].new_driver == "vfio-pci"' '.devices[0].driver_choice.reason == "forced"'
	[ "$(lab_driver "$DEV")" = vfio-pci ]
	run "$VB" export "$DEV" --bar 4 --exec sh -c 'cat /proc/self/fdinfo/$VFIOBUF_FD'
	[ "$status" -eq 0 ]
	[[ "$output" == *"exp_name:"*"vfio_pci_core"* ]]
	run "$VB" unbind "$DEV"
	[ "$status" -eq 0 ]
	[ "$(lab_driver "$DEV")" = virtio-pci ]
}

@test "variants lab: --driver refuses a driver that is not a VFIO driver" {
	run --separate-stderr "$VB" bind --driver virtio-pci "$DEV"
	[ "$status" -eq 2 ]
	[[ "$stderr" == "vfiobuf: --driver virtio-pci: not a VFIO driver"* ]]
	[ "$(lab_driver "$DEV")" = virtio-pci ]
}
