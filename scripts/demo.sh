#!/usr/bin/env bash
# demo.sh: builds appctl and walks through examples/org in a throw-away git
# repository: init, validate, then a builder's change taken through diff,
# access, signed approvals, status, promote, history, rollback; the
# inventory and who-can; offboarding a contractor, promoted to prod, and
# the proof with access --history; and audit --verify.
#
# Usage: sudo bash scripts/demo.sh     (or, as root, bash scripts/demo.sh)
#        KEEP=1 bash scripts/demo.sh   keeps the demo repository and prints where
#        DEMO_APPCTL=PATH bash scripts/demo.sh   walks through with that binary,
#                                      skipping install and build (tests/cli/demo.sh)
# Stops at the first failing step, with that step's exit status.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
src=$(pwd)
APPCTL=${DEMO_APPCTL:-"$src/build/appctl"}

step() {
	printf '\n==== %s\n' "$*"
}

# Prints argv as it would be typed: plain words bare, others single-quoted.
shell_quote() {
	local arg out=""
	for arg in "$@"; do
		if [[ $arg =~ ^[A-Za-z0-9_./=:@%+,-]+$ ]]; then
			out+=" $arg"
		else
			out+=" '${arg//\'/\'\\\'\'}'"
		fi
	done
	printf '%s' "${out# }"
}

# Echoes a command, runs it, and stops the demo with its status on failure.
run() {
	printf '$ %s\n' "$(shell_quote "$@")"
	local status=0
	"$@" || status=$?
	if [ "$status" -ne 0 ]; then
		printf 'demo: step failed with exit status %d: %s\n' "$status" \
			"$(shell_quote "$@")" >&2
		exit "$status"
	fi
}

# Shown as "appctl ..." in the transcript, run from build/.
appctl() {
	"$APPCTL" "$@"
}

if [ -z "${DEMO_APPCTL:-}" ]; then
	step "1. dependencies"
	run bash scripts/install-deps.sh --build-only

	step "2. build (release, in build/)"
	run cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
	run cmake --build build -j"$(nproc)"
fi
run appctl version

step "3. a repository holding examples/org"
demo=$(mktemp -d "${TMPDIR:-/tmp}/appctl-demo.XXXXXX")
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then
		printf '\ndemo: kept the demo repository in %s\n' "$demo"
	else
		rm -rf "$demo"
	fi
}
trap cleanup EXIT
repo="$demo/org"
keys="$demo/keys"
cp -R examples/org "$repo"
mkdir -m 700 "$keys"
cd "$repo"

# The approvers' SSH keys: one per person, listed in allowed_signers before
# the first commit, so the policy every environment starts with trusts them.
for who in rita ann sam; do
	ssh-keygen -q -t ed25519 -N '' -C "$who@example.com" -f "$keys/$who"
	printf '%s@example.com namespaces="appctl" %s\n' "$who" \
		"$(cut -d' ' -f1,2 "$keys/$who.pub")" >>allowed_signers
done
printf '$ tail -n 3 allowed_signers\n'
tail -n 3 allowed_signers

run git init -q -b dev
run git config user.name "Demo Builder"
run git config user.email "builder@example.com"
run git config commit.gpgsign false
run git add -A
run git commit -q -m "org: three apps, policy, approvers"

step "4. appctl init: environments dev, staging, prod at release 0"
run appctl init
run git branch --list
run git tag --list 'release/*'

step "5. appctl validate dev"
run appctl validate dev

step "6. a builder widens access on dev"
# A new support agent and a new Salesforce scope: an access change and an
# integration change, so promoting it needs two approvers, one of them from
# the security group (appctl.json "approvals").
app=apps/support-portal/app.json
run sed -i -e 's/^\( *\)"dan@example.com",$/\1"dan@example.com",\n\1"erin@example.com",/' \
	-e 's/"scopes": \["api", "refresh_token"\]/"scopes": ["api", "refresh_token", "chatter_api"]/' \
	"$app"
if ! grep -q '"erin@example.com"' "$app" || ! grep -q '"chatter_api"' "$app"; then
	echo "demo: editing $app did not take; has the example changed?" >&2
	exit 1
fi
run git commit -q -am "support-portal: add erin as agent, chatter_api scope"
run appctl validate dev

step "7. appctl diff staging dev: what the change does"
run appctl diff staging dev

step "8. appctl access: who can do what"
run appctl access erin@example.com --env dev
run appctl access cy@contractor.example --env dev

step "9. approvals for staging"
run appctl approve staging dev --key "$keys/rita" -m "reviewed the diff"
run appctl approve staging dev --key "$keys/sam" -m "scope is read-only chatter"
run appctl status staging

step "10. appctl promote staging"
run appctl promote staging

step "11. appctl history staging"
run appctl history staging

step "12. appctl rollback staging"
# Going back removes the chatter_api scope again: an integration change, so
# the security rule applies to the rollback too (rollback.required, 0 here,
# replaces only the per-class count).
run appctl approve staging release/staging/0 --key "$keys/sam" -m "back out chatter_api"
run appctl rollback staging
run appctl history staging
run appctl access erin@example.com --env staging --history

step "13. inventory and who-can: what runs, who owns it, who can export"
run appctl inventory dev
run appctl who-can export customers dev
run appctl who-can see customers.ssn dev

step "14. a contractor leaves: appctl offboard, one reviewed commit on dev"
# The contractor's temporary Agent membership goes from every app, group,
# approver list and signers file, as an ordinary commit that is reviewed
# and promoted like any other change.
run appctl offboard cy@contractor.example --dry-run
run appctl offboard cy@contractor.example -m "cy's engagement ended"
run git log --oneline -n 2
run appctl diff staging dev

step "15. promote the offboarding to staging and prod"
# dev now holds erin's access, the chatter_api scope and the offboarding:
# two approvers, one from security (whose members come from the identity
# provider's export, idp/groups.scim.json).
for env in staging prod; do
	run appctl approve "$env" dev --key "$keys/rita" -m "offboarding reviewed"
	run appctl approve "$env" dev --key "$keys/sam" -m "scope reviewed"
	run appctl promote "$env"
done

step "16. the proof: the contractor's access per environment, and when it went"
run appctl access cy@contractor.example --env staging --history
run appctl access cy@contractor.example --env prod --history
if appctl access cy@contractor.example --env prod --json |
	grep -q '"app":'; then
	echo "demo: the contractor still has access in prod" >&2
	exit 1
fi

step "17. appctl audit --verify"
run appctl audit --verify

step "done"
echo "demo: every step passed"
