/* strbuf.c: growable NUL-terminated buffer with sticky allocation failure. */
#include "appctl/strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(appctl_strbuf *buf, size_t extra)
{
	size_t need, cap;
	char *p;

	if (buf->failed)
		return -1;
	if (extra > SIZE_MAX - buf->len - 1)
		goto fail;
	need = buf->len + extra + 1;
	if (need <= buf->cap)
		return 0;
	cap = buf->cap ? buf->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(buf->ptr, cap);
	if (!p)
		goto fail;
	buf->ptr = p;
	buf->cap = cap;
	return 0;
fail:
	buf->failed = 1;
	return -1;
}

void appctl_strbuf_add_grow(appctl_strbuf *buf, const char *data, size_t len)
{
	if (grow(buf, len) < 0)
		return;
	if (len)
		memcpy(buf->ptr + buf->len, data, len);
	buf->len += len;
	buf->ptr[buf->len] = '\0';
}

void appctl_strbuf_vprintf(appctl_strbuf *buf, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0) {
		buf->failed = 1;
		return;
	}
	if (grow(buf, (size_t)n) < 0)
		return;
	vsnprintf(buf->ptr + buf->len, (size_t)n + 1, fmt, ap);
	buf->len += (size_t)n;
}

void appctl_strbuf_printf(appctl_strbuf *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	appctl_strbuf_vprintf(buf, fmt, ap);
	va_end(ap);
}

void appctl_strbuf_truncate(appctl_strbuf *buf, size_t len)
{
	if (len < buf->len) {
		buf->len = len;
		buf->ptr[len] = '\0';
	}
}

char *appctl_strbuf_detach(appctl_strbuf *buf)
{
	char *s;

	if (buf->failed) {
		appctl_strbuf_dispose(buf);
		return NULL;
	}
	if (!buf->ptr && grow(buf, 0) < 0)
		return NULL;
	if (buf->len == 0)
		buf->ptr[0] = '\0';
	s = buf->ptr;
	buf->ptr = NULL;
	buf->len = buf->cap = 0;
	return s;
}

void appctl_strbuf_dispose(appctl_strbuf *buf)
{
	free(buf->ptr);
	buf->ptr = NULL;
	buf->len = buf->cap = 0;
	buf->failed = 0;
}

char *appctl_str_printf(const char *fmt, ...)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	appctl_strbuf_vprintf(&b, fmt, ap);
	va_end(ap);
	return appctl_strbuf_detach(&b);
}

int appctl_strlist_add_printf(char ***list, size_t *count, const char *fmt, ...)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	char **grown, *s;
	va_list ap;

	va_start(ap, fmt);
	appctl_strbuf_vprintf(&b, fmt, ap);
	va_end(ap);
	s = appctl_strbuf_detach(&b);
	if (!s)
		return -1;
	grown = realloc(*list, (*count + 1) * sizeof(*grown));
	if (!grown) {
		free(s);
		return -1;
	}
	grown[(*count)++] = s;
	*list = grown;
	return 0;
}
