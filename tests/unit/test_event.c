/* test_event.c: the init event's canonical form and its strict reading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/event.h"

#define C1 "1111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222"

/* The canonical bytes of the event built in test_format_canonical. */
#define CANONICAL "{\"appctl_event\":1,\"commit\":\"" C1 "\"," \
	"\"environments\":[\"dev\",\"staging\",\"prod\"]," \
	"\"principal\":\"ann@example.com\"," \
	"\"releases\":{\"dev\":\"" C1 "\",\"prod\":\"" C2 "\",\"staging\":\"" C1 "\"}," \
	"\"time\":\"2026-01-02T03:04:05Z\",\"type\":\"init\",\"verified\":false}"

static void test_format_canonical(void **state)
{
	static const char *envs[] = { "dev", "staging", "prod" };
	static const char *releases[] = { C1, C1, C2 };
	appctl_init_event ev;
	appctl_error *err;
	char *json = NULL;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.commit = C1;
	ev.environments = envs;
	ev.releases = releases;
	ev.environment_count = 3;
	ev.time = "2026-01-02T03:04:05Z";
	ev.principal = "ann@example.com";
	err = appctl_init_event_format(&json, &ev);
	assert_null(err);
	assert_string_equal(json, CANONICAL);
	free(json);

	/* What the writer refuses, the reader would refuse too. */
	ev.time = "2026-01-02 03:04:05";
	err = appctl_init_event_format(&json, &ev);
	assert_non_null(err);
	assert_null(json);
	appctl_error_free(err);
}

static void test_roundtrip(void **state)
{
	appctl_init_event *ev = NULL;
	appctl_error *err;
	char *again = NULL;

	(void)state;
	err = appctl_init_event_parse(&ev, "event.json", CANONICAL, strlen(CANONICAL));
	assert_null(err);
	assert_string_equal(ev->commit, C1);
	assert_int_equal(ev->environment_count, 3);
	assert_string_equal(ev->environments[2], "prod");
	assert_string_equal(ev->releases[2], C2);
	assert_string_equal(appctl_init_event_release(ev, "staging"), C1);
	assert_null(appctl_init_event_release(ev, "qa"));
	assert_string_equal(ev->principal, "ann@example.com");
	assert_int_equal(ev->verified, 0);
	err = appctl_init_event_format(&again, ev);
	assert_null(err);
	assert_string_equal(again, CANONICAL);
	free(again);
	appctl_init_event_free(ev);
	appctl_init_event_free(NULL);
}

typedef struct parse_case {
	const char *name;
	const char *json;
	const char *path;      /* the JSON path the error names */
	const char *message;   /* a part of the message */
} parse_case;

#define HEAD_ "{\"appctl_event\":1,\"type\":\"init\",\"commit\":\"" C1 "\","
#define ENVS_ "\"environments\":[\"dev\"],\"releases\":{\"dev\":\"" C1 "\"},"
#define TAIL_ "\"time\":\"2026-01-02T03:04:05Z\",\"principal\":\"a@b.co\",\"verified\":false}"

static const parse_case parse_cases[] = {
	{ "not an object", "[1]", "$", "must be a JSON object" },
	{ "unknown field", HEAD_ ENVS_ "\"extra\":1," TAIL_, "$.extra", "unknown field" },
	{ "missing field", HEAD_ ENVS_ "\"time\":\"2026-01-02T03:04:05Z\",\"verified\":false}",
	  "$.principal", "missing field" },
	{ "duplicate key", HEAD_ ENVS_ "\"verified\":true," TAIL_, NULL, "duplicate" },
	{ "version 2", "{\"appctl_event\":2,\"type\":\"init\",\"commit\":\"" C1 "\"," ENVS_ TAIL_,
	  "$.appctl_event", "unsupported event version" },
	{ "other type", "{\"appctl_event\":1,\"type\":\"promote\",\"commit\":\"" C1 "\"," ENVS_ TAIL_,
	  "$.type", "expected \"init\"" },
	{ "short commit", "{\"appctl_event\":1,\"type\":\"init\",\"commit\":\"1111111\"," ENVS_ TAIL_,
	  "$.commit", "full commit id" },
	{ "upper-case commit", "{\"appctl_event\":1,\"type\":\"init\",\"commit\":\""
	  "ABCDEF1111111111111111111111111111111111\"," ENVS_ TAIL_, "$.commit", "full commit id" },
	{ "environments not array", HEAD_ "\"environments\":\"dev\",\"releases\":{}," TAIL_,
	  "$.environments", "expected an array" },
	{ "no environments", HEAD_ "\"environments\":[],\"releases\":{}," TAIL_,
	  "$.environments", "at least one environment" },
	{ "bad environment name", HEAD_ "\"environments\":[\"Dev\"],\"releases\":{\"Dev\":\"" C1 "\"}," TAIL_,
	  "$.environments[0]", "invalid or repeated" },
	{ "repeated environment", HEAD_ "\"environments\":[\"dev\",\"dev\"],\"releases\":{\"dev\":\"" C1 "\"}," TAIL_,
	  "$.environments[1]", "invalid or repeated" },
	{ "environment not a string", HEAD_ "\"environments\":[1],\"releases\":{}," TAIL_,
	  "$.environments[0]", "expected an environment name" },
	{ "release missing", HEAD_ "\"environments\":[\"dev\",\"prod\"],\"releases\":{\"dev\":\"" C1 "\"}," TAIL_,
	  "$.releases", "no release 0" },
	{ "release extra", HEAD_ "\"environments\":[\"dev\"],\"releases\":{\"dev\":\"" C1 "\",\"qa\":\"" C1 "\"}," TAIL_,
	  "$.releases.qa", "not one of" },
	{ "release not an id", HEAD_ "\"environments\":[\"dev\"],\"releases\":{\"dev\":7}," TAIL_,
	  "$.releases.dev", "full commit id" },
	{ "bad time", HEAD_ ENVS_ "\"time\":\"2026-02-30T03:04:05Z\",\"principal\":\"a@b.co\",\"verified\":false}",
	  "$.time", "UTC time" },
	{ "local time", HEAD_ ENVS_ "\"time\":\"2026-01-02T03:04:05+01:00\",\"principal\":\"a@b.co\",\"verified\":false}",
	  "$.time", "UTC time" },
	{ "empty principal", HEAD_ ENVS_ "\"time\":\"2026-01-02T03:04:05Z\",\"principal\":\"\",\"verified\":false}",
	  "$.principal", "non-empty" },
	{ "principal with newline", HEAD_ ENVS_ "\"time\":\"2026-01-02T03:04:05Z\",\"principal\":\"a\\nb\",\"verified\":false}",
	  "$.principal", "control characters" },
	{ "verified not bool", HEAD_ ENVS_ "\"time\":\"2026-01-02T03:04:05Z\",\"principal\":\"a@b.co\",\"verified\":0}",
	  "$.verified", "true or false" },
	{ "trailing garbage", HEAD_ ENVS_ TAIL_ "x", NULL, "" },
};

static void test_parse_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const parse_case *c = &parse_cases[i];
		appctl_init_event *ev = NULL;
		appctl_error *err;

		err = appctl_init_event_parse(&ev, "x:event.json", c->json,
			strlen(c->json));
		if (!err) {
			fprintf(stderr, "case '%s' parsed\n", c->name);
			fail();
		}
		assert_null(ev);
		assert_int_equal(err->code, APPCTL_EINPUT);
		assert_string_equal(err->file, "x:event.json");
		if (c->path && (!err->path || strcmp(err->path, c->path) != 0)) {
			fprintf(stderr, "case '%s': path %s\n", c->name,
				err->path ? err->path : "(null)");
			fail();
		}
		if (!strstr(err->message, c->message)) {
			fprintf(stderr, "case '%s': message %s\n", c->name, err->message);
			fail();
		}
		appctl_error_free(err);
	}
}

static void test_validators(void **state)
{
	(void)state;
	assert_true(appctl_event_id_is_valid(C1));
	assert_false(appctl_event_id_is_valid(C1 "1"));
	assert_false(appctl_event_id_is_valid("111"));
	assert_false(appctl_event_id_is_valid("g111111111111111111111111111111111111111"));
	assert_true(appctl_event_time_is_valid("2024-02-29T23:59:60Z"));
	assert_false(appctl_event_time_is_valid("2023-02-29T00:00:00Z"));
	assert_false(appctl_event_time_is_valid("2024-01-01T24:00:00Z"));
	assert_false(appctl_event_time_is_valid("2024-01-01T00:00:00"));
	assert_false(appctl_event_time_is_valid("2024-01-01t00:00:00Z"));
	assert_false(appctl_event_time_is_valid(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_canonical),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_validators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
