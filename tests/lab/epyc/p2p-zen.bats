#!/usr/bin/env bats
# Booted with -cpu EPYC (AMD family 0x17): the kernel's Zen rule lets every
# host-bridge route through, whatever the whitelist says.

load ../lab_helpers

setup() { skip_unless_in_lab; }

@test "lab zen: the guest CPU is AMD family 0x17" {
	grep -q 'vendor_id.*AuthenticAMD' /proc/cpuinfo
	[ "$(awk -F: '/cpu family/{print $2+0; exit}' /proc/cpuinfo)" -ge 23 ]
}

@test "lab zen: different root ports go thru-host-bridge with distance 6" {
	run "$VB" distance -j 03:00.0 05:00.0
	echo "$output" | jq -e '.verdict == "thru-host-bridge" and .zen_rule and .distance == 6 and .kernel_distance == 6'
}

@test "lab zen: ACS redirect on the root port goes thru-host-bridge" {
	# this boot's pci=config_acs= (tests/lab/epyc/acs-boot.bats) cleared the
	# port's redirect bits: set them for the test, then put the word back
	saved=$(setpci -s 00:04.0 ECAP0d+6.w)
	setpci -s 00:04.0 ECAP0d+6.w=000c:000c
	run "$VB" distance -j 06:00.0 06:00.1
	setpci -s 00:04.0 ECAP0d+6.w="$saved"
	echo "$output" | jq -e '.verdict == "thru-host-bridge" and .distance == 2'
}
