/* scaffold.h: the app.json `appctl new app` writes, and the default role model per class. */
#ifndef APPCTL_SCAFFOLD_H
#define APPCTL_SCAFFOLD_H

#include <stddef.h>

#include "appctl/error.h"
#include "appctl/model.h"

/*
 * The roles a new app of `cls` starts with: the policy's role_templates for
 * that class when it has some, else the built-in table (dashboard: Viewer
 * read; admin_panel: Admin, Editor, Viewer; client_portal: Support, Viewer,
 * with no export, delete or admin). *out points into the policy or into
 * static memory; nothing to free. *from_policy says which.
 */
void appctl_scaffold_roles(const appctl_role_template **out, size_t *count,
	int *from_policy, const appctl_policy *policy, appctl_app_class cls);

/* What a scaffold needs to know. */
typedef struct appctl_scaffold_spec {
	const char *name;                /* a valid app name */
	appctl_app_class app_class;
	const char *business_owner;      /* valid principals */
	const char *technical_owner;
} appctl_scaffold_spec;

/*
 * The text of apps/<name>/app.json for `spec` (2-space indentation, final
 * newline): one starter data set "records" (stored, 365 days' retention,
 * a tenant_key for client portals), the roles of appctl_scaffold_roles
 * granting their actions on it, the technical owner as the member of the
 * most powerful role and the business owner of the least powerful one, and
 * one page for every role. It validates with
 * no finding under `policy`. Invalid names or owners are APPCTL_EUSAGE.
 * The caller frees *out with free().
 */
appctl_error *appctl_scaffold_app(char **out, const appctl_policy *policy,
	const appctl_scaffold_spec *spec);

#endif
