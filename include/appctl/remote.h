/* remote.h: fetching from and pushing to another copy of the repository, and the log and ref plumbing that sync and the hooks need (storage layer). */
#ifndef APPCTL_REMOTE_H
#define APPCTL_REMOTE_H

#include <stddef.h>

#include "appctl/error.h"
#include "appctl/event.h"
#include "appctl/store.h"

/* ---- one log commit, read as the hooks check it ---- */

typedef struct appctl_log_entry {
	char commit[41];
	char parent[41];          /* first parent; "" for a root */
	size_t parent_count;
	appctl_event *event;      /* id, log_commit and signature filled */
	appctl_log_state *state;  /* state.json as stored */
	char *stray;              /* a tree entry that has no business there, or NULL */
} appctl_log_entry;

/*
 * Reads log commit `commit_hex`: its parents, its event (parsed strictly,
 * as appctl_log_walk does) and its stored state. A tree entry other than
 * event.json, event.json.sig and state.json (regular files) is named in
 * `stray`. A malformed event or state is APPCTL_EINPUT naming
 * "<commit>:event.json" or "<commit>:state.json"; a missing commit
 * APPCTL_ESYSTEM. Dispose with appctl_log_entry_dispose, also on error.
 */
appctl_error *appctl_log_entry_read(appctl_log_entry *out, appctl_repo *repo,
	const char *commit_hex);

/* Frees what the entry holds; the struct may be reused after. */
void appctl_log_entry_dispose(appctl_log_entry *entry);

/*
 * The commit object `hex` names, peeling annotated tags, into `out`;
 * *found is 0 when the object does not exist or is no commit.
 */
appctl_error *appctl_object_commit(char out[41], int *found,
	appctl_repo *repo, const char *hex);

/*
 * The commits from `from` back along first parents, newest first, up to
 * `stop` (excluded; NULL or "": up to and including the root). Only
 * commit headers are read, so walking far is cheap. *reached is 1 when
 * `stop` was met (always 1 without `stop`). The caller frees *out.
 */
appctl_error *appctl_first_parent_path(char (**out)[41], size_t *count,
	int *reached, appctl_repo *repo, const char *from, const char *stop);

/* The best common ancestor of two commits; *found 0 when they share none. */
appctl_error *appctl_merge_base(char out[41], int *found, appctl_repo *repo,
	const char *a, const char *b);

/*
 * Writes `ev` (its event.json and signature bytes unchanged, so its id and
 * signature stay what they were) as a new log commit on top of `parent`
 * with `state_json`; no ref moves. The new commit goes to `out`.
 */
appctl_error *appctl_log_reparent(char out[41], appctl_repo *repo,
	const char *parent, const appctl_event *ev, const char *state_json);

/* ---- refs ---- */

typedef struct appctl_ref_entry {
	char *name;
	char id[41];              /* what it points to, peeled to a commit when it can be */
} appctl_ref_entry;

/*
 * The refs whose names start with `prefix`, sorted by name. The caller
 * frees them with appctl_ref_entries_free.
 */
appctl_error *appctl_refs_list(appctl_ref_entry **out, size_t *count,
	appctl_repo *repo, const char *prefix);

void appctl_ref_entries_free(appctl_ref_entry *entries, size_t count);

/* Points `name` at `hex` whatever it held (remote-tracking copies only). */
appctl_error *appctl_ref_set(appctl_repo *repo, const char *name,
	const char *hex, const char *log_message);

/* One ref of a batch: `name` to `id` (40 hex digits). */
typedef struct appctl_ref_write {
	const char *name;
	const char *id;
	int create;               /* 1: only if it does not exist (appctl_ref_cas from NULL) */
} appctl_ref_write;

/*
 * Writes `count` refs in order, each as appctl_ref_set does, or with
 * `create` as appctl_ref_cas with no old value (a ref that exists is
 * APPCTL_ECONFLICT); stops at the first failure, and the refs written
 * before it stay. They are made durable together, with one flush of the
 * file system instead of one fsync per ref, so that hundreds of release
 * tags cost about what one does. Nothing is owned: `w` stays the caller's.
 */
appctl_error *appctl_refs_write(appctl_repo *repo, const appctl_ref_write *w,
	size_t count, const char *log_message);

/* Deletes `name`; a ref that does not exist is not an error. */
appctl_error *appctl_ref_delete(appctl_repo *repo, const char *name);

/* ---- remotes ---- */

/*
 * A remote as sync addresses it. Remotes are reached only through the
 * system `git` (fetch, ls-remote, push), run with the user's environment,
 * so ssh config, GIT_SSH_COMMAND, core.sshCommand, credential helpers,
 * proxies, url.*.insteadOf and a path remote's hooks behave exactly as
 * for `git push`.
 */
typedef struct appctl_remote_spec {
	char *arg;                /* what git is given: the remote's name, or its URL / absolute path */
	char *track;              /* where sync keeps copies of its refs, ending in '/' */
	int configured;           /* 1 for a configured remote (git remote add) */
} appctl_remote_spec;

/*
 * Resolves `name`: a configured remote (remote.<name>.url or .pushurl
 * set), whose copies go under refs/appctl/remote/<name>/; else a URL
 * ("scheme://...", scp-like "host:path") or the path of a directory
 * (relative to the working tree, or the bare repository, as git takes
 * it), whose copies go under refs/appctl/remote-url/<the URL with every
 * byte but letters, digits, '-' and '_' made '_'>/. Anything else is
 * APPCTL_EUSAGE. Dispose with appctl_remote_spec_dispose, also on error.
 */
appctl_error *appctl_remote_resolve(appctl_remote_spec *out,
	appctl_repo *repo, const char *name);

void appctl_remote_spec_dispose(appctl_remote_spec *spec);

/* What a remote advertised: ref names and the ids they point at (not peeled). */
typedef struct appctl_remote_refs {
	appctl_ref_entry *refs;   /* sorted by name */
	size_t count;
} appctl_remote_refs;

/* The id `name` has on the remote, or NULL when it has no such ref. */
const char *appctl_remote_refs_find(const appctl_remote_refs *refs,
	const char *name);

void appctl_remote_refs_dispose(appctl_remote_refs *refs);

/*
 * Brings the remote's refs that `refspecs` name ("+SRC:DST", SRC and DST
 * full ref names, at most one '*' each, as git takes them) into this
 * repository: `git ls-remote` lists them, then `git fetch` (no tags
 * followed, FETCH_HEAD untouched, no other ref of this repository moved)
 * takes those whose DST does not hold them yet. *advertised receives
 * every ref the remote has that a SRC matches, with the id its DST now
 * holds, i.e. what was fetched (dispose with appctl_remote_refs_dispose).
 * `remote` is appctl_remote_spec.arg. A failure of git is APPCTL_ESYSTEM
 * carrying git's own message.
 */
appctl_error *appctl_remote_fetch(appctl_remote_refs *advertised,
	appctl_repo *repo, const char *remote, const char *const *refspecs,
	size_t count);

/* What became of one ref update of a push. */
typedef enum {
	APPCTL_PUSH_ACCEPTED = 0, /* updated, or already there */
	APPCTL_PUSH_NOT_SENT,     /* another update of the atomic push failed */
	APPCTL_PUSH_STALE,        /* the remote no longer held `expect`: someone pushed first */
	APPCTL_PUSH_REFUSED       /* the remote refused it (its hook, its config) */
} appctl_push_status;

/* One ref update of a push, and what the remote said of it. */
typedef struct appctl_push_ref {
	const char *dst;          /* ref name on the remote */
	const char *id;           /* the object it is to point at (40 hex digits) */
	const char *expect;       /* the remote's value the update is built on; "" absent */
	/*
	 * NULL: sent by a refspec of its own. Else the pattern refspec
	 * ("SRC/<star>:DST/<star>", given once for all refs naming it) sending it:
	 * the caller has made sure the pattern sends nothing else that the
	 * remote lacks. The lease still names this ref.
	 */
	const char *pattern;
	appctl_push_status status;/* filled */
	char *reason;             /* filled: git's reason when not accepted, or NULL; caller frees */
} appctl_push_ref;

/*
 * Pushes `refs` in one `git push --atomic` (so a pre-receive hook judges
 * them together and the remote takes all or none), each update a
 * compare-and-swap (--force-with-lease=DST:EXPECT). Returns NULL when
 * every update was accepted; APPCTL_ECONFLICT when one was stale
 * (someone else pushed first: nothing was changed, fetch and retry);
 * APPCTL_EDENIED when the remote refused the push (its hook, its
 * configuration); APPCTL_ESYSTEM when git could not push at all, with
 * git's message. `status` and `reason` are filled in every case (the
 * caller frees each `reason`). The remote's own lines ("remote: ...", as
 * git shows them) go to *remote_text (caller frees; NULL when none).
 */
appctl_error *appctl_remote_push(appctl_repo *repo, const char *remote,
	appctl_push_ref *refs, size_t count, char **remote_text);

#endif
