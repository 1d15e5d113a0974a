#!/usr/bin/env bash
# install-deps.sh: installs the Debian 12 packages appctl needs to build and
# test, and nothing when they are all present (so it is safe to run every time).
#
# Usage: bash scripts/install-deps.sh [--build-only | --test-servers]
#   (as root; otherwise it lists what to install)
#
#   (no option)      the build group and the test-server group
#   --build-only     the build group only (what building and the unit tests need)
#   --test-servers   the test-server group only (tests/cli/server_setups.sh)
#
# The build group is required: if it cannot be installed, the script fails.
# The test-server group only serves tests/cli/server_setups.sh, which puts
# appctl's hook on real servers (sshd + git-shell, apache2 + git
# http-backend, gitolite3); if it cannot be installed, the script says so
# and succeeds, and those setups are skipped with a message. The tests
# never use the system's instances of these servers: they run their own on
# 127.0.0.1 with private configuration. (Debian starts ssh and apache2 on
# installation where an init system runs and policy-rc.d allows it; stop
# and disable them if you do not want them.)
set -euo pipefail

# Build, test and fuzz dependencies. clang is only for the libFuzzer build;
# openssh-client provides ssh-keygen, which signs and verifies approvals;
# jq reads JSON output in the CLI tests; python3 serves the fake GitHub
# API and curl posts to it in tests/cli/ci_kit.sh (the CI kit's script
# needs curl, and jq or python3, on a CI runner too); python3-jsonschema is
# the JSON Schema validator tests/cli/schema.sh checks schema/*.json with
# (required: that test fails, not skips, without it);
# mandoc lints the man pages and zsh loads the zsh completion in
# tests/cli/help.sh;
# bsdutils provides script(1), which gives the progress tests a terminal
# (essential on Debian, listed anyway).
packages=(
	build-essential
	cmake
	pkg-config
	git
	openssh-client
	libgit2-dev
	libcjson-dev
	libcurl4-openssl-dev
	libssl-dev
	libcmocka-dev
	clang
	jq
	python3
	curl
	python3-jsonschema
	mandoc
	zsh
	bsdutils
)

# Test-only: the servers tests/cli/server_setups.sh runs (sshd with git-shell,
# apache2 with git http-backend and htpasswd, gitolite3).
test_packages=(
	openssh-server
	apache2
	apache2-utils
	gitolite3
)

want_build=1
want_test=1
case "${1:-}" in
"") ;;
--build-only) want_test=0 ;;
--test-servers) want_build=0 ;;
-h | --help)
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "install-deps: unknown option '$1' (try --help)" >&2
	exit 2
	;;
esac

# dpkg-query -W also succeeds for packages that are known but removed
# (state "deinstall"/"config-files"), so look at the status itself.
is_installed() {
	local status
	status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
	[ "$status" = installed ]
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps: dpkg-query not found; this script expects Debian 12" >&2
	echo "install-deps: install these or their equivalents: ${packages[*]}" >&2
	echo "install-deps: and, for tests/cli/server_setups.sh: ${test_packages[*]}" >&2
	# Without the test servers the tests skip those setups; only a
	# request for the build group fails.
	[ "$want_build" -eq 0 ] && exit 0
	exit 1
fi

missing=()
if [ "$want_build" -eq 1 ]; then
	for pkg in "${packages[@]}"; do
		is_installed "$pkg" || missing+=("$pkg")
	done
fi
missing_test=()
if [ "$want_test" -eq 1 ]; then
	for pkg in "${test_packages[@]}"; do
		is_installed "$pkg" || missing_test+=("$pkg")
	done
fi

if [ "${#missing[@]}" -eq 0 ] && [ "${#missing_test[@]}" -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	all=("${missing[@]}" "${missing_test[@]}")
	echo "install-deps: missing packages: ${all[*]}" >&2
	echo "install-deps: run as root, or install them with:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${all[*]}" >&2
	if [ "${#missing[@]}" -eq 0 ]; then
		echo "install-deps: (test servers only: tests/cli/server_setups.sh skips the setups that need them)" >&2
		exit 0
	fi
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() {
	if [ "$updated" -eq 0 ]; then
		apt-get update -qq
		updated=1
	fi
}

# Fail loudly if apt-get claimed success but a package is still absent.
still_missing() {
	local pkg
	for pkg in "$@"; do
		is_installed "$pkg" || echo "$pkg"
	done
}

if [ "${#missing[@]}" -ne 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	apt_update
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	still=$(still_missing "${missing[@]}")
	if [ -n "$still" ]; then
		echo "install-deps: still missing after apt-get: ${still//$'\n'/ }" >&2
		exit 1
	fi
fi

if [ "${#missing_test[@]}" -ne 0 ]; then
	echo "install-deps: installing test servers ${missing_test[*]}"
	if ! { apt_update && apt-get install -y -qq --no-install-recommends \
		"${missing_test[@]}" >/dev/null; }; then
		echo "install-deps: apt-get could not install ${missing_test[*]}" >&2
	fi
	still=$(still_missing "${missing_test[@]}")
	if [ -n "$still" ]; then
		echo "install-deps: test servers still missing: ${still//$'\n'/ }" >&2
		echo "install-deps: tests/cli/server_setups.sh will skip the setups that need them" >&2
	fi
fi
exit 0
