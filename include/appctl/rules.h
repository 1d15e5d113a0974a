/* rules.h: the release rules as tables and pure functions: what each diff kind means for approvals, revocation, rollback, freeze windows, break-glass, and the claims a move event makes (pure core). */
#ifndef APPCTL_RULES_H
#define APPCTL_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/diff.h"
#include "appctl/error.h"
#include "appctl/event.h"
#include "appctl/model.h"
#include "appctl/policy.h"

/* How far ahead of the receiver's clock an event may be dated (SPEC §3). */
#define APPCTL_CLOCK_SKEW_S 300

/* ---- diff kinds ---- */

/* What a kind of change (SPEC §2) means for the approvals a move needs. */
typedef struct appctl_kind_rule {
	const char *kind;
	appctl_risk default_risk;   /* SPEC §2's default; diff refines per fact */
	int widens;                 /* grants access or connections */
	int changes_rules;          /* changes the policy or who is trusted */
	int when;                   /* the appctl_rule_when it matches, or -1 */
	int also_when;              /* a second one it matches, or -1 */
} appctl_kind_rule;

/* The table row of `kind`, or NULL for a kind the table does not know. */
const appctl_kind_rule *appctl_kind_rule_find(const char *kind);

/* The whole table (for tests and docs); *count rows. */
const appctl_kind_rule *appctl_kind_rules(size_t *count);

/* True when a change of `kind` matches an approvals rule with `when` (either column). */
int appctl_kind_matches_rule(const char *kind, appctl_rule_when when);

/* True when `changes` widen anything (a widening kind of the table). */
int appctl_changes_widen(const appctl_changes *changes);

/* True when `changes` change the policy or the signers. */
int appctl_changes_change_rules(const appctl_changes *changes);

/*
 * The rollback rule (SPEC §3): rollback.required replaces required[class]
 * only when the rollback widens nothing and changes neither policy nor
 * signers; else -1 (the normal count). Approvals rules apply either way.
 */
int64_t appctl_rollback_required(const appctl_policy *policy,
	const appctl_changes *changes);

/* ---- revocation ---- */

/*
 * The one revocation rule: a revoke withdraws an approval when it names the
 * same environment and commit, its principal was proven (its signature
 * verified as of its own time, or it is accepted unsigned because the
 * policy does not require signatures) and is the approval's principal
 * (e-mails compared case-insensitively), and it was logged after the
 * approval and before the move. Positions are places in the log.
 */
typedef struct appctl_revocation {
	const char *env;
	const char *commit;
	const char *principal;      /* proven principal, NULL: nobody */
	size_t position;
} appctl_revocation;

int appctl_revocation_withdraws(const appctl_revocation *revoke,
	const char *env, const char *commit, const char *principal,
	size_t approval_position, size_t move_position);

/* ---- times and freeze windows ---- */

/*
 * Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS][Z]" (UTC) into Unix
 * seconds; *date_only says which form. 0 on success, -1 otherwise.
 */
int appctl_time_parse(int64_t *out, int *date_only, const char *s);

/* Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" into buf (21+ bytes). */
void appctl_time_format(char *buf, size_t len, int64_t t);

/*
 * The first freeze window of `policy` covering `env` at Unix time `now`
 * into *out (NULL when none), its index into *index. A `to` that is a date
 * includes that whole day. A bound that does not parse is APPCTL_EINPUT
 * naming appctl.json and its JSON path.
 */
appctl_error *appctl_freeze_find(const appctl_freeze **out, size_t *index,
	const appctl_policy *policy, const char *env, int64_t now);

/* "freeze window 0 (2026-12-20 .. 2027-01-02): reason"; caller frees, NULL out of memory. */
char *appctl_freeze_describe(const appctl_freeze *freeze, size_t index);

/* ---- break-glass ---- */

/*
 * Judges a break-glass move under `policy`'s break_glass {group, count}:
 * `count` distinct principals of the group among the approvals valid for
 * this exact move (statuses filled by appctl_policy_evaluate: counted, or
 * valid but not a normal approver or a duplicate), none a person of the
 * change unless allow_self_approval; with count 0, the promoter alone, who
 * must be in the group (and proven when signatures are required). *met
 * says whether it holds; when not, *missing says what lacks (caller frees).
 * used[i] (caller allocates `count` ints) marks each approval relied on.
 */
appctl_error *appctl_break_glass_judge(int *met, char **missing, int *used,
	const appctl_policy *policy, const appctl_approval *approvals,
	size_t count, const char *const *authors, size_t author_count,
	const char *promoter, int promoter_verified);

/* ---- the claims of a move event ---- */

/*
 * The facts a promote or rollback event is checked against, each derived
 * by the judge from the verified chain and the commits, never from the
 * event: where the environment is, which environment it is promoted from
 * and where that stands, which commit the named release has, and the
 * judge's clock.
 */
typedef struct appctl_move_facts {
	const char *env_commit;       /* the env's commit in the chain */
	int64_t env_release;          /* its current release */
	const char *expected_source;  /* the env before it in the policy; NULL: none */
	const char *source_commit;    /* where that env stands; NULL: unknown */
	int on_source;                /* 1: `to` is on it, 0: not, -1: not checked */
	const char *release_commit;   /* rollback: commit of release rollback_to; NULL: none */
	int64_t now;                  /* the judge's clock, Unix seconds */
} appctl_move_facts;

/*
 * Checks every claim of `ev` (a promote or rollback) against `facts`, in
 * the table's order, and says in *problem (caller frees) the first that
 * does not hold; NULL when all do. Only out of memory is an error.
 */
appctl_error *appctl_move_claims_check(char **problem, const appctl_event *ev,
	const appctl_move_facts *facts);

/* True when ISO time `iso` is no later than `now` plus the allowed skew. */
int appctl_event_time_acceptable(const char *iso, int64_t now);

#endif
