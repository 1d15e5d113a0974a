#!/usr/bin/env bash
# approve.sh: times `appctl approve` on a 300-app org against one `ssh-keygen -Y sign` (target: within 3x).
#
# Usage: bash bench/approve.sh [BUILD_DIR] [REPETITIONS]
#
# BUILD_DIR holds appctl and bench/gen_org (default: /tmp/build-bench, made
# with `cmake -S . -B /tmp/build-bench -DCMAKE_BUILD_TYPE=Release
# -DAPPCTL_TESTS=OFF && cmake --build /tmp/build-bench`). Not part of ctest.
#
# An approval has to sign its event, and signing stays with ssh-keygen (it
# handles agents and hardware keys), so one `ssh-keygen -Y sign` of a file
# of the event's size is the floor. The org is bench/gen_org's (~27 MB of
# app.json): an approval needs the policy and allowed_signers of the target
# environment, never the apps. After each run the log and the record of the
# last verified log head are put back, so every run does the same work.
set -euo pipefail

build=${1:-/tmp/build-bench}
reps=${2:-9}
appctl="$build/appctl"
gen="$build/bench/gen_org"
for tool in "$appctl" "$gen"; do
	[ -x "$tool" ] || { echo "approve.sh: $tool is missing; build first" >&2; exit 2; }
done

src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/bench/lib.sh"
bench_setup approve

repo="$work/org"
git init -q -b dev "$repo"
git -C "$repo" config user.name bench
git -C "$repo" config user.email rita@example.com
"$gen" "$repo"
ssh-keygen -q -t ed25519 -N '' -C rita -f "$work/rita"
printf 'rita@example.com namespaces="appctl" %s\n' "$(cut -d' ' -f1,2 "$work/rita.pub")" \
	>>"$repo/allowed_signers"
git -C "$repo" config user.signingkey "$work/rita"
git -C "$repo" add -A
git -C "$repo" commit -q -m base
"$appctl" -C "$repo" init >/dev/null
"$gen" --head "$repo"
git -C "$repo" commit -q -am head
git -C "$repo" gc -q
# The first command judges the new log once; that is not what is timed.
"$appctl" -C "$repo" status staging >/dev/null

log0=$(git -C "$repo" rev-parse refs/appctl/log)
checked=$(cat "$repo/.git/appctl/verified-log")
# An event of the size an approval writes, signed the way appctl signs.
git -C "$repo" show refs/appctl/log:event.json >"$work/event.json"
head -c 600 /dev/urandom | base64 >>"$work/event.json"

: >"$work/appctl.ns"
: >"$work/sign.ns"
for i in $(seq 0 "$reps"); do
	t0=$(now_ns)
	"$appctl" -C "$repo" approve staging -m bench >/dev/null
	t1=$(now_ns)
	git -C "$repo" update-ref refs/appctl/log "$log0"
	echo "$checked" >"$repo/.git/appctl/verified-log"
	rm -f "$work/event.json.sig"
	t2=$(now_ns)
	ssh-keygen -q -Y sign -n appctl -f "$work/rita" "$work/event.json" 2>/dev/null
	t3=$(now_ns)
	if [ "$i" -gt 0 ]; then
		echo $((t1 - t0)) >>"$work/appctl.ns"
		echo $((t3 - t2)) >>"$work/sign.ns"
	fi
done
a=$(median "$work/appctl.ns")
s=$(median "$work/sign.ns")
awk -v a="$a" -v s="$s" -v n="$reps" 'BEGIN {
	printf "appctl approve (300 apps):  %8.1f ms (median of %d)\n", a / 1e6, n
	printf "ssh-keygen -Y sign:         %8.1f ms (median of %d)\n", s / 1e6, n
	printf "ratio: %.2f (target <= 3)\n", a / s
}'
