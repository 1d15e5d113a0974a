/* log.c: refs/appctl/log — appending as a compare-and-swap, walking, rolling forward. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appctl/log.h"
#include "appctl/strbuf.h"
#include "store_internal.h"

static appctl_error *parse_oid(git_oid *out, const char *hex, const char *what)
{
	if (!hex || strlen(hex) != 40 || git_oid_fromstr(out, hex) < 0)
		return appctl_error_new(APPCTL_ESYSTEM, "%s: not a full object id",
			what);
	return NULL;
}

/* Reads an optional regular file of a log commit's tree into `out` (data NULL when absent). */
static appctl_error *read_log_file(store_file *out, git_repository *git,
	const git_tree *tree, const char *commit_hex, const char *name)
{
	appctl_strbuf label = APPCTL_STRBUF_INIT;
	git_tree_entry *entry = NULL;
	appctl_error *err;

	memset(out, 0, sizeof(*out));
	/* Named the way `git show` takes it, so a user can look at it. */
	appctl_strbuf_printf(&label, "%.7s:%s", commit_hex, name);
	if (label.failed)
		return appctl_error_nomem();
	err = store_find_tree_file(&entry, git, tree, name);
	if (!err && entry)
		err = store_read_blob(out, git, label.ptr, entry);
	git_tree_entry_free(entry);
	appctl_strbuf_dispose(&label);
	return err;
}

appctl_error *store_log_read_state(appctl_log_state **out, git_repository *git,
	const git_commit *commit)
{
	char hex[41], label[64];
	store_file file;
	git_tree *tree = NULL;
	appctl_error *err;

	*out = NULL;
	git_oid_tostr(hex, sizeof(hex), git_commit_id(commit));
	if (git_commit_tree(&tree, commit) < 0)
		return store_git_error(APPCTL_LOG_REF);
	err = read_log_file(&file, git, tree, hex, "state.json");
	snprintf(label, sizeof(label), "%.7s:state.json", hex);
	if (!err && !file.data)
		err = appctl_error_input(label, NULL,
			"a log commit without state.json (not written by appctl)");
	if (!err)
		err = appctl_log_state_parse(out, label, file.data, file.len);
	store_file_dispose(&file);
	git_tree_free(tree);
	return err;
}

appctl_error *appctl_log_head(char head[41], appctl_log_state **state,
	appctl_repo *repo)
{
	git_commit *commit = NULL;
	appctl_error *err;
	git_oid id;
	int rc;

	head[0] = '\0';
	*state = NULL;
	rc = git_reference_name_to_id(&id, repo->git, APPCTL_LOG_REF);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return NULL;
	}
	if (rc < 0 || git_commit_lookup(&commit, repo->git, &id) < 0)
		return store_git_error(APPCTL_LOG_REF);
	err = store_log_read_state(state, repo->git, commit);
	if (!err)
		git_oid_tostr(head, 41, &id);
	git_commit_free(commit);
	return err;
}

appctl_error *store_log_read_event(appctl_event **out, git_repository *git,
	const git_commit *commit)
{
	store_file json, sig;
	git_tree *tree = NULL;
	appctl_error *err;
	appctl_event *ev = NULL;
	char hex[41], label[64];
	git_tree_entry *entry = NULL;

	*out = NULL;
	memset(&sig, 0, sizeof(sig));
	memset(&json, 0, sizeof(json));
	git_oid_tostr(hex, sizeof(hex), git_commit_id(commit));
	snprintf(label, sizeof(label), "%.7s:event.json", hex);
	if (git_commit_tree(&tree, commit) < 0) {
		err = store_git_error(APPCTL_LOG_REF);
		goto done;
	}
	err = read_log_file(&json, git, tree, hex, "event.json");
	if (!err && !json.data)
		err = appctl_error_input(label, NULL, "a log commit without event.json");
	if (!err)
		err = read_log_file(&sig, git, tree, hex, "event.json.sig");
	if (!err)
		err = appctl_event_parse(&ev, label, json.data, json.len);
	if (err)
		goto done;
	memcpy(ev->id, json.id, 41);
	memcpy(ev->log_commit, hex, 41);
	if (sig.data) {
		ev->signature = appctl_arena_strndup(ev->arena, sig.data, sig.len);
		ev->signature_len = sig.len;
		if (!ev->signature) {
			err = appctl_error_nomem();
			goto done;
		}
	}
	*out = ev;
	ev = NULL;
done:
	appctl_event_free(ev);
	git_tree_entry_free(entry);
	store_file_dispose(&sig);
	store_file_dispose(&json);
	git_tree_free(tree);
	return err;
}

appctl_error *appctl_log_walk(appctl_repo *repo, const char *from,
	appctl_log_fn fn, void *arg)
{
	git_commit *commit = NULL, *parent = NULL;
	appctl_error *err = NULL;
	git_oid id;
	int stop = 0, rc;

	if (from) {
		err = parse_oid(&id, from, "log commit");
		if (err)
			return err;
	} else {
		rc = git_reference_name_to_id(&id, repo->git, APPCTL_LOG_REF);
		if (rc == GIT_ENOTFOUND) {
			git_error_clear();
			return NULL;
		}
		if (rc < 0)
			return store_git_error(APPCTL_LOG_REF);
	}
	if (git_commit_lookup(&commit, repo->git, &id) < 0)
		return store_git_error(APPCTL_LOG_REF);
	while (commit && !stop) {
		appctl_event *ev = NULL;

		err = store_log_read_event(&ev, repo->git, commit);
		if (!err)
			err = fn(ev, arg, &stop);
		appctl_event_free(ev);
		if (err)
			break;
		if (git_commit_parentcount(commit) == 0)
			break;
		if (git_commit_parent(&parent, commit, 0) < 0) {
			err = store_git_error(APPCTL_LOG_REF);
			break;
		}
		git_commit_free(commit);
		commit = parent;
		parent = NULL;
	}
	git_commit_free(commit);
	return err;
}

appctl_error *appctl_log_event_id(char out[41], appctl_repo *repo,
	const char *event_json)
{
	git_oid id;

	(void)repo;
	if (git_odb_hash(&id, event_json, strlen(event_json), GIT_OBJECT_BLOB) < 0)
		return store_git_error("event id");
	git_oid_tostr(out, 41, &id);
	return NULL;
}

static appctl_error *insert_blob(git_treebuilder *builder, git_repository *git,
	const char *name, const char *data)
{
	git_oid id;

	if (git_blob_create_from_buffer(&id, git, data, strlen(data)) < 0 ||
	    git_treebuilder_insert(NULL, builder, name, &id, GIT_FILEMODE_BLOB) < 0)
		return store_git_error("cannot write a log entry");
	return NULL;
}

/* The commit message says what the event is, for `git log refs/appctl/log`. */
static void log_message(appctl_strbuf *msg, const char *event_json)
{
	appctl_event *ev = NULL;
	appctl_error *err = appctl_event_parse(&ev, "event.json", event_json,
		strlen(event_json));

	if (err) {
		appctl_error_free(err);
		appctl_strbuf_puts(msg, "appctl: event\n");
		return;
	}
	appctl_strbuf_printf(msg, "appctl: %s", appctl_event_type_name(ev->type));
	if (ev->env)
		appctl_strbuf_printf(msg, " %s", ev->env);
	if (ev->type == APPCTL_EV_PROMOTE || ev->type == APPCTL_EV_ROLLBACK)
		appctl_strbuf_printf(msg, " release %lld", (long long)ev->release);
	else if (ev->commit)
		appctl_strbuf_printf(msg, " %.7s", ev->commit);
	appctl_strbuf_printf(msg, " by %s\n", ev->principal);
	appctl_event_free(ev);
}

appctl_error *store_log_write_commit(git_oid *out, git_repository *git,
	const git_commit *parent, const char *event_json, const char *signature,
	const char *state_json)
{
	appctl_strbuf msg = APPCTL_STRBUF_INIT;
	git_treebuilder *builder = NULL;
	git_signature *who = NULL;
	git_tree *tree = NULL;
	appctl_error *err = NULL;
	git_oid tree_id;

	if (git_treebuilder_new(&builder, git, NULL) < 0) {
		err = store_git_error("cannot write a log entry");
		goto done;
	}
	if ((err = insert_blob(builder, git, "event.json", event_json)) ||
	    (signature && (err = insert_blob(builder, git, "event.json.sig", signature))) ||
	    (err = insert_blob(builder, git, "state.json", state_json)))
		goto done;
	if (git_treebuilder_write(&tree_id, builder) < 0 ||
	    git_tree_lookup(&tree, git, &tree_id) < 0) {
		err = store_git_error("cannot write a log entry");
		goto done;
	}
	/* Who wrote the commit is not trusted by anyone: the event says who. */
	if (git_signature_now(&who, "appctl", "appctl@localhost") < 0) {
		err = store_git_error("cannot write a log entry");
		goto done;
	}
	log_message(&msg, event_json);
	if (msg.failed) {
		err = appctl_error_nomem();
		goto done;
	}
	if (git_commit_create(out, git, NULL, who, who, NULL, msg.ptr,
			tree, parent ? 1 : 0, &parent) < 0)
		err = store_git_error("cannot write a log entry");
done:
	appctl_strbuf_dispose(&msg);
	git_signature_free(who);
	git_tree_free(tree);
	git_treebuilder_free(builder);
	return err;
}

/*
 * store_log_write_commit, with the entry's objects made durable before the
 * ref that makes them part of the log can point to them: written without
 * libgit2's fsync each (a file and its directory per object, ten journal
 * commits for one entry, most of an approval's time) and flushed together
 * once. The ref keeps its own fsync: its database decided that when it
 * was opened, which is forced here before fsync is turned off.
 */
static appctl_error *write_entry_durably(git_oid *out, git_repository *git,
	const git_commit *parent, const char *event_json, const char *signature,
	const char *state_json)
{
	git_refdb *refdb = NULL;
	appctl_error *err;

	if (!store_can_flush_once())
		return store_log_write_commit(out, git, parent, event_json,
			signature, state_json);
	if (git_repository_refdb(&refdb, git) < 0)
		return store_git_error(APPCTL_LOG_REF);
	git_refdb_free(refdb);
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	err = store_log_write_commit(out, git, parent, event_json, signature,
		state_json);
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	return err ? err : store_flush_once(git);
}

appctl_error *store_log_append(char out[41], git_repository *git,
	const char *expected_head, const char *event_json, const char *signature,
	const char *state_json)
{
	appctl_strbuf msg = APPCTL_STRBUF_INIT;
	git_commit *parent = NULL;
	appctl_error *err = NULL;
	git_oid commit_id, expected;
	int rc;

	if (expected_head && *expected_head) {
		if ((err = parse_oid(&expected, expected_head, "log head")))
			return err;
		if (git_commit_lookup(&parent, git, &expected) < 0) {
			err = store_git_error(APPCTL_LOG_REF);
			goto done;
		}
	} else {
		memset(&expected, 0, sizeof(expected));
	}
	err = write_entry_durably(&commit_id, git, parent, event_json,
		signature, state_json);
	if (err)
		goto done;
	log_message(&msg, event_json);
	if (msg.failed) {
		err = appctl_error_nomem();
		goto done;
	}
	/*
	 * The commit point: one compare-and-swap of the log ref under its lock.
	 * A moved head, an existing ref where none was expected, or a lock held
	 * by a concurrent writer all mean someone else got there first.
	 */
	rc = store_ref_swap(git, APPCTL_LOG_REF, &commit_id,
		parent ? &expected : NULL, msg.ptr);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED) {
		git_error_clear();
		err = appctl_error_new(APPCTL_ECONFLICT,
			"%s moved while appending; nothing was changed", APPCTL_LOG_REF);
		goto done;
	}
	if (rc < 0) {
		err = store_git_error(APPCTL_LOG_REF);
		goto done;
	}
	git_oid_tostr(out, 41, &commit_id);
done:
	appctl_strbuf_dispose(&msg);
	git_commit_free(parent);
	return err;
}

appctl_error *appctl_log_append(char out[41], appctl_repo *repo,
	const char *expected_head, const char *event_json, const char *signature,
	const char *state_json)
{
	return store_log_append(out, repo->git, expected_head, event_json,
		signature, state_json);
}

static void backoff(unsigned attempt)
{
	struct timespec ts;
	unsigned long ms = 5ul << (attempt < 7 ? attempt : 7);

	/* Jitter spreads writers that collided once, so they do not collide again. */
	ms = ms / 2 + (unsigned long)rand() % (ms / 2 + 1);
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

appctl_error *appctl_log_append_retry(char out[41], char event_id[41],
	appctl_repo *repo, const appctl_event *ev, const char *event_json,
	const char *signature)
{
	appctl_error *err = NULL;
	unsigned attempt;

	srand((unsigned)time(NULL) ^ (unsigned)(size_t)&attempt);
	err = appctl_log_event_id(event_id, repo, event_json);
	if (err)
		return err;
	for (attempt = 0; attempt < 24; attempt++) {
		appctl_log_state *state = NULL, *next = NULL;
		char head[41], *state_json = NULL;

		err = appctl_log_head(head, &state, repo);
		if (!err && !state)
			err = appctl_repo_not_synced(repo, APPCTL_LOG_REF);
		if (!err)
			err = appctl_log_state_next(&next, state, ev, event_id);
		if (!err)
			err = appctl_log_state_format(&state_json, next);
		if (!err)
			err = appctl_log_append(out, repo, head, event_json, signature,
				state_json);
		free(state_json);
		appctl_log_state_free(next);
		appctl_log_state_free(state);
		if (!err || err->code != APPCTL_ECONFLICT)
			return err;
		appctl_error_free(err);
		err = NULL;
		backoff(attempt);
	}
	return appctl_error_new(APPCTL_ECONFLICT,
		"%s stayed busy through %u attempts; nothing was changed, retry",
		APPCTL_LOG_REF, attempt);
}

appctl_error *appctl_ref_read(char out[41], int *found, appctl_repo *repo,
	const char *name)
{
	git_reference *ref = NULL, *resolved = NULL;
	git_object *obj = NULL;
	int rc;

	*found = 0;
	out[0] = '\0';
	rc = git_reference_lookup(&ref, repo->git, name);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return NULL;
	}
	if (rc < 0 || git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) < 0) {
		git_reference_free(ref);
		return store_git_error(name);
	}
	git_oid_tostr(out, 41, git_object_id(obj));
	*found = 1;
	git_object_free(obj);
	git_reference_free(resolved);
	git_reference_free(ref);
	return NULL;
}

appctl_error *appctl_ref_cas(appctl_repo *repo, const char *name,
	const char *old_hex, const char *new_hex, const char *log_message)
{
	appctl_error *err;
	git_oid old_id, new_id;
	int rc;

	if ((err = parse_oid(&new_id, new_hex, name)))
		return err;
	if (old_hex && (err = parse_oid(&old_id, old_hex, name)))
		return err;
	if (!old_hex)
		return store_ref_create_new(repo->git, name, &new_id, log_message);
	rc = store_ref_swap(repo->git, name, &new_id, &old_id, log_message);
	if (rc == GIT_EMODIFIED || rc == GIT_ELOCKED || rc == GIT_ENOTFOUND) {
		git_error_clear();
		return appctl_error_new(APPCTL_ECONFLICT,
			"%s is no longer at %.7s; nothing was changed", name, old_hex);
	}
	if (rc < 0)
		return store_git_error(name);
	return NULL;
}

/* The release tag of an env state entry. */
static void tag_name(appctl_strbuf *b, const appctl_env_state *e)
{
	appctl_strbuf_printf(b, "refs/tags/release/%s/%lld", e->env,
		(long long)e->release);
}

appctl_error *appctl_log_roll_forward(appctl_repo *repo,
	const appctl_log_state *state, char **report)
{
	appctl_strbuf out = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	size_t i;

	if (report)
		*report = NULL;
	if (!state)
		goto done;
	for (i = 0; i < state->env_count && !err; i++) {
		const appctl_env_state *e = &state->envs[i];
		appctl_strbuf ref = APPCTL_STRBUF_INIT;
		char at[41];
		int found;

		appctl_strbuf_printf(&ref, "refs/heads/%s", e->env);
		if (ref.failed) {
			err = appctl_error_nomem();
			break;
		}
		err = appctl_ref_read(at, &found, repo, ref.ptr);
		if (!err && found && e->previous[0] && strcmp(at, e->commit) != 0 &&
		    strcmp(at, e->previous) == 0) {
			err = appctl_ref_cas(repo, ref.ptr, e->previous, e->commit,
				"appctl: complete release");
			if (!err)
				appctl_strbuf_printf(&out, "moved %s to %.7s (release %lld)\n",
					e->env, e->commit, (long long)e->release);
		} else if (!err && !found) {
			err = appctl_ref_cas(repo, ref.ptr, NULL, e->commit,
				"appctl: complete release");
			if (!err)
				appctl_strbuf_printf(&out, "created branch %s at %.7s\n",
					e->env, e->commit);
		}
		appctl_strbuf_truncate(&ref, 0);
		tag_name(&ref, e);
		if (!err && !ref.failed)
			err = appctl_ref_read(at, &found, repo, ref.ptr);
		if (!err && !found) {
			err = appctl_ref_cas(repo, ref.ptr, NULL, e->commit,
				"appctl: complete release");
			if (!err)
				appctl_strbuf_printf(&out, "tagged release/%s/%lld\n",
					e->env, (long long)e->release);
		}
		/* A racing command completing the same step is agreement. */
		if (err && err->code == APPCTL_ECONFLICT) {
			appctl_error_free(err);
			err = NULL;
		}
		appctl_strbuf_dispose(&ref);
	}
done:
	if (!err && report && out.len)
		*report = appctl_strbuf_detach(&out);
	appctl_strbuf_dispose(&out);
	if (!err && out.failed)
		err = appctl_error_nomem();
	return err;
}

/* <gitdir>/appctl/verified-log: the last log head whose every event passed the judge. */
static appctl_error *checkpoint_path(appctl_strbuf *b, appctl_repo *repo,
	const char *suffix)
{
	const char *gitdir = git_repository_path(repo->git);
	size_t len = strlen(gitdir);

	/* libgit2 ends the path with a slash. */
	appctl_strbuf_printf(b, "%.*sappctl", (int)len, gitdir);
	if (len && gitdir[len - 1] != '/')
		appctl_strbuf_truncate(b, 0), appctl_strbuf_printf(b, "%s/appctl",
			gitdir);
	if (suffix)
		appctl_strbuf_printf(b, "/verified-log%s", suffix);
	return b->failed ? appctl_error_nomem() : NULL;
}

appctl_error *appctl_log_checkpoint_read(char out[41], appctl_repo *repo)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	appctl_error *err = checkpoint_path(&path, repo, "");
	char buf[64];
	size_t n = 0;
	FILE *f;

	out[0] = '\0';
	if (err)
		return err;
	f = fopen(path.ptr, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	appctl_strbuf_dispose(&path);
	buf[n] = '\0';
	/* Anything but one id is no checkpoint: the log is verified from its root. */
	if (n >= 40 && (n == 40 || buf[40] == '\n')) {
		buf[40] = '\0';
		if (appctl_event_id_is_valid(buf))
			memcpy(out, buf, 41);
	}
	return NULL;
}

appctl_error *appctl_log_checkpoint_write(appctl_repo *repo, const char *head)
{
	appctl_strbuf dir = APPCTL_STRBUF_INIT, tmp = APPCTL_STRBUF_INIT,
		path = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	FILE *f = NULL;

	if ((err = checkpoint_path(&dir, repo, NULL)) ||
	    (err = checkpoint_path(&tmp, repo, NULL)) ||
	    (err = checkpoint_path(&path, repo, "")))
		goto done;
	/* Each writer its own temporary file: parallel commands may race here. */
	appctl_strbuf_printf(&tmp, "/verified-log.%ld.tmp", (long)getpid());
	if (tmp.failed) {
		err = appctl_error_nomem();
		goto done;
	}
	if (mkdir(dir.ptr, 0777) != 0 && errno != EEXIST) {
		err = appctl_error_new(APPCTL_ESYSTEM, "cannot create '%s': %s",
			dir.ptr, strerror(errno));
		goto done;
	}
	f = fopen(tmp.ptr, "w");
	if (!f || fprintf(f, "%s\n", head) < 0 || fclose(f) != 0) {
		if (!f)
			err = appctl_error_new(APPCTL_ESYSTEM, "cannot write '%s': %s",
				tmp.ptr, strerror(errno));
		else
			err = appctl_error_new(APPCTL_ESYSTEM, "cannot write '%s'",
				tmp.ptr);
		goto done;
	}
	if (rename(tmp.ptr, path.ptr) != 0)
		err = appctl_error_new(APPCTL_ESYSTEM, "cannot rename '%s': %s",
			tmp.ptr, strerror(errno));
done:
	appctl_strbuf_dispose(&dir);
	appctl_strbuf_dispose(&tmp);
	appctl_strbuf_dispose(&path);
	return err;
}

appctl_error *appctl_commit_tree(char out[41], appctl_repo *repo,
	const char *commit_hex)
{
	git_commit *commit = NULL;
	appctl_error *err = store_lookup_commit(&commit, repo->git, commit_hex);

	if (err)
		return err;
	git_oid_tostr(out, 41, git_commit_tree_id(commit));
	git_commit_free(commit);
	return NULL;
}

appctl_error *appctl_commit_reaches(int *out, appctl_repo *repo,
	const char *commit, const char *ancestor)
{
	git_oid a, b;
	appctl_error *err;
	int rc;

	*out = 0;
	if ((err = parse_oid(&a, commit, "commit")) ||
	    (err = parse_oid(&b, ancestor, "commit")))
		return err;
	if (git_oid_equal(&a, &b)) {
		*out = 1;
		return NULL;
	}
	rc = git_graph_descendant_of(repo->git, &a, &b);
	if (rc < 0)
		return store_git_error("commit graph");
	*out = rc;
	return NULL;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

appctl_error *appctl_commit_authors(char ***out, size_t *count,
	appctl_repo *repo, const char *from, const char *to)
{
	git_revwalk *walk = NULL;
	appctl_error *err = NULL;
	char **list = NULL;
	size_t n = 0, cap = 0, i, w;
	git_oid id, hide;

	*out = NULL;
	*count = 0;
	if ((err = parse_oid(&id, to, "commit")) ||
	    (from && *from && (err = parse_oid(&hide, from, "commit"))))
		return err;
	/*
	 * A shallow clone ends the walk at its cut: authors beyond it would go
	 * unseen, and a self-approval would count. Refuse rather than guess.
	 */
	if (git_repository_is_shallow(repo->git) == 1)
		return appctl_error_new(APPCTL_ESYSTEM,
			"this clone is shallow: the authors of the change cannot all "
			"be read; run 'appctl sync' (it fetches the missing history) "
			"or 'git fetch --unshallow'");
	if (git_revwalk_new(&walk, repo->git) < 0 || git_revwalk_push(walk, &id) < 0 ||
	    (from && *from && git_revwalk_hide(walk, &hide) < 0)) {
		err = store_git_error("walking the change");
		goto done;
	}
	while (git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;
		const git_signature *author, *committer;

		if (git_commit_lookup(&c, repo->git, &id) < 0) {
			err = store_git_error("walking the change");
			goto done;
		}
		author = git_commit_author(c);
		committer = git_commit_committer(c);
		/* Room for both: whoever committed it counts as much as its author. */
		if (n + 2 > cap) {
			char **grown;

			cap = cap ? cap * 2 : 16;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown) {
				git_commit_free(c);
				err = appctl_error_nomem();
				goto done;
			}
			list = grown;
		}
		list[n] = strdup(author && author->email ? author->email : "");
		if (list[n++])
			list[n] = strdup(committer && committer->email
				? committer->email : "");
		git_commit_free(c);
		if (!list[n - 1] || !list[n++]) {
			err = appctl_error_nomem();
			goto done;
		}
	}
	if (n)
		qsort(list, n, sizeof(*list), str_cmp);
	for (i = 0, w = 0; i < n; i++) {
		if (w && strcmp(list[w - 1], list[i]) == 0) {
			free(list[i]);
			continue;
		}
		list[w++] = list[i];
	}
	*out = list;
	*count = w;
	list = NULL;
	n = 0;
done:
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	git_revwalk_free(walk);
	return err;
}
