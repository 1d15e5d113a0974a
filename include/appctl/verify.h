/* verify.h: judging a stretch of the event log event by event, the local checkpoint of what passed, and completing interrupted steps only from verified state (service layer). */
#ifndef APPCTL_VERIFY_H
#define APPCTL_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/chain.h"
#include "appctl/error.h"
#include "appctl/judge.h"
#include "appctl/store.h"

/* The first event of a stretch that did not pass, and why. */
typedef struct appctl_log_problem {
	char *text;                    /* NULL: everything passed */
	char log_commit[41];
	char event_id[41];             /* "" when the event could not be read */
	const char *type;              /* "promote", ..., or NULL */
	char env[64];                  /* "" when none */
	int64_t position;              /* its place in the log (root: 1) */
} appctl_log_problem;

void appctl_log_problem_dispose(appctl_log_problem *problem);

/* "event ID (promote prod, log commit C): TEXT"; caller frees. */
char *appctl_log_problem_describe(const appctl_log_problem *problem);

/* Called after each event judged; `done` of `total`. */
typedef void (*appctl_progress_fn)(size_t done, size_t total, void *arg);

/*
 * Judges the log commits from ctx->chain's head (exclusive) up to `head`
 * along first parents, oldest first, as ctx->mode says: each must be a
 * single-parent commit holding only event.json, event.json.sig and
 * state.json, its event must pass appctl_judge_event, and its state.json
 * must equal the state recomputed from the verified chain. Each event
 * that passes is pushed onto the chain. The first that fails fills
 * *problem and stops the walk (an error is for what could not be read at
 * all). A `head` that does not descend from the chain's head is a problem
 * too ("not a fast-forward").
 */
appctl_error *appctl_log_verify_range(appctl_log_problem *problem,
	appctl_judge_ctx *ctx, const char *head, appctl_progress_fn progress,
	void *progress_arg);

/*
 * The local log, verified: judges (as recorded events, by `now`) every
 * event after the last verified head (appctl_log_checkpoint_read; the root
 * when it is missing or not an ancestor), records the new verified head,
 * and returns the head into `head` ("" without a log) and its trusted
 * state into *state (caller frees; NULL without a log). An event that does
 * not pass is APPCTL_EDENIED naming it, and nothing is recorded.
 */
appctl_error *appctl_log_verified(char head[41], appctl_log_state **state,
	appctl_repo *repo, int64_t now);

/*
 * Records `head` as verified when it was appended, judged, directly on
 * the verified `parent` (so an append by appctl costs no second check).
 */
appctl_error *appctl_log_checkpoint_advance(appctl_repo *repo,
	const char *parent, const char *head);

/*
 * Verifies the local log (appctl_log_verified), then completes what its
 * trusted state records but the refs do not show: an interrupted promote
 * or rollback. `report` as appctl_log_roll_forward.
 */
appctl_error *appctl_log_settle(appctl_repo *repo, int64_t now, char **report);

#endif
