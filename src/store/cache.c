/* cache.c: <gitdir>/appctl/cache: parsed apps by blob id and the diff's memo of an app's facts, so a diff re-reads only what it has not seen. */
/* dl_iterate_phdr, for the build id that keys the facts memo. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appctl/model_cache.h"
#include "appctl/store.h"
#include "appctl/strbuf.h"
#include "store_internal.h"

/*
 * Entries are named <blob id>.<build>.v<format version> (entry_name):
 * content-addressed, so an entry can only ever describe the one blob its
 * name says, and another build of appctl neither reads nor overwrites it
 * (pruning removes it in time). Everything here is best effort: a cache that cannot be read
 * or written is a miss, never an error, and deleting the folder is always
 * safe.
 */

/* Above this many bytes, the oldest entries go until 3/4 of it is left. */
#define CACHE_MAX_BYTES (256ull * 1024 * 1024)
/* No entry of a 16 MiB definition comes near this: larger is damage. */
#define CACHE_MAX_ENTRY (64 * 1024 * 1024)
/* A hit refreshes the entry's time at most this often (pruning is LRU-ish). */
#define TOUCH_AFTER_S (24 * 3600)

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

/* All of `data` to `fd`; 0, or -1. */
static int write_all(int fd, const unsigned char *data, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

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

/* ---- which build wrote an entry ---- */

typedef struct build_id {
	char hex[2 * 64 + 1];
	int found;
} build_id;

/* Takes the GNU build id note of the executable (the first object listed). */
static int find_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
	build_id *out = arg;
	size_t i, k;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
			const ElfW(Nhdr) *n = (const void *)p;
			size_t name = (n->n_namesz + 3u) & ~3u;
			size_t desc = (n->n_descsz + 3u) & ~3u;
			const unsigned char *d = p + sizeof(*n) + name;

			if ((size_t)(end - p) - sizeof(*n) < name + desc)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    memcmp(p + sizeof(*n), "GNU", 4) == 0 &&
			    n->n_descsz >= 8 && n->n_descsz <= 64) {
				for (k = 0; k < n->n_descsz; k++)
					snprintf(out->hex + 2 * k, 3, "%02x", d[k]);
				out->found = 1;
				return 1;
			}
			p += sizeof(*n) + name + desc;
		}
	}
	return 1;
}

/*
 * The GNU build id of this program in hex, or NULL when it carries none.
 * Entries are facts this very build's parser, diff and access code made,
 * which a format version cannot follow: keyed by the build, any other
 * build, even of one line more, never reads them.
 */
static const char *this_build(void)
{
	static build_id id;
	static int looked;

	if (!looked) {
		looked = 1;
		dl_iterate_phdr(find_build_id, &id);
	}
	return id.found ? id.hex : NULL;
}

/*
 * <blob id>.<build>.v<version> for a parsed app, <key>.f<version> for an
 * app's facts (its key covers the build). 0, or -1 when this program
 * carries no build id: then nothing is cached.
 */
static int entry_name(char *out, size_t size, const char *id, char kind)
{
	const char *build = this_build();

	if (!build)
		return -1;
	if (kind == 'v')
		snprintf(out, size, "%.40s.%.16s.v%u", id, build,
			APPCTL_MODEL_CACHE_VERSION);
	else
		snprintf(out, size, "%.40s.f%u", id, APPCTL_MODEL_CACHE_VERSION);
	return 0;
}

/*
 * Opens entry `name` and reads it whole into repo->cache_buf: its length in
 * *len and its time in *mtime. Returns the open descriptor (the caller
 * closes it), or -1 on any miss.
 *
 * Read into one buffer the repository keeps, neither mapped nor read into
 * a fresh one: unmapping (or freeing a buffer large enough for malloc to
 * map) flushes the TLB, and on a virtual machine that cost more than
 * decoding the entry. Decoders copy what they keep.
 */
static int read_entry(appctl_repo *repo, const char *name, size_t *len,
	time_t *mtime)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	struct stat st;
	int fd = -1;

	if (cache_disabled() || cache_path(&path, repo, name) < 0)
		goto miss;
	fd = open(path.ptr, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > CACHE_MAX_ENTRY)
		goto miss;
	*len = (size_t)st.st_size;
	*mtime = st.st_mtime;
	if (*len > repo->cache_cap) {
		unsigned char *grown = realloc(repo->cache_buf, *len);

		if (!grown)
			goto miss;
		repo->cache_buf = grown;
		repo->cache_cap = *len;
	}
	if (read_all(fd, repo->cache_buf, *len) != 0)
		goto miss;
	appctl_strbuf_dispose(&path);
	return fd;
miss:
	if (fd >= 0)
		close(fd);
	appctl_strbuf_dispose(&path);
	return -1;
}

/* A hit keeps its entry young for pruning, at most once a day. */
static void touch(int fd, time_t mtime)
{
	if (time(NULL) - mtime > TOUCH_AFTER_S)
		(void)futimens(fd, NULL);
}

appctl_error *store_cache_load_app(appctl_app **out, appctl_arena *arena,
	appctl_repo *repo, const char *blob_id, const char *file_path,
	const char *dir)
{
	char name[64];
	size_t len = 0;
	time_t mtime = 0;
	int fd, rc;

	*out = NULL;
	if (entry_name(name, sizeof(name), blob_id, 'v') < 0)
		return NULL;
	fd = read_entry(repo, name, &len, &mtime);
	if (fd < 0)
		return NULL;
	rc = appctl_model_cache_decode(out, arena, repo->cache_buf, len,
		blob_id, dir);
	if (rc == 1 && (!(*out)->file || strcmp((*out)->file, file_path) != 0)) {
		/* Decoded into the arena, but not this path: a miss all the same. */
		*out = NULL;
		rc = 0;
	}
	if (rc == 1)
		touch(fd, mtime);
	close(fd);
	return rc < 0 ? appctl_error_nomem() : NULL;
}

int appctl_repo_cache_load_facts(appctl_changes *out, appctl_repo *repo,
	const char *key, const char *app)
{
	char name[64];
	size_t len = 0;
	time_t mtime = 0;
	int fd, rc;

	if (entry_name(name, sizeof(name), key, 'f') < 0)
		return 0;
	fd = read_entry(repo, name, &len, &mtime);
	if (fd < 0)
		return 0;
	rc = appctl_facts_cache_decode(out, repo->cache_buf, len, key, app);
	if (rc == 1)
		touch(fd, mtime);
	close(fd);
	return rc;
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

/* Writes entry `name` whole under a private name, then renames it: readers see all or nothing. */
static void write_entry(appctl_repo *repo, const char *name,
	const unsigned char *data, size_t len)
{
	appctl_strbuf dir = APPCTL_STRBUF_INIT, tmp = APPCTL_STRBUF_INIT,
		path = APPCTL_STRBUF_INIT;
	int fd = -1, ok = 0, created = 0;

	if (make_dirs(&dir, repo) < 0)
		goto cleanup;
	appctl_strbuf_printf(&tmp, "%s/tmp-XXXXXX", dir.ptr);
	appctl_strbuf_printf(&path, "%s/%s", dir.ptr, name);
	if (tmp.failed || path.failed)
		goto cleanup;
	fd = mkstemp(tmp.ptr);
	if (fd < 0)
		goto cleanup;
	created = 1;
	if (write_all(fd, data, len) != 0)
		goto cleanup;
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
	appctl_strbuf_dispose(&tmp);
	appctl_strbuf_dispose(&path);
	appctl_strbuf_dispose(&dir);
}

void store_cache_store_app(appctl_repo *repo, const appctl_app *app)
{
	unsigned char *data = NULL;
	size_t len = 0;
	char name[64];

	if (cache_disabled() || strlen(app->blob_id) != 40)
		return;
	appctl_error_free(appctl_model_cache_encode(&data, &len, app));
	if (!data)
		return;
	if (entry_name(name, sizeof(name), app->blob_id, 'v') == 0)
		write_entry(repo, name, data, len);
	free(data);
}

void appctl_repo_cache_store_facts(appctl_repo *repo, const char *key,
	const char *app, const appctl_change *items, size_t count)
{
	unsigned char *data = NULL;
	size_t len = 0;
	char name[64];

	if (cache_disabled() || strlen(key) != 40)
		return;
	appctl_error_free(appctl_facts_cache_encode(&data, &len, key, app,
		items, count));
	if (!data)
		return;
	if (entry_name(name, sizeof(name), key, 'f') == 0)
		write_entry(repo, name, data, len);
	free(data);
}

int appctl_repo_facts_key(char out[41], const char *material, size_t len)
{
	const char *build = this_build();
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	git_oid oid;
	int rc = -1;

	if (!build)
		return -1;
	appctl_strbuf_printf(&b, "appctl facts %u\nbuild %s\n",
		APPCTL_MODEL_CACHE_VERSION, build);
	appctl_strbuf_add(&b, material, len);
	if (!b.failed &&
	    git_odb_hash(&oid, b.ptr, b.len, GIT_OBJECT_BLOB) == 0) {
		git_oid_tostr(out, 41, &oid);
		rc = 0;
	}
	appctl_strbuf_dispose(&b);
	return rc;
}

void store_cache_prune(appctl_repo *repo)
{
	appctl_strbuf dir = APPCTL_STRBUF_INIT;

	if (!cache_disabled() && cache_path(&dir, repo, NULL) == 0)
		prune(dir.ptr);
	appctl_strbuf_dispose(&dir);
}
