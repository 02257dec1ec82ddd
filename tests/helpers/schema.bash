# Validation of JSON output against the published schemas (schema/*.json).
#
#   load helpers/schema
#   run "$VB" -j list
#   assert_schema list          # $output is one JSON document
#   assert_schema events        # ... or JSON Lines (one event a line)
#   assert_schema 'protocol#/$defs/request'
#
# Fails the test with validate-json's message (line, path in the document,
# schema path) on the first violation.  Debian's python3 is preferred when
# it has python3-jsonschema (starts faster than a pyenv shim).
VFIOBUF_TOP=${VFIOBUF_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VB_VALIDATE_JSON="$VFIOBUF_TOP/tests/helpers/validate-json"
if [ -z "${VB_SCHEMA_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
		VB_SCHEMA_PYTHON=/usr/bin/python3
	else
		VB_SCHEMA_PYTHON=python3
	fi
fi

# validate_json NAME [FILE]: validate FILE (default stdin) against NAME.
validate_json() {
	"$VB_SCHEMA_PYTHON" "$VB_VALIDATE_JSON" "$@"
}

# assert_schema NAME: $output validates against schema NAME.
assert_schema() {
	local msg
	if [ $# -ne 1 ]; then
		echo "assert_schema: usage: assert_schema NAME" >&2
		return 2
	fi
	if ! msg=$(printf '%s\n' "$output" | validate_json "$1" 2>&1); then
		{
			echo "-- output does not match schema $1 --"
			echo "$msg"
			echo "output: ${output:0:2000}"
			echo "--"
		} >&2
		return 1
	fi
}
