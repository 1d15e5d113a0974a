#!/usr/bin/env bash
# access_history.sh: times `appctl access PRINCIPAL --history` with 1 000 and 10 000 releases against the same command without --history, and the 10k/1k scaling (target: linear).
#
# Usage: bash bench/access_history.sh [BUILD_DIR] [REPETITIONS] [SMALL] [LARGE]
#
# BUILD_DIR holds appctl and bench/gen_log (default: /tmp/build-bench, made
# with `cmake -S . -B /tmp/build-bench -DCMAKE_BUILD_TYPE=Release
# -DAPPCTL_TESTS=OFF && cmake --build /tmp/build-bench`). Not part of ctest.
#
# Each repository is the example org (signatures not required, no
# webhooks) whose log gen_log grows (see bench/lib.sh) until staging has
# SMALL (1 000) and LARGE (10 000) releases: one release per five events.
# Staging alternates between two commits, one of which adds
# dan@example.com to the Finance role of billing-admin, so his access
# changes at every release: the history has one entry per release. The
# timed command is `appctl access dan@example.com --env staging --json
# --history`; the anchor is the same command without --history, in the
# same repository. Runs are interleaved; run 0 warms the page cache and
# is not counted. With BEFORE=/path/to/an/older/appctl in the environment,
# that binary's --history is timed too, on the same repositories.
set -euo pipefail

build=${1:-/tmp/build-bench}
reps=${2:-5}
small=${3:-1000}
large=${4:-10000}
appctl="$build/appctl"
gen="$build/bench/gen_log"
src=$(cd "$(dirname "$0")/.." && pwd)
for tool in "$appctl" "$gen"; do
	[ -x "$tool" ] || { echo "access_history.sh: $tool is missing; build first" >&2; exit 2; }
done

. "$src/bench/lib.sh"
bench_setup access

before=${BEFORE:-}

# time_cmd BINARY DIR ARGS...: one `BINARY -C DIR ARGS`, in ns.
time_cmd()
{
	local bin=$1 dir=$2 t0 t1
	shift 2
	t0=$(now_ns)
	"$bin" -C "$dir" "$@" >"$work/out.json" ||
		{ echo "access_history.sh: appctl $* failed" >&2; exit 1; }
	t1=$(now_ns)
	echo $((t1 - t0))
}

echo "generating $((small * 5)) and $((large * 5)) events..." >&2
make_repo "$work/small" $((small * 5))
make_repo "$work/large" $((large * 5))
for r in small large; do
	"$appctl" -C "$work/$r" access dan@example.com --env staging --json \
		--history >"$work/$r.json"
	echo "$r: $(jq '.history | length' "$work/$r.json") history entries," \
		"$(git -C "$work/$r" show refs/appctl/log:state.json |
			jq '.envs.staging.release') releases" >&2
done

variants="small-plain small-history large-plain large-history"
[ -z "$before" ] || variants="$variants small-before large-before"
for v in $variants; do : >"$work/$v.ns"; done
for i in $(seq 0 "$reps"); do
	for r in small large; do
		ns=$(time_cmd "$appctl" "$work/$r" access dan@example.com --env staging --json)
		[ "$i" -eq 0 ] || echo "$ns" >>"$work/$r-plain.ns"
		ns=$(time_cmd "$appctl" "$work/$r" access dan@example.com --env staging --json --history)
		[ "$i" -eq 0 ] || echo "$ns" >>"$work/$r-history.ns"
		[ -n "$before" ] || continue
		ns=$(time_cmd "$before" "$work/$r" access dan@example.com --env staging --json --history)
		cmp -s "$work/out.json" "$work/$r.json" ||
			echo "access_history.sh: $before gives another history" >&2
		[ "$i" -eq 0 ] || echo "$ns" >>"$work/$r-before.ns"
	done
done
{
	for v in $variants; do
		echo "$v $(median "$work/$v.ns")"
	done
} | awk -v n="$reps" -v a="$small" -v b="$large" '
	{ t[$1] = $2 }
	END {
		if (t["small-before"]) {
			printf "%6d releases: before            %9.1f ms: %7.2fx\n", a, t["small-before"] / 1e6, t["small-before"] / t["small-plain"]
			printf "%6d releases: before            %9.1f ms: %7.2fx\n", b, t["large-before"] / 1e6, t["large-before"] / t["large-plain"]
			printf "%d / %d releases, before: %.2fx\n", b, a, t["large-before"] / t["small-before"]
		}
		printf "%6d releases: access --history %9.1f ms, without %7.1f ms: %7.2fx\n", a, t["small-history"] / 1e6, t["small-plain"] / 1e6, t["small-history"] / t["small-plain"]
		printf "%6d releases: access --history %9.1f ms, without %7.1f ms: %7.2fx\n", b, t["large-history"] / 1e6, t["large-plain"] / 1e6, t["large-history"] / t["large-plain"]
		printf "%d / %d releases, access --history: %.2fx (linear: %.0fx)\n", b, a, t["large-history"] / t["small-history"], b / a
		printf "(medians of %d)\n", n
	}'
