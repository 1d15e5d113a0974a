/* cmd_status.c: `appctl status [ENV] [--json]`: per environment, what is pending, who approved it, what is still missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/approvable.h"
#include "appctl/clock.h"
#include "appctl/json.h"
#include "appctl/log.h"
#include "appctl/notify.h"
#include "appctl/release.h"
#include "cli_release.h"

/* Machine names of the approval statuses, in appctl_approval_status order. */
static const char *const status_names[] = {
	"counted", "wrong_env", "wrong_commit", "stale", "revoked",
	"unverified", "not_approver", "self", "duplicate"
};

static const char *status_name(appctl_approval_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(status_names[0])
		? status_names[s] : "unknown";
}

/* One environment as status reports it. */
typedef struct env_report {
	const char *env;
	size_t order;                  /* position in its own policy's chain */
	char commit[41];
	int64_t release;
	const char *source;            /* NULL for the first environment */
	char source_head[41];
	int pending;                   /* the source holds something else */
	int break_glass;               /* the current release was break-glass */
	int unreviewed;                /* ... and its normal approvals are missing */
	int judged;
	appctl_case rcase;
	appctl_app_listing *listing;   /* the env's current policy */
	appctl_error *error;           /* what kept it from being judged */
	appctl_approvability can;      /* whether its policy can ever be met */
} env_report;

/* Finds the event with `id` in the verified chain. */
typedef struct event_search {
	const char *id;
	appctl_event *found;
} event_search;

static appctl_error *find_event(const appctl_event *ev, int64_t position,
	void *arg, int *stop)
{
	event_search *s = arg;

	(void)position;
	if (strcmp(ev->id, s->id) != 0)
		return NULL;
	*stop = 1;
	return appctl_event_dup(&s->found, ev);
}

/*
 * A break-glass release stays flagged until the normal approvals of its
 * move are recorded, in status as in history and audit: the walk reaches
 * back only to that release, so it costs what happened since.
 */
static appctl_error *check_review(env_report *r, appctl_judge_ctx *ctx,
	const char *release_id)
{
	event_search s = { release_id, NULL };
	appctl_error *err;
	int reviewed = 0;

	err = appctl_chain_visit(ctx->chain, find_event, &s);
	if (!err && s.found && s.found->break_glass) {
		r->break_glass = 1;
		err = appctl_break_glass_reviewed(&reviewed, ctx, s.found);
		r->unreviewed = !err && !reviewed;
	}
	appctl_event_free(s.found);
	return err;
}

static int report_cmp(const void *a, const void *b)
{
	const env_report *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->env, y->env);
}

/*
 * Judges one environment against its source's head. Problems that concern
 * only this environment (invalid definitions on the source, a hand-moved
 * branch) are kept in r->error so the others are still reported.
 */
static appctl_error *assess(env_report *r, appctl_cli *cli,
	appctl_judge_ctx *ctx)
{
	char ref[320];
	int found = 0;
	appctl_error *err;

	err = appctl_repo_list_apps(&r->listing, cli->repo, r->commit);
	if (!err) {
		size_t i;

		r->order = r->listing->policy->environment_count;
		for (i = 0; i < r->listing->policy->environment_count; i++)
			if (strcmp(r->listing->policy->environments[i], r->env) == 0)
				r->order = i;
		r->source = appctl_policy_source_env(r->listing->policy, r->env);
		/* A protected environment nobody with a key may approve never moves again. */
		if (r->source)
			err = appctl_policy_approvability_text(&r->can,
				r->listing->policy, r->listing->signers_text,
				r->listing->signers_len, appctl_clock_now());
	}
	if (!err && !r->source) {
		/* Builders commit to the first environment: its branch is its state. */
		snprintf(ref, sizeof(ref), "refs/heads/%s", r->env);
		err = appctl_ref_read(r->commit, &found, cli->repo, ref);
		if (!err && !found)
			err = appctl_repo_not_synced(cli->repo, ref);
	}
	if (!err && r->source) {
		snprintf(ref, sizeof(ref), "refs/heads/%s", r->source);
		err = appctl_ref_read(r->source_head, &found, cli->repo, ref);
		if (!err && !found)
			err = appctl_repo_not_synced(cli->repo, ref);
	}
	if (!err && r->source) {
		const appctl_env_state *e;
		appctl_log_state *verified = NULL;
		appctl_move move;
		char head[41];

		r->pending = strcmp(r->source_head, r->commit) != 0;
		/* A branch moved outside appctl is judged against nothing. */
		err = appctl_env_locate(&e, &verified, head, cli->repo, r->env,
			ctx->now, NULL);
		appctl_log_state_free(verified);
		if (!err) {
			memset(&move, 0, sizeof(move));
			move.type = APPCTL_EV_PROMOTE;
			move.env = r->env;
			move.to = r->source_head;
			move.source = r->source;
			r->judged = 1;
			err = appctl_case_build(&r->rcase, ctx, &move);
		}
	}
	if (err && (err->code == APPCTL_EINPUT || err->code == APPCTL_EUSAGE)) {
		r->error = err;
		return NULL;
	}
	return err;
}

static cJSON *strings_json(char *const *items, size_t count)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; arr && i < count; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(items[i]));
	return arr;
}

static cJSON *approval_json(const appctl_approval *a)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "principal",
		a->principal ? a->principal : a->event->principal);
	cJSON_AddBoolToObject(o, "verified", a->verified);
	cJSON_AddBoolToObject(o, "current", a->status == APPCTL_APPROVAL_COUNTED);
	cJSON_AddStringToObject(o, "status", status_name(a->status));
	cJSON_AddStringToObject(o, "reason", a->reason ? a->reason
		: appctl_approval_status_text(a->status));
	if (!a->principal || strcmp(a->principal, a->event->principal) != 0)
		cJSON_AddStringToObject(o, "claimed", a->event->principal);
	cJSON_AddStringToObject(o, "commit", a->event->commit);
	cJSON_AddStringToObject(o, "base", a->event->base ? a->event->base : "");
	cJSON_AddStringToObject(o, "time", a->event->time);
	cJSON_AddStringToObject(o, "id", a->event->id);
	return o;
}

static cJSON *env_json(const env_report *r)
{
	const appctl_case *j = &r->rcase;
	cJSON *o = cJSON_CreateObject(), *arr;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "env", r->env);
	cJSON_AddStringToObject(o, "commit", r->commit);
	cJSON_AddNumberToObject(o, "release", (double)r->release);
	cJSON_AddBoolToObject(o, "break_glass", r->break_glass);
	cJSON_AddBoolToObject(o, "unreviewed", r->unreviewed);
	if (r->source)
		cJSON_AddStringToObject(o, "source", r->source);
	else
		cJSON_AddNullToObject(o, "source");
	if (r->pending && !r->error) {
		size_t counts[3];
		cJSON *p = cJSON_AddObjectToObject(o, "pending"), *s;

		appctl_changes_summary(&j->changes, counts);
		cJSON_AddStringToObject(p, "commit", r->source_head);
		s = cJSON_AddObjectToObject(p, "summary");
		cJSON_AddNumberToObject(s, "high", (double)counts[APPCTL_RISK_HIGH]);
		cJSON_AddNumberToObject(s, "medium", (double)counts[APPCTL_RISK_MEDIUM]);
		cJSON_AddNumberToObject(s, "low", (double)counts[APPCTL_RISK_LOW]);
		cJSON_AddNumberToObject(p, "changes", (double)j->changes.count);
	} else if (r->pending) {
		cJSON *p = cJSON_AddObjectToObject(o, "pending");

		cJSON_AddStringToObject(p, "commit", r->source_head);
		cJSON_AddNullToObject(p, "summary");
	} else {
		cJSON_AddNullToObject(o, "pending");
	}
	arr = cJSON_AddArrayToObject(o, "approvals");
	for (i = 0; arr && r->judged && !r->error && i < j->approval_count; i++)
		cJSON_AddItemToArray(arr, approval_json(&j->approvals[i]));
	if (r->error) {
		char *line = appctl_error_format(r->error);

		arr = cJSON_AddArrayToObject(o, "missing");
		cJSON_AddItemToArray(arr, cJSON_CreateString(line ? line
			: r->error->message));
		cJSON_AddStringToObject(o, "error", line ? line : r->error->message);
		free(line);
	} else if (r->pending) {
		cJSON_AddItemToObject(o, "missing", strings_json(j->missing,
			j->missing_count));
		cJSON_AddItemToObject(o, "requirements",
			strings_json(j->verdict.requirements,
				j->verdict.requirement_count));
	} else {
		cJSON_AddArrayToObject(o, "missing");
	}
	cJSON_AddBoolToObject(o, "ready", r->pending && !r->error && j->allowed);
	cJSON_AddBoolToObject(o, "approvable", r->can.approvable);
	cJSON_AddItemToObject(o, "unapprovable", strings_json(r->can.missing,
		r->can.missing_count));
	/* Also among "missing": what a reader of that list must fix first. */
	arr = cJSON_GetObjectItem(o, "missing");
	for (i = 0; arr && i < r->can.missing_count; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(r->can.missing[i]));
	return o;
}

/*
 * The JSON lists promotion targets only: the first environment appears
 * when it was asked for by name.
 */
/* Webhooks waiting in the outbox, and endpoints a 410 disabled. */
static cJSON *notify_json(const appctl_outbox *box)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "waiting", (double)box->count);
	arr = cJSON_AddArrayToObject(o, "disabled");
	for (i = 0; arr && i < box->disabled_count; i++) {
		cJSON *d = cJSON_CreateObject();

		cJSON_AddItemToArray(arr, d);
		cJSON_AddStringToObject(d, "url", box->disabled[i].url);
		cJSON_AddStringToObject(d, "time", box->disabled[i].time);
		cJSON_AddNumberToObject(d, "status", (double)box->disabled[i].status);
	}
	return o;
}

static appctl_error *print_json(const env_report *reports, size_t n,
	int named, const appctl_outbox *box)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	size_t i;

	if (!root)
		return appctl_error_nomem();
	arr = cJSON_AddArrayToObject(root, "environments");
	for (i = 0; arr && i < n; i++)
		if (named || reports[i].source || reports[i].error)
			cJSON_AddItemToArray(arr, env_json(&reports[i]));
	cJSON_AddItemToObject(root, "notify", notify_json(box));
	return appctl_cli_print_json(root);
}

static void print_notify_text(const appctl_cli *cli, const appctl_outbox *box)
{
	const char *reset = appctl_cli_color(cli, APPCTL_RESET);
	size_t i;

	for (i = 0; i < box->disabled_count; i++)
		printf("%snotify: %s is disabled%s (answered %lld at %s); "
			"'appctl notify enable %s' turns it back on\n",
			appctl_cli_color(cli, APPCTL_YELLOW), box->disabled[i].url,
			reset, (long long)box->disabled[i].status,
			box->disabled[i].time, box->disabled[i].url);
	if (box->count)
		printf("notify: %zu %s waiting in the outbox ('appctl notify "
			"list', 'appctl notify flush')\n", box->count,
			box->count == 1 ? "delivery" : "deliveries");
}

static void print_text(const appctl_cli *cli, const env_report *r)
{
	const appctl_case *j = &r->rcase;
	const char *reset = appctl_cli_color(cli, APPCTL_RESET);
	size_t i, counts[3];

	if (!r->source && !r->error) {
		printf("%s%s%s  at %.12s (the first environment: builders commit "
			"here)\n", appctl_cli_color(cli, APPCTL_BOLD), r->env, reset,
			r->commit);
		return;
	}
	printf("%s%s%s  release %lld at %.12s\n", appctl_cli_color(cli, APPCTL_BOLD),
		r->env, reset, (long long)r->release, r->commit);
	if (r->unreviewed)
		printf("  %sBREAK-GLASS (UNREVIEWED)%s: release %lld still needs the "
			"normal approvals of its move ('appctl approve %s')\n",
			appctl_cli_color(cli, APPCTL_RED), reset,
			(long long)r->release, r->env);
	for (i = 0; i < r->can.missing_count; i++)
		printf("  %sCANNOT BE APPROVED:%s %s (see 'appctl help status', "
			"RECOVERY)\n", appctl_cli_color(cli, APPCTL_RED), reset,
			r->can.missing[i]);
	if (r->error) {
		char *line = appctl_error_format(r->error);

		printf("  %scannot judge:%s %s\n", appctl_cli_color(cli, APPCTL_RED),
			reset, line ? line : r->error->message);
		free(line);
		return;
	}
	if (!r->pending)
		printf("  from %s: nothing to promote (%s holds the same commit)\n",
			r->source, r->source);
	else {
		appctl_changes_summary(&j->changes, counts);
		printf("  from %s: %.12s  %s%zu high%s, %zu medium, %zu low\n",
			r->source, r->source_head,
			appctl_cli_color(cli, counts[APPCTL_RISK_HIGH] ? APPCTL_RED : ""),
			counts[APPCTL_RISK_HIGH], reset, counts[APPCTL_RISK_MEDIUM],
			counts[APPCTL_RISK_LOW]);
	}
	if (j->approval_count)
		printf("  approvals:\n");
	for (i = 0; i < j->approval_count; i++) {
		const appctl_approval *a = &j->approvals[i];
		int counted = a->status == APPCTL_APPROVAL_COUNTED;

		printf("    %s%s %s%s  %s  %s",
			appctl_cli_color(cli, counted ? APPCTL_GREEN : APPCTL_YELLOW),
			counted ? "+" : "-",
			a->principal ? a->principal : a->event->principal, reset,
			a->verified ? "verified" : "unverified",
			a->reason ? a->reason : appctl_approval_status_text(a->status));
		/* Which commit it approved, so a stale one can be told from a current one. */
		if (!counted && a->event->commit)
			printf(" (approved %.7s", a->event->commit);
		if (!counted && a->status == APPCTL_APPROVAL_STALE &&
			a->event->base)
			printf(" when %s was at %.7s; it is at %.7s now", r->env,
				a->event->base, r->commit);
		printf("%s\n", !counted && a->event->commit ? ")" : "");
	}
	if (!r->pending)
		return;
	printf("  requirements:\n");
	for (i = 0; i < j->verdict.requirement_count; i++)
		printf("    %s\n", j->verdict.requirements[i]);
	if (j->missing_count)
		printf("  missing:\n");
	for (i = 0; i < j->missing_count; i++)
		printf("    %s%s%s\n", appctl_cli_color(cli, APPCTL_RED),
			j->missing[i], reset);
	printf("  %s%s%s\n", appctl_cli_color(cli, j->allowed
			? APPCTL_GREEN : APPCTL_RED),
		j->allowed ? "ready to promote" : "not ready", reset);
}

appctl_error *cmd_status(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL };
	int npos, help, json = 0;
	const appctl_opt opts[] = {
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ 0 }
	};
	const appctl_log_state *state;
	appctl_judge_ctx ctx;
	appctl_chain *chain = NULL;
	appctl_outbox *box = NULL;
	env_report *reports = NULL;
	appctl_error *err, *first_problem = NULL;
	size_t i, n = 0;

	err = appctl_cli_parse(argc, argv, opts, pos, 1, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("status");
		return NULL;
	}
	json |= cli->json;
	err = appctl_cli_judge_ctx(&ctx, &chain, cli);
	if (err)
		goto done;
	/* A report, not a move: the blob cache may serve the definitions. */
	ctx.cached = 1;
	state = appctl_chain_state(chain);
	if (npos && !appctl_log_state_env(state, pos[0])) {
		err = appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not an environment of this repository", pos[0]);
		goto done;
	}
	reports = calloc(state->env_count + 1, sizeof(*reports));
	if (!reports) {
		err = appctl_error_nomem();
		goto done;
	}
	for (i = 0; i < state->env_count; i++) {
		const appctl_env_state *e = &state->envs[i];
		env_report *r;

		if (npos && strcmp(e->env, pos[0]) != 0)
			continue;
		r = &reports[n++];
		r->can.approvable = 1;
		r->env = e->env;
		memcpy(r->commit, e->commit, sizeof(r->commit));
		r->release = e->release;
		err = assess(r, cli, &ctx);
		if (!err && e->release > 0)
			err = check_review(r, &ctx, e->event);
		if (err)
			goto done;
	}
	qsort(reports, n, sizeof(*reports), report_cmp);
	/* An endpoint a 410 disabled stays silent until someone looks: here. */
	err = appctl_outbox_read(&box, appctl_repo_gitdir(cli->repo));
	if (err)
		goto done;
	if (json) {
		err = print_json(reports, n, npos > 0, box);
	} else {
		for (i = 0; i < n; i++)
			print_text(cli, &reports[i]);
		print_notify_text(cli, box);
	}
done:
	appctl_outbox_free(box);
	for (i = 0; reports && i < n; i++) {
		if (reports[i].error && !first_problem && !err)
			first_problem = reports[i].error;
		else
			appctl_error_free(reports[i].error);
		if (reports[i].judged)
			appctl_case_dispose(&reports[i].rcase);
		appctl_approvability_dispose(&reports[i].can);
		appctl_app_listing_free(reports[i].listing);
	}
	free(reports);
	appctl_chain_free(chain);
	return err ? err : first_problem;
}
