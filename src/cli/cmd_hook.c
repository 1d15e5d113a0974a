/* cmd_hook.c: `appctl hook install|uninstall|pre-receive|update|pre-push`: the git hooks that make a server refuse what the policy refuses. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appctl/clock.h"
#include "appctl/log.h"
#include "appctl/platforms.h"
#include "appctl/remote.h"
#include "appctl/strbuf.h"
#include "cli.h"
#include "help.h"
#include "help_render.h"
#include "hook_check.h"
#include "hook_shims.h"

/* Far beyond any push (900 refs are ~100 KiB), small enough to refuse abuse. */
#define HOOK_INPUT_MAX ((size_t)64 << 20)
/* How an installed shim is recognised as appctl's own. */
#define SHIM_MARKER "# appctl hook shim: "
#define SHIM_PATH_LINE "APPCTL=''\n"
#define SHIM_PLATFORM_LINE "PLATFORM=''\n"
/* Where --force keeps the hook it replaced. */
#define REPLACED_SUFFIX ".before-appctl"

/* The help page's list of platforms, generated from the table. */
#define PLATFORMS_HEADING "## PLATFORMS\n"
/* Where generated Markdown wraps, as the hand-written pages do. */
#define WRAP_COLUMNS 72

static const char usage[] =
	"usage: appctl hook install [--platform NAME | --server] [--into DIR] [--force] [HOOK]\n"
	"       appctl hook uninstall [--platform NAME | --into DIR]\n"
	"       appctl hook pre-receive [--platform NAME] < OLD NEW REF lines\n"
	"       appctl hook update [--platform NAME] REF OLD NEW\n"
	"       appctl hook pre-push REMOTE URL < LOCAL_REF LOCAL_ID REMOTE_REF REMOTE_ID lines";

/* ---- running as a hook ---- */

/*
 * All of stdin, before anything else: git writes every ref of the push
 * and a hook that exits without reading them all makes git report a
 * broken pipe instead of the hook's verdict.
 */
static appctl_error *read_all_stdin(char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	*len = 0;
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			char *grown;

			cap = cap ? cap * 2 : 65536;
			grown = realloc(buf, cap + 1);
			if (!grown) {
				free(buf);
				return appctl_error_nomem();
			}
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n, stdin);
		n += got;
		if (n > HOOK_INPUT_MAX) {
			free(buf);
			return appctl_error_input("hook input", NULL,
				"more than %zu bytes", HOOK_INPUT_MAX);
		}
		if (got == 0)
			break;
	}
	if (ferror(stdin)) {
		free(buf);
		return appctl_error_new(APPCTL_ESYSTEM, "cannot read the hook "
			"input: %s", strerror(errno));
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return NULL;
}

/*
 * The names of the platforms, "plain, http, ...", for messages; the
 * caller frees it (NULL when out of memory).
 */
static char *platform_names(void)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const appctl_platform *p;
	size_t i, n;

	p = appctl_platforms(&n);
	for (i = 0; i < n; i++)
		appctl_strbuf_printf(&b, "%s%s", i ? ", " : "", p[i].name);
	return appctl_strbuf_detach(&b);
}

static appctl_error *unknown_platform(const char *name)
{
	char *names = platform_names();
	appctl_error *err = appctl_error_new(APPCTL_EUSAGE, "unknown platform "
		"'%s': it is one of %s (see 'appctl hook --help')", name,
		names ? names : "?");

	free(names);
	return err;
}

/*
 * The server a hook runs on: the one its shim names, else the first whose
 * own variable is in the environment (GitLab sets GL_ID for every hook, so
 * a shim installed without --platform still speaks GitLab's language
 * there), else plain git.
 */
static appctl_error *hook_platform(const appctl_platform **out,
	const char *name)
{
	const appctl_platform *p;
	size_t i, n;

	*out = NULL;
	if (name) {
		if (!(*out = appctl_platform_find(name)))
			return unknown_platform(name);
		return NULL;
	}
	p = appctl_platforms(&n);
	for (i = 0; i < n && !*out; i++) {
		const char *value = p[i].env ? getenv(p[i].env) : NULL;

		if (value && *value)
			*out = &p[i];
	}
	if (!*out)
		*out = appctl_platform_plain();
	return NULL;
}

/*
 * Whether the log in this same push could have backed the refused update
 * `u`: a protected branch moved or created, a release tag created. The
 * update hook cannot tell, since git gives it one ref and no hook sees
 * another's arguments.
 */
static int log_could_back(const appctl_ref_update *u)
{
	if (!*u->new_id)
		return 0;
	if (strncmp(u->ref, "refs/heads/", 11) == 0)
		return 1;
	return strncmp(u->ref, "refs/tags/release/", 18) == 0 && !*u->old_id;
}

/*
 * One line per refused ref on stderr, each starting with `prefix` (GitLab
 * shows only "GL-HOOK-ERR: " lines as the rejection message; git passes
 * every line to the pusher as "remote: ..."). The update hook, which sees
 * one ref, says how to push when the log that backs it came in the same
 * push.
 */
static appctl_error *report(const char *hook, const appctl_ref_update *updates,
	size_t count, const char *prefix)
{
	int one_ref = strcmp(hook, "update") == 0;
	size_t i, refused = 0;

	for (i = 0; i < count; i++) {
		const appctl_ref_update *u = &updates[i];

		if (u->reason) {
			fprintf(stderr, "%sappctl: %s: %s%s\n", prefix, u->ref,
				u->reason, one_ref && log_could_back(u) ? "; the "
				"update hook judges each ref alone, against the log "
				"already here: if this push also carries the "
				APPCTL_LOG_REF " that backs it, push that first, on "
				"its own, then this ref" : "");
			refused++;
		} else if (u->note) {
			fprintf(stderr, "appctl: %s: not checked here (the server "
				"will): %s\n", u->ref, u->note);
		}
	}
	fflush(stderr);
	if (!refused)
		return NULL;
	return appctl_error_new(APPCTL_EDENIED, "hook %s: %zu of %zu ref "
		"update%s refused", hook, refused, count, count == 1 ? "" : "s");
}

/* The log as it stands in the repository the hook runs in; "" when none. */
static appctl_error *current_log(char out[41], appctl_repo *repo)
{
	int found = 0;
	appctl_error *err = appctl_ref_read(out, &found, repo, APPCTL_LOG_REF);

	if (!err && !found)
		out[0] = '\0';
	return err;
}

/* pre-receive and update: the server's judgement of the whole push. */
static appctl_error *run_server_hook(const char *hook, const char *text,
	size_t len, const char *platform_name)
{
	const appctl_platform *platform = NULL;
	appctl_ref_update *updates = NULL;
	appctl_repo *repo = NULL;
	appctl_error *err;
	size_t count = 0;
	char head[41];

	err = hook_platform(&platform, platform_name);
	if (!err)
		err = hook_updates_parse(&updates, &count, text, len, 0);
	/* The repository git runs the hook in, quarantined objects included. */
	if (!err && count)
		err = appctl_repo_open_env(&repo);
	if (!err && count)
		err = current_log(head, repo);
	if (!err && count)
		err = appctl_push_check(repo, head, updates, count, 0,
			appctl_clock_now());
	if (!err)
		err = report(hook, updates, count, platform->prefix);
	hook_updates_free(updates, count);
	appctl_repo_free(repo);
	return err;
}

static appctl_error *run_pre_receive(const char *platform)
{
	char *text = NULL;
	size_t len = 0;
	appctl_error *err = read_all_stdin(&text, &len);

	if (!err)
		err = run_server_hook("pre-receive", text, len, platform);
	free(text);
	return err;
}

static int is_zero_or_hex(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 40;
}

/* The update hook: the rules of pre-receive, for the one ref git names. */
static appctl_error *run_update(const char *ref, const char *old_id,
	const char *new_id, const char *platform)
{
	appctl_strbuf line = APPCTL_STRBUF_INIT;
	appctl_error *err;

	if (!is_zero_or_hex(old_id) || !is_zero_or_hex(new_id) ||
	    strchr(ref, '\n') || strchr(ref, ' '))
		return appctl_error_new(APPCTL_EUSAGE, "usage: appctl hook update "
			"REF OLD_ID NEW_ID (40 hex digits each)");
	appctl_strbuf_printf(&line, "%s %s %s\n", old_id, new_id, ref);
	if (line.failed)
		return appctl_error_nomem();
	err = run_server_hook("update", line.ptr, line.len, platform);
	appctl_strbuf_dispose(&line);
	return err;
}

/*
 * Which log the remote has, as far as this clone knows: the one the push
 * updates (its remote value), else the copy `appctl sync` keeps of the
 * remote's, else the local one. *unknown when that log is not here.
 */
static appctl_error *remote_log(char out[41], int *unknown, appctl_repo *repo,
	const char *remote, const appctl_ref_update *updates, size_t count)
{
	appctl_strbuf name = APPCTL_STRBUF_INIT;
	appctl_error *err;
	char commit[41];
	int found = 0;
	size_t i;

	*unknown = 0;
	out[0] = '\0';
	for (i = 0; i < count; i++) {
		if (strcmp(updates[i].ref, APPCTL_LOG_REF) != 0)
			continue;
		memcpy(out, updates[i].old_id, 41);
		if (!*out)
			return NULL;
		err = appctl_object_commit(commit, &found, repo, out);
		*unknown = !err && !found;
		return err;
	}
	/* git passes the URL when the push names no remote: no copy of it then. */
	appctl_strbuf_printf(&name, "refs/appctl/remote/%s/log", remote);
	if (name.failed)
		return appctl_error_nomem();
	err = strpbrk(remote, ":/\\") ? NULL
		: appctl_ref_read(out, &found, repo, name.ptr);
	appctl_strbuf_dispose(&name);
	if (err && err != appctl_error_nomem()) {
		appctl_error_free(err);
		err = NULL;
		found = 0;
	}
	if (!err && !found)
		err = current_log(out, repo);
	return err;
}

/* The client's advisory check: what the server would refuse, before sending. */
static appctl_error *run_pre_push(const char *remote)
{
	appctl_ref_update *updates = NULL;
	appctl_repo *repo = NULL;
	appctl_error *err;
	char *text = NULL, head[41];
	size_t len = 0, count = 0;
	int unknown = 0;

	err = read_all_stdin(&text, &len);
	if (!err)
		err = hook_updates_parse(&updates, &count, text, len, 1);
	if (!err && count)
		err = appctl_repo_open_env(&repo);
	if (!err && count)
		err = remote_log(head, &unknown, repo, remote, updates, count);
	if (!err && count && unknown)
		fprintf(stderr, "appctl: pre-push: the event log of '%s' is not in "
			"this clone; run 'appctl sync %s' to check before pushing\n",
			remote, remote);
	else if (!err && count)
		err = appctl_push_check(repo, head, updates, count, 1,
			appctl_clock_now());
	if (!err && !unknown)
		err = report("pre-push", updates, count, "");
	hook_updates_free(updates, count);
	appctl_repo_free(repo);
	free(text);
	return err;
}

/* ---- installing ---- */

/*
 * Where git runs this repository's hooks: core.hooksPath (relative to the
 * working tree, or to a bare repository itself), else <gitdir>/hooks.
 * The result ends with '/'; the caller frees it.
 */
static appctl_error *hooks_dir(char **out, appctl_cli *cli)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	char *configured = NULL;
	appctl_error *err;
	const char *workdir = appctl_repo_workdir(cli->repo);

	*out = NULL;
	err = appctl_repo_config_string(&configured, cli->repo, "core.hooksPath");
	if (err)
		return err;
	if (configured && *configured) {
		if (configured[0] != '/')
			appctl_strbuf_puts(&b, workdir ? workdir
				: appctl_repo_gitdir(cli->repo));
		appctl_strbuf_puts(&b, configured);
		if (b.len && b.ptr[b.len - 1] != '/')
			appctl_strbuf_putc(&b, '/');
	} else {
		appctl_strbuf_printf(&b, "%shooks/", appctl_repo_gitdir(cli->repo));
	}
	free(configured);
	if (!(*out = appctl_strbuf_detach(&b)))
		return appctl_error_nomem();
	return NULL;
}

/*
 * This appctl's own path, recorded in the shims so that the hook runs the
 * appctl that installed it even where PATH differs (git daemon, sshd).
 * NULL when the system cannot tell; the shim then relies on PATH.
 */
static char *self_path(void)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0 || (size_t)n >= sizeof(buf) - 1)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* Appends `value` to `b` single-quoted for sh. */
static void put_sh_quoted(appctl_strbuf *b, const char *value)
{
	const char *p;

	appctl_strbuf_putc(b, '\'');
	for (p = value; *p; p++)
		if (*p == '\'')
			appctl_strbuf_puts(b, "'\\''");
		else
			appctl_strbuf_putc(b, *p);
	appctl_strbuf_putc(b, '\'');
}

/*
 * Replaces the first `line` of `text` (an empty assignment of the shim)
 * with one that assigns `value`; copies `text` unchanged when `value` is
 * NULL or empty, or the line is not there.
 */
static void fill_line(appctl_strbuf *b, const char *text, const char *line,
	const char *value)
{
	const char *at = strstr(text, line);
	size_t name_len = strcspn(line, "=");

	if (!at || !value || !*value) {
		appctl_strbuf_puts(b, text);
		return;
	}
	appctl_strbuf_add(b, text, (size_t)(at - text));
	appctl_strbuf_add(b, line, name_len + 1);
	put_sh_quoted(b, value);
	appctl_strbuf_putc(b, '\n');
	appctl_strbuf_puts(b, at + strlen(line));
}

/*
 * The shim `name` with `appctl` and the `platform` name recorded in it
 * (either may be NULL: the shim then finds appctl on PATH, or the hook
 * decides the platform when it runs). The caller frees *out.
 */
static appctl_error *shim_text(char **out, const char *name,
	const char *appctl, const char *platform)
{
	appctl_strbuf with_path = APPCTL_STRBUF_INIT, b = APPCTL_STRBUF_INIT;
	const appctl_hook_shim *shim;

	*out = NULL;
	for (shim = appctl_hook_shims; shim->name; shim++)
		if (strcmp(shim->name, name) == 0)
			break;
	if (!shim->name)
		return appctl_error_new(APPCTL_EUSAGE, "'%s' is not a hook appctl "
			"provides (pre-receive, update, pre-push)", name);
	fill_line(&with_path, shim->text, SHIM_PATH_LINE, appctl);
	if (!with_path.failed)
		fill_line(&b, with_path.ptr, SHIM_PLATFORM_LINE, platform);
	appctl_strbuf_dispose(&with_path);
	if (!(*out = appctl_strbuf_detach(&b)))
		return appctl_error_nomem();
	return NULL;
}

/* *state: 0 no file, 1 appctl's shim, 2 someone else's hook. */
static appctl_error *hook_state(int *state, const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	*state = 0;
	if (!f) {
		if (errno == ENOENT)
			return NULL;
		return appctl_error_new(APPCTL_ESYSTEM, "'%s': %s", path,
			strerror(errno));
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	*state = strstr(buf, SHIM_MARKER) ? 1 : 2;
	return NULL;
}

/* Writes `text` to `path` as an executable, atomically (temp file + rename). */
static appctl_error *write_executable(const char *path, const char *text)
{
	appctl_strbuf tmp = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	size_t len = strlen(text);
	int fd;

	appctl_strbuf_printf(&tmp, "%s.appctl-tmp", path);
	if (tmp.failed)
		return appctl_error_nomem();
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0) {
		err = appctl_error_new(APPCTL_ESYSTEM, "'%s': %s", tmp.ptr,
			strerror(errno));
		goto cleanup;
	}
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, 0755) != 0 ||
	    fsync(fd) != 0)
		err = appctl_error_new(APPCTL_ESYSTEM, "'%s': %s", tmp.ptr,
			strerror(errno));
	if (close(fd) != 0 && !err)
		err = appctl_error_new(APPCTL_ESYSTEM, "'%s': %s", tmp.ptr,
			strerror(errno));
	if (!err && rename(tmp.ptr, path) != 0)
		err = appctl_error_new(APPCTL_ESYSTEM, "'%s': %s", path,
			strerror(errno));
	if (err)
		unlink(tmp.ptr);
cleanup:
	appctl_strbuf_dispose(&tmp);
	return err;
}

/*
 * Creates the directories of `path` up to its last '/', those after its
 * first `keep` bytes only: what is before must exist already, so that a
 * mistyped -C or --into is an error, not a new tree.
 */
static appctl_error *make_dirs(const char *path, size_t keep)
{
	appctl_error *err = NULL;
	char *copy = strdup(path);
	size_t i;

	if (!copy)
		return appctl_error_nomem();
	for (i = keep; copy[i] && !err; i++) {
		if (copy[i] != '/' || i == 0)
			continue;
		copy[i] = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST)
			err = appctl_error_new(APPCTL_ESYSTEM, "'%s': %s", copy,
				strerror(errno));
		copy[i] = '/';
	}
	free(copy);
	return err;
}

/* Where `dir` (ending with '/') starts its last component. */
static size_t last_component(const char *dir)
{
	size_t len = strlen(dir);

	if (len && dir[len - 1] == '/')
		len--;
	while (len && dir[len - 1] != '/')
		len--;
	return len;
}

/*
 * Writes shim `name` as `path` (creating its directories after the first
 * `keep` bytes), never replacing a foreign hook without `force`.
 */
static appctl_error *install_one(const char *path, size_t keep,
	const char *name, const char *appctl, const char *platform, int force)
{
	appctl_strbuf kept = APPCTL_STRBUF_INIT;
	const char *file = strrchr(path, '/');
	appctl_error *err;
	char *text = NULL;
	int state = 0;

	file = file ? file + 1 : path;
	appctl_strbuf_printf(&kept, "%s%s", path, REPLACED_SUFFIX);
	if (kept.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = shim_text(&text, name, appctl, platform);
	if (!err)
		err = hook_state(&state, path);
	if (err)
		goto cleanup;
	/* Someone else's hook is never lost silently. */
	if (state == 2 && !force) {
		err = appctl_error_new(APPCTL_EDENIED, "hook install: '%s' exists "
			"and is not appctl's; nothing was changed. Keep it next to "
			"appctl's (a hooks/pre-receive.d/ directory, if your server "
			"runs one: see --platform), or pass --force to replace it "
			"(it is kept as '%s%s')", path, file, REPLACED_SUFFIX);
		goto cleanup;
	}
	if ((err = make_dirs(path, keep)))
		goto cleanup;
	if (state == 2 && rename(path, kept.ptr) != 0) {
		err = appctl_error_new(APPCTL_ESYSTEM, "'%s': %s", path,
			strerror(errno));
		goto cleanup;
	}
	err = write_executable(path, text);
	if (err)
		goto cleanup;
	printf("installed %s%s (runs %s)\n", path, state == 1 ? " again" : "",
		appctl ? appctl : "appctl from PATH");
	if (state == 2)
		printf("the hook it replaced is kept as %s\n", kept.ptr);
cleanup:
	free(text);
	appctl_strbuf_dispose(&kept);
	return err;
}

/*
 * Where the shim of hook `name` goes: INTO/appctl (one script among others
 * in a directory a server runs in turn), else where `platform` runs it,
 * else the repository's hooks directory. *keep: how much of the path must
 * exist already. Opens the repository when the place is in one. The
 * caller frees *out.
 */
static appctl_error *shim_path(char **out, size_t *keep, appctl_cli *cli,
	const appctl_platform *platform, const char *into, const char *name)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	const char *rel = name;
	char *dir = NULL;

	*out = NULL;
	*keep = 0;
	if (into) {
		appctl_strbuf_puts(&b, into);
		if (b.len && b.ptr[b.len - 1] != '/')
			appctl_strbuf_putc(&b, '/');
		*keep = b.failed ? 0 : last_component(b.ptr);
		appctl_strbuf_puts(&b, "appctl");
		goto done;
	}
	if (platform) {
		rel = strcmp(name, "update") == 0 ? platform->update
			: platform->pre_receive;
		if (!rel)
			return appctl_error_new(APPCTL_EUSAGE, "%s runs no %s hook of "
				"appctl's; install pre-receive", platform->name, name);
	}
	if (platform && platform->base == APPCTL_PLATFORM_IN_DIR) {
		if (cli->dir)
			appctl_strbuf_printf(&b, "%s/", cli->dir);
		*keep = b.len;
		appctl_strbuf_puts(&b, rel);
		goto done;
	}
	if (!cli->repo && (err = appctl_repo_open(&cli->repo, cli->dir)))
		return err;
	if (platform && platform->base == APPCTL_PLATFORM_IN_GIT_DIR) {
		appctl_strbuf_puts(&b, appctl_repo_gitdir(cli->repo));
		*keep = b.len;
	} else {
		if ((err = hooks_dir(&dir, cli)))
			return err;
		appctl_strbuf_puts(&b, dir);
		/* The hooks directory itself is made when missing, as before. */
		*keep = last_component(dir);
		free(dir);
	}
	appctl_strbuf_puts(&b, rel);
done:
	if (!(*out = appctl_strbuf_detach(&b)))
		return appctl_error_nomem();
	return NULL;
}

static int is_shim_name(const char *name)
{
	const appctl_hook_shim *shim;

	for (shim = appctl_hook_shims; shim->name; shim++)
		if (strcmp(shim->name, name) == 0)
			return 1;
	return 0;
}

/*
 * The platform `install` and `uninstall` were asked for: --platform NAME,
 * or --server, which is the plain server; NULL when neither.
 */
static appctl_error *asked_platform(const appctl_platform **out,
	const char *name, int server)
{
	*out = NULL;
	if (name && !(*out = appctl_platform_find(name)))
		return unknown_platform(name);
	if (server && *out && *out != appctl_platform_plain())
		return appctl_error_new(APPCTL_EUSAGE, "--server is the plain "
			"server; it cannot go with --platform %s", name);
	if (server)
		*out = appctl_platform_plain();
	return NULL;
}

static appctl_error *cmd_install(appctl_cli *cli, const char *platform_name,
	int server, int force, const char *only, const char *into)
{
	const appctl_platform *platform = NULL;
	appctl_error *err;
	char *path = NULL, *appctl = NULL;
	const char *name = only;
	size_t keep = 0;

	if ((err = asked_platform(&platform, platform_name, server)))
		return err;
	if (name && !is_shim_name(name))
		return appctl_error_new(APPCTL_EUSAGE, "'%s' is not a hook appctl "
			"provides (pre-receive, update, pre-push)", name);
	if (name && platform && strcmp(name, "pre-push") == 0)
		return appctl_error_new(APPCTL_EUSAGE, "pre-push is the client's "
			"hook; --platform and --server install the server's");
	/* A bare repository receives pushes; a clone sends them. */
	if (!name && !platform && !into) {
		if ((err = appctl_repo_open(&cli->repo, cli->dir)))
			return err;
		name = appctl_repo_is_bare(cli->repo) ? "pre-receive" : "pre-push";
	} else if (!name) {
		name = "pre-receive";
	}
	err = shim_path(&path, &keep, cli, platform, into, name);
	if (err)
		goto cleanup;
	appctl = self_path();
	/* plain is what the hook assumes anyway: its shim names no platform. */
	err = install_one(path, keep, name, appctl, platform &&
		platform != appctl_platform_plain() ? platform->name : NULL, force);
	if (!err && platform && platform->setup)
		printf("next, on %s: %s\n", platform->name, platform->setup);
cleanup:
	free(appctl);
	free(path);
	return err;
}

/* Removes `path` when it is appctl's shim; counts it in *removed. */
static appctl_error *uninstall_one(const char *path, int *removed)
{
	int state = 0;
	appctl_error *err = hook_state(&state, path);

	if (err)
		return err;
	if (state == 2)
		printf("left %s alone: it is not appctl's\n", path);
	if (state != 1)
		return NULL;
	if (unlink(path) != 0)
		return appctl_error_new(APPCTL_ESYSTEM, "'%s': %s", path,
			strerror(errno));
	printf("removed %s\n", path);
	(*removed)++;
	return NULL;
}

/*
 * Removes appctl's shims from where `install` would have put them with
 * the same options: every hook of the platform (or of the hooks
 * directory), or INTO/appctl.
 */
static appctl_error *cmd_uninstall(appctl_cli *cli, const char *platform_name,
	int server, const char *into)
{
	const appctl_platform *platform = NULL;
	const appctl_hook_shim *shim;
	appctl_error *err;
	char *path = NULL;
	size_t keep = 0;
	int removed = 0;

	if ((err = asked_platform(&platform, platform_name, server)))
		return err;
	for (shim = appctl_hook_shims; !err && shim->name; shim++) {
		int served = !platform || (strcmp(shim->name, "pre-receive") == 0 &&
			platform->pre_receive) || (strcmp(shim->name, "update") == 0 &&
			platform->update);

		/* One file in --into: every hook name leads to it. */
		if (!served || (into && shim != appctl_hook_shims))
			continue;
		err = shim_path(&path, &keep, cli, platform, into, shim->name);
		if (!err)
			err = uninstall_one(path, &removed);
		free(path);
		path = NULL;
	}
	if (!err && !removed)
		printf("no appctl hook was installed there\n");
	return err;
}

/*
 * Appends `text` to `b` as a Markdown definition (": " then lines of two
 * spaces), wrapped at WRAP_COLUMNS between words, never inside a `code`
 * span, so that the man page makes each span bold.
 */
static void put_definition(appctl_strbuf *b, const char *text)
{
	size_t column = 2, i = 0;

	appctl_strbuf_puts(b, ": ");
	while (text[i]) {
		size_t start = i, len;
		int in_code = 0;

		while (text[i] && (in_code || text[i] != ' ')) {
			if (text[i] == '`')
				in_code = !in_code;
			i++;
		}
		len = i - start;
		if (column > 2 && column + 1 + len > WRAP_COLUMNS) {
			appctl_strbuf_puts(b, "\n  ");
			column = 2;
		} else if (column > 2) {
			appctl_strbuf_putc(b, ' ');
			column++;
		}
		appctl_strbuf_add(b, text + start, len);
		column += len;
		while (text[i] == ' ')
			i++;
	}
	appctl_strbuf_putc(b, '\n');
}

/*
 * The PLATFORMS section of the help page, from the table, so that --help
 * and the platforms `install` knows cannot disagree (tests/cli/
 * hook_platforms.sh checks docs/commands/hook.md against it).
 */
static void put_platforms_section(appctl_strbuf *b)
{
	appctl_strbuf text = APPCTL_STRBUF_INIT;
	const appctl_platform *p;
	size_t i, n;

	appctl_strbuf_puts(b, PLATFORMS_HEADING "\n");
	appctl_strbuf_puts(b, "`--platform NAME` installs the shim where that "
		"server runs a\nrepository's hooks, and the hook words its "
		"refusals for it:\n\n");
	p = appctl_platforms(&n);
	for (i = 0; i < n; i++) {
		appctl_strbuf_truncate(&text, 0);
		appctl_strbuf_printf(&text, "%s. In %s: `%s`", p[i].title,
			p[i].base_text, p[i].pre_receive);
		if (p[i].update)
			appctl_strbuf_printf(&text, ", or `%s` as the update hook",
				p[i].update);
		else
			appctl_strbuf_puts(&text, " (pre-receive only)");
		appctl_strbuf_printf(&text, ". Refusals start with `%sappctl:`",
			p[i].prefix);
		if (p[i].env)
			appctl_strbuf_printf(&text, ", also from a shim that names no "
				"platform when `%s` is set", p[i].env);
		appctl_strbuf_puts(&text, ".");
		if (p[i].setup)
			appctl_strbuf_printf(&text, " %s", p[i].setup);
		appctl_strbuf_printf(b, "`%s`\n", p[i].name);
		put_definition(b, text.failed ? "?" : text.ptr);
		appctl_strbuf_putc(b, '\n');
	}
	appctl_strbuf_dispose(&text);
}

/* The help page, its PLATFORMS section made from the table. */
static appctl_error *print_help(void)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const appctl_help_page *page;
	const char *at, *next;

	for (page = appctl_help_pages; page->name; page++)
		if (strcmp(page->name, "hook") == 0)
			break;
	if (!page->name)
		return appctl_error_new(APPCTL_ESYSTEM, "no help page for hook");
	at = strstr(page->text, "\n" PLATFORMS_HEADING);
	next = at ? strstr(at + 1, "\n## ") : NULL;
	if (!at || !next)
		return appctl_help_show(page->text) < 0 ? appctl_error_nomem() : NULL;
	appctl_strbuf_add(&b, page->text, (size_t)(at + 1 - page->text));
	put_platforms_section(&b);
	appctl_strbuf_puts(&b, next + 1);
	if (b.failed) {
		appctl_strbuf_dispose(&b);
		return appctl_error_nomem();
	}
	if (appctl_help_show(b.ptr) < 0) {
		appctl_strbuf_dispose(&b);
		return appctl_error_nomem();
	}
	appctl_strbuf_dispose(&b);
	return NULL;
}

appctl_error *cmd_hook(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[3] = { NULL, NULL, NULL }, *into = NULL, *platform = NULL;
	int npos = 0, help = 0, server = 0, force = 0;
	const appctl_opt install_opts[] = {
		{ "platform", 0, APPCTL_OPT_STRING, &platform, "NAME" },
		{ "server", 0, APPCTL_OPT_FLAG, &server, NULL },
		{ "force", 0, APPCTL_OPT_FLAG, &force, NULL },
		{ "into", 0, APPCTL_OPT_STRING, &into, "DIR" },
		{ 0 }
	};
	const appctl_opt uninstall_opts[] = {
		{ "platform", 0, APPCTL_OPT_STRING, &platform, "NAME" },
		{ "server", 0, APPCTL_OPT_FLAG, &server, NULL },
		{ "into", 0, APPCTL_OPT_STRING, &into, "DIR" },
		{ 0 }
	};
	const appctl_opt server_opts[] = {
		{ "platform", 0, APPCTL_OPT_STRING, &platform, "NAME" },
		{ 0 }
	};
	const appctl_opt no_opts[] = { { 0 } };
	const appctl_opt *opts = no_opts;
	const char *sub = argc > 1 ? argv[1] : NULL;
	appctl_error *err;

	if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		if (sub)
			return print_help();
		return appctl_error_new(APPCTL_EUSAGE, "%s", usage);
	}
	if (strcmp(sub, "install") == 0)
		opts = install_opts;
	else if (strcmp(sub, "uninstall") == 0)
		opts = uninstall_opts;
	else if (strcmp(sub, "pre-receive") == 0 || strcmp(sub, "update") == 0)
		opts = server_opts;
	/* argv[1] is the subcommand: options and arguments follow it. */
	err = appctl_cli_parse(argc - 1, argv + 1, opts, pos, 3, &npos, &help);
	if (err)
		return err;
	if (help)
		return print_help();
	if (strcmp(sub, "install") == 0 && npos <= 1)
		return cmd_install(cli, platform, server, force, npos ? pos[0]
			: NULL, into);
	if (strcmp(sub, "uninstall") == 0 && npos == 0)
		return cmd_uninstall(cli, platform, server, into);
	if (strcmp(sub, "pre-receive") == 0 && npos == 0)
		return run_pre_receive(platform);
	if (strcmp(sub, "update") == 0 && npos == 3)
		return run_update(pos[0], pos[1], pos[2], platform);
	if (strcmp(sub, "pre-push") == 0 && npos >= 1)
		return run_pre_push(pos[0]);
	return appctl_error_new(APPCTL_EUSAGE, "%s", usage);
}
