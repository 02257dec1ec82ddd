#!/usr/bin/env bats
# vfiobuf acs on fixture trees (tests/fixtures/acs.json: a switch with
# redirect on two of three downstream ports, a two-function device with ACS
# redirect on its root port and on itself, a lone GPU on a third root port;
# IOMMU groups as the kernel's pci_device_group makes them).  Expected values
# worked out by hand from the 7.3 rules (p2pdma.c, pci.c, iommu.c).

load helpers/common
load helpers/schema
load fixtures/fixture_helpers

vb() { "$VB" --sysfs-root "$root/sys" "$@"; }

@test "acs: two GPUs on one switch: only their two ports, not the root port above" {
	root=$(fixture acs)
	run vb acs -j 03:00.0 04:00.0
	[ "$status" -eq 0 ]
	assert_schema acs
	echo "$output" | jq -e '.planned == ["0000:02:00.0", "0000:02:01.0"] and .verified and (.uncertain | not)
		and .pairs == [{"provider": "0000:03:00.0", "client": "0000:04:00.0", "common_upstream": true,
			"verdict_before": "not-supported", "uncertain_before": false,
			"verdict_after": "bus-addr", "uncertain_after": false}]
		and ([.ports[].bdf] | index("0000:00:01.0") == null)
		and .kernel_parameters.disable_acs_redir == "pci=disable_acs_redir=0000:02:00.0;0000:02:01.0"
		and .kernel_parameters.config_acs == "pci=config_acs=0x10001@0000:02:00.0;0010001@0000:02:01.0"'
	# EC is a redirect bit too (02:01.0 implements it and has it on)
	echo "$output" | jq -e '.ports[] | select(.bdf == "0000:02:01.0")
		| .clear == ["RR", "CR", "EC"] and .control_value == "0x003d" and .control_after == "0x0011"'
}

@test "acs: every endpoint: minimal set, pairs without a common upstream said so" {
	root=$(fixture acs)
	run vb acs -j
	[ "$status" -eq 0 ]
	assert_schema acs
	echo "$output" | jq -e '.planned == ["0000:00:02.0", "0000:02:00.0", "0000:02:01.0", "0000:06:00.0", "0000:06:00.1"]
		and (.pairs | length) == 15
		and ([.pairs[] | select(.common_upstream)] | length) == 4
		and all(.pairs[] | select(.common_upstream); .verdict_after == "bus-addr")
		and all(.pairs[] | select(.common_upstream | not); .verdict_after != "bus-addr")
		and (.ports[] | select(.bdf == "0000:02:02.0") | .planned == false and .redirect == false)'
	run vb acs
	[ "$status" -eq 0 ]
	grep -q '^11 pairs without a common upstream bridge: never bus-addr' <<<"$output"
	grep -q '^  0000:06:00.0 <-> 0000:06:00.1  not-supported -> bus-addr$' <<<"$output"
	grep -q '^0000:02:01.0  downstream-port   0x100     SV TB RR CR UF EC DT  SV RR CR UF EC' <<<"$output"
}

@test "acs: the isolation cost: which IOMMU groups merge, and the model explains today's" {
	root=$(fixture acs)
	run vb acs -j
	echo "$output" | jq -e '.isolation.iommu and .isolation.estimated and .isolation.model_matches_kernel == true
		and .isolation.merges == [
			{"groups": [3, 4], "devices": ["0000:02:00.0", "0000:03:00.0"], "ports": ["0000:02:00.0"]},
			{"groups": [5, 6], "devices": ["0000:02:01.0", "0000:04:00.0"], "ports": ["0000:02:01.0"]},
			{"groups": [8, 9, 10], "devices": ["0000:00:02.0", "0000:06:00.0", "0000:06:00.1"],
			 "ports": ["0000:00:02.0", "0000:06:00.0", "0000:06:00.1"]}]'
	run vb acs
	grep -q '^  IOMMU groups 8 9 10 would merge: 0000:00:02.0 0000:06:00.0 0000:06:00.1' <<<"$output"
}

@test "acs: a fixture whose groups the ACS bits do not explain is flagged" {
	root=$(fixture server-2s) # its ports without ACS isolation still have groups of their own
	run vb acs -j
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.isolation.model_matches_kernel == false'
	run vb acs
	grep -q 'do not explain today.s IOMMU groups' <<<"$output"
}

@test "acs: nothing to do when the path has no redirect" {
	root=$(fixture acs)
	run vb acs -j 04:00.0 05:00.0
	# 05:00.0's port has no redirect, 04:00.0's has: one port
	echo "$output" | jq -e '.planned == ["0000:02:01.0"]'
	run vb acs -j 03:00.0 07:00.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.planned == [] and .ports == [] and .kernel_parameters.config_acs == null
		and .pairs[0].common_upstream == false and .pairs[0].verdict_after == "not-supported"'
	run vb acs 03:00.0 07:00.0
	grep -q 'no pair of these endpoints has a common upstream bridge' <<<"$output"
	grep -q '^nothing to change' <<<"$output"
}

@test "acs: non-root view: unknown, uncertain, what is missing, and no drop-in" {
	root=$BATS_FILE_TMPDIR/acs-nonroot
	[ -d "$root" ] || "$FIXTURES_DIR/gen-sysfs" "$FIXTURES_DIR/acs.json" "$root" --non-root-view >/dev/null
	run vb acs -j 03:00.0 04:00.0
	[ "$status" -eq 0 ]
	assert_schema acs
	echo "$output" | jq -e '.uncertain and .planned == [] and (.missing | length) == 5
		and all(.ports[]; .acs == "unknown" and .redirect == null and .acs_missing_reason != null)
		and .pairs[0].uncertain_before and .isolation.model_matches_kernel == null'
	run --separate-stderr vb acs 03:00.0 04:00.0 --grub-dropin --dry-run
	[ "$status" -eq 1 ]
	[[ "$stderr" == "vfiobuf: not writing "*"vfiobuf-acs.cfg: the ACS of functions on the paths was not read (run as root)" ]]
}

@test "acs --setpci prints the commands, only the bits to clear in the mask" {
	root=$(fixture acs)
	run vb acs --setpci 03:00.0 04:00.0
	[ "$status" -eq 0 ]
	grep -qx '  setpci -s 0000:02:00.0 ECAP0d+6.w=0000:000c' <<<"$output"
	grep -qx '  setpci -s 0000:02:01.0 ECAP0d+6.w=0000:002c' <<<"$output"
	run vb acs -j --setpci 03:00.0 04:00.0
	assert_schema acs
	echo "$output" | jq -e '.setpci == ["setpci -s 0000:02:00.0 ECAP0d+6.w=0000:000c", "setpci -s 0000:02:01.0 ECAP0d+6.w=0000:002c"]'
	# without the option: no list
	vb acs -j 03:00.0 04:00.0 | jq -e 'has("setpci") | not'
}

@test "acs --grub-dropin --dry-run prints the drop-in and writes nothing" {
	root=$(fixture_copy acs)
	run vb acs --grub-dropin --dry-run 03:00.0 04:00.0
	[ "$status" -eq 0 ]
	grep -qx 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT pci=config_acs=\\"0x10001@0000:02:00.0;0010001@0000:02:01.0\\""' <<<"$output"
	[ ! -e "$root/etc/default/grub.d/vfiobuf-acs.cfg" ]
	run vb acs -j --grub-dropin --dry-run 03:00.0 04:00.0
	assert_schema acs
	echo "$output" | jq -e '.grub_dropin.written == false and (.grub_dropin.path | endswith("/etc/default/grub.d/vfiobuf-acs.cfg"))'
}

@test "acs --grub-dropin writes the file (0644, atomically) and a shell reads the parameter back" {
	root=$(fixture_copy acs)
	mkdir -p "$root/etc/default" # grub.d itself is made when missing
	run vb acs --grub-dropin 03:00.0 04:00.0
	[ "$status" -eq 0 ]
	f=$root/etc/default/grub.d/vfiobuf-acs.cfg
	[ "$(stat -c %a "$f")" = 644 ]
	# what update-grub's shell makes of it
	v=$(GRUB_CMDLINE_LINUX_DEFAULT="quiet" bash -c ". '$f'; echo \"\$GRUB_CMDLINE_LINUX_DEFAULT\"")
	[ "$v" = 'quiet pci=config_acs="0x10001@0000:02:00.0;0010001@0000:02:01.0"' ]
	# no temporary left behind; a second run replaces it
	[ "$(ls -A "$root/etc/default/grub.d")" = vfiobuf-acs.cfg ]
	vb acs --grub-dropin 03:00.0 05:00.0 >/dev/null
	grep -q 'config_acs=\\"0x10001@0000:02:00.0\\"' "$f"
}

@test "acs --grub-dropin replaces a planted symlink instead of following it" {
	root=$(fixture_copy acs)
	mkdir -p "$root/etc/default/grub.d"
	echo precious >"$BATS_TEST_TMPDIR/target"
	ln -s "$BATS_TEST_TMPDIR/target" "$root/etc/default/grub.d/vfiobuf-acs.cfg"
	run vb acs --grub-dropin 03:00.0 04:00.0
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/target")" = precious ]
	[ ! -L "$root/etc/default/grub.d/vfiobuf-acs.cfg" ]
	grep -q config_acs "$root/etc/default/grub.d/vfiobuf-acs.cfg"
}

@test "acs --grub-dropin refuses a directory that is a symlink or writable by others" {
	root=$(fixture_copy acs)
	mkdir -p "$root/etc/default" "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$root/etc/default/grub.d"
	run --separate-stderr vb acs --grub-dropin 03:00.0 04:00.0
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"grub.d: not a directory (a symlink?): refusing to write there"* ]]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/elsewhere")" ]
	rm "$root/etc/default/grub.d"
	mkdir -m 0777 "$root/etc/default/grub.d"
	chmod 0777 "$root/etc/default/grub.d"
	run --separate-stderr vb acs -j --grub-dropin 03:00.0 04:00.0
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"writable by others (mode 777): refusing to write there" ]]
	echo "$output" | jq -e '.error.exit_code == 4'
}

@test "acs --grub-dropin=FILE writes there; nothing planned writes nothing" {
	root=$(fixture_copy acs)
	run vb acs --grub-dropin="$BATS_TEST_TMPDIR/acs.cfg" 06:00.0 06:00.1
	[ "$status" -eq 0 ]
	grep -q 'pci=config_acs=\\"0x10001@0000:00:02.0;0x10001@0000:06:00.0;0x10001@0000:06:00.1\\"' "$BATS_TEST_TMPDIR/acs.cfg"
	run vb acs -j --grub-dropin="$BATS_TEST_TMPDIR/none.cfg" 03:00.0 07:00.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.grub_dropin.written == false and .grub_dropin.text == null'
	[ ! -e "$BATS_TEST_TMPDIR/none.cfg" ]
}

@test "acs: usage errors and unknown devices" {
	root=$(fixture acs)
	run --separate-stderr vb acs --dry-run
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--dry-run goes with --grub-dropin"* ]]
	run --separate-stderr vb acs -j 09:00.0
	[ "$status" -eq 3 ]
	[ "$stderr" = "vfiobuf: 0000:09:00.0: no such PCI device" ]
	echo "$output" | jq -e '.error.exit_code == 3'
	run --separate-stderr vb acs 03:00.0 zz
	[ "$status" -eq 2 ]
	run --separate-stderr vb acs -d ffff:
	[ "$status" -eq 3 ]
}

@test "acs from an lspci dump: planned from the captured bytes; the drop-in needs a FILE" {
	root=$(fixture acs)
	dump=$BATS_TEST_TMPDIR/acs.dump
	lspci -A linux-sysfs -O sysfs.path="$root/sys/bus/pci" -xxxx >"$dump"
	run "$VB" -F "$dump" acs -j 03:00.0 04:00.0
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.planned == ["0000:02:00.0", "0000:02:01.0"] and (.isolation.iommu | not)'
	run --separate-stderr "$VB" -F "$dump" acs --grub-dropin 03:00.0 04:00.0
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--grub-dropin from an lspci dump: name the FILE"* ]]
}

@test "acs warns when the running kernel already has an ACS parameter (only the last counts)" {
	root=$(fixture_copy acs)
	echo "BOOT_IMAGE=/vmlinuz ro pci=noaer,config_acs=1x1xx1x@0000:00:03.0 quiet" >"$root/proc/cmdline"
	run --separate-stderr vb acs -j 03:00.0 04:00.0
	[ "$status" -eq 0 ]
	[ "$stderr" = "vfiobuf: warning: this kernel was booted with pci=config_acs=1x1xx1x@0000:00:03.0; only the last pci=config_acs= of a command line counts: merge it with the one below" ]
	# nothing planned: nothing to merge with, no warning
	run --separate-stderr vb acs -j 03:00.0 07:00.0
	[ -z "$stderr" ]
}
