/* cli_release.c: how promote and rollback show what the release service judged and did, and the event copies history and status keep. */
#include "cli_release.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appctl/json.h"
#include "appctl/clock.h"
#include "appctl/log.h"
#include "appctl/rules.h"
#include "appctl/verify.h"
#include "appctl/strbuf.h"
#include "cli_notify.h"

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

appctl_date appctl_release_day_of(const char *iso_time)
{
	int64_t t;
	int date_only;

	if (iso_time && appctl_time_parse(&t, &date_only, iso_time) == 0)
		return appctl_date_from_unix(t);
	return appctl_cli_today();
}

appctl_error *appctl_cli_judge_ctx(appctl_judge_ctx *ctx, appctl_chain **chain,
	appctl_cli *cli)
{
	appctl_log_state *state = NULL;
	appctl_error *err;
	char head[41];

	*chain = NULL;
	appctl_judge_ctx_init(ctx, cli->repo, NULL, APPCTL_JUDGE_PENDING,
		appctl_clock_now());
	err = appctl_log_verified(head, &state, cli->repo, ctx->now);
	appctl_log_state_free(state);
	if (!err && !*head)
		err = appctl_repo_not_synced(cli->repo, APPCTL_LOG_REF);
	if (!err)
		err = appctl_chain_open(chain, cli->repo, head);
	ctx->chain = *chain;
	return err;
}

/* ---- promote and rollback ---- */

static const char *verb_of(const appctl_release_request *req)
{
	return req->type == APPCTL_EV_ROLLBACK ? "rollback" : "promote";
}

static void print_header(const appctl_cli *cli, const appctl_release_request *req,
	const appctl_case *c)
{
	char summary[96];

	appctl_release_summary_text(summary, sizeof(summary), &c->changes);
	if (req->type == APPCTL_EV_ROLLBACK)
		printf("%srollback %s%s: release %lld (%.7s) -> release %lld's "
			"commit %.7s, as release %lld\n",
			appctl_cli_color(cli, APPCTL_BOLD), req->env,
			appctl_cli_color(cli, APPCTL_RESET), (long long)c->release,
			c->base, (long long)req->rollback_to, req->commit,
			(long long)c->release + 1);
	else
		printf("%spromote %s%s: %.7s -> %.7s (from %s), release %lld -> "
			"%lld\n", appctl_cli_color(cli, APPCTL_BOLD), req->env,
			appctl_cli_color(cli, APPCTL_RESET), c->base, req->commit,
			req->source, (long long)c->release,
			(long long)c->release + 1);
	printf("changes it applies: %zu (%s)\n", c->changes.count, summary);
}

/* What the rollback rule asks of this rollback, in numbers. */
static void print_rollback_rule(const appctl_case *c)
{
	const appctl_policy *p = c->current->policy;

	if (c->request.required_override >= 0)
		printf("this rollback widens nothing and changes no policy or "
			"signers: it needs rollback.required = %lld approval%s, plus "
			"any rule its changes match\n",
			(long long)p->rollback_required,
			p->rollback_required == 1 ? "" : "s");
	else
		printf("this rollback widens access or connections, or changes the "
			"policy or signers, again (high risk): it needs the normal "
			"approvals\n");
}

static void print_lint_errors(const appctl_case *c)
{
	size_t i;

	for (i = 0; i < c->findings.count; i++) {
		const appctl_finding *f = &c->findings.items[i];

		if (f->severity == APPCTL_SEV_ERROR)
			printf("%s: error: %s [%s] (%s)\n", f->file, f->message,
				f->rule, f->path ? f->path : "$");
	}
}

static void print_approvals(const appctl_case *c)
{
	size_t i;

	if (!c->approval_count) {
		printf("approvals: none recorded for %.7s on this base\n", c->commit);
		return;
	}
	printf("approvals:\n");
	for (i = 0; i < c->approval_count; i++) {
		const appctl_approval *a = &c->approvals[i];

		printf("  %-30s %s%s\n", a->principal ? a->principal : "(unknown)",
			a->reason ? a->reason : appctl_approval_status_text(a->status),
			a->verified ? "" : " (unverified)");
	}
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
	const appctl_release_outcome *o)
{
	const appctl_case *c = &o->rcase;
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	size_t counts[3];

	appctl_changes_summary(&c->changes, counts);
	appctl_strbuf_puts(&b, "{\"env\":");
	appctl_json_quote(&b, req->env);
	appctl_strbuf_printf(&b, ",\"kind\":\"%s\",\"commit\":\"%s\",\"from\":\"%s\","
		"\"release\":%lld,\"allowed\":%s,\"done\":%s,\"dry_run\":%s,"
		"\"break_glass\":%s", verb_of(req), req->commit, c->base,
		(long long)c->release + 1, o->allowed ? "true" : "false",
		o->done ? "true" : "false", req->dry_run ? "true" : "false",
		c->break_glass ? "true" : "false");
	if (req->type == APPCTL_EV_ROLLBACK)
		appctl_strbuf_printf(&b, ",\"rollback_to\":%lld",
			(long long)req->rollback_to);
	else {
		appctl_strbuf_puts(&b, ",\"source\":");
		appctl_json_quote(&b, req->source);
	}
	if (*o->event_id)
		appctl_strbuf_printf(&b, ",\"event\":\"%s\"", o->event_id);
	json_string_list(&b, "approvers", o->approvers, o->approval_count);
	json_string_list(&b, "approvals", o->approval_ids, o->approval_count);
	json_string_list(&b, "missing", (const char *const *)c->missing,
		c->missing_count);
	appctl_strbuf_printf(&b, ",\"summary\":{\"high\":%zu,\"medium\":%zu,"
		"\"low\":%zu}}", counts[APPCTL_RISK_HIGH],
		counts[APPCTL_RISK_MEDIUM], counts[APPCTL_RISK_LOW]);
	if (b.failed) {
		appctl_strbuf_dispose(&b);
		return appctl_error_nomem();
	}
	puts(b.ptr);
	appctl_strbuf_dispose(&b);
	return NULL;
}

static appctl_error *denied(const appctl_cli *cli, const char *what,
	const appctl_case *c)
{
	appctl_error *err;
	char *why;
	size_t i;

	if (!cli->json) {
		print_approvals(c);
		printf("missing:\n");
		for (i = 0; i < c->missing_count; i++)
			printf("  - %s\n", c->missing[i]);
	}
	why = appctl_case_explain(c);
	err = appctl_error_new(APPCTL_EDENIED, "%s: not allowed: %s", what,
		why ? why : "denied");
	free(why);
	return err;
}

static void print_done(const appctl_release_request *req,
	const appctl_release_outcome *o)
{
	const appctl_case *c = &o->rcase;
	size_t i;

	printf("%s%s %s to %.7s as release %lld (was %.7s)\n",
		req->dry_run ? "dry run: would " : "",
		req->dry_run ? verb_of(req)
			: req->type == APPCTL_EV_ROLLBACK ? "rolled back" : "promoted",
		req->env, req->commit, (long long)c->release + 1, c->base);
	printf("approved by: ");
	for (i = 0; i < o->approval_count; i++)
		printf("%s%s", i ? ", " : "", o->approvers[i]);
	printf("%s\n", o->approval_count ? "" : "(none)");
	if (c->break_glass)
		printf("BREAK-GLASS: unreviewed until the normal approvals of "
			"%.12s on base %.12s are recorded\n", req->commit, c->base);
	else if (req->break_glass)
		printf("the normal approvals suffice and nothing is frozen: "
			"recorded as a normal %s\n", verb_of(req));
	if (*o->event_id)
		printf("event: %s\n", o->event_id);
}

appctl_error *appctl_release_run(appctl_cli *cli,
	const appctl_release_request *req)
{
	appctl_release_outcome o;
	appctl_error *err;
	char what[128];

	snprintf(what, sizeof(what), "%s %s", verb_of(req), req->env);
	err = appctl_release_perform(&o, cli->repo, req, appctl_clock_now());
	if (err || !o.rcase.current)
		goto cleanup;
	if (!cli->json) {
		print_header(cli, req, &o.rcase);
		err = appctl_release_print_changes(cli, &o.rcase.changes, "  ");
		if (err)
			goto cleanup;
		if (req->type == APPCTL_EV_ROLLBACK)
			print_rollback_rule(&o.rcase);
		print_lint_errors(&o.rcase);
	}
	if (!o.allowed) {
		if (cli->json)
			err = print_json_outcome(req, &o);
		if (!err)
			err = denied(cli, what, &o.rcase);
		goto cleanup;
	}
	if (cli->json)
		err = print_json_outcome(req, &o);
	else
		print_done(req, &o);
	if (!err && o.done) {
		size_t counts[3];
		appctl_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.type = req->type;
		ev.time = o.now;
		ev.principal = o.who.principal;
		ev.verified = o.who.verified;
		ev.env = req->env;
		ev.comment = req->comment;
		ev.source = req->type == APPCTL_EV_PROMOTE ? req->source : NULL;
		ev.from = o.rcase.base;
		ev.to = req->commit;
		ev.release = o.rcase.release + 1;
		ev.rollback_to = req->type == APPCTL_EV_ROLLBACK ? req->rollback_to : -1;
		ev.approvals = o.approval_ids;
		ev.approval_count = o.approval_count;
		ev.break_glass = o.rcase.break_glass;
		/* The step happened: a webhook can neither undo nor fail it. */
		appctl_changes_summary(&o.rcase.changes, counts);
		appctl_error_free(appctl_cli_notify(cli, o.rcase.current->policy, &ev,
			o.event_id, o.approvers, o.approval_count, counts, NULL));
	}
cleanup:
	appctl_release_outcome_dispose(&o);
	return err;
}
