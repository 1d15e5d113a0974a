#!/usr/bin/env bash
# check-banned.sh: fails when C sources call unsafe functions or cross the
# layer boundaries: only src/store may include git2.h, only src/notify
# curl.h; only the CLI (src/cli) writes to stdout, since core, services,
# storage, signatures and notifications return results and never print;
# only src/proc starts processes, and only src/sign (ssh-keygen),
# src/store/remote.c (the system git, for remotes) and src/cli/help_pager.c
# (the pager that shows help on a terminal, as git's does: presentation,
# so the CLI's, and only that one file of it) may use it.
#
# Usage: bash scripts/check-banned.sh [SOURCE_DIR]   (default: this checkout)
# Prints each offence as file:line: text and exits 1 when there is any.
set -euo pipefail

root=${1:-"$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"}
cd "$root"

# Unbounded copies, non-reentrant tokenizing and unchecked number parsing.
# Matched as calls only, so snprintf, strtok_r, fgets and atoll stay allowed.
banned='\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|gets)[[:space:]]*\('

status=0

sources() {
	local dir
	for dir in "$@"; do
		[ -d "$dir" ] || continue
		find "$dir" -type f \( -name '*.c' -o -name '*.h' \) -print
	done | LC_ALL=C sort
}

mapfile -t files < <(sources src include fuzz tests/unit)
if [ "${#files[@]}" -gt 0 ]; then
	if grep -nEH "$banned" -- "${files[@]}"; then
		echo "check-banned: use snprintf/strbuf, strtok_r or strtol/strtoll instead" >&2
		status=1
	fi
fi

# Layering (STYLE.md point 1): the pure core and the CLI talk to libgit2 and
# libcurl only through the store and notify layers.
git2_include='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]git2(\.h|/)'
curl_include='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]curl(\.h|/)'

mapfile -t layered < <(sources src include)
for f in "${layered[@]}"; do
	case $f in
	src/store/*) ;;
	*)
		if grep -nEH "$git2_include" -- "$f"; then
			echo "check-banned: $f: only src/store may include git2.h" >&2
			status=1
		fi
		;;
	esac
	case $f in
	src/notify/*) ;;
	*)
		if grep -nEH "$curl_include" -- "$f"; then
			echo "check-banned: $f: only src/notify may include curl.h" >&2
			status=1
		fi
		;;
	esac
done

# Printing to stdout and starting processes, outside the layers that may.
stdout_use='(^|[^a-z_])(printf|vprintf|puts|putchar)[[:space:]]*\(|[^a-z_]stdout[[:space:]]*\)|\(stdout\b'
proc_include='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]appctl/proc\.h[>"]'
spawn_use='\b(posix_spawnp?|fork|vfork|execl|execlp|execle|execv|execvp|execve|system|popen)[[:space:]]*\('
for f in "${layered[@]}"; do
	case $f in
	src/cli/*) ;;
	src/*)
		if grep -nEH "$stdout_use" -- "$f"; then
			echo "check-banned: $f: only src/cli writes to stdout" >&2
			status=1
		fi
		;;
	esac
	case $f in
	src/proc/*) ;;
	src/*)
		if grep -nEH "$spawn_use" -- "$f"; then
			echo "check-banned: $f: only src/proc starts processes" >&2
			status=1
		fi
		;;
	esac
	case $f in
	src/proc/*|src/sign/*|src/store/remote.c|src/cli/help_pager.c|include/appctl/proc.h) ;;
	*)
		if grep -nEH "$proc_include" -- "$f"; then
			echo "check-banned: $f: only src/sign, src/store/remote.c and src/cli/help_pager.c run programs (appctl/proc.h)" >&2
			status=1
		fi
		;;
	esac
done

if [ "$status" -eq 0 ]; then
	echo "check-banned: ok (${#files[@]} files)"
fi
exit "$status"
