/* rules.c: the release rules as tables and pure functions: diff kinds, revocation, rollback, time, freeze windows, break-glass, the claims of a move (pure core). */
#include "appctl/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appctl/strbuf.h"

/* ---- diff kinds (SPEC §2) ---- */

#define NO_RULE (-1)

/*
 * Sorted by kind (bsearch). The kinds of SPEC §2 keep their normative
 * defaults; the others are additions (issue 13), documented in
 * docs/commands/diff.md.
 */
static const appctl_kind_rule kind_rules[] = {
	/* kind                          default risk     widens rules  when  also */
	{ "access.expiry_extended",      APPCTL_RISK_MEDIUM, 1, 0, APPCTL_WHEN_ACCESS, NO_RULE },
	{ "access.expiry_shortened",     APPCTL_RISK_LOW,    0, 0, NO_RULE, NO_RULE },
	{ "access.granted",              APPCTL_RISK_MEDIUM, 1, 0, APPCTL_WHEN_ACCESS, NO_RULE },
	{ "access.revoked",              APPCTL_RISK_LOW,    0, 0, NO_RULE, NO_RULE },
	{ "ai.read_added",               APPCTL_RISK_MEDIUM, 1, 0, APPCTL_WHEN_DATA, APPCTL_WHEN_ACCESS },
	{ "ai.read_removed",             APPCTL_RISK_LOW,    0, 0, NO_RULE, NO_RULE },
	{ "app.added",                   APPCTL_RISK_MEDIUM, 0, 0, NO_RULE, NO_RULE },
	{ "app.class_changed",           APPCTL_RISK_HIGH,   0, 0, NO_RULE, NO_RULE },
	{ "app.owner_changed",           APPCTL_RISK_MEDIUM, 0, 0, NO_RULE, NO_RULE },
	{ "app.removed",                 APPCTL_RISK_LOW,    0, 0, NO_RULE, NO_RULE },
	{ "data.retention_changed",      APPCTL_RISK_MEDIUM, 0, 0, APPCTL_WHEN_DATA, NO_RULE },
	{ "data.sensitivity_changed",    APPCTL_RISK_MEDIUM, 0, 0, APPCTL_WHEN_DATA, NO_RULE },
	{ "data.storage_changed",        APPCTL_RISK_MEDIUM, 0, 0, APPCTL_WHEN_DATA, NO_RULE },
	{ "data.tenant_key_removed",     APPCTL_RISK_HIGH,   0, 0, APPCTL_WHEN_DATA, NO_RULE },
	{ "field.exposed",               APPCTL_RISK_HIGH,   1, 0, APPCTL_WHEN_ACCESS, NO_RULE },
	{ "field.hidden",                APPCTL_RISK_LOW,    0, 0, NO_RULE, NO_RULE },
	{ "group.member_added",          APPCTL_RISK_MEDIUM, 0, 0, NO_RULE, NO_RULE },
	{ "group.member_removed",        APPCTL_RISK_LOW,    0, 0, NO_RULE, NO_RULE },
	{ "integration.added",           APPCTL_RISK_HIGH,   1, 0, APPCTL_WHEN_INTEGRATION, NO_RULE },
	{ "integration.credential_changed", APPCTL_RISK_HIGH, 0, 0, APPCTL_WHEN_INTEGRATION, NO_RULE },
	{ "integration.failure_open",    APPCTL_RISK_MEDIUM, 0, 0, APPCTL_WHEN_INTEGRATION, NO_RULE },
	{ "integration.owner_changed",   APPCTL_RISK_MEDIUM, 0, 0, APPCTL_WHEN_INTEGRATION, NO_RULE },
	{ "integration.reads_added",     APPCTL_RISK_MEDIUM, 1, 0, APPCTL_WHEN_INTEGRATION, NO_RULE },
	{ "integration.reads_removed",   APPCTL_RISK_LOW,    0, 0, APPCTL_WHEN_INTEGRATION, NO_RULE },
	{ "integration.removed",         APPCTL_RISK_LOW,    0, 0, APPCTL_WHEN_INTEGRATION, NO_RULE },
	{ "integration.scope_added",     APPCTL_RISK_HIGH,   1, 0, APPCTL_WHEN_INTEGRATION, NO_RULE },
	{ "integration.scope_removed",   APPCTL_RISK_LOW,    0, 0, APPCTL_WHEN_INTEGRATION, NO_RULE },
	{ "integration.writes_added",    APPCTL_RISK_MEDIUM, 1, 0, APPCTL_WHEN_INTEGRATION, NO_RULE },
	{ "integration.writes_removed",  APPCTL_RISK_LOW,    0, 0, APPCTL_WHEN_INTEGRATION, NO_RULE },
	{ "other.changed",               APPCTL_RISK_LOW,    0, 0, NO_RULE, NO_RULE },
	{ "page.roles_added",            APPCTL_RISK_MEDIUM, 1, 0, APPCTL_WHEN_ACCESS, NO_RULE },
	{ "page.roles_removed",          APPCTL_RISK_LOW,    0, 0, NO_RULE, NO_RULE },
	{ "policy.changed",              APPCTL_RISK_HIGH,   0, 1, APPCTL_WHEN_POLICY, NO_RULE },
	{ "role.added",                  APPCTL_RISK_MEDIUM, 0, 0, NO_RULE, NO_RULE },
	{ "role.grant_added",            APPCTL_RISK_MEDIUM, 0, 0, NO_RULE, NO_RULE },
	{ "role.grant_removed",          APPCTL_RISK_LOW,    0, 0, NO_RULE, NO_RULE },
	{ "role.member_added",           APPCTL_RISK_MEDIUM, 0, 0, NO_RULE, NO_RULE },
	{ "role.member_removed",         APPCTL_RISK_LOW,    0, 0, NO_RULE, NO_RULE },
	{ "role.removed",                APPCTL_RISK_LOW,    0, 0, NO_RULE, NO_RULE },
	{ "signers.changed",             APPCTL_RISK_HIGH,   0, 1, APPCTL_WHEN_POLICY, NO_RULE },
};

#define KIND_RULE_COUNT (sizeof(kind_rules) / sizeof(kind_rules[0]))

static int kind_rule_cmp(const void *key, const void *row)
{
	return strcmp(key, ((const appctl_kind_rule *)row)->kind);
}

const appctl_kind_rule *appctl_kind_rule_find(const char *kind)
{
	if (!kind)
		return NULL;
	return bsearch(kind, kind_rules, KIND_RULE_COUNT, sizeof(kind_rules[0]),
		kind_rule_cmp);
}

const appctl_kind_rule *appctl_kind_rules(size_t *count)
{
	*count = KIND_RULE_COUNT;
	return kind_rules;
}

int appctl_kind_matches_rule(const char *kind, appctl_rule_when when)
{
	const appctl_kind_rule *r = appctl_kind_rule_find(kind);

	return r && (r->when == (int)when || r->also_when == (int)when);
}

int appctl_changes_widen(const appctl_changes *changes)
{
	size_t i;

	for (i = 0; i < changes->count; i++) {
		const appctl_kind_rule *r = appctl_kind_rule_find(changes->items[i].kind);

		if (r && r->widens)
			return 1;
	}
	return 0;
}

int appctl_changes_change_rules(const appctl_changes *changes)
{
	size_t i;

	for (i = 0; i < changes->count; i++) {
		const appctl_kind_rule *r = appctl_kind_rule_find(changes->items[i].kind);

		if (r && r->changes_rules)
			return 1;
	}
	return 0;
}

int64_t appctl_rollback_required(const appctl_policy *policy,
	const appctl_changes *changes)
{
	/* Re-granting access or re-trusting a key is a change like any other. */
	if (appctl_changes_widen(changes) || appctl_changes_change_rules(changes))
		return -1;
	return policy->rollback_required;
}

/* ---- revocation ---- */

int appctl_revocation_withdraws(const appctl_revocation *revoke,
	const char *env, const char *commit, const char *principal,
	size_t approval_position, size_t move_position)
{
	return revoke->principal && principal && revoke->env && env &&
		revoke->commit && commit &&
		strcmp(revoke->env, env) == 0 &&
		strcmp(revoke->commit, commit) == 0 &&
		strcasecmp(revoke->principal, principal) == 0 &&
		revoke->position > approval_position &&
		revoke->position < move_position;
}

/* ---- times ---- */

static int two_digits(const char *s, int *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

int appctl_time_parse(int64_t *out, int *date_only, const char *s)
{
	char day[11];
	appctl_date d;
	int h = 0, m = 0, sec = 0;
	size_t len = s ? strlen(s) : 0;
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

void appctl_time_format(char *buf, size_t len, int64_t t)
{
	appctl_date d = appctl_date_from_unix(t);
	int64_t s = t - (int64_t)d * 86400;
	char day[16];

	appctl_date_format(day, d);
	snprintf(buf, len, "%sT%02d:%02d:%02dZ", day, (int)(s / 3600),
		(int)(s / 60 % 60), (int)(s % 60));
}

int appctl_event_time_acceptable(const char *iso, int64_t now)
{
	int64_t t;
	int date_only;

	return appctl_time_parse(&t, &date_only, iso) == 0 &&
		t <= now + APPCTL_CLOCK_SKEW_S;
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
		if (appctl_time_parse(&from, &from_date, f->from) != 0)
			return appctl_error_input(policy->file, NULL,
				"$.freeze[%zu].from: '%s' is not an ISO date or "
				"date-time", i, f->from);
		if (appctl_time_parse(&to, &to_date, f->to) != 0)
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
		if (list[i] && strcasecmp(list[i], s) == 0)
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
		if (!group || !promoter || !in_list(group->members,
				group->member_count, promoter))
			appctl_strbuf_printf(&b, "break-glass needs the promoter "
				"(%s) to be in group:%s", promoter ? promoter : "unknown",
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

/* ---- the claims of a move ---- */

/* One claim: appends why it does not hold to `b`, or nothing. */
typedef void (*claim_fn)(appctl_strbuf *b, const appctl_event *ev,
	const appctl_move_facts *f);

static void claim_time(appctl_strbuf *b, const appctl_event *ev,
	const appctl_move_facts *f)
{
	char now[32];

	if (appctl_event_time_acceptable(ev->time, f->now))
		return;
	appctl_time_format(now, sizeof(now), f->now);
	appctl_strbuf_printf(b, "it is dated %s, in the future of this clock "
		"(%s; %d s of skew allowed)", ev->time, now, APPCTL_CLOCK_SKEW_S);
}

static void claim_from(appctl_strbuf *b, const appctl_event *ev,
	const appctl_move_facts *f)
{
	if (!f->env_commit || !ev->from || strcmp(ev->from, f->env_commit) != 0)
		appctl_strbuf_printf(b, "it moves '%s' from %.12s, but the log has "
			"it at %.12s", ev->env, ev->from ? ev->from : "(none)",
			f->env_commit ? f->env_commit : "(none)");
}

static void claim_release(appctl_strbuf *b, const appctl_event *ev,
	const appctl_move_facts *f)
{
	if (ev->release != f->env_release + 1)
		appctl_strbuf_printf(b, "it records release %lld of '%s', but the "
			"next release is %lld", (long long)ev->release, ev->env,
			(long long)(f->env_release + 1));
}

static void claim_source(appctl_strbuf *b, const appctl_event *ev,
	const appctl_move_facts *f)
{
	if (ev->type != APPCTL_EV_PROMOTE)
		return;
	if (!f->expected_source)
		appctl_strbuf_printf(b, "'%s' is the first environment: nothing "
			"is promoted into it", ev->env);
	else if (!ev->source || strcmp(ev->source, f->expected_source) != 0)
		appctl_strbuf_printf(b, "its source '%s' is not the environment "
			"'%s' is promoted from ('%s')", ev->source ? ev->source : "",
			ev->env, f->expected_source);
	else if (f->on_source == 0)
		appctl_strbuf_printf(b, "its commit %.12s is not on its source "
			"environment '%s' (at %.12s)", ev->to, f->expected_source,
			f->source_commit ? f->source_commit : "(none)");
}

static void claim_rollback(appctl_strbuf *b, const appctl_event *ev,
	const appctl_move_facts *f)
{
	if (ev->type != APPCTL_EV_ROLLBACK)
		return;
	if (ev->rollback_to < 0 || ev->rollback_to >= f->env_release)
		appctl_strbuf_printf(b, "it rolls '%s' back to release %lld, but "
			"'%s' is at release %lld: only an earlier release can be "
			"returned to", ev->env, (long long)ev->rollback_to, ev->env,
			(long long)f->env_release);
	else if (!f->release_commit)
		appctl_strbuf_printf(b, "the log records no release %lld of '%s'",
			(long long)ev->rollback_to, ev->env);
	else if (strcmp(ev->to, f->release_commit) != 0)
		appctl_strbuf_printf(b, "its 'to' %.12s is not the commit of "
			"release %lld of '%s' (%.12s)", ev->to,
			(long long)ev->rollback_to, ev->env, f->release_commit);
}

/* In order: a wrong clock first, since it would change every other verdict. */
static const claim_fn move_claims[] = {
	claim_time,
	claim_from,
	claim_release,
	claim_source,
	claim_rollback,
};

appctl_error *appctl_move_claims_check(char **problem, const appctl_event *ev,
	const appctl_move_facts *facts)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	size_t i;

	*problem = NULL;
	for (i = 0; i < sizeof(move_claims) / sizeof(move_claims[0]) && !b.len; i++)
		move_claims[i](&b, ev, facts);
	if (b.failed)
		return appctl_error_nomem();
	if (b.len)
		*problem = appctl_strbuf_detach(&b);
	appctl_strbuf_dispose(&b);
	return NULL;
}
