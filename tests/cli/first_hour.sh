#!/usr/bin/env bash
# first_hour.sh: the path of a new user, using only what --help and the
# docs say (README "First hour"): an empty repository, `init --signer` for
# two people with real keys, a new app, validate, approvals, promotions to
# staging and prod, a bad change, and the rollback that undoes it.
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-11-29
export APPCTL_NOTIFY_BUDGET_S=0

make_keys ann bo

test_first_hour()
{
	local good bad
	# The repository starts on main, as `git init` often does.
	new_repo r main

	# 1. init needs the first approvers' keys; without, it says what to add.
	expect_exit 2 "$APPCTL" -C r init
	expect_stderr_contains "appctl init --signer"
	expect_exit 0 "$APPCTL" -C r init \
		--signer "ann@example.com=$KEYS/ann.pub" --signer "bo@example.com=$KEYS/bo.pub"
	expect_stdout_contains "approvers (groups release-managers and security, keys in allowed_signers): ann@example.com bo@example.com"
	expect_equal refs/heads/dev "$(git -C r symbolic-ref HEAD)" "HEAD after init"
	expect_exit 0 "$APPCTL" -C r --json status
	expect_equal "true true" "$(jq -r '[.environments[].approvable] | join(" ")' "$OUT")" \
		"every environment can be approved"

	# 2. A builder adds an app (a copy of the example, renamed).
	mkdir -p r/apps/orders
	jq '.name = "orders"' r/apps/example-dashboard/app.json >r/apps/orders/app.json
	expect_exit 0 "$APPCTL" -C r validate
	expect_stderr_contains "'appctl validate --worktree' checks them"
	# validate --worktree catches the copy's mistake before any commit:
	expect_exit 1 "$APPCTL" -C r validate --worktree
	expect_stdout_contains "credential.shared-prod"
	jq '.integrations.warehouse.credential |= map_values(sub("warehouse"; "orders-db"))' \
		r/apps/orders/app.json >r/tmp.json && mv r/tmp.json r/apps/orders/app.json
	expect_exit 0 "$APPCTL" -C r validate --worktree
	expect_stdout_contains "0 errors, 0 warnings"
	commit_all r "orders dashboard"
	expect_exit 0 "$APPCTL" -C r validate
	expect_stdout_contains "2 apps, 0 errors"
	expect_exit 0 "$APPCTL" -C r diff staging dev
	expect_stdout_contains "orders"

	# 3. Approvals: status says what is missing, then two people approve.
	expect_exit 0 "$APPCTL" -C r status staging
	expect_stdout_contains "not ready"
	expect_exit 1 "$APPCTL" -C r promote staging
	expect_exit 0 "$APPCTL" -C r approve --key "$KEYS/ann" staging -m "looks right"
	expect_exit 0 "$APPCTL" -C r approve --key "$KEYS/bo" staging
	expect_exit 0 "$APPCTL" -C r status staging
	expect_stdout_contains "ready to promote"

	# 4. Promote to staging, then to prod after its own approvals.
	expect_exit 0 "$APPCTL" -C r promote staging
	good=$(ref_id r dev)
	expect_equal "$good" "$(ref_id r staging)" "staging"
	expect_exit 0 "$APPCTL" -C r approve --key "$KEYS/ann" prod
	expect_exit 0 "$APPCTL" -C r approve --key "$KEYS/bo" prod
	expect_exit 0 "$APPCTL" -C r promote prod
	expect_equal "$good" "$(ref_id r prod)" "prod"

	# 5. A bad change: everyone in support may now export the orders.
	jq '.roles.Viewer.grants += [{"resource": "orders", "actions": ["export"]}]' \
		r/apps/orders/app.json >r/tmp.json && mv r/tmp.json r/apps/orders/app.json
	commit_all r "orders: support may export"
	bad=$(ref_id r dev)
	expect_exit 0 "$APPCTL" -C r diff staging dev
	expect_stdout_contains "export"
	expect_exit 0 "$APPCTL" -C r approve --key "$KEYS/ann" staging
	expect_exit 0 "$APPCTL" -C r approve --key "$KEYS/bo" staging
	expect_exit 0 "$APPCTL" -C r promote staging
	expect_exit 0 "$APPCTL" -C r approve --key "$KEYS/ann" prod
	expect_exit 0 "$APPCTL" -C r approve --key "$KEYS/bo" prod
	expect_exit 0 "$APPCTL" -C r promote prod
	expect_equal "$bad" "$(ref_id r prod)" "prod has the bad change"

	# 6. Roll prod back: it only narrows access, so rollback.required (0) applies.
	expect_exit 0 "$APPCTL" -C r rollback prod -m "support must not export"
	expect_stdout_contains "rollback.required = 0 approvals"
	expect_equal "$good" "$(ref_id r prod)" "prod rolled back"
	expect_exit 0 "$APPCTL" -C r history prod
	expect_stdout_contains "rollback"
	expect_exit 0 "$APPCTL" -C r audit --verify
}

test_stale_approval_names_its_commit()
{
	local s0 x y
	new_repo r
	expect_exit 0 "$APPCTL" -C r init \
		--signer "ann@example.com=$KEYS/ann.pub" --signer "bo@example.com=$KEYS/bo.pub"
	s0=$(ref_id r staging)
	edit_app r example-dashboard '.owners.business = "cy@example.com"' "owner cy"
	x=$(ref_id r dev)
	edit_app r example-dashboard '.owners.business = "dee@example.com"' "owner dee"
	y=$(ref_id r dev)
	# ann approves the head (y) on her machine, while bo approves x here and
	# x is promoted; her approval arrives by sync after that release.
	git clone -q r c || fail "git clone"
	git -C c config user.email "ann@example.com"
	expect_exit 0 "$APPCTL" -C c sync
	expect_exit 0 "$APPCTL" -C c approve --key "$KEYS/ann" staging
	expect_exit 0 "$APPCTL" -C r approve --key "$KEYS/bo" staging "$x"
	expect_exit 0 "$APPCTL" -C r promote staging "$x"
	expect_exit 0 "$APPCTL" -C c sync
	# Given when staging was at s0: stale, and status says for what.
	expect_exit 0 "$APPCTL" -C r status staging
	expect_stdout_contains "stale"
	expect_stdout_contains "(approved ${y:0:7} when staging was at ${s0:0:7}; it is at ${x:0:7} now)"
}

run_tests test_first_hour test_stale_approval_names_its_commit
