/* test_model_cache.c: the per-blob cache entry of a parsed app: exact round trips, every damage a miss. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/diff.h"
#include "appctl/model.h"
#include "appctl/model_cache.h"

#define BLOB "0123456789abcdef0123456789abcdef01234567"
#define OTHER "1123456789abcdef0123456789abcdef01234567"

typedef struct cache_case {
	const char *name;
	const char *dir;
	const char *file;     /* under APPCTL_SOURCE_DIR, or NULL */
	const char *json;     /* when file is NULL */
} cache_case;

static const cache_case cases[] = {
	{ "example billing-admin", "billing-admin",
	  "examples/org/apps/billing-admin/app.json", NULL },
	{ "example ops-dashboard", "ops-dashboard",
	  "examples/org/apps/ops-dashboard/app.json", NULL },
	{ "example support-portal", "support-portal",
	  "examples/org/apps/support-portal/app.json", NULL },
	{ "fixture app-full", "fuzz", "fuzz/corpus/fuzz_definitions/app-full.json", NULL },
	{ "fixture app-new-fields", "fuzz",
	  "fuzz/corpus/fuzz_definitions/app-new-fields.json", NULL },
	{ "fixture app-dangling", "fuzz",
	  "fuzz/corpus/fuzz_definitions/app-dangling.json", NULL },
	{ "fixture members", "fuzz", "fuzz/corpus/fuzz_definitions/members.json", NULL },
	{ "minimal: no optional section", "shop", NULL,
	  "{\"name\":\"shop\",\"class\":\"dashboard\"}" },
	{ "empty collections and lists", "shop", NULL,
	  "{\"name\":\"shop\",\"class\":\"client_portal\",\"data\":{},\"roles\":{\"A\":"
	  "{\"members\":[],\"grants\":[]}},\"pages\":{},\"integrations\":{}}" },
	{ "expiring member, unknown action, ai", "shop", NULL,
	  "{\"name\":\"shop\",\"class\":\"admin_panel\","
	  "\"data\":{\"orders\":{\"fields\":{\"email\":{\"sensitivity\":\"pii\"},\"id\":{}}}},"
	  "\"roles\":{\"Ops\":{\"members\":[\"dan@example.com\",\"group:support\","
	  "{\"principal\":\"cy@contractor.example\",\"expires\":\"2026-12-31\"}],"
	  "\"grants\":[{\"resource\":\"orders\",\"actions\":[\"read\",\"launch\"],"
	  "\"hidden_fields\":[\"email\"]}]}},"
	  "\"pages\":{\"Orders\":{\"resource\":\"orders\",\"roles\":[\"Ops\"],\"layout\":{\"x\":1}}},"
	  "\"ai\":{\"reads\":[{\"resource\":\"orders\",\"fields\":[\"id\"]},{\"resource\":\"orders\"}],"
	  "\"justification\":\"triage\"}}" },
};

static char *read_source(const char *rel, size_t *len)
{
	char path[4096];
	FILE *f;
	char *data;
	long n;

	snprintf(path, sizeof(path), "%s/%s", APPCTL_SOURCE_DIR, rel);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

/* Parses one case as blob BLOB into `arena`. */
static appctl_app *parse_case(appctl_arena *arena, const cache_case *c)
{
	char path[256];
	appctl_file file;
	appctl_app *app = NULL;
	appctl_error *err;
	char *owned = NULL;
	size_t len;

	snprintf(path, sizeof(path), "apps/%s/app.json", c->dir);
	memset(&file, 0, sizeof(file));
	file.path = path;
	if (c->file) {
		owned = read_source(c->file, &len);
		file.data = owned;
		file.len = len;
	} else {
		file.data = c->json;
		file.len = strlen(c->json);
	}
	memcpy(file.id, BLOB, 41);
	err = appctl_app_parse(&app, arena, &file, c->dir);
	if (err) {
		char *text = appctl_error_format(err);

		fail_msg("%s: %s", c->name, text);
	}
	free(owned);
	return app;
}

static void test_round_trip(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		appctl_arena *arena = appctl_arena_new();
		appctl_app *app = parse_case(arena, &cases[k]), *back = NULL,
			*again = NULL;
		unsigned char *bytes = NULL, *bytes2 = NULL;
		size_t len = 0, len2 = 0;

		assert_null(appctl_model_cache_encode(&bytes, &len, app));
		if (appctl_model_cache_decode(&back, arena, bytes, len, BLOB,
			    cases[k].dir) != 1)
			fail_msg("%s: no hit", cases[k].name);
		if (!appctl_model_cache_app_equal(app, back))
			fail_msg("%s: decoded app differs", cases[k].name);
		/* Encoding is deterministic: the same facts, the same bytes. */
		assert_null(appctl_model_cache_encode(&bytes2, &len2, back));
		assert_int_equal(len, len2);
		assert_memory_equal(bytes, bytes2, len);
		/* The equality used above can fail. */
		if (app->role_count) {
			assert_int_equal(appctl_model_cache_decode(&again, arena,
				bytes, len, BLOB, cases[k].dir), 1);
			again->roles[0].name = "Zz-not-the-same";
			assert_false(appctl_model_cache_app_equal(app, again));
		}
		free(bytes);
		free(bytes2);
		appctl_arena_free(arena);
	}
}

/* A miss leaves *out NULL and returns 0. */
static void assert_miss(appctl_arena *arena, const unsigned char *bytes,
	size_t len, const char *blob, const char *dir, const char *what,
	size_t at)
{
	appctl_app *app = (appctl_app *)&app;

	if (appctl_model_cache_decode(&app, arena, bytes, len, blob, dir) != 0 ||
	    app)
		fail_msg("%s at %zu: not a miss", what, at);
}

static void test_damage_is_a_miss(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		appctl_arena *arena = appctl_arena_new();
		appctl_app *app = parse_case(arena, &cases[k]);
		unsigned char *bytes = NULL, *copy;
		size_t len = 0, i, step;
		unsigned bit;

		assert_null(appctl_model_cache_encode(&bytes, &len, app));
		copy = malloc(len);
		assert_non_null(copy);
		/* Big entries: a prime stride still visits every region. */
		step = len > 4096 ? 61 : 1;
		for (i = 0; i < len; i += step)
			assert_miss(arena, bytes, i, BLOB, cases[k].dir,
				"truncated", i);
		for (i = 0; i < len; i += step)
			for (bit = 0; bit < 8; bit += 3) {
				memcpy(copy, bytes, len);
				copy[i] ^= (unsigned char)(1u << bit);
				assert_miss(arena, copy, len, BLOB, cases[k].dir,
					"flipped", i);
			}
		/* Another version, another blob, another folder, one byte more. */
		memcpy(copy, bytes, len);
		copy[8] = (unsigned char)(APPCTL_MODEL_CACHE_VERSION + 1);
		assert_miss(arena, copy, len, BLOB, cases[k].dir, "version", 8);
		assert_miss(arena, bytes, len, OTHER, cases[k].dir, "blob", 0);
		assert_miss(arena, bytes, len, "short", cases[k].dir, "blob", 0);
		assert_miss(arena, bytes, len, BLOB, "other-app", "dir", 0);
		free(copy);
		copy = malloc(len + 1);
		assert_non_null(copy);
		memcpy(copy, bytes, len);
		copy[len] = 0;
		assert_miss(arena, copy, len + 1, BLOB, cases[k].dir, "longer",
			len);
		free(copy);
		free(bytes);
		appctl_arena_free(arena);
	}
}

/*
 * Behind a matching checksum, single-byte changes of the structure reach
 * the decoder's own checks: each is a miss, or an app that encodes again
 * and decodes to an equal app. Under the sanitizers, a read out of bounds
 * or a NULL the model never holds would fail here.
 */
static void test_sealed_damage(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		appctl_arena *arena = appctl_arena_new();
		appctl_app *app = parse_case(arena, &cases[k]), *back;
		unsigned char *bytes = NULL, *copy, *again;
		size_t len = 0, len2, i, step;
		static const unsigned char values[] = { 0x00, 0x01, 0x02, 0x7f, 0xff };
		size_t v;

		assert_null(appctl_model_cache_encode(&bytes, &len, app));
		copy = malloc(len);
		assert_non_null(copy);
		step = len > 4096 ? 7 : 1;
		for (i = 60; i + 8 < len; i += step)
			for (v = 0; v < sizeof(values); v++) {
				memcpy(copy, bytes, len);
				if (copy[i] == values[v])
					continue;
				copy[i] = values[v];
				appctl_model_cache_seal(copy, len);
				back = NULL;
				if (appctl_model_cache_decode(&back, arena, copy, len,
					    BLOB, cases[k].dir) != 1)
					continue;
				again = NULL;
				assert_null(appctl_model_cache_encode(&again, &len2,
					back));
				{
					appctl_app *third = NULL;

					assert_int_equal(appctl_model_cache_decode(
						&third, arena, again, len2, BLOB,
						cases[k].dir), 1);
					assert_true(appctl_model_cache_app_equal(back,
						third));
				}
				free(again);
			}
		free(copy);
		free(bytes);
		appctl_arena_free(arena);
	}
}

/* Hostile, empty and huge-looking inputs: misses, never crashes. */
static void test_hostile(void **state)
{
	static const unsigned char empty[1] = { 0 };
	unsigned char big[256];
	appctl_arena *arena = appctl_arena_new();

	(void)state;
	assert_miss(arena, empty, 0, BLOB, "shop", "empty", 0);
	memset(big, 0xff, sizeof(big));
	memcpy(big, "APPCTLM\n", 8);
	assert_miss(arena, big, sizeof(big), BLOB, "shop", "all ones", 0);
	memset(big, 0, sizeof(big));
	assert_miss(arena, big, sizeof(big), BLOB, "shop", "all zeros", 0);
	appctl_arena_free(arena);
}

/* ---- an app's facts (the diff's memo of an unchanged app) ---- */

#define KEY "89abcdef0123456789abcdef0123456789abcdef"

/* One of each kind access_facts makes, with and without optional fields. */
static const appctl_change facts_in[] = {
	{ .kind = "access.granted", .risk = APPCTL_RISK_HIGH, .app = "shop",
	  .principal = "eve@example.com", .resource = "orders",
	  .action = "export", .via = "Ops (group:support)",
	  .expires = "2027-01-31" },
	{ .kind = "access.granted", .risk = APPCTL_RISK_MEDIUM, .app = "shop",
	  .principal = "eve@example.com", .resource = "orders",
	  .action = "read" },
	{ .kind = "access.revoked", .risk = APPCTL_RISK_LOW, .app = "shop",
	  .principal = "dan@example.com", .resource = "orders",
	  .action = "delete", .via = "Admin" },
	{ .kind = "field.exposed", .risk = APPCTL_RISK_HIGH, .app = "shop",
	  .principal = "eve@example.com", .resource = "orders",
	  .field = "email", .via = "Ops (group:support)",
	  .after = "\"pii\"" },
	{ .kind = "field.exposed", .risk = APPCTL_RISK_MEDIUM, .app = "shop",
	  .principal = "eve@example.com", .resource = "orders",
	  .field = "note", .after = "\"internal\"" },
	{ .kind = "field.hidden", .risk = APPCTL_RISK_LOW, .app = "shop",
	  .principal = "dan@example.com", .resource = "orders",
	  .field = "card", .before = "\"restricted\"" },
};
#define FACTS_COUNT (sizeof(facts_in) / sizeof(facts_in[0]))

static void encode_facts(unsigned char **data, size_t *len)
{
	appctl_error *err = appctl_facts_cache_encode(data, len, KEY, "shop",
		facts_in, FACTS_COUNT);

	assert_null(err);
	assert_non_null(*data);
}

/* Decodes into a list holding one change already: a miss must leave it alone. */
static int decode_facts(const unsigned char *data, size_t len,
	const char *key, const char *app, appctl_changes *out)
{
	appctl_change *slot;

	assert_int_equal(appctl_changes_init(out), 0);
	slot = appctl_changes_reserve(out, 1);
	assert_non_null(slot);
	*slot = facts_in[1];
	out->count = 1;
	return appctl_facts_cache_decode(out, data, len, key, app);
}

/*
 * Many facts naming 300 principals over and over, each text at two
 * addresses: what the encoder remembers by address and by text must both
 * give back each fact's own strings.
 */
static void test_facts_many_strings(void **state)
{
	enum { NAMES = 300, FACTS = 1500 };
	char (*names)[2][32] = calloc(NAMES, sizeof(*names));
	appctl_change *in = calloc(FACTS, sizeof(*in));
	unsigned char *data = NULL;
	appctl_changes got;
	size_t len = 0, i;

	(void)state;
	assert_non_null(names);
	assert_non_null(in);
	for (i = 0; i < NAMES; i++) {
		snprintf(names[i][0], sizeof(names[i][0]), "p%03zu@example.com", i);
		memcpy(names[i][1], names[i][0], sizeof(names[i][0]));
	}
	for (i = 0; i < FACTS; i++) {
		in[i] = facts_in[i % FACTS_COUNT];
		/* Strides that revisit names late, from either copy. */
		in[i].principal = names[(i * 7) % NAMES][(i / 3) % 2];
	}
	assert_null(appctl_facts_cache_encode(&data, &len, KEY, "shop", in,
		FACTS));
	assert_int_equal(decode_facts(data, len, KEY, "shop", &got), 1);
	assert_int_equal(got.count, 1 + FACTS);
	for (i = 0; i < FACTS; i++)
		if (!appctl_change_equal(&got.items[1 + i], &in[i]))
			fail_msg("fact %zu comes back different", i);
	appctl_changes_dispose(&got);
	free(data);
	free(in);
	free(names);
}

static void test_facts_round_trip(void **state)
{
	unsigned char *data = NULL;
	appctl_changes got;
	size_t len = 0, i;

	(void)state;
	encode_facts(&data, &len);
	assert_int_equal(decode_facts(data, len, KEY, "shop", &got), 1);
	assert_int_equal(got.count, 1 + FACTS_COUNT);
	for (i = 0; i < FACTS_COUNT; i++)
		assert_true(appctl_change_equal(&got.items[1 + i], &facts_in[i]));
	appctl_changes_dispose(&got);
	/* No facts is an entry too: the app does not use a moved group. */
	free(data);
	assert_null(appctl_facts_cache_encode(&data, &len, KEY, "shop", NULL, 0));
	assert_non_null(data);
	assert_int_equal(decode_facts(data, len, KEY, "shop", &got), 1);
	assert_int_equal(got.count, 1);
	appctl_changes_dispose(&got);
	free(data);
}

/* What access_facts never makes is never stored: the decoder could not check it. */
static void test_facts_only_what_access_makes(void **state)
{
	appctl_change c, bad[8];
	unsigned char *data;
	size_t len, i;

	(void)state;
	for (i = 0; i < 8; i++)
		bad[i] = facts_in[i % 2 ? 3 : 0];
	bad[0].kind = "role.added";
	bad[1].app = "other";
	bad[2].risk = APPCTL_RISK_LOW;            /* a gain graded low */
	bad[3].after = "\"public\"";              /* public fields ride on access */
	bad[4].role = "Ops";                      /* a field access facts leave out */
	bad[5].risk = APPCTL_RISK_MEDIUM;         /* pii exposed, not high */
	bad[6].action = NULL;
	bad[7].after = "\"secret\"";              /* not a sensitivity */
	for (i = 0; i < 8; i++) {
		c = bad[i];
		data = NULL;
		len = 0;
		assert_null(appctl_facts_cache_encode(&data, &len, KEY, "shop",
			&c, 1));
		if (data)
			fail_msg("bad change %zu was stored", i);
	}
}

static void assert_facts_miss(const unsigned char *data, size_t len,
	const char *key, const char *app, const char *what)
{
	appctl_changes got;
	int rc = decode_facts(data, len, key, app, &got);

	if (rc != 0 || got.count != 1)
		fail_msg("%s: rc %d, %zu changes; expected a miss", what, rc,
			got.count);
	appctl_changes_dispose(&got);
}

/* Another key or app, any truncation, any flipped byte: a miss, nothing appended. */
static void test_facts_damage(void **state)
{
	unsigned char *data = NULL, *copy;
	size_t len = 0, i;

	(void)state;
	encode_facts(&data, &len);
	assert_facts_miss(data, len, OTHER "89abcdef", "shop", "longer key");
	assert_facts_miss(data, len, "99abcdef0123456789abcdef0123456789abcdef",
		"shop", "other key");
	assert_facts_miss(data, len, KEY, "shop2", "other app");
	assert_facts_miss(data, len, KEY, NULL, "no app");
	copy = malloc(len);
	assert_non_null(copy);
	for (i = 0; i < len; i++)
		assert_facts_miss(data, i, KEY, "shop", "truncated");
	for (i = 0; i < len; i++) {
		memcpy(copy, data, len);
		copy[i] ^= 0x20;
		assert_facts_miss(copy, len, KEY, "shop", "flipped byte");
	}
	free(copy);
	free(data);
}

/*
 * Behind a checksum made to match, every single-byte change of the
 * structure is either a miss or decodes to changes the encoder would store
 * again: the decoder checks each against what access_facts can make.
 */
static void test_facts_sealed_damage(void **state)
{
	unsigned char *data = NULL, *copy, *again;
	size_t len = 0, again_len, i, k;
	static const unsigned char values[] = { 0x00, 0x01, 0x02, 0x03, 0x04,
		0xff };
	appctl_changes got;
	int rc;

	(void)state;
	encode_facts(&data, &len);
	copy = malloc(len);
	assert_non_null(copy);
	for (i = 60; i + 8 < len; i++)
		for (k = 0; k < sizeof(values); k++) {
			memcpy(copy, data, len);
			if (copy[i] == values[k])
				continue;
			copy[i] = values[k];
			appctl_model_cache_seal(copy, len);
			rc = decode_facts(copy, len, KEY, "shop", &got);
			assert_true(rc == 0 || rc == 1);
			if (rc == 0) {
				assert_int_equal(got.count, 1);
			} else {
				again = NULL;
				assert_null(appctl_facts_cache_encode(&again,
					&again_len, KEY, "shop", got.items + 1,
					got.count - 1));
				if (!again)
					fail_msg("byte %zu = %u decoded to a change "
						"the encoder refuses", i,
						(unsigned)values[k]);
				free(again);
			}
			appctl_changes_dispose(&got);
		}
	free(copy);
	free(data);
}

/* A count no input could fill allocates nothing. */
static void test_facts_hostile_count(void **state)
{
	unsigned char *data = NULL;
	size_t len = 0, at;

	(void)state;
	assert_null(appctl_facts_cache_encode(&data, &len, KEY, "shop", NULL, 0));
	assert_non_null(data);
	/* The body is the app name's ref (4 bytes), then the count. */
	at = len - 8 - 4;
	data[at] = data[at + 1] = data[at + 2] = 0xfe;
	data[at + 3] = 0x7f;
	appctl_model_cache_seal(data, len);
	assert_facts_miss(data, len, KEY, "shop", "huge count");
	free(data);
}

/*
 * Entries share a pack and are found again by their headers alone: the
 * header says the kind, the id and the whole length of either kind, and
 * anything another version or a damaged header would say is refused.
 */
static void test_frame(void **state)
{
	appctl_arena *arena = appctl_arena_new();
	appctl_app *app = parse_case(arena, &cases[0]);
	unsigned char *m = NULL, *f = NULL;
	size_t mlen = 0, flen = 0, len = 0;
	char kind = 0, id[41];

	(void)state;
	assert_null(appctl_model_cache_encode(&m, &mlen, app));
	encode_facts(&f, &flen);
	assert_int_equal(appctl_model_cache_frame(m, mlen, &kind, id, &len), 0);
	assert_int_equal(kind, 'M');
	assert_string_equal(id, BLOB);
	assert_int_equal(len, mlen);
	assert_true(appctl_model_cache_intact(m, mlen));
	/* The header is enough: the length may run past what was read. */
	assert_int_equal(appctl_model_cache_frame(f,
		APPCTL_MODEL_CACHE_HEADER_LEN, &kind, id, &len), 0);
	assert_int_equal(kind, 'F');
	assert_string_equal(id, KEY);
	assert_int_equal(len, flen);
	assert_true(appctl_model_cache_intact(f, flen));
	/* Too short for a header, another version, a non-hex id, another magic. */
	assert_int_equal(appctl_model_cache_frame(m,
		APPCTL_MODEL_CACHE_HEADER_LEN - 1, &kind, id, &len), -1);
	m[8]++;
	assert_int_equal(appctl_model_cache_frame(m, mlen, &kind, id, &len), -1);
	m[8]--;
	m[12] = 'A';
	assert_int_equal(appctl_model_cache_frame(m, mlen, &kind, id, &len), -1);
	m[12] = BLOB[0];
	m[6] = 'X';
	assert_int_equal(appctl_model_cache_frame(m, mlen, &kind, id, &len), -1);
	m[6] = 'M';
	/* A changed byte past the header: the frame holds, the checksum does not. */
	m[mlen / 2] ^= 1;
	assert_int_equal(appctl_model_cache_frame(m, mlen, &kind, id, &len), 0);
	assert_false(appctl_model_cache_intact(m, mlen));
	assert_false(appctl_model_cache_intact(m, 8));
	free(m);
	free(f);
	appctl_arena_free(arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damage_is_a_miss),
		cmocka_unit_test(test_sealed_damage),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_facts_round_trip),
		cmocka_unit_test(test_facts_many_strings),
		cmocka_unit_test(test_facts_only_what_access_makes),
		cmocka_unit_test(test_facts_damage),
		cmocka_unit_test(test_facts_sealed_damage),
		cmocka_unit_test(test_facts_hostile_count),
		cmocka_unit_test(test_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
