/* progress.h: how long work reports how far it got, through callbacks the CLI supplies (services never print). */
#ifndef APPCTL_PROGRESS_H
#define APPCTL_PROGRESS_H

#include <stddef.h>

/*
 * What a long operation calls as it goes. Any member may be NULL, and so
 * may the struct: then nothing is reported. `step` says `done` of `total`
 * units (apps read, events judged); `note` is one line of its own (a
 * webhook retry), without a trailing newline. The callbacks must not fail
 * the operation: progress is a courtesy, never a result. Work spread over
 * threads may call them from any of its threads, never two at once.
 */
typedef struct appctl_progress {
	void (*step)(void *arg, size_t done, size_t total);
	void (*note)(void *arg, const char *line);
	void *arg;
} appctl_progress;

/* Calls p->step when there is one. */
void appctl_progress_step(const appctl_progress *p, size_t done, size_t total);

/* Formats one line and calls p->note when there is one. */
void appctl_progress_note(const appctl_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
