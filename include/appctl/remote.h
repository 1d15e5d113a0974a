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

/* Deletes `name`; a ref that does not exist is not an error. */
appctl_error *appctl_ref_delete(appctl_repo *repo, const char *name);

/* ---- remotes ---- */

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
 * Fetches `refspecs` from the configured remote `remote` (no tags
 * followed, FETCH_HEAD untouched) and lists every ref it advertised into
 * *advertised (dispose with appctl_remote_refs_dispose). An unknown remote
 * is APPCTL_EUSAGE; network and protocol failures APPCTL_ESYSTEM with
 * libgit2's message.
 */
appctl_error *appctl_remote_fetch(appctl_remote_refs *advertised,
	appctl_repo *repo, const char *remote, const char *const *refspecs,
	size_t count);

/* One ref update of a push, and what the remote said of it. */
typedef struct appctl_push_ref {
	const char *src;          /* local ref name */
	const char *dst;          /* ref name on the remote */
	const char *expect;       /* the remote's value the update is built on; "" absent */
	char *status;             /* filled: NULL accepted, else the remote's reason */
} appctl_push_ref;

/*
 * Pushes `refs` in one push (so a pre-receive hook judges them together).
 * Each update is a compare-and-swap: when the remote no longer holds
 * `expect` for one of them, nothing is sent and the error is
 * APPCTL_ECONFLICT. Per-ref refusals are not errors: they fill `status`
 * (the caller frees each). Whatever the remote printed (its hooks' lines)
 * is appended to *remote_text (caller frees; may stay NULL).
 */
appctl_error *appctl_remote_push(appctl_repo *repo, const char *remote,
	appctl_push_ref *refs, size_t count, char **remote_text);

#endif
