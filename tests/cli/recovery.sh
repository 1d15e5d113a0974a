#!/usr/bin/env bash
# recovery.sh: docs/recovery.md as a test. A repository initialised from a
# policy whose approvers have no keys: status says it cannot be approved;
# the fix (the keys) goes in by a recorded break-glass promote, after
# which changes are approved the normal way. No ref is moved by hand.
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-11-29
export APPCTL_NOTIFY_BUDGET_S=0

make_keys rita ann sam otto

test_break_glass_recovery()
{
	local c0 fix
	# otto (ops, the break-glass group) has a key; no approver has one.
	keyed_org_repo r "otto" \
		'.break_glass = {"group": "ops", "count": 0} | .groups.ops = ["otto@example.com"]'
	expect_exit 0 "$APPCTL" -C r status staging
	expect_stdout_contains "CANNOT BE APPROVED: no allowed approver"
	c0=$(ref_id r staging)

	# 1. The fix on dev: the keys of the release managers and security.
	for k in rita ann sam; do
		echo "$k@example.com namespaces=\"appctl\" $(cut -d' ' -f1,2 "$KEYS/$k.pub")"
	done >>r/allowed_signers
	commit_all r "keys of the release managers"
	fix=$(ref_id r dev)
	expect_exit 0 "$APPCTL" -C r diff staging dev
	expect_stdout_contains "signers.changed"
	# Nobody can approve it the normal way.
	run "$APPCTL" -C r approve --key "$KEYS/rita" staging
	[ "$STATUS" -ne 0 ] || fail "an approval with a key staging does not trust"

	# 2. A recorded break-glass promote by otto.
	expect_exit 0 "$APPCTL" -C r promote staging --break-glass \
		-m "staging trusted no approver key" --key "$KEYS/otto"
	expect_equal "$fix" "$(ref_id r staging)" "staging holds the fix"
	expect_exit 0 "$APPCTL" -C r status staging
	expect_stdout_lacks "CANNOT BE APPROVED"
	expect_stdout_contains "BREAK-GLASS (UNREVIEWED)"

	# 3. The break-glass release stays flagged: its review would need
	# approvals on the base it started from, whose allowed_signers trusts
	# none of these keys. The record says who broke glass, when and why.
	run "$APPCTL" -C r approve --key "$KEYS/rita" staging
	expect_equal 1 "$STATUS" "a review against the old signers"
	expect_stderr_contains "not accepted by the allowed_signers of staging"
	expect_exit 0 "$APPCTL" -C r status staging --json
	expect_equal true "$(jq -r '.environments[0].unreviewed' "$OUT")" "still flagged"
	expect_equal true "$(jq -r '.environments[0].approvable' "$OUT")" "approvable"
	expect_exit 0 "$APPCTL" -C r history staging
	expect_stdout_contains "staging trusted no approver key"

	# 4. From now on changes go in the normal way.
	grant_dan r
	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging
	expect_equal "$(ref_id r dev)" "$(ref_id r staging)" "a normal promotion"
	expect_exit 0 "$APPCTL" -C r audit --verify
	expect_equal "$c0" "$(ref_id r release/staging/0)" "release 0 untouched"
}

# Without break_glass nobody can move the environment: the documented way
# is a new repository from the definitions, the old one kept as it is.
test_new_repository_when_nobody_can_sign()
{
	local k
	keyed_org_repo old ""
	expect_exit 0 "$APPCTL" -C old status staging
	expect_stdout_contains "CANNOT BE APPROVED"
	save_refs old
	# The steps of docs/recovery.md, "When nobody at all can sign".
	git clone -q old new || fail "git clone"
	git -C new checkout -q dev || fail "checkout dev"
	git -C new remote remove origin
	git -C new config user.name "New Org"
	git -C new config user.email "tester@example.com"
	git -C new branch -D staging prod >/dev/null 2>&1
	git -C new tag -l 'release/*' | xargs -r git -C new tag -d >/dev/null
	for k in rita ann sam; do
		echo "$k@example.com namespaces=\"appctl\" $(cut -d' ' -f1,2 "$KEYS/$k.pub")"
	done >>new/allowed_signers
	commit_all new "the approvers' keys"
	expect_exit 0 "$APPCTL" -C new init
	if grep -q "warning" "$ERR"; then fail "init still warns: $(cat "$ERR")"; fi
	expect_exit 0 "$APPCTL" -C new status
	expect_stdout_lacks "CANNOT BE APPROVED"
	expect_refs_unchanged old
}

run_tests test_break_glass_recovery test_new_repository_when_nobody_can_sign
