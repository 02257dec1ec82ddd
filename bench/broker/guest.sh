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

echo "== (a) dma-buf fds delivered per second, $ROUNDS rounds, medians"
# Each round runs every variant once, so drift of the emulated machine hits
# them alike: the raw loop; the floor (a server that only receives, exports
# and sends: no parsing, policy, accounting or events) and vfiobuf serve,
# each with 64 clients in two shapes: export + release as two round trips
# ("rate"), and one round trip per fd, each export releasing the previous
# lease ("single").
R=$(mktemp -d)
rate_of() { field "$1" rate; }
r=1
while [ $r -le "$ROUNDS" ]; do
	rate_of "$("$B/raw-pass" $DEV "$N")" >>"$R/raw"
	"$B/floor-server" $DEV $SOCK.floor & FLOOR=$!
	i=0; while [ ! -S $SOCK.floor ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	rate_of "$("$B/broker-load" rate $SOCK.floor $DEV 64 "$N")" >>"$R/floor2"
	rate_of "$("$B/broker-load" single $SOCK.floor $DEV 64 "$N")" >>"$R/floor1"
	kill $FLOOR; wait $FLOOR 2>/dev/null || true
	rm -f $SOCK.floor
	start $VB -q
	rate_of "$("$B/broker-load" rate $SOCK $DEV 64 "$N")" >>"$R/vb2"
	rate_of "$("$B/broker-load" single $SOCK $DEV 64 "$N")" >>"$R/vb1"
	[ $r -eq 1 ] && echo "daemon CPU for round 1 ($N fds each shape): $(cpu)"
	stop
	echo "round $r (fds/s): raw $(tail -1 "$R/raw"), floor $(tail -1 "$R/floor2") / $(tail -1 "$R/floor1"), vfiobuf $(tail -1 "$R/vb2") / $(tail -1 "$R/vb1") (two / one round trips)"
	r=$((r + 1))
done
med() { sort -n "$R/$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
div() { echo "scale=2; $1 / $2" | bc; }
raw=$(med raw) floor2=$(med floor2) floor1=$(med floor1) vb2=$(med vb2) vb1=$(med vb1)
echo "issue 18's targets, vs the floor server (the least broker: receive, export, send):"
echo "  two round trips per fd (export, then release): floor $floor2 fds/s, vfiobuf serve $vb2 fds/s = $(div "$vb2" "$floor2")x the floor (target >= 0.9x)"
echo "  one round trip per fd (export with \"release\": [previous lease]): floor $floor1 fds/s, vfiobuf serve $vb1 fds/s = $(div "$vb1" "$floor1")x the floor (target >= 0.9x)"
echo "old comparisons (issue 7), for the record: vs a raw C loop (export ioctl + SCM_RIGHTS over"
echo "a socketpair, no round trip between processes): $raw fds/s"
echo "  floor server: $(div "$floor2" "$raw")x / $(div "$floor1" "$raw")x raw (two / one round trips: what the shape alone allows)"
echo "  vfiobuf serve: $(div "$vb2" "$raw")x / $(div "$vb1" "$raw")x raw (issue 7's target >= 0.5x, out of reach of the floor itself)"
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
