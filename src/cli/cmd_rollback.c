/* cmd_rollback.c: `appctl rollback ENV [--to N]`: go back to an earlier release, recorded as a new one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/log.h"
#include "cli_release.h"

/*
 * The commit of release `n` as the verified log recorded it. The release
 * tag must agree: a moved tag is a sign of tampering, and a rollback must
 * not follow it.
 */
static appctl_error *release_commit(char out[41], appctl_cli *cli,
	appctl_chain *chain, const appctl_env_state *e, int64_t n)
{
	appctl_error *err;
	char tag[300], at[41];
	int found = 0;

	err = appctl_chain_release_commit(out, &found, chain, e->env, n);
	if (!err && !found)
		err = appctl_error_new(APPCTL_EINPUT, "the log records no "
			"release %lld of '%s'", (long long)n, e->env);
	if (err)
		return err;
	snprintf(tag, sizeof(tag), "refs/tags/release/%s/%lld", e->env,
		(long long)n);
	err = appctl_ref_read(at, &found, cli->repo, tag);
	if (err)
		return err;
	if (found && strcmp(at, out) != 0)
		return appctl_error_new(APPCTL_EDENIED, "'%s' points at %.7s but "
			"the log recorded %.7s for that release; see 'appctl audit "
			"--verify'", tag, at, out);
	return NULL;
}

static int parse_release_number(int64_t *out, const char *s)
{
	char *end;
	long long v;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

appctl_error *cmd_rollback(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *message = NULL, *key = NULL, *to = NULL;
	int npos = 0, help = 0, dry_run = 0, break_glass = 0, json = 0;
	const appctl_opt opts[] = {
		{ "to", 0, APPCTL_OPT_STRING, &to, "N" },
		{ "message", 'm', APPCTL_OPT_STRING, &message, "TEXT" },
		{ "dry-run", 'n', APPCTL_OPT_FLAG, &dry_run, NULL },
		{ "break-glass", 0, APPCTL_OPT_FLAG, &break_glass, NULL },
		{ "key", 0, APPCTL_OPT_STRING, &key, "PRIVATE_KEY_FILE" },
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ 0 }
	};
	appctl_release_request req;
	appctl_judge_ctx ctx;
	appctl_chain *chain = NULL;
	const appctl_env_state *e;
	appctl_error *err;
	char commit[41];
	int64_t n;

	err = appctl_cli_parse(argc, argv, opts, pos, 1, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("rollback");
		return NULL;
	}
	cli->json |= json;
	if (npos < 1)
		return appctl_error_new(APPCTL_EUSAGE, "usage: appctl rollback "
			"ENV [--to N] [-m TEXT] [--dry-run] [--key FILE]");
	if (break_glass && (!message || !*message))
		return appctl_error_new(APPCTL_EUSAGE,
			"--break-glass needs the reason: -m REASON");
	err = appctl_cli_judge_ctx(&ctx, &chain, cli);
	if (err)
		goto cleanup;
	e = appctl_log_state_env(appctl_chain_state(chain), pos[0]);
	if (!e) {
		err = appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not an environment of this repository", pos[0]);
		goto cleanup;
	}
	n = e->release - 1;
	if (to && parse_release_number(&n, to) != 0) {
		err = appctl_error_new(APPCTL_EUSAGE,
			"--to: '%s' is not a release number", to);
		goto cleanup;
	}
	if (n < 0 || n >= e->release) {
		if (e->release == 0)
			err = appctl_error_new(APPCTL_EUSAGE, "'%s' is at release "
				"0: there is nothing to roll back to", pos[0]);
		else
			err = appctl_error_new(APPCTL_EUSAGE, "'%s' is at release "
				"%lld: --to takes 0 to %lld", pos[0],
				(long long)e->release, (long long)e->release - 1);
		goto cleanup;
	}
	err = release_commit(commit, cli, chain, e, n);
	if (err)
		goto cleanup;
	if (strcmp(commit, e->commit) == 0) {
		if (cli->json)
			printf("{\"env\":\"%s\",\"commit\":\"%s\",\"release\":%lld,"
				"\"done\":false,\"nothing_to_do\":true}\n", pos[0],
				commit, (long long)e->release);
		else
			printf("%s is already at %.7s, the commit of release %lld: "
				"nothing to roll back\n", pos[0], commit, (long long)n);
		goto cleanup;
	}
	memset(&req, 0, sizeof(req));
	req.type = APPCTL_EV_ROLLBACK;
	req.env = pos[0];
	req.commit = commit;
	req.rollback_to = n;
	req.expected_release = e->release;
	req.comment = message;
	req.key_option = key;
	req.break_glass = break_glass;
	req.dry_run = dry_run;
	err = appctl_release_run(cli, &req);
cleanup:
	appctl_chain_free(chain);
	return err;
}
