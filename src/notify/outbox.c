/* outbox.c: undelivered webhooks as files in <gitdir>/appctl/outbox, written atomically. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appctl/json.h"
#include "notify_internal.h"

#define OUTBOX_VERSION 1
#define DISABLED_FILE "disabled.json"
#define DISABLED_LOCK "disabled.lock"

void notify_now_iso(char buf[21])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static appctl_error *sys_error(const char *what, const char *path)
{
	return appctl_error_new(APPCTL_ESYSTEM, "%s '%s': %s", what, path,
		strerror(errno));
}

/* A new directory entry is durable only once its directory is fsynced. */
static appctl_error *fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	appctl_error *err = NULL;

	if (fd < 0)
		return sys_error("cannot open directory", path);
	if (fsync(fd) != 0)
		err = sys_error("cannot sync directory", path);
	close(fd);
	return err;
}

static appctl_error *make_dir(const char *path, const char *parent)
{
	if (mkdir(path, 0777) == 0)
		return fsync_dir(parent);
	if (errno == EEXIST) {
		struct stat st;

		/* Never follow a link planted where the outbox belongs. */
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return NULL;
		errno = ENOTDIR;
	}
	return sys_error("cannot create directory", path);
}

appctl_error *notify_outbox_dir(appctl_strbuf *path, const char *gitdir,
	int create)
{
	appctl_strbuf parent = APPCTL_STRBUF_INIT;
	size_t len = strlen(gitdir);
	appctl_error *err = NULL;

	while (len > 1 && gitdir[len - 1] == '/')
		len--;
	appctl_strbuf_add(&parent, gitdir, len);
	appctl_strbuf_puts(&parent, "/appctl");
	appctl_strbuf_add(path, parent.ptr ? parent.ptr : "", parent.len);
	appctl_strbuf_puts(path, "/outbox");
	if (parent.failed || path->failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	if (!create)
		goto cleanup;
	{
		char *git_only = strndup(gitdir, len);

		if (!git_only) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		err = make_dir(parent.ptr, git_only);
		free(git_only);
	}
	if (!err)
		err = make_dir(path->ptr, parent.ptr);
cleanup:
	appctl_strbuf_dispose(&parent);
	return err;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * dir/name holds `data` afterwards, or (after a crash or error) what it
 * held before: temporary file, fsync, rename over, fsync the directory.
 */
static appctl_error *write_atomic(const char *dir, const char *name,
	const char *data, size_t len)
{
	appctl_strbuf tmp = APPCTL_STRBUF_INIT, final = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	int fd = -1;

	appctl_strbuf_printf(&tmp, "%s/.tmp-%ld-%s", dir, (long)getpid(), name);
	appctl_strbuf_printf(&final, "%s/%s", dir, name);
	if (tmp.failed || final.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		0600);
	if (fd < 0) {
		err = sys_error("cannot create", tmp.ptr);
		goto cleanup;
	}
	if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		err = sys_error("cannot write", tmp.ptr);
		goto cleanup;
	}
	if (close(fd) != 0) {
		fd = -1;
		err = sys_error("cannot write", tmp.ptr);
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp.ptr, final.ptr) != 0) {
		err = sys_error("cannot rename to", final.ptr);
		goto cleanup;
	}
	err = fsync_dir(dir);
cleanup:
	if (fd >= 0)
		close(fd);
	if (err && tmp.ptr)
		unlink(tmp.ptr);
	appctl_strbuf_dispose(&tmp);
	appctl_strbuf_dispose(&final);
	return err;
}

/* Reads a regular file of at most 16 MiB; *data NULL when it does not exist. */
static appctl_error *read_file(char **data, size_t *len, const char *path)
{
	appctl_strbuf buf = APPCTL_STRBUF_INIT;
	char chunk[16384];
	struct stat st;
	appctl_error *err = NULL;
	ssize_t n;
	int fd;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return NULL;
		return sys_error("cannot open", path);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)APPCTL_JSON_MAX_BYTES) {
		err = appctl_error_new(APPCTL_EINPUT,
			"'%s' is not a regular file of at most 16 MiB", path);
		goto cleanup;
	}
	appctl_strbuf_puts(&buf, "");
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = sys_error("cannot read", path);
			goto cleanup;
		}
		appctl_strbuf_add(&buf, chunk, (size_t)n);
		if (buf.len > APPCTL_JSON_MAX_BYTES) {
			err = appctl_error_new(APPCTL_EINPUT,
				"'%s' is larger than 16 MiB", path);
			goto cleanup;
		}
	}
	*len = buf.len;
	*data = appctl_strbuf_detach(&buf);
	if (!*data)
		err = appctl_error_nomem();
cleanup:
	appctl_strbuf_dispose(&buf);
	close(fd);
	return err;
}

/* ---- entries ---- */

static int add_str(cJSON *o, const char *key, const char *value)
{
	return !value || cJSON_AddStringToObject(o, key, value) ? 0 : -1;
}

static int add_num(cJSON *o, const char *key, int64_t value)
{
	return cJSON_AddNumberToObject(o, key, (double)value) ? 0 : -1;
}

static appctl_error *entry_format(char **out, const appctl_outbox_entry *e)
{
	appctl_strbuf buf = APPCTL_STRBUF_INIT;
	cJSON *o = cJSON_CreateObject();
	appctl_error *err = NULL;

	*out = NULL;
	if (!o || add_num(o, "appctl_outbox", OUTBOX_VERSION) ||
	    add_str(o, "id", e->id) || add_str(o, "url", e->url) ||
	    add_str(o, "event", e->event) || add_str(o, "event_id", e->event_id) ||
	    add_str(o, "secret", e->secret) ||
	    add_num(o, "timeout_s", e->timeout_s) ||
	    add_str(o, "body", e->body) || add_num(o, "attempts", e->attempts) ||
	    add_str(o, "created", e->created) ||
	    add_str(o, "last_attempt", e->last_attempt) ||
	    (e->last_status && add_num(o, "last_status", e->last_status)) ||
	    add_str(o, "last_error", e->last_error) ||
	    !cJSON_AddBoolToObject(o, "failed", e->failed ? 1 : 0)) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	appctl_json_canonical(&buf, o);
	appctl_strbuf_putc(&buf, '\n');
	*out = appctl_strbuf_detach(&buf);
	if (!*out)
		err = appctl_error_nomem();
cleanup:
	appctl_strbuf_dispose(&buf);
	cJSON_Delete(o);
	return err;
}

appctl_error *appctl_outbox_write(const char *gitdir,
	const appctl_outbox_entry *entry)
{
	appctl_strbuf dir = APPCTL_STRBUF_INIT, name = APPCTL_STRBUF_INIT;
	char *text = NULL;
	appctl_error *err;

	if (!appctl_notify_id_is_valid(entry->id))
		return appctl_error_new(APPCTL_EINPUT,
			"'%s' is not a webhook id", entry->id);
	err = entry_format(&text, entry);
	if (!err)
		err = notify_outbox_dir(&dir, gitdir, 1);
	if (err)
		goto cleanup;
	appctl_strbuf_printf(&name, "%s.json", entry->id);
	if (name.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = write_atomic(dir.ptr, name.ptr, text, strlen(text));
cleanup:
	free(text);
	appctl_strbuf_dispose(&dir);
	appctl_strbuf_dispose(&name);
	return err;
}

appctl_error *appctl_outbox_remove(int *found, const char *gitdir,
	const char *id)
{
	appctl_strbuf dir = APPCTL_STRBUF_INIT, path = APPCTL_STRBUF_INIT;
	appctl_error *err;

	*found = 0;
	if (!appctl_notify_id_is_valid(id))
		return NULL;
	err = notify_outbox_dir(&dir, gitdir, 0);
	if (err)
		goto cleanup;
	appctl_strbuf_printf(&path, "%s/%s.json", dir.ptr, id);
	if (path.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	if (unlink(path.ptr) != 0) {
		if (errno != ENOENT)
			err = sys_error("cannot remove", path.ptr);
		goto cleanup;
	}
	*found = 1;
	err = fsync_dir(dir.ptr);
cleanup:
	appctl_strbuf_dispose(&dir);
	appctl_strbuf_dispose(&path);
	return err;
}

/* Arena copy of an optional string member; -1 on a wrong type or no memory. */
static int get_string(const char **out, appctl_arena *arena,
	const cJSON *o, const char *key, int required)
{
	const cJSON *v = appctl_json_get(o, key);

	*out = NULL;
	if (!v)
		return required ? -1 : 0;
	if (!cJSON_IsString(v))
		return -1;
	*out = appctl_arena_strdup(arena, v->valuestring);
	return *out ? 0 : -1;
}

static int get_integer(int64_t *out, const cJSON *o, const char *key,
	int required)
{
	const cJSON *v = appctl_json_get(o, key);

	*out = 0;
	if (!v)
		return required ? -1 : 0;
	return appctl_json_integer(v, out) ? 0 : -1;
}

/*
 * Entries are files appctl wrote, but they sit in a directory anyone with
 * access to the repository can edit: read them strictly.
 */
static const char *entry_parse(appctl_outbox_entry *e, appctl_arena *arena,
	const char *name, const char *data, size_t len, const char *stem)
{
	cJSON *root = NULL;
	appctl_error *err;
	const cJSON *failed;
	const char *id = NULL, *why = NULL;
	int64_t version;

	memset(e, 0, sizeof(*e));
	err = appctl_json_parse(&root, name, data, len);
	if (err) {
		why = appctl_arena_strdup(arena, err->message);
		appctl_error_free(err);
		return why ? why : "out of memory";
	}
	if (!cJSON_IsObject(root) ||
	    get_integer(&version, root, "appctl_outbox", 1) ||
	    version != OUTBOX_VERSION ||
	    get_string(&id, arena, root, "id", 1) ||
	    get_string(&e->url, arena, root, "url", 1) ||
	    get_string(&e->event, arena, root, "event", 1) ||
	    get_string(&e->event_id, arena, root, "event_id", 1) ||
	    get_string(&e->secret, arena, root, "secret", 0) ||
	    get_integer(&e->timeout_s, root, "timeout_s", 1) ||
	    get_string(&e->body, arena, root, "body", 1) ||
	    get_integer(&e->attempts, root, "attempts", 1) ||
	    get_string(&e->created, arena, root, "created", 1) ||
	    get_string(&e->last_attempt, arena, root, "last_attempt", 0) ||
	    get_integer(&e->last_status, root, "last_status", 0) ||
	    get_string(&e->last_error, arena, root, "last_error", 0)) {
		why = "missing or mistyped fields";
		goto cleanup;
	}
	if (strcmp(id, stem) != 0 || strlen(id) >= sizeof(e->id)) {
		why = "its id does not match its file name";
		goto cleanup;
	}
	if (e->timeout_s < 1 || e->timeout_s > 300) {
		why = "timeout_s is out of range";
		goto cleanup;
	}
	memcpy(e->id, id, strlen(id) + 1);
	e->body_len = strlen(e->body);
	failed = appctl_json_get(root, "failed");
	e->failed = cJSON_IsTrue(failed);
cleanup:
	cJSON_Delete(root);
	return why;
}

static int entry_cmp(const void *a, const void *b)
{
	const appctl_outbox_entry *x = a, *y = b;
	int c = strcmp(x->created, y->created);

	return c ? c : strcmp(x->id, y->id);
}

static int disabled_cmp(const void *a, const void *b)
{
	const appctl_notify_disabled *x = a, *y = b;

	return strcmp(x->url, y->url);
}

/* Parses disabled.json: {"<url>": {"id", "status", "time"}, ...}. */
static appctl_error *disabled_parse(appctl_outbox *box, const char *path,
	const char *data, size_t len)
{
	cJSON *root = NULL;
	const cJSON *item;
	appctl_error *err;
	size_t n = 0;

	err = appctl_json_parse(&root, path, data, len);
	if (err)
		return err;
	if (!cJSON_IsObject(root)) {
		err = appctl_error_input(path, "$", "expected an object");
		goto cleanup;
	}
	for (item = root->child; item; item = item->next)
		n++;
	box->disabled = appctl_arena_calloc(box->arena, n ? n : 1,
		sizeof(*box->disabled));
	if (!box->disabled) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	for (item = root->child; item; item = item->next) {
		appctl_notify_disabled *d = &box->disabled[box->disabled_count];

		if (!cJSON_IsObject(item) ||
		    get_string(&d->time, box->arena, item, "time", 0) ||
		    get_string(&d->id, box->arena, item, "id", 0) ||
		    get_integer(&d->status, item, "status", 0)) {
			err = appctl_error_input(path, "$",
				"malformed entry for '%s'", item->string);
			goto cleanup;
		}
		d->url = appctl_arena_strdup(box->arena, item->string);
		if (!d->url) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		box->disabled_count++;
	}
	qsort(box->disabled, box->disabled_count, sizeof(*box->disabled),
		disabled_cmp);
cleanup:
	cJSON_Delete(root);
	return err;
}

static appctl_error *read_disabled(appctl_outbox *box, const char *dir)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	char *data = NULL;
	size_t len = 0;
	appctl_error *err;

	appctl_strbuf_printf(&path, "%s/%s", dir, DISABLED_FILE);
	if (path.failed)
		return appctl_error_nomem();
	err = read_file(&data, &len, path.ptr);
	if (!err && data)
		err = disabled_parse(box, path.ptr, data, len);
	free(data);
	appctl_strbuf_dispose(&path);
	return err;
}

/* True for "<webhook-id>.json"; the stem goes to `stem`. */
static int entry_file_name(char stem[APPCTL_NOTIFY_ID_SIZE], const char *name)
{
	size_t n = strlen(name);

	if (n <= 5 || n - 5 >= APPCTL_NOTIFY_ID_SIZE ||
	    strcmp(name + n - 5, ".json") != 0)
		return 0;
	memcpy(stem, name, n - 5);
	stem[n - 5] = '\0';
	return appctl_notify_id_is_valid(stem);
}

static appctl_error *read_entries(appctl_outbox *box, const char *dir)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0, broken_cap = 0;
	appctl_error *err = NULL;

	if (!d)
		return errno == ENOENT ? NULL : sys_error("cannot read", dir);
	while ((de = readdir(d)) != NULL) {
		char stem[APPCTL_NOTIFY_ID_SIZE], *data = NULL;
		const char *why = NULL;
		size_t len = 0;

		if (!entry_file_name(stem, de->d_name))
			continue;
		if (box->count == cap) {
			appctl_outbox_entry *grown;

			cap = cap ? 2 * cap : 16;
			grown = appctl_arena_calloc(box->arena, cap, sizeof(*grown));
			if (!grown) {
				err = appctl_error_nomem();
				goto cleanup;
			}
			if (box->count)
				memcpy(grown, box->entries,
					box->count * sizeof(*grown));
			box->entries = grown;
		}
		appctl_strbuf_truncate(&path, 0);
		appctl_strbuf_printf(&path, "%s/%s", dir, de->d_name);
		if (path.failed) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		err = read_file(&data, &len, path.ptr);
		if (err) {
			why = appctl_arena_strdup(box->arena, err->message);
			appctl_error_free(err);
			err = NULL;
		} else if (!data) {
			continue; /* removed meanwhile (a concurrent flush) */
		} else {
			why = entry_parse(&box->entries[box->count], box->arena,
				de->d_name, data, len, stem);
		}
		free(data);
		if (!why) {
			box->count++;
			continue;
		}
		if (box->broken_count == broken_cap) {
			const char **grown;

			broken_cap = broken_cap ? 2 * broken_cap : 4;
			grown = appctl_arena_calloc(box->arena, broken_cap,
				sizeof(*grown));
			if (!grown) {
				err = appctl_error_nomem();
				goto cleanup;
			}
			if (box->broken_count)
				memcpy(grown, box->broken,
					box->broken_count * sizeof(*grown));
			box->broken = grown;
		}
		box->broken[box->broken_count] = appctl_arena_printf(box->arena,
			"%s: %s", de->d_name, why);
		if (!box->broken[box->broken_count++]) {
			err = appctl_error_nomem();
			goto cleanup;
		}
	}
	if (box->count)
		qsort(box->entries, box->count, sizeof(*box->entries), entry_cmp);
cleanup:
	closedir(d);
	appctl_strbuf_dispose(&path);
	return err;
}

appctl_error *appctl_outbox_read(appctl_outbox **out, const char *gitdir)
{
	appctl_strbuf dir = APPCTL_STRBUF_INIT;
	appctl_outbox *box = NULL;
	appctl_arena *arena;
	appctl_error *err;

	*out = NULL;
	arena = appctl_arena_new();
	if (!arena)
		return appctl_error_nomem();
	box = appctl_arena_calloc(arena, 1, sizeof(*box));
	if (!box) {
		appctl_arena_free(arena);
		return appctl_error_nomem();
	}
	box->arena = arena;
	err = notify_outbox_dir(&dir, gitdir, 0);
	if (!err)
		err = read_entries(box, dir.ptr);
	if (!err)
		err = read_disabled(box, dir.ptr);
	if (err)
		goto cleanup;
	*out = box;
	box = NULL;
cleanup:
	appctl_outbox_free(box);
	appctl_strbuf_dispose(&dir);
	return err;
}

void appctl_outbox_free(appctl_outbox *outbox)
{
	if (outbox)
		appctl_arena_free(outbox->arena);
}

/* ---- disabled endpoints ---- */

/*
 * Updates of disabled.json are read-modify-write: a lock file keeps two
 * commands that both saw a 410 from losing one of the records.
 */
static appctl_error *lock_file(int *fd_out, const char *dir, const char *name)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	struct flock lk;
	appctl_error *err = NULL;
	int fd;

	*fd_out = -1;
	appctl_strbuf_printf(&path, "%s/%s", dir, name);
	if (path.failed)
		return appctl_error_nomem();
	fd = open(path.ptr, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = sys_error("cannot open", path.ptr);
		goto cleanup;
	}
	memset(&lk, 0, sizeof(lk));
	lk.l_type = F_WRLCK;
	lk.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLKW, &lk) != 0) {
		if (errno != EINTR) {
			err = sys_error("cannot lock", path.ptr);
			close(fd);
			goto cleanup;
		}
	}
	*fd_out = fd;
cleanup:
	appctl_strbuf_dispose(&path);
	return err;
}

/* Rewrites disabled.json from `box` with `url` added (status > 0) or removed. */
static appctl_error *disabled_update(int *found, const char *gitdir,
	const char *url, int64_t status, const char *id)
{
	appctl_strbuf dir = APPCTL_STRBUF_INIT, buf = APPCTL_STRBUF_INIT;
	appctl_outbox *box = NULL;
	cJSON *root = NULL;
	char now[21];
	appctl_error *err;
	size_t i;
	int lock = -1, failed = 0;

	*found = 0;
	err = notify_outbox_dir(&dir, gitdir, 1);
	if (!err)
		err = lock_file(&lock, dir.ptr, DISABLED_LOCK);
	if (err)
		goto cleanup;
	box = calloc(1, sizeof(*box));
	if (!box || !(box->arena = appctl_arena_new())) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = read_disabled(box, dir.ptr);
	if (err)
		goto cleanup;
	root = cJSON_CreateObject();
	if (!root) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	for (i = 0; i < box->disabled_count; i++) {
		const appctl_notify_disabled *d = &box->disabled[i];
		cJSON *o;

		if (strcmp(d->url, url) == 0) {
			*found = 1;
			continue;
		}
		o = cJSON_AddObjectToObject(root, d->url);
		if (!o || add_str(o, "time", d->time) || add_str(o, "id", d->id) ||
		    add_num(o, "status", d->status))
			failed = 1;
	}
	if (status > 0) {
		cJSON *o = cJSON_AddObjectToObject(root, url);

		notify_now_iso(now);
		if (!o || add_str(o, "time", now) || add_str(o, "id", id) ||
		    add_num(o, "status", status))
			failed = 1;
	} else if (!*found) {
		goto cleanup;
	}
	if (failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	appctl_json_canonical(&buf, root);
	appctl_strbuf_putc(&buf, '\n');
	if (buf.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = write_atomic(dir.ptr, DISABLED_FILE, buf.ptr, buf.len);
cleanup:
	cJSON_Delete(root);
	if (box) {
		appctl_arena_free(box->arena);
		free(box);
	}
	if (lock >= 0)
		close(lock);
	appctl_strbuf_dispose(&buf);
	appctl_strbuf_dispose(&dir);
	return err;
}

appctl_error *appctl_notify_disable(const char *gitdir, const char *url,
	int64_t status, const char *id)
{
	int found;

	return disabled_update(&found, gitdir, url, status > 0 ? status : 410,
		id);
}

appctl_error *appctl_notify_enable(int *found, const char *gitdir,
	const char *url)
{
	return disabled_update(found, gitdir, url, 0, NULL);
}
