#!/usr/bin/env bash
# approve.sh: `appctl approve` and `appctl status` on the example org with
# real SSH keys: which approvals are recorded, which are refused, and which
# count for a promotion (SPEC §3), asserted through `status --json`.
. "$(dirname "$0")/lib.sh"

EXAMPLE="$APPCTL_SOURCE_DIR/examples/org"
export APPCTL_TODAY=2026-11-29
KEYS="$TEST_ROOT/keys"

# Keys are made once: rita, ann (release-managers), sam (security), newbie
# (listed, not an approver), late (an approver whose key is listed only on
# dev), old (expired), gus (git namespace only), mallory (listed nowhere),
# p1..p12 (the parallel approvers).
make_keys()
{
	local k
	mkdir -p "$KEYS"
	for k in rita ann sam newbie late old gus mallory p1 p2 p3 p4 p5 p6 \
		p7 p8 p9 p10 p11 p12; do
		ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$KEYS/$k" </dev/null \
			|| fail "ssh-keygen $k"
	done
}

# signer_line PRINCIPAL KEY [OPTIONS]: one allowed_signers line.
signer_line()
{
	echo "$1 ${3:+$3 }$(cut -d' ' -f1,2 "$KEYS/$2.pub")"
}

# org_repo DIR [JQ-FILTER-FOR-appctl.json]: the example org with the test
# keys in allowed_signers, committed and initialised (every environment
# holds these signers), then HEAD on dev.
org_repo()
{
	local k
	new_repo "$1"
	cp -r "$EXAMPLE/." "$1/"
	{
		signer_line rita@example.com rita 'namespaces="appctl"'
		signer_line ann@example.com ann 'namespaces="appctl"'
		signer_line sam@example.com sam
		signer_line newbie@example.com newbie 'namespaces="appctl"'
		signer_line old@example.com old 'valid-before="20200101"'
		signer_line gus@example.com gus 'namespaces="git"'
		for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
			signer_line "p$k@example.com" "p$k" 'namespaces="appctl"'
		done
	} >>"$1/allowed_signers"
	jq "${2:-.} | .groups[\"release-managers\"] += [\"late@example.com\"]" \
		"$1/appctl.json" >"$1/tmp.json" && mv "$1/tmp.json" "$1/appctl.json"
	commit_all "$1" "example org with test signers"
	expect_exit 0 "$APPCTL" -C "$1" init
}

# change_billing DIR [AUTHOR-EMAIL]: a change on dev that an admin_panel
# app carries (2 approvers needed, no rule matches): dan joins Finance.
change_billing()
{
	local f="$1/apps/billing-admin/app.json"
	jq '.roles.Finance.members += ["dan@example.com"]' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
	git -C "$1" add -A
	git -C "$1" -c user.email="${2:-tester@example.com}" commit -q -m "dan joins Finance" \
		|| fail "commit"
}

# status_env DIR ENV: `status --json` for one environment into $OUT.
status_env()
{
	expect_exit 0 "$APPCTL" -C "$1" status --json "$2"
	expect_equal 1 "$(jq '.environments | length' "$OUT")" "environments listed"
}

# jqs FILTER: applies FILTER to the single environment of the last status.
jqs()
{
	jq -r ".environments[0] | $1" "$OUT"
}

# counted PRINCIPAL: how many of PRINCIPAL's approvals count.
counted()
{
	jqs "[.approvals[] | select(.principal == \"$1\" and .current)] | length"
}

# approval_status PRINCIPAL: the statuses of PRINCIPAL's approvals, joined.
approval_status()
{
	jqs "[.approvals[] | select(.principal == \"$1\") | .status] | join(\",\")"
}

# log_events DIR TYPE: how many TYPE events the log holds.
log_events()
{
	local n=0 c
	for c in $(git -C "$1" rev-list "$LOG"); do
		if git -C "$1" show "$c:event.json" | jq -e --arg t "$2" '.type == $t' >/dev/null; then
			n=$((n + 1))
		fi
	done
	echo "$n"
}

# event_json DIR ENV COMMIT BASE PRINCIPAL: a canonical approve event, as
# appctl would write it.
event_json()
{
	local tree
	tree=$(git -C "$1" rev-parse "$3^{tree}")
	jq -cnS --arg env "$2" --arg c "$3" --arg b "$4" --arg p "$5" --arg t "$tree" \
		'{appctl_event: 1, type: "approve", env: $env, commit: $c, tree: $t,
		  base: $b, principal: $p, time: "2026-11-29T12:00:00Z", verified: true}'
}

# approve_json_in DIR ENV PRINCIPAL: an approve event of DIR's dev head for
# ENV at its current commit.
approve_json_in()
{
	event_json "$1" "$2" "$(ref_id "$1" dev)" "$(ref_id "$1" "$2")" "$3"
}

# sign_json JSON KEY: signs the bytes as appctl does; prints the .sig path.
sign_json()
{
	local f="$TEST_ROOT/event.$$.$RANDOM.json"
	printf '%s' "$1" >"$f"
	ssh-keygen -Y sign -n appctl -f "$KEYS/$2" "$f" 2>/dev/null || fail "ssh-keygen sign"
	echo "$f.sig"
}

test_good_approval()
{
	org_repo r
	change_billing r
	local head
	head=$(ref_id r dev)
	status_env r staging
	expect_equal "$head" "$(jqs .pending.commit)" "pending commit"
	expect_equal dev "$(jqs .source)" "source"
	expect_equal 0 "$(jqs .release)" "release"
	expect_equal "$(ref_id r staging)" "$(jqs .commit)" "commit"
	expect_equal false "$(jqs .ready)" "ready before approvals"
	expect_equal 1 "$(jqs '.missing | length')" "missing lines"
	jqs '.pending.summary | has("high") and has("medium") and has("low")' | grep -qx true \
		|| fail "summary keys"

	approve r rita staging -m "read the access diff" --json
	expect_equal rita@example.com "$(jq -r .principal "$OUT")" "principal"
	expect_equal true "$(jq -r .verified "$OUT")" "verified"
	expect_equal "$head" "$(jq -r .commit "$OUT")" "approved commit"
	expect_equal "$(ref_id r staging)" "$(jq -r .base "$OUT")" "base"
	expect_equal "$(git -C r rev-parse "$head^{tree}")" "$(jq -r .tree "$OUT")" "tree"
	local id
	id=$(jq -r .id "$OUT")
	# The event is stored signed, and its id is the blob id of event.json.
	expect_equal "$id" "$(git -C r rev-parse "$LOG:event.json")" "event id"
	git -C r cat-file -p "$LOG:event.json.sig" | grep -q "BEGIN SSH SIGNATURE" \
		|| fail "no signature stored"
	git -C r cat-file -p "$LOG:event.json" | jq -e '.comment == "read the access diff"' >/dev/null \
		|| fail "comment not stored"

	status_env r staging
	expect_equal 1 "$(counted rita@example.com)" "rita counted"
	expect_equal true "$(jqs '.approvals[0].verified')" "shown verified"
	expect_equal false "$(jqs .ready)" "ready after one of two"
	jqs '.missing[0]' | grep -q "needs 1 more approver" || fail "missing text"

	approve r ann staging
	status_env r staging
	expect_equal 1 "$(counted ann@example.com)" "ann counted"
	expect_equal true "$(jqs .ready)" "ready with two"
	expect_equal 0 "$(jqs '.missing | length')" "nothing missing"
	# Text output says the same.
	expect_exit 0 "$APPCTL" -C r status staging
	expect_stdout_contains "ready to promote"
	expect_stdout_contains "+ rita@example.com"
	# prod has nothing pending: staging did not move.
	status_env r prod
	expect_equal null "$(jqs .pending)" "prod pending"
	expect_equal false "$(jqs .ready)" "prod ready"
	# Without ENV: every protected environment, in promotion order.
	expect_exit 0 "$APPCTL" -C r --json status
	expect_equal "staging,prod" "$(jq -r '[.environments[].env] | join(",")' "$OUT")" \
		"environments listed"
}

test_refused_keys()
{
	org_repo r
	change_billing r
	save_refs r
	# A key nobody listed.
	expect_exit 1 "$APPCTL" -C r approve staging --key "$KEYS/mallory"
	expect_stderr_contains "not accepted by the allowed_signers of staging"
	expect_stderr_contains "no principal"
	# A key past its valid-before, by this machine's clock.
	expect_exit 1 "$APPCTL" -C r approve staging --key "$KEYS/old"
	expect_stderr_contains "expired"
	# A key restricted to git's namespace.
	expect_exit 1 "$APPCTL" -C r approve staging --key "$KEYS/gus"
	expect_stderr_contains "namespace"
	# No key at all, while signatures are required.
	expect_exit 1 "$APPCTL" -C r approve staging
	expect_stderr_contains "requires signed approvals"
	expect_refs_unchanged r
	expect_equal 0 "$(log_events r approve)" "approve events"
	# Usage: the first environment, an unknown one, a commit not on the source.
	expect_exit 2 "$APPCTL" -C r approve dev --key "$KEYS/rita"
	expect_stderr_contains "first environment"
	expect_exit 2 "$APPCTL" -C r approve nowhere --key "$KEYS/rita"
	expect_exit 2 "$APPCTL" -C r approve prod HEAD --key "$KEYS/rita"
	expect_stderr_contains "is not on staging"
	expect_exit 2 "$APPCTL" -C r approve
	expect_exit 1 "$APPCTL" -C r approve prod --key "$KEYS/rita"
	expect_stderr_contains "nothing to approve"
	expect_exit 0 "$APPCTL" -C r approve --help
	expect_stdout_contains "SYNOPSIS"
	expect_refs_unchanged r
}

# The principal is whoever the key belongs to, not the e-mail one claims.
test_key_of_another_principal()
{
	org_repo r
	change_billing r
	git -C r config user.email rita@example.com
	approve r ann staging --json
	expect_equal ann@example.com "$(jq -r .principal "$OUT")" "recorded principal"
	status_env r staging
	expect_equal 1 "$(counted ann@example.com)" "ann counted"
	expect_equal "" "$(approval_status rita@example.com)" "rita's approvals"
	# user.signingkey is used when --key is absent; a .pub names the pair.
	git -C r config user.signingkey "$KEYS/sam.pub"
	expect_exit 0 "$APPCTL" -C r approve staging --json
	expect_equal sam@example.com "$(jq -r .principal "$OUT")" "principal via signingkey"
}

# The key's public half names its principal without a probe signature; a
# key without one (no .pub beside it) is signed with a probe first.
test_public_half()
{
	org_repo r
	change_billing r
	mkdir -p bare
	cp "$KEYS/rita" bare/rita
	approve_key_json r "$PWD/bare/rita"
	expect_equal rita@example.com "$(jq -r .principal "$OUT")" "no .pub"
	approve_key_json r "$KEYS/ann"
	expect_equal ann@example.com "$(jq -r .principal "$OUT")" "with its .pub"
	status_env r staging
	expect_equal 1 "$(counted rita@example.com)" "rita counted"
	expect_equal 1 "$(counted ann@example.com)" "ann counted"
	expect_equal true "$(jqs .ready)" "ready"
	# A key without a .pub and listed nowhere is refused after its probe.
	cp "$KEYS/mallory" bare/mallory
	save_refs r
	expect_exit 1 "$APPCTL" -C r approve staging --key "$PWD/bare/mallory"
	expect_stderr_contains "not accepted by the allowed_signers of staging"
	expect_refs_unchanged r
}

# approve_key_json DIR KEYFILE: approves staging with that key file, --json.
approve_key_json()
{
	expect_exit 0 "$APPCTL" -C "$1" approve staging --key "$2" --json
}

test_other_env_and_commit()
{
	org_repo r
	change_billing r
	local b a sig json
	b=$(ref_id r dev)
	a=$(ref_id r staging)
	# An approval of b for prod (well signed) does not count for staging.
	json=$(event_json r prod "$b" "$a" rita@example.com)
	sig=$(sign_json "$json" rita)
	append_event r "$json" "$sig"
	status_env r staging
	expect_equal 0 "$(counted rita@example.com)" "prod approval counted for staging"
	status_env r prod
	expect_equal wrong_commit "$(approval_status rita@example.com)" "prod's view"
	expect_equal false "$(jqs .ready)" "prod ready"

	# An approval of b does not count once dev moved on to c.
	approve r ann staging
	approve r sam staging "$b"
	echo change >r/README
	commit_all r "another commit"
	status_env r staging
	expect_equal "$(ref_id r dev)" "$(jqs .pending.commit)" "pending moved"
	expect_equal wrong_commit "$(approval_status ann@example.com)" "ann's approval"
	expect_equal wrong_commit "$(approval_status sam@example.com)" "sam's approval"
	expect_equal 0 "$(jqs '[.approvals[] | select(.current)] | length')" "counted"
	# An older commit of dev may be approved explicitly; it stays for that commit.
	approve r rita staging "$b"
	status_env r staging
	expect_equal wrong_commit "$(approval_status rita@example.com)" "rita's approval"
}

test_stale_base()
{
	org_repo r
	change_billing r
	if ! "$APPCTL" -C r promote --help >/dev/null 2>&1; then
		echo "# skipped: appctl promote is not available yet" >&2
		return 0
	fi
	local a b
	a=$(ref_id r staging)
	b=$(ref_id r dev)
	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging --key "$KEYS/rita"
	expect_equal "$b" "$(ref_id r staging)" "staging promoted"
	echo change >r/README
	commit_all r "c"
	# An approval of c made while staging was still at a (synced late).
	local c sig json
	c=$(ref_id r dev)
	json=$(event_json r staging "$c" "$a" rita@example.com)
	sig=$(sign_json "$json" rita)
	append_event r "$json" "$sig"
	status_env r staging
	expect_equal stale "$(approval_status rita@example.com)" "late approval"
	expect_equal 0 "$(counted rita@example.com)" "stale counted"
	expect_equal 1 "$(jqs .release)" "release after promote"
}

test_self_approval()
{
	org_repo r
	change_billing r rita@example.com
	approve r rita staging
	approve r ann staging
	status_env r staging
	expect_equal self "$(approval_status rita@example.com)" "rita authored the change"
	expect_equal false "$(jqs .ready)" "ready with a self-approval"

	org_repo s '.approvals.allow_self_approval = true'
	change_billing s rita@example.com
	expect_exit 0 "$APPCTL" -C s approve staging --key "$KEYS/rita"
	expect_exit 0 "$APPCTL" -C s approve staging --key "$KEYS/ann"
	expect_exit 0 "$APPCTL" -C s status --json staging
	expect_equal 1 "$(counted rita@example.com)" "allowed self-approval"
	expect_equal true "$(jqs .ready)" "ready when allowed"
}

test_revoked_and_duplicate()
{
	org_repo r
	change_billing r
	approve r rita staging
	approve r rita staging
	status_env r staging
	expect_equal "counted,duplicate" "$(approval_status rita@example.com)" "twice by rita"
	expect_equal 1 "$(counted rita@example.com)" "rita counted once"
	expect_equal false "$(jqs .ready)" "one person is one approver"

	approve r ann staging
	status_env r staging
	expect_equal true "$(jqs .ready)" "ready"
	approve r rita staging --revoke --json
	expect_equal revoke "$(jq -r .type "$OUT")" "event type"
	status_env r staging
	expect_equal "revoked,revoked" "$(approval_status rita@example.com)" "after revoke"
	expect_equal false "$(jqs .ready)" "ready after revoke"
	# Someone else's revoke does not withdraw rita's approval.
	approve r rita staging
	approve r sam staging --revoke
	status_env r staging
	expect_equal "revoked,revoked,counted" "$(approval_status rita@example.com)" \
		"approved again"
	expect_equal true "$(jqs .ready)" "ready again"
}

test_dev_only_approvers()
{
	# newbie joins release-managers on dev only: the target's policy judges.
	org_repo r
	jq '.groups["release-managers"] += ["newbie@example.com"]' r/appctl.json >r/tmp.json
	mv r/tmp.json r/appctl.json
	commit_all r "newbie becomes a release manager"
	approve r newbie staging
	expect_stderr_contains "not an approver for staging"
	approve r rita staging
	status_env r staging
	expect_equal not_approver "$(approval_status newbie@example.com)" "newbie"
	expect_equal 1 "$(counted rita@example.com)" "rita"
	expect_equal false "$(jqs .ready)" "ready with a dev-only approver"

	# late is an approver everywhere, but their key is listed on dev only.
	org_repo s
	signer_line late@example.com late 'namespaces="appctl"' >>s/allowed_signers
	commit_all s "late's key"
	save_refs s
	expect_exit 1 "$APPCTL" -C s approve staging --key "$KEYS/late"
	expect_stderr_contains "not accepted by the allowed_signers of staging"
	expect_refs_unchanged s
	# Even written into the log by hand, with a good signature, it does not count.
	local json sig
	json=$(approve_json_in s staging late@example.com)
	sig=$(sign_json "$json" late)
	append_event s "$json" "$sig"
	expect_exit 0 "$APPCTL" -C s status --json staging
	expect_equal unverified "$(approval_status late@example.com)" "late"
	expect_equal false "$(jqs '.approvals[0].verified')" "late verified"
}

test_unsigned_event()
{
	org_repo r
	change_billing r
	append_event r "$(approve_json_in r staging rita@example.com)"
	append_event r "$(approve_json_in r staging ann@example.com)"
	status_env r staging
	expect_equal unverified "$(approval_status rita@example.com)" "unsigned rita"
	expect_equal unverified "$(approval_status ann@example.com)" "unsigned ann"
	expect_equal false "$(jqs .ready)" "ready on unsigned events"
	jqs '.approvals[0].reason' | grep -q "not signed" || fail "reason"
	# A signature by one key cannot speak for another principal.
	local json sig
	json=$(approve_json_in r staging rita@example.com)
	sig=$(sign_json "$json" p1)
	append_event r "$json" "$sig"
	status_env r staging
	expect_equal 1 "$(jqs '[.approvals[] | select(.principal == "p1@example.com")] | length')" \
		"the key's own principal"
	expect_equal 0 "$(counted rita@example.com)" "rita by p1's key"
}

test_unsigned_policy()
{
	org_repo r '.approvals.require_signature = false'
	change_billing r
	git -C r config user.email rita@example.com
	expect_exit 0 "$APPCTL" -C r approve staging --json
	expect_equal false "$(jq -r .verified "$OUT")" "verified"
	expect_equal rita@example.com "$(jq -r .principal "$OUT")" "principal"
	git -C r cat-file -e "$LOG:event.json.sig" 2>/dev/null && fail "unsigned event has a signature"
	approve r ann staging
	status_env r staging
	expect_equal "false" "$(jqs '[.approvals[] | select(.principal == "rita@example.com") | .verified] | join(",")')" \
		"shown unverified"
	expect_equal 1 "$(counted rita@example.com)" "unverified counts when not required"
	expect_equal true "$(jqs .ready)" "ready"
	expect_exit 0 "$APPCTL" -C r status staging
	expect_stdout_contains "rita@example.com  unverified"
}

test_parallel_approvals()
{
	org_repo r
	change_billing r
	local i pids=() rc=0
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		"$APPCTL" -C r approve staging --key "$KEYS/p$i" >"$TEST_ROOT/par.$i.out" \
			2>"$TEST_ROOT/par.$i.err" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || rc=$?
	done
	if [ "$rc" -ne 0 ]; then
		cat "$TEST_ROOT"/par.*.err >&2
		fail "a parallel approval failed ($rc)"
	fi
	if grep -l -e 'ERROR: AddressSanitizer' -e 'runtime error:' "$TEST_ROOT"/par.*.err; then
		fail "sanitizer report in a parallel approval"
	fi
	expect_equal 12 "$(log_events r approve)" "approve events in the log"
	expect_equal 13 "$(git -C r show "$LOG:state.json" | jq .seq)" "state seq"
	status_env r staging
	expect_equal 12 "$(jqs '[.approvals[] | select(.verified)] | length')" "verified approvals"
	expect_equal 12 "$(jqs '[.approvals[].principal] | unique | length')" "distinct principals"
}

test_branch_moved_outside()
{
	org_repo r
	change_billing r
	git -C r update-ref refs/heads/staging "$(ref_id r dev)"
	save_refs r
	expect_exit 3 "$APPCTL" -C r approve staging --key "$KEYS/rita"
	expect_stderr_contains "refs/heads/staging: branch moved outside appctl"
	expect_exit 3 "$APPCTL" -C r status --json
	expect_stderr_contains "refs/heads/staging"
	jq -e '.environments[] | select(.env == "staging") | .error' "$OUT" >/dev/null \
		|| fail "no error for staging"
	expect_equal false "$(jq -r '.environments[] | select(.env == "staging") | .ready' "$OUT")" \
		"ready"
	expect_refs_unchanged r
}

make_keys
run_tests test_good_approval test_refused_keys test_key_of_another_principal \
	test_public_half \
	test_other_env_and_commit test_stale_base test_self_approval \
	test_revoked_and_duplicate test_dev_only_approvers test_unsigned_event \
	test_unsigned_policy test_parallel_approvals test_branch_moved_outside
