/* verify.c: judging the log event by event, keeping a checkpoint of what passed, and rolling forward only from verified state. */
#include "appctl/verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/log.h"
#include "appctl/remote.h"
#include "appctl/strbuf.h"

void appctl_log_problem_dispose(appctl_log_problem *p)
{
	free(p->text);
	memset(p, 0, sizeof(*p));
}

char *appctl_log_problem_describe(const appctl_log_problem *p)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;

	if (*p->event_id)
		appctl_strbuf_printf(&b, "event %s (%s%s%s, log commit %.12s): %s",
			p->event_id, p->type ? p->type : "?", *p->env ? " " : "",
			p->env, p->log_commit, p->text ? p->text : "?");
	else
		appctl_strbuf_printf(&b, "log commit %s: %s", p->log_commit,
			p->text ? p->text : "?");
	return appctl_strbuf_detach(&b);
}

static appctl_error *found_problem(appctl_log_problem *p, const char *commit,
	const appctl_event *ev, int64_t position, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static appctl_error *found_problem(appctl_log_problem *p, const char *commit,
	const appctl_event *ev, int64_t position, const char *fmt, ...)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	appctl_strbuf_vprintf(&b, fmt, ap);
	va_end(ap);
	p->text = appctl_strbuf_detach(&b);
	snprintf(p->log_commit, sizeof(p->log_commit), "%s", commit);
	if (ev) {
		snprintf(p->event_id, sizeof(p->event_id), "%s", ev->id);
		p->type = appctl_event_type_name(ev->type);
		snprintf(p->env, sizeof(p->env), "%s", ev->env ? ev->env : "");
	}
	p->position = position;
	return p->text ? NULL : appctl_error_nomem();
}

/* Turns an input error into the problem's text; other errors pass through. */
static appctl_error *input_problem(appctl_log_problem *p, appctl_error *err,
	const char *commit, const appctl_event *ev, int64_t position,
	const char *what)
{
	char *text;

	if (!err || err->code != APPCTL_EINPUT)
		return err;
	text = appctl_error_format(err);
	appctl_error_free(err);
	err = found_problem(p, commit, ev, position, "%s: %s", what,
		text ? text : "?");
	free(text);
	return err;
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

/* One log commit: its form, its event before the judge, its state. */
static appctl_error *verify_commit(appctl_log_problem *p, appctl_judge_ctx *ctx,
	const char *commit)
{
	appctl_log_entry entry;
	appctl_log_state *next = NULL;
	appctl_error *err;
	char *why = NULL;
	int64_t position = appctl_chain_length(ctx->chain) + 1;
	int differ = 0;

	err = appctl_log_entry_read(&entry, ctx->repo, commit);
	if (err) {
		err = input_problem(p, err, commit, NULL, position, "malformed");
		goto done;
	}
	if (entry.parent_count > 1) {
		err = found_problem(p, commit, entry.event, position, "a merge: the "
			"log is a single chain of events (run 'appctl sync' to "
			"re-parent events)");
		goto done;
	}
	if (entry.stray) {
		err = found_problem(p, commit, entry.event, position, "its commit "
			"holds '%s': a log commit holds only event.json, "
			"event.json.sig and state.json", entry.stray);
		goto done;
	}
	/* The chain first: a state that does not follow is the plainest finding. */
	err = appctl_log_state_next(&next, appctl_chain_state(ctx->chain),
		entry.event, entry.event->id);
	if (err && err->code == APPCTL_ECONFLICT)
		err->code = APPCTL_EINPUT;
	if (err) {
		err = input_problem(p, err, commit, entry.event, position,
			"it does not continue the chain (release numbers follow each "
			"other, from the environment's commit)");
		goto done;
	}
	err = states_differ(&differ, next, entry.state);
	if (!err && differ)
		err = found_problem(p, commit, entry.event, position, "its "
			"state.json differs from the state recomputed from the "
			"verified events before it");
	if (err || differ)
		goto done;
	err = appctl_judge_event(&why, ctx, entry.event);
	if (err) {
		err = input_problem(p, err, commit, entry.event, position,
			"it cannot be judged");
		goto done;
	}
	if (why) {
		err = found_problem(p, commit, entry.event, position, "%s", why);
		goto done;
	}
	err = appctl_chain_push(ctx->chain, entry.event);
done:
	free(why);
	appctl_log_state_free(next);
	appctl_log_entry_dispose(&entry);
	return err;
}

appctl_error *appctl_log_verify_range(appctl_log_problem *p,
	appctl_judge_ctx *ctx, const char *head, appctl_progress_fn progress,
	void *progress_arg)
{
	char (*path)[41] = NULL;
	const char *from = appctl_chain_head(ctx->chain);
	appctl_error *err;
	size_t count = 0, i;
	int reached = 0, memo = 0;

	memset(p, 0, sizeof(*p));
	if (!head || !*head || strcmp(head, from) == 0)
		return NULL;
	/* Consecutive events mostly read the same few commits: read each once. */
	if (!ctx->memo) {
		if ((err = appctl_judge_memo_begin(ctx)))
			return err;
		memo = 1;
	}
	err = appctl_first_parent_path(&path, &count, &reached, ctx->repo, head,
		*from ? from : NULL);
	if (err)
		goto done;
	if (!reached) {
		err = found_problem(p, head, NULL, 0, "not a fast-forward: it does "
			"not continue the log at %.12s, and the log is append-only",
			from);
		goto done;
	}
	for (i = count; i > 0 && !err && !p->text; i--) {
		err = verify_commit(p, ctx, path[i - 1]);
		if (progress)
			progress(count - i + 1, count, progress_arg);
	}
done:
	if (memo)
		appctl_judge_memo_end(ctx);
	free(path);
	return err;
}

appctl_error *appctl_log_checkpoint_advance(appctl_repo *repo,
	const char *parent, const char *head)
{
	char at[41];
	appctl_error *err = appctl_log_checkpoint_read(at, repo);

	if (err || strcmp(at, parent) != 0)
		return err;
	return appctl_log_checkpoint_write(repo, head);
}

appctl_error *appctl_log_verified(char head[41], appctl_log_state **state,
	appctl_repo *repo, int64_t now)
{
	appctl_log_problem problem;
	appctl_judge_ctx ctx;
	appctl_chain *chain = NULL;
	appctl_log_state *stored = NULL;
	appctl_error *err;
	char at[41];
	int reaches = 0;

	*state = NULL;
	memset(&problem, 0, sizeof(problem));
	err = appctl_log_head(head, &stored, repo);
	appctl_log_state_free(stored);
	if (err || !*head)
		return err;
	err = appctl_log_checkpoint_read(at, repo);
	if (!err && *at) {
		err = appctl_commit_reaches(&reaches, repo, head, at);
		/* A verified head whose commit is gone is not in the log either. */
		appctl_error_free(err);
		err = NULL;
	}
	if (err)
		return err;
	/*
	 * A log that lost the verified head was rewound or re-parented (by
	 * sync, by hand): what it shares with the verified head was verified,
	 * and the rest is judged from there. One that shares nothing is
	 * another log, and judging it from a root it brings itself would
	 * trust whatever that root says.
	 */
	if (*at && !reaches) {
		char common[41];
		int found = 0;

		err = appctl_merge_base(common, &found, repo, head, at);
		if (err)
			return err;
		if (!found)
			return appctl_error_new(APPCTL_EDENIED, "%s was replaced by "
				"a log with another history: it shares nothing with "
				"%.12s, the last head this clone verified; restore it "
				"(git update-ref %s %s) or, to judge the new log from "
				"its root, delete %s/appctl/verified-log", APPCTL_LOG_REF,
				at, APPCTL_LOG_REF, at, appctl_repo_gitdir(repo));
		memcpy(at, common, sizeof(common));
	}
	err = appctl_chain_open(&chain, repo, at);
	if (err)
		goto done;
	appctl_judge_ctx_init(&ctx, repo, chain,
		APPCTL_JUDGE_RECORDED, now);
	ctx.inert_ok = 1;
	err = appctl_log_verify_range(&problem, &ctx, head, NULL, NULL);
	if (!err && problem.text) {
		char *text = appctl_log_problem_describe(&problem);

		err = appctl_error_new(APPCTL_EDENIED, "%s: %s; nothing acts on "
			"the log past it (see 'appctl audit --verify')", APPCTL_LOG_REF,
			text ? text : problem.text);
		free(text);
		goto done;
	}
	if (!err && strcmp(at, head) != 0)
		err = appctl_log_checkpoint_write(repo, head);
	if (!err) {
		const appctl_log_state *s = appctl_chain_state(chain);
		char *json = NULL;

		/* A copy the caller owns, through the canonical text. */
		err = appctl_log_state_format(&json, s);
		if (!err)
			err = appctl_log_state_parse(state, "verified state", json,
				strlen(json));
		free(json);
	}
done:
	appctl_log_problem_dispose(&problem);
	appctl_chain_free(chain);
	return err;
}

appctl_error *appctl_log_settle(appctl_repo *repo, int64_t now, char **report)
{
	appctl_log_state *state = NULL;
	char head[41];
	appctl_error *err = appctl_log_verified(head, &state, repo, now);

	if (report)
		*report = NULL;
	if (!err && state)
		err = appctl_log_roll_forward(repo, state, report);
	appctl_log_state_free(state);
	return err;
}
