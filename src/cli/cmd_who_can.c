/* cmd_who_can.c: `appctl who-can ACTION RESOURCE[.FIELD] [ENV]`: who holds one power, and through what. */
#include <stdio.h>
#include <string.h>

#include "appctl/review.h"
#include "cli.h"

static appctl_error *print_text(const appctl_who_can_report *r,
	const char *verb)
{
	const appctl_who_can_query *q = &r->query;
	char day[11];
	size_t i, k;

	appctl_date_format(day, r->base.at);
	printf("who can %s %s%s%s in %s (%.7s), as of %s: %zu principal%s\n",
		verb, q->resource, q->field ? "." : "",
		q->field ? q->field : "", r->base.env, r->base.commit, day,
		r->entry_count, r->entry_count == 1 ? "" : "s");
	for (i = 0; i < r->entry_count; i++) {
		const appctl_who_can_entry *e = &r->entries[i];

		printf("\n%s\n", e->principal);
		for (k = 0; k < e->path_count; k++) {
			const appctl_who_can_path *p = &e->paths[k];

			printf("  %s: %s (%s%s", p->app, p->role,
				p->group ? "group:" : "direct",
				p->group ? p->group : "");
			if (p->expires)
				printf(", until %s", p->expires);
			fputs(")\n", stdout);
		}
	}
	return NULL;
}

static appctl_error *print_json(const appctl_who_can_report *r)
{
	const appctl_who_can_query *q = &r->query;
	cJSON *root = cJSON_CreateObject(), *list, *paths, *o, *p;
	char day[11];
	size_t i, k;

	appctl_date_format(day, r->base.at);
	if (!root)
		return appctl_error_nomem();
	cJSON_AddStringToObject(root, "action", appctl_action_name(q->action));
	cJSON_AddStringToObject(root, "resource", q->resource);
	if (q->field)
		cJSON_AddStringToObject(root, "field", q->field);
	else
		cJSON_AddNullToObject(root, "field");
	if (q->app)
		cJSON_AddStringToObject(root, "app", q->app);
	else
		cJSON_AddNullToObject(root, "app");
	cJSON_AddStringToObject(root, "env", r->base.env);
	cJSON_AddStringToObject(root, "commit", r->base.commit);
	cJSON_AddStringToObject(root, "at", day);
	list = cJSON_AddArrayToObject(root, "principals");
	for (i = 0; list && i < r->entry_count; i++) {
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(list, o);
		cJSON_AddStringToObject(o, "principal", r->entries[i].principal);
		paths = cJSON_AddArrayToObject(o, "paths");
		for (k = 0; paths && k < r->entries[i].path_count; k++) {
			const appctl_who_can_path *path = &r->entries[i].paths[k];

			p = cJSON_CreateObject();
			cJSON_AddItemToArray(paths, p);
			cJSON_AddStringToObject(p, "app", path->app);
			cJSON_AddStringToObject(p, "role", path->role);
			if (path->group)
				cJSON_AddStringToObject(p, "group", path->group);
			else
				cJSON_AddNullToObject(p, "group");
			if (path->expires)
				cJSON_AddStringToObject(p, "expires", path->expires);
			else
				cJSON_AddNullToObject(p, "expires");
		}
	}
	return appctl_cli_print_json(root);
}

appctl_error *cmd_who_can(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[3] = { NULL, NULL, NULL }, *app = NULL, *at = NULL, *dot;
	int npos, help, json = 0;
	const appctl_opt opts[] = {
		{ "app", 0, APPCTL_OPT_STRING, &app, "APP" },
		{ "at", 0, APPCTL_OPT_STRING, &at, "DATE" },
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ 0 }
	};
	appctl_who_can_report *report = NULL;
	appctl_who_can_query q;
	appctl_date day = appctl_cli_today();
	appctl_error *err;
	char resource[256];

	err = appctl_cli_parse(argc, argv, opts, pos, 3, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("who-can");
		return NULL;
	}
	if (npos < 2)
		return appctl_error_new(APPCTL_EUSAGE,
			"usage: appctl who-can ACTION RESOURCE[.FIELD] [ENV] "
			"[--app APP] [--at DATE] [--json]");
	memset(&q, 0, sizeof(q));
	/* "see" reads as the question is asked: who can see customers.ssn. */
	q.action = strcmp(pos[0], "see") == 0 ? APPCTL_ACTION_READ
					      : appctl_action_parse(pos[0]);
	if (!q.action)
		return appctl_error_new(APPCTL_EUSAGE, "unknown action '%s' "
			"(expected read, see, create, update, delete, export or "
			"admin)", pos[0]);
	if (strlen(pos[1]) >= sizeof(resource) || !*pos[1])
		return appctl_error_new(APPCTL_EUSAGE, "'%s' is not a resource",
			pos[1]);
	memcpy(resource, pos[1], strlen(pos[1]) + 1);
	dot = strchr(resource, '.');
	q.resource = resource;
	if (dot) {
		resource[dot - resource] = '\0';
		q.field = resource + (dot - resource) + 1;
		if (!*q.resource || !*q.field)
			return appctl_error_new(APPCTL_EUSAGE,
				"'%s' is not RESOURCE or RESOURCE.FIELD", pos[1]);
	}
	q.app = app;
	if (at && appctl_date_parse(&day, at) != 0)
		return appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not a date (YYYY-MM-DD)", at);
	err = appctl_who_can_report_load(&report, cli->repo,
		npos > 2 ? pos[2] : NULL, &q, day);
	if (err)
		return appctl_error_wrap(err, "who-can");
	err = json || cli->json ? print_json(report)
				     : print_text(report, pos[0]);
	appctl_who_can_report_free(report);
	return err;
}
