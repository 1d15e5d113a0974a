/* complete.c: `appctl __complete WORD...`, the shell completions, from the command table and the pages. */
#include "complete.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "help.h"

/*
 * Nothing here is written down twice: the commands are main's table, and a
 * command's options and subcommands are read from its page (the option
 * terms of OPTIONS and the words of SYNOPSIS), the page every command must
 * have. A command added with its page completes with no change here.
 */

#define MAX_WORDS 256
#define MAX_WORD 64

typedef struct word_set {
	char words[MAX_WORDS][MAX_WORD];
	int takes_value[MAX_WORDS];
	size_t count;
} word_set;

static void set_add(word_set *set, const char *s, size_t len, int takes_value)
{
	size_t i;

	if (len == 0 || len >= MAX_WORD)
		return;
	for (i = 0; i < set->count; i++) {
		if (strlen(set->words[i]) == len &&
			memcmp(set->words[i], s, len) == 0) {
			set->takes_value[i] |= takes_value;
			return;
		}
	}
	if (set->count == MAX_WORDS)
		return;
	memcpy(set->words[set->count], s, len);
	set->words[set->count][len] = '\0';
	set->takes_value[set->count] = takes_value;
	set->count++;
}

static const char *page_text(const char *name)
{
	const appctl_help_page *p;

	for (p = appctl_help_pages; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p->text;
	return NULL;
}

/* "--key" or "-m": an option word at `s`; its length, or 0. */
static size_t option_length(const char *s, const char *end)
{
	size_t n = 0;

	if (s >= end || s[0] != '-')
		return 0;
	n = s + 1 < end && s[1] == '-' ? 2 : 1;
	if (s + n >= end || !isalnum((unsigned char)s[n]))
		return 0;
	while (s + n < end &&
		(isalnum((unsigned char)s[n]) || s[n] == '-' || s[n] == '_'))
		n++;
	return n;
}

/* An upper-case placeholder (FILE, DATE) starts at `s`. */
static int is_placeholder(const char *s, const char *end)
{
	return s < end && isupper((unsigned char)s[0]);
}

/*
 * One definition term, e.g. "`-m TEXT`, `--message TEXT`": every option in
 * its code spans, taking a value when a placeholder follows it.
 */
static void scan_term(word_set *opts, const char *s, const char *end)
{
	while (s < end) {
		const char *tick = memchr(s, '`', (size_t)(end - s)), *close;
		size_t n;

		if (!tick)
			return;
		close = memchr(tick + 1, '`', (size_t)(end - tick - 1));
		if (!close)
			return;
		n = option_length(tick + 1, close);
		if (n > 0) {
			const char *after = tick + 1 + n;

			set_add(opts, tick + 1, n,
				(after < close &&
					(*after == ' ' || *after == '=') &&
					is_placeholder(after + 1, close)));
		}
		s = close + 1;
	}
}

/*
 * One SYNOPSIS line "appctl [-C DIR] CMD [SUB] [--opt] [-m TEXT] ARG": the
 * words after `cmd`. The first, when a lower-case word, is a subcommand.
 */
static void scan_synopsis(word_set *opts, word_set *subs, const char *cmd,
	const char *s, const char *end)
{
	int seen_cmd = 0, first = 1;
	size_t cmd_len = strlen(cmd);

	while (s < end) {
		const char *w, *e;
		size_t n;

		while (s < end && *s == ' ')
			s++;
		w = s;
		while (s < end && *s != ' ')
			s++;
		e = s;
		if (w == e)
			break;
		if (!seen_cmd) {
			seen_cmd = (size_t)(e - w) == cmd_len &&
				memcmp(w, cmd, cmd_len) == 0;
			continue;
		}
		while (w < e && (*w == '[' || *w == '|'))
			w++;
		n = option_length(w, e);
		if (n > 0) {
			/* "-m TEXT" or "[--key FILE]": a placeholder word follows. */
			const char *next = e;
			int value = w + n == e;

			while (next < end && *next == ' ')
				next++;
			set_add(opts, w, n, value && is_placeholder(next, end));
		} else if (first && islower((unsigned char)*w)) {
			size_t len = 0;

			while (w + len < e &&
				(islower((unsigned char)w[len]) ||
					w[len] == '-'))
				len++;
			if (w + len == e)
				set_add(subs, w, len, 0);
		}
		first = 0;
	}
}

/* The options and subcommands of page `name` ("appctl" for the global ones). */
static void scan_page(word_set *opts, word_set *subs, const char *name)
{
	const char *text = page_text(name), *s, *prev = NULL;
	int in_code = 0, in_synopsis = 0;

	if (!text)
		return;
	for (s = text; *s;) {
		const char *nl = strchr(s, '\n');
		const char *end = nl ? nl : s + strlen(s);

		if (strncmp(s, "```", 3) == 0) {
			in_code = !in_code;
		} else if (!in_code && strncmp(s, "## ", 3) == 0) {
			in_synopsis = strncmp(s, "## SYNOPSIS", 11) == 0;
		} else if (in_code && in_synopsis) {
			scan_synopsis(opts, subs, name, s, end);
		} else if (!in_code && strncmp(s, ": ", 2) == 0 && prev) {
			scan_term(opts, prev, s - 1);
		}
		prev = s;
		if (!nl)
			break;
		s = nl + 1;
	}
}

static int takes_value(const word_set *opts, const char *word)
{
	size_t i;

	for (i = 0; i < opts->count; i++)
		if (strcmp(opts->words[i], word) == 0)
			return opts->takes_value[i];
	return 0;
}

static void offer(const word_set *set, const char *prefix)
{
	size_t i, n = strlen(prefix);

	for (i = 0; i < set->count; i++)
		if (strncmp(set->words[i], prefix, n) == 0)
			printf("%s\n", set->words[i]);
}

int appctl_cli_complete(const char *const *commands, int argc, char **argv)
{
	/* Large tables: off the stack. */
	static word_set globals, opts, subs, names;
	const char *cur = argc > 0 ? argv[argc - 1] : "";
	const char *cmd;
	int i = 0, cmd_at;
	size_t k;

	memset(&globals, 0, sizeof(globals));
	memset(&opts, 0, sizeof(opts));
	memset(&subs, 0, sizeof(subs));
	memset(&names, 0, sizeof(names));
	scan_page(&globals, &subs, "appctl");
	memset(&subs, 0, sizeof(subs));
	for (k = 0; commands[k]; k++)
		set_add(&names, commands[k], strlen(commands[k]), 0);

	/* The global options, then the command. */
	while (i < argc - 1 && argv[i][0] == '-') {
		if (takes_value(&globals, argv[i]))
			i++;
		i++;
	}
	if (i > argc - 1)
		return 0; /* the value of a global option: the shell's file names */
	if (i == argc - 1) {
		offer(cur[0] == '-' ? &globals : &names, cur);
		return 0;
	}
	cmd = argv[i];
	cmd_at = i;
	scan_page(&opts, &subs, cmd);
	/* Every command takes these (appctl_cli_parse), documented or not. */
	set_add(&opts, "--help", 6, 0);
	set_add(&opts, "-h", 2, 0);
	if (argc - 2 > cmd_at && takes_value(&opts, argv[argc - 2]))
		return 0; /* an option's value: the shell's file names */
	if (cur[0] == '-') {
		offer(&opts, cur);
	} else if (argc - 2 == cmd_at && strcmp(cmd, "help") == 0) {
		offer(&names, cur);
	} else if (argc - 2 == cmd_at) {
		offer(&subs, cur);
	}
	return 0;
}
