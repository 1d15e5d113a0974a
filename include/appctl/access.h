/* access.h: effective access — who can do what on which resource, seeing which fields. */
#ifndef APPCTL_ACCESS_H
#define APPCTL_ACCESS_H

#include <stddef.h>

#include "appctl/arena.h"
#include "appctl/error.h"
#include "appctl/model.h"

/*
 * A principal's access to one resource of one app: the union over every
 * role they hold (directly or through a group, memberships expired on the
 * evaluation day dropped) of the grants on that resource. A field is visible
 * when any of those grants does not list it in `hidden_fields`.
 */
typedef struct appctl_resource_access {
	const appctl_resource *resource;  /* NULL when the grant names an undefined resource */
	const char *name;
	unsigned actions;
	unsigned char *visible;           /* one flag per resource->fields[i] */
	unsigned temporary;               /* actions held only through temporary
	                                     memberships (a subset of actions) */
	appctl_date until[APPCTL_ACTION_COUNT]; /* for those, by bit index:
	                                     the last day any of them holds */
} appctl_resource_access;

/*
 * How a principal holds one role: directly or through a group, and when a
 * direct membership is temporary (and no group brings the role too), the
 * last day it lasts.
 */
typedef struct appctl_via {
	const appctl_role *role;
	const char *group;                /* NULL: held directly */
	int temporary;
	appctl_date until;                /* when temporary */
} appctl_via;

typedef struct appctl_principal_access {
	const char *principal;
	const appctl_app *app;
	appctl_resource_access *resources; /* sorted by name; only granted ones */
	size_t resource_count;
	const char **via;                  /* "Role" or "Role (group:x)", sorted */
	size_t via_count;
	appctl_via *vias;                  /* the same roles, parallel to via */
} appctl_principal_access;

/*
 * Computes `principal`'s access to `app` on day `at`, with groups from
 * `policy`. All memory comes from `arena`. A principal with no role gets
 * resource_count 0.
 */
appctl_error *appctl_access_of(appctl_principal_access *out,
	appctl_arena *arena, const appctl_app *app, const appctl_policy *policy,
	const char *principal, appctl_date at);

/*
 * The part of appctl_access_of that depends on the app alone, for callers
 * that ask about many principals of one app: build it once (into `arena`,
 * valid while `app` is), then ask appctl_access_of_indexed, which gives
 * exactly what appctl_access_of gives.
 */
typedef struct appctl_access_index appctl_access_index;

appctl_error *appctl_access_index_build(const appctl_access_index **out,
	appctl_arena *arena, const appctl_app *app);

appctl_error *appctl_access_of_indexed(appctl_principal_access *out,
	appctl_arena *arena, const appctl_access_index *index,
	const appctl_policy *policy, const char *principal, appctl_date at);

/*
 * Every principal `app` names (direct members and the members of the groups
 * it references, whether or not a membership has expired), sorted and unique,
 * into arena memory.
 */
appctl_error *appctl_app_principals(const char ***out, size_t *count,
	appctl_arena *arena, const appctl_app *app, const appctl_policy *policy);

/* True when some role of `app` lists "group:<group>". */
int appctl_app_uses_group(const appctl_app *app, const char *group);

/* True when principal is in group `name` of `policy`. */
int appctl_policy_in_group(const appctl_policy *policy, const char *name,
	const char *principal);

/*
 * True when `principal` may approve under `policy`: listed in
 * approvals.approvers directly or through a group.
 */
int appctl_policy_may_approve(const appctl_policy *policy,
	const char *principal);

#endif
