/* approvable.h: whether an environment's policy can ever be met with the keys its allowed_signers holds (pure core). */
#ifndef APPCTL_APPROVABLE_H
#define APPCTL_APPROVABLE_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/allowed_signers.h"
#include "appctl/error.h"
#include "appctl/model.h"

/*
 * The answer for one policy: `keyed` is the number of distinct allowed
 * approvers (approvals.approvers, groups expanded) who hold a key valid
 * now for the "appctl" namespace (every approver when the policy does not
 * require signatures); `missing` has one plain-English line per requirement
 * (required[class], each approvals rule) that more approvers than that
 * could ever satisfy. `approvable` is 1 when `missing` is empty.
 */
typedef struct appctl_approvability {
	int approvable;
	size_t keyed;
	char **missing;
	size_t missing_count;
} appctl_approvability;

#define APPCTL_APPROVABILITY_INIT { 1, 0, NULL, 0 }

/*
 * Judges `policy` against the parsed allowed_signers `signers` at Unix time
 * `now` (keys whose valid-before has passed do not count). Pure; the caller
 * disposes *out with appctl_approvability_dispose, also after an error
 * (only running out of memory is one).
 */
appctl_error *appctl_policy_approvability(appctl_approvability *out,
	const appctl_policy *policy, const appctl_allowed_signers *signers,
	int64_t now);

/*
 * The same from the text of the signers file (as a snapshot holds it).
 */
appctl_error *appctl_policy_approvability_text(appctl_approvability *out,
	const appctl_policy *policy, const char *signers_text, size_t len,
	int64_t now);

/* Frees the lines of `a` and resets it; safe on an initialised struct. */
void appctl_approvability_dispose(appctl_approvability *a);

#endif
