/* error.h: the one error type of appctl, and the exit status it maps to. */
#ifndef APPCTL_ERROR_H
#define APPCTL_ERROR_H

#include <stdarg.h>

/*
 * Every code maps to exactly one documented exit status (SPEC §5); the values
 * are the exit statuses themselves so the mapping cannot drift.
 */
typedef enum {
	APPCTL_OK = 0,
	APPCTL_EDENIED = 1,   /* denied or findings */
	APPCTL_EUSAGE = 2,    /* bad command line */
	APPCTL_EINPUT = 3,    /* invalid definitions / policy / event */
	APPCTL_ESYSTEM = 4,   /* git, I/O or environment */
	APPCTL_ECONFLICT = 5  /* a concurrent update won; nothing changed */
} appctl_code;

/*
 * An error is returned as a pointer; NULL means success (Game of Trees style).
 * `message` is one line without the "appctl: " prefix. For input errors `file`
 * names the file (repository-relative) and `path` the JSON path ("$.roles.A"),
 * either may be NULL.
 *
 * Schema checks report every problem of a file in one run: the first error
 * is the error itself (callers that need one reason keep reading only it),
 * and `next` chains the further ones, in the order they were found. The
 * chain belongs to the first error: appctl_error_free frees all of it.
 */
typedef struct appctl_error {
	appctl_code code;
	char *message;
	char *file;
	char *path;
	struct appctl_error *next;   /* further errors of the same run, or NULL */
} appctl_error;

/* Returns a new error; never NULL (falls back to a static out-of-memory error). */
appctl_error *appctl_error_new(appctl_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like appctl_error_new, for invalid input: names the file and the JSON path. */
appctl_error *appctl_error_input(const char *file, const char *path,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));

appctl_error *appctl_error_vnew(appctl_code code, const char *file,
	const char *path, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* The static error returned when memory runs out; freeing it is a no-op. */
appctl_error *appctl_error_nomem(void);

/*
 * Prefixes the message with "what: " (e.g. the command or the revision), so
 * that callers can add context on the way up; every error of the chain gets
 * the prefix. Returns `err`.
 */
appctl_error *appctl_error_wrap(appctl_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Formats the full one-line text "file: path: message" into a new string the
 * caller frees, or NULL when out of memory.
 */
char *appctl_error_format(const appctl_error *err);

/*
 * Appends the chain `more` at the end of the chain `list` and returns the
 * head; either may be NULL. Takes ownership of `more`. When either is the
 * static out-of-memory error, the other is freed and that error returned
 * (it cannot carry a chain).
 */
appctl_error *appctl_error_append(appctl_error *list, appctl_error *more);

/* The number of errors in the chain starting at `err` (0 for NULL). */
unsigned long appctl_error_count(const appctl_error *err);

/* Frees an error and its chain; NULL and the static out-of-memory error are no-ops. */
void appctl_error_free(appctl_error *err);

#endif
