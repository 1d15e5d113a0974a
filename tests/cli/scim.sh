#!/usr/bin/env bash
# scim.sh: groups read from an identity provider's SCIM 2.0 export
# ("groups_from"): merged with appctl.json's, used by access, diffed like any
# group change, policy when approvals name them, and refused when malformed.
. "$(dirname "$0")/lib.sh"

export APPCTL_TODAY=2026-11-29
export APPCTL_NOTIFY_BUDGET_S=0

make_keys rita ann sam

SCIM="$APPCTL_SOURCE_DIR/tests/scim/groups.scim.json"

# scim_repo DIR: the example org (whose security group already comes from
# idp/groups.scim.json) with release-managers and support read from a
# second export, idp/people.scim.json; rita, ann and sam trusted.
scim_repo()
{
	local k
	new_repo "$1"
	cp -r "$APPCTL_SOURCE_DIR/examples/org/." "$1/"
	mkdir -p "$1/idp"
	cp "$SCIM" "$1/idp/people.scim.json"
	jq 'del(.groups["release-managers"], .groups.support)
	    | .groups_from = ["idp/groups.scim.json", "idp/people.scim.json"]' "$1/appctl.json" >"$1/tmp.json" &&
		mv "$1/tmp.json" "$1/appctl.json"
	for k in rita ann sam; do
		echo "$k@example.com namespaces=\"appctl\" $(cut -d' ' -f1,2 "$KEYS/$k.pub")"
	done >>"$1/allowed_signers"
	commit_all "$1" "org with groups from the identity provider"
	expect_exit 0 "$APPCTL" -C "$1" init
}

# scim_edit DIR JQ-FILTER: rewrites the export with a jq filter.
scim_edit()
{
	jq "$2" "$1/idp/people.scim.json" >"$1/idp/tmp.json" &&
		mv "$1/idp/tmp.json" "$1/idp/people.scim.json"
}

test_groups_merged()
{
	scim_repo r
	expect_exit 0 "$APPCTL" -C r validate
	expect_stdout_contains "0 errors"
	# dan is in the exported "support" group (named by display), which
	# ops-dashboard's Viewer role names.
	expect_exit 0 "$APPCTL" -C r access dan@example.com --env dev --json
	jq -e '.access | any(.app == "ops-dashboard" and (.via | index("Viewer (group:support)")))' \
		"$OUT" >/dev/null || fail "support from SCIM"
	# "Release Managers" becomes release-managers; userName lowercased,
	# the primary e-mail used when userName is not a principal.
	expect_exit 0 "$APPCTL" -C r access rita@example.com --env dev --json
	expect_equal true "$(jq .may_approve "$OUT")" "rita may approve"
	expect_exit 0 "$APPCTL" -C r access ann@example.com --env dev --json
	expect_equal true "$(jq .may_approve "$OUT")" "ann may approve"
	# A displayName that gives no group name is skipped: eve is nowhere.
	expect_exit 0 "$APPCTL" -C r access eve@example.com --env dev --json
	expect_equal 0 "$(jq '.access | length' "$OUT")" "eve has nothing"
}

test_change_is_diffed_and_policy()
{
	scim_repo r
	scim_edit r '(.Resources[] | select(.displayName == "Release Managers") | .members) += [{"value": "x1", "display": "rob@example.com"}]
		| (.Resources[] | select(.displayName == "support") | .members) += [{"value": "x2", "display": "sue@example.com"}]'
	commit_all r "the identity provider added rob and sue"
	expect_exit 0 "$APPCTL" -C r diff staging dev --json
	jq -e '.changes | any(.kind == "group.member_added" and .group == "release-managers" and .principal == "rob@example.com")' \
		"$OUT" >/dev/null || fail "rob's membership not diffed"
	jq -e '.changes | any(.kind == "policy.changed" and .group == "release-managers")' \
		"$OUT" >/dev/null || fail "an approver group change is not policy.changed"
	jq -e '.changes | any(.kind == "access.granted" and .principal == "sue@example.com" and .app == "support-portal")' \
		"$OUT" >/dev/null || fail "sue's access not diffed"
	# The judge reads the same merged groups: sam (security) alone is not
	# enough, the policy rule wants two release managers.
	approve r sam staging
	save_refs r
	expect_exit 1 "$APPCTL" -C r promote staging
	expect_stdout_contains "release-managers"
	expect_refs_unchanged r
	approve r rita staging
	approve r ann staging
	expect_exit 0 "$APPCTL" -C r promote staging
	expect_equal "$(ref_id r dev)" "$(ref_id r staging)" "staging promoted"
	# rob now approves in staging, whose export says so.
	expect_exit 0 "$APPCTL" -C r access rob@example.com --env staging --json
	expect_equal true "$(jq .may_approve "$OUT")" "rob may approve in staging"
	expect_exit 0 "$APPCTL" -C r access rob@example.com --env prod --json
	expect_equal false "$(jq .may_approve "$OUT")" "rob may not approve in prod"
}

# bad_export NAME JQ-FILTER|@FILE MESSAGE: the export made bad in the
# working tree: validate --worktree exits 3 naming the file and MESSAGE.
bad_export()
{
	if [ "${2#@}" != "$2" ]; then
		cp "${2#@}" r/idp/people.scim.json
	else
		scim_edit r "$2"
	fi
	expect_exit 3 "$APPCTL" -C r validate --worktree
	expect_stderr_contains "idp/people.scim.json"
	expect_stderr_contains "$3"
	cp "$SCIM" r/idp/people.scim.json
}

test_malformed_hostile_huge()
{
	scim_repo r
	save_refs r
	bad_export schema '.schemas = ["urn:other"]' "not a SCIM 2.0 ListResponse"
	bad_export resources '.Resources = {}' "Resources: expected an array"
	bad_export displayname '.Resources[2].displayName = 7' "displayName"
	bad_export members '.Resources[2].members = "all"' "members: expected an array"
	bad_export member '.Resources[2].members[0] = 3' 'members[0]'
	bad_export unknown '.Resources[3].members[0] = {"value": "00u7"}' "cannot tell who member"
	bad_export nested '.Resources[3].members += [{"value": "a7", "type": "Group"}]' "nested group"
	bad_export twice '.Resources[4].displayName = "SUPPORT"' 'a second group named "support"'
	bad_export both '.Resources[3].displayName = "Finance"' 'also defined in appctl.json'
	bad_export two '.Resources[3].displayName = "security"' 'also defined in idp/groups.scim.json'
	printf '{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "schemas": []}' >"$TEST_ROOT/dup.json"
	bad_export duplicate "@$TEST_ROOT/dup.json" "duplicate"
	printf '{"schemas":' >"$TEST_ROOT/cut.json"
	bad_export truncated "@$TEST_ROOT/cut.json" "line"
	# Hostile: nesting far past the limit, and a NUL byte.
	{ printf '{"Resources":'; for _ in $(seq 1 5000); do printf '['; done; } >"$TEST_ROOT/deep.json"
	bad_export deep "@$TEST_ROOT/deep.json" "nest"
	printf '{"schemas": ["a\0b"]}' >"$TEST_ROOT/nul.json"
	bad_export nul "@$TEST_ROOT/nul.json" "people.scim.json"
	# Huge: over 16 MiB is refused before parsing.
	head -c 17000000 /dev/zero | tr '\0' ' ' >"$TEST_ROOT/huge.json"
	bad_export huge "@$TEST_ROOT/huge.json" "16 MiB"
	# Huge but valid: 14 MiB, 90000 users in one group (half of them twice)
	# and 20000 more groups, read in bounded time (no quadratic lookups).
	python3 - "$TEST_ROOT/big.json" <<'PY'
import json, sys
n = 90000
res = [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u%d" % i,
        "userName": "user%d@example.com" % i} for i in range(n)]
res.append({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g",
            "displayName": "Support", "members": [{"value": "u%d" % i} for i in range(n)] +
            [{"value": "u%d" % i} for i in range(n // 2)]})
res += [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g%d" % j,
         "displayName": "Team %d" % j, "members": [{"value": "u%d" % j}]} for j in range(20000)]
json.dump({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "Resources": res},
          open(sys.argv[1], "w"), separators=(",", ":"))
PY
	cp "$TEST_ROOT/big.json" r/idp/people.scim.json
	jq '.groups["release-managers"] = ["rita@example.com", "ann@example.com"]' r/appctl.json >r/tmp.json &&
		mv r/tmp.json r/appctl.json
	expect_exit 0 timeout 120 "$APPCTL" -C r validate --worktree
	expect_stdout_contains "0 errors"
	git -C r checkout -q -- appctl.json
	cp "$SCIM" r/idp/people.scim.json
	# A missing file, and a path leaving the repository.
	rm r/idp/people.scim.json
	expect_exit 3 "$APPCTL" -C r validate --worktree
	expect_stderr_contains 'no such file (appctl.json names it in "groups_from")'
	cp "$SCIM" r/idp/people.scim.json
	jq '.groups_from = ["../outside.json"]' r/appctl.json >r/tmp.json && mv r/tmp.json r/appctl.json
	expect_exit 3 "$APPCTL" -C r validate --worktree
	expect_stderr_contains "groups_from"
	expect_refs_unchanged r
}

test_committed_bad_export()
{
	# A bad export committed on dev: every reader of that commit says so.
	scim_repo r
	scim_edit r '.Resources[3].members += [{"value": "nobody"}]'
	commit_all r "an export appctl cannot read"
	expect_exit 3 "$APPCTL" -C r validate
	expect_stderr_contains "idp/people.scim.json"
	expect_exit 3 "$APPCTL" -C r diff staging dev
	expect_stderr_contains "Resources[3].members[3]"
}

test_init_commits_the_export()
{
	# init in a repository without commits commits what it validated,
	# the export included, so every later reader finds it.
	new_repo r
	cp -R "$APPCTL_SOURCE_DIR/examples/org/." r/
	expect_exit 0 "$APPCTL" -C r --json init
	jq -e '.files | index("idp/groups.scim.json") != null' "$OUT" >/dev/null ||
		fail "init --json lacks the export"
	git -C r cat-file -e dev:idp/groups.scim.json || fail "export not committed"
	expect_equal "" "$(git -C r status --porcelain -- idp)" "export staged"
	expect_exit 0 "$APPCTL" -C r validate prod
	expect_stdout_contains "0 errors"
}

run_tests test_init_commits_the_export test_groups_merged test_change_is_diffed_and_policy \
	test_malformed_hostile_huge test_committed_bad_export
