#!/usr/bin/env bats
# bind/unbind on fixture trees: planning, refusals, dry-run writes, state.
# (Fixture trees are plain files: the kernel's driver moves happen only in
# the lab, tests/lab/bind.bats.)

load helpers/common
load helpers/schema
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
	assert_schema bind
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
	assert_schema bind
	echo "$output" | jq -e '.writes == [] and .devices[0].changed == false
		and .devices[0].vfio.group == "/dev/vfio/20" and .devices[0].vfio.cdev == "/dev/vfio/devices/vfio0"'
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
	assert_schema unbind
	[ -n "$output" ] && jq -e '(.warnings[0] | contains("--driver given")) and .devices[0].new_driver == "nvme"' <<<"$output"
}

@test "bind --from-config plans the devices in /etc/vfiobuf/overrides" {
	root=$(fixture_copy qemu-lab)
	mkdir -p "$root/etc/vfiobuf"
	printf '# comment\n0000:04:00.0 vfio-pci\n0000:06:00.0 other\n' >"$root/etc/vfiobuf/overrides"
	run vb bind -j --dry-run --from-config
	[ "$status" -eq 0 ]
	assert_schema bind
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
	[ "${lines[2]}" = "* bound to a VFIO driver by vfiobuf ('vfiobuf unbind' gives it back)" ]
	run vb list -j
	echo "$output" | jq -e '[.[] | select(.bound_by_vfiobuf)] == [.[] | select(.bdf == "0000:07:00.0")]
		and (.[] | select(.bdf == "0000:07:00.0") | .original_driver == "nvme")'
}

# jq 1.6 exits 0 on empty input: the output must be there and match
out_is() { [ -n "$output" ] && jq -e "$1" <<<"$output" >/dev/null; }

@test "bind: a state file that cannot be written moves nothing (the record comes first)" {
	root=$(fixture_copy qemu-lab)
	mkdir -p "$root/run/vfiobuf"
	# a state of 2 KiB under a 1 KiB file size limit: the save fails with
	# EFBIG, as on a full disk, while the tiny sysfs writes would succeed
	jq -n '{version:1, devices:([range(40)] | map({key:"0000:f0:\(10 + (. / 8 | floor)).\(. % 8)",
		value:{driver:"nvme",time:0}}) | from_entries)}' >"$root/run/vfiobuf/state.json"
	cp "$root/run/vfiobuf/state.json" "$BATS_TEST_TMPDIR/before.json"
	run bash -c 'trap "" XFSZ; ulimit -f 1; exec "$0" --sysfs-root "$1/sys" bind 03:00.0' "$VB" "$root"
	[ "$status" -eq 1 ]
	[ "$output" = "vfiobuf: cannot record the drivers before moving the devices (nothing was changed): cannot write state file $root/run/vfiobuf/state.json: File too large" ]
	# not one sysfs write: the override and the nvme unbind file untouched
	[ "$(cat "$root/sys/bus/pci/devices/0000:03:00.0/driver_override")" = "(null)" ]
	[ ! -s "$root/sys/bus/pci/drivers/nvme/unbind" ]
	[ ! -s "$root/sys/bus/pci/drivers_probe" ]
	cmp "$root/run/vfiobuf/state.json" "$BATS_TEST_TMPDIR/before.json"
	[ -z "$(find "$root/run/vfiobuf" -name 'state.json.*' ! -name state.json.lock)" ]
}

@test "8 binds and unbinds at once: state.json and overrides lose nothing" {
	root=$(fixture_copy server-2s)
	vfio="0000:03:00.0 0000:04:00.0 0000:05:00.0 0000:06:00.0 0000:07:00.0 0000:85:00.0"
	for d in $vfio; do
		ln -sfn "$root/sys/bus/pci/drivers/vfio-pci" "$root/sys/bus/pci/devices/$d/driver"
	done
	mkdir -p "$root/run/vfiobuf"
	# records for the six vfio devices (unbind drops them) and four that
	# nobody touches (they must survive)
	jq -n --arg v "$vfio" '{version:1, devices:(($v | split(" ")) + ["0000:f0:00.0","0000:f0:00.1",
		"0000:f0:00.2","0000:f0:00.3"] | map({key:., value:{driver:"nvme",time:0}}) | from_entries)}' \
		>"$root/run/vfiobuf/state.json"
	i=0
	for d in $vfio; do
		i=$((i + 1))
		( for k in 1 2 3 4 5 6; do
			vb unbind --none --persist "$d" >/dev/null || exit 10
			vb bind --persist "$d" >/dev/null || exit 11
		  done ) 2>"$BATS_TEST_TMPDIR/err$i" &
	done
	# two more bind host devices, which a fixture never lets vfio-pci claim:
	# each run records the intent, rolls back and drops it again
	for d in 0000:83:00.0 0000:84:00.0; do
		i=$((i + 1))
		( for k in 1 2 3 4 5 6; do
			out=$(vb bind "$d" 2>&1) && exit 12
			[[ "$out" == *"every device was put back on its previous driver" ]] || { echo "$out"; exit 13; }
		  done ) 2>"$BATS_TEST_TMPDIR/err$i" &
	done
	fails=0
	for job in $(jobs -p); do wait "$job" || fails=$((fails + 1)); done
	cat "$BATS_TEST_TMPDIR"/err*
	[ "$fails" -eq 0 ]
	# every record the runs dropped is gone, every other one is there
	jq -e '.devices | keys == ["0000:f0:00.0","0000:f0:00.1","0000:f0:00.2","0000:f0:00.3"]' \
		"$root/run/vfiobuf/state.json"
	[ "$(grep -v '^#' "$root/etc/vfiobuf/overrides" | sort | tr '\n' ' ')" = \
	  "$(for d in $vfio; do echo "$d vfio-pci"; done | sort | tr '\n' ' ')" ]
	[ -z "$(find "$root/run/vfiobuf" "$root/etc/vfiobuf" -name '*.*' ! -name '*.lock' ! -name state.json)" ]
}

@test "crafted state: a driver that is a path is refused, nothing written outside sysfs" {
	root=$(fixture_copy server-2s)
	mkdir -p "$root/run/vfiobuf"
	echo '{"version":1,"devices":{"0000:07:00.0":{"driver":"../../../../../evil","time":0}}}' \
		>"$root/run/vfiobuf/state.json"
	run --separate-stderr vb unbind 07:00.0
	[ "$status" -eq 1 ]
	[ "$stderr" = "vfiobuf: 0000:07:00.0: state file $root/run/vfiobuf/state.json: recorded driver '../../../../../evil' is not a driver name (1-255 letters, digits, _ - . + :); refusing to use it" ]
	[ ! -s "$root/sys/bus/pci/drivers/vfio-pci/unbind" ]
	[ ! -e "$root/evil" ] && [ ! -e "$root/sys/evil" ]
	for bad in '{"version":1,"devices":{"../x":{"driver":"nvme"}}}' \
		   '{"version":1,"devices":{"0000:07:00.0":{"driver":"."}}}' \
		   '{"version":1,"devices":{"0000:07:00.0":{"driver":"a b"}}}' \
		   '{"version":1,"devices":{"0000:07:00.0":{"driver":7}}}' \
		   '{"version":1,"devices":{"07:00.0":{"driver":"nvme"}}}'; do
		echo "$bad" >"$root/run/vfiobuf/state.json"
		run vb unbind --dry-run 07:00.0
		[ "$status" -eq 1 ]
		[[ "$output" == *"state file $root/run/vfiobuf/state.json"* ]]
	done
}

@test "crafted overrides: a bad line is an error naming it; written with mode 0644 whatever the umask" {
	root=$(fixture_copy server-2s)
	mkdir -p "$root/etc/vfiobuf"
	printf '# comment\n0000:07:00.0 ../../x\n' >"$root/etc/vfiobuf/overrides"
	run vb bind --dry-run --from-config
	[ "$status" -eq 1 ]
	[[ "$output" == *"$root/etc/vfiobuf/overrides line 2 is not 'BDF DRIVER'"* ]]
	rm "$root/etc/vfiobuf/overrides"
	run bash -c 'umask 000; exec "$0" --sysfs-root "$1/sys" bind --persist 07:00.0' "$VB" "$root"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$root/etc/vfiobuf/overrides")" = 644 ]
	[ "$(stat -c %a "$root/run/vfiobuf/state.json")" = 644 ]
	[ "$(stat -c %a "$root/run/vfiobuf/state.json.lock")" = 600 ]
	run bash -c 'umask 077; exec "$0" --sysfs-root "$1/sys" bind --persist 07:00.0' "$VB" "$root"
	[ "$(stat -c %a "$root/etc/vfiobuf/overrides")" = 644 ]
	[ "$(grep -c '^0000:07:00.0 vfio-pci$' "$root/etc/vfiobuf/overrides")" -eq 1 ]
}

# A host bridge and one IOMMU group of N functions (devices 1.., 8 functions
# each) on driver DRV, as a fixture root.
big_group() {
	local n=$1 drv=$2 out=$BATS_TEST_TMPDIR/big i devs=""
	for ((i = 0; i < n; i++)); do
		devs+=$(printf ', {"slot": "%02x.%d", "id": "8086:10d3", "class": "020000", "kind": "rciep", "driver": "%s", "iommu_group": 7, "multifunction": true}' \
			$((i / 8 + 1)) $((i % 8)) "$drv")
	done
	printf '{"cpu": {"vendor": "GenuineIntel", "family": 6, "model": 85}, "host_bridges": [{"domain": 0, "bus": 0, "devices": [{"slot": "00.0", "id": "8086:2020", "class": "060000", "kind": "host-bridge", "iommu_group": 0}%s]}]}\n' \
		"$devs" >"$out.json"
	"$FIXTURES_DIR/gen-sysfs" "$out.json" "$out" >&2
	echo "$out"
}

@test "bind --group on a group of 74 functions plans all 74" {
	root=$(big_group 74 e1000e)
	run vb bind -j --dry-run --group 0000:00:01.0
	[ "$status" -eq 0 ]
	assert_schema bind
	out_is '(.devices | length) == 74 and (.writes | length) == 222'
	# without --group: the 73 others named whole, never cut mid-name
	run --separate-stderr vb bind --dry-run 0000:00:01.0
	[ "$status" -eq 6 ]
	[[ "$stderr" =~ ^"vfiobuf: 0000:00:01.0: IOMMU group 7 also holds ""0000:00:01.1 (e1000e), 0000:00:01.2 (e1000e), "(0000:00:[0-9a-f]{2}\.[0-7]" (e1000e), ")+"and "[0-9]+" more: bind them too, or use --group"$ ]]
	shown=$(grep -o '0000:00:[0-9a-f]*\.[0-7] (e1000e)' <<<"$stderr" | wc -l)
	more=$(sed -n 's/.* and \([0-9]*\) more:.*/\1/p' <<<"$stderr")
	[ $((shown + more)) -eq 73 ]
}

@test "a driver name of 64+ characters is read whole, not as 'no driver'" {
	long=very_long_driver_name_$(printf 'x%.0s' {1..80})
	root=$(big_group 2 "$long")
	# the group's other member is on that driver: refused, naming it
	run vb bind --dry-run 0000:00:01.0
	[ "$status" -eq 6 ]
	[[ "$output" == *"also holds 0000:00:01.1 ($long)"* ]]
	run vb bind -j --dry-run --group 0000:00:01.0
	[ "$status" -eq 0 ]
	assert_schema bind
	[ -n "$output" ] && jq -e --arg l "$long" '[.devices[].old_driver] == [$l, $l]
		and ([.writes[].path | select(endswith("/drivers/" + $l + "/unbind"))] | length) == 2' <<<"$output"
}

@test "unbind --driver: long names whole, over 255 or not a name refused" {
	root=$(fixture_copy server-2s)
	long=d$(printf 'x%.0s' {1..99})
	run vb unbind -j --dry-run --driver "$long" 07:00.0
	[ "$status" -eq 0 ]
	assert_schema unbind
	[ -n "$output" ] && jq -e --arg l "$long" '.devices[0].new_driver == $l' <<<"$output"
	run vb unbind --dry-run --driver "d$(printf 'x%.0s' {1..255})" 07:00.0
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid --driver"* ]]
	for bad in .. . 'a/b' '' 'x y'; do
		run vb unbind --dry-run --driver "$bad" 07:00.0
		[ "$status" -eq 2 ]
	done
}

@test "state and overrides that others can write, or symlinks, are not trusted" {
	root=$(fixture_copy server-2s)
	mkdir -p "$root/run/vfiobuf" "$root/etc/vfiobuf"
	echo '{"version":1,"devices":{"0000:07:00.0":{"driver":"nvme","time":0}}}' >"$root/run/vfiobuf/state.json"
	chmod 666 "$root/run/vfiobuf/state.json"
	run vb unbind --dry-run 07:00.0
	[ "$status" -eq 1 ]
	[[ "$output" == *"state file $root/run/vfiobuf/state.json (owner uid $(id -u), mode 0666) is not a regular file owned by root and writable only by it: refusing to trust it" ]]
	# list only loses its marks
	run vb list -j 07:00.0
	[ "$status" -eq 0 ]
	assert_schema list
	out_is '.[0].bound_by_vfiobuf == false'
	chmod 644 "$root/run/vfiobuf/state.json"
	mv "$root/run/vfiobuf/state.json" "$root/run/elsewhere.json"
	ln -s ../elsewhere.json "$root/run/vfiobuf/state.json"
	run vb unbind --dry-run 07:00.0
	[ "$status" -eq 1 ]
	[[ "$output" == *"state file $root/run/vfiobuf/state.json is a symbolic link: refusing to follow it"* ]]
	rm "$root/run/vfiobuf/state.json"
	printf '0000:07:00.0 vfio-pci\n' >"$root/etc/vfiobuf/overrides"
	chmod 664 "$root/etc/vfiobuf/overrides"
	run vb bind --dry-run --from-config
	[ "$status" -eq 1 ]
	[[ "$output" == *"overrides file $root/etc/vfiobuf/overrides (owner uid $(id -u), mode 0664)"*"refusing to trust it" ]]
}
