/* new_app.h: `appctl new app`, a scaffold written into the working tree (service layer). */
#ifndef APPCTL_NEW_APP_H
#define APPCTL_NEW_APP_H

#include <stddef.h>

#include "appctl/error.h"
#include "appctl/model.h"
#include "appctl/scaffold.h"
#include "appctl/store.h"

typedef struct appctl_new_app_request {
	const char *name;
	appctl_app_class app_class;
	const char *business_owner;   /* NULL: git config user.email */
	const char *technical_owner;  /* NULL: git config user.email */
	appctl_date today;            /* for the lint check */
} appctl_new_app_request;

typedef struct appctl_new_app_result {
	char *path;                   /* "apps/<name>/app.json" */
	char *text;                   /* what was written */
	char *business_owner;
	char *technical_owner;
	char *role_names;             /* "Admin, Editor, Viewer" */
	int from_policy;              /* roles from the policy's role_templates */
	size_t errors, warnings;      /* lint findings in the new file: 0, 0 */
} appctl_new_app_result;

/*
 * Writes apps/<name>/app.json into the repository's working tree (never a
 * commit): the scaffold of scaffold.h under the working tree's appctl.json.
 * An invalid name, an existing app or file is APPCTL_EUSAGE; an invalid
 * working tree is APPCTL_EINPUT (as `validate --worktree` says); a scaffold
 * that would not validate clean is APPCTL_EDENIED and is not left behind.
 * The caller frees *out with appctl_new_app_result_free.
 */
appctl_error *appctl_new_app(appctl_new_app_result **out, appctl_repo *repo,
	const appctl_new_app_request *req);

void appctl_new_app_result_free(appctl_new_app_result *r);

#endif
