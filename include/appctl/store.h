/* store.h: the storage layer, the only code that talks to libgit2. */
#ifndef APPCTL_STORE_H
#define APPCTL_STORE_H

#include <stddef.h>

#include "appctl/diff.h"
#include "appctl/error.h"
#include "appctl/model.h"
#include "appctl/progress.h"

typedef struct appctl_repo appctl_repo;

/*
 * Opens the repository containing `dir` (searching upwards like git; `dir`
 * NULL means the current directory). Like git, refuses a repository another
 * account owns unless safe.directory allows it (system or global config,
 * GIT_CONFIG_COUNT, `git -c`; "*" for all). Errors are APPCTL_ESYSTEM with
 * libgit2's message, or naming the repository, its owner and the
 * safe.directory setting to add. Free with appctl_repo_free.
 */
appctl_error *appctl_repo_open(appctl_repo **out, const char *dir);

/*
 * Opens the repository the way git's own commands find it from the
 * environment (GIT_DIR, GIT_OBJECT_DIRECTORY,
 * GIT_ALTERNATE_OBJECT_DIRECTORIES, else the current directory): what a
 * hook must do to see the objects of a push still in git's quarantine.
 * Who owns it is checked as appctl_repo_open does, except, as in git, for
 * a repository GIT_DIR names (git sets it for its hooks). Free with
 * appctl_repo_free.
 */
appctl_error *appctl_repo_open_env(appctl_repo **out);

/* Frees the handle; NULL is a no-op. */
void appctl_repo_free(appctl_repo *repo);

/*
 * Another handle on the same repository, for another thread: libgit2
 * objects are used from one thread at a time, so each thread reads
 * objects through a handle of its own. What a twin adds to the cache goes
 * into `repo`'s pack: one command still writes one. Make every twin on
 * the thread that owns `repo` before any other thread starts (opening
 * one sets libgit2's global options for a moment); free them
 * (appctl_repo_free) after those threads end and before `repo`. NULL
 * when none can be made (out of memory, or `repo` came from
 * appctl_repo_open_env, whose object directories the environment names):
 * then the caller stays on one thread. For reading app definitions and
 * the cache only.
 */
appctl_repo *appctl_repo_twin(appctl_repo *repo);

/* True for a bare repository. */
int appctl_repo_is_bare(const appctl_repo *repo);

/* The working directory with a trailing '/', or NULL for a bare repository. */
const char *appctl_repo_workdir(const appctl_repo *repo);

/*
 * The git directory shared by all worktrees ("<repo>/.git/", or the bare
 * repository itself), with a trailing '/'; owned by the handle. Files appctl
 * keeps outside git objects (the notify outbox) go under "<gitdir>/appctl/".
 */
const char *appctl_repo_gitdir(const appctl_repo *repo);

/*
 * Resolves a revision to a commit id (40 hex digits + NUL in `out`):
 * an environment name (refs/heads/<env>), "release/<env>/<N>",
 * "<env>@<N>" (the same release), or any git revision. Unknown revisions are
 * APPCTL_EUSAGE errors naming the revision.
 */
appctl_error *appctl_repo_resolve(char out[41], appctl_repo *repo,
	const char *rev);

/*
 * The best common ancestor of two commits (40 hex digits each), as
 * `git merge-base A B`, into `out`. No common ancestor (unrelated
 * histories, or a shallow clone cut above it) is an APPCTL_EUSAGE error
 * naming `a_name` and `b_name` and saying to fetch more history.
 */
appctl_error *appctl_repo_merge_base(char out[41], appctl_repo *repo,
	const char *a, const char *b, const char *a_name, const char *b_name);

/*
 * Reads and parses the definitions of commit `commit_hex` from git objects
 * (never the working tree): appctl.json, the signers file it names, and every
 * apps/<name>/app.json. Symlinks, submodules or folders where a definition
 * should be, files over 16 MiB and bad folder names are APPCTL_EINPUT errors.
 * Every file is read and parsed here: what judges a move (promote, the
 * hook, the checks of the log) trusts git's objects alone.
 * The caller frees *out with appctl_snapshot_free.
 */
appctl_error *appctl_repo_load_snapshot(appctl_snapshot **out,
	appctl_repo *repo, const char *commit_hex);

/*
 * appctl_repo_load_snapshot, reporting each app file read through
 * `progress` (may be NULL).
 */
appctl_error *appctl_repo_load_snapshot_progress(appctl_snapshot **out,
	appctl_repo *repo, const char *commit_hex,
	const appctl_progress *progress);

/*
 * appctl_repo_load_snapshot_progress for read-only reports (status,
 * validate), as appctl_repo_load_app_cached: each app's model comes from
 * the per-blob cache when it holds one, its blob read only when it does
 * not, and what is parsed is kept there. The same snapshot, faster.
 */
appctl_error *appctl_repo_load_snapshot_cached(appctl_snapshot **out,
	appctl_repo *repo, const char *commit_hex,
	const appctl_progress *progress);

/*
 * The same from the files under `dir` (a working tree): for
 * `appctl validate --worktree`, the one place that reads the working tree.
 */
appctl_error *appctl_worktree_load_snapshot(appctl_snapshot **out,
	const char *dir);

/*
 * Creates the new file `rel` (a path inside the working tree `dir`, which
 * ends in '/') holding `len` bytes of `data`, making the folders on the way.
 * An existing file is APPCTL_EUSAGE; a link or file where a folder belongs
 * is APPCTL_EINPUT; nothing is left behind on a failed write. For `appctl
 * new app`, which writes the working tree and commits nothing.
 */
appctl_error *appctl_worktree_create_file(const char *dir, const char *rel,
	const char *data, size_t len);

/*
 * Removes the file `rel` of the working tree `dir` and then its folder when
 * that is left empty: the undo of appctl_worktree_create_file. Best effort.
 */
void appctl_worktree_remove_file(const char *dir, const char *rel);

/* A file's new content for appctl_repo_commit_files. */
typedef struct appctl_file_update {
	const char *path;             /* repository-relative */
	const char *data;
	size_t len;
} appctl_file_update;

/*
 * Writes one ordinary commit on top of `expected` (40 hex digits) that
 * replaces the `count` files with their new content (author and committer
 * from git config user.name / user.email), then moves refs/heads/<branch>
 * from `expected` to it as one compare-and-swap: a branch that moved
 * meanwhile is APPCTL_ECONFLICT and nothing changes (the unreferenced
 * objects are left to git gc). When the branch is checked out, the index
 * and working files follow where the user has not edited them; *note
 * (caller frees, NULL when all went well) says what was left. The new
 * commit's id goes to `out`.
 */
appctl_error *appctl_repo_commit_files(char out[41], char **note,
	appctl_repo *repo, const char *branch, const char *expected,
	const appctl_file_update *files, size_t count, const char *message);

/*
 * The one answer when appctl's records are not in this repository: `what`
 * ("refs/appctl/log", "branch 'staging'") is missing. In a clone (any
 * remote configured) that is the sync's job: an APPCTL_ESYSTEM error
 * (exit 4) saying to run 'appctl sync', with the `git fetch` refspecs that
 * do the same by hand. Without a remote it says to run 'appctl init'.
 * Every command that finds the log or an environment branch missing
 * returns this, so the cause has one message and one exit status.
 */
appctl_error *appctl_repo_not_synced(appctl_repo *repo, const char *what);

/*
 * How many definition files (appctl.json, `signers_file` when not NULL,
 * anything under apps/) differ between the working tree (and index) and
 * HEAD, untracked ones included, in *count; *example names the first one
 * (caller frees; NULL when none). 0 for a bare repository. For the hint
 * that `validate` read a commit, not those edits.
 */
appctl_error *appctl_repo_definitions_dirty(size_t *count, char **example,
	appctl_repo *repo, const char *signers_file);

/* A git config string (e.g. "user.email") in *out (caller frees), NULL if unset. */
appctl_error *appctl_repo_config_string(char **out, appctl_repo *repo,
	const char *key);

/*
 * `appctl init` (SPEC §1). Without commits: commits the appctl files found in
 * the working tree, or the starter files when there are none. With an
 * appctl.json at HEAD: validates it. Then adds whatever is missing of: the
 * environment branches (at the initial commit), the log's `init` event and the
 * `release/<env>/0` tags. The log append is the commit point: branches and
 * tags are created from what the `init` event names, so a repeated or
 * interrupted init completes rather than diverges.
 * `principal` and `now` (ISO 8601 UTC) go into the event.
 * `report` receives one line per thing created (caller frees with free()).
 */
appctl_error *appctl_store_init(appctl_repo *repo, const char *principal,
	const char *now, char **report);

/*
 * Reads the file at `path` in commit `commit_hex`, at most 16 MiB. On success
 * *out is a NUL-terminated copy the caller frees with free(), *len its size;
 * *out is NULL when the path is not a regular file there. Used to point
 * findings at lines.
 */
appctl_error *appctl_repo_read_path(char **out, size_t *len,
	appctl_repo *repo, const char *commit_hex, const char *path);

/* One first approver for the starter policy: `init --signer PRINCIPAL=KEY.pub`. */
typedef struct appctl_init_signer {
	const char *principal;      /* a valid principal (appctl_principal_is_valid) */
	const char *key;            /* "KEYTYPE BASE64 [COMMENT]", one line */
} appctl_init_signer;

/* What the caller of init knows about the first approvers. */
typedef struct appctl_init_options {
	const appctl_init_signer *signers;
	size_t signer_count;
	/*
	 * 1 when the user named them (--signer): then a repository that
	 * already has its own appctl.json refuses them (its allowed_signers is
	 * where keys go); 0 when they came from git config and are only used
	 * for a starter policy.
	 */
	int explicit_signers;
	/* Why no signer could be found (e.g. user.signingkey is not SSH), or NULL. */
	const char *no_signer_reason;
} appctl_init_options;

/* What `appctl init` did, for `init --json`. */
typedef struct appctl_init_result {
	char commit[41];            /* the commit the log's init event names */
	char **environments;        /* in promotion order */
	size_t environment_count;
	char **created;             /* full names of the refs created, in order */
	size_t created_count;
	char **files;               /* files of the first commit when init made it */
	size_t file_count;
	char **warnings;            /* what the user must fix (e.g. an environment nobody can approve) */
	size_t warning_count;
	char *report;               /* the lines appctl_store_init reports */
} appctl_init_result;

/*
 * appctl_store_init with a structured account of what was done. In an
 * empty repository the starter policy names `opts`' signers as its
 * approvers (their keys in allowed_signers, counts no higher than there
 * are approvers); without any, init refuses (APPCTL_EUSAGE, saying what to
 * add) before writing anything. With an existing appctl.json, an
 * environment whose policy no keyed approver can satisfy is reported in
 * `warnings`. `opts` may be NULL (no signers). The caller frees *out with
 * appctl_init_result_free.
 */
appctl_error *appctl_store_init_ext(appctl_init_result **out,
	appctl_repo *repo, const char *principal, const char *now,
	const appctl_init_options *opts);

/* Frees a result; NULL is a no-op. */
void appctl_init_result_free(appctl_init_result *result);

/* ---- lazy reading (listing.c): parse only the apps a command needs ---- */

/* One app folder of a commit, listed without reading its definition. */
typedef struct appctl_app_entry {
	const char *dir;              /* folder name, a valid app name */
	char tree_id[41];             /* the folder apps/<dir> */
	char blob_id[41];             /* apps/<dir>/app.json */
} appctl_app_entry;

/*
 * A commit's definitions with the apps left unread: the parsed policy, the
 * allowed-signers text and the app folders sorted by name. Owns its arena.
 */
typedef struct appctl_app_listing {
	appctl_arena *arena;
	char commit[41];
	appctl_policy *policy;
	const char *signers_text;     /* NUL-terminated, may be "" */
	size_t signers_len;
	appctl_app_entry *apps;
	size_t app_count;
	char policy_id[41];           /* blob of appctl.json */
	char apps_tree_id[41];        /* tree "apps", "" when absent */
	char policy_key[41];          /* a hash of the blob ids of appctl.json
	                                 and of each file it names in
	                                 "groups_from": equal keys, equal
	                                 policies */
} appctl_app_listing;

/*
 * Lists commit `commit_hex`: parses appctl.json, reads the signers file it
 * names and finds every apps/<name>/app.json with the checks of
 * appctl_repo_load_snapshot (folder names, links, submodules, folders where a
 * file belongs: APPCTL_EINPUT). App files are neither read nor parsed here;
 * their size is checked when appctl_repo_load_app reads them. The caller
 * frees *out with appctl_app_listing_free.
 */
appctl_error *appctl_repo_list_apps(appctl_app_listing **out,
	appctl_repo *repo, const char *commit_hex);

/* The root tree of commit `commit_hex`: equal trees, equal definitions. */
appctl_error *appctl_repo_commit_tree(char out[41], appctl_repo *repo,
	const char *commit_hex);

/*
 * appctl_repo_list_apps for a commit compared with `like` (or NULL): when
 * its appctl.json is the same blob, *out shares like's parsed policy; when
 * its "apps" tree is the same tree, it shares like's app entries, and else
 * the entry of each app folder that is the same tree (the same checks
 * would pass on the same tree). The signers file is always read.
 * `like` must outlive *out: free *out first.
 */
appctl_error *appctl_repo_list_apps_like(appctl_app_listing **out,
	appctl_repo *repo, const char *commit_hex,
	const appctl_app_listing *like);

/* Frees a listing; NULL is a no-op. */
void appctl_app_listing_free(appctl_app_listing *listing);

/*
 * Reads blob `blob_id` (at most 16 MiB, checked before inflating) and parses
 * it as apps/<dir>/app.json into `arena`; *out lives as long as the arena.
 * With `needle_count` > 0 the blob is parsed only when its bytes contain one
 * of `needles`; otherwise *out is NULL and no error is returned. This is the
 * cheap test that lets callers skip apps a change cannot concern.
 */
appctl_error *appctl_repo_load_app(appctl_app **out, appctl_arena *arena,
	appctl_repo *repo, const char *blob_id, const char *dir,
	const char *const *needles, size_t needle_count);

/*
 * appctl_repo_load_app through the per-blob cache of parsed apps
 * (<gitdir>/appctl/cache, model_cache.h): a valid entry for `blob_id` is
 * decoded instead of reading and parsing the blob, and a blob parsed here
 * is stored for next time. On a hit the app is returned even when its
 * bytes hold none of `needles`: the needles only spare parsing, callers
 * still check what they need. Only facts read from git objects are cached
 * (content-addressed, never the working tree), and a damaged or truncated
 * entry, or one of another build, is a miss, so the result is the same
 * with or without the cache. Setting APPCTL_NO_CACHE=1 bypasses it. For
 * read-only reports (`diff`); the hook and the judge keep
 * appctl_repo_load_app, so that no file outside the object store can
 * change a verdict.
 */
appctl_error *appctl_repo_load_app_cached(appctl_app **out,
	appctl_arena *arena, appctl_repo *repo, const char *blob_id,
	const char *dir, const char *const *needles, size_t needle_count);

/*
 * The per-app facts memo of `diff`, in the same folder as the parsed apps.
 * appctl_repo_facts_key names an entry after everything its facts depend
 * on: `material` (the caller's list of inputs) and the build of this
 * program. 0, or -1 when the program carries no build id: then nothing is
 * memoized. appctl_repo_cache_load_facts appends the facts of entry `key`
 * for app `app` to `out`: 1 on a hit, 0 on a miss (missing, damaged or not
 * for this key and app: nothing appended), -1 out of memory.
 * appctl_repo_cache_store_facts stores them, best effort (kinds other than
 * access and field facts are never stored). APPCTL_NO_CACHE=1 bypasses
 * both. For read-only reports, as appctl_repo_load_app_cached.
 */
int appctl_repo_facts_key(char out[41], const char *material, size_t len);
int appctl_repo_cache_load_facts(appctl_changes *out, appctl_repo *repo,
	const char *key, const char *app);
void appctl_repo_cache_store_facts(appctl_repo *repo, const char *key,
	const char *app, const appctl_change *items, size_t count);

/*
 * 1 when the cache holds no entry at all (none made yet, or it is off or
 * cannot be had): every app read will be parsed. 0 otherwise.
 */
int appctl_repo_cache_is_empty(appctl_repo *repo);

/* A commit as history walks see it. */
typedef struct appctl_commit_info {
	char id[41];
	int64_t time;                 /* committer time, Unix seconds (UTC) */
} appctl_commit_info;

/*
 * The first-parent chain ending at `commit_hex`, oldest first (the order an
 * environment branch moved through, when it only moves forward). The caller
 * frees *out with free(); *count receives the number of commits.
 */
appctl_error *appctl_repo_first_parent_commits(appctl_commit_info **out,
	size_t *count, appctl_repo *repo, const char *commit_hex);

#endif
