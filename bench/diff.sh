#!/usr/bin/env bash
# diff.sh: times `appctl diff --json` against `git diff` of the same two commits of a large org.
#
# Usage: bash bench/diff.sh [BUILD_DIR] [REPETITIONS]
#
# BUILD_DIR holds appctl and bench/gen_org (default: /tmp/build-bench, made
# with `cmake -S . -B /tmp/build-bench -DCMAKE_BUILD_TYPE=Release
# -DAPPCTL_TESTS=OFF && cmake --build /tmp/build-bench`). Not part of ctest.
#
# The org is bench/gen_org's (300 apps, ~27 MB); the head commit changes 1 %
# of the apps and adds one principal to a group that 9 apps in 10 use, so
# appctl must follow the group into apps whose files did not change. Prints
# the median times, their ratio (target <= 5), the peak RSS of appctl and
# the bytes of definitions it had to read (target: RSS <= 4x those bytes).
#
# Three anchors, each measured in the same run as what it anchors:
# - `git diff base head` warm, for the group change (appctl with its blob
#   cache warm: target <= 5x);
# - `git diff head same` warm, where "same" only edits README.md (appctl:
#   target <= 3x);
# - `git cat-file --batch` of exactly the blobs appctl reads, with the page
#   cache dropped (appctl with the page cache dropped and its own blob cache
#   emptied: target <= 2x). Dropping the page cache needs root; without it
#   the script says so and both sides run with the page cache warm.
set -euo pipefail

build=${1:-/tmp/build-bench}
reps=${2:-7}
appctl="$build/appctl"
gen="$build/bench/gen_org"
for tool in "$appctl" "$gen"; do
	[ -x "$tool" ] || { echo "diff.sh: $tool is missing; build first" >&2; exit 2; }
done
# GNU time reports the peak RSS; the shell keyword cannot.
if [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y -qq time >/dev/null
	else
		sudo apt-get install -y -qq time >/dev/null
	fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/appctl-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 LC_ALL=C NO_COLOR=1
mkdir -p "$HOME"
repo="$work/org"

git init -q -b dev "$repo"
git -C "$repo" config user.name bench
git -C "$repo" config user.email bench@example.com
"$gen" "$repo"
git -C "$repo" add -A
git -C "$repo" commit -q -m base
git -C "$repo" tag base
"$gen" --head "$repo"
git -C "$repo" add -A
git -C "$repo" commit -q -m head
git -C "$repo" tag head
echo "A README edit: nothing appctl reads changes." >"$repo/README.md"
git -C "$repo" add -A
git -C "$repo" commit -q -m same
git -C "$repo" tag same
# Repositories that matter are packed; loose objects would favour neither
# side much, but packed is what a clone gives.
git -C "$repo" gc -q

now_ns() { date +%s%N; }

# median FILE: the middle value of one number per line.
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$work/appctl.ns"
: >"$work/git.ns"
# One warm-up run each, so that both read from the page cache.
"$appctl" -C "$repo" diff --json base head >"$work/diff.json"
git -C "$repo" diff base head >/dev/null
for _ in $(seq "$reps"); do
	t0=$(now_ns)
	"$appctl" -C "$repo" diff --json base head >/dev/null
	t1=$(now_ns)
	git -C "$repo" diff base head >/dev/null
	t2=$(now_ns)
	echo $((t1 - t0)) >>"$work/appctl.ns"
	echo $((t2 - t1)) >>"$work/git.ns"
done
appctl_ns=$(median "$work/appctl.ns")
git_ns=$(median "$work/git.ns")

# No change: a commit that only edits README.md.
: >"$work/same_appctl.ns"
: >"$work/same_git.ns"
"$appctl" -C "$repo" diff --json head same >/dev/null
git -C "$repo" diff head same >/dev/null
for _ in $(seq "$reps"); do
	t0=$(now_ns)
	"$appctl" -C "$repo" diff --json head same >/dev/null
	t1=$(now_ns)
	git -C "$repo" diff head same >/dev/null
	t2=$(now_ns)
	echo $((t1 - t0)) >>"$work/same_appctl.ns"
	echo $((t2 - t1)) >>"$work/same_git.ns"
done
same_appctl_ns=$(median "$work/same_appctl.ns")
same_git_ns=$(median "$work/same_git.ns")

# The blobs appctl reads for the group change: both policies and signers
# files, both sides of each changed app, and the head side of every other app
# (each unchanged app's bytes are searched for the moved group).
{
	for rev in base head; do
		echo "$rev:appctl.json"
		echo "$rev:allowed_signers"
	done
	git -C "$repo" diff --name-only base head -- apps | sed 's/^/base:/'
	git -C "$repo" ls-tree -r --name-only head -- apps | sed 's/^/head:/'
} | git -C "$repo" cat-file --batch-check='%(objectname)' >"$work/blobs"
blob_count=$(wc -l <"$work/blobs")

# drop_page_cache: 0 when the page cache could be dropped.
cold=0
drop_page_cache() {
	sync
	if [ "$cold" = 1 ] && { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
		return 0
	fi
	return 1
}
[ -w /proc/sys/vm/drop_caches ] && cold=1
: >"$work/cold_appctl.ns"
: >"$work/cold_cat.ns"
: >"$work/nocache_appctl.ns"
cache_dir=$(git -C "$repo" rev-parse --absolute-git-dir)/appctl/cache
for _ in $(seq "$reps"); do
	drop_page_cache || cold=0
	t0=$(now_ns)
	git -C "$repo" cat-file --batch <"$work/blobs" >/dev/null
	t1=$(now_ns)
	rm -rf "$cache_dir"
	drop_page_cache || cold=0
	t2=$(now_ns)
	"$appctl" -C "$repo" diff --json base head >/dev/null
	t3=$(now_ns)
	# The same with the page cache warm: what the blob cache saves alone.
	rm -rf "$cache_dir"
	t4=$(now_ns)
	"$appctl" -C "$repo" diff --json base head >/dev/null
	t5=$(now_ns)
	echo $((t1 - t0)) >>"$work/cold_cat.ns"
	echo $((t3 - t2)) >>"$work/cold_appctl.ns"
	echo $((t5 - t4)) >>"$work/nocache_appctl.ns"
done
cold_cat_ns=$(median "$work/cold_cat.ns")
cold_appctl_ns=$(median "$work/cold_appctl.ns")
# Each round's own ratio too: the VM's speed drifts between rounds, and a
# round's two runs are seconds apart.
paste "$work/cold_appctl.ns" "$work/cold_cat.ns" |
	awk '{ printf "%.4f\n", $1 / $2 }' >"$work/cold_ratios"
cold_pair_ratio=$(median "$work/cold_ratios")
cold_pair_range=$(sort -n "$work/cold_ratios" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }')
nocache_appctl_ns=$(median "$work/nocache_appctl.ns")
if [ "$cold" = 1 ]; then
	cold_label="page cache dropped"
else
	cold_label="page cache NOT dropped (needs root)"
fi
# Leave the blob cache warm for the RSS run below, as in the timed runs.
"$appctl" -C "$repo" diff --json base head >/dev/null

/usr/bin/time -f '%M' -o "$work/rss" \
	"$appctl" -C "$repo" diff --json base head >/dev/null
rss_kb=$(tail -n 1 "$work/rss")

# What appctl must read: both policies and signers files, both sides of each
# changed app, and the unchanged apps that may use the moved group (the ones
# whose text says "group:g00", or holds a \u escape).
blob_size() { git -C "$repo" cat-file -s "$1"; }
bytes=0
for rev in base head; do
	for f in appctl.json allowed_signers; do
		bytes=$((bytes + $(blob_size "$rev:$f")))
	done
done
changed=$(git -C "$repo" diff --name-only base head -- apps)
for f in $changed; do
	bytes=$((bytes + $(blob_size "base:$f") + $(blob_size "head:$f")))
done
while read -r f; do
	f=${f#head:}
	case " $(echo $changed) " in *" $f "*) continue ;; esac
	bytes=$((bytes + $(blob_size "head:$f")))
done < <(git -C "$repo" grep -l -F -e 'group:g00' -e '\u' head -- 'apps/*/app.json')
total=$(git -C "$repo" ls-tree -r -l head | awk '{ s += $4 } END { print s }')

changes=$(grep -c '{"kind": ' "$work/diff.json" || true)
awk -v a="$appctl_ns" -v g="$git_ns" -v rss="$rss_kb" -v b="$bytes" \
	-v t="$total" -v n="$reps" -v c="$changes" \
	-v sa="$same_appctl_ns" -v sg="$same_git_ns" \
	-v ca="$cold_appctl_ns" -v cc="$cold_cat_ns" -v na="$nocache_appctl_ns" \
	-v nb="$blob_count" -v cl="$cold_label" -v pr="$cold_pair_ratio" \
	-v rr="$cold_pair_range" 'BEGIN {
	printf "org: %.1f MB of definitions per revision; %d changes reported\n", t / 1e6, c
	printf "group change, warm (medians of %d):\n", n
	printf "  appctl diff --json: %8.1f ms\n", a / 1e6
	printf "  git diff:           %8.1f ms\n", g / 1e6
	printf "  ratio:              %8.2f (target <= 5)\n", a / g
	printf "no change (README edit), warm:\n"
	printf "  appctl diff --json: %8.1f ms\n", sa / 1e6
	printf "  git diff:           %8.1f ms\n", sg / 1e6
	printf "  ratio:              %8.2f (target <= 3)\n", sa / sg
	printf "group change, cold (%s, blob cache emptied):\n", cl
	printf "  appctl diff --json: %8.1f ms\n", ca / 1e6
	printf "  git cat-file --batch of the %d blobs it reads: %.1f ms\n", nb, cc / 1e6
	printf "  ratio:              %8.2f (target <= 2)\n", ca / cc
	printf "  ratio of each round: median %.2f, range %s\n", pr, rr
	printf "  appctl, blob cache emptied, page cache warm: %.1f ms (%.2fx git diff)\n", na / 1e6, na / g
	printf "peak RSS:           %8.1f MB\n", rss / 1024
	printf "definitions read:   %8.1f MB\n", b / 1e6
	printf "RSS / bytes read:   %8.2f (target <= 4)\n", rss * 1024 / b
}'
