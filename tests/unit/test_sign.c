/* test_sign.c: SSH signing and verification through ssh-keygen, with real keys made for the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "appctl/sign.h"
#include "appctl/strbuf.h"

/* Keys made once for the whole group (ssh-keygen is slow under sanitizers). */
typedef struct fixture {
	char root[64];
	char *signers;            /* allowed_signers text naming the keys */
} fixture;

static const char data[] = "{\"appctl_event\":1,\"type\":\"approve\"}";

static char *key_path(const fixture *f, const char *name)
{
	appctl_strbuf p = APPCTL_STRBUF_INIT;

	appctl_strbuf_printf(&p, "%s/%s", f->root, name);
	return appctl_strbuf_detach(&p);
}

/* The public key line of key `name`, without its newline (caller frees). */
static char *public_line(const fixture *f, const char *name)
{
	appctl_strbuf p = APPCTL_STRBUF_INIT;
	char line[512];
	FILE *in;

	appctl_strbuf_printf(&p, "%s/%s.pub", f->root, name);
	in = p.ptr ? fopen(p.ptr, "r") : NULL;
	appctl_strbuf_dispose(&p);
	if (!in || !fgets(line, sizeof(line), in)) {
		if (in)
			fclose(in);
		return NULL;
	}
	fclose(in);
	line[strcspn(line, "\n")] = '\0';
	return strdup(line);
}

static int setup(void **state)
{
	static const char *const names[] = { "good", "expired", "gitonly",
		"unknown", "shared", "future" };
	fixture *f = calloc(1, sizeof(*f));
	appctl_strbuf s = APPCTL_STRBUF_INIT;
	size_t i;

	if (!f)
		return -1;
	snprintf(f->root, sizeof(f->root), "/tmp/appctl-test-sign.XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		appctl_strbuf cmd = APPCTL_STRBUF_INIT;
		int rc;

		appctl_strbuf_printf(&cmd,
			"ssh-keygen -q -t ed25519 -N '' -C %s -f '%s/%s' </dev/null",
			names[i], f->root, names[i]);
		rc = cmd.ptr ? system(cmd.ptr) : -1;
		appctl_strbuf_dispose(&cmd);
		if (rc != 0)
			return -1;
	}
	{
		char *good = public_line(f, "good"), *expired = public_line(f, "expired");
		char *gitonly = public_line(f, "gitonly"), *shared = public_line(f, "shared");
		char *future = public_line(f, "future");

		if (!good || !expired || !gitonly || !shared || !future)
			return -1;
		appctl_strbuf_printf(&s, "# test signers\n"
			"rita@example.com namespaces=\"appctl\" %s\n"
			"old@example.com valid-before=\"20200101\" %s\n"
			"gus@example.com namespaces=\"git\" %s\n"
			"owner@example.com %s\n"
			"later@example.com valid-after=\"29990101\" %s\n",
			good, expired, gitonly, shared, future);
		free(good);
		free(expired);
		free(gitonly);
		free(shared);
		free(future);
	}
	f->signers = appctl_strbuf_detach(&s);
	if (!f->signers)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	appctl_strbuf cmd = APPCTL_STRBUF_INIT;

	appctl_strbuf_printf(&cmd, "rm -rf '%s'", f->root);
	if (cmd.ptr && system(cmd.ptr) != 0)
		fprintf(stderr, "could not remove %s\n", f->root);
	appctl_strbuf_dispose(&cmd);
	free(f->signers);
	free(f);
	return 0;
}

static char *sign_with(const fixture *f, const char *key, const char *bytes)
{
	char *path = key_path(f, key), *sig = NULL;
	appctl_error *err;

	assert_non_null(path);
	err = appctl_ssh_sign(&sig, path, bytes, strlen(bytes));
	free(path);
	if (err)
		fprintf(stderr, "sign: %s\n", err->message);
	assert_null(err);
	assert_non_null(sig);
	assert_non_null(strstr(sig, "BEGIN SSH SIGNATURE"));
	return sig;
}

/* One verification case: which key signs, over what, and what verify says. */
typedef struct verify_case {
	const char *name;
	const char *key;          /* NULL: use `signature` as given */
	const char *signature;
	int tamper;               /* verify other bytes than were signed */
	const char *principal;    /* expected, or NULL for "does not verify" */
	const char *why;          /* a substring of the reason, when refused */
} verify_case;

static const verify_case cases[] = {
	{ "good signature", "good", NULL, 0, "rita@example.com", NULL },
	{ "unknown key", "unknown", NULL, 0, NULL, "no principal in allowed_signers" },
	/* The key is someone else's: the principal is its listed owner. */
	{ "key of another principal", "shared", NULL, 0, "owner@example.com", NULL },
	{ "valid-before in the past", "expired", NULL, 0, NULL, "expired" },
	{ "valid-after in the future", "future", NULL, 0, NULL, NULL },
	{ "namespaces=git only", "gitonly", NULL, 0, NULL, "namespace" },
	{ "tampered data", "good", NULL, 1, NULL, "rita@example.com" },
	{ "garbage signature", NULL, "-----BEGIN SSH SIGNATURE-----\nAAAA\n"
		"-----END SSH SIGNATURE-----\n", 0, NULL, NULL },
	{ "not armored", NULL, "hello", 0, NULL, NULL },
	{ "empty signature", NULL, "", 0, NULL, "not signed" },
};

static void test_verify_cases(void **state)
{
	const fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const verify_case *c = &cases[i];
		char *sig = c->key ? sign_with(f, c->key, data) : strdup(c->signature);
		char *principal = NULL, *why = NULL;
		const char *bytes = c->tamper ? "{\"appctl_event\":1,\"type\":\"revoke\"}" : data;
		appctl_error *err;

		assert_non_null(sig);
		err = appctl_ssh_verify(&principal, &why, f->signers, bytes,
			strlen(bytes), sig, (int64_t)time(NULL));
		if (err)
			fprintf(stderr, "%s: %s\n", c->name, err->message);
		assert_null(err);
		if (c->principal) {
			if (!principal)
				fprintf(stderr, "%s: refused: %s\n", c->name, why);
			assert_non_null(principal);
			assert_string_equal(principal, c->principal);
			assert_null(why);
		} else {
			if (principal)
				fprintf(stderr, "%s: accepted as %s\n", c->name, principal);
			assert_null(principal);
			assert_non_null(why);
			assert_true(*why != '\0');
			if (c->why && !strstr(why, c->why))
				fail_msg("%s: reason '%s' lacks '%s'", c->name, why, c->why);
			/* Our temp directory never leaks into messages. */
			assert_null(strstr(why, "appctl-sign."));
		}
		free(principal);
		free(why);
		free(sig);
	}
}

/* A key that verifies for one allowed_signers is refused by another. */
static void test_other_signers_file(void **state)
{
	const fixture *f = *state;
	char *sig = sign_with(f, "good", data), *principal = NULL, *why = NULL;

	assert_null(appctl_ssh_verify(&principal, &why,
		"# nobody yet\n", data, strlen(data), sig, (int64_t)time(NULL)));
	assert_null(principal);
	assert_non_null(why);
	free(why);
	why = NULL;
	assert_null(appctl_ssh_verify(&principal, &why, "", data, strlen(data), sig,
		(int64_t)time(NULL)));
	assert_null(principal);
	free(why);
	free(sig);
}

static void test_sign_errors(void **state)
{
	const fixture *f = *state;
	char *sig = NULL, *path = key_path(f, "no-such-key");
	appctl_error *err;

	err = appctl_ssh_sign(&sig, path, data, strlen(data));
	assert_non_null(err);
	assert_int_equal(err->code, APPCTL_ESYSTEM);
	assert_non_null(strstr(err->message, "no-such-key"));
	assert_null(sig);
	appctl_error_free(err);
	free(path);
}

static void test_public_key(void **state)
{
	const fixture *f = *state;
	char *path = key_path(f, "good"), *pub = NULL, *line = public_line(f, "good");

	assert_null(appctl_ssh_public_key(&pub, path));
	assert_non_null(pub);
	assert_non_null(line);
	/* The comment may differ; the key type and material may not. */
	assert_int_equal(strncmp(pub, line, strlen("ssh-ed25519 ") + 68), 0);
	free(pub);
	free(line);
	free(path);
}

/* Signatures are over the exact bytes: the same event signs the same way twice. */
static void test_signature_roundtrip_binary_safe(void **state)
{
	const fixture *f = *state;
	const char bytes[] = "line one\nline two \xc3\xa9\n";
	char *sig = sign_with(f, "good", bytes), *principal = NULL, *why = NULL;

	assert_null(appctl_ssh_verify(&principal, &why, f->signers, bytes,
		strlen(bytes), sig, (int64_t)time(NULL)));
	assert_non_null(principal);
	assert_string_equal(principal, "rita@example.com");
	free(principal);
	free(sig);
}

/*
 * The verifier's clock decides validity: a key that expired on 2020-01-01
 * verified a signature made while it was valid (a recorded event judged as
 * of its time), and a key valid only from 2999 verifies nothing before.
 */
static void test_verify_time(void **state)
{
	static const struct {
		const char *key;
		int64_t at;                /* Unix time of the verifier's clock */
		const char *principal;     /* NULL: refused */
	} times[] = {
		{ "expired", 1546300800, "old@example.com" },   /* 2019-01-01 */
		{ "expired", 1577836800 + 86400, NULL },        /* 2020-01-02 */
		{ "future", 1577836800, NULL },                 /* 2020-01-01 */
		{ "future", 32503680000 + 86400, "later@example.com" }, /* 3000-01-02 */
	};
	const fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		char *sig = sign_with(f, times[i].key, data), *principal = NULL,
			*why = NULL;

		assert_non_null(sig);
		assert_null(appctl_ssh_verify(&principal, &why, f->signers, data,
			strlen(data), sig, times[i].at));
		if (times[i].principal) {
			if (!principal)
				fail_msg("case %zu refused: %s", i, why);
			assert_string_equal(principal, times[i].principal);
		} else {
			assert_null(principal);
			assert_non_null(why);
		}
		free(principal);
		free(why);
		free(sig);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_cases),
		cmocka_unit_test(test_other_signers_file),
		cmocka_unit_test(test_sign_errors),
		cmocka_unit_test(test_public_key),
		cmocka_unit_test(test_signature_roundtrip_binary_safe),
		cmocka_unit_test(test_verify_time),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
