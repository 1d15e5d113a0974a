#!/usr/bin/env bash
# ci_kit.sh: examples/ci/appctl-review.sh, the script both CI examples run,
# in a shallow single-branch clone of a local bare repository (file://, so
# that --depth is honoured): validate SARIF, the diff against the merge
# base, the comment under 60 000 characters, the exit status, and the
# comment replaced, not duplicated, on a fake GitHub API on 127.0.0.1. Then
# the 300-app group change of bench/gen_org.
. "$(dirname "$0")/lib.sh"

REVIEW="$APPCTL_SOURCE_DIR/examples/ci/appctl-review.sh"
FAKE_GITHUB="$APPCTL_SOURCE_DIR/tests/tools/fake_github.py"
SERVER_PIDS=()

stop_servers()
{
	local pid
	for pid in "${SERVER_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$TEST_ROOT"
}
trap stop_servers EXIT

# The review must not reach a real forge, whatever the caller's environment.
unset GITHUB_TOKEN GITHUB_API_URL GITHUB_REPOSITORY GITHUB_EVENT_PATH \
	GITHUB_BASE_REF APPCTL_GITLAB_TOKEN CI_API_V4_URL CI_PROJECT_ID \
	CI_MERGE_REQUEST_IID CI_MERGE_REQUEST_TARGET_BRANCH_NAME APPCTL_SRC \
	APPCTL_REVIEW_POST APPCTL_REVIEW_PR
export APPCTL APPCTL_REVIEW_BASE=dev

# org_remote NAME: a bare repository srv-NAME.git (in the test's folder)
# holding the example org put under appctl (dev, staging, prod, refs/appctl/log, release tags),
# then a branch "feature" off dev that adds newhire@example.com to group
# support, and a later commit on dev that the feature branch does not
# have (so the merge base is not dev's tip).
org_remote()
{
	local w="$PWD/work-$1"
	new_repo "$w"
	cp -r "$APPCTL_SOURCE_DIR/examples/org/." "$w/"
	commit_all "$w" "example org"
	expect_exit 0 "$APPCTL" -C "$w" init
	git -C "$w" checkout -q -b feature dev
	jq '.groups.support += ["newhire@example.com"]' "$w/appctl.json" >"$w/t.json" &&
		mv "$w/t.json" "$w/appctl.json"
	commit_all "$w" "newhire joins support"
	git -C "$w" checkout -q dev
	jq '.owners.technical = "tess@example.com"' "$w/apps/billing-admin/app.json" \
		>"$w/t.json" && mv "$w/t.json" "$w/apps/billing-admin/app.json"
	commit_all "$w" "billing-admin changes hands on dev"
	new_bare_repo "$PWD/srv-$1.git"
	git -C "$w" push -q "$PWD/srv-$1.git" 'refs/heads/*:refs/heads/*' \
		'refs/tags/*:refs/tags/*' 'refs/appctl/*:refs/appctl/*' || fail "push"
}

# shallow_clone NAME DIR: what a CI checkout gives: one commit of one branch.
shallow_clone()
{
	git clone -q --depth 1 --single-branch --branch feature \
		"file://$PWD/srv-$1.git" "$2" || fail "clone"
	[ "$(git -C "$2" rev-parse --is-shallow-repository)" = true ] || fail "not shallow"
	! git -C "$2" rev-parse -q --verify refs/remotes/origin/dev >/dev/null ||
		fail "the clone has dev already"
}

# review DIR ENV...: runs the review script in DIR with ENV added.
review()
{
	local dir=$1
	shift
	run env "$@" bash -c 'cd "$1" && shift && exec bash "$@"' _ "$dir" "$REVIEW"
	# appctl's stderr is kept beside its outputs: no sanitizer report there.
	if cat "$dir"/appctl-review/*.err 2>/dev/null | grep -q -e 'ERROR: AddressSanitizer' \
		-e 'ERROR: LeakSanitizer' -e 'runtime error:'; then
		fail "sanitizer report in $dir/appctl-review"
	fi
}

# check_sarif FILE: valid SARIF 2.1.0 with the fields code scanning reads.
check_sarif()
{
	jq -e '.version == "2.1.0" and .runs[0].tool.driver.name == "appctl"
		and (.runs[0].tool.driver.rules | all(.id and .shortDescription.text
			and .fullDescription.text and .help.text and .help.markdown
			and .defaultConfiguration.level))
		and (.runs[0].results | type == "array")
		and (.runs[0].properties["appctl/errors"] | type == "number")' "$1" >/dev/null ||
		fail "$1 is not the SARIF code scanning reads"
	if [ -n "${SARIF_SCHEMA:-}" ] && python3 -c 'import jsonschema' 2>/dev/null; then
		python3 -c 'import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' \
			"$SARIF_SCHEMA" "$1" || fail "$1 does not match the SARIF 2.1.0 schema"
	fi
}

# A shallow clone of a feature branch: the script fetches dev and the log,
# deepens to the merge base, and reviews only what the branch changes.
test_review_in_shallow_clone()
{
	org_remote org
	shallow_clone org c
	review c APPCTL_REVIEW_FAIL_ON=high
	expect_equal 1 "$STATUS" "exit status with a high-risk change and --fail-on high"
	expect_stderr_contains "not posting: no GITHUB_TOKEN"
	git -C c rev-parse -q --verify refs/remotes/origin/dev >/dev/null || fail "dev not fetched"
	git -C c rev-parse -q --verify refs/appctl/log >/dev/null || fail "refs/appctl/log not fetched"
	git -C c merge-base refs/remotes/origin/dev HEAD >/dev/null || fail "no merge base"
	local out=c/appctl-review
	[ -s "$out/appctl.sarif" ] || fail "no SARIF written"
	check_sarif "$out/appctl.sarif"
	expect_equal 0 "$(jq '.runs[0].properties["appctl/errors"]' "$out/appctl.sarif")" "errors"
	[ -f "$out/comment.md" ] || fail "no comment body"
	head -n 1 "$out/comment.md" | grep -qxF '<!-- appctl-review -->' || fail "no marker"
	[ "$(wc -m <"$out/comment.md")" -lt 60000 ] || fail "comment too long"
	grep -qF 'group `support` gained `newhire@example.com`: access granted in 2 apps (`ops-dashboard`, `support-portal`)' \
		"$out/comment.md" || fail "the comment lacks the cause"
	grep -qF '## appctl review: **fails**' "$out/comment.md" || fail "no verdict"
	grep -qF '**validate** `HEAD`: 0 errors, 0 warnings' "$out/comment.md" || fail "no validate line"
	# Only the branch's change: dev's later commit is not reviewed.
	! grep -qF 'app.owner_changed' "$out/comment.md" || fail "the comment reviews dev's commit"
	jq -e '.changes | length > 0 and all(.kind != "app.owner_changed")' "$out/diff.json" \
		>/dev/null || fail "diff.json"
	expect_equal "$(git -C c merge-base refs/remotes/origin/dev HEAD)" \
		"$(jq -r .from_commit "$out/diff.json")" "the diff starts at the merge base"
	# --fail-on decides the exit status; a second run in the same clone works.
	review c APPCTL_REVIEW_FAIL_ON=none
	expect_equal 0 "$STATUS" "exit status with --fail-on none"
	grep -qF '## appctl review: passes' c/appctl-review/comment.md || fail "verdict"
	review c APPCTL_REVIEW_FAIL_ON=severe
	expect_equal 2 "$STATUS" "a bad setting"
	# A lint warning fails only with APPCTL_REVIEW_VALIDATE_FAIL_ON=warning.
	org_remote warn
	local w="$PWD/work-warn"
	git -C "$w" checkout -q feature
	jq 'del(.integrations[].on_failure)' "$w/apps/support-portal/app.json" >"$w/t.json" &&
		mv "$w/t.json" "$w/apps/support-portal/app.json"
	commit_all "$w" "no on_failure"
	git -C "$w" push -q "$PWD/srv-warn.git" feature || fail "push"
	shallow_clone warn c2
	review c2 APPCTL_REVIEW_FAIL_ON=none
	expect_equal 0 "$STATUS" "warnings pass by default"
	grep -qF '0 errors, 2 warnings' c2/appctl-review/comment.md || fail "warning count"
	review c2 APPCTL_REVIEW_FAIL_ON=none APPCTL_REVIEW_VALIDATE_FAIL_ON=warning
	expect_equal 1 "$STATUS" "warnings fail with VALIDATE_FAIL_ON=warning"
}

# start_fake_github DIR SEED: the fake API; sets API.
start_fake_github()
{
	mkdir -p "$1"
	python3 "$FAKE_GITHUB" "$1" "$2" 2>"$1/server.log" &
	SERVER_PIDS+=("$!")
	for _ in $(seq 1 100); do
		[ -s "$1/port" ] && break
		sleep 0.05
	done
	[ -s "$1/port" ] || fail "the fake GitHub API did not start"
	API="http://127.0.0.1:$(cat "$1/port")"
}

# The comment is posted once, then replaced in place, even when it is on
# the second page of comments; without a token or with APPCTL_REVIEW_POST=no
# nothing is sent.
test_comment_replaced_not_duplicated()
{
	org_remote org
	shallow_clone org c
	start_fake_github gh 100
	echo '{"pull_request": {"number": 7}}' >event.json
	local gh=(GITHUB_TOKEN=test-token GITHUB_API_URL="$API" GITHUB_REPOSITORY=acme/org
		GITHUB_EVENT_PATH="$PWD/event.json" APPCTL_REVIEW_FAIL_ON=high)
	review c "${gh[@]}"
	expect_equal 1 "$STATUS" "first run: --fail-on high"
	expect_equal created "$(cat c/appctl-review/comment-action.txt)" "first run"
	grep -qx 'POST /repos/acme/org/issues/7/comments' gh/requests || fail "no POST"
	! grep -q '^PATCH' gh/requests || fail "PATCH on the first run"
	expect_equal 101 "$(jq length gh/comments.json)" "comments after the first run"
	local id
	id=$(jq '.[] | select(.body | startswith("<!-- appctl-review -->")) | .id' gh/comments.json)
	[ -n "$id" ] || fail "the posted comment lacks the marker"
	jq -e --rawfile b c/appctl-review/comment.md \
		'[.[] | select(.body == $b)] | length == 1' gh/comments.json >/dev/null ||
		fail "the posted body differs from comment.md"
	: >gh/requests
	review c "${gh[@]}" APPCTL_REVIEW_FAIL_ON=none
	expect_equal 0 "$STATUS" "second run"
	expect_equal "updated $id" "$(cat c/appctl-review/comment-action.txt)" "second run"
	grep -qx "PATCH /repos/acme/org/issues/comments/$id" gh/requests || fail "no PATCH of $id"
	grep -qx 'GET /repos/acme/org/issues/7/comments' gh/requests || fail "no listing"
	! grep -q '^POST' gh/requests || fail "a second comment was posted"
	expect_equal 101 "$(jq length gh/comments.json)" "comments after the second run"
	jq -e --argjson id "$id" '.[] | select(.id == $id) | .body | contains("appctl review: passes")' \
		gh/comments.json >/dev/null || fail "the comment was not replaced"
	# Posting can be turned off; the body is still written.
	: >gh/requests
	rm -f c/appctl-review/comment.md
	review c "${gh[@]}" APPCTL_REVIEW_POST=no
	[ ! -s gh/requests ] || fail "APPCTL_REVIEW_POST=no sent requests"
	[ -s c/appctl-review/comment.md ] || fail "no body without posting"
	# A refused token fails the job (exit 4) after writing the body.
	review c "${gh[@]}" GITHUB_TOKEN=wrong APPCTL_REVIEW_FAIL_ON=none
	expect_equal 4 "$STATUS" "refused token"
	expect_stderr_contains "posting the comment to GitHub failed"
	[ -s c/appctl-review/comment.md ] || fail "no body after a failed post"
	expect_equal 101 "$(jq length gh/comments.json)" "comments after a refused post"
}

# The issue's case: one principal joins a group that 9 apps in 10 use, in
# bench/gen_org's 300-app org. The unsummarised review is megabytes; the
# comment stays under 60 000 characters and names the cause.
test_large_group_change()
{
	[ -x "${GEN_ORG:-}" ] || fail "GEN_ORG (bench/gen_org) is not set"
	local w="$PWD/work-big"
	new_repo "$w"
	"$GEN_ORG" --findings=few "$w" || fail "gen_org"
	commit_all "$w" "300 apps"
	git -C "$w" checkout -q -b feature
	"$GEN_ORG" --findings=few --head "$w" || fail "gen_org --head"
	commit_all "$w" "newhire joins g00, 3 apps edited"
	new_bare_repo "$PWD/srv-big.git"
	git -C "$w" push -q "$PWD/srv-big.git" dev feature || fail "push"
	shallow_clone big c
	review c APPCTL_REVIEW_FAIL_ON=high
	expect_equal 1 "$STATUS" "high-risk changes"
	local out=c/appctl-review chars
	check_sarif "$out/appctl.sarif"
	[ "$(jq '.runs[0].properties["appctl/warnings"]' "$out/appctl.sarif")" -gt 10000 ] ||
		fail "the big org should have many warnings"
	chars=$(wc -m <"$out/comment.md")
	[ "$chars" -lt 60000 ] || fail "comment has $chars characters"
	head -n 1 "$out/comment.md" | grep -qxF '<!-- appctl-review -->' || fail "no marker"
	grep -qF -- '- **high** group `g00` gained `newhire@example.com`: access granted in 270 apps' \
		"$out/comment.md" || fail "the comment does not name the cause"
	grep -qF 'Cut to fit a comment' "$out/comment.md" || fail "no note on what was cut"
	# What the comment stands for: every change, one table row each (about
	# 120 bytes) in an unsummarised review, megabytes of it.
	[ "$(jq '.changes | length' "$out/diff.json")" -gt 30000 ] || fail "too few changes"
	[ "$(wc -c <"$out/diff.json")" -gt 3000000 ] || fail "diff.json is too small"
}

run_tests test_review_in_shallow_clone test_comment_replaced_not_duplicated \
	test_large_group_change
