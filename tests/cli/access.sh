# access.sh: `appctl access` on the example org: the contractor question, owners, approvers, history.
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-06-01
CONTRACTOR=cy@contractor.example

# commit_at DIR DATE MESSAGE: commits everything with a fixed date, so that
# history times are known.
commit_at()
{
	git -C "$1" add -A || fail "git add"
	GIT_AUTHOR_DATE="$2" GIT_COMMITTER_DATE="$2" \
		git -C "$1" commit -q -m "$3" || fail "git commit"
}

# example_org DIR: examples/org, committed on 2026-01-10 and put under appctl
# (dev, staging and prod at that commit).
example_org()
{
	new_repo "$1"
	cp -R "$APPCTL_SOURCE_DIR/examples/org/." "$1/"
	commit_at "$1" 2026-01-10T12:00:00Z "example org"
	expect_exit 0 "$APPCTL" -C "$1" init
}

test_contractor_now()
{
	example_org r
	expect_exit 0 "$APPCTL" -C r access "$CONTRACTOR"
	expect_stdout_contains "$CONTRACTOR in prod"
	expect_stdout_contains "support-portal"
	expect_stdout_contains "customers: read, update, export"
	expect_stdout_contains "via: Agent"
	expect_stdout_contains "may approve: no"
	expect_stdout_lacks "ssn"
	expect_exit 0 "$APPCTL" -C r access --json "$CONTRACTOR"
	for key in principal env access owns may_approve history; do
		expect_stdout_contains "\"$key\":"
	done
	for key in app resource actions visible_fields via; do
		expect_stdout_contains "\"$key\":"
	done
	expect_stdout_contains '"env":	"prod"'
	expect_stdout_contains '"actions":	["read", "update", "export"]'
	expect_stdout_contains '"visible_fields":	["account_id", "email", "name"]'
	expect_stdout_contains '"may_approve":	false'
}

# Temporary access says when it ends: per via in text, "expires" in JSON;
# access that a lasting membership also gives has no end.
test_contractor_expiry_shown()
{
	example_org r
	expect_exit 0 "$APPCTL" -C r access "$CONTRACTOR"
	expect_stdout_contains "via: Agent (until 2027-06-30)"
	expect_stdout_contains "until: 2027-06-30 (temporary access)"
	expect_exit 0 "$APPCTL" -C r access --json "$CONTRACTOR"
	expect_equal '"2027-06-30"' \
		"$(jq -c '[.access[].expires] | unique | .[]' "$OUT")" "expires"
	expect_equal '["Agent"]' \
		"$(jq -c '.access[0].via' "$OUT")" "via stays the role"
	# The same contractor also made a permanent Lead: customers no longer ends.
	jq '.roles.Lead.members += ["cy@contractor.example"]' \
		r/apps/support-portal/app.json >r/tmp.json
	mv r/tmp.json r/apps/support-portal/app.json
	commit_at r 2026-02-01T12:00:00Z "cy also lead"
	expect_exit 0 "$APPCTL" -C r access --json --env dev "$CONTRACTOR"
	expect_equal null \
		"$(jq -c '.access[] | select(.resource == "customers") | .expires' "$OUT")" \
		"customers through a lasting role"
	expect_exit 0 "$APPCTL" -C r access --env dev "$CONTRACTOR"
	expect_stdout_contains "via: Agent (until 2027-06-30), Lead"
	expect_exit 0 "$APPCTL" -C r access dan@example.com
	expect_stdout_lacks "until"
}

# The last day of a temporary membership still counts; the next one does not.
test_contractor_after_expiry()
{
	example_org r
	expect_exit 0 "$APPCTL" -C r access --json --at 2027-06-30 "$CONTRACTOR"
	expect_stdout_contains '"app":	"support-portal"'
	expect_exit 0 "$APPCTL" -C r access --json --at 2027-07-01 "$CONTRACTOR"
	expect_stdout_contains '"access":	[]'
	expect_exit 0 "$APPCTL" -C r access --at 2027-07-01 "$CONTRACTOR"
	expect_stdout_contains "no access to any app in prod"
}

test_contractor_history()
{
	local head
	example_org r
	# prod follows its releases: release 0 (init) gave the access, and it
	# went the day after the membership's last day, with no release between.
	expect_exit 0 "$APPCTL" -C r access --json --history --at 2027-07-01 "$CONTRACTOR"
	jq -e '.history[0].release == 0 and .history[0].cause == "commit" and
		(.history[0].granted | index("support-portal/customers.email (field)") != null)' \
		"$OUT" >/dev/null || fail "history lacks the grant of release 0"
	jq -e '.history[1].time == "2027-07-01T00:00:00Z" and .history[1].cause == "expiry" and
		(.history[1].revoked | index("support-portal/customers.email (field)") != null)' \
		"$OUT" >/dev/null || fail "history lacks the expiry"
	grep -qF '"support-portal/customers:export"' "$OUT" || fail "history lacks export"

	# dev, where builders commit, follows its commits: the offboarding
	# commit is when the access went.
	sed -i '/cy@contractor.example/d; s/"group:support",/"group:support"/' \
		r/apps/support-portal/app.json
	commit_at r 2026-03-02T09:30:00Z "offboard the contractor"
	head=$(git -C r rev-parse HEAD)
	expect_exit 0 "$APPCTL" -C r access --env dev --history "$CONTRACTOR"
	expect_stdout_contains "no access to any app in dev"
	expect_stdout_contains "2026-01-10T12:00:00Z"
	expect_stdout_contains "2026-03-02T09:30:00Z  ${head:0:7}"
	expect_stdout_contains "revoked: support-portal/customers.email (field), support-portal/customers.name (field), support-portal/customers:export"
	expect_stdout_lacks "temporary membership ended"
	expect_exit 0 "$APPCTL" -C r access --env dev --json --history "$CONTRACTOR"
	expect_stdout_contains "\"release\":	\"$head\""
	# prod never released the offboarding commit: the contractor is still there.
	expect_exit 0 "$APPCTL" -C r access --history "$CONTRACTOR"
	expect_stdout_contains "customers: read, update, export"
	expect_stdout_lacks "revoked:"
}

# Once releases exist, an environment's history is its releases: the
# offboarding shows at the release that shipped it, not at the commit.
test_history_follows_releases()
{
	make_keys rita ann
	keyed_org_repo r "rita ann"
	sed -i '/cy@contractor.example/d; s/"group:support",/"group:support"/' \
		r/apps/support-portal/app.json
	commit_all r "offboard the contractor"
	expect_exit 0 "$APPCTL" -C r approve staging --key "$KEYS/rita"
	expect_exit 0 "$APPCTL" -C r approve staging --key "$KEYS/ann"
	expect_exit 0 "$APPCTL" -C r promote staging
	expect_exit 0 "$APPCTL" -C r access --env staging --json --history "$CONTRACTOR"
	jq -e '[.history[].release] == [0, 1]' "$OUT" >/dev/null || fail "releases 0 and 1"
	jq -e '.history[1].revoked | index("support-portal/customers:export") != null' \
		"$OUT" >/dev/null || fail "release 1 revokes"
	expect_exit 0 "$APPCTL" -C r access --env staging --history "$CONTRACTOR"
	expect_stdout_contains "release 1 ($(git -C r rev-parse --short=7 dev))"
	# prod is still at release 0.
	expect_exit 0 "$APPCTL" -C r access --json --history "$CONTRACTOR"
	jq -e '[.history[].release] == [0]' "$OUT" >/dev/null || fail "prod release 0 only"
}

# Commits from before the repository was put under appctl give nobody access.
test_history_before_appctl()
{
	new_repo r
	echo "app definitions" >r/README
	commit_at r 2025-12-01T10:00:00Z "readme"
	cp -R "$APPCTL_SOURCE_DIR/examples/org/." r/
	commit_at r 2026-01-10T12:00:00Z "example org"
	expect_exit 0 "$APPCTL" -C r init
	# dev follows commits, from before appctl too.
	expect_exit 0 "$APPCTL" -C r access --env dev --json --history "$CONTRACTOR"
	tr -d '\n\t' <"$OUT" >"$TEST_ROOT/flat"
	grep -qF '"history":[{"release":"' "$TEST_ROOT/flat" || fail "no history"
	grep -qF '"time":"2026-01-10T12:00:00Z","cause":"commit","granted":["support-portal/' "$TEST_ROOT/flat" ||
		fail "history does not start at the appctl commit"
	expect_stdout_lacks "2025-12-01"
}

test_group_member_and_owner()
{
	example_org r
	expect_exit 0 "$APPCTL" -C r access dan@example.com
	expect_stdout_contains "via: Viewer (group:support)"
	expect_stdout_contains "ops-dashboard"
	expect_exit 0 "$APPCTL" -C r access --json bo@example.com
	expect_stdout_contains '"owns":	["billing-admin", "billing-admin/stripe", "support-portal", "support-portal/salesforce"]'
	expect_stdout_contains '"visible_fields":	["card_last4", "email", "name", "plan", "tax_id"]'
	expect_exit 0 "$APPCTL" -C r --json access rita@example.com
	expect_stdout_contains '"may_approve":	true'
	expect_stdout_contains '"access":	[]'
}

test_env_and_usage()
{
	example_org r
	sed -i 's/"dan@example.com", "dora@example.com"/"dan@example.com", "dora@example.com", "eve@example.com"/' r/appctl.json
	commit_at r 2026-02-01T08:00:00Z "eve joins support"
	expect_exit 0 "$APPCTL" -C r access eve@example.com
	expect_stdout_contains "no access to any app in prod"
	expect_exit 0 "$APPCTL" -C r access --env dev eve@example.com
	expect_stdout_contains "eve@example.com in dev"
	expect_stdout_contains "via: Agent (group:support)"
	expect_exit 0 "$APPCTL" -C r access --env dev --history eve@example.com
	expect_stdout_contains "2026-02-01T08:00:00Z"
	expect_exit 2 "$APPCTL" -C r access not-a-principal
	expect_stderr_contains "not-a-principal"
	expect_exit 2 "$APPCTL" -C r access --env qa eve@example.com
	expect_exit 2 "$APPCTL" -C r access --at tomorrow eve@example.com
	expect_exit 2 "$APPCTL" -C r access
	git -C r branch qa dev
	expect_exit 2 "$APPCTL" -C r access --env qa eve@example.com
	expect_stderr_contains "not an environment"
}

# history_normalized DIR PRINCIPAL...: each principal's --history in staging
# as of 2027-07-01 (the contractor's membership has ended), with commit ids
# replaced by their place on dev (c0 = the oldest), so that the output does
# not depend on when the test ran.
history_normalized()
{
	local dir=$1 p map
	shift
	map=$(git -C "$dir" rev-list --reverse dev |
		awk '{ printf "s/%s/c%d/g;", $1, NR - 1 }')
	for p in "$@"; do
		APPCTL_NOW=2026-06-20T10:00:00Z expect_exit 0 "$APPCTL" -C "$dir" \
			access --env staging --json --history --at 2027-07-01 "$p"
		jq -c '{principal, history}' "$OUT" | sed "$map"
	done
}

# Many releases, where the same definitions come back (dan joins Finance,
# leaves, joins again...): the history is exactly what it was before apps
# were remembered across releases (tests/access/history_many.json).
test_history_many_releases()
{
	local k
	# The keys other tests made serve here too.
	[ -f "$KEYS/rita" ] || make_keys rita ann
	keyed_org_repo r "rita ann"
	for k in 1 2 3 4 5 6; do
		if [ $((k % 2)) = 1 ]; then
			grant_dan r
		else
			edit_app r billing-admin \
				'.roles.Finance.members -= ["dan@example.com"]' "dan leaves Finance"
		fi
		export APPCTL_NOW="2026-06-0$((k + 1))T10:00:00Z"
		approve r rita staging
		approve r ann staging
		expect_exit 0 "$APPCTL" -C r promote staging
	done
	unset APPCTL_NOW
	history_normalized r dan@example.com "$CONTRACTOR" >"$TEST_ROOT/history.json"
	diff -u "$APPCTL_SOURCE_DIR/tests/access/history_many.json" \
		"$TEST_ROOT/history.json" || fail "the history changed"
}

run_tests test_history_follows_releases test_contractor_now test_contractor_after_expiry \
	test_contractor_expiry_shown \
	test_contractor_history test_history_before_appctl \
	test_group_member_and_owner test_env_and_usage test_history_many_releases
