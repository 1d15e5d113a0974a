/* judge.h: the one judge of every move and event: promote, rollback, status, history, audit, the hooks and sync all decide through it (service layer). */
#ifndef APPCTL_JUDGE_H
#define APPCTL_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/chain.h"
#include "appctl/diff.h"
#include "appctl/event.h"
#include "appctl/lint.h"
#include "appctl/model.h"
#include "appctl/policy.h"
#include "appctl/store.h"

/*
 * Whose clock a verdict is taken by (SPEC §3 "Time"):
 * - PENDING: a move about to be made (promote, rollback, status): approvals
 *   must verify now, memberships and freeze windows as of now.
 * - RECEIVED: an event new to this side (the server hook): it may not be
 *   dated ahead of this clock, and everything is judged by this clock, so
 *   a back-dated event gains nothing.
 * - RECORDED: an event re-judged later (audit --verify, the local
 *   checkpoint, sync adopting a remote's events): still not dated ahead of
 *   this clock, and judged as of its own time, so a key that expired later
 *   does not undo it.
 */
typedef enum {
	APPCTL_JUDGE_PENDING = 0,
	APPCTL_JUDGE_RECEIVED,
	APPCTL_JUDGE_RECORDED
} appctl_judge_mode;

/*
 * Where the first environment's branch stands, for promotions out of it
 * (it moves by commits, not by events, so only the caller knows): the
 * commit into `out`, *found 0 when unknown.
 */
typedef appctl_error *(*appctl_branch_fn)(char out[41], int *found,
	void *arg, const char *env);

/* What the judge reads: the chain, the mode, the clock. */
typedef struct appctl_judge_ctx {
	appctl_repo *repo;
	appctl_chain *chain;           /* the verified log the move comes after */
	appctl_judge_mode mode;
	int64_t now;                   /* appctl_clock_now() of this side */
	appctl_branch_fn first_env_branch; /* NULL: not checked */
	void *branch_arg;
	/*
	 * Approve and revoke events that fail pass as inert: every move
	 * re-verifies the approvals it gathers, so such an event counts for
	 * nothing. For a clone's own log (appctl_log_verified), where a bad
	 * approval must not stop every command; a receiver (hook, sync) and
	 * audit --verify refuse them.
	 */
	int inert_ok;
	/*
	 * What was read at recent commits, kept between the events of one
	 * stretch (appctl_judge_memo_begin); NULL: every event reads afresh.
	 */
	struct appctl_judge_memo *memo;
	/*
	 * A read-only report (status): the definitions at a commit come from
	 * the blob cache of parsed apps (appctl_repo_load_snapshot_cached).
	 * 0 for whatever moves or accepts a branch: it reads git's objects.
	 */
	int cached;
} appctl_judge_ctx;

/*
 * From now until appctl_judge_memo_end, the definitions and listings the
 * judge reads at a commit are kept for the next events (a few recent
 * commits): a commit's content never changes, so every verdict stays
 * what it would be read afresh, and a log that promotes the same commits
 * over and over reads each once. A ctx that has a memo keeps it.
 */
appctl_error *appctl_judge_memo_begin(appctl_judge_ctx *ctx);

/* Frees the memo of appctl_judge_memo_begin; cases built since must be disposed first. */
void appctl_judge_memo_end(appctl_judge_ctx *ctx);

/*
 * Sets *ctx to judge after `chain` in `mode` by the clock `now`; the
 * optional fields (first_env_branch, inert_ok) start empty.
 */
void appctl_judge_ctx_init(appctl_judge_ctx *ctx, appctl_repo *repo,
	appctl_chain *chain, appctl_judge_mode mode, int64_t now);

/* A move to judge: pending (no event yet), an event's claims, or a review. */
typedef struct appctl_move {
	appctl_event_type type;        /* APPCTL_EV_PROMOTE or APPCTL_EV_ROLLBACK */
	const char *env;
	const char *to;                /* 40 hex digits */
	const char *source;            /* promote: the env promoted from */
	int64_t rollback_to;           /* rollback: the release returned to */
	int break_glass;
	const char *promoter;          /* pending: who moves it; NULL unknown */
	int promoter_verified;
	/*
	 * The event that claims this move (RECEIVED, RECORDED), or NULL for a
	 * pending one. Its approval ids, time, signature and every claim are
	 * checked against the facts.
	 */
	const appctl_event *event;
	/*
	 * A break-glass release to judge the review of: its move again, by
	 * the normal rules, with the approvals of exactly its commit on its
	 * base given after it. Then the fields above are taken from it.
	 */
	const appctl_event *review_of;
} appctl_move;

/*
 * The case for a move, everything the verdict rests on, and the verdict.
 * Everything is owned by the case.
 */
typedef struct appctl_case {
	char env[64];
	char base[41];                 /* the env's commit: whose policy judges */
	char commit[41];               /* where the env goes */
	int64_t release;               /* the env's current release */
	int64_t at;                    /* the time it is judged as of */
	appctl_snapshot *current;
	appctl_snapshot *target;
	appctl_changes changes;
	int changes_ready;
	char **authors;                /* authors and committers of the change */
	size_t author_count;
	appctl_event **events;         /* approve events gathered, oldest first */
	size_t event_count;
	appctl_approval *approvals;    /* one per gathered event, statuses filled */
	size_t approval_count;
	char **principals;
	char **whys;
	appctl_promotion request;
	appctl_verdict verdict;
	size_t lint_errors;            /* lint errors of the definitions at `commit` */
	appctl_findings findings;
	const appctl_freeze *freeze;   /* the window that freezes the env, or NULL */
	size_t freeze_index;
	char *promoter;                /* who moved it (the event's, proven if signed) */
	int promoter_verified;
	int break_glass;               /* allowed (or refused) by the break-glass rules */
	int allowed;                   /* the final verdict */
	char **missing;                /* every reason it is not allowed */
	size_t missing_count;
	int *used;                     /* per approval: relied on */
	int borrowed;                  /* current and target belong to the ctx's memo */
} appctl_case;

/*
 * Builds the case for `move` after `ctx->chain` and judges it: the policy
 * and allowed_signers of the env's current commit in the chain, the
 * semantic diff, the people of the change, the approvals of this env given
 * since its last release (all of them when pending, the ones the event
 * names otherwise) re-verified by the mode's clock with revocations
 * applied, lint, freeze windows, break-glass, and the claims of the
 * event. Errors are for what could not be read (APPCTL_EINPUT for a
 * commit whose definitions are invalid); a move that fails is a verdict.
 * The caller disposes *out with appctl_case_dispose, also on error.
 */
appctl_error *appctl_case_build(appctl_case *out, appctl_judge_ctx *ctx,
	const appctl_move *move);

/* Frees what the case owns (also a half-built one); reusable after. */
void appctl_case_dispose(appctl_case *rcase);

/* The missing lines joined with "; " plus each approval not counted; caller frees. */
char *appctl_case_explain(const appctl_case *rcase);

/*
 * Judges `ev` as the next event of ctx->chain (RECEIVED or RECORDED):
 * its time, its signature, its base (approve), its claims and approvals
 * (promote, rollback). *problem is NULL when it passes, else says why
 * (caller frees). Nothing is appended: appctl_chain_push does that.
 */
appctl_error *appctl_judge_event(char **problem, appctl_judge_ctx *ctx,
	const appctl_event *ev);

/*
 * Whether the break-glass release `ev` has since been reviewed: the normal
 * approvals of exactly its move (its commit on its base) given after it,
 * revocations applied, judged by its base's policy (appctl_move.review_of).
 */
appctl_error *appctl_break_glass_reviewed(int *reviewed, appctl_judge_ctx *ctx,
	const appctl_event *ev);

/*
 * Who signed `ev`, against `signers_text`, as of Unix time `at`: the proven
 * principal into *principal (caller frees) or NULL and *why (caller frees).
 */
appctl_error *appctl_event_signer(char **principal, char **why,
	const appctl_event *ev, const char *signers_text, int64_t at);

#endif
