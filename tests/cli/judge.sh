#!/usr/bin/env bash
# judge.sh: events are claims, never facts (SPEC §3, §4). Hand-made events,
# written with tests/tools/forge_event (the project's own event format and
# log append, none of its judging) and pushed with plain `git push` to a
# real `git daemon` whose repositories have the pre-receive hook, must be
# refused by the same judge as `appctl promote`: a rollback to a commit
# never released, an event from the future, a promote from outside its
# source, stale approvals, approvals on a base the environment never held,
# a rollback that re-trusts a removed key, freeze windows, lint errors,
# a definition with a broken \u escape, self-approval as committer, a
# revocation by a key that expired since.
# The same logs make `appctl audit --verify` fail naming the event; a
# forged state.json moves no ref, nor does a log rewritten under the
# clone; `appctl sync` adopts nothing from a
# remote without the hook that the hook would refuse; APPCTL_TODAY changes
# no verdict of a build without test switches. Controls: the honest
# versions of the hand-made pushes are accepted.
#
# Every test runs in a subshell and every check of an attack separately,
# so one run reports every failing check. JUDGE_ONLY="name ..." runs only
# those tests (with or without the test_ prefix).
. "$(dirname "$0")/lib.sh"

: "${FORGE_EVENT:?FORGE_EVENT must name the forge_event test tool}"

export APPCTL_TODAY=2026-11-29
# The example org notifies a receiver that does not exist: keep the
# deliveries in the outbox instead of trying.
export APPCTL_NOTIFY_BUDGET_S=0
SRV="$TEST_ROOT/srv"

# mallory is trusted nowhere; rita2 is rita's second key (test_revoke_expired_key).
make_keys rita ann sam otto mallory rita2

# org_repo DIR [JQ-FILTER]: rita, ann: release managers; sam: security;
# otto: listed in allowed_signers, approves nothing.
org_repo()
{
	keyed_org_repo "$1" "rita ann sam otto" "${@:2}"
}

# An `access` rule: widening access needs security (sam).
ACCESS_RULE='.approvals.rules += [{"when": "access", "group": "security", "count": 1}]'

# ---- two daemons: the tests' clock (APPCTL_TODAY) and the real one ----

trap stop_daemons EXIT
start_daemon
PORT_TEST=$PORT
start_daemon -u APPCTL_TODAY -u APPCTL_NOW
PORT_REAL=$PORT

# server NAME [PORT]: a bare repository with the hook, served as
# git://127.0.0.1:PORT/NAME.git ($URL); $SRV_DIR is its directory.
server()
{
	NAME=$1
	SRV_DIR="$SRV/$1.git"
	new_bare_repo "$SRV_DIR"
	git -C "$SRV_DIR" symbolic-ref HEAD refs/heads/dev
	expect_exit 0 "$APPCTL" -C "$SRV_DIR" hook install --server
	URL="git://127.0.0.1:${2:-$PORT_TEST}/$1.git"
}

# bootstrap DIR NAME [PORT]: a server NAME, and the first push of DIR's org.
bootstrap()
{
	server "$2" "${3:-}"
	git -C "$1" remote add origin "$URL"
	expect_exit 0 git -C "$1" push --atomic origin "$LOG" \
		'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'
}

# srv_org NAME [JQ-FILTER]: the org in ./r, bootstrapped onto server NAME.
srv_org()
{
	org_repo r "${@:2}"
	bootstrap r "$1"
}

# srv_id REF: what the server holds.
srv_id()
{
	ref_id "$SRV_DIR" "$1"
}

# push_env_cmd DIR ENV...: into $PUSH, the push of the log, the
# environments (forced: a rollback is not a fast-forward; the hook
# decides) and every release tag, atomically.
push_env_cmd()
{
	local dir=$1 e
	shift
	PUSH=(git -C "$dir" push --atomic origin "$LOG")
	for e in "$@"; do
		PUSH+=("+refs/heads/$e:refs/heads/$e")
	done
	PUSH+=('refs/tags/release/*:refs/tags/release/*')
}

# push_ok DIR ENV...: that push, accepted.
push_ok()
{
	push_env_cmd "$@"
	expect_exit 0 "${PUSH[@]}"
}

# expect_err_i TEXT: stderr holds TEXT, ignoring case.
expect_err_i()
{
	grep -qiF -- "$1" "$ERR" || fail "stderr lacks '$1' (any case)"
}

# expect_output_i TEXT: stdout or stderr holds TEXT, ignoring case.
expect_output_i()
{
	cat "$OUT" "$ERR" | grep -qiF -- "$1" || fail "output lacks '$1' (any case)"
}

# push_refused DIR KEYWORD ENV...: the hook refuses that push, saying
# KEYWORD (any case; "" for any reason), and no ref of the server moved.
push_refused()
{
	local dir=$1 keyword=$2
	shift 2
	push_env_cmd "$dir" "$@"
	save_refs "$SRV_DIR"
	expect_exit 1 "${PUSH[@]}"
	expect_stderr_contains "pre-receive hook declined"
	[ -z "$keyword" ] || expect_err_i "$keyword"
	expect_refs_unchanged "$SRV_DIR"
}

# audit_flags DIR ID: `appctl audit --verify` fails, naming event ID (its
# first 12 digits at least).
audit_flags()
{
	expect_exit 1 "$APPCTL" -C "$1" audit --verify
	expect_stderr_contains "${2:0:12}"
}

# sync_flags DIR ID: DIR's log, hand-made event included, on a mirror
# without the hook; a fresh clone of the hooked server (the honest log)
# syncing from that mirror exits 1 naming event ID, and none of the
# clone's own refs moves.
sync_flags()
{
	local dir=$1 id=$2 m c
	m="$TEST_ROOT/$TEST_NAME.mirror.git"
	c="$TEST_ROOT/$TEST_NAME.clone"
	rm -rf "$m" "$c"
	git init -q --bare "$m" || fail "git init mirror"
	expect_exit 0 git -C "$dir" push -q "$m" "$LOG" 'refs/heads/*:refs/heads/*' \
		'refs/tags/*:refs/tags/*'
	expect_exit 0 git clone -q "$URL" "$c"
	expect_exit 0 "$APPCTL" -C "$c" sync
	git -C "$c" remote add mirror "$m" || fail "remote add"
	local_refs "$c" >"$TEST_ROOT/sync.before"
	expect_exit 1 "$APPCTL" -C "$c" sync mirror
	expect_stderr_contains "${id:0:12}"
	local_refs "$c" >"$TEST_ROOT/sync.after"
	cmp -s "$TEST_ROOT/sync.before" "$TEST_ROOT/sync.after" ||
		fail "sync from the mirror changed refs of the clone"
}

# sync_accepts DIR: the control of sync_flags: the same mirror holding an
# honest hand-made event is adopted by the fresh clone (exit 0, its log
# now DIR's).
sync_accepts()
{
	local dir=$1 m c
	m="$TEST_ROOT/$TEST_NAME.mirror.git"
	c="$TEST_ROOT/$TEST_NAME.clone"
	rm -rf "$m" "$c"
	git init -q --bare "$m" || fail "git init mirror"
	expect_exit 0 git -C "$dir" push -q "$m" "$LOG" 'refs/heads/*:refs/heads/*' \
		'refs/tags/*:refs/tags/*'
	expect_exit 0 git clone -q "$URL" "$c"
	expect_exit 0 "$APPCTL" -C "$c" sync
	git -C "$c" remote add mirror "$m" || fail "remote add"
	expect_exit 0 "$APPCTL" -C "$c" sync mirror
	expect_equal "$(ref_id "$dir" "$LOG")" "$(ref_id "$c" "$LOG")" "the clone's log"
}

# last_id DIR: the id of the event at the head of DIR's log.
last_id()
{
	git -C "$1" rev-parse "$LOG:event.json"
}

# approve_id DIR KEY ARGS...: a real signed approval; its id in $ID.
approve_id()
{
	approve "$@"
	ID=$(last_id "$1")
}

# forge DIR ARGS...: a hand-made event appended to DIR's log; its id in $FORGED.
forge()
{
	local dir=$1
	shift
	expect_exit 0 "$FORGE_EVENT" -C "$dir" "$@"
	FORGED=$(head -n 1 "$OUT")
	expect_equal "$(last_id "$dir")" "$FORGED" "forged event at the log head"
}

# forge_release DIR ENV ARGS...: a hand-made promote or rollback of ENV,
# then its branch and release tag moved where its state says, as an
# attacker with plumbing would before pushing.
forge_release()
{
	local dir=$1 env=$2 commit release
	shift 2
	forge "$dir" --env "$env" "$@"
	commit=$(git -C "$dir" show "$LOG:state.json" | jq -r --arg e "$env" '.envs[$e].commit')
	release=$(git -C "$dir" show "$LOG:state.json" | jq -r --arg e "$env" '.envs[$e].release')
	git -C "$dir" update-ref "refs/heads/$env" "$commit" || fail "update-ref $env"
	git -C "$dir" update-ref "refs/tags/release/$env/$release" "$commit" || fail "tag"
}

# release DIR ENV: a real `appctl promote ENV` (its approvals given).
release()
{
	expect_exit 0 "$APPCTL" -C "$1" promote "$2"
}

# refused_here DIR KEYWORD CMD...: in a copy of DIR, appctl CMD is
# refused (exit 1) saying KEYWORD (stdout or stderr, any case), and
# changes no ref.
refused_here()
{
	local dir=$1 keyword=$2 copy
	shift 2
	copy="$dir.copy.$RANDOM"
	cp -r "$dir" "$copy" || fail "cp"
	save_refs "$copy"
	expect_exit 1 "$APPCTL" -C "$copy" "$@"
	[ -z "$keyword" ] || expect_output_i "$keyword"
	expect_refs_unchanged "$copy"
}

# ---- checks that do not stop the test ----

CHECKS_FAILED=""

# check WHAT CMD...: runs CMD (which fails through lib.sh's fail) in a
# subshell; a failure is reported and remembered, the test goes on.
check()
{
	local what=$1
	shift
	if ! ( "$@" ); then
		echo "  ^ check failed: $what" >&2
		CHECKS_FAILED="$CHECKS_FAILED
  - $what"
	fi
}

end_checks()
{
	[ -z "$CHECKS_FAILED" ] || fail "failed checks:$CHECKS_FAILED"
}

# ---- controls: the honest versions are accepted ----

# Honest approvals, a hand-made unsigned promote naming them: a clone
# syncing it from a mirror without the hook adopts it; one atomic push:
# accepted, and audit agrees. Then prod, approvals and promote
# hand-made and signed with the right keys.
test_control_promote()
{
	local c1 a1 a2
	srv_org control
	grant_dan r
	c1=$(ref_id r dev)
	expect_exit 0 git -C r push origin dev
	approve_id r rita staging
	a1=$ID
	approve_id r ann staging
	a2=$ID
	forge_release r staging --type promote --approval "$a1" --approval "$a2"
	git -C r show "$LOG:event.json" | jq -e '.verified == false' >/dev/null \
		|| fail "the control promote should be unsigned"
	sync_accepts r
	push_ok r staging
	expect_equal "$c1" "$(srv_id staging)" "staging on the server"
	expect_equal "$c1" "$(srv_id refs/tags/release/staging/1)" "release tag on the server"
	expect_exit 0 "$APPCTL" -C r audit --verify

	# prod: the approvals hand-made too (signed, on the base prod holds),
	# and the promote signed by rita.
	forge r --type approve --env prod --principal rita@example.com --key "$KEYS/rita"
	a1=$FORGED
	forge r --type approve --env prod --principal ann@example.com --key "$KEYS/ann"
	a2=$FORGED
	git -C r show "$LOG:event.json" | jq -e --arg c "$c1" --arg b "$(ref_id r prod)" \
		'.commit == $c and .base == $b and .verified' >/dev/null || fail "forged approval"
	forge_release r prod --type promote --key "$KEYS/rita" \
		--principal rita@example.com --approval "$a1" --approval "$a2"
	git -C r cat-file -e "$LOG:event.json.sig" || fail "promote not signed"
	push_ok r prod
	expect_equal "$c1" "$(srv_id prod)" "prod on the server"
	expect_exit 0 "$APPCTL" -C r audit --verify
}

# A hand-made rollback to the real commit of release 0, which re-grants
# access and so carries the normal approvals of that move: accepted.
test_control_rollback()
{
	local c0 c1 a1 a2
	srv_org ctlrollback
	c0=$(ref_id r dev)
	edit_app r billing-admin '.roles.Finance.members = []' "finance loses billing"
	c1=$(ref_id r dev)
	expect_exit 0 git -C r push origin dev
	approve r rita staging
	approve r ann staging
	release r staging
	push_ok r staging
	approve_id r rita staging "$c0"
	a1=$ID
	approve_id r ann staging "$c0"
	a2=$ID
	forge_release r staging --type rollback --rollback-to 0 --to "$c0" \
		--approval "$a1" --approval "$a2"
	push_ok r staging
	expect_equal "$c0" "$(srv_id staging)" "staging rolled back on the server"
	expect_equal "$c0" "$(srv_id refs/tags/release/staging/2)" "release 2 tag"
	expect_equal "$c1" "$(srv_id refs/tags/release/staging/1)" "release 1 tag"
	expect_exit 0 "$APPCTL" -C r audit --verify
}

# ---- the attacks ----

# 1. A rollback whose `to` is no release at all: an attacker's commit on
# dev that drops every approval requirement and trusts mallory's key.
test_rollback_to_unreleased()
{
	local evil
	srv_org unreleased
	grant_dan r
	expect_exit 0 git -C r push origin dev
	approve r rita staging
	approve r ann staging
	release r staging
	push_ok r staging
	jq '.approvals.required = {"dashboard": 0, "admin_panel": 0, "client_portal": 0}
	    | .approvals.rules = []' r/appctl.json >r/tmp.json && mv r/tmp.json r/appctl.json
	echo "mallory@example.com namespaces=\"appctl\" $(cut -d' ' -f1,2 "$KEYS/mallory.pub")" \
		>>r/allowed_signers
	commit_all r "nothing needs approval; mallory signs"
	evil=$(ref_id r dev)
	expect_exit 0 "$APPCTL" -C r validate "$evil"
	expect_exit 0 git -C r push origin dev
	forge_release r staging --type rollback --rollback-to 0 --to "$evil"
	check "hook refuses the rollback (not the commit of release)" \
		push_refused r "not the commit of release" staging
	check "audit --verify names the rollback" audit_flags r "$FORGED"
	check "sync from a hook-less mirror refuses the rollback" sync_flags r "$FORGED"
	end_checks
}

# 2. A promote dated years ahead: as of its date the temporary member has
# expired, so the access widening (which needs security) would vanish.
test_future_dated()
{
	local exp when a1 a2
	exp=$(date -u -d '+1 year' +%Y-%m-%d)
	when=$(date -u -d '+5 years' +%Y-%m-%dT%H:%M:%SZ)
	srv_org future "$ACCESS_RULE"
	edit_app r billing-admin ".roles.Finance.members += [{\"principal\": \"tom@example.com\", \"expires\": \"$exp\"}]" \
		"tom helps out until $exp"
	expect_exit 0 git -C r push origin dev
	approve r rita staging
	approve r ann staging
	approve r sam staging
	release r staging
	push_ok r staging
	approve_id r rita prod
	a1=$ID
	approve_id r ann prod
	a2=$ID
	# Today the change widens access, and security did not approve.
	refused_here r "" promote prod
	forge_release r prod --type promote --time "$when" --approval "$a1" --approval "$a2"
	check "hook refuses the promote (in the future)" push_refused r "in the future" prod
	check "audit --verify names the promote" audit_flags r "$FORGED"
	check "sync from a hook-less mirror refuses the promote" sync_flags r "$FORGED"
	end_checks
}

# 3. A promote of prod from a commit staging no longer holds (rolled back),
# with the approvals given for it on prod while staging held it.
test_not_on_source()
{
	local c1 a1 a2
	srv_org source
	grant_dan r
	c1=$(ref_id r dev)
	expect_exit 0 git -C r push origin dev
	approve r rita staging
	approve r ann staging
	release r staging
	approve_id r rita prod
	a1=$ID
	approve_id r ann prod
	a2=$ID
	expect_exit 0 "$APPCTL" -C r rollback staging
	push_ok r staging
	forge_release r prod --type promote --to "$c1" --approval "$a1" --approval "$a2"
	check "hook refuses the promote (not on its source)" push_refused r "not on its source" prod
	check "audit --verify names the promote" audit_flags r "$FORGED"
	check "sync from a hook-less mirror refuses the promote" sync_flags r "$FORGED"
	end_checks
}

# 4. Approvals of X on base B, used by release 1; prod rolled back to B;
# a hand-made promote of X names the same approvals again.
test_stale_approvals()
{
	local c1 a1 a2
	srv_org stale
	grant_dan r
	c1=$(ref_id r dev)
	expect_exit 0 git -C r push origin dev
	approve r rita staging
	approve r ann staging
	release r staging
	approve_id r rita prod
	a1=$ID
	approve_id r ann prod
	a2=$ID
	release r prod
	expect_exit 0 "$APPCTL" -C r rollback prod
	push_ok r staging prod
	# appctl itself no longer counts them.
	refused_here r "" promote prod
	forge_release r prod --type promote --to "$c1" --approval "$a1" --approval "$a2"
	check "hook refuses the promote (stale)" push_refused r "stale" prod
	check "audit --verify names the promote" audit_flags r "$FORGED"
	check "sync from a hook-less mirror refuses the promote" sync_flags r "$FORGED"
	end_checks
}

# 5. An approval whose base is a side branch (never prod's) whose
# allowed_signers makes mallory's key alice@example.com.
test_approve_base_not_held()
{
	local c0 c1
	srv_org held
	c0=$(ref_id r dev)
	grant_dan r
	c1=$(ref_id r dev)
	expect_exit 0 git -C r push origin dev
	git -C r checkout -q -b side "$c0" || fail "checkout"
	echo "alice@example.com namespaces=\"appctl\" $(cut -d' ' -f1,2 "$KEYS/mallory.pub")" \
		>>r/allowed_signers
	commit_all r "alice (mallory's key)"
	git -C r checkout -q dev || fail "checkout dev"
	# Feature branches are free: the side commit is on the server.
	expect_exit 0 git -C r push origin side
	forge r --type approve --env prod --commit "$c1" --base side \
		--principal alice@example.com --key "$KEYS/mallory"
	check "hook refuses the approval (base never held)" push_refused_log r "held"
	check "audit --verify names the approval" audit_flags r "$FORGED"
	check "sync from a hook-less mirror refuses the approval" sync_flags r "$FORGED"
	end_checks
}

# push_refused_log DIR KEYWORD: a push of the log alone, refused.
push_refused_log()
{
	save_refs "$SRV_DIR"
	expect_exit 1 git -C "$1" push origin "$LOG"
	expect_stderr_contains "pre-receive hook declined"
	expect_err_i "$2"
	expect_refs_unchanged "$SRV_DIR"
}

# 6. Release 1 of prod removed otto's key; rolling back to release 0
# trusts it again: a policy change that needs two release managers.
test_rollback_retrusts_key()
{
	local c0
	srv_org retrust
	c0=$(ref_id r dev)
	sed -i '/^otto@example.com /d' r/allowed_signers
	commit_all r "otto's key is withdrawn"
	expect_exit 0 git -C r push origin dev
	approve r rita staging
	approve r ann staging
	release r staging
	approve r rita prod
	approve r ann prod
	release r prod
	push_ok r staging prod
	check "appctl rollback prod is refused (policy)" refused_here r "policy" rollback prod
	forge_release r prod --type rollback --rollback-to 0 --to "$c0"
	check "hook refuses the rollback (policy)" push_refused r "policy" prod
	check "audit --verify names the rollback" audit_flags r "$FORGED"
	check "sync from a hook-less mirror refuses the rollback" sync_flags r "$FORGED"
	end_checks
}

FREEZE_PROD='.freeze = [{"envs": ["prod"], "from": "2000-01-01", "to": "2999-12-31",
	"reason": "year-end close"}]'

# 7a. A freeze window over prod: honestly approved, still frozen.
test_frozen()
{
	local a1 a2
	srv_org frozen "$FREEZE_PROD"
	grant_dan r
	expect_exit 0 git -C r push origin dev
	approve r rita staging
	approve r ann staging
	release r staging
	approve_id r rita prod
	a1=$ID
	approve_id r ann prod
	a2=$ID
	push_ok r staging
	check "appctl promote prod is refused (frozen)" refused_here r "frozen" promote prod
	forge_release r prod --type promote --approval "$a1" --approval "$a2"
	check "hook refuses the promote (frozen)" push_refused r "frozen" prod
	check "audit --verify names the promote" audit_flags r "$FORGED"
	check "sync from a hook-less mirror refuses the promote" sync_flags r "$FORGED"
	end_checks
}

# 7b. A literal secret (a lint error, still valid JSON): honestly
# approved, never released.
test_lint_error()
{
	local a1 a2
	srv_org lint
	edit_app r ops-dashboard \
		'.integrations.datadog.credential.dev = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"' \
		"a literal secret"
	expect_exit 0 git -C r push origin dev
	approve_id r rita staging
	a1=$ID
	approve_id r sam staging
	a2=$ID
	refused_here r "lint" promote staging
	forge_release r staging --type promote --approval "$a1" --approval "$a2"
	check "hook refuses the promote (lint)" push_refused r "lint" staging
	check "audit --verify names the promote" audit_flags r "$FORGED"
	check "sync from a hook-less mirror refuses the promote" sync_flags r "$FORGED"
	end_checks
}

# A definition whose \u escape lacks its four hex digits: cJSON read
# "Ops\uZZZZ team" as "Ops", so the text under review was not what was
# judged. It is invalid input for every reader now: `appctl promote` exits
# 3, and the hand-made promote of that commit is refused by the hook,
# audit and sync. The control is test_control_promote.
test_bad_escape()
{
	local a1 a2 f=r/apps/billing-admin/app.json copy
	srv_org escape
	edit_app r billing-admin '.roles.Finance.description = "Ops ESCAPE team"' \
		"a description"
	sed -i 's/Ops ESCAPE team/Ops\\uZZZZ team/' "$f"
	grep -qF 'Ops\uZZZZ team' "$f" || fail "fixture edit"
	commit_all r "a bad escape"
	expect_exit 0 git -C r push origin dev
	approve_id r rita staging
	a1=$ID
	approve_id r ann staging
	a2=$ID
	copy="r.copy.$RANDOM"
	cp -r r "$copy" || fail "cp"
	save_refs "$copy"
	expect_exit 3 "$APPCTL" -C "$copy" promote staging
	expect_stderr_contains "apps/billing-admin/app.json"
	expect_stderr_contains "four hex digits"
	expect_refs_unchanged "$copy"
	forge_release r staging --type promote --approval "$a1" --approval "$a2"
	check "hook refuses the promote (escape)" push_refused r "four hex digits" staging
	check "audit --verify names the promote" audit_flags r "$FORGED"
	check "sync from a hook-less mirror refuses the promote" sync_flags r "$FORGED"
	end_checks
}

# no_roll_forward SRC CMD...: in a fresh copy of SRC, appctl CMD moves,
# creates and deletes no ref (the exit status is left in $STATUS).
no_roll_forward()
{
	local src=$1 copy
	shift
	copy="$src.copy.$RANDOM"
	cp -r "$src" "$copy" || fail "cp"
	save_refs "$copy"
	run "$APPCTL" -C "$copy" "$@"
	if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
		-e 'runtime error:' "$ERR"; then
		fail "sanitizer report: $*"
	fi
	expect_refs_unchanged "$copy"
}

status_refuses_state()
{
	no_roll_forward "$1" status
	[ "$STATUS" -ne 0 ] || fail "status exited 0"
	expect_output_i "state.json"
}

# 8. state.json is a cache: a hand-made log head whose state.json says
# prod moved (the event does not say so, or is not backed) moves nothing.
test_forged_state()
{
	local c0 evil init_id state
	org_repo base
	c0=$(ref_id base dev)
	init_id=$(last_id base)
	grant_dan base
	evil=$(ref_id base dev)

	# A signed approval whose state.json claims release 1 of prod at evil.
	cp -r base lying
	git -C lying show "$LOG:state.json" |
		jq -cS --arg c "$evil" --arg p "$c0" --arg e "$init_id" \
		'.seq += 1 | .envs.prod = {commit: $c, event: $e, previous: $p, release: 1}' \
		>lying.state.json
	forge lying --type approve --env staging --principal rita@example.com \
		--key "$KEYS/rita" --state-json lying.state.json
	git -C lying show "$LOG:state.json" | jq -e --arg c "$evil" '.envs.prod.commit == $c' \
		>/dev/null || fail "the lying state.json was not stored"
	check "status moves nothing and names state.json" status_refuses_state lying
	check "history prod moves nothing" no_roll_forward lying history prod
	check "audit --verify moves nothing" no_roll_forward lying audit --verify
	check "audit --verify names the event" audit_flags lying "$FORGED"

	# An unapproved promote of prod to evil, its state.json honest.
	cp -r base unbacked
	forge unbacked --type promote --env prod --source staging --to "$evil"
	check "status moves nothing (unbacked promote)" no_roll_forward unbacked status
	check "history prod moves nothing (unbacked promote)" no_roll_forward unbacked history prod
	check "audit --verify moves nothing (unbacked promote)" no_roll_forward unbacked audit --verify
	check "audit --verify names the unbacked promote" audit_flags unbacked "$FORGED"
	end_checks
}

# A log replaced by one with another root (a forced fetch of a hostile
# remote's log): it shares nothing with what this clone verified, so
# nothing acts on it, however valid it is on its own; the documented way
# out (deleting the record of the verified head) judges it from its root.
test_rewritten_log()
{
	org_repo r
	expect_exit 0 "$APPCTL" -C r status
	# Another policy, so that the two logs differ from their root on.
	org_repo other '.groups.support += ["eve@example.com"]'
	grant_dan other
	expect_exit 0 git -C r fetch -q ../other "+$LOG:$LOG"
	save_refs r
	expect_exit 1 "$APPCTL" -C r status
	expect_stderr_contains "another history"
	expect_exit 1 "$APPCTL" -C r promote staging
	expect_stderr_contains "another history"
	expect_refs_unchanged r
	rm r/.git/appctl/verified-log
	expect_exit 0 "$APPCTL" -C r history staging
}

# local_refs DIR: the refs of DIR that are its own (not copies of a remote's).
local_refs()
{
	git -C "$1" for-each-ref --format='%(objectname) %(refname)' |
		grep -v -e ' refs/remotes/' -e ' refs/appctl/remote/'
	git -C "$1" symbolic-ref -q HEAD
	true
}

# sync_refuses DIR NEEDLE: `appctl sync` exits 1 naming NEEDLE, and no
# ref of DIR's own changed.
sync_refuses()
{
	local_refs "$1" >"$TEST_ROOT/local.before"
	expect_exit 1 "$APPCTL" -C "$1" sync
	expect_stderr_contains "$2"
	local_refs "$1" >"$TEST_ROOT/local.after"
	if ! cmp -s "$TEST_ROOT/local.before" "$TEST_ROOT/local.after"; then
		diff "$TEST_ROOT/local.before" "$TEST_ROOT/local.after" >&2
		fail "sync changed refs of $1"
	fi
}

# plain_org DIR REMOTE CLONE: DIR's org pushed to a bare repository
# without the hook, and CLONE of it completed by `appctl sync`.
plain_org()
{
	org_repo "$1"
	new_bare_repo "$2"
	git -C "$2" symbolic-ref HEAD refs/heads/dev
	git -C "$1" remote add origin "$PWD/$2"
	expect_exit 0 git -C "$1" push --atomic origin "$LOG" \
		'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'
	git clone -q "$2" "$3" || fail "git clone"
	git -C "$3" config user.name "Clone $3"
	git -C "$3" config user.email "$3@example.com"
	expect_exit 0 "$APPCTL" -C "$3" sync
}

# 9. A remote without the hook carries what the hook would refuse: sync
# judges every event it fetches and adopts none of it.
test_sync_hookless()
{
	local evil lc
	plain_org r plain.git c
	grant_dan r
	evil=$(ref_id r dev)
	forge_release r prod --type promote --source staging --to "$evil"
	expect_exit 0 git -C r push --atomic origin "$LOG" dev +prod \
		'refs/tags/release/*:refs/tags/release/*'
	check "sync refuses the unapproved promote" sync_refuses c "${FORGED:0:12}"
	check "audit --verify names the promote" audit_flags r "$FORGED"

	# A malformed event below the remote's head (a valid one on top).
	plain_org r2 plain2.git c2
	append_event r2 '{"type": "approve", "env": "prod"}'
	lc=$(git -C r2 rev-parse "$LOG")
	forge r2 --type approve --env staging --commit dev --base staging \
		--principal rita@example.com --key "$KEYS/rita"
	expect_exit 0 git -C r2 push origin "$LOG"
	check "sync refuses the malformed event" sync_refuses c2 "${lc:0:12}"
	end_checks
}

# 10. rita commits carol's change (carol the author, rita the committer)
# and approves it: she may not count.
test_self_committer()
{
	local a1 a2
	srv_org self
	jq '.roles.Finance.members += ["dan@example.com"]' r/apps/billing-admin/app.json \
		>r/tmp.json && mv r/tmp.json r/apps/billing-admin/app.json
	git -C r add -A || fail "git add"
	GIT_AUTHOR_NAME=Carol GIT_AUTHOR_EMAIL=carol@example.com \
		git -C r -c user.name=Rita -c user.email=rita@example.com \
		commit -q -m "dan joins Finance" || fail "commit"
	expect_equal "carol@example.com rita@example.com" \
		"$(git -C r log -1 --format='%ae %ce')" "author and committer"
	expect_exit 0 git -C r push origin dev
	approve_id r rita staging
	a1=$ID
	approve_id r ann staging
	a2=$ID
	check "appctl promote staging is refused (self)" refused_here r "self" promote staging
	forge_release r staging --type promote --approval "$a1" --approval "$a2"
	check "hook refuses the promote (self)" push_refused r "self" staging
	check "audit --verify names the promote" audit_flags r "$FORGED"
	check "sync from a hook-less mirror refuses the promote" sync_flags r "$FORGED"
	end_checks
}

# 11. rita approves with her first key and revokes with her second while
# it is valid; once that key has expired, the revocation still stands.
# Real clocks here: the daemon on $PORT_REAL runs without APPCTL_TODAY.
REVOKE_WINDOW_S=${JUDGE_REVOKE_WINDOW_S:-12}
test_revoke_expired_key()
{
	local a1 a2 deadline vb k
	unset APPCTL_TODAY APPCTL_NOW
	deadline=$(($(date +%s) + REVOKE_WINDOW_S))
	vb=$(date -u -d "@$deadline" +%Y%m%d%H%M%SZ)
	new_repo r
	cp -r "$APPCTL_SOURCE_DIR/examples/org/." r/
	for k in rita ann sam otto; do
		echo "$k@example.com namespaces=\"appctl\" $(cut -d' ' -f1,2 "$KEYS/$k.pub")"
	done >>r/allowed_signers
	echo "rita@example.com namespaces=\"appctl\",valid-before=\"$vb\" $(cut -d' ' -f1,2 "$KEYS/rita2.pub")" \
		>>r/allowed_signers
	commit_all r "rita's second key, valid until $vb"
	expect_exit 0 "$APPCTL" -C r init
	bootstrap r revoke "$PORT_REAL"
	grant_dan r
	expect_exit 0 git -C r push origin dev
	approve_id r rita staging
	a1=$ID
	approve_id r ann staging
	a2=$ID
	expect_exit 0 "$APPCTL" -C r approve --revoke --key "$KEYS/rita2" staging
	expect_stdout_contains "revoked rita@example.com's approval"
	# Logged (and received by the server) while the key is valid.
	expect_exit 0 git -C r push origin "$LOG"
	[ "$(date +%s)" -lt "$deadline" ] ||
		fail "the revocation reached the server after $vb: raise JUDGE_REVOKE_WINDOW_S"
	while [ "$(date +%s)" -le "$deadline" ]; do
		sleep 1
	done
	check "appctl promote staging is refused (revoked)" refused_here r "revoked" promote staging
	forge_release r staging --type promote --approval "$a1" --approval "$a2"
	check "hook refuses the promote relying on the revoked approval" push_refused r "" staging
	check "audit --verify names the promote" audit_flags r "$FORGED"
	check "sync from a hook-less mirror refuses the promote" sync_flags r "$FORGED"
	end_checks
}

# 12. APPCTL_TODAY is a test switch: a build without them judges by the
# real date. Until $exp the change widens access (security must approve).
test_plain_build_today()
{
	local exp later plain=${APPCTL_PLAIN:-$APPCTL}
	exp=$(date -u -d '+60 days' +%Y-%m-%d)
	later=$(date -u -d '+180 days' +%Y-%m-%d)
	org_repo r "$ACCESS_RULE"
	edit_app r billing-admin ".roles.Finance.members += [{\"principal\": \"tom@example.com\", \"expires\": \"$exp\"}]" \
		"tom helps out until $exp"
	approve r rita staging
	approve r ann staging
	refused_here r "" promote staging
	check "APPCTL_TODAY=$later does not change the verdict of $plain" \
		refused_here_with r env APPCTL_TODAY="$later" "$plain"
	end_checks
}

# refused_here_with DIR CMD-PREFIX...: like refused_here for `promote
# staging`, run through CMD-PREFIX (env, another binary).
refused_here_with()
{
	local dir=$1 copy
	shift
	copy="$dir.copy.$RANDOM"
	cp -r "$dir" "$copy" || fail "cp"
	save_refs "$copy"
	expect_exit 1 "$@" -C "$copy" promote staging
	expect_refs_unchanged "$copy"
}

# ---- the runner: every test in a subshell, the script goes on ----

run_judge_tests()
{
	local t passed=0 failed=""
	for t in "$@"; do
		if [ -n "${JUDGE_ONLY:-}" ] && [[ " $JUDGE_ONLY " != *" $t "* ]] &&
			[[ " $JUDGE_ONLY " != *" ${t#test_} "* ]]; then
			continue
		fi
		mkdir -p "$TEST_ROOT/$t"
		if (TEST_NAME=$t && cd "$TEST_ROOT/$t" && "$t"); then
			echo "ok - $t"
			passed=$((passed + 1))
		else
			echo "not ok - $t"
			failed="$failed $t"
		fi
	done
	if [ -n "$failed" ]; then
		echo "$passed tests passed; failed:$failed"
		exit 1
	fi
	echo "$passed tests passed"
}

run_judge_tests test_control_promote test_control_rollback \
	test_rollback_to_unreleased test_future_dated test_not_on_source \
	test_stale_approvals test_approve_base_not_held test_rollback_retrusts_key \
	test_frozen test_lint_error test_bad_escape test_forged_state test_rewritten_log \
	test_sync_hookless \
	test_self_committer test_revoke_expired_key test_plain_build_today
