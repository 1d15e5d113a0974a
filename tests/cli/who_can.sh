#!/usr/bin/env bash
# who_can.sh: `appctl who-can` on the example org: who can export customers
# or see a field, with the path of each principal; golden outputs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/review_lib.sh"

export APPCTL_TODAY=2026-11-29

test_export_customers()
{
	example_org r
	expect_exit 0 "$APPCTL" -C r who-can export customers
	expect_golden who-can-export-customers.txt "$OUT" r
	expect_exit 0 "$APPCTL" -C r who-can export customers --json
	expect_golden who-can-export-customers.json "$OUT" r
	# The contractor is there through a temporary membership, with its end.
	jq -e '.principals[] | select(.principal == "cy@contractor.example") |
		.paths == [{"app": "support-portal", "role": "Agent", "group": null, "expires": "2027-06-30"}]' \
		"$OUT" >/dev/null || fail "contractor path"
	# dan holds Agent twice: directly and through group:support.
	jq -e '.principals[] | select(.principal == "dan@example.com") | .paths | length == 2' \
		"$OUT" >/dev/null || fail "dan's two paths"
	# After the membership's last day the contractor is gone.
	expect_exit 0 "$APPCTL" -C r who-can export customers --at 2027-07-01 --json
	expect_equal "dan@example.com,dora@example.com" \
		"$(jq -r '[.principals[].principal] | join(",")' "$OUT")" "after expiry"
}

test_fields()
{
	example_org r
	# Nobody sees social security numbers: every grant hides them.
	expect_exit 0 "$APPCTL" -C r who-can see customers.ssn
	expect_golden who-can-see-ssn.txt "$OUT" r
	# Tax ids: only the billing Admin, across apps that define the field.
	expect_exit 0 "$APPCTL" -C r who-can read customers.tax_id --json
	expect_equal "bo@example.com:billing-admin/Admin" \
		"$(jq -r '[.principals[] | .principal + ":" + (.paths[] | .app + "/" + .role)] | join(",")' "$OUT")" \
		"tax_id"
	# A pii field both apps have, limited to one app.
	expect_exit 0 "$APPCTL" -C r who-can see customers.email staging --app billing-admin --json
	expect_equal staging "$(jq -r .env "$OUT")" "env"
	jq -e '[.principals[].paths[].app] | unique == ["billing-admin"]' "$OUT" >/dev/null ||
		fail "--app"
	jq -e '[.principals[].principal] | index("fay@example.com") != null' "$OUT" >/dev/null ||
		fail "finance via group"
	jq -e '.principals[] | select(.principal == "fay@example.com") | .paths[0].group == "finance"' \
		"$OUT" >/dev/null || fail "group path"
}

test_changes_follow_the_environment()
{
	example_org r
	jq '.roles.Lead.grants += [{"resource": "customers", "actions": ["export"], "hidden_fields": ["ssn"]}]' \
		r/apps/support-portal/app.json >r/tmp.json && mv r/tmp.json r/apps/support-portal/app.json
	commit_all r "Lead may export"
	expect_exit 0 "$APPCTL" -C r who-can export customers dev --json
	jq -e '.principals[] | select(.principal == "dora@example.com") | [.paths[].role] == ["Agent", "Lead"]' \
		"$OUT" >/dev/null || fail "dora on dev"
	expect_exit 0 "$APPCTL" -C r who-can export customers --json
	jq -e '.principals[] | select(.principal == "dora@example.com") | [.paths[].role] == ["Agent"]' \
		"$OUT" >/dev/null || fail "dora in prod"
}

test_usage()
{
	example_org r
	expect_exit 2 "$APPCTL" -C r who-can export
	expect_exit 2 "$APPCTL" -C r who-can steal customers
	expect_stderr_contains "unknown action 'steal'"
	expect_exit 2 "$APPCTL" -C r who-can export custmers
	expect_stderr_contains "no app in prod defines 'custmers'"
	expect_exit 2 "$APPCTL" -C r who-can see customers.shoe_size
	expect_exit 2 "$APPCTL" -C r who-can see customers. 
	expect_exit 2 "$APPCTL" -C r who-can export customers --app nope
	expect_stderr_contains "no app 'nope' in prod"
	expect_exit 2 "$APPCTL" -C r who-can export customers nowhere
	expect_exit 2 "$APPCTL" -C r who-can export customers --at 2026-02-30
}

run_tests test_export_customers test_fields test_changes_follow_the_environment test_usage
