#!/usr/bin/env bats
# vfiobuf snapshot and --snapshot: a snapshot of each generated fixture
# (taken with --sysfs-root, which reads the tree as the live system) replays
# to the same answers as the tree itself; hostile archives are refused
# without writing outside the private directory, which is always removed.

load helpers/common
load helpers/schema
load fixtures/fixture_helpers

FIXTURES="laptop multifunction qemu-lab server-2s sriov"

setup() {
	# replays unpack under TMPDIR: a private one shows what is left behind
	export TMPDIR="$BATS_TEST_TMPDIR/tmp"
	mkdir -p "$TMPDIR"
}

# Nothing left in the private TMPDIR.
tmp_is_empty() {
	[ -z "$(ls -A "$TMPDIR")" ] || { ls -la "$TMPDIR"; return 1; }
}

snap() { # snap FIXTURE -> path of its snapshot (taken once per test file)
	local out="$BATS_FILE_TMPDIR/$1.tar.gz" root
	if [ ! -e "$out" ]; then
		root=$(fixture "$1") || return 1
		"$VB" --sysfs-root "$root/sys" snapshot -q -o "$out" || return 1
	fi
	echo "$out"
}

# The memory-BAR endpoints of a fixture, at most 5.
endpoints() {
	"$VB" --sysfs-root "$1/sys" list -j |
		jq -r '[.[] | select((.is_bridge | not) and (.bars | length > 0)) | .bdf][:5][]'
}

@test "replay gives the same list -j, topology -j and doctor -j as each fixture" {
	for f in $FIXTURES; do
		root=$(fixture "$f")
		s=$(snap "$f")
		for c in "list -j" "topology -j" "topology -j --pairs" "topology -j --matrix" "doctor -j --no-probe"; do
			# shellcheck disable=SC2086
			live=$("$VB" --sysfs-root "$root/sys" $c 2>&1) || true
			# shellcheck disable=SC2086
			replay=$("$VB" --snapshot "$s" $c 2>&1) || true
			[ -n "$live" ]
			[ "$live" = "$replay" ] || { echo "$f: $c differs"; diff <(echo "$live") <(echo "$replay"); return 1; }
		done
	done
	tmp_is_empty
}

@test "replay gives the same distance -j for every pair of endpoints" {
	for f in $FIXTURES; do
		root=$(fixture "$f")
		s=$(snap "$f")
		mapfile -t eps < <(endpoints "$root")
		[ "${#eps[@]}" -ge 1 ]
		pairs=0
		for a in "${eps[@]}"; do
			for b in "${eps[@]}"; do
				[ "$a" != "$b" ] || continue
				live=$("$VB" --sysfs-root "$root/sys" distance -j "$a" "$b" 2>&1) || true
				replay=$("$VB" --snapshot "$s" distance -j "$a" "$b" 2>&1) || true
				[ "$live" = "$replay" ] || { echo "$f $a $b"; diff <(echo "$live") <(echo "$replay"); return 1; }
				pairs=$((pairs + 1))
			done
		done
		echo "# $f: $pairs pairs" >&3
	done
	tmp_is_empty
}

@test "doctor host facts: the kernel, IOMMU, modules and config checks come from the snapshot" {
	root=$(fixture server-2s)
	s=$(snap server-2s)
	run "$VB" --snapshot "$s" doctor -j --no-probe
	echo "$output" | jq -e '.checks | map(select(.check == "kernel" and .status == "ok")) | length == 1'
	echo "$output" | jq -e '.checks | map(select(.check == "kernel-config")) | length == 1'
	diff <("$VB" --sysfs-root "$root/sys" doctor -j | jq -S '.checks | map({check, status, message})') \
	     <("$VB" --snapshot "$s" doctor -j | jq -S '.checks | map({check, status, message})')
}

@test "the archive is a gzip'd tar that tar lists, with the fake-root layout and metadata" {
	s=$(snap server-2s)
	run tar tzf "$s"
	[ "$status" -eq 0 ]
	top=$(head -1 <<<"$output")
	[[ "$top" =~ ^vfiobuf-snapshot-[0-9]{8}-[0-9]{6}/$ ]]
	grep -q "^${top}sys/bus/pci/devices/0000:03:00.0$" <<<"$output"
	grep -q "^${top}sys/kernel/iommu_groups/" <<<"$output"
	grep -q "^${top}proc/cpuinfo$" <<<"$output"
	grep -q "^${top}proc/sys/kernel/osrelease$" <<<"$output"
	grep -q "^${top}vfiobuf-snapshot.json$" <<<"$output"
	# long names (deep switch paths) survive through pax headers
	tar xzf "$s" -C "$BATS_TEST_TMPDIR"
	[ -L "$BATS_TEST_TMPDIR/${top}sys/bus/pci/devices/0000:03:00.0" ]
	[ -f "$BATS_TEST_TMPDIR/${top}sys/bus/pci/devices/0000:03:00.0/config" ]
	meta="$BATS_TEST_TMPDIR/${top}vfiobuf-snapshot.json"
	jq -e '.format == 1 and (.root | type == "boolean") and .with_vpd == false and .source == "sysfs-root"' "$meta"
	jq -e 'has("hostname") | not' "$meta"
}

@test "never reads resourceN, rom, reset (empty files) nor a driver's own attributes" {
	root=$(fixture_copy laptop)
	dev=$(cd "$root/sys/bus/pci/devices" && ls | head -1)
	d="$root/sys/bus/pci/devices/$dev"
	printf 'SECRET-BAR' >"$d/resource0"
	printf 'SECRET-ROM' >"$d/rom"
	printf 'SECRET-SERIAL' >"$d/serial_number"
	printf 'SECRET-BW' >"$d/pcie_bw"
	"$VB" --sysfs-root "$root/sys" snapshot -q -o "$BATS_TEST_TMPDIR/s.tar.gz"
	run tar tzvf "$BATS_TEST_TMPDIR/s.tar.gz"
	grep -E " 0 .*/$dev/resource0$" <<<"$output"
	grep -E " 0 .*/$dev/rom$" <<<"$output"
	grep -E "/$dev/vendor$" <<<"$output"
	! grep -E "/$dev/(serial_number|pcie_bw)$" <<<"$output"
	! zcat "$BATS_TEST_TMPDIR/s.tar.gz" | grep -a -q SECRET
	tar xzOf "$BATS_TEST_TMPDIR/s.tar.gz" --wildcards '*/vfiobuf-snapshot.json' |
		jq -e '.driver_attributes_left_out == 2'
}

@test "no VPD without --with-vpd; with it, the VPD is there and the file is private" {
	root=$(fixture_copy laptop)
	dev=$(cd "$root/sys/bus/pci/devices" && ls | head -1)
	printf 'SN-1234567890' >"$root/sys/bus/pci/devices/$dev/vpd"
	"$VB" --sysfs-root "$root/sys" snapshot -q -o "$BATS_TEST_TMPDIR/novpd.tar.gz"
	! tar tzf "$BATS_TEST_TMPDIR/novpd.tar.gz" | grep -q '/vpd$'
	! zcat "$BATS_TEST_TMPDIR/novpd.tar.gz" | grep -a -q SN-1234567890
	run "$VB" --sysfs-root "$root/sys" snapshot -j --with-vpd -o "$BATS_TEST_TMPDIR/vpd.tar.gz"
	[ "$status" -eq 0 ]
	assert_schema snapshot
	echo "$output" | jq -e '.with_vpd == true'
	tar tzf "$BATS_TEST_TMPDIR/vpd.tar.gz" | grep -q "/$dev/vpd$"
	zcat "$BATS_TEST_TMPDIR/vpd.tar.gz" | grep -a -q SN-1234567890
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/vpd.tar.gz")" = 600 ]
}

@test "-j prints the summary object; the archive is written atomically" {
	root=$(fixture sriov)
	cd "$BATS_TEST_TMPDIR"
	run "$VB" --sysfs-root "$root/sys" snapshot -j
	[ "$status" -eq 0 ]
	assert_schema snapshot
	echo "$output" | jq -e '(.file | test("^vfiobuf-snapshot-[0-9]{8}-[0-9]{6}\\.tar\\.gz$")) and .files > 50 and .bytes > 0 and (.root | type == "boolean") and .with_vpd == false'
	f=$(echo "$output" | jq -r .file)
	[ "$(stat -c %s "$f")" = "$(echo "$output" | jq -r .bytes)" ]
	# no temporary file left beside it
	[ "$(ls -A | grep -c "^$f")" -eq 1 ]
}

@test "-o - writes the archive to standard output; not with -j" {
	root=$(fixture laptop)
	"$VB" --sysfs-root "$root/sys" snapshot -o - | tar tz | grep -q 'sys/bus/pci/devices/'
	run "$VB" --sysfs-root "$root/sys" snapshot -j -o -
	[ "$status" -eq 2 ]
}

@test "snapshot: unwritable output is an error and leaves nothing" {
	root=$(fixture laptop)
	run "$VB" --sysfs-root "$root/sys" snapshot -o "$BATS_TEST_TMPDIR/no/such/dir/x.tar.gz"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot create"* ]]
}

@test "a snapshot of a replay is the same tree" {
	s=$(snap qemu-lab)
	"$VB" --snapshot "$s" snapshot -q -o "$BATS_TEST_TMPDIR/again.tar.gz"
	a=$(tar tzf "$s" | cut -d/ -f2- | grep -v '^vfiobuf-snapshot.json$' | sort)
	b=$(tar tzf "$BATS_TEST_TMPDIR/again.tar.gz" | cut -d/ -f2- | grep -v '^vfiobuf-snapshot.json$' | sort)
	[ "$a" = "$b" ]
	tmp_is_empty
}

@test "hostile archives are refused with exit 2, nothing written outside, nothing left" {
	h="$BATS_TEST_TMPDIR/hostile"
	"$VFIOBUF_TOP/tests/tools/hostile-snapshots" "$h"
	for a in dotdot abs-link climb-link through-link link-escape huge hardlink fifo absolute dup; do
		run --separate-stderr "$VB" --snapshot "$h/$a.tar.gz" list
		[ "$status" -eq 2 ] || { echo "$a: exit $status"; return 1; }
		[[ "$stderr" == *"snapshot '$h/$a.tar.gz'"* ]]
		[ ! -e "$h/escaped" ] && [ ! -e "$BATS_TEST_TMPDIR/escaped" ] && [ ! -e "$TMPDIR/../escaped" ]
		tmp_is_empty
	done
	run --separate-stderr "$VB" -j --snapshot "$h/huge.tar.gz" list
	[ "$status" -eq 2 ]
	assert_schema error
	echo "$output" | jq -e '.error.exit_code == 2 and (.error.message | test("more than"))'
}

@test "not an archive, a missing file, an archive without sys/: refused" {
	echo "hello" >"$BATS_TEST_TMPDIR/text"
	run "$VB" --snapshot "$BATS_TEST_TMPDIR/text" list
	[ "$status" -eq 2 ]
	run "$VB" --snapshot "$BATS_TEST_TMPDIR/none.tar.gz" list
	[ "$status" -eq 3 ]
	mkdir -p "$BATS_TEST_TMPDIR/t/top/proc"
	tar czf "$BATS_TEST_TMPDIR/nosys.tar.gz" -C "$BATS_TEST_TMPDIR/t" top
	run "$VB" --snapshot "$BATS_TEST_TMPDIR/nosys.tar.gz" list
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a vfiobuf snapshot"* ]]
	tmp_is_empty
}

@test "a tree packed by GNU tar replays too (no metadata needed)" {
	root=$(fixture multifunction)
	tar czf "$BATS_TEST_TMPDIR/by-tar.tar.gz" -C "$(dirname "$root")" "$(basename "$root")"
	diff <("$VB" --sysfs-root "$root/sys" list -j) <("$VB" --snapshot "$BATS_TEST_TMPDIR/by-tar.tar.gz" list -j)
	tmp_is_empty
}

@test "a snapshot of a newer format is refused" {
	root=$(fixture_copy laptop)
	echo '{"format": 99}' >"$root/vfiobuf-snapshot.json"
	tar czf "$BATS_TEST_TMPDIR/new.tar.gz" -C "$(dirname "$root")" "$(basename "$root")"
	run "$VB" --snapshot "$BATS_TEST_TMPDIR/new.tar.gz" list
	[ "$status" -eq 2 ]
	[[ "$output" == *"format 99"* ]]
	tmp_is_empty
}

@test "--snapshot and --sysfs-root are mutually exclusive, before or after the command" {
	s=$(snap laptop)
	root=$(fixture laptop)
	run "$VB" --snapshot "$s" --sysfs-root "$root/sys" list
	[ "$status" -eq 2 ]
	[[ "$output" == *"mutually exclusive"* ]]
	run "$VB" --snapshot "$s" list --sysfs-root "$root/sys"
	[ "$status" -eq 2 ]
	[[ "$output" == *"mutually exclusive"* ]]
	run "$VB" list --snapshot "$s"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--snapshot FILE goes before the command"* ]]
	# the environment variable yields to --snapshot
	VFIOBUF_SYSFS_ROOT="$root/sys" run "$VB" --snapshot "$s" list -q
	[ "$status" -eq 0 ]
	tmp_is_empty
}

@test "commands that need the live kernel refuse a snapshot with exit 2" {
	s=$(snap qemu-lab)
	for c in "bind 0000:01:00.0" "unbind 0000:01:00.0" "export 0000:01:00.0 --bar 0" \
		 "info 0000:01:00.0" "reset 0000:01:00.0" "serve" "verify 0000:01:00.0 --bar 0" "monitor" \
		 "recv --listen $BATS_TEST_TMPDIR/sock"; do
		# shellcheck disable=SC2086
		run "$VB" --snapshot "$s" $c
		[ "$status" -eq 2 ] || { echo "$c: exit $status"; return 1; }
		[[ "$output" == *"needs the live kernel"* ]]
	done
	tmp_is_empty
}

@test "batch mode runs every line on the one replay" {
	s=$(snap server-2s)
	printf 'list -q\ntopology -q\ndistance 0000:03:00.0 0000:04:00.0 -q\n' >"$BATS_TEST_TMPDIR/b"
	run "$VB" --snapshot "$s" --batch "$BATS_TEST_TMPDIR/b"
	[ "$status" -eq 0 ]
	tmp_is_empty
}

@test "the exit status of the replayed command is kept" {
	s=$(snap laptop)
	run "$VB" --snapshot "$s" show 0000:7f:1f.7
	[ "$status" -eq 3 ]
	tmp_is_empty
}

@test "SIGTERM during a replay: the command stops and the directory is removed" {
	s=$(snap server-2s)
	mkfifo "$BATS_TEST_TMPDIR/batch"
	out="$BATS_TEST_TMPDIR/out"
	# batch reads its commands from the FIFO: the replay waits, unpacked
	"$VB" --snapshot "$s" --batch "$BATS_TEST_TMPDIR/batch" >"$out" &
	pid=$!
	exec 4>"$BATS_TEST_TMPDIR/batch"
	echo "list -j" >&4
	# the first command's output: the child runs on the unpacked tree
	for _ in $(seq 200); do [ -s "$out" ] && break; sleep 0.05; done
	[ -s "$out" ]
	[ -n "$(ls -A "$TMPDIR")" ]
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	exec 4>&-
	[ "$st" -eq 143 ]
	tmp_is_empty
}

@test "snapshot of this machine's real /sys (read-only) replays to the same list" {
	[ -d /sys/bus/pci/devices ] || skip "no PCI on this host"
	"$VB" snapshot -q -o "$BATS_TEST_TMPDIR/live.tar.gz"
	diff <("$VB" list -j) <("$VB" --snapshot "$BATS_TEST_TMPDIR/live.tar.gz" list -j)
	tmp_is_empty
}

@test "taken as an unprivileged user: config is 64 bytes, the metadata says not root" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch to nobody"
	command -v setpriv >/dev/null || skip "no setpriv"
	[ -d /sys/bus/pci/devices ] && [ -n "$(ls /sys/bus/pci/devices)" ] || skip "no PCI on this host"
	d=$(mktemp -d /tmp/vb-snap-nobody.XXXXXX)
	chmod 0777 "$d"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$VB" snapshot -j -o "$d/s.tar.gz"
	[ "$status" -eq 0 ] || { rm -rf "$d"; return 1; }
	assert_schema snapshot
	echo "$output" | jq -e '.root == false'
	sizes=$(tar tzvf "$d/s.tar.gz" | awk '$NF ~ /\/config$/ {print $3}' | sort -u)
	meta=$(tar xzOf "$d/s.tar.gz" --wildcards '*/vfiobuf-snapshot.json')
	rm -rf "$d"
	[ "$sizes" = 64 ]
	jq -e '.root == false and .uid == 65534' <<<"$meta"
}

@test "irregular trees: a function directory in bus/pci/devices itself, a function outside pci*" {
	root=$(fixture_copy laptop)
	devs="$root/sys/bus/pci/devices"
	mapfile -t names < <(ls "$devs")
	# the first: a real directory where the link was
	t=$(readlink -f "$devs/${names[0]}")
	rm "$devs/${names[0]}"
	cp -r "$t" "$devs/${names[0]}"
	# the last: moved under a path without a pciDDDD:BB component
	t=$(readlink -f "$devs/${names[-1]}")
	mkdir -p "$root/sys/devices/platform/vmbus"
	mv "$t" "$root/sys/devices/platform/vmbus/"
	ln -sfn "../../../devices/platform/vmbus/${names[-1]}" "$devs/${names[-1]}"
	"$VB" --sysfs-root "$root/sys" snapshot -q -o "$BATS_TEST_TMPDIR/irr.tar.gz"
	tar tzf "$BATS_TEST_TMPDIR/irr.tar.gz" | grep -q "sys/bus/pci/devices/${names[0]}/config$"
	tar tzf "$BATS_TEST_TMPDIR/irr.tar.gz" | grep -q "sys/devices/platform/vmbus/${names[-1]}/config$"
	diff <("$VB" --sysfs-root "$root/sys" list -j 2>&1) <("$VB" --snapshot "$BATS_TEST_TMPDIR/irr.tar.gz" list -j 2>&1)
	tmp_is_empty
}

@test "vfiobuf's bind state file comes along: list shows what vfiobuf bound" {
	root=$(fixture_copy qemu-lab)
	dev=$(cd "$root/sys/bus/pci/devices" && ls | tail -1)
	mkdir -p "$root/run/vfiobuf"
	echo "{\"version\":1,\"devices\":{\"$dev\":{\"driver\":\"nvme\",\"time\":0}}}" >"$root/run/vfiobuf/state.json"
	"$VB" --sysfs-root "$root/sys" snapshot -q -o "$BATS_TEST_TMPDIR/st.tar.gz"
	live=$("$VB" --sysfs-root "$root/sys" list -j)
	jq -e "map(select(.bdf == \"$dev\"))[0].bound_by_vfiobuf" <<<"$live"
	[ "$live" = "$("$VB" --snapshot "$BATS_TEST_TMPDIR/st.tar.gz" list -j)" ]
}
