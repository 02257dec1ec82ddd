#!/usr/bin/env bash
# Package checks (part of make check): build the .deb and the .rpm, lint
# them, unpack the .deb into a scratch root and check what a user gets: the
# binary runs, every man page renders, the completions load in bash, zsh and
# fish, the units pass systemd-analyze verify, and the .rpm ships the same
# files (modulo each distribution's directories).  TAP on stdout.
set -u
cd "$(dirname "$0")/../.."
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; printf '%s\n' "$@" | sed 's/^/# /'; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }
check() { # check NAME COMMAND...: ok when COMMAND succeeds, its output as diagnostics otherwise
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

for t in dpkg-buildpackage dh lintian rpmbuild rpmlint; do
	command -v $t >/dev/null || { echo "1..1"; echo "ok 1 # SKIP $t not installed (make deps)"; exit 0; }
done

check "make deb (dpkg-buildpackage -us -uc -b)" timeout 600 make -s deb
check "make rpm (rpmbuild --nodeps)" timeout 600 make -s rpm
deb=$(ls build/deb/vfiobuf_*_*.deb 2>/dev/null | head -1)
rpm=$(ls build/rpm/RPMS/*/vfiobuf-[0-9]*.rpm 2>/dev/null | head -1)
if [ -z "$deb" ] || [ -z "$rpm" ]; then
	echo "1..$n"
	exit 1
fi

lint=$(lintian --pedantic -I "$deb" 2>&1 | grep -v 'running with root privileges')
if grep -q '^[EW]:' <<<"$lint"; then not_ok "lintian: no error or warning" "$lint"; else ok "lintian: no error or warning ($(grep -c '^[IP]:' <<<"$lint") info/pedantic tags)"; fi
check "rpmlint: no error or warning (filters justified in packaging/rpm/vfiobuf.rpmlintrc)" \
	sh -c "rpmlint -r packaging/rpm/vfiobuf.rpmlintrc '$rpm' packaging/rpm/vfiobuf.spec | grep -q ' 0 errors, 0 warnings'"

root=$T/root
dpkg -x "$deb" "$root"
check "the packaged binary runs --version" "$root/usr/bin/vfiobuf" --version
check "the packaged binary runs doctor -j on this host (exit 0 or 1, JSON)" \
	sh -c "'$root/usr/bin/vfiobuf' -j doctor >'$T/doctor.json'; [ \$? -le 1 ] && jq -e .summary '$T/doctor.json'"
pages=0 bad=""
for m in "$root"/usr/share/man/man1/*.1.gz "$root"/usr/share/man/man7/*.7.gz; do
	pages=$((pages + 1))
	w=$(MANWIDTH=80 man -l -Tutf8 "$m" 2>&1 >/dev/null)
	[ -z "$w" ] && MANWIDTH=80 man -l "$m" 2>/dev/null | grep -q NAME || bad="$bad $(basename "$m"): ${w:-no NAME section}"
done
if [ -z "$bad" ] && [ "$pages" -ge 14 ]; then ok "man -l renders all $pages pages without a warning"; else not_ok "man -l renders every page" "$pages pages;$bad"; fi

comp=$root/usr/share
check "bash loads the completion and completes commands" bash -c "
	source /usr/share/bash-completion/bash_completion 2>/dev/null || true
	PATH='$root/usr/bin':\$PATH; source '$comp/bash-completion/completions/vfiobuf'
	COMP_WORDS=(vfiobuf doc); COMP_CWORD=1; COMP_LINE='vfiobuf doc'; COMP_POINT=\${#COMP_LINE}
	_vfiobuf vfiobuf doc vfiobuf 2>/dev/null || __vfiobuf_complete 2>/dev/null || true
	complete -p vfiobuf && printf '%s\n' \"\${COMPREPLY[@]}\" | grep -qx doctor"
if command -v zsh >/dev/null; then
	check "zsh loads the completion (compinit, vendor-completions in fpath)" zsh -f -c "
		fpath=('$comp/zsh/vendor-completions' \$fpath); autoload -Uz compinit; compinit -u -d '$T/zcomp'
		(( \$+_comps[vfiobuf] ))"
else skip "zsh not installed"; fi
if command -v fish >/dev/null; then
	check "fish loads the completion and completes commands" fish -N -c "
		set PATH '$root/usr/bin' \$PATH; source '$comp/fish/vendor_completions.d/vfiobuf.fish'
		complete -C 'vfiobuf doc' | string match -q 'doctor*'"
else skip "fish not installed"; fi

if command -v systemd-analyze >/dev/null; then
	units=$(ls "$root"/lib/systemd/system/*.service "$root"/lib/systemd/system/*.socket)
	# what the units refer to outside the package: the host's targets and kill
	mkdir -p "$root/bin"
	cp "$(type -P kill)" "$root/bin/kill"
	for u in /lib/systemd/system/*.target; do [ -e "$root$u" ] || cp -P "$u" "$root/lib/systemd/system/"; done
	# --root: units checked against the packaged binary; --man=no: man pages
	# are checked above (man -l)
	check "systemd-analyze verify: $(echo "$units" | xargs -n1 basename | tr '\n' ' ')" \
		sh -c "out=\$(systemd-analyze verify --man=no --root='$root' $(echo $units | sed "s|$root||g") 2>&1); echo \"\$out\"; [ -z \"\$out\" ]"
else skip "systemd-analyze not installed"; fi

# the same files in both packages, each distribution's directories aside
norm() { sed -e 's|^\./|/|' -e 's|^/lib/systemd|/usr/lib/systemd|' -e 's|\.gz$||' \
	-e 's|/zsh/vendor-completions/|/zsh/COMPLETIONS/|' -e 's|/zsh/site-functions/|/zsh/COMPLETIONS/|' |
	grep -v -e '^/usr/share/doc' -e '^/usr/share/lintian' -e '^/usr/lib/\.build-id' -e '/$' | sort -u; }
dpkg -c "$deb" | awk '{print $6}' | norm >"$T/deb.list"
rpm -qlp "$rpm" 2>/dev/null | norm | grep -v -x -e /etc/vfiobuf -e /usr/share/vfiobuf -e /usr/share/vfiobuf/schema >"$T/rpm.list"
sed -i -e '\|^/etc$|d' -e '\|^/etc/vfiobuf$|d' "$T/deb.list"
if d=$(diff "$T/deb.list" "$T/rpm.list"); then ok "the .deb and the .rpm ship the same $(wc -l <"$T/deb.list") files"; else not_ok "the .deb and the .rpm ship the same files" "$d"; fi
check "the .deb's conffile is /etc/vfiobuf/serve.conf" sh -c "dpkg-deb -I '$deb' conffiles | grep -qx /etc/vfiobuf/serve.conf"
check "the .rpm's serve.conf is %config(noreplace)" sh -c "rpm -qcp '$rpm' 2>/dev/null | grep -qx /etc/vfiobuf/serve.conf"

echo "1..$n"
[ "$failed" -eq 0 ]
