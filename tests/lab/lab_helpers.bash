# bats helpers for suites that run inside the QEMU lab guest.
# shellcheck disable=SC2034 # variables for the suites that load this file
# Device IDs of the lab topology (tests/lab/lab-run, topology "default").
LAB_NVME_ID=1b36:0010     # 03:00.0 behind the switch (16 MiB CMB), 07:00.0 on root port 00:05.0
LAB_IVSHMEM_ID=1af4:1110  # 04:00.0 behind the switch, BAR2 16 MiB
LAB_EDU_ID=1234:11e8      # 05:00.0 on root port 00:03.0
LAB_TESTDEV_ID=1b36:0005  # 06:00.0 and 06:00.1 on root port 00:04.0 (I/O BAR 1)
LAB_VIRTIO_BLK_ID=1af4:1042 # 08:00.0 on root port 00:06.0, iommufd kernel only (modern-only)

VFIOBUF_TOP=${VFIOBUF_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VB="$VFIOBUF_TOP/vfiobuf"
# assert_schema NAME: the output validates against schema/NAME.schema.json
. "$VFIOBUF_TOP/tests/helpers/schema.bash"
bats_require_minimum_version 1.5.0

# Lab suites only ever run in the guest: on any other machine they skip.
skip_unless_in_lab() {
	[ "${LAB_GUEST:-}" = 1 ] && [ "$(hostname)" = vfiobuf-lab ] || skip "only inside the QEMU lab guest"
}

# BDFs with a vendor:device ID, one per line.
lab_find() {
	lspci -D -n -d "$1" | awk '{print $1}'
}

lab_driver() {
	local l=/sys/bus/pci/devices/$1/driver
	[ -L "$l" ] && basename "$(readlink "$l")" || echo none
}

# The only BDF with a vendor:device ID (fails unless there is exactly one).
lab_find_one() {
	local l
	l=$(lab_find "$1")
	[ -n "$l" ] && [ "$(wc -l <<<"$l")" -eq 1 ] || { echo "lab: expected one $1, got: ${l:-none}" >&2; return 1; }
	echo "$l"
}

# vfio-pci and the type1 IOMMU backend, loaded (idempotent).
lab_load_vfio() {
	modprobe vfio-pci && modprobe vfio_iommu_type1 && [ -c /dev/vfio/vfio ]
}

# Plain sysfs bind to vfio-pci (for suites that need a device on vfio-pci
# regardless of `vfiobuf bind`).
lab_bind_vfio() {
	local bdf=$1 d=/sys/bus/pci/devices/$1
	lab_load_vfio || return 1
	echo vfio-pci >"$d/driver_override"
	[ -L "$d/driver" ] && echo "$bdf" >"$d/driver/unbind"
	echo "$bdf" >/sys/bus/pci/drivers_probe
	[ "$(lab_driver "$bdf")" = vfio-pci ]
}

lab_unbind_vfio() {
	local bdf=$1 d=/sys/bus/pci/devices/$1
	echo >"$d/driver_override"
	[ -L "$d/driver" ] && echo "$bdf" >"$d/driver/unbind"
	echo "$bdf" >/sys/bus/pci/drivers_probe
	true
}

lab_group() {
	basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"
}

# lab_jq_all JSON FILTER...: every filter is true of JSON, checked with one jq
# process (jq takes ~0.4 s to start under TCG); on failure, names the false ones.
lab_jq_all() {
	local json=$1 f prog=true
	shift
	for f in "$@"; do prog="$prog and ($f)"; done
	jq -e "$prog" <<<"$json" >/dev/null && return 0
	for f in "$@"; do
		jq -e "$f" <<<"$json" >/dev/null || echo "false for this JSON: $f" >&2
	done
	echo "$json" >&2
	return 1
}

# wait_until CMD...: poll CMD up to 20 s
. "$VFIOBUF_TOP/tests/helpers/broker.bash"

# uevent_listening PID: PID has a kobject uevent netlink socket (protocol
# 15) joined to a multicast group, i.e. `monitor --uevents` is listening
uevent_listening() {
	local inodes
	inodes=$(ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	[ -n "$inodes" ] || return 1
	awk -v ino=" $inodes" '$2 == 15 && $4 != "00000000" && index(ino, " " $NF " ") { found = 1 } END { exit !found }' \
		/proc/net/netlink
}

# count_in FILE PATTERN: lines of FILE matching PATTERN (0 when none)
count_in() { grep -c "$2" "$1" 2>/dev/null || true; }
