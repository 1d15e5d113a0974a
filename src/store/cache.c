/* cache.c: <gitdir>/appctl/cache, parsed apps by blob id, so a diff re-parses only blobs it has not seen. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appctl/model_cache.h"
#include "appctl/strbuf.h"
#include "store_internal.h"

/*
 * Entries are named <blob id>.v<format version>: content-addressed, so an
 * entry can only ever describe the one blob its name says, and an appctl of
 * another format version neither reads nor overwrites it (pruning removes
 * it in time). Everything here is best effort: a cache that cannot be read
 * or written is a miss, never an error, and deleting the folder is always
 * safe.
 */

/* Above this many bytes, the oldest entries go until 3/4 of it is left. */
#define CACHE_MAX_BYTES (256ull * 1024 * 1024)
/* No entry of a 16 MiB definition comes near this: larger is damage. */
#define CACHE_MAX_ENTRY (64 * 1024 * 1024)
/* A hit refreshes the entry's time at most this often (pruning is LRU-ish). */
#define TOUCH_AFTER_S (24 * 3600)

static int cache_disabled(void)
{
	const char *v = getenv("APPCTL_NO_CACHE");

	return v && *v && strcmp(v, "0") != 0;
}

/* <gitdir>/appctl/cache, with `name` appended after a slash when given. */
static int cache_path(appctl_strbuf *b, appctl_repo *repo, const char *name)
{
	const char *gitdir = appctl_repo_gitdir(repo);
	size_t len = strlen(gitdir);

	appctl_strbuf_truncate(b, 0);
	appctl_strbuf_printf(b, "%.*s/appctl/cache", (int)(len &&
		gitdir[len - 1] == '/' ? len - 1 : len), gitdir);
	if (name)
		appctl_strbuf_printf(b, "/%s", name);
	return b->failed ? -1 : 0;
}

static void entry_name(char *out, size_t size, const char *blob_id)
{
	snprintf(out, size, "%.40s.v%u", blob_id, APPCTL_MODEL_CACHE_VERSION);
}

/* Exactly `len` bytes from `fd`, 0; -1 on an error or a short file. */
static int read_all(int fd, unsigned char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

appctl_error *store_cache_load_app(appctl_app **out, appctl_arena *arena,
	appctl_repo *repo, const char *blob_id, const char *file_path,
	const char *dir)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	char name[64];
	const unsigned char *data;
	size_t got = 0;
	struct stat st;
	int fd = -1, rc = 0;

	*out = NULL;
	if (cache_disabled())
		return NULL;
	entry_name(name, sizeof(name), blob_id);
	if (cache_path(&path, repo, name) < 0)
		goto done;
	fd = open(path.ptr, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > CACHE_MAX_ENTRY)
		goto done;
	/*
	 * Read into one buffer the repository keeps, neither mapped nor read
	 * into a fresh one: unmapping (or freeing a buffer large enough for
	 * malloc to map) flushes the TLB, and on a virtual machine that cost
	 * more than decoding the entry. The decoder copies what it keeps.
	 */
	got = (size_t)st.st_size;
	if (got > repo->cache_cap) {
		unsigned char *grown = realloc(repo->cache_buf, got);

		if (!grown)
			goto done;
		repo->cache_buf = grown;
		repo->cache_cap = got;
	}
	if (read_all(fd, repo->cache_buf, got) != 0)
		goto done;
	data = repo->cache_buf;
	rc = appctl_model_cache_decode(out, arena, data, got, blob_id, dir);
	if (rc == 1 && (!(*out)->file || strcmp((*out)->file, file_path) != 0)) {
		/* Decoded into the arena, but not this path: a miss all the same. */
		*out = NULL;
		rc = 0;
	}
	if (rc == 1 && time(NULL) - st.st_mtime > TOUCH_AFTER_S)
		(void)futimens(fd, NULL);
done:
	if (fd >= 0)
		close(fd);
	appctl_strbuf_dispose(&path);
	return rc < 0 ? appctl_error_nomem() : NULL;
}

/* Removes the oldest entries while the folder holds more than the limit. */
static void prune(const char *dir_path)
{
	DIR *dir = opendir(dir_path);
	struct dirent *de;
	struct item { char name[64]; time_t mtime; off_t size; } *items = NULL;
	size_t n = 0, cap = 0, i;
	unsigned long long total = 0;
	appctl_strbuf p = APPCTL_STRBUF_INIT;
	time_t now = time(NULL);

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		struct stat st;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= 64)
			continue;
		appctl_strbuf_truncate(&p, 0);
		appctl_strbuf_printf(&p, "%s/%s", dir_path, de->d_name);
		if (p.failed || lstat(p.ptr, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		/* A writer that died between write and rename left this. */
		if (strncmp(de->d_name, "tmp-", 4) == 0) {
			if (now - st.st_mtime > 3600)
				(void)unlink(p.ptr);
			continue;
		}
		if (n == cap) {
			size_t grown_cap = cap ? cap * 2 : 256;
			struct item *grown = realloc(items, grown_cap * sizeof(*grown));

			if (!grown)
				break;
			items = grown;
			cap = grown_cap;
		}
		/* Shorter than 64 bytes: checked above. */
		memcpy(items[n].name, de->d_name, strlen(de->d_name) + 1);
		items[n].mtime = st.st_mtime;
		items[n].size = st.st_size;
		total += (unsigned long long)st.st_size;
		n++;
	}
	closedir(dir);
	/* Pruning is rare and the folder small: a scan per removal will do. */
	while (total > CACHE_MAX_BYTES && n) {
		size_t oldest = 0;

		for (i = 1; i < n; i++)
			if (items[i].mtime < items[oldest].mtime)
				oldest = i;
		appctl_strbuf_truncate(&p, 0);
		appctl_strbuf_printf(&p, "%s/%s", dir_path, items[oldest].name);
		if (!p.failed)
			(void)unlink(p.ptr);
		total -= (unsigned long long)items[oldest].size;
		items[oldest] = items[--n];
		if (total <= CACHE_MAX_BYTES / 4 * 3)
			break;
	}
	free(items);
	appctl_strbuf_dispose(&p);
}

/* Creates <gitdir>/appctl/cache (and <gitdir>/appctl) when missing. */
static int make_dirs(appctl_strbuf *b, appctl_repo *repo)
{
	size_t len;

	if (cache_path(b, repo, NULL) < 0)
		return -1;
	len = b->len;
	appctl_strbuf_truncate(b, len - strlen("/cache"));
	if (mkdir(b->ptr, 0777) != 0 && errno != EEXIST)
		return -1;
	appctl_strbuf_puts(b, "/cache");
	if (b->failed || (mkdir(b->ptr, 0777) != 0 && errno != EEXIST))
		return -1;
	return 0;
}

void store_cache_store_app(appctl_repo *repo, const appctl_app *app)
{
	appctl_strbuf dir = APPCTL_STRBUF_INIT, tmp = APPCTL_STRBUF_INIT,
		path = APPCTL_STRBUF_INIT;
	unsigned char *data = NULL;
	size_t len = 0, done = 0;
	char name[64];
	int fd = -1, ok = 0, created = 0;

	if (cache_disabled() || strlen(app->blob_id) != 40)
		return;
	if (make_dirs(&dir, repo) < 0)
		goto cleanup;
	appctl_error_free(appctl_model_cache_encode(&data, &len, app));
	if (!data)
		goto cleanup;
	/* Written whole under a private name, then renamed: readers see all or nothing. */
	appctl_strbuf_printf(&tmp, "%s/tmp-XXXXXX", dir.ptr);
	entry_name(name, sizeof(name), app->blob_id);
	appctl_strbuf_printf(&path, "%s/%s", dir.ptr, name);
	if (tmp.failed || path.failed)
		goto cleanup;
	fd = mkstemp(tmp.ptr);
	if (fd < 0)
		goto cleanup;
	created = 1;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto cleanup;
		done += (size_t)n;
	}
	/* mkstemp makes 0600; the cache is as readable as the objects it mirrors. */
	(void)fchmod(fd, 0644);
	if (close(fd) != 0) {
		fd = -1;
		goto cleanup;
	}
	fd = -1;
	ok = rename(tmp.ptr, path.ptr) == 0;
	if (ok)
		repo->cache_writes++;
cleanup:
	if (fd >= 0)
		close(fd);
	if (!ok && created)
		(void)unlink(tmp.ptr);
	free(data);
	appctl_strbuf_dispose(&tmp);
	appctl_strbuf_dispose(&path);
	appctl_strbuf_dispose(&dir);
}

void store_cache_prune(appctl_repo *repo)
{
	appctl_strbuf dir = APPCTL_STRBUF_INIT;

	if (!cache_disabled() && cache_path(&dir, repo, NULL) == 0)
		prune(dir.ptr);
	appctl_strbuf_dispose(&dir);
}
