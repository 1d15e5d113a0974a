/* approvable.c: whether an environment's policy can ever be met with the keys its allowed_signers holds (pure core). */
#include "appctl/approvable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/strbuf.h"

/* The namespace appctl signs approvals in (ssh-keygen -Y sign -n appctl). */
#define APPCTL_NAMESPACE "appctl"

void appctl_approvability_dispose(appctl_approvability *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->missing_count; i++)
		free(a->missing[i]);
	free(a->missing);
	a->approvable = 1;
	a->keyed = 0;
	a->missing = NULL;
	a->missing_count = 0;
}

/* Whether some line of `signers` would verify an approval by `principal` now. */
static int has_key(const appctl_allowed_signers *signers,
	const char *principal, int64_t now)
{
	size_t i;

	for (i = 0; signers && i < signers->count; i++) {
		const appctl_signer *s = &signers->lines[i];

		if (appctl_ssh_pattern_list_match(principal, s->principals) != 1)
			continue;
		if (s->namespaces &&
			appctl_ssh_pattern_list_match(APPCTL_NAMESPACE,
				s->namespaces) != 1)
			continue;
		if (s->valid_before && now >= 0 &&
			(uint64_t)now >= s->valid_before)
			continue;
		return 1;
	}
	return 0;
}

static int list_has(const char **list, size_t count, const char *s)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/*
 * The distinct approvers (groups expanded) that can sign now, in `out`
 * (borrowed strings; the caller frees the array).
 */
static appctl_error *keyed_approvers(const char ***out, size_t *count,
	const appctl_policy *policy, const appctl_allowed_signers *signers,
	int64_t now)
{
	const char **list = NULL;
	size_t n = 0, i, j, total = 0;

	for (i = 0; i < policy->approver_count; i++) {
		const appctl_member *m = &policy->approvers[i];
		const appctl_group *g;

		if (m->kind == APPCTL_MEMBER_GROUP) {
			g = appctl_policy_group(policy, m->name);
			total += g ? g->member_count : 0;
		} else {
			total++;
		}
	}
	list = calloc(total ? total : 1, sizeof(*list));
	if (!list)
		return appctl_error_nomem();
	for (i = 0; i < policy->approver_count; i++) {
		const appctl_member *m = &policy->approvers[i];
		const appctl_group *g = NULL;
		size_t members = 1;

		if (m->kind == APPCTL_MEMBER_GROUP) {
			g = appctl_policy_group(policy, m->name);
			members = g ? g->member_count : 0;
		}
		for (j = 0; j < members; j++) {
			const char *p = g ? g->members[j] : m->name;

			if (list_has(list, n, p))
				continue;
			if (policy->require_signature &&
				!has_key(signers, p, now))
				continue;
			list[n++] = p;
		}
	}
	*out = list;
	*count = n;
	return NULL;
}

static appctl_error *add_line(appctl_approvability *a, appctl_strbuf *b)
{
	char **grown;
	char *s;

	if (b->failed)
		return appctl_error_nomem();
	s = appctl_strbuf_detach(b);
	if (!s)
		return appctl_error_nomem();
	grown = realloc(a->missing, (a->missing_count + 1) * sizeof(*grown));
	if (!grown) {
		free(s);
		return appctl_error_nomem();
	}
	grown[a->missing_count++] = s;
	a->missing = grown;
	a->approvable = 0;
	return NULL;
}

appctl_error *appctl_policy_approvability(appctl_approvability *out,
	const appctl_policy *policy, const appctl_allowed_signers *signers,
	int64_t now)
{
	appctl_error *err = NULL;
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const char **keyed = NULL;
	const char *where = policy->signers ? policy->signers
					    : "allowed_signers";
	char suffix[256];
	size_t nkeyed = 0, i, j, have;

	out->approvable = 1;
	out->keyed = 0;
	out->missing = NULL;
	out->missing_count = 0;
	err = keyed_approvers(&keyed, &nkeyed, policy, signers, now);
	if (err)
		goto cleanup;
	out->keyed = nkeyed;
	if (policy->require_signature)
		snprintf(suffix, sizeof(suffix),
			"with a key for \"appctl\" in %s", where);
	else
		snprintf(suffix, sizeof(suffix), "named in approvals.approvers");
	if (nkeyed == 0) {
		appctl_strbuf_printf(&b,
			"no allowed approver (approvals.approvers) has a key for "
			"\"appctl\" in %s: nobody can approve a change",
			where);
		err = add_line(out, &b);
		goto cleanup;
	}
	for (i = 0; i < APPCTL_CLASS_COUNT; i++) {
		if (policy->required[i] <= (int64_t)nkeyed)
			continue;
		appctl_strbuf_printf(&b,
			"a change to an app of class %s needs %lld approvers (approvals.required), "
			"but there %s only %zu allowed approver%s %s",
			appctl_class_name((appctl_app_class)i),
			(long long)policy->required[i], nkeyed == 1 ? "is" : "are",
			nkeyed, nkeyed == 1 ? "" : "s", suffix);
		err = add_line(out, &b);
		if (err)
			goto cleanup;
	}
	for (i = 0; i < policy->rule_count; i++) {
		const appctl_rule *r = &policy->rules[i];
		const appctl_group *g = appctl_policy_group(policy, r->group);

		have = 0;
		for (j = 0; g && j < g->member_count; j++)
			if (list_has(keyed, nkeyed, g->members[j]))
				have++;
		if ((int64_t)have >= r->count)
			continue;
		appctl_strbuf_printf(&b,
			"the \"%s\" rule needs %lld approver%s of group %s, but only "
			"%zu of its members %s an allowed approver %s",
			appctl_when_name(r->when), (long long)r->count,
			r->count == 1 ? "" : "s", r->group, have,
			have == 1 ? "is" : "are", suffix);
		err = add_line(out, &b);
		if (err)
			goto cleanup;
	}
cleanup:
	appctl_strbuf_dispose(&b);
	free(keyed);
	return err;
}

appctl_error *appctl_policy_approvability_text(appctl_approvability *out,
	const appctl_policy *policy, const char *signers_text, size_t len,
	int64_t now)
{
	appctl_allowed_signers *signers = NULL;
	appctl_error *err;

	out->approvable = 1;
	out->keyed = 0;
	out->missing = NULL;
	out->missing_count = 0;
	err = appctl_allowed_signers_parse(&signers, signers_text ? signers_text
								 : "",
		signers_text ? len : 0);
	if (!err)
		err = appctl_policy_approvability(out, policy, signers, now);
	appctl_allowed_signers_free(signers);
	return err;
}
