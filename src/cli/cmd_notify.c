/* cmd_notify.c: `appctl notify` (list, flush, test, enable, drop), and the webhooks of promote, rollback, approve. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/json.h"
#include "appctl/log.h"
#include "appctl/notify.h"
#include "appctl/strbuf.h"
#include "cli.h"
#include "cli_notify.h"
#include "progress.h"

/*
 * The repository's name as receivers see it: its folder ("org" for
 * /srv/org/ or /srv/org.git/), so one receiver can serve many repositories.
 */
static char *repository_name(appctl_repo *repo)
{
	const char *dir = appctl_repo_workdir(repo);
	const char *start, *end;

	if (!dir)
		dir = appctl_repo_gitdir(repo);
	end = dir + strlen(dir);
	while (end > dir && end[-1] == '/')
		end--;
	start = end;
	while (start > dir && start[-1] != '/')
		start--;
	if (end - start > 4 && strncmp(end - 4, ".git", 4) == 0)
		end -= 4;
	if (end == start)
		return strdup("repository");
	return strndup(start, (size_t)(end - start));
}

/* Sends `ev` to `policy`'s entries; the report goes to *out. */
static appctl_error *send_event(appctl_notify_report **out, appctl_cli *cli,
	const appctl_policy *policy, appctl_notify_event *ev)
{
	char *name = repository_name(cli->repo);
	cli_progress progress;
	appctl_error *err;

	*out = NULL;
	if (!name)
		return appctl_error_nomem();
	ev->repository = name;
	/* A receiver that is down makes the command wait: say so on a terminal. */
	cli_progress_start(&progress, cli->json, "notify", "");
	err = appctl_notify_deliver(out, appctl_repo_gitdir(cli->repo), policy,
		ev, &progress.hooks);
	cli_progress_end(&progress);
	ev->repository = NULL;
	free(name);
	return err;
}

appctl_error *appctl_cli_notify(appctl_cli *cli, const appctl_policy *policy,
	const appctl_event *ev, const char *event_id,
	const char *const *approvers, size_t approver_count,
	const size_t *summary, appctl_notify_report **report_out)
{
	appctl_notify_report *report = NULL;
	appctl_notify_event nev;
	char *text = NULL;
	appctl_error *err;

	if (report_out)
		*report_out = NULL;
	if (!policy || policy->notify_count == 0)
		return NULL;
	appctl_notify_event_from_log(&nev, ev, event_id);
	nev.approvers = approvers;
	nev.approver_count = approver_count;
	if (summary) {
		nev.has_summary = 1;
		memcpy(nev.summary, summary, sizeof(nev.summary));
	}
	err = send_event(&report, cli, policy, &nev);
	if (!err)
		err = appctl_notify_report_text(&text, report);
	if (err)
		goto cleanup;
	/* stderr: the command's own output (and its --json) stays on stdout. */
	fputs(text, stderr);
	if (report_out) {
		*report_out = report;
		report = NULL;
	}
cleanup:
	free(text);
	appctl_notify_report_free(report);
	return err;
}

/* ---- notify list ---- */

static cJSON *outbox_json(const appctl_outbox *box)
{
	cJSON *root = cJSON_CreateObject(), *arr, *o;
	size_t i;
	int failed = 0;

	if (!root)
		return NULL;
	arr = cJSON_AddArrayToObject(root, "outbox");
	for (i = 0; arr && i < box->count; i++) {
		const appctl_outbox_entry *e = &box->entries[i];

		o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			failed = 1;
			break;
		}
		if (!cJSON_AddStringToObject(o, "id", e->id) ||
		    !cJSON_AddStringToObject(o, "url", e->url) ||
		    !cJSON_AddStringToObject(o, "event", e->event) ||
		    !cJSON_AddStringToObject(o, "event_id", e->event_id) ||
		    !cJSON_AddNumberToObject(o, "attempts", (double)e->attempts) ||
		    !cJSON_AddStringToObject(o, "created", e->created) ||
		    !(e->last_attempt
			? cJSON_AddStringToObject(o, "last_attempt", e->last_attempt)
			: cJSON_AddNullToObject(o, "last_attempt")) ||
		    !cJSON_AddNumberToObject(o, "last_status", (double)e->last_status) ||
		    !(e->last_error
			? cJSON_AddStringToObject(o, "last_error", e->last_error)
			: cJSON_AddNullToObject(o, "last_error")) ||
		    !cJSON_AddBoolToObject(o, "failed", e->failed))
			failed = 1;
	}
	arr = cJSON_AddArrayToObject(root, "disabled");
	for (i = 0; arr && i < box->disabled_count; i++) {
		const appctl_notify_disabled *d = &box->disabled[i];

		o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			failed = 1;
			break;
		}
		if (!cJSON_AddStringToObject(o, "url", d->url) ||
		    (d->time && !cJSON_AddStringToObject(o, "time", d->time)) ||
		    !cJSON_AddNumberToObject(o, "status", (double)d->status) ||
		    (d->id && !cJSON_AddStringToObject(o, "id", d->id)))
			failed = 1;
	}
	arr = cJSON_AddArrayToObject(root, "broken");
	for (i = 0; arr && i < box->broken_count; i++) {
		cJSON *s = cJSON_CreateString(box->broken[i]);

		if (!s || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			failed = 1;
		}
	}
	if (failed || !arr) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static void outbox_text(const appctl_outbox *box)
{
	size_t i;

	if (!box->count)
		puts("outbox: empty");
	else
		printf("outbox: %zu waiting\n", box->count);
	for (i = 0; i < box->count; i++) {
		const appctl_outbox_entry *e = &box->entries[i];

		printf("  %s  %s  %s\n", e->id, e->event, e->url);
		printf("    created %s, %lld attempt%s%s%s%s\n", e->created,
			(long long)e->attempts, e->attempts == 1 ? "" : "s",
			e->last_error ? ", last error: " : "",
			e->last_error ? e->last_error : "",
			e->failed ? " (not retried until 'appctl notify flush')"
				  : "");
	}
	if (box->disabled_count)
		puts("disabled endpoints:");
	for (i = 0; i < box->disabled_count; i++) {
		const appctl_notify_disabled *d = &box->disabled[i];

		printf("  %s  since %s (HTTP %lld)\n", d->url,
			d->time ? d->time : "?", (long long)d->status);
	}
}

static appctl_error *notify_list(appctl_cli *cli, int json)
{
	appctl_outbox *box = NULL;
	appctl_error *err;
	size_t i;

	err = appctl_outbox_read(&box, appctl_repo_gitdir(cli->repo));
	if (err)
		return err;
	for (i = 0; i < box->broken_count; i++)
		fprintf(stderr, "appctl: warning: unreadable outbox entry %s\n",
			box->broken[i]);
	if (json)
		err = appctl_cli_print_json(outbox_json(box));
	else
		outbox_text(box);
	appctl_outbox_free(box);
	return err;
}

/* ---- notify flush / test ---- */

/* Prints a report; an error (exit 4) when anything sendable is not delivered. */
static appctl_error *finish_report(const appctl_notify_report *report,
	int json, const char *what)
{
	size_t i, remaining = 0;
	char *text = NULL;
	appctl_error *err = NULL;

	/* Entries of a disabled endpoint are not tried: they are no failure. */
	for (i = 0; i < report->count; i++)
		if (report->results[i].outcome != APPCTL_NOTIFY_DELIVERED &&
		    (report->results[i].outcome != APPCTL_NOTIFY_DISABLED ||
		     report->results[i].attempts))
			remaining++;
	if (json) {
		cJSON *root = cJSON_CreateObject();
		cJSON *results = appctl_notify_report_json(report);

		if (!root || !results || !cJSON_AddItemToObject(root, "results",
				results)) {
			cJSON_Delete(root);
			cJSON_Delete(results);
			return appctl_error_nomem();
		}
		if (!cJSON_AddNumberToObject(root, "delivered",
				(double)report->delivered) ||
		    !cJSON_AddNumberToObject(root, "remaining",
				(double)(report->count - report->delivered))) {
			cJSON_Delete(root);
			return appctl_error_nomem();
		}
		err = appctl_cli_print_json(root);
	} else {
		err = appctl_notify_report_text(&text, report);
		if (!err)
			fputs(text, stdout);
		free(text);
	}
	if (!err && remaining)
		err = appctl_error_new(APPCTL_ESYSTEM,
			"%s: %zu of %zu deliver%s failed; see 'appctl notify list'",
			what, remaining, report->count,
			report->count == 1 ? "y" : "ies");
	return err;
}

static appctl_error *notify_flush(appctl_cli *cli, int json)
{
	appctl_notify_report *report = NULL;
	cli_progress progress;
	appctl_error *err;

	cli_progress_start(&progress, json, "notify", "");
	err = appctl_notify_flush(&report, appctl_repo_gitdir(cli->repo),
		&progress.hooks);
	cli_progress_end(&progress);
	if (err)
		return err;
	if (report->count == 0 && !json)
		puts("nothing to flush");
	else
		err = finish_report(report, json, "notify flush");
	appctl_notify_report_free(report);
	return err;
}

/* The environment's current release, from the log; -1 without a log. */
static appctl_error *current_release(int64_t *release, appctl_cli *cli,
	const char *env)
{
	appctl_log_state *state = NULL;
	const appctl_env_state *es;
	char head[41];
	appctl_error *err;

	*release = -1;
	err = appctl_log_head(head, &state, cli->repo);
	if (err)
		return err;
	es = state ? appctl_log_state_env(state, env) : NULL;
	if (es)
		*release = es->release;
	appctl_log_state_free(state);
	return NULL;
}

static appctl_error *notify_test(appctl_cli *cli, const char *env, int json)
{
	appctl_app_listing *listing = NULL;
	appctl_notify_report *report = NULL;
	appctl_notify_event ev;
	char commit[41], id[41], now[32], *principal = NULL;
	appctl_error *err;
	size_t i;

	err = appctl_repo_resolve(commit, cli->repo, env);
	if (!err)
		err = appctl_repo_list_apps(&listing, cli->repo, commit);
	if (err)
		goto cleanup;
	for (i = 0; i < listing->policy->environment_count; i++)
		if (strcmp(listing->policy->environments[i], env) == 0)
			break;
	if (i == listing->policy->environment_count) {
		err = appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not an environment of this repository", env);
		goto cleanup;
	}
	if (listing->policy->notify_count == 0) {
		fprintf(stderr, "appctl: the policy of '%s' has no notify entries\n",
			env);
		goto cleanup;
	}
	memset(&ev, 0, sizeof(ev));
	err = appctl_notify_random_id(id);
	if (!err)
		err = current_release(&ev.release, cli, env);
	if (!err)
		err = appctl_repo_config_string(&principal, cli->repo, "user.email");
	if (err)
		goto cleanup;
	appctl_cli_now(now, sizeof(now));
	ev.type = "test";
	ev.id = id;
	ev.time = now;
	ev.env = env;
	ev.to = commit;
	ev.principal = principal ? principal : "unknown";
	ev.rollback_to = -1;
	err = send_event(&report, cli, listing->policy, &ev);
	if (!err)
		err = finish_report(report, json, "notify test");
cleanup:
	appctl_notify_report_free(report);
	free(principal);
	appctl_app_listing_free(listing);
	return err;
}

/* ---- notify enable / drop ---- */

static appctl_error *notify_enable(appctl_cli *cli, const char *url)
{
	appctl_error *err;
	int found = 0;

	err = appctl_notify_enable(&found, appctl_repo_gitdir(cli->repo), url);
	if (err)
		return err;
	if (!found)
		return appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not a disabled endpoint; see 'appctl notify list'",
			url);
	printf("enabled %s\n", url);
	return NULL;
}

static appctl_error *notify_drop(appctl_cli *cli, const char *id)
{
	appctl_error *err;
	int found = 0;

	err = appctl_outbox_remove(&found, appctl_repo_gitdir(cli->repo), id);
	if (err)
		return err;
	if (!found)
		return appctl_error_new(APPCTL_EUSAGE,
			"'%s' is not in the outbox; see 'appctl notify list'", id);
	printf("dropped %s\n", id);
	return NULL;
}

appctl_error *cmd_notify(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL }, *sub;
	int npos, help, json = 0;
	const appctl_opt opts[] = {
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ 0 }
	};
	appctl_error *err;

	err = appctl_cli_parse(argc, argv, opts, pos, 2, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("notify");
		return NULL;
	}
	json |= cli->json;
	if (npos == 0)
		return appctl_error_new(APPCTL_EUSAGE,
			"notify needs a subcommand: list, flush, test, enable or drop");
	sub = pos[0];
	if (strcmp(sub, "list") == 0 || strcmp(sub, "flush") == 0) {
		if (npos > 1)
			return appctl_error_new(APPCTL_EUSAGE,
				"unexpected argument '%s'", pos[1]);
		return sub[0] == 'l' ? notify_list(cli, json)
				     : notify_flush(cli, json);
	}
	if (strcmp(sub, "test") == 0 || strcmp(sub, "enable") == 0 ||
	    strcmp(sub, "drop") == 0) {
		if (npos < 2)
			return appctl_error_new(APPCTL_EUSAGE,
				"notify %s needs %s", sub,
				sub[0] == 't' ? "an environment"
				: sub[0] == 'e' ? "a URL" : "an outbox id");
		if (sub[0] == 't')
			return notify_test(cli, pos[1], json);
		if (json)
			return appctl_error_new(APPCTL_EUSAGE,
				"notify %s has no --json output", sub);
		return sub[0] == 'e' ? notify_enable(cli, pos[1])
				     : notify_drop(cli, pos[1]);
	}
	return appctl_error_new(APPCTL_EUSAGE,
		"'%s' is not a notify subcommand (list, flush, test, enable, drop)",
		sub);
}
