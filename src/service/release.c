/* release.c: the promote/rollback use case: judge the pending move with the one judge, then record it with the log append as the commit point. */
#include "appctl/release.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appctl/clock.h"
#include "appctl/log.h"
#include "appctl/rules.h"
#include "appctl/sign.h"
#include "appctl/strbuf.h"
#include "appctl/verify.h"

/* How often a promote re-judges when only unrelated events got in first. */
#define RELEASE_MAX_ATTEMPTS 8

/* ---- the promoter ---- */

/*
 * The signing key: --key, else user.signingkey when git signs with SSH
 * (gpg.format = ssh); a GPG key id is not something ssh-keygen can use.
 * *out is NULL when the promoter has no key: the event is then unsigned.
 */
static appctl_error *signing_key(char **out, appctl_repo *repo,
	const char *key_option)
{
	appctl_error *err = NULL;
	char *format = NULL, *key = NULL;
	const char *home;

	*out = NULL;
	if (key_option) {
		if (!(*out = strdup(key_option)))
			return appctl_error_nomem();
		return NULL;
	}
	err = appctl_repo_config_string(&format, repo, "gpg.format");
	if (err || !format || strcmp(format, "ssh") != 0)
		goto cleanup;
	err = appctl_repo_config_string(&key, repo, "user.signingkey");
	if (err || !key || !*key)
		goto cleanup;
	if (strncmp(key, "key::", 5) == 0) {
		err = appctl_error_new(APPCTL_EUSAGE,
			"user.signingkey holds a literal public key; pass the "
			"private key file with --key");
		goto cleanup;
	}
	home = getenv("HOME");
	if (key[0] == '~' && key[1] == '/' && home) {
		appctl_strbuf path = APPCTL_STRBUF_INIT;

		appctl_strbuf_printf(&path, "%s%s", home, key + 1);
		if (!(*out = appctl_strbuf_detach(&path)))
			err = appctl_error_nomem();
	} else {
		*out = key;
		key = NULL;
	}
cleanup:
	free(format);
	free(key);
	return err;
}

appctl_error *appctl_promoter_identify(appctl_promoter *out, appctl_repo *repo,
	const char *key_option, const char *signers_text, int64_t now)
{
	/* Signed to learn who the key is, when only a signature can tell; never stored. */
	static const char probe[] = "appctl: who is releasing\n";
	appctl_error *err;
	char *sig = NULL, *principal = NULL, *why = NULL;

	int known = 0;

	memset(out, 0, sizeof(*out));
	err = signing_key(&out->key_file, repo, key_option);
	/* The key's public half usually says who it is; else a probe signature. */
	if (!err && out->key_file)
		err = appctl_ssh_key_principal(&known, &principal, &why,
			out->key_file, signers_text, now);
	if (!err && out->key_file && !known)
		err = appctl_ssh_sign(&sig, out->key_file, probe,
			sizeof(probe) - 1);
	if (!err && sig)
		err = appctl_ssh_verify(&principal, &why, signers_text, probe,
			sizeof(probe) - 1, sig, now);
	if (err)
		goto cleanup;
	if (principal) {
		out->principal = principal;
		out->verified = 1;
		principal = NULL;
		goto cleanup;
	}
	/* No key, or one that proves nobody: the promoter is who git says. */
	out->why_unverified = why;
	why = NULL;
	err = appctl_repo_config_string(&out->principal, repo, "user.email");
	if (!err && (!out->principal || !*out->principal))
		err = appctl_error_new(APPCTL_ESYSTEM,
			"user.email is not set and no key proves who you are; set "
			"it with 'git config user.email you@example.com'");
cleanup:
	free(sig);
	free(principal);
	free(why);
	return err;
}

void appctl_promoter_dispose(appctl_promoter *promoter)
{
	free(promoter->key_file);
	free(promoter->principal);
	free(promoter->why_unverified);
	memset(promoter, 0, sizeof(*promoter));
}

/* ---- the release step ---- */

/* A short random pause, longer with each attempt, so racing processes drift apart. */
static void jitter_sleep(int attempt)
{
	struct timespec ts;
	long ms = 10L * (attempt + 1) + (long)(rand() % 40);

	ts.tv_sec = 0;
	ts.tv_nsec = ms * 1000000L;
	nanosleep(&ts, NULL);
}

/*
 * Moves a ref that follows the log. Finding it already where the log says
 * is success: another appctl command's roll forward got there first.
 */
static appctl_error *follow_ref(appctl_repo *repo, const char *name,
	const char *old_hex, const char *new_hex, const char *message)
{
	appctl_error *err, *lookup;
	char now[41];
	int found = 0, attempt, unmoved;

	for (attempt = 0;; attempt++) {
		err = appctl_ref_cas(repo, name, old_hex, new_hex, message);
		if (!err || err->code != APPCTL_ECONFLICT)
			return err;
		lookup = appctl_ref_read(now, &found, repo, name);
		if (!lookup && found && strcmp(now, new_hex) == 0) {
			appctl_error_free(err);
			return NULL;
		}
		/*
		 * Still where the release found it: another appctl completing the
		 * same step holds its lock (settling an interrupted release does
		 * exactly this). Wait for it rather than call it tampering.
		 */
		unmoved = !lookup && (old_hex ? found && strcmp(now, old_hex) == 0
					      : !found);
		appctl_error_free(lookup);
		appctl_error_free(err);
		if (!unmoved || attempt >= 20)
			break;
		jitter_sleep(attempt % 4);
	}
	/* The release is recorded: this is no longer a conflict that changed nothing. */
	return appctl_error_new(APPCTL_ESYSTEM,
		"the release is recorded in the log, but '%s' was moved by "
		"someone else; see 'appctl audit --verify'", name);
}

appctl_error *appctl_release_record(char event_id[41], appctl_repo *repo,
	const char *expected_head, const appctl_log_state *state,
	const appctl_event *ev, const char *key_file)
{
	appctl_error *err, *tag_err;
	appctl_log_state *next = NULL;
	char *json = NULL, *sig = NULL, *state_json = NULL;
	char log_commit[41], branch[300], tag[300], message[300];

	event_id[0] = '\0';
	err = appctl_event_format(&json, ev);
	if (!err && key_file)
		err = appctl_ssh_sign(&sig, key_file, json, strlen(json));
	if (!err)
		err = appctl_log_event_id(event_id, repo, json);
	if (!err)
		err = appctl_log_state_next(&next, state, ev, event_id);
	if (!err)
		err = appctl_log_state_format(&state_json, next);
	if (err)
		goto cleanup;
	appctl_fault_point("before-append");
	err = appctl_log_append(log_commit, repo, expected_head, json, sig,
		state_json);
	if (err)
		goto cleanup;
	/* The commit point is behind us: from here on, only roll forward. */
	appctl_fault_point("after-append");
	/* Judged just now on the verified head: no second check needed. */
	appctl_error_free(appctl_log_checkpoint_advance(repo, expected_head,
		log_commit));
	snprintf(branch, sizeof(branch), "refs/heads/%s", ev->env);
	snprintf(tag, sizeof(tag), "refs/tags/release/%s/%lld", ev->env,
		(long long)ev->release);
	snprintf(message, sizeof(message), "appctl %s: release %lld",
		appctl_event_type_name(ev->type), (long long)ev->release);
	err = follow_ref(repo, branch, ev->from, ev->to, message);
	appctl_fault_point("after-branch");
	tag_err = follow_ref(repo, tag, NULL, ev->to, message);
	if (!err)
		err = tag_err;
	else
		appctl_error_free(tag_err);
	appctl_fault_point("after-tag");
cleanup:
	free(json);
	free(sig);
	free(state_json);
	appctl_log_state_free(next);
	return err;
}

/* ---- where an environment stands ---- */

/*
 * Whether refs/appctl/log is no longer at `seen`: the log was read before
 * the branch, so a release that landed in between makes them disagree
 * without anyone having moved anything by hand.
 */
static int log_moved_since(appctl_repo *repo, const char *seen)
{
	appctl_log_state *state = NULL;
	appctl_error *err;
	char now[41];
	int moved;

	err = appctl_log_head(now, &state, repo);
	moved = !err && strcmp(now, seen) != 0;
	appctl_error_free(err);
	appctl_log_state_free(state);
	return moved;
}

appctl_error *appctl_env_locate(const appctl_env_state **entry,
	appctl_log_state **state, char log_head[41], appctl_repo *repo,
	const char *env, int64_t now)
{
	appctl_app_listing *listing = NULL;
	char branch[41], ref[320];
	int found = 0, first;
	appctl_error *err;

	*entry = NULL;
	*state = NULL;
	err = appctl_log_verified(log_head, state, repo, now);
	if (err)
		return err;
	if (!*state)
		return appctl_repo_not_synced(repo, APPCTL_LOG_REF);
	*entry = appctl_log_state_env(*state, env);
	if (!*entry)
		return appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not an environment of this repository", env);
	/* The first environment is where builders commit: it moves freely. */
	err = appctl_repo_list_apps(&listing, repo, (*entry)->commit);
	if (err)
		return appctl_error_wrap(err, "%s at %.12s", env, (*entry)->commit);
	first = listing->policy->environment_count &&
		strcmp(listing->policy->environments[0], env) == 0;
	appctl_app_listing_free(listing);
	if (first)
		return NULL;
	snprintf(ref, sizeof(ref), "refs/heads/%s", env);
	err = appctl_ref_read(branch, &found, repo, ref);
	if (err)
		return err;
	/*
	 * Settling completed what the log records; a branch that still differs
	 * was moved by something else, and judging against either commit
	 * would approve what nobody reviewed.
	 */
	if (!found)
		return appctl_repo_not_synced(repo, ref);
	/*
	 * The log already has the release and the branch is still where it
	 * was before it: another appctl is between its commit point (the log
	 * append) and moving the branch. That is a race this caller lost, not
	 * a tampered branch: exit 5, retry.
	 */
	if (strcmp(branch, (*entry)->commit) != 0 &&
		strcmp(branch, (*entry)->previous) == 0)
		return appctl_error_new(APPCTL_ECONFLICT,
			"'%s' is being released by another appctl right now (the "
			"log has release %lld, the branch is about to follow); "
			"nothing was changed; retry",
			env, (long long)(*entry)->release);
	if (strcmp(branch, (*entry)->commit) != 0 &&
		log_moved_since(repo, log_head))
		return appctl_error_new(APPCTL_ECONFLICT,
			"'%s' was released by another appctl meanwhile (the log moved "
			"while it was read); nothing was changed; retry", env);
	if (strcmp(branch, (*entry)->commit) != 0)
		return appctl_error_new(APPCTL_EINPUT,
			"%s: branch moved outside appctl: it is at %.12s, the log "
			"has release %lld at %.12s", ref, branch,
			(long long)(*entry)->release, (*entry)->commit);
	return NULL;
}

/* ---- promote and rollback ---- */

/* The first environment's branch, where promotions out of it come from. */
static appctl_error *local_branch(char out[41], int *found, void *arg,
	const char *env)
{
	char ref[320];

	snprintf(ref, sizeof(ref), "refs/heads/%s", env);
	return appctl_ref_read(out, found, arg, ref);
}

/* The approvals relied on: counted, or used by break-glass. */
static appctl_error *relied_on(appctl_release_outcome *o)
{
	const appctl_case *c = &o->rcase;
	size_t i, n = 0;

	free(o->approval_ids);
	free(o->approvers);
	o->approval_ids = calloc(c->approval_count + 1, sizeof(*o->approval_ids));
	o->approvers = calloc(c->approval_count + 1, sizeof(*o->approvers));
	if (!o->approval_ids || !o->approvers)
		return appctl_error_nomem();
	for (i = 0; i < c->approval_count; i++) {
		if (!c->used[i])
			continue;
		o->approval_ids[n] = c->approvals[i].event->id;
		o->approvers[n] = c->approvals[i].principal;
		n++;
	}
	o->approval_count = n;
	return NULL;
}

/* After a lost compare-and-swap: whether the environment was released meanwhile. */
static appctl_error *released_meanwhile(int *released, appctl_repo *repo,
	const char *env, int64_t release)
{
	appctl_log_state *state = NULL;
	const appctl_env_state *e;
	char head[41];
	appctl_error *err = appctl_log_head(head, &state, repo);

	*released = 0;
	if (!err) {
		e = state ? appctl_log_state_env(state, env) : NULL;
		*released = !e || e->release != release;
	}
	appctl_log_state_free(state);
	return err;
}

static appctl_error *conflict(const appctl_release_request *req)
{
	return appctl_error_new(APPCTL_ECONFLICT, "%s %s: '%s' was released by "
		"someone else meanwhile; nothing was changed; retry",
		req->type == APPCTL_EV_ROLLBACK ? "rollback" : "promote", req->env,
		req->env);
}

/* One judgement of the pending move on the verified log as it is now. */
static appctl_error *judge_pending(appctl_release_outcome *o,
	appctl_chain **chain, char head[41], appctl_log_state **state,
	appctl_repo *repo, const appctl_release_request *req, int64_t now,
	int identify)
{
	const appctl_env_state *e;
	appctl_judge_ctx ctx;
	appctl_move move;
	appctl_error *err;

	err = appctl_env_locate(&e, state, head, repo, req->env, now);
	if (err)
		return err;
	if (e->release != req->expected_release)
		return conflict(req);
	if ((err = appctl_chain_open(chain, repo, head)))
		return err;
	if (identify) {
		appctl_snapshot *current = NULL;

		/* Who moves it is proven against the env's current allowed_signers. */
		err = appctl_repo_load_snapshot(&current, repo, e->commit);
		if (!err)
			err = appctl_promoter_identify(&o->who, repo, req->key_option,
				current->signers_text, now);
		appctl_snapshot_free(current);
		if (err)
			return err;
	}
	appctl_judge_ctx_init(&ctx, repo, *chain,
		APPCTL_JUDGE_PENDING, now);
	ctx.first_env_branch = local_branch;
	ctx.branch_arg = repo;
	memset(&move, 0, sizeof(move));
	move.type = req->type;
	move.env = req->env;
	move.to = req->commit;
	move.source = req->source;
	move.rollback_to = req->rollback_to;
	move.break_glass = req->break_glass;
	move.promoter = o->who.principal;
	move.promoter_verified = o->who.verified;
	appctl_case_dispose(&o->rcase);
	err = appctl_case_build(&o->rcase, &ctx, &move);
	if (!err)
		err = relied_on(o);
	o->allowed = !err && o->rcase.allowed;
	return err;
}

appctl_error *appctl_release_perform(appctl_release_outcome *out,
	appctl_repo *repo, const appctl_release_request *req, int64_t now)
{
	appctl_chain *chain = NULL;
	appctl_log_state *state = NULL;
	appctl_error *err = NULL;
	appctl_event ev;
	char head[41];
	int attempt, released;

	memset(out, 0, sizeof(*out));
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	appctl_time_format(out->now, sizeof(out->now), now);
	for (attempt = 0;; attempt++) {
		err = judge_pending(out, &chain, head, &state, repo, req, now,
			attempt == 0);
		if (err || !out->allowed || req->dry_run)
			break;
		memset(&ev, 0, sizeof(ev));
		ev.type = req->type;
		ev.time = out->now;
		ev.principal = out->who.principal;
		ev.verified = out->who.verified;
		ev.env = req->env;
		ev.comment = req->comment;
		ev.source = req->type == APPCTL_EV_PROMOTE ? req->source : NULL;
		ev.from = out->rcase.base;
		ev.to = req->commit;
		ev.release = out->rcase.release + 1;
		ev.rollback_to = req->type == APPCTL_EV_ROLLBACK
			? req->rollback_to : -1;
		ev.approvals = out->approval_ids;
		ev.approval_count = out->approval_count;
		ev.break_glass = out->rcase.break_glass;
		/* A key that proves nobody adds nothing: such events stay unsigned. */
		err = appctl_release_record(out->event_id, repo, head, state, &ev,
			out->who.verified ? out->who.key_file : NULL);
		if (!err || err->code != APPCTL_ECONFLICT) {
			out->done = !err;
			break;
		}
		appctl_error_free(err);
		err = released_meanwhile(&released, repo, req->env,
			out->rcase.release);
		if (!err && (released || attempt + 1 >= RELEASE_MAX_ATTEMPTS))
			err = conflict(req);
		if (err)
			break;
		/* Only unrelated events (approvals) got in first: judge again. */
		appctl_chain_free(chain);
		chain = NULL;
		appctl_log_state_free(state);
		state = NULL;
		jitter_sleep(attempt);
	}
	appctl_chain_free(chain);
	appctl_log_state_free(state);
	return err;
}

void appctl_release_outcome_dispose(appctl_release_outcome *o)
{
	appctl_case_dispose(&o->rcase);
	appctl_promoter_dispose(&o->who);
	free(o->approval_ids);
	free(o->approvers);
	memset(o, 0, sizeof(*o));
}
