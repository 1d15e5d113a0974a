#!/usr/bin/env bash
# notify.sh: webhooks (SPEC §7) against a real HTTP receiver on 127.0.0.1
# (tests/tools/webhook_receiver.c) that checks every Standard Webhooks
# signature: delivery, the outbox and `notify flush`, Retry-After, 410,
# hostile receivers (100 MB answers, no answer, redirects), refused URLs,
# and the webhooks of `appctl promote` / `rollback`.
. "$(dirname "$0")/lib.sh"

: "${WEBHOOK_RECEIVER:?WEBHOOK_RECEIVER must name tests/tools/webhook_receiver}"

EXAMPLE="$APPCTL_SOURCE_DIR/examples/org"
export APPCTL_TODAY=2026-11-29
SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
export HOOK_SECRET=$SECRET
# Short enough to keep the suite fast, long enough for one Retry-After: 1.
export APPCTL_NOTIFY_BUDGET_S=6
KEYS="$TEST_ROOT/keys"

RECEIVER_PID=""
PORT=""

stop_receiver()
{
	if [ -n "$RECEIVER_PID" ]; then
		kill "$RECEIVER_PID" 2>/dev/null
		wait "$RECEIVER_PID" 2>/dev/null
		RECEIVER_PID=""
	fi
}
trap 'stop_receiver; rm -rf "$TEST_ROOT"' EXIT

# start_receiver [PORT]: a receiver logging to ./received, scripted by
# ./control (see webhook_receiver.c), replacing the previous one; sets PORT.
start_receiver()
{
	local i
	stop_receiver
	rm -f port
	"$WEBHOOK_RECEIVER" --secret "$SECRET" --log "$PWD/received" \
		--port-file "$PWD/port" --control "$PWD/control" --lifetime 120 \
		${1:+--port "$1"} >receiver.out 2>&1 &
	RECEIVER_PID=$!
	for i in $(seq 50); do
		[ -s port ] && break
		sleep 0.1
	done
	[ -s port ] || fail "the receiver did not start: $(cat receiver.out)"
	PORT=$(cat port)
}

# script MODE...: what the receiver answers to the next connections.
script()
{
	echo "$*" >control
}

# received: how many requests the receiver got.
received()
{
	if [ -f received ]; then wc -l <received | tr -d ' '; else echo 0; fi
}

# field N [LINE]: column N of request LINE (default: the last) of the log:
# 1 webhook-id, 2 timestamp, 3 verified, 4 path, 5 body.
field()
{
	if [ -n "${2:-}" ]; then
		sed -n "${2}p" received | cut -f"$1"
	else
		tail -n 1 received | cut -f"$1"
	fi
}

# hook_repo DIR [JQ-FILTER]: the example org, its notify entry pointing at
# the receiver (set before init, so every environment's policy has it).
hook_repo()
{
	local k
	new_repo "$1"
	cp -r "$EXAMPLE/." "$1/"
	if [ -d "$KEYS" ]; then
		for k in rita ann; do
			echo "$k@example.com namespaces=\"appctl\" $(cut -d' ' -f1,2 "$KEYS/$k.pub")"
		done >>"$1/allowed_signers"
	fi
	jq --arg u "http://127.0.0.1:$PORT/hook" \
		'.notify = [{"url": $u, "events": ["promote", "rollback"],
		             "secret": "env://HOOK_SECRET", "timeout_s": 2}]' \
		"$1/appctl.json" >"$1/tmp.json" && mv "$1/tmp.json" "$1/appctl.json"
	if [ $# -gt 1 ]; then
		jq "$2" "$1/appctl.json" >"$1/tmp.json" && mv "$1/tmp.json" "$1/appctl.json"
	fi
	commit_all "$1" "example org with a webhook"
	expect_exit 0 "$APPCTL" -C "$1" init
}

# outbox_count DIR
outbox_count()
{
	"$APPCTL" -C "$1" notify list --json | jq '.outbox | length'
}

# timed CODE CMD...: expect_exit, and the seconds it took in $ELAPSED.
timed()
{
	local start=$SECONDS
	expect_exit "$@"
	ELAPSED=$((SECONDS - start))
}

test_delivered_and_verified()
{
	start_receiver
	hook_repo r
	expect_exit 0 "$APPCTL" -C r notify test prod
	expect_stdout_contains "notify: delivered test to http://127.0.0.1:$PORT/hook"
	expect_equal 1 "$(received)" "requests"
	expect_equal yes "$(field 3)" "signature verified by the receiver"
	expect_equal /hook "$(field 4)" "path"
	field 5 | jq -e --arg c "$(ref_id r prod)" \
		'.type == "test" and .data.env == "prod" and .data.to == $c and
		 .data.release == 0 and .data.repository == "r" and
		 .data.principal == "tester@example.com" and (.id | length) == 40' \
		>/dev/null || fail "payload: $(field 5)"
	# The webhook-id is the event id and the endpoint: stable per delivery.
	expect_equal "msg_$(field 5 | jq -r .id)_" "$(field 1 | cut -c1-45)" "webhook-id"
	expect_equal 0 "$(outbox_count r)" "outbox after delivery"
	expect_exit 0 "$APPCTL" -C r notify test prod --json
	expect_equal delivered "$(jq -r '.results[0].outcome' "$OUT")" "--json outcome"
	expect_equal 1 "$(jq -r '.delivered' "$OUT")" "--json delivered"
	# A wrong secret on our side is caught by the receiver's check.
	HOOK_SECRET=whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \
		expect_exit 0 "$APPCTL" -C r notify test prod
	expect_equal no "$(field 3)" "a wrong signature is not verified"
}

test_receiver_down_flush_once()
{
	local id
	start_receiver
	hook_repo r
	stop_receiver
	export APPCTL_NOTIFY_BUDGET_S=2
	timed 4 "$APPCTL" -C r notify test prod
	[ "$ELAPSED" -le 4 ] || fail "took ${ELAPSED}s with a 2 s budget"
	expect_stdout_contains "run 'appctl notify flush'"
	expect_exit 0 "$APPCTL" -C r notify list --json
	expect_equal 1 "$(jq '.outbox | length' "$OUT")" "kept in the outbox"
	id=$(jq -r '.outbox[0].id' "$OUT")
	[ "$(jq '.outbox[0].attempts' "$OUT")" -ge 1 ] || fail "attempts"
	jq -e '.outbox[0].last_error | test("connect|refused"; "i")' "$OUT" >/dev/null \
		|| fail "last error"
	[ -f "r/.git/appctl/outbox/$id.json" ] || fail "outbox file"
	expect_exit 0 "$APPCTL" -C r notify list
	expect_stdout_contains "outbox: 1 waiting"
	expect_stdout_contains "$id"

	start_receiver "$PORT"
	expect_exit 0 "$APPCTL" -C r notify flush
	expect_stdout_contains "delivered test"
	expect_equal 1 "$(received)" "requests after the flush"
	expect_equal "$id" "$(field 1)" "the same webhook-id"
	expect_equal yes "$(field 3)" "verified"
	expect_equal 0 "$(outbox_count r)" "outbox after the flush"
	expect_exit 0 "$APPCTL" -C r notify flush
	expect_stdout_contains "nothing to flush"
	expect_equal 1 "$(received)" "a second flush sends nothing"
	export APPCTL_NOTIFY_BUDGET_S=6
}

test_retry_after_honoured()
{
	start_receiver
	hook_repo r
	script 503 200
	timed 0 "$APPCTL" -C r notify test prod
	[ "$ELAPSED" -le 5 ] || fail "took ${ELAPSED}s"
	expect_equal 2 "$(received)" "requests"
	expect_equal "$(field 1 1)" "$(field 1 2)" "webhook-id stable across retries"
	expect_equal yes "$(field 3 1)" "first attempt verified"
	expect_equal yes "$(field 3 2)" "retry verified"
	[ "$(field 2 2)" -ge $(($(field 2 1) + 1)) ] \
		|| fail "Retry-After: 1 not honoured: $(field 2 1) then $(field 2 2)"

	# Busy for good: the command still returns within its budget.
	rm -f received
	script 503
	export APPCTL_NOTIFY_BUDGET_S=3
	timed 4 "$APPCTL" -C r notify test prod
	[ "$ELAPSED" -le 5 ] || fail "took ${ELAPSED}s with a 3 s budget"
	[ "$(received)" -ge 2 ] || fail "not retried: $(received) requests"
	expect_exit 0 "$APPCTL" -C r notify list --json
	expect_equal 503 "$(jq '.outbox[0].last_status' "$OUT")" "last status"
	expect_equal "$(received)" "$(jq '.outbox[0].attempts' "$OUT")" "attempts"
	export APPCTL_NOTIFY_BUDGET_S=6
}

test_retry_progress_on_tty()
{
	start_receiver
	hook_repo r
	# A terminal (script(1) gives one): the wait for a retry is announced.
	script 503 200
	/usr/bin/script -qec "'$APPCTL' -C r notify test prod" /dev/null \
		>tty.out 2>&1 </dev/null || fail "notify test on a terminal: $(cat tty.out)"
	grep -q "webhook http://127.0.0.1:$PORT/hook: .*; retry 2 in [0-9]* s" tty.out \
		|| fail "no retry line on the terminal: $(cat tty.out)"
	# Never on a pipe,
	script 503 200
	expect_exit 0 "$APPCTL" -C r notify test prod
	if grep -q "retry 2" "$ERR"; then fail "retry line on a pipe"; fi
	# nor with --json, even on a terminal.
	script 503 200
	/usr/bin/script -qec "'$APPCTL' -C r --json notify test prod" /dev/null \
		>tty2.out 2>&1 </dev/null || fail "--json on a terminal: $(cat tty2.out)"
	if grep -q "retry 2" tty2.out; then fail "retry line with --json"; fi
}

test_gone_disables_endpoint()
{
	local url
	start_receiver
	hook_repo r
	url="http://127.0.0.1:$PORT/hook"
	script 410
	expect_exit 4 "$APPCTL" -C r notify test prod
	expect_stdout_contains "disabled"
	expect_exit 0 "$APPCTL" -C r notify list --json
	expect_equal "$url" "$(jq -r '.disabled[0].url' "$OUT")" "disabled endpoint"
	expect_equal 410 "$(jq '.disabled[0].status' "$OUT")" "disabled status"
	expect_equal 1 "$(jq '.outbox | length' "$OUT")" "kept"
	# Nothing more is sent to it, by new events or by flush.
	script 200
	expect_exit 0 "$APPCTL" -C r notify test prod
	expect_stdout_contains "not sent"
	expect_exit 0 "$APPCTL" -C r notify flush
	expect_equal 1 "$(received)" "requests to a disabled endpoint"
	expect_equal 2 "$(outbox_count r)" "kept while disabled"
	expect_exit 0 "$APPCTL" -C r notify list
	expect_stdout_contains "disabled endpoints:"
	# status shows it too: a disabled endpoint must not go unnoticed.
	expect_exit 0 "$APPCTL" -C r status --json
	expect_equal "$url" "$(jq -r '.notify.disabled[0].url' "$OUT")" "status disabled"
	expect_equal 2 "$(jq '.notify.waiting' "$OUT")" "status waiting"
	expect_exit 0 "$APPCTL" -C r status
	expect_stdout_contains "notify: $url is disabled"
	# Re-enabled, the flush delivers what waited.
	expect_exit 0 "$APPCTL" -C r notify enable "$url"
	expect_exit 0 "$APPCTL" -C r notify flush --json
	expect_equal 2 "$(jq .delivered "$OUT")" "delivered after enable"
	expect_equal 3 "$(received)" "requests"
	expect_equal 0 "$(outbox_count r)" "outbox"
	expect_exit 2 "$APPCTL" -C r notify enable "$url"
}

test_hostile_receivers_bounded()
{
	start_receiver
	hook_repo r
	# 100 MB of answer: read no further than the cap; the 200 counts.
	script big
	timed 0 "$APPCTL" -C r notify test prod
	[ "$ELAPSED" -le 5 ] || fail "a 100 MB answer took ${ELAPSED}s"
	expect_equal 0 "$(outbox_count r)" "delivered despite the body"
	# No answer at all: timeout_s (2) per request, the budget overall.
	script hang
	export APPCTL_NOTIFY_BUDGET_S=3
	timed 4 "$APPCTL" -C r notify test prod
	[ "$ELAPSED" -le 5 ] || fail "a silent receiver held us ${ELAPSED}s"
	expect_stdout_contains "timed out"
	expect_equal 1 "$(outbox_count r)" "kept after timeouts"
	export APPCTL_NOTIFY_BUDGET_S=6
}

test_redirect_not_followed()
{
	start_receiver
	hook_repo r
	script 301
	expect_exit 4 "$APPCTL" -C r notify test prod
	expect_stdout_contains "not followed"
	expect_equal 1 "$(received)" "requests"
	expect_equal /hook "$(field 4)" "only the configured path was asked"
	expect_exit 0 "$APPCTL" -C r notify list --json
	expect_equal true "$(jq '.outbox[0].failed' "$OUT")" "not retried"
	expect_equal 301 "$(jq '.outbox[0].last_status' "$OUT")" "status"
	# Dropping it is the operator's call.
	expect_exit 0 "$APPCTL" -C r notify drop "$(jq -r '.outbox[0].id' "$OUT")"
	expect_equal 0 "$(outbox_count r)" "dropped"
}

test_unsafe_urls_refused()
{
	local url
	start_receiver
	for url in "file:///etc/passwd" "gopher://127.0.0.1:$PORT/_x" \
		"http://hooks.example.com/appctl" "ftp://127.0.0.1:$PORT/x"; do
		rm -rf r
		hook_repo r ".notify[0].url = \"$url\""
		expect_exit 4 "$APPCTL" -C r notify test prod
		case $url in
		http:*) expect_stdout_contains "http is only allowed to a loopback address" ;;
		*) expect_stdout_contains "scheme '${url%%:*}' is not allowed" ;;
		esac
		expect_equal 0 "$(outbox_count r)" "nothing kept for $url"
	done
	expect_equal 0 "$(received)" "requests"
}

test_missing_secret_kept()
{
	start_receiver
	hook_repo r '.notify[0].secret = "secret://vault/hooks-prod"'
	expect_exit 4 "$APPCTL" -C r notify test prod
	expect_stdout_contains "APPCTL_SECRET_VAULT_HOOKS_PROD"
	expect_stdout_lacks "$SECRET"
	expect_equal 0 "$(received)" "nothing sent unsigned"
	expect_equal 1 "$(outbox_count r)" "kept"
	APPCTL_SECRET_VAULT_HOOKS_PROD=$SECRET expect_exit 0 "$APPCTL" -C r notify flush
	expect_equal yes "$(field 3)" "verified"
	expect_equal 0 "$(outbox_count r)" "outbox"
	! grep -rq "${SECRET#whsec_}" r/.git/appctl || fail "the secret was written to disk"
}

test_usage()
{
	start_receiver
	hook_repo r
	expect_exit 2 "$APPCTL" -C r notify
	expect_exit 2 "$APPCTL" -C r notify bogus
	expect_exit 2 "$APPCTL" -C r notify test
	expect_exit 2 "$APPCTL" -C r notify test nowhere
	expect_exit 2 "$APPCTL" -C r notify list extra
	expect_exit 2 "$APPCTL" -C r notify drop msg_0_0
	expect_exit 2 "$APPCTL" -C r notify drop ../../HEAD
	expect_exit 2 "$APPCTL" -C r notify --bogus list
	expect_exit 0 "$APPCTL" -C r notify --help
	expect_stdout_contains "SYNOPSIS"
	expect_exit 0 "$APPCTL" -C r notify list
	expect_stdout_contains "outbox: empty"
	expect_exit 0 "$APPCTL" -C r --json notify flush
	expect_equal 0 "$(jq '.results | length' "$OUT")" "empty flush"
	expect_equal 0 "$(received)" "requests"
}

# ---- with `appctl promote` / `rollback` ----

make_keys()
{
	local k
	[ -d "$KEYS" ] && return
	mkdir -p "$KEYS"
	for k in rita ann; do
		ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$KEYS/$k" </dev/null \
			|| fail "ssh-keygen $k"
	done
}

# ready_to_promote DIR ENV: an approved admin_panel change for ENV.
ready_to_promote()
{
	local f="$1/apps/billing-admin/app.json"
	jq '.roles.Finance.members += ["dan@example.com"]' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
	commit_all "$1" "dan joins Finance"
	expect_exit 0 "$APPCTL" -C "$1" approve --key "$KEYS/rita" "$2"
	expect_exit 0 "$APPCTL" -C "$1" approve --key "$KEYS/ann" "$2"
}

test_promote_delivers()
{
	make_keys
	start_receiver
	hook_repo r
	ready_to_promote r staging
	expect_exit 0 "$APPCTL" -C r promote staging
	expect_equal 1 "$(received)" "requests after promote"
	expect_equal yes "$(field 3)" "verified"
	field 5 | jq -e --arg f "$(ref_id r release/staging/0)" --arg t "$(ref_id r staging)" \
		'.type == "promote" and .data.env == "staging" and .data.source == "dev" and
		 .data.release == 1 and .data.from == $f and .data.to == $t and
		 (.data.approvers | sort) == ["ann@example.com", "rita@example.com"] and
		 .data.summary.high >= 1 and .data.repository == "r"' >/dev/null \
		|| fail "promote payload: $(field 5)"
	expect_equal "$(git -C r show refs/appctl/log:event.json | git hash-object --stdin)" \
		"$(field 5 | jq -r .id)" "the payload id is the log event's id"
	expect_exit 0 "$APPCTL" -C r rollback staging
	expect_equal 2 "$(received)" "requests after rollback"
	field 5 | jq -e '.type == "rollback" and .data.rollback_to == 0 and .data.release == 2' \
		>/dev/null || fail "rollback payload: $(field 5)"
}

test_promote_stands_when_receiver_down()
{
	local head
	make_keys
	start_receiver
	hook_repo r
	stop_receiver
	ready_to_promote r staging
	head=$(ref_id r dev)
	export APPCTL_NOTIFY_BUDGET_S=2
	timed 0 "$APPCTL" -C r promote staging
	[ "$ELAPSED" -le 10 ] || fail "promote took ${ELAPSED}s"
	expect_stderr_contains "appctl notify flush"
	expect_equal "$head" "$(ref_id r staging)" "the promotion stands"
	expect_equal 1 "$(outbox_count r)" "event kept"
	export APPCTL_NOTIFY_BUDGET_S=6
	start_receiver "$PORT"
	expect_exit 0 "$APPCTL" -C r notify flush
	expect_equal 1 "$(received)" "delivered once"
	expect_equal promote "$(field 5 | jq -r .type)" "type"
	expect_exit 0 "$APPCTL" -C r notify flush
	expect_equal 1 "$(received)" "a second flush sends nothing"

	# A receiver that never answers cannot hold a promotion either.
	script hang
	ready_to_promote r prod
	export APPCTL_NOTIFY_BUDGET_S=3
	timed 0 "$APPCTL" -C r promote prod
	[ "$ELAPSED" -le 12 ] || fail "promote took ${ELAPSED}s"
	expect_equal "$head" "$(ref_id r prod)" "prod promoted"
	export APPCTL_NOTIFY_BUDGET_S=6
}

# A libcurl that cannot be loaded (a broken installation: here a file
# that is no library, found first through LD_LIBRARY_PATH) sends nothing
# and loses nothing: the promotion stands, the delivery waits in the
# outbox with the reason, and a flush with the real libcurl sends it.
test_libcurl_missing_kept()
{
	local head broken="$TEST_ROOT/broken-lib"
	make_keys
	start_receiver
	hook_repo r
	ready_to_promote r staging
	head=$(ref_id r dev)
	mkdir -p "$broken"
	echo "not a shared library" >"$broken/libcurl.so.4"
	LD_LIBRARY_PATH="$broken" expect_exit 0 "$APPCTL" -C r promote staging
	expect_stderr_contains "cannot load libcurl"
	expect_equal "$head" "$(ref_id r staging)" "the promotion stands"
	expect_equal 0 "$(received)" "nothing sent"
	expect_equal 1 "$(outbox_count r)" "kept in the outbox"
	# The same for a flush: refused with the reason, the entry kept.
	LD_LIBRARY_PATH="$broken" expect_exit 4 "$APPCTL" -C r notify flush
	expect_stderr_contains "cannot load libcurl"
	expect_equal 1 "$(outbox_count r)" "still kept"
	# A library without curl's functions is refused by name.
	cc -shared -fPIC -o "$broken/libcurl.so.4" -x c /dev/null ||
		fail "cannot build the empty library"
	LD_LIBRARY_PATH="$broken" expect_exit 4 "$APPCTL" -C r notify flush
	expect_stderr_contains "has no curl_global_init"
	# The control: with the real libcurl the kept delivery goes out.
	expect_exit 0 "$APPCTL" -C r notify flush
	expect_equal 1 "$(received)" "delivered by the flush"
	expect_equal promote "$(field 5 | jq -r .type)" "type"
	expect_equal 0 "$(outbox_count r)" "outbox after the flush"
}

tests="test_delivered_and_verified test_receiver_down_flush_once
	test_retry_after_honoured test_retry_progress_on_tty test_gone_disables_endpoint
	test_hostile_receivers_bounded test_redirect_not_followed
	test_unsafe_urls_refused test_missing_secret_kept test_usage
	test_promote_delivers test_promote_stands_when_receiver_down
	test_libcurl_missing_kept"
# shellcheck disable=SC2086
run_tests $tests
