/* push_check.c: judging a push ref by ref: the log grows only by events that pass the judge, protected branches move only as it records, release tags never move. */
#include "appctl/push_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/chain.h"
#include "appctl/judge.h"
#include "appctl/log.h"
#include "appctl/remote.h"
#include "appctl/strbuf.h"
#include "appctl/verify.h"

#define HEADS_PREFIX "refs/heads/"
#define RELEASE_PREFIX "refs/tags/release/"

typedef struct push_ctx {
	appctl_repo *repo;
	int advisory;
	int64_t now;
	char cur_head[41];             /* the log before the push; "" none */
	appctl_chain *chain;           /* the log before the push, then after it */
	int log_refused;               /* the push moves the log, and that was refused */
	appctl_ref_update *updates;
	size_t count;
} push_ctx;

/* ---- verdicts ---- */

static appctl_error *refuse(appctl_ref_update *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records why `u` is refused; the first reason found is the one given. */
static appctl_error *refuse(appctl_ref_update *u, const char *fmt, ...)
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
static appctl_error *cannot_check(push_ctx *c, appctl_ref_update *u,
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

/* ---- the event log ---- */

/*
 * Where the first environment's branch stands once this push is done: a
 * promote out of it must take a commit it holds.
 */
static appctl_error *pushed_branch(char out[41], int *found, void *arg,
	const char *env)
{
	push_ctx *c = arg;
	char ref[320];
	size_t i;

	snprintf(ref, sizeof(ref), HEADS_PREFIX "%s", env);
	for (i = 0; i < c->count; i++)
		if (strcmp(c->updates[i].ref, ref) == 0) {
			snprintf(out, 41, "%s", c->updates[i].new_id);
			*found = *out != '\0';
			return NULL;
		}
	return appctl_ref_read(out, found, c->repo, ref);
}

static appctl_error *check_log(push_ctx *c, appctl_ref_update *u)
{
	appctl_log_problem problem;
	appctl_judge_ctx ctx;
	appctl_error *err;
	char *text;

	if (!*u->new_id)
		return refuse(u, "the event log cannot be deleted: it is append-only");
	appctl_judge_ctx_init(&ctx, c->repo, c->chain,
		APPCTL_JUDGE_RECEIVED, c->now);
	ctx.first_env_branch = pushed_branch;
	ctx.branch_arg = c;
	err = appctl_log_verify_range(&problem, &ctx, u->new_id, NULL, NULL);
	if (err) {
		err = cannot_check(c, u, err);
	} else if (problem.text) {
		text = appctl_log_problem_describe(&problem);
		err = text ? refuse(u, "%s", text) : appctl_error_nomem();
		free(text);
	}
	appctl_log_problem_dispose(&problem);
	if (!err && (u->reason || u->note)) {
		/* Nothing of a refused log counts for the other refs. */
		appctl_chain_free(c->chain);
		c->chain = NULL;
		c->log_refused = u->reason != NULL;
		err = appctl_chain_open(&c->chain, c->repo, c->cur_head);
	}
	return err;
}

/* ---- protected environment branches ---- */

/* Whether `env` is the first environment, by the policy at its commit in the log. */
static appctl_error *is_first_env(int *first, push_ctx *c,
	const appctl_env_state *e)
{
	appctl_app_listing *l = NULL;
	appctl_error *err = appctl_repo_list_apps(&l, c->repo, e->commit);

	*first = !err && l->policy->environment_count &&
		strcmp(l->policy->environments[0], e->env) == 0;
	appctl_app_listing_free(l);
	return err;
}

/* Finds a release of `env` that moves it from `from`, newest first. */
typedef struct from_search {
	const char *env;
	const char *from;
	int found;
} from_search;

static appctl_error *search_from(const appctl_event *ev, int64_t position,
	void *arg, int *stop)
{
	from_search *s = arg;

	(void)position;
	if (ev->type == APPCTL_EV_INIT) {
		*stop = 1;
	} else if ((ev->type == APPCTL_EV_PROMOTE || ev->type == APPCTL_EV_ROLLBACK)
		   && strcmp(ev->env, s->env) == 0 && strcmp(ev->from, s->from) == 0) {
		s->found = 1;
		*stop = 1;
	}
	return NULL;
}

static appctl_error *check_branch(push_ctx *c, appctl_ref_update *u)
{
	const char *env = u->ref + strlen(HEADS_PREFIX);
	const appctl_log_state *state = appctl_chain_state(c->chain);
	const appctl_env_state *e;
	from_search s;
	appctl_error *err;
	int first = 0;

	e = state ? appctl_log_state_env(state, env) : NULL;
	if (!e)
		return NULL;
	if ((err = is_first_env(&first, c, e)))
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
	if (!*u->old_id || strcmp(u->old_id, u->new_id) == 0)
		return NULL;
	/* Every release in the chain passed the judge; one must start here. */
	memset(&s, 0, sizeof(s));
	s.env = env;
	s.from = u->old_id;
	if ((err = appctl_chain_visit(c->chain, search_from, &s)))
		return cannot_check(c, u, err);
	if (!s.found)
		return refuse(u, "'%s' is a protected environment: no release of "
			"it in the log moves it from %.12s", env, u->old_id);
	return NULL;
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

static appctl_error *check_tag(push_ctx *c, appctl_ref_update *u)
{
	const char *rest = u->ref + strlen(RELEASE_PREFIX);
	const appctl_log_state *state = appctl_chain_state(c->chain);
	const appctl_env_state *e;
	char env[256], commit[41], want[41];
	appctl_error *err;
	int64_t n = 0;
	int found = 0;

	if (!state)
		return NULL;
	if (*u->old_id)
		return refuse(u, "release tags are immutable: %s it is not "
			"allowed", *u->new_id ? "moving" : "deleting");
	if (!*u->new_id)
		return NULL;
	if (!parse_release_tag(env, sizeof(env), &n, rest))
		return refuse(u, "not a release tag: release tags are "
			"release/<env>/<N>, created by appctl");
	e = appctl_log_state_env(state, env);
	if (!e)
		return refuse(u, "'%s' is not an environment of the log", env);
	if (n > e->release)
		return refuse(u, "the log records no release %lld of '%s' (its "
			"latest is %lld)", (long long)n, env, (long long)e->release);
	if ((err = appctl_object_commit(commit, &found, c->repo, u->new_id)))
		return cannot_check(c, u, err);
	if (!found)
		return refuse(u, "%.12s is not a commit", u->new_id);
	if ((err = appctl_chain_release_commit(want, &found, c->chain, env, n)))
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

appctl_error *appctl_push_check(appctl_repo *repo, const char *log_head,
	appctl_ref_update *updates, size_t count, int advisory, int64_t now)
{
	appctl_error *err = NULL;
	push_ctx c;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.repo = repo;
	c.advisory = advisory;
	c.now = now;
	c.updates = updates;
	c.count = count;
	/*
	 * A push that moves the log is judged on the log it claims to move
	 * from: should another push have moved it meanwhile, receive-pack's
	 * compare-and-swap refuses this one anyway.
	 */
	for (i = 0; i < count; i++)
		if (strcmp(updates[i].ref, APPCTL_LOG_REF) == 0)
			log_head = updates[i].old_id;
	snprintf(c.cur_head, sizeof(c.cur_head), "%s", log_head ? log_head : "");
	/* The server's log passed this hook when it arrived: it is the trusted base. */
	err = appctl_chain_open(&c.chain, repo, c.cur_head);
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
	/* The log first: what it appends is what backs the other updates. */
	for (i = 0; i < count && !err; i++)
		if (strcmp(updates[i].ref, APPCTL_LOG_REF) == 0)
			err = check_log(&c, &updates[i]);
	for (i = 0; i < count && !err; i++) {
		appctl_ref_update *u = &updates[i];

		if (strncmp(u->ref, HEADS_PREFIX, strlen(HEADS_PREFIX)) == 0)
			err = check_branch(&c, u);
		else if (strncmp(u->ref, RELEASE_PREFIX, strlen(RELEASE_PREFIX)) == 0)
			err = check_tag(&c, u);
	}
cleanup:
	appctl_chain_free(c.chain);
	return err;
}
