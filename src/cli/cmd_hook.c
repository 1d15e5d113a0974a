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
#include "appctl/remote.h"
#include "appctl/strbuf.h"
#include "cli.h"
#include "hook_check.h"
#include "hook_shims.h"

/* Far beyond any push (900 refs are ~100 KiB), small enough to refuse abuse. */
#define HOOK_INPUT_MAX ((size_t)64 << 20)
/* How an installed shim is recognised as appctl's own. */
#define SHIM_MARKER "# appctl hook shim: "
#define SHIM_PATH_LINE "APPCTL=''\n"
/* Where --force keeps the hook it replaced. */
#define REPLACED_SUFFIX ".before-appctl"

static const char usage[] =
	"usage: appctl hook install [--server | --into DIR] [--force] [HOOK]\n"
	"       appctl hook uninstall\n"
	"       appctl hook pre-receive < OLD NEW REF lines\n"
	"       appctl hook update REF OLD NEW\n"
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
 * One line per refused ref on stderr. On a server each starts with
 * "GL-HOOK-ERR: ", which GitLab shows to the pusher and git passes
 * through as "remote: ..." lines.
 */
static appctl_error *report(const char *hook, const appctl_ref_update *updates,
	size_t count, int server)
{
	size_t i, refused = 0;

	for (i = 0; i < count; i++) {
		const appctl_ref_update *u = &updates[i];

		if (u->reason) {
			fprintf(stderr, "%sappctl: %s: %s\n", server ? "GL-HOOK-ERR: "
				: "", u->ref, u->reason);
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
	size_t len)
{
	appctl_ref_update *updates = NULL;
	appctl_repo *repo = NULL;
	appctl_error *err;
	size_t count = 0;
	char head[41];

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
		err = report(hook, updates, count, 1);
	hook_updates_free(updates, count);
	appctl_repo_free(repo);
	return err;
}

static appctl_error *run_pre_receive(void)
{
	char *text = NULL;
	size_t len = 0;
	appctl_error *err = read_all_stdin(&text, &len);

	if (!err)
		err = run_server_hook("pre-receive", text, len);
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
	const char *new_id)
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
	err = run_server_hook("update", line.ptr, line.len);
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
		err = report("pre-push", updates, count, 0);
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

/* The shim `name` with `appctl` recorded in it, single-quoted for sh. */
static appctl_error *shim_text(char **out, const char *name,
	const char *appctl)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const appctl_hook_shim *shim;
	const char *at, *p;

	*out = NULL;
	for (shim = appctl_hook_shims; shim->name; shim++)
		if (strcmp(shim->name, name) == 0)
			break;
	if (!shim->name)
		return appctl_error_new(APPCTL_EUSAGE, "'%s' is not a hook appctl "
			"provides (pre-receive, update, pre-push)", name);
	at = strstr(shim->text, SHIM_PATH_LINE);
	if (!at || !appctl) {
		if (!(*out = strdup(shim->text)))
			return appctl_error_nomem();
		return NULL;
	}
	appctl_strbuf_add(&b, shim->text, (size_t)(at - shim->text));
	appctl_strbuf_puts(&b, "APPCTL='");
	for (p = appctl; *p; p++)
		if (*p == '\'')
			appctl_strbuf_puts(&b, "'\\''");
		else
			appctl_strbuf_putc(&b, *p);
	appctl_strbuf_puts(&b, "'\n");
	appctl_strbuf_puts(&b, at + strlen(SHIM_PATH_LINE));
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

/* Writes shim `name` as `dir``file`, never replacing a foreign hook without `force`. */
static appctl_error *install_one(const char *dir, const char *file,
	const char *name, const char *appctl, int force)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT, kept = APPCTL_STRBUF_INIT;
	appctl_error *err;
	char *text = NULL;
	int state = 0;

	appctl_strbuf_printf(&path, "%s%s", dir, file);
	appctl_strbuf_printf(&kept, "%s%s%s", dir, file, REPLACED_SUFFIX);
	if (path.failed || kept.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = shim_text(&text, name, appctl);
	if (!err)
		err = hook_state(&state, path.ptr);
	if (err)
		goto cleanup;
	/* Someone else's hook is never lost silently. */
	if (state == 2 && !force) {
		err = appctl_error_new(APPCTL_EDENIED, "hook install: '%s' exists "
			"and is not appctl's; nothing was changed. Keep it next to "
			"appctl's (a hooks/pre-receive.d/ directory, if your server "
			"runs one), or pass --force to replace it (it is kept as "
			"'%s%s')", path.ptr, file, REPLACED_SUFFIX);
		goto cleanup;
	}
	if (state == 2 && rename(path.ptr, kept.ptr) != 0) {
		err = appctl_error_new(APPCTL_ESYSTEM, "'%s': %s", path.ptr,
			strerror(errno));
		goto cleanup;
	}
	err = write_executable(path.ptr, text);
	if (err)
		goto cleanup;
	printf("installed %s%s (runs %s)\n", path.ptr,
		state == 1 ? " again" : "", appctl ? appctl : "appctl from PATH");
	if (state == 2)
		printf("the hook it replaced is kept as %s\n", kept.ptr);
cleanup:
	free(text);
	appctl_strbuf_dispose(&kept);
	appctl_strbuf_dispose(&path);
	return err;
}

/*
 * Installs into the repository's hooks directory, or with `into` as
 * INTO/appctl: one script among others in a directory a server runs in
 * turn (Gitea's hooks/pre-receive.d/, GitLab's custom_hooks/pre-receive.d/).
 */
static appctl_error *cmd_install(appctl_cli *cli, int server, int force,
	const char *only, const char *into)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	char *dir = NULL, *appctl = NULL;
	const char *name;

	if (into) {
		appctl_strbuf_puts(&b, into);
		if (b.len && b.ptr[b.len - 1] != '/')
			appctl_strbuf_putc(&b, '/');
		if (!(dir = appctl_strbuf_detach(&b)))
			return appctl_error_nomem();
	} else {
		err = appctl_repo_open(&cli->repo, cli->dir);
		if (!err)
			err = hooks_dir(&dir, cli);
		if (err)
			goto cleanup;
	}
	/* A bare repository receives pushes; a clone sends them. */
	name = only ? only : server || into || appctl_repo_is_bare(cli->repo)
		? "pre-receive" : "pre-push";
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		err = appctl_error_new(APPCTL_ESYSTEM, "'%s': %s", dir,
			strerror(errno));
		goto cleanup;
	}
	appctl = self_path();
	err = install_one(dir, into ? "appctl" : name, name, appctl, force);
cleanup:
	free(appctl);
	free(dir);
	return err;
}

static appctl_error *cmd_uninstall(appctl_cli *cli)
{
	appctl_error *err;
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	const appctl_hook_shim *shim;
	char *dir = NULL;
	int removed = 0;

	err = appctl_repo_open(&cli->repo, cli->dir);
	if (!err)
		err = hooks_dir(&dir, cli);
	for (shim = appctl_hook_shims; !err && shim->name; shim++) {
		int state = 0;

		appctl_strbuf_truncate(&path, 0);
		appctl_strbuf_printf(&path, "%s%s", dir, shim->name);
		if (path.failed) {
			err = appctl_error_nomem();
			break;
		}
		if ((err = hook_state(&state, path.ptr)))
			break;
		if (state == 2)
			printf("left %s alone: it is not appctl's\n", path.ptr);
		if (state != 1)
			continue;
		if (unlink(path.ptr) != 0) {
			err = appctl_error_new(APPCTL_ESYSTEM, "'%s': %s", path.ptr,
				strerror(errno));
			break;
		}
		printf("removed %s\n", path.ptr);
		removed++;
	}
	if (!err && !removed)
		printf("no appctl hook was installed in %s\n", dir);
	appctl_strbuf_dispose(&path);
	free(dir);
	return err;
}

appctl_error *cmd_hook(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[3] = { NULL, NULL, NULL }, *into = NULL;
	int npos = 0, help = 0, server = 0, force = 0;
	const appctl_opt opts[] = {
		{ "server", 0, APPCTL_OPT_FLAG, &server, NULL },
		{ "force", 0, APPCTL_OPT_FLAG, &force, NULL },
		{ "into", 0, APPCTL_OPT_STRING, &into, "DIR" },
		{ 0 }
	};
	const appctl_opt no_opts[] = { { 0 } };
	const char *sub = argc > 1 ? argv[1] : NULL;
	appctl_error *err;

	if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		if (sub) {
			appctl_cli_print_help("hook");
			return NULL;
		}
		return appctl_error_new(APPCTL_EUSAGE, "%s", usage);
	}
	/* argv[1] is the subcommand: options and arguments follow it. */
	if (strcmp(sub, "install") == 0)
		err = appctl_cli_parse(argc - 1, argv + 1, opts, pos, 1, &npos,
			&help);
	else
		err = appctl_cli_parse(argc - 1, argv + 1, no_opts, pos, 3, &npos,
			&help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("hook");
		return NULL;
	}
	if (strcmp(sub, "install") == 0)
		return cmd_install(cli, server, force, npos ? pos[0] : NULL, into);
	if (strcmp(sub, "uninstall") == 0 && npos == 0)
		return cmd_uninstall(cli);
	if (strcmp(sub, "pre-receive") == 0 && npos == 0)
		return run_pre_receive();
	if (strcmp(sub, "update") == 0 && npos == 3)
		return run_update(pos[0], pos[1], pos[2]);
	if (strcmp(sub, "pre-push") == 0 && npos >= 1)
		return run_pre_push(pos[0]);
	return appctl_error_new(APPCTL_EUSAGE, "%s", usage);
}
