/* cmd_audit.c: `appctl audit [--verify]`: the event log, oldest first, and the proof that it is intact. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "appctl/chain.h"
#include "appctl/clock.h"
#include "appctl/json.h"
#include "appctl/judge.h"
#include "appctl/progress.h"
#include "appctl/verify.h"
#include "appctl/log.h"
#include "appctl/rules.h"
#include "appctl/strbuf.h"
#include "cli_release.h"
#include "progress.h"

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
	env_releases *envs;
	size_t env_count;
	char **protected_envs;     /* every environment but the first */
	size_t protected_count;
	int *reviewed;             /* per event: -1 not break-glass, else 0/1 */
	cli_progress progress;     /* events verified, on a terminal */
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

/* Remembers what each verified event released, for the check of the refs. */
static appctl_error *note_event(audit_ctx *c, size_t i)
{
	appctl_event *ev = NULL;
	appctl_error *err = appctl_logged_parse(&ev, &c->events[i]);

	if (err)
		return err;
	if (ev->type == APPCTL_EV_INIT)
		err = note_init(c, ev);
	else if (ev->type == APPCTL_EV_PROMOTE || ev->type == APPCTL_EV_ROLLBACK)
		err = note_release(c, ev->env, ev->to, ev->id);
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

static void show_progress(size_t done, size_t total, void *arg)
{
	audit_ctx *c = arg;

	appctl_progress_step(&c->progress.hooks, done, total);
}

/* The index of the event with `id`, or c->count. */
static size_t index_of(const audit_ctx *c, const char *id)
{
	size_t i = find_event(c, id, c->count);

	return i == (size_t)-1 ? c->count : i;
}

/*
 * Every event, oldest first, through the one judge as recorded events
 * (each as of its own time, by the chain of verified events before it),
 * then the refs against what the verified log released.
 */
static appctl_error *verify_all(audit_ctx *c)
{
	appctl_log_problem problem;
	appctl_judge_ctx ctx;
	appctl_chain *chain = NULL;
	appctl_error *err;
	size_t i;

	memset(&problem, 0, sizeof(problem));
	if (c->count == 0)
		return problem_at(c, 0, 0, "the log is empty");
	err = appctl_chain_open(&chain, c->cli->repo, "");
	if (err)
		return err;
	appctl_judge_ctx_init(&ctx, c->cli->repo, chain,
		APPCTL_JUDGE_RECORDED, appctl_clock_now());
	err = appctl_log_verify_range(&problem, &ctx, c->events[c->count - 1]
		.log_commit, show_progress, c);
	if (!err && problem.text) {
		size_t bad = *problem.event_id ? index_of(c, problem.event_id)
			: c->count;

		if (bad < c->count)
			err = problem_at(c, bad, 1, "%s", problem.text);
		else
			err = problem_at(c, 0, 0, "log commit %s: %s",
				problem.log_commit, problem.text);
	}
	for (i = 0; !err && !c->problem && i < c->count; i++)
		err = note_event(c, i);
	if (!err && !c->problem)
		err = verify_refs(c, appctl_chain_state(chain));
	appctl_log_problem_dispose(&problem);
	appctl_chain_free(chain);
	return err;
}

/* ---- break-glass reviews ---- */

/*
 * Whether break-glass release `i` has been approved the normal way since,
 * by the one judge (appctl_break_glass_reviewed) on the log as it stands.
 */
static appctl_error *review_break_glass(audit_ctx *c, size_t i,
	const appctl_event *ev)
{
	appctl_judge_ctx ctx;
	appctl_chain *chain = NULL;
	appctl_error *err;
	int reviewed = 0;

	err = appctl_chain_open(&chain, c->cli->repo,
		c->events[c->count - 1].log_commit);
	if (err)
		return err;
	appctl_judge_ctx_init(&ctx, c->cli->repo, chain,
		APPCTL_JUDGE_PENDING, appctl_clock_now());
	err = appctl_break_glass_reviewed(&reviewed, &ctx, ev);
	if (!err)
		c->reviewed[i] = reviewed;
	appctl_chain_free(chain);
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
	return appctl_time_parse(&t, &date_only, ev->time) == 0 &&
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
	    appctl_time_parse(&since, &date_only, since_text) != 0)
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
	/* No log at all is a clone that has not synced, as for every command. */
	if (c.count == 0) {
		err = appctl_repo_not_synced(cli->repo, APPCTL_LOG_REF);
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
		cli_progress_start(&c.progress, json, "audit", "events verified");
		err = verify_all(&c);
		cli_progress_end(&c.progress);
		if (err)
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
