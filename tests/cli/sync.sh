#!/usr/bin/env bash
# sync.sh: `appctl sync` and the --push of approve and promote (SPEC §3)
# against bare repositories with the server hook, reached as path remotes
# through the system git (so their hook judges every push):
# bootstrapping a server, re-parenting without duplicates (also after a sync
# that died before updating the local log), concurrent syncs that all land,
# a local release that lost to the remote's, and usage errors.
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-11-29
export APPCTL_NOTIFY_BUDGET_S=0

make_keys rita ann sam

org_repo()
{
	keyed_org_repo "$1" "rita ann sam" "${@:2}"
}


# server DIR: a bare repository with the pre-receive hook.
server()
{
	new_bare_repo "$1"
	git -C "$1" symbolic-ref HEAD refs/heads/dev
	expect_exit 0 "$APPCTL" -C "$1" hook install --server
}

# org_on_server: srv.git bootstrapped by `appctl sync` from r, then a
# change to promote pushed on dev.
org_on_server()
{
	org_repo r
	server srv.git
	git -C r remote add origin "$TEST_ROOT/$TEST_NAME/srv.git"
	expect_exit 0 "$APPCTL" -C r sync
	expect_exit 0 git -C r push origin dev
	grant_dan r
	expect_exit 0 git -C r push origin dev
}

clone_org()
{
	git clone -q srv.git "$1" || fail "git clone"
	git -C "$1" config user.name "Clone $1"
	git -C "$1" config user.email "$1@example.com"
	expect_exit 0 "$APPCTL" -C "$1" sync
}

# count_events DIR TYPE: events of TYPE in DIR's log.
count_events()
{
	git -C "$1" rev-list --first-parent "$LOG" | sed 's/$/:event.json/' |
		git -C "$1" cat-file --batch | grep '^{' | jq -r .type |
		grep -cx "$2" || true
}

# event_ids DIR: the ids of the events of DIR's log, sorted.
event_ids()
{
	git -C "$1" rev-list --first-parent "$LOG" | sed 's/$/:event.json/' |
		git -C "$1" cat-file --batch-check='%(objectname)' | sort
}

test_usage()
{
	org_repo r
	expect_exit 2 "$APPCTL" -C r sync nowhere
	expect_stderr_contains "'nowhere' is not a remote"
	expect_exit 2 "$APPCTL" -C r sync a b
	expect_exit 0 "$APPCTL" -C /nonexistent sync --help
	expect_stdout_contains "SYNOPSIS"
	# Neither side has a log.
	new_repo empty
	git -C empty commit -q --allow-empty -m nothing || fail "commit"
	new_bare_repo bare.git
	git -C empty remote add origin "$TEST_ROOT/$TEST_NAME/bare.git"
	expect_exit 3 "$APPCTL" -C empty sync
	expect_stderr_contains "appctl init"
}

# The first sync puts the log, the protected branches and every release 0
# tag on an empty server; the hook accepts exactly that.
test_bootstrap()
{
	org_on_server
	local c0
	c0=$(ref_id r dev~1)
	expect_equal "$(ref_id r "$LOG")" "$(ref_id srv.git "$LOG")" "log"
	expect_equal "$c0" "$(ref_id srv.git staging)" "staging"
	expect_equal "$c0" "$(ref_id srv.git prod)" "prod"
	expect_equal "$c0" "$(ref_id srv.git refs/tags/release/dev/0)" "dev tag"
	expect_equal "$c0" "$(ref_id srv.git refs/tags/release/prod/0)" "prod tag"
	expect_equal "$(ref_id r "$LOG")" "$(ref_id r refs/appctl/remote/origin/log)" \
		"remote-tracking copy of the log"
	expect_exit 0 "$APPCTL" -C r sync --json
	jq -e '.remote == "origin" and (.done | length) == 0' "$OUT" >/dev/null \
		|| fail "sync --json when up to date"
}

# A sync that pushed but died before the local log followed: the next one
# finds its events on the server under other parents and repeats none.
test_no_duplicates()
{
	org_on_server
	clone_org a
	clone_org b
	local before ids
	approve b ann staging
	expect_exit 0 "$APPCTL" -C b sync
	approve a rita staging
	before=$(ref_id a "$LOG")
	expect_exit 0 "$APPCTL" -C a sync
	expect_stdout_contains "re-parented 1 local event"
	# As if the local update had never happened.
	git -C a update-ref "$LOG" "$before"
	expect_exit 0 "$APPCTL" -C a sync
	expect_stdout_lacks "pushed"
	expect_equal 2 "$(count_events srv.git approve)" "approvals on the server"
	expect_equal "$(ref_id srv.git "$LOG")" "$(ref_id a "$LOG")" "a follows the server"
	ids=$(event_ids srv.git)
	expect_equal "$ids" "$(event_ids srv.git | uniq)" "no event twice"
	expect_exit 0 "$APPCTL" -C a audit --verify
}

# Three clones syncing at once: whoever loses a race fetches and retries;
# every approval lands once.
test_concurrent()
{
	org_on_server
	local k
	for k in a b c; do
		clone_org "$k"
	done
	approve a rita staging
	approve b ann staging
	approve c sam staging
	for k in a b c; do
		( "$APPCTL" -C "$k" sync >"$TEST_ROOT/$k.out" 2>"$TEST_ROOT/$k.err"
		  echo $? >"$TEST_ROOT/$k.rc" ) &
	done
	wait
	for k in a b c; do
		[ "$(cat "$TEST_ROOT/$k.rc")" = 0 ] || {
			cat "$TEST_ROOT/$k.err" >&2
			fail "sync in $k exited $(cat "$TEST_ROOT/$k.rc")"
		}
		! grep -q -e 'Sanitizer' -e 'runtime error:' "$TEST_ROOT/$k.err" \
			|| fail "sanitizer report in $k"
	done
	expect_equal 3 "$(count_events srv.git approve)" "approvals on the server"
	expect_equal "$(event_ids srv.git)" "$(event_ids srv.git | uniq)" "no event twice"
}

# Two clones release staging; the second to sync finds the remote released
# it first: nothing of its release is pushed, and it says so (exit 5).
test_lost_release()
{
	org_on_server
	clone_org a
	clone_org b
	approve a rita staging
	approve a ann staging
	expect_exit 0 "$APPCTL" -C a promote staging --push
	expect_stderr_contains "pushed refs/heads/staging"
	expect_equal "$(ref_id a staging)" "$(ref_id srv.git staging)" "a's release pushed"
	approve b rita staging
	approve b ann staging
	expect_exit 0 "$APPCTL" -C b promote staging
	save_refs srv.git
	local log
	log=$(ref_id b "$LOG")
	expect_exit 5 "$APPCTL" -C b sync
	expect_stderr_contains "released 'staging' meanwhile"
	expect_refs_unchanged srv.git
	expect_equal "$log" "$(ref_id b "$LOG")" "b's log untouched"
	# The way out: drop b's release; b's staging then follows the
	# server's. (b's approvals are a's to the byte, the clock being the
	# tests': the same events, recorded once.)
	local promote
	promote=$(git -C b rev-parse "$LOG:event.json")
	expect_stderr_contains "appctl sync --drop ${promote:0:12}"
	expect_exit 0 "$APPCTL" -C b sync --drop "${promote:0:12}"
	expect_stdout_contains "dropped event $promote"
	expect_equal "$(ref_id srv.git "$LOG")" "$(ref_id b "$LOG")" "b follows the server"
	expect_equal "$(ref_id srv.git staging)" "$(ref_id b staging)" "b's staging"
	expect_equal 2 "$(count_events srv.git approve)" "approvals on the server"
	expect_equal 1 "$(count_events srv.git promote)" "promotions on the server"
	expect_exit 0 "$APPCTL" -C b audit --verify
}

# approve --push and promote --push: the step, then a sync; stdout keeps
# the command's own output.
test_push_flags()
{
	org_on_server
	clone_org a
	expect_exit 0 "$APPCTL" -C a approve --key "$KEYS/rita" --push staging
	expect_stderr_contains "pushed $LOG"
	expect_exit 0 "$APPCTL" -C a approve --key "$KEYS/ann" --push --json staging
	jq -e '.type == "approve"' "$OUT" >/dev/null || fail "approve --json --push stdout"
	expect_equal 2 "$(count_events srv.git approve)" "approvals on the server"
	expect_exit 0 "$APPCTL" -C a promote staging --push --json
	jq -e '.done == true and .release == 1' "$OUT" >/dev/null || fail "promote --json --push stdout"
	expect_equal "$(ref_id a staging)" "$(ref_id srv.git staging)" "staging on the server"
	expect_equal "$(ref_id a staging)" "$(ref_id srv.git refs/tags/release/staging/1)" \
		"release tag on the server"
}

run_tests test_usage test_bootstrap test_no_duplicates test_concurrent \
	test_lost_release test_push_flags
