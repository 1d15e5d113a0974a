/* test_diff.c: the diff kinds added to SPEC §2's (expiries, page roles, fail-open, AI reads, data flow, connector details), table-driven on one app. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/arena.h"
#include "appctl/diff.h"
#include "appctl/model.h"
#include "appctl/rules.h"
#include "appctl/strbuf.h"

/* clang-format off */
/*
 * Definitions are written with single quotes, turned into double quotes
 * before parsing. Each case gives the class and the variable parts of the
 * app on both sides; the rest is fixed.
 */
#define POLICY                                                                \
	"{'appctl':1,'environments':['dev','prod'],"                          \
	"'groups':{'support':['dan@example.com']},"                          \
	"'signers':'allowed_signers','approvals':{'approvers':['group:support']}}"
#define APP(cls, rest)                                                        \
	"{'name':'a','class':'" cls "',"                                      \
	"'owners':{'business':'ann@example.com','technical':'bo@example.com'}," \
	"'data':{'customers':{'tenant_key':'id','fields':{'id':{},"            \
	"'email':{'sensitivity':'pii'},'ssn':{'sensitivity':'restricted'}}}," \
	"'tickets':{'tenant_key':'id','fields':{'id':{},'body':{}}}}" rest "}"
#define ROLE(members, hidden)                                                 \
	",'roles':{'Agent':{'members':[" members "],'grants':[{'resource':"  \
	"'customers','actions':['read'],'hidden_fields':[" hidden "]}]},"     \
	"'Lead':{'members':['dan@example.com'],'grants':[{'resource':'tickets','actions':['read']}]}}"
/* Agent reads customers (ssn hidden) and updates tickets. */
#define TWO_GRANTS(members)                                                   \
	",'roles':{'Agent':{'members':[" members "],'grants':["                \
	"{'resource':'customers','actions':['read'],'hidden_fields':['ssn']}," \
	"{'resource':'tickets','actions':['update']}]}}"
#define CY(day) "{'principal':'cy@contractor.example','expires':'" day "'}"
#define CRM(extra)                                                            \
	",'integrations':{'crm':{'kind':'salesforce','owner':'bo@example.com'," \
	"'scopes':['api']" extra "}}"

typedef struct diff_case {
	const char *name;
	const char *old_app;
	const char *new_app;
	/* One line per change: "risk kind subject", subject the non-NULL of
	 * page/role/principal/resource/field/integration joined by '/'. */
	const char *expected;
} diff_case;

static const diff_case diff_cases[] = {
	/* access.expiry_extended / access.expiry_shortened */
	{ "expiry later in an admin panel, ssn hidden: medium",
	  APP("admin_panel", ROLE(CY("2026-12-31"), "'ssn'")),
	  APP("admin_panel", ROLE(CY("2027-03-31"), "'ssn'")),
	  "medium access.expiry_extended Agent/cy@contractor.example\n" },
	{ "expiry later with restricted data visible: high",
	  APP("admin_panel", ROLE(CY("2026-12-31"), "")),
	  APP("admin_panel", ROLE(CY("2027-03-31"), "")),
	  "high access.expiry_extended Agent/cy@contractor.example\n" },
	{ "expiry removed in a client portal: high",
	  APP("client_portal", ROLE(CY("2026-12-31"), "'ssn'")),
	  APP("client_portal", ROLE("'cy@contractor.example'", "'ssn'")),
	  "high access.expiry_extended Agent/cy@contractor.example\n" },
	{ "expiry earlier: low",
	  APP("client_portal", ROLE(CY("2026-12-31"), "'ssn'")),
	  APP("client_portal", ROLE(CY("2026-09-30"), "'ssn'")),
	  "low access.expiry_shortened Agent/cy@contractor.example\n" },
	{ "a permanent member made temporary: low",
	  APP("dashboard", ROLE("'cy@contractor.example'", "'ssn'")),
	  APP("dashboard", ROLE(CY("2026-09-30"), "'ssn'")),
	  "low access.expiry_shortened Agent/cy@contractor.example\n" },
	{ "an expiry extended past the evaluation day re-grants access",
	  APP("admin_panel", ROLE(CY("2026-01-31"), "'ssn'")),
	  APP("admin_panel", ROLE(CY("2026-12-31"), "'ssn'")),
	  "high field.exposed cy@contractor.example/customers/email\n"
	  "medium access.expiry_extended Agent/cy@contractor.example\n"
	  "medium access.granted cy@contractor.example/customers\n" },

	/*
	 * Access facts at every risk, over two resources: the diff finds them
	 * resource by resource and hands them over grouped by risk and kind.
	 */
	{ "a principal joins a role on two resources: facts of both kinds at two risks",
	  APP("admin_panel", TWO_GRANTS("'dan@example.com'")),
	  APP("admin_panel", TWO_GRANTS("'dan@example.com','eve@example.com'")),
	  "high access.granted eve@example.com/tickets\n"
	  "high field.exposed eve@example.com/customers/email\n"
	  "medium access.granted eve@example.com/customers\n"
	  "medium role.member_added Agent/eve@example.com\n" },
	{ "a principal leaves it: every fact low",
	  APP("admin_panel", TWO_GRANTS("'dan@example.com','eve@example.com'")),
	  APP("admin_panel", TWO_GRANTS("'dan@example.com'")),
	  "low access.revoked eve@example.com/customers\n"
	  "low access.revoked eve@example.com/tickets\n"
	  "low field.hidden eve@example.com/customers/email\n"
	  "low role.member_removed Agent/eve@example.com\n" },

	/* page.roles_added / page.roles_removed */
	{ "page roles widen and narrow",
	  APP("admin_panel", ROLE("'dan@example.com'", "'ssn'")
		",'pages':{'P':{'resource':'customers','roles':['Agent']},"
		"'Q':{'resource':'tickets','roles':['Agent','Lead']}}"),
	  APP("admin_panel", ROLE("'dan@example.com'", "'ssn'")
		",'pages':{'P':{'resource':'customers','roles':['Lead','Agent']},"
		"'Q':{'resource':'tickets','roles':['Lead']}}"),
	  "medium page.roles_added P/Lead\n"
	  "low page.roles_removed Q/Agent\n" },
	{ "a new page shows to its roles; a removed one stops",
	  APP("admin_panel", ",'pages':{'Old':{'resource':'customers','roles':['Agent']}}"),
	  APP("admin_panel", ",'pages':{'New':{'resource':'customers','roles':['Agent','Lead']}}"),
	  "medium page.roles_added New/Agent\n"
	  "medium page.roles_added New/Lead\n"
	  "low other.changed -\n"
	  "low other.changed -\n"
	  "low page.roles_removed Old/Agent\n" },
	{ "page roles reordered: nothing",
	  APP("admin_panel", ",'pages':{'P':{'roles':['Agent','Lead']}}"),
	  APP("admin_panel", ",'pages':{'P':{'roles':['Lead','Agent']}}"),
	  "" },

	/* integration.failure_open */
	{ "fail_closed to fail_open",
	  APP("admin_panel", CRM(",'on_failure':'fail_closed'")),
	  APP("admin_panel", CRM(",'on_failure':'fail_open'")),
	  "medium integration.failure_open crm\n" },
	{ "unset to fail_open",
	  APP("admin_panel", CRM("")),
	  APP("admin_panel", CRM(",'on_failure':'fail_open'")),
	  "medium integration.failure_open crm\n" },
	{ "fail_open to fail_closed is other.changed",
	  APP("admin_panel", CRM(",'on_failure':'fail_open'")),
	  APP("admin_panel", CRM(",'on_failure':'fail_closed'")),
	  "low other.changed -\n" },

	/* integration.reads_* / writes_* (data.storage_changed: tests/diff) */
	{ "data flow: reads added, writes removed",
	  APP("admin_panel", CRM(",'reads':['customers'],'writes':['tickets']")),
	  APP("admin_panel", CRM(",'reads':['tickets','customers'],'writes':[]")
		"" ),
	  "medium integration.reads_added tickets/crm\n"
	  "low integration.writes_removed tickets/crm\n" },

	/* ai.read_added / ai.read_removed */
	{ "ai reads: pii high, plain medium, all fields expanded, removal low",
	  APP("client_portal", ",'ai':{'reads':[{'resource':'tickets','fields':['body']}]}"),
	  APP("client_portal", ",'ai':{'reads':[{'resource':'customers'},"
		"{'resource':'customers','fields':['email']}]}"),
	  "high ai.read_added customers/email\n"
	  "high ai.read_added customers/ssn\n"
	  "medium ai.read_added customers/id\n"
	  "low ai.read_removed tickets/body\n" },
};

/* clang-format on */

static char *dq(const char *s)
{
	char *out = strdup(s), *p;

	assert_non_null(out);
	for (p = out; *p; p++)
		if (*p == '\'')
			*p = '"';
	return out;
}

static appctl_app *parse_app(appctl_arena *arena, const char *text)
{
	char *json = dq(text);
	appctl_file f = { "apps/a/app.json", json, strlen(json), "" };
	appctl_app *app = NULL;
	appctl_error *err = appctl_app_parse(&app, arena, &f, "a");

	if (err) {
		print_error("%s: %s\n", err->path ? err->path : "", err->message);
		appctl_error_free(err);
	}
	/* The model keeps pointers into the arena only, never into `json`. */
	free(json);
	assert_non_null(app);
	return app;
}

static appctl_policy *parse_policy(appctl_arena *arena)
{
	char *json = dq(POLICY);
	appctl_file f = { "appctl.json", json, strlen(json), "" };
	appctl_policy *p = NULL;

	assert_null(appctl_policy_parse(&p, arena, &f));
	free(json);
	return p;
}

static void subject(appctl_strbuf *b, const appctl_change *c)
{
	const char *parts[] = { c->page, c->role, c->principal, c->resource,
		c->field, c->integration };
	size_t i, n = 0;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i])
			appctl_strbuf_printf(b, "%s%s", n++ ? "/" : "", parts[i]);
	if (!n)
		appctl_strbuf_putc(b, '-');
}

/* The changes of one app diff, one line each, in output order. */
static char *diff_text(const char *old_text, const char *new_text,
	appctl_changes *changes)
{
	appctl_arena *arena = appctl_arena_new();
	appctl_strbuf out = APPCTL_STRBUF_INIT;
	appctl_policy *policy;
	appctl_app *a, *b;
	appctl_date at;
	char *s;
	size_t i;

	assert_non_null(arena);
	assert_int_equal(appctl_date_parse(&at, "2026-06-01"), 0);
	policy = parse_policy(arena);
	a = parse_app(arena, old_text);
	b = parse_app(arena, new_text);
	assert_int_equal(appctl_changes_init(changes), 0);
	assert_null(appctl_diff_app(changes, a, policy, b, policy, NULL, 0, at));
	appctl_changes_sort(changes);
	appctl_strbuf_puts(&out, "");
	for (i = 0; i < changes->count; i++) {
		const appctl_change *c = &changes->items[i];

		appctl_strbuf_printf(&out, "%s %s ", appctl_risk_name(c->risk),
			c->kind);
		subject(&out, c);
		appctl_strbuf_putc(&out, '\n');
	}
	appctl_arena_free(arena);
	s = appctl_strbuf_detach(&out);
	assert_non_null(s);
	return s;
}

static void test_diff_cases(void **state)
{
	size_t i, j, mismatches = 0;

	(void)state;
	for (i = 0; i < sizeof(diff_cases) / sizeof(diff_cases[0]); i++) {
		const diff_case *c = &diff_cases[i];
		appctl_changes changes;
		char *got = diff_text(c->old_app, c->new_app, &changes);

		if (strcmp(got, c->expected) != 0) {
			print_error("case \"%s\":\nexpected:\n%sgot:\n%s",
				c->name, c->expected, got);
			mismatches++;
		}
		/* Every kind is in the rule table, at its default or above. */
		for (j = 0; j < changes.count; j++) {
			const appctl_kind_rule *r =
				appctl_kind_rule_find(changes.items[j].kind);

			assert_non_null(r);
		}
		free(got);
		appctl_changes_dispose(&changes);
	}
	assert_int_equal(mismatches, 0);
}

/* An expiry change carries the dates: before, after and expires. */
static void test_expiry_values(void **state)
{
	appctl_changes changes;
	char *got;

	(void)state;
	got = diff_text(APP("admin_panel", ROLE(CY("2026-12-31"), "'ssn'")),
		APP("admin_panel", ROLE(CY("2027-03-31"), "'ssn'")), &changes);
	assert_int_equal(changes.count, 1);
	assert_string_equal(changes.items[0].before, "\"2026-12-31\"");
	assert_string_equal(changes.items[0].after, "\"2027-03-31\"");
	assert_string_equal(changes.items[0].expires, "2027-03-31");
	assert_string_equal(changes.items[0].path,
		"$.roles.Agent.members[0].expires");
	free(got);
	appctl_changes_dispose(&changes);
	got = diff_text(APP("admin_panel", ROLE(CY("2026-12-31"), "'ssn'")),
		APP("admin_panel", ROLE("'cy@contractor.example'", "'ssn'")),
		&changes);
	assert_int_equal(changes.count, 1);
	assert_null(changes.items[0].after);
	assert_null(changes.items[0].expires);
	assert_string_equal(changes.items[0].path, "$.roles.Agent.members[0]");
	free(got);
	appctl_changes_dispose(&changes);
}

/*
 * The role model new apps start from is policy: loosening a template is
 * policy.changed; a template's description is not part of a diff.
 */
static void test_role_templates_are_policy(void **state)
{
	static const char *const texts[] = {
		"{\"appctl\":1,\"environments\":[\"dev\"],\"role_templates\":"
		"{\"dashboard\":{\"Viewer\":{\"actions\":[\"read\"]}}}}",
		"{\"appctl\":1,\"environments\":[\"dev\"],\"role_templates\":"
		"{\"dashboard\":{\"Viewer\":{\"actions\":[\"read\"],"
		"\"description\":\"reads\"}}}}",
		"{\"appctl\":1,\"environments\":[\"dev\"],\"role_templates\":"
		"{\"dashboard\":{\"Viewer\":{\"actions\":[\"read\",\"export\"]}}}}",
	};
	appctl_policy *p[3];
	appctl_arena *arena = appctl_arena_new();
	appctl_changes changes;
	size_t i;

	(void)state;
	assert_non_null(arena);
	for (i = 0; i < 3; i++) {
		appctl_file f = { "appctl.json", texts[i], strlen(texts[i]), "" };

		assert_null(appctl_policy_parse(&p[i], arena, &f));
	}
	assert_int_equal(appctl_changes_init(&changes), 0);
	assert_null(appctl_diff_policy(&changes, p[0], "", p[1], ""));
	assert_int_equal(changes.count, 0);
	assert_null(appctl_diff_policy(&changes, p[0], "", p[2], ""));
	assert_int_equal(changes.count, 1);
	assert_string_equal(changes.items[0].kind, "policy.changed");
	assert_string_equal(changes.items[0].path, "$.role_templates");
	appctl_changes_dispose(&changes);
	appctl_arena_free(arena);
}

/*
 * A new connector is shown with its owner, scopes and credential
 * references; a literal secret in its place is never repeated.
 */
static void test_integration_added_details(void **state)
{
	appctl_changes changes;
	const appctl_change *c = NULL;
	char *got;
	size_t i;

	(void)state;
	got = diff_text(APP("admin_panel", ""),
		APP("admin_panel", CRM(",'credential':{'dev':'env://CRM_DEV',"
			"'prod':'sk_live_4eC39HqLyjWDarjtT1zdp7dc'}")),
		&changes);
	for (i = 0; i < changes.count; i++)
		if (strcmp(changes.items[i].kind, "integration.added") == 0)
			c = &changes.items[i];
	assert_non_null(c);
	assert_int_equal(c->risk, APPCTL_RISK_HIGH);
	assert_string_equal(c->owner, "bo@example.com");
	assert_string_equal(c->scopes, "[\"api\"]");
	assert_string_equal(c->credentials,
		"{\"dev\":\"env://CRM_DEV\",\"prod\":\"(redacted)\"}");
	free(got);
	appctl_changes_dispose(&changes);
}

/*
 * A large group, members in no order, loses one and gains one: exactly
 * those two are reported, and they are the moved principals, however many
 * stay (each side's members are looked up in the other's sorted list).
 */
static void test_large_group_moves(void **state)
{
	appctl_strbuf text[2] = { APPCTL_STRBUF_INIT, APPCTL_STRBUF_INIT };
	appctl_arena *arena = appctl_arena_new();
	const char **moved = NULL, **groups = NULL;
	size_t nmoved = 0, ngroups = 0, i, side;
	appctl_policy *p[2];
	appctl_changes changes;

	(void)state;
	assert_non_null(arena);
	for (side = 0; side < 2; side++) {
		appctl_strbuf_puts(&text[side], "{\"appctl\":1,\"environments\":"
			"[\"dev\"],\"groups\":{\"big\":[");
		/* Member i is u<(i * 7) % 997>: the file's order is not sorted. */
		for (i = 0; i < 997; i++) {
			size_t m = (i * 7) % 997;

			if ((side == 0 && m == 996) || (side == 1 && m == 3))
				continue; /* 996 joins, 3 leaves */
			appctl_strbuf_printf(&text[side], "%s\"u%zu@example.com\"",
				text[side].len && text[side].ptr[text[side].len - 1] == '['
					? "" : ",", m);
		}
		appctl_strbuf_puts(&text[side], "],\"small\":[\"a@example.com\"]}}");
		assert_false(text[side].failed);
		{
			appctl_file f = { "appctl.json", text[side].ptr, text[side].len,
				"" };

			assert_null(appctl_policy_parse(&p[side], arena, &f));
		}
	}
	assert_int_equal(appctl_changes_init(&changes), 0);
	assert_null(appctl_diff_policy(&changes, p[0], "", p[1], ""));
	appctl_changes_sort(&changes);
	assert_int_equal(changes.count, 2);
	assert_string_equal(changes.items[0].kind, "group.member_added");
	assert_string_equal(changes.items[0].principal, "u996@example.com");
	assert_string_equal(changes.items[1].kind, "group.member_removed");
	assert_string_equal(changes.items[1].principal, "u3@example.com");
	assert_null(appctl_diff_group_moves(&moved, &nmoved, &groups, &ngroups,
		arena, p[0], p[1]));
	assert_int_equal(nmoved, 2);
	assert_string_equal(moved[0], "u3@example.com");
	assert_string_equal(moved[1], "u996@example.com");
	assert_int_equal(ngroups, 1);
	assert_string_equal(groups[0], "big");
	appctl_changes_dispose(&changes);
	appctl_strbuf_dispose(&text[0]);
	appctl_strbuf_dispose(&text[1]);
	appctl_arena_free(arena);
}

/*
 * A list past a megabyte moves to memory for huge pages: every change
 * written before and after the move is still there, in order.
 */
static void test_large_list(void **state)
{
	static const char *const kinds[] = { "access.granted", "field.exposed",
		"role.added" };
	appctl_changes list;
	size_t i, n = 60000;

	(void)state;
	assert_int_equal(appctl_changes_init(&list), 0);
	for (i = 0; i < n; i++) {
		appctl_change *c = appctl_changes_reserve(&list, 1);

		assert_non_null(c);
		memset(c, 0, sizeof(*c));
		c->kind = kinds[i % 3];
		c->risk = (appctl_risk)(i % 3);
		c->principal = appctl_arena_printf(list.arena, "u%zu@example.com", i);
		assert_non_null(c->principal);
		list.count++;
	}
	assert_true(list.cap >= n);
	assert_int_equal((uintptr_t)list.items % APPCTL_HUGE_PAGE, 0);
	for (i = 0; i < n; i++) {
		char want[40];

		snprintf(want, sizeof(want), "u%zu@example.com", i);
		assert_string_equal(list.items[i].principal, want);
		assert_ptr_equal(list.items[i].kind, kinds[i % 3]);
		assert_int_equal(list.items[i].risk, i % 3);
	}
	/* Room for many at once, past what is there. */
	assert_non_null(appctl_changes_reserve(&list, 200000));
	assert_true(list.cap >= n + 200000);
	assert_string_equal(list.items[n - 1].principal, "u59999@example.com");
	appctl_changes_dispose(&list);
}

/* Fills `list` with the changes of apps "a".."c" named by `spec` ("a1 c2 b0"...). */
static void fill_runs(appctl_changes *list, const char *spec)
{
	static const char *const apps[] = { "a", "b", "c" };

	for (; *spec; spec += spec[2] ? 3 : 2) {
		appctl_change *c = appctl_changes_reserve(list, 1);

		assert_non_null(c);
		memset(c, 0, sizeof(*c));
		c->app = apps[spec[0] - 'a'];
		c->kind = "access.granted";
		c->principal = appctl_arena_printf(list->arena, "u%c@example.com",
			spec[1]);
		assert_non_null(c->principal);
		list->count++;
	}
}

/*
 * Runs sorted alone, in order or not: appctl_changes_sort_runs gives what
 * the whole sort gives, whatever the seams and ends say.
 */
static void test_sort_runs(void **state)
{
	static const struct {
		const char *spec;
		size_t ends[4];
		size_t runs;
	} cases[] = {
		{ "a1 a2 b0 b3 c1", { 2, 4, 5 }, 3 },       /* seams in order */
		{ "a1 a2 b0 b3 c1", { 2, 2, 4, 5 }, 4 },    /* an empty run */
		{ "b0 b3 a1 a2 c1", { 2, 4, 5 }, 3 },       /* apps out of order */
		{ "a1 a3 a2 b0 c1", { 2, 5 }, 2 },          /* a seam inside an app */
		{ "a1 a2 b0 b3 a0", { 2, 4 }, 2 },          /* ends short of the list */
		{ "c1 a1", { 0 }, 0 },                      /* no runs at all */
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		appctl_changes got, want;

		assert_int_equal(appctl_changes_init(&got), 0);
		assert_int_equal(appctl_changes_init(&want), 0);
		fill_runs(&got, cases[i].spec);
		fill_runs(&want, cases[i].spec);
		appctl_changes_sort_runs(&got, cases[i].ends, cases[i].runs);
		appctl_changes_sort(&want);
		for (k = 0; k < want.count; k++) {
			assert_string_equal(got.items[k].app, want.items[k].app);
			assert_string_equal(got.items[k].principal,
				want.items[k].principal);
		}
		appctl_changes_dispose(&got);
		appctl_changes_dispose(&want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_cases),
		cmocka_unit_test(test_expiry_values),
		cmocka_unit_test(test_integration_added_details),
		cmocka_unit_test(test_role_templates_are_policy),
		cmocka_unit_test(test_large_list),
		cmocka_unit_test(test_large_group_moves),
		cmocka_unit_test(test_sort_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
