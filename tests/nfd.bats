#!/usr/bin/env bats
# `topology --format nfd`: Node Feature Discovery feature files on fixture
# trees; every line checked against NFD's input format and Kubernetes'
# label rules; the atomic -o write.
load helpers/common
load fixtures/fixture_helpers

P=vfiobuf.feature.node.kubernetes.io
vb() { "$VB" --sysfs-root "$root/sys" "$@"; }
label() { sed -n "s|^$P/$1=||p" <<<"$output"; }

# Every line is a comment, the expiry directive or PREFIX/NAME=VALUE with a
# valid Kubernetes label name and value; the file is under NFD's 64 KiB.
assert_feature_file() {
	local text=$1 line name value
	[ "${#text}" -lt 65536 ]
	[ "$(grep -c '^# +expiry-time=' <<<"$text")" -eq 1 ]
	while IFS= read -r line; do
		case $line in
		'#'*) continue ;;
		"$P/"*=*) ;;
		*) echo "bad line: $line"; return 1 ;;
		esac
		name=${line#"$P/"}; value=${name#*=}; name=${name%%=*}
		[[ $name =~ ^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$ ]] || { echo "bad name: $line"; return 1; }
		[[ $value =~ ^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$ ]] || { echo "bad value: $line"; return 1; }
	done <<<"$text"
}

teardown() {
	[ -z "${LARGE:-}" ] || rm -rf "$LARGE"
}

# the epoch seconds of the expiry directive in $output
expiry() { date -u -d "$(sed -n 's/^# +expiry-time=//p' <<<"$output")" +%s; }

@test "nfd: qemu-lab labels: one bus-addr pair, ACS redirect on a path, no kernel config read" {
	root=$(fixture qemu-lab)
	run vb topology --format nfd
	[ "$status" -eq 0 ]
	assert_feature_file "$output"
	[ "$(label endpoints)" = 6 ]
	[ "$(label bus-addr-pairs)" = 1 ]
	[ "$(label bus-addr-pairs-min)" = 1 ]
	[ "$(label uncertain-pairs)" = 0 ]
	[ "$(label acs-redirect)" = true ]
	[ "$(label dmabuf-export)" = unknown ]   # no /boot/config: not stated
	[ "$(label iommu-mode)" = group ]        # no /dev/iommu in the tree
	# NVMe and ivshmem behind the switch under root port 00:02.0: one P2P domain
	[ "$(label p2p-groups)" = 1 ]
	[ "$(label p2p-largest-group-endpoints)" = 2 ]
	[ "$(label p2p-largest-group)" = 0000-00-02.0 ]   # the BDF, ':' encoded as '-'
	[ "$(grep -c "^$P/" <<<"$output")" -eq 10 ]
}

@test "nfd: the kernel facts follow doctor: config with the export and cdev, /dev/iommu" {
	root=$(fixture_copy qemu-lab)
	mkdir -p "$root/boot"
	printf 'CONFIG_VFIO_PCI_DMABUF=y\nCONFIG_PCI_P2PDMA=y\nCONFIG_IOMMUFD=m\nCONFIG_VFIO_DEVICE_CDEV=y\n' \
		>"$root/boot/config-7.3.4+deb13-amd64"
	: >"$root/dev/iommu"
	run vb topology --format nfd
	[ "$(label dmabuf-export)" = true ]
	[ "$(label iommu-mode)" = cdev ]
	printf 'CONFIG_PCI_P2PDMA=y\n# CONFIG_VFIO_DEVICE_CDEV is not set\n' >"$root/boot/config-7.3.4+deb13-amd64"
	run vb topology --format nfd
	[ "$(label dmabuf-export)" = false ]
	[ "$(label iommu-mode)" = group ]
	rm "$root/boot/config-7.3.4+deb13-amd64"
	run vb topology --format nfd
	[ "$(label iommu-mode)" = unknown ]      # /dev/iommu, but cdev support not known
	echo 6.12.0-1-amd64 >"$root/proc/sys/kernel/osrelease"
	run vb topology --format nfd
	[ "$(label dmabuf-export)" = false ]     # doctor: older than 6.19, no backport config
	rm -r "$root/sys/kernel/iommu_groups"
	run vb topology --format nfd
	[ "$(label iommu-mode)" = none ]
}

@test "nfd: a non-root view states no ACS fact it did not read" {
	"$FIXTURES_DIR/gen-sysfs" "$FIXTURES_DIR/qemu-lab.json" "$BATS_TEST_TMPDIR/nr" --non-root-view
	root=$BATS_TEST_TMPDIR/nr
	run vb topology --format nfd
	[ "$status" -eq 0 ]
	assert_feature_file "$output"
	[ "$(label bus-addr-pairs)" = unknown ]
	[ "$(label uncertain-pairs)" -gt 0 ]
	[ "$(label acs-redirect)" = unknown ]
	[ "$(label p2p-groups)" = unknown ]
	[ "$(label p2p-largest-group-endpoints)" = unknown ]
	[ "$(label p2p-largest-group)" = unknown ]
}

@test "nfd: every fixture gives a valid feature file; the device selection narrows the count" {
	for f in laptop multifunction qemu-lab server-2s sriov; do
		root=$(fixture $f)
		run vb topology --format nfd
		[ "$status" -eq 0 ] || { echo "$f: $output"; false; }
		assert_feature_file "$output" || { echo "$f"; false; }
	done
	root=$(fixture qemu-lab)
	run vb topology --format nfd 03:00.0 04:00.0
	[ "$(label endpoints)" = 2 ]
	[ "$(label bus-addr-pairs)" = 1 ]
	[ "$(label acs-redirect)" = false ]
	[ "$(label p2p-groups)" = 1 ]
	# two functions under a redirecting root port: each its own domain, no group
	run vb topology --format nfd 06:00.0 06:00.1
	[ "$(label bus-addr-pairs)" = 0 ]
	[ "$(label p2p-groups)" = 0 ]
	[ "$(label p2p-largest-group-endpoints)" = 0 ]
	[ "$(label p2p-largest-group)" = none ]
	# bridges selected (--all, or by name) are not endpoints: not counted
	run vb topology --format nfd --all
	[ "$(label endpoints)" = 6 ]
	run vb topology --format nfd 00:02.0 03:00.0
	[ "$(label endpoints)" = 1 ]
}

@test "nfd: an lspci dump holds no kernel: host facts unknown" {
	dump=$(ls "$VFIOBUF_TOP"/tests/fixtures/lspci-dumps/* | head -1)
	run "$VB" -F "$dump" topology --format nfd
	[ "$status" -eq 0 ]
	assert_feature_file "$output"
	[ "$(label dmabuf-export)" = unknown ]
	[ "$(label iommu-mode)" = unknown ]
}

@test "nfd: expiry a day ahead by default, --expiry SECONDS otherwise" {
	root=$(fixture laptop)
	now=$(date +%s)
	run vb topology --format nfd
	e=$(expiry)
	[ "$e" -ge $((now + 86400)) ] && [ "$e" -le $((now + 86400 + 60)) ]
	run vb topology --format nfd --expiry 600
	e=$(expiry)
	[ "$e" -ge $((now + 600)) ] && [ "$e" -le $((now + 660)) ]
	run vb topology --format nfd --expiry 0
	[ "$status" -eq 2 ]
	[[ $output == *"invalid --expiry '0'"* ]]
}

@test "nfd: -o writes the file atomically (a dotfile renamed), mode 0644, nothing on stdout" {
	root=$(fixture qemu-lab)
	d=$BATS_TEST_TMPDIR/features.d
	mkdir "$d"
	run vb topology --format nfd -o "$d/vfiobuf"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	assert_feature_file "$(cat "$d/vfiobuf")"
	[ "$(stat -c %a "$d/vfiobuf")" = 644 ]
	[ "$(ls -A "$d")" = vfiobuf ]            # no temporary file left
	# the write goes through a dotfile in the same directory, then a rename
	if command -v strace >/dev/null; then
		strace -f -e trace=openat,renameat,renameat2,rename -o "$BATS_TEST_TMPDIR/st" \
			"$VB" --sysfs-root "$root/sys" topology --format nfd -o "$d/vfiobuf"
		grep -Eq 'openat\([0-9]+, "\.vfiobuf\.[A-Za-z0-9]{6}", O_WRONLY\|O_CREAT\|O_EXCL\|O_NOFOLLOW' "$BATS_TEST_TMPDIR/st"
		grep -Eq 'rename(at2?)?\([0-9]+, "\.vfiobuf\.[A-Za-z0-9]{6}", [0-9]+, "vfiobuf"' "$BATS_TEST_TMPDIR/st"
	fi
	# -q still writes the file
	rm "$d/vfiobuf"
	run vb -q topology --format nfd -o "$d/vfiobuf"
	[ "$status" -eq 0 ] && [ -s "$d/vfiobuf" ]
}

@test "nfd: a symlink swapped in at the target is replaced, not followed" {
	root=$(fixture qemu-lab)
	d=$BATS_TEST_TMPDIR/features.d
	mkdir "$d"
	echo precious >"$BATS_TEST_TMPDIR/victim"
	ln -s "$BATS_TEST_TMPDIR/victim" "$d/vfiobuf"
	run vb topology --format nfd -o "$d/vfiobuf"
	[ "$status" -eq 0 ]
	[ ! -L "$d/vfiobuf" ] && [ -f "$d/vfiobuf" ]
	[ "$(cat "$BATS_TEST_TMPDIR/victim")" = precious ]
}

@test "nfd: errors: -o without nfd is a usage error; a missing directory is named, JSON under -j" {
	root=$(fixture laptop)
	run vb topology -o "$BATS_TEST_TMPDIR/x"
	[ "$status" -eq 2 ]
	[[ $output == *"-o and --expiry go with --format nfd"* ]]
	run vb topology --format nfd -o "$BATS_TEST_TMPDIR/none/vfiobuf"
	[ "$status" -eq 3 ]
	[[ $output == *"cannot open directory '$BATS_TEST_TMPDIR/none'"*"No such file or directory"* ]]
	run sh -c '"$0" --sysfs-root "$1" topology --format nfd >/dev/full' "$VB" "$root/sys"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot write the feature file to standard output: No space left on device"* ]]
	run --separate-stderr vb -j topology --format nfd -o "$BATS_TEST_TMPDIR/none/vfiobuf"
	[ "$status" -eq 3 ]
	jq -e '.error.exit_code == 3 and .error.errno_name == "ENOENT"' <<<"$output"
}

@test "nfd: the largest fixture (3392 endpoints) stays a fixed set of labels far under 64 KiB" {
	# 109,000 files: on tmpfs when there is one (a busy disk takes minutes)
	LARGE=$(mktemp -d -p /dev/shm vfiobuf-nfd.XXXXXX 2>/dev/null || mktemp -d)
	"$VFIOBUF_TOP/tests/fixtures/gen-large" --functions 4096 "$LARGE/large.json"
	"$FIXTURES_DIR/gen-sysfs" "$LARGE/large.json" "$LARGE/large" >/dev/null
	root=$LARGE/large
	run vb topology --format nfd
	[ "$status" -eq 0 ]
	assert_feature_file "$output"
	[ "$(label endpoints)" = 3392 ]
	[ "$(grep -c "^$P/" <<<"$output")" -eq 10 ]
	[ "${#output}" -lt 1024 ]
	# each of the 64 switches has 4 GPUs behind non-redirecting ports: 6 pairs each
	[ "$(label bus-addr-pairs)" = 384 ]
	# ... yet no P2P domain holds two of them: every switch also has GPUs
	# behind redirecting ports, and a domain needs every pair below it clear
	[ "$(label p2p-groups)" = 0 ]
}
