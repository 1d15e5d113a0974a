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
 * Of two direct memberships of one principal in one role, the one that
 * lasts: `cand` replaces `best` when active on day `at` and it never
 * expires or outlasts an expiring `best`.
 */
static const appctl_member *better_direct(const appctl_member *best,
	const appctl_member *cand, appctl_date at)
{
	if (appctl_member_active(cand, at) &&
	    (!best || !cand->has_expires ||
		(best->has_expires && cand->expires > best->expires)))
		return cand;
	return best;
}

/*
 * How the principal of `pg` holds `role` into *out, `direct` being their
 * lasting direct membership (see better_direct), or NULL: returns 0 when
 * not at all. A group brings the role for good (group members have no
 * expiry), so a direct membership counts as temporary only when no group
 * brings it too.
 */
static int role_holding(appctl_via *out, const appctl_role *role,
	const principal_groups *pg, const appctl_member *direct)
{
	const char *group = NULL;
	size_t m;

	for (m = 0; m < role->member_count && !group; m++) {
		const appctl_member *mem = &role->members[m];

		if (mem->kind == APPCTL_MEMBER_GROUP && in_group(pg, mem->name))
			group = mem->name;
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

/* One principal named directly in one role. */
typedef struct direct_entry {
	const char *name;
	size_t role;
	const appctl_member *member;
} direct_entry;

/*
 * What does not depend on the principal, worked out once per app: who is
 * named directly in which role, and for each grant the slot of its
 * resource and the fields it shows. Asking for one principal then costs a
 * binary search and the roles they hold, not a look at every member and
 * hidden field of the app: a diff asks for every principal a changed role
 * names, an inventory for everyone.
 */
struct appctl_access_index {
	const appctl_app *app;
	direct_entry *direct;         /* sorted by name, then role, then order */
	size_t direct_count;
	const char **slots;           /* granted resource names, sorted, unique */
	const appctl_resource **slot_resource; /* NULL: undefined */
	size_t slot_count;
	size_t *first_grant;          /* per role, its first grant's number */
	size_t *grant_slot;           /* per grant */
	unsigned char **grant_shows;  /* per grant, per field of its resource */
};

static int direct_cmp(const void *a, const void *b)
{
	const direct_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->role != y->role)
		return x->role < y->role ? -1 : 1;
	return x->member < y->member ? -1 : x->member > y->member;
}

appctl_error *appctl_access_index_build(const appctl_access_index **out,
	appctl_arena *arena, const appctl_app *app)
{
	appctl_access_index *ix = appctl_arena_calloc(arena, 1, sizeof(*ix));
	size_t r, m, g, f, n, grants = 0, directs = 0;

	if (!ix)
		return appctl_error_nomem();
	ix->app = app;
	for (r = 0; r < app->role_count; r++) {
		grants += app->roles[r].grant_count;
		for (m = 0; m < app->roles[r].member_count; m++)
			directs += app->roles[r].members[m].kind ==
				APPCTL_MEMBER_PRINCIPAL;
	}
	ix->direct = appctl_arena_calloc(arena, directs, sizeof(*ix->direct));
	ix->slots = appctl_arena_calloc(arena, grants, sizeof(*ix->slots));
	ix->first_grant = appctl_arena_calloc(arena, app->role_count + 1,
		sizeof(*ix->first_grant));
	ix->grant_slot = appctl_arena_calloc(arena, grants,
		sizeof(*ix->grant_slot));
	ix->grant_shows = appctl_arena_calloc(arena, grants,
		sizeof(*ix->grant_shows));
	if (!ix->direct || !ix->slots || !ix->first_grant || !ix->grant_slot ||
	    !ix->grant_shows)
		return appctl_error_nomem();
	for (r = 0, n = 0, grants = 0; r < app->role_count; r++) {
		const appctl_role *role = &app->roles[r];

		ix->first_grant[r] = grants;
		for (m = 0; m < role->member_count; m++)
			if (role->members[m].kind == APPCTL_MEMBER_PRINCIPAL) {
				ix->direct[n].name = role->members[m].name;
				ix->direct[n].role = r;
				ix->direct[n++].member = &role->members[m];
			}
		for (g = 0; g < role->grant_count; g++)
			ix->slots[grants++] = role->grants[g].resource;
	}
	ix->first_grant[app->role_count] = grants;
	ix->direct_count = n;
	qsort(ix->direct, n, sizeof(*ix->direct), direct_cmp);
	ix->slot_count = n = appctl_sort_unique(ix->slots, grants);
	ix->slot_resource = appctl_arena_calloc(arena, n,
		sizeof(*ix->slot_resource));
	if (!ix->slot_resource)
		return appctl_error_nomem();
	for (g = 0; g < n; g++)
		ix->slot_resource[g] = appctl_app_resource(app, ix->slots[g]);
	for (r = 0, n = 0; r < app->role_count; r++) {
		for (g = 0; g < app->roles[r].grant_count; g++, n++) {
			const appctl_grant *grant = &app->roles[r].grants[g];
			const appctl_resource *res;

			ix->grant_slot[n] = appctl_sorted_lower_bound(ix->slots,
				ix->slot_count, sizeof(*ix->slots),
				grant->resource);
			res = ix->slot_resource[ix->grant_slot[n]];
			if (!res || !res->field_count)
				continue;
			ix->grant_shows[n] = appctl_arena_calloc(arena,
				res->field_count, 1);
			if (!ix->grant_shows[n])
				return appctl_error_nomem();
			for (f = 0; f < res->field_count; f++)
				ix->grant_shows[n][f] =
					!is_hidden(grant, res->fields[f].name);
		}
	}
	*out = ix;
	return NULL;
}

/*
 * appctl_access_of, with the app's index or without (`ix` NULL, the
 * cheaper for one principal). The index only finds things faster: which
 * members name the principal, which resource entry a grant adds to, which
 * fields it shows.
 */
static appctl_error *access_compute(appctl_principal_access *out,
	appctl_arena *arena, const appctl_app *app,
	const appctl_access_index *ix, const appctl_policy *policy,
	const char *principal, appctl_date at)
{
	appctl_resource_access *res;
	via_pair *pairs;
	unsigned *lasting; /* per entry: actions some permanent holding gives */
	size_t r, g, f, k, m, room = 0, nres = 0, nvia = 0, d = 0, dend = 0;
	unsigned bit;
	principal_groups pg;

	principal_groups_of(&pg, policy, principal);
	memset(out, 0, sizeof(*out));
	out->principal = principal;
	out->app = app;
	/* With the index, entries sit at their slot until packed at the end. */
	if (ix) {
		room = ix->slot_count;
		d = appctl_sorted_lower_bound(ix->direct, ix->direct_count,
			sizeof(*ix->direct), principal);
		for (dend = d; dend < ix->direct_count &&
		     strcmp(ix->direct[dend].name, principal) == 0; dend++)
			;
	} else {
		for (r = 0; r < app->role_count; r++)
			room += app->roles[r].grant_count;
	}
	res = appctl_arena_calloc(arena, room, sizeof(*res));
	lasting = appctl_arena_calloc(arena, room, sizeof(*lasting));
	pairs = appctl_arena_calloc(arena, app->role_count, sizeof(*pairs));
	out->via = appctl_arena_calloc(arena, app->role_count, sizeof(char *));
	out->vias = appctl_arena_calloc(arena, app->role_count,
		sizeof(*out->vias));
	if (!res || !lasting || !pairs || !out->via || !out->vias)
		return appctl_error_nomem();
	for (r = 0; r < app->role_count; r++) {
		const appctl_role *role = &app->roles[r];
		appctl_via *v = &pairs[nvia].via;
		const appctl_member *direct = NULL;

		if (ix) {
			/* The principal's entries are in role order. */
			for (; d < dend && ix->direct[d].role == r; d++)
				direct = better_direct(direct,
					ix->direct[d].member, at);
		} else {
			for (m = 0; m < role->member_count; m++) {
				const appctl_member *mem = &role->members[m];

				/* Cheap tests first: this runs per member and role. */
				if (mem->kind == APPCTL_MEMBER_PRINCIPAL &&
				    (mem->name == principal ||
					(mem->name[0] == principal[0] &&
					    strcmp(mem->name, principal) == 0)))
					direct = better_direct(direct, mem, at);
			}
		}
		if (!role_holding(v, role, &pg, direct))
			continue;
		pairs[nvia].name = v->group ? via_name(arena, role->name,
						v->group)
				      : role->name;
		if (!pairs[nvia++].name)
			return appctl_error_nomem();
		for (g = 0; g < role->grant_count; g++) {
			const appctl_grant *grant = &role->grants[g];
			const unsigned char *shows = NULL;
			appctl_resource_access *ra = NULL;

			if (!grant->actions)
				continue;
			if (ix) {
				size_t n = ix->first_grant[r] + g;

				ra = &res[ix->grant_slot[n]];
				shows = ix->grant_shows[n];
			} else {
				for (k = 0; k < nres && !ra; k++)
					if (res[k].name == grant->resource ||
					    strcmp(res[k].name, grant->resource) == 0)
						ra = &res[k];
				if (!ra)
					ra = &res[nres++];
			}
			if (!ra->name) {
				ra->name = grant->resource;
				ra->resource = ix ? ix->slot_resource[ra - res]
					: appctl_app_resource(app, grant->resource);
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
				if (!ra->visible[f] && (shows ? shows[f] :
					!is_hidden(grant, ra->resource->fields[f].name)))
					ra->visible[f] = 1;
		}
	}
	/* An action some lasting role gives is not temporary at all. */
	if (ix) {
		/* Slots are in name order: packing keeps it. */
		for (k = 0; k < room; k++)
			if (res[k].name) {
				res[k].temporary &= ~lasting[k];
				res[nres++] = res[k];
			}
	} else {
		for (k = 0; k < nres; k++)
			res[k].temporary &= ~lasting[k];
		qsort(res, nres, sizeof(*res), resource_access_cmp);
	}
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

appctl_error *appctl_access_of(appctl_principal_access *out,
	appctl_arena *arena, const appctl_app *app, const appctl_policy *policy,
	const char *principal, appctl_date at)
{
	return access_compute(out, arena, app, NULL, policy, principal, at);
}

appctl_error *appctl_access_of_indexed(appctl_principal_access *out,
	appctl_arena *arena, const appctl_access_index *index,
	const appctl_policy *policy, const char *principal, appctl_date at)
{
	return access_compute(out, arena, index->app, index, policy,
		principal, at);
}

appctl_error *appctl_app_principals(const char ***out, size_t *count,
	appctl_arena *arena, const appctl_app *app, const appctl_policy *policy)
{
	size_t r, m, n = 0, total = 0, i;
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
	*out = list;
	*count = appctl_sort_unique(list, n);
	return NULL;
}
