/* json_edit.c: byte spans of JSON values and edits that leave the rest of the text untouched. */
#include "appctl/json_edit.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "appctl/strbuf.h"

static size_t skip_ws(const char *t, size_t len, size_t p)
{
	while (p < len && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' ||
			   t[p] == '\r'))
		p++;
	return p;
}

/* The end of the string token starting at t[p] == '"'. */
static size_t skip_string(const char *t, size_t len, size_t p)
{
	for (p++; p < len; p++) {
		if (t[p] == '\\')
			p++;
		else if (t[p] == '"')
			return p + 1;
	}
	return len;
}

/* The end of the value starting at t[p]. */
static size_t skip_value(const char *t, size_t len, size_t p)
{
	size_t depth = 0;

	if (p >= len)
		return len;
	if (t[p] == '"')
		return skip_string(t, len, p);
	if (t[p] != '{' && t[p] != '[') {
		while (p < len && !strchr(",]} \t\r\n", t[p]))
			p++;
		return p;
	}
	for (; p < len; p++) {
		if (t[p] == '"') {
			p = skip_string(t, len, p) - 1;
		} else if (t[p] == '{' || t[p] == '[') {
			depth++;
		} else if (t[p] == '}' || t[p] == ']') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return len;
}

/* True when the string token [s, e) decodes to `key`. */
static int key_equals(const char *t, size_t s, size_t e, const char *key)
{
	cJSON *parsed;
	int same;

	/* The common case, a key without escapes, needs no decoding. */
	if (!memchr(t + s, '\\', e - s))
		return e - s == strlen(key) + 2 &&
			memcmp(t + s + 1, key, e - s - 2) == 0;
	parsed = cJSON_ParseWithLength(t + s, e - s);
	same = cJSON_IsString(parsed) && strcmp(parsed->valuestring, key) == 0;
	cJSON_Delete(parsed);
	return same;
}

/* The start of member `key` of the object at t[p], or len. */
static size_t object_member(const char *t, size_t len, size_t p,
	const char *key)
{
	for (p = skip_ws(t, len, p + 1); p < len && t[p] == '"';) {
		size_t ke = skip_string(t, len, p), v;

		v = skip_ws(t, len, ke);
		if (v >= len || t[v] != ':')
			return len;
		v = skip_ws(t, len, v + 1);
		if (key_equals(t, p, ke, key))
			return v;
		p = skip_ws(t, len, skip_value(t, len, v));
		if (p >= len || t[p] != ',')
			return len;
		p = skip_ws(t, len, p + 1);
	}
	return len;
}

/* The start of element `index` of the array at t[p], or len. */
static size_t array_element(const char *t, size_t len, size_t p, size_t index)
{
	size_t i;

	p = skip_ws(t, len, p + 1);
	if (p >= len || t[p] == ']')
		return len;
	for (i = 0; i < index; i++) {
		p = skip_ws(t, len, skip_value(t, len, p));
		if (p >= len || t[p] != ',')
			return len;
		p = skip_ws(t, len, p + 1);
	}
	return p;
}

int appctl_json_span(size_t *start, size_t *end, const char *text,
	size_t len, const appctl_json_step *steps, size_t count)
{
	size_t p = skip_ws(text, len, 0), i;

	for (i = 0; i < count && p < len; i++) {
		if (steps[i].key)
			p = text[p] == '{' ? object_member(text, len, p,
						     steps[i].key) : len;
		else
			p = text[p] == '[' ? array_element(text, len, p,
						     steps[i].index) : len;
	}
	if (p >= len)
		return -1;
	*start = p;
	*end = skip_value(text, len, p);
	return 0;
}

int appctl_json_array_drop(appctl_text_edit *out, const char *text,
	size_t len, const appctl_json_step *steps, size_t count,
	const unsigned char *drop, size_t drop_count)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	size_t start, end, p, *el_start, *el_end, n = 0, i, kept = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (appctl_json_span(&start, &end, text, len, steps, count) != 0 ||
	    text[start] != '[')
		return 1;
	el_start = calloc(drop_count + 1, sizeof(size_t));
	el_end = calloc(drop_count + 1, sizeof(size_t));
	if (!el_start || !el_end) {
		rc = -1;
		goto done;
	}
	for (p = skip_ws(text, len, start + 1); p < end && text[p] != ']';) {
		if (n >= drop_count) {
			rc = 1;
			goto done;
		}
		el_start[n] = p;
		el_end[n] = skip_value(text, len, p);
		p = skip_ws(text, len, el_end[n]);
		n++;
		if (p < end && text[p] == ',')
			p = skip_ws(text, len, p + 1);
	}
	if (n != drop_count) {
		rc = 1;
		goto done;
	}
	/*
	 * Each kept element is preceded by the separator that preceded it in
	 * the file (the first one's when it was first), so line breaks and
	 * indentation stay as they were.
	 */
	for (i = 0; i < n; i++) {
		if (drop[i])
			continue;
		if (kept == 0)  /* "[" and the whitespace before the first */
			appctl_strbuf_add(&b, text + start, el_start[0] - start);
		else            /* i > 0 here: the separator before element i */
			appctl_strbuf_add(&b, text + el_end[i - 1],
				el_start[i] - el_end[i - 1]);
		appctl_strbuf_add(&b, text + el_start[i], el_end[i] - el_start[i]);
		kept++;
	}
	if (kept)
		appctl_strbuf_add(&b, text + el_end[n - 1], end - el_end[n - 1]);
	else
		appctl_strbuf_puts(&b, "[]");
	out->start = start;
	out->end = end;
	out->replacement = appctl_strbuf_detach(&b);
	if (!out->replacement)
		rc = -1;
done:
	free(el_start);
	free(el_end);
	return rc;
}

static int edit_cmp(const void *a, const void *b)
{
	const appctl_text_edit *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

char *appctl_text_apply_edits(const char *text, size_t len,
	appctl_text_edit *edits, size_t count, size_t *out_len)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	size_t at = 0, i;

	if (count)
		qsort(edits, count, sizeof(*edits), edit_cmp);
	for (i = 0; i < count; i++) {
		if (edits[i].start < at || edits[i].end > len) {
			appctl_strbuf_dispose(&b);
			return NULL;
		}
		appctl_strbuf_add(&b, text + at, edits[i].start - at);
		appctl_strbuf_puts(&b, edits[i].replacement);
		at = edits[i].end;
	}
	appctl_strbuf_add(&b, text + at, len - at);
	if (!b.failed && !b.ptr)
		appctl_strbuf_puts(&b, "");
	*out_len = b.len;
	return appctl_strbuf_detach(&b);
}
