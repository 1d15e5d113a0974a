/* scim.h: groups from an identity provider's SCIM 2.0 export, merged into the policy. */
#ifndef APPCTL_SCIM_H
#define APPCTL_SCIM_H

#include <stddef.h>

#include "appctl/arena.h"
#include "appctl/error.h"
#include "appctl/model.h"

/*
 * A SCIM 2.0 ListResponse (RFC 7644 §3.4.2) committed in the repository and
 * named by appctl.json's "groups_from". Only its Group resources become
 * groups; its User resources serve to name the members. The rules (also in
 * docs/groups-from-idp.md):
 *
 * - A group's appctl name is its displayName lowercased, every run of
 *   characters outside [a-z0-9._-] turned into one '-', leading and trailing
 *   '-', '.', '_' dropped. A displayName that gives no valid group name
 *   (empty, or over 63 characters) is skipped: nothing can reference it.
 * - A member is named, in this order, by the userName of the User resource
 *   of the same file whose id is its "value", that user's primary e-mail,
 *   its first e-mail; without such a User, by its "display", then its
 *   "value". The first of these that is a valid principal wins, lowercased.
 *   A member that none of them names, and a nested group (a member whose
 *   "type" is "Group" or whose value is the id of a Group of the file), are
 *   input errors: appctl never guesses who someone is.
 * - Duplicate members are listed once.
 */
typedef struct appctl_scim_group {
	const char *name;          /* the appctl group name */
	const char *display_name;  /* as exported */
	size_t index;              /* position in Resources, for JSON paths */
	const char **members;      /* principals, file order, unique */
	size_t member_count;
} appctl_scim_group;

/*
 * Parses one export. On success *out (arena memory, `*count` entries, in
 * file order) lives as long as `arena`. Malformed JSON, a missing
 * ListResponse schema, wrong types and unnamed members are APPCTL_EINPUT
 * errors naming `file->path` and the JSON path.
 */
appctl_error *appctl_scim_parse(appctl_scim_group **out, size_t *count,
	appctl_arena *arena, const appctl_file *file);

/*
 * Writes the appctl group name for a SCIM displayName into `buf` (at least
 * 64 bytes); returns 0, or -1 when it gives no valid group name.
 */
int appctl_scim_group_name(char *buf, size_t len, const char *display_name);

/*
 * Adds the groups of every file `policy->groups_from` names to
 * `policy->groups` (kept sorted, `source` set to the file's path). `files`
 * are the files read for those paths, in any order; a path without a file
 * is an APPCTL_EINPUT "no such file" error. A group defined both in
 * appctl.json and in an export, or in two exports, is an APPCTL_EINPUT
 * error: one group has one source of truth. Memory comes from `arena`.
 */
appctl_error *appctl_policy_merge_scim(appctl_policy *policy,
	appctl_arena *arena, const appctl_file *files, size_t count);

#endif
