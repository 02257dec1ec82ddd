#!/usr/bin/env bats
# Kubernetes DRA (issue 17): the standard attributes (pciBusID, pcieRoot,
# numaNode) as Kubernetes' deviceattribute helper computes them, vfiobuf's
# P2P domain, and check-slices over ResourceSlice documents written to the
# published resource.k8s.io/v1 schema (tests/k8s/*.json), on fixture trees.
# vmd.json: a nested root (Intel VMD, 5-digit domain), a root port with ACS
# redirect over a two-function NIC (one pcieRoot, not-supported), a switch
# with two GPUs (one P2P domain).

load helpers/common
load helpers/schema
load fixtures/fixture_helpers

K8S=$VFIOBUF_TOP/tests/k8s
CAPTURES=$VFIOBUF_TOP/tests/captures
UNIT=${UNIT_DIR:-$VFIOBUF_TOP/build/default/tests}

# the hwloc captures, unpacked once for the file: their roots, one a line
setup_file() {
	local c r
	export CAPTURE_ROOTS=$BATS_FILE_TMPDIR/capture-roots
	: >"$CAPTURE_ROOTS"
	for c in "$CAPTURES"/hwloc/*.tar.bz2; do
		r=$("$CAPTURES/unpack" "$c" "$BATS_FILE_TMPDIR/$(basename "$c" .tar.bz2)") && echo "$r" >>"$CAPTURE_ROOTS"
	done
}

vb() { "$VB" --sysfs-root "$root/sys" "$@"; }
node() { vb topology -a -j | jq -c --arg b "$1" '.nodes[] | select(.bdf == $b)'; }

@test "vmd: a GPU's attributes are Kubernetes' values and its P2P domain is the switch's root port" {
	root=$(fixture vmd)
	run node 0000:04:00.0
	echo "$output" | jq -e '.attributes == {
		"resource.kubernetes.io/pciBusID": "0000:04:00.0",
		"resource.kubernetes.io/pcieRoot": "pci0000:00",
		"resource.kubernetes.io/numaNode": 0,
		"vfiobuf.io/p2pDomain": "0000:00:02.0"}
		and .attribute_reasons == {} and .p2p_domain_kind == "bridge"
		and .p2p_domain_uncertain == false and .p2p_domain_missing == null'
	run node 0000:05:00.0
	echo "$output" | jq -e '.p2p_domain == "0000:00:02.0"'
}

@test "vmd: the two NIC functions share a pcieRoot but each is its own P2P domain (ACS redirect between them)" {
	root=$(fixture vmd)
	for f in 0000:01:00.0 0000:01:00.1; do
		run node $f
		echo "$output" | jq -e --arg f $f '.attributes["resource.kubernetes.io/pcieRoot"] == "pci0000:00"
			and .p2p_domain == $f and .p2p_domain_kind == "self"'
	done
	run vb distance -j 01:00.0 01:00.1
	echo "$output" | jq -e '.verdict == "not-supported"'
}

@test "vmd: a function of the 5-digit VMD domain gets no standard attribute, with Kubernetes' reason" {
	root=$(fixture vmd)
	run node 10000:e1:00.0
	echo "$output" | jq -e '.host_bridge == "pci10000:e0"
		and .attributes["resource.kubernetes.io/pciBusID"] == null
		and .attributes["resource.kubernetes.io/pcieRoot"] == null
		and .attributes["resource.kubernetes.io/numaNode"] == null
		and (.attribute_reasons["resource.kubernetes.io/pcieRoot"] | test("invalid PCI Bus ID format: 10000:e1:00.0"))
		and .attributes["vfiobuf.io/p2pDomain"] == "10000:e0:1d.0"'
	# the VMD function itself is in domain 0000: Kubernetes' root is the outer one
	run node 0000:00:0e.0
	echo "$output" | jq -e '.attributes["resource.kubernetes.io/pcieRoot"] == "pci0000:00"'
}

@test "bridges have no P2P domain; a root-bus endpoint is its own" {
	root=$(fixture qemu-lab)
	run node 0000:00:04.0
	echo "$output" | jq -e '.p2p_domain == null and .p2p_domain_kind == null
		and .attributes["vfiobuf.io/p2pDomain"] == null
		and (.attribute_reasons["vfiobuf.io/p2pDomain"] | test("not a P2P endpoint"))'
	run node 0000:00:1f.3
	echo "$output" | jq -e '.p2p_domain == "0000:00:1f.3" and .p2p_domain_kind == "self"'
	# numa_node -1 (no NUMA affinity): Kubernetes says not to publish it
	echo "$output" | jq -e '.attributes["resource.kubernetes.io/numaNode"] == null
		and (.attribute_reasons["resource.kubernetes.io/numaNode"] | test("no NUMA affinity"))'
}

@test "unread ACS: the domain is given as uncertain in topology, and not published in attributes" {
	root=$BATS_TEST_TMPDIR/nr
	"$VFIOBUF_TOP/tests/fixtures/gen-sysfs" "$VFIOBUF_TOP/tests/fixtures/vmd.json" "$root" --non-root-view
	run node 0000:04:00.0
	echo "$output" | jq -e '.p2p_domain == "0000:00:02.0" and .p2p_domain_uncertain
		and .p2p_domain_missing.reason == "not captured" and .p2p_domain_missing.acs_unread >= 1
		and .attributes["vfiobuf.io/p2pDomain"] == null
		and (.attribute_reasons["vfiobuf.io/p2pDomain"] | test("^uncertain: .*assuming no redirect it is 0000:00:02.0$"))'
}

@test "list -j, show -j and topology -j carry the attributes and pass their schemas" {
	for f in vmd qemu-lab sriov; do
		root=$(fixture $f)
		run vb list -j
		[ "$status" -eq 0 ]
		assert_schema list
		echo "$output" | jq -e 'all(.[]; .attributes | has("resource.kubernetes.io/pcieRoot"))'
		run vb topology -a -j
		assert_schema topology
	done
	root=$(fixture vmd)
	run vb show -j 04:00.0
	assert_schema show
	echo "$output" | jq -e '.attributes["vfiobuf.io/p2pDomain"] == "0000:00:02.0"'
	run vb show 10000:e1:00.0
	grep -q '^  DRA attributes:$' <<<"$output"
	grep -Eq '^    resource.kubernetes.io/pciBusID +- \(invalid PCI Bus ID format: 10000:e1:00.0\)$' <<<"$output"
	grep -Eq '^    vfiobuf.io/p2pDomain +10000:e0:1d.0$' <<<"$output"
}

# Kubernetes' pcieRoot, recomputed here from its definition: the link
# target joined to bus/pci/devices and cleaned lexically (realpath -ms),
# which must start with devices/pci and end with the BDF.
k8s_root() {
	local sys=$1 bdf=$2 t p
	[[ $bdf =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]$ ]] || { echo null; return; }
	t=$(readlink "$sys/bus/pci/devices/$bdf") || { echo null; return; }
	[[ $t == /* ]] && { echo null; return; }
	p=$(realpath -ms --relative-to="$sys" "$sys/bus/pci/devices/$t")
	[[ $p == devices/pci* && ${p##*/} == "$bdf" ]] || { echo null; return; }
	p=${p#devices/}
	echo "\"${p%%/*}\""
}

# Kubernetes' numaNode: numa_node read as an integer, published when >= 0.
k8s_numa() {
	local sys=$1 bdf=$2 v
	[[ $bdf =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]$ ]] || { echo null; return; }
	v=$(tr -d ' \t\n' <"$sys/bus/pci/devices/$bdf/numa_node" 2>/dev/null) || { echo null; return; }
	[[ $v =~ ^\+?[0-9]{1,9}$ ]] && echo $((10#${v#+})) || echo null
}

@test "pcieRoot and numaNode are Kubernetes' values on every fixture and capture (recomputed from their definitions)" {
	local sys n=0 bad=0 f r
	roots=()
	for f in "$VFIOBUF_TOP"/tests/fixtures/*.json; do roots+=("$(fixture "$(basename "$f" .json)")/sys"); done
	while read -r r; do roots+=("$r/sys"); done <"$CAPTURE_ROOTS"
	for sys in "${roots[@]}"; do
		while read -r bdf got numa; do
			want=$(k8s_root "$sys" "$bdf")
			n=$((n + 1))
			[ "$got" = "$want" ] || { echo "$sys $bdf: $got, want $want"; bad=$((bad + 1)); }
			want=$(k8s_numa "$sys" "$bdf")
			[ "$numa" = "$want" ] || { echo "$sys $bdf: numaNode $numa, want $want"; bad=$((bad + 1)); }
		done < <("$VB" --sysfs-root "$sys" topology -a -j 2>/dev/null |
			jq -r '.nodes[] | select(.synthesized | not) | .attributes as $a
				| "\(.bdf) \($a["resource.kubernetes.io/pcieRoot"] | tojson) \($a["resource.kubernetes.io/numaNode"] | tojson)"')
	done
	echo "$n functions, $bad wrong"
	[ "$n" -ge 200 ] && [ "$bad" -eq 0 ]
}

@test "show -j reads only the subtree of the function's topmost bridge, yet its attributes are those topology -j gives from the whole tree, on every fixture and capture" {
	local sys n=0 bad=0 skipped=0 f r bdf want got
	roots=()
	for f in "$VFIOBUF_TOP"/tests/fixtures/*.json; do roots+=("$(fixture "$(basename "$f" .json)")/sys"); done
	while read -r r; do roots+=("$r/sys"); done <"$CAPTURE_ROOTS"
	for sys in "${roots[@]}"; do
		while read -r bdf want; do
			# a function whose config header is unreadable: show refuses it (exit 1)
			got=$("$VB" --sysfs-root "$sys" -j show "$bdf" 2>/dev/null) || { skipped=$((skipped + 1)); continue; }
			got=$(jq -c '[.attributes, .attribute_reasons]' <<<"$got")
			n=$((n + 1))
			[ "$got" = "$want" ] || { echo "$sys $bdf: show $got, topology $want"; bad=$((bad + 1)); }
		done < <("$VB" --sysfs-root "$sys" topology -a -j 2>/dev/null |
			jq -r '.nodes[] | select(.synthesized | not) | "\(.bdf) \([.attributes, .attribute_reasons] | tojson)"')
	done
	echo "$n functions, $bad differ, $skipped refused by show"
	[ "$n" -ge 300 ] && [ "$bad" -eq 0 ]
}

@test "property: on every fixture and capture, two endpoints with the same P2P domain are bus-addr" {
	local f c r fill
	roots=()
	for f in "$VFIOBUF_TOP"/tests/fixtures/*.json; do
		roots+=("$(fixture "$(basename "$f" .json)")/sys")
		r=$BATS_TEST_TMPDIR/nr-$(basename "$f" .json)
		"$VFIOBUF_TOP/tests/fixtures/gen-sysfs" "$f" "$r" --non-root-view && roots+=("$r/sys")
	done
	while read -r c; do
		roots+=("$c/sys")
		for fill in acs-none acs-redir; do
			r=$BATS_TEST_TMPDIR/$(basename "$c").$fill
			cp -a "$c" "$r"
			"$CAPTURES/fill-config" "$r" "$fill" >/dev/null && roots+=("$r/sys")
		done
	done <"$CAPTURE_ROOTS"
	[ -x "$UNIT/test_p2p_domain" ] || { echo "$UNIT/test_p2p_domain missing: make unit first"; return 1; }
	run "$UNIT/test_p2p_domain" "${roots[@]}"
	echo "$output" | grep -v '^ok'
	[ "$status" -eq 0 ]
	# at least some trees have pairs sharing a domain (the check is not vacuous)
	shared=$(echo "$output" | sed -n 's/.*: \([0-9]*\) pairs sharing a domain.*/\1/p' | awk '{s += $1} END {print s}')
	echo "$shared pairs share a domain"
	[ "$shared" -ge 20 ]
}

@test "check-slices: a consistent node exits 0; old pool generations, other nodes and non-local slices are set aside" {
	root=$(fixture vmd)
	run vb check-slices --node node-a "$K8S/vmd-node-a.json"
	[ "$status" -eq 0 ]
	grep -q '^node node-a: 1 ResourceSlice, 2 devices, 2 matched' <<<"$output"
	grep -q 'skipped node-a-gpu.example.com-old01: superseded: its pool has generation 2' <<<"$output"
	grep -q 'skipped fabric-memory.example.com-x1: not node-local' <<<"$output"
	[ "${lines[-1]}" = "consistent" ]
	run vb check-slices -j --node node-a "$K8S/vmd-node-a.json"
	[ "$status" -eq 0 ]
	assert_schema check-slices
	echo "$output" | jq -e '.consistent and .slices == 1 and .other_node_slices == 1 and .matched == 2
		and .pairs == [] and .attributes == []'
}

@test "check-slices: a pair on one pcieRoot behind an ACS redirect, and wrong attributes, are findings (exit 1)" {
	root=$(fixture vmd)
	run vb check-slices -j --node node-a "$K8S/vmd-findings.json"
	[ "$status" -eq 1 ]
	assert_schema check-slices
	echo "$output" | jq -e '.consistent == false and .findings == 9 and .uncertainties == 0'
	echo "$output" | jq -e '.pairs == [.pairs[0]] and .pairs[0].a.bdf == "0000:01:00.0" and .pairs[0].b.bdf == "0000:01:00.1"
		and .pairs[0].verdict == "not-supported" and (.pairs[0].reason | test("pci=disable_acs_redir=0000:00:01.0"))'
	attr() { echo "$output" | jq -c --arg d "$1" --arg a "$2" '.attributes[] | select(.device.name == $d and .attribute == $a) | [.published, .computed]'; }
	[ "$(attr nic-1 resource.kubernetes.io/numaNode)" = '[{"int":1},0]' ]
	[ "$(attr nic-1 vfiobuf.io/p2pDomain)" = '[{"string":"0000:00:01.0"},"0000:01:00.1"]' ]
	[ "$(attr nic-gone resource.kubernetes.io/pciBusID)" = '[{"string":"0000:99:00.0"},null]' ]
	[ "$(attr nvme-vmd-0 resource.kubernetes.io/pciBusID)" = '[{"string":"10000:e1:00.0"},null]' ]
	[ "$(attr nvme-vmd-0 resource.kubernetes.io/pcieRoot)" = '[{"string":"pci10000:e0"},null]' ]
	[ "$(attr gpu-as-nvme resource.kubernetes.io/pcieRoot)" = '[{"string":"pci0000:01"},"pci0000:00"]' ]
	[ "$(attr gpu-as-nvme resource.kubernetes.io/numaNode)" = '[{"string":"0"},0]' ]
	[ "$(attr gpu-as-nvme vfiobuf.io/p2pDomain)" = '[{"string":"0000:03:00.0"},"0000:00:02.0"]' ]
	echo "$output" | jq -e '.unmatched | length == 1 and .[0].device.name == "nic-virtual"'
	run vb check-slices --node node-a "$K8S/vmd-findings.json"
	[ "$status" -eq 1 ]
	grep -q 'nic.example.com/nic-0 (0000:01:00.0) and nic.example.com/nic-1 (0000:01:00.1), pcieRoot pci0000:00: not-supported' <<<"$output"
	[ "${lines[-1]}" = "9 findings" ]
}

@test "check-slices: unread ACS makes pairs and published domains uncertain, not findings" {
	root=$BATS_TEST_TMPDIR/nr
	"$VFIOBUF_TOP/tests/fixtures/gen-sysfs" "$VFIOBUF_TOP/tests/fixtures/vmd.json" "$root" --non-root-view
	run vb check-slices -j --node node-a "$K8S/vmd-node-a.json"
	[ "$status" -eq 0 ]
	assert_schema check-slices
	echo "$output" | jq -e '.consistent and .findings == 0 and .uncertainties == 3
		and .pairs[0].uncertain and .pairs[0].verdict == "bus-addr"
		and all(.attributes[]; .uncertain and .attribute == "vfiobuf.io/p2pDomain")'
	# a published domain off the function's upward chain is wrong whatever the ACS holds
	jq '.items[0].spec.devices[0].attributes["vfiobuf.io/p2pDomain"].string = "0000:00:01.0"' \
		"$K8S/vmd-node-a.json" >"$BATS_TEST_TMPDIR/off.json"
	run vb check-slices -j --node node-a "$BATS_TEST_TMPDIR/off.json"
	[ "$status" -eq 1 ]
	echo "$output" | jq -e '.findings == 1 and (.attributes[] | select(.uncertain | not) | .reason | test("cannot be it"))'
}

@test "check-slices: standard input, the node name, bad documents and missing files" {
	root=$(fixture vmd)
	run vb check-slices --node node-a - <"$K8S/vmd-node-a.json"
	[ "$status" -eq 0 ]
	# one ResourceSlice alone, not in a List
	run bash -c "jq '.items[0]' '$K8S/vmd-node-a.json' | '$VB' --sysfs-root '$root/sys' check-slices --node node-a -"
	[ "$status" -eq 0 ]
	run --separate-stderr vb check-slices -j --node node-z "$K8S/vmd-node-a.json"
	[ "$status" -eq 3 ]
	echo "$output" | jq -e '.error.exit_code == 3 and (.error.message | test("no resource.k8s.io/v1 ResourceSlice of node node-z"))'
	run --separate-stderr vb check-slices -j --node node-a - <<<'{"kind": "List", "items": ['
	[ "$status" -eq 2 ]
	echo "$output" | jq -e '.error.message | test("^not JSON")'
	run vb check-slices --node node-a - <<<'{"apiVersion": "v1", "kind": "Pod"}'
	[ "$status" -eq 2 ]
	run vb check-slices --node node-a "$BATS_TEST_TMPDIR/none.json"
	[ "$status" -eq 3 ]
	run vb check-slices
	[ "$status" -eq 2 ]
	# a v1beta1 slice is set aside with a reason; the older generation of
	# its pool is then the newest v1 one, and names a function not here
	jq '.items[0].apiVersion = "resource.k8s.io/v1beta1"' "$K8S/vmd-node-a.json" >"$BATS_TEST_TMPDIR/beta.json"
	run --separate-stderr vb check-slices -j --node node-a "$BATS_TEST_TMPDIR/beta.json"
	[ "$status" -eq 1 ]
	echo "$output" | jq -e '.skipped[] | select(.slice == "node-a-gpu.example.com-7xk2p")
		| .reason | test("apiVersion resource.k8s.io/v1beta1: only resource.k8s.io/v1 is read")'
	echo "$output" | jq -e '.attributes[0].reason == "no PCI function 0000:99:00.0 on this host"'
}

@test "check-slices: the host name is the default node" {
	root=$(fixture vmd)
	host=$(hostname | tr 'A-Z' 'a-z')
	jq --arg h "$host" '.items[0].spec.nodeName = $h' "$K8S/vmd-node-a.json" >"$BATS_TEST_TMPDIR/here.json"
	run vb check-slices -j "$BATS_TEST_TMPDIR/here.json"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg h "$host" '.node == $h and .slices == 1'
}
