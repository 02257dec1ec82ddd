#!/usr/bin/env bats
# `vfiobuf serve`, `monitor` and the --server clients on the host: the
# protocol, its errors, lifecycle (stale socket, SIGTERM, SIGHUP, socket
# activation, readiness), with no device (the daemon serves none here; the
# lab suite tests exports on the real kernel).
load helpers/common

CLIENT="$VFIOBUF_TOP/tests/helpers/vbclient.py"

setup() {
	T=$(mktemp -d)
	SOCK=$T/s.sock
	: >"$T/serve.conf"
}

teardown() {
	stop_serve
	rm -rf "$T"
}

# start_serve [ARGS...]: daemon in the background, events in $T/ev.log
start_serve() {
	"$VB" serve --socket "$SOCK" --config "$T/serve.conf" "$@" >"$T/ev.log" 2>"$T/err.log" &
	SERVE_PID=$!
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/err.log" >&2
	return 1
}

stop_serve() {
	if [ -n "${SERVE_PID:-}" ] && kill -0 "$SERVE_PID" 2>/dev/null; then
		kill -TERM "$SERVE_PID"
		wait "$SERVE_PID" || true
	fi
	SERVE_PID=
}

@test "hello: protocol 1, server version, the client's credentials" {
	start_serve
	run "$CLIENT" "$SOCK" '{"op":"hello","id":1,"version":1}'
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.ok and .id == 1 and .protocol == 1 and (.server | startswith("vfiobuf "))
		and .client.uid == 0 and (.ops | index("export"))'
}

@test "status: counters, quotas (built-in default), no devices" {
	start_serve
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.ok and .clients == 1 and .leases == 0 and .devices == []
		and .you.quota_leases == 1024 and .you.quota_bytes == null and .pid > 0'
}

@test "every malformed request gets an error reply and the connection stays usable" {
	start_serve
	run "$CLIENT" "$SOCK" '{bad' '[1]' '{"op":"frob","id":4}' '{"op":"list","x":1}' \
		'{"op":"export","device":"04:00.0","bar":"2"}' '{"op":"release","lease":-3}' \
		'@70000' '{"op":"status","id":9}'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 8 ]
	for i in 0 1 2 3 4 5 6; do
		echo "${lines[$i]}" | jq -e '.ok == false and .error.exit_code == 2 and (.error.message | length > 0)'
	done
	echo "${lines[0]}" | jq -e '.error.message | startswith("malformed JSON")'
	echo "${lines[2]}" | jq -e '.id == 4 and .error.message == "unknown op '\''frob'\''"'
	echo "${lines[3]}" | jq -e '.error.message == "op '\''list'\'' takes no field \"x\""'
	echo "${lines[6]}" | jq -e '.error.errno_name == "EMSGSIZE"'
	echo "${lines[7]}" | jq -e '.ok and .id == 9 and .errors == 7 and .requests == 8'
}

@test "file descriptors sent to the daemon are refused and closed" {
	start_serve
	before=$(ls -l /proc/$SERVE_PID/fd | grep -c pipe:)
	run "$CLIENT" "$SOCK" --send-fd '{"op":"status"}' '{"op":"status"}'
	echo "${lines[0]}" | jq -e '.ok == false and .error.errno_name == "EBADMSG"'
	echo "${lines[1]}" | jq -e '.ok == false and .error.errno_name == "EBADMSG"'
	# the daemon holds none of the four pipe ends afterwards
	[ "$(ls -l /proc/$SERVE_PID/fd | grep -c pipe:)" -eq "$before" ]
}

@test "export and reset of a device the daemon does not serve: exit 3, JSON error" {
	start_serve
	run "$VB" export --server "$SOCK" 04:00.0 --bar 2 --hold
	[ "$status" -eq 3 ]
	[ "$output" = "vfiobuf: 0000:04:00.0: not served by this daemon" ]
	run --separate-stderr "$VB" -j reset --server "$SOCK" 04:00.0
	[ "$status" -eq 3 ]
	echo "$output" | jq -e '.error.device == "0000:04:00.0" and .error.exit_code == 3'
}

@test "list --server: the table header, and [] under -j" {
	start_serve
	run "$VB" list --server "$SOCK"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == DEVICE*STATE*MODE*GROUP*LEASES*RESET* ]]
	run "$VB" -j list --server "$SOCK"
	[ "$output" = "[]" ]
}

@test "--server without a daemon: exit 3 and a hint" {
	run "$VB" list --server "$T/none.sock"
	[ "$status" -eq 3 ]
	[[ "$output" == *"none.sock: no daemon socket here (is 'vfiobuf serve' running?)"* ]]
}

@test "events: client-connected/disconnected in the log, with the peer's pid and uid" {
	start_serve
	"$CLIENT" "$SOCK" '{"op":"status"}' >/dev/null
	sleep 0.2
	jq -e -s 'map(.event) | index("client-connected") != null and index("client-disconnected") != null' "$T/ev.log"
	jq -e -s '.[] | select(.event == "client-disconnected") | .client.uid == 0 and .leases_released == 0
		and .reason == "closed" and (.time | type) == "number"' "$T/ev.log"
}

@test "monitor --socket: human lines, -j JSON Lines, --count ends it" {
	start_serve
	"$VB" monitor --socket "$SOCK" --count 2 >"$T/mon.txt" &
	mon=$!
	sleep 0.3
	"$CLIENT" "$SOCK" '{"op":"status"}' >/dev/null
	wait "$mon"
	grep -q 'client-connected' "$T/mon.txt"
	grep -q 'client-disconnected' "$T/mon.txt"
	"$VB" -j monitor --socket "$SOCK" --count 1 >"$T/mon.json" &
	mon=$!
	sleep 0.3
	"$CLIENT" "$SOCK" '{"op":"status"}' >/dev/null
	wait "$mon"
	jq -e '.event == "client-connected"' "$T/mon.json"
}

@test "monitor: bad --count and --uevents with --socket are usage errors" {
	run "$VB" monitor --count 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid --count '0'"* ]]
	run "$VB" monitor --uevents --socket /x
	[ "$status" -eq 2 ]
}

@test "monitor --uevents listens to kernel uevents without a daemon (unprivileged too)" {
	run timeout 1 "$VB" monitor --uevents
	[ "$status" -eq 124 ]
	[ -z "$output" ]
	command -v setpriv >/dev/null || skip "no setpriv"
	run timeout 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$VB" monitor --uevents
	[ "$status" -eq 124 ]
}

@test "SIGTERM: stopping event, clients told 'shutdown', socket removed, exit 0" {
	start_serve
	"$CLIENT" "$SOCK" '{"op":"subscribe"}' --events 3 >"$T/sub.txt" &
	sub=$!
	sleep 0.3
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID"
	SERVE_PID=
	wait "$sub"
	[ ! -e "$SOCK" ]
	grep -q '"event":"stopping"' "$T/ev.log"
	grep -q '"event":"shutdown"' "$T/sub.txt"
	grep -q '^EOF$' "$T/sub.txt"
}

@test "a live daemon's socket is refused (exit 6), a stale one is replaced" {
	start_serve
	run "$VB" serve --socket "$SOCK" --config "$T/serve.conf"
	[ "$status" -eq 6 ]
	[[ "$output" == *"another process is listening on this socket"* ]]
	kill -KILL "$SERVE_PID"
	wait "$SERVE_PID" || true
	SERVE_PID=
	[ -S "$SOCK" ]              # left behind by the crash
	start_serve
	run "$CLIENT" "$SOCK" '{"op":"hello"}'
	echo "$output" | jq -e .ok
}

@test "a file that is not a socket is never replaced" {
	echo precious >"$SOCK"
	run "$VB" serve --socket "$SOCK" --config "$T/serve.conf"
	[ "$status" -eq 6 ]
	[[ "$output" == *"the path exists and is not a socket: not replacing it"* ]]
	[ "$(cat "$SOCK")" = precious ]
}

@test "socket mode and group come from the config" {
	printf 'socket-group daemon\nsocket-mode 0600\n' >"$T/serve.conf"
	start_serve
	[ "$(stat -c '%a %G' "$SOCK")" = "600 daemon" ]
}

@test "bad config: exit 2 with FILE:LINE, nothing left behind" {
	printf '# ok\nallow user:root bar:9\n' >"$T/serve.conf"
	run "$VB" serve --socket "$SOCK" --config "$T/serve.conf"
	[ "$status" -eq 2 ]
	[ "$output" = "vfiobuf: $T/serve.conf:2: invalid BAR '9' (0-5 or *)" ]
	[ ! -e "$SOCK" ]
	run "$VB" serve --socket "$SOCK" --config "$T/missing.conf"
	[ "$status" -eq 3 ]
}

@test "SIGHUP reloads the policy; a broken file keeps the previous one" {
	start_serve
	printf 'quota default leases:7\n' >"$T/serve.conf"
	kill -HUP "$SERVE_PID"
	sleep 0.3
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.you.quota_leases == 7'
	echo 'frob' >"$T/serve.conf"
	kill -HUP "$SERVE_PID"
	sleep 0.3
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.you.quota_leases == 7'
	jq -e -s 'map(select(.event == "config-error")) | .[0].message | contains("unknown keyword")' "$T/ev.log"
}

@test "an unprivileged client is identified by SO_PEERCRED and may export nothing by default" {
	command -v setpriv >/dev/null || skip "no setpriv"
	printf 'socket-mode 0666\n' >"$T/serve.conf"
	start_serve
	chmod 755 "$T"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.you.uid == 65534 and .you.gid == 65534'
}

@test "socket activation (LISTEN_FDS) and readiness (NOTIFY_SOCKET)" {
	run python3 - "$VB" "$T" <<'PY'
import os, socket, subprocess, sys, time, json
vb, t = sys.argv[1], sys.argv[2]
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.bind(t + "/notify")
notify.settimeout(10)
lst = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
lst.bind(t + "/act.sock")
lst.listen(16)
p = subprocess.Popen(["sh", "-c", 'export LISTEN_PID=$$; exec "$0" serve --config "$1"', vb, t + "/serve.conf"],
                     pass_fds=[lst.fileno(), 3], env=dict(os.environ, NOTIFY_SOCKET=t + "/notify", LISTEN_FDS="1"),
                     stdout=subprocess.DEVNULL, preexec_fn=lambda: os.dup2(lst.fileno(), 3))
print(notify.recv(100).decode())
c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
c.connect(t + "/act.sock")
c.send(b'{"op":"hello"}')
print(json.loads(c.recv(65536))["ok"])
p.terminate()
print(notify.recv(100).decode())
print(p.wait())
PY
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "READY=1" ]
	[ "${lines[1]}" = "True" ]
	[ "${lines[2]}" = "STOPPING=1" ]
	[ "${lines[3]}" = "0" ]
	[ -S "$T/act.sock" ]        # an activated socket belongs to the manager
}

@test "the daemon runs clean under valgrind: requests, errors, a client vanishing, SIGTERM" {
	command -v valgrind >/dev/null || skip "valgrind not installed"
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--log-file="$T/vg.log" "$VB" serve --socket "$SOCK" --config "$T/serve.conf" >"$T/ev.log" 2>&1 &
	SERVE_PID=$!
	for _ in $(seq 200); do [ -S "$SOCK" ] && break; sleep 0.1; done
	"$CLIENT" "$SOCK" '{"op":"hello"}' '{bad' '@70000' '{"op":"status"}' '{"op":"list"}' \
		'{"op":"export","device":"04:00.0","bar":2}' >/dev/null
	"$CLIENT" "$SOCK" --send-fd '{"op":"status"}' >/dev/null
	"$CLIENT" "$SOCK" '{"op":"subscribe"}' --events 1 >/dev/null &
	sleep 1
	kill -TERM "$SERVE_PID"
	rc=0
	wait "$SERVE_PID" || rc=$?
	SERVE_PID=
	cat "$T/vg.log"
	[ "$rc" -eq 0 ]
	[ ! -s "$T/vg.log" ]
}

@test "a subscriber that never reads is dropped (too-slow), the daemon's memory stays bounded" {
	start_serve
	python3 - "$SOCK" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b'{"op":"subscribe"}')
time.sleep(30)   # never reads
PY
	stuck=$!
	sleep 0.5
	python3 - "$SOCK" <<'PY'
import socket, sys
for _ in range(1500):      # each connect+close is two events for the subscriber
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(sys.argv[1])
    c.close()
PY
	sleep 0.5
	kill $stuck 2>/dev/null || true
	jq -e -s 'map(select(.event == "client-disconnected" and .reason == "too-slow")) | length == 1' "$T/ev.log"
	rss=$(awk '/^VmRSS/ {print $2}' /proc/$SERVE_PID/status)
	echo "daemon RSS ${rss} KiB"
	[ "$rss" -lt 16384 ]
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.ok and .clients == 1'
}

@test "--events FILE: the event log goes to the file, appended" {
	echo '{"event":"earlier"}' >"$T/events.jsonl"
	start_serve --events "$T/events.jsonl"
	"$CLIENT" "$SOCK" '{"op":"status"}' >/dev/null
	sleep 0.2
	[ ! -s "$T/ev.log" ]
	head -1 "$T/events.jsonl" | jq -e '.event == "earlier"'
	jq -e -s 'map(.event) | index("client-connected") != null' "$T/events.jsonl"
	run "$VB" serve --socket "$T/x.sock" --events /nonexistent/dir/ev
	[ "$status" -eq 3 ]
	[[ "$output" == *"cannot open the event log /nonexistent/dir/ev"* ]]
}
