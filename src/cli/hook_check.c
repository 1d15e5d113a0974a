/* hook_check.c: judging a push ref by ref: the log grows only by valid events, protected branches move only as it records, release tags never move. */
#include "hook_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/log.h"
#include "appctl/remote.h"
#include "appctl/strbuf.h"
#include "release.h"

#define HEADS_PREFIX "refs/heads/"
#define RELEASE_PREFIX "refs/tags/release/"
/* Approvals cluster on few bases: a small cache of policies suffices. */
#define LISTING_CACHE 8

/* An event this push appends, with the state derived after it. */
typedef struct new_event {
	appctl_event *ev;
	appctl_log_state *state;
} new_event;

typedef struct hook_ctx {
	appctl_repo *repo;
	int advisory;
	char cur_head[41];             /* the log before the push; "" none */
	appctl_log_state *cur_state;
	new_event *events;             /* appended by this push, oldest first */
	size_t event_count;
	int log_refused;               /* the push moves the log, and that was refused */
	const appctl_log_state *state; /* the log's state after the push */
	appctl_app_listing *listings[LISTING_CACHE];
	size_t next_listing;
} hook_ctx;

/* ---- verdicts ---- */

static appctl_error *refuse(hook_update *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records why `u` is refused; the first reason found is the one given. */
static appctl_error *refuse(hook_update *u, const char *fmt, ...)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	va_list ap;

	if (u->reason)
		return NULL;
	va_start(ap, fmt);
	appctl_strbuf_vprintf(&b, fmt, ap);
	va_end(ap);
	u->reason = appctl_strbuf_detach(&b);
	return u->reason ? NULL : appctl_error_nomem();
}

/*
 * A check that could not be made (a missing object, an I/O error) refuses
 * the update on a server: what cannot be verified does not pass. The
 * advisory pre-push lets it through with a note; the server decides.
 * Consumes `err`; returns only out-of-memory.
 */
static appctl_error *cannot_check(hook_ctx *c, hook_update *u,
	appctl_error *err)
{
	char *text;

	if (err == appctl_error_nomem())
		return err;
	text = appctl_error_format(err);
	if (c->advisory && err->code == APPCTL_ESYSTEM) {
		free(u->note);
		u->note = text;
		appctl_error_free(err);
		return text ? NULL : appctl_error_nomem();
	}
	appctl_error_free(err);
	err = refuse(u, "cannot be checked: %s", text ? text : "?");
	free(text);
	return err;
}

/* Turns an input error into a problem text (caller frees); others pass through. */
static appctl_error *as_problem(char **problem, appctl_error *err,
	const char *what)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	char *text;

	if (!err || err->code != APPCTL_EINPUT)
		return err;
	text = appctl_error_format(err);
	appctl_error_free(err);
	appctl_strbuf_printf(&b, "%s: %s", what, text ? text : "?");
	free(text);
	*problem = appctl_strbuf_detach(&b);
	return *problem ? NULL : appctl_error_nomem();
}

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *dup_printf(const char *fmt, ...)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	appctl_strbuf_vprintf(&b, fmt, ap);
	va_end(ap);
	return appctl_strbuf_detach(&b);
}

/* ---- what the checks read ---- */

static appctl_error *listing_at(const appctl_app_listing **out, hook_ctx *c,
	const char *commit)
{
	appctl_app_listing *l = NULL;
	appctl_error *err;
	size_t i;

	for (i = 0; i < LISTING_CACHE; i++)
		if (c->listings[i] && strcmp(c->listings[i]->commit, commit) == 0) {
			*out = c->listings[i];
			return NULL;
		}
	err = appctl_repo_list_apps(&l, c->repo, commit);
	if (err)
		return err;
	i = c->next_listing;
	appctl_app_listing_free(c->listings[i]);
	c->listings[i] = l;
	c->next_listing = (i + 1) % LISTING_CACHE;
	*out = l;
	return NULL;
}

/*
 * Whether `env` is the first environment, where builders commit freely:
 * by the policy at the commit the log had for it before the push (as
 * promote and status decide), or by the init event a bootstrapping push
 * brings.
 */
static appctl_error *is_first_env(int *first, hook_ctx *c, const char *env)
{
	const appctl_app_listing *l;
	const appctl_env_state *e;
	appctl_error *err;

	*first = 0;
	if (c->cur_state) {
		e = appctl_log_state_env(c->cur_state, env);
		if (!e)
			return NULL;
		if ((err = listing_at(&l, c, e->commit)))
			return err;
		*first = l->policy->environment_count &&
			strcmp(l->policy->environments[0], env) == 0;
		return NULL;
	}
	if (c->event_count && c->events[0].ev->type == APPCTL_EV_INIT) {
		const appctl_init_event *init = c->events[0].ev->init;

		*first = init->environment_count &&
			strcmp(init->environments[0], env) == 0;
	}
	return NULL;
}

/*
 * An event's signature, against the allowed_signers that judge it: when
 * it is signed, claims to be verified, or the policy requires signatures,
 * it must verify now, to the principal the event names. *problem says
 * why not (caller frees), else NULL.
 */
static appctl_error *signature_problem(char **problem, const appctl_event *ev,
	const char *signers_text, int required)
{
	appctl_error *err;
	char *principal = NULL, *why = NULL;

	*problem = NULL;
	if (!ev->verified && !ev->signature && !required)
		return NULL;
	err = appctl_release_verify_event(&principal, &why, ev, signers_text);
	if (err)
		goto cleanup;
	if (!principal)
		*problem = dup_printf("its signature does not verify: %s",
			why ? why : "unknown reason");
	else if (strcmp(principal, ev->principal) != 0)
		*problem = dup_printf("it names %s but is signed by %s",
			ev->principal, principal);
	else
		goto cleanup;
	if (!*problem)
		err = appctl_error_nomem();
cleanup:
	free(principal);
	free(why);
	return err;
}

/* ---- the approvals a release relies on ---- */

typedef struct approval_search {
	const appctl_event *release;
	appctl_logged *found;          /* per id of release->approvals */
	int *have;
	int *revoked;
	size_t remaining;
	char **revoked_commit;         /* revokes of the env seen so far (newer) */
	char **revoked_by;
	size_t revoke_count;
	size_t revoke_cap;
} approval_search;

static appctl_error *search_note_revoke(approval_search *s,
	const appctl_event *ev)
{
	if (s->revoke_count == s->revoke_cap) {
		size_t cap = s->revoke_cap ? s->revoke_cap * 2 : 8;
		char **c = realloc(s->revoked_commit, cap * sizeof(*c));
		char **p;

		if (!c)
			return appctl_error_nomem();
		s->revoked_commit = c;
		p = realloc(s->revoked_by, cap * sizeof(*p));
		if (!p)
			return appctl_error_nomem();
		s->revoked_by = p;
		s->revoke_cap = cap;
	}
	s->revoked_commit[s->revoke_count] = strdup(ev->commit);
	s->revoked_by[s->revoke_count] = strdup(ev->principal);
	s->revoke_count++;
	if (!s->revoked_commit[s->revoke_count - 1] ||
	    !s->revoked_by[s->revoke_count - 1])
		return appctl_error_nomem();
	return NULL;
}

/*
 * Visits the log backwards from the release: revocations seen before an
 * approval (newer than it) withdraw it, as audit decides.
 */
static appctl_error *search_visit(const appctl_event *ev, void *arg, int *stop)
{
	approval_search *s = arg;
	const appctl_event *r = s->release;
	appctl_error *err;
	size_t k, v;

	if (ev->type == APPCTL_EV_REVOKE && strcmp(ev->env, r->env) == 0)
		return search_note_revoke(s, ev);
	if (ev->type != APPCTL_EV_APPROVE)
		return NULL;
	for (k = 0; k < r->approval_count; k++) {
		if (s->have[k] || strcmp(r->approvals[k], ev->id) != 0)
			continue;
		if ((err = appctl_logged_copy(&s->found[k], ev)))
			return err;
		s->have[k] = 1;
		s->remaining--;
		for (v = 0; v < s->revoke_count; v++)
			if (strcmp(s->revoked_commit[v], ev->commit) == 0 &&
			    strcmp(s->revoked_by[v], ev->principal) == 0)
				s->revoked[k] = 1;
	}
	if (s->remaining == 0)
		*stop = 1;
	return NULL;
}

static void search_dispose(approval_search *s)
{
	size_t k;

	for (k = 0; s->found && k < s->release->approval_count; k++)
		appctl_logged_dispose(&s->found[k]);
	for (k = 0; k < s->revoke_count; k++) {
		free(s->revoked_commit[k]);
		free(s->revoked_by[k]);
	}
	free(s->revoked_commit);
	free(s->revoked_by);
	free(s->found);
	free(s->have);
	free(s->revoked);
}

/*
 * A promote or rollback judged again, now: the approve events it names
 * (found among the `new_before` events of this push before it, then in
 * the log from `walk_from` back), re-verified against the allowed_signers
 * of its `from` commit and judged by that commit's policy (break-glass by
 * the break_glass group). *problem says why it does not hold (caller
 * frees), else NULL.
 */
static appctl_error *release_problem(char **problem, hook_ctx *c,
	const appctl_event *ev, size_t new_before, const char *walk_from)
{
	appctl_release_case rc;
	approval_search s;
	appctl_event **approvals = NULL;
	int stop = 0;
	size_t n = ev->approval_count, k;
	appctl_error *err = NULL;

	*problem = NULL;
	memset(&rc, 0, sizeof(rc));
	memset(&s, 0, sizeof(s));
	s.release = ev;
	s.remaining = n;
	s.found = calloc(n + 1, sizeof(*s.found));
	s.have = calloc(n + 1, sizeof(*s.have));
	s.revoked = calloc(n + 1, sizeof(*s.revoked));
	approvals = calloc(n + 1, sizeof(*approvals));
	if (!s.found || !s.have || !s.revoked || !approvals) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	for (k = new_before; k > 0 && s.remaining && !stop && !err; k--)
		err = search_visit(c->events[k - 1].ev, &s, &stop);
	if (!err && s.remaining && walk_from && *walk_from)
		err = appctl_log_walk(c->repo, walk_from, search_visit, &s);
	if (err) {
		err = as_problem(problem, err, "reading the log for its approvals");
		goto cleanup;
	}
	for (k = 0; k < n; k++)
		if (!s.have[k]) {
			*problem = dup_printf("it relies on approval %s, which is not "
				"an earlier approve event of the log", ev->approvals[k]);
			err = *problem ? NULL : appctl_error_nomem();
			goto cleanup;
		}
	for (k = 0; k < n && !err; k++)
		err = appctl_logged_parse(&approvals[k], &s.found[k]);
	if (!err)
		err = appctl_release_case_build(&rc, c->repo, ev->env, ev->from,
			ev->to, approvals, s.revoked, n,
			ev->type == APPCTL_EV_ROLLBACK, appctl_release_day_of(ev->time));
	if (err) {
		err = as_problem(problem, err, "it cannot be judged");
		goto cleanup;
	}
	if (ev->verified || ev->signature) {
		err = signature_problem(problem, ev, rc.current->signers_text, 0);
		if (err || *problem)
			goto cleanup;
	}
	err = appctl_release_shortfall(problem, ev, &rc);
cleanup:
	appctl_release_case_dispose(&rc);
	for (k = 0; approvals && k < n; k++)
		appctl_event_free(approvals[k]);
	free(approvals);
	search_dispose(&s);
	return err;
}

/* ---- the event log ---- */

/* Everything an appended event must satisfy beyond its form and place. */
static appctl_error *event_problem(char **problem, hook_ctx *c,
	const appctl_event *ev, const appctl_log_state *prev, size_t index,
	const char *base_head)
{
	const appctl_app_listing *l;
	const appctl_env_state *e;
	appctl_error *err;
	char what[96];

	*problem = NULL;
	switch (ev->type) {
	case APPCTL_EV_INIT:
		/* Bootstrapping: the first push is trusted (SPEC §4). */
		return NULL;
	case APPCTL_EV_APPROVE:
	case APPCTL_EV_REVOKE:
		e = appctl_log_state_env(prev, ev->env);
		if (!e) {
			*problem = dup_printf("it names '%s', which is not an "
				"environment of the log", ev->env);
			return *problem ? NULL : appctl_error_nomem();
		}
		/*
		 * An approval is judged by the signers of the base it approves
		 * on; a revocation by those of the environment's commit then.
		 */
		snprintf(what, sizeof(what), "reading the policy at %.12s",
			ev->type == APPCTL_EV_APPROVE ? ev->base : e->commit);
		err = listing_at(&l, c,
			ev->type == APPCTL_EV_APPROVE ? ev->base : e->commit);
		if (err)
			return as_problem(problem, err, what);
		return signature_problem(problem, ev, l->signers_text,
			l->policy->require_signature);
	case APPCTL_EV_PROMOTE:
	case APPCTL_EV_ROLLBACK:
		return release_problem(problem, c, ev, index, base_head);
	}
	return NULL;
}

static void drop_new_events(hook_ctx *c)
{
	size_t i;

	for (i = 0; i < c->event_count; i++) {
		appctl_event_free(c->events[i].ev);
		appctl_log_state_free(c->events[i].state);
	}
	free(c->events);
	c->events = NULL;
	c->event_count = 0;
}

static appctl_error *states_differ(int *differ, const appctl_log_state *a,
	const appctl_log_state *b)
{
	char *x = NULL, *y = NULL;
	appctl_error *err = appctl_log_state_format(&x, a);

	if (!err)
		err = appctl_log_state_format(&y, b);
	*differ = !err && strcmp(x, y) != 0;
	free(x);
	free(y);
	return err;
}

/* One appended log commit: form, place in the chain, state, then the event's own rules. */
static appctl_error *check_log_commit(hook_ctx *c, hook_update *u,
	const char *commit, const appctl_log_state *prev, const char *base_head)
{
	appctl_log_entry entry;
	appctl_log_state *next = NULL;
	appctl_error *err;
	char *problem = NULL;
	const appctl_event *ev;
	int differ = 0;

	err = appctl_log_entry_read(&entry, c->repo, commit);
	if (err && err->code == APPCTL_EINPUT) {
		err = as_problem(&problem, err, "malformed");
		if (!err)
			err = refuse(u, "log commit %.12s: %s", commit, problem);
		goto cleanup;
	}
	if (err) {
		err = cannot_check(c, u, err);
		goto cleanup;
	}
	ev = entry.event;
	if (entry.parent_count > 1) {
		err = refuse(u, "log commit %.12s is a merge: the log is a single "
			"chain of events (run 'appctl sync' to re-parent events)",
			commit);
		goto cleanup;
	}
	if (entry.stray) {
		err = refuse(u, "log commit %.12s holds '%s': a log commit holds "
			"only event.json, event.json.sig and state.json", commit,
			entry.stray);
		goto cleanup;
	}
	if (!prev != (ev->type == APPCTL_EV_INIT)) {
		err = refuse(u, "log commit %.12s: %s", commit, prev
			? "a second init event" : "the log must start with an init event");
		goto cleanup;
	}
	err = appctl_log_state_next(&next, prev, ev, ev->id);
	if (err && err->code == APPCTL_ECONFLICT)
		/* A release that does not follow the environment's last one. */
		err->code = APPCTL_EINPUT;
	if (err) {
		err = as_problem(&problem, err, "it does not continue the chain "
			"(release numbers follow each other, from the environment's "
			"commit)");
		if (err) {
			err = cannot_check(c, u, err);
			goto cleanup;
		}
	} else if ((err = states_differ(&differ, next, entry.state))) {
		goto cleanup;
	} else if (differ) {
		problem = strdup("its state.json differs from the state recomputed "
			"from its parent and its event");
		if (!problem) {
			err = appctl_error_nomem();
			goto cleanup;
		}
	} else if ((err = event_problem(&problem, c, ev, prev, c->event_count,
			base_head))) {
		err = cannot_check(c, u, err);
		goto cleanup;
	}
	if (problem) {
		err = refuse(u, "event %.12s (%s%s%s, log commit %.12s): %s", ev->id,
			appctl_event_type_name(ev->type), ev->env ? " " : "",
			ev->env ? ev->env : "", commit, problem);
		goto cleanup;
	}
	{
		new_event *grown = realloc(c->events,
			(c->event_count + 1) * sizeof(*grown));

		if (!grown) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		c->events = grown;
		c->events[c->event_count].ev = entry.event;
		c->events[c->event_count].state = next;
		c->event_count++;
		entry.event = NULL;
		next = NULL;
	}
cleanup:
	free(problem);
	appctl_log_state_free(next);
	appctl_log_entry_dispose(&entry);
	return err;
}

static appctl_error *check_log(hook_ctx *c, hook_update *u)
{
	char (*path)[41] = NULL;
	appctl_error *err = NULL;
	const appctl_log_state *prev = NULL;
	size_t count = 0, i;
	int reached = 0;

	if (!*u->new_id)
		return refuse(u, "the event log cannot be deleted: it is append-only");
	err = appctl_first_parent_path(&path, &count, &reached, c->repo,
		u->new_id, u->old_id);
	if (err) {
		err = cannot_check(c, u, err);
		goto cleanup;
	}
	if (!reached) {
		err = refuse(u, "not a fast-forward: %.12s does not continue the log "
			"at %.12s, and the log is append-only (run 'appctl sync' to "
			"re-parent your events onto it)", u->new_id, u->old_id);
		goto cleanup;
	}
	prev = c->cur_state;
	/* Oldest first: each event is judged on the state its parent leaves. */
	for (i = count; i > 0 && !u->reason && !u->note && !err; i--) {
		err = check_log_commit(c, u, path[i - 1], prev, u->old_id);
		if (!err && c->event_count)
			prev = c->events[c->event_count - 1].state;
	}
	if (!err && (u->reason || u->note)) {
		/* Nothing of a refused log counts for the other refs. */
		drop_new_events(c);
		c->log_refused = u->reason != NULL;
	}
	if (!err && !u->reason && !u->note && c->event_count)
		c->state = c->events[c->event_count - 1].state;
cleanup:
	free(path);
	return err;
}

/* ---- finding a release in the log ---- */

typedef struct release_lookup {
	const char *env;
	int64_t release;
	const char *event_id;          /* or: the event with this id */
	char commit[41];
	appctl_logged event;
	int found;
} release_lookup;

static appctl_error *lookup_visit(const appctl_event *ev, void *arg, int *stop)
{
	release_lookup *l = arg;
	const char *at = NULL;

	if (l->event_id) {
		if (strcmp(ev->id, l->event_id) != 0)
			return NULL;
		*stop = 1;
		l->found = 1;
		return appctl_logged_copy(&l->event, ev);
	}
	if (ev->type == APPCTL_EV_INIT && l->release == 0)
		at = appctl_init_event_release(ev->init, l->env);
	else if ((ev->type == APPCTL_EV_PROMOTE || ev->type == APPCTL_EV_ROLLBACK) &&
		 ev->release == l->release && strcmp(ev->env, l->env) == 0)
		at = ev->to;
	if (at) {
		snprintf(l->commit, sizeof(l->commit), "%s", at);
		l->found = 1;
		*stop = 1;
	}
	return NULL;
}

appctl_error *hook_find_release(char out[41], int *found, appctl_repo *repo,
	const char *log_head, const char *env, int64_t release)
{
	release_lookup l;
	appctl_error *err = NULL;

	memset(&l, 0, sizeof(l));
	l.env = env;
	l.release = release;
	*found = 0;
	out[0] = '\0';
	if (log_head && *log_head)
		err = appctl_log_walk(repo, log_head, lookup_visit, &l);
	if (!err && l.found) {
		memcpy(out, l.commit, 41);
		*found = 1;
	}
	return err;
}

/* The commit of release `n` of `env` after this push. */
static appctl_error *release_commit(char out[41], int *found, hook_ctx *c,
	const appctl_env_state *e, int64_t n)
{
	size_t i;

	*found = 0;
	if (n == e->release) {
		memcpy(out, e->commit, 41);
		*found = 1;
		return NULL;
	}
	for (i = c->event_count; i > 0; i--) {
		const appctl_event *ev = c->events[i - 1].ev;
		const char *at = NULL;

		if (ev->type == APPCTL_EV_INIT && n == 0)
			at = appctl_init_event_release(ev->init, e->env);
		else if ((ev->type == APPCTL_EV_PROMOTE ||
			  ev->type == APPCTL_EV_ROLLBACK) &&
			 ev->release == n && strcmp(ev->env, e->env) == 0)
			at = ev->to;
		if (at) {
			snprintf(out, 41, "%s", at);
			*found = 1;
			return NULL;
		}
	}
	return hook_find_release(out, found, c->repo, c->cur_head, e->env, n);
}

/* ---- protected environment branches ---- */

/*
 * The latest release of the env was made by an event already in the log
 * before this push: it must move the branch from exactly `old` and hold,
 * judged now.
 */
static appctl_error *check_logged_release(hook_ctx *c, hook_update *u,
	const char *env, const appctl_env_state *e)
{
	release_lookup l;
	appctl_event *ev = NULL;
	appctl_error *err = NULL;
	char *problem = NULL;

	memset(&l, 0, sizeof(l));
	if (strcmp(e->previous, u->old_id) != 0)
		return refuse(u, "'%s' is a protected environment: the log's "
			"release %lld of it moves it from %.12s, not from %.12s",
			env, (long long)e->release, e->previous, u->old_id);
	l.event_id = e->event;
	err = appctl_log_walk(c->repo, c->cur_head, lookup_visit, &l);
	if (!err && !l.found)
		err = appctl_error_new(APPCTL_ESYSTEM, "event %s, which made "
			"release %lld of '%s', is not in the log", e->event,
			(long long)e->release, env);
	if (!err)
		err = appctl_logged_parse(&ev, &l.event);
	if (!err && ev->type != APPCTL_EV_PROMOTE && ev->type != APPCTL_EV_ROLLBACK)
		err = refuse(u, "'%s' is a protected environment: no promote or "
			"rollback event of the log moves it to %.12s", env, u->new_id);
	if (err || u->reason)
		goto cleanup;
	err = release_problem(&problem, c, ev, 0, ev->log_commit);
	if (!err && problem)
		err = refuse(u, "'%s' is a protected environment, and event %.12s "
			"(%s, release %lld) does not back this update: %s", env,
			ev->id, appctl_event_type_name(ev->type),
			(long long)ev->release, problem);
cleanup:
	if (err && err != appctl_error_nomem() && err->code != APPCTL_EDENIED)
		err = cannot_check(c, u, err);
	free(problem);
	appctl_event_free(ev);
	appctl_logged_dispose(&l.event);
	return err;
}

static appctl_error *check_branch(hook_ctx *c, hook_update *u)
{
	const char *env = u->ref + strlen(HEADS_PREFIX);
	const appctl_env_state *e;
	appctl_error *err;
	int first = 0;
	size_t i;

	if (!c->state)
		return NULL;
	e = appctl_log_state_env(c->state, env);
	if (!e)
		return NULL;
	if ((err = is_first_env(&first, c, env)))
		return cannot_check(c, u, err);
	if (first)
		return NULL;
	if (!*u->new_id)
		return refuse(u, "'%s' is a protected environment: its branch "
			"cannot be deleted", env);
	if (!*u->old_id && strcmp(e->commit, u->new_id) != 0)
		return refuse(u, "'%s' is a protected environment: its branch "
			"may only be created where the log%s has it: %.12s (release "
			"%lld), not %.12s", env, c->log_refused ? " (whose update in "
			"this push was refused)" : "", e->commit,
			(long long)e->release, u->new_id);
	if (strcmp(e->commit, u->new_id) != 0)
		return refuse(u, "'%s' is a protected environment: it moves only "
			"by a promote or rollback event in %s, and the log%s has it "
			"at %.12s (release %lld), not at %.12s", env, APPCTL_LOG_REF,
			c->log_refused ? " (whose update in this push was refused)" : "",
			e->commit, (long long)e->release, u->new_id);
	/* Where the log has it: creating it there restores what was released. */
	if (!*u->old_id)
		return NULL;
	/*
	 * Released by this push: follow the env's releases it appends back
	 * from the latest (the state chains them) to the one that starts
	 * from the branch's old commit. Each was judged with the log.
	 */
	for (i = c->event_count; i > 0; i--) {
		const appctl_event *ev = c->events[i - 1].ev;

		if ((ev->type != APPCTL_EV_PROMOTE && ev->type != APPCTL_EV_ROLLBACK) ||
		    strcmp(ev->env, env) != 0)
			continue;
		if (strcmp(ev->from, u->old_id) == 0)
			return NULL;
	}
	for (i = 0; i < c->event_count; i++)
		if (strcmp(c->events[i].ev->id, e->event) == 0)
			return refuse(u, "'%s' is a protected environment: the "
				"releases of it this push records start from another "
				"commit than %.12s", env, u->old_id);
	return check_logged_release(c, u, env, e);
}

/* ---- release tags ---- */

/* Splits "<env>/<N>" (N without leading zeros); 0 when it is not that. */
static int parse_release_tag(char *env, size_t env_size, int64_t *n,
	const char *rest)
{
	const char *slash = strrchr(rest, '/'), *p;
	int64_t v = 0;

	if (!slash || slash == rest || (size_t)(slash - rest) >= env_size ||
	    !slash[1] || (slash[1] == '0' && slash[2]))
		return 0;
	for (p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (*p - '0');
	}
	memcpy(env, rest, (size_t)(slash - rest));
	env[slash - rest] = '\0';
	*n = v;
	return 1;
}

static appctl_error *check_tag(hook_ctx *c, hook_update *u)
{
	const char *rest = u->ref + strlen(RELEASE_PREFIX);
	const appctl_env_state *e;
	char env[256], commit[41], want[41];
	appctl_error *err;
	int64_t n = 0;
	int found = 0;

	if (!c->state)
		return NULL;
	if (*u->old_id)
		return refuse(u, "release tags are immutable: %s it is not "
			"allowed", *u->new_id ? "moving" : "deleting");
	if (!*u->new_id)
		return NULL;
	if (!parse_release_tag(env, sizeof(env), &n, rest))
		return refuse(u, "not a release tag: release tags are "
			"release/<env>/<N>, created by appctl");
	e = appctl_log_state_env(c->state, env);
	if (!e)
		return refuse(u, "'%s' is not an environment of the log", env);
	if (n > e->release)
		return refuse(u, "the log records no release %lld of '%s' (its "
			"latest is %lld)", (long long)n, env, (long long)e->release);
	if ((err = appctl_object_commit(commit, &found, c->repo, u->new_id)))
		return cannot_check(c, u, err);
	if (!found)
		return refuse(u, "%.12s is not a commit", u->new_id);
	if ((err = release_commit(want, &found, c, e, n)))
		return cannot_check(c, u, err);
	if (!found)
		return refuse(u, "the log records no release %lld of '%s'",
			(long long)n, env);
	if (strcmp(want, commit) != 0)
		return refuse(u, "release %lld of '%s' is %.12s in the log, not "
			"%.12s", (long long)n, env, want, commit);
	return NULL;
}

/* ---- the whole push ---- */

/* The refs whose updates the log decides on. */
static int needs_log(const char *ref)
{
	return strcmp(ref, APPCTL_LOG_REF) == 0 ||
		strncmp(ref, HEADS_PREFIX, strlen(HEADS_PREFIX)) == 0 ||
		strncmp(ref, RELEASE_PREFIX, strlen(RELEASE_PREFIX)) == 0;
}

appctl_error *hook_check(appctl_repo *repo, const char *log_head,
	hook_update *updates, size_t count, int advisory)
{
	appctl_log_entry head;
	appctl_error *err = NULL;
	hook_ctx c;
	size_t i;

	memset(&c, 0, sizeof(c));
	memset(&head, 0, sizeof(head));
	c.repo = repo;
	c.advisory = advisory;
	/*
	 * A push that moves the log is judged on the log it claims to move
	 * from: should another push have moved it meanwhile, receive-pack's
	 * compare-and-swap refuses this one anyway.
	 */
	for (i = 0; i < count; i++)
		if (strcmp(updates[i].ref, APPCTL_LOG_REF) == 0)
			log_head = updates[i].old_id;
	snprintf(c.cur_head, sizeof(c.cur_head), "%s", log_head ? log_head : "");
	if (*c.cur_head) {
		err = appctl_log_entry_read(&head, repo, c.cur_head);
		if (err) {
			char *text = appctl_error_format(err);

			/*
			 * Nothing the log decides can be judged against a log that
			 * cannot be read; other refs are none of its business.
			 */
			appctl_error_free(err);
			err = NULL;
			for (i = 0; i < count && !err; i++)
				if (needs_log(updates[i].ref))
					err = refuse(&updates[i], "cannot be checked: the "
						"event log at %.12s cannot be read: %s",
						c.cur_head, text ? text : "?");
			free(text);
			goto cleanup;
		}
		c.cur_state = head.state;
		head.state = NULL;
	}
	c.state = c.cur_state;
	/* The log first: what it appends is what backs the other updates. */
	for (i = 0; i < count && !err; i++)
		if (strcmp(updates[i].ref, APPCTL_LOG_REF) == 0)
			err = check_log(&c, &updates[i]);
	for (i = 0; i < count && !err; i++) {
		hook_update *u = &updates[i];

		if (strncmp(u->ref, HEADS_PREFIX, strlen(HEADS_PREFIX)) == 0)
			err = check_branch(&c, u);
		else if (strncmp(u->ref, RELEASE_PREFIX, strlen(RELEASE_PREFIX)) == 0)
			err = check_tag(&c, u);
	}
cleanup:
	for (i = 0; i < LISTING_CACHE; i++)
		appctl_app_listing_free(c.listings[i]);
	drop_new_events(&c);
	appctl_log_state_free(c.cur_state);
	appctl_log_entry_dispose(&head);
	return err;
}
