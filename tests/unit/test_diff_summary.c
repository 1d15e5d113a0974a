/* test_diff_summary.c: grouping a semantic diff by cause (pure core), as tables of changes and the causes they must give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/diff_summary.h"

#define MAX_CHANGES 8

/* The fields a case sets; the rest stay NULL. */
typedef struct change_row {
	const char *kind;
	appctl_risk risk;
	const char *app;
	const char *principal;
	const char *group;
	const char *role;
	const char *member;
	const char *resource;
	const char *action;
	const char *via;
} change_row;

typedef struct summary_case {
	const char *name;
	change_row rows[MAX_CHANGES];
	size_t cause_count;
	/* The first (highest risk, biggest) cause. */
	const char *first_kind;
	size_t first_changes;
	size_t first_apps;
	size_t first_granted;
	size_t first_revoked;
	appctl_risk first_risk;
	/* cause_of for each row, as the index of the row naming the cause. */
	int cause_row[MAX_CHANGES];
} summary_case;

#define H APPCTL_RISK_HIGH
#define M APPCTL_RISK_MEDIUM
#define L APPCTL_RISK_LOW

static const summary_case cases[] = {
	{ "one group change reaching three apps is one cause",
	  { { "group.member_added", M, NULL, "new@x", "team7", NULL, NULL, NULL, NULL, NULL },
	    { "access.granted", H, "a1", "new@x", NULL, NULL, NULL, "t", "update", "Agent (group:team7)" },
	    { "access.granted", M, "a1", "new@x", NULL, NULL, NULL, "t", "read", "Agent (group:team7)" },
	    { "access.granted", M, "a2", "new@x", NULL, NULL, NULL, "t", "read", "Lead, Viewer (group:team7)" },
	    { "field.exposed", H, "a3", "new@x", NULL, NULL, NULL, "t", NULL, "Viewer (group:team7)" } },
	  1, "group.member_added", 5, 3, 4, 0, H, { 0, 0, 0, 0, 0 } },
	{ "a group named only as a prefix is not the cause",
	  { { "group.member_added", M, NULL, "new@x", "team", NULL, NULL, NULL, NULL, NULL },
	    { "access.granted", M, "a1", "new@x", NULL, NULL, NULL, "t", "read", "Agent (group:team7)" } },
	  2, "access.granted", 1, 1, 1, 0, M, { 0, 1 } },
	{ "a removal explains losses, not gains",
	  { { "group.member_removed", L, NULL, "old@x", "g", NULL, NULL, NULL, NULL, NULL },
	    { "access.revoked", L, "a1", "old@x", NULL, NULL, NULL, "t", "read", "R (group:g)" },
	    { "access.granted", M, "a1", "old@x", NULL, NULL, NULL, "t", "admin", "R (group:g)" } },
	  2, "access.granted", 1, 1, 1, 0, M, { 0, 0, 2 } },
	{ "a role member added in two apps is one cause with its facts",
	  { { "access.granted", H, "a1", "eve@x", NULL, NULL, NULL, "c", "update", "Lead" },
	    { "role.member_added", M, "a1", "eve@x", NULL, "Lead", "eve@x", NULL, NULL, NULL },
	    { "access.granted", H, "a2", "eve@x", NULL, NULL, NULL, "c", "update", "Lead" },
	    { "role.member_added", M, "a2", "eve@x", NULL, "Lead", "eve@x", NULL, NULL, NULL },
	    { "access.granted", M, "a2", "bob@x", NULL, NULL, NULL, "c", "read", "Viewer" } },
	  2, "role.member_added", 4, 2, 2, 0, H, { 1, 1, 1, 1, 4 } },
	{ "a grant added to a role explains every holder's new access",
	  { { "role.grant_added", M, "p", NULL, NULL, "Agent", NULL, "cust", NULL, NULL },
	    { "access.granted", H, "p", "dan@x", NULL, NULL, NULL, "cust", "export", "Agent" },
	    { "access.granted", H, "p", "dora@x", NULL, NULL, NULL, "cust", "export", "Agent (group:s), Lead" },
	    { "access.granted", H, "q", "dan@x", NULL, NULL, NULL, "cust", "export", "Agent" } },
	  2, "role.grant_added", 3, 1, 2, 0, H, { 0, 0, 0, 3 } },
	{ "a role whose name is a prefix of the via role is not the cause",
	  { { "role.added", M, "p", NULL, NULL, "Age", NULL, NULL, NULL, NULL },
	    { "access.granted", M, "p", "dan@x", NULL, NULL, NULL, "c", "read", "Agent" } },
	  2, "access.granted", 1, 1, 1, 0, M, { 0, 1 } },
	{ "an added app explains the access it brings",
	  { { "app.added", M, "wiki", NULL, NULL, NULL, NULL, NULL, NULL, NULL },
	    { "access.granted", M, "wiki", "dan@x", NULL, NULL, NULL, "pages", "read", "Reader (group:s)" },
	    { "integration.added", H, "wiki", NULL, NULL, NULL, NULL, NULL, NULL, NULL } },
	  2, "integration.added", 1, 1, 0, 0, H, { 0, 0, 2 } },
	{ "no changes, no causes",
	  { { NULL } }, 0, NULL, 0, 0, 0, 0, L, { 0 } },
};

static size_t fill_changes(appctl_change *items, const change_row *rows)
{
	size_t n;

	for (n = 0; n < MAX_CHANGES && rows[n].kind; n++) {
		memset(&items[n], 0, sizeof(items[n]));
		items[n].kind = rows[n].kind;
		items[n].risk = rows[n].risk;
		items[n].app = rows[n].app;
		items[n].principal = rows[n].principal;
		items[n].group = rows[n].group;
		items[n].role = rows[n].role;
		items[n].member = rows[n].member;
		items[n].resource = rows[n].resource;
		items[n].action = rows[n].action;
		items[n].via = rows[n].via;
	}
	return n;
}

static void test_cause_table(void **state)
{
	size_t t, i;

	(void)state;
	for (t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		const summary_case *tc = &cases[t];
		appctl_change items[MAX_CHANGES];
		appctl_changes changes;
		appctl_diff_summary *s = NULL;
		appctl_error *err;

		memset(&changes, 0, sizeof(changes));
		changes.items = items;
		changes.count = fill_changes(items, tc->rows);
		err = appctl_diff_summarize(&s, &changes);
		if (err)
			fail_msg("%s: %s", tc->name, err->message);
		assert_non_null(s);
		if (s->cause_count != tc->cause_count)
			fail_msg("%s: %zu causes, want %zu", tc->name,
				s->cause_count, tc->cause_count);
		if (tc->cause_count) {
			const appctl_diff_cause *c = &s->causes[0];

			if (strcmp(c->cause->kind, tc->first_kind) != 0 ||
			    c->change_count != tc->first_changes ||
			    c->app_count != tc->first_apps ||
			    c->granted != tc->first_granted ||
			    c->revoked != tc->first_revoked || c->risk != tc->first_risk)
				fail_msg("%s: first cause %s, %zu changes, %zu apps, "
					"%zu granted, %zu revoked, risk %d", tc->name,
					c->cause->kind, c->change_count, c->app_count,
					c->granted, c->revoked, (int)c->risk);
		}
		for (i = 0; i < changes.count; i++) {
			const appctl_change *want = &items[tc->cause_row[i]];
			const appctl_diff_cause *got = &s->causes[s->cause_of[i]];

			/* The representative may be the same change in another app. */
			if (strcmp(got->cause->kind, want->kind) != 0)
				fail_msg("%s: change %zu attributed to %s, want %s",
					tc->name, i, got->cause->kind, want->kind);
		}
		appctl_diff_summary_free(s);
	}
}

/* Apps and principals are counted, the busiest first. */
static void test_tallies(void **state)
{
	static const change_row rows[] = {
		{ "access.granted", M, "b", "p1", NULL, NULL, NULL, "r", "read", "V" },
		{ "access.granted", M, "b", "p2", NULL, NULL, NULL, "r", "read", "V" },
		{ "access.granted", H, "a", "p1", NULL, NULL, NULL, "r", "admin", "V" },
		{ "policy.changed", H, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
		{ NULL },
	};
	appctl_change items[MAX_CHANGES];
	appctl_changes changes;
	appctl_diff_summary *s = NULL;

	(void)state;
	memset(&changes, 0, sizeof(changes));
	changes.items = items;
	changes.count = fill_changes(items, rows);
	assert_null(appctl_diff_summarize(&s, &changes));
	assert_int_equal(s->app_count, 2);
	assert_string_equal(s->apps[0].name, "b");
	assert_int_equal(s->apps[0].count, 2);
	assert_int_equal(s->apps[1].counts[APPCTL_RISK_HIGH], 1);
	assert_int_equal(s->principal_count, 2);
	assert_string_equal(s->principals[0].name, "p1");
	assert_int_equal(s->principals[0].count, 2);
	/* Two high causes of one change each: the key breaks the tie. */
	assert_string_equal(s->causes[0].cause->kind, "access.granted");
	assert_int_equal(s->causes[0].risk, APPCTL_RISK_HIGH);
	assert_int_equal(s->cause_count, 4);
	appctl_diff_summary_free(s);
	appctl_diff_summary_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cause_table),
		cmocka_unit_test(test_tallies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
