#!/usr/bin/env bats
# `vfiobuf serve` on the real 7.3 kernel: policy per user, fds that are
# real dma-bufs, reset / unbind / kill -9 / SIGTERM as the clients see them.

load lab_helpers
load ../helpers/schema
load ../helpers/prom

SOCK=/tmp/vfiobuf-serve.sock
CLIENT="$VFIOBUF_TOP/tests/helpers/vbclient.py"
A=65534 # may export the first MiB of the ivshmem BAR2, at most 2 leases
B=65533 # may export the NVMe CMB
fdinfo='cat /proc/self/fdinfo/$VFIOBUF_FD; echo "env $VFIOBUF_DEVICE $VFIOBUF_BAR $VFIOBUF_SIZE $VFIOBUF_RANGES"'

as_user() { local u=$1; shift; exec setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }

# start_daemon [OPTION...]: options go to serve before the devices
start_daemon() {
	rm -f "$BATS_FILE_TMPDIR/ev.log"
	# in a subshell: not a job of this shell, so kill -9 is not reported
	("$VB" serve --socket "$SOCK" --config "$BATS_FILE_TMPDIR/serve.conf" "$@" 04:00.0 03:00.0 \
		>"$BATS_FILE_TMPDIR/ev.log" 2>"$BATS_FILE_TMPDIR/serve.err" &
	 echo $! >"$BATS_FILE_TMPDIR/serve.pid")
	# listening, not just a socket file (a killed daemon leaves a stale one)
	for _ in $(seq 100); do
		"$CLIENT" "$SOCK" '{"op":"hello"}' >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	cat "$BATS_FILE_TMPDIR/serve.err" >&2
	return 1
}

daemon_pid() { cat "$BATS_FILE_TMPDIR/serve.pid"; }

stop_daemon() {
	local pid
	pid=$(daemon_pid 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null && while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	rm -f "$BATS_FILE_TMPDIR/serve.pid"
}

# wait_for FILE PATTERN: up to 10 s
wait_for() {
	for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "timed out waiting for $2 in $1:" >&2
	cat "$1" >&2
	return 1
}

setup_file() {
	[ "${LAB_GUEST:-}" = 1 ] || return 0
	"$VB" bind 04:00.0 03:00.0 >/dev/null
	cat >"$BATS_FILE_TMPDIR/serve.conf" <<-EOC
	socket-mode 0666
	allow uid:$A device:04:00.0 bar:2 range:0:1M
	allow uid:$B device:03:00.0 bar:2
	quota uid:$A leases:2
	EOC
	chmod 755 "$BATS_FILE_TMPDIR"
	start_daemon
}

teardown_file() {
	[ "${LAB_GUEST:-}" = 1 ] || return 0
	stop_daemon
	"$VB" unbind 04:00.0 03:00.0 >/dev/null || true
}

setup() { skip_unless_in_lab; }

@test "lab serve: list shows both devices open, with what each user may export" {
	run "$VB" -j list --server "$SOCK"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e 'map(.bdf) == ["0000:04:00.0","0000:03:00.0"] and all(.state == "open" and .vfio_mode == "group")'
	assert_schema list-server
	run "$CLIENT" "$SOCK" '{"op":"list"}'
	assert_schema protocol
	run as_user $A "$VB" -j list --server "$SOCK"
	echo "$output" | jq -e '.[0].bars[] | select(.index == 2) | .may_export == true and .size == 16777216'
	echo "$output" | jq -e '(.[1].bars | map(.may_export) | any | not) and (map(.may_reset) | any | not)'
	run "$VB" list --server "$SOCK"
	[[ "${lines[1]}" == "0000:04:00.0  open      group  10"* ]]
}

@test "lab serve: two users get real dma-buf fds inside their policy" {
	run as_user $A "$VB" export --server "$SOCK" 04:00.0 --bar 2 --range 0:64K --exec sh -c "$fdinfo"
	[ "$status" -eq 0 ]
	grep -q '^size:	65536$' <<<"$output"
	grep -q '^exp_name:	vfio_pci_core$' <<<"$output"
	grep -q '^env 0000:04:00.0 2 65536 0x0:0x10000$' <<<"$output"
	echo "$output" | grep '"event":"exported"' | jq -e '.lease > 0 and .vfio_mode == "group"'
	run as_user $B "$VB" export --server "$SOCK" 03:00.0 --bar 2 --exec sh -c "$fdinfo"
	[ "$status" -eq 0 ]
	grep -q '^size:	16777216$' <<<"$output"
	# the daemon's event names the lease, the client and the buffer's inode
	jq -e -s --argjson b $B 'map(select(.event == "exported" and .client.uid == $b)) | .[0].size == 16777216' \
		"$BATS_FILE_TMPDIR/ev.log"
}

@test "lab serve: refused outside the policy (exit 4), nothing exported" {
	run as_user $A "$VB" export --server "$SOCK" 04:00.0 --bar 2 --range 1M:4K --hold
	[ "$status" -eq 4 ]
	[ "$output" = "vfiobuf: 0000:04:00.0: uid $A may export only some ranges of BAR 2 of 0000:04:00.0: Permission denied" ]
	run as_user $A "$VB" export --server "$SOCK" 03:00.0 --bar 2 --hold
	[ "$status" -eq 4 ]
	run --separate-stderr as_user $B "$VB" -j export --server "$SOCK" 04:00.0 --bar 2 --hold
	[ "$status" -eq 4 ]
	echo "$output" | jq -e 'select(.error) | .error.errno_name == "EACCES"'
	run as_user $A "$VB" reset --server "$SOCK" 04:00.0
	[ "$status" -eq 4 ]
	# bad ranges are refused before the kernel, as without the daemon
	run "$VB" export --server "$SOCK" 04:00.0 --bar 2 --range 0x123:4K --hold
	[ "$status" -eq 2 ]
	[[ "$output" == "vfiobuf: 0000:04:00.0: range 0x123:0x1000: "* ]]
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.leases == 0'
}

@test "lab serve: quota of leases per client" {
	run as_user $A "$CLIENT" "$SOCK" \
		'{"op":"export","bdf":"04:00.0","bar":2,"ranges":["0:4K"]}' \
		'{"op":"export","bdf":"04:00.0","bar":2,"ranges":["4K:4K"]}' \
		'{"op":"export","bdf":"04:00.0","bar":2,"ranges":["8K:4K"]}'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *'"ok":true'*" size=4096" ]]
	[[ "${lines[1]}" == *'"ok":true'*" size=4096" ]]
	echo "${lines[2]}" | jq -e '.ok == false and .error.errno_name == "EDQUOT" and .error.exit_code == 6'
}

@test "lab serve: the quota counts per uid, not per connection" {
	# A's 2 leases held by two connections: a third connection gets none
	for i in 1 2; do
		as_user $A "$VB" export --server "$SOCK" 04:00.0 --bar 2 --range $((i * 4))K:4K --hold \
			>"$BATS_TEST_TMPDIR/h$i.out" 2>&1 &
		eval "h$i=\$!"
	done
	wait_for "$BATS_TEST_TMPDIR/h1.out" exported
	wait_for "$BATS_TEST_TMPDIR/h2.out" exported
	run as_user $A "$CLIENT" "$SOCK" '{"op":"export","bdf":"04:00.0","bar":2,"ranges":["0:4K"]}' '{"op":"status"}'
	kill -TERM $h1 $h2
	wait $h1 $h2 || true
	echo "${lines[0]}" | jq -e '.ok == false and .error.errno_name == "EDQUOT"
		and (.error.message | test("uid 65534 holds 2 leases"))'
	echo "${lines[1]}" | jq -e '.you.leases == 0 and .you.uid_leases == 2 and .you.uid_connections == 3'
}

@test "lab serve: an export that releases the previous lease: one round trip, inside the quota" {
	# A holds at most 2 leases: the 3rd and 4th exports fit because each
	# gives the one before back; a lease it does not hold releases nothing
	run as_user $A "$CLIENT" "$SOCK" \
		'{"op":"export","bdf":"04:00.0","bar":2,"ranges":["0:4K"]}' \
		'{"op":"export","bdf":"04:00.0","bar":2,"ranges":["4K:4K"]}' \
		'{"op":"export","bdf":"04:00.0","bar":2,"ranges":["8K:4K"],"release":[{lease}]}' \
		'{"op":"export","bdf":"04:00.0","bar":2,"ranges":["12K:4K"],"release":[{lease}]}' \
		'{"op":"export","bdf":"04:00.0","bar":2,"ranges":["16K:4K"],"release":[999999]}' \
		'{"op":"status"}'
	[ "$status" -eq 0 ]
	second=$(echo "${lines[1]% fd=*}" | jq .lease)
	third=$(echo "${lines[2]% fd=*}" | jq .lease)
	[[ "${lines[2]}" == *" size=4096" ]]
	echo "${lines[2]% fd=*}" | jq -e --argjson l "$second" '.ok and .released == [$l]'
	echo "${lines[3]% fd=*}" | jq -e --argjson l "$third" '.ok and .released == [$l] and .size == 4096'
	echo "${lines[4]}" | jq -e '.ok == false and .error.exit_code == 3 and (.error.message | test("lease 999999 is not held.*nothing released")) and (has("released") | not)'
	echo "${lines[5]}" | jq -e '.you.leases == 2 and .you.bytes == 8192'
	# the daemon's log has the releases, caused by the client's request
	jq -e -s --argjson l "$second" 'map(select(.event == "released" and .lease == $l)) | .[0].cause == "client-request"' \
		"$BATS_FILE_TMPDIR/ev.log"
}

@test "lab serve: reset -> both lease holders receive revoked then restored" {
	as_user $A "$VB" export --server "$SOCK" 04:00.0 --bar 2 --range 0:4K --hold >"$BATS_TEST_TMPDIR/a.out" 2>&1 &
	a=$!
	"$VB" export --server "$SOCK" 04:00.0 --bar 2 --hold >"$BATS_TEST_TMPDIR/r.out" 2>&1 &
	r=$!
	wait_for "$BATS_TEST_TMPDIR/a.out" exported
	wait_for "$BATS_TEST_TMPDIR/r.out" exported
	run "$VB" reset --server "$SOCK" 04:00.0
	[ "$status" -eq 0 ]
	# the resetting client prints the same two events, naming the daemon
	[ "$(echo "$output" | jq -r '.event + ":" + .cause + ":" + .socket' | tr '\n' ' ')" = "revoked:reset:$SOCK restored:reset:$SOCK " ]
	wait_for "$BATS_TEST_TMPDIR/a.out" restored
	wait_for "$BATS_TEST_TMPDIR/r.out" restored
	kill -TERM $a $r
	wait $a $r
	for f in a r; do
		cat "$BATS_TEST_TMPDIR/$f.out"
		run grep -o '"event":"[a-z]*"' "$BATS_TEST_TMPDIR/$f.out"
		[ "$(echo "$output" | tr '\n' ' ')" = '"event":"exported" "event":"revoked" "event":"restored" "event":"released" "event":"closed" ' ]
	done
	grep '"revoked"' "$BATS_TEST_TMPDIR/a.out" | jq -e '.cause == "reset" and (.leases | length) == 1'
}

@test "lab serve: kill -9 of a client releases its leases" {
	as_user $A "$VB" export --server "$SOCK" 04:00.0 --bar 2 --range 0:8K --hold >"$BATS_TEST_TMPDIR/a.out" 2>&1 &
	a=$!
	wait_for "$BATS_TEST_TMPDIR/a.out" exported
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output"
	echo "$output" | jq -e '.leases == 1 and .bytes == 8192'
	kill -9 $a
	wait $a || true
	# the daemon saw the connection close: its leases released
	wait_until grep -q '"cause":"client-disconnected"' "$BATS_FILE_TMPDIR/ev.log"
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.leases == 0 and .bytes == 0'
	jq -e -s 'map(select(.event == "released")) | last | .cause == "client-disconnected"' "$BATS_FILE_TMPDIR/ev.log"
}

@test "lab serve: unbind while serving -> revoked (unbind-requested) within 1 s, others still served, rebind reopens" {
	"$VB" export --server "$SOCK" 04:00.0 --bar 2 --hold >"$BATS_TEST_TMPDIR/h.out" 2>&1 &
	h=$!
	wait_for "$BATS_TEST_TMPDIR/h.out" exported
	t0=$(date +%s%N)
	echo 0000:04:00.0 >/sys/bus/pci/drivers/vfio-pci/unbind
	t1=$(date +%s%N)
	echo "# unbind while serving took $(( (t1 - t0) / 1000000 )) ms" >&3
	[ $(( (t1 - t0) / 1000000 )) -lt 1000 ]
	[ "$(lab_driver 0000:04:00.0)" = none ]
	wait_for "$BATS_TEST_TMPDIR/h.out" revoked
	grep '"revoked"' "$BATS_TEST_TMPDIR/h.out" | jq -e '.cause == "unbind-requested" and .permanent == true'
	jq -e -s 'map(select(.event == "device-closed")) | last | .cause == "unbind-requested"' "$BATS_FILE_TMPDIR/ev.log"
	# the NVMe is still served
	run as_user $B "$VB" export --server "$SOCK" 03:00.0 --bar 2 --range 0:4K --exec true
	[ "$status" -eq 0 ]
	run "$VB" export --server "$SOCK" 04:00.0 --bar 2 --exec true
	[ "$status" -eq 6 ]
	[[ "$output" == *"closed by the daemon (unbind-requested)"* ]]
	# back on vfio-pci (driver_override still says so): the uevent reopens it
	echo 0000:04:00.0 >/sys/bus/pci/drivers_probe
	wait_for "$BATS_FILE_TMPDIR/ev.log" '"event":"device-opened",.*"bdf":"0000:04:00.0"'
	jq -e -s 'map(select(.event == "uevent" and .bdf == "0000:04:00.0") | .action) | index("unbind") != null and index("bind") != null' \
		"$BATS_FILE_TMPDIR/ev.log"
	# the daemon's log so far (opened, exported, released, revoked, closed, uevents) keeps the schema
	run cat "$BATS_FILE_TMPDIR/ev.log"
	assert_schema events
	run "$VB" export --server "$SOCK" 04:00.0 --bar 2 --range 0:4K --exec true
	[ "$status" -eq 0 ]
	kill -TERM $h 2>/dev/null || true
	wait $h || true
}

@test "lab serve: kill -9 of the daemon -> clients see EOF; a restarted daemon serves again" {
	"$VB" export --server "$SOCK" 04:00.0 --bar 2 --hold >"$BATS_TEST_TMPDIR/h.out" 2>&1 &
	h=$!
	wait_for "$BATS_TEST_TMPDIR/h.out" exported
	pid=$(daemon_pid)
	kill -9 "$pid"
	wait $h
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	grep '"event":"closed"' "$BATS_TEST_TMPDIR/h.out" | jq -e '.cause == "server-closed"'
	[ -S "$SOCK" ]   # stale
	start_daemon
	run "$VB" export --server "$SOCK" 04:00.0 --bar 2 --range 0:4K --exec true
	[ "$status" -eq 0 ]
}

@test "lab serve: SIGTERM -> holders told (revoked, device-closed), socket removed, devices free, exit 0" {
	"$VB" export --server "$SOCK" 04:00.0 --bar 2 --hold >"$BATS_TEST_TMPDIR/h.out" 2>&1 &
	h=$!
	wait_for "$BATS_TEST_TMPDIR/h.out" exported
	pid=$(daemon_pid)
	kill -TERM "$pid"
	wait $h
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	grep '"event":"revoked"' "$BATS_TEST_TMPDIR/h.out" | jq -e '.cause == "device-closed" and .permanent'
	[ ! -e "$SOCK" ]
	run "$VB" info 04:00.0
	[ "$status" -eq 0 ]
	start_daemon
}

@test "lab monitor --uevents: the kernel's bind/unbind of a device, as JSON Lines" {
	"$VB" -j monitor --uevents --count 2 >"$BATS_TEST_TMPDIR/mon.out" &
	mon=$!
	wait_until uevent_listening $mon
	"$VB" bind 05:00.0 >/dev/null
	"$VB" unbind 05:00.0 >/dev/null
	wait $mon
	cat "$BATS_TEST_TMPDIR/mon.out"
	jq -e -s 'map(select(.bdf == "0000:05:00.0") | .action) | index("unbind") != null and index("bind") != null' \
		"$BATS_TEST_TMPDIR/mon.out"
	jq -e -s 'map(select(.action == "bind")) | .[0].driver == "vfio-pci"' "$BATS_TEST_TMPDIR/mon.out"
}

@test "lab monitor: subscribed to the daemon, sees exported and released" {
	subs=$(count_in "$BATS_FILE_TMPDIR/ev.log" '"event":"subscribed"')
	"$VB" -j monitor --socket "$SOCK" --count 2 >"$BATS_TEST_TMPDIR/mon.out" &
	mon=$!
	# the daemon acknowledged the subscription (its log says so)
	wait_until eval '[ "$(count_in "$BATS_FILE_TMPDIR/ev.log" "\"event\":\"subscribed\"")" -gt "$subs" ]'
	"$VB" export --server "$SOCK" 04:00.0 --bar 2 --range 0:4K --exec true >/dev/null
	wait $mon
	run jq -r .event "$BATS_TEST_TMPDIR/mon.out"
	[ "$(echo "$output" | tr '\n' ' ')" = "client-connected exported " ]
}

@test "lab serve --metrics: an export, a refusal and a reset move the counters; promtool passes; up 0 at SIGTERM" {
	require_promtool
	local M=$BATS_TEST_TMPDIR/textfile/vfiobuf.prom h
	mkdir -m 755 "$BATS_TEST_TMPDIR/textfile"
	stop_daemon
	start_daemon --metrics "$M"
	wait_until test -f "$M"
	assert_promtool "$M"
	metric_is "$M" vfiobuf_serve_up 1
	metric_is "$M" 'vfiobuf_devices{state="open"}' 2
	metric_is "$M" vfiobuf_exports_total 0
	metric_is "$M" 'vfiobuf_revocations_total{cause="reset"}' 0
	"$VB" export --server "$SOCK" 04:00.0 --bar 2 --hold >"$BATS_TEST_TMPDIR/h.out" 2>&1 &
	h=$!
	wait_for "$BATS_TEST_TMPDIR/h.out" exported
	wait_until metric_is "$M" vfiobuf_leases 1
	metric_is "$M" vfiobuf_exports_total 1
	metric_is "$M" vfiobuf_lease_bytes 16777216
	# outside uid A's policy: refused, counted as denied
	run as_user $A "$VB" export --server "$SOCK" 04:00.0 --bar 2 --range 1M:4K --hold
	[ "$status" -eq 4 ]
	wait_until metric_is "$M" 'vfiobuf_requests_refused_total{reason="denied"}' 1
	run "$VB" reset --server "$SOCK" 04:00.0
	[ "$status" -eq 0 ]
	wait_until metric_is "$M" 'vfiobuf_revocations_total{cause="reset"}' 1
	wait_for "$BATS_TEST_TMPDIR/h.out" restored
	kill -TERM $h
	wait $h || true
	wait_until metric_is "$M" vfiobuf_leases 0
	metric_sum_is "$M" vfiobuf_releases_total 1
	metric_is "$M" 'vfiobuf_devices{state="open"}' 2
	assert_promtool "$M"
	# the file left at SIGTERM: down, both devices closed (revoked for the shutdown)
	stop_daemon
	assert_promtool "$M"
	metric_is "$M" vfiobuf_serve_up 0
	metric_is "$M" 'vfiobuf_devices{state="closed"}' 2
	metric_is "$M" 'vfiobuf_revocations_total{cause="device-closed"}' 2
	metric_is "$M" vfiobuf_exports_total 1
	[ "$(ls -A "$BATS_TEST_TMPDIR/textfile")" = vfiobuf.prom ]
	start_daemon
}
