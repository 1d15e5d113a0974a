/* cmd_init.c: `appctl init`: put a repository under appctl (environments, log, release 0). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appctl/allowed_signers.h"
#include "appctl/json.h"
#include "appctl/strbuf.h"
#include "cli.h"

/* A public key file is one line; anything much bigger is not one. */
#define KEY_FILE_MAX 16384

/* The first approvers gathered from --signer or git config, owned here. */
typedef struct signer_list {
	appctl_init_signer *items;
	char **owned;          /* the strings the items point into */
	size_t count, owned_count;
	char *no_signer_reason;
} signer_list;

static void signer_list_dispose(signer_list *l)
{
	size_t i;

	for (i = 0; i < l->owned_count; i++)
		free(l->owned[i]);
	free(l->owned);
	free(l->items);
	free(l->no_signer_reason);
	memset(l, 0, sizeof(*l));
}

static appctl_error *own(signer_list *l, char *s)
{
	char **grown;

	if (!s)
		return appctl_error_nomem();
	grown = realloc(l->owned, (l->owned_count + 1) * sizeof(*grown));
	if (!grown) {
		free(s);
		return appctl_error_nomem();
	}
	l->owned = grown;
	l->owned[l->owned_count++] = s;
	return NULL;
}

/* "~/" as git expands it in config values and as a shell would on the command line. */
static char *expand_home(const char *path)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;

	if (strncmp(path, "~/", 2) == 0 && getenv("HOME"))
		appctl_strbuf_printf(&b, "%s/%s", getenv("HOME"), path + 2);
	else
		appctl_strbuf_puts(&b, path);
	return appctl_strbuf_detach(&b);
}

/*
 * Reads the public key `path` names (a private key file with its ".pub"
 * next to it is taken as the pair). *out is its first line, trimmed; the
 * caller frees it.
 */
static appctl_error *read_public_key(char **out, const char *path)
{
	appctl_strbuf name = APPCTL_STRBUF_INIT, text = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	char buf[4096];
	size_t n, len;
	FILE *f = NULL;
	char *full = expand_home(path);

	*out = NULL;
	if (!full)
		return appctl_error_nomem();
	appctl_strbuf_puts(&name, full);
	len = strlen(full);
	if ((len < 4 || strcmp(full + len - 4, ".pub") != 0)) {
		appctl_strbuf_puts(&name, ".pub");
		if (name.failed || access(name.ptr, F_OK) != 0) {
			appctl_strbuf_dispose(&name);
			appctl_strbuf_puts(&name, full);
		}
	}
	if (name.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	f = fopen(name.ptr, "rb");
	if (!f) {
		err = appctl_error_new(APPCTL_EUSAGE, "cannot read key '%s': %s",
			name.ptr, strerror(errno));
		goto cleanup;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && text.len < KEY_FILE_MAX)
		appctl_strbuf_add(&text, buf, n);
	if (text.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	if (text.len && strstr(text.ptr, "PRIVATE KEY")) {
		err = appctl_error_new(APPCTL_EUSAGE,
			"'%s' is a private key and has no .pub next to it; give "
			"the public key (ssh-keygen -y -f '%s' > '%s.pub')",
			name.ptr, name.ptr, name.ptr);
		goto cleanup;
	}
	len = text.len ? strcspn(text.ptr, "\r\n") : 0;
	while (len && (text.ptr[len - 1] == ' ' || text.ptr[len - 1] == '\t'))
		len--;
	*out = malloc(len + 1);
	if (!*out) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	if (len)
		memcpy(*out, text.ptr, len);
	(*out)[len] = '\0';
cleanup:
	if (f)
		fclose(f);
	appctl_strbuf_dispose(&text);
	appctl_strbuf_dispose(&name);
	free(full);
	return err;
}

/*
 * Whether `key` ("KEYTYPE BASE64 [COMMENT]") is a line ssh-keygen would
 * accept in allowed_signers for `principal`: the one parser appctl checks
 * signatures with decides.
 */
static appctl_error *check_signer(const char *principal, const char *key,
	const char *source)
{
	appctl_allowed_signers *parsed = NULL;
	appctl_strbuf line = APPCTL_STRBUF_INIT;
	appctl_error *err;
	int ok;

	if (!appctl_principal_is_valid(principal))
		return appctl_error_new(APPCTL_EUSAGE,
			"%s: '%s' is not a valid principal (an e-mail address such "
			"as ann@example.com)",
			source, principal);
	if (strncmp(key, "ssh-", 4) != 0 && strncmp(key, "ecdsa-", 6) != 0 &&
		strncmp(key, "sk-", 3) != 0)
		return appctl_error_new(APPCTL_EUSAGE,
			"%s: not an SSH public key (expected a line such as "
			"'ssh-ed25519 AAAA... you@laptop')",
			source);
	appctl_strbuf_printf(&line, "%s namespaces=\"appctl\" %s\n", principal,
		key);
	if (line.failed)
		return appctl_error_nomem();
	err = appctl_allowed_signers_parse(&parsed, line.ptr, line.len);
	ok = !err && parsed->count == 1 && parsed->skipped == 0;
	appctl_allowed_signers_free(parsed);
	appctl_strbuf_dispose(&line);
	if (err)
		return err;
	if (!ok)
		return appctl_error_new(APPCTL_EUSAGE,
			"%s: not an SSH public key appctl can use", source);
	return NULL;
}

static appctl_error *add_signer(signer_list *l, const char *principal,
	char *key, const char *source)
{
	appctl_init_signer *grown;
	appctl_error *err;
	char *p = strdup(principal);
	size_t i;

	err = own(l, key);
	if (!err)
		err = own(l, p);
	else
		free(p);
	if (!err)
		err = check_signer(p, key, source);
	for (i = 0; !err && i < l->count; i++)
		if (strcmp(l->items[i].principal, p) == 0)
			err = appctl_error_new(APPCTL_EUSAGE,
				"--signer: '%s' is given twice", p);
	if (err)
		return err;
	grown = realloc(l->items, (l->count + 1) * sizeof(*grown));
	if (!grown)
		return appctl_error_nomem();
	l->items = grown;
	grown[l->count].principal = p;
	grown[l->count].key = key;
	l->count++;
	return NULL;
}

/* One --signer PRINCIPAL=KEY.pub. */
static appctl_error *parse_signer(signer_list *l, const char *arg)
{
	const char *eq = strchr(arg, '=');
	appctl_error *err;
	char *principal, *key = NULL;

	if (!eq || eq == arg || !eq[1])
		return appctl_error_new(APPCTL_EUSAGE,
			"--signer '%s': expected PRINCIPAL=KEY.pub", arg);
	principal = strndup(arg, (size_t)(eq - arg));
	if (!principal)
		return appctl_error_nomem();
	err = read_public_key(&key, eq + 1);
	if (!err)
		err = add_signer(l, principal, key, eq + 1);
	free(principal);
	return err;
}

/*
 * Without --signer: git's own signing key (user.signingkey, an SSH public
 * key, "key::" literal, or a private key with its .pub) for user.email.
 * When there is none, l->no_signer_reason says why, for init's refusal.
 */
static appctl_error *signer_from_config(signer_list *l, appctl_repo *repo,
	const char *email)
{
	appctl_error *err;
	char *value = NULL, *key = NULL;

	err = appctl_repo_config_string(&value, repo, "user.signingkey");
	if (err)
		return err;
	if (!value || !*value) {
		l->no_signer_reason = strdup("no --signer, and git config "
					     "user.signingkey is not set");
		goto done;
	}
	if (strncmp(value, "key::", 5) == 0)
		key = strdup(value + 5);
	else
		err = read_public_key(&key, value);
	if (err || !key) {
		appctl_strbuf b = APPCTL_STRBUF_INIT;

		appctl_strbuf_printf(&b, "user.signingkey '%s' is not a readable "
			"SSH public key%s%s", value, err ? ": " : "",
			err ? err->message : "");
		appctl_error_free(err);
		err = NULL;
		free(key);
		l->no_signer_reason = appctl_strbuf_detach(&b);
		goto done;
	}
	err = add_signer(l, email, key, "user.signingkey");
	if (err) {
		appctl_strbuf b = APPCTL_STRBUF_INIT;

		appctl_strbuf_printf(&b, "user.signingkey: %s", err->message);
		appctl_error_free(err);
		err = NULL;
		l->no_signer_reason = appctl_strbuf_detach(&b);
		l->count = 0;
	}
done:
	free(value);
	return err;
}

static void json_string_array(appctl_strbuf *out, const char *key,
	char *const *items, size_t count)
{
	size_t i;

	appctl_json_quote(out, key);
	appctl_strbuf_puts(out, ":[");
	for (i = 0; i < count; i++) {
		if (i)
			appctl_strbuf_putc(out, ',');
		appctl_json_quote(out, items[i]);
	}
	appctl_strbuf_putc(out, ']');
}

static appctl_error *print_json(const appctl_init_result *result)
{
	appctl_strbuf out = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;

	appctl_strbuf_puts(&out, "{\"commit\":");
	appctl_json_quote(&out, result->commit);
	appctl_strbuf_putc(&out, ',');
	json_string_array(&out, "environments", result->environments,
		result->environment_count);
	appctl_strbuf_putc(&out, ',');
	json_string_array(&out, "created", result->created,
		result->created_count);
	appctl_strbuf_putc(&out, ',');
	json_string_array(&out, "files", result->files, result->file_count);
	appctl_strbuf_putc(&out, ',');
	json_string_array(&out, "warnings", result->warnings,
		result->warning_count);
	appctl_strbuf_puts(&out, "}\n");
	if (out.failed)
		err = appctl_error_nomem();
	else
		fputs(out.ptr, stdout);
	appctl_strbuf_dispose(&out);
	return err;
}

/*
 * Takes every --signer out of argv (the options table holds one value per
 * option; --signer repeats), parsing each into `l`. `rest` receives the
 * other arguments, for appctl_cli_parse; the caller frees the array.
 */
static appctl_error *take_signers(signer_list *l, char ***rest, int *nrest,
	int argc, char **argv)
{
	appctl_error *err = NULL;
	int i, n = 0;

	*rest = calloc((size_t)argc + 1, sizeof(**rest));
	if (!*rest)
		return appctl_error_nomem();
	for (i = 0; i < argc && !err; i++) {
		const char *arg = argv[i];

		if (i > 0 && strcmp(arg, "--") == 0) {
			while (i < argc)
				(*rest)[n++] = argv[i++];
			break;
		}
		if (i > 0 && strcmp(arg, "--signer") == 0) {
			if (i + 1 >= argc)
				err = appctl_error_new(APPCTL_EUSAGE,
					"option '--signer' needs a value");
			else
				err = parse_signer(l, argv[++i]);
		} else if (i > 0 && strncmp(arg, "--signer=", 9) == 0) {
			err = parse_signer(l, arg + 9);
		} else {
			(*rest)[n++] = argv[i];
		}
	}
	*nrest = n;
	return err;
}

static void print_warnings(const appctl_init_result *result)
{
	size_t i;

	for (i = 0; i < result->warning_count; i++)
		fprintf(stderr, "appctl: warning: %s\n", result->warnings[i]);
}

appctl_error *cmd_init(appctl_cli *cli, int argc, char **argv)
{
	static const appctl_opt opts[] = { { NULL, 0, APPCTL_OPT_FLAG, NULL,
		NULL } };
	appctl_error *err = NULL;
	appctl_repo *repo = NULL;
	appctl_init_result *result = NULL;
	appctl_init_options init_opts;
	signer_list signers;
	char **rest = NULL;
	char *email = NULL;
	char now[32];
	int npos, help, nrest = 0;

	memset(&signers, 0, sizeof(signers));
	memset(&init_opts, 0, sizeof(init_opts));
	err = take_signers(&signers, &rest, &nrest, argc, argv);
	if (!err)
		err = appctl_cli_parse(nrest, rest, opts, NULL, 0, &npos, &help);
	if (err)
		goto cleanup;
	if (help) {
		appctl_cli_print_help("init");
		goto cleanup;
	}
	/* Not opened by main: init is where a repository becomes an appctl one. */
	err = appctl_repo_open(&repo, cli->dir);
	if (err)
		goto cleanup;
	/* The init event names who ran it, as every event names its principal. */
	err = appctl_repo_config_string(&email, repo, "user.email");
	if (err)
		goto cleanup;
	if (!email || !*email) {
		err = appctl_error_new(APPCTL_ESYSTEM,
			"user.email is not set; set "
			"it with 'git config user.email you@example.com'");
		goto cleanup;
	}
	init_opts.explicit_signers = signers.count > 0;
	if (!signers.count) {
		err = signer_from_config(&signers, repo, email);
		if (err)
			goto cleanup;
	}
	init_opts.signers = signers.items;
	init_opts.signer_count = signers.count;
	init_opts.no_signer_reason = signers.no_signer_reason;
	appctl_cli_now(now, sizeof(now));
	err = appctl_store_init_ext(&result, repo, email, now, &init_opts);
	if (err)
		goto cleanup;
	print_warnings(result);
	if (cli->json)
		err = print_json(result);
	else
		fputs(result->report, stdout);
cleanup:
	appctl_init_result_free(result);
	signer_list_dispose(&signers);
	free(rest);
	free(email);
	appctl_repo_free(repo);
	return err;
}
