#!/usr/bin/env bash
# audit.sh: times `appctl audit --verify` over N signed approvals against one `ssh-keygen -Y verify` per event (target: at least 10x faster).
#
# Usage: bash bench/audit.sh [BUILD_DIR] [EVENTS] [SAMPLE] [REPETITIONS]
#
# BUILD_DIR holds appctl (default: /tmp/build-bench, made with `cmake -S .
# -B /tmp/build-bench -DCMAKE_BUILD_TYPE=Release -DAPPCTL_TESTS=OFF &&
# cmake --build /tmp/build-bench`). Not part of ctest.
#
# The repository is the example org with four signing keys in its
# allowed_signers (ed25519, ECDSA P-256, RSA 3072 with rsa-sha2-512, and an
# ed25519 key with namespaces= and a valid-before window), one change on
# dev, and EVENTS (default 2 000) signed approvals of it for staging made
# by `appctl approve --key`, keys in turn. Every approval is a distinct
# event (its time and comment differ), so each is signed by ssh-keygen
# once: 10 000 of them take minutes to make, which is why the default is
# 2 000; the figures are per event and scale linearly (give EVENTS to
# check). The timed command is `appctl audit --verify` (the median of
# REPETITIONS, default 5, after one warm-up run), which judges every event
# from the root and verifies each signature as of its own time.
#
# The anchor is what verification cost before signatures were verified
# in-process: at least one `ssh-keygen -Y verify -n appctl -I principal`
# per event (appctl also ran `-Y find-principals` first, so the real old
# cost was higher still). It is timed on SAMPLE (default 200) events
# taken across the log, each with the event's own bytes, signature and the
# allowed_signers file, and scaled to EVENTS.
#
# With APPCTL_BEFORE=/path/to/appctl (a build from before in-process
# verification), that program's `audit --verify` of the same log is timed
# once as well, for the real before/after figure.
#
# Last measured (2 cores, 2 000 events): audit --verify 0.88 s (0.44 ms per
# event); ssh-keygen -Y verify 7.0 ms per event, 14.1 s scaled: 16x; the
# build before in-process verification took 33.5 s for the same log (38x).
set -euo pipefail

build=${1:-/tmp/build-bench}
events=${2:-2000}
sample=${3:-200}
reps=${4:-5}
appctl="$build/appctl"
src=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$appctl" ] || { echo "audit.sh: $appctl is missing; build first" >&2; exit 2; }
command -v ssh-keygen >/dev/null || { echo "audit.sh: ssh-keygen is missing" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/appctl-bench-audit.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 LC_ALL=C NO_COLOR=1 TZ=UTC
mkdir -p "$HOME" "$work/keys"

now_ns() { date +%s%N; }
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

keys="ed ec rsa win"
ssh-keygen -q -t ed25519 -N '' -C ed -f "$work/keys/ed" </dev/null
ssh-keygen -q -t ecdsa -b 256 -N '' -C ec -f "$work/keys/ec" </dev/null
ssh-keygen -q -t rsa -b 3072 -N '' -C rsa -f "$work/keys/rsa" </dev/null
ssh-keygen -q -t ed25519 -N '' -C win -f "$work/keys/win" </dev/null

repo="$work/repo"
git init -q -b dev "$repo"
git -C "$repo" config user.name bench
git -C "$repo" config user.email bench@example.com
cp -r "$src/examples/org/." "$repo/"
# The four approvers: release managers, so their approvals are well-formed;
# no webhooks, so the time is appctl's, not a network's.
{
	echo "# bench signers"
	echo "ed@example.com $(cut -d' ' -f1,2 "$work/keys/ed.pub")"
	echo "ec@example.com namespaces=\"git,appctl\" $(cut -d' ' -f1,2 "$work/keys/ec.pub")"
	echo "rsa@example.com $(cut -d' ' -f1,2 "$work/keys/rsa.pub")"
	echo "win@example.com namespaces=\"appctl\",valid-after=\"20200101\",valid-before=\"29991231Z\" $(cut -d' ' -f1,2 "$work/keys/win.pub")"
} >>"$repo/allowed_signers"
jq 'del(.notify) | .groups["release-managers"] += ["ed@example.com", "ec@example.com", "rsa@example.com", "win@example.com"]' \
	"$repo/appctl.json" >"$repo/tmp.json"
mv "$repo/tmp.json" "$repo/appctl.json"
git -C "$repo" add -A
git -C "$repo" commit -q -m org
"$appctl" -C "$repo" init >/dev/null
jq '.roles.Finance.members += ["dan@example.com"]' \
	"$repo/apps/billing-admin/app.json" >"$repo/tmp.json"
mv "$repo/tmp.json" "$repo/apps/billing-admin/app.json"
git -C "$repo" commit -q -am "dan joins Finance"

echo "signing $events approvals with ssh-keygen (setup, not timed)..." >&2
t0=$(now_ns)
set -- $keys
i=0
while [ "$i" -lt "$events" ]; do
	for k in $keys; do
		[ "$i" -lt "$events" ] || break
		"$appctl" -C "$repo" approve --key "$work/keys/$k" -m "bench approval $i" staging >/dev/null
		i=$((i + 1))
	done
done
t1=$(now_ns)
awk -v n="$events" -v t="$((t1 - t0))" 'BEGIN {
	printf "made %d signed approvals in %.1f s\n", n, t / 1e9 }' >&2

# The anchor's inputs: SAMPLE events spread over the log, with their own
# bytes, signature and principal (extracting them is not timed).
total=$(git -C "$repo" rev-list --count refs/appctl/log)
step=$(( total / sample )); [ "$step" -ge 1 ] || step=1
git -C "$repo" show refs/appctl/log:allowed_signers >"$work/allowed_signers" 2>/dev/null ||
	cp "$repo/allowed_signers" "$work/allowed_signers"
n=0
for c in $(git -C "$repo" rev-list --first-parent refs/appctl/log | awk -v s="$step" 'NR % s == 0'); do
	git -C "$repo" cat-file -e "$c:event.json.sig" 2>/dev/null || continue
	[ "$n" -lt "$sample" ] || break
	git -C "$repo" cat-file blob "$c:event.json" >"$work/ev$n.json"
	git -C "$repo" cat-file blob "$c:event.json.sig" >"$work/ev$n.json.sig"
	jq -r .principal "$work/ev$n.json" >"$work/ev$n.who"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "audit.sh: no signed events found" >&2; exit 1; }
# Every sampled signature must verify, or the anchor times failures.
verify_sample()
{
	local j
	for j in $(seq 0 $((n - 1))); do
		ssh-keygen -Y verify -f "$work/allowed_signers" -I "$(cat "$work/ev$j.who")" \
			-n appctl -s "$work/ev$j.json.sig" <"$work/ev$j.json" >/dev/null 2>&1 || return 1
	done
}
verify_sample || { echo "audit.sh: ssh-keygen does not verify the sample" >&2; exit 1; }

# The log must be one appctl accepts in full, or the times mean nothing.
"$appctl" -C "$repo" audit --verify >/dev/null
: >"$work/audit.ns"
: >"$work/anchor.ns"
for r in $(seq 1 "$reps"); do
	t0=$(now_ns)
	"$appctl" -C "$repo" audit --verify >/dev/null
	t1=$(now_ns)
	echo $((t1 - t0)) >>"$work/audit.ns"
	t0=$(now_ns)
	verify_sample
	t1=$(now_ns)
	echo $((t1 - t0)) >>"$work/anchor.ns"
done
if [ -n "${APPCTL_BEFORE:-}" ]; then
	t0=$(now_ns)
	"$APPCTL_BEFORE" -C "$repo" audit --verify >/dev/null
	t1=$(now_ns)
	awk -v t="$((t1 - t0))" -v a="$(median "$work/audit.ns")" 'BEGIN {
		printf "APPCTL_BEFORE audit --verify (once):       %8.2f s (%.1fx the time of this build)\n", t / 1e9, t / a }'
fi
audit_ns=$(median "$work/audit.ns")
anchor_ns=$(median "$work/anchor.ns")
awk -v a="$audit_ns" -v s="$anchor_ns" -v n="$n" -v e="$total" -v r="$reps" 'BEGIN {
	per = s / n
	printf "appctl audit --verify, %d events:             %8.2f s (%.3f ms/event, median of %d)\n", e, a / 1e9, a / e / 1e6, r
	printf "ssh-keygen -Y verify, %d sampled events:      %8.2f s (%.3f ms/event)\n", n, s / 1e9, per / 1e6
	printf "ssh-keygen -Y verify scaled to %d events:     %8.2f s\n", e, per * e / 1e9
	printf "ratio: audit --verify is %.1fx faster than one ssh-keygen per event (target >= 10)\n", per * e / a
}'
