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
		cmocka_unit_test(test_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
