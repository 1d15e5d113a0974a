/* lint.c: the security rules of `appctl validate`, run on a parsed snapshot. */
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appctl/json.h"
#include "appctl/lint.h"
#include "appctl/strbuf.h"

/* Above this many principals, an export from a dashboard is a bulk leak. */
#define DASHBOARD_EXPORT_REACH 25

/*
 * The rule table. Ids are a public interface (SARIF rule ids, suppressions in
 * CI), so they are never renamed; summaries are SARIF short descriptions.
 */
static const appctl_lint_rule lint_rules[] = {
	{ "secret.literal", APPCTL_SEV_ERROR,
		"literal secret instead of a secret:// or env:// reference" },
	{ "integration.owner-missing", APPCTL_SEV_ERROR,
		"integration has no owner" },
	{ "integration.broad-scope", APPCTL_SEV_ERROR,
		"broad integration scope without a justification" },
	{ "credential.shared-prod", APPCTL_SEV_ERROR,
		"prod credential shared by several apps" },
	{ "credential.prod-in-nonprod", APPCTL_SEV_ERROR,
		"prod credential used in a non-prod environment" },
	{ "credential.unknown-env", APPCTL_SEV_ERROR,
		"credential for an environment the policy does not define" },
	{ "app.owner-missing", APPCTL_SEV_ERROR,
		"app has no business or no technical owner" },
	{ "data.tenant-key-missing", APPCTL_SEV_ERROR,
		"client portal data set without tenant_key" },
	{ "ref.undefined-resource", APPCTL_SEV_ERROR,
		"grant or page on an undefined data set" },
	{ "ref.undefined-role", APPCTL_SEV_ERROR,
		"page names an undefined role" },
	{ "ref.undefined-source", APPCTL_SEV_ERROR,
		"data set source is not an integration of the app" },
	{ "ref.undefined-group", APPCTL_SEV_ERROR,
		"reference to a group the policy does not define" },
	{ "ref.unknown-action", APPCTL_SEV_ERROR,
		"grant names an unknown action" },
	{ "ref.undefined-field", APPCTL_SEV_ERROR,
		"hidden field is not a field of the data set" },
	{ "ref.unknown-env", APPCTL_SEV_ERROR,
		"freeze names an environment the policy does not define" },
	{ "notify.insecure-url", APPCTL_SEV_ERROR,
		"notify url is not https (http only to a loopback address)" },
	{ "credential.shared", APPCTL_SEV_WARNING,
		"non-prod credential shared by several apps" },
	{ "access.dashboard-export", APPCTL_SEV_WARNING,
		"dashboard export granted to more than 25 principals" },
	{ "data.restricted-visible", APPCTL_SEV_WARNING,
		"restricted field visible without a justification" },
	{ "access.expired-member", APPCTL_SEV_WARNING,
		"expired temporary membership still listed" },
	{ "integration.on-failure-missing", APPCTL_SEV_WARNING,
		"integration has no on_failure" },
};

#define LINT_RULE_COUNT (sizeof(lint_rules) / sizeof(lint_rules[0]))

typedef struct lint_ctx {
	appctl_findings *out;
	const appctl_snapshot *snap;
	const appctl_policy *policy; /* NULL when the snapshot has none */
	const char *prod;            /* the last environment, or NULL */
	appctl_date today;
	appctl_strbuf path;          /* JSON path of the value being judged */
	appctl_error *err;           /* first failure; stops all reporting */
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

/* Linear on purpose: twenty rules, looked up once per finding. */
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
	memset(findings, 0, sizeof(*findings));
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

	appctl_strbuf_truncate(&ctx->path, 0);
	appctl_strbuf_putc(&ctx->path, '$');
	va_start(ap, steps);
	for (; *steps; steps++) {
		if (*steps == 'k')
			appctl_json_path_key(&ctx->path,
				va_arg(ap, const char *));
		else
			appctl_json_path_index(&ctx->path, va_arg(ap, size_t));
	}
	va_end(ap);
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
	size_t mark = ctx->path.len, i = 0;
	const cJSON *child;

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
	}
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int sorted_contains(const char **names, size_t count, const char *name)
{
	return bsearch(&name, names, count, sizeof(*names), compare_strings) !=
		NULL;
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
	size_t total = 0, groups = 0, n = 0, distinct = 0, i, j;

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
				!sorted_contains(sorted, only->member_count,
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
	qsort(names, n, sizeof(*names), compare_strings);
	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(names[i - 1], names[i]) != 0)
			distinct++;
done:
	free(names);
	return distinct;
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
		path_set(ctx, "kkkiki", "roles", role->name, "grants", g->index,
			"actions", g->unknown_action_index[i]);
		report(ctx, "ref.unknown-action", app->file,
			"role \"%s\" is granted unknown action \"%s\" (expected read, "
			"create, update, delete, export or admin)",
			shown(role->name), shown(g->unknown_actions[i]));
	}
	/* Known actions keep no position; export points at the list. */
	path_set(ctx, "kkkik", "roles", role->name, "grants", g->index,
		"actions");
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

static int scope_is_broad(const char *s)
{
	size_t len = strlen(s);

	if (strcmp(s, "*") == 0 || strcasecmp(s, "admin") == 0 ||
		strcasecmp(s, "full_access") == 0)
		return 1;
	if (len >= 2 && s[0] == '*' && s[1] == ':')
		return 1;
	if (len >= 2 && s[len - 2] == ':' && s[len - 1] == '*')
		return 1;
	return len > 6 && strcasecmp(s + len - 6, ":admin") == 0;
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
		for (j = 0; j < in->scope_count; j++) {
			if (!is_blank(in->justification) ||
				!scope_is_broad(in->scopes[j]))
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

static void check_app(lint_ctx *ctx, const appctl_app *app)
{
	scan_app(ctx, app);
	check_owners(ctx, app);
	check_data(ctx, app);
	check_roles(ctx, app);
	check_pages(ctx, app);
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

	if (ctx.policy)
		check_policy(&ctx);
	for (i = 0; i < snap->app_count && !ctx.err; i++) {
		check_app(&ctx, snap->apps[i]);
		appctl_progress_step(progress, i + 1, snap->app_count);
	}
	if (!ctx.err)
		check_credentials(&ctx);
	if (!ctx.err && ctx.path.failed)
		ctx.err = appctl_error_nomem();
	if (!ctx.err && out->count > 1)
		qsort(out->items, out->count, sizeof(*out->items),
			compare_findings);

	appctl_strbuf_dispose(&ctx.path);
	return ctx.err;
}
