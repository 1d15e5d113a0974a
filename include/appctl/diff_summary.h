/* diff_summary.h: a semantic diff grouped by cause, for reviews that fit on a page (`appctl diff --summary`). */
#ifndef APPCTL_DIFF_SUMMARY_H
#define APPCTL_DIFF_SUMMARY_H

#include <stddef.h>

#include "appctl/arena.h"
#include "appctl/diff.h"
#include "appctl/error.h"

/*
 * One cause and every change it explains. A cause is the change a reviewer
 * decides on: a group membership (whose access facts reach every app that
 * uses the group), a role change (whose access facts follow in its app), an
 * added or removed app, or any other change. The same structural change in
 * several apps (say, one member added to role Admin in 40 apps) is one cause.
 */
typedef struct appctl_diff_cause {
	/* The change that names the cause: its app, if any, is one of `apps`. */
	const appctl_change *cause;
	size_t change_count;      /* every change of the group, cause included */
	size_t counts[3];         /* those changes by risk (APPCTL_RISK_*) */
	appctl_risk risk;         /* the highest of them */
	size_t granted;           /* access.granted and field.exposed facts */
	size_t revoked;           /* access.revoked and field.hidden facts */
	const char **apps;        /* the apps concerned, sorted, unique */
	size_t app_count;
	size_t principal_count;   /* distinct principals whose access changed */
	size_t key_order;         /* rank of the cause's identity: the last tie-break */
} appctl_diff_cause;

/* A count of changes under one name (an app or a principal). */
typedef struct appctl_diff_tally {
	const char *name;
	size_t count;
	size_t counts[3];
} appctl_diff_tally;

/*
 * The grouped view of one list of changes. Everything is owned by the
 * summary (pointers into the changes list stay valid while that list
 * lives); free it with appctl_diff_summary_free.
 */
typedef struct appctl_diff_summary {
	appctl_arena *arena;
	/* Highest risk first, then the most changes, then a stable key. */
	appctl_diff_cause *causes;
	size_t cause_count;
	/* For each change of the list, by index: the index of its cause. */
	size_t *cause_of;
	/* Most changes first, then by name. Policy-level changes have no app. */
	appctl_diff_tally *apps;
	size_t app_count;
	appctl_diff_tally *principals;
	size_t principal_count;
} appctl_diff_summary;

/*
 * Groups `changes` (in any order) by cause. The changes list must outlive
 * the summary, which points into it. Returns NULL and sets *out, or an
 * out-of-memory error. The caller frees *out with appctl_diff_summary_free.
 */
appctl_error *appctl_diff_summarize(appctl_diff_summary **out,
	const appctl_changes *changes);

/* Frees a summary; NULL is a no-op. */
void appctl_diff_summary_free(appctl_diff_summary *summary);

/* True for the access facts (access.*, field.*) that other changes cause. */
int appctl_diff_is_access_fact(const appctl_change *change);

#endif
