/* worktree.c: reading definitions from the working tree, for `validate --worktree` and `init`. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appctl/json.h"
#include "store_internal.h"

static const char *stat_kind(mode_t mode)
{
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISDIR(mode))
		return "a folder";
	if (S_ISREG(mode))
		return "a file";
	return "a special file";
}

static appctl_error *errno_error(const char *path, int errnum)
{
	return appctl_error_new(APPCTL_ESYSTEM, "%s: %s", path,
		strerror(errnum));
}

/*
 * lstat of `dir` + `rel`; *exists is 0 when it is not there. Errors other
 * than "not there" are I/O errors naming the relative path.
 */
static appctl_error *lstat_rel(struct stat *st, int *exists, const char *dir,
	const char *rel)
{
	appctl_strbuf full = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;

	*exists = 0;
	appctl_strbuf_puts(&full, dir);
	appctl_strbuf_puts(&full, rel);
	if (full.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	if (lstat(full.ptr, st) == 0)
		*exists = 1;
	else if (errno != ENOENT && errno != ENOTDIR)
		err = errno_error(rel, errno);
cleanup:
	appctl_strbuf_dispose(&full);
	return err;
}

/*
 * Every folder on the way to `rel` must be a real folder: a symbolic link
 * there could point outside the repository. *exists is 0 when one is missing.
 */
static appctl_error *check_folders(int *exists, const char *dir,
	const char *rel)
{
	appctl_error *err = NULL;
	struct stat st;
	char *prefix = NULL, *slash;

	*exists = 1;
	prefix = strdup(rel);
	if (!prefix)
		return appctl_error_nomem();
	for (slash = strchr(prefix, '/'); slash;
		slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		err = lstat_rel(&st, exists, dir, prefix);
		if (err || !*exists)
			goto cleanup;
		if (!S_ISDIR(st.st_mode)) {
			err = appctl_error_input(prefix, NULL,
				"is %s, not a folder", stat_kind(st.st_mode));
			goto cleanup;
		}
		*slash = '/';
	}
cleanup:
	free(prefix);
	return err;
}

/* Reads an open regular file of (at most) `size` bytes; the caller frees *out. */
static appctl_error *read_fd(char **out, size_t *len, int fd, const char *rel,
	size_t size)
{
	appctl_error *err = NULL;
	char *buf;
	size_t got = 0;
	ssize_t n;

	*out = NULL;
	buf = malloc(size + 1);
	if (!buf) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	/* One byte more than expected: a file that grows while read is refused. */
	while (got <= size) {
		n = read(fd, buf + got, size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno_error(rel, errno);
			goto cleanup;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > size) {
		err = appctl_error_new(APPCTL_ESYSTEM,
			"%s: changed while being read", rel);
		goto cleanup;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
cleanup:
	free(buf);
	return err;
}

/*
 * Reads `dir` + `rel` into `out` if it exists (*exists). Links, folders and
 * special files where the file belongs are input errors, and so is a size
 * over 16 MiB, found before a byte is read.
 */
static appctl_error *read_file(store_file *out, int *exists, const char *dir,
	const char *rel)
{
	appctl_error *err = NULL;
	appctl_strbuf full = APPCTL_STRBUF_INIT;
	struct stat st;
	int fd = -1;

	memset(out, 0, sizeof(*out));
	err = check_folders(exists, dir, rel);
	if (err || !*exists)
		goto cleanup;
	err = lstat_rel(&st, exists, dir, rel);
	if (err || !*exists)
		goto cleanup;
	if (!S_ISREG(st.st_mode)) {
		err = appctl_error_input(rel, NULL, "is %s, not a file",
			stat_kind(st.st_mode));
		goto cleanup;
	}
	if ((unsigned long long)st.st_size > APPCTL_JSON_MAX_BYTES) {
		err = appctl_error_input(rel, NULL,
			"is %lld bytes, over the limit of 16 MiB",
			(long long)st.st_size);
		goto cleanup;
	}
	appctl_strbuf_puts(&full, dir);
	appctl_strbuf_puts(&full, rel);
	if (full.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	/* O_NOFOLLOW and fstat close the gap between the lstat and the open. */
	fd = open(full.ptr, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			err = appctl_error_input(rel, NULL,
				"is a symbolic link, not a file");
		else
			err = errno_error(rel, errno);
		goto cleanup;
	}
	if (fstat(fd, &st) < 0) {
		err = errno_error(rel, errno);
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode) ||
		(unsigned long long)st.st_size > APPCTL_JSON_MAX_BYTES) {
		err = appctl_error_new(APPCTL_ESYSTEM,
			"%s: changed while being read", rel);
		goto cleanup;
	}
	err = read_fd(&out->data, &out->len, fd, rel, (size_t)st.st_size);
	if (err)
		goto cleanup;
	out->path = strdup(rel);
	if (!out->path) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	out->mode = (st.st_mode & S_IXUSR) ? STORE_MODE_EXEC : STORE_MODE_FILE;
cleanup:
	if (err)
		store_file_dispose(out);
	if (fd >= 0)
		close(fd);
	appctl_strbuf_dispose(&full);
	return err;
}

static appctl_error *read_required(store_file *out, const char *dir,
	const char *rel, const char *why)
{
	appctl_error *err;
	int exists;

	err = read_file(out, &exists, dir, rel);
	if (!err && !exists)
		err = appctl_error_input(rel, NULL, "no such file%s", why);
	return err;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of `dir`/apps, sorted so errors come in a stable order. */
static appctl_error *list_apps(char ***out, size_t *count, const char *dir)
{
	appctl_error *err = NULL;
	appctl_strbuf full = APPCTL_STRBUF_INIT;
	DIR *d = NULL;
	struct dirent *ent;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	*out = NULL;
	*count = 0;
	appctl_strbuf_puts(&full, dir);
	appctl_strbuf_puts(&full, "apps");
	if (full.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	d = opendir(full.ptr);
	if (!d) {
		err = errno_error("apps", errno);
		goto cleanup;
	}
	for (;;) {
		errno = 0;
		ent = readdir(d);
		if (!ent) {
			if (errno)
				err = errno_error("apps", errno);
			break;
		}
		if (strcmp(ent->d_name, ".") == 0 ||
			strcmp(ent->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **grown;

			cap = cap ? cap * 2 : 16;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				err = appctl_error_nomem();
				break;
			}
			names = grown;
		}
		names[n] = strdup(ent->d_name);
		if (!names[n]) {
			err = appctl_error_nomem();
			break;
		}
		n++;
	}
	if (err)
		goto cleanup;
	if (n)
		qsort(names, n, sizeof(*names), compare_names);
	*out = names;
	*count = n;
	names = NULL;
cleanup:
	if (names) {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	if (d)
		closedir(d);
	appctl_strbuf_dispose(&full);
	return err;
}

static appctl_error *read_app(store_files *files, const char *dir,
	const char *name)
{
	appctl_error *err = NULL;
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	store_file f;
	struct stat st;
	int exists;

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
	err = lstat_rel(&st, &exists, dir, path.ptr);
	if (err)
		goto cleanup;
	if (!exists) {
		err = appctl_error_new(APPCTL_ESYSTEM,
			"%s: disappeared while being read", path.ptr);
		goto cleanup;
	}
	if (!S_ISDIR(st.st_mode)) {
		err = appctl_error_input(path.ptr, NULL, "is %s, not a folder",
			stat_kind(st.st_mode));
		goto cleanup;
	}
	appctl_strbuf_puts(&path, "/app.json");
	if (path.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = read_required(&f, dir, path.ptr, "");
	if (err)
		goto cleanup;
	err = store_files_add_app(files, name, f.path, f.data, f.len, f.mode,
		NULL);
cleanup:
	appctl_strbuf_dispose(&path);
	return err;
}

appctl_error *store_read_worktree_files(store_files *files, const char *dir)
{
	appctl_error *err = NULL;
	appctl_strbuf why = APPCTL_STRBUF_INIT;
	char *signers = NULL, **names = NULL, **scim_paths = NULL;
	appctl_arena *scratch = NULL;
	appctl_policy *where = NULL;
	size_t count = 0, i, scim_count = 0;
	struct stat st;
	int exists;

	err = read_required(&files->policy, dir, "appctl.json", "");
	if (err)
		goto cleanup;
	/* One scratch parse says where the signers and groups_from files are. */
	err = store_policy_scratch(&where, &scratch, &files->policy);
	if (!err)
		err = store_signers_path_of(&signers, where);
	if (err)
		goto cleanup;
	appctl_strbuf_puts(&why, " (appctl.json names it in \"signers\")");
	err = read_required(&files->signers, dir, signers,
		why.failed ? "" : why.ptr);
	if (err)
		goto cleanup;
	err = store_groups_from_paths_of(&scim_paths, &scim_count, where,
		files->policy.path);
	for (i = 0; !err && i < scim_count; i++) {
		store_file f;

		err = read_required(&f, dir, scim_paths[i],
			" (appctl.json names it in \"groups_from\")");
		if (!err)
			err = store_files_add_groups_from(files, &f);
	}
	if (err)
		goto cleanup;
	err = lstat_rel(&st, &exists, dir, "apps");
	if (err || !exists)
		goto cleanup;
	if (!S_ISDIR(st.st_mode)) {
		err = appctl_error_input("apps", NULL, "is %s, not a folder",
			stat_kind(st.st_mode));
		goto cleanup;
	}
	err = list_apps(&names, &count, dir);
	for (i = 0; !err && i < count; i++)
		err = read_app(files, dir, names[i]);
cleanup:
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	store_paths_free(scim_paths, scim_count);
	appctl_arena_free(scratch);
	free(signers);
	appctl_strbuf_dispose(&why);
	return err;
}

appctl_error *appctl_worktree_load_snapshot(appctl_snapshot **out,
	const char *dir)
{
	appctl_error *err = NULL;
	appctl_strbuf base = APPCTL_STRBUF_INIT;
	store_files files = STORE_FILES_INIT;

	*out = NULL;
	if (!dir || !*dir)
		dir = ".";
	appctl_strbuf_puts(&base, dir);
	if (dir[strlen(dir) - 1] != '/')
		appctl_strbuf_putc(&base, '/');
	if (base.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = store_read_worktree_files(&files, base.ptr);
	if (!err)
		err = store_files_parse(out, &files);
cleanup:
	store_files_dispose(&files);
	appctl_strbuf_dispose(&base);
	return err;
}

appctl_error *appctl_worktree_create_file(const char *dir, const char *rel,
	const char *data, size_t len)
{
	appctl_error *err = NULL;
	appctl_strbuf full = APPCTL_STRBUF_INIT;
	struct stat st;
	char *prefix = NULL, *slash;
	size_t done = 0;
	int fd = -1, exists;

	prefix = strdup(rel);
	if (!prefix)
		return appctl_error_nomem();
	/* Folders are made one by one, never followed through a link. */
	for (slash = strchr(prefix, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		err = lstat_rel(&st, &exists, dir, prefix);
		if (err)
			goto cleanup;
		appctl_strbuf_truncate(&full, 0);
		appctl_strbuf_puts(&full, dir);
		appctl_strbuf_puts(&full, prefix);
		if (full.failed) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		if (!exists && mkdir(full.ptr, 0777) != 0) {
			err = errno_error(prefix, errno);
			goto cleanup;
		}
		if (exists && !S_ISDIR(st.st_mode)) {
			err = appctl_error_input(prefix, NULL,
				"is %s, not a folder", stat_kind(st.st_mode));
			goto cleanup;
		}
		*slash = '/';
	}
	appctl_strbuf_truncate(&full, 0);
	appctl_strbuf_puts(&full, dir);
	appctl_strbuf_puts(&full, rel);
	if (full.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	fd = open(full.ptr, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		0666);
	if (fd < 0) {
		err = errno == EEXIST
			? appctl_error_new(APPCTL_EUSAGE, "%s already exists", rel)
			: errno_error(rel, errno);
		goto cleanup;
	}
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = errno_error(rel, n < 0 ? errno : EIO);
			break;
		}
		done += (size_t)n;
	}
	if (close(fd) != 0 && !err)
		err = errno_error(rel, errno);
	/* Nothing half-written: a failed write takes its file with it. */
	if (err)
		(void)unlink(full.ptr);
cleanup:
	appctl_strbuf_dispose(&full);
	free(prefix);
	return err;
}

void appctl_worktree_remove_file(const char *dir, const char *rel)
{
	appctl_strbuf full = APPCTL_STRBUF_INIT;
	char *slash;

	appctl_strbuf_puts(&full, dir);
	appctl_strbuf_puts(&full, rel);
	if (!full.failed && unlink(full.ptr) == 0) {
		slash = strrchr(full.ptr, '/');
		if (slash && slash > full.ptr + strlen(dir)) {
			*slash = '\0';
			(void)rmdir(full.ptr);  /* fails, as it should, when not empty */
		}
	}
	appctl_strbuf_dispose(&full);
}
