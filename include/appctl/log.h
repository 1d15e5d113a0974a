/* log.h: the event log refs/appctl/log and the refs that follow it (storage layer). */
#ifndef APPCTL_LOG_H
#define APPCTL_LOG_H

#include <stddef.h>

#include "appctl/error.h"
#include "appctl/event.h"
#include "appctl/store.h"

#define APPCTL_LOG_REF "refs/appctl/log"

/*
 * The head of the log: its commit id into `head` ("" when there is no log
 * yet) and its derived state into *state (NULL when there is no log; the
 * caller frees it with appctl_log_state_free). A log commit that is
 * malformed is APPCTL_EINPUT naming "<commit>:state.json".
 */
appctl_error *appctl_log_head(char head[41], appctl_log_state **state,
	appctl_repo *repo);

/*
 * Called for each event from newest to oldest. Set *stop to end the walk.
 * The event is freed after the call: copy what must outlive it.
 */
typedef appctl_error *(*appctl_log_fn)(const appctl_event *ev, void *arg,
	int *stop);

/*
 * Walks the log from log commit `from` (NULL: the head) to the root along
 * first parents, parsing each event strictly (id, log_commit, json and
 * signature filled). A malformed event stops the walk with APPCTL_EINPUT
 * naming "<log commit>:event.json".
 */
appctl_error *appctl_log_walk(appctl_repo *repo, const char *from,
	appctl_log_fn fn, void *arg);

/*
 * The git blob id that `event_json` will have once stored: the event's id.
 * `out` receives 40 hex digits.
 */
appctl_error *appctl_log_event_id(char out[41], appctl_repo *repo,
	const char *event_json);

/*
 * Appends one event as a commit on top of `expected_head` ("" when the log
 * must not exist yet): writes the tree (event.json, event.json.sig when
 * `signature` is not NULL, state.json) and moves refs/appctl/log with one
 * compare-and-swap under its lock, with fsync on. When the log is no longer
 * at `expected_head`, or its lock is held (GIT_ELOCKED), nothing is changed
 * and the error is APPCTL_ECONFLICT. The new log commit goes to `out`.
 */
appctl_error *appctl_log_append(char out[41], appctl_repo *repo,
	const char *expected_head, const char *event_json, const char *signature,
	const char *state_json);

/*
 * Appends an event that does not release anything (approve, revoke):
 * reads the head, computes the next state, appends; on APPCTL_ECONFLICT
 * retries with jittered exponential backoff, bounded (about 20 attempts
 * over ~10 s), so that parallel approvals are all recorded. Returns
 * APPCTL_ECONFLICT only when the retries run out. `out` gets the log commit,
 * `event_id` the event's id.
 */
appctl_error *appctl_log_append_retry(char out[41], char event_id[41],
	appctl_repo *repo, const appctl_event *ev, const char *event_json,
	const char *signature);

/*
 * Completes what `state` records but the refs do not show yet: for every
 * environment, moves refs/heads/<env> from the state's `previous` commit to its `commit` (an
 * interrupted promote or rollback) and creates a missing
 * refs/tags/release/<env>/<N>. `state` must be trusted: derived from
 * events that passed the judge (appctl_log_verified), never a state.json
 * as read. A branch or tag found anywhere else is left alone (audit
 * reports it). Idempotent. `report` (may be NULL) receives one line per
 * repair; the caller frees it with free().
 */
appctl_error *appctl_log_roll_forward(appctl_repo *repo,
	const appctl_log_state *state, char **report);

/*
 * The last log head every event up to which passed the judge, recorded
 * under the git directory ("" when none or unreadable: then the log is
 * verified from its root). A cache: deleting it costs one full check.
 */
appctl_error *appctl_log_checkpoint_read(char out[41], appctl_repo *repo);

/* Records `head` as verified (a temporary file renamed over the old one). */
appctl_error *appctl_log_checkpoint_write(appctl_repo *repo, const char *head);

/*
 * Compare-and-swap of one ref: from `old_hex` (NULL: must not exist) to
 * `new_hex`. A ref found elsewhere, or locked, is APPCTL_ECONFLICT.
 */
appctl_error *appctl_ref_cas(appctl_repo *repo, const char *name,
	const char *old_hex, const char *new_hex, const char *log_message);

/* The commit a ref points to (peeled); *found 0 when it does not exist. */
appctl_error *appctl_ref_read(char out[41], int *found, appctl_repo *repo,
	const char *name);

/* The tree id of a commit. */
appctl_error *appctl_commit_tree(char out[41], appctl_repo *repo,
	const char *commit_hex);

/* True (1) when `ancestor` is `commit` or reachable from it, else 0. */
appctl_error *appctl_commit_reaches(int *out, appctl_repo *repo,
	const char *commit, const char *ancestor);

/*
 * The author and committer e-mails of the commits reachable from `to` but
 * not from `from` (the change a promotion carries, merges included): the
 * people who may not approve it. Sorted and unique. The caller frees
 * each string and the array with free().
 */
appctl_error *appctl_commit_authors(char ***out, size_t *count,
	appctl_repo *repo, const char *from, const char *to);

#endif
