/* test_store.c: the storage layer: working-tree and git loaders, revision resolution, config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "appctl/arena.h"
#include "appctl/log.h"
#include "appctl/model_cache.h"
#include "appctl/store.h"
#include "appctl/strbuf.h"

static const char policy_json[] =
	"{\"appctl\":1,\"environments\":[\"dev\",\"prod\"],"
	"\"groups\":{\"ops\":[\"ann@example.com\"]},\"signers\":\"allowed_signers\"}";
static const char app_json[] =
	"{\"name\":\"orders\",\"class\":\"dashboard\","
	"\"owners\":{\"business\":\"ann@example.com\",\"technical\":\"bo@example.com\"}}";

typedef struct fixture {
	char root[64];
} fixture;

static void run_ok(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "command failed: %s\n", cmd);
		fail();
	}
}

static void shell(const fixture *f, const char *fmt, ...)
{
	appctl_strbuf cmd = APPCTL_STRBUF_INIT;
	va_list ap;

	appctl_strbuf_printf(&cmd, "cd '%s' && ", f->root);
	va_start(ap, fmt);
	appctl_strbuf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	assert_false(cmd.failed);
	run_ok(cmd.ptr);
	appctl_strbuf_dispose(&cmd);
}

/* The first line a command prints, without its newline. */
static void shell_line(const fixture *f, char *out, size_t size, const char *cmd)
{
	appctl_strbuf full = APPCTL_STRBUF_INIT;
	FILE *p;

	appctl_strbuf_printf(&full, "cd '%s' && %s", f->root, cmd);
	assert_false(full.failed);
	p = popen(full.ptr, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, (int)size, p));
	out[strcspn(out, "\n")] = '\0';
	assert_int_equal(pclose(p), 0);
	appctl_strbuf_dispose(&full);
}

static void write_file(const fixture *f, const char *rel, const char *text)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	FILE *fp;

	appctl_strbuf_printf(&path, "%s/%s", f->root, rel);
	assert_false(path.failed);
	fp = fopen(path.ptr, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	appctl_strbuf_dispose(&path);
}

/* A valid organisation in the fixture's directory (not yet a repository). */
static void write_org(const fixture *f)
{
	shell(f, "mkdir -p apps/orders");
	write_file(f, "appctl.json", policy_json);
	write_file(f, "allowed_signers", "# none\n");
	write_file(f, "apps/orders/app.json", app_json);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->root, sizeof(f->root), "/tmp/appctl-store.XXXXXX");
	if (!mkdtemp(f->root)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	appctl_strbuf cmd = APPCTL_STRBUF_INIT;
	int rc;

	appctl_strbuf_printf(&cmd, "rm -rf '%s'", f->root);
	rc = cmd.failed ? -1 : system(cmd.ptr);
	appctl_strbuf_dispose(&cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* Loads the working tree; expects an input error naming `file` and saying `message`. */
static void expect_worktree_error(const fixture *f, const char *file,
	const char *message)
{
	appctl_snapshot *snap = NULL;
	appctl_error *err;

	err = appctl_worktree_load_snapshot(&snap, f->root);
	assert_non_null(err);
	assert_null(snap);
	assert_int_equal(err->code, APPCTL_EINPUT);
	if (!err->file || strcmp(err->file, file) != 0 ||
	    !strstr(err->message, message)) {
		fprintf(stderr, "got %s: %s\n", err->file ? err->file : "(null)",
			err->message);
		fail();
	}
	appctl_error_free(err);
}

static void test_worktree_valid(void **state)
{
	fixture *f = *state;
	appctl_snapshot *snap = NULL;
	appctl_error *err;

	write_org(f);
	err = appctl_worktree_load_snapshot(&snap, f->root);
	assert_null(err);
	assert_int_equal(snap->app_count, 1);
	assert_string_equal(snap->apps[0]->name, "orders");
	assert_string_equal(snap->apps[0]->file, "apps/orders/app.json");
	assert_string_equal(snap->signers_text, "# none\n");
	appctl_snapshot_free(snap);

	/* No apps/ at all is a policy-only repository. */
	shell(f, "rm -r apps");
	err = appctl_worktree_load_snapshot(&snap, f->root);
	assert_null(err);
	assert_int_equal(snap->app_count, 0);
	appctl_snapshot_free(snap);
}

typedef struct worktree_case {
	const char *name;
	const char *mutate;    /* shell commands run in the organisation */
	const char *file;
	const char *message;
} worktree_case;

static const worktree_case worktree_cases[] = {
	{ "policy is a symlink", "mv appctl.json p.json && ln -s p.json appctl.json",
	  "appctl.json", "is a symbolic link, not a file" },
	{ "app.json is a symlink", "mv apps/orders/app.json o.json && "
	  "ln -s ../../o.json apps/orders/app.json",
	  "apps/orders/app.json", "is a symbolic link, not a file" },
	{ "app folder is a symlink", "mv apps/orders o && ln -s ../o apps/orders",
	  "apps/orders", "is a symbolic link, not a folder" },
	{ "apps is a symlink", "mv apps a && ln -s a apps",
	  "apps", "is a symbolic link, not a folder" },
	{ "app.json is a folder", "rm apps/orders/app.json && mkdir apps/orders/app.json",
	  "apps/orders/app.json", "is a folder, not a file" },
	{ "app.json is a fifo", "rm apps/orders/app.json && mkfifo apps/orders/app.json",
	  "apps/orders/app.json", "is a special file, not a file" },
	{ "app.json missing", "rm apps/orders/app.json",
	  "apps/orders/app.json", "no such file" },
	{ "file in apps", "touch apps/readme",
	  "apps/readme", "is a file, not a folder" },
	{ "bad folder name", "mkdir apps/Bad_Name",
	  "apps/Bad_Name", "invalid app folder name" },
	{ "hidden folder", "mkdir apps/.cache",
	  "apps/.cache", "invalid app folder name" },
	/* Sparse: the size is refused from lstat alone, nothing is read. */
	{ "app.json over 16 MiB", "truncate -s 17M apps/orders/app.json",
	  "apps/orders/app.json", "over the limit of 16 MiB" },
	{ "signers missing", "rm allowed_signers",
	  "allowed_signers", "no such file" },
	{ "signers under a symlinked folder",
	  "sed -i 's|\"allowed_signers\"|\"keys/allowed_signers\"|' appctl.json && "
	  "mkdir real && mv allowed_signers real/ && ln -s real keys",
	  "keys", "is a symbolic link, not a folder" },
	{ "policy missing", "rm appctl.json", "appctl.json", "no such file" },
	{ "policy invalid", "echo '{\"appctl\":1,\"appctl\":1}' >appctl.json",
	  "appctl.json", "" },
};

static void test_worktree_table(void **state)
{
	fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(worktree_cases) / sizeof(worktree_cases[0]); i++) {
		const worktree_case *c = &worktree_cases[i];

		fprintf(stderr, "# %s\n", c->name);
		shell(f, "rm -rf ./* ./.[!.]*");
		write_org(f);
		shell(f, "%s", c->mutate);
		expect_worktree_error(f, c->file, c->message);
	}
}

/* A repository with the organisation committed on dev, and a release tag. */
static void make_repo(const fixture *f)
{
	write_org(f);
	shell(f, "git init -q -b dev . && git config user.name T && "
		"git config user.email t@example.com && git add -A && "
		"git commit -q -m one && git tag release/dev/3 && "
		"git commit -q --allow-empty -m two && git tag dev");
}

static void expect_resolves(appctl_repo *repo, const fixture *f,
	const char *rev, const char *git_rev)
{
	appctl_strbuf cmd = APPCTL_STRBUF_INIT;
	char want[64], got[41];
	appctl_error *err;

	appctl_strbuf_printf(&cmd, "git rev-parse '%s^{commit}'", git_rev);
	assert_false(cmd.failed);
	shell_line(f, want, sizeof(want), cmd.ptr);
	appctl_strbuf_dispose(&cmd);
	err = appctl_repo_resolve(got, repo, rev);
	if (err) {
		fprintf(stderr, "%s: %s\n", rev, err->message);
		fail();
	}
	assert_string_equal(got, want);
}

static void expect_unknown(appctl_repo *repo, const char *rev)
{
	appctl_error *err;
	char got[41];

	err = appctl_repo_resolve(got, repo, rev);
	assert_non_null(err);
	assert_int_equal(err->code, APPCTL_EUSAGE);
	assert_non_null(strstr(err->message, rev));
	appctl_error_free(err);
}

static void test_resolve(void **state)
{
	fixture *f = *state;
	appctl_repo *repo = NULL;

	make_repo(f);
	assert_null(appctl_repo_open(&repo, f->root));
	assert_false(appctl_repo_is_bare(repo));
	assert_non_null(appctl_repo_workdir(repo));
	assert_int_equal(appctl_repo_workdir(repo)[strlen(appctl_repo_workdir(repo)) - 1], '/');
	/* The environment wins over a tag of the same name. */
	expect_resolves(repo, f, "dev", "refs/heads/dev");
	expect_resolves(repo, f, "release/dev/3", "refs/tags/release/dev/3");
	expect_resolves(repo, f, "dev@3", "refs/tags/release/dev/3");
	expect_resolves(repo, f, "HEAD~1", "HEAD~1");
	expect_resolves(repo, f, NULL, "HEAD");
	expect_unknown(repo, "nope");
	expect_unknown(repo, "dev@4");
	expect_unknown(repo, "release/prod/0");
	expect_unknown(repo, "release/dev/../x");
	expect_unknown(repo, "HEAD^{tree}");
	appctl_repo_free(repo);
}

static void test_load_snapshot(void **state)
{
	fixture *f = *state;
	appctl_repo *repo = NULL;
	appctl_snapshot *snap = NULL;
	appctl_error *err;
	char commit[41], blob[64];

	make_repo(f);
	/* The working tree is never read: break it and load from git. */
	shell(f, "rm apps/orders/app.json && ln -s /etc/passwd apps/orders/app.json");
	assert_null(appctl_repo_open(&repo, f->root));
	assert_null(appctl_repo_resolve(commit, repo, "dev"));
	err = appctl_repo_load_snapshot(&snap, repo, commit);
	assert_null(err);
	assert_int_equal(snap->app_count, 1);
	shell_line(f, blob, sizeof(blob), "git rev-parse HEAD:apps/orders/app.json");
	assert_string_equal(snap->apps[0]->blob_id, blob);
	shell_line(f, blob, sizeof(blob), "git rev-parse HEAD:appctl.json");
	assert_string_equal(snap->policy->blob_id, blob);
	appctl_snapshot_free(snap);
	snap = NULL;
	err = appctl_repo_load_snapshot(&snap, repo, "not-a-commit");
	assert_non_null(err);
	appctl_error_free(err);
	appctl_repo_free(repo);
}

/*
 * The cache says it is empty until an entry is kept, and again when it is
 * switched off: `diff` then starts its threads without probing.
 */
static void test_cache_is_empty(void **state)
{
	fixture *f = *state;
	appctl_repo *repo = NULL;
	appctl_arena *arena = appctl_arena_new();
	appctl_app *app = NULL;
	char blob[64];

	assert_non_null(arena);
	make_repo(f);
	shell_line(f, blob, sizeof(blob), "git rev-parse HEAD:apps/orders/app.json");
	assert_null(appctl_repo_open(&repo, f->root));
	assert_int_equal(appctl_repo_cache_is_empty(repo), 1);
	assert_null(appctl_repo_load_app_cached(&app, arena, repo, blob, "orders",
		NULL, 0));
	assert_non_null(app);
	appctl_repo_free(repo); /* writes the command's pack */
	assert_null(appctl_repo_open(&repo, f->root));
	assert_int_equal(appctl_repo_cache_is_empty(repo), 0);
	appctl_repo_free(repo);
	setenv("APPCTL_NO_CACHE", "1", 1);
	assert_null(appctl_repo_open(&repo, f->root));
	assert_int_equal(appctl_repo_cache_is_empty(repo), 1);
	appctl_repo_free(repo);
	unsetenv("APPCTL_NO_CACHE");
	appctl_arena_free(arena);
}

/*
 * A report's snapshot keeps each app's model in the per-blob cache and
 * takes it from there the next time: the same models either way, and a
 * damaged entry is only a miss. What judges a move reads git alone: its
 * snapshot neither fills the cache nor needs it.
 */
static void test_snapshot_cache(void **state)
{
	fixture *f = *state;
	appctl_repo *repo = NULL;
	appctl_snapshot *plain = NULL, *first = NULL, *again = NULL,
		*damaged = NULL;
	char commit[41];

	make_repo(f);
	assert_null(appctl_repo_open(&repo, f->root));
	assert_null(appctl_repo_resolve(commit, repo, "dev"));
	assert_null(appctl_repo_load_snapshot(&plain, repo, commit));
	appctl_repo_free(repo);
	assert_null(appctl_repo_open(&repo, f->root));
	assert_int_equal(appctl_repo_cache_is_empty(repo), 1);
	assert_null(appctl_repo_load_snapshot_cached(&first, repo, commit, NULL));
	assert_true(appctl_model_cache_app_equal(plain->apps[0],
		first->apps[0]));
	appctl_repo_free(repo); /* writes the command's pack */
	assert_null(appctl_repo_open(&repo, f->root));
	assert_int_equal(appctl_repo_cache_is_empty(repo), 0);
	assert_null(appctl_repo_load_snapshot_cached(&again, repo, commit, NULL));
	assert_int_equal(again->app_count, 1);
	assert_true(appctl_model_cache_app_equal(plain->apps[0],
		again->apps[0]));
	appctl_repo_free(repo);
	shell(f, "for p in .git/appctl/cache/pack-*; do printf XXXXXXXX | "
		"dd of=\"$p\" bs=1 seek=80 conv=notrunc 2>/dev/null; done");
	assert_null(appctl_repo_open(&repo, f->root));
	assert_null(appctl_repo_load_snapshot_cached(&damaged, repo, commit,
		NULL));
	assert_true(appctl_model_cache_app_equal(plain->apps[0],
		damaged->apps[0]));
	appctl_repo_free(repo);
	appctl_snapshot_free(plain);
	appctl_snapshot_free(first);
	appctl_snapshot_free(again);
	appctl_snapshot_free(damaged);
}

/*
 * Expects appctl_ref_cas to refuse with a conflict, and `name` to stay at
 * `at` (NULL: to stay missing).
 */
static void expect_cas_refused(appctl_repo *repo, const fixture *f,
	const char *name, const char *old_hex, const char *new_hex,
	const char *at)
{
	appctl_strbuf cmd = APPCTL_STRBUF_INIT;
	appctl_error *err;
	char now[64];

	err = appctl_ref_cas(repo, name, old_hex, new_hex, "test");
	assert_non_null(err);
	assert_int_equal(err->code, APPCTL_ECONFLICT);
	appctl_error_free(err);
	if (!at) {
		shell(f, "! git rev-parse -q --verify '%s'", name);
		return;
	}
	appctl_strbuf_printf(&cmd, "git rev-parse '%s'", name);
	assert_false(cmd.failed);
	shell_line(f, now, sizeof(now), cmd.ptr);
	appctl_strbuf_dispose(&cmd);
	assert_string_equal(now, at);
}

/*
 * A compare-and-swap reads the ref under its lock, whether the ref is a
 * loose file or only a line of packed-refs (after `git gc`, every ref is):
 * a wrong old value, a ref that exists where none is expected, a missing
 * ref and a lock held by someone else all refuse, and change nothing.
 */
static void test_ref_cas_packed(void **state)
{
	fixture *f = *state;
	appctl_repo *repo = NULL;
	char one[64], two[64], now[64];

	make_repo(f);
	shell(f, "git tag release/dev/4 HEAD && git pack-refs --all && "
		"test ! -e .git/refs/heads/dev && test ! -e .git/refs/tags/release/dev/4");
	shell_line(f, one, sizeof(one), "git rev-parse HEAD~1");
	shell_line(f, two, sizeof(two), "git rev-parse HEAD");
	assert_null(appctl_repo_open(&repo, f->root));

	expect_cas_refused(repo, f, "refs/heads/dev", one, two, two);
	expect_cas_refused(repo, f, "refs/tags/release/dev/4", NULL, one, two);
	expect_cas_refused(repo, f, "refs/tags/release/dev/5", two, one, NULL);
	shell(f, "touch .git/refs/heads/dev.lock");
	expect_cas_refused(repo, f, "refs/heads/dev", two, one, two);
	shell(f, "rm .git/refs/heads/dev.lock");

	/* The control: the right old values are accepted. */
	assert_null(appctl_ref_cas(repo, "refs/heads/dev", two, one, "test"));
	shell_line(f, now, sizeof(now), "git rev-parse refs/heads/dev");
	assert_string_equal(now, one);
	assert_null(appctl_ref_cas(repo, "refs/tags/release/dev/5", NULL, two, "test"));
	shell_line(f, now, sizeof(now), "git rev-parse refs/tags/release/dev/5");
	assert_string_equal(now, two);
	/* git agrees that the refs are well formed. */
	shell(f, "git for-each-ref >/dev/null && git fsck --no-dangling 2>/dev/null");
	appctl_repo_free(repo);
}

static void test_config_string(void **state)
{
	fixture *f = *state;
	appctl_repo *repo = NULL;
	char *value = NULL;

	make_repo(f);
	assert_null(appctl_repo_open(&repo, f->root));
	assert_null(appctl_repo_config_string(&value, repo, "user.email"));
	assert_string_equal(value, "t@example.com");
	free(value);
	assert_null(appctl_repo_config_string(&value, repo, "appctl.nothing"));
	assert_null(value);
	appctl_repo_free(repo);
}

static void test_open_errors(void **state)
{
	fixture *f = *state;
	appctl_repo *repo = NULL;
	appctl_error *err;

	err = appctl_repo_open(&repo, f->root);
	assert_non_null(err);
	assert_null(repo);
	assert_int_equal(err->code, APPCTL_ESYSTEM);
	appctl_error_free(err);
	appctl_repo_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_worktree_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worktree_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_cache, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_cache_is_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ref_cas_packed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_string, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	};

	/* The developer's git configuration must not reach the repositories here. */
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("HOME", "/nonexistent", 1);
	setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
