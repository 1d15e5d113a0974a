# review_lib.sh: shared by inventory.sh and who_can.sh (sourced after lib.sh;
# run directly, it has nothing to test).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "0 tests passed"
	exit 0
fi

GOLDEN="$APPCTL_SOURCE_DIR/tests/review"

# example_org DIR: examples/org committed and put under appctl.
example_org()
{
	new_repo "$1"
	cp -R "$APPCTL_SOURCE_DIR/examples/org/." "$1/"
	commit_all "$1" "example org"
	expect_exit 0 "$APPCTL" -C "$1" init
}

# expect_golden NAME FILE REPO: FILE equals tests/review/NAME once the
# commit ids of REPO's environments are replaced by COMMIT
# (UPDATE_GOLDEN=1 rewrites the golden instead).
expect_golden()
{
	local got="$TEST_ROOT/golden.$1" c
	cp "$2" "$got"
	for c in $(git -C "$3" for-each-ref --format='%(objectname)' refs/heads); do
		sed -i -e "s/$c/COMMIT/g" -e "s/${c:0:7}/COMMIT/g" "$got"
	done
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$got" "$GOLDEN/$1"
	fi
	cmp -s "$GOLDEN/$1" "$got" || {
		diff -u "$GOLDEN/$1" "$got" >&2
		fail "output differs from tests/review/$1"
	}
}
