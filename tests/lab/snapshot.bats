#!/usr/bin/env bats
# vfiobuf snapshot on a real kernel: the archive taken here replays (here,
# and on the host: tests/lab/host/snapshot-replay.bats) to the same list,
# topology and distance answers as the live system.  The archive and the
# live answers are left in /vfiobuf-lab/artifacts for the host.

load lab_helpers

setup() { skip_unless_in_lab; }

ART=/vfiobuf-lab/artifacts

# the live answers, one file each: list.json, topology.json, distance/A_B.json
live_answers() { # DIR [GLOBAL-OPTION...]
	local dir=$1 a b
	shift
	mkdir -p "$dir/distance"
	"$VB" "$@" -j list >"$dir/list.json"
	"$VB" "$@" -j topology >"$dir/topology.json"
	for a in $(jq -r '.nodes[] | select(.endpoint) | .bdf' "$dir/topology.json"); do
		for b in $(jq -r '.nodes[] | select(.endpoint) | .bdf' "$dir/topology.json"); do
			"$VB" "$@" -j distance "$a" "$b" >"$dir/distance/${a}_${b}.json"
		done
	done
}

@test "snapshot of the live guest, as root: full config, no VPD" {
	mkdir -p "$ART"
	run "$VB" -j snapshot -o "$ART/guest.tar.gz"
	[ "$status" -eq 0 ]
	assert_schema snapshot
	echo "$output" | jq -e '.root == true and .with_vpd == false and .files > 100'
	! tar tzf "$ART/guest.tar.gz" | grep -q '/vpd$'
	tar tzf "$ART/guest.tar.gz" | grep -q 'sys/bus/pci/devices/0000:03:00.0'
	live_answers "$ART/live"
	n=$(ls "$ART/live/distance" | wc -l)
	echo "endpoint pairs: $n"
	[ "$n" -ge 16 ]
}

@test "the snapshot replayed in the guest gives the live list and topology (every pair: on the host)" {
	[ -s "$ART/guest.tar.gz" ] || skip "no snapshot taken"
	diff <("$VB" --snapshot "$ART/guest.tar.gz" -j list) "$ART/live/list.json"
	diff <("$VB" --snapshot "$ART/guest.tar.gz" -j topology) "$ART/live/topology.json"
}
