/* test_access.c: effective access, table-driven: groups, expiry, hidden fields, duplicate grants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/access.h"
#include "appctl/diff.h"
#include "appctl/model.h"
#include "appctl/strbuf.h"

/*
 * Definitions are written with single quotes, turned into double quotes
 * before parsing, so that the tables stay readable. Each case gives the
 * policy's groups and the app's roles; the rest is fixed.
 */
#define POLICY(groups)                                                        \
	"{'appctl':1,'environments':['dev','prod'],'groups':{" groups "},"    \
	"'signers':'allowed_signers','approvals':{'approvers':['group:rm']}}"
#define APP(roles)                                                            \
	"{'name':'a','class':'client_portal',"                                \
	"'owners':{'business':'ann@example.com','technical':'bo@example.com'}," \
	"'data':{'customers':{'tenant_key':'id','fields':{'email':{'sensitivity':'pii'}," \
	"'name':{},'ssn':{'sensitivity':'restricted'}}}," \
	"'tickets':{'tenant_key':'id','fields':{'body':{},'subject':{}}}}," \
	"'roles':{" roles "}}"
#define GROUPS "'support':['dan@example.com','dora@example.com'],'rm':['rita@example.com']"

#define READ_CUSTOMERS(hidden) \
	"{'resource':'customers','actions':['read'],'hidden_fields':[" hidden "]}"
#define TEMP(who, day) "{'principal':'" who "','expires':'" day "'}"

typedef struct access_case {
	const char *name;
	const char *groups;       /* the policy's "groups" members */
	const char *roles;        /* the app's "roles" members */
	const char *principal;
	const char *at;           /* evaluation day */
	/*
	 * One line per resource, "resource: actions | visible fields", then
	 * "via: ..." (nothing at all without access); or "error PATH" when the
	 * policy must be refused.
	 */
	const char *expected;
} access_case;

static const access_case access_cases[] = {
	/* groups */
	{ "direct member", GROUPS,
	  "'Agent':{'members':['cy@example.com'],'grants':[" READ_CUSTOMERS("'ssn'") "]}",
	  "cy@example.com", "2026-06-01",
	  "customers: read | email name\nvia: Agent\n" },
	{ "member through a group", GROUPS,
	  "'Agent':{'members':['group:support'],'grants':[" READ_CUSTOMERS("'ssn'") "]}",
	  "dora@example.com", "2026-06-01",
	  "customers: read | email name\nvia: Agent (group:support)\n" },
	{ "not a member", GROUPS,
	  "'Agent':{'members':['group:support','cy@example.com'],'grants':["
	  READ_CUSTOMERS("'ssn'") "]}",
	  "eve@example.com", "2026-06-01", "" },
	{ "a group that does not exist gives nothing", GROUPS,
	  "'Agent':{'members':['group:nobody'],'grants':[" READ_CUSTOMERS("") "]}",
	  "dan@example.com", "2026-06-01", "" },
	{ "nested groups are refused", "'support':['dan@example.com','group:rm'],'rm':['rita@example.com']",
	  "'Agent':{'members':['group:support'],'grants':[" READ_CUSTOMERS("") "]}",
	  "rita@example.com", "2026-06-01", "error $.groups.support[1]" },
	{ "a group nesting itself is refused", "'support':['group:support']",
	  "'Agent':{'members':['group:support'],'grants':[" READ_CUSTOMERS("") "]}",
	  "rita@example.com", "2026-06-01", "error $.groups.support[0]" },

	/* expires is inclusive: the last day still counts */
	{ "temporary member on the last day", GROUPS,
	  "'Agent':{'members':[" TEMP("cy@example.com", "2026-12-31") "],'grants':["
	  READ_CUSTOMERS("'ssn'") "]}",
	  "cy@example.com", "2026-12-31",
	  "customers: read | email name\nvia: Agent\n" },
	{ "temporary member the day after", GROUPS,
	  "'Agent':{'members':[" TEMP("cy@example.com", "2026-12-31") "],'grants':["
	  READ_CUSTOMERS("'ssn'") "]}",
	  "cy@example.com", "2027-01-01", "" },
	{ "temporary member long before the end", GROUPS,
	  "'Agent':{'members':[" TEMP("cy@example.com", "2026-12-31") "],'grants':["
	  READ_CUSTOMERS("'ssn'") "]}",
	  "cy@example.com", "2020-02-29",
	  "customers: read | email name\nvia: Agent\n" },
	{ "expired in one role, current in another", GROUPS,
	  "'Agent':{'members':[" TEMP("cy@example.com", "2026-01-31") "],'grants':["
	  "{'resource':'customers','actions':['update']}]},"
	  "'Reader':{'members':[" TEMP("cy@example.com", "2026-02-01") "],'grants':["
	  READ_CUSTOMERS("'ssn'") "]}",
	  "cy@example.com", "2026-02-01",
	  "customers: read | email name\nvia: Reader\n" },
	{ "expired direct membership, still in through a group", GROUPS,
	  "'Agent':{'members':[" TEMP("dan@example.com", "2026-01-31") ",'group:support'],"
	  "'grants':[" READ_CUSTOMERS("'ssn'") "]}",
	  "dan@example.com", "2026-06-01",
	  "customers: read | email name\nvia: Agent (group:support)\n" },
	{ "temporary in two roles, lasting in a third", GROUPS,
	  "'Agent':{'members':[" TEMP("cy@example.com", "2026-12-31") "],'grants':["
	  READ_CUSTOMERS("'ssn'") "]},"
	  "'Lead':{'members':[" TEMP("cy@example.com", "2026-09-30") "],"
	  "'grants':[{'resource':'customers','actions':['read','update']},"
	  "{'resource':'tickets','actions':['read']}]},"
	  "'Desk':{'members':['group:support','cy@example.com'],"
	  "'grants':[{'resource':'tickets','actions':['read','update']}]}",
	  "cy@example.com", "2026-06-01",
	  "customers: read update | email name ssn\ntickets: read update | body subject\n"
	  "via: Agent, Desk, Lead\n" },
	{ "direct and group membership name the role once", GROUPS,
	  "'Agent':{'members':['group:support','dan@example.com'],"
	  "'grants':[" READ_CUSTOMERS("'ssn'") "]}",
	  "dan@example.com", "2026-06-01",
	  "customers: read | email name\nvia: Agent\n" },

	/* hidden fields: a field is visible when any grant shows it */
	{ "two roles hiding different fields show both", GROUPS,
	  "'Agent':{'members':['cy@example.com'],'grants':[" READ_CUSTOMERS("'ssn'") "]},"
	  "'Lead':{'members':['group:support','cy@example.com'],'grants':["
	  READ_CUSTOMERS("'email'") "]}",
	  "cy@example.com", "2026-06-01",
	  "customers: read | email name ssn\nvia: Agent, Lead\n" },
	{ "a field hidden by both roles stays hidden", GROUPS,
	  "'Agent':{'members':['cy@example.com'],'grants':[" READ_CUSTOMERS("'ssn'") "]},"
	  "'Lead':{'members':['cy@example.com'],'grants':[" READ_CUSTOMERS("'ssn','email'") "]}",
	  "cy@example.com", "2026-06-01",
	  "customers: read | email name\nvia: Agent, Lead\n" },
	{ "the other role only counts while it is held", GROUPS,
	  "'Agent':{'members':['cy@example.com'],'grants':[" READ_CUSTOMERS("'ssn'") "]},"
	  "'Lead':{'members':[" TEMP("cy@example.com", "2026-05-31") "],'grants':["
	  READ_CUSTOMERS("'email'") "]}",
	  "cy@example.com", "2026-06-01",
	  "customers: read | email name\nvia: Agent\n" },
	{ "a grant without hidden fields shows everything", GROUPS,
	  "'Agent':{'members':['cy@example.com'],'grants':[" READ_CUSTOMERS("'ssn','email'") ","
	  "{'resource':'customers','actions':['update']}]}",
	  "cy@example.com", "2026-06-01",
	  "customers: read update | email name ssn\nvia: Agent\n" },

	/* duplicate grants */
	{ "the same grant twice counts once", GROUPS,
	  "'Agent':{'members':['cy@example.com'],'grants':[" READ_CUSTOMERS("'ssn'") ","
	  READ_CUSTOMERS("'ssn'") "]}",
	  "cy@example.com", "2026-06-01",
	  "customers: read | email name\nvia: Agent\n" },
	{ "the same grant in two roles counts once", GROUPS,
	  "'Agent':{'members':['cy@example.com'],'grants':[" READ_CUSTOMERS("'ssn'") "]},"
	  "'Lead':{'members':['cy@example.com'],'grants':[" READ_CUSTOMERS("'ssn'") "]}",
	  "cy@example.com", "2026-06-01",
	  "customers: read | email name\nvia: Agent, Lead\n" },
	{ "overlapping grants merge their actions", GROUPS,
	  "'Agent':{'members':['cy@example.com'],'grants':["
	  "{'resource':'tickets','actions':['read','update']},"
	  "{'resource':'tickets','actions':['update','delete']}]}",
	  "cy@example.com", "2026-06-01",
	  "tickets: read update delete | body subject\nvia: Agent\n" },
	{ "resources come sorted by name", GROUPS,
	  "'Agent':{'members':['cy@example.com'],'grants':["
	  "{'resource':'tickets','actions':['read']}," READ_CUSTOMERS("") "]}",
	  "cy@example.com", "2026-06-01",
	  "customers: read | email name ssn\ntickets: read | body subject\nvia: Agent\n" },
	{ "a grant on an undefined resource has no fields", GROUPS,
	  "'Agent':{'members':['cy@example.com'],'grants':["
	  "{'resource':'invoices','actions':['read']}]}",
	  "cy@example.com", "2026-06-01",
	  "invoices: read |\nvia: Agent\n" },
};

static char *single_to_double_quotes(const char *s)
{
	char *out = strdup(s), *p;

	assert_non_null(out);
	for (p = out; *p; p++)
		if (*p == '\'')
			*p = '"';
	return out;
}

static appctl_error *parse_policy(appctl_policy **out, appctl_arena *arena,
	const char *groups)
{
	appctl_strbuf text = APPCTL_STRBUF_INIT;
	appctl_error *err;
	appctl_file file;
	char *json;

	appctl_strbuf_printf(&text, POLICY("%s"), groups);
	assert_false(text.failed);
	json = single_to_double_quotes(text.ptr);
	appctl_strbuf_dispose(&text);
	memset(&file, 0, sizeof(file));
	file.path = "appctl.json";
	file.data = json;
	file.len = strlen(json);
	err = appctl_policy_parse(out, arena, &file);
	free(json);
	return err;
}

static appctl_app *parse_app(appctl_arena *arena, const char *roles)
{
	appctl_strbuf text = APPCTL_STRBUF_INIT;
	appctl_error *err;
	appctl_app *app = NULL;
	appctl_file file;
	char *json;

	appctl_strbuf_printf(&text, APP("%s"), roles);
	assert_false(text.failed);
	json = single_to_double_quotes(text.ptr);
	appctl_strbuf_dispose(&text);
	memset(&file, 0, sizeof(file));
	file.path = "apps/a/app.json";
	file.data = json;
	file.len = strlen(json);
	err = appctl_app_parse(&app, arena, &file, "a");
	if (err)
		fail_msg("app: %s: %s", err->path ? err->path : "", err->message);
	free(json);
	return app;
}

/* The access in the one-line-per-resource shape of the table. */
static void render_access(appctl_strbuf *out, const appctl_principal_access *pa)
{
	size_t r, f, v;
	unsigned bit;

	for (r = 0; r < pa->resource_count; r++) {
		const appctl_resource_access *ra = &pa->resources[r];

		appctl_strbuf_printf(out, "%s:", ra->name);
		for (bit = 1; bit < (1u << APPCTL_ACTION_COUNT); bit <<= 1)
			if (ra->actions & bit)
				appctl_strbuf_printf(out, " %s", appctl_action_name(bit));
		appctl_strbuf_puts(out, " |");
		for (f = 0; ra->resource && f < ra->resource->field_count; f++)
			if (ra->visible[f])
				appctl_strbuf_printf(out, " %s",
					ra->resource->fields[f].name);
		appctl_strbuf_putc(out, '\n');
	}
	if (!pa->resource_count)
		return;
	appctl_strbuf_puts(out, "via:");
	for (v = 0; v < pa->via_count; v++)
		appctl_strbuf_printf(out, "%s %s", v ? "," : "", pa->via[v]);
	appctl_strbuf_putc(out, '\n');
}

/*
 * Group membership comes from the policy's index of memberships when it
 * is built (as for a snapshot or a diff); a policy without it, as parsed,
 * asks each group. Both give the same access, and the index lists exactly
 * the groups that hold each principal.
 */
static void check_membership_index(const access_case *c, appctl_arena *arena,
	const appctl_policy *policy, const appctl_app *app, appctl_date at)
{
	static const char *const who[] = { "dan@example.com", "dora@example.com",
		"rita@example.com", "cy@contractor.example", "nobody@example.com",
		"a@example.com" };
	appctl_strbuf with = APPCTL_STRBUF_INIT, without = APPCTL_STRBUF_INIT;
	appctl_principal_access pa;
	appctl_policy indexed = *policy;
	size_t j, k;

	assert_int_equal(appctl_policy_index_members(&indexed, arena), 0);
	assert_non_null(indexed.memberships);
	assert_null(policy->memberships);
	assert_null(appctl_access_of(&pa, arena, app, &indexed, c->principal, at));
	render_access(&with, &pa);
	assert_null(appctl_access_of(&pa, arena, app, policy, c->principal, at));
	render_access(&without, &pa);
	assert_false(with.failed || without.failed);
	if (strcmp(with.ptr ? with.ptr : "", without.ptr ? without.ptr : ""))
		fail_msg("%s: the index changes the access", c->name);
	for (j = 0; j < sizeof(who) / sizeof(who[0]); j++) {
		const appctl_membership *first;
		size_t n = appctl_policy_groups_of(&indexed, who[j], &first);

		for (k = 0; k < policy->group_count; k++) {
			const appctl_group *g = &policy->groups[k];
			size_t m, listed = 0;

			for (m = 0; m < n; m++)
				listed += first[m].group == g &&
					strcmp(first[m].principal, who[j]) == 0;
			assert_int_equal(listed != 0,
				appctl_policy_in_group(policy, g->name, who[j]));
		}
	}
	appctl_strbuf_dispose(&with);
	appctl_strbuf_dispose(&without);
}

/* Everything of an access, temporary holdings and their days included. */
static void render_full(appctl_strbuf *out, const appctl_principal_access *pa)
{
	char day[11];
	size_t r, k;

	render_access(out, pa);
	for (r = 0; r < pa->resource_count; r++) {
		const appctl_resource_access *ra = &pa->resources[r];

		appctl_strbuf_printf(out, "%s temporary %x:", ra->name,
			ra->temporary);
		for (k = 0; k < APPCTL_ACTION_COUNT; k++)
			if (ra->temporary & (1u << k)) {
				appctl_date_format(day, ra->until[k]);
				appctl_strbuf_printf(out, " %s", day);
			}
		appctl_strbuf_putc(out, '\n');
	}
	for (r = 0; r < pa->via_count; r++) {
		appctl_date_format(day, pa->vias[r].until);
		appctl_strbuf_printf(out, "%s: role %s group %s temporary %d %s\n",
			pa->via[r], pa->vias[r].role->name,
			pa->vias[r].group ? pa->vias[r].group : "-",
			pa->vias[r].temporary,
			pa->vias[r].temporary ? day : "-");
	}
}

/*
 * An app's access index only finds things faster: for every case and
 * every principal it names (and some it does not), the same access with
 * the index as without.
 */
static void check_access_index(const access_case *c, appctl_arena *arena,
	const appctl_policy *policy, const appctl_app *app, appctl_date at)
{
	static const char *const who[] = { "dan@example.com", "dora@example.com",
		"rita@example.com", "cy@example.com", "cy@contractor.example",
		"nobody@example.com", "a@example.com", "zz@example.com" };
	const appctl_access_index *ix;
	size_t j;

	assert_null(appctl_access_index_build(&ix, arena, app));
	for (j = 0; j <= sizeof(who) / sizeof(who[0]); j++) {
		const char *p = j ? who[j - 1] : c->principal;
		appctl_strbuf with = APPCTL_STRBUF_INIT, without = APPCTL_STRBUF_INIT;
		appctl_principal_access pa;

		assert_null(appctl_access_of(&pa, arena, app, policy, p, at));
		render_full(&without, &pa);
		assert_null(appctl_access_of_indexed(&pa, arena, ix, policy, p, at));
		render_full(&with, &pa);
		assert_false(with.failed || without.failed);
		if (strcmp(with.ptr ? with.ptr : "", without.ptr ? without.ptr : ""))
			fail_msg("%s, %s: the access index changes the access:\n"
				"with:\n%s\nwithout:\n%s", c->name, p,
				with.ptr ? with.ptr : "", without.ptr ? without.ptr : "");
		appctl_strbuf_dispose(&with);
		appctl_strbuf_dispose(&without);
	}
}

static void test_access_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(access_cases) / sizeof(access_cases[0]); i++) {
		const access_case *c = &access_cases[i];
		appctl_arena *arena = appctl_arena_new();
		appctl_strbuf got = APPCTL_STRBUF_INIT;
		appctl_principal_access pa;
		appctl_policy *policy = NULL;
		appctl_error *err;
		appctl_app *app;
		appctl_date at;

		assert_non_null(arena);
		assert_int_equal(appctl_date_parse(&at, c->at), 0);
		err = parse_policy(&policy, arena, c->groups);
		if (strncmp(c->expected, "error ", 6) == 0) {
			if (!err)
				fail_msg("%s: the policy was accepted", c->name);
			assert_int_equal(err->code, APPCTL_EINPUT);
			if (!err->path || strcmp(err->path, c->expected + 6) != 0)
				fail_msg("%s: error at %s, expected %s (%s)", c->name,
					err->path ? err->path : "(none)", c->expected + 6,
					err->message);
			appctl_error_free(err);
			appctl_arena_free(arena);
			continue;
		}
		if (err)
			fail_msg("%s: policy: %s", c->name, err->message);
		app = parse_app(arena, c->roles);
		check_membership_index(c, arena, policy, app, at);
		check_access_index(c, arena, policy, app, at);
		err = appctl_access_of(&pa, arena, app, policy, c->principal, at);
		assert_null(err);
		render_access(&got, &pa);
		assert_false(got.failed);
		if (strcmp(got.ptr ? got.ptr : "", c->expected) != 0)
			fail_msg("%s:\nexpected:\n%sgot:\n%s", c->name, c->expected,
				got.ptr ? got.ptr : "");
		appctl_strbuf_dispose(&got);
		appctl_arena_free(arena);
	}
}

/*
 * Repeating a grant that a role already has is a structural change but
 * gives nobody anything: no access fact may come with it.
 */
static void test_duplicate_grant_diff(void **state)
{
	appctl_arena *arena = appctl_arena_new();
	appctl_policy *policy = NULL;
	appctl_app *before, *after;
	appctl_changes changes;
	appctl_date at;
	size_t i;

	(void)state;
	assert_non_null(arena);
	assert_int_equal(appctl_date_parse(&at, "2026-06-01"), 0);
	assert_null(parse_policy(&policy, arena, GROUPS));
	before = parse_app(arena, "'Agent':{'members':['group:support'],'grants':["
		READ_CUSTOMERS("'ssn'") "]}");
	after = parse_app(arena, "'Agent':{'members':['group:support'],'grants':["
		READ_CUSTOMERS("'ssn'") "," READ_CUSTOMERS("'ssn'") "]}");
	assert_int_equal(appctl_changes_init(&changes), 0);
	assert_null(appctl_diff_app(&changes, before, policy, after, policy,
		NULL, 0, at));
	assert_int_equal(changes.count, 1);
	assert_string_equal(changes.items[0].kind, "role.grant_added");
	appctl_changes_dispose(&changes);

	/* And reordering grants is no change at all. */
	before = parse_app(arena, "'Agent':{'members':['group:support'],'grants':["
		"{'resource':'tickets','actions':['read']}," READ_CUSTOMERS("'ssn'") "]}");
	after = parse_app(arena, "'Agent':{'members':['group:support'],'grants':["
		READ_CUSTOMERS("'ssn'") ",{'resource':'tickets','actions':['read']}]}");
	assert_int_equal(appctl_changes_init(&changes), 0);
	assert_null(appctl_diff_app(&changes, before, policy, after, policy,
		NULL, 0, at));
	for (i = 0; i < changes.count; i++)
		fail_msg("unexpected %s", changes.items[i].kind);
	appctl_changes_dispose(&changes);
	appctl_arena_free(arena);
}

/* The expiry boundary seen by the diff: a membership ending is not a change of the file. */
static void test_expiry_boundary_diff(void **state)
{
	static const struct {
		const char *at;
		size_t revoked;           /* access.revoked facts expected */
	} days[] = {
		{ "2026-12-31", 1 },      /* still a member: removing them revokes */
		{ "2027-01-01", 0 },      /* already gone: nothing left to revoke */
	};
	appctl_arena *arena = appctl_arena_new();
	appctl_policy *policy = NULL;
	appctl_app *before, *after;
	size_t d, i, revoked;

	(void)state;
	assert_non_null(arena);
	assert_null(parse_policy(&policy, arena, GROUPS));
	before = parse_app(arena, "'Agent':{'members':[" TEMP("cy@example.com",
		"2026-12-31") "],'grants':[{'resource':'tickets','actions':['read']}]}");
	after = parse_app(arena, "'Agent':{'members':[],'grants':["
		"{'resource':'tickets','actions':['read']}]}");
	for (d = 0; d < sizeof(days) / sizeof(days[0]); d++) {
		appctl_changes changes;
		appctl_date at;

		assert_int_equal(appctl_date_parse(&at, days[d].at), 0);
		assert_int_equal(appctl_changes_init(&changes), 0);
		assert_null(appctl_diff_app(&changes, before, policy, after, policy,
			NULL, 0, at));
		for (i = 0, revoked = 0; i < changes.count; i++)
			revoked += strcmp(changes.items[i].kind, "access.revoked") == 0;
		if (revoked != days[d].revoked)
			fail_msg("at %s: %zu revoked, expected %zu", days[d].at,
				revoked, days[d].revoked);
		appctl_changes_dispose(&changes);
	}
	appctl_arena_free(arena);
}

/*
 * The membership index of a policy whose 37 groups (an odd count, so one
 * run waits a round; some empty) share members: every (principal, group)
 * pair once, ordered by principal, then by group.
 */
static void test_membership_index(void **state)
{
	appctl_strbuf text = APPCTL_STRBUF_INIT;
	appctl_arena *arena = appctl_arena_new();
	appctl_policy *p = NULL;
	appctl_file f;
	size_t g, m, k, total = 0;

	(void)state;
	appctl_strbuf_puts(&text, "{\"appctl\":1,\"environments\":[\"dev\"],"
		"\"groups\":{");
	for (g = 0; g < 37; g++) {
		appctl_strbuf_printf(&text, "%s\"g%02zu\":[", g ? "," : "", g);
		/*
		 * Group g lists u<(m * 31) % 50> for each m < 50 with
		 * (m * 7 + g) % (g % 5 + 1) == 0, out of order; every
		 * ninth group, from g04, lists none.
		 */
		for (m = 0, k = 0; g % 9 != 4 && m < 50; m++)
			if ((m * 7 + g) % (g % 5 + 1) == 0) {
				appctl_strbuf_printf(&text, "%s\"u%02zu@example.com\"",
					k++ ? "," : "", (m * 31) % 50);
				total++;
			}
		appctl_strbuf_putc(&text, ']');
	}
	appctl_strbuf_puts(&text, "}}");
	assert_false(text.failed);
	memset(&f, 0, sizeof(f));
	f.path = "appctl.json";
	f.data = text.ptr;
	f.len = text.len;
	assert_null(appctl_policy_parse(&p, arena, &f));
	assert_int_equal(p->group_count, 37);
	assert_int_equal(appctl_policy_index_members(p, arena), 0);
	assert_int_equal(p->membership_count, total);
	for (k = 1; k < p->membership_count; k++) {
		const appctl_membership *a = &p->memberships[k - 1],
			*b = &p->memberships[k];
		int c = strcmp(a->principal, b->principal);

		if (c > 0 || (c == 0 && a->group >= b->group))
			fail_msg("entries %zu and %zu out of order", k - 1, k);
	}
	for (k = 0; k < p->membership_count; k++)
		assert_true(appctl_policy_in_group(p, p->memberships[k].group->name,
			p->memberships[k].principal));
	appctl_arena_free(arena);
	appctl_strbuf_dispose(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_access_cases),
		cmocka_unit_test(test_membership_index),
		cmocka_unit_test(test_duplicate_grant_diff),
		cmocka_unit_test(test_expiry_boundary_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
