/* cmd_audit.c: `appctl audit [--verify]`: the event log, oldest first, and the proof that it is intact. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "appctl/json.h"
#include "appctl/log.h"
#include "appctl/strbuf.h"
#include "release.h"

/* Below this many events a progress line would only flicker. */
#define AUDIT_PROGRESS_MIN 1000
#define AUDIT_LISTING_CACHE 8

/* The release commits of one environment, by release number, as the log made them. */
typedef struct env_releases {
	char *env;
	char (*commits)[41];
	char (*events)[41];
	size_t count;
	size_t cap;
} env_releases;

typedef struct audit_ctx {
	appctl_cli *cli;
	appctl_logged *events;     /* oldest first once reversed */
	size_t count;
	size_t cap;
	size_t *map;               /* open addressing: event index + 1, 0 empty */
	size_t map_cap;
	appctl_app_listing *listings[AUDIT_LISTING_CACHE];
	size_t next_listing;
	env_releases *envs;
	size_t env_count;
	char **protected_envs;     /* every environment but the first */
	size_t protected_count;
	int *reviewed;             /* per event: -1 not break-glass, else 0/1 */
	int progress;
	/* The first problem found. */
	char *problem;
	size_t bad;
	int bad_is_event;
} audit_ctx;

/* ---- gathering ---- */

static appctl_error *collect(const appctl_event *ev, void *arg, int *stop)
{
	audit_ctx *c = arg;

	(void)stop;
	if (c->count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		appctl_logged *grown = realloc(c->events, cap * sizeof(*grown));

		if (!grown)
			return appctl_error_nomem();
		c->events = grown;
		c->cap = cap;
	}
	return appctl_logged_copy(&c->events[c->count++], ev);
}

static size_t id_hash(const char *id)
{
	size_t h = 0;
	int i;

	for (i = 0; i < 16; i++)
		h = h * 16 + (size_t)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
	return h;
}

/* Indexes the events by id, so a promotion finds the approvals it names in O(1). */
static appctl_error *build_map(audit_ctx *c)
{
	size_t i, cap = 16;

	while (cap < c->count * 2)
		cap *= 2;
	c->map = calloc(cap, sizeof(*c->map));
	if (!c->map)
		return appctl_error_nomem();
	c->map_cap = cap;
	for (i = 0; i < c->count; i++) {
		size_t slot = id_hash(c->events[i].id) & (cap - 1);

		while (c->map[slot])
			slot = (slot + 1) & (cap - 1);
		c->map[slot] = i + 1;
	}
	return NULL;
}

/* The index of the event with `id` older than `before`, or (size_t)-1. */
static size_t find_event(const audit_ctx *c, const char *id, size_t before)
{
	size_t slot;

	if (!appctl_event_id_is_valid(id))
		return (size_t)-1;
	for (slot = id_hash(id) & (c->map_cap - 1); c->map[slot];
	     slot = (slot + 1) & (c->map_cap - 1)) {
		size_t i = c->map[slot] - 1;

		if (i < before && strcmp(c->events[i].id, id) == 0)
			return i;
	}
	return (size_t)-1;
}

static void audit_dispose(audit_ctx *c)
{
	size_t i;

	for (i = 0; i < c->count; i++)
		appctl_logged_dispose(&c->events[i]);
	free(c->events);
	free(c->map);
	for (i = 0; i < AUDIT_LISTING_CACHE; i++)
		appctl_app_listing_free(c->listings[i]);
	for (i = 0; i < c->env_count; i++) {
		free(c->envs[i].env);
		free(c->envs[i].commits);
		free(c->envs[i].events);
	}
	free(c->envs);
	for (i = 0; i < c->protected_count; i++)
		free(c->protected_envs[i]);
	free(c->protected_envs);
	free(c->reviewed);
	free(c->problem);
}

/* ---- verification ---- */

/* Records the first problem (printf-style); later ones are ignored. */
static appctl_error *problem_at(audit_ctx *c, size_t index, int is_event,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static appctl_error *problem_at(audit_ctx *c, size_t index, int is_event,
	const char *fmt, ...)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	va_list ap;

	if (c->problem)
		return NULL;
	va_start(ap, fmt);
	appctl_strbuf_vprintf(&b, fmt, ap);
	va_end(ap);
	c->problem = appctl_strbuf_detach(&b);
	if (!c->problem)
		return appctl_error_nomem();
	c->bad = index;
	c->bad_is_event = is_event;
	return NULL;
}

/*
 * The policy and allowed_signers of a commit (an environment's commit at
 * some point), from a small cache: approvals cluster on few bases.
 */
static appctl_error *listing_at(const appctl_app_listing **out, audit_ctx *c,
	const char *commit)
{
	appctl_app_listing *l = NULL;
	appctl_error *err;
	size_t i;

	for (i = 0; i < AUDIT_LISTING_CACHE; i++)
		if (c->listings[i] && strcmp(c->listings[i]->commit, commit) == 0) {
			*out = c->listings[i];
			return NULL;
		}
	err = appctl_repo_list_apps(&l, c->cli->repo, commit);
	if (err)
		return err;
	i = c->next_listing;
	appctl_app_listing_free(c->listings[i]);
	c->listings[i] = l;
	c->next_listing = (i + 1) % AUDIT_LISTING_CACHE;
	*out = l;
	return NULL;
}

/*
 * An event's signature against the allowed_signers in force at the time:
 * when the event claims to be verified, or `required`, it must be there
 * and verify, to the principal the event names.
 */
static appctl_error *check_signature(audit_ctx *c, size_t i,
	const appctl_event *ev, const char *signers_text, int required)
{
	appctl_error *err;
	char *principal = NULL, *why = NULL;

	if (!ev->verified && !required)
		return NULL;
	err = appctl_release_verify_event(&principal, &why, ev, signers_text);
	if (err)
		goto cleanup;
	if (!principal)
		err = problem_at(c, i, 1, "its signature does not verify: %s",
			why ? why : "unknown reason");
	else if (strcmp(principal, ev->principal) != 0)
		err = problem_at(c, i, 1, "it names %s but is signed by %s",
			ev->principal, principal);
cleanup:
	free(principal);
	free(why);
	return err;
}

static appctl_error *check_approve(audit_ctx *c, size_t i,
	const appctl_event *ev)
{
	const appctl_app_listing *l;
	appctl_error *err = listing_at(&l, c, ev->base);

	if (err) {
		char *text = appctl_error_format(err);

		appctl_error_free(err);
		err = problem_at(c, i, 1, "cannot read the policy at its base "
			"%.12s: %s", ev->base, text ? text : "?");
		free(text);
		return err;
	}
	return check_signature(c, i, ev, l->signers_text,
		l->policy->require_signature);
}

/* Revocations of approval `a` (at index `ia`) recorded before event `before`. */
static appctl_error *is_revoked(int *revoked, audit_ctx *c, size_t ia,
	const appctl_event *a, size_t before)
{
	appctl_error *err;
	size_t k;

	*revoked = 0;
	for (k = ia + 1; k < before && !*revoked; k++) {
		appctl_event *r = NULL;

		if (c->events[k].type != APPCTL_EV_REVOKE)
			continue;
		if ((err = appctl_logged_parse(&r, &c->events[k])))
			return err;
		*revoked = strcmp(r->env, a->env) == 0 &&
			strcmp(r->commit, a->commit) == 0 &&
			strcmp(r->principal, a->principal) == 0;
		appctl_event_free(r);
	}
	return NULL;
}

/* Parses the approve events `ids` names (each older than `before`). */
static appctl_error *load_approvals(appctl_event ***out, int **revoked,
	size_t *n, audit_ctx *c, const char *const *ids, size_t count,
	size_t before, size_t owner, int *missing)
{
	appctl_error *err = NULL;
	size_t k;

	*missing = 0;
	*n = 0;
	*out = calloc(count + 1, sizeof(**out));
	*revoked = calloc(count + 1, sizeof(**revoked));
	if (!*out || !*revoked)
		return appctl_error_nomem();
	for (k = 0; k < count; k++) {
		size_t ia = find_event(c, ids[k], before);

		if (ia == (size_t)-1 || c->events[ia].type != APPCTL_EV_APPROVE) {
			*missing = 1;
			return problem_at(c, owner, 1, "it relies on approval %s, "
				"which is not an earlier approve event of the log",
				ids[k]);
		}
		if ((err = appctl_logged_parse(&(*out)[*n], &c->events[ia])))
			return err;
		(*n)++;
		if ((err = is_revoked(&(*revoked)[*n - 1], c, ia, (*out)[*n - 1],
				before)))
			return err;
	}
	return NULL;
}

static void free_events(appctl_event **events, size_t n)
{
	size_t k;

	for (k = 0; events && k < n; k++)
		appctl_event_free(events[k]);
	free(events);
}

/*
 * A promote or rollback: its own signature (when it claims one), then its
 * recorded approvals re-judged under the policy of its base, as if it
 * were made again with exactly those approvals.
 */
static appctl_error *check_release(audit_ctx *c, size_t i,
	const appctl_event *ev)
{
	appctl_release_case rc;
	appctl_event **approvals = NULL;
	int *revoked = NULL, missing = 0;
	char *shortfall = NULL;
	appctl_error *err;
	size_t n = 0;

	memset(&rc, 0, sizeof(rc));
	err = load_approvals(&approvals, &revoked, &n, c,
		(const char *const *)ev->approvals, ev->approval_count, i, i,
		&missing);
	if (err || missing)
		goto cleanup;
	err = appctl_release_case_build(&rc, c->cli->repo, ev->env, ev->from,
		ev->to, approvals, revoked, n, ev->type == APPCTL_EV_ROLLBACK,
		appctl_release_day_of(ev->time));
	if (err) {
		char *text = appctl_error_format(err);

		appctl_error_free(err);
		err = problem_at(c, i, 1, "cannot judge it again: %s",
			text ? text : "?");
		free(text);
		goto cleanup;
	}
	if ((err = check_signature(c, i, ev, rc.current->signers_text, 0)) ||
	    c->problem)
		goto cleanup;
	err = appctl_release_shortfall(&shortfall, ev, &rc);
	if (!err && shortfall)
		err = problem_at(c, i, 1, "%s", shortfall);
cleanup:
	free(shortfall);
	appctl_release_case_dispose(&rc);
	free_events(approvals, n);
	free(revoked);
	return err;
}

static env_releases *env_entry(audit_ctx *c, const char *env)
{
	env_releases *grown;
	size_t i;

	for (i = 0; i < c->env_count; i++)
		if (strcmp(c->envs[i].env, env) == 0)
			return &c->envs[i];
	grown = realloc(c->envs, (c->env_count + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	c->envs = grown;
	memset(&c->envs[c->env_count], 0, sizeof(*c->envs));
	if (!(c->envs[c->env_count].env = strdup(env)))
		return NULL;
	return &c->envs[c->env_count++];
}

/* Remembers release N of `env` (contiguity is checked by the state). */
static appctl_error *note_release(audit_ctx *c, const char *env,
	const char *commit, const char *event_id)
{
	env_releases *e = env_entry(c, env);

	if (!e)
		return appctl_error_nomem();
	if (e->count == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		char (*commits)[41] = realloc(e->commits, cap * sizeof(*commits));
		char (*events)[41];

		if (!commits)
			return appctl_error_nomem();
		e->commits = commits;
		events = realloc(e->events, cap * sizeof(*events));
		if (!events)
			return appctl_error_nomem();
		e->events = events;
		e->cap = cap;
	}
	snprintf(e->commits[e->count], 41, "%s", commit);
	snprintf(e->events[e->count], 41, "%s", event_id);
	e->count++;
	return NULL;
}

static appctl_error *note_init(audit_ctx *c, const appctl_event *ev)
{
	const appctl_init_event *init = ev->init;
	appctl_error *err;
	size_t k;

	c->protected_envs = calloc(init->environment_count + 1,
		sizeof(*c->protected_envs));
	if (!c->protected_envs)
		return appctl_error_nomem();
	for (k = 0; k < init->environment_count; k++) {
		if ((err = note_release(c, init->environments[k],
				init->releases[k], ev->id)))
			return err;
		/* The first environment moves with every commit; the rest only by release. */
		if (k && !(c->protected_envs[c->protected_count++] =
				strdup(init->environments[k])))
			return appctl_error_nomem();
	}
	return NULL;
}

/* state.json of the event's log commit must equal the state derived from the events. */
static appctl_error *check_state(audit_ctx *c, size_t i,
	const appctl_log_state *derived)
{
	appctl_log_state *stored = NULL;
	char *text = NULL, *want = NULL, *have = NULL, file[64];
	size_t len = 0;
	appctl_error *err;

	snprintf(file, sizeof(file), "%s:state.json", c->events[i].log_commit);
	err = appctl_repo_read_path(&text, &len, c->cli->repo,
		c->events[i].log_commit, "state.json");
	if (!err && !text)
		err = problem_at(c, i, 1, "its log commit has no state.json");
	if (err || !text)
		goto cleanup;
	err = appctl_log_state_parse(&stored, file, text, len);
	if (err) {
		char *msg = appctl_error_format(err);

		appctl_error_free(err);
		err = problem_at(c, i, 1, "%s", msg ? msg : "bad state.json");
		free(msg);
		goto cleanup;
	}
	err = appctl_log_state_format(&want, derived);
	if (!err)
		err = appctl_log_state_format(&have, stored);
	if (!err && strcmp(want, have) != 0)
		err = problem_at(c, i, 1, "its state.json differs from the state "
			"recomputed from the events (an event was altered, added "
			"or removed before it)");
cleanup:
	free(text);
	free(want);
	free(have);
	appctl_log_state_free(stored);
	return err;
}

/* One event, oldest first: form, place in the chain, state, signatures, approvals. */
static appctl_error *verify_event(audit_ctx *c, size_t i,
	appctl_log_state **state)
{
	appctl_log_state *next = NULL;
	appctl_event *ev = NULL;
	appctl_error *err;

	err = appctl_logged_parse(&ev, &c->events[i]);
	if (err) {
		char *msg = appctl_error_format(err);

		appctl_error_free(err);
		err = problem_at(c, i, 1, "malformed: %s", msg ? msg : "?");
		free(msg);
		return err;
	}
	if ((i == 0) != (ev->type == APPCTL_EV_INIT)) {
		err = problem_at(c, i, 1, "%s", i == 0 ? "the log does not "
			"start with an init event" : "a second init event");
		goto cleanup;
	}
	err = appctl_log_state_next(&next, *state, ev, ev->id);
	if (err) {
		char *msg = appctl_error_format(err);

		appctl_error_free(err);
		err = problem_at(c, i, 1, "it does not continue the chain "
			"(release numbers must be contiguous per environment, "
			"from the environment's commit): %s", msg ? msg : "?");
		free(msg);
		goto cleanup;
	}
	if ((err = check_state(c, i, next)) || c->problem)
		goto cleanup;
	switch (ev->type) {
	case APPCTL_EV_INIT:
		err = note_init(c, ev);
		break;
	case APPCTL_EV_APPROVE:
		err = check_approve(c, i, ev);
		break;
	case APPCTL_EV_REVOKE: {
		const appctl_env_state *e = appctl_log_state_env(*state, ev->env);
		const appctl_app_listing *l;

		/* Signed by the approver, judged by the env's signers at the time. */
		if (!e) {
			err = problem_at(c, i, 1, "it names an unknown environment");
			break;
		}
		if (!(err = listing_at(&l, c, e->commit)))
			err = check_signature(c, i, ev, l->signers_text, 0);
		break;
	}
	case APPCTL_EV_PROMOTE:
	case APPCTL_EV_ROLLBACK:
		err = check_release(c, i, ev);
		if (!err)
			err = note_release(c, ev->env, ev->to, ev->id);
		break;
	}
cleanup:
	if (!err && !c->problem) {
		appctl_log_state_free(*state);
		*state = next;
		next = NULL;
	}
	appctl_log_state_free(next);
	appctl_event_free(ev);
	return err;
}

/* Every release tag and protected branch must be where the log put it. */
static appctl_error *verify_refs(audit_ctx *c, const appctl_log_state *state)
{
	appctl_error *err;
	char name[300], at[41];
	size_t i, r;
	int found;

	for (i = 0; i < c->env_count; i++) {
		const env_releases *e = &c->envs[i];

		for (r = 0; r <= e->count; r++) {
			snprintf(name, sizeof(name), "refs/tags/release/%s/%zu",
				e->env, r);
			if ((err = appctl_ref_read(at, &found, c->cli->repo, name)))
				return err;
			if (r == e->count) {
				if (found)
					return problem_at(c, 0, 0, "'%s' exists, but the "
						"log records no release %zu of '%s'", name,
						r, e->env);
				continue;
			}
			if (!found)
				return problem_at(c, 0, 0, "'%s' is missing; event %s "
					"made that release at %.12s", name,
					e->events[r], e->commits[r]);
			if (strcmp(at, e->commits[r]) != 0)
				return problem_at(c, 0, 0, "'%s' points at %.12s, but "
					"event %s released %.12s", name, at,
					e->events[r], e->commits[r]);
		}
	}
	for (i = 0; i < c->protected_count; i++) {
		const appctl_env_state *e = appctl_log_state_env(state,
			c->protected_envs[i]);

		if (!e)
			continue;
		snprintf(name, sizeof(name), "refs/heads/%s", e->env);
		if ((err = appctl_ref_read(at, &found, c->cli->repo, name)))
			return err;
		if (!found || strcmp(at, e->commit) != 0)
			return problem_at(c, 0, 0, "'%s' is at %.12s, but the log's "
				"release %lld of '%s' (event %s) is %.12s: the branch "
				"was moved outside appctl", name, found ? at : "(none)",
				(long long)e->release, e->env, e->event, e->commit);
	}
	return NULL;
}

static void show_progress(const audit_ctx *c, size_t done)
{
	if (!c->progress)
		return;
	if (done == c->count)
		fputs("\r\033[K", stderr);
	else if (done % 256 == 0)
		fprintf(stderr, "\raudit: verified %zu of %zu events", done,
			c->count);
}

static appctl_error *verify_all(audit_ctx *c)
{
	appctl_log_state *state = NULL;
	appctl_error *err = NULL;
	size_t i;

	for (i = 0; i < c->count && !err && !c->problem; i++) {
		show_progress(c, i);
		err = verify_event(c, i, &state);
	}
	show_progress(c, c->count);
	if (!err && !c->problem && c->count == 0)
		err = problem_at(c, 0, 0, "the log is empty");
	if (!err && !c->problem)
		err = verify_refs(c, state);
	appctl_log_state_free(state);
	return err;
}

/* ---- break-glass reviews ---- */

/*
 * Whether break-glass release `i` has been approved the normal way since:
 * every approval of exactly its commit on its base anywhere in the log,
 * revocations applied, judged by the base's policy.
 */
static appctl_error *review_break_glass(audit_ctx *c, size_t i,
	const appctl_event *ev)
{
	appctl_event **approvals = NULL;
	int *revoked = NULL;
	appctl_release_case rc;
	appctl_error *err = NULL;
	size_t k, n = 0;

	memset(&rc, 0, sizeof(rc));
	approvals = calloc(c->count + 1, sizeof(*approvals));
	revoked = calloc(c->count + 1, sizeof(*revoked));
	if (!approvals || !revoked) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	for (k = 0; k < c->count; k++) {
		const appctl_logged *l = &c->events[k];
		appctl_event *a = NULL;

		/* Cheap test first: both ids must appear in the bytes. */
		if (l->type != APPCTL_EV_APPROVE || !strstr(l->json, ev->to) ||
		    !strstr(l->json, ev->from))
			continue;
		if ((err = appctl_logged_parse(&a, l)))
			goto cleanup;
		if (strcmp(a->env, ev->env) != 0 || strcmp(a->commit, ev->to) != 0 ||
		    strcmp(a->base, ev->from) != 0) {
			appctl_event_free(a);
			continue;
		}
		approvals[n] = a;
		if ((err = is_revoked(&revoked[n], c, k, a, c->count)))
			goto cleanup;
		n++;
	}
	err = appctl_release_case_build(&rc, c->cli->repo, ev->env, ev->from,
		ev->to, approvals, revoked, n, 0, appctl_release_day_of(ev->time));
	if (!err)
		c->reviewed[i] = rc.verdict.allowed;
cleanup:
	appctl_release_case_dispose(&rc);
	free_events(approvals, n);
	free(revoked);
	return err;
}

/* ---- output ---- */

static void print_event_text(const appctl_cli *cli, const audit_ctx *c,
	size_t i, const appctl_event *ev)
{
	printf("%s  %-8s %-10s %s%s  ", ev->time, appctl_event_type_name(ev->type),
		ev->env ? ev->env : "-", ev->principal,
		ev->verified ? "" : " (unverified)");
	switch (ev->type) {
	case APPCTL_EV_INIT:
		printf("environments at %.7s", ev->init->commit);
		break;
	case APPCTL_EV_APPROVE:
		printf("%.7s on base %.7s", ev->commit, ev->base);
		break;
	case APPCTL_EV_REVOKE:
		printf("withdraws approvals of %.7s", ev->commit);
		break;
	case APPCTL_EV_PROMOTE:
	case APPCTL_EV_ROLLBACK:
		printf("release %lld: %.7s -> %.7s", (long long)ev->release,
			ev->from, ev->to);
		if (ev->type == APPCTL_EV_ROLLBACK)
			printf(" (back to release %lld)", (long long)ev->rollback_to);
		else
			printf(" from %s", ev->source);
		printf(", %zu approval%s", ev->approval_count,
			ev->approval_count == 1 ? "" : "s");
		if (ev->break_glass)
			printf(", %sBREAK-GLASS %s%s", appctl_cli_color(cli,
				c->reviewed[i] ? "" : APPCTL_RED),
				c->reviewed[i] == 1 ? "(reviewed)" : "(UNREVIEWED)",
				appctl_cli_color(cli, APPCTL_RESET));
		break;
	}
	if (ev->comment)
		printf(": %s", ev->comment);
	printf("  [%.10s]\n", ev->id);
}

/* The event's own JSON fields plus where it lies and what audit knows of it. */
static appctl_error *print_event_json(const audit_ctx *c, size_t i, int first)
{
	const appctl_logged *l = &c->events[i];
	cJSON *doc = NULL;
	char *text, file[64];
	appctl_error *err;

	snprintf(file, sizeof(file), "%s:event.json", l->log_commit);
	err = appctl_json_parse(&doc, file, l->json, l->json_len);
	if (err)
		return err;
	cJSON_AddStringToObject(doc, "id", l->id);
	cJSON_AddStringToObject(doc, "log_commit", l->log_commit);
	cJSON_AddBoolToObject(doc, "signed", l->signature != NULL);
	if (!appctl_json_get(doc, "env"))
		cJSON_AddNullToObject(doc, "env");
	if (c->reviewed[i] >= 0)
		cJSON_AddBoolToObject(doc, "reviewed", c->reviewed[i]);
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (!text)
		return appctl_error_nomem();
	printf("%s%s", first ? "" : ",", text);
	cJSON_free(text);
	return NULL;
}

/* Events at or after --since (ISO date or date-time). */
static int shown(const appctl_logged *l, const appctl_event *ev, int64_t since)
{
	int64_t t;
	int date_only;

	(void)l;
	if (since < 0)
		return 1;
	return appctl_release_parse_time(&t, &date_only, ev->time) == 0 &&
		t >= since;
}

static appctl_error *list_events(const appctl_cli *cli, audit_ctx *c,
	int json, int64_t since)
{
	appctl_error *err = NULL;
	size_t i;
	int first = 1;

	if (json)
		fputs("{\"events\":[", stdout);
	for (i = 0; i < c->count && !err; i++) {
		appctl_event *ev = NULL;

		if ((err = appctl_logged_parse(&ev, &c->events[i])))
			break;
		if (ev->break_glass && c->reviewed[i] < 0)
			err = review_break_glass(c, i, ev);
		if (!err && shown(&c->events[i], ev, since)) {
			if (json)
				err = print_event_json(c, i, first);
			else
				print_event_text(cli, c, i, ev);
			first = 0;
		}
		appctl_event_free(ev);
	}
	if (json && !err)
		fputs("]", stdout);
	return err;
}

static void print_verdict_json(const audit_ctx *c)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;

	appctl_strbuf_printf(&b, ",\"verified\":%s", c->problem ? "false" : "true");
	if (c->problem) {
		appctl_strbuf_puts(&b, ",\"problem\":");
		appctl_json_quote(&b, c->problem);
		if (c->bad_is_event)
			appctl_strbuf_printf(&b, ",\"bad_event\":\"%s\"",
				c->events[c->bad].id);
	}
	if (b.ptr)
		fputs(b.ptr, stdout);
	appctl_strbuf_dispose(&b);
}

/* The error that names the first bad event (exit 1). */
static appctl_error *verification_failed(const audit_ctx *c)
{
	appctl_event *ev = NULL;
	appctl_error *err;

	if (!c->bad_is_event)
		return appctl_error_new(APPCTL_EDENIED, "audit: verification "
			"failed: %s", c->problem);
	if (appctl_logged_parse(&ev, &c->events[c->bad]) == NULL) {
		err = appctl_error_new(APPCTL_EDENIED, "audit: verification "
			"failed at event %s (%s %s, log commit %.12s, #%zu): %s",
			c->events[c->bad].id, appctl_event_type_name(ev->type),
			ev->env ? ev->env : "-", c->events[c->bad].log_commit,
			c->bad + 1, c->problem);
		appctl_event_free(ev);
		return err;
	}
	return appctl_error_new(APPCTL_EDENIED, "audit: verification failed at "
		"event %s (log commit %.12s, #%zu): %s", c->events[c->bad].id,
		c->events[c->bad].log_commit, c->bad + 1, c->problem);
}

appctl_error *cmd_audit(appctl_cli *cli, int argc, char **argv)
{
	const char *since_text = NULL;
	int npos = 0, help = 0, json = 0, verify = 0;
	const appctl_opt opts[] = {
		{ "verify", 0, APPCTL_OPT_FLAG, &verify, NULL },
		{ "since", 0, APPCTL_OPT_STRING, &since_text, "DATE" },
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ 0 }
	};
	audit_ctx c;
	appctl_error *err;
	int64_t since = -1;
	size_t i;
	int date_only;

	memset(&c, 0, sizeof(c));
	c.cli = cli;
	err = appctl_cli_parse(argc, argv, opts, NULL, 0, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("audit");
		return NULL;
	}
	json |= cli->json;
	if (since_text &&
	    appctl_release_parse_time(&since, &date_only, since_text) != 0)
		return appctl_error_new(APPCTL_EUSAGE, "--since: '%s' is not an "
			"ISO date or date-time", since_text);
	err = appctl_log_walk(cli->repo, NULL, collect, &c);
	if (err) {
		/* A malformed event stops the walk; for --verify that is the finding. */
		if (verify && err->code == APPCTL_EINPUT)
			err = appctl_error_wrap(err, "audit: verification failed");
		if (verify && err->code == APPCTL_EINPUT)
			err->code = APPCTL_EDENIED;
		goto cleanup;
	}
	/* The walk runs newest first; the audit reads as history does: oldest first. */
	for (i = 0; i < c.count / 2; i++) {
		appctl_logged t = c.events[i];

		c.events[i] = c.events[c.count - 1 - i];
		c.events[c.count - 1 - i] = t;
	}
	c.reviewed = malloc((c.count + 1) * sizeof(*c.reviewed));
	if (!c.reviewed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	for (i = 0; i < c.count; i++)
		c.reviewed[i] = -1;
	if ((err = build_map(&c)))
		goto cleanup;
	if (verify) {
		c.progress = isatty(STDERR_FILENO) && c.count >= AUDIT_PROGRESS_MIN;
		if ((err = verify_all(&c)))
			goto cleanup;
	}
	if (json) {
		err = list_events(cli, &c, 1, since);
		if (!err && verify)
			print_verdict_json(&c);
		if (!err)
			fputs("}\n", stdout);
	} else if (!verify) {
		err = list_events(cli, &c, 0, since);
	} else if (!c.problem) {
		printf("audit: %zu events verified: chain, states, signatures, "
			"approvals, release tags and environment branches agree\n",
			c.count);
	}
	if (!err && c.problem)
		err = verification_failed(&c);
cleanup:
	audit_dispose(&c);
	return err;
}
