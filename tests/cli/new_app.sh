#!/usr/bin/env bash
# new_app.sh: `appctl new app`: a scaffold per class that validates clean,
# from the policy's role_templates or the built-in role model; refusals.
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-11-29

# org DIR [JQ-FILTER]: the example org under appctl, appctl.json filtered.
org()
{
	new_repo "$1"
	cp -R "$APPCTL_SOURCE_DIR/examples/org/." "$1/"
	if [ $# -gt 1 ]; then
		jq "$2" "$1/appctl.json" >"$1/tmp.json" && mv "$1/tmp.json" "$1/appctl.json"
	fi
	commit_all "$1" "example org"
	expect_exit 0 "$APPCTL" -C "$1" init
}

# roles_of DIR APP: "Role:action,action Role:..." of the scaffold.
roles_of()
{
	jq -r '[.roles | to_entries[] | .key + ":" + (.value.grants[0].actions | join(","))] | join(" ")' \
		"$1/apps/$2/app.json"
}

test_builtin_role_model()
{
	org r 'del(.role_templates)'
	save_refs r
	expect_exit 0 "$APPCTL" -C r new app sales-dash --class dashboard \
		--owner lea@example.com --technical-owner olga@example.com
	expect_stdout_contains "wrote apps/sales-dash/app.json (dashboard; roles Viewer from the built-in role model)"
	expect_equal "Viewer:read" "$(roles_of r sales-dash)" "dashboard roles"
	expect_exit 0 "$APPCTL" -C r new app refunds --class admin_panel --owner fay@example.com
	expect_equal "Admin:read,create,update,delete,admin Editor:read,create,update Viewer:read" \
		"$(roles_of r refunds)" "admin panel roles"
	# The technical owner (git's user.email here) runs it, the business owner looks.
	expect_equal '["tester@example.com"] ["fay@example.com"]' \
		"$(jq -c '.roles.Admin.members, .roles.Viewer.members' r/apps/refunds/app.json | tr '\n' ' ' | sed 's/ $//')" \
		"owners as members"
	expect_exit 0 "$APPCTL" -C r new app claims --class client_portal --json
	expect_equal built-in "$(jq -r .role_model "$OUT")" "role model"
	expect_equal "Support:read,update Viewer:read" "$(roles_of r claims)" "portal roles"
	expect_equal account_id "$(jq -r .data.records.tenant_key r/apps/claims/app.json)" "tenant key"
	# Clean: no error, no warning, for all of them together.
	expect_exit 0 "$APPCTL" -C r validate --worktree
	expect_stdout_contains "6 apps, 0 errors, 0 warnings"
	expect_exit 0 "$APPCTL" -C r validate --worktree --json
	expect_equal "0 0" "$(jq -r '"\(.errors) \(.warnings)"' "$OUT")" "validate --json"
	# The working tree only: no commit, no ref moved.
	expect_refs_unchanged r
	expect_equal "?? apps/claims/ ?? apps/refunds/ ?? apps/sales-dash/" \
		"$(git -C r status --porcelain | sort | tr '\n' ' ' | sed 's/ $//')" "untracked files"
	# Committed, it is an ordinary app.added change.
	commit_all r "three new apps"
	expect_exit 0 "$APPCTL" -C r diff prod dev --json
	expect_equal 3 "$(jq '[.changes[] | select(.kind == "app.added")] | length' "$OUT")" "app.added"
}

test_policy_role_templates()
{
	org r
	expect_exit 0 "$APPCTL" -C r new app refunds --class admin_panel --json
	expect_equal policy "$(jq -r .role_model "$OUT")" "role model"
	# examples/org's admin panels have no admin action.
	expect_equal "Admin:read,create,update,delete Editor:read,create,update Viewer:read" \
		"$(roles_of r refunds)" "policy roles"
	expect_equal "fixes records the team cannot" \
		"$(jq -r .roles.Admin.description r/apps/refunds/app.json)" "description"
	expect_exit 0 "$APPCTL" -C r new app claims --class client_portal
	expect_stdout_contains "roles Agent, Viewer from the policy's role model"
	expect_exit 0 "$APPCTL" -C r validate --worktree
	expect_stdout_contains "0 errors, 0 warnings"
	# A class the policy has no template for falls back to the built-ins.
	jq 'del(.role_templates.dashboard)' r/appctl.json >r/tmp.json && mv r/tmp.json r/appctl.json
	expect_exit 0 "$APPCTL" -C r new app sales-dash --class dashboard --json
	expect_equal built-in "$(jq -r .role_model "$OUT")" "fallback"
}

test_refusals()
{
	org r
	cp r/apps/ops-dashboard/app.json "$TEST_ROOT/before"
	expect_exit 2 "$APPCTL" -C r new app ops-dashboard --class dashboard
	expect_stderr_contains "app 'ops-dashboard' already exists"
	cmp -s "$TEST_ROOT/before" r/apps/ops-dashboard/app.json || fail "existing app changed"
	expect_exit 2 "$APPCTL" -C r new app Bad_Name --class dashboard
	expect_stderr_contains "not a valid app name"
	expect_exit 2 "$APPCTL" -C r new app x --class kiosk
	expect_stderr_contains "unknown class 'kiosk'"
	expect_exit 2 "$APPCTL" -C r new app x
	expect_stderr_contains "--class is required"
	expect_exit 2 "$APPCTL" -C r new app x --class dashboard --owner nobody
	expect_exit 2 "$APPCTL" -C r new thing x --class dashboard
	# A folder someone left behind, or a link where the folder goes.
	mkdir r/apps/leftover
	expect_exit 3 "$APPCTL" -C r new app leftover --class dashboard
	rmdir r/apps/leftover
	ln -s /tmp r/apps/linked
	expect_exit 3 "$APPCTL" -C r new app linked --class dashboard
	rm r/apps/linked
	# An invalid working tree is reported as validate would.
	echo '{' >r/appctl.json
	expect_exit 3 "$APPCTL" -C r new app fresh --class dashboard
	expect_stderr_contains "appctl.json"
	[ ! -e r/apps/fresh ] || fail "a scaffold was written"
	git -C r checkout -q -- appctl.json
	# No owner known: neither options nor git identity.
	git -C r config --unset user.email
	expect_exit 2 "$APPCTL" -C r new app fresh --class dashboard
	expect_stderr_contains "--owner"
	[ ! -e r/apps/fresh ] || fail "a scaffold was written"
}

run_tests test_builtin_role_model test_policy_role_templates test_refusals
