#!/usr/bin/env bash
# appctl-review.sh: the appctl review of a pull or merge request, one script
# for every CI system (examples/ci/github-actions.yml and .gitlab-ci.yml run
# it; tests/cli/ci_kit.sh runs it against a shallow clone of a local bare
# repository).
#
# Run it at the top of the checked-out org repository. It
#   1. finds appctl (APPCTL, or `appctl` on PATH), or builds it from the
#      source in APPCTL_SRC the README's way;
#   2. makes the clone hold what appctl needs: the base branch and
#      refs/appctl/* (explicit refspecs: CI clones are single-branch), and
#      enough history for the merge base (CI clones are shallow: deepen,
#      and unshallow as a last resort);
#   3. runs `appctl validate --sarif` into appctl.sarif, for upload to code
#      scanning;
#   4. runs `appctl diff --markdown --summary --fail-on RISK BASE...HEAD`
#      (from the merge base, as `git diff A...B`) and keeps
#      `appctl diff --json` in full;
#   5. writes the comment body (marked with <!-- appctl-review -->) to
#      comment.md and, with a token, posts it to the pull or merge request,
#      replacing the comment an earlier run posted instead of adding one.
#
# Settings (environment):
#   APPCTL                 appctl to run (default: `appctl` on PATH, else built)
#   APPCTL_SRC             appctl's source, built into APPCTL_SRC/build when
#                          no appctl is found
#   APPCTL_REVIEW_BASE     base branch (default: GITHUB_BASE_REF, then
#                          CI_MERGE_REQUEST_TARGET_BRANCH_NAME, then dev)
#   APPCTL_REVIEW_REMOTE   remote to fetch from (default: origin)
#   APPCTL_REVIEW_FAIL_ON  diff risk that fails the job: high, medium, low
#                          or none (default: high)
#   APPCTL_REVIEW_VALIDATE_FAIL_ON  error or warning (default: error)
#   APPCTL_REVIEW_MAX_RESULTS       SARIF results kept (default: 5000)
#   APPCTL_REVIEW_OUT      output folder (default: appctl-review)
#   APPCTL_REVIEW_DEEPEN   commits fetched per deepening step (default: 50)
#   APPCTL_REVIEW_POST     "no" to never post, even with a token
#   GitHub:  GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL (default
#            https://api.github.com), the pull request number from
#            APPCTL_REVIEW_PR or GITHUB_EVENT_PATH's pull_request.number
#   GitLab:  APPCTL_GITLAB_TOKEN (a token with the api scope: the job token
#            cannot write notes), CI_API_V4_URL, CI_PROJECT_ID,
#            CI_MERGE_REQUEST_IID
#
# Outputs in APPCTL_REVIEW_OUT: appctl.sarif, diff.md,
# diff.json (every change: the full report to keep as an artifact),
# comment.md (what is posted), and comment-action.txt once posted
# ("created", or "updated ID").
#
# Exit status: 0 when the review passes; 1 when validate fails
# (APPCTL_REVIEW_VALIDATE_FAIL_ON) or a change reaches APPCTL_REVIEW_FAIL_ON;
# 2 for a bad setting; otherwise appctl's own status (3 invalid
# definitions, 4 git or I/O), or 4 when the comment could not be posted.
# The comment is written, and posted, whatever the verdict.
set -uo pipefail

MARKER='<!-- appctl-review -->'
# A comment holds 65,536 characters; the review keeps under 60,000, and
# appctl's Markdown gets what the lines around it leave.
COMMENT_LIMIT=60000
DIFF_MAX_CHARS=58000

say() { printf 'appctl-review: %s\n' "$*" >&2; }
die() { say "$2"; exit "$1"; }

base=${APPCTL_REVIEW_BASE:-${GITHUB_BASE_REF:-${CI_MERGE_REQUEST_TARGET_BRANCH_NAME:-dev}}}
remote=${APPCTL_REVIEW_REMOTE:-origin}
fail_on=${APPCTL_REVIEW_FAIL_ON:-high}
validate_fail_on=${APPCTL_REVIEW_VALIDATE_FAIL_ON:-error}
max_results=${APPCTL_REVIEW_MAX_RESULTS:-5000}
out=${APPCTL_REVIEW_OUT:-appctl-review}
deepen=${APPCTL_REVIEW_DEEPEN:-50}

case "$fail_on" in high | medium | low | none) ;; *)
	die 2 "APPCTL_REVIEW_FAIL_ON: '$fail_on' is not high, medium, low or none" ;;
esac
case "$validate_fail_on" in error | warning) ;; *)
	die 2 "APPCTL_REVIEW_VALIDATE_FAIL_ON: '$validate_fail_on' is not error or warning" ;;
esac
case "$deepen" in '' | *[!0-9]*) die 2 "APPCTL_REVIEW_DEEPEN: '$deepen' is not a number" ;; esac
git rev-parse --git-dir >/dev/null 2>&1 || die 4 "not in a git repository"
mkdir -p "$out" || die 4 "cannot create '$out'"

# ---- 1. appctl ----

find_appctl()
{
	if [ -n "${APPCTL:-}" ]; then
		[ -x "$APPCTL" ] || die 4 "APPCTL='$APPCTL' is not executable"
		return
	fi
	if command -v appctl >/dev/null 2>&1; then
		APPCTL=$(command -v appctl)
		return
	fi
	[ -n "${APPCTL_SRC:-}" ] && [ -f "$APPCTL_SRC/CMakeLists.txt" ] ||
		die 4 "no appctl: set APPCTL, put appctl on PATH, or set APPCTL_SRC to its source"
	say "building appctl from $APPCTL_SRC"
	# The README's way: dependencies, then a CMake build (without the tests).
	# install-deps.sh installs as root; hosted runners give sudo instead.
	local sudo=()
	[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo=(sudo)
	"${sudo[@]}" bash "$APPCTL_SRC/scripts/install-deps.sh" --build-only >&2 ||
		die 4 "installing appctl's build dependencies failed"
	cmake -S "$APPCTL_SRC" -B "$APPCTL_SRC/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DAPPCTL_TESTS=OFF >&2 &&
		cmake --build "$APPCTL_SRC/build" -j"$(nproc 2>/dev/null || echo 2)" >&2 ||
		die 4 "building appctl failed"
	APPCTL="$APPCTL_SRC/build/appctl"
}
find_appctl

# ---- 2. what the clone must hold ----

base_ref="refs/remotes/$remote/$base"
is_shallow() { [ "$(git rev-parse --is-shallow-repository)" = true ]; }

# The base branch into its remote-tracking ref, and appctl's log and
# state. refs/appctl/* is not forced: a local log that went further is
# kept (appctl sync reconciles logs; a review does not need to).
fetch_base()
{
	git fetch --no-tags --quiet "$@" "$remote" "+refs/heads/$base:$base_ref" ||
		die 4 "cannot fetch branch '$base' from '$remote'"
	git fetch --no-tags --quiet "$remote" 'refs/appctl/*:refs/appctl/*' 2>/dev/null ||
		say "refs/appctl/* not fetched (none on '$remote', or the local log went further)"
}

if is_shallow; then
	fetch_base --depth="$deepen"
else
	fetch_base
fi
# Deepen both sides until they meet, doubling the step; then unshallow.
step=$deepen
tries=0
while ! git merge-base "$base_ref" HEAD >/dev/null 2>&1; do
	is_shallow || die 4 "'$base' and HEAD have no common history"
	tries=$((tries + 1))
	if [ "$tries" -gt 6 ]; then
		say "no merge base within the fetched history: fetching all of it"
		git fetch --no-tags --quiet --unshallow "$remote" \
			"+refs/heads/$base:$base_ref" || die 4 "git fetch --unshallow failed"
		continue
	fi
	git fetch --no-tags --quiet --deepen="$step" "$remote" \
		"+refs/heads/$base:$base_ref" || die 4 "git fetch --deepen failed"
	step=$((step * 2))
done
head=$(git rev-parse --short HEAD)

# ---- 3. validate ----

status=0
# first_error CODE: keeps the first status above 1 (appctl's own failure),
# which outranks a verdict.
first_error() { [ "$1" -gt 1 ] && [ "$status" -le 1 ] && status=$1; }

"$APPCTL" validate --sarif --max-results "$max_results" \
	--fail-on "$validate_fail_on" HEAD >"$out/appctl.sarif" 2>"$out/validate.err"
validate_status=$?
first_error "$validate_status"
[ "$validate_status" -eq 1 ] && [ "$status" -eq 0 ] && status=1

# ---- 4. diff against the merge base ----

fail_args=()
[ "$fail_on" != none ] && fail_args=(--fail-on "$fail_on")
range="$base_ref...HEAD"
"$APPCTL" diff --json "$range" >"$out/diff.json" 2>"$out/diff.err"
first_error $?
"$APPCTL" diff --markdown --summary --max-chars "$DIFF_MAX_CHARS" "${fail_args[@]}" \
	"$range" >"$out/diff.md" 2>>"$out/diff.err"
diff_status=$?
first_error "$diff_status"
[ "$diff_status" -eq 1 ] && [ "$status" -eq 0 ] && status=1

# ---- 5. the comment ----

# sarif_counts FILE: "N errors, M warnings", every finding counted.
sarif_counts()
{
	if command -v jq >/dev/null 2>&1; then
		jq -r '.runs[0].properties | "\(.["appctl/errors"]) errors, \(.["appctl/warnings"]) warnings"' "$1"
	else
		python3 -c 'import json,sys
p = json.load(open(sys.argv[1]))["runs"][0]["properties"]
print("%d errors, %d warnings" % (p["appctl/errors"], p["appctl/warnings"]))' "$1"
	fi
}

# JSON through jq, or python3 where jq is missing.
json_body()
{
	if command -v jq >/dev/null 2>&1; then
		jq -Rs '{body: .}' <"$1"
	else
		python3 -c 'import json,sys; print(json.dumps({"body": sys.stdin.read()}))' <"$1"
	fi
}

# marked_id FIELD: the id of the first comment in the JSON list on stdin
# whose FIELD holds the marker, if any.
marked_id()
{
	if command -v jq >/dev/null 2>&1; then
		jq -r --arg m "$MARKER" --arg f "$1" \
			'[.[] | select((.[$f] // "") | contains($m)) | .id][0] // empty'
	else
		python3 -c 'import json,sys
m, f = sys.argv[1], sys.argv[2]
ids = [c["id"] for c in json.load(sys.stdin) if m in (c.get(f) or "")]
print(ids[0] if ids else "")' "$MARKER" "$1"
	fi
}

# api METHOD URL [BODY-FILE]: one authenticated call; the response on
# stdout; fails on an HTTP error.
api()
{
	local args=(--silent --show-error --fail --location --max-time 60 -X "$1"
		-H "Accept: application/json" -H "$auth")
	[ $# -ge 3 ] && args+=(-H "Content-Type: application/json" --data-binary "@$3")
	curl "${args[@]}" "$2"
}

# find_marked LIST-URL FIELD: the marked comment's id, over every page.
find_marked()
{
	local page=1 body id sep='?'
	case "$1" in *\?*) sep='&' ;; esac
	while [ "$page" -le 50 ]; do
		body=$(api GET "$1${sep}per_page=100&page=$page") || return 1
		id=$(printf '%s' "$body" | marked_id "$2") || return 1
		if [ -n "$id" ]; then
			echo "$id"
			return 0
		fi
		case "$body" in '[]' | '[ ]' | '') return 0 ;; esac
		page=$((page + 1))
	done
}

post_github()
{
	local api_url=${GITHUB_API_URL:-https://api.github.com} pr=${APPCTL_REVIEW_PR:-} id
	if [ -z "$pr" ] && [ -n "${GITHUB_EVENT_PATH:-}" ] && [ -f "$GITHUB_EVENT_PATH" ]; then
		if command -v jq >/dev/null 2>&1; then
			pr=$(jq -r '.pull_request.number // empty' "$GITHUB_EVENT_PATH")
		else
			pr=$(python3 -c 'import json,sys; print((json.load(open(sys.argv[1])).get("pull_request") or {}).get("number") or "")' "$GITHUB_EVENT_PATH")
		fi
	fi
	[ -n "$pr" ] && [ -n "${GITHUB_REPOSITORY:-}" ] || {
		say "not posting: no pull request number or GITHUB_REPOSITORY"
		return 0
	}
	auth="Authorization: Bearer $GITHUB_TOKEN"
	json_body "$out/comment.md" >"$out/comment.json" || return 1
	id=$(find_marked "$api_url/repos/$GITHUB_REPOSITORY/issues/$pr/comments" body) || return 1
	if [ -n "$id" ]; then
		say "updating comment $id on pull request #$pr"
		api PATCH "$api_url/repos/$GITHUB_REPOSITORY/issues/comments/$id" \
			"$out/comment.json" >"$out/comment-response.json" || return 1
	else
		say "commenting on pull request #$pr"
		api POST "$api_url/repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
			"$out/comment.json" >"$out/comment-response.json" || return 1
	fi
	echo "${id:+updated }${id:-created}" >"$out/comment-action.txt"
}

post_gitlab()
{
	local notes id
	[ -n "${CI_API_V4_URL:-}" ] && [ -n "${CI_PROJECT_ID:-}" ] &&
		[ -n "${CI_MERGE_REQUEST_IID:-}" ] || {
		say "not posting: not a merge request pipeline"
		return 0
	}
	auth="PRIVATE-TOKEN: $APPCTL_GITLAB_TOKEN"
	notes="$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"
	json_body "$out/comment.md" >"$out/comment.json" || return 1
	id=$(find_marked "$notes" body) || return 1
	if [ -n "$id" ]; then
		say "updating note $id on merge request !$CI_MERGE_REQUEST_IID"
		api PUT "$notes/$id" "$out/comment.json" >"$out/comment-response.json" || return 1
	else
		say "commenting on merge request !$CI_MERGE_REQUEST_IID"
		api POST "$notes" "$out/comment.json" >"$out/comment-response.json" || return 1
	fi
	echo "${id:+updated }${id:-created}" >"$out/comment-action.txt"
}

verdict()
{
	if [ "$validate_status" -eq 0 ] && [ "$diff_status" -eq 0 ]; then
		echo "passes"
	elif [ "$validate_status" -le 1 ] && [ "$diff_status" -le 1 ]; then
		echo "**fails**"
	else
		echo "**could not run** (see the job log)"
	fi
}

{
	echo "$MARKER"
	echo "## appctl review: $(verdict)"
	echo
	echo "Reviewed \`$head\` against the merge base with \`$base\`."
	echo
	if [ "$validate_status" -le 1 ]; then
		echo "**validate** \`HEAD\`: $(sarif_counts "$out/appctl.sarif")" \
			"(findings in code scanning, or appctl.sarif in the job's artifacts)"
	else
		echo "**validate** failed: \`$(head -n 1 "$out/validate.err")\`"
	fi
	echo
	if [ "$diff_status" -le 1 ]; then
		cat "$out/diff.md"
	else
		echo "**diff** failed: \`$(head -n 1 "$out/diff.err")\`"
	fi
	echo
	echo "<sub>Updated by appctl-review for \`$head\`; diff gate: \`--fail-on $fail_on\`." \
		"Every change: \`appctl diff --json $base...HEAD\`, or diff.json in the job's artifacts.</sub>"
} >"$out/comment.md"
# The last guard of the size: cut at a line end, and say so.
if [ "$(wc -m <"$out/comment.md")" -ge "$COMMENT_LIMIT" ]; then
	head -c $((COMMENT_LIMIT - 400)) "$out/comment.md" | sed '$d' >"$out/comment.cut"
	printf '\n\n> Cut to fit a comment; every change is in diff.json.\n' >>"$out/comment.cut"
	mv "$out/comment.cut" "$out/comment.md"
fi

auth=
posted=0
if [ "${APPCTL_REVIEW_POST:-yes}" = no ]; then
	say "not posting (APPCTL_REVIEW_POST=no); the comment is in $out/comment.md"
elif [ -n "${GITHUB_TOKEN:-}" ]; then
	if post_github; then posted=1; else say "posting the comment to GitHub failed"; status=4; fi
elif [ -n "${APPCTL_GITLAB_TOKEN:-}" ]; then
	if post_gitlab; then posted=1; else say "posting the note to GitLab failed"; status=4; fi
else
	say "not posting: no GITHUB_TOKEN or APPCTL_GITLAB_TOKEN; the comment is in $out/comment.md"
fi
[ "$posted" -eq 1 ] && [ -f "$out/comment-action.txt" ] &&
	say "comment $(cat "$out/comment-action.txt")"
say "validate exit $validate_status, diff exit $diff_status; exit $status"
exit "$status"
