/* cli.h: what every cmd_<name>.c shares: the context, options, output. */
#ifndef APPCTL_CLI_H
#define APPCTL_CLI_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "appctl/error.h"
#include "appctl/model.h"
#include "appctl/store.h"

/* Global state parsed by main before the command runs. */
typedef struct appctl_cli {
	const char *dir;       /* -C DIR, or NULL */
	int json;              /* --json */
	int color;             /* colour on stdout (TTY, no NO_COLOR, no --no-color) */
	const char *command;
	appctl_repo *repo;     /* opened by main for commands flagged NEEDS_REPO */
} appctl_cli;

/*
 * A declarative options table (libgit2's CLI style). Each command lists its
 * options; appctl_cli_parse fills the targets and collects positionals.
 */
typedef enum {
	APPCTL_OPT_FLAG,       /* int *: set to 1 */
	APPCTL_OPT_STRING      /* const char **: the value */
} appctl_opt_type;

typedef struct appctl_opt {
	const char *long_name; /* without "--" */
	char short_name;       /* 0 for none */
	appctl_opt_type type;
	void *target;
	const char *value_name;/* for usage, e.g. "DATE" */
} appctl_opt;

/*
 * Parses argv[1..argc) against `opts` (terminated by a zero entry).
 * "--help"/"-h" anywhere sets *help. Positionals go to `pos` (at most
 * `max_pos`, counted in *npos). Unknown options, missing values and too many
 * positionals are APPCTL_EUSAGE errors.
 */
appctl_error *appctl_cli_parse(int argc, char **argv, const appctl_opt *opts,
	const char **pos, int max_pos, int *npos, int *help);

/*
 * Prints the help page of `command`, rendered as text, to stdout (through
 * a pager on a terminal, see help_render.h): 0, -1 if it has none, -2 out
 * of memory.
 */
int appctl_cli_print_help(const char *command);

/* Today's date (UTC) by the one clock (appctl_clock_now). */
appctl_date appctl_cli_today(void);

/* The one clock's time as ISO 8601 UTC "YYYY-MM-DDTHH:MM:SSZ" into buf[21+]. */
void appctl_cli_now(char *buf, size_t len);

/*
 * Loads the snapshot named by `rev` from the repository (or, with `worktree`,
 * from the working tree), wrapping errors with the revision.
 */
appctl_error *appctl_cli_load(appctl_snapshot **out, appctl_cli *cli,
	const char *rev, int worktree, char commit_out[41]);

/*
 * Prints `doc` as indented JSON on stdout and frees it (NULL, from a failed
 * build, is out of memory). Every --json output goes through here.
 */
appctl_error *appctl_cli_print_json(cJSON *doc);

/* ANSI colour helpers that print nothing when colour is off. */
const char *appctl_cli_color(const appctl_cli *cli, const char *ansi);
#define APPCTL_RED "\033[31m"
#define APPCTL_YELLOW "\033[33m"
#define APPCTL_GREEN "\033[32m"
#define APPCTL_BOLD "\033[1m"
#define APPCTL_RESET "\033[0m"

/* One entry per command: cmd_<name>.c defines the function. */
typedef appctl_error *(*appctl_cmd_fn)(appctl_cli *cli, int argc, char **argv);

appctl_error *cmd_init(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_validate(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_diff(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_access(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_approve(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_status(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_promote(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_rollback(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_history(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_audit(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_notify(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_sync(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_hook(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_inventory(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_who_can(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_offboard(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_new(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_help(appctl_cli *cli, int argc, char **argv);
appctl_error *cmd_version(appctl_cli *cli, int argc, char **argv);

#endif
