#!/usr/bin/env bash
# hook.sh: times a pushed promotion to `git daemon` with the pre-receive hook and without (target: median ratio <= 1.5), and with 1 000 vs 100 000 events in the log (target: within 1.2x).
#
# Usage: bash bench/hook.sh [BUILD_DIR] [REPETITIONS] [SMALL] [LARGE]
#
# BUILD_DIR holds appctl and bench/gen_log (default: /tmp/build-bench, made
# with `cmake -S . -B /tmp/build-bench -DCMAKE_BUILD_TYPE=Release
# -DAPPCTL_TESTS=OFF && cmake --build /tmp/build-bench`). Not part of ctest.
#
# Each repository is the example org (signatures not required, no webhooks:
# the time is appctl's, not ssh-keygen's or a network's) whose log gen_log
# grows to SMALL and LARGE events, as bench/promote.sh does. Bare copies are
# served by one `git daemon`: one with the hook, one without, per size. A
# run promotes staging in the client (not timed), then times
# `git push --atomic origin refs/appctl/log +staging refs/tags/release/...`
# (staging alternates between two commits: forced, the hook is the judge)
# and puts every ref back on both sides (and the client's record of its
# last verified log head), so that every run does the same work. The hook
# trusts its own log (each event was judged when it arrived) and judges the
# events the push appends, reading back only to the environment's last
# release for their approvals, never the whole log; but git itself
# advertises every ref of the server on each push, and every release leaves
# a tag, so the large servers are also timed with their old tags removed
# ("pruned"), which isolates the log's share. Last, the hook alone
# (`appctl hook pre-receive` on the server, fed the same line) is timed on
# both sizes.
set -euo pipefail

build=${1:-/tmp/build-bench}
reps=${2:-9}
small=${3:-1000}
large=${4:-100000}
appctl="$build/appctl"
gen="$build/bench/gen_log"
src=$(cd "$(dirname "$0")/.." && pwd)
for tool in "$appctl" "$gen"; do
	[ -x "$tool" ] || { echo "hook.sh: $tool is missing; build first" >&2; exit 2; }
done

. "$src/bench/lib.sh"
bench_setup hook

# Keeps only as many release tags as the small repository has.
prune_tags()
{
	local dir=$1 keep rel
	rel=$(git -C "$dir" show refs/appctl/log:state.json | jq '.envs.staging.release')
	keep=$((rel - $(git -C "$work/small" for-each-ref refs/tags | wc -l) + 3))
	git -C "$dir" for-each-ref --format='%(refname)' refs/tags/release/staging |
		awk -F/ -v keep="$keep" '$NF > 0 && $NF < keep { print "delete " $0 }' |
		git -C "$dir" update-ref --stdin
	git -C "$dir" pack-refs --all
}

# time_push CLIENT SERVER: one promotion pushed to git://.../SERVER.git, in
# ns; then both sides are put back.
time_push()
{
	local dir=$1 bare="$work/srv/$2.git" log0 st0 rel target t0 t1 tag checked
	log0=$(git -C "$dir" rev-parse refs/appctl/log)
	checked=$(cat "$dir/.git/appctl/verified-log")
	st0=$(git -C "$dir" rev-parse staging)
	rel=$(git -C "$dir" show refs/appctl/log:state.json | jq '.envs.staging.release')
	tag="refs/tags/release/staging/$((rel + 1))"
	target=$(git -C "$dir" rev-parse dev)
	[ "$target" != "$st0" ] || target=$(git -C "$dir" rev-parse dev~1)
	"$appctl" -C "$dir" promote staging "$target" >/dev/null
	t0=$(now_ns)
	git -C "$dir" push -q --atomic "git://127.0.0.1:$port/$2.git" \
		refs/appctl/log +staging "$tag" 2>"$work/push.err" ||
		{ cat "$work/push.err" >&2; exit 1; }
	t1=$(now_ns)
	for side in "$dir" "$bare"; do
		git -C "$side" update-ref refs/appctl/log "$log0"
		git -C "$side" update-ref refs/heads/staging "$st0"
		git -C "$side" update-ref -d "$tag"
	done
	echo "$checked" >"$dir/.git/appctl/verified-log"
	echo $((t1 - t0))
}

# time_hook SERVER LINE: the hook alone on SERVER, fed one pushed line.
time_hook()
{
	local bare="$work/srv/$1.git" t0 t1
	t0=$(now_ns)
	(cd "$bare" && GIT_DIR=. "$appctl" hook pre-receive <"$2") ||
		{ echo "hook.sh: the hook refused the promotion on $1" >&2; exit 1; }
	t1=$(now_ns)
	echo $((t1 - t0))
}

echo "generating $small and $large events..." >&2
make_repo "$work/small" "$small"
make_repo "$work/large" "$large"
cp -r "$work/large" "$work/pruned"
prune_tags "$work/pruned"
for r in small large pruned; do
	serve "$r-hook" "$work/$r" 1
	serve "$r-plain" "$work/$r" 0
done
start_daemon

# A line the hook judges alone: the next promotion of the small and large
# logs, written to the servers' object stores but not to their refs.
for r in small large; do
	dir="$work/$r"
	log0=$(git -C "$dir" rev-parse refs/appctl/log)
	checked=$(cat "$dir/.git/appctl/verified-log")
	st0=$(git -C "$dir" rev-parse staging)
	target=$(git -C "$dir" rev-parse dev)
	[ "$target" != "$st0" ] || target=$(git -C "$dir" rev-parse dev~1)
	"$appctl" -C "$dir" promote staging "$target" >/dev/null
	git -C "$dir" push -q "$work/srv/$r-hook.git" refs/appctl/log:refs/bench/log
	git -C "$work/srv/$r-hook.git" update-ref -d refs/bench/log
	printf '%s %s refs/appctl/log\n%s %s refs/heads/staging\n' "$log0" \
		"$(git -C "$dir" rev-parse refs/appctl/log)" "$st0" "$target" >"$work/$r.line"
	rel=$(git -C "$dir" show refs/appctl/log:state.json | jq '.envs.staging.release')
	git -C "$dir" update-ref refs/appctl/log "$log0"
	git -C "$dir" update-ref refs/heads/staging "$st0"
	git -C "$dir" update-ref -d "refs/tags/release/staging/$rel"
	echo "$checked" >"$dir/.git/appctl/verified-log"
done

# Interleaved, so that a busy machine slows every variant alike; run 0
# warms the caches and is not counted.
variants="small-hook small-plain large-hook large-plain pruned-hook pruned-plain"
for v in $variants small-alone large-alone; do : >"$work/$v.ns"; done
for i in $(seq 0 "$reps"); do
	for v in $variants; do
		ns=$(time_push "$work/${v%-*}" "$v")
		[ "$i" -eq 0 ] || echo "$ns" >>"$work/$v.ns"
	done
	for r in small large; do
		ns=$(time_hook "$r-hook" "$work/$r.line")
		[ "$i" -eq 0 ] || echo "$ns" >>"$work/$r-alone.ns"
	done
done
tags_small=$(git -C "$work/small" for-each-ref refs/tags | wc -l)
tags_large=$(git -C "$work/large" for-each-ref refs/tags | wc -l)
tags_pruned=$(git -C "$work/pruned" for-each-ref refs/tags | wc -l)
{
	for v in $variants small-alone large-alone; do
		echo "$v $(median "$work/$v.ns")"
	done
} | awk -v n="$reps" -v a="$small" -v b="$large" -v ts="$tags_small" \
	-v tl="$tags_large" -v tp="$tags_pruned" '
	{ t[$1] = $2 }
	END {
		printf "push of a promotion, %6d events, %5d tags, hook:    %7.1f ms (median of %d)\n", a, ts, t["small-hook"] / 1e6, n
		printf "push of a promotion, %6d events, %5d tags, no hook: %7.1f ms\n", a, ts, t["small-plain"] / 1e6
		printf "push of a promotion, %6d events, %5d tags, hook:    %7.1f ms\n", b, tl, t["large-hook"] / 1e6
		printf "push of a promotion, %6d events, %5d tags, no hook: %7.1f ms\n", b, tl, t["large-plain"] / 1e6
		printf "push of a promotion, %6d events, %5d tags, hook:    %7.1f ms\n", b, tp, t["pruned-hook"] / 1e6
		printf "push of a promotion, %6d events, %5d tags, no hook: %7.1f ms\n", b, tp, t["pruned-plain"] / 1e6
		printf "the hook alone,      %6d events:                    %7.1f ms\n", a, t["small-alone"] / 1e6
		printf "the hook alone,      %6d events:                    %7.1f ms\n", b, t["large-alone"] / 1e6
		printf "hook / no hook, %d events:                 %.2f (target <= 1.5)\n", a, t["small-hook"] / t["small-plain"]
		printf "hook / no hook, %d events:               %.2f (target <= 1.5)\n", b, t["large-hook"] / t["large-plain"]
		printf "%d / %d events, push with the hook:    %.2f (without: %.2f; git advertises every tag)\n", b, a, t["large-hook"] / t["small-hook"], t["large-plain"] / t["small-plain"]
		printf "%d / %d events, same tag count:        %.2f\n", b, a, t["pruned-hook"] / t["small-hook"]
		printf "%d / %d events, the hook alone:        %.2f\n", b, a, t["large-alone"] / t["small-alone"]
	}'
