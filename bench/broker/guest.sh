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
fds() { ls /proc/$PID/fd | wc -l; }
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

echo "== (a) dma-buf fds delivered per second"
raw=$("$B/raw-pass" $DEV "$N")
echo "raw C loop (export ioctl + SCM_RIGHTS over a socketpair): $raw"
ratio() { echo "scale=2; $(field "$1" rate) / $(field "$2" rate)" | bc; }
# the floor: a server that only receives, exports and sends (no parsing,
# policy, accounting or events), same clients, same two shapes
"$B/floor-server" $DEV $SOCK.floor & FLOOR=$!
i=0; while [ ! -S $SOCK.floor ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
floor2=$("$B/broker-load" rate $SOCK.floor $DEV 64 "$N")
floor1=$("$B/broker-load" single $SOCK.floor $DEV 64 "$N")
kill $FLOOR; wait $FLOOR 2>/dev/null || true
start $VB -q
via=$("$B/broker-load" rate $SOCK $DEV 64 "$N")
echo "daemon CPU for that run: $(cpu)"
single=$("$B/broker-load" single $SOCK $DEV 64 "$N")
piped=$("$B/broker-load" pipelined $SOCK $DEV 64 "$N")
stop
echo "floor server, 64 clients, export + release as two round trips: $floor2"
echo "  ratio to raw: $(ratio "$floor2" "$raw")x (what the shape alone allows)"
echo "through vfiobuf serve, 64 clients, export + release as two round trips: $via"
echo "  ratio to raw: $(ratio "$via" "$raw")x (target >= 0.5x), to the floor: $(ratio "$via" "$floor2")x"
echo "floor server, one round trip per fd: $floor1"
echo "  ratio to raw: $(ratio "$floor1" "$raw")x"
echo "through vfiobuf serve, one round trip per fd (export with \"release\": [previous]): $single"
echo "  ratio to raw: $(ratio "$single" "$raw")x, to the floor: $(ratio "$single" "$floor1")x"
echo "through vfiobuf serve, release sent with the next export (two messages): $piped"
echo "  ratio to raw: $(ratio "$piped" "$raw")x"
# the daemon on one vCPU, the clients on the other: no address-space switch
# between them on the same vCPU (each costs a full TLB flush under TCG)
start taskset -c 1 $VB -q
pinned=$(taskset -c 0 "$B/broker-load" single $SOCK $DEV 64 "$N")
stop
echo "one round trip per fd, daemon and clients pinned to different vCPUs: $pinned"
echo "  ratio to raw: $(ratio "$pinned" "$raw")x"

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
echo "daemon RSS idle: ${idle} KiB, with 1000 clients and 10000 leases: $(rss) KiB (target <= 8192 KiB)"
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
