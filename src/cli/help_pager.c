/* help_pager.c: help text to stdout, through a pager on a terminal, as git does. */
#include "help_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "appctl/proc.h"
#include "appctl/strbuf.h"

#define HELP_WIDTH 80
#define MAX_PAGER_WORDS 16
#define HELP_INPUT_MAX ((size_t)1 << 20)

static int help_bold;
static int help_page;

void appctl_help_output(int bold, int page)
{
	help_bold = bold;
	help_page = page;
}

/* 80 columns, or fewer on a narrower terminal. */
static int help_width(void)
{
	struct winsize ws;

	if (help_page && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
		ws.ws_col >= 40 && ws.ws_col < HELP_WIDTH)
		return ws.ws_col;
	return HELP_WIDTH;
}

/*
 * Runs the pager words of `spec` (split on blanks: no shell runs, so no
 * quoting) with `text` as input. Returns 0 when it ran, -1 when it could
 * not start (and was given nothing).
 */
static int run_pager(const char *spec, const char *text, size_t len)
{
	char *copy = strdup(spec), *save = NULL, *word;
	const char *argv[MAX_PAGER_WORDS + 1];
	appctl_error *err;
	int n = 0, status;

	if (!copy)
		return -1;
	for (word = strtok_r(copy, " \t", &save); word && n < MAX_PAGER_WORDS;
		word = strtok_r(NULL, " \t", &save))
		argv[n++] = word;
	argv[n] = NULL;
	if (n == 0) {
		free(copy);
		return -1;
	}
	fflush(stdout); /* what was printed before comes first */
	err = appctl_proc_feed(&status, argv, text, len);
	free(copy);
	if (err) {
		appctl_error_free(err);
		return -1;
	}
	return 0;
}

int appctl_help_show(const char *md)
{
	char *text = appctl_help_render(md, help_width(), help_bold);
	const char *pager = getenv("PAGER");
	size_t len;

	if (!text)
		return -1;
	len = strlen(text);
	/* PAGER= or PAGER=cat: no pager, as in git. */
	if (help_page && !(pager && (!*pager || strcmp(pager, "cat") == 0))) {
		/* less shows the bold and quits on a short page, unless told otherwise. */
		setenv("LESS", "FRX", 0);
		if ((pager && run_pager(pager, text, len) == 0) ||
			run_pager("less -FRX", text, len) == 0) {
			free(text);
			return 0;
		}
	}
	fputs(text, stdout);
	free(text);
	return 0;
}

int appctl_help_render_stdin(void)
{
	appctl_strbuf md = APPCTL_STRBUF_INIT;
	char chunk[8192], *text;
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (md.len + n > HELP_INPUT_MAX) {
			fputs("appctl: __render-help: input over 1 MiB\n",
				stderr);
			appctl_strbuf_dispose(&md);
			return 3;
		}
		appctl_strbuf_add(&md, chunk, n);
	}
	if (ferror(stdin) || md.failed) {
		fputs("appctl: __render-help: cannot read stdin\n", stderr);
		appctl_strbuf_dispose(&md);
		return 4;
	}
	text = appctl_help_render(md.ptr ? md.ptr : "", HELP_WIDTH, 0);
	appctl_strbuf_dispose(&md);
	if (!text) {
		fputs("appctl: out of memory\n", stderr);
		return 4;
	}
	fputs(text, stdout);
	free(text);
	return fflush(stdout) != 0 || ferror(stdout) ? 4 : 0;
}
