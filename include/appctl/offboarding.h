/* offboarding.h: `appctl offboard`, one reviewed commit that removes a person everywhere (service layer). */
#ifndef APPCTL_OFFBOARDING_H
#define APPCTL_OFFBOARDING_H

#include <stddef.h>

#include "appctl/access.h"
#include "appctl/error.h"
#include "appctl/offboard.h"
#include "appctl/store.h"

typedef struct appctl_offboard_request {
	const char *principal;
	const char *reassign_to;      /* or NULL */
	const char *message;          /* the commit's subject, or NULL */
	int dry_run;
	appctl_date today;            /* for the access they hold now */
} appctl_offboard_request;

typedef struct appctl_offboard_result {
	appctl_arena *arena;
	appctl_snapshot *snap;        /* the first environment's head, before */
	const char *env;              /* the first environment */
	char base[41];                /* its head before */
	char commit[41];              /* the new commit, "" when none was written */
	appctl_offboard_plan plan;
	appctl_principal_access *access;  /* what they can do there now, per app */
	size_t access_count;              /* only apps where they hold a role */
	int may_approve;              /* before the change */
	int refused;                  /* ownerships would be left without owner */
	char *message;                /* the commit message written (or planned) */
	char *note;                   /* about the working tree, or NULL */
} appctl_offboard_result;

/*
 * Plans (appctl_offboard_plan_build) the removal of req->principal from the
 * head of the first environment of HEAD's appctl.json and, unless dry_run,
 * refused (an ownership with no --reassign-to: nothing is written) or
 * there is nothing to change, writes it as one ordinary commit on that
 * branch with appctl_repo_commit_files (a branch that moved is
 * APPCTL_ECONFLICT). The caller frees *out with
 * appctl_offboard_result_free; it is set whenever the plan was made, also
 * when refused.
 */
appctl_error *appctl_offboard(appctl_offboard_result **out, appctl_repo *repo,
	const appctl_offboard_request *req);

void appctl_offboard_result_free(appctl_offboard_result *r);

#endif
