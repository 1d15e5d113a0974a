/* snapshot.c: reading a commit's definitions from git objects, never the working tree. */
#include <stdlib.h>
#include <string.h>

#include "appctl/json.h"
#include "store_internal.h"

/* What an entry is, in the words of an error message. */
static const char *entry_kind(git_filemode_t mode)
{
	switch (mode) {
	case GIT_FILEMODE_LINK:
		return "a symbolic link";
	case GIT_FILEMODE_COMMIT:
		return "a submodule";
	case GIT_FILEMODE_TREE:
		return "a folder";
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		return "a file";
	default:
		return "an entry of unknown type";
	}
}

static int mode_is_file(git_filemode_t mode)
{
	return mode == GIT_FILEMODE_BLOB ||
		mode == GIT_FILEMODE_BLOB_EXECUTABLE;
}

appctl_error *store_find_tree_file(git_tree_entry **out, git_repository *git,
	const git_tree *root, const char *path)
{
	appctl_error *err = NULL;
	git_tree *owned = NULL, *next = NULL;
	const git_tree *tree = root;
	const git_tree_entry *entry;
	char *copy = NULL, *component, *slash;

	*out = NULL;
	copy = strdup(path);
	if (!copy) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	/*
	 * Walk one component at a time rather than git_tree_entry_bypath, so a
	 * link or submodule on the way is named instead of reported as missing.
	 */
	for (component = copy;; component = slash + 1) {
		slash = strchr(component, '/');
		if (slash)
			*slash = '\0';
		entry = git_tree_entry_byname(tree, component);
		if (!entry)
			goto cleanup;
		if (!slash)
			break;
		if (git_tree_entry_filemode(entry) != GIT_FILEMODE_TREE) {
			err = appctl_error_input(copy, NULL,
				"is %s, not a folder",
				entry_kind(git_tree_entry_filemode(entry)));
			goto cleanup;
		}
		if (git_tree_lookup(&next, git, git_tree_entry_id(entry)) < 0) {
			err = store_git_error(copy);
			goto cleanup;
		}
		git_tree_free(owned);
		owned = next;
		next = NULL;
		tree = owned;
		*slash = '/';
	}
	if (!mode_is_file(git_tree_entry_filemode(entry))) {
		err = appctl_error_input(path, NULL, "is %s, not a file",
			entry_kind(git_tree_entry_filemode(entry)));
		goto cleanup;
	}
	if (git_tree_entry_dup(out, entry) < 0)
		err = store_git_error(path);
cleanup:
	git_tree_free(owned);
	free(copy);
	return err;
}

/*
 * The checks of store_read_blob, from the object's header alone (the size
 * without inflating a possibly huge blob): `out` gets all but the bytes.
 */
static appctl_error *check_blob(store_file *out, git_repository *git,
	const char *path, const git_tree_entry *entry)
{
	appctl_error *err = NULL;
	git_odb *odb = NULL;
	git_object_t type;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (git_repository_odb(&odb, git) < 0 ||
		git_odb_read_header(&len, &type, odb,
			git_tree_entry_id(entry)) < 0)
		err = store_git_error(path);
	else if (type != GIT_OBJECT_BLOB)
		err = appctl_error_input(path, NULL, "is not a file");
	else if (len > APPCTL_JSON_MAX_BYTES)
		err = appctl_error_input(path, NULL,
			"is %zu bytes, over the limit of 16 MiB", len);
	else if (!(out->path = strdup(path)))
		err = appctl_error_nomem();
	git_odb_free(odb);
	if (err)
		return err;
	out->len = len;
	out->mode =
		git_tree_entry_filemode(entry) == GIT_FILEMODE_BLOB_EXECUTABLE
		? STORE_MODE_EXEC
		: STORE_MODE_FILE;
	git_oid_tostr(out->id, sizeof(out->id), git_tree_entry_id(entry));
	return NULL;
}

appctl_error *store_blob_bytes(char **data, size_t *len,
	git_repository *git, const char *id, const char *path)
{
	git_blob *blob = NULL;
	git_oid oid;

	*data = NULL;
	*len = 0;
	if (git_oid_fromstr(&oid, id) < 0 || git_blob_lookup(&blob, git, &oid) < 0)
		return store_git_error(path);
	*len = (size_t)git_blob_rawsize(blob);
	if (!(*data = malloc(*len + 1))) {
		git_blob_free(blob);
		return appctl_error_nomem();
	}
	memcpy(*data, git_blob_rawcontent(blob), *len);
	(*data)[*len] = '\0';
	git_blob_free(blob);
	return NULL;
}

appctl_error *store_read_blob(store_file *out, git_repository *git,
	const char *path, const git_tree_entry *entry)
{
	appctl_error *err = check_blob(out, git, path, entry);

	if (!err && (err = store_blob_bytes(&out->data, &out->len, git,
			     out->id, path)) != NULL) {
		free(out->path);
		memset(out, 0, sizeof(*out));
	}
	return err;
}

/* store_read_required's checks of an app file, its bytes left for later. */
static appctl_error *store_check_required(store_file *out,
	git_repository *git, const git_tree *root, const char *path)
{
	appctl_error *err;
	git_tree_entry *entry = NULL;

	err = store_find_tree_file(&entry, git, root, path);
	if (!err && !entry)
		err = appctl_error_input(path, NULL, "no such file");
	if (!err)
		err = check_blob(out, git, path, entry);
	git_tree_entry_free(entry);
	return err;
}

appctl_error *store_read_required(store_file *out, git_repository *git,
	const git_tree *root, const char *path, const char *why)
{
	appctl_error *err;
	git_tree_entry *entry = NULL;

	err = store_find_tree_file(&entry, git, root, path);
	if (!err && !entry)
		err = appctl_error_input(path, NULL, "no such file%s", why);
	if (!err)
		err = store_read_blob(out, git, path, entry);
	git_tree_entry_free(entry);
	return err;
}

static appctl_error *read_app(store_files *files, git_repository *git,
	const git_tree *root, const git_tree_entry *folder, int checked_only)
{
	appctl_error *err = NULL;
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	const char *name = git_tree_entry_name(folder);
	store_file f;

	appctl_strbuf_printf(&path, "apps/%s", name);
	if (path.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	if (!appctl_name_is_valid(name)) {
		err = appctl_error_input(path.ptr, NULL,
			"invalid app folder name (use [a-z0-9][a-z0-9-]{0,62})");
		goto cleanup;
	}
	if (git_tree_entry_filemode(folder) != GIT_FILEMODE_TREE) {
		err = appctl_error_input(path.ptr, NULL, "is %s, not a folder",
			entry_kind(git_tree_entry_filemode(folder)));
		goto cleanup;
	}
	appctl_strbuf_puts(&path, "/app.json");
	if (path.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = checked_only ? store_check_required(&f, git, root, path.ptr)
		: store_read_required(&f, git, root, path.ptr, "");
	if (err)
		goto cleanup;
	err = store_files_add_app(files, name, f.path, f.data, f.len, f.mode,
		f.id);
cleanup:
	appctl_strbuf_dispose(&path);
	return err;
}

appctl_error *store_read_commit_files(store_files *files, git_repository *git,
	const git_commit *commit, int apps_checked_only,
	const appctl_progress *progress)
{
	appctl_error *err = NULL;
	git_tree *root = NULL, *apps = NULL;
	const git_tree_entry *apps_entry;
	appctl_strbuf why = APPCTL_STRBUF_INIT;
	char *signers = NULL, **scim_paths = NULL;
	appctl_arena *scratch = NULL;
	appctl_policy *where = NULL;
	size_t i, scim_count = 0;

	if (git_commit_tree(&root, commit) < 0) {
		err = store_git_error("cannot read the commit's tree");
		goto cleanup;
	}
	err = store_read_required(&files->policy, git, root, "appctl.json", "");
	if (err)
		goto cleanup;
	/* One scratch parse says where the signers and groups_from files are. */
	err = store_policy_scratch(&where, &scratch, &files->policy);
	if (!err)
		err = store_signers_path_of(&signers, where);
	if (err)
		goto cleanup;
	appctl_strbuf_puts(&why, " (appctl.json names it in \"signers\")");
	err = store_read_required(&files->signers, git, root, signers,
		why.failed ? "" : why.ptr);
	if (err)
		goto cleanup;
	err = store_groups_from_paths_of(&scim_paths, &scim_count, where,
		files->policy.path);
	for (i = 0; !err && i < scim_count; i++) {
		store_file f;

		err = store_read_required(&f, git, root, scim_paths[i],
			" (appctl.json names it in \"groups_from\")");
		if (!err)
			err = store_files_add_groups_from(files, &f);
	}
	if (err)
		goto cleanup;
	/* A repository without apps is valid: it holds only a policy. */
	apps_entry = git_tree_entry_byname(root, "apps");
	if (!apps_entry)
		goto cleanup;
	if (git_tree_entry_filemode(apps_entry) != GIT_FILEMODE_TREE) {
		err = appctl_error_input("apps", NULL, "is %s, not a folder",
			entry_kind(git_tree_entry_filemode(apps_entry)));
		goto cleanup;
	}
	if (git_tree_lookup(&apps, git, git_tree_entry_id(apps_entry)) < 0) {
		err = store_git_error("apps");
		goto cleanup;
	}
	for (i = 0; i < git_tree_entrycount(apps); i++) {
		err = read_app(files, git, root,
			git_tree_entry_byindex(apps, i), apps_checked_only);
		if (err)
			goto cleanup;
		appctl_progress_step(progress, i + 1, git_tree_entrycount(apps));
	}
cleanup:
	store_paths_free(scim_paths, scim_count);
	appctl_arena_free(scratch);
	appctl_strbuf_dispose(&why);
	free(signers);
	git_tree_free(apps);
	git_tree_free(root);
	return err;
}

appctl_error *store_lookup_commit(git_commit **out, git_repository *git,
	const char *commit_hex)
{
	git_oid id;

	*out = NULL;
	if (strlen(commit_hex) != 40 || git_oid_fromstr(&id, commit_hex) < 0)
		return appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not a commit id", commit_hex);
	if (git_commit_lookup(out, git, &id) < 0)
		return store_git_error(commit_hex);
	return NULL;
}

appctl_error *appctl_repo_load_snapshot(appctl_snapshot **out,
	appctl_repo *repo, const char *commit_hex)
{
	return appctl_repo_load_snapshot_progress(out, repo, commit_hex, NULL);
}

/*
 * Both loaders: `cached`, each app's model from the per-blob cache and its
 * blob read only on a miss; else every file read and parsed here.
 */
static appctl_error *load_snapshot(appctl_snapshot **out, appctl_repo *repo,
	const char *commit_hex, int cached, const appctl_progress *progress)
{
	appctl_error *err;
	store_files files = STORE_FILES_INIT;
	git_commit *commit = NULL;

	*out = NULL;
	err = store_lookup_commit(&commit, repo->git, commit_hex);
	if (!err)
		err = store_read_commit_files(&files, repo->git, commit, cached,
			progress);
	if (!err)
		err = cached ? store_files_parse_cached(out, &files, repo)
			: store_files_parse(out, &files);
	store_files_dispose(&files);
	git_commit_free(commit);
	return err;
}

appctl_error *appctl_repo_load_snapshot_progress(appctl_snapshot **out,
	appctl_repo *repo, const char *commit_hex,
	const appctl_progress *progress)
{
	return load_snapshot(out, repo, commit_hex, 0, progress);
}

appctl_error *appctl_repo_load_snapshot_cached(appctl_snapshot **out,
	appctl_repo *repo, const char *commit_hex,
	const appctl_progress *progress)
{
	return load_snapshot(out, repo, commit_hex, 1, progress);
}
