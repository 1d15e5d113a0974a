/* test_sign.c: SSH signing through ssh-keygen and verification in-process, checked against ssh-keygen's own verdicts with real keys made for the test. */
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

#include <openssl/evp.h>

#include "appctl/allowed_signers.h"
#include "appctl/sign.h"
#include "appctl/sshsig.h"
#include "appctl/strbuf.h"

/* Keys made once for the whole group (ssh-keygen is slow under sanitizers). */
typedef struct fixture {
	char root[64];
	char *signers;            /* allowed_signers text naming the keys */
	char *agree_signers;      /* the agreement table's allowed_signers */
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
	char line[4096];
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

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command line; its exit status (0: success). */
static int run(const char *fmt, ...)
{
	appctl_strbuf cmd = APPCTL_STRBUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	appctl_strbuf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	rc = cmd.ptr ? system(cmd.ptr) : -1;
	appctl_strbuf_dispose(&cmd);
	return rc;
}

/* The agreement table's keys: "a-<name>", of the type each line needs. */
static const struct {
	const char *name;
	const char *keygen;       /* ssh-keygen -t/-b arguments */
} agree_keys[] = {
	{ "ed", "-t ed25519" }, { "p256", "-t ecdsa -b 256" },
	{ "p384", "-t ecdsa -b 384" }, { "p521", "-t ecdsa -b 521" },
	{ "rsa", "-t rsa -b 3072" }, { "old", "-t ed25519" },
	{ "later", "-t ecdsa -b 256" }, { "window", "-t ed25519" },
	{ "pattern", "-t ed25519" }, { "gitonly", "-t ecdsa -b 384" },
	{ "stranger", "-t ed25519" }, { "multi", "-t ed25519" },
	{ "badopt", "-t ed25519" }, { "twice", "-t rsa -b 3072" },
	{ "ca", "-t ed25519" }, { "user", "-t ed25519" },
	{ "notgit", "-t ed25519" }, { "carsa", "-t rsa -b 2048" },
	{ "uexp", "-t ed25519" }, { "uother", "-t ed25519" },
	{ "uhost", "-t ed25519" }, { "umulti", "-t ecdsa -b 384" },
	{ "uwild", "-t ed25519" }, { "unoprin", "-t ed25519" },
	{ "uec", "-t ecdsa -b 256" }, { "ursa", "-t rsa -b 2048" },
};

/* The certificates: key, CA, ssh-keygen -s options. */
static const struct {
	const char *key, *ca, *options;
} agree_certs[] = {
	{ "user", "ca", "-n cert@example.com" },
	{ "uexp", "ca", "-n cert@example.com -V 20200101:20200201" },
	{ "uother", "ca", "-n other@example.com" },
	{ "uhost", "ca", "-h -n cert@example.com" },
	{ "umulti", "ca", "-n extra@example.com,cert@example.com" },
	{ "uwild", "ca", "-n a@certs.example.com" },
	{ "unoprin", "ca", "" },
	{ "uec", "carsa", "-n rsacert@example.com" },
	{ "ursa", "ca", "-n cert@example.com -V 29990101:30000101" },
};

/*
 * Makes the agreement keys, a certificate for "user" issued by "ca" for
 * cert@example.com, and an allowed_signers file that exercises every rule:
 * comments, blank lines, quoted principals and option values, namespaces=
 * lists with negation, time windows with and without Z, pattern and
 * multi-principal lines, a malformed line ssh-keygen skips, cert-authority.
 */
static int make_agreement_keys(fixture *f)
{
	char *pub[sizeof(agree_keys) / sizeof(agree_keys[0])];
	appctl_strbuf s = APPCTL_STRBUF_INIT;
	size_t i, n = sizeof(agree_keys) / sizeof(agree_keys[0]);
	int rc = 0;

	for (i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "a-%s", agree_keys[i].name);
		if (run("ssh-keygen -q %s -N '' -C %s -f '%s/%s' </dev/null",
			agree_keys[i].keygen, name, f->root, name) != 0)
			return -1;
		pub[i] = public_line(f, name);
		if (!pub[i])
			return -1;
	}
	for (i = 0; i < sizeof(agree_certs) / sizeof(agree_certs[0]); i++)
		if (run("ssh-keygen -q -s '%s/a-%s' -I %s %s '%s/a-%s.pub' 2>/dev/null",
			f->root, agree_certs[i].ca, agree_certs[i].key,
			agree_certs[i].options, f->root, agree_certs[i].key) != 0)
			rc = -1;
	appctl_strbuf_printf(&s, "# agreement signers\n\n"
		"ed@example.com %s\n"
		"   # an indented comment\n"
		"p256@example.com namespaces=\"git,appctl\" %s\n"
		"\"p384@example.com\" %s\n"
		"p521@example.com valid-after=\"20200101\",valid-before=\"29991231235959Z\" %s\n"
		"\t\n"
		"rsa@example.com NameSpaces=\"appctl\" %s\n"
		"old@example.com valid-before=\"20200101Z\" %s\n"
		"later@example.com valid-after=\"299901010000Z\" %s\n"
		"window@example.com valid-after=\"20250101Z\",valid-before=\"20250201000000Z\" %s\n"
		"*@example.com %s\n"
		"gitonly@example.com namespaces=\"git\" %s\n"
		"one@example.com,two@example.com %s\n"
		"bad@example.com namespaces=appctl %s\n"
		"twice@example.com namespaces=\"appctl\" valid-before=\"20200101\" %s\n"
		"twice@example.com %s\n"
		"cert@example.com,*@certs.example.com cert-authority,namespaces=\"appctl\" %s\n"
		"notgit@example.com namespaces=\"*,!appctl\" %s\n"
		"rsacert@example.com valid-before=\"29990101Z\",cert-authority %s\n",
		pub[0], pub[1], pub[2], pub[3], pub[4], pub[5], pub[6], pub[7],
		pub[8], pub[9], pub[11], pub[12], pub[13], pub[13], pub[14],
		pub[16], pub[17]);
	for (i = 0; i < n; i++)
		free(pub[i]);
	f->agree_signers = appctl_strbuf_detach(&s);
	return f->agree_signers ? rc : -1;
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
	if (make_agreement_keys(f) != 0)
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
	free(f->agree_signers);
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

/* Reads a whole small file (caller frees), NULL when missing. */
static char *slurp(const char *path)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *in = fopen(path, "rb");

	if (!in)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		appctl_strbuf_add(&b, chunk, n);
	fclose(in);
	appctl_strbuf_add(&b, "", 0);
	return appctl_strbuf_detach(&b);
}

/*
 * Signs `bytes` with ssh-keygen itself, in namespace `ns`, with key file
 * `key` ("a-ed", or "a-user-cert.pub" for the certificate) and, when
 * `hashalg` is set, -O hashalg=…. Caller frees.
 */
static char *keygen_sign(const fixture *f, const char *key, const char *ns,
	const char *hashalg, const char *bytes)
{
	char path[128], sigpath[160];
	FILE *out;
	char *sig;

	snprintf(path, sizeof(path), "%s/msg", f->root);
	snprintf(sigpath, sizeof(sigpath), "%s.sig", path);
	unlink(sigpath);
	out = fopen(path, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(bytes, 1, strlen(bytes), out), strlen(bytes));
	assert_int_equal(fclose(out), 0);
	if (run("ssh-keygen -q -Y sign -n %s %s%s -f '%s/%s' '%s' 2>/dev/null",
		ns, hashalg ? "-O hashalg=" : "", hashalg ? hashalg : "", f->root,
		key, path) != 0)
		return NULL;
	sig = slurp(sigpath);
	assert_non_null(sig);
	return sig;
}

#define NOW 0                       /* the test's clock */
#define Y2019 1546300800            /* 2019-01-01 */
#define JAN2025 1736899200          /* 2025-01-15 */
#define JAN2020 1579046400          /* 2020-01-15 */
#define Y3000 32503680000           /* 3000-01-01 */

/* One row: who signs what, in which namespace, verified when; who is proved. */
typedef struct agree_case {
	const char *name;
	const char *key;
	const char *ns;
	const char *hashalg;
	int64_t at;
	int tamper;
	const char *principal;    /* NULL: refused */
	const char *why;          /* a substring of the in-process reason */
} agree_case;

static const agree_case agree_cases[] = {
	{ "ed25519 good", "a-ed", "appctl", NULL, NOW, 0, "ed@example.com", NULL },
	{ "ecdsa p256 good, namespaces list", "a-p256", "appctl", NULL, NOW, 0, "p256@example.com", NULL },
	{ "ecdsa p384 good, quoted principal", "a-p384", "appctl", NULL, NOW, 0, "p384@example.com", NULL },
	{ "ecdsa p521 good, inside its window", "a-p521", "appctl", NULL, NOW, 0, "p521@example.com", NULL },
	{ "rsa 3072 rsa-sha2-512", "a-rsa", "appctl", NULL, NOW, 0, "rsa@example.com", NULL },
	{ "rsa 3072 hashalg=sha256", "a-rsa", "appctl", "sha256", NOW, 0, "rsa@example.com", NULL },
	{ "ed25519 hashalg=sha256", "a-ed", "appctl", "sha256", NOW, 0, "ed@example.com", NULL },
	{ "ed25519 signed -n git", "a-ed", "git", NULL, NOW, 0, NULL, "namespace" },
	{ "ecdsa signed -n git, git allowed", "a-p256", "git", NULL, NOW, 0, NULL, "namespace" },
	{ "namespaces=git only", "a-gitonly", "appctl", NULL, NOW, 0, NULL, "namespace" },
	{ "namespaces=*,!appctl", "a-notgit", "appctl", NULL, NOW, 0, NULL, "namespace" },
	{ "expired (valid-before past)", "a-old", "appctl", NULL, NOW, 0, NULL, "expired" },
	{ "expired key, verified as of 2019", "a-old", "appctl", NULL, Y2019, 0, "old@example.com", NULL },
	{ "not yet valid (valid-after 2999)", "a-later", "appctl", NULL, NOW, 0, NULL, "not yet valid" },
	{ "valid-after 2999, verified as of 3000", "a-later", "appctl", NULL, Y3000, 0, "later@example.com", NULL },
	{ "window, verified inside it", "a-window", "appctl", NULL, JAN2025, 0, "window@example.com", NULL },
	{ "window, verified after it", "a-window", "appctl", NULL, NOW, 0, NULL, "expired" },
	{ "window, verified before it", "a-window", "appctl", NULL, Y2019, 0, NULL, "not yet valid" },
	{ "p521 before its valid-after", "a-p521", "appctl", NULL, Y2019, 0, NULL, "not yet valid" },
	{ "tampered data ed25519", "a-ed", "appctl", NULL, NOW, 1, NULL, "ed@example.com" },
	{ "tampered data ecdsa", "a-p384", "appctl", NULL, NOW, 1, NULL, "verification failed" },
	{ "tampered data rsa", "a-rsa", "appctl", NULL, NOW, 1, NULL, "verification failed" },
	{ "key nobody lists", "a-stranger", "appctl", NULL, NOW, 0, NULL, "no principal in allowed_signers" },
	{ "pattern principal is no identity", "a-pattern", "appctl", NULL, NOW, 0, NULL, "not a principal" },
	{ "two principals: the first", "a-multi", "appctl", NULL, NOW, 0, "one@example.com", NULL },
	{ "unquoted option: line skipped", "a-badopt", "appctl", NULL, NOW, 0, NULL, "no principal" },
	{ "bad line skipped, next line used", "a-twice", "appctl", NULL, NOW, 0, "twice@example.com", NULL },
	{ "certificate by cert-authority", "a-user-cert.pub", "appctl", NULL, NOW, 0, "cert@example.com", NULL },
	{ "certificate, tampered", "a-user-cert.pub", "appctl", NULL, NOW, 1, NULL, "verification failed" },
	{ "certificate, signed -n git", "a-user-cert.pub", "git", NULL, NOW, 0, NULL, "namespace" },
	{ "certificate expired", "a-uexp-cert.pub", "appctl", NULL, NOW, 0, NULL, "no principal" },
	{ "certificate verified inside its validity", "a-uexp-cert.pub", "appctl", NULL, JAN2020, 0, "cert@example.com", NULL },
	{ "certificate not yet valid", "a-ursa-cert.pub", "appctl", NULL, NOW, 0, NULL, "no principal" },
	{ "certificate for another principal", "a-uother-cert.pub", "appctl", NULL, NOW, 0, NULL, "no valid principals" },
	{ "host certificate", "a-uhost-cert.pub", "appctl", NULL, NOW, 0, NULL, "no valid principals" },
	{ "certificate with two principals", "a-umulti-cert.pub", "appctl", NULL, NOW, 0, "cert@example.com", NULL },
	{ "certificate principal by pattern", "a-uwild-cert.pub", "appctl", NULL, NOW, 0, "a@certs.example.com", NULL },
	{ "certificate without principals", "a-unoprin-cert.pub", "appctl", NULL, NOW, 0, NULL, "no principal" },
	{ "ecdsa certificate by an RSA CA", "a-uec-cert.pub", "appctl", NULL, NOW, 0, "rsacert@example.com", NULL },
	{ "RSA CA line past its valid-before", "a-uec-cert.pub", "appctl", NULL, Y3000, 0, NULL, "expired" },
	{ "certificate key signing without its certificate", "a-uec", "appctl", NULL, NOW, 0, NULL, "no principal" },
	{ "plain key of a certificate's user", "a-user", "appctl", NULL, NOW, 0, NULL, "no principal" },
	{ "CA key signing itself", "a-ca", "appctl", NULL, NOW, 0, NULL, "no principal" },
};

/* `text` with CRLF line ends, as a file edited on Windows has (caller frees). */
static char *with_crlf(const char *text)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;

	for (; *text; text++) {
		if (*text == '\n')
			appctl_strbuf_putc(&b, '\r');
		appctl_strbuf_putc(&b, *text);
	}
	return appctl_strbuf_detach(&b);
}

/*
 * Every row is verified twice, in-process and by ssh-keygen
 * (appctl_ssh_verify_keygen), and both must give the expected verdict;
 * then again with the allowed_signers file in CRLF form.
 */
static void test_agrees_with_ssh_keygen(void **state)
{
	const fixture *f = *state;
	char *crlf = with_crlf(f->agree_signers);
	size_t i, n = sizeof(agree_cases) / sizeof(agree_cases[0]);

	assert_non_null(crlf);
	for (i = 0; i < 2 * n; i++) {
		const agree_case *c = &agree_cases[i % n];
		const char *signers = i < n ? f->agree_signers : crlf;
		const char *bytes = c->tamper ? "{\"appctl_event\":1,\"type\":\"revoke\"}" : data;
		int64_t at = c->at == NOW ? (int64_t)time(NULL) : c->at;
		char *sig = keygen_sign(f, c->key, c->ns, c->hashalg, data);
		char *p0 = NULL, *w0 = NULL, *p1 = NULL, *w1 = NULL, *p2 = NULL,
			*w2 = NULL;
		int decided = -1;

		if (!sig)
			fail_msg("%s: ssh-keygen could not sign", c->name);
		/* Every row is decided in-process, certificates included. */
		assert_null(appctl_sshsig_verify(&decided, &p0, &w0, signers,
			bytes, strlen(bytes), sig, at));
		if (decided != 1)
			fail_msg("%s: left to ssh-keygen", c->name);
		free(p0);
		free(w0);
		assert_null(appctl_ssh_verify(&p1, &w1, signers, bytes,
			strlen(bytes), sig, at));
		assert_null(appctl_ssh_verify_keygen(&p2, &w2, signers,
			bytes, strlen(bytes), sig, at));
		if ((p1 == NULL) != (p2 == NULL) || (p1 && strcmp(p1, p2) != 0))
			fail_msg("%s: in-process says %s (%s), ssh-keygen %s (%s)",
				c->name, p1 ? p1 : "refused", w1 ? w1 : "",
				p2 ? p2 : "refused", w2 ? w2 : "");
		/* Without signing, the key's public half names the same principal. */
		if (!c->tamper && strcmp(c->ns, "appctl") == 0) {
			char path[160], *kp = NULL, *kw = NULL;
			int known = -1;

			snprintf(path, sizeof(path), "%s/%s", f->root, c->key);
			assert_null(appctl_ssh_key_principal(&known, &kp, &kw, path,
				signers, at));
			if (strstr(c->key, "-cert.pub"))
				assert_int_equal(known, 0);
			else if (known != 1)
				fail_msg("%s: the key's public half did not decide", c->name);
			else if ((kp == NULL) != (p1 == NULL) || (kp && strcmp(kp, p1) != 0))
				fail_msg("%s: the key names %s (%s), the signature %s",
					c->name, kp ? kp : "nobody", kw ? kw : "",
					p1 ? p1 : "nobody");
			free(kp);
			free(kw);
		}
		if (c->principal) {
			if (!p1)
				fail_msg("%s: refused: %s", c->name, w1);
			assert_string_equal(p1, c->principal);
			assert_null(w1);
		} else {
			if (p1)
				fail_msg("%s: accepted as %s", c->name, p1);
			assert_non_null(w1);
			if (c->why && !strstr(w1, c->why))
				fail_msg("%s: reason '%s' lacks '%s'", c->name, w1, c->why);
		}
		free(p1);
		free(w1);
		free(p2);
		free(w2);
		free(sig);
	}
	free(crlf);
}

/* Base64 of `len` bytes (caller frees). */
static char *b64(const unsigned char *p, size_t len)
{
	char *out = malloc(len / 3 * 4 + 8);

	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, p, (int)len);
	return out;
}

/* An armored signature around `blob` (caller frees). */
static char *armor(const unsigned char *blob, size_t len)
{
	char *body = b64(blob, len), *out;

	out = appctl_str_printf("-----BEGIN SSH SIGNATURE-----\n%s\n"
		"-----END SSH SIGNATURE-----\n", body);
	free(body);
	assert_non_null(out);
	return out;
}

/* Asserts a clean refusal, in-process, without ssh-keygen. */
static void assert_refused(const fixture *f, const char *sig, const char *what)
{
	char *p = NULL, *w = NULL;
	appctl_error *err = appctl_ssh_verify(&p, &w, f->agree_signers, data,
		strlen(data), sig, (int64_t)time(NULL));

	if (err)
		fail_msg("%s: error %s", what, err->message);
	if (p)
		fail_msg("%s: accepted as %s", what, p);
	assert_non_null(w);
	free(w);
}

/*
 * Malformed signatures are refused cleanly (ASan and UBSan watch): armor
 * errors, bad base64, every truncation of a real blob (a certificate's
 * too), lengths that run past the end, a bit flipped in any byte.
 */
static void test_malformed_signatures(void **state)
{
	static const char *const armors[] = {
		"-----BEGIN SSH SIGNATURE-----",
		"-----BEGIN SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----U1NIU0lH\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE",
		"-----BEGIN SSH SIGNATURE-----\nU1N*IU0lH\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH=A\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\nU\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\n\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN PGP SIGNATURE-----\nU1NIU0lH\n-----END PGP SIGNATURE-----\n",
	};
	static const char *const keys[] = { "a-ed", "a-p521", "a-rsa",
		"a-uec-cert.pub" };
	const fixture *f = *state;
	size_t i, k;

	for (i = 0; i < sizeof(armors) / sizeof(armors[0]); i++)
		assert_refused(f, armors[i], armors[i]);
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char *sig = keygen_sign(f, keys[k], "appctl", NULL, data);
		appctl_sshsig s;
		const char *why = NULL;
		unsigned char *blob;
		size_t len, cut;

		assert_non_null(sig);
		assert_int_equal(appctl_sshsig_parse(&s, sig, strlen(sig), &why), 0);
		len = s.blob_len;
		blob = malloc(len);
		assert_non_null(blob);
		memcpy(blob, s.blob, len);
		appctl_sshsig_dispose(&s);
		/* Every proper prefix is refused. */
		for (cut = 0; cut < len; cut++) {
			char *t = armor(blob, cut);

			assert_refused(f, t, "truncated");
			free(t);
		}
		/* A huge length in each of the first length fields. */
		for (cut = 10; cut + 4 <= len && cut < 64; cut += 4) {
			unsigned char *h = malloc(len);
			char *t;

			assert_non_null(h);
			memcpy(h, blob, len);
			h[cut] = h[cut + 1] = h[cut + 2] = h[cut + 3] = 0xff;
			t = armor(h, len);
			assert_refused(f, t, "huge length");
			free(t);
			free(h);
		}
		/* A flipped bit anywhere: magic, key, certificate, namespace, signature. */
		for (cut = 0; cut < len; cut++) {
			char *t;

			blob[cut] ^= 0x01;
			t = armor(blob, len);
			assert_refused(f, t, "flipped bit");
			free(t);
			blob[cut] ^= 0x01;
		}
		{
			/* Trailing data after the signature. */
			unsigned char *h = malloc(len + 1);
			char *t;

			assert_non_null(h);
			memcpy(h, blob, len);
			h[len] = 0;
			t = armor(h, len + 1);
			assert_refused(f, t, "trailing data");
			free(t);
			free(h);
		}
		free(blob);
		free(sig);
	}
}

/* SSH wire string into `b`. */
static void wire_string(appctl_strbuf *b, const char *p, size_t len)
{
	unsigned char n[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
		(unsigned char)(len >> 8), (unsigned char)len };

	appctl_strbuf_add(b, (const char *)n, 4);
	appctl_strbuf_add(b, p, len);
}

/*
 * A key type not verified in-process (DSA here) is left undecided by the
 * in-process verifier, and appctl_ssh_verify gives ssh-keygen's answer.
 */
static void test_fallback_to_ssh_keygen(void **state)
{
	const fixture *f = *state;
	appctl_strbuf key = APPCTL_STRBUF_INIT, blob = APPCTL_STRBUF_INIT;
	char *sig, *p0 = NULL, *w0 = NULL, *p1 = NULL, *w1 = NULL, *p2 = NULL,
		*w2 = NULL;
	int decided = -1;

	wire_string(&key, "ssh-dss", 7);
	wire_string(&key, "\x01\x02", 2);
	appctl_strbuf_add(&blob, "SSHSIG\0\0\0\1", 10);
	wire_string(&blob, key.ptr, key.len);
	wire_string(&blob, "appctl", 6);
	wire_string(&blob, "", 0);
	wire_string(&blob, "sha512", 6);
	wire_string(&blob, "\0\0\0\7ssh-dss\0\0\0\0", 15);
	assert_non_null(blob.ptr);
	sig = armor((const unsigned char *)blob.ptr, blob.len);
	assert_null(appctl_sshsig_verify(&decided, &p0, &w0, f->agree_signers,
		data, strlen(data), sig, (int64_t)time(NULL)));
	assert_int_equal(decided, 0);
	assert_null(p0);
	assert_null(w0);
	assert_null(appctl_ssh_verify(&p1, &w1, f->agree_signers, data,
		strlen(data), sig, (int64_t)time(NULL)));
	assert_null(appctl_ssh_verify_keygen(&p2, &w2, f->agree_signers, data,
		strlen(data), sig, (int64_t)time(NULL)));
	assert_null(p1);
	assert_null(p2);
	assert_non_null(w1);
	assert_non_null(w2);
	assert_string_equal(w1, w2);
	free(w1);
	free(w2);
	free(sig);
	appctl_strbuf_dispose(&key);
	appctl_strbuf_dispose(&blob);
}

/* The allowed_signers parser and the pieces of ssh-keygen's rules it uses. */
static void test_allowed_signers_rules(void **state)
{
	static const struct {
		const char *s, *list;
		int expect;
	} patterns[] = {
		{ "rita@example.com", "*@example.com", 1 },
		{ "rita@example.com", "*@example.org", 0 },
		{ "rita@example.com", "*,!rita@*", -1 },
		{ "appctl", "git,appctl", 1 },
		{ "appctl", "app?tl", 1 },
		{ "appctl", "app", 0 },
		{ "appctl", "", 0 },
		{ "a", "**", 1 },
	};
	static const struct {
		const char *s;
		uint64_t t;               /* 0: refused */
	} times[] = {
		{ "20200101Z", 1577836800 },
		{ "202001010000Z", 1577836800 },
		{ "20200101000001Z", 1577836801 },
		{ "20200101000001UTC", 1577836801 },
		{ "20200230Z", 1583020800 },      /* rolled over, as strptime+timegm do */
		{ "20200132Z", 0 },
		{ "19691231Z", 0 },
		{ "2020010Z", 0 },
		{ "2020-01-01", 0 },
		{ "Z", 0 },
	};
	appctl_allowed_signers *list = NULL;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		assert_int_equal(appctl_ssh_pattern_list_match(patterns[i].s,
			patterns[i].list), patterns[i].expect);
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		uint64_t t = 99;
		int rc = appctl_ssh_time_parse(&t, times[i].s);

		assert_int_equal(rc, times[i].t ? 0 : -1);
		assert_true(t == times[i].t);
	}
	assert_null(appctl_allowed_signers_parse(&list,
		"# c\n\n"
		"a@x.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtUx1JFdJ7XsS2e0LKBOgxkhXmDdJtZ0t9tIRc4ObNE c\n"
		"b@x.org cert-authority,namespaces=\"a\\\"b\",valid-after=\"20200101\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtUx1JFdJ7XsS2e0LKBOgxkhXmDdJtZ0t9tIRc4ObNE\n"
		"c@x.org valid-before=\"20200101Z\",valid-after=\"20200102Z\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtUx1JFdJ7XsS2e0LKBOgxkhXmDdJtZ0t9tIRc4ObNE\n"
		"d@x.org unknown=\"x\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtUx1JFdJ7XsS2e0LKBOgxkhXmDdJtZ0t9tIRc4ObNE\n"
		"e@x.org ssh-ed25519 AAAA\n"
		"f@x.org\n", 0));
	/* Sized by strlen below; the parser takes a length. */
	appctl_allowed_signers_free(list);
	list = NULL;
	{
		const char *text =
			"# c\n\n"
			"a@x.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtUx1JFdJ7XsS2e0LKBOgxkhXmDdJtZ0t9tIRc4ObNE c\n"
			"b@x.org cert-authority,namespaces=\"a\\\"b\",valid-after=\"20200101Z\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtUx1JFdJ7XsS2e0LKBOgxkhXmDdJtZ0t9tIRc4ObNE\n"
			"c@x.org valid-before=\"20200101Z\",valid-after=\"20200102Z\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtUx1JFdJ7XsS2e0LKBOgxkhXmDdJtZ0t9tIRc4ObNE\n"
			"d@x.org unknown=\"x\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtUx1JFdJ7XsS2e0LKBOgxkhXmDdJtZ0t9tIRc4ObNE\n"
			"e@x.org ssh-ed25519 AAAA\n"
			"f@x.org\n";

		assert_null(appctl_allowed_signers_parse(&list, text, strlen(text)));
	}
	assert_int_equal(list->count, 2);
	assert_int_equal(list->skipped, 6);
	assert_string_equal(list->lines[0].principals, "a@x.org");
	assert_int_equal(list->lines[0].line_no, 3);
	assert_int_equal(list->lines[0].key_len, 51);
	assert_int_equal(list->lines[1].cert_authority, 1);
	assert_string_equal(list->lines[1].namespaces, "a\"b");
	assert_true(list->lines[1].valid_after == 1577836800);
	assert_true(list->lines[1].valid_before == 0);
	appctl_allowed_signers_free(list);
	appctl_allowed_signers_free(NULL);
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
		cmocka_unit_test(test_agrees_with_ssh_keygen),
		cmocka_unit_test(test_malformed_signatures),
		cmocka_unit_test(test_allowed_signers_rules),
		cmocka_unit_test(test_fallback_to_ssh_keygen),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
