#!/usr/bin/env bash
# demo.sh: the README's first command, scripts/demo.sh, walked through with
# the binary under test, so a change that breaks a step of the documented
# lifecycle fails the suite and not only a user's first try.
set -euo pipefail

: "${APPCTL:?set by ctest}" "${APPCTL_SOURCE_DIR:?set by ctest}"
# The example org notifies a receiver that does not exist: keep the
# deliveries in the outbox instead of trying.
export APPCTL_NOTIFY_BUDGET_S=0
out=$(DEMO_APPCTL="$APPCTL" bash "$APPCTL_SOURCE_DIR/scripts/demo.sh" 2>&1) || {
	printf '%s\n' "$out" | tail -30 >&2
	echo "FAIL: scripts/demo.sh" >&2
	exit 1
}
grep -q "audit: .* events verified" <<<"$out" || { echo "FAIL: no verified audit" >&2; exit 1; }
# The offboarding reached prod, and access --history shows when it went.
grep -q "committed .* on dev: cy's engagement ended" <<<"$out" || { echo "FAIL: no offboarding commit" >&2; exit 1; }
grep -A4 '^history in prod:' <<<"$out" | grep -q 'revoked: support-portal/customers:export\|revoked: .*support-portal/customers:export' ||
	{ echo "FAIL: prod history lacks the contractor's removal" >&2; exit 1; }
grep -q "demo: every step passed" <<<"$out" || { echo "FAIL: demo did not finish" >&2; exit 1; }
echo "ok - scripts/demo.sh walks through every step"
echo "1 tests passed"
