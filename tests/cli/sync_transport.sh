#!/usr/bin/env bash
# sync_transport.sh: `appctl sync` reaches remotes exactly as git does,
# through the system git (SPEC §3): a path remote runs its own pre-receive
# hook, which can refuse what sync pushes; GIT_SSH_COMMAND and
# core.sshCommand choose the ssh program; several releases of one
# environment, and a promotion of a commit the server's first environment
# does not hold yet, are published by one sync, as one atomic push; an
# approval whose key expired before it was pushed is named, and
# `sync --drop` removes it (and only it), after which everything else
# goes through. Remotes are bare repositories on this machine; the "ssh"
# runs the requested git command locally.
. "$(dirname "$0")/lib.sh"

: "${FORGE_EVENT:?FORGE_EVENT must name the forge_event test tool}"

export APPCTL_TODAY=2026-11-29
# The example org notifies a receiver that does not exist: keep the
# deliveries in the outbox instead of trying.
export APPCTL_NOTIFY_BUDGET_S=0

# rita2: rita's second key, valid for a few seconds only (test_stuck_event).
make_keys rita ann sam rita2

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

# on_server DIR URL: DIR's org bootstrapped by `appctl sync` onto the
# server at URL (origin), and dev pushed.
on_server()
{
	git -C "$1" remote add origin "$2" || fail "remote add"
	expect_exit 0 "$APPCTL" -C "$1" sync
	expect_exit 0 git -C "$1" push -q origin dev
}

# count_events DIR TYPE: events of TYPE in DIR's log.
count_events()
{
	git -C "$1" rev-list --first-parent "$LOG" | sed 's/$/:event.json/' |
		git -C "$1" cat-file --batch | grep '^{' | jq -r .type |
		grep -cx "$2" || true
}

# has_event DIR ID: DIR's log holds event ID.
has_event()
{
	git -C "$1" rev-list --first-parent "$LOG" | sed 's/$/:event.json/' |
		git -C "$1" cat-file --batch-check='%(objectname)' | grep -qx "$2"
}

# last_id DIR: the id of the event at the head of DIR's log.
last_id()
{
	git -C "$1" rev-parse "$LOG:event.json"
}

# fake_ssh FILE LOG: an "ssh" that writes its arguments to LOG and runs
# the git command it is asked for on this machine. It is no OpenSSH (-G
# fails), so git calls it as "fake HOST COMMAND".
fake_ssh()
{
	cat >"$1" <<EOF
#!/bin/sh
echo "\$*" >>"$2"
[ "\$1" = -G ] && exit 1
shift
case "\$*" in
git-upload-pack*|git-receive-pack*) exec sh -c "git \${*#git-}" ;;
esac
echo "fake ssh: unexpected command: \$*" >&2
exit 1
EOF
	chmod +x "$1"
}

# ---- a path remote runs its hook ----

# A promotion synced to a path remote with the hook: accepted. A hand-made
# promote of prod without approvals, in a clone whose own check was
# bypassed (its verified-log record edited, so appctl itself does not stop
# it): the remote's hook refuses sync's push, its reason reaches the user,
# sync exits 1, and no ref of the server moves.
test_path_remote_hook()
{
	local c1 forged commit
	org_repo r
	server srv.git
	on_server r "$PWD/srv.git"
	grant_dan r
	c1=$(ref_id r dev)
	expect_exit 0 git -C r push -q origin dev
	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging
	expect_exit 0 "$APPCTL" -C r sync
	expect_stdout_contains "pushed refs/heads/staging"
	expect_equal "$c1" "$(ref_id srv.git staging)" "staging on the server"
	expect_equal "$c1" "$(ref_id srv.git refs/tags/release/staging/1)" "release tag"
	expect_equal "$(ref_id r "$LOG")" "$(ref_id srv.git "$LOG")" "log on the server"

	expect_exit 0 "$FORGE_EVENT" -C r --type promote --env prod
	forged=$(head -n 1 "$OUT")
	commit=$(git -C r show "$LOG:state.json" | jq -r '.envs.prod.commit')
	expect_equal "$c1" "$commit" "the forged promote's commit"
	git -C r update-ref refs/heads/prod "$c1" || fail "update-ref prod"
	git -C r update-ref refs/tags/release/prod/1 "$c1" || fail "tag"
	git -C r rev-parse "$LOG" >r/.git/appctl/verified-log
	save_refs srv.git
	expect_exit 1 "$APPCTL" -C r sync
	expect_stderr_contains "remote: "
	expect_stderr_contains "pre-receive hook declined"
	expect_stderr_contains "${forged:0:12}"
	grep -q "^remote: .*${forged}" "$ERR" || fail "the hook's lines are not shown"
	expect_refs_unchanged srv.git
}

# ---- how git reaches an ssh remote ----

# GIT_SSH_COMMAND names the ssh program: sync (fetch and push) goes
# through it, to a host that does not exist but for it.
test_git_ssh_command()
{
	local calls="$TEST_ROOT/$TEST_NAME.ssh.log"
	org_repo r
	server srv.git
	fake_ssh "$PWD/fake-ssh" "$calls"
	GIT_SSH_COMMAND="$PWD/fake-ssh" run_ssh_sync r "ssh://fakehost$PWD/srv.git"
	grep -q "git-receive-pack '$PWD/srv.git'" "$calls" || fail "no receive-pack through the ssh command"
	grep -q "git-upload-pack '$PWD/srv.git'" "$calls" || fail "no upload-pack through the ssh command"
	# A URL rather than a configured remote; git's own words when it fails (exit 4).
	GIT_SSH_COMMAND="$PWD/fake-ssh" expect_exit 4 "$APPCTL" -C r sync \
		"ssh://fakehost$PWD/nothing.git"
	expect_stderr_contains "does not appear to be a git repository"
}

# run_ssh_sync DIR URL: DIR's org bootstrapped at URL by sync, an approval
# synced, and the server holding both.
run_ssh_sync()
{
	git -C "$1" remote add origin "$2" || fail "remote add"
	expect_exit 0 "$APPCTL" -C "$1" sync
	expect_stdout_contains "pushed $LOG"
	expect_exit 0 git -C "$1" push -q origin dev
	grant_dan "$1"
	expect_exit 0 git -C "$1" push -q origin dev
	approve "$1" rita staging
	expect_exit 0 "$APPCTL" -C "$1" sync
	expect_stdout_contains "pushed $LOG"
	expect_equal "$(ref_id "$1" "$LOG")" "$(ref_id srv.git "$LOG")" "log on the server"
	expect_equal 1 "$(count_events srv.git approve)" "approvals on the server"
}

# The same through `git config core.sshCommand`.
test_core_ssh_command()
{
	local calls="$TEST_ROOT/$TEST_NAME.ssh.log"
	org_repo r
	server srv.git
	fake_ssh "$PWD/fake-ssh" "$calls"
	git -C r config core.sshCommand "$PWD/fake-ssh" || fail "git config"
	( unset GIT_SSH_COMMAND GIT_SSH; run_ssh_sync r "ssh://fakehost$PWD/srv.git" ) ||
		fail "sync through core.sshCommand"
	grep -q "git-receive-pack '$PWD/srv.git'" "$calls" || fail "no receive-pack through core.sshCommand"
}

# ---- one sync publishes every release made since the last ----

# Two promotions of staging between syncs: one sync, one atomic push, and
# the hook takes staging from release 0 straight to release 2.
test_two_releases()
{
	local c1 c2
	org_repo r
	server srv.git
	on_server r "$PWD/srv.git"
	grant_dan r
	c1=$(ref_id r dev)
	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging
	edit_app r billing-admin '.roles.Finance.members += ["eve@example.com"]' \
		"eve joins Finance"
	c2=$(ref_id r dev)
	expect_exit 0 git -C r push -q origin dev
	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging
	expect_equal "$c2" "$(ref_id r staging)" "staging here"
	expect_exit 0 "$APPCTL" -C r sync
	expect_equal "$c2" "$(ref_id srv.git staging)" "staging on the server"
	expect_equal "$c1" "$(ref_id srv.git refs/tags/release/staging/1)" "release 1 tag"
	expect_equal "$c2" "$(ref_id srv.git refs/tags/release/staging/2)" "release 2 tag"
	expect_equal "$(ref_id r "$LOG")" "$(ref_id srv.git "$LOG")" "log on the server"
	expect_equal 2 "$(count_events srv.git promote)" "promotions on the server"
	expect_exit 0 "$APPCTL" -C r sync
	expect_stdout_contains "up to date"
	# The same server named by its path: copies of its refs of their own.
	expect_exit 0 "$APPCTL" -C r sync "$PWD/srv.git"
	expect_stdout_contains "up to date"
	git -C r for-each-ref refs/appctl/remote-url/ | grep -q '/log$' ||
		fail "no copy of the log under refs/appctl/remote-url/"
}

# Release tags go by one pattern refspec only when it sends nothing else:
# a release tag made by hand, which the log does not vouch for, stays here.
test_two_releases_stray_tag()
{
	org_repo r
	server srv.git
	on_server r "$PWD/srv.git"
	grant_dan r
	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging
	edit_app r billing-admin '.roles.Finance.members += ["eve@example.com"]' \
		"eve joins Finance"
	expect_exit 0 git -C r push -q origin dev
	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging
	git -C r tag release/staging/99 dev~1 || fail "git tag"
	expect_exit 0 "$APPCTL" -C r sync
	expect_equal "$(ref_id r refs/tags/release/staging/2)" \
		"$(ref_id srv.git refs/tags/release/staging/2)" "release 2 tag"
	expect_equal "$(ref_id r refs/tags/release/staging/1)" \
		"$(ref_id srv.git refs/tags/release/staging/1)" "release 1 tag"
	git -C srv.git rev-parse -q --verify refs/tags/release/staging/99 >/dev/null &&
		fail "the stray tag was pushed"
	[ -z "$(git -C r for-each-ref refs/appctl/push/)" ] || fail "staged refs left"
}

# A promotion of a commit the server's dev does not hold (dev not
# pushed): sync sends dev along, up to that commit and no further.
test_unpushed_source()
{
	local c1
	org_repo r
	server srv.git
	on_server r "$PWD/srv.git"
	grant_dan r
	c1=$(ref_id r dev)
	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging
	edit_app r billing-admin '.roles.Finance.members += ["eve@example.com"]' \
		"work in progress"
	expect_exit 0 "$APPCTL" -C r sync
	expect_stdout_contains "pushed refs/heads/dev"
	expect_equal "$c1" "$(ref_id srv.git staging)" "staging on the server"
	expect_equal "$c1" "$(ref_id srv.git refs/tags/release/staging/1)" "release tag"
	expect_equal "$c1" "$(ref_id srv.git dev)" "dev on the server: the promoted commit"
	expect_equal "$(ref_id r "$LOG")" "$(ref_id srv.git "$LOG")" "log on the server"
}

# ---- the way out for an event the remote will never take ----

# --drop refuses what it must not remove, and removes a local release
# with its branch move and tag: the approvals behind it still go out.
test_drop_rules()
{
	local c0 a1 a2 pr
	org_repo r
	server srv.git
	on_server r "$PWD/srv.git"
	c0=$(ref_id r staging)
	grant_dan r
	expect_exit 0 git -C r push -q origin dev
	approve r rita staging
	a1=$(last_id r)
	approve r ann staging
	a2=$(last_id r)
	expect_exit 0 "$APPCTL" -C r promote staging
	pr=$(last_id r)
	save_refs r
	expect_exit 2 "$APPCTL" -C r sync --drop nothex
	expect_exit 1 "$APPCTL" -C r sync --drop "${a1:0:12}"
	expect_stderr_contains "counts $a1 as an approval"
	expect_stderr_contains "${pr}"
	expect_exit 1 "$APPCTL" -C r sync --drop "$(git -C srv.git rev-parse "$LOG:event.json")"
	expect_stderr_contains "never pushed"
	expect_refs_unchanged r

	expect_exit 0 "$APPCTL" -C r sync --drop "${pr:0:12}"
	expect_stdout_contains "dropped event $pr"
	! has_event r "$pr" || fail "the promote is still in the log"
	expect_equal "$c0" "$(ref_id r staging)" "staging back where the release took it from"
	expect_equal "" "$(ref_id r refs/tags/release/staging/1)" "release tag gone"
	has_event srv.git "$a1" || fail "rita's approval not on the server"
	has_event srv.git "$a2" || fail "ann's approval not on the server"
	expect_equal 0 "$(count_events srv.git promote)" "no promotion on the server"
	expect_equal "$c0" "$(ref_id srv.git staging)" "staging on the server"
	expect_exit 0 "$APPCTL" -C r audit --verify
	# And the release can be made again, on the same approvals.
	expect_exit 0 "$APPCTL" -C r promote staging --push
	expect_equal "$(ref_id r dev)" "$(ref_id srv.git staging)" "staging released"
}

# rita approves with a key valid for a few seconds more; it expires before
# she syncs, and ann approves after it. The server's hook judges what it
# receives by its own clock and refuses the push; sync names the event
# and the way out; `sync --drop` removes it, and ann's approval reaches
# the server. Real clocks: APPCTL_TODAY is unset, and the path remote's
# hook inherits sync's environment.
STUCK_WINDOW_S=${SYNC_STUCK_WINDOW_S:-15}
test_stuck_event()
{
	local deadline vb k stuck a2
	unset APPCTL_TODAY APPCTL_NOW
	deadline=$(($(date +%s) + STUCK_WINDOW_S))
	vb=$(date -u -d "@$deadline" +%Y%m%d%H%M%SZ)
	new_repo r
	cp -r "$APPCTL_SOURCE_DIR/examples/org/." r/
	for k in rita ann sam; do
		echo "$k@example.com namespaces=\"appctl\" $(cut -d' ' -f1,2 "$KEYS/$k.pub")"
	done >>r/allowed_signers
	echo "rita@example.com namespaces=\"appctl\",valid-before=\"$vb\" $(cut -d' ' -f1,2 "$KEYS/rita2.pub")" \
		>>r/allowed_signers
	commit_all r "rita's second key, valid until $vb"
	expect_exit 0 "$APPCTL" -C r init
	server srv.git
	on_server r "$PWD/srv.git"
	grant_dan r
	expect_exit 0 git -C r push -q origin dev
	approve r rita2 staging
	stuck=$(last_id r)
	[ "$(date +%s)" -lt "$deadline" ] ||
		fail "the approval was made after $vb: raise SYNC_STUCK_WINDOW_S"
	while [ "$(date +%s)" -le "$deadline" ]; do
		sleep 1
	done
	approve r ann staging
	a2=$(last_id r)

	save_refs srv.git
	expect_exit 1 "$APPCTL" -C r sync
	expect_stderr_contains "remote: "
	expect_stderr_contains "refused event $stuck"
	expect_stderr_contains "appctl sync --drop ${stuck:0:12}"
	expect_refs_unchanged srv.git
	# Syncing again changes nothing: the event stays stuck until dropped.
	expect_exit 1 "$APPCTL" -C r sync
	expect_stderr_contains "refused event $stuck"

	expect_exit 0 "$APPCTL" -C r sync --drop "${stuck:0:12}"
	expect_stdout_contains "dropped event $stuck"
	expect_stdout_contains "pushed $LOG"
	has_event srv.git "$a2" || fail "ann's approval is not on the server"
	! has_event srv.git "$stuck" || fail "the stuck approval reached the server"
	! has_event r "$stuck" || fail "the stuck approval is still in the log"
	expect_equal "$(ref_id r "$LOG")" "$(ref_id srv.git "$LOG")" "log on the server"
	expect_equal "$(ref_id r "$LOG")" "$(cat r/.git/appctl/verified-log)" \
		"the verified head follows the rewritten log"
	expect_exit 0 "$APPCTL" -C r audit --verify
	export APPCTL_TODAY=2026-11-29
}

run_tests test_path_remote_hook test_git_ssh_command test_core_ssh_command \
	test_two_releases test_two_releases_stray_tag test_unpushed_source test_drop_rules test_stuck_event
