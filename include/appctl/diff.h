/* diff.h: the semantic diff — changes as facts about access and connections (SPEC §2). */
#ifndef APPCTL_DIFF_H
#define APPCTL_DIFF_H

#include <stddef.h>

#include "appctl/arena.h"
#include "appctl/error.h"
#include "appctl/model.h"

typedef enum {
	APPCTL_RISK_LOW = 0,
	APPCTL_RISK_MEDIUM,
	APPCTL_RISK_HIGH
} appctl_risk;

/*
 * One change. `kind` is one of SPEC §2's kinds or an addition of the kind
 * table (rules.h: access.expiry_extended, page.roles_added, ...); every
 * subject field is NULL
 * when it does not apply. `before` / `after` are JSON texts (a string keeps
 * its quotes), NULL when absent on that side. Strings are owned by the list.
 */
typedef struct appctl_change {
	const char *kind;
	appctl_risk risk;
	const char *app;
	const char *principal;
	const char *role;
	const char *group;
	const char *member;
	const char *resource;
	const char *action;
	const char *field;
	const char *integration;
	const char *scope;
	const char *env;
	const char *path;        /* JSON path in the file, when useful */
	const char *via;         /* for access facts: the structural cause */
	const char *before;
	const char *after;
	/* Additions of issue 13 (NULL when they do not apply): */
	const char *page;        /* page.roles_added / page.roles_removed */
	const char *expires;     /* "YYYY-MM-DD": the last day of a temporary
	                            membership the change comes with or through */
	const char *owner;       /* integration.added / removed: its owner */
	const char *scopes;      /* ... its scopes, a JSON array text */
	const char *credentials; /* ... its credential references, a JSON
	                            object text (env -> reference) */
} appctl_change;

typedef struct appctl_changes {
	appctl_arena *arena;
	appctl_change *items;
	size_t count;
	size_t cap;
} appctl_changes;

/* Prepares an empty list; 0 on success, -1 out of memory. */
int appctl_changes_init(appctl_changes *changes);
void appctl_changes_dispose(appctl_changes *changes);

/*
 * Room for `more` changes after the last: returns the first free slot, or
 * NULL when out of memory. The caller fills slots (strings that live as
 * long as changes->arena: in it, or static) and then adds to ->count.
 */
appctl_change *appctl_changes_reserve(appctl_changes *changes, size_t more);

/*
 * Sorts into the stable output order: by app (policy-level changes first),
 * risk (high first), kind, then the subject fields.
 */
void appctl_changes_sort(appctl_changes *changes);

/* Sorts the changes from index `start` on alone, in the same order. */
void appctl_changes_sort_range(appctl_changes *changes, size_t start);

/*
 * appctl_changes_sort for a list made of runs each sorted already, run k
 * ending before index ends[k] (the last at changes->count): when each run
 * follows the one before in order, one compare a seam does.
 */
void appctl_changes_sort_runs(appctl_changes *changes, const size_t *ends,
	size_t runs);

/* 1 when two changes say the same (every field, NULL told apart), else 0. */
int appctl_change_equal(const appctl_change *a, const appctl_change *b);

/* Counts by risk into counts[APPCTL_RISK_*]. */
void appctl_changes_summary(const appctl_changes *changes, size_t counts[3]);

const char *appctl_risk_name(appctl_risk risk);
/* Parses "high" / "medium" / "low"; 0 on success. */
int appctl_risk_parse(appctl_risk *out, const char *s);

/*
 * Policy-level changes between two revisions: policy.changed (one per
 * top-level policy key that changed, and per group named by `approvals`
 * whose members changed), signers.changed (per allowed_signers line),
 * group.member_added/removed, and other.changed for groups added/removed.
 * Either policy may not be NULL; signers texts may be "".
 */
appctl_error *appctl_diff_policy(appctl_changes *out,
	const appctl_policy *old_policy, const char *old_signers,
	const appctl_policy *new_policy, const char *new_signers);

/*
 * Changes in one app: structural kinds (role.*, integration.*, data.*, app.*,
 * other.changed) and the access facts (access.*, field.*) they cause, plus
 * those caused by group changes between the policies. `old_app` NULL means
 * the app was added, `new_app` NULL that it was removed. When
 * `principals` is not NULL only those principals' access is compared (the
 * caller knows the app's file is unchanged and only these principals' group
 * memberships moved); NULL compares everyone the app names on either side.
 */
appctl_error *appctl_diff_app(appctl_changes *out,
	const appctl_app *old_app, const appctl_policy *old_policy,
	const appctl_app *new_app, const appctl_policy *new_policy,
	const char *const *principals, size_t principal_count, appctl_date at);

/*
 * Principals whose membership of some group differs between the policies,
 * with the groups concerned: *groups receives the changed group names.
 * All into `arena`, sorted and unique.
 */
appctl_error *appctl_diff_group_moves(const char ***principals,
	size_t *principal_count, const char ***groups, size_t *group_count,
	appctl_arena *arena, const appctl_policy *old_policy,
	const appctl_policy *new_policy);

/*
 * The whole diff of two parsed snapshots (policy, signers, every app), in
 * output order. For callers that already hold both snapshots (rollback,
 * approvals); `appctl diff` itself avoids parsing unchanged apps.
 */
appctl_error *appctl_diff_snapshots(appctl_changes *out,
	const appctl_snapshot *old_snap, const appctl_snapshot *new_snap,
	appctl_date at);

#endif
