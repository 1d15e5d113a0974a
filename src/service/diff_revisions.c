/* diff_revisions.c: `appctl diff` of two commits, reading only the apps that can differ. */
#include "appctl/diff_revisions.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
/*
 * More threads start at once when the cache holds nothing, else once the
 * first thread's jobs so far say the rest is worth sharing: at the pace
 * seen, SPAWN_WORTH_NS or more of work left, after at least
 * SPAWN_AFTER_NS of it. A thread costs a repository handle and its own
 * pages, a fraction of a millisecond: a group move reaching 200 apps held
 * in the cache (0.1 ms each) pays for it, though no single app is slow.
 */
#define SPAWN_AFTER_NS 1000000L
#define SPAWN_WORTH_NS 4000000L
/* APPCTL_THREADS starts them after this many jobs, however fast. */
#define PROBE_APPS 4

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
	size_t start = out->count;

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
	/* Each job's changes are put in order here, on its thread. */
	if (!err)
		appctl_changes_sort_range(out, start);
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

typedef struct worker worker;

/*
 * The jobs and the threads that run them. The first thread (the caller's)
 * alone touches the fields up to `lock`, and writes its changes straight
 * into the result; `lock` guards the fields after it.
 */
typedef struct job_queue {
	const diff_run *run;
	app_job *jobs;
	size_t count;
	const appctl_progress *progress;
	appctl_repo *repo;
	worker *workers;
	size_t planned;       /* threads thread_count allows */
	int forced;           /* APPCTL_THREADS: no need to prove worth it */
	size_t ready;         /* threads running, the first included */
	long busy_ns;         /* the first thread's time in jobs, alone */
	pthread_mutex_t lock;
	size_t next;      /* the next job to take */
	size_t failed_at; /* the first job known to have failed, or count */
	size_t done;
} job_queue;

struct worker {
	job_queue *q;
	size_t index;
	appctl_repo *repo;       /* this thread's own handle */
	appctl_changes *list;    /* the changes of every job it ran, in turn: */
	appctl_changes own;      /* its own list (the first thread: the result) */
	pthread_t thread;
};

static void *work(void *arg);

/*
 * Starts the other threads, from the first one, while no other runs:
 * every twin is made before any thread starts (see appctl_repo_twin).
 * Fewer, or none, when a twin or a thread cannot be had.
 */
static void spawn(job_queue *q)
{
	size_t made = 1, started = 1, k;

	while (made < q->planned) {
		worker *w = &q->workers[made];

		w->q = q;
		w->index = made;
		w->list = &w->own;
		if (!(w->repo = appctl_repo_twin(q->repo)))
			break;
		if (appctl_changes_init(&w->own) != 0) {
			appctl_repo_free(w->repo);
			break;
		}
		made++;
	}
	while (started < made && pthread_create(&q->workers[started].thread,
		    NULL, work, &q->workers[started]) == 0)
		started++;
	for (k = started; k < made; k++) {
		appctl_repo_free(q->workers[k].repo);
		appctl_changes_dispose(&q->workers[k].own);
	}
	q->ready = started;
}

static long elapsed_ns(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000000000L +
		(now.tv_nsec - since->tv_nsec);
}

/*
 * On the first thread alone, after job k: whether the other threads
 * should start now (the work left is worth sharing, and enough jobs are
 * left to share; or APPCTL_THREADS said so, after PROBE_APPS jobs).
 */
static int time_to_spawn(const job_queue *q, size_t k)
{
	size_t done = k + 1, left = q->count - done;

	if (q->forced)
		return done >= PROBE_APPS && left > 0;
	if (left < APPS_PER_THREAD)
		return 0;
	return q->busy_ns >= SPAWN_AFTER_NS &&
		(double)q->busy_ns / (double)done * (double)left >= SPAWN_WORTH_NS;
}

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
		struct timespec began;
		app_job *job;
		size_t k;
		int probing;

		pthread_mutex_lock(&q->lock);
		k = q->next < q->failed_at ? q->next++ : q->count;
		pthread_mutex_unlock(&q->lock);
		if (k >= q->count)
			return NULL;
		job = &q->jobs[k];
		job->worker = w->index;
		job->start = w->list->count;
		clock_gettime(CLOCK_MONOTONIC, &began);
		job->err = diff_one_app(w->list, w->repo, q->run, job->x,
			job->y);
		job->end = w->list->count;
		/* Only the first thread, alone, keeps count: see time_to_spawn. */
		probing = w->index == 0 && q->ready == 1 && q->planned > 1;
		if (probing)
			q->busy_ns += elapsed_ns(&began);
		pthread_mutex_lock(&q->lock);
		if (job->err && k < q->failed_at)
			q->failed_at = k;
		/* One step at a time, from whichever thread finished. */
		appctl_progress_step(q->progress, ++q->done, q->count);
		pthread_mutex_unlock(&q->lock);
		if (probing && time_to_spawn(q, k))
			spawn(q);
	}
}

/*
 * Puts the result's changes in job order once other threads helped: the
 * first `prefix` changes (the policy's), then each job's. The first
 * thread's changes are already in the result, in job order among
 * themselves; the list grows and is filled from the back, so each of its
 * runs only moves towards the end and is read before anything is written
 * over it. Copying into a new list instead would touch as many fresh pages
 * as the changes take, and a fresh page costs more than the copy. Strings
 * stay where they are (each thread's arena joins out's).
 */
static appctl_error *gather(appctl_changes *out, size_t prefix,
	const job_queue *q)
{
	size_t total = prefix, end, k;

	for (k = 0; k < q->count; k++)
		total += q->jobs[k].end - q->jobs[k].start;
	if (total > out->count &&
	    !appctl_changes_reserve(out, total - out->count))
		return appctl_error_nomem();
	end = total;
	for (k = q->count; k-- > 0;) {
		const app_job *job = &q->jobs[k];
		size_t n = job->end - job->start;

		if (!n)
			continue;
		end -= n;
		/* The first thread's list is `out` itself. */
		memmove(out->items + end,
			q->workers[job->worker].list->items + job->start,
			n * sizeof(*out->items));
	}
	out->count = total;
	for (k = 1; k < q->ready; k++) {
		appctl_arena_adopt(out->arena, q->workers[k].own.arena);
		q->workers[k].own.arena = NULL;
	}
	return NULL;
}

size_t appctl_diff_threads(int *forced)
{
	const char *env = getenv("APPCTL_THREADS");
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cores > 1 ? (size_t)cores : 1;

	*forced = 0;
	if (env && *env >= '1' && *env <= '9' && !env[1]) {
		*forced = 1;
		n = (size_t)(*env - '0');
	}
	return n > MAX_THREADS ? MAX_THREADS : n;
}

/*
 * How many threads may run: appctl_diff_threads, while each has enough
 * apps unless APPCTL_THREADS set the number (*forced), so that they start
 * after the first PROBE_APPS apps (at once with nothing cached) however
 * fast those were.
 */
static size_t thread_count(size_t jobs, int *forced)
{
	size_t n = appctl_diff_threads(forced);

	if (!*forced && n > jobs / APPS_PER_THREAD)
		n = jobs / APPS_PER_THREAD;
	return n ? n : 1;
}

/*
 * Runs every job, on this thread and, once the work proves long, as many others
 * as thread_count allows (each with a twin of `repo`), and adds their
 * changes to `out` in job order: the same list, the same first error and
 * the same cache contents as one thread would give.
 */
static appctl_error *run_jobs(appctl_changes *out, appctl_repo *repo,
	job_queue *q)
{
	worker workers[MAX_THREADS];
	size_t prefix = out->count, k;
	appctl_error *err = NULL;

	memset(workers, 0, sizeof(workers));
	if (pthread_mutex_init(&q->lock, NULL) != 0)
		return appctl_error_nomem();
	q->repo = repo;
	q->workers = workers;
	q->planned = thread_count(q->count, &q->forced);
	q->ready = 1;
	q->failed_at = q->count;
	workers[0].q = q;
	workers[0].repo = repo;
	workers[0].list = out;
	/*
	 * Nothing cached (a fresh clone, say): every app will be parsed, so
	 * there is nothing to probe.
	 */
	if (q->planned > 1 && appctl_repo_cache_is_empty(repo))
		spawn(q);
	work(&workers[0]);
	for (k = 1; k < q->ready; k++) {
		pthread_join(workers[k].thread, NULL);
		appctl_repo_free(workers[k].repo);
	}
	pthread_mutex_destroy(&q->lock);
	if (q->failed_at < q->count) {
		err = q->jobs[q->failed_at].err;
		q->jobs[q->failed_at].err = NULL;
	}
	/* Jobs past the first failure that had started already. */
	for (k = 0; k < q->count; k++)
		appctl_error_free(q->jobs[k].err);
	if (!err && q->ready > 1)
		err = gather(out, prefix, q);
	/* Their strings live on in out's arena; the rest goes. */
	for (k = 1; k < q->ready; k++)
		appctl_changes_dispose(&workers[k].own);
	return err;
}

/*
 * The final order: the policy's changes and each job's came sorted, and
 * in job order (folder order, which is app order) they usually follow each
 * other, so only the seams are compared.
 */
static appctl_error *sort_by_jobs(appctl_changes *out, const job_queue *q,
	appctl_arena *scratch)
{
	size_t *ends = appctl_arena_calloc(scratch, q->count + 1, sizeof(*ends));
	size_t k, at = out->count;

	if (!ends)
		return appctl_error_nomem();
	for (k = q->count; k-- > 0;) {
		ends[k + 1] = at;
		at -= q->jobs[k].end - q->jobs[k].start;
	}
	ends[0] = at;
	appctl_changes_sort_runs(out, ends, q->count + 1);
	return NULL;
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
	/* Apps to compare ask about access in bulk: index the memberships. */
	if (!err && q.count &&
	    (appctl_policy_index_members(a->policy, a->arena) != 0 ||
		appctl_policy_index_members(b->policy, b->arena) != 0))
		err = appctl_error_nomem();
	if (!err) {
		appctl_changes_sort_range(out, 0);
		err = run_jobs(out, repo, &q);
	}
	if (!err)
		err = sort_by_jobs(out, &q, scratch);
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
