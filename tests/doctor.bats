#!/usr/bin/env bats
# `vfiobuf doctor` on fixture trees (every check, green and red) and on this
# machine (no IOMMU here: it must say so, not crash).
load helpers/common
load helpers/schema
load helpers/prom
load fixtures/fixture_helpers

# a qemu-lab tree with the kernel config of a 7.3 kernel with the feature
green_root() {
	root=$(fixture_copy qemu-lab)
	mkdir -p "$root/boot"
	printf 'CONFIG_VFIO_PCI_DMABUF=y\nCONFIG_PCI_P2PDMA=y\nCONFIG_IOMMUFD=m\nCONFIG_VFIO_DEVICE_CDEV=y\n' \
		>"$root/boot/config-7.3.4+deb13-amd64"
	: >"$root/dev/iommu"
	echo "$root"
}

status_of() { # CHECK [DEVICE]: its status in the JSON in $output
	jq -r --arg c "$1" --arg d "${2:-}" \
		'.checks[] | select(.check == $c and ((.bdf // "") == $d)) | .status' <<<"$output"
}

@test "doctor: a host with everything passes, exit 0, every check named" {
	root=$(green_root)
	run "$VB" -j --sysfs-root "$root/sys" doctor
	[ "$status" -eq 0 ]
	assert_schema doctor
	for c in kernel iommu modules vfio-container dev-iommu kernel-config dmabuf-export p2pdma iommufd vfio-cdev; do
		[ "$(status_of $c)" = ok ] || { echo "$c: $(status_of $c)"; false; }
	done
	jq -e '.summary.fail == 0 and .summary.ok >= 10' <<<"$output"
}

@test "doctor: human output has a line per check, hints under problems, a summary" {
	root=$(fixture_copy qemu-lab)
	echo 6.12.0-1-amd64 >"$root/proc/sys/kernel/osrelease"
	run "$VB" --sysfs-root "$root/sys" doctor
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "fail  kernel          Linux 6.12.0-1-amd64 is older than 6.19: no VFIO_DEVICE_FEATURE_DMA_BUF" ]]
	[[ "${lines[1]}" == *"-> boot a 6.19 or later kernel"* ]]
	[[ "${lines[-1]}" == *" ok, "*" info, "*" warn, 1 fail" ]]
}

@test "doctor: no IOMMU, with the command line's reason or the firmware hint" {
	root=$(fixture_copy qemu-lab)
	rm -rf "$root/sys/kernel/iommu_groups"/* "$root/sys/class/iommu"/*
	run "$VB" -j --sysfs-root "$root/sys" doctor
	[ "$status" -eq 1 ]
	[ "$(status_of iommu)" = fail ]
	jq -e '.checks[] | select(.check == "iommu") | .hint | contains("AMD-Vi")' <<<"$output"
	echo "console=ttyS0 intel_iommu=off" >"$root/proc/cmdline"
	run "$VB" -j --sysfs-root "$root/sys" doctor
	jq -e '.checks[] | select(.check == "iommu") | .hint | startswith("the kernel command line turns the IOMMU off")' <<<"$output"
	sed -i 's/AuthenticAMD/GenuineIntel/' "$root/proc/cpuinfo"
	echo "console=ttyS0" >"$root/proc/cmdline"
	run "$VB" -j --sysfs-root "$root/sys" doctor
	jq -e '.checks[] | select(.check == "iommu") | .hint | contains("add intel_iommu=on")' <<<"$output"
}

@test "doctor: modules not loaded but loadable is a warning; absent is a failure" {
	root=$(fixture_copy qemu-lab)
	rm -rf "$root/sys/module/vfio_pci" "$root/sys/module/vfio_iommu_type1"
	mkdir -p "$root/lib/modules/7.3.4+deb13-amd64"
	printf 'kernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/vfio.ko.xz\nkernel/drivers/vfio/vfio_iommu_type1.ko.xz:\n' \
		>"$root/lib/modules/7.3.4+deb13-amd64/modules.dep"
	run "$VB" -j --sysfs-root "$root/sys" doctor
	[ "$(status_of modules)" = warn ]
	jq -e '.checks[] | select(.check == "modules") | .message == "not loaded (but available): vfio_pci, vfio_iommu_type1"' <<<"$output"
	rm "$root/lib/modules/7.3.4+deb13-amd64/modules.dep"
	run "$VB" -j --sysfs-root "$root/sys" doctor
	[ "$(status_of modules)" = fail ]
	[ "$status" -eq 1 ]
}

@test "doctor: a kernel config without the export is a failure, optional parts are info" {
	root=$(fixture_copy qemu-lab)
	mkdir -p "$root/boot"
	printf 'CONFIG_PCI_P2PDMA=y\n# CONFIG_IOMMUFD is not set\n' >"$root/boot/config-7.3.4+deb13-amd64"
	run "$VB" -j --sysfs-root "$root/sys" doctor
	[ "$status" -eq 1 ]
	[ "$(status_of dmabuf-export)" = fail ]
	[ "$(status_of p2pdma)" = ok ]
	[ "$(status_of iommufd)" = info ]
	[ "$(status_of vfio-cdev)" = info ]
}

@test "doctor DEVICE: driver, group viability, each BAR (I/O and sub-page BARs named)" {
	root=$(green_root)
	run "$VB" -j --sysfs-root "$root/sys" doctor 04:00.0 06:00.0 03:00.0
	[ "$status" -eq 0 ]
	assert_schema doctor
	[ "$(status_of driver 0000:04:00.0)" = warn ]
	jq -e '.checks[] | select(.check == "driver" and .bdf == "0000:04:00.0") | .hint == "vfiobuf bind 0000:04:00.0"' <<<"$output"
	[ "$(status_of bar2 0000:04:00.0)" = ok ]
	[ "$(status_of bar0 0000:04:00.0)" = warn ]
	[ "$(status_of bar1 0000:06:00.0)" = info ]
	jq -e '.checks[] | select(.check == "bar1" and .bdf == "0000:06:00.0") | .message | contains("I/O ports")' <<<"$output"
	[ "$(status_of group 0000:03:00.0)" = ok ]
}

@test "doctor DEVICE: a group that is not viable names the culprits" {
	root=$(fixture server-2s)
	run "$VB" -j --sysfs-root "$root/sys" doctor 07:00.0
	[ "$(status_of driver 0000:07:00.0)" = ok ]
	[ "$(status_of group 0000:07:00.0)" = ok ]
	root=$(fixture qemu-lab)
	run "$VB" -j --sysfs-root "$root/sys" doctor 00:1f.3
	[ "$(status_of group 0000:00:1f.3)" = warn ]
	jq -e '.checks[] | select(.check == "group") | .message | startswith("IOMMU group 6 is not viable: ") and contains("0000:00:1f.0 (lpc_ich)")' <<<"$output"
}

@test "doctor: unknown device is exit 3 with the JSON error; a bad address exit 2" {
	root=$(fixture qemu-lab)
	run --separate-stderr "$VB" -j --sysfs-root "$root/sys" doctor 09:00.0
	[ "$status" -eq 3 ]
	assert_schema error
	jq -e '.error.bdf == "0000:09:00.0" and .error.message == "no such PCI device"' <<<"$output"
	run "$VB" --sysfs-root "$root/sys" doctor zz
	[ "$status" -eq 2 ]
}

@test "doctor -q prints only what needs attention" {
	root=$(fixture_copy qemu-lab)
	echo 6.1.0 >"$root/proc/sys/kernel/osrelease"
	run "$VB" -q --sysfs-root "$root/sys" doctor
	[ "$status" -eq 1 ]
	! grep -q '^ok ' <<<"$output"
	grep -q '^fail  kernel' <<<"$output"
}

@test "doctor on this machine: answers (no IOMMU here), never crashes, JSON parses" {
	run --separate-stderr "$VB" -j doctor
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
	assert_schema doctor
	jq -e '.checks | length > 5' <<<"$output"
	jq -e '.checks[] | select(.check == "iommu") | .status == "ok" or (.hint | length > 0)' <<<"$output"
}

@test "doctor: an older kernel whose config has the export is a backport (warn, not fail)" {
	root=$(fixture_copy qemu-lab)
	echo 6.12.0-55-generic >"$root/proc/sys/kernel/osrelease"
	mkdir -p "$root/boot"
	printf 'CONFIG_VFIO_PCI_DMABUF=y\nCONFIG_PCI_P2PDMA=y\n' >"$root/boot/config-6.12.0-55-generic"
	run "$VB" -j --sysfs-root "$root/sys" doctor
	[ "$(status_of kernel)" = warn ]
	jq -e '.checks[] | select(.check == "kernel") | .message | contains("(a backport)")' <<<"$output"
	[ "$status" -eq 0 ]
	assert_schema doctor
}

@test "doctor: in a VM without IOMMU the hint is a virtual IOMMU" {
	root=$(fixture_copy qemu-lab)
	rm -rf "$root/sys/kernel/iommu_groups"/*
	sed -i 's/^model name.*/&\nflags\t\t: fpu vme de pse hypervisor/' "$root/proc/cpuinfo"
	run "$VB" -j --sysfs-root "$root/sys" doctor
	jq -e '.checks[] | select(.check == "iommu") | .hint | startswith("this is a virtual machine: give it a virtual IOMMU")' <<<"$output"
}

@test "doctor: without a kernel config, P2PDMA is known from a device publishing p2pmem" {
	root=$(fixture_copy qemu-lab)
	run "$VB" -j --sysfs-root "$root/sys" doctor
	[ -z "$(status_of p2pdma)" ]
	mkdir "$root/sys/bus/pci/devices/0000:03:00.0/p2pmem"
	run "$VB" -j --sysfs-root "$root/sys" doctor
	[ "$(status_of p2pdma)" = ok ]
	jq -e '.checks[] | select(.check == "p2pdma") | .message == "PCI peer-to-peer DMA: 0000:03:00.0 publishes p2pmem"' <<<"$output"
}

@test "doctor: identity (passthrough) default domains are reported as fine" {
	root=$(fixture_copy qemu-lab)
	for g in "$root"/sys/kernel/iommu_groups/*; do echo identity >"$g/type"; done
	run "$VB" -j --sysfs-root "$root/sys" doctor
	[ "$(status_of iommu-mode)" = info ]
	jq -e '.checks[] | select(.check == "iommu-mode") | .message | test("^[0-9]+ of [0-9]+ groups have identity")' <<<"$output"
}

@test "doctor on a tree: release from proc/version without osrelease; no rlimits of this host" {
	root=$(green_root)
	rm "$root/proc/sys/kernel/osrelease"
	echo "Linux version 7.3.4+deb13-amd64 (debian-kernel@lists.debian.org) (gcc 14.2.0) #1 SMP PREEMPT_DYNAMIC Debian 7.3.4-1~bpo13+1" >"$root/proc/version"
	run "$VB" -j --sysfs-root "$root/sys" doctor
	[ "$status" -eq 0 ]
	assert_schema doctor
	[ "$(status_of kernel)" = ok ]
	[ "$(status_of kernel-config)" = ok ]
	jq -e '.checks[] | select(.check == "memlock") | .status == "info" and (.message | test("captured tree carries no resource limits"))' <<<"$output"
}

@test "doctor --format prom: promtool passes; a gauge per check and device, host facts as info" {
	require_promtool
	root=$(green_root)
	"$VB" --sysfs-root "$root/sys" doctor --format prom 04:00.0 06:00.0 04:00.0 >"$root/d.prom"
	assert_promtool "$root/d.prom"
	grep -qx 'vfiobuf_doctor_check_ok{check="kernel",bdf=""} 1' "$root/d.prom"
	grep -qx 'vfiobuf_doctor_check_severity{check="driver",bdf="0000:04:00.0"} 2' "$root/d.prom"
	grep -qx 'vfiobuf_doctor_check_severity{check="bar1",bdf="0000:06:00.0"} 1' "$root/d.prom"
	# 04:00.0 named twice: one sample per check all the same
	[ "$(grep -c '^vfiobuf_doctor_check_ok{check="bar2",bdf="0000:04:00.0"}' "$root/d.prom")" -eq 1 ]
	grep -qx 'vfiobuf_doctor_checks_failed 0' "$root/d.prom"
	grep -qx 'vfiobuf_host_info{kernel="7.3.4+deb13-amd64",dmabuf_export="y",p2pdma="y",iommufd="m",vfio_cdev="y"} 1' "$root/d.prom"
	grep -qx "vfiobuf_host_iommu_groups $(ls "$root/sys/kernel/iommu_groups" | wc -l)" "$root/d.prom"
	# as many check samples as the JSON has distinct checks
	run "$VB" -j --sysfs-root "$root/sys" doctor 04:00.0 06:00.0
	[ "$(grep -c '^vfiobuf_doctor_check_ok{' "$root/d.prom")" -eq "$(jq '.checks | length' <<<"$output")" ]
}

@test "doctor --format prom: failures are 0 with exit 1; no kernel config is 'unknown', not 'n'" {
	require_promtool
	root=$(fixture_copy qemu-lab)
	echo 6.12.0-1-amd64 >"$root/proc/sys/kernel/osrelease"
	run --separate-stderr "$VB" --sysfs-root "$root/sys" doctor --format prom
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" >"$root/d.prom"
	assert_promtool "$root/d.prom"
	grep -qx 'vfiobuf_doctor_check_ok{check="kernel",bdf=""} 0' "$root/d.prom"
	grep -qx 'vfiobuf_doctor_check_severity{check="kernel",bdf=""} 3' "$root/d.prom"
	grep -qx 'vfiobuf_doctor_checks_failed 1' "$root/d.prom"
	grep -qx 'vfiobuf_host_info{kernel="6.12.0-1-amd64",dmabuf_export="unknown",p2pdma="unknown",iommufd="unknown",vfio_cdev="unknown"} 1' "$root/d.prom"
	# a config that lacks an option says n
	mkdir -p "$root/boot"
	printf 'CONFIG_PCI_P2PDMA=y\n' >"$root/boot/config-6.12.0-1-amd64"
	run --separate-stderr "$VB" --sysfs-root "$root/sys" doctor --format prom
	grep -qx 'vfiobuf_host_info{kernel="6.12.0-1-amd64",dmabuf_export="n",p2pdma="y",iommufd="n",vfio_cdev="n"} 1' <<<"$output"
}

@test "doctor --format prom: a hostile kernel release is escaped and made UTF-8 (promtool still parses)" {
	require_promtool
	root=$(fixture_copy qemu-lab)
	printf '7.3"evil\\\377x' >"$root/proc/sys/kernel/osrelease"
	"$VB" --sysfs-root "$root/sys" doctor --format prom >"$root/d.prom" || true
	assert_promtool "$root/d.prom"
	grep -q 'kernel="7.3\\"evil\\\\'$'\xef\xbf\xbd''x"' "$root/d.prom"
}

@test "doctor --format: -j and prom conflict (exit 2, JSON error); json is -j; -o needs prom" {
	root=$(fixture qemu-lab)
	run --separate-stderr "$VB" -j --sysfs-root "$root/sys" doctor --format prom
	[ "$status" -eq 2 ]
	[ "$stderr" = "vfiobuf: -j and --format prom conflict" ]
	jq -e '.error.exit_code == 2' <<<"$output"
	run --separate-stderr "$VB" --sysfs-root "$root/sys" doctor --format prom -j
	[ "$status" -eq 2 ]
	run --separate-stderr "$VB" --sysfs-root "$root/sys" doctor --format yaml
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"invalid --format 'yaml' (expected text, json or prom)"* ]]
	run --separate-stderr "$VB" --sysfs-root "$root/sys" doctor --format json
	assert_schema doctor
	run --separate-stderr "$VB" --sysfs-root "$root/sys" doctor -o "$BATS_TEST_TMPDIR/x.prom"
	[ "$status" -eq 2 ]
	[ "$stderr" = "vfiobuf: --output needs --format prom" ]
	[ ! -e "$BATS_TEST_TMPDIR/x.prom" ]
}

@test "doctor --format prom -o FILE: written atomically, 0644, over a symlink; an untrusted directory is exit 4" {
	require_promtool
	root=$(green_root)
	d=$BATS_TEST_TMPDIR/textfile
	mkdir -m 755 "$d"
	echo secret >"$BATS_TEST_TMPDIR/victim"
	ln -s "$BATS_TEST_TMPDIR/victim" "$d/vfiobuf.prom"
	(umask 077 && "$VB" --sysfs-root "$root/sys" doctor --format prom -o "$d/vfiobuf.prom")
	[ -f "$d/vfiobuf.prom" ] && [ ! -L "$d/vfiobuf.prom" ]
	[ "$(stat -c %a "$d/vfiobuf.prom")" = 644 ]
	[ "$(cat "$BATS_TEST_TMPDIR/victim")" = secret ]
	[ "$(ls -A "$d")" = vfiobuf.prom ]
	assert_promtool "$d/vfiobuf.prom"
	chmod 777 "$d"
	run --separate-stderr "$VB" --sysfs-root "$root/sys" doctor --format prom -o "$d/vfiobuf.prom"
	[ "$status" -eq 4 ]
	[[ "$stderr" == "vfiobuf: untrusted metrics file directory $d: owner uid 0 (root), mode 0777: writable by everyone"* ]]
}
