/* chain.c: a trusted log commit plus the events judged on top of it, and the look-ups of releases and approvals the judge makes in it. */
#include "appctl/chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/log.h"
#include "appctl/remote.h"

/* The commits of one environment's releases seen so far, by number. */
typedef struct release_index {
	char *env;
	char (*commits)[41];           /* "" where not seen yet */
	int64_t size;
} release_index;

struct appctl_chain {
	appctl_repo *repo;
	char base[41];                 /* "" for a chain judged from the root */
	appctl_log_state *base_state;  /* trusted state at base, NULL when "" */
	appctl_event **events;         /* judged on top of base, oldest first */
	appctl_log_state **states;     /* the state after each */
	size_t count;
	size_t cap;
	/*
	 * Releases known so far (every event in memory at its push, the log
	 * below base as look-ups need it), and where the one backward walk
	 * through that log stopped: each later look-up resumes it, so finding
	 * every release of a long log costs one walk, not one per release.
	 */
	release_index *index;
	size_t index_count;
	char walk_log[41];             /* the log commit to resume at; "" none */
	int walk_started;              /* the log below base was entered */
	int walk_done;                 /* the root was reached */
};

appctl_error *appctl_event_dup(appctl_event **out, const appctl_event *ev)
{
	appctl_event *copy = NULL;
	appctl_error *err;

	*out = NULL;
	err = appctl_event_parse(&copy, ev->log_commit[0] ? ev->log_commit
		: "event.json", ev->json, ev->json_len);
	if (err)
		return err;
	memcpy(copy->id, ev->id, sizeof(copy->id));
	memcpy(copy->log_commit, ev->log_commit, sizeof(copy->log_commit));
	if (ev->signature) {
		char *sig = appctl_arena_strndup(copy->arena, ev->signature,
			ev->signature_len);

		if (!sig) {
			appctl_event_free(copy);
			return appctl_error_nomem();
		}
		copy->signature = sig;
		copy->signature_len = ev->signature_len;
	}
	*out = copy;
	return NULL;
}

appctl_error *appctl_chain_open(appctl_chain **out, appctl_repo *repo,
	const char *base)
{
	appctl_log_entry entry;
	appctl_chain *c;
	appctl_error *err = NULL;

	*out = NULL;
	memset(&entry, 0, sizeof(entry));
	c = calloc(1, sizeof(*c));
	if (!c)
		return appctl_error_nomem();
	c->repo = repo;
	if (base && *base) {
		snprintf(c->base, sizeof(c->base), "%s", base);
		err = appctl_log_entry_read(&entry, repo, base);
		if (!err) {
			c->base_state = entry.state;
			entry.state = NULL;
		}
		appctl_log_entry_dispose(&entry);
	}
	if (err) {
		appctl_chain_free(c);
		return err;
	}
	*out = c;
	return NULL;
}

void appctl_chain_free(appctl_chain *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->index_count; i++) {
		free(c->index[i].env);
		free(c->index[i].commits);
	}
	free(c->index);
	for (i = 0; i < c->count; i++) {
		appctl_event_free(c->events[i]);
		appctl_log_state_free(c->states[i]);
	}
	free(c->events);
	free(c->states);
	appctl_log_state_free(c->base_state);
	free(c);
}

static appctl_error *note_release(appctl_chain *c, const appctl_event *ev);

appctl_repo *appctl_chain_repo(const appctl_chain *c)
{
	return c->repo;
}

const appctl_log_state *appctl_chain_state(const appctl_chain *c)
{
	return c->count ? c->states[c->count - 1] : c->base_state;
}

const char *appctl_chain_head(const appctl_chain *c)
{
	return c->count ? c->events[c->count - 1]->log_commit : c->base;
}

int64_t appctl_chain_length(const appctl_chain *c)
{
	const appctl_log_state *s = appctl_chain_state(c);

	return s ? s->seq : 0;
}

appctl_error *appctl_chain_push(appctl_chain *c, const appctl_event *ev)
{
	appctl_log_state *next = NULL;
	appctl_event *copy = NULL;
	appctl_error *err;

	err = appctl_log_state_next(&next, appctl_chain_state(c), ev, ev->id);
	if (err) {
		/* In a chain being judged, a release out of turn is bad input, not a race. */
		if (err->code == APPCTL_ECONFLICT)
			err->code = APPCTL_EINPUT;
		return err;
	}
	if (c->count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		appctl_event **events = realloc(c->events, cap * sizeof(*events));
		appctl_log_state **states;

		if (!events) {
			appctl_log_state_free(next);
			return appctl_error_nomem();
		}
		c->events = events;
		states = realloc(c->states, cap * sizeof(*states));
		if (!states) {
			appctl_log_state_free(next);
			return appctl_error_nomem();
		}
		c->states = states;
		c->cap = cap;
	}
	err = appctl_event_dup(&copy, ev);
	if (err) {
		appctl_log_state_free(next);
		return err;
	}
	c->events[c->count] = copy;
	c->states[c->count] = next;
	c->count++;
	/* Above everything the index walk has seen: it goes in directly. */
	return note_release(c, copy);
}

/* ---- visiting ---- */

typedef struct visit_below {
	appctl_chain_fn fn;
	void *arg;
	int64_t position;
	int stopped;
} visit_below;

static appctl_error *visit_logged(const appctl_event *ev, void *arg, int *stop)
{
	visit_below *v = arg;
	appctl_error *err = v->fn(ev, v->position--, v->arg, stop);

	v->stopped = *stop;
	return err;
}

appctl_error *appctl_chain_visit(appctl_chain *c, appctl_chain_fn fn, void *arg)
{
	visit_below v;
	appctl_error *err;
	int64_t position = appctl_chain_length(c);
	size_t i;
	int stop = 0;

	for (i = c->count; i > 0; i--) {
		err = fn(c->events[i - 1], position--, arg, &stop);
		if (err || stop)
			return err;
	}
	if (!*c->base)
		return NULL;
	memset(&v, 0, sizeof(v));
	v.fn = fn;
	v.arg = arg;
	v.position = position;
	return appctl_log_walk(c->repo, c->base, visit_logged, &v);
}

/* ---- releases ---- */

static release_index *index_of(appctl_chain *c, const char *env, int create)
{
	release_index *grown;
	size_t i;

	for (i = 0; i < c->index_count; i++)
		if (strcmp(c->index[i].env, env) == 0)
			return &c->index[i];
	if (!create)
		return NULL;
	grown = realloc(c->index, (c->index_count + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	c->index = grown;
	memset(&c->index[c->index_count], 0, sizeof(*c->index));
	if (!(c->index[c->index_count].env = strdup(env)))
		return NULL;
	return &c->index[c->index_count++];
}

/* Records that release `n` of `env` is at `commit`. */
static appctl_error *index_put(appctl_chain *c, const char *env, int64_t n,
	const char *commit)
{
	release_index *r = index_of(c, env, 1);

	if (!r)
		return appctl_error_nomem();
	if (n < 0 || n > INT32_MAX)
		return NULL;
	if (n >= r->size) {
		int64_t size = r->size ? r->size : 16;
		char (*grown)[41];

		while (size <= n)
			size *= 2;
		grown = realloc(r->commits, (size_t)size * sizeof(*grown));
		if (!grown)
			return appctl_error_nomem();
		memset(grown + r->size, 0, (size_t)(size - r->size) * sizeof(*grown));
		r->commits = grown;
		r->size = size;
	}
	snprintf(r->commits[n], 41, "%s", commit);
	return NULL;
}

/* The releases `ev` makes: release 0 of every env (init), or one. */
static appctl_error *note_release(appctl_chain *c, const appctl_event *ev)
{
	appctl_error *err = NULL;
	size_t i;

	if (ev->type == APPCTL_EV_INIT) {
		for (i = 0; i < ev->init->environment_count && !err; i++)
			err = index_put(c, ev->init->environments[i], 0,
				ev->init->releases[i]);
	} else if (ev->type == APPCTL_EV_PROMOTE || ev->type == APPCTL_EV_ROLLBACK) {
		err = index_put(c, ev->env, ev->release, ev->to);
	}
	return err;
}

static const char *index_get(appctl_chain *c, const char *env, int64_t n)
{
	release_index *r = index_of(c, env, 0);

	return r && n >= 0 && n < r->size && r->commits[n][0] ? r->commits[n]
		: NULL;
}

typedef struct index_walk {
	appctl_chain *chain;
	const char *env;
	int64_t release;               /* stop once this release is indexed */
	int skip_first;                /* the resumed commit was walked already */
} index_walk;

static appctl_error *index_visit(const appctl_event *ev, void *arg, int *stop)
{
	index_walk *w = arg;
	appctl_chain *c = w->chain;
	appctl_error *err;

	if (w->skip_first) {
		w->skip_first = 0;
		return NULL;
	}
	memcpy(c->walk_log, ev->log_commit, sizeof(c->walk_log));
	if ((err = note_release(c, ev)))
		return err;
	if (index_get(c, w->env, w->release))
		*stop = 1;
	return NULL;
}

/*
 * Resumes the backward walk through the log below base until release `n`
 * of `env` is indexed or the root is reached (the events in memory were
 * indexed when they were pushed).
 */
static appctl_error *index_until(appctl_chain *c, const char *env, int64_t n)
{
	index_walk w;
	appctl_error *err;

	if (index_get(c, env, n) || c->walk_done)
		return NULL;
	if (!*c->base) {
		c->walk_done = 1;
		return NULL;
	}
	memset(&w, 0, sizeof(w));
	w.chain = c;
	w.env = env;
	w.release = n;
	w.skip_first = c->walk_started;
	if (!c->walk_started) {
		memcpy(c->walk_log, c->base, sizeof(c->walk_log));
		c->walk_started = 1;
	}
	err = appctl_log_walk(c->repo, c->walk_log, index_visit, &w);
	if (!err && !index_get(c, env, n))
		c->walk_done = 1;
	return err;
}

appctl_error *appctl_chain_release_commit(char out[41], int *found,
	appctl_chain *chain, const char *env, int64_t n)
{
	const appctl_log_state *state = appctl_chain_state(chain);
	const appctl_env_state *e = state ? appctl_log_state_env(state, env) : NULL;
	const char *at;
	appctl_error *err;

	*found = 0;
	out[0] = '\0';
	if (!e || n < 0 || n > e->release)
		return NULL;
	if (n == e->release) {
		memcpy(out, e->commit, 41);
		*found = 1;
		return NULL;
	}
	if ((err = index_until(chain, env, n)))
		return err;
	at = index_get(chain, env, n);
	if (at) {
		memcpy(out, at, 41);
		*found = 1;
	}
	return NULL;
}

appctl_error *appctl_chain_env_held(int *held, appctl_chain *chain,
	const char *env, const char *commit)
{
	const appctl_log_state *state = appctl_chain_state(chain);
	const appctl_env_state *e = state ? appctl_log_state_env(state, env) : NULL;
	appctl_error *err;
	int64_t n;

	*held = 0;
	if (!e || !commit)
		return NULL;
	if (strcmp(e->commit, commit) == 0) {
		*held = 1;
		return NULL;
	}
	/* Newest first: a base is almost always one of the last releases. */
	for (n = e->release - 1; n >= 0 && !*held; n--) {
		const char *at;

		if ((err = index_until(chain, env, n)))
			return err;
		at = index_get(chain, env, n);
		*held = at && strcmp(at, commit) == 0;
	}
	return NULL;
}
