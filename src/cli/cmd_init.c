/* cmd_init.c: `appctl init`: put a repository under appctl (environments, log, release 0). */
#include <stdio.h>
#include <stdlib.h>

#include "appctl/json.h"
#include "appctl/strbuf.h"
#include "cli.h"

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
	appctl_strbuf_puts(&out, "}\n");
	if (out.failed)
		err = appctl_error_nomem();
	else
		fputs(out.ptr, stdout);
	appctl_strbuf_dispose(&out);
	return err;
}

appctl_error *cmd_init(appctl_cli *cli, int argc, char **argv)
{
	static const appctl_opt opts[] = { { NULL, 0, APPCTL_OPT_FLAG, NULL,
		NULL } };
	appctl_error *err = NULL;
	appctl_repo *repo = NULL;
	appctl_init_result *result = NULL;
	char *email = NULL;
	char now[32];
	int npos, help;

	err = appctl_cli_parse(argc, argv, opts, NULL, 0, &npos, &help);
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
	appctl_cli_now(now, sizeof(now));
	err = appctl_store_init_ext(&result, repo, email, now);
	if (err)
		goto cleanup;
	if (cli->json)
		err = print_json(result);
	else
		fputs(result->report, stdout);
cleanup:
	appctl_init_result_free(result);
	free(email);
	appctl_repo_free(repo);
	return err;
}
