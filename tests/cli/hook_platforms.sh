#!/usr/bin/env bash
# hook_platforms.sh: the server hook on each kind of server (`appctl hook
# install --platform NAME`, the table in src/core/platforms.c): the shim
# lands where that server runs it, executable, again without fuss, never
# over someone else's hook; refusals start with GitLab's "GL-HOOK-ERR: "
# on GitLab only; the help page lists the table. A repository another
# account owns is refused or accepted exactly when git refuses or accepts
# it (safe.directory, compared with git itself, as root against `nobody`).
# The update hook judges one ref at a time: the log first, alone, then the
# branch and its tag is accepted; the one atomic push is refused with a
# message that says what to do. Pushes go to local paths (git runs
# receive-pack and the hooks itself).
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-11-29
# The example org notifies a receiver that does not exist; keep the
# deliveries in the outbox instead of trying.
export APPCTL_NOTIFY_BUDGET_S=0

make_keys rita ann

org_repo()
{
	keyed_org_repo "$1" "rita ann"
}

# A commit id for hook input lines; hooks judge free branches without it.
SOME_ID=1111111111111111111111111111111111111111
ZERO_ID=0000000000000000000000000000000000000000

# expect_shim PATH PLATFORM HOOK: appctl's shim for HOOK, executable, with
# this appctl and the platform recorded (plain records none: it is what
# the hook assumes).
expect_shim()
{
	local path=$1 platform=$2 hook=$3
	[ -f "$path" ] && [ -x "$path" ] || fail "no executable shim at $path"
	grep -q "^# appctl hook shim: $hook " "$path" || fail "$path is not the $hook shim"
	grep -qF "APPCTL='$(readlink -f "$APPCTL")'" "$path" || fail "$path: appctl's path"
	if [ "$hook" = pre-push ]; then
		! grep -q '^PLATFORM=' "$path" || fail "$path: a platform in the client's hook"
	elif [ "$platform" = plain ]; then
		grep -qx "PLATFORM=''" "$path" || fail "$path names a platform"
	else
		grep -qx "PLATFORM='$platform'" "$path" || fail "$path: PLATFORM='$platform'"
	fi
}

# install_cycle PLATFORM DIR PATH HOOK: installs, again (idempotent), then
# refuses a foreign hook at PATH unless --force, which keeps it; then
# uninstall removes appctl's shim only.
install_cycle()
{
	local platform=$1 dir=$2 path=$3 hook=$4 before
	expect_exit 0 "$APPCTL" -C "$dir" hook install --platform "$platform" "$hook"
	expect_stdout_contains "installed $path "
	expect_shim "$path" "$platform" "$hook"
	before=$(cat "$path")
	expect_exit 0 "$APPCTL" -C "$dir" hook install --platform "$platform" "$hook"
	expect_stdout_contains "installed $path again"
	expect_equal "$before" "$(cat "$path")" "$platform: the shim installed again"

	printf '#!/bin/sh\n# the site'"'"'s own hook\nexit 0\n' >"$path"
	expect_exit 1 "$APPCTL" -C "$dir" hook install --platform "$platform" "$hook"
	expect_stderr_contains "is not appctl's; nothing was changed"
	expect_stderr_contains "--force"
	grep -q "the site's own hook" "$path" || fail "$platform: foreign hook changed"
	[ ! -e "$path.before-appctl" ] || fail "$platform: a backup without --force"
	expect_exit 0 "$APPCTL" -C "$dir" hook install --platform "$platform" --force "$hook"
	expect_stdout_contains "kept as $path.before-appctl"
	expect_shim "$path" "$platform" "$hook"
	grep -q "the site's own hook" "$path.before-appctl" || fail "$platform: backup"
	rm "$path.before-appctl"

	expect_exit 0 "$APPCTL" -C "$dir" hook uninstall --platform "$platform"
	expect_stdout_contains "removed $path"
	[ ! -e "$path" ] || fail "$platform: uninstall left $path"
}

# The layout of every platform, as its server expects it.
test_install_layouts()
{
	local name here
	here=$(pwd -P)
	# plain git and git http-backend: the repository's hooks directory.
	for name in plain http; do
		new_bare_repo "$name.git"
		install_cycle "$name" "$name.git" "$here/$name.git/hooks/pre-receive" pre-receive
		install_cycle "$name" "$name.git" "$here/$name.git/hooks/update" update
	done
	# --server is the plain server; the default for a clone stays pre-push.
	expect_exit 0 "$APPCTL" -C plain.git hook install --server
	expect_shim plain.git/hooks/pre-receive plain pre-receive
	new_repo clone
	expect_exit 0 "$APPCTL" -C clone hook install
	expect_shim clone/.git/hooks/pre-push plain pre-push

	# gitolite: a repo-specific hook in gitolite-admin's local/ (LOCAL_CODE);
	# gitolite keeps update for itself.
	new_repo gitolite-admin
	mkdir -p gitolite-admin/conf
	install_cycle gitolite gitolite-admin \
		"gitolite-admin/local/hooks/repo-specific/appctl" pre-receive
	expect_exit 0 "$APPCTL" -C gitolite-admin hook install --platform gitolite
	expect_stdout_contains "LOCAL_CODE"
	expect_stdout_contains "option hook.pre-receive = appctl"
	expect_exit 2 "$APPCTL" -C gitolite-admin hook install --platform gitolite update
	expect_stderr_contains "gitolite runs no update hook"

	# Gitea and Forgejo: next to the server's own hooks, which stay.
	for name in gitea forgejo; do
		new_bare_repo "$name.git"
		printf '#!/bin/sh\n# %s own pre-receive\n' "$name" >"$name.git/hooks/pre-receive"
		chmod +x "$name.git/hooks/pre-receive"
		install_cycle "$name" "$name.git" "$here/$name.git/hooks/pre-receive.d/appctl" pre-receive
		install_cycle "$name" "$name.git" "$here/$name.git/hooks/update.d/appctl" update
		grep -q "$name own pre-receive" "$name.git/hooks/pre-receive" \
			|| fail "$name's own hook changed"
	done

	# GitLab: custom_hooks/ of the repository at its hashed path.
	mkdir -p repositories/@hashed/ab/cd
	new_bare_repo repositories/@hashed/ab/cd/abcd.git
	install_cycle gitlab repositories/@hashed/ab/cd/abcd.git \
		"$here/repositories/@hashed/ab/cd/abcd.git/custom_hooks/pre-receive.d/appctl" pre-receive
	install_cycle gitlab repositories/@hashed/ab/cd/abcd.git \
		"$here/repositories/@hashed/ab/cd/abcd.git/custom_hooks/update.d/appctl" update
	# ...or a tarball's custom_hooks/ for `gitaly hooks set`, no repository.
	mkdir -p tarball/custom_hooks
	expect_exit 0 "$APPCTL" hook install --platform gitlab --into tarball/custom_hooks/pre-receive.d
	expect_shim tarball/custom_hooks/pre-receive.d/appctl gitlab pre-receive
	expect_stdout_contains "gitaly hooks set"

	# Usage errors name the platforms.
	expect_exit 2 "$APPCTL" -C plain.git hook install --platform nonsense
	expect_stderr_contains "plain, http, gitolite, gitea, forgejo, gitlab"
	expect_exit 2 "$APPCTL" -C gitea.git hook install --server --platform gitea
	expect_exit 2 "$APPCTL" -C gitea.git hook install --platform gitea pre-push
	expect_exit 2 "$APPCTL" hook pre-receive --platform nonsense </dev/null
}

# `hook --help` lists the platforms from the table, and the page in
# docs/commands is exactly what it prints (both rendered as text).
test_help_lists_platforms()
{
	local name
	"$APPCTL" __render-help <"$APPCTL_SOURCE_DIR/docs/commands/hook.md" >page.txt ||
		fail "__render-help"
	expect_exit 0 "$APPCTL" hook --help
	cmp -s "$OUT" page.txt || {
		diff page.txt "$OUT" >&2
		fail "docs/commands/hook.md differs from 'appctl hook --help' (its PLATFORMS section is made from the table)"
	}
	for name in plain http gitolite gitea forgejo gitlab; do
		grep -qx "    $name" "$OUT" || fail "--help does not list $name"
	done
}

# A server with the org's log, branches and tags, pushed before any hook.
org_server()
{
	org_repo r
	new_bare_repo srv.git
	expect_exit 0 git -C r push --atomic "$PWD/srv.git" "$LOG" \
		'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'
	grant_dan r
	# dev straight into prod: what every server refuses.
	PROD_LINE="$(ref_id srv.git prod) $(ref_id r dev) refs/heads/prod"
}

# The prefix: none on a plain server, GitLab's where GitLab runs the hook.
test_prefix()
{
	org_server
	# A real push through a plain server: "remote: appctl: ...", no prefix.
	expect_exit 0 "$APPCTL" -C srv.git hook install --platform plain
	save_refs srv.git
	expect_exit 1 git -C r push "$PWD/srv.git" dev:prod
	expect_stderr_contains "remote: appctl: refs/heads/prod: 'prod' is a protected environment"
	! grep -q 'GL-HOOK-ERR' "$ERR" || fail "GitLab's prefix on a plain server"
	expect_refs_unchanged srv.git

	# The shim installed for GitLab, run as GitLab runs it.
	expect_exit 0 "$APPCTL" -C srv.git hook install --platform gitlab
	echo "$PROD_LINE" >in.txt
	run env GIT_DIR="$PWD/srv.git" srv.git/custom_hooks/pre-receive.d/appctl <in.txt
	expect_equal 1 "$STATUS" "exit of the gitlab shim"
	grep -q "^GL-HOOK-ERR: appctl: refs/heads/prod: 'prod' is a protected environment" "$ERR" \
		|| fail "no GL-HOOK-ERR: line from the gitlab shim"
	# The plain shim on a GitLab server (GitLab sets GL_ID for every hook).
	run env GIT_DIR="$PWD/srv.git" GL_ID=user-1 srv.git/hooks/pre-receive <in.txt
	expect_equal 1 "$STATUS" "exit of the plain shim with GL_ID"
	grep -q "^GL-HOOK-ERR: appctl: refs/heads/prod: " "$ERR" || fail "GL_ID: no prefix"
	run env GIT_DIR="$PWD/srv.git" srv.git/hooks/pre-receive <in.txt
	expect_equal 1 "$STATUS" "exit of the plain shim"
	grep -q "^appctl: refs/heads/prod: " "$ERR" || fail "plain: not 'appctl:' first"
	# A shim that names its platform wins over the environment.
	run env GIT_DIR="$PWD/srv.git" GL_ID=user-1 "$APPCTL" hook pre-receive --platform gitea <in.txt
	expect_equal 1 "$STATUS" "exit with --platform gitea"
	! grep -q 'GL-HOOK-ERR' "$ERR" || fail "--platform gitea printed GitLab's prefix"
	run env GIT_DIR="$PWD/srv.git" "$APPCTL" hook update --platform gitlab -- \
		refs/heads/prod $(ref_id srv.git prod) $(ref_id r dev)
	expect_equal 1 "$STATUS" "exit of update --platform gitlab"
	grep -q "^GL-HOOK-ERR: appctl: refs/heads/prod: " "$ERR" || fail "update: no prefix"

	# gitolite: gitolite's own driver (3.6.12, when installed) runs the
	# repo-specific shim through symlinks; refusals have no prefix.
	local driver=/usr/share/gitolite3/triggers/repo-specific-hooks
	if [ -f "$driver" ]; then
		mkdir -p admin
		expect_exit 0 "$APPCTL" -C admin hook install --platform gitolite
		sed '1,/^__DATA__$/d' "$driver" >multi-hook-driver
		chmod +x multi-hook-driver
		rm -f srv.git/hooks/*.sample
		ln -sf "$PWD/multi-hook-driver" srv.git/hooks/pre-receive
		ln -s "$PWD/admin/local/hooks/repo-specific/appctl" srv.git/hooks/pre-receive.h00-appctl
		expect_exit 1 git -C r push "$PWD/srv.git" dev:prod
		expect_stderr_contains "remote: appctl: refs/heads/prod: 'prod' is a protected environment"
		! grep -q 'GL-HOOK-ERR' "$ERR" || fail "GitLab's prefix on gitolite"
		expect_refs_unchanged srv.git
		expect_exit 0 git -C r push "$PWD/srv.git" dev
	fi
}

# ---- a repository another account owns ----

# in_repo ENV...: runs git, then the hook, in srv.git as git runs hooks
# there (but without GIT_DIR, unless ENV sets it), with ENV; sets
# GIT_STATUS and STATUS.
in_repo()
{
	echo "$ZERO_ID $SOME_ID refs/heads/feature" >in.txt
	(cd srv.git && env "$@" git rev-parse --git-dir) >/dev/null 2>"$TEST_ROOT/git.err"
	GIT_STATUS=$?
	run env "$@" sh -c 'cd srv.git && exec "$0" hook pre-receive' "$APPCTL" <in.txt
}

# git_and_appctl WHAT accept|refuse ENV...: git and appctl agree.
git_and_appctl()
{
	local what=$1 want=$2
	shift 2
	in_repo "$@"
	if [ "$want" = accept ]; then
		expect_equal 0 "$GIT_STATUS" "git, $what"
		expect_equal 0 "$STATUS" "appctl, $what (stderr: $(head -c 300 "$ERR"))"
	else
		expect_equal 128 "$GIT_STATUS" "git, $what"
		grep -q "dubious ownership" "$TEST_ROOT/git.err" || fail "git, $what: not about ownership"
		expect_equal 4 "$STATUS" "appctl, $what"
		expect_stderr_contains "repository '$REPO' is owned by nobody (uid $(id -u nobody))"
		expect_stderr_contains "git config --global --add safe.directory $REPO"
	fi
}

test_safe_directory()
{
	if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
		echo "# skipped: needs root and a 'nobody' account"
		return
	fi
	new_bare_repo srv.git
	REPO=$(cd srv.git && pwd -P)
	chown -R nobody srv.git
	rm -f "$HOME/.gitconfig"

	git_and_appctl "no safe.directory" refuse X=1
	# As git runs hooks: GIT_DIR names the repository, which git checked.
	git_and_appctl "GIT_DIR" accept GIT_DIR=.
	git_and_appctl "GIT_CONFIG_COUNT" accept GIT_CONFIG_COUNT=1 \
		GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0="$REPO"
	git_and_appctl "GIT_CONFIG_COUNT, '*', key in capitals" accept GIT_CONFIG_COUNT=1 \
		GIT_CONFIG_KEY_0=Safe.Directory GIT_CONFIG_VALUE_0='*'
	git_and_appctl "git -c (GIT_CONFIG_PARAMETERS)" accept \
		"GIT_CONFIG_PARAMETERS='safe.directory'='$REPO'"
	git_and_appctl "a trailing slash" refuse GIT_CONFIG_COUNT=1 \
		GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0="$REPO/"
	# The repository's own config is its owner's, not trusted for this.
	git config --file srv.git/config safe.directory '*'
	git_and_appctl "the repository's own config" refuse X=1
	git config --file srv.git/config --unset safe.directory

	printf '[safe]\n\tdirectory = *\n' >"$HOME/.gitconfig"
	git_and_appctl "global '*'" accept X=1
	git_and_appctl "global '*', then an empty value" refuse GIT_CONFIG_COUNT=1 \
		GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=
	# "~" is the home directory; the path is compared as spelled.
	git_and_appctl "~/srv.git" accept HOME="${REPO%/srv.git}" GIT_CONFIG_COUNT=1 \
		GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='~/srv.git'
	git_and_appctl "~/sub/../srv.git" refuse HOME="${REPO%/srv.git}" GIT_CONFIG_COUNT=1 \
		GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='~/sub/../srv.git'
	printf '[safe]\n\tdirectory = %s\n' "$REPO" >"$HOME/.gitconfig"
	git_and_appctl "global, the path" accept X=1
	git_and_appctl "GIT_CONFIG_NOSYSTEM off, no system file" accept \
		GIT_CONFIG_NOSYSTEM=0 GIT_CONFIG_SYSTEM=/nonexistent
	rm "$HOME/.gitconfig"

	# Commands run by hand: as `git -C`.
	expect_exit 4 "$APPCTL" -C srv.git hook install --platform plain
	expect_stderr_contains "safe.directory $REPO"
	[ ! -e srv.git/hooks/pre-receive ] || fail "installed into a refused repository"
}

# A push as root into a repository `nobody` owns: git itself refuses it
# unless safe.directory; then the hook runs (GIT_DIR set) and judges.
test_safe_directory_push()
{
	if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
		echo "# skipped: needs root and a 'nobody' account"
		return
	fi
	org_server
	expect_exit 0 "$APPCTL" -C srv.git hook install --platform plain
	REPO=$(cd srv.git && pwd -P)
	save_refs srv.git
	chown -R nobody srv.git
	expect_exit 128 git -C r push "$REPO" dev
	expect_stderr_contains "dubious ownership"
	git config --global --add safe.directory "$REPO"
	expect_exit 1 git -C r push "$REPO" dev:prod
	expect_stderr_contains "remote: appctl: refs/heads/prod: 'prod' is a protected environment"
	expect_refs_unchanged srv.git
	expect_exit 0 git -C r push "$REPO" dev
	expect_equal "$(ref_id r dev)" "$(ref_id srv.git dev)" "dev on the server"
	git config --global --unset-all safe.directory
}

# ---- the update hook: one ref at a time ----

test_update_hook_order()
{
	local c1
	org_repo r
	new_bare_repo srv.git
	expect_exit 0 "$APPCTL" -C srv.git hook install --platform plain update
	expect_exit 0 git -C r push --atomic "$PWD/srv.git" "$LOG" \
		'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'
	grant_dan r
	c1=$(ref_id r dev)
	expect_exit 0 git -C r push "$PWD/srv.git" dev
	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging

	# The one atomic push pre-receive takes: update sees each ref alone.
	save_refs srv.git
	expect_exit 1 git -C r push --atomic "$PWD/srv.git" "$LOG" staging \
		refs/tags/release/staging/1
	expect_stderr_contains "remote: appctl: refs/heads/staging: 'staging' is a protected environment"
	expect_stderr_contains "the update hook judges each ref alone, against the log already here: if this push also carries the refs/appctl/log that backs it, push that first, on its own, then this ref"
	expect_stderr_contains "hook declined"
	expect_refs_unchanged srv.git
	# The branch before its log: the same refusal, the same advice.
	expect_exit 1 git -C r push "$PWD/srv.git" staging
	expect_stderr_contains "push that first, on its own"
	expect_refs_unchanged srv.git

	# The documented order: the log, alone; then the branch and its tag.
	expect_exit 0 git -C r push "$PWD/srv.git" "$LOG"
	expect_exit 0 git -C r push --atomic "$PWD/srv.git" staging refs/tags/release/staging/1
	expect_equal "$c1" "$(ref_id srv.git staging)" "staging released on the server"
	expect_equal "$c1" "$(ref_id srv.git refs/tags/release/staging/1)" "release tag"
	expect_equal "$(ref_id r "$LOG")" "$(ref_id srv.git "$LOG")" "the log on the server"
}

run_tests test_install_layouts test_help_lists_platforms test_prefix \
	test_safe_directory test_safe_directory_push test_update_hook_order
