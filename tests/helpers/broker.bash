# Helpers for suites that run a broker daemon (tests/serve.bats, cdi.bats,
# and wait_until for the lab's suites).  Conditions are polled, never slept
# for a fixed time.

# listening SOCKET: some process listens on the unix socket at that path.
listening() {
	awk -v p="$1" '$NF == p && $4 == "00010000" { f = 1 } END { exit !f }' /proc/net/unix
}

# wait_until CMD...: poll CMD up to 20 s.
wait_until() {
	local i
	for i in $(seq 400); do
		"$@" && return 0
		sleep 0.05
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

# start_serve [ARGS...]: `vfiobuf serve` on $SOCK with $T/serve.conf in the
# background (events in $T/ev.log, stderr in $T/err.log, pid in SERVE_PID),
# returning once it listens; its stderr and status 1 when it died first.
start_serve() {
	"$VB" serve --socket "$SOCK" --config "$T/serve.conf" "$@" >"$T/ev.log" 2>"$T/err.log" &
	SERVE_PID=$!
	for _ in $(seq 200); do
		listening "$SOCK" && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/err.log" >&2
	return 1
}
