/* proc.h: running one program (no shell), for the layers that may: src/sign (ssh-keygen), src/store/remote.c (git) and the help pager of src/cli. */
#ifndef APPCTL_PROC_H
#define APPCTL_PROC_H

#include <stddef.h>

#include "appctl/error.h"
#include "appctl/strbuf.h"

/* What to run and how long to wait. */
typedef struct appctl_proc_spec {
	const char *const *argv;   /* argv[0] is looked up in PATH; NULL-terminated */
	const char *stdin_path;    /* NULL: /dev/null */
	int timeout_ms;            /* then SIGTERM, grace_ms, SIGKILL */
	int grace_ms;              /* 0: SIGKILL at once */
	size_t out_cap;            /* stdout kept; the rest is read and dropped */
	size_t err_cap;            /* stderr kept, likewise */
} appctl_proc_spec;

typedef struct appctl_proc_result {
	int exited;                /* 1 when it exited normally */
	int status;                /* its exit status then; -1 when a signal ended it */
	int out_clipped;           /* stdout was longer than out_cap */
	appctl_strbuf out;
	appctl_strbuf err;
} appctl_proc_result;

/*
 * Runs `spec->argv` with the environment inherited and stdout and stderr
 * collected, so that nothing the program prints can fill a pipe and block
 * it. A program that cannot be started ("cannot run NAME: not found in
 * PATH") or outlives the timeout ("NAME did not finish within N s; stopped
 * it") is APPCTL_ESYSTEM; any exit status is a result, not an error. The
 * caller disposes *r with appctl_proc_result_dispose, also on error.
 */
appctl_error *appctl_proc_run(appctl_proc_result *r,
	const appctl_proc_spec *spec);

void appctl_proc_result_dispose(appctl_proc_result *r);

/*
 * Runs `argv` (argv[0] looked up in PATH) with `len` bytes of `text` on its
 * stdin and this process's stdout and stderr, and waits for it without a
 * time limit: it is a pager, in the user's hands. Meanwhile SIGINT and
 * SIGQUIT are ignored here (they are the pager's to handle) and a pager
 * that quits early is no error. *status is its exit status, or -1 when a
 * signal ended it. A program that cannot be started is APPCTL_ESYSTEM and
 * has been given nothing, so the caller may write `text` itself instead.
 */
appctl_error *appctl_proc_feed(int *status, const char *const *argv,
	const char *text, size_t len);

#endif
