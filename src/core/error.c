/* error.c: construction and formatting of appctl_error. */
#include "appctl/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/strbuf.h"

static appctl_error nomem_error = { APPCTL_ESYSTEM, (char *)"out of memory",
	NULL, NULL, NULL };

appctl_error *appctl_error_nomem(void)
{
	return &nomem_error;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

appctl_error *appctl_error_vnew(appctl_code code, const char *file,
	const char *path, const char *fmt, va_list ap)
{
	appctl_strbuf msg = APPCTL_STRBUF_INIT;
	appctl_error *err = calloc(1, sizeof(*err));

	if (!err)
		return &nomem_error;
	appctl_strbuf_vprintf(&msg, fmt, ap);
	err->code = code;
	err->message = appctl_strbuf_detach(&msg);
	err->file = dup_or_null(file);
	err->path = dup_or_null(path);
	if (!err->message || (file && !err->file) || (path && !err->path)) {
		appctl_error_free(err);
		return &nomem_error;
	}
	return err;
}

appctl_error *appctl_error_new(appctl_code code, const char *fmt, ...)
{
	appctl_error *err;
	va_list ap;

	va_start(ap, fmt);
	err = appctl_error_vnew(code, NULL, NULL, fmt, ap);
	va_end(ap);
	return err;
}

appctl_error *appctl_error_input(const char *file, const char *path,
	const char *fmt, ...)
{
	appctl_error *err;
	va_list ap;

	va_start(ap, fmt);
	err = appctl_error_vnew(APPCTL_EINPUT, file, path, fmt, ap);
	va_end(ap);
	return err;
}

appctl_error *appctl_error_wrap(appctl_error *err, const char *fmt, ...)
{
	appctl_strbuf what = APPCTL_STRBUF_INIT;
	appctl_error *e;
	va_list ap;

	if (!err || err == &nomem_error)
		return err;
	va_start(ap, fmt);
	appctl_strbuf_vprintf(&what, fmt, ap);
	va_end(ap);
	for (e = err; e && !what.failed; e = e->next) {
		appctl_strbuf msg = APPCTL_STRBUF_INIT;
		char *joined;

		appctl_strbuf_printf(&msg, "%s: %s", what.ptr, e->message);
		joined = appctl_strbuf_detach(&msg);
		if (joined) {
			free(e->message);
			e->message = joined;
		}
	}
	appctl_strbuf_dispose(&what);
	return err;
}

appctl_error *appctl_error_append(appctl_error *list, appctl_error *more)
{
	appctl_error *tail;

	if (!list)
		return more;
	if (!more)
		return list;
	if (list == &nomem_error || more == &nomem_error) {
		appctl_error_free(list == &nomem_error ? more : list);
		return &nomem_error;
	}
	for (tail = list; tail->next; tail = tail->next)
		;
	tail->next = more;
	return list;
}

unsigned long appctl_error_count(const appctl_error *err)
{
	unsigned long n = 0;

	for (; err; err = err->next)
		n++;
	return n;
}

char *appctl_error_format(const appctl_error *err)
{
	appctl_strbuf out = APPCTL_STRBUF_INIT;
	const char *p;

	if (err->file)
		appctl_strbuf_printf(&out, "%s: ", err->file);
	if (err->path)
		appctl_strbuf_printf(&out, "%s: ", err->path);
	/* One line, always: a message quoting hostile input must not forge lines. */
	for (p = err->message; p && *p; p++)
		appctl_strbuf_putc(&out, (*p == '\n' || *p == '\r') ? ' ' : *p);
	return appctl_strbuf_detach(&out);
}

void appctl_error_free(appctl_error *err)
{
	/* A loop, not recursion: a chain may be long. */
	while (err && err != &nomem_error) {
		appctl_error *next = err->next;

		free(err->message);
		free(err->file);
		free(err->path);
		free(err);
		err = next;
	}
}
