/* hook_check.h: reading what git hands a hook: the ref updates of a push. */
#ifndef APPCTL_HOOK_CHECK_H
#define APPCTL_HOOK_CHECK_H

#include <stddef.h>

#include "appctl/error.h"
#include "appctl/push_check.h"

/*
 * Parses hook input: lines "OLD NEW REF" (pre-receive, `pre_push` 0) or
 * "LOCAL_REF LOCAL_ID REMOTE_REF REMOTE_ID" (pre-push, `pre_push` 1, read
 * as REMOTE_REF going from REMOTE_ID to LOCAL_ID). Ids must be 40 hex
 * digits; all zeros is "". A malformed line is APPCTL_EINPUT naming it.
 * The caller frees *out with hook_updates_free.
 */
appctl_error *hook_updates_parse(appctl_ref_update **out, size_t *count,
	const char *text, size_t len, int pre_push);

/* Frees the updates and what the check filled in; NULL is a no-op. */
void hook_updates_free(appctl_ref_update *updates, size_t count);

#endif
