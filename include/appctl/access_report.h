/* access_report.h: what a principal can do in an environment, and since when (service layer). */
#ifndef APPCTL_ACCESS_REPORT_H
#define APPCTL_ACCESS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/arena.h"
#include "appctl/error.h"
#include "appctl/model.h"
#include "appctl/store.h"

/*
 * An app of the environment, parsed only when its text mentions the
 * principal or one of their groups: other apps cannot give them anything,
 * and a large org should not cost a parse of every app per question.
 */
typedef struct appctl_access_app {
	char *dir;
	char blob_id[41];
	char *needle_key;        /* the needles it was filtered with, joined */
	appctl_arena *arena;     /* owns `app`; NULL when the app was skipped */
	appctl_app *app;
} appctl_access_app;

/* One point of the history where the principal's access changed. */
typedef struct appctl_access_step {
	const char *commit;
	int64_t release;         /* the release it is, or -1 for a plain commit */
	char time[21];
	int expiry;              /* caused by an expires date, not a commit */
	const char **granted;    /* "app/resource:action", "app/resource.field (field)" */
	size_t granted_count;
	const char **revoked;
	size_t revoked_count;
} appctl_access_step;

typedef struct appctl_access_state appctl_access_state;

typedef struct appctl_access_report {
	const char *principal;
	const char *env;                 /* as asked, or the last environment */
	char commit[41];                 /* what env points to */
	appctl_date at;
	const appctl_policy *policy;     /* env's policy */
	int may_approve;
	const appctl_access_app *apps;   /* env's apps, in folder order */
	size_t app_count;
	int with_history;
	const appctl_access_step *history;  /* oldest first */
	size_t history_count;
	appctl_arena *arena;             /* for the renderer's own use too */
	appctl_access_state *state;      /* what the views above point into */
} appctl_access_report;

/*
 * The report of `principal` in environment `env` (NULL: the last one of
 * HEAD's appctl.json) on day `at`, read from git objects; with
 * `with_history`, every point where their access changed (SPEC `access
 * --history`): at each release of a protected environment (each commit of
 * the first one, where builders commit), evaluated on the day it was made,
 * and when a temporary membership ended between two of them. Unknown
 * environments are APPCTL_EUSAGE. Free with appctl_access_report_free.
 */
appctl_error *appctl_access_report_load(appctl_access_report **out,
	appctl_repo *repo, const char *principal, const char *env,
	appctl_date at, int with_history);
void appctl_access_report_free(appctl_access_report *report);

#endif
