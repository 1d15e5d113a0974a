/* push_check.h: the rules a pushed set of ref updates must satisfy (SPEC §4), judged by the one judge; shared by every hook (service layer). */
#ifndef APPCTL_PUSH_CHECK_H
#define APPCTL_PUSH_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/error.h"
#include "appctl/store.h"

/* One ref update as git hands it to a hook. */
typedef struct appctl_ref_update {
	char *ref;
	char old_id[41];       /* "" for git's zero id: the ref is created */
	char new_id[41];       /* "" for git's zero id: the ref is deleted */
	char *reason;          /* filled: NULL accepted, else why refused */
	char *note;            /* filled (advisory mode): why it could not be checked */
} appctl_ref_update;

/*
 * Judges `updates` together, as one push, against the repository `repo`
 * whose event log stood at `log_head` ("" when it had none) before them
 * (when they move the log, at the old value they move it from), by the
 * clock `now`: the event log only grows, by events that pass the judge as
 * received events (appctl_judge_event, APPCTL_JUDGE_RECEIVED: not dated
 * ahead of `now`, signatures valid now, every claim checked against the
 * verified chain); a protected environment branch moves only as the
 * releases of the log (as it is after this push) record; release tags are
 * created once, where the log says; everything else passes. Fills each
 * update's `reason`. With `advisory` (pre-push), what cannot be checked
 * here (an object missing, an I/O error) fills `note` instead of refusing.
 * Returns an error only when the check itself could not run.
 */
appctl_error *appctl_push_check(appctl_repo *repo, const char *log_head,
	appctl_ref_update *updates, size_t count, int advisory, int64_t now);

#endif
