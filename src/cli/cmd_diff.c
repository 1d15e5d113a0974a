/* cmd_diff.c: `appctl diff A B`: what a change does to access and connections (SPEC §2). */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/access.h"
#include "appctl/diff.h"
#include "appctl/diff_revisions.h"
#include "appctl/diff_summary.h"
#include "appctl/json.h"
#include "appctl/strbuf.h"
#include "cli.h"
#include "progress.h"

/* The two sides as given on the command line and as resolved. */
typedef struct diff_sides {
	const char *from_rev;
	const char *to_rev;
	const char *range;       /* "A...B" as given, or NULL for two revisions */
	size_t md_limit;         /* the most bytes --markdown may print */
	char from[41];
	char to[41];
	appctl_date at;
} diff_sides;

/* ---- output ---- */

/* Defined with the Markdown output; the text and JSON summaries use it too. */
static void describe_cause(appctl_strbuf *b, const appctl_diff_cause *g, int md);

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
	if (c->page) {
		SEP();
		appctl_strbuf_printf(b, "page %s", c->page);
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
		/* A connector arriving or going: who owns it, what it may do. */
		if (c->owner || c->scopes || c->credentials)
			appctl_strbuf_printf(b, " owner %s",
				c->owner ? c->owner : "(none)");
		if (c->scopes)
			appctl_strbuf_printf(b, " scopes %s", c->scopes);
		if (c->credentials)
			appctl_strbuf_printf(b, " credentials %s", c->credentials);
	}
	/*
	 * Access through a temporary membership says when it ends (the
	 * expiry kinds and role.member_added show the date as their value).
	 */
	if (c->expires && strncmp(c->kind, "access.expiry_", 14) != 0 &&
	    strcmp(c->kind, "role.member_added") != 0) {
		SEP();
		appctl_strbuf_printf(b, "until %s", c->expires);
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

/* "diff A B (abc1234..def5678), …"; a range names its merge base. */
static void print_text_header(const appctl_cli *cli, const diff_sides *s,
	const char *day)
{
	if (s->range)
		printf("%sdiff %s%s (merge base %.7s..%.7s), access as of %s\n",
			appctl_cli_color(cli, APPCTL_BOLD), s->range,
			appctl_cli_color(cli, APPCTL_RESET), s->from, s->to, day);
	else
		printf("%sdiff %s %s%s (%.7s..%.7s), access as of %s\n",
			appctl_cli_color(cli, APPCTL_BOLD), s->from_rev, s->to_rev,
			appctl_cli_color(cli, APPCTL_RESET), s->from, s->to, day);
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
	print_text_header(cli, s, day);
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
	/* puts, not printf: this runs a few times for each of ~100 k changes. */
	appctl_strbuf_puts(b, ", \"");
	appctl_strbuf_puts(b, key);
	appctl_strbuf_puts(b, "\": ");
	if (value)
		appctl_json_quote(b, value);
	else
		appctl_strbuf_puts(b, "null");
}

/* `key` with a value that is JSON text already. */
static void json_raw(appctl_strbuf *b, const char *key, const char *json)
{
	appctl_strbuf_puts(b, ", \"");
	appctl_strbuf_puts(b, key);
	appctl_strbuf_puts(b, "\": ");
	appctl_strbuf_puts(b, json);
}

/*
 * The subject fields of a change, as JSON keys; one table for changes and
 * causes. Each key comes with its separator, ready to copy: this runs for
 * every field of ~100 k changes.
 */
static const struct {
	const char *prefix;
	size_t len;
	size_t offset;
} json_subjects[] = {
#define SUBJECT(f) { ", \"" #f "\": ", sizeof(", \"" #f "\": ") - 1, \
	offsetof(appctl_change, f) }
	SUBJECT(principal), SUBJECT(role), SUBJECT(group),
	SUBJECT(member), SUBJECT(resource), SUBJECT(action),
	SUBJECT(field), SUBJECT(integration), SUBJECT(scope),
	SUBJECT(env), SUBJECT(path), SUBJECT(via), SUBJECT(page),
	SUBJECT(expires), SUBJECT(owner)
#undef SUBJECT
};

#define SUBJECT_COUNT (sizeof(json_subjects) / sizeof(json_subjects[0]))
/* Quote slots: the subjects, then kind and app. */
#define QUOTE_KIND SUBJECT_COUNT
#define QUOTE_APP (SUBJECT_COUNT + 1)

/*
 * Each slot's last value, quoted: consecutive changes share their strings
 * (one app, one principal, one "via"), so most values are quoted once and
 * copied after. Values are compared by address: equal text elsewhere is
 * only quoted again.
 */
typedef struct json_quotes {
	const char *src[SUBJECT_COUNT + 2];
	appctl_strbuf text[SUBJECT_COUNT + 2];
} json_quotes;

static void put_quoted(appctl_strbuf *b, json_quotes *q, size_t slot,
	const char *v)
{
	if (!q) {
		appctl_json_quote(b, v);
		return;
	}
	if (q->src[slot] != v) {
		appctl_strbuf_truncate(&q->text[slot], 0);
		appctl_json_quote(&q->text[slot], v);
		q->src[slot] = v;
		if (q->text[slot].failed)
			b->failed = 1;
	}
	appctl_strbuf_add(b, q->text[slot].ptr, q->text[slot].len);
}

static void json_quotes_dispose(json_quotes *q)
{
	size_t i;

	for (i = 0; i < SUBJECT_COUNT + 2; i++)
		appctl_strbuf_dispose(&q->text[i]);
}

/* `q` NULL: nothing remembered (the summary's causes). */
static void json_subject_keys(appctl_strbuf *b, const appctl_change *c,
	json_quotes *q)
{
	size_t k;

	for (k = 0; k < SUBJECT_COUNT; k++) {
		const char *v = *(const char *const *)(const void *)
			((const char *)c + json_subjects[k].offset);

		if (v) {
			appctl_strbuf_add(b, json_subjects[k].prefix,
				json_subjects[k].len);
			put_quoted(b, q, k, v);
		}
	}
}

/*
 * `--json --summary`: "groups" (one per cause, with every app it reaches),
 * "by_app" and "by_principal", after "changes".
 */
static void json_summary(appctl_strbuf *b, const appctl_diff_summary *sum)
{
	appctl_strbuf line = APPCTL_STRBUF_INIT;
	size_t i, k;

	appctl_strbuf_puts(b, ",\n  \"groups\": [");
	for (i = 0; i < sum->cause_count; i++) {
		const appctl_diff_cause *g = &sum->causes[i];

		appctl_strbuf_puts(b, i ? ",\n    {\"cause\": {\"kind\": "
			: "\n    {\"cause\": {\"kind\": ");
		appctl_json_quote(b, g->cause->kind);
		json_subject_keys(b, g->cause, NULL);
		appctl_strbuf_puts(b, "}");
		appctl_strbuf_truncate(&line, 0);
		describe_cause(&line, g, 0);
		json_key_string(b, "headline", line.ptr ? line.ptr : "");
		json_key_string(b, "risk", appctl_risk_name(g->risk));
		appctl_strbuf_printf(b, ", \"changes\": %zu, \"summary\": {\"high\": "
			"%zu, \"medium\": %zu, \"low\": %zu}, \"principals\": %zu, "
			"\"apps\": [", g->change_count, g->counts[APPCTL_RISK_HIGH],
			g->counts[APPCTL_RISK_MEDIUM], g->counts[APPCTL_RISK_LOW],
			g->principal_count);
		for (k = 0; k < g->app_count; k++) {
			if (k)
				appctl_strbuf_puts(b, ", ");
			appctl_json_quote(b, g->apps[k]);
		}
		appctl_strbuf_puts(b, "]}");
	}
	appctl_strbuf_puts(b, sum->cause_count ? "\n  ],\n  \"by_app\": ["
		: "],\n  \"by_app\": [");
	for (i = 0; i < sum->app_count; i++) {
		appctl_strbuf_puts(b, i ? ", {\"app\": " : "{\"app\": ");
		appctl_json_quote(b, sum->apps[i].name);
		appctl_strbuf_printf(b, ", \"changes\": %zu}", sum->apps[i].count);
	}
	appctl_strbuf_puts(b, "],\n  \"by_principal\": [");
	for (i = 0; i < sum->principal_count; i++) {
		appctl_strbuf_puts(b, i ? ", {\"principal\": " : "{\"principal\": ");
		appctl_json_quote(b, sum->principals[i].name);
		appctl_strbuf_printf(b, ", \"changes\": %zu}",
			sum->principals[i].count);
	}
	appctl_strbuf_putc(b, ']');
	if (line.failed)
		b->failed = 1;
	appctl_strbuf_dispose(&line);
}

/* ", \"risk\": ..." by APPCTL_RISK_*, as json_key_string would write it. */
static const char *const json_risks[] = {
	", \"risk\": \"low\"", ", \"risk\": \"medium\"", ", \"risk\": \"high\""
};

/* Changes [from, to) of the "changes" array, one line each, into `b`. */
static void json_changes(appctl_strbuf *b, json_quotes *quotes,
	const appctl_changes *changes, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		const appctl_change *c = &changes->items[i];

		appctl_strbuf_puts(b, i ? ",\n    {\"kind\": " : "\n    {\"kind\": ");
		put_quoted(b, quotes, QUOTE_KIND, c->kind);
		appctl_strbuf_puts(b, json_risks[c->risk]);
		appctl_strbuf_puts(b, ", \"app\": ");
		if (c->app)
			put_quoted(b, quotes, QUOTE_APP, c->app);
		else
			appctl_strbuf_puts(b, "null");
		json_subject_keys(b, c, quotes);
		/* scopes, credentials, before and after are JSON texts already. */
		if (c->scopes)
			json_raw(b, "scopes", c->scopes);
		if (c->credentials)
			json_raw(b, "credentials", c->credentials);
		if (c->before)
			json_raw(b, "before", c->before);
		if (c->after)
			json_raw(b, "after", c->after);
		appctl_strbuf_putc(b, '}');
	}
}

/*
 * The "changes" array in blocks of JSON_BLOCK changes, written in order by
 * whichever of two threads rendered each: rendering was a quarter of a
 * large warm diff. Each thread reuses one buffer, so the output never sits
 * in memory whole (nor touches as many fresh pages).
 */
#define JSON_BLOCK 512

typedef struct json_blocks {
	const appctl_changes *changes;
	size_t count;             /* blocks */
	size_t next;              /* the block to write next */
	int failed;
	pthread_mutex_t lock;
	pthread_cond_t turn;
} json_blocks;

typedef struct json_renderer {
	json_blocks *w;
	size_t first, step;       /* its blocks: first, first + step, ... */
} json_renderer;

static void *json_render_blocks(void *arg)
{
	json_renderer *r = arg;
	json_blocks *w = r->w;
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	json_quotes quotes;
	size_t k;

	memset(&quotes, 0, sizeof(quotes));
	for (k = r->first; k < w->count; k += r->step) {
		size_t from = k * JSON_BLOCK, to = from + JSON_BLOCK;

		appctl_strbuf_truncate(&b, 0);
		json_changes(&b, &quotes, w->changes, from,
			to < w->changes->count ? to : w->changes->count);
		pthread_mutex_lock(&w->lock);
		while (w->next != k)
			pthread_cond_wait(&w->turn, &w->lock);
		if (b.failed)
			w->failed = 1;
		else if (!w->failed && b.len)
			fwrite(b.ptr, 1, b.len, stdout);
		w->next++;
		pthread_cond_broadcast(&w->turn);
		pthread_mutex_unlock(&w->lock);
	}
	json_quotes_dispose(&quotes);
	appctl_strbuf_dispose(&b);
	return NULL;
}

/*
 * Streamed one change per line rather than built as one cJSON tree: a group
 * move in a large org yields many changes, and the output should not cost
 * more memory than the diff itself. One line per change also keeps golden
 * files readable.
 */
static appctl_error *print_json(const appctl_changes *changes,
	const diff_sides *s, const appctl_diff_summary *sum)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	json_blocks w = { changes,
		(changes->count + JSON_BLOCK - 1) / JSON_BLOCK, 0, 0,
		PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };
	json_renderer mine = { &w, 0, 2 }, other = { &w, 1, 2 };
	pthread_t helper;
	int helped = 0, forced;
	size_t counts[3];
	char day[11];

	appctl_date_format(day, s->at);
	appctl_strbuf_puts(&b, "{\n  \"from\": ");
	appctl_json_quote(&b, s->from_rev);
	appctl_strbuf_puts(&b, ",\n  \"to\": ");
	appctl_json_quote(&b, s->to_rev);
	if (s->range) {
		appctl_strbuf_puts(&b, ",\n  \"range\": ");
		appctl_json_quote(&b, s->range);
	}
	appctl_strbuf_printf(&b, ",\n  \"from_commit\": \"%s\",\n"
		"  \"to_commit\": \"%s\",\n  \"at\": \"%s\",\n  \"changes\": [",
		s->from, s->to, day);
	if (b.failed) {
		appctl_strbuf_dispose(&b);
		return appctl_error_nomem();
	}
	fwrite(b.ptr, 1, b.len, stdout);
	appctl_strbuf_truncate(&b, 0);
	helped = w.count > 2 && appctl_diff_threads(&forced) > 1 &&
		pthread_create(&helper, NULL, json_render_blocks, &other) == 0;
	if (!helped)
		mine.step = 1;
	json_render_blocks(&mine);
	if (helped)
		pthread_join(helper, NULL);
	pthread_cond_destroy(&w.turn);
	pthread_mutex_destroy(&w.lock);
	appctl_strbuf_puts(&b, changes->count ? "\n  ]" : "]");
	if (sum)
		json_summary(&b, sum);
	appctl_changes_summary(changes, counts);
	appctl_strbuf_printf(&b, ",\n  \"summary\": {\"high\": %zu, "
		"\"medium\": %zu, \"low\": %zu}\n}\n", counts[APPCTL_RISK_HIGH],
		counts[APPCTL_RISK_MEDIUM], counts[APPCTL_RISK_LOW]);
	if (b.failed || w.failed)
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

/*
 * A pull-request comment holds 65,536 characters; the review stays under
 * MD_HARD_LIMIT bytes (bytes >= characters) whatever the diff, and is
 * summarised by cause once the full list would pass MD_AUTO_SUMMARY.
 */
#define MD_HARD_LIMIT 60000
#define MD_AUTO_SUMMARY 20000
/* The smallest --max-chars: room for the header, a few causes and the note. */
#define MD_MIN_LIMIT 4000
/* What the closing lines (end of <details>, the note on what was cut) may take. */
#define MD_RESERVE 1200
/* Rows of the by-cause list and of the by-app / by-principal tables. */
#define MD_MAX_CAUSES 40
#define MD_MAX_TALLIES 10
/* App names quoted after a cause. */
#define NAMED_APPS 5

/* One row of the change table. */
static void md_change_row(appctl_strbuf *b, appctl_strbuf *subject,
	const appctl_change *c)
{
	appctl_strbuf_printf(b, c->risk == APPCTL_RISK_HIGH ? "| **%s** | "
		: "| %s | ", appctl_risk_name(c->risk));
	md_cell(b, c->kind, 1);
	appctl_strbuf_puts(b, " | ");
	appctl_strbuf_truncate(subject, 0);
	describe_subject(subject, c);
	if (c->via)
		appctl_strbuf_printf(subject, " (via %s)", c->via);
	md_cell(b, subject->ptr ? subject->ptr : "", 0);
	appctl_strbuf_puts(b, " | ");
	if (c->before || c->after) {
		md_cell(b, c->before ? c->before : "(none)", c->before != NULL);
		appctl_strbuf_puts(b, " \xe2\x86\x92 ");
		md_cell(b, c->after ? c->after : "(none)", c->after != NULL);
	}
	appctl_strbuf_puts(b, " |\n");
}

/*
 * Appends the change tables (one per app) to `b` while it stays within
 * `limit` bytes; returns how many changes it holds. A row that would pass
 * the limit is left out with all that follow, never cut in the middle.
 */
static size_t md_change_tables(appctl_strbuf *b, const appctl_changes *changes,
	size_t limit)
{
	appctl_strbuf piece = APPCTL_STRBUF_INIT, subject = APPCTL_STRBUF_INIT;
	size_t i;

	for (i = 0; i < changes->count; i++) {
		const appctl_change *c = &changes->items[i];

		appctl_strbuf_truncate(&piece, 0);
		if (i == 0 || !same_app(c, &changes->items[i - 1])) {
			appctl_strbuf_puts(&piece, "\n#### ");
			if (c->app)
				md_cell(&piece, c->app, 1);
			else
				appctl_strbuf_puts(&piece,
					"policy (appctl.json, allowed_signers)");
			appctl_strbuf_puts(&piece, "\n\n| risk | change | subject | "
				"before \xe2\x86\x92 after |\n| --- | --- | --- | --- |\n");
		}
		md_change_row(&piece, &subject, c);
		if (piece.failed || subject.failed || b->len + piece.len > limit)
			break;
		appctl_strbuf_add(b, piece.ptr, piece.len);
	}
	appctl_strbuf_dispose(&subject);
	appctl_strbuf_dispose(&piece);
	return i;
}

/* A name in a line of prose: a code span in Markdown, as is in text. */
static void put_name(appctl_strbuf *b, const char *name, int md)
{
	if (md)
		md_cell(b, name, 1);
	else
		appctl_strbuf_puts(b, name);
}

static void put_count(appctl_strbuf *b, size_t n, const char *one,
	const char *many)
{
	appctl_strbuf_printf(b, "%zu %s", n, n == 1 ? one : many);
}

/*
 * One cause in a line: what changed, what it did, where. For example
 * "group team7 gained newhire@example.com: access granted in 207 apps
 * (app-001, app-002, …and 202 more); 1 210 changes: 800 high, …".
 */
static void describe_cause(appctl_strbuf *b, const appctl_diff_cause *g, int md)
{
	const appctl_change *c = g->cause;
	int gained = strstr(c->kind, "_added") != NULL;
	size_t i;

	if (strncmp(c->kind, "group.member_", 13) == 0 && c->group &&
	    c->principal) {
		appctl_strbuf_puts(b, "group ");
		put_name(b, c->group, md);
		appctl_strbuf_puts(b, gained ? " gained " : " lost ");
		put_name(b, c->principal, md);
	} else if (strncmp(c->kind, "role.member_", 12) == 0 && c->role &&
		   c->member) {
		appctl_strbuf_puts(b, "role ");
		put_name(b, c->role, md);
		appctl_strbuf_puts(b, gained ? " gained " : " lost ");
		put_name(b, c->member, md);
	} else if (strncmp(c->kind, "role.grant_", 11) == 0 && c->role &&
		   c->resource) {
		appctl_strbuf_puts(b, "role ");
		put_name(b, c->role, md);
		appctl_strbuf_puts(b, gained ? " was granted " : " lost its grant on ");
		put_name(b, c->resource, md);
	} else {
		appctl_strbuf subject = APPCTL_STRBUF_INIT;

		put_name(b, c->kind, md);
		describe_subject(&subject, c);
		if (subject.len) {
			appctl_strbuf_putc(b, ' ');
			put_name(b, subject.ptr, 0);
		}
		if (subject.failed)
			b->failed = 1;
		appctl_strbuf_dispose(&subject);
	}
	if (g->app_count) {
		appctl_strbuf_puts(b, ": ");
		if (g->granted && g->revoked)
			appctl_strbuf_puts(b, "access granted and revoked in ");
		else if (g->granted)
			appctl_strbuf_puts(b, "access granted in ");
		else if (g->revoked)
			appctl_strbuf_puts(b, "access revoked in ");
		else
			appctl_strbuf_puts(b, "in ");
		put_count(b, g->app_count, "app", "apps");
		appctl_strbuf_puts(b, " (");
		for (i = 0; i < g->app_count && i < NAMED_APPS; i++) {
			if (i)
				appctl_strbuf_puts(b, ", ");
			put_name(b, g->apps[i], md);
		}
		if (g->app_count > NAMED_APPS)
			appctl_strbuf_printf(b, ", \xe2\x80\xa6" "and %zu more",
				g->app_count - NAMED_APPS);
		appctl_strbuf_putc(b, ')');
	}
	if (g->principal_count > 1) {
		appctl_strbuf_puts(b, " for ");
		put_count(b, g->principal_count, "principal", "principals");
	}
	appctl_strbuf_puts(b, "; ");
	put_count(b, g->change_count, "change", "changes");
	if (g->change_count > 1)
		appctl_strbuf_printf(b, ": %zu high, %zu medium, %zu low",
			g->counts[APPCTL_RISK_HIGH], g->counts[APPCTL_RISK_MEDIUM],
			g->counts[APPCTL_RISK_LOW]);
}

static void md_tally_table(appctl_strbuf *b, const char *title,
	const char *column, const appctl_diff_tally *t, size_t n)
{
	size_t i;

	if (!n)
		return;
	appctl_strbuf_printf(b, "\n#### %s%s\n\n| %s | changes | high | medium "
		"| low |\n| --- | ---: | ---: | ---: | ---: |\n", title,
		n > MD_MAX_TALLIES ? " (the busiest)" : "", column);
	for (i = 0; i < n && i < MD_MAX_TALLIES; i++) {
		appctl_strbuf_puts(b, "| ");
		md_cell(b, t[i].name, 1);
		appctl_strbuf_printf(b, " | %zu | %zu | %zu | %zu |\n", t[i].count,
			t[i].counts[APPCTL_RISK_HIGH], t[i].counts[APPCTL_RISK_MEDIUM],
			t[i].counts[APPCTL_RISK_LOW]);
	}
	if (n > MD_MAX_TALLIES)
		appctl_strbuf_printf(b, "\n\xe2\x80\xa6" "and %zu more.\n",
			n - MD_MAX_TALLIES);
}

/* The command that gives every change, for the note on what was cut. */
static void md_full_command(appctl_strbuf *b, const diff_sides *s)
{
	appctl_strbuf_puts(b, "`appctl diff --json ");
	if (s->range)
		md_cell(b, s->range, 0);
	else {
		md_cell(b, s->from_rev, 0);
		appctl_strbuf_putc(b, ' ');
		md_cell(b, s->to_rev, 0);
	}
	appctl_strbuf_putc(b, '`');
}

/*
 * The summary: causes, the busiest apps and principals, then the full list
 * folded in <details> as far as the limit allows, and a note on the rest.
 */
static void md_summary(appctl_strbuf *b, const appctl_changes *changes,
	const appctl_diff_summary *sum, const diff_sides *s)
{
	appctl_strbuf line = APPCTL_STRBUF_INIT;
	size_t i, shown, causes_shown = 0;

	appctl_strbuf_printf(b, "\n#### By cause\n\n");
	for (i = 0; i < sum->cause_count && i < MD_MAX_CAUSES; i++) {
		appctl_strbuf_truncate(&line, 0);
		appctl_strbuf_printf(&line, sum->causes[i].risk == APPCTL_RISK_HIGH
			? "- **%s** " : "- %s ", appctl_risk_name(sum->causes[i].risk));
		describe_cause(&line, &sum->causes[i], 1);
		appctl_strbuf_putc(&line, '\n');
		/* Half the page at most for causes: the tables and note need room. */
		if (line.failed || b->len + line.len > s->md_limit / 2)
			break;
		appctl_strbuf_add(b, line.ptr, line.len);
		causes_shown++;
	}
	if (causes_shown < sum->cause_count)
		appctl_strbuf_printf(b, "- \xe2\x80\xa6" "and %zu more causes (every "
			"change is in the list below or in the JSON output)\n",
			sum->cause_count - causes_shown);
	appctl_strbuf_dispose(&line);
	md_tally_table(b, "Apps", "app", sum->apps, sum->app_count);
	md_tally_table(b, "Principals", "principal", sum->principals,
		sum->principal_count);
	appctl_strbuf_printf(b, "\n<details><summary>All %zu change%s</summary>\n",
		changes->count, changes->count == 1 ? "" : "s");
	shown = md_change_tables(b, changes, s->md_limit - MD_RESERVE);
	appctl_strbuf_puts(b, "\n</details>\n");
	if (shown < changes->count) {
		appctl_strbuf_printf(b, "\n> **Cut to fit a comment:** the list "
			"above shows %zu of %zu changes; %zu are left out. Get every "
			"change with ", shown, changes->count, changes->count - shown);
		md_full_command(b, s);
		appctl_strbuf_puts(b, ", or from the full report kept as a CI "
			"artifact.\n");
	}
}

/*
 * The last guard of the limit, for names so long that the budgets above
 * were not enough: cut at a line end and say so.
 */
static void md_clamp(appctl_strbuf *b, size_t limit)
{
	static const char note[] = "\n\n> **Cut to fit a comment** (names too "
		"long to show); get every change with `appctl diff --json`.\n";
	size_t cut = limit - sizeof(note) - sizeof("\n</details>");

	const char *open;

	while (cut > 0 && b->ptr[cut - 1] != '\n')
		cut--;
	appctl_strbuf_truncate(b, cut);
	/* A <details> left open would fold the note, and all that follows. */
	open = strstr(b->ptr, "<details>");
	if (open && !strstr(open, "</details>"))
		appctl_strbuf_puts(b, "\n</details>");
	appctl_strbuf_puts(b, note);
}

/*
 * The whole review into `b`: a header, then either the change tables (when
 * they are short and no summary was asked for) or the summary.
 */
static appctl_error *render_markdown(appctl_strbuf *b,
	const appctl_changes *changes, const diff_sides *s, int summary)
{
	appctl_diff_summary *sum = NULL;
	appctl_error *err = NULL;
	size_t counts[3], header;
	char day[11];

	appctl_date_format(day, s->at);
	appctl_changes_summary(changes, counts);
	appctl_strbuf_puts(b, "### appctl diff ");
	md_cell(b, s->from_rev, 1);
	appctl_strbuf_puts(b, " \xe2\x86\x92 ");
	md_cell(b, s->to_rev, 1);
	if (s->range)
		appctl_strbuf_printf(b, " (from the merge base `%.7s`)", s->from);
	appctl_strbuf_puts(b, "\n\n");
	if (!changes->count) {
		appctl_strbuf_printf(b, "No changes to access or connections "
			"(access as of %s).\n", day);
		return b->failed ? appctl_error_nomem() : NULL;
	}
	appctl_strbuf_printf(b, "**%zu change%s**: %zu high, %zu medium, "
		"%zu low (access as of %s)\n", changes->count,
		changes->count == 1 ? "" : "s", counts[APPCTL_RISK_HIGH],
		counts[APPCTL_RISK_MEDIUM], counts[APPCTL_RISK_LOW], day);
	header = b->len;
	if (!summary && md_change_tables(b, changes,
			s->md_limit < MD_AUTO_SUMMARY ? s->md_limit : MD_AUTO_SUMMARY) ==
			changes->count)
		return b->failed ? appctl_error_nomem() : NULL;
	appctl_strbuf_truncate(b, header);
	err = appctl_diff_summarize(&sum, changes);
	if (!err)
		md_summary(b, changes, sum, s);
	appctl_diff_summary_free(sum);
	if (!err && b->failed)
		err = appctl_error_nomem();
	if (!err && b->len > s->md_limit)
		md_clamp(b, s->md_limit);
	return err;
}

static appctl_error *print_markdown(const appctl_changes *changes,
	const diff_sides *s, int summary)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	appctl_error *err = render_markdown(&b, changes, s, summary);

	if (!err)
		fwrite(b.ptr, 1, b.len, stdout);
	appctl_strbuf_dispose(&b);
	return err;
}

/* `--summary` in text: the causes, then the busiest apps and principals. */
static appctl_error *print_text_summary(const appctl_cli *cli,
	const appctl_changes *changes, const diff_sides *s)
{
	appctl_diff_summary *sum = NULL;
	appctl_strbuf line = APPCTL_STRBUF_INIT;
	appctl_error *err;
	size_t counts[3], i;
	char day[11];

	if (!changes->count)
		return print_text(cli, changes, s);
	err = appctl_diff_summarize(&sum, changes);
	if (err)
		return err;
	appctl_date_format(day, s->at);
	appctl_changes_summary(changes, counts);
	print_text_header(cli, s, day);
	printf("%zu change%s: ", changes->count, changes->count == 1 ? "" : "s");
	print_summary_counts(stdout, counts);
	printf("\n\nby cause:\n");
	for (i = 0; i < sum->cause_count; i++) {
		appctl_strbuf_truncate(&line, 0);
		describe_cause(&line, &sum->causes[i], 0);
		if (line.failed)
			break;
		printf("  %s%-6s%s %s\n", risk_color(cli, sum->causes[i].risk),
			appctl_risk_name(sum->causes[i].risk),
			appctl_cli_color(cli, APPCTL_RESET), line.ptr);
	}
	if (sum->app_count)
		printf("\nby app:\n");
	for (i = 0; i < sum->app_count && i < MD_MAX_TALLIES; i++)
		printf("  %-30s %zu change%s (%zu high)\n", sum->apps[i].name,
			sum->apps[i].count, sum->apps[i].count == 1 ? "" : "s",
			sum->apps[i].counts[APPCTL_RISK_HIGH]);
	if (sum->app_count > MD_MAX_TALLIES)
		printf("  ...and %zu more apps\n", sum->app_count - MD_MAX_TALLIES);
	if (sum->principal_count)
		printf("\nby principal:\n");
	for (i = 0; i < sum->principal_count && i < MD_MAX_TALLIES; i++)
		printf("  %-30s %zu change%s (%zu high)\n", sum->principals[i].name,
			sum->principals[i].count,
			sum->principals[i].count == 1 ? "" : "s",
			sum->principals[i].counts[APPCTL_RISK_HIGH]);
	if (sum->principal_count > MD_MAX_TALLIES)
		printf("  ...and %zu more principals\n",
			sum->principal_count - MD_MAX_TALLIES);
	if (line.failed)
		err = appctl_error_nomem();
	appctl_strbuf_dispose(&line);
	appctl_diff_summary_free(sum);
	return err;
}

/* ---- the command ---- */

/* --max-chars: MD_MIN_LIMIT..MD_HARD_LIMIT; a comment is never allowed more. */
static int parse_md_limit(size_t *out, const char *text)
{
	unsigned long v;
	char *end;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v < MD_MIN_LIMIT || v > MD_HARD_LIMIT)
		return -1;
	*out = (size_t)v;
	return 0;
}

/*
 * "A...B" (from the merge base of A and B to B, as `git diff A...B`) or
 * "A..B" (the same as "A B"). *from_copy receives A, which the caller frees.
 */
static appctl_error *split_range(char **from_copy, diff_sides *sides,
	const char *arg)
{
	const char *dots = strstr(arg, "..");
	size_t ndots;

	if (!dots)
		return appctl_error_new(APPCTL_EUSAGE,
			"diff needs two revisions (A B) or a range (A...B)");
	ndots = dots[2] == '.' ? 3 : 2;
	if (dots == arg || !dots[ndots] || strstr(dots + ndots, ".."))
		return appctl_error_new(APPCTL_EUSAGE,
			"'%s': a range needs a revision on each side (A...B)", arg);
	*from_copy = appctl_str_printf("%.*s", (int)(dots - arg), arg);
	if (!*from_copy)
		return appctl_error_nomem();
	sides->from_rev = *from_copy;
	sides->to_rev = dots + ndots;
	if (ndots == 3)
		sides->range = arg;
	return NULL;
}

/* Both sides to commits; for A...B the old side is the merge base. */
static appctl_error *resolve_sides(diff_sides *s, appctl_repo *repo)
{
	char a[41];
	appctl_error *err;

	if ((err = appctl_repo_resolve(a, repo, s->from_rev)) ||
	    (err = appctl_repo_resolve(s->to, repo, s->to_rev)))
		return err;
	if (!s->range) {
		memcpy(s->from, a, sizeof(a));
		return NULL;
	}
	return appctl_repo_merge_base(s->from, repo, a, s->to, s->from_rev,
		s->to_rev);
}

appctl_error *cmd_diff(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL }, *at = NULL, *fail_on = NULL;
	const char *max_chars = NULL;
	int npos, help, json = 0, markdown = 0, summary = 0;
	const appctl_opt opts[] = {
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ "markdown", 0, APPCTL_OPT_FLAG, &markdown, NULL },
		{ "summary", 0, APPCTL_OPT_FLAG, &summary, NULL },
		{ "max-chars", 0, APPCTL_OPT_STRING, &max_chars, "N" },
		{ "fail-on", 0, APPCTL_OPT_STRING, &fail_on, "RISK" },
		{ "at", 0, APPCTL_OPT_STRING, &at, "DATE" },
		{ 0 }
	};
	appctl_diff_summary *sum = NULL;
	char *range_from = NULL;
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
	if (npos == 1)
		err = split_range(&range_from, &sides, pos[0]);
	else if (npos != 2)
		err = appctl_error_new(APPCTL_EUSAGE,
			"usage: appctl diff A B | A...B [--json | --markdown] "
			"[--summary] [--max-chars N] [--fail-on high|medium|low] "
			"[--at DATE]");
	if (err)
		return err;
	sides.at = appctl_cli_today();
	sides.md_limit = MD_HARD_LIMIT;
	if (fail_on && appctl_risk_parse(&threshold, fail_on) != 0)
		err = appctl_error_new(APPCTL_EUSAGE,
			"--fail-on: '%s' is not a risk (high, medium or low)", fail_on);
	else if (at && appctl_date_parse(&sides.at, at) != 0)
		err = appctl_error_new(APPCTL_EUSAGE,
			"--at: '%s' is not a date (YYYY-MM-DD)", at);
	else if (max_chars && !markdown)
		err = appctl_error_new(APPCTL_EUSAGE,
			"--max-chars applies to --markdown only");
	else if (max_chars && parse_md_limit(&sides.md_limit, max_chars) != 0)
		err = appctl_error_new(APPCTL_EUSAGE,
			"--max-chars: '%s' is not a number from %d to %d", max_chars,
			MD_MIN_LIMIT, MD_HARD_LIMIT);
	if (err)
		goto cleanup;
	if (npos == 2) {
		sides.from_rev = pos[0];
		sides.to_rev = pos[1];
	}

	if ((err = appctl_repo_open(&cli->repo, cli->dir)))
		goto cleanup;
	/* Hundreds of apps take a while: a counter on a terminal, nothing elsewhere. */
	cli_progress_start(&progress, json, "diff", "app folders compared");
	if (appctl_changes_init(&changes) != 0) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	have_changes = 1;
	if ((err = resolve_sides(&sides, cli->repo)) ||
	    (err = appctl_diff_revisions(&changes, cli->repo, sides.from,
		    sides.from_rev, sides.to, sides.to_rev, sides.at,
		    &progress.hooks)))
		goto cleanup;
	cli_progress_end(&progress);
	if (json && summary && (err = appctl_diff_summarize(&sum, &changes)))
		goto cleanup;
	if (json)
		err = print_json(&changes, &sides, sum);
	else if (markdown)
		err = print_markdown(&changes, &sides, summary);
	else if (summary)
		err = print_text_summary(cli, &changes, &sides);
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
	appctl_diff_summary_free(sum);
	if (have_changes) {
		cli_progress_end(&progress);
		appctl_changes_dispose(&changes);
	}
	free(range_from);
	return err;
}
