/* judge.c: gathers what a promotion is judged on (log, snapshots, diff, approvals re-verified now) and judges it. */
#include <stdlib.h>
#include <string.h>

#include "appctl/log.h"
#include "appctl/sign.h"
#include "judge.h"

const char *appctl_source_env(const appctl_policy *policy, const char *env)
{
	size_t i;

	if (!policy || !env)
		return NULL;
	for (i = 1; i < policy->environment_count; i++)
		if (strcmp(policy->environments[i], env) == 0)
			return policy->environments[i - 1];
	return NULL;
}

appctl_error *appctl_env_current(const appctl_env_state **entry,
	appctl_log_state **state, char log_head[41], appctl_cli *cli,
	const char *env)
{
	appctl_app_listing *listing = NULL;
	char branch[41], ref[320];
	int found = 0, first;
	appctl_error *err;

	*entry = NULL;
	*state = NULL;
	err = appctl_log_head(log_head, state, cli->repo);
	if (err)
		return err;
	if (!*state)
		return appctl_error_new(APPCTL_EINPUT,
			"%s: no event log in this repository; run 'appctl init'",
			APPCTL_LOG_REF);
	*entry = appctl_log_state_env(*state, env);
	if (!*entry)
		return appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not an environment of this repository", env);
	/* The first environment is where builders commit: it moves freely. */
	err = appctl_repo_list_apps(&listing, cli->repo, (*entry)->commit);
	if (err)
		return appctl_error_wrap(err, "%s at %.12s", env, (*entry)->commit);
	first = listing->policy->environment_count &&
		strcmp(listing->policy->environments[0], env) == 0;
	appctl_app_listing_free(listing);
	if (first)
		return NULL;
	snprintf(ref, sizeof(ref), "refs/heads/%s", env);
	err = appctl_ref_read(branch, &found, cli->repo, ref);
	if (err)
		return err;
	/*
	 * Roll forward already completed what the log records; a branch that
	 * still differs was moved by something else, and judging against
	 * either commit would approve what nobody reviewed.
	 */
	if (!found)
		return appctl_error_new(APPCTL_EINPUT,
			"%s: branch missing: the log has %s at %.12s",
			ref, env, (*entry)->commit);
	if (strcmp(branch, (*entry)->commit) != 0)
		return appctl_error_new(APPCTL_EINPUT,
			"%s: branch moved outside appctl: it is at %.12s, the log "
			"has release %lld at %.12s", ref, branch,
			(long long)(*entry)->release, (*entry)->commit);
	return NULL;
}

/* The approve and revoke events of one environment, newest first. */
typedef struct gathered {
	const char *env;
	const char *stop_at;           /* id of the event that made the release */
	appctl_event **events;
	size_t count;
	size_t cap;
} gathered;

/* Keeps a copy of `ev`: the walk frees its own after the callback. */
static appctl_error *copy_event(appctl_event **out, const appctl_event *ev)
{
	appctl_event *copy = NULL;
	appctl_error *err;

	*out = NULL;
	err = appctl_event_parse(&copy, ev->log_commit, ev->json, ev->json_len);
	if (err)
		return err;
	memcpy(copy->id, ev->id, sizeof(copy->id));
	memcpy(copy->log_commit, ev->log_commit, sizeof(copy->log_commit));
	if (ev->signature) {
		copy->signature = appctl_arena_strndup(copy->arena, ev->signature,
			ev->signature_len);
		copy->signature_len = ev->signature_len;
		if (!copy->signature) {
			appctl_event_free(copy);
			return appctl_error_nomem();
		}
	}
	*out = copy;
	return NULL;
}

static appctl_error *gather_one(const appctl_event *ev, void *arg, int *stop)
{
	gathered *g = arg;
	appctl_event *copy;
	appctl_error *err;

	/* Approvals older than the env's latest release judged another move. */
	if (strcmp(ev->id, g->stop_at) == 0) {
		*stop = 1;
		return NULL;
	}
	if ((ev->type != APPCTL_EV_APPROVE && ev->type != APPCTL_EV_REVOKE) ||
	    !ev->env || strcmp(ev->env, g->env) != 0)
		return NULL;
	if (g->count == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		appctl_event **grown = realloc(g->events, cap * sizeof(*grown));

		if (!grown)
			return appctl_error_nomem();
		g->events = grown;
		g->cap = cap;
	}
	err = copy_event(&copy, ev);
	if (err)
		return err;
	g->events[g->count++] = copy;
	return NULL;
}

/*
 * Who an event speaks for, by this machine's clock and the target
 * environment's current allowed_signers: the principal its signature
 * proves; or, when signatures are not required and it does not verify, the
 * principal it claims (unverified). *principal NULL: nobody. *principal and
 * *why are the caller's to free.
 */
static appctl_error *establish_principal(char **principal, int *verified,
	char **why, const appctl_event *ev, const appctl_snapshot *current)
{
	appctl_error *err = NULL;

	*principal = NULL;
	*why = NULL;
	*verified = 0;
	if (ev->signature) {
		err = appctl_ssh_verify(principal, why, current->signers_text,
			ev->json, ev->json_len, ev->signature);
		if (err)
			return err;
		if (*principal) {
			*verified = 1;
			return NULL;
		}
	} else {
		*why = strdup("not signed");
		if (!*why)
			return appctl_error_nomem();
	}
	if (!current->policy->require_signature) {
		*principal = strdup(ev->principal);
		if (!*principal)
			err = appctl_error_nomem();
	}
	return err;
}

/*
 * Turns the gathered events (j->events, newest first) into approvals,
 * oldest first, each with its proven principal and whether a newer revoke
 * by the same principal withdrew it.
 */
static appctl_error *build_approvals(appctl_judgement *j)
{
	char **revoker = NULL;
	appctl_error *err = NULL;
	size_t i, k, n = 0;

	j->approvals = calloc(j->event_count + 1, sizeof(*j->approvals));
	j->principals = calloc(j->event_count + 1, sizeof(*j->principals));
	j->whys = calloc(j->event_count + 1, sizeof(*j->whys));
	revoker = calloc(j->event_count + 1, sizeof(*revoker));
	if (!j->approvals || !j->principals || !j->whys || !revoker) {
		err = appctl_error_nomem();
		goto done;
	}
	for (i = 0; i < j->event_count; i++) {
		const appctl_event *ev = j->events[i];
		int verified;

		err = establish_principal(&j->principals[i], &verified,
			&j->whys[i], ev, j->current);
		if (err)
			goto done;
		if (ev->type == APPCTL_EV_REVOKE) {
			/* Only a proven revoker can withdraw; remember it for older events. */
			revoker[i] = j->principals[i];
			continue;
		}
		{
			appctl_approval *a = &j->approvals[n];

			a->event = ev;
			a->principal = j->principals[i];
			a->verified = verified;
			a->why_unverified = verified ? NULL : j->whys[i];
			a->revoked = 0;
			for (k = 0; a->principal && k < i; k++)
				if (revoker[k] && strcmp(revoker[k], a->principal) == 0 &&
				    strcmp(j->events[k]->commit, ev->commit) == 0)
					a->revoked = 1;
			n++;
		}
	}
	/* Oldest first: the order they were given, and the one shown. */
	for (i = 0; i < n / 2; i++) {
		appctl_approval t = j->approvals[i];

		j->approvals[i] = j->approvals[n - 1 - i];
		j->approvals[n - 1 - i] = t;
	}
	j->approval_count = n;
done:
	free(revoker);
	return err;
}

appctl_error *appctl_judge(appctl_judgement *out, appctl_cli *cli,
	const char *env, const char *commit, int64_t required_override,
	appctl_date at)
{
	const appctl_env_state *entry;
	gathered g;
	appctl_error *err;

	memset(out, 0, sizeof(*out));
	memset(&g, 0, sizeof(g));
	if (strlen(env) >= sizeof(out->env))
		return appctl_error_new(APPCTL_EUSAGE,
			"'%.64s...' is not an environment", env);
	if (!appctl_event_id_is_valid(commit))
		return appctl_error_new(APPCTL_EUSAGE, "'%s' is not a commit id",
			commit);
	memcpy(out->env, env, strlen(env) + 1);
	memcpy(out->commit, commit, 41);
	if (appctl_changes_init(&out->changes) != 0)
		return appctl_error_nomem();
	err = appctl_env_current(&entry, &out->state, out->log_head, cli, env);
	if (err)
		goto done;
	memcpy(out->base, entry->commit, 41);
	out->release = entry->release;
	err = appctl_repo_load_snapshot(&out->current, cli->repo, out->base);
	if (err) {
		err = appctl_error_wrap(err, "%s at %.12s", env, out->base);
		goto done;
	}
	err = appctl_repo_load_snapshot(&out->target, cli->repo, out->commit);
	if (err) {
		err = appctl_error_wrap(err, "%.12s", out->commit);
		goto done;
	}
	err = appctl_diff_snapshots(&out->changes, out->current, out->target, at);
	if (err)
		goto done;
	err = appctl_commit_authors(&out->authors, &out->author_count,
		cli->repo, out->base, out->commit);
	if (err)
		goto done;

	g.env = out->env;
	g.stop_at = entry->event;
	err = appctl_log_walk(cli->repo, out->log_head, gather_one, &g);
	if (err)
		goto done;
	out->events = g.events;
	out->event_count = g.count;
	g.events = NULL;
	err = build_approvals(out);
	if (err)
		goto done;

	out->request.policy = out->current->policy;
	out->request.env = out->env;
	out->request.commit = out->commit;
	out->request.base = out->base;
	out->request.changes = &out->changes;
	out->request.target = out->target;
	out->request.current = out->current;
	out->request.authors = (const char *const *)out->authors;
	out->request.author_count = out->author_count;
	out->request.approvals = out->approvals;
	out->request.approval_count = out->approval_count;
	out->request.required_override = required_override;
	err = appctl_policy_evaluate(&out->verdict, &out->request);
done:
	if (g.events) {
		size_t i;

		for (i = 0; i < g.count; i++)
			appctl_event_free(g.events[i]);
		free(g.events);
	}
	return err;
}

void appctl_judgement_dispose(appctl_judgement *j)
{
	size_t i;

	if (!j)
		return;
	appctl_verdict_dispose(&j->verdict);
	for (i = 0; i < j->event_count; i++) {
		if (j->principals)
			free(j->principals[i]);
		if (j->whys)
			free(j->whys[i]);
		appctl_event_free(j->events[i]);
	}
	free(j->principals);
	free(j->whys);
	free(j->events);
	free(j->approvals);
	for (i = 0; i < j->author_count; i++)
		free(j->authors[i]);
	free(j->authors);
	appctl_changes_dispose(&j->changes);
	appctl_snapshot_free(j->target);
	appctl_snapshot_free(j->current);
	appctl_log_state_free(j->state);
	memset(j, 0, sizeof(*j));
}
