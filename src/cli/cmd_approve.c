/* cmd_approve.c: `appctl approve ENV [REV] [-m TEXT] [--key FILE] [--revoke] [--json]`: a signed approval in the log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appctl/access.h"
#include "appctl/clock.h"
#include "appctl/json.h"
#include "appctl/log.h"
#include "appctl/release.h"
#include "appctl/remote.h"
#include "appctl/verify.h"
#include "appctl/sign.h"
#include "appctl/strbuf.h"
#include "cli_notify.h"
#include "sync.h"

/* A principal used only to sign the probe that finds out who the key is. */
#define PROBE_PRINCIPAL "unknown@appctl.invalid"

/*
 * The private key file to sign with: --key, else git's user.signingkey
 * ("~/" expanded as git does). A ".pub" names the key pair: the private
 * half is used when it sits next to it, else the public file is handed to
 * ssh-keygen, which then signs through ssh-agent (as git does). *out is
 * NULL when no key is configured; the caller frees it.
 */
static appctl_error *signing_key(char **out, appctl_cli *cli,
	const char *option)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	char *configured = NULL;
	const char *value = option;
	appctl_error *err = NULL;

	*out = NULL;
	if (!value) {
		err = appctl_repo_config_string(&configured, cli->repo,
			"user.signingkey");
		if (err)
			return err;
		value = configured;
	}
	if (!value || !*value)
		goto done;
	if (strncmp(value, "key::", 5) == 0) {
		err = appctl_error_new(APPCTL_EUSAGE,
			"user.signingkey holds a literal key; appctl needs a key "
			"file: pass --key FILE");
		goto done;
	}
	if (!option && strncmp(value, "~/", 2) == 0 && getenv("HOME"))
		appctl_strbuf_printf(&path, "%s/%s", getenv("HOME"), value + 2);
	else
		appctl_strbuf_puts(&path, value);
	if (path.failed) {
		err = appctl_error_nomem();
		goto done;
	}
	if (path.len > 4 && strcmp(path.ptr + path.len - 4, ".pub") == 0) {
		path.ptr[path.len - 4] = '\0';
		if (access(path.ptr, F_OK) != 0)
			path.ptr[path.len - 4] = '.';
		else
			path.len -= 4;
	}
	*out = appctl_strbuf_detach(&path);
	if (!*out)
		err = appctl_error_nomem();
done:
	appctl_strbuf_dispose(&path);
	free(configured);
	return err;
}

/*
 * Signs the canonical bytes of `ev` and checks, as every later reader will,
 * that the signature verifies against `signers` by this machine's clock.
 * *principal is who it verifies as (caller frees), or NULL with *why
 * (caller frees) saying why not.
 */
static appctl_error *sign_event(char **json, char **sig, char **principal,
	char **why, const appctl_event *ev, const char *key, const char *signers)
{
	appctl_error *err;

	*json = *sig = *principal = *why = NULL;
	err = appctl_event_format(json, ev);
	if (!err)
		err = appctl_ssh_sign(sig, key, *json, strlen(*json));
	if (!err)
		err = appctl_ssh_verify(principal, why, signers, *json,
			strlen(*json), *sig, appctl_clock_now());
	return err;
}

/* The refusal of a key the target's allowed_signers does not accept, with why. */
static appctl_error *key_not_accepted(const char *key, const char *env,
	const char *base, const char *why)
{
	return appctl_error_new(APPCTL_EDENIED, "the key '%s' is not accepted by "
		"the allowed_signers of %s (at %.12s): %s", key, env, base, why);
}

/*
 * Signs `ev` with `key` as the principal the target's allowed_signers names
 * for that key: the principal is part of the signed bytes. The key's public
 * half usually tells who that is; when it cannot (a certificate, no .pub
 * file) or the signature disagrees, a probe signature tells, and the event
 * is signed again. On success ev->principal is *principal; the caller frees
 * *json, *sig and *principal.
 */
static appctl_error *sign_as_key_holder(char **json, char **sig,
	char **principal, appctl_event *ev, const char *key, const char *signers,
	const char *email, const char *env, const char *base)
{
	char *expected = NULL, *why = NULL, *found = NULL;
	appctl_error *err;
	int known = 0, round;

	*json = *sig = *principal = NULL;
	err = appctl_ssh_key_principal(&known, &expected, &why, key, signers,
		appctl_clock_now());
	if (!err && known && !expected)
		err = key_not_accepted(key, env, base, why);
	/* Round 0 signs as the expected principal or a probe; round 1 as the one learned. */
	for (round = 0; !err && round < 2; round++) {
		ev->principal = expected ? expected : email &&
			appctl_principal_is_valid(email) ? email : PROBE_PRINCIPAL;
		free(*json);
		free(*sig);
		free(found);
		free(why);
		*json = *sig = found = why = NULL;
		err = sign_event(json, sig, &found, &why, ev, key, signers);
		if (err)
			break;
		if (!found) {
			err = key_not_accepted(key, env, base, why);
			break;
		}
		/* Signed as who the signature says: done (a probe by user.email too). */
		if (strcmp(found, ev->principal) == 0) {
			*principal = found;
			found = NULL;
			break;
		}
		if (round == 1)
			err = appctl_error_new(APPCTL_EDENIED,
				"the signature by '%s' does not verify as %s but as %s",
				key, expected, found);
		free(expected);
		expected = found;
		found = NULL;
	}
	if (err) {
		free(*json);
		free(*sig);
		*json = *sig = NULL;
	} else {
		ev->principal = *principal;
	}
	free(expected);
	free(found);
	free(why);
	return err;
}

/* What was recorded, as text or JSON. */
static appctl_error *print_result(const appctl_cli *cli, int json,
	const appctl_event *ev, const char *event_id, const char *log_commit)
{
	if (json) {
		cJSON *o = cJSON_CreateObject();

		if (!o)
			return appctl_error_nomem();
		cJSON_AddStringToObject(o, "id", event_id);
		cJSON_AddStringToObject(o, "log_commit", log_commit);
		cJSON_AddStringToObject(o, "type", appctl_event_type_name(ev->type));
		cJSON_AddStringToObject(o, "env", ev->env);
		cJSON_AddStringToObject(o, "commit", ev->commit);
		if (ev->tree)
			cJSON_AddStringToObject(o, "tree", ev->tree);
		if (ev->base)
			cJSON_AddStringToObject(o, "base", ev->base);
		cJSON_AddStringToObject(o, "principal", ev->principal);
		cJSON_AddBoolToObject(o, "verified", ev->verified);
		cJSON_AddStringToObject(o, "time", ev->time);
		if (ev->comment)
			cJSON_AddStringToObject(o, "comment", ev->comment);
		return appctl_cli_print_json(o);
	}
	if (ev->type == APPCTL_EV_REVOKE)
		printf("revoked %s's approval of %.12s for %s\n", ev->principal,
			ev->commit, ev->env);
	else
		printf("approved %.12s for %s (base %.12s) as %s\n", ev->commit,
			ev->env, ev->base, ev->principal);
	printf("  %s%s%s\n", appctl_cli_color(cli, ev->verified ? APPCTL_GREEN
							      : APPCTL_YELLOW),
		ev->verified ? "signature verified"
			     : "unverified: not signed (the policy does not require it)",
		appctl_cli_color(cli, APPCTL_RESET));
	printf("  event %s\n", event_id);
	return NULL;
}

/*
 * The approval was judged here as the server will judge it: when it went
 * straight onto the verified head, the next command need not check it
 * again.
 */
static appctl_error *advance_checkpoint(appctl_repo *repo,
	const char *log_commit)
{
	appctl_log_entry entry;
	appctl_error *err = appctl_log_entry_read(&entry, repo, log_commit);

	if (!err)
		err = appctl_log_checkpoint_advance(repo, entry.parent, log_commit);
	appctl_log_entry_dispose(&entry);
	return err;
}

typedef struct glass_search {
	const char *id;
	int found;
	int break_glass;
} glass_search;

static appctl_error *find_glass(const appctl_event *ev, void *arg, int *stop)
{
	glass_search *g = arg;

	if (strcmp(ev->id, g->id) != 0)
		return NULL;
	g->found = 1;
	g->break_glass = ev->break_glass;
	*stop = 1;
	return NULL;
}

/* Whether the event with id `event_id` (an env's latest release) was break-glass. */
static appctl_error *release_was_break_glass(int *out, appctl_repo *repo,
	const char *event_id)
{
	glass_search g = { event_id, 0, 0 };
	appctl_error *err = appctl_log_walk(repo, NULL, find_glass, &g);

	*out = g.found && g.break_glass;
	return err;
}

appctl_error *cmd_approve(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL }, *message = NULL, *key_opt = NULL;
	int npos, help, revoke = 0, json = 0, reaches = 0, found = 0, push = 0;
	const appctl_opt opts[] = {
		{ "push", 0, APPCTL_OPT_FLAG, &push, NULL },
		{ "message", 'm', APPCTL_OPT_STRING, &message, "TEXT" },
		{ "key", 0, APPCTL_OPT_STRING, &key_opt, "FILE" },
		{ "revoke", 0, APPCTL_OPT_FLAG, &revoke, NULL },
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ 0 }
	};
	const appctl_env_state *entry;
	appctl_log_state *state = NULL;
	appctl_app_listing *current = NULL;
	appctl_event ev;
	appctl_error *err;
	const char *env, *source;
	char log_head[41], source_head[41], commit[41], tree[41], base[41];
	char now[32], source_ref[320], log_commit[41], event_id[41];
	char *key = NULL, *email = NULL, *json_text = NULL, *sig = NULL;
	char *principal = NULL;

	err = appctl_cli_parse(argc, argv, opts, pos, 2, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("approve");
		return NULL;
	}
	json |= cli->json;
	cli->json = json;
	if (npos < 1)
		return appctl_error_new(APPCTL_EUSAGE,
			"approve needs an environment; see 'appctl approve --help'");
	env = pos[0];

	/*
	 * Who may approve, and with which keys, is what the target holds now:
	 * its policy and allowed_signers (the listing locating reads), not its
	 * apps, which need no parsing.
	 */
	err = appctl_env_locate(&entry, &state, log_head, cli->repo, env,
		appctl_clock_now(), &current);
	if (err)
		goto done;
	memcpy(base, entry->commit, sizeof(base));
	source = appctl_policy_source_env(current->policy, env);
	if (!source) {
		err = appctl_error_new(APPCTL_EUSAGE,
			current->policy->environment_count &&
			strcmp(current->policy->environments[0], env) == 0
				? "'%s' is the first environment: builders commit to it, "
				  "nobody approves into it"
				: "'%s' is not in the promotion chain of its own policy",
			env);
		goto done;
	}
	snprintf(source_ref, sizeof(source_ref), "refs/heads/%s", source);
	err = appctl_ref_read(source_head, &found, cli->repo, source_ref);
	if (!err && !found)
		err = appctl_repo_not_synced(cli->repo, source_ref);
	if (err)
		goto done;
	if (npos > 1) {
		err = appctl_repo_resolve(commit, cli->repo, pos[1]);
		if (!err)
			err = appctl_commit_reaches(&reaches, cli->repo, source_head,
				commit);
		if (!err && !reaches)
			err = appctl_error_new(APPCTL_EUSAGE,
				"'%s' (%.12s) is not on %s: only what %s holds can be "
				"promoted into %s", pos[1], commit, source, source,
				env);
		if (err)
			goto done;
	} else {
		memcpy(commit, source_head, sizeof(commit));
	}
	if (!revoke && strcmp(commit, base) == 0) {
		int glass = 0;

		/*
		 * A break-glass release stays unreviewed until the normal
		 * approvals of that same move (base = where it came from) are
		 * recorded: that review is what approving it now means.
		 */
		err = release_was_break_glass(&glass, cli->repo, entry->event);
		if (err)
			goto done;
		if (!glass || !entry->previous[0]) {
			err = appctl_error_new(APPCTL_EDENIED,
				"%s already holds %.12s: nothing to approve", env,
				commit);
			goto done;
		}
		memcpy(base, entry->previous, sizeof(base));
		appctl_app_listing_free(current);
		current = NULL;
		err = appctl_repo_list_apps(&current, cli->repo, base);
		if (err) {
			err = appctl_error_wrap(err, "%s at %.12s", env, base);
			goto done;
		}
		fprintf(stderr, "appctl: reviewing break-glass release of %s "
			"(%.12s -> %.12s)\n", env, base, commit);
	}
	err = appctl_commit_tree(tree, cli->repo, commit);
	if (err)
		goto done;

	memset(&ev, 0, sizeof(ev));
	appctl_cli_now(now, sizeof(now));
	ev.type = revoke ? APPCTL_EV_REVOKE : APPCTL_EV_APPROVE;
	ev.env = env;
	ev.commit = commit;
	ev.tree = revoke ? NULL : tree;
	ev.base = revoke ? NULL : base;
	ev.comment = message;
	ev.time = now;
	ev.release = -1;
	ev.rollback_to = -1;

	err = signing_key(&key, cli, key_opt);
	if (!err)
		err = appctl_repo_config_string(&email, cli->repo, "user.email");
	if (err)
		goto done;
	if (key) {
		ev.verified = 1;
		err = sign_as_key_holder(&json_text, &sig, &principal, &ev, key,
			current->signers_text, email, env, base);
		if (err)
			goto done;
	} else if (current->policy->require_signature) {
		err = appctl_error_new(APPCTL_EDENIED,
			"%s requires signed approvals and no key is set: pass "
			"--key FILE or set git config user.signingkey", env);
		goto done;
	} else {
		if (!email || !appctl_principal_is_valid(email)) {
			err = appctl_error_new(APPCTL_EUSAGE,
				"user.email is %s; set it with 'git config "
				"user.email you@example.com'",
				email ? "not a valid principal" : "not set");
			goto done;
		}
		ev.principal = email;
		ev.verified = 0;
		err = appctl_event_format(&json_text, &ev);
		if (err)
			goto done;
	}
	if (!revoke && !appctl_policy_may_approve(current->policy, ev.principal))
		fprintf(stderr, "appctl: warning: %s is not an approver for %s; "
			"this approval will not count\n", ev.principal, env);

	err = appctl_log_append_retry(log_commit, event_id, cli->repo, &ev,
		json_text, sig);
	if (err)
		goto done;
	err = advance_checkpoint(cli->repo, log_commit);
	if (err)
		goto done;
	err = print_result(cli, json, &ev, event_id, log_commit);
	/* Recorded first: a receiver that is down never loses the approval. */
	if (!err && !revoke)
		err = appctl_cli_notify(cli, current->policy, &ev, event_id,
			NULL, 0, NULL, NULL);
	if (!err && push)
		err = appctl_sync_run(cli, "origin", stderr);
done:
	free(principal);
	free(sig);
	free(json_text);
	free(email);
	free(key);
	appctl_app_listing_free(current);
	appctl_log_state_free(state);
	return err;
}
