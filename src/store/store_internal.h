/* store_internal.h: what the files of the storage layer share, and nothing else sees. */
#ifndef APPCTL_STORE_INTERNAL_H
#define APPCTL_STORE_INTERNAL_H

#include <stddef.h>

#include <git2.h>

#include "appctl/error.h"
#include "appctl/model.h"
#include "appctl/store.h"
#include "appctl/event.h"
#include "appctl/progress.h"

struct appctl_repo {
	git_repository *git;
	char *workdir; /* with a trailing '/', NULL when bare */
	struct store_cache *cache; /* cache.c's, opened on first use */
	int from_env; /* opened by appctl_repo_open_env: no twins */
	appctl_repo *parent; /* a twin's (appctl_repo_twin): its git dir */
};

/* Regular git file modes; everything else (links, submodules) is refused. */
#define STORE_MODE_FILE 0100644u
#define STORE_MODE_EXEC 0100755u

/*
 * One definition file as read, before parsing. Both loaders (git objects and
 * the working tree) produce the same set, so the parsing and the rules about
 * which files exist are shared, and `init` commits exactly the bytes it
 * validated.
 */
typedef struct store_file {
	char *path; /* repository-relative, owned */
	char *data; /* owned, NUL-terminated, `len` bytes before it */
	size_t len;
	unsigned mode; /* STORE_MODE_FILE or STORE_MODE_EXEC */
	char id[41];   /* blob id, "" when not read from git */
} store_file;

typedef struct store_files {
	store_file policy;
	store_file signers;
	store_file *apps; /* apps/<dirs[i]>/app.json */
	char **dirs;
	size_t app_count;
	size_t app_cap;
	store_file *groups_from; /* the SCIM files "groups_from" names */
	size_t groups_from_count;
} store_files;

#define STORE_FILES_INIT                                                  \
	{                                                                 \
		{ NULL, NULL, 0, 0, "" }, { NULL, NULL, 0, 0, "" }, NULL, \
			NULL, 0, 0, NULL, 0                               \
	}

/* Frees every buffer of the set; the set may be reused after. */
void store_files_dispose(store_files *files);
void store_file_dispose(store_file *file);

/*
 * Takes ownership of `path` and `data` (also on error) and appends an app
 * file for folder `dir` (copied).
 */
appctl_error *store_files_add_app(store_files *files, const char *dir,
	char *path, char *data, size_t len, unsigned mode, const char *id);

/*
 * A parse of the policy file alone, into *arena (the caller frees it with
 * appctl_arena_free), to learn where the files it names are before the
 * snapshot is parsed: one parse serves the signers and groups_from paths.
 */
appctl_error *store_policy_scratch(appctl_policy **out, appctl_arena **arena,
	const store_file *policy);

/*
 * The path of the signers file `parsed` names, checked to stay inside the
 * repository. The caller frees *out.
 */
appctl_error *store_signers_path_of(char **out, const appctl_policy *parsed);

/*
 * The paths appctl.json's "groups_from" names, each checked to stay inside
 * the repository (as the signers path is). The caller frees each string and
 * the array (*out may be NULL when *count is 0).
 */
/* The same from `parsed`, a parse of the file at `policy_path`. */
appctl_error *store_groups_from_paths_of(char ***out, size_t *count,
	const appctl_policy *parsed, const char *policy_path);

/* Frees what store_groups_from_paths returned. */
void store_paths_free(char **paths, size_t count);

/* Appends a SCIM file, taking ownership of *f's buffers (also on error). */
appctl_error *store_files_add_groups_from(store_files *files, store_file *f);

/* Parses a complete set into a snapshot the caller frees with appctl_snapshot_free. */
appctl_error *store_files_parse(appctl_snapshot **out,
	const store_files *files);

/*
 * The same for the files of a commit, whose ids are blob ids: each app's
 * model comes from the per-blob cache when it holds one, and goes there.
 */
appctl_error *store_files_parse_cached(appctl_snapshot **out,
	const store_files *files, appctl_repo *repo);

/*
 * Reads the definition files of a commit's tree into `files` (which the
 * caller disposes, also on error), checking modes and sizes first. With
 * `apps_checked_only`, the app files are checked alike but their bytes
 * are left unread (data NULL): store_files_parse_cached reads those the
 * cache does not hold.
 */
appctl_error *store_read_commit_files(store_files *files, git_repository *git,
	const git_commit *commit, int apps_checked_only,
	const appctl_progress *progress);

/*
 * The bytes of blob `id` (hex), NUL-terminated, malloc'd; `path` names it
 * in an error. For a file checked and left unread.
 */
appctl_error *store_blob_bytes(char **data, size_t *len,
	git_repository *git, const char *id, const char *path);

/*
 * Finds the regular file at `path` below `root`. *out is a copy the caller
 * frees with git_tree_entry_free, or NULL when nothing is there. A link,
 * submodule or folder where a file or folder belongs is APPCTL_EINPUT.
 */
appctl_error *store_find_tree_file(git_tree_entry **out, git_repository *git,
	const git_tree *root, const char *path);

/*
 * Reads the blob of `entry` into `out` (owned buffers; disposed by the
 * caller), refusing blobs over 16 MiB before inflating them.
 */
appctl_error *store_read_blob(store_file *out, git_repository *git,
	const char *path, const git_tree_entry *entry);

/*
 * Reads the regular file at `path` of the tree `root` (as store_read_blob
 * does), which must exist: its absence is APPCTL_EINPUT "no such file"
 * followed by `why` (say who needs it, or ""). `out` is the caller's to
 * dispose.
 */
appctl_error *store_read_required(store_file *out, git_repository *git,
	const git_tree *root, const char *path, const char *why);

/* Looks up a commit by 40 hex digits; the caller frees *out with git_commit_free. */
appctl_error *store_lookup_commit(git_commit **out, git_repository *git,
	const char *commit_hex);

/* The same from the files under `dir` (ending in '/'). */
appctl_error *store_read_worktree_files(store_files *files, const char *dir);

/*
 * Error from the last libgit2 failure, prefixed with `what`: APPCTL_ESYSTEM
 * carrying libgit2's own message, so the cause is never hidden.
 */
appctl_error *store_git_error(const char *what);

/*
 * The per-blob cache of parsed apps (cache.c), best effort. Load: *out is
 * the cached app of `blob_id` at `file_path` in `arena`, or NULL on any
 * miss; errors: out of memory only. Store: keeps `app` (from git blob
 * app->blob_id) for the pack written when the repository is freed. Close:
 * writes that pack (atomically, silently giving up on any failure), then
 * removes the oldest packs when the cache is over its size.
 */
appctl_error *store_cache_load_app(appctl_app **out, appctl_arena *arena,
	appctl_repo *repo, const char *blob_id, const char *file_path,
	const char *dir);
void store_cache_store_app(appctl_repo *repo, const appctl_app *app);
void store_cache_close(appctl_repo *repo);
/*
 * Opens the cache now, on this thread: twins (appctl_repo_twin) add their
 * entries to their parent's pack from other threads.
 */
void store_cache_open(appctl_repo *repo);

/*
 * The same for a failed call that returned `rc`: a lock held by another
 * process (GIT_ELOCKED) is APPCTL_ECONFLICT, since retrying will succeed.
 */
appctl_error *store_git_error_rc(int rc, const char *what);

/*
 * Makes what was written under the git directory durable in one flush.
 * Each fsync (a file, then its directory) is a journal commit, a few ms on
 * common disks: hundreds of release tags written one by one took longer
 * than the fetch that brought them, and the five objects of a log entry
 * most of an approval. syncfs flushes the file system once, where there is
 * one (store_can_flush_once); elsewhere callers keep libgit2's fsync each.
 */
int store_can_flush_once(void);
appctl_error *store_flush_once(git_repository *git);

/*
 * Moves `name` to `id` if it is at `expected` (NULL: if it does not exist),
 * as one compare-and-swap: the ref's lock is taken first and its value read
 * under it, the lock git and libgit2 both honour. Returns 0, GIT_EMODIFIED
 * (another value, or missing), GIT_EEXISTS (exists where none was expected),
 * GIT_ELOCKED (another writer holds the lock) or a libgit2 error.
 *
 * Not git_reference_create_matching: that checks the name against every
 * packed ref, parsing all of packed-refs, on each write, which with tens of
 * thousands of release tags costs more than the rest of a promotion. A
 * lookup here is a loose file or a binary search of the sorted packed-refs.
 */
int store_ref_swap(git_repository *git, const char *name, const git_oid *id,
	const git_oid *expected, const char *log_message);

/*
 * Creates `name` at `id` only if it does not exist (store_ref_swap). A ref
 * that exists, or a lock held by someone else, is APPCTL_ECONFLICT.
 */
appctl_error *store_ref_create_new(git_repository *git, const char *name,
	const git_oid *id, const char *log_message);

/*
 * Looks up `name` and peels it to a commit id. *found is 0 when the ref does
 * not exist (then *out is untouched).
 */
appctl_error *store_ref_commit(git_oid *out, int *found, git_repository *git,
	const char *name);

/* The starter files `init` writes into an empty repository. */
/*
 * The starter appctl.json and allowed_signers for the approvers `s` (at
 * least one; principals and key lines already checked). The caller frees
 * *policy and *signers with free().
 */
appctl_error *store_starter_build(char **policy, char **signers,
	const appctl_init_signer *s, size_t n);
extern const char store_starter_app_dir[];
extern const char store_starter_app[];

/*
 * The log's commit-level operations on a bare git handle (init uses them
 * before an appctl_repo exists). See appctl_log_append and friends in log.h.
 */
/*
 * Writes one log commit (its tree: event.json, event.json.sig when
 * `signature` is not NULL, state.json) on top of `parent` (NULL: a root)
 * without moving any ref. Append and sync's re-parenting share it, so a
 * re-parented event is stored byte for byte as it was first written.
 */
appctl_error *store_log_write_commit(git_oid *out, git_repository *git,
	const git_commit *parent, const char *event_json, const char *signature,
	const char *state_json);
appctl_error *store_log_append(char out[41], git_repository *git,
	const char *expected_head, const char *event_json, const char *signature,
	const char *state_json);
appctl_error *store_log_read_state(appctl_log_state **out, git_repository *git,
	const git_commit *commit);
appctl_error *store_log_read_event(appctl_event **out, git_repository *git,
	const git_commit *commit);

#endif
