/* hook_check.h: the rules a pushed set of ref updates must satisfy (SPEC §4), shared by every hook and by sync. */
#ifndef APPCTL_HOOK_CHECK_H
#define APPCTL_HOOK_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/error.h"
#include "appctl/event.h"
#include "appctl/store.h"

/* One ref update as git hands it to a hook. */
typedef struct hook_update {
	char *ref;
	char old_id[41];       /* "" for git's zero id: the ref is created */
	char new_id[41];       /* "" for git's zero id: the ref is deleted */
	char *reason;          /* filled: NULL accepted, else why refused */
	char *note;            /* filled (advisory mode): why it could not be checked */
} hook_update;

/*
 * Parses hook input: lines "OLD NEW REF" (pre-receive, `pre_push` 0) or
 * "LOCAL_REF LOCAL_ID REMOTE_REF REMOTE_ID" (pre-push, `pre_push` 1, read
 * as REMOTE_REF going from REMOTE_ID to LOCAL_ID). Ids must be 40 hex
 * digits; all zeros is "". A malformed line is APPCTL_EINPUT naming it.
 * The caller frees *out with hook_updates_free.
 */
appctl_error *hook_updates_parse(hook_update **out, size_t *count,
	const char *text, size_t len, int pre_push);

/* Frees the updates and what the check filled in; NULL is a no-op. */
void hook_updates_free(hook_update *updates, size_t count);

/*
 * Judges `updates` together, as one push, against the repository `repo`
 * whose event log stood at `log_head` ("" when it had none) before them
 * (when they move the log, at the old value they move it from):
 * the event log only grows, by well-formed events whose signatures verify
 * now; a protected environment branch moves only as a promote or rollback
 * event of the log (as it is after this push) records, judged again by
 * the policy of the branch's old commit; release tags are created once,
 * where the log says; everything else passes. Fills each update's
 * `reason`. With `advisory` (pre-push), what cannot be checked here (an
 * object missing, an I/O error) fills `note` instead of refusing. Returns
 * an error only when the check itself could not run (out of memory).
 */
appctl_error *hook_check(appctl_repo *repo, const char *log_head,
	hook_update *updates, size_t count, int advisory);

/*
 * The commit release `release` of `env` was made at, as the log whose head
 * is `log_head` records it (walking back from the head; the init event
 * for release 0). *found is 0 when the log has no such release.
 */
appctl_error *hook_find_release(char out[41], int *found, appctl_repo *repo,
	const char *log_head, const char *env, int64_t release);

#endif
