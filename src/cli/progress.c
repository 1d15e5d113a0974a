/* progress.c: progress lines on stderr, only for a person watching a terminal. */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A redraw at most this often: faster only burns the terminal. */
#define REDRAW_MS 100

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cli_progress_wanted(int json)
{
	const char *term = getenv("TERM"), *flag = getenv("APPCTL_PROGRESS");

	if (json)
		return 0;
	if (flag && strcmp(flag, "0") == 0)
		return 0;
	if (term && strcmp(term, "dumb") == 0)
		return 0;
	return isatty(STDERR_FILENO);
}

static void clear_line(cli_progress *p)
{
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		p->drawn = 0;
	}
}

static void on_step(void *arg, size_t done, size_t total)
{
	cli_progress *p = arg;
	int64_t now = monotonic_ms();

	if (!p->on)
		return;
	if (p->drawn && done < total && now - p->last_ms < REDRAW_MS)
		return;
	p->last_ms = now;
	fprintf(stderr, "\r\033[K%s: %zu/%zu %s", p->label, done, total,
		p->unit);
	fflush(stderr);
	p->drawn = 1;
}

static void on_note(void *arg, const char *line)
{
	cli_progress *p = arg;

	if (!p->on)
		return;
	clear_line(p);
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
}

void cli_progress_start(cli_progress *p, int json, const char *label,
	const char *unit)
{
	memset(p, 0, sizeof(*p));
	p->on = cli_progress_wanted(json);
	p->label = label;
	p->unit = unit;
	p->hooks.step = on_step;
	p->hooks.note = on_note;
	p->hooks.arg = p;
}

void cli_progress_end(cli_progress *p)
{
	if (p->on)
		clear_line(p);
}
