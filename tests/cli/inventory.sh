#!/usr/bin/env bash
# inventory.sh: `appctl inventory` on the example org: golden text, JSON,
# CSV and Markdown; CSV that a CSV reader and a spreadsheet read safely.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/review_lib.sh"

export APPCTL_TODAY=2026-11-29

test_golden_formats()
{
	example_org r
	expect_exit 0 "$APPCTL" -C r inventory
	expect_golden inventory.txt "$OUT" r
	expect_exit 0 "$APPCTL" -C r inventory prod --json
	expect_golden inventory.json "$OUT" r
	expect_exit 0 "$APPCTL" -C r inventory prod --csv
	expect_golden inventory.csv "$OUT" r
	expect_exit 0 "$APPCTL" -C r inventory prod --markdown
	expect_golden inventory.md "$OUT" r
	expect_exit 0 "$APPCTL" -C r inventory --principals
	expect_golden review.txt "$OUT" r
	expect_exit 0 "$APPCTL" -C r inventory --principals --csv
	expect_golden review.csv "$OUT" r
}

test_access_review()
{
	example_org r
	expect_exit 0 "$APPCTL" -C r inventory --principals --json
	expect_equal 10 "$(jq '.review | length' "$OUT")" "one line per app and principal"
	jq -e '.review[] | select(.app == "support-portal" and .principal == "cy@contractor.example") |
		.expires == "2027-06-30" and .export == true and .pii == true and .restricted == false' \
		"$OUT" >/dev/null || fail "the contractor's line"
	jq -e '.review[] | select(.app == "billing-admin" and .principal == "bo@example.com") |
		.via == "Admin" and .admin == true and .restricted == true' \
		"$OUT" >/dev/null || fail "the billing admin's line"
	# After the membership ends, the contractor's line goes.
	expect_exit 0 "$APPCTL" -C r inventory --principals --json --at 2027-07-01
	expect_equal 9 "$(jq '.review | length' "$OUT")" "after expiry"
	expect_exit 0 "$APPCTL" -C r inventory --principals --markdown
	expect_equal 12 "$(grep -c '^|' "$OUT")" "markdown rows"
}

test_counts()
{
	example_org r
	expect_exit 0 "$APPCTL" -C r --json inventory
	# support-portal: dan, dora and the contractor can export and see pii.
	expect_equal "cy@contractor.example,dan@example.com,dora@example.com" \
		"$(jq -r '.apps[] | select(.app == "support-portal") | .principals.export | join(",")' "$OUT")" \
		"support-portal exporters"
	expect_equal 1 "$(jq '.apps[] | select(.app == "billing-admin") | .counts.restricted' "$OUT")" \
		"billing-admin restricted"
	expect_equal '["ops-dashboard","support-portal"]' \
		"$(jq -c '[.apps[] | select(any(.integrations[]; .reads != [])) | .app] - ["billing-admin"]' "$OUT")" \
		"integrations with reads"
	expect_equal '["tickets"]' \
		"$(jq -c '.apps[] | select(.app == "support-portal") | .ai_reads' "$OUT")" "ai reads"
	# Expiries applied: after the contractor's last day, one exporter less.
	expect_exit 0 "$APPCTL" -C r inventory --json --at 2027-07-01
	expect_equal 2 "$(jq '.apps[] | select(.app == "support-portal") | .counts.export' "$OUT")" \
		"exporters after expiry"
	# A missing credential for an environment shows.
	jq 'del(.integrations.datadog.credential.staging)' r/apps/ops-dashboard/app.json >r/tmp.json &&
		mv r/tmp.json r/apps/ops-dashboard/app.json
	commit_all r "no staging credential"
	expect_exit 0 "$APPCTL" -C r inventory dev --json
	expect_equal '["staging"]' \
		"$(jq -c '.apps[] | select(.app == "ops-dashboard") | .integrations[0].missing_credentials' "$OUT")" \
		"missing credential"
	expect_exit 0 "$APPCTL" -C r inventory dev
	expect_stdout_contains "credentials dev prod (missing staging)"
}

test_csv_is_safe()
{
	example_org r
	# Untrusted text: a formula, quotes, a comma and a line break.
	jq '.description = "=HYPERLINK(\"http://evil.example\",\"click\"), then\nmore"' \
		r/apps/ops-dashboard/app.json >r/tmp.json && mv r/tmp.json r/apps/ops-dashboard/app.json
	commit_all r "a hostile description"
	expect_exit 0 "$APPCTL" -C r inventory dev --csv
	# CRLF line ends, as RFC 4180 says.
	expect_equal 4 "$(grep -c $'\r$' "$OUT")" "CRLF rows"
	python3 - "$OUT" <<'PY' || fail "CSV does not read back"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert len(rows) == 4, rows
assert rows[0][0] == "app" and rows[0][-1] == "description", rows[0]
assert all(len(r) == len(rows[0]) for r in rows), [len(r) for r in rows]
ops = [r for r in rows if r[0] == "ops-dashboard"][0]
assert ops[-1] == "'=HYPERLINK(\"http://evil.example\",\"click\"), then\nmore", repr(ops[-1])
assert ops[6:12] == ["4", "0", "0", "0", "2", "0"], ops[6:12]
PY
	expect_exit 0 "$APPCTL" -C r inventory dev --markdown
	expect_stdout_contains '| ops-dashboard |'
	expect_equal 5 "$(grep -c '^|' "$OUT")" "markdown rows"
}

test_usage()
{
	example_org r
	expect_exit 2 "$APPCTL" -C r inventory --csv --json
	expect_stderr_contains "choose one of"
	expect_exit 2 "$APPCTL" -C r inventory nowhere
	expect_exit 2 "$APPCTL" -C r inventory --at yesterday
	expect_exit 2 "$APPCTL" -C r inventory prod staging
}

run_tests test_golden_formats test_access_review test_counts test_csv_is_safe test_usage
