/* cmd_history.c: `appctl history ENV`: the releases of an environment, newest first, with who approved what they changed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/json.h"
#include "appctl/log.h"
#include "appctl/strbuf.h"
#include "cli_release.h"

#define HISTORY_DEFAULT_LIMIT 20

/* A release event kept from the walk. */
typedef struct shown_release {
	appctl_logged logged;
} shown_release;

/* An approval id a shown release relies on, and whose it is once found. */
typedef struct wanted_approval {
	char id[41];
	char *principal;
} wanted_approval;

typedef struct history_walk {
	const char *env;
	size_t limit;             /* 0: all */
	shown_release *releases;
	size_t release_count, release_cap;
	int reached_init;
	wanted_approval *wanted;
	size_t wanted_count, wanted_cap;
	size_t unresolved;
} history_walk;

/* Makes room for one more element in an array of `*cap` (doubling). */
static appctl_error *grow(void **items, size_t *cap, size_t count, size_t size)
{
	void *grown;
	size_t want = *cap ? *cap * 2 : 8;

	if (count < *cap)
		return NULL;
	grown = realloc(*items, want * size);
	if (!grown)
		return appctl_error_nomem();
	*items = grown;
	*cap = want;
	return NULL;
}

static appctl_error *want_ids(history_walk *w, const appctl_event *ev)
{
	appctl_error *err;
	size_t i;

	for (i = 0; i < ev->approval_count; i++) {
		if ((err = grow((void **)&w->wanted, &w->wanted_cap, w->wanted_count,
				sizeof(*w->wanted))))
			return err;
		memset(&w->wanted[w->wanted_count], 0, sizeof(*w->wanted));
		snprintf(w->wanted[w->wanted_count].id, 41, "%s",
			ev->approvals[i]);
		w->wanted_count++;
		w->unresolved++;
	}
	return NULL;
}

static appctl_error *resolve_id(history_walk *w, const appctl_event *ev)
{
	size_t i;

	for (i = 0; i < w->wanted_count; i++) {
		wanted_approval *a = &w->wanted[i];

		if (a->principal || strcmp(a->id, ev->id) != 0)
			continue;
		if (!(a->principal = strdup(ev->principal)))
			return appctl_error_nomem();
		w->unresolved--;
	}
	return NULL;
}

static int is_release_of(const appctl_event *ev, const char *env)
{
	return (ev->type == APPCTL_EV_PROMOTE || ev->type == APPCTL_EV_ROLLBACK) &&
		strcmp(ev->env, env) == 0;
}

/*
 * Newest to oldest: keeps the releases to show and resolves the approvals
 * they name. Stops once enough releases are kept and every approval they name is found.
 */
static appctl_error *collect(const appctl_event *ev, void *arg, int *stop)
{
	history_walk *w = arg;
	appctl_error *err;
	int full = w->limit && w->release_count >= w->limit;

	if (ev->type == APPCTL_EV_APPROVE && (err = resolve_id(w, ev)))
		return err;
	if (!full && (is_release_of(ev, w->env) || ev->type == APPCTL_EV_INIT)) {
		shown_release *r;

		if (ev->type == APPCTL_EV_INIT &&
		    !appctl_init_event_release(ev->init, w->env))
			return NULL;
		if ((err = grow((void **)&w->releases, &w->release_cap, w->release_count,
				sizeof(*w->releases))))
			return err;
		r = &w->releases[w->release_count];
		if ((err = appctl_logged_copy(&r->logged, ev)))
			return err;
		w->release_count++;
		if ((err = want_ids(w, ev)))
			return err;
		if (ev->type == APPCTL_EV_INIT)
			w->reached_init = 1;
	}
	full = w->limit && w->release_count >= w->limit;
	if ((full || w->reached_init) && !w->unresolved)
		*stop = 1;
	return NULL;
}

static void history_walk_dispose(history_walk *w)
{
	size_t i;

	for (i = 0; i < w->release_count; i++)
		appctl_logged_dispose(&w->releases[i].logged);
	free(w->releases);
	for (i = 0; i < w->wanted_count; i++)
		free(w->wanted[i].principal);
	free(w->wanted);
}

static const char *approver_of(const history_walk *w, const char *id)
{
	size_t i;

	for (i = 0; i < w->wanted_count; i++)
		if (strcmp(w->wanted[i].id, id) == 0)
			return w->wanted[i].principal ? w->wanted[i].principal
				: "(not in the log)";
	return "(not in the log)";
}

/*
 * Two snapshots are loaded per release, and a release's `from` is usually
 * the commit of the release shown next: keep the last two.
 */
typedef struct snap_cache {
	char commit[2][41];
	appctl_snapshot *snap[2];
	int next;
} snap_cache;

static appctl_error *cached_snapshot(const appctl_snapshot **out,
	snap_cache *c, appctl_repo *repo, const char *commit)
{
	appctl_error *err;
	int i;

	for (i = 0; i < 2; i++)
		if (c->snap[i] && strcmp(c->commit[i], commit) == 0) {
			*out = c->snap[i];
			return NULL;
		}
	i = c->next;
	appctl_snapshot_free(c->snap[i]);
	c->snap[i] = NULL;
	err = appctl_repo_load_snapshot(&c->snap[i], repo, commit);
	if (err)
		return err;
	snprintf(c->commit[i], 41, "%s", commit);
	c->next = 1 - i;
	*out = c->snap[i];
	return NULL;
}

/* The risk counts of one release's change; the diff is computed here, on demand. */
static appctl_error *release_summary(size_t counts[3], snap_cache *cache,
	appctl_repo *repo, const appctl_event *ev)
{
	const appctl_snapshot *a, *b;
	appctl_changes changes;
	appctl_error *err;

	err = cached_snapshot(&a, cache, repo, ev->from);
	if (!err)
		err = cached_snapshot(&b, cache, repo, ev->to);
	if (err)
		return err;
	/* The second load may have evicted the first. */
	if ((err = cached_snapshot(&a, cache, repo, ev->from)))
		return err;
	if (appctl_changes_init(&changes) != 0)
		return appctl_error_nomem();
	err = appctl_diff_snapshots(&changes, a, b,
		appctl_release_day_of(ev->time));
	if (!err)
		appctl_changes_summary(&changes, counts);
	appctl_changes_dispose(&changes);
	return err;
}

/* One release as the text and JSON outputs show it. */
typedef struct release_row {
	int64_t release;
	const char *commit;
	const char *from;
	const char *kind;
	const char *time;
	const char *promoter;
	int verified;
	const char **approvers;
	size_t approver_count;
	int has_summary;
	size_t counts[3];
	int break_glass;
	int reviewed;
	int64_t rollback_to;
	const char *comment;
	const char *event;
} release_row;

static void print_row_text(const appctl_cli *cli, const release_row *r)
{
	size_t i;

	printf("%srelease %lld%s  %.12s  %s  %s", appctl_cli_color(cli,
		APPCTL_BOLD), (long long)r->release, appctl_cli_color(cli,
		APPCTL_RESET), r->commit, r->time, r->kind);
	if (r->rollback_to >= 0)
		printf(" (to release %lld)", (long long)r->rollback_to);
	if (r->break_glass)
		printf(" %s%s%s", appctl_cli_color(cli, r->reviewed ? "" : APPCTL_RED),
			r->reviewed ? "(reviewed)" : "(UNREVIEWED)",
			appctl_cli_color(cli, APPCTL_RESET));
	printf("\n  promoter:  %s%s\n", r->promoter,
		r->verified ? "" : " (unverified)");
	printf("  approvers: ");
	for (i = 0; i < r->approver_count; i++)
		printf("%s%s", i ? ", " : "", r->approvers[i]);
	printf("%s\n", r->approver_count ? "" : "(none)");
	if (r->has_summary)
		printf("  changes:   %zu high, %zu medium, %zu low (from %.12s)\n",
			r->counts[APPCTL_RISK_HIGH], r->counts[APPCTL_RISK_MEDIUM],
			r->counts[APPCTL_RISK_LOW], r->from);
	if (r->comment)
		printf("  comment:   %s\n", r->comment);
}

static void print_row_json(appctl_strbuf *b, const release_row *r)
{
	size_t i;

	appctl_strbuf_printf(b, "{\"release\":%lld,\"commit\":\"%s\",\"kind\":",
		(long long)r->release, r->commit);
	appctl_json_quote(b, r->kind);
	appctl_strbuf_puts(b, ",\"time\":");
	appctl_json_quote(b, r->time);
	appctl_strbuf_puts(b, ",\"promoter\":");
	appctl_json_quote(b, r->promoter);
	appctl_strbuf_printf(b, ",\"promoter_verified\":%s,\"approvers\":[",
		r->verified ? "true" : "false");
	for (i = 0; i < r->approver_count; i++) {
		if (i)
			appctl_strbuf_putc(b, ',');
		appctl_json_quote(b, r->approvers[i]);
	}
	appctl_strbuf_puts(b, "],\"summary\":");
	if (r->has_summary)
		appctl_strbuf_printf(b, "{\"high\":%zu,\"medium\":%zu,\"low\":%zu}",
			r->counts[APPCTL_RISK_HIGH], r->counts[APPCTL_RISK_MEDIUM],
			r->counts[APPCTL_RISK_LOW]);
	else
		appctl_strbuf_puts(b, "null");
	appctl_strbuf_puts(b, ",\"from\":");
	if (r->from)
		appctl_json_quote(b, r->from);
	else
		appctl_strbuf_puts(b, "null");
	appctl_strbuf_printf(b, ",\"break_glass\":%s,\"reviewed\":%s",
		r->break_glass ? "true" : "false",
		r->break_glass ? (r->reviewed ? "true" : "false") : "null");
	if (r->rollback_to >= 0)
		appctl_strbuf_printf(b, ",\"rollback_to\":%lld",
			(long long)r->rollback_to);
	appctl_strbuf_puts(b, ",\"comment\":");
	if (r->comment)
		appctl_json_quote(b, r->comment);
	else
		appctl_strbuf_puts(b, "null");
	appctl_strbuf_printf(b, ",\"event\":\"%s\"}", r->event);
}

/* Builds the row of kept release `k` and prints it. */
static appctl_error *show_release(appctl_strbuf *json, const appctl_cli *cli,
	appctl_judge_ctx *ctx, const history_walk *w, size_t k, snap_cache *cache)
{
	appctl_event *ev = NULL;
	release_row row;
	appctl_error *err;
	size_t i;

	memset(&row, 0, sizeof(row));
	err = appctl_logged_parse(&ev, &w->releases[k].logged);
	if (err)
		return err;
	row.time = ev->time;
	row.promoter = ev->principal;
	row.verified = ev->verified;
	row.comment = ev->comment;
	row.event = ev->id;
	row.rollback_to = -1;
	if (ev->type == APPCTL_EV_INIT) {
		row.release = 0;
		row.commit = appctl_init_event_release(ev->init, w->env);
		row.kind = "init";
	} else {
		row.release = ev->release;
		row.commit = ev->to;
		row.from = ev->from;
		row.break_glass = ev->break_glass;
		row.kind = ev->break_glass ? "break-glass"
			: ev->type == APPCTL_EV_ROLLBACK ? "rollback" : "promote";
		if (ev->type == APPCTL_EV_ROLLBACK)
			row.rollback_to = ev->rollback_to;
		row.approvers = calloc(ev->approval_count + 1, sizeof(*row.approvers));
		if (!row.approvers) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		for (i = 0; i < ev->approval_count; i++)
			row.approvers[i] = approver_of(w, ev->approvals[i]);
		row.approver_count = ev->approval_count;
		err = release_summary(row.counts, cache, cli->repo, ev);
		if (err)
			goto cleanup;
		row.has_summary = 1;
		if (ev->break_glass &&
		    (err = appctl_break_glass_reviewed(&row.reviewed, ctx, ev)))
			goto cleanup;
	}
	if (json) {
		if (k)
			appctl_strbuf_putc(json, ',');
		print_row_json(json, &row);
	} else {
		print_row_text(cli, &row);
	}
cleanup:
	free(row.approvers);
	appctl_event_free(ev);
	return err;
}

appctl_error *cmd_history(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *limit_text = NULL;
	int npos = 0, help = 0, json = 0;
	const appctl_opt opts[] = {
		{ "limit", 0, APPCTL_OPT_STRING, &limit_text, "N" },
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ 0 }
	};
	appctl_strbuf out = APPCTL_STRBUF_INIT;
	appctl_judge_ctx ctx;
	appctl_chain *chain = NULL;
	history_walk w;
	snap_cache cache;
	appctl_error *err;
	size_t k;

	memset(&w, 0, sizeof(w));
	memset(&cache, 0, sizeof(cache));
	err = appctl_cli_parse(argc, argv, opts, pos, 1, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("history");
		return NULL;
	}
	json |= cli->json;
	if (npos < 1)
		return appctl_error_new(APPCTL_EUSAGE,
			"usage: appctl history ENV [--limit N] [--json]");
	w.env = pos[0];
	w.limit = HISTORY_DEFAULT_LIMIT;
	if (limit_text) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(limit_text, &end, 10);
		if (errno || *end || !*limit_text || limit_text[0] == '-')
			return appctl_error_new(APPCTL_EUSAGE,
				"--limit: '%s' is not a number", limit_text);
		w.limit = (size_t)v;
	}
	err = appctl_cli_judge_ctx(&ctx, &chain, cli);
	if (!err && !appctl_log_state_env(appctl_chain_state(chain), w.env))
		err = appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not an environment of this repository", w.env);
	if (!err)
		err = appctl_log_walk(cli->repo, appctl_chain_head(chain), collect,
			&w);
	if (err)
		goto cleanup;
	if (json) {
		appctl_strbuf_puts(&out, "{\"env\":");
		appctl_json_quote(&out, w.env);
		appctl_strbuf_puts(&out, ",\"releases\":[");
	}
	for (k = 0; k < w.release_count && !err; k++) {
		if (!json && k)
			putchar('\n');
		err = show_release(json ? &out : NULL, cli, &ctx, &w, k, &cache);
	}
	if (!err && json) {
		appctl_strbuf_puts(&out, "]}");
		if (out.failed)
			err = appctl_error_nomem();
		else
			puts(out.ptr);
	}
cleanup:
	appctl_strbuf_dispose(&out);
	appctl_snapshot_free(cache.snap[0]);
	appctl_snapshot_free(cache.snap[1]);
	history_walk_dispose(&w);
	appctl_chain_free(chain);
	return err;
}
