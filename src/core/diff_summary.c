/* diff_summary.c: groups a semantic diff by cause, so that one group change reaching 200 apps reads as one line. */
#include <stdlib.h>
#include <string.h>

#include "appctl/diff_summary.h"
#include "appctl/strbuf.h"

/* A name (or key) with the change it came from; sorted by name, then index. */
typedef struct keyed {
	const char *key;
	size_t index;
} keyed;

static int keyed_cmp(const void *pa, const void *pb)
{
	const keyed *a = pa, *b = pb;
	int c;

	if (!a->key || !b->key)
		c = a->key ? 1 : b->key ? -1 : 0;
	else
		c = strcmp(a->key, b->key);
	if (c)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Equal names, NULL (no app) equal to itself. */
static int same_name(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static int kind_is(const appctl_change *c, const char *kind)
{
	return strcmp(c->kind, kind) == 0;
}

int appctl_diff_is_access_fact(const appctl_change *c)
{
	return strncmp(c->kind, "access.", 7) == 0 ||
	       strncmp(c->kind, "field.", 6) == 0;
}

/* Gains (granted, exposed) against losses (revoked, hidden). */
static int fact_is_gain(const appctl_change *c)
{
	return kind_is(c, "access.granted") || kind_is(c, "field.exposed");
}

/*
 * True when the via text ("Agent (group:support), Lead") says the access
 * came through group `group`.
 */
static int via_names_group(const char *via, const char *group)
{
	size_t n = strlen(group);
	const char *p = via;

	while (via && (p = strstr(p, "(group:")) != NULL) {
		p += 7;
		if (strncmp(p, group, n) == 0 && p[n] == ')')
			return 1;
	}
	return 0;
}

/* True when one of the via entries is role `role`, held directly or through a group. */
static int via_names_role(const char *via, const char *role)
{
	size_t n = strlen(role);
	const char *p = via;

	while (p && *p) {
		if (strncmp(p, role, n) == 0 &&
		    (p[n] == '\0' || p[n] == ',' || strncmp(p + n, " (group:", 8) == 0))
			return 1;
		p = strstr(p, ", ");
		if (p)
			p += 2;
	}
	return 0;
}

/*
 * The identity of a change without its app: the same structural change in
 * several apps shares one key. The unit separator cannot occur in names.
 */
static const char *change_key(appctl_arena *arena, const appctl_change *c)
{
	const char *const parts[] = { c->kind, c->principal, c->role, c->group,
		c->member, c->resource, c->action, c->field, c->integration,
		c->scope, c->env, c->path, c->before, c->after };
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char *r;
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (i)
			appctl_strbuf_putc(&b, '\x1f');
		if (parts[i])
			appctl_strbuf_puts(&b, parts[i]);
	}
	r = b.failed ? NULL : appctl_arena_strndup(arena, b.ptr ? b.ptr : "", b.len);
	appctl_strbuf_dispose(&b);
	return r;
}

/* Structural changes of one app that may cause its access facts. */
static int is_role_cause(const appctl_change *c)
{
	return c->role && strncmp(c->kind, "role.", 5) == 0;
}

/*
 * The cause of access fact `i` among the structural changes of its app
 * (`cands`, indices into the list): a role change naming a role it came
 * through (one that names the principal first), else the app's addition or
 * removal; `i` itself when none does.
 */
static size_t cause_in_app(const appctl_changes *changes, const size_t *cands,
	size_t ncands, size_t i)
{
	const appctl_change *fact = &changes->items[i];
	size_t k, role_any = i, app_level = i;

	for (k = 0; k < ncands; k++) {
		const appctl_change *c = &changes->items[cands[k]];

		if (is_role_cause(c) && fact->via && via_names_role(fact->via, c->role)) {
			if (str_eq(c->principal, fact->principal) ||
			    (c->member && str_eq(c->member, fact->principal)))
				return cands[k];
			if (role_any == i)
				role_any = cands[k];
		} else if (app_level == i && (kind_is(c, "app.added") ||
			kind_is(c, "app.removed"))) {
			app_level = cands[k];
		}
	}
	return role_any != i ? role_any : app_level;
}

/*
 * The group membership change that explains access fact `i`, if any;
 * `moves` holds the group changes sorted by principal.
 */
static size_t cause_in_groups(const appctl_changes *changes,
	const keyed *moves, size_t nmoves, size_t i)
{
	const appctl_change *fact = &changes->items[i];
	const char *want = fact_is_gain(fact) ? "group.member_added"
		: "group.member_removed";
	size_t lo = 0, hi = nmoves, m;

	if (!fact->principal)
		return i;
	/* The first move of this principal: a lower bound by bisection. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(moves[mid].key, fact->principal) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (m = lo; m < nmoves && strcmp(moves[m].key, fact->principal) == 0; m++) {
		const appctl_change *g = &changes->items[moves[m].index];

		if (kind_is(g, want) && g->group && via_names_group(fact->via, g->group))
			return moves[m].index;
	}
	return i;
}

static int cause_cmp(const void *pa, const void *pb)
{
	const appctl_diff_cause *a = pa, *b = pb;

	if (a->risk != b->risk)
		return a->risk > b->risk ? -1 : 1;
	if (a->change_count != b->change_count)
		return a->change_count > b->change_count ? -1 : 1;
	return a->key_order < b->key_order ? -1 : a->key_order > b->key_order;
}

static int tally_cmp(const void *pa, const void *pb)
{
	const appctl_diff_tally *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->name, b->name);
}

/*
 * Counts the changes under each name of `list` (sorted by name; NULL names
 * are skipped) into a new tally array.
 */
static appctl_error *tally(appctl_diff_tally **out, size_t *count,
	appctl_arena *arena, const appctl_changes *changes, const keyed *list,
	size_t n)
{
	appctl_diff_tally *t;
	size_t i, m = 0;

	t = appctl_arena_calloc(arena, n ? n : 1, sizeof(*t));
	if (!t)
		return appctl_error_nomem();
	for (i = 0; i < n; i++) {
		if (!list[i].key)
			continue;
		if (!m || strcmp(t[m - 1].name, list[i].key) != 0)
			t[m++].name = list[i].key;
		t[m - 1].count++;
		t[m - 1].counts[changes->items[list[i].index].risk]++;
	}
	qsort(t, m, sizeof(*t), tally_cmp);
	*out = t;
	*count = m;
	return NULL;
}

/* Fills one cause from its members by_key[from..to). */
static appctl_error *fill_cause(appctl_diff_cause *cause, appctl_arena *arena,
	const appctl_changes *changes, const size_t *cause_index,
	const keyed *by_key, size_t from, size_t to, keyed *scratch)
{
	size_t k, n, napps = 0, nprincipals = 0;

	cause->cause = &changes->items[cause_index[by_key[from].index]];
	cause->change_count = to - from;
	for (k = from; k < to; k++) {
		const appctl_change *c = &changes->items[by_key[k].index];

		cause->counts[c->risk]++;
		if (c->risk > cause->risk)
			cause->risk = c->risk;
		if (appctl_diff_is_access_fact(c)) {
			if (fact_is_gain(c))
				cause->granted++;
			else
				cause->revoked++;
		}
	}
	/* Distinct apps. */
	for (k = from, n = 0; k < to; k++)
		if (changes->items[by_key[k].index].app) {
			scratch[n].key = changes->items[by_key[k].index].app;
			scratch[n++].index = 0;
		}
	qsort(scratch, n, sizeof(*scratch), keyed_cmp);
	cause->apps = appctl_arena_calloc(arena, n ? n : 1, sizeof(*cause->apps));
	if (!cause->apps)
		return appctl_error_nomem();
	for (k = 0; k < n; k++)
		if (!napps || strcmp(cause->apps[napps - 1], scratch[k].key) != 0)
			cause->apps[napps++] = scratch[k].key;
	cause->app_count = napps;
	/* Distinct principals whose access changed. */
	for (k = from, n = 0; k < to; k++) {
		const appctl_change *c = &changes->items[by_key[k].index];

		if (appctl_diff_is_access_fact(c) && c->principal) {
			scratch[n].key = c->principal;
			scratch[n++].index = 0;
		}
	}
	qsort(scratch, n, sizeof(*scratch), keyed_cmp);
	for (k = 0; k < n; k++)
		if (!k || strcmp(scratch[k - 1].key, scratch[k].key) != 0)
			nprincipals++;
	cause->principal_count = nprincipals;
	return NULL;
}

appctl_error *appctl_diff_summarize(appctl_diff_summary **out,
	const appctl_changes *changes)
{
	appctl_error *err = NULL;
	appctl_diff_summary *s = NULL;
	appctl_arena *arena = NULL;
	size_t n = changes->count, i, k, from, nmoves = 0, ncauses = 0;
	keyed *by_app = NULL, *by_key = NULL, *scratch = NULL;
	keyed *moves = NULL;
	size_t *cands = NULL, *cause_index = NULL, *group_of = NULL;
	size_t *position = NULL, ncands;

	*out = NULL;
	arena = appctl_arena_new();
	if (!arena)
		return appctl_error_nomem();
	s = appctl_arena_calloc(arena, 1, sizeof(*s));
	by_app = calloc(n ? n : 1, sizeof(*by_app));
	by_key = calloc(n ? n : 1, sizeof(*by_key));
	scratch = calloc(n ? n : 1, sizeof(*scratch));
	moves = calloc(n ? n : 1, sizeof(*moves));
	cands = calloc(n ? n : 1, sizeof(*cands));
	cause_index = calloc(n ? n : 1, sizeof(*cause_index));
	group_of = calloc(n ? n : 1, sizeof(*group_of));
	position = calloc(n ? n : 1, sizeof(*position));
	if (!s || !by_app || !by_key || !scratch || !moves || !cands ||
	    !cause_index || !group_of || !position)
		goto nomem;
	s->arena = arena;
	s->cause_of = appctl_arena_calloc(arena, n ? n : 1, sizeof(*s->cause_of));
	if (!s->cause_of)
		goto nomem;

	for (i = 0; i < n; i++) {
		const appctl_change *c = &changes->items[i];

		by_app[i].key = c->app;
		by_app[i].index = i;
		cause_index[i] = i;
		if (!c->app && c->principal && (kind_is(c, "group.member_added") ||
				kind_is(c, "group.member_removed"))) {
			moves[nmoves].key = c->principal;
			moves[nmoves++].index = i;
		}
	}
	qsort(by_app, n, sizeof(*by_app), keyed_cmp);
	qsort(moves, nmoves, sizeof(*moves), keyed_cmp);
	/* Each access fact is attributed within its app's run of changes. */
	for (from = 0; from < n; from = k) {
		for (k = from + 1; k < n && same_name(by_app[k].key, by_app[from].key);
			k++)
			;
		/* The app's structural changes: the only possible causes in it. */
		for (i = from, ncands = 0; i < k; i++) {
			const appctl_change *c = &changes->items[by_app[i].index];

			if (c->app && (is_role_cause(c) || kind_is(c, "app.added") ||
					kind_is(c, "app.removed")))
				cands[ncands++] = by_app[i].index;
		}
		for (i = from; i < k; i++) {
			size_t idx = by_app[i].index, cause;

			if (!appctl_diff_is_access_fact(&changes->items[idx]))
				continue;
			cause = cause_in_groups(changes, moves, nmoves, idx);
			if (cause == idx && ncands)
				cause = cause_in_app(changes, cands, ncands, idx);
			cause_index[idx] = cause;
		}
	}
	for (i = 0; i < n; i++) {
		by_key[i].key = change_key(arena, &changes->items[cause_index[i]]);
		by_key[i].index = i;
		if (!by_key[i].key)
			goto nomem;
	}
	qsort(by_key, n, sizeof(*by_key), keyed_cmp);
	for (i = 0; i < n; i++)
		if (!i || strcmp(by_key[i - 1].key, by_key[i].key) != 0)
			ncauses++;
	s->causes = appctl_arena_calloc(arena, ncauses ? ncauses : 1,
		sizeof(*s->causes));
	if (!s->causes)
		goto nomem;
	for (from = 0; from < n; from = k) {
		for (k = from + 1; k < n && strcmp(by_key[k].key, by_key[from].key) == 0;
			k++)
			;
		err = fill_cause(&s->causes[s->cause_count], arena, changes,
			cause_index, by_key, from, k, scratch);
		if (err)
			goto cleanup;
		for (i = from; i < k; i++)
			group_of[by_key[i].index] = s->cause_count;
		s->causes[s->cause_count].key_order = s->cause_count;
		s->cause_count++;
	}
	qsort(s->causes, s->cause_count, sizeof(*s->causes), cause_cmp);
	/* key_order -> position after the sort, to point each change at its cause. */
	for (i = 0; i < s->cause_count; i++)
		position[s->causes[i].key_order] = i;
	for (i = 0; i < n; i++)
		s->cause_of[i] = position[group_of[i]];

	err = tally(&s->apps, &s->app_count, arena, changes, by_app, n);
	if (err)
		goto cleanup;
	for (i = 0, k = 0; i < n; i++)
		if (changes->items[i].principal) {
			scratch[k].key = changes->items[i].principal;
			scratch[k++].index = i;
		}
	qsort(scratch, k, sizeof(*scratch), keyed_cmp);
	err = tally(&s->principals, &s->principal_count, arena, changes, scratch, k);
	if (err)
		goto cleanup;
	*out = s;
	arena = NULL;
	goto cleanup;
nomem:
	err = appctl_error_nomem();
cleanup:
	free(position);
	free(group_of);
	free(cause_index);
	free(cands);
	free(moves);
	free(scratch);
	free(by_key);
	free(by_app);
	appctl_arena_free(arena);
	return err;
}

void appctl_diff_summary_free(appctl_diff_summary *summary)
{
	if (summary)
		appctl_arena_free(summary->arena);
}
