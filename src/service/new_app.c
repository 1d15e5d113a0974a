/* new_app.c: `appctl new app`: a scaffold checked against the working tree's policy, then written. */
#include "appctl/new_app.h"

#include <stdlib.h>
#include <string.h>

#include "appctl/lint.h"
#include "appctl/strbuf.h"

void appctl_new_app_result_free(appctl_new_app_result *r)
{
	if (!r)
		return;
	free(r->path);
	free(r->text);
	free(r->business_owner);
	free(r->technical_owner);
	free(r->role_names);
	free(r);
}

/*
 * Runs the linter over `snap` and counts its findings in `file` (0 and 0
 * is clean): what the rest of the tree holds is not the scaffold's doing.
 */
static appctl_error *lint_counts(size_t *errors, size_t *warnings,
	const appctl_snapshot *snap, const char *file, appctl_date today)
{
	appctl_findings findings = APPCTL_FINDINGS_INIT;
	appctl_error *err = appctl_lint(&findings, snap, today);
	size_t i;

	*errors = *warnings = 0;
	for (i = 0; !err && i < findings.count; i++) {
		if (!findings.items[i].file ||
		    strcmp(findings.items[i].file, file) != 0)
			continue;
		if (findings.items[i].severity == APPCTL_SEV_ERROR)
			(*errors)++;
		else
			(*warnings)++;
	}
	appctl_findings_dispose(&findings);
	return err;
}

appctl_error *appctl_new_app(appctl_new_app_result **out, appctl_repo *repo,
	const appctl_new_app_request *req)
{
	appctl_new_app_result *r = NULL;
	appctl_snapshot *snap = NULL, *after = NULL;
	appctl_scaffold_spec spec;
	appctl_error *err = NULL;
	const char *workdir = appctl_repo_workdir(repo);
	const appctl_role_template *roles;
	appctl_strbuf names = APPCTL_STRBUF_INIT;
	char *email = NULL;
	size_t errors, warnings, role_count, i;

	*out = NULL;
	if (!workdir)
		return appctl_error_new(APPCTL_EUSAGE,
			"new app writes the working tree; this repository has none");
	if (!appctl_name_is_valid(req->name))
		return appctl_error_new(APPCTL_EUSAGE, "'%s' is not a valid app "
			"name (use [a-z0-9][a-z0-9-]{0,62})", req->name);
	r = calloc(1, sizeof(*r));
	if (!r)
		return appctl_error_nomem();
	/* The working tree is what the builder will validate and commit. */
	err = appctl_worktree_load_snapshot(&snap, workdir);
	if (err)
		goto cleanup;
	if (appctl_snapshot_app(snap, req->name)) {
		err = appctl_error_new(APPCTL_EUSAGE, "app '%s' already exists "
			"(apps/%s/app.json)", req->name, req->name);
		goto cleanup;
	}
	if (!req->business_owner || !req->technical_owner) {
		err = appctl_repo_config_string(&email, repo, "user.email");
		if (err)
			goto cleanup;
		if (!email) {
			err = appctl_error_new(APPCTL_EUSAGE, "name the owners with "
				"--owner and --technical-owner (git config user.email "
				"is not set)");
			goto cleanup;
		}
	}
	memset(&spec, 0, sizeof(spec));
	spec.name = req->name;
	spec.app_class = req->app_class;
	spec.business_owner = req->business_owner ? req->business_owner : email;
	spec.technical_owner = req->technical_owner ? req->technical_owner : email;
	r->business_owner = strdup(spec.business_owner);
	r->technical_owner = strdup(spec.technical_owner);
	r->path = malloc(strlen(req->name) + sizeof("apps//app.json"));
	if (!r->business_owner || !r->technical_owner || !r->path) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	memcpy(r->path, "apps/", 5);
	memcpy(r->path + 5, req->name, strlen(req->name));
	memcpy(r->path + 5 + strlen(req->name), "/app.json", sizeof("/app.json"));
	appctl_scaffold_roles(&roles, &role_count, &r->from_policy,
		snap->policy, req->app_class);
	for (i = 0; i < role_count; i++)
		appctl_strbuf_printf(&names, "%s%s", i ? ", " : "",
			roles[i].role);
	r->role_names = appctl_strbuf_detach(&names);
	if (!r->role_names) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = appctl_scaffold_app(&r->text, snap->policy, &spec);
	if (err)
		goto cleanup;
	err = appctl_worktree_create_file(workdir, r->path, r->text,
		strlen(r->text));
	if (err)
		goto cleanup;
	/*
	 * The promise is "validates clean": check it on the tree as it now is,
	 * and take the file back if it does not hold (an organisation's rules
	 * may ask for more than a scaffold can know).
	 */
	err = appctl_worktree_load_snapshot(&after, workdir);
	if (!err)
		err = lint_counts(&errors, &warnings, after, r->path,
			req->today);
	if (!err && (errors || warnings))
		err = appctl_error_new(APPCTL_EDENIED, "the scaffold for '%s' "
			"would not validate clean (%zu errors, %zu warnings); "
			"nothing written", req->name, errors, warnings);
	if (err) {
		appctl_worktree_remove_file(workdir, r->path);
		goto cleanup;
	}
	r->errors = errors;
	r->warnings = warnings;
	*out = r;
	r = NULL;
cleanup:
	appctl_snapshot_free(after);
	appctl_snapshot_free(snap);
	free(email);
	appctl_new_app_result_free(r);
	return err;
}
