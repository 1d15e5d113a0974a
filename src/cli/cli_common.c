/* cli_common.c: option parsing, help pages, clock and loading shared by the commands. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appctl/clock.h"
#include "appctl/rules.h"
#include "cli.h"
#include "help.h"
#include "help_render.h"
#include "progress.h"

static const appctl_opt *find_long(const appctl_opt *opts, const char *name,
	size_t len)
{
	for (; opts->long_name || opts->short_name; opts++)
		if (opts->long_name && strlen(opts->long_name) == len &&
		    strncmp(opts->long_name, name, len) == 0)
			return opts;
	return NULL;
}

static const appctl_opt *find_short(const appctl_opt *opts, char c)
{
	for (; opts->long_name || opts->short_name; opts++)
		if (opts->short_name == c)
			return opts;
	return NULL;
}

appctl_error *appctl_cli_parse(int argc, char **argv, const appctl_opt *opts,
	const char **pos, int max_pos, int *npos, int *help)
{
	int i, only_pos = 0;

	*npos = 0;
	*help = 0;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *value = NULL;
		const appctl_opt *opt = NULL;

		if (!only_pos && strcmp(arg, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (!only_pos && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
			*help = 1;
			continue;
		}
		if (!only_pos && arg[0] == '-' && arg[1] == '-') {
			const char *eq = strchr(arg + 2, '=');
			size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);

			opt = find_long(opts, arg + 2, len);
			if (!opt)
				return appctl_error_new(APPCTL_EUSAGE,
					"unknown option '%.*s'", (int)len + 2, arg);
			if (eq) {
				if (opt->type == APPCTL_OPT_FLAG)
					return appctl_error_new(APPCTL_EUSAGE,
						"option '--%s' takes no value", opt->long_name);
				value = eq + 1;
			}
		} else if (!only_pos && arg[0] == '-' && arg[1] && !arg[2]) {
			opt = find_short(opts, arg[1]);
			if (!opt)
				return appctl_error_new(APPCTL_EUSAGE,
					"unknown option '%s'", arg);
		} else {
			if (*npos >= max_pos)
				return appctl_error_new(APPCTL_EUSAGE,
					"unexpected argument '%s'", arg);
			pos[(*npos)++] = arg;
			continue;
		}
		if (opt->type == APPCTL_OPT_FLAG) {
			*(int *)opt->target = 1;
			continue;
		}
		if (!value) {
			if (i + 1 >= argc)
				return appctl_error_new(APPCTL_EUSAGE,
					"option '%s' needs a value", arg);
			value = argv[++i];
		}
		*(const char **)opt->target = value;
	}
	return NULL;
}

int appctl_cli_print_help(const char *command)
{
	const appctl_help_page *p;

	for (p = appctl_help_pages; p->name; p++) {
		if (strcmp(p->name, command) == 0)
			return appctl_help_show(p->text) < 0 ? -2 : 0;
	}
	return -1;
}

appctl_date appctl_cli_today(void)
{
	return appctl_date_from_unix(appctl_clock_now());
}

void appctl_cli_now(char *buf, size_t len)
{
	appctl_time_format(buf, len, appctl_clock_now());
}

appctl_error *appctl_cli_load(appctl_snapshot **out, appctl_cli *cli,
	const char *rev, int worktree, char commit_out[41])
{
	appctl_error *err;
	char commit[41];

	if (worktree) {
		const char *dir = cli->repo ? appctl_repo_workdir(cli->repo) : NULL;

		if (cli->repo && !dir)
			return appctl_error_new(APPCTL_EUSAGE,
				"--worktree needs a repository with a working tree");
		if (commit_out)
			commit_out[0] = '\0';
		return appctl_worktree_load_snapshot(out, dir ? dir : (cli->dir ? cli->dir : "."));
	}
	err = appctl_repo_resolve(commit, cli->repo, rev);
	if (err)
		return err;
	{
		cli_progress progress;

		/* Reading hundreds of apps takes a while: say how far it got. */
		cli_progress_start(&progress, cli->json, cli->command ? cli->command
			: "appctl", "apps read");
		/* validate reports: the blob cache may serve the definitions. */
		err = appctl_repo_load_snapshot_cached(out, cli->repo, commit,
			&progress.hooks);
		cli_progress_end(&progress);
	}
	if (err)
		return err;
	if (commit_out)
		memcpy(commit_out, commit, 41);
	return NULL;
}

const char *appctl_cli_color(const appctl_cli *cli, const char *ansi)
{
	return cli->color ? ansi : "";
}

appctl_error *appctl_cli_print_json(cJSON *doc)
{
	char *text;

	if (!doc)
		return appctl_error_nomem();
	text = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (!text)
		return appctl_error_nomem();
	puts(text);
	cJSON_free(text);
	return NULL;
}
