#!/usr/bin/env bash
# install-deps.sh: installs the Debian 12 packages appctl needs to build and
# test, and nothing when they are all present (so it is safe to run every time).
#
# Usage: bash scripts/install-deps.sh     (as root; otherwise it lists what to install)
set -euo pipefail

# Build, test and fuzz dependencies. clang is only for the libFuzzer build;
# openssh-client provides ssh-keygen, which signs and verifies approvals;
# jq reads JSON output in the CLI tests.
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
)

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
	exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
	is_installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root, or install them with:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Fail loudly if apt-get claimed success but a package is still absent.
still=()
for pkg in "${missing[@]}"; do
	is_installed "$pkg" || still+=("$pkg")
done
if [ "${#still[@]}" -ne 0 ]; then
	echo "install-deps: still missing after apt-get: ${still[*]}" >&2
	exit 1
fi
