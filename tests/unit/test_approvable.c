/* test_approvable.c: whether a policy can ever be met with the keys of its allowed_signers (pure core). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/approvable.h"
#include "appctl/arena.h"
#include "appctl/model.h"

/* A real ed25519 public key (the blob only matters to the parser). */
#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDaIE8Sp7oNKeDJFzRYGTaGHVQ3CBM1MWhlriVKCCoi4"
/* 2026-11-29T00:00:00Z */
#define NOW 1795910400

#define POLICY(groups, required, rules, approvers, sig)                        \
	"{\"appctl\":1,\"environments\":[\"dev\",\"staging\",\"prod\"],"            \
	"\"groups\":" groups ",\"signers\":\"allowed_signers\","                  \
	"\"approvals\":{\"required\":" required ",\"rules\":" rules                 \
	",\"approvers\":" approvers ",\"require_signature\":" sig "}}"

#define RM_GROUPS "{\"rm\":[\"ann@example.com\",\"bo@example.com\"],\"sec\":[\"sam@example.com\"]}"
#define REQ_2 "{\"dashboard\":1,\"admin_panel\":2,\"client_portal\":2}"
#define REQ_1 "{\"dashboard\":1,\"admin_panel\":1,\"client_portal\":1}"
#define RULES "[{\"when\":\"policy\",\"group\":\"rm\",\"count\":2}]"
#define APPROVERS "[\"group:rm\",\"group:sec\"]"

typedef struct approvable_case {
	const char *name;
	const char *policy;
	const char *signers;
	int approvable;
	size_t keyed;
	const char *missing; /* a substring of the first missing line, or NULL */
} approvable_case;

static const approvable_case cases[] = {
	{ "no keys at all", POLICY(RM_GROUPS, REQ_2, RULES, APPROVERS, "true"),
	  "# only comments\n", 0, 0, "nobody can approve a change" },
	{ "everyone keyed", POLICY(RM_GROUPS, REQ_2, RULES, APPROVERS, "true"),
	  "ann@example.com namespaces=\"appctl\" " KEY "\n"
	  "bo@example.com namespaces=\"appctl\" " KEY "\n", 1, 2, NULL },
	{ "one key, counts of two", POLICY(RM_GROUPS, REQ_2, RULES, APPROVERS, "true"),
	  "ann@example.com namespaces=\"appctl\" " KEY "\n", 0, 1,
	  "a change to an app of class admin_panel needs 2 approvers" },
	{ "one key, counts of one but a rule of two",
	  POLICY(RM_GROUPS, REQ_1, RULES, APPROVERS, "true"),
	  "sam@example.com " KEY "\n", 0, 1, "the \"policy\" rule needs 2 approvers of group rm" },
	{ "key for another namespace", POLICY(RM_GROUPS, REQ_1, "[]", APPROVERS, "true"),
	  "ann@example.com namespaces=\"git\" " KEY "\n", 0, 0, "nobody" },
	{ "expired key", POLICY(RM_GROUPS, REQ_1, "[]", APPROVERS, "true"),
	  "ann@example.com valid-before=\"20200101\" " KEY "\n", 0, 0, "nobody" },
	{ "a pattern covers the approver", POLICY(RM_GROUPS, REQ_1, "[]", APPROVERS, "true"),
	  "*@example.com namespaces=\"appctl\" " KEY "\n", 1, 3, NULL },
	{ "a key of someone who is no approver", POLICY(RM_GROUPS, REQ_1, "[]", APPROVERS, "true"),
	  "eve@example.com " KEY "\n", 0, 0, "nobody" },
	{ "no signatures required: names suffice",
	  POLICY(RM_GROUPS, REQ_2, RULES, APPROVERS, "false"), "", 1, 3, NULL },
};

static void test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const approvable_case *c = &cases[i];
		appctl_arena *arena = appctl_arena_new();
		appctl_file f = { "appctl.json", c->policy, strlen(c->policy), "" };
		appctl_approvability a = APPCTL_APPROVABILITY_INIT;
		appctl_policy *p = NULL;
		appctl_error *err;

		assert_non_null(arena);
		err = appctl_policy_parse(&p, arena, &f);
		if (err)
			fail_msg("%s: %s", c->name, err->message);
		assert_null(appctl_policy_approvability_text(&a, p, c->signers,
			strlen(c->signers), NOW));
		if (a.approvable != c->approvable || a.keyed != c->keyed)
			fail_msg("%s: approvable %d keyed %zu, want %d %zu", c->name,
				a.approvable, a.keyed, c->approvable, c->keyed);
		assert_int_equal(a.approvable, a.missing_count == 0);
		if (c->missing && (!a.missing_count || !strstr(a.missing[0], c->missing)))
			fail_msg("%s: missing '%s', want '%s'", c->name,
				a.missing_count ? a.missing[0] : "", c->missing);
		appctl_approvability_dispose(&a);
		appctl_arena_free(arena);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
