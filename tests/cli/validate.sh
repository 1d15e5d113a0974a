#!/usr/bin/env bash
# validate.sh: `appctl validate` on real repositories: the example org, lint
# findings through the CLI, JSON/SARIF shapes, and the hostile-input corpus
# (each refused with its exit code, file and JSON path, and no ref changed).
. "$(dirname "$0")/lib.sh"

EXAMPLE="$APPCTL_SOURCE_DIR/examples/org"
export APPCTL_TODAY=2026-11-29

# edit_json FILE JQ-FILTER: rewrites a JSON file in place.
edit_json()
{
	jq "$2" "$1" >"$1.tmp" && mv "$1.tmp" "$1" || fail "jq on $1"
}

# org_repo DIR: the example org committed and initialised.
org_repo()
{
	new_repo "$1"
	cp -r "$EXAMPLE/." "$1/"
	commit_all "$1" "example org"
	expect_exit 0 "$APPCTL" -C "$1" init
}

test_example_is_clean()
{
	org_repo r
	expect_exit 0 "$APPCTL" -C r validate dev
	expect_stdout_contains "dev: 3 apps, 0 errors, 0 warnings"
	expect_exit 0 "$APPCTL" -C r validate prod --json
	expect_equal 0 "$(jq '.errors + .warnings' "$OUT")" "findings on the example"
	expect_equal "[]" "$(jq -c '.findings' "$OUT")" "findings array"
	expect_exit 0 "$APPCTL" -C r --json validate
	expect_exit 0 "$APPCTL" -C r validate --worktree
	expect_stdout_contains "worktree: 3 apps"
}

# A builder's careless change: a literal key, an owner-less admin connector,
# a dangling grant, an unknown action.
test_findings_exit_1()
{
	org_repo r
	jq '.integrations.stripe2 = {"kind":"stripe","scopes":["admin"],
	      "credential":{"prod":"sk_live_4eC39HqLyjWDarjtT1zdp7dc"}}
	    | .roles.Agent.grants += [{"resource":"nowhere","actions":["read","teleport"]}]' \
		r/apps/support-portal/app.json >r/tmp.json
	mv r/tmp.json r/apps/support-portal/app.json
	commit_all r "careless"
	save_refs r
	expect_exit 1 "$APPCTL" -C r validate dev
	for rule in secret.literal integration.owner-missing integration.broad-scope \
		ref.undefined-resource ref.unknown-action integration.on-failure-missing; do
		expect_stdout_contains "[$rule]"
	done
	expect_stdout_contains "apps/support-portal/app.json:"
	expect_stderr_contains "appctl: dev:"
	expect_stdout_lacks "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
	expect_exit 1 "$APPCTL" -C r validate dev --json
	expect_equal secret.literal \
		"$(jq -r '.findings[] | select(.path == "$.integrations.stripe2.credential.prod") | .rule' "$OUT")" \
		"finding for the literal secret"
	[ "$(jq '.errors' "$OUT")" -ge 5 ] || fail "errors count"
	jq -e '.findings[0] | has("rule") and has("severity") and has("file") and has("path") and has("message") and has("line")' \
		"$OUT" >/dev/null || fail "finding keys"
	expect_exit 1 "$APPCTL" -C r validate dev --sarif
	expect_equal 2.1.0 "$(jq -r .version "$OUT")" "SARIF version"
	expect_equal appctl "$(jq -r '.runs[0].tool.driver.name' "$OUT")" "SARIF tool"
	jq -e '.runs[0].tool.driver.rules | map(.id) | index("secret.literal") != null' "$OUT" >/dev/null \
		|| fail "SARIF rules lack secret.literal"
	jq -e '.runs[0].results | all(.locations[0].physicalLocation.artifactLocation.uri
		and .locations[0].physicalLocation.region.startLine >= 1 and .ruleId and .message.text)' \
		"$OUT" >/dev/null || fail "SARIF results lack locations"
	# The earlier commit is still clean: REV selects what is validated.
	expect_exit 0 "$APPCTL" -C r validate prod
	expect_refs_unchanged r
}

# Findings read in text order (file, line, column), not in JSON-path order:
# the grant in "roles" comes before the integration below it, although
# "$.integrations" sorts before "$.roles".
test_findings_in_text_order()
{
	org_repo r
	jq '.integrations.stripe2 = {"kind":"stripe","scopes":["admin"],
	      "credential":{"prod":"sk_live_4eC39HqLyjWDarjtT1zdp7dc"}}
	    | .roles.Agent.grants += [{"resource":"nowhere","actions":["read","teleport"]}]' \
		r/apps/support-portal/app.json >r/tmp.json
	mv r/tmp.json r/apps/support-portal/app.json
	commit_all r "careless"
	expect_exit 1 "$APPCTL" -C r validate dev
	grep '^apps/' "$OUT" | cut -d: -f1-3 >located.txt
	[ "$(wc -l <located.txt)" -ge 5 ] || fail "text findings without lines"
	sort -t: -k1,1 -k2,2n -k3,3n -c located.txt || fail "text findings out of line order"
	grep -m 1 '^apps/support-portal/app.json:' "$OUT" | grep -q '\[ref.undefined-resource\]' \
		|| fail "the grant's finding is not the first of the file"
	expect_exit 1 "$APPCTL" -C r validate dev --json
	jq -e '[.findings[] | [.file, .line, .column]] | length >= 5 and . == sort' \
		"$OUT" >/dev/null || fail "--json findings out of line order"
	expect_equal ref.undefined-resource "$(jq -r '.findings[0].rule' "$OUT")" \
		"first --json finding"
	expect_exit 1 "$APPCTL" -C r validate dev --sarif
	jq -e '[.runs[0].results[].locations[0].physicalLocation
		| [.artifactLocation.uri, .region.startLine, .region.startColumn]]
		| length >= 5 and . == sort' "$OUT" >/dev/null \
		|| fail "SARIF results out of line order"
}

# --fail-on warning makes warnings fail too; the default fails on errors only.
test_fail_on_warning()
{
	org_repo r
	edit_json r/apps/support-portal/app.json 'del(.integrations[].on_failure)'
	commit_all r "no on_failure"
	expect_exit 0 "$APPCTL" -C r validate dev
	expect_stdout_contains "[integration.on-failure-missing]"
	expect_exit 0 "$APPCTL" -C r validate dev --fail-on error
	expect_exit 1 "$APPCTL" -C r validate dev --fail-on warning
	expect_stderr_contains "warning"
	expect_stderr_contains "--fail-on warning"
	expect_exit 1 "$APPCTL" -C r validate dev --sarif --fail-on warning
	expect_equal warning "$(jq -r '.runs[0].results[0].level' "$OUT")" "SARIF level"
	expect_exit 2 "$APPCTL" -C r validate dev --fail-on note
	expect_stderr_contains "'note'"
}

# check_sarif_for_github FILE: the fields GitHub code scanning needs, and
# the SARIF 2.1.0 schema when one is at hand (SARIF_SCHEMA=path, read with
# python3's jsonschema): it is not packaged, so it is optional.
check_sarif_for_github()
{
	jq -e '.version == "2.1.0" and (.runs | length) == 1
		and (.runs[0].tool.driver | .name == "appctl" and (.informationUri | startswith("https://"))
			and (.version | length > 0))' "$1" >/dev/null \
		|| fail "SARIF driver fields"
	jq -e '.runs[0].tool.driver.rules | length > 20 and all(
		(.id | length > 0) and (.name | test("^[A-Z][A-Za-z]+$"))
		and (.shortDescription.text | length > 0)
		and (.fullDescription.text | length > 0)
		and .fullDescription.text != .shortDescription.text
		and (.help.text | length > 0) and (.help.markdown | length > 0)
		and (.helpUri | startswith("https://"))
		and (.defaultConfiguration.level | IN("error", "warning", "note"))
		and (.properties["security-severity"] | tonumber | . > 0 and . <= 10))' \
		"$1" >/dev/null || fail "SARIF rules lack a field GitHub reads"
	jq -e '.runs[0].tool.driver.rules as $r | .runs[0].results | all(
		.ruleId == $r[.ruleIndex].id and (.message.text | length > 0)
		and (.level | IN("error", "warning"))
		and .locations[0].physicalLocation.artifactLocation.uri
		and .locations[0].physicalLocation.region.startLine >= 1
		and (.partialFingerprints["appctlFinding/v1"] | length == 16))' \
		"$1" >/dev/null || fail "SARIF results lack a field GitHub reads"
	if [ -n "${SARIF_SCHEMA:-}" ] && python3 -c 'import jsonschema' 2>/dev/null; then
		python3 - "$SARIF_SCHEMA" "$1" <<'PY' || fail "SARIF does not match the 2.1.0 schema"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.validate(json.load(open(sys.argv[2])), schema)
PY
	fi
}

# SARIF carries what code scanning shows: descriptions, help, severities.
test_sarif_github_fields()
{
	org_repo r
	edit_json r/apps/support-portal/app.json '.integrations.stripe2 = {"kind":"stripe","scopes":["admin"],
	      "credential":{"prod":"sk_live_4eC39HqLyjWDarjtT1zdp7dc"}}
	    | .roles.Agent.grants += [{"resource":"nowhere","actions":["read","teleport"]}]'
	commit_all r "careless"
	expect_exit 1 "$APPCTL" -C r validate dev --sarif
	cp "$OUT" full.sarif
	check_sarif_for_github full.sarif
	expect_equal 9.0 "$(jq -r '.runs[0].tool.driver.rules[] | select(.id == "secret.literal") | .properties["security-severity"]' full.sarif)" \
		"secret.literal security-severity"
	expect_equal 0 "$(jq '.runs[0].properties["appctl/omittedResults"]' full.sarif)" "nothing omitted"
	expect_equal "$(jq '[.runs[0].results[] | select(.level == "error")] | length' full.sarif)" \
		"$(jq '.runs[0].properties["appctl/errors"]' full.sarif)" "errors counted"
}

# --max-results keeps the most severe results, in text order, and says how
# many it left out.
test_sarif_max_results()
{
	org_repo r
	edit_json r/apps/support-portal/app.json '.integrations.stripe2 = {"kind":"stripe","scopes":["admin"],
	      "credential":{"prod":"sk_live_4eC39HqLyjWDarjtT1zdp7dc"}}
	    | .roles.Agent.grants += [{"resource":"nowhere","actions":["read","teleport"]}]'
	commit_all r "careless"
	expect_exit 1 "$APPCTL" -C r validate dev --sarif
	local total errors
	total=$(jq '.runs[0].results | length' "$OUT")
	errors=$(jq '[.runs[0].results[] | select(.level == "error")] | length' "$OUT")
	[ "$total" -gt "$errors" ] || fail "the fixture needs a warning"
	expect_exit 1 "$APPCTL" -C r validate dev --sarif --max-results "$errors"
	cp "$OUT" cut.sarif
	check_sarif_for_github cut.sarif
	expect_equal "$errors" "$(jq '.runs[0].results | length' cut.sarif)" "results kept"
	jq -e '.runs[0].results | all(.level == "error")' cut.sarif >/dev/null \
		|| fail "a warning was kept before an error"
	jq -e '[.runs[0].results[].locations[0].physicalLocation.region.startLine] | . == sort' \
		cut.sarif >/dev/null || fail "kept results out of line order"
	expect_equal $((total - errors)) "$(jq '.runs[0].properties["appctl/omittedResults"]' cut.sarif)" \
		"omitted count"
	expect_equal $((total - errors)) "$(jq '.runs[0].properties["appctl/warnings"]' cut.sarif)" \
		"the warnings left out are still counted"
	jq -e '.runs[0].invocations[0].toolExecutionNotifications[0].message.text
		| test("left out")' cut.sarif >/dev/null || fail "no notification of the cut"
	expect_exit 1 "$APPCTL" -C r validate dev --sarif --max-results 1
	expect_equal 1 "$(jq '.runs[0].results | length' "$OUT")" "one result"
	expect_exit 1 "$APPCTL" -C r validate dev --sarif --max-results 100000
	expect_equal "$total" "$(jq '.runs[0].results | length' "$OUT")" "a high limit keeps all"
	expect_exit 2 "$APPCTL" -C r validate dev --sarif --max-results 0
	expect_exit 2 "$APPCTL" -C r validate dev --sarif --max-results -3
	expect_exit 2 "$APPCTL" -C r validate dev --sarif --max-results 99999999999999999999999
	expect_exit 2 "$APPCTL" -C r validate dev --json --max-results 3
}

test_usage_errors()
{
	org_repo r
	expect_exit 2 "$APPCTL" -C r validate --bogus
	expect_exit 2 "$APPCTL" -C r validate dev prod
	expect_exit 2 "$APPCTL" -C r validate --json --sarif
	expect_exit 2 "$APPCTL" -C r validate --at 2026-13-45
	expect_exit 2 "$APPCTL" -C r validate no-such-branch
	expect_stderr_contains "no-such-branch"
	expect_exit 0 "$APPCTL" validate --help
	expect_stdout_contains "SYNOPSIS"
}

# hostile NAME FILE EXPECTED_EXIT EXPECTED_STDERR...: commits what the
# caller wrote into r (already staged by the caller's commands) and checks
# validate refuses it without touching a ref.
expect_refused()
{
	local code=$1
	shift
	save_refs r
	expect_exit "$code" "$APPCTL" -C r validate dev
	local s
	for s in "$@"; do
		expect_stderr_contains "$s"
	done
	[ "$(wc -l <"$ERR")" -le 2 ] || fail "error is not one line"
	expect_refs_unchanged r
	# The JSON form reports the same error as a finding.
	expect_exit "$code" "$APPCTL" -C r validate dev --json
	jq -e '.findings | length >= 1' "$OUT" >/dev/null || fail "no JSON finding"
}

APP=apps/ops-dashboard/app.json

hostile_write()
{
	org_repo r
	printf '%s' "$1" >"r/$APP"
	commit_all r hostile
}

test_hostile_truncated()
{
	hostile_write '{"name":"ops-dashboard","class":'
	expect_refused 3 "$APP" "line 1 column" "malformed JSON"
}

test_hostile_duplicate_key()
{
	hostile_write '{"name":"ops-dashboard","class":"dashboard","class":"admin_panel"}'
	expect_refused 3 "$APP: \$.class: duplicate key"
}

test_hostile_deep_nesting()
{
	org_repo r
	head -c 100000 /dev/zero | tr '\0' '[' >"r/$APP"
	commit_all r deep
	expect_refused 3 "$APP" "nesting deeper than 64"
}

test_hostile_invalid_utf8()
{
	hostile_write $'{"name":"ops-dashboard","class":"dashboard","owners":{"business":"\xc3\x28@x.co"}}'
	expect_refused 3 "$APP" "invalid UTF-8"
}

test_hostile_nul()
{
	org_repo r
	printf '{"name":"ops-dashboard",\0"class":"dashboard"}' >"r/$APP"
	commit_all r nul
	expect_refused 3 "$APP" "NUL byte"
	hostile_write '{"name":"ops-dashboard","class":"dash\u0000board"}'
	expect_refused 3 "$APP" "\\u0000"
}

test_hostile_huge_file()
{
	org_repo r
	{ printf '{"name":"ops-dashboard","class":"dashboard","pages":{"P":{"pad":"'
	  head -c $((20 * 1024 * 1024)) /dev/zero | tr '\0' 'a'
	  printf '"}}}'; } >"r/$APP"
	commit_all r huge
	expect_refused 3 "$APP" "16 MiB"
	expect_exit 3 "$APPCTL" -C r validate --worktree
	expect_stderr_contains "16 MiB"
}

test_hostile_symlink()
{
	org_repo r
	rm "r/$APP"
	ln -s ../../appctl.json "r/$APP"
	commit_all r symlink
	expect_refused 3 "$APP" "symbolic link"
	expect_exit 3 "$APPCTL" -C r validate --worktree
	expect_stderr_contains "$APP"
}

test_hostile_symlink_policy()
{
	org_repo r
	mv r/appctl.json r/policy.json
	ln -s policy.json r/appctl.json
	commit_all r symlink-policy
	expect_refused 3 "appctl.json" "symbolic link"
}

test_hostile_submodule()
{
	org_repo r
	git -C r update-index --add --cacheinfo "160000,$(git -C r rev-parse HEAD),apps/sub"
	git -C r commit -q -m submodule
	expect_refused 3 "apps/sub"
}

test_hostile_folder_as_file()
{
	org_repo r
	rm "r/$APP"
	mkdir -p "r/$APP"
	echo x >"r/$APP/inner"
	commit_all r folder
	expect_refused 3 "$APP"
}

test_hostile_folder_mismatch()
{
	org_repo r
	mkdir r/apps/copy-of-ops
	cp "r/$APP" r/apps/copy-of-ops/app.json
	commit_all r copy
	expect_refused 3 "apps/copy-of-ops/app.json: \$.name" "differs from its folder"
}

test_hostile_bad_folder_name()
{
	org_repo r
	mkdir r/apps/Bad_Name
	sed 's/"ops-dashboard"/"Bad_Name"/' "r/$APP" >r/apps/Bad_Name/app.json
	commit_all r badname
	expect_refused 3 "apps/Bad_Name"
}

test_hostile_wrong_types()
{
	hostile_write '{"name":"ops-dashboard","class":"dashboard","roles":{"Viewer":{"members":"everyone"}}}'
	expect_refused 3 "$APP: \$.roles.Viewer.members: expected an array, found a string"
	hostile_write '{"name":"ops-dashboard","class":"dashboard","data":{"m":{"retention_days":"forever"}}}'
	expect_refused 3 "\$.data.m.retention_days" "expected an integer"
}

test_hostile_unknown_field()
{
	hostile_write '{"name":"ops-dashboard","class":"dashboard","Roles":{}}'
	expect_refused 3 "$APP: \$.Roles: unknown field"
}

test_hostile_malformed_principal()
{
	hostile_write '{"name":"ops-dashboard","class":"dashboard","roles":{"V":{"members":["root"]}}}'
	expect_refused 3 "\$.roles.V.members[0]" "not a valid principal"
}

test_hostile_policy()
{
	org_repo r
	printf '{"appctl":1,"environments":["dev","prod"],"groups":{"a":["group:b"]}}' >r/appctl.json
	commit_all r nested
	expect_refused 3 "appctl.json: \$.groups.a[0]" "groups cannot contain groups"
	printf '{"appctl":1,"environments":["dev"],"environments":["prod"]}' >r/appctl.json
	commit_all r dup
	expect_refused 3 "appctl.json: \$.environments: duplicate key"
}

# Unknown actions and dangling references are lint findings (exit 1).
test_hostile_dangling_and_unknown_action()
{
	hostile_write '{"name":"ops-dashboard","class":"dashboard",
	  "owners":{"business":"a@example.com","technical":"b@example.com"},
	  "data":{"m":{"source":"nowhere"}},
	  "roles":{"V":{"members":["group:ghosts"],"grants":[{"resource":"m","actions":["read","sudo"],"hidden_fields":["nope"]}]}},
	  "pages":{"P":{"resource":"missing","roles":["Nobody"]}}}'
	save_refs r
	expect_exit 1 "$APPCTL" -C r validate dev --json
	for rule in ref.undefined-source ref.undefined-group ref.unknown-action \
		ref.undefined-field ref.undefined-resource ref.undefined-role; do
		jq -e --arg r "$rule" '.findings | map(.rule) | index($r) != null' "$OUT" >/dev/null \
			|| fail "no $rule finding"
	done
	expect_equal '$.roles.V.grants[0].actions[1]' \
		"$(jq -r '.findings[] | select(.rule == "ref.unknown-action") | .path' "$OUT")" \
		"unknown action path"
	expect_refs_unchanged r
}

# An organisation's lint.rules: "off" removes findings, "warning" lowers an
# error (exit 0), every override is printed with its justification (text)
# and listed under "overrides" (--json); secret.literal cannot be overridden.
test_lint_overrides()
{
	org_repo r
	jq '.integrations.zendesk.owner = null | del(.integrations.zendesk.owner)
	    | .roles.Lead.members += ["gone@example.com"]
	    | .owners.technical = "left@example.com"' \
		r/apps/support-portal/app.json >r/tmp.json
	mv r/tmp.json r/apps/support-portal/app.json
	commit_all r "owner-less connector, owner who left"
	expect_exit 1 "$APPCTL" -C r validate dev
	expect_stdout_contains "[integration.owner-missing]"
	expect_stdout_contains 'technical owner "left@example.com" is unknown to every group, role and signer list (left the organisation?) [principal.unknown]'
	jq '.lint = {"rules": {
	      "integration.owner-missing": {"severity": "warning", "justification": "owners tracked in the CMDB (SEC-12)"},
	      "principal.unknown": {"severity": "off", "justification": "HR feed not wired yet (SEC-13)"}}}' \
		r/appctl.json >r/tmp.json
	mv r/tmp.json r/appctl.json
	commit_all r "turn down"
	expect_exit 0 "$APPCTL" -C r validate dev
	expect_stdout_contains "warning: integration \"zendesk\" has no owner [integration.owner-missing]"
	expect_stdout_lacks "[principal.unknown]"
	expect_stdout_contains "appctl.json: override: integration.owner-missing error -> warning (1 finding): owners tracked in the CMDB (SEC-12)"
	expect_stdout_contains "appctl.json: override: principal.unknown warning -> off (1 finding): HR feed not wired yet (SEC-13)"
	expect_exit 0 "$APPCTL" -C r validate dev --json
	expect_equal '[{"rule":"integration.owner-missing","default":"error","severity":"warning","justification":"owners tracked in the CMDB (SEC-12)","findings":1},{"rule":"principal.unknown","default":"warning","severity":"off","justification":"HR feed not wired yet (SEC-13)","findings":1}]' \
		"$(jq -c '.overrides' "$OUT")" "overrides array"
	expect_equal 0 "$(jq '.errors' "$OUT")" "errors after the overrides"
	jq '.lint.rules["secret.literal"] = {"severity": "off", "justification": "we rotate often"}' \
		r/appctl.json >r/tmp.json
	mv r/tmp.json r/appctl.json
	commit_all r "try to silence secrets"
	expect_exit 1 "$APPCTL" -C r validate dev
	expect_stdout_contains "override of secret.literal is not allowed"
	expect_stdout_contains "[lint.override-not-allowed]"
	expect_stdout_lacks "override: secret.literal"
}

run_tests test_example_is_clean test_findings_exit_1 test_findings_in_text_order \
	test_usage_errors test_fail_on_warning test_sarif_github_fields \
	test_sarif_max_results test_lint_overrides \
	test_hostile_truncated test_hostile_duplicate_key test_hostile_deep_nesting \
	test_hostile_invalid_utf8 test_hostile_nul test_hostile_huge_file \
	test_hostile_symlink test_hostile_symlink_policy test_hostile_submodule \
	test_hostile_folder_as_file test_hostile_folder_mismatch \
	test_hostile_bad_folder_name test_hostile_wrong_types \
	test_hostile_unknown_field test_hostile_malformed_principal \
	test_hostile_policy test_hostile_dangling_and_unknown_action
