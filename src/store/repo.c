/* repo.c: opening a repository (with git's rule about who owns it), resolving revisions and reading config through libgit2. */
#ifdef __linux__
/* syncfs(2): one flush for many files (store_flush_once). */
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appctl/log.h"
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

/* ---- whose repository: git's safe.directory ---- */

/*
 * git (setup.c, ensure_valid_ownership, as of 2.39) refuses a repository
 * another account owns, since its config can make git run that account's
 * programs, unless safe.directory allows it. libgit2 1.5 applies a partial
 * copy of that rule (no "*", no GIT_CONFIG_COUNT, no `git -c`), which
 * refused repositories git serves; so appctl turns libgit2's check off
 * while it opens a repository and applies git's rule itself, here, so
 * that appctl and git accept the same repositories.
 */

typedef struct safe_dir {
	const char *path;  /* the worktree, else the git dir; no trailing '/' */
	int is_safe;
} safe_dir;

/* git_env_bool: "1", "true", "yes", "on" or a non-zero number. */
static int env_is_true(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return 0;
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
		return 1;
	n = strtol(v, &end, 10);
	return !*end && n != 0;
}

/*
 * The uid git compares owners with: the effective one, except that root
 * acting through sudo stands for the account that ran sudo (SUDO_UID) for
 * what root does not own itself, as git does.
 */
static uid_t owner_to_match(uid_t owner)
{
	const char *sudo = getenv("SUDO_UID");
	uid_t euid = geteuid();
	unsigned long id;
	char *end;

	if (euid != 0 || owner == 0 || !sudo || !*sudo)
		return euid;
	errno = 0;
	id = strtoul(sudo, &end, 10);
	if (*end || errno || id != (unsigned long)(uid_t)id)
		return euid;
	return (uid_t)id;
}

/*
 * Whether `path` (lstat, as git does: a missing path is not owned) is
 * owned by whoever runs appctl; *owner and *me say who is who.
 */
static int path_is_mine(const char *path, uid_t *owner, uid_t *me)
{
	struct stat st;

	*owner = (uid_t)-1;
	*me = geteuid();
	if (lstat(path, &st) != 0)
		return 0;
	*owner = st.st_uid;
	*me = owner_to_match(st.st_uid);
	return st.st_uid == *me;
}

/*
 * git_config_pathname's "~/" and "~user/" (git 2.39) into *out; *out NULL
 * when it names no home, or for "%(prefix)/", whose meaning only git's
 * build knows: such a value then matches nothing, as a failed one does in
 * git. -1 when out of memory.
 */
static int expand_home(char **out, const char *value)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char *slash, *home;

	*out = NULL;
	if (strncmp(value, "%(prefix)/", 10) == 0)
		return 0;
	if (value[0] != '~')
		return (*out = strdup(value)) ? 0 : -1;
	slash = strchr(value, '/');
	if (!slash)
		slash = value + strlen(value);
	if (slash == value + 1) {
		home = getenv("HOME");
	} else {
		char user[256];
		size_t len = (size_t)(slash - value - 1);
		struct passwd *pw;

		if (len >= sizeof(user))
			return 0;
		memcpy(user, value + 1, len);
		user[len] = '\0';
		pw = getpwnam(user);
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return 0;
	appctl_strbuf_puts(&b, home);
	appctl_strbuf_puts(&b, slash);
	return (*out = appctl_strbuf_detach(&b)) ? 0 : -1;
}

/*
 * One safe.directory value, as git's safe_directory_cb takes it: empty
 * (or no value) forgets the ones before, "*" allows every repository, any
 * other is compared as a path, byte for byte, after "~" expansion.
 */
static appctl_error *safe_dir_value(safe_dir *s, const char *value)
{
	char *path;

	if (!value || !*value) {
		s->is_safe = 0;
		return NULL;
	}
	if (strcmp(value, "*") == 0) {
		s->is_safe = 1;
		return NULL;
	}
	if (expand_home(&path, value) < 0)
		return appctl_error_nomem();
	if (path && strcmp(path, s->path) == 0)
		s->is_safe = 1;
	free(path);
	return NULL;
}

/* The safe.directory values of one config file (and its includes), in order. */
static appctl_error *safe_dir_file(safe_dir *s, const char *path)
{
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	git_config *config = NULL;
	appctl_error *err = NULL;
	int rc;

	if (!path || !*path || access(path, F_OK) != 0)
		return NULL;
	if (git_config_open_ondisk(&config, path) < 0 ||
	    git_config_multivar_iterator_new(&it, config, "safe.directory",
		NULL) < 0)
		return store_git_error(path);
	while (!err && (rc = git_config_next(&entry, it)) == 0)
		err = safe_dir_value(s, entry->value);
	if (!err && rc != GIT_ITEROVER)
		err = store_git_error(path);
	git_config_iterator_free(it);
	git_config_free(config);
	return err;
}

/* git -c's "safe.directory", whatever the case of its letters. */
static int is_safe_dir_key(const char *key, size_t len)
{
	return len == 14 && strncasecmp(key, "safe.directory", 14) == 0;
}

/*
 * One single-quoted word of GIT_CONFIG_PARAMETERS at *p (git's
 * sq_dequote_step: '\'' and '\!' inside continue it), unquoted into `b`;
 * *p moves past it. -1 when it is not one.
 */
static int sq_word(appctl_strbuf *b, const char **p)
{
	const char *s = *p;

	if (*s != '\'')
		return -1;
	s++;
	for (;;) {
		if (!*s)
			return -1;
		if (*s != '\'') {
			appctl_strbuf_putc(b, *s++);
			continue;
		}
		s++;
		if (s[0] == '\\' && (s[1] == '\'' || s[1] == '!') && s[2] == '\'') {
			appctl_strbuf_putc(b, s[1]);
			s += 3;
			continue;
		}
		*p = s;
		return 0;
	}
}

/*
 * `git -c` as git passes it on to the programs it runs, in
 * GIT_CONFIG_PARAMETERS: 'key'='value' words (git 2.31 on; 'key'= and
 * 'key' have no value), or the older 'key=value'.
 */
static appctl_error *safe_dir_parameters(safe_dir *s, const char *env)
{
	appctl_strbuf word = APPCTL_STRBUF_INIT, value = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	const char *p = env;

	while (*p && !err) {
		const char *key, *val = NULL, *eq;
		size_t key_len;

		appctl_strbuf_truncate(&word, 0);
		appctl_strbuf_truncate(&value, 0);
		if (sq_word(&word, &p) < 0)
			goto bogus;
		if (word.failed) {
			err = appctl_error_nomem();
			break;
		}
		key = word.len ? word.ptr : "";
		key_len = word.len;
		if (*p == '=') {
			p++;
			if (*p == '\'') {
				if (sq_word(&value, &p) < 0 || (*p && *p != ' ' &&
				    *p != '\t' && *p != '\n'))
					goto bogus;
				val = value.len ? value.ptr : "";
			} else if (*p && *p != ' ' && *p != '\t' && *p != '\n') {
				goto bogus;
			}
		} else if (!*p || *p == ' ' || *p == '\t' || *p == '\n') {
			eq = memchr(key, '=', key_len);
			if (eq) {
				val = eq + 1;
				key_len = (size_t)(eq - key);
			}
		} else {
			goto bogus;
		}
		if (value.failed) {
			err = appctl_error_nomem();
			break;
		}
		if (is_safe_dir_key(key, key_len))
			err = safe_dir_value(s, val);
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
	}
	goto done;
bogus:
	err = appctl_error_new(APPCTL_ESYSTEM, "GIT_CONFIG_PARAMETERS is not "
		"what git writes ('key'='value' words); git refuses it too");
done:
	appctl_strbuf_dispose(&value);
	appctl_strbuf_dispose(&word);
	return err;
}

/* GIT_CONFIG_COUNT and its GIT_CONFIG_KEY_<n> / GIT_CONFIG_VALUE_<n>. */
static appctl_error *safe_dir_count(safe_dir *s, const char *env)
{
	appctl_error *err = NULL;
	unsigned long count, i;
	char *end;

	errno = 0;
	count = strtoul(env, &end, 10);
	if (*end || errno || count > INT_MAX)
		return appctl_error_new(APPCTL_ESYSTEM, "GIT_CONFIG_COUNT='%s' "
			"is not a count; git refuses it too", env);
	for (i = 0; i < count && !err; i++) {
		char name[64];
		const char *key, *value;

		snprintf(name, sizeof(name), "GIT_CONFIG_KEY_%lu", i);
		key = getenv(name);
		snprintf(name, sizeof(name), "GIT_CONFIG_VALUE_%lu", i);
		value = getenv(name);
		if (!key || !value)
			return appctl_error_new(APPCTL_ESYSTEM, "GIT_CONFIG_COUNT "
				"is %lu but %s_%lu is not set; git refuses it too",
				count, key ? "GIT_CONFIG_VALUE" : "GIT_CONFIG_KEY", i);
		if (is_safe_dir_key(key, strlen(key)))
			err = safe_dir_value(s, value);
	}
	return err;
}

/*
 * Whether safe.directory allows the repository `s->path`, read as git
 * reads its "protected" configuration, in git's order: the system file
 * (unless GIT_CONFIG_NOSYSTEM), the global ones (GIT_CONFIG_GLOBAL, else
 * the XDG file then ~/.gitconfig), then the command's own
 * (GIT_CONFIG_COUNT, then `git -c`); never the repository's, which its
 * owner writes.
 */
static appctl_error *safe_dir_read(safe_dir *s)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	const char *env, *home = getenv("HOME");
	appctl_error *err = NULL;

	if (!env_is_true("GIT_CONFIG_NOSYSTEM")) {
		env = getenv("GIT_CONFIG_SYSTEM");
		err = safe_dir_file(s, env ? env : "/etc/gitconfig");
	}
	env = getenv("GIT_CONFIG_GLOBAL");
	if (!err && env) {
		err = safe_dir_file(s, env);
	} else if (!err) {
		const char *xdg = getenv("XDG_CONFIG_HOME");

		if (xdg && *xdg)
			appctl_strbuf_printf(&path, "%s/git/config", xdg);
		else if (home)
			appctl_strbuf_printf(&path, "%s/.config/git/config", home);
		if (path.failed)
			err = appctl_error_nomem();
		else if (path.len)
			err = safe_dir_file(s, path.ptr);
		appctl_strbuf_truncate(&path, 0);
		if (!err && home) {
			appctl_strbuf_printf(&path, "%s/.gitconfig", home);
			err = path.failed ? appctl_error_nomem()
				: safe_dir_file(s, path.ptr);
		}
	}
	if (!err && (env = getenv("GIT_CONFIG_COUNT")))
		err = safe_dir_count(s, env);
	if (!err && (env = getenv("GIT_CONFIG_PARAMETERS")))
		err = safe_dir_parameters(s, env);
	appctl_strbuf_dispose(&path);
	return err;
}

/* `path`, without the trailing '/' libgit2 gives directories. */
static char *strip_slash(const char *path)
{
	size_t len = strlen(path);
	char *copy;

	while (len > 1 && path[len - 1] == '/')
		len--;
	copy = malloc(len + 1);
	if (copy) {
		memcpy(copy, path, len);
		copy[len] = '\0';
	}
	return copy;
}

/* The account `uid` by name, into buf. */
static const char *account_name(char *buf, size_t size, uid_t uid)
{
	struct passwd *pw = uid == (uid_t)-1 ? NULL : getpwuid(uid);

	snprintf(buf, size, "%s", pw ? pw->pw_name : "?");
	return buf;
}

/* `path` as the shell takes it: single-quoted unless it is plain. */
static void put_shell_word(appctl_strbuf *b, const char *path)
{
	const char *p;

	if (path[strspn(path, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@,=%")] == '\0') {
		appctl_strbuf_puts(b, path);
		return;
	}
	appctl_strbuf_putc(b, '\'');
	for (p = path; *p; p++)
		if (*p == '\'')
			appctl_strbuf_puts(b, "'\\''");
		else
			appctl_strbuf_putc(b, *p);
	appctl_strbuf_putc(b, '\'');
}

/*
 * git's rule for the repository `git` found by discovery: the .git file
 * (if the worktree has one), the worktree and the git dir must belong to
 * whoever runs appctl, or safe.directory must allow the worktree (the git
 * dir for a bare repository). Refusing is APPCTL_ESYSTEM naming the
 * repository, its owner and the setting that trusts it.
 */
static appctl_error *check_ownership(git_repository *git)
{
	const char *workdir = git_repository_workdir(git);
	char *gitdir = strip_slash(git_repository_path(git));
	char *worktree = workdir ? strip_slash(workdir) : NULL;
	appctl_strbuf gitfile = APPCTL_STRBUF_INIT, cmd = APPCTL_STRBUF_INIT;
	const char *paths[3], *refused = NULL;
	char owner_name[64], my_name[64];
	appctl_error *err = NULL;
	uid_t owner = 0, me = 0;
	struct stat st;
	safe_dir s;
	size_t i, n = 0;

	if (!gitdir || (workdir && !worktree)) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	if (worktree) {
		appctl_strbuf_printf(&gitfile, "%s/.git", worktree);
		if (gitfile.failed) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		if (lstat(gitfile.ptr, &st) == 0 && S_ISREG(st.st_mode))
			paths[n++] = gitfile.ptr;
		paths[n++] = worktree;
	}
	paths[n++] = gitdir;
	for (i = 0; i < n && !refused; i++)
		if (!path_is_mine(paths[i], &owner, &me))
			refused = paths[i];
	if (!refused)
		goto cleanup;
	s.path = worktree ? worktree : gitdir;
	s.is_safe = 0;
	if ((err = safe_dir_read(&s)) || s.is_safe)
		goto cleanup;
	put_shell_word(&cmd, s.path);
	if (cmd.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	account_name(owner_name, sizeof(owner_name), owner);
	account_name(my_name, sizeof(my_name), me);
	if (strcmp(refused, s.path) == 0)
		err = appctl_error_new(APPCTL_ESYSTEM, "repository '%s' is owned "
			"by %s (uid %ld), not by %s (uid %ld) who runs appctl: git "
			"and appctl refuse it (dubious ownership) unless "
			"safe.directory names it; to trust it, run: git config "
			"--global --add safe.directory %s", s.path, owner_name,
			(long)owner, my_name, (long)me, cmd.ptr);
	else
		err = appctl_error_new(APPCTL_ESYSTEM, "repository '%s': '%s' "
			"is owned by %s (uid %ld), not by %s (uid %ld) who runs "
			"appctl: git and appctl refuse it (dubious ownership) unless "
			"safe.directory names it; to trust it, run: git config "
			"--global --add safe.directory %s", s.path, refused,
			owner_name, (long)owner, my_name, (long)me, cmd.ptr);
cleanup:
	appctl_strbuf_dispose(&cmd);
	appctl_strbuf_dispose(&gitfile);
	free(worktree);
	free(gitdir);
	return err;
}

/*
 * libgit2 1.5 as Debian builds it (with mbedTLS) parses the whole system CA
 * bundle inside git_libgit2_init: 4-9 ms, more than half of what starting
 * any command costs, and no option of that version turns it off. appctl
 * never lets libgit2 talk to a remote (the system git does, remote.c), so
 * those certificates would never be used. The executable exports this
 * definition (--export-dynamic-symbol in CMakeLists.txt), and the dynamic
 * linker binds libgit2's call to it instead of mbedTLS's: the bundle loads
 * as an empty chain. Only libgit2 links mbedTLS in this process; webhooks
 * go through libcurl, which verifies with OpenSSL and its own CA store. A
 * libgit2 built with OpenSSL never calls it. tests/cli/startup.sh checks
 * the binding.
 */
int mbedtls_x509_crt_parse_file(void *chain, const char *path);
int mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}

/*
 * The same for libssh2, which git_libgit2_init starts for libgit2's ssh
 * transport: libssh2_init starts OpenSSL's crypto with it, ~0.4 ms of
 * every command (a twentieth of a diff with nothing to compare), for a
 * transport appctl never uses. OpenSSL starts itself when appctl's own
 * code first needs it (signatures, webhook HMACs), and libssh2_exit does
 * nothing for a library never started. libcurl, loaded for webhooks,
 * calls it too, for scp and sftp, which webhooks never use.
 * tests/cli/startup.sh checks the binding.
 */
int libssh2_init(int flags);
int libssh2_init(int flags)
{
	(void)flags;
	return 0;
}

/*
 * libgit2 1.5 checks a commit-graph file by hashing all of it (SHA-1 with
 * collision detection) the first time a walk uses it. git writes one on
 * every gc, and it covers the log: with 100 000 events, 6 MB, which cost
 * each hook run 20-25 ms, more than the walks it could speed up take (a
 * change's few commits, the log between two nearby heads). Without it the
 * walks read the commits themselves, as they do in a repository without a
 * graph.
 */
static appctl_error *skip_commit_graph(git_repository *git)
{
	git_odb *odb = NULL;
	int rc = git_repository_odb(&odb, git);

	if (rc == 0)
		rc = git_odb_set_commit_graph(odb, NULL);
	git_odb_free(odb);
	return rc < 0 ? store_git_error("cannot open the object database") : NULL;
}

/* Opens with git_repository_open_ext `flags`; `dir` may be NULL with FROM_ENV. */
static appctl_error *repo_open(appctl_repo **out, const char *dir,
	unsigned flags)
{
	appctl_error *err = NULL;
	appctl_repo *repo = NULL;
	const char *workdir, *explicit_dir;
	int validating = 1, rc;

	*out = NULL;
	/*
	 * libgit2's global state is reference counted: each handle holds one
	 * reference, so that the last appctl_repo_free releases it.
	 */
	if (git_libgit2_init() < 0)
		return store_git_error("cannot initialize libgit2");
	/* The records are the product: a crash must not lose a written ref. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	/*
	 * Rehashing every object read cost a diff of a large org an eighth of
	 * its time. git does not rehash on read either: objects got their ids
	 * when they were written, or from index-pack when a push brought them
	 * (the hook reads them from that quarantine), so nothing outside the
	 * repository's own files can make a mismatch.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	repo = calloc(1, sizeof(*repo));
	if (!repo) {
		git_libgit2_shutdown();
		return appctl_error_nomem();
	}
	/* git's own rule decides below (check_ownership), not libgit2's copy. */
	git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, &validating);
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	rc = git_repository_open_ext(&repo->git, dir, flags, NULL);
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, validating);
	if (rc < 0) {
		err = store_git_error(dir ? dir : "$GIT_DIR or the current directory");
		goto cleanup;
	}
	/*
	 * git checks only what it finds by discovery: a repository GIT_DIR
	 * names is taken as given. That is how git runs hooks, after
	 * receive-pack accepted the repository, so a hook is trusted where
	 * git trusted the push.
	 */
	explicit_dir = getenv("GIT_DIR");
	if (!((flags & GIT_REPOSITORY_OPEN_FROM_ENV) && explicit_dir &&
	      *explicit_dir) && (err = check_ownership(repo->git)))
		goto cleanup;
	if ((err = skip_commit_graph(repo->git)))
		goto cleanup;
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
	repo->from_env = (flags & GIT_REPOSITORY_OPEN_FROM_ENV) != 0;
	*out = repo;
	repo = NULL;
cleanup:
	appctl_repo_free(repo);
	return err;
}

appctl_repo *appctl_repo_twin(appctl_repo *repo)
{
	appctl_repo *twin;
	int validating = 1, rc;

	if (repo->from_env || git_libgit2_init() < 0)
		return NULL;
	twin = calloc(1, sizeof(*twin));
	if (!twin) {
		git_libgit2_shutdown();
		return NULL;
	}
	/*
	 * A repository of its own, object database included: libgit2 1.5
	 * makes a repository wrapping a shared database that database's
	 * owner, whose caches every thread would then reach through it.
	 * The ownership was checked when `repo` was opened: the same folder.
	 */
	twin->parent = repo;
	store_cache_open(repo);
	git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, &validating);
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	rc = git_repository_open_ext(&twin->git, git_repository_path(repo->git),
		GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, validating);
	if (rc < 0) {
		appctl_repo_free(twin);
		return NULL;
	}
	return twin;
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
	store_cache_close(repo);
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

int store_can_flush_once(void)
{
#ifdef __linux__
	return 1;
#else
	return 0;
#endif
}

appctl_error *store_flush_once(git_repository *git)
{
#ifdef __linux__
	int fd = open(git_repository_path(git), O_RDONLY | O_DIRECTORY);
	int rc = fd < 0 ? -1 : syncfs(fd);
	int saved = errno;

	if (fd >= 0)
		close(fd);
	if (rc != 0)
		return appctl_error_new(APPCTL_ESYSTEM, "cannot flush what was "
			"written to %s: %s", git_repository_path(git),
			strerror(saved));
#else
	(void)git;
#endif
	return NULL;
}

int store_ref_swap(git_repository *git, const char *name, const git_oid *id,
	const git_oid *expected, const char *log_message)
{
	git_transaction *tx = NULL;
	git_reference *cur = NULL;
	int rc;

	if ((rc = git_transaction_new(&tx, git)) < 0)
		return rc;
	if ((rc = git_transaction_lock_ref(tx, name)) < 0)
		goto done;
	/* Read under the lock: no writer can move the ref until commit. */
	rc = git_reference_lookup(&cur, git, name);
	if (rc == GIT_ENOTFOUND)
		rc = expected ? GIT_EMODIFIED : 0;
	else if (rc == 0 && !expected)
		rc = GIT_EEXISTS;
	else if (rc == 0 && (git_reference_type(cur) != GIT_REFERENCE_DIRECT ||
			 !git_oid_equal(git_reference_target(cur), expected)))
		rc = GIT_EMODIFIED;
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS)
		git_error_set_str(GIT_ERROR_REFERENCE, "old reference value does not match");
	if (rc < 0)
		goto done;
	if ((rc = git_transaction_set_target(tx, name, id, NULL, log_message)) < 0)
		goto done;
	rc = git_transaction_commit(tx);
done:
	git_reference_free(cur);
	git_transaction_free(tx);
	return rc;
}

appctl_error *store_ref_create_new(git_repository *git, const char *name,
	const git_oid *id, const char *log_message)
{
	int rc = store_ref_swap(git, name, id, NULL, log_message);

	if (rc == GIT_EEXISTS || rc == GIT_EMODIFIED || rc == GIT_ELOCKED) {
		git_error_clear();
		return appctl_error_new(APPCTL_ECONFLICT,
			"'%s' was created or is being updated by someone else; "
			"try again",
			name);
	}
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

/*
 * The remote to fetch appctl's records from: "origin" when configured,
 * else the first remote.<name>.url; *out is "" without any. Read through a
 * plain config iterator (git_remote_list's regex leaks in libgit2 with
 * pcre2).
 */
static void first_remote(char *out, size_t len, git_repository *git)
{
	git_config *config = NULL, *snap = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	const char *name, *dot;

	*out = '\0';
	if (git_repository_config(&config, git) < 0 ||
		git_config_snapshot(&snap, config) < 0 ||
		git_config_iterator_new(&it, snap) < 0)
		goto cleanup;
	while (git_config_next(&entry, it) == 0) {
		name = entry->name;
		if (strncasecmp(name, "remote.", 7) != 0)
			continue;
		dot = strrchr(name, '.');
		if (dot <= name + 7 || strcasecmp(dot, ".url") != 0)
			continue;
		if (!*out || ((size_t)(dot - name - 7) == 6 &&
			strncmp(name + 7, "origin", 6) == 0))
			snprintf(out, len, "%.*s", (int)(dot - name - 7), name + 7);
	}
cleanup:
	git_error_clear();
	git_config_iterator_free(it);
	git_config_free(snap);
	git_config_free(config);
}

appctl_error *appctl_repo_definitions_dirty(size_t *count, char **example,
	appctl_repo *repo, const char *signers_file)
{
	git_status_options opts;
	git_status_list *list = NULL;
	char *paths[3];
	const git_status_entry *e;
	const char *path;
	size_t i, n;

	*count = 0;
	*example = NULL;
	if (git_repository_is_bare(repo->git))
		return NULL;
	if (git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION) < 0)
		return store_git_error("git status");
	paths[0] = (char *)"appctl.json";
	paths[1] = (char *)"apps/";
	paths[2] = (char *)(signers_file ? signers_file : "allowed_signers");
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED |
		GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
	opts.pathspec.strings = paths;
	opts.pathspec.count = 3;
	if (git_status_list_new(&list, repo->git, &opts) < 0)
		return store_git_error("git status");
	n = git_status_list_entrycount(list);
	for (i = 0; i < n; i++) {
		e = git_status_byindex(list, i);
		if (!e || e->status == GIT_STATUS_CURRENT ||
			(e->status & GIT_STATUS_IGNORED))
			continue;
		path = e->index_to_workdir ? e->index_to_workdir->new_file.path
			: e->head_to_index ? e->head_to_index->new_file.path : NULL;
		if (!path)
			continue;
		if (!*example)
			*example = strdup(path);
		(*count)++;
	}
	git_status_list_free(list);
	return NULL;
}

appctl_error *appctl_repo_not_synced(appctl_repo *repo, const char *what)
{
	char remote[256];

	first_remote(remote, sizeof(remote), repo->git);
	if (!*remote)
		return appctl_error_new(APPCTL_ESYSTEM,
			"this repository lacks %s and has no remote to fetch "
			"appctl's records from; run 'appctl init'", what);
	return appctl_error_new(APPCTL_ESYSTEM,
		"this clone lacks %s: it has not fetched appctl's records; run "
		"'appctl sync %s' (it fetches refs/appctl/log, the environment "
		"branches and the release tags, and checks every event), or fetch "
		"them yourself: git fetch %s '+refs/appctl/*:refs/appctl/*' "
		"'+refs/tags/release/*:refs/tags/release/*' "
		"'refs/heads/ENV:refs/heads/ENV' (once per environment)",
		what, remote, remote);
}

/*
 * Whether `name` is an environment this repository should have a branch
 * for: one the log records, or, without a log, one HEAD's appctl.json
 * names. Errors count as "no": this only picks the better message.
 */
static int is_environment(appctl_repo *repo, const char *name, int *no_log)
{
	appctl_log_state *state = NULL;
	appctl_app_listing *listing = NULL;
	appctl_error *err;
	git_oid head;
	char hex[41], log_head[41];
	size_t i;
	int yes = 0;

	*no_log = 0;
	err = appctl_log_head(log_head, &state, repo);
	if (!err && state) {
		yes = appctl_log_state_env(state, name) != NULL;
		appctl_log_state_free(state);
		return yes;
	}
	appctl_error_free(err);
	*no_log = 1;
	if (git_reference_name_to_id(&head, repo->git, "HEAD") < 0) {
		git_error_clear();
		return 0;
	}
	git_oid_tostr(hex, sizeof(hex), &head);
	err = appctl_repo_list_apps(&listing, repo, hex);
	for (i = 0; !err && i < listing->policy->environment_count; i++)
		if (strcmp(listing->policy->environments[i], name) == 0)
			yes = 1;
	appctl_error_free(err);
	appctl_app_listing_free(listing);
	return yes;
}

/* "unknown revision", unless it names an environment a clone has not fetched. */
static appctl_error *unknown_revision(appctl_repo *repo, const char *rev)
{
	appctl_strbuf what = APPCTL_STRBUF_INIT;
	appctl_error *err;
	int no_log = 0;

	if (!appctl_env_name_is_valid(rev) || !is_environment(repo, rev, &no_log))
		return appctl_error_new(APPCTL_EUSAGE, "unknown revision '%s'",
			rev);
	if (no_log)
		appctl_strbuf_printf(&what, "%s and environment branch '%s'",
			APPCTL_LOG_REF, rev);
	else
		appctl_strbuf_printf(&what, "environment branch '%s'", rev);
	if (what.failed)
		return appctl_error_nomem();
	err = appctl_repo_not_synced(repo, what.ptr);
	appctl_strbuf_dispose(&what);
	return err;
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
		git_error_clear();
		err = unknown_revision(repo, rev);
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

appctl_error *appctl_repo_merge_base(char out[41], appctl_repo *repo,
	const char *a, const char *b, const char *a_name, const char *b_name)
{
	git_oid one, two, base;
	int rc;

	if (git_oid_fromstr(&one, a) < 0 || git_oid_fromstr(&two, b) < 0)
		return appctl_error_new(APPCTL_EUSAGE, "'%s...%s': not commit ids",
			a_name, b_name);
	rc = git_merge_base(&base, repo->git, &one, &two);
	if (rc == GIT_ENOTFOUND)
		return appctl_error_new(APPCTL_EUSAGE,
			"'%s...%s': no merge base (unrelated histories, or a shallow "
			"clone: fetch more history, e.g. 'git fetch --unshallow')",
			a_name, b_name);
	if (rc < 0)
		return store_git_error("merge base");
	git_oid_tostr(out, 41, &base);
	return NULL;
}
