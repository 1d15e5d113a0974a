#!/usr/bin/env bash
# hook.sh: `appctl hook` on a real server (SPEC §4): a bare repository with
# the pre-receive hook installed, served by `git daemon --enable=receive-pack`
# on 127.0.0.1, and plain `git push` from clones. Protected environments move
# only as the event log records; the log only grows, by valid events; release
# tags never move; a policy-lowering change is judged by the old policy; a
# push of 900 refs is read in full; approvals given in two clones and synced
# reach the server exactly once and back a promotion from a third.
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-11-29
# The example org notifies a receiver that does not exist; keep the
# deliveries in the outbox instead of trying.
export APPCTL_NOTIFY_BUDGET_S=0
SRV="$TEST_ROOT/srv"

make_keys rita ann sam

org_repo()
{
	keyed_org_repo "$1" "rita ann sam" "${@:2}"
}

# ---- the daemon: one for the whole script, a repository per test ----

trap stop_daemons EXIT
start_daemon

# server NAME: a bare repository with the hook, served as git://.../NAME.git.
server()
{
	new_bare_repo "$SRV/$1.git"
	git -C "$SRV/$1.git" symbolic-ref HEAD refs/heads/dev
	expect_exit 0 "$APPCTL" -C "$SRV/$1.git" hook install --server
	URL="git://127.0.0.1:$PORT/$1.git"
}


# bootstrap DIR NAME: a server NAME, and the first push of the org in DIR.
bootstrap()
{
	server "$2"
	git -C "$1" remote add origin "$URL"
	expect_exit 0 git -C "$1" push --atomic origin "$LOG" \
		'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'
}

# clone_org DIR: a clone of the server that `appctl sync` completed.
clone_org()
{
	git clone -q "$URL" "$1" || fail "git clone $URL"
	git -C "$1" config user.name "Clone $1"
	git -C "$1" config user.email "$1@example.com"
	expect_exit 0 "$APPCTL" -C "$1" sync
}

# push DIR ARGS...: git push, expected to be accepted.
push_ok()
{
	local dir=$1
	shift
	expect_exit 0 git -C "$dir" push "$@"
}

# push_refused DIR REF ARGS...: git push that the hook refuses, naming REF.
push_refused()
{
	local dir=$1 ref=$2
	shift 2
	save_refs "$SRV/$NAME.git"
	expect_exit 1 git -C "$dir" push "$@"
	expect_stderr_contains "appctl: $ref: "
	expect_stderr_contains "pre-receive hook declined"
	expect_refs_unchanged "$SRV/$NAME.git"
}

# srv_id REF: what the server holds.
srv_id()
{
	ref_id "$SRV/$NAME.git" "$1"
}

# count_srv_events TYPE: events of TYPE in the server's log.
count_srv_events()
{
	git -C "$SRV/$NAME.git" rev-list --first-parent "$LOG" | sed 's/$/:event.json/' |
		git -C "$SRV/$NAME.git" cat-file --batch | grep '^{' | jq -r .type |
		grep -cx "$1" || true
}

# ---- tests ----

test_install()
{
	local shim
	new_bare_repo srv.git
	printf '#!/bin/sh\nexit 0\n' >srv.git/hooks/pre-receive
	chmod +x srv.git/hooks/pre-receive
	# Someone else's hook is never overwritten silently.
	expect_exit 1 "$APPCTL" -C srv.git hook install --server
	expect_stderr_contains "is not appctl's"
	expect_stderr_contains "--force"
	grep -q 'exit 0' srv.git/hooks/pre-receive || fail "foreign hook changed"
	expect_exit 0 "$APPCTL" -C srv.git hook install --server --force
	expect_stdout_contains "kept as"
	grep -q 'exit 0' srv.git/hooks/pre-receive.before-appctl || fail "backup"
	[ -x srv.git/hooks/pre-receive ] || fail "hook not executable"
	# The installed shim is hooks/pre-receive with this appctl recorded in it.
	shim=$(grep -v '^APPCTL=' srv.git/hooks/pre-receive)
	expect_equal "$(grep -v '^APPCTL=' "$APPCTL_SOURCE_DIR/hooks/pre-receive")" \
		"$shim" "installed shim"
	grep -qF "APPCTL='$(readlink -f "$APPCTL")'" srv.git/hooks/pre-receive \
		|| fail "the shim does not record appctl's path"
	# Installing again replaces appctl's own shim without --force.
	expect_exit 0 "$APPCTL" -C srv.git hook install
	expect_stdout_contains "installed"
	expect_exit 0 "$APPCTL" -C srv.git hook install update
	[ -x srv.git/hooks/update ] || fail "update hook"
	expect_exit 0 "$APPCTL" -C srv.git hook uninstall
	expect_stdout_contains "removed"
	[ ! -e srv.git/hooks/pre-receive ] && [ ! -e srv.git/hooks/update ] \
		|| fail "uninstall left a shim"
	expect_exit 0 "$APPCTL" -C srv.git hook uninstall
	expect_stdout_contains "no appctl hook"
	# A clone gets pre-push.
	new_repo c
	expect_exit 0 "$APPCTL" -C c hook install
	[ -x c/.git/hooks/pre-push ] || fail "pre-push not installed"
	expect_exit 2 "$APPCTL" -C c hook install nonsense
	expect_exit 2 "$APPCTL" hook
	expect_exit 2 "$APPCTL" hook update refs/heads/x
	expect_exit 0 "$APPCTL" hook --help
	expect_stdout_contains "SYNOPSIS"
	# Garbage on stdin is invalid input, never a crash.
	printf 'not a ref update\n' >in.txt
	run "$APPCTL" hook pre-receive <in.txt
	expect_equal 3 "$STATUS" "exit on malformed input"
}

# The first push is trusted only for what the init event names.
test_bootstrap()
{
	NAME=boot
	org_repo r
	server "$NAME"
	git -C r remote add origin "$URL"
	# Before any log, the server is not under appctl: dev goes freely.
	push_ok r origin dev
	grant_dan r
	# A log whose init names the org's first commit, with staging elsewhere.
	push_refused r refs/heads/staging --atomic origin "$LOG" dev:staging
	expect_stderr_contains "may only"
	expect_exit 0 git -C r push --atomic origin "$LOG" staging prod \
		'refs/tags/*:refs/tags/*'
	expect_equal "$(ref_id r "$LOG")" "$(srv_id "$LOG")" "log on the server"
	expect_equal "$(ref_id r staging)" "$(srv_id staging)" "staging on the server"
	# dev, the first environment, moves with every commit.
	push_ok r origin dev
	# A second, unrelated log cannot replace it. (Its org differs: made in
	# the same second, an identical org would give the identical log.)
	org_repo other '.groups.support += ["zed@example.com"]'
	git -C other remote add origin "$URL"
	push_refused other "$LOG" -f origin "$LOG"
	expect_stderr_contains "not a fast-forward"
}

test_protected()
{
	NAME=protected
	local c0 c1 tag1
	org_repo r
	bootstrap r "$NAME"
	clone_org c
	c0=$(ref_id c dev)
	grant_dan c
	c1=$(ref_id c dev)
	push_ok c origin dev

	# Publishing dev straight into prod: refused, and the message says why.
	push_refused c refs/heads/prod origin dev:prod
	expect_stderr_contains "'prod' is a protected environment"
	expect_stderr_contains "promote or rollback event"
	# A force push to staging is no better.
	push_refused c refs/heads/staging -f origin dev:staging
	# Creating a tag that looks like a release: refused.
	push_refused c refs/tags/release/staging/1 origin "dev:refs/tags/release/staging/1"

	# The real thing: approvals, promote, one atomic push.
	approve c rita staging
	approve c ann staging
	expect_exit 0 "$APPCTL" -C c promote staging
	push_ok c --atomic origin "$LOG" staging refs/tags/release/staging/1
	expect_equal "$c1" "$(srv_id staging)" "staging released on the server"
	expect_equal "$c1" "$(srv_id refs/tags/release/staging/1)" "release tag"
	expect_equal 1 "$(count_srv_events promote)" "promote events"

	# The log is append-only: no rewind, no deletion.
	push_refused c "$LOG" -f origin "$LOG~1:$LOG"
	expect_stderr_contains "not a fast-forward"
	push_refused c "$LOG" origin ":$LOG"
	expect_stderr_contains "cannot be deleted"
	# Release tags are immutable.
	push_refused c refs/tags/release/staging/1 -f origin "$c0:refs/tags/release/staging/1"
	expect_stderr_contains "immutable"
	push_refused c refs/tags/release/staging/1 origin ":refs/tags/release/staging/1"
	# Deleting a protected branch.
	push_refused c refs/heads/staging origin :staging
	expect_stderr_contains "cannot be deleted"

	# A forged approval: rita's name, no signature, appended with plumbing.
	local tree json
	tree=$(git -C c rev-parse "$c1^{tree}")
	json=$(jq -cnS --arg c "$c1" --arg b "$c0" --arg t "$tree" \
		'{appctl_event: 1, type: "approve", env: "prod", commit: $c, tree: $t,
		  base: $b, principal: "rita@example.com", time: "2026-11-29T12:00:00Z",
		  verified: true}')
	append_event c "$json"
	push_refused c "$LOG" origin "$LOG"
	expect_stderr_contains "signature does not verify"
	expect_equal 1 "$(count_srv_events promote)" "nothing more on the server"

	# The client's advisory hook refuses the same before sending anything.
	git -C c update-ref "$LOG" "$LOG~1"
	expect_exit 0 "$APPCTL" -C c hook install
	expect_exit 1 git -C c push origin dev:prod
	expect_stderr_contains "appctl: refs/heads/prod: 'prod' is a protected environment"
	if grep -q '^remote: appctl:' "$ERR"; then
		fail "the server was asked; the pre-push hook should have refused first"
	fi
	# ...and lets a valid push through.
	approve c rita prod
	approve c ann prod
	expect_exit 0 "$APPCTL" -C c promote prod
	push_ok c --atomic origin "$LOG" prod refs/tags/release/prod/1
	expect_equal "$c1" "$(srv_id prod)" "prod released on the server"
}

# A change that lowers the approvals appctl.json asks for is judged by the
# policy already in staging: its own promotion cannot lower its own bar.
test_policy_lowering()
{
	NAME=lowering
	local c0 c1 from json approval
	org_repo r
	bootstrap r "$NAME"
	clone_org c
	c0=$(ref_id c staging)
	jq '.approvals.required = {"dashboard": 1, "admin_panel": 1, "client_portal": 1}
	    | .approvals.rules = []' c/appctl.json >c/tmp.json
	mv c/tmp.json c/appctl.json
	commit_all c "one approval is enough"
	c1=$(ref_id c dev)
	push_ok c origin dev
	approve c rita staging
	approval=$(git -C c show "$LOG:event.json" | git -C c hash-object --stdin)
	# appctl itself refuses: staging's policy wants two release managers.
	expect_exit 1 "$APPCTL" -C c promote staging
	# The promotion written by hand, as the new policy would allow it.
	json=$(jq -cnS --arg f "$c0" --arg t "$c1" --arg a "$approval" \
		'{appctl_event: 1, type: "promote", env: "staging", source: "dev",
		  from: $f, to: $t, release: 1, approvals: [$a], break_glass: false,
		  principal: "mallory@example.com", time: "2026-11-29T12:00:00Z",
		  verified: false}')
	append_event c "$json" "" \
		".envs.staging = {commit: \"$c1\", event: \$id, previous: \"$c0\", release: 1}"
	git -C c update-ref refs/heads/staging "$c1"
	git -C c update-ref refs/tags/release/staging/1 "$c1"
	push_refused c "$LOG" --atomic origin "$LOG" staging refs/tags/release/staging/1
	expect_stderr_contains "do not satisfy the policy of its base ${c0:0:12}"
	expect_stderr_contains "appctl: refs/heads/staging:"
	expect_equal "$c0" "$(srv_id staging)" "staging unchanged"

	# With what the old policy asks (two release managers), it goes through.
	git -C c update-ref "$LOG" "$LOG~1"
	git -C c update-ref refs/heads/staging "$c0"
	git -C c update-ref -d refs/tags/release/staging/1
	approve c ann staging
	expect_exit 0 "$APPCTL" -C c promote staging
	push_ok c --atomic origin "$LOG" staging refs/tags/release/staging/1
	expect_equal "$c1" "$(srv_id staging)" "staging released"
}

# 900 refs in one push: the hook reads all of stdin before answering, so
# git never sees a broken pipe, and only the bad ref is named.
test_many_refs()
{
	NAME=many
	local c i
	org_repo r
	bootstrap r "$NAME"
	c=$(ref_id r dev)
	for i in $(seq 1 900); do
		echo "create refs/heads/feature-$i $c"
	done | git -C r update-ref --stdin || fail "900 branches"
	grant_dan r
	push_refused r refs/heads/staging origin 'refs/heads/feature-*:refs/heads/feature-*' \
		dev:staging
	if grep -q -e 'feature-[0-9]*: ' -e 'Broken pipe' -e 'EPIPE' "$ERR"; then
		fail "the hook named a free branch or died on a full pipe"
	fi
	push_ok r origin 'refs/heads/feature-*:refs/heads/feature-*'
	expect_equal 900 "$(git -C "$SRV/$NAME.git" for-each-ref refs/heads/feature-\* | wc -l)" \
		"feature branches on the server"
}

# Approvals given in two clones, each synced: both reach the server once;
# then a third clone promotes with them, and the server accepts it.
test_sync_approvals()
{
	NAME=sync
	local c1 n
	org_repo r
	bootstrap r "$NAME"
	grant_dan r
	push_ok r origin dev
	c1=$(ref_id r dev)
	clone_org a
	clone_org b
	approve a rita staging
	approve b ann staging
	expect_exit 0 "$APPCTL" -C a sync
	expect_stdout_contains "pushed $LOG"
	expect_exit 0 "$APPCTL" -C b sync
	expect_stdout_contains "re-parented 1 local event"
	# Again: nothing new, nothing repeated.
	expect_exit 0 "$APPCTL" -C a sync
	expect_exit 0 "$APPCTL" -C b sync
	expect_stdout_contains "up to date"
	n=$(count_srv_events approve)
	expect_equal 2 "$n" "approvals on the server"
	expect_equal "$(ref_id a "$LOG")" "$(srv_id "$LOG")" "a's log is the server's"
	expect_equal "$(ref_id b "$LOG")" "$(srv_id "$LOG")" "b's log is the server's"

	clone_org c
	expect_exit 0 "$APPCTL" -C c promote staging
	expect_stdout_contains "approved by: "
	expect_exit 0 "$APPCTL" -C c sync
	expect_stdout_contains "pushed refs/heads/staging"
	expect_stdout_contains "pushed refs/tags/release/staging/1"
	expect_equal "$c1" "$(srv_id staging)" "staging released on the server"
	expect_equal "$c1" "$(srv_id refs/tags/release/staging/1)" "tag on the server"
	# a follows: its staging moves to the release the log records.
	expect_exit 0 "$APPCTL" -C a sync
	expect_stdout_contains "moved staging"
	expect_equal "$c1" "$(ref_id a staging)" "a's staging follows"
	expect_equal "$c1" "$(ref_id a refs/tags/release/staging/1)" "a's tag follows"
	expect_exit 0 "$APPCTL" -C a audit --verify

	# Three syncs at once over the wire: receive-pack's compare-and-swap
	# turns away all but one, and the others fetch and retry.
	local k
	expect_exit 0 "$APPCTL" -C b sync
	approve a rita prod
	approve b ann prod
	approve c sam prod
	local pids=()
	for k in a b c; do
		( "$APPCTL" -C "$k" sync >"$TEST_ROOT/$k.out" 2>"$TEST_ROOT/$k.err"
		  echo $? >"$TEST_ROOT/$k.rc" ) &
		pids+=($!)
	done
	# Not a bare `wait`: the daemon is a child of this shell too.
	wait "${pids[@]}"
	for k in a b c; do
		[ "$(cat "$TEST_ROOT/$k.rc")" = 0 ] || {
			cat "$TEST_ROOT/$k.err" >&2
			fail "sync in $k exited $(cat "$TEST_ROOT/$k.rc")"
		}
		! grep -q -e 'Sanitizer' -e 'runtime error:' "$TEST_ROOT/$k.err" \
			|| fail "sanitizer report in $k"
	done
	expect_equal 5 "$(count_srv_events approve)" "approvals after the race"
}

# The update hook applies the same rules one ref at a time.
test_update_hook()
{
	NAME=upd
	org_repo r
	new_bare_repo "$SRV/$NAME.git"
	expect_exit 0 "$APPCTL" -C "$SRV/$NAME.git" hook install update
	git -C r remote add origin "git://127.0.0.1:$PORT/$NAME.git"
	expect_exit 0 git -C r push --atomic origin "$LOG" \
		'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'
	grant_dan r
	save_refs "$SRV/$NAME.git"
	expect_exit 1 git -C r push origin dev:prod
	expect_stderr_contains "appctl: refs/heads/prod: "
	expect_stderr_contains "hook declined"
	expect_refs_unchanged "$SRV/$NAME.git"
	push_ok r origin dev
}

# Gitea's layout: its own hooks/pre-receive runs every script of
# hooks/pre-receive.d/ with the push on stdin; appctl's goes next to it.
test_gitea_layout()
{
	NAME=gitea
	org_repo r
	new_bare_repo "$SRV/$NAME.git"
	cat >"$SRV/$NAME.git/hooks/pre-receive" <<-'EOF'
	#!/usr/bin/env bash
	data=$(cat)
	for hook in "$GIT_DIR/hooks/pre-receive.d/"*; do
		test -x "$hook" && test -f "$hook" || continue
		echo "$data" | "$hook" || exit 1
	done
	EOF
	chmod +x "$SRV/$NAME.git/hooks/pre-receive"
	expect_exit 1 "$APPCTL" -C "$SRV/$NAME.git" hook install --server
	expect_exit 0 "$APPCTL" hook install --into "$SRV/$NAME.git/hooks/pre-receive.d"
	[ -x "$SRV/$NAME.git/hooks/pre-receive.d/appctl" ] || fail "not installed into pre-receive.d"
	git -C r remote add origin "git://127.0.0.1:$PORT/$NAME.git"
	push_ok r --atomic origin "$LOG" 'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'
	grant_dan r
	push_refused r refs/heads/prod origin dev:prod
	push_ok r origin dev
}

run_tests test_install test_gitea_layout test_bootstrap test_protected test_policy_lowering \
	test_many_refs test_sync_approvals test_update_hook
