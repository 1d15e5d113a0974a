/* inventory.c: per-app inventory rows and who-can answers, both from effective access. */
#include "appctl/inventory.h"

#include <stdlib.h>
#include <string.h>

#include "appctl/access.h"
#include "appctl/strbuf.h"

const char *appctl_inventory_kind_name(appctl_inventory_kind kind)
{
	static const char *const names[APPCTL_INV_COUNT] = { "read", "write",
		"export", "admin", "pii", "restricted" };

	return (unsigned)kind < APPCTL_INV_COUNT ? names[kind] : "?";
}

/* True when `ra` shows a field of sensitivity `s`. */
static int sees_sensitivity(const appctl_resource_access *ra,
	appctl_sensitivity s)
{
	size_t f;

	for (f = 0; ra->resource && f < ra->resource->field_count; f++)
		if (ra->visible[f] && ra->resource->fields[f].sensitivity == s)
			return 1;
	return 0;
}

/* Which kinds `pa` reaches, as bits (1 << appctl_inventory_kind). */
static unsigned kinds_of(const appctl_principal_access *pa)
{
	unsigned kinds = 0;
	size_t r;

	for (r = 0; r < pa->resource_count; r++) {
		const appctl_resource_access *ra = &pa->resources[r];

		if (ra->actions & APPCTL_ACTION_READ)
			kinds |= 1u << APPCTL_INV_READ;
		if (ra->actions & (APPCTL_ACTION_CREATE | APPCTL_ACTION_UPDATE |
				   APPCTL_ACTION_DELETE))
			kinds |= 1u << APPCTL_INV_WRITE;
		if (ra->actions & APPCTL_ACTION_EXPORT)
			kinds |= 1u << APPCTL_INV_EXPORT;
		if (ra->actions & APPCTL_ACTION_ADMIN)
			kinds |= 1u << APPCTL_INV_ADMIN;
		if (ra->actions && sees_sensitivity(ra, APPCTL_SENS_PII))
			kinds |= 1u << APPCTL_INV_PII;
		if (ra->actions && sees_sensitivity(ra, APPCTL_SENS_RESTRICTED))
			kinds |= 1u << APPCTL_INV_RESTRICTED;
	}
	return kinds;
}

appctl_error *appctl_inventory_build(appctl_inventory_row **out,
	size_t *count, appctl_arena *arena, const appctl_snapshot *snap,
	appctl_date at)
{
	appctl_inventory_row *rows;
	const appctl_access_index *ix;
	appctl_error *err;
	size_t a, p, k;

	*out = NULL;
	*count = 0;
	rows = appctl_arena_calloc(arena, snap->app_count + 1, sizeof(*rows));
	if (!rows)
		return appctl_error_nomem();
	for (a = 0; a < snap->app_count; a++) {
		const appctl_app *app = snap->apps[a];
		appctl_inventory_row *row = &rows[a];
		const char **principals;
		size_t n;

		row->app = app;
		err = appctl_app_principals(&principals, &n, arena, app,
			snap->policy);
		if (!err)
			err = appctl_access_index_build(&ix, arena, app);
		if (err)
			return err;
		for (k = 0; k < APPCTL_INV_COUNT; k++) {
			row->principals[k] = appctl_arena_calloc(arena, n + 1,
				sizeof(char *));
			if (!row->principals[k])
				return appctl_error_nomem();
		}
		/* principals come sorted, so every list stays sorted. */
		for (p = 0; p < n; p++) {
			appctl_principal_access pa;
			unsigned kinds;
			/* Only the kinds are kept: the access goes with its arena. */
			appctl_arena *scratch = appctl_arena_new();

			if (!scratch)
				return appctl_error_nomem();
			err = appctl_access_of_indexed(&pa, scratch, ix,
				snap->policy, principals[p], at);
			kinds = err ? 0 : kinds_of(&pa);
			appctl_arena_free(scratch);
			if (err)
				return err;
			for (k = 0; k < APPCTL_INV_COUNT; k++)
				if (kinds & (1u << k))
					row->principals[k][row->principal_count[k]++] =
						principals[p];
		}
	}
	*out = rows;
	*count = snap->app_count;
	return NULL;
}

/* The earliest last day among `principal`'s active temporary memberships. */
static const char *earliest_expiry(const appctl_app *app,
	const char *principal, appctl_date at)
{
	const appctl_member *best = NULL;
	size_t r, m;

	for (r = 0; r < app->role_count; r++)
		for (m = 0; m < app->roles[r].member_count; m++) {
			const appctl_member *mem = &app->roles[r].members[m];

			if (mem->kind == APPCTL_MEMBER_PRINCIPAL &&
			    mem->has_expires && appctl_member_active(mem, at) &&
			    strcmp(mem->name, principal) == 0 &&
			    (!best || mem->expires < best->expires))
				best = mem;
		}
	return best ? best->expires_text : NULL;
}

/* "customers: read, export; tickets: read" into arena memory. */
static const char *describe_access(appctl_arena *arena,
	const appctl_principal_access *pa)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char *out;
	size_t r;
	unsigned bit;

	for (r = 0; r < pa->resource_count; r++) {
		int first = 1;

		appctl_strbuf_printf(&b, "%s%s:", r ? "; " : "",
			pa->resources[r].name);
		for (bit = 1; bit <= APPCTL_ACTION_ADMIN; bit <<= 1)
			if (pa->resources[r].actions & bit) {
				appctl_strbuf_printf(&b, "%s %s", first ? "" : ",",
					appctl_action_name(bit));
				first = 0;
			}
	}
	if (b.failed) {
		appctl_strbuf_dispose(&b);
		return NULL;
	}
	out = appctl_arena_strdup(arena, b.ptr ? b.ptr : "");
	appctl_strbuf_dispose(&b);
	return out;
}

appctl_error *appctl_access_review_build(appctl_review_row **out,
	size_t *count, appctl_arena *arena, const appctl_snapshot *snap,
	appctl_date at)
{
	appctl_review_row *rows = NULL;
	const appctl_access_index *ix;
	appctl_error *err;
	size_t a, p, v, total = 0, n = 0;

	*out = NULL;
	*count = 0;
	for (a = 0; a < snap->app_count; a++) {
		const char **principals;
		size_t np;

		err = appctl_app_principals(&principals, &np, arena,
			snap->apps[a], snap->policy);
		if (err)
			return err;
		total += np;
	}
	rows = appctl_arena_calloc(arena, total + 1, sizeof(*rows));
	if (!rows)
		return appctl_error_nomem();
	for (a = 0; a < snap->app_count; a++) {
		const appctl_app *app = snap->apps[a];
		const char **principals;
		size_t np;

		err = appctl_app_principals(&principals, &np, arena, app,
			snap->policy);
		if (!err)
			err = appctl_access_index_build(&ix, arena, app);
		if (err)
			return err;
		for (p = 0; p < np && n < total; p++) {
			appctl_principal_access pa;
			appctl_strbuf via = APPCTL_STRBUF_INIT;
			appctl_review_row *row;
			/*
			 * The access of one principal lives only while its row
			 * is written: tens of kB each, for every app and
			 * principal, would otherwise stay in the report's
			 * arena (gigabytes on a 300-app org).
			 */
			appctl_arena *scratch = appctl_arena_new();

			if (!scratch)
				return appctl_error_nomem();
			err = appctl_access_of_indexed(&pa, scratch, ix,
				snap->policy, principals[p], at);
			if (err || !pa.resource_count) {
				appctl_arena_free(scratch);
				if (err)
					return err;
				continue;
			}
			row = &rows[n++];
			row->app = app;
			row->principal = principals[p];
			row->kinds = kinds_of(&pa);
			row->expires = earliest_expiry(app, principals[p], at);
			for (v = 0; v < pa.via_count; v++)
				appctl_strbuf_printf(&via, "%s%s", v ? ", " : "",
					pa.via[v]);
			row->via = via.failed ? NULL
				: appctl_arena_strdup(arena, via.ptr ? via.ptr : "");
			appctl_strbuf_dispose(&via);
			row->access = describe_access(arena, &pa);
			appctl_arena_free(scratch);
			if (!row->via || !row->access)
				return appctl_error_nomem();
		}
	}
	*out = rows;
	*count = n;
	return NULL;
}

appctl_error *appctl_integration_missing_credentials(const char ***out,
	size_t *count, appctl_arena *arena, const appctl_integration *integ,
	const appctl_policy *policy)
{
	const char **list;
	size_t e, c, n = 0;

	list = appctl_arena_calloc(arena, policy->environment_count + 1,
		sizeof(*list));
	if (!list)
		return appctl_error_nomem();
	for (e = 0; e < policy->environment_count; e++) {
		int found = 0;

		for (c = 0; c < integ->credential_count; c++)
			if (strcmp(integ->credentials[c].env,
				   policy->environments[e]) == 0)
				found = 1;
		if (!found)
			list[n++] = policy->environments[e];
	}
	*out = list;
	*count = n;
	return NULL;
}

/* ---- who-can ---- */

static int grants_action(const appctl_role *role, const char *resource,
	unsigned action)
{
	size_t g;

	for (g = 0; g < role->grant_count; g++)
		if (strcmp(role->grants[g].resource, resource) == 0 &&
		    (role->grants[g].actions & action))
			return 1;
	return 0;
}

/* True when the principal's access has the action and (if any) the field visible. */
static int qualifies(const appctl_principal_access *pa,
	const appctl_who_can_query *q)
{
	size_t r, f;

	for (r = 0; r < pa->resource_count; r++) {
		const appctl_resource_access *ra = &pa->resources[r];

		if (strcmp(ra->name, q->resource) != 0 || !(ra->actions & q->action))
			continue;
		if (!q->field)
			return 1;
		for (f = 0; ra->resource && f < ra->resource->field_count; f++)
			if (ra->visible[f] &&
			    strcmp(ra->resource->fields[f].name, q->field) == 0)
				return 1;
	}
	return 0;
}

/* A path with the principal it belongs to, before grouping. */
typedef struct who_path {
	const char *principal;
	appctl_who_can_path path;
} who_path;

static int who_path_cmp(const void *a, const void *b)
{
	const who_path *x = a, *y = b;
	int c = strcmp(x->principal, y->principal);

	if (!c)
		c = strcmp(x->path.app, y->path.app);
	if (!c)
		c = strcmp(x->path.role, y->path.role);
	if (!c)
		c = strcmp(x->path.group ? x->path.group : "",
			y->path.group ? y->path.group : "");
	return c;
}

/* Appends the memberships through which `principal` holds `role` on day `at`. */
static void add_paths(who_path *paths, size_t *n, size_t cap,
	const appctl_app *app, const appctl_role *role,
	const appctl_policy *policy, const char *principal, appctl_date at)
{
	size_t m;

	for (m = 0; m < role->member_count && *n < cap; m++) {
		const appctl_member *mem = &role->members[m];
		who_path *p;

		if (mem->kind == APPCTL_MEMBER_PRINCIPAL
			? strcmp(mem->name, principal) != 0 ||
				!appctl_member_active(mem, at)
			: !appctl_policy_in_group(policy, mem->name, principal))
			continue;
		p = &paths[(*n)++];
		p->principal = principal;
		p->path.app = app->name;
		p->path.role = role->name;
		p->path.group = mem->kind == APPCTL_MEMBER_GROUP ? mem->name : NULL;
		p->path.expires = mem->kind == APPCTL_MEMBER_PRINCIPAL &&
			mem->has_expires ? mem->expires_text : NULL;
	}
}

appctl_error *appctl_who_can(appctl_who_can_entry **out, size_t *count,
	size_t *apps_with_resource, appctl_arena *arena,
	const appctl_snapshot *snap, const appctl_who_can_query *q,
	appctl_date at)
{
	appctl_who_can_entry *entries;
	appctl_who_can_path *flat;
	const appctl_access_index *ix;
	who_path *paths;
	appctl_error *err;
	size_t a, p, r, cap = 0, npaths = 0, n = 0;

	*out = NULL;
	*count = 0;
	*apps_with_resource = 0;
	/* Each membership of each role gives at most one path per principal. */
	for (a = 0; a < snap->app_count; a++)
		for (r = 0; r < snap->apps[a]->role_count; r++) {
			const appctl_role *role = &snap->apps[a]->roles[r];
			size_t m;

			for (m = 0; m < role->member_count; m++) {
				const appctl_group *g = role->members[m].kind ==
					APPCTL_MEMBER_GROUP ? appctl_policy_group(
						snap->policy, role->members[m].name) : NULL;

				cap += g ? g->member_count : 1;
			}
		}
	paths = appctl_arena_calloc(arena, cap + 1, sizeof(*paths));
	if (!paths)
		return appctl_error_nomem();
	for (a = 0; a < snap->app_count; a++) {
		const appctl_app *app = snap->apps[a];
		const appctl_resource *res;
		const char **principals;
		size_t np;

		if (q->app && strcmp(q->app, app->name) != 0)
			continue;
		res = appctl_app_resource(app, q->resource);
		if (!res || (q->field && !appctl_resource_field(res, q->field)))
			continue;
		(*apps_with_resource)++;
		err = appctl_app_principals(&principals, &np, arena, app,
			snap->policy);
		if (!err)
			err = appctl_access_index_build(&ix, arena, app);
		if (err)
			return err;
		for (p = 0; p < np; p++) {
			appctl_principal_access pa;
			/* Whether they qualify is all that is kept of the access. */
			appctl_arena *scratch = appctl_arena_new();
			int ok;

			if (!scratch)
				return appctl_error_nomem();
			err = appctl_access_of_indexed(&pa, scratch, ix,
				snap->policy, principals[p], at);
			ok = !err && qualifies(&pa, q);
			appctl_arena_free(scratch);
			if (err)
				return err;
			if (!ok)
				continue;
			for (r = 0; r < app->role_count; r++)
				if (grants_action(&app->roles[r], q->resource,
					    q->action))
					add_paths(paths, &npaths, cap, app,
						&app->roles[r], snap->policy,
						principals[p], at);
		}
	}
	qsort(paths, npaths, sizeof(*paths), who_path_cmp);
	entries = appctl_arena_calloc(arena, npaths + 1, sizeof(*entries));
	flat = appctl_arena_calloc(arena, npaths + 1, sizeof(*flat));
	if (!entries || !flat)
		return appctl_error_nomem();
	for (p = 0; p < npaths; p++) {
		if (!n || strcmp(entries[n - 1].principal, paths[p].principal)) {
			entries[n].principal = paths[p].principal;
			entries[n].paths = &flat[p];
			n++;
		}
		flat[p] = paths[p].path;
		entries[n - 1].path_count++;
	}
	*out = entries;
	*count = n;
	return NULL;
}
