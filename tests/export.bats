#!/usr/bin/env bats
# export/info/recv/reset on fixtures: every bad input is refused before any
# kernel call, with the documented exit code.  (Real exports: tests/lab.)

load helpers/common
load helpers/schema
load fixtures/fixture_helpers

vb() { "$VB" --sysfs-root "$root/sys" "$@"; }

@test "export: range errors name the device, the value and the reason" {
	root=$(fixture qemu-lab)
	run vb export 04:00.0 --bar 2 --range 0x123:4K --hold
	[ "$status" -eq 2 ]
	[ "$output" = "vfiobuf: 0000:04:00.0: range 0x123:0x1000: offset 0x123 is not a multiple of the page size (4096)" ]
	run vb export 04:00.0 --bar 2 --range 0:32M --hold
	[ "$status" -eq 2 ]
	[[ "$output" == *"past the end of BAR 2 (0x1000000 bytes)" ]]
	run vb export 04:00.0 --bar 2 --range 0xfffffffffffff000:0x2000 --hold
	[ "$status" -eq 2 ]
	[[ "$output" == *"offset + length overflows 64 bits" ]]
	run vb export 04:00.0 --bar 2 --range 0:0 --hold
	[ "$status" -eq 2 ]
	[[ "$output" == *"length is zero" ]]
}

@test "export: BAR index, I/O BAR, absent BAR" {
	root=$(fixture qemu-lab)
	run vb export 04:00.0 --bar 6 --hold
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid --bar '6' (a BAR index 0-5)" ]]
	run vb export 06:00.0 --bar 1 --hold
	[ "$status" -eq 2 ]
	[[ "$output" == *"BAR 1 is an I/O-port BAR; only memory BARs can be exported" ]]
	run vb export 06:00.0 --bar 3 --hold
	[ "$status" -eq 2 ]
	[[ "$output" == *"BAR 3 is not implemented"* ]]
}

@test "export: malformed range text and option combinations" {
	root=$(fixture qemu-lab)
	run vb export 04:00.0 --bar 2 --range zz --hold
	[ "$status" -eq 2 ]
	[[ "$output" == *"range 'zz' is not OFFSET:LENGTH"* ]]
	run vb export 04:00.0 --bar 2
	[ "$status" -eq 2 ]
	[[ "$output" == *"give exactly one of --exec, --send-to, --hold"* ]]
	run vb export 04:00.0 --hold
	[ "$status" -eq 2 ]
	[[ "$output" == *"missing --bar"* ]]
	run vb export 04:00.0 --bar 2 --vfio-mode fast --hold
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid --vfio-mode 'fast'"* ]]
}

@test "export: a device not on vfio-pci says how to bind it (JSON too)" {
	root=$(fixture qemu-lab)
	run --separate-stderr vb -j export 03:00.0 --bar 2 --hold
	[ "$status" -eq 5 ]
	assert_schema error
	echo "$output" | jq -e '.error.bdf == "0000:03:00.0" and (.error.message | test("bound to nvme, not a VFIO driver: run .vfiobuf bind 0000:03:00.0. first"))'
}

@test "export and info: unknown device exits 3" {
	root=$(fixture qemu-lab)
	run vb export 09:00.0 --bar 2 --hold
	[ "$status" -eq 3 ]
	run vb info 09:00.0
	[ "$status" -eq 3 ]
	run vb reset 09:00.0
	[ "$status" -eq 3 ]
	# under -j: the error object, the address in bdf, socket null
	for cmd in "export 09:00.0 --bar 2 --hold" "info 09:00.0" "reset 09:00.0" "verify 09:00.0 --bar 2"; do
		run --separate-stderr vb -j $cmd
		[ "$status" -eq 3 ]
		assert_schema error
		jq -e '.error.bdf == "0000:09:00.0" and .error.socket == null' <<<"$output"
	done
}

@test "-j errors about a socket name it in socket, bdf null" {
	run --separate-stderr "$VB" -j recv --listen /nonexistent/dir/sock
	[ "$status" -ne 0 ]
	assert_schema error
	jq -e '.error.socket == "/nonexistent/dir/sock" and .error.bdf == null' <<<"$output"
	run --separate-stderr "$VB" -j reset --server "$BATS_TEST_TMPDIR/none.sock" 04:00.0
	[ "$status" -eq 3 ]
	assert_schema error
	jq -e --arg s "$BATS_TEST_TMPDIR/none.sock" '.error.socket == $s and .error.bdf == null' <<<"$output"
}

@test "recv: needs --listen, refuses a path it cannot use" {
	run "$VB" recv
	[ "$status" -eq 2 ]
	[[ "$output" == *"missing --listen SOCKET"* ]]
	run "$VB" recv --listen /nonexistent/dir/sock
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent/dir/sock"* ]]
}

@test "recv: a message without a dma-buf is refused" {
	sock=$BATS_TEST_TMPDIR/s
	"$VB" recv --listen "$sock" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	for i in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	python3 - "$sock" <<'PY'
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
fd = os.memfd_create("not-a-dmabuf")
socket.send_fds(s, [b'{"bdf":"x"}\n'], [fd])
PY
	wait $! || status=$?
	[ "${status:-0}" -ne 0 ]
	grep -q "is not a dma-buf" "$BATS_TEST_TMPDIR/out"
}

@test "verify: usage errors, and exit 5 without iommufd" {
	root=$(fixture qemu-lab)
	run "$VB" --sysfs-root "$root/sys" verify 04:00.0
	[ "$status" -eq 2 ]
	[[ "$output" == *"missing --bar"* ]]
	run "$VB" --sysfs-root "$root/sys" verify --fd 3 04:00.0
	[ "$status" -eq 2 ]
	[[ "$output" == *"--fd takes no DEVICE, --bar, --range or --revoke-test"* ]]
	run "$VB" --sysfs-root "$root/sys" verify 04:00.0 --bar 2
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/iommu is missing: this kernel has no iommufd (CONFIG_IOMMUFD)"* ]]
	run "$VB" verify --fd 0 </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"fd 0 is not a dma-buf"* ]]
}

@test "verify: the request is checked before iommufd is probed (exit 2 on any host)" {
	root=$(fixture qemu-lab)
	# the fixture has no /dev/iommu: a bad range must still be exit 2, not 5
	run vb verify 04:00.0 --bar 2 --range 0x123:4K
	[ "$status" -eq 2 ]
	[[ "$output" == *"0000:04:00.0: range 0x123:0x1000: offset 0x123 is not a multiple of the page size"* ]]
	run vb verify 04:00.0 --bar 2 --range 0:32M
	[ "$status" -eq 2 ]
	[[ "$output" == *"past the end of BAR 2"* ]]
	run vb verify 09:00.0 --bar 2
	[ "$status" -eq 3 ]
}

@test "--bar and --fd take plain decimal digits only" {
	root=$(fixture qemu-lab)
	for bar in ' 2' '+2' '2 ' '0x2' '-0' ''; do
		run vb export 04:00.0 --bar "$bar" --hold
		[ "$status" -eq 2 ]
		[[ "$output" == *"invalid --bar '$bar' (a BAR index 0-5)" ]]
		run vb verify 04:00.0 --bar "$bar"
		[ "$status" -eq 2 ]
	done
	for fd in '+0' ' 0' 4294967296 -1; do
		run vb verify --fd "$fd"
		[ "$status" -eq 2 ]
		[[ "$output" == *"invalid --fd '$fd'"* ]]
	done
}
