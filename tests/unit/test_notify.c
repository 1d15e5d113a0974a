/* test_notify.c: webhook payload, Standard Webhooks signing, URL rules and the outbox. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "appctl/notify.h"

#define C1 "1111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222"
#define E1 "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

/* The example of the Standard Webhooks specification and its libraries. */
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TIMESTAMP 1614265330
#define SW_BODY "{\"test\": 2432232314}"
#define SW_SIGNATURE "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static void test_payload_promote(void **state)
{
	const char *approvers[2] = { "ann@example.com", "rita@example.com" };
	appctl_notify_event ev;
	appctl_event log;
	char *json = NULL;

	(void)state;
	memset(&log, 0, sizeof(log));
	log.type = APPCTL_EV_PROMOTE;
	log.time = "2026-11-29T10:00:00Z";
	log.principal = "rita@example.com";
	log.verified = 1;
	log.env = "prod";
	log.source = "staging";
	log.from = C1;
	log.to = C2;
	log.release = 3;
	log.rollback_to = -1;
	appctl_notify_event_from_log(&ev, &log, E1);
	ev.repository = "org";
	ev.approvers = approvers;
	ev.approver_count = 2;
	ev.has_summary = 1;
	ev.summary[0] = 4;  /* low */
	ev.summary[1] = 0;  /* medium */
	ev.summary[2] = 1;  /* high */
	assert_null(appctl_notify_payload(&json, &ev));
	assert_string_equal(json,
		"{\"data\":{\"approvers\":[\"ann@example.com\",\"rita@example.com\"],"
		"\"break_glass\":false,\"env\":\"prod\",\"from\":\"" C1 "\","
		"\"principal\":\"rita@example.com\",\"release\":3,"
		"\"repository\":\"org\",\"source\":\"staging\","
		"\"summary\":{\"high\":1,\"low\":4,\"medium\":0},"
		"\"to\":\"" C2 "\",\"verified\":true},"
		"\"id\":\"" E1 "\",\"timestamp\":\"2026-11-29T10:00:00Z\","
		"\"type\":\"promote\"}");
	free(json);

	/* Without an id there is nothing a receiver could deduplicate on. */
	ev.id = NULL;
	{
		appctl_error *err = appctl_notify_payload(&json, &ev);

		assert_non_null(err);
		assert_null(json);
		appctl_error_free(err);
	}
}

static void test_payload_rollback_and_approve(void **state)
{
	appctl_notify_event ev;
	appctl_event log;
	char *json = NULL;

	(void)state;
	memset(&log, 0, sizeof(log));
	log.type = APPCTL_EV_ROLLBACK;
	log.time = "2026-11-29T11:00:00Z";
	log.principal = "sam@example.com";
	log.env = "prod";
	log.from = C2;
	log.to = C1;
	log.release = 4;
	log.rollback_to = 2;
	log.break_glass = 1;
	log.comment = "leak";
	appctl_notify_event_from_log(&ev, &log, E1);
	assert_null(appctl_notify_payload(&json, &ev));
	assert_string_equal(json,
		"{\"data\":{\"approvers\":[],\"break_glass\":true,"
		"\"comment\":\"leak\",\"env\":\"prod\",\"from\":\"" C2 "\","
		"\"principal\":\"sam@example.com\",\"release\":4,"
		"\"rollback_to\":2,\"to\":\"" C1 "\",\"verified\":false},"
		"\"id\":\"" E1 "\",\"timestamp\":\"2026-11-29T11:00:00Z\","
		"\"type\":\"rollback\"}");
	free(json);

	memset(&log, 0, sizeof(log));
	log.type = APPCTL_EV_APPROVE;
	log.time = "2026-11-29T09:00:00Z";
	log.principal = "ann@example.com";
	log.env = "prod";
	log.commit = C2;
	log.base = C1;
	appctl_notify_event_from_log(&ev, &log, E1);
	assert_null(appctl_notify_payload(&json, &ev));
	assert_string_equal(json,
		"{\"data\":{\"base\":\"" C1 "\",\"commit\":\"" C2 "\","
		"\"env\":\"prod\",\"principal\":\"ann@example.com\","
		"\"verified\":false},\"id\":\"" E1 "\","
		"\"timestamp\":\"2026-11-29T09:00:00Z\",\"type\":\"approve\"}");
	free(json);
}

static void test_wants(void **state)
{
	static const struct {
		unsigned events;
		const char *type;
		int break_glass;
		int wanted;
	} cases[] = {
		{ APPCTL_NOTIFY_PROMOTE, "promote", 0, 1 },
		{ APPCTL_NOTIFY_PROMOTE, "rollback", 0, 0 },
		{ APPCTL_NOTIFY_PROMOTE | APPCTL_NOTIFY_ROLLBACK, "rollback", 0, 1 },
		{ APPCTL_NOTIFY_ROLLBACK, "approve", 0, 0 },
		{ APPCTL_NOTIFY_APPROVE, "approve", 0, 1 },
		{ APPCTL_NOTIFY_BREAK_GLASS, "promote", 0, 0 },
		{ APPCTL_NOTIFY_BREAK_GLASS, "promote", 1, 1 },
		{ APPCTL_NOTIFY_BREAK_GLASS, "rollback", 1, 1 },
		{ APPCTL_NOTIFY_PROMOTE, "revoke", 0, 0 },
		{ APPCTL_NOTIFY_APPROVE, "test", 0, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		appctl_notify entry;
		appctl_notify_event ev;

		memset(&entry, 0, sizeof(entry));
		memset(&ev, 0, sizeof(ev));
		entry.events = cases[i].events;
		ev.type = cases[i].type;
		ev.break_glass = cases[i].break_glass;
		if (appctl_notify_wants(&entry, &ev) != cases[i].wanted)
			fail_msg("case %zu (%s)", i, cases[i].type);
	}
}

static void test_signature_vector(void **state)
{
	unsigned char *key = NULL;
	size_t key_len = 0;
	char *sig = NULL;

	(void)state;
	assert_null(appctl_notify_secret_key(&key, &key_len, SW_SECRET));
	assert_int_equal(key_len, 24);
	assert_null(appctl_notify_sign(&sig, key, key_len, SW_ID, SW_TIMESTAMP,
		SW_BODY, strlen(SW_BODY)));
	assert_string_equal(sig, SW_SIGNATURE);
	free(sig);

	/* One byte of body, id or time more, and the signature changes. */
	assert_null(appctl_notify_sign(&sig, key, key_len, SW_ID,
		SW_TIMESTAMP + 1, SW_BODY, strlen(SW_BODY)));
	assert_string_not_equal(sig, SW_SIGNATURE);
	free(sig);
	free(key);
}

static void test_secret_key_forms(void **state)
{
	static const char *const bad[] = { "whsec_", "whsec_abc", "whsec_!!!!",
		"whsec_====" };
	unsigned char *key = NULL;
	size_t key_len = 0, i;

	(void)state;
	/* Without the prefix the secret's bytes are the key. */
	assert_null(appctl_notify_secret_key(&key, &key_len, "plain-secret"));
	assert_int_equal(key_len, 12);
	assert_memory_equal(key, "plain-secret", 12);
	free(key);
	assert_null(appctl_notify_secret_key(&key, &key_len, "whsec_AAEC"));
	assert_int_equal(key_len, 3);
	assert_memory_equal(key, "\x00\x01\x02", 3);
	free(key);
	assert_null(appctl_notify_secret_key(&key, &key_len, "whsec_AAE="));
	assert_int_equal(key_len, 2);
	free(key);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		appctl_error *err = appctl_notify_secret_key(&key, &key_len, bad[i]);

		if (!err)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(err->code, APPCTL_EINPUT);
		assert_null(key);
		appctl_error_free(err);
	}
}

static void test_secret_resolve(void **state)
{
	appctl_error *err;
	char *secret = NULL;

	(void)state;
	setenv("TEST_NOTIFY_SECRET", "s3", 1);
	assert_null(appctl_notify_secret_resolve(&secret, "env://TEST_NOTIFY_SECRET"));
	assert_string_equal(secret, "s3");
	free(secret);
	setenv("APPCTL_SECRET_VAULT_HOOKS_PROD", "s4", 1);
	assert_null(appctl_notify_secret_resolve(&secret, "secret://vault/hooks-prod"));
	assert_string_equal(secret, "s4");
	free(secret);

	unsetenv("TEST_NOTIFY_SECRET");
	err = appctl_notify_secret_resolve(&secret, "env://TEST_NOTIFY_SECRET");
	assert_non_null(err);
	assert_non_null(strstr(err->message, "TEST_NOTIFY_SECRET"));
	assert_null(secret);
	appctl_error_free(err);
	err = appctl_notify_secret_resolve(&secret, "secret://vault/other");
	assert_non_null(err);
	assert_non_null(strstr(err->message, "APPCTL_SECRET_VAULT_OTHER"));
	appctl_error_free(err);
	err = appctl_notify_secret_resolve(&secret, "literal");
	assert_non_null(err);
	appctl_error_free(err);
}

static void test_url_rules(void **state)
{
	static const struct {
		const char *url;
		int ok;
	} cases[] = {
		{ "https://hooks.example.com/appctl", 1 },
		{ "HTTPS://hooks.example.com:8443/x?y=1", 1 },
		{ "https://10.0.0.1/hook", 1 },
		{ "http://127.0.0.1:8080/hook", 1 },
		{ "http://127.9.8.7/hook", 1 },
		{ "http://localhost:9/hook", 1 },
		{ "http://[::1]:9/hook", 1 },
		{ "http://hooks.example.com/appctl", 0 },
		{ "http://10.0.0.1/hook", 0 },
		{ "http://128.0.0.1/hook", 0 },
		{ "http://127.0.0.1.nip.io/hook", 0 },
		{ "http://localhost.example.com/hook", 0 },
		{ "http://[::2]/hook", 0 },
		{ "file:///etc/passwd", 0 },
		{ "gopher://127.0.0.1:70/_x", 0 },
		{ "ftp://127.0.0.1/x", 0 },
		{ "dict://127.0.0.1:11211/", 0 },
		{ "ldap://127.0.0.1/", 0 },
		{ "hooks.example.com/appctl", 0 },
		{ "https://", 0 },
		{ "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		appctl_error *err = appctl_notify_url_check(cases[i].url);

		if ((err == NULL) != cases[i].ok)
			fail_msg("'%s': expected %s, got %s", cases[i].url,
				cases[i].ok ? "accepted" : "refused",
				err ? err->message : "accepted");
		if (err)
			assert_int_equal(err->code, APPCTL_EINPUT);
		appctl_error_free(err);
	}
}

static void test_webhook_id(void **state)
{
	char a[APPCTL_NOTIFY_ID_SIZE], b[APPCTL_NOTIFY_ID_SIZE],
		c[APPCTL_NOTIFY_ID_SIZE];

	(void)state;
	assert_int_equal(appctl_notify_webhook_id(a, E1, "https://a.example/x"), 0);
	assert_int_equal(appctl_notify_webhook_id(b, E1, "https://a.example/x"), 0);
	assert_int_equal(appctl_notify_webhook_id(c, E1, "https://b.example/x"), 0);
	assert_string_equal(a, b);            /* stable across retries */
	assert_string_not_equal(a, c);        /* distinct per endpoint */
	assert_int_equal(strlen(a), 4 + 40 + 1 + 16);
	assert_memory_equal(a, "msg_" E1 "_", 45);
	assert_true(appctl_notify_id_is_valid(a));
	assert_false(appctl_notify_id_is_valid("msg_../../x"));
	assert_false(appctl_notify_id_is_valid("other"));
	assert_int_equal(appctl_notify_webhook_id(a, "not-hex", "https://a/"), -1);
	assert_int_equal(appctl_notify_webhook_id(a, "", "https://a/"), -1);
}

/* A temporary directory standing in for a repository's git directory. */
static int setup_gitdir(void **state)
{
	char *dir = strdup("/tmp/appctl-test-notify.XXXXXX");

	if (!dir || !mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*state = dir;
	return 0;
}

static int teardown_gitdir(void **state)
{
	char cmd[256];
	int rc;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	rc = system(cmd);
	free(*state);
	return rc == 0 ? 0 : -1;
}

static void test_outbox_roundtrip(void **state)
{
	const char *gitdir = *state;
	appctl_outbox_entry e;
	appctl_outbox *box = NULL;
	int found = 0;

	memset(&e, 0, sizeof(e));
	assert_int_equal(appctl_notify_webhook_id(e.id, E1, "https://a.example/x"), 0);
	e.url = "https://a.example/x";
	e.event = "promote";
	e.event_id = E1;
	e.secret = "env://HOOK";
	e.timeout_s = 10;
	e.body = "{\"type\":\"promote\",\"x\":\"\\u00e9\\n\"}";
	e.body_len = strlen(e.body);
	e.attempts = 2;
	e.created = "2026-11-29T10:00:00Z";
	e.last_attempt = "2026-11-29T10:00:05Z";
	e.last_status = 503;
	e.last_error = "HTTP 503: busy";
	assert_null(appctl_outbox_write(gitdir, &e));
	/* Rewriting replaces it: still one entry. */
	assert_null(appctl_outbox_write(gitdir, &e));
	assert_null(appctl_outbox_read(&box, gitdir));
	assert_int_equal(box->count, 1);
	assert_int_equal(box->broken_count, 0);
	assert_string_equal(box->entries[0].id, e.id);
	assert_string_equal(box->entries[0].url, e.url);
	assert_string_equal(box->entries[0].body, e.body);
	assert_string_equal(box->entries[0].secret, "env://HOOK");
	assert_int_equal(box->entries[0].attempts, 2);
	assert_int_equal(box->entries[0].last_status, 503);
	assert_string_equal(box->entries[0].last_error, "HTTP 503: busy");
	assert_false(box->entries[0].failed);
	appctl_outbox_free(box);

	assert_null(appctl_notify_disable(gitdir, "https://a.example/x", 410, e.id));
	assert_null(appctl_notify_disable(gitdir, "https://b.example/y", 410, e.id));
	assert_null(appctl_outbox_read(&box, gitdir));
	assert_int_equal(box->disabled_count, 2);
	assert_string_equal(box->disabled[0].url, "https://a.example/x");
	assert_int_equal(box->disabled[0].status, 410);
	appctl_outbox_free(box);
	assert_null(appctl_notify_enable(&found, gitdir, "https://a.example/x"));
	assert_true(found);
	assert_null(appctl_notify_enable(&found, gitdir, "https://a.example/x"));
	assert_false(found);

	assert_null(appctl_outbox_remove(&found, gitdir, e.id));
	assert_true(found);
	assert_null(appctl_outbox_remove(&found, gitdir, e.id));
	assert_false(found);
	assert_null(appctl_outbox_read(&box, gitdir));
	assert_int_equal(box->count, 0);
	assert_int_equal(box->disabled_count, 1);
	appctl_outbox_free(box);
}

static void test_outbox_broken_entry(void **state)
{
	const char *gitdir = *state;
	appctl_outbox *box = NULL;
	char path[512];
	FILE *f;

	appctl_outbox_free(NULL);
	/* An empty outbox reads as empty, without creating anything. */
	assert_null(appctl_outbox_read(&box, gitdir));
	assert_int_equal(box->count, 0);
	appctl_outbox_free(box);
	assert_null(appctl_notify_disable(gitdir, "https://x/", 410, NULL));
	snprintf(path, sizeof(path), "%s/appctl/outbox/msg_%s_0123456789abcdef.json",
		gitdir, E1);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"appctl_outbox\":1,\"id\":\"msg_other\"}", f);
	fclose(f);
	assert_null(appctl_outbox_read(&box, gitdir));
	assert_int_equal(box->count, 0);
	assert_int_equal(box->broken_count, 1);
	appctl_outbox_free(box);
}

/* With a budget of 0 nothing is sent: every delivery waits in the outbox. */
static void test_deliver_queues(void **state)
{
	const char *gitdir = *state;
	appctl_notify entries[3];
	appctl_policy policy;
	appctl_notify_event ev;
	appctl_notify_report *report = NULL;
	appctl_outbox *box = NULL;
	cJSON *json;
	char *text = NULL;

	memset(entries, 0, sizeof(entries));
	entries[0].url = "https://hooks.example.com/a";
	entries[0].events = APPCTL_NOTIFY_PROMOTE;
	entries[1].url = "file:///etc/passwd";
	entries[1].events = APPCTL_NOTIFY_PROMOTE;
	entries[2].url = "https://hooks.example.com/b";
	entries[2].events = APPCTL_NOTIFY_ROLLBACK;
	memset(&policy, 0, sizeof(policy));
	policy.notify = entries;
	policy.notify_count = 3;
	memset(&ev, 0, sizeof(ev));
	ev.type = "promote";
	ev.id = E1;
	ev.time = "2026-11-29T10:00:00Z";
	ev.env = "prod";
	ev.release = -1;
	ev.rollback_to = -1;

	setenv("APPCTL_NOTIFY_BUDGET_S", "0", 1);
	assert_null(appctl_notify_deliver(&report, gitdir, &policy, &ev, NULL));
	unsetenv("APPCTL_NOTIFY_BUDGET_S");
	assert_int_equal(report->count, 2);
	assert_int_equal(report->delivered, 0);
	assert_int_equal(report->results[0].outcome, APPCTL_NOTIFY_KEPT);
	assert_int_equal(report->results[0].attempts, 0);
	assert_true(report->results[0].in_outbox);
	/* A URL no flush could ever use is refused, not kept. */
	assert_string_equal(report->results[1].url, "file:///etc/passwd");
	assert_int_equal(report->results[1].outcome, APPCTL_NOTIFY_FAILED);
	assert_false(report->results[1].in_outbox);
	assert_non_null(strstr(report->results[1].error, "scheme 'file' is not allowed"));
	assert_null(appctl_notify_report_text(&text, report));
	assert_non_null(strstr(text, "notify: promote to https://hooks.example.com/a not delivered yet"));
	free(text);
	json = appctl_notify_report_json(report);
	assert_non_null(json);
	assert_int_equal(cJSON_GetArraySize(json), 2);
	cJSON_Delete(json);
	appctl_notify_report_free(report);

	assert_null(appctl_outbox_read(&box, gitdir));
	assert_int_equal(box->count, 1);
	assert_string_equal(box->entries[0].event, "promote");
	assert_int_equal(box->entries[0].timeout_s, APPCTL_NOTIFY_TIMEOUT_DEFAULT_S);
	appctl_outbox_free(box);

	/* Out of time again: a flush keeps what it could not send. */
	setenv("APPCTL_NOTIFY_BUDGET_S", "0", 1);
	assert_null(appctl_notify_flush(&report, gitdir, NULL));
	unsetenv("APPCTL_NOTIFY_BUDGET_S");
	assert_int_equal(report->count, 1);
	assert_int_equal(report->results[0].outcome, APPCTL_NOTIFY_KEPT);
	assert_true(report->results[0].in_outbox);
	appctl_notify_report_free(report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_promote),
		cmocka_unit_test(test_payload_rollback_and_approve),
		cmocka_unit_test(test_wants),
		cmocka_unit_test(test_signature_vector),
		cmocka_unit_test(test_secret_key_forms),
		cmocka_unit_test(test_secret_resolve),
		cmocka_unit_test(test_url_rules),
		cmocka_unit_test(test_webhook_id),
		cmocka_unit_test_setup_teardown(test_outbox_roundtrip,
			setup_gitdir, teardown_gitdir),
		cmocka_unit_test_setup_teardown(test_outbox_broken_entry,
			setup_gitdir, teardown_gitdir),
		cmocka_unit_test_setup_teardown(test_deliver_queues,
			setup_gitdir, teardown_gitdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
