/* diff.c: semantic diff of two revisions — who gained what, what got connected (SPEC §2). */
#include "appctl/diff.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/access.h"
#include "appctl/json.h"
#include "appctl/lint.h"
#include "appctl/strbuf.h"

/* ---- the change list ---- */

int appctl_changes_init(appctl_changes *changes)
{
	memset(changes, 0, sizeof(*changes));
	changes->arena = appctl_arena_new();
	return changes->arena ? 0 : -1;
}

void appctl_changes_dispose(appctl_changes *changes)
{
	free(changes->items);
	appctl_arena_free(changes->arena);
	memset(changes, 0, sizeof(*changes));
}

static const char *const risk_names[] = { "low", "medium", "high" };

const char *appctl_risk_name(appctl_risk risk)
{
	return (unsigned)risk < 3 ? risk_names[risk] : "unknown";
}

int appctl_risk_parse(appctl_risk *out, const char *s)
{
	int i;

	for (i = 0; i < 3; i++)
		if (strcmp(s, risk_names[i]) == 0) {
			*out = (appctl_risk)i;
			return 0;
		}
	return -1;
}

void appctl_changes_summary(const appctl_changes *changes, size_t counts[3])
{
	size_t i;

	counts[0] = counts[1] = counts[2] = 0;
	for (i = 0; i < changes->count; i++)
		counts[changes->items[i].risk]++;
}

/*
 * Past this, a change list moves to huge pages (appctl_alloc_large) with
 * room for LARGE_LIST_ROOM bytes of changes: only the pages written cost
 * memory, and growing further is rare enough to copy.
 */
#define LARGE_LIST (1u << 20)
#define LARGE_LIST_ROOM (8 * APPCTL_HUGE_PAGE)

/* Room for `more` changes after the last; 0, or -1 out of memory. */
static int reserve(appctl_changes *out, size_t more)
{
	size_t cap = out->cap ? out->cap : 64;
	appctl_change *items;

	/* Room for none still gives a slot pointer: a list with no items gets some. */
	if (out->items && out->cap - out->count >= more)
		return 0;
	while (cap - out->count < more) {
		if (cap > SIZE_MAX / 2 / sizeof(*items))
			return -1;
		cap *= 2;
	}
	if (cap * sizeof(*items) < LARGE_LIST) {
		items = realloc(out->items, cap * sizeof(*items));
		if (!items)
			return -1;
	} else {
		if (cap < LARGE_LIST_ROOM / sizeof(*items))
			cap = LARGE_LIST_ROOM / sizeof(*items);
		if (!(items = appctl_alloc_large(cap * sizeof(*items))))
			return -1;
		if (out->count)
			memcpy(items, out->items, out->count * sizeof(*items));
		free(out->items);
	}
	out->items = items;
	out->cap = cap;
	return 0;
}

appctl_change *appctl_changes_reserve(appctl_changes *changes, size_t more)
{
	return reserve(changes, more) == 0 ? changes->items + changes->count
		: NULL;
}

/* Copies every string of `c` into the list's arena, so callers may free their models. */
static appctl_error *add(appctl_changes *out, const appctl_change *c)
{
	appctl_change *slot, *prev;

	if (reserve(out, 1) != 0)
		return appctl_error_nomem();
	slot = &out->items[out->count];
	prev = out->count ? slot - 1 : NULL;
	*slot = *c;
	/*
	 * Changes come in runs (one app, one principal, one resource): a
	 * string equal to the previous change's is shared, not copied, which
	 * saves memory and lets the sort compare pointers first.
	 */
#define COPY(f)                                                              \
	do {                                                                 \
		if (!c->f)                                                   \
			break;                                               \
		if (prev && prev->f && strcmp(prev->f, c->f) == 0)           \
			slot->f = prev->f;                                   \
		else if (!(slot->f = appctl_arena_strdup(out->arena, c->f))) \
			return appctl_error_nomem();                         \
	} while (0)
	COPY(app);
	COPY(principal);
	COPY(role);
	COPY(group);
	COPY(member);
	COPY(resource);
	COPY(action);
	COPY(field);
	COPY(integration);
	COPY(scope);
	COPY(env);
	COPY(path);
	COPY(via);
	COPY(before);
	COPY(after);
	COPY(page);
	COPY(expires);
	COPY(owner);
	COPY(scopes);
	COPY(credentials);
#undef COPY
	out->count++;
	return NULL;
}

static int strcmp_null(const char *a, const char *b)
{
	if (a == b)
		return 0;
	if (!a || !b)
		return a ? 1 : (b ? -1 : 0);
	return strcmp(a, b);
}

int appctl_change_equal(const appctl_change *a, const appctl_change *b)
{
	static const size_t fields[] = {
#define F(f) offsetof(appctl_change, f)
		F(kind), F(app), F(principal), F(role), F(group), F(member),
		F(resource), F(action), F(field), F(integration), F(scope),
		F(env), F(path), F(via), F(before), F(after), F(page),
		F(expires), F(owner), F(scopes), F(credentials)
#undef F
	};
	size_t i;

	if (a->risk != b->risk)
		return 0;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *x = *(const char *const *)(const void *)
			((const char *)a + fields[i]);
		const char *y = *(const char *const *)(const void *)
			((const char *)b + fields[i]);

		if (!x != !y || strcmp_null(x, y) != 0)
			return 0;
	}
	return 1;
}

static int change_cmp(const void *pa, const void *pb)
{
	const appctl_change *a = pa, *b = pb;
	int c;

	if ((c = strcmp_null(a->app, b->app)))
		return c;
	if (a->risk != b->risk)
		return a->risk > b->risk ? -1 : 1;
	if ((c = strcmp_null(a->kind, b->kind)) ||
	    (c = strcmp_null(a->principal, b->principal)) ||
	    (c = strcmp_null(a->role, b->role)) ||
	    (c = strcmp_null(a->page, b->page)) ||
	    (c = strcmp_null(a->group, b->group)) ||
	    (c = strcmp_null(a->member, b->member)) ||
	    (c = strcmp_null(a->resource, b->resource)) ||
	    (c = strcmp_null(a->action, b->action)) ||
	    (c = strcmp_null(a->field, b->field)) ||
	    (c = strcmp_null(a->integration, b->integration)) ||
	    (c = strcmp_null(a->scope, b->scope)) ||
	    (c = strcmp_null(a->env, b->env)) ||
	    (c = strcmp_null(a->path, b->path)) ||
	    (c = strcmp_null(a->before, b->before)))
		return c;
	return strcmp_null(a->after, b->after);
}

/* Sorts n changes; a run that is in order already (a memoized one) costs n compares. */
static void sort_run(appctl_change *items, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (change_cmp(&items[i - 1], &items[i]) > 0) {
			qsort(items, n, sizeof(*items), change_cmp);
			return;
		}
}

void appctl_changes_sort_range(appctl_changes *changes, size_t start)
{
	if (start < changes->count)
		sort_run(changes->items + start, changes->count - start);
}

void appctl_changes_sort(appctl_changes *changes)
{
	appctl_change *items = changes->items;
	size_t n = changes->count, start = 0, i;

	/*
	 * The order is by app first, and a diff adds its changes app by app
	 * in folder order: when the apps already come in order, sorting each
	 * app's run alone gives the same list for half the compares (a group
	 * move yields ~150 changes in each of hundreds of apps).
	 */
	for (i = 1; i < n; i++)
		if (strcmp_null(items[i - 1].app, items[i].app) > 0) {
			qsort(items, n, sizeof(*items), change_cmp);
			return;
		}
	for (i = 1; i <= n; i++)
		if (i == n || strcmp_null(items[start].app, items[i].app) != 0) {
			sort_run(items + start, i - start);
			start = i;
		}
}

void appctl_changes_sort_runs(appctl_changes *changes, const size_t *ends,
	size_t runs)
{
	size_t k;

	if (!runs || ends[runs - 1] != changes->count) {
		appctl_changes_sort(changes);
		return;
	}
	for (k = 1; k < runs; k++)
		if (ends[k - 1] > 0 && ends[k - 1] < ends[k] &&
		    change_cmp(&changes->items[ends[k - 1] - 1],
			    &changes->items[ends[k - 1]]) > 0) {
			appctl_changes_sort(changes);
			return;
		}
}

/* ---- small helpers ---- */

/* A JSON string literal in arena memory (before/after values). */
static const char *jstr(appctl_arena *arena, const char *s)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char *r;

	if (!s)
		return NULL;
	appctl_json_quote(&b, s);
	r = b.failed ? NULL : appctl_arena_strndup(arena, b.ptr, b.len);
	appctl_strbuf_dispose(&b);
	return r;
}

static const char *jint(appctl_arena *arena, int has, int64_t v)
{
	return has ? appctl_arena_printf(arena, "%lld", (long long)v) : NULL;
}

static const char *path2(appctl_arena *arena, const char *a, const char *b,
	const char *c)
{
	appctl_strbuf p = APPCTL_STRBUF_INIT;
	const char *r;

	appctl_strbuf_puts(&p, "$");
	appctl_json_path_key(&p, a);
	if (b)
		appctl_json_path_key(&p, b);
	if (c)
		appctl_json_path_key(&p, c);
	r = p.failed ? NULL : appctl_arena_strndup(arena, p.ptr, p.len);
	appctl_strbuf_dispose(&p);
	return r;
}

static int contains(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static int same_str(const char *a, const char *b)
{
	return strcmp_null(a, b) == 0;
}

/* ---- structural app diff ---- */

static const char *grant_json(appctl_arena *arena, const appctl_grant *g)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char *r;
	unsigned bit;
	size_t i;
	int first = 1;

	appctl_strbuf_puts(&b, "{\"actions\":[");
	for (bit = 1; bit < (1u << APPCTL_ACTION_COUNT); bit <<= 1) {
		if (!(g->actions & bit))
			continue;
		appctl_strbuf_printf(&b, "%s\"%s\"", first ? "" : ",",
			appctl_action_name(bit));
		first = 0;
	}
	for (i = 0; i < g->unknown_action_count; i++) {
		appctl_strbuf_puts(&b, first ? "" : ",");
		appctl_json_quote(&b, g->unknown_actions[i]);
		first = 0;
	}
	appctl_strbuf_puts(&b, "]");
	if (g->hidden_field_count) {
		appctl_strbuf_puts(&b, ",\"hidden_fields\":[");
		for (i = 0; i < g->hidden_field_count; i++) {
			appctl_strbuf_puts(&b, i ? "," : "");
			appctl_json_quote(&b, g->hidden_fields[i]);
		}
		appctl_strbuf_puts(&b, "]");
	}
	if (g->justification) {
		appctl_strbuf_puts(&b, ",\"justification\":");
		appctl_json_quote(&b, g->justification);
	}
	appctl_strbuf_puts(&b, ",\"resource\":");
	appctl_json_quote(&b, g->resource);
	appctl_strbuf_puts(&b, "}");
	r = b.failed ? NULL : appctl_arena_strndup(arena, b.ptr, b.len);
	appctl_strbuf_dispose(&b);
	return r;
}

typedef struct diff_ctx {
	appctl_changes *out;
	appctl_arena *scratch;
	const char *app;
	const appctl_app *new_app;   /* the new side, for risk; may be empty */
} diff_ctx;

static appctl_error *emit(diff_ctx *d, appctl_change *c)
{
	c->app = d->app;
	return add(d->out, c);
}

static appctl_error *other(diff_ctx *d, const char *path, const char *before,
	const char *after)
{
	appctl_change c = { 0 };

	if (!path)
		return appctl_error_nomem();
	c.kind = "other.changed";
	c.risk = APPCTL_RISK_LOW;
	c.path = path;
	c.before = before;
	c.after = after;
	return emit(d, &c);
}

static const char *member_text(appctl_arena *arena, const appctl_member *m)
{
	return m->kind == APPCTL_MEMBER_GROUP
		? appctl_arena_printf(arena, "group:%s", m->name) : m->name;
}

static const appctl_member *find_member(const appctl_role *r,
	const appctl_member *m)
{
	size_t i;

	for (i = 0; i < r->member_count; i++)
		if (r->members[i].kind == m->kind &&
		    strcmp(r->members[i].name, m->name) == 0)
			return &r->members[i];
	return NULL;
}

/* True when holding `role` shows a restricted field of some data set. */
static int role_reaches_restricted(const appctl_app *app, const appctl_role *role)
{
	size_t g, f, h;

	for (g = 0; app && g < role->grant_count; g++) {
		const appctl_grant *gr = &role->grants[g];
		const appctl_resource *res = appctl_app_resource(app, gr->resource);

		for (f = 0; gr->actions && res && f < res->field_count; f++) {
			if (res->fields[f].sensitivity != APPCTL_SENS_RESTRICTED)
				continue;
			for (h = 0; h < gr->hidden_field_count; h++)
				if (strcmp(gr->hidden_fields[h], res->fields[f].name) == 0)
					break;
			if (h == gr->hidden_field_count)
				return 1;
		}
	}
	return 0;
}

/*
 * A temporary membership's expiry moved (`was` in the old role, `now` in
 * the new role `b`). Later or removed keeps access longer, which is a
 * widening like a grant: access.expiry_extended, medium, high when the
 * app is a client portal or the role shows restricted data. Earlier or
 * newly set is access.expiry_shortened, low.
 */
static appctl_error *expiry_moved(diff_ctx *d, const appctl_role *b,
	const appctl_member *was, const appctl_member *now)
{
	appctl_strbuf p = APPCTL_STRBUF_INIT;
	appctl_change c = { 0 };
	appctl_error *err;
	int longer = !now->has_expires ||
		(was->has_expires && now->expires > was->expires);

	appctl_strbuf_puts(&p, "$.roles");
	appctl_json_path_key(&p, b->name);
	appctl_strbuf_puts(&p, ".members");
	appctl_json_path_index(&p, now->index);
	if (now->has_expires)
		appctl_strbuf_puts(&p, ".expires");
	c.path = p.failed ? NULL : appctl_arena_strdup(d->scratch, p.ptr);
	appctl_strbuf_dispose(&p);
	if (!c.path)
		return appctl_error_nomem();
	c.kind = longer ? "access.expiry_extended" : "access.expiry_shortened";
	c.risk = APPCTL_RISK_LOW;
	if (longer)
		c.risk = (d->new_app &&
			  d->new_app->app_class == APPCTL_CLASS_CLIENT_PORTAL) ||
			role_reaches_restricted(d->new_app, b)
			? APPCTL_RISK_HIGH : APPCTL_RISK_MEDIUM;
	c.role = b->name;
	c.principal = now->name;
	c.member = now->name;
	c.before = was->has_expires ? jstr(d->scratch, was->expires_text) : NULL;
	c.after = now->has_expires ? jstr(d->scratch, now->expires_text) : NULL;
	c.expires = now->has_expires ? now->expires_text : NULL;
	err = emit(d, &c);
	return err;
}

static appctl_error *diff_role_members(diff_ctx *d, const appctl_role *a,
	const appctl_role *b)
{
	appctl_error *err;
	size_t i;
	int pass;

	/* pass 0: removed (in a, not in b); pass 1: added. */
	for (pass = 0; pass < 2; pass++) {
		const appctl_role *from = pass ? b : a, *to = pass ? a : b;

		for (i = 0; i < from->member_count; i++) {
			const appctl_member *m = &from->members[i];
			const appctl_member *other_m = find_member(to, m);
			appctl_change c = { 0 };

			c.role = a->name;
			c.member = member_text(d->scratch, m);
			if (!c.member)
				return appctl_error_nomem();
			if (m->kind == APPCTL_MEMBER_PRINCIPAL)
				c.principal = m->name;
			else
				c.group = m->name;
			if (!other_m) {
				c.kind = pass ? "role.member_added" : "role.member_removed";
				c.risk = pass ? APPCTL_RISK_MEDIUM : APPCTL_RISK_LOW;
				if (m->has_expires) {
					if (pass) {
						c.after = jstr(d->scratch, m->expires_text);
						c.expires = m->expires_text;
					} else {
						c.before = jstr(d->scratch, m->expires_text);
					}
				}
				if ((err = emit(d, &c)))
					return err;
			} else if (pass == 0 &&
				   (m->has_expires != other_m->has_expires ||
				    (m->has_expires && m->expires != other_m->expires)) &&
				   (err = expiry_moved(d, b, m, other_m))) {
				return err;
			}
		}
	}
	return NULL;
}

static appctl_error *diff_role_grants(diff_ctx *d, const appctl_role *a,
	const appctl_role *b)
{
	const char **ga, **gb;
	unsigned char *used;
	appctl_error *err;
	size_t i, j;

	ga = appctl_arena_calloc(d->scratch, a->grant_count, sizeof(*ga));
	gb = appctl_arena_calloc(d->scratch, b->grant_count, sizeof(*gb));
	used = appctl_arena_calloc(d->scratch, b->grant_count, 1);
	if (!ga || !gb || !used)
		return appctl_error_nomem();
	for (i = 0; i < a->grant_count; i++)
		if (!(ga[i] = grant_json(d->scratch, &a->grants[i])))
			return appctl_error_nomem();
	for (i = 0; i < b->grant_count; i++)
		if (!(gb[i] = grant_json(d->scratch, &b->grants[i])))
			return appctl_error_nomem();
	/* Grants compare as a multiset: reordering them changes nothing. */
	for (i = 0; i < a->grant_count; i++) {
		appctl_change c = { 0 };

		for (j = 0; j < b->grant_count; j++)
			if (!used[j] && strcmp(ga[i], gb[j]) == 0)
				break;
		if (j < b->grant_count) {
			used[j] = 1;
			continue;
		}
		c.kind = "role.grant_removed";
		c.risk = APPCTL_RISK_LOW;
		c.role = a->name;
		c.resource = a->grants[i].resource;
		c.before = ga[i];
		if ((err = emit(d, &c)))
			return err;
	}
	for (j = 0; j < b->grant_count; j++) {
		appctl_change c = { 0 };

		if (used[j])
			continue;
		c.kind = "role.grant_added";
		c.risk = APPCTL_RISK_MEDIUM;
		c.role = b->name;
		c.resource = b->grants[j].resource;
		c.after = gb[j];
		if ((err = emit(d, &c)))
			return err;
	}
	return NULL;
}

static appctl_error *diff_roles(diff_ctx *d, const appctl_app *a,
	const appctl_app *b)
{
	size_t i = 0, j = 0;
	appctl_error *err;

	while (i < a->role_count || j < b->role_count) {
		int c = i >= a->role_count ? 1 : j >= b->role_count ? -1
			: strcmp(a->roles[i].name, b->roles[j].name);
		appctl_change ch = { 0 };

		if (c < 0) {
			ch.kind = "role.removed";
			ch.risk = APPCTL_RISK_LOW;
			ch.role = a->roles[i++].name;
			if ((err = emit(d, &ch)))
				return err;
		} else if (c > 0) {
			ch.kind = "role.added";
			ch.risk = APPCTL_RISK_MEDIUM;
			ch.role = b->roles[j++].name;
			if ((err = emit(d, &ch)))
				return err;
		} else {
			const appctl_role *ra = &a->roles[i++], *rb = &b->roles[j++];

			if ((err = diff_role_members(d, ra, rb)) ||
			    (err = diff_role_grants(d, ra, rb)))
				return err;
			if (!same_str(ra->justification, rb->justification) &&
			    (err = other(d, path2(d->scratch, "roles", ra->name,
					"justification"),
					jstr(d->scratch, ra->justification),
					jstr(d->scratch, rb->justification))))
				return err;
			if (!same_str(ra->description, rb->description) &&
			    (err = other(d, path2(d->scratch, "roles", ra->name,
					"description"),
					jstr(d->scratch, ra->description),
					jstr(d->scratch, rb->description))))
				return err;
		}
	}
	return NULL;
}

static appctl_error *diff_fields(diff_ctx *d, const appctl_resource *a,
	const appctl_resource *b)
{
	size_t i = 0, j = 0;
	appctl_error *err;

	while (i < a->field_count || j < b->field_count) {
		int c = i >= a->field_count ? 1 : j >= b->field_count ? -1
			: strcmp(a->fields[i].name, b->fields[j].name);
		appctl_strbuf p = APPCTL_STRBUF_INIT;
		const appctl_field *fa = c <= 0 ? &a->fields[i] : NULL;
		const appctl_field *fb = c >= 0 ? &b->fields[j] : NULL;
		const char *path;

		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		appctl_strbuf_puts(&p, "$.data");
		appctl_json_path_key(&p, a->name);
		appctl_strbuf_puts(&p, ".fields");
		appctl_json_path_key(&p, fa ? fa->name : fb->name);
		path = p.failed ? NULL : appctl_arena_strdup(d->scratch, p.ptr);
		appctl_strbuf_dispose(&p);
		if (!path)
			return appctl_error_nomem();
		if (fa && fb) {
			appctl_change ch = { 0 };

			if (fa->sensitivity == fb->sensitivity)
				continue;
			ch.kind = "data.sensitivity_changed";
			ch.risk = APPCTL_RISK_MEDIUM;
			ch.resource = a->name;
			ch.field = fa->name;
			ch.path = path;
			ch.before = appctl_sensitivity_json(fa->sensitivity);
			ch.after = appctl_sensitivity_json(fb->sensitivity);
			err = emit(d, &ch);
		} else {
			const appctl_field *f = fa ? fa : fb;
			const char *v = appctl_arena_printf(d->scratch,
				"{\"sensitivity\":\"%s\"}",
				appctl_sensitivity_name(f->sensitivity));

			err = other(d, path, fa ? v : NULL, fb ? v : NULL);
		}
		if (err)
			return err;
	}
	return NULL;
}

static appctl_error *diff_data(diff_ctx *d, const appctl_app *a,
	const appctl_app *b)
{
	size_t i = 0, j = 0;
	appctl_error *err;

	while (i < a->resource_count || j < b->resource_count) {
		int c = i >= a->resource_count ? 1 : j >= b->resource_count ? -1
			: strcmp(a->resources[i].name, b->resources[j].name);
		const appctl_resource *ra, *rb;
		appctl_change ch = { 0 };

		if (c != 0) {
			const appctl_resource *r = c < 0 ? &a->resources[i++]
							 : &b->resources[j++];

			err = other(d, path2(d->scratch, "data", r->name, NULL),
				c < 0 ? "{}" : NULL, c > 0 ? "{}" : NULL);
			if (err)
				return err;
			continue;
		}
		ra = &a->resources[i++];
		rb = &b->resources[j++];
		ch.resource = ra->name;
		if (ra->tenant_key && !rb->tenant_key) {
			ch.kind = "data.tenant_key_removed";
			ch.risk = APPCTL_RISK_HIGH;
			ch.path = path2(d->scratch, "data", ra->name, "tenant_key");
			ch.before = jstr(d->scratch, ra->tenant_key);
			if ((err = emit(d, &ch)))
				return err;
		} else if (!same_str(ra->tenant_key, rb->tenant_key) &&
			   (err = other(d, path2(d->scratch, "data", ra->name,
					"tenant_key"),
					jstr(d->scratch, ra->tenant_key),
					jstr(d->scratch, rb->tenant_key)))) {
			return err;
		}
		if (ra->has_retention != rb->has_retention ||
		    ra->retention_days != rb->retention_days) {
			appctl_change rc = { 0 };

			rc.kind = "data.retention_changed";
			rc.risk = APPCTL_RISK_MEDIUM;
			rc.resource = ra->name;
			rc.path = path2(d->scratch, "data", ra->name, "retention_days");
			rc.before = jint(d->scratch, ra->has_retention, ra->retention_days);
			rc.after = jint(d->scratch, rb->has_retention, rb->retention_days);
			if ((err = emit(d, &rc)))
				return err;
		}
		if (!same_str(ra->source, rb->source) &&
		    (err = other(d, path2(d->scratch, "data", ra->name, "source"),
				jstr(d->scratch, ra->source),
				jstr(d->scratch, rb->source))))
			return err;
		if (ra->storage != rb->storage) {
			appctl_change sc = { 0 };

			/* Where copies of the records live changes what a leak holds. */
			sc.kind = "data.storage_changed";
			sc.risk = APPCTL_RISK_MEDIUM;
			sc.resource = ra->name;
			sc.path = path2(d->scratch, "data", ra->name, "storage");
			sc.before = jstr(d->scratch, appctl_storage_name(ra->storage));
			sc.after = jstr(d->scratch, appctl_storage_name(rb->storage));
			if ((err = emit(d, &sc)))
				return err;
		}
		if (!same_str(ra->description, rb->description) &&
		    (err = other(d, path2(d->scratch, "data", ra->name,
				"description"), jstr(d->scratch, ra->description),
				jstr(d->scratch, rb->description))))
			return err;
		if ((err = diff_fields(d, ra, rb)))
			return err;
	}
	return NULL;
}

static appctl_error *diff_scopes(diff_ctx *d, const appctl_integration *a,
	const appctl_integration *b)
{
	appctl_error *err;
	size_t i;

	for (i = 0; i < a->scope_count; i++) {
		appctl_change c = { 0 };

		if (contains(b->scopes, b->scope_count, a->scopes[i]))
			continue;
		c.kind = "integration.scope_removed";
		c.risk = APPCTL_RISK_LOW;
		c.integration = a->name;
		c.scope = a->scopes[i];
		if ((err = emit(d, &c)))
			return err;
	}
	for (i = 0; i < b->scope_count; i++) {
		appctl_change c = { 0 };

		if (contains(a->scopes, a->scope_count, b->scopes[i]))
			continue;
		c.kind = "integration.scope_added";
		c.risk = APPCTL_RISK_HIGH;
		c.integration = b->name;
		c.scope = b->scopes[i];
		if ((err = emit(d, &c)))
			return err;
	}
	return NULL;
}

static appctl_error *diff_credentials(diff_ctx *d, const appctl_integration *a,
	const appctl_integration *b)
{
	size_t i = 0, j = 0;
	appctl_error *err;

	while (i < a->credential_count || j < b->credential_count) {
		int c = i >= a->credential_count ? 1 : j >= b->credential_count ? -1
			: strcmp(a->credentials[i].env, b->credentials[j].env);
		const appctl_credential *ca = c <= 0 ? &a->credentials[i] : NULL;
		const appctl_credential *cb = c >= 0 ? &b->credentials[j] : NULL;
		appctl_change ch = { 0 };

		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		if (ca && cb && strcmp(ca->ref, cb->ref) == 0)
			continue;
		ch.kind = "integration.credential_changed";
		ch.risk = APPCTL_RISK_HIGH;
		ch.integration = a->name;
		ch.env = ca ? ca->env : cb->env;
		ch.before = ca ? jstr(d->scratch, ca->ref) : NULL;
		ch.after = cb ? jstr(d->scratch, cb->ref) : NULL;
		if ((err = emit(d, &ch)))
			return err;
	}
	return NULL;
}

/*
 * A connector's identity for the reviewer of its arrival or departure:
 * owner, scopes and credential references. A credential that is not a
 * reference and looks like a secret is shown as "(redacted)": lint refuses
 * it, and the diff must not be where it leaks further.
 */
static appctl_error *integration_added_removed(diff_ctx *d,
	const appctl_integration *in, int added)
{
	appctl_strbuf scopes = APPCTL_STRBUF_INIT, creds = APPCTL_STRBUF_INIT;
	appctl_change c = { 0 };
	appctl_error *err = NULL;
	size_t i;

	c.kind = added ? "integration.added" : "integration.removed";
	c.risk = added ? APPCTL_RISK_HIGH : APPCTL_RISK_LOW;
	c.integration = in->name;
	c.owner = in->owner;
	appctl_strbuf_putc(&scopes, '[');
	for (i = 0; i < in->scope_count; i++) {
		if (i)
			appctl_strbuf_putc(&scopes, ',');
		appctl_json_quote(&scopes, in->scopes[i]);
	}
	appctl_strbuf_putc(&scopes, ']');
	appctl_strbuf_putc(&creds, '{');
	for (i = 0; i < in->credential_count; i++) {
		const char *ref = in->credentials[i].ref;

		if (i)
			appctl_strbuf_putc(&creds, ',');
		appctl_json_quote(&creds, in->credentials[i].env);
		appctl_strbuf_putc(&creds, ':');
		appctl_json_quote(&creds, !appctl_is_secret_reference(ref) &&
				appctl_looks_like_secret(ref, NULL)
			? "(redacted)" : ref);
	}
	appctl_strbuf_putc(&creds, '}');
	if (scopes.failed || creds.failed ||
	    !(c.scopes = appctl_arena_strdup(d->scratch, scopes.ptr)) ||
	    !(c.credentials = appctl_arena_strdup(d->scratch, creds.ptr)))
		err = appctl_error_nomem();
	appctl_strbuf_dispose(&scopes);
	appctl_strbuf_dispose(&creds);
	return err ? err : emit(d, &c);
}

/*
 * What an integration reads / writes (data flow): each data set it starts
 * to read or write is a new path for records to leave or enter the app.
 */
static appctl_error *diff_flow(diff_ctx *d, const appctl_integration *a,
	const appctl_integration *b, int writes)
{
	const char **la = writes ? a->writes : a->reads;
	const char **lb = writes ? b->writes : b->reads;
	size_t na = writes ? a->write_count : a->read_count;
	size_t nb = writes ? b->write_count : b->read_count;
	appctl_error *err;
	size_t i;
	int pass;

	/* pass 0: removed (in a only), pass 1: added (in b only). */
	for (pass = 0; pass < 2; pass++) {
		const char **from = pass ? lb : la, **to = pass ? la : lb;
		size_t nfrom = pass ? nb : na, nto = pass ? na : nb;

		for (i = 0; i < nfrom; i++) {
			appctl_change c = { 0 };

			if (contains(to, nto, from[i]))
				continue;
			c.kind = writes ? (pass ? "integration.writes_added"
						: "integration.writes_removed")
					: (pass ? "integration.reads_added"
						: "integration.reads_removed");
			c.risk = pass ? APPCTL_RISK_MEDIUM : APPCTL_RISK_LOW;
			c.integration = a->name;
			c.resource = from[i];
			c.path = path2(d->scratch, "integrations", a->name,
				writes ? "writes" : "reads");
			if ((err = emit(d, &c)))
				return err;
		}
	}
	return NULL;
}

static appctl_error *diff_integrations(diff_ctx *d, const appctl_app *a,
	const appctl_app *b)
{
	size_t i = 0, j = 0;
	appctl_error *err;

	while (i < a->integration_count || j < b->integration_count) {
		int c = i >= a->integration_count ? 1
			: j >= b->integration_count ? -1
			: strcmp(a->integrations[i].name, b->integrations[j].name);
		const appctl_integration *ia, *ib;

		if (c != 0) {
			err = c < 0
				? integration_added_removed(d, &a->integrations[i++], 0)
				: integration_added_removed(d, &b->integrations[j++], 1);
			if (err)
				return err;
			continue;
		}
		ia = &a->integrations[i++];
		ib = &b->integrations[j++];
		if (!same_str(ia->owner, ib->owner)) {
			appctl_change ch = { 0 };

			ch.kind = "integration.owner_changed";
			ch.risk = APPCTL_RISK_MEDIUM;
			ch.integration = ia->name;
			ch.before = jstr(d->scratch, ia->owner);
			ch.after = jstr(d->scratch, ib->owner);
			if ((err = emit(d, &ch)))
				return err;
		}
		if ((err = diff_scopes(d, ia, ib)) ||
		    (err = diff_credentials(d, ia, ib)))
			return err;
		if (!same_str(ia->kind, ib->kind) &&
		    (err = other(d, path2(d->scratch, "integrations", ia->name, "kind"),
				jstr(d->scratch, ia->kind), jstr(d->scratch, ib->kind))))
			return err;
		if (!same_str(ia->on_failure, ib->on_failure)) {
			const char *path = path2(d->scratch, "integrations",
				ia->name, "on_failure");

			/* When the connector fails, the app now lets requests through. */
			if (same_str(ib->on_failure, "fail_open")) {
				appctl_change ch = { 0 };

				ch.kind = "integration.failure_open";
				ch.risk = APPCTL_RISK_MEDIUM;
				ch.integration = ia->name;
				ch.path = path;
				ch.before = jstr(d->scratch, ia->on_failure);
				ch.after = jstr(d->scratch, ib->on_failure);
				err = path ? emit(d, &ch) : appctl_error_nomem();
			} else {
				err = other(d, path, jstr(d->scratch, ia->on_failure),
					jstr(d->scratch, ib->on_failure));
			}
			if (err)
				return err;
		}
		if ((err = diff_flow(d, ia, ib, 0)) || (err = diff_flow(d, ia, ib, 1)))
			return err;
		if (!same_str(ia->description, ib->description) &&
		    (err = other(d, path2(d->scratch, "integrations", ia->name,
				"description"), jstr(d->scratch, ia->description),
				jstr(d->scratch, ib->description))))
			return err;
		if (!same_str(ia->justification, ib->justification) &&
		    (err = other(d, path2(d->scratch, "integrations", ia->name,
				"justification"), jstr(d->scratch, ia->justification),
				jstr(d->scratch, ib->justification))))
			return err;
		if ((ia->has_rate_limit != ib->has_rate_limit ||
		     ia->rate_limit_per_min != ib->rate_limit_per_min) &&
		    (err = other(d, path2(d->scratch, "integrations", ia->name,
				"rate_limit_per_min"),
				jint(d->scratch, ia->has_rate_limit, ia->rate_limit_per_min),
				jint(d->scratch, ib->has_rate_limit, ib->rate_limit_per_min))))
			return err;
	}
	return NULL;
}

/* A page's canonical JSON without its "roles" ("" on failure). */
static const char *page_without_roles(appctl_arena *arena, const appctl_page *p)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	appctl_error *err;
	cJSON *root = NULL;
	const char *r = NULL;

	err = appctl_json_parse(&root, "page", p->canonical, strlen(p->canonical));
	if (err) {
		appctl_error_free(err);
		return NULL;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(root, "roles");
	appctl_json_canonical(&b, root);
	if (!b.failed)
		r = appctl_arena_strndup(arena, b.ptr ? b.ptr : "", b.len);
	appctl_strbuf_dispose(&b);
	cJSON_Delete(root);
	return r;
}

/*
 * The roles of page `from` that page `to` lacks (either may be NULL: a page
 * that is not there), as page.roles_added (`added`) or page.roles_removed.
 */
static appctl_error *page_roles_moved(diff_ctx *d, const char *page,
	const char *path, const appctl_page *from, const appctl_page *to,
	int added)
{
	appctl_error *err;
	size_t i;

	for (i = 0; from && i < from->role_count; i++) {
		appctl_change c = { 0 };

		if (to && contains(to->roles, to->role_count, from->roles[i]))
			continue;
		c.kind = added ? "page.roles_added" : "page.roles_removed";
		c.risk = added ? APPCTL_RISK_MEDIUM : APPCTL_RISK_LOW;
		c.page = page;
		c.role = from->roles[i];
		c.path = path;
		if ((err = emit(d, &c)))
			return err;
	}
	return NULL;
}

/*
 * page.roles_added / page.roles_removed for a page on both sides, one per
 * role; *rest_same says whether nothing but the roles differs (else the
 * caller reports the page as other.changed too).
 */
static appctl_error *diff_page_roles(diff_ctx *d, const appctl_page *pa,
	const appctl_page *pb, int *rest_same)
{
	const char *ra = page_without_roles(d->scratch, pa);
	const char *rb = page_without_roles(d->scratch, pb);
	const char *path = path2(d->scratch, "pages", pa->name, "roles");
	appctl_error *err;

	if (!ra || !rb || !path)
		return appctl_error_nomem();
	*rest_same = strcmp(ra, rb) == 0;
	if ((err = page_roles_moved(d, pa->name, path, pa, pb, 0)))
		return err;
	return page_roles_moved(d, pa->name, path, pb, pa, 1);
}

static appctl_error *diff_pages(diff_ctx *d, const appctl_app *a,
	const appctl_app *b)
{
	size_t i = 0, j = 0;
	appctl_error *err;

	while (i < a->page_count || j < b->page_count) {
		int c = i >= a->page_count ? 1 : j >= b->page_count ? -1
			: strcmp(a->pages[i].name, b->pages[j].name);
		const appctl_page *pa = c <= 0 ? &a->pages[i] : NULL;
		const appctl_page *pb = c >= 0 ? &b->pages[j] : NULL;

		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		if (pa && pb && strcmp(pa->canonical, pb->canonical) == 0)
			continue;
		if (pa && pb) {
			int rest_same = 0;

			if ((err = diff_page_roles(d, pa, pb, &rest_same)))
				return err;
			if (rest_same)
				continue;
		} else {
			/* A page that comes or goes shows to its roles, or stops. */
			const appctl_page *page = pa ? pa : pb;
			const char *path = path2(d->scratch, "pages", page->name,
				"roles");

			if (!path)
				return appctl_error_nomem();
			if ((err = page_roles_moved(d, page->name, path, page, NULL,
					pb != NULL)))
				return err;
		}
		err = other(d, path2(d->scratch, "pages", pa ? pa->name : pb->name,
				NULL), pa ? pa->canonical : NULL,
			pb ? pb->canonical : NULL);
		if (err)
			return err;
	}
	return NULL;
}

/* One (data set, field) an app's AI features may read; field NULL: the data set has no fields listed. */
typedef struct ai_item {
	const char *resource;
	const char *field;
	appctl_sensitivity sensitivity;
} ai_item;

/*
 * What the AI features of `app` may read, expanded to single fields
 * ("fields" absent: every field the data set has on this side).
 */
static appctl_error *ai_items(ai_item **out, size_t *count,
	appctl_arena *arena, const appctl_app *app)
{
	size_t total = 0, n = 0, i, j;
	ai_item *items;

	for (i = 0; i < app->ai_read_count; i++) {
		const appctl_resource *res =
			appctl_app_resource(app, app->ai_reads[i].resource);

		total += app->ai_reads[i].all_fields
			? (res && res->field_count ? res->field_count : 1)
			: app->ai_reads[i].field_count;
	}
	items = appctl_arena_calloc(arena, total ? total : 1, sizeof(*items));
	if (!items)
		return appctl_error_nomem();
	for (i = 0; i < app->ai_read_count; i++) {
		const appctl_ai_read *r = &app->ai_reads[i];
		const appctl_resource *res = appctl_app_resource(app, r->resource);

		if (r->all_fields && (!res || !res->field_count)) {
			items[n].resource = r->resource;
			items[n++].field = NULL;
			continue;
		}
		for (j = 0; j < (r->all_fields ? res->field_count : r->field_count); j++) {
			const char *f = r->all_fields ? res->fields[j].name : r->fields[j];
			const appctl_field *fd = res ? appctl_resource_field(res, f) : NULL;

			items[n].resource = r->resource;
			items[n].field = f;
			items[n++].sensitivity = fd ? fd->sensitivity : APPCTL_SENS_PUBLIC;
		}
	}
	*out = items;
	*count = n;
	return NULL;
}

static int ai_has(const ai_item *items, size_t n, const ai_item *x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(items[i].resource, x->resource) == 0 &&
		    same_str(items[i].field, x->field))
			return 1;
	return 0;
}

/*
 * ai.read_added / ai.read_removed per data set field the AI features may
 * newly / no longer read: high for pii and restricted fields, which a
 * model may repeat to whoever asks it.
 */
static appctl_error *diff_ai(diff_ctx *d, const appctl_app *a,
	const appctl_app *b)
{
	ai_item *ia, *ib;
	size_t na, nb, i;
	appctl_error *err;
	int pass;

	if ((err = ai_items(&ia, &na, d->scratch, a)) ||
	    (err = ai_items(&ib, &nb, d->scratch, b)))
		return err;
	for (pass = 0; pass < 2; pass++) {
		const ai_item *from = pass ? ib : ia, *to = pass ? ia : ib;
		size_t nfrom = pass ? nb : na, nto = pass ? na : nb;

		for (i = 0; i < nfrom; i++) {
			appctl_change c = { 0 };

			if (ai_has(to, nto, &from[i]) ||
			    ai_has(from, i, &from[i]))
				continue;
			c.kind = pass ? "ai.read_added" : "ai.read_removed";
			c.risk = !pass ? APPCTL_RISK_LOW
				: from[i].sensitivity >= APPCTL_SENS_PII
				? APPCTL_RISK_HIGH : APPCTL_RISK_MEDIUM;
			c.resource = from[i].resource;
			c.field = from[i].field;
			c.path = "$.ai.reads";
			if (from[i].field) {
				const char *v = jstr(d->scratch,
					appctl_sensitivity_name(from[i].sensitivity));

				if (pass)
					c.after = v;
				else
					c.before = v;
			}
			if ((err = emit(d, &c)))
				return err;
		}
	}
	if (!same_str(a->ai_justification, b->ai_justification) &&
	    (err = other(d, "$.ai.justification",
			jstr(d->scratch, a->ai_justification),
			jstr(d->scratch, b->ai_justification))))
		return err;
	if (!same_str(a->ai_description, b->ai_description) &&
	    (err = other(d, "$.ai.description",
			jstr(d->scratch, a->ai_description),
			jstr(d->scratch, b->ai_description))))
		return err;
	return NULL;
}

static appctl_error *diff_structure(diff_ctx *d, const appctl_app *a,
	const appctl_app *b)
{
	appctl_error *err;
	static const char *const owner_keys[] = { "business", "technical" };
	const char *owners_a[2] = { a->business_owner, a->technical_owner };
	const char *owners_b[2] = { b->business_owner, b->technical_owner };
	int k;

	if (a->app_class != b->app_class) {
		appctl_change c = { 0 };

		c.kind = "app.class_changed";
		c.risk = APPCTL_RISK_HIGH;
		c.path = "$.class";
		c.before = jstr(d->scratch, appctl_class_name(a->app_class));
		c.after = jstr(d->scratch, appctl_class_name(b->app_class));
		if ((err = emit(d, &c)))
			return err;
	}
	for (k = 0; k < 2; k++) {
		appctl_change c = { 0 };

		if (same_str(owners_a[k], owners_b[k]))
			continue;
		c.kind = "app.owner_changed";
		c.risk = APPCTL_RISK_MEDIUM;
		c.path = path2(d->scratch, "owners", owner_keys[k], NULL);
		c.before = jstr(d->scratch, owners_a[k]);
		c.after = jstr(d->scratch, owners_b[k]);
		if ((err = emit(d, &c)))
			return err;
	}
	if (!same_str(a->description, b->description) &&
	    (err = other(d, "$.description", jstr(d->scratch, a->description),
			jstr(d->scratch, b->description))))
		return err;
	if ((err = diff_data(d, a, b)) || (err = diff_roles(d, a, b)) ||
	    (err = diff_pages(d, a, b)) || (err = diff_integrations(d, a, b)) ||
	    (err = diff_ai(d, a, b)))
		return err;
	return NULL;
}

/* ---- access facts ---- */

/*
 * `name`'s entry in `pa`, or NULL. Callers ask in name order, as both lists
 * are sorted: *cursor, where the previous search stopped, only moves on.
 */
static const appctl_resource_access *find_access(
	const appctl_principal_access *pa, const char *name, size_t *cursor)
{
	int c = 1;

	while (*cursor < pa->resource_count &&
	       (c = strcmp(pa->resources[*cursor].name, name)) < 0)
		++*cursor;
	return *cursor < pa->resource_count && c == 0
		? &pa->resources[*cursor] : NULL;
}

/*
 * True when `f` exists in `ra`'s resource and is visible there. `hint` is
 * where the field stands on the other side: both versions usually list the
 * same fields, so it is checked before searching.
 */
static int sees_field(const appctl_resource_access *ra, const char *f,
	size_t hint, appctl_sensitivity *sens)
{
	size_t i;

	if (!ra || !ra->resource)
		return 0;
	/* One model on both sides (an unchanged app): the same string. */
	if (hint < ra->resource->field_count &&
	    (ra->resource->fields[hint].name == f ||
		strcmp(ra->resource->fields[hint].name, f) == 0)) {
		if (sens)
			*sens = ra->resource->fields[hint].sensitivity;
		return ra->visible[hint];
	}
	for (i = 0; i < ra->resource->field_count; i++)
		if (strcmp(ra->resource->fields[i].name, f) == 0) {
			if (sens)
				*sens = ra->resource->fields[i].sensitivity;
			return ra->visible[i];
		}
	return 0;
}

static int sees_restricted(const appctl_resource_access *ra)
{
	size_t i;

	for (i = 0; ra && ra->resource && i < ra->resource->field_count; i++)
		if (ra->visible[i] &&
		    ra->resource->fields[i].sensitivity == APPCTL_SENS_RESTRICTED)
			return 1;
	return 0;
}

/* "Role, Other (group:x)", a temporary holding marked "(until D)". */
static const char *join_via(appctl_arena *arena, const appctl_principal_access *pa)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char *r;
	size_t i;
	char day[11];

	if (!pa->via_count)
		return NULL;
	for (i = 0; i < pa->via_count; i++) {
		if (i)
			appctl_strbuf_puts(&b, ", ");
		appctl_strbuf_puts(&b, pa->via[i]);
		if (pa->vias && pa->vias[i].temporary) {
			appctl_date_format(day, pa->vias[i].until);
			appctl_strbuf_printf(&b, " (until %s)", day);
		}
	}
	r = b.failed ? NULL : appctl_arena_strndup(arena, b.ptr, b.len);
	appctl_strbuf_dispose(&b);
	return r;
}

/*
 * Actions in the order of their names, as the sort puts them: with
 * regroup_facts below, one principal's facts need no sort
 * (appctl_changes_sort_range checks the order first). Any other order
 * would only cost that sort.
 */
static const unsigned actions_by_name[APPCTL_ACTION_COUNT] = {
	APPCTL_ACTION_ADMIN, APPCTL_ACTION_CREATE, APPCTL_ACTION_DELETE,
	APPCTL_ACTION_EXPORT, APPCTL_ACTION_READ, APPCTL_ACTION_UPDATE
};

/*
 * A fact's group in the sort's order: risk first (high first), then
 * "access." before "field.". Every risk has one (any other counts as low),
 * so that regrouping never drops a fact; the sort decides the order anyway.
 */
static unsigned fact_group(const appctl_change *c)
{
	unsigned rank = c->risk == APPCTL_RISK_HIGH ? 0
		: c->risk == APPCTL_RISK_MEDIUM ? 1 : 2;

	return rank * 2 + (c->field != NULL);
}

/*
 * Puts the facts from `start` on, found resource by resource, in the sort's
 * order: a stable pass per group keeps each group's resource order.
 */
static appctl_error *regroup_facts(appctl_changes *out, size_t start)
{
	size_t n = out->count - start, i, k = 0;
	appctl_change *items = out->items + start, *copy;
	unsigned g;

	for (i = 1; i < n && fact_group(&items[i - 1]) <= fact_group(&items[i]); i++)
		;
	if (i >= n)
		return NULL;
	if (!(copy = malloc(n * sizeof(*copy))))
		return appctl_error_nomem();
	memcpy(copy, items, n * sizeof(*copy));
	for (g = 0; g < 6; g++) /* fact_group gives 0 to 5 */
		for (i = 0; i < n; i++)
			if (fact_group(&copy[i]) == g)
				items[k++] = copy[i];
	free(copy);
	return NULL;
}

/*
 * Emits the access facts for one direction: what `to` has that `from` lacks.
 * granted = 1 for gains (old -> new), 0 for losses (new -> old).
 */
static appctl_error *access_facts(diff_ctx *d, const char *principal,
	const appctl_principal_access *from, const appctl_principal_access *to,
	int granted)
{
	/*
	 * Copied, not memset: gcc clears 176 bytes with rep stos, whose
	 * start-up costs more than the stores of a copy.
	 */
	static const appctl_change no_change;
	/* The roles that held the access: the new ones for a gain, the old ones for a loss. */
	const char *via = join_via(d->scratch, to);
	appctl_error *err;
	size_t i, f, k, cursor = 0, first = d->out->count;
	char day[11];

	for (i = 0; i < to->resource_count; i++) {
		const appctl_resource_access *rt = &to->resources[i];
		const appctl_resource_access *rf = find_access(from, rt->name,
			&cursor);
		unsigned gained = rt->actions & ~(rf ? rf->actions : 0);

		for (k = 0; gained && k < APPCTL_ACTION_COUNT; k++) {
			unsigned bit = actions_by_name[k];
			appctl_change c;

			if (!(gained & bit))
				continue;
			c = no_change;
			c.kind = granted ? "access.granted" : "access.revoked";
			c.risk = APPCTL_RISK_LOW;
			if (granted)
				c.risk = (bit & (APPCTL_ACTION_CREATE | APPCTL_ACTION_UPDATE |
						 APPCTL_ACTION_DELETE | APPCTL_ACTION_EXPORT |
						 APPCTL_ACTION_ADMIN)) || sees_restricted(rt)
					? APPCTL_RISK_HIGH : APPCTL_RISK_MEDIUM;
			c.principal = principal;
			c.resource = rt->name;
			c.action = appctl_action_name(bit);
			c.via = via;
			/* A gain held only through temporary memberships ends. */
			if (granted && (rt->temporary & bit)) {
				size_t b = 0;

				while (!((1u << b) & bit))
					b++;
				appctl_date_format(day, rt->until[b]);
				c.expires = day;
			}
			if ((err = emit(d, &c)))
				return err;
		}
		/* Only sensitive fields are reported; public ones ride on access. */
		for (f = 0; rt->resource && f < rt->resource->field_count; f++) {
			const appctl_field *field = &rt->resource->fields[f];
			appctl_change c;

			if (!rt->visible[f] || field->sensitivity == APPCTL_SENS_PUBLIC ||
			    sees_field(rf, field->name, f, NULL))
				continue;
			/*
			 * Cleared only for a fact: most fields of most principals
			 * are skipped, and clearing 176 bytes for each was a third
			 * of this function's time.
			 */
			c = no_change;
			/* A field that only exists on the `to` side is new, not exposed
			 * by a change of access, unless the principal already had the
			 * resource: then it is exposed to them all the same. */
			c.kind = granted ? "field.exposed" : "field.hidden";
			c.risk = !granted ? APPCTL_RISK_LOW
				: field->sensitivity >= APPCTL_SENS_PII ? APPCTL_RISK_HIGH
				: APPCTL_RISK_MEDIUM;
			c.principal = principal;
			c.resource = rt->name;
			c.field = field->name;
			c.via = via;
			c.after = granted
				? appctl_sensitivity_json(field->sensitivity) : NULL;
			c.before = granted
				? NULL : appctl_sensitivity_json(field->sensitivity);
			if ((err = emit(d, &c)))
				return err;
		}
	}
	return regroup_facts(d->out, first);
}

static appctl_error *merge_principals(const char ***out, size_t *count,
	appctl_arena *arena, const char **a, size_t na, const char **b, size_t nb)
{
	const char **list = appctl_arena_calloc(arena, na + nb, sizeof(*list));
	size_t i = 0, j = 0, n = 0;

	if (!list)
		return appctl_error_nomem();
	while (i < na || j < nb) {
		int c = i >= na ? 1 : j >= nb ? -1 : strcmp(a[i], b[j]);

		list[n++] = c <= 0 ? a[i] : b[j];
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	*out = list;
	*count = n;
	return NULL;
}

static int fp_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Everything that decides what holding `role` gives: its members, its grants
 * and the definition of every resource those grants name. Two versions of a
 * role with the same fingerprint give every holder the same access.
 */
static const char *role_fingerprint(appctl_arena *arena, const appctl_app *app,
	const appctl_role *role)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char **parts;
	const char *r = NULL;
	size_t i, f, n = role->member_count + role->grant_count;

	parts = appctl_arena_calloc(arena, n, sizeof(*parts));
	if (!parts)
		return NULL;
	/* Built with puts, not printf: this runs for every role of a changed app. */
	for (i = 0; i < role->member_count; i++) {
		const appctl_member *m = &role->members[i];

		appctl_strbuf_truncate(&b, 0);
		appctl_strbuf_putc(&b, 'm');
		appctl_strbuf_putc(&b, (char)('0' + (int)m->kind));
		appctl_strbuf_putc(&b, ' ');
		appctl_strbuf_puts(&b, m->name);
		appctl_strbuf_putc(&b, ' ');
		appctl_strbuf_puts(&b, m->expires_text ? m->expires_text : "-");
		parts[i] = b.failed ? NULL
			: appctl_arena_strndup(arena, b.ptr, b.len);
		if (!parts[i]) {
			appctl_strbuf_dispose(&b);
			return NULL;
		}
	}
	appctl_strbuf_truncate(&b, 0);
	for (i = 0; i < role->grant_count; i++) {
		const appctl_grant *g = &role->grants[i];
		const appctl_resource *res = appctl_app_resource(app, g->resource);
		appctl_strbuf gb = APPCTL_STRBUF_INIT;
		const char *json = grant_json(arena, g);

		appctl_strbuf_putc(&gb, 'g');
		appctl_strbuf_puts(&gb, json ? json : "");
		for (f = 0; res && f < res->field_count; f++) {
			appctl_strbuf_putc(&gb, ' ');
			appctl_strbuf_puts(&gb, res->fields[f].name);
			appctl_strbuf_putc(&gb, ':');
			appctl_strbuf_putc(&gb, (char)('0' +
				(int)res->fields[f].sensitivity));
		}
		if (!res)
			appctl_strbuf_puts(&gb, " undefined");
		parts[role->member_count + i] = (!json || gb.failed) ? NULL
			: appctl_arena_strndup(arena, gb.ptr, gb.len);
		appctl_strbuf_dispose(&gb);
		if (!parts[role->member_count + i])
			return NULL;
	}
	/* Order in the file changes nothing for access. */
	qsort(parts, n, sizeof(*parts), fp_cmp);
	for (i = 0; i < n; i++) {
		appctl_strbuf_puts(&b, parts[i]);
		appctl_strbuf_putc(&b, '\n');
	}
	if (!b.failed)
		r = appctl_arena_strndup(arena, b.ptr ? b.ptr : "", b.len);
	appctl_strbuf_dispose(&b);
	return r;
}

/* A growable list of principals in arena memory. */
typedef struct name_list {
	const char **items;
	size_t count;
	size_t cap;
} name_list;

static int push_name(name_list *l, appctl_arena *arena, const char *name)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		const char **grown = appctl_arena_calloc(arena, cap, sizeof(*grown));

		if (!grown)
			return -1;
		if (l->count)
			memcpy(grown, l->items, l->count * sizeof(*grown));
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->count++] = name;
	return 0;
}

/* Appends the principals holding `role` through `policy`'s groups, expiry ignored. */
static int push_role_members(name_list *l, appctl_arena *arena,
	const appctl_role *role, const appctl_policy *policy)
{
	size_t m, k;

	for (m = 0; m < role->member_count; m++) {
		const appctl_member *mem = &role->members[m];
		const appctl_group *g;

		if (mem->kind == APPCTL_MEMBER_PRINCIPAL) {
			if (push_name(l, arena, mem->name) < 0)
				return -1;
			continue;
		}
		g = appctl_policy_group(policy, mem->name);
		for (k = 0; g && k < g->member_count; k++)
			if (push_name(l, arena, g->members[k]) < 0)
				return -1;
	}
	return 0;
}

static int resource_fields_same(const appctl_resource *a,
	const appctl_resource *b)
{
	size_t i;

	if (!a || !b)
		return !a && !b;
	if (a->field_count != b->field_count)
		return 0;
	for (i = 0; i < a->field_count; i++)
		if (a->fields[i].sensitivity != b->fields[i].sensitivity ||
		    strcmp(a->fields[i].name, b->fields[i].name) != 0)
			return 0;
	return 1;
}

/*
 * True when two roles list the same members and grants in the same order,
 * over resources with the same fields: then their fingerprints are equal
 * without being built. False says nothing (the order may differ): the
 * fingerprints decide. Most roles of a changed app did not change.
 */
static int role_same_in_order(const appctl_app *x, const appctl_role *rx,
	const appctl_app *y, const appctl_role *ry)
{
	size_t i, k;

	if (rx->member_count != ry->member_count ||
	    rx->grant_count != ry->grant_count)
		return 0;
	for (i = 0; i < rx->member_count; i++) {
		const appctl_member *a = &rx->members[i], *b = &ry->members[i];

		if (a->kind != b->kind || strcmp(a->name, b->name) != 0 ||
		    strcmp_null(a->expires_text, b->expires_text) != 0)
			return 0;
	}
	for (i = 0; i < rx->grant_count; i++) {
		const appctl_grant *a = &rx->grants[i], *b = &ry->grants[i];

		if (a->actions != b->actions ||
		    a->unknown_action_count != b->unknown_action_count ||
		    a->hidden_field_count != b->hidden_field_count ||
		    strcmp(a->resource, b->resource) != 0 ||
		    strcmp_null(a->justification, b->justification) != 0)
			return 0;
		for (k = 0; k < a->unknown_action_count; k++)
			if (strcmp(a->unknown_actions[k], b->unknown_actions[k]) != 0)
				return 0;
		for (k = 0; k < a->hidden_field_count; k++)
			if (strcmp(a->hidden_fields[k], b->hidden_fields[k]) != 0)
				return 0;
		if (!resource_fields_same(appctl_app_resource(x, a->resource),
			    appctl_app_resource(y, b->resource)))
			return 0;
	}
	return 1;
}

/* Appends the members of group `name` under `px` that are not members under `py`. */
static int push_moved(name_list *l, appctl_arena *arena, const char *name,
	const appctl_policy *px, const appctl_policy *py)
{
	const appctl_group *g = appctl_policy_group(px, name);
	const appctl_group *h = px == py ? g : appctl_policy_group(py, name);
	size_t i;

	/* Most groups did not move: one pass over both sorted lists says so. */
	if (g && h && g->member_count == h->member_count) {
		for (i = 0; i < g->member_count; i++)
			if (g->sorted_members[i] != h->sorted_members[i] &&
			    strcmp(g->sorted_members[i], h->sorted_members[i]) != 0)
				break;
		if (i == g->member_count)
			return 0;
	}
	for (i = 0; g && i < g->member_count; i++)
		if (!appctl_policy_in_group(py, name, g->members[i]) &&
		    push_name(l, arena, g->members[i]) < 0)
			return -1;
	return 0;
}

/*
 * Whose access can differ between two versions of an app: the holders (on
 * either side) of every role whose fingerprint changed, and the principals
 * whose membership moved in a group the app names. Everyone else holds the
 * same roles giving the same grants, so comparing them would only cost time
 * (an app names thousands of principals; a change touches a few roles).
 */
static appctl_error *affected_principals(const char ***out, size_t *count,
	appctl_arena *arena, const appctl_app *a, const appctl_policy *pa,
	const appctl_app *b, const appctl_policy *pb)
{
	name_list l = { NULL, 0, 0 };
	size_t r, m;
	int side;

	for (side = 0; side < 2; side++) {
		const appctl_app *x = side ? b : a, *y = side ? a : b;
		const appctl_policy *px = side ? pb : pa, *py = side ? pa : pb;

		for (r = 0; r < x->role_count; r++) {
			const appctl_role *rx = &x->roles[r];
			const appctl_role *ry = appctl_app_role(y, rx->name);
			const char *fx, *fy;
			/* Both sides one model (an unchanged app): the same role. */
			int same = ry && (ry == rx ||
				role_same_in_order(x, rx, y, ry));

			if (ry && !same) {
				fx = role_fingerprint(arena, x, rx);
				fy = role_fingerprint(arena, y, ry);
				if (!fx || !fy)
					return appctl_error_nomem();
				same = strcmp(fx, fy) == 0;
			}
			if (!same) {
				if (push_role_members(&l, arena, rx, px) < 0)
					return appctl_error_nomem();
				continue;
			}
			/* The same role: only principals moved in its groups differ. */
			for (m = 0; m < rx->member_count; m++)
				if (rx->members[m].kind == APPCTL_MEMBER_GROUP &&
				    push_moved(&l, arena, rx->members[m].name, px, py) < 0)
					return appctl_error_nomem();
		}
	}
	l.count = appctl_sort_unique(l.items, l.count);
	*out = l.items;
	*count = l.count;
	return NULL;
}

static const appctl_app empty_app;

/* From this many principals on, an app's access index pays for itself. */
#define INDEX_FROM 8

appctl_error *appctl_diff_app(appctl_changes *out,
	const appctl_app *old_app, const appctl_policy *old_policy,
	const appctl_app *new_app, const appctl_policy *new_policy,
	const char *const *principals, size_t principal_count, appctl_date at)
{
	const appctl_app *a = old_app ? old_app : &empty_app;
	const appctl_app *b = new_app ? new_app : &empty_app;
	const char **pa = NULL, **pb = NULL, **all = NULL;
	const appctl_access_index *ia = NULL, *ib = NULL;
	size_t na = 0, nb = 0, n = 0, i;
	appctl_error *err = NULL;
	diff_ctx d;

	d.out = out;
	d.app = old_app ? old_app->name : new_app->name;
	d.new_app = b;
	d.scratch = appctl_arena_new();
	if (!d.scratch)
		return appctl_error_nomem();
	if (!old_app || !new_app) {
		const appctl_app *only = old_app ? old_app : new_app;
		appctl_change c = { 0 };

		c.kind = old_app ? "app.removed" : "app.added";
		c.risk = old_app ? APPCTL_RISK_LOW : APPCTL_RISK_MEDIUM;
		c.after = new_app ? jstr(d.scratch, appctl_class_name(new_app->app_class)) : NULL;
		c.before = old_app ? jstr(d.scratch, appctl_class_name(old_app->app_class)) : NULL;
		if ((err = emit(&d, &c)))
			goto done;
		for (i = 0; i < only->integration_count; i++)
			if ((err = integration_added_removed(&d, &only->integrations[i],
					new_app != NULL)))
				goto done;
	} else if (!principals && (err = diff_structure(&d, a, b))) {
		goto done;
	}
	if (principals) {
		all = (const char **)principals;
		n = principal_count;
	} else if (old_app && new_app) {
		err = affected_principals(&all, &n, d.scratch, a, old_policy, b,
			new_policy);
		if (err)
			goto done;
	} else if ((err = appctl_app_principals(&pa, &na, d.scratch, a, old_policy)) ||
		   (err = appctl_app_principals(&pb, &nb, d.scratch, b, new_policy)) ||
		   (err = merge_principals(&all, &n, d.scratch, pa, na, pb, nb))) {
		goto done;
	}
	/* An index costs about as much as asking for a few principals. */
	if (n >= INDEX_FROM &&
	    ((err = appctl_access_index_build(&ia, d.scratch, a)) ||
		(b != a && (err = appctl_access_index_build(&ib, d.scratch, b)))))
		goto done;
	if (b == a)
		ib = ia;
	for (i = 0; i < n; i++) {
		appctl_principal_access before, after;
		appctl_arena *keep = d.scratch;

		/* One principal's access at a time: add() copies what it keeps. */
		d.scratch = appctl_arena_new();
		if (!d.scratch) {
			d.scratch = keep;
			err = appctl_error_nomem();
			goto done;
		}
		if (!(err = ia ? appctl_access_of_indexed(&before, d.scratch,
				       ia, old_policy, all[i], at)
			       : appctl_access_of(&before, d.scratch, a,
				       old_policy, all[i], at)) &&
		    !(err = ib ? appctl_access_of_indexed(&after, d.scratch,
				       ib, new_policy, all[i], at)
			       : appctl_access_of(&after, d.scratch, b,
				       new_policy, all[i], at)) &&
		    !(err = access_facts(&d, all[i], &before, &after, 1)))
			err = access_facts(&d, all[i], &after, &before, 0);
		appctl_arena_free(d.scratch);
		d.scratch = keep;
		if (err)
			goto done;
	}
done:
	appctl_arena_free(d.scratch);
	return err;
}

/* ---- policy ---- */

static void render_members(appctl_strbuf *b, const appctl_member *m, size_t n)
{
	size_t i;

	appctl_strbuf_putc(b, '[');
	for (i = 0; i < n; i++) {
		appctl_strbuf_puts(b, i ? ",\"" : "\"");
		if (m[i].kind == APPCTL_MEMBER_GROUP)
			appctl_strbuf_puts(b, "group:");
		{
			appctl_strbuf q = APPCTL_STRBUF_INIT;

			/* The name without the quotes json_quote adds: one is open. */
			appctl_json_quote(&q, m[i].name);
			if (!q.failed)
				appctl_strbuf_add(b, q.ptr + 1, q.len - 2);
			appctl_strbuf_dispose(&q);
		}
		appctl_strbuf_putc(b, '"');
	}
	appctl_strbuf_putc(b, ']');
}

static void render_strings(appctl_strbuf *b, const char *const *s, size_t n)
{
	size_t i;

	appctl_strbuf_putc(b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			appctl_strbuf_putc(b, ',');
		appctl_json_quote(b, s[i]);
	}
	appctl_strbuf_putc(b, ']');
}

/*
 * Canonical JSON of one top-level policy section, rebuilt from the model so
 * that formatting and key order never register as policy changes.
 * Returns NULL-content ("") when the section is absent.
 */
static void render_section(appctl_strbuf *b, const appctl_policy *p,
	const char *key)
{
	static const char *const ev[] = { "approve", "promote", "rollback", "break_glass" };
	size_t i;
	int k;

	if (strcmp(key, "environments") == 0) {
		render_strings(b, p->environments, p->environment_count);
	} else if (strcmp(key, "signers") == 0) {
		appctl_json_quote(b, p->signers);
	} else if (strcmp(key, "approvals") == 0) {
		appctl_strbuf_printf(b, "{\"allow_self_approval\":%s,\"approvers\":",
			p->allow_self_approval ? "true" : "false");
		render_members(b, p->approvers, p->approver_count);
		appctl_strbuf_printf(b, ",\"require_signature\":%s,\"required\":{",
			p->require_signature ? "true" : "false");
		for (k = 0; k < APPCTL_CLASS_COUNT; k++)
			appctl_strbuf_printf(b, "%s\"%s\":%lld", k ? "," : "",
				appctl_class_name((appctl_app_class)k),
				(long long)p->required[k]);
		appctl_strbuf_puts(b, "},\"rules\":[");
		for (i = 0; i < p->rule_count; i++) {
			appctl_strbuf_printf(b, "%s{\"count\":%lld,\"group\":", i ? "," : "",
				(long long)p->rules[i].count);
			appctl_json_quote(b, p->rules[i].group);
			appctl_strbuf_printf(b, ",\"when\":\"%s\"}",
				appctl_when_name(p->rules[i].when));
		}
		appctl_strbuf_puts(b, "]}");
	} else if (strcmp(key, "rollback") == 0) {
		appctl_strbuf_printf(b, "{\"required\":%lld}",
			(long long)p->rollback_required);
	} else if (strcmp(key, "notify") == 0) {
		appctl_strbuf_putc(b, '[');
		for (i = 0; i < p->notify_count; i++) {
			const appctl_notify *n = &p->notify[i];
			int first = 1;

			appctl_strbuf_puts(b, i ? ",{\"events\":[" : "{\"events\":[");
			for (k = 0; k < 4; k++)
				if (n->events & (1u << k)) {
					appctl_strbuf_printf(b, "%s\"%s\"", first ? "" : ",", ev[k]);
					first = 0;
				}
			appctl_strbuf_puts(b, "]");
			if (n->secret) {
				appctl_strbuf_puts(b, ",\"secret\":");
				appctl_json_quote(b, n->secret);
			}
			if (n->has_timeout)
				appctl_strbuf_printf(b, ",\"timeout_s\":%lld",
					(long long)n->timeout_s);
			appctl_strbuf_puts(b, ",\"url\":");
			appctl_json_quote(b, n->url);
			appctl_strbuf_putc(b, '}');
		}
		appctl_strbuf_putc(b, ']');
	} else if (strcmp(key, "break_glass") == 0) {
		if (!p->has_break_glass)
			return;
		appctl_strbuf_printf(b, "{\"count\":%lld,\"group\":",
			(long long)p->break_glass_count);
		appctl_json_quote(b, p->break_glass_group);
		appctl_strbuf_putc(b, '}');
	} else if (strcmp(key, "lint") == 0) {
		/* Turning a rule down lowers the bar: that is policy. */
		if (!p->lint_override_count && !p->broad_scope_count &&
		    !p->integration_name_pattern && !p->has_admin_panel_max_writers)
			return;
		appctl_strbuf_putc(b, '{');
		if (p->has_admin_panel_max_writers)
			appctl_strbuf_printf(b, "\"admin_panel_max_writers\":%lld,",
				(long long)p->admin_panel_max_writers);
		appctl_strbuf_puts(b, "\"broad_scopes\":");
		render_strings(b, p->broad_scopes, p->broad_scope_count);
		if (p->integration_name_pattern) {
			appctl_strbuf_puts(b, ",\"integration_name_pattern\":");
			appctl_json_quote(b, p->integration_name_pattern);
		}
		appctl_strbuf_puts(b, ",\"rules\":{");
		for (i = 0; i < p->lint_override_count; i++) {
			const appctl_lint_override *o = &p->lint_overrides[i];

			if (i)
				appctl_strbuf_putc(b, ',');
			appctl_json_quote(b, o->rule);
			appctl_strbuf_puts(b, ":{\"justification\":");
			appctl_json_quote(b, o->justification ? o->justification : "");
			appctl_strbuf_printf(b, ",\"severity\":\"%s\"}",
				appctl_lint_level_name(o->level));
		}
		appctl_strbuf_puts(b, "}}");
	} else if (strcmp(key, "role_templates") == 0) {
		/* The role model every new app starts from is the organisation's rule. */
		size_t t;
		unsigned bit;

		if (!p->has_role_templates)
			return;
		appctl_strbuf_putc(b, '{');
		for (k = 0; k < (int)APPCTL_CLASS_COUNT; k++) {
			appctl_strbuf_printf(b, "%s\"%s\":{", k ? "," : "",
				appctl_class_name((appctl_app_class)k));
			for (t = 0; t < p->role_template_count[k]; t++) {
				const appctl_role_template *rt = &p->role_templates[k][t];
				int first = 1;

				if (t)
					appctl_strbuf_putc(b, ',');
				appctl_json_quote(b, rt->role);
				appctl_strbuf_puts(b, ":[");
				for (bit = 1; bit < (1u << APPCTL_ACTION_COUNT); bit <<= 1)
					if (rt->actions & bit) {
						appctl_strbuf_printf(b, "%s\"%s\"",
							first ? "" : ",", appctl_action_name(bit));
						first = 0;
					}
				appctl_strbuf_putc(b, ']');
			}
			appctl_strbuf_putc(b, '}');
		}
		appctl_strbuf_putc(b, '}');
	} else if (strcmp(key, "groups_from") == 0) {
		/* Where groups come from decides who is in them, approvers included. */
		if (p->groups_from_count)
			render_strings(b, p->groups_from, p->groups_from_count);
	} else if (strcmp(key, "freeze") == 0) {
		appctl_strbuf_putc(b, '[');
		for (i = 0; i < p->freeze_count; i++) {
			const appctl_freeze *f = &p->freezes[i];

			appctl_strbuf_puts(b, i ? ",{\"envs\":" : "{\"envs\":");
			render_strings(b, f->envs, f->env_count);
			appctl_strbuf_puts(b, ",\"from\":");
			appctl_json_quote(b, f->from);
			if (f->reason) {
				appctl_strbuf_puts(b, ",\"reason\":");
				appctl_json_quote(b, f->reason);
			}
			appctl_strbuf_puts(b, ",\"to\":");
			appctl_json_quote(b, f->to);
			appctl_strbuf_putc(b, '}');
		}
		appctl_strbuf_putc(b, ']');
	}
}

/* True when `approvals` (or break-glass) names group `g`: its members are policy. */
static int group_is_policy(const appctl_policy *p, const char *g)
{
	size_t i;

	for (i = 0; i < p->approver_count; i++)
		if (p->approvers[i].kind == APPCTL_MEMBER_GROUP &&
		    strcmp(p->approvers[i].name, g) == 0)
			return 1;
	for (i = 0; i < p->rule_count; i++)
		if (strcmp(p->rules[i].group, g) == 0)
			return 1;
	return p->has_break_glass && strcmp(p->break_glass_group, g) == 0;
}

static appctl_error *policy_change(appctl_changes *out, appctl_arena *scratch,
	const char *path, const char *group, const char *before, const char *after)
{
	appctl_change c = { 0 };

	(void)scratch;
	c.kind = "policy.changed";
	c.risk = APPCTL_RISK_HIGH;
	c.path = path;
	c.group = group;
	c.before = before && *before ? before : NULL;
	c.after = after && *after ? after : NULL;
	return add(out, &c);
}

/* What a member found on one side only of a group is handed to. */
typedef appctl_error *(*member_fn)(void *ctx, const char *principal,
	int added);

/*
 * Walks both sides of a group at once, in sorted order (a group absent on
 * one side has no members there), and hands `fn` each member found on one
 * side only. Linear: a lookup of each member on the other side cost
 * n log n string compares, and a policy change walks every group, of
 * thousands of memberships in a large org.
 */
static appctl_error *members_moved(const appctl_group *x,
	const appctl_group *y, member_fn fn, void *ctx)
{
	size_t i = 0, j = 0;
	appctl_error *err;

	while (i < x->member_count || j < y->member_count) {
		int c = i >= x->member_count ? 1 : j >= y->member_count ? -1
			: strcmp(x->sorted_members[i], y->sorted_members[j]);

		if (c == 0) {
			i++;
			j++;
		} else if ((err = fn(ctx, c < 0 ? x->sorted_members[i++]
						: y->sorted_members[j++], c > 0))) {
			return err;
		}
	}
	return NULL;
}

/* A group's member change, for diff_groups. */
typedef struct member_changes {
	appctl_changes *out;
	const char *name;
	int changed;
} member_changes;

static appctl_error *member_change(void *ctx, const char *principal,
	int added)
{
	member_changes *m = ctx;
	appctl_change ch = { 0 };

	m->changed = 1;
	ch.kind = added ? "group.member_added" : "group.member_removed";
	ch.risk = added ? APPCTL_RISK_MEDIUM : APPCTL_RISK_LOW;
	ch.group = m->name;
	ch.principal = principal;
	return add(m->out, &ch);
}

static appctl_error *diff_groups(appctl_changes *out, appctl_arena *scratch,
	const appctl_policy *a, const appctl_policy *b)
{
	size_t i = 0, j = 0;
	appctl_error *err;
	member_changes moved = { out, NULL, 0 };

	while (i < a->group_count || j < b->group_count) {
		int c = i >= a->group_count ? 1 : j >= b->group_count ? -1
			: strcmp(a->groups[i].name, b->groups[j].name);
		const appctl_group *ga = c <= 0 ? &a->groups[i] : NULL;
		const appctl_group *gb = c >= 0 ? &b->groups[j] : NULL;
		static const appctl_group none;
		const appctl_group *x = ga ? ga : &none, *y = gb ? gb : &none;
		const char *name = ga ? ga->name : gb->name;
		const char *path = path2(scratch, "groups", name, NULL);

		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		if (!path)
			return appctl_error_nomem();
		moved.name = name;
		moved.changed = 0;
		if ((err = members_moved(x, y, member_change, &moved)))
			return err;
		if (!ga || !gb) {
			appctl_change ch = { 0 };

			ch.kind = "other.changed";
			ch.risk = APPCTL_RISK_LOW;
			ch.group = name;
			ch.path = path;
			ch.before = ga ? "[]" : NULL;
			ch.after = gb ? "[]" : NULL;
			if ((err = add(out, &ch)))
				return err;
		}
		/* Who may approve is policy: a change to such a group is too. */
		if (moved.changed &&
		    (group_is_policy(a, name) || group_is_policy(b, name))) {
			appctl_strbuf before = APPCTL_STRBUF_INIT, after = APPCTL_STRBUF_INIT;

			if (ga)
				render_strings(&before, ga->members, ga->member_count);
			if (gb)
				render_strings(&after, gb->members, gb->member_count);
			err = (before.failed || after.failed) ? appctl_error_nomem()
				: policy_change(out, scratch, path, name,
					before.ptr, after.ptr);
			appctl_strbuf_dispose(&before);
			appctl_strbuf_dispose(&after);
			if (err)
				return err;
		}
	}
	return NULL;
}

/* Splits allowed_signers into its meaningful lines (no blanks, no comments). */
static appctl_error *signer_lines(const char ***out, size_t *count,
	appctl_arena *arena, const char *text)
{
	size_t n = 0, cap = 0;
	const char **lines = NULL;
	const char *p = text ? text : "";

	*out = NULL;
	*count = 0;
	while (*p) {
		const char *end = strchr(p, '\n'), *s = p, *e;

		if (!end)
			end = p + strlen(p);
		e = end;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (s < e && *s != '#') {
			if (n == cap) {
				const char **grown;

				cap = cap ? cap * 2 : 16;
				grown = appctl_arena_calloc(arena, cap, sizeof(*grown));
				if (!grown)
					return appctl_error_nomem();
				if (n)
					memcpy(grown, lines, n * sizeof(*grown));
				lines = grown;
			}
			if (!(lines[n++] = appctl_arena_strndup(arena, s, (size_t)(e - s))))
				return appctl_error_nomem();
		}
		p = *end ? end + 1 : end;
	}
	*out = lines;
	*count = n;
	return NULL;
}

static appctl_error *diff_signers(appctl_changes *out, appctl_arena *scratch,
	const char *old_text, const char *new_text)
{
	const char **a, **b;
	size_t na, nb, i;
	appctl_error *err;
	int pass;

	if ((err = signer_lines(&a, &na, scratch, old_text)) ||
	    (err = signer_lines(&b, &nb, scratch, new_text)))
		return err;
	for (pass = 0; pass < 2; pass++) {
		const char **from = pass ? b : a, **to = pass ? a : b;
		size_t nfrom = pass ? nb : na, nto = pass ? na : nb;

		for (i = 0; i < nfrom; i++) {
			appctl_change c = { 0 };
			const char *sp;

			if (contains(to, nto, from[i]))
				continue;
			sp = strpbrk(from[i], " \t");
			c.kind = "signers.changed";
			c.risk = APPCTL_RISK_HIGH;
			c.principal = sp ? appctl_arena_strndup(scratch, from[i],
						(size_t)(sp - from[i])) : from[i];
			c.path = "allowed_signers";
			if (pass)
				c.after = jstr(scratch, from[i]);
			else
				c.before = jstr(scratch, from[i]);
			if ((err = add(out, &c)))
				return err;
		}
	}
	return NULL;
}

appctl_error *appctl_diff_policy(appctl_changes *out,
	const appctl_policy *old_policy, const char *old_signers,
	const appctl_policy *new_policy, const char *new_signers)
{
	static const char *const sections[] = { "environments", "signers",
		"approvals", "rollback", "notify", "break_glass", "freeze", "lint",
		"groups_from", "role_templates", NULL };
	appctl_arena *scratch = appctl_arena_new();
	appctl_error *err = NULL;
	size_t i;

	if (!scratch)
		return appctl_error_nomem();
	for (i = 0; sections[i]; i++) {
		appctl_strbuf a = APPCTL_STRBUF_INIT, b = APPCTL_STRBUF_INIT;

		render_section(&a, old_policy, sections[i]);
		render_section(&b, new_policy, sections[i]);
		if (a.failed || b.failed)
			err = appctl_error_nomem();
		else if (!same_str(a.ptr ? a.ptr : "", b.ptr ? b.ptr : ""))
			err = policy_change(out, scratch,
				path2(scratch, sections[i], NULL, NULL), NULL,
				a.ptr, b.ptr);
		appctl_strbuf_dispose(&a);
		appctl_strbuf_dispose(&b);
		if (err)
			goto done;
	}
	if ((err = diff_groups(out, scratch, old_policy, new_policy)) ||
	    (err = diff_signers(out, scratch, old_signers, new_signers)))
		goto done;
done:
	appctl_arena_free(scratch);
	return err;
}

/* The principals of moved memberships, for appctl_diff_group_moves. */
typedef struct moved_list {
	const char **list;
	size_t count;  /* of this group */
	size_t total;
} moved_list;

static appctl_error *member_moved(void *ctx, const char *principal,
	int added)
{
	moved_list *m = ctx;

	(void)added;
	m->list[m->total++] = principal;
	m->count++;
	return NULL;
}

appctl_error *appctl_diff_group_moves(const char ***principals,
	size_t *principal_count, const char ***groups, size_t *group_count,
	appctl_arena *arena, const appctl_policy *a, const appctl_policy *b)
{
	size_t total = 0, ng = 0, i = 0, j = 0, k;
	const char **plist, **glist;
	moved_list m = { NULL, 0, 0 };

	for (k = 0; k < a->group_count; k++)
		total += a->groups[k].member_count;
	for (k = 0; k < b->group_count; k++)
		total += b->groups[k].member_count;
	plist = appctl_arena_calloc(arena, total, sizeof(*plist));
	glist = appctl_arena_calloc(arena, a->group_count + b->group_count,
		sizeof(*glist));
	if (!plist || !glist)
		return appctl_error_nomem();
	m.list = plist;
	while (i < a->group_count || j < b->group_count) {
		int c = i >= a->group_count ? 1 : j >= b->group_count ? -1
			: strcmp(a->groups[i].name, b->groups[j].name);
		static const appctl_group none;
		const appctl_group *x = c <= 0 ? &a->groups[i] : &none;
		const appctl_group *y = c >= 0 ? &b->groups[j] : &none;

		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		m.count = 0;
		(void)members_moved(x, y, member_moved, &m);
		if (m.count)
			glist[ng++] = x->name ? x->name : y->name;
	}
	*principals = plist;
	*principal_count = appctl_sort_unique(plist, m.total);
	*groups = glist;
	*group_count = ng;
	return NULL;
}

/* True when `app` references any of the groups. */
static int uses_any(const appctl_app *app, const char *const *groups, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (appctl_app_uses_group(app, groups[i]))
			return 1;
	return 0;
}

appctl_error *appctl_diff_snapshots(appctl_changes *out,
	const appctl_snapshot *a, const appctl_snapshot *b, appctl_date at)
{
	const char **moved = NULL, **groups = NULL;
	size_t nmoved = 0, ngroups = 0, i = 0, j = 0;
	appctl_arena *scratch = appctl_arena_new();
	appctl_error *err;

	if (!scratch)
		return appctl_error_nomem();
	err = appctl_diff_policy(out, a->policy, a->signers_text, b->policy,
		b->signers_text);
	if (!err)
		err = appctl_diff_group_moves(&moved, &nmoved, &groups, &ngroups,
			scratch, a->policy, b->policy);
	while (!err && (i < a->app_count || j < b->app_count)) {
		int c = i >= a->app_count ? 1 : j >= b->app_count ? -1
			: strcmp(a->apps[i]->name, b->apps[j]->name);
		const appctl_app *x = c <= 0 ? a->apps[i] : NULL;
		const appctl_app *y = c >= 0 ? b->apps[j] : NULL;

		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		if (x && y && x->blob_id[0] && strcmp(x->blob_id, y->blob_id) == 0) {
			/* Same file: only group moves can change anyone's access. */
			if (nmoved && uses_any(x, groups, ngroups))
				err = appctl_diff_app(out, x, a->policy, y, b->policy,
					moved, nmoved, at);
			continue;
		}
		err = appctl_diff_app(out, x, a->policy, y, b->policy, NULL, 0, at);
	}
	appctl_arena_free(scratch);
	if (!err)
		appctl_changes_sort(out);
	return err;
}
