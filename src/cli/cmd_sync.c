/* cmd_sync.c: `appctl sync [--fetch] [--drop EVENT] [REMOTE]`: merge the event log with a remote's by re-parenting events, then push log, releases and tags in one atomic compare-and-swap push. */
#include "sync.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appctl/json.h"
#include "appctl/log.h"
#include "appctl/remote.h"
#include "appctl/strbuf.h"
#include "appctl/chain.h"
#include "appctl/progress.h"
#include "appctl/clock.h"
#include "appctl/verify.h"
#include "progress.h"

/* Someone pushing first costs one round; six in a row means a busy remote. */
#define SYNC_ATTEMPTS 6
#define RELEASE_PREFIX "refs/tags/release/"

typedef struct sync_ctx {
	appctl_cli *cli;
	const char *remote;           /* as the user named it */
	appctl_remote_spec spec;      /* what git is given, where the copies go */
	const char *prefix;           /* spec.track: refs/appctl/remote/<remote>/ */
	const char *drop;             /* --drop: the event to remove first; NULL done */
	int fetch_only;               /* --fetch: judge and adopt, never push */
	char dropped[41];             /* the event --drop removed */
	appctl_strbuf drop_line;      /* what --drop did, kept across attempts */
	appctl_remote_refs adv;       /* what the remote advertised at the fetch */
	appctl_log_state *pre_state;  /* the local log's state before sync */
	char local[41];               /* the local log before this attempt; "" none */
	char remote_log[41];          /* the remote's log; "" none */
	char merged[41];
	const appctl_log_state *state;/* the merged log's state, as verified */
	appctl_chain *chain;          /* the merged log, every event judged */
	appctl_ref_entry *saved;      /* the remote-tracking refs before the fetch */
	size_t saved_count;
	size_t fetched;               /* events the remote had that this clone lacked */
	size_t reparented;            /* local events put on top of the remote's */
	appctl_strbuf lines;          /* one line per thing done */
	cli_progress progress;        /* events judged, on a terminal */
} sync_ctx;

/* Each fetched event judged: a counter, for logs of thousands of events. */
static void show_progress(size_t done, size_t total, void *arg)
{
	sync_ctx *s = arg;

	appctl_progress_step(&s->progress.hooks, done, total);
}

static appctl_error *say(sync_ctx *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Notes one thing sync did, for the report at the end. */
static appctl_error *say(sync_ctx *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	appctl_strbuf_vprintf(&s->lines, fmt, ap);
	va_end(ap);
	appctl_strbuf_putc(&s->lines, '\n');
	return s->lines.failed ? appctl_error_nomem() : NULL;
}

/* The local copy of remote ref `ref`: refs/appctl/remote/<remote>/{log,heads/..,tags/..}. */
static char *track_name(const sync_ctx *s, const char *ref)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;

	if (strcmp(ref, APPCTL_LOG_REF) == 0)
		appctl_strbuf_printf(&b, "%slog", s->prefix);
	else
		appctl_strbuf_printf(&b, "%s%s", s->prefix, ref + strlen("refs/"));
	return appctl_strbuf_detach(&b);
}

/* The remote ref a local copy stands for (inverse of track_name); caller frees. */
static char *untrack_name(const sync_ctx *s, const char *track)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char *rest = track + strlen(s->prefix);

	if (strcmp(rest, "log") == 0)
		appctl_strbuf_puts(&b, APPCTL_LOG_REF);
	else
		appctl_strbuf_printf(&b, "refs/%s", rest);
	return appctl_strbuf_detach(&b);
}

/* ---- fetching ---- */

#define add_spec(specs, n, ...) \
	(appctl_strlist_add_printf((specs), (n), __VA_ARGS__) < 0 \
		? appctl_error_nomem() : NULL)

static void free_specs(char **specs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(specs[i]);
	free(specs);
}

/* The state of the remote's log, as fetched; NULL when it has none. */
static appctl_error *remote_state(appctl_log_state **out, sync_ctx *s)
{
	appctl_log_entry entry;
	appctl_error *err;

	*out = NULL;
	if (!*s->remote_log)
		return NULL;
	err = appctl_log_entry_read(&entry, s->cli->repo, s->remote_log);
	if (!err) {
		*out = entry.state;
		entry.state = NULL;
	}
	appctl_log_entry_dispose(&entry);
	return err;
}

/*
 * One fetch of the log, the release tags and the branches of `envs` into
 * the remote's namespace under refs/appctl/remote/<remote>/.
 */
static appctl_error *fetch_once(sync_ctx *s, const appctl_log_state *envs)
{
	char **specs = NULL;
	size_t n = 0, i;
	appctl_error *err;
	const char *at;

	err = add_spec(&specs, &n, "+%s:%slog", APPCTL_LOG_REF, s->prefix);
	if (!err)
		err = add_spec(&specs, &n, "+refs/tags/release/*:%stags/release/*",
			s->prefix);
	for (i = 0; envs && i < envs->env_count && !err; i++)
		err = add_spec(&specs, &n, "+refs/heads/%s:%sheads/%s",
			envs->envs[i].env, s->prefix, envs->envs[i].env);
	appctl_remote_refs_dispose(&s->adv);
	if (!err)
		err = appctl_remote_fetch(&s->adv, s->cli->repo, s->spec.arg,
			(const char *const *)specs, n);
	free_specs(specs, n);
	if (err)
		return err;
	at = appctl_remote_refs_find(&s->adv, APPCTL_LOG_REF);
	snprintf(s->remote_log, sizeof(s->remote_log), "%s", at ? at : "");
	return NULL;
}

/* Drops local copies of remote refs the remote no longer has. */
static appctl_error *prune(sync_ctx *s)
{
	appctl_ref_entry *refs = NULL;
	appctl_error *err;
	size_t n = 0, i;

	err = appctl_refs_list(&refs, &n, s->cli->repo, s->prefix);
	for (i = 0; i < n && !err; i++) {
		char *name = untrack_name(s, refs[i].name);

		if (!name)
			err = appctl_error_nomem();
		else if (!appctl_remote_refs_find(&s->adv, name))
			err = appctl_ref_delete(s->cli->repo, refs[i].name);
		free(name);
	}
	appctl_ref_entries_free(refs, n);
	return err;
}

static appctl_error *fetch(sync_ctx *s)
{
	appctl_log_state *theirs = NULL;
	appctl_error *err;
	size_t i;
	int more = 0;

	err = fetch_once(s, s->pre_state);
	if (!err)
		err = remote_state(&theirs, s);
	/* Environments only the remote knows yet (a fresh clone): fetch those too. */
	for (i = 0; !err && theirs && i < theirs->env_count; i++)
		if (!s->pre_state ||
		    !appctl_log_state_env(s->pre_state, theirs->envs[i].env))
			more = 1;
	if (!err && more)
		err = fetch_once(s, theirs);
	if (!err)
		err = prune(s);
	appctl_log_state_free(theirs);
	return err;
}

/* ---- merging the logs ---- */

static int id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids of the events on `head`'s first-parent chain after `base`, sorted. */
static appctl_error *event_ids(char ***out, size_t *count, appctl_repo *repo,
	const char *head, const char *base)
{
	char (*path)[41] = NULL, **ids = NULL;
	appctl_error *err;
	size_t n = 0, i, k = 0;
	int reached = 0;

	*out = NULL;
	*count = 0;
	err = appctl_first_parent_path(&path, &n, &reached, repo, head, base);
	if (!err && !(ids = calloc(n + 1, sizeof(*ids))))
		err = appctl_error_nomem();
	for (i = 0; i < n && !err; i++) {
		appctl_log_entry entry;

		err = appctl_log_entry_read(&entry, repo, path[i]);
		if (!err && !(ids[k++] = strdup(entry.event->id)))
			err = appctl_error_nomem();
		appctl_log_entry_dispose(&entry);
	}
	free(path);
	if (err) {
		free_specs(ids, k);
		return err;
	}
	qsort(ids, k, sizeof(*ids), id_cmp);
	*out = ids;
	*count = k;
	return NULL;
}

static int has_id(char **ids, size_t n, const char *id)
{
	return n && bsearch(&id, ids, n, sizeof(*ids), id_cmp) != NULL;
}

/*
 * Puts the local events after `base` that the remote's log lacks on top
 * of it, oldest first, each with the state recomputed on its new parent.
 * Their event.json and signature bytes are untouched: ids and signatures
 * stay what they were, and an event the remote has is never repeated.
 */
static appctl_error *reparent(sync_ctx *s, const char *base)
{
	appctl_log_state *state = NULL, *next = NULL;
	char (*path)[41] = NULL, **remote_ids = NULL, *state_json = NULL;
	appctl_error *err;
	size_t n = 0, nids = 0, i;
	int reached = 0;

	err = event_ids(&remote_ids, &nids, s->cli->repo, s->remote_log, base);
	if (!err)
		err = appctl_first_parent_path(&path, &n, &reached, s->cli->repo,
			s->local, base);
	if (!err)
		err = remote_state(&state, s);
	if (err)
		goto cleanup;
	s->fetched = nids;
	memcpy(s->merged, s->remote_log, 41);
	for (i = n; i > 0 && !err; i--) {
		appctl_log_entry entry;
		const appctl_event *ev;

		err = appctl_log_entry_read(&entry, s->cli->repo, path[i - 1]);
		ev = entry.event;
		if (!err && has_id(remote_ids, nids, ev->id)) {
			appctl_log_entry_dispose(&entry);
			continue;
		}
		if (!err)
			err = appctl_log_state_next(&next, state, ev, ev->id);
		if (err && err->code == APPCTL_ECONFLICT) {
			appctl_error_free(err);
			err = appctl_error_new(APPCTL_ECONFLICT, "sync: your %s of '%s' "
				"(release %lld, event %.12s) was not pushed, and '%s' "
				"released '%s' meanwhile: it cannot be recorded on top; "
				"remove it with 'appctl sync --drop %.12s' (the other "
				"events are kept, and '%s' returns to where it was), see "
				"'appctl history %s' and promote again",
				appctl_event_type_name(ev->type), ev->env,
				(long long)ev->release, ev->id, s->remote, ev->env,
				ev->id, ev->env, ev->env);
		}
		if (!err)
			err = appctl_log_state_format(&state_json, next);
		if (!err)
			err = appctl_log_reparent(s->merged, s->cli->repo, s->merged,
				ev, state_json);
		free(state_json);
		state_json = NULL;
		appctl_log_entry_dispose(&entry);
		if (err)
			break;
		appctl_log_state_free(state);
		state = next;
		next = NULL;
		s->reparented++;
	}
cleanup:
	appctl_log_state_free(next);
	appctl_log_state_free(state);
	free_specs(remote_ids, nids);
	free(path);
	return err;
}

/* Whether log commit `commit` is one of the local events re-parented onto the remote's log. */
static appctl_error *is_reparented(int *out, sync_ctx *s, const char *commit)
{
	char (*path)[41] = NULL;
	appctl_error *err;
	size_t n = 0, i;
	int reached = 0;

	*out = 0;
	if (!s->reparented || !*s->remote_log || !*commit)
		return NULL;
	err = appctl_first_parent_path(&path, &n, &reached, s->cli->repo,
		s->merged, s->remote_log);
	for (i = 0; !err && i < n && !*out; i++)
		*out = strcmp(path[i], commit) == 0;
	free(path);
	return err;
}

/*
 * Judges every event of the merged log above `base` (a commit of the
 * verified local log, or "" for a clone without one) as recorded events:
 * the remote's and the local ones re-parented onto them. The first that
 * fails stops the sync with nothing adopted.
 */
static appctl_error *verify_merged(sync_ctx *s, const char *base)
{
	appctl_log_problem problem;
	appctl_judge_ctx ctx;
	appctl_error *err;

	appctl_chain_free(s->chain);
	s->chain = NULL;
	err = appctl_chain_open(&s->chain, s->cli->repo, base);
	if (err)
		return err;
	appctl_judge_ctx_init(&ctx, s->cli->repo, s->chain,
		APPCTL_JUDGE_RECORDED, appctl_clock_now());
	err = appctl_log_verify_range(&problem, &ctx, s->merged, show_progress,
		s);
	if (!err && problem.text) {
		char *text = appctl_log_problem_describe(&problem);
		int own = 0;

		err = is_reparented(&own, s, problem.log_commit);
		if (!err && own)
			err = appctl_error_new(APPCTL_EDENIED, "sync: on top of the "
				"log of '%s', this repository's own %s does not pass the "
				"judge; nothing was adopted: remove it alone (the other "
				"events are kept) with 'appctl sync --drop %.12s'",
				s->remote, text ? text : problem.text, problem.event_id);
		else if (!err)
			err = appctl_error_new(APPCTL_EDENIED, "sync: the log of '%s' "
				"does not pass the judge at %s; nothing was adopted",
				s->remote, text ? text : problem.text);
		free(text);
	}
	appctl_log_problem_dispose(&problem);
	return err;
}

/* Decides the merged log and makes it the local one (a compare-and-swap). */
static appctl_error *merge(sync_ctx *s)
{
	appctl_error *err = NULL;
	char base[41] = "";
	int found = 0;

	s->reparented = 0;
	s->fetched = 0;
	if (!*s->local && !*s->remote_log)
		return appctl_error_new(APPCTL_EINPUT, "sync: neither this "
			"repository nor '%s' has an event log; run 'appctl init'",
			s->remote);
	if (!*s->remote_log) {
		memcpy(s->merged, s->local, 41);
	} else if (!*s->local) {
		memcpy(s->merged, s->remote_log, 41);
		s->fetched = 1;
	} else {
		err = appctl_merge_base(base, &found, s->cli->repo, s->local,
			s->remote_log);
		if (!err && !found)
			return appctl_error_new(APPCTL_EINPUT, "sync: the event logs "
				"of this repository and '%s' share no history (each was "
				"initialised on its own); nothing was changed", s->remote);
		if (err)
			return err;
		if (strcmp(base, s->local) == 0) {
			memcpy(s->merged, s->remote_log, 41);
			s->fetched = strcmp(base, s->remote_log) != 0;
		} else if (strcmp(base, s->remote_log) == 0) {
			memcpy(s->merged, s->local, 41);
		} else {
			err = reparent(s, base);
		}
	}
	if (err)
		return err;
	/*
	 * Nothing fetched is adopted before it passed the judge, as the hook
	 * judges it. A log that only adds local events to the remote's adopts
	 * nothing: this clone verified it (appctl_log_verified), and the
	 * remote's hook judges what it receives.
	 */
	err = verify_merged(s, found && strcmp(s->merged, s->local) != 0
		? base : s->local);
	if (err)
		return err;
	if (strcmp(s->merged, s->local) != 0)
		err = appctl_ref_cas(s->cli->repo, APPCTL_LOG_REF,
			*s->local ? s->local : NULL, s->merged, "appctl sync: merge");
	if (!err && strcmp(s->merged, s->local) != 0)
		err = appctl_log_checkpoint_write(s->cli->repo, s->merged);
	if (!err && s->reparented)
		err = say(s, "re-parented %zu local event%s onto the log of %s",
			s->reparented, s->reparented == 1 ? "" : "s", s->remote);
	if (!err && s->fetched && strcmp(s->merged, s->local) != 0)
		err = say(s, "took the events of %s's log", s->remote);
	return err;
}

/* ---- following the merged log locally ---- */

/* Whether `env` is the first environment (by the policy at its commit), which no release moves. */
static appctl_error *is_first(int *first, sync_ctx *s, const appctl_env_state *e)
{
	appctl_app_listing *l = NULL;
	appctl_error *err = appctl_repo_list_apps(&l, s->cli->repo, e->commit);

	*first = !err && l->policy->environment_count &&
		strcmp(l->policy->environments[0], e->env) == 0;
	appctl_app_listing_free(l);
	return err;
}

/*
 * Moves local environment branches the merged log released meanwhile:
 * from where this clone's log had them (or from nothing), never from
 * anywhere else.
 */
static appctl_error *follow_branches(sync_ctx *s)
{
	appctl_error *err = NULL;
	size_t i;

	for (i = 0; i < s->state->env_count && !err; i++) {
		const appctl_env_state *e = &s->state->envs[i];
		const appctl_env_state *before = s->pre_state
			? appctl_log_state_env(s->pre_state, e->env) : NULL;
		char name[300], at[41], obj[41];
		int found = 0, first = 0, have = 0;

		snprintf(name, sizeof(name), "refs/heads/%s", e->env);
		err = is_first(&first, s, e);
		if (!err && !first)
			err = appctl_ref_read(at, &found, s->cli->repo, name);
		if (err || first || (found && strcmp(at, e->commit) == 0))
			continue;
		if (found && !(before && strcmp(at, before->commit) == 0)) {
			err = say(s, "left %s alone: it is at %.7s, the log has "
				"release %lld at %.7s", e->env, at,
				(long long)e->release, e->commit);
			continue;
		}
		err = appctl_object_commit(obj, &have, s->cli->repo, e->commit);
		if (!err && !have)
			continue;
		if (!err)
			err = appctl_ref_cas(s->cli->repo, name, found ? at : NULL,
				e->commit, "appctl sync: follow the log");
		if (!err)
			err = say(s, "%s %s at %.7s (release %lld)", found ? "moved"
				: "created", e->env, e->commit, (long long)e->release);
	}
	return err;
}

/* The release a tag name stands for; 0 when it is not release/<env>/<N>. */
static int tag_release(char *env, size_t size, int64_t *n, const char *ref)
{
	const char *rest, *slash;
	char *end = NULL;
	long long v;

	if (strncmp(ref, RELEASE_PREFIX, strlen(RELEASE_PREFIX)) != 0)
		return 0;
	rest = ref + strlen(RELEASE_PREFIX);
	slash = strrchr(rest, '/');
	if (!slash || slash == rest || (size_t)(slash - rest) >= size || !slash[1] ||
	    slash[1] < '0' || slash[1] > '9')
		return 0;
	v = strtoll(slash + 1, &end, 10);
	if (*end || v < 0)
		return 0;
	memcpy(env, rest, (size_t)(slash - rest));
	env[slash - rest] = '\0';
	*n = v;
	return 1;
}

/* The commit release `n` of `env` is, by the merged, verified log. */
static appctl_error *logged_release(char out[41], int *found, sync_ctx *s,
	const char *env, int64_t n)
{
	return appctl_chain_release_commit(out, found, s->chain, env, n);
}

/* Takes the remote's release tags this clone lacks, when they match the log. */
static appctl_error *follow_tags(sync_ctx *s)
{
	appctl_ref_write *w = NULL;
	char (*ids)[41] = NULL;
	appctl_error *err = NULL;
	size_t i, n = 0;

	/* Written together below: one flush for all, not one fsync per tag. */
	if (s->adv.count && (!(w = calloc(s->adv.count, sizeof(*w))) ||
			!(ids = calloc(s->adv.count, sizeof(*ids)))))
		err = appctl_error_nomem();
	for (i = 0; i < s->adv.count && !err; i++) {
		const appctl_ref_entry *r = &s->adv.refs[i];
		char env[256], at[41], want[41];
		int64_t n_rel = 0;
		int found = 0, have = 0;

		if (!tag_release(env, sizeof(env), &n_rel, r->name))
			continue;
		err = appctl_ref_read(at, &found, s->cli->repo, r->name);
		if (err || found)
			continue;
		err = appctl_object_commit(ids[n], &have, s->cli->repo, r->id);
		if (!err && have)
			err = logged_release(want, &found, s, env, n_rel);
		if (err || !have || !found || strcmp(want, ids[n]) != 0)
			continue;
		w[n].name = r->name;
		w[n].id = ids[n];
		w[n].create = 1;
		n++;
	}
	if (!err && n)
		err = appctl_refs_write(s->cli->repo, w, n, "appctl sync: release tag");
	for (i = 0; i < n && !err; i++) {
		char env[256];
		int64_t n_rel = 0;

		tag_release(env, sizeof(env), &n_rel, w[i].name);
		err = say(s, "tagged release/%s/%lld", env, (long long)n_rel);
	}
	free(w);
	free(ids);
	return err;
}

/* ---- pushing ---- */

typedef struct push_set {
	appctl_push_ref *refs;
	char **names;                 /* owned strings the refs point into */
	size_t count;
	size_t name_count;
} push_set;

static void push_set_dispose(push_set *p)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		free(p->refs[i].reason);
	free(p->refs);
	free_specs(p->names, p->name_count);
	memset(p, 0, sizeof(*p));
}

/* Adds the update of remote ref `ref` to `id`, from `expect` (NULL: it must not exist). */
static appctl_error *push_add(push_set *p, const char *ref, const char *id,
	const char *expect)
{
	appctl_push_ref *grown = realloc(p->refs, (p->count + 1) * sizeof(*grown));
	const char *parts[3];
	char **names;
	size_t k;

	if (!grown)
		return appctl_error_nomem();
	p->refs = grown;
	names = realloc(p->names, (p->name_count + 3) * sizeof(*names));
	if (!names)
		return appctl_error_nomem();
	p->names = names;
	parts[0] = ref;
	parts[1] = id;
	parts[2] = expect ? expect : "";
	for (k = 0; k < 3; k++) {
		if (!(p->names[p->name_count] = strdup(parts[k])))
			return appctl_error_nomem();
		p->name_count++;
	}
	memset(&p->refs[p->count], 0, sizeof(p->refs[p->count]));
	p->refs[p->count].dst = p->names[p->name_count - 3];
	p->refs[p->count].id = p->names[p->name_count - 2];
	p->refs[p->count].expect = p->names[p->name_count - 1];
	p->count++;
	return NULL;
}

/* The release tags of `e` the remote lacks and this clone has, where the log puts them. */
static appctl_error *push_tags(push_set *p, sync_ctx *s,
	const appctl_env_state *e)
{
	appctl_error *err = NULL;
	int64_t n;

	/* Newest first; a tag the remote has means the older ones went before. */
	for (n = e->release; n >= 0 && !err; n--) {
		char name[300], at[41], want[41];
		int found = 0, logged = 0;

		snprintf(name, sizeof(name), RELEASE_PREFIX "%s/%lld", e->env,
			(long long)n);
		if (appctl_remote_refs_find(&s->adv, name))
			break;
		err = appctl_ref_read(at, &found, s->cli->repo, name);
		if (!err && found)
			err = logged_release(want, &logged, s, e->env, n);
		if (!err && found && logged && strcmp(at, want) == 0)
			err = push_add(p, name, at, NULL);
	}
	return err;
}

/*
 * What the remote lacks besides the log: the protected environments this
 * repository released (where the merged log has them) and release tags.
 * `first` receives the first environment's name ("" when none).
 */
static appctl_error *plan_releases(push_set *p, sync_ctx *s, char *first_env,
	size_t size)
{
	appctl_error *err = NULL;
	size_t i;

	first_env[0] = '\0';
	for (i = 0; i < s->state->env_count && !err; i++) {
		const appctl_env_state *e = &s->state->envs[i];
		const char *theirs;
		char name[300], at[41];
		int found = 0, first = 0;

		/* The first environment's branch is the builders', for git push. */
		err = is_first(&first, s, e);
		if (!err && first)
			snprintf(first_env, size, "%s", e->env);
		if (!err && !first) {
			snprintf(name, sizeof(name), "refs/heads/%s", e->env);
			theirs = appctl_remote_refs_find(&s->adv, name);
			err = appctl_ref_read(at, &found, s->cli->repo, name);
			if (!err && found && strcmp(at, e->commit) == 0 &&
			    (!theirs || strcmp(theirs, at) != 0))
				err = push_add(p, name, at, theirs);
		}
		if (!err)
			err = push_tags(p, s, e);
	}
	return err;
}

/* Whether `commit` (which may be absent here) reaches `ancestor`; 0 when unknown. */
static appctl_error *reaches(int *out, sync_ctx *s, const char *commit,
	const char *ancestor)
{
	char c[41];
	int have = 0;
	appctl_error *err;

	*out = 0;
	err = appctl_object_commit(c, &have, s->cli->repo, commit);
	if (!err && have)
		err = appctl_object_commit(c, &have, s->cli->repo, ancestor);
	if (!err && have)
		err = appctl_commit_reaches(out, s->cli->repo, commit, ancestor);
	return err;
}

/*
 * The first environment's branch, when a promotion this push publishes
 * takes a commit the remote's branch does not hold yet: the remote's hook
 * judges a promote out of it against that branch, so the branch goes
 * along, up to the newest such commit and only as a fast-forward. Work
 * on it beyond that commit stays the builders' to push.
 */
static appctl_error *plan_source(push_set *p, sync_ctx *s, const char *first)
{
	char (*path)[41] = NULL, name[300], best[41] = "";
	const char *theirs;
	appctl_error *err = NULL;
	size_t n = 0, i;
	int reached = 0, ok = 0, unrelated = 0;

	if (!*first || strcmp(s->merged, s->remote_log) == 0)
		return NULL;
	snprintf(name, sizeof(name), "refs/heads/%s", first);
	theirs = appctl_remote_refs_find(&s->adv, name);
	err = appctl_first_parent_path(&path, &n, &reached, s->cli->repo,
		s->merged, *s->remote_log ? s->remote_log : NULL);
	for (i = 0; i < n && !err && !unrelated; i++) {
		appctl_log_entry entry;
		const appctl_event *ev;

		err = appctl_log_entry_read(&entry, s->cli->repo, path[i]);
		ev = entry.event;
		if (!err && ev->type == APPCTL_EV_PROMOTE && ev->source &&
		    strcmp(ev->source, first) == 0) {
			if (theirs)
				err = reaches(&ok, s, theirs, ev->to);
			if (!err && !(theirs && ok)) {
				/* Newest first: the newest usually holds the older ones. */
				if (!*best)
					snprintf(best, sizeof(best), "%s", ev->to);
				else if ((err = reaches(&ok, s, best, ev->to)) == NULL && !ok)
					unrelated = 1;
			}
		}
		appctl_log_entry_dispose(&entry);
	}
	free(path);
	if (err || unrelated || !*best)
		return err;
	/* Only a fast-forward: a branch the builders moved elsewhere is theirs to merge. */
	if (theirs && ((err = reaches(&ok, s, best, theirs)) != NULL || !ok))
		return err;
	return push_add(p, name, best, theirs);
}

/*
 * Finds the event of the push that the remote refused: the one its
 * lines name (the hook names the event it refuses), else the first that
 * fails the judge here as the hook judges what it receives (by this
 * clock). *id gets its id ("" when none is to blame), *why the reason
 * (caller frees).
 */
static appctl_error *find_refused_event(char id[41], char **why,
	sync_ctx *s, const char *text)
{
	char (*path)[41] = NULL;
	appctl_log_problem problem;
	appctl_judge_ctx ctx;
	appctl_chain *chain = NULL;
	appctl_error *err;
	size_t n = 0, i;
	int reached = 0;

	id[0] = '\0';
	*why = NULL;
	memset(&problem, 0, sizeof(problem));
	err = appctl_first_parent_path(&path, &n, &reached, s->cli->repo,
		s->merged, *s->remote_log ? s->remote_log : NULL);
	for (i = n; i > 0 && !err && !*id && text; i--) {
		appctl_log_entry entry;
		const char *at, *eol, *cut;

		err = appctl_log_entry_read(&entry, s->cli->repo, path[i - 1]);
		if (!err && (at = strstr(text, entry.event->id)) != NULL) {
			memcpy(id, entry.event->id, 41);
			/* "... event ID (approve staging, log commit C): REASON" */
			eol = strchr(at, '\n');
			if (!eol)
				eol = at + strlen(at);
			cut = strstr(at, "): ");
			if (cut && cut < eol)
				*why = strndup(cut + 3, (size_t)(eol - cut - 3));
		}
		appctl_log_entry_dispose(&entry);
	}
	free(path);
	if (err || *id)
		return err;
	err = appctl_chain_open(&chain, s->cli->repo, s->remote_log);
	if (!err) {
		appctl_judge_ctx_init(&ctx, s->cli->repo, chain,
			APPCTL_JUDGE_RECEIVED, appctl_clock_now());
		err = appctl_log_verify_range(&problem, &ctx, s->merged, NULL,
			NULL);
	}
	if (!err && problem.text && *problem.event_id) {
		memcpy(id, problem.event_id, 41);
		*why = problem.text;
		problem.text = NULL;
	}
	appctl_log_problem_dispose(&problem);
	appctl_chain_free(chain);
	return err;
}

/*
 * The remote refused a push that carried local events. When one event is
 * to blame, the error names it, says why, and gives the way out: that
 * event can never be pushed as it is (the remote judges what it receives
 * by its own clock), and every later local event waits behind it.
 */
static appctl_error *refused_event(sync_ctx *s, appctl_error *err,
	const char *text)
{
	appctl_log_entry entry;
	appctl_error *e2;
	char id[41], *why = NULL;
	int i;

	memset(&entry, 0, sizeof(entry));
	e2 = find_refused_event(id, &why, s, text);
	if (e2 || !*id) {
		appctl_error_free(e2);
		free(why);
		return err;
	}
	/* The event's log commit in the merged log, to describe it. */
	{
		char (*path)[41] = NULL;
		size_t n = 0, k;
		int reached = 0;

		e2 = appctl_first_parent_path(&path, &n, &reached, s->cli->repo,
			s->merged, *s->remote_log ? s->remote_log : NULL);
		for (k = 0; k < n && !e2; k++) {
			e2 = appctl_log_entry_read(&entry, s->cli->repo, path[k]);
			if (!e2 && strcmp(entry.event->id, id) == 0)
				break;
			appctl_log_entry_dispose(&entry);
		}
		free(path);
	}
	if (!e2 && entry.event) {
		const appctl_event *ev = entry.event;

		for (i = 0; why && why[i]; i++)
			if (why[i] == '\n')
				why[i] = ' ';
		/* It goes in the middle of a sentence. */
		while (why && i > 0 && strchr(" .;", why[i - 1]))
			why[--i] = '\0';
		e2 = appctl_error_new(APPCTL_EDENIED, "%s; it refused event %s "
			"(%s of '%s' by %s, %s), which only this repository has: %s; "
			"the remote judges what it receives, by its own clock, so "
			"this event can never be pushed as it is, and every later "
			"event of this repository waits behind it: remove it alone "
			"(the other events are kept) with 'appctl sync --drop %.12s', "
			"then record it again if it is still wanted", err->message,
			ev->id, appctl_event_type_name(ev->type), ev->env ? ev->env
			: "", ev->principal ? ev->principal : "?", ev->time ? ev->time
			: "?", why ? why : "see the remote's lines above", ev->id);
		appctl_error_free(err);
		err = e2;
		e2 = NULL;
	}
	appctl_error_free(e2);
	appctl_log_entry_dispose(&entry);
	free(why);
	return err;
}

/* Records the pushed refs as the remote's, written together (one flush). */
static appctl_error *track_pushed(sync_ctx *s, const push_set *p)
{
	appctl_ref_write *w = calloc(p->count + 1, sizeof(*w));
	char **names = calloc(p->count + 1, sizeof(*names));
	appctl_error *err = w && names ? NULL : appctl_error_nomem();
	size_t i;

	for (i = 0; i < p->count && !err; i++) {
		if (!(names[i] = track_name(s, p->refs[i].dst)))
			err = appctl_error_nomem();
		w[i].name = names[i];
		w[i].id = p->refs[i].id;
	}
	if (!err)
		err = appctl_refs_write(s->cli->repo, w, p->count,
			"appctl sync: pushed");
	for (i = 0; names && i < p->count; i++)
		free(names[i]);
	free(names);
	free(w);
	return err;
}

/*
 * Sends the push (one atomic compare-and-swap of every ref) and reads the
 * remote's verdict. Someone else pushing first is APPCTL_ECONFLICT
 * (fetch and retry); a refusal by the remote's hook is APPCTL_EDENIED,
 * its lines printed as git would. Accepted refs are recorded as the
 * remote's.
 */
static appctl_error *push_set_send(sync_ctx *s, push_set *p)
{
	appctl_error *err;
	char *text = NULL;
	size_t i;
	int has_log = 0;

	err = appctl_remote_push(s->cli->repo, s->spec.arg, p->refs, p->count,
		&text);
	if (err && err->code == APPCTL_EDENIED) {
		if (text)
			fprintf(stderr, "%s", text);
		for (i = 0; i < p->count; i++)
			has_log |= strcmp(p->refs[i].dst, APPCTL_LOG_REF) == 0;
		err = appctl_error_wrap(err, "sync");
		if (has_log)
			err = refused_event(s, err, text);
	} else if (err) {
		err = appctl_error_wrap(err, "sync");
	}
	if (!err)
		err = track_pushed(s, p);
	for (i = 0; i < p->count && !err; i++)
		err = say(s, "pushed %s", p->refs[i].dst);
	free(text);
	return err;
}

/*
 * Lets the release tags go by one pattern refspec when it sends exactly
 * them: every other local release tag is one the remote holds where it
 * is here. git matches each explicit refspec against every ref of both
 * sides, with a string format per pair, so that thousands of tags made
 * the push quadratic; a pattern is matched once per ref. Otherwise each
 * tag keeps its own refspec.
 */
static appctl_error *tags_by_pattern(sync_ctx *s, push_set *p)
{
	static const char pattern[] = RELEASE_PREFIX "*:" RELEASE_PREFIX "*";
	appctl_ref_entry *local = NULL;
	appctl_error *err;
	size_t n = 0, i, k, tags = 0;
	int ok = 1;

	for (k = 0; k < p->count; k++)
		tags += strncmp(p->refs[k].dst, RELEASE_PREFIX,
			strlen(RELEASE_PREFIX)) == 0;
	if (tags < 2)
		return NULL;
	err = appctl_refs_list(&local, &n, s->cli->repo, RELEASE_PREFIX);
	for (i = 0; i < n && !err && ok; i++) {
		const char *theirs = appctl_remote_refs_find(&s->adv, local[i].name);

		if (theirs && strcmp(theirs, local[i].id) == 0)
			continue;
		ok = 0;
		for (k = 0; k < p->count && !ok; k++)
			ok = strcmp(p->refs[k].dst, local[i].name) == 0 &&
				strcmp(p->refs[k].id, local[i].id) == 0;
	}
	appctl_ref_entries_free(local, n);
	for (k = 0; k < p->count && !err && ok; k++)
		if (strncmp(p->refs[k].dst, RELEASE_PREFIX,
				strlen(RELEASE_PREFIX)) == 0)
			p->refs[k].pattern = pattern;
	return err;
}

/*
 * One push: the log, the protected environment branches and the release
 * tags, atomically, so that the remote's hook judges the log's new events
 * first and the branch moves and tags they back in the same push, and
 * takes all or none.
 */
static appctl_error *push(sync_ctx *s)
{
	push_set p;
	appctl_error *err = NULL;
	char first[256];

	memset(&p, 0, sizeof(p));
	if (strcmp(s->merged, s->remote_log) != 0)
		err = push_add(&p, APPCTL_LOG_REF, s->merged, s->remote_log);
	if (!err)
		err = plan_releases(&p, s, first, sizeof(first));
	if (!err)
		err = plan_source(&p, s, first);
	if (!err)
		err = tags_by_pattern(s, &p);
	if (!err && p.count)
		err = push_set_send(s, &p);
	if (!err)
		memcpy(s->remote_log, s->merged, 41);
	push_set_dispose(&p);
	return err;
}

/* ---- dropping one local event that cannot be pushed ---- */

/* Whether `s` could be (a prefix of) an event id: 4 to 40 lowercase hex digits. */
static int id_prefix_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 4 || n > 40)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Whether the promote or rollback `ev` counts the approval `id`. */
static int relies_on(const appctl_event *ev, const char *id)
{
	size_t i;

	if (ev->type != APPCTL_EV_PROMOTE && ev->type != APPCTL_EV_ROLLBACK)
		return 0;
	for (i = 0; i < ev->approval_count; i++)
		if (strcmp(ev->approvals[i], id) == 0)
			return 1;
	return 0;
}

/*
 * Undoes locally what a dropped promote or rollback did: its release tag
 * goes, its branch returns to where the release took it from. Only refs
 * found exactly where the release put them are touched.
 */
static appctl_error *undo_release(sync_ctx *s, const appctl_event *ev)
{
	char name[300], at[41];
	appctl_error *err;
	int found = 0;

	snprintf(name, sizeof(name), RELEASE_PREFIX "%s/%lld", ev->env,
		(long long)ev->release);
	err = appctl_ref_read(at, &found, s->cli->repo, name);
	if (!err && found && strcmp(at, ev->to) == 0)
		err = appctl_ref_delete(s->cli->repo, name);
	snprintf(name, sizeof(name), "refs/heads/%s", ev->env);
	if (!err)
		err = appctl_ref_read(at, &found, s->cli->repo, name);
	if (!err && found && strcmp(at, ev->to) == 0)
		err = appctl_ref_cas(s->cli->repo, name, at, ev->from,
			"appctl sync --drop: release dropped");
	else if (!err && found)
		err = say(s, "left %s alone: it is at %.7s, not where the dropped "
			"release put it", ev->env, at);
	return err;
}

/*
 * `sync --drop EVENT`: removes one event of the local log that the remote
 * does not have, re-parenting the local events after it onto its parent
 * (their bytes, ids and signatures unchanged; their states recomputed).
 * Refused for an event the remote has, the init event, and an event a
 * later local event relies on: a promote or rollback counting it as an
 * approval, or whatever no longer passes the judge without it (a later
 * release of the same environment, an approval given on the commit a
 * dropped release brought). The rewritten log is judged as sync judges
 * what it adopts before anything moves, and becomes the verified head.
 */
static appctl_error *drop_event(sync_ctx *s)
{
	char (*path)[41] = NULL, **remote_ids = NULL, base[41] = "";
	char head[41], *state_json = NULL;
	appctl_log_entry entry, later;
	appctl_log_state *state = NULL, *next = NULL;
	appctl_log_problem problem;
	appctl_judge_ctx ctx;
	appctl_chain *chain = NULL;
	appctl_error *err = NULL;
	size_t n = 0, nids = 0, i, at = 0, matches = 0;
	int reached = 0, found = 0;

	memset(&entry, 0, sizeof(entry));
	memset(&later, 0, sizeof(later));
	memset(&problem, 0, sizeof(problem));
	if (!*s->local)
		return appctl_error_new(APPCTL_EUSAGE, "sync: --drop: this "
			"repository has no event log");
	if (*s->remote_log) {
		err = appctl_merge_base(base, &found, s->cli->repo, s->local,
			s->remote_log);
		if (!err && !found)
			err = appctl_error_new(APPCTL_EINPUT, "sync: the event logs "
				"of this repository and '%s' share no history; nothing "
				"was changed", s->remote);
		if (!err)
			err = event_ids(&remote_ids, &nids, s->cli->repo,
				s->remote_log, base);
	}
	/* The local events the remote's log does not reach: the only ones that may go. */
	if (!err)
		err = appctl_first_parent_path(&path, &n, &reached, s->cli->repo,
			s->local, *base ? base : NULL);
	for (i = 0; i < n && !err; i++) {
		appctl_log_entry e;

		err = appctl_log_entry_read(&e, s->cli->repo, path[i]);
		if (!err && strncmp(e.event->id, s->drop, strlen(s->drop)) == 0) {
			matches++;
			at = i;
		}
		appctl_log_entry_dispose(&e);
	}
	if (err)
		goto done;
	if (matches > 1) {
		err = appctl_error_new(APPCTL_EUSAGE, "sync: --drop: '%s' names "
			"%zu events; give more digits", s->drop, matches);
		goto done;
	}
	if (!matches) {
		err = appctl_error_new(APPCTL_EDENIED, "sync: --drop: no event "
			"'%s' is in this repository's log without being in the log "
			"of '%s': only an event that was never pushed can be dropped",
			s->drop, s->remote);
		goto done;
	}
	err = appctl_log_entry_read(&entry, s->cli->repo, path[at]);
	if (err)
		goto done;
	if (has_id(remote_ids, nids, entry.event->id)) {
		err = appctl_error_new(APPCTL_EDENIED, "sync: --drop: '%s' already "
			"has event %s (a sync pushed it before); an event the remote "
			"has stays", s->remote, entry.event->id);
		goto done;
	}
	if (entry.event->type == APPCTL_EV_INIT || !entry.parent_count) {
		err = appctl_error_new(APPCTL_EUSAGE, "sync: --drop: %s is the "
			"init event, the root of the log", entry.event->id);
		goto done;
	}
	/* Re-parent what came after it onto its parent, oldest first. */
	memcpy(head, entry.parent, 41);
	err = appctl_chain_open(&chain, s->cli->repo, head);
	if (!err)
		err = appctl_log_state_format(&state_json,
			appctl_chain_state(chain));
	if (!err)
		err = appctl_log_state_parse(&state, "state", state_json,
			strlen(state_json));
	free(state_json);
	state_json = NULL;
	for (i = at; i > 0 && !err; i--) {
		const appctl_event *ev;

		err = appctl_log_entry_read(&later, s->cli->repo, path[i - 1]);
		if (err)
			break;
		ev = later.event;
		if (relies_on(ev, entry.event->id)) {
			err = appctl_error_new(APPCTL_EDENIED, "sync: --drop: event %s "
				"(%s of '%s') counts %s as an approval; drop it first",
				ev->id, appctl_event_type_name(ev->type), ev->env,
				entry.event->id);
			break;
		}
		err = appctl_log_state_next(&next, state, ev, ev->id);
		if (err && (err->code == APPCTL_ECONFLICT ||
				err->code == APPCTL_EINPUT)) {
			char *text = appctl_error_format(err);

			appctl_error_free(err);
			err = appctl_error_new(APPCTL_EDENIED, "sync: --drop: event "
				"%s (%s of '%s', release %lld) follows the release of "
				"%s: %s; drop it first", ev->id,
				appctl_event_type_name(ev->type), ev->env,
				(long long)ev->release, entry.event->id,
				text ? text : "?");
			free(text);
		}
		if (!err)
			err = appctl_log_state_format(&state_json, next);
		if (!err)
			err = appctl_log_reparent(head, s->cli->repo, head, ev,
				state_json);
		free(state_json);
		state_json = NULL;
		appctl_log_entry_dispose(&later);
		appctl_log_state_free(state);
		state = next;
		next = NULL;
	}
	if (err)
		goto done;
	/* The rewritten stretch is judged as sync judges what it adopts. */
	appctl_judge_ctx_init(&ctx, s->cli->repo, chain,
		APPCTL_JUDGE_RECORDED, appctl_clock_now());
	err = appctl_log_verify_range(&problem, &ctx, head, NULL, NULL);
	if (!err && problem.text) {
		char *text = appctl_log_problem_describe(&problem);

		err = appctl_error_new(APPCTL_EDENIED, "sync: --drop: without "
			"event %s, %s; nothing was changed", entry.event->id,
			text ? text : problem.text);
		free(text);
	}
	if (err)
		goto done;
	/*
	 * The branch and tag first, then the log, the commit point: should
	 * this stop in between, the log still records the release, and the
	 * next command puts them back (appctl_log_settle).
	 */
	if (entry.event->type == APPCTL_EV_PROMOTE ||
	    entry.event->type == APPCTL_EV_ROLLBACK)
		err = undo_release(s, entry.event);
	if (!err)
		err = appctl_ref_cas(s->cli->repo, APPCTL_LOG_REF, s->local, head,
			"appctl sync --drop");
	/* Everything up to the parent was verified, and the rest just now. */
	if (!err)
		err = appctl_log_checkpoint_write(s->cli->repo, head);
	if (!err) {
		memcpy(s->dropped, entry.event->id, 41);
		appctl_strbuf_printf(&s->drop_line, "dropped event %s (%s of '%s' "
			"by %s, %s); %zu later event%s re-parented\n",
			entry.event->id, appctl_event_type_name(entry.event->type),
			entry.event->env, entry.event->principal
				? entry.event->principal : "?",
			entry.event->time ? entry.event->time : "?", at,
			at == 1 ? "" : "s");
		if (s->drop_line.failed)
			err = appctl_error_nomem();
	}
done:
	appctl_log_problem_dispose(&problem);
	appctl_chain_free(chain);
	appctl_log_state_free(state);
	appctl_log_state_free(next);
	appctl_log_entry_dispose(&later);
	appctl_log_entry_dispose(&entry);
	free_specs(remote_ids, nids);
	free(path);
	return err;
}

/* ---- the command ---- */

static void backoff(int attempt)
{
	struct timespec ts;
	long ms = (50L << attempt) + (long)(rand() % 50);

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* Remembers the remote-tracking refs, so a refused fetch leaves no trace. */
static appctl_error *save_tracking(sync_ctx *s)
{
	appctl_ref_entries_free(s->saved, s->saved_count);
	s->saved = NULL;
	s->saved_count = 0;
	return appctl_refs_list(&s->saved, &s->saved_count, s->cli->repo,
		s->prefix);
}

static appctl_error *restore_tracking(sync_ctx *s)
{
	appctl_ref_entry *now = NULL;
	appctl_error *err;
	size_t n = 0, i;

	err = appctl_refs_list(&now, &n, s->cli->repo, s->prefix);
	for (i = 0; i < n && !err; i++)
		err = appctl_ref_delete(s->cli->repo, now[i].name);
	for (i = 0; i < s->saved_count && !err; i++)
		err = appctl_ref_set(s->cli->repo, s->saved[i].name,
			s->saved[i].id, "appctl sync: refused, restored");
	appctl_ref_entries_free(now, n);
	return err;
}

static appctl_error *attempt(sync_ctx *s)
{
	appctl_error *err;

	/* Where this clone's verified log had each environment, which its branches follow. */
	appctl_log_state_free(s->pre_state);
	s->pre_state = NULL;
	s->state = NULL;
	err = appctl_log_verified(s->local, &s->pre_state, s->cli->repo,
		appctl_clock_now());
	if (err)
		return err;
	/* What an attempt that lost a race did is redone by the next one. */
	appctl_strbuf_truncate(&s->lines, 0);
	err = save_tracking(s);
	if (!err)
		err = fetch(s);
	/* Once, when asked, before the logs are merged: the remote's side must be known. */
	if (!err && s->drop) {
		err = drop_event(s);
		if (err)
			appctl_error_free(restore_tracking(s));
		if (!err) {
			s->drop = NULL;
			appctl_log_state_free(s->pre_state);
			s->pre_state = NULL;
			err = appctl_log_verified(s->local, &s->pre_state,
				s->cli->repo, appctl_clock_now());
		}
	}
	if (!err) {
		err = merge(s);
		if (err && err->code == APPCTL_EDENIED)
			appctl_error_free(restore_tracking(s));
	}
	if (!err) {
		s->state = appctl_chain_state(s->chain);
		err = follow_branches(s);
	}
	if (!err)
		err = follow_tags(s);
	if (!err && s->fetch_only) {
		/* Read-only towards the remote: what it lacks stays here, said so. */
		if (strcmp(s->merged, s->remote_log) != 0)
			err = say(s, "%s lacks local events: not pushed (--fetch); "
				"'appctl sync %s' pushes them", s->remote, s->remote);
		return err;
	}
	if (!err)
		err = push(s);
	return err;
}

static appctl_error *print_report(const sync_ctx *s, FILE *out)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char *p, *nl;

	if (!s->cli->json || out != stdout) {
		if (s->drop_line.len)
			fputs(s->drop_line.ptr, out);
		if (s->lines.len)
			fputs(s->lines.ptr, out);
		else
			fprintf(out, "%s: up to date\n", s->remote);
		return NULL;
	}
	appctl_strbuf_puts(&b, "{\"remote\":");
	appctl_json_quote(&b, s->remote);
	appctl_strbuf_printf(&b, ",\"log\":\"%s\",\"reparented\":%zu,",
		s->merged, s->reparented);
	if (*s->dropped)
		appctl_strbuf_printf(&b, "\"dropped\":\"%s\",", s->dropped);
	else
		appctl_strbuf_puts(&b, "\"dropped\":null,");
	appctl_strbuf_puts(&b, "\"done\":[");
	for (p = s->lines.ptr; p && *p; p = nl + 1) {
		char *line;

		nl = strchr(p, '\n');
		if (!nl)
			break;
		line = strndup(p, (size_t)(nl - p));
		if (!line) {
			appctl_strbuf_dispose(&b);
			return appctl_error_nomem();
		}
		if (p != s->lines.ptr)
			appctl_strbuf_putc(&b, ',');
		appctl_json_quote(&b, line);
		free(line);
	}
	appctl_strbuf_puts(&b, "]}");
	if (b.failed) {
		appctl_strbuf_dispose(&b);
		return appctl_error_nomem();
	}
	puts(b.ptr);
	appctl_strbuf_dispose(&b);
	return NULL;
}

/* appctl_sync_run, and first, with `drop`, `sync --drop`. */
static appctl_error *sync_run(appctl_cli *cli, const char *remote,
	const char *drop, int fetch_only, FILE *out)
{
	appctl_error *err = NULL;
	sync_ctx s;
	int i;

	if (drop && !id_prefix_ok(drop))
		return appctl_error_new(APPCTL_EUSAGE, "sync: --drop: '%s' is not "
			"an event id (4 to 40 lowercase hex digits)", drop);
	memset(&s, 0, sizeof(s));
	s.cli = cli;
	s.remote = remote;
	s.drop = drop;
	s.fetch_only = fetch_only;
	err = appctl_remote_resolve(&s.spec, cli->repo, remote);
	if (err) {
		appctl_remote_spec_dispose(&s.spec);
		return err;
	}
	s.prefix = s.spec.track;
	cli_progress_start(&s.progress, cli->json, "sync", "events judged");
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	for (i = 0; i < SYNC_ATTEMPTS; i++) {
		err = attempt(&s);
		if (!err || err->code != APPCTL_ECONFLICT || i + 1 == SYNC_ATTEMPTS)
			break;
		/* Someone pushed first: fetch what they pushed and try again. */
		appctl_error_free(err);
		err = NULL;
		backoff(i);
	}
	cli_progress_end(&s.progress);
	if (!err) {
		err = print_report(&s, out);
	} else if (!cli->json || out != stdout) {
		if (s.drop_line.len)
			fputs(s.drop_line.ptr, out);
		if (s.lines.len)
			fputs(s.lines.ptr, out);
	}
	appctl_strbuf_dispose(&s.drop_line);
	appctl_strbuf_dispose(&s.lines);
	appctl_remote_refs_dispose(&s.adv);
	appctl_chain_free(s.chain);
	appctl_ref_entries_free(s.saved, s.saved_count);
	appctl_log_state_free(s.pre_state);
	appctl_remote_spec_dispose(&s.spec);
	return err;
}

appctl_error *appctl_sync_run(appctl_cli *cli, const char *remote, FILE *out)
{
	return sync_run(cli, remote, NULL, 0, out);
}

appctl_error *cmd_sync(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *drop = NULL;
	int npos = 0, help = 0, json = 0, fetch_only = 0;
	const appctl_opt opts[] = {
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ "drop", 0, APPCTL_OPT_STRING, &drop, "EVENT" },
		{ "fetch", 0, APPCTL_OPT_FLAG, &fetch_only, NULL },
		{ 0 }
	};
	appctl_error *err;

	err = appctl_cli_parse(argc, argv, opts, pos, 1, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("sync");
		return NULL;
	}
	cli->json |= json;
	/* --drop rewrites what the remote will be sent: it needs a push to mean anything. */
	if (fetch_only && drop)
		return appctl_error_new(APPCTL_EUSAGE,
			"sync: --fetch and --drop do not go together");
	return sync_run(cli, npos ? pos[0] : "origin", drop, fetch_only,
		stdout);
}
