#!/usr/bin/env bash
# schema.sh: the JSON Schemas of schema/ and appctl's own schema check agree.
# Every example and fixture definition is accepted by both (a real JSON Schema
# validator, python3-jsonschema, and `appctl validate --worktree`); a table of
# invalid documents is refused by both, and the disagreements are printed.
# What JSON Schema cannot express is listed below as known exceptions, each
# checked to still disagree the documented way. Also: every schema error of a
# file in one run, through the CLI.
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-11-29
SCHEMA_DIR="$APPCTL_SOURCE_DIR/schema"
CHECK="$APPCTL_SOURCE_DIR/tests/tools/schema_check.py"

# A missing validator fails the test: a skipped schema test would pass in CI
# while checking nothing.
require_validator()
{
	command -v python3 >/dev/null ||
		fail "python3 is missing (install it with scripts/install-deps.sh)"
	python3 -c 'import jsonschema' 2>/dev/null ||
		fail "python3-jsonschema is missing (install it with scripts/install-deps.sh)"
}

# scratch_org DIR: a valid policy, an allowed_signers file and no apps.
scratch_org()
{
	mkdir -p "$1/apps"
	cat >"$1/appctl.json" <<'EOF'
{"appctl": 1, "environments": ["dev", "prod"],
 "groups": {"support": ["dan@example.com"]}}
EOF
	: >"$1/allowed_signers"
}

test_schemas_are_valid()
{
	require_validator
	local s
	for s in app appctl; do
		run python3 "$CHECK" --schema "$SCHEMA_DIR/$s.schema.json"
		[ "$STATUS" -eq 0 ] || fail "schema/$s.schema.json: $(cat "$OUT" "$ERR")"
	done
	# The lint rule ids the policy may name are exactly those of the lint table.
	local table schema
	table=$(grep -o '^	{ "[a-z.-]*", APPCTL_SEV' "$APPCTL_SOURCE_DIR/src/core/lint.c" |
		sed 's/^	{ "\(.*\)", APPCTL_SEV/\1/' | sort)
	schema=$(jq -r '."$defs".lintRuleId.enum[]' "$SCHEMA_DIR/appctl.schema.json" | sort)
	[ -n "$table" ] || fail "no lint rule found in src/core/lint.c"
	expect_equal "$table" "$schema" "lint rule ids of schema/appctl.schema.json vs src/core/lint.c"
}

# fixture_files: every definition file of the source tree (git ls-files when
# it is a checkout, else find), one per line, relative to the source dir.
fixture_files()
{
	if git -C "$APPCTL_SOURCE_DIR" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$APPCTL_SOURCE_DIR" ls-files -co --exclude-standard \
			'appctl.json' '*/appctl.json' '*/app.json'
	else
		(cd "$APPCTL_SOURCE_DIR" && find . -name appctl.json -o -name app.json |
			sed 's|^\./||')
	fi | grep -v '^build' | sort
}

# check_schema_valid SCHEMA FILE...: each file is valid against the schema.
check_schema_valid()
{
	local schema=$1
	shift
	run python3 "$CHECK" "$SCHEMA_DIR/$schema.schema.json" "$@"
	[ "$STATUS" -eq 0 ] || fail "schema/$schema.schema.json refuses a fixture: $(grep -v '^valid' "$OUT")"
}

# check_appctl_accepts DIR: appctl's schema check accepts the tree (lint
# findings, exit 1, are not schema errors). The SCIM exports the policy's
# groups_from names are stubbed with empty ones where the fixture lacks them.
check_appctl_accepts()
{
	local p
	while IFS= read -r p; do
		[ -n "$p" ] && [ ! -e "$1/$p" ] || continue
		mkdir -p "$(dirname "$1/$p")"
		printf '%s\n' '{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],' \
			'"totalResults": 0, "Resources": []}' >"$1/$p"
	done < <(jq -r '.groups_from // [] | if type == "string" then . else .[] end' "$1/appctl.json")
	run "$APPCTL" -C "$1" validate --worktree
	[ "$STATUS" -eq 0 ] || [ "$STATUS" -eq 1 ] ||
		fail "appctl refuses fixture $1 (exit $STATUS): $(cat "$ERR")"
}

test_fixtures_accepted()
{
	require_validator
	local f dir n=0 apps=() policies=()
	while IFS= read -r f; do
		case "$f" in
		*appctl.json) policies+=("$APPCTL_SOURCE_DIR/$f") ;;
		*app.json) apps+=("$APPCTL_SOURCE_DIR/$f") ;;
		esac
		n=$((n + 1))
	done < <(fixture_files)
	[ "$n" -ge 6 ] || fail "only $n fixture files found"
	# The seeds of the definitions fuzzer that are meant to be valid.
	local seeds="$APPCTL_SOURCE_DIR/fuzz/corpus/fuzz_definitions"
	apps+=("$seeds/app-full.json" "$seeds/app-new-fields.json")
	policies+=("$seeds/policy-full.json" "$seeds/policy-new-fields.json")
	check_schema_valid app "${apps[@]}"
	check_schema_valid appctl "${policies[@]}"

	# appctl: each folder holding an appctl.json is validated as a tree.
	for f in "${policies[@]}"; do
		dir=$(dirname "$f")
		if [ -d "$dir/apps" ]; then
			# A copy: in the source tree, appctl would find the
			# enclosing repository and read its root instead.
			rm -rf one && cp -R "$dir" one
			[ -f one/allowed_signers ] || : >one/allowed_signers
			check_appctl_accepts one
		else
			rm -rf one && scratch_org one && cp "$f" one/appctl.json
			check_appctl_accepts one
		fi
	done
	# Apps outside such a tree go into a scratch one, in a folder of their name.
	for f in "${apps[@]}"; do
		dir=$(dirname "$(dirname "$(dirname "$f")")")
		[ -f "$dir/appctl.json" ] && [ "$(basename "$(dirname "$(dirname "$f")")")" = apps ] &&
			continue
		rm -rf one && scratch_org one
		local name
		name=$(jq -r .name "$f")
		mkdir -p "one/apps/$name" && cp "$f" "one/apps/$name/app.json"
		check_appctl_accepts one
	done

	# What `appctl init` writes into an empty repository is valid too.
	new_repo starter
	run "$APPCTL" -C starter init
	if [ -f starter/appctl.json ]; then
		check_schema_valid appctl starter/appctl.json
		for f in starter/apps/*/app.json; do
			[ -f "$f" ] && check_schema_valid app "$f"
		done
	fi

	# The complete examples of docs/definitions.md (the JSON blocks that name
	# their schema) are valid for both, together in one repository.
	awk '/^```json$/ { n++; out = "doc" n ".json"; inside = 1; next }
		/^```$/ { inside = 0; next }
		inside { print > out }' "$APPCTL_SOURCE_DIR/docs/definitions.md"
	local doc_app="" doc_policy=""
	for f in doc*.json; do
		grep -q '"\$schema": "\.\./\.\./schema/app.schema.json",$' "$f" && doc_app=$f
		grep -q '"\$schema": "schema/appctl.schema.json",$' "$f" && doc_policy=$f
	done
	[ -n "$doc_app" ] && [ -n "$doc_policy" ] ||
		fail "docs/definitions.md lacks a complete example of each file"
	check_schema_valid app "$doc_app"
	check_schema_valid appctl "$doc_policy"
	rm -rf one && scratch_org one
	cp "$doc_policy" one/appctl.json
	name=$(jq -r .name "$doc_app")
	mkdir -p "one/apps/$name" && cp "$doc_app" "one/apps/$name/app.json"
	check_appctl_accepts one

	# The example org points editors at the schemas, and appctl takes that.
	jq -e '."$schema" == "../../schema/appctl.schema.json"' \
		"$APPCTL_SOURCE_DIR/examples/org/appctl.json" >/dev/null ||
		fail "examples/org/appctl.json does not name its schema"
	for f in "$APPCTL_SOURCE_DIR"/examples/org/apps/*/app.json; do
		jq -e '."$schema" == "../../../../schema/app.schema.json"' "$f" >/dev/null ||
			fail "$f does not name its schema"
	done
}

# The invalid documents: KIND|NAME|EXPECT|JSON, one per line.
#   KIND   app (written as apps/shop/app.json) or policy (appctl.json)
#   EXPECT 3:TEXT  appctl refuses with exit 3 and TEXT in its message
#          1:RULE  appctl's lint refuses (exit 1) with finding RULE
#   Both the schema and appctl must refuse every row.
INVALID_TABLE=$(cat <<'EOF'
app|unknown top-level key|3:$.colour: unknown field "colour"|{"name":"shop","class":"dashboard","colour":"red"}
app|misspelt top-level key|3:unknown field "owner" (did you mean "owners"?)|{"name":"shop","class":"dashboard","owner":{}}
app|unknown key in owners|3:$.owners.tech: unknown field|{"name":"shop","class":"dashboard","owners":{"business":"ann@example.com","tech":"bo@example.com"}}
app|unknown key in a data set|3:$.data.d.retention: unknown field "retention" (did you mean "retention_days"?)|{"name":"shop","class":"dashboard","data":{"d":{"retention":5}}}
app|unknown key in a field|3:$.data.d.fields.f.sensitive: unknown field|{"name":"shop","class":"dashboard","data":{"d":{"fields":{"f":{"sensitive":"pii"}}}}}
app|unknown key in a role|3:$.roles.R.member: unknown field|{"name":"shop","class":"dashboard","roles":{"R":{"member":[]}}}
app|unknown key in a grant|3:$.roles.R.grants[0].when: unknown field|{"name":"shop","class":"dashboard","roles":{"R":{"grants":[{"resource":"d","actions":["read"],"when":"always"}]}}}
app|unknown key in a member object|3:$.roles.R.members[0].until: unknown field|{"name":"shop","class":"dashboard","roles":{"R":{"members":[{"principal":"a@example.com","until":"2026-12-31"}]}}}
app|unknown key in an integration|3:$.integrations.i.secret: unknown field|{"name":"shop","class":"dashboard","integrations":{"i":{"kind":"k","secret":"x"}}}
app|unknown key in ai|3:$.ai.model: unknown field|{"name":"shop","class":"dashboard","ai":{"model":"gpt"}}
app|unknown key in an ai read|3:$.ai.reads[0].field: unknown field "field" (did you mean "fields"?)|{"name":"shop","class":"dashboard","ai":{"reads":[{"resource":"d","field":["a"]}]}}
app|$schema below the top|3:unknown field "$schema"|{"name":"shop","class":"dashboard","roles":{"R":{"$schema":"x"}}}
app|$schema not a string|3:expected a string, found a number|{"$schema":1,"name":"shop","class":"dashboard"}
app|root is an array|3:$: expected an object, found an array|[]
app|missing class|3:missing required field "class"|{"name":"shop"}
app|class of the wrong type|3:$.class: expected a string, found a number|{"name":"shop","class":3}
app|roles as an array|3:$.roles: expected an object, found an array|{"name":"shop","class":"dashboard","roles":[]}
app|members as a string|3:$.roles.R.members: expected an array, found a string|{"name":"shop","class":"dashboard","roles":{"R":{"members":"everyone"}}}
app|retention as text|3:$.data.d.retention_days: expected an integer|{"name":"shop","class":"dashboard","data":{"d":{"retention_days":"forever"}}}
app|retention not whole|3:$.data.d.retention_days: expected an integer|{"name":"shop","class":"dashboard","data":{"d":{"retention_days":1.5}}}
app|retention negative|3:$.data.d.retention_days: must be between|{"name":"shop","class":"dashboard","data":{"d":{"retention_days":-1}}}
app|bad class|3:unknown class "kiosk"|{"name":"shop","class":"kiosk"}
app|misspelt class|3:(did you mean "dashboard"?)|{"name":"shop","class":"dashbord"}
app|bad sensitivity|3:unknown sensitivity "secret"|{"name":"shop","class":"dashboard","data":{"d":{"fields":{"f":{"sensitivity":"secret"}}}}}
app|bad storage|3:unknown value "forever" (expected live, cached or stored)|{"name":"shop","class":"dashboard","data":{"d":{"storage":"forever"}}}
app|bad on_failure|3:$.integrations.i.on_failure: unknown value|{"name":"shop","class":"dashboard","integrations":{"i":{"kind":"k","on_failure":"shrug"}}}
app|member not a principal|3:"root" is not a valid principal|{"name":"shop","class":"dashboard","roles":{"R":{"members":["root"]}}}
app|member domain without a dot|3:not a valid principal|{"name":"shop","class":"dashboard","roles":{"R":{"members":["a@localhost"]}}}
app|owner not a principal|3:$.owners.business: "ann" is not a valid principal|{"name":"shop","class":"dashboard","owners":{"business":"ann"}}
app|integration owner not a principal|3:$.integrations.i.owner|{"name":"shop","class":"dashboard","integrations":{"i":{"kind":"k","owner":"bo at example.com"}}}
app|bad group reference|3:not a valid group reference|{"name":"shop","class":"dashboard","roles":{"R":{"members":["group:Support Team"]}}}
app|impossible expiry date|3:"2026-02-30" is not an ISO date|{"name":"shop","class":"dashboard","roles":{"R":{"members":[{"principal":"a@example.com","expires":"2026-02-30"}]}}}
app|expiry not ISO|3:is not an ISO date|{"name":"shop","class":"dashboard","roles":{"R":{"members":[{"principal":"a@example.com","expires":"31/12/2026"}]}}}
app|member object without principal|3:missing required field "principal"|{"name":"shop","class":"dashboard","roles":{"R":{"members":[{"expires":"2026-12-31"}]}}}
app|empty kind|3:$.integrations.i.kind: must not be empty|{"name":"shop","class":"dashboard","integrations":{"i":{"kind":""}}}
app|empty description|3:$.description: must not be empty|{"name":"shop","class":"dashboard","description":""}
app|empty data set name|3:name must not be empty|{"name":"shop","class":"dashboard","data":{"":{}}}
app|repeated scope|3:$.integrations.i.scopes[1]: "api" is listed twice|{"name":"shop","class":"dashboard","integrations":{"i":{"kind":"k","scopes":["api","api"]}}}
app|repeated member|3:$.roles.R.members[1]: "a@example.com" is listed twice|{"name":"shop","class":"dashboard","roles":{"R":{"members":["a@example.com","a@example.com"]}}}
app|repeated hidden field|3:listed twice|{"name":"shop","class":"dashboard","roles":{"R":{"grants":[{"resource":"d","actions":["read"],"hidden_fields":["f","f"]}]}}}
app|repeated page role|3:$.pages.P.roles[1]: "R" is listed twice|{"name":"shop","class":"dashboard","pages":{"P":{"roles":["R","R"]}}}
app|repeated integration write|3:$.integrations.i.writes[1]|{"name":"shop","class":"dashboard","integrations":{"i":{"kind":"k","writes":["d","d"]}}}
app|grant without actions|3:missing required field "actions"|{"name":"shop","class":"dashboard","roles":{"R":{"grants":[{"resource":"d"}]}}}
app|grant with no action|3:must list at least one action|{"name":"shop","class":"dashboard","roles":{"R":{"grants":[{"resource":"d","actions":[]}]}}}
app|integration without kind|3:$.integrations.i: missing required field "kind"|{"name":"shop","class":"dashboard","integrations":{"i":{}}}
app|ai read without resource|3:$.ai.reads[0]: missing required field "resource"|{"name":"shop","class":"dashboard","ai":{"reads":[{"fields":["a"]}]}}
app|ai read not an object|3:$.ai.reads[0]: expected an object, found a string|{"name":"shop","class":"dashboard","ai":{"reads":["customers"]}}
app|ai reads not an array|3:$.ai.reads: expected an array|{"name":"shop","class":"dashboard","ai":{"reads":{"resource":"d"}}}
app|ai field twice|3:$.ai.reads[0].fields[1]|{"name":"shop","class":"dashboard","ai":{"reads":[{"resource":"d","fields":["a","a"]}]}}
app|bad app name|3:is not a valid app name|{"name":"Shop!","class":"dashboard"}
app|credential for a bad environment name|3:not a valid environment name|{"name":"shop","class":"dashboard","integrations":{"i":{"kind":"k","credential":{"Prod!":"env://X"}}}}
app|credential not a string|3:$.integrations.i.credential.prod: expected a string|{"name":"shop","class":"dashboard","integrations":{"i":{"kind":"k","credential":{"prod":1}}}}
app|page not an object|3:$.pages.P: expected an object|{"name":"shop","class":"dashboard","pages":{"P":"home"}}
app|unknown action|1:ref.unknown-action|{"name":"shop","class":"dashboard","owners":{"business":"ann@example.com","technical":"bo@example.com"},"data":{"d":{}},"roles":{"R":{"grants":[{"resource":"d","actions":["launch"]}]}}}
policy|unknown top-level key|3:unknown field "approval" (did you mean "approvals"?)|{"appctl":1,"environments":["dev"],"approval":{}}
policy|format version 2|3:$.appctl: must be between 1 and 1|{"appctl":2,"environments":["dev"]}
policy|missing version|3:missing required field "appctl"|{"environments":["dev"]}
policy|missing environments|3:missing required field "environments"|{"appctl":1}
policy|no environment|3:must name at least one environment|{"appctl":1,"environments":[]}
policy|bad environment name|3:$.environments[1]: "Prod" is not a valid environment name|{"appctl":1,"environments":["dev","Prod"]}
policy|repeated environment|3:$.environments[1]: "dev" is listed twice|{"appctl":1,"environments":["dev","dev"]}
policy|group member not a principal|3:$.groups.g[0]: "x" is not a valid principal|{"appctl":1,"environments":["dev"],"groups":{"g":["x"]}}
policy|nested group|3:groups cannot contain groups|{"appctl":1,"environments":["dev"],"groups":{"a":["group:b"],"b":[]}}
policy|bad group name|3:is not a valid group name|{"appctl":1,"environments":["dev"],"groups":{"Team A":[]}}
policy|repeated group member|3:listed twice|{"appctl":1,"environments":["dev"],"groups":{"g":["a@example.com","a@example.com"]}}
policy|unknown class in required|3:$.approvals.required.kiosk: unknown class|{"appctl":1,"environments":["dev"],"approvals":{"required":{"kiosk":1}}}
policy|negative approvals|3:$.approvals.required.dashboard: expected an integer from 0 to 1000|{"appctl":1,"environments":["dev"],"approvals":{"required":{"dashboard":-1}}}
policy|bad rule kind|3:unknown rule kind "always"|{"appctl":1,"environments":["dev"],"approvals":{"rules":[{"when":"always","group":"g","count":1}]}}
policy|rule without count|3:missing required field "count"|{"appctl":1,"environments":["dev"],"approvals":{"rules":[{"when":"data","group":"g"}]}}
policy|rule count zero|3:$.approvals.rules[0].count: must be between 1|{"appctl":1,"environments":["dev"],"approvals":{"rules":[{"when":"data","group":"g","count":0}]}}
policy|temporary approver|3:$.approvals.approvers[0]: expected a principal|{"appctl":1,"environments":["dev"],"approvals":{"approvers":[{"principal":"a@example.com"}]}}
policy|self approval as text|3:expected a boolean|{"appctl":1,"environments":["dev"],"approvals":{"allow_self_approval":"no"}}
policy|signers outside the repository|3:must be a path inside the repository|{"appctl":1,"environments":["dev"],"signers":"../keys"}
policy|bad notify event|3:unknown event "deploy"|{"appctl":1,"environments":["dev"],"notify":[{"url":"https://x.example","events":["deploy"]}]}
policy|notify timeout zero|3:$.notify[0].timeout_s: must be between 1 and 300|{"appctl":1,"environments":["dev"],"notify":[{"url":"https://x.example","timeout_s":0}]}
policy|notify without url|3:missing required field "url"|{"appctl":1,"environments":["dev"],"notify":[{"events":["promote"]}]}
policy|freeze without envs|3:missing required field "envs"|{"appctl":1,"environments":["dev"],"freeze":[{"from":"2026-12-20","to":"2026-12-27"}]}
policy|freeze month 13|3:$.freeze[0].from: "2026-13-01" is not an ISO date or date-time|{"appctl":1,"environments":["dev"],"freeze":[{"envs":["dev"],"from":"2026-13-01","to":"2026-12-27"}]}
policy|break glass without group|3:$.break_glass: missing required field "group"|{"appctl":1,"environments":["dev"],"break_glass":{"count":1}}
policy|unknown rollback key|3:$.rollback.approvals: unknown field|{"appctl":1,"environments":["dev"],"rollback":{"approvals":1}}
policy|bad lint severity|3:unknown value "info" (expected off, warning or error)|{"appctl":1,"environments":["dev"],"lint":{"rules":{"integration.owner-missing":{"severity":"info","justification":"j"}}}}
policy|unknown lint rule|3:unknown lint rule "no.such"|{"appctl":1,"environments":["dev"],"lint":{"rules":{"no.such":{"severity":"off","justification":"j"}}}}
policy|misspelt lint rule|3:(did you mean "integration.owner-missing"?)|{"appctl":1,"environments":["dev"],"lint":{"rules":{"integration.owner-mising":{"severity":"off","justification":"j"}}}}
policy|lint override without justification|3:missing required field "justification"|{"appctl":1,"environments":["dev"],"lint":{"rules":{"integration.owner-missing":{"severity":"off"}}}}
policy|unknown lint setting|3:$.lint.max_writers: unknown field|{"appctl":1,"environments":["dev"],"lint":{"max_writers":3}}
policy|role template for an unknown class|3:$.role_templates.kiosk: unknown class|{"appctl":1,"environments":["dev"],"role_templates":{"kiosk":{}}}
policy|role template unknown action|3:unknown action "peek"|{"appctl":1,"environments":["dev"],"role_templates":{"dashboard":{"V":{"actions":["peek"]}}}}
policy|role template without actions|3:missing required field "actions"|{"appctl":1,"environments":["dev"],"role_templates":{"dashboard":{"V":{}}}}
policy|role template with no action|3:must list at least one action|{"appctl":1,"environments":["dev"],"role_templates":{"dashboard":{"V":{"actions":[]}}}}
policy|groups_from outside the repository|3:$.groups_from[0]: "/etc/group" must be a path inside the repository|{"appctl":1,"environments":["dev"],"groups_from":["/etc/group"]}
policy|groups_from a number|3:expected a path or an array of paths|{"appctl":1,"environments":["dev"],"groups_from":3}
policy|empty $schema|3:must not be empty|{"$schema":"","appctl":1,"environments":["dev"]}
EOF
)

# Known exceptions: what JSON Schema cannot express. Same format; EXPECT is
# what appctl does, and the schema must ACCEPT these documents (if one day it
# refuses one, the exception is gone: move the row to the table above).
KNOWN_TABLE=$(cat <<'EOF'
app|duplicate keys (a JSON parser keeps one, the schema never sees both)|3:$.class: duplicate key|{"name":"shop","class":"dashboard","class":"admin_panel"}
app|name differs from the folder (the schema sees one file)|3:differs from its folder|{"name":"other","class":"dashboard"}
app|same principal as a string and as an object (uniqueItems compares whole values)|3:listed twice|{"name":"shop","class":"dashboard","roles":{"R":{"members":["a@example.com",{"principal":"a@example.com"}]}}}
app|grant on an undefined data set (a cross reference)|1:ref.undefined-resource|{"name":"shop","class":"dashboard","owners":{"business":"ann@example.com","technical":"bo@example.com"},"roles":{"R":{"grants":[{"resource":"nowhere","actions":["read"]}]}}}
app|page role that does not exist (a cross reference)|1:ref.undefined-role|{"name":"shop","class":"dashboard","owners":{"business":"ann@example.com","technical":"bo@example.com"},"pages":{"P":{"roles":["Nobody"]}}}
app|group the policy does not define (a cross reference)|1:ref.undefined-group|{"name":"shop","class":"dashboard","owners":{"business":"ann@example.com","technical":"bo@example.com"},"roles":{"R":{"members":["group:nobody"]}}}
app|literal secret as a credential (lint: secret shapes are heuristics)|1:secret.literal|{"name":"shop","class":"dashboard","owners":{"business":"ann@example.com","technical":"bo@example.com"},"integrations":{"i":{"kind":"k","owner":"bo@example.com","on_failure":"fail_closed","credential":{"dev":"hunter2hunter2"}}}}
policy|invalid POSIX regular expression (no regex dialect check in JSON Schema)|3:not a valid POSIX extended regular expression|{"appctl":1,"environments":["dev"],"lint":{"integration_name_pattern":"([a-z"}}
policy|impossible day in a date-time (format date-time is not asserted)|3:is not an ISO date or date-time|{"appctl":1,"environments":["dev"],"freeze":[{"envs":["dev"],"from":"2026-02-30T10:00","to":"2026-12-27"}]}
policy|plain-http webhook (lint rule notify.insecure-url)|1:notify.insecure-url|{"appctl":1,"environments":["dev"],"notify":[{"url":"http://hooks.example.com/x"}]}
policy|freeze on an environment the policy lacks (a cross reference)|1:ref.unknown-env|{"appctl":1,"environments":["dev"],"freeze":[{"envs":["prod"],"from":"2026-12-20","to":"2026-12-27"}]}
EOF
)

# run_table TABLE MODE: writes each row's document into its own scratch org,
# runs appctl on it and the validator on all of them, and prints every row
# where they do not behave as expected. MODE "reject": both refuse; MODE
# "known": appctl refuses as EXPECT says, the schema accepts.
run_table()
{
	local table=$1 mode=$2 i=0 kind name expect json dir
	local -a names=() kinds=() expects=() files=() appctl_ok=()
	local disagreements=""
	while IFS='|' read -r kind name expect json; do
		[ -n "$kind" ] || continue
		i=$((i + 1))
		dir="row$i"
		scratch_org "$dir"
		if [ "$kind" = app ]; then
			mkdir -p "$dir/apps/shop"
			printf '%s\n' "$json" >"$dir/apps/shop/app.json"
			files+=("$dir/apps/shop/app.json")
		else
			printf '%s\n' "$json" >"$dir/appctl.json"
			files+=("$dir/appctl.json")
		fi
		names+=("$name")
		kinds+=("$kind")
		expects+=("$expect")
		# appctl: the exit code and the message (or lint rule) the row names.
		run "$APPCTL" -C "$dir" validate --worktree --json
		local want_code=${expect%%:*} want_text=${expect#*:} ok=1
		if grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' "$ERR"; then
			fail "sanitizer report on row '$name'"
		fi
		if [ "$STATUS" -ne "$want_code" ]; then
			ok=0
		elif [ "$want_code" = 3 ]; then
			grep -qF -- "$want_text" "$ERR" || ok=0
		else
			jq -e --arg r "$want_text" '[.findings[].rule] | index($r) != null' "$OUT" >/dev/null || ok=0
		fi
		appctl_ok+=("$ok")
		[ "$ok" = 1 ] || disagreements+="  $kind '$name': appctl exit $STATUS, expected $expect: $(head -c 300 "$ERR")"$'\n'
	done <<<"$table"
	[ "$i" -gt 0 ] || fail "empty table"

	# The validator, once per schema over all rows of that kind.
	local k out
	for k in app policy; do
		local -a batch=()
		for ((j = 0; j < ${#files[@]}; j++)); do
			[ "${kinds[$j]}" = "$k" ] && batch+=("${files[$j]}")
		done
		[ ${#batch[@]} -gt 0 ] || continue
		python3 "$CHECK" "$SCHEMA_DIR/$([ "$k" = app ] && echo app || echo appctl).schema.json" \
			"${batch[@]}" >>schema_results.txt 2>&1
	done
	for ((j = 0; j < ${#files[@]}; j++)); do
		out=$(grep -F -- " ${files[$j]}" schema_results.txt | head -1)
		case "$mode:$out" in
		reject:invalid*|known:valid*) ;;
		reject:*) disagreements+="  ${kinds[$j]} '${names[$j]}': the schema accepts it, appctl refuses it"$'\n' ;;
		known:*) disagreements+="  ${kinds[$j]} '${names[$j]}': the schema now refuses it ($out): no longer an exception"$'\n' ;;
		esac
	done
	if [ -n "$disagreements" ]; then
		printf 'disagreements (%s):\n%s' "$mode" "$disagreements" >&2
		fail "the schema and appctl disagree"
	fi
	echo "  $i documents, schema and appctl as expected ($mode)"
}

test_invalid_documents_refused_by_both()
{
	require_validator
	local rows
	rows=$(grep -c . <<<"$INVALID_TABLE")
	[ "$rows" -ge 25 ] || fail "only $rows invalid documents"
	run_table "$INVALID_TABLE" reject
}

test_known_exceptions()
{
	require_validator
	run_table "$KNOWN_TABLE" known
}

# Every schema error of a file in one run: one line each on stderr, each a
# finding of --json, exit 3; a broken role does not hide a broken integration.
test_all_errors_in_one_run()
{
	scratch_org r
	mkdir -p r/apps/shop r/apps/two
	cat >r/apps/shop/app.json <<'EOF'
{"name": "shop", "class": "dashbord", "owner": {},
 "roles": {"A": {"members": ["root"]}, "B": {"grants": [{"resource": "d"}]}},
 "integrations": {"i": {"kind": "", "on_failure": "shrug"}}}
EOF
	printf '{"name":"two","class":"dashboard","rolse":{}}\n' >r/apps/two/app.json
	expect_exit 3 "$APPCTL" -C r validate --worktree
	expect_stderr_contains 'appctl: apps/shop/app.json: $.owner: unknown field "owner" (did you mean "owners"?)'
	expect_stderr_contains 'appctl: apps/shop/app.json: $.class: unknown class "dashbord" (did you mean "dashboard"?)'
	expect_stderr_contains 'appctl: apps/shop/app.json: $.roles.A.members[0]: "root" is not a valid principal'
	expect_stderr_contains 'appctl: apps/shop/app.json: $.roles.B.grants[0]: missing required field "actions"'
	expect_stderr_contains 'appctl: apps/shop/app.json: $.integrations.i.kind: must not be empty'
	expect_stderr_contains 'appctl: apps/shop/app.json: $.integrations.i.on_failure: unknown value "shrug"'
	expect_stderr_contains 'appctl: apps/two/app.json: $.rolse: unknown field "rolse" (did you mean "roles"?)'
	expect_equal 7 "$(grep -c '^appctl: apps/' "$ERR")" "error lines"
	# The first error is the same as a one-error parser gave.
	expect_equal 'appctl: apps/shop/app.json: $.owner: unknown field "owner" (did you mean "owners"?)' \
		"$(head -1 "$ERR")" "first error"
	expect_exit 3 "$APPCTL" -C r validate --worktree --json
	expect_equal 7 "$(jq '.findings | length' "$OUT")" "JSON findings"
	expect_equal 7 "$(jq '.errors' "$OUT")" "JSON error count"
	expect_equal '["schema.invalid"]' "$(jq -c '[.findings[].rule] | unique' "$OUT")" "rule of schema findings"
	expect_exit 3 "$APPCTL" -C r validate --worktree --sarif
	expect_equal 7 "$(jq '.runs[0].results | length' "$OUT")" "SARIF results"

	# Hundreds of errors: 50 shown, the rest counted.
	{
		printf '{"name":"two","class":"dashboard"'
		for i in $(seq 1 300); do printf ',"x%d":1' "$i"; done
		printf '}\n'
	} >r/apps/two/app.json
	rm -rf r/apps/shop
	expect_exit 3 "$APPCTL" -C r validate --worktree
	expect_equal 51 "$(grep -c '^appctl: apps/two/app.json: ' "$ERR")" "capped error lines"
	expect_stderr_contains 'appctl: apps/two/app.json: ... and 250 more errors'
}

run_tests test_schemas_are_valid test_fixtures_accepted \
	test_invalid_documents_refused_by_both test_known_exceptions \
	test_all_errors_in_one_run
