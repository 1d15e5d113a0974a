/* cmd_promote.c: `appctl promote ENV [REV]`: move an approved change into an environment, atomically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/clock.h"
#include "appctl/log.h"
#include "appctl/verify.h"
#include "cli_release.h"
#include "sync.h"

/*
 * Where ENV stands and what it is promoted from: its state in the log head
 * and the source environment named by the policy of its current commit (the
 * policy that judges the promotion).
 */
static appctl_error *locate(appctl_log_state **state,
	const appctl_env_state **env_state, char **source, appctl_cli *cli,
	const char *env)
{
	appctl_app_listing *listing = NULL;
	appctl_error *err;
	const char *src;
	char head[41];

	*source = NULL;
	err = appctl_log_verified(head, state, cli->repo, appctl_clock_now());
	if (err)
		return err;
	if (!*state)
		return appctl_repo_not_synced(cli->repo, APPCTL_LOG_REF);
	*env_state = appctl_log_state_env(*state, env);
	if (!*env_state)
		return appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not an environment of this repository", env);
	err = appctl_repo_list_apps(&listing, cli->repo, (*env_state)->commit);
	if (err)
		return err;
	src = appctl_policy_source_env(listing->policy, env);
	if (!src)
		err = appctl_error_new(APPCTL_EUSAGE, "'%s' is the first "
			"environment: builders commit to it, nothing is promoted "
			"into it", env);
	else if (!(*source = strdup(src)))
		err = appctl_error_nomem();
	appctl_app_listing_free(listing);
	return err;
}

/* REV (default: the source's head) must be something the source holds. */
static appctl_error *choose_commit(char out[41], appctl_cli *cli,
	const char *source, const char *rev)
{
	appctl_error *err;
	char name[300], head[41];
	int found = 0, reaches = 0;

	snprintf(name, sizeof(name), "refs/heads/%s", source);
	err = appctl_ref_read(head, &found, cli->repo, name);
	if (err)
		return err;
	if (!found)
		return appctl_repo_not_synced(cli->repo, name);
	if (!rev) {
		memcpy(out, head, 41);
		return NULL;
	}
	err = appctl_repo_resolve(out, cli->repo, rev);
	if (!err)
		err = appctl_commit_reaches(&reaches, cli->repo, head, out);
	if (!err && !reaches)
		err = appctl_error_new(APPCTL_EUSAGE, "'%s' (%.7s) is not in "
			"'%s': only what the source environment holds can be "
			"promoted", rev, out, source);
	return err;
}

appctl_error *cmd_promote(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL }, *message = NULL, *key = NULL;
	int npos = 0, help = 0, dry_run = 0, break_glass = 0, json = 0, push = 0;
	const appctl_opt opts[] = {
		{ "push", 0, APPCTL_OPT_FLAG, &push, NULL },
		{ "dry-run", 'n', APPCTL_OPT_FLAG, &dry_run, NULL },
		{ "message", 'm', APPCTL_OPT_STRING, &message, "TEXT" },
		{ "break-glass", 0, APPCTL_OPT_FLAG, &break_glass, NULL },
		{ "key", 0, APPCTL_OPT_STRING, &key, "PRIVATE_KEY_FILE" },
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ 0 }
	};
	appctl_release_request req;
	appctl_log_state *state = NULL;
	const appctl_env_state *env_state = NULL;
	appctl_error *err;
	char *source = NULL, commit[41];

	err = appctl_cli_parse(argc, argv, opts, pos, 2, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("promote");
		return NULL;
	}
	cli->json |= json;
	if (npos < 1)
		return appctl_error_new(APPCTL_EUSAGE,
			"usage: appctl promote ENV [REV] [--dry-run] [-m TEXT] [--push] "
			"[--break-glass] [--key FILE]");
	if (break_glass && (!message || !*message))
		return appctl_error_new(APPCTL_EUSAGE,
			"--break-glass needs the reason: -m REASON");
	err = locate(&state, &env_state, &source, cli, pos[0]);
	if (!err)
		err = choose_commit(commit, cli, source, npos > 1 ? pos[1] : NULL);
	if (err)
		goto cleanup;
	if (strcmp(commit, env_state->commit) == 0) {
		if (cli->json)
			printf("{\"env\":\"%s\",\"commit\":\"%s\",\"release\":%lld,"
				"\"done\":false,\"nothing_to_do\":true}\n", pos[0],
				commit, (long long)env_state->release);
		else
			printf("%s is already at %.7s (release %lld): nothing to "
				"promote\n", pos[0], commit,
				(long long)env_state->release);
		goto cleanup;
	}
	memset(&req, 0, sizeof(req));
	req.type = APPCTL_EV_PROMOTE;
	req.env = pos[0];
	req.commit = commit;
	req.source = source;
	req.rollback_to = -1;
	req.expected_release = env_state->release;
	req.comment = message;
	req.key_option = key;
	req.break_glass = break_glass;
	req.dry_run = dry_run;
	err = appctl_release_run(cli, &req);
	if (!err && push && !dry_run)
		err = appctl_sync_run(cli, "origin", stderr);
cleanup:
	free(source);
	appctl_log_state_free(state);
	return err;
}
