/* access_report.c: what a principal can do in an environment, and since when. */
#include "appctl/access_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appctl/access.h"
#include "appctl/log.h"
#include "appctl/rules.h"
#include "appctl/strbuf.h"

/*
 * An index of the entries of an array by a hash their owner computes:
 * open addressing, slot = entry index + 1 (0: empty), at most half full so
 * that probes stay short. It keeps each entry's hash to re-place it when
 * it grows. The pool of parsed apps and the history's trees use it.
 */
typedef struct hash_index {
	size_t *slots;
	size_t nslots;
	size_t *hashes;          /* by entry index */
	size_t count;
	size_t cap;
} hash_index;

static void hash_index_dispose(hash_index *ix)
{
	free(ix->slots);
	free(ix->hashes);
	memset(ix, 0, sizeof(*ix));
}

static void hash_index_place(hash_index *ix, size_t entry)
{
	size_t i = ix->hashes[entry] % ix->nslots;

	while (ix->slots[i])
		i = (i + 1) % ix->nslots;
	ix->slots[i] = entry + 1;
}

/* Indexes entry `ix->count` (the next one) under `hash`. */
static appctl_error *hash_index_add(hash_index *ix, size_t hash)
{
	size_t i;

	if (ix->count == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 16;
		size_t *grown = realloc(ix->hashes, cap * sizeof(*grown));

		if (!grown)
			return appctl_error_nomem();
		ix->hashes = grown;
		ix->cap = cap;
	}
	if (2 * (ix->count + 1) > ix->nslots) {
		size_t n = ix->nslots ? ix->nslots * 2 : 64;
		size_t *slots = calloc(n, sizeof(*slots));

		if (!slots)
			return appctl_error_nomem();
		free(ix->slots);
		ix->slots = slots;
		ix->nslots = n;
		for (i = 0; i < ix->count; i++)
			hash_index_place(ix, i);
	}
	ix->hashes[ix->count] = hash;
	hash_index_place(ix, ix->count++);
	return NULL;
}

/*
 * The entries that may hold `hash`, one per call: entry index + 1, or 0
 * when there are no more. *probe starts at 0.
 */
static size_t hash_index_next(const hash_index *ix, size_t hash,
	size_t *probe)
{
	size_t i, e;

	if (!ix->nslots)
		return 0;
	for (i = (hash + *probe) % ix->nslots; (e = ix->slots[i]);
	     i = (i + 1) % ix->nslots) {
		(*probe)++;
		if (ix->hashes[e - 1] == hash)
			return e;
	}
	return 0;
}

typedef struct app_cache {
	appctl_access_app *items;       /* the apps of the last listing: views of pool entries */
	size_t count;
	/*
	 * Every app parsed so far, by folder, blob and needles, owning what
	 * the views point to: a history meets the same files again and again
	 * (an app changed and changed back, a release rolled back), and each
	 * is parsed once. `slots` hashes them: pool index + 1, 0 for empty.
	 */
	appctl_access_app *pool;
	size_t pool_count;
	size_t pool_cap;
	hash_index index;
} app_cache;

static void access_app_dispose(appctl_access_app *c)
{
	free(c->dir);
	free(c->needle_key);
	appctl_arena_free(c->arena);
	memset(c, 0, sizeof(*c));
}

static void app_cache_dispose(app_cache *cache)
{
	size_t i;

	for (i = 0; i < cache->pool_count; i++)
		access_app_dispose(&cache->pool[i]);
	free(cache->pool);
	hash_index_dispose(&cache->index);
	free(cache->items);
	memset(cache, 0, sizeof(*cache));
}

static size_t pool_hash(const char *dir, const char *blob_id, const char *key)
{
	const char *parts[3];
	size_t h = 1469598103934665603u, k;
	const unsigned char *p;

	parts[0] = dir;
	parts[1] = blob_id;
	parts[2] = key;
	for (k = 0; k < 3; k++) {
		for (p = (const unsigned char *)parts[k]; *p; p++)
			h = (h ^ *p) * 1099511628211u;
		h = (h ^ 0xff) * 1099511628211u;
	}
	return h;
}

/* The pool entry for (dir, blob, needles), or NULL. */
static const appctl_access_app *pool_find(const app_cache *cache, const char *dir,
	const char *blob_id, const char *key)
{
	size_t h = pool_hash(dir, blob_id, key), probe = 0, e;

	while ((e = hash_index_next(&cache->index, h, &probe))) {
		const appctl_access_app *c = &cache->pool[e - 1];

		if (strcmp(c->blob_id, blob_id) == 0 && strcmp(c->dir, dir) == 0 &&
		    strcmp(c->needle_key, key) == 0)
			return c;
	}
	return NULL;
}

/* Takes `c` (and what it owns) into the pool. */
static appctl_error *pool_add(app_cache *cache, appctl_access_app *c)
{
	appctl_error *err;

	if (cache->pool_count == cache->pool_cap) {
		size_t cap = cache->pool_cap ? cache->pool_cap * 2 : 16;
		appctl_access_app *grown = realloc(cache->pool, cap * sizeof(*grown));

		if (!grown)
			return appctl_error_nomem();
		cache->pool = grown;
		cache->pool_cap = cap;
	}
	if ((err = hash_index_add(&cache->index,
			pool_hash(c->dir, c->blob_id, c->needle_key))))
		return err;
	cache->pool[cache->pool_count++] = *c;
	memset(c, 0, sizeof(*c));
	return NULL;
}

/* The principal, "group:<g>" for each group they are in, and "\u" (an escape may hide either). */
static appctl_error *principal_needles(const char ***out, size_t *count,
	char **key, appctl_arena *arena, const appctl_policy *policy,
	const char *principal)
{
	appctl_strbuf joined = APPCTL_STRBUF_INIT;
	const char **needles;
	size_t i, n = 0;

	needles = appctl_arena_calloc(arena, policy->group_count + 2,
		sizeof(*needles));
	if (!needles)
		return appctl_error_nomem();
	needles[n++] = principal;
	needles[n++] = "\\u";
	for (i = 0; i < policy->group_count; i++)
		if (appctl_policy_in_group(policy, policy->groups[i].name, principal) &&
		    !(needles[n++] = appctl_arena_printf(arena, "group:%s",
				policy->groups[i].name)))
			return appctl_error_nomem();
	for (i = 0; i < n; i++) {
		appctl_strbuf_puts(&joined, needles[i]);
		appctl_strbuf_putc(&joined, '\n');
	}
	*key = appctl_strbuf_detach(&joined);
	if (!*key)
		return appctl_error_nomem();
	*out = needles;
	*count = n;
	return NULL;
}

/*
 * Brings `cache` to the apps of `listing`, parsing only the (folder, blob,
 * needles) the pool has not seen: a history of 10 000 releases parses each
 * version of each app once, not once per release it appears in.
 */
static appctl_error *app_cache_update(app_cache *cache, appctl_repo *repo,
	const appctl_app_listing *listing, const char *principal)
{
	appctl_error *err = NULL;
	appctl_arena *scratch = NULL;
	appctl_access_app *items = NULL;
	const char **needles = NULL;
	char *key = NULL;
	size_t nneedles = 0, i;

	scratch = appctl_arena_new();
	items = calloc(listing->app_count ? listing->app_count : 1,
		sizeof(*items));
	if (!scratch || !items) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = principal_needles(&needles, &nneedles, &key, scratch,
		listing->policy, principal);
	if (err)
		goto cleanup;
	for (i = 0; i < listing->app_count; i++) {
		const appctl_app_entry *e = &listing->apps[i];
		const appctl_access_app *seen = pool_find(cache, e->dir, e->blob_id, key);
		appctl_access_app c;

		if (seen) {
			items[i] = *seen;
			continue;
		}
		memset(&c, 0, sizeof(c));
		c.dir = strdup(e->dir);
		c.needle_key = strdup(key);
		c.arena = appctl_arena_new();
		memcpy(c.blob_id, e->blob_id, sizeof(c.blob_id));
		if (!c.dir || !c.needle_key || !c.arena)
			err = appctl_error_nomem();
		if (!err) {
			err = appctl_repo_load_app(&c.app, c.arena, repo, e->blob_id,
				e->dir, needles, nneedles);
			if (err)
				err = appctl_error_wrap(err, "in '%.12s'", listing->commit);
		}
		if (!err)
			err = pool_add(cache, &c);
		access_app_dispose(&c);
		if (err)
			goto cleanup;
		items[i] = cache->pool[cache->pool_count - 1];
	}
	free(cache->items);
	cache->items = items;
	cache->count = listing->app_count;
	items = NULL;
cleanup:
	free(items);
	free(key);
	appctl_arena_free(scratch);
	return err;
}

/* ---- what the principal has, as comparable strings ---- */

typedef struct grant_set {
	appctl_arena *arena;
	const char **items;      /* sorted, unique */
	size_t count;
	size_t cap;
} grant_set;

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static appctl_error *grant_set_add(grant_set *set, const char *s)
{
	if (!s)
		return appctl_error_nomem();
	if (set->count == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		const char **items = appctl_arena_calloc(set->arena, cap,
			sizeof(*items));

		if (!items)
			return appctl_error_nomem();
		if (set->count)
			memcpy(items, set->items, set->count * sizeof(*items));
		set->items = items;
		set->cap = cap;
	}
	set->items[set->count++] = s;
	return NULL;
}

/*
 * "app/resource:action" per action and "app/resource.field (field)" per
 * visible field that is not public (public fields ride on access, as in
 * `appctl diff`): what history compares from one point to the next.
 */
static appctl_error *grant_set_compute(grant_set *set, const app_cache *cache,
	const appctl_policy *policy, const char *principal, appctl_date at)
{
	appctl_error *err = NULL;
	size_t i, r, f, k;
	unsigned bit;

	memset(set, 0, sizeof(*set));
	set->arena = appctl_arena_new();
	if (!set->arena)
		return appctl_error_nomem();
	for (i = 0; i < cache->count && !err; i++) {
		const appctl_app *app = cache->items[i].app;
		appctl_principal_access pa;

		if (!app)
			continue;
		err = appctl_access_of(&pa, set->arena, app, policy, principal, at);
		for (r = 0; !err && r < pa.resource_count; r++) {
			const appctl_resource_access *ra = &pa.resources[r];

			for (bit = 1; !err && bit < (1u << APPCTL_ACTION_COUNT); bit <<= 1)
				if (ra->actions & bit)
					err = grant_set_add(set, appctl_arena_printf(
						set->arena, "%s/%s:%s", app->name, ra->name,
						appctl_action_name(bit)));
			for (f = 0; !err && ra->resource &&
			     f < ra->resource->field_count; f++)
				if (ra->visible[f] && ra->resource->fields[f].sensitivity !=
						APPCTL_SENS_PUBLIC)
					err = grant_set_add(set, appctl_arena_printf(
						set->arena, "%s/%s.%s (field)", app->name,
						ra->name, ra->resource->fields[f].name));
		}
	}
	if (err)
		return err;
	if (set->count)
		qsort(set->items, set->count, sizeof(*set->items), str_cmp);
	for (i = 0, k = 0; i < set->count; i++)
		if (k == 0 || strcmp(set->items[k - 1], set->items[i]) != 0)
			set->items[k++] = set->items[i];
	set->count = k;
	return NULL;
}

/* ---- history ---- */

typedef struct history {
	appctl_arena *arena;
	appctl_access_step *items;
	size_t count;
	size_t cap;
} history;

/* What `to` has that `from` lacks, copied into the history's arena. */
static appctl_error *set_minus(const char ***out, size_t *count,
	appctl_arena *arena, const grant_set *to, const grant_set *from)
{
	size_t i = 0, j = 0, n = 0;
	const char **list;

	list = appctl_arena_calloc(arena, to->count ? to->count : 1,
		sizeof(*list));
	if (!list)
		return appctl_error_nomem();
	while (i < to->count) {
		int c = j >= from->count ? -1 : strcmp(to->items[i], from->items[j]);

		if (c < 0) {
			if (!(list[n++] = appctl_arena_strdup(arena, to->items[i])))
				return appctl_error_nomem();
			i++;
		} else {
			if (c == 0)
				i++;
			j++;
		}
	}
	*out = list;
	*count = n;
	return NULL;
}

static void format_time(char out[21], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 21, "%s", "unknown");
}

/* Records the step from `prev` to `cur` when something changed. */
static appctl_error *history_step(history *h, const grant_set *prev,
	const grant_set *cur, const char *commit, int64_t release, int64_t time,
	int expiry)
{
	appctl_access_step *e;
	appctl_error *err;

	if (h->count == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		appctl_access_step *items = realloc(h->items, cap * sizeof(*items));

		if (!items)
			return appctl_error_nomem();
		h->items = items;
		h->cap = cap;
	}
	e = &h->items[h->count];
	memset(e, 0, sizeof(*e));
	if ((err = set_minus(&e->granted, &e->granted_count, h->arena, cur, prev)) ||
	    (err = set_minus(&e->revoked, &e->revoked_count, h->arena, prev, cur)))
		return err;
	if (!e->granted_count && !e->revoked_count)
		return NULL;
	e->commit = appctl_arena_strdup(h->arena, commit);
	if (!e->commit)
		return appctl_error_nomem();
	format_time(e->time, time);
	e->expiry = expiry;
	e->release = release;
	h->count++;
	return NULL;
}

static int date_cmp(const void *a, const void *b)
{
	appctl_date x = *(const appctl_date *)a, y = *(const appctl_date *)b;

	return x < y ? -1 : x > y;
}

/*
 * What the history keeps of each root tree it met: the last days of the
 * principal's temporary memberships in its apps (sorted, distinct), and
 * the principal's grants for each stretch between them. The day changes
 * the grants only through those memberships (groups do not expire), so
 * sets[k] holds for every day after exactly k of them ended: a release of
 * a tree already seen (a rollback, an environment going back and forth)
 * costs neither a listing nor an evaluation.
 */
typedef struct tree_seen {
	char tree[41];
	appctl_date *ends;
	size_t end_count;
	grant_set *sets;          /* end_count + 1 */
} tree_seen;

typedef struct tree_memo {
	tree_seen *items;
	size_t count;
	size_t cap;
	hash_index index;
	appctl_arena *arena;      /* the kept grant sets */
} tree_memo;

static void tree_memo_dispose(tree_memo *m)
{
	size_t i;

	for (i = 0; i < m->count; i++) {
		free(m->items[i].sets);
		free(m->items[i].ends);
	}
	free(m->items);
	hash_index_dispose(&m->index);
	appctl_arena_free(m->arena);
	memset(m, 0, sizeof(*m));
}

static size_t tree_hash(const char *tree)
{
	size_t h = 1469598103934665603u;

	for (; *tree; tree++)
		h = (h ^ (unsigned char)*tree) * 1099511628211u;
	return h;
}

static const tree_seen *tree_memo_find(const tree_memo *m, const char *tree)
{
	size_t probe = 0, e, h = tree_hash(tree);

	while ((e = hash_index_next(&m->index, h, &probe)))
		if (strcmp(m->items[e - 1].tree, tree) == 0)
			return &m->items[e - 1];
	return NULL;
}

/* A copy of `from`'s items in `arena`: what the memo keeps of a grant set. */
static appctl_error *keep_set(grant_set *out, const grant_set *from,
	appctl_arena *arena)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->items = appctl_arena_calloc(arena, from->count ? from->count : 1,
		sizeof(*out->items));
	if (!out->items)
		return appctl_error_nomem();
	for (i = 0; i < from->count; i++)
		if (!(out->items[i] = appctl_arena_strdup(arena, from->items[i])))
			return appctl_error_nomem();
	out->count = out->cap = from->count;
	return NULL;
}

/* The grants on day `day`: the set after the memberships ended before it. */
static const grant_set *tree_grants(const tree_seen *t, appctl_date day)
{
	size_t k = 0;

	while (k < t->end_count && t->ends[k] < day)
		k++;
	return &t->sets[k];
}

/*
 * Records tree `tree` as the apps of `cache` under `policy` make it: the
 * principal's membership ends, and the grants for each stretch between
 * them (evaluated on the last day each membership still holds, and after
 * the last).
 */
static appctl_error *tree_memo_add(const tree_seen **out, tree_memo *m,
	const char *tree, const app_cache *cache, const appctl_policy *policy,
	const char *principal)
{
	tree_seen *t;
	appctl_error *err;
	size_t n = 0, cap = 0, i, r, mm, k;

	if (!m->arena && !(m->arena = appctl_arena_new()))
		return appctl_error_nomem();
	if (m->count == m->cap) {
		size_t grown_cap = m->cap ? m->cap * 2 : 16;
		tree_seen *grown = realloc(m->items, grown_cap * sizeof(*grown));

		if (!grown)
			return appctl_error_nomem();
		m->items = grown;
		m->cap = grown_cap;
	}
	if ((err = hash_index_add(&m->index, tree_hash(tree))))
		return err;
	t = &m->items[m->count++];
	memset(t, 0, sizeof(*t));
	memcpy(t->tree, tree, sizeof(t->tree));
	for (i = 0; i < cache->count; i++) {
		const appctl_app *app = cache->items[i].app;

		for (r = 0; app && r < app->role_count; r++)
			for (mm = 0; mm < app->roles[r].member_count; mm++) {
				const appctl_member *mem = &app->roles[r].members[mm];

				if (mem->kind != APPCTL_MEMBER_PRINCIPAL ||
				    !mem->has_expires ||
				    strcmp(mem->name, principal) != 0)
					continue;
				if (n == cap) {
					size_t grown_cap = cap ? cap * 2 : 8;
					appctl_date *grown = realloc(t->ends,
						grown_cap * sizeof(*grown));

					if (!grown)
						return appctl_error_nomem();
					t->ends = grown;
					cap = grown_cap;
				}
				t->ends[n++] = mem->expires;
			}
	}
	if (n)
		qsort(t->ends, n, sizeof(*t->ends), date_cmp);
	for (i = 0, k = 0; i < n; i++)
		if (k == 0 || t->ends[k - 1] != t->ends[i])
			t->ends[k++] = t->ends[i];
	t->end_count = k;
	t->sets = calloc(k + 1, sizeof(*t->sets));
	if (!t->sets)
		return appctl_error_nomem();
	for (i = 0; !err && i <= k; i++) {
		grant_set once;

		err = grant_set_compute(&once, cache, policy, principal,
			i == 0 ? (k ? t->ends[0] : 0) : t->ends[i - 1] + 1);
		if (!err)
			err = keep_set(&t->sets[i], &once, m->arena);
		appctl_arena_free(once.arena);
	}
	*out = t;
	return err;
}

/* The releases of one environment, gathered from the log newest first. */
typedef struct release_points {
	const char *env;
	appctl_commit_info *items;
	int64_t *numbers;
	size_t count;
	size_t cap;
} release_points;

static appctl_error *collect_release(const appctl_event *ev, void *arg,
	int *stop)
{
	release_points *r = arg;
	const char *commit = NULL;
	int64_t number = 0, when = 0;
	int date_only;

	(void)stop;
	if ((ev->type == APPCTL_EV_PROMOTE || ev->type == APPCTL_EV_ROLLBACK) &&
	    strcmp(ev->env, r->env) == 0) {
		commit = ev->to;
		number = ev->release;
	} else if (ev->type == APPCTL_EV_INIT) {
		commit = appctl_init_event_release(ev->init, r->env);
	}
	if (!commit)
		return NULL;
	if (r->count == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		appctl_commit_info *items = realloc(r->items, cap * sizeof(*items));
		int64_t *numbers;

		if (!items)
			return appctl_error_nomem();
		r->items = items;
		numbers = realloc(r->numbers, cap * sizeof(*numbers));
		if (!numbers)
			return appctl_error_nomem();
		r->numbers = numbers;
		r->cap = cap;
	}
	if (appctl_time_parse(&when, &date_only, ev->time) != 0)
		when = 0;
	memcpy(r->items[r->count].id, commit, 41);
	r->items[r->count].time = when;
	r->numbers[r->count++] = number;
	return NULL;
}

/*
 * The releases of `env`, oldest first (release 0 from the init event, then
 * every promote and rollback), when the log has them; *count 0 otherwise.
 * The caller frees *commits and *numbers.
 */
static appctl_error *release_history(appctl_commit_info **commits,
	int64_t **numbers, size_t *count, appctl_repo *repo, const char *env)
{
	release_points r = { env, NULL, NULL, 0, 0 };
	appctl_error *err = appctl_log_walk(repo, NULL, collect_release, &r);
	size_t i;

	if (err) {
		free(r.items);
		free(r.numbers);
		return err;
	}
	for (i = 0; i < r.count / 2; i++) {
		appctl_commit_info t = r.items[i];
		int64_t n = r.numbers[i];

		r.items[i] = r.items[r.count - 1 - i];
		r.items[r.count - 1 - i] = t;
		r.numbers[i] = r.numbers[r.count - 1 - i];
		r.numbers[r.count - 1 - i] = n;
	}
	*commits = r.items;
	*numbers = r.numbers;
	*count = r.count;
	return NULL;
}

/*
 * Walks the releases of a protected environment (or, for the first
 * environment, where builders commit, and before `appctl init`, the
 * branch's first-parent commits), oldest first, and records each point
 * where the principal's access changed: at a release or commit (evaluated
 * on the day it was made) or when a temporary membership ended between two
 * of them (up to `at`).
 */
static appctl_error *compute_history(history *h, appctl_repo *repo,
	const char *env, int released, const char *head, const char *principal,
	appctl_date at)
{
	appctl_error *err = NULL;
	appctl_commit_info *commits = NULL;
	int64_t *numbers = NULL;
	appctl_app_listing *listing = NULL;
	app_cache cache = { 0 };
	tree_memo memo = { 0 };
	grant_set none;
	const grant_set *prev = &none;
	size_t ncommits = 0, i, d;
	appctl_error *absent = NULL;      /* reading appctl.json alone, after a listing failed */
	char *policy_text = NULL;
	size_t policy_len = 0;
	char tree[41];

	memset(&none, 0, sizeof(none));
	if (released)
		err = release_history(&commits, &numbers, &ncommits, repo, env);
	if (!err && !ncommits) {
		free(numbers);
		numbers = NULL;
		free(commits);
		commits = NULL;
		err = appctl_repo_first_parent_commits(&commits, &ncommits, repo,
			head);
	}
	for (i = 0; !err && i < ncommits; i++) {
		appctl_date day = appctl_date_from_unix(commits[i].time);
		appctl_date end = i + 1 < ncommits
			? appctl_date_from_unix(commits[i + 1].time) : at + 1;
		int64_t release = numbers ? numbers[i] : -1;
		const tree_seen *seen;

		if ((err = appctl_repo_commit_tree(tree, repo, commits[i].id)))
			break;
		seen = tree_memo_find(&memo, tree);
		if (!seen) {
			appctl_app_listing_free(listing);
			listing = NULL;
			err = appctl_repo_list_apps(&listing, repo, commits[i].id);
			if (err && !(absent = appctl_repo_read_path(&policy_text,
					&policy_len, repo, commits[i].id, "appctl.json")) &&
			    !policy_text) {
				/* Before the repository had an appctl.json, nobody had access. */
				appctl_error_free(err);
				err = history_step(h, prev, &none, commits[i].id,
					release, commits[i].time, 0);
				prev = &none;
				continue;
			}
			free(policy_text);
			policy_text = NULL;
			appctl_error_free(absent);
			absent = NULL;
			if (err) {
				err = appctl_error_wrap(err, "in '%.12s'", commits[i].id);
				break;
			}
			if ((err = app_cache_update(&cache, repo, listing,
					principal)) ||
			    (err = tree_memo_add(&seen, &memo, tree, &cache,
					listing->policy, principal)))
				break;
		}
		err = history_step(h, prev, tree_grants(seen, day), commits[i].id,
			release, commits[i].time, 0);
		prev = tree_grants(seen, day);
		/* Memberships ending before the next release: access goes by itself. */
		for (d = 0; !err && d < seen->end_count; d++) {
			appctl_date after = seen->ends[d] + 1;

			if (after <= day || after >= end)
				continue;
			err = history_step(h, prev, tree_grants(seen, after),
				commits[i].id, release, (int64_t)after * 86400, 1);
			prev = tree_grants(seen, after);
		}
	}
	free(policy_text);
	appctl_error_free(absent);
	tree_memo_dispose(&memo);
	app_cache_dispose(&cache);
	appctl_app_listing_free(listing);
	free(numbers);
	free(commits);
	return err;
}

static int policy_has_env(const appctl_policy *policy, const char *env)
{
	size_t i;

	for (i = 0; i < policy->environment_count; i++)
		if (strcmp(policy->environments[i], env) == 0)
			return 1;
	return 0;
}

/*
 * The environment asked for, or the last one of the promotion chain
 * (production, normally) as HEAD's appctl.json lists it.
 */
static appctl_error *pick_env(const char **out, appctl_arena *arena,
	appctl_repo *repo, const char *env)
{
	appctl_error *err;
	appctl_app_listing *head = NULL;
	char commit[41];

	*out = env;
	if (env)
		return NULL;
	err = appctl_repo_resolve(commit, repo, "HEAD");
	if (err)
		return appctl_error_wrap(err, "cannot tell the environments, use --env");
	err = appctl_repo_list_apps(&head, repo, commit);
	if (!err && !head->policy->environment_count)
		err = appctl_error_input("appctl.json", "$.environments",
			"no environments");
	if (!err && !(*out = appctl_arena_strdup(arena,
			head->policy->environments[head->policy->environment_count - 1])))
		err = appctl_error_nomem();
	appctl_app_listing_free(head);
	return err;
}


/* What the report's views point into. */
struct appctl_access_state {
	appctl_app_listing *listing;
	app_cache cache;
	history hist;
};

appctl_error *appctl_access_report_load(appctl_access_report **out,
	appctl_repo *repo, const char *principal, const char *env,
	appctl_date at, int with_history)
{
	appctl_access_report *rep;
	appctl_access_state *st;
	appctl_error *err;

	*out = NULL;
	rep = calloc(1, sizeof(*rep));
	st = calloc(1, sizeof(*st));
	if (rep)
		rep->state = st;
	if (!rep || !st || !(rep->arena = appctl_arena_new()) ||
	    !(st->hist.arena = appctl_arena_new()) ||
	    !(rep->principal = appctl_arena_strdup(rep->arena, principal))) {
		if (!rep)
			free(st);
		appctl_access_report_free(rep);
		return appctl_error_nomem();
	}
	rep->at = at;
	rep->with_history = with_history;
	if ((err = pick_env(&rep->env, rep->arena, repo, env)) ||
	    (err = appctl_repo_resolve(rep->commit, repo, rep->env)) ||
	    (err = appctl_repo_list_apps(&st->listing, repo, rep->commit)))
		goto fail;
	if (!policy_has_env(st->listing->policy, rep->env)) {
		err = appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not an environment of appctl.json", rep->env);
		goto fail;
	}
	/* One principal, every app: their groups are asked about at each. */
	if (appctl_policy_index_members(st->listing->policy,
		    st->listing->arena) != 0) {
		err = appctl_error_nomem();
		goto fail;
	}
	err = app_cache_update(&st->cache, repo, st->listing, rep->principal);
	if (err)
		goto fail;
	rep->apps = st->cache.items;
	rep->app_count = st->cache.count;
	rep->policy = st->listing->policy;
	rep->may_approve = appctl_policy_may_approve(rep->policy,
		rep->principal);
	if (with_history) {
		/* Builders commit to the first environment; the others release. */
		int released = rep->policy->environment_count &&
			strcmp(rep->policy->environments[0], rep->env) != 0;

		err = compute_history(&st->hist, repo, rep->env, released,
			rep->commit, rep->principal, rep->at);
		if (err)
			goto fail;
		rep->history = st->hist.items;
		rep->history_count = st->hist.count;
	}
	*out = rep;
	return NULL;
fail:
	appctl_access_report_free(rep);
	return err;
}

void appctl_access_report_free(appctl_access_report *report)
{
	appctl_access_state *st;

	if (!report)
		return;
	st = report->state;
	if (st) {
		free(st->hist.items);
		appctl_arena_free(st->hist.arena);
		app_cache_dispose(&st->cache);
		appctl_app_listing_free(st->listing);
		free(st);
	}
	appctl_arena_free(report->arena);
	free(report);
}
