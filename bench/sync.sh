#!/usr/bin/env bash
# sync.sh: times `appctl sync --fetch` and `appctl sync` of N new events against `git fetch` / `git push` of the same refs (target: within 3x), for 1 000 and 10 000 events (target: linear).
#
# Usage: bash bench/sync.sh [BUILD_DIR] [REPETITIONS] [SMALL] [LARGE]
#
# BUILD_DIR holds appctl and bench/gen_log (default: /tmp/build-bench, made
# with `cmake -S . -B /tmp/build-bench -DCMAKE_BUILD_TYPE=Release
# -DAPPCTL_TESTS=OFF && cmake --build /tmp/build-bench`). Not part of ctest.
#
# One repository, the example org (signatures not required, no webhooks)
# whose log gen_log grows to LARGE + 1 000 events (see bench/lib.sh), is
# the full log. For N in SMALL (1 000) and LARGE (10 000) a prefix of it
# is made: the log N events back, the staging branch where that log has
# it, no later release tag; its bare copy (only the objects it reaches,
# as a server holding that log would) is served from a file path.
#
# Fetch: a clone of the prefix that has taken and verified its log
# (`appctl sync --fetch`) syncs from the full server: it fetches and
# judges N events, moves staging and takes the new release tags. The
# anchor is `git fetch` of the same refs (the log, the environment
# branches, refs/tags/release/*) into a copy of the same clone. Push: a
# verified clone of the full log syncs to a fresh copy of the prefix
# server: `appctl sync` judges the N events as the server's hook would,
# then pushes the log, staging and the new tags in one `git push
# --atomic`. The anchor is that `git push --atomic` of the same refs
# from a copy of the same clone. Every run starts from fresh copies (not
# timed), so each does the same work; runs are interleaved and run 0
# warms the page cache and is not counted.
set -euo pipefail

build=${1:-/tmp/build-bench}
reps=${2:-5}
small=${3:-1000}
large=${4:-10000}
appctl="$build/appctl"
gen="$build/bench/gen_log"
src=$(cd "$(dirname "$0")/.." && pwd)
for tool in "$appctl" "$gen"; do
	[ -x "$tool" ] || { echo "sync.sh: $tool is missing; build first" >&2; exit 2; }
done

. "$src/bench/lib.sh"
bench_setup sync

# prefix N: $work/srv/preN.git, the full log N events back.
prefix()
{
	local n=$1 dir="$work/pre$n" log commit rel
	cp -a "$work/full" "$dir"
	log=$(git -C "$dir" rev-parse "refs/appctl/log~$n")
	git -C "$dir" update-ref refs/appctl/log "$log"
	commit=$(git -C "$dir" show "$log:state.json" | jq -r '.envs.staging.commit')
	rel=$(git -C "$dir" show "$log:state.json" | jq '.envs.staging.release')
	git -C "$dir" update-ref refs/heads/staging "$commit"
	git -C "$dir" for-each-ref --format='%(refname)' refs/tags/release/staging |
		awk -F/ -v rel="$rel" '$NF > rel { print "delete " $0 }' |
		git -C "$dir" update-ref --stdin
	# --no-local: only the objects the refs reach, not a hard-linked store.
	git clone -q --mirror --no-local "$dir" "$work/srv/pre$n.git"
	rm -rf "$dir"
}

# verified_clone SERVER DIR: a clone that took and verified the server's log.
verified_clone()
{
	git clone -q --no-local "$1" "$2"
	"$appctl" -C "$2" sync --fetch >/dev/null
}

# time_cmd DIR CMD...: runs CMD in DIR, prints the ns it took.
time_cmd()
{
	local dir=$1 t0 t1
	shift
	t0=$(now_ns)
	(cd "$dir" && "$@") >/dev/null 2>"$work/cmd.err" ||
		{ echo "sync.sh: $* failed in $dir:" >&2; cat "$work/cmd.err" >&2; exit 1; }
	t1=$(now_ns)
	echo $((t1 - t0))
}

full_events=$((large + 1000))
echo "generating $full_events events..." >&2
make_repo "$work/full" "$full_events"
git clone -q --mirror --no-local "$work/full" "$work/srv/full.git"
for n in "$small" "$large"; do
	prefix "$n"
	verified_clone "$work/srv/pre$n.git" "$work/fetch$n"
	git -C "$work/fetch$n" remote set-url origin "$work/srv/full.git"
done
verified_clone "$work/srv/full.git" "$work/pushfrom"

specs=(+refs/appctl/log:refs/appctl/remote/origin/log
	'+refs/tags/release/*:refs/appctl/remote/origin/tags/release/*'
	+refs/heads/dev:refs/appctl/remote/origin/heads/dev
	+refs/heads/staging:refs/appctl/remote/origin/heads/staging
	+refs/heads/prod:refs/appctl/remote/origin/heads/prod)

variants=""
for n in "$small" "$large"; do
	variants="$variants fetch-appctl-$n fetch-git-$n push-appctl-$n push-git-$n"
done
for v in $variants; do : >"$work/$v.ns"; done
for i in $(seq 0 "$reps"); do
	for n in "$small" "$large"; do
		rm -rf "$work/run"
		cp -a "$work/fetch$n" "$work/run"
		ns=$(time_cmd "$work/run" "$appctl" sync --fetch)
		[ "$(git -C "$work/run" rev-parse refs/appctl/log)" = \
		  "$(git -C "$work/srv/full.git" rev-parse refs/appctl/log)" ] ||
			{ echo "sync.sh: sync --fetch did not take the log" >&2; exit 1; }
		[ "$i" -eq 0 ] || echo "$ns" >>"$work/fetch-appctl-$n.ns"

		rm -rf "$work/run"
		cp -a "$work/fetch$n" "$work/run"
		ns=$(time_cmd "$work/run" git fetch -q --no-tags origin "${specs[@]}")
		[ "$i" -eq 0 ] || echo "$ns" >>"$work/fetch-git-$n.ns"

		rm -rf "$work/run" "$work/srv/run.git"
		cp -a "$work/pushfrom" "$work/run"
		cp -a "$work/srv/pre$n.git" "$work/srv/run.git"
		git -C "$work/run" remote set-url origin "$work/srv/run.git"
		ns=$(time_cmd "$work/run" "$appctl" sync)
		[ "$(git -C "$work/srv/run.git" rev-parse refs/appctl/log)" = \
		  "$(git -C "$work/run" rev-parse refs/appctl/log)" ] ||
			{ echo "sync.sh: sync did not push the log" >&2; exit 1; }
		[ "$i" -eq 0 ] || echo "$ns" >>"$work/push-appctl-$n.ns"

		rm -rf "$work/run" "$work/srv/run.git"
		cp -a "$work/pushfrom" "$work/run"
		cp -a "$work/srv/pre$n.git" "$work/srv/run.git"
		ns=$(time_cmd "$work/run" git push -q --atomic "$work/srv/run.git" \
			refs/appctl/log refs/heads/staging \
			'refs/tags/release/*:refs/tags/release/*')
		[ "$i" -eq 0 ] || echo "$ns" >>"$work/push-git-$n.ns"
	done
done
rm -rf "$work/run" "$work/srv/run.git"
{
	for v in $variants; do
		echo "$v $(median "$work/$v.ns")"
	done
} | awk -v n="$reps" -v a="$small" -v b="$large" '
	{ t[$1] = $2 }
	END {
		for (k = 0; k < 2; k++) {
			e = k ? b : a
			printf "%6d new events: appctl sync --fetch %8.1f ms, git fetch %7.1f ms: %5.2fx (target <= 3)\n", e, t["fetch-appctl-" e] / 1e6, t["fetch-git-" e] / 1e6, t["fetch-appctl-" e] / t["fetch-git-" e]
			printf "%6d new events: appctl sync         %8.1f ms, git push  %7.1f ms: %5.2fx (target <= 3)\n", e, t["push-appctl-" e] / 1e6, t["push-git-" e] / 1e6, t["push-appctl-" e] / t["push-git-" e]
		}
		printf "%d / %d events, appctl sync --fetch: %5.2fx (git fetch %.2fx; linear: %.0fx)\n", b, a, t["fetch-appctl-" b] / t["fetch-appctl-" a], t["fetch-git-" b] / t["fetch-git-" a], b / a
		printf "%d / %d events, appctl sync:         %5.2fx (git push  %.2fx; linear: %.0fx)\n", b, a, t["push-appctl-" b] / t["push-appctl-" a], t["push-git-" b] / t["push-git-" a], b / a
		printf "(medians of %d)\n", n
	}'
