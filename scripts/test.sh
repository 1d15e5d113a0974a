#!/usr/bin/env bash
# test.sh: the whole test suite, as CI runs it: dependencies, a Debug build
# with ASan+UBSan and -Werror in build-test/, the banned-function check, ctest.
#
# Usage: bash scripts/test.sh        (works as root on a fresh Debian 12)
# The exit status is ctest's; ctest's summary line is the last thing printed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs=$(nproc 2>/dev/null || echo 2)

echo "== dependencies"
bash scripts/install-deps.sh

echo "== configure build-test/"
cmake -S . -B build-test \
	-DCMAKE_BUILD_TYPE=Debug \
	-DAPPCTL_SANITIZE=ON \
	-DAPPCTL_WERROR=ON \
	-DAPPCTL_TESTS=ON \
	-DAPPCTL_TEST_SWITCHES=ON

echo "== build"
cmake --build build-test -j"$jobs"

# Sanitizer findings must fail the test that triggers them, with a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "== banned functions and layering"
banned=0
bash scripts/check-banned.sh || banned=$?

echo "== ctest"
# ctest runs the same check as tests/cli/banned.sh, so a banned call also
# shows in its summary; its exit status is the script's.
status=0
ctest --test-dir build-test --output-on-failure -j2 || status=$?
if [ "$status" -eq 0 ] && [ "$banned" -ne 0 ]; then
	status=$banned
fi
exit "$status"
