#!/usr/bin/env bash
# promote.sh: `appctl promote`, `rollback`, `history` and `audit` on real
# repositories with real SSH keys (SPEC §3): the dev -> staging -> prod ->
# rollback lifecycle, rollbacks that re-grant access, break-glass and its
# review, freeze windows, parallel promotes, a crash at every step of the
# release, and `audit --verify` catching tampering done with git plumbing.
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-11-29
# The example org notifies a receiver that does not exist: keep the
# deliveries in the outbox (notify.sh tests them) instead of trying.
export APPCTL_NOTIFY_BUDGET_S=0

make_keys rita ann sam otto

# org_repo DIR [JQ-FILTER]: rita, ann: release managers; sam: security;
# otto: ops (the break-glass group).
org_repo()
{
	keyed_org_repo "$1" "rita ann sam otto" "${@:2}"
}


# log_types DIR: the type of every event, oldest first.
log_types()
{
	git -C "$1" rev-list --reverse --first-parent "$LOG" | sed 's/$/:event.json/' |
		git -C "$1" cat-file --batch | grep '^{' | jq -r .type
}

# count_events DIR TYPE
count_events()
{
	log_types "$1" | grep -cx "$2" || true
}

# expect_released DIR ENV N COMMIT: branch, tag and state agree on release N.
expect_released()
{
	expect_equal "$4" "$(ref_id "$1" "refs/heads/$2")" "$2 branch"
	expect_equal "$4" "$(ref_id "$1" "refs/tags/release/$2/$3")" "release/$2/$3 tag"
	expect_equal "" "$(ref_id "$1" "refs/tags/release/$2/$(($3 + 1))")" \
		"no release/$2/$(($3 + 1)) tag"
	expect_equal "$3" "$(git -C "$1" show "$LOG:state.json" |
		jq --arg e "$2" '.envs[$e].release')" "$2 release in state"
}

test_lifecycle()
{
	org_repo r
	local c0 c1
	c0=$(ref_id r dev)
	grant_dan r
	c1=$(ref_id r dev)

	# Nothing approved yet: refused, saying exactly what is missing.
	save_refs r
	expect_exit 1 "$APPCTL" -C r promote staging
	expect_stdout_contains "needs 2 more approvers"
	expect_stderr_contains "promote staging: not allowed"
	expect_refs_unchanged r

	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging --dry-run
	expect_stdout_contains "dry run: would promote staging"
	expect_equal 0 "$(count_events r promote)" "promotes after a dry run"
	expect_exit 0 "$APPCTL" -C r promote staging -m "dan needs invoices" --json
	expect_equal 1 "$(jq .release "$OUT")" "release"
	expect_equal "$c1" "$(jq -r .commit "$OUT")" "commit"
	expect_equal 2 "$(jq '.approvals | length' "$OUT")" "approvals used"
	expect_released r staging 1 "$c1"
	git -C r show "$LOG:event.json" | jq -e --arg f "$c0" --arg t "$c1" \
		'.type == "promote" and .env == "staging" and .source == "dev" and
		 .from == $f and .to == $t and .release == 1 and
		 (.approvals | length) == 2 and .break_glass == false and
		 .comment == "dan needs invoices"' >/dev/null || fail "promote event"

	# The same again: nothing to promote, no new release.
	expect_exit 0 "$APPCTL" -C r promote staging
	expect_stdout_contains "nothing to promote"
	expect_equal 1 "$(count_events r promote)" "promotes"

	# staging -> prod, the promoter signing the event with their key.
	approve r rita prod
	approve r ann prod
	expect_exit 0 "$APPCTL" -C r promote prod --key "$KEYS/rita"
	expect_released r prod 1 "$c1"
	git -C r cat-file -e "$LOG:event.json.sig" || fail "promote not signed"
	git -C r show "$LOG:event.json" | jq -e '.principal == "rita@example.com" and .verified' \
		>/dev/null || fail "signed promoter"

	expect_exit 0 "$APPCTL" -C r history prod --json
	expect_equal prod "$(jq -r .env "$OUT")" "history env"
	expect_equal "1,0" "$(jq -r '[.releases[].release] | join(",")' "$OUT")" "releases"
	expect_equal "promote,init" "$(jq -r '[.releases[].kind] | join(",")' "$OUT")" "kinds"
	expect_equal "ann@example.com,rita@example.com" \
		"$(jq -r '.releases[0].approvers | sort | join(",")' "$OUT")" "approvers"
	expect_equal rita@example.com "$(jq -r '.releases[0].promoter' "$OUT")" "promoter"
	jq -e '.releases[0] | (.summary.high > 0) and has("time") and .commit != null' \
		"$OUT" >/dev/null || fail "release summary"

	# Roll prod back: dan loses access again, which widens nothing, so
	# rollback.required (0) approvals suffice.
	expect_exit 0 "$APPCTL" -C r rollback prod -m "dan should not"
	expect_stdout_contains "access.revoked"
	expect_stdout_contains "widens nothing"
	expect_released r prod 2 "$c0"
	expect_exit 0 "$APPCTL" -C r history prod
	expect_stdout_contains "release 2"
	expect_stdout_contains "rollback (to release 0)"
	expect_exit 0 "$APPCTL" -C r history prod --json --limit 1
	expect_equal 1 "$(jq '.releases | length' "$OUT")" "--limit 1"
	expect_equal "rollback" "$(jq -r '.releases[0].kind' "$OUT")" "rollback kind"
	expect_equal 0 "$(jq -r '.releases[0].rollback_to' "$OUT")" "rollback_to"
	# Nothing left to roll back to that differs.
	expect_exit 0 "$APPCTL" -C r rollback prod --to 0
	expect_stdout_contains "nothing to roll back"

	expect_exit 0 "$APPCTL" -C r audit --json
	expect_equal "init,approve,approve,promote,approve,approve,promote,rollback" \
		"$(jq -r '[.events[].type] | join(",")' "$OUT")" "audit order"
	jq -e '.events | all(has("id") and has("type") and has("env") and has("time") and has("principal"))' \
		"$OUT" >/dev/null || fail "audit keys"
	expect_exit 0 "$APPCTL" -C r audit --since 2999-01-01 --json
	expect_equal 0 "$(jq '.events | length' "$OUT")" "--since in the future"
	expect_exit 0 "$APPCTL" -C r audit --verify
	expect_stdout_contains "8 events verified"

	# Usage errors change nothing.
	edit_app r ops-dashboard '.roles.Viewer.members += ["eve@example.com"]' "later"
	save_refs r
	expect_exit 2 "$APPCTL" -C r promote dev
	expect_stderr_contains "first environment"
	expect_exit 2 "$APPCTL" -C r promote nowhere
	expect_exit 2 "$APPCTL" -C r promote
	expect_exit 2 "$APPCTL" -C r promote prod "$(ref_id r dev)"
	expect_stderr_contains "is not in 'staging'"
	expect_exit 2 "$APPCTL" -C r promote prod --break-glass
	expect_stderr_contains "-m REASON"
	expect_exit 2 "$APPCTL" -C r rollback prod --to 7
	expect_exit 2 "$APPCTL" -C r rollback prod --to x
	expect_exit 2 "$APPCTL" -C r history
	expect_exit 2 "$APPCTL" -C r audit --since yesterday
	expect_exit 0 "$APPCTL" -C r promote --help
	expect_stdout_contains "SYNOPSIS"
	expect_refs_unchanged r

	# Definitions that fail lint never reach staging, approved or not.
	edit_app r ops-dashboard '.integrations.datadog.credential.dev = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"' \
		"a literal secret"
	approve r rita staging
	approve r ann staging
	save_refs r
	expect_exit 1 "$APPCTL" -C r promote staging
	expect_stdout_contains "[secret.literal]"
	expect_stderr_contains "lint error"
	expect_refs_unchanged r
}

# A rollback that re-grants access a later release revoked is a widening
# change: it needs the normal approvals, not rollback.required.
test_rollback_regrant()
{
	org_repo r
	local c0 c1
	c0=$(ref_id r dev)
	edit_app r billing-admin '.roles.Finance.members = []' "finance loses billing"
	c1=$(ref_id r dev)
	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging
	expect_released r staging 1 "$c1"

	save_refs r
	expect_exit 1 "$APPCTL" -C r rollback staging
	expect_stdout_contains "access.granted"
	expect_stdout_contains "fay@example.com"
	expect_stdout_contains "widens access"
	expect_stdout_contains "needs 2 more approvers"
	expect_stderr_contains "rollback staging: not allowed"
	expect_refs_unchanged r

	# Approvals name the rollback's target commit on the current base.
	approve r rita staging "$c0"
	approve r ann staging "$c0"
	expect_exit 0 "$APPCTL" -C r rollback staging --to 0 --json
	expect_equal 2 "$(jq .release "$OUT")" "rollback release"
	expect_equal 0 "$(jq .rollback_to "$OUT")" "rollback_to"
	expect_released r staging 2 "$c0"
	expect_exit 0 "$APPCTL" -C r history staging --json
	expect_equal "rollback" "$(jq -r '.releases[0].kind' "$OUT")" "kind"
	expect_equal 2 "$(jq '.releases[0].approvers | length' "$OUT")" "rollback approvers"
	jq -e '.releases[0].summary.high > 0' "$OUT" >/dev/null || fail "rollback risk"
	expect_exit 0 "$APPCTL" -C r audit --verify
}

BREAK_GLASS='.break_glass = {"group": "ops", "count": 1} | .groups.ops = ["otto@example.com"]'

# Break-glass: one approval from the ops group instead of the normal two,
# flagged unreviewed until the normal approvals of that move are recorded.
test_break_glass()
{
	org_repo r "$BREAK_GLASS"
	local c0 c1
	c0=$(ref_id r dev)
	grant_dan r
	c1=$(ref_id r dev)
	save_refs r
	# Without any ops approval, break-glass is refused too.
	expect_exit 1 "$APPCTL" -C r promote staging --break-glass -m "outage"
	expect_stdout_contains "break-glass needs 1 more approval from group:ops"
	expect_refs_unchanged r
	approve r otto staging
	expect_exit 1 "$APPCTL" -C r promote staging
	expect_exit 0 "$APPCTL" -C r promote staging --break-glass -m "outage #12"
	expect_stdout_contains "BREAK-GLASS"
	expect_released r staging 1 "$c1"
	git -C r show "$LOG:event.json" | jq -e '.break_glass and .comment == "outage #12"' \
		>/dev/null || fail "break-glass not recorded"

	expect_exit 0 "$APPCTL" -C r history staging --json
	expect_equal break-glass "$(jq -r '.releases[0].kind' "$OUT")" "kind"
	expect_equal false "$(jq -r '.releases[0].reviewed' "$OUT")" "reviewed before"
	expect_equal otto@example.com "$(jq -r '.releases[0].approvers[0]' "$OUT")" "approver"
	expect_exit 0 "$APPCTL" -C r history staging
	expect_stdout_contains "break-glass (UNREVIEWED)"
	expect_exit 0 "$APPCTL" -C r audit
	expect_stdout_contains "BREAK-GLASS (UNREVIEWED)"
	expect_exit 0 "$APPCTL" -C r audit --verify
	expect_exit 0 "$APPCTL" -C r status staging --json
	expect_equal true "$(jq -r '.environments[0].unreviewed' "$OUT")" "status unreviewed"
	expect_exit 0 "$APPCTL" -C r status staging
	expect_stdout_contains "BREAK-GLASS (UNREVIEWED)"

	# The review: the normal approvals of c1 on the base before it, which
	# is what approving the commit the environment already holds records.
	approve r rita staging
	expect_stderr_contains "reviewing break-glass release of staging"
	expect_equal "$c0" "$(git -C r show "$LOG:event.json" | jq -r .base)" "review base"
	expect_exit 0 "$APPCTL" -C r history staging --json
	expect_equal false "$(jq -r '.releases[0].reviewed' "$OUT")" "reviewed by one of two"
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r history staging --json
	expect_equal true "$(jq -r '.releases[0].reviewed' "$OUT")" "reviewed by two"
	expect_exit 0 "$APPCTL" -C r status staging --json
	expect_equal false "$(jq -r '.environments[0].unreviewed' "$OUT")" "status reviewed"
	expect_equal true "$(jq -r '.environments[0].break_glass' "$OUT")" "status break-glass"
	expect_exit 0 "$APPCTL" -C r audit --json
	expect_equal true "$(jq -r '[.events[] | select(.type == "promote")][0].reviewed' "$OUT")" \
		"audit reviewed"
	expect_exit 0 "$APPCTL" -C r audit --verify
}

FREEZE='.break_glass = {"group": "ops", "count": 0} | .groups.ops = ["otto@example.com"]
	| .freeze = [{"envs": ["prod"], "from": "2000-01-01", "to": "2001-01-01", "reason": "long ago"},
	             {"envs": ["staging"], "from": "2000-01-01T00:00:00Z", "to": "2999-12-31",
	              "reason": "year-end close"}]'

test_freeze()
{
	org_repo r "$FREEZE"
	local c1
	grant_dan r
	c1=$(ref_id r dev)
	approve r rita staging
	approve r ann staging
	save_refs r
	expect_exit 1 "$APPCTL" -C r promote staging
	expect_stderr_contains "year-end close"
	expect_stderr_contains "freeze window 1"
	expect_refs_unchanged r
	# Break-glass with count 0: the promoter alone, proven by a key of the group.
	expect_exit 1 "$APPCTL" -C r promote staging --break-glass -m "hotfix" --key "$KEYS/rita"
	expect_stdout_contains "break-glass needs the promoter (rita@example.com) to be in group:ops"
	expect_refs_unchanged r
	expect_exit 0 "$APPCTL" -C r promote staging --break-glass -m "hotfix" --key "$KEYS/otto"
	expect_released r staging 1 "$c1"
	git -C r show "$LOG:event.json" | jq -e '.break_glass and .principal == "otto@example.com"' \
		>/dev/null || fail "break-glass promoter"
	# A rollback into the frozen environment is refused as well.
	expect_exit 1 "$APPCTL" -C r rollback staging
	expect_stderr_contains "frozen"
	# prod's window is over: promoting into it is not frozen.
	approve r rita prod
	approve r ann prod
	expect_exit 0 "$APPCTL" -C r promote prod
	expect_released r prod 1 "$c1"
	expect_exit 0 "$APPCTL" -C r audit --verify
}

# Six promotes of six different commits at once: exactly one release; each
# loser exits 5 (lost the race) or 1 (its approvals went stale) and changed
# nothing.
test_parallel_promotes()
{
	org_repo r
	local k c
	local -a commits=()
	for k in 1 2 3 4 5 6; do
		edit_app r billing-admin ".roles.Finance.members += [\"p$k@example.com\"]" "p$k"
		commits+=("$(ref_id r dev)")
	done
	for c in "${commits[@]}"; do
		approve r rita staging "$c"
		approve r ann staging "$c"
	done
	local before
	before=$(ref_id r staging)
	for k in 0 1 2 3 4 5; do
		( "$APPCTL" -C r promote staging "${commits[$k]}" >"$TEST_ROOT/p$k.out" \
			2>"$TEST_ROOT/p$k.err"; echo $? >"$TEST_ROOT/p$k.rc" ) &
	done
	wait
	local wins=0 winner=""
	for k in 0 1 2 3 4 5; do
		case $(cat "$TEST_ROOT/p$k.rc") in
		0) wins=$((wins + 1)); winner=${commits[$k]} ;;
		1 | 5) ;;
		*) cat "$TEST_ROOT/p$k.err" >&2; fail "promote $k exited $(cat "$TEST_ROOT/p$k.rc")" ;;
		esac
		! grep -q -e 'Sanitizer' -e 'runtime error:' "$TEST_ROOT/p$k.err" \
			|| fail "sanitizer report in promote $k"
	done
	expect_equal 1 "$wins" "winners"
	[ -n "${PROMOTE_TEST_VERBOSE:-}" ] && cat "$TEST_ROOT"/p?.rc "$TEST_ROOT"/p?.err >&2
	expect_equal 1 "$(count_events r promote)" "promote events"
	[ "$before" != "$winner" ] || fail "winner"
	expect_released r staging 1 "$winner"
	expect_exit 0 "$APPCTL" -C r audit --verify
}

# A prepared repository: staging ready to be promoted to dev's head.
fault_base()
{
	org_repo base
	grant_dan base
	approve base rita staging
	approve base ann staging
}

# For each step the release can die at: afterwards any command leaves the
# release either complete or without a trace, never in between.
test_faults()
{
	fault_base
	local step c0 c1
	c0=$(ref_id base staging)
	c1=$(ref_id base dev)
	for step in before-append after-append after-branch after-tag after-append:abort; do
		rm -rf r
		cp -r base r
		# (The braces keep bash's "Aborted" job notice out of the log.)
		{ run env APPCTL_FAULT=$step "$APPCTL" -C r promote staging; } 2>/dev/null
		case $step in
		*:abort) [ "$STATUS" -eq 134 ] || fail "$step: exit $STATUS" ;;
		*) [ "$STATUS" -eq 137 ] || fail "$step: exit $STATUS" ;;
		esac
		expect_stderr_contains "fault injected at ${step%:abort}"
		expect_exit 0 "$APPCTL" -C r history staging
		if [ "$step" = before-append ]; then
			expect_equal 0 "$(count_events r promote)" "$step: promote events"
			expect_equal "$c0" "$(ref_id r staging)" "$step: branch"
			expect_equal "" "$(ref_id r refs/tags/release/staging/1)" "$step: tag"
		else
			expect_equal 1 "$(count_events r promote)" "$step: promote events"
			expect_released r staging 1 "$c1"
			expect_stdout_contains "release 1"
		fi
		case $step in
		after-append* | after-branch)
			expect_stderr_contains "completed an interrupted step" ;;
		esac
		expect_exit 0 "$APPCTL" -C r audit --verify
	done
	# The interrupted promote can simply be run again.
	rm -rf r
	cp -r base r
	run env APPCTL_FAULT=before-append "$APPCTL" -C r promote staging
	expect_exit 0 "$APPCTL" -C r promote staging
	expect_released r staging 1 "$c1"
}

# A repository with a history worth tampering with: staging and prod at
# release 1, each with two approvals.
tamper_base()
{
	org_repo base
	grant_dan base
	approve base rita staging
	approve base ann staging
	expect_exit 0 "$APPCTL" -C base promote staging
	approve base rita prod
	approve base ann prod
	expect_exit 0 "$APPCTL" -C base promote prod
	expect_exit 0 "$APPCTL" -C base audit --verify
}

# rewrite_log DIR N MODE: rewrites the log's N-th event (1 = init) with
# plumbing: MODE "alter" changes its event.json (a comment added, the
# signature kept), "drop" removes it; every later commit is re-parented.
rewrite_log()
{
	local dir=$1 n=$2 mode=$3 i=0 parent="" c tree ev
	for c in $(git -C "$dir" rev-list --reverse --first-parent "$LOG"); do
		i=$((i + 1))
		tree=$(git -C "$dir" rev-parse "$c^{tree}")
		if [ "$i" -eq "$n" ]; then
			[ "$mode" = drop ] && continue
			ev=$(git -C "$dir" show "$c:event.json" | jq -cS '.comment = "lgtm"' |
				tr -d '\n' | git -C "$dir" hash-object -w --stdin)
			tree=$(git -C "$dir" ls-tree "$c" | sed "s/[0-9a-f]\{40\}\tevent.json\$/$ev\tevent.json/" |
				git -C "$dir" mktree)
		fi
		c=$(git -C "$dir" commit-tree "$tree" ${parent:+-p "$parent"} -m rewritten) \
			|| fail "commit-tree"
		parent=$c
	done
	git -C "$dir" update-ref "$LOG" "$parent" || fail "update-ref"
}

test_audit_tamper()
{
	tamper_base
	local id

	# An altered approval (rita's approval of staging, event 2).
	rm -rf r && cp -r base r
	rewrite_log r 2 alter
	id=$(git -C r rev-parse "$(git -C r rev-list --reverse --first-parent "$LOG" | sed -n 2p):event.json")
	expect_exit 1 "$APPCTL" -C r audit --verify
	expect_stderr_contains "verification failed at event $id"
	expect_stderr_contains "approve staging"
	expect_stderr_contains "signature does not verify"

	# An event removed from the middle (ann's approval of prod, event 6).
	rm -rf r && cp -r base r
	rewrite_log r 6 drop
	expect_exit 1 "$APPCTL" -C r audit --verify
	expect_stderr_contains "verification failed at event"
	expect_stderr_contains "state.json differs"

	# A release tag moved to another commit.
	rm -rf r && cp -r base r
	git -C r update-ref refs/tags/release/prod/0 "$(ref_id r dev)"
	expect_exit 1 "$APPCTL" -C r audit --verify
	expect_stderr_contains "'refs/tags/release/prod/0' points at"
	# A rollback refuses to follow it.
	save_refs r
	expect_exit 1 "$APPCTL" -C r rollback prod
	expect_stderr_contains "'refs/tags/release/prod/0' points at"
	expect_refs_unchanged r

	# An environment branch moved by hand.
	rm -rf r && cp -r base r
	edit_app r ops-dashboard '.roles.Viewer.members += ["eve@example.com"]' "sneak"
	git -C r update-ref refs/heads/prod "$(ref_id r dev)"
	expect_exit 1 "$APPCTL" -C r audit --verify
	expect_stderr_contains "'refs/heads/prod' is at"
	expect_stderr_contains "moved outside appctl"
	# Nothing is promoted onto a branch nobody can explain.
	save_refs r
	expect_exit 3 "$APPCTL" -C r rollback prod
	expect_refs_unchanged r

	# The untouched copy still verifies.
	expect_exit 0 "$APPCTL" -C base audit --verify
}

run_tests test_lifecycle test_rollback_regrant test_break_glass test_freeze \
	test_parallel_promotes test_faults test_audit_tamper
