/* test_json_edit.c: spans of JSON values and in-place edits, table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/json_edit.h"

typedef struct span_case {
	const char *text;
	appctl_json_step steps[3];
	size_t count;
	const char *want;         /* the value's bytes, NULL: not found */
} span_case;

static const span_case span_cases[] = {
	{ "{\"a\": 1}", { { "a", 0 } }, 1, "1" },
	{ "{\"a\": {\"b\": [10, \"x\", {\"c\": true}]}}",
	  { { "a", 0 }, { "b", 0 }, { NULL, 2 } }, 3, "{\"c\": true}" },
	{ "{\"x\": \"q\\\"]}\", \"a\": [1]}", { { "a", 0 } }, 1, "[1]" },
	{ "{\"a\\u0062\": 7}", { { "ab", 0 } }, 1, "7" },
	{ "{\"ab\": 7}", { { "a", 0 } }, 1, NULL },
	{ "{\"a\": [1, 2]}", { { "a", 0 }, { NULL, 2 } }, 2, NULL },
	{ "[1]", { { "a", 0 } }, 1, NULL },
	{ "  \n{ \"a\" :\n  -1.5e3 , \"b\":null}", { { "a", 0 } }, 1, "-1.5e3" },
	{ "{\"a\": []}", { { "a", 0 }, { NULL, 0 } }, 2, NULL },
};

static void test_spans(void **state)
{
	size_t i, s, e;

	(void)state;
	for (i = 0; i < sizeof(span_cases) / sizeof(span_cases[0]); i++) {
		const span_case *c = &span_cases[i];
		int rc = appctl_json_span(&s, &e, c->text, strlen(c->text),
			c->steps, c->count);

		if (!c->want) {
			if (rc != -1)
				fail_msg("case %zu: found a value", i);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu: not found", i);
		if (e - s != strlen(c->want) || memcmp(c->text + s, c->want, e - s))
			fail_msg("case %zu: got '%.*s'", i, (int)(e - s), c->text + s);
	}
}

typedef struct drop_case {
	const char *text;
	const char *drop;         /* one '1'/'0' per element */
	const char *want;
} drop_case;

static const drop_case drop_cases[] = {
	{ "{\"m\": [\"a\", \"b\", \"c\"]}", "010", "{\"m\": [\"a\", \"c\"]}" },
	{ "{\"m\": [\"a\", \"b\", \"c\"]}", "100", "{\"m\": [\"b\", \"c\"]}" },
	{ "{\"m\": [\"a\", \"b\", \"c\"]}", "001", "{\"m\": [\"a\", \"b\"]}" },
	{ "{\"m\": [\"a\", \"b\", \"c\"]}", "111", "{\"m\": []}" },
	{ "{\"m\": [\"a\", \"b\", \"c\"]}", "101", "{\"m\": [\"b\"]}" },
	{ "{\"m\": [\"a\", \"b\", \"c\"]}", "000", "{\"m\": [\"a\", \"b\", \"c\"]}" },
	/* One element a line: the layout of the rest stays. */
	{ "{\n  \"m\": [\n    \"a\",\n    { \"p\": \"b\", \"e\": \"2027-01-01\" },\n    \"c\"\n  ]\n}\n",
	  "010", "{\n  \"m\": [\n    \"a\",\n    \"c\"\n  ]\n}\n" },
	{ "{\n  \"m\": [\n    \"a\",\n    \"b\"\n  ]\n}\n", "01",
	  "{\n  \"m\": [\n    \"a\"\n  ]\n}\n" },
	{ "{\n  \"m\": [\n    \"a\",\n    \"b\"\n  ]\n}\n", "10",
	  "{\n  \"m\": [\n    \"b\"\n  ]\n}\n" },
	/* Brackets and commas inside strings are not structure. */
	{ "{\"m\": [\"a,]\", \"[b\"]}", "10", "{\"m\": [\"[b\"]}" },
	{ "{\"m\": [[1, [2]], {\"x\": [3]}]}", "10", "{\"m\": [{\"x\": [3]}]}" },
};

static void test_array_drop(void **state)
{
	appctl_json_step steps[1] = { { "m", 0 } };
	size_t i, k, len;

	(void)state;
	for (i = 0; i < sizeof(drop_cases) / sizeof(drop_cases[0]); i++) {
		const drop_case *c = &drop_cases[i];
		unsigned char drop[8];
		appctl_text_edit e;
		char *got;

		for (k = 0; c->drop[k]; k++)
			drop[k] = c->drop[k] == '1';
		assert_int_equal(appctl_json_array_drop(&e, c->text,
			strlen(c->text), steps, 1, drop, k), 0);
		got = appctl_text_apply_edits(c->text, strlen(c->text), &e, 1, &len);
		assert_non_null(got);
		if (strcmp(got, c->want) != 0)
			fail_msg("case %zu: got '%s'", i, got);
		assert_int_equal(len, strlen(c->want));
		free(got);
		free(e.replacement);
	}
}

static void test_drop_mismatch_and_edits(void **state)
{
	static const char text[] = "{\"m\": [1, 2], \"s\": \"x\"}";
	appctl_json_step m[1] = { { "m", 0 } }, s[1] = { { "s", 0 } },
		nope[1] = { { "n", 0 } };
	unsigned char drop[3] = { 1, 0, 0 };
	appctl_text_edit e, edits[2];
	size_t len;
	char *got;

	(void)state;
	/* The length must match the parsed array's. */
	assert_int_equal(appctl_json_array_drop(&e, text, strlen(text), m, 1, drop, 3), 1);
	assert_int_equal(appctl_json_array_drop(&e, text, strlen(text), m, 1, drop, 1), 1);
	assert_int_equal(appctl_json_array_drop(&e, text, strlen(text), s, 1, drop, 1), 1);
	assert_int_equal(appctl_json_array_drop(&e, text, strlen(text), nope, 1, drop, 1), 1);
	/* Edits in any order apply by position; overlaps are refused. */
	assert_int_equal(appctl_json_span(&edits[0].start, &edits[0].end, text,
		strlen(text), s, 1), 0);
	edits[0].replacement = strdup("\"y\"");
	assert_int_equal(appctl_json_array_drop(&edits[1], text, strlen(text), m,
		1, drop, 2), 0);
	got = appctl_text_apply_edits(text, strlen(text), edits, 2, &len);
	assert_string_equal(got, "{\"m\": [2], \"s\": \"y\"}");
	free(got);
	edits[1].start = edits[0].start - 1;
	edits[1].end = edits[0].start + 1;
	assert_null(appctl_text_apply_edits(text, strlen(text), edits, 2, &len));
	free(edits[0].replacement);
	free(edits[1].replacement);
	got = appctl_text_apply_edits(text, strlen(text), NULL, 0, &len);
	assert_string_equal(got, text);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_array_drop),
		cmocka_unit_test(test_drop_mismatch_and_edits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
