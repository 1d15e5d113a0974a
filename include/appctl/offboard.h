/* offboard.h: what removing a person from the definitions changes and finds (pure). */
#ifndef APPCTL_OFFBOARD_H
#define APPCTL_OFFBOARD_H

#include <stddef.h>

#include "appctl/arena.h"
#include "appctl/error.h"
#include "appctl/model.h"

/* What was found, and what the change does about it. */
typedef enum {
	APPCTL_OFFB_REMOVED = 0,      /* taken out by the change */
	APPCTL_OFFB_REASSIGNED,       /* an ownership handed to --reassign-to */
	APPCTL_OFFB_UNOWNED,          /* an ownership nobody takes over: refused */
	APPCTL_OFFB_IDP               /* an identity-provider group: not editable here */
} appctl_offboard_outcome;

typedef struct appctl_offboard_item {
	const char *kind;     /* "group", "idp_group", "role_member", "approver",
	                         "signer", "app_owner", "integration_owner" */
	const char *file;     /* repository-relative */
	const char *app;      /* or NULL */
	const char *name;     /* group, role, "business"/"technical", integration,
	                         or the signer line's number */
	const char *expires;  /* a temporary role membership's last day, or NULL */
	appctl_offboard_outcome outcome;
} appctl_offboard_item;

/* One file's new text. */
typedef struct appctl_offboard_file {
	const char *path;
	char *text;           /* arena memory */
	size_t len;
} appctl_offboard_file;

typedef struct appctl_offboard_plan {
	appctl_offboard_item *items;  /* in file order: policy, signers, apps */
	size_t item_count;
	appctl_offboard_file *files;  /* only the files that change */
	size_t file_count;
	size_t unowned;               /* items with APPCTL_OFFB_UNOWNED */
} appctl_offboard_plan;

/* "removed", "reassigned", "no owner left", "remove in the identity provider". */
const char *appctl_offboard_outcome_name(appctl_offboard_outcome o);

/*
 * Plans the removal of `principal` (compared case-insensitively) from
 * `snap`: every group of appctl.json, every role member list (plain and
 * temporary memberships), approvals.approvers and its lines in the signers
 * file are edited out; ownerships (app business/technical owners,
 * integration owners) are handed to `reassign_to`, or, when it is NULL,
 * reported as APPCTL_OFFB_UNOWNED (and counted in `unowned`); groups from
 * an identity-provider export are reported, never edited. `texts` are the
 * files' current bytes (appctl.json, the signers file, every app.json),
 * matched by path: the new texts are the old ones with exactly those
 * values taken out or replaced, the rest of each file byte for byte as it
 * was. All memory from `arena`. A text that does not match the snapshot
 * is an APPCTL_EINPUT error.
 */
appctl_error *appctl_offboard_plan_build(appctl_offboard_plan *out,
	appctl_arena *arena, const appctl_snapshot *snap,
	const appctl_file *texts, size_t text_count, const char *principal,
	const char *reassign_to);

/*
 * The allowed-signers text without `principal`: lines naming only them
 * go, lines naming others too lose that name from their principals list;
 * comments, blank lines and every other byte stay. *removed receives the
 * 1-based numbers of the lines touched (arena memory, *removed_count).
 * Returns NULL out of memory.
 */
char *appctl_signers_without(appctl_arena *arena, const char *text,
	size_t len, const char *principal, size_t **removed,
	size_t *removed_count, size_t *out_len);

#endif
