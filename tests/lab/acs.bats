#!/usr/bin/env bats
# vfiobuf acs on the real 7.3 guest (-cpu max: no Zen rule, q35's host bridge
# not whitelisted, so a pair is bus-addr exactly when the kernel gives it a
# distance).  The root ports have ACS with RR+CR set by the kernel; the
# XIO3130 ports have no ACS.  The plan's setpci commands are applied and the
# kernel's own verdicts (the oracle module) must be the predicted ones; the
# two kernel parameters are left for the EPYC boot (run-lab-suites boots it
# with both, tests/lab/epyc/acs-boot.bats checks them).

load lab_helpers
load p2p_oracle_helpers

ART=/vfiobuf-lab/artifacts
SAVED=${BATS_FILE_TMPDIR:-/tmp}/acs-saved-ctrl

setup() { skip_unless_in_lab; }

# Put back every ACS control word a test changed.
teardown() {
	[ -s "$SAVED" ] || return 0
	while read -r bdf val; do
		setpci -s "$bdf" ECAP0d+6.w="$val"
	done <"$SAVED"
	rm -f "$SAVED"
}

@test "lab acs: the plan clears the root port above the two-function device, nothing else" {
	run "$VB" acs -j
	echo "$output"
	[ "$status" -eq 0 ]
	assert_schema acs
	echo "$output" | jq -e '.uncertain == false and .verified == true
		and .planned == ["0000:00:04.0"]
		and .kernel_parameters.disable_acs_redir == "pci=disable_acs_redir=0000:00:04.0"
		and (.kernel_parameters.config_acs | test("^pci=config_acs=[01x]{7}@0000:00:04.0$"))
		and ([.pairs[] | select(.provider == "0000:06:00.0" and .client == "0000:06:00.1")][0]
		     | .verdict_before == "not-supported" and .verdict_after == "bus-addr")'
	# the XIO3130 pair is bus-addr already, the switch's ports have no ACS
	echo "$output" | jq -e '[.pairs[] | select(.provider == "0000:03:00.0" and .client == "0000:04:00.0")][0]
		| .verdict_before == "bus-addr" and .verdict_after == "bus-addr"'
	# left for the EPYC boot
	mkdir -p "$ART"
	echo "$output" | jq -r .kernel_parameters.config_acs >"$ART/acs-config-param"
	echo "$output" | jq -r .kernel_parameters.disable_acs_redir >"$ART/acs-disable-param"
	echo "$output" >"$ART/acs-plan.json"
}

@test "lab acs: the IOMMU group model explains the kernel's groups and predicts one merge" {
	run "$VB" acs -j
	echo "$output" | jq -e '.isolation.iommu and .isolation.model_matches_kernel == true
		and (.isolation.merges | length) == 1
		and .isolation.merges[0].devices == ["0000:00:04.0", "0000:06:00.0", "0000:06:00.1"]
		and .isolation.merges[0].ports == ["0000:00:04.0"]'
	# and today those are two groups: the port's, and the two functions'
	g0=$(basename "$(readlink /sys/bus/pci/devices/0000:00:04.0/iommu_group)")
	g1=$(basename "$(readlink /sys/bus/pci/devices/0000:06:00.0/iommu_group)")
	g2=$(basename "$(readlink /sys/bus/pci/devices/0000:06:00.1/iommu_group)")
	[ "$g0" != "$g1" ] && [ "$g1" = "$g2" ]
}

@test "lab acs: after the printed setpci commands the kernel gives every pair the predicted verdict" {
	[ -s "$ORACLE_KO" ] || { echo "oracle module not built: $ORACLE_KO"; false; }
	plan=$("$VB" acs -j --setpci)
	[ "$(jq '.setpci | length' <<<"$plan")" -ge 1 ]
	for bdf in $(jq -r '.planned[]' <<<"$plan"); do
		echo "$bdf $(setpci -s "$bdf" ECAP0d+6.w)" >>"$SAVED"
	done
	while read -r cmd; do
		echo "running: $cmd"
		[[ "$cmd" == "setpci -s "* ]]
		$cmd
	done < <(jq -r '.setpci[]' <<<"$plan")
	# the bits read back as planned
	while read -r bdf after; do
		[ "0x$(setpci -s "$bdf" ECAP0d+6.w)" = "$after" ]
	done < <(jq -r '.ports[] | select(.planned) | "\(.bdf) \(.control_after)"' <<<"$plan")
	kernel=$(oracle_run "$(jq -r '.endpoints | join(",")' <<<"$plan")")
	n=0 bad=0
	while read -r a b after; do
		for pair in "$a $b" "$b $a"; do
			kd=$(awk -v p="$pair" '$1 " " $2 == p {print $3}' <<<"$kernel")
			case $after in
			bus-addr) [ -n "$kd" ] && [ "$kd" -ge 0 ] ;;
			not-supported) [ "$kd" = -1 ] ;;
			*) false ;; # no thru-host-bridge with -cpu max and q35
			esac || { echo "disagree: $pair predicted $after, kernel distance ${kd:-none}"; bad=$((bad + 1)); }
			n=$((n + 1))
		done
	done < <(jq -r '.pairs[] | "\(.provider) \(.client) \(.verdict_after)"' <<<"$plan")
	echo "compared $n ordered pairs, $bad disagreements"
	[ "$n" -ge 2 ] && [ "$bad" -eq 0 ]
	# and vfiobuf reading the changed bits agrees with the kernel too
	run oracle_compare
	echo "$output"
	[ "$status" -eq 0 ]
	# nothing left to clear
	"$VB" acs -j | jq -e '.planned == [] and .kernel_parameters.config_acs == null'
}
