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

test_ca_bundle_not_parsed()
{
	local lib
	lib=$(libgit2_path)
	[ -n "$lib" ] || fail "ldd does not show libgit2"
	if ! ldd "$lib" | grep -q 'libmbedx509'; then
		# A libgit2 built with OpenSSL never calls the mbedTLS loader.
		echo "skip: $lib does not use mbedTLS"
		return
	fi
	example_org r
	LD_DEBUG=bindings LD_DEBUG_OUTPUT="$TEST_ROOT/bindings" \
		expect_exit 0 "$APPCTL" -C r status
	expect_stdout_contains "dev"
	# LD_DEBUG_OUTPUT appends the pid to the name.
	grep -h "binding file $lib .* to $APPCTL .*mbedtls_x509_crt_parse_file" \
		"$TEST_ROOT"/bindings.* >/dev/null ||
		fail "libgit2's CA bundle load is not bound to appctl's stand-in"
	# The control: the same check finds what libgit2 does bind to mbedTLS.
	grep -h "binding file $lib .* to .*libmbed.*mbedtls_ssl_config_init" \
		"$TEST_ROOT"/bindings.* >/dev/null ||
		fail "the binding check finds nothing at all"
}

# libssh2 is not started for a transport appctl never uses. (Everything
# that needs OpenSSL, in-process signature checks first, runs with the
# stand-in in every other test.)
test_ssh_library_not_started()
{
	local lib
	lib=$(libgit2_path)
	[ -n "$lib" ] || fail "ldd does not show libgit2"
	if ! ldd "$lib" | grep -q 'libssh2'; then
		echo "skip: $lib does not use libssh2"
		return
	fi
	example_org r
	LD_DEBUG=bindings LD_DEBUG_OUTPUT="$TEST_ROOT/bindings" \
		expect_exit 0 "$APPCTL" -C r status
	grep -h "binding file $lib .* to $APPCTL .*libssh2_init" \
		"$TEST_ROOT"/bindings.* >/dev/null ||
		fail "libgit2's libssh2_init is not bound to appctl's stand-in"
	# The control: libgit2 binds libssh2's other functions to libssh2.
	grep -h "binding file $lib .* to .*libssh2.*libssh2_exit" \
		"$TEST_ROOT"/bindings.* >/dev/null ||
		fail "the binding check finds nothing at all"
}

run_tests test_ca_bundle_not_parsed test_ssh_library_not_started
