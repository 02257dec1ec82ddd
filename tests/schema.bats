#!/usr/bin/env bats
# The published JSON schemas (schema/*.schema.json): each is a valid schema,
# every $ref resolves, and the examples under schema/examples/NAME/ are
# judged as they say (valid-* pass, invalid-* fail).  The live output of the
# commands is checked by the other suites with assert_schema.
load helpers/common
load helpers/schema

SCHEMA_DIR="$VFIOBUF_TOP/schema"
EXAMPLES="$SCHEMA_DIR/examples"

# examples_of NAME valid|invalid: the example files, one a line
examples_of() {
	find "$EXAMPLES/$1" -maxdepth 1 -type f -name "$2-*" | sort
}

@test "every schema file is a valid JSON Schema (its draft's metaschema)" {
	n=0
	for f in "$SCHEMA_DIR"/*.schema.json; do
		validate_json --check-schema "$(basename "$f")"
		n=$((n + 1))
	done
	[ "$n" -ge 16 ]
}

@test "every schema has an \$id under one base and names the 2020-12 draft" {
	for f in "$SCHEMA_DIR"/*.schema.json; do
		b=$(basename "$f")
		jq -e --arg b "$b" '.["$schema"] == "https://json-schema.org/draft/2020-12/schema"
			and .["$id"] == "https://vfiobuf.invalid/schema/v1/" + $b' "$f" >/dev/null ||
			{ echo "$b: wrong \$schema or \$id" >&2; return 1; }
	done
}

@test "every \$ref points at a schema file and a definition that exist" {
	for f in "$SCHEMA_DIR"/*.schema.json; do
		b=$(basename "$f")
		for ref in $(jq -r '.. | objects | .["$ref"]? // empty' "$f" | sort -u); do
			file=${ref%%#*}
			ptr=${ref#*#}
			[ "$ptr" = "$ref" ] && ptr=
			[ -n "$file" ] || file=$b
			[ -f "$SCHEMA_DIR/$file" ] || { echo "$b: $ref: no $file" >&2; return 1; }
			if [ -n "$ptr" ]; then
				path=$(jq -nc --arg p "$ptr" '$p | ltrimstr("/") | split("/")')
				jq -e --argjson p "$path" 'getpath($p) != null' "$SCHEMA_DIR/$file" >/dev/null ||
					{ echo "$b: $ref: no such definition" >&2; return 1; }
			fi
		done
	done
}

@test "every schema but defs has valid and invalid examples" {
	for f in "$SCHEMA_DIR"/*.schema.json; do
		name=$(basename "$f" .schema.json)
		[ "$name" = defs ] && continue
		[ -n "$(examples_of "$name" valid)" ] || { echo "$name: no valid example" >&2; return 1; }
		case $name in unbind) continue ;; esac # bind's shape, whose invalid ones cover it
		[ -n "$(examples_of "$name" invalid)" ] || { echo "$name: no invalid example" >&2; return 1; }
	done
}

@test "the valid examples pass their schema" {
	n=0
	for d in "$EXAMPLES"/*/; do
		name=$(basename "$d")
		for f in $(examples_of "$name" valid); do
			lines=
			case $f in *.jsonl) lines=--lines ;; esac
			validate_json $lines "$name" "$f" || { echo "should pass: $f" >&2; return 1; }
			n=$((n + 1))
		done
	done
	[ "$n" -ge 30 ]
}

@test "each invalid example fails its schema, with the line and field named" {
	n=0
	for d in "$EXAMPLES"/*/; do
		name=$(basename "$d")
		for f in $(examples_of "$name" invalid); do
			lines=
			case $f in *.jsonl) lines=--lines ;; esac
			run validate_json $lines "$name" "$f"
			[ "$status" -eq 1 ] || { echo "should fail (status 1): $f, got $status: $output" >&2; return 1; }
			[[ "$output" == "validate-json: $name.schema.json: line "[0-9]*": \$"* ]] ||
				{ echo "$f: message: $output" >&2; return 1; }
			n=$((n + 1))
		done
	done
	[ "$n" -ge 30 ]
}

@test "the old names are refused: device for an address, vendor/device/class for names, -1 for unknown" {
	run validate_json error <<<'{"error":{"message":"m","errno":0,"errno_name":null,"device":"0000:01:00.0","exit_code":3}}'
	[ "$status" -eq 1 ]
	[[ "$output" == *"'bdf' is a required property"* ]]
	run validate_json list "$EXAMPLES/list/invalid-old-names.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"'vendor_name' is a required property"* ]]
	run validate_json list "$EXAMPLES/list/invalid-numa-minus-one.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *'$[0].numa_node: -1'* ]]
}

@test "JSON Lines: the first bad line is named, the good ones before it pass" {
	run validate_json events <<-'EOF'
		{"event":"shutdown","time":1.5}
		{"event":"stopping","signal":"SIGTERM","time":2}
		{"event":"stopping","signal":"SIGKILL","time":3}
	EOF
	[ "$status" -eq 1 ]
	[[ "$output" == *"line 3: \$.signal: 'SIGKILL' is not one of"* ]]
}

@test "a pointer selects one definition: protocol#/\$defs/request" {
	validate_json 'protocol#/$defs/request' <<<'{"op":"reset","bdf":"0000:05:00.0"}'
	run validate_json 'protocol#/$defs/request' <<<'{"op":"reset","ok":true,"bdf":"0000:05:00.0","restored":true}'
	[ "$status" -eq 1 ]
	[[ "$output" == *"'ok', 'restored' were unexpected"* ]]
}

@test "validate-json: not JSON, no input, an unknown schema and bad usage exit 2 or 1 with a message" {
	run validate_json list <<<'[{"bdf":'
	[ "$status" -eq 2 ]
	[[ "$output" == "validate-json: not JSON: "* ]]
	run validate_json list </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == "validate-json: no JSON to validate" ]]
	run validate_json nosuch <<<'[]'
	[ "$status" -eq 2 ]
	[[ "$output" == "validate-json: no schema nosuch.schema.json in "* ]]
	run validate_json
	[ "$status" -eq 2 ]
	[[ "$output" == "validate-json: usage: "* ]]
}

@test "assert_schema passes valid \$output and fails naming the violation" {
	output='[]'
	assert_schema list
	output='{"event":"shutdown","time":1}'
	assert_schema events
	output='{"event":"shutdown"}'
	run assert_schema events
	[ "$status" -eq 1 ]
	[[ "$output" == *"'time' is a required property"* ]]
	[[ "$output" == *"output: {\"event\":\"shutdown\"}"* ]]
}

@test "a schema that is not a valid schema is reported" {
	d=$(mktemp -d)
	cp "$SCHEMA_DIR"/*.schema.json "$d/"
	printf '%s\n' '{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://vfiobuf.invalid/schema/v1/bad.schema.json","type":"objekt"}' >"$d/bad.schema.json"
	run validate_json --schema-dir "$d" --check-schema bad
	rm -rf "$d"
	[ "$status" -eq 1 ]
	[[ "$output" == "validate-json: bad.schema.json: not a valid schema at type: "* ]]
}

@test "vfiobuf-json(7) passes mandoc -Tlint -W warning and names every schema file" {
	page="$VFIOBUF_TOP/man/vfiobuf-json.7"
	run mandoc -Tlint -W warning "$page"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	text=$(mandoc -Tascii "$page" | col -b)
	for f in "$SCHEMA_DIR"/*.schema.json; do
		[[ "$text" == *"$(basename "$f")"* ]] || { echo "not named: $(basename "$f")" >&2; return 1; }
	done
}

@test "make install puts the schemas and vfiobuf-json(7) in place; uninstall removes them" {
	d=$(mktemp -d)
	make -s -C "$VFIOBUF_TOP" install-schema DESTDIR="$d" PREFIX=/usr
	for f in "$SCHEMA_DIR"/*.schema.json; do
		cmp "$f" "$d/usr/share/vfiobuf/schema/$(basename "$f")"
	done
	[ -f "$d/usr/share/man/man7/vfiobuf-json.7" ]
	[ -z "$(find "$d/usr/share/vfiobuf" -type f ! -name '*.schema.json')" ]
	make -s -C "$VFIOBUF_TOP" uninstall-schema DESTDIR="$d" PREFIX=/usr
	left=$(find "$d" -type f)
	rm -rf "$d"
	[ -z "$left" ]
}
