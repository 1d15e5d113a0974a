/* lint.h: security lint of a snapshot (the rules of `appctl validate`). */
#ifndef APPCTL_LINT_H
#define APPCTL_LINT_H

#include <stddef.h>

#include "appctl/progress.h"
#include "appctl/error.h"
#include "appctl/model.h"

typedef enum {
	APPCTL_SEV_ERROR = 0,
	APPCTL_SEV_WARNING
} appctl_severity;

/* A rule: stable id (never renamed once released), severity, one-line summary. */
typedef struct appctl_lint_rule {
	const char *id;
	appctl_severity severity;
	const char *summary;
} appctl_lint_rule;

/* One finding; strings are owned by the findings list. */
typedef struct appctl_finding {
	const char *rule;
	appctl_severity severity;
	char *file;
	char *path;
	char *message;
} appctl_finding;

typedef struct appctl_findings {
	appctl_finding *items;
	size_t count;
	size_t cap;
	size_t errors;
	size_t warnings;
} appctl_findings;

#define APPCTL_FINDINGS_INIT { NULL, 0, 0, 0, 0 }

/* The rule table, in a stable order; `*count` receives its length. */
const appctl_lint_rule *appctl_lint_rules(size_t *count);

/* The rule with that id, or NULL. */
const appctl_lint_rule *appctl_lint_rule_find(const char *id);

/*
 * Runs every rule on `snap`, judging temporary memberships on day `today`.
 * Appends findings to `out` (sorted by file, then JSON path, then rule id).
 * Returns an error only when memory runs out; findings are not errors.
 * The caller disposes `out` with appctl_findings_dispose.
 */
appctl_error *appctl_lint(appctl_findings *out, const appctl_snapshot *snap,
	appctl_date today);

/* appctl_lint, reporting each app checked through `progress` (may be NULL). */
appctl_error *appctl_lint_progress(appctl_findings *out,
	const appctl_snapshot *snap, appctl_date today,
	const appctl_progress *progress);

void appctl_findings_dispose(appctl_findings *findings);

/*
 * True when `s` looks like a literal secret: a known token shape (sk_live_,
 * xoxb-, ghp_, AKIA..., a PEM block, a URL with a password) or a long
 * high-entropy run. References (secret://, env://) are never secrets.
 * When `why` is not NULL it receives a static description of the shape.
 */
int appctl_looks_like_secret(const char *s, const char **why);

/* True for "secret://..." and "env://..." references with a non-empty rest. */
int appctl_is_secret_reference(const char *s);

#endif
