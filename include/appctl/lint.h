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

/*
 * A rule: stable id (never renamed once released), severity, one-line
 * summary, and whether an organisation may change its severity in
 * appctl.json ("lint.rules"). secret.literal and the ref.* rules are fixed:
 * a literal secret or a dangling reference is never a matter of taste.
 */
typedef struct appctl_lint_rule {
	const char *id;
	appctl_severity severity;
	const char *summary;
	int fixed;
	const char *why;                  /* why it matters (SARIF fullDescription) */
	const char *fix;                  /* how to fix it (SARIF help) */
	const char *security_severity;    /* CVSS-like score code scanning ranks by */
} appctl_lint_rule;

/* One finding; strings are owned by the findings list. */
typedef struct appctl_finding {
	const char *rule;
	appctl_severity severity;
	char *file;
	char *path;
	char *message;
} appctl_finding;

/*
 * An organisation's severity override ("lint.rules.<id>") as lint applied
 * it, for the record an auditor reads: what was turned down or up, why, and
 * how many findings it changed (removed, for "off") in this run.
 */
typedef struct appctl_applied_override {
	const char *rule;             /* the rule table's id (static) */
	appctl_severity from;         /* the rule's own severity */
	appctl_lint_level level;      /* off, warning or error */
	char *justification;          /* owned by the findings list */
	size_t findings;
} appctl_applied_override;

typedef struct appctl_findings {
	appctl_finding *items;
	size_t count;
	size_t cap;
	size_t errors;
	size_t warnings;
	appctl_applied_override *overrides; /* sorted by rule id */
	size_t override_count;
} appctl_findings;

#define APPCTL_FINDINGS_INIT { NULL, 0, 0, 0, 0, NULL, 0 }

/* The rule table, in a stable order; `*count` receives its length. */
const appctl_lint_rule *appctl_lint_rules(size_t *count);

/* The rule with that id, or NULL. */
const appctl_lint_rule *appctl_lint_rule_find(const char *id);

/*
 * Runs every rule on `snap`, judging temporary memberships on day `today`,
 * then applies the policy's severity overrides (lint.rules): "off" removes
 * the rule's findings, "warning" / "error" changes their severity; every
 * valid override is listed in out->overrides, and an override of a fixed
 * rule is itself an error finding (lint.override-not-allowed).
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

/* Frees the findings' and overrides' strings and arrays; NULL is a no-op. */
void appctl_findings_dispose(appctl_findings *findings);

/* "off", "warning" or "error": the appctl.json spelling of a level. */
const char *appctl_lint_level_name(appctl_lint_level level);

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
