/* help_render.h: the help pages (Markdown) as text for a terminal, and how they reach it. */
#ifndef APPCTL_HELP_RENDER_H
#define APPCTL_HELP_RENDER_H

#include <stddef.h>

/*
 * Renders `page`, in the Markdown of docs/commands/NAME.md, as plain text
 * re-flowed to `width` columns (at least 40; code blocks keep their lines
 * as written, and a longer word gets a line of its own): headings as
 * man(1) shows them, fences as indented blocks, `code` without its
 * backticks, links as their text, lists and definitions indented. With
 * `bold`, headings, `code` and **bold** are set in ANSI bold. Returns a
 * string the caller frees, NULL out of memory. The Markdown understood is
 * listed in help_render.c; anything else is text, so no page can make
 * this fail.
 */
char *appctl_help_render(const char *page, int width, int bold);

/*
 * How help reaches stdout, decided once by main from the global options:
 * `bold` when colour is on, `page` when stdout is a terminal and --json
 * was not given. Until called, help is plain and unpaged.
 */
void appctl_help_output(int bold, int page);

/*
 * Renders `md` and writes it to stdout: through the pager when paging
 * ($PAGER, else `less -FRX`, else directly when neither can run).
 * Returns 0, or -1 out of memory (nothing written).
 */
int appctl_help_show(const char *md);

/*
 * `appctl __render-help` (hidden): renders the Markdown read from stdin
 * (at most 1 MiB) as --help would, 80 columns, no bold, no pager, so that
 * tests can check a page against what a command prints. Returns the exit
 * status: 0, 3 input too large, 4 read or write error.
 */
int appctl_help_render_stdin(void);

#endif
