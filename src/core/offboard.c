/* offboard.c: the edits that remove a person from the definitions, and what is found on the way. */
#include "appctl/offboard.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appctl/json.h"
#include "appctl/json_edit.h"
#include "appctl/strbuf.h"

const char *appctl_offboard_outcome_name(appctl_offboard_outcome o)
{
	switch (o) {
	case APPCTL_OFFB_REMOVED:
		return "removed";
	case APPCTL_OFFB_REASSIGNED:
		return "reassigned";
	case APPCTL_OFFB_UNOWNED:
		return "no owner left";
	default:
		return "remove in the identity provider";
	}
}

/* The edits of one JSON file, and the items it contributes. */
typedef struct file_work {
	const appctl_file *text;
	appctl_text_edit *edits;
	size_t edit_count, edit_cap;
} file_work;

typedef struct plan_ctx {
	appctl_arena *arena;
	appctl_offboard_plan *plan;
	size_t item_cap;
	const char *principal;
	const char *reassign_to;
	appctl_error *err;
} plan_ctx;

static int same_principal(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

static void add_item(plan_ctx *c, const char *kind, const char *file,
	const char *app, const char *name, const char *expires,
	appctl_offboard_outcome outcome)
{
	appctl_offboard_item *it;

	if (c->err)
		return;
	if (c->plan->item_count == c->item_cap) {
		size_t cap = c->item_cap ? c->item_cap * 2 : 16;
		appctl_offboard_item *grown = appctl_arena_calloc(c->arena, cap,
			sizeof(*grown));

		if (!grown) {
			c->err = appctl_error_nomem();
			return;
		}
		if (c->plan->item_count)
			memcpy(grown, c->plan->items,
				c->plan->item_count * sizeof(*grown));
		c->plan->items = grown;
		c->item_cap = cap;
	}
	it = &c->plan->items[c->plan->item_count++];
	it->kind = kind;
	it->file = file;
	it->app = app;
	it->name = name;
	it->expires = expires;
	it->outcome = outcome;
	if (outcome == APPCTL_OFFB_UNOWNED)
		c->plan->unowned++;
}

static void add_edit(plan_ctx *c, file_work *w, const appctl_text_edit *e)
{
	if (c->err) {
		free(e->replacement);
		return;
	}
	if (w->edit_count == w->edit_cap) {
		size_t cap = w->edit_cap ? w->edit_cap * 2 : 8;
		appctl_text_edit *grown = realloc(w->edits, cap * sizeof(*grown));

		if (!grown) {
			free(e->replacement);
			c->err = appctl_error_nomem();
			return;
		}
		w->edits = grown;
		w->edit_cap = cap;
	}
	w->edits[w->edit_count++] = *e;
}

static void mismatch(plan_ctx *c, const char *file)
{
	if (!c->err)
		c->err = appctl_error_input(file, NULL, "the file's text does "
			"not match its parsed definition");
}

/* Removes the flagged elements of the array at `steps` from the file. */
static void drop_elements(plan_ctx *c, file_work *w,
	const appctl_json_step *steps, size_t count, const unsigned char *drop,
	size_t n)
{
	appctl_text_edit e;
	int rc;

	if (c->err)
		return;
	rc = appctl_json_array_drop(&e, w->text->data, w->text->len, steps,
		count, drop, n);
	if (rc < 0)
		c->err = appctl_error_nomem();
	else if (rc > 0)
		mismatch(c, w->text->path);
	else
		add_edit(c, w, &e);
}

/* Replaces the string at `steps` by the reassignee. */
static void replace_owner(plan_ctx *c, file_work *w,
	const appctl_json_step *steps, size_t count)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	appctl_text_edit e;

	if (c->err)
		return;
	if (appctl_json_span(&e.start, &e.end, w->text->data, w->text->len,
		    steps, count) != 0 || w->text->data[e.start] != '"') {
		mismatch(c, w->text->path);
		return;
	}
	appctl_json_quote(&b, c->reassign_to);
	e.replacement = appctl_strbuf_detach(&b);
	if (!e.replacement) {
		c->err = appctl_error_nomem();
		return;
	}
	add_edit(c, w, &e);
}

static unsigned char *flags(plan_ctx *c, size_t n)
{
	unsigned char *f = appctl_arena_calloc(c->arena, n + 1, 1);

	if (!f && !c->err)
		c->err = appctl_error_nomem();
	return f;
}

static void plan_policy(plan_ctx *c, file_work *w, const appctl_policy *p)
{
	size_t g, m, i;

	for (g = 0; g < p->group_count && !c->err; g++) {
		const appctl_group *grp = &p->groups[g];
		unsigned char *drop = flags(c, grp->member_count);
		int any = 0;

		if (!drop)
			return;
		for (m = 0; m < grp->member_count; m++)
			if (same_principal(grp->members[m], c->principal))
				drop[m] = 1, any = 1;
		if (!any)
			continue;
		if (grp->source) {
			add_item(c, "idp_group", grp->source, NULL, grp->name,
				NULL, APPCTL_OFFB_IDP);
		} else {
			appctl_json_step steps[2] = { { "groups", 0 },
				{ grp->name, 0 } };

			drop_elements(c, w, steps, 2, drop, grp->member_count);
			add_item(c, "group", p->file, NULL, grp->name, NULL,
				APPCTL_OFFB_REMOVED);
		}
	}
	if (c->err || !p->approver_count)
		return;
	{
		unsigned char *drop = flags(c, p->approver_count);
		size_t total = 0;
		int any = 0;

		if (!drop)
			return;
		/* Indexes are the file's; the model keeps each one. */
		for (i = 0; i < p->approver_count; i++)
			if (p->approvers[i].index + 1 > total)
				total = p->approvers[i].index + 1;
		if (total != p->approver_count) {
			mismatch(c, p->file);
			return;
		}
		for (i = 0; i < p->approver_count; i++)
			if (p->approvers[i].kind == APPCTL_MEMBER_PRINCIPAL &&
			    same_principal(p->approvers[i].name, c->principal))
				drop[p->approvers[i].index] = 1, any = 1;
		if (any) {
			appctl_json_step steps[2] = { { "approvals", 0 },
				{ "approvers", 0 } };

			drop_elements(c, w, steps, 2, drop, p->approver_count);
			add_item(c, "approver", p->file, NULL, "approvals.approvers",
				NULL, APPCTL_OFFB_REMOVED);
		}
	}
}

static void plan_owner(plan_ctx *c, file_work *w, const appctl_app *app,
	const char *kind, const char *name, const appctl_json_step *steps,
	size_t count)
{
	if (c->reassign_to) {
		replace_owner(c, w, steps, count);
		add_item(c, kind, app->file, app->name, name, NULL,
			APPCTL_OFFB_REASSIGNED);
	} else {
		add_item(c, kind, app->file, app->name, name, NULL,
			APPCTL_OFFB_UNOWNED);
	}
}

static void plan_app(plan_ctx *c, file_work *w, const appctl_app *app)
{
	size_t r, m, i;

	if (same_principal(app->business_owner, c->principal)) {
		appctl_json_step s[2] = { { "owners", 0 }, { "business", 0 } };

		plan_owner(c, w, app, "app_owner", "business", s, 2);
	}
	if (same_principal(app->technical_owner, c->principal)) {
		appctl_json_step s[2] = { { "owners", 0 }, { "technical", 0 } };

		plan_owner(c, w, app, "app_owner", "technical", s, 2);
	}
	for (i = 0; i < app->integration_count; i++) {
		const appctl_integration *in = &app->integrations[i];
		appctl_json_step s[3] = { { "integrations", 0 }, { in->name, 0 },
			{ "owner", 0 } };

		if (same_principal(in->owner, c->principal))
			plan_owner(c, w, app, "integration_owner", in->name, s, 3);
	}
	for (r = 0; r < app->role_count && !c->err; r++) {
		const appctl_role *role = &app->roles[r];
		unsigned char *drop = flags(c, role->member_count);
		appctl_json_step s[3] = { { "roles", 0 }, { role->name, 0 },
			{ "members", 0 } };
		int any = 0;

		if (!drop)
			return;
		for (m = 0; m < role->member_count; m++) {
			const appctl_member *mem = &role->members[m];

			if (mem->index >= role->member_count) {
				mismatch(c, app->file);
				return;
			}
			if (mem->kind != APPCTL_MEMBER_PRINCIPAL ||
			    !same_principal(mem->name, c->principal))
				continue;
			drop[mem->index] = 1;
			any = 1;
			add_item(c, "role_member", app->file, app->name,
				role->name, mem->has_expires ? mem->expires_text
							     : NULL,
				APPCTL_OFFB_REMOVED);
		}
		if (any)
			drop_elements(c, w, s, 3, drop, role->member_count);
	}
}

/* The new text of `w`'s file when it has edits. */
static void finish_file(plan_ctx *c, file_work *w)
{
	appctl_offboard_file *f;
	char *text;
	size_t len;

	if (c->err || !w->edit_count)
		return;
	text = appctl_text_apply_edits(w->text->data, w->text->len, w->edits,
		w->edit_count, &len);
	if (!text) {
		c->err = appctl_error_nomem();
		return;
	}
	f = &c->plan->files[c->plan->file_count++];
	f->path = w->text->path;
	f->text = appctl_arena_strndup(c->arena, text, len);
	f->len = len;
	free(text);
	if (!f->text)
		c->err = appctl_error_nomem();
}

static void work_dispose(file_work *w)
{
	size_t i;

	for (i = 0; i < w->edit_count; i++)
		free(w->edits[i].replacement);
	free(w->edits);
	memset(w, 0, sizeof(*w));
}

static const appctl_file *text_for(const appctl_file *texts, size_t n,
	const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(texts[i].path, path) == 0)
			return &texts[i];
	return NULL;
}

/* The principals field ends at the first blank (commas separate names). */
static int is_principal_char(char ch)
{
	return ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r';
}

char *appctl_signers_without(appctl_arena *arena, const char *text,
	size_t len, const char *principal, size_t **removed,
	size_t *removed_count, size_t *out_len)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	size_t p = 0, line = 0, n = 0, cap = 16, plen = strlen(principal);
	char *result;

	*removed = appctl_arena_calloc(arena, cap, sizeof(size_t));
	*removed_count = 0;
	if (!*removed)
		return NULL;
	while (p < len) {
		const char *nl = memchr(text + p, '\n', len - p);
		size_t end = nl ? (size_t)(nl - text) + 1 : len, s = p, f, q, fs;
		int touched = 0, kept = 0;
		appctl_strbuf list = APPCTL_STRBUF_INIT;

		line++;
		while (s < end && (text[s] == ' ' || text[s] == '\t'))
			s++;
		if (s >= end || text[s] == '#' || text[s] == '\n' ||
		    text[s] == '\r') {
			appctl_strbuf_add(&b, text + p, end - p);
			p = end;
			continue;
		}
		/*
		 * The principals field: a comma-separated list up to a blank,
		 * or between double quotes, which ssh-keygen accepts too: a
		 * quoted line must not keep the key of whoever leaves.
		 */
		fs = s;
		for (f = s; f < end && is_principal_char(text[f]);)
			f++;
		if (text[s] == '"') {
			const char *close = memchr(text + s + 1, '"', end - s - 1);

			if (close) {
				fs = s + 1;
				f = (size_t)(close - text);
			}
		}
		for (q = fs; q < f;) {
			size_t e = q;

			while (e < f && text[e] != ',')
				e++;
			if (e - q == plen && strncasecmp(text + q, principal,
						     plen) == 0) {
				touched = 1;
			} else if (e > q) {
				if (kept++)
					appctl_strbuf_putc(&list, ',');
				appctl_strbuf_add(&list, text + q, e - q);
			}
			q = e + 1;
		}
		if (touched) {
			if (n == cap) {
				size_t *grown = appctl_arena_calloc(arena, cap * 2,
					sizeof(size_t));

				if (!grown) {
					appctl_strbuf_dispose(&list);
					appctl_strbuf_dispose(&b);
					return NULL;
				}
				memcpy(grown, *removed, n * sizeof(size_t));
				*removed = grown;
				cap *= 2;
			}
			(*removed)[n++] = line;
			if (kept) {
				appctl_strbuf_add(&b, text + p, fs - p);
				appctl_strbuf_add(&b, list.ptr, list.len);
				appctl_strbuf_add(&b, text + f, end - f);
			}
		} else {
			appctl_strbuf_add(&b, text + p, end - p);
		}
		appctl_strbuf_dispose(&list);
		p = end;
	}
	*removed_count = n;
	if (!b.failed && !b.ptr)
		appctl_strbuf_puts(&b, "");
	*out_len = b.len;
	result = appctl_strbuf_detach(&b);
	if (!result)
		return NULL;
	{
		char *copy = appctl_arena_strndup(arena, result, *out_len);

		free(result);
		return copy;
	}
}

appctl_error *appctl_offboard_plan_build(appctl_offboard_plan *out,
	appctl_arena *arena, const appctl_snapshot *snap,
	const appctl_file *texts, size_t text_count, const char *principal,
	const char *reassign_to)
{
	plan_ctx c;
	file_work w;
	size_t a, i, nremoved = 0, slen = 0, *removed = NULL;
	const appctl_policy *p = snap->policy;
	char *signers;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.arena = arena;
	c.plan = out;
	c.principal = principal;
	c.reassign_to = reassign_to;
	out->files = appctl_arena_calloc(arena, snap->app_count + 2,
		sizeof(*out->files));
	if (!out->files)
		return appctl_error_nomem();

	memset(&w, 0, sizeof(w));
	w.text = text_for(texts, text_count, p->file);
	if (!w.text)
		return appctl_error_input(p->file, NULL, "not read");
	plan_policy(&c, &w, p);
	finish_file(&c, &w);
	work_dispose(&w);

	if (!c.err) {
		const appctl_file *st = text_for(texts, text_count,
			p->signers ? p->signers : "allowed_signers");

		if (!st)
			return appctl_error_input(p->signers, NULL, "not read");
		signers = appctl_signers_without(arena, st->data, st->len,
			principal, &removed, &nremoved, &slen);
		if (!signers)
			c.err = appctl_error_nomem();
		for (i = 0; !c.err && i < nremoved; i++) {
			const char *line = appctl_arena_printf(arena, "line %zu",
				removed[i]);

			if (!line)
				c.err = appctl_error_nomem();
			add_item(&c, "signer", st->path, NULL, line, NULL,
				APPCTL_OFFB_REMOVED);
		}
		if (!c.err && nremoved) {
			appctl_offboard_file *f = &out->files[out->file_count++];

			f->path = st->path;
			f->text = signers;
			f->len = slen;
		}
	}
	for (a = 0; a < snap->app_count && !c.err; a++) {
		memset(&w, 0, sizeof(w));
		w.text = text_for(texts, text_count, snap->apps[a]->file);
		if (!w.text)
			return appctl_error_input(snap->apps[a]->file, NULL,
				"not read");
		plan_app(&c, &w, snap->apps[a]);
		finish_file(&c, &w);
		work_dispose(&w);
	}
	return c.err;
}
