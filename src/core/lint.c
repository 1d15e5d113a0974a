/* lint.c: the security rules of `appctl validate`, run on a parsed snapshot. */
#include <assert.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appctl/allowed_signers.h"
#include "appctl/json.h"
#include "appctl/lint.h"
#include "appctl/strbuf.h"

/* Above this many principals, an export from a dashboard is a bulk leak. */
#define DASHBOARD_EXPORT_REACH 25

/* The actions that change records or rights: what a dashboard never has. */
#define WRITE_ACTIONS                                                        \
	(APPCTL_ACTION_CREATE | APPCTL_ACTION_UPDATE | APPCTL_ACTION_DELETE |   \
		APPCTL_ACTION_ADMIN)

/*
 * The rule table. Ids are a public interface (SARIF rule ids, suppressions in
 * CI), so they are never renamed; summaries are SARIF short descriptions.
 */
static const appctl_lint_rule lint_rules[] = {
	{ "secret.literal", APPCTL_SEV_ERROR,
		"literal secret instead of a secret:// or env:// reference", 1,
		"A secret written into a definition is readable by everyone who can read the repository, and stays in its history.",
		"Replace the value with a secret:// or env:// reference, and rotate the secret: it is in the git history.",
		"9.0" },
	{ "integration.owner-missing", APPCTL_SEV_ERROR,
		"integration has no owner", 0,
		"A connector nobody owns is never reviewed, rotated or removed.",
		"Set the integration's owner to the person or team answerable for it.",
		"5.0" },
	{ "integration.broad-scope", APPCTL_SEV_ERROR,
		"broad integration scope without a justification", 0,
		"A scope like *, admin or full_access gives the app far more than it needs.",
		"Narrow the scopes, or add a justification saying why the broad scope is needed.",
		"7.5" },
	{ "credential.shared-prod", APPCTL_SEV_ERROR,
		"prod credential shared by several apps", 0,
		"One production credential used by several apps cannot be rotated or revoked for one of them alone.",
		"Give each app its own production credential reference.",
		"7.0" },
	{ "credential.prod-in-nonprod", APPCTL_SEV_ERROR,
		"prod credential used in a non-prod environment", 0,
		"A non-production environment holding a production credential exposes production to less guarded code and people.",
		"Use a credential made for that environment.",
		"8.0" },
	{ "credential.unknown-env", APPCTL_SEV_ERROR,
		"credential for an environment the policy does not define", 0,
		"A credential for an environment appctl.json does not list is never promoted or reviewed.",
		"Remove it, or add the environment to appctl.json.",
		"4.0" },
	{ "app.owner-missing", APPCTL_SEV_ERROR,
		"app has no business or no technical owner", 0,
		"An app without a business and a technical owner has nobody to approve or answer for its access.",
		"Set owners.business and owners.technical.",
		"5.0" },
	{ "data.tenant-key-missing", APPCTL_SEV_ERROR,
		"client portal data set without tenant_key", 0,
		"A client portal data set without a tenant key can show one client's records to another.",
		"Set tenant_key to the field that separates clients.",
		"8.5" },
	{ "ref.undefined-resource", APPCTL_SEV_ERROR,
		"grant, page, data flow or AI read on an undefined data set", 1,
		"A grant or page on a data set the app does not define is a typo or a leftover that does not do what it says.",
		"Name a data set of the app, or remove the grant or page.",
		"4.0" },
	{ "ref.undefined-role", APPCTL_SEV_ERROR,
		"page names an undefined role", 1,
		"A page naming a role the app does not define is shown to nobody, or to the wrong people after a rename.",
		"Name a role of the app.",
		"4.0" },
	{ "ref.undefined-source", APPCTL_SEV_ERROR,
		"data set source is not an integration of the app", 1,
		"A data set whose source is not an integration of the app reads from a system nobody declared.",
		"Declare the integration, or fix the source name.",
		"4.0" },
	{ "ref.undefined-group", APPCTL_SEV_ERROR,
		"reference to a group the policy does not define", 1,
		"A group:NAME that appctl.json does not define grants nothing today and anything once such a group appears.",
		"Define the group in appctl.json, or fix its name.",
		"5.0" },
	{ "ref.unknown-action", APPCTL_SEV_ERROR,
		"grant names an unknown action", 1,
		"An action other than read, create, update, delete, export or admin is ignored.",
		"Use one of the known actions.",
		"4.0" },
	{ "ref.undefined-field", APPCTL_SEV_ERROR,
		"hidden field or AI read field is not a field of the data set", 1,
		"Hiding a field the data set does not define hides nothing; the field meant may be visible.",
		"Name a field of the data set.",
		"5.0" },
	{ "ref.unknown-env", APPCTL_SEV_ERROR,
		"freeze names an environment the policy does not define", 1,
		"A freeze on an environment appctl.json does not list never applies.",
		"Name a listed environment.",
		"4.0" },
	{ "notify.insecure-url", APPCTL_SEV_ERROR,
		"notify url is not https (http only to a loopback address)", 0,
		"Release events sent over plain http can be read and forged on the way.",
		"Use an https URL (plain http only to 127.0.0.1, ::1 or localhost).",
		"6.0" },
	{ "credential.shared", APPCTL_SEV_WARNING,
		"non-prod credential shared by several apps", 0,
		"A non-production credential shared by several apps cannot be revoked for one of them alone.",
		"Give each app its own credential reference.",
		"3.0" },
	{ "access.dashboard-export", APPCTL_SEV_WARNING,
		"dashboard export granted to more than 25 principals", 0,
		"Export from a dashboard granted to many principals lets data leave in bulk.",
		"Grant export to a smaller role.",
		"3.5" },
	{ "data.restricted-visible", APPCTL_SEV_WARNING,
		"restricted field visible without a justification", 0,
		"A restricted field visible through a grant without a justification may be shown to people who should not see it.",
		"Hide the field (hidden_fields), or add a justification to the grant.",
		"3.5" },
	{ "access.expired-member", APPCTL_SEV_WARNING,
		"expired temporary membership still listed", 0,
		"A temporary membership past its expiry date no longer counts, but reads as if it did.",
		"Remove the member, or extend the expiry with a review.",
		"2.0" },
	{ "integration.on-failure-missing", APPCTL_SEV_WARNING,
		"integration has no on_failure", 0,
		"Without on_failure nobody decided what the app does when the connector fails.",
		"Set on_failure to fail_closed (refuse when the connector fails) unless failing open was decided.",
		"1.0" },
	/* Issue 13: the review checklist's lint gaps. */
	{ "access.dashboard-write", APPCTL_SEV_ERROR,
		"dashboard role granted create, update, delete or admin", 0,
		"A dashboard is approved as read-only; a role that writes through it turns it into an admin panel nobody reviewed as one.",
		"Remove the write actions, or change the app's class to admin_panel so it is approved as one.",
		"7.0" },
	{ "access.admin-panel-writers", APPCTL_SEV_ERROR,
		"more principals can write in an admin panel than the policy allows",
		0,
		"Every principal who can change records in an admin panel is one more account whose loss is a breach; the organisation set a limit.",
		"Narrow the roles that create, update, delete or administer, or raise admin_panel_max_writers in appctl.json with the approvals a policy change needs.",
		"6.0" },
	{ "ref.undefined-tenant-key", APPCTL_SEV_ERROR,
		"tenant_key is not a field of the data set", 1,
		"A tenant_key that names no field of the data set separates no tenants: every customer may see every other customer's records.",
		"Name the field that holds the tenant (account, customer or organisation id).",
		"8.0" },
	{ "data.retention-missing", APPCTL_SEV_ERROR,
		"cached or stored pii/restricted data without retention_days", 0,
		"Copies of personal or restricted data kept without a retention period are kept forever, and every copy is one more place to leak from.",
		"Set retention_days on the data set, or make it live (read through, never kept).",
		"6.0" },
	{ "lint.override-not-allowed", APPCTL_SEV_ERROR,
		"lint.rules changes a rule that cannot be changed", 1,
		"Some rules guard against leaks no justification makes safe (literal secrets, dangling references); turning them down would hide them.",
		"Remove the entry from lint.rules and fix the findings instead.",
		"7.0" },
	{ "credential.missing-env", APPCTL_SEV_WARNING,
		"integration has no credential for an environment of the chain", 0,
		"An integration without a credential for an environment either fails there or borrows another environment's credential.",
		"Add a credential reference for every environment of the promotion chain.",
		"3.0" },
	{ "integration.name-pattern", APPCTL_SEV_WARNING,
		"integration name does not match the policy's naming pattern", 0,
		"Connectors named by a convention can be found, owned and audited across apps; stray names hide in inventories.",
		"Rename the integration to match lint.integration_name_pattern in appctl.json.",
		"1.0" },
	{ "ai.sensitive-read", APPCTL_SEV_WARNING,
		"AI reads pii/restricted client portal data without a justification",
		0,
		"AI features that read personal or restricted data in a client portal can repeat it to the wrong customer; that access must be a decision, not a default.",
		"Narrow ai.reads to the fields the feature needs, or state why in ai.justification.",
		"6.5" },
	{ "principal.unknown", APPCTL_SEV_WARNING,
		"owner or approver unknown to every group, role and signer list", 0,
		"An owner or approver who is in no group, role or signer list has probably left: nobody answers for what they own.",
		"Reassign the ownership (appctl offboard PRINCIPAL --reassign-to P) or add the person where they belong.",
		"4.0" },
};

#define LINT_RULE_COUNT (sizeof(lint_rules) / sizeof(lint_rules[0]))

typedef struct lint_ctx {
	appctl_findings *out;
	const appctl_snapshot *snap;
	const appctl_policy *policy; /* NULL when the snapshot has none */
	const char *prod;            /* the last environment, or NULL */
	appctl_date today;
	appctl_strbuf path;          /* JSON path of the value being judged */
	/*
	 * path_set's steps, kept until a finding needs the path written out
	 * (path_now): most values judged are fine, and the paths of every
	 * string of every app were a tenth of a lint.
	 */
	const char *steps;
	struct {
		const char *key;
		size_t index;
	} step[8];
	appctl_error *err;           /* first failure; stops all reporting */
	regex_t name_re;             /* the policy's integration_name_pattern */
	int has_name_re;
} lint_ctx;

/* One use of a credential reference, for finding shared ones by sorting. */
typedef struct credential_use {
	const char *ref;
	size_t app; /* index into snap->apps */
	const appctl_integration *integration;
	const char *env;
	int prod;
} credential_use;

/* The static rule table; nothing to free. */
const appctl_lint_rule *appctl_lint_rules(size_t *count)
{
	*count = LINT_RULE_COUNT;
	return lint_rules;
}

/* Linear on purpose: thirty rules, looked up once per finding. */
const appctl_lint_rule *appctl_lint_rule_find(const char *id)
{
	size_t i;

	for (i = 0; id && i < LINT_RULE_COUNT; i++)
		if (strcmp(lint_rules[i].id, id) == 0)
			return &lint_rules[i];
	return NULL;
}

/*
 * Frees every finding's strings and the array, leaving an empty list that
 * may be reused; NULL is a no-op.
 */
void appctl_findings_dispose(appctl_findings *findings)
{
	size_t i;

	if (!findings)
		return;
	for (i = 0; i < findings->count; i++) {
		free(findings->items[i].file);
		free(findings->items[i].path);
		free(findings->items[i].message);
	}
	free(findings->items);
	for (i = 0; i < findings->override_count; i++)
		free(findings->overrides[i].justification);
	free(findings->overrides);
	memset(findings, 0, sizeof(*findings));
}

const char *appctl_lint_level_name(appctl_lint_level level)
{
	switch (level) {
	case APPCTL_LINT_OFF:
		return "off";
	case APPCTL_LINT_AS_WARNING:
		return "warning";
	case APPCTL_LINT_AS_ERROR:
		return "error";
	}
	return "unknown";
}

/* An owner or justification of only blanks documents nothing. */
static int is_blank(const char *s)
{
	if (!s)
		return 1;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

/* What a message may quote of a value: never a secret, even by accident. */
static const char *shown(const char *s)
{
	return appctl_looks_like_secret(s, NULL) ? "(redacted)" : s;
}

/*
 * Sets the current path to "$" plus `steps`: each 'k' takes a key
 * (const char *), each 'i' an index (size_t).
 */
static void path_set(lint_ctx *ctx, const char *steps, ...)
{
	va_list ap;
	size_t i;

	assert(strlen(steps) <= sizeof(ctx->step) / sizeof(ctx->step[0]));
	va_start(ap, steps);
	for (i = 0; steps[i]; i++) {
		if (steps[i] == 'k')
			ctx->step[i].key = va_arg(ap, const char *);
		else
			ctx->step[i].index = va_arg(ap, size_t);
	}
	va_end(ap);
	ctx->steps = steps;
}

/* Writes out the path path_set last gave (its keys are the model's). */
static void path_now(lint_ctx *ctx)
{
	size_t i;

	if (!ctx->steps)
		return;
	appctl_strbuf_truncate(&ctx->path, 0);
	appctl_strbuf_putc(&ctx->path, '$');
	for (i = 0; ctx->steps[i]; i++) {
		if (ctx->steps[i] == 'k')
			appctl_json_path_key(&ctx->path, ctx->step[i].key);
		else
			appctl_json_path_index(&ctx->path, ctx->step[i].index);
	}
	ctx->steps = NULL;
}

static void report(lint_ctx *ctx, const char *rule_id, const char *file,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Appends a finding of `rule_id` at the current path of `file`. */
static void report(lint_ctx *ctx, const char *rule_id, const char *file,
	const char *fmt, ...)
{
	const appctl_lint_rule *rule = appctl_lint_rule_find(rule_id);
	appctl_findings *out = ctx->out;
	appctl_strbuf msg = APPCTL_STRBUF_INIT;
	appctl_finding f = { NULL, APPCTL_SEV_ERROR, NULL, NULL, NULL };
	va_list ap;
	char *p;

	assert(rule != NULL);
	if (ctx->err)
		return;
	if (out->count == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 16;
		appctl_finding *items;

		if (cap > SIZE_MAX / sizeof(*items))
			goto nomem;
		items = realloc(out->items, cap * sizeof(*items));
		if (!items)
			goto nomem;
		out->items = items;
		out->cap = cap;
	}
	va_start(ap, fmt);
	appctl_strbuf_vprintf(&msg, fmt, ap);
	va_end(ap);
	f.rule = rule->id;
	f.severity = rule->severity;
	f.message = appctl_strbuf_detach(&msg);
	f.file = strdup(file);
	path_now(ctx);
	if (!ctx->path.failed)
		f.path = strdup(ctx->path.ptr ? ctx->path.ptr : "$");
	if (!f.message || !f.file || !f.path)
		goto nomem;
	/* One line, always: names quoting hostile input must not forge lines. */
	for (p = f.message; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	out->items[out->count++] = f;
	if (f.severity == APPCTL_SEV_ERROR)
		out->errors++;
	else
		out->warnings++;
	return;
nomem:
	free(f.message);
	free(f.file);
	free(f.path);
	ctx->err = appctl_error_nomem();
}

/* Reports `s` when it looks like a literal secret; `what` names it. */
static void check_value(lint_ctx *ctx, const char *file, const char *s,
	const char *what)
{
	const char *why;

	if (s && appctl_looks_like_secret(s, &why))
		report(ctx, "secret.literal", file,
			"%s looks like a literal secret (%s)", what, why);
}

static const appctl_group *policy_group(const lint_ctx *ctx, const char *name)
{
	return ctx->policy ? appctl_policy_group(ctx->policy, name) : NULL;
}

static int env_is_known(const lint_ctx *ctx, const char *env)
{
	size_t i;

	for (i = 0; ctx->policy && i < ctx->policy->environment_count; i++)
		if (strcmp(ctx->policy->environments[i], env) == 0)
			return 1;
	return 0;
}

static int member_expired(const lint_ctx *ctx, const appctl_member *m)
{
	return m->has_expires && !appctl_member_active(m, ctx->today);
}

/* The text of an expiry date for messages, as written when we have it. */
static const char *expires_shown(const appctl_member *m, char buf[16])
{
	if (m->expires_text)
		return shown(m->expires_text);
	appctl_date_format(buf, m->expires);
	return buf;
}

/*
 * Walks a JSON value (a page, kept as canonical JSON because pages may carry
 * builder-specific fields) looking for secrets in keys and strings.
 */
static void scan_json(lint_ctx *ctx, const char *file, const cJSON *item)
{
	size_t mark, i = 0;
	const cJSON *child;

	path_now(ctx);
	mark = ctx->path.len;

	if (cJSON_IsString(item)) {
		check_value(ctx, file, item->valuestring, "a page value");
		return;
	}
	if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
		return;
	for (child = item->child; child; child = child->next) {
		if (cJSON_IsObject(item)) {
			/* Below a secret key, every path would repeat it. */
			if (appctl_looks_like_secret(child->string, NULL)) {
				check_value(ctx, file, child->string,
					"a page key");
				continue;
			}
			appctl_json_path_key(&ctx->path, child->string);
		} else {
			appctl_json_path_index(&ctx->path, i++);
		}
		scan_json(ctx, file, child);
		appctl_strbuf_truncate(&ctx->path, mark);
	}
}

static void scan_page(lint_ctx *ctx, const char *file, const appctl_page *page)
{
	cJSON *root = NULL;
	appctl_error *err;

	if (!page->canonical)
		return;
	err = appctl_json_parse(&root, file, page->canonical,
		strlen(page->canonical));
	if (err) {
		/* The model wrote this text itself; only memory can fail here. */
		if (!ctx->err)
			ctx->err = err;
		else
			appctl_error_free(err);
		goto done;
	}
	path_set(ctx, "kk", "pages", page->name);
	scan_json(ctx, file, root);
done:
	cJSON_Delete(root);
}

/*
 * secret.literal over every string of an app except credential values,
 * which check_credentials holds to the stricter "must be a reference".
 * Names that are object keys are reported at their parent object, so that
 * the path never repeats the secret.
 */
static void scan_app(lint_ctx *ctx, const appctl_app *app)
{
	const char *file = app->file;
	size_t i, j, k;

	path_set(ctx, "k", "name");
	check_value(ctx, file, app->name, "the app name");
	path_set(ctx, "kk", "owners", "business");
	check_value(ctx, file, app->business_owner, "the business owner");
	path_set(ctx, "kk", "owners", "technical");
	check_value(ctx, file, app->technical_owner, "the technical owner");

	for (i = 0; i < app->resource_count; i++) {
		const appctl_resource *res = &app->resources[i];

		path_set(ctx, "k", "data");
		check_value(ctx, file, res->name, "a data set name");
		path_set(ctx, "kkk", "data", res->name, "source");
		check_value(ctx, file, res->source, "a data source");
		path_set(ctx, "kkk", "data", res->name, "tenant_key");
		check_value(ctx, file, res->tenant_key, "a tenant key");
		path_set(ctx, "kkk", "data", res->name, "fields");
		for (j = 0; j < res->field_count; j++)
			check_value(ctx, file, res->fields[j].name,
				"a field name");
	}

	for (i = 0; i < app->role_count; i++) {
		const appctl_role *role = &app->roles[i];

		path_set(ctx, "k", "roles");
		check_value(ctx, file, role->name, "a role name");
		path_set(ctx, "kkk", "roles", role->name, "justification");
		check_value(ctx, file, role->justification,
			"a role justification");
		for (j = 0; j < role->member_count; j++) {
			const appctl_member *m = &role->members[j];

			path_set(ctx, "kkki", "roles", role->name, "members",
				m->index);
			check_value(ctx, file, m->name, "a role member");
			path_set(ctx, "kkkik", "roles", role->name, "members",
				m->index, "expires");
			check_value(ctx, file, m->expires_text,
				"an expiry date");
		}
		for (j = 0; j < role->grant_count; j++) {
			const appctl_grant *g = &role->grants[j];

			path_set(ctx, "kkkik", "roles", role->name, "grants",
				g->index, "resource");
			check_value(ctx, file, g->resource, "a grant resource");
			for (k = 0; k < g->unknown_action_count; k++) {
				path_set(ctx, "kkkiki", "roles", role->name,
					"grants", g->index, "actions",
					g->unknown_action_index[k]);
				check_value(ctx, file, g->unknown_actions[k],
					"an action");
			}
			for (k = 0; k < g->hidden_field_count; k++) {
				path_set(ctx, "kkkiki", "roles", role->name,
					"grants", g->index, "hidden_fields", k);
				check_value(ctx, file, g->hidden_fields[k],
					"a hidden field");
			}
			path_set(ctx, "kkkik", "roles", role->name, "grants",
				g->index, "justification");
			check_value(ctx, file, g->justification,
				"a grant justification");
		}
	}

	for (i = 0; i < app->page_count; i++) {
		path_set(ctx, "k", "pages");
		check_value(ctx, file, app->pages[i].name, "a page name");
		scan_page(ctx, file, &app->pages[i]);
	}

	for (i = 0; i < app->integration_count; i++) {
		const appctl_integration *in = &app->integrations[i];

		path_set(ctx, "k", "integrations");
		check_value(ctx, file, in->name, "an integration name");
		path_set(ctx, "kkk", "integrations", in->name, "kind");
		check_value(ctx, file, in->kind, "an integration kind");
		path_set(ctx, "kkk", "integrations", in->name, "owner");
		check_value(ctx, file, in->owner, "an integration owner");
		for (j = 0; j < in->scope_count; j++) {
			path_set(ctx, "kkki", "integrations", in->name,
				"scopes", j);
			check_value(ctx, file, in->scopes[j], "a scope");
		}
		path_set(ctx, "kkk", "integrations", in->name, "credential");
		for (j = 0; j < in->credential_count; j++)
			check_value(ctx, file, in->credentials[j].env,
				"a credential environment name");
		path_set(ctx, "kkk", "integrations", in->name, "on_failure");
		check_value(ctx, file, in->on_failure, "an on_failure value");
		path_set(ctx, "kkk", "integrations", in->name, "justification");
		check_value(ctx, file, in->justification,
			"an integration justification");
	}
}

/* app.owner-missing; the path is $.owners whether or not the object exists. */
static void check_owners(lint_ctx *ctx, const appctl_app *app)
{
	path_set(ctx, "k", "owners");
	if (is_blank(app->business_owner))
		report(ctx, "app.owner-missing", app->file,
			"app \"%s\" has no business owner (owners.business)",
			shown(app->name));
	if (is_blank(app->technical_owner))
		report(ctx, "app.owner-missing", app->file,
			"app \"%s\" has no technical owner (owners.technical)",
			shown(app->name));
}

/* True when some field of `res` is pii or restricted. */
static int holds_sensitive(const appctl_resource *res)
{
	size_t i;

	for (i = 0; i < res->field_count; i++)
		if (res->fields[i].sensitivity >= APPCTL_SENS_PII)
			return 1;
	return 0;
}

static void check_data(lint_ctx *ctx, const appctl_app *app)
{
	size_t i;

	for (i = 0; i < app->resource_count; i++) {
		const appctl_resource *res = &app->resources[i];

		if (app->app_class == APPCTL_CLASS_CLIENT_PORTAL &&
			is_blank(res->tenant_key)) {
			path_set(ctx, "kk", "data", res->name);
			report(ctx, "data.tenant-key-missing", app->file,
				"data set \"%s\" of client portal \"%s\" has no tenant_key",
				shown(res->name), shown(app->name));
		}
		if (res->source && !appctl_app_integration(app, res->source)) {
			path_set(ctx, "kkk", "data", res->name, "source");
			report(ctx, "ref.undefined-source", app->file,
				"data set \"%s\" names source \"%s\", which is not an "
				"integration of the app",
				shown(res->name), shown(res->source));
		}
		/* Without fields there is nothing to check the key against. */
		if (!is_blank(res->tenant_key) && res->field_count &&
			!appctl_resource_field(res, res->tenant_key)) {
			path_set(ctx, "kkk", "data", res->name, "tenant_key");
			report(ctx, "ref.undefined-tenant-key", app->file,
				"tenant_key \"%s\" of data set \"%s\" is not one of its "
				"fields, so nothing separates one tenant's records from "
				"another's",
				shown(res->tenant_key), shown(res->name));
		}
		if ((res->storage == APPCTL_STORAGE_CACHED ||
			    res->storage == APPCTL_STORAGE_STORED) &&
			!res->has_retention && holds_sensitive(res)) {
			path_set(ctx, "kk", "data", res->name);
			report(ctx, "data.retention-missing", app->file,
				"data set \"%s\" is %s by the app and holds pii or "
				"restricted fields, but has no retention_days",
				shown(res->name),
				res->storage == APPCTL_STORAGE_CACHED ? "cached"
								      : "stored");
		}
	}
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Appends to names[n..] the principals `role` holds on ctx->today: its
 * active direct members and the members of its active groups (names must
 * have room for every member and group member); returns the new count.
 */
static size_t add_role_principals(lint_ctx *ctx, const appctl_role *role,
	const char **names, size_t n)
{
	size_t i, j;

	for (i = 0; i < role->member_count; i++) {
		const appctl_member *m = &role->members[i];
		const appctl_group *grp;

		if (!appctl_member_active(m, ctx->today))
			continue;
		if (m->kind == APPCTL_MEMBER_PRINCIPAL)
			names[n++] = m->name;
		else if ((grp = policy_group(ctx, m->name)) != NULL)
			for (j = 0; j < grp->member_count; j++)
				names[n++] = grp->members[j];
	}
	return n;
}

/* Sorts names[0..n) and counts the distinct ones. */
static size_t count_distinct(const char **names, size_t n)
{
	size_t i, distinct = 0;

	if (n)
		qsort(names, n, sizeof(*names), compare_strings);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(names[i - 1], names[i]) != 0)
			distinct++;
	return distinct;
}

/*
 * How many distinct principals reach `role` on `today`: exact when the sum
 * of list sizes exceeds `limit`, else that sum (an upper bound is enough to
 * stay silent). The usual shape, one group plus a few people, costs a binary
 * search per person; only roles mixing several groups sort a union.
 * Sets ctx->err when memory runs out.
 */
static size_t role_reach(lint_ctx *ctx, const appctl_role *role, size_t limit)
{
	const appctl_group *only = NULL;
	const char **names = NULL, **sorted;
	size_t total = 0, groups = 0, n = 0, distinct = 0, i;

	for (i = 0; i < role->member_count; i++) {
		const appctl_member *m = &role->members[i];
		const appctl_group *grp;

		if (!appctl_member_active(m, ctx->today))
			continue;
		if (m->kind == APPCTL_MEMBER_PRINCIPAL) {
			total++;
		} else if ((grp = policy_group(ctx, m->name)) != NULL) {
			total += grp->member_count;
			only = grp;
			groups++;
		}
	}
	if (total <= limit)
		return total;
	if (groups == 1) {
		/* Members are unique within a role and within a group. */
		sorted = only->sorted_members;
		distinct = only->member_count;
		for (i = 0; i < role->member_count; i++) {
			const appctl_member *m = &role->members[i];

			if (m->kind == APPCTL_MEMBER_PRINCIPAL &&
				appctl_member_active(m, ctx->today) &&
				!appctl_sorted_has(sorted, only->member_count,
					m->name))
				distinct++;
		}
		return distinct;
	}
	names = calloc(total, sizeof(*names));
	if (!names) {
		ctx->err = appctl_error_nomem();
		goto done;
	}
	n = add_role_principals(ctx, role, names, n);
	distinct = count_distinct(names, n);
done:
	free(names);
	return distinct;
}

/* "update, delete" for the bits of `actions`, in SPEC order. */
static void action_list(char *buf, size_t size, unsigned actions)
{
	unsigned bit;
	size_t len = 0;

	buf[0] = '\0';
	for (bit = 1; bit < (1u << APPCTL_ACTION_COUNT); bit <<= 1) {
		int n;

		if (!(actions & bit) || len >= size)
			continue;
		n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
			appctl_action_name(bit));
		if (n > 0)
			len += (size_t)n;
	}
}

static int grant_hides(const appctl_grant *g, const char *field)
{
	size_t i;

	for (i = 0; i < g->hidden_field_count; i++)
		if (strcmp(g->hidden_fields[i], field) == 0)
			return 1;
	return 0;
}

static void check_grant(lint_ctx *ctx, const appctl_app *app,
	const appctl_role *role, const appctl_grant *g, size_t *reach)
{
	const appctl_resource *res = appctl_app_resource(app, g->resource);
	size_t i;

	if (!res) {
		path_set(ctx, "kkkik", "roles", role->name, "grants", g->index,
			"resource");
		report(ctx, "ref.undefined-resource", app->file,
			"role \"%s\" has a grant on \"%s\", which is not a data set "
			"of the app",
			shown(role->name), shown(g->resource));
	}
	for (i = 0; i < g->unknown_action_count; i++) {
		static const char *const actions[] = { "read", "create",
			"update", "delete", "export", "admin", NULL };
		const char *hint = appctl_suggest(g->unknown_actions[i], actions);

		path_set(ctx, "kkkiki", "roles", role->name, "grants", g->index,
			"actions", g->unknown_action_index[i]);
		if (hint)
			report(ctx, "ref.unknown-action", app->file,
				"role \"%s\" is granted unknown action \"%s\" (did you "
				"mean \"%s\"?)", shown(role->name),
				shown(g->unknown_actions[i]), hint);
		else
			report(ctx, "ref.unknown-action", app->file,
				"role \"%s\" is granted unknown action \"%s\" (expected "
				"read, create, update, delete, export or admin)",
				shown(role->name), shown(g->unknown_actions[i]));
	}
	/* Known actions keep no position; export points at the list. */
	path_set(ctx, "kkkik", "roles", role->name, "grants", g->index,
		"actions");
	/*
	 * The class is the blast radius the approvals are sized by: a
	 * "dashboard" that writes is an admin panel approved as a dashboard.
	 */
	if (app->app_class == APPCTL_CLASS_DASHBOARD &&
		(g->actions & WRITE_ACTIONS)) {
		char names[64];

		action_list(names, sizeof(names), g->actions & WRITE_ACTIONS);
		report(ctx, "access.dashboard-write", app->file,
			"dashboard \"%s\" grants %s on \"%s\" to role \"%s\"; a "
			"dashboard is read-only (use class admin_panel for an app "
			"that writes)",
			shown(app->name), names, shown(g->resource),
			shown(role->name));
	}
	if (app->app_class == APPCTL_CLASS_DASHBOARD &&
		(g->actions & APPCTL_ACTION_EXPORT)) {
		if (*reach == SIZE_MAX)
			*reach = role_reach(ctx, role, DASHBOARD_EXPORT_REACH);
		if (!ctx->err && *reach > DASHBOARD_EXPORT_REACH)
			report(ctx, "access.dashboard-export", app->file,
				"dashboard \"%s\" grants export on \"%s\" to role \"%s\", "
				"which reaches %zu principals (more than %d)",
				shown(app->name), shown(g->resource),
				shown(role->name), *reach,
				DASHBOARD_EXPORT_REACH);
	}
	if (!res)
		return;
	for (i = 0; i < g->hidden_field_count; i++) {
		if (appctl_resource_field(res, g->hidden_fields[i]))
			continue;
		path_set(ctx, "kkkiki", "roles", role->name, "grants", g->index,
			"hidden_fields", i);
		report(ctx, "ref.undefined-field", app->file,
			"hidden field \"%s\" is not a field of data set \"%s\"",
			shown(g->hidden_fields[i]), shown(res->name));
	}
	/* A grant of only unknown actions grants nothing, so shows nothing. */
	if (!g->actions || !is_blank(g->justification) ||
		!is_blank(role->justification))
		return;
	path_set(ctx, "kkki", "roles", role->name, "grants", g->index);
	for (i = 0; i < res->field_count; i++) {
		const appctl_field *f = &res->fields[i];

		if (f->sensitivity == APPCTL_SENS_RESTRICTED &&
			!grant_hides(g, f->name))
			report(ctx, "data.restricted-visible", app->file,
				"restricted field \"%s\" of \"%s\" is visible to role \"%s\" "
				"without a justification",
				shown(f->name), shown(res->name),
				shown(role->name));
	}
}

static void check_roles(lint_ctx *ctx, const appctl_app *app)
{
	char date[16];
	size_t i, j;

	for (i = 0; i < app->role_count; i++) {
		const appctl_role *role = &app->roles[i];
		size_t reach = SIZE_MAX;

		for (j = 0; j < role->member_count; j++) {
			const appctl_member *m = &role->members[j];

			if (m->kind == APPCTL_MEMBER_GROUP &&
				!policy_group(ctx, m->name)) {
				path_set(ctx, "kkki", "roles", role->name,
					"members", m->index);
				report(ctx, "ref.undefined-group", app->file,
					"role \"%s\" lists group \"%s\", which the policy does "
					"not define",
					shown(role->name), shown(m->name));
			}
			if (member_expired(ctx, m)) {
				path_set(ctx, "kkkik", "roles", role->name,
					"members", m->index, "expires");
				report(ctx, "access.expired-member", app->file,
					"membership of %s\"%s\" in role \"%s\" expired on %s",
					m->kind == APPCTL_MEMBER_GROUP
						? "group "
						: "",
					shown(m->name), shown(role->name),
					expires_shown(m, date));
			}
		}
		for (j = 0; j < role->grant_count; j++)
			check_grant(ctx, app, role, &role->grants[j], &reach);
	}
}

/* True when some grant of `role` writes (create, update, delete, admin). */
static int role_writes(const appctl_role *role)
{
	size_t i;

	for (i = 0; i < role->grant_count; i++)
		if (role->grants[i].actions & WRITE_ACTIONS)
			return 1;
	return 0;
}

/*
 * access.admin-panel-writers: the distinct principals (groups expanded,
 * memberships expired on `today` dropped) holding a role that writes,
 * against the policy's admin_panel_max_writers. Every principal with a
 * write right is a way to corrupt or wipe the records an admin panel
 * manages; the organisation states how many it accepts.
 */
static void check_admin_writers(lint_ctx *ctx, const appctl_app *app)
{
	const char **names = NULL;
	size_t total = 0, n = 0, distinct = 0, r, m;

	if (!ctx->policy || !ctx->policy->has_admin_panel_max_writers ||
		app->app_class != APPCTL_CLASS_ADMIN_PANEL)
		return;
	for (r = 0; r < app->role_count; r++) {
		const appctl_role *role = &app->roles[r];

		if (!role_writes(role))
			continue;
		for (m = 0; m < role->member_count; m++) {
			const appctl_group *grp;

			if (role->members[m].kind == APPCTL_MEMBER_PRINCIPAL)
				total++;
			else if ((grp = policy_group(ctx,
					  role->members[m].name)) != NULL)
				total += grp->member_count;
		}
	}
	if (total <= (uint64_t)ctx->policy->admin_panel_max_writers)
		return;
	names = calloc(total, sizeof(*names));
	if (!names) {
		ctx->err = appctl_error_nomem();
		return;
	}
	for (r = 0; r < app->role_count; r++)
		if (role_writes(&app->roles[r]))
			n = add_role_principals(ctx, &app->roles[r], names, n);
	distinct = count_distinct(names, n);
	free(names);
	if (distinct <= (uint64_t)ctx->policy->admin_panel_max_writers)
		return;
	path_set(ctx, "k", "roles");
	report(ctx, "access.admin-panel-writers", app->file,
		"admin panel \"%s\" lets %zu principals create, update, delete or "
		"admin (the policy allows at most %lld)",
		shown(app->name), distinct,
		(long long)ctx->policy->admin_panel_max_writers);
}

static void check_pages(lint_ctx *ctx, const appctl_app *app)
{
	size_t i, j;

	for (i = 0; i < app->page_count; i++) {
		const appctl_page *page = &app->pages[i];

		if (page->resource &&
			!appctl_app_resource(app, page->resource)) {
			path_set(ctx, "kkk", "pages", page->name, "resource");
			report(ctx, "ref.undefined-resource", app->file,
				"page \"%s\" shows \"%s\", which is not a data set of the app",
				shown(page->name), shown(page->resource));
		}
		for (j = 0; j < page->role_count; j++) {
			if (appctl_app_role(app, page->roles[j]))
				continue;
			path_set(ctx, "kkki", "pages", page->name, "roles", j);
			report(ctx, "ref.undefined-role", app->file,
				"page \"%s\" names role \"%s\", which the app does not define",
				shown(page->name), shown(page->roles[j]));
		}
	}
}

/*
 * Scopes that grant everything an account can do. Names vary by vendor;
 * the organisation adds its own (lint.broad_scopes). Compared without
 * case: "Admin" is as broad as "admin".
 */
static int scope_is_broad(const lint_ctx *ctx, const char *s)
{
	static const char *const exact[] = { "*", "admin", "full_access",
		"full", "all", "root", "sudo", "superuser", "owner", NULL };
	size_t len = strlen(s), i;

	for (i = 0; exact[i]; i++)
		if (strcasecmp(s, exact[i]) == 0)
			return 1;
	for (i = 0; ctx->policy && i < ctx->policy->broad_scope_count; i++)
		if (strcasecmp(s, ctx->policy->broad_scopes[i]) == 0)
			return 1;
	/* "admin:org", "admin:repo_hook": GitHub's administration scopes. */
	if (len > 6 && strncasecmp(s, "admin:", 6) == 0)
		return 1;
	if (len >= 2 && s[0] == '*' && s[1] == ':')
		return 1;
	if (len >= 2 && s[len - 2] == ':' && s[len - 1] == '*')
		return 1;
	return len > 6 && strcasecmp(s + len - 6, ":admin") == 0;
}

/*
 * credential.missing-env: an integration that authenticates somewhere
 * needs a credential in every environment of the chain, else that
 * environment either fails or borrows another's (often prod's). An
 * integration with no credential at all needs none (a public feed).
 */
static void check_missing_envs(lint_ctx *ctx, const appctl_app *app,
	const appctl_integration *in)
{
	appctl_strbuf missing = APPCTL_STRBUF_INIT;
	size_t i, j, n = 0;

	if (!ctx->policy || !in->credential_count)
		return;
	for (i = 0; i < ctx->policy->environment_count; i++) {
		const char *env = ctx->policy->environments[i];

		for (j = 0; j < in->credential_count; j++)
			if (strcmp(in->credentials[j].env, env) == 0)
				break;
		if (j < in->credential_count)
			continue;
		appctl_strbuf_printf(&missing, "%s%s", n++ ? ", " : "",
			shown(env));
	}
	if (n && !missing.failed) {
		path_set(ctx, "kkk", "integrations", in->name, "credential");
		report(ctx, "credential.missing-env", app->file,
			"integration \"%s\" has no credential for %s %s",
			shown(in->name), n == 1 ? "environment" : "environments",
			missing.ptr);
	} else if (missing.failed && !ctx->err) {
		ctx->err = appctl_error_nomem();
	}
	appctl_strbuf_dispose(&missing);
}

/* integration.name-pattern: the whole name must match (POSIX ERE). */
static void check_name_pattern(lint_ctx *ctx, const appctl_app *app,
	const appctl_integration *in)
{
	regmatch_t m;

	if (!ctx->has_name_re)
		return;
	/* POSIX matching is leftmost-longest: a whole-name match is found. */
	if (regexec(&ctx->name_re, in->name, 1, &m, 0) == 0 && m.rm_so == 0 &&
		(size_t)m.rm_eo == strlen(in->name))
		return;
	path_set(ctx, "kk", "integrations", in->name);
	report(ctx, "integration.name-pattern", app->file,
		"integration name \"%s\" does not match the policy's "
		"integration_name_pattern \"%s\"",
		shown(in->name), shown(ctx->policy->integration_name_pattern));
}

/* reads / writes name data sets of the app (ref.undefined-resource). */
static void check_data_flow(lint_ctx *ctx, const appctl_app *app,
	const appctl_integration *in)
{
	size_t j;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		const char *key = pass ? "writes" : "reads";
		const char **list = pass ? in->writes : in->reads;
		size_t n = pass ? in->write_count : in->read_count;

		for (j = 0; j < n; j++) {
			if (appctl_app_resource(app, list[j]))
				continue;
			path_set(ctx, "kkki", "integrations", in->name, key, j);
			report(ctx, "ref.undefined-resource", app->file,
				"integration \"%s\" %s \"%s\", which is not a data set "
				"of the app",
				shown(in->name), key, shown(list[j]));
		}
	}
}

/*
 * The per-integration rules. Credentials that are proper references and
 * belong to a known environment are appended to `uses` for the cross-app
 * rules (the caller sized it for every credential).
 */
static void check_integrations(lint_ctx *ctx, const appctl_app *app,
	size_t app_index, credential_use *uses, size_t *use_count)
{
	size_t i, j;

	for (i = 0; i < app->integration_count; i++) {
		const appctl_integration *in = &app->integrations[i];

		path_set(ctx, "kk", "integrations", in->name);
		if (is_blank(in->owner))
			report(ctx, "integration.owner-missing", app->file,
				"integration \"%s\" has no owner",
				shown(in->name));
		if (!in->on_failure)
			report(ctx, "integration.on-failure-missing", app->file,
				"integration \"%s\" has no on_failure (fail_closed or "
				"fail_open)",
				shown(in->name));
		check_name_pattern(ctx, app, in);
		check_missing_envs(ctx, app, in);
		check_data_flow(ctx, app, in);
		for (j = 0; j < in->scope_count; j++) {
			if (!is_blank(in->justification) ||
				!scope_is_broad(ctx, in->scopes[j]))
				continue;
			path_set(ctx, "kkki", "integrations", in->name,
				"scopes", j);
			report(ctx, "integration.broad-scope", app->file,
				"integration \"%s\" has broad scope \"%s\" without a "
				"justification",
				shown(in->name), shown(in->scopes[j]));
		}
		for (j = 0; j < in->credential_count; j++) {
			const appctl_credential *c = &in->credentials[j];
			int known = env_is_known(ctx, c->env);
			const char *why = NULL;

			path_set(ctx, "kkkk", "integrations", in->name,
				"credential", c->env);
			if (!known)
				report(ctx, "credential.unknown-env", app->file,
					"integration \"%s\" has a credential for \"%s\", which "
					"is not an environment of the policy",
					shown(in->name), shown(c->env));
			if (!appctl_is_secret_reference(c->ref)) {
				if (appctl_looks_like_secret(c->ref, &why))
					report(ctx, "secret.literal", app->file,
						"the \"%s\" credential of integration \"%s\" is a "
						"literal secret (%s); use a secret:// or env:// "
						"reference",
						shown(c->env), shown(in->name),
						why);
				else
					report(ctx, "secret.literal", app->file,
						"the \"%s\" credential of integration \"%s\" is not a "
						"secret:// or env:// reference",
						shown(c->env), shown(in->name));
				continue;
			}
			if (!known)
				continue;
			uses[*use_count].ref = c->ref;
			uses[*use_count].app = app_index;
			uses[*use_count].integration = in;
			uses[*use_count].env = c->env;
			uses[*use_count].prod =
				ctx->prod && strcmp(c->env, ctx->prod) == 0;
			(*use_count)++;
		}
	}
}

static int compare_uses(const void *pa, const void *pb)
{
	const credential_use *a = pa, *b = pb;
	int c = strcmp(a->ref, b->ref);

	if (c)
		return c;
	if (a->app != b->app)
		return a->app < b->app ? -1 : 1;
	c = strcmp(a->integration->name, b->integration->name);
	return c ? c : strcmp(a->env, b->env);
}

/* Distinct apps among the uses in [from, to) of one class (prod or not). */
typedef struct use_apps {
	size_t count;
	size_t first;  /* app index of the first one */
	size_t second; /* app index of the next different one */
} use_apps;

static use_apps count_apps(const credential_use *uses, size_t from, size_t to,
	int prod)
{
	use_apps r = { 0, SIZE_MAX, SIZE_MAX };
	size_t i, last = SIZE_MAX;

	for (i = from; i < to; i++) {
		if (uses[i].prod != prod || uses[i].app == last)
			continue;
		last = uses[i].app;
		if (r.count == 0)
			r.first = last;
		else if (r.count == 1)
			r.second = last;
		r.count++;
	}
	return r;
}

/* " and N other apps" when more apps than the one named share it. */
static void others_suffix(char *buf, size_t size, size_t apps)
{
	if (apps > 2)
		snprintf(buf, size, " and %zu other apps", apps - 2);
	else
		buf[0] = '\0';
}

/*
 * The prod credential a non-prod use repeats: the same integration's when
 * that is the one (uses are sorted by app, integration, so it is adjacent),
 * else the first prod use of the reference.
 */
static const credential_use *prod_use_for(const credential_use *uses,
	size_t from, size_t to, size_t at)
{
	const credential_use *first = NULL;
	size_t i;

	for (i = at; i > from && uses[i - 1].app == uses[at].app &&
		uses[i - 1].integration == uses[at].integration;
		i--)
		if (uses[i - 1].prod)
			return &uses[i - 1];
	for (i = at + 1; i < to && uses[i].app == uses[at].app &&
		uses[i].integration == uses[at].integration;
		i++)
		if (uses[i].prod)
			return &uses[i];
	for (i = from; i < to && !first; i++)
		if (uses[i].prod)
			first = &uses[i];
	return first;
}

static void report_shared_group(lint_ctx *ctx, const credential_use *uses,
	size_t from, size_t to)
{
	appctl_app *const *apps = ctx->snap->apps;
	use_apps prod = count_apps(uses, from, to, 1);
	use_apps nonprod = count_apps(uses, from, to, 0);
	char suffix[48];
	size_t i;

	for (i = from; i < to; i++) {
		const credential_use *u = &uses[i];
		const appctl_app *app = apps[u->app];
		const char *in_name = shown(u->integration->name);

		path_set(ctx, "kkkk", "integrations", u->integration->name,
			"credential", u->env);
		if (u->prod && prod.count > 1) {
			size_t other =
				u->app == prod.first ? prod.second : prod.first;

			others_suffix(suffix, sizeof(suffix), prod.count);
			report(ctx, "credential.shared-prod", app->file,
				"the prod credential of integration \"%s\" is also the prod "
				"credential of app \"%s\"%s",
				in_name, shown(apps[other]->name), suffix);
		}
		if (u->prod)
			continue;
		if (prod.count > 0) {
			const credential_use *p =
				prod_use_for(uses, from, to, i);

			if (p->app == u->app &&
				p->integration == u->integration)
				report(ctx, "credential.prod-in-nonprod",
					app->file,
					"the \"%s\" credential of integration \"%s\" is its prod "
					"credential",
					shown(u->env), in_name);
			else
				report(ctx, "credential.prod-in-nonprod",
					app->file,
					"the \"%s\" credential of integration \"%s\" is the prod "
					"credential of integration \"%s\" in app \"%s\"",
					shown(u->env), in_name,
					shown(p->integration->name),
					shown(apps[p->app]->name));
		}
		if (nonprod.count > 1) {
			size_t other = u->app == nonprod.first ? nonprod.second
							       : nonprod.first;

			others_suffix(suffix, sizeof(suffix), nonprod.count);
			report(ctx, "credential.shared", app->file,
				"the \"%s\" credential of integration \"%s\" is also used by "
				"app \"%s\"%s",
				shown(u->env), in_name,
				shown(apps[other]->name), suffix);
		}
	}
}

/*
 * The rules across apps (credential.shared-prod, credential.shared,
 * credential.prod-in-nonprod): sorting the uses by reference puts every
 * sharing in one run, so 300 apps cost n log n, not n².
 */
static void check_credentials(lint_ctx *ctx)
{
	const appctl_snapshot *snap = ctx->snap;
	credential_use *uses = NULL;
	size_t total = 0, count = 0, i, j, from;

	for (i = 0; i < snap->app_count; i++)
		for (j = 0; j < snap->apps[i]->integration_count; j++)
			total +=
				snap->apps[i]->integrations[j].credential_count;
	if (total) {
		uses = calloc(total, sizeof(*uses));
		if (!uses) {
			ctx->err = appctl_error_nomem();
			goto done;
		}
	}
	for (i = 0; i < snap->app_count; i++)
		check_integrations(ctx, snap->apps[i], i, uses, &count);
	if (count)
		qsort(uses, count, sizeof(*uses), compare_uses);
	for (from = 0; from < count; from = i) {
		for (i = from + 1;
			i < count && strcmp(uses[i].ref, uses[from].ref) == 0;
			i++)
			;
		report_shared_group(ctx, uses, from, i);
	}
done:
	free(uses);
}

/*
 * The app's "ai" section: reads name data sets and fields of the app
 * (ref.*), and in a client portal, where the records are customers', an AI
 * reaching pii or restricted fields needs a stated reason
 * (ai.sensitive-read): the default is narrow, widening it is a decision.
 */
static void check_ai(lint_ctx *ctx, const appctl_app *app)
{
	appctl_strbuf sensitive = APPCTL_STRBUF_INIT;
	size_t i, j;

	for (i = 0; i < app->ai_read_count; i++) {
		const appctl_ai_read *r = &app->ai_reads[i];
		const appctl_resource *res = appctl_app_resource(app, r->resource);
		size_t n = 0;

		if (!res) {
			path_set(ctx, "kkik", "ai", "reads", r->index, "resource");
			report(ctx, "ref.undefined-resource", app->file,
				"ai reads \"%s\", which is not a data set of the app",
				shown(r->resource));
			continue;
		}
		appctl_strbuf_truncate(&sensitive, 0);
		for (j = 0; j < res->field_count; j++) {
			const appctl_field *f = &res->fields[j];
			size_t k;

			if (f->sensitivity < APPCTL_SENS_PII)
				continue;
			for (k = 0; !r->all_fields && k < r->field_count; k++)
				if (strcmp(r->fields[k], f->name) == 0)
					break;
			if (!r->all_fields && k == r->field_count)
				continue;
			appctl_strbuf_printf(&sensitive, "%s%s", n++ ? ", " : "",
				shown(f->name));
		}
		for (j = 0; j < r->field_count; j++) {
			if (appctl_resource_field(res, r->fields[j]))
				continue;
			path_set(ctx, "kkiki", "ai", "reads", r->index, "fields", j);
			report(ctx, "ref.undefined-field", app->file,
				"ai reads field \"%s\", which is not a field of data set "
				"\"%s\"",
				shown(r->fields[j]), shown(res->name));
		}
		if (n && app->app_class == APPCTL_CLASS_CLIENT_PORTAL &&
			is_blank(app->ai_justification) && !sensitive.failed) {
			path_set(ctx, "kki", "ai", "reads", r->index);
			report(ctx, "ai.sensitive-read", app->file,
				"AI features of client portal \"%s\" read pii or "
				"restricted fields of \"%s\" (%s) without an "
				"ai.justification",
				shown(app->name), shown(res->name), sensitive.ptr);
		}
	}
	if (sensitive.failed && !ctx->err)
		ctx->err = appctl_error_nomem();
	appctl_strbuf_dispose(&sensitive);
}

static void check_app(lint_ctx *ctx, const appctl_app *app)
{
	scan_app(ctx, app);
	check_owners(ctx, app);
	check_data(ctx, app);
	check_roles(ctx, app);
	check_admin_writers(ctx, app);
	check_pages(ctx, app);
	check_ai(ctx, app);
}

/* ---- principal.unknown ---- */

/*
 * Everyone the organisation still lists somewhere: group members, role
 * members of every app (expired or not: the list is what is kept), and
 * the allowed_signers principals (patterns, matched as ssh-keygen does).
 * The names are a set without case, hashed: a large org lists a hundred
 * thousand role members, mostly the same few thousand people, and sorting
 * them all was a sixth of a status.
 */
typedef struct known_people {
	const char **slots;           /* open addressing; NULL: free */
	size_t mask;                  /* the number of slots (a power of two) - 1 */
	appctl_allowed_signers *signers;
} known_people;

/* FNV-1a of `s` with ASCII letters folded, as strcasecmp folds them. */
static size_t hash_nocase(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 0x100000001b3ull;
	}
	return (size_t)(h ^ (h >> 32));
}

/* The slot holding `name` without case, or the free one where it would go. */
static const char **known_slot(const known_people *k, const char *name)
{
	size_t i = hash_nocase(name) & k->mask;

	while (k->slots[i] && strcasecmp(k->slots[i], name) != 0)
		i = (i + 1) & k->mask;
	return &k->slots[i];
}

static void known_add(known_people *k, const char *name)
{
	const char **slot = known_slot(k, name);

	if (!*slot)
		*slot = name;
}

static appctl_error *known_people_build(known_people *k,
	const appctl_snapshot *snap)
{
	const appctl_policy *pol = snap->policy;
	size_t total = 0, size = 16, a, r, m;

	memset(k, 0, sizeof(*k));
	for (a = 0; pol && a < pol->group_count; a++)
		total += pol->groups[a].member_count;
	for (a = 0; a < snap->app_count; a++)
		for (r = 0; r < snap->apps[a]->role_count; r++)
			total += snap->apps[a]->roles[r].member_count;
	/* At most half full, whatever the repeats. */
	while (size < 2 * total && size < SIZE_MAX / 4)
		size *= 2;
	if (!(k->slots = calloc(size, sizeof(*k->slots))))
		return appctl_error_nomem();
	k->mask = size - 1;
	for (a = 0; pol && a < pol->group_count; a++)
		for (m = 0; m < pol->groups[a].member_count; m++)
			known_add(k, pol->groups[a].members[m]);
	for (a = 0; a < snap->app_count; a++)
		for (r = 0; r < snap->apps[a]->role_count; r++) {
			const appctl_role *role = &snap->apps[a]->roles[r];

			for (m = 0; m < role->member_count; m++)
				if (role->members[m].kind == APPCTL_MEMBER_PRINCIPAL)
					known_add(k, role->members[m].name);
		}
	return appctl_allowed_signers_parse(&k->signers,
		snap->signers_text ? snap->signers_text : "",
		snap->signers_text ? snap->signers_len : 0);
}

static void known_people_dispose(known_people *k)
{
	free(k->slots);
	appctl_allowed_signers_free(k->signers);
	memset(k, 0, sizeof(*k));
}

static int is_known(const known_people *k, const char *who)
{
	size_t i;

	if (k->slots && *known_slot(k, who))
		return 1;
	for (i = 0; k->signers && i < k->signers->count; i++)
		if (appctl_ssh_pattern_list_match(who,
			    k->signers->lines[i].principals) == 1)
			return 1;
	return 0;
}

static void check_known(lint_ctx *ctx, const known_people *k,
	const char *file, const char *who, const char *what)
{
	if (is_blank(who) || is_known(k, who))
		return;
	report(ctx, "principal.unknown", file,
		"%s \"%s\" is unknown to every group, role and signer list (left "
		"the organisation?)",
		what, shown(who));
}

/*
 * principal.unknown: an owner, integration owner or approver nobody lists
 * any more is the trace an offboarding leaves: the app, connector or
 * approval right is held by someone who may be gone.
 */
static void check_unknown_principals(lint_ctx *ctx)
{
	const appctl_snapshot *snap = ctx->snap;
	known_people k;
	size_t a, i;

	if ((ctx->err = known_people_build(&k, snap)) != NULL) {
		known_people_dispose(&k);
		return;
	}
	for (a = 0; a < snap->app_count; a++) {
		const appctl_app *app = snap->apps[a];

		path_set(ctx, "kk", "owners", "business");
		check_known(ctx, &k, app->file, app->business_owner,
			"business owner");
		path_set(ctx, "kk", "owners", "technical");
		check_known(ctx, &k, app->file, app->technical_owner,
			"technical owner");
		for (i = 0; i < app->integration_count; i++) {
			const appctl_integration *in = &app->integrations[i];

			path_set(ctx, "kkk", "integrations", in->name, "owner");
			check_known(ctx, &k, app->file, in->owner,
				"integration owner");
		}
	}
	for (i = 0; ctx->policy && i < ctx->policy->approver_count; i++) {
		const appctl_member *m = &ctx->policy->approvers[i];

		if (m->kind != APPCTL_MEMBER_PRINCIPAL)
			continue;
		path_set(ctx, "kki", "approvals", "approvers", m->index);
		check_known(ctx, &k, ctx->policy->file, m->name, "approver");
	}
	known_people_dispose(&k);
}

/* ---- lint.rules: the organisation's severity overrides ---- */

static int compare_override_rule(const void *key, const void *item)
{
	return strcmp((const char *)key,
		((const appctl_applied_override *)item)->rule);
}

/*
 * Applies the policy's overrides to the findings gathered so far and
 * records each one. An override of a fixed rule changes nothing and is
 * an error finding itself: turning off secret.literal or a dangling
 * reference would let the lint approve what it exists to refuse.
 */
static void apply_overrides(lint_ctx *ctx)
{
	const appctl_policy *pol = ctx->policy;
	appctl_findings *out = ctx->out;
	appctl_applied_override *rec;
	size_t i, w, n = 0;
	char *p;

	if (!pol || !pol->lint_override_count)
		return;
	rec = calloc(pol->lint_override_count, sizeof(*rec));
	if (!rec) {
		ctx->err = appctl_error_nomem();
		return;
	}
	out->overrides = rec;
	for (i = 0; i < pol->lint_override_count; i++) {
		const appctl_lint_override *o = &pol->lint_overrides[i];
		const appctl_lint_rule *rule = appctl_lint_rule_find(o->rule);

		if (!rule || rule->fixed)
			continue;
		rec[n].rule = rule->id;
		rec[n].from = rule->severity;
		rec[n].level = o->level;
		rec[n].justification = strdup(o->justification
				? o->justification : "");
		if (!rec[n].justification) {
			ctx->err = appctl_error_nomem();
			return;
		}
		/* One line, like a finding's message: it is printed as is. */
		for (p = rec[n].justification; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		n++;
		out->override_count = n;
	}
	/* Overrides are sorted by rule id in the model, so rec is too. */
	out->errors = out->warnings = 0;
	for (i = 0, w = 0; i < out->count; i++) {
		appctl_finding *f = &out->items[i];
		appctl_applied_override *o = n ? bsearch(f->rule, rec, n,
			sizeof(*rec), compare_override_rule) : NULL;

		if (o) {
			o->findings++;
			if (o->level == APPCTL_LINT_OFF) {
				free(f->file);
				free(f->path);
				free(f->message);
				continue;
			}
			f->severity = o->level == APPCTL_LINT_AS_ERROR
				? APPCTL_SEV_ERROR : APPCTL_SEV_WARNING;
		}
		out->items[w++] = *f;
		if (f->severity == APPCTL_SEV_ERROR)
			out->errors++;
		else
			out->warnings++;
	}
	out->count = w;
	for (i = 0; i < pol->lint_override_count; i++) {
		const appctl_lint_override *o = &pol->lint_overrides[i];
		const appctl_lint_rule *rule = appctl_lint_rule_find(o->rule);

		if (!rule || !rule->fixed)
			continue;
		path_set(ctx, "kkk", "lint", "rules", o->rule);
		report(ctx, "lint.override-not-allowed", pol->file,
			"override of %s is not allowed: secret.literal and the ref.* "
			"rules cannot be turned off or down",
			shown(o->rule));
	}
}

/*
 * Events carry who approved what in production: they go over https, or
 * plain http only to this machine (tests, a local relay). The notify layer
 * refuses the rest at send time too; lint says so before anything ships.
 */
static int notify_url_is_safe(const char *url)
{
	const char *host, *end;
	size_t len;

	if (strncasecmp(url, "https://", 8) == 0)
		return url[8] != '\0' && url[8] != '/';
	if (strncasecmp(url, "http://", 7) != 0)
		return 0;
	host = url + 7;
	if (strchr(host, '@'))
		return 0;
	if (*host == '[') {
		end = strchr(host, ']');
		return end && (size_t)(end - host) == 4 && strncmp(host, "[::1]", 5) == 0;
	}
	len = strcspn(host, ":/?#");
	if (len == 9 && strncasecmp(host, "localhost", 9) == 0)
		return 1;
	/* 127.0.0.0/8, dotted-quad digits only. */
	if (len < 9 || strncmp(host, "127.", 4) != 0)
		return 0;
	return strspn(host, "0123456789.") >= len;
}

/* secret.literal over the policy's strings; notify secrets must be references. */
static void scan_policy(lint_ctx *ctx, const appctl_policy *pol)
{
	const char *file = pol->file;
	const char *why;
	size_t i, j;

	for (i = 0; i < pol->environment_count; i++) {
		path_set(ctx, "ki", "environments", i);
		check_value(ctx, file, pol->environments[i],
			"an environment name");
	}
	for (i = 0; i < pol->group_count; i++) {
		const appctl_group *grp = &pol->groups[i];

		path_set(ctx, "k", "groups");
		check_value(ctx, file, grp->name, "a group name");
		for (j = 0; j < grp->member_count; j++) {
			path_set(ctx, "kki", "groups", grp->name, j);
			check_value(ctx, file, grp->members[j],
				"a group member");
		}
	}
	path_set(ctx, "k", "signers");
	check_value(ctx, file, pol->signers, "the signers path");
	for (i = 0; i < pol->approver_count; i++) {
		path_set(ctx, "kki", "approvals", "approvers",
			pol->approvers[i].index);
		check_value(ctx, file, pol->approvers[i].name, "an approver");
	}
	for (i = 0; i < pol->rule_count; i++) {
		path_set(ctx, "kkik", "approvals", "rules", i, "group");
		check_value(ctx, file, pol->rules[i].group, "a rule group");
	}
	for (i = 0; i < pol->notify_count; i++) {
		const appctl_notify *n = &pol->notify[i];

		path_set(ctx, "kik", "notify", i, "url");
		check_value(ctx, file, n->url, "a notify url");
		if (!notify_url_is_safe(n->url))
			report(ctx, "notify.insecure-url", file,
				"notify url \"%s\" must use https (http only to "
				"127.0.0.1, ::1 or localhost)", shown(n->url));
		path_set(ctx, "kik", "notify", i, "secret");
		if (!n->secret || appctl_is_secret_reference(n->secret))
			continue;
		if (appctl_looks_like_secret(n->secret, &why))
			report(ctx, "secret.literal", file,
				"notify secret is a literal secret (%s); use a secret:// "
				"or env:// reference",
				why);
		else
			report(ctx, "secret.literal", file,
				"notify secret is not a secret:// or env:// reference");
	}
	if (pol->has_break_glass) {
		path_set(ctx, "kk", "break_glass", "group");
		check_value(ctx, file, pol->break_glass_group,
			"the break-glass group");
	}
	for (i = 0; i < pol->freeze_count; i++) {
		const appctl_freeze *fr = &pol->freezes[i];

		for (j = 0; j < fr->env_count; j++) {
			path_set(ctx, "kiki", "freeze", i, "envs", j);
			check_value(ctx, file, fr->envs[j],
				"a freeze environment");
		}
		path_set(ctx, "kik", "freeze", i, "from");
		check_value(ctx, file, fr->from, "a freeze start");
		path_set(ctx, "kik", "freeze", i, "to");
		check_value(ctx, file, fr->to, "a freeze end");
		path_set(ctx, "kik", "freeze", i, "reason");
		check_value(ctx, file, fr->reason, "a freeze reason");
	}
}

static void check_policy_group(lint_ctx *ctx, const char *group,
	const char *what)
{
	if (group && !policy_group(ctx, group))
		report(ctx, "ref.undefined-group", ctx->policy->file,
			"%s names group \"%s\", which the policy does not define",
			what, shown(group));
}

static void check_policy(lint_ctx *ctx)
{
	const appctl_policy *pol = ctx->policy;
	char date[16];
	size_t i, j;

	scan_policy(ctx, pol);
	for (i = 0; i < pol->approver_count; i++) {
		const appctl_member *m = &pol->approvers[i];

		path_set(ctx, "kki", "approvals", "approvers", m->index);
		if (m->kind == APPCTL_MEMBER_GROUP)
			check_policy_group(ctx, m->name, "approvals.approvers");
		if (member_expired(ctx, m)) {
			path_set(ctx, "kkik", "approvals", "approvers",
				m->index, "expires");
			report(ctx, "access.expired-member", pol->file,
				"approver %s\"%s\" expired on %s",
				m->kind == APPCTL_MEMBER_GROUP ? "group " : "",
				shown(m->name), expires_shown(m, date));
		}
	}
	for (i = 0; i < pol->rule_count; i++) {
		path_set(ctx, "kkik", "approvals", "rules", i, "group");
		check_policy_group(ctx, pol->rules[i].group,
			"an approval rule");
	}
	if (pol->has_break_glass) {
		path_set(ctx, "kk", "break_glass", "group");
		check_policy_group(ctx, pol->break_glass_group, "break_glass");
	}
	for (i = 0; i < pol->freeze_count; i++) {
		const appctl_freeze *fr = &pol->freezes[i];

		for (j = 0; j < fr->env_count; j++) {
			if (env_is_known(ctx, fr->envs[j]))
				continue;
			path_set(ctx, "kiki", "freeze", i, "envs", j);
			report(ctx, "ref.unknown-env", pol->file,
				"freeze names environment \"%s\", which is not in "
				"environments",
				shown(fr->envs[j]));
		}
	}
}

/*
 * Orders JSON paths with array indices by number ("[2]" before "[10]"), so
 * findings read in file order.
 */
static int compare_paths(const char *a, const char *b)
{
	while (*a && *a == *b) {
		if (*a == '[' && a[1] >= '0' && a[1] <= '9' && b[1] >= '0' &&
			b[1] <= '9') {
			size_t la = strspn(a + 1, "0123456789");
			size_t lb = strspn(b + 1, "0123456789");
			int c;

			if (la != lb)
				return la < lb ? -1 : 1;
			c = strncmp(a + 1, b + 1, la);
			if (c)
				return c;
			a += la + 1;
			b += la + 1;
			continue;
		}
		a++;
		b++;
	}
	return (int)(unsigned char)*a - (int)(unsigned char)*b;
}

static int compare_findings(const void *pa, const void *pb)
{
	const appctl_finding *a = pa, *b = pb;
	int c;

	if ((c = strcmp(a->file, b->file)) != 0)
		return c;
	if ((c = compare_paths(a->path, b->path)) != 0)
		return c;
	if ((c = strcmp(a->rule, b->rule)) != 0)
		return c;
	/* qsort is not stable; the message makes the order total. */
	return strcmp(a->message, b->message);
}

/* True when an ERE has a back-reference (\1..\9, a glibc extension). */
static int has_backreference(const char *re)
{
	for (; *re; re++)
		if (*re == '\\' && re[1]) {
			if (re[1] >= '1' && re[1] <= '9')
				return 1;
			re++;
		}
	return 0;
}

/*
 * Compiles lint.integration_name_pattern. A pattern with back-references
 * is not evaluated: matching one backtracks, and a hostile policy could
 * make validate (and the server hook) run for hours on one name. Without
 * them glibc matches in polynomial time. The parser validated the syntax;
 * a failure here is memory.
 */
static void compile_name_pattern(lint_ctx *ctx)
{
	const char *re = ctx->policy->integration_name_pattern;

	if (has_backreference(re)) {
		path_set(ctx, "kk", "lint", "integration_name_pattern");
		report(ctx, "integration.name-pattern", ctx->policy->file,
			"integration_name_pattern \"%s\" uses a back-reference, "
			"which appctl does not evaluate (matching could take "
			"exponential time); integration names are not checked",
			shown(re));
		return;
	}
	if (regcomp(&ctx->name_re, re, REG_EXTENDED) != 0)
		ctx->err = appctl_error_nomem();
	else
		ctx->has_name_re = 1;
}

/*
 * Runs every rule over the snapshot. On failure the findings appended so far
 * stay in `out` (sorted or not) for the caller to dispose.
 */
appctl_error *appctl_lint(appctl_findings *out, const appctl_snapshot *snap,
	appctl_date today)
{
	return appctl_lint_progress(out, snap, today, NULL);
}

appctl_error *appctl_lint_progress(appctl_findings *out,
	const appctl_snapshot *snap, appctl_date today,
	const appctl_progress *progress)
{
	lint_ctx ctx;
	size_t i;

	memset(&ctx, 0, sizeof(ctx));
	ctx.out = out;
	ctx.snap = snap;
	ctx.policy = snap->policy;
	ctx.today = today;
	if (ctx.policy && ctx.policy->environment_count)
		ctx.prod =
			ctx.policy->environments[ctx.policy->environment_count -
				1];

	if (ctx.policy && ctx.policy->integration_name_pattern)
		compile_name_pattern(&ctx);
	if (ctx.policy && !ctx.err)
		check_policy(&ctx);
	for (i = 0; i < snap->app_count && !ctx.err; i++) {
		check_app(&ctx, snap->apps[i]);
		appctl_progress_step(progress, i + 1, snap->app_count);
	}
	if (!ctx.err)
		check_credentials(&ctx);
	if (!ctx.err)
		check_unknown_principals(&ctx);
	if (!ctx.err)
		apply_overrides(&ctx);
	if (ctx.has_name_re)
		regfree(&ctx.name_re);
	if (!ctx.err && ctx.path.failed)
		ctx.err = appctl_error_nomem();
	if (!ctx.err && out->count > 1)
		qsort(out->items, out->count, sizeof(*out->items),
			compare_findings);

	appctl_strbuf_dispose(&ctx.path);
	return ctx.err;
}
