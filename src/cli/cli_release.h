/* cli_release.h: how promote and rollback show a judged move, and the event copies history and status keep beyond a log walk. */
#ifndef APPCTL_CLI_RELEASE_H
#define APPCTL_CLI_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/diff.h"
#include "appctl/event.h"
#include "appctl/judge.h"
#include "appctl/release.h"
#include "cli.h"

/*
 * Judges and performs one promote or rollback through the release service
 * (appctl_release_perform), then shows what it found and did (text or
 * --json) and notifies. A refusal is APPCTL_EDENIED naming what is missing.
 */
appctl_error *appctl_release_run(appctl_cli *cli,
	const appctl_release_request *req);

/* ---- events copied out of a log walk ---- */

/*
 * An event kept beyond appctl_log_walk's callback: its bytes (re-parsed
 * on demand with appctl_logged_parse) and where it lies.
 */
typedef struct appctl_logged {
	char id[41];
	char log_commit[41];
	appctl_event_type type;
	char *json;
	size_t json_len;
	char *signature;           /* NULL when unsigned */
	size_t signature_len;
} appctl_logged;

/* Copies `ev` into *out; dispose with appctl_logged_dispose. */
appctl_error *appctl_logged_copy(appctl_logged *out, const appctl_event *ev);

/* Frees the copied bytes; the struct may be reused after. */
void appctl_logged_dispose(appctl_logged *logged);

/*
 * Parses a kept event again, with id, log_commit and signature filled as
 * the walk fills them. The caller frees *out with appctl_event_free; the
 * signature points into `logged`, which must outlive the event.
 */
appctl_error *appctl_logged_parse(appctl_event **out,
	const appctl_logged *logged);

/* ---- output ---- */

/* Prints `changes` as "  RISK  KIND  subject" lines under `indent`. */
appctl_error *appctl_release_print_changes(const appctl_cli *cli,
	const appctl_changes *changes, const char *indent);

/* "2 high, 0 medium, 1 low" into buf. */
void appctl_release_summary_text(char *buf, size_t len,
	const appctl_changes *changes);

/* The day of an ISO time "YYYY-MM-DD..." (today when it does not parse). */
appctl_date appctl_release_day_of(const char *iso_time);

/*
 * A judge context on the local verified log as of now (appctl_clock_now):
 * *chain opened at the verified head (caller frees with appctl_chain_free).
 */
appctl_error *appctl_cli_judge_ctx(appctl_judge_ctx *ctx, appctl_chain **chain,
	appctl_cli *cli);

#endif
