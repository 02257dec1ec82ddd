#!/usr/bin/env bats
# VFIO variant drivers (issue 19) on the variants fixture: bind's choice from
# modules.alias (most specific vfio_pci: alias, else vfio-pci), --driver,
# the one "is a VFIO driver" rule, and what list/doctor say of dma-buf export.

load helpers/common
load helpers/schema
load fixtures/fixture_helpers

vb() { "$VB" --sysfs-root "$root/sys" "$@"; }

@test "the most specific alias wins: vendor+device beats vendor-only, a subsystem alias that does not match is ignored" {
	root=$(fixture variants)
	run vb -j bind --dry-run 02:00.0 03:00.0
	[ "$status" -eq 0 ]
	assert_schema bind
	echo "$output" | jq -e '[.devices[] | {bdf, new_driver, r: .driver_choice.reason, a: .driver_choice.alias}] == [
		{"bdf":"0000:02:00.0","new_driver":"virtio_vfio_pci","r":"alias","a":"vfio_pci:v00001AF4d00001042sv*sd*bc*sc*i*"},
		{"bdf":"0000:03:00.0","new_driver":"mlx5_vfio_pci","r":"alias","a":"vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*"}]'
	echo "$output" | jq -e '.devices[0].driver_choice.modalias == "pci:v00001AF4d00001042sv00001AF4sd00001100bc01sc00i00"
		and .devices[0].driver_choice.modules_alias == "/lib/modules/7.3.4+deb13-amd64/modules.alias"
		and .devices[0].driver_choice.module == "virtio_vfio_pci"'
}

@test "a vendor-only alias is chosen only when nothing more specific matches" {
	root=$(fixture variants)
	run vb -j bind --dry-run 08:00.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.devices[0].new_driver == "acme_vfio_pci"
		and .devices[0].driver_choice.alias == "vfio_pci:v00001AF4d*sv*sd*bc*sc*i*"'
}

@test "--dry-run says which driver and why: alias, and the fallback to vfio-pci" {
	root=$(fixture variants)
	run vb bind --dry-run 01:00.0
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "write 'nvgrace_gpu_vfio_pci\\n' to $root/sys/bus/pci/devices/0000:01:00.0/driver_override" ]
	[ "${lines[3]}" = "0000:01:00.0: nvidia -> nvgrace_gpu_vfio_pci  /dev/vfio/10" ]
	[ "${lines[4]}" = "  nvgrace_gpu_vfio_pci: alias vfio_pci:v000010DEd00002342sv*sd*bc*sc*i* of module nvgrace_gpu_vfio_pci matches pci:v000010DEd00002342sv000010DEsd000016EBbc03sc02i00 most specifically (5 wildcards)" ]
	run vb bind --dry-run 04:00.0
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "write 'vfio-pci\\n' to $root/sys/bus/pci/devices/0000:04:00.0/driver_override" ]
	[ "${lines[4]}" = "  vfio-pci: fallback, no variant driver's vfio_pci: alias in /lib/modules/7.3.4+deb13-amd64/modules.alias matches pci:v00008086d00000A54sv00008086sd00004804bc01sc08i02" ]
	run vb -j bind --dry-run 04:00.0
	echo "$output" | jq -e '.devices[0].driver_choice == {"reason":"fallback","module":"vfio_pci","alias":null,
		"modalias":"pci:v00008086d00000A54sv00008086sd00004804bc01sc08i02",
		"modules_alias":"/lib/modules/7.3.4+deb13-amd64/modules.alias"}'
}

@test "without a modules.alias every device falls back to vfio-pci, saying why" {
	root=$(fixture_copy variants)
	rm "$root/lib/modules/7.3.4+deb13-amd64/modules.alias"
	run vb bind --dry-run 02:00.0
	[ "$status" -eq 0 ]
	[ "${lines[3]}" = "0000:02:00.0: virtio-pci -> vfio-pci  /dev/vfio/11" ]
	[[ "${lines[4]}" == "  vfio-pci: fallback, modules.alias not read ($root/lib/modules/7.3.4+deb13-amd64/modules.alias: No such file or directory)" ]]
}

@test "the release comes from the root's osrelease: another release's files are not read" {
	root=$(fixture_copy variants)
	echo 9.9.9-other >"$root/proc/sys/kernel/osrelease"
	run vb -j bind --dry-run 02:00.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.devices[0].new_driver == "vfio-pci" and .devices[0].driver_choice.modules_alias == null'
}

@test "--driver forces a VFIO driver, loaded or only in modules.dep" {
	root=$(fixture variants)
	run vb -j bind --dry-run --driver vfio-pci 02:00.0
	[ "$status" -eq 0 ]
	assert_schema bind
	echo "$output" | jq -e '.devices[0].new_driver == "vfio-pci" and .devices[0].driver_choice.reason == "forced"
		and .writes[0].value == "vfio-pci\n"'
	run vb bind --dry-run --driver virtio_vfio_pci 01:00.0
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "write 'virtio_vfio_pci\\n' to $root/sys/bus/pci/devices/0000:01:00.0/driver_override" ]
	[ "${lines[4]}" = "  virtio_vfio_pci: from --driver (module virtio_vfio_pci)" ]
	# a device on another VFIO driver is moved too
	run vb -j bind --dry-run --driver vfio-pci 05:00.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.devices[0].old_driver == "mlx5_vfio_pci" and .devices[0].new_driver == "vfio-pci"'
}

@test "--driver refuses a driver that is not a VFIO driver: exit 2, one line, a JSON error, nothing written" {
	root=$(fixture_copy variants)
	run --separate-stderr vb bind --driver nvme 02:00.0
	[ "$status" -eq 2 ]
	[ "$stderr" = "vfiobuf: --driver nvme: not a VFIO driver (not vfio-pci, no device bound to it is a VFIO device, and its module neither depends on vfio_pci_core nor has vfio_pci: aliases)" ]
	[ -z "$output" ]
	run --separate-stderr vb -j bind --dry-run --driver mlx5_core 02:00.0
	[ "$status" -eq 2 ]
	assert_schema error
	echo "$output" | jq -e '.error.exit_code == 2 and (.error.message | startswith("--driver mlx5_core: not a VFIO driver"))'
	[ "$(cat "$root/sys/bus/pci/devices/0000:02:00.0/driver_override")" = "(null)" ]
	[ ! -e "$root/run/vfiobuf/state.json" ]
	run vb bind --dry-run --driver ../vfio-pci 02:00.0
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid driver name '../vfio-pci'"* ]]
}

@test "a device already on a VFIO variant is left alone" {
	root=$(fixture variants)
	run vb -j bind --dry-run 05:00.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '(.writes | length) == 0 and .devices[0].new_driver == "mlx5_vfio_pci"
		and .devices[0].changed == false and .devices[0].driver_choice.reason == "current"'
}

@test "group viability: a member on a variant driver counts as VFIO" {
	root=$(fixture_copy variants)
	# move the nvme, then the ConnectX VF on mlx5_core, into the group of
	# the function on mlx5_vfio_pci
	join_group() {
		ln -sfn "$root/sys/kernel/iommu_groups/14" "$root/sys/bus/pci/devices/$1/iommu_group"
		ln -s "$root/sys/bus/pci/devices/$1" "$root/sys/kernel/iommu_groups/14/devices/$1"
	}
	join_group 0000:04:00.0
	run vb bind --dry-run 04:00.0
	[ "$status" -eq 0 ]
	join_group 0000:03:00.0
	run vb bind --dry-run 04:00.0
	[ "$status" -eq 6 ]
	[[ "$output" == *"also holds 0000:03:00.0 (mlx5_core)"* ]]
	[[ "$output" != *"mlx5_vfio_pci"* ]]
}

@test "list -j: vfio_driver and dmabuf_export beside the driver; the table marks ! and ?" {
	root=$(fixture variants)
	run vb -j list
	[ "$status" -eq 0 ]
	assert_schema list
	echo "$output" | jq -e '[.[] | select(.bdf | test("0[1-7]:00.0$")) | [.driver, .vfio_driver, .dmabuf_export]] == [
		["nvidia", false, false], ["virtio-pci", false, false], ["mlx5_core", false, false],
		["nvme", false, false], ["mlx5_vfio_pci", true, false], ["nvgrace_gpu_vfio_pci", true, true],
		["acme_vfio_pci", true, null]]'
	run vb list
	[ "$status" -eq 0 ]
	[[ "$output" == *"0000:05:00.0  15b3:101e  0200  mlx5_vfio_pci!  "* ]]
	[[ "$output" == *"0000:06:00.0  10de:2342  0302  nvgrace_gpu_vfio_pci   "* ]]
	[[ "$output" == *"0000:07:00.0  1af4:1041  0200  acme_vfio_pci?  "* ]]
	[ "${lines[-1]}" = "! a VFIO driver without dma-buf export, ? one vfiobuf does not know (Linux 7.3's drivers; 'vfiobuf info' probes)" ]
}

@test "doctor DEVICE: driver-export says whether the bound driver exports, and the fix for this device" {
	root=$(fixture variants)
	run vb -j doctor 05:00.0 06:00.0 07:00.0
	assert_schema doctor
	echo "$output" | jq -e '[.checks[] | select(.check == "driver-export") | [.bdf, .status]] ==
		[["0000:05:00.0","fail"],["0000:06:00.0","ok"],["0000:07:00.0","warn"]]'
	echo "$output" | jq -e '.checks[] | select(.check == "driver-export" and .bdf == "0000:05:00.0") |
		(.message | startswith("mlx5_vfio_pci implements no dma-buf export"))
		and .hint == "give it to vfio-pci, which can: vfiobuf unbind 0000:05:00.0; vfiobuf bind --driver vfio-pci 0000:05:00.0"'
}

@test "the fix names the exporting variant whose alias matches: a GH200 on mlx5's driver goes to nvgrace_gpu_vfio_pci" {
	root=$(fixture_copy variants)
	# 06:00.0 is a GH200: pretend it sits on a variant that cannot export
	mv "$root/sys/bus/pci/drivers/nvgrace_gpu_vfio_pci/0000:06:00.0" "$root/sys/bus/pci/drivers/mlx5_vfio_pci/"
	ln -sfn ../../../../bus/pci/drivers/mlx5_vfio_pci "$root/sys/bus/pci/devices/0000:06:00.0/driver"
	run vb -j doctor 06:00.0
	echo "$output" | jq -e '.checks[] | select(.check == "driver-export") |
		.status == "fail" and (.hint | endswith("vfiobuf bind --driver nvgrace_gpu_vfio_pci 0000:06:00.0"))'
}

@test "completion: bind --driver offers the VFIO drivers" {
	root=$(fixture variants)
	run vb __complete bind --driver ''
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' vfio-pci nvgrace_gpu_vfio_pci virtio_vfio_pci mlx5_vfio_pci acme_vfio_pci)" ]
}

@test "--from-config binds each recorded device to its recorded VFIO driver; other drivers' lines are left alone" {
	root=$(fixture_copy variants)
	mkdir -p "$root/etc/vfiobuf"
	printf '0000:02:00.0 vfio-pci\n0000:04:00.0 nvme\n0000:03:00.0 virtio_vfio_pci\n0000:01:00.0 nvgrace_gpu_vfio_pci\n' \
		>"$root/etc/vfiobuf/overrides"
	run vb -j bind --dry-run --from-config
	[ "$status" -eq 0 ]
	assert_schema bind
	echo "$output" | jq -e '[.devices[] | [.bdf, .new_driver, .driver_choice.reason]] == [
		["0000:02:00.0","vfio-pci","forced"], ["0000:03:00.0","virtio_vfio_pci","forced"],
		["0000:01:00.0","nvgrace_gpu_vfio_pci","forced"]]'
	# a named device is chosen as usual beside them
	run vb -j bind --dry-run --from-config 08:00.0
	echo "$output" | jq -e '.devices[0] | .bdf == "0000:08:00.0" and .new_driver == "acme_vfio_pci"'
}

@test "snapshot: modules.alias comes along (its vfio lines), so a replayed doctor names the same fix" {
	root=$(fixture_copy variants)
	# the GH200 at 06:00.0 on a driver that cannot export: the fix needs the aliases
	mv "$root/sys/bus/pci/drivers/nvgrace_gpu_vfio_pci/0000:06:00.0" "$root/sys/bus/pci/drivers/mlx5_vfio_pci/"
	ln -sfn ../../../../bus/pci/drivers/mlx5_vfio_pci "$root/sys/bus/pci/devices/0000:06:00.0/driver"
	"$VB" --sysfs-root "$root/sys" snapshot -q -o "$BATS_TEST_TMPDIR/s.tar.gz"
	tar -xzOf "$BATS_TEST_TMPDIR/s.tar.gz" --wildcards '*/lib/modules/7.3.4+deb13-amd64/modules.alias' >"$BATS_TEST_TMPDIR/alias"
	grep -qx 'alias vfio_pci:v000010DEd00002342sv\*sd\*bc\*sc\*i\* nvgrace_gpu_vfio_pci' "$BATS_TEST_TMPDIR/alias"
	! grep -q ' nvme$' "$BATS_TEST_TMPDIR/alias" # only what bind and doctor read
	live=$(vb -j doctor --no-probe 06:00.0) || true
	replay=$("$VB" --snapshot "$BATS_TEST_TMPDIR/s.tar.gz" -j doctor --no-probe 06:00.0) || true
	[ "$live" = "$replay" ]
	echo "$replay" | jq -e '.checks[] | select(.check == "driver-export") | .hint | endswith("--driver nvgrace_gpu_vfio_pci 0000:06:00.0")'
}
