/* release.c: the release step (log append as commit point, then branch and tag) and the judging promote, rollback, history and audit share. */
#include "release.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appctl/json.h"
#include "appctl/sign.h"
#include "appctl/strbuf.h"
#include "cli_notify.h"
#include "judge.h"

/* How often a promote re-judges when only unrelated events got in first. */
#define RELEASE_MAX_ATTEMPTS 8

void appctl_release_fault(const char *step)
{
	const char *want = getenv("APPCTL_FAULT");
	size_t n = strlen(step);
	static const char note[] = "appctl: fault injected at ";

	if (!want || strncmp(want, step, n) != 0)
		return;
	if (want[n] != '\0' && strcmp(want + n, ":abort") != 0)
		return;
	/* write(2), not stdio: nothing buffered may leak past the "crash". */
	if (write(STDERR_FILENO, note, sizeof(note) - 1) < 0 ||
	    write(STDERR_FILENO, step, n) < 0 || write(STDERR_FILENO, "\n", 1) < 0)
		_exit(137);
	if (want[n] == ':')
		abort();
	_exit(137);
}

/* ---- the promoter ---- */

/*
 * The signing key: --key, else user.signingkey when git signs with SSH
 * (gpg.format = ssh); a GPG key id is not something ssh-keygen can use.
 * *out is NULL when the promoter has no key: the event is then unsigned.
 */
static appctl_error *signing_key(char **out, appctl_cli *cli,
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
	err = appctl_repo_config_string(&format, cli->repo, "gpg.format");
	if (err || !format || strcmp(format, "ssh") != 0)
		goto cleanup;
	err = appctl_repo_config_string(&key, cli->repo, "user.signingkey");
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

appctl_error *appctl_promoter_identify(appctl_promoter *out, appctl_cli *cli,
	const char *key_option, const char *signers_text)
{
	/* Signed once to learn who the key is; the bytes are never stored. */
	static const char probe[] = "appctl: who is releasing\n";
	appctl_error *err;
	char *sig = NULL, *principal = NULL, *why = NULL;

	memset(out, 0, sizeof(*out));
	err = signing_key(&out->key_file, cli, key_option);
	if (!err && out->key_file)
		err = appctl_ssh_sign(&sig, out->key_file, probe,
			sizeof(probe) - 1);
	if (!err && sig)
		err = appctl_ssh_verify(&principal, &why, signers_text, probe,
			sizeof(probe) - 1, sig);
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
	err = appctl_repo_config_string(&out->principal, cli->repo,
		"user.email");
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

/* ---- times ---- */

static int two_digits(const char *s, int *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

int appctl_release_parse_time(int64_t *out, int *date_only, const char *s)
{
	char day[11];
	appctl_date d;
	int h = 0, m = 0, sec = 0;
	size_t len = strlen(s);
	const char *t;

	if (len < 10)
		return -1;
	memcpy(day, s, 10);
	day[10] = '\0';
	if (appctl_date_parse(&d, day) != 0)
		return -1;
	*date_only = len == 10;
	*out = (int64_t)d * 86400;
	if (len == 10)
		return 0;
	t = s + 10;
	if (t[0] != 'T' || len < 16 || two_digits(t + 1, &h) || t[3] != ':' ||
	    two_digits(t + 4, &m))
		return -1;
	t += 6;
	if (t[0] == ':') {
		if (two_digits(t + 1, &sec))
			return -1;
		t += 3;
	}
	if (t[0] == 'Z')
		t++;
	if (*t || h > 23 || m > 59 || sec > 60)
		return -1;
	*out += (int64_t)h * 3600 + m * 60 + sec;
	return 0;
}

appctl_date appctl_release_day_of(const char *iso_time)
{
	int64_t t;
	int date_only;

	if (iso_time && appctl_release_parse_time(&t, &date_only, iso_time) == 0)
		return appctl_date_from_unix(t);
	return appctl_cli_today();
}

/* ---- freeze windows ---- */

appctl_error *appctl_freeze_find(const appctl_freeze **out, size_t *index,
	const appctl_policy *policy, const char *env, int64_t now)
{
	size_t i, k;

	*out = NULL;
	*index = 0;
	for (i = 0; i < policy->freeze_count; i++) {
		const appctl_freeze *f = &policy->freezes[i];
		int64_t from, to;
		int from_date, to_date, applies = 0;

		for (k = 0; k < f->env_count; k++)
			if (strcmp(f->envs[k], env) == 0)
				applies = 1;
		if (appctl_release_parse_time(&from, &from_date, f->from) != 0)
			return appctl_error_input(policy->file, NULL,
				"$.freeze[%zu].from: '%s' is not an ISO date or "
				"date-time", i, f->from);
		if (appctl_release_parse_time(&to, &to_date, f->to) != 0)
			return appctl_error_input(policy->file, NULL,
				"$.freeze[%zu].to: '%s' is not an ISO date or "
				"date-time", i, f->to);
		/* A date as the end means "up to and including that day". */
		to += to_date ? 86400 : 1;
		if (applies && now >= from && now < to) {
			*out = f;
			*index = i;
			return NULL;
		}
	}
	return NULL;
}

char *appctl_freeze_describe(const appctl_freeze *freeze, size_t index)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;

	appctl_strbuf_printf(&b, "freeze window %zu (%s .. %s)", index,
		freeze->from, freeze->to);
	if (freeze->reason)
		appctl_strbuf_printf(&b, ": %s", freeze->reason);
	return appctl_strbuf_detach(&b);
}

/* ---- break-glass ---- */

static int in_list(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] && strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

appctl_error *appctl_break_glass_judge(int *met, char **missing, int *used,
	const appctl_policy *policy, const appctl_approval *approvals,
	size_t count, const char *const *authors, size_t author_count,
	const char *promoter, int promoter_verified)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const appctl_group *group;
	const char **seen = NULL;
	size_t i, have = 0;

	*met = 0;
	*missing = NULL;
	for (i = 0; i < count; i++)
		used[i] = 0;
	if (!policy->has_break_glass) {
		appctl_strbuf_puts(&b, "the policy has no break_glass section");
		goto done;
	}
	group = appctl_policy_group(policy, policy->break_glass_group);
	if (policy->break_glass_count == 0) {
		if (!group || !in_list(group->members, group->member_count,
				promoter))
			appctl_strbuf_printf(&b, "break-glass needs the promoter "
				"(%s) to be in group:%s", promoter,
				policy->break_glass_group);
		else if (policy->require_signature && !promoter_verified)
			appctl_strbuf_printf(&b, "break-glass needs the promoter "
				"proven by a key in allowed_signers (--key)");
		else
			*met = 1;
		goto done;
	}
	seen = calloc(count ? count : 1, sizeof(*seen));
	if (!seen)
		return appctl_error_nomem();
	for (i = 0; i < count; i++) {
		const appctl_approval *a = &approvals[i];
		int valid = a->status == APPCTL_APPROVAL_COUNTED ||
			a->status == APPCTL_APPROVAL_NOT_APPROVER ||
			a->status == APPCTL_APPROVAL_DUPLICATE;

		/* Statuses come from the normal rules; the group is break-glass's own. */
		if (!valid || !a->principal || !group ||
		    !in_list(group->members, group->member_count, a->principal) ||
		    in_list(seen, have, a->principal))
			continue;
		if (!policy->allow_self_approval &&
		    in_list(authors, author_count, a->principal))
			continue;
		seen[have++] = a->principal;
		used[i] = 1;
	}
	if ((int64_t)have >= policy->break_glass_count)
		*met = 1;
	else
		appctl_strbuf_printf(&b, "break-glass needs %lld more approval%s "
			"from group:%s (has %zu of %lld)",
			(long long)(policy->break_glass_count - (int64_t)have),
			policy->break_glass_count - (int64_t)have == 1 ? "" : "s",
			policy->break_glass_group, have,
			(long long)policy->break_glass_count);
done:
	free(seen);
	if (!*met) {
		*missing = appctl_strbuf_detach(&b);
		if (!*missing)
			return appctl_error_nomem();
	} else {
		appctl_strbuf_dispose(&b);
	}
	return NULL;
}

/* ---- the release step ---- */

/*
 * Moves a ref that follows the log. Finding it already where the log says
 * is success: another appctl command's roll forward got there first.
 */
static appctl_error *follow_ref(appctl_repo *repo, const char *name,
	const char *old_hex, const char *new_hex, const char *message)
{
	appctl_error *err, *lookup;
	char now[41];
	int found = 0;

	err = appctl_ref_cas(repo, name, old_hex, new_hex, message);
	if (!err || err->code != APPCTL_ECONFLICT)
		return err;
	lookup = appctl_ref_read(now, &found, repo, name);
	if (!lookup && found && strcmp(now, new_hex) == 0) {
		appctl_error_free(err);
		return NULL;
	}
	appctl_error_free(lookup);
	appctl_error_free(err);
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
	appctl_release_fault("before-append");
	err = appctl_log_append(log_commit, repo, expected_head, json, sig,
		state_json);
	if (err)
		goto cleanup;
	/* The commit point is behind us: from here on, only roll forward. */
	appctl_release_fault("after-append");
	snprintf(branch, sizeof(branch), "refs/heads/%s", ev->env);
	snprintf(tag, sizeof(tag), "refs/tags/release/%s/%lld", ev->env,
		(long long)ev->release);
	snprintf(message, sizeof(message), "appctl %s: release %lld",
		appctl_event_type_name(ev->type), (long long)ev->release);
	err = follow_ref(repo, branch, ev->from, ev->to, message);
	appctl_release_fault("after-branch");
	tag_err = follow_ref(repo, tag, NULL, ev->to, message);
	if (!err)
		err = tag_err;
	else
		appctl_error_free(tag_err);
	appctl_release_fault("after-tag");
cleanup:
	free(json);
	free(sig);
	free(state_json);
	appctl_log_state_free(next);
	return err;
}

/* ---- output ---- */

static void describe_change(appctl_strbuf *b, const appctl_change *c)
{
	size_t start = b->len;

	if (c->principal)
		appctl_strbuf_printf(b, " %s", c->principal);
	else if (c->member)
		appctl_strbuf_printf(b, " %s", c->member);
	if (c->group)
		appctl_strbuf_printf(b, " group:%s", c->group);
	if (c->role)
		appctl_strbuf_printf(b, " role %s", c->role);
	if (c->resource)
		appctl_strbuf_printf(b, " %s%s%s%s%s", c->resource,
			c->field ? "." : "", c->field ? c->field : "",
			c->action ? ":" : "", c->action ? c->action : "");
	if (c->integration)
		appctl_strbuf_printf(b, " integration %s%s%s", c->integration,
			c->scope ? " scope " : "", c->scope ? c->scope : "");
	if (c->path && b->len == start)
		appctl_strbuf_printf(b, " %s", c->path);
	if (c->before || c->after)
		appctl_strbuf_printf(b, ": %s -> %s",
			c->before ? c->before : "(none)",
			c->after ? c->after : "(none)");
}

appctl_error *appctl_release_print_changes(const appctl_cli *cli,
	const appctl_changes *changes, const char *indent)
{
	appctl_strbuf line = APPCTL_STRBUF_INIT;
	size_t i;

	for (i = 0; i < changes->count; i++) {
		const appctl_change *c = &changes->items[i];
		const char *color = c->risk == APPCTL_RISK_HIGH ? APPCTL_RED
			: c->risk == APPCTL_RISK_MEDIUM ? APPCTL_YELLOW : "";

		appctl_strbuf_truncate(&line, 0);
		appctl_strbuf_printf(&line, "%s", c->app ? c->app : "(policy)");
		describe_change(&line, c);
		if (line.failed) {
			appctl_strbuf_dispose(&line);
			return appctl_error_nomem();
		}
		printf("%s%s%-6s%s %-30s %s\n", indent, appctl_cli_color(cli, color),
			appctl_risk_name(c->risk),
			appctl_cli_color(cli, APPCTL_RESET), c->kind, line.ptr);
	}
	appctl_strbuf_dispose(&line);
	return NULL;
}

void appctl_release_summary_text(char *buf, size_t len,
	const appctl_changes *changes)
{
	size_t counts[3];

	appctl_changes_summary(changes, counts);
	snprintf(buf, len, "%zu high, %zu medium, %zu low",
		counts[APPCTL_RISK_HIGH], counts[APPCTL_RISK_MEDIUM],
		counts[APPCTL_RISK_LOW]);
}

/* ---- events kept beyond a walk ---- */

appctl_error *appctl_logged_copy(appctl_logged *out, const appctl_event *ev)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->id, ev->id, sizeof(out->id));
	memcpy(out->log_commit, ev->log_commit, sizeof(out->log_commit));
	out->type = ev->type;
	out->json = malloc(ev->json_len + 1);
	if (!out->json)
		return appctl_error_nomem();
	memcpy(out->json, ev->json, ev->json_len);
	out->json[ev->json_len] = '\0';
	out->json_len = ev->json_len;
	if (ev->signature) {
		out->signature = malloc(ev->signature_len + 1);
		if (!out->signature) {
			appctl_logged_dispose(out);
			return appctl_error_nomem();
		}
		memcpy(out->signature, ev->signature, ev->signature_len);
		out->signature[ev->signature_len] = '\0';
		out->signature_len = ev->signature_len;
	}
	return NULL;
}

void appctl_logged_dispose(appctl_logged *logged)
{
	free(logged->json);
	free(logged->signature);
	memset(logged, 0, sizeof(*logged));
}

appctl_error *appctl_logged_parse(appctl_event **out,
	const appctl_logged *logged)
{
	char file[64];
	appctl_error *err;

	snprintf(file, sizeof(file), "%s:event.json", logged->log_commit);
	err = appctl_event_parse(out, file, logged->json, logged->json_len);
	if (err)
		return err;
	memcpy((*out)->id, logged->id, sizeof(logged->id));
	memcpy((*out)->log_commit, logged->log_commit,
		sizeof(logged->log_commit));
	(*out)->signature = logged->signature;
	(*out)->signature_len = logged->signature_len;
	return NULL;
}

/* ---- judging a recorded move ---- */

appctl_error *appctl_release_verify_event(char **principal, char **why,
	const appctl_event *ev, const char *signers_text)
{
	*principal = NULL;
	*why = NULL;
	if (!ev->signature) {
		if (!(*why = strdup("not signed")))
			return appctl_error_nomem();
		return NULL;
	}
	return appctl_ssh_verify(principal, why, signers_text, ev->json,
		ev->json_len, ev->signature);
}

appctl_error *appctl_release_case_build(appctl_release_case *out,
	appctl_repo *repo, const char *env, const char *base,
	const char *commit, appctl_event *const *approvals, const int *revoked,
	size_t count, int rollback, appctl_date at)
{
	appctl_error *err;
	size_t i, n = count ? count : 1;

	memset(out, 0, sizeof(*out));
	err = appctl_repo_load_snapshot(&out->current, repo, base);
	if (!err)
		err = appctl_repo_load_snapshot(&out->target, repo, commit);
	if (err)
		return err;
	if (appctl_changes_init(&out->changes) != 0)
		return appctl_error_nomem();
	out->changes_ready = 1;
	err = appctl_diff_snapshots(&out->changes, out->current, out->target, at);
	if (!err)
		err = appctl_commit_authors(&out->authors, &out->author_count,
			repo, base, commit);
	if (err)
		return err;
	out->approvals = calloc(n, sizeof(*out->approvals));
	out->principals = calloc(n, sizeof(*out->principals));
	out->whys = calloc(n, sizeof(*out->whys));
	if (!out->approvals || !out->principals || !out->whys)
		return appctl_error_nomem();
	out->approval_count = count;
	for (i = 0; i < count; i++) {
		appctl_approval *a = &out->approvals[i];

		err = appctl_release_verify_event(&out->principals[i],
			&out->whys[i], approvals[i], out->current->signers_text);
		if (err)
			return err;
		a->event = approvals[i];
		a->verified = out->principals[i] != NULL;
		a->principal = a->verified ? out->principals[i]
			: approvals[i]->principal;
		a->why_unverified = out->whys[i];
		a->revoked = revoked ? revoked[i] : 0;
	}
	out->widens = appctl_changes_widen(&out->changes);
	out->request.policy = out->current->policy;
	out->request.env = env;
	out->request.commit = commit;
	out->request.base = base;
	out->request.changes = &out->changes;
	out->request.target = out->target;
	out->request.current = out->current;
	out->request.authors = (const char *const *)out->authors;
	out->request.author_count = out->author_count;
	out->request.approvals = out->approvals;
	out->request.approval_count = count;
	out->request.required_override = rollback && !out->widens
		? out->current->policy->rollback_required : -1;
	return appctl_policy_evaluate(&out->verdict, &out->request);
}

void appctl_release_case_dispose(appctl_release_case *rcase)
{
	size_t i;

	appctl_verdict_dispose(&rcase->verdict);
	for (i = 0; i < rcase->approval_count; i++) {
		free(rcase->principals[i]);
		free(rcase->whys[i]);
	}
	free(rcase->principals);
	free(rcase->whys);
	free(rcase->approvals);
	for (i = 0; i < rcase->author_count; i++)
		free(rcase->authors[i]);
	free(rcase->authors);
	if (rcase->changes_ready)
		appctl_changes_dispose(&rcase->changes);
	appctl_snapshot_free(rcase->target);
	appctl_snapshot_free(rcase->current);
	memset(rcase, 0, sizeof(*rcase));
}

/* ---- promote and rollback ---- */

/* What one attempt decided, for printing and for the event. */
typedef struct release_outcome {
	int allowed;
	int break_glass;            /* recorded as break-glass */
	char **missing;             /* owned lines */
	size_t missing_count;
	const char **approval_ids;  /* into the judgement */
	const char **approvers;     /* into the judgement */
	size_t approval_count;
	int *used;                  /* break-glass: approvals relied on */
} release_outcome;

static void outcome_dispose(release_outcome *o)
{
	size_t i;

	for (i = 0; i < o->missing_count; i++)
		free(o->missing[i]);
	free(o->missing);
	free(o->approval_ids);
	free(o->approvers);
	free(o->used);
	memset(o, 0, sizeof(*o));
}

static appctl_error *outcome_add_missing(release_outcome *o, const char *line)
{
	char **grown = realloc(o->missing, (o->missing_count + 1) * sizeof(*grown));

	if (!grown)
		return appctl_error_nomem();
	o->missing = grown;
	if (!(o->missing[o->missing_count] = strdup(line)))
		return appctl_error_nomem();
	o->missing_count++;
	return NULL;
}

static const char *verb_of(const appctl_release_request *req)
{
	return req->type == APPCTL_EV_ROLLBACK ? "rollback" : "promote";
}

/* Definitions that fail lint never reach a protected environment. */
static appctl_error *lint_target(const appctl_cli *cli,
	const appctl_snapshot *target, const char *commit, appctl_date today,
	const char *what)
{
	appctl_findings findings = APPCTL_FINDINGS_INIT;
	appctl_error *err;
	size_t i;

	err = appctl_lint(&findings, target, today);
	if (err || !findings.errors)
		goto cleanup;
	if (!cli->json)
		for (i = 0; i < findings.count; i++) {
			const appctl_finding *f = &findings.items[i];

			if (f->severity != APPCTL_SEV_ERROR)
				continue;
			printf("%s: error: %s [%s] (%s)\n", f->file, f->message,
				f->rule, f->path ? f->path : "$");
		}
	err = appctl_error_new(APPCTL_EDENIED, "%s: the definitions at %.7s "
		"have %zu lint error%s; see 'appctl validate %.12s'", what, commit,
		findings.errors, findings.errors == 1 ? "" : "s", commit);
cleanup:
	appctl_findings_dispose(&findings);
	return err;
}

static void print_header(const appctl_cli *cli, const appctl_release_request *req,
	const appctl_judgement *j)
{
	char summary[96];

	appctl_release_summary_text(summary, sizeof(summary), &j->changes);
	if (req->type == APPCTL_EV_ROLLBACK)
		printf("%srollback %s%s: release %lld (%.7s) -> release %lld's "
			"commit %.7s, as release %lld\n",
			appctl_cli_color(cli, APPCTL_BOLD), req->env,
			appctl_cli_color(cli, APPCTL_RESET), (long long)j->release,
			j->base, (long long)req->rollback_to, req->commit,
			(long long)j->release + 1);
	else
		printf("%spromote %s%s: %.7s -> %.7s (from %s), release %lld -> "
			"%lld\n", appctl_cli_color(cli, APPCTL_BOLD), req->env,
			appctl_cli_color(cli, APPCTL_RESET), j->base, req->commit,
			req->source, (long long)j->release,
			(long long)j->release + 1);
	printf("changes it applies: %zu (%s)\n", j->changes.count, summary);
}

static void print_approvals(const appctl_judgement *j)
{
	size_t i;

	if (!j->approval_count) {
		printf("approvals: none recorded for %.7s on this base\n", j->commit);
		return;
	}
	printf("approvals:\n");
	for (i = 0; i < j->approval_count; i++) {
		const appctl_approval *a = &j->approvals[i];

		printf("  %-30s %s%s\n", a->principal ? a->principal : "(unknown)",
			a->reason ? a->reason : appctl_approval_status_text(a->status),
			a->verified ? "" : " (unverified)");
	}
}

/* Decides whether the move may happen: the normal rules, or break-glass. */
static appctl_error *decide(release_outcome *o, const appctl_judgement *j,
	const appctl_release_request *req, const appctl_promoter *who,
	int frozen)
{
	const appctl_policy *policy = j->current->policy;
	appctl_error *err = NULL;
	char *bg_missing = NULL;
	size_t i, n = 0;
	int bg_met = 0;

	memset(o, 0, sizeof(*o));
	o->used = calloc(j->approval_count ? j->approval_count : 1,
		sizeof(*o->used));
	o->approval_ids = calloc(j->approval_count + 1, sizeof(*o->approval_ids));
	o->approvers = calloc(j->approval_count + 1, sizeof(*o->approvers));
	if (!o->used || !o->approval_ids || !o->approvers)
		return appctl_error_nomem();
	if (req->break_glass && (frozen || !j->verdict.allowed)) {
		err = appctl_break_glass_judge(&bg_met, &bg_missing, o->used,
			policy, j->approvals, j->approval_count,
			(const char *const *)j->authors, j->author_count,
			who->principal, who->verified);
		if (err)
			return err;
		o->break_glass = 1;
		o->allowed = bg_met;
		if (bg_missing)
			err = outcome_add_missing(o, bg_missing);
		free(bg_missing);
		if (err)
			return err;
	} else {
		o->allowed = j->verdict.allowed;
		for (i = 0; i < j->verdict.missing_count; i++)
			if ((err = outcome_add_missing(o, j->verdict.missing[i])))
				return err;
	}
	for (i = 0; i < j->approval_count; i++) {
		const appctl_approval *a = &j->approvals[i];

		if (a->status != APPCTL_APPROVAL_COUNTED && !o->used[i])
			continue;
		o->approval_ids[n] = a->event->id;
		o->approvers[n] = a->principal;
		n++;
	}
	o->approval_count = n;
	return NULL;
}

static appctl_error *json_print_doc(appctl_strbuf *b)
{
	if (b->failed) {
		appctl_strbuf_dispose(b);
		return appctl_error_nomem();
	}
	puts(b->ptr);
	appctl_strbuf_dispose(b);
	return NULL;
}

static void json_string_list(appctl_strbuf *b, const char *key,
	const char *const *items, size_t n)
{
	size_t i;

	appctl_strbuf_printf(b, ",\"%s\":[", key);
	for (i = 0; i < n; i++) {
		if (i)
			appctl_strbuf_putc(b, ',');
		appctl_json_quote(b, items[i]);
	}
	appctl_strbuf_putc(b, ']');
}

/* The --json account of a promote or rollback, done or refused. */
static appctl_error *print_json_outcome(const appctl_release_request *req,
	const appctl_judgement *j, const release_outcome *o, const char *event_id,
	int done)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	size_t counts[3];

	appctl_changes_summary(&j->changes, counts);
	appctl_strbuf_puts(&b, "{\"env\":");
	appctl_json_quote(&b, req->env);
	appctl_strbuf_printf(&b, ",\"kind\":\"%s\",\"commit\":\"%s\",\"from\":\"%s\","
		"\"release\":%lld,\"allowed\":%s,\"done\":%s,\"dry_run\":%s,"
		"\"break_glass\":%s", verb_of(req), req->commit, j->base,
		(long long)j->release + 1, o->allowed ? "true" : "false",
		done ? "true" : "false", req->dry_run ? "true" : "false",
		o->break_glass ? "true" : "false");
	if (req->type == APPCTL_EV_ROLLBACK)
		appctl_strbuf_printf(&b, ",\"rollback_to\":%lld",
			(long long)req->rollback_to);
	else {
		appctl_strbuf_puts(&b, ",\"source\":");
		appctl_json_quote(&b, req->source);
	}
	if (event_id && *event_id)
		appctl_strbuf_printf(&b, ",\"event\":\"%s\"", event_id);
	json_string_list(&b, "approvers", o->approvers, o->approval_count);
	json_string_list(&b, "approvals", o->approval_ids, o->approval_count);
	json_string_list(&b, "missing", (const char *const *)o->missing,
		o->missing_count);
	appctl_strbuf_printf(&b, ",\"summary\":{\"high\":%zu,\"medium\":%zu,"
		"\"low\":%zu}}", counts[APPCTL_RISK_HIGH],
		counts[APPCTL_RISK_MEDIUM], counts[APPCTL_RISK_LOW]);
	return json_print_doc(&b);
}

static appctl_error *denied(const appctl_cli *cli, const char *what,
	const appctl_judgement *j, const release_outcome *o)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	appctl_error *err;
	size_t i;

	if (!cli->json) {
		print_approvals(j);
		printf("missing:\n");
		for (i = 0; i < o->missing_count; i++)
			printf("  - %s\n", o->missing[i]);
	}
	for (i = 0; i < o->missing_count; i++)
		appctl_strbuf_printf(&b, "%s%s", i ? "; " : "", o->missing[i]);
	err = appctl_error_new(APPCTL_EDENIED, "%s: not allowed: %s", what,
		b.ptr ? b.ptr : "denied");
	appctl_strbuf_dispose(&b);
	return err;
}

static void jitter_sleep(int attempt)
{
	struct timespec ts;
	long ms = 10L * (attempt + 1) + (long)(rand() % 40);

	ts.tv_sec = 0;
	ts.tv_nsec = ms * 1000000L;
	nanosleep(&ts, NULL);
}

/*
 * After a lost compare-and-swap: a release of the same environment in
 * between means this one lost the race (exit 5, nothing changed); anything
 * else (an approval) only asks for a new judgement.
 */
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

static appctl_error *conflict(const char *what, const char *env)
{
	return appctl_error_new(APPCTL_ECONFLICT, "%s: '%s' was released by "
		"someone else meanwhile; nothing was changed; retry", what, env);
}

static appctl_error *print_done(const appctl_cli *cli,
	const appctl_release_request *req, const appctl_judgement *j,
	const release_outcome *o, const char *event_id)
{
	size_t i;

	if (cli->json)
		return print_json_outcome(req, j, o, event_id, !req->dry_run);
	printf("%s%s %s to %.7s as release %lld (was %.7s)\n",
		req->dry_run ? "dry run: would " : "",
		req->dry_run ? verb_of(req)
			: req->type == APPCTL_EV_ROLLBACK ? "rolled back" : "promoted",
		req->env, req->commit, (long long)j->release + 1, j->base);
	printf("approved by: ");
	for (i = 0; i < o->approval_count; i++)
		printf("%s%s", i ? ", " : "", o->approvers[i]);
	printf("%s\n", o->approval_count ? "" : "(none)");
	if (o->break_glass)
		printf("BREAK-GLASS: unreviewed until the normal approvals of "
			"%.12s on base %.12s are recorded\n", req->commit, j->base);
	else if (req->break_glass)
		printf("the normal approvals suffice and nothing is frozen: "
			"recorded as a normal %s\n", verb_of(req));
	if (event_id && *event_id)
		printf("event: %s\n", event_id);
	return NULL;
}

appctl_error *appctl_release_run(appctl_cli *cli,
	const appctl_release_request *req)
{
	appctl_judgement j;
	appctl_promoter who;
	release_outcome o;
	appctl_event ev;
	appctl_error *err = NULL;
	appctl_date today = appctl_cli_today();
	const appctl_freeze *freeze = NULL;
	size_t freeze_index = 0;
	char what[128], event_id[41] = "", now[32];
	int attempt, released;

	memset(&j, 0, sizeof(j));
	memset(&who, 0, sizeof(who));
	memset(&o, 0, sizeof(o));
	snprintf(what, sizeof(what), "%s %s", verb_of(req), req->env);
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	memset(&ev, 0, sizeof(ev));
	for (attempt = 0;; attempt++) {
		err = appctl_judge(&j, cli, req->env, req->commit, -1, today);
		if (err)
			goto cleanup;
		if (j.release != req->expected_release) {
			err = conflict(what, req->env);
			goto cleanup;
		}
		/* (appctl_judge refused already if the branch is not where the log says.) */
		if (attempt == 0 && !cli->json) {
			print_header(cli, req, &j);
			err = appctl_release_print_changes(cli, &j.changes, "  ");
			if (err)
				goto cleanup;
		}
		/* A rollback that widens nothing needs only rollback.required. */
		if (req->type == APPCTL_EV_ROLLBACK) {
			int widens = appctl_changes_widen(&j.changes);

			if (attempt == 0 && !cli->json)
				printf(widens ? "this rollback widens access or connections "
					"again (high risk): it needs the normal approvals\n"
					: "this rollback widens nothing: it needs "
					"rollback.required approvals\n");
			if (!widens) {
				appctl_verdict_dispose(&j.verdict);
				j.request.required_override =
					j.current->policy->rollback_required;
				err = appctl_policy_evaluate(&j.verdict, &j.request);
				if (err)
					goto cleanup;
			}
		}
		if (attempt == 0) {
			err = lint_target(cli, j.target, req->commit, today, what);
			if (!err)
				err = appctl_freeze_find(&freeze, &freeze_index,
					j.current->policy, req->env, (int64_t)time(NULL));
			if (!err)
				err = appctl_promoter_identify(&who, cli, req->key_option,
					j.current->signers_text);
			if (err)
				goto cleanup;
			if (freeze && !req->break_glass) {
				char *text = appctl_freeze_describe(freeze, freeze_index);

				err = appctl_error_new(APPCTL_EDENIED, "%s: '%s' is frozen "
					"by %s; only --break-glass -m REASON may pass",
					what, req->env, text ? text : "a freeze window");
				free(text);
				goto cleanup;
			}
		}
		outcome_dispose(&o);
		err = decide(&o, &j, req, &who, freeze != NULL);
		if (err)
			goto cleanup;
		if (!o.allowed) {
			if (cli->json)
				err = print_json_outcome(req, &j, &o, NULL, 0);
			if (!err)
				err = denied(cli, what, &j, &o);
			goto cleanup;
		}
		if (req->dry_run) {
			err = print_done(cli, req, &j, &o, NULL);
			goto cleanup;
		}
		appctl_cli_now(now, sizeof(now));
		memset(&ev, 0, sizeof(ev));
		ev.type = req->type;
		ev.time = now;
		ev.principal = who.principal;
		ev.verified = who.verified;
		ev.env = req->env;
		ev.comment = req->comment;
		ev.source = req->type == APPCTL_EV_PROMOTE ? req->source : NULL;
		ev.from = j.base;
		ev.to = req->commit;
		ev.release = j.release + 1;
		ev.rollback_to = req->type == APPCTL_EV_ROLLBACK
			? req->rollback_to : -1;
		ev.approvals = o.approval_ids;
		ev.approval_count = o.approval_count;
		ev.break_glass = o.break_glass;
		/* A key that proves nobody adds nothing: such events stay unsigned. */
		err = appctl_release_record(event_id, cli->repo, j.log_head,
			j.state, &ev, who.verified ? who.key_file : NULL);
		if (!err || err->code != APPCTL_ECONFLICT)
			break;
		appctl_error_free(err);
		err = released_meanwhile(&released, cli->repo, req->env, j.release);
		if (err)
			goto cleanup;
		if (released || attempt + 1 >= RELEASE_MAX_ATTEMPTS) {
			err = conflict(what, req->env);
			goto cleanup;
		}
		/* Only unrelated events (approvals) got in first: judge again. */
		appctl_judgement_dispose(&j);
		memset(&j, 0, sizeof(j));
		jitter_sleep(attempt);
	}
	if (!err)
		err = print_done(cli, req, &j, &o, event_id);
	if (!err) {
		size_t counts[3];
		/* The step happened: a webhook can neither undo nor fail it. */
		appctl_changes_summary(&j.changes, counts);
		appctl_error_free(appctl_cli_notify(cli, j.current->policy, &ev,
			event_id, o.approvers, o.approval_count, counts, NULL));
	}
cleanup:
	outcome_dispose(&o);
	appctl_promoter_dispose(&who);
	appctl_judgement_dispose(&j);
	return err;
}

/*
 * Whether a break-glass release has since been approved the normal way:
 * ENV's approvals of exactly its commit on its base (the commit before
 * it), revocations applied, judged by the base's policy.
 */
appctl_error *appctl_break_glass_reviewed(int *reviewed, appctl_repo *repo,
	const appctl_logged *later, size_t later_count, const appctl_event *ev)
{
	appctl_event **events = NULL;
	int *revoked = NULL;
	appctl_release_case rc;
	appctl_error *err = NULL;
	size_t i, k, n = 0;

	memset(&rc, 0, sizeof(rc));
	*reviewed = 0;
	events = calloc(later_count + 1, sizeof(*events));
	revoked = calloc(later_count + 1, sizeof(*revoked));
	if (!events || !revoked) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	for (i = 0; i < later_count; i++) {
		appctl_event *a = NULL;

		if (later[i].type != APPCTL_EV_APPROVE)
			continue;
		if ((err = appctl_logged_parse(&a, &later[i])))
			goto cleanup;
		if (strcmp(a->commit, ev->to) != 0 || strcmp(a->base, ev->from) != 0) {
			appctl_event_free(a);
			continue;
		}
		/* A revoke newer than the approval (earlier in this list) withdraws it. */
		for (k = 0; k < i && !revoked[n]; k++) {
			appctl_event *r = NULL;

			if (later[k].type != APPCTL_EV_REVOKE)
				continue;
			if ((err = appctl_logged_parse(&r, &later[k]))) {
				appctl_event_free(a);
				goto cleanup;
			}
			revoked[n] = strcmp(r->commit, a->commit) == 0 &&
				strcmp(r->principal, a->principal) == 0;
			appctl_event_free(r);
		}
		events[n++] = a;
	}
	err = appctl_release_case_build(&rc, repo, ev->env, ev->from, ev->to,
		events, revoked, n, 0, appctl_release_day_of(ev->time));
	if (!err)
		*reviewed = rc.verdict.allowed;
cleanup:
	appctl_release_case_dispose(&rc);
	for (i = 0; events && i < n; i++)
		appctl_event_free(events[i]);
	free(events);
	free(revoked);
	return err;
}

appctl_error *appctl_release_shortfall(char **missing, const appctl_event *ev,
	appctl_release_case *rc)
{
	appctl_strbuf lines = APPCTL_STRBUF_INIT;
	char *principal = NULL, *why = NULL, *bg_missing = NULL;
	appctl_error *err = NULL;
	int met = 0, *used = NULL;
	size_t k;

	*missing = NULL;
	if (ev->break_glass) {
		/* Break-glass counts the promoter too, when the signature proves who. */
		if (ev->signature)
			err = appctl_release_verify_event(&principal, &why, ev,
				rc->current->signers_text);
		used = calloc(rc->approval_count + 1, sizeof(*used));
		if (!err && !used)
			err = appctl_error_nomem();
		if (!err)
			err = appctl_break_glass_judge(&met, &bg_missing, used,
				rc->current->policy, rc->approvals, rc->approval_count,
				(const char *const *)rc->authors, rc->author_count,
				principal ? principal : ev->principal, principal != NULL);
		if (!err && !met)
			appctl_strbuf_printf(&lines, "its break-glass approvals do not "
				"satisfy the policy of its base %.12s: %s", ev->from,
				bg_missing ? bg_missing : "?");
	} else if (!rc->verdict.allowed) {
		appctl_strbuf_printf(&lines, "its approvals do not satisfy the "
			"policy of its base %.12s: ", ev->from);
		for (k = 0; k < rc->verdict.missing_count; k++)
			appctl_strbuf_printf(&lines, "%s%s", k ? "; " : "",
				rc->verdict.missing[k]);
		if (!rc->verdict.missing_count)
			appctl_strbuf_puts(&lines, "denied");
	}
	if (!err && lines.len && !(*missing = appctl_strbuf_detach(&lines)))
		err = appctl_error_nomem();
	appctl_strbuf_dispose(&lines);
	free(bg_missing);
	free(used);
	free(principal);
	free(why);
	return err;
}
