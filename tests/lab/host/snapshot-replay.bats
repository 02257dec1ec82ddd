#!/usr/bin/env bats
# Runs on the host after the lab's Debian boot (run-lab-suites): the
# snapshot the guest took (tests/lab/snapshot.bats) replays here to the same
# list -j, topology -j and distance -j for every endpoint pair as the live
# guest gave.  Fields that only a live system has: none of these outputs
# carries one (names come from pci.ids, the same database in both places,
# since the guest runs on this machine's root filesystem).

load ../lab_helpers

setup() {
	[ -n "${LAB_ARTIFACTS:-}" ] || skip "run by run-lab-suites after the lab boot"
	ART=$LAB_ARTIFACTS
}

@test "host: the guest's snapshot is there (the lab boot left it)" {
	[ -s "$ART/guest.tar.gz" ]
	[ -s "$ART/live/topology.json" ]
}

@test "host: list -j and topology -j from the guest's snapshot equal the live guest's" {
	run "$VB" --snapshot "$ART/guest.tar.gz" -j list
	[ "$status" -eq 0 ]
	diff <(echo "$output" | jq -S .) <(jq -S . "$ART/live/list.json")
	run "$VB" --snapshot "$ART/guest.tar.gz" -j topology
	[ "$status" -eq 0 ]
	diff <(echo "$output" | jq -S .) <(jq -S . "$ART/live/topology.json")
}

@test "host: distance -j for every endpoint pair equals the live guest's" {
	local n=0 f a b
	for f in "$ART"/live/distance/*.json; do
		a=$(basename "$f" .json); b=${a#*_}; a=${a%_*}
		diff <("$VB" --snapshot "$ART/guest.tar.gz" -j distance "$a" "$b" | jq -S .) <(jq -S . "$f")
		n=$((n + 1))
	done
	echo "pairs compared: $n"
	[ "$n" -ge 16 ]
}

@test "host: a command that needs the live kernel refuses the snapshot" {
	run "$VB" --snapshot "$ART/guest.tar.gz" export 0000:04:00.0 --bar 2
	[ "$status" -eq 2 ]
}
