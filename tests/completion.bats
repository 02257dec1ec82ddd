#!/usr/bin/env bats
# Completion scripts, loaded in real shells.

load helpers/common

# Run the bash completion function for a command line ending at the cursor.
bash_complete() {
	bash -c '
		source "$1/completions/vfiobuf.bash"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_vfiobuf
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$VFIOBUF_TOP" "$@"
}

@test "bash: commands complete from a prefix" {
	run bash_complete vfiobuf li
	[ "$status" -eq 0 ]
	[ "$output" = "list" ]
}

@test "bash: every command in --help is offered" {
	run bash_complete vfiobuf ""
	for c in $("$VB" --help | awk '/^Commands:/{f=1;next} f&&/^  [a-z]/{print $1}'); do
		grep -qx "$c" <<<"$output"
	done
}

@test "bash: command options come from the option table" {
	run bash_complete vfiobuf list --
	grep -qx -- --numeric <<<"$output"
	grep -qx -- --device-id <<<"$output"
	grep -qx -- --json <<<"$output"
	! grep -qx -- --batch <<<"$output"
}

@test "bash: topology offers --pairs and --matrix" {
	run bash_complete vfiobuf topology --
	grep -qx -- --pairs <<<"$output"
	grep -qx -- --matrix <<<"$output"
}

@test "bash: --sysfs-root completes directories" {
	cd "$BATS_TEST_TMPDIR" && mkdir -p sysroot && touch sysfile
	run bash_complete vfiobuf --sysfs-root sys
	[ "$output" = "sysroot" ]
}

@test "bash: show completes device addresses from the sysfs root" {
	root="$BATS_TEST_TMPDIR/fake"
	mkdir -p "$root/sys/bus/pci/devices/0000:03:00.0" "$root/sys/bus/pci/devices/0000:04:00.0"
	run bash_complete vfiobuf --sysfs-root "$root/sys" show 0000:03
	[ "$output" = "0000:03:00.0" ]
}

@test "bash: -F completes files, then devices come from the lspci dump" {
	cd "$BATS_TEST_TMPDIR" && cp "$VFIOBUF_TOP/tests/fixtures/lspci-dumps/tree-fsl-p2020" fsl.dump
	run bash_complete vfiobuf -F fsl
	[ "$output" = "fsl.dump" ]
	run bash_complete vfiobuf --from-dump fsl.dump show 0001:
	[ "$output" = $'0001:02:00.0\n0001:03:00.0' ]
	run bash_complete vfiobuf --f
	[ "$output" = "--from-dump" ]
}

@test "zsh: completion file loads under compinit" {
	command -v zsh >/dev/null || skip "zsh not installed"
	run zsh -f -c "fpath=($VFIOBUF_TOP/completions \$fpath); autoload -U compinit; compinit -u -D; autoload -U _vfiobuf && whence -w _vfiobuf"
	[ "$status" -eq 0 ]
	[[ "$output" == *"_vfiobuf: function"* ]]
}

@test "fish: completion offers commands and options" {
	command -v fish >/dev/null || skip "fish not installed"
	run fish --no-config -c "set -p PATH $VFIOBUF_TOP; source $VFIOBUF_TOP/completions/vfiobuf.fish; complete -C 'vfiobuf sh'; complete -C 'vfiobuf list --nu'"
	[ "$status" -eq 0 ]
	grep -q '^show' <<<"$output"
	grep -q '^--numeric' <<<"$output"
}

@test "bash: --snapshot completes files, and the snapshot command its options" {
	cd "$BATS_TEST_TMPDIR" && touch snap.tar.gz && mkdir -p sdir
	run bash_complete vfiobuf --snapshot snap
	[ "$output" = "snap.tar.gz" ]
	run bash_complete vfiobuf --snapshot snap.tar.gz li
	[ "$output" = "list" ]
	run bash_complete vfiobuf --sn
	[ "$output" = "--snapshot" ]
	run bash_complete vfiobuf snapshot --
	grep -qx -- --with-vpd <<<"$output"
	grep -qx -- --output <<<"$output"
	run bash_complete vfiobuf snapshot -o sna
	[ "$output" = "snap.tar.gz" ]
}

@test "bash: doctor --format offers its formats; serve --metrics and doctor -o complete files" {
	run bash_complete vfiobuf doctor --format ''
	[ "$(printf '%s ' $output)" = "text json prom " ]
	run bash_complete vfiobuf serve --
	grep -qx -- --metrics <<<"$output"
	run "$VB" __complete serve --metrics ''
	[ "$output" = __files__ ]
	run "$VB" __complete doctor -o ''
	[ "$output" = __files__ ]
}
