/* test_rules.c: the release rules as tables: diff kinds, revocation, rollback, time, freeze windows, and every claim a move event makes checked against the facts (pure core). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/rules.h"

#define C0 "0000000000000000000000000000000000000001"
#define C1 "1111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222"
#define C3 "3333333333333333333333333333333333333333"

/* 2026-11-29T12:00:00Z */
#define NOW 1795953600

/* ---- diff kinds ---- */

/*
 * Every kind of SPEC §2 and every addition, exactly once, and what it
 * means for approvals: default risk, widening, rules, the `when`s it
 * matches.
 */
static const struct {
	const char *kind;
	int widens;
	int changes_rules;
	int when;
	int also_when;
	int risk;                      /* -1: not checked (SPEC §2's own) */
} kind_expectations[] = {
	{ "access.granted", 1, 0, APPCTL_WHEN_ACCESS, -1, -1 },
	{ "access.revoked", 0, 0, -1, -1, -1 },
	{ "field.exposed", 1, 0, APPCTL_WHEN_ACCESS, -1, -1 },
	{ "field.hidden", 0, 0, -1, -1, -1 },
	{ "role.added", 0, 0, -1, -1, -1 },
	{ "role.removed", 0, 0, -1, -1, -1 },
	{ "role.member_added", 0, 0, -1, -1, -1 },
	{ "role.member_removed", 0, 0, -1, -1, -1 },
	{ "role.grant_added", 0, 0, -1, -1, -1 },
	{ "role.grant_removed", 0, 0, -1, -1, -1 },
	{ "integration.added", 1, 0, APPCTL_WHEN_INTEGRATION, -1, -1 },
	{ "integration.removed", 0, 0, APPCTL_WHEN_INTEGRATION, -1, -1 },
	{ "integration.scope_added", 1, 0, APPCTL_WHEN_INTEGRATION, -1, -1 },
	{ "integration.scope_removed", 0, 0, APPCTL_WHEN_INTEGRATION, -1, -1 },
	{ "integration.credential_changed", 0, 0, APPCTL_WHEN_INTEGRATION, -1, -1 },
	{ "integration.owner_changed", 0, 0, APPCTL_WHEN_INTEGRATION, -1, -1 },
	{ "data.tenant_key_removed", 0, 0, APPCTL_WHEN_DATA, -1, -1 },
	{ "data.retention_changed", 0, 0, APPCTL_WHEN_DATA, -1, -1 },
	{ "data.sensitivity_changed", 0, 0, APPCTL_WHEN_DATA, -1, -1 },
	{ "app.added", 0, 0, -1, -1, -1 },
	{ "app.removed", 0, 0, -1, -1, -1 },
	{ "app.class_changed", 0, 0, -1, -1, -1 },
	{ "app.owner_changed", 0, 0, -1, -1, -1 },
	{ "group.member_added", 0, 0, -1, -1, -1 },
	{ "group.member_removed", 0, 0, -1, -1, -1 },
	{ "policy.changed", 0, 1, APPCTL_WHEN_POLICY, -1, -1 },
	{ "signers.changed", 0, 1, APPCTL_WHEN_POLICY, -1, -1 },
	{ "other.changed", 0, 0, -1, -1, -1 },
	/* Additions (issue 13): SPEC §2's kinds keep their meaning. */
	{ "access.expiry_extended", 1, 0, APPCTL_WHEN_ACCESS, -1, APPCTL_RISK_MEDIUM },
	{ "access.expiry_shortened", 0, 0, -1, -1, APPCTL_RISK_LOW },
	{ "page.roles_added", 1, 0, APPCTL_WHEN_ACCESS, -1, APPCTL_RISK_MEDIUM },
	{ "page.roles_removed", 0, 0, -1, -1, APPCTL_RISK_LOW },
	{ "integration.failure_open", 0, 0, APPCTL_WHEN_INTEGRATION, -1, APPCTL_RISK_MEDIUM },
	{ "ai.read_added", 1, 0, APPCTL_WHEN_DATA, APPCTL_WHEN_ACCESS, APPCTL_RISK_MEDIUM },
	{ "ai.read_removed", 0, 0, -1, -1, APPCTL_RISK_LOW },
	{ "data.storage_changed", 0, 0, APPCTL_WHEN_DATA, -1, APPCTL_RISK_MEDIUM },
	{ "integration.reads_added", 1, 0, APPCTL_WHEN_INTEGRATION, -1, APPCTL_RISK_MEDIUM },
	{ "integration.reads_removed", 0, 0, APPCTL_WHEN_INTEGRATION, -1, APPCTL_RISK_LOW },
	{ "integration.writes_added", 1, 0, APPCTL_WHEN_INTEGRATION, -1, APPCTL_RISK_MEDIUM },
	{ "integration.writes_removed", 0, 0, APPCTL_WHEN_INTEGRATION, -1, APPCTL_RISK_LOW },
};

#define KIND_COUNT (sizeof(kind_expectations) / sizeof(kind_expectations[0]))

static void test_kind_table(void **state)
{
	const appctl_kind_rule *rows;
	size_t n, i;

	(void)state;
	rows = appctl_kind_rules(&n);
	assert_int_equal(n, KIND_COUNT);
	/* Sorted, so that a look-up is a binary search. */
	for (i = 1; i < n; i++)
		if (strcmp(rows[i - 1].kind, rows[i].kind) >= 0)
			fail_msg("'%s' before '%s'", rows[i - 1].kind, rows[i].kind);
	for (i = 0; i < KIND_COUNT; i++) {
		const appctl_kind_rule *r =
			appctl_kind_rule_find(kind_expectations[i].kind);

		if (!r)
			fail_msg("no row for %s", kind_expectations[i].kind);
		if (r->widens != kind_expectations[i].widens ||
		    r->changes_rules != kind_expectations[i].changes_rules ||
		    r->when != kind_expectations[i].when ||
		    r->also_when != kind_expectations[i].also_when ||
		    (kind_expectations[i].risk >= 0 &&
			(int)r->default_risk != kind_expectations[i].risk))
			fail_msg("%s: widens %d rules %d when %d also %d risk %d",
				r->kind, r->widens, r->changes_rules, r->when,
				r->also_when, (int)r->default_risk);
	}
	/*
	 * Every kind is documented on the diff page, and in the field
	 * reference (docs/definitions.md), which names the field each kind
	 * comes from: every kind is about some field, so none is exempt.
	 */
	{
		static const char *const pages[] = { "docs/commands/diff.md",
			"docs/definitions.md" };
		size_t p;

		for (p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
			char path[4096];
			FILE *f;
			char *text;
			long len;

			snprintf(path, sizeof(path), "%s/%s", APPCTL_SOURCE_DIR,
				pages[p]);
			f = fopen(path, "rb");
			assert_non_null(f);
			assert_int_equal(fseek(f, 0, SEEK_END), 0);
			len = ftell(f);
			assert_true(len > 0);
			rewind(f);
			text = calloc(1, (size_t)len + 1);
			assert_non_null(text);
			assert_int_equal(fread(text, 1, (size_t)len, f),
				(size_t)len);
			fclose(f);
			for (i = 0; i < n; i++)
				if (!strstr(text, rows[i].kind))
					fail_msg("%s lacks %s", pages[p],
						rows[i].kind);
			free(text);
		}
	}
	/* An AI reading more is both a data flow and an access widening. */
	assert_true(appctl_kind_matches_rule("ai.read_added", APPCTL_WHEN_DATA));
	assert_true(appctl_kind_matches_rule("ai.read_added", APPCTL_WHEN_ACCESS));
	assert_false(appctl_kind_matches_rule("ai.read_added",
		APPCTL_WHEN_INTEGRATION));
	assert_true(appctl_kind_matches_rule("access.expiry_extended",
		APPCTL_WHEN_ACCESS));
	assert_true(appctl_kind_matches_rule("integration.failure_open",
		APPCTL_WHEN_INTEGRATION));
	assert_false(appctl_kind_matches_rule("access.expiry_shortened",
		APPCTL_WHEN_ACCESS));
	assert_null(appctl_kind_rule_find("access.granted2"));
	assert_null(appctl_kind_rule_find(NULL));
	assert_true(appctl_kind_matches_rule("integration.owner_changed",
		APPCTL_WHEN_INTEGRATION));
	assert_false(appctl_kind_matches_rule("access.revoked", APPCTL_WHEN_ACCESS));
}

/* ---- the rollback rule ---- */

static const struct {
	const char *kinds[3];
	int64_t want;                  /* with rollback.required = 1 */
} rollback_cases[] = {
	{ { "access.revoked", "role.member_removed", NULL }, 1 },
	{ { "integration.scope_removed", NULL, NULL }, 1 },
	{ { "access.revoked", "access.granted", NULL }, -1 },
	{ { "field.exposed", NULL, NULL }, -1 },
	{ { "integration.added", NULL, NULL }, -1 },
	/* Re-trusting a removed key, or loosening the policy, is never harmless. */
	{ { "signers.changed", NULL, NULL }, -1 },
	{ { "access.revoked", "policy.changed", NULL }, -1 },
	/* A rollback that keeps a contractor longer re-grants access. */
	{ { "access.expiry_extended", NULL, NULL }, -1 },
	{ { "access.expiry_shortened", "page.roles_removed", NULL }, 1 },
	{ { "ai.read_added", NULL, NULL }, -1 },
	{ { NULL, NULL, NULL }, 1 },
};

static void test_rollback_rule(void **state)
{
	appctl_policy policy;
	size_t i, k;

	(void)state;
	memset(&policy, 0, sizeof(policy));
	policy.rollback_required = 1;
	for (i = 0; i < sizeof(rollback_cases) / sizeof(rollback_cases[0]); i++) {
		appctl_change items[3];
		appctl_changes changes;

		memset(items, 0, sizeof(items));
		memset(&changes, 0, sizeof(changes));
		for (k = 0; k < 3 && rollback_cases[i].kinds[k]; k++)
			items[k].kind = rollback_cases[i].kinds[k];
		changes.items = items;
		changes.count = k;
		if (appctl_rollback_required(&policy, &changes) != rollback_cases[i].want)
			fail_msg("rollback case %zu", i);
	}
}

/* ---- revocation ---- */

static const struct {
	const char *name;
	appctl_revocation revoke;
	const char *env, *commit, *principal;
	size_t approval_at, move_at;
	int withdraws;
} revocation_cases[] = {
	{ "same person, env, commit, in between",
	  { "prod", C2, "rita@example.com", 5 }, "prod", C2, "rita@example.com", 3, 9, 1 },
	{ "e-mail case is no identity",
	  { "prod", C2, "Rita@Example.COM", 5 }, "prod", C2, "rita@example.com", 3, 9, 1 },
	{ "revoke older than the approval",
	  { "prod", C2, "rita@example.com", 2 }, "prod", C2, "rita@example.com", 3, 9, 0 },
	{ "revoke after the move",
	  { "prod", C2, "rita@example.com", 10 }, "prod", C2, "rita@example.com", 3, 9, 0 },
	{ "someone else's revoke",
	  { "prod", C2, "ann@example.com", 5 }, "prod", C2, "rita@example.com", 3, 9, 0 },
	{ "an unproven revoke",
	  { "prod", C2, NULL, 5 }, "prod", C2, "rita@example.com", 3, 9, 0 },
	{ "another commit",
	  { "prod", C3, "rita@example.com", 5 }, "prod", C2, "rita@example.com", 3, 9, 0 },
	{ "another environment",
	  { "staging", C2, "rita@example.com", 5 }, "prod", C2, "rita@example.com", 3, 9, 0 },
	{ "an unproven approval",
	  { "prod", C2, "rita@example.com", 5 }, "prod", C2, NULL, 3, 9, 0 },
};

static void test_revocation_rule(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(revocation_cases) / sizeof(revocation_cases[0]); i++)
		if (appctl_revocation_withdraws(&revocation_cases[i].revoke,
				revocation_cases[i].env, revocation_cases[i].commit,
				revocation_cases[i].principal,
				revocation_cases[i].approval_at,
				revocation_cases[i].move_at) != revocation_cases[i].withdraws)
			fail_msg("%s", revocation_cases[i].name);
}

/* ---- time ---- */

static void test_time(void **state)
{
	static const struct {
		const char *text;
		int ok;
		int64_t t;
		int date_only;
	} cases[] = {
		{ "2026-11-29", 1, NOW - 12 * 3600, 1 },
		{ "2026-11-29T12:00:00Z", 1, NOW, 0 },
		{ "2026-11-29T12:00Z", 1, NOW, 0 },
		{ "2026-11-29T24:00:00Z", 0, 0, 0 },
		{ "2026-02-30", 0, 0, 0 },
		{ "2026-11-29T12:00:00+01:00", 0, 0, 0 },
		{ "", 0, 0, 0 },
	};
	char buf[32];
	int64_t t;
	size_t i;
	int date_only;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ok = appctl_time_parse(&t, &date_only, cases[i].text) == 0;

		if (ok != cases[i].ok || (ok && (t != cases[i].t ||
				date_only != cases[i].date_only)))
			fail_msg("'%s'", cases[i].text);
	}
	appctl_time_format(buf, sizeof(buf), NOW);
	assert_string_equal(buf, "2026-11-29T12:00:00Z");
	/* Five minutes of skew, not one second more. */
	assert_true(appctl_event_time_acceptable("2026-11-29T12:05:00Z", NOW));
	assert_false(appctl_event_time_acceptable("2026-11-29T12:05:01Z", NOW));
	assert_true(appctl_event_time_acceptable("2020-01-01T00:00:00Z", NOW));
	assert_false(appctl_event_time_acceptable("not a time", NOW));
}

static void test_freeze(void **state)
{
	const char *prod[1] = { "prod" };
	appctl_freeze windows[2] = {
		{ prod, 1, "2026-12-20", "2027-01-02", "holidays" },
		{ prod, 1, "2026-11-29T11:00:00Z", "2026-11-29T11:30:00Z", NULL },
	};
	appctl_policy policy;
	const appctl_freeze *f = NULL;
	size_t index = 9;
	appctl_error *err;
	char *text;

	(void)state;
	memset(&policy, 0, sizeof(policy));
	policy.file = "appctl.json";
	policy.freezes = windows;
	policy.freeze_count = 2;
	assert_null(appctl_freeze_find(&f, &index, &policy, "prod", NOW));
	assert_null(f);
	/* A date as the end includes that whole day. */
	assert_null(appctl_freeze_find(&f, &index, &policy, "prod",
		NOW + 34 * 86400 + 11 * 3600));
	assert_non_null(f);
	assert_int_equal(index, 0);
	assert_null(appctl_freeze_find(&f, &index, &policy, "staging",
		NOW + 30 * 86400));
	assert_null(f);
	assert_null(appctl_freeze_find(&f, &index, &policy, "prod", NOW - 1800));
	assert_int_equal(index, 1);
	text = appctl_freeze_describe(&windows[0], 0);
	assert_string_equal(text, "freeze window 0 (2026-12-20 .. 2027-01-02): "
		"holidays");
	free(text);
	windows[1].to = "soon";
	err = appctl_freeze_find(&f, &index, &policy, "prod", NOW);
	assert_non_null(err);
	assert_int_equal(err->code, APPCTL_EINPUT);
	assert_non_null(strstr(err->message, "$.freeze[1].to"));
	appctl_error_free(err);
}

/* ---- the claims of a move, against the facts ---- */

typedef struct claim_case {
	const char *name;
	appctl_event_type type;
	const char *time;
	const char *source;
	const char *from;
	const char *to;
	int64_t release;
	int64_t rollback_to;
	/* the facts */
	const char *env_commit;
	int64_t env_release;
	const char *expected_source;
	const char *source_commit;
	int on_source;
	const char *release_commit;
	const char *want;              /* substring of the problem; NULL: holds */
} claim_case;

#define NOW_TEXT "2026-11-29T12:00:00Z"

static const claim_case claim_cases[] = {
	{ "an honest promote", APPCTL_EV_PROMOTE, NOW_TEXT, "staging", C1, C2, 4, -1,
	  C1, 3, "staging", C2, 1, NULL, NULL },
	{ "an honest promote out of the first env (not checked)",
	  APPCTL_EV_PROMOTE, NOW_TEXT, "dev", C1, C2, 4, -1,
	  C1, 3, "dev", NULL, -1, NULL, NULL },
	{ "an honest rollback", APPCTL_EV_ROLLBACK, NOW_TEXT, NULL, C1, C0, 4, 1,
	  C1, 3, "staging", NULL, -1, C0, NULL },
	{ "dated years ahead", APPCTL_EV_PROMOTE, "2031-01-01T00:00:00Z", "staging",
	  C1, C2, 4, -1, C1, 3, "staging", C2, 1, NULL, "in the future" },
	{ "dated 5 min and 1 s ahead", APPCTL_EV_PROMOTE, "2026-11-29T12:05:01Z",
	  "staging", C1, C2, 4, -1, C1, 3, "staging", C2, 1, NULL, "in the future" },
	{ "from a commit the env is not at", APPCTL_EV_PROMOTE, NOW_TEXT, "staging",
	  C3, C2, 4, -1, C1, 3, "staging", C2, 1, NULL, "but the log has it at" },
	{ "a release out of turn", APPCTL_EV_PROMOTE, NOW_TEXT, "staging", C1, C2, 7, -1,
	  C1, 3, "staging", C2, 1, NULL, "next release is 4" },
	{ "a source that is not the env before", APPCTL_EV_PROMOTE, NOW_TEXT, "dev",
	  C1, C2, 4, -1, C1, 3, "staging", C2, 1, NULL, "is not the environment" },
	{ "a commit not on its source", APPCTL_EV_PROMOTE, NOW_TEXT, "staging",
	  C1, C3, 4, -1, C1, 3, "staging", C2, 0, NULL, "not on its source" },
	{ "a promote into the first env", APPCTL_EV_PROMOTE, NOW_TEXT, "x",
	  C1, C3, 4, -1, C1, 3, NULL, NULL, -1, NULL, "first environment" },
	{ "a rollback to a commit never released", APPCTL_EV_ROLLBACK, NOW_TEXT, NULL,
	  C1, C3, 4, 0, C1, 3, "staging", NULL, -1, C0, "not the commit of release 0" },
	{ "a rollback to a release the log lacks", APPCTL_EV_ROLLBACK, NOW_TEXT, NULL,
	  C1, C3, 4, 1, C1, 3, "staging", NULL, -1, NULL, "records no release 1" },
	{ "a rollback forward", APPCTL_EV_ROLLBACK, NOW_TEXT, NULL, C1, C3, 4, 3,
	  C1, 3, "staging", NULL, -1, C1, "only an earlier release" },
	{ "a rollback to a negative release", APPCTL_EV_ROLLBACK, NOW_TEXT, NULL,
	  C1, C3, 4, -1, C1, 3, "staging", NULL, -1, NULL, "only an earlier release" },
};

static void test_move_claims(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(claim_cases) / sizeof(claim_cases[0]); i++) {
		const claim_case *c = &claim_cases[i];
		appctl_move_facts facts;
		appctl_event ev;
		char *problem = NULL;

		memset(&ev, 0, sizeof(ev));
		ev.type = c->type;
		ev.time = c->time;
		ev.env = "prod";
		ev.source = c->source;
		ev.from = c->from;
		ev.to = c->to;
		ev.release = c->release;
		ev.rollback_to = c->rollback_to;
		memset(&facts, 0, sizeof(facts));
		facts.env_commit = c->env_commit;
		facts.env_release = c->env_release;
		facts.expected_source = c->expected_source;
		facts.source_commit = c->source_commit;
		facts.on_source = c->on_source;
		facts.release_commit = c->release_commit;
		facts.now = NOW;
		assert_null(appctl_move_claims_check(&problem, &ev, &facts));
		if (!c->want && problem)
			fail_msg("%s: refused: %s", c->name, problem);
		if (c->want && (!problem || !strstr(problem, c->want)))
			fail_msg("%s: '%s' lacks '%s'", c->name,
				problem ? problem : "(holds)", c->want);
		free(problem);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_table),
		cmocka_unit_test(test_rollback_rule),
		cmocka_unit_test(test_revocation_rule),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_freeze),
		cmocka_unit_test(test_move_claims),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
