#!/usr/bin/env bash
# banned.sh: runs scripts/check-banned.sh under ctest, so unsafe calls and
# layering breaks fail the test suite and not only scripts/test.sh; first
# shows, on a small tree of probes, that each rule really refuses.
set -euo pipefail

: "${APPCTL_SOURCE_DIR:?set by ctest to the source tree}"
check="$APPCTL_SOURCE_DIR/scripts/check-banned.sh"
probe=$(mktemp -d "${TMPDIR:-/tmp}/appctl-banned.XXXXXX")
trap 'rm -rf "$probe"' EXIT

# expect_refused RELATIVE-PATH C-LINE MESSAGE: a tree holding only that
# file fails the check, saying MESSAGE.
expect_refused()
{
	rm -rf "${probe:?}/src" "$probe/include"
	mkdir -p "$probe/$(dirname "$1")"
	printf '%s\n' "$2" >"$probe/$1"
	if out=$(bash "$check" "$probe" 2>&1); then
		echo "FAIL: $1 passed the check: $2" >&2
		exit 1
	fi
	grep -qF -- "$3" <<<"$out" || { echo "FAIL: $1: no '$3' in: $out" >&2; exit 1; }
	echo "ok - refused: $1"
}

expect_refused src/core/a.c 'void f(char *d) { strcpy(d, "x"); }' "use snprintf"
expect_refused src/cli/a.c '#include <git2.h>' "only src/store may include git2.h"
expect_refused src/store/a.c '#include <curl/curl.h>' "only src/notify may include curl.h"
expect_refused src/service/a.c 'void f(void) { printf("x"); }' "only src/cli writes to stdout"
expect_refused src/core/a.c 'void f(void) { fputs("x", stdout); }' "only src/cli writes to stdout"
expect_refused src/service/a.c 'void f(void) { system("git push"); }' "only src/proc starts processes"
expect_refused src/store/remote.c 'void f(void) { posix_spawnp(0, "git", 0, 0, 0, 0); }' "only src/proc starts processes"
expect_refused src/store/log.c '#include "appctl/proc.h"' "only src/sign, src/store/remote.c and src/cli/help_pager.c run programs"
expect_refused src/cli/cmd_x.c '#include "appctl/proc.h"' "only src/sign, src/store/remote.c and src/cli/help_pager.c run programs"

exec bash "$check" "$APPCTL_SOURCE_DIR"
