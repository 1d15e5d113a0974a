/* cmd_diff.c: `appctl diff A B`: what a change does to access and connections (SPEC §2). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/access.h"
#include "appctl/diff.h"
#include "appctl/json.h"
#include "appctl/strbuf.h"
#include "cli.h"
#include "progress.h"

/* The two sides as given on the command line and as resolved. */
typedef struct diff_sides {
	const char *from_rev;
	const char *to_rev;
	char from[41];
	char to[41];
	appctl_date at;
} diff_sides;

/* True when `app` names one of the groups whose members moved. */
static int uses_moved_group(const appctl_app *app, const char *const *groups,
	size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (appctl_app_uses_group(app, groups[i]))
			return 1;
	return 0;
}

/*
 * The needles that let an unchanged app be skipped unparsed: it can only be
 * concerned by a group move if its text says "group:<name>" for a moved
 * group. A "\u" escape could spell that name in disguise, so any escape
 * means "parse to be sure".
 */
static appctl_error *moved_group_needles(const char ***out, size_t *count,
	appctl_arena *arena, const char *const *groups, size_t group_count)
{
	const char **needles;
	size_t i;

	needles = appctl_arena_calloc(arena, group_count + 1, sizeof(*needles));
	if (!needles)
		return appctl_error_nomem();
	for (i = 0; i < group_count; i++)
		if (!(needles[i] = appctl_arena_printf(arena, "group:%s", groups[i])))
			return appctl_error_nomem();
	needles[group_count] = "\\u";
	*out = needles;
	*count = group_count + 1;
	return NULL;
}

/* What every app's diff needs to know about the run. */
typedef struct diff_run {
	appctl_repo *repo;
	const diff_sides *sides;
	const appctl_app_listing *a;
	const appctl_app_listing *b;
	const char **moved;       /* principals whose group membership moved */
	size_t nmoved;
	const char **groups;      /* the groups concerned */
	size_t ngroups;
	const char **needles;
	size_t nneedles;
} diff_run;

static appctl_error *load_side(appctl_app **out, appctl_arena *arena,
	const diff_run *run, const appctl_app_entry *e, const char *rev,
	int filtered)
{
	appctl_error *err = appctl_repo_load_app(out, arena, run->repo,
		e->blob_id, e->dir, filtered ? (const char *const *)run->needles : NULL,
		filtered ? run->nneedles : 0);

	return err ? appctl_error_wrap(err, "in '%s'", rev) : NULL;
}

/*
 * One app folder present on either side (`x` old, `y` new, one may be NULL).
 * Its models live in a scratch arena freed right after its diff, so the
 * peak memory stays near that of the largest app, whatever the org's size.
 */
static appctl_error *diff_one_app(appctl_changes *out, const diff_run *run,
	const appctl_app_entry *x, const appctl_app_entry *y)
{
	appctl_error *err = NULL;
	appctl_arena *arena = NULL;
	appctl_app *old_app = NULL, *new_app = NULL;
	int same = x && y && strcmp(x->blob_id, y->blob_id) == 0;

	/* Same file on both sides: only group moves can change anyone's access. */
	if (same && !run->nmoved)
		return NULL;
	arena = appctl_arena_new();
	if (!arena) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	if (same) {
		err = load_side(&old_app, arena, run, y, run->sides->to_rev, 1);
		if (err || !old_app ||
		    !uses_moved_group(old_app, (const char *const *)run->groups,
			    run->ngroups))
			goto cleanup;
		err = appctl_diff_app(out, old_app, run->a->policy, old_app,
			run->b->policy, (const char *const *)run->moved, run->nmoved,
			run->sides->at);
		goto cleanup;
	}
	if (x && (err = load_side(&old_app, arena, run, x,
			run->sides->from_rev, 0)))
		goto cleanup;
	if (y && (err = load_side(&new_app, arena, run, y,
			run->sides->to_rev, 0)))
		goto cleanup;
	err = appctl_diff_app(out, old_app, run->a->policy, new_app,
		run->b->policy, NULL, 0, run->sides->at);
cleanup:
	appctl_arena_free(arena);
	return err;
}

/*
 * The whole diff of two listings, like appctl_diff_snapshots but reading
 * only the apps whose file changed, or that use a group whose members moved.
 */
static appctl_error *diff_listings(appctl_changes *out, appctl_repo *repo,
	const diff_sides *sides, const appctl_app_listing *a,
	const appctl_app_listing *b, const appctl_progress *progress)
{
	appctl_error *err = NULL;
	appctl_arena *scratch = NULL;
	diff_run run;
	size_t i = 0, j = 0;

	memset(&run, 0, sizeof(run));
	run.repo = repo;
	run.sides = sides;
	run.a = a;
	run.b = b;
	scratch = appctl_arena_new();
	if (!scratch) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = appctl_diff_policy(out, a->policy, a->signers_text, b->policy,
		b->signers_text);
	if (!err)
		err = appctl_diff_group_moves(&run.moved, &run.nmoved, &run.groups,
			&run.ngroups, scratch, a->policy, b->policy);
	if (!err)
		err = moved_group_needles(&run.needles, &run.nneedles, scratch,
			(const char *const *)run.groups, run.ngroups);
	/* Both listings are sorted by folder name: one merge pass. */
	while (!err && (i < a->app_count || j < b->app_count)) {
		int c = i >= a->app_count ? 1 : j >= b->app_count ? -1
			: strcmp(a->apps[i].dir, b->apps[j].dir);
		const appctl_app_entry *x = c <= 0 ? &a->apps[i] : NULL;
		const appctl_app_entry *y = c >= 0 ? &b->apps[j] : NULL;

		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		err = diff_one_app(out, &run, x, y);
		appctl_progress_step(progress, i + j,
			a->app_count + b->app_count);
	}
	if (!err)
		appctl_changes_sort(out);
cleanup:
	appctl_arena_free(scratch);
	return err;
}

/* ---- output ---- */

/* The subject of a change in words: who, what, where. */
static void describe_subject(appctl_strbuf *b, const appctl_change *c)
{
	size_t start = b->len;

#define SEP() do { if (b->len > start) appctl_strbuf_putc(b, ' '); } while (0)
	if (c->principal) {
		appctl_strbuf_puts(b, c->principal);
	} else if (c->member) {
		appctl_strbuf_puts(b, c->member);
	}
	if (c->group && !(c->member && !c->principal)) {
		SEP();
		appctl_strbuf_printf(b, "%sgroup:%s", c->principal ? "in " : "",
			c->group);
	}
	if (c->role) {
		SEP();
		appctl_strbuf_printf(b, "%srole %s",
			c->principal || c->member ? "in " : "", c->role);
	}
	if (c->resource) {
		SEP();
		appctl_strbuf_printf(b, "%s%s%s%s%s",
			c->principal ? "on " : "", c->resource,
			c->field ? "." : "", c->field ? c->field : "",
			c->action ? ":" : "");
		if (c->action)
			appctl_strbuf_puts(b, c->action);
	}
	if (c->integration) {
		SEP();
		appctl_strbuf_printf(b, "integration %s", c->integration);
		if (c->scope)
			appctl_strbuf_printf(b, " scope %s", c->scope);
		if (c->env)
			appctl_strbuf_printf(b, " (%s)", c->env);
	}
	/* The path says where when nothing above does, or what exactly changed. */
	if (c->path && (b->len == start || strcmp(c->kind, "other.changed") == 0 ||
			strcmp(c->kind, "policy.changed") == 0)) {
		SEP();
		appctl_strbuf_puts(b, c->path);
	}
#undef SEP
}

/* "before -> after", with "(none)" for an absent side; nothing when both are. */
static void describe_values(appctl_strbuf *b, const appctl_change *c,
	const char *arrow)
{
	if (!c->before && !c->after)
		return;
	appctl_strbuf_printf(b, "%s %s %s", c->before ? c->before : "(none)",
		arrow, c->after ? c->after : "(none)");
}

static const char *risk_color(const appctl_cli *cli, appctl_risk risk)
{
	return appctl_cli_color(cli, risk == APPCTL_RISK_HIGH ? APPCTL_RED
		: risk == APPCTL_RISK_MEDIUM ? APPCTL_YELLOW : "");
}

static void print_summary_counts(FILE *f, const size_t counts[3])
{
	fprintf(f, "%zu high, %zu medium, %zu low",
		counts[APPCTL_RISK_HIGH], counts[APPCTL_RISK_MEDIUM],
		counts[APPCTL_RISK_LOW]);
}

static int same_app(const appctl_change *a, const appctl_change *b)
{
	if (!a->app || !b->app)
		return a->app == b->app;
	return strcmp(a->app, b->app) == 0;
}

static appctl_error *print_text(const appctl_cli *cli,
	const appctl_changes *changes, const diff_sides *s)
{
	appctl_strbuf line = APPCTL_STRBUF_INIT;
	size_t counts[3], i, total = changes->count;
	char day[11];

	appctl_date_format(day, s->at);
	if (!total) {
		printf("no changes between %s and %s (access as of %s)\n",
			s->from_rev, s->to_rev, day);
		return NULL;
	}
	printf("%sdiff %s %s%s (%.7s..%.7s), access as of %s\n",
		appctl_cli_color(cli, APPCTL_BOLD), s->from_rev, s->to_rev,
		appctl_cli_color(cli, APPCTL_RESET), s->from, s->to, day);
	for (i = 0; i < total; i++) {
		const appctl_change *c = &changes->items[i];

		if (i == 0 || !same_app(c, &changes->items[i - 1]))
			printf("\n%s%s%s\n", appctl_cli_color(cli, APPCTL_BOLD),
				c->app ? c->app : "(policy)",
				appctl_cli_color(cli, APPCTL_RESET));
		appctl_strbuf_truncate(&line, 0);
		describe_subject(&line, c);
		if (c->before || c->after) {
			appctl_strbuf_puts(&line, ": ");
			describe_values(&line, c, "->");
		}
		if (c->via)
			appctl_strbuf_printf(&line, " (via %s)", c->via);
		if (line.failed) {
			appctl_strbuf_dispose(&line);
			return appctl_error_nomem();
		}
		printf("  %s%-6s%s %-30s %s\n", risk_color(cli, c->risk),
			appctl_risk_name(c->risk), appctl_cli_color(cli, APPCTL_RESET),
			c->kind, line.ptr ? line.ptr : "");
	}
	appctl_strbuf_dispose(&line);
	appctl_changes_summary(changes, counts);
	printf("\n%zu change%s: ", total, total == 1 ? "" : "s");
	print_summary_counts(stdout, counts);
	putchar('\n');
	return NULL;
}

static void json_key_string(appctl_strbuf *b, const char *key, const char *value)
{
	appctl_strbuf_printf(b, ", \"%s\": ", key);
	if (value)
		appctl_json_quote(b, value);
	else
		appctl_strbuf_puts(b, "null");
}

/*
 * Streamed one change per line rather than built as one cJSON tree: a group
 * move in a large org yields many changes, and the output should not cost
 * more memory than the diff itself. One line per change also keeps golden
 * files readable.
 */
static appctl_error *print_json(const appctl_changes *changes,
	const diff_sides *s)
{
	static const struct {
		const char *key;
		size_t offset;
	} subjects[] = {
#define SUBJECT(f) { #f, offsetof(appctl_change, f) }
		SUBJECT(principal), SUBJECT(role), SUBJECT(group),
		SUBJECT(member), SUBJECT(resource), SUBJECT(action),
		SUBJECT(field), SUBJECT(integration), SUBJECT(scope),
		SUBJECT(env), SUBJECT(path), SUBJECT(via)
#undef SUBJECT
	};
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	size_t counts[3], i, k;
	char day[11];

	appctl_date_format(day, s->at);
	appctl_strbuf_puts(&b, "{\n  \"from\": ");
	appctl_json_quote(&b, s->from_rev);
	appctl_strbuf_puts(&b, ",\n  \"to\": ");
	appctl_json_quote(&b, s->to_rev);
	appctl_strbuf_printf(&b, ",\n  \"from_commit\": \"%s\",\n"
		"  \"to_commit\": \"%s\",\n  \"at\": \"%s\",\n  \"changes\": [",
		s->from, s->to, day);
	for (i = 0; i < changes->count; i++) {
		const appctl_change *c = &changes->items[i];

		appctl_strbuf_puts(&b, i ? ",\n    {\"kind\": " : "\n    {\"kind\": ");
		appctl_json_quote(&b, c->kind);
		json_key_string(&b, "risk", appctl_risk_name(c->risk));
		json_key_string(&b, "app", c->app);
		for (k = 0; k < sizeof(subjects) / sizeof(subjects[0]); k++) {
			const char *v = *(const char *const *)(const void *)
				((const char *)c + subjects[k].offset);

			if (v)
				json_key_string(&b, subjects[k].key, v);
		}
		/* before and after are JSON texts already. */
		if (c->before)
			appctl_strbuf_printf(&b, ", \"before\": %s", c->before);
		if (c->after)
			appctl_strbuf_printf(&b, ", \"after\": %s", c->after);
		appctl_strbuf_putc(&b, '}');
		if (b.failed)
			break;
		fwrite(b.ptr, 1, b.len, stdout);
		appctl_strbuf_truncate(&b, 0);
	}
	appctl_changes_summary(changes, counts);
	appctl_strbuf_printf(&b, "%s],\n  \"summary\": {\"high\": %zu, "
		"\"medium\": %zu, \"low\": %zu}\n}\n",
		changes->count ? "\n  " : "", counts[APPCTL_RISK_HIGH],
		counts[APPCTL_RISK_MEDIUM], counts[APPCTL_RISK_LOW]);
	if (b.failed)
		err = appctl_error_nomem();
	else
		fwrite(b.ptr, 1, b.len, stdout);
	appctl_strbuf_dispose(&b);
	return err;
}

/* A table cell: pipes escaped (GFM splits cells before code spans). */
static void md_cell(appctl_strbuf *b, const char *s, int code)
{
	const char *p;

	if (code)
		appctl_strbuf_putc(b, '`');
	for (p = s; *p; p++) {
		if (*p == '|')
			appctl_strbuf_puts(b, "\\|");
		else if (*p == '`' && code)
			appctl_strbuf_putc(b, '\'');
		else
			appctl_strbuf_putc(b, *p);
	}
	if (code)
		appctl_strbuf_putc(b, '`');
}

static appctl_error *print_markdown(const appctl_changes *changes,
	const diff_sides *s)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT, subject = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	size_t counts[3], i;
	char day[11];

	appctl_date_format(day, s->at);
	appctl_changes_summary(changes, counts);
	appctl_strbuf_puts(&b, "### appctl diff ");
	md_cell(&b, s->from_rev, 1);
	appctl_strbuf_puts(&b, " \xe2\x86\x92 ");
	md_cell(&b, s->to_rev, 1);
	appctl_strbuf_puts(&b, "\n\n");
	if (!changes->count)
		appctl_strbuf_printf(&b, "No changes to access or connections "
			"(access as of %s).\n", day);
	else
		appctl_strbuf_printf(&b, "**%zu change%s**: %zu high, %zu medium, "
			"%zu low (access as of %s)\n", changes->count,
			changes->count == 1 ? "" : "s", counts[APPCTL_RISK_HIGH],
			counts[APPCTL_RISK_MEDIUM], counts[APPCTL_RISK_LOW], day);
	for (i = 0; i < changes->count; i++) {
		const appctl_change *c = &changes->items[i];

		if (i == 0 || !same_app(c, &changes->items[i - 1])) {
			appctl_strbuf_puts(&b, "\n#### ");
			if (c->app)
				md_cell(&b, c->app, 1);
			else
				appctl_strbuf_puts(&b, "policy (appctl.json, allowed_signers)");
			appctl_strbuf_puts(&b, "\n\n| risk | change | subject | "
				"before \xe2\x86\x92 after |\n| --- | --- | --- | --- |\n");
		}
		appctl_strbuf_printf(&b, c->risk == APPCTL_RISK_HIGH ? "| **%s** | "
			: "| %s | ", appctl_risk_name(c->risk));
		md_cell(&b, c->kind, 1);
		appctl_strbuf_puts(&b, " | ");
		appctl_strbuf_truncate(&subject, 0);
		describe_subject(&subject, c);
		if (c->via)
			appctl_strbuf_printf(&subject, " (via %s)", c->via);
		md_cell(&b, subject.ptr ? subject.ptr : "", 0);
		appctl_strbuf_puts(&b, " | ");
		if (c->before || c->after) {
			md_cell(&b, c->before ? c->before : "(none)", c->before != NULL);
			appctl_strbuf_puts(&b, " \xe2\x86\x92 ");
			md_cell(&b, c->after ? c->after : "(none)", c->after != NULL);
		}
		appctl_strbuf_puts(&b, " |\n");
		if (b.failed || subject.failed)
			break;
		fwrite(b.ptr, 1, b.len, stdout);
		appctl_strbuf_truncate(&b, 0);
	}
	if (b.failed || subject.failed)
		err = appctl_error_nomem();
	else if (b.len)
		fwrite(b.ptr, 1, b.len, stdout);
	appctl_strbuf_dispose(&subject);
	appctl_strbuf_dispose(&b);
	return err;
}

/* ---- the command ---- */

static appctl_error *list_side(appctl_app_listing **out, appctl_repo *repo,
	const char *commit, const char *rev)
{
	appctl_error *err = appctl_repo_list_apps(out, repo, commit);

	return err ? appctl_error_wrap(err, "in '%s'", rev) : NULL;
}

appctl_error *cmd_diff(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL }, *at = NULL, *fail_on = NULL;
	int npos, help, json = 0, markdown = 0;
	const appctl_opt opts[] = {
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ "markdown", 0, APPCTL_OPT_FLAG, &markdown, NULL },
		{ "fail-on", 0, APPCTL_OPT_STRING, &fail_on, "RISK" },
		{ "at", 0, APPCTL_OPT_STRING, &at, "DATE" },
		{ 0 }
	};
	appctl_app_listing *from = NULL, *to = NULL;
	appctl_changes changes;
	appctl_error *err;
	appctl_risk threshold = APPCTL_RISK_HIGH;
	diff_sides sides;
	cli_progress progress;
	size_t i, reached = 0;
	int have_changes = 0;

	memset(&sides, 0, sizeof(sides));
	err = appctl_cli_parse(argc, argv, opts, pos, 2, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("diff");
		return NULL;
	}
	json |= cli->json;
	if (json && markdown)
		return appctl_error_new(APPCTL_EUSAGE,
			"--json and --markdown cannot be combined");
	if (npos != 2)
		return appctl_error_new(APPCTL_EUSAGE,
			"usage: appctl diff A B [--json | --markdown] "
			"[--fail-on high|medium|low] [--at DATE]");
	if (fail_on && appctl_risk_parse(&threshold, fail_on) != 0)
		return appctl_error_new(APPCTL_EUSAGE,
			"--fail-on: '%s' is not a risk (high, medium or low)", fail_on);
	sides.at = appctl_cli_today();
	if (at && appctl_date_parse(&sides.at, at) != 0)
		return appctl_error_new(APPCTL_EUSAGE,
			"--at: '%s' is not a date (YYYY-MM-DD)", at);
	sides.from_rev = pos[0];
	sides.to_rev = pos[1];

	err = appctl_repo_open(&cli->repo, cli->dir);
	if (err)
		return err;
	/* Hundreds of apps take a while: a counter on a terminal, nothing elsewhere. */
	cli_progress_start(&progress, json, "diff", "app folders compared");
	if (appctl_changes_init(&changes) != 0)
		return appctl_error_nomem();
	have_changes = 1;
	if ((err = appctl_repo_resolve(sides.from, cli->repo, sides.from_rev)) ||
	    (err = appctl_repo_resolve(sides.to, cli->repo, sides.to_rev)) ||
	    (err = list_side(&from, cli->repo, sides.from, sides.from_rev)) ||
	    (err = list_side(&to, cli->repo, sides.to, sides.to_rev)) ||
	    (err = diff_listings(&changes, cli->repo, &sides, from, to,
		    &progress.hooks)))
		goto cleanup;
	cli_progress_end(&progress);
	if (json)
		err = print_json(&changes, &sides);
	else if (markdown)
		err = print_markdown(&changes, &sides);
	else
		err = print_text(cli, &changes, &sides);
	if (err || !fail_on)
		goto cleanup;
	for (i = 0; i < changes.count; i++)
		if (changes.items[i].risk >= threshold)
			reached++;
	if (reached)
		err = appctl_error_new(APPCTL_EDENIED,
			"diff: %zu change%s at or above risk '%s' (--fail-on %s)",
			reached, reached == 1 ? "" : "s",
			appctl_risk_name(threshold), fail_on);
cleanup:
	if (have_changes) {
		cli_progress_end(&progress);
		appctl_changes_dispose(&changes);
	}
	appctl_app_listing_free(to);
	appctl_app_listing_free(from);
	return err;
}
