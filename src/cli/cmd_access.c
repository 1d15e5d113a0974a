/* cmd_access.c: `appctl access PRINCIPAL`: what someone can do in an environment, and since when. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "appctl/access.h"
#include "appctl/json.h"
#include "appctl/strbuf.h"
#include "appctl/log.h"
#include "appctl/rules.h"
#include "cli.h"
#include "cli_release.h"

/*
 * An app of the environment, parsed only when its text mentions the
 * principal or one of their groups: other apps cannot give them anything,
 * and a large org should not cost a parse of every app per question.
 */
typedef struct cached_app {
	char *dir;
	char blob_id[41];
	char *needle_key;        /* the needles it was filtered with, joined */
	appctl_arena *arena;     /* owns `app`; NULL when the app was skipped */
	appctl_app *app;
} cached_app;

typedef struct app_cache {
	cached_app *items;       /* the apps of the last listing: views of pool entries */
	size_t count;
	/*
	 * Every app parsed so far, by folder, blob and needles, owning what
	 * the views point to: a history meets the same files again and again
	 * (an app changed and changed back, a release rolled back), and each
	 * is parsed once. `slots` hashes them: pool index + 1, 0 for empty.
	 */
	cached_app *pool;
	size_t pool_count;
	size_t pool_cap;
	size_t *slots;
	size_t nslots;
} app_cache;

static void cached_app_dispose(cached_app *c)
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
		cached_app_dispose(&cache->pool[i]);
	free(cache->pool);
	free(cache->slots);
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
static const cached_app *pool_find(const app_cache *cache, const char *dir,
	const char *blob_id, const char *key)
{
	size_t i;

	if (!cache->nslots)
		return NULL;
	for (i = pool_hash(dir, blob_id, key) % cache->nslots;
	     cache->slots[i]; i = (i + 1) % cache->nslots) {
		const cached_app *c = &cache->pool[cache->slots[i] - 1];

		if (strcmp(c->blob_id, blob_id) == 0 && strcmp(c->dir, dir) == 0 &&
		    strcmp(c->needle_key, key) == 0)
			return c;
	}
	return NULL;
}

static void pool_slot(app_cache *cache, size_t index)
{
	const cached_app *c = &cache->pool[index];
	size_t i = pool_hash(c->dir, c->blob_id, c->needle_key) % cache->nslots;

	while (cache->slots[i])
		i = (i + 1) % cache->nslots;
	cache->slots[i] = index + 1;
}

/* Takes `c` (and what it owns) into the pool. */
static appctl_error *pool_add(app_cache *cache, cached_app *c)
{
	size_t i;

	if (cache->pool_count == cache->pool_cap) {
		size_t cap = cache->pool_cap ? cache->pool_cap * 2 : 16;
		cached_app *grown = realloc(cache->pool, cap * sizeof(*grown));

		if (!grown)
			return appctl_error_nomem();
		cache->pool = grown;
		cache->pool_cap = cap;
	}
	/* At most half full, so that probes stay short. */
	if (2 * (cache->pool_count + 1) > cache->nslots) {
		size_t n = cache->nslots ? cache->nslots * 2 : 64;
		size_t *slots = calloc(n, sizeof(*slots));

		if (!slots)
			return appctl_error_nomem();
		free(cache->slots);
		cache->slots = slots;
		cache->nslots = n;
		for (i = 0; i < cache->pool_count; i++)
			pool_slot(cache, i);
	}
	cache->pool[cache->pool_count] = *c;
	memset(c, 0, sizeof(*c));
	pool_slot(cache, cache->pool_count++);
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
	cached_app *items = NULL;
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
		const cached_app *seen = pool_find(cache, e->dir, e->blob_id, key);
		cached_app c;

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
		cached_app_dispose(&c);
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

typedef struct history_entry {
	const char *commit;
	int64_t release;         /* the release it is, or -1 for a plain commit */
	char time[21];
	int expiry;              /* caused by an expires date, not a commit */
	const char **granted;
	size_t granted_count;
	const char **revoked;
	size_t revoked_count;
} history_entry;

typedef struct history {
	appctl_arena *arena;
	history_entry *items;
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
	history_entry *e;
	appctl_error *err;

	if (h->count == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		history_entry *items = realloc(h->items, cap * sizeof(*items));

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
 * The days after the principal's temporary memberships end, within
 * [from, to): the points between two commits where access can go without
 * anyone committing anything.
 */
static appctl_error *expiry_points(appctl_date **out, size_t *count,
	const app_cache *cache, const char *principal, appctl_date from,
	appctl_date to)
{
	appctl_date *days = NULL;
	size_t n = 0, cap = 0, i, r, m;

	*out = NULL;
	*count = 0;
	for (i = 0; i < cache->count; i++) {
		const appctl_app *app = cache->items[i].app;

		for (r = 0; app && r < app->role_count; r++)
			for (m = 0; m < app->roles[r].member_count; m++) {
				const appctl_member *mem = &app->roles[r].members[m];
				appctl_date after;

				if (mem->kind != APPCTL_MEMBER_PRINCIPAL ||
				    !mem->has_expires ||
				    strcmp(mem->name, principal) != 0)
					continue;
				after = mem->expires + 1;
				if (after <= from || after >= to)
					continue;
				if (n == cap) {
					size_t grown_cap = cap ? cap * 2 : 8;
					appctl_date *grown = realloc(days,
						grown_cap * sizeof(*grown));

					if (!grown) {
						free(days);
						return appctl_error_nomem();
					}
					days = grown;
					cap = grown_cap;
				}
				days[n++] = after;
			}
	}
	if (n)
		qsort(days, n, sizeof(*days), date_cmp);
	*out = days;
	*count = n;
	return NULL;
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
	grant_set prev, cur;
	appctl_date *days = NULL;
	size_t ncommits = 0, ndays = 0, i, d;
	appctl_error *absent = NULL;      /* reading appctl.json alone, after a listing failed */
	char *policy_text = NULL;
	size_t policy_len = 0;

	memset(&prev, 0, sizeof(prev));
	memset(&cur, 0, sizeof(cur));
	prev.arena = appctl_arena_new();
	if (!prev.arena) {
		err = appctl_error_nomem();
		goto cleanup;
	}
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

		appctl_app_listing_free(listing);
		listing = NULL;
		err = appctl_repo_list_apps(&listing, repo, commits[i].id);
		if (err && !(absent = appctl_repo_read_path(&policy_text,
				&policy_len, repo, commits[i].id, "appctl.json")) &&
		    !policy_text) {
			/* Before the repository had an appctl.json, nobody had access. */
			appctl_error_free(err);
			err = NULL;
			if (!(cur.arena = appctl_arena_new())) {
				err = appctl_error_nomem();
				break;
			}
			if ((err = history_step(h, &prev, &cur, commits[i].id,
					numbers ? numbers[i] : -1, commits[i].time, 0)))
				break;
			appctl_arena_free(prev.arena);
			prev = cur;
			memset(&cur, 0, sizeof(cur));
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
		if ((err = app_cache_update(&cache, repo, listing, principal)) ||
		    (err = grant_set_compute(&cur, &cache, listing->policy,
				principal, day)) ||
		    (err = history_step(h, &prev, &cur, commits[i].id,
				numbers ? numbers[i] : -1, commits[i].time, 0)))
			break;
		appctl_arena_free(prev.arena);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		free(days);
		days = NULL;
		err = expiry_points(&days, &ndays, &cache, principal, day, end);
		for (d = 0; !err && d < ndays; d++) {
			if (d && days[d] == days[d - 1])
				continue;
			if ((err = grant_set_compute(&cur, &cache, listing->policy,
					principal, days[d])) ||
			    (err = history_step(h, &prev, &cur, commits[i].id,
					numbers ? numbers[i] : -1, (int64_t)days[d] * 86400, 1)))
				break;
			appctl_arena_free(prev.arena);
			prev = cur;
			memset(&cur, 0, sizeof(cur));
		}
	}
cleanup:
	free(days);
	free(policy_text);
	appctl_error_free(absent);
	appctl_arena_free(cur.arena);
	appctl_arena_free(prev.arena);
	app_cache_dispose(&cache);
	appctl_app_listing_free(listing);
	free(numbers);
	free(commits);
	return err;
}

/* ---- output ---- */

/*
 * The roles (with their group) through which `pa` reaches resource `ra`:
 * their via texts into out[], "Role (until D)" for a temporary holding
 * (text output; `until` 0 leaves the plain texts, as --json's "via" has
 * them). *expires receives the day the access ends when every path to it
 * is temporary (the latest of them), else stays NULL; `day` holds it.
 */
static size_t resource_via(const char **out, const char **expires,
	char day[11], appctl_arena *arena, const appctl_principal_access *pa,
	const appctl_resource_access *ra, int until)
{
	size_t v, g, n = 0, lasting = 0;
	appctl_date last = 0;

	*expires = NULL;
	for (v = 0; v < pa->via_count; v++) {
		const appctl_via *via = &pa->vias[v];
		const appctl_role *role = via->role;
		char d[11];

		for (g = 0; g < role->grant_count; g++)
			if (role->grants[g].actions &&
			    strcmp(role->grants[g].resource, ra->name) == 0)
				break;
		if (g == role->grant_count)
			continue;
		if (!via->temporary) {
			lasting++;
			out[n++] = pa->via[v];
			continue;
		}
		if (n == lasting || via->until > last)
			last = via->until;
		appctl_date_format(d, via->until);
		out[n++] = until ? appctl_arena_printf(arena, "%s (until %s)",
					pa->via[v], d)
				 : pa->via[v];
		if (!out[n - 1])
			out[n - 1] = pa->via[v];
	}
	if (n && !lasting) {
		appctl_date_format(day, last);
		*expires = day;
	}
	return n;
}

typedef struct access_report {
	const char *principal;
	const char *env;
	char commit[41];
	appctl_date at;
	const app_cache *cache;
	const appctl_policy *policy;
	appctl_arena *arena;
	int may_approve;
	const history *hist;     /* NULL without --history */
} access_report;

static cJSON *string_array(const char *const *items, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(items[i]));
	return arr;
}

/* What the principal owns: apps ("app") and integrations ("app/integration"). */
static appctl_error *owned(const char ***out, size_t *count,
	const access_report *rep)
{
	size_t i, k, n = 0, total = 0;
	const char **list;

	for (i = 0; i < rep->cache->count; i++)
		if (rep->cache->items[i].app)
			total += 1 + rep->cache->items[i].app->integration_count;
	list = appctl_arena_calloc(rep->arena, total ? total : 1, sizeof(*list));
	if (!list)
		return appctl_error_nomem();
	for (i = 0; i < rep->cache->count; i++) {
		const appctl_app *app = rep->cache->items[i].app;

		if (!app)
			continue;
		if ((app->business_owner &&
		     strcmp(app->business_owner, rep->principal) == 0) ||
		    (app->technical_owner &&
		     strcmp(app->technical_owner, rep->principal) == 0))
			list[n++] = app->name;
		for (k = 0; k < app->integration_count; k++) {
			const appctl_integration *in = &app->integrations[k];

			if (in->owner && strcmp(in->owner, rep->principal) == 0 &&
			    !(list[n++] = appctl_arena_printf(rep->arena, "%s/%s",
					app->name, in->name)))
				return appctl_error_nomem();
		}
	}
	*out = list;
	*count = n;
	return NULL;
}

static appctl_error *print_json(const access_report *rep)
{
	appctl_error *err = NULL;
	cJSON *root = cJSON_CreateObject(), *access, *hist;
	const char **owns = NULL, **via, *expires;
	size_t nowns = 0, i, r, f, nvia;
	char day[11], until[11], *text = NULL;
	unsigned bit;

	if (!root)
		return appctl_error_nomem();
	appctl_date_format(day, rep->at);
	cJSON_AddStringToObject(root, "principal", rep->principal);
	cJSON_AddStringToObject(root, "env", rep->env);
	cJSON_AddStringToObject(root, "commit", rep->commit);
	cJSON_AddStringToObject(root, "at", day);
	access = cJSON_AddArrayToObject(root, "access");
	for (i = 0; !err && access && i < rep->cache->count; i++) {
		const appctl_app *app = rep->cache->items[i].app;
		appctl_principal_access pa;

		if (!app)
			continue;
		err = appctl_access_of(&pa, rep->arena, app, rep->policy,
			rep->principal, rep->at);
		via = appctl_arena_calloc(rep->arena, pa.via_count + 1,
			sizeof(*via));
		if (!err && !via)
			err = appctl_error_nomem();
		for (r = 0; !err && r < pa.resource_count; r++) {
			const appctl_resource_access *ra = &pa.resources[r];
			cJSON *o = cJSON_CreateObject(), *actions, *fields;

			cJSON_AddItemToArray(access, o);
			cJSON_AddStringToObject(o, "app", app->name);
			cJSON_AddStringToObject(o, "resource", ra->name);
			actions = cJSON_AddArrayToObject(o, "actions");
			for (bit = 1; bit < (1u << APPCTL_ACTION_COUNT); bit <<= 1)
				if (ra->actions & bit)
					cJSON_AddItemToArray(actions,
						cJSON_CreateString(appctl_action_name(bit)));
			fields = cJSON_AddArrayToObject(o, "visible_fields");
			for (f = 0; ra->resource && f < ra->resource->field_count; f++)
				if (ra->visible[f])
					cJSON_AddItemToArray(fields, cJSON_CreateString(
						ra->resource->fields[f].name));
			nvia = resource_via(via, &expires, until, rep->arena,
				&pa, ra, 0);
			cJSON_AddItemToObject(o, "via", string_array(via, nvia));
			/* The last day of access held only through temporary memberships. */
			if (expires)
				cJSON_AddStringToObject(o, "expires", expires);
			else
				cJSON_AddNullToObject(o, "expires");
		}
	}
	if (!err)
		err = owned(&owns, &nowns, rep);
	if (err)
		goto cleanup;
	cJSON_AddItemToObject(root, "owns", string_array(owns, nowns));
	cJSON_AddBoolToObject(root, "may_approve", rep->may_approve);
	/* The key is always there; it is filled with --history only. */
	hist = cJSON_AddArrayToObject(root, "history");
	for (i = 0; hist && rep->hist && i < rep->hist->count; i++) {
		const history_entry *e = &rep->hist->items[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToArray(hist, o);
		/* A release number once the log has releases; before, the commit. */
		if (e->release >= 0)
			cJSON_AddNumberToObject(o, "release", (double)e->release);
		else
			cJSON_AddStringToObject(o, "release", e->commit);
		cJSON_AddStringToObject(o, "commit", e->commit);
		cJSON_AddStringToObject(o, "time", e->time);
		cJSON_AddStringToObject(o, "cause", e->expiry ? "expiry" : "commit");
		cJSON_AddItemToObject(o, "granted",
			string_array(e->granted, e->granted_count));
		cJSON_AddItemToObject(o, "revoked",
			string_array(e->revoked, e->revoked_count));
	}
	text = cJSON_Print(root);
	if (!text) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	puts(text);
cleanup:
	cJSON_free(text);
	cJSON_Delete(root);
	return err;
}

static void print_list(const char *label, const char *const *items, size_t n)
{
	size_t i;

	printf("%s", label);
	for (i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", items[i]);
	putchar('\n');
}

static appctl_error *print_text(const appctl_cli *cli,
	const access_report *rep)
{
	appctl_error *err = NULL;
	const char **owns = NULL, **via, *names[APPCTL_ACTION_COUNT], *expires;
	size_t nowns = 0, i, r, f, nvia, shown = 0, n;
	char day[11], until[11];
	unsigned bit;

	appctl_date_format(day, rep->at);
	printf("%s%s%s in %s (%.7s), access as of %s\n",
		appctl_cli_color(cli, APPCTL_BOLD), rep->principal,
		appctl_cli_color(cli, APPCTL_RESET), rep->env, rep->commit, day);
	for (i = 0; i < rep->cache->count; i++) {
		const appctl_app *app = rep->cache->items[i].app;
		appctl_principal_access pa;

		if (!app)
			continue;
		err = appctl_access_of(&pa, rep->arena, app, rep->policy,
			rep->principal, rep->at);
		if (err)
			return err;
		if (!pa.resource_count)
			continue;
		via = appctl_arena_calloc(rep->arena, pa.via_count + 1,
			sizeof(*via));
		if (!via)
			return appctl_error_nomem();
		printf("\n%s%s%s\n", appctl_cli_color(cli, APPCTL_BOLD), app->name,
			appctl_cli_color(cli, APPCTL_RESET));
		for (r = 0; r < pa.resource_count; r++) {
			const appctl_resource_access *ra = &pa.resources[r];

			n = 0;
			for (bit = 1; bit < (1u << APPCTL_ACTION_COUNT); bit <<= 1)
				if (ra->actions & bit)
					names[n++] = appctl_action_name(bit);
			printf("  %s: ", ra->name);
			print_list("", names, n);
			printf("    fields:");
			for (f = 0, n = 0; ra->resource && f < ra->resource->field_count; f++)
				if (ra->visible[f])
					printf("%s %s", n++ ? "," : "",
						ra->resource->fields[f].name);
			printf("%s\n", n ? "" : " (none)");
			nvia = resource_via(via, &expires, until, rep->arena,
				&pa, ra, 1);
			print_list("    via: ", via, nvia);
			if (expires)
				printf("    until: %s (temporary access)\n", expires);
			shown++;
		}
	}
	if (!shown)
		printf("\nno access to any app in %s\n", rep->env);
	err = owned(&owns, &nowns, rep);
	if (err)
		return err;
	putchar('\n');
	if (nowns)
		print_list("owns: ", owns, nowns);
	else
		printf("owns: nothing\n");
	printf("may approve: %s\n", rep->may_approve ? "yes" : "no");
	if (!rep->hist)
		return NULL;
	printf("\nhistory in %s:\n", rep->env);
	if (!rep->hist->count)
		printf("  no access at any commit\n");
	for (i = 0; i < rep->hist->count; i++) {
		const history_entry *e = &rep->hist->items[i];

		if (e->release >= 0)
			printf("  %s  release %lld (%.7s)%s\n", e->time,
				(long long)e->release, e->commit,
				e->expiry ? "  (a temporary membership ended)" : "");
		else
			printf("  %s  %.7s%s\n", e->time, e->commit,
				e->expiry ? "  (a temporary membership ended)" : "");
		if (e->granted_count)
			print_list("    granted: ", e->granted, e->granted_count);
		if (e->revoked_count)
			print_list("    revoked: ", e->revoked, e->revoked_count);
	}
	return NULL;
}

/* ---- the command ---- */

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

appctl_error *cmd_access(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *env = NULL, *at = NULL;
	int npos, help, json = 0, with_history = 0;
	const appctl_opt opts[] = {
		{ "env", 0, APPCTL_OPT_STRING, &env, "ENV" },
		{ "at", 0, APPCTL_OPT_STRING, &at, "DATE" },
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ "history", 0, APPCTL_OPT_FLAG, &with_history, NULL },
		{ 0 }
	};
	appctl_app_listing *listing = NULL;
	app_cache cache = { 0 };
	history hist = { NULL, NULL, 0, 0 };
	access_report rep;
	appctl_error *err;

	memset(&rep, 0, sizeof(rep));
	err = appctl_cli_parse(argc, argv, opts, pos, 1, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("access");
		return NULL;
	}
	json |= cli->json;
	if (npos != 1)
		return appctl_error_new(APPCTL_EUSAGE, "usage: appctl access "
			"PRINCIPAL [--env ENV] [--at DATE] [--json] [--history]");
	if (!appctl_principal_is_valid(pos[0]))
		return appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not a principal (an email-like name)", pos[0]);
	if (env && !appctl_env_name_is_valid(env))
		return appctl_error_new(APPCTL_EUSAGE,
			"--env: '%s' is not an environment name", env);
	rep.at = appctl_cli_today();
	if (at && appctl_date_parse(&rep.at, at) != 0)
		return appctl_error_new(APPCTL_EUSAGE,
			"--at: '%s' is not a date (YYYY-MM-DD)", at);
	rep.principal = pos[0];

	err = appctl_repo_open(&cli->repo, cli->dir);
	if (err)
		return err;
	rep.arena = appctl_arena_new();
	hist.arena = appctl_arena_new();
	if (!rep.arena || !hist.arena) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	if ((err = pick_env(&rep.env, rep.arena, cli->repo, env)) ||
	    (err = appctl_repo_resolve(rep.commit, cli->repo, rep.env)) ||
	    (err = appctl_repo_list_apps(&listing, cli->repo, rep.commit)))
		goto cleanup;
	if (!policy_has_env(listing->policy, rep.env)) {
		err = appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not an environment of appctl.json", rep.env);
		goto cleanup;
	}
	err = app_cache_update(&cache, cli->repo, listing, rep.principal);
	if (err)
		goto cleanup;
	rep.cache = &cache;
	rep.policy = listing->policy;
	rep.may_approve = appctl_policy_may_approve(listing->policy,
		rep.principal);
	if (with_history) {
		/* Builders commit to the first environment; the others release. */
		int released = listing->policy->environment_count &&
			strcmp(listing->policy->environments[0], rep.env) != 0;

		err = compute_history(&hist, cli->repo, rep.env, released,
			rep.commit, rep.principal, rep.at);
		if (err)
			goto cleanup;
		rep.hist = &hist;
	}
	err = json ? print_json(&rep) : print_text(cli, &rep);
cleanup:
	free(hist.items);
	appctl_arena_free(hist.arena);
	app_cache_dispose(&cache);
	appctl_app_listing_free(listing);
	appctl_arena_free(rep.arena);
	return err;
}
