#!/usr/bin/env bash
# server_setups.sh: docs/server-hooks.md performed literally, one test per
# setup it describes, on real servers started by tests/cli/servers.sh on
# 127.0.0.1: a bare repository served by `git daemon`; sshd with a
# git-shell account; apache2 with git http-backend (repository owned by
# the web server's account, and group-shared, owned by root); gitolite3
# with repo-specific hooks; an `update`-hook-only server. On each, the
# three checks (three_checks): an unapproved push to prod is refused
# with appctl's reason shown to the pusher and no server ref moved; the
# documented atomic promotion push (real approvals and promote) is
# accepted, and so is a rollback published with a forced push; a rewind
# or deletion of the log is refused. Then what receive.deny* really do,
# and `appctl sync` over an ssh alias of ~/.ssh/config and over HTTP with
# a credential helper.
#
# A setup whose server cannot be installed or started (not root, package
# missing after scripts/install-deps.sh --test-servers) is skipped with a
# message saying why; everything else must pass.
# SETUPS_ONLY="name ..." runs only those tests.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/servers.sh"

: "${FORGE_EVENT:?FORGE_EVENT must name the forge_event test tool}"

export APPCTL_TODAY=2026-11-29
# The example org notifies a receiver that does not exist; keep the
# deliveries in the outbox instead of trying.
export APPCTL_NOTIFY_BUDGET_S=0
# A credential or host-key question must fail, never wait for a terminal.
export GIT_TERMINAL_PROMPT=0
unset SSH_AUTH_SOCK SSH_AGENT_PID

servers_install
make_keys rita ann sam pusher

org_repo()
{
	keyed_org_repo "$1" "rita ann sam"
}

# ---- the checks every setup passes ----

# expect_refused SRV_DIR REF CMD...: CMD (a git push) exits 1, the pusher
# sees appctl's reason for REF on stderr (as `remote: appctl: REF: ...`,
# without GitLab's GL-HOOK-ERR: prefix), and no ref of SRV_DIR moved.
expect_refused()
{
	local srv=$1 ref=$2
	shift 2
	save_refs "$srv"
	expect_exit 1 "$@"
	expect_stderr_contains "remote: appctl: $ref: "
	expect_stderr_contains "hook declined"
	if grep -q 'GL-HOOK-ERR' "$ERR"; then
		fail "GitLab's GL-HOOK-ERR: prefix shown to a pusher of another server"
	fi
	expect_refs_unchanged "$srv"
}

# first_push DIR URL: the documented first push, from the repository
# where `appctl init` ran, into the empty repository with the hook.
first_push()
{
	git -C "$1" remote add origin "$2"
	expect_exit 0 git -C "$1" push --atomic origin refs/appctl/log \
		'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'
}

# publish DIR MODE [dev] BRANCH: the documented push of a release (made by
# promote or rollback in DIR) from DIR to origin, the log, BRANCH (+prod
# for a rollback: not a fast-forward) and the release tags; `dev` too
# for a promotion from the first environment, so that its commits arrive
# in the same push (in git's quarantine while the hook judges them).
# MODE pre-receive: one atomic push. MODE update: one ref after the
# other, as the update hook needs: dev, the log alone, then the branch
# and its tags.
publish()
{
	local dir=$1 mode=$2
	shift 2
	if [ "$mode" = update ]; then
		if [ "$1" = dev ]; then
			expect_exit 0 git -C "$dir" push origin dev
			shift
		fi
		expect_exit 0 git -C "$dir" push origin refs/appctl/log
		expect_exit 0 git -C "$dir" push --atomic origin "$@" 'refs/tags/release/*'
	else
		expect_exit 0 git -C "$dir" push --atomic origin refs/appctl/log "$@" \
			'refs/tags/release/*'
	fi
}

# three_checks DIR SRV_DIR [MODE]: DIR holds the org, bootstrapped onto
# the server whose repository is SRV_DIR (the remote origin of DIR).
three_checks()
{
	local r=$1 srv=$2 mode=${3:-pre-receive} c0 c1 log0 state
	c0=$(ref_id "$r" dev)
	grant_dan "$r"
	c1=$(ref_id "$r" dev)

	# (1) Unapproved pushes to prod and staging: refused, and the pusher
	# is told why.
	expect_refused "$srv" refs/heads/prod git -C "$r" push origin dev:prod
	expect_stderr_contains "'prod' is a protected environment"
	expect_equal "$c0" "$(ref_id "$srv" prod)" "prod on the server"
	# A hand-made promote without approvals, the branch and tag moved
	# along, as someone with git plumbing would.
	log0=$(ref_id "$r" refs/appctl/log)
	expect_exit 0 "$FORGE_EVENT" -C "$r" --type promote --env staging
	state=$(git -C "$r" show refs/appctl/log:state.json)
	git -C "$r" update-ref refs/heads/staging \
		"$(jq -r .envs.staging.commit <<<"$state")" || fail "update-ref"
	git -C "$r" update-ref refs/tags/release/staging/1 "$c1" || fail "tag"
	expect_refused "$srv" refs/appctl/log git -C "$r" push --atomic origin \
		refs/appctl/log dev staging 'refs/tags/release/*'
	expect_stderr_contains "do not satisfy the policy"
	git -C "$r" update-ref refs/appctl/log "$log0"
	git -C "$r" update-ref refs/heads/staging "$c0"
	git -C "$r" update-ref -d refs/tags/release/staging/1

	# (2) The documented promotions: approvals signed with the approvers'
	# keys, `appctl promote`, then the push.
	approve "$r" rita staging
	approve "$r" ann staging
	expect_exit 0 "$APPCTL" -C "$r" promote staging
	publish "$r" "$mode" dev staging
	approve "$r" rita prod
	approve "$r" ann prod
	expect_exit 0 "$APPCTL" -C "$r" promote prod
	publish "$r" "$mode" prod
	expect_equal "$c1" "$(ref_id "$srv" prod)" "prod released on the server"
	expect_equal "$c1" "$(ref_id "$srv" refs/tags/release/prod/1)" "release tag"
	expect_equal "$(ref_id "$r" refs/appctl/log)" "$(ref_id "$srv" refs/appctl/log)" \
		"the log on the server"
	# A rollback moves prod back: not a fast-forward, so git itself
	# refuses to send it without +, and the server takes it with +.
	expect_exit 0 "$APPCTL" -C "$r" rollback prod
	expect_exit 1 git -C "$r" push origin prod
	expect_stderr_contains "non-fast-forward"
	publish "$r" "$mode" +prod
	expect_equal "$c0" "$(ref_id "$srv" prod)" "prod rolled back on the server"
	expect_equal "$c0" "$(ref_id "$srv" refs/tags/release/prod/2)" "rollback's tag"

	# (3) The log only grows: no rewind, no deletion.
	expect_refused "$srv" refs/appctl/log git -C "$r" push -f origin \
		'refs/appctl/log~1:refs/appctl/log'
	expect_stderr_contains "not a fast-forward"
	expect_refused "$srv" refs/appctl/log git -C "$r" push origin :refs/appctl/log
	expect_stderr_contains "cannot be deleted"
	expect_exit 0 "$APPCTL" -C "$r" audit --verify
}

# ---- the servers, started once; a test whose server is down skips ----

SRV="$TEST_ROOT/srv"
mkdir -p "$SRV"
DAEMON_PORT=""
SSH_WHY=""
HTTP_WHY=""
GL_WHY=""

# git daemon for $SRV (never skipped: it needs nothing but git).
start_daemon()
{
	servers_launch git-daemon git daemon --enable=receive-pack --export-all \
		--base-path="$SRV" --reuseaddr --listen=127.0.0.1 --port=@PORT@ \
		|| fail "git daemon did not start: $SERVERS_WHY"
	DAEMON_PORT=$PORT
}

# authorize USER KEY.pub: the public key may log in as USER.
authorize()
{
	local home
	home=$(getent passwd "$1" | cut -d: -f6)
	mkdir -p "$home/.ssh"
	cat "$2" >>"$home/.ssh/authorized_keys"
	chown -R "$1:$1" "$home/.ssh"
	chmod 0700 "$home/.ssh"
	chmod 0600 "$home/.ssh/authorized_keys"
}

# sshd on a spare port for the accounts of this script (actl<pid>-*):
# GIT_USER, a git-shell account (home GIT_HOME) the pusher's key logs
# into, known to root's client as `gitsrv`; CLI_USER, a user's account
# for test_sync_ssh_alias. Else SSH_WHY says why not.
start_sshd()
{
	servers_user git /usr/bin/git-shell || { SSH_WHY=$SERVERS_WHY; return 1; }
	GIT_USER=$SRV_USER
	GIT_HOME=$SRV_HOME
	servers_user cli /bin/sh || { SSH_WHY=$SERVERS_WHY; return 1; }
	CLI_USER=$SRV_USER
	CLI_HOME=$SRV_HOME
	sshd_start "actl$$-*" || { SSH_WHY=$SERVERS_WHY; return 1; }
	authorize "$GIT_USER" "$KEYS/pusher.pub"
	ssh_client_host gitsrv "$GIT_USER" "$KEYS/pusher"
}

# apache2 serving git http-backend for $HTTP_ROOT with the site
# configuration of docs/server-hooks.md (site_conf), as www-data; the
# test's git authenticates as `builder` through a credential helper, the
# password in no URL. Else HTTP_WHY says why not.
HTTP_ROOT="$TEST_ROOT/http-srv"
start_http()
{
	mkdir -p "$HTTP_ROOT"
	if ! command -v htpasswd >/dev/null 2>&1; then
		HTTP_WHY="htpasswd not installed (apache2-utils)"
		return 1
	fi
	http_user builder 'b-secret'
	site_conf >"$SERVERS_DIR/git-site.conf"
	http_start "$SERVERS_DIR/git-site.conf" || { HTTP_WHY=$SERVERS_WHY; return 1; }
	printf 'http://builder:b-secret@127.0.0.1:%s\n' "$HTTP_PORT" >"$HOME/.git-credentials"
	chmod 0600 "$HOME/.git-credentials"
	git config --global credential.helper "store --file=$HOME/.git-credentials"
}

# site_conf: the site of docs/server-hooks.md ("HTTP: apache2 and git
# http-backend") with this test's paths for /srv/git and the password
# file, and the Location that lets git and appctl work in shared.git,
# which root owns.
site_conf()
{
	cat <<-EOF
	SetEnv GIT_PROJECT_ROOT $HTTP_ROOT
	SetEnv GIT_HTTP_EXPORT_ALL 1
	ScriptAlias /git/ /usr/lib/git-core/git-http-backend/
	<Location /git/>
	    AuthType Basic
	    AuthName "git"
	    AuthUserFile $HTPASSWD
	    Require valid-user
	</Location>
	<Location /git/shared.git>
	    SetEnv GIT_CONFIG_COUNT 1
	    SetEnv GIT_CONFIG_KEY_0 safe.directory
	    SetEnv GIT_CONFIG_VALUE_0 *
	</Location>
	EOF
}

# gitolite3 set up for its own account (GL_USER, GL_HOME) with a temp
# admin key, reached through the script's sshd; root's client knows it
# as `gl-admin` (the admin's key) and `gl-alice` (alice, a builder: the
# pusher's key). Else GL_WHY says why not.
start_gitolite()
{
	[ -z "$SSH_WHY" ] || { GL_WHY="no sshd: $SSH_WHY"; return 1; }
	gitolite_setup || { GL_WHY=$SERVERS_WHY; return 1; }
	ssh_client_host gl-admin "$GL_USER" "$GL_ADMIN_KEY"
	ssh_client_host gl-alice "$GL_USER" "$KEYS/pusher"
}

# have WHY: true when WHY is empty; else the current test is skipped
# (says so, returns 1).
have()
{
	[ -z "$1" ] && return 0
	echo "# SKIP $TEST_NAME: $1"
	echo "$TEST_NAME: $1" >>"$TEST_ROOT/skipped"
	return 1
}

start_daemon
start_sshd
start_http
start_gitolite

# ---- git daemon (tests, or a trusted network) ----

# docs/server-hooks.md, "Setting up: empty repository, hook, first push".
test_daemon_bare_repo()
{
	local srv="$SRV/apps.git"
	git init -q --bare "$srv"
	git -C "$srv" symbolic-ref HEAD refs/heads/dev
	expect_exit 0 "$APPCTL" -C "$srv" hook install --platform plain
	org_repo r
	first_push r "git://127.0.0.1:$DAEMON_PORT/apps.git"
	three_checks r "$srv"
}

# ---- sshd + git-shell ----

# docs/server-hooks.md, "SSH: sshd and git-shell".
test_ssh_git_shell()
{
	have "$SSH_WHY" || return 0
	local srv="$GIT_HOME/apps.git"
	as_user "$GIT_USER" git init -q --bare "$srv"
	as_user "$GIT_USER" git -C "$srv" symbolic-ref HEAD refs/heads/dev
	expect_exit 0 as_user "$GIT_USER" "$APPCTL" -C "$srv" hook install --platform plain
	org_repo r
	first_push r "gitsrv:$srv"
	three_checks r "$srv"
}

# ---- apache2 + git http-backend ----

# docs/server-hooks.md, "HTTP: apache2 and git http-backend": the
# repository belongs to the web server's account.
test_http_owned_by_www_data()
{
	have "$HTTP_WHY" || return 0
	local srv="$HTTP_ROOT/apps.git"
	git init -q --bare "$srv"
	git -C "$srv" symbolic-ref HEAD refs/heads/dev
	expect_exit 0 "$APPCTL" -C "$srv" hook install --platform http
	chown -R www-data:www-data "$srv"
	org_repo r
	first_push r "http://127.0.0.1:$HTTP_PORT/git/apps.git"
	three_checks r "$srv"
}

# docs/server-hooks.md, "HTTP: apache2 and git http-backend", a
# repository owned by root and shared with the web server's group.
test_http_shared_group()
{
	have "$HTTP_WHY" || return 0
	local srv="$HTTP_ROOT/shared.git"
	git init -q --bare --shared=group "$srv"
	git -C "$srv" symbolic-ref HEAD refs/heads/dev
	# --shared also set receive.denyNonFastForwards, which refuses every
	# rollback (test_receive_deny_config).
	git -C "$srv" config --unset receive.denyNonFastForwards
	expect_exit 0 "$APPCTL" -C "$srv" hook install --platform http
	chgrp -R www-data "$srv"
	org_repo r
	first_push r "http://127.0.0.1:$HTTP_PORT/git/shared.git"
	# The same without the Location of shared.git: git refuses it.
	cp -a "$srv" "$HTTP_ROOT/unsafe.git"
	expect_exit 128 git ls-remote "http://127.0.0.1:$HTTP_PORT/git/unsafe.git"
	grep -q "dubious ownership" "$SERVERS_DIR/apache/logs/error.log" \
		|| fail "apache's error log does not say why git refused unsafe.git"
	three_checks r "$srv"
}

# ---- gitolite3 ----

# docs/server-hooks.md, "gitolite".
test_gitolite()
{
	have "$GL_WHY" || return 0
	local srv="$GL_HOME/repositories/apps.git"
	# On the server, as gitolite's account: enable repo-specific hooks and
	# the hooks kept in the gitolite-admin repository.
	as_user "$GL_USER" sed -i \
		-e 's|^\( *\)# *\(LOCAL_CODE *=> *"$rc{GL_ADMIN_BASE}/local",\)|\1\2|' \
		-e "s|^\( *\)# *\('repo-specific-hooks',\)|\1\2|" "$GL_HOME/.gitolite.rc"
	grep -q '^ *LOCAL_CODE *=> *"$rc{GL_ADMIN_BASE}/local",' "$GL_HOME/.gitolite.rc" \
		|| fail "LOCAL_CODE not enabled in .gitolite.rc"
	grep -q "^ *'repo-specific-hooks'," "$GL_HOME/.gitolite.rc" \
		|| fail "repo-specific-hooks not enabled in .gitolite.rc"

	# The admin, in a fresh clone of gitolite-admin.
	expect_exit 0 git clone -q gl-admin:gitolite-admin ga
	[ ! -e ga/local ] || fail "a fresh gitolite-admin has local/"
	cd ga || fail "cd ga"
	expect_exit 0 "$APPCTL" hook install --platform gitolite
	cd .. || fail "cd"
	[ -x ga/local/hooks/repo-specific/appctl ] || fail "no shim in local/hooks/repo-specific"
	cp "$KEYS/pusher.pub" ga/keydir/alice.pub
	cat >>ga/conf/gitolite.conf <<-'EOF'

	@builders   =   alice

	repo apps
	    RW+     =   @builders
	    option hook.pre-receive = appctl
	EOF
	git -C ga add -A
	git -C ga -c user.name=Admin -c user.email=admin@example.com \
		commit -q -m "apps, with appctl's pre-receive hook" || fail "commit"
	expect_exit 0 git -C ga push -q origin master
	[ -d "$srv" ] || fail "gitolite did not create apps.git"
	# gitolite made HEAD refs/heads/master; clones check out dev.
	as_user "$GL_USER" git -C "$srv" symbolic-ref HEAD refs/heads/dev

	org_repo r
	first_push r gl-alice:apps
	three_checks r "$srv"
}

# ---- an update-hook-only server (on sshd + git-shell) ----

# docs/server-hooks.md, "A server that keeps pre-receive: the update hook".
test_update_hook_only()
{
	have "$SSH_WHY" || return 0
	local srv="$GIT_HOME/upd.git" c0
	as_user "$GIT_USER" git init -q --bare "$srv"
	as_user "$GIT_USER" git -C "$srv" symbolic-ref HEAD refs/heads/dev
	expect_exit 0 as_user "$GIT_USER" "$APPCTL" -C "$srv" hook install --platform plain update
	org_repo r
	first_push r "gitsrv:$srv"
	# One atomic push of the log and the branches does not do here: git
	# runs `update` for each ref before any of them moves, so each is
	# judged against what the server had: the promote in the log names a
	# commit that is not on the server's dev yet.
	c0=$(ref_id r staging)
	(
		grant_dan r
		approve r rita staging
		approve r ann staging
		expect_exit 0 "$APPCTL" -C r promote staging
		expect_refused "$srv" refs/appctl/log git -C r push --atomic origin \
			refs/appctl/log dev staging 'refs/tags/release/*'
	) || exit 1
	# (undo that in the clone; three_checks starts from the bootstrap)
	git -C r update-ref refs/appctl/log "$(ref_id "$srv" refs/appctl/log)"
	git -C r update-ref refs/heads/staging "$c0"
	git -C r update-ref refs/heads/dev "$c0"
	git -C r reset -q --hard dev
	git -C r tag -d release/staging/1 >/dev/null
	three_checks r "$srv" update
}

# ---- receive.denyNonFastForwards, receive.denyDeletes ----

# docs/server-hooks.md, "Recommended server configuration": they apply to
# refs/heads/* only, after pre-receive; they do not protect the log, and
# denyNonFastForwards refuses a recorded rollback.
test_receive_deny_config()
{
	local bare="$SRV/nohook.git" srv="$SRV/deny.git"
	# Without the hook, both set: the log is rewound and deleted freely.
	git init -q --bare "$bare"
	git -C "$bare" config receive.denyNonFastForwards true
	git -C "$bare" config receive.denyDeletes true
	org_repo a
	first_push a "git://127.0.0.1:$DAEMON_PORT/nohook.git"
	grant_dan a
	approve a rita staging
	expect_exit 0 git -C a push origin dev refs/appctl/log
	expect_exit 0 git -C a push -f origin 'refs/appctl/log~1:refs/appctl/log'
	expect_equal "$(ref_id a 'refs/appctl/log~1')" "$(ref_id "$bare" refs/appctl/log)" \
		"the log rewound in spite of denyNonFastForwards"
	expect_exit 0 git -C a push origin :refs/appctl/log
	expect_equal "" "$(ref_id "$bare" refs/appctl/log)" \
		"the log deleted in spite of denyDeletes"
	# ... but a branch is refused, after the pre-receive hook ran.
	printf '#!/bin/sh\necho pre-receive ran >&2\n' >"$bare/hooks/pre-receive"
	chmod +x "$bare/hooks/pre-receive"
	expect_exit 1 git -C a push origin :dev
	expect_stderr_contains "pre-receive ran"
	expect_stderr_contains "deletion prohibited"
	expect_exit 1 git -C a push -f origin 'dev~1:dev'
	expect_stderr_contains "pre-receive ran"
	expect_stderr_contains "denying non-fast-forward refs/heads/dev"

	# With the hook and denyNonFastForwards, a valid rollback is refused.
	git init -q --bare "$srv"
	git -C "$srv" symbolic-ref HEAD refs/heads/dev
	expect_exit 0 "$APPCTL" -C "$srv" hook install --platform plain
	git -C "$srv" config receive.denyNonFastForwards true
	org_repo r
	first_push r "git://127.0.0.1:$DAEMON_PORT/deny.git"
	grant_dan r
	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging
	publish r pre-receive dev staging
	expect_exit 0 "$APPCTL" -C r rollback staging
	save_refs "$srv"
	expect_exit 1 git -C r push --atomic origin refs/appctl/log +staging \
		'refs/tags/release/*'
	# (the hook accepted it; git's own check, after the hook, refused)
	expect_stderr_contains "denying non-fast-forward refs/heads/staging"
	! grep -q "remote: appctl: " "$ERR" || fail "the hook refused the rollback"
	expect_refs_unchanged "$srv"
	# Left off (the default), the hook alone decides: the rollback goes.
	git -C "$srv" config --unset receive.denyNonFastForwards
	publish r pre-receive +staging
	expect_equal "$(ref_id r refs/tags/release/staging/0)" "$(ref_id "$srv" staging)" \
		"staging rolled back"
}

# ---- appctl sync through the system git's transports ----

# docs/server-hooks.md, "appctl sync from the users' machines": an ssh
# alias of the user's own ~/.ssh/config (its HostName, Port, User,
# IdentityFile), the server's host key in ~/.ssh/known_hosts, no
# ssh-agent. The user is an account of its own (CLI_USER): OpenSSH reads
# ~/.ssh in the account's home from the password database, whatever
# $HOME says.
test_sync_ssh_alias()
{
	have "$SSH_WHY" || return 0
	local srv="$GIT_HOME/sync.git" home=$CLI_HOME
	as_user "$GIT_USER" git init -q --bare "$srv"
	as_user "$GIT_USER" git -C "$srv" symbolic-ref HEAD refs/heads/dev
	expect_exit 0 as_user "$GIT_USER" "$APPCTL" -C "$srv" hook install --platform plain
	org_repo r
	first_push r "gitsrv:$srv"
	grant_dan r
	expect_exit 0 git -C r push origin dev

	# The user's ssh key and configuration; the admin handed out the
	# server's host key.
	as_user "$CLI_USER" mkdir -m 0700 "$home/.ssh"
	as_user "$CLI_USER" ssh-keygen -q -t ed25519 -N '' -f "$home/.ssh/id_ed25519" \
		</dev/null || fail "ssh-keygen"
	authorize "$GIT_USER" "$home/.ssh/id_ed25519.pub"
	as_user "$CLI_USER" tee "$home/.ssh/config" >/dev/null <<-EOF
	Host apps-server
	    HostName 127.0.0.1
	    Port $SSHD_PORT
	    User $GIT_USER
	    IdentityFile ~/.ssh/id_ed25519
	    IdentitiesOnly yes
	EOF
	echo "[127.0.0.1]:$SSHD_PORT $SSHD_HOST_KEY" |
		as_user "$CLI_USER" tee "$home/.ssh/known_hosts" >/dev/null
	# ann approves from this account, with her signing key.
	install -o "$CLI_USER" -m 0600 "$KEYS/ann" "$home/.ssh/appctl_ann"
	as_user "$CLI_USER" git config --global user.name Ann
	as_user "$CLI_USER" git config --global user.email ann@example.com

	as_cli()
	{
		expect_exit "$1" as_user "$CLI_USER" env -u SSH_AUTH_SOCK \
			XDG_CONFIG_HOME="$home/.config" timeout 60 "${@:2}"
	}
	as_cli 0 git clone -q apps-server:"$srv" "$home/apps"
	as_cli 0 "$APPCTL" -C "$home/apps" sync
	expect_equal "$(ref_id "$srv" refs/appctl/log)" "$(ref_id "$home/apps" refs/appctl/log)" \
		"the server's log fetched"
	as_cli 0 "$APPCTL" -C "$home/apps" approve staging --key "$home/.ssh/appctl_ann"
	as_cli 0 "$APPCTL" -C "$home/apps" sync
	expect_stdout_contains "pushed refs/appctl/log"
	expect_equal "$(ref_id "$home/apps" refs/appctl/log)" "$(ref_id "$srv" refs/appctl/log)" \
		"ann's approval on the server"
	git -C "$srv" show refs/appctl/log:event.json |
		jq -e '.type == "approve" and .principal == "ann@example.com"' >/dev/null \
		|| fail "the server's log does not end with ann's approval"
}

# docs/server-hooks.md, "appctl sync from the users' machines": HTTP basic
# authentication from a credential helper (start_http), no password in
# the remote's URL.
test_sync_http_credentials()
{
	have "$HTTP_WHY" || return 0
	local srv="$HTTP_ROOT/sync.git" url="http://127.0.0.1:$HTTP_PORT/git/sync.git"
	git init -q --bare "$srv"
	git -C "$srv" symbolic-ref HEAD refs/heads/dev
	expect_exit 0 "$APPCTL" -C "$srv" hook install --platform http
	chown -R www-data:www-data "$srv"
	org_repo r
	first_push r "$url"
	grant_dan r
	expect_exit 0 git -C r push origin dev

	expect_equal "store --file=$HOME/.git-credentials" \
		"$(git config --global credential.helper)" "the credential helper"
	expect_exit 0 git clone -q "$url" c
	git -C c config user.name Ann
	git -C c config user.email ann@example.com
	expect_equal "$url" "$(git -C c remote get-url origin)" "a URL without a password"
	expect_exit 0 timeout 60 "$APPCTL" -C c sync
	expect_equal "$(ref_id "$srv" refs/appctl/log)" "$(ref_id c refs/appctl/log)" \
		"the server's log fetched"
	approve c ann staging
	expect_exit 0 timeout 60 "$APPCTL" -C c sync
	expect_stdout_contains "pushed refs/appctl/log"
	expect_equal "$(ref_id c refs/appctl/log)" "$(ref_id "$srv" refs/appctl/log)" \
		"ann's approval on the server"
}

TESTS=(test_daemon_bare_repo test_ssh_git_shell test_http_owned_by_www_data
	test_http_shared_group test_gitolite test_update_hook_only
	test_receive_deny_config test_sync_ssh_alias test_sync_http_credentials)
if [ -n "${SETUPS_ONLY:-}" ]; then
	selected=()
	for t in "${TESTS[@]}"; do
		case " $SETUPS_ONLY " in
		*" $t "* | *" ${t#test_} "*) selected+=("$t") ;;
		esac
	done
	TESTS=("${selected[@]}")
fi

# Each test in a subshell, so that one failure does not hide the others'
# results; the servers stay up for all of them.
failed=""
for t in "${TESTS[@]}"; do
	TEST_NAME=$t
	mkdir -p "$TEST_ROOT/$t"
	cd "$TEST_ROOT/$t" || fail "cd"
	t0=$SECONDS
	if ( "$t" ); then
		if grep -q "^$t: " "$TEST_ROOT/skipped" 2>/dev/null; then
			echo "skip - $t"
		else
			echo "ok - $t ($((SECONDS - t0)) s)"
		fi
	else
		echo "not ok - $t ($((SECONDS - t0)) s)"
		failed="$failed $t"
	fi
	cd "$TEST_ROOT" || fail "cd"
done
if [ -s "$TEST_ROOT/skipped" ]; then
	echo "# skipped (the server could not be installed or started here):"
	sed 's/^/#   /' "$TEST_ROOT/skipped"
fi
echo "# ${#TESTS[@]} tests, $SECONDS s with the servers' start"
if [ -n "$failed" ]; then
	echo "FAIL server_setups:$failed" >&2
	exit 1
fi
