#!/usr/bin/env bash
# checklist.sh: every item of docs/checklist.md names a test that exists and
# runs, so the table cannot claim an answer nothing shows. Shell tests are
# FILE:function (defined and named again where the file runs its tests), C tests
# FILE:function (registered with cmocka) or FILE:"table case".
. "$(dirname "$0")/lib.sh"

DOC="$APPCTL_SOURCE_DIR/docs/checklist.md"

# test_exists SPEC [ROOT]: 0 when the test SPEC names is there (in the
# source tree, or ROOT).
test_exists()
{
	local file=${1%%:*} name=${1#*:} path
	path="${2:-$APPCTL_SOURCE_DIR}/$file"
	[ -f "$path" ] || return 1
	case $file in
	*.sh)
		grep -q "^$name()" "$path" || return 1
		# Defined is not enough: it must be named again, where it is run.
		grep -w -- "$name" "$path" | grep -qv "^$name()"
		;;
	*.c)
		case $name in
		\"*\")
			grep -qF -- "{ $name" "$path" ;;
		*)
			grep -q "cmocka_unit_test($name)" "$path" ;;
		esac
		;;
	*)
		return 1 ;;
	esac
}

test_every_item_has_a_test()
{
	local rows=0 missing="" line id spec
	while IFS= read -r line; do
		id=$(printf '%s' "$line" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }')
		spec=$(printf '%s' "$line" | awk -F'|' '{ s = $5; sub(/^ +/, "", s); sub(/ +$/, "", s); print s }')
		rows=$((rows + 1))
		[ -n "$spec" ] || { missing="$missing $id(no test)"; continue; }
		test_exists "$spec" || missing="$missing $id($spec)"
	done < <(grep -E '^\| [A-Z][0-9]+ \|' "$DOC")
	[ "$rows" -ge 40 ] || fail "only $rows items in the checklist"
	[ -z "$missing" ] || fail "items whose test does not exist:$missing"
	# Item ids are unique.
	expect_equal "" "$(grep -oE '^\| [A-Z][0-9]+ \|' "$DOC" | sort | uniq -d)" "repeated item ids"
}

# The checker itself refuses what it should.
test_checker_refuses()
{
	test_exists "tests/cli/approve.sh:test_good_approval" || fail "a real shell test"
	test_exists "tests/unit/test_lint.c:test_lint_cases" || fail "a real C test"
	test_exists 'tests/unit/test_lint.c:"dashboard granting writes"' || fail "a real case"
	! test_exists "tests/cli/approve.sh:test_no_such_thing" || fail "a missing shell test"
	mkdir -p fake/tests/cli
	printf 'test_a()\n{\n\t:\n}\n\ntest_b()\n{\n\t:\n}\n\nrun_tests test_a\n' \
		>fake/tests/cli/x.sh
	test_exists "tests/cli/x.sh:test_a" fake || fail "a test that runs"
	! test_exists "tests/cli/x.sh:test_b" fake || fail "a test defined, never run"
	! test_exists 'tests/unit/test_lint.c:"no such case"' || fail "a missing case"
	! test_exists "tests/cli/nowhere.sh:test_x" || fail "a missing file"
}

run_tests test_every_item_has_a_test test_checker_refuses
