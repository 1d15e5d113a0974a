/* init.c: `appctl init`: the first commit, the log's init event, release 0 and the environment branches. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appctl/approvable.h"
#include "appctl/clock.h"
#include "appctl/event.h"
#include "appctl/strbuf.h"
#include "store_internal.h"

#define LOG_REF "refs/appctl/log"

/* "refs/tags/release/" + a 63-byte environment name + "/0" and then some. */
#define REF_NAME_MAX 128

typedef struct init_ctx {
	appctl_repo *repo;
	git_repository *git;
	const char *principal;
	const char *now;
	const appctl_init_options *opts;
	appctl_init_result *result;
	appctl_strbuf report;
	int created_any;
	int starter;        /* the first commit holds the starter files */
} init_ctx;

static appctl_error *list_add(char ***items, size_t *count, const char *s)
{
	char **grown = realloc(*items, (*count + 1) * sizeof(**items));

	if (!grown)
		return appctl_error_nomem();
	*items = grown;
	grown[*count] = strdup(s);
	if (!grown[*count])
		return appctl_error_nomem();
	(*count)++;
	return NULL;
}

static void list_free(char **items, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(items[i]);
	free(items);
}

void appctl_init_result_free(appctl_init_result *result)
{
	if (!result)
		return;
	free(result->report);
	list_free(result->warnings, result->warning_count);
	list_free(result->files, result->file_count);
	list_free(result->created, result->created_count);
	list_free(result->environments, result->environment_count);
	free(result);
}

static void short_id(char out[8], const git_oid *id)
{
	git_oid_tostr(out, 8, id);
}

/* Records that `ref` was created, for the report and for --json. */
static appctl_error *note_created(init_ctx *ctx, const char *ref)
{
	ctx->created_any = 1;
	return list_add(&ctx->result->created, &ctx->result->created_count,
		ref);
}

/*
 * The author of appctl's own commits: the user's git identity, else the
 * principal, so that init works before user.name is set.
 */
static appctl_error *make_signature(git_signature **out, init_ctx *ctx)
{
	if (git_signature_default(out, ctx->git) == 0)
		return NULL;
	git_error_clear();
	if (git_signature_now(out, ctx->principal, ctx->principal) < 0)
		return store_git_error("cannot make a commit signature");
	return NULL;
}

/*
 * Creates `name` at `id` unless it exists. Someone else creating it at the
 * same commit meanwhile is agreement, not a conflict. *created says whether
 * this call made it.
 */
static appctl_error *create_ref(int *created, init_ctx *ctx, const char *name,
	const git_oid *id, const char *log_message)
{
	appctl_error *err, *lookup;
	git_oid now;
	int found;

	*created = 0;
	err = store_ref_create_new(ctx->git, name, id, log_message);
	if (!err) {
		*created = 1;
		return note_created(ctx, name);
	}
	if (err->code != APPCTL_ECONFLICT)
		return err;
	lookup = store_ref_commit(&now, &found, ctx->git, name);
	if (!lookup && found && git_oid_equal(&now, id)) {
		appctl_error_free(err);
		return NULL;
	}
	appctl_error_free(lookup);
	return err;
}

/* ---- reading the log ---- */

/*
 * Finds the root of refs/appctl/log and parses its event, which must be the
 * init event. *out stays NULL when there is no log yet.
 */
static appctl_error *read_log_init(appctl_init_event **out, git_repository *git)
{
	appctl_error *err = NULL;
	git_commit *commit = NULL, *parent = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	appctl_strbuf name = APPCTL_STRBUF_INIT;
	store_file file;
	char root[8];
	git_oid id;
	int rc;

	*out = NULL;
	memset(&file, 0, sizeof(file));
	rc = git_reference_name_to_id(&id, git, LOG_REF);
	if (rc == GIT_ENOTFOUND)
		goto cleanup;
	if (rc < 0 || git_commit_lookup(&commit, git, &id) < 0) {
		err = store_git_error(LOG_REF);
		goto cleanup;
	}
	/* Every later event is appended on top, so the init event is the root. */
	while (git_commit_parentcount(commit) > 0) {
		if (git_commit_parent(&parent, commit, 0) < 0) {
			err = store_git_error(LOG_REF);
			goto cleanup;
		}
		git_commit_free(commit);
		commit = parent;
		parent = NULL;
	}
	short_id(root, git_commit_id(commit));
	/* Named the way `git show` takes it, so the user can look at it. */
	appctl_strbuf_printf(&name, "%s:event.json", root);
	if (name.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	if (git_commit_tree(&tree, commit) < 0) {
		err = store_git_error(LOG_REF);
		goto cleanup;
	}
	err = store_find_tree_file(&entry, git, tree, "event.json");
	if (err)
		goto cleanup;
	if (!entry) {
		err = appctl_error_input(name.ptr, NULL,
			"the first event of %s has no event.json", LOG_REF);
		goto cleanup;
	}
	err = store_read_blob(&file, git, name.ptr, entry);
	if (err)
		goto cleanup;
	err = appctl_init_event_parse(out, name.ptr, file.data, file.len);
cleanup:
	store_file_dispose(&file);
	appctl_strbuf_dispose(&name);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(parent);
	git_commit_free(commit);
	return err;
}

/* ---- rolling forward from the init event ---- */

static int parse_release_number(const char *s, long *out)
{
	long n = 0;
	size_t i;

	/* Canonical decimal only: "07" is not release 7. */
	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 9)
		return 0;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		n = n * 10 + (s[i] - '0');
	}
	*out = n;
	return 1;
}

/*
 * The commit of the newest release of `env` (highest N among the
 * release/<env>/N tags): where a missing environment branch belongs once
 * releases after 0 exist. *found is 0 when there is no release tag.
 */
static appctl_error *latest_release(git_oid *out, int *found,
	git_repository *git, const char *env)
{
	appctl_error *err = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_object *commit = NULL;
	char glob[REF_NAME_MAX];
	size_t prefix;
	long best = -1, n;
	int rc;

	*found = 0;
	snprintf(glob, sizeof(glob), "refs/tags/release/%s/*", env);
	prefix = strlen(glob) - 1;
	if (git_reference_iterator_glob_new(&it, git, glob) < 0) {
		err = store_git_error(glob);
		goto cleanup;
	}
	while ((rc = git_reference_next(&ref, it)) == 0) {
		const char *number = git_reference_name(ref) + prefix;

		if (parse_release_number(number, &n) && n > best &&
			!git_reference_peel(&commit, ref, GIT_OBJECT_COMMIT)) {
			best = n;
			git_oid_cpy(out, git_object_id(commit));
			git_object_free(commit);
			commit = NULL;
		}
		git_reference_free(ref);
		ref = NULL;
	}
	if (rc != GIT_ITEROVER) {
		err = store_git_error(glob);
		goto cleanup;
	}
	git_error_clear();
	*found = best >= 0;
cleanup:
	git_reference_iterator_free(it);
	return err;
}

/*
 * Checks that the refs which exist agree with the init event: a release tag
 * is immutable, so it must name the recorded commit; a branch may have moved
 * on, but never away from its release 0. `recorder` names where release 0 is
 * recorded, for the messages.
 */
static appctl_error *check_refs_agree(init_ctx *ctx,
	const appctl_init_event *ev, const char *recorder)
{
	appctl_error *err = NULL;
	git_commit *commit = NULL;
	char name[REF_NAME_MAX], at[8], want[8];
	git_oid release, current;
	size_t i;
	int found, contains;

	for (i = 0; i < ev->environment_count; i++) {
		const char *env = ev->environments[i];

		if (git_oid_fromstr(&release, ev->releases[i]) < 0) {
			err = store_git_error(ev->releases[i]);
			goto cleanup;
		}
		short_id(want, &release);
		if (git_commit_lookup(&commit, ctx->git, &release) < 0) {
			err = appctl_error_new(APPCTL_ESYSTEM,
				"commit %s, release 0 of '%s' in the log, is not in this "
				"repository; fetch it first",
				ev->releases[i], env);
			goto cleanup;
		}
		git_commit_free(commit);
		commit = NULL;
		snprintf(name, sizeof(name), "refs/tags/release/%s/0", env);
		err = store_ref_commit(&current, &found, ctx->git, name);
		if (err)
			goto cleanup;
		if (found && !git_oid_equal(&current, &release)) {
			short_id(at, &current);
			err = appctl_error_new(APPCTL_ECONFLICT,
				"tag 'release/%s/0' is at %s, but release 0 of '%s' is %s "
				"in %s",
				env, at, env, want, recorder);
			goto cleanup;
		}
		snprintf(name, sizeof(name), "refs/heads/%s", env);
		err = store_ref_commit(&current, &found, ctx->git, name);
		if (err)
			goto cleanup;
		contains = !found || git_oid_equal(&current, &release) ||
			git_graph_descendant_of(ctx->git, &current, &release) ==
				1;
		if (!contains) {
			short_id(at, &current);
			err = appctl_error_new(APPCTL_ECONFLICT,
				"branch '%s' is at %s, which does not contain %s, release "
				"0 of '%s' in %s",
				env, at, want, env, recorder);
			goto cleanup;
		}
	}
cleanup:
	git_commit_free(commit);
	return err;
}

/*
 * Creates what the init event names and the repository lacks: first the
 * release tags (immutable, so any missing one is exactly the recorded
 * commit), then the branches. Everything is checked before anything is
 * created, so a disagreement changes nothing.
 */
static appctl_error *roll_forward(init_ctx *ctx, const appctl_init_event *ev)
{
	appctl_error *err;
	char name[REF_NAME_MAX], at[8];
	git_oid release, target;
	size_t i;
	int created, found;

	err = check_refs_agree(ctx, ev, "the log");
	if (err)
		return err;
	for (i = 0; i < ev->environment_count; i++) {
		if (git_oid_fromstr(&release, ev->releases[i]) < 0)
			return store_git_error(ev->releases[i]);
		snprintf(name, sizeof(name), "refs/tags/release/%s/0",
			ev->environments[i]);
		err = create_ref(&created, ctx, name, &release,
			"appctl init: release 0");
		if (err)
			return err;
		if (created)
			appctl_strbuf_printf(&ctx->report,
				"tagged release/%s/0\n", ev->environments[i]);
	}
	for (i = 0; i < ev->environment_count; i++) {
		snprintf(name, sizeof(name), "refs/heads/%s",
			ev->environments[i]);
		err = store_ref_commit(&target, &found, ctx->git, name);
		if (err)
			return err;
		if (found)
			continue;
		err = latest_release(&target, &found, ctx->git,
			ev->environments[i]);
		if (err)
			return err;
		if (!found && git_oid_fromstr(&target, ev->releases[i]) < 0)
			return store_git_error(ev->releases[i]);
		err = create_ref(&created, ctx, name, &target,
			"appctl init: environment branch");
		if (err)
			return err;
		if (created) {
			short_id(at, &target);
			appctl_strbuf_printf(&ctx->report,
				"created branch %s at %s\n",
				ev->environments[i], at);
		}
	}
	return NULL;
}

/* ---- the first approvers ---- */

/*
 * Why an empty repository gets no starter policy without a key: its
 * release 0 would judge every later promotion, and with no key in it
 * nobody could ever approve past it.
 */
static appctl_error *no_signer_error(const appctl_init_options *opts)
{
	return appctl_error_new(APPCTL_EUSAGE,
		"no approver key%s%s%s: the starter policy needs the SSH public key "
		"of at least one approver, or nobody could ever approve a release; "
		"run 'appctl init --signer you@example.com=~/.ssh/id_ed25519.pub' "
		"(once per approver; two let changes get the approvals of "
		"someone other than their author), or set 'git config "
		"user.signingkey ~/.ssh/id_ed25519.pub' and user.email",
		opts->no_signer_reason ? " (" : "",
		opts->no_signer_reason ? opts->no_signer_reason : "",
		opts->no_signer_reason ? ")" : "");
}

/* Whether `text` holds the `len` bytes at `needle` (memmem is not POSIX). */
static int contains_bytes(const char *text, const char *needle, size_t len)
{
	for (; *text; text++)
		if (*text == *needle && strncmp(text, needle, len) == 0)
			return 1;
	return 0;
}

/*
 * --signer only shapes a starter policy; an existing policy keeps its own
 * keys. Naming keys it already holds is harmless (a repeated or concurrent
 * `init --signer` finds the starter another one committed); naming one it
 * lacks would silently not happen, so it is refused.
 */
static appctl_error *check_signers_present(init_ctx *ctx,
	const appctl_snapshot *snap)
{
	const char *text = snap->signers_text ? snap->signers_text : "";
	const appctl_init_signer *s;
	size_t i, keylen;

	for (i = 0; i < ctx->opts->signer_count; i++) {
		s = &ctx->opts->signers[i];
		/* "KEYTYPE BASE64": the comment is not part of the key. */
		keylen = strcspn(s->key, " ");
		keylen += s->key[keylen] ? 1 + strcspn(s->key + keylen + 1, " ")
					 : 0;
		if (strstr(text, s->principal) && keylen &&
			contains_bytes(text, s->key, keylen))
			continue;
		return appctl_error_new(APPCTL_EUSAGE,
			"--signer writes the starter policy of an empty repository, "
			"but this one has its own appctl.json and %s lacks the key of "
			"%s; add it there (PRINCIPAL namespaces=\"appctl\" KEY) with "
			"the principal in approvals.approvers, commit, and run "
			"'appctl init' without --signer",
			snap->policy->signers ? snap->policy->signers
					      : "allowed_signers",
			s->principal);
	}
	return NULL;
}

static appctl_error *add_warning(init_ctx *ctx, appctl_strbuf *b)
{
	appctl_error *err;

	if (b->failed)
		return appctl_error_nomem();
	err = list_add(&ctx->result->warnings, &ctx->result->warning_count,
		b->ptr);
	appctl_strbuf_dispose(b);
	return err;
}

/*
 * Whether release 0's policy can ever be met: a protected environment
 * nobody with a key may approve can never move by a normal promotion
 * again, so say so loudly now, pointing at the recovery. (Refusing would
 * reject a valid policy that SPEC §1 has init record as it is.)
 */
static appctl_error *check_approvable(init_ctx *ctx, const appctl_snapshot *snap)
{
	appctl_error *err;
	appctl_approvability a = APPCTL_APPROVABILITY_INIT;
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const appctl_policy *p = snap->policy;
	size_t i;

	if (p->environment_count < 2)
		return NULL;
	err = appctl_policy_approvability_text(&a, p, snap->signers_text,
		snap->signers_len, appctl_clock_now());
	for (i = 0; !err && i < a.missing_count; i++) {
		appctl_strbuf_printf(&b,
			"%s a promotion into %s%s: %s; release 0 "
			"judges every promotion into them, so this needs the "
			"recovery in 'appctl help init' (RECOVERY); next time commit "
			"the approvers' keys to %s (PRINCIPAL namespaces=\"appctl\" "
			"KEY) before running init",
			a.keyed ? "not every change can get the approvals of"
				: "nobody can ever approve",
			p->environments[1], p->environment_count > 2 ? " and later" : "",
			a.missing[i], p->signers ? p->signers : "allowed_signers");
		err = add_warning(ctx, &b);
	}
	appctl_approvability_dispose(&a);
	return err;
}

/* HEAD on a branch that is no environment: builders would commit where nothing promotes from. */
static appctl_error *check_head_branch(init_ctx *ctx,
	const appctl_init_event *ev)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	git_reference *head = NULL;
	const char *name;
	size_t i;
	int rc;

	rc = git_reference_lookup(&head, ctx->git, "HEAD");
	if (rc < 0 || git_reference_type(head) != GIT_REFERENCE_SYMBOLIC ||
		git_repository_is_bare(ctx->git) || ev->environment_count == 0) {
		git_error_clear();
		git_reference_free(head);
		return NULL;
	}
	name = git_reference_symbolic_target(head);
	if (strncmp(name, "refs/heads/", 11) == 0) {
		for (i = 0; i < ev->environment_count; i++)
			if (strcmp(name + 11, ev->environments[i]) == 0)
				break;
		if (i == ev->environment_count)
			appctl_strbuf_printf(&b,
				"HEAD is on '%s', which is not an environment; builders "
				"commit on '%s' (the environments are branches): run "
				"'git checkout %s'",
				name + 11, ev->environments[0], ev->environments[0]);
	}
	git_reference_free(head);
	return b.len || b.failed ? add_warning(ctx, &b) : NULL;
}

/* ---- the first commit of an empty repository ---- */

/* The files of the first commit when the working tree has no appctl.json. */
static appctl_error *starter_files(store_files *files,
	const appctl_init_options *opts)
{
	appctl_error *err;
	char *path, *data;
	size_t len;

	files->policy.path = strdup("appctl.json");
	files->signers.path = strdup("allowed_signers");
	err = store_starter_build(&files->policy.data, &files->signers.data,
		opts->signers, opts->signer_count);
	if (err)
		return err;
	if (!files->policy.path || !files->policy.data ||
		!files->signers.path || !files->signers.data)
		return appctl_error_nomem();
	files->policy.len = strlen(files->policy.data);
	files->policy.mode = STORE_MODE_FILE;
	files->signers.len = strlen(files->signers.data);
	files->signers.mode = STORE_MODE_FILE;
	len = strlen("apps//app.json") + strlen(store_starter_app_dir) + 1;
	path = malloc(len);
	data = strdup(store_starter_app);
	if (path)
		snprintf(path, len, "apps/%s/app.json", store_starter_app_dir);
	if (!path || !data) {
		free(path);
		free(data);
		return appctl_error_nomem();
	}
	err = store_files_add_app(files, store_starter_app_dir, path, data,
		strlen(data), STORE_MODE_FILE, NULL);
	return err;
}

/*
 * File `i` of the set, in commit order: the policy, the signers file, the
 * apps, then the group exports "groups_from" names. There are file_count.
 */
static store_file *file_at(store_files *files, size_t i)
{
	if (i == 0)
		return &files->policy;
	if (i == 1)
		return &files->signers;
	if (i < 2 + files->app_count)
		return &files->apps[i - 2];
	return &files->groups_from[i - 2 - files->app_count];
}

/* Every file the snapshot was validated from is committed with it. */
static size_t file_count(const store_files *files)
{
	return 2 + files->app_count + files->groups_from_count;
}

/* What was written into the working tree, so a failure can take it back. */
typedef struct written {
	char **paths; /* absolute; files and the folders made for them */
	size_t count;
} written;

static void written_undo(written *w)
{
	size_t i = w->count;

	/* Reverse order: files before the folders that hold them. */
	while (i-- > 0)
		if (unlink(w->paths[i]) < 0)
			rmdir(w->paths[i]);
	list_free(w->paths, w->count);
	w->paths = NULL;
	w->count = 0;
}

/* True when the file at `path` holds exactly `len` bytes of `data`. */
static int file_has_content(const char *path, const char *data, size_t len)
{
	char buf[4096];
	size_t seen = 0;
	ssize_t n;
	int fd, same = 1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (same && (n = read(fd, buf, sizeof(buf))) > 0) {
		if ((size_t)n > len - seen ||
			memcmp(buf, data + seen, (size_t)n) != 0)
			same = 0;
		else
			seen += (size_t)n;
	}
	close(fd);
	return same && seen == len;
}

/* Writes all of `data` to `fd`; 0 or an errno value. */
static int write_all(int fd, const char *data, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		done += (size_t)n;
	}
	return 0;
}

/* Creates `path` holding `f`'s bytes unless it exists; -1 with errno on failure. */
static int write_new_file_direct(const char *path, const store_file *f)
{
	int fd, errnum;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		0666);
	if (fd < 0)
		return -1;
	errnum = write_all(fd, f->data, f->len);
	if (close(fd) < 0 && !errnum)
		errnum = errno;
	if (errnum) {
		unlink(path);
		errno = errnum;
		return -1;
	}
	return 0;
}

/*
 * Creates the folders on the way to `full` (below its first `base` bytes),
 * recording the ones it made.
 * A link or file where a folder belongs is an input error.
 */
static appctl_error *make_folders(written *w, appctl_strbuf *full, size_t base)
{
	appctl_error *err = NULL;
	struct stat st;
	char *slash;

	for (slash = strchr(full->ptr + base, '/'); slash;
		slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(full->ptr, 0777) == 0)
			err = list_add(&w->paths, &w->count, full->ptr);
		else if (errno != EEXIST)
			err = appctl_error_new(APPCTL_ESYSTEM, "%s: %s",
				full->ptr + base, strerror(errno));
		else if (lstat(full->ptr, &st) < 0 || !S_ISDIR(st.st_mode))
			err = appctl_error_input(full->ptr + base, NULL,
				"is not a folder; init does not replace it");
		*slash = '/';
		if (err)
			break;
	}
	return err;
}

/*
 * Writes `f` below `workdir` without ever replacing anything. The file
 * appears whole (written aside, then hard-linked into place, which fails
 * rather than replaces), so a concurrent init never reads half of it. A file
 * already there with the same bytes is accepted (another init wrote it);
 * with other bytes it is an input error naming it.
 */
static appctl_error *write_new_file(written *w, const char *workdir,
	const store_file *f)
{
	appctl_error *err = NULL;
	appctl_strbuf full = APPCTL_STRBUF_INIT, tmp = APPCTL_STRBUF_INIT;
	const char *slash;
	size_t base;
	int fd = -1, errnum, rc;

	appctl_strbuf_puts(&full, workdir);
	base = full.len;
	appctl_strbuf_puts(&full, f->path);
	slash = strrchr(f->path, '/');
	appctl_strbuf_add(&tmp, full.ptr,
		base + (slash ? (size_t)(slash - f->path) + 1 : 0));
	appctl_strbuf_printf(&tmp, ".%s.appctl-%ld",
		slash ? slash + 1 : f->path, (long)getpid());
	if (full.failed || tmp.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = make_folders(w, &full, base);
	if (err)
		goto cleanup;
	fd = open(tmp.ptr,
		O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd < 0) {
		err = appctl_error_new(APPCTL_ESYSTEM, "%s: %s", tmp.ptr + base,
			strerror(errno));
		goto cleanup;
	}
	errnum = write_all(fd, f->data, f->len);
	if (close(fd) < 0 && !errnum)
		errnum = errno;
	fd = -1;
	if (errnum) {
		err = appctl_error_new(APPCTL_ESYSTEM, "%s: %s", f->path,
			strerror(errnum));
		goto cleanup;
	}
	rc = link(tmp.ptr, full.ptr);
	if (rc < 0 && (errno == EPERM || errno == EOPNOTSUPP)) {
		/* No hard links here (FAT, some network file systems): O_EXCL. */
		rc = write_new_file_direct(full.ptr, f);
	}
	if (rc == 0) {
		err = list_add(&w->paths, &w->count, full.ptr);
	} else if (errno != EEXIST) {
		err = appctl_error_new(APPCTL_ESYSTEM, "%s: %s", f->path,
			strerror(errno));
	} else if (!file_has_content(full.ptr, f->data, f->len)) {
		err = appctl_error_input(f->path, NULL,
			"already exists; init writes the starter files only where "
			"there is nothing (write appctl.json yourself, or move it)");
	}
cleanup:
	if (fd >= 0)
		close(fd);
	if (tmp.ptr && !tmp.failed)
		unlink(tmp.ptr);
	appctl_strbuf_dispose(&tmp);
	appctl_strbuf_dispose(&full);
	return err;
}

/*
 * An unborn HEAD means there is nothing to keep: an environment branch or
 * release tag that already exists would be silently orphaned, so refuse.
 */
static appctl_error *check_nothing_exists(init_ctx *ctx,
	const appctl_policy *policy)
{
	appctl_error *err;
	char name[REF_NAME_MAX];
	git_oid id;
	size_t i;
	int found;

	for (i = 0; i < policy->environment_count; i++) {
		const char *env = policy->environments[i];

		snprintf(name, sizeof(name), "refs/heads/%s", env);
		err = store_ref_commit(&id, &found, ctx->git, name);
		if (err)
			return err;
		if (found)
			return appctl_error_new(APPCTL_ECONFLICT,
				"branch '%s' exists but HEAD has no commit; check out "
				"'%s' and run init again",
				env, env);
		snprintf(name, sizeof(name), "refs/tags/release/%s/0", env);
		err = store_ref_commit(&id, &found, ctx->git, name);
		if (err)
			return err;
		if (found)
			return appctl_error_new(APPCTL_ECONFLICT,
				"tag 'release/%s/0' exists but HEAD has no commit",
				env);
	}
	return NULL;
}

/* The tree of the set, built from blobs so a bare repository works too. */
static appctl_error *write_tree(git_oid *out, git_repository *git,
	store_files *files)
{
	appctl_error *err = NULL;
	git_index *index = NULL;
	git_index_entry entry;
	git_oid id;
	size_t i;

	if (git_index_new(&index) < 0) {
		err = store_git_error("cannot make an index");
		goto cleanup;
	}
	for (i = 0; i < file_count(files); i++) {
		store_file *f = file_at(files, i);
		int rc = git_blob_create_from_buffer(&id, git, f->data, f->len);

		if (rc < 0) {
			err = store_git_error(f->path);
			goto cleanup;
		}
		git_oid_tostr(f->id, sizeof(f->id), &id);
		memset(&entry, 0, sizeof(entry));
		entry.mode = f->mode;
		entry.path = f->path;
		git_oid_cpy(&entry.id, &id);
		if (git_index_add(index, &entry) < 0) {
			err = store_git_error(f->path);
			goto cleanup;
		}
	}
	if (git_index_write_tree_to(out, index, git) < 0)
		err = store_git_error("cannot write the tree");
cleanup:
	git_index_free(index);
	return err;
}

/* Stages the committed files so the working tree, index and HEAD agree. */
static appctl_error *stage_files(git_repository *git, store_files *files)
{
	appctl_error *err = NULL;
	git_index *index = NULL;
	size_t i;
	int rc;

	if ((rc = git_repository_index(&index, git)) < 0) {
		err = store_git_error_rc(rc, "cannot open the index");
		goto cleanup;
	}
	for (i = 0; i < file_count(files); i++) {
		const store_file *f = file_at(files, i);

		if ((rc = git_index_add_bypath(index, f->path)) < 0) {
			err = store_git_error_rc(rc, f->path);
			goto cleanup;
		}
	}
	/* Another git command holding index.lock is a race to retry, not a failure. */
	if ((rc = git_index_write(index)) < 0)
		err = store_git_error_rc(rc, "cannot write the index");
cleanup:
	git_index_free(index);
	return err;
}

/*
 * Without commits: validates the appctl files of the working tree (or the
 * starter files when it has no appctl.json), commits them on the first
 * environment's branch and points HEAD there. *snap is the validated snapshot.
 */
static appctl_error *first_commit(git_oid *out, appctl_snapshot **snap,
	init_ctx *ctx)
{
	appctl_error *err = NULL;
	store_files files = STORE_FILES_INIT;
	written w = { NULL, 0 };
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	appctl_strbuf name = APPCTL_STRBUF_INIT, message = APPCTL_STRBUF_INIT;
	const char *workdir = ctx->repo->workdir, *first_env;
	struct stat st;
	int from_worktree = 0, created, rc;
	git_oid tree_id;
	char at[8];
	size_t i;

	*snap = NULL;
	if (workdir) {
		appctl_strbuf_puts(&name, workdir);
		appctl_strbuf_puts(&name, "appctl.json");
		if (name.failed) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		from_worktree = lstat(name.ptr, &st) == 0;
		appctl_strbuf_dispose(&name);
	}
	if (!from_worktree && ctx->opts->signer_count == 0) {
		err = no_signer_error(ctx->opts);
		goto cleanup;
	}
	ctx->starter = !from_worktree;
	err = from_worktree ? store_read_worktree_files(&files, workdir)
			    : starter_files(&files, ctx->opts);
	if (err)
		goto cleanup;
	/* Validate before writing anything: bad input changes nothing. */
	err = store_files_parse(snap, &files);
	if (err)
		goto cleanup;
	if ((*snap)->policy->environment_count == 0) {
		err = appctl_error_input("appctl.json", "$.environments",
			"needs at least one environment");
		goto cleanup;
	}
	err = check_nothing_exists(ctx, (*snap)->policy);
	if (err)
		goto cleanup;
	if (workdir && !from_worktree) {
		/*
		 * appctl.json last: init reads the working tree once it sees that
		 * file, so a concurrent init must then find the whole set.
		 */
		for (i = 1; i <= 2 + files.app_count; i++) {
			size_t at_i = i == 2 + files.app_count ? 0 : i;

			err = write_new_file(&w, workdir,
				file_at(&files, at_i));
			if (err) {
				/* Half-written starter files would only be in the way. */
				written_undo(&w);
				goto cleanup;
			}
		}
	}
	/*
	 * From here on the starter files stay even if a later step fails: they
	 * are complete and valid, the next init commits them from the working
	 * tree, and a concurrent init that won the race may have committed them.
	 */
	err = write_tree(&tree_id, ctx->git, &files);
	if (err)
		goto cleanup;
	err = make_signature(&sig, ctx);
	if (err)
		goto cleanup;
	if (from_worktree)
		appctl_strbuf_printf(&message,
			"appctl init: %s, %s and %zu app%s\n",
			files.policy.path, files.signers.path, files.app_count,
			files.app_count == 1 ? "" : "s");
	else
		appctl_strbuf_puts(&message,
			"appctl init: starter policy, "
			"allowed_signers and an example app\n");
	if (message.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	if (git_tree_lookup(&tree, ctx->git, &tree_id) < 0 ||
		git_commit_create(out, ctx->git, NULL, sig, sig, NULL,
			message.ptr, tree, 0, NULL) < 0) {
		err = store_git_error("cannot write the first commit");
		goto cleanup;
	}
	if (workdir) {
		err = stage_files(ctx->git, &files);
		if (err)
			goto cleanup;
	}
	first_env = (*snap)->policy->environments[0];
	appctl_strbuf_printf(&name, "refs/heads/%s", first_env);
	if (name.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	/*
	 * HEAD first: if we stop between the two steps, HEAD is still unborn and
	 * the next init starts over from the files now in the working tree.
	 */
	if ((rc = git_repository_set_head(ctx->git, name.ptr)) < 0) {
		err = store_git_error_rc(rc,
			"cannot point HEAD at the first environment");
		goto cleanup;
	}
	err = create_ref(&created, ctx, name.ptr, out,
		"appctl init: first commit");
	if (err)
		goto cleanup;
	short_id(at, out);
	appctl_strbuf_printf(&ctx->report, "committed %s as %s\n",
		from_worktree
			? "the appctl files of the working tree"
			: "a starter policy, allowed_signers and an example app",
		at);
	appctl_strbuf_printf(&ctx->report, "created branch %s at %s\n",
		first_env, at);
	if (!from_worktree) {
		appctl_strbuf_puts(&ctx->report, "approvers (groups release-managers "
			"and security, keys in allowed_signers):");
		for (i = 0; i < ctx->opts->signer_count; i++)
			appctl_strbuf_printf(&ctx->report, " %s",
				ctx->opts->signers[i].principal);
		appctl_strbuf_putc(&ctx->report, '\n');
		if (ctx->opts->signer_count == 1)
			appctl_strbuf_printf(&ctx->report,
				"note: with one approver, allow_self_approval is true so "
				"that %s can approve their own changes; add a second "
				"approver and set it to false (a policy change)\n",
				ctx->opts->signers[0].principal);
	}
	for (i = 0; i < file_count(&files); i++) {
		err = list_add(&ctx->result->files, &ctx->result->file_count,
			file_at(&files, i)->path);
		if (err)
			goto cleanup;
	}
cleanup:
	list_free(w.paths, w.count);
	if (err) {
		appctl_snapshot_free(*snap);
		*snap = NULL;
	}
	appctl_strbuf_dispose(&message);
	appctl_strbuf_dispose(&name);
	git_tree_free(tree);
	git_signature_free(sig);
	store_files_dispose(&files);
	return err;
}

/* ---- a repository with commits ---- */

/* HEAD's commit and its validated definitions. */
static appctl_error *head_snapshot(git_oid *out, appctl_snapshot **snap,
	init_ctx *ctx)
{
	appctl_error *err = NULL;
	git_reference *head = NULL;
	git_object *commit = NULL;
	git_tree *tree = NULL;
	store_files files = STORE_FILES_INIT;

	*snap = NULL;
	if (git_repository_head(&head, ctx->git) < 0 ||
		git_reference_peel(&commit, head, GIT_OBJECT_COMMIT) < 0 ||
		git_commit_tree(&tree, (git_commit *)commit) < 0) {
		err = store_git_error("HEAD");
		goto cleanup;
	}
	if (!git_tree_entry_byname(tree, "appctl.json")) {
		err = appctl_error_new(APPCTL_EINPUT,
			"HEAD has no appctl.json; "
			"commit one or run init in an empty repository");
		goto cleanup;
	}
	git_oid_cpy(out, git_object_id(commit));
	err = store_read_commit_files(&files, ctx->git, (git_commit *)commit, 0,
		NULL);
	if (!err)
		err = store_files_parse(snap, &files);
	if (!err && (*snap)->policy->environment_count == 0)
		err = appctl_error_input("appctl.json", "$.environments",
			"needs at least one environment");
	if (err) {
		appctl_snapshot_free(*snap);
		*snap = NULL;
	}
cleanup:
	store_files_dispose(&files);
	git_tree_free(tree);
	git_object_free(commit);
	git_reference_free(head);
	return err;
}

/*
 * The release 0 of each environment: an existing branch keeps its commit
 * (whose definitions must be valid too: every environment has a policy from
 * the start), a missing one gets `head`. `hex` has a slot per environment.
 */
static appctl_error *choose_releases(char (*hex)[41], init_ctx *ctx,
	const appctl_policy *policy, const git_oid *head)
{
	appctl_error *err = NULL;
	appctl_snapshot *snap = NULL;
	char name[REF_NAME_MAX], release_hex[41];
	git_oid id;
	size_t i;
	int found;

	for (i = 0; i < policy->environment_count; i++) {
		snprintf(name, sizeof(name), "refs/heads/%s",
			policy->environments[i]);
		err = store_ref_commit(&id, &found, ctx->git, name);
		if (err)
			return err;
		if (!found)
			git_oid_cpy(&id, head);
		git_oid_tostr(hex[i], 41, &id);
		if (git_oid_equal(&id, head))
			continue;
		memcpy(release_hex, hex[i], sizeof(release_hex));
		err = appctl_repo_load_snapshot(&snap, ctx->repo, release_hex);
		appctl_snapshot_free(snap);
		snap = NULL;
		if (err)
			return appctl_error_wrap(err, "branch '%s'",
				policy->environments[i]);
	}
	return NULL;
}

/*
 * Appends the init event as the first entry of the log, with the derived
 * state every log commit carries (release 0 of each environment).
 */
static appctl_error *append_init_event(init_ctx *ctx, const char *json)
{
	appctl_log_state *state = NULL;
	appctl_event *ev = NULL;
	appctl_error *err;
	char *state_json = NULL;
	char id[41], commit[41], at[8];
	git_oid blob_id, commit_id;

	if (git_odb_hash(&blob_id, json, strlen(json), GIT_OBJECT_BLOB) < 0)
		return store_git_error("cannot write the init event");
	git_oid_tostr(id, sizeof(id), &blob_id);
	err = appctl_event_parse(&ev, "event.json", json, strlen(json));
	if (!err)
		err = appctl_log_state_next(&state, NULL, ev, id);
	if (!err)
		err = appctl_log_state_format(&state_json, state);
	/* The commit point: from here on, init completes rather than starts over. */
	if (!err)
		err = store_log_append(commit, ctx->git, "", json, NULL, state_json);
	if (err)
		goto cleanup;
	err = note_created(ctx, LOG_REF);
	if (err)
		goto cleanup;
	git_oid_fromstr(&commit_id, commit);
	short_id(at, &commit_id);
	appctl_strbuf_printf(&ctx->report, "recorded init event %s\n", at);
cleanup:
	free(state_json);
	appctl_log_state_free(state);
	appctl_event_free(ev);
	return err;
}

/*
 * A repository without a log: settles the initial commit (HEAD's, or a new
 * first one), decides release 0 per environment, checks the existing tags
 * against it and appends the init event. *out is the event recorded; its
 * strings point into *snap and *hex (one slot per environment, then the
 * initial commit), which the caller frees after it, with out->releases.
 */
static appctl_error *record_init(appctl_init_event *out, appctl_snapshot **snap,
	char (**hex)[41], init_ctx *ctx)
{
	appctl_error *err = NULL;
	const char **releases = NULL;
	char *json = NULL;
	char head_hex[41];
	git_oid head;
	size_t i, count;
	int unborn;

	unborn = git_repository_head_unborn(ctx->git);
	if (unborn < 0)
		return store_git_error("HEAD");
	err = unborn ? first_commit(&head, snap, ctx)
		     : head_snapshot(&head, snap, ctx);
	if (err)
		return err;
	if (!ctx->starter && ctx->opts->explicit_signers)
		err = check_signers_present(ctx, *snap);
	if (!err)
		err = check_approvable(ctx, *snap);
	if (err)
		return err;
	count = (*snap)->policy->environment_count;
	*hex = calloc(count + 1, sizeof(**hex));
	releases = calloc(count + 1, sizeof(*releases));
	if (!*hex || !releases) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = choose_releases(*hex, ctx, (*snap)->policy, &head);
	if (err)
		goto cleanup;
	for (i = 0; i < count; i++)
		releases[i] = (*hex)[i];
	git_oid_tostr(head_hex, sizeof(head_hex), &head);
	memcpy((*hex)[count], head_hex, sizeof(head_hex));
	memset(out, 0, sizeof(*out));
	out->commit = (*hex)[count];
	out->environments = (*snap)->policy->environments;
	out->releases = releases;
	out->environment_count = count;
	out->time = ctx->now;
	out->principal = ctx->principal;
	out->verified = 0;
	/* Tags that disagree are found before the log is written: then nothing changes. */
	err = check_refs_agree(ctx, out, "the init event to record");
	if (err)
		goto cleanup;
	err = appctl_init_event_format(&json, out);
	if (err)
		goto cleanup;
	err = append_init_event(ctx, json);
	if (err)
		goto cleanup;
	releases = NULL;
cleanup:
	free(json);
	free(releases);
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

appctl_error *appctl_store_init_ext(appctl_init_result **out, appctl_repo *repo,
	const char *principal, const char *now, const appctl_init_options *opts)
{
	static const appctl_init_options none = { NULL, 0, 0, NULL };
	appctl_error *err = NULL;
	appctl_init_event *logged = NULL, fresh;
	const appctl_init_event *event;
	appctl_snapshot *snap = NULL;
	char(*hex)[41] = NULL;
	init_ctx ctx;
	size_t i;

	*out = NULL;
	memset(&ctx, 0, sizeof(ctx));
	memset(&fresh, 0, sizeof(fresh));
	ctx.repo = repo;
	ctx.git = repo->git;
	ctx.principal = principal;
	ctx.now = now;
	ctx.opts = opts ? opts : &none;
	ctx.result = calloc(1, sizeof(*ctx.result));
	if (!ctx.result) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = read_log_init(&logged, ctx.git);
	if (err)
		goto cleanup;
	if (!logged) {
		err = record_init(&fresh, &snap, &hex, &ctx);
		if (err)
			goto cleanup;
	}
	event = logged ? logged : &fresh;
	err = roll_forward(&ctx, event);
	if (!err)
		err = check_head_branch(&ctx, event);
	if (err)
		goto cleanup;
	if (!ctx.created_any)
		appctl_strbuf_puts(&ctx.report, "already initialized\n");
	memcpy(ctx.result->commit, event->commit, 41);
	for (i = 0; i < event->environment_count && !err; i++)
		err = list_add(&ctx.result->environments,
			&ctx.result->environment_count, event->environments[i]);
	if (err)
		goto cleanup;
	ctx.result->report = appctl_strbuf_detach(&ctx.report);
	if (!ctx.result->report) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	*out = ctx.result;
	ctx.result = NULL;
cleanup:
	/* `fresh` borrows its release list from record_init's allocation. */
	free((void *)fresh.releases);
	free(hex);
	appctl_snapshot_free(snap);
	appctl_init_event_free(logged);
	appctl_init_result_free(ctx.result);
	appctl_strbuf_dispose(&ctx.report);
	return err;
}

appctl_error *appctl_store_init(appctl_repo *repo, const char *principal,
	const char *now, char **report)
{
	appctl_error *err;
	appctl_init_result *result = NULL;

	*report = NULL;
	err = appctl_store_init_ext(&result, repo, principal, now, NULL);
	if (!err) {
		*report = result->report;
		result->report = NULL;
	}
	appctl_init_result_free(result);
	return err;
}
