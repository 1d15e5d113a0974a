/* diff_revisions.h: the diff of two commits' definitions, reading only what can differ (service layer). */
#ifndef APPCTL_DIFF_REVISIONS_H
#define APPCTL_DIFF_REVISIONS_H

#include "appctl/diff.h"
#include "appctl/error.h"
#include "appctl/model.h"
#include "appctl/progress.h"
#include "appctl/store.h"

/*
 * The semantic diff (SPEC §2) from commit `from` to commit `to` on day
 * `at`, appended to `out` and sorted: what appctl_diff_snapshots gives for
 * the two snapshots, reading only the apps whose file changed or that name
 * a group whose members moved. `from_rev` and `to_rev` are the revisions as
 * the user named them, for errors ("in 'B'"). Reads through the caches of
 * .git/appctl/cache (appctl_repo_load_app_cached and the facts memo), so it
 * is for reports, never for a verdict: the hook and the judge read git
 * objects only.
 */
appctl_error *appctl_diff_revisions(appctl_changes *out, appctl_repo *repo,
	const char *from, const char *from_rev, const char *to,
	const char *to_rev, appctl_date at, const appctl_progress *progress);

/*
 * How many threads a diff may run on: APPCTL_THREADS=<n> (1 to 8) when set
 * (*forced then 1: tests and benchmarks), else one per core, at most 8.
 */
size_t appctl_diff_threads(int *forced);

#endif
