#!/usr/bin/env bash
# approvals_push.sh: times a push of 100 signed approvals to `git daemon` with the pre-receive hook and without (target: ratio <= 1.5).
#
# Usage: bash bench/approvals_push.sh [BUILD_DIR] [REPETITIONS] [APPROVALS]
#
# BUILD_DIR holds appctl (default: /tmp/build-bench, made with `cmake -S .
# -B /tmp/build-bench -DCMAKE_BUILD_TYPE=Release -DAPPCTL_TESTS=OFF &&
# cmake --build /tmp/build-bench`). Not part of ctest.
#
# The example org with real ed25519 keys for its three approvers; a change
# on dev, then APPROVALS (100) approvals of it for staging made with
# `appctl approve`, round robin over the keys. Two bare servers hold the
# repository as it was before the approvals, one with the hook, one
# without; a run pushes refs/appctl/log to one of them and puts the
# server's log back. The hook verifies every new event's signature (in
# process) against staging's allowed_signers; the anchor is git receiving
# the same objects and moving the same ref.
set -euo pipefail

build=${1:-/tmp/build-bench}
reps=${2:-9}
count=${3:-100}
appctl="$build/appctl"
src=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$appctl" ] || { echo "approvals_push.sh: $appctl is missing; build first" >&2; exit 2; }

. "$src/bench/lib.sh"
bench_setup approvals

repo="$work/org"
git init -q -b dev "$repo"
git -C "$repo" config user.name bench
git -C "$repo" config user.email bench@example.com
cp -r "$src/examples/org/." "$repo/"
jq 'del(.notify)' "$repo/appctl.json" >"$work/p.json" && mv "$work/p.json" "$repo/appctl.json"
signers="rita@example.com ann@example.com sam@example.com"
for p in $signers; do
	ssh-keygen -q -t ed25519 -N '' -C "$p" -f "$work/${p%@*}"
	printf '%s namespaces="appctl" %s\n' "$p" "$(cut -d' ' -f1,2 "$work/${p%@*}.pub")"
done >"$repo/allowed_signers"
git -C "$repo" add -A
git -C "$repo" commit -q -m org
"$appctl" -C "$repo" init >/dev/null
jq '.roles.Finance.members += ["dan@example.com"]' "$repo/apps/billing-admin/app.json" >"$work/a.json"
mv "$work/a.json" "$repo/apps/billing-admin/app.json"
git -C "$repo" commit -q -am "dan joins Finance"
serve hook "$repo" 1
serve plain "$repo" 0
log0=$(git -C "$repo" rev-parse refs/appctl/log)

echo "signing $count approvals..." >&2
set -- $signers
for i in $(seq 1 "$count"); do
	p=$(( (i - 1) % 3 + 1 ))
	eval "who=\${$p}"
	"$appctl" -C "$repo" approve staging --key "$work/${who%@*}" -m "bench $i" >/dev/null 2>&1
done
[ "$(git -C "$repo" rev-list --count "$log0..refs/appctl/log")" = "$count" ] ||
	{ echo "approvals_push.sh: expected $count new events" >&2; exit 1; }
start_daemon

# time_push SERVER: the approvals pushed to SERVER, in ns; its log put back.
time_push()
{
	local t0 t1
	t0=$(now_ns)
	git -C "$repo" push -q "git://127.0.0.1:$port/$1.git" refs/appctl/log 2>"$work/push.err" ||
		{ cat "$work/push.err" >&2; exit 1; }
	t1=$(now_ns)
	git -C "$work/srv/$1.git" update-ref refs/appctl/log "$log0"
	echo $((t1 - t0))
}

: >"$work/hook.ns"
: >"$work/plain.ns"
for i in $(seq 0 "$reps"); do
	for v in hook plain; do
		ns=$(time_push "$v")
		[ "$i" -eq 0 ] || echo "$ns" >>"$work/$v.ns"
	done
done
h=$(median "$work/hook.ns")
p=$(median "$work/plain.ns")
awk -v h="$h" -v p="$p" -v n="$reps" -v c="$count" 'BEGIN {
	printf "push of %d signed approvals, hook:    %7.1f ms (median of %d)\n", c, h / 1e6, n
	printf "push of %d signed approvals, no hook: %7.1f ms\n", c, p / 1e6
	printf "ratio: %.2f (target <= 1.5)\n", h / p
}'
