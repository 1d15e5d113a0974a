/* judge.h: gathering everything a promotion is judged on, shared by status, promote, rollback. */
#ifndef APPCTL_JUDGE_H
#define APPCTL_JUDGE_H

#include "appctl/diff.h"
#include "appctl/event.h"
#include "appctl/policy.h"
#include "cli.h"

/*
 * The full case for moving `env` to `commit`: the definitions at the env's
 * current commit (whose policy and allowed_signers judge) and at `commit`,
 * the semantic diff, the authors of the change, every approve event for
 * this env recorded since the env's latest release (each re-verified now
 * against the current allowed_signers, revocations applied), and the
 * verdict. Everything is owned by the judgement.
 */
typedef struct appctl_judgement {
	char env[64];
	char base[41];                 /* the env's current commit */
	char commit[41];               /* the commit judged */
	char log_head[41];             /* log head the judgement was made at */
	int64_t release;               /* the env's current release number */
	appctl_log_state *state;
	appctl_snapshot *current;
	appctl_snapshot *target;
	appctl_changes changes;
	char **authors;
	size_t author_count;
	appctl_event **events;         /* the approve and revoke events gathered, newest first */
	size_t event_count;
	appctl_approval *approvals;    /* one per approve event, oldest first, statuses filled */
	size_t approval_count;
	char **principals;             /* storage for verified principals */
	char **whys;
	appctl_promotion request;
	appctl_verdict verdict;
} appctl_judgement;

/*
 * Builds the judgement for promoting (or rolling back) `env` to `commit`
 * with `required_override` as in appctl_promotion (-1 for the normal rules).
 * `at` is the evaluation date for temporary memberships. The caller
 * disposes *out with appctl_judgement_dispose, also on error.
 */
appctl_error *appctl_judge(appctl_judgement *out, appctl_cli *cli,
	const char *env, const char *commit, int64_t required_override,
	appctl_date at);

void appctl_judgement_dispose(appctl_judgement *judgement);

/*
 * The log head (into `log_head`), its state (*state, the caller frees it
 * with appctl_log_state_free, also on error) and `env`'s entry in it
 * (*entry points into *state), checked against the branch: refs/heads/<env>
 * must be where the log says, else APPCTL_EINPUT ("branch moved outside
 * appctl", naming the ref) — except for the first environment (by the
 * policy at the log's commit for it), where builders commit freely. No log is APPCTL_EINPUT; an unknown env
 * APPCTL_EUSAGE.
 */
appctl_error *appctl_env_current(const appctl_env_state **entry,
	appctl_log_state **state, char log_head[41], appctl_cli *cli,
	const char *env);

/*
 * The environment `env` is promoted from (the one before it in the policy's
 * chain), or NULL for the first environment or an unknown one.
 */
const char *appctl_source_env(const appctl_policy *policy, const char *env);

#endif
