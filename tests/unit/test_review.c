/* test_review.c: inventory rows, who-can paths and the scaffold's role models, table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/inventory.h"
#include "appctl/lint.h"
#include "appctl/model.h"
#include "appctl/scaffold.h"

static const char policy_text[] =
	"{\"appctl\":1,\"environments\":[\"dev\",\"staging\",\"prod\"],"
	"\"groups\":{\"support\":[\"dan@example.com\",\"dora@example.com\"]},"
	"\"approvals\":{\"approvers\":[\"group:support\"]}}";
static const char app_text[] =
	"{\"name\":\"p\",\"class\":\"client_portal\","
	"\"owners\":{\"business\":\"ann@example.com\",\"technical\":\"bo@example.com\"},"
	"\"data\":{\"customers\":{\"tenant_key\":\"id\",\"fields\":{\"id\":{},"
	"\"email\":{\"sensitivity\":\"pii\"},\"ssn\":{\"sensitivity\":\"restricted\"}}},"
	"\"notes\":{\"tenant_key\":\"id\",\"fields\":{\"id\":{}}}},"
	"\"roles\":{"
	"\"Agent\":{\"members\":[\"dan@example.com\",\"group:support\","
	"{\"principal\":\"cy@x.example\",\"expires\":\"2027-06-30\"}],"
	"\"grants\":[{\"resource\":\"customers\",\"actions\":[\"read\",\"export\"],\"hidden_fields\":[\"ssn\"]}]},"
	"\"Lead\":{\"members\":[\"lee@example.com\"],"
	"\"grants\":[{\"resource\":\"customers\",\"actions\":[\"read\",\"update\"]},"
	"{\"resource\":\"notes\",\"actions\":[\"admin\"]}]},"
	"\"Gone\":{\"members\":[{\"principal\":\"old@example.com\",\"expires\":\"2020-01-01\"}],"
	"\"grants\":[{\"resource\":\"customers\",\"actions\":[\"export\"]}]}},"
	"\"integrations\":{\"crm\":{\"kind\":\"crm\",\"owner\":\"bo@example.com\",\"scopes\":[],"
	"\"credential\":{\"dev\":\"secret://a\",\"prod\":\"secret://b\"}}}}";

static appctl_snapshot *load(void)
{
	appctl_file policy = { "appctl.json", policy_text, sizeof(policy_text) - 1, "" };
	appctl_file signers = { "allowed_signers", "", 0, "" };
	appctl_file app = { "apps/p/app.json", app_text, sizeof(app_text) - 1, "" };
	const char *dirs[1] = { "p" };
	appctl_snapshot *snap = NULL;
	appctl_error *err = appctl_snapshot_parse(&snap, &policy, &signers, &app, dirs, 1);

	if (err)
		fail_msg("%s: %s", err->path ? err->path : "", err->message);
	return snap;
}

static appctl_date day(const char *s)
{
	appctl_date d;

	assert_int_equal(appctl_date_parse(&d, s), 0);
	return d;
}

static void join(char *buf, size_t len, const char *const *list, size_t n)
{
	size_t i, at = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? "," : "", list[i]);
}

static void test_inventory_rows(void **state)
{
	static const struct {
		const char *at;
		const char *want[APPCTL_INV_COUNT];
	} cases[] = {
		{ "2026-11-29", {
			"cy@x.example,dan@example.com,dora@example.com,lee@example.com",
			"lee@example.com",
			"cy@x.example,dan@example.com,dora@example.com",
			"lee@example.com",
			"cy@x.example,dan@example.com,dora@example.com,lee@example.com",
			"lee@example.com" } },
		{ "2027-07-01", {
			"dan@example.com,dora@example.com,lee@example.com",
			"lee@example.com",
			"dan@example.com,dora@example.com",
			"lee@example.com",
			"dan@example.com,dora@example.com,lee@example.com",
			"lee@example.com" } },
	};
	appctl_snapshot *snap = load();
	size_t c, k;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		appctl_arena *arena = appctl_arena_new();
		appctl_inventory_row *rows;
		size_t n;
		char got[512];

		assert_null(appctl_inventory_build(&rows, &n, arena, snap, day(cases[c].at)));
		assert_int_equal(n, 1);
		for (k = 0; k < APPCTL_INV_COUNT; k++) {
			join(got, sizeof(got), rows[0].principals[k],
				rows[0].principal_count[k]);
			if (strcmp(got, cases[c].want[k]) != 0)
				fail_msg("%s %s: got '%s'", cases[c].at,
					appctl_inventory_kind_name((appctl_inventory_kind)k), got);
		}
		appctl_arena_free(arena);
	}
	{
		appctl_arena *arena = appctl_arena_new();
		const char **missing;
		size_t n;

		assert_null(appctl_integration_missing_credentials(&missing, &n,
			arena, &snap->apps[0]->integrations[0], snap->policy));
		assert_int_equal(n, 1);
		assert_string_equal(missing[0], "staging");
		appctl_arena_free(arena);
	}
	appctl_snapshot_free(snap);
}

static void test_who_can(void **state)
{
	static const struct {
		const char *action, *resource, *field, *at;
		const char *want;
		size_t apps;
	} cases[] = {
		{ "export", "customers", NULL, "2026-11-29",
		  "cy@x.example[p/Agent until 2027-06-30] dan@example.com[p/Agent p/Agent group:support] "
		  "dora@example.com[p/Agent group:support]", 1 },
		{ "export", "customers", NULL, "2027-07-01",
		  "dan@example.com[p/Agent p/Agent group:support] dora@example.com[p/Agent group:support]", 1 },
		{ "read", "customers", "ssn", "2026-11-29", "lee@example.com[p/Lead]", 1 },
		{ "read", "customers", "email", "2026-11-29",
		  "cy@x.example[p/Agent until 2027-06-30] dan@example.com[p/Agent p/Agent group:support] "
		  "dora@example.com[p/Agent group:support] lee@example.com[p/Lead]", 1 },
		{ "export", "customers", "ssn", "2026-11-29", "", 1 },
		{ "admin", "notes", NULL, "2026-11-29", "lee@example.com[p/Lead]", 1 },
		{ "read", "orders", NULL, "2026-11-29", "", 0 },
		{ "read", "customers", "shoe", "2026-11-29", "", 0 },
	};
	appctl_snapshot *snap = load();
	size_t c, i, k;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		appctl_arena *arena = appctl_arena_new();
		appctl_who_can_query q = { appctl_action_parse(cases[c].action),
			cases[c].resource, cases[c].field, NULL };
		appctl_who_can_entry *e;
		size_t n, apps, at = 0;
		char got[1024];

		assert_null(appctl_who_can(&e, &n, &apps, arena, snap, &q, day(cases[c].at)));
		got[0] = '\0';
		for (i = 0; i < n; i++) {
			at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%s[",
				i ? " " : "", e[i].principal);
			for (k = 0; k < e[i].path_count; k++) {
				const appctl_who_can_path *p = &e[i].paths[k];

				at += (size_t)snprintf(got + at, sizeof(got) - at,
					"%s%s/%s%s%s%s%s", k ? " " : "", p->app, p->role,
					p->group ? " group:" : "", p->group ? p->group : "",
					p->expires ? " until " : "", p->expires ? p->expires : "");
			}
			at += (size_t)snprintf(got + at, sizeof(got) - at, "]");
		}
		if (strcmp(got, cases[c].want) != 0)
			fail_msg("case %zu: got '%s'", c, got);
		assert_int_equal(apps, cases[c].apps);
		appctl_arena_free(arena);
	}
	appctl_snapshot_free(snap);
}

static void test_access_review_rows(void **state)
{
	static const struct {
		const char *at;
		const char *want;
	} cases[] = {
		{ "2026-11-29",
		  "cy@x.example|Agent|customers: read, export|RXP|2027-06-30 "
		  "dan@example.com|Agent|customers: read, export|RXP|- "
		  "dora@example.com|Agent (group:support)|customers: read, export|RXP|- "
		  "lee@example.com|Lead|customers: read, update; notes: admin|RWAPS|-" },
		{ "2027-07-01",
		  "dan@example.com|Agent|customers: read, export|RXP|- "
		  "dora@example.com|Agent (group:support)|customers: read, export|RXP|- "
		  "lee@example.com|Lead|customers: read, update; notes: admin|RWAPS|-" },
	};
	static const char letters[APPCTL_INV_COUNT] = { 'R', 'W', 'X', 'A', 'P', 'S' };
	appctl_snapshot *snap = load();
	size_t c, i, k;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		appctl_arena *arena = appctl_arena_new();
		appctl_review_row *rows;
		size_t n, at = 0;
		char got[1024];

		assert_null(appctl_access_review_build(&rows, &n, arena, snap,
			day(cases[c].at)));
		got[0] = '\0';
		for (i = 0; i < n; i++) {
			at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%s|%s|%s|",
				i ? " " : "", rows[i].principal, rows[i].via, rows[i].access);
			for (k = 0; k < APPCTL_INV_COUNT; k++)
				if (rows[i].kinds & (1u << k))
					at += (size_t)snprintf(got + at, sizeof(got) - at,
						"%c", letters[k]);
			at += (size_t)snprintf(got + at, sizeof(got) - at, "|%s",
				rows[i].expires ? rows[i].expires : "-");
		}
		if (strcmp(got, cases[c].want) != 0)
			fail_msg("%s: got '%s'", cases[c].at, got);
		appctl_arena_free(arena);
	}
	appctl_snapshot_free(snap);
}

/* Every class, built-in and from a policy: the scaffold parses and lints clean. */
static void test_scaffold_validates_clean(void **state)
{
	static const char *const policies[] = {
		"{\"appctl\":1,\"environments\":[\"dev\",\"prod\"]}",
		"{\"appctl\":1,\"environments\":[\"dev\",\"prod\"],\"role_templates\":{"
		"\"dashboard\":{\"Reader\":{\"actions\":[\"read\"]}},"
		"\"client_portal\":{\"Agent\":{\"actions\":[\"read\",\"update\"],\"description\":\"a \\\"quoted\\\" one\"},"
		"\"Auditor\":{\"actions\":[\"read\",\"export\"]}}}}",
	};
	static const char *const want_roles[2][APPCTL_CLASS_COUNT] = {
		{ "Viewer", "Admin,Editor,Viewer", "Support,Viewer" },
		{ "Reader", "Admin,Editor,Viewer", "Agent,Auditor" },
	};
	size_t p, r;
	int cls;

	(void)state;
	for (p = 0; p < 2; p++) {
		for (cls = 0; cls < APPCTL_CLASS_COUNT; cls++) {
			appctl_file policy = { "appctl.json", policies[p], strlen(policies[p]), "" };
			appctl_file signers = { "allowed_signers", "", 0, "" };
			appctl_scaffold_spec spec = { "new-app", (appctl_app_class)cls,
				"ann@example.com", "bo@example.com" };
			appctl_arena *arena = appctl_arena_new();
			appctl_findings findings = APPCTL_FINDINGS_INIT;
			const appctl_role_template *roles;
			appctl_snapshot *snap = NULL;
			appctl_policy *parsed = NULL;
			const char *dirs[1] = { "new-app" };
			appctl_file app = { "apps/new-app/app.json", NULL, 0, "" };
			char *text = NULL, got[128];
			size_t n, at = 0;
			int from_policy;

			assert_null(appctl_policy_parse(&parsed, arena, &policy));
			appctl_scaffold_roles(&roles, &n, &from_policy, parsed,
				(appctl_app_class)cls);
			got[0] = '\0';
			for (r = 0; r < n; r++)
				at += (size_t)snprintf(got + at, sizeof(got) - at, "%s%s",
					r ? "," : "", roles[r].role);
			assert_string_equal(got, want_roles[p][cls]);
			assert_int_equal(from_policy, p == 1 && cls != APPCTL_CLASS_ADMIN_PANEL);
			assert_null(appctl_scaffold_app(&text, parsed, &spec));
			app.data = text;
			app.len = strlen(text);
			assert_null(appctl_snapshot_parse(&snap, &policy, &signers, &app, dirs, 1));
			assert_null(appctl_lint(&findings, snap, day("2026-11-29")));
			for (r = 0; r < findings.count; r++)
				print_error("%s: %s\n", findings.items[r].rule,
					findings.items[r].message);
			assert_int_equal(findings.count, 0);
			/* The owners hold a role: technical the widest, business the narrowest. */
			assert_non_null(strstr(text, "\"members\": [\"bo@example.com\""));
			assert_non_null(strstr(text, "\"ann@example.com\"]"));
			appctl_findings_dispose(&findings);
			appctl_snapshot_free(snap);
			free(text);
			appctl_arena_free(arena);
		}
	}
}

static void test_scaffold_refusals(void **state)
{
	appctl_scaffold_spec bad_name = { "Bad", APPCTL_CLASS_DASHBOARD,
		"ann@example.com", "bo@example.com" };
	appctl_scaffold_spec bad_owner = { "ok", APPCTL_CLASS_DASHBOARD,
		"ann", "bo@example.com" };
	appctl_scaffold_spec same = { "ok", APPCTL_CLASS_DASHBOARD,
		"bo@example.com", "bo@example.com" };
	appctl_error *err;
	char *text = NULL;

	(void)state;
	err = appctl_scaffold_app(&text, NULL, &bad_name);
	assert_int_equal(err->code, APPCTL_EUSAGE);
	appctl_error_free(err);
	err = appctl_scaffold_app(&text, NULL, &bad_owner);
	assert_int_equal(err->code, APPCTL_EUSAGE);
	appctl_error_free(err);
	assert_null(text);
	/* One owner in both seats is listed once. */
	assert_null(appctl_scaffold_app(&text, NULL, &same));
	assert_non_null(strstr(text, "\"members\": [\"bo@example.com\"]"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory_rows),
		cmocka_unit_test(test_who_can),
		cmocka_unit_test(test_access_review_rows),
		cmocka_unit_test(test_scaffold_validates_clean),
		cmocka_unit_test(test_scaffold_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
