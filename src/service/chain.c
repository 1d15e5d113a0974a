/* chain.c: a trusted log commit plus the events judged on top of it, and the look-ups of releases and approvals the judge makes in it. */
#include "appctl/chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/log.h"
#include "appctl/remote.h"

struct appctl_chain {
	appctl_repo *repo;
	char base[41];                 /* "" for a chain judged from the root */
	appctl_log_state *base_state;  /* trusted state at base, NULL when "" */
	appctl_event **events;         /* judged on top of base, oldest first */
	appctl_log_state **states;     /* the state after each */
	size_t count;
	size_t cap;
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
	for (i = 0; i < c->count; i++) {
		appctl_event_free(c->events[i]);
		appctl_log_state_free(c->states[i]);
	}
	free(c->events);
	free(c->states);
	appctl_log_state_free(c->base_state);
	free(c);
}

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
	return NULL;
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

typedef struct release_search {
	const char *env;
	int64_t release;              /* >= 0: find this release's commit */
	const char *commit;           /* or: find any release at this commit */
	char found[41];
} release_search;

/* The commit release `ev` makes of `env`, and its number; NULL when none. */
static const char *released_commit(const appctl_event *ev, const char *env,
	int64_t *n)
{
	if (ev->type == APPCTL_EV_INIT) {
		*n = 0;
		return appctl_init_event_release(ev->init, env);
	}
	if ((ev->type == APPCTL_EV_PROMOTE || ev->type == APPCTL_EV_ROLLBACK) &&
	    ev->env && strcmp(ev->env, env) == 0) {
		*n = ev->release;
		return ev->to;
	}
	return NULL;
}

static appctl_error *search_release(const appctl_event *ev, int64_t position,
	void *arg, int *stop)
{
	release_search *s = arg;
	int64_t n = -1;
	const char *at = released_commit(ev, s->env, &n);

	(void)position;
	if (!at)
		return NULL;
	if ((s->commit && strcmp(at, s->commit) == 0) ||
	    (!s->commit && n == s->release)) {
		snprintf(s->found, sizeof(s->found), "%s", at);
		*stop = 1;
	}
	/* The init event is the root: nothing older can match. */
	if (ev->type == APPCTL_EV_INIT)
		*stop = 1;
	return NULL;
}

appctl_error *appctl_chain_release_commit(char out[41], int *found,
	appctl_chain *c, const char *env, int64_t n)
{
	const appctl_log_state *state = appctl_chain_state(c);
	const appctl_env_state *e = state ? appctl_log_state_env(state, env) : NULL;
	release_search s;
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
	memset(&s, 0, sizeof(s));
	s.env = env;
	s.release = n;
	err = appctl_chain_visit(c, search_release, &s);
	if (!err && *s.found) {
		memcpy(out, s.found, 41);
		*found = 1;
	}
	return err;
}

appctl_error *appctl_chain_env_held(int *held, appctl_chain *c,
	const char *env, const char *commit)
{
	const appctl_log_state *state = appctl_chain_state(c);
	const appctl_env_state *e = state ? appctl_log_state_env(state, env) : NULL;
	release_search s;
	appctl_error *err;

	*held = 0;
	if (!e || !commit)
		return NULL;
	if (strcmp(e->commit, commit) == 0) {
		*held = 1;
		return NULL;
	}
	memset(&s, 0, sizeof(s));
	s.env = env;
	s.release = -1;
	s.commit = commit;
	err = appctl_chain_visit(c, search_release, &s);
	*held = !err && *s.found;
	return err;
}
