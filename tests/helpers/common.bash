# Shared setup for host bats suites: the freshly built binary first on PATH.
bats_require_minimum_version 1.5.0
VFIOBUF_TOP=${VFIOBUF_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export PATH="$VFIOBUF_TOP:$PATH"
VB="$VFIOBUF_TOP/vfiobuf"
if [ -d /usr/lib/bats/bats-support ]; then
	load /usr/lib/bats/bats-support/load
	load /usr/lib/bats/bats-assert/load
fi
