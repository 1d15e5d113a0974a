#!/usr/bin/env bash
# startup.sh: what every command pays before its own work. libgit2's CA
# bundle load and libssh2's start-up are bound to appctl's stand-ins
# (src/store/repo.c), and commands still work with them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/review_lib.sh"

# The libgit2 appctl runs with, as the dynamic linker resolves it.
libgit2_path()
{
	ldd "$APPCTL" | awk '$1 ~ /^libgit2\.so/ { print $3 }'
}

# expect_stand_in DEP SYMBOL CONTROL: when libgit2 links the library DEP,
# `appctl status` binds libgit2's SYMBOL to appctl's stand-in, while the
# same check finds libgit2's CONTROL bound to DEP itself.
expect_stand_in()
{
	local lib
	lib=$(libgit2_path)
	[ -n "$lib" ] || fail "ldd does not show libgit2"
	if ! ldd "$lib" | grep -q "$1"; then
		echo "skip: $lib does not use $1"
		return
	fi
	rm -rf r "$TEST_ROOT"/bindings.*
	example_org r
	LD_DEBUG=bindings LD_DEBUG_OUTPUT="$TEST_ROOT/bindings" \
		expect_exit 0 "$APPCTL" -C r status
	expect_stdout_contains "dev"
	# LD_DEBUG_OUTPUT appends the pid to the name.
	grep -h "binding file $lib .* to $APPCTL .*$2" \
		"$TEST_ROOT"/bindings.* >/dev/null ||
		fail "libgit2's $2 is not bound to appctl's stand-in"
	grep -h "binding file $lib .* to .*$1.*$3" \
		"$TEST_ROOT"/bindings.* >/dev/null ||
		fail "the binding check finds nothing at all"
}

# A libgit2 built with OpenSSL never calls the mbedTLS loader.
test_ca_bundle_not_parsed()
{
	expect_stand_in libmbed mbedtls_x509_crt_parse_file \
		mbedtls_ssl_config_init
}

# libssh2 is not started for a transport appctl never uses. (Everything
# that needs OpenSSL, in-process signature checks first, runs with the
# stand-in in every other test.)
test_ssh_library_not_started()
{
	expect_stand_in libssh2 libssh2_init libssh2_exit
}

run_tests test_ca_bundle_not_parsed test_ssh_library_not_started
