#!/usr/bin/env bash
# validate.sh: times `appctl validate` on a large org against a plain cJSON parse of the same files.
#
# Usage: bash bench/validate.sh [BUILD_DIR] [REPETITIONS] [many|few|both]
#
# BUILD_DIR holds appctl, bench/gen_org and bench/parse_all (default:
# /tmp/build-bench, made with `cmake -S . -B /tmp/build-bench
# -DCMAKE_BUILD_TYPE=Release -DAPPCTL_TESTS=OFF && cmake --build
# /tmp/build-bench`); APPCTL=path overrides the appctl binary, to measure an
# older one on the same org. Not part of ctest.
#
# The org is bench/gen_org's (300 apps, ~28 MB of app.json), committed on
# branch dev: "many" has ~280 k findings, "few" ~12 k. Both are timed in the
# same run as the anchor, bench/parse_all reading and parsing every
# definition file of the work tree, so the ratio does not depend on the
# machine. Targets: ratio <= 20 with many findings, <= 10 with few.
set -euo pipefail

build=${1:-/tmp/build-bench}
reps=${2:-5}
which=${3:-both}
appctl=${APPCTL:-$build/appctl}
gen="$build/bench/gen_org"
parse="$build/bench/parse_all"
for tool in "$appctl" "$gen" "$parse"; do
	[ -x "$tool" ] || { echo "validate.sh: $tool is missing; build first" >&2; exit 2; }
done
case $which in
many) kinds=many ;;
few) kinds=few ;;
both) kinds="many few" ;;
*) echo "validate.sh: expected many, few or both, not '$which'" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/appctl-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 LC_ALL=C NO_COLOR=1
mkdir -p "$HOME"

now_ns() { date +%s%N; }

# median FILE: the middle value of one number per line.
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# validate: appctl validate dev; findings exit 1, anything else is a failure.
validate() {
	local rc=0
	"$appctl" -C "$repo" validate dev >"$1" || rc=$?
	[ "$rc" -le 1 ] || { echo "validate.sh: appctl validate exited $rc" >&2; exit 1; }
}

for kind in $kinds; do
	repo="$work/org-$kind"
	git init -q -b dev "$repo"
	git -C "$repo" config user.name bench
	git -C "$repo" config user.email bench@example.com
	"$gen" --findings="$kind" "$repo"
	git -C "$repo" add -A
	git -C "$repo" commit -q -m org
	git -C "$repo" gc -q
	files=("$repo/appctl.json" "$repo"/apps/*/app.json)

	: >"$work/appctl.ns"
	: >"$work/parse.ns"
	# One warm-up run each, so that both read from the page cache.
	validate "$work/out.txt"
	"$parse" "${files[@]}"
	for _ in $(seq "$reps"); do
		t0=$(now_ns)
		validate /dev/null
		t1=$(now_ns)
		"$parse" "${files[@]}"
		t2=$(now_ns)
		echo $((t1 - t0)) >>"$work/appctl.ns"
		echo $((t2 - t1)) >>"$work/parse.ns"
	done
	bytes=$(cat "${files[@]}" | wc -c)
	summary=$(tail -n 1 "$work/out.txt")
	target=$([ "$kind" = many ] && echo 20 || echo 10)
	awk -v a="$(median "$work/appctl.ns")" -v p="$(median "$work/parse.ns")" \
		-v n="$reps" -v b="$bytes" -v k="$kind" -v s="$summary" -v t="$target" 'BEGIN {
		printf "org (%s findings): %.1f MB of definitions; %s\n", k, b / 1e6, s
		printf "appctl validate dev: %9.1f ms (median of %d)\n", a / 1e6, n
		printf "cJSON parse (anchor): %8.1f ms (median of %d)\n", p / 1e6, n
		printf "ratio:               %9.2f (target <= %d)\n", a / p, t
	}'
done
