# Compare vfiobuf's P2P distances with the kernel's own (the oracle module).
ORACLE_KO=${VFIOBUF_TOP:-.}/build/lab/p2p_oracle.ko

# Endpoints of the lab topology that P2P is asked about.
oracle_devs() {
	"$VB" topology -j | jq -r '[.nodes[] | select(.endpoint) | .bdf] | join(",")'
}

# "PROVIDER CLIENT DISTANCE" per ordered pair, from the kernel.
oracle_run() {
	local devs=$1 before
	before=$(dmesg | wc -l)
	insmod "$ORACLE_KO" devs="$devs" 2>/dev/null || true
	dmesg -t | tail -n +"$((before + 1))" | awk '$1 == "p2p_oracle:" && NF == 4 {print $2, $3, $4}'
}

# Every pair: the kernel's pci_p2pdma_distance must equal vfiobuf's
# kernel_distance.  Prints the disagreements; fails when there is one.
oracle_compare() {
	local devs lines bad=0 n=0 mine
	[ -s "$ORACLE_KO" ] || { echo "oracle module not built: $ORACLE_KO"; return 1; }
	devs=$(oracle_devs)
	lines=$(oracle_run "$devs")
	[ -n "$lines" ] || { echo "the oracle printed nothing"; return 1; }
	# vfiobuf's answer for every pair from one topology run (each unordered
	# pair is listed once; the verdict is symmetric; a function to itself
	# is distance 0 unless its own ACS redirects, checked by distance)
	mine=$("$VB" topology -j --pairs | jq -r '.pairs[] | "\(.provider) \(.client) \(.kernel_distance)", "\(.client) \(.provider) \(.kernel_distance)"')
	while read -r a b kd; do
		if [ "$a" = "$b" ]; then
			vd=$("$VB" distance -j "$a" "$b" | jq .kernel_distance)
		else
			vd=$(awk -v a="$a" -v b="$b" '$1 == a && $2 == b {print $3}' <<<"$mine")
		fi
		n=$((n + 1))
		if [ "$vd" != "$kd" ]; then
			echo "disagree: $a -> $b kernel $kd vfiobuf $vd"
			bad=$((bad + 1))
		fi
	done <<<"$lines"
	echo "compared $n pairs, $bad disagreements"
	[ "$bad" -eq 0 ] && [ "$n" -gt 0 ]
}
