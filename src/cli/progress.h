/* progress.h: progress lines on stderr, only for a person watching a terminal. */
#ifndef APPCTL_CLI_PROGRESS_H
#define APPCTL_CLI_PROGRESS_H

#include <stdint.h>

#include "appctl/progress.h"
#include "cli.h"

/*
 * One progress display: "LABEL: DONE/TOTAL UNIT" redrawn in place on
 * stderr. It is on only when stderr is a terminal, the output is not
 * --json, TERM is not "dumb" and APPCTL_PROGRESS is not "0"; otherwise
 * every call does nothing, so commands call it unconditionally. Redraws
 * are throttled (the first and the last are always drawn); the line is
 * cleared by cli_progress_end, leaving stderr as if nothing had been shown.
 * Notes (a webhook retry) are printed as lines of their own.
 */
typedef struct cli_progress {
	appctl_progress hooks;  /* hand &hooks to the service */
	int on;
	const char *label;      /* "validate", "audit", "sync" */
	const char *unit;       /* "apps", "events" */
	int64_t last_ms;
	int drawn;              /* a counter line is on the screen */
} cli_progress;

/*
 * Sets `p` up (nothing to free; `label` and `unit` are borrowed); `json`
 * is the command's --json (global or its own): then it stays off.
 */
void cli_progress_start(cli_progress *p, int json, const char *label,
	const char *unit);

/* Clears the counter line, if one is shown. */
void cli_progress_end(cli_progress *p);

/* Whether progress would be shown (a TTY on stderr, not `json`). */
int cli_progress_wanted(int json);

#endif
