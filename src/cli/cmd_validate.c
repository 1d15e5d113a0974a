/* cmd_validate.c: `appctl validate [REV] [--worktree] [--json | --sarif [--max-results N]] [--fail-on LEVEL] [--at DATE]`. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appctl/json.h"
#include "appctl/lint.h"
#include "cli.h"
#include "progress.h"

/* A finding with the line it points at (0 when the path is not in the text). */
typedef struct located {
	const appctl_finding *finding;
	unsigned line;
	unsigned column;
	size_t order; /* its index in the lint's order, which breaks ties */
} located;

static char *read_worktree_file(const char *dir, const char *path, size_t *len)
{
	appctl_strbuf full = APPCTL_STRBUF_INIT, data = APPCTL_STRBUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd;

	appctl_strbuf_printf(&full, "%s/%s", dir, path);
	if (full.failed)
		return NULL;
	fd = open(full.ptr, O_RDONLY | O_NOFOLLOW);
	appctl_strbuf_dispose(&full);
	if (fd < 0)
		return NULL;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 &&
	       data.len <= APPCTL_JSON_MAX_BYTES)
		appctl_strbuf_add(&data, chunk, (size_t)n);
	close(fd);
	*len = data.len;
	return appctl_strbuf_detach(&data);
}

/*
 * Points the findings out[from..to) of one file at their lines, in one pass
 * over its text. Best effort: a path the text does not hold leaves line 0,
 * and the JSON path still says where.
 */
static appctl_error *locate_file(located *out, size_t from, size_t to,
	const char *text, size_t len)
{
	const char **paths = calloc(to - from, sizeof(*paths));
	appctl_json_location *where = calloc(to - from, sizeof(*where));
	appctl_error *err = NULL;
	size_t i;

	if (!paths || !where) {
		err = appctl_error_nomem();
		goto done;
	}
	for (i = from; i < to; i++)
		paths[i - from] =
			out[i].finding->path ? out[i].finding->path : "$";
	err = appctl_json_locate_all(where, text, len, paths, to - from);
	for (i = from; !err && i < to; i++) {
		out[i].line = where[i - from].line;
		out[i].column = where[i - from].column;
	}
done:
	free(where);
	free(paths);
	return err;
}

/*
 * Points each finding at a line by re-reading its file, once per file
 * (findings come sorted by file). A file that cannot be read from the work
 * tree leaves line 0.
 */
static appctl_error *locate_findings(located *out, const appctl_findings *f,
	appctl_cli *cli, const char *commit, const char *worktree_dir)
{
	appctl_error *err = NULL;
	size_t from, to;

	for (from = 0; from < f->count; from++) {
		out[from].finding = &f->items[from];
		out[from].line = out[from].column = 0;
		out[from].order = from;
	}
	for (from = 0; !err && from < f->count; from = to) {
		const char *file = f->items[from].file;
		char *text = NULL;
		size_t len = 0;

		for (to = from + 1;
			to < f->count && strcmp(f->items[to].file, file) == 0;
			to++)
			;
		if (worktree_dir)
			text = read_worktree_file(worktree_dir, file, &len);
		else
			err = appctl_repo_read_path(&text, &len, cli->repo,
				commit, file);
		if (!err && text)
			err = locate_file(out, from, to, text, len);
		free(text);
	}
	return err;
}

/*
 * Text order within a file: line, column, then rule; the lint's own order
 * (JSON path, message) settles the rest, so the output is the same on
 * every run. A finding without a line (0) comes first, as for the file.
 */
static int compare_located(const void *pa, const void *pb)
{
	const located *a = pa, *b = pb;
	int c;

	if ((c = strcmp(a->finding->file, b->finding->file)) != 0)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->column != b->column)
		return a->column < b->column ? -1 : 1;
	if ((c = strcmp(a->finding->rule, b->finding->rule)) != 0)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static const char *severity_name(appctl_severity s)
{
	return s == APPCTL_SEV_ERROR ? "error" : "warning";
}

static void print_text(appctl_cli *cli, const located *loc, size_t n,
	const appctl_findings *f, size_t app_count, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const appctl_finding *fi = loc[i].finding;
		const char *color = fi->severity == APPCTL_SEV_ERROR
			? APPCTL_RED : APPCTL_YELLOW;

		if (loc[i].line)
			printf("%s:%u:%u: ", fi->file, loc[i].line, loc[i].column);
		else
			printf("%s: ", fi->file);
		printf("%s%s%s: %s [%s] (%s)\n", appctl_cli_color(cli, color),
			severity_name(fi->severity),
			appctl_cli_color(cli, APPCTL_RESET), fi->message, fi->rule,
			fi->path ? fi->path : "$");
	}
	/* What the organisation turned down or up is part of the verdict. */
	for (i = 0; i < f->override_count; i++) {
		const appctl_applied_override *o = &f->overrides[i];

		printf("appctl.json: override: %s %s -> %s (%zu finding%s): %s\n",
			o->rule, severity_name(o->from),
			appctl_lint_level_name(o->level),
			o->findings, o->findings == 1 ? "" : "s",
			o->justification);
	}
	printf("%s: %zu app%s, %zu error%s, %zu warning%s\n", what, app_count,
		app_count == 1 ? "" : "s", f->errors, f->errors == 1 ? "" : "s",
		f->warnings, f->warnings == 1 ? "" : "s");
}

static cJSON *finding_json(const located *l)
{
	const appctl_finding *fi = l->finding;
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "rule", fi->rule);
	cJSON_AddStringToObject(o, "severity", severity_name(fi->severity));
	cJSON_AddStringToObject(o, "file", fi->file);
	cJSON_AddStringToObject(o, "path", fi->path ? fi->path : "$");
	if (l->line) {
		cJSON_AddNumberToObject(o, "line", l->line);
		cJSON_AddNumberToObject(o, "column", l->column);
	}
	cJSON_AddStringToObject(o, "message", fi->message);
	return o;
}

static cJSON *report_json(const located *loc, size_t n, size_t errors,
	size_t warnings, const char *revision, const char *commit)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	size_t i;

	if (!root)
		return NULL;
	cJSON_AddStringToObject(root, "revision", revision);
	if (commit && *commit)
		cJSON_AddStringToObject(root, "commit", commit);
	arr = cJSON_AddArrayToObject(root, "findings");
	for (i = 0; arr && i < n; i++)
		cJSON_AddItemToArray(arr, finding_json(&loc[i]));
	cJSON_AddNumberToObject(root, "errors", (double)errors);
	cJSON_AddNumberToObject(root, "warnings", (double)warnings);
	return root;
}

/* validate --json's "overrides": every applied lint.rules entry. */
static cJSON *add_overrides_json(cJSON *root, const appctl_findings *f)
{
	cJSON *arr;
	size_t i;

	if (!root)
		return NULL;
	arr = cJSON_AddArrayToObject(root, "overrides");
	for (i = 0; arr && i < f->override_count; i++) {
		const appctl_applied_override *o = &f->overrides[i];
		cJSON *item = cJSON_CreateObject();

		cJSON_AddItemToArray(arr, item);
		cJSON_AddStringToObject(item, "rule", o->rule);
		cJSON_AddStringToObject(item, "default", severity_name(o->from));
		cJSON_AddStringToObject(item, "severity",
			appctl_lint_level_name(o->level));
		cJSON_AddStringToObject(item, "justification", o->justification);
		cJSON_AddNumberToObject(item, "findings", (double)o->findings);
	}
	return root;
}

/*
 * Code scanning shows beside a rule why it matters (fullDescription), how
 * to fix it (help) and a CVSS-like score that ranks its alerts
 * (security-severity: 9+ critical, 7+ high, 4+ medium): every lint rule
 * carries them in the lint's table (lint.c). Schema errors are findings of
 * validate, not of the lint: their entry lives here.
 */
static const appctl_lint_rule schema_rule = {
	"schema.invalid", APPCTL_SEV_ERROR,
	"definition or policy does not match the schema", 0,
	"A definition or the policy that breaks the schema is refused as a whole: nothing in it is checked further.",
	"Fix the file at the JSON path named in the message (appctl validate --worktree checks before committing).",
	"5.0"
};

/* "integration.owner-missing" -> "IntegrationOwnerMissing": SARIF's rule name. */
static char *rule_name(const char *id)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	int upper = 1;
	const char *p;

	for (p = id; *p; p++) {
		if (*p == '.' || *p == '-') {
			upper = 1;
			continue;
		}
		appctl_strbuf_putc(&b, upper && *p >= 'a' && *p <= 'z'
			? (char)(*p - 'a' + 'A') : *p);
		upper = 0;
	}
	return appctl_strbuf_detach(&b);
}

/*
 * A stable identity for a finding across runs, for code scanning to
 * match alerts when lines move: FNV-1a of rule, file and JSON path.
 */
static void finding_fingerprint(char out[17], const appctl_finding *fi)
{
	const char *parts[3];
	unsigned long long h = 1469598103934665603ULL;
	size_t i;
	const char *p;

	parts[0] = fi->rule;
	parts[1] = fi->file;
	parts[2] = fi->path ? fi->path : "$";
	for (i = 0; i < 3; i++) {
		for (p = parts[i]; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 1099511628211ULL;
		}
		h ^= 0x1f;
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%016llx", h);
}

static void add_sarif_rule(cJSON *arr, const appctl_lint_rule *h)
{
	const char *id = h->id, *summary = h->summary,
		*level = severity_name(h->severity);
	cJSON *rule = cJSON_CreateObject(), *help, *props, *tags;
	char *name = rule_name(id);
	appctl_strbuf md = APPCTL_STRBUF_INIT, uri = APPCTL_STRBUF_INIT;

	cJSON_AddItemToArray(arr, rule);
	cJSON_AddStringToObject(rule, "id", id);
	cJSON_AddStringToObject(rule, "name", name ? name : id);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(rule,
		"shortDescription"), "text", summary);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(rule,
		"fullDescription"), "text", h->why);
	appctl_strbuf_printf(&md, "**%s** (%s): %s\n\n%s\n\n**Fix:** %s\n\n"
		"See `appctl help validate` (RULES).", id, level, summary,
		h->why, h->fix);
	help = cJSON_AddObjectToObject(rule, "help");
	cJSON_AddStringToObject(help, "text", h->fix);
	cJSON_AddStringToObject(help, "markdown", md.ptr ? md.ptr : summary);
	appctl_strbuf_puts(&uri, APPCTL_HOMEPAGE_URL
		"/blob/main/docs/commands/validate.md#rules");
	if (uri.ptr)
		cJSON_AddStringToObject(rule, "helpUri", uri.ptr);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(rule,
		"defaultConfiguration"), "level", level);
	props = cJSON_AddObjectToObject(rule, "properties");
	tags = cJSON_AddArrayToObject(props, "tags");
	cJSON_AddItemToArray(tags, cJSON_CreateString("security"));
	cJSON_AddItemToArray(tags, cJSON_CreateString("appctl"));
	cJSON_AddStringToObject(props, "precision", "very-high");
	cJSON_AddStringToObject(props, "problem.severity",
		strcmp(level, "error") == 0 ? "error" : "warning");
	cJSON_AddStringToObject(props, "security-severity", h->security_severity);
	appctl_strbuf_dispose(&uri);
	appctl_strbuf_dispose(&md);
	free(name);
}

/*
 * SARIF 2.1.0 as GitHub code scanning reads it: rules with descriptions and
 * help, results with locations and fingerprints. `omitted` results were
 * left out by --max-results `limit`: the run says so twice, in its
 * properties for tools and in a notification for people. The properties
 * also count every error and warning, kept or not, for a CI summary.
 */
static cJSON *report_sarif(const located *loc, size_t n, size_t omitted,
	size_t limit, size_t errors, size_t warnings)
{
	const appctl_lint_rule *rules;
	size_t rule_count, i, r;
	cJSON *root = cJSON_CreateObject(), *runs, *run, *driver, *arr, *res;
	cJSON *invocations, *inv;

	if (!root)
		return NULL;
	cJSON_AddStringToObject(root, "$schema",
		"https://json.schemastore.org/sarif-2.1.0.json");
	cJSON_AddStringToObject(root, "version", "2.1.0");
	runs = cJSON_AddArrayToObject(root, "runs");
	run = cJSON_CreateObject();
	cJSON_AddItemToArray(runs, run);
	driver = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"),
		"driver");
	cJSON_AddStringToObject(driver, "name", "appctl");
	cJSON_AddStringToObject(driver, "version", APPCTL_VERSION);
	cJSON_AddStringToObject(driver, "semanticVersion", APPCTL_VERSION);
	cJSON_AddStringToObject(driver, "informationUri", APPCTL_HOMEPAGE_URL);
	arr = cJSON_AddArrayToObject(driver, "rules");
	rules = appctl_lint_rules(&rule_count);
	for (r = 0; r < rule_count; r++)
		add_sarif_rule(arr, &rules[r]);
	/* The last entry is the schema check, which is not a lint rule. */
	add_sarif_rule(arr, &schema_rule);
	invocations = cJSON_AddArrayToObject(run, "invocations");
	inv = cJSON_CreateObject();
	cJSON_AddItemToArray(invocations, inv);
	cJSON_AddBoolToObject(inv, "executionSuccessful", 1);
	if (omitted) {
		cJSON *notes = cJSON_AddArrayToObject(inv,
			"toolExecutionNotifications");
		cJSON *note = cJSON_CreateObject();
		char *text = appctl_str_printf("%zu of %zu results were left out "
			"(--max-results %zu keeps the most severe); run 'appctl "
			"validate --json' for all of them", omitted, n + omitted, limit);

		cJSON_AddItemToArray(notes, note);
		cJSON_AddStringToObject(note, "level", "warning");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(note, "message"),
			"text", text ? text : "results were left out (--max-results)");
		free(text);
	}
	{
		cJSON *props = cJSON_AddObjectToObject(run, "properties");

		cJSON_AddNumberToObject(props, "appctl/results", (double)n);
		cJSON_AddNumberToObject(props, "appctl/omittedResults",
			(double)omitted);
		cJSON_AddNumberToObject(props, "appctl/errors", (double)errors);
		cJSON_AddNumberToObject(props, "appctl/warnings", (double)warnings);
		if (limit)
			cJSON_AddNumberToObject(props, "appctl/maxResults",
				(double)limit);
	}
	res = cJSON_AddArrayToObject(run, "results");
	for (i = 0; i < n; i++) {
		const appctl_finding *fi = loc[i].finding;
		cJSON *result = cJSON_CreateObject(), *locs, *l, *phys, *region, *art;
		size_t index = rule_count;
		char print[17];

		for (r = 0; r < rule_count; r++)
			if (strcmp(rules[r].id, fi->rule) == 0)
				index = r;
		cJSON_AddItemToArray(res, result);
		cJSON_AddStringToObject(result, "ruleId", fi->rule);
		cJSON_AddNumberToObject(result, "ruleIndex", (double)index);
		cJSON_AddStringToObject(result, "level", severity_name(fi->severity));
		cJSON_AddStringToObject(cJSON_AddObjectToObject(result, "message"),
			"text", fi->message);
		locs = cJSON_AddArrayToObject(result, "locations");
		l = cJSON_CreateObject();
		cJSON_AddItemToArray(locs, l);
		phys = cJSON_AddObjectToObject(l, "physicalLocation");
		art = cJSON_AddObjectToObject(phys, "artifactLocation");
		cJSON_AddStringToObject(art, "uri", fi->file);
		cJSON_AddStringToObject(art, "uriBaseId", "%SRCROOT%");
		region = cJSON_AddObjectToObject(phys, "region");
		cJSON_AddNumberToObject(region, "startLine", loc[i].line ? loc[i].line : 1);
		if (loc[i].line)
			cJSON_AddNumberToObject(region, "startColumn", loc[i].column);
		{
			cJSON *logical = cJSON_AddArrayToObject(l, "logicalLocations");
			cJSON *ll = cJSON_CreateObject();

			cJSON_AddItemToArray(logical, ll);
			cJSON_AddStringToObject(ll, "fullyQualifiedName",
				fi->path ? fi->path : "$");
		}
		finding_fingerprint(print, fi);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(result,
			"partialFingerprints"), "appctlFinding/v1", print);
	}
	return root;
}

/*
 * Keeps the `limit` most severe findings of loc[0..n) (sorted in text
 * order), errors before warnings, and in text order among equals; the
 * kept ones stay in text order at the front. Returns how many are kept.
 */
static size_t keep_most_severe(located *loc, size_t n, size_t limit)
{
	size_t errors = 0, keep_warnings, i, kept = 0, warnings = 0;

	if (n <= limit)
		return n;
	for (i = 0; i < n; i++)
		if (loc[i].finding->severity == APPCTL_SEV_ERROR)
			errors++;
	keep_warnings = limit > errors ? limit - errors : 0;
	for (i = 0; i < n && kept < limit; i++) {
		int error = loc[i].finding->severity == APPCTL_SEV_ERROR;

		if (!error && warnings++ >= keep_warnings)
			continue;
		loc[kept++] = loc[i];
	}
	return kept;
}

/*
 * With --json or --sarif the schema errors are reported in the same shape as
 * findings (one per error of the chain), so CI tooling sees one format; the
 * exit status stays 3.
 */
static appctl_error *emit_input_error(appctl_error *err, int sarif,
	const char *revision)
{
	size_t n = (size_t)appctl_error_count(err), i;
	appctl_finding *fi = calloc(n, sizeof(*fi));
	located *loc = calloc(n, sizeof(*loc));
	appctl_error *out_err, *e;

	if (!fi || !loc) {
		free(fi);
		free(loc);
		appctl_error_free(err);
		return appctl_error_nomem();
	}
	for (e = err, i = 0; e; e = e->next, i++) {
		fi[i].rule = "schema.invalid";
		fi[i].severity = APPCTL_SEV_ERROR;
		fi[i].file = e->file ? e->file : (char *)"appctl.json";
		fi[i].path = e->path;
		fi[i].message = e->message;
		loc[i].finding = &fi[i];
		loc[i].order = i;
	}
	out_err = appctl_cli_print_json(sarif ? report_sarif(loc, n, 0, 0, n, 0)
				   : report_json(loc, n, n, 0, revision, NULL));
	free(loc);
	free(fi);
	if (out_err) {
		appctl_error_free(err);
		return out_err;
	}
	return err;
}

/* A count for --max-results: decimal digits only, at least 1. */
static int parse_positive(size_t *out, const char *s)
{
	unsigned long long v;
	char *end;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > SIZE_MAX)
		return -1;
	*out = (size_t)v;
	return 0;
}

/*
 * Without a revision validate reads HEAD: edits not committed yet are not
 * what it judged, so say so (on stderr: the report itself stays HEAD's).
 */
static void hint_worktree(appctl_cli *cli, const appctl_snapshot *snap)
{
	appctl_error *err;
	char *example = NULL;
	size_t count = 0;

	err = appctl_repo_definitions_dirty(&count, &example, cli->repo,
		snap->policy ? snap->policy->signers : NULL);
	if (!err && count)
		fprintf(stderr, "appctl: note: validated HEAD, but %zu definition "
			"file%s ha%s uncommitted changes (%s); 'appctl validate "
			"--worktree' checks them\n", count, count == 1 ? "" : "s",
			count == 1 ? "s" : "ve", example ? example : "");
	appctl_error_free(err);
	free(example);
}

appctl_error *cmd_validate(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *at = NULL, *rev, *fail_on = NULL;
	const char *max_results = NULL;
	int npos, help, worktree = 0, json = 0, sarif = 0, fail_on_warning = 0;
	const appctl_opt opts[] = {
		{ "worktree", 0, APPCTL_OPT_FLAG, &worktree, NULL },
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ "sarif", 0, APPCTL_OPT_FLAG, &sarif, NULL },
		{ "max-results", 0, APPCTL_OPT_STRING, &max_results, "N" },
		{ "fail-on", 0, APPCTL_OPT_STRING, &fail_on, "LEVEL" },
		{ "at", 0, APPCTL_OPT_STRING, &at, "DATE" },
		{ 0 }
	};
	appctl_findings findings = APPCTL_FINDINGS_INIT;
	cli_progress progress;
	appctl_snapshot *snap = NULL;
	located *loc = NULL;
	appctl_error *err;
	appctl_date today;
	size_t limit = 0, shown;
	char commit[41] = "";
	const char *worktree_dir = NULL;

	err = appctl_cli_parse(argc, argv, opts, pos, 1, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("validate");
		return NULL;
	}
	json |= cli->json;
	cli->json = json;
	if (json && sarif)
		return appctl_error_new(APPCTL_EUSAGE,
			"--json and --sarif cannot be combined");
	if (worktree && npos)
		return appctl_error_new(APPCTL_EUSAGE,
			"--worktree takes no revision");
	if (fail_on && strcmp(fail_on, "warning") == 0)
		fail_on_warning = 1;
	else if (fail_on && strcmp(fail_on, "error") != 0)
		return appctl_error_new(APPCTL_EUSAGE,
			"--fail-on: '%s' is not a level (error or warning)", fail_on);
	if (max_results && !sarif)
		return appctl_error_new(APPCTL_EUSAGE,
			"--max-results applies to --sarif only");
	if (max_results && parse_positive(&limit, max_results) != 0)
		return appctl_error_new(APPCTL_EUSAGE,
			"--max-results: '%s' is not a positive number", max_results);
	today = appctl_cli_today();
	if (at && appctl_date_parse(&today, at) != 0)
		return appctl_error_new(APPCTL_EUSAGE,
			"--at: '%s' is not a date (YYYY-MM-DD)", at);
	rev = npos ? pos[0] : "HEAD";

	/* The working tree may be validated outside any repository. */
	err = appctl_repo_open(&cli->repo, cli->dir);
	if (err) {
		if (!worktree)
			return err;
		appctl_error_free(err);
		err = NULL;
	}
	if (worktree) {
		worktree_dir = cli->repo ? appctl_repo_workdir(cli->repo)
					 : (cli->dir ? cli->dir : ".");
		if (!worktree_dir)
			return appctl_error_new(APPCTL_EUSAGE,
				"--worktree needs a working tree (this repository is bare)");
		err = appctl_worktree_load_snapshot(&snap, worktree_dir);
	} else {
		err = appctl_cli_load(&snap, cli, rev, 0, commit);
	}
	if (err) {
		if (err->code == APPCTL_EINPUT && (json || sarif))
			return emit_input_error(err, sarif,
				worktree ? "worktree" : rev);
		return err;
	}
	cli_progress_start(&progress, json, "validate", "apps checked");
	err = appctl_lint_progress(&findings, snap, today, &progress.hooks);
	cli_progress_end(&progress);
	if (err)
		goto done;
	if (!worktree && !npos)
		hint_worktree(cli, snap);
	loc = calloc(findings.count ? findings.count : 1, sizeof(*loc));
	if (!loc) {
		err = appctl_error_nomem();
		goto done;
	}
	err = locate_findings(loc, &findings, cli, commit, worktree_dir);
	if (err)
		goto done;
	qsort(loc, findings.count, sizeof(*loc), compare_located);
	shown = limit ? keep_most_severe(loc, findings.count, limit)
		      : findings.count;
	if (sarif)
		err = appctl_cli_print_json(report_sarif(loc, shown,
			findings.count - shown, limit, findings.errors,
			findings.warnings));
	else if (json)
		err = appctl_cli_print_json(add_overrides_json(report_json(loc,
			findings.count, findings.errors, findings.warnings,
			worktree ? "worktree" : rev, commit), &findings));
	else
		print_text(cli, loc, findings.count, &findings, snap->app_count,
			worktree ? "worktree" : rev);
	if (!err && findings.errors)
		err = appctl_error_new(APPCTL_EDENIED, "%s: %zu error%s found",
			worktree ? "worktree" : rev, findings.errors,
			findings.errors == 1 ? "" : "s");
	else if (!err && fail_on_warning && findings.warnings)
		err = appctl_error_new(APPCTL_EDENIED,
			"%s: %zu warning%s found (--fail-on warning)",
			worktree ? "worktree" : rev, findings.warnings,
			findings.warnings == 1 ? "" : "s");
done:
	free(loc);
	appctl_findings_dispose(&findings);
	appctl_snapshot_free(snap);
	return err;
}
