/* test_platforms.c: the table of git servers the hook runs on: where each runs appctl's shim and how its refusals start (pure core). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/platforms.h"

/* Every platform, where its server runs the shims, and its prefix. */
static const struct {
	const char *name;
	appctl_platform_base base;
	const char *pre_receive;
	const char *update;
	const char *prefix;
} expectations[] = {
	{ "plain", APPCTL_PLATFORM_IN_HOOKS_DIR, "pre-receive", "update", "" },
	{ "http", APPCTL_PLATFORM_IN_HOOKS_DIR, "pre-receive", "update", "" },
	{ "gitolite", APPCTL_PLATFORM_IN_DIR, "local/hooks/repo-specific/appctl",
	  NULL, "" },
	{ "gitea", APPCTL_PLATFORM_IN_GIT_DIR, "hooks/pre-receive.d/appctl",
	  "hooks/update.d/appctl", "" },
	{ "forgejo", APPCTL_PLATFORM_IN_GIT_DIR, "hooks/pre-receive.d/appctl",
	  "hooks/update.d/appctl", "" },
	{ "gitlab", APPCTL_PLATFORM_IN_GIT_DIR, "custom_hooks/pre-receive.d/appctl",
	  "custom_hooks/update.d/appctl", "GL-HOOK-ERR: " },
};

#define EXPECTED (sizeof(expectations) / sizeof(expectations[0]))

static void test_every_platform(void **state)
{
	const appctl_platform *all;
	size_t i, count;

	(void)state;
	all = appctl_platforms(&count);
	assert_int_equal(count, EXPECTED);
	for (i = 0; i < EXPECTED; i++) {
		const appctl_platform *p = appctl_platform_find(expectations[i].name);

		assert_non_null(p);
		assert_ptr_equal(p, &all[i]);
		assert_int_equal(p->base, expectations[i].base);
		assert_string_equal(p->pre_receive, expectations[i].pre_receive);
		if (expectations[i].update)
			assert_string_equal(p->update, expectations[i].update);
		else
			assert_null(p->update);
		assert_string_equal(p->prefix, expectations[i].prefix);
		assert_non_null(p->title);
		assert_non_null(p->base_text);
	}
}

/* Only GitLab wants its prefix, and only GitLab is recognised by its env. */
static void test_only_gitlab_has_a_prefix(void **state)
{
	const appctl_platform *all;
	size_t i, count;

	(void)state;
	all = appctl_platforms(&count);
	for (i = 0; i < count; i++) {
		int gitlab = strcmp(all[i].name, "gitlab") == 0;

		assert_int_equal(*all[i].prefix != '\0', gitlab);
		assert_int_equal(all[i].env != NULL, gitlab);
	}
	assert_string_equal(appctl_platform_find("gitlab")->env, "GL_ID");
}

static void test_find(void **state)
{
	(void)state;
	assert_string_equal(appctl_platform_plain()->name, "plain");
	assert_null(appctl_platform_find("nonsense"));
	assert_null(appctl_platform_find(""));
	assert_null(appctl_platform_find(NULL));
	assert_null(appctl_platform_find("GitLab"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_platform),
		cmocka_unit_test(test_only_gitlab_has_a_prefix),
		cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
