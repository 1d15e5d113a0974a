/* access.c: effective access of a principal to an app, groups expanded, expiry applied. */
#include "appctl/access.h"

#include <stdlib.h>
#include <string.h>

int appctl_policy_in_group(const appctl_policy *policy, const char *name,
	const char *principal)
{
	const appctl_group *g = appctl_policy_group(policy, name);

	return g && appctl_sorted_has(g->sorted_members, g->member_count,
		principal);
}

int appctl_policy_may_approve(const appctl_policy *policy,
	const char *principal)
{
	size_t i;

	for (i = 0; i < policy->approver_count; i++) {
		const appctl_member *m = &policy->approvers[i];

		if (m->kind == APPCTL_MEMBER_PRINCIPAL
			? strcmp(m->name, principal) == 0
			: appctl_policy_in_group(policy, m->name, principal))
			return 1;
	}
	return 0;
}

int appctl_app_uses_group(const appctl_app *app, const char *group)
{
	size_t r, m;

	for (r = 0; r < app->role_count; r++)
		for (m = 0; m < app->roles[r].member_count; m++)
			if (app->roles[r].members[m].kind == APPCTL_MEMBER_GROUP &&
			    strcmp(app->roles[r].members[m].name, group) == 0)
				return 1;
	return 0;
}

/*
 * The groups that hold one principal, looked up once per app: a role names
 * groups, and asking each group in turn was a third of a large diff's
 * access computations.
 */
typedef struct principal_groups {
	const appctl_policy *policy;
	const char *principal;
	const appctl_membership *first;
	size_t count;
} principal_groups;

static void principal_groups_of(principal_groups *pg,
	const appctl_policy *policy, const char *principal)
{
	pg->policy = policy;
	pg->principal = principal;
	pg->count = appctl_policy_groups_of(policy, principal, &pg->first);
}

static int in_group(const principal_groups *pg, const char *name)
{
	size_t i;

	/* A policy made without the index (by hand, in tests) asks the group. */
	if (!pg->policy->memberships)
		return appctl_policy_in_group(pg->policy, name, pg->principal);
	for (i = 0; i < pg->count; i++)
		if (strcmp(pg->first[i].group->name, name) == 0)
			return 1;
	return 0;
}

/*
 * How `principal` holds `role` on day `at` into *out: returns 0 when not at
 * all. A group brings the role for good (group members have no expiry), so
 * a direct membership counts as temporary only when no group brings it too.
 */
static int role_holding(appctl_via *out, const appctl_role *role,
	const principal_groups *pg, const char *principal, appctl_date at)
{
	const appctl_member *direct = NULL;
	const char *group = NULL;
	size_t m;

	for (m = 0; m < role->member_count; m++) {
		const appctl_member *mem = &role->members[m];

		if (mem->kind == APPCTL_MEMBER_PRINCIPAL) {
			/* Cheap tests first: this runs per member, role and principal. */
			if ((mem->name == principal ||
				(mem->name[0] == principal[0] &&
				    strcmp(mem->name, principal) == 0)) &&
			    appctl_member_active(mem, at) &&
			    (!direct || !mem->has_expires ||
				(direct->has_expires && mem->expires > direct->expires)))
				direct = mem;
		} else if (!group && in_group(pg, mem->name)) {
			group = mem->name;
		}
	}
	if (!direct && !group)
		return 0;
	memset(out, 0, sizeof(*out));
	out->role = role;
	/* Directly held is reported as such, as before; a group is the fallback. */
	out->group = direct ? NULL : group;
	if (direct && direct->has_expires && !group) {
		out->temporary = 1;
		out->until = direct->expires;
	}
	return 1;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A via and its name, sorted together by name. */
typedef struct via_pair {
	const char *name;
	appctl_via via;
} via_pair;

static int via_pair_cmp(const void *a, const void *b)
{
	return strcmp(((const via_pair *)a)->name, ((const via_pair *)b)->name);
}

static int resource_access_cmp(const void *a, const void *b)
{
	const appctl_resource_access *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* "<role> (group:<group>)" in arena memory, without printf: once per holding. */
static const char *via_name(appctl_arena *arena, const char *role,
	const char *group)
{
	size_t nr = strlen(role), ng = strlen(group);
	char *s = appctl_arena_calloc(arena, nr + ng + 10, 1);

	if (!s)
		return NULL;
	memcpy(s, role, nr);
	memcpy(s + nr, " (group:", 8);
	memcpy(s + nr + 8, group, ng);
	s[nr + 8 + ng] = ')';
	return s;
}

static int is_hidden(const appctl_grant *g, const char *field)
{
	size_t i;

	for (i = 0; i < g->hidden_field_count; i++)
		if (strcmp(g->hidden_fields[i], field) == 0)
			return 1;
	return 0;
}

appctl_error *appctl_access_of(appctl_principal_access *out,
	appctl_arena *arena, const appctl_app *app, const appctl_policy *policy,
	const char *principal, appctl_date at)
{
	appctl_resource_access *res;
	via_pair *pairs;
	unsigned *lasting; /* per res: actions some permanent holding gives */
	size_t r, g, f, k, nres = 0, nvia = 0, max_grants = 0;
	unsigned bit;
	principal_groups pg;

	principal_groups_of(&pg, policy, principal);
	memset(out, 0, sizeof(*out));
	out->principal = principal;
	out->app = app;
	for (r = 0; r < app->role_count; r++)
		max_grants += app->roles[r].grant_count;
	res = appctl_arena_calloc(arena, max_grants, sizeof(*res));
	lasting = appctl_arena_calloc(arena, max_grants, sizeof(*lasting));
	pairs = appctl_arena_calloc(arena, app->role_count, sizeof(*pairs));
	out->via = appctl_arena_calloc(arena, app->role_count, sizeof(char *));
	out->vias = appctl_arena_calloc(arena, app->role_count,
		sizeof(*out->vias));
	if (!res || !lasting || !pairs || !out->via || !out->vias)
		return appctl_error_nomem();
	for (r = 0; r < app->role_count; r++) {
		const appctl_role *role = &app->roles[r];
		appctl_via *v = &pairs[nvia].via;

		if (!role_holding(v, role, &pg, principal, at))
			continue;
		pairs[nvia].name = v->group ? via_name(arena, role->name,
						v->group)
				      : role->name;
		if (!pairs[nvia++].name)
			return appctl_error_nomem();
		for (g = 0; g < role->grant_count; g++) {
			const appctl_grant *grant = &role->grants[g];
			appctl_resource_access *ra = NULL;

			if (!grant->actions)
				continue;
			for (k = 0; k < nres && !ra; k++)
				if (res[k].name == grant->resource ||
				    strcmp(res[k].name, grant->resource) == 0)
					ra = &res[k];
			if (!ra) {
				ra = &res[nres++];
				ra->name = grant->resource;
				ra->resource = appctl_app_resource(app, grant->resource);
				if (ra->resource) {
					ra->visible = appctl_arena_calloc(arena,
						ra->resource->field_count, 1);
					if (!ra->visible)
						return appctl_error_nomem();
				}
			}
			ra->actions |= grant->actions;
			if (!v->temporary)
				lasting[ra - res] |= grant->actions;
			for (k = 0, bit = 1; k < APPCTL_ACTION_COUNT; k++, bit <<= 1)
				if (v->temporary && (grant->actions & bit) &&
				    (!(ra->temporary & bit) || v->until > ra->until[k])) {
					ra->temporary |= bit;
					ra->until[k] = v->until;
				}
			for (f = 0; ra->resource && f < ra->resource->field_count; f++)
				if (!ra->visible[f] &&
				    !is_hidden(grant, ra->resource->fields[f].name))
					ra->visible[f] = 1;
		}
	}
	/* An action some lasting role gives is not temporary at all. */
	for (k = 0; k < nres; k++)
		res[k].temporary &= ~lasting[k];
	qsort(res, nres, sizeof(*res), resource_access_cmp);
	qsort(pairs, nvia, sizeof(*pairs), via_pair_cmp);
	for (k = 0; k < nvia; k++) {
		out->via[k] = pairs[k].name;
		out->vias[k] = pairs[k].via;
	}
	out->resources = res;
	out->resource_count = nres;
	out->via_count = nvia;
	return NULL;
}

appctl_error *appctl_app_principals(const char ***out, size_t *count,
	appctl_arena *arena, const appctl_app *app, const appctl_policy *policy)
{
	size_t r, m, n = 0, total = 0, i, w;
	const char **list;

	for (r = 0; r < app->role_count; r++) {
		for (m = 0; m < app->roles[r].member_count; m++) {
			const appctl_member *mem = &app->roles[r].members[m];
			const appctl_group *g = mem->kind == APPCTL_MEMBER_GROUP
				? appctl_policy_group(policy, mem->name) : NULL;

			total += mem->kind == APPCTL_MEMBER_GROUP
				? (g ? g->member_count : 0) : 1;
		}
	}
	list = appctl_arena_calloc(arena, total, sizeof(*list));
	if (!list)
		return appctl_error_nomem();
	for (r = 0; r < app->role_count; r++) {
		for (m = 0; m < app->roles[r].member_count; m++) {
			const appctl_member *mem = &app->roles[r].members[m];
			const appctl_group *g;

			if (mem->kind == APPCTL_MEMBER_PRINCIPAL) {
				list[n++] = mem->name;
				continue;
			}
			g = appctl_policy_group(policy, mem->name);
			for (i = 0; g && i < g->member_count; i++)
				list[n++] = g->members[i];
		}
	}
	qsort(list, n, sizeof(*list), name_cmp);
	for (i = 0, w = 0; i < n; i++)
		if (w == 0 || strcmp(list[w - 1], list[i]) != 0)
			list[w++] = list[i];
	*out = list;
	*count = w;
	return NULL;
}
