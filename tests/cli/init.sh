# init.sh: `appctl init` against real repositories: empty, existing, invalid, interrupted, bare.
. "$(dirname "$0")/lib.sh"

# The first approver an empty repository's starter policy needs.
make_keys tester
SIGNER=(--signer "tester@example.com=$KEYS/tester.pub")

# write_org DIR: a small valid organisation (policy, signers, one app).
write_org()
{
	mkdir -p "$1/apps/orders"
	cat >"$1/appctl.json" <<'EOF'
{
  "appctl": 1,
  "environments": ["dev", "staging", "prod"],
  "groups": { "ops": ["ann@example.com", "bo@example.com"] },
  "signers": "allowed_signers",
  "approvals": {
    "required": { "dashboard": 1, "admin_panel": 2, "client_portal": 2 },
    "approvers": ["group:ops"]
  }
}
EOF
	echo "# no keys yet" >"$1/allowed_signers"
	cat >"$1/apps/orders/app.json" <<'EOF'
{
  "name": "orders",
  "class": "dashboard",
  "owners": { "business": "ann@example.com", "technical": "bo@example.com" },
  "data": { "orders": { "fields": { "id": {} } } },
  "roles": { "Viewer": { "members": ["group:ops"],
                         "grants": [ { "resource": "orders", "actions": ["read"] } ] } }
}
EOF
}

# org_repo DIR: a repository whose first commit holds the small organisation.
org_repo()
{
	new_repo "$1"
	write_org "$1"
	commit_all "$1" "definitions"
}

# expect_initialized DIR COMMIT: branches, tags and the log all name COMMIT.
expect_initialized()
{
	local env event
	for env in dev staging prod; do
		expect_equal "$2" "$(ref_id "$1" "refs/heads/$env")" "branch $env"
		expect_equal "$2" "$(ref_id "$1" "refs/tags/release/$env/0")" \
			"tag release/$env/0"
	done
	event=$(git -C "$1" show refs/appctl/log:event.json) || fail "no event.json"
	case $event in
	*'"type":"init"'*) ;;
	*) fail "event is not an init event: $event" ;;
	esac
	case $event in
	*"\"commit\":\"$2\""*) ;;
	*) fail "event does not name $2: $event" ;;
	esac
	case $event in
	*"\"releases\":{\"dev\":\"$2\",\"prod\":\"$2\",\"staging\":\"$2\"}"*) ;;
	*) fail "event releases do not name $2: $event" ;;
	esac
	# The init event is the root of the log.
	expect_equal "" "$(git -C "$1" log -1 --format=%P refs/appctl/log)" \
		"parent of the init event"
	expect_equal "appctl: init $(git -C "$1" rev-parse --short=7 refs/heads/dev) by tester@example.com" \
		"$(git -C "$1" log -1 --format=%s refs/appctl/log)" "init event message"
	expect_equal "$(git -C "$1" rev-parse refs/heads/dev)" \
		"$(git -C "$1" show refs/appctl/log:state.json | jq -r .envs.prod.commit)" \
		"release 0 of prod in the log state"
	expect_equal 1 "$(git -C "$1" show refs/appctl/log:state.json | jq -r .seq)" "log seq"
}

test_empty_repo()
{
	local c event
	new_repo r main
	expect_exit 0 "$APPCTL" -C r init "${SIGNER[@]}"
	expect_stdout_contains "committed a starter policy"
	expect_stdout_contains "recorded init event"
	expect_stdout_contains "tagged release/prod/0"
	expect_stdout_contains "created branch staging at"
	c=$(ref_id r refs/heads/dev)
	[ -n "$c" ] || fail "no dev branch"
	expect_initialized r "$c"
	expect_equal "refs/heads/dev" "$(git -C r symbolic-ref HEAD)" "HEAD"
	# The starter files are committed, and the working tree matches.
	for f in appctl.json allowed_signers apps/example-dashboard/app.json; do
		[ -f "r/$f" ] || fail "$f not written"
		git -C r cat-file -e "HEAD:$f" || fail "$f not committed"
	done
	expect_equal "" "$(git -C r status --porcelain)" "git status"
	grep -q '^#' r/allowed_signers || fail "allowed_signers has no comment"
	if grep -q notify r/appctl.json; then fail "starter policy has notify"; fi
	event=$(git -C r show refs/appctl/log:event.json)
	case $event in
	*'"principal":"tester@example.com"'*'"verified":false}') ;;
	*) fail "event: $event" ;;
	esac
	# The example app is a model: it passes lint with no findings.
	expect_exit 0 "$APPCTL" -C r validate
	expect_stdout_contains "0 errors, 0 warnings"
}

test_rerun_changes_nothing()
{
	new_repo r
	expect_exit 0 "$APPCTL" -C r init "${SIGNER[@]}"
	save_refs r
	expect_exit 0 "$APPCTL" -C r init "${SIGNER[@]}"
	expect_stdout_contains "already initialized"
	expect_refs_unchanged r
	expect_exit 0 "$APPCTL" --json -C r init "${SIGNER[@]}"
	expect_stdout_contains '"created":[]'
	expect_stdout_contains "\"commit\":\"$(ref_id r release/dev/0)\""
	expect_stdout_contains '"environments":["dev","staging","prod"]'
	expect_refs_unchanged r
}

test_json_output()
{
	new_repo r
	expect_exit 0 "$APPCTL" -C r --json init "${SIGNER[@]}"
	expect_stdout_contains '"created":["refs/heads/dev","refs/appctl/log","refs/tags/release/dev/0"'
	expect_stdout_contains '"files":["appctl.json","allowed_signers","apps/example-dashboard/app.json"]'
}

test_existing_org_adds_only_missing()
{
	local c
	new_repo r
	if [ -f "$APPCTL_SOURCE_DIR/examples/org/appctl.json" ]; then
		cp -R "$APPCTL_SOURCE_DIR/examples/org/." r/
	else
		write_org r
	fi
	commit_all r "the example organisation"
	c=$(ref_id r HEAD)
	git -C r branch staging
	save_refs r
	expect_exit 0 "$APPCTL" -C r init
	expect_stdout_lacks "committed"
	expect_stdout_lacks "created branch dev"
	expect_stdout_lacks "created branch staging"
	expect_stdout_contains "created branch prod at"
	expect_initialized r "$c"
	expect_equal 1 "$(git -C r rev-list --count HEAD)" "commits on dev"
}

test_existing_branch_keeps_its_commit()
{
	local first second event
	org_repo r
	first=$(ref_id r HEAD)
	git -C r branch prod
	echo "# more" >>r/allowed_signers
	commit_all r "second"
	second=$(ref_id r HEAD)
	expect_exit 0 "$APPCTL" -C r init
	expect_equal "$first" "$(ref_id r refs/tags/release/prod/0)" "release/prod/0"
	expect_equal "$first" "$(ref_id r refs/heads/prod)" "prod"
	expect_equal "$second" "$(ref_id r refs/tags/release/staging/0)" "release/staging/0"
	expect_equal "$second" "$(ref_id r refs/heads/staging)" "staging"
	event=$(git -C r show refs/appctl/log:event.json)
	case $event in
	*"\"commit\":\"$second\""*"\"prod\":\"$first\""*) ;;
	*) fail "event: $event" ;;
	esac
}

# expect_invalid DIR FILE: init refuses with exit 3 naming FILE and changes no ref.
expect_invalid()
{
	save_refs "$1"
	expect_exit 3 "$APPCTL" -C "$1" init
	expect_stderr_contains "$2"
	expect_refs_unchanged "$1"
	expect_stdout_empty
}

test_invalid_duplicate_key()
{
	new_repo r
	write_org r
	sed -i 's/"appctl": 1,/"appctl": 1, "appctl": 1,/' r/appctl.json
	commit_all r "dup"
	expect_invalid r "appctl.json"
	expect_stderr_contains "duplicate"
}

test_invalid_unknown_field()
{
	new_repo r
	write_org r
	sed -i 's/"class": "dashboard",/"class": "dashboard", "colour": "red",/' \
		r/apps/orders/app.json
	commit_all r "unknown"
	expect_invalid r "apps/orders/app.json"
	expect_stderr_contains "colour"
}

test_invalid_symlink_policy()
{
	new_repo r
	write_org r
	mv r/appctl.json r/real.json
	ln -s real.json r/appctl.json
	commit_all r "symlink"
	expect_invalid r "appctl.json: is a symbolic link, not a file"
}

test_invalid_symlink_app()
{
	new_repo r
	write_org r
	mv r/apps/orders/app.json r/orders.json
	ln -s ../../orders.json r/apps/orders/app.json
	commit_all r "symlink"
	expect_invalid r "apps/orders/app.json: is a symbolic link, not a file"
}

test_invalid_submodule()
{
	new_repo r
	write_org r
	commit_all r "first"
	git -C r update-index --add --cacheinfo "160000,$(ref_id r HEAD),apps/x"
	git -C r commit -q -m "submodule" || fail "commit"
	expect_invalid r "apps/x: is a submodule, not a folder"
}

test_invalid_submodule_policy()
{
	new_repo r
	write_org r
	commit_all r "first"
	git -C r rm -q --cached appctl.json
	git -C r update-index --add --cacheinfo "160000,$(ref_id r HEAD),appctl.json"
	git -C r commit -q -m "submodule" || fail "commit"
	expect_invalid r "appctl.json: is a submodule, not a file"
}

test_invalid_folder_as_app_json()
{
	new_repo r
	write_org r
	rm r/apps/orders/app.json
	mkdir r/apps/orders/app.json
	echo '{}' >r/apps/orders/app.json/x
	commit_all r "folder"
	expect_invalid r "apps/orders/app.json: is a folder, not a file"
}

test_invalid_folder_name()
{
	new_repo r
	write_org r
	mkdir r/apps/Bad_Name
	sed 's/"orders"/"bad"/' r/apps/orders/app.json >r/apps/Bad_Name/app.json
	commit_all r "bad name"
	expect_invalid r "apps/Bad_Name"
}

test_invalid_file_in_apps()
{
	new_repo r
	write_org r
	echo hi >r/apps/readme
	commit_all r "file"
	expect_invalid r "apps/readme: is a file, not a folder"
}

test_invalid_too_big()
{
	new_repo r
	write_org r
	mkdir r/apps/big
	{
		printf '{"name":"big","class":"dashboard","owners":{"business":"a@example.com","technical":"b@example.com"},"x":"'
		head -c $((17 * 1024 * 1024)) /dev/zero | tr '\0' 'a'
		printf '"}\n'
	} >r/apps/big/app.json
	commit_all r "big"
	expect_invalid r "apps/big/app.json"
	expect_stderr_contains "16 MiB"
}

test_invalid_missing_signers()
{
	new_repo r
	write_org r
	rm r/allowed_signers
	commit_all r "no signers"
	expect_invalid r "allowed_signers: no such file"
}

test_head_without_policy()
{
	new_repo r
	echo hello >r/README
	commit_all r "readme"
	expect_invalid r "HEAD has no appctl.json"
}

test_invalid_worktree_unborn()
{
	new_repo r
	write_org r
	echo '{"appctl": 2}' >r/appctl.json
	expect_invalid r "appctl.json"
	expect_equal "" "$(git -C r rev-list --all 2>/dev/null)" "commits"
}

test_worktree_files_committed()
{
	local c
	new_repo r main
	write_org r
	echo "not committed" >r/notes.txt
	expect_exit 0 "$APPCTL" -C r init
	expect_stdout_contains "committed the appctl files of the working tree"
	c=$(ref_id r HEAD)
	expect_initialized r "$c"
	expect_equal "allowed_signers
appctl.json
apps/orders/app.json" "$(git -C r ls-tree -r --name-only HEAD)" "committed files"
	expect_equal "?? notes.txt" "$(git -C r status --porcelain)" "git status"
}

test_starter_never_overwrites()
{
	new_repo r
	echo "mine" >r/allowed_signers
	save_refs r
	expect_exit 3 "$APPCTL" -C r init "${SIGNER[@]}"
	expect_stderr_contains "allowed_signers: already exists"
	expect_refs_unchanged r
	expect_equal "mine" "$(cat r/allowed_signers)" "allowed_signers"
	[ ! -e r/appctl.json ] || fail "appctl.json left behind"
	[ ! -e r/apps ] || fail "apps/ left behind"
}

test_interrupted_starter_write()
{
	# As if an init had stopped after writing some starter files (appctl.json
	# comes last): files with the starter's bytes are taken as they are.
	new_repo first
	expect_exit 0 "$APPCTL" -C first init "${SIGNER[@]}"
	new_repo r
	cp first/allowed_signers r/
	mkdir -p r/apps && cp -R first/apps/example-dashboard r/apps/
	expect_exit 0 "$APPCTL" -C r init "${SIGNER[@]}"
	expect_stdout_contains "committed a starter policy"
	expect_initialized r "$(ref_id r HEAD)"
	expect_equal "" "$(git -C r status --porcelain --ignored)" "git status"
}

test_deleted_branch_recreated()
{
	local c
	new_repo r
	expect_exit 0 "$APPCTL" -C r init "${SIGNER[@]}"
	c=$(ref_id r refs/heads/staging)
	git -C r branch -D -q staging
	expect_exit 0 "$APPCTL" -C r init "${SIGNER[@]}"
	expect_stdout_contains "created branch staging at ${c:0:7}"
	expect_stdout_lacks "already initialized"
	expect_initialized r "$c"
}

test_interrupted_after_log()
{
	local c
	org_repo r
	expect_exit 0 "$APPCTL" -C r init
	c=$(ref_id r HEAD)
	# As if init had stopped right after the log append.
	git -C r tag -d release/dev/0 release/staging/0 release/prod/0 >/dev/null
	git -C r branch -D -q staging prod
	expect_exit 0 "$APPCTL" -C r init
	expect_stdout_contains "tagged release/dev/0"
	expect_stdout_contains "created branch prod"
	expect_initialized r "$c"
}

test_branch_moved_on_is_fine()
{
	org_repo r
	expect_exit 0 "$APPCTL" -C r init
	echo "# more" >>r/allowed_signers
	commit_all r "work on dev"
	save_refs r
	expect_exit 0 "$APPCTL" -C r init
	expect_stdout_contains "already initialized"
	expect_refs_unchanged r
}

test_tag_conflict_before_init()
{
	local first
	org_repo r
	first=$(ref_id r HEAD)
	echo "# more" >>r/allowed_signers
	commit_all r "second"
	git -C r tag release/prod/0 "$first"
	save_refs r
	expect_exit 5 "$APPCTL" -C r init
	expect_stderr_contains "release/prod/0"
	expect_refs_unchanged r
}

test_tag_conflict_after_init()
{
	org_repo r
	expect_exit 0 "$APPCTL" -C r init
	echo "# more" >>r/allowed_signers
	commit_all r "second"
	git -C r tag -d release/staging/0 >/dev/null
	git -C r tag release/staging/0 HEAD
	git -C r branch -D -q prod
	save_refs r
	expect_exit 5 "$APPCTL" -C r init
	expect_stderr_contains "release/staging/0"
	# Nothing is created while a ref disagrees with the log.
	expect_refs_unchanged r
}

test_branch_conflict_after_init()
{
	org_repo r
	expect_exit 0 "$APPCTL" -C r init
	git -C r checkout -q --orphan other
	echo "# other" >r/allowed_signers
	commit_all r "unrelated"
	git -C r branch -f -q prod other
	save_refs r
	expect_exit 5 "$APPCTL" -C r init
	expect_stderr_contains "branch 'prod'"
	expect_refs_unchanged r
}

test_log_locked_is_conflict()
{
	org_repo r
	mkdir -p r/.git/refs/appctl
	: >r/.git/refs/appctl/log.lock
	save_refs r
	expect_exit 5 "$APPCTL" -C r init
	expect_refs_unchanged r
	rm r/.git/refs/appctl/log.lock
	expect_exit 0 "$APPCTL" -C r init
	expect_initialized r "$(ref_id r HEAD)"
}

test_bad_log_event()
{
	local blob tree commit
	org_repo r
	blob=$(printf '{"appctl_event":1,"type":"init","extra":1}' |
		git -C r hash-object -w --stdin)
	tree=$(printf '100644 blob %s\tevent.json\n' "$blob" | git -C r mktree)
	commit=$(git -C r commit-tree -m "appctl: init" "$tree")
	git -C r update-ref refs/appctl/log "$commit"
	save_refs r
	expect_exit 3 "$APPCTL" -C r init
	expect_stderr_contains "${commit:0:7}:event.json"
	expect_refs_unchanged r
}

test_concurrent_inits()
{
	local i codes c r
	for r in empty org; do
		extra=""
		if [ $r = org ]; then org_repo $r; else new_repo $r; extra="--signer tester@example.com=$KEYS/tester.pub"; fi
		for i in 1 2 3 4; do
			("$APPCTL" -C $r init $extra >/dev/null 2>"err$i"; echo $? >"code$i") &
		done
		wait
		codes=$(cat code1 code2 code3 code4 | tr '\n' ' ')
		case $codes in
		*[!05\ ]*) cat err1 err2 err3 err4 >&2; fail "exit codes: $codes" ;;
		*0*) ;;
		*) fail "no init succeeded: $codes" ;;
		esac
		# A loser changed nothing that disagrees: the state is one init's.
		expect_exit 0 "$APPCTL" -C $r init $extra
		c=$(ref_id $r refs/tags/release/dev/0)
		expect_initialized $r "$c"
		expect_equal "" "$(git -C $r status --porcelain)" "git status"
	done
}

test_bare_repo()
{
	local c
	new_bare_repo b.git
	expect_exit 0 "$APPCTL" -C b.git init "${SIGNER[@]}"
	c=$(ref_id b.git refs/heads/dev)
	[ -n "$c" ] || fail "no dev branch"
	expect_initialized b.git "$c"
	expect_equal "refs/heads/dev" "$(git -C b.git symbolic-ref HEAD)" "HEAD"
	git -C b.git cat-file -e "$c:apps/example-dashboard/app.json" ||
		fail "example app not committed"
	save_refs b.git
	expect_exit 0 "$APPCTL" -C b.git init "${SIGNER[@]}"
	expect_stdout_contains "already initialized"
	expect_refs_unchanged b.git
}

test_subdirectory()
{
	org_repo r
	mkdir -p r/apps/orders/sub
	expect_exit 0 "$APPCTL" -C r/apps/orders/sub init
	expect_initialized r "$(ref_id r HEAD)"
}

test_needs_user_email()
{
	org_repo r
	git -C r config --unset user.email
	save_refs r
	expect_exit 4 "$APPCTL" -C r init
	expect_stderr_contains "user.email"
	expect_refs_unchanged r
}

test_not_a_repository()
{
	mkdir plain
	expect_exit 4 "$APPCTL" -C plain init
	expect_stderr_contains "appctl: "
}

test_usage()
{
	new_repo r
	expect_exit 0 "$APPCTL" -C r init --help
	expect_stdout_contains "appctl-init"
	expect_exit 2 "$APPCTL" -C r init extra
	expect_exit 2 "$APPCTL" -C r init --frobnicate
	expect_equal "" "$(git -C r for-each-ref)" "refs after usage errors"
}

test_starter_needs_a_signer()
{
	new_repo r
	expect_exit 2 "$APPCTL" -C r init
	expect_stderr_contains "no approver key"
	expect_stderr_contains "appctl init --signer"
	expect_stderr_contains "user.signingkey"
	expect_equal "" "$(git -C r for-each-ref)" "refs after the refusal"
	[ ! -e r/appctl.json ] || fail "starter written although refused"
	# Not a public key, a bad principal, a missing file: usage errors.
	echo "hello" >junk.pub
	expect_exit 2 "$APPCTL" -C r init --signer "ann@example.com=junk.pub"
	expect_stderr_contains "not an SSH public key"
	expect_exit 2 "$APPCTL" -C r init --signer "not a principal=$KEYS/tester.pub"
	expect_stderr_contains "not a valid principal"
	expect_exit 2 "$APPCTL" -C r init --signer "ann@example.com=nowhere.pub"
	expect_stderr_contains "cannot read key"
	expect_exit 2 "$APPCTL" -C r init --signer "ann@example.com"
	# Huge, binary, or a private key without its .pub: refused, never read whole.
	head -c 5000000 /dev/zero | tr '\0' 'A' >huge.pub
	expect_exit 2 "$APPCTL" -C r init --signer "ann@example.com=huge.pub"
	expect_stderr_contains "not an SSH public key"
	printf 'ssh-ed25519 \001\377\000AAAA\n' >binary.pub
	expect_exit 2 "$APPCTL" -C r init --signer "ann@example.com=binary.pub"
	cp "$KEYS/tester" lonely_private
	expect_exit 2 "$APPCTL" -C r init --signer "ann@example.com=lonely_private"
	expect_stderr_contains "is a private key and has no .pub next to it"
	expect_equal "" "$(git -C r for-each-ref)" "refs after bad signers"
}

test_starter_two_signers()
{
	make_keys ann bo
	new_repo r
	expect_exit 0 "$APPCTL" -C r init --signer "ann@example.com=$KEYS/ann.pub" \
		--signer="bo@example.com=$KEYS/bo"
	expect_stdout_contains "approvers (groups release-managers and security, keys in allowed_signers): ann@example.com bo@example.com"
	expect_equal '["ann@example.com","bo@example.com"]' \
		"$(jq -c '.groups["release-managers"]' r/appctl.json)" "release-managers"
	expect_equal '["ann@example.com","bo@example.com"]' \
		"$(jq -c '.groups.security' r/appctl.json)" "security"
	expect_equal false "$(jq '.approvals.allow_self_approval' r/appctl.json)" "self-approval"
	expect_equal 2 "$(jq '.approvals.rules[1].count' r/appctl.json)" "policy rule count"
	grep -qF "ann@example.com namespaces=\"appctl\" $(cut -d' ' -f1,2 "$KEYS/ann.pub")" \
		r/allowed_signers || fail "ann's key not in allowed_signers"
	# The starter is approvable: status says nothing is unapprovable.
	expect_exit 0 "$APPCTL" -C r --json status
	expect_equal "true true" "$(jq -r '[.environments[] | .approvable] | join(" ")' "$OUT")" \
		"approvable"
}

test_starter_one_signer_from_git_config()
{
	new_repo r
	git -C r config user.signingkey "$KEYS/tester"
	expect_exit 0 "$APPCTL" -C r init
	expect_stdout_contains "approvers (groups release-managers and security, keys in allowed_signers): tester@example.com"
	expect_stdout_contains "allow_self_approval is true"
	# One approver: no count may ask for two, and they may approve their own work.
	expect_equal 1 "$(jq '.approvals.required.admin_panel' r/appctl.json)" "admin_panel"
	expect_equal 1 "$(jq '.approvals.rules[1].count' r/appctl.json)" "policy rule count"
	expect_equal true "$(jq '.approvals.allow_self_approval' r/appctl.json)" "self-approval"
	# A literal key:: value works too.
	new_repo r2
	git -C r2 config user.signingkey "key::$(cat "$KEYS/tester.pub")"
	expect_exit 0 "$APPCTL" -C r2 init
	expect_stdout_contains "tester@example.com"
	# A GPG key id is not an SSH key: refused, saying why.
	new_repo r3
	git -C r3 config user.signingkey "0xDEADBEEF"
	expect_exit 2 "$APPCTL" -C r3 init
	expect_stderr_contains "user.signingkey '0xDEADBEEF' is not a readable SSH public key"
}

test_existing_policy_nobody_can_approve()
{
	org_repo r
	expect_exit 0 "$APPCTL" -C r init
	expect_stderr_contains "appctl: warning: nobody can ever approve a promotion into staging and later: no allowed approver"
	expect_exit 0 "$APPCTL" -C r --json init
	expect_equal 0 "$(jq '.warnings | length' "$OUT")" "warnings of a rerun (nothing recorded)"
	# --signer does not edit an existing policy: a key it lacks is refused.
	org_repo r2
	save_refs r2
	expect_exit 2 "$APPCTL" -C r2 init "${SIGNER[@]}"
	expect_stderr_contains "lacks the key of tester@example.com"
	expect_refs_unchanged r2
}

test_head_on_other_branch_warns()
{
	new_repo r main
	write_org r
	commit_all r "definitions on main"
	expect_exit 0 "$APPCTL" -C r init
	expect_stderr_contains "HEAD is on 'main', which is not an environment"
	expect_stderr_contains "git checkout dev"
}

run_tests \
	test_starter_needs_a_signer \
	test_starter_two_signers \
	test_starter_one_signer_from_git_config \
	test_existing_policy_nobody_can_approve \
	test_head_on_other_branch_warns \
	test_empty_repo \
	test_rerun_changes_nothing \
	test_json_output \
	test_existing_org_adds_only_missing \
	test_existing_branch_keeps_its_commit \
	test_invalid_duplicate_key \
	test_invalid_unknown_field \
	test_invalid_symlink_policy \
	test_invalid_symlink_app \
	test_invalid_submodule \
	test_invalid_submodule_policy \
	test_invalid_folder_as_app_json \
	test_invalid_folder_name \
	test_invalid_file_in_apps \
	test_invalid_too_big \
	test_invalid_missing_signers \
	test_head_without_policy \
	test_invalid_worktree_unborn \
	test_worktree_files_committed \
	test_starter_never_overwrites \
	test_interrupted_starter_write \
	test_deleted_branch_recreated \
	test_interrupted_after_log \
	test_branch_moved_on_is_fine \
	test_tag_conflict_before_init \
	test_tag_conflict_after_init \
	test_branch_conflict_after_init \
	test_log_locked_is_conflict \
	test_bad_log_event \
	test_concurrent_inits \
	test_bare_repo \
	test_subdirectory \
	test_needs_user_email \
	test_not_a_repository \
	test_usage
