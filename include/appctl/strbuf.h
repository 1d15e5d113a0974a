/* strbuf.h: a growable byte buffer for building output and paths. */
#ifndef APPCTL_STRBUF_H
#define APPCTL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

/*
 * `ptr` is always NUL-terminated once anything was added. After an allocation
 * failure `failed` is set and later appends do nothing, so callers may append
 * freely and check once at the end.
 */
typedef struct appctl_strbuf {
	char *ptr;
	size_t len;
	size_t cap;
	int failed;
} appctl_strbuf;

#define APPCTL_STRBUF_INIT { NULL, 0, 0, 0 }

void appctl_strbuf_add_grow(appctl_strbuf *buf, const char *data, size_t len);

/*
 * Appends `len` bytes. Inline while they fit, as most appends do: a large
 * diff's JSON is a dozen short appends per change, hundreds of thousands
 * of calls.
 */
static inline void appctl_strbuf_add(appctl_strbuf *buf, const char *data,
	size_t len)
{
	if (!buf->failed && buf->cap - buf->len > len) {
		if (len)
			memcpy(buf->ptr + buf->len, data, len);
		buf->len += len;
		buf->ptr[buf->len] = '\0';
		return;
	}
	appctl_strbuf_add_grow(buf, data, len);
}

/* Inline too: most callers pass a literal, whose length the compiler knows. */
static inline void appctl_strbuf_puts(appctl_strbuf *buf, const char *s)
{
	appctl_strbuf_add(buf, s, strlen(s));
}

static inline void appctl_strbuf_putc(appctl_strbuf *buf, char c)
{
	appctl_strbuf_add(buf, &c, 1);
}

void appctl_strbuf_printf(appctl_strbuf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void appctl_strbuf_vprintf(appctl_strbuf *buf, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Shortens the buffer to `len` bytes (no-op if already shorter). */
void appctl_strbuf_truncate(appctl_strbuf *buf, size_t len);

/*
 * Hands the string to the caller (who frees it with free()) and resets the
 * buffer; returns NULL if any append failed (the buffer is freed then).
 */
char *appctl_strbuf_detach(appctl_strbuf *buf);

/* Frees the buffer's memory; the buffer may be reused after. */
void appctl_strbuf_dispose(appctl_strbuf *buf);

/* A formatted string the caller frees with free(); NULL out of memory. */
char *appctl_str_printf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * Appends a formatted string to the array `*list` of `*count` strings
 * (grown with realloc; the caller frees each string and the array).
 * Returns 0, or -1 out of memory (the list is left as it was).
 */
int appctl_strlist_add_printf(char ***list, size_t *count, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
