#!/usr/bin/env bash
# offboard.sh: `appctl offboard` on the example org with real keys: the
# contractor leaves (one commit, reviewed with diff, approved, promoted,
# and proven gone per environment by `access --history`), owners leave
# (refused, or reassigned), groups, approvers, signers, IdP groups, a
# branch that moved, and files kept byte for byte outside the edits.
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-11-29
export APPCTL_NOTIFY_BUDGET_S=0
CONTRACTOR=cy@contractor.example
GOLDEN="$APPCTL_SOURCE_DIR/tests/offboard"

make_keys rita ann sam cy

# org DIR: the example org with rita, ann, sam and the contractor trusted
# to sign (the contractor's key must go with them), under appctl.
org()
{
	local k
	new_repo "$1"
	cp -R "$APPCTL_SOURCE_DIR/examples/org/." "$1/"
	for k in rita ann sam; do
		echo "$k@example.com namespaces=\"appctl\" $(cut -d' ' -f1,2 "$KEYS/$k.pub")"
	done >>"$1/allowed_signers"
	echo "$CONTRACTOR namespaces=\"appctl\" $(cut -d' ' -f1,2 "$KEYS/cy.pub") contractor" \
		>>"$1/allowed_signers"
	if [ $# -gt 1 ]; then
		jq "$2" "$1/appctl.json" >"$1/tmp.json" && mv "$1/tmp.json" "$1/appctl.json"
	fi
	commit_all "$1" "example org"
	expect_exit 0 "$APPCTL" -C "$1" init
}

# expect_golden NAME FILE: FILE equals tests/offboard/NAME, commit ids of
# the repository r replaced by names (UPDATE_GOLDEN=1 rewrites the golden).
expect_golden()
{
	local got="$TEST_ROOT/golden.$1" c name
	cp "$2" "$got"
	for name in BASE NEW; do
		c=${!name:-}
		[ -n "$c" ] && sed -i -e "s/$c/$name/g" -e "s/${c:0:7}/$name/g" "$got"
	done
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$got" "$GOLDEN/$1"
	fi
	diff -u "$GOLDEN/$1" "$got" >&2 || fail "output differs from tests/offboard/$1"
}

test_contractor_end_to_end()
{
	org r
	BASE=$(ref_id r dev)
	save_refs r
	expect_exit 0 "$APPCTL" -C r offboard --dry-run "$CONTRACTOR"
	expect_stdout_contains "dry run, nothing written"
	expect_stdout_contains "would change: allowed_signers apps/support-portal/app.json"
	expect_refs_unchanged r

	expect_exit 0 "$APPCTL" -C r offboard "$CONTRACTOR" -m "cy's contract ended"
	NEW=$(ref_id r dev)
	expect_golden contractor.txt "$OUT"
	# One ordinary commit on dev, by the git identity, on top of the old head.
	expect_equal "$BASE" "$(git -C r rev-parse dev^)" "parent"
	expect_equal "tester@example.com tester@example.com" \
		"$(git -C r log -1 --format='%ae %ce' dev)" "author and committer"
	expect_equal "cy's contract ended" "$(git -C r log -1 --format=%s dev)" "subject"
	expect_equal "$BASE" "$(ref_id r staging)" "staging did not move"
	# Only the values were cut out: the patch is exactly these lines (the
	# keys are made per run, so allowed_signers is checked apart).
	git -C r show --format= dev -- apps appctl.json >"$TEST_ROOT/patch"
	expect_golden contractor.patch "$TEST_ROOT/patch"
	expect_equal "0 1" "$(git -C r diff --numstat dev^ dev -- allowed_signers | cut -f1,2 | tr '\t' ' ')" \
		"one key line removed"
	git -C r show dev:allowed_signers | grep -q contractor && fail "the contractor's key is still there"
	# The checked-out branch's working tree followed.
	expect_equal "" "$(git -C r status --porcelain)" "working tree clean"
	expect_exit 0 "$APPCTL" -C r validate dev
	expect_stdout_contains "0 errors, 0 warnings"
	# Doing it again finds nothing.
	expect_exit 0 "$APPCTL" -C r offboard "$CONTRACTOR"
	expect_stdout_contains "nothing to change on dev"
	expect_equal "$NEW" "$(ref_id r dev)" "no second commit"

	# A normal change: reviewed with diff, approved, promoted.
	expect_exit 0 "$APPCTL" -C r diff prod dev --json
	jq -e --arg p "$CONTRACTOR" '.changes | any(.kind == "access.revoked" and .principal == $p)' \
		"$OUT" >/dev/null || fail "diff lacks the revocation"
	jq -e '.changes | any(.kind == "signers.changed")' "$OUT" >/dev/null ||
		fail "diff lacks the key removal"
	for env in staging prod; do
		approve r rita "$env"
		approve r ann "$env"
		expect_exit 0 "$APPCTL" -C r promote "$env"
		expect_equal "$NEW" "$(ref_id r "$env")" "$env promoted"
	done

	# The proof, per environment: granted at release 0, revoked at release 1.
	for env in staging prod; do
		expect_exit 0 "$APPCTL" -C r access "$CONTRACTOR" --env "$env" --history --json
		expect_equal 0 "$(jq '.access | length' "$OUT")" "$env: no access left"
		jq -e '.history[-1].release == 1 and .history[-1].cause == "commit" and
			(.history[-1].revoked | index("support-portal/customers:export") != null)' \
			"$OUT" >/dev/null || fail "$env history lacks the removal at release 1"
		jq -e '.history[0].release == 0 and
			(.history[0].granted | index("support-portal/customers:export") != null)' \
			"$OUT" >/dev/null || fail "$env history lacks the grant at release 0"
	done
	# Their key no longer counts in prod: an approval they sign is refused.
	expect_exit 1 "$APPCTL" -C r approve prod --key "$KEYS/cy"
}

test_owner_refused_then_reassigned()
{
	org r
	BASE=$(ref_id r dev)
	save_refs r
	expect_exit 1 "$APPCTL" -C r offboard bo@example.com
	expect_stderr_contains "bo@example.com owns what would be left without an owner: app billing-admin (technical owner), integration billing-admin/stripe, app support-portal (technical owner), integration support-portal/salesforce"
	expect_stderr_contains "nothing was written"
	expect_stdout_contains "no owner left"
	expect_refs_unchanged r
	expect_exit 1 "$APPCTL" -C r offboard bo@example.com --json
	expect_equal true "$(jq .refused "$OUT")" "refused"
	expect_equal null "$(jq .commit "$OUT")" "no commit"
	expect_refs_unchanged r

	expect_exit 0 "$APPCTL" -C r offboard bo@example.com --reassign-to olga@example.com --json
	NEW=$(ref_id r dev)
	expect_equal "$NEW" "$(jq -r .commit "$OUT")" "commit"
	jq -e '[.found[] | select(.outcome == "reassigned")] | length == 4' "$OUT" >/dev/null ||
		fail "four ownerships reassigned"
	jq -e '.found | any(.kind == "role_member" and .app == "billing-admin" and .name == "Admin")' \
		"$OUT" >/dev/null || fail "Admin membership"
	expect_equal "olga@example.com olga@example.com" \
		"$(git -C r show dev:apps/billing-admin/app.json | jq -r '[.owners.technical, .integrations.stripe.owner] | join(" ")')" \
		"billing-admin owners"
	expect_equal 0 "$(git -C r grep -c bo@example.com dev -- apps | wc -l)" "bo gone from apps"
	git -C r show --format= dev >"$TEST_ROOT/patch"
	expect_golden owner.patch "$TEST_ROOT/patch"
	expect_exit 0 "$APPCTL" -C r diff prod dev --json
	jq -e '.changes | any(.kind == "integration.owner_changed" and .app == "support-portal")' \
		"$OUT" >/dev/null || fail "owner change not in the diff"
}

test_groups_approvers_signers()
{
	org r '.approvals.approvers += ["pat@example.com"]'
	# dan: a member of support (appctl.json) and a direct Agent.
	expect_exit 0 "$APPCTL" -C r offboard dan@example.com --json
	jq -e '[.found[].kind] | sort == ["group", "role_member"]' "$OUT" >/dev/null ||
		fail "dan's group and role"
	expect_equal '["dora@example.com"]' \
		"$(git -C r show dev:appctl.json | jq -c .groups.support)" "support group"
	# The rest of appctl.json is byte for byte what it was (jq wrote it
	# with one member a line: one line goes).
	expect_equal "0 1" "$(git -C r diff dev^ dev --numstat -- appctl.json | cut -f1,2 | tr '\t' ' ')" \
		"one line removed"
	# rita: a release manager with a key.
	expect_exit 0 "$APPCTL" -C r offboard rita@example.com
	expect_stdout_contains "may approve: yes"
	expect_stdout_contains "release-managers [appctl.json]: removed"
	expect_stdout_contains "[allowed_signers]: removed"
	git -C r show dev:allowed_signers | grep -q '^rita@' && fail "rita's key still there"
	git -C r show dev:allowed_signers | grep -q '^ann@' || fail "ann's key went too"
	# pat: named directly in approvals.approvers, case aside.
	expect_exit 0 "$APPCTL" -C r offboard PAT@example.com
	expect_stdout_contains "approvals.approvers [appctl.json]: removed"
	expect_equal '["group:release-managers","group:security"]' \
		"$(git -C r show dev:appctl.json | jq -c .approvals.approvers)" "approvers"
	expect_exit 0 "$APPCTL" -C r validate dev
}

test_idp_group_reported_not_edited()
{
	local idp
	org r
	idp=$(git -C r rev-parse dev:idp/groups.scim.json)
	expect_exit 0 "$APPCTL" -C r offboard sam@example.com --json
	jq -e '.found | any(.kind == "idp_group" and .name == "security" and
		.file == "idp/groups.scim.json" and .outcome == "remove in the identity provider" and
		.changed == false)' "$OUT" >/dev/null || fail "IdP group not reported"
	jq -e '.files == ["allowed_signers"]' "$OUT" >/dev/null || fail "only the key removed"
	expect_equal "$idp" "$(git -C r rev-parse dev:idp/groups.scim.json)" "export untouched"
	expect_exit 0 "$APPCTL" -C r offboard sam@example.com
	expect_stdout_contains "remove sam@example.com in the identity provider"
}

test_conflict_and_usage()
{
	org r
	save_refs r
	# Another writer holds dev's lock: nothing changes, exit 5.
	: >r/.git/refs/heads/dev.lock
	expect_exit 5 "$APPCTL" -C r offboard "$CONTRACTOR"
	expect_stderr_contains "dev moved while the change was prepared"
	rm r/.git/refs/heads/dev.lock
	expect_refs_unchanged r
	expect_exit 0 "$APPCTL" -C r offboard nobody@example.com
	expect_stdout_contains "nothing to change on dev"
	expect_exit 2 "$APPCTL" -C r offboard
	expect_exit 2 "$APPCTL" -C r offboard not-a-principal
	expect_exit 2 "$APPCTL" -C r offboard bo@example.com --reassign-to BO@example.com
	expect_exit 2 "$APPCTL" -C r offboard bo@example.com --reassign-to nobody
	expect_exit 2 "$APPCTL" -C r offboard bo@example.com -m ""
	expect_refs_unchanged r
	# No git identity: a commit needs one.
	git -C r config --unset user.name
	git -C r config --unset user.email
	expect_exit 4 "$APPCTL" -C r offboard "$CONTRACTOR"
	expect_stderr_contains "user.name and user.email"
	expect_refs_unchanged r
}

test_local_edits_survive()
{
	org r
	echo '# local note' >>r/apps/support-portal/app.json
	expect_exit 0 "$APPCTL" -C r offboard "$CONTRACTOR"
	expect_stdout_contains "note: the working tree was not updated"
	tail -n 1 r/apps/support-portal/app.json | grep -q 'local note' || fail "local edit lost"
	git -C r show dev:apps/support-portal/app.json | grep -q "$CONTRACTOR" &&
		fail "committed file still names the contractor"
	true
}

# ssh-keygen takes a quoted principals field too: offboard must remove the
# key of whoever leaves from such a line, and keep the others' (control).
test_quoted_signer_line()
{
	org r
	sed -i -e "s/^rita@example.com /\"rita@example.com\" /" \
		-e "s/^ann@example.com /\"ann@example.com,sam@example.com\" /" r/allowed_signers
	commit_all r "quoted principals"
	expect_exit 0 "$APPCTL" -C r offboard rita@example.com
	expect_stdout_contains "[allowed_signers]: removed"
	git -C r show dev:allowed_signers | grep -v '^#' | grep -q 'rita@' && fail "rita's quoted key still there"
	expect_exit 0 "$APPCTL" -C r offboard sam@example.com
	git -C r show dev:allowed_signers | grep -q '^"ann@example.com" namespaces' ||
		fail "ann's key not kept, quoted, without sam"
	git -C r show dev:allowed_signers | grep -v '^#' | grep -q 'sam@' && fail "sam still there"
	expect_exit 0 "$APPCTL" -C r validate dev
}

# A key line whose principal is followed by a tab, not a space, names rita
# for ssh-keygen too: offboard removes it (and its check that nobody is
# left in the edited files agrees, or nothing would be committed).
test_tab_separated_signer_line()
{
	org r
	sed -i -e "s/^rita@example.com /rita@example.com\t/" r/allowed_signers
	commit_all r "a tab after rita"
	expect_exit 0 "$APPCTL" -C r offboard rita@example.com
	expect_stdout_contains "[allowed_signers]: removed"
	git -C r show dev:allowed_signers | grep -v '^#' | grep -q 'rita@' &&
		fail "rita's key line still there"
	true
}

run_tests test_quoted_signer_line test_tab_separated_signer_line test_contractor_end_to_end test_owner_refused_then_reassigned \
	test_groups_approvers_signers test_idp_group_reported_not_edited \
	test_conflict_and_usage test_local_edits_survive
