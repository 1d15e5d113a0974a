/* diff_revisions.c: `appctl diff` of two commits, reading only the apps that can differ. */
#include "appctl/diff_revisions.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appctl/access.h"
#include "appctl/strbuf.h"

/*
 * Apps are diffed on up to this many threads, one repository handle each.
 * A cold diff of a large org is mostly parsing apps, one at a time and
 * each on its own: it scales with the cores.
 */
#define MAX_THREADS 8
/* Below this many apps per thread, a thread costs more than it saves. */
#define APPS_PER_THREAD 8

/* What every app's diff needs to know about the run. */
typedef struct diff_run {
	const char *from_rev;
	const char *to_rev;
	appctl_date at;
	const appctl_app_listing *a;
	const appctl_app_listing *b;
	const char **moved;       /* principals whose group membership moved */
	size_t nmoved;
	const char **groups;      /* the groups concerned */
	size_t ngroups;
	const char **needles;
	size_t nneedles;
} diff_run;

/* True when `app` names one of the groups whose members moved. */
static int uses_moved_group(const appctl_app *app, const char *const *groups,
	size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (appctl_app_uses_group(app, groups[i]))
			return 1;
	return 0;
}

/*
 * The needles that let an unchanged app be skipped unparsed: it can only be
 * concerned by a group move if its text says "group:<name>" for a moved
 * group. A "\u" escape could spell that name in disguise, so any escape
 * means "parse to be sure".
 */
static appctl_error *moved_group_needles(diff_run *run, appctl_arena *arena)
{
	const char **needles;
	size_t i;

	needles = appctl_arena_calloc(arena, run->ngroups + 1, sizeof(*needles));
	if (!needles)
		return appctl_error_nomem();
	for (i = 0; i < run->ngroups; i++)
		if (!(needles[i] = appctl_arena_printf(arena, "group:%s",
			      run->groups[i])))
			return appctl_error_nomem();
	needles[run->ngroups] = "\\u";
	run->needles = needles;
	run->nneedles = run->ngroups + 1;
	return NULL;
}

static appctl_error *load_side(appctl_app **out, appctl_arena *arena,
	appctl_repo *repo, const diff_run *run, const appctl_app_entry *e,
	const char *rev, int filtered)
{
	appctl_error *err = appctl_repo_load_app_cached(out, arena, repo,
		e->blob_id, e->dir, filtered ? (const char *const *)run->needles : NULL,
		filtered ? run->nneedles : 0);

	return err ? appctl_error_wrap(err, "in '%s'", rev) : NULL;
}

/*
 * The memo key of an unchanged app's facts: they depend on its file, its
 * folder, both policies (appctl.json and its groups_from files, which also
 * say whose membership moved) and the day, when temporary memberships end.
 */
static int facts_key(char key[41], const diff_run *run,
	const appctl_app_entry *e)
{
	appctl_strbuf m = APPCTL_STRBUF_INIT;
	char day[11];
	int rc;

	appctl_date_format(day, run->at);
	appctl_strbuf_printf(&m, "app %s\nblob %s\nfrom %s\nto %s\nat %s\n",
		e->dir, e->blob_id, run->a->policy_key, run->b->policy_key, day);
	rc = m.failed ? -1 : appctl_repo_facts_key(key, m.ptr, m.len);
	appctl_strbuf_dispose(&m);
	return rc;
}

/*
 * An app whose file is the same blob on both sides, while group members
 * moved: only the moved principals' access can differ. The facts are
 * memoized, so the next diff of the same change (status, diff, review
 * comments) neither decodes the app nor recomputes any access.
 */
static appctl_error *diff_unchanged_app(appctl_changes *out,
	appctl_repo *repo, const diff_run *run, const appctl_app_entry *e,
	appctl_arena *arena)
{
	appctl_error *err;
	appctl_app *app = NULL;
	size_t start = out->count;
	char key[41];
	int keyed = facts_key(key, run, e) == 0, rc;

	if (keyed) {
		rc = appctl_repo_cache_load_facts(out, repo, key, e->dir);
		if (rc != 0)
			return rc < 0 ? appctl_error_nomem() : NULL;
	}
	err = load_side(&app, arena, repo, run, e, run->to_rev, 1);
	if (!err && app && uses_moved_group(app,
		    (const char *const *)run->groups, run->ngroups))
		err = appctl_diff_app(out, app, run->a->policy, app,
			run->b->policy, (const char *const *)run->moved,
			run->nmoved, run->at);
	/*
	 * Stored in their final order: the whole list is sorted app by app,
	 * and a run already in order is only checked.
	 */
	if (!err && keyed) {
		appctl_changes_sort_range(out, start);
		appctl_repo_cache_store_facts(repo, key, e->dir,
			out->items + start, out->count - start);
	}
	return err;
}

/*
 * One app folder present on either side (`x` old, `y` new, one may be NULL).
 * Its models live in a scratch arena freed right after its diff, so the
 * peak memory stays near that of the largest app, whatever the org's size.
 */
static appctl_error *diff_one_app(appctl_changes *out, appctl_repo *repo,
	const diff_run *run, const appctl_app_entry *x,
	const appctl_app_entry *y)
{
	appctl_error *err = NULL;
	appctl_arena *arena = NULL;
	appctl_app *old_app = NULL, *new_app = NULL;

	arena = appctl_arena_new();
	if (!arena)
		return appctl_error_nomem();
	if (x && y && strcmp(x->blob_id, y->blob_id) == 0) {
		err = diff_unchanged_app(out, repo, run, y, arena);
		goto cleanup;
	}
	if (x && (err = load_side(&old_app, arena, repo, run, x,
			  run->from_rev, 0)))
		goto cleanup;
	if (y && (err = load_side(&new_app, arena, repo, run, y,
			  run->to_rev, 0)))
		goto cleanup;
	err = appctl_diff_app(out, old_app, run->a->policy, new_app,
		run->b->policy, NULL, 0, run->at);
cleanup:
	appctl_arena_free(arena);
	return err;
}

/* One app folder present on either side (`x` old, `y` new, one may be NULL). */
typedef struct app_job {
	const appctl_app_entry *x, *y;
	size_t worker;      /* the thread whose list holds its changes, */
	size_t start, end;  /* and where in it */
	appctl_error *err;
} app_job;

/* The jobs, shared by the threads; `lock` guards the fields after it. */
typedef struct job_queue {
	const diff_run *run;
	app_job *jobs;
	size_t count;
	const appctl_progress *progress;
	pthread_mutex_t lock;
	size_t next;      /* the next job to take */
	size_t failed_at; /* the first job known to have failed, or count */
	size_t done;
} job_queue;

typedef struct worker {
	job_queue *q;
	size_t index;
	appctl_repo *repo;       /* this thread's own handle */
	appctl_changes *list;    /* the changes of every job it ran, in turn: */
	appctl_changes own;      /* its own list, or the result when alone */
	pthread_t thread;
} worker;

/*
 * Takes jobs in order until none is left. Jobs past one that failed are
 * not started: the result is that failure, as if the apps were diffed one
 * after the other, and every job before it still runs to completion.
 */
static void *work(void *arg)
{
	worker *w = arg;
	job_queue *q = w->q;

	for (;;) {
		app_job *job;
		size_t k;

		pthread_mutex_lock(&q->lock);
		k = q->next < q->failed_at ? q->next++ : q->count;
		pthread_mutex_unlock(&q->lock);
		if (k >= q->count)
			return NULL;
		job = &q->jobs[k];
		job->worker = w->index;
		job->start = w->list->count;
		job->err = diff_one_app(w->list, w->repo, q->run, job->x,
			job->y);
		job->end = w->list->count;
		pthread_mutex_lock(&q->lock);
		if (job->err && k < q->failed_at)
			q->failed_at = k;
		/* One step at a time, from whichever thread finished. */
		appctl_progress_step(q->progress, ++q->done, q->count);
		pthread_mutex_unlock(&q->lock);
	}
}

/*
 * Appends every job's changes to `out` in job order: the items are copied,
 * the strings stay where they are (each thread's arena joins out's).
 */
static appctl_error *gather(appctl_changes *out, const job_queue *q,
	worker *workers, size_t n)
{
	appctl_change *slot;
	size_t total = 0, k;

	for (k = 0; k < q->count; k++)
		total += q->jobs[k].end - q->jobs[k].start;
	if (!(slot = appctl_changes_reserve(out, total)))
		return appctl_error_nomem();
	for (k = 0; k < q->count; k++) {
		const app_job *job = &q->jobs[k];

		if (job->end == job->start)
			continue;
		memcpy(slot, workers[job->worker].list->items + job->start,
			(job->end - job->start) * sizeof(*slot));
		slot += job->end - job->start;
	}
	out->count += total;
	for (k = 0; k < n; k++) {
		appctl_arena_adopt(out->arena, workers[k].own.arena);
		workers[k].own.arena = NULL;
	}
	return NULL;
}

/*
 * How many threads: one per core, while each has enough apps to read.
 * APPCTL_THREADS=<n> sets it (1 to MAX_THREADS), for tests and benchmarks.
 */
static size_t thread_count(size_t jobs)
{
	const char *env = getenv("APPCTL_THREADS");
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cores > 1 ? (size_t)cores : 1;

	if (env && *env >= '1' && *env <= '9' && !env[1])
		return (size_t)(*env - '0') > MAX_THREADS ? MAX_THREADS
							  : (size_t)(*env - '0');
	if (n > MAX_THREADS)
		n = MAX_THREADS;
	if (n > jobs / APPS_PER_THREAD)
		n = jobs / APPS_PER_THREAD;
	return n ? n : 1;
}

/*
 * Runs every job, on this thread and as many others as thread_count
 * allows (each with a twin of `repo`; none when no twin can be made), and
 * adds their changes to `out` in job order: the same list, the same first
 * error and the same cache contents as one thread would give.
 */
static appctl_error *run_jobs(appctl_changes *out, appctl_repo *repo,
	job_queue *q)
{
	worker workers[MAX_THREADS];
	size_t n = thread_count(q->count), ready = 0, k;
	appctl_error *err = NULL;

	memset(workers, 0, sizeof(workers));
	if (pthread_mutex_init(&q->lock, NULL) != 0)
		return appctl_error_nomem();
	q->failed_at = q->count;
	/* Every twin before any thread runs: see appctl_repo_twin. */
	for (k = 0; k < n; k++) {
		workers[k].q = q;
		workers[k].index = k;
		workers[k].repo = k ? appctl_repo_twin(repo) : repo;
		workers[k].list = &workers[k].own;
		if (!workers[k].repo ||
		    appctl_changes_init(&workers[k].own) != 0) {
			if (k)
				appctl_repo_free(workers[k].repo);
			if (!k)
				err = appctl_error_nomem();
			break;
		}
		ready++;
	}
	if (!err) {
		size_t started = 1; /* this thread */

		while (started < ready && pthread_create(&workers[started].thread,
			    NULL, work, &workers[started]) == 0)
			started++;
		/* Twins whose thread did not start. */
		for (k = started; k < ready; k++) {
			appctl_repo_free(workers[k].repo);
			appctl_changes_dispose(&workers[k].own);
		}
		ready = started;
	}
	/* Alone, this thread writes straight into the result: nothing to gather. */
	if (ready == 1) {
		appctl_changes_dispose(&workers[0].own);
		workers[0].list = out;
	}
	if (!err)
		work(&workers[0]);
	for (k = 1; k < ready; k++) {
		pthread_join(workers[k].thread, NULL);
		appctl_repo_free(workers[k].repo);
	}
	pthread_mutex_destroy(&q->lock);
	if (!err && q->failed_at < q->count) {
		err = q->jobs[q->failed_at].err;
		q->jobs[q->failed_at].err = NULL;
	}
	/* Jobs past the first failure that had started already. */
	for (k = 0; k < q->count; k++)
		appctl_error_free(q->jobs[k].err);
	if (!err && ready > 1)
		err = gather(out, q, workers, ready);
	/* Their strings live on in out's arena; the rest goes. */
	for (k = 0; k < ready; k++)
		if (workers[k].list != out)
			appctl_changes_dispose(&workers[k].own);
	return err;
}

/* The whole diff of two listings, like appctl_diff_snapshots. */
static appctl_error *diff_listings(appctl_changes *out, appctl_repo *repo,
	diff_run *run, const appctl_progress *progress)
{
	const appctl_app_listing *a = run->a, *b = run->b;
	appctl_error *err = NULL;
	appctl_arena *scratch = NULL;
	job_queue q;
	size_t i = 0, j = 0;

	memset(&q, 0, sizeof(q));
	q.run = run;
	q.progress = progress;
	scratch = appctl_arena_new();
	if (!scratch)
		return appctl_error_nomem();
	/* One parse of one policy and the same signers: nothing to compare. */
	if (a->policy != b->policy || a->signers_len != b->signers_len ||
	    memcmp(a->signers_text, b->signers_text, a->signers_len) != 0) {
		err = appctl_diff_policy(out, a->policy, a->signers_text,
			b->policy, b->signers_text);
		if (!err)
			err = appctl_diff_group_moves(&run->moved, &run->nmoved,
				&run->groups, &run->ngroups, scratch, a->policy,
				b->policy);
	}
	if (!err)
		err = moved_group_needles(run, scratch);
	if (!err && !(q.jobs = appctl_arena_calloc(scratch,
			      a->app_count + b->app_count, sizeof(*q.jobs))))
		err = appctl_error_nomem();
	/* Both listings are sorted by folder name: one merge pass. */
	while (!err && (i < a->app_count || j < b->app_count)) {
		int c = i >= a->app_count ? 1 : j >= b->app_count ? -1
			: strcmp(a->apps[i].dir, b->apps[j].dir);
		const appctl_app_entry *x = c <= 0 ? &a->apps[i] : NULL;
		const appctl_app_entry *y = c >= 0 ? &b->apps[j] : NULL;

		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		/* Same file on both sides: only group moves can change anyone's access. */
		if (x && y && strcmp(x->blob_id, y->blob_id) == 0 && !run->nmoved)
			continue;
		q.jobs[q.count].x = x;
		q.jobs[q.count].y = y;
		q.count++;
	}
	if (!err)
		err = run_jobs(out, repo, &q);
	if (!err)
		appctl_changes_sort(out);
	appctl_arena_free(scratch);
	return err;
}

/* `like`: the other side, already listed (it is freed after this one). */
static appctl_error *list_side(appctl_app_listing **out, appctl_repo *repo,
	const char *commit, const char *rev, const appctl_app_listing *like)
{
	appctl_error *err = appctl_repo_list_apps_like(out, repo, commit, like);

	return err ? appctl_error_wrap(err, "in '%s'", rev) : NULL;
}

appctl_error *appctl_diff_revisions(appctl_changes *out, appctl_repo *repo,
	const char *from, const char *from_rev, const char *to,
	const char *to_rev, appctl_date at, const appctl_progress *progress)
{
	appctl_app_listing *a = NULL, *b = NULL;
	appctl_error *err;
	diff_run run;

	memset(&run, 0, sizeof(run));
	run.from_rev = from_rev;
	run.to_rev = to_rev;
	run.at = at;
	if (!(err = list_side(&a, repo, from, from_rev, NULL)) &&
	    !(err = list_side(&b, repo, to, to_rev, a))) {
		run.a = a;
		run.b = b;
		err = diff_listings(out, repo, &run, progress);
	}
	appctl_app_listing_free(b);
	appctl_app_listing_free(a);
	return err;
}
