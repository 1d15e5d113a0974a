/* remote.c: fetch and push through libgit2 for `appctl sync`, and the log and ref plumbing sync and the hooks share. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appctl/log.h"
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

/* What the transfer callbacks share. */
typedef struct transfer {
	unsigned credential_attempts;
	appctl_push_ref *refs;
	size_t count;
	int conflict;
	appctl_strbuf text;       /* what the remote printed */
} transfer;

/*
 * SSH remotes authenticate through the agent, as git does by default;
 * the attempts are bounded because libgit2 asks again after each refusal.
 */
static int credentials(git_credential **out, const char *url,
	const char *username_from_url, unsigned int allowed, void *payload)
{
	transfer *t = payload;

	(void)url;
	if (t->credential_attempts++ >= 3)
		return GIT_EUSER;
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return git_credential_ssh_key_from_agent(out,
			username_from_url ? username_from_url : "git");
	if (allowed & GIT_CREDENTIAL_DEFAULT)
		return git_credential_default_new(out);
	return GIT_PASSTHROUGH;
}

static int remote_text(const char *str, int len, void *payload)
{
	transfer *t = payload;

	if (len > 0)
		appctl_strbuf_add(&t->text, str, (size_t)len);
	return 0;
}

/* The compare-and-swap: every update must start where the caller saw the remote. */
static int negotiate(const git_push_update **updates, size_t len,
	void *payload)
{
	transfer *t = payload;
	size_t i, k;

	for (i = 0; i < len; i++) {
		char now[41];

		git_oid_tostr(now, sizeof(now), &updates[i]->src);
		for (k = 0; k < t->count; k++) {
			const char *want = t->refs[k].expect;
			int absent = git_oid_is_zero(&updates[i]->src);

			if (strcmp(t->refs[k].dst, updates[i]->dst_refname) != 0)
				continue;
			if ((!want || !*want) ? !absent : (absent || strcmp(now, want) != 0))
				t->conflict = 1;
		}
	}
	return t->conflict ? GIT_EUSER : 0;
}

static int update_status(const char *refname, const char *status, void *data)
{
	transfer *t = data;
	size_t k;

	for (k = 0; k < t->count; k++) {
		if (strcmp(t->refs[k].dst, refname) != 0 || !status)
			continue;
		free(t->refs[k].status);
		t->refs[k].status = strdup(status);
		if (!t->refs[k].status)
			return -1;
	}
	return 0;
}

static void callbacks_init(git_remote_callbacks *cb, transfer *t)
{
	cb->credentials = credentials;
	cb->sideband_progress = remote_text;
	cb->push_negotiation = negotiate;
	cb->push_update_reference = update_status;
	cb->payload = t;
}

/*
 * Keeps the longest `url.<base>.<key>` prefix of `url` seen so far
 * (git's rule), with its base, in `best` / `best_base`.
 */
static appctl_error *consider_rewrite(char **best_base, size_t *best_len,
	const git_config_entry *e, const char *key, const char *url)
{
	size_t name_len = strlen(e->name), key_len = strlen(key);
	size_t value_len = strlen(e->value);
	char *base;

	/* "url." BASE "." KEY, the section and key lowercased by libgit2. */
	if (strncmp(e->name, "url.", 4) != 0 || name_len < 4 + key_len + 2 ||
	    strcmp(e->name + name_len - key_len, key) != 0 ||
	    e->name[name_len - key_len - 1] != '.' ||
	    strncmp(url, e->value, value_len) != 0 || value_len <= *best_len)
		return NULL;
	base = strndup(e->name + 4, name_len - 4 - key_len - 1);
	if (!base)
		return appctl_error_nomem();
	free(*best_base);
	*best_base = base;
	*best_len = value_len;
	return NULL;
}

/*
 * The URL `url` becomes after url.<base>.insteadOf (or, for the remote's
 * url when pushing, pushInsteadOf first), as git rewrites it. The entries
 * are filtered by hand: libgit2's regex config iterators leak in 1.5.
 */
static appctl_error *rewrite_url(char **out, git_config *config,
	const char *url, int push)
{
	git_config_iterator *it = NULL;
	git_config_entry *e;
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	char *base = NULL, *push_base = NULL;
	size_t len = 0, push_len = 0;
	appctl_error *err = NULL;
	int rc;

	*out = NULL;
	if (git_config_iterator_new(&it, config) < 0)
		return store_git_error("cannot read git config");
	while (!err && (rc = git_config_next(&e, it)) == 0) {
		err = consider_rewrite(&base, &len, e, "insteadof", url);
		if (!err && push)
			err = consider_rewrite(&push_base, &push_len, e,
				"pushinsteadof", url);
	}
	git_config_iterator_free(it);
	git_error_clear();
	if (!err) {
		if (push_base)
			appctl_strbuf_printf(&b, "%s%s", push_base, url + push_len);
		else if (base)
			appctl_strbuf_printf(&b, "%s%s", base, url + len);
		else
			appctl_strbuf_puts(&b, url);
		if (!(*out = appctl_strbuf_detach(&b)))
			err = appctl_error_nomem();
	}
	free(base);
	free(push_base);
	return err;
}

/*
 * An in-memory remote for the configured remote `name`, with the URL git
 * would use in that direction (remote.<name>.pushurl for pushes when
 * set). git_remote_lookup is avoided: in libgit2 1.5 its insteadOf lookup
 * leaks on every call.
 */
/*
 * The directory a URL names when it is a local path ("file://PATH", or a
 * path that is neither "scheme://..." nor scp-like "host:path"), relative
 * paths taken from the working tree (or a bare repository) as git does;
 * NULL otherwise. The caller frees it.
 */
static appctl_error *local_path(char **out, appctl_repo *repo, const char *url)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');

	*out = NULL;
	if (strncmp(url, "file://", 7) == 0)
		url += 7;
	else if (strstr(url, "://") || (colon && (!slash || colon < slash)))
		return NULL;
	if (url[0] != '/')
		appctl_strbuf_puts(&b, repo->workdir ? repo->workdir
			: git_repository_path(repo->git));
	appctl_strbuf_puts(&b, url);
	if (!(*out = appctl_strbuf_detach(&b)))
		return appctl_error_nomem();
	return NULL;
}

static appctl_error *remote_open(git_remote **out, char **local,
	appctl_repo *repo, const char *name, int push)
{
	git_remote_create_options opts;
	git_config *config = NULL;
	appctl_strbuf key = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	const char *url = NULL;
	char *rewritten = NULL;
	int rc = GIT_ENOTFOUND, is_pushurl = 0;

	*out = NULL;
	*local = NULL;
	if (git_repository_config_snapshot(&config, repo->git) < 0)
		return store_git_error("cannot read git config");
	if (push) {
		appctl_strbuf_printf(&key, "remote.%s.pushurl", name);
		rc = key.failed ? -1 : git_config_get_string(&url, config, key.ptr);
		is_pushurl = rc == 0;
	}
	if (rc == GIT_ENOTFOUND) {
		appctl_strbuf_truncate(&key, 0);
		appctl_strbuf_printf(&key, "remote.%s.url", name);
		rc = key.failed ? -1 : git_config_get_string(&url, config, key.ptr);
	}
	if (key.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		err = appctl_error_new(APPCTL_EUSAGE, "'%s' is not a remote of "
			"this repository; add it with 'git remote add %s URL'",
			name, name);
		goto cleanup;
	}
	if (rc < 0) {
		err = store_git_error(key.ptr);
		goto cleanup;
	}
	err = rewrite_url(&rewritten, config, url, push && !is_pushurl);
	if (!err)
		err = local_path(local, repo, rewritten);
	if (err)
		goto cleanup;
	git_remote_create_options_init(&opts, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	opts.repository = repo->git;
	opts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(out, *local ? *local : rewritten,
			&opts) < 0)
		err = store_git_error(name);
cleanup:
	free(rewritten);
	appctl_strbuf_dispose(&key);
	git_config_free(config);
	return err;
}

appctl_error *appctl_remote_fetch(appctl_remote_refs *advertised,
	appctl_repo *repo, const char *remote, const char *const *refspecs,
	size_t count)
{
	git_fetch_options opts;
	git_strarray specs;
	const git_remote_head **heads = NULL;
	git_remote *r = NULL;
	appctl_error *err = NULL;
	char *local = NULL;
	transfer t;
	size_t n = 0, i, cap = 0;

	memset(advertised, 0, sizeof(*advertised));
	memset(&t, 0, sizeof(t));
	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	specs.strings = (char **)refspecs;
	specs.count = count;
	err = remote_open(&r, &local, repo, remote, 0);
	free(local);
	if (err)
		return err;
	callbacks_init(&opts.callbacks, &t);
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	opts.update_fetchhead = 0;
	/* Connected once: the advertisement read is the one the fetch used. */
	if (git_remote_connect(r, GIT_DIRECTION_FETCH, &opts.callbacks,
			&opts.proxy_opts, &opts.custom_headers) < 0 ||
	    git_remote_ls(&heads, &n, r) < 0) {
		err = store_git_error(remote);
		goto cleanup;
	}
	for (i = 0; i < n && !err; i++)
		err = entries_add(&advertised->refs, &advertised->count, &cap,
			heads[i]->name, &heads[i]->oid);
	if (err)
		goto cleanup;
	if (advertised->count)
		qsort(advertised->refs, advertised->count,
			sizeof(*advertised->refs), entry_cmp);
	if (git_remote_download(r, &specs, &opts) < 0 ||
	    git_remote_update_tips(r, &opts.callbacks, 0,
			GIT_REMOTE_DOWNLOAD_TAGS_NONE, "appctl sync: fetch") < 0)
		err = store_git_error(remote);
cleanup:
	if (r)
		git_remote_disconnect(r);
	git_remote_free(r);
	appctl_strbuf_dispose(&t.text);
	if (err)
		appctl_remote_refs_dispose(advertised);
	return err;
}

/*
 * Over a local path, libgit2 copies the objects and then forces the refs
 * without running the remote's receive-pack: no compare-and-swap, no
 * hooks. So the objects go to refs of a namespace of their own, and the
 * refs are then moved here, under their locks, each from the value the
 * caller saw (one transaction: all or nothing). The remote's hooks do not
 * run; a server is reached over ssh://, https:// or git://.
 */
static appctl_error *push_local(git_remote *r, const char *path,
	appctl_push_ref *refs, size_t count, git_repository *git)
{
	git_push_options opts;
	git_strarray specs;
	git_repository *there = NULL;
	git_transaction *tx = NULL;
	appctl_strbuf spec = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	char **strings = NULL;
	size_t i;
	transfer t;
	git_oid id, now;
	int rc;

	memset(&t, 0, sizeof(t));
	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	callbacks_init(&opts.callbacks, &t);
	strings = calloc(count + 1, sizeof(*strings));
	if (!strings)
		return appctl_error_nomem();
	for (i = 0; i < count && !err; i++) {
		appctl_strbuf_truncate(&spec, 0);
		appctl_strbuf_printf(&spec, "+%s:refs/appctl/incoming/%ld-%zu",
			refs[i].src, (long)getpid(), i);
		if (!(strings[i] = strdup(spec.failed ? "" : spec.ptr)) || spec.failed)
			err = appctl_error_nomem();
	}
	specs.strings = strings;
	specs.count = count;
	if (!err && git_remote_push(r, &specs, &opts) < 0)
		err = store_git_error(path);
	if (!err && git_repository_open(&there, path) < 0)
		err = store_git_error(path);
	if (!err && git_transaction_new(&tx, there) < 0)
		err = store_git_error(path);
	for (i = 0; i < count && !err; i++) {
		const char *want = refs[i].expect;
		int exists = 0;

		rc = git_transaction_lock_ref(tx, refs[i].dst);
		if (rc == 0) {
			rc = git_reference_name_to_id(&now, there, refs[i].dst);
			exists = rc == 0;
			if (rc == GIT_ENOTFOUND)
				rc = 0;
		}
		if (rc == 0 && (exists ? !want || !*want ||
				git_oid_streq(&now, want) != 0 : want && *want))
			rc = GIT_EMODIFIED;
		if (rc == GIT_EMODIFIED || rc == GIT_ELOCKED) {
			git_error_clear();
			err = appctl_error_new(APPCTL_ECONFLICT, "%s: '%s' changed "
				"since it was fetched; nothing was pushed", path,
				refs[i].dst);
		} else if (rc < 0 ||
			   git_reference_name_to_id(&id, git, refs[i].src) < 0 ||
			   git_transaction_set_target(tx, refs[i].dst, &id, NULL,
				"appctl sync") < 0) {
			err = store_git_error(refs[i].dst);
		}
	}
	if (!err && git_transaction_commit(tx) < 0)
		err = store_git_error(path);
	/* The objects stay; the namespace that carried them goes. */
	for (i = 0; there && i < count; i++) {
		const char *name = strchr(strings[i] ? strings[i] : "", ':');

		if (name && git_reference_remove(there, name + 1) < 0)
			git_error_clear();
	}
	git_transaction_free(tx);
	git_repository_free(there);
	appctl_strbuf_dispose(&t.text);
	appctl_strbuf_dispose(&spec);
	for (i = 0; i < count; i++)
		free(strings[i]);
	free(strings);
	return err;
}

appctl_error *appctl_remote_push(appctl_repo *repo, const char *remote,
	appctl_push_ref *refs, size_t count, char **text)
{
	git_push_options opts;
	git_strarray specs;
	git_remote *r = NULL;
	appctl_error *err = NULL;
	char **strings = NULL, *local = NULL;
	transfer t;
	size_t i;
	int rc;

	*text = NULL;
	memset(&t, 0, sizeof(t));
	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	t.refs = refs;
	t.count = count;
	for (i = 0; i < count; i++)
		refs[i].status = NULL;
	strings = calloc(count + 1, sizeof(*strings));
	if (!strings)
		return appctl_error_nomem();
	for (i = 0; i < count && !err; i++) {
		appctl_strbuf spec = APPCTL_STRBUF_INIT;

		/* Forced: negotiate() is the compare-and-swap, and the remote's hook the judge. */
		appctl_strbuf_printf(&spec, "+%s:%s", refs[i].src, refs[i].dst);
		if (!(strings[i] = appctl_strbuf_detach(&spec)))
			err = appctl_error_nomem();
	}
	if (err || (err = remote_open(&r, &local, repo, remote, 1)))
		goto cleanup;
	if (local) {
		err = push_local(r, local, refs, count, repo->git);
		goto cleanup;
	}
	specs.strings = strings;
	specs.count = count;
	callbacks_init(&opts.callbacks, &t);
	rc = git_remote_push(r, &specs, &opts);
	if (t.conflict) {
		git_error_clear();
		err = appctl_error_new(APPCTL_ECONFLICT, "%s changed since it was "
			"fetched; nothing was pushed", remote);
	} else if (rc < 0) {
		err = store_git_error(remote);
	}
cleanup:
	if (t.text.len && !t.text.failed)
		*text = appctl_strbuf_detach(&t.text);
	appctl_strbuf_dispose(&t.text);
	git_remote_free(r);
	free(local);
	for (i = 0; i < count; i++)
		free(strings[i]);
	free(strings);
	return err;
}
