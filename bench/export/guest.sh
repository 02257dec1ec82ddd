#!/bin/sh
# Runs inside the lab guest (bench/export/run boots it).
set -e
VB=./vfiobuf
BASE=$1
N=${BENCH_RUNS:-40}
$VB bind 04:00.0 >/dev/null
group=$(basename "$(readlink /sys/bus/pci/devices/0000:04:00.0/iommu_group)")
t() { s=$(date +%s%N); i=0; while [ $i -lt "$N" ]; do "$@" >/dev/null 2>&1 || { echo "bench: '$*' failed" >&2; exit 1; }; i=$((i + 1)); done; e=$(date +%s%N); echo $(((e - s) / N / 1000)); }
base_us=$(t "$BASE" 0000:04:00.0 "$group" 2 0x1000000)
vb_us=$(t $VB -q export 04:00.0 --bar 2 --exec true)
base_exec_us=$(t "$BASE" 0000:04:00.0 "$group" 2 0x1000000 exec)
true_us=$(t /bin/true)
echo "export benchmark (lab guest, TCG, mean of $N runs):"
echo "  minimal C program (open + export ioctl):  $base_us us"
echo "  vfiobuf export 04:00.0 --bar 2 --exec true: $vb_us us (of which fork+exec of true: ~$true_us us)"
echo "  ratio: $(echo "scale=2; $vb_us / $base_us" | bc)x"
echo "  ratio without the child: $(echo "scale=2; ($vb_us - $true_us) / $base_us" | bc)x"
echo "  minimal C program + posix_spawn of true with the fd: $base_exec_us us"
echo "  ratio, same hand-on on both sides: $(echo "scale=2; $vb_us / $base_exec_us" | bc)x"
$VB unbind 04:00.0 >/dev/null
