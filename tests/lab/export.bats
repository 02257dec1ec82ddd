#!/usr/bin/env bats
# info / export / recv / reset on the real 7.3 kernel (legacy group path).

load lab_helpers

setup_file() {
	[ "${LAB_GUEST:-}" = 1 ] || return 0
	"$VB" bind 04:00.0 03:00.0 >/dev/null
	"$VB" bind 06:00.0 06:00.1 >/dev/null
	# test-only raw ioctl program: the kernel's own answer to a bad range
	cc -O2 -std=gnu11 -D_GNU_SOURCE -o "$BATS_FILE_TMPDIR/raw-export" \
		"$VFIOBUF_TOP/tests/tools/raw-export.c"
}

teardown_file() {
	[ "${LAB_GUEST:-}" = 1 ] || return 0
	"$VB" unbind 04:00.0 03:00.0 06:00.0 06:00.1 >/dev/null || true
}

setup() { skip_unless_in_lab; }

fdinfo='cat /proc/self/fdinfo/$VFIOBUF_FD; echo "env $VFIOBUF_DEVICE $VFIOBUF_BAR $VFIOBUF_SIZE $VFIOBUF_RANGES"; readlink /proc/self/fd/$VFIOBUF_FD'

@test "lab info: group mode, dma-buf supported, regions" {
	run "$VB" info -j 04:00.0
	[ "$status" -eq 0 ]
	assert_schema info
	group=$(basename "$(readlink /sys/bus/pci/devices/0000:04:00.0/iommu_group)")
	echo "$output" | jq -e --arg node "/dev/vfio/$group" '.vfio_mode == "group" and .node == $node and .dmabuf_export == true
		and .memory_enabled == true and (.regions[] | select(.index == 2) | .size == 16777216)'
}

@test "lab info --vfio-mode cdev on Debian's kernel says why not" {
	run "$VB" info --vfio-mode cdev 04:00.0
	[ "$status" -eq 5 ]
	[[ "$output" == *"CONFIG_VFIO_DEVICE_CDEV"* ]]
}

@test "lab export: the whole ivshmem BAR2 to a child, fd and env as promised" {
	run "$VB" export 04:00.0 --bar 2 --exec sh -c "$fdinfo"
	[ "$status" -eq 0 ]
	grep -q '^size:	16777216$' <<<"$output"
	grep -q '^exp_name:	vfio_pci_core$' <<<"$output"
	grep -q '^name:	0000:04:00.0/bar2+0x0$' <<<"$output"
	grep -q '^env 0000:04:00.0 2 16777216 0x0:0x1000000$' <<<"$output"
	grep -q '^/dmabuf:0000:04:00.0/bar2+0x0$' <<<"$output"
	echo "$output" | grep '"event":"exported"' | jq -e '.size == 16777216 and .exp_name == "vfio_pci_core"'
	echo "$output" | grep '"event":"closed"' | jq -e '.cause == "command-exited"'
	grep '^{"event"' <<<"$output" | validate_json events
}

@test "lab export: one range and several ranges of the NVMe CMB" {
	run "$VB" export 03:00.0 --bar 2 --range 0x1000:64K --exec sh -c "$fdinfo"
	[ "$status" -eq 0 ]
	grep -q '^size:	65536$' <<<"$output"
	run "$VB" export 03:00.0 --bar 2 --range 0:4K --range 8K:4K --range 1M:1M --range 15M:1M --exec sh -c "$fdinfo"
	[ "$status" -eq 0 ]
	grep -q "^size:	$((4096 + 4096 + 2 * 1048576))$" <<<"$output"
	grep -q '^name:	0000:03:00.0/bar2+0x0#4$' <<<"$output"
}

@test "lab export: the child's exit status is the command's" {
	run "$VB" export 04:00.0 --bar 2 --exec sh -c 'exit 7'
	[ "$status" -eq 7 ]
}

@test "lab export: a command that cannot start exits 127, the device is released" {
	run --separate-stderr "$VB" export 04:00.0 --bar 2 --exec /nonexistent/cmd
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"cannot run '/nonexistent/cmd'"* ]]
	# released: the next export opens the group again
	run "$VB" export 04:00.0 --bar 2 --exec true
	[ "$status" -eq 0 ]
}

@test "lab export: the child gets the dma-buf fd, none of the VFIO fds, an empty signal mask" {
	run "$VB" export 04:00.0 --bar 2 --exec sh -c 'grep SigBlk /proc/$$/status; for f in /proc/$$/fd/*; do echo "link $(readlink $f)"; done; echo "fd=$VFIOBUF_FD"'
	[ "$status" -eq 0 ]
	grep -q '^SigBlk:	0000000000000000$' <<<"$output"
	grep -q '^link /dmabuf:0000:04:00.0/bar2+0x0$' <<<"$output"
	! grep -q '^link /dev/vfio' <<<"$output"
	! grep -q '^link anon_inode:\[vfio' <<<"$output"
}

@test "lab export --send-to -> recv across two processes and two users" {
	sock=/tmp/vfiobuf-recv.sock
	rm -f "$sock"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$VB" recv --listen "$sock" --mode 0666 >"$BATS_TEST_TMPDIR/recv.out" 2>&1 &
	for i in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	run "$VB" export 04:00.0 --bar 2 --range 0:64K --send-to "$sock"
	[ "$status" -eq 0 ]
	wait
	exported=$(echo "$output" | grep '"event":"exported"')
	received=$(cat "$BATS_TEST_TMPDIR/recv.out")
	echo "$received" | jq -e '.event == "received" and .fdinfo.exp_name == "vfio_pci_core" and .fdinfo.size == 65536'
	[ "$(echo "$exported" | jq .ino)" = "$(echo "$received" | jq .fdinfo.ino)" ]
	echo "$output" | grep '"event":"closed"' | jq -e '.cause == "receiver-closed"'
	grep '^{"event"' <<<"$output" | validate_json events
	validate_json events <<<"$received"
}

@test "lab export: bad ranges are refused before the kernel, and the kernel agrees" {
	raw="$BATS_FILE_TMPDIR/raw-export"
	# control: the raw program can export, so its refusals below mean something
	run "$raw" 0000:04:00.0 2 0x1000 0x1000
	[ "$status" -eq 0 ]
	[ "$output" = "exported size=4096" ]
	# OFFSET LENGTH (numbers for the raw program) : errno the kernel gives
	for c in "0x123 0x1000 EINVAL" "0x0 0x0 EINVAL" "0x0 0x1800 EINVAL" "0x0 0x2000000 EINVAL" \
		"0xf00000 0x200000 EINVAL" "0xfffffffffffff000 0x2000 EOVERFLOW"; do
		set -- $c
		run "$VB" export 04:00.0 --bar 2 --range "$1:$2" --exec true
		echo "vfiobuf $1:$2 -> $status $output"
		[ "$status" -eq 2 ]
		[[ "$output" == "vfiobuf: 0000:04:00.0: range $1:$2: "* ]]
		run "$raw" 0000:04:00.0 2 "$1" "$2"
		echo "kernel $1:$2 -> $status $output"
		[ "$status" -eq 1 ]
		[[ "$output" == "refused errno=$3 "* ]]
	done
	# BAR index past the BARs: we say out of range, the kernel says ENODEV
	run "$VB" export 04:00.0 --bar 7 --exec true
	[ "$status" -eq 2 ]
	run "$raw" 0000:04:00.0 7 0 0x1000
	[[ "$output" == "refused errno=ENODEV "* ]]
}

@test "lab export: an I/O BAR is refused by us and by the kernel" {
	run "$VB" export 06:00.0 --bar 1 --exec true
	[ "$status" -eq 2 ]
	[[ "$output" == *"BAR 1 is an I/O-port BAR"* ]]
	run "$BATS_FILE_TMPDIR/raw-export" 0000:06:00.0 1 0 0x1000
	[ "$status" -eq 1 ]
	[[ "$output" == "refused errno=EINVAL "* ]]
}

@test "lab export: a device not on vfio-pci says how to bind it" {
	run "$VB" export 05:00.0 --bar 0 --exec true
	[ "$status" -eq 5 ]
	[[ "$output" == *"run 'vfiobuf bind 0000:05:00.0' first"* ]]
}

@test "lab export --hold: SIGUSR1 reset reports revoked then restored; busy for others" {
	"$VB" export 04:00.0 --bar 2 --hold >"$BATS_TEST_TMPDIR/hold.out" 2>&1 &
	pid=$!
	wait_until grep -q exported "$BATS_TEST_TMPDIR/hold.out"
	run "$VB" reset 04:00.0
	[ "$status" -eq 6 ]
	[[ "$output" == *"another process owns the device"* ]]
	kill -USR1 $pid
	wait_until grep -q restored "$BATS_TEST_TMPDIR/hold.out"
	kill -TERM $pid
	wait $pid
	run cat "$BATS_TEST_TMPDIR/hold.out"
	events=$(grep -o '"event":"[a-z]*"' <<<"$output" | tr '\n' ' ')
	[ "$events" = '"event":"exported" "event":"revoked" "event":"restored" "event":"revoked" "event":"closed" ' ]
	grep '"cause":"device-closed"' <<<"$output" | jq -e '.permanent == true'
	grep '^{"event"' <<<"$output" | validate_json events
}

@test "lab reset: revoke and restore events; kill -9 of a holder leaves no stale state" {
	"$VB" export 04:00.0 --bar 2 --hold >"$BATS_TEST_TMPDIR/hold.out" 2>&1 &
	pid=$!
	wait_until grep -q exported "$BATS_TEST_TMPDIR/hold.out"
	kill -9 $pid
	wait $pid || true
	run "$VB" reset -j 04:00.0
	[ "$status" -eq 0 ]
	assert_schema events
	[ "$(echo "$output" | jq -r .event | tr '\n' ' ')" = "revoked restored " ]
}

@test "lab verify on Debian's kernel (no IOMMUFD): exit 5, says what is missing" {
	[ "${LAB_KERNEL:-debian}" = debian ] || skip "Debian's kernel only"
	run "$VB" verify 04:00.0 --bar 2 --range 0:4K
	[ "$status" -eq 5 ]
	[[ "$output" == *"this kernel has no iommufd (CONFIG_IOMMUFD)"* ]]
}
