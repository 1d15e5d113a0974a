# diff.sh: `appctl diff` against golden files: one fixture change per kind of SPEC §2.
#
# tests/diff/base is a small org; each tests/diff/cases/NAME.patch is one
# change on top of it, committed in a temporary repository, and
# NAME.json is what `appctl diff --json base HEAD` must print (commit ids
# stripped). NAME is the kind the change is about ("KIND+variant" for a
# second fixture of one kind, "none+..." for changes that must yield
# nothing). NAME.txt and NAME.md, when present, are the text and Markdown
# goldens. Run with UPDATE_GOLDEN=1 to rewrite the goldens, then review them.
. "$(dirname "$0")/lib.sh"

FIXTURES="$APPCTL_SOURCE_DIR/tests/diff"
# Temporary memberships are judged on a fixed day.
export APPCTL_TODAY=2026-06-01

# The commit ids vary from run to run; nothing else in the output does.
strip_commits()
{
	grep -v -e '^  "from_commit": ' -e '^  "to_commit": ' "$OUT" |
		sed -e 's/ ([0-9a-f]\{7\}\.\.[0-9a-f]\{7\})//'
}

# check_golden FILE: compares the stripped output with FILE (or writes it).
check_golden()
{
	if [ -n "${UPDATE_GOLDEN:-}" ]; then
		strip_commits >"$1"
		return
	fi
	[ -f "$1" ] || fail "no golden file $1 (run with UPDATE_GOLDEN=1)"
	strip_commits >"$TEST_ROOT/got"
	if ! diff -u "$1" "$TEST_ROOT/got" >&2; then
		fail "output differs from $(basename "$1")"
	fi
}

# base_repo DIR: the base org committed and tagged "base".
base_repo()
{
	new_repo "$1"
	cp -R "$FIXTURES/base/." "$1/"
	commit_all "$1" "base"
	git -C "$1" tag base
}

# on_case DIR NAME: HEAD becomes base plus the change of case NAME.
on_case()
{
	git -C "$1" checkout -q -f --detach base || fail "checkout base"
	git -C "$1" apply --index "$FIXTURES/cases/$2.patch" || fail "apply $2"
	git -C "$1" commit -q -m "$2" || fail "commit $2"
}

test_every_kind_golden()
{
	local patch name kind count=0
	base_repo r
	for patch in "$FIXTURES"/cases/*.patch; do
		name=$(basename "$patch" .patch)
		kind=${name%%+*}
		TEST_NAME="test_every_kind_golden ($name)"
		on_case r "$name"
		expect_exit 0 "$APPCTL" -C r diff --json base HEAD
		check_golden "$FIXTURES/cases/$name.json"
		if [ "$kind" = none ]; then
			expect_stdout_contains '"changes": [],'
			expect_stdout_contains '"summary": {"high": 0, "medium": 0, "low": 0}'
		else
			expect_stdout_contains "{\"kind\": \"$kind\","
		fi
		count=$((count + 1))
	done
	TEST_NAME=test_every_kind_golden
	[ "$count" -ge 29 ] || fail "only $count fixtures"
}

# Every kind of SPEC §2 has a fixture that produces it.
test_all_kinds_covered()
{
	local kind
	for kind in access.granted access.revoked field.exposed field.hidden \
		role.added role.removed role.member_added role.member_removed \
		role.grant_added role.grant_removed integration.added \
		integration.removed integration.scope_added \
		integration.scope_removed integration.credential_changed \
		integration.owner_changed data.tenant_key_removed \
		data.retention_changed data.sensitivity_changed app.added \
		app.removed app.class_changed app.owner_changed \
		group.member_added group.member_removed policy.changed \
		signers.changed other.changed; do
		[ -f "$FIXTURES/cases/$kind.patch" ] || fail "no fixture for $kind"
		grep -qF "{\"kind\": \"$kind\"," "$FIXTURES/cases/$kind.json" ||
			fail "$kind.json does not report $kind"
	done
}

# The kinds added to SPEC §2's (issue 13) each have a fixture too.
test_added_kinds_covered()
{
	local kind
	for kind in access.expiry_extended access.expiry_shortened \
		page.roles_added page.roles_removed integration.failure_open \
		ai.read_added data.storage_changed integration.reads_added \
		integration.writes_added; do
		[ -f "$FIXTURES/cases/$kind.patch" ] || fail "no fixture for $kind"
		grep -qF "{\"kind\": \"$kind\"," "$FIXTURES/cases/$kind.json" ||
			fail "$kind.json does not report $kind"
	done
}

test_text_and_markdown_golden()
{
	local name
	base_repo r
	for name in group.member_added integration.scope_added \
		integration.added access.expiry_extended \
		role.member_added+temporary; do
		TEST_NAME="test_text_and_markdown_golden ($name)"
		on_case r "$name"
		expect_exit 0 "$APPCTL" -C r diff base HEAD
		check_golden "$FIXTURES/cases/$name.txt"
		expect_exit 0 "$APPCTL" -C r diff --markdown base HEAD
		check_golden "$FIXTURES/cases/$name.md"
	done
}

# A group change reaches every app that uses the group, though no app file changed.
test_group_followed_into_apps()
{
	base_repo r
	on_case r group.member_added
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	expect_stdout_contains '"app": "portal", "principal": "eve@example.com", "resource": "tickets", "action": "update"'
	expect_stdout_contains '"app": "dash", "principal": "eve@example.com", "resource": "metrics", "action": "read"'
	expect_stdout_lacks '"app": "ledger"'
}

# pack_entries PACK: one line per entry the pack's headers chain, as
# appctl walks them: offset, length, kind (M a parsed app, F facts), id.
pack_entries()
{
	local pack=$1 size off=0 magic len id
	size=$(stat -c %s "$pack")
	while [ $((size - off)) -ge 60 ]; do
		magic=$(dd if="$pack" bs=1 skip="$off" count=7 2>/dev/null)
		case $magic in APPCTLM | APPCTLF) ;; *) break ;; esac
		id=$(dd if="$pack" bs=1 skip=$((off + 12)) count=40 2>/dev/null)
		# The string table's and the structure's lengths, u32 each.
		set -- $(od -An -tu4 -j $((off + 52)) -N 8 "$pack")
		len=$((60 + $1 + $2 + 8))
		[ $((off + len)) -le "$size" ] || break
		echo "$off $len ${magic#APPCTL} $id"
		off=$((off + len))
	done
}

# entry_sums PACK...: kind, id and the sha1 of each entry the packs hold, sorted.
entry_sums()
{
	local pack off len kind id
	for pack in "$@"; do
		pack_entries "$pack" | while read -r off len kind id; do
			echo "$kind $id $(tail -c +$((off + 1)) "$pack" | head -c "$len" | sha1sum | cut -c1-40)"
		done
	done | sort
}

# pack_keep KIND PACK: rewrites PACK with its entries of KIND (M or F) only.
pack_keep()
{
	local kind=$1 pack=$2 off len k id
	pack_entries "$pack" | while read -r off len k id; do
		[ "$k" = "$kind" ] && tail -c +$((off + 1)) "$pack" | head -c "$len"
	done >"$pack.new"
	mv "$pack.new" "$pack"
}

# damage_pack WAY PACK: damages PACK from its second entry on, one of four
# ways: cut inside that entry, one byte of it changed, garbage after the
# right magic, emptied.
damage_pack()
{
	local second
	second=$(pack_entries "$2" | sed -n 2p | cut -d' ' -f1)
	[ -n "$second" ] || fail "damage_pack: $2 holds fewer than 2 entries"
	case $1 in
	0) head -c $((second + 70)) "$2" >"$2.cut" && mv "$2.cut" "$2" ;;
	1) printf 'X' | dd of="$2" bs=1 seek=$((second + 64)) conv=notrunc 2>/dev/null ;;
	2) printf 'APPCTLM\ngarbage' >"$2" ;;
	3) : >"$2" ;;
	esac
}

# recomputed_after_damage CACHE SAVED CHECK: for each way of damage_pack,
# CACHE holds only a damaged copy of pack SAVED; the function CHECK runs the
# diffs (each output compared with one made without a cache) and every
# damaged entry must then be a miss, computed again and written whole into
# a new pack.
recomputed_after_damage()
{
	local cache=$1 saved=$2 check=$3 way missing name
	# A pack's name says which build wrote it: take one this build wrote.
	name=$(find "$cache" -name 'pack-*' -printf '%f\n' | head -n 1)
	[ -n "$name" ] || fail "no pack in $cache"
	for way in 0 1 2 3; do
		rm -f "$cache"/*
		cp "$saved" "$cache/$name"
		damage_pack "$way" "$cache/$name"
		"$check" "damage $way"
		missing=$(comm -23 <(entry_sums "$saved") <(entry_sums "$cache"/pack-*))
		[ -z "$missing" ] || fail "damage $way: entries not written again: $missing"
	done
}

# pack_count CACHE: how many packs CACHE holds.
pack_count() { find "$1" -name 'pack-*' 2>/dev/null | wc -l; }

# The per-blob cache of parsed apps (.git/appctl/cache) changes no byte of
# the output: without it, filling it, reading it, and after each kind of
# damage to its pack (each damaged entry then a miss, parsed again and
# written again).
test_blob_cache_same_output()
{
	local cache n pack
	base_repo r
	git -C r checkout -q -f --detach base
	git -C r apply --index "$FIXTURES/cases/group.member_added.patch" || fail "apply"
	# A changed app as well, so both kinds of reads are cached.
	git -C r apply --index "$FIXTURES/cases/access.granted.patch" || fail "apply"
	git -C r commit -q -m "group and grant" || fail "commit"
	cache=r/.git/appctl/cache
	export APPCTL_NO_CACHE=1
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	unset APPCTL_NO_CACHE
	cp "$OUT" "$TEST_ROOT/plain"
	[ ! -e "$cache" ] || fail "APPCTL_NO_CACHE=1 wrote a cache"
	expect_stdout_contains '"principal": "eve@example.com"'
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	cmp -s "$OUT" "$TEST_ROOT/plain" || fail "cold cache: output differs"
	# One pack for everything the command computed.
	[ "$(pack_count "$cache")" = 1 ] || fail "expected one pack: $(ls "$cache")"
	pack=$(find "$cache" -name 'pack-*')
	n=$(pack_entries "$pack" | grep -c ' M ')
	[ "$n" -ge 3 ] || fail "expected 3 or more parsed apps in the pack, found $n"
	find "$cache" -name 'tmp-*' | grep -q . && fail "a temporary file was left"
	# Warm: the same bytes, and nothing new to write.
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	cmp -s "$OUT" "$TEST_ROOT/plain" || fail "warm cache: output differs"
	[ "$(pack_count "$cache")" = 1 ] || fail "a warm diff wrote a pack"
	# The parsed apps alone: without the facts memo every app is read.
	cp "$pack" "$TEST_ROOT/saved" && pack_keep M "$TEST_ROOT/saved"
	recomputed_after_damage "$cache" "$TEST_ROOT/saved" blob_cache_check
	# Deleting the cache is always safe.
	rm -rf "$cache"
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	cmp -s "$OUT" "$TEST_ROOT/plain" || fail "deleted cache: output differs"
	# A cache that cannot be written is no cache, not an error: a file
	# where its folder or its parent should be.
	rm -rf "$cache" && echo "not a folder" >"$cache"
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	cmp -s "$OUT" "$TEST_ROOT/plain" || fail "unwritable cache: output differs"
	[ "$(cat "$cache")" = "not a folder" ] || fail "the file in the cache's place changed"
	rm -rf r/.git/appctl && echo "not a folder" >r/.git/appctl
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	cmp -s "$OUT" "$TEST_ROOT/plain" || fail "unwritable appctl folder: output differs"
	rm -f r/.git/appctl
}

blob_cache_check()
{
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	cmp -s "$OUT" "$TEST_ROOT/plain" || fail "$1: output differs"
}

# The memo of an unchanged app's facts (entries of kind F in the packs of
# .git/appctl/cache) is keyed by both policies and the day: it never
# answers for another group change, nor on a day when a temporary
# membership has ended. Each output is checked against the same diff made
# with no cache at all.
test_facts_memo_keyed_by_policy_and_day()
{
	local cache day n
	base_repo r
	cache=r/.git/appctl/cache
	# cy holds portal's Agent role directly until 2027-06-30; adding cy to
	# "support" (which Agent also names) gains portal access only after it.
	sed 's/"support": \["dan@example.com", "dora@example.com"\]/"support": ["dan@example.com", "dora@example.com", "cy@contractor.example"]/' \
		r/appctl.json >r/appctl.json.new && mv r/appctl.json.new r/appctl.json
	grep -q '"cy@contractor.example"\]' r/appctl.json || fail "fixture edit"
	commit_all r "cy joins support"
	git -C r tag cy
	git -C r checkout -q -f --detach base
	git -C r apply --index "$FIXTURES/cases/group.member_added.patch" || fail "apply"
	git -C r commit -q -m "eve joins support" || fail "commit"
	git -C r tag eve
	for day in 2027-06-01 2027-07-01; do
		APPCTL_NO_CACHE=1 expect_exit 0 "$APPCTL" -C r diff --json --at "$day" base cy
		cp "$OUT" "$TEST_ROOT/plain-cy-$day"
	done
	cmp -s "$TEST_ROOT/plain-cy-2027-06-01" "$TEST_ROOT/plain-cy-2027-07-01" &&
		fail "the fixture does not depend on the day"
	APPCTL_NO_CACHE=1 expect_exit 0 "$APPCTL" -C r diff --json --at 2027-06-01 base eve
	cp "$OUT" "$TEST_ROOT/plain-eve"
	[ ! -e "$cache" ] || fail "APPCTL_NO_CACHE=1 wrote a cache"
	# Filled, then read: the same bytes on each day, in either order.
	for day in 2027-06-01 2027-06-01 2027-07-01 2027-07-01 2027-06-01; do
		expect_exit 0 "$APPCTL" -C r diff --json --at "$day" base cy
		cmp -s "$OUT" "$TEST_ROOT/plain-cy-$day" || fail "cy on $day: output differs"
	done
	n=$(entry_sums "$cache"/pack-* | grep -c '^F ')
	[ "$n" -ge 2 ] || fail "expected facts entries, found $n"
	# Another group change over the same app files: other entries.
	expect_exit 0 "$APPCTL" -C r diff --json --at 2027-06-01 base eve
	cmp -s "$OUT" "$TEST_ROOT/plain-eve" || fail "eve: output differs"
	expect_stdout_contains '"principal": "eve@example.com"'
	expect_stdout_lacks '"principal": "cy@contractor.example"'
	expect_exit 0 "$APPCTL" -C r diff --json --at 2027-06-01 base eve
	cmp -s "$OUT" "$TEST_ROOT/plain-eve" || fail "eve, warm: output differs"
	# Damaged facts: each a miss, computed again and written whole.
	cat "$cache"/pack-* >"$TEST_ROOT/facts"
	pack_keep F "$TEST_ROOT/facts"
	recomputed_after_damage "$cache" "$TEST_ROOT/facts" facts_check
}

facts_check()
{
	expect_exit 0 "$APPCTL" -C r diff --json --at 2027-06-01 base eve
	cmp -s "$OUT" "$TEST_ROOT/plain-eve" || fail "$1, eve: output differs"
	expect_exit 0 "$APPCTL" -C r diff --json --at 2027-07-01 base cy
	cmp -s "$OUT" "$TEST_ROOT/plain-cy-2027-07-01" || fail "$1, cy on 2027-07-01: output differs"
	expect_exit 0 "$APPCTL" -C r diff --json --at 2027-06-01 base cy
	cmp -s "$OUT" "$TEST_ROOT/plain-cy-2027-06-01" || fail "$1, cy on 2027-06-01: output differs"
}

# Each command that computes something writes one pack; once MAX_PACKS (8)
# are there, the next one merges them all into its own, and lookups stay a
# handful of reads. Nothing is lost in the merge.
test_cache_packs_merge()
{
	local cache day days="" before
	base_repo r
	on_case r group.member_added
	cache=r/.git/appctl/cache
	# A new day is a new facts key: one pack per diff.
	for day in 01 02 03 04 05 06 07 08 09; do
		days="$days 2027-03-$day"
	done
	for day in $days; do
		APPCTL_NO_CACHE=1 expect_exit 0 "$APPCTL" -C r diff --json --at "$day" base HEAD
		cp "$OUT" "$TEST_ROOT/plain-$day"
	done
	for day in $days; do
		before=$(pack_count "$cache")
		expect_exit 0 "$APPCTL" -C r diff --json --at "$day" base HEAD
		cmp -s "$OUT" "$TEST_ROOT/plain-$day" || fail "$day: output differs"
	done
	[ "$before" = 8 ] || fail "expected 8 packs before the last diff, found $before"
	[ "$(pack_count "$cache")" = 1 ] || fail "the ninth pack did not merge: $(ls "$cache")"
	entry_sums "$cache"/pack-* >"$TEST_ROOT/merged"
	[ "$(grep -c '^F ' "$TEST_ROOT/merged")" -ge 9 ] || fail "the merge lost facts"
	# Everything is there: warm on every day, and nothing new is written.
	for day in $days; do
		expect_exit 0 "$APPCTL" -C r diff --json --at "$day" base HEAD
		cmp -s "$OUT" "$TEST_ROOT/plain-$day" || fail "$day after the merge: output differs"
	done
	[ "$(pack_count "$cache")" = 1 ] || fail "a warm diff wrote a pack"
	entry_sums "$cache"/pack-* | cmp -s - "$TEST_ROOT/merged" || fail "warm diffs changed the pack"
}

# many_apps DIR N: N more apps, copies of dash and portal under other
# names (each using group support), committed and tagged "many".
many_apps()
{
	local i src name
	for i in $(seq -w 1 "$2"); do
		for src in dash portal; do
			name=$src-$i
			mkdir -p "$1/apps/$name"
			sed "s/\"name\": \"$src\"/\"name\": \"$name\"/" \
				"$1/apps/$src/app.json" >"$1/apps/$name/app.json"
		done
	done
	commit_all "$1" "many apps"
	git -C "$1" tag many
}

# Apps are diffed on several threads when there are many: the output,
# the first error and what the cache holds do not depend on how many.
test_threads_same_result()
{
	local cache th n
	base_repo r
	many_apps r 12
	cache=r/.git/appctl/cache
	git -C r apply --index "$FIXTURES/cases/group.member_added.patch" || fail "apply"
	git -C r commit -q -m "eve joins support" || fail "commit"
	APPCTL_NO_CACHE=1 APPCTL_THREADS=1 expect_exit 0 "$APPCTL" -C r diff --json many HEAD
	cp "$OUT" "$TEST_ROOT/one"
	expect_stdout_contains '"app": "portal-12", "principal": "eve@example.com"'
	for th in 2 4 8; do
		APPCTL_NO_CACHE=1 APPCTL_THREADS=$th expect_exit 0 "$APPCTL" -C r diff --json many HEAD
		cmp -s "$OUT" "$TEST_ROOT/one" || fail "$th threads: output differs"
	done
	# Cold and warm with 4 threads: one pack, the same output.
	APPCTL_THREADS=4 expect_exit 0 "$APPCTL" -C r diff --json many HEAD
	cmp -s "$OUT" "$TEST_ROOT/one" || fail "4 threads, cold cache: output differs"
	[ "$(pack_count "$cache")" = 1 ] || fail "4 threads wrote more than one pack: $(ls "$cache")"
	n=$(pack_entries "$cache"/pack-* | grep -c ' F ')
	# Every app is unchanged: 27 facts entries (ledger's empty, it does not use support).
	[ "$n" = 27 ] || fail "expected the facts of 27 unchanged apps, found $n"
	entry_sums "$cache"/pack-* | cut -d' ' -f1,2 >"$TEST_ROOT/threaded"
	APPCTL_THREADS=4 expect_exit 0 "$APPCTL" -C r diff --json many HEAD
	cmp -s "$OUT" "$TEST_ROOT/one" || fail "4 threads, warm cache: output differs"
	[ "$(pack_count "$cache")" = 1 ] || fail "a warm diff wrote a pack"
	# One thread caches the very same entries.
	rm -rf "$cache"
	APPCTL_THREADS=1 expect_exit 0 "$APPCTL" -C r diff --json many HEAD
	entry_sums "$cache"/pack-* | cut -d' ' -f1,2 | cmp -s - "$TEST_ROOT/threaded" ||
		fail "one thread and four cached other entries"
	# Two broken apps: the error is the first one's, whatever the threads.
	# Both come after the first 4 apps (which one thread diffs alone when
	# something is cached; here nothing is, and the threads start at once).
	sed -i 's/"class": "[a-z_]*"/"class": "spreadsheet"/' r/apps/portal-03/app.json r/apps/portal-11/app.json
	# The first one slow to read (4 MB of blanks), so that the second one's
	# error is known first in time.
	head -c 4000000 /dev/zero | tr '\0' ' ' >>r/apps/portal-03/app.json
	commit_all r "two bad apps"
	APPCTL_NO_CACHE=1 APPCTL_THREADS=1 expect_exit 3 "$APPCTL" -C r diff many HEAD
	expect_stderr_contains "apps/portal-03/app.json"
	cp "$ERR" "$TEST_ROOT/one.err"
	for th in 2 4 8 2 4 8; do
		APPCTL_NO_CACHE=1 APPCTL_THREADS=$th expect_exit 3 "$APPCTL" -C r diff many HEAD
		cmp -s "$ERR" "$TEST_ROOT/one.err" || fail "$th threads: another error: $(cat "$ERR")"
	done
}

# A long "changes" array is rendered in blocks by two threads and written
# in order: the same bytes as one thread writes, whatever the block sizes.
test_json_blocks_same_output()
{
	local n
	base_repo r
	many_apps r 140
	git -C r apply --index "$FIXTURES/cases/group.member_added.patch" || fail "apply"
	git -C r commit -q -m "eve joins support" || fail "commit"
	APPCTL_THREADS=1 expect_exit 0 "$APPCTL" -C r diff --json many HEAD
	cp "$OUT" "$TEST_ROOT/one"
	n=$(grep -c '^    {"kind": ' "$OUT")
	# More than two blocks of 512, and not a whole number of them.
	[ "$n" -gt 1100 ] || fail "only $n changes: too few to need blocks"
	[ $((n % 512)) != 0 ] || fail "$n changes: a whole number of blocks"
	for th in 2 8; do
		APPCTL_THREADS=$th expect_exit 0 "$APPCTL" -C r diff --json many HEAD
		cmp -s "$OUT" "$TEST_ROOT/one" || fail "$th threads: output differs"
	done
	tail -n 3 "$OUT" | grep -q '"summary": {"high": ' || fail "no summary at the end"
}

# Members of a group that approvals names decide who may approve: that is policy.
test_approver_group_is_policy()
{
	base_repo r
	on_case r policy.changed+approver-group
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	expect_stdout_contains '{"kind": "policy.changed", "risk": "high", "app": null, "group": "release-managers"'
	expect_stdout_contains '{"kind": "group.member_added", "risk": "medium", "app": null, "principal": "rob@example.com", "group": "release-managers"}'
}

test_no_changes()
{
	base_repo r
	expect_exit 0 "$APPCTL" -C r diff base HEAD
	expect_stdout_contains "no changes between base and HEAD"
	[ ! -s "$ERR" ] || fail "stderr is not empty"
	# Same policy blob, same apps tree: nothing is parsed twice or compared.
	echo "readme" >r/README.md
	commit_all r "readme only"
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	expect_stdout_contains '"changes": []'
	on_case r none+reformat
	expect_exit 0 "$APPCTL" -C r diff base HEAD
	expect_stdout_contains "no changes"
	expect_exit 0 "$APPCTL" -C r diff --markdown base HEAD
	expect_stdout_contains "No changes"
}

test_fail_on()
{
	base_repo r
	on_case r integration.scope_added
	expect_exit 1 "$APPCTL" -C r diff --fail-on high base HEAD
	expect_stdout_contains "integration.scope_added"
	expect_stderr_contains "--fail-on high"
	expect_exit 1 "$APPCTL" -C r diff --json --fail-on low base HEAD
	on_case r data.retention_changed
	expect_exit 0 "$APPCTL" -C r diff --fail-on high base HEAD
	expect_exit 1 "$APPCTL" -C r diff --fail-on medium base HEAD
	expect_exit 0 "$APPCTL" -C r diff --fail-on low base base
	expect_exit 2 "$APPCTL" -C r diff --fail-on severe base HEAD
	# Keeping a contractor longer, or failing open, is no longer "low".
	on_case r access.expiry_extended
	expect_exit 1 "$APPCTL" -C r diff --fail-on medium base HEAD
	expect_stdout_contains "access.expiry_extended"
	on_case r access.expiry_extended+removed
	expect_exit 1 "$APPCTL" -C r diff --fail-on medium base HEAD
	on_case r integration.failure_open
	expect_exit 0 "$APPCTL" -C r diff --fail-on high base HEAD
	expect_exit 1 "$APPCTL" -C r diff --fail-on medium base HEAD
	expect_stdout_contains "integration.failure_open"
	# A shortened expiry stays below medium.
	on_case r access.expiry_shortened
	expect_exit 0 "$APPCTL" -C r diff --fail-on medium base HEAD
}

# The evaluation day decides whether a temporary membership still counts.
test_at_date()
{
	base_repo r
	on_case r role.member_removed
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	expect_stdout_contains '"kind": "access.revoked", "risk": "low", "app": "portal", "principal": "cy@contractor.example"'
	expect_exit 0 "$APPCTL" -C r diff --json --at 2027-07-01 base HEAD
	expect_stdout_contains '"kind": "role.member_removed"'
	expect_stdout_lacks '"access.revoked"'
	expect_exit 2 "$APPCTL" -C r diff --at 2027-02-30 base HEAD
}

# Environments, releases and plain git revisions all name a side.
test_revisions()
{
	base_repo r
	git -C r branch prod base
	git -C r tag release/prod/1 base
	on_case r app.class_changed
	expect_exit 0 "$APPCTL" -C r diff --json prod HEAD
	expect_stdout_contains '"from": "prod",'
	expect_stdout_contains '"kind": "app.class_changed"'
	expect_exit 0 "$APPCTL" -C r --json diff prod@1 HEAD~0
	expect_stdout_contains '"from": "prod@1",'
	expect_stdout_contains '"kind": "app.class_changed"'
	expect_exit 0 "$APPCTL" -C r diff release/prod/1 prod
	expect_stdout_contains "no changes"
	expect_exit 2 "$APPCTL" -C r diff base no-such-rev
	expect_stderr_contains "no-such-rev"
	expect_exit 2 "$APPCTL" -C r diff base
	expect_exit 2 "$APPCTL" -C r diff --json --markdown base HEAD
}

# An invalid definition on either side is invalid input, named by file and path.
test_invalid_input()
{
	base_repo r
	git -C r checkout -q -f --detach base
	sed -i 's/"class": "dashboard"/"class": "spreadsheet"/' r/apps/dash/app.json
	commit_all r "bad class"
	expect_exit 3 "$APPCTL" -C r diff base HEAD
	expect_stderr_contains "apps/dash/app.json"
	expect_stderr_contains '$.class'
	expect_exit 3 "$APPCTL" -C r diff HEAD base
	git -C r checkout -q -f --detach base
	rm -r r/apps/dash && ln -s ../apps r/apps/dash
	commit_all r "link"
	expect_exit 3 "$APPCTL" -C r diff base HEAD
	expect_stderr_contains "apps/dash"
	expect_exit 4 "$APPCTL" -C "$TEST_ROOT" diff base HEAD
}

# --summary groups the changes by cause, in text, Markdown and JSON.
test_summary()
{
	base_repo r
	on_case r group.member_added
	expect_exit 0 "$APPCTL" -C r diff --summary base HEAD
	expect_stdout_contains "group support gained eve@example.com: access granted in 2 apps (dash, portal); 10 changes: 3 high, 7 medium, 0 low"
	expect_stdout_contains "by principal:"
	expect_stdout_lacks "tickets:create"
	expect_exit 0 "$APPCTL" -C r diff --markdown --summary base HEAD
	expect_stdout_contains '- **high** group `support` gained `eve@example.com`: access granted in 2 apps (`dash`, `portal`)'
	expect_stdout_contains "<details><summary>All 10 changes</summary>"
	expect_stdout_contains "| \`portal\` | 7 | 3 | 4 | 0 |"
	expect_stdout_contains "eve@example.com on tickets:create (via Agent (group:support))"
	expect_stdout_lacks "Cut to fit"
	expect_exit 0 "$APPCTL" -C r diff --json --summary base HEAD
	expect_equal group.member_added "$(jq -r '.groups[0].cause.kind' "$OUT")" "cause kind"
	expect_equal '["dash","portal"]' "$(jq -c '.groups[0].apps' "$OUT")" "cause apps"
	expect_equal 10 "$(jq '.groups[0].changes' "$OUT")" "changes of the cause"
	expect_equal 7 "$(jq '.by_app[0].changes' "$OUT")" "busiest app"
	expect_equal 10 "$(jq '.changes | length' "$OUT")" "the changes are all there"
	# Without --summary, JSON keeps its shape.
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	expect_stdout_lacks '"groups"'
}

# A group reaching 200 apps: the Markdown review is summarised on its own,
# names the cause, stays under 60 000 characters and says what was cut.
test_markdown_never_too_long()
{
	local i chars
	new_repo r
	cp -R "$FIXTURES/base/." r/
	for i in $(seq -w 1 200); do
		mkdir r/apps/p$i
		sed "s/\"name\": \"portal\"/\"name\": \"p$i\"/" \
			r/apps/portal/app.json >r/apps/p$i/app.json
	done
	commit_all r "base with 200 portals"
	git -C r tag base
	git -C r apply --index "$FIXTURES/cases/group.member_added.patch" || fail "apply"
	git -C r commit -q -m "eve joins support" || fail "commit"
	expect_exit 0 "$APPCTL" -C r diff --json base HEAD
	[ "$(jq '.changes | length' "$OUT")" -gt 1400 ] || fail "too few changes"
	expect_exit 0 "$APPCTL" -C r diff --markdown base HEAD
	chars=$(wc -m <"$OUT")
	[ "$chars" -lt 60000 ] || fail "markdown has $chars characters"
	[ "$(wc -c <"$OUT")" -lt 60000 ] || fail "markdown has too many bytes"
	expect_stdout_contains '- **high** group `support` gained `eve@example.com`: access granted in 202 apps (`dash`, `p001`, `p002`, `p003`, `p004`, …and 197 more); 1410 changes'
	expect_stdout_contains "<details><summary>All 1410 changes</summary>"
	expect_stdout_contains "</details>"
	expect_stdout_contains "**Cut to fit a comment:** the list above shows"
	expect_stdout_contains '`appctl diff --json base HEAD`'
	# A smaller budget, for a comment that adds its own lines.
	expect_exit 0 "$APPCTL" -C r diff --markdown --max-chars 10000 base HEAD
	[ "$(wc -c <"$OUT")" -le 10000 ] || fail "--max-chars 10000 passed"
	expect_stdout_contains "group \`support\` gained"
	expect_stdout_contains "**Cut to fit a comment:**"
	expect_exit 2 "$APPCTL" -C r diff --markdown --max-chars 100 base HEAD
	expect_exit 2 "$APPCTL" -C r diff --markdown --max-chars 70000 base HEAD
	expect_exit 2 "$APPCTL" -C r diff --markdown --max-chars 1e4 base HEAD
	expect_exit 2 "$APPCTL" -C r diff --max-chars 10000 base HEAD
	expect_exit 1 "$APPCTL" -C r diff --markdown --fail-on high base...HEAD
	[ "$(wc -c <"$OUT")" -lt 60000 ] || fail "range markdown too long"
	expect_stdout_contains '`appctl diff --json base...HEAD`'
}

# Names long enough to fill the budget before the list: the review is still
# cut at a line end within it, its <details> closed, with a note.
test_markdown_long_names()
{
	local long
	base_repo r
	long=$(printf 'x%.0s' $(seq 1 60))
	jq --arg l "$long" '.groups.support += [range(0; 30) | "\($l)\(.)@\($l).example.com"]' \
		r/appctl.json >r/t.json && mv r/t.json r/appctl.json
	commit_all r "30 long names join support"
	expect_exit 0 "$APPCTL" -C r diff --markdown --max-chars 4000 base HEAD
	[ "$(wc -c <"$OUT")" -le 4000 ] || fail "over --max-chars 4000"
	expect_stdout_contains "Cut to fit a comment** (names too long to show)"
	[ "$(grep -c '<details>' "$OUT")" = "$(grep -c '</details>' "$OUT")" ] ||
		fail "<details> left open"
	expect_exit 0 "$APPCTL" -C r diff --markdown base HEAD
	[ "$(wc -c <"$OUT")" -le 60000 ] || fail "over 60 000"
}

# A...B compares B with the merge base of A and B, as `git diff A...B`:
# what the branch changes, not what the other side did meanwhile.
test_merge_base_range()
{
	base_repo r
	git -C r branch feature base
	on_case r integration.scope_added
	git -C r branch -f main HEAD
	git -C r checkout -q -f feature
	git -C r apply --index "$FIXTURES/cases/app.class_changed.patch" || fail "apply"
	git -C r commit -q -m "class" || fail "commit"
	expect_exit 0 "$APPCTL" -C r diff --json main feature
	expect_stdout_contains '"kind": "integration.scope_removed"'
	expect_exit 0 "$APPCTL" -C r diff --json main...feature
	expect_stdout_contains '"kind": "app.class_changed"'
	expect_stdout_lacks '"integration.scope_'
	expect_stdout_contains '"range": "main...feature"'
	expect_equal "$(git -C r merge-base main feature)" \
		"$(jq -r .from_commit "$OUT")" "from is the merge base"
	expect_exit 0 "$APPCTL" -C r diff main...feature
	expect_stdout_contains "diff main...feature (merge base"
	# A..B is A B.
	expect_exit 0 "$APPCTL" -C r diff --json main..feature
	expect_stdout_contains '"kind": "integration.scope_removed"'
	# No common history: said plainly, exit 2.
	git -C r checkout -q --orphan lonely
	commit_all r "unrelated"
	expect_exit 2 "$APPCTL" -C r diff main...lonely
	expect_stderr_contains "no merge base"
	expect_exit 2 "$APPCTL" -C r diff ...feature
	expect_exit 2 "$APPCTL" -C r diff main...nowhere
	expect_stderr_contains "nowhere"
	expect_exit 2 "$APPCTL" -C r diff main
}

run_tests test_json_blocks_same_output test_every_kind_golden test_all_kinds_covered test_added_kinds_covered \
	test_text_and_markdown_golden test_group_followed_into_apps \
	test_blob_cache_same_output test_facts_memo_keyed_by_policy_and_day \
	test_cache_packs_merge test_threads_same_result \
	test_approver_group_is_policy test_no_changes test_fail_on test_at_date \
	test_revisions test_invalid_input test_summary \
	test_markdown_never_too_long test_markdown_long_names test_merge_base_range
