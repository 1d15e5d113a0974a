/* json.c: strict JSON parsing over cJSON, JSON paths, canonical serialisation. */
#include "appctl/json.h"
#include "json_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * 2^53 - 1: beyond it a double cannot tell n from n + 1, so 2^53 itself may
 * be a rounded 2^53 + 1 and is refused too.
 */
#define MAX_SAFE_INTEGER 9007199254740991.0

size_t appctl_utf8_invalid_at(const char *data, size_t len)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t i = 0;

	while (i < len) {
		unsigned c;
		size_t n, k;
		uint32_t cp;

		/* Definitions are mostly ASCII: skip 8 bytes at a time when they are. */
		while (len - i >= 8) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ull) ||
			    ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
				break;
			i += 8;
		}
		if (i >= len)
			break;
		c = s[i];
		if (c == 0)
			return i + 1;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return i + 1; /* continuation byte, overlong lead, or > U+10FFFF */
		}
		if (len - i <= n)
			return i + 1;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return i + 1;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return i + 1;
		i += n + 1;
	}
	return 0;
}

static void position_of(const char *data, size_t offset, unsigned *line,
	unsigned *column)
{
	size_t i;

	*line = 1;
	*column = 1;
	for (i = 0; i < offset; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*column = 1;
		} else if (((unsigned char)data[i] & 0xC0) != 0x80) {
			(*column)++;
		}
	}
}

static appctl_error *error_at(const char *file, const char *data,
	size_t offset, const char *what)
{
	unsigned line, column;

	position_of(data, offset, &line, &column);
	return appctl_error_input(file, NULL, "line %u column %u: %s", line,
		column, what);
}

int appctl_json_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_hex4(const char *p)
{
	int k;

	for (k = 0; k < 4; k++)
		if (appctl_json_hex_value((unsigned char)p[k]) < 0)
			return 0;
	return 1;
}

/*
 * One pass over the raw text before cJSON sees it: cJSON recurses once per
 * nesting level and lets "\u0000" through, so depth and NUL escapes are
 * refused here, string-aware so that brackets inside strings do not count.
 */
static appctl_error *prescan(const char *file, const char *data, size_t len)
{
	size_t i, bad;
	int depth = 0, in_string = 0;

	bad = appctl_utf8_invalid_at(data, len);
	if (bad)
		return error_at(file, data, bad - 1,
			data[bad - 1] == '\0' ? "NUL byte in JSON text"
					      : "invalid UTF-8");
	for (i = 0; i < len; i++) {
		char c;

		if (in_string) {
			i += appctl_json_plain_run((const unsigned char *)data + i,
				(const unsigned char *)data + len, NULL);
			if (i == len)
				break;
			c = data[i];
			if (c == '\\') {
				/*
				 * cJSON reads a bad hex digit as a zero and ends the
				 * string there: "roles\uZZZZx" would be the key "roles".
				 */
				if (i + 1 < len && data[i + 1] == 'u' &&
				    (len - i < 6 || !is_hex4(data + i + 2)))
					return error_at(file, data, i,
						"\\u not followed by four hex digits");
				if (i + 5 < len && data[i + 1] == 'u' &&
				    strncmp(data + i + 2, "0000", 4) == 0)
					return error_at(file, data, i,
						"\\u0000 (NUL) in a string");
				i++;
			} else if (c == '"') {
				in_string = 0;
			}
			continue;
		}
		c = data[i];
		if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > APPCTL_JSON_MAX_DEPTH)
				return error_at(file, data, i,
					"nesting deeper than 64 levels");
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return NULL;
}

static int key_cmp(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

static void path_of(appctl_strbuf *path, const cJSON *const *stack,
	size_t depth)
{
	size_t i;

	appctl_strbuf_puts(path, "$");
	for (i = 1; i < depth; i++) {
		const cJSON *parent = stack[i - 1], *child = stack[i];

		if (cJSON_IsArray(parent)) {
			size_t index = 0;
			const cJSON *it;

			for (it = parent->child; it && it != child; it = it->next)
				index++;
			appctl_json_path_index(path, index);
		} else {
			appctl_json_path_key(path, child->string);
		}
	}
}

/*
 * cJSON keeps every duplicate key and answers lookups with the first, so a
 * second "roles" could hide from review; refuse them. Sorting makes this
 * O(n log n) per object, which matters for a hostile 16 MiB object.
 */
static appctl_error *check_duplicates(const char *file, const cJSON **stack,
	size_t depth)
{
	const cJSON *item = stack[depth - 1], *child;
	const cJSON **keys = NULL;
	appctl_error *err = NULL;
	size_t n = 0, i;

	if (cJSON_IsObject(item)) {
		for (child = item->child; child; child = child->next)
			n++;
		/* Small objects, the usual case, need no allocation to compare. */
		if (n > 1 && n <= 8) {
			const cJSON *x, *y;

			for (x = item->child; x; x = x->next)
				for (y = item->child; y != x; y = y->next)
					if (strcmp(x->string, y->string) == 0) {
						appctl_strbuf path = APPCTL_STRBUF_INIT;

						stack[depth] = x;
						path_of(&path, stack, depth + 1);
						err = appctl_error_input(file,
							path.ptr ? path.ptr : "$",
							"duplicate key \"%s\"", x->string);
						appctl_strbuf_dispose(&path);
						goto done;
					}
		} else if (n > 1) {
			keys = malloc(n * sizeof(*keys));
			if (!keys)
				return appctl_error_nomem();
			i = 0;
			for (child = item->child; child; child = child->next)
				keys[i++] = child;
			qsort(keys, n, sizeof(*keys), key_cmp);
			for (i = 1; i < n; i++) {
				if (strcmp(keys[i - 1]->string, keys[i]->string) == 0) {
					appctl_strbuf path = APPCTL_STRBUF_INIT;
					const cJSON *second = keys[i];

					/* Report the later one: that is the duplicate. */
					for (child = item->child; child; child = child->next)
						if (child == keys[i - 1] || child == keys[i])
							second = child;
					stack[depth] = second;
					path_of(&path, stack, depth + 1);
					err = appctl_error_input(file,
						path.ptr ? path.ptr : "$",
						"duplicate key \"%s\"", second->string);
					appctl_strbuf_dispose(&path);
					goto done;
				}
			}
		}
	}
	for (child = item->child; child; child = child->next) {
		if (!cJSON_IsObject(child) && !cJSON_IsArray(child))
			continue;
		stack[depth] = child;
		err = check_duplicates(file, stack, depth + 1);
		if (err)
			goto done;
	}
done:
	free(keys);
	return err;
}

appctl_error *appctl_json_precheck(const char *file, const char *data,
	size_t len)
{
	if (len > APPCTL_JSON_MAX_BYTES)
		return appctl_error_input(file, NULL,
			"file is %zu bytes, over the 16 MiB limit", len);
	return prescan(file, data, len);
}

appctl_error *appctl_json_check_duplicates(const char *file,
	const cJSON *root)
{
	const cJSON *stack[APPCTL_JSON_MAX_DEPTH + 2];

	stack[0] = root;
	return check_duplicates(file, stack, 1);
}

appctl_error *appctl_json_parse(cJSON **out, const char *file,
	const char *data, size_t len)
{
	const char *end = NULL;
	appctl_error *err;
	cJSON *root = NULL;
	char *copy = NULL;

	*out = NULL;
	err = appctl_json_precheck(file, data, len);
	if (err)
		return err;
	/* cJSON needs a NUL-terminated buffer; blobs are not. */
	copy = malloc(len + 1);
	if (!copy)
		return appctl_error_nomem();
	memcpy(copy, data, len);
	copy[len] = '\0';
	root = cJSON_ParseWithOpts(copy, &end, 1);
	if (!root) {
		size_t offset = end && end >= copy && end <= copy + len
			? (size_t)(end - copy) : 0;

		if (!end) {
			const char *e = cJSON_GetErrorPtr();
			if (e && e >= copy && e <= copy + len)
				offset = (size_t)(e - copy);
		}
		err = error_at(file, copy, offset,
			len == 0 ? "empty file, expected a JSON value"
				 : "malformed JSON");
		goto done;
	}
	err = appctl_json_check_duplicates(file, root);
	if (err)
		goto done;
	*out = root;
	root = NULL;
done:
	cJSON_Delete(root);
	free(copy);
	return err;
}

const cJSON *appctl_json_get(const cJSON *object, const char *key)
{
	if (!cJSON_IsObject(object))
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(object, key);
}

static int is_identifier(const char *key)
{
	const char *p;

	if (!((*key >= 'a' && *key <= 'z') || (*key >= 'A' && *key <= 'Z') ||
	      *key == '_'))
		return 0;
	for (p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

void appctl_json_path_key(appctl_strbuf *path, const char *key)
{
	if (is_identifier(key)) {
		appctl_strbuf_putc(path, '.');
		appctl_strbuf_puts(path, key);
		return;
	}
	appctl_strbuf_putc(path, '[');
	appctl_json_quote(path, key);
	appctl_strbuf_putc(path, ']');
}

/* Pages' canonical forms hold many numbers: no printf on this path either. */
static void append_integer(appctl_strbuf *out, int64_t v)
{
	char digits[24];
	size_t n = sizeof(digits);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		digits[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		digits[--n] = '-';
	appctl_strbuf_add(out, digits + n, sizeof(digits) - n);
}

void appctl_json_path_index(appctl_strbuf *path, size_t index)
{
	char digits[24];
	size_t n = sizeof(digits);

	/* Called for every array element parsed: no printf on this path. */
	digits[--n] = ']';
	do {
		digits[--n] = (char)('0' + index % 10);
		index /= 10;
	} while (index);
	digits[--n] = '[';
	appctl_strbuf_add(path, digits + n, sizeof(digits) - n);
}

void appctl_json_quote(appctl_strbuf *out, const char *s)
{
	const unsigned char *p;

	appctl_strbuf_putc(out, '"');
	for (p = (const unsigned char *)s; *p; p++) {
		const unsigned char *run = p;

		/* Runs that need no escape are copied whole: diffs quote ~1 M strings. */
		while (*p >= 0x20 && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			appctl_strbuf_add(out, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		switch (*p) {
		case '"': appctl_strbuf_puts(out, "\\\""); break;
		case '\\': appctl_strbuf_puts(out, "\\\\"); break;
		case '\n': appctl_strbuf_puts(out, "\\n"); break;
		case '\r': appctl_strbuf_puts(out, "\\r"); break;
		case '\t': appctl_strbuf_puts(out, "\\t"); break;
		case '\b': appctl_strbuf_puts(out, "\\b"); break;
		case '\f': appctl_strbuf_puts(out, "\\f"); break;
		default:
			if (*p < 0x20)
				appctl_strbuf_printf(out, "\\u%04x", *p);
			else
				appctl_strbuf_putc(out, (char)*p);
		}
	}
	appctl_strbuf_putc(out, '"');
}

int appctl_json_integer(const cJSON *item, int64_t *value)
{
	double v;

	if (!cJSON_IsNumber(item))
		return 0;
	v = item->valuedouble;
	if (!isfinite(v) || v != floor(v) || fabs(v) > MAX_SAFE_INTEGER)
		return 0;
	*value = (int64_t)v;
	return 1;
}

static int child_cmp(const void *a, const void *b)
{
	return key_cmp(a, b);
}

void appctl_json_canonical(appctl_strbuf *out, const cJSON *item)
{
	const cJSON *child;
	int64_t integer;

	if (cJSON_IsNull(item)) {
		appctl_strbuf_puts(out, "null");
	} else if (cJSON_IsTrue(item)) {
		appctl_strbuf_puts(out, "true");
	} else if (cJSON_IsFalse(item)) {
		appctl_strbuf_puts(out, "false");
	} else if (cJSON_IsNumber(item)) {
		if (appctl_json_integer(item, &integer))
			append_integer(out, integer);
		else
			appctl_strbuf_printf(out, "%.17g", item->valuedouble);
	} else if (cJSON_IsString(item)) {
		appctl_json_quote(out, item->valuestring);
	} else if (cJSON_IsArray(item)) {
		appctl_strbuf_putc(out, '[');
		for (child = item->child; child; child = child->next) {
			appctl_json_canonical(out, child);
			if (child->next)
				appctl_strbuf_putc(out, ',');
		}
		appctl_strbuf_putc(out, ']');
	} else if (cJSON_IsObject(item)) {
		const cJSON **keys;
		size_t n = 0, i;

		for (child = item->child; child; child = child->next)
			n++;
		keys = malloc((n ? n : 1) * sizeof(*keys));
		if (!keys) {
			out->failed = 1;
			return;
		}
		for (i = 0, child = item->child; child; child = child->next)
			keys[i++] = child;
		qsort(keys, n, sizeof(*keys), child_cmp);
		appctl_strbuf_putc(out, '{');
		for (i = 0; i < n; i++) {
			if (i)
				appctl_strbuf_putc(out, ',');
			appctl_json_quote(out, keys[i]->string);
			appctl_strbuf_putc(out, ':');
			appctl_json_canonical(out, keys[i]);
		}
		appctl_strbuf_putc(out, '}');
		free(keys);
	} else {
		appctl_strbuf_puts(out, "null");
	}
}
