/* listing.c: a commit's app folders by blob id, so that commands parse only the apps they need. */
#include <stdlib.h>
#include <string.h>

#include "appctl/arena.h"
#include "appctl/json.h"
#include "appctl/scim.h"
#include "store_internal.h"

/*
 * The errors of store_find_tree_file name paths relative to the tree it was
 * given; a listing starts below "apps", so the prefix is put back here.
 */
static appctl_error *under_apps(appctl_error *err)
{
	appctl_error *moved;

	if (!err || err->code != APPCTL_EINPUT || !err->file)
		return err;
	moved = appctl_error_input(NULL, err->path, "%s", err->message);
	if (moved != appctl_error_nomem()) {
		appctl_strbuf path = APPCTL_STRBUF_INIT;

		appctl_strbuf_printf(&path, "apps/%s", err->file);
		moved->file = appctl_strbuf_detach(&path);
	}
	appctl_error_free(err);
	return moved;
}

/*
 * The groups of the SCIM files "groups_from" names, merged into the policy
 * exactly as appctl_snapshot_parse_ext merges them: the judge, diff and
 * access read listings, so they see the same groups as a snapshot.
 */
static appctl_error *merge_groups_from(appctl_app_listing *listing,
	git_repository *git, const git_tree *root, const char *policy_path,
	appctl_strbuf *inputs)
{
	appctl_error *err = NULL;
	store_files read = STORE_FILES_INIT;
	appctl_file *files = NULL;
	char **paths = NULL;
	size_t count = 0, i;

	/* The listing's own parse says which files: no second parse. */
	err = store_groups_from_paths_of(&paths, &count, listing->policy,
		policy_path);
	for (i = 0; !err && i < count; i++) {
		store_file f;

		err = store_read_required(&f, git, root, paths[i],
			" (appctl.json names it in \"groups_from\")");
		if (!err) {
			appctl_strbuf_printf(inputs, "%s %s\n", f.path, f.id);
			err = store_files_add_groups_from(&read, &f);
		}
	}
	if (err || !count)
		goto cleanup;
	files = calloc(count, sizeof(*files));
	if (!files) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	for (i = 0; i < count; i++) {
		files[i].path = read.groups_from[i].path;
		files[i].data = read.groups_from[i].data;
		files[i].len = read.groups_from[i].len;
		memcpy(files[i].id, read.groups_from[i].id, sizeof(files[i].id));
	}
	err = appctl_policy_merge_scim(listing->policy, listing->arena, files,
		count);
cleanup:
	free(files);
	store_paths_free(paths, count);
	store_files_dispose(&read);
	return err;
}

/* The policy and the signers file it names, as appctl_snapshot_parse checks them. */
static appctl_error *list_policy(appctl_app_listing *listing,
	git_repository *git, const git_tree *root, const appctl_app_listing *like)
{
	appctl_error *err = NULL;
	store_file policy = { 0 }, signers = { 0 };
	appctl_strbuf inputs = APPCTL_STRBUF_INIT;
	appctl_file file;
	char *signers_path = NULL;
	git_oid key;

	err = store_read_required(&policy, git, root, "appctl.json", "");
	if (err)
		goto cleanup;
	memset(&file, 0, sizeof(file));
	file.path = policy.path;
	file.data = policy.data;
	file.len = policy.len;
	memcpy(file.id, policy.id, sizeof(file.id));
	memcpy(listing->policy_id, policy.id, sizeof(listing->policy_id));
	listing->policy_id[40] = '\0';
	/*
	 * The same blob parses to the same policy: `like` lends its parse.
	 * Not when groups come from other files ("groups_from"): those files
	 * may differ while appctl.json does not.
	 */
	if (like && like->policy && !like->policy->groups_from_count &&
	    listing->policy_id[0] &&
	    strcmp(like->policy_id, listing->policy_id) == 0)
		listing->policy = like->policy;
	else
		err = appctl_policy_parse(&listing->policy, listing->arena, &file);
	if (err)
		goto cleanup;
	/* The parse just made says where the signers are: no second parse. */
	err = store_signers_path_of(&signers_path, listing->policy);
	if (err)
		goto cleanup;
	err = store_read_required(&signers, git, root, signers_path,
		" (appctl.json names it in \"signers\")");
	if (err)
		goto cleanup;
	if (appctl_utf8_invalid_at(signers.data, signers.len)) {
		err = appctl_error_input(signers.path, NULL,
			"not valid UTF-8 text (or contains a NUL byte)");
		goto cleanup;
	}
	listing->signers_text = appctl_arena_strndup(listing->arena,
		signers.data, signers.len);
	listing->signers_len = signers.len;
	if (!listing->signers_text) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	/* Every file the policy was made of, by blob: see policy_key. */
	appctl_strbuf_printf(&inputs, "%s %s\n", policy.path, policy.id);
	err = merge_groups_from(listing, git, root, policy.path, &inputs);
	if (!err && (inputs.failed || git_odb_hash(&key, inputs.ptr,
			inputs.len, GIT_OBJECT_BLOB) < 0))
		err = appctl_error_nomem();
	if (!err)
		git_oid_tostr(listing->policy_key, sizeof(listing->policy_key),
			&key);
cleanup:
	appctl_strbuf_dispose(&inputs);
	free(signers_path);
	store_file_dispose(&signers);
	store_file_dispose(&policy);
	return err;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const appctl_app_entry *)a)->dir,
		((const appctl_app_entry *)b)->dir);
}

/* `like`'s entry for the folder `name` when it is the same tree, or NULL. */
static const appctl_app_entry *same_folder(const appctl_app_listing *like,
	const char *name, const git_oid *tree)
{
	size_t i;
	char id[41];

	if (!like)
		return NULL;
	i = appctl_sorted_lower_bound(like->apps, like->app_count,
		sizeof(*like->apps), name);
	if (i == like->app_count || strcmp(like->apps[i].dir, name) != 0)
		return NULL;
	git_oid_tostr(id, sizeof(id), tree);
	return strcmp(like->apps[i].tree_id, id) == 0 ? &like->apps[i] : NULL;
}

/*
 * Finds apps/<name>/app.json without reading it. A folder that is the
 * same tree in `like` holds the same file, its checks passed: its entry
 * is taken as it is (a group change leaves most folders as they were).
 */
static appctl_error *list_app(appctl_app_entry *out, appctl_arena *arena,
	git_repository *git, const git_tree *apps, const git_tree_entry *folder,
	const appctl_app_listing *like)
{
	appctl_error *err = NULL;
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	git_tree_entry *file = NULL;
	const char *name = git_tree_entry_name(folder);
	const appctl_app_entry *same = same_folder(like, name,
		git_tree_entry_id(folder));

	if (same) {
		*out = *same;
		return NULL;
	}

	if (!appctl_name_is_valid(name)) {
		appctl_strbuf_printf(&path, "apps/%s", name);
		err = path.failed ? appctl_error_nomem()
			: appctl_error_input(path.ptr, NULL,
				"invalid app folder name (use [a-z0-9][a-z0-9-]{0,62})");
		goto cleanup;
	}
	appctl_strbuf_printf(&path, "%s/app.json", name);
	if (path.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	/* Starting below "apps" spares re-reading that (large) tree per app. */
	err = under_apps(store_find_tree_file(&file, git, apps, path.ptr));
	if (err)
		goto cleanup;
	if (!file) {
		err = under_apps(appctl_error_input(path.ptr, NULL, "no such file"));
		goto cleanup;
	}
	out->dir = appctl_arena_strdup(arena, name);
	if (!out->dir) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	git_oid_tostr(out->tree_id, sizeof(out->tree_id), git_tree_entry_id(folder));
	git_oid_tostr(out->blob_id, sizeof(out->blob_id), git_tree_entry_id(file));
cleanup:
	git_tree_entry_free(file);
	appctl_strbuf_dispose(&path);
	return err;
}

static appctl_error *list_folders(appctl_app_listing *listing,
	git_repository *git, const git_tree *root, const appctl_app_listing *like)
{
	appctl_error *err = NULL;
	const git_tree_entry *apps_entry;
	git_tree *apps = NULL;
	size_t i, n;

	/* A repository without apps is valid: it holds only a policy. */
	apps_entry = git_tree_entry_byname(root, "apps");
	if (!apps_entry)
		goto cleanup;
	if (git_tree_entry_filemode(apps_entry) != GIT_FILEMODE_TREE) {
		git_tree_entry *file = NULL;

		/* store_find_tree_file says what the entry is instead. */
		err = store_find_tree_file(&file, git, root, "apps/app.json");
		git_tree_entry_free(file);
		if (!err)
			err = appctl_error_input("apps", NULL, "is not a folder");
		goto cleanup;
	}
	git_oid_tostr(listing->apps_tree_id, sizeof(listing->apps_tree_id),
		git_tree_entry_id(apps_entry));
	/*
	 * The same "apps" tree lists the same folders with the same checks
	 * passed: `like` lends its entries (the folder names stay in its arena,
	 * here and in list_app).
	 */
	if (like && like->apps && strcmp(like->apps_tree_id,
		    listing->apps_tree_id) == 0) {
		listing->apps = appctl_arena_calloc(listing->arena,
			like->app_count ? like->app_count : 1,
			sizeof(*listing->apps));
		if (!listing->apps) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		if (like->app_count)
			memcpy(listing->apps, like->apps,
				like->app_count * sizeof(*listing->apps));
		listing->app_count = like->app_count;
		goto cleanup;
	}
	if (git_tree_lookup(&apps, git, git_tree_entry_id(apps_entry)) < 0) {
		err = store_git_error("apps");
		goto cleanup;
	}
	n = git_tree_entrycount(apps);
	listing->apps = appctl_arena_calloc(listing->arena, n ? n : 1,
		sizeof(*listing->apps));
	if (!listing->apps) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		err = list_app(&listing->apps[i], listing->arena, git, apps,
			git_tree_entry_byindex(apps, i), like);
		if (err)
			goto cleanup;
	}
	listing->app_count = n;
	/* Git orders folders as if named "x/", so "a-b" comes before "a". */
	qsort(listing->apps, n, sizeof(*listing->apps), entry_cmp);
cleanup:
	git_tree_free(apps);
	return err;
}

appctl_error *appctl_repo_commit_tree(char out[41], appctl_repo *repo,
	const char *commit_hex)
{
	git_commit *commit = NULL;
	appctl_error *err = store_lookup_commit(&commit, repo->git, commit_hex);

	if (!err)
		git_oid_tostr(out, 41, git_commit_tree_id(commit));
	git_commit_free(commit);
	return err;
}

appctl_error *appctl_repo_list_apps(appctl_app_listing **out,
	appctl_repo *repo, const char *commit_hex)
{
	return appctl_repo_list_apps_like(out, repo, commit_hex, NULL);
}

appctl_error *appctl_repo_list_apps_like(appctl_app_listing **out,
	appctl_repo *repo, const char *commit_hex,
	const appctl_app_listing *like)
{
	appctl_error *err = NULL;
	appctl_app_listing *listing = NULL;
	git_commit *commit = NULL;
	git_tree *root = NULL;

	*out = NULL;
	listing = calloc(1, sizeof(*listing));
	if (!listing || !(listing->arena = appctl_arena_new())) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = store_lookup_commit(&commit, repo->git, commit_hex);
	if (err)
		goto cleanup;
	if (git_commit_tree(&root, commit) < 0) {
		err = store_git_error("cannot read the commit's tree");
		goto cleanup;
	}
	git_oid_tostr(listing->commit, sizeof(listing->commit),
		git_commit_id(commit));
	err = list_policy(listing, repo->git, root, like);
	if (!err)
		err = list_folders(listing, repo->git, root, like);
	if (err)
		goto cleanup;
	*out = listing;
	listing = NULL;
cleanup:
	appctl_app_listing_free(listing);
	git_tree_free(root);
	git_commit_free(commit);
	return err;
}

void appctl_app_listing_free(appctl_app_listing *listing)
{
	if (!listing)
		return;
	appctl_arena_free(listing->arena);
	free(listing);
}

/* memmem is not POSIX; the needles are short and found early or not at all. */
static int bytes_contain(const char *data, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	const char *p = data, *end = data + len;

	if (n == 0)
		return 1;
	while ((size_t)(end - p) >= n) {
		p = memchr(p, needle[0], (size_t)(end - p) - n + 1);
		if (!p)
			return 0;
		if (memcmp(p, needle, n) == 0)
			return 1;
		p++;
	}
	return 0;
}

static appctl_error *load_app(appctl_app **out, appctl_arena *arena,
	appctl_repo *repo, const char *blob_id, const char *dir,
	const char *const *needles, size_t needle_count, int cached)
{
	appctl_error *err = NULL;
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	git_odb *odb = NULL;
	git_blob *blob = NULL;
	git_object_t type;
	git_oid id;
	appctl_file file;
	size_t len, i;
	const char *data;

	*out = NULL;
	appctl_strbuf_printf(&path, "apps/%s/app.json", dir);
	if (path.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	if (git_oid_fromstr(&id, blob_id) < 0) {
		err = store_git_error(path.ptr);
		goto cleanup;
	}
	if (cached) {
		err = store_cache_load_app(out, arena, repo, blob_id, path.ptr, dir);
		if (err || *out)
			goto cleanup;
	}
	/* The header gives the size without inflating a possibly huge blob. */
	if (git_repository_odb(&odb, repo->git) < 0 ||
	    git_odb_read_header(&len, &type, odb, &id) < 0) {
		err = store_git_error(path.ptr);
		goto cleanup;
	}
	if (type != GIT_OBJECT_BLOB) {
		err = appctl_error_input(path.ptr, NULL, "is not a file");
		goto cleanup;
	}
	if (len > APPCTL_JSON_MAX_BYTES) {
		err = appctl_error_input(path.ptr, NULL,
			"is %zu bytes, over the limit of 16 MiB", len);
		goto cleanup;
	}
	if (git_blob_lookup(&blob, repo->git, &id) < 0) {
		err = store_git_error(path.ptr);
		goto cleanup;
	}
	/* Parsed in place: the blob's buffer lives until the parse is done. */
	data = git_blob_rawcontent(blob);
	len = (size_t)git_blob_rawsize(blob);
	for (i = 0; i < needle_count; i++)
		if (bytes_contain(data, len, needles[i]))
			break;
	if (needle_count && i == needle_count)
		goto cleanup;
	memset(&file, 0, sizeof(file));
	file.path = path.ptr;
	file.data = data;
	file.len = len;
	memcpy(file.id, blob_id, 40);
	file.id[40] = '\0';
	err = appctl_app_parse(out, arena, &file, dir);
	/* Only what parsed is kept: a bad blob says why each time it is read. */
	if (!err && cached)
		store_cache_store_app(repo, *out);
cleanup:
	git_blob_free(blob);
	git_odb_free(odb);
	appctl_strbuf_dispose(&path);
	return err;
}

appctl_error *appctl_repo_load_app(appctl_app **out, appctl_arena *arena,
	appctl_repo *repo, const char *blob_id, const char *dir,
	const char *const *needles, size_t needle_count)
{
	return load_app(out, arena, repo, blob_id, dir, needles, needle_count,
		0);
}

appctl_error *appctl_repo_load_app_cached(appctl_app **out,
	appctl_arena *arena, appctl_repo *repo, const char *blob_id,
	const char *dir, const char *const *needles, size_t needle_count)
{
	return load_app(out, arena, repo, blob_id, dir, needles, needle_count,
		1);
}

appctl_error *appctl_repo_first_parent_commits(appctl_commit_info **out,
	size_t *count, appctl_repo *repo, const char *commit_hex)
{
	appctl_error *err = NULL;
	appctl_commit_info *list = NULL;
	git_commit *commit = NULL, *parent = NULL;
	size_t n = 0, cap = 0, i;

	*out = NULL;
	*count = 0;
	err = store_lookup_commit(&commit, repo->git, commit_hex);
	if (err)
		goto cleanup;
	for (;;) {
		if (n == cap) {
			size_t grown_cap = cap ? cap * 2 : 32;
			appctl_commit_info *grown = realloc(list,
				grown_cap * sizeof(*grown));

			if (!grown) {
				err = appctl_error_nomem();
				goto cleanup;
			}
			list = grown;
			cap = grown_cap;
		}
		git_oid_tostr(list[n].id, sizeof(list[n].id), git_commit_id(commit));
		list[n++].time = (int64_t)git_commit_time(commit);
		if (git_commit_parentcount(commit) == 0)
			break;
		if (git_commit_parent(&parent, commit, 0) < 0) {
			err = store_git_error(list[n - 1].id);
			goto cleanup;
		}
		git_commit_free(commit);
		commit = parent;
		parent = NULL;
	}
	/* Walked newest first; history reads oldest first. */
	for (i = 0; i < n / 2; i++) {
		appctl_commit_info t = list[i];

		list[i] = list[n - 1 - i];
		list[n - 1 - i] = t;
	}
	*out = list;
	*count = n;
	list = NULL;
cleanup:
	free(list);
	git_commit_free(commit);
	return err;
}
