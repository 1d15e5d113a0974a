/* test_model.c: the strict schema of app.json and appctl.json (SPEC §1.1, §1.2, §6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/model.h"

/* A valid app; cases below replace one piece of it. */
#define APP_HEAD "{\"name\":\"shop\",\"class\":\"admin_panel\","                  \
	"\"owners\":{\"business\":\"ann@example.com\",\"technical\":\"bo@example.com\"},"
#define DATA "\"data\":{\"orders\":{\"source\":\"pg\",\"tenant_key\":\"t\","          \
	"\"retention_days\":30,\"fields\":{\"email\":{\"sensitivity\":\"pii\"},\"id\":{}}}},"
#define INTEG "\"integrations\":{\"pg\":{\"kind\":\"postgres\",\"owner\":\"bo@example.com\"," \
	"\"scopes\":[\"read\"],\"credential\":{\"prod\":\"secret://v/p\",\"dev\":\"env://PG\"}," \
	"\"on_failure\":\"fail_closed\",\"rate_limit_per_min\":10}}"

typedef struct app_case {
	const char *name;
	const char *dir;
	const char *json;
	const char *path;     /* NULL: must parse */
	const char *message;
} app_case;

static const app_case app_cases[] = {
	{ "valid", "shop", APP_HEAD DATA
	  "\"roles\":{\"Ops\":{\"members\":[\"dan@example.com\",\"group:support\","
	  "{\"principal\":\"cy@contractor.example\",\"expires\":\"2026-12-31\"}],"
	  "\"grants\":[{\"resource\":\"orders\",\"actions\":[\"read\",\"launch\"],"
	  "\"hidden_fields\":[\"email\"]}]}},"
	  "\"pages\":{\"Orders\":{\"resource\":\"orders\",\"roles\":[\"Ops\"],\"layout\":{\"x\":1}}},"
	  INTEG "}", NULL, NULL },
	{ "unknown top-level field", "shop", APP_HEAD "\"colour\":\"red\"}", "$.colour", "unknown field" },
	{ "unknown field deep", "shop", APP_HEAD "\"roles\":{\"A\":{\"grants\":[{\"resource\":\"x\",\"actions\":[\"read\"],\"when\":1}]}}}",
	  "$.roles.A.grants[0].when", "unknown field" },
	{ "name mismatch", "other", APP_HEAD "\"data\":{}}", "$.name", "differs from its folder" },
	{ "bad name", "Shop", "{\"name\":\"Shop\",\"class\":\"dashboard\"}", "$.name", "not a valid app name" },
	{ "missing name", "shop", "{\"class\":\"dashboard\"}", "$", "missing required field \"name\"" },
	{ "bad class", "shop", "{\"name\":\"shop\",\"class\":\"kiosk\"}", "$.class", "unknown class" },
	{ "class wrong type", "shop", "{\"name\":\"shop\",\"class\":3}", "$.class", "expected a string, found a number" },
	{ "root is array", "shop", "[]", "$", "expected an object, found an array" },
	{ "bad owner", "shop", "{\"name\":\"shop\",\"class\":\"dashboard\",\"owners\":{\"business\":\"ann\"}}",
	  "$.owners.business", "not a valid principal" },
	{ "secret pasted as owner is not echoed", "shop", "{\"name\":\"shop\",\"class\":\"dashboard\","
	  "\"owners\":{\"business\":\"ghp_R4nd0mT0k3nV4lu3Xq9Zp2Lm8Kj5Hg7Fd1Sa0\"}}",
	  "$.owners.business", "\"(redacted)\" is not a valid principal" },
	{ "long value is cut", "shop", "{\"name\":\"shop\",\"class\":\"dashboard-and-a-very-long-name-that-goes-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on\"}",
	  "$.class", "...\" (expected dashboard" },
	{ "bad member principal", "shop", APP_HEAD "\"roles\":{\"A\":{\"members\":[\"not an email\"]}}}",
	  "$.roles.A.members[0]", "not a valid principal" },
	{ "member wrong type", "shop", APP_HEAD "\"roles\":{\"A\":{\"members\":[7]}}}",
	  "$.roles.A.members[0]", "found a number" },
	{ "bad group reference", "shop", APP_HEAD "\"roles\":{\"A\":{\"members\":[\"group:\"]}}}",
	  "$.roles.A.members[0]", "not a valid group reference" },
	{ "duplicate member", "shop", APP_HEAD "\"roles\":{\"A\":{\"members\":[\"a@b.co\",\"a@b.co\"]}}}",
	  "$.roles.A.members[1]", "listed twice" },
	{ "bad expiry date", "shop", APP_HEAD "\"roles\":{\"A\":{\"members\":[{\"principal\":\"a@b.co\",\"expires\":\"2026-02-30\"}]}}}",
	  "$.roles.A.members[0].expires", "not an ISO date" },
	{ "member object extra key", "shop", APP_HEAD "\"roles\":{\"A\":{\"members\":[{\"principal\":\"a@b.co\",\"role\":\"x\"}]}}}",
	  "$.roles.A.members[0].role", "unknown field" },
	{ "grant without actions", "shop", APP_HEAD "\"roles\":{\"A\":{\"grants\":[{\"resource\":\"x\"}]}}}",
	  "$.roles.A.grants[0]", "missing required field \"actions\"" },
	{ "grant empty actions", "shop", APP_HEAD "\"roles\":{\"A\":{\"grants\":[{\"resource\":\"x\",\"actions\":[]}]}}}",
	  "$.roles.A.grants[0].actions", "at least one action" },
	{ "grants not array", "shop", APP_HEAD "\"roles\":{\"A\":{\"grants\":{}}}}",
	  "$.roles.A.grants", "expected an array" },
	{ "bad sensitivity", "shop", APP_HEAD "\"data\":{\"d\":{\"fields\":{\"f\":{\"sensitivity\":\"secret\"}}}}}",
	  "$.data.d.fields.f.sensitivity", "unknown sensitivity" },
	{ "retention not integer", "shop", APP_HEAD "\"data\":{\"d\":{\"retention_days\":1.5}}}",
	  "$.data.d.retention_days", "expected an integer" },
	{ "retention beyond 2^53", "shop", APP_HEAD "\"data\":{\"d\":{\"retention_days\":9007199254740993}}}",
	  "$.data.d.retention_days", "expected an integer" },
	{ "retention negative", "shop", APP_HEAD "\"data\":{\"d\":{\"retention_days\":-1}}}",
	  "$.data.d.retention_days", "between" },
	{ "bad on_failure", "shop", APP_HEAD "\"integrations\":{\"i\":{\"kind\":\"k\",\"on_failure\":\"shrug\"}}}",
	  "$.integrations.i.on_failure", "unknown value" },
	{ "integration without kind", "shop", APP_HEAD "\"integrations\":{\"i\":{}}}",
	  "$.integrations.i", "missing required field \"kind\"" },
	{ "credential wrong type", "shop", APP_HEAD "\"integrations\":{\"i\":{\"kind\":\"k\",\"credential\":{\"prod\":1}}}}",
	  "$.integrations.i.credential.prod", "expected a string" },
	{ "credential bad env", "shop", APP_HEAD "\"integrations\":{\"i\":{\"kind\":\"k\",\"credential\":{\"Prod!\":\"env://X\"}}}}",
	  "$.integrations.i.credential[\"Prod!\"]", "not a valid environment" },
	{ "duplicate scope", "shop", APP_HEAD "\"integrations\":{\"i\":{\"kind\":\"k\",\"scopes\":[\"a\",\"a\"]}}}",
	  "$.integrations.i.scopes[1]", "listed twice" },
	{ "empty string", "shop", APP_HEAD "\"integrations\":{\"i\":{\"kind\":\"\"}}}",
	  "$.integrations.i.kind", "must not be empty" },
	{ "page roles wrong type", "shop", APP_HEAD "\"pages\":{\"P\":{\"roles\":\"A\"}}}",
	  "$.pages.P.roles", "expected an array" },
	{ "duplicate key inside", "shop", APP_HEAD "\"roles\":{},\"roles\":{}}", "$.roles", "duplicate key" },
	{ "descriptions, storage, data flow and ai", "shop", APP_HEAD
	  "\"description\":\"Orders desk for the ops team\","
	  "\"data\":{\"orders\":{\"storage\":\"cached\",\"description\":\"d\","
	  "\"fields\":{\"id\":{\"description\":\"key\"}}}},"
	  "\"roles\":{\"Ops\":{\"description\":\"r\"}},"
	  "\"pages\":{\"P\":{\"description\":\"p\"}},"
	  "\"ai\":{\"reads\":[{\"resource\":\"orders\",\"fields\":[\"id\"]},{\"resource\":\"x\"}],"
	  "\"justification\":\"j\",\"description\":\"d\"},"
	  "\"integrations\":{\"pg\":{\"kind\":\"postgres\",\"description\":\"d\","
	  "\"reads\":[\"orders\"],\"writes\":[\"orders\"]}}}", NULL, NULL },
	{ "bad storage", "shop", APP_HEAD "\"data\":{\"d\":{\"storage\":\"forever\"}}}",
	  "$.data.d.storage", "unknown value \"forever\" (expected live, cached or stored)" },
	{ "description not a string", "shop", APP_HEAD "\"description\":[]}", "$.description", "expected a string" },
	{ "ai read without resource", "shop", APP_HEAD "\"ai\":{\"reads\":[{\"fields\":[\"a\"]}]}}",
	  "$.ai.reads[0]", "missing required field \"resource\"" },
	{ "ai unknown key", "shop", APP_HEAD "\"ai\":{\"model\":\"x\"}}", "$.ai.model", "unknown field" },
	{ "integration reads twice", "shop", APP_HEAD "\"integrations\":{\"i\":{\"kind\":\"k\",\"reads\":[\"a\",\"a\"]}}}",
	  "$.integrations.i.reads[1]", "listed twice" },
	/* "Did you mean": a close key or value is named. */
	{ "key one letter short", "shop", APP_HEAD "\"role\":{}}", "$.role",
	  "unknown field \"role\" (did you mean \"roles\"?)" },
	{ "key in another case", "shop", APP_HEAD "\"Roles\":{}}", "$.Roles",
	  "unknown field \"Roles\" (did you mean \"roles\"?)" },
	{ "key transposed", "shop", APP_HEAD "\"integartions\":{}}", "$.integartions",
	  "(did you mean \"integrations\"?)" },
	{ "key far from all", "shop", APP_HEAD "\"colour\":\"red\"}", "$.colour",
	  "unknown field \"colour\"" },
	{ "nested key misspelt", "shop", APP_HEAD "\"roles\":{\"A\":{\"member\":[]}}}", "$.roles.A.member",
	  "unknown field \"member\" (did you mean \"members\"?)" },
	{ "class misspelt", "shop", "{\"name\":\"shop\",\"class\":\"dashbord\"}", "$.class",
	  "unknown class \"dashbord\" (did you mean \"dashboard\"?)" },
	{ "class in capitals", "shop", "{\"name\":\"shop\",\"class\":\"ADMIN_PANEL\"}", "$.class",
	  "(did you mean \"admin_panel\"?)" },
	{ "sensitivity misspelt", "shop", APP_HEAD "\"data\":{\"d\":{\"fields\":{\"f\":{\"sensitivity\":\"restriced\"}}}}}",
	  "$.data.d.fields.f.sensitivity", "unknown sensitivity \"restriced\" (did you mean \"restricted\"?)" },
	{ "storage misspelt", "shop", APP_HEAD "\"data\":{\"d\":{\"storage\":\"cahced\"}}}",
	  "$.data.d.storage", "unknown value \"cahced\" (did you mean \"cached\"?)" },
	{ "on_failure misspelt", "shop", APP_HEAD "\"integrations\":{\"i\":{\"kind\":\"k\",\"on_failure\":\"fail_close\"}}}",
	  "$.integrations.i.on_failure", "(did you mean \"fail_closed\"?)" },
	{ "short key suggests nothing", "shop", APP_HEAD "\"x\":1}", "$.x", "unknown field \"x\"" },
	/* "$schema" at the top, for editors; nowhere else. */
	{ "$schema accepted", "shop", "{\"$schema\":\"../../schema/app.schema.json\",\"name\":\"shop\",\"class\":\"dashboard\"}", NULL, NULL },
	{ "$schema not a string", "shop", "{\"$schema\":1,\"name\":\"shop\",\"class\":\"dashboard\"}",
	  "$[\"$schema\"]", "expected a string" },
	{ "$schema only at the top", "shop", APP_HEAD "\"roles\":{\"A\":{\"$schema\":\"x\"}}}",
	  "$.roles.A[\"$schema\"]", "unknown field" },
};

static void test_app_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(app_cases) / sizeof(app_cases[0]); i++) {
		const app_case *c = &app_cases[i];
		appctl_arena *arena = appctl_arena_new();
		appctl_file f = { "apps/x/app.json", c->json, strlen(c->json), "" };
		appctl_app *app = NULL;
		appctl_error *err = appctl_app_parse(&app, arena, &f, c->dir);

		if (!c->path) {
			if (err)
				fail_msg("%s: unexpected error at %s: %s", c->name,
					err->path ? err->path : "-", err->message);
			assert_non_null(app);
		} else {
			if (!err)
				fail_msg("%s: expected an error", c->name);
			assert_int_equal(err->code, APPCTL_EINPUT);
			assert_string_equal(err->file, "apps/x/app.json");
			if (!err->path || strcmp(err->path, c->path) != 0)
				fail_msg("%s: path '%s', expected '%s'", c->name,
					err->path ? err->path : "(none)", c->path);
			if (!strstr(err->message, c->message))
				fail_msg("%s: message '%s' lacks '%s'", c->name,
					err->message, c->message);
		}
		appctl_error_free(err);
		appctl_arena_free(arena);
	}
}

static void test_app_model(void **state)
{
	const char *json = app_cases[0].json;
	appctl_arena *arena = appctl_arena_new();
	appctl_file f = { "apps/shop/app.json", json, strlen(json), "" };
	const appctl_integration *pg;
	const appctl_resource *orders;
	const appctl_role *ops;
	appctl_app *app = NULL;

	(void)state;
	assert_null(appctl_app_parse(&app, arena, &f, "shop"));
	assert_int_equal(app->app_class, APPCTL_CLASS_ADMIN_PANEL);
	assert_string_equal(app->business_owner, "ann@example.com");
	orders = appctl_app_resource(app, "orders");
	assert_non_null(orders);
	assert_int_equal(orders->retention_days, 30);
	assert_int_equal(orders->field_count, 2);
	/* Named collections are sorted. */
	assert_string_equal(orders->fields[0].name, "email");
	assert_int_equal(appctl_resource_field(orders, "email")->sensitivity,
		APPCTL_SENS_PII);
	assert_int_equal(appctl_resource_field(orders, "id")->sensitivity,
		APPCTL_SENS_PUBLIC);
	ops = appctl_app_role(app, "Ops");
	assert_non_null(ops);
	assert_int_equal(ops->member_count, 3);
	assert_int_equal(ops->members[1].kind, APPCTL_MEMBER_GROUP);
	assert_string_equal(ops->members[1].name, "support");
	assert_true(ops->members[2].has_expires);
	assert_int_equal(ops->grants[0].actions, APPCTL_ACTION_READ);
	assert_int_equal(ops->grants[0].unknown_action_count, 1);
	assert_string_equal(ops->grants[0].unknown_actions[0], "launch");
	pg = appctl_app_integration(app, "pg");
	assert_non_null(pg);
	assert_int_equal(pg->credential_count, 2);
	assert_string_equal(pg->credentials[0].env, "dev");
	assert_string_equal(pg->credentials[1].ref, "secret://v/p");
	assert_int_equal(app->page_count, 1);
	assert_string_equal(app->pages[0].canonical,
		"{\"layout\":{\"x\":1},\"resource\":\"orders\",\"roles\":[\"Ops\"]}");
	appctl_arena_free(arena);
}

typedef struct policy_case {
	const char *name;
	const char *json;
	const char *path;
	const char *message;
} policy_case;

#define POLICY_OK "{\"appctl\":1,\"environments\":[\"dev\",\"staging\",\"prod\"]," \
	"\"groups\":{\"support\":[\"dan@example.com\"],\"security\":[\"sam@example.com\"]}," \
	"\"signers\":\"allowed_signers\",\"approvals\":{\"required\":{\"dashboard\":1," \
	"\"admin_panel\":2,\"client_portal\":2},\"rules\":[{\"when\":\"integration\"," \
	"\"group\":\"security\",\"count\":1}],\"approvers\":[\"group:security\",\"rita@example.com\"]," \
	"\"allow_self_approval\":false,\"require_signature\":true},\"rollback\":{\"required\":0}," \
	"\"notify\":[{\"url\":\"https://hooks.example.com/x\",\"events\":[\"promote\",\"rollback\"]," \
	"\"secret\":\"env://S\"}],\"break_glass\":{\"group\":\"security\",\"count\":1}," \
	"\"freeze\":[{\"envs\":[\"prod\"],\"from\":\"2026-12-20\",\"to\":\"2027-01-02\",\"reason\":\"holidays\"}]}"

static const policy_case policy_cases[] = {
	{ "valid", POLICY_OK, NULL, NULL },
	{ "missing version", "{\"environments\":[\"dev\"]}", "$", "missing required field \"appctl\"" },
	{ "version 2", "{\"appctl\":2,\"environments\":[\"dev\"]}", "$.appctl", "between 1 and 1" },
	{ "no environments", "{\"appctl\":1}", "$", "missing required field \"environments\"" },
	{ "empty environments", "{\"appctl\":1,\"environments\":[]}", "$.environments", "at least one" },
	{ "bad env name", "{\"appctl\":1,\"environments\":[\"dev\",\"Prod\"]}", "$.environments[1]", "not a valid environment" },
	{ "repeated env", "{\"appctl\":1,\"environments\":[\"dev\",\"dev\"]}", "$.environments[1]", "listed twice" },
	{ "nested group", "{\"appctl\":1,\"environments\":[\"dev\"],\"groups\":{\"a\":[\"group:b\"],\"b\":[]}}",
	  "$.groups.a[0]", "groups cannot contain groups" },
	{ "bad group member", "{\"appctl\":1,\"environments\":[\"dev\"],\"groups\":{\"a\":[\"x\"]}}",
	  "$.groups.a[0]", "not a valid principal" },
	/* Paths are made only for wrong entries: the index must still be right. */
	{ "bad member after good ones", "{\"appctl\":1,\"environments\":[\"dev\"],\"groups\":{\"a\":[\"p@q.co\",\"r@q.co\",\"x\"]}}",
	  "$.groups.a[2]", "not a valid principal" },
	{ "member not a string", "{\"appctl\":1,\"environments\":[\"dev\"],\"groups\":{\"a\":[\"p@q.co\",7]}}",
	  "$.groups.a[1]", "expected a string" },
	{ "empty member", "{\"appctl\":1,\"environments\":[\"dev\"],\"groups\":{\"a\":[\"p@q.co\",\"r@q.co\",\"\"]}}",
	  "$.groups.a[2]", "must not be empty" },
	{ "member twice", "{\"appctl\":1,\"environments\":[\"dev\"],\"groups\":{\"a\":[\"p@q.co\",\"r@q.co\",\"p@q.co\"]}}",
	  "$.groups.a[2]", "listed twice" },
	{ "unknown field", "{\"appctl\":1,\"environments\":[\"dev\"],\"approval\":{}}", "$.approval", "unknown field" },
	{ "unknown class in required", "{\"appctl\":1,\"environments\":[\"dev\"],\"approvals\":{\"required\":{\"kiosk\":1}}}",
	  "$.approvals.required.kiosk", "unknown class" },
	{ "rule kind", "{\"appctl\":1,\"environments\":[\"dev\"],\"approvals\":{\"rules\":[{\"when\":\"always\",\"group\":\"g\",\"count\":1}]}}",
	  "$.approvals.rules[0].when", "unknown rule kind" },
	{ "rule count zero", "{\"appctl\":1,\"environments\":[\"dev\"],\"approvals\":{\"rules\":[{\"when\":\"data\",\"group\":\"g\",\"count\":0}]}}",
	  "$.approvals.rules[0].count", "between 1" },
	{ "self approval type", "{\"appctl\":1,\"environments\":[\"dev\"],\"approvals\":{\"allow_self_approval\":\"no\"}}",
	  "$.approvals.allow_self_approval", "expected a boolean" },
	{ "approver expiry object", "{\"appctl\":1,\"environments\":[\"dev\"],\"approvals\":{\"approvers\":[{\"principal\":\"a@b.co\"}]}}",
	  "$.approvals.approvers[0]", "expected a principal" },
	{ "signers escapes", "{\"appctl\":1,\"environments\":[\"dev\"],\"signers\":\"../etc/passwd\"}",
	  "$.signers", "inside the repository" },
	{ "notify event", "{\"appctl\":1,\"environments\":[\"dev\"],\"notify\":[{\"url\":\"https://x.example\",\"events\":[\"deploy\"]}]}",
	  "$.notify[0].events[0]", "unknown event" },
	{ "freeze without envs", "{\"appctl\":1,\"environments\":[\"dev\"],\"freeze\":[{\"from\":\"2026-12-20\",\"to\":\"2027-01-02T08:00Z\"}]}",
	  "$.freeze[0]", "missing required field \"envs\"" },
#define P0 "{\"appctl\":1,\"environments\":[\"dev\"],"
	{ "org settings", P0 "\"description\":\"d\",\"groups_from\":[\"idp/groups.scim.json\"],"
	  "\"role_templates\":{\"admin_panel\":{\"Admin\":{\"actions\":[\"read\",\"admin\"]},\"Viewer\":{\"actions\":[\"read\"],\"description\":\"v\"}}},"
	  "\"lint\":{\"rules\":{\"integration.owner-missing\":{\"severity\":\"warning\",\"justification\":\"j\"}},"
	  "\"broad_scopes\":[\"everything\"],\"integration_name_pattern\":\"^[a-z][a-z0-9-]*$\",\"admin_panel_max_writers\":5}}", NULL, NULL },
	{ "groups_from one path", P0 "\"groups_from\":\"idp/g.json\"}", NULL, NULL },
	{ "groups_from escapes", P0 "\"groups_from\":[\"/etc/group\"]}", "$.groups_from[0]", "inside the repository" },
	{ "groups_from wrong type", P0 "\"groups_from\":3}", "$.groups_from", "expected a path or an array" },
	{ "template unknown class", P0 "\"role_templates\":{\"kiosk\":{}}}", "$.role_templates.kiosk", "unknown class" },
	{ "template with no action", P0 "\"role_templates\":{\"dashboard\":{\"V\":{\"actions\":[]}}}}",
	  "$.role_templates.dashboard.V.actions", "must list at least one action" },
	{ "template unknown action", P0 "\"role_templates\":{\"dashboard\":{\"V\":{\"actions\":[\"peek\"]}}}}",
	  "$.role_templates.dashboard.V.actions[0]", "unknown action" },
	{ "lint unknown rule", P0 "\"lint\":{\"rules\":{\"no.such\":{\"severity\":\"off\",\"justification\":\"j\"}}}}",
	  "$.lint.rules[\"no.such\"]", "unknown lint rule" },
	{ "lint override without justification", P0 "\"lint\":{\"rules\":{\"integration.owner-missing\":{\"severity\":\"off\"}}}}",
	  "$.lint.rules[\"integration.owner-missing\"]", "missing required field \"justification\"" },
	{ "lint bad severity", P0 "\"lint\":{\"rules\":{\"integration.owner-missing\":{\"severity\":\"info\",\"justification\":\"j\"}}}}",
	  "$.lint.rules[\"integration.owner-missing\"].severity", "expected off, warning or error" },
	{ "lint bad pattern", P0 "\"lint\":{\"integration_name_pattern\":\"([a-z\"}}", "$.lint.integration_name_pattern", "not a valid POSIX" },
	{ "misspelt section", P0 "\"approval\":{}}", "$.approval",
	  "unknown field \"approval\" (did you mean \"approvals\"?)" },
	{ "rule kind misspelt", P0 "\"approvals\":{\"rules\":[{\"when\":\"acess\",\"group\":\"g\",\"count\":1}]}}",
	  "$.approvals.rules[0].when", "unknown rule kind \"acess\" (did you mean \"access\"?)" },
	{ "required class misspelt", P0 "\"approvals\":{\"required\":{\"admin-panel\":1}}}",
	  "$.approvals.required.admin-panel", "(did you mean \"admin_panel\"?)" },
	{ "template action misspelt", P0 "\"role_templates\":{\"dashboard\":{\"V\":{\"actions\":[\"raed\"]}}}}",
	  "$.role_templates.dashboard.V.actions[0]", "unknown action \"raed\" (did you mean \"read\"?)" },
	{ "lint rule misspelt", P0 "\"lint\":{\"rules\":{\"integration.owner-mising\":{\"severity\":\"off\",\"justification\":\"j\"}}}}",
	  "$.lint.rules[\"integration.owner-mising\"]", "(did you mean \"integration.owner-missing\"?)" },
	{ "lint severity misspelt", P0 "\"lint\":{\"rules\":{\"integration.owner-missing\":{\"severity\":\"warn\",\"justification\":\"j\"}}}}",
	  "$.lint.rules[\"integration.owner-missing\"].severity", "(did you mean \"warning\"?)" },
	{ "notify event misspelt", P0 "\"notify\":[{\"url\":\"https://x.example\",\"events\":[\"promte\"]}]}",
	  "$.notify[0].events[0]", "(did you mean \"promote\"?)" },
	{ "$schema accepted", P0 "\"$schema\":\"schema/appctl.schema.json\"}", NULL, NULL },
	{ "freeze bad date", P0 "\"freeze\":[{\"envs\":[\"dev\"],\"from\":\"2026-02-30\",\"to\":\"2026-03-01\"}]}",
	  "$.freeze[0].from", "not an ISO date or date-time" },
	{ "freeze bad time", P0 "\"freeze\":[{\"envs\":[\"dev\"],\"from\":\"2026-02-01\",\"to\":\"2026-03-01T25:00\"}]}",
	  "$.freeze[0].to", "not an ISO date or date-time" },
#undef P0
};

static void test_policy_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(policy_cases) / sizeof(policy_cases[0]); i++) {
		const policy_case *c = &policy_cases[i];
		appctl_arena *arena = appctl_arena_new();
		appctl_file f = { "appctl.json", c->json, strlen(c->json), "" };
		appctl_policy *p = NULL;
		appctl_error *err = appctl_policy_parse(&p, arena, &f);

		if (!c->path) {
			if (err)
				fail_msg("%s: unexpected error at %s: %s", c->name,
					err->path ? err->path : "-", err->message);
		} else {
			if (!err)
				fail_msg("%s: expected an error", c->name);
			if (!err->path || strcmp(err->path, c->path) != 0)
				fail_msg("%s: path '%s', expected '%s'", c->name,
					err->path ? err->path : "(none)", c->path);
			if (!strstr(err->message, c->message))
				fail_msg("%s: message '%s' lacks '%s'", c->name,
					err->message, c->message);
		}
		appctl_error_free(err);
		appctl_arena_free(arena);
	}
}

static void test_policy_model(void **state)
{
	appctl_arena *arena = appctl_arena_new();
	appctl_file f = { "appctl.json", POLICY_OK, strlen(POLICY_OK), "" };
	appctl_policy *p = NULL;

	(void)state;
	assert_null(appctl_policy_parse(&p, arena, &f));
	assert_int_equal(p->environment_count, 3);
	assert_string_equal(p->environments[2], "prod");
	assert_int_equal(p->required[APPCTL_CLASS_ADMIN_PANEL], 2);
	assert_int_equal(p->rules[0].when, APPCTL_WHEN_INTEGRATION);
	assert_int_equal(p->approver_count, 2);
	assert_int_equal(p->approvers[0].kind, APPCTL_MEMBER_GROUP);
	assert_non_null(appctl_policy_group(p, "security"));
	assert_null(appctl_policy_group(p, "nobody"));
	assert_int_equal(p->notify[0].events,
		APPCTL_NOTIFY_PROMOTE | APPCTL_NOTIFY_ROLLBACK);
	assert_true(p->has_break_glass);
	assert_int_equal(p->freeze_count, 1);
	assert_true(p->require_signature);
	assert_false(p->allow_self_approval);
	appctl_arena_free(arena);

	/* Defaults lean safe: signatures on, one approval per class. */
	arena = appctl_arena_new();
	f.data = "{\"appctl\":1,\"environments\":[\"dev\",\"prod\"]}";
	f.len = strlen(f.data);
	assert_null(appctl_policy_parse(&p, arena, &f));
	assert_true(p->require_signature);
	assert_int_equal(p->required[APPCTL_CLASS_DASHBOARD], 1);
	assert_string_equal(p->signers, "allowed_signers");
	appctl_arena_free(arena);
}

static void test_names_and_dates(void **state)
{
	static const struct { const char *s; int ok; } principals[] = {
		{ "ann@example.com", 1 }, { "a.b+c@sub.example.co", 1 },
		{ "ann", 0 }, { "@example.com", 0 }, { "a@b", 0 }, { "a@@b.co", 0 },
		{ "a b@c.co", 0 }, { "a@-b.co", 0 }, { "a@b-.co", 0 }, { "a@b..co", 0 },
		{ ".a@b.co", 0 }, { "a@b.co.", 0 }, { "", 0 },
		{ "a_b%c+d-e.f@X.Io", 1 }, { "a@b.c-d.co", 1 }, { "a@b@c.co", 0 },
		{ "a@b.-c.co", 0 }, { "a.@b.co", 0 }, { "a@b.co-", 0 },
		{ "a!b@c.co", 0 }, { "a@b_c.co", 0 }, { "a@.b.co", 0 },
	};
	char long_principal[300];
	static const struct { const char *s; int ok; } names[] = {
		{ "billing-admin", 1 }, { "a", 1 }, { "0x", 1 }, { "-a", 0 },
		{ "Billing", 0 }, { "a_b", 0 }, { "", 0 },
		{ "a123456789012345678901234567890123456789012345678901234567890ab", 1 },
		{ "a1234567890123456789012345678901234567890123456789012345678901ab", 0 },
	};
	appctl_date d, e;
	char buf[11];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(principals) / sizeof(principals[0]); i++)
		if (appctl_principal_is_valid(principals[i].s) != principals[i].ok)
			fail_msg("principal '%s' expected %d", principals[i].s,
				principals[i].ok);
	/* Labels of 63 characters at most, addresses of 254. */
	memset(long_principal, 'a', sizeof(long_principal));
	memcpy(long_principal + 1, "@", 1);
	memcpy(long_principal + 65, ".co", 4);
	assert_true(appctl_principal_is_valid(long_principal));
	memcpy(long_principal + 66, ".co", 4);
	assert_false(appctl_principal_is_valid(long_principal));
	memset(long_principal, 'a', sizeof(long_principal));
	memcpy(long_principal + 250, "@b.co", 6);
	assert_true(appctl_principal_is_valid(long_principal + 1));
	assert_false(appctl_principal_is_valid(long_principal));
	/*
	 * Every byte inside the local part and inside a domain label: letters
	 * and digits anywhere, "._%+-" in the local part, '-' and '.' inside a
	 * label, nothing else (the neighbours of each range included).
	 */
	for (i = 1; i < 256; i++) {
		char local[16], domain[16];
		int alnum = (i >= '0' && i <= '9') || (i >= 'a' && i <= 'z') ||
			(i >= 'A' && i <= 'Z');

		snprintf(local, sizeof(local), "a%ca@b.co", (int)i);
		snprintf(domain, sizeof(domain), "a@b%cb.co", (int)i);
		if (appctl_principal_is_valid(local) !=
		    (alnum || (i != '@' && strchr("._%+-", (int)i) != NULL)))
			fail_msg("byte %zu in the local part", i);
		if (appctl_principal_is_valid(domain) !=
		    (alnum || i == '-' || i == '.'))
			fail_msg("byte %zu in a domain label", i);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (appctl_name_is_valid(names[i].s) != names[i].ok)
			fail_msg("name '%s' expected %d", names[i].s, names[i].ok);
	assert_int_equal(appctl_date_parse(&d, "1970-01-01"), 0);
	assert_int_equal(d, 0);
	assert_int_equal(appctl_date_parse(&d, "2024-02-29"), 0);
	assert_int_equal(appctl_date_parse(&e, "2024-03-01"), 0);
	assert_int_equal(e - d, 1);
	assert_int_not_equal(appctl_date_parse(&d, "2023-02-29"), 0);
	assert_int_not_equal(appctl_date_parse(&d, "2026-13-01"), 0);
	assert_int_not_equal(appctl_date_parse(&d, "2026-1-01"), 0);
	assert_int_not_equal(appctl_date_parse(&d, "2026-01-01T00:00"), 0);
	appctl_date_parse(&d, "2026-12-31");
	appctl_date_format(buf, d);
	assert_string_equal(buf, "2026-12-31");
	assert_int_equal(appctl_date_from_unix(86400 * 2 + 5), 2);

	/* Temporary access is inclusive of its last day. */
	{
		appctl_member m = { APPCTL_MEMBER_PRINCIPAL, "a@b.co", 1, 0, NULL, 0 };

		appctl_date_parse(&m.expires, "2026-12-31");
		appctl_date_parse(&d, "2026-12-31");
		assert_true(appctl_member_active(&m, d));
		assert_false(appctl_member_active(&m, d + 1));
		m.has_expires = 0;
		assert_true(appctl_member_active(&m, d + 1000));
	}
}

static void test_snapshot(void **state)
{
	static const char app_b[] = "{\"name\":\"b\",\"class\":\"dashboard\"}";
	static const char app_a[] = "{\"name\":\"a\",\"class\":\"dashboard\"}";
	appctl_file policy = { "appctl.json", "{\"appctl\":1,\"environments\":[\"dev\"]}", 0, "" };
	appctl_file signers = { "allowed_signers", "# none\n", 7, "" };
	appctl_file apps[2] = {
		{ "apps/b/app.json", app_b, sizeof(app_b) - 1, "" },
		{ "apps/a/app.json", app_a, sizeof(app_a) - 1, "" },
	};
	const char *dirs[2] = { "b", "a" };
	appctl_snapshot *snap = NULL;
	appctl_error *err;

	(void)state;
	policy.len = strlen(policy.data);
	assert_null(appctl_snapshot_parse(&snap, &policy, &signers, apps, dirs, 2));
	assert_int_equal(snap->app_count, 2);
	assert_string_equal(snap->apps[0]->name, "a");
	assert_non_null(appctl_snapshot_app(snap, "b"));
	assert_null(appctl_snapshot_app(snap, "c"));
	appctl_snapshot_free(snap);

	/* A missing signers file names the file the policy points at. */
	err = appctl_snapshot_parse(&snap, &policy, NULL, apps, dirs, 2);
	assert_non_null(err);
	assert_string_equal(err->file, "allowed_signers");
	appctl_error_free(err);

	/* An app folder whose name differs from `name`. */
	dirs[1] = "z";
	err = appctl_snapshot_parse(&snap, &policy, &signers, apps, dirs, 2);
	assert_non_null(err);
	assert_string_equal(err->file, "apps/a/app.json");
	assert_string_equal(err->path, "$.name");
	appctl_error_free(err);

	/* Invalid UTF-8 in allowed_signers. */
	dirs[1] = "a";
	signers.data = "\xff\xfe";
	signers.len = 2;
	err = appctl_snapshot_parse(&snap, &policy, &signers, apps, dirs, 2);
	assert_non_null(err);
	assert_int_equal(err->code, APPCTL_EINPUT);
	appctl_error_free(err);
}

/* The paths and messages of a whole error chain, one "path: message" per line. */
static char *chain_text(const appctl_error *err)
{
	size_t cap = 1, len = 0;
	const appctl_error *e;
	char *out;

	for (e = err; e; e = e->next)
		cap += strlen(e->path ? e->path : "-") + strlen(e->message) + 3;
	out = malloc(cap);
	assert_non_null(out);
	out[0] = '\0';
	for (e = err; e; e = e->next)
		len += (size_t)snprintf(out + len, cap - len, "%s: %s\n",
			e->path ? e->path : "-", e->message);
	return out;
}

static void test_all_errors(void **state)
{
	/* A broken role does not hide a broken integration, and every unknown key counts. */
	static const char app[] = "{\"name\":\"shop\",\"class\":\"kiosk\",\"owner\":1,\"colour\":2,"
		"\"roles\":{\"A\":{\"members\":[\"nobody\",7,\"a@b.co\",\"a@b.co\"],"
		"\"grants\":[{\"resource\":\"x\"},{\"resource\":\"x\",\"actions\":[],\"x\":1}]},"
		"\"B\":[]},"
		"\"integrations\":{\"i\":{\"kind\":\"\",\"on_failure\":\"maybe\",\"credential\":{\"Prod\":3}}}}";
	static const char expected[] =
		"$.owner: unknown field \"owner\" (did you mean \"owners\"?)\n"
		"$.colour: unknown field \"colour\"\n"
		"$.class: unknown class \"kiosk\" (expected dashboard, admin_panel or client_portal)\n"
		"$.roles.A.members[0]: \"nobody\" is not a valid principal (expected an email-like name)\n"
		"$.roles.A.members[1]: expected a principal, \"group:<name>\" or an object, found a number\n"
		"$.roles.A.members[3]: \"a@b.co\" is listed twice\n"
		"$.roles.A.grants[0]: missing required field \"actions\"\n"
		"$.roles.A.grants[1].x: unknown field \"x\"\n"
		"$.roles.A.grants[1].actions: must list at least one action\n"
		"$.roles.B: expected an object, found an array\n"
		"$.integrations.i.kind: must not be empty\n"
		"$.integrations.i.on_failure: unknown value \"maybe\" (expected fail_closed or fail_open)\n"
		"$.integrations.i.credential.Prod: \"Prod\" is not a valid environment name\n"
		"$.integrations.i.credential.Prod: expected a string, found a number\n";
	static const char policy[] = "{\"appctl\":1,\"environments\":[\"dev\",\"Prod\",\"dev\"],"
		"\"groups\":{\"g\":[\"x\",\"group:h\"]},\"approvals\":{\"required\":{\"kiosk\":1,\"dashboard\":-1},"
		"\"rules\":[{\"when\":\"always\",\"group\":\"g\"}]},\"lint\":{\"rules\":{\"no.such\":{\"severity\":\"loud\"}}},"
		"\"freeze\":[{\"from\":1}]}";
	static const char policy_expected[] =
		"$.environments[2]: \"dev\" is listed twice\n"
		"$.environments[1]: \"Prod\" is not a valid environment name ([a-z0-9][a-z0-9-]{0,62})\n"
		"$.groups.g[0]: \"x\" is not a valid principal\n"
		"$.groups.g[1]: groups cannot contain groups (\"group:h\")\n"
		"$.lint.rules[\"no.such\"]: unknown lint rule \"no.such\" (see 'appctl validate --rules')\n"
		"$.lint.rules[\"no.such\"]: missing required field \"justification\"\n"
		"$.lint.rules[\"no.such\"].severity: unknown value \"loud\" (expected off, warning or error)\n"
		"$.approvals.required.kiosk: unknown class \"kiosk\" (expected dashboard, admin_panel or client_portal)\n"
		"$.approvals.required.dashboard: expected an integer from 0 to 1000\n"
		"$.approvals.rules[0]: missing required field \"count\"\n"
		"$.approvals.rules[0].when: unknown rule kind \"always\" (expected integration, access, policy or data)\n"
		"$.freeze[0].from: expected a string, found a number\n"
		"$.freeze[0]: missing required field \"to\"\n"
		"$.freeze[0]: missing required field \"envs\"\n";
	appctl_arena *arena = appctl_arena_new();
	appctl_file f = { "apps/shop/app.json", app, sizeof(app) - 1, "" };
	appctl_app *parsed = NULL;
	appctl_policy *p = NULL;
	appctl_error *err;
	char *text;

	(void)state;
	err = appctl_app_parse(&parsed, arena, &f, "shop");
	assert_non_null(err);
	assert_null(parsed);
	text = chain_text(err);
	if (strcmp(text, expected) != 0)
		fail_msg("app errors:\n%s\nexpected:\n%s", text, expected);
	free(text);
	assert_int_equal(appctl_error_count(err), 14);
	appctl_error_free(err);

	f.path = "appctl.json";
	f.data = policy;
	f.len = sizeof(policy) - 1;
	err = appctl_policy_parse(&p, arena, &f);
	assert_non_null(err);
	assert_null(p);
	text = chain_text(err);
	if (strcmp(text, policy_expected) != 0)
		fail_msg("policy errors:\n%s\nexpected:\n%s", text, policy_expected);
	free(text);
	appctl_error_free(err);
	appctl_arena_free(arena);
}

/* Thousands of errors: the first 50 keep their text, the rest are counted, in linear time. */
static void test_error_cap(void **state)
{
	enum { N = 200000 };
	size_t cap = 64 + (size_t)N * 16, len = 0, i;
	char *json = malloc(cap);
	appctl_arena *arena = appctl_arena_new();
	appctl_file f = { "apps/shop/app.json", NULL, 0, "" };
	const appctl_error *e, *last = NULL;
	appctl_app *app = NULL;
	appctl_error *err;

	(void)state;
	assert_non_null(json);
	/* N repeated scopes (each one a duplicate) and N unknown keys. */
	len += (size_t)snprintf(json + len, cap - len,
		"{\"name\":\"shop\",\"class\":\"dashboard\",\"integrations\":{\"i\":{\"kind\":\"k\",\"scopes\":[");
	for (i = 0; i < N; i++)
		len += (size_t)snprintf(json + len, cap - len, "%s\"s\"", i ? "," : "");
	len += (size_t)snprintf(json + len, cap - len, "]}},\"pages\":{\"P\":{\"roles\":[");
	for (i = 0; i < N / 10; i++)
		len += (size_t)snprintf(json + len, cap - len, "%s%zu", i ? "," : "", i);
	len += (size_t)snprintf(json + len, cap - len, "]}}}");
	f.data = json;
	f.len = len;
	err = appctl_app_parse(&app, arena, &f, "shop");
	assert_non_null(err);
	assert_int_equal(appctl_error_count(err), 51);
	/* Pages are checked before integrations. */
	assert_string_equal(err->path, "$.pages.P.roles[0]");
	for (e = err; e; e = e->next)
		last = e;
	assert_null(last->path);
	assert_string_equal(last->file, "apps/shop/app.json");
	if (!strstr(last->message, "... and 219949 more errors"))
		fail_msg("last message: %s", last->message);
	appctl_error_free(err);
	appctl_arena_free(arena);
	free(json);
}

/* A snapshot names the errors of every file, the policy's first. */
static void test_snapshot_all_files(void **state)
{
	static const char bad_policy[] = "{\"appctl\":1,\"environments\":[],\"x\":1}";
	static const char app_a[] = "{\"name\":\"a\",\"class\":\"kiosk\"}";
	static const char app_b[] = "{\"name\":\"b\",\"class\":\"dashboard\",\"rolse\":{}}";
	appctl_file policy = { "appctl.json", bad_policy, sizeof(bad_policy) - 1, "" };
	appctl_file apps[2] = {
		{ "apps/a/app.json", app_a, sizeof(app_a) - 1, "" },
		{ "apps/b/app.json", app_b, sizeof(app_b) - 1, "" },
	};
	const char *dirs[2] = { "a", "b" };
	appctl_snapshot *snap = NULL;
	const appctl_error *e;
	appctl_error *err;

	(void)state;
	err = appctl_snapshot_parse(&snap, &policy, NULL, apps, dirs, 2);
	assert_null(snap);
	assert_non_null(err);
	assert_int_equal(appctl_error_count(err), 4);
	assert_string_equal(err->file, "appctl.json");
	assert_string_equal(err->path, "$.x");
	e = err->next;
	assert_string_equal(e->path, "$.environments");
	e = e->next;
	assert_string_equal(e->file, "apps/a/app.json");
	assert_string_equal(e->path, "$.class");
	e = e->next;
	assert_string_equal(e->file, "apps/b/app.json");
	assert_string_equal(e->message, "unknown field \"rolse\" (did you mean \"roles\"?)");
	/* Context added on the way up reaches every error of the chain. */
	err = appctl_error_wrap(err, "in '%s'", "HEAD");
	for (e = err; e; e = e->next)
		assert_true(strncmp(e->message, "in 'HEAD': ", 11) == 0);
	appctl_error_free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_app_table),
		cmocka_unit_test(test_app_model),
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_policy_model),
		cmocka_unit_test(test_names_and_dates),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_snapshot_all_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
