#!/bin/sh
# Runs inside the lab guest (bench/broker/run boots it).  $1: build dir
# holding broker-load and raw-pass.
set -e
B=$1
VB=${VB:-./vfiobuf}
DEV=0000:04:00.0
SOCK=/tmp/vfiobuf-bench.sock
N=${BENCH_REQUESTS:-20000}
SOAK=${SOAK_REQUESTS:-100000}
ROUNDS=${BENCH_ROUNDS:-3}
$VB bind $DEV >/dev/null

start() { # start BINARY: the daemon, quiet, in the background
	rm -f $SOCK
	"$@" serve --socket $SOCK --config /dev/null $DEV >/dev/null 2>/tmp/serve.err &
	PID=$!
	i=0; while [ ! -S $SOCK ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	[ -S $SOCK ] || { cat /tmp/serve.err; exit 1; }
}
stop() { kill -TERM $PID; wait $PID; }
cpu() { awk '{print "user " $14 / 100 " s, system " $15 / 100 " s"}' /proc/$PID/stat; }
rss() { awk '/^VmRSS/ {print $2}' /proc/$PID/status; }
hwm() { awk '/^VmHWM/ {print $2}' /proc/$PID/status; }
fds() { ls /proc/$PID/fd | wc -l; }
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

echo "== (a) dma-buf fds delivered per second, $ROUNDS rounds of $N fds per run"
# Each round runs every server once in each shape, the order of the servers
# alternating from round to round: the floor (a server that only receives,
# exports and sends: no parsing, policy, accounting or events), vfiobuf
# serve, and $VB_BEFORE when given (another build, for before/after in one
# boot); 64 clients, two shapes: export + release as two round trips
# ("rate"), and one round trip per fd, each export releasing the previous
# lease ("single").  The emulated machine drifts a lot from run to run, so
# each ratio is the median of the per-round ratios (runs seconds apart),
# and each server's CPU time per fd (user + system, /proc/PID/stat) is
# printed beside its rate: CPU does not depend on what else the host runs.
R=$(mktemp -d)
rate_of() { field "$1" rate; }
ticks() { awk '{print $14 + $15}' /proc/$1/stat; }
# load NAME PID SHAPE: one run against the server PID listening on $SOCK
load() {
	local t0 out
	t0=$(ticks "$2")
	out=$("$B/broker-load" "$3" $SOCK $DEV 64 "$N")
	rate_of "$out" >>"$R/$1.$3"
	# CPU microseconds per fd (clock ticks of 10 ms)
	echo "$(( ($(ticks "$2") - t0) * 10000 / N ))" >>"$R/$1.$3.cpu"
}
serve_round() { # NAME BINARY...: both shapes against one server
	local name=$1
	shift
	if [ "$name" = floor ]; then
		rm -f $SOCK
		"$@" $DEV $SOCK & PID=$!
		i=0; while [ ! -S $SOCK ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	else
		start "$@" -q
	fi
	load "$name" $PID rate
	load "$name" $PID single
	if [ "$name" = floor ]; then
		kill $PID
		wait $PID 2>/dev/null || true
	else
		stop
	fi
}
servers="floor vb"
[ -x "${VB_BEFORE:-}" ] && servers="$servers before"
bin_of() { case $1 in floor) echo "$B/floor-server" ;; vb) echo "$VB" ;; before) echo "$VB_BEFORE" ;; esac; }
r=1
while [ $r -le "$ROUNDS" ]; do
	rate_of "$("$B/raw-pass" $DEV "$N")" >>"$R/raw"
	order=$servers
	[ $((r % 2)) -eq 0 ] && order=$(echo "$servers" | tr ' ' '\n' | tac | tr '\n' ' ')
	for sv in $order; do
		serve_round "$sv" "$(bin_of "$sv")"
	done
	line="round $r (fds/s, two / one round trips): raw $(tail -1 "$R/raw")"
	for sv in $servers; do line="$line, $sv $(tail -1 "$R/$sv.rate") / $(tail -1 "$R/$sv.single")"; done
	echo "$line"
	r=$((r + 1))
done
med() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
div() { echo "scale=2; $1 / $2" | bc; }
# pratio A B: median over rounds of A's rate / B's rate in the same round
pratio() { paste "$R/$1" "$R/$2" | awk '{printf "%.4f\n", $1 / $2}' | med | awk '{printf "%.2f", $1}'; }
m() { med <"$R/$1"; }
raw=$(m raw)
echo "issue 18's targets, vs the floor server (the least broker: receive, export, send);"
echo "rates are medians, ratios medians of the per-round ratios, CPU per fd the server's:"
for shape in rate single; do
	[ $shape = rate ] && echo "  two round trips per fd (export, then release):" ||
		echo "  one round trip per fd (export with \"release\": [previous lease]):"
	echo "    floor server   $(m floor.$shape) fds/s, CPU $(m floor.$shape.cpu) us/fd"
	echo "    vfiobuf serve  $(m vb.$shape) fds/s, CPU $(m vb.$shape.cpu) us/fd: $(pratio vb.$shape floor.$shape)x the floor (target >= 0.9x)"
	[ -x "${VB_BEFORE:-}" ] &&
		echo "    before ($VB_BEFORE) $(m before.$shape) fds/s, CPU $(m before.$shape.cpu) us/fd: $(pratio before.$shape floor.$shape)x the floor"
done
echo "old comparisons (issue 7), for the record: vs a raw C loop (export ioctl + SCM_RIGHTS over"
echo "a socketpair, no round trip between processes): $raw fds/s"
echo "  floor server: $(div "$(m floor.rate)" "$raw")x / $(div "$(m floor.single)" "$raw")x raw (two / one round trips: what the shape alone allows)"
echo "  vfiobuf serve: $(div "$(m vb.rate)" "$raw")x / $(div "$(m vb.single)" "$raw")x raw (issue 7's target >= 0.5x, out of reach of the floor itself)"
rm -rf "$R"
start $VB -q
piped=$("$B/broker-load" pipelined $SOCK $DEV 64 "$N")
stop
echo "vfiobuf serve, release sent ahead of the next export (two messages, one wait): $(rate_of "$piped") fds/s = $(div "$(rate_of "$piped")" "$raw")x raw"
# the daemon on one vCPU, the clients on the other: no address-space switch
# between them on the same vCPU (each costs a full TLB flush under TCG)
start taskset -c 1 $VB -q
pinned=$(taskset -c 0 "$B/broker-load" single $SOCK $DEV 64 "$N")
stop
echo "one round trip per fd, daemon and clients pinned to different vCPUs: $(rate_of "$pinned") fds/s = $(div "$(rate_of "$pinned")" "$raw")x raw"

echo "== (b) daemon RSS with 1000 clients and 10000 live leases"
start $VB -q
idle=$(rss)
mkfifo /tmp/hold.fifo
"$B/broker-load" hold $SOCK $DEV 1000 10 </tmp/hold.fifo >/tmp/hold.out &
HOLD=$!
exec 3>/tmp/hold.fifo
i=0; while ! grep -q ready /tmp/hold.out && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
cat /tmp/hold.out
status=$(python3 tests/helpers/vbclient.py $SOCK '{"op":"status"}')
echo "daemon status: clients=$(echo "$status" | jq .clients) leases=$(echo "$status" | jq .leases)"
echo "daemon RSS idle: ${idle} KiB, with 1000 clients and 10000 leases: $(rss) KiB, peak (VmHWM) $(hwm) KiB (target <= 8192 KiB)"
exec 3>&-
wait $HOLD
stop

echo "== soak: 64 clients, random export/release/disconnect, $SOAK requests"
start $VB -q
b_fds=$(fds) b_rss=$(rss)
"$B/broker-load" soak $SOCK $DEV 64 "$SOAK" 42
sleep 1
echo "daemon fds before/after: $b_fds/$(fds); RSS before/after: $b_rss/$(rss) KiB"
stop
if [ -x "${ASAN_VB:-}" ]; then
	echo "== soak under ASan+UBSan, $((SOAK / 10)) requests"
	start env ASAN_OPTIONS=detect_leaks=1 "$ASAN_VB" -q
	"$B/broker-load" soak $SOCK $DEV 64 $((SOAK / 10)) 7
	stop
	if [ -s /tmp/serve.err ]; then echo "ASan/UBSan reports:"; cat /tmp/serve.err; exit 1; fi
	echo "ASan/UBSan: no report, clean exit"
fi
$VB unbind $DEV >/dev/null
