/* policy.c: whether enough valid approvals of exactly this change exist (pure core). */
#include "appctl/policy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appctl/access.h"
#include "appctl/rules.h"
#include "appctl/strbuf.h"

static const char *const status_texts[] = {
	"counted",
	"for another environment",
	"for another commit",
	"stale: the environment moved since",
	"revoked",
	"signature missing or not valid now",
	"not an allowed approver",
	"self-approval: authored a commit in this change",
	"the same person already counted"
};

const char *appctl_approval_status_text(appctl_approval_status status)
{
	return (unsigned)status <= APPCTL_APPROVAL_DUPLICATE
		? status_texts[status] : "unknown";
}

const char *appctl_policy_source_env(const appctl_policy *policy,
	const char *env)
{
	size_t i;

	if (!policy || !env)
		return NULL;
	for (i = 1; i < policy->environment_count; i++)
		if (strcmp(policy->environments[i], env) == 0)
			return policy->environments[i - 1];
	return NULL;
}

void appctl_verdict_dispose(appctl_verdict *v)
{
	size_t i;

	for (i = 0; i < v->missing_count; i++)
		free(v->missing[i]);
	for (i = 0; i < v->requirement_count; i++)
		free(v->requirements[i]);
	free(v->missing);
	free(v->requirements);
	free(v->approvers);
	memset(v, 0, sizeof(*v));
}

static int push_line(char ***list, size_t *count, appctl_strbuf *line)
{
	char **grown;
	char *s = appctl_strbuf_detach(line);

	if (!s)
		return -1;
	grown = realloc(*list, (*count + 1) * sizeof(**list));
	if (!grown) {
		free(s);
		return -1;
	}
	grown[(*count)++] = s;
	*list = grown;
	return 0;
}

static int is_author(const appctl_promotion *req, const char *principal)
{
	size_t i;

	/* E-mail case is not identity: Rita@Example.com is rita@example.com. */
	for (i = 0; i < req->author_count; i++)
		if (strcasecmp(req->authors[i], principal) == 0)
			return 1;
	return 0;
}

/* Assigns each approval its status; the first failing check names the reason. */
static void classify(appctl_promotion *req, const char **counted,
	size_t *ncounted)
{
	const appctl_policy *p = req->policy;
	size_t i, j;

	*ncounted = 0;
	for (i = 0; i < req->approval_count; i++) {
		appctl_approval *a = &req->approvals[i];
		const appctl_event *ev = a->event;
		appctl_approval_status st = APPCTL_APPROVAL_COUNTED;

		if (!ev->env || strcmp(ev->env, req->env) != 0)
			st = APPCTL_APPROVAL_WRONG_ENV;
		else if (!ev->commit || strcmp(ev->commit, req->commit) != 0)
			st = APPCTL_APPROVAL_WRONG_COMMIT;
		else if (!ev->base || strcmp(ev->base, req->base) != 0)
			st = APPCTL_APPROVAL_STALE;
		else if (a->revoked)
			st = APPCTL_APPROVAL_REVOKED;
		else if (!a->principal || (p->require_signature && !a->verified))
			st = APPCTL_APPROVAL_UNVERIFIED;
		else if (!appctl_policy_may_approve(p, a->principal))
			st = APPCTL_APPROVAL_NOT_APPROVER;
		else if (!p->allow_self_approval && is_author(req, a->principal))
			st = APPCTL_APPROVAL_SELF;
		if (st == APPCTL_APPROVAL_COUNTED) {
			for (j = 0; j < *ncounted; j++)
				if (strcmp(counted[j], a->principal) == 0)
					st = APPCTL_APPROVAL_DUPLICATE;
		}
		a->status = st;
		a->reason = st == APPCTL_APPROVAL_UNVERIFIED && a->why_unverified
			? a->why_unverified : status_texts[st];
		if (st == APPCTL_APPROVAL_COUNTED)
			counted[(*ncounted)++] = a->principal;
	}
}

static const char *when_text(appctl_rule_when when)
{
	switch (when) {
	case APPCTL_WHEN_INTEGRATION: return "integration change";
	case APPCTL_WHEN_ACCESS: return "access widening";
	case APPCTL_WHEN_POLICY: return "policy change";
	case APPCTL_WHEN_DATA: return "data boundary change";
	}
	return "change";
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The class an app has in the change: its new class, or its old one when removed. */
static int app_class(const appctl_promotion *req, const char *app,
	appctl_app_class *out)
{
	const appctl_app *a = req->target ? appctl_snapshot_app(req->target, app) : NULL;

	if (!a && req->current)
		a = appctl_snapshot_app(req->current, app);
	if (!a)
		return 0;
	*out = a->app_class;
	return 1;
}

/* Adds one requirement (met or not) and, when unmet, its missing line. */
static int requirement(appctl_verdict *v, int64_t need, size_t have,
	const char *what, const char *why)
{
	appctl_strbuf line = APPCTL_STRBUF_INIT;

	appctl_strbuf_printf(&line, "%lld approver%s%s (%s): %zu counted",
		(long long)need, need == 1 ? "" : "s", what, why, have);
	if (push_line(&v->requirements, &v->requirement_count, &line) < 0)
		return -1;
	if ((int64_t)have >= need)
		return 0;
	appctl_strbuf_printf(&line, "needs %lld more approver%s%s (%s)",
		(long long)(need - (int64_t)have), need - (int64_t)have == 1 ? "" : "s",
		what, why);
	v->allowed = 0;
	return push_line(&v->missing, &v->missing_count, &line);
}

appctl_error *appctl_policy_evaluate(appctl_verdict *out, appctl_promotion *req)
{
	const appctl_policy *p = req->policy;
	const appctl_changes *ch = req->changes;
	const char **counted = NULL;
	appctl_strbuf why = APPCTL_STRBUF_INIT;
	size_t ncounted = 0, i, r;
	int64_t need = 0;
	int any_app = 0;

	memset(out, 0, sizeof(*out));
	out->allowed = 1;
	counted = calloc(req->approval_count + 1, sizeof(*counted));
	if (!counted)
		return appctl_error_nomem();
	classify(req, counted, &ncounted);

	if (req->required_override >= 0) {
		need = req->required_override;
		appctl_strbuf_puts(&why, "rollback.required: a rollback that widens "
			"nothing and changes no policy or signers");
	} else {
		const char *worst_app = NULL;
		appctl_app_class worst_class = APPCTL_CLASS_DASHBOARD;

		for (i = 0; i < ch->count; i++) {
			appctl_app_class c;

			if (!ch->items[i].app)
				continue;
			any_app = 1;
			if (app_class(req, ch->items[i].app, &c) &&
			    (!worst_app || p->required[c] > need)) {
				need = p->required[c];
				worst_app = ch->items[i].app;
				worst_class = c;
			}
		}
		if (worst_app) {
			appctl_strbuf_printf(&why, "%s app %s",
				appctl_class_name(worst_class), worst_app);
		} else if (ch->count && !any_app) {
			/* A policy-wide change reaches every app: the strictest class. */
			for (i = 0; i < APPCTL_CLASS_COUNT; i++)
				if (p->required[i] > need)
					need = p->required[i];
			appctl_strbuf_puts(&why, "a change to the policy reaches every app");
		} else {
			need = 1;
			appctl_strbuf_puts(&why, "no definition changes, still a release");
		}
	}
	if (why.failed || requirement(out, need, ncounted, "", why.ptr) < 0)
		goto nomem;

	for (r = 0; r < p->rule_count; r++) {
		const appctl_rule *rule = &p->rules[r];
		const char *first_app = NULL;
		size_t have = 0;
		int matched = 0;

		for (i = 0; i < ch->count; i++)
			if (appctl_kind_matches_rule(ch->items[i].kind, rule->when)) {
				matched = 1;
				if (!first_app && ch->items[i].app)
					first_app = ch->items[i].app;
			}
		if (!matched)
			continue;
		for (i = 0; i < ncounted; i++)
			if (appctl_policy_in_group(p, rule->group, counted[i]))
				have++;
		appctl_strbuf_truncate(&why, 0);
		appctl_strbuf_printf(&why, "%s%s%s", when_text(rule->when),
			first_app ? " in " : "", first_app ? first_app : "");
		{
			appctl_strbuf what = APPCTL_STRBUF_INIT;
			int rc;

			appctl_strbuf_printf(&what, " from group %s", rule->group);
			rc = (what.failed || why.failed) ? -1
				: requirement(out, rule->count, have, what.ptr, why.ptr);
			appctl_strbuf_dispose(&what);
			if (rc < 0)
				goto nomem;
		}
	}
	qsort(counted, ncounted, sizeof(*counted), name_cmp);
	out->approvers = counted;
	out->approver_count = ncounted;
	appctl_strbuf_dispose(&why);
	return NULL;
nomem:
	free(counted);
	appctl_strbuf_dispose(&why);
	appctl_verdict_dispose(out);
	return appctl_error_nomem();
}
