#!/usr/bin/env bats
# The EPYC boot runs with the pci=disable_acs_redir= and pci=config_acs=
# parameters that `vfiobuf acs` printed in the first boot (tests/lab/acs.bats
# leaves them in its artifacts; run-lab-suites appends both to this boot's
# command line).  The kernel must
# have set the listed ports' ACS control as planned, vfiobuf must now find
# nothing to clear, the pair is bus-addr for the kernel too, and the IOMMU
# groups are merged as the first boot's plan predicted.

load ../lab_helpers
load ../p2p_oracle_helpers

setup() { skip_unless_in_lab; }

# The pci=config_acs= argument of this boot, or nothing.
config_acs_param() {
	tr ' ' '\n' </proc/cmdline | grep '^pci=config_acs=' | tail -n 1
}

@test "lab acs boot: booted with the config_acs parameter the acs suite printed" {
	p=$(config_acs_param)
	echo "cmdline: $(cat /proc/cmdline)"
	[ -n "$p" ] || { echo "no pci=config_acs= on the command line (did tests/lab/acs.bats leave acs-config-param?)"; false; }
	[[ "$p" == *"@0000:00:04.0"* ]]
}

@test "lab acs boot: every listed port's ACS control reads back as its flags say" {
	p=$(config_acs_param)
	[ -n "$p" ]
	n=0
	IFS=';' read -ra entries <<<"${p#pci=config_acs=}"
	for e in "${entries[@]}"; do
		flags=${e%@*} bdf=${e#*@}
		ctrl=$((0x$(setpci -s "$bdf" ECAP0d+6.w)))
		mask=0 want=0
		for ((i = 0; i < ${#flags}; i++)); do
			bit=$((1 << (${#flags} - 1 - i)))
			case ${flags:i:1} in
			0) mask=$((mask | bit)) ;;
			1) mask=$((mask | bit)) want=$((want | bit)) ;;
			esac
		done
		echo "$bdf flags $flags: control $(printf 0x%04x $ctrl), fixed bits $(printf 0x%04x $mask) = $(printf 0x%04x $want)"
		[ $((ctrl & mask)) -eq "$want" ]
		[ $((ctrl & 0x2c)) -eq 0 ] # RR, CR, EC: no redirect left
		dmesg | grep -q "$bdf: Configured ACS to $(printf '%#06x' $ctrl)"
		n=$((n + 1))
	done
	[ "$n" -ge 1 ]
}

@test "lab acs boot: both printed parameters at once: disable_acs_redir first, then config_acs from firmware's value again" {
	p=$(config_acs_param)
	d=$(tr ' ' '\n' </proc/cmdline | grep '^pci=disable_acs_redir=' | tail -n 1)
	[ -n "$p" ] && [ -n "$d" ]
	[[ "$d" == *"0000:00:04.0"* ]]
	# each applied parameter logs its result; the last one (config_acs) is
	# what the port holds: disable_acs_redir's value (firmware's, whose SV
	# and UF are off here, minus RR/CR/EC) is dropped
	run bash -c "dmesg | grep -o 'pci 0000:00:04.0: Configured ACS to 0x[0-9a-f]*' | awk '{print \$NF}'"
	echo "logged: $output"
	[ "${#lines[@]}" -eq 2 ]
	[ $((lines[0] & 0x3c)) -eq 0 ] # no RR, CR, EC; and UF, which QEMU's firmware leaves off
	[ "${lines[1]}" = "$(printf '%#06x' $((0x$(setpci -s 00:04.0 ECAP0d+6.w))))" ]
	[ "${lines[1]}" = 0x0011 ] # SV and UF kept by config_acs's flags
}

@test "lab acs boot: vfiobuf finds nothing left to clear and the kernel agrees on every pair" {
	[ -n "$(config_acs_param)" ]
	run "$VB" acs -j
	echo "$output"
	[ "$status" -eq 0 ]
	assert_schema acs
	echo "$output" | jq -e '.planned == [] and .uncertain == false
		and ([.pairs[] | select(.provider == "0000:06:00.0" and .client == "0000:06:00.1")][0]
		     | .verdict_before == "bus-addr")'
	run oracle_run 0000:06:00.0,0000:06:00.1
	grep -qx '0000:06:00.0 0000:06:00.1 2' <<<"$output"
}

@test "lab acs boot: the IOMMU groups merged as the plan predicted, and the model explains them" {
	[ -n "$(config_acs_param)" ]
	# the first boot's plan predicted exactly this merge (tests/lab/acs.bats)
	g0=$(basename "$(readlink /sys/bus/pci/devices/0000:00:04.0/iommu_group)")
	g1=$(basename "$(readlink /sys/bus/pci/devices/0000:06:00.0/iommu_group)")
	g2=$(basename "$(readlink /sys/bus/pci/devices/0000:06:00.1/iommu_group)")
	echo "groups: 00:04.0 $g0, 06:00.0 $g1, 06:00.1 $g2"
	[ "$g0" = "$g1" ] && [ "$g1" = "$g2" ]
	"$VB" acs -j | jq -e '.isolation.model_matches_kernel == true'
}
