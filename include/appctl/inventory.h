/* inventory.h: every app with its owners, connections and how many can do what; and who can do one thing. */
#ifndef APPCTL_INVENTORY_H
#define APPCTL_INVENTORY_H

#include <stddef.h>

#include "appctl/arena.h"
#include "appctl/error.h"
#include "appctl/model.h"

/* The questions an access review asks of each app, as columns. */
typedef enum {
	APPCTL_INV_READ = 0,   /* read on some resource */
	APPCTL_INV_WRITE,      /* create, update or delete on some resource */
	APPCTL_INV_EXPORT,     /* export on some resource */
	APPCTL_INV_ADMIN,      /* admin on some resource */
	APPCTL_INV_PII,        /* some action on a resource with a visible pii field */
	APPCTL_INV_RESTRICTED, /* the same for a restricted field */
	APPCTL_INV_COUNT
} appctl_inventory_kind;

/* "read", "write", "export", "admin", "pii", "restricted". */
const char *appctl_inventory_kind_name(appctl_inventory_kind kind);

typedef struct appctl_inventory_row {
	const appctl_app *app;
	/* Per kind: the principals (groups expanded, expiries applied), sorted. */
	const char **principals[APPCTL_INV_COUNT];
	size_t principal_count[APPCTL_INV_COUNT];
} appctl_inventory_row;

/*
 * One row per app of `snap`, in app order, evaluated on day `at` (groups
 * from the policy, memberships that ended before `at` dropped, exactly as
 * `appctl access` computes them). Memory from `arena`; nothing else to free.
 */
appctl_error *appctl_inventory_build(appctl_inventory_row **out,
	size_t *count, appctl_arena *arena, const appctl_snapshot *snap,
	appctl_date at);

/* One line of an access review: one principal's access to one app. */
typedef struct appctl_review_row {
	const appctl_app *app;
	const char *principal;
	const char *via;          /* "Agent, Viewer (group:support)" */
	const char *access;       /* "customers: read, export; tickets: read" */
	unsigned kinds;           /* bits 1 << appctl_inventory_kind */
	const char *expires;      /* the last day of a temporary membership that
	                             gives access, the earliest; NULL: none */
} appctl_review_row;

/*
 * One row per app and principal with any access on day `at` (groups
 * expanded, expired memberships dropped), by app then principal: what an
 * auditor signs off line by line. Memory from `arena`.
 */
appctl_error *appctl_access_review_build(appctl_review_row **out,
	size_t *count, appctl_arena *arena, const appctl_snapshot *snap,
	appctl_date at);

/*
 * The environments of the policy an integration has no credential for, in
 * promotion order, into arena memory (*count may be 0).
 */
appctl_error *appctl_integration_missing_credentials(const char ***out,
	size_t *count, appctl_arena *arena, const appctl_integration *integ,
	const appctl_policy *policy);

/* ---- who-can ---- */

/* One way a principal holds the power asked about. */
typedef struct appctl_who_can_path {
	const char *app;
	const char *role;
	const char *group;        /* NULL: a direct member */
	const char *expires;      /* "YYYY-MM-DD" for a temporary membership, or NULL */
} appctl_who_can_path;

typedef struct appctl_who_can_entry {
	const char *principal;
	appctl_who_can_path *paths;  /* sorted by app, role, group */
	size_t path_count;
} appctl_who_can_entry;

typedef struct appctl_who_can_query {
	unsigned action;          /* one APPCTL_ACTION_* bit */
	const char *resource;
	const char *field;        /* NULL: the resource as a whole */
	const char *app;          /* NULL: every app */
} appctl_who_can_query;

/*
 * Who can do `q->action` on `q->resource` (and, with `q->field`, also sees
 * that field) on day `at`, across the apps of `snap` (or `q->app` only).
 * A principal qualifies when their effective access (access.h) has the
 * action on the resource and the field visible; their paths are the roles
 * they hold that grant the action on the resource, each by membership
 * (direct, with its expiry, or through a group). Sorted by principal.
 * *apps_with_resource counts the apps that define the resource (and field),
 * so callers can tell "nobody" from "no such thing". Memory from `arena`.
 */
appctl_error *appctl_who_can(appctl_who_can_entry **out, size_t *count,
	size_t *apps_with_resource, appctl_arena *arena,
	const appctl_snapshot *snap, const appctl_who_can_query *q,
	appctl_date at);

#endif
