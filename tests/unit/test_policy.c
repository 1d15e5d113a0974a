/* test_policy.c: events, log state and the promotion verdict (pure core). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/diff.h"
#include "appctl/event.h"
#include "appctl/policy.h"
#include "appctl/rules.h"

#define C1 "1111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222"
#define C3 "3333333333333333333333333333333333333333"
#define T1 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define E1 "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

static void test_event_roundtrip(void **state)
{
	appctl_event ev, *back = NULL;
	const char *ids[2] = { E1, T1 };
	char *json = NULL;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.type = APPCTL_EV_PROMOTE;
	ev.time = "2026-11-29T10:00:00Z";
	ev.principal = "rita@example.com";
	ev.env = "prod";
	ev.source = "staging";
	ev.from = C1;
	ev.to = C2;
	ev.release = 3;
	ev.approvals = ids;
	ev.approval_count = 2;
	ev.comment = "ship it";
	assert_null(appctl_event_format(&json, &ev));
	assert_string_equal(json,
		"{\"appctl_event\":1,\"approvals\":[\"" E1 "\",\"" T1 "\"],"
		"\"break_glass\":false,\"comment\":\"ship it\",\"env\":\"prod\","
		"\"from\":\"" C1 "\",\"principal\":\"rita@example.com\",\"release\":3,"
		"\"source\":\"staging\",\"time\":\"2026-11-29T10:00:00Z\",\"to\":\"" C2 "\","
		"\"type\":\"promote\",\"verified\":false}");
	assert_null(appctl_event_parse(&back, "e", json, strlen(json)));
	assert_int_equal(back->type, APPCTL_EV_PROMOTE);
	assert_int_equal(back->release, 3);
	assert_int_equal(back->approval_count, 2);
	assert_string_equal(back->approvals[1], T1);
	assert_string_equal(back->comment, "ship it");
	appctl_event_free(back);
	free(json);

	/* A writer cannot produce what the reader would refuse. */
	ev.comment = "two\nlines";
	{
		appctl_error *err = appctl_event_format(&json, &ev);

		assert_non_null(err);
		assert_null(json);
		appctl_error_free(err);
	}
}

typedef struct bad_event {
	const char *name;
	const char *json;
	const char *needle;
} bad_event;

static const bad_event bad_events[] = {
	{ "not canonical", "{\"type\":\"revoke\", \"appctl_event\":1}", "canonical" },
	{ "unknown type", "{\"appctl_event\":1,\"type\":\"merge\"}", "unknown event type" },
	{ "version", "{\"appctl_event\":2,\"type\":\"revoke\"}", "version" },
	{ "unknown key", "{\"appctl_event\":1,\"commit\":\"" C1 "\",\"env\":\"prod\","
	  "\"extra\":1,\"principal\":\"a@b.co\",\"time\":\"2026-11-29T10:00:00Z\","
	  "\"type\":\"revoke\",\"verified\":true}", "unknown field" },
	{ "missing base", "{\"appctl_event\":1,\"commit\":\"" C1 "\",\"env\":\"prod\","
	  "\"principal\":\"a@b.co\",\"time\":\"2026-11-29T10:00:00Z\",\"tree\":\"" T1 "\","
	  "\"type\":\"approve\",\"verified\":true}", "missing field" },
	{ "short id", "{\"appctl_event\":1,\"commit\":\"abc\",\"env\":\"prod\","
	  "\"principal\":\"a@b.co\",\"time\":\"2026-11-29T10:00:00Z\","
	  "\"type\":\"revoke\",\"verified\":true}", "full id" },
	{ "bad time", "{\"appctl_event\":1,\"commit\":\"" C1 "\",\"env\":\"prod\","
	  "\"principal\":\"a@b.co\",\"time\":\"yesterday\","
	  "\"type\":\"revoke\",\"verified\":true}", "UTC time" },
	{ "bad principal", "{\"appctl_event\":1,\"commit\":\"" C1 "\",\"env\":\"prod\","
	  "\"principal\":\"root\",\"time\":\"2026-11-29T10:00:00Z\","
	  "\"type\":\"revoke\",\"verified\":true}", "principal" },
	{ "release zero", "{\"appctl_event\":1,\"approvals\":[],\"break_glass\":false,"
	  "\"env\":\"prod\",\"from\":\"" C1 "\",\"principal\":\"a@b.co\",\"release\":0,"
	  "\"source\":\"staging\",\"time\":\"2026-11-29T10:00:00Z\",\"to\":\"" C2 "\","
	  "\"type\":\"promote\",\"verified\":false}", "start at 1" },
};

static void test_bad_events(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_events) / sizeof(bad_events[0]); i++) {
		appctl_event *ev = NULL;
		appctl_error *err = appctl_event_parse(&ev, "x:event.json",
			bad_events[i].json, strlen(bad_events[i].json));

		if (!err)
			fail_msg("%s: accepted", bad_events[i].name);
		assert_int_equal(err->code, APPCTL_EINPUT);
		assert_string_equal(err->file, "x:event.json");
		if (!strstr(err->message, bad_events[i].needle))
			fail_msg("%s: '%s' lacks '%s'", bad_events[i].name,
				err->message, bad_events[i].needle);
		appctl_error_free(err);
	}
}

static appctl_event *parse_or_die(const char *json)
{
	appctl_event *ev = NULL;
	appctl_error *err = appctl_event_parse(&ev, "t", json, strlen(json));

	if (err)
		fail_msg("parse: %s", err->message);
	return ev;
}

static void test_state_chain(void **state)
{
	static const char init[] = "{\"appctl_event\":1,\"commit\":\"" C1 "\","
		"\"environments\":[\"dev\",\"prod\"],\"principal\":\"a@b.co\","
		"\"releases\":{\"dev\":\"" C1 "\",\"prod\":\"" C1 "\"},"
		"\"time\":\"2026-11-29T10:00:00Z\",\"type\":\"init\",\"verified\":false}";
	static const char promote[] = "{\"appctl_event\":1,\"approvals\":[],"
		"\"break_glass\":false,\"env\":\"prod\",\"from\":\"" C1 "\","
		"\"principal\":\"a@b.co\",\"release\":1,\"source\":\"dev\","
		"\"time\":\"2026-11-29T10:00:00Z\",\"to\":\"" C2 "\",\"type\":\"promote\","
		"\"verified\":false}";
	appctl_event *ev_init = parse_or_die(init), *ev_promote = parse_or_die(promote);
	appctl_log_state *s0 = NULL, *s1 = NULL, *s2 = NULL, *back = NULL;
	const appctl_env_state *prod;
	appctl_error *err;
	char *json = NULL;

	(void)state;
	assert_null(appctl_log_state_next(&s0, NULL, ev_init, E1));
	assert_int_equal(s0->seq, 1);
	prod = appctl_log_state_env(s0, "prod");
	assert_int_equal(prod->release, 0);
	assert_string_equal(prod->commit, C1);
	assert_null(appctl_log_state_next(&s1, s0, ev_promote, T1));
	prod = appctl_log_state_env(s1, "prod");
	assert_int_equal(prod->release, 1);
	assert_string_equal(prod->commit, C2);
	assert_string_equal(prod->previous, C1);
	assert_string_equal(prod->event, T1);
	assert_int_equal(s1->seq, 2);
	/* The same promotion again no longer continues the chain: a lost race. */
	err = appctl_log_state_next(&s2, s1, ev_promote, T1);
	assert_non_null(err);
	assert_int_equal(err->code, APPCTL_ECONFLICT);
	appctl_error_free(err);
	/* Only init may start the log, and only start it. */
	err = appctl_log_state_next(&s2, NULL, ev_promote, T1);
	assert_non_null(err);
	appctl_error_free(err);
	err = appctl_log_state_next(&s2, s1, ev_init, T1);
	assert_non_null(err);
	appctl_error_free(err);
	/* Round trip through state.json. */
	assert_null(appctl_log_state_format(&json, s1));
	assert_null(appctl_log_state_parse(&back, "s", json, strlen(json)));
	assert_string_equal(appctl_log_state_env(back, "prod")->previous, C1);
	assert_int_equal(back->seq, 2);
	free(json);
	appctl_log_state_free(back);
	appctl_log_state_free(s1);
	appctl_log_state_free(s0);
	appctl_event_free(ev_promote);
	appctl_event_free(ev_init);
}

/* ---- verdicts ---- */

static const char policy_json[] =
	"{\"appctl\":1,\"environments\":[\"dev\",\"prod\"],"
	"\"groups\":{\"security\":[\"sam@example.com\"],"
	"\"rm\":[\"rita@example.com\",\"ann@example.com\",\"bo@example.com\"]},"
	"\"approvals\":{\"required\":{\"dashboard\":1,\"admin_panel\":2,\"client_portal\":2},"
	"\"rules\":[{\"when\":\"integration\",\"group\":\"security\",\"count\":1}],"
	"\"approvers\":[\"group:rm\",\"group:security\"]}}";

static appctl_snapshot *snapshot(const char *cls)
{
	char app[256];
	appctl_file policy = { "appctl.json", policy_json, sizeof(policy_json) - 1, "" };
	appctl_file signers = { "allowed_signers", "", 0, "" };
	appctl_file files[1];
	const char *dirs[1] = { "shop" };
	appctl_snapshot *snap = NULL;

	snprintf(app, sizeof(app), "{\"name\":\"shop\",\"class\":\"%s\"}", cls);
	files[0].path = "apps/shop/app.json";
	files[0].data = app;
	files[0].len = strlen(app);
	files[0].id[0] = '\0';
	assert_null(appctl_snapshot_parse(&snap, &policy, &signers, files, dirs, 1));
	return snap;
}

typedef struct approval_spec {
	const char *principal;
	const char *env;
	const char *commit;
	const char *base;
	int verified;
	int revoked;
	appctl_approval_status want;
} approval_spec;

typedef struct verdict_case {
	const char *name;
	const char *app_class;
	const char *change_kind;      /* one change in app "shop" */
	approval_spec approvals[6];
	int allowed;
	size_t missing;
	const char *missing_text;     /* substring of the first missing line */
	int rollback;                 /* judged as a rollback (appctl_rollback_required) */
} verdict_case;

#define OK_APPROVAL(p) { p, "prod", C2, C1, 1, 0, APPCTL_APPROVAL_COUNTED }

static const verdict_case verdict_cases[] = {
	{ "dashboard needs one", "dashboard", "role.member_added",
	  { OK_APPROVAL("rita@example.com") }, 1, 0, NULL, 0 },
	{ "admin panel needs two", "admin_panel", "role.member_added",
	  { OK_APPROVAL("rita@example.com") }, 0, 1,
	  "needs 1 more approver (admin_panel app shop)", 0 },
	{ "integration rule needs security", "admin_panel", "integration.scope_added",
	  { OK_APPROVAL("rita@example.com"), OK_APPROVAL("ann@example.com") }, 0, 1,
	  "needs 1 more approver from group security (integration change in shop)", 0 },
	{ "integration rule met", "admin_panel", "integration.scope_added",
	  { OK_APPROVAL("rita@example.com"), OK_APPROVAL("sam@example.com") }, 1, 0, NULL, 0 },
	{ "every disqualification", "dashboard", "role.member_added",
	  { { "rita@example.com", "staging", C2, C1, 1, 0, APPCTL_APPROVAL_WRONG_ENV },
	    { "rita@example.com", "prod", C3, C1, 1, 0, APPCTL_APPROVAL_WRONG_COMMIT },
	    { "rita@example.com", "prod", C2, C3, 1, 0, APPCTL_APPROVAL_STALE },
	    { "rita@example.com", "prod", C2, C1, 1, 1, APPCTL_APPROVAL_REVOKED },
	    { "rita@example.com", "prod", C2, C1, 0, 0, APPCTL_APPROVAL_UNVERIFIED },
	    { "eve@example.com", "prod", C2, C1, 1, 0, APPCTL_APPROVAL_NOT_APPROVER } },
	  0, 1, "needs 1 more approver", 0 },
	{ "self approval and duplicates", "admin_panel", "role.member_added",
	  { { "bo@example.com", "prod", C2, C1, 1, 0, APPCTL_APPROVAL_SELF },
	    OK_APPROVAL("ann@example.com"),
	    { "ann@example.com", "prod", C2, C1, 1, 0, APPCTL_APPROVAL_DUPLICATE } },
	  0, 1, "needs 1 more approver", 0 },
	/* A rollback: rollback.required (0 here) replaces only the class count. */
	{ "rollback that narrows access", "admin_panel", "access.revoked",
	  { { NULL, NULL, NULL, NULL, 0, 0, 0 } }, 1, 0, NULL, 1 },
	{ "rollback that narrows a connection: the rule still applies",
	  "admin_panel", "integration.scope_removed",
	  { { NULL, NULL, NULL, NULL, 0, 0, 0 } }, 0, 1,
	  "needs 1 more approver from group security", 1 },
	{ "rollback that re-grants access: the normal count", "admin_panel",
	  "access.granted", { OK_APPROVAL("rita@example.com") }, 0, 1,
	  "needs 1 more approver (admin_panel app shop)", 1 },
	{ "rollback that re-trusts a key: the normal count", "dashboard",
	  "signers.changed", { { NULL, NULL, NULL, NULL, 0, 0, 0 } }, 0, 1,
	  "needs 2 more approvers (a change to the policy reaches every app)", 1 },
};

static void run_verdict(const verdict_case *c)
{
	appctl_snapshot *snap = snapshot(c->app_class);
	appctl_approval approvals[6];
	appctl_event events[6];
	appctl_changes changes;
	appctl_change change;
	appctl_verdict v = APPCTL_VERDICT_INIT;
	appctl_promotion req;
	const char *authors[1] = { "bo@example.com" };
	size_t n = 0, i;

	memset(&change, 0, sizeof(change));
	change.kind = c->change_kind;
	/* Policy-level kinds belong to no app. */
	change.app = strchr(c->change_kind, '.') &&
		(!strncmp(c->change_kind, "policy.", 7) ||
		 !strncmp(c->change_kind, "signers.", 8)) ? NULL : "shop";
	changes.arena = NULL;
	changes.items = &change;
	changes.count = changes.cap = 1;
	for (i = 0; i < 6 && c->approvals[i].principal; i++, n++) {
		memset(&events[i], 0, sizeof(events[i]));
		memset(&approvals[i], 0, sizeof(approvals[i]));
		events[i].type = APPCTL_EV_APPROVE;
		events[i].env = c->approvals[i].env;
		events[i].commit = c->approvals[i].commit;
		events[i].base = c->approvals[i].base;
		events[i].principal = c->approvals[i].principal;
		approvals[i].event = &events[i];
		approvals[i].principal = c->approvals[i].principal;
		approvals[i].verified = c->approvals[i].verified;
		approvals[i].revoked = c->approvals[i].revoked;
	}
	memset(&req, 0, sizeof(req));
	req.policy = snap->policy;
	req.env = "prod";
	req.commit = C2;
	req.base = C1;
	req.changes = &changes;
	req.target = snap;
	req.current = snap;
	req.authors = authors;
	req.author_count = 1;
	req.approvals = approvals;
	req.approval_count = n;
	req.required_override = c->rollback
		? appctl_rollback_required(snap->policy, &changes) : -1;
	assert_null(appctl_policy_evaluate(&v, &req));
	for (i = 0; i < n; i++)
		if (approvals[i].status != c->approvals[i].want)
			fail_msg("%s: approval %zu is '%s', expected '%s'", c->name, i,
				appctl_approval_status_text(approvals[i].status),
				appctl_approval_status_text(c->approvals[i].want));
	if (v.allowed != c->allowed || v.missing_count != c->missing)
		fail_msg("%s: allowed %d with %zu missing", c->name, v.allowed,
			v.missing_count);
	if (c->missing_text && !strstr(v.missing[0], c->missing_text))
		fail_msg("%s: '%s' lacks '%s'", c->name, v.missing[0], c->missing_text);
	appctl_verdict_dispose(&v);
	appctl_snapshot_free(snap);
}

static void test_verdicts(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(verdict_cases) / sizeof(verdict_cases[0]); i++)
		run_verdict(&verdict_cases[i]);
}

static void test_rollback_override_and_widening(void **state)
{
	appctl_change grant = { 0 }, narrow = { 0 };
	appctl_changes changes = { NULL, &narrow, 1, 1 };

	(void)state;
	narrow.kind = "access.revoked";
	assert_false(appctl_changes_widen(&changes));
	grant.kind = "field.exposed";
	changes.items = &grant;
	assert_true(appctl_changes_widen(&changes));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_roundtrip),
		cmocka_unit_test(test_bad_events),
		cmocka_unit_test(test_state_chain),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_rollback_override_and_widening),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
