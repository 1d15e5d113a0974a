/* proc.c: one program run with posix_spawnp: its output drained through poll and bounded, its time bounded; or a pager fed text. */
#include "appctl/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void appctl_proc_result_dispose(appctl_proc_result *r)
{
	appctl_strbuf_dispose(&r->out);
	appctl_strbuf_dispose(&r->err);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Reads what is there on `fd` into `buf`, keeping at most `cap` bytes
 * (the rest is read and dropped, so the program never blocks on a full
 * pipe); 0 at end of file.
 */
static int drain(int fd, appctl_strbuf *buf, size_t cap, int *clipped)
{
	char chunk[8192];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	size_t take;

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return 0;
	take = (size_t)n;
	if (buf->len + take > cap) {
		take = buf->len < cap ? cap - buf->len : 0;
		if (clipped)
			*clipped = 1;
	}
	appctl_strbuf_add(buf, chunk, take);
	return 1;
}

static int set_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/* Waits for `pid` until `deadline`: 1 reaped (*wstatus set), 0 still running, -1 error. */
static int wait_until(pid_t pid, int *wstatus, int64_t deadline)
{
	for (;;) {
		struct timespec pause = { 0, 2 * 1000 * 1000 };
		pid_t w = waitpid(pid, wstatus, WNOHANG);

		if (w == pid)
			return 1;
		if (w < 0 && errno != EINTR)
			return -1;
		if (now_ms() >= deadline)
			return 0;
		nanosleep(&pause, NULL);
	}
}

/* Collects stdout and stderr until both close or `deadline` passes. */
static appctl_error *collect(appctl_proc_result *r, const appctl_proc_spec *spec,
	int *out_fd, int *err_fd, int64_t deadline)
{
	const char *name = spec->argv[0];

	while (*out_fd >= 0 || *err_fd >= 0) {
		struct pollfd fds[2];
		int *which[2];
		nfds_t n = 0, j;
		int64_t left = deadline - now_ms();
		int rc;

		if (left <= 0)
			return NULL;
		if (*out_fd >= 0) {
			fds[n].fd = *out_fd;
			fds[n].events = POLLIN;
			which[n++] = out_fd;
		}
		if (*err_fd >= 0) {
			fds[n].fd = *err_fd;
			fds[n].events = POLLIN;
			which[n++] = err_fd;
		}
		rc = poll(fds, n, left > 60000 ? 60000 : (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return appctl_error_new(APPCTL_ESYSTEM, "%s: poll: %s", name,
				strerror(errno));
		for (j = 0; j < n; j++) {
			int is_out = which[j] == out_fd;

			if (!(fds[j].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!drain(*which[j], is_out ? &r->out : &r->err,
					is_out ? spec->out_cap : spec->err_cap,
					is_out ? &r->out_clipped : NULL)) {
				close(*which[j]);
				*which[j] = -1;
			}
		}
	}
	return NULL;
}

appctl_error *appctl_proc_run(appctl_proc_result *r,
	const appctl_proc_spec *spec)
{
	posix_spawn_file_actions_t actions;
	const char *name = spec->argv[0];
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	int actions_ready = 0, rc, wstatus = 0, reaped = 0, i;
	appctl_error *err = NULL;
	int64_t deadline;
	pid_t pid = -1;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0 ||
	    set_cloexec(out_pipe[0]) < 0 || set_cloexec(out_pipe[1]) < 0 ||
	    set_cloexec(err_pipe[0]) < 0 || set_cloexec(err_pipe[1]) < 0) {
		err = appctl_error_new(APPCTL_ESYSTEM, "cannot run %s: %s", name,
			strerror(errno));
		goto done;
	}
	if (posix_spawn_file_actions_init(&actions) != 0) {
		err = appctl_error_nomem();
		goto done;
	}
	actions_ready = 1;
	rc = posix_spawn_file_actions_addopen(&actions, STDIN_FILENO,
		spec->stdin_path ? spec->stdin_path : "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&actions, out_pipe[1],
			STDOUT_FILENO);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&actions, err_pipe[1],
			STDERR_FILENO);
	if (!rc)
		rc = posix_spawnp(&pid, name, &actions, NULL,
			(char *const *)spec->argv, environ);
	if (rc) {
		pid = -1;
		err = appctl_error_new(APPCTL_ESYSTEM, "cannot run %s: %s", name,
			rc == ENOENT ? "not found in PATH" : strerror(rc));
		goto done;
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;

	deadline = now_ms() + spec->timeout_ms;
	err = collect(r, spec, &out_pipe[0], &err_pipe[0], deadline);
	if (err)
		goto done;
	if (out_pipe[0] < 0 && err_pipe[0] < 0)
		reaped = wait_until(pid, &wstatus, deadline);
	if (reaped == 0) {
		/* Too long: ask it to stop (git ends the ssh it started), then make it. */
		if (spec->grace_ms > 0) {
			kill(pid, SIGTERM);
			reaped = wait_until(pid, &wstatus, now_ms() + spec->grace_ms);
		}
		if (reaped != 1) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
				;
		}
		pid = -1;
		err = appctl_error_new(APPCTL_ESYSTEM, "%s did not finish within "
			"%d s; stopped it", name, spec->timeout_ms / 1000);
		goto done;
	}
	if (reaped < 0) {
		err = appctl_error_new(APPCTL_ESYSTEM, "%s: wait: %s", name,
			strerror(errno));
		goto done;
	}
	pid = -1;
	if (r->out.failed || r->err.failed) {
		err = appctl_error_nomem();
		goto done;
	}
	r->exited = WIFEXITED(wstatus);
	r->status = r->exited ? WEXITSTATUS(wstatus) : -1;
	/* posix_spawnp may report a missing program only through the child's 127. */
	if (r->exited && r->status == 127 && r->out.len == 0 && r->err.len == 0)
		err = appctl_error_new(APPCTL_ESYSTEM, "cannot run %s: not found "
			"in PATH", name);
done:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
			;
	}
	if (actions_ready)
		posix_spawn_file_actions_destroy(&actions);
	for (i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	return err;
}

/* Writes all of `text` to `fd`, stopping quietly when the reader has gone. */
static void feed_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EPIPE: the pager quit before the end */
		text += n;
		len -= (size_t)n;
	}
}

appctl_error *appctl_proc_feed(int *status, const char *const *argv,
	const char *text, size_t len)
{
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	struct sigaction ignore, old_int, old_quit, old_pipe;
	sigset_t defaults;
	const char *name = argv[0];
	int in_pipe[2] = { -1, -1 }, actions_ready = 0, attr_ready = 0;
	int rc, wstatus = 0, handlers_set = 0;
	appctl_error *err = NULL;
	pid_t pid = -1;

	*status = -1;
	if (pipe(in_pipe) != 0 || set_cloexec(in_pipe[0]) < 0 ||
	    set_cloexec(in_pipe[1]) < 0) {
		err = appctl_error_new(APPCTL_ESYSTEM, "cannot run %s: %s", name,
			strerror(errno));
		goto done;
	}
	if (posix_spawn_file_actions_init(&actions) != 0) {
		err = appctl_error_nomem();
		goto done;
	}
	actions_ready = 1;
	if (posix_spawnattr_init(&attr) != 0) {
		err = appctl_error_nomem();
		goto done;
	}
	attr_ready = 1;
	/* Ignored here while it runs; the pager gets the usual dispositions. */
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGQUIT);
	sigaddset(&defaults, SIGPIPE);
	rc = posix_spawnattr_setsigdefault(&attr, &defaults);
	if (!rc)
		rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&actions, in_pipe[0],
			STDIN_FILENO);
	if (rc) {
		err = appctl_error_new(APPCTL_ESYSTEM, "cannot run %s: %s", name,
			strerror(rc));
		goto done;
	}
	memset(&ignore, 0, sizeof(ignore));
	ignore.sa_handler = SIG_IGN;
	sigemptyset(&ignore.sa_mask);
	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);
	sigaction(SIGPIPE, &ignore, &old_pipe);
	handlers_set = 1;
	rc = posix_spawnp(&pid, name, &actions, &attr, (char *const *)argv,
		environ);
	if (rc) {
		pid = -1;
		err = appctl_error_new(APPCTL_ESYSTEM, "cannot run %s: %s", name,
			rc == ENOENT ? "not found in PATH" : strerror(rc));
		goto done;
	}
	close(in_pipe[0]);
	in_pipe[0] = -1;
	feed_all(in_pipe[1], text, len);
	close(in_pipe[1]);
	in_pipe[1] = -1;
	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			err = appctl_error_new(APPCTL_ESYSTEM, "%s: wait: %s", name,
				strerror(errno));
			break;
		}
	}
	pid = -1;
	if (!err && WIFEXITED(wstatus))
		*status = WEXITSTATUS(wstatus);
done:
	if (handlers_set) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		sigaction(SIGPIPE, &old_pipe, NULL);
	}
	if (attr_ready)
		posix_spawnattr_destroy(&attr);
	if (actions_ready)
		posix_spawn_file_actions_destroy(&actions);
	if (in_pipe[0] >= 0)
		close(in_pipe[0]);
	if (in_pipe[1] >= 0)
		close(in_pipe[1]);
	return err;
}
