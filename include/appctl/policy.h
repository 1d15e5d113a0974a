/* policy.h: judging a promotion — enough valid approvals of exactly this change (pure core). */
#ifndef APPCTL_POLICY_H
#define APPCTL_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/diff.h"
#include "appctl/error.h"
#include "appctl/event.h"
#include "appctl/model.h"

typedef enum {
	APPCTL_APPROVAL_COUNTED = 0,
	APPCTL_APPROVAL_WRONG_ENV,      /* names another environment */
	APPCTL_APPROVAL_WRONG_COMMIT,   /* approves another commit */
	APPCTL_APPROVAL_STALE,          /* the environment moved since (base differs) */
	APPCTL_APPROVAL_REVOKED,        /* withdrawn by `approve --revoke` */
	APPCTL_APPROVAL_UNVERIFIED,     /* signature missing or not verifying now */
	APPCTL_APPROVAL_NOT_APPROVER,   /* principal not among approvals.approvers */
	APPCTL_APPROVAL_SELF,           /* principal authored a commit being promoted */
	APPCTL_APPROVAL_DUPLICATE       /* the same principal, already counted */
} appctl_approval_status;

/*
 * One approval as the caller gathered it. `principal` is the identity the
 * signature proved (appctl_ssh_verify against the target environment's
 * current allowed_signers, by this machine's clock), or, when the policy
 * does not require signatures, the principal the event claims (then
 * `verified` is 0 and it is shown as unverified). `status` and `reason` are
 * filled by appctl_policy_evaluate.
 */
typedef struct appctl_approval {
	const appctl_event *event;
	const char *principal;
	int verified;
	const char *why_unverified;     /* from verification, or NULL */
	int revoked;
	appctl_approval_status status;
	const char *reason;             /* static text, or owned by the verdict */
} appctl_approval;

/* What is asked: move `env` from `base` to `commit`. */
typedef struct appctl_promotion {
	const appctl_policy *policy;    /* of the env's CURRENT commit (base), never the target's */
	const char *env;
	const char *commit;
	const char *base;
	const appctl_changes *changes;  /* semantic diff base -> commit */
	const appctl_snapshot *target;  /* definitions at `commit` (app classes) */
	const appctl_snapshot *current; /* definitions at `base` (classes of removed apps) */
	const char *const *authors;     /* authors of base..commit (self-approval) */
	size_t author_count;
	appctl_approval *approvals;     /* statuses are written here */
	size_t approval_count;
	int64_t required_override;      /* -1: required[class]; n >= 0: n approvers
					   instead (appctl_rollback_required);
					   the rules apply either way */
} appctl_promotion;

typedef struct appctl_verdict {
	int allowed;
	char **missing;                 /* one line per unmet requirement */
	size_t missing_count;
	char **requirements;            /* one line per requirement, met or not */
	size_t requirement_count;
	const char **approvers;         /* counted principals, sorted */
	size_t approver_count;
} appctl_verdict;

#define APPCTL_VERDICT_INIT { 0, NULL, 0, NULL, 0, NULL, 0 }

/*
 * Judges `req` (SPEC §1.2, §3): per changed app, required[class] distinct
 * approvers (the maximum over the apps the change touches; a change that
 * touches no app needs the maximum over all classes, and one that changes no
 * definition at all needs 1); plus every rule whose `when` matches a change
 * (by the kind table of appctl/rules.h: integration, access widening,
 * policy or signers, data boundary), each needing
 * `count` counted approvers from its group. Only approvals for this env,
 * this exact commit and this base count, verified when the policy requires
 * signatures, by approvers, not authors of the change (unless
 * allow_self_approval), not revoked, each person once.
 * Fills every approval's status; the caller disposes *out.
 */
appctl_error *appctl_policy_evaluate(appctl_verdict *out,
	appctl_promotion *req);

void appctl_verdict_dispose(appctl_verdict *verdict);

/*
 * The environment `env` is promoted from (the one before it in the
 * policy's chain), or NULL for the first environment or an unknown one.
 */
const char *appctl_policy_source_env(const appctl_policy *policy,
	const char *env);

/* A short phrase for a status ("stale: the environment moved since"). */
const char *appctl_approval_status_text(appctl_approval_status status);

#endif
