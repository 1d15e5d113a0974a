/* main.c: global options, the command table, and the one place errors become exit codes. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appctl/clock.h"
#include "appctl/log.h"
#include "appctl/verify.h"
#include "cli.h"
#include "complete.h"
#include "help_render.h"

enum {
	NEEDS_REPO = 1 << 0,    /* open the repository before running */
	ROLLS_FORWARD = 1 << 1  /* first complete any promotion the log records
				   but the refs do not show yet (a crash) */
};

typedef struct command {
	const char *name;
	appctl_cmd_fn fn;
	unsigned flags;
	const char *summary;
} command;

static const command commands[] = {
	{ "init", cmd_init, 0, "put a repository under appctl (environments, log, release 0)" },
	{ "validate", cmd_validate, 0, "check definitions and policy: schema, references, security lint" },
	{ "diff", cmd_diff, 0, "what a change does to access and connections" },
	{ "access", cmd_access, 0, "what a principal can do, and since when" },
	{ "who-can", cmd_who_can, NEEDS_REPO, "who can do one thing (export a resource, see a field), and how" },
	{ "inventory", cmd_inventory, NEEDS_REPO, "every app: class, owners, integrations, who can do what" },
	{ "offboard", cmd_offboard, NEEDS_REPO, "remove a person everywhere, as one commit to review and promote" },
	{ "new", cmd_new, NEEDS_REPO, "scaffold a new app in the working tree (new app NAME --class CLASS)" },
	{ "status", cmd_status, NEEDS_REPO | ROLLS_FORWARD, "environments, pending changes, approvals" },
	{ "approve", cmd_approve, NEEDS_REPO | ROLLS_FORWARD, "sign an approval of a commit for an environment" },
	{ "promote", cmd_promote, NEEDS_REPO | ROLLS_FORWARD, "move an approved change into an environment" },
	{ "rollback", cmd_rollback, NEEDS_REPO | ROLLS_FORWARD, "go back to an earlier release, as a new release" },
	{ "history", cmd_history, NEEDS_REPO | ROLLS_FORWARD, "the releases of an environment" },
	{ "audit", cmd_audit, NEEDS_REPO, "the event log, and its verification" },
	{ "notify", cmd_notify, NEEDS_REPO, "webhook deliveries and their outbox" },
	{ "sync", cmd_sync, NEEDS_REPO | ROLLS_FORWARD, "exchange events, releases and tags with a remote" },
	/* No roll forward: inside pre-receive, refs must not move. */
	{ "hook", cmd_hook, 0, "install and run the git hooks that enforce the policy" },
	{ "help", cmd_help, 0, "show help for a command" },
	{ "version", cmd_version, 0, "print the version" },
	{ NULL, NULL, 0, NULL }
};

static void print_usage(FILE *f)
{
	const command *c;

	fputs("usage: appctl [-C DIR] [--json] [--no-color] COMMAND [ARGS]\n\n"
	      "commands:\n", f);
	for (c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fputs("\nRun 'appctl help COMMAND' or 'appctl COMMAND --help' for details.\n"
	      "Exit status: 0 ok, 1 denied or findings, 2 usage, 3 invalid input,\n"
	      "4 git/I/O/environment error, 5 conflict (retry).\n", f);
}

/* True when the command's own arguments ask for its help page. */
static int wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

static const command *find_command(const char *name)
{
	const command *c;

	for (c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* `appctl __complete WORD...` (hidden): what shell completion offers. */
static int complete(int argc, char **argv)
{
	const char *names[sizeof(commands) / sizeof(commands[0])];
	size_t n = 0;
	const command *c;

	for (c = commands; c->name; c++)
		names[n++] = c->name;
	names[n] = NULL;
	return appctl_cli_complete(names, argc, argv);
}

static int report(appctl_error *err)
{
	const appctl_error *e;
	int code;

	if (!err)
		return 0;
	code = (int)err->code;
	/*
	 * Findings and denials print their own explanation; others need a line.
	 * A schema check may have found several errors: one line each.
	 */
	for (e = err; e; e = e->next) {
		char *line = appctl_error_format(e);

		if (line && *line)
			fprintf(stderr, "appctl: %s\n", line);
		else if (!line)
			fputs("appctl: out of memory\n", stderr);
		free(line);
	}
	appctl_error_free(err);
	return code;
}

/* A write error on stdout (full disk, closed pipe) must not pass as success. */
static appctl_error *flush_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		return appctl_error_new(APPCTL_ESYSTEM, "cannot write output");
	return NULL;
}

/*
 * An interrupted promote leaves the log ahead of the branch and tag; every
 * command that reads or writes releases first verifies the log's new
 * events with the judge and completes such a step from the verified state
 * only, so the step either happened entirely or (when the log append never
 * happened) not at all, and a forged state.json moves nothing.
 */
static appctl_error *roll_forward(appctl_cli *cli)
{
	char *report_text = NULL;
	appctl_error *err = appctl_log_settle(cli->repo, appctl_clock_now(),
		&report_text);

	if (!err && report_text && *report_text)
		fprintf(stderr, "appctl: completed an interrupted step:\n%s",
			report_text);
	free(report_text);
	return err;
}

static void cli_release(appctl_cli *cli)
{
	appctl_repo_free(cli->repo);
	cli->repo = NULL;
}

/*
 * A command lives a second or so and frees in bursts (a parsed app, its
 * tree, its diff, hundreds of times over). glibc's defaults give memory
 * back to the kernel each time the top of the heap frees 128 KiB and map
 * every buffer from 128 KiB up afresh: each round trip costs page faults,
 * and on a virtual machine unmapping costs a TLB flush on every core the
 * process runs on. Measured on a cold diff of a large org: a fifth of its
 * CPU time with two threads. Buffers of 1 MiB and more are still mapped,
 * so that one growing moves by remapping, not by copying (a diff's change
 * list moves to huge pages instead: appctl_alloc_large). Memory still goes
 * back when the process ends.
 */
static void keep_freed_memory(void)
{
#if defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
	mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
#endif
}

/*
 * Output to a file or a pipe leaves in 64 KiB writes rather than stdio's
 * 4 KiB: a large diff prints megabytes, and each write is a system call,
 * dear on a virtual machine (a tenth of a warm diff of a large org). On a
 * terminal stdout stays line-buffered.
 */
static void buffer_output(void)
{
	static char buf[64 * 1024];

	if (!isatty(STDOUT_FILENO))
		(void)setvbuf(stdout, buf, _IOFBF, sizeof(buf));
}

int main(int argc, char **argv)
{
	appctl_cli cli;
	appctl_error *err = NULL;
	const command *cmd;
	int i, no_color = 0, help_only = 0;

	keep_freed_memory();
	buffer_output();
	memset(&cli, 0, sizeof(cli));
	if (argc > 1 && strcmp(argv[1], "__complete") == 0)
		return complete(argc - 2, argv + 2);
	if (argc == 2 && strcmp(argv[1], "__render-help") == 0)
		return appctl_help_render_stdin();
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-C") == 0) {
			if (i + 1 >= argc)
				return report(appctl_error_new(APPCTL_EUSAGE,
					"option '-C' needs a directory"));
			cli.dir = argv[++i];
		} else if (strncmp(argv[i], "-C", 2) == 0) {
			cli.dir = argv[i] + 2;
		} else if (strcmp(argv[i], "--json") == 0) {
			cli.json = 1;
		} else if (strcmp(argv[i], "--no-color") == 0) {
			no_color = 1;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			print_usage(stdout);
			return report(flush_stdout());
		} else if (strcmp(argv[i], "--version") == 0) {
			return report(cmd_version(&cli, 1, argv + i));
		} else {
			fprintf(stderr, "appctl: unknown option '%s'\n", argv[i]);
			print_usage(stderr);
			return APPCTL_EUSAGE;
		}
	}
	if (i >= argc) {
		print_usage(stderr);
		return APPCTL_EUSAGE;
	}
	cmd = find_command(argv[i]);
	if (!cmd)
		return report(appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not an appctl command; see 'appctl --help'", argv[i]));
	cli.command = cmd->name;
	{
		const char *nc = getenv("NO_COLOR");
		cli.color = !no_color && !(nc && *nc) && isatty(STDOUT_FILENO);
	}
	appctl_help_output(cli.color, !cli.json && isatty(STDOUT_FILENO));
	/*
	 * `appctl help CMD` is `appctl CMD --help`, so that the two cannot
	 * differ even where a command adds to its page (hook's PLATFORMS).
	 */
	if (cmd->fn == cmd_help && argc - i == 2 && strcmp(argv[i + 1], "help") &&
	    find_command(argv[i + 1])) {
		static char help_flag[] = "--help";
		char *as_help[3];

		as_help[0] = argv[i + 1];
		as_help[1] = help_flag;
		as_help[2] = NULL;
		cmd = find_command(argv[i + 1]);
		cli.command = cmd->name;
		err = cmd->fn(&cli, 2, as_help);
		return report(err ? err : flush_stdout());
	}
	/* Help needs no repository: `appctl approve --help` works anywhere. */
	if (wants_help(argc - i, argv + i))
		help_only = 1;
	if (!help_only && (cmd->flags & (NEEDS_REPO | ROLLS_FORWARD))) {
		err = appctl_repo_open(&cli.repo, cli.dir);
		if (!err && (cmd->flags & ROLLS_FORWARD))
			err = roll_forward(&cli);
		if (err) {
			cli_release(&cli);
			return report(err);
		}
	}
	err = cmd->fn(&cli, argc - i, argv + i);
	cli_release(&cli);
	if (!err)
		err = flush_stdout();
	else
		fflush(stdout);
	return report(err);
}
