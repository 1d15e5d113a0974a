/* review.c: loading an environment for the inventory and who-can reports. */
#include "appctl/review.h"

#include <stdlib.h>
#include <string.h>

/* `env`, or the last environment of HEAD's policy (production, normally). */
static appctl_error *base_load(appctl_review_base *base, appctl_repo *repo,
	const char *env, appctl_date at)
{
	appctl_error *err;
	appctl_snapshot *head = NULL;
	char commit[41];

	memset(base, 0, sizeof(*base));
	base->at = at;
	base->arena = appctl_arena_new();
	if (!base->arena)
		return appctl_error_nomem();
	if (!env) {
		err = appctl_repo_resolve(commit, repo, "HEAD");
		if (err)
			return appctl_error_wrap(err,
				"cannot tell the environments, name one");
		err = appctl_repo_load_snapshot(&head, repo, commit);
		if (err)
			return err;
		if (!head->policy->environment_count) {
			appctl_snapshot_free(head);
			return appctl_error_input("appctl.json", "$.environments",
				"no environments");
		}
		env = head->policy->environments[head->policy->environment_count - 1];
	}
	base->env = appctl_arena_strdup(base->arena, env);
	appctl_snapshot_free(head);
	if (!base->env)
		return appctl_error_nomem();
	err = appctl_repo_resolve(base->commit, repo, base->env);
	if (!err)
		err = appctl_repo_load_snapshot(&base->snap, repo, base->commit);
	if (err)
		return appctl_error_wrap(err, "%s", base->env);
	return NULL;
}

static void base_dispose(appctl_review_base *base)
{
	appctl_snapshot_free(base->snap);
	appctl_arena_free(base->arena);
}

appctl_error *appctl_inventory_report_load(appctl_inventory_report **out,
	appctl_repo *repo, const char *env, appctl_date at)
{
	appctl_inventory_report *r = calloc(1, sizeof(*r));
	appctl_error *err;

	*out = NULL;
	if (!r)
		return appctl_error_nomem();
	err = base_load(&r->base, repo, env, at);
	if (!err)
		err = appctl_inventory_build(&r->rows, &r->row_count,
			r->base.arena, r->base.snap, at);
	if (!err)
		err = appctl_access_review_build(&r->review, &r->review_count,
			r->base.arena, r->base.snap, at);
	if (err) {
		appctl_inventory_report_free(r);
		return err;
	}
	*out = r;
	return NULL;
}

void appctl_inventory_report_free(appctl_inventory_report *report)
{
	if (!report)
		return;
	base_dispose(&report->base);
	free(report);
}

appctl_error *appctl_who_can_report_load(appctl_who_can_report **out,
	appctl_repo *repo, const char *env, const appctl_who_can_query *q,
	appctl_date at)
{
	appctl_who_can_report *r = calloc(1, sizeof(*r));
	appctl_error *err;

	*out = NULL;
	if (!r)
		return appctl_error_nomem();
	r->query = *q;
	err = base_load(&r->base, repo, env, at);
	if (!err && q->app && !appctl_snapshot_app(r->base.snap, q->app))
		err = appctl_error_new(APPCTL_EUSAGE,
			"no app '%s' in %s", q->app, r->base.env);
	if (!err)
		err = appctl_who_can(&r->entries, &r->entry_count,
			&r->apps_with_resource, r->base.arena, r->base.snap, q, at);
	if (!err && !r->apps_with_resource)
		err = appctl_error_new(APPCTL_EUSAGE,
			"no app%s%s in %s defines '%s%s%s'",
			q->app ? " named " : "", q->app ? q->app : "",
			r->base.env, q->resource, q->field ? "." : "",
			q->field ? q->field : "");
	if (err) {
		appctl_who_can_report_free(r);
		return err;
	}
	*out = r;
	return NULL;
}

void appctl_who_can_report_free(appctl_who_can_report *report)
{
	if (!report)
		return;
	base_dispose(&report->base);
	free(report);
}
