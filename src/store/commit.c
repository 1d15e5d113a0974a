/* commit.c: an ordinary commit of changed definition files onto a branch, moved by compare-and-swap. */
#include <stdlib.h>
#include <string.h>

#include "appctl/strbuf.h"
#include "store_internal.h"

/*
 * When the branch is checked out, brings the index and working files of
 * the changed paths along (a safe checkout with the old tree as baseline:
 * files the user has edited are left alone and named in *note).
 */
static void follow_in_worktree(git_repository *git, const char *ref_name,
	const git_tree *old_tree, const git_tree *new_tree, char **note)
{
	git_reference *head = NULL;
	git_checkout_options opts;

	*note = NULL;
	if (git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION) < 0)
		return;
	if (git_repository_is_bare(git) ||
	    git_repository_head(&head, git) < 0)
		return;
	if (strcmp(git_reference_name(head), ref_name) == 0) {
		opts.checkout_strategy = GIT_CHECKOUT_SAFE;
		opts.baseline = (git_tree *)old_tree;
		if (git_checkout_tree(git, (const git_object *)new_tree, &opts) < 0) {
			const git_error *e = git_error_last();

			*note = appctl_str_printf("the working tree was not "
				"updated (%s); run 'git checkout -- .' or "
				"'git stash' then 'git reset --keep HEAD'",
				e && e->message ? e->message : "local changes");
		}
	}
	git_reference_free(head);
}

appctl_error *appctl_repo_commit_files(char out[41], char **note,
	appctl_repo *repo, const char *branch, const char *expected,
	const appctl_file_update *files, size_t count, const char *message)
{
	appctl_error *err = NULL;
	git_repository *git = repo->git;
	git_commit *parent = NULL;
	git_tree *old_tree = NULL, *new_tree = NULL;
	git_index *index = NULL;
	git_signature *who = NULL;
	git_oid tree_id, commit_id, expected_id;
	appctl_strbuf ref_name = APPCTL_STRBUF_INIT;
	size_t i;
	int rc;

	out[0] = '\0';
	*note = NULL;
	appctl_strbuf_printf(&ref_name, "refs/heads/%s", branch);
	if (ref_name.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = store_lookup_commit(&parent, git, expected);
	if (err)
		goto cleanup;
	git_oid_cpy(&expected_id, git_commit_id(parent));
	if (git_commit_tree(&old_tree, parent) < 0 ||
	    git_index_new(&index) < 0 ||
	    git_index_read_tree(index, old_tree) < 0) {
		err = store_git_error("cannot read the commit's tree");
		goto cleanup;
	}
	for (i = 0; i < count; i++) {
		git_index_entry entry;
		const git_index_entry *old = git_index_get_bypath(index,
			files[i].path, 0);

		memset(&entry, 0, sizeof(entry));
		if (git_blob_create_from_buffer(&entry.id, git, files[i].data,
			    files[i].len) < 0) {
			err = store_git_error(files[i].path);
			goto cleanup;
		}
		entry.mode = old ? old->mode : GIT_FILEMODE_BLOB;
		entry.path = files[i].path;
		if (git_index_add(index, &entry) < 0) {
			err = store_git_error(files[i].path);
			goto cleanup;
		}
	}
	if (git_index_write_tree_to(&tree_id, index, git) < 0 ||
	    git_tree_lookup(&new_tree, git, &tree_id) < 0) {
		err = store_git_error("cannot write the new tree");
		goto cleanup;
	}
	/* An ordinary change: the author is whoever git says the user is. */
	if (git_signature_default(&who, git) < 0) {
		err = appctl_error_new(APPCTL_ESYSTEM, "no identity to commit "
			"with: set git config user.name and user.email");
		goto cleanup;
	}
	if (git_commit_create(&commit_id, git, NULL, who, who, NULL, message,
		    new_tree, 1, (const git_commit **)&parent) < 0) {
		err = store_git_error("cannot write the commit");
		goto cleanup;
	}
	rc = store_ref_swap(git, ref_name.ptr, &commit_id, &expected_id, message);
	if (rc == GIT_EMODIFIED || rc == GIT_ELOCKED || rc == GIT_EEXISTS) {
		err = appctl_error_new(APPCTL_ECONFLICT, "%s moved while the "
			"change was prepared; nothing was changed, retry", branch);
		goto cleanup;
	}
	if (rc < 0) {
		err = store_git_error_rc(rc, ref_name.ptr);
		goto cleanup;
	}
	git_oid_tostr(out, 41, &commit_id);
	follow_in_worktree(git, ref_name.ptr, old_tree, new_tree, note);
cleanup:
	git_signature_free(who);
	git_index_free(index);
	git_tree_free(new_tree);
	git_tree_free(old_tree);
	git_commit_free(parent);
	appctl_strbuf_dispose(&ref_name);
	return err;
}
