/* json_locate.c: find the line of a JSON path in the original text, for findings. */
#include "appctl/json.h"

#include <stdlib.h>
#include <string.h>

/*
 * cJSON keeps no positions, so locating a value means re-reading the text.
 * This is a small recursive scanner that follows only the requested path; it
 * is tolerant (returns "not found" on anything odd) because it only ever
 * runs on text that appctl_json_parse already accepted.
 */

typedef struct step {
	int is_index;
	size_t index;
	char *key;
} step;

typedef struct scanner {
	const char *s;
	size_t len;
	size_t pos;
} scanner;

static void skip_ws(scanner *sc)
{
	while (sc->pos < sc->len && (sc->s[sc->pos] == ' ' ||
	       sc->s[sc->pos] == '\t' || sc->s[sc->pos] == '\n' ||
	       sc->s[sc->pos] == '\r'))
		sc->pos++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(appctl_strbuf *b, unsigned long cp)
{
	if (cp < 0x80) {
		appctl_strbuf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		appctl_strbuf_putc(b, (char)(0xC0 | (cp >> 6)));
		appctl_strbuf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		appctl_strbuf_putc(b, (char)(0xE0 | (cp >> 12)));
		appctl_strbuf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		appctl_strbuf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		appctl_strbuf_putc(b, (char)(0xF0 | (cp >> 18)));
		appctl_strbuf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		appctl_strbuf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		appctl_strbuf_putc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

static int read_hex4(const char *s, size_t len, size_t at, unsigned long *cp)
{
	int k, h;

	*cp = 0;
	if (at + 4 > len)
		return -1;
	for (k = 0; k < 4; k++) {
		h = hexval(s[at + k]);
		if (h < 0)
			return -1;
		*cp = (*cp << 4) | (unsigned long)h;
	}
	return 0;
}

/* Decodes a JSON string starting at the opening quote into `out` (may be NULL to skip). */
static int scan_string(scanner *sc, appctl_strbuf *out)
{
	if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
		return -1;
	sc->pos++;
	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos++];
		unsigned long cp, lo;

		if (c == '"')
			return 0;
		if (c != '\\') {
			if (out)
				appctl_strbuf_putc(out, c);
			continue;
		}
		if (sc->pos >= sc->len)
			return -1;
		c = sc->s[sc->pos++];
		switch (c) {
		case 'n': c = '\n'; break;
		case 't': c = '\t'; break;
		case 'r': c = '\r'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'u':
			if (read_hex4(sc->s, sc->len, sc->pos, &cp) < 0)
				return -1;
			sc->pos += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF && sc->pos + 6 <= sc->len &&
			    sc->s[sc->pos] == '\\' && sc->s[sc->pos + 1] == 'u' &&
			    read_hex4(sc->s, sc->len, sc->pos + 2, &lo) == 0 &&
			    lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				sc->pos += 6;
			}
			if (out)
				put_utf8(out, cp);
			continue;
		default: break; /* \" \\ \/ stand for themselves */
		}
		if (out)
			appctl_strbuf_putc(out, c);
	}
	return -1;
}

/*
 * Scans one value. `matched` is how many leading steps of the target path the
 * current position satisfies; when it reaches `nsteps` the value's start is
 * recorded in *found.
 */
static int scan_value(scanner *sc, const step *steps, size_t nsteps,
	size_t matched, int depth, size_t *found)
{
	char c;

	skip_ws(sc);
	if (matched == nsteps) {
		*found = sc->pos;
		return 1;
	}
	if (depth > APPCTL_JSON_MAX_DEPTH || sc->pos >= sc->len)
		return -1;
	c = sc->s[sc->pos];
	if (c == '{') {
		sc->pos++;
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
			sc->pos++;
			return 0;
		}
		for (;;) {
			appctl_strbuf key = APPCTL_STRBUF_INIT;
			size_t next = matched + 1;
			int r;

			skip_ws(sc);
			if (scan_string(sc, &key) < 0) {
				appctl_strbuf_dispose(&key);
				return -1;
			}
			if (matched == SIZE_MAX || steps[matched].is_index ||
			    strcmp(key.ptr ? key.ptr : "", steps[matched].key) != 0)
				next = SIZE_MAX;
			appctl_strbuf_dispose(&key);
			skip_ws(sc);
			if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
				return -1;
			sc->pos++;
			r = scan_value(sc, steps, nsteps, next, depth + 1, found);
			if (r != 0)
				return r;
			skip_ws(sc);
			if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
				sc->pos++;
				continue;
			}
			if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
				sc->pos++;
				return 0;
			}
			return -1;
		}
	}
	if (c == '[') {
		size_t index = 0;

		sc->pos++;
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
			sc->pos++;
			return 0;
		}
		for (;; index++) {
			size_t next = matched + 1;
			int r;

			if (matched == SIZE_MAX || !steps[matched].is_index ||
			    steps[matched].index != index)
				next = SIZE_MAX;
			r = scan_value(sc, steps, nsteps, next, depth + 1, found);
			if (r != 0)
				return r;
			skip_ws(sc);
			if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
				sc->pos++;
				continue;
			}
			if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
				sc->pos++;
				return 0;
			}
			return -1;
		}
	}
	if (c == '"')
		return scan_string(sc, NULL) < 0 ? -1 : 0;
	/* A scalar: number, true, false, null. */
	while (sc->pos < sc->len && !strchr(",]} \t\r\n", sc->s[sc->pos]))
		sc->pos++;
	return 0;
}

static void free_steps(step *steps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(steps[i].key);
	free(steps);
}

/* Splits "$.a[\"b c\"][2]" into steps; returns the count or -1. */
static long parse_path(const char *path, step **out)
{
	size_t cap = 8, n = 0, len = strlen(path);
	step *steps = calloc(cap, sizeof(*steps));
	scanner sc = { path, len, 1 };

	*out = NULL;
	if (!steps || path[0] != '$')
		goto fail;
	while (sc.pos < len) {
		if (n == cap) {
			step *grown = realloc(steps, 2 * cap * sizeof(*steps));
			if (!grown)
				goto fail;
			memset(grown + cap, 0, cap * sizeof(*steps));
			steps = grown;
			cap *= 2;
		}
		if (path[sc.pos] == '.') {
			size_t start = ++sc.pos;

			while (sc.pos < len && path[sc.pos] != '.' && path[sc.pos] != '[')
				sc.pos++;
			steps[n].key = strndup(path + start, sc.pos - start);
			if (!steps[n++].key)
				goto fail;
		} else if (path[sc.pos] == '[' && sc.pos + 1 < len &&
			   path[sc.pos + 1] == '"') {
			appctl_strbuf key = APPCTL_STRBUF_INIT;

			sc.pos++;
			if (scan_string(&sc, &key) < 0 || sc.pos >= len ||
			    path[sc.pos] != ']') {
				appctl_strbuf_dispose(&key);
				goto fail;
			}
			sc.pos++;
			steps[n].key = appctl_strbuf_detach(&key);
			if (!steps[n++].key)
				goto fail;
		} else if (path[sc.pos] == '[') {
			size_t v = 0;

			sc.pos++;
			if (sc.pos >= len || path[sc.pos] < '0' || path[sc.pos] > '9')
				goto fail;
			while (sc.pos < len && path[sc.pos] >= '0' && path[sc.pos] <= '9' &&
			       v < SIZE_MAX / 10)
				v = v * 10 + (size_t)(path[sc.pos++] - '0');
			if (sc.pos >= len || path[sc.pos] != ']')
				goto fail;
			sc.pos++;
			steps[n].is_index = 1;
			steps[n++].index = v;
		} else {
			goto fail;
		}
	}
	*out = steps;
	return (long)n;
fail:
	free_steps(steps, n);
	return -1;
}

int appctl_json_locate(const char *data, size_t len, const char *path,
	unsigned *line, unsigned *column)
{
	scanner sc = { data, len, 0 };
	size_t found = 0, i;
	step *steps;
	long n;
	int r;

	*line = *column = 1;
	n = parse_path(path, &steps);
	if (n < 0)
		return -1;
	r = scan_value(&sc, steps, (size_t)n, 0, 0, &found);
	free_steps(steps, (size_t)n);
	if (r != 1)
		return -1;
	for (i = 0; i < found; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*column = 1;
		} else if (((unsigned char)data[i] & 0xC0) != 0x80) {
			(*column)++;
		}
	}
	return 0;
}
