/* test_json.c: strict JSON parsing, paths, locating and canonical form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/json.h"

typedef struct parse_case {
	const char *name;
	const char *input;
	size_t len;           /* 0: strlen(input) */
	int ok;
	const char *path;     /* expected error path, or NULL */
	const char *message;  /* substring of the error message */
} parse_case;

#define S(x) x, sizeof(x) - 1

static const parse_case parse_cases[] = {
	{ "object", S("{\"a\":1}"), 1, NULL, NULL },
	{ "nested ok", S("{\"a\":{\"b\":[1,2,{\"c\":null}]}}"), 1, NULL, NULL },
	{ "brackets in strings do not nest", S("[\"[[[[{{{{\"]"), 1, NULL, NULL },
	{ "truncated", S("{\"a\":"), 0, NULL, "malformed JSON" },
	{ "trailing garbage", S("{\"a\":1} x"), 0, NULL, "line 1 column" },
	{ "two documents", S("{}{}"), 0, NULL, "malformed JSON" },
	{ "empty", S(""), 0, NULL, "empty file" },
	{ "duplicate key", S("{\"a\":1,\"b\":2,\"a\":3}"), 0, "$.a", "duplicate key \"a\"" },
	{ "duplicate nested", S("{\"r\":{\"x\":[{\"k\":1,\"k\":2}]}}"), 0, "$.r.x[0].k", "duplicate key" },
	{ "keys differing in case are distinct", S("{\"a\":1,\"A\":2}"), 1, NULL, NULL },
	{ "duplicate odd key", S("{\"a b\":1,\"a b\":2}"), 0, "$[\"a b\"]", "duplicate key" },
	{ "NUL byte", "{\"a\":\"x\0y\"}", 11, 0, NULL, "NUL byte" },
	{ "escaped NUL", S("{\"a\":\"x\\u0000\"}"), 0, NULL, "\\u0000" },
	{ "escaped backslash then u0000 text", S("{\"a\":\"x\\\\u0000\"}"), 1, NULL, NULL },
	/* cJSON would end the key at the bad digit: "roles". */
	{ "bad hex in an escape", S("{\"roles\\uZZZZx\":1}"), 0, NULL, "four hex digits" },
	{ "one bad hex digit", S("{\"a\":\"x\\u12G4\"}"), 0, NULL, "four hex digits" },
	{ "escape cut short", S("{\"a\":\"x\\u12\"}"), 0, NULL, "four hex digits" },
	{ "escape at the end", S("[\"\\u"), 0, NULL, "four hex digits" },
	{ "upper-case hex", S("{\"a\":\"\\u00E9\"}"), 1, NULL, NULL },
	{ "invalid UTF-8", S("{\"a\":\"\xff\"}"), 0, NULL, "invalid UTF-8" },
	{ "overlong UTF-8", S("{\"a\":\"\xc0\xaf\"}"), 0, NULL, "invalid UTF-8" },
	{ "surrogate in UTF-8", S("{\"a\":\"\xed\xa0\x80\"}"), 0, NULL, "invalid UTF-8" },
	{ "beyond U+10FFFF", S("{\"a\":\"\xf4\x90\x80\x80\"}"), 0, NULL, "invalid UTF-8" },
	{ "truncated UTF-8", S("{\"a\":\"\xe2\x82\"}"), 0, NULL, "invalid UTF-8" },
	{ "valid UTF-8", S("{\"a\":\"\xe2\x82\xac \xf0\x9f\x94\x92\"}"), 1, NULL, NULL },
};

static void test_parse_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const parse_case *c = &parse_cases[i];
		cJSON *root = NULL;
		appctl_error *err = appctl_json_parse(&root, "t.json", c->input, c->len);

		if (c->ok) {
			if (err)
				fail_msg("%s: unexpected error: %s", c->name, err->message);
			assert_non_null(root);
		} else {
			if (!err)
				fail_msg("%s: expected an error", c->name);
			assert_int_equal(err->code, APPCTL_EINPUT);
			assert_string_equal(err->file, "t.json");
			if (c->path) {
				if (!err->path || strcmp(err->path, c->path) != 0)
					fail_msg("%s: path %s, expected %s", c->name,
						err->path ? err->path : "(none)", c->path);
			}
			if (!strstr(err->message, c->message))
				fail_msg("%s: message '%s' lacks '%s'", c->name,
					err->message, c->message);
			assert_null(root);
		}
		appctl_error_free(err);
		cJSON_Delete(root);
	}
}

static char *repeat(const char *unit, size_t n, const char *tail)
{
	size_t ulen = strlen(unit), tlen = strlen(tail), i;
	char *s = malloc(ulen * n + tlen + 1);

	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * ulen, unit, ulen);
	memcpy(s + n * ulen, tail, tlen + 1);
	return s;
}

static void test_depth_limit(void **state)
{
	cJSON *root = NULL;
	appctl_error *err;
	char *deep, *ok;

	(void)state;
	/* 100 000 levels: refused before cJSON recurses, with a position. */
	deep = repeat("[", 100000, "");
	err = appctl_json_parse(&root, "deep.json", deep, strlen(deep));
	assert_non_null(err);
	assert_non_null(strstr(err->message, "deeper than 64"));
	assert_non_null(strstr(err->message, "column 65"));
	appctl_error_free(err);
	free(deep);

	/* Exactly 64 levels is fine. */
	{
		char *open = repeat("[", 64, ""), *close = repeat("]", 64, "");
		size_t n = strlen(open) + strlen(close) + 1;

		ok = malloc(n);
		assert_non_null(ok);
		snprintf(ok, n, "%s%s", open, close);
		free(open);
		free(close);
	}
	err = appctl_json_parse(&root, "ok.json", ok, strlen(ok));
	assert_null(err);
	cJSON_Delete(root);
	free(ok);
}

static void test_size_limit(void **state)
{
	size_t len = APPCTL_JSON_MAX_BYTES + 1;
	char *big = malloc(len);
	cJSON *root = NULL;
	appctl_error *err;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	err = appctl_json_parse(&root, "big.json", big, len);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "16 MiB"));
	appctl_error_free(err);
	free(big);
}

static void test_many_duplicate_candidates(void **state)
{
	/* 200 000 distinct keys then one repeat: sorted check, not quadratic. */
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	cJSON *root = NULL;
	appctl_error *err;
	int i;

	(void)state;
	appctl_strbuf_putc(&b, '{');
	for (i = 0; i < 200000; i++)
		appctl_strbuf_printf(&b, "\"k%d\":%d,", i, i);
	appctl_strbuf_puts(&b, "\"k7\":0}");
	err = appctl_json_parse(&root, "many.json", b.ptr, b.len);
	assert_non_null(err);
	assert_string_equal(err->path, "$.k7");
	appctl_error_free(err);
	appctl_strbuf_dispose(&b);
}

static void test_case_sensitive_get(void **state)
{
	cJSON *root = NULL;

	(void)state;
	assert_null(appctl_json_parse(&root, "t", S("{\"Name\":1,\"name\":2}")));
	assert_int_equal(appctl_json_get(root, "name")->valueint, 2);
	assert_int_equal(appctl_json_get(root, "Name")->valueint, 1);
	assert_null(appctl_json_get(root, "NAME"));
	cJSON_Delete(root);
}

static void test_integer(void **state)
{
	static const struct { const char *text; int ok; int64_t v; } cases[] = {
		{ "[42]", 1, 42 },
		{ "[-7]", 1, -7 },
		{ "[9007199254740991]", 1, 9007199254740991LL },
		{ "[9007199254740992]", 0, 0 },
		{ "[9007199254740994]", 0, 0 },
		{ "[1.5]", 0, 0 },
		{ "[1e400]", 0, 0 },
		{ "[\"3\"]", 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *root = NULL;
		int64_t v = 0;

		assert_null(appctl_json_parse(&root, "t", cases[i].text,
			strlen(cases[i].text)));
		assert_int_equal(appctl_json_integer(root->child, &v), cases[i].ok);
		if (cases[i].ok)
			assert_int_equal(v, cases[i].v);
		cJSON_Delete(root);
	}
}

static void test_paths(void **state)
{
	appctl_strbuf p = APPCTL_STRBUF_INIT;

	(void)state;
	appctl_strbuf_puts(&p, "$");
	appctl_json_path_key(&p, "roles");
	appctl_json_path_key(&p, "Agent");
	appctl_json_path_key(&p, "grants");
	appctl_json_path_index(&p, 3);
	appctl_json_path_key(&p, "odd key.\"x\"");
	appctl_json_path_key(&p, "billing-admin");
	assert_string_equal(p.ptr,
		"$.roles.Agent.grants[3][\"odd key.\\\"x\\\"\"].billing-admin");
	appctl_strbuf_dispose(&p);
}

static void test_locate(void **state)
{
	static const char text[] =
		"{\n"
		"  \"roles\": {\n"
		"    \"Agent\": {\n"
		"      \"grants\": [\n"
		"        { \"resource\": \"a\" },\n"
		"        { \"resource\": \"b\" }\n"
		"      ]\n"
		"    },\n"
		"    \"a \\\"b\\\"\": [1, \"\\u00e9\", 3]\n"
		"  }\n"
		"}\n";
	unsigned line, col;

	(void)state;
	assert_int_equal(appctl_json_locate(text, strlen(text),
		"$.roles.Agent.grants[1].resource", &line, &col), 0);
	assert_int_equal(line, 6);
	assert_int_equal(col, 23);
	assert_int_equal(appctl_json_locate(text, strlen(text),
		"$.roles[\"a \\\"b\\\"\"][2]", &line, &col), 0);
	assert_int_equal(line, 9);
	assert_int_equal(appctl_json_locate(text, strlen(text), "$", &line, &col), 0);
	assert_int_equal(line, 1);
	assert_int_equal(appctl_json_locate(text, strlen(text),
		"$.roles.Nobody", &line, &col), -1);
	assert_int_equal(appctl_json_locate(text, strlen(text),
		"$.roles.Agent.grants[7]", &line, &col), -1);
	assert_int_equal(appctl_json_locate(text, strlen(text), "garbage", &line,
		&col), -1);
}

/*
 * Locations as the locator that scanned once per path (before issue 14) gave
 * them: each expected line and column was produced by that code, so that the
 * one-pass locator moves no finding. Line 0 means "not found".
 */
typedef struct locate_case {
	const char *doc;
	const char *path;
	unsigned line;
	unsigned column;
} locate_case;

static const char doc_arrays[] = "[[1, [2, 3]],\n [],\n [[[4]]]]";
static const char doc_objects_in_arrays[] =
	"{\"m\": [ {\"x\": [ [], [ {\"y\": 1} ] ]} ,\n  {\"x\": [[9]]} ]}";
static const char doc_escaped_keys[] =
	"{\"a\\\"b\": {\"c\\\\d\": 1,\n \"e\\/f\": 2,\n \"\\u0067\": 3, \"t\\tab\": [true]}}";
static const char doc_newline_key[] = "{\"k\\n\": \"v\",\n \"k\": \"w\"}";
static const char doc_utf8[] =
	"{\"\xc3\xa9\": \"\xe6\x97\xa5\xe6\x9c\xac\", \"x\": [\"\xf0\x9f\x98\x80\", 5]}";
static const char doc_escaped_utf8[] =
	"{\"\\ud83d\\ude00\": 1, \"\\u00e9t\\u00e9\": {\"\xe2\x82\xac\": 2}}";
static const char doc_lookalikes[] =
	"{\"s\": \"\\\"b\\\": 1, \", \"a\": {\"b\": 1},\n \"a \": 2, \"A\": 3,\n"
	" \"a.b\": 4, \"ab\": {\"b\": 5}, \"b\": 6}";
static const char doc_digit_key[] = "{\"0\": 1, \"x\": {\"0\": [7]}}";
#define DEEP16                                                     \
	"{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":" \
	"{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
#define DEEP16_END "}}}}}}}}}}}}}}}}"
#define ARR16 "[[[[[[[[[[[[[[[["
#define ARR16_END "]]]]]]]]]]]]]]]]"
#define A16 ".a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a"
#define I16 "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
/* 66 levels: past APPCTL_JSON_MAX_DEPTH, where the locator gives up. */
static const char doc_too_deep[] = DEEP16 DEEP16 DEEP16
	"{\"a\":\n[" ARR16 "42" ARR16_END "]}" DEEP16_END DEEP16_END DEEP16_END;
/* 65 levels: the deepest a parsed definition can be. */
static const char doc_deep[] = DEEP16 DEEP16 DEEP16
	"[\n" ARR16 "42" ARR16_END "]" DEEP16_END DEEP16_END DEEP16_END;
static const char doc_duplicates[] = "{\"a\": {},\n \"a\": {\"b\": 1}}";
static const char doc_crlf[] =
	"{\r\n\t\"n\": -1.5e3,\r\n\t\"t\": true,\r\n"
	"\t\"z\": null,\r\n\t\"o\": {},\r\n\t\"l\": []\r\n}\r\n";
static const char doc_leading_space[] = "  \n  [1]";
static const char doc_broken_after[] = "{\"a\": 1, \"b\": }";
static const char doc_broken_before[] = "{\"a\" 1, \"b\": 2}";

static const locate_case locate_cases[] = {
	/* nested arrays */
	{ doc_arrays, "$[0][1][1]", 1, 10 },
	{ doc_arrays, "$[2][0][0][0]", 3, 5 },
	{ doc_arrays, "$[1]", 2, 2 },
	{ doc_arrays, "$[1][0]", 0, 0 },
	{ doc_arrays, "$[3]", 0, 0 },
	{ doc_arrays, "$[0].a", 0, 0 },
	{ doc_objects_in_arrays, "$.m[0].x[1][0].y", 1, 29 },
	{ doc_objects_in_arrays, "$.m[1].x[0][0]", 2, 11 },
	{ doc_objects_in_arrays, "$.m[10]", 0, 0 },
	/* escaped keys, named in either path form */
	{ doc_escaped_keys, "$[\"a\\\"b\"][\"c\\\\d\"]", 1, 19 },
	{ doc_escaped_keys, "$[\"a\\\"b\"][\"e/f\"]", 2, 10 },
	{ doc_escaped_keys, "$[\"a\\\"b\"].g", 3, 12 },
	{ doc_escaped_keys, "$[\"a\\\"b\"][\"t\\tab\"][0]", 3, 25 },
	{ doc_escaped_keys, "$[\"a\\\"b\"][\"\\u0067\"]", 3, 12 },
	{ doc_escaped_keys, "$.a\\\"b", 0, 0 },
	{ doc_newline_key, "$[\"k\\n\"]", 1, 9 },
	{ doc_newline_key, "$.k", 2, 7 },
	/* columns count characters, not bytes */
	{ doc_utf8, "$.x[1]", 1, 24 },
	{ doc_utf8, "$[\"\xc3\xa9\"]", 1, 7 },
	{ doc_escaped_utf8, "$[\"\xf0\x9f\x98\x80\"]", 1, 18 },
	{ doc_escaped_utf8, "$[\"\xc3\xa9t\xc3\xa9\"][\"\xe2\x82\xac\"]", 1,
		44 },
	{ doc_escaped_utf8, "$[\"\\u00e9t\\u00e9\"]", 1, 38 },
	/* keys that look alike, and a string that looks like a key */
	{ doc_lookalikes, "$.b", 3, 33 },
	{ doc_lookalikes, "$.a.b", 1, 32 },
	{ doc_lookalikes, "$[\"a \"]", 2, 8 },
	{ doc_lookalikes, "$.A", 2, 16 },
	{ doc_lookalikes, "$[\"a.b\"]", 3, 9 },
	{ doc_lookalikes, "$.ab.b", 3, 24 },
	{ doc_lookalikes, "$[\"a\"][\"b\"]", 1, 32 },
	{ doc_lookalikes, "$.a[0]", 0, 0 },
	{ doc_digit_key, "$.x[\"0\"][0]", 1, 22 },
	{ doc_digit_key, "$.x[0]", 0, 0 },
	/* deep nesting */
	{ doc_too_deep, "$" A16 A16 A16 ".a" I16 "[0]", 0, 0 },
	{ doc_too_deep, "$" A16 A16 A16 ".a", 2, 1 },
	{ doc_deep, "$" A16 A16 A16 I16, 2, 16 },
	/* duplicate keys (appctl_json_parse refuses them): first in text order */
	{ doc_duplicates, "$.a.b", 2, 13 },
	{ doc_duplicates, "$.a", 1, 7 },
	/* tabs, CRLF, every kind of value */
	{ doc_crlf, "$.z", 4, 7 },
	{ doc_crlf, "$.l", 6, 7 },
	{ doc_crlf, "$.o", 5, 7 },
	{ doc_leading_space, "$", 2, 3 },
	{ doc_leading_space, "$[0]", 2, 4 },
	/* text that breaks after the value still locates it; before, not */
	{ doc_broken_after, "$.a", 1, 7 },
	{ doc_broken_after, "$.b", 1, 15 },
	{ doc_broken_after, "$.c", 0, 0 },
	{ doc_broken_before, "$.b", 0, 0 },
	/* paths that are not paths */
	{ "{\"a\": 1}", "garbage", 0, 0 },
	{ "{\"a\": 1}", "$a", 0, 0 },
	{ "{\"a\": 1}", "$[x]", 0, 0 },
	{ "{\"a\": 1}", "", 0, 0 },
};

/* Each case alone, then all cases of a document in one call, in reverse. */
static void test_locate_table(void **state)
{
	size_t n = sizeof(locate_cases) / sizeof(locate_cases[0]), i, j;

	(void)state;
	for (i = 0; i < n; i++) {
		const locate_case *c = &locate_cases[i];
		unsigned line, col;
		int r = appctl_json_locate(c->doc, strlen(c->doc), c->path,
			&line, &col);

		if (c->line == 0) {
			assert_int_equal(r, -1);
			assert_int_equal(line, 1);
			assert_int_equal(col, 1);
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(line, c->line);
			assert_int_equal(col, c->column);
		}
	}
	for (i = 0; i < n; i = j) {
		const char *paths[64];
		appctl_json_location where[64];
		size_t k;

		for (j = i; j < n && locate_cases[j].doc == locate_cases[i].doc;
			j++)
			paths[j - i] = locate_cases[j].path;
		assert_true(j - i <= 64);
		/* Reversed, so that the order of the paths cannot matter. */
		for (k = 0; k < (j - i) / 2; k++) {
			const char *tmp = paths[k];

			paths[k] = paths[j - i - 1 - k];
			paths[j - i - 1 - k] = tmp;
		}
		assert_null(appctl_json_locate_all(where, locate_cases[i].doc,
			strlen(locate_cases[i].doc), paths, j - i));
		for (k = 0; k < j - i; k++) {
			const locate_case *c = &locate_cases[j - 1 - k];

			assert_string_equal(paths[k], c->path);
			assert_int_equal(where[k].line, c->line);
			assert_int_equal(where[k].column, c->column);
		}
	}
}

/*
 * 200 000 findings in one 3 MB document: one pass, where a scan per path
 * would read the text 200 000 times (and time the test out). Elements of
 * `[{"id": N, "v": [N, "x"]}, ...]` are one a line, except that every
 * tenth line carries two, to check columns past the first; the same text
 * minified checks columns on one very long line.
 */
#define HUGE_ELEMENTS 100000

static void test_locate_huge(void **state)
{
	appctl_strbuf text = APPCTL_STRBUF_INIT, flat = APPCTL_STRBUF_INIT;
	appctl_strbuf names = APPCTL_STRBUF_INIT;
	appctl_json_location *where;
	const char **paths;
	size_t *flat_col, i, n = 2 * HUGE_ELEMENTS, off;
	unsigned line = 1;

	(void)state;
	where = calloc(n, sizeof(*where));
	paths = calloc(n, sizeof(*paths));
	flat_col = calloc(HUGE_ELEMENTS, sizeof(*flat_col));
	assert_non_null(where);
	assert_non_null(paths);
	assert_non_null(flat_col);
	appctl_strbuf_puts(&text, "[\n");
	appctl_strbuf_putc(&flat, '[');
	for (i = 0; i < HUGE_ELEMENTS; i++) {
		const char *sep = i + 1 < HUGE_ELEMENTS ? "," : "";

		appctl_strbuf_printf(&text,
			"{\"id\": %zu, \"v\": [%zu, \"x\"]}%s%s", i, i, sep,
			i % 10 == 0 ? " " : "\n");
		flat_col[i] = flat.len + 1;
		appctl_strbuf_printf(&flat, "{\"id\":%zu,\"v\":[%zu,\"x\"]}%s",
			i, i, sep);
	}
	appctl_strbuf_puts(&text, "]\n");
	appctl_strbuf_putc(&flat, ']');
	/* Paths in JSON-path order, as findings come: [1] < [10] < [2]. */
	for (i = 0; i < HUGE_ELEMENTS; i++)
		appctl_strbuf_printf(&names, "$[%zu].v[1]%c$[%zu].id%c", i,
			'\0', i, '\0');
	assert_false(text.failed || flat.failed || names.failed);
	for (i = 0, off = 0; i < n; i++) {
		paths[i] = names.ptr + off;
		off += strlen(paths[i]) + 1;
	}

	assert_null(
		appctl_json_locate_all(where, text.ptr, text.len, paths, n));
	for (i = 0; i < HUGE_ELEMENTS; i++) {
		/* Element i starts its line, or follows a 10th element on it. */
		unsigned col = i % 10 == 1 ? 0 : 1;
		unsigned digits = (unsigned)snprintf(NULL, 0, "%zu", i);

		if (i % 10 == 1)
			col = (unsigned)snprintf(NULL, 0,
				      "{\"id\": %zu, \"v\": [%zu, \"x\"]}, ",
				      i - 1, i - 1) +
				1;
		else if (i)
			line++;
		if (i == 0)
			line = 2;
		assert_int_equal(where[2 * i].line, line);
		assert_int_equal(where[2 * i].column, col + 17 + 2 * digits);
		assert_int_equal(where[2 * i + 1].line, line);
		assert_int_equal(where[2 * i + 1].column, col + 7);
	}

	assert_null(
		appctl_json_locate_all(where, flat.ptr, flat.len, paths, n));
	for (i = 0; i < HUGE_ELEMENTS; i++) {
		unsigned digits = (unsigned)snprintf(NULL, 0, "%zu", i);

		assert_int_equal(where[2 * i].line, 1);
		assert_int_equal(where[2 * i].column,
			flat_col[i] + 13 + 2 * digits);
		assert_int_equal(where[2 * i + 1].column, flat_col[i] + 6);
	}
	free(flat_col);
	free(paths);
	free(where);
	appctl_strbuf_dispose(&names);
	appctl_strbuf_dispose(&flat);
	appctl_strbuf_dispose(&text);
}

static void test_canonical(void **state)
{
	static const char a[] = "{ \"b\": [1, 2.5, true, null], \"a\": {\"y\": \"\\u00e9\\n\", \"x\": -3} }";
	static const char b[] = "{\"a\":{\"x\":-3,\"y\":\"\xc3\xa9\\n\"},\"b\":[1,2.5,true,null]}";
	appctl_strbuf ca = APPCTL_STRBUF_INIT, cb = APPCTL_STRBUF_INIT;
	cJSON *ra = NULL, *rb = NULL;

	(void)state;
	assert_null(appctl_json_parse(&ra, "a", a, strlen(a)));
	assert_null(appctl_json_parse(&rb, "b", b, strlen(b)));
	appctl_json_canonical(&ca, ra);
	appctl_json_canonical(&cb, rb);
	assert_string_equal(ca.ptr, cb.ptr);
	assert_string_equal(ca.ptr,
		"{\"a\":{\"x\":-3,\"y\":\"\xc3\xa9\\n\"},\"b\":[1,2.5,true,null]}");
	appctl_strbuf_dispose(&ca);
	appctl_strbuf_dispose(&cb);
	cJSON_Delete(ra);
	cJSON_Delete(rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_many_duplicate_candidates),
		cmocka_unit_test(test_case_sensitive_get),
		cmocka_unit_test(test_integer),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_locate_table),
		cmocka_unit_test(test_locate_huge),
		cmocka_unit_test(test_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
