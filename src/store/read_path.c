/* read_path.c: one file of a commit, for pointing findings at lines. */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

appctl_error *appctl_repo_read_path(char **out, size_t *len,
	appctl_repo *repo, const char *commit_hex, const char *path)
{
	store_file file = { NULL, NULL, 0, 0, "" };
	git_tree_entry *entry = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	appctl_error *err;

	*out = NULL;
	*len = 0;
	err = store_lookup_commit(&commit, repo->git, commit_hex);
	if (err)
		goto done;
	if (git_commit_tree(&tree, commit) < 0) {
		err = store_git_error(commit_hex);
		goto done;
	}
	/* Whatever cannot be read as a definition has no line to point at. */
	err = store_find_tree_file(&entry, repo->git, tree, path);
	if (err || !entry) {
		appctl_error_free(err);
		err = NULL;
		goto done;
	}
	err = store_read_blob(&file, repo->git, path, entry);
	if (err) {
		appctl_error_free(err);
		err = NULL;
		goto done;
	}
	*out = file.data;
	*len = file.len;
	file.data = NULL;
done:
	free(file.path);
	free(file.data);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
	return err;
}
