/* test_json_arena.c: the arena parser gives appctl_json_parse's answer for every input, node by node. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/arena.h"
#include "appctl/json.h"
#include "appctl/strbuf.h"

/*
 * Each case runs through both parsers, which must agree: equal trees, or
 * equal errors. `ok` is what appctl_json_parse answers (cJSON's leniency
 * included), so that the table also shows which side of the strict
 * grammar each case falls on: accepted cases the strict grammar refuses
 * are the ones the arena parser copies from cJSON.
 */
typedef struct diff_case {
	const char *name;
	const char *input;
	size_t len;
	int ok;
} diff_case;

#define S(x) x, sizeof(x) - 1

static const diff_case cases[] = {
	/* escapes */
	{ "every short escape", S("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"), 1 },
	{ "escapes between text", S("[\"a\\nb\\\\c\\\"d\"]"), 1 },
	{ "\\u to one, two and three bytes", S("[\"\\u0041\\u00e9\\u00E9\\u20AC\\u007f\\u0080\\u07ff\\u0800\\uffff\"]"), 1 },
	{ "surrogate pair", S("[\"\\uD83D\\uDE00\"]"), 1 },
	{ "surrogate pair, lower case", S("[\"\\ud800\\udc00x\"]"), 1 },
	{ "surrogate pair, highest", S("[\"\\uDBFF\\uDFFF\"]"), 1 },
	{ "lone high surrogate", S("[\"\\uD83D\"]"), 0 },
	{ "lone high surrogate, text after", S("[\"\\uD83Dabcdef\"]"), 0 },
	{ "high surrogate, then not a low one", S("[\"\\uD83D\\u0041\"]"), 0 },
	{ "two high surrogates", S("[\"\\uD83D\\uD83D\"]"), 0 },
	{ "high surrogate, then a short escape", S("[\"\\uD83D\\n\"]"), 0 },
	{ "high surrogate, bad hex after", S("[\"\\uD83D\\uZZZZ\"]"), 0 },
	{ "lone low surrogate", S("[\"\\uDE00\"]"), 0 },
	{ "lowest low surrogate alone", S("[\"\\uDC00\"]"), 0 },
	{ "highest low surrogate alone", S("[\"\\uDFFF\"]"), 0 },
	{ "lowest high surrogate alone", S("[\"\\uD800\"]"), 0 },
	{ "highest high surrogate alone", S("[\"\\uDBFF\"]"), 0 },
	{ "low surrogate, then a high one", S("[\"\\uDC00\\uD800\"]"), 0 },
	{ "around the surrogates", S("[\"\\uD7FF\\uE000\"]"), 1 },
	{ "high surrogate, then the lowest and highest low", S("[\"\\uD800\\uDC00\\uD800\\uDFFF\"]"), 1 },
	{ "high surrogate, then below the low ones", S("[\"\\uD800\\uDBFF\"]"), 0 },
	{ "high surrogate, then above the low ones", S("[\"\\uD800\\uE000\"]"), 0 },
	{ "high surrogate at the end of the string", S("[\"\\uD800\\u\"]"), 0 },
	{ "\\u0001", S("[\"\\u0001\"]"), 1 },
	{ "escaped NUL", S("[\"\\u0000\"]"), 0 },
	{ "escaped NUL in a key", S("{\"a\\u0000\":1}"), 0 },
	{ "short \\u escape", S("[\"a\\u00\"]"), 0 },
	/* cJSON would read a bad hex digit as NUL and end the string: refused first. */
	{ "bad hex digits", S("[\"ab\\uZZZZcd\"]"), 0 },
	{ "one bad hex digit", S("[\"ab\\u12G4cd\"]"), 0 },
	{ "unknown escape", S("[\"\\x41\"]"), 0 },
	{ "escaped quote only, unterminated", S("[\"\\\"]"), 0 },
	{ "backslash at the end", S("\"\\"), 0 },
	{ "escapes in keys", S("{\"k\\n\\u00e9\\/\":1,\"\\ud83d\\ude00\":2}"), 1 },
	{ "escaped backslash before u0000 text", S("[\"\\\\u0000\"]"), 1 },
	/* numbers */
	{ "zero", S("0"), 1 },
	{ "minus zero", S("-0"), 1 },
	{ "minus zero point zero", S("[-0.0]"), 1 },
	{ "1e308", S("[1e308]"), 1 },
	{ "largest double", S("[1.7976931348623157e308]"), 1 },
	{ "1e400 overflows to inf", S("[1e400]"), 1 },
	{ "-1e400 overflows to -inf", S("[-1e400]"), 1 },
	{ "2^53", S("[9007199254740992]"), 1 },
	{ "denormal", S("[1.5e-320]"), 1 },
	{ "smallest denormal", S("[4.9e-324]"), 1 },
	{ "underflow to zero", S("[1e-400]"), 1 },
	{ "valueint saturates high", S("[2147483647,2147483648,1e10]"), 1 },
	{ "valueint saturates low", S("[-2147483648,-2147483649,-1e10]"), 1 },
	{ "valueint truncates", S("[2147483646.5,-2.9,0.9]"), 1 },
	{ "exponent forms", S("[1E5,1e+5,1e-5,1E-0,0e0,0.5E+3]"), 1 },
	{ "leading zero", S("[01]"), 1 },
	{ "leading zero, top level", S("01"), 1 },
	{ "minus leading zero", S("-01"), 1 },
	{ "double zero", S("[00]"), 1 },
	{ "bare decimal point", S("[1.]"), 1 },
	{ "decimal point, then exponent", S("[1.e5]"), 1 },
	{ "no digit before the point", S("[-.5]"), 1 },
	{ "point first", S("[.5]"), 0 },
	{ "plus sign", S("[+1]"), 0 },
	{ "exponent without digits", S("[1e]"), 0 },
	{ "exponent sign without digits", S("[1e+]"), 0 },
	{ "zero, then e", S("0e"), 0 },
	{ "large exponent", S("[1e99999]"), 1 },
	{ "large negative exponent", S("[1e-99999]"), 1 },
	{ "hex", S("[0x10]"), 0 },
	{ "Infinity", S("[Infinity]"), 0 },
	{ "-Infinity", S("[-Infinity]"), 0 },
	{ "NaN", S("[NaN]"), 0 },
	{ "nan", S("nan"), 0 },
	{ "minus alone", S("[-]"), 0 },
	{ "two minus", S("[--1]"), 0 },
	{ "two points", S("[1.5.3]"), 0 },
	{ "two exponents", S("[1e5e5]"), 0 },
	{ "minus inside", S("[1-1]"), 0 },
	{ "30 digits", S("[123456789012345678901234567890]"), 1 },
	{ "63 characters", S("[-1234567890123456789012345678901234567890.123456789012345678901]"), 1 },
	/* cJSON 1.7.15 stops at 63 characters; Debian's fix for CVE-2023-26819 reads on. */
	{ "64 characters", S("[-1234567890123456789012345678901234567890.1234567890123456789012]"), 1 },
	{ "100 digits", S("[1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000]"), 1 },
	{ "long exponent", S("[1e00000000000000000000000000000000000000000000000000000000000000000000001]"), 1 },
	/* literals */
	{ "true", S("true"), 1 },
	{ "false", S("false"), 1 },
	{ "null", S("null"), 1 },
	{ "literals in an array", S("[true,false,null]"), 1 },
	{ "truncated true", S("tru"), 0 },
	{ "truncated null", S("[nul]"), 0 },
	{ "truncated false", S("{\"a\":fals}"), 0 },
	{ "true, then garbage", S("truex"), 0 },
	{ "capital True", S("[True]"), 0 },
	{ "two literals", S("[truefalse]"), 0 },
	/* empty input, whitespace and trailing text */
	{ "empty", S(""), 0 },
	{ "whitespace only", S(" \n\t\r "), 0 },
	{ "trailing garbage", S("{\"a\":1} x"), 0 },
	{ "trailing bracket", S("[1]]"), 0 },
	{ "two documents", S("{}{}"), 0 },
	{ "two scalars", S("1 2"), 0 },
	{ "trailing whitespace", S("{\"a\":1} \n\t\r "), 1 },
	{ "leading whitespace", S(" \n\t\r[1]"), 1 },
	{ "whitespace everywhere", S(" { \"a\" : [ 1 , 2 , { } ] , \"b\" : { \"c\" : null } } "), 1 },
	/* cJSON skips every byte up to 32 as whitespace. */
	{ "vertical tab and form feed around", S("\v\f[1,\v2]\f\v"), 1 },
	{ "control bytes around", S("\x01{\x1f\"a\"\x02:\x03[]\x04}\x05"), 1 },
	{ "byte order mark", S("\xef\xbb\xbf{\"a\":1}"), 1 },
	{ "byte order mark, one-byte document", S("\xef\xbb\xbf\x31"), 1 },
	{ "byte order mark alone", S("\xef\xbb\xbf"), 0 },
	{ "byte order mark after whitespace", S(" \xef\xbb\xbf[]"), 0 },
	/* top-level scalars */
	{ "number", S(" 42 "), 1 },
	{ "string", S("\"s\\u00e9\""), 1 },
	{ "empty string", S("\"\""), 1 },
	/* structure */
	{ "empty object", S("{}"), 1 },
	{ "empty array", S("[]"), 1 },
	{ "empty ones nested", S("[{},[],{\"a\":{}},[[]],[[],{}]]"), 1 },
	{ "one element: its prev is itself", S("[1]"), 1 },
	{ "one member: its prev is itself", S("{\"a\":\"b\"}"), 1 },
	{ "order kept", S("{\"z\":1,\"a\":2,\"m\":[3,2,1]}"), 1 },
	{ "keys differing in case", S("{\"a\":1,\"A\":2}"), 1 },
	{ "empty key", S("{\"\":1}"), 1 },
	{ "non-ASCII keys and values", S("{\"\xc3\xa9\":\"\xe6\x97\xa5\xf0\x9f\x98\x80\"}"), 1 },
	{ "trailing comma in array", S("[1,]"), 0 },
	{ "leading comma in array", S("[,1]"), 0 },
	{ "missing comma", S("[1 2]"), 0 },
	{ "trailing comma in object", S("{\"a\":1,}"), 0 },
	{ "key without value", S("{\"a\"}"), 0 },
	{ "colon without value", S("{\"a\":}"), 0 },
	{ "missing colon", S("{\"a\" 1}"), 0 },
	{ "number key", S("{1:2}"), 0 },
	{ "comma only", S("{,}"), 0 },
	{ "unterminated array", S("[1,2"), 0 },
	{ "unterminated object", S("{\"a\":1"), 0 },
	{ "unterminated string", S("[\"abc]"), 0 },
	{ "open bracket", S("["), 0 },
	{ "close bracket", S("]"), 0 },
	{ "mismatched close", S("[1}"), 0 },
	/* duplicate keys */
	{ "duplicate key", S("{\"a\":1,\"b\":2,\"a\":3}"), 0 },
	{ "duplicate at depth", S("{\"a\":[1,{\"b\":{\"c\":1,\"d\":[],\"c\":2}}]}"), 0 },
	{ "duplicate in the second of two objects", S("[{\"x\":1},{\"y\":1,\"y\":2}]"), 0 },
	{ "two duplicates: the first reported", S("{\"p\":{\"q\":1,\"q\":2},\"a\":1,\"a\":2}"), 0 },
	{ "duplicate among 9 keys at depth",
	  S("{\"r\":{\"x\":[{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k3\":9}]}}"), 0 },
	{ "three copies among 10 keys",
	  S("{\"a\":{\"b\":{\"k0\":0,\"k9\":0,\"k1\":1,\"k2\":2,\"k9\":1,\"k3\":3,\"k4\":4,\"k5\":5,\"k9\":2,\"k6\":6}}}"), 0 },
	{ "duplicate escaped differently", S("{\"a\\u0062\":1,\"ab\":2}"), 0 },
	{ "duplicate odd key", S("{\"a b\":1,\"a b\":2}"), 0 },
	{ "duplicate after lenient number", S("{\"a\":01,\"a\":2}"), 0 },
	{ "duplicate after raw tab", S("{\"t\":\"a\tb\",\"t\":1}"), 0 },
	{ "9 distinct keys", S("{\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9}"), 1 },
	/* raw control characters in strings: cJSON keeps them */
	{ "raw tab in a string", S("[\"a\tb\"]"), 1 },
	{ "raw newline in a string", S("[\"a\nb\"]"), 1 },
	{ "raw control byte in a key", S("{\"k\x01\":1}"), 1 },
	{ "raw unit separator", S("\"\x1f\""), 1 },
	{ "raw DEL", S("[\"\x7f\"]"), 1 },
	/* invalid UTF-8 and NUL bytes: refused before either parser */
	{ "invalid UTF-8", S("[\"\xff\"]"), 0 },
	{ "overlong UTF-8", S("[\"\xc0\xaf\"]"), 0 },
	{ "surrogate in UTF-8", S("[\"\xed\xa0\x80\"]"), 0 },
	{ "truncated UTF-8 at the end", S("[1]\xe2\x82"), 0 },
	{ "invalid UTF-8 outside strings", S("[1,\x80]"), 0 },
	{ "NUL byte", "[\"x\0y\"]", 7, 0 },
	{ "NUL byte at the end", "[1]\0", 4, 0 },
};

static void check_error_equal(const char *name, const appctl_error *a,
	const appctl_error *b)
{
	for (; a && b; a = a->next, b = b->next) {
		if (a->code != b->code)
			fail_msg("%s: codes %d and %d", name, a->code, b->code);
		if (strcmp(a->message, b->message) != 0)
			fail_msg("%s: messages '%s' and '%s'", name, a->message,
				b->message);
		if ((a->file == NULL) != (b->file == NULL) ||
		    (a->file && strcmp(a->file, b->file) != 0))
			fail_msg("%s: files differ", name);
		if ((a->path == NULL) != (b->path == NULL) ||
		    (a->path && strcmp(a->path, b->path) != 0))
			fail_msg("%s: paths '%s' and '%s'", name,
				a->path ? a->path : "(none)",
				b->path ? b->path : "(none)");
	}
	if (a || b)
		fail_msg("%s: error chains of different lengths", name);
}

static int same_string(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/*
 * Fails the test at the first node where the trees differ, in anything a
 * reader of cJSON can see: type, key, string, both numbers (the double
 * bit for bit), and the links, including the first child's prev.
 */
static void check_tree_equal(const char *name, const cJSON *a,
	const cJSON *b, appctl_strbuf *path)
{
	const cJSON *x, *y, *prev_x = NULL, *prev_y = NULL;
	size_t mark = path->len, index = 0;

	if (a->type != b->type)
		fail_msg("%s: %s: types %d and %d", name, path->ptr, a->type, b->type);
	if (!same_string(a->string, b->string))
		fail_msg("%s: %s: keys differ", name, path->ptr);
	if (!same_string(a->valuestring, b->valuestring))
		fail_msg("%s: %s: strings '%s' and '%s'", name, path->ptr,
			a->valuestring ? a->valuestring : "(null)",
			b->valuestring ? b->valuestring : "(null)");
	if (a->valueint != b->valueint)
		fail_msg("%s: %s: valueint %d and %d", name, path->ptr,
			a->valueint, b->valueint);
	if (memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) != 0 &&
	    !(isnan(a->valuedouble) && isnan(b->valuedouble)))
		fail_msg("%s: %s: valuedouble %.17g and %.17g", name, path->ptr,
			a->valuedouble, b->valuedouble);
	if ((a->child == NULL) != (b->child == NULL))
		fail_msg("%s: %s: one has children", name, path->ptr);
	for (x = a->child, y = b->child; x && y; x = x->next, y = y->next) {
		if (x != a->child && (x->prev != prev_x || y->prev != prev_y))
			fail_msg("%s: %s: prev is not the previous child", name,
				path->ptr);
		if (x->string)
			appctl_json_path_key(path, x->string);
		else
			appctl_json_path_index(path, index);
		index++;
		check_tree_equal(name, x, y, path);
		appctl_strbuf_truncate(path, mark);
		prev_x = x;
		prev_y = y;
	}
	if (x || y)
		fail_msg("%s: %s: child counts differ", name, path->ptr);
	if (a->child && (a->child->prev != prev_x || b->child->prev != prev_y))
		fail_msg("%s: %s: the first child's prev is not the last child",
			name, path->ptr);
}

/* Runs `input` through both parsers and checks they agree; returns whether it parsed. */
static int check_same(const char *name, const char *input, size_t len)
{
	cJSON *heap = NULL, *in_arena = NULL;
	appctl_error *heap_err, *arena_err;
	appctl_arena *arena = appctl_arena_new();
	int ok;

	assert_non_null(arena);
	heap_err = appctl_json_parse(&heap, "t.json", input, len);
	arena_err = appctl_json_parse_arena(&in_arena, arena, "t.json", input,
		len);
	if ((heap_err == NULL) != (arena_err == NULL))
		fail_msg("%s: cJSON %s, the arena parser %s", name,
			heap_err ? heap_err->message : "accepts",
			arena_err ? arena_err->message : "accepts");
	ok = heap_err == NULL;
	if (ok) {
		appctl_strbuf path = APPCTL_STRBUF_INIT;

		assert_non_null(heap);
		assert_non_null(in_arena);
		appctl_strbuf_puts(&path, "$");
		assert_null(in_arena->next);
		assert_null(in_arena->prev);
		assert_null(in_arena->string);
		check_tree_equal(name, heap, in_arena, &path);
		appctl_strbuf_dispose(&path);
	} else {
		assert_null(heap);
		assert_null(in_arena);
		check_error_equal(name, heap_err, arena_err);
	}
	appctl_error_free(heap_err);
	appctl_error_free(arena_err);
	cJSON_Delete(heap);
	appctl_arena_free(arena);
	return ok;
}

static void test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const diff_case *c = &cases[i];

		if (check_same(c->name, c->input, c->len) != c->ok)
			fail_msg("%s: expected %s", c->name,
				c->ok ? "a tree" : "an error");
	}
}

/* `levels` containers, alternating object and array, around a 1. */
static void nest(appctl_strbuf *b, int levels)
{
	int i;

	for (i = 0; i < levels; i++)
		appctl_strbuf_puts(b, i % 2 ? "[" : "{\"k\":");
	appctl_strbuf_putc(b, '1');
	for (i = levels - 1; i >= 0; i--)
		appctl_strbuf_putc(b, i % 2 ? ']' : '}');
}

static void test_nesting(void **state)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;

	(void)state;
	nest(&b, 64);
	assert_int_equal(check_same("nesting 64", b.ptr, b.len), 1);
	appctl_strbuf_truncate(&b, 0);
	nest(&b, 65);
	assert_int_equal(check_same("nesting 65", b.ptr, b.len), 0);
	appctl_strbuf_truncate(&b, 0);
	/* Refused at 64 by the strict grammar, so the error comes from cJSON. */
	nest(&b, 64);
	appctl_strbuf_puts(&b, ",");
	assert_int_equal(check_same("nesting 64, then garbage", b.ptr, b.len), 0);
	appctl_strbuf_truncate(&b, 0);
	appctl_strbuf_puts(&b, "[");
	nest(&b, 63);
	appctl_strbuf_puts(&b, ",01]");
	assert_int_equal(check_same("nesting 64, lenient number", b.ptr, b.len), 1);
	appctl_strbuf_dispose(&b);
}

/* A few MB of nested arrays and objects with every kind of value. */
static void test_huge(void **state)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	int i;

	(void)state;
	appctl_strbuf_puts(&b, "{\"apps\":[");
	for (i = 0; i < 20000; i++) {
		if (i)
			appctl_strbuf_putc(&b, ',');
		appctl_strbuf_printf(&b,
			"{\"name\":\"app-%d\",\"n\":%d,\"x\":%d.%de%d,\"t\":true,"
			"\"f\":false,\"z\":null,\"s\":\"line\\nnext \\u00e9\\ud83d\\ude00 %d\","
			"\"roles\":{\"Admin\":{\"members\":[\"a%d@example.com\",\"group:g\"],"
			"\"grants\":[{\"resource\":\"r\",\"actions\":[\"read\",\"write\"]}]}},"
			"\"deep\":[[[[[[[[%d]]]]]]]],\"e\":[],\"o\":{}}",
			i, i - 10000, i, i % 97, i % 300 - 150, i, i, i);
	}
	appctl_strbuf_puts(&b, "]}\n");
	assert_true(b.len > 4 * 1024 * 1024);
	assert_int_equal(check_same("huge", b.ptr, b.len), 1);
	/* The same text broken at its very end: the strict parser gives up last. */
	b.ptr[b.len - 2] = ']';
	assert_int_equal(check_same("huge, broken at the end", b.ptr, b.len), 0);
	b.ptr[b.len - 2] = '}';
	appctl_strbuf_puts(&b, "01");
	assert_int_equal(check_same("huge, garbage after", b.ptr, b.len), 0);
	appctl_strbuf_dispose(&b);
}

static void test_hostile(void **state)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	int i;

	(void)state;
	appctl_strbuf_putc(&b, '[');
	for (i = 0; i < 100000; i++)
		appctl_strbuf_puts(&b, i ? ",{}" : "{}");
	appctl_strbuf_putc(&b, ']');
	assert_int_equal(check_same("100k empty objects", b.ptr, b.len), 1);
	appctl_strbuf_truncate(&b, 0);
	appctl_strbuf_putc(&b, '{');
	for (i = 0; i < 100000; i++)
		appctl_strbuf_printf(&b, "\"k%d\":{},", i);
	appctl_strbuf_puts(&b, "\"k99999\":[]}");
	assert_int_equal(check_same("100k keys, the last a duplicate", b.ptr, b.len), 0);
	appctl_strbuf_dispose(&b);
}

static void test_size_limit(void **state)
{
	size_t len = APPCTL_JSON_MAX_BYTES + 1;
	char *big = malloc(len);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', len);
	big[0] = '[';
	big[len - 1] = ']';
	assert_int_equal(check_same("over 16 MiB", big, len), 0);
	assert_int_equal(check_same("16 MiB", big + 1, len - 1), 0);
	big[1] = '[';
	assert_int_equal(check_same("exactly 16 MiB", big + 1, len - 1), 1);
	free(big);
}

/* Nothing the arena tree points to comes from the heap: freeing the arena frees it all. */
static void test_tree_lives_in_arena(void **state)
{
	static const char text[] = "{\"a\":[\"x\",1,{\"b\":\"\\u00e9\"}],\"c\":01}";
	appctl_arena *arena = appctl_arena_new();
	cJSON *root = NULL;

	(void)state;
	assert_non_null(arena);
	/* "01" sends it through the fallback, whose cJSON tree must be freed. */
	assert_null(appctl_json_parse_arena(&root, arena, "t.json", S(text)));
	assert_non_null(root);
	assert_string_equal(root->child->child->valuestring, "x");
	assert_string_equal(root->child->child->next->next->child->valuestring,
		"\xc3\xa9");
	appctl_arena_free(arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_tree_lives_in_arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
