#!/usr/bin/env bash
# progress.sh: long operations count on stderr when it is a terminal
# (script(1) provides one) and never on a pipe or with --json: validate and
# diff over many apps, audit --verify, sync.
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-11-29
export APPCTL_NOTIFY_BUDGET_S=0
unset APPCTL_PROGRESS
export TERM=xterm

make_keys rita ann

# many_apps DIR N: the keyed example org plus N copies of one dashboard.
many_apps()
{
	local i
	keyed_org_repo "$1" "rita ann"
	for i in $(seq 1 "$2"); do
		mkdir -p "$1/apps/copy$i"
		jq --arg n "copy$i" '.name = $n' "$1/apps/ops-dashboard/app.json" \
			>"$1/apps/copy$i/app.json"
	done
	commit_all "$1" "$2 more apps"
}

# on_tty CMD: runs CMD (a string) with a terminal on stdin, stdout and
# stderr; everything it wrote goes to ./tty.out.
on_tty()
{
	script -qec "$1" /dev/null >tty.out 2>&1 </dev/null
	STATUS=$?
}

test_validate_and_diff()
{
	many_apps r 60
	on_tty "'$APPCTL' -C r validate dev"
	[ "$STATUS" -le 1 ] || fail "validate on a terminal: $(cat tty.out)"
	grep -q "validate: [0-9]*/[0-9]* apps checked" tty.out || fail "no counter: $(cat tty.out)"
	grep -q "apps read" tty.out || fail "no reading counter: $(cat tty.out)"
	on_tty "'$APPCTL' -C r diff prod dev"
	grep -q "diff: [0-9]*/[0-9]* app folders compared" tty.out || fail "no diff counter"
	# A pipe, or --json: nothing but the result.
	run "$APPCTL" -C r validate dev
	if grep -q "apps checked\|apps read" "$ERR"; then fail "counter on a pipe"; fi
	on_tty "'$APPCTL' -C r validate --json dev"
	if grep -q "apps checked\|apps read" tty.out; then fail "counter with --json"; fi
	on_tty "'$APPCTL' -C r --json diff prod dev"
	if grep -q "compared" tty.out; then fail "diff counter with --json"; fi
	APPCTL_PROGRESS=0 on_tty "'$APPCTL' -C r validate dev"
	if grep -q "apps checked" tty.out; then fail "counter with APPCTL_PROGRESS=0"; fi
}

test_audit_and_sync()
{
	keyed_org_repo r "rita ann"
	grant_dan r
	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging
	on_tty "'$APPCTL' -C r audit --verify"
	[ "$STATUS" -eq 0 ] || fail "audit on a terminal: $(cat tty.out)"
	grep -q "audit: [0-9]*/[0-9]* events verified" tty.out || fail "no audit counter"
	expect_exit 0 "$APPCTL" -C r audit --verify
	if grep -q "events verified" "$ERR"; then fail "audit counter on a pipe"; fi
	git clone -q r c || fail "clone"
	git -C c config user.email "c@example.com"
	on_tty "'$APPCTL' -C c sync"
	[ "$STATUS" -eq 0 ] || fail "sync on a terminal: $(cat tty.out)"
	grep -q "sync: [0-9]*/[0-9]* events judged" tty.out || fail "no sync counter: $(cat tty.out)"
}

run_tests test_validate_and_diff test_audit_and_sync
