/* test_scim.c: the SCIM export parser and the merge into a policy, table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/model.h"
#include "appctl/scim.h"

/* Single quotes in the tables become double quotes before parsing. */
#define LIST(resources) \
	"{'schemas':['urn:ietf:params:scim:api:messages:2.0:ListResponse']," \
	"'Resources':[" resources "]}"
#define GROUP(name, members) \
	"{'schemas':['urn:ietf:params:scim:schemas:core:2.0:Group']," \
	"'id':'g-" name "','displayName':'" name "','members':[" members "]}"
#define USER(id, rest) \
	"{'schemas':['urn:ietf:params:scim:schemas:core:2.0:User'],'id':'" id "'," rest "}"

typedef struct scim_case {
	const char *name;
	const char *text;
	const char *want;       /* "group:m1,m2;group2:..." or NULL for an error */
	const char *error_part; /* part of the error message and path */
} scim_case;

static const scim_case cases[] = {
	{ "display names", LIST(GROUP("Ops", "{'value':'1','display':'otto@example.com'}")),
	  "ops:otto@example.com", NULL },
	{ "user name wins, lowercased",
	  LIST(USER("u1", "'userName':'Ann@Example.COM'") ","
	       GROUP("Finance Team", "{'value':'u1','display':'someone@else.example'}")),
	  "finance-team:ann@example.com", NULL },
	{ "primary e-mail, then first",
	  LIST(USER("u1", "'userName':'ann','emails':[{'value':'a@x.example'},{'value':'ann@example.com','primary':true}]") ","
	       USER("u2", "'userName':'bo','emails':[{'value':'bo@example.com'}]") ","
	       GROUP("g", "{'value':'u1'},{'value':'u2'}")),
	  "g:ann@example.com,bo@example.com", NULL },
	{ "duplicates once", LIST(GROUP("g", "{'value':'a@example.com'},{'value':'x','display':'a@example.com'}")),
	  "g:a@example.com", NULL },
	{ "unnameable group skipped", LIST(GROUP("!!!", "{'value':'a@example.com'}")), "", NULL },
	{ "punctuation folded", LIST(GROUP(" Ops / EU (on-call) ", "")), "ops-eu-on-call:", NULL },
	{ "no resources", "{'schemas':['urn:ietf:params:scim:api:messages:2.0:ListResponse']}", "", NULL },
	{ "users only", LIST(USER("u1", "'userName':'a@example.com'")), "", NULL },
	{ "not a list response", "{'schemas':['urn:x'],'Resources':[]}", NULL, "ListResponse" },
	{ "not an object", "[]", NULL, "ListResponse" },
	{ "resources not an array", "{'schemas':['urn:ietf:params:scim:api:messages:2.0:ListResponse'],'Resources':1}",
	  NULL, "$.Resources" },
	{ "resource not an object", LIST("1"), NULL, "$.Resources[0]" },
	{ "display name missing",
	  LIST("{'schemas':['urn:ietf:params:scim:schemas:core:2.0:Group'],'members':[]}"),
	  NULL, "displayName" },
	{ "members not an array",
	  LIST("{'schemas':['urn:ietf:params:scim:schemas:core:2.0:Group'],'displayName':'g','members':{}}"),
	  NULL, "members" },
	{ "member without value", LIST(GROUP("g", "{'display':'a@example.com'}")), NULL, "members[0]" },
	{ "member unnamed", LIST(GROUP("g", "{'value':'00u1','display':'Ann Smith'}")), NULL, "cannot tell" },
	{ "nested by type", LIST(GROUP("g", "{'value':'x','type':'Group'}")), NULL, "nested group" },
	{ "nested by id", LIST(GROUP("a", "") "," GROUP("b", "{'value':'g-a'}")), NULL, "nested group" },
	{ "same name twice", LIST(GROUP("Ops", "") "," GROUP("OPS", "")), NULL, "second group" },
	{ "duplicate keys", "{'schemas':[],'schemas':[]}", NULL, "duplicate" },
};

static char *quoted(const char *text)
{
	char *s = strdup(text), *p;

	assert_non_null(s);
	for (p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

static void test_parse_table(void **state)
{
	size_t i, g, m;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const scim_case *c = &cases[i];
		char *text = quoted(c->text), got[512];
		appctl_file f = { "idp/g.json", text, strlen(text), "" };
		appctl_arena *arena = appctl_arena_new();
		appctl_scim_group *groups;
		size_t count, n = 0;
		appctl_error *err;

		err = appctl_scim_parse(&groups, &count, arena, &f);
		if (!c->want) {
			char *line;

			if (!err)
				fail_msg("case '%s': expected an error", c->name);
			assert_int_equal(err->code, APPCTL_EINPUT);
			line = appctl_error_format(err);
			if (!strstr(line, c->error_part))
				fail_msg("case '%s': '%s' lacks '%s'", c->name,
					line, c->error_part);
			assert_non_null(strstr(line, "idp/g.json"));
			free(line);
			appctl_error_free(err);
		} else {
			if (err)
				fail_msg("case '%s': %s", c->name, err->message);
			got[0] = '\0';
			for (g = 0; g < count; g++) {
				n += (size_t)snprintf(got + n, sizeof(got) - n,
					"%s%s:", g ? ";" : "", groups[g].name);
				for (m = 0; m < groups[g].member_count; m++)
					n += (size_t)snprintf(got + n, sizeof(got) - n,
						"%s%s", m ? "," : "",
						groups[g].members[m]);
			}
			if (strcmp(got, c->want) != 0)
				fail_msg("case '%s': got '%s', want '%s'", c->name,
					got, c->want);
		}
		appctl_arena_free(arena);
		free(text);
	}
}

static void test_group_name(void **state)
{
	char buf[64], long_name[200];

	(void)state;
	assert_int_equal(appctl_scim_group_name(buf, sizeof(buf), "Release Managers"), 0);
	assert_string_equal(buf, "release-managers");
	assert_int_equal(appctl_scim_group_name(buf, sizeof(buf), "_x_"), 0);
	assert_string_equal(buf, "x");
	assert_int_equal(appctl_scim_group_name(buf, sizeof(buf), "a.b_c"), 0);
	assert_string_equal(buf, "a.b_c");
	assert_int_equal(appctl_scim_group_name(buf, sizeof(buf), ""), -1);
	assert_int_equal(appctl_scim_group_name(buf, sizeof(buf), "\xe5\x96\xb6"), -1);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(appctl_scim_group_name(buf, sizeof(buf), long_name), -1);
	long_name[63] = '\0';
	assert_int_equal(appctl_scim_group_name(buf, sizeof(buf), long_name), 0);
	assert_int_equal(appctl_scim_group_name(buf, 10, "a"), -1);
}

static appctl_policy *policy_with(appctl_arena *arena, const char *text)
{
	char *t = quoted(text);
	appctl_file f = { "appctl.json", t, strlen(t), "" };
	appctl_policy *p = NULL;
	appctl_error *err = appctl_policy_parse(&p, arena, &f);

	if (err)
		fail_msg("policy: %s", err->message);
	/* The arena keeps only what it copied; the text can go. */
	free(t);
	return p;
}

static void test_merge(void **state)
{
	appctl_arena *arena = appctl_arena_new();
	char *a = quoted(LIST(GROUP("Zeta", "{'value':'z@example.com'}") "," GROUP("Alpha", "{'value':'a@example.com'}")));
	char *b = quoted(LIST(GROUP("Support", "{'value':'s@example.com'}")));
	appctl_file files[2] = { { "idp/b.json", b, strlen(b), "" },
				 { "idp/a.json", a, strlen(a), "" } };
	appctl_policy *p;
	appctl_error *err;

	(void)state;
	p = policy_with(arena, "{'appctl':1,'environments':['dev'],'groups':{'mid':['m@example.com']},"
		"'groups_from':['idp/a.json','idp/b.json']}");
	/* An index of the groups before the merge must not outlive it. */
	assert_int_equal(appctl_policy_index_members(p, arena), 0);
	assert_int_equal(p->membership_count, 1);
	assert_null(appctl_policy_merge_scim(p, arena, files, 2));
	assert_null(p->memberships);
	assert_int_equal(appctl_policy_index_members(p, arena), 0);
	assert_int_equal(p->group_count, 4);
	assert_string_equal(p->groups[0].name, "alpha");
	assert_string_equal(p->groups[0].source, "idp/a.json");
	assert_string_equal(p->groups[1].name, "mid");
	assert_null(p->groups[1].source);
	assert_string_equal(p->groups[2].name, "support");
	assert_string_equal(p->groups[2].source, "idp/b.json");
	assert_string_equal(p->groups[3].name, "zeta");
	assert_non_null(appctl_policy_group(p, "support"));
	/* The index of memberships is the merged groups'. */
	{
		const appctl_membership *first;

		assert_int_equal(p->membership_count, 4);
		assert_int_equal(appctl_policy_groups_of(p, "s@example.com", &first), 1);
		assert_ptr_equal(first->group, appctl_policy_group(p, "support"));
		assert_int_equal(appctl_policy_groups_of(p, "m@example.com", &first), 1);
		assert_ptr_equal(first->group, appctl_policy_group(p, "mid"));
		assert_int_equal(appctl_policy_groups_of(p, "x@example.com", &first), 0);
		assert_null(first);
	}

	/* A group in appctl.json and an export: one source of truth. */
	p = policy_with(arena, "{'appctl':1,'environments':['dev'],'groups':{'support':['m@example.com']},"
		"'groups_from':'idp/b.json'}");
	err = appctl_policy_merge_scim(p, arena, files, 2);
	assert_non_null(err);
	assert_int_equal(err->code, APPCTL_EINPUT);
	assert_string_equal(err->file, "idp/b.json");
	assert_non_null(strstr(err->message, "also defined in appctl.json"));
	appctl_error_free(err);

	/* A named file that was not read. */
	p = policy_with(arena, "{'appctl':1,'environments':['dev'],'groups_from':['idp/a.json','idp/b.json','idp/c.json']}");
	err = appctl_policy_merge_scim(p, arena, files, 2);
	assert_non_null(err);
	assert_non_null(strstr(err->message, "no such file"));
	assert_string_equal(err->file, "idp/c.json");
	appctl_error_free(err);

	/* Without groups_from nothing is read. */
	p = policy_with(arena, "{'appctl':1,'environments':['dev']}");
	assert_null(appctl_policy_merge_scim(p, arena, NULL, 0));
	assert_int_equal(p->group_count, 0);
	appctl_arena_free(arena);
	free(a);
	free(b);
}

static void test_huge_export(void **state)
{
	/* Many groups and members: linear enough to stay fast, all kept. */
	size_t n = 2000, i, len = 0, cap = n * 200 + 200;
	char *text = malloc(cap);
	appctl_file f;
	appctl_arena *arena = appctl_arena_new();
	appctl_scim_group *groups;
	size_t count;

	(void)state;
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len,
		"{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"],\"Resources\":[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
			"%s{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],"
			"\"displayName\":\"g%zu\",\"members\":[{\"value\":\"u%zu@example.com\"}]}",
			i ? "," : "", i, i);
	len += (size_t)snprintf(text + len, cap - len, "]}");
	f.path = "idp/big.json";
	f.data = text;
	f.len = len;
	f.id[0] = '\0';
	assert_null(appctl_scim_parse(&groups, &count, arena, &f));
	assert_int_equal(count, n);
	assert_string_equal(groups[n - 1].members[0], "u1999@example.com");
	appctl_arena_free(arena);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_group_name),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_huge_export),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
