/* files.c: the set of definition files both loaders fill, and turning it into a snapshot. */
#include <stdlib.h>
#include <string.h>

#include "appctl/arena.h"
#include "store_internal.h"

void store_file_dispose(store_file *f)
{
	free(f->path);
	free(f->data);
	memset(f, 0, sizeof(*f));
}

void store_files_dispose(store_files *files)
{
	size_t i;

	for (i = 0; i < files->app_count; i++) {
		store_file_dispose(&files->apps[i]);
		free(files->dirs[i]);
	}
	free(files->dirs);
	free(files->apps);
	for (i = 0; i < files->groups_from_count; i++)
		store_file_dispose(&files->groups_from[i]);
	free(files->groups_from);
	store_file_dispose(&files->signers);
	store_file_dispose(&files->policy);
	memset(files, 0, sizeof(*files));
}

appctl_error *store_files_add_app(store_files *files, const char *dir,
	char *path, char *data, size_t len, unsigned mode, const char *id)
{
	appctl_error *err = NULL;
	store_file *f;
	char *dir_copy = NULL;

	if (files->app_count == files->app_cap) {
		size_t cap = files->app_cap ? files->app_cap * 2 : 8;
		store_file *apps = realloc(files->apps, cap * sizeof(*apps));
		char **dirs;

		if (!apps) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		files->apps = apps;
		dirs = realloc(files->dirs, cap * sizeof(*dirs));
		if (!dirs) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		files->dirs = dirs;
		files->app_cap = cap;
	}
	dir_copy = strdup(dir);
	if (!dir_copy) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	f = &files->apps[files->app_count];
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->data = data;
	f->len = len;
	f->mode = mode;
	if (id)
		memcpy(f->id, id, 41);
	files->dirs[files->app_count++] = dir_copy;
	return NULL;
cleanup:
	free(data);
	free(path);
	return err;
}

/*
 * The signers path comes from untrusted input and is joined to a directory
 * by the working-tree loader: it must name a file inside the repository.
 */
static int repo_path_is_safe(const char *path)
{
	const char *p = path, *slash;
	size_t len;

	if (!*path || *path == '/')
		return 0;
	for (;;) {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.') ||
			(len == 2 && p[0] == '.' && p[1] == '.') ||
			(len == 4 && strncmp(p, ".git", 4) == 0))
			return 0;
		if (memchr(p, '\\', len))
			return 0;
		if (!slash)
			return 1;
		p = slash + 1;
	}
}

appctl_error *store_signers_path_of(char **out, const appctl_policy *parsed)
{
	const char *path = parsed->signers ? parsed->signers : "allowed_signers";

	*out = NULL;
	if (!repo_path_is_safe(path))
		return appctl_error_input(parsed->file, "$.signers",
			"'%s' is not a file path inside the repository", path);
	*out = strdup(path);
	return *out ? NULL : appctl_error_nomem();
}

appctl_error *store_policy_scratch(appctl_policy **out, appctl_arena **arena,
	const store_file *policy)
{
	appctl_error *err;
	appctl_file file;

	*out = NULL;
	*arena = appctl_arena_new();
	if (!*arena)
		return appctl_error_nomem();
	memset(&file, 0, sizeof(file));
	file.path = policy->path;
	file.data = policy->data;
	file.len = policy->len;
	memcpy(file.id, policy->id, sizeof(file.id));
	err = appctl_policy_parse(out, *arena, &file);
	return err;
}

appctl_error *store_groups_from_paths_of(char ***out, size_t *count,
	const appctl_policy *parsed, const char *policy_path)
{
	appctl_error *err = NULL;
	char **paths = NULL;
	size_t i, n = 0;

	*out = NULL;
	*count = 0;
	if (!parsed->groups_from_count)
		return NULL;
	paths = calloc(parsed->groups_from_count, sizeof(*paths));
	if (!paths)
		return appctl_error_nomem();
	for (i = 0; i < parsed->groups_from_count; i++) {
		const char *p = parsed->groups_from[i];

		if (!repo_path_is_safe(p)) {
			err = appctl_error_input(policy_path, "$.groups_from",
				"'%s' is not a file path inside the repository", p);
			break;
		}
		paths[n] = strdup(p);
		if (!paths[n]) {
			err = appctl_error_nomem();
			break;
		}
		n++;
	}
	if (err) {
		store_paths_free(paths, n);
		return err;
	}
	*out = paths;
	*count = n;
	return NULL;
}

void store_paths_free(char **paths, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(paths[i]);
	free(paths);
}

appctl_error *store_files_add_groups_from(store_files *files, store_file *f)
{
	store_file *grown = realloc(files->groups_from,
		(files->groups_from_count + 1) * sizeof(*grown));

	if (!grown) {
		store_file_dispose(f);
		return appctl_error_nomem();
	}
	files->groups_from = grown;
	grown[files->groups_from_count++] = *f;
	memset(f, 0, sizeof(*f));
	return NULL;
}

static void to_appctl_file(appctl_file *out, const store_file *f)
{
	memset(out, 0, sizeof(*out));
	out->path = f->path;
	out->data = f->data;
	out->len = f->len;
	memcpy(out->id, f->id, sizeof(out->id));
}

/*
 * An app of a commit: its blob's model from the per-blob cache, or parsed
 * and then kept there (only what parsed: a bad file says why every time).
 */
static appctl_error *cached_app(appctl_app **out, appctl_arena *arena,
	const appctl_file *file, const char *dir, void *ctx)
{
	appctl_repo *repo = ctx;
	appctl_error *err = store_cache_load_app(out, arena, repo, file->id,
		file->path, dir);
	appctl_file read = *file;
	char *bytes = NULL;

	if (err || *out)
		return err;
	/* A miss: the blob's bytes, if they were left unread. */
	if (!file->data) {
		if ((err = store_blob_bytes(&bytes, &read.len, repo->git,
			     file->id, file->path)))
			return err;
		read.data = bytes;
	}
	err = appctl_app_parse(out, arena, &read, dir);
	free(bytes);
	if (!err)
		store_cache_store_app(repo, *out);
	return err;
}

static appctl_error *files_parse(appctl_snapshot **out,
	const store_files *files, appctl_repo *repo)
{
	appctl_error *err = NULL;
	appctl_file policy, signers, *apps = NULL, *scim = NULL;
	size_t i;

	*out = NULL;
	if (files->app_count) {
		apps = calloc(files->app_count, sizeof(*apps));
		if (!apps) {
			err = appctl_error_nomem();
			goto cleanup;
		}
	}
	for (i = 0; i < files->app_count; i++)
		to_appctl_file(&apps[i], &files->apps[i]);
	if (files->groups_from_count) {
		scim = calloc(files->groups_from_count, sizeof(*scim));
		if (!scim) {
			err = appctl_error_nomem();
			goto cleanup;
		}
	}
	for (i = 0; i < files->groups_from_count; i++)
		to_appctl_file(&scim[i], &files->groups_from[i]);
	to_appctl_file(&policy, &files->policy);
	to_appctl_file(&signers, &files->signers);
	err = repo ? appctl_snapshot_parse_with(out, &policy,
		files->signers.path ? &signers : NULL, scim,
		files->groups_from_count, apps,
		(const char *const *)files->dirs, files->app_count,
		cached_app, repo)
		: appctl_snapshot_parse_ext(out, &policy,
		files->signers.path ? &signers : NULL, scim,
		files->groups_from_count, apps,
		(const char *const *)files->dirs, files->app_count);
cleanup:
	free(scim);
	free(apps);
	return err;
}

appctl_error *store_files_parse(appctl_snapshot **out, const store_files *files)
{
	return files_parse(out, files, NULL);
}

appctl_error *store_files_parse_cached(appctl_snapshot **out,
	const store_files *files, appctl_repo *repo)
{
	return files_parse(out, files, repo);
}
