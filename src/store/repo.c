/* repo.c: opening a repository, resolving revisions and reading config through libgit2. */
#include <stdlib.h>
#include <string.h>

#include "appctl/strbuf.h"
#include "store_internal.h"

appctl_error *store_git_error(const char *what)
{
	const git_error *e = git_error_last();

	if (e && e->message && *e->message)
		return appctl_error_new(APPCTL_ESYSTEM, "%s: %s", what,
			e->message);
	return appctl_error_new(APPCTL_ESYSTEM, "%s: unknown git error", what);
}

appctl_error *store_git_error_rc(int rc, const char *what)
{
	appctl_error *err = store_git_error(what);

	if (rc == GIT_ELOCKED && err != appctl_error_nomem())
		err->code = APPCTL_ECONFLICT;
	return err;
}

/* Opens with git_repository_open_ext `flags`; `dir` may be NULL with FROM_ENV. */
static appctl_error *repo_open(appctl_repo **out, const char *dir,
	unsigned flags)
{
	appctl_error *err = NULL;
	appctl_repo *repo = NULL;
	const char *workdir;

	*out = NULL;
	/*
	 * libgit2's global state is reference counted: each handle holds one
	 * reference, so that the last appctl_repo_free releases it.
	 */
	if (git_libgit2_init() < 0)
		return store_git_error("cannot initialize libgit2");
	/* The records are the product: a crash must not lose a written ref. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	repo = calloc(1, sizeof(*repo));
	if (!repo) {
		git_libgit2_shutdown();
		return appctl_error_nomem();
	}
	if (git_repository_open_ext(&repo->git, dir, flags, NULL) < 0) {
		err = store_git_error(dir ? dir : "$GIT_DIR or the current directory");
		goto cleanup;
	}
	workdir = git_repository_workdir(repo->git);
	if (workdir) {
		size_t len = strlen(workdir);

		repo->workdir = malloc(len + 2);
		if (!repo->workdir) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		memcpy(repo->workdir, workdir, len + 1);
		if (len == 0 || workdir[len - 1] != '/') {
			repo->workdir[len] = '/';
			repo->workdir[len + 1] = '\0';
		}
	}
	*out = repo;
	repo = NULL;
cleanup:
	appctl_repo_free(repo);
	return err;
}

appctl_error *appctl_repo_open(appctl_repo **out, const char *dir)
{
	return repo_open(out, dir ? dir : ".", 0);
}

appctl_error *appctl_repo_open_env(appctl_repo **out)
{
	/*
	 * As git itself would: GIT_DIR, and GIT_OBJECT_DIRECTORY plus
	 * GIT_ALTERNATE_OBJECT_DIRECTORIES, which is how a pre-receive hook
	 * sees the pushed objects still in quarantine.
	 */
	return repo_open(out, NULL, GIT_REPOSITORY_OPEN_FROM_ENV);
}

void appctl_repo_free(appctl_repo *repo)
{
	if (!repo)
		return;
	free(repo->workdir);
	git_repository_free(repo->git);
	free(repo);
	git_libgit2_shutdown();
}

int appctl_repo_is_bare(const appctl_repo *repo)
{
	return git_repository_is_bare(repo->git);
}

const char *appctl_repo_workdir(const appctl_repo *repo)
{
	return repo->workdir;
}

appctl_error *store_ref_create_new(git_repository *git, const char *name,
	const git_oid *id, const char *log_message)
{
	git_reference *ref = NULL;
	git_oid zero;
	int rc;

	/*
	 * force=0 alone checks existence before taking the lock, so two writers
	 * could both pass it; the zero expected id is checked again under the
	 * lock, which makes this a real compare-and-swap.
	 */
	memset(&zero, 0, sizeof(zero));
	rc = git_reference_create_matching(&ref, git, name, id, 0, &zero,
		log_message);
	git_reference_free(ref);
	if (rc == GIT_EEXISTS || rc == GIT_EMODIFIED || rc == GIT_ELOCKED)
		return appctl_error_new(APPCTL_ECONFLICT,
			"'%s' was created or is being updated by someone else; "
			"try again",
			name);
	if (rc < 0)
		return store_git_error(name);
	return NULL;
}

appctl_error *store_ref_commit(git_oid *out, int *found, git_repository *git,
	const char *name)
{
	appctl_error *err = NULL;
	git_reference *ref = NULL;
	git_object *commit = NULL;
	int rc;

	*found = 0;
	rc = git_reference_lookup(&ref, git, name);
	if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC)
		goto cleanup;
	if (rc < 0) {
		err = store_git_error(name);
		goto cleanup;
	}
	if (git_reference_peel(&commit, ref, GIT_OBJECT_COMMIT) < 0) {
		err = store_git_error(name);
		goto cleanup;
	}
	git_oid_cpy(out, git_object_id(commit));
	*found = 1;
cleanup:
	git_object_free(commit);
	git_reference_free(ref);
	return err;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/*
 * Maps the appctl spellings of a release ("release/<env>/<N>", "<env>@<N>")
 * to its tag ref; returns NULL (and leaves *name empty) for anything else.
 */
static char *release_ref_name(const char *rev)
{
	appctl_strbuf name = APPCTL_STRBUF_INIT;
	const char *at = strchr(rev, '@');

	if (at && at != rev && all_digits(at + 1)) {
		char env[64];
		size_t len = (size_t)(at - rev);

		if (len >= sizeof(env))
			return NULL;
		memcpy(env, rev, len);
		env[len] = '\0';
		if (!appctl_env_name_is_valid(env))
			return NULL;
		appctl_strbuf_printf(&name, "refs/tags/release/%s/%s", env,
			at + 1);
		return appctl_strbuf_detach(&name);
	}
	if (strncmp(rev, "release/", 8) == 0) {
		appctl_strbuf_printf(&name, "refs/tags/%s", rev);
		return appctl_strbuf_detach(&name);
	}
	return NULL;
}

appctl_error *appctl_repo_resolve(char out[41], appctl_repo *repo,
	const char *rev)
{
	appctl_error *err = NULL;
	appctl_strbuf branch = APPCTL_STRBUF_INIT;
	char *tag = NULL;
	git_object *obj = NULL, *commit = NULL;
	git_oid id;
	int found = 0, rc;

	if (!rev)
		rev = "HEAD";
	/* An environment name means its branch, even if a tag has that name. */
	if (appctl_env_name_is_valid(rev)) {
		appctl_strbuf_printf(&branch, "refs/heads/%s", rev);
		if (branch.failed) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		err = store_ref_commit(&id, &found, repo->git, branch.ptr);
		if (err || found)
			goto done;
	}
	tag = release_ref_name(rev);
	if (tag) {
		err = store_ref_commit(&id, &found, repo->git, tag);
		if (err || found)
			goto done;
		err = appctl_error_new(APPCTL_EUSAGE, "unknown revision '%s'",
			rev);
		goto cleanup;
	}
	rc = git_revparse_single(&obj, repo->git, rev);
	if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC ||
		rc == GIT_EAMBIGUOUS) {
		err = appctl_error_new(APPCTL_EUSAGE, "unknown revision '%s'",
			rev);
		goto cleanup;
	}
	if (rc < 0) {
		err = store_git_error(rev);
		goto cleanup;
	}
	if (git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		err = appctl_error_new(APPCTL_EUSAGE,
			"revision '%s' is not a commit", rev);
		goto cleanup;
	}
	git_oid_cpy(&id, git_object_id(commit));
	found = 1;
done:
	if (!err && found)
		git_oid_tostr(out, 41, &id);
cleanup:
	git_object_free(commit);
	git_object_free(obj);
	free(tag);
	appctl_strbuf_dispose(&branch);
	return err;
}

appctl_error *appctl_repo_config_string(char **out, appctl_repo *repo,
	const char *key)
{
	appctl_error *err = NULL;
	git_config *config = NULL;
	const char *value;
	int rc;

	*out = NULL;
	/* git_config_get_string needs a snapshot so the string stays valid. */
	if (git_repository_config_snapshot(&config, repo->git) < 0) {
		err = store_git_error("cannot read git config");
		goto cleanup;
	}
	rc = git_config_get_string(&value, config, key);
	if (rc == GIT_ENOTFOUND)
		goto cleanup;
	if (rc < 0) {
		err = store_git_error(key);
		goto cleanup;
	}
	*out = strdup(value);
	if (!*out)
		err = appctl_error_nomem();
cleanup:
	git_config_free(config);
	return err;
}
