#!/usr/bin/env bash
# promote.sh: times `appctl promote` with 1 000 and with 100 000 events in the log (target: within 1.2x).
#
# Usage: bash bench/promote.sh [BUILD_DIR] [REPETITIONS] [SMALL] [LARGE]
#
# BUILD_DIR holds appctl and bench/gen_log (default: /tmp/build-bench, made
# with `cmake -S . -B /tmp/build-bench -DCMAKE_BUILD_TYPE=Release
# -DAPPCTL_TESTS=OFF && cmake --build /tmp/build-bench`). Not part of ctest.
#
# Each repository is the example org (signatures not required and no
# webhooks, so that the time is appctl's, not ssh-keygen's or a network's)
# whose log gen_log grows, through `git fast-import`, to SMALL (1 000) and
# LARGE (100 000) events: cycles of two approvals, the promotion of staging
# that uses them (with its release tag) and two unused approvals for prod;
# then two approvals of the next promotion. The timed command is that
# promotion; after each run the log, the branch, the new tag and the
# record of the last verified log head are put back, so every run does the
# same work. A promotion reads the log head's
# state (O(1)) and the approvals since the environment's latest release,
# never the whole log. Every release leaves a tag (SPEC §1), and libgit2
# parses all of packed-refs when a ref is written, so the large repository
# is timed a third time with its old tags removed: the difference between
# the second and third lines is the refs', not the log's.
set -euo pipefail

build=${1:-/tmp/build-bench}
reps=${2:-9}
small=${3:-1000}
large=${4:-100000}
appctl="$build/appctl"
gen="$build/bench/gen_log"
src=$(cd "$(dirname "$0")/.." && pwd)
for tool in "$appctl" "$gen"; do
	[ -x "$tool" ] || { echo "promote.sh: $tool is missing; build first" >&2; exit 2; }
done

. "$src/bench/lib.sh"
bench_setup promote

# time_once DIR: one promotion of staging, in ns, then the log, the branch
# and the tag are put back where they were.
time_once()
{
	local dir=$1 log0 st0 rel target t0 t1 checked
	log0=$(git -C "$dir" rev-parse refs/appctl/log)
	checked=$(cat "$dir/.git/appctl/verified-log")
	st0=$(git -C "$dir" rev-parse staging)
	rel=$(git -C "$dir" show refs/appctl/log:state.json | jq '.envs.staging.release')
	# The other of the two commits staging alternates between.
	target=$(git -C "$dir" rev-parse dev)
	[ "$target" != "$st0" ] || target=$(git -C "$dir" rev-parse dev~1)
	t0=$(now_ns)
	"$appctl" -C "$dir" promote staging "$target" >/dev/null
	t1=$(now_ns)
	git -C "$dir" update-ref refs/appctl/log "$log0"
	git -C "$dir" update-ref refs/heads/staging "$st0"
	git -C "$dir" update-ref -d "refs/tags/release/staging/$((rel + 1))"
	echo "$checked" >"$dir/.git/appctl/verified-log"
	echo $((t1 - t0))
}

echo "generating $small and $large events..." >&2
make_repo "$work/small" "$small"
make_repo "$work/large" "$large"
# The generated log must be one appctl accepts in full, or the times mean nothing.
"$appctl" -C "$work/small" audit --verify >&2
# The same large log with only as many release tags as the small one.
cp -r "$work/large" "$work/pruned"
rel=$(git -C "$work/pruned" show refs/appctl/log:state.json | jq '.envs.staging.release')
small_tags=$(git -C "$work/small" for-each-ref refs/tags | wc -l)
git -C "$work/pruned" for-each-ref --format='%(refname)' refs/tags/release/staging |
	awk -F/ -v keep="$((rel - small_tags + 3))" '$NF > 0 && $NF < keep { print "delete " $0 }' |
	git -C "$work/pruned" update-ref --stdin
git -C "$work/pruned" pack-refs --all
large_tags=$(git -C "$work/large" for-each-ref refs/tags | wc -l)
pruned_tags=$(git -C "$work/pruned" for-each-ref refs/tags | wc -l)
# Interleaved, so that a busy machine slows the three alike; run 0 warms
# the page cache and is not counted.
: >"$work/small.ns"
: >"$work/large.ns"
: >"$work/pruned.ns"
for i in $(seq 0 "$reps"); do
	for r in small large pruned; do
		ns=$(time_once "$work/$r")
		[ "$i" -eq 0 ] || echo "$ns" >>"$work/$r.ns"
	done
done
small_ns=$(median "$work/small.ns")
large_ns=$(median "$work/large.ns")
pruned_ns=$(median "$work/pruned.ns")
awk -v s="$small_ns" -v l="$large_ns" -v p="$pruned_ns" -v n="$reps" \
	-v a="$small" -v b="$large" -v ta="$small_tags" -v tb="$large_tags" \
	-v tp="$pruned_tags" 'BEGIN {
	printf "appctl promote, %7d events, %6d tags: %8.1f ms (median of %d)\n", a, ta, s / 1e6, n
	printf "appctl promote, %7d events, %6d tags: %8.1f ms (median of %d)\n", b, tb, l / 1e6, n
	printf "appctl promote, %7d events, %6d tags: %8.1f ms (median of %d)\n", b, tp, p / 1e6, n
	printf "ratio %d/%d events, every release tagged: %.2f (target <= 1.2)\n", b, a, l / s
	printf "ratio %d/%d events, same tag count:       %.2f\n", b, a, p / s
}'
