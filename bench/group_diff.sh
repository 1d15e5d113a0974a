#!/usr/bin/env bash
# group_diff.sh: `appctl diff` of a policy change in a large group: linear in the group's size?
#
# Usage: bash bench/group_diff.sh [BUILD_DIR] [REPETITIONS]
#
# BUILD_DIR holds appctl (default: /tmp/build-bench, a Release build; see
# bench/README.md). Not part of ctest.
#
# The example org's policy gets one group of N members (10 000, then
# 30 000); the next commit swaps one member for another. appctl must report
# exactly that member moving, whatever the group's size. Anchor: `git diff`
# of the same two commits, in the same run. Prints the median times, the
# ratio to the anchor for each N, and how appctl's time grows from 10 000
# to 30 000 members (linear: about 3; quadratic: about 9).
set -euo pipefail

build=${1:-/tmp/build-bench}
reps=${2:-5}
src=$(cd "$(dirname "$0")/.." && pwd)
appctl="$build/appctl"
[ -x "$appctl" ] || { echo "group_diff.sh: $appctl is missing; build first" >&2; exit 2; }
command -v jq >/dev/null || { echo "group_diff.sh: needs jq" >&2; exit 2; }

# bench_setup (a scratch $work, a private HOME), now_ns, median.
. "$src/bench/lib.sh"
bench_setup group

# run N: prints "N appctl_ns git_ns" for a group of N members.
run()
{
	local n=$1 repo="$work/org-$1" t0 t1 t2
	git init -q -b dev "$repo"
	git -C "$repo" config user.name bench
	git -C "$repo" config user.email bench@example.com
	cp -r "$src/examples/org/." "$repo/"
	jq --argjson n "$n" '.groups.big = [range(0; $n) | "u\(.)@example.com"]' \
		"$repo/appctl.json" >"$work/p.json"
	mv "$work/p.json" "$repo/appctl.json"
	git -C "$repo" add -A
	git -C "$repo" commit -q -m base
	jq '.groups.big = (.groups.big[1:] + ["new@example.com"])' \
		"$repo/appctl.json" >"$work/p.json"
	mv "$work/p.json" "$repo/appctl.json"
	git -C "$repo" commit -q -am "one member out, one in"
	"$appctl" -C "$repo" diff --json HEAD~1 HEAD >"$work/out.json"
	[ "$(jq '[.changes[] | select(.kind | startswith("group.member"))] | length' \
		"$work/out.json")" = 2 ] ||
		{ echo "group_diff.sh: expected 2 member changes for N=$n" >&2; exit 1; }
	: >"$work/a.ns"
	: >"$work/g.ns"
	for _ in $(seq "$reps"); do
		t0=$(now_ns)
		"$appctl" -C "$repo" diff --json HEAD~1 HEAD >/dev/null
		t1=$(now_ns)
		git -C "$repo" diff HEAD~1 HEAD >/dev/null
		t2=$(now_ns)
		echo $((t1 - t0)) >>"$work/a.ns"
		echo $((t2 - t1)) >>"$work/g.ns"
	done
	echo "$n $(median "$work/a.ns") $(median "$work/g.ns")"
}

small=$(run 10000)
large=$(run 30000)
echo "$small $large" | awk '{
	printf "group of %d: appctl diff %7.1f ms, git diff %5.1f ms, ratio %5.2f\n", $1, $2 / 1e6, $3 / 1e6, $2 / $3
	printf "group of %d: appctl diff %7.1f ms, git diff %5.1f ms, ratio %5.2f\n", $4, $5 / 1e6, $6 / 1e6, $5 / $6
	printf "growth for 3x the members: %.2f (linear ~3, quadratic ~9)\n", $5 / $2
}'
