/* test_offboard.c: the offboarding plan: what is removed, reassigned, refused, and the new texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/model.h"
#include "appctl/offboard.h"

static const char policy_text[] =
	"{\n"
	"  \"appctl\": 1,\n"
	"  \"environments\": [\"dev\", \"prod\"],\n"
	"  \"groups\": { \"rm\": [\"rita@example.com\", \"Cy@Contractor.example\"], \"ops\": [\"otto@example.com\"] },\n"
	"  \"groups_from\": \"idp/g.json\",\n"
	"  \"approvals\": { \"approvers\": [\"group:rm\", \"cy@contractor.example\", \"sam@example.com\"] }\n"
	"}\n";
static const char scim_text[] =
	"{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"],"
	"\"Resources\":[{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],"
	"\"displayName\":\"Security\",\"members\":[{\"value\":\"cy@contractor.example\"}]}]}";
static const char signers_text[] =
	"# keys\n"
	"rita@example.com namespaces=\"appctl\" ssh-ed25519 AAAA rita\n"
	"cy@contractor.example namespaces=\"appctl\" ssh-ed25519 BBBB cy\n"
	"otto@example.com,cy@contractor.example ssh-ed25519 CCCC shared\n"
	"\n";
static const char app_text[] =
	"{\n"
	"  \"name\": \"portal\",\n"
	"  \"class\": \"client_portal\",\n"
	"  \"owners\": { \"business\": \"ann@example.com\", \"technical\": \"cy@contractor.example\" },\n"
	"  \"data\": { \"c\": { \"tenant_key\": \"id\", \"fields\": { \"id\": {} } } },\n"
	"  \"roles\": {\n"
	"    \"Agent\": {\n"
	"      \"members\": [\n"
	"        \"dan@example.com\",\n"
	"        { \"principal\": \"cy@contractor.example\", \"expires\": \"2027-06-30\" },\n"
	"        \"group:rm\"\n"
	"      ],\n"
	"      \"grants\": [{ \"resource\": \"c\", \"actions\": [\"read\"] }]\n"
	"    }\n"
	"  },\n"
	"  \"integrations\": { \"crm\": { \"kind\": \"crm\", \"owner\": \"cy@contractor.example\", \"scopes\": [] } }\n"
	"}\n";

typedef struct fixture {
	appctl_snapshot *snap;
	appctl_arena *arena;
	appctl_file texts[3];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	appctl_file policy = { "appctl.json", policy_text, sizeof(policy_text) - 1, "" };
	appctl_file signers = { "allowed_signers", signers_text, sizeof(signers_text) - 1, "" };
	appctl_file scim = { "idp/g.json", scim_text, sizeof(scim_text) - 1, "" };
	appctl_file app = { "apps/portal/app.json", app_text, sizeof(app_text) - 1, "" };
	const char *dirs[1] = { "portal" };
	appctl_error *err;

	if (!f)
		return -1;
	err = appctl_snapshot_parse_ext(&f->snap, &policy, &signers, &scim, 1,
		&app, dirs, 1);
	if (err) {
		print_error("%s\n", err->message);
		appctl_error_free(err);
		free(f);
		return -1;
	}
	f->arena = appctl_arena_new();
	f->texts[0] = policy;
	f->texts[1] = signers;
	f->texts[2] = app;
	*state = f;
	return f->arena ? 0 : -1;
}

static int teardown(void **state)
{
	fixture *f = *state;

	appctl_snapshot_free(f->snap);
	appctl_arena_free(f->arena);
	free(f);
	return 0;
}

static const appctl_offboard_file *file_named(const appctl_offboard_plan *p,
	const char *path)
{
	size_t i;

	for (i = 0; i < p->file_count; i++)
		if (strcmp(p->files[i].path, path) == 0)
			return &p->files[i];
	return NULL;
}

/* "kind:name:outcome" of every item, joined by spaces. */
static void describe(char *buf, size_t len, const appctl_offboard_plan *p)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < p->item_count; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s:%s:%s", i ? " " : "",
			p->items[i].kind, p->items[i].name,
			appctl_offboard_outcome_name(p->items[i].outcome));
}

static void test_refused_without_reassignee(void **state)
{
	fixture *f = *state;
	appctl_offboard_plan plan;
	char got[1024];

	assert_null(appctl_offboard_plan_build(&plan, f->arena, f->snap,
		f->texts, 3, "cy@contractor.example", NULL));
	describe(got, sizeof(got), &plan);
	assert_string_equal(got,
		"group:rm:removed "
		"idp_group:security:remove in the identity provider "
		"approver:approvals.approvers:removed "
		"signer:line 3:removed signer:line 4:removed "
		"app_owner:technical:no owner left "
		"integration_owner:crm:no owner left "
		"role_member:Agent:removed");
	assert_int_equal(plan.unowned, 2);
	assert_string_equal(plan.items[7].expires, "2027-06-30");
}

static void test_texts_edited_in_place(void **state)
{
	fixture *f = *state;
	appctl_offboard_plan plan;
	const appctl_offboard_file *pf, *sf, *af;

	assert_null(appctl_offboard_plan_build(&plan, f->arena, f->snap,
		f->texts, 3, "CY@contractor.example", "bo@example.com"));
	assert_int_equal(plan.unowned, 0);
	assert_int_equal(plan.file_count, 3);
	pf = file_named(&plan, "appctl.json");
	sf = file_named(&plan, "allowed_signers");
	af = file_named(&plan, "apps/portal/app.json");
	assert_non_null(pf);
	assert_non_null(sf);
	assert_non_null(af);
	assert_string_equal(pf->text,
		"{\n"
		"  \"appctl\": 1,\n"
		"  \"environments\": [\"dev\", \"prod\"],\n"
		"  \"groups\": { \"rm\": [\"rita@example.com\"], \"ops\": [\"otto@example.com\"] },\n"
		"  \"groups_from\": \"idp/g.json\",\n"
		"  \"approvals\": { \"approvers\": [\"group:rm\", \"sam@example.com\"] }\n"
		"}\n");
	assert_string_equal(sf->text,
		"# keys\n"
		"rita@example.com namespaces=\"appctl\" ssh-ed25519 AAAA rita\n"
		"otto@example.com ssh-ed25519 CCCC shared\n"
		"\n");
	assert_string_equal(af->text,
		"{\n"
		"  \"name\": \"portal\",\n"
		"  \"class\": \"client_portal\",\n"
		"  \"owners\": { \"business\": \"ann@example.com\", \"technical\": \"bo@example.com\" },\n"
		"  \"data\": { \"c\": { \"tenant_key\": \"id\", \"fields\": { \"id\": {} } } },\n"
		"  \"roles\": {\n"
		"    \"Agent\": {\n"
		"      \"members\": [\n"
		"        \"dan@example.com\",\n"
		"        \"group:rm\"\n"
		"      ],\n"
		"      \"grants\": [{ \"resource\": \"c\", \"actions\": [\"read\"] }]\n"
		"    }\n"
		"  },\n"
		"  \"integrations\": { \"crm\": { \"kind\": \"crm\", \"owner\": \"bo@example.com\", \"scopes\": [] } }\n"
		"}\n");
	/* The new texts parse, and no longer name the principal. */
	{
		appctl_app *app = NULL;
		appctl_file nf = { "apps/portal/app.json", af->text, af->len, "" };

		assert_null(appctl_app_parse(&app, f->arena, &nf, "portal"));
		assert_int_equal(app->roles[0].member_count, 2);
	}
}

static void test_nobody(void **state)
{
	fixture *f = *state;
	appctl_offboard_plan plan;

	assert_null(appctl_offboard_plan_build(&plan, f->arena, f->snap,
		f->texts, 3, "nobody@example.com", NULL));
	assert_int_equal(plan.item_count, 0);
	assert_int_equal(plan.file_count, 0);
}

static void test_text_mismatch(void **state)
{
	fixture *f = *state;
	appctl_offboard_plan plan;
	appctl_file texts[3];
	appctl_error *err;

	memcpy(texts, f->texts, sizeof(texts));
	/* A text that is not what was parsed: refused, never guessed at. */
	texts[2].data = "{\"roles\": {}}";
	texts[2].len = strlen(texts[2].data);
	err = appctl_offboard_plan_build(&plan, f->arena, f->snap, texts, 3,
		"dan@example.com", NULL);
	assert_non_null(err);
	assert_int_equal(err->code, APPCTL_EINPUT);
	appctl_error_free(err);
	err = appctl_offboard_plan_build(&plan, f->arena, f->snap, texts, 2,
		"dan@example.com", NULL);
	assert_non_null(err);
	appctl_error_free(err);
}

static void test_signers_lines(void **state)
{
	fixture *f = *state;
	static const char text[] =
		"  cy@x.example ssh-ed25519 A\n"
		"#cy@x.example ssh-ed25519 B\n"
		"a@x.example,cy@x.example,b@x.example namespaces=\"appctl\" ssh-ed25519 C\n"
		"cy@x.example.org ssh-ed25519 D";
	size_t *lines, n, len;
	char *out = appctl_signers_without(f->arena, text, strlen(text),
		"cy@x.example", &lines, &n, &len);

	assert_non_null(out);
	assert_string_equal(out,
		"#cy@x.example ssh-ed25519 B\n"
		"a@x.example,b@x.example namespaces=\"appctl\" ssh-ed25519 C\n"
		"cy@x.example.org ssh-ed25519 D");
	assert_int_equal(n, 2);
	assert_int_equal(lines[0], 1);
	assert_int_equal(lines[1], 3);
	assert_int_equal(len, strlen(out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused_without_reassignee, setup, teardown),
		cmocka_unit_test_setup_teardown(test_texts_edited_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nobody, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signers_lines, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
