/* release.h: what promote, rollback, history and audit share: the release step, its fault points, re-judging what the log recorded. */
#ifndef APPCTL_RELEASE_H
#define APPCTL_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/diff.h"
#include "appctl/event.h"
#include "appctl/lint.h"
#include "appctl/log.h"
#include "appctl/policy.h"
#include "cli.h"

/*
 * ---- fault injection (tests) ----
 *
 * With APPCTL_FAULT=<step> in the environment the process dies right at that
 * step as kill -9 would (_exit(137): no cleanup, no buffered output), or with
 * APPCTL_FAULT=<step>:abort through abort(). Steps of the release step:
 * "before-append", "after-append", "after-branch", "after-tag".
 */
void appctl_release_fault(const char *step);

/* ---- the promoter ---- */

/*
 * Who records a release: the private key that signs the event (--key, else
 * `git config user.signingkey` when gpg.format is ssh; NULL: unsigned) and
 * the principal. With a key, the principal is the one the key proves
 * against `signers_text` (the target environment's allowed_signers, by this
 * machine's clock) and `verified` is 1; otherwise it is user.email,
 * unverified. Dispose with appctl_promoter_dispose.
 */
typedef struct appctl_promoter {
	char *key_file;
	char *principal;
	int verified;
	char *why_unverified;   /* why a key did not prove an identity, or NULL */
} appctl_promoter;

appctl_error *appctl_promoter_identify(appctl_promoter *out, appctl_cli *cli,
	const char *key_option, const char *signers_text);

/* Frees what identify allocated; the struct may be reused after. */
void appctl_promoter_dispose(appctl_promoter *promoter);

/* ---- freeze windows and break-glass (policy of the target's current commit) ---- */

/*
 * The first freeze window of `policy` that covers `env` at Unix time `now`
 * into *out (NULL when none), its index into *index. A `to` that is a date
 * includes that whole day. A bound that is not an ISO date or date-time is
 * APPCTL_EINPUT naming appctl.json and its JSON path.
 */
appctl_error *appctl_freeze_find(const appctl_freeze **out, size_t *index,
	const appctl_policy *policy, const char *env, int64_t now);

/* One line naming a window ("freeze 0 (2026-12-20 .. 2027-01-02): reason"); caller frees. */
char *appctl_freeze_describe(const appctl_freeze *freeze, size_t index);

/*
 * Judges a break-glass release under `policy`'s break_glass {group, count}:
 * `count` distinct principals of the group among the approvals that are
 * valid for this exact move (statuses already filled by
 * appctl_policy_evaluate: counted, or valid but not a normal approver),
 * none an author of the change unless allow_self_approval; with count 0, the
 * promoter alone, who must be in the group (and verified when the policy
 * requires signatures). *met says whether it holds; when not, *missing is
 * one line saying what lacks (caller frees; else NULL). used[i] (the caller
 * allocates `count` ints) is set for each approval relied on.
 */
appctl_error *appctl_break_glass_judge(int *met, char **missing, int *used,
	const appctl_policy *policy, const appctl_approval *approvals,
	size_t count, const char *const *authors, size_t author_count,
	const char *promoter, int promoter_verified);

/* ---- the release step ---- */

/*
 * Records `ev` (a promote or rollback of ev->env from ev->from to ev->to as
 * release ev->release) as one atomic step whose commit point is the log
 * append: formats and (with `key_file`) signs the event, derives the next
 * state from `state` (the log state at `expected_head`), appends with one
 * compare-and-swap on refs/appctl/log, then moves refs/heads/<env> from
 * ev->from to ev->to and creates refs/tags/release/<env>/<N>: exactly what
 * appctl_log_roll_forward completes when a crash interrupts the two last
 * moves. A log that moved on since `expected_head` is APPCTL_ECONFLICT with
 * nothing changed. `event_id` receives the event's id. Fault points:
 * before-append, after-append, after-branch, after-tag.
 */
appctl_error *appctl_release_record(char event_id[41], appctl_repo *repo,
	const char *expected_head, const appctl_log_state *state,
	const appctl_event *ev, const char *key_file);

/* ---- promote and rollback: one worker, two thin commands ---- */

typedef struct appctl_release_request {
	appctl_event_type type;    /* APPCTL_EV_PROMOTE or APPCTL_EV_ROLLBACK */
	const char *env;
	const char *commit;        /* 40 hex digits: where env goes */
	const char *source;        /* promote: the env promoted from */
	int64_t rollback_to;       /* rollback: the release returned to */
	int64_t expected_release;  /* the env's release when the target was chosen */
	const char *comment;       /* -m TEXT or NULL */
	const char *key_option;    /* --key or NULL */
	int break_glass;
	int dry_run;
} appctl_release_request;

/*
 * Judges and performs one promote or rollback (SPEC §3): refuses (exit 1,
 * saying what is missing) unless definitions pass lint, no freeze window
 * holds (or break-glass), and the approvals satisfy the policy of the
 * environment's current commit; then records the release with
 * appctl_release_record. When the log moves underneath, it re-judges if
 * only unrelated events were added and returns APPCTL_ECONFLICT (exit 5,
 * nothing changed) if the environment was released meanwhile. Prints the
 * outcome (text or --json).
 */
appctl_error *appctl_release_run(appctl_cli *cli,
	const appctl_release_request *req);

/* ---- events copied out of a log walk ---- */

/*
 * An event kept beyond appctl_log_walk's callback: its bytes (re-parsed
 * on demand with appctl_logged_parse) and where it lies.
 */
typedef struct appctl_logged {
	char id[41];
	char log_commit[41];
	appctl_event_type type;
	char *json;
	size_t json_len;
	char *signature;           /* NULL when unsigned */
	size_t signature_len;
} appctl_logged;

/* Copies `ev` into *out; dispose with appctl_logged_dispose. */
appctl_error *appctl_logged_copy(appctl_logged *out, const appctl_event *ev);

/* Frees the copied bytes; the struct may be reused after. */
void appctl_logged_dispose(appctl_logged *logged);

/*
 * Parses a kept event again, with id, log_commit and signature filled as
 * the walk fills them. The caller frees *out with appctl_event_free; the
 * signature points into `logged`, which must outlive the event.
 */
appctl_error *appctl_logged_parse(appctl_event **out,
	const appctl_logged *logged);

/* ---- judging a move the log recorded ---- */

/*
 * The case for a move of `env` from `base` to `commit` judged as at the
 * time it was made: the policy and allowed_signers of `base`, the diff
 * base -> commit (memberships as of `at`), the authors of the change, and
 * the given approve events, re-verified now against base's
 * allowed_signers. With `rollback`, the rollback rule applies
 * (rollback.required unless the change widens anything). Everything is
 * owned by the case.
 */
typedef struct appctl_release_case {
	appctl_snapshot *current;
	appctl_snapshot *target;
	appctl_changes changes;
	int changes_ready;
	char **authors;
	size_t author_count;
	appctl_approval *approvals;
	size_t approval_count;
	char **principals;
	char **whys;
	int widens;
	appctl_promotion request;
	appctl_verdict verdict;
} appctl_release_case;

/*
 * Builds and evaluates the case. `revoked[i]` (may be NULL) marks approvals
 * withdrawn before the move. The caller disposes *out with
 * appctl_release_case_dispose, also on error.
 */
appctl_error *appctl_release_case_build(appctl_release_case *out,
	appctl_repo *repo, const char *env, const char *base,
	const char *commit, appctl_event *const *approvals, const int *revoked,
	size_t count, int rollback, appctl_date at);

/* Frees everything the case owns (also a half-built one); reusable after. */
void appctl_release_case_dispose(appctl_release_case *rcase);

/*
 * Checks an event's signature against `signers_text`: *principal gets the
 * proven principal (caller frees) or NULL, *why why not (caller frees) or
 * NULL. An unsigned event gives NULL and "not signed".
 */
appctl_error *appctl_release_verify_event(char **principal, char **why,
	const appctl_event *ev, const char *signers_text);

/* ---- output ---- */

/* Prints `changes` as "  RISK  KIND  subject" lines under `indent`. */
appctl_error *appctl_release_print_changes(const appctl_cli *cli,
	const appctl_changes *changes, const char *indent);

/* "2 high, 0 medium, 1 low" into buf. */
void appctl_release_summary_text(char *buf, size_t len,
	const appctl_changes *changes);

/* The day of an ISO time "YYYY-MM-DD..." (today when it does not parse). */
appctl_date appctl_release_day_of(const char *iso_time);

/*
 * Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS][Z]" (UTC) into Unix seconds;
 * *date_only says which form. 0 on success.
 */
int appctl_release_parse_time(int64_t *out, int *date_only, const char *s);

/*
 * Whether the break-glass release `ev` has since been reviewed: the normal
 * approvals of exactly its move (commit `to` on base `from`) among `later`,
 * the approve and revoke events of its env recorded after it, newest first
 * (a revoke withdraws the same principal's older approval), judged by the
 * base's policy.
 */
appctl_error *appctl_break_glass_reviewed(int *reviewed, appctl_repo *repo,
	const appctl_logged *later, size_t later_count, const appctl_event *ev);

/*
 * Whether the recorded release `ev` was backed, with its case `rc` built
 * (appctl_release_case_build with its recorded approvals): break-glass
 * releases by their group's count (the promoter included when its
 * signature proves who), others by the case's verdict. *missing is NULL
 * when sufficient, else one line saying what was lacking (caller frees).
 * audit --verify and the server hook judge recorded releases alike.
 */
appctl_error *appctl_release_shortfall(char **missing, const appctl_event *ev,
	appctl_release_case *rc);

#endif
