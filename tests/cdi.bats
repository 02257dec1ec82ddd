#!/usr/bin/env bats
# `vfiobuf cdi`: the Container Device Interface spec, validated against the
# CDI JSON schema that Debian bookworm ships with the CDI library podman 4.3
# uses (golang-github-container-orchestrated-devices-container-device-
# interface-dev 0.5.2: schema/schema.json + defs.json, identical to the
# upstream v0.5.2 tag); then, where rootful podman runs, a container given
# the device talks to a broker outside through the mounted socket.
load helpers/common
load helpers/schema
load helpers/broker

CDI_SCHEMA_SRC=/usr/share/gocode/src/github.com/container-orchestrated-devices/container-device-interface/schema
SOCK_DEFAULT=/run/vfiobuf/vfiobuf.sock

setup() {
	T=$(mktemp -d)
}

teardown() {
	if [ -n "${SERVE_PID:-}" ]; then
		kill -TERM "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" || true
	fi
	[ -z "${SPEC_FILE:-}" ] || rm -f "$SPEC_FILE"
	rm -rf "$T"
}

# The CDI schema for validate-json: its *.schema.json naming, and an $id
# for each file so that schema.json's relative "defs.json#..." resolves.
cdi_schema_dir() {
	[ -f "$CDI_SCHEMA_SRC/schema.json" ] ||
		skip "Debian's CDI schema is missing: apt-get install golang-github-container-orchestrated-devices-container-device-interface-dev (make deps)"
	local d=$T/cdi-schema
	mkdir -p "$d"
	jq --arg id "file://$d/schema.json" '. + {"$id": $id}' "$CDI_SCHEMA_SRC/schema.json" >"$d/cdi.schema.json"
	jq --arg id "file://$d/defs.json" '. + {"$id": $id}' "$CDI_SCHEMA_SRC/defs.json" >"$d/cdidefs.schema.json"
	echo "$d"
}

cdi_valid() { validate_json --schema-dir "$1" cdi "$2"; }

@test "cdi: the spec validates against the CDI schema; broken specs do not (the check can fail)" {
	d=$(cdi_schema_dir)
	run --separate-stderr "$VB" cdi
	[ "$status" -eq 0 ]
	echo "$output" >"$T/spec.json"
	cdi_valid "$d" "$T/spec.json"
	jq 'del(.devices[0].containerEdits)' "$T/spec.json" >"$T/bad1.json"
	run cdi_valid "$d" "$T/bad1.json"
	[ "$status" -eq 1 ] && [[ $output == *"containerEdits"* ]]
	# the mount's own rules live in defs.json: its reference is followed
	jq 'del(.devices[0].containerEdits.mounts[0].containerPath)' "$T/spec.json" >"$T/bad2.json"
	run cdi_valid "$d" "$T/bad2.json"
	[ "$status" -eq 1 ] && [[ $output == *"containerPath"* ]]
	jq '.cdiVersion = 5' "$T/spec.json" >"$T/bad3.json"
	run cdi_valid "$d" "$T/bad3.json"
	[ "$status" -eq 1 ]
}

@test "cdi: version 0.5.0, kind vfiobuf.io/broker, one device mounting the socket at the same path, nothing else" {
	run --separate-stderr "$VB" cdi
	[ "$status" -eq 0 ]
	jq -e --arg s "$SOCK_DEFAULT" '.cdiVersion == "0.5.0" and .kind == "vfiobuf.io/broker"
		and (keys | sort) == ["cdiVersion", "devices", "kind"]
		and (.devices | length) == 1 and .devices[0].name == "socket"
		and (.devices[0].containerEdits | keys) == ["mounts"]
		and .devices[0].containerEdits.mounts == [{"hostPath": $s, "containerPath": $s,
			"options": ["bind", "rw", "nosuid", "nodev", "noexec"]}]' <<<"$output"
	run --separate-stderr "$VB" cdi --socket /srv/broker/b.sock
	jq -e '.devices[0].containerEdits.mounts[0] | .hostPath == "/srv/broker/b.sock"
		and .containerPath == "/srv/broker/b.sock"' <<<"$output"
	# the version is one Debian bookworm's CDI library (0.5.2) accepts
	spec_go=$CDI_SCHEMA_SRC/../pkg/cdi/spec.go
	if [ -f "$spec_go" ]; then
		sed -n '/validSpecVersions = /,/^\t}/p' "$spec_go" | grep -q '"0.5.0"'
	fi
}

@test "cdi: the socket path is checked: absolute, normal, fits sun_path; JSON errors under -j" {
	run "$VB" cdi --socket run/x.sock
	[ "$status" -eq 2 ]
	[ "$output" = "vfiobuf: run/x.sock: the socket path must be absolute" ]
	run "$VB" cdi --socket /run/../etc/x.sock
	[ "$status" -eq 2 ]
	[[ $output == *"must be normal"* ]]
	run "$VB" cdi --socket "/$(printf 'a%.0s' $(seq 120))"
	[ "$status" -eq 2 ]
	[[ $output == *"shorter than 108 bytes"* ]]
	run --separate-stderr "$VB" -j cdi --socket rel.sock
	[ "$status" -eq 2 ]
	jq -e '.error.exit_code == 2 and .error.socket == "rel.sock"' <<<"$output"
	run "$VB" cdi extra
	[ "$status" -eq 2 ]
}

@test "cdi: a warning when nothing, or no socket, is at the path; none for a socket; -q silences it" {
	run --separate-stderr "$VB" cdi --socket "$T/none.sock"
	[ "$status" -eq 0 ]
	[[ $stderr == *"warning: $T/none.sock does not exist yet"* ]]
	: >"$T/file"
	run --separate-stderr "$VB" cdi --socket "$T/file"
	[[ $stderr == *"warning: $T/file is not a socket"* ]]
	run --separate-stderr "$VB" -q cdi --socket "$T/none.sock"
	[ -z "$output" ] && [ -z "$stderr" ]
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/s.sock"
	run --separate-stderr "$VB" cdi --socket "$T/s.sock"
	[ "$status" -eq 0 ] && [ -z "$stderr" ]
}

@test "cdi: -o writes the spec atomically (mode 0644, no temporary left, a symlink replaced)" {
	mkdir "$T/cdi"
	"$VB" cdi >"$T/stdout.json" 2>/dev/null
	echo keep >"$T/victim"
	ln -s "$T/victim" "$T/cdi/vfiobuf.json"
	run --separate-stderr "$VB" cdi -o "$T/cdi/vfiobuf.json"
	[ "$status" -eq 0 ] && [ -z "$output" ]
	[ ! -L "$T/cdi/vfiobuf.json" ]
	[ "$(stat -c %a "$T/cdi/vfiobuf.json")" = 644 ]
	cmp "$T/cdi/vfiobuf.json" "$T/stdout.json"
	[ "$(ls -A "$T/cdi")" = vfiobuf.json ]
	[ "$(cat "$T/victim")" = keep ]
	run "$VB" cdi -o "$T/missing/vfiobuf.json"
	[ "$status" -eq 3 ]
	run sh -c '"$0" -q cdi >/dev/full' "$VB"
	[ "$status" -eq 0 ]
	run sh -c '"$0" cdi --socket "$1" >/dev/full' "$VB" "$T/none.sock"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot write the spec to standard output: No space left on device"* ]]
}

# ---- podman, rootful, on this host --------------------------------------------

# podman with private storage (vfs), no network, cgroupfs; runc, which runs
# under a hybrid cgroup hierarchy where crun refuses; rlimits lowered, not
# raised (a sandbox may lack CAP_SYS_RESOURCE).
pm() {
	podman --root "$T/storage" --runroot "$T/runroot" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend file --runtime runc "$@"
}
pm_run() {
	pm run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"
}

# A local image, no registry: static busybox, the built vfiobuf and its
# shared libraries at their host paths.
build_image() {
	local r=$T/rootfs lib
	mkdir -p "$r/bin" "$r/usr/local/bin" "$r/tmp"
	cp /bin/busybox "$r/bin/busybox"
	for t in sh cat grep test; do ln -s busybox "$r/bin/$t"; done
	cp "$VB" "$r/usr/local/bin/vfiobuf"
	for lib in $(ldd "$VB" | grep -o '/[^ ]*'); do
		mkdir -p "$r$(dirname "$lib")"
		cp -L "$lib" "$r$lib"
	done
	tar -C "$r" -cf "$T/rootfs.tar" .
	pm import -q "$T/rootfs.tar" localhost/vfiobuf-cdi-test:1 >/dev/null
}

# Skip, saying why, only when rootful podman truly cannot run a container here.
require_podman() {
	[ "$(id -u)" -eq 0 ] || skip "rootful podman needs root (CDI specs live in /etc/cdi, /var/run/cdi)"
	command -v podman >/dev/null || skip "podman is not installed (apt-get install podman runc)"
	command -v runc >/dev/null || skip "runc is not installed (apt-get install runc)"
	file /bin/busybox | grep -q 'statically linked' || skip "no static /bin/busybox (busybox-static)"
	local existing f pid
	for f in /var/run/cdi/vfiobuf-bats-*.json; do # left by a killed run of this suite
		pid=${f##*/vfiobuf-bats-}; pid=${pid%.json}
		[ ! -e "$f" ] || kill -0 "$pid" 2>/dev/null || rm -f "$f"
	done
	existing=$(grep -ls '"vfiobuf.io/broker"' /etc/cdi/* /var/run/cdi/* 2>/dev/null | head -1 || true)
	[ -z "$existing" ] || skip "a vfiobuf.io/broker spec is installed ($existing): not shadowing it"
	build_image
	if ! out=$(pm_run localhost/vfiobuf-cdi-test:1 /usr/local/bin/vfiobuf --version 2>&1); then
		skip "podman cannot run a container here: $(tail -1 <<<"$out")"
	fi
}

start_broker() {
	printf 'socket-mode 0666\n' >"$T/serve.conf"
	start_serve
}

@test "cdi: podman --device vfiobuf.io/broker=socket: the container sees the socket and talks to the broker outside" {
	require_podman
	SOCK=$T/broker/vfiobuf.sock
	mkdir "$T/broker"
	start_broker
	mkdir -p /var/run/cdi
	SPEC_FILE=/var/run/cdi/vfiobuf-bats-$$.json
	"$VB" cdi --socket "$SOCK" -o "$SPEC_FILE"
	img=localhost/vfiobuf-cdi-test:1

	# the socket, and only it, is mounted at the same path
	run pm_run --device vfiobuf.io/broker=socket "$img" sh -c \
		"test -S '$SOCK' && grep -c ' $SOCK ' /proc/self/mountinfo && test ! -e '$T/serve.conf' && echo alone"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ] && [ "${lines[1]}" = alone ]

	# list --server from inside: the broker answers (it serves no device here)
	run --separate-stderr pm_run --device vfiobuf.io/broker=socket "$img" \
		/usr/local/bin/vfiobuf -j list --server "$SOCK"
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]

	# export --server from inside: refused by the broker itself, for a device it does not serve
	run --separate-stderr pm_run --device vfiobuf.io/broker=socket "$img" \
		/usr/local/bin/vfiobuf -j export --server "$SOCK" 0000:41:00.0 --bar 2 --hold
	[ "$status" -eq 3 ]
	jq -e '.error.message == "not served by this daemon" and .error.bdf == "0000:41:00.0"' <<<"$output"
	# ... and the broker saw a client come and go
	[ "$(grep -c '"event":"client-connected"' "$T/ev.log")" -ge 2 ]

	# without the device, no socket in the container
	run --separate-stderr pm_run "$img" /usr/local/bin/vfiobuf -j list --server "$SOCK"
	[ "$status" -eq 3 ]
	jq -e '.error.errno_name == "ENOENT"' <<<"$output"
}

@test "cdi: the broker's per-uid policy still decides for a container user" {
	require_podman
	SOCK=$T/broker/vfiobuf.sock
	mkdir "$T/broker"
	chmod 0755 "$T" "$T/broker"
	start_broker
	mkdir -p /var/run/cdi
	SPEC_FILE=/var/run/cdi/vfiobuf-bats-$$.json
	"$VB" cdi --socket "$SOCK" -o "$SPEC_FILE"
	# reset is checked against the allow rules before the device is looked up:
	# uid 4242 in the container is refused by policy (serve.conf allows nothing)
	run --separate-stderr pm_run --user 4242:4242 --device vfiobuf.io/broker=socket \
		localhost/vfiobuf-cdi-test:1 /usr/local/bin/vfiobuf -j reset --server "$SOCK" 0000:41:00.0
	[ "$status" -eq 4 ]
	jq -e '.error.errno_name == "EACCES"
		and (.error.message | startswith("uid 4242 may not reset this device"))' <<<"$output"
	# root in the container passes the policy and reaches the device lookup
	run --separate-stderr pm_run --device vfiobuf.io/broker=socket \
		localhost/vfiobuf-cdi-test:1 /usr/local/bin/vfiobuf -j reset --server "$SOCK" 0000:41:00.0
	[ "$status" -eq 3 ]
	jq -e '.error.message == "not served by this daemon"' <<<"$output"
	grep -q '"uid":4242' "$T/ev.log"
}
