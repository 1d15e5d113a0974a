#!/usr/bin/env bash
# race.sh: two promotes of the same change started together, many times
# (SPEC §3): one wins, the other exits 5 (or 0 when it found the change
# already released: nothing to promote) and never 3 or 4; the loser
# changes no ref: one release per round, branch, tag and log agreeing.
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-11-29
export APPCTL_NOTIFY_BUDGET_S=0

make_keys rita ann

ROUNDS=${APPCTL_RACE_ROUNDS:-20}

test_promote_race_loser_exits_5()
{
	local round a b codes n fives=0 before_tags
	keyed_org_repo r "rita ann"
	for round in $(seq 1 "$ROUNDS"); do
		edit_app r support-portal \
			".roles.Agent.members += [\"temp$round@example.com\"]" \
			"round $round: a temporary agent"
		approve r rita staging
		approve r ann staging
		before_tags=$(git -C r tag -l 'release/staging/*' | wc -l)
		("$APPCTL" -C r promote staging >"out.a" 2>"err.a"; echo $? >code.a) &
		("$APPCTL" -C r promote staging >"out.b" 2>"err.b"; echo $? >code.b) &
		wait
		a=$(cat code.a)
		b=$(cat code.b)
		codes="$a $b"
		case $codes in
		"0 5" | "5 0") fives=$((fives + 1)) ;;
		"0 0")
			# Both say success only when one found nothing left to promote.
			grep -qh "nothing to promote" out.a out.b ||
				{ cat err.a err.b >&2; fail "round $round: two successes"; }
			;;
		*) cat err.a err.b >&2; fail "round $round: exit codes $codes (want 0 and 5)" ;;
		esac
		if [ "$a" = 5 ]; then grep -q "retry" err.a || fail "loser's message: $(cat err.a)"; fi
		if [ "$b" = 5 ]; then grep -q "retry" err.b || fail "loser's message: $(cat err.b)"; fi
		# Exactly one release per round, and the refs agree on it.
		n=$(git -C r tag -l 'release/staging/*' | wc -l)
		expect_equal $((before_tags + 1)) "$n" "round $round: release tags"
		expect_equal "$(ref_id r dev)" "$(ref_id r staging)" "round $round: staging"
		expect_equal "$(ref_id r dev)" "$(ref_id r "release/staging/$round")" \
			"round $round: release/staging/$round"
		expect_equal "$round" "$(git -C r show "$LOG:state.json" |
			jq '.envs.staging.release')" "round $round: release in the log"
	done
	expect_exit 0 "$APPCTL" -C r audit --verify
	echo "# $fives of $ROUNDS rounds were real races (0 and 5)"
}

# Three promotes of three different commits at once: the log is read
# before the branch, so a loser can see a release land in between; it
# must still exit 5 (or 1 when it found its approvals stale), never 3 or 4.
test_promote_race_different_commits()
{
	local round k c rc wins
	keyed_org_repo r "rita ann"
	for round in $(seq 1 $((ROUNDS / 4 + 1))); do
		local -a commits=()
		for k in 1 2 3; do
			edit_app r support-portal \
				".roles.Agent.members += [\"r${round}k$k@example.com\"]" "r$round k$k"
			commits+=("$(ref_id r dev)")
		done
		for c in "${commits[@]}"; do
			approve r rita staging "$c"
			approve r ann staging "$c"
		done
		for k in 0 1 2; do
			("$APPCTL" -C r promote staging "${commits[$k]}" >"out.$k" 2>"err.$k"
			 echo $? >"code.$k") &
		done
		wait
		wins=0
		for k in 0 1 2; do
			rc=$(cat "code.$k")
			case $rc in
			0) wins=$((wins + 1)) ;;
			1 | 5) ;;
			*) cat "err.$k" >&2; fail "round $round: promote $k exited $rc" ;;
			esac
		done
		expect_equal 1 "$wins" "round $round: winners"
	done
	expect_exit 0 "$APPCTL" -C r audit --verify
}

run_tests test_promote_race_loser_exits_5 test_promote_race_different_commits
