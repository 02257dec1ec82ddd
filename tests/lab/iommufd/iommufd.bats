#!/usr/bin/env bats
# The second lab kernel (IOMMUFD + VFIO cdev): the cdev open path for real,
# `verify` (iommufd imports the buffer), revocation seen from the importer's
# side, data moved by edu's DMA engine from an ivshmem dma-buf, and the
# daemon's revoked/restored events compared with what the importer sees.

load ../lab_helpers
load ../../helpers/schema

SOCK=/tmp/vfiobuf-iommufd.sock

setup_file() {
	[ "${LAB_GUEST:-}" = 1 ] && [ "${LAB_KERNEL:-}" = iommufd ] || return 0
	"$VB" bind 04:00.0 05:00.0 >/dev/null
	cc -O2 -std=gnu11 -D_GNU_SOURCE -o "$BATS_FILE_TMPDIR/edu-dma" "$VFIOBUF_TOP/tests/tools/edu-dma.c"
}

teardown_file() {
	[ "${LAB_GUEST:-}" = 1 ] && [ "${LAB_KERNEL:-}" = iommufd ] || return 0
	"$VB" unbind 04:00.0 05:00.0 >/dev/null || true
}

setup() {
	skip_unless_in_lab
	[ "${LAB_KERNEL:-}" = iommufd ] || skip "needs LAB_KERNEL=iommufd"
}

start_daemon() {
	rm -f "$SOCK"
	("$VB" serve --socket "$SOCK" --config /dev/null "$@" >"$BATS_TEST_TMPDIR/ev.log" 2>&1 &
	 echo $! >"$BATS_TEST_TMPDIR/serve.pid")
	for _ in $(seq 100); do [ -S "$SOCK" ] && return 0; sleep 0.1; done
	cat "$BATS_TEST_TMPDIR/ev.log" >&2
	return 1
}

stop_daemon() {
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/serve.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null && while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	rm -f "$BATS_TEST_TMPDIR/serve.pid"
}

teardown() { stop_daemon; }

@test "iommufd kernel: /dev/iommu and a VFIO cdev node for a device on vfio-pci" {
	[ -c /dev/iommu ]
	node=$(ls /sys/bus/pci/devices/0000:04:00.0/vfio-dev/)
	[ -c "/dev/vfio/devices/$node" ]
	grep -q '^CONFIG_VFIO_DEVICE_CDEV=y' <(zcat /proc/config.gz)
}

@test "iommufd kernel: info picks cdev by itself; group mode still works" {
	run "$VB" info -j 04:00.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.vfio_mode == "cdev" and (.node | startswith("/dev/vfio/devices/vfio")) and .dmabuf_export == true'
	run "$VB" info -j --vfio-mode group 04:00.0
	echo "$output" | jq -e '.vfio_mode == "group" and .dmabuf_export == true'
	run "$VB" info -j --vfio-mode cdev 04:00.0
	echo "$output" | jq -e '.vfio_mode == "cdev"'
}

@test "iommufd kernel: export through the cdev path (auto and forced)" {
	for m in auto cdev; do
		run "$VB" export --vfio-mode $m 04:00.0 --bar 2 --range 0:64K --exec sh -c 'cat /proc/self/fdinfo/$VFIOBUF_FD'
		[ "$status" -eq 0 ]
		grep -q '^size:	65536$' <<<"$output"
		echo "$output" | grep '"event":"exported"' | jq -e '.vfio_mode == "cdev"'
	done
}

@test "verify: the buffer is importable; iommufd reports the IOVA (cdev and group exporters)" {
	for m in cdev group; do
		run "$VB" -j verify --vfio-mode $m 04:00.0 --bar 2 --range 0:64K
		[ "$status" -eq 0 ]
		echo "$output" | jq -e --arg m $m '.importable and .vfio_mode == $m and .size == 65536 and .iova > 0'
	done
	run "$VB" verify 04:00.0 --bar 2
	[ "$status" -eq 0 ]
	[[ "$output" == "0000:04:00.0 BAR 2 0x0:0x1000000 (16777216 bytes): exported (cdev path), imported into IOAS "*" at IOVA 0x"* ]]
}

@test "verify: two ranges are refused by iommufd, and the message says why" {
	run "$VB" verify 04:00.0 --bar 2 --range 0:4K --range 8K:4K
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"iommufd maps only single-range VFIO dma-bufs"*"Operation not supported" ]]
}

@test "verify --revoke-test: memory off refuses (ENODEV), on maps, reset maps, close refuses for good" {
	run "$VB" -j verify 04:00.0 --bar 2 --range 0:64K --revoke-test
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '[.steps[] | [.step, .mapped, (.errno_name // "-")]] ==
		[["exported",true,"-"],["memory-disabled",false,"ENODEV"],["memory-enabled",true,"-"],
		 ["reset",true,"-"],["device-closed",false,"ENODEV"]]'
	echo "$output" | jq -e '.revocation_as_documented'
}

@test "verify --fd: an inherited buffer; serve over the cdev path" {
	start_daemon --vfio-mode cdev 04:00.0
	run "$VB" -j list --server "$SOCK"
	echo "$output" | jq -e '.[0].vfio_mode == "cdev" and .[0].state == "open"'
	run "$VB" export --server "$SOCK" 04:00.0 --bar 2 --range 0:8K --exec sh -c '"$0" -j verify --fd "$VFIOBUF_FD"' "$VB"
	[ "$status" -eq 0 ]
	echo "$output" | grep '"mapped"' | jq -e '.mapped and .size == 8192'
}

@test "importer and daemon agree: restored -> maps, revoked for good (unbind) -> ENODEV" {
	start_daemon 04:00.0
	script='v() { "$VB" -j verify --fd "$VFIOBUF_FD" >"$T/$1" 2>&1; echo "$?" >>"$T/$1"; }
		v before; "$VB" reset --server "$SOCK" 04:00.0 >/dev/null; v after-reset
		echo 0000:04:00.0 >/sys/bus/pci/drivers/vfio-pci/unbind; sleep 0.5; v after-unbind'
	run env VB="$VB" SOCK="$SOCK" T="$BATS_TEST_TMPDIR" \
		"$VB" export --server "$SOCK" 04:00.0 --bar 2 --range 0:4K --exec sh -c "$script"
	echo 0000:04:00.0 >/sys/bus/pci/drivers_probe
	# the daemon's story
	events=$(jq -r -s 'map(select(.event == "revoked" or .event == "restored") | "\(.event):\(.cause):\(.permanent // false)") | join(" ")' \
		"$BATS_TEST_TMPDIR/ev.log")
	echo "daemon: $events"
	[ "$events" = "revoked:reset:false restored:reset:false revoked:unbind-requested:true" ]
	run cat "$BATS_TEST_TMPDIR/ev.log"
	assert_schema events
	# the importer's story, step by step
	[ "$(tail -1 "$BATS_TEST_TMPDIR/before")" = 0 ]
	[ "$(tail -1 "$BATS_TEST_TMPDIR/after-reset")" = 0 ]       # restored: maps
	[ "$(tail -1 "$BATS_TEST_TMPDIR/after-unbind")" = 1 ]      # revoked for good
	grep -q '"errno_name":"ENODEV"' "$BATS_TEST_TMPDIR/after-unbind"
	[ "$(lab_driver 0000:04:00.0)" = vfio-pci ]
	# and the lease holder was told the same, pushed on its connection
	pushed=$(grep -E '"event":"(revoked|restored)"' <<<"$output" | jq -r -s 'map("\(.event):\(.cause)") | join(" ")')
	echo "holder: $pushed"
	[ "$pushed" = "revoked:reset restored:reset revoked:unbind-requested" ]
}

@test "data moves: edu DMAs from the ivshmem dma-buf; after the exporter's reset the old mapping is dead until mapped again" {
	start_daemon 04:00.0
	run "$VB" export --server "$SOCK" 04:00.0 --bar 2 --range 0:4K --exec sh -c \
		'"$0" 0000:05:00.0 "$VFIOBUF_FD" /sys/bus/pci/devices/0000:04:00.0/resource2 "$1 reset --server $2 04:00.0"' \
		"$BATS_FILE_TMPDIR/edu-dma" "$VB" "$SOCK"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^before reset: data matched (2048 bytes, buffer -> edu -> RAM)$' <<<"$output"
	grep -q '^after reset, old mapping: data did not match' <<<"$output"
	grep -q '^after reset, mapped again: data matched' <<<"$output"
	jq -e -s 'map(select(.event == "revoked" or .event == "restored") | .event) == ["revoked","restored"]' \
		"$BATS_TEST_TMPDIR/ev.log"
}
