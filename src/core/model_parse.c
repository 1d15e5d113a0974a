/* model_parse.c: strict schema checks turning app.json and appctl.json into the model. */
#include "appctl/model.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/json.h"
#include "appctl/lint.h"
#include "appctl/scim.h"
#include "appctl/strbuf.h"

/*
 * The parse context carries the file name and the JSON path of the value at
 * hand, so that every schema error names exactly where it is.
 */
typedef struct ctx {
	appctl_arena *arena;
	const char *file;
	appctl_strbuf path;
} ctx;

static size_t push_key(ctx *c, const char *key)
{
	size_t mark = c->path.len;

	appctl_json_path_key(&c->path, key);
	return mark;
}

static size_t push_index(ctx *c, size_t index)
{
	size_t mark = c->path.len;

	appctl_json_path_index(&c->path, index);
	return mark;
}

static void pop(ctx *c, size_t mark)
{
	appctl_strbuf_truncate(&c->path, mark);
}

static appctl_error *fail(ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Schema errors quote the offending value, and a value in the wrong place is
 * often a pasted token: every quoted part of the message that looks like a
 * secret is replaced, and long ones are cut, before the message leaves.
 */
static void append_quoted_safely(appctl_strbuf *out, const char *s, size_t n)
{
	char *value = strndup(s, n);

	if (!value) {
		out->failed = 1;
		return;
	}
	if (appctl_looks_like_secret(value, NULL))
		appctl_strbuf_puts(out, "(redacted)");
	else if (n > 80)
		appctl_strbuf_printf(out, "%.77s...", value);
	else
		appctl_strbuf_add(out, s, n);
	free(value);
}

static appctl_error *fail(ctx *c, const char *fmt, ...)
{
	appctl_strbuf raw = APPCTL_STRBUF_INIT, safe = APPCTL_STRBUF_INIT;
	appctl_error *err;
	const char *p, *q;
	va_list ap;

	if (c->path.failed)
		return appctl_error_nomem();
	va_start(ap, fmt);
	appctl_strbuf_vprintf(&raw, fmt, ap);
	va_end(ap);
	for (p = raw.ptr; p && *p; p = q + 1) {
		const char *open = strchr(p, '"');

		q = open ? strchr(open + 1, '"') : NULL;
		if (!q) {
			appctl_strbuf_puts(&safe, p);
			break;
		}
		appctl_strbuf_add(&safe, p, (size_t)(open - p) + 1);
		append_quoted_safely(&safe, open + 1, (size_t)(q - open - 1));
		appctl_strbuf_putc(&safe, '"');
	}
	if (raw.failed || safe.failed)
		err = appctl_error_nomem();
	else
		err = appctl_error_input(c->file, c->path.ptr, "%s",
			safe.ptr ? safe.ptr : "");
	appctl_strbuf_dispose(&raw);
	appctl_strbuf_dispose(&safe);
	return err;
}

static appctl_error *nomem(void)
{
	return appctl_error_nomem();
}

static const char *type_name(const cJSON *item)
{
	if (cJSON_IsObject(item))
		return "an object";
	if (cJSON_IsArray(item))
		return "an array";
	if (cJSON_IsString(item))
		return "a string";
	if (cJSON_IsNumber(item))
		return "a number";
	if (cJSON_IsBool(item))
		return "a boolean";
	return "null";
}

static appctl_error *expect_object(ctx *c, const cJSON *item)
{
	if (!cJSON_IsObject(item))
		return fail(c, "expected an object, found %s", type_name(item));
	return NULL;
}

/* Refuses keys outside `allowed` (NULL-terminated): the core schema is closed. */
static appctl_error *check_keys(ctx *c, const cJSON *obj,
	const char *const *allowed)
{
	const cJSON *child;
	const char *const *a;

	for (child = obj->child; child; child = child->next) {
		for (a = allowed; *a; a++)
			if (strcmp(*a, child->string) == 0)
				break;
		if (!*a) {
			size_t mark = push_key(c, child->string);
			appctl_error *err = fail(c, "unknown field \"%s\"",
				child->string);

			pop(c, mark);
			return err;
		}
	}
	return NULL;
}

static size_t child_count(const cJSON *item)
{
	const cJSON *child;
	size_t n = 0;

	for (child = item->child; child; child = child->next)
		n++;
	return n;
}

/* A non-empty string, copied into the arena. */
static appctl_error *string_value(ctx *c, const cJSON *item, const char **out)
{
	if (!cJSON_IsString(item))
		return fail(c, "expected a string, found %s", type_name(item));
	if (!item->valuestring[0])
		return fail(c, "must not be empty");
	*out = appctl_arena_strdup(c->arena, item->valuestring);
	return *out ? NULL : nomem();
}

/* Optional string member: *out stays NULL when absent. */
static appctl_error *opt_string(ctx *c, const cJSON *obj, const char *key,
	const char **out)
{
	const cJSON *item = appctl_json_get(obj, key);
	appctl_error *err;
	size_t mark;

	*out = NULL;
	if (!item)
		return NULL;
	mark = push_key(c, key);
	err = string_value(c, item, out);
	pop(c, mark);
	return err;
}

static appctl_error *req_string(ctx *c, const cJSON *obj, const char *key,
	const char **out)
{
	if (!appctl_json_get(obj, key))
		return fail(c, "missing required field \"%s\"", key);
	return opt_string(c, obj, key, out);
}

static appctl_error *opt_integer(ctx *c, const cJSON *obj, const char *key,
	int64_t min, int64_t max, int *has, int64_t *out)
{
	const cJSON *item = appctl_json_get(obj, key);
	appctl_error *err = NULL;
	size_t mark;

	if (has)
		*has = 0;
	if (!item)
		return NULL;
	mark = push_key(c, key);
	if (!appctl_json_integer(item, out))
		err = fail(c, cJSON_IsNumber(item)
			? "expected an integer within +-2^53"
			: "expected an integer, found %s", type_name(item));
	else if (*out < min || *out > max)
		err = fail(c, "must be between %lld and %lld", (long long)min,
			(long long)max);
	else if (has)
		*has = 1;
	pop(c, mark);
	return err;
}

static appctl_error *opt_bool(ctx *c, const cJSON *obj, const char *key,
	int *out)
{
	const cJSON *item = appctl_json_get(obj, key);
	appctl_error *err = NULL;
	size_t mark;

	if (!item)
		return NULL;
	mark = push_key(c, key);
	if (!cJSON_IsBool(item))
		err = fail(c, "expected a boolean, found %s", type_name(item));
	else
		*out = cJSON_IsTrue(item);
	pop(c, mark);
	return err;
}

/*
 * Optional string member that must be one of `names` (NULL-terminated):
 * *out is its index, or -1 when absent.
 */
static appctl_error *opt_enum(ctx *c, const cJSON *obj, const char *key,
	const char *const *names, int *out)
{
	appctl_strbuf expected = APPCTL_STRBUF_INIT;
	appctl_error *err;
	const char *s;
	size_t mark;
	int i;

	*out = -1;
	if ((err = opt_string(c, obj, key, &s)) || !s)
		return err;
	for (i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return NULL;
		}
	for (i = 0; names[i]; i++)
		appctl_strbuf_printf(&expected, "%s%s", i ? (names[i + 1] ? ", "
			: " or ") : "", names[i]);
	mark = push_key(c, key);
	err = expected.failed ? nomem() : fail(c,
		"unknown value \"%s\" (expected %s)", s, expected.ptr);
	pop(c, mark);
	appctl_strbuf_dispose(&expected);
	return err;
}

/*
 * An array of strings; with `unique`, repeated entries are an error (a
 * repeated scope or role reads as a mistake, and would skew diffs).
 */
static appctl_error *string_array(ctx *c, const cJSON *item, int unique,
	const char ***out, size_t *count)
{
	const cJSON *child;
	appctl_error *err = NULL;
	size_t n, i = 0, j;

	*out = NULL;
	*count = 0;
	if (!cJSON_IsArray(item))
		return fail(c, "expected an array, found %s", type_name(item));
	n = child_count(item);
	*out = appctl_arena_calloc(c->arena, n, sizeof(**out));
	if (!*out)
		return nomem();
	for (child = item->child; child; child = child->next, i++) {
		size_t mark = push_index(c, i);

		err = string_value(c, child, &(*out)[i]);
		for (j = 0; !err && unique && j < i; j++)
			if (strcmp((*out)[j], (*out)[i]) == 0)
				err = fail(c, "\"%s\" is listed twice", (*out)[i]);
		pop(c, mark);
		if (err)
			return err;
	}
	*count = n;
	return NULL;
}

static appctl_error *opt_string_array(ctx *c, const cJSON *obj,
	const char *key, int unique, const char ***out, size_t *count)
{
	const cJSON *item = appctl_json_get(obj, key);
	appctl_error *err;
	size_t mark;

	*out = NULL;
	*count = 0;
	if (!item)
		return NULL;
	mark = push_key(c, key);
	err = string_array(c, item, unique, out, count);
	pop(c, mark);
	return err;
}

static appctl_error *principal_value(ctx *c, const cJSON *item,
	const char **out)
{
	appctl_error *err = string_value(c, item, out);

	if (!err && !appctl_principal_is_valid(*out))
		err = fail(c, "\"%s\" is not a valid principal (expected an "
			"email-like name)", *out);
	return err;
}

/*
 * A member: "a@b.c", "group:name", or {"principal", "expires"}. With
 * `allow_groups` 0 (group definitions), group references are refused:
 * groups do not nest.
 */
static appctl_error *parse_member(ctx *c, const cJSON *item,
	int allow_groups, int allow_expiry, appctl_member *m)
{
	static const char *const keys[] = { "principal", "expires", NULL };
	appctl_error *err;
	const cJSON *p;

	if (cJSON_IsString(item) && strncmp(item->valuestring, "group:", 6) == 0) {
		if (!allow_groups)
			return fail(c, "groups cannot contain groups (\"%s\")",
				item->valuestring);
		if (!appctl_group_name_is_valid(item->valuestring + 6))
			return fail(c, "\"%s\" is not a valid group reference",
				item->valuestring);
		m->kind = APPCTL_MEMBER_GROUP;
		m->name = appctl_arena_strdup(c->arena, item->valuestring + 6);
		return m->name ? NULL : nomem();
	}
	m->kind = APPCTL_MEMBER_PRINCIPAL;
	if (cJSON_IsString(item))
		return principal_value(c, item, &m->name);
	if (!cJSON_IsObject(item) || !allow_expiry)
		return fail(c, allow_expiry
			? "expected a principal, \"group:<name>\" or an object, found %s"
			: "expected a principal or \"group:<name>\", found %s",
			type_name(item));
	err = check_keys(c, item, keys);
	if (err)
		return err;
	p = appctl_json_get(item, "principal");
	if (!p)
		return fail(c, "missing required field \"principal\"");
	{
		size_t mark = push_key(c, "principal");

		err = principal_value(c, p, &m->name);
		pop(c, mark);
		if (err)
			return err;
	}
	err = opt_string(c, item, "expires", &m->expires_text);
	if (err || !m->expires_text)
		return err;
	if (appctl_date_parse(&m->expires, m->expires_text) != 0) {
		size_t mark = push_key(c, "expires");

		err = fail(c, "\"%s\" is not an ISO date (YYYY-MM-DD)",
			m->expires_text);
		pop(c, mark);
		return err;
	}
	m->has_expires = 1;
	return NULL;
}

static appctl_error *parse_members(ctx *c, const cJSON *item,
	int allow_groups, int allow_expiry, appctl_member **out, size_t *count)
{
	const cJSON *child;
	appctl_error *err;
	size_t n, i = 0, j;

	if (!cJSON_IsArray(item))
		return fail(c, "expected an array, found %s", type_name(item));
	n = child_count(item);
	*out = appctl_arena_calloc(c->arena, n, sizeof(**out));
	if (!*out)
		return nomem();
	for (child = item->child; child; child = child->next, i++) {
		size_t mark = push_index(c, i);

		(*out)[i].index = i;
		err = parse_member(c, child, allow_groups, allow_expiry, &(*out)[i]);
		for (j = 0; !err && j < i; j++)
			if ((*out)[j].kind == (*out)[i].kind &&
			    strcmp((*out)[j].name, (*out)[i].name) == 0)
				err = fail(c, "\"%s%s\" is listed twice",
					(*out)[i].kind == APPCTL_MEMBER_GROUP ? "group:" : "",
					(*out)[i].name);
		pop(c, mark);
		if (err)
			return err;
	}
	*count = n;
	return NULL;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Walks an object of named entries (roles, resources, ...), calling `each`
 * for every member with the path pushed, then sorts the results by name.
 * `elem` is the struct size; each struct starts with its name.
 */
typedef appctl_error *(*entry_fn)(ctx *c, const cJSON *item, void *elem,
	void *arg);

static appctl_error *named_entries(ctx *c, const cJSON *obj, const char *key,
	int required, size_t elem, entry_fn each, void *arg, void **out,
	size_t *count)
{
	const cJSON *item = appctl_json_get(obj, key), *child;
	appctl_error *err = NULL;
	size_t mark, n, i = 0;
	char *base;

	*out = NULL;
	*count = 0;
	if (!item)
		return required ? fail(c, "missing required field \"%s\"", key)
				: NULL;
	mark = push_key(c, key);
	err = expect_object(c, item);
	if (err)
		goto done;
	n = child_count(item);
	base = appctl_arena_calloc(c->arena, n, elem);
	if (!base) {
		err = nomem();
		goto done;
	}
	for (child = item->child; child; child = child->next, i++) {
		size_t inner = push_key(c, child->string);
		const char **name = (const char **)(base + i * elem);

		if (!child->string[0])
			err = fail(c, "name must not be empty");
		else if (!(*name = appctl_arena_strdup(c->arena, child->string)))
			err = nomem();
		else
			err = each(c, child, base + i * elem, arg);
		pop(c, inner);
		if (err)
			goto done;
	}
	qsort(base, n, elem, name_cmp);
	*out = base;
	*count = n;
done:
	pop(c, mark);
	return err;
}

/* Parses an array member of objects with `each`, pushing paths. */
typedef appctl_error *(*item_fn)(ctx *c, const cJSON *item, void *elem);

static appctl_error *object_array(ctx *c, const cJSON *obj, const char *key,
	size_t elem, item_fn each, void **out, size_t *count)
{
	const cJSON *item = appctl_json_get(obj, key), *child;
	appctl_error *err = NULL;
	size_t mark, i = 0;
	char *base;

	*out = NULL;
	*count = 0;
	if (!item)
		return NULL;
	mark = push_key(c, key);
	if (!cJSON_IsArray(item)) {
		err = fail(c, "expected an array, found %s", type_name(item));
		goto done;
	}
	base = appctl_arena_calloc(c->arena, child_count(item), elem);
	if (!base) {
		err = nomem();
		goto done;
	}
	for (child = item->child; child; child = child->next, i++) {
		size_t inner = push_index(c, i);

		err = each(c, child, base + i * elem);
		pop(c, inner);
		if (err)
			goto done;
	}
	*out = base;
	*count = i;
done:
	pop(c, mark);
	return err;
}

static appctl_error *parse_field(ctx *c, const cJSON *item, void *elem,
	void *arg)
{
	static const char *const keys[] = { "sensitivity", "description", NULL };
	appctl_field *f = elem;
	const char *s;
	appctl_error *err;
	int i;

	(void)arg;
	if ((err = expect_object(c, item)) || (err = check_keys(c, item, keys)) ||
	    (err = opt_string(c, item, "description", &f->description)) ||
	    (err = opt_string(c, item, "sensitivity", &s)))
		return err;
	f->sensitivity = APPCTL_SENS_PUBLIC;
	if (!s)
		return NULL;
	for (i = 0; i < 4; i++)
		if (strcmp(s, appctl_sensitivity_name((appctl_sensitivity)i)) == 0) {
			f->sensitivity = (appctl_sensitivity)i;
			return NULL;
		}
	{
		size_t mark = push_key(c, "sensitivity");

		err = fail(c, "unknown sensitivity \"%s\" (expected public, "
			"internal, pii or restricted)", s);
		pop(c, mark);
	}
	return err;
}

static appctl_error *parse_resource(ctx *c, const cJSON *item, void *elem,
	void *arg)
{
	static const char *const keys[] = { "source", "tenant_key",
		"retention_days", "fields", "storage", "description", NULL };
	static const char *const storages[] = { "live", "cached", "stored", NULL };
	appctl_resource *r = elem;
	appctl_error *err;
	int storage;

	(void)arg;
	if ((err = expect_object(c, item)) || (err = check_keys(c, item, keys)) ||
	    (err = opt_string(c, item, "description", &r->description)) ||
	    (err = opt_enum(c, item, "storage", storages, &storage)) ||
	    (err = opt_string(c, item, "source", &r->source)) ||
	    (err = opt_string(c, item, "tenant_key", &r->tenant_key)) ||
	    (err = opt_integer(c, item, "retention_days", 0, 365000,
			&r->has_retention, &r->retention_days)))
		return err;
	r->storage = (appctl_storage)(storage + 1);
	return named_entries(c, item, "fields", 0, sizeof(appctl_field),
		parse_field, NULL, (void **)&r->fields, &r->field_count);
}

static appctl_error *parse_grant(ctx *c, const cJSON *item, appctl_grant *g)
{
	static const char *const keys[] = { "resource", "actions",
		"hidden_fields", "justification", NULL };
	const char **actions;
	size_t n, i, unknown = 0, mark;
	appctl_error *err;

	if ((err = expect_object(c, item)) || (err = check_keys(c, item, keys)) ||
	    (err = req_string(c, item, "resource", &g->resource)) ||
	    (err = opt_string(c, item, "justification", &g->justification)) ||
	    (err = opt_string_array(c, item, "hidden_fields", 1,
			&g->hidden_fields, &g->hidden_field_count)))
		return err;
	if (!appctl_json_get(item, "actions"))
		return fail(c, "missing required field \"actions\"");
	err = opt_string_array(c, item, "actions", 1, &actions, &n);
	if (err)
		return err;
	if (n == 0) {
		mark = push_key(c, "actions");
		err = fail(c, "must list at least one action");
		pop(c, mark);
		return err;
	}
	/* Unknown actions are kept for lint, which names each one. */
	g->unknown_actions = appctl_arena_calloc(c->arena, n, sizeof(char *));
	g->unknown_action_index = appctl_arena_calloc(c->arena, n, sizeof(size_t));
	if (!g->unknown_actions || !g->unknown_action_index)
		return nomem();
	for (i = 0; i < n; i++) {
		unsigned bit = appctl_action_parse(actions[i]);

		if (bit) {
			g->actions |= bit;
		} else {
			g->unknown_action_index[unknown] = i;
			g->unknown_actions[unknown++] = actions[i];
		}
	}
	g->unknown_action_count = unknown;
	return NULL;
}

static appctl_error *parse_role(ctx *c, const cJSON *item, void *elem,
	void *arg)
{
	static const char *const keys[] = { "members", "grants",
		"justification", "description", NULL };
	appctl_role *r = elem;
	const cJSON *members, *grants, *child;
	appctl_error *err;
	size_t mark, i = 0;

	(void)arg;
	if ((err = expect_object(c, item)) || (err = check_keys(c, item, keys)) ||
	    (err = opt_string(c, item, "description", &r->description)) ||
	    (err = opt_string(c, item, "justification", &r->justification)))
		return err;
	members = appctl_json_get(item, "members");
	if (members) {
		mark = push_key(c, "members");
		err = parse_members(c, members, 1, 1, &r->members, &r->member_count);
		pop(c, mark);
		if (err)
			return err;
	}
	grants = appctl_json_get(item, "grants");
	if (!grants)
		return NULL;
	mark = push_key(c, "grants");
	if (!cJSON_IsArray(grants)) {
		err = fail(c, "expected an array, found %s", type_name(grants));
		goto done;
	}
	r->grant_count = child_count(grants);
	r->grants = appctl_arena_calloc(c->arena, r->grant_count,
		sizeof(*r->grants));
	if (!r->grants) {
		err = nomem();
		goto done;
	}
	for (child = grants->child; child; child = child->next, i++) {
		size_t inner = push_index(c, i);

		r->grants[i].index = i;
		err = parse_grant(c, child, &r->grants[i]);
		pop(c, inner);
		if (err)
			goto done;
	}
done:
	pop(c, mark);
	return err;
}

static appctl_error *parse_page(ctx *c, const cJSON *item, void *elem,
	void *arg)
{
	appctl_page *p = elem;
	appctl_strbuf canon = APPCTL_STRBUF_INIT;
	appctl_error *err;

	(void)arg;
	/* Pages are the builder's territory: extra fields are allowed here. */
	if ((err = expect_object(c, item)) ||
	    (err = opt_string(c, item, "description", &p->description)) ||
	    (err = opt_string(c, item, "resource", &p->resource)) ||
	    (err = opt_string_array(c, item, "roles", 1, &p->roles,
			&p->role_count)))
		return err;
	appctl_json_canonical(&canon, item);
	if (canon.failed) {
		appctl_strbuf_dispose(&canon);
		return nomem();
	}
	p->canonical = appctl_arena_strndup(c->arena, canon.ptr, canon.len);
	appctl_strbuf_dispose(&canon);
	return p->canonical ? NULL : nomem();
}

static appctl_error *parse_credential(ctx *c, const cJSON *item, void *elem,
	void *arg)
{
	appctl_credential *cred = elem;

	(void)arg;
	if (!appctl_env_name_is_valid(cred->env))
		return fail(c, "\"%s\" is not a valid environment name", cred->env);
	return string_value(c, item, &cred->ref);
}

static appctl_error *parse_integration(ctx *c, const cJSON *item, void *elem,
	void *arg)
{
	static const char *const keys[] = { "kind", "owner", "scopes",
		"credential", "on_failure", "rate_limit_per_min",
		"justification", "description", "reads", "writes", NULL };
	appctl_integration *in = elem;
	appctl_error *err;
	size_t mark;

	(void)arg;
	if ((err = expect_object(c, item)) || (err = check_keys(c, item, keys)) ||
	    (err = req_string(c, item, "kind", &in->kind)) ||
	    (err = opt_string(c, item, "description", &in->description)) ||
	    (err = opt_string_array(c, item, "reads", 1, &in->reads,
			&in->read_count)) ||
	    (err = opt_string_array(c, item, "writes", 1, &in->writes,
			&in->write_count)) ||
	    (err = opt_string(c, item, "owner", &in->owner)) ||
	    (err = opt_string(c, item, "justification", &in->justification)) ||
	    (err = opt_string_array(c, item, "scopes", 1, &in->scopes,
			&in->scope_count)) ||
	    (err = opt_integer(c, item, "rate_limit_per_min", 0, 100000000,
			&in->has_rate_limit, &in->rate_limit_per_min)) ||
	    (err = opt_string(c, item, "on_failure", &in->on_failure)))
		return err;
	if (in->owner) {
		mark = push_key(c, "owner");
		if (!appctl_principal_is_valid(in->owner))
			err = fail(c, "\"%s\" is not a valid principal", in->owner);
		pop(c, mark);
		if (err)
			return err;
	}
	if (in->on_failure && strcmp(in->on_failure, "fail_closed") != 0 &&
	    strcmp(in->on_failure, "fail_open") != 0) {
		mark = push_key(c, "on_failure");
		err = fail(c, "unknown value \"%s\" (expected fail_closed or "
			"fail_open)", in->on_failure);
		pop(c, mark);
		return err;
	}
	return named_entries(c, item, "credential", 0, sizeof(appctl_credential),
		parse_credential, NULL, (void **)&in->credentials,
		&in->credential_count);
}

static appctl_error *parse_owners(ctx *c, const cJSON *root, appctl_app *app)
{
	static const char *const keys[] = { "business", "technical", NULL };
	const cJSON *owners = appctl_json_get(root, "owners");
	const char **slots[2] = { &app->business_owner, &app->technical_owner };
	appctl_error *err = NULL;
	size_t mark, i;

	if (!owners)
		return NULL;
	mark = push_key(c, "owners");
	if ((err = expect_object(c, owners)) || (err = check_keys(c, owners, keys)))
		goto done;
	for (i = 0; i < 2 && !err; i++) {
		err = opt_string(c, owners, keys[i], slots[i]);
		if (!err && *slots[i] && !appctl_principal_is_valid(*slots[i])) {
			size_t inner = push_key(c, keys[i]);

			err = fail(c, "\"%s\" is not a valid principal", *slots[i]);
			pop(c, inner);
		}
	}
done:
	pop(c, mark);
	return err;
}

static appctl_error *parse_ai_read(ctx *c, const cJSON *item, void *elem)
{
	static const char *const keys[] = { "resource", "fields", NULL };
	appctl_ai_read *r = elem;
	appctl_error *err;

	if ((err = expect_object(c, item)) || (err = check_keys(c, item, keys)) ||
	    (err = req_string(c, item, "resource", &r->resource)) ||
	    (err = opt_string_array(c, item, "fields", 1, &r->fields,
			&r->field_count)))
		return err;
	r->all_fields = appctl_json_get(item, "fields") == NULL;
	return NULL;
}

/* "ai": what the app's AI features may read; absent means nothing. */
static appctl_error *parse_ai(ctx *c, const cJSON *root, appctl_app *app)
{
	static const char *const keys[] = { "reads", "justification",
		"description", NULL };
	const cJSON *ai = appctl_json_get(root, "ai");
	appctl_error *err;
	size_t mark, i;

	if (!ai)
		return NULL;
	app->has_ai = 1;
	mark = push_key(c, "ai");
	if (!(err = expect_object(c, ai)) && !(err = check_keys(c, ai, keys)) &&
	    !(err = opt_string(c, ai, "justification", &app->ai_justification)) &&
	    !(err = opt_string(c, ai, "description", &app->ai_description)))
		err = object_array(c, ai, "reads", sizeof(appctl_ai_read),
			parse_ai_read, (void **)&app->ai_reads,
			&app->ai_read_count);
	for (i = 0; !err && i < app->ai_read_count; i++)
		app->ai_reads[i].index = i;
	pop(c, mark);
	return err;
}

static void ctx_init(ctx *c, appctl_arena *arena, const char *file)
{
	c->arena = arena;
	c->file = file;
	memset(&c->path, 0, sizeof(c->path));
	appctl_strbuf_puts(&c->path, "$");
}

appctl_error *appctl_app_parse(appctl_app **out, appctl_arena *arena,
	const appctl_file *file, const char *dir)
{
	static const char *const keys[] = { "name", "class", "owners", "data",
		"roles", "pages", "integrations", "description", "ai", NULL };
	appctl_error *err;
	cJSON *root = NULL;
	appctl_app *app;
	const char *cls;
	ctx c;
	int i;

	*out = NULL;
	ctx_init(&c, arena, file->path);
	err = appctl_json_parse(&root, file->path, file->data, file->len);
	if (err)
		goto done;
	app = appctl_arena_calloc(arena, 1, sizeof(*app));
	if (!app || !(app->file = appctl_arena_strdup(arena, file->path))) {
		err = nomem();
		goto done;
	}
	memcpy(app->blob_id, file->id, sizeof(app->blob_id));
	app->blob_id[40] = '\0';
	if ((err = expect_object(&c, root)) || (err = check_keys(&c, root, keys)) ||
	    (err = req_string(&c, root, "name", &app->name)) ||
	    (err = req_string(&c, root, "class", &cls)))
		goto done;
	if (!appctl_name_is_valid(app->name) || strcmp(app->name, dir) != 0) {
		size_t mark = push_key(&c, "name");

		err = !appctl_name_is_valid(app->name)
			? fail(&c, "\"%s\" is not a valid app name "
				"([a-z0-9][a-z0-9-]{0,62})", app->name)
			: fail(&c, "name \"%s\" differs from its folder \"%s\"",
				app->name, dir);
		pop(&c, mark);
		goto done;
	}
	for (i = 0; i < APPCTL_CLASS_COUNT; i++)
		if (strcmp(cls, appctl_class_name((appctl_app_class)i)) == 0)
			break;
	if (i == APPCTL_CLASS_COUNT) {
		size_t mark = push_key(&c, "class");

		err = fail(&c, "unknown class \"%s\" (expected dashboard, "
			"admin_panel or client_portal)", cls);
		pop(&c, mark);
		goto done;
	}
	app->app_class = (appctl_app_class)i;
	if ((err = opt_string(&c, root, "description", &app->description)) ||
	    (err = parse_ai(&c, root, app)) ||
	    (err = parse_owners(&c, root, app)) ||
	    (err = named_entries(&c, root, "data", 0, sizeof(appctl_resource),
			parse_resource, NULL, (void **)&app->resources,
			&app->resource_count)) ||
	    (err = named_entries(&c, root, "roles", 0, sizeof(appctl_role),
			parse_role, NULL, (void **)&app->roles, &app->role_count)) ||
	    (err = named_entries(&c, root, "pages", 0, sizeof(appctl_page),
			parse_page, NULL, (void **)&app->pages, &app->page_count)) ||
	    (err = named_entries(&c, root, "integrations", 0,
			sizeof(appctl_integration), parse_integration, NULL,
			(void **)&app->integrations, &app->integration_count)))
		goto done;
	*out = app;
done:
	cJSON_Delete(root);
	appctl_strbuf_dispose(&c.path);
	return err;
}

/* ---- appctl.json ---- */

static appctl_error *parse_group(ctx *c, const cJSON *item, void *elem,
	void *arg)
{
	appctl_group *g = elem;
	appctl_error *err;
	size_t i;

	(void)arg;
	if (!appctl_group_name_is_valid(g->name))
		return fail(c, "\"%s\" is not a valid group name", g->name);
	err = string_array(c, item, 1, &g->members, &g->member_count);
	for (i = 0; !err && i < g->member_count; i++) {
		size_t mark = push_index(c, i);

		if (strncmp(g->members[i], "group:", 6) == 0)
			err = fail(c, "groups cannot contain groups (\"%s\")",
				g->members[i]);
		else if (!appctl_principal_is_valid(g->members[i]))
			err = fail(c, "\"%s\" is not a valid principal",
				g->members[i]);
		pop(c, mark);
	}
	if (err)
		return err;
	/* Membership is asked for every principal of every app: keep it O(log n). */
	g->sorted_members = appctl_arena_calloc(c->arena, g->member_count,
		sizeof(*g->sorted_members));
	if (!g->sorted_members)
		return nomem();
	if (g->member_count)
		memcpy(g->sorted_members, g->members,
			g->member_count * sizeof(*g->members));
	qsort(g->sorted_members, g->member_count, sizeof(*g->sorted_members),
		name_cmp);
	return NULL;
}

static appctl_error *parse_required(ctx *c, const cJSON *item,
	appctl_policy *p)
{
	const cJSON *child;
	appctl_error *err;
	int i;

	if ((err = expect_object(c, item)))
		return err;
	for (child = item->child; child; child = child->next) {
		size_t mark = push_key(c, child->string);
		int64_t v;

		for (i = 0; i < APPCTL_CLASS_COUNT; i++)
			if (strcmp(child->string, appctl_class_name((appctl_app_class)i)) == 0)
				break;
		if (i == APPCTL_CLASS_COUNT)
			err = fail(c, "unknown class \"%s\"", child->string);
		else if (!appctl_json_integer(child, &v) || v < 0 || v > 1000)
			err = fail(c, "expected an integer from 0 to 1000");
		else
			p->required[i] = v;
		pop(c, mark);
		if (err)
			return err;
	}
	return NULL;
}

static appctl_error *parse_rule(ctx *c, const cJSON *item, appctl_rule *r)
{
	static const char *const keys[] = { "when", "group", "count", NULL };
	const char *when;
	appctl_error *err;
	int has, i;

	if ((err = expect_object(c, item)) || (err = check_keys(c, item, keys)) ||
	    (err = req_string(c, item, "when", &when)) ||
	    (err = req_string(c, item, "group", &r->group)) ||
	    (err = opt_integer(c, item, "count", 1, 1000, &has, &r->count)))
		return err;
	if (!has)
		return fail(c, "missing required field \"count\"");
	for (i = 0; i < 4; i++)
		if (strcmp(when, appctl_when_name((appctl_rule_when)i)) == 0) {
			r->when = (appctl_rule_when)i;
			return NULL;
		}
	{
		size_t mark = push_key(c, "when");

		err = fail(c, "unknown rule kind \"%s\" (expected integration, "
			"access, policy or data)", when);
		pop(c, mark);
	}
	return err;
}

static appctl_error *parse_approvals(ctx *c, const cJSON *item,
	appctl_policy *p)
{
	static const char *const keys[] = { "required", "rules", "approvers",
		"allow_self_approval", "require_signature", NULL };
	const cJSON *sub, *child;
	appctl_error *err;
	size_t mark, i = 0;

	if ((err = expect_object(c, item)) || (err = check_keys(c, item, keys)) ||
	    (err = opt_bool(c, item, "allow_self_approval", &p->allow_self_approval)) ||
	    (err = opt_bool(c, item, "require_signature", &p->require_signature)))
		return err;
	if ((sub = appctl_json_get(item, "required"))) {
		mark = push_key(c, "required");
		err = parse_required(c, sub, p);
		pop(c, mark);
		if (err)
			return err;
	}
	if ((sub = appctl_json_get(item, "approvers"))) {
		mark = push_key(c, "approvers");
		err = parse_members(c, sub, 1, 0, &p->approvers, &p->approver_count);
		pop(c, mark);
		if (err)
			return err;
	}
	if (!(sub = appctl_json_get(item, "rules")))
		return NULL;
	mark = push_key(c, "rules");
	if (!cJSON_IsArray(sub)) {
		err = fail(c, "expected an array, found %s", type_name(sub));
		goto done;
	}
	p->rule_count = child_count(sub);
	p->rules = appctl_arena_calloc(c->arena, p->rule_count, sizeof(*p->rules));
	if (!p->rules) {
		err = nomem();
		goto done;
	}
	for (child = sub->child; child; child = child->next, i++) {
		size_t inner = push_index(c, i);

		err = parse_rule(c, child, &p->rules[i]);
		pop(c, inner);
		if (err)
			goto done;
	}
done:
	pop(c, mark);
	return err;
}

static appctl_error *parse_notify_entry(ctx *c, const cJSON *item,
	appctl_notify *n)
{
	static const char *const keys[] = { "url", "events", "secret",
		"timeout_s", NULL };
	static const char *const event_names[] = { "approve", "promote",
		"rollback", "break_glass" };
	const char **events;
	size_t count, i, mark;
	appctl_error *err;
	unsigned k;

	if ((err = expect_object(c, item)) || (err = check_keys(c, item, keys)) ||
	    (err = req_string(c, item, "url", &n->url)) ||
	    (err = opt_string(c, item, "secret", &n->secret)) ||
	    (err = opt_integer(c, item, "timeout_s", 1, 300, &n->has_timeout,
			&n->timeout_s)) ||
	    (err = opt_string_array(c, item, "events", 1, &events, &count)))
		return err;
	if (!appctl_json_get(item, "events")) {
		n->events = APPCTL_NOTIFY_PROMOTE | APPCTL_NOTIFY_ROLLBACK;
		return NULL;
	}
	for (i = 0; i < count; i++) {
		for (k = 0; k < 4; k++)
			if (strcmp(events[i], event_names[k]) == 0)
				break;
		if (k == 4) {
			mark = push_key(c, "events");
			push_index(c, i);
			err = fail(c, "unknown event \"%s\" (expected approve, "
				"promote, rollback or break_glass)", events[i]);
			pop(c, mark);
			return err;
		}
		n->events |= 1u << k;
	}
	return NULL;
}

static appctl_error *parse_freeze_entry(ctx *c, const cJSON *item,
	appctl_freeze *f)
{
	static const char *const keys[] = { "envs", "from", "to", "reason", NULL };
	appctl_error *err;

	if ((err = expect_object(c, item)) || (err = check_keys(c, item, keys)) ||
	    (err = opt_string_array(c, item, "envs", 1, &f->envs, &f->env_count)) ||
	    (err = req_string(c, item, "from", &f->from)) ||
	    (err = req_string(c, item, "to", &f->to)) ||
	    (err = opt_string(c, item, "reason", &f->reason)))
		return err;
	if (!appctl_json_get(item, "envs"))
		return fail(c, "missing required field \"envs\"");
	return NULL;
}

static appctl_error *notify_item(ctx *c, const cJSON *item, void *elem)
{
	return parse_notify_entry(c, item, elem);
}

static appctl_error *freeze_item(ctx *c, const cJSON *item, void *elem)
{
	return parse_freeze_entry(c, item, elem);
}

static appctl_error *parse_environments(ctx *c, const cJSON *root,
	appctl_policy *p)
{
	appctl_error *err;
	size_t i, mark;

	if (!appctl_json_get(root, "environments"))
		return fail(c, "missing required field \"environments\"");
	err = opt_string_array(c, root, "environments", 1, &p->environments,
		&p->environment_count);
	if (err)
		return err;
	mark = push_key(c, "environments");
	if (p->environment_count == 0)
		err = fail(c, "must name at least one environment");
	for (i = 0; !err && i < p->environment_count; i++) {
		if (!appctl_env_name_is_valid(p->environments[i])) {
			push_index(c, i);
			err = fail(c, "\"%s\" is not a valid environment name "
				"([a-z0-9][a-z0-9-]{0,62})", p->environments[i]);
		}
	}
	pop(c, mark);
	return err;
}

static appctl_error *parse_small_object(ctx *c, const cJSON *root,
	const char *key, const char *const *keys, const cJSON **out)
{
	appctl_error *err = NULL;
	size_t mark;

	*out = appctl_json_get(root, key);
	if (!*out)
		return NULL;
	mark = push_key(c, key);
	if (!(err = expect_object(c, *out)))
		err = check_keys(c, *out, keys);
	pop(c, mark);
	return err;
}

/* Paths appctl.json names are read from git trees: inside the repository only. */
static int repo_path_is_valid(const char *path)
{
	return path[0] != '/' && !strstr(path, "..") && !strchr(path, '\\');
}

static appctl_error *check_repo_path(ctx *c, const char *path)
{
	if (repo_path_is_valid(path))
		return NULL;
	return fail(c, "\"%s\" must be a path inside the repository", path);
}

/* "groups_from": one path or a list of paths of SCIM exports. */
static appctl_error *parse_groups_from(ctx *c, const cJSON *root,
	appctl_policy *p)
{
	const cJSON *item = appctl_json_get(root, "groups_from");
	appctl_error *err = NULL;
	size_t mark, i;

	if (!item)
		return NULL;
	mark = push_key(c, "groups_from");
	if (cJSON_IsString(item)) {
		p->groups_from = appctl_arena_calloc(c->arena, 1, sizeof(char *));
		if (!p->groups_from)
			err = nomem();
		else if (!(err = string_value(c, item, &p->groups_from[0])))
			p->groups_from_count = 1;
	} else if (!cJSON_IsArray(item)) {
		err = fail(c, "expected a path or an array of paths, found %s",
			type_name(item));
	} else {
		err = string_array(c, item, 1, &p->groups_from,
			&p->groups_from_count);
	}
	for (i = 0; !err && i < p->groups_from_count; i++) {
		size_t inner = cJSON_IsArray(item) ? push_index(c, i) : c->path.len;

		err = check_repo_path(c, p->groups_from[i]);
		pop(c, inner);
	}
	pop(c, mark);
	return err;
}

static appctl_error *parse_role_template(ctx *c, const cJSON *item,
	void *elem, void *arg)
{
	static const char *const keys[] = { "actions", "description", NULL };
	appctl_role_template *t = elem;
	const char **actions;
	appctl_error *err;
	size_t n, i;

	(void)arg;
	if ((err = expect_object(c, item)) || (err = check_keys(c, item, keys)) ||
	    (err = opt_string(c, item, "description", &t->description)))
		return err;
	if (!appctl_json_get(item, "actions"))
		return fail(c, "missing required field \"actions\"");
	if ((err = opt_string_array(c, item, "actions", 1, &actions, &n)))
		return err;
	for (i = 0; i < n; i++) {
		unsigned bit = appctl_action_parse(actions[i]);

		if (!bit) {
			size_t mark = push_key(c, "actions");

			push_index(c, i);
			err = fail(c, "unknown action \"%s\" (expected read, "
				"create, update, delete, export or admin)",
				actions[i]);
			pop(c, mark);
			return err;
		}
		t->actions |= bit;
	}
	return NULL;
}

/* "role_templates": { class: { role: {actions, description} } }. */
static appctl_error *parse_role_templates(ctx *c, const cJSON *root,
	appctl_policy *p)
{
	const cJSON *item = appctl_json_get(root, "role_templates"), *child;
	appctl_error *err;
	size_t mark;
	int i;

	if (!item)
		return NULL;
	p->has_role_templates = 1;
	mark = push_key(c, "role_templates");
	err = expect_object(c, item);
	for (child = item ? item->child : NULL; !err && child; child = child->next) {
		for (i = 0; i < APPCTL_CLASS_COUNT; i++)
			if (strcmp(child->string,
				   appctl_class_name((appctl_app_class)i)) == 0)
				break;
		if (i == APPCTL_CLASS_COUNT) {
			size_t inner = push_key(c, child->string);

			err = fail(c, "unknown class \"%s\" (expected dashboard, "
				"admin_panel or client_portal)", child->string);
			pop(c, inner);
			break;
		}
		err = named_entries(c, item, child->string, 1,
			sizeof(appctl_role_template), parse_role_template, NULL,
			(void **)&p->role_templates[i],
			&p->role_template_count[i]);
	}
	pop(c, mark);
	return err;
}

static appctl_error *parse_lint_override(ctx *c, const cJSON *item,
	void *elem, void *arg)
{
	static const char *const keys[] = { "severity", "justification", NULL };
	static const char *const levels[] = { "off", "warning", "error", NULL };
	appctl_lint_override *o = elem;
	appctl_error *err;
	int level;

	(void)arg;
	if (!appctl_lint_rule_find(o->rule))
		return fail(c, "unknown lint rule \"%s\" (see 'appctl validate "
			"--rules')", o->rule);
	if ((err = expect_object(c, item)) || (err = check_keys(c, item, keys)) ||
	    (err = req_string(c, item, "justification", &o->justification)))
		return err;
	if (!appctl_json_get(item, "severity"))
		return fail(c, "missing required field \"severity\"");
	if ((err = opt_enum(c, item, "severity", levels, &level)))
		return err;
	o->level = (appctl_lint_level)level;
	return NULL;
}

/* "lint": the organisation's own settings of the security lint. */
static appctl_error *parse_lint_settings(ctx *c, const cJSON *root,
	appctl_policy *p)
{
	static const char *const keys[] = { "rules", "broad_scopes",
		"integration_name_pattern", "admin_panel_max_writers", NULL };
	const cJSON *item = appctl_json_get(root, "lint");
	appctl_error *err;
	size_t mark;

	if (!item)
		return NULL;
	mark = push_key(c, "lint");
	if ((err = expect_object(c, item)) || (err = check_keys(c, item, keys)) ||
	    (err = named_entries(c, item, "rules", 0,
			sizeof(appctl_lint_override), parse_lint_override, NULL,
			(void **)&p->lint_overrides, &p->lint_override_count)) ||
	    (err = opt_string_array(c, item, "broad_scopes", 1,
			&p->broad_scopes, &p->broad_scope_count)) ||
	    (err = opt_integer(c, item, "admin_panel_max_writers", 0, 1000000,
			&p->has_admin_panel_max_writers,
			&p->admin_panel_max_writers)) ||
	    (err = opt_string(c, item, "integration_name_pattern",
			&p->integration_name_pattern)))
		goto done;
	if (p->integration_name_pattern) {
		regex_t re;
		size_t inner = push_key(c, "integration_name_pattern");

		if (regcomp(&re, p->integration_name_pattern,
			    REG_EXTENDED | REG_NOSUB) != 0)
			err = fail(c, "\"%s\" is not a valid POSIX extended "
				"regular expression", p->integration_name_pattern);
		else
			regfree(&re);
		pop(c, inner);
	}
done:
	pop(c, mark);
	return err;
}

appctl_error *appctl_policy_parse(appctl_policy **out, appctl_arena *arena,
	const appctl_file *file)
{
	static const char *const keys[] = { "appctl", "environments", "groups",
		"signers", "approvals", "rollback", "notify", "break_glass",
		"freeze", "description", "groups_from", "role_templates", "lint",
		NULL };
	static const char *const rollback_keys[] = { "required", NULL };
	static const char *const glass_keys[] = { "group", "count", NULL };
	const cJSON *sub;
	appctl_error *err;
	appctl_policy *p;
	cJSON *root = NULL;
	int64_t version;
	int has, i;
	ctx c;

	*out = NULL;
	ctx_init(&c, arena, file->path);
	err = appctl_json_parse(&root, file->path, file->data, file->len);
	if (err)
		goto done;
	p = appctl_arena_calloc(arena, 1, sizeof(*p));
	if (!p || !(p->file = appctl_arena_strdup(arena, file->path))) {
		err = nomem();
		goto done;
	}
	memcpy(p->blob_id, file->id, sizeof(p->blob_id));
	p->blob_id[40] = '\0';
	/* Defaults: the safe side. One approval per class, signatures required. */
	for (i = 0; i < APPCTL_CLASS_COUNT; i++)
		p->required[i] = 1;
	p->require_signature = 1;
	if ((err = expect_object(&c, root)) || (err = check_keys(&c, root, keys)) ||
	    (err = opt_integer(&c, root, "appctl", 1, 1, &has, &version)))
		goto done;
	if (!has) {
		err = fail(&c, "missing required field \"appctl\" (the format "
			"version, 1)");
		goto done;
	}
	if ((err = parse_environments(&c, root, p)) ||
	    (err = named_entries(&c, root, "groups", 0, sizeof(appctl_group),
			parse_group, NULL, (void **)&p->groups, &p->group_count)) ||
	    (err = opt_string(&c, root, "signers", &p->signers)))
		goto done;
	if (!p->signers) {
		p->signers = "allowed_signers";
	} else {
		size_t mark = push_key(&c, "signers");

		err = check_repo_path(&c, p->signers);
		pop(&c, mark);
		if (err)
			goto done;
	}
	if ((err = opt_string(&c, root, "description", &p->description)) ||
	    (err = parse_groups_from(&c, root, p)) ||
	    (err = parse_role_templates(&c, root, p)) ||
	    (err = parse_lint_settings(&c, root, p)))
		goto done;
	if ((sub = appctl_json_get(root, "approvals"))) {
		size_t mark = push_key(&c, "approvals");

		err = parse_approvals(&c, sub, p);
		pop(&c, mark);
		if (err)
			goto done;
	}
	if ((err = parse_small_object(&c, root, "rollback", rollback_keys, &sub)))
		goto done;
	if (sub) {
		size_t mark = push_key(&c, "rollback");

		err = opt_integer(&c, sub, "required", 0, 1000, NULL,
			&p->rollback_required);
		pop(&c, mark);
		if (err)
			goto done;
	}
	if ((err = parse_small_object(&c, root, "break_glass", glass_keys, &sub)))
		goto done;
	if (sub) {
		size_t mark = push_key(&c, "break_glass");

		p->has_break_glass = 1;
		if (!(err = req_string(&c, sub, "group", &p->break_glass_group)))
			err = opt_integer(&c, sub, "count", 0, 1000, NULL,
				&p->break_glass_count);
		pop(&c, mark);
		if (err)
			goto done;
	}
	if ((err = object_array(&c, root, "notify", sizeof(appctl_notify),
			notify_item, (void **)&p->notify, &p->notify_count)) ||
	    (err = object_array(&c, root, "freeze", sizeof(appctl_freeze),
			freeze_item, (void **)&p->freezes, &p->freeze_count)))
		goto done;
	*out = p;
done:
	cJSON_Delete(root);
	appctl_strbuf_dispose(&c.path);
	return err;
}

/* ---- snapshot ---- */

static int app_cmp(const void *a, const void *b)
{
	const appctl_app *x = *(const appctl_app *const *)a;
	const appctl_app *y = *(const appctl_app *const *)b;

	return strcmp(x->name, y->name);
}

appctl_error *appctl_snapshot_parse(appctl_snapshot **out,
	const appctl_file *policy, const appctl_file *signers,
	const appctl_file *apps, const char *const *dirs, size_t app_count)
{
	return appctl_snapshot_parse_ext(out, policy, signers, NULL, 0, apps,
		dirs, app_count);
}

appctl_error *appctl_snapshot_parse_ext(appctl_snapshot **out,
	const appctl_file *policy, const appctl_file *signers,
	const appctl_file *groups_from, size_t groups_from_count,
	const appctl_file *apps, const char *const *dirs, size_t app_count)
{
	appctl_snapshot *snap;
	appctl_error *err = NULL;
	size_t i;

	*out = NULL;
	snap = calloc(1, sizeof(*snap));
	if (!snap || !(snap->arena = appctl_arena_new())) {
		free(snap);
		return nomem();
	}
	err = appctl_policy_parse(&snap->policy, snap->arena, policy);
	if (!err)
		err = appctl_policy_merge_scim(snap->policy, snap->arena,
			groups_from, groups_from_count);
	if (err)
		goto fail;
	if (!signers) {
		err = appctl_error_input(snap->policy->signers, NULL,
			"allowed-signers file named by appctl.json is missing");
		goto fail;
	}
	if (signers->len > APPCTL_JSON_MAX_BYTES) {
		err = appctl_error_input(signers->path, NULL,
			"file is %zu bytes, over the 16 MiB limit", signers->len);
		goto fail;
	}
	if (appctl_utf8_invalid_at(signers->data, signers->len)) {
		err = appctl_error_input(signers->path, NULL,
			"not valid UTF-8 text (or contains a NUL byte)");
		goto fail;
	}
	snap->signers_text = appctl_arena_strndup(snap->arena, signers->data,
		signers->len);
	snap->signers_len = signers->len;
	memcpy(snap->signers_id, signers->id, sizeof(snap->signers_id));
	snap->signers_id[40] = '\0';
	snap->apps = appctl_arena_calloc(snap->arena, app_count,
		sizeof(*snap->apps));
	if (!snap->signers_text || !snap->apps) {
		err = nomem();
		goto fail;
	}
	for (i = 0; i < app_count; i++) {
		err = appctl_app_parse(&snap->apps[i], snap->arena, &apps[i], dirs[i]);
		if (err)
			goto fail;
	}
	snap->app_count = app_count;
	qsort(snap->apps, app_count, sizeof(*snap->apps), app_cmp);
	*out = snap;
	return NULL;
fail:
	appctl_snapshot_free(snap);
	return err;
}

void appctl_snapshot_free(appctl_snapshot *snap)
{
	if (!snap)
		return;
	appctl_arena_free(snap->arena);
	free(snap);
}
