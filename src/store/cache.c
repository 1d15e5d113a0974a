/* cache.c: <gitdir>/appctl/cache: parsed apps by blob id and the diff's memo of an app's facts, so a diff re-reads only what it has not seen. */
/* dl_iterate_phdr, for the build id that keys the facts memo. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
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
 * Entries are sealed by model_cache.c: each says in its header what it is
 * (a parsed app or an app's facts), which blob or key it describes and how
 * long it is, and ends with a checksum. Many of them are written back to
 * back into one pack, <cache>/pack-<random>.<build>.p<format version>, one
 * per command that computed anything: a cold diff of a large org computes
 * hundreds of entries, and creating a file for each cost more than the
 * entries themselves. A pack is found again by walking its headers.
 *
 * A pack holds only what this very build parsed and computed (its name
 * says which build), so another build neither reads nor extends it; the
 * pruning removes it in time. Everything here is best effort: a pack that
 * cannot be read or written is a miss, never an error, and deleting the
 * folder is always safe.
 */

/* Above this many bytes, the oldest packs go until 3/4 of it is left. */
#define CACHE_MAX_BYTES (256ull * 1024 * 1024)
/* No entry of a 16 MiB definition comes near this: larger is damage. */
#define CACHE_MAX_ENTRY (64 * 1024 * 1024)
/* A hit refreshes its pack's time at most this often (pruning is LRU-ish). */
#define TOUCH_AFTER_S (24 * 3600)
/*
 * Packs read at most, the newest first. A command that writes while this
 * many or more are there merges them into one, so that looking an entry up
 * stays a handful of reads however many commands ran.
 */
#define MAX_PACKS 8

/* One pack of this build, open for reading. */
typedef struct pack {
	int fd;
	time_t mtime;
	off_t size;
	char name[64];
} pack;

/* Where one entry is: its pack (newest first) and its bytes there. */
typedef struct location {
	char kind;   /* 'M' a parsed app, 'F' an app's facts */
	char id[41];
	unsigned pack;
	off_t offset;
	size_t len;
} location;

struct store_cache {
	/*
	 * A twin's (appctl_repo_twin) reads through its parent's packs and
	 * index, which are not changed once listed, into a buffer of its own,
	 * and writes into its parent's pack.
	 */
	struct store_cache *root;
	int listed;           /* the packs were looked for */
	pack packs[MAX_PACKS];
	size_t pack_count;
	location *at;         /* sorted by kind, id, then pack */
	size_t at_count, at_cap;
	unsigned char *buf;   /* every entry read is read into this one */
	size_t cap;
	/*
	 * The pack this command writes: its entries go to a private file as
	 * they are made (a twin's too, under the lock), which becomes the pack
	 * when the repository is freed.
	 */
	pthread_mutex_t lock;
	int fd;               /* the private file, -1 before the first entry */
	appctl_strbuf tmp;    /* its path */
	size_t written;       /* bytes in it */
	int failed;           /* writing failed: no pack this time */
	int wrote;            /* a pack was written: prune */
};

/* Exactly `len` bytes of `fd` from `offset`; 0, or -1 on an error or a short file. */
static int read_at(int fd, unsigned char *buf, size_t len, off_t offset)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done,
			offset + (off_t)done);

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
static build_id the_build;

static void find_the_build(void)
{
	dl_iterate_phdr(find_build_id, &the_build);
}

static const char *this_build(void)
{
	/* Once per process, whichever thread of a diff asks first. */
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, find_the_build);
	return the_build.found ? the_build.hex : NULL;
}

/* ---- reading ---- */

/* "pack-XXXXXX.<build>.p<version>": a pack this build wrote. */
static int is_own_pack(const char *name, const char *build)
{
	char want[64];
	size_t n = strlen(name);

	snprintf(want, sizeof(want), ".%.16s.p%u", build,
		APPCTL_MODEL_CACHE_VERSION);
	return strncmp(name, "pack-", 5) == 0 && n == 5 + 6 + strlen(want) &&
		strcmp(name + 11, want) == 0;
}

static int location_cmp(const void *a, const void *b)
{
	const location *x = a, *y = b;
	int c = x->kind - y->kind;

	if (!c)
		c = strcmp(x->id, y->id);
	if (!c)
		c = x->pack < y->pack ? -1 : x->pack > y->pack;
	return c;
}

static int pack_newer(const void *a, const void *b)
{
	const pack *x = a, *y = b;

	return x->mtime > y->mtime ? -1 : x->mtime < y->mtime;
}

/* Appends where each entry of pack `index` is; stops at the first header that does not hold. */
static int walk_pack(struct store_cache *c, unsigned index)
{
	unsigned char header[APPCTL_MODEL_CACHE_HEADER_LEN];
	off_t offset = 0, size = c->packs[index].size;

	while (size - offset >= (off_t)sizeof(header)) {
		location l;

		if (read_at(c->packs[index].fd, header, sizeof(header),
			    offset) != 0 ||
		    appctl_model_cache_frame(header, sizeof(header), &l.kind,
			    l.id, &l.len) != 0 ||
		    l.len > CACHE_MAX_ENTRY || (off_t)l.len > size - offset)
			break;
		if (c->at_count == c->at_cap) {
			size_t grown_cap = c->at_cap ? c->at_cap * 2 : 256;
			location *grown = realloc(c->at,
				grown_cap * sizeof(*grown));

			if (!grown)
				return -1;
			c->at = grown;
			c->at_cap = grown_cap;
		}
		l.pack = index;
		l.offset = offset;
		c->at[c->at_count++] = l;
		offset += (off_t)l.len;
	}
	return 0;
}

/* Opens the newest packs of this build and indexes their entries, once. */
static void list_packs(struct store_cache *c, appctl_repo *repo)
{
	const char *build = this_build();
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	pack found[MAX_PACKS];
	size_t n = 0, i;
	struct dirent *de;
	DIR *dir;

	c->listed = 1;
	if (!build || cache_path(&path, repo, NULL) < 0 ||
	    !(dir = opendir(path.ptr))) {
		appctl_strbuf_dispose(&path);
		return;
	}
	while ((de = readdir(dir))) {
		struct stat st;
		int fd;

		if (!is_own_pack(de->d_name, build) ||
		    cache_path(&path, repo, de->d_name) < 0)
			continue;
		fd = open(path.ptr, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (unsigned long long)st.st_size > CACHE_MAX_BYTES) {
			close(fd);
			continue;
		}
		/* Past MAX_PACKS, the oldest found so far gives way. */
		if (n == MAX_PACKS) {
			size_t oldest = 0;

			for (i = 1; i < n; i++)
				if (found[i].mtime < found[oldest].mtime)
					oldest = i;
			if (found[oldest].mtime > st.st_mtime) {
				close(fd);
				continue;
			}
			close(found[oldest].fd);
			found[oldest] = found[--n];
		}
		found[n].fd = fd;
		found[n].mtime = st.st_mtime;
		found[n].size = st.st_size;
		/* Shorter than the name field: is_own_pack checked its length. */
		memcpy(found[n].name, de->d_name, strlen(de->d_name) + 1);
		n++;
	}
	closedir(dir);
	appctl_strbuf_dispose(&path);
	qsort(found, n, sizeof(*found), pack_newer);
	for (i = 0; i < n; i++) {
		size_t before = c->at_count;

		c->packs[c->pack_count] = found[i];
		if (walk_pack(c, (unsigned)c->pack_count) != 0) {
			/* None of its locations may name the next pack's slot. */
			c->at_count = before;
			close(found[i].fd);
			continue;
		}
		c->pack_count++;
	}
	if (c->at_count)
		qsort(c->at, c->at_count, sizeof(*c->at), location_cmp);
}

static struct store_cache *cache_of(appctl_repo *repo)
{
	struct store_cache *c = repo->cache;

	if (cache_disabled() || !this_build())
		return NULL;
	if (!c) {
		/* A twin's parent opened its cache before any twin ran. */
		if (repo->parent && !repo->parent->cache)
			return NULL;
		if (!(c = calloc(1, sizeof(*c))))
			return NULL;
		if (pthread_mutex_init(&c->lock, NULL) != 0) {
			free(c);
			return NULL;
		}
		c->fd = -1;
		if (repo->parent) {
			c->root = repo->parent->cache;
			c->listed = 1;
		}
		repo->cache = c;
	}
	if (!c->listed)
		list_packs(c, repo);
	return c;
}

int appctl_repo_cache_is_empty(appctl_repo *repo)
{
	struct store_cache *c = cache_of(repo);

	return !c || (c->root ? c->root : c)->at_count == 0;
}

/* The first location of (kind, id), or NULL. */
static const location *first_location(const struct store_cache *c, char kind,
	const char *id)
{
	size_t lo = 0, hi = c->at_count;
	location key;

	key.kind = kind;
	snprintf(key.id, sizeof(key.id), "%.40s", id);
	key.pack = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (location_cmp(&c->at[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->at_count && c->at[lo].kind == kind &&
		strcmp(c->at[lo].id, key.id) == 0 ? &c->at[lo] : NULL;
}

/* The next location of the same entry as `l` (another copy), or NULL. */
static const location *next_location(const struct store_cache *c,
	const location *l)
{
	const location *n = l + 1;

	return n < c->at + c->at_count && n->kind == l->kind &&
		strcmp(n->id, l->id) == 0 ? n : NULL;
}

/*
 * Reads the entry at `l` into c->buf: 0, or -1.
 *
 * Read into one buffer the cache keeps, neither mapped nor read into a
 * fresh one: unmapping (or freeing a buffer large enough for malloc to
 * map) flushes the TLB, and on a virtual machine that cost more than
 * decoding the entry. Decoders copy what they keep.
 */
static int read_location(struct store_cache *c, const location *l)
{
	const struct store_cache *ix = c->root ? c->root : c;

	if (l->len > c->cap) {
		unsigned char *grown = realloc(c->buf, l->len);

		if (!grown)
			return -1;
		c->buf = grown;
		c->cap = l->len;
	}
	return read_at(ix->packs[l->pack].fd, c->buf, l->len, l->offset);
}

/* A hit keeps its pack young for pruning, at most once a day. */
static void touch(struct store_cache *ix, pack *p)
{
	pthread_mutex_lock(&ix->lock);
	if (time(NULL) - p->mtime > TOUCH_AFTER_S) {
		(void)futimens(p->fd, NULL);
		p->mtime = time(NULL);
	}
	pthread_mutex_unlock(&ix->lock);
}

appctl_error *store_cache_load_app(appctl_app **out, appctl_arena *arena,
	appctl_repo *repo, const char *blob_id, const char *file_path,
	const char *dir)
{
	struct store_cache *c = cache_of(repo), *ix;
	const location *l;
	int rc = 0;

	*out = NULL;
	if (!c)
		return NULL;
	ix = c->root ? c->root : c;
	/* The same blob may be cached for several paths, and damaged in one pack. */
	for (l = first_location(ix, 'M', blob_id); l && rc != 1;
	     l = next_location(ix, l)) {
		if (read_location(c, l) != 0)
			continue;
		rc = appctl_model_cache_decode(out, arena, c->buf, l->len,
			blob_id, dir);
		if (rc < 0)
			return appctl_error_nomem();
		if (rc == 1 && (!(*out)->file ||
				strcmp((*out)->file, file_path) != 0)) {
			/* Decoded into the arena, but not this path: a miss all the same. */
			*out = NULL;
			rc = 0;
		}
		if (rc == 1)
			touch(ix, &ix->packs[l->pack]);
	}
	return NULL;
}

int appctl_repo_cache_load_facts(appctl_changes *out, appctl_repo *repo,
	const char *key, const char *app)
{
	struct store_cache *c = cache_of(repo), *ix;
	const location *l;
	int rc = 0;

	if (!c)
		return 0;
	ix = c->root ? c->root : c;
	for (l = first_location(ix, 'F', key); l && rc == 0;
	     l = next_location(ix, l)) {
		if (read_location(c, l) != 0)
			continue;
		rc = appctl_facts_cache_decode(out, c->buf, l->len, key, app);
		if (rc == 1)
			touch(ix, &ix->packs[l->pack]);
	}
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

/*
 * Adds a sealed entry to the pack this command writes; a twin's go to its
 * parent's, so that one command writes one pack whatever its threads.
 */
static void keep(appctl_repo *repo, unsigned char *data, size_t len)
{
	struct store_cache *c = cache_of(repo);
	appctl_strbuf dir = APPCTL_STRBUF_INIT;

	if (!c || !data || len > CACHE_MAX_ENTRY)
		goto done;
	if (c->root)
		c = c->root;
	pthread_mutex_lock(&c->lock);
	if (c->fd < 0 && !c->failed) {
		c->failed = make_dirs(&dir, repo) != 0;
		if (!c->failed)
			appctl_strbuf_printf(&c->tmp, "%s/tmp-XXXXXX", dir.ptr);
		if (!c->failed && !c->tmp.failed)
			c->fd = mkstemp(c->tmp.ptr);
		c->failed = c->fd < 0;
	}
	/* More than a pack may hold is not worth keeping at all. */
	if (!c->failed && c->written + len <= CACHE_MAX_BYTES / 2) {
		c->failed = write_all(c->fd, data, len) != 0;
		c->written += len;
	}
	pthread_mutex_unlock(&c->lock);
done:
	appctl_strbuf_dispose(&dir);
	free(data);
}

void store_cache_open(appctl_repo *repo)
{
	(void)cache_of(repo);
}

void store_cache_store_app(appctl_repo *repo, const appctl_app *app)
{
	unsigned char *data = NULL;
	size_t len = 0;

	if (strlen(app->blob_id) != 40 || !cache_of(repo))
		return;
	appctl_error_free(appctl_model_cache_encode(&data, &len, app));
	keep(repo, data, len);
}

void appctl_repo_cache_store_facts(appctl_repo *repo, const char *key,
	const char *app, const appctl_change *items, size_t count)
{
	unsigned char *data = NULL;
	size_t len = 0;

	if (strlen(key) != 40 || !cache_of(repo))
		return;
	appctl_error_free(appctl_facts_cache_encode(&data, &len, key, app,
		items, count));
	keep(repo, data, len);
}

/* ---- writing ---- */

/*
 * Copies every entry of the packs read whose checksum holds, one copy of
 * each, after this command's own: what a merge keeps. 0, or -1.
 */
static int append_packed(struct store_cache *c, int fd)
{
	char last_kind = 0, last_id[41] = "";
	unsigned char last_sum[8];
	size_t last_len = 0, i;

	for (i = 0; i < c->at_count; i++) {
		const location *l = &c->at[i];

		if (read_location(c, l) != 0 ||
		    !appctl_model_cache_intact(c->buf, l->len))
			continue;
		/* The same entry twice (sorted, so side by side): keep one. */
		if (l->kind == last_kind && l->len == last_len &&
		    strcmp(l->id, last_id) == 0 &&
		    memcmp(c->buf + l->len - 8, last_sum, 8) == 0)
			continue;
		if (write_all(fd, c->buf, l->len) != 0)
			return -1;
		last_kind = l->kind;
		last_len = l->len;
		memcpy(last_id, l->id, sizeof(last_id));
		memcpy(last_sum, c->buf + l->len - 8, 8);
	}
	return 0;
}

/*
 * Makes this command's private file a pack, whole: readers see a whole
 * pack or none. With MAX_PACKS packs already read, the new one holds
 * theirs too and they go.
 */
static void write_pack(struct store_cache *c, appctl_repo *repo)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	int ok = 0, merge = c->pack_count >= MAX_PACKS;
	size_t i, dir_len = c->tmp.len - strlen("/tmp-XXXXXX");

	/* The random part of the private name makes the pack's. */
	appctl_strbuf_printf(&path, "%.*s/pack-%s.%.16s.p%u", (int)dir_len,
		c->tmp.ptr, c->tmp.ptr + c->tmp.len - 6, this_build(),
		APPCTL_MODEL_CACHE_VERSION);
	if (c->failed || path.failed || (merge && append_packed(c, c->fd) != 0))
		goto cleanup;
	/* mkstemp makes 0600; the cache is as readable as the objects it mirrors. */
	(void)fchmod(c->fd, 0644);
	ok = close(c->fd) == 0;
	c->fd = -1;
	/*
	 * link, not rename: never replaces a pack that has the same name. A
	 * file system without hard links gets the rename.
	 */
	ok = ok && (link(c->tmp.ptr, path.ptr) == 0 ||
		((errno == EPERM || errno == ENOSYS || errno == EOPNOTSUPP) &&
		 rename(c->tmp.ptr, path.ptr) == 0));
	if (ok)
		c->wrote = 1;
	if (ok && merge)
		for (i = 0; i < c->pack_count; i++)
			if (cache_path(&path, repo, c->packs[i].name) == 0)
				(void)unlink(path.ptr);
cleanup:
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	(void)unlink(c->tmp.ptr);
	appctl_strbuf_dispose(&path);
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

void store_cache_close(appctl_repo *repo)
{
	struct store_cache *c = repo->cache;
	appctl_strbuf dir = APPCTL_STRBUF_INIT;
	size_t i;

	if (!c)
		return;
	if (c->fd >= 0)
		write_pack(c, repo);
	/* Once per command, and only when it grew the cache. */
	if (c->wrote && cache_path(&dir, repo, NULL) == 0)
		prune(dir.ptr);
	appctl_strbuf_dispose(&dir);
	/* A twin's pack_count is 0: the packs are its parent's. */
	for (i = 0; i < c->pack_count; i++)
		close(c->packs[i].fd);
	free(c->at);
	free(c->buf);
	appctl_strbuf_dispose(&c->tmp);
	pthread_mutex_destroy(&c->lock);
	free(c);
	repo->cache = NULL;
}
