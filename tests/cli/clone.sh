#!/usr/bin/env bash
# clone.sh: appctl in clones that lack its records (a fresh clone, a CI
# checkout: shallow and single-branch): one exit status (4) and one hint
# (`appctl sync`, or the git fetch refspecs) for every command; sync in a
# shallow clone; `sync --fetch`, which never pushes.
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-11-29
export APPCTL_NOTIFY_BUDGET_S=0

make_keys rita ann sam

# origin_with_history DIR: the keyed example org with a release 1 of
# staging and more work on dev, so a shallow clone cuts real history.
origin_with_history()
{
	keyed_org_repo "$1" "rita ann sam"
	grant_dan "$1"
	approve "$1" rita staging
	approve "$1" ann staging
	expect_exit 0 "$APPCTL" -C "$1" promote staging
	edit_app "$1" billing-admin '.roles.Finance.members += ["dora@example.com"]' \
		"dora joins Finance"
	edit_app "$1" billing-admin '.roles.Finance.members += ["fred@example.com"]' \
		"fred joins Finance"
}

# expect_sync_hint: the last command exited 4 and said to run appctl sync.
expect_sync_hint()
{
	[ "$STATUS" -eq 4 ] || fail "expected exit 4, got $STATUS"
	expect_stderr_contains "run 'appctl sync origin'"
	expect_stderr_contains "git fetch origin '+refs/appctl/*:refs/appctl/*'"
	if grep -q "appctl init" "$ERR"; then fail "hints at init in a clone"; fi
}

test_fresh_clone_says_sync()
{
	local cmd
	origin_with_history o
	git clone -q o c || fail "git clone"
	git -C c config user.email "clone@example.com"
	for cmd in "status" "status prod" "history prod" "access dan@example.com" \
		"approve staging --key $KEYS/ann" "promote staging" "rollback staging" \
		"audit" "audit --verify" "validate prod" "diff staging prod"; do
		# shellcheck disable=SC2086
		run "$APPCTL" -C c $cmd
		expect_sync_hint
	done
	# --json does not change the cause nor its exit status.
	run "$APPCTL" -C c --json status
	expect_sync_hint
	# Without a remote the only way in is init.
	new_repo lonely
	git -C lonely commit -q --allow-empty -m nothing
	expect_exit 4 "$APPCTL" -C lonely status
	expect_stderr_contains "run 'appctl init'"
}

test_synced_log_but_branch_missing()
{
	origin_with_history o
	git clone -q --single-branch o c || fail "git clone"
	git -C c fetch -q origin "+$LOG:$LOG" || fail "fetch log"
	run "$APPCTL" -C c diff staging dev
	expect_sync_hint
	expect_stderr_contains "environment branch 'staging'"
	# Commands that read the log complete the branches it records.
	expect_exit 0 "$APPCTL" -C c status
	expect_equal "$(ref_id o staging)" "$(ref_id c staging)" "staging"
}

test_shallow_clone_sync()
{
	local before
	origin_with_history o
	git clone -q --depth 1 --single-branch "file://$TEST_ROOT/$TEST_NAME/o" c \
		|| fail "git clone --depth 1"
	git -C c config user.email "ci@example.com"
	[ "$(git -C c rev-parse --is-shallow-repository)" = true ] || fail "not shallow"
	run "$APPCTL" -C c status
	expect_sync_hint
	before=$(refs_snapshot o)
	expect_exit 0 "$APPCTL" -C c sync
	expect_equal "$before" "$(refs_snapshot o)" "origin's refs after the sync"
	expect_equal false "$(git -C c rev-parse --is-shallow-repository)" \
		"shallow after sync"
	expect_equal "$(ref_id o staging)" "$(ref_id c staging)" "staging"
	expect_equal "$(ref_id o prod)" "$(ref_id c prod)" "prod"
	expect_equal "$(ref_id o $LOG)" "$(ref_id c $LOG)" "the log"
	expect_exit 0 "$APPCTL" -C c status
	expect_stdout_contains "release 1"
	expect_exit 0 "$APPCTL" -C c history staging
	expect_exit 0 "$APPCTL" -C c diff staging dev
	expect_stdout_contains "fred@example.com"
	expect_exit 0 "$APPCTL" -C c audit --verify
}

test_sync_fetch_never_pushes()
{
	local before
	origin_with_history o
	git clone -q --bare o srv.git || fail "bare clone"
	git -C srv.git fetch -q "$TEST_ROOT/$TEST_NAME/o" "+$LOG:$LOG" \
		'+refs/heads/*:refs/heads/*' || fail "fetch into srv"
	git clone -q srv.git c || fail "git clone"
	git -C c config user.email "clone@example.com"
	expect_exit 0 "$APPCTL" -C c sync --fetch
	expect_equal "$(ref_id srv.git $LOG)" "$(ref_id c $LOG)" "the log after --fetch"
	# A local approval: sync would push it, sync --fetch must not.
	approve c sam staging
	before=$(refs_snapshot srv.git)
	expect_exit 0 "$APPCTL" -C c sync --fetch
	expect_stdout_contains "not pushed"
	expect_equal "$before" "$(refs_snapshot srv.git)" "the remote's refs after --fetch"
	[ "$(ref_id c $LOG)" != "$(ref_id srv.git $LOG)" ] || fail "local event lost"
	# A plain sync then pushes it.
	expect_exit 0 "$APPCTL" -C c sync
	expect_equal "$(ref_id c $LOG)" "$(ref_id srv.git $LOG)" "the log after sync"
}

run_tests \
	test_fresh_clone_says_sync \
	test_synced_log_but_branch_missing \
	test_shallow_clone_sync \
	test_sync_fetch_never_pushes
