#!/usr/bin/env bats
# Real captured sysfs trees (hwloc's test data, tests/captures/hwloc): vfiobuf
# reads each without failing, and its PCI tree is the one hwloc's expected
# output shows and the one the sysfs paths spell, and no verdict it calls
# certain from the captured 64-byte configs changes when the rest of the
# config is filled in, nor does a host bridge's root device unless marked
# inferred (fill-config: zero, acs-redir, acs-none; see
# check-capture).  Each test is one command
# of tests/captures/check-capture; rerun a capture alone with
#   tests/captures/check-capture all NAME
# (issue 14: vfiobuf was confidently wrong on some of these).

load helpers/common

CAPTURES=$VFIOBUF_TOP/tests/captures

setup_file() {
	# about 9,000 small files per tree: in memory when there is room (a
	# slow disk made the suite four minutes long)
	if [ -d /dev/shm ] && [ -w /dev/shm ] && CAPTURE_TMP=$(mktemp -d /dev/shm/vfiobuf-captures.XXXXXX); then
		export CAPTURE_TMP
	else
		export CAPTURE_TMP=$BATS_RUN_TMPDIR/captures
		mkdir -p "$CAPTURE_TMP"
	fi
}

teardown_file() {
	case "$CAPTURE_TMP" in /dev/shm/vfiobuf-captures.*) rm -rf "$CAPTURE_TMP" ;; esac
}

check() {
	run "$CAPTURES/check-capture" "$1" "$2"
	echo "$output"
	[ "$status" -eq 0 ]
}

# the parent relation hwloc's expected output shows: "BDF PARENT" lines
hwloc_parents() { "$CAPTURES/hwloc-parents" "$CAPTURES/hwloc/$1"; }

@test "every hwloc capture with PCI is shipped with its expected output and provenance" {
	local n=0 t
	for t in "$CAPTURES"/hwloc/*.tar.bz2; do
		name=$(basename "$t" .tar.bz2)
		[ -f "$CAPTURES/hwloc/$name.test" ]
		[ -f "$CAPTURES/hwloc/$name.console" ] || [ -f "$CAPTURES/hwloc/$name.xml" ]
		grep -q "^| \`$name\` |" "$CAPTURES/hwloc/PROVENANCE.md"
		n=$((n + 1))
	done
	[ "$n" -eq 7 ]
	grep -q "BSD-3-Clause" "$CAPTURES/hwloc/COPYING"
}

@test "unpack prints the directory holding sys/ and proc/, whatever the top directory is called" {
	run "$CAPTURES/unpack" 32em64t-2n8c+dax+nvme+mic+dimms "$BATS_TEST_TMPDIR/u"
	[ "$status" -eq 0 ]
	[ "$output" = "$BATS_TEST_TMPDIR/u/32em64t-2n8c+1mic" ]
	[ -d "$output/sys/bus/pci/devices" ] && [ -f "$output/proc/cpuinfo" ]
	run "$CAPTURES/unpack" no-such-capture "$BATS_TEST_TMPDIR/v"
	[ "$status" -eq 3 ]
}

@test "hwloc-parents reads the nesting of lstopo's console and XML outputs" {
	run hwloc_parents 32intel64-2p8co2t+8ve.console
	[ "${#lines[@]}" -eq 28 ]
	grep -qx '0000:17:00.0 -' <<<"$output"
	grep -qx '0000:19:14.0 0000:18:00.0' <<<"$output"
	grep -qx '0000:60:00.1 0000:5e:00.0' <<<"$output"
	run hwloc_parents 2pa-pcidomain32bits.console
	grep -qx '10000:00:04.0 -' <<<"$output"
	[ "${#lines[@]}" -eq 4 ]
	run hwloc_parents 40intel64-2g2n4c+pcilocality.xml
	[ "${#lines[@]}" -eq 37 ]
	run hwloc_parents 32em64t-2n8c+dax+nvme+mic+dimms.xml
	[ "${#lines[@]}" -eq 136 ]
	grep -qx '0000:05:00.0 0000:04:00.0' <<<"$output"
	grep -qx '0000:04:00.0 0000:00:1c.0' <<<"$output"
}

@test "the parent check fails when the expected parent differs" {
	# an expected output with 1a:00.0 moved under 19:08.0
	sed '/busid=0000:1a:00.0/{h;d};/busid=0000:1b:00.0/{p;x;s/^ *//;s/^/            /}' \
		"$CAPTURES/hwloc/32intel64-2p8co2t+8ve.console" >"$BATS_TEST_TMPDIR/moved.console"
	grep -qx '0000:1a:00.0 0000:19:08.0' < <("$CAPTURES/hwloc-parents" "$BATS_TEST_TMPDIR/moved.console")
	CAPTURE_EXPECTED=$BATS_TEST_TMPDIR/moved.console run "$CAPTURES/check-capture" parents 32intel64-2p8co2t+8ve
	[ "$status" -eq 1 ]
	grep -q '^MISMATCH 32intel64-2p8co2t+8ve 0000:1a:00.0: hwloc parent 0000:19:08.0, vfiobuf 0000:19:04.0$' <<<"$output"
}

@test "2pa-pcidomain32bits: list and topology read it (JSON)" { check json 2pa-pcidomain32bits; }
@test "2pa-pcidomain32bits: parents are hwloc's" { check parents 2pa-pcidomain32bits; }
@test "2pa-pcidomain32bits: parents follow the sysfs paths" { check sysfs-parents 2pa-pcidomain32bits; }
@test "2pa-pcidomain32bits: one named host bridge per root bus" { check host-bridges 2pa-pcidomain32bits; }
@test "2pa-pcidomain32bits: 64-byte verdicts are each full config's or uncertain" { check property 2pa-pcidomain32bits; }

@test "32em64t-2n8c+dax+nvme+mic+dimms: list and topology read it (JSON)" { check json 32em64t-2n8c+dax+nvme+mic+dimms; }
@test "32em64t-2n8c+dax+nvme+mic+dimms: parents are hwloc's" { check parents 32em64t-2n8c+dax+nvme+mic+dimms; }
@test "32em64t-2n8c+dax+nvme+mic+dimms: parents follow the sysfs paths" { check sysfs-parents 32em64t-2n8c+dax+nvme+mic+dimms; }
@test "32em64t-2n8c+dax+nvme+mic+dimms: one named host bridge per root bus" { check host-bridges 32em64t-2n8c+dax+nvme+mic+dimms; }
@test "32em64t-2n8c+dax+nvme+mic+dimms: 64-byte verdicts are each full config's or uncertain (root port 80:02.0)" { check property 32em64t-2n8c+dax+nvme+mic+dimms; }

@test "32intel64-2p8co2t+8ve: list and topology read it (JSON)" { check json 32intel64-2p8co2t+8ve; }
@test "32intel64-2p8co2t+8ve: parents are hwloc's (bridge 5f:03.0 absent from bus/pci/devices)" { check parents 32intel64-2p8co2t+8ve; }
@test "32intel64-2p8co2t+8ve: parents follow the sysfs paths (60:00.x under 5f:03.0)" { check sysfs-parents 32intel64-2p8co2t+8ve; }
@test "32intel64-2p8co2t+8ve: one named host bridge per root bus" { check host-bridges 32intel64-2p8co2t+8ve; }
@test "32intel64-2p8co2t+8ve: 64-byte verdicts are each full config's or uncertain (root port 5d:02.0 with its PCIe capability past 64 bytes)" { check property 32intel64-2p8co2t+8ve; }

@test "40intel64-2g2n4c+pcilocality: list and topology read it (JSON)" { check json 40intel64-2g2n4c+pcilocality; }
@test "40intel64-2g2n4c+pcilocality: parents are hwloc's" { check parents 40intel64-2g2n4c+pcilocality; }
@test "40intel64-2g2n4c+pcilocality: parents follow the sysfs paths" { check sysfs-parents 40intel64-2g2n4c+pcilocality; }
@test "40intel64-2g2n4c+pcilocality: one named host bridge per root bus" { check host-bridges 40intel64-2g2n4c+pcilocality; }
@test "40intel64-2g2n4c+pcilocality: 64-byte verdicts are each full config's or uncertain (root port 40:01.0)" { check property 40intel64-2g2n4c+pcilocality; }

@test "40intel64-4n10c+pci-conflicts: list and topology read it (JSON)" { check json 40intel64-4n10c+pci-conflicts; }
@test "40intel64-4n10c+pci-conflicts: parents are hwloc's" { check parents 40intel64-4n10c+pci-conflicts; }
@test "40intel64-4n10c+pci-conflicts: parents follow the sysfs paths" { check sysfs-parents 40intel64-4n10c+pci-conflicts; }
@test "40intel64-4n10c+pci-conflicts: one named host bridge per root bus" { check host-bridges 40intel64-4n10c+pci-conflicts; }
@test "40intel64-4n10c+pci-conflicts: 64-byte verdicts are each full config's or uncertain" { check property 40intel64-4n10c+pci-conflicts; }

@test "fakepcilocalities: list and topology read it (JSON)" { check json fakepcilocalities; }
@test "fakepcilocalities: parents are hwloc's" { check parents fakepcilocalities; }
@test "fakepcilocalities: parents follow the sysfs paths" { check sysfs-parents fakepcilocalities; }
@test "fakepcilocalities: one named host bridge per root bus" { check host-bridges fakepcilocalities; }
@test "fakepcilocalities: 64-byte verdicts are each full config's or uncertain (root ports 40:01.0, 80:01.0, c0:01.0)" { check property fakepcilocalities; }

@test "nvidiagpunumanodes: list and topology read it (JSON; no vendor, config or device path)" { check json nvidiagpunumanodes; }
@test "nvidiagpunumanodes: parents are hwloc's (each GPU alone on its root bus)" { check parents nvidiagpunumanodes; }
@test "nvidiagpunumanodes: parents follow the sysfs paths" { check sysfs-parents nvidiagpunumanodes; }
@test "nvidiagpunumanodes: one named host bridge per root bus (no pciDDDD:BB in any path: one per root bus, named)" { check host-bridges nvidiagpunumanodes; }
@test "nvidiagpunumanodes: 64-byte verdicts are each full config's or uncertain" { check property nvidiagpunumanodes; }
