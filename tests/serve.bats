#!/usr/bin/env bats
# `vfiobuf serve`, `monitor` and the --server clients on the host: the
# protocol, its errors, lifecycle (stale socket, SIGTERM, SIGHUP, socket
# activation, readiness), with no device (the daemon serves none here; the
# lab suite tests exports on the real kernel).
load helpers/common
load helpers/schema
load helpers/prom
load helpers/broker

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

# events FILE NAME: how many NAME events FILE holds
events() { grep -c "\"event\":\"$2\"" "$1" 2>/dev/null || true; }
# has_events FILE NAME N: at least N
has_events() { [ "$(events "$1" "$2")" -ge "$3" ]; }
# lines_in FILE N: FILE has at least N lines
lines_in() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

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
	assert_schema protocol
}

@test "status: counters, quotas (built-in default per uid, none for root), no devices" {
	printf 'socket-mode 0666\n' >"$T/serve.conf"
	start_serve
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.ok and .clients == 1 and .leases == 0 and .devices == []
		and .you.quota_leases == null and .you.quota_bytes == null and .you.quota_connections == null
		and .you.uid_connections == 1 and .pid > 0 and .subscribers == 0 and .you.id >= 1'
	assert_schema protocol
	command -v setpriv >/dev/null || skip "no setpriv"
	chmod 755 "$T"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.you.quota_leases == 1024 and .you.quota_bytes == null
		and .you.quota_connections == 64 and .you.uid_leases == 0'
	assert_schema protocol
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

@test "file descriptors sent to the daemon are refused by the kernel (SO_PASSRIGHTS) or closed" {
	start_serve
	before=$(ls -l /proc/$SERVE_PID/fd | grep -c pipe:)
	run "$CLIENT" "$SOCK" --send-fd '{"op":"status"}' '{"op":"status"}'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	for l in "${lines[@]}"; do
		# Linux 6.16+: the sender's sendmsg fails; before: an error reply
		[ "$l" = "sendmsg refused: EPERM" ] ||
			echo "$l" | jq -e '.ok == false and .error.errno_name == "EBADMSG"'
	done
	if [ "$(uname -r | awk -F. '{print $1 * 100 + $2}')" -ge 616 ]; then
		[ "${lines[0]}" = "sendmsg refused: EPERM" ]
	fi
	# the daemon holds none of the four pipe ends afterwards
	[ "$(ls -l /proc/$SERVE_PID/fd | grep -c pipe:)" -eq "$before" ]
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.ok'
}

@test "export and reset of a device the daemon does not serve: exit 3, JSON error" {
	start_serve
	run "$VB" export --server "$SOCK" 04:00.0 --bar 2 --hold
	[ "$status" -eq 3 ]
	[ "$output" = "vfiobuf: 0000:04:00.0: not served by this daemon" ]
	run --separate-stderr "$VB" -j reset --server "$SOCK" 04:00.0
	[ "$status" -eq 3 ]
	echo "$output" | jq -e '.error.bdf == "0000:04:00.0" and .error.socket == null and .error.exit_code == 3'
}

@test "list --server: the table header, and [] under -j" {
	start_serve
	run "$VB" list --server "$SOCK"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == DEVICE*STATE*MODE*GROUP*LEASES*RESET* ]]
	run "$VB" -j list --server "$SOCK"
	[ "$output" = "[]" ]
	run "$CLIENT" "$SOCK" '{"op":"list"}'
	echo "$output" | jq -e '.ok and .devices == []'
	assert_schema protocol
}

@test "--server without a daemon: exit 3 and a hint" {
	run "$VB" list --server "$T/none.sock"
	[ "$status" -eq 3 ]
	[[ "$output" == *"none.sock: no daemon socket here (is 'vfiobuf serve' running?)"* ]]
}

@test "events: client-connected/disconnected in the log, with the peer's pid and uid" {
	start_serve
	"$CLIENT" "$SOCK" '{"op":"status"}' >/dev/null
	wait_until has_events "$T/ev.log" client-disconnected 1
	jq -e -s 'map(.event) | index("client-connected") != null and index("client-disconnected") != null' "$T/ev.log"
	jq -e -s '.[] | select(.event == "client-disconnected") | .client.uid == 0 and .leases_released == 0
		and .cause == "closed" and (.time | type) == "number"' "$T/ev.log"
	run cat "$T/ev.log"
	assert_schema events
}

@test "monitor --socket: human lines, -j JSON Lines, --count ends it" {
	start_serve
	"$VB" monitor --socket "$SOCK" --count 2 >"$T/mon.txt" &
	mon=$!
	wait_until has_events "$T/ev.log" subscribed 1
	"$CLIENT" "$SOCK" '{"op":"status"}' >/dev/null
	wait "$mon"
	grep -q 'client-connected' "$T/mon.txt"
	grep -q 'client-disconnected' "$T/mon.txt"
	"$VB" -j monitor --socket "$SOCK" --count 1 >"$T/mon.json" &
	mon=$!
	wait_until has_events "$T/ev.log" subscribed 2
	"$CLIENT" "$SOCK" '{"op":"status"}' >/dev/null
	wait "$mon"
	jq -e '.event == "client-connected"' "$T/mon.json"
	run cat "$T/mon.json"
	assert_schema events
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
	wait_until lines_in "$T/sub.txt" 1   # the subscription acknowledged
	head -1 "$T/sub.txt" | jq -e '.ok and .op == "subscribe" and .scope == "all"'
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID"
	SERVE_PID=
	wait "$sub"
	[ ! -e "$SOCK" ]
	grep -q '"event":"stopping"' "$T/ev.log"
	grep -q '"event":"shutdown"' "$T/sub.txt"
	grep -q '^EOF$' "$T/sub.txt"
	# every event has its time, the shutdown pushed to the client too
	run grep -v '^EOF$' "$T/sub.txt"
	assert_schema protocol
	run cat "$T/ev.log"
	assert_schema events
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

@test "a second daemon starting while the first is between bind and listen is refused, not a takeover" {
	command -v strace >/dev/null || skip "strace not installed"
	# the first daemon's listen(2) is held back 1 s (strace fault injection):
	# its socket file exists but refuses connections meanwhile
	strace -f -qq -o /dev/null -e inject=listen:delay_enter=1000000 \
		"$VB" serve --socket "$SOCK" --config "$T/serve.conf" >"$T/ev.log" 2>"$T/err.log" 3>&- &
	local tracer=$!
	wait_until test -S "$SOCK"
	SERVE_PID=$(pgrep -P "$tracer" -f "serve --socket $SOCK")
	! listening "$SOCK"
	# (a takeover would serve on: the timeout ends it as a failure)
	run timeout 10 "$VB" serve --socket "$SOCK" --config "$T/serve.conf"
	echo "$output"
	[ "$status" -eq 6 ]
	[[ "$output" == *"another process is listening on this socket"* ]]
	wait_until listening "$SOCK"
	run "$CLIENT" "$SOCK" '{"op":"hello"}'
	echo "$output" | jq -e .ok
	stop_serve
	wait "$tracer" || true
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
	wait_until has_events "$T/ev.log" config-reloaded 1
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.you.quota_leases == 7'
	echo 'frob' >"$T/serve.conf"
	kill -HUP "$SERVE_PID"
	wait_until has_events "$T/ev.log" config-error 1
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.you.quota_leases == 7'
	jq -e -s 'map(select(.event == "config-error")) | .[0].message | contains("unknown keyword")' "$T/ev.log"
	run cat "$T/ev.log"
	assert_schema events
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
	for _ in $(seq 600); do listening "$SOCK" && break; sleep 0.1; done
	"$CLIENT" "$SOCK" '{"op":"hello"}' '{bad' '@70000' '{"op":"status"}' '{"op":"list"}' \
		'{"op":"export","device":"04:00.0","bar":2}' '' >/dev/null
	"$CLIENT" "$SOCK" --send-fd '{"op":"status"}' >/dev/null
	"$CLIENT" "$SOCK" '{"op":"subscribe"}' --events 1 >"$T/sub.txt" &
	wait_until lines_in "$T/sub.txt" 1
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
import signal, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b'{"op":"subscribe"}')
signal.pause()   # never reads, until killed
PY
	stuck=$!
	wait_until has_events "$T/ev.log" subscribed 1
	python3 - "$SOCK" <<'PY'
import socket, sys
for _ in range(1500):      # each connect+close is two events for the subscriber
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(sys.argv[1])
    c.close()
PY
	# a stuck subscriber pauses accepting for 2 s at most, then is dropped
	wait_until grep -q '"cause":"too-slow"' "$T/ev.log"
	kill $stuck 2>/dev/null || true
	wait $stuck 2>/dev/null || true
	jq -e -s 'map(select(.event == "client-disconnected" and .cause == "too-slow")) | length == 1' "$T/ev.log"
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
	wait_until has_events "$T/events.jsonl" client-disconnected 1
	[ ! -s "$T/ev.log" ]
	head -1 "$T/events.jsonl" | jq -e '.event == "earlier"'
	jq -e -s 'map(.event) | index("client-connected") != null' "$T/events.jsonl"
	run tail -n +2 "$T/events.jsonl"
	assert_schema events
	run "$VB" serve --socket "$T/x.sock" --events /nonexistent/dir/ev
	[ "$status" -eq 3 ]
	[[ "$output" == *"cannot open the event log /nonexistent/dir/ev"* ]]
}

# --- issue 15: a hostile local user ---

@test "policy file trust: a file nobody owns, or anyone may write, is refused at start" {
	printf 'allow any\n' >"$T/serve.conf"
	chmod 0666 "$T/serve.conf"
	run "$VB" serve --socket "$SOCK" --config "$T/serve.conf"
	[ "$status" -eq 4 ]
	[ "$output" = "vfiobuf: untrusted config file $T/serve.conf: owner uid 0 (root), mode 0666: writable by everyone (it must be root's and writable by root only)" ]
	[ ! -e "$SOCK" ]
	chmod 0644 "$T/serve.conf"
	chown nobody "$T/serve.conf"
	run "$VB" serve --socket "$SOCK" --config "$T/serve.conf"
	[ "$status" -eq 4 ]
	[[ "$output" == *"$T/serve.conf: owner uid 65534 (nobody), mode 0644: not owned by root"* ]]
	# a directory someone else may write to
	mkdir "$T/d"
	chmod 0777 "$T/d"
	printf '\n' >"$T/d/serve.conf"
	run "$VB" serve --socket "$SOCK" --config "$T/d/serve.conf"
	[ "$status" -eq 4 ]
	[[ "$output" == *"untrusted config directory $T/d: owner uid 0 (root), mode 0777: writable by everyone"* ]]
	# /dev/null (no policy) stays fine
	start_serve --config /dev/null
}

@test "policy file trust: a SIGHUP reload of an untrusted file keeps the old policy, logged" {
	printf 'quota default leases:7\n' >"$T/serve.conf"
	start_serve
	printf 'quota default leases:9\n' >"$T/serve.conf"
	chmod 0666 "$T/serve.conf"
	kill -HUP "$SERVE_PID"
	wait_until has_events "$T/ev.log" config-error 1
	jq -e -s 'map(select(.event == "config-error")) | .[0] | (.message | contains("mode 0666: writable by everyone"))
		and .kept == "the previous policy"' "$T/ev.log"
	run cat "$T/ev.log"
	assert_schema events
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.you.quota_leases == 7'
}

@test "policy grammar: a key twice in one rule and a NUL byte are errors with their line" {
	printf '# x\nallow uid:65534 bar:2 bar:*\n' >"$T/serve.conf"
	run "$VB" serve --socket "$SOCK" --config "$T/serve.conf"
	[ "$status" -eq 2 ]
	[ "$output" = "vfiobuf: $T/serve.conf:2: 'bar' given twice in one rule (write one rule per value)" ]
	printf 'allow uid:65534 device:04:00.0 device:05:00.0\n' >"$T/serve.conf"
	run "$VB" serve --socket "$SOCK" --config "$T/serve.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"serve.conf:1: 'device' given twice"* ]]
	printf 'socket-mode 0600\n\0\nquota default leases:1\n' >"$T/serve.conf"
	run "$VB" serve --socket "$SOCK" --config "$T/serve.conf"
	[ "$status" -eq 2 ]
	[ "$output" = "vfiobuf: $T/serve.conf:2: a NUL byte: not text (nothing after it was read)" ]
	[ ! -e "$SOCK" ]
}

@test "socket: a symlink at the socket path is never followed, the socket created with its mode" {
	echo precious >"$T/target"
	chmod 0600 "$T/target"
	ln -s "$T/target" "$SOCK"
	run "$VB" serve --socket "$SOCK" --config "$T/serve.conf"
	[ "$status" -eq 6 ]
	[[ "$output" == *"the path exists and is not a socket: not replacing it"* ]]
	[ "$(stat -c '%a %U %G' "$T/target")" = "600 root root" ]
	[ "$(cat "$T/target")" = precious ]
	[ -L "$SOCK" ]
	rm "$SOCK"
	# created with the mode from the start: a umask does not change it
	printf 'socket-mode 0660\nsocket-group daemon\n' >"$T/serve.conf"
	old=$(umask)
	umask 077
	start_serve
	umask "$old"
	[ "$(stat -c '%a %G' "$SOCK")" = "660 daemon" ]
}

@test "socket: a directory someone else owns or may write to is refused" {
	mkdir "$T/d"
	chmod 0777 "$T/d"
	run "$VB" serve --socket "$T/d/s.sock" --config "$T/serve.conf"
	[ "$status" -eq 4 ]
	[[ "$output" == *"untrusted socket directory $T/d: owner uid 0, mode 0777"* ]]
	chmod 0755 "$T/d"
	chown nobody "$T/d"
	run "$VB" serve --socket "$T/d/s.sock" --config "$T/serve.conf"
	[ "$status" -eq 4 ]
	[[ "$output" == *"untrusted socket directory $T/d: owner uid 65534, mode 0755"* ]]
	[ ! -e "$T/d/s.sock" ]
	# root's sticky world-writable directory (as /tmp) is accepted
	chown root "$T/d"
	chmod 1777 "$T/d"
	SOCK=$T/d/s.sock start_serve
}

@test "subscribe is scoped: nobody sees no one else's events, a monitor rule sees them all" {
	command -v setpriv >/dev/null || skip "no setpriv"
	chmod 755 "$T"
	printf 'socket-mode 0666\n' >"$T/serve.conf"
	start_serve
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$CLIENT" "$SOCK" '{"op":"subscribe"}' --events 2 >"$T/nobody.txt" &
	sub=$!
	wait_until lines_in "$T/nobody.txt" 1
	head -1 "$T/nobody.txt" | jq -e '.ok and .scope == "granted"'
	"$CLIENT" "$SOCK" '{"op":"status"}' >/dev/null      # root's connection
	wait_until has_events "$T/ev.log" client-disconnected 1
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID"
	SERVE_PID=
	wait "$sub"
	cat "$T/nobody.txt"
	# root's connect/disconnect (uid, pid) never reached nobody: only stopping
	! grep -q '"uid":0' "$T/nobody.txt"
	[ "$(sed -n 2p "$T/nobody.txt" | jq -r .event)" = stopping ]
	run cat "$T/nobody.txt"
	assert_schema protocol
	# with a monitor right, every event
	printf 'socket-mode 0666\nallow uid:65534 monitor\n' >"$T/serve.conf"
	start_serve
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$CLIENT" "$SOCK" '{"op":"subscribe"}' --events 2 >"$T/mon.txt" &
	sub=$!
	wait_until lines_in "$T/mon.txt" 1
	head -1 "$T/mon.txt" | jq -e '.scope == "all"'
	"$CLIENT" "$SOCK" '{"op":"status"}' >/dev/null
	wait "$sub"
	sed -n 2p "$T/mon.txt" | jq -e '.event == "client-connected" and .client.uid == 0'
	run cat "$T/mon.txt"
	assert_schema protocol
}

@test "connections per uid are limited (quota connections:N), the refused client told why" {
	command -v setpriv >/dev/null || skip "no setpriv"
	chmod 755 "$T"
	printf 'socket-mode 0666\nquota uid:65534 connections:2\n' >"$T/serve.conf"
	start_serve
	run setpriv --reuid=65534 --regid=65534 --clear-groups env python3 - "$SOCK" <<'PY'
import socket, sys
conns = []
for i in range(3):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(sys.argv[1])
    conns.append(c)
print(conns[2].recv(70000).decode())   # told why, unasked, then closed
conns[0].send(b'{"op":"status"}')
print(conns[0].recv(70000).decode())
PY
	[ "$status" -eq 0 ]
	echo "${lines[0]}" | jq -e '.ok == false and .error.errno_name == "EDQUOT" and .error.exit_code == 6
		and (.error.message | test("uid 65534 has 2 connections \\(at most 2\\)"))'
	echo "${lines[1]}" | jq -e '.ok and .you.uid_connections == 2 and .you.quota_connections == 2'
	output=${lines[1]} assert_schema protocol
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.ok and .refused == 1'
}

@test "at its fd limit the daemon neither spins nor drops a subscriber; a connect flood neither" {
	command -v prlimit >/dev/null || skip "no prlimit"
	chmod 755 "$T"
	printf 'socket-mode 0666\nquota uid:65534 connections:unlimited\n' >"$T/serve.conf"
	start_serve
	prlimit --pid "$SERVE_PID" --nofile=40:40
	"$CLIENT" "$SOCK" '{"op":"subscribe"}' --events 100000 >"$T/sub.txt" &
	sub=$!
	wait_until lines_in "$T/sub.txt" 1
	t0=$(awk '{print $14 + $15}' /proc/$SERVE_PID/stat)
	# 60 connections held open (more than the daemon's 40 fds), 2 s
	setpriv --reuid=65534 --regid=65534 --clear-groups env python3 - "$SOCK" <<'PY'
import socket, sys, time
held = []
for i in range(60):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(sys.argv[1])
    held.append(c)
deadline = time.monotonic() + 2
while time.monotonic() < deadline:   # the daemon's CPU is measured meanwhile
    time.sleep(0.1)
PY
	t1=$(awk '{print $14 + $15}' /proc/$SERVE_PID/stat)
	echo "# daemon CPU at its fd limit: $((t1 - t0)) ticks in 2 s" >&3
	[ $((t1 - t0)) -lt 50 ]           # under 0.5 s of CPU in 2 s: no spinning
	# a connect/close flood (2 events each for the subscriber)
	setpriv --reuid=65534 --regid=65534 --clear-groups env python3 - "$SOCK" <<'PY'
import socket, sys
for _ in range(3000):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect(sys.argv[1])
    c.close()
PY
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	echo "$output" | jq -e '.ok and .subscribers == 1'
	kill -0 "$sub"
	! grep -q '"cause":"too-slow"' "$T/ev.log"
	kill "$sub"
	wait "$sub" || true
}

@test "a zero-length message and a string cut mid-UTF-8 get full error replies" {
	start_serve
	long=$(printf 'a%.0s' $(seq 63))
	run "$CLIENT" "$SOCK" '' "{\"op\":\"${long}é\"}" '{"op":"status"}'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	echo "${lines[0]}" | jq -e '.ok == false and .error.errno_name == "EBADMSG" and .error.exit_code == 2
		and (.error.message | startswith("empty message"))'
	echo "${lines[1]}" | jq -e '.ok == false and .error.exit_code == 2 and (.error.message | startswith("unknown op") and endswith("\ufffd'"'"'"))'
	echo "${lines[2]}" | jq -e '.ok'
}

@test "serve --metrics: promtool passes; counters move with requests, refusals by reason; up 0 at SIGTERM" {
	require_promtool
	mkdir -m 755 "$T/textfile"
	M=$T/textfile/vfiobuf.prom
	start_serve --metrics "$M"
	wait_until test -f "$M"
	[ "$(stat -c %a "$M")" = 644 ]
	assert_promtool "$M"
	metric_is "$M" vfiobuf_serve_up 1
	metric_is "$M" vfiobuf_requests_total 0
	metric_is "$M" 'vfiobuf_devices{state="open"}' 0
	[ "$(metric "$M" vfiobuf_serve_start_time_seconds)" -ge "$(($(date +%s) - 60))" ]
	run "$CLIENT" "$SOCK" '{bad' '{"op":"export","bdf":"04:00.0","bar":2}' '{"op":"release","lease":7}' \
		'{"op":"subscribe"}'
	wait_until metric_is "$M" vfiobuf_requests_total 4
	assert_promtool "$M"
	metric_is "$M" 'vfiobuf_requests_refused_total{reason="invalid-request"}' 1
	metric_is "$M" 'vfiobuf_requests_refused_total{reason="not-found"}' 2
	metric_is "$M" 'vfiobuf_requests_refused_total{reason="denied"}' 0
	metric_is "$M" vfiobuf_connections_total 1
	metric_is "$M" vfiobuf_exports_total 0
	# a client holding its connection is a connected client (and a subscriber)
	"$CLIENT" "$SOCK" '{"op":"subscribe"}' --events 1 >"$T/sub.txt" &
	local sub=$!
	wait_until metric_is "$M" vfiobuf_subscribers 1
	metric_is "$M" vfiobuf_clients 1
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID"
	SERVE_PID=
	wait "$sub" || true
	assert_promtool "$M"
	metric_is "$M" vfiobuf_serve_up 0
	metric_is "$M" vfiobuf_clients 0
	metric_is "$M" vfiobuf_connections_total 2
	metric_is "$M" vfiobuf_requests_total 5
	[ "$(ls -A "$T/textfile")" = vfiobuf.prom ]
}

@test "serve --metrics: a burst of requests is written at most once a second (coalesced)" {
	command -v strace >/dev/null || skip "strace not installed"
	mkdir -m 755 "$T/textfile"
	M=$T/textfile/vfiobuf.prom
	strace -f -qq -o "$T/trace" -e trace=rename,renameat,renameat2 \
		"$VB" serve --socket "$SOCK" --config "$T/serve.conf" --metrics "$M" >"$T/ev.log" 2>"$T/err.log" 3>&- &
	local tracer=$! start
	wait_until listening "$SOCK"
	SERVE_PID=$(pgrep -P "$tracer" -f "serve --socket $SOCK")
	start=$(date +%s.%N)
	local msgs=()
	for i in $(seq 200); do msgs+=('{"op":"status"}'); done
	"$CLIENT" "$SOCK" "${msgs[@]}" >/dev/null
	"$CLIENT" "$SOCK" "${msgs[@]}" >/dev/null
	wait_until metric_is "$M" vfiobuf_requests_total 400
	local secs renames
	secs=$(echo "$(date +%s.%N) - $start" | bc)
	renames=$(grep -c 'vfiobuf.prom' "$T/trace")
	echo "$renames writes in $secs s" >&2
	# the one at start, then one a second at most (the first change may go at once)
	[ "$renames" -le "$(echo "$secs / 1 + 3" | bc)" ]
	[ "$renames" -ge 2 ]
	stop_serve
	wait "$tracer" || true
}

@test "serve --metrics: an untrusted directory is refused at start (exit 4), a link at the name is replaced" {
	mkdir -m 777 "$T/open"
	run --separate-stderr "$VB" serve --socket "$SOCK" --config "$T/serve.conf" --metrics "$T/open/v.prom"
	[ "$status" -eq 4 ]
	[[ "$stderr" == "vfiobuf: untrusted metrics file directory $T/open: owner uid 0 (root), mode 0777: writable by everyone"* ]]
	[ ! -e "$SOCK" ] && [ -z "$(ls -A "$T/open")" ]
	# a second daemon (its socket refused) leaves the first one's file alone
	mkdir -m 755 "$T/m"
	start_serve --metrics "$T/m/v.prom"
	wait_until test -f "$T/m/v.prom"
	run --separate-stderr "$VB" serve --socket "$SOCK" --config "$T/serve.conf" --metrics "$T/m/v.prom"
	[ "$status" -eq 6 ]
	metric_is "$T/m/v.prom" vfiobuf_serve_up 1
	stop_serve
	run --separate-stderr "$VB" serve --socket "$SOCK" --config "$T/serve.conf" --metrics "$T/none/v.prom"
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"cannot open the metrics file's directory $T/none"* ]]
	run --separate-stderr "$VB" serve --socket "$SOCK" --config "$T/serve.conf" --metrics ''
	[ "$status" -eq 2 ]
	mkdir -m 755 "$T/d"
	echo precious >"$T/victim"
	ln -s "$T/victim" "$T/d/v.prom"
	start_serve --metrics "$T/d/v.prom"
	wait_until test ! -L "$T/d/v.prom"
	[ -f "$T/d/v.prom" ]
	[ "$(cat "$T/victim")" = precious ]
}

@test "serve --metrics: a write that fails later is one metrics-error event, retried until it succeeds" {
	mkdir -m 755 "$T/textfile"
	M=$T/textfile/vfiobuf.prom
	start_serve --metrics "$M"
	wait_until test -f "$M"
	chmod 777 "$T/textfile"
	run "$CLIENT" "$SOCK" '{"op":"status"}' '{"op":"status"}'
	wait_until has_events "$T/ev.log" metrics-error 1
	run "$CLIENT" "$SOCK" '{"op":"status"}'
	run grep '"event":"metrics-error"' "$T/ev.log"
	assert_schema events
	echo "$output" | jq -e --arg f "$M" '.file == $f and .error.exit_code == 4
		and (.error.message | startswith("untrusted metrics file directory"))'
	metric_is "$M" vfiobuf_requests_total 0
	# (no new request: the failed write is tried again by itself)
	chmod 755 "$T/textfile"
	wait_until metric_is "$M" vfiobuf_requests_total 3
	[ "$(events "$T/ev.log" metrics-error)" -eq 1 ]
}
