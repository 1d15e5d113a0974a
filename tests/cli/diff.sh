# diff.sh: `appctl diff` against golden files: one fixture change per kind of SPEC §2.
#
# tests/diff/base is a small org; each tests/diff/cases/NAME.patch is one
# change on top of it, committed in a temporary repository, and
# NAME.json is what `appctl diff --json base HEAD` must print (commit ids
# stripped). NAME is the kind the change is about ("KIND+variant" for a
# second fixture of one kind, "none+..." for changes that must yield
# nothing). NAME.txt and NAME.md, when present, are the text and Markdown
# goldens. Run with UPDATE_GOLDEN=1 to rewrite the goldens, then review them.
. "$(dirname "$0")/lib.sh"

FIXTURES="$APPCTL_SOURCE_DIR/tests/diff"
# Temporary memberships are judged on a fixed day.
export APPCTL_TODAY=2026-06-01

# The commit ids vary from run to run; nothing else in the output does.
strip_commits()
{
	grep -v -e '^  "from_commit": ' -e '^  "to_commit": ' "$OUT" |
		sed -e 's/ ([0-9a-f]\{7\}\.\.[0-9a-f]\{7\})//'
}

# check_golden FILE: compares the stripped output with FILE (or writes it).
check_golden()
{
	if [ -n "${UPDATE_GOLDEN:-}" ]; then
		strip_commits >"$1"
		return
	fi
	[ -f "$1" ] || fail "no golden file $1 (run with UPDATE_GOLDEN=1)"
	strip_commits >"$TEST_ROOT/got"
	if ! diff -u "$1" "$TEST_ROOT/got" >&2; then
		fail "output differs from $(basename "$1")"
	fi
}

# base_repo DIR: the base org committed and tagged "base".
base_repo()
{
	new_repo "$1"
	cp -R "$FIXTURES/base/." "$1/"
	commit_all "$1" "base"
	git -C "$1" tag base
}

# on_case DIR NAME: HEAD becomes base plus the change of case NAME.
on_case()
{
	git -C "$1" checkout -q -f --detach base || fail "checkout base"
	git -C "$1" apply --index "$FIXTURES/cases/$2.patch" || fail "apply $2"
	git -C "$1" commit -q -m "$2" || fail "commit $2"
}

test_every_kind_golden()
{
	local patch name kind count=0
	base_repo r
	for patch in "$FIXTURES"/cases/*.patch; do
		name=$(basename "$patch" .patch)
		kind=${name%%+*}
		TEST_NAME="test_every_kind_golden ($name)"
		on_case r "$name"
		expect_exit 0 "$APPCTL" -C r diff --json base HEAD
		check_golden "$FIXTURES/cases/$name.json"
		if [ "$kind" = none ]; then
			expect_stdout_contains '"changes": [],'
			expect_stdout_contains '"summary": {"high": 0, "medium": 0, "low": 0}'
		else
			expect_stdout_contains "{\"kind\": \"$kind\","
		fi
		count=$((count + 1))
	done
	TEST_NAME=test_every_kind_golden
	[ "$count" -ge 29 ] || fail "only $count fixtures"
}

# Every kind of SPEC §2 has a fixture that produces it.
test_all_kinds_covered()
{
	local kind
	for kind in access.granted access.revoked field.exposed field.hidden \
		role.added role.removed role.member_added role.member_removed \
		role.grant_added role.grant_removed integration.added \
		integration.removed integration.scope_added \
		integration.scope_removed integration.credential_changed \
		integration.owner_changed data.tenant_key_removed \
		data.retention_changed data.sensitivity_changed app.added \
		app.removed app.class_changed app.owner_changed \
		group.member_added group.member_removed policy.changed \
		signers.changed other.changed; do
		[ -f "$FIXTURES/cases/$kind.patch" ] || fail "no fixture for $kind"
		grep -qF "{\"kind\": \"$kind\"," "$FIXTURES/cases/$kind.json" ||
			fail "$kind.json does not report $kind"
	done
}

# The kinds added to SPEC §2's (issue 13) each have a fixture too.
test_added_kinds_covered()
{
	local kind
	for kind in access.expiry_extended access.expiry_shortened \
		page.roles_added page.roles_removed integration.failure_open \
		ai.read_added data.storage_changed integration.reads_added \
		integration.writes_added; do
		[ -f "$FIXTURES/cases/$kind.patch" ] || fail "no fixture for $kind"
		grep -qF "{\"kind\": \"$kind\"," "$FIXTURES/cases/$kind.json" ||
			fail "$kind.json does not report $kind"
	done
}

test_text_and_markdown_golden()
{
	local name
	base_repo r
	for name in group.member_added integration.scope_added \
		integration.added access.expiry_extended \
		role.member_added+temporary; do
		TEST_NAME="test_text_and_markdown_golden ($name)"
		on_case r "$name"
		expect_exit 0 "$APPCTL" -C r diff base HEAD
		check_golden "$FIXTURES/cases/$name.txt"
		expect_exit 0 "$APPCTL" -C r diff --markdown base HEAD
		check_golden "$FIXTURES/cases/$name.md"
	done
}

# A group change reaches every app that uses the group, though no app file changed.
test_group_followed_into_apps()
{
	base_repo r
	on_case r group.member_added
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	expect_stdout_contains '"app": "portal", "principal": "eve@example.com", "resource": "tickets", "action": "update"'
	expect_stdout_contains '"app": "dash", "principal": "eve@example.com", "resource": "metrics", "action": "read"'
	expect_stdout_lacks '"app": "ledger"'
}

# Members of a group that approvals names decide who may approve: that is policy.
test_approver_group_is_policy()
{
	base_repo r
	on_case r policy.changed+approver-group
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	expect_stdout_contains '{"kind": "policy.changed", "risk": "high", "app": null, "group": "release-managers"'
	expect_stdout_contains '{"kind": "group.member_added", "risk": "medium", "app": null, "principal": "rob@example.com", "group": "release-managers"}'
}

test_no_changes()
{
	base_repo r
	expect_exit 0 "$APPCTL" -C r diff base HEAD
	expect_stdout_contains "no changes between base and HEAD"
	[ ! -s "$ERR" ] || fail "stderr is not empty"
	on_case r none+reformat
	expect_exit 0 "$APPCTL" -C r diff base HEAD
	expect_stdout_contains "no changes"
	expect_exit 0 "$APPCTL" -C r diff --markdown base HEAD
	expect_stdout_contains "No changes"
}

test_fail_on()
{
	base_repo r
	on_case r integration.scope_added
	expect_exit 1 "$APPCTL" -C r diff --fail-on high base HEAD
	expect_stdout_contains "integration.scope_added"
	expect_stderr_contains "--fail-on high"
	expect_exit 1 "$APPCTL" -C r diff --json --fail-on low base HEAD
	on_case r data.retention_changed
	expect_exit 0 "$APPCTL" -C r diff --fail-on high base HEAD
	expect_exit 1 "$APPCTL" -C r diff --fail-on medium base HEAD
	expect_exit 0 "$APPCTL" -C r diff --fail-on low base base
	expect_exit 2 "$APPCTL" -C r diff --fail-on severe base HEAD
	# Keeping a contractor longer, or failing open, is no longer "low".
	on_case r access.expiry_extended
	expect_exit 1 "$APPCTL" -C r diff --fail-on medium base HEAD
	expect_stdout_contains "access.expiry_extended"
	on_case r access.expiry_extended+removed
	expect_exit 1 "$APPCTL" -C r diff --fail-on medium base HEAD
	on_case r integration.failure_open
	expect_exit 0 "$APPCTL" -C r diff --fail-on high base HEAD
	expect_exit 1 "$APPCTL" -C r diff --fail-on medium base HEAD
	expect_stdout_contains "integration.failure_open"
	# A shortened expiry stays below medium.
	on_case r access.expiry_shortened
	expect_exit 0 "$APPCTL" -C r diff --fail-on medium base HEAD
}

# The evaluation day decides whether a temporary membership still counts.
test_at_date()
{
	base_repo r
	on_case r role.member_removed
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	expect_stdout_contains '"kind": "access.revoked", "risk": "low", "app": "portal", "principal": "cy@contractor.example"'
	expect_exit 0 "$APPCTL" -C r diff --json --at 2027-07-01 base HEAD
	expect_stdout_contains '"kind": "role.member_removed"'
	expect_stdout_lacks '"access.revoked"'
	expect_exit 2 "$APPCTL" -C r diff --at 2027-02-30 base HEAD
}

# Environments, releases and plain git revisions all name a side.
test_revisions()
{
	base_repo r
	git -C r branch prod base
	git -C r tag release/prod/1 base
	on_case r app.class_changed
	expect_exit 0 "$APPCTL" -C r diff --json prod HEAD
	expect_stdout_contains '"from": "prod",'
	expect_stdout_contains '"kind": "app.class_changed"'
	expect_exit 0 "$APPCTL" -C r --json diff prod@1 HEAD~0
	expect_stdout_contains '"from": "prod@1",'
	expect_stdout_contains '"kind": "app.class_changed"'
	expect_exit 0 "$APPCTL" -C r diff release/prod/1 prod
	expect_stdout_contains "no changes"
	expect_exit 2 "$APPCTL" -C r diff base no-such-rev
	expect_stderr_contains "no-such-rev"
	expect_exit 2 "$APPCTL" -C r diff base
	expect_exit 2 "$APPCTL" -C r diff --json --markdown base HEAD
}

# An invalid definition on either side is invalid input, named by file and path.
test_invalid_input()
{
	base_repo r
	git -C r checkout -q -f --detach base
	sed -i 's/"class": "dashboard"/"class": "spreadsheet"/' r/apps/dash/app.json
	commit_all r "bad class"
	expect_exit 3 "$APPCTL" -C r diff base HEAD
	expect_stderr_contains "apps/dash/app.json"
	expect_stderr_contains '$.class'
	expect_exit 3 "$APPCTL" -C r diff HEAD base
	git -C r checkout -q -f --detach base
	rm -r r/apps/dash && ln -s ../apps r/apps/dash
	commit_all r "link"
	expect_exit 3 "$APPCTL" -C r diff base HEAD
	expect_stderr_contains "apps/dash"
	expect_exit 4 "$APPCTL" -C "$TEST_ROOT" diff base HEAD
}

run_tests test_every_kind_golden test_all_kinds_covered test_added_kinds_covered \
	test_text_and_markdown_golden test_group_followed_into_apps \
	test_approver_group_is_policy test_no_changes test_fail_on test_at_date \
	test_revisions test_invalid_input
