/* remote.c: fetch and push through the system git for `appctl sync`, and the log and ref plumbing sync and the hooks share. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appctl/log.h"
#include "appctl/proc.h"
#include "appctl/remote.h"
#include "appctl/strbuf.h"
#include "store_internal.h"

static appctl_error *oid_of(git_oid *out, const char *hex, const char *what)
{
	if (!hex || strlen(hex) != 40 || git_oid_fromstr(out, hex) < 0)
		return appctl_error_new(APPCTL_ESYSTEM, "%s: '%s' is not a full "
			"object id", what, hex ? hex : "(null)");
	return NULL;
}

/* ---- one log commit ---- */

/* The only files a log commit's tree holds (SPEC §1). */
static int is_log_file(const char *name)
{
	return strcmp(name, "event.json") == 0 ||
		strcmp(name, "event.json.sig") == 0 ||
		strcmp(name, "state.json") == 0;
}

appctl_error *appctl_log_entry_read(appctl_log_entry *out, appctl_repo *repo,
	const char *commit_hex)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	appctl_error *err;
	size_t i;

	memset(out, 0, sizeof(*out));
	err = store_lookup_commit(&commit, repo->git, commit_hex);
	if (err)
		goto cleanup;
	git_oid_tostr(out->commit, sizeof(out->commit), git_commit_id(commit));
	out->parent_count = git_commit_parentcount(commit);
	if (out->parent_count)
		git_oid_tostr(out->parent, sizeof(out->parent),
			git_commit_parent_id(commit, 0));
	if (git_commit_tree(&tree, commit) < 0) {
		err = store_git_error(APPCTL_LOG_REF);
		goto cleanup;
	}
	for (i = 0; i < git_tree_entrycount(tree) && !out->stray; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);

		if (is_log_file(git_tree_entry_name(e)) &&
		    git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB)
			continue;
		out->stray = strdup(git_tree_entry_name(e));
		if (!out->stray)
			err = appctl_error_nomem();
	}
	if (!err)
		err = store_log_read_event(&out->event, repo->git, commit);
	if (!err)
		err = store_log_read_state(&out->state, repo->git, commit);
cleanup:
	git_tree_free(tree);
	git_commit_free(commit);
	return err;
}

void appctl_log_entry_dispose(appctl_log_entry *entry)
{
	appctl_event_free(entry->event);
	appctl_log_state_free(entry->state);
	free(entry->stray);
	memset(entry, 0, sizeof(*entry));
}

appctl_error *appctl_object_commit(char out[41], int *found,
	appctl_repo *repo, const char *hex)
{
	git_object *obj = NULL, *peeled = NULL;
	appctl_error *err;
	git_oid id;
	int rc;

	*found = 0;
	out[0] = '\0';
	if ((err = oid_of(&id, hex, "object")))
		return err;
	rc = git_object_lookup(&obj, repo->git, &id, GIT_OBJECT_ANY);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return NULL;
	}
	if (rc < 0)
		return store_git_error(hex);
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0) {
		git_oid_tostr(out, 41, git_object_id(peeled));
		*found = 1;
	} else {
		git_error_clear();
	}
	git_object_free(peeled);
	git_object_free(obj);
	return NULL;
}

appctl_error *appctl_first_parent_path(char (**out)[41], size_t *count,
	int *reached, appctl_repo *repo, const char *from, const char *stop)
{
	char (*list)[41] = NULL;
	git_commit *commit = NULL, *parent = NULL;
	appctl_error *err = NULL;
	size_t n = 0, cap = 0;
	git_oid stop_id;
	int has_stop = stop && *stop;

	*out = NULL;
	*count = 0;
	*reached = !has_stop;
	if (has_stop && (err = oid_of(&stop_id, stop, "commit")))
		return err;
	if ((err = store_lookup_commit(&commit, repo->git, from)))
		return err;
	for (;;) {
		if (has_stop && git_oid_equal(git_commit_id(commit), &stop_id)) {
			*reached = 1;
			break;
		}
		if (n == cap) {
			size_t grown_cap = cap ? cap * 2 : 16;
			char (*grown)[41] = realloc(list, grown_cap * sizeof(*grown));

			if (!grown) {
				err = appctl_error_nomem();
				goto cleanup;
			}
			list = grown;
			cap = grown_cap;
		}
		git_oid_tostr(list[n++], 41, git_commit_id(commit));
		if (git_commit_parentcount(commit) == 0)
			break;
		if (git_commit_parent(&parent, commit, 0) < 0) {
			err = store_git_error("walking first parents");
			goto cleanup;
		}
		git_commit_free(commit);
		commit = parent;
		parent = NULL;
	}
	*out = list;
	*count = n;
	list = NULL;
cleanup:
	free(list);
	git_commit_free(commit);
	return err;
}

appctl_error *appctl_merge_base(char out[41], int *found, appctl_repo *repo,
	const char *a, const char *b)
{
	git_oid x, y, base;
	appctl_error *err;
	int rc;

	*found = 0;
	out[0] = '\0';
	if ((err = oid_of(&x, a, "commit")) || (err = oid_of(&y, b, "commit")))
		return err;
	rc = git_merge_base(&base, repo->git, &x, &y);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return NULL;
	}
	if (rc < 0)
		return store_git_error("merge base");
	git_oid_tostr(out, 41, &base);
	*found = 1;
	return NULL;
}

appctl_error *appctl_log_reparent(char out[41], appctl_repo *repo,
	const char *parent, const appctl_event *ev, const char *state_json)
{
	git_commit *commit = NULL;
	appctl_error *err;
	git_oid id;

	err = store_lookup_commit(&commit, repo->git, parent);
	if (!err)
		err = store_log_write_commit(&id, repo->git, commit, ev->json,
			ev->signature, state_json);
	if (!err)
		git_oid_tostr(out, 41, &id);
	git_commit_free(commit);
	return err;
}

/* ---- refs ---- */

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const appctl_ref_entry *)a)->name,
		((const appctl_ref_entry *)b)->name);
}

/* Appends a copy of `name` and `id` to a growing array. */
static appctl_error *entries_add(appctl_ref_entry **list, size_t *count,
	size_t *cap, const char *name, const git_oid *id)
{
	if (*count == *cap) {
		size_t grown_cap = *cap ? *cap * 2 : 32;
		appctl_ref_entry *grown = realloc(*list, grown_cap * sizeof(*grown));

		if (!grown)
			return appctl_error_nomem();
		*list = grown;
		*cap = grown_cap;
	}
	(*list)[*count].name = strdup(name);
	if (!(*list)[*count].name)
		return appctl_error_nomem();
	git_oid_tostr((*list)[*count].id, 41, id);
	(*count)++;
	return NULL;
}

appctl_error *appctl_refs_list(appctl_ref_entry **out, size_t *count,
	appctl_repo *repo, const char *prefix)
{
	appctl_strbuf glob = APPCTL_STRBUF_INIT;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	appctl_ref_entry *list = NULL;
	appctl_error *err = NULL;
	size_t n = 0, cap = 0, plen = strlen(prefix);
	int rc;

	*out = NULL;
	*count = 0;
	appctl_strbuf_printf(&glob, "%s*", prefix);
	if (glob.failed)
		return appctl_error_nomem();
	if (git_reference_iterator_glob_new(&it, repo->git, glob.ptr) < 0) {
		err = store_git_error(prefix);
		goto cleanup;
	}
	while ((rc = git_reference_next(&ref, it)) == 0) {
		git_object *peeled = NULL;
		const char *name = git_reference_name(ref);
		const git_oid *id = git_reference_target(ref);

		if (strncmp(name, prefix, plen) == 0 && id) {
			if (git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) == 0)
				id = git_object_id(peeled);
			else
				git_error_clear();
			err = entries_add(&list, &n, &cap, name, id);
		}
		git_object_free(peeled);
		git_reference_free(ref);
		ref = NULL;
		if (err)
			goto cleanup;
	}
	if (rc != GIT_ITEROVER) {
		err = store_git_error(prefix);
		goto cleanup;
	}
	git_error_clear();
	if (n)
		qsort(list, n, sizeof(*list), entry_cmp);
	*out = list;
	*count = n;
	list = NULL;
	n = 0;
cleanup:
	appctl_ref_entries_free(list, n);
	git_reference_iterator_free(it);
	appctl_strbuf_dispose(&glob);
	return err;
}

void appctl_ref_entries_free(appctl_ref_entry *entries, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(entries[i].name);
	free(entries);
}

appctl_error *appctl_ref_set(appctl_repo *repo, const char *name,
	const char *hex, const char *log_message)
{
	git_reference *ref = NULL;
	appctl_error *err;
	git_oid id;
	int rc;

	if ((err = oid_of(&id, hex, name)))
		return err;
	rc = git_reference_create(&ref, repo->git, name, &id, 1, log_message);
	git_reference_free(ref);
	if (rc < 0)
		return store_git_error_rc(rc, name);
	return NULL;
}

/*
 * A second handle on the repository whose refs are written without
 * fsync: libgit2 decides that when a handle first opens its ref
 * database, so the option is off just for that moment.
 */
static appctl_error *open_unsynced(git_repository **out, appctl_repo *repo)
{
	git_refdb *refdb = NULL;
	int rc;

	*out = NULL;
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	rc = git_repository_open(out, git_repository_path(repo->git));
	if (rc == 0)
		rc = git_repository_refdb(&refdb, *out);
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	git_refdb_free(refdb);
	if (rc < 0) {
		git_repository_free(*out);
		*out = NULL;
		return store_git_error_rc(rc, git_repository_path(repo->git));
	}
	return NULL;
}

appctl_error *appctl_refs_write(appctl_repo *repo, const appctl_ref_write *w,
	size_t count, const char *log_message)
{
	git_repository *git = repo->git;
	appctl_error *err = NULL;
	size_t k;

	if (count > 1 && store_can_flush_once())
		err = open_unsynced(&git, repo);
	for (k = 0; k < count && !err; k++) {
		git_reference *ref = NULL;
		git_oid id;
		int rc;

		err = oid_of(&id, w[k].id, w[k].name);
		if (!err && w[k].create) {
			err = store_ref_create_new(git, w[k].name, &id, log_message);
		} else if (!err) {
			rc = git_reference_create(&ref, git, w[k].name, &id, 1,
				log_message);
			git_reference_free(ref);
			if (rc < 0)
				err = store_git_error_rc(rc, w[k].name);
		}
	}
	if (git != repo->git) {
		/* Also after a failure: the refs written before it stay. */
		appctl_error *flushed = k ? store_flush_once(repo->git) : NULL;

		git_repository_free(git);
		if (flushed && !err)
			err = flushed;
		else
			appctl_error_free(flushed);
	}
	return err;
}

appctl_error *appctl_ref_delete(appctl_repo *repo, const char *name)
{
	int rc = git_reference_remove(repo->git, name);

	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return NULL;
	}
	if (rc < 0)
		return store_git_error_rc(rc, name);
	return NULL;
}

/* ---- remotes ---- */

const char *appctl_remote_refs_find(const appctl_remote_refs *refs,
	const char *name)
{
	size_t lo = 0, hi = refs->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(refs->refs[mid].name, name);

		if (c == 0)
			return refs->refs[mid].id;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void appctl_remote_refs_dispose(appctl_remote_refs *refs)
{
	appctl_ref_entries_free(refs->refs, refs->count);
	memset(refs, 0, sizeof(*refs));
}


/* ---- running the system git ---- */


/*
 * A fetch or push of a big repository over a slow link takes long, and
 * the user may be typing a passphrase meanwhile; a git that outlives this
 * (a connection that died unnoticed) is stopped rather than holding sync
 * forever.
 */
#define GIT_TIMEOUT_MS (20 * 60 * 1000)
/* After SIGTERM, git gets this long to end the ssh it started. */
#define GIT_GRACE_MS 5000
/* ls-remote lists only the refs sync names: more than this is no answer to that. */
#define GIT_OUT_CAP (32u * 1024 * 1024)
/* What git and the remote say on stderr; the rest is dropped. */
#define GIT_ERR_CAP (256u * 1024)
/* The most of git's stderr an error message carries. */
#define GIT_MESSAGE_CAP 2000

/* What one git run produced. */
typedef appctl_proc_result git_run;

static void git_run_dispose(git_run *r)
{
	appctl_proc_result_dispose(r);
}

/*
 * Runs `git -C TOP --git-dir=GITDIR ARGS...` (an argv, no shell) with the
 * user's environment, so that everything that decides how git reaches a
 * remote (GIT_SSH_COMMAND, core.sshCommand, ~/.ssh/config, credential
 * helpers, proxies, url.*.insteadOf) decides it for appctl too. -C makes
 * a relative path remote mean what it means to git in this repository;
 * --git-dir keeps an inherited GIT_DIR from pointing git at another
 * repository than the one appctl opened. stdin is /dev/null: whatever
 * must ask the user (ssh, a credential helper) asks on the terminal, as
 * it does under git. stdout and stderr are collected, bounded. `what`
 * names the run in errors. The caller disposes *r, also on error.
 */
static appctl_error *run_git(git_run *r, appctl_repo *repo, const char *what,
	const char *const *args, size_t nargs)
{
	appctl_strbuf gitdir = APPCTL_STRBUF_INIT;
	const char *path = git_repository_path(repo->git);
	const char **argv = NULL;
	appctl_proc_spec spec;
	appctl_error *err = NULL;
	size_t k;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	appctl_strbuf_printf(&gitdir, "--git-dir=%s", path);
	argv = calloc(nargs + 5, sizeof(*argv));
	if (!argv || gitdir.failed) {
		err = appctl_error_nomem();
		goto done;
	}
	argv[0] = "git";
	argv[1] = "-C";
	argv[2] = repo->workdir ? repo->workdir : path;
	argv[3] = gitdir.ptr;
	for (k = 0; k < nargs; k++)
		argv[4 + k] = args[k];
	memset(&spec, 0, sizeof(spec));
	spec.argv = argv;
	spec.timeout_ms = GIT_TIMEOUT_MS;
	spec.grace_ms = GIT_GRACE_MS;
	spec.out_cap = GIT_OUT_CAP;
	spec.err_cap = GIT_ERR_CAP;
	err = appctl_proc_run(r, &spec);
	if (err)
		err = appctl_error_wrap(err, "%s", what);
done:
	free(argv);
	appctl_strbuf_dispose(&gitdir);
	return err;
}

/* The next line of `text` from *pos (without its newline, trailing blanks dropped); 0 at the end. */
static int next_line(const char *text, size_t len, size_t *pos,
	const char **line, size_t *line_len)
{
	size_t start = *pos, end;

	if (!text || start >= len)
		return 0;
	end = start;
	while (end < len && text[end] != '\n')
		end++;
	*pos = end < len ? end + 1 : end;
	*line = text + start;
	while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\r' ||
			text[end - 1] == '\t'))
		end--;
	*line_len = end - start;
	return 1;
}

/*
 * A failed git run as an error carrying git's own words: its stderr on
 * one line (lines joined with "; "), or its exit status when it said
 * nothing. `what` comes first ("git push to 'origin'").
 */
static appctl_error *git_failure(const git_run *r, const char *what)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char *line;
	size_t pos = 0, len;
	appctl_error *err;

	while (b.len < GIT_MESSAGE_CAP &&
	       next_line(r->err.ptr, r->err.len, &pos, &line, &len)) {
		if (!len)
			continue;
		if (b.len)
			appctl_strbuf_puts(&b, "; ");
		appctl_strbuf_add(&b, line, len);
	}
	if (b.len > GIT_MESSAGE_CAP) {
		appctl_strbuf_truncate(&b, GIT_MESSAGE_CAP);
		appctl_strbuf_puts(&b, "...");
	}
	if (b.failed)
		err = appctl_error_nomem();
	else if (b.len)
		err = appctl_error_new(APPCTL_ESYSTEM, "%s: %s", what, b.ptr);
	else if (r->status >= 0)
		err = appctl_error_new(APPCTL_ESYSTEM, "%s: git exited with "
			"status %d", what, r->status);
	else
		err = appctl_error_new(APPCTL_ESYSTEM, "%s: git was killed by a "
			"signal", what);
	appctl_strbuf_dispose(&b);
	return err;
}

/* ---- which remote ---- */

void appctl_remote_spec_dispose(appctl_remote_spec *spec)
{
	free(spec->arg);
	free(spec->track);
	memset(spec, 0, sizeof(*spec));
}

/* Whether remote.<name>.url or remote.<name>.pushurl is set. */
static appctl_error *is_configured(int *out, appctl_repo *repo,
	const char *name)
{
	static const char *const keys[] = { "url", "pushurl" };
	git_config *config = NULL;
	appctl_strbuf key = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	size_t i;

	*out = 0;
	if (git_repository_config_snapshot(&config, repo->git) < 0)
		return store_git_error("cannot read git config");
	for (i = 0; i < 2 && !*out && !err; i++) {
		git_config_entry *e = NULL;
		int rc;

		appctl_strbuf_truncate(&key, 0);
		appctl_strbuf_printf(&key, "remote.%s.%s", name, keys[i]);
		if (key.failed) {
			err = appctl_error_nomem();
			break;
		}
		rc = git_config_get_entry(&e, config, key.ptr);
		if (rc == 0)
			*out = 1;
		else if (rc == GIT_ENOTFOUND)
			git_error_clear();
		else
			err = store_git_error(key.ptr);
		git_config_entry_free(e);
	}
	appctl_strbuf_dispose(&key);
	git_config_free(config);
	return err;
}

/* "scheme://..." or scp-like "[user@]host:path" (a colon before any slash), as git tells URLs from paths. */
static int looks_like_url(const char *s)
{
	const char *colon = strchr(s, ':'), *slash = strchr(s, '/');

	return strstr(s, "://") != NULL || (colon && colon != s &&
		(!slash || colon < slash));
}

appctl_error *appctl_remote_resolve(appctl_remote_spec *out,
	appctl_repo *repo, const char *name)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	appctl_error *err;
	const char *p;
	struct stat st;
	int configured = 0, valid = 0;

	memset(out, 0, sizeof(*out));
	if (!*name)
		return appctl_error_new(APPCTL_EUSAGE, "the remote may not be "
			"empty");
	err = is_configured(&configured, repo, name);
	if (err)
		return err;
	if (configured) {
		out->configured = 1;
		out->arg = strdup(name);
		appctl_strbuf_printf(&b, "refs/appctl/remote/%s/", name);
		out->track = appctl_strbuf_detach(&b);
		if (!out->arg || !out->track)
			return appctl_error_nomem();
		appctl_strbuf_printf(&b, "%slog", out->track);
		if (b.failed)
			return appctl_error_nomem();
		if (git_reference_name_is_valid(&valid, b.ptr) < 0 || !valid) {
			git_error_clear();
			appctl_strbuf_dispose(&b);
			return appctl_error_new(APPCTL_EUSAGE, "'%s': this remote "
				"name cannot name refs; use its URL", name);
		}
		appctl_strbuf_dispose(&b);
		return NULL;
	}
	if (looks_like_url(name)) {
		out->arg = strdup(name);
	} else {
		/* A path: git takes a relative one from the top of the repository. */
		if (name[0] != '/')
			appctl_strbuf_puts(&b, repo->workdir ? repo->workdir
				: git_repository_path(repo->git));
		appctl_strbuf_puts(&b, name);
		if (b.failed)
			return appctl_error_nomem();
		if (stat(b.ptr, &st) != 0 || !S_ISDIR(st.st_mode)) {
			appctl_strbuf_dispose(&b);
			return appctl_error_new(APPCTL_EUSAGE, "'%s' is not a remote "
				"of this repository, nor a URL or a repository path; "
				"add it with 'git remote add %s URL'", name, name);
		}
		out->arg = appctl_strbuf_detach(&b);
	}
	if (!out->arg)
		return appctl_error_nomem();
	/* Ref names cannot hold a URL: everything but [A-Za-z0-9_-] becomes '_'. */
	appctl_strbuf_puts(&b, "refs/appctl/remote-url/");
	for (p = out->arg; *p; p++) {
		char c = *p;
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_';

		appctl_strbuf_putc(&b, keep ? c : '_');
	}
	appctl_strbuf_putc(&b, '/');
	if (!(out->track = appctl_strbuf_detach(&b)))
		return appctl_error_nomem();
	return NULL;
}

/* ---- fetching ---- */

/* One "+SRC:DST" of a fetch; SRC and DST hold at most one '*'. */
typedef struct fetch_spec {
	const char *text;             /* as given */
	char *src;
	char *dst;
	int wanted;                   /* some ref it names is not here yet */
} fetch_spec;

/*
 * Whether `name` matches `pattern` (at most one '*', which matches any
 * run of characters, as in a refspec); the part the '*' matched goes to
 * *star / *star_len.
 */
static int spec_match(const char *pattern, const char *name,
	const char **star, size_t *star_len)
{
	const char *glob = strchr(pattern, '*');
	size_t pre, post, len = strlen(name);

	if (!glob) {
		*star = name;
		*star_len = 0;
		return strcmp(pattern, name) == 0;
	}
	pre = (size_t)(glob - pattern);
	post = strlen(glob + 1);
	if (len < pre + post || strncmp(pattern, name, pre) != 0 ||
	    strcmp(name + len - post, glob + 1) != 0)
		return 0;
	*star = name + pre;
	*star_len = len - pre - post;
	return 1;
}

/* The local ref a fetched `name` lands in by `spec`; caller frees; NULL out of memory. */
static char *spec_destination(const fetch_spec *spec, const char *star,
	size_t star_len)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char *glob = strchr(spec->dst, '*');

	if (!glob) {
		appctl_strbuf_puts(&b, spec->dst);
	} else {
		appctl_strbuf_add(&b, spec->dst, (size_t)(glob - spec->dst));
		appctl_strbuf_add(&b, star, star_len);
		appctl_strbuf_puts(&b, glob + 1);
	}
	return appctl_strbuf_detach(&b);
}

static void fetch_specs_free(fetch_spec *specs, size_t count)
{
	size_t i;

	for (i = 0; specs && i < count; i++) {
		free(specs[i].src);
		free(specs[i].dst);
	}
	free(specs);
}

static appctl_error *fetch_specs_parse(fetch_spec **out,
	const char *const *refspecs, size_t count)
{
	fetch_spec *specs = calloc(count + 1, sizeof(*specs));
	size_t i;

	*out = NULL;
	if (!specs)
		return appctl_error_nomem();
	for (i = 0; i < count; i++) {
		const char *s = refspecs[i], *colon;

		specs[i].text = s;
		if (*s == '+')
			s++;
		colon = strchr(s, ':');
		if (!colon || strchr(colon + 1, ':')) {
			fetch_specs_free(specs, count);
			return appctl_error_new(APPCTL_ESYSTEM, "'%s' is not a "
				"refspec SRC:DST", refspecs[i]);
		}
		specs[i].src = strndup(s, (size_t)(colon - s));
		specs[i].dst = strdup(colon + 1);
		if (!specs[i].src || !specs[i].dst) {
			fetch_specs_free(specs, count);
			return appctl_error_nomem();
		}
	}
	*out = specs;
	return NULL;
}

/* The id local ref `name` points at (not peeled) into `out`; "" when absent. */
static void ref_target(char out[41], appctl_repo *repo, const char *name)
{
	git_oid id;

	out[0] = '\0';
	if (git_reference_name_to_id(&id, repo->git, name) == 0)
		git_oid_tostr(out, 41, &id);
	else
		git_error_clear();
}

/* The spec that `name` matches, its local destination into *dst (caller frees). */
static appctl_error *spec_for(fetch_spec **spec, char **dst,
	fetch_spec *specs, size_t count, const char *name)
{
	const char *star;
	size_t i, star_len;

	*spec = NULL;
	*dst = NULL;
	for (i = 0; i < count; i++) {
		if (!spec_match(specs[i].src, name, &star, &star_len))
			continue;
		*spec = &specs[i];
		*dst = spec_destination(&specs[i], star, star_len);
		return *dst ? NULL : appctl_error_nomem();
	}
	return NULL;
}

/*
 * `git ls-remote` of the refs the specs name, into `adv` (sorted);
 * marks the specs that name a ref this repository does not hold yet.
 */
static appctl_error *list_remote(appctl_remote_refs *adv, appctl_repo *repo,
	const char *remote, fetch_spec *specs, size_t count, const char *what)
{
	const char **args = calloc(count + 5, sizeof(*args));
	appctl_error *err = NULL;
	git_run r;
	const char *line;
	size_t n = 0, i, pos = 0, len, cap = 0;

	memset(&r, 0, sizeof(r));
	if (!args)
		return appctl_error_nomem();
	args[n++] = "ls-remote";
	args[n++] = "--refs";
	args[n++] = "--";
	args[n++] = remote;
	for (i = 0; i < count; i++)
		args[n++] = specs[i].src;
	err = run_git(&r, repo, what, args, n);
	if (!err && r.status != 0)
		err = git_failure(&r, what);
	if (!err && r.out_clipped)
		err = appctl_error_new(APPCTL_ESYSTEM, "%s: more than %u MiB of "
			"refs", what, GIT_OUT_CAP >> 20);
	while (!err && next_line(r.out.ptr, r.out.len, &pos, &line, &len)) {
		char hex[41], *name, *dst = NULL, here[41];
		fetch_spec *spec = NULL;
		git_oid id;

		/* "<id>\t<name>"; ls-remote matches patterns by their tail, so match again. */
		if (len < 42 || line[40] != '\t')
			continue;
		memcpy(hex, line, 40);
		hex[40] = '\0';
		if (git_oid_fromstr(&id, hex) < 0) {
			git_error_clear();
			continue;
		}
		if (!(name = strndup(line + 41, len - 41))) {
			err = appctl_error_nomem();
			break;
		}
		err = spec_for(&spec, &dst, specs, count, name);
		if (!err && spec) {
			err = entries_add(&adv->refs, &adv->count, &cap, name, &id);
			ref_target(here, repo, dst);
			if (strcmp(here, hex) != 0)
				spec->wanted = 1;
		}
		free(dst);
		free(name);
	}
	if (!err && adv->count)
		qsort(adv->refs, adv->count, sizeof(*adv->refs), entry_cmp);
	git_run_dispose(&r);
	free(args);
	return err;
}

appctl_error *appctl_remote_fetch(appctl_remote_refs *advertised,
	appctl_repo *repo, const char *remote, const char *const *refspecs,
	size_t count)
{
	appctl_strbuf what = APPCTL_STRBUF_INIT;
	fetch_spec *specs = NULL;
	const char **args = NULL;
	appctl_error *err;
	git_run r;
	size_t n = 0, i, k;
	int shallow;

	memset(advertised, 0, sizeof(*advertised));
	memset(&r, 0, sizeof(r));
	err = fetch_specs_parse(&specs, refspecs, count);
	if (err)
		return err;
	appctl_strbuf_printf(&what, "git ls-remote '%s'", remote);
	if (what.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = list_remote(advertised, repo, remote, specs, count, what.ptr);
	if (err)
		goto cleanup;
	/* Only what is not here yet: an unchanged remote costs no fetch. */
	if (!(args = calloc(count + 10, sizeof(*args)))) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	args[n++] = "fetch";
	args[n++] = "--no-tags";
	args[n++] = "--no-write-fetch-head";
	/* Exactly these refspecs: no configured remote-tracking ref moves. */
	args[n++] = "--refmap=";
	args[n++] = "--no-recurse-submodules";
	args[n++] = "--quiet";
	/*
	 * A shallow clone (a CI checkout) lacks the history the judge walks:
	 * who authored a change, whether a commit is on its source. Fetching
	 * the rest once makes it whole; everything after reads it as any clone.
	 */
	shallow = git_repository_is_shallow(repo->git) == 1;
	if (shallow)
		args[n++] = "--unshallow";
	args[n++] = "--";
	args[n++] = remote;
	k = n;
	for (i = 0; i < count; i++)
		if (specs[i].wanted || shallow)
			args[n++] = specs[i].text;
	if (n > k) {
		appctl_strbuf_truncate(&what, 0);
		appctl_strbuf_printf(&what, "git fetch %s'%s'",
			shallow ? "--unshallow " : "", remote);
		err = what.failed ? appctl_error_nomem()
			: run_git(&r, repo, what.ptr, args, n);
		if (!err && r.status != 0)
			err = git_failure(&r, what.ptr);
		if (err && shallow)
			err = appctl_error_wrap(err, "this clone is shallow and "
				"appctl needs the history of the environments to judge "
				"their events; fetching it failed (run 'git fetch "
				"--unshallow %s' and then 'appctl sync')", remote);
		if (err)
			goto cleanup;
	}
	/*
	 * What was fetched is what counts: should a ref have moved between
	 * the listing and the fetch, its copy here says where it went.
	 */
	for (i = 0; i < advertised->count && !err; i++) {
		appctl_ref_entry *e = &advertised->refs[i];
		fetch_spec *spec = NULL;
		char *dst = NULL;

		err = spec_for(&spec, &dst, specs, count, e->name);
		if (!err)
			ref_target(e->id, repo, dst ? dst : "");
		free(dst);
	}
	/* A ref gone before the fetch reached it is not the remote's any more. */
	for (i = k = 0; i < advertised->count && !err; i++) {
		if (!*advertised->refs[i].id) {
			free(advertised->refs[i].name);
			continue;
		}
		advertised->refs[k++] = advertised->refs[i];
	}
	if (!err)
		advertised->count = k;
cleanup:
	if (err)
		appctl_remote_refs_dispose(advertised);
	git_run_dispose(&r);
	free(args);
	fetch_specs_free(specs, count);
	appctl_strbuf_dispose(&what);
	return err;
}

/* ---- pushing ---- */

/* How a refusal git reports for one ref is to be read. */
static appctl_push_status refusal_kind(const char *summary, const char *reason)
{
	static const char *const collateral[] = {
		"atomic push failed", "atomic transaction failed", NULL
	};
	/* Another push got there first, here (the lease) or at the remote (its ref lock). */
	static const char *const raced[] = {
		"stale info", "fetch first", "non-fast-forward", "already exists",
		"failed to update ref", "failed to lock", "cannot lock ref",
		"incorrect old value", NULL
	};
	size_t i;

	for (i = 0; collateral[i]; i++)
		if (strstr(reason, collateral[i]))
			return APPCTL_PUSH_NOT_SENT;
	/* The remote's non-fast-forward is its config refusing this very update. */
	if (strstr(summary, "remote") && strstr(reason, "non-fast-forward"))
		return APPCTL_PUSH_REFUSED;
	for (i = 0; raced[i]; i++)
		if (strstr(reason, raced[i]))
			return APPCTL_PUSH_STALE;
	if (strstr(summary, "remote failure"))
		return APPCTL_PUSH_NOT_SENT;
	return APPCTL_PUSH_REFUSED;
}

/*
 * Reads `git push --porcelain` output: "<flag>\t<from>:<to>\t<summary>
 * [(<reason>)]" per ref; ' ', '+', '*', '-' and '=' are accepted, '!'
 * is refused.
 */
static appctl_error *read_porcelain(appctl_push_ref *refs, size_t count,
	const git_run *r)
{
	const char *line;
	size_t pos = 0, len, k;

	while (next_line(r->out.ptr, r->out.len, &pos, &line, &len)) {
		const char *tab, *colon, *summary, *open, *end = line + len;
		char *dst = NULL, *text = NULL;

		if (len < 3 || line[1] != '\t' || !strchr(" +*-=!", line[0]))
			continue;
		tab = memchr(line + 2, '\t', len - 2);
		colon = memchr(line + 2, ':', len - 2);
		if (!tab || !colon || colon > tab)
			continue;
		summary = tab + 1;
		if (!(dst = strndup(colon + 1, (size_t)(tab - colon - 1))))
			return appctl_error_nomem();
		for (k = 0; k < count; k++) {
			if (strcmp(refs[k].dst, dst) != 0)
				continue;
			if (line[0] != '!') {
				refs[k].status = APPCTL_PUSH_ACCEPTED;
				continue;
			}
			/* "[remote rejected] (pre-receive hook declined)": the reason in parentheses. */
			open = memchr(summary, '(', (size_t)(end - summary));
			if (open && end[-1] == ')')
				text = strndup(open + 1, (size_t)(end - open - 2));
			else
				text = strndup(summary, (size_t)(end - summary));
			if (!text) {
				free(dst);
				return appctl_error_nomem();
			}
			free(refs[k].reason);
			refs[k].reason = text;
			text = strndup(summary, (size_t)(end - summary));
			if (!text) {
				free(dst);
				return appctl_error_nomem();
			}
			refs[k].status = refusal_kind(text, refs[k].reason);
			free(text);
			text = NULL;
		}
		free(dst);
	}
	return NULL;
}

/* The lines the remote printed ("remote: ..."), as git shows them; NULL when none. */
static char *remote_lines(const git_run *r)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char *line;
	size_t pos = 0, len;

	while (next_line(r->err.ptr, r->err.len, &pos, &line, &len)) {
		if (len < 7 || strncmp(line, "remote:", 7) != 0)
			continue;
		appctl_strbuf_add(&b, line, len);
		appctl_strbuf_putc(&b, '\n');
	}
	if (!b.len) {
		appctl_strbuf_dispose(&b);
		return NULL;
	}
	return appctl_strbuf_detach(&b);
}

/*
 * Whether the remote's atomic transaction failed because a ref had moved
 * under it: receive-pack then says "atomic transaction failed" for every
 * ref and explains on its own line (the lock's compare-and-swap lost).
 */
static int transaction_raced(const git_run *r, const appctl_push_ref *refs,
	size_t count)
{
	static const char *const lost[] = {
		"but expected", "cannot lock ref", ".lock': File exists",
		"reference already exists", NULL
	};
	size_t k, i;
	int failed = 0;

	for (k = 0; k < count; k++)
		failed |= refs[k].reason &&
			strstr(refs[k].reason, "atomic transaction failed") != NULL;
	if (!failed || !r->err.ptr)
		return 0;
	for (i = 0; lost[i]; i++)
		if (strstr(r->err.ptr, lost[i]))
			return 1;
	return 0;
}

/* "REF: REASON; ..." of the refs in `status`. */
static char *reasons(const appctl_push_ref *refs, size_t count,
	appctl_push_status status)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	size_t k;

	for (k = 0; k < count; k++)
		if (refs[k].status == status)
			appctl_strbuf_printf(&b, "%s%s: %s", b.len ? "; " : "",
				refs[k].dst, refs[k].reason ? refs[k].reason : "?");
	return appctl_strbuf_detach(&b);
}

/* Drops the refs staged under `stage` for a push. */
static appctl_error *unstage_push(appctl_repo *repo, const char *stage)
{
	appctl_ref_entry *left = NULL;
	appctl_error *err;
	size_t n = 0, k;

	err = appctl_refs_list(&left, &n, repo, stage);
	for (k = 0; k < n && !err; k++)
		err = appctl_ref_delete(repo, left[k].name);
	appctl_ref_entries_free(left, n);
	return err;
}

/*
 * Stages the refs of a push as local refs under refs/appctl/push/<pid>/
 * (their names minus "refs/"), so that one pattern refspec sends them
 * all: git matches every explicit refspec of a push against every ref of
 * both sides, with a string format per pair, and a sync bringing 2 000
 * release tags spent most of its time there. A pattern is matched once
 * per ref. The leases still name each destination, so each update stays
 * a compare-and-swap. Refs sent by a pattern of the caller's are left
 * out. *stage is "" when there are only a few refs to send, or one is
 * not under refs/: then each keeps its explicit refspec.
 */
static appctl_error *stage_push(char (*stage)[64], appctl_repo *repo,
	const appctl_push_ref *refs, size_t count)
{
	appctl_ref_write *w = NULL;
	char **names = NULL;
	appctl_error *err = NULL;
	size_t k, n = 0;

	(*stage)[0] = '\0';
	for (k = 0; k < count; k++) {
		if (refs[k].pattern)
			continue;
		if (strncmp(refs[k].dst, "refs/", 5) != 0)
			return NULL;
		n++;
	}
	/* A few refspecs cost little: staging is for many. */
	if (n <= 8)
		return NULL;
	snprintf(*stage, sizeof(*stage), "refs/appctl/push/%ld/",
		(long)getpid());
	/* Whatever a process of the same id left behind goes first. */
	err = unstage_push(repo, *stage);
	if (!err && (!(w = calloc(count + 1, sizeof(*w))) ||
			!(names = calloc(count + 1, sizeof(*names)))))
		err = appctl_error_nomem();
	for (k = 0, n = 0; k < count && !err; k++) {
		if (refs[k].pattern)
			continue;
		names[n] = appctl_str_printf("%s%s", *stage, refs[k].dst + 5);
		if (!names[n])
			err = appctl_error_nomem();
		w[n].name = names[n];
		w[n].id = refs[k].id;
		n++;
	}
	if (!err)
		err = appctl_refs_write(repo, w, n, "appctl sync: to push");
	for (k = 0; names && k < count; k++)
		free(names[k]);
	free(names);
	free(w);
	if (err) {
		appctl_error_free(unstage_push(repo, *stage));
		(*stage)[0] = '\0';
	}
	return err;
}

appctl_error *appctl_remote_push(appctl_repo *repo, const char *remote,
	appctl_push_ref *refs, size_t count, char **remote_text)
{
	appctl_strbuf what = APPCTL_STRBUF_INIT;
	const char **args = NULL;
	char **owned = NULL, *why = NULL, stage[64] = "";
	appctl_error *err = NULL;
	size_t n = 0, k, owned_count = 0;
	int stale = 0, refused = 0, unreported = 0;
	git_run r;

	*remote_text = NULL;
	memset(&r, 0, sizeof(r));
	for (k = 0; k < count; k++) {
		refs[k].status = APPCTL_PUSH_NOT_SENT;
		refs[k].reason = NULL;
	}
	args = calloc(2 * count + 10, sizeof(*args));
	owned = calloc(2 * count + 1, sizeof(*owned));
	appctl_strbuf_printf(&what, "git push to '%s'", remote);
	if (!args || !owned || what.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	args[n++] = "push";
	/* All or nothing, judged as one push by the remote's pre-receive hook. */
	args[n++] = "--atomic";
	args[n++] = "--porcelain";
	/* Exactly these refs: no tags followed, no submodules pushed. */
	args[n++] = "--no-follow-tags";
	args[n++] = "--no-recurse-submodules";
	/* Each update a compare-and-swap against what sync fetched. */
	for (k = 0; k < count && !err; k++) {
		char *lease;

		/*
		 * git matches every lease against every pushed ref, with a
		 * string format per pair: thousands of new tags by pattern
		 * made that quadratic. A new tag needs none: git never
		 * replaces a tag the remote has ("already exists", stale).
		 */
		if (refs[k].pattern && (!refs[k].expect || !*refs[k].expect) &&
		    strncmp(refs[k].dst, "refs/tags/", 10) == 0)
			continue;
		lease = appctl_str_printf("--force-with-lease=%s:%s",
			refs[k].dst, refs[k].expect ? refs[k].expect : "");
		if (!lease)
			err = appctl_error_nomem();
		else
			args[n++] = owned[owned_count++] = lease;
	}
	if (!err) {
		args[n++] = "--";
		args[n++] = remote;
	}
	if (!err)
		err = stage_push(&stage, repo, refs, count);
	if (!err && *stage &&
	    !(args[n++] = owned[owned_count++] = appctl_str_printf("%s*:refs/*",
			stage)))
		err = appctl_error_nomem();
	for (k = 0; k < count && !err && !*stage; k++) {
		char *spec;

		if (refs[k].pattern)
			continue;
		spec = appctl_str_printf("%s:%s", refs[k].id, refs[k].dst);
		if (!spec)
			err = appctl_error_nomem();
		else
			args[n++] = owned[owned_count++] = spec;
	}
	for (k = 0; k < count && !err; k++) {
		size_t j;

		if (!refs[k].pattern)
			continue;
		for (j = 0; j < k && !(refs[j].pattern &&
				strcmp(refs[j].pattern, refs[k].pattern) == 0); j++)
			;
		if (j == k)
			args[n++] = refs[k].pattern;
	}
	if (!err)
		err = run_git(&r, repo, what.ptr, args, n);
	if (*stage) {
		appctl_error *gone = unstage_push(repo, stage);

		if (!err)
			err = gone;
		else
			appctl_error_free(gone);
	}
	if (!err)
		err = read_porcelain(refs, count, &r);
	if (err)
		goto cleanup;
	*remote_text = remote_lines(&r);
	for (k = 0; k < count; k++) {
		stale |= refs[k].status == APPCTL_PUSH_STALE;
		refused |= refs[k].status == APPCTL_PUSH_REFUSED;
		unreported |= refs[k].status == APPCTL_PUSH_NOT_SENT;
	}
	if (stale) {
		why = reasons(refs, count, APPCTL_PUSH_STALE);
		err = why ? appctl_error_new(APPCTL_ECONFLICT, "'%s' changed since "
			"it was fetched (%s); nothing was pushed", remote, why)
			: appctl_error_nomem();
	} else if (refused) {
		why = reasons(refs, count, APPCTL_PUSH_REFUSED);
		err = why ? appctl_error_new(APPCTL_EDENIED, "'%s' refused the "
			"push: %s", remote, why) : appctl_error_nomem();
	} else if (transaction_raced(&r, refs, count)) {
		err = appctl_error_new(APPCTL_ECONFLICT, "'%s' changed while "
			"the push was applied (its ref transaction failed: a ref was "
			"no longer where it was fetched); nothing was pushed", remote);
	} else if (r.status != 0 || unreported) {
		err = git_failure(&r, what.ptr);
	}
cleanup:
	git_run_dispose(&r);
	for (k = 0; k < owned_count; k++)
		free(owned[k]);
	free(owned);
	free(args);
	free(why);
	appctl_strbuf_dispose(&what);
	return err;
}
