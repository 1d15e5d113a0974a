/* cmd_new.c: `appctl new app NAME --class CLASS`: scaffold an app in the working tree. */
#include <stdio.h>
#include <string.h>

#include "appctl/new_app.h"
#include "cli.h"

#define USAGE "usage: appctl new app NAME --class CLASS [--owner P] " \
	"[--technical-owner P] [--json]"

appctl_error *cmd_new(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL }, *cls = NULL, *owner = NULL,
		*tech = NULL;
	int npos, help, json = 0, i;
	const appctl_opt opts[] = {
		{ "class", 0, APPCTL_OPT_STRING, &cls, "CLASS" },
		{ "owner", 0, APPCTL_OPT_STRING, &owner, "P" },
		{ "technical-owner", 0, APPCTL_OPT_STRING, &tech, "P" },
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ 0 }
	};
	appctl_new_app_request req;
	appctl_new_app_result *r = NULL;
	appctl_error *err;

	err = appctl_cli_parse(argc, argv, opts, pos, 2, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("new");
		return NULL;
	}
	if (npos != 2 || strcmp(pos[0], "app") != 0)
		return appctl_error_new(APPCTL_EUSAGE, USAGE);
	if (!cls)
		return appctl_error_new(APPCTL_EUSAGE, "--class is required "
			"(dashboard, admin_panel or client_portal)");
	memset(&req, 0, sizeof(req));
	for (i = 0; i < APPCTL_CLASS_COUNT; i++)
		if (strcmp(cls, appctl_class_name((appctl_app_class)i)) == 0)
			break;
	if (i == APPCTL_CLASS_COUNT)
		return appctl_error_new(APPCTL_EUSAGE, "--class: unknown class "
			"'%s' (expected dashboard, admin_panel or client_portal)",
			cls);
	if (owner && !appctl_principal_is_valid(owner))
		return appctl_error_new(APPCTL_EUSAGE,
			"--owner: '%s' is not a principal (an email-like name)", owner);
	if (tech && !appctl_principal_is_valid(tech))
		return appctl_error_new(APPCTL_EUSAGE, "--technical-owner: '%s' "
			"is not a principal (an email-like name)", tech);
	req.name = pos[1];
	req.app_class = (appctl_app_class)i;
	req.business_owner = owner;
	req.technical_owner = tech;
	req.today = appctl_cli_today();
	err = appctl_new_app(&r, cli->repo, &req);
	if (err)
		return appctl_error_wrap(err, "new app");
	if (json || cli->json) {
		cJSON *doc = cJSON_CreateObject();

		cJSON_AddStringToObject(doc, "app", req.name);
		cJSON_AddStringToObject(doc, "class", cls);
		cJSON_AddStringToObject(doc, "file", r->path);
		cJSON_AddStringToObject(doc, "business_owner", r->business_owner);
		cJSON_AddStringToObject(doc, "technical_owner", r->technical_owner);
		cJSON_AddStringToObject(doc, "roles", r->role_names);
		cJSON_AddStringToObject(doc, "role_model",
			r->from_policy ? "policy" : "built-in");
		err = appctl_cli_print_json(doc);
	} else {
		printf("wrote %s (%s; roles %s from the %s role model)\n"
		       "owners: business %s, technical %s\n"
		       "next: edit it, 'appctl validate --worktree', then commit it\n",
			r->path, cls, r->role_names,
			r->from_policy ? "policy's" : "built-in",
			r->business_owner, r->technical_owner);
	}
	appctl_new_app_result_free(r);
	return err;
}
