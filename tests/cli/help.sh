#!/usr/bin/env bash
# help.sh: every command has its page (docs/commands/<cmd>.md is both its
# man page and --help), reachable from anywhere, even outside a repository,
# shown as text (not Markdown), through a pager only on a terminal; the man
# pages are clean under mandoc; the bash and zsh completions load and offer
# what the command table and the pages say; unknown commands and options
# are usage errors.
. "$(dirname "$0")/lib.sh"

MAN_DIR=${APPCTL_MAN_DIR:-$(dirname "$APPCTL")/man/man1}
COMPLETION_DIR=$APPCTL_SOURCE_DIR/completion

# need TOOL: true when TOOL is installed. In CI (CI=true) a missing tool is
# a failure, since scripts/install-deps.sh installs it there; elsewhere the
# test says it is skipped.
need()
{
	command -v "$1" >/dev/null 2>&1 && return 0
	[ "${CI:-}" = true ] && fail "$1 is not installed (scripts/install-deps.sh installs it)"
	echo "# skipped in $TEST_NAME: $1 is not installed"
	return 1
}

commands()
{
	"$APPCTL" --help | awk '/^commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }'
}

test_every_command_has_a_page()
{
	local cmd n=0
	for cmd in $(commands); do
		expect_exit 0 "$APPCTL" -C /nonexistent "$cmd" --help
		expect_stdout_contains "APPCTL-${cmd^^}(1)"
		expect_stdout_contains "SYNOPSIS"
		cp "$OUT" "$cmd.help"
		expect_exit 0 "$APPCTL" help "$cmd"
		cmp -s "$cmd.help" "$OUT" || fail "'help $cmd' and '$cmd --help' differ"
		expect_exit 0 "$APPCTL" "$cmd" -h
		cmp -s "$cmd.help" "$OUT" || fail "'$cmd -h' and '$cmd --help' differ"
		n=$((n + 1))
	done
	[ "$n" -ge 4 ] || fail "only $n commands listed"
}

# The page as text: no Markdown left, paragraphs within 80 columns.
test_help_is_text_not_markdown()
{
	local cmd
	for cmd in appctl $(commands); do
		if [ "$cmd" = appctl ]; then
			expect_exit 0 "$APPCTL" help
		else
			expect_exit 0 "$APPCTL" "$cmd" --help
		fi
		expect_stdout_lacks '```'
		expect_stdout_lacks '**'
		! grep -nE '^#{1,3} ' "$OUT" || fail "$cmd: a Markdown heading"
		! grep -nE '^(: |\| )' "$OUT" || fail "$cmd: a definition or table line"
		! grep -n '`' "$OUT" || fail "$cmd: a backtick"
		# Only code blocks (indented 6) keep lines as written.
		! awk 'length($0) > 80 && !/^      /' "$OUT" | grep . ||
			fail "$cmd: a line over 80 columns"
		grep -qE '^OPTIONS$|^COMMANDS$' "$OUT" || fail "$cmd: no OPTIONS heading"
		grep -qE '^    [^ ]' "$OUT" || fail "$cmd: no indented text"
	done
	# Definitions: the term, then its text indented under it.
	expect_exit 0 "$APPCTL" promote --help
	grep -A1 -E '^    -n, --dry-run$' "$OUT" | grep -qE '^        Judge' ||
		fail "promote: --dry-run not shown as a definition"
	# A code block: indented, without the fence.
	grep -qE '^      appctl promote prod --dry-run$' "$OUT" || fail "promote: example"
	# A table: columns aligned.
	grep -qE '^    5     another promote' "$OUT" || fail "promote: exit status table"
	# `appctl --help` is the command list, text too.
	expect_exit 0 "$APPCTL" --help
	expect_stdout_contains "commands:"
	expect_stdout_lacks '`'
}

# The renderer on a page with every construct the pages use: input and
# expected text (`appctl __render-help` renders stdin as --help does).
test_render_constructs()
{
	cat >case.md <<'EOF'
# appctl-demo(1)

## NAME

appctl-demo - a page that uses every construct

## SYNOPSIS

```
appctl demo [--flag] ARG
```

## DESCRIPTION

A paragraph with `code`, **bold words across
lines**, a [link](other.md) and a [web link](https://example.com/x), an
escaped \*star\* and a very long line that has to be re-flowed because it goes well past eighty columns.

1. first item,
   continued
2. second item
- bullet
* star bullet

### Sub heading

| exit | meaning |
| --- | --- |
| 0 | fine |
| 1 | `a|b` not a column |

`-f`, `--flag`
: The flag, with a definition long enough that it must wrap onto a second line here.
  And a continuation line.
EOF
	cat >want.txt <<'EOF'
APPCTL-DEMO(1)                   appctl manual                    APPCTL-DEMO(1)

NAME
    appctl-demo - a page that uses every construct

SYNOPSIS
      appctl demo [--flag] ARG

DESCRIPTION
    A paragraph with code, bold words across lines, a link and a web link
    <https://example.com/x>, an escaped *star* and a very long line that has to
    be re-flowed because it goes well past eighty columns.

    1. first item, continued
    2. second item
    - bullet
    - star bullet

  Sub heading
    exit  meaning
    ----  ----------------
    0     fine
    1     a|b not a column

    -f, --flag
        The flag, with a definition long enough that it must wrap onto a second
        line here. And a continuation line.
EOF
	"$APPCTL" __render-help <case.md >got.txt || fail "__render-help"
	diff want.txt got.txt >&2 || fail "rendered text differs from the expected"
	# Huge and hostile input: no crash, a bounded refusal.
	head -c 2000000 /dev/zero | tr '\0' '`' | "$APPCTL" __render-help >/dev/null 2>err
	[ "$?" -eq 3 ] || fail "over 1 MiB: not refused with exit 3"
	grep -q 'input over 1 MiB' err || fail "over 1 MiB: no message"
	printf '| a |\n```\n**\n[x](\n`' | "$APPCTL" __render-help >got.txt || fail "malformed input"
}

# A pager only on a terminal, never with --json; when none can run, plain
# output. `script` gives appctl a terminal; the pager records what it gets.
test_pager_only_on_a_terminal()
{
	need script || return 0
	mkdir -p bin empty
	cat >bin/pager <<-EOF
		#!/bin/sh
		echo "pager \$*" >"$PWD/paged"
		cat >>"$PWD/paged"
	EOF
	chmod +x bin/pager
	SHELL=/bin/sh PAGER="$PWD/bin/pager -x" script -qec "$APPCTL help sync" /dev/null \
		>tty.out </dev/null || fail "script: help sync"
	[ -s paged ] || fail "no pager on a terminal"
	grep -q '^pager -x$' paged || fail "PAGER's arguments not passed"
	grep -q 'APPCTL-SYNC(1)' paged || fail "the pager did not get the page"
	grep -q 'SYNOPSIS' tty.out && fail "the page went past the pager"
	rm -f paged
	SHELL=/bin/sh PAGER="$PWD/bin/pager" script -qec "$APPCTL --json help sync" /dev/null \
		>tty.out </dev/null || fail "script: --json help sync"
	[ ! -e paged ] || fail "a pager with --json"
	grep -q 'APPCTL-SYNC(1)' tty.out || fail "--json help: no page"
	PAGER="$PWD/bin/pager" "$APPCTL" promote --help >pipe.out || fail "help to a pipe"
	[ ! -e paged ] || fail "a pager when stdout is not a terminal"
	# Neither $PAGER nor less can run: the page is printed.
	SHELL=/bin/sh PATH="$PWD/empty" PAGER=no-such-pager /usr/bin/script -qec \
		"$APPCTL help sync" /dev/null >tty.out </dev/null || fail "script: no pager"
	grep -q 'SYNOPSIS' tty.out || fail "no page without a pager"
	# PAGER=cat, as in git: no pager at all. Bold on a colour terminal only.
	SHELL=/bin/sh PAGER=cat script -qec "$APPCTL help sync" /dev/null \
		>tty.out </dev/null || fail "script: PAGER=cat"
	grep -q 'SYNOPSIS' tty.out || fail "PAGER=cat: no page"
	grep -q $'\033\[1m' tty.out && fail "bold with NO_COLOR set"
	(unset NO_COLOR; SHELL=/bin/sh PAGER=cat script -qec "$APPCTL help sync" \
		/dev/null >tty.out </dev/null) || fail "script: colour"
	grep -q $'^\033\[1mSYNOPSIS\033\[0m' tty.out || fail "no bold heading on a terminal"
	(unset NO_COLOR; SHELL=/bin/sh PAGER=cat script -qec "$APPCTL --no-color help sync" \
		/dev/null >tty.out </dev/null) || fail "script: --no-color"
	grep -q $'\033\[1m' tty.out && fail "bold with --no-color"
}

# One man page per command (appctl-CMD.1) and appctl.1, lint-clean.
test_man_pages()
{
	local cmd page n=0 out
	[ -f "$MAN_DIR/appctl.1" ] || fail "no $MAN_DIR/appctl.1"
	for cmd in $(commands); do
		[ -f "$MAN_DIR/appctl-$cmd.1" ] || fail "no man page appctl-$cmd.1"
	done
	for page in "$APPCTL_SOURCE_DIR"/docs/commands/*.md; do
		n=$((n + 1))
	done
	[ "$(find "$MAN_DIR" -name '*.1' | wc -l)" -eq "$n" ] ||
		fail "not one man page per docs/commands page"
	grep -q '^\.TH APPCTL\\-PROMOTE 1 ' "$MAN_DIR/appctl-promote.1" || fail "promote: .TH"
	grep -q '^\.BR appctl\\-promote (1)' "$MAN_DIR/appctl.1" || fail "appctl.1: SEE ALSO"
	need mandoc || return 0
	for page in "$MAN_DIR"/*.1; do
		out=$(mandoc -T lint -W warning "$page" 2>&1) ||
			fail "mandoc -T lint $page: $out"
		[ -z "$out" ] || fail "mandoc -T lint $page: $out"
	done
	# And it reads as a man page: sections, no Markdown.
	out=$(mandoc -T ascii "$MAN_DIR/appctl-promote.1" | sed $'s/.\b//g')
	grep -q '^SYNOPSIS' <<<"$out" || fail "promote.1: no SYNOPSIS"
	! grep -q '```' <<<"$out" || fail "promote.1: a fence"
}

# `cmake --install` puts the man pages and both completions where man,
# bash-completion and zsh look.
test_install()
{
	local build cmd
	build=$(dirname "$APPCTL")
	[ -f "$build/CMakeCache.txt" ] || fail "no build tree at $build"
	cmake --install "$build" --prefix "$PWD/inst" >install.log 2>&1 ||
		fail "cmake --install: $(cat install.log)"
	[ -x inst/bin/appctl ] || fail "no bin/appctl"
	[ -f inst/share/man/man1/appctl.1 ] || fail "no man1/appctl.1"
	for cmd in $(commands); do
		[ -f "inst/share/man/man1/appctl-$cmd.1" ] || fail "no man1/appctl-$cmd.1"
	done
	cmp -s inst/share/bash-completion/completions/appctl "$COMPLETION_DIR/appctl.bash" ||
		fail "bash completion not installed"
	cmp -s inst/share/zsh/site-functions/_appctl "$COMPLETION_DIR/_appctl" ||
		fail "zsh completion not installed"
}

# bash: the script parses, loads, registers appctl and completes from the
# command table and the pages.
test_bash_completion()
{
	local script=$COMPLETION_DIR/appctl.bash got want
	bash -n "$script" || fail "bash -n $script"
	bash -c ". '$script' && complete -p appctl" >out 2>err || fail "sourcing $script: $(cat err)"
	[ ! -s err ] || fail "sourcing $script: $(cat err)"
	grep -q -- '-F _appctl appctl' out || fail "complete -p: $(cat out)"
	# complete WORD...: what _appctl offers for the last word.
	complete_words()
	{
		PATH="$(dirname "$APPCTL"):$PATH" bash -c '
			. "$1"; shift
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			_appctl; printf "%s
" "${COMPREPLY[@]}"' _ "$script" "$@"
	}
	got=$(complete_words appctl pro)
	expect_equal promote "$got" "appctl pro<TAB>"
	got=$(complete_words appctl promote --dr)
	expect_equal --dry-run "$got" "appctl promote --dr<TAB>"
	got=$(complete_words appctl -C dir --no-c)
	expect_equal --no-color "$got" "appctl -C dir --no-c<TAB>"
	got=$(complete_words appctl hook ins)
	expect_equal install "$got" "appctl hook ins<TAB>"
	got=$(complete_words appctl help sy)
	expect_equal sync "$got" "appctl help sy<TAB>"
	# An option's value is a file name: nothing offered, bash lists files.
	got=$(complete_words appctl promote --key '')
	expect_equal "" "$got" "appctl promote --key <TAB>"
	# Every command of the table, and no other word.
	got=$(complete_words appctl '' | sort)
	want=$(commands | sort)
	expect_equal "$want" "$got" "appctl <TAB>"
	# Every command's options reach completion (--help: every command has it).
	for cmd in $(commands); do
		complete_words appctl "$cmd" --h | grep -qx -- --help ||
			fail "appctl $cmd --h<TAB> does not offer --help"
	done
}

# zsh: loads from $fpath through compinit, and sourced after it.
test_zsh_completion()
{
	local got
	need zsh || return 0
	zsh -f -c "fpath=('$COMPLETION_DIR' \$fpath); autoload -U compinit; compinit -u -d '$PWD/zcd'
		print -r -- \${_comps[appctl]}" >out 2>err || fail "zsh compinit: $(cat err)"
	[ ! -s err ] || fail "zsh compinit: $(cat err)"
	expect_equal _appctl "$(cat out)" "zsh: the completion of appctl"
	zsh -f -c "autoload -U compinit; compinit -u -d '$PWD/zcd2'; source '$COMPLETION_DIR/_appctl'
		print -r -- \${_comps[appctl]}" >out 2>err || fail "zsh source: $(cat err)"
	[ ! -s err ] || fail "zsh source _appctl: $(cat err)"
	expect_equal _appctl "$(cat out)" "zsh: sourced"
	# The function itself, with compadd and _files standing in.
	got=$(PATH="$(dirname "$APPCTL"):$PATH" zsh -f -c "autoload -U compinit; compinit -u -d '$PWD/zcd3'
		source '$COMPLETION_DIR/_appctl'
		compadd() { [[ \$1 == -a ]] && print -rl -- \${(P)2} }
		_files() { print FILES }
		words=(appctl pro); CURRENT=2; _appctl
		words=(appctl promote --key ''); CURRENT=4; _appctl" 2>err) ||
		fail "zsh _appctl: $(cat err)"
	expect_equal "promote
FILES" "$got" "zsh: appctl pro<TAB>, appctl promote --key <TAB>"
}

# table_commands: the commands of the table in src/cli/main.c, sorted.
table_commands()
{
	grep -o '^	{ "[a-z-]*", cmd_' "$APPCTL_SOURCE_DIR/src/cli/main.c" |
		sed 's/^	{ "\([a-z-]*\)".*/\1/' | sort
}

# Every command of main.c's table is in the COMMANDS list of appctl(1) and
# in README's command table, and neither lists a command the table lacks.
test_commands_listed_in_docs()
{
	local table page readme
	table=$(table_commands)
	[ "$(echo "$table" | wc -l)" -ge 19 ] || fail "too few commands found in src/cli/main.c: $table"
	page=$(awk '/^## COMMANDS/ { on = 1; next } on && /^## / { exit }
		on && /^```/ { block = !block; next } on && block && NF { print $1 }' \
		"$APPCTL_SOURCE_DIR/docs/commands/appctl.md" | sort)
	expect_equal "$table" "$page" "COMMANDS of docs/commands/appctl.md vs the table of src/cli/main.c"
	readme=$(grep -o '^| `appctl [a-z-]*` |' "$APPCTL_SOURCE_DIR/README.md" |
		sed 's/^| `appctl \([a-z-]*\)` |/\1/' | sort)
	expect_equal "$table" "$readme" "README's command table vs the table of src/cli/main.c"
}

test_usage_errors()
{
	expect_exit 2 "$APPCTL"
	expect_exit 2 "$APPCTL" frobnicate
	expect_stderr_contains "'frobnicate' is not an appctl command"
	expect_exit 2 "$APPCTL" --frobnicate
	expect_exit 2 "$APPCTL" help frobnicate
	expect_exit 0 "$APPCTL" version
	expect_stdout_contains "appctl "
	expect_exit 0 "$APPCTL" --json version
	jq -e '.version | length > 0' "$OUT" >/dev/null || fail "version JSON"
}

test_outside_a_repository()
{
	expect_exit 4 "$APPCTL" -C "$TEST_ROOT" validate
	expect_stderr_contains "appctl: "
}

run_tests test_every_command_has_a_page test_help_is_text_not_markdown test_render_constructs \
	test_pager_only_on_a_terminal test_man_pages test_install test_bash_completion \
	test_zsh_completion test_commands_listed_in_docs test_usage_errors test_outside_a_repository
