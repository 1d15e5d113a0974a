/* test_model_fast.c: the one-pass app reader builds the full parse's model, or leaves the file to it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/arena.h"
#include "appctl/model.h"
#include "appctl/model_cache.h"
#include "appctl/strbuf.h"
#include "../../src/core/model_internal.h"

/*
 * Every input runs through both readers. The rule: when the fast one
 * accepts, the full one accepts too, and the two models encode to the same
 * bytes (the cache encoding holds every field, and tells NULL arrays from
 * empty ones). Which of them accepts is the case's expectation.
 */
enum { REFUSED = 0, FAST = 1, FULL = 2 };

static int run(const char *text, size_t len, const char *dir)
{
	appctl_file file = { "apps/x/app.json", text, len,
		"0123456789abcdef0123456789abcdef01234567" };
	appctl_arena *a = appctl_arena_new(), *b = appctl_arena_new();
	appctl_app *full = NULL, *fast = NULL, *either = NULL;
	appctl_error *err;
	int got = REFUSED;

	assert_non_null(a);
	assert_non_null(b);
	err = appctl_app_parse_tree(&full, a, &file, dir);
	if (!err)
		got |= FULL;
	appctl_error_free(err);
	if (appctl_app_parse_fast(&fast, b, &file, dir)) {
		unsigned char *x = NULL, *y = NULL;
		size_t nx = 0, ny = 0;

		got |= FAST;
		if (!(got & FULL))
			fail_msg("fast accepted what the full parse refuses: %.*s",
				(int)(len > 300 ? 300 : len), text);
		assert_null(appctl_model_cache_encode(&x, &nx, full));
		assert_null(appctl_model_cache_encode(&y, &ny, fast));
		if (nx != ny || memcmp(x, y, nx) != 0)
			fail_msg("the models differ for: %.*s",
				(int)(len > 300 ? 300 : len), text);
		free(x);
		free(y);
	} else {
		assert_null(fast);
	}
	/* appctl_app_parse is the two in turn: it accepts what the full one does. */
	err = appctl_app_parse(&either, b, &file, dir);
	assert_int_equal(err == NULL, (got & FULL) != 0);
	appctl_error_free(err);
	appctl_arena_free(a);
	appctl_arena_free(b);
	return got;
}

static int run_text(const char *text)
{
	return run(text, strlen(text), "x");
}

/* Everything the schema has, each kind of value at least once. */
static const char rich[] =
	"{\n"
	"  \"$schema\": \"../../schema/app.schema.json\",\n"
	"  \"name\": \"x\",\n"
	"  \"class\": \"admin_panel\",\n"
	"  \"description\": \"Caf\xc3\xa9 orders \xe2\x82\xac\",\n"
	"  \"owners\": { \"business\": \"ann@example.com\", \"technical\": \"bo@example.com\" },\n"
	"  \"data\": {\n"
	"    \"orders\": { \"source\": \"erp\", \"storage\": \"stored\", \"tenant_key\": \"t\",\n"
	"      \"retention_days\": 0, \"description\": \"d\",\n"
	"      \"fields\": { \"id\": {}, \"email\": { \"sensitivity\": \"pii\", \"description\": \"e\" },\n"
	"        \"n\xc3\xa4me\": { \"sensitivity\": \"restricted\" }, \"note\": { \"sensitivity\": \"public\" } } },\n"
	"    \"audit\": { \"retention_days\": 365000, \"fields\": {} },\n"
	"    \"bare\": {}\n"
	"  },\n"
	"  \"roles\": {\n"
	"    \"Zed\": { \"members\": [], \"grants\": [] },\n"
	"    \"Admin\": {\n"
	"      \"description\": \"all\", \"justification\": \"ops\",\n"
	"      \"members\": [ \"dan@example.com\", \"group:ops\",\n"
	"        { \"principal\": \"cy@example.com\", \"expires\": \"2027-06-30\" },\n"
	"        { \"principal\": \"di@example.com\" } ],\n"
	"      \"grants\": [\n"
	"        { \"resource\": \"orders\", \"actions\": [\"read\", \"frobnicate\", \"admin\", \"zap\"],\n"
	"          \"hidden_fields\": [\"email\"], \"justification\": \"j\" },\n"
	"        { \"resource\": \"audit\", \"actions\": [\"export\"], \"hidden_fields\": [] }\n"
	"      ]\n"
	"    },\n"
	"    \"Empty\": {}\n"
	"  },\n"
	"  \"pages\": {\n"
	"    \"Orders\": { \"resource\": \"orders\", \"roles\": [\"Admin\"], \"layout\": { \"cols\": [1, 2.5, true, null, \"\\u00e9\\n\"] } },\n"
	"    \"Blank\": {}\n"
	"  },\n"
	"  \"integrations\": {\n"
	"    \"erp\": { \"kind\": \"sap\", \"owner\": \"bo@example.com\", \"scopes\": [\"a\", \"b\"],\n"
	"      \"credential\": { \"prod\": \"secret://p\", \"dev\": \"secret://d\" },\n"
	"      \"on_failure\": \"fail_open\", \"rate_limit_per_min\": 100000000,\n"
	"      \"justification\": \"j\", \"description\": \"d\", \"reads\": [\"orders\"], \"writes\": [] },\n"
	"    \"mail\": { \"kind\": \"smtp\" }\n"
	"  },\n"
	"  \"ai\": { \"description\": \"d\", \"justification\": \"j\",\n"
	"    \"reads\": [ { \"resource\": \"orders\", \"fields\": [\"id\"] }, { \"resource\": \"audit\" } ] }\n"
	"}\n";

static void test_rich_app(void **state)
{
	(void)state;
	assert_int_equal(run_text(rich), FAST | FULL);
	/* The smallest app, and empty collections of every kind. */
	assert_int_equal(run_text("{\"name\":\"x\",\"class\":\"dashboard\"}"),
		FAST | FULL);
	assert_int_equal(run_text("{\"name\":\"x\",\"class\":\"dashboard\","
		"\"data\":{},\"roles\":{},\"pages\":{},\"integrations\":{},"
		"\"ai\":{}}"), FAST | FULL);
	assert_int_equal(run_text("{\"name\":\"x\",\"class\":\"dashboard\","
		"\"ai\":{\"reads\":[]}}"), FAST | FULL);
	assert_int_equal(run_text(" \t\r\n{\"class\":\"client_portal\",\"name\""
		" : \"x\"} \n"), FAST | FULL);
	/* Every kind of whitespace, and indentation past eight spaces. */
	assert_int_equal(run_text("{\r\n\t\t\"name\"\t:\r\"x\",\n"
		"                   \"class\":\n         \"dashboard\"\r\n}"),
		FAST | FULL);
	/*
	 * Other control bytes between tokens: the full parse (cJSON's rule)
	 * skips them, this one leaves them to it.
	 */
	assert_int_equal(run_text("{\"name\":\f\"x\",\"class\":\"dashboard\"}"),
		FULL);
	assert_int_equal(run_text("{\"name\":\"x\",\"class\":\"dashboard\"}\v"),
		FULL);
}

/* The bundled apps: what users write is read by the fast path. */
static void test_examples(void **state)
{
	static const char *const apps[] = { "billing-admin", "ops-dashboard",
		"support-portal" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(apps) / sizeof(apps[0]); i++) {
		char path[512];
		appctl_strbuf text = APPCTL_STRBUF_INIT;
		FILE *f;
		char buf[4096];
		size_t n;

		snprintf(path, sizeof(path), "%s/examples/org/apps/%s/app.json",
			APPCTL_SOURCE_DIR, apps[i]);
		f = fopen(path, "rb");
		assert_non_null(f);
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			appctl_strbuf_add(&text, buf, n);
		fclose(f);
		assert_int_equal(run(text.ptr, text.len, apps[i]), FAST | FULL);
		appctl_strbuf_dispose(&text);
	}
}

/* Valid apps the fast reader leaves to the full one, which accepts them. */
static void test_left_to_the_full_parse(void **state)
{
	static const char *const cases[] = {
		/* escapes, anywhere outside a page */
		"{\"name\":\"x\",\"class\":\"dashboard\",\"description\":\"a\\nb\"}",
		"{\"name\":\"\\u0078\",\"class\":\"dashboard\"}",
		"{\"n\\u0061me\":\"x\",\"class\":\"dashboard\"}",
		/* a byte order mark, which cJSON skips */
		"\xef\xbb\xbf{\"name\":\"x\",\"class\":\"dashboard\"}",
		/* a raw control character in a string, which cJSON lets through */
		"{\"name\":\"x\",\"class\":\"dashboard\",\"description\":\"a\tb\"}",
		/* integers that are not plain digits */
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{\"retention_days\":1e2}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{\"retention_days\":10.0}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{\"retention_days\":-0}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{\"retention_days\":01}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{\"retention_days\":0000000000000000007}}}",
		NULL
	};
	size_t i;

	(void)state;
	for (i = 0; cases[i]; i++)
		assert_int_equal(run_text(cases[i]), FULL);
}

/* Each a small change to a valid app that the full parse refuses. */
static void test_refused_by_both(void **state)
{
	static const char *const cases[] = {
		"",
		"[]",
		"{}",
		"{\"name\":\"x\"}",
		"{\"class\":\"dashboard\"}",
		"{\"name\":\"y\",\"class\":\"dashboard\"}",
		"{\"name\":\"X\",\"class\":\"dashboard\"}",
		"{\"name\":\"x\",\"class\":\"dashboard\"} x",
		"{\"name\":\"x\",\"class\":\"dashboard\"",
		"{\"name\":\"x\",\"class\":\"dashboard\",}",
		"{,\"name\":\"x\",\"class\":\"dashboard\"}",
		"{\"name\":\"x\",\"class\":\"board\"}",
		"{\"name\":\"x\",\"class\":\"\"}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"name\":\"x\"}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"extra\":1}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"description\":\"\"}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"description\":1}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"$schema\":null}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"description\":\"\xc3\"}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"description\":\"\xed\xa0\x80\"}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"owners\":{\"business\":\"nobody\"}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"owners\":{\"business\":\"a@b.c\",\"business\":\"a@b.c\"}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"owners\":{\"cfo\":\"a@b.c\"}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{},\"r\":{}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"\":{}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":[]}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{\"fields\":{\"f\":{},\"f\":{}}}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{\"fields\":{\"f\":{\"sensitivity\":\"secret\"}}}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{\"fields\":{\"f\":{\"sensitivity\":\"pii\",\"sensitivity\":\"pii\"}}}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{\"storage\":\"disk\"}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{\"retention_days\":365001}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{\"retention_days\":-1}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{\"retention_days\":\"7\"}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"data\":{\"r\":{\"retention_days\":9999999999999999999}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"members\":[\"a@b.c\",\"a@b.c\"]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"members\":[\"group:g\",\"group:g\"]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"members\":[\"a@b.c\",{\"principal\":\"a@b.c\"}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"members\":[\"group:\"]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"members\":[\"group:a b\"]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"members\":[\"\"]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"members\":[{\"expires\":\"2027-01-01\"}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"members\":[{\"principal\":\"a@b.c\",\"expires\":\"2027-02-30\"}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"members\":[{\"principal\":\"a@b.c\",\"expires\":\"\"}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"members\":[{\"principal\":\"a@b.c\",\"principal\":\"a@b.c\"}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"members\":[{\"principal\":\"group:g\"}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"members\":[7]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"grants\":[{\"resource\":\"r\"}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"grants\":[{\"resource\":\"r\",\"actions\":[]}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"grants\":[{\"resource\":\"r\",\"actions\":[\"read\",\"read\"]}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"grants\":[{\"resource\":\"r\",\"actions\":[\"zap\",\"read\",\"zap\"]}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"grants\":[{\"resource\":\"r\",\"actions\":[\"read\",\"\"]}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"grants\":[{\"resource\":\"r\",\"actions\":[\"read\",7]}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"grants\":[{\"actions\":[\"read\"]}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"grants\":[{\"resource\":\"r\",\"actions\":[\"read\"],\"hidden_fields\":[\"f\",\"f\"]}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"grants\":[{\"resource\":\"r\",\"actions\":[\"read\",]}]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"grants\":{}}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"roles\":{\"R\":{\"owner\":\"a@b.c\"}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"pages\":{\"P\":[]}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"pages\":{\"P\":{\"a\":1,\"a\":2}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"pages\":{\"P\":{\"roles\":[\"R\",\"R\"]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"pages\":{\"P\":{\"a\":\"\\u00\"}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"pages\":{\"P\":{\"a\":\"\\u0000\"}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"pages\":{\"P\":{\"a\":\"\xff\"}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"pages\":{\"P\":{\"a\":\"x}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"pages\":{\"P\":{},\"P\":{}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"integrations\":{\"i\":{}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"integrations\":{\"i\":{\"kind\":\"k\",\"owner\":\"x\"}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"integrations\":{\"i\":{\"kind\":\"k\",\"on_failure\":\"retry\"}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"integrations\":{\"i\":{\"kind\":\"k\",\"rate_limit_per_min\":100000001}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"integrations\":{\"i\":{\"kind\":\"k\",\"scopes\":[\"a\",\"a\"]}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"integrations\":{\"i\":{\"kind\":\"k\",\"credential\":{\"Prod\":\"s\"}}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"integrations\":{\"i\":{\"kind\":\"k\",\"credential\":{\"prod\":\"\"}}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"integrations\":{\"i\":{\"kind\":\"k\",\"credential\":{\"prod\":\"a\",\"prod\":\"b\"}}}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"ai\":{\"reads\":[{}]}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"ai\":{\"reads\":[{\"resource\":\"r\",\"fields\":[\"a\",\"a\"]}]}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"ai\":{\"model\":\"gpt\"}}",
		"{\"name\":\"x\",\"class\":\"dashboard\",\"ai\":[]}",
		NULL
	};
	size_t i;

	(void)state;
	for (i = 0; cases[i]; i++)
		if (run_text(cases[i]) != REFUSED)
			fail_msg("accepted: %s", cases[i]);
}

/*
 * A page nests freely, up to the file's limit of 64 levels: the page object
 * is level 3. Its deepest value is read by both at 64, by neither at 65.
 */
static void test_page_depth(void **state)
{
	appctl_strbuf s = APPCTL_STRBUF_INIT;
	int depth, i;

	(void)state;
	for (depth = 63; depth <= 66; depth++) {
		appctl_strbuf_truncate(&s, 0);
		appctl_strbuf_puts(&s, "{\"name\":\"x\",\"class\":\"dashboard\","
			"\"pages\":{\"P\":{\"a\":");
		for (i = 3; i < depth; i++)
			appctl_strbuf_puts(&s, "[");
		for (i = 3; i < depth; i++)
			appctl_strbuf_puts(&s, "]");
		appctl_strbuf_puts(&s, "}}}");
		assert_false(s.failed);
		assert_int_equal(run(s.ptr, s.len, "x"),
			depth <= 64 ? FAST | FULL : REFUSED);
	}
	appctl_strbuf_dispose(&s);
}

/* Big files: many entries take the sorted duplicate checks. */
static void test_many_entries(void **state)
{
	appctl_strbuf s = APPCTL_STRBUF_INIT;
	int i, twice;

	(void)state;
	for (twice = 0; twice < 2; twice++) {
		appctl_strbuf_truncate(&s, 0);
		appctl_strbuf_puts(&s, "{\"name\":\"x\",\"class\":\"dashboard\","
			"\"roles\":{\"R\":{\"members\":[");
		for (i = 0; i < 5000; i++)
			appctl_strbuf_printf(&s, "%s\"u%d@example.com\"",
				i ? "," : "", i);
		if (twice)
			appctl_strbuf_puts(&s, ",\"u4321@example.com\"");
		appctl_strbuf_puts(&s, "],\"grants\":[{\"resource\":\"r\","
			"\"actions\":[\"read\"],\"hidden_fields\":[");
		for (i = 0; i < 3000; i++)
			appctl_strbuf_printf(&s, "%s\"f%d\"", i ? "," : "", i);
		appctl_strbuf_puts(&s, "]}]}},\"data\":{");
		for (i = 0; i < 3000; i++)
			appctl_strbuf_printf(&s, "%s\"r%d\":{}", i ? "," : "",
				(i * 7919) % 3000);
		appctl_strbuf_puts(&s, "}}");
		assert_false(s.failed);
		assert_int_equal(run(s.ptr, s.len, "x"),
			twice ? REFUSED : FAST | FULL);
	}
	appctl_strbuf_dispose(&s);
}

/*
 * Every one-byte change to the rich app: deleted, replaced by a byte that
 * matters to JSON, or doubled. Whatever each gives, the rule holds.
 */
static void test_mutations(void **state)
{
	static const char swaps[] = "\"\\,:{}[]x0 \x80\x01";
	size_t len = sizeof(rich) - 1, i, k;
	char *buf = malloc(len + 1);
	int accepted = 0;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < len; i++) {
		memcpy(buf, rich, i);
		memcpy(buf + i, rich + i + 1, len - i - 1);
		accepted += run(buf, len - 1, "x") == (FAST | FULL);
		for (k = 0; k < sizeof(swaps) - 1; k++) {
			memcpy(buf, rich, len);
			buf[i] = swaps[k];
			accepted += run(buf, len, "x") == (FAST | FULL);
		}
		memcpy(buf, rich, i + 1);
		memcpy(buf + i + 1, rich + i, len - i);
		accepted += run(buf, len + 1, "x") == (FAST | FULL);
	}
	/* Whitespace changes, renamed names...: many still read fast. */
	assert_true(accepted > 100);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rich_app),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_left_to_the_full_parse),
		cmocka_unit_test(test_refused_by_both),
		cmocka_unit_test(test_page_depth),
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
