/* cmd_access.c: `appctl access PRINCIPAL`: what someone can do in an environment, and since when. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "appctl/access.h"
#include "appctl/access_report.h"
#include "cli.h"

/* ---- output ---- */

/*
 * The roles (with their group) through which `pa` reaches resource `ra`:
 * their via texts into out[], "Role (until D)" for a temporary holding
 * (text output; `until` 0 leaves the plain texts, as --json's "via" has
 * them). *expires receives the day the access ends when every path to it
 * is temporary (the latest of them), else stays NULL; `day` holds it.
 */
static size_t resource_via(const char **out, const char **expires,
	char day[11], appctl_arena *arena, const appctl_principal_access *pa,
	const appctl_resource_access *ra, int until)
{
	size_t v, g, n = 0, lasting = 0;
	appctl_date last = 0;

	*expires = NULL;
	for (v = 0; v < pa->via_count; v++) {
		const appctl_via *via = &pa->vias[v];
		const appctl_role *role = via->role;
		char d[11];

		for (g = 0; g < role->grant_count; g++)
			if (role->grants[g].actions &&
			    strcmp(role->grants[g].resource, ra->name) == 0)
				break;
		if (g == role->grant_count)
			continue;
		if (!via->temporary) {
			lasting++;
			out[n++] = pa->via[v];
			continue;
		}
		if (n == lasting || via->until > last)
			last = via->until;
		appctl_date_format(d, via->until);
		out[n++] = until ? appctl_arena_printf(arena, "%s (until %s)",
					pa->via[v], d)
				 : pa->via[v];
		if (!out[n - 1])
			out[n - 1] = pa->via[v];
	}
	if (n && !lasting) {
		appctl_date_format(day, last);
		*expires = day;
	}
	return n;
}


static cJSON *string_array(const char *const *items, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(items[i]));
	return arr;
}

/* What the principal owns: apps ("app") and integrations ("app/integration"). */
static appctl_error *owned(const char ***out, size_t *count,
	const appctl_access_report *rep)
{
	size_t i, k, n = 0, total = 0;
	const char **list;

	for (i = 0; i < rep->app_count; i++)
		if (rep->apps[i].app)
			total += 1 + rep->apps[i].app->integration_count;
	list = appctl_arena_calloc(rep->arena, total ? total : 1, sizeof(*list));
	if (!list)
		return appctl_error_nomem();
	for (i = 0; i < rep->app_count; i++) {
		const appctl_app *app = rep->apps[i].app;

		if (!app)
			continue;
		if ((app->business_owner &&
		     strcmp(app->business_owner, rep->principal) == 0) ||
		    (app->technical_owner &&
		     strcmp(app->technical_owner, rep->principal) == 0))
			list[n++] = app->name;
		for (k = 0; k < app->integration_count; k++) {
			const appctl_integration *in = &app->integrations[k];

			if (in->owner && strcmp(in->owner, rep->principal) == 0 &&
			    !(list[n++] = appctl_arena_printf(rep->arena, "%s/%s",
					app->name, in->name)))
				return appctl_error_nomem();
		}
	}
	*out = list;
	*count = n;
	return NULL;
}

static appctl_error *print_json(const appctl_access_report *rep)
{
	appctl_error *err = NULL;
	cJSON *root = cJSON_CreateObject(), *access, *hist;
	const char **owns = NULL, **via, *expires;
	size_t nowns = 0, i, r, f, nvia;
	char day[11], until[11], *text = NULL;
	unsigned bit;

	if (!root)
		return appctl_error_nomem();
	appctl_date_format(day, rep->at);
	cJSON_AddStringToObject(root, "principal", rep->principal);
	cJSON_AddStringToObject(root, "env", rep->env);
	cJSON_AddStringToObject(root, "commit", rep->commit);
	cJSON_AddStringToObject(root, "at", day);
	access = cJSON_AddArrayToObject(root, "access");
	for (i = 0; !err && access && i < rep->app_count; i++) {
		const appctl_app *app = rep->apps[i].app;
		appctl_principal_access pa;

		if (!app)
			continue;
		err = appctl_access_of(&pa, rep->arena, app, rep->policy,
			rep->principal, rep->at);
		via = appctl_arena_calloc(rep->arena, pa.via_count + 1,
			sizeof(*via));
		if (!err && !via)
			err = appctl_error_nomem();
		for (r = 0; !err && r < pa.resource_count; r++) {
			const appctl_resource_access *ra = &pa.resources[r];
			cJSON *o = cJSON_CreateObject(), *actions, *fields;

			cJSON_AddItemToArray(access, o);
			cJSON_AddStringToObject(o, "app", app->name);
			cJSON_AddStringToObject(o, "resource", ra->name);
			actions = cJSON_AddArrayToObject(o, "actions");
			for (bit = 1; bit < (1u << APPCTL_ACTION_COUNT); bit <<= 1)
				if (ra->actions & bit)
					cJSON_AddItemToArray(actions,
						cJSON_CreateString(appctl_action_name(bit)));
			fields = cJSON_AddArrayToObject(o, "visible_fields");
			for (f = 0; ra->resource && f < ra->resource->field_count; f++)
				if (ra->visible[f])
					cJSON_AddItemToArray(fields, cJSON_CreateString(
						ra->resource->fields[f].name));
			nvia = resource_via(via, &expires, until, rep->arena,
				&pa, ra, 0);
			cJSON_AddItemToObject(o, "via", string_array(via, nvia));
			/* The last day of access held only through temporary memberships. */
			if (expires)
				cJSON_AddStringToObject(o, "expires", expires);
			else
				cJSON_AddNullToObject(o, "expires");
		}
	}
	if (!err)
		err = owned(&owns, &nowns, rep);
	if (err)
		goto cleanup;
	cJSON_AddItemToObject(root, "owns", string_array(owns, nowns));
	cJSON_AddBoolToObject(root, "may_approve", rep->may_approve);
	/* The key is always there; it is filled with --history only. */
	hist = cJSON_AddArrayToObject(root, "history");
	for (i = 0; hist && rep->with_history && i < rep->history_count; i++) {
		const appctl_access_step *e = &rep->history[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToArray(hist, o);
		/* A release number once the log has releases; before, the commit. */
		if (e->release >= 0)
			cJSON_AddNumberToObject(o, "release", (double)e->release);
		else
			cJSON_AddStringToObject(o, "release", e->commit);
		cJSON_AddStringToObject(o, "commit", e->commit);
		cJSON_AddStringToObject(o, "time", e->time);
		cJSON_AddStringToObject(o, "cause", e->expiry ? "expiry" : "commit");
		cJSON_AddItemToObject(o, "granted",
			string_array(e->granted, e->granted_count));
		cJSON_AddItemToObject(o, "revoked",
			string_array(e->revoked, e->revoked_count));
	}
	text = cJSON_Print(root);
	if (!text) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	puts(text);
cleanup:
	cJSON_free(text);
	cJSON_Delete(root);
	return err;
}

static void print_list(const char *label, const char *const *items, size_t n)
{
	size_t i;

	printf("%s", label);
	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", items[i]);
	putchar('\n');
}

static appctl_error *print_text(const appctl_cli *cli,
	const appctl_access_report *rep)
{
	appctl_error *err = NULL;
	const char **owns = NULL, **via, *names[APPCTL_ACTION_COUNT], *expires;
	size_t nowns = 0, i, r, f, nvia, shown = 0, n;
	char day[11], until[11];
	unsigned bit;

	appctl_date_format(day, rep->at);
	printf("%s%s%s in %s (%.7s), access as of %s\n",
		appctl_cli_color(cli, APPCTL_BOLD), rep->principal,
		appctl_cli_color(cli, APPCTL_RESET), rep->env, rep->commit, day);
	for (i = 0; i < rep->app_count; i++) {
		const appctl_app *app = rep->apps[i].app;
		appctl_principal_access pa;

		if (!app)
			continue;
		err = appctl_access_of(&pa, rep->arena, app, rep->policy,
			rep->principal, rep->at);
		if (err)
			return err;
		if (!pa.resource_count)
			continue;
		via = appctl_arena_calloc(rep->arena, pa.via_count + 1,
			sizeof(*via));
		if (!via)
			return appctl_error_nomem();
		printf("\n%s%s%s\n", appctl_cli_color(cli, APPCTL_BOLD), app->name,
			appctl_cli_color(cli, APPCTL_RESET));
		for (r = 0; r < pa.resource_count; r++) {
			const appctl_resource_access *ra = &pa.resources[r];

			n = 0;
			for (bit = 1; bit < (1u << APPCTL_ACTION_COUNT); bit <<= 1)
				if (ra->actions & bit)
					names[n++] = appctl_action_name(bit);
			printf("  %s: ", ra->name);
			print_list("", names, n);
			printf("    fields:");
			for (f = 0, n = 0; ra->resource && f < ra->resource->field_count; f++)
				if (ra->visible[f])
					printf("%s %s", n++ ? "," : "",
						ra->resource->fields[f].name);
			printf("%s\n", n ? "" : " (none)");
			nvia = resource_via(via, &expires, until, rep->arena,
				&pa, ra, 1);
			print_list("    via: ", via, nvia);
			if (expires)
				printf("    until: %s (temporary access)\n", expires);
			shown++;
		}
	}
	if (!shown)
		printf("\nno access to any app in %s\n", rep->env);
	err = owned(&owns, &nowns, rep);
	if (err)
		return err;
	putchar('\n');
	if (nowns)
		print_list("owns: ", owns, nowns);
	else
		printf("owns: nothing\n");
	printf("may approve: %s\n", rep->may_approve ? "yes" : "no");
	if (!rep->with_history)
		return NULL;
	printf("\nhistory in %s:\n", rep->env);
	if (!rep->history_count)
		printf("  no access at any commit\n");
	for (i = 0; i < rep->history_count; i++) {
		const appctl_access_step *e = &rep->history[i];

		if (e->release >= 0)
			printf("  %s  release %lld (%.7s)%s\n", e->time,
				(long long)e->release, e->commit,
				e->expiry ? "  (a temporary membership ended)" : "");
		else
			printf("  %s  %.7s%s\n", e->time, e->commit,
				e->expiry ? "  (a temporary membership ended)" : "");
		if (e->granted_count)
			print_list("    granted: ", e->granted, e->granted_count);
		if (e->revoked_count)
			print_list("    revoked: ", e->revoked, e->revoked_count);
	}
	return NULL;
}

/* ---- the command ---- */

appctl_error *cmd_access(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *env = NULL, *at = NULL;
	int npos, help, json = 0, with_history = 0;
	const appctl_opt opts[] = {
		{ "env", 0, APPCTL_OPT_STRING, &env, "ENV" },
		{ "at", 0, APPCTL_OPT_STRING, &at, "DATE" },
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ "history", 0, APPCTL_OPT_FLAG, &with_history, NULL },
		{ 0 }
	};
	appctl_access_report *rep = NULL;
	appctl_date day;
	appctl_error *err;

	err = appctl_cli_parse(argc, argv, opts, pos, 1, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("access");
		return NULL;
	}
	json |= cli->json;
	if (npos != 1)
		return appctl_error_new(APPCTL_EUSAGE, "usage: appctl access "
			"PRINCIPAL [--env ENV] [--at DATE] [--json] [--history]");
	if (!appctl_principal_is_valid(pos[0]))
		return appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not a principal (an email-like name)", pos[0]);
	if (env && !appctl_env_name_is_valid(env))
		return appctl_error_new(APPCTL_EUSAGE,
			"--env: '%s' is not an environment name", env);
	day = appctl_cli_today();
	if (at && appctl_date_parse(&day, at) != 0)
		return appctl_error_new(APPCTL_EUSAGE,
			"--at: '%s' is not a date (YYYY-MM-DD)", at);

	err = appctl_repo_open(&cli->repo, cli->dir);
	if (!err)
		err = appctl_access_report_load(&rep, cli->repo, pos[0], env, day,
			with_history);
	if (!err)
		err = json ? print_json(rep) : print_text(cli, rep);
	appctl_access_report_free(rep);
	return err;
}
