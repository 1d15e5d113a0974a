# lib.sh: shared helpers for the CLI tests (sourced; real git repositories in a temp dir).
#
# Usage in a test script:
#   . "$(dirname "$0")/lib.sh"
#   test_empty_repo() { new_repo r; expect_exit 0 "$APPCTL" -C r init; ... }
#   run_tests test_empty_repo ...
#
# ctest provides APPCTL (the binary) and APPCTL_SOURCE_DIR.

# Run directly (ctest globs every *.sh), this file has nothing to test.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	exit 0
fi

set -u

: "${APPCTL:?APPCTL must name the appctl binary}"
: "${APPCTL_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

TEST_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/appctl-test.XXXXXX") || exit 1
trap 'rm -rf "$TEST_ROOT"' EXIT
cd "$TEST_ROOT" || exit 1

# The user's own git configuration must not leak into the tests (libgit2 and
# git both read $HOME/.gitconfig and the XDG file).
export HOME="$TEST_ROOT/home"
export XDG_CONFIG_HOME="$HOME/.config"
export GIT_CONFIG_NOSYSTEM=1
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY
mkdir -p "$HOME"
# Stable, colourless output.
export NO_COLOR=1 LC_ALL=C

TEST_NAME=""
OUT="$TEST_ROOT/stdout"
ERR="$TEST_ROOT/stderr"
STATUS=0

fail()
{
	echo "FAIL ${TEST_NAME:-?}: $*" >&2
	if [ -f "$OUT" ]; then
		echo "--- stdout of the last command:" >&2
		head -c 4000 "$OUT" >&2
	fi
	if [ -f "$ERR" ]; then
		echo "--- stderr of the last command:" >&2
		head -c 4000 "$ERR" >&2
	fi
	exit 1
}

# new_repo DIR [BRANCH]: a fresh non-bare repository with an identity.
new_repo()
{
	git init -q -b "${2:-dev}" "$1" || fail "git init $1"
	git -C "$1" config user.name "Test User"
	git -C "$1" config user.email "tester@example.com"
	git -C "$1" config commit.gpgsign false
	git -C "$1" config tag.gpgsign false
}

# new_bare_repo DIR: a fresh bare repository with an identity.
new_bare_repo()
{
	git init -q --bare "$1" || fail "git init --bare $1"
	git -C "$1" config user.name "Test User"
	git -C "$1" config user.email "tester@example.com"
}

# commit_all DIR MESSAGE: stages everything and commits it.
commit_all()
{
	git -C "$1" add -A || fail "git add in $1"
	git -C "$1" commit -q -m "$2" || fail "git commit in $1"
}

# run CMD...: runs a command, keeping stdout, stderr and the exit status.
run()
{
	"$@" >"$OUT" 2>"$ERR"
	STATUS=$?
}

# expect_exit CODE CMD...: runs the command and checks its exit status.
expect_exit()
{
	local want=$1
	shift
	run "$@"
	[ "$STATUS" -eq "$want" ] || fail "expected exit $want, got $STATUS: $*"
	# A sanitizer report is a failure whatever the exit status.
	if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
		-e 'runtime error:' "$ERR"; then
		fail "sanitizer report: $*"
	fi
}

expect_stdout_contains()
{
	grep -qF -- "$1" "$OUT" || fail "stdout lacks '$1'"
}

expect_stdout_lacks()
{
	! grep -qF -- "$1" "$OUT" || fail "stdout has '$1'"
}

expect_stderr_contains()
{
	grep -qF -- "$1" "$ERR" || fail "stderr lacks '$1'"
}

expect_stdout_empty()
{
	[ ! -s "$OUT" ] || fail "stdout is not empty"
}

# expect_equal WANT GOT WHAT
expect_equal()
{
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# refs_snapshot DIR: every ref with its value, and where HEAD points.
refs_snapshot()
{
	git -C "$1" for-each-ref --format='%(objectname) %(refname)'
	git -C "$1" symbolic-ref -q HEAD || git -C "$1" rev-parse -q --verify HEAD
	true
}

# save_refs DIR: remembers the refs of DIR for expect_refs_unchanged.
save_refs()
{
	refs_snapshot "$1" >"$TEST_ROOT/refs.before"
}

# expect_refs_unchanged DIR: no ref was created, moved or deleted.
expect_refs_unchanged()
{
	refs_snapshot "$1" >"$TEST_ROOT/refs.after"
	if ! cmp -s "$TEST_ROOT/refs.before" "$TEST_ROOT/refs.after"; then
		diff "$TEST_ROOT/refs.before" "$TEST_ROOT/refs.after" >&2
		fail "refs changed in $1"
	fi
}

# ref_id DIR REF: the commit a ref points to (peeled), or "" when missing.
ref_id()
{
	git -C "$1" rev-parse -q --verify "$2^{commit}" 2>/dev/null || true
}

# ---- an organisation with real signing keys (approve, promote, sync, hook) ----

KEYS="$TEST_ROOT/keys"

# make_keys NAME...: an ed25519 key without passphrase per name, in $KEYS.
make_keys()
{
	local k
	mkdir -p "$KEYS"
	for k in "$@"; do
		ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$KEYS/$k" </dev/null \
			|| fail "ssh-keygen $k"
	done
}

# keyed_org_repo DIR NAMES [JQ-FILTER-FOR-appctl.json]: the example org with
# NAME@example.com trusted for appctl signatures (keys from make_keys) in
# allowed_signers BEFORE `appctl init`, so every environment trusts them.
keyed_org_repo()
{
	local k
	new_repo "$1"
	cp -r "$APPCTL_SOURCE_DIR/examples/org/." "$1/"
	for k in $2; do
		echo "$k@example.com namespaces=\"appctl\" $(cut -d' ' -f1,2 "$KEYS/$k.pub")"
	done >>"$1/allowed_signers"
	if [ $# -gt 2 ]; then
		jq "$3" "$1/appctl.json" >"$1/tmp.json" && mv "$1/tmp.json" "$1/appctl.json"
	fi
	commit_all "$1" "example org with test signers"
	expect_exit 0 "$APPCTL" -C "$1" init
}

LOG=refs/appctl/log

# approve DIR KEY ARGS...: an approval signed with a test key, which must be recorded.
approve()
{
	local dir=$1 key=$2
	shift 2
	expect_exit 0 "$APPCTL" -C "$dir" approve --key "$KEYS/$key" "$@"
}

# edit_app DIR APP JQ-FILTER MESSAGE: one commit on dev changing an app.
edit_app()
{
	local f="$1/apps/$2/app.json"
	jq "$3" "$f" >"$f.tmp" && mv "$f.tmp" "$f"
	commit_all "$1" "$4"
}

# An admin_panel change (2 approvers, no rule): dan joins Finance.
grant_dan()
{
	edit_app "$1" billing-admin '.roles.Finance.members += ["dan@example.com"]' \
		"dan joins Finance"
}

# append_event DIR JSON [SIGNATURE-FILE] [STATE-FILTER]: an event appended
# by hand with git plumbing, state.json updated with a jq filter ($id is
# the event's id).
append_event()
{
	local dir=$1 json=$2 sig=${3:-} filter=${4:-.} head state ev st sg tree commit
	head=$(git -C "$dir" rev-parse "$LOG") || fail "log head"
	ev=$(printf '%s' "$json" | git -C "$dir" hash-object -w --stdin)
	state=$(git -C "$dir" show "$head:state.json" |
		jq -cS --arg id "$ev" ".seq += 1 | $filter")
	st=$(printf '%s' "$state" | git -C "$dir" hash-object -w --stdin)
	{
		printf '100644 blob %s\tevent.json\n' "$ev"
		if [ -n "$sig" ]; then
			sg=$(git -C "$dir" hash-object -w "$sig")
			printf '100644 blob %s\tevent.json.sig\n' "$sg"
		fi
		printf '100644 blob %s\tstate.json\n' "$st"
	} >"$TEST_ROOT/tree.txt"
	tree=$(git -C "$dir" mktree <"$TEST_ROOT/tree.txt") || fail "mktree"
	commit=$(git -C "$dir" commit-tree "$tree" -p "$head" -m "hand-made event") \
		|| fail "commit-tree"
	git -C "$dir" update-ref "$LOG" "$commit" "$head" || fail "update-ref"
	EVENT_ID=$ev
}

# ---- git daemon on loopback (hook.sh, judge.sh) ----

DAEMON_PIDS=()

# stop_daemons: ends every daemon start_daemon started, then removes
# TEST_ROOT (a receive-pack a daemon forked may still be finishing).
# Scripts that start daemons make it their EXIT trap.
stop_daemons()
{
	local pid
	for pid in "${DAEMON_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$TEST_ROOT" 2>/dev/null || { sleep 1; rm -rf "$TEST_ROOT"; }
}

# start_daemon [ENV-ARGS...]: `git daemon --enable=receive-pack` for $SRV
# on a free port of 127.0.0.1, started through env(1) with ENV-ARGS; sets
# PORT. Tries ports until one is free: the daemon exits at once when it is
# taken.
start_daemon()
{
	local try i pid
	mkdir -p "$SRV"
	for try in $(seq 1 20); do
		PORT=$((20000 + RANDOM % 40000))
		env "$@" git daemon --enable=receive-pack --export-all \
			--base-path="$SRV" --reuseaddr --listen=127.0.0.1 \
			--port="$PORT" >"$TEST_ROOT/daemon.$PORT.log" 2>&1 &
		pid=$!
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
				DAEMON_PIDS+=("$pid")
				return 0
			fi
			sleep 0.1
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	fail "git daemon did not start"
}

# run_tests NAME...: runs each test function in a fresh subdirectory.
run_tests()
{
	local t count=0
	for t in "$@"; do
		TEST_NAME=$t
		mkdir -p "$TEST_ROOT/$t"
		cd "$TEST_ROOT/$t" || fail "cd"
		"$t"
		cd "$TEST_ROOT" || fail "cd"
		echo "ok - $t"
		count=$((count + 1))
	done
	echo "$count tests passed"
}
