/* offboard.c: reading the first environment, planning the removal and committing it. */
#include "appctl/offboarding.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appctl/allowed_signers.h"

#include "appctl/strbuf.h"

void appctl_offboard_result_free(appctl_offboard_result *r)
{
	if (!r)
		return;
	appctl_snapshot_free(r->snap);
	appctl_arena_free(r->arena);
	free(r->message);
	free(r->note);
	free(r);
}

/* The first environment, as HEAD's appctl.json names it. */
static appctl_error *first_env(const char **out, appctl_arena *arena,
	appctl_repo *repo)
{
	appctl_snapshot *head = NULL;
	appctl_error *err;
	char commit[41];

	err = appctl_repo_resolve(commit, repo, "HEAD");
	if (!err)
		err = appctl_repo_load_snapshot(&head, repo, commit);
	if (!err && !head->policy->environment_count)
		err = appctl_error_input("appctl.json", "$.environments",
			"no environments");
	if (!err && !(*out = appctl_arena_strdup(arena,
			head->policy->environments[0])))
		err = appctl_error_nomem();
	appctl_snapshot_free(head);
	return err;
}

/* The current bytes of every file the plan may edit. */
static appctl_error *read_texts(appctl_file **out, size_t *count,
	appctl_arena *arena, appctl_repo *repo, const char *commit,
	const appctl_snapshot *snap)
{
	const char **paths;
	appctl_file *texts;
	appctl_error *err;
	size_t n = snap->app_count + 2, i;

	paths = appctl_arena_calloc(arena, n, sizeof(*paths));
	texts = appctl_arena_calloc(arena, n, sizeof(*texts));
	if (!paths || !texts)
		return appctl_error_nomem();
	paths[0] = snap->policy->file;
	paths[1] = snap->policy->signers ? snap->policy->signers
					 : "allowed_signers";
	for (i = 0; i < snap->app_count; i++)
		paths[i + 2] = snap->apps[i]->file;
	for (i = 0; i < n; i++) {
		char *data = NULL;
		size_t len = 0;

		err = appctl_repo_read_path(&data, &len, repo, commit, paths[i]);
		if (err)
			return err;
		if (!data)
			return appctl_error_input(paths[i], NULL, "no such file");
		texts[i].path = paths[i];
		texts[i].data = appctl_arena_strndup(arena, data, len);
		texts[i].len = len;
		free(data);
		if (!texts[i].data)
			return appctl_error_nomem();
	}
	*out = texts;
	*count = n;
	return NULL;
}

/* "offboard P" (or the user's subject), then one line per change. */
static char *commit_message(const appctl_offboard_request *req,
	const appctl_offboard_plan *plan)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	size_t i;

	if (req->message)
		appctl_strbuf_puts(&b, req->message);
	else
		appctl_strbuf_printf(&b, "offboard %s", req->principal);
	appctl_strbuf_puts(&b, "\n\n");
	for (i = 0; i < plan->item_count; i++) {
		const appctl_offboard_item *it = &plan->items[i];

		if (it->outcome == APPCTL_OFFB_IDP)
			continue;
		appctl_strbuf_printf(&b, "- %s %s%s%s: %s%s%s\n", it->kind,
			it->app ? it->app : "", it->app ? " " : "", it->name,
			appctl_offboard_outcome_name(it->outcome),
			it->outcome == APPCTL_OFFB_REASSIGNED ? " to " : "",
			it->outcome == APPCTL_OFFB_REASSIGNED ? req->reassign_to : "");
	}
	appctl_strbuf_printf(&b, "\nWritten by appctl offboard; review with "
		"'appctl diff' and promote it like any change.\n");
	return appctl_strbuf_detach(&b);
}

/* A place the principal is still named in after the edits, or NULL. */
static const char *left_in_policy(const appctl_policy *p, const char *who)
{
	size_t i, m;

	for (i = 0; i < p->group_count; i++)
		for (m = 0; m < p->groups[i].member_count; m++)
			if (strcasecmp(p->groups[i].members[m], who) == 0)
				return "a group";
	for (i = 0; i < p->approver_count; i++)
		if (p->approvers[i].kind == APPCTL_MEMBER_PRINCIPAL &&
		    strcasecmp(p->approvers[i].name, who) == 0)
			return "approvals.approvers";
	return NULL;
}

static const char *left_in_app(const appctl_app *app, const char *who)
{
	size_t r, m;

	for (r = 0; r < app->role_count; r++)
		for (m = 0; m < app->roles[r].member_count; m++)
			if (app->roles[r].members[m].kind == APPCTL_MEMBER_PRINCIPAL &&
			    strcasecmp(app->roles[r].members[m].name, who) == 0)
				return "a role";
	return NULL;
}

/* Whether a plain key line of the signers text still names the principal. */
static appctl_error *left_in_signers(const char **where, const char *text,
	size_t len, const char *who)
{
	appctl_allowed_signers *list = NULL;
	appctl_error *err = appctl_allowed_signers_parse(&list, text, len);
	size_t i;

	*where = NULL;
	for (i = 0; !err && i < list->count && !*where; i++) {
		const appctl_signer *e = &list->lines[i];
		char *names = strdup(e->principals), *cursor, *next;

		if (!names) {
			err = appctl_error_nomem();
			break;
		}
		/* A certificate authority line trusts a CA, not this person. */
		for (cursor = e->cert_authority ? NULL : names; cursor; cursor = next) {
			next = strchr(cursor, ',');
			if (next)
				*next++ = '\0';
			if (strcasecmp(cursor, who) == 0)
				*where = "a key line";
		}
		free(names);
	}
	appctl_allowed_signers_free(list);
	return err;
}

/*
 * The edited definitions must still parse, and must no longer name the
 * person anywhere the plan removed them from, before anything is
 * committed: the edits are exact, and this keeps a mistake in them (or a
 * spelling the planner did not see) from ever reaching a branch as an
 * offboarding that left the person in.
 */
static appctl_error *check_new_texts(const appctl_offboard_result *r,
	const char *who)
{
	appctl_error *err = NULL;
	appctl_arena *scratch = appctl_arena_new();
	const char *left = NULL, *left_file = NULL;
	size_t i, k;

	if (!scratch)
		return appctl_error_nomem();
	for (i = 0; !err && !left && i < r->plan.file_count; i++) {
		const appctl_offboard_file *f = &r->plan.files[i];
		appctl_file file;

		memset(&file, 0, sizeof(file));
		file.path = f->path;
		file.data = f->text;
		file.len = f->len;
		left_file = f->path;
		if (strcmp(f->path, r->snap->policy->file) == 0) {
			appctl_policy *p = NULL;

			if (!(err = appctl_policy_parse(&p, scratch, &file)))
				left = left_in_policy(p, who);
			continue;
		}
		if (strcmp(f->path, r->snap->policy->signers) == 0) {
			err = left_in_signers(&left, f->text, f->len, who);
			continue;
		}
		for (k = 0; !err && k < r->snap->app_count; k++) {
			const appctl_app *app = r->snap->apps[k];
			appctl_app *parsed = NULL;

			if (strcmp(app->file, f->path) == 0 &&
			    !(err = appctl_app_parse(&parsed, scratch, &file,
				    app->name)))
				left = left_in_app(parsed, who);
		}
	}
	appctl_arena_free(scratch);
	if (err)
		return appctl_error_wrap(err, "the edited definitions do not "
			"parse; nothing was written");
	if (left)
		return appctl_error_new(APPCTL_EINPUT, "%s: %s still names %s "
			"after the edits; nothing was written (remove it by hand)",
			left_file, left, who);
	return NULL;
}

appctl_error *appctl_offboard(appctl_offboard_result **out, appctl_repo *repo,
	const appctl_offboard_request *req)
{
	appctl_offboard_result *r;
	appctl_file_update *updates = NULL;
	appctl_file *texts = NULL;
	appctl_error *err;
	size_t ntexts = 0, i, n = 0;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->arena = appctl_arena_new())) {
		free(r);
		return appctl_error_nomem();
	}
	err = first_env(&r->env, r->arena, repo);
	if (!err)
		err = appctl_repo_resolve(r->base, repo, r->env);
	if (!err)
		err = appctl_repo_load_snapshot(&r->snap, repo, r->base);
	if (!err)
		err = read_texts(&texts, &ntexts, r->arena, repo, r->base, r->snap);
	if (!err)
		err = appctl_offboard_plan_build(&r->plan, r->arena, r->snap,
			texts, ntexts, req->principal, req->reassign_to);
	if (err)
		goto fail;
	r->may_approve = appctl_policy_may_approve(r->snap->policy,
		req->principal);
	r->access = appctl_arena_calloc(r->arena, r->snap->app_count + 1,
		sizeof(*r->access));
	if (!r->access) {
		err = appctl_error_nomem();
		goto fail;
	}
	for (i = 0; i < r->snap->app_count; i++) {
		err = appctl_access_of(&r->access[r->access_count], r->arena,
			r->snap->apps[i], r->snap->policy, req->principal,
			req->today);
		if (err)
			goto fail;
		if (r->access[r->access_count].via_count)
			r->access_count++;
	}
	r->refused = r->plan.unowned > 0;
	r->message = commit_message(req, &r->plan);
	if (!r->message) {
		err = appctl_error_nomem();
		goto fail;
	}
	if (req->dry_run || r->refused || !r->plan.file_count) {
		*out = r;
		return NULL;
	}
	err = check_new_texts(r, req->principal);
	if (err)
		goto fail;
	updates = calloc(r->plan.file_count, sizeof(*updates));
	if (!updates) {
		err = appctl_error_nomem();
		goto fail;
	}
	for (n = 0; n < r->plan.file_count; n++) {
		updates[n].path = r->plan.files[n].path;
		updates[n].data = r->plan.files[n].text;
		updates[n].len = r->plan.files[n].len;
	}
	err = appctl_repo_commit_files(r->commit, &r->note, repo, r->env,
		r->base, updates, n, r->message);
	free(updates);
	if (err)
		goto fail;
	*out = r;
	return NULL;
fail:
	appctl_offboard_result_free(r);
	return err;
}
