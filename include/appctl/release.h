/* release.h: promote and rollback as one use case: judge the pending move, then record it as one atomic step whose commit point is the log append (service layer). */
#ifndef APPCTL_RELEASE_H
#define APPCTL_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/event.h"
#include "appctl/judge.h"
#include "appctl/store.h"

/*
 * Who records a release: the private key that signs the event (`key_option`,
 * else `git config user.signingkey` when gpg.format is ssh; NULL: unsigned)
 * and the principal. With a key, the principal is the one the key proves
 * against `signers_text` (the target environment's allowed_signers) as of
 * `now`, and `verified` is 1; otherwise it is user.email, unverified.
 * Dispose with appctl_promoter_dispose.
 */
typedef struct appctl_promoter {
	char *key_file;
	char *principal;
	int verified;
	char *why_unverified;   /* why a key did not prove an identity, or NULL */
} appctl_promoter;

appctl_error *appctl_promoter_identify(appctl_promoter *out, appctl_repo *repo,
	const char *key_option, const char *signers_text, int64_t now);

/* Frees what identify allocated; the struct may be reused after. */
void appctl_promoter_dispose(appctl_promoter *promoter);

/*
 * Records `ev` (a promote or rollback of ev->env from ev->from to ev->to as
 * release ev->release) as one atomic step whose commit point is the log
 * append: formats and (with `key_file`) signs the event, derives the next
 * state from `state` (the verified state at `expected_head`), appends with
 * one compare-and-swap on refs/appctl/log, advances the local checkpoint,
 * then moves refs/heads/<env> from ev->from to ev->to and creates
 * refs/tags/release/<env>/<N>: what appctl_log_settle completes when a
 * crash interrupts the two last moves. A log that moved on since
 * `expected_head` is APPCTL_ECONFLICT with nothing changed. `event_id`
 * receives the event's id. Fault points (test builds): before-append,
 * after-append, after-branch, after-tag.
 */
appctl_error *appctl_release_record(char event_id[41], appctl_repo *repo,
	const char *expected_head, const appctl_log_state *state,
	const appctl_event *ev, const char *key_file);

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

/* What a promote or rollback found and did. Dispose with appctl_release_outcome_dispose. */
typedef struct appctl_release_outcome {
	appctl_case rcase;         /* the judgement of the move, as last made */
	appctl_promoter who;
	int allowed;
	int done;                  /* recorded (not a dry run) */
	char event_id[41];
	char now[32];              /* the event's time */
	const char **approval_ids; /* the approvals relied on (into rcase) */
	const char **approvers;
	size_t approval_count;
} appctl_release_outcome;

/*
 * Judges the pending move `req` with the one judge (as of `now`) and,
 * when it is allowed and not a dry run, records it. A refusal is not an
 * error: out->allowed is 0 and out->rcase says why. When the log moves
 * underneath it re-judges if only unrelated events were added, and
 * returns APPCTL_ECONFLICT (nothing changed) when the environment was
 * released meanwhile. Never prints.
 */
appctl_error *appctl_release_perform(appctl_release_outcome *out,
	appctl_repo *repo, const appctl_release_request *req, int64_t now);

void appctl_release_outcome_dispose(appctl_release_outcome *outcome);

/*
 * Where `env` stands in the verified log: its state entry, copied into
 * *entry's storage (`commit`, `release`, ...), checked against the branch:
 * a protected env's branch must be where the log says (else APPCTL_EINPUT,
 * "moved outside appctl"). Without a log, APPCTL_EINPUT; an unknown env,
 * APPCTL_EUSAGE. *state is the verified state (caller frees). When
 * `listing` is not NULL it receives the listing of the env's commit (its
 * policy and allowed_signers, apps unread; caller frees), which locating
 * reads anyway.
 */
appctl_error *appctl_env_locate(const appctl_env_state **entry,
	appctl_log_state **state, char log_head[41], appctl_repo *repo,
	const char *env, int64_t now, appctl_app_listing **listing);

#endif
