#!/usr/bin/env bats
# A non-root reader of the live system sees 64 bytes of configuration space:
# every verdict it gets equals root's (which the kernel's own oracle
# confirms) or is marked uncertain, naming what was missing.  Never a
# different certain answer.

load lab_helpers
load p2p_oracle_helpers

setup() { skip_unless_in_lab; }

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

@test "non-root: 64 bytes of config, ACS and PCIe type 'needs root'" {
	run as_nobody "$VB" show -j 00:02.0
	[ "$status" -eq 0 ]
	assert_schema show
	echo "$output" | jq -e '.config_size == 64 and .acs.status == "needs root" and .pcie_type == null'
	run "$VB" show -j 00:02.0
	echo "$output" | jq -e '.config_size == 4096 and .acs.status == "present"'
}

@test "non-root: every pair's verdict equals root's (= the kernel's) or is uncertain" {
	run oracle_compare
	[ "$status" -eq 0 ]
	root=$("$VB" topology -j --pairs | jq -c '[.pairs[] | {k: "\(.provider) \(.client)", verdict, kernel_distance, uncertain}]')
	user=$(as_nobody "$VB" topology -j --pairs | jq -c '[.pairs[] | {k: "\(.provider) \(.client)", verdict, kernel_distance, uncertain, missing}]')
	jq -e 'all(.[]; .uncertain == false)' <<<"$root"
	n=$(jq length <<<"$root")
	[ "$n" -gt 0 ]
	[ "$(jq length <<<"$user")" -eq "$n" ]
	# join on the pair; a certain non-root verdict must be root's
	bad=$(jq -n --argjson r "$root" --argjson u "$user" '
		($r | map({key: .k, value: .}) | from_entries) as $R
		| [$u[] | select(.uncertain == false and
			(.verdict != $R[.k].verdict or .kernel_distance != $R[.k].kernel_distance))]')
	echo "pairs: $n, wrong certain verdicts: $bad"
	[ "$bad" = "[]" ]
	# and the uncertain ones name their missing inputs
	jq -e '[.[] | select(.uncertain)] | length > 0 and all(.[]; (.missing | length) > 0 and all(.missing[]; .reason == "needs root"))' <<<"$user"
}

@test "non-root: distance says the verdict is uncertain and why" {
	run as_nobody "$VB" distance 03:00.0 04:00.0
	[ "$status" -eq 0 ]
	grep -q '^verdict:   bus-addr (uncertain: best inference, see why)$' <<<"$output"
	grep -q 'not read (needs root)\|(needs root)' <<<"$output"
}
