#!/usr/bin/env bash
# diff_threads.sh: `appctl diff` runs apps, and renders --json, on several
# threads; this runs the whole diff test script against an appctl built
# with ThreadSanitizer, so that a data race fails the suite (TSan cannot be
# combined with the test build's AddressSanitizer).
#
# Usage: bash tests/tsan/diff_threads.sh SOURCE_DIR BUILD_DIR
# ctest runs it as tsan/diff_threads, building into BUILD_DIR (kept between
# runs, so that only what changed is compiled again).
set -euo pipefail

src=$1
build=$2
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DAPPCTL_TESTS=OFF -DAPPCTL_WERROR=ON -DAPPCTL_TEST_SWITCHES=ON \
	-DCMAKE_C_FLAGS=-fsanitize=thread \
	-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread >/dev/null
cmake --build "$build" --target appctl -j2 >/dev/null
# A report fails the command that made it, with its exit status.
export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
APPCTL="$build/appctl" APPCTL_SOURCE_DIR="$src" bash "$src/tests/cli/diff.sh"
