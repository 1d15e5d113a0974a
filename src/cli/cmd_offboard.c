/* cmd_offboard.c: `appctl offboard PRINCIPAL`: one commit on the first environment that removes them everywhere. */
#include <stdio.h>
#include <strings.h>
#include <string.h>

#include "appctl/offboarding.h"
#include "appctl/strbuf.h"
#include "cli.h"

static void print_item(const appctl_offboard_item *it, const char *to)
{
	printf("  %-17s ", it->kind);
	if (it->app)
		printf("%s ", it->app);
	printf("%s", it->name);
	if (it->expires)
		printf(" (until %s)", it->expires);
	if (!it->app || strcmp(it->kind, "signer") == 0 ||
	    strcmp(it->kind, "idp_group") == 0)
		printf(" [%s]", it->file);
	printf(": %s", appctl_offboard_outcome_name(it->outcome));
	if (it->outcome == APPCTL_OFFB_REASSIGNED)
		printf(" to %s", to);
	putchar('\n');
}

static void print_text(const appctl_offboard_result *r,
	const appctl_offboard_request *req)
{
	size_t i, k;

	printf("offboard %s on %s (%.7s)%s\n", req->principal, r->env, r->base,
		req->dry_run ? ": dry run, nothing written" : "");
	printf("\naccess now in %s:%s\n", r->env, r->access_count ? "" : " none");
	for (i = 0; i < r->access_count; i++) {
		printf("  %s:", r->access[i].app->name);
		for (k = 0; k < r->access[i].via_count; k++)
			printf("%s %s", k ? "," : "", r->access[i].via[k]);
		putchar('\n');
	}
	printf("may approve: %s\n", r->may_approve ? "yes" : "no");
	printf("\nfound:%s\n", r->plan.item_count ? "" : " nothing");
	for (i = 0; i < r->plan.item_count; i++)
		print_item(&r->plan.items[i], req->reassign_to);
	for (i = 0; i < r->plan.item_count; i++)
		if (r->plan.items[i].outcome == APPCTL_OFFB_IDP) {
			printf("\nidentity-provider groups are not edited here: "
			       "remove %s in the identity provider and commit "
			       "its new export\n", req->principal);
			break;
		}
	if (r->refused)
		return;
	if (r->plan.file_count) {
		printf("\n%s:", req->dry_run ? "would change" : "changed");
		for (i = 0; i < r->plan.file_count; i++)
			printf(" %s", r->plan.files[i].path);
		putchar('\n');
	}
	if (r->commit[0]) {
		printf("committed %.7s on %s: %.*s\n", r->commit, r->env,
			(int)strcspn(r->message, "\n"), r->message);
		const appctl_policy *p = r->snap->policy;

		printf("next: appctl diff %s %s, then approve and promote it\n",
			p->environment_count > 1 ? p->environments[1] : r->env,
			r->env);
	} else if (!r->plan.file_count) {
		printf("\nnothing to change on %s\n", r->env);
	}
	if (r->note)
		printf("note: %s\n", r->note);
}

static appctl_error *print_json(const appctl_offboard_result *r,
	const appctl_offboard_request *req)
{
	cJSON *root = cJSON_CreateObject(), *list, *o, *via;
	size_t i, k;

	if (!root)
		return appctl_error_nomem();
	cJSON_AddStringToObject(root, "principal", req->principal);
	cJSON_AddStringToObject(root, "env", r->env);
	cJSON_AddStringToObject(root, "base", r->base);
	if (r->commit[0])
		cJSON_AddStringToObject(root, "commit", r->commit);
	else
		cJSON_AddNullToObject(root, "commit");
	cJSON_AddBoolToObject(root, "dry_run", req->dry_run);
	cJSON_AddBoolToObject(root, "refused", r->refused);
	cJSON_AddBoolToObject(root, "may_approve", r->may_approve);
	if (req->reassign_to)
		cJSON_AddStringToObject(root, "reassign_to", req->reassign_to);
	else
		cJSON_AddNullToObject(root, "reassign_to");
	list = cJSON_AddArrayToObject(root, "access");
	for (i = 0; list && i < r->access_count; i++) {
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(list, o);
		cJSON_AddStringToObject(o, "app", r->access[i].app->name);
		via = cJSON_AddArrayToObject(o, "via");
		for (k = 0; via && k < r->access[i].via_count; k++)
			cJSON_AddItemToArray(via,
				cJSON_CreateString(r->access[i].via[k]));
	}
	list = cJSON_AddArrayToObject(root, "found");
	for (i = 0; list && i < r->plan.item_count; i++) {
		const appctl_offboard_item *it = &r->plan.items[i];

		o = cJSON_CreateObject();
		cJSON_AddItemToArray(list, o);
		cJSON_AddStringToObject(o, "kind", it->kind);
		cJSON_AddStringToObject(o, "file", it->file);
		if (it->app)
			cJSON_AddStringToObject(o, "app", it->app);
		else
			cJSON_AddNullToObject(o, "app");
		cJSON_AddStringToObject(o, "name", it->name);
		if (it->expires)
			cJSON_AddStringToObject(o, "expires", it->expires);
		else
			cJSON_AddNullToObject(o, "expires");
		cJSON_AddStringToObject(o, "outcome",
			appctl_offboard_outcome_name(it->outcome));
		cJSON_AddBoolToObject(o, "changed",
			!r->refused && (it->outcome == APPCTL_OFFB_REMOVED ||
					it->outcome == APPCTL_OFFB_REASSIGNED));
	}
	list = cJSON_AddArrayToObject(root, "files");
	for (i = 0; list && !r->refused && i < r->plan.file_count; i++)
		cJSON_AddItemToArray(list,
			cJSON_CreateString(r->plan.files[i].path));
	if (r->note)
		cJSON_AddStringToObject(root, "note", r->note);
	return appctl_cli_print_json(root);
}

/* "app billing-admin (technical), integration billing-admin/stripe". */
static appctl_error *refusal(const appctl_offboard_result *r,
	const char *principal)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	appctl_error *err;
	size_t i;
	int first = 1;

	for (i = 0; i < r->plan.item_count; i++) {
		const appctl_offboard_item *it = &r->plan.items[i];

		if (it->outcome != APPCTL_OFFB_UNOWNED)
			continue;
		if (strcmp(it->kind, "app_owner") == 0)
			appctl_strbuf_printf(&b, "%sapp %s (%s owner)",
				first ? "" : ", ", it->app, it->name);
		else
			appctl_strbuf_printf(&b, "%sintegration %s/%s",
				first ? "" : ", ", it->app, it->name);
		first = 0;
	}
	err = b.failed ? appctl_error_nomem()
		: appctl_error_new(APPCTL_EDENIED, "offboard: %s owns what "
			"would be left without an owner: %s; name the new owner "
			"with --reassign-to (nothing was written)", principal,
			b.ptr ? b.ptr : "");
	appctl_strbuf_dispose(&b);
	return err;
}

appctl_error *cmd_offboard(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *reassign = NULL, *message = NULL;
	int npos, help, json = 0, dry_run = 0;
	const appctl_opt opts[] = {
		{ "reassign-to", 0, APPCTL_OPT_STRING, &reassign, "P" },
		{ "dry-run", 'n', APPCTL_OPT_FLAG, &dry_run, NULL },
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ "message", 'm', APPCTL_OPT_STRING, &message, "MSG" },
		{ 0 }
	};
	appctl_offboard_request req;
	appctl_offboard_result *r = NULL;
	appctl_error *err;

	err = appctl_cli_parse(argc, argv, opts, pos, 1, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("offboard");
		return NULL;
	}
	if (npos != 1)
		return appctl_error_new(APPCTL_EUSAGE, "usage: appctl offboard "
			"PRINCIPAL [--reassign-to P] [--dry-run] [--json] [-m MSG]");
	if (!appctl_principal_is_valid(pos[0]))
		return appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not a principal (an email-like name)", pos[0]);
	if (reassign && !appctl_principal_is_valid(reassign))
		return appctl_error_new(APPCTL_EUSAGE, "--reassign-to: '%s' is "
			"not a principal (an email-like name)", reassign);
	if (reassign && strcasecmp(reassign, pos[0]) == 0)
		return appctl_error_new(APPCTL_EUSAGE,
			"--reassign-to: ownerships cannot go back to %s", pos[0]);
	if (message && !*message)
		return appctl_error_new(APPCTL_EUSAGE, "-m: empty message");
	memset(&req, 0, sizeof(req));
	req.principal = pos[0];
	req.reassign_to = reassign;
	req.message = message;
	req.dry_run = dry_run;
	req.today = appctl_cli_today();
	err = appctl_offboard(&r, cli->repo, &req);
	if (err)
		return appctl_error_wrap(err, "offboard");
	err = json || cli->json ? print_json(r, &req) : (print_text(r, &req), NULL);
	if (!err && r->refused)
		err = refusal(r, req.principal);
	appctl_offboard_result_free(r);
	return err;
}
