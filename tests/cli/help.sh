#!/usr/bin/env bash
# help.sh: every command has its page (docs/commands/<cmd>.md is both the
# man page section and --help), reachable from anywhere, even outside a
# repository; unknown commands and options are usage errors.
. "$(dirname "$0")/lib.sh"

commands()
{
	"$APPCTL" --help | awk '/^commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }'
}

test_every_command_has_a_page()
{
	local cmd n=0
	for cmd in $(commands); do
		expect_exit 0 "$APPCTL" -C /nonexistent "$cmd" --help
		expect_stdout_contains "# appctl-$cmd(1)"
		expect_stdout_contains "SYNOPSIS"
		expect_exit 0 "$APPCTL" help "$cmd"
		expect_stdout_contains "# appctl-$cmd(1)"
		n=$((n + 1))
	done
	[ "$n" -ge 4 ] || fail "only $n commands listed"
}

test_usage_errors()
{
	expect_exit 2 "$APPCTL"
	expect_exit 2 "$APPCTL" frobnicate
	expect_stderr_contains "'frobnicate' is not an appctl command"
	expect_exit 2 "$APPCTL" --frobnicate
	expect_exit 2 "$APPCTL" help frobnicate
	expect_exit 0 "$APPCTL" version
	expect_stdout_contains "appctl "
	expect_exit 0 "$APPCTL" --json version
	jq -e '.version | length > 0' "$OUT" >/dev/null || fail "version JSON"
}

test_outside_a_repository()
{
	expect_exit 4 "$APPCTL" -C "$TEST_ROOT" validate
	expect_stderr_contains "appctl: "
}

run_tests test_every_command_has_a_page test_usage_errors test_outside_a_repository
