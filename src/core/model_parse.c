/* model_parse.c: strict schema checks turning app.json and appctl.json into the model. */
#include "appctl/model.h"

#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/json.h"
#include "appctl/lint.h"
#include "appctl/rules.h"
#include "appctl/scim.h"
#include "appctl/strbuf.h"
#include "model_internal.h"

/*
 * Errors of one file kept with their text; past this, they are only counted
 * ("... and N more"), so a huge hostile file costs time linear in its size
 * and memory for this many messages, not one message per mistake.
 */
#define MAX_ERRORS 50

/*
 * The parse context carries the file name and the JSON path of the value at
 * hand, so that every schema error names exactly where it is, and collects
 * the errors: a check that fails records its error here and returns BAD, and
 * the walk goes on with the value's siblings, so that one run reports every
 * problem of the file (a broken role does not hide a broken integration).
 * Only the value that failed is skipped: what is inside a value of the wrong
 * type cannot be judged.
 */
typedef struct ctx {
	appctl_arena *arena;
	const char *file;
	appctl_strbuf path;
	appctl_error *errors;     /* the first MAX_ERRORS, in the order found */
	appctl_error **tail;
	size_t error_count;       /* every error, also those past the cap */
	int nomem;                /* memory ran out: the result is that error */
} ctx;

/* The internal checks return OK, or BAD when they recorded an error. */
#define OK 0
#define BAD 1

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

static void ctx_init(ctx *c, appctl_arena *arena, const char *file)
{
	memset(c, 0, sizeof(*c));
	c->arena = arena;
	c->file = file;
	c->tail = &c->errors;
	appctl_strbuf_puts(&c->path, "$");
}

static int nomem_at(ctx *c)
{
	c->nomem = 1;
	return BAD;
}

/*
 * Hands the collected errors over as one chain (the first error first) and
 * disposes the context. Out of memory wins over everything collected.
 */
static appctl_error *ctx_finish(ctx *c)
{
	appctl_error *list = c->errors;

	if (!c->nomem && c->path.failed)
		c->nomem = 1;
	if (!c->nomem && c->error_count > MAX_ERRORS) {
		appctl_error *more = appctl_error_input(c->file, NULL,
			"... and %zu more error%s", c->error_count - MAX_ERRORS,
			c->error_count - MAX_ERRORS == 1 ? "" : "s");

		if (more == appctl_error_nomem())
			c->nomem = 1;
		else
			*c->tail = more;
	}
	if (c->nomem) {
		appctl_error_free(list);
		list = appctl_error_nomem();
	}
	appctl_strbuf_dispose(&c->path);
	c->errors = NULL;
	return list;
}

static int fail(ctx *c, const char *fmt, ...)
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

/* Records one error at the current path; always returns BAD. */
static int fail(ctx *c, const char *fmt, ...)
{
	appctl_strbuf raw = APPCTL_STRBUF_INIT, safe = APPCTL_STRBUF_INIT;
	appctl_error *err;
	const char *p, *q;
	va_list ap;

	/* Past the cap only the count is kept: no formatting, no memory. */
	if (c->nomem || c->error_count++ >= MAX_ERRORS)
		return BAD;
	if (c->path.failed)
		return nomem_at(c);
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
	if (err == appctl_error_nomem())
		return nomem_at(c);
	*c->tail = err;
	c->tail = &err->next;
	return BAD;
}

/* Like fail, one step below the current path (a key). */
#define fail_at_key(c, key, ...) \
	do { \
		size_t mark_ = push_key((c), (key)); \
		fail((c), __VA_ARGS__); \
		pop((c), mark_); \
	} while (0)

/* ---- "did you mean" ---- */

#define SUGGEST_MAX_LEN 64

static int lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static int same_ignoring_case(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower((unsigned char)*a) != lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/*
 * Damerau-Levenshtein distance (optimal string alignment: an adjacent
 * transposition counts as one edit), for strings of at most
 * SUGGEST_MAX_LEN bytes.
 */
static unsigned edit_distance(const char *a, size_t la, const char *b,
	size_t lb)
{
	unsigned char d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];
	size_t i, j;

	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned char)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned char)j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned best = d[i - 1][j] + 1u;

			if (d[i][j - 1] + 1u < best)
				best = d[i][j - 1] + 1u;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1u < best)
				best = d[i - 2][j - 2] + 1u;
			d[i][j] = (unsigned char)best;
		}
	return d[la][lb];
}

/* "x" suggests nothing: a hint needs fewer edits than `s` has bytes. */
const char *appctl_suggest(const char *s, const char *const *names)
{
	const char *best = NULL;
	unsigned best_d = 3;
	size_t ls = strlen(s), i;

	for (i = 0; names[i]; i++)
		if (same_ignoring_case(s, names[i]))
			return names[i];
	if (ls > SUGGEST_MAX_LEN)
		return NULL;
	for (i = 0; names[i]; i++) {
		size_t ln = strlen(names[i]);
		unsigned d;

		/* Lengths two apart are at least two edits apart: cheap to skip. */
		if (ln > SUGGEST_MAX_LEN || ln + 2 < ls || ls + 2 < ln)
			continue;
		d = edit_distance(s, ls, names[i], ln);
		if (d < best_d && d < ls) {
			best = names[i];
			best_d = d;
		}
	}
	/* A cut-short name ("warn", "client") means the one it starts. */
	for (i = 0; !best && ls >= 3 && names[i]; i++)
		if (strncmp(s, names[i], ls) == 0)
			return names[i];
	return best;
}

/*
 * Fails with `unknown <what> "s" (did you mean "x"?)` when a name is close,
 * else with `unknown <what> "s" (expected a, b or c)`, listing `names`.
 */
static int fail_unknown(ctx *c, const char *what, const char *s,
	const char *const *names)
{
	appctl_strbuf expected = APPCTL_STRBUF_INIT;
	const char *hint;
	int i;

	/* Past the cap the error is only counted: no need for its text. */
	if (c->error_count >= MAX_ERRORS)
		return fail(c, "unknown %s", what);
	hint = appctl_suggest(s, names);

	if (hint)
		return fail(c, "unknown %s \"%s\" (did you mean \"%s\"?)", what, s,
			hint);
	for (i = 0; names[i]; i++)
		appctl_strbuf_printf(&expected, "%s%s", i ? (names[i + 1] ? ", "
			: " or ") : "", names[i]);
	if (expected.failed) {
		appctl_strbuf_dispose(&expected);
		return nomem_at(c);
	}
	fail(c, "unknown %s \"%s\" (expected %s)", what, s, expected.ptr);
	appctl_strbuf_dispose(&expected);
	return BAD;
}

const char *const appctl_class_names[] = { "dashboard", "admin_panel",
	"client_portal", NULL };
const char *const appctl_sensitivity_names[] = { "public", "internal", "pii",
	"restricted", NULL };
const char *const appctl_storage_names[] = { "live", "cached", "stored",
	NULL };
const char *const appctl_on_failure_names[] = { "fail_closed", "fail_open",
	NULL };

const char *const appctl_app_keys[] = {
	[K_APP_SCHEMA] = "$schema", [K_APP_NAME] = "name",
	[K_APP_CLASS] = "class", [K_APP_OWNERS] = "owners",
	[K_APP_DATA] = "data", [K_APP_ROLES] = "roles",
	[K_APP_PAGES] = "pages", [K_APP_INTEGRATIONS] = "integrations",
	[K_APP_DESCRIPTION] = "description", [K_APP_AI] = "ai",
	[K_APP_AI + 1] = NULL };
const char *const appctl_owner_keys[] = {
	[K_OWNER_BUSINESS] = "business", [K_OWNER_TECHNICAL] = "technical",
	[K_OWNER_TECHNICAL + 1] = NULL };
const char *const appctl_resource_keys[] = {
	[K_RESOURCE_SOURCE] = "source", [K_RESOURCE_TENANT_KEY] = "tenant_key",
	[K_RESOURCE_RETENTION_DAYS] = "retention_days",
	[K_RESOURCE_FIELDS] = "fields", [K_RESOURCE_STORAGE] = "storage",
	[K_RESOURCE_DESCRIPTION] = "description",
	[K_RESOURCE_DESCRIPTION + 1] = NULL };
const char *const appctl_field_keys[] = {
	[K_FIELD_SENSITIVITY] = "sensitivity",
	[K_FIELD_DESCRIPTION] = "description",
	[K_FIELD_DESCRIPTION + 1] = NULL };
const char *const appctl_role_keys[] = {
	[K_ROLE_MEMBERS] = "members", [K_ROLE_GRANTS] = "grants",
	[K_ROLE_JUSTIFICATION] = "justification",
	[K_ROLE_DESCRIPTION] = "description",
	[K_ROLE_DESCRIPTION + 1] = NULL };
const char *const appctl_member_keys[] = {
	[K_MEMBER_PRINCIPAL] = "principal", [K_MEMBER_EXPIRES] = "expires",
	[K_MEMBER_EXPIRES + 1] = NULL };
const char *const appctl_grant_keys[] = {
	[K_GRANT_RESOURCE] = "resource", [K_GRANT_ACTIONS] = "actions",
	[K_GRANT_HIDDEN_FIELDS] = "hidden_fields",
	[K_GRANT_JUSTIFICATION] = "justification",
	[K_GRANT_JUSTIFICATION + 1] = NULL };
const char *const appctl_integration_keys[] = {
	[K_INTEGRATION_KIND] = "kind", [K_INTEGRATION_OWNER] = "owner",
	[K_INTEGRATION_SCOPES] = "scopes",
	[K_INTEGRATION_CREDENTIAL] = "credential",
	[K_INTEGRATION_ON_FAILURE] = "on_failure",
	[K_INTEGRATION_RATE_LIMIT] = "rate_limit_per_min",
	[K_INTEGRATION_JUSTIFICATION] = "justification",
	[K_INTEGRATION_DESCRIPTION] = "description",
	[K_INTEGRATION_READS] = "reads", [K_INTEGRATION_WRITES] = "writes",
	[K_INTEGRATION_WRITES + 1] = NULL };
const char *const appctl_ai_keys[] = {
	[K_AI_READS] = "reads", [K_AI_JUSTIFICATION] = "justification",
	[K_AI_DESCRIPTION] = "description", [K_AI_DESCRIPTION + 1] = NULL };
const char *const appctl_ai_read_keys[] = {
	[K_AI_READ_RESOURCE] = "resource", [K_AI_READ_FIELDS] = "fields",
	[K_AI_READ_FIELDS + 1] = NULL };

static const char *const action_names[] = { "read", "create", "update",
	"delete", "export", "admin", NULL };
static const char *const when_names[] = { "integration", "access", "policy",
	"data", NULL };

/* Index of `s` in the NULL-terminated `names`, or -1. */
static int name_index(const char *s, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* ---- values ---- */

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

static int expect_object(ctx *c, const cJSON *item)
{
	if (!cJSON_IsObject(item))
		return fail(c, "expected an object, found %s", type_name(item));
	return OK;
}

/*
 * Refuses keys outside `allowed` (NULL-terminated): the core schema is
 * closed. Every unknown key is reported, each with its closest allowed key.
 */
static int check_keys(ctx *c, const cJSON *obj, const char *const *allowed)
{
	const cJSON *child;
	int bad = OK;

	for (child = obj->child; child; child = child->next) {
		const char *hint;

		if (name_index(child->string, allowed) >= 0)
			continue;
		/* Suggestions cost time: only for the errors that are shown. */
		hint = c->error_count < MAX_ERRORS
			? appctl_suggest(child->string, allowed) : NULL;
		if (hint)
			fail_at_key(c, child->string,
				"unknown field \"%s\" (did you mean \"%s\"?)",
				child->string, hint);
		else
			fail_at_key(c, child->string, "unknown field \"%s\"",
				child->string);
		bad = BAD;
	}
	return bad;
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
static int string_value(ctx *c, const cJSON *item, const char **out)
{
	*out = NULL;
	if (!cJSON_IsString(item))
		return fail(c, "expected a string, found %s", type_name(item));
	if (!item->valuestring[0])
		return fail(c, "must not be empty");
	*out = appctl_arena_strdup(c->arena, item->valuestring);
	return *out ? OK : nomem_at(c);
}

/* Optional string member: *out stays NULL when absent or invalid. */
static int opt_string(ctx *c, const cJSON *obj, const char *key,
	const char **out)
{
	const cJSON *item = appctl_json_get(obj, key);
	size_t mark;
	int bad;

	*out = NULL;
	if (!item)
		return OK;
	mark = push_key(c, key);
	bad = string_value(c, item, out);
	pop(c, mark);
	return bad;
}

static int req_string(ctx *c, const cJSON *obj, const char *key,
	const char **out)
{
	*out = NULL;
	if (!appctl_json_get(obj, key))
		return fail(c, "missing required field \"%s\"", key);
	return opt_string(c, obj, key, out);
}

static int opt_integer(ctx *c, const cJSON *obj, const char *key,
	int64_t min, int64_t max, int *has, int64_t *out)
{
	const cJSON *item = appctl_json_get(obj, key);
	int64_t v;
	size_t mark;
	int bad = OK;

	if (has)
		*has = 0;
	if (!item)
		return OK;
	mark = push_key(c, key);
	if (!appctl_json_integer(item, &v))
		bad = fail(c, cJSON_IsNumber(item)
			? "expected an integer within +-2^53"
			: "expected an integer, found %s", type_name(item));
	else if (v < min || v > max)
		bad = fail(c, "must be between %lld and %lld", (long long)min,
			(long long)max);
	else {
		*out = v;
		if (has)
			*has = 1;
	}
	pop(c, mark);
	return bad;
}

static int opt_bool(ctx *c, const cJSON *obj, const char *key, int *out)
{
	const cJSON *item = appctl_json_get(obj, key);
	size_t mark;
	int bad = OK;

	if (!item)
		return OK;
	mark = push_key(c, key);
	if (!cJSON_IsBool(item))
		bad = fail(c, "expected a boolean, found %s", type_name(item));
	else
		*out = cJSON_IsTrue(item);
	pop(c, mark);
	return bad;
}

/*
 * Optional string member that must be one of `names` (NULL-terminated):
 * *out is its index, or -1 when absent or invalid.
 */
static int opt_enum(ctx *c, const cJSON *obj, const char *key,
	const char *what, const char *const *names, int *out)
{
	const char *s;
	size_t mark;
	int bad;

	*out = -1;
	if (opt_string(c, obj, key, &s))
		return BAD;
	if (!s)
		return OK;
	if ((*out = name_index(s, names)) >= 0)
		return OK;
	mark = push_key(c, key);
	bad = fail_unknown(c, what, s, names);
	pop(c, mark);
	return bad;
}

/*
 * A set of strings for finding repeated entries in linear time: arrays in a
 * 16 MiB file can hold millions of entries, and comparing each with every
 * earlier one would not end.
 */
typedef struct seen_set {
	const char **slots;
	size_t mask;
} seen_set;

static int seen_init(seen_set *s, size_t n)
{
	size_t cap = 16;

	while (cap < n * 2 && cap < SIZE_MAX / 4)
		cap *= 2;
	s->slots = calloc(cap, sizeof(*s->slots));
	s->mask = cap - 1;
	return s->slots ? 0 : -1;
}

/* Adds `key` (which must outlive the set); 1 when it was already there. */
static int seen_add(seen_set *s, const char *key)
{
	uint64_t h = 1469598103934665603u;
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	for (i = (size_t)h & s->mask; s->slots[i]; i = (i + 1) & s->mask)
		if (strcmp(s->slots[i], key) == 0)
			return 1;
	s->slots[i] = key;
	return 0;
}

static void seen_dispose(seen_set *s)
{
	free(s->slots);
	s->slots = NULL;
}

/*
 * An array of strings; with `unique`, repeated entries are an error (a
 * repeated scope or role reads as a mistake, and would skew diffs). Bad
 * entries are left NULL in *out; *count is the array's length.
 */
static int string_array(ctx *c, const cJSON *item, int unique,
	const char ***out, size_t *count)
{
	const cJSON *child;
	seen_set seen = { NULL, 0 };
	size_t n, i = 0;
	int bad = OK;

	*out = NULL;
	*count = 0;
	if (!cJSON_IsArray(item))
		return fail(c, "expected an array, found %s", type_name(item));
	n = child_count(item);
	*out = appctl_arena_calloc(c->arena, n, sizeof(**out));
	if (!*out || (unique && seen_init(&seen, n) != 0))
		return nomem_at(c);
	for (child = item->child; child && !c->nomem; child = child->next, i++) {
		const char *s = cJSON_IsString(child) ? child->valuestring : NULL;
		size_t mark;

		/* The path is made only for an entry found wrong: arrays can be long. */
		if (s && s[0] && (!unique || !seen_add(&seen, s))) {
			if (!((*out)[i] = appctl_arena_strdup(c->arena, s)))
				bad = nomem_at(c);
			continue;
		}
		mark = push_index(c, i);
		if (string_value(c, child, &(*out)[i]))
			bad = BAD;
		else
			bad = fail(c, "\"%s\" is listed twice", (*out)[i]);
		pop(c, mark);
	}
	seen_dispose(&seen);
	*count = n;
	return bad;
}

static int opt_string_array(ctx *c, const cJSON *obj, const char *key,
	int unique, const char ***out, size_t *count)
{
	const cJSON *item = appctl_json_get(obj, key);
	size_t mark;
	int bad;

	*out = NULL;
	*count = 0;
	if (!item)
		return OK;
	mark = push_key(c, key);
	bad = string_array(c, item, unique, out, count);
	pop(c, mark);
	return bad;
}

static int principal_value(ctx *c, const cJSON *item, const char **out)
{
	if (string_value(c, item, out))
		return BAD;
	if (!appctl_principal_is_valid(*out))
		return fail(c, "\"%s\" is not a valid principal (expected an "
			"email-like name)", *out);
	return OK;
}

/*
 * A member: "a@b.c", "group:name", or {"principal", "expires"}. With
 * `allow_groups` 0 (group definitions), group references are refused:
 * groups do not nest.
 */
static int parse_member(ctx *c, const cJSON *item, int allow_groups,
	int allow_expiry, appctl_member *m)
{
	const char *const *keys = appctl_member_keys;
	const cJSON *p;
	int bad;

	if (cJSON_IsString(item) && strncmp(item->valuestring, "group:", 6) == 0) {
		if (!allow_groups)
			return fail(c, "groups cannot contain groups (\"%s\")",
				item->valuestring);
		if (!appctl_group_name_is_valid(item->valuestring + 6))
			return fail(c, "\"%s\" is not a valid group reference",
				item->valuestring);
		m->kind = APPCTL_MEMBER_GROUP;
		m->name = appctl_arena_strdup(c->arena, item->valuestring + 6);
		return m->name ? OK : nomem_at(c);
	}
	m->kind = APPCTL_MEMBER_PRINCIPAL;
	if (cJSON_IsString(item))
		return principal_value(c, item, &m->name);
	if (!cJSON_IsObject(item) || !allow_expiry)
		return fail(c, allow_expiry
			? "expected a principal, \"group:<name>\" or an object, found %s"
			: "expected a principal or \"group:<name>\", found %s",
			type_name(item));
	bad = check_keys(c, item, keys);
	p = appctl_json_get(item, "principal");
	if (!p) {
		bad = fail(c, "missing required field \"principal\"");
	} else {
		size_t mark = push_key(c, "principal");

		bad |= principal_value(c, p, &m->name);
		pop(c, mark);
	}
	if (opt_string(c, item, "expires", &m->expires_text))
		return BAD;
	if (!m->expires_text)
		return bad;
	if (appctl_date_parse(&m->expires, m->expires_text) != 0) {
		fail_at_key(c, "expires", "\"%s\" is not an ISO date (YYYY-MM-DD)",
			m->expires_text);
		return BAD;
	}
	m->has_expires = 1;
	return bad;
}

static int parse_members(ctx *c, const cJSON *item, int allow_groups,
	int allow_expiry, appctl_member **out, size_t *count)
{
	const cJSON *child;
	seen_set seen = { NULL, 0 };
	size_t n, i = 0;
	int bad = OK;

	*out = NULL;
	*count = 0;
	if (!cJSON_IsArray(item))
		return fail(c, "expected an array, found %s", type_name(item));
	n = child_count(item);
	*out = appctl_arena_calloc(c->arena, n, sizeof(**out));
	if (!*out || seen_init(&seen, n) != 0)
		return nomem_at(c);
	for (child = item->child; child && !c->nomem; child = child->next, i++) {
		size_t mark = push_index(c, i);
		appctl_member *m = &(*out)[i];

		m->index = i;
		if (parse_member(c, child, allow_groups, allow_expiry, m)) {
			bad = BAD;
		} else if (m->name) {
			/*
			 * A group reference keeps its "group:" in the set: no
			 * principal contains ':', so the two never collide.
			 */
			const char *key = m->kind == APPCTL_MEMBER_GROUP
				? child->valuestring : m->name;

			if (seen_add(&seen, key))
				bad = fail(c, "\"%s%s\" is listed twice",
					m->kind == APPCTL_MEMBER_GROUP ? "group:" : "",
					m->name);
		}
		pop(c, mark);
	}
	seen_dispose(&seen);
	*count = n;
	return bad;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Walks an object of named entries (roles, resources, ...), calling `each`
 * for every member with the path pushed, then sorts the results by name.
 * `elem` is the struct size; each struct starts with its name. Every entry
 * is checked, also after a bad one.
 */
typedef int (*entry_fn)(ctx *c, const cJSON *item, void *elem, void *arg);

static int named_entries(ctx *c, const cJSON *obj, const char *key,
	int required, size_t elem, entry_fn each, void *arg, void **out,
	size_t *count)
{
	const cJSON *item = appctl_json_get(obj, key), *child;
	size_t mark, n, i = 0;
	int bad = OK;
	char *base;

	*out = NULL;
	*count = 0;
	if (!item)
		return required ? fail(c, "missing required field \"%s\"", key)
				: OK;
	mark = push_key(c, key);
	if (expect_object(c, item)) {
		pop(c, mark);
		return BAD;
	}
	n = child_count(item);
	base = appctl_arena_calloc(c->arena, n, elem);
	if (!base) {
		pop(c, mark);
		return nomem_at(c);
	}
	for (child = item->child; child && !c->nomem; child = child->next, i++) {
		size_t inner = push_key(c, child->string);
		const char **name = (const char **)(base + i * elem);

		if (!(*name = appctl_arena_strdup(c->arena, child->string)))
			bad = nomem_at(c);
		else if (!child->string[0])
			bad = fail(c, "name must not be empty");
		else if (each(c, child, base + i * elem, arg))
			bad = BAD;
		pop(c, inner);
	}
	pop(c, mark);
	if (bad || c->nomem)
		return BAD;
	qsort(base, n, elem, name_cmp);
	*out = base;
	*count = n;
	return OK;
}

/* Parses an array member of objects with `each`, pushing paths. */
typedef int (*item_fn)(ctx *c, const cJSON *item, void *elem, size_t index);

static int object_array(ctx *c, const cJSON *obj, const char *key,
	size_t elem, item_fn each, void **out, size_t *count)
{
	const cJSON *item = appctl_json_get(obj, key), *child;
	size_t mark, i = 0;
	int bad = OK;
	char *base;

	*out = NULL;
	*count = 0;
	if (!item)
		return OK;
	mark = push_key(c, key);
	if (!cJSON_IsArray(item)) {
		fail(c, "expected an array, found %s", type_name(item));
		pop(c, mark);
		return BAD;
	}
	base = appctl_arena_calloc(c->arena, child_count(item), elem);
	if (!base) {
		pop(c, mark);
		return nomem_at(c);
	}
	for (child = item->child; child && !c->nomem; child = child->next, i++) {
		size_t inner = push_index(c, i);

		if (each(c, child, base + i * elem, i))
			bad = BAD;
		pop(c, inner);
	}
	pop(c, mark);
	if (bad || c->nomem)
		return BAD;
	*out = base;
	*count = i;
	return OK;
}

/* ---- app.json ---- */

static int parse_field(ctx *c, const cJSON *item, void *elem, void *arg)
{
	const char *const *keys = appctl_field_keys;
	appctl_field *f = elem;
	int bad, level;

	(void)arg;
	if (expect_object(c, item))
		return BAD;
	bad = check_keys(c, item, keys);
	bad |= opt_string(c, item, "description", &f->description);
	bad |= opt_enum(c, item, "sensitivity", "sensitivity",
		appctl_sensitivity_names, &level);
	f->sensitivity = level < 0 ? APPCTL_SENS_PUBLIC : (appctl_sensitivity)level;
	return bad;
}

static int parse_resource(ctx *c, const cJSON *item, void *elem, void *arg)
{
	const char *const *keys = appctl_resource_keys;
	const char *const *storages = appctl_storage_names;
	appctl_resource *r = elem;
	int bad, storage;

	(void)arg;
	if (expect_object(c, item))
		return BAD;
	bad = check_keys(c, item, keys);
	bad |= opt_string(c, item, "description", &r->description);
	bad |= opt_enum(c, item, "storage", "value", storages, &storage);
	bad |= opt_string(c, item, "source", &r->source);
	bad |= opt_string(c, item, "tenant_key", &r->tenant_key);
	bad |= opt_integer(c, item, "retention_days", 0,
		APPCTL_RETENTION_DAYS_MAX, &r->has_retention, &r->retention_days);
	r->storage = (appctl_storage)(storage + 1);
	bad |= named_entries(c, item, "fields", 0, sizeof(appctl_field),
		parse_field, NULL, (void **)&r->fields, &r->field_count);
	return bad;
}

static int parse_grant(ctx *c, const cJSON *item, appctl_grant *g)
{
	const char *const *keys = appctl_grant_keys;
	const char **actions;
	size_t n, i, unknown = 0;
	int bad;

	if (expect_object(c, item))
		return BAD;
	bad = check_keys(c, item, keys);
	bad |= req_string(c, item, "resource", &g->resource);
	bad |= opt_string(c, item, "justification", &g->justification);
	bad |= opt_string_array(c, item, "hidden_fields", 1, &g->hidden_fields,
		&g->hidden_field_count);
	if (!appctl_json_get(item, "actions"))
		return fail(c, "missing required field \"actions\"");
	if (opt_string_array(c, item, "actions", 1, &actions, &n))
		return BAD;
	if (n == 0) {
		fail_at_key(c, "actions", "must list at least one action");
		return BAD;
	}
	/* Unknown actions are kept for lint, which names each one. */
	g->unknown_actions = appctl_arena_calloc(c->arena, n, sizeof(char *));
	g->unknown_action_index = appctl_arena_calloc(c->arena, n, sizeof(size_t));
	if (!g->unknown_actions || !g->unknown_action_index)
		return nomem_at(c);
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
	return bad;
}

static int grant_item(ctx *c, const cJSON *item, void *elem, size_t index)
{
	appctl_grant *g = elem;

	g->index = index;
	return parse_grant(c, item, g);
}

static int parse_role(ctx *c, const cJSON *item, void *elem, void *arg)
{
	const char *const *keys = appctl_role_keys;
	appctl_role *r = elem;
	const cJSON *members;
	int bad;

	(void)arg;
	if (expect_object(c, item))
		return BAD;
	bad = check_keys(c, item, keys);
	bad |= opt_string(c, item, "description", &r->description);
	bad |= opt_string(c, item, "justification", &r->justification);
	members = appctl_json_get(item, "members");
	if (members) {
		size_t mark = push_key(c, "members");

		bad |= parse_members(c, members, 1, 1, &r->members,
			&r->member_count);
		pop(c, mark);
	}
	bad |= object_array(c, item, "grants", sizeof(appctl_grant), grant_item,
		(void **)&r->grants, &r->grant_count);
	return bad;
}

static int parse_page(ctx *c, const cJSON *item, void *elem, void *arg)
{
	appctl_page *p = elem;
	appctl_strbuf canon = APPCTL_STRBUF_INIT;
	int bad;

	(void)arg;
	/* Pages are the builder's territory: extra fields are allowed here. */
	if (expect_object(c, item))
		return BAD;
	bad = opt_string(c, item, "description", &p->description);
	bad |= opt_string(c, item, "resource", &p->resource);
	bad |= opt_string_array(c, item, "roles", 1, &p->roles, &p->role_count);
	if (bad)
		return BAD;
	appctl_json_canonical(&canon, item);
	if (canon.failed) {
		appctl_strbuf_dispose(&canon);
		return nomem_at(c);
	}
	p->canonical = appctl_arena_strndup(c->arena, canon.ptr, canon.len);
	appctl_strbuf_dispose(&canon);
	return p->canonical ? OK : nomem_at(c);
}

static int parse_credential(ctx *c, const cJSON *item, void *elem, void *arg)
{
	appctl_credential *cred = elem;
	int bad = OK;

	(void)arg;
	if (!appctl_env_name_is_valid(cred->env))
		bad = fail(c, "\"%s\" is not a valid environment name", cred->env);
	return bad | string_value(c, item, &cred->ref);
}

static int parse_integration(ctx *c, const cJSON *item, void *elem, void *arg)
{
	const char *const *keys = appctl_integration_keys;
	const char *const *on_failure = appctl_on_failure_names;
	appctl_integration *in = elem;
	int bad;

	(void)arg;
	if (expect_object(c, item))
		return BAD;
	bad = check_keys(c, item, keys);
	bad |= req_string(c, item, "kind", &in->kind);
	bad |= opt_string(c, item, "description", &in->description);
	bad |= opt_string_array(c, item, "reads", 1, &in->reads, &in->read_count);
	bad |= opt_string_array(c, item, "writes", 1, &in->writes,
		&in->write_count);
	bad |= opt_string(c, item, "owner", &in->owner);
	bad |= opt_string(c, item, "justification", &in->justification);
	bad |= opt_string_array(c, item, "scopes", 1, &in->scopes,
		&in->scope_count);
	bad |= opt_integer(c, item, "rate_limit_per_min", 0,
		APPCTL_RATE_LIMIT_MAX, &in->has_rate_limit, &in->rate_limit_per_min);
	bad |= opt_string(c, item, "on_failure", &in->on_failure);
	if (in->owner && !appctl_principal_is_valid(in->owner)) {
		fail_at_key(c, "owner", "\"%s\" is not a valid principal",
			in->owner);
		bad = BAD;
	}
	if (in->on_failure && name_index(in->on_failure, on_failure) < 0) {
		size_t mark = push_key(c, "on_failure");

		bad = fail_unknown(c, "value", in->on_failure, on_failure);
		pop(c, mark);
	}
	bad |= named_entries(c, item, "credential", 0, sizeof(appctl_credential),
		parse_credential, NULL, (void **)&in->credentials,
		&in->credential_count);
	return bad;
}

static int parse_owners(ctx *c, const cJSON *root, appctl_app *app)
{
	const char *const *keys = appctl_owner_keys;
	const cJSON *owners = appctl_json_get(root, "owners");
	const char **slots[2] = { &app->business_owner, &app->technical_owner };
	size_t mark, i;
	int bad;

	if (!owners)
		return OK;
	mark = push_key(c, "owners");
	if (expect_object(c, owners)) {
		pop(c, mark);
		return BAD;
	}
	bad = check_keys(c, owners, keys);
	for (i = 0; i < 2; i++) {
		if (opt_string(c, owners, keys[i], slots[i])) {
			bad = BAD;
		} else if (*slots[i] && !appctl_principal_is_valid(*slots[i])) {
			fail_at_key(c, keys[i], "\"%s\" is not a valid principal",
				*slots[i]);
			bad = BAD;
		}
	}
	pop(c, mark);
	return bad;
}

static int parse_ai_read(ctx *c, const cJSON *item, void *elem, size_t index)
{
	const char *const *keys = appctl_ai_read_keys;
	appctl_ai_read *r = elem;
	int bad;

	r->index = index;
	if (expect_object(c, item))
		return BAD;
	bad = check_keys(c, item, keys);
	bad |= req_string(c, item, "resource", &r->resource);
	bad |= opt_string_array(c, item, "fields", 1, &r->fields,
		&r->field_count);
	r->all_fields = appctl_json_get(item, "fields") == NULL;
	return bad;
}

/* "ai": what the app's AI features may read; absent means nothing. */
static int parse_ai(ctx *c, const cJSON *root, appctl_app *app)
{
	const char *const *keys = appctl_ai_keys;
	const cJSON *ai = appctl_json_get(root, "ai");
	size_t mark;
	int bad;

	if (!ai)
		return OK;
	app->has_ai = 1;
	mark = push_key(c, "ai");
	if (expect_object(c, ai)) {
		pop(c, mark);
		return BAD;
	}
	bad = check_keys(c, ai, keys);
	bad |= opt_string(c, ai, "justification", &app->ai_justification);
	bad |= opt_string(c, ai, "description", &app->ai_description);
	bad |= object_array(c, ai, "reads", sizeof(appctl_ai_read),
		parse_ai_read, (void **)&app->ai_reads, &app->ai_read_count);
	pop(c, mark);
	return bad;
}

/* "$schema": where editors find the JSON Schema; appctl only checks its type. */
static int opt_schema_ref(ctx *c, const cJSON *root)
{
	const char *ignored;

	return opt_string(c, root, "$schema", &ignored);
}

/* Parses the app in `root`; errors are collected in `c`. */
static void parse_app_root(ctx *c, const cJSON *root, appctl_app *app,
	const char *dir)
{
	const char *const *keys = appctl_app_keys;
	const char *cls;
	int i;

	if (expect_object(c, root))
		return;
	check_keys(c, root, keys);
	req_string(c, root, "name", &app->name);
	req_string(c, root, "class", &cls);
	if (app->name && !appctl_name_is_valid(app->name))
		fail_at_key(c, "name", "\"%s\" is not a valid app name "
			"([a-z0-9][a-z0-9-]{0,62})", app->name);
	else if (app->name && strcmp(app->name, dir) != 0)
		fail_at_key(c, "name", "name \"%s\" differs from its folder \"%s\"",
			app->name, dir);
	if (cls && (i = name_index(cls, appctl_class_names)) >= 0) {
		app->app_class = (appctl_app_class)i;
	} else if (cls) {
		size_t mark = push_key(c, "class");

		fail_unknown(c, "class", cls, appctl_class_names);
		pop(c, mark);
	}
	opt_schema_ref(c, root);
	opt_string(c, root, "description", &app->description);
	parse_ai(c, root, app);
	parse_owners(c, root, app);
	named_entries(c, root, "data", 0, sizeof(appctl_resource),
		parse_resource, NULL, (void **)&app->resources,
		&app->resource_count);
	named_entries(c, root, "roles", 0, sizeof(appctl_role), parse_role,
		NULL, (void **)&app->roles, &app->role_count);
	named_entries(c, root, "pages", 0, sizeof(appctl_page), parse_page,
		NULL, (void **)&app->pages, &app->page_count);
	named_entries(c, root, "integrations", 0, sizeof(appctl_integration),
		parse_integration, NULL, (void **)&app->integrations,
		&app->integration_count);
}

appctl_error *appctl_app_parse_tree(appctl_app **out, appctl_arena *arena,
	const appctl_file *file, const char *dir)
{
	appctl_error *err;
	appctl_arena *tree = NULL;
	cJSON *root = NULL;
	appctl_app *app;
	ctx c;

	*out = NULL;
	/*
	 * The JSON tree lives in an arena of its own, freed once the model is
	 * built: cJSON's malloc and free per node cost more than the parse.
	 */
	if (!(tree = appctl_arena_new()))
		return appctl_error_nomem();
	ctx_init(&c, arena, file->path);
	err = appctl_json_parse_arena(&root, tree, file->path, file->data,
		file->len);
	if (err) {
		appctl_strbuf_dispose(&c.path);
		appctl_arena_free(tree);
		return err;
	}
	app = appctl_arena_calloc(arena, 1, sizeof(*app));
	if (!app || !(app->file = appctl_arena_strdup(arena, file->path)))
		nomem_at(&c);
	else {
		memcpy(app->blob_id, file->id, sizeof(app->blob_id));
		app->blob_id[40] = '\0';
		parse_app_root(&c, root, app, dir);
	}
	appctl_arena_free(tree);
	err = ctx_finish(&c);
	if (!err)
		*out = app;
	return err;
}

appctl_error *appctl_app_parse(appctl_app **out, appctl_arena *arena,
	const appctl_file *file, const char *dir)
{
	if (appctl_app_parse_fast(out, arena, file, dir))
		return NULL;
	return appctl_app_parse_tree(out, arena, file, dir);
}

int appctl_page_from_tree(appctl_page *p, appctl_arena *arena,
	const cJSON *item, const char *file)
{
	appctl_error *err;
	ctx c;
	int bad;

	ctx_init(&c, arena, file);
	bad = parse_page(&c, item, p, NULL);
	err = ctx_finish(&c);
	appctl_error_free(err);
	return !bad && !err;
}

/* ---- appctl.json ---- */

static int parse_group(ctx *c, const cJSON *item, void *elem, void *arg)
{
	appctl_group *g = elem;
	size_t i;
	int bad = OK;

	(void)arg;
	if (!appctl_group_name_is_valid(g->name))
		bad = fail(c, "\"%s\" is not a valid group name", g->name);
	if (string_array(c, item, 1, &g->members, &g->member_count))
		bad = BAD;
	for (i = 0; i < g->member_count; i++) {
		const char *m = g->members[i];
		int nested;
		size_t mark;

		if (!m)
			continue;
		nested = strncmp(m, "group:", 6) == 0;
		if (!nested && appctl_principal_is_valid(m))
			continue;
		mark = push_index(c, i);
		if (nested)
			bad = fail(c, "groups cannot contain groups (\"%s\")", m);
		else
			bad = fail(c, "\"%s\" is not a valid principal", m);
		pop(c, mark);
	}
	if (bad)
		return BAD;
	/* Membership is asked for every principal of every app: keep it O(log n). */
	g->sorted_members = appctl_arena_calloc(c->arena, g->member_count,
		sizeof(*g->sorted_members));
	if (!g->sorted_members)
		return nomem_at(c);
	if (g->member_count)
		memcpy(g->sorted_members, g->members,
			g->member_count * sizeof(*g->members));
	qsort(g->sorted_members, g->member_count, sizeof(*g->sorted_members),
		name_cmp);
	return OK;
}

static int parse_required(ctx *c, const cJSON *item, appctl_policy *p)
{
	const cJSON *child;
	int bad = OK, i;

	if (expect_object(c, item))
		return BAD;
	for (child = item->child; child; child = child->next) {
		size_t mark = push_key(c, child->string);
		int64_t v;

		i = name_index(child->string, appctl_class_names);
		if (i < 0)
			bad = fail_unknown(c, "class", child->string,
				appctl_class_names);
		else if (!appctl_json_integer(child, &v) || v < 0 || v > 1000)
			bad = fail(c, "expected an integer from 0 to 1000");
		else
			p->required[i] = v;
		pop(c, mark);
	}
	return bad;
}

static int parse_rule(ctx *c, const cJSON *item, void *elem, size_t index)
{
	static const char *const keys[] = { "when", "group", "count", NULL };
	appctl_rule *r = elem;
	const char *when;
	int bad, has, i;

	(void)index;
	if (expect_object(c, item))
		return BAD;
	bad = check_keys(c, item, keys);
	bad |= req_string(c, item, "when", &when);
	bad |= req_string(c, item, "group", &r->group);
	if (opt_integer(c, item, "count", 1, 1000, &has, &r->count))
		bad = BAD;
	else if (!has)
		bad = fail(c, "missing required field \"count\"");
	if (!when)
		return BAD;
	if ((i = name_index(when, when_names)) >= 0) {
		r->when = (appctl_rule_when)i;
		return bad;
	}
	{
		size_t mark = push_key(c, "when");

		fail_unknown(c, "rule kind", when, when_names);
		pop(c, mark);
	}
	return BAD;
}

static int parse_approvals(ctx *c, const cJSON *item, appctl_policy *p)
{
	static const char *const keys[] = { "required", "rules", "approvers",
		"allow_self_approval", "require_signature", NULL };
	const cJSON *sub;
	size_t mark;
	int bad;

	if (expect_object(c, item))
		return BAD;
	bad = check_keys(c, item, keys);
	bad |= opt_bool(c, item, "allow_self_approval", &p->allow_self_approval);
	bad |= opt_bool(c, item, "require_signature", &p->require_signature);
	if ((sub = appctl_json_get(item, "required"))) {
		mark = push_key(c, "required");
		bad |= parse_required(c, sub, p);
		pop(c, mark);
	}
	if ((sub = appctl_json_get(item, "approvers"))) {
		mark = push_key(c, "approvers");
		bad |= parse_members(c, sub, 1, 0, &p->approvers,
			&p->approver_count);
		pop(c, mark);
	}
	bad |= object_array(c, item, "rules", sizeof(appctl_rule), parse_rule,
		(void **)&p->rules, &p->rule_count);
	return bad;
}

static int parse_notify_entry(ctx *c, const cJSON *item, void *elem,
	size_t index)
{
	static const char *const keys[] = { "url", "events", "secret",
		"timeout_s", NULL };
	static const char *const event_names[] = { "approve", "promote",
		"rollback", "break_glass", NULL };
	appctl_notify *n = elem;
	const char **events;
	size_t count, i;
	int bad, k;

	(void)index;
	if (expect_object(c, item))
		return BAD;
	bad = check_keys(c, item, keys);
	bad |= req_string(c, item, "url", &n->url);
	bad |= opt_string(c, item, "secret", &n->secret);
	bad |= opt_integer(c, item, "timeout_s", 1, 300, &n->has_timeout,
		&n->timeout_s);
	if (opt_string_array(c, item, "events", 1, &events, &count))
		return BAD;
	if (!appctl_json_get(item, "events")) {
		n->events = APPCTL_NOTIFY_PROMOTE | APPCTL_NOTIFY_ROLLBACK;
		return bad;
	}
	for (i = 0; i < count; i++) {
		if ((k = name_index(events[i], event_names)) < 0) {
			size_t mark = push_key(c, "events");

			push_index(c, i);
			bad = fail_unknown(c, "event", events[i], event_names);
			pop(c, mark);
			continue;
		}
		n->events |= 1u << k;
	}
	return bad;
}

/*
 * A freeze window's bound: checked here, so that a typo shows at validate
 * time and not only when a promotion meets the window.
 */
static int freeze_time(ctx *c, const char *key, const char *value)
{
	int64_t t;
	int date_only;

	if (!value || appctl_time_parse(&t, &date_only, value) == 0)
		return OK;
	fail_at_key(c, key, "\"%s\" is not an ISO date or date-time "
		"(YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z])", value);
	return BAD;
}

static int parse_freeze_entry(ctx *c, const cJSON *item, void *elem,
	size_t index)
{
	static const char *const keys[] = { "envs", "from", "to", "reason", NULL };
	appctl_freeze *f = elem;
	int bad;

	(void)index;
	if (expect_object(c, item))
		return BAD;
	bad = check_keys(c, item, keys);
	bad |= opt_string_array(c, item, "envs", 1, &f->envs, &f->env_count);
	bad |= req_string(c, item, "from", &f->from);
	bad |= freeze_time(c, "from", f->from);
	bad |= req_string(c, item, "to", &f->to);
	bad |= freeze_time(c, "to", f->to);
	bad |= opt_string(c, item, "reason", &f->reason);
	if (!appctl_json_get(item, "envs"))
		bad = fail(c, "missing required field \"envs\"");
	return bad;
}

static int parse_environments(ctx *c, const cJSON *root, appctl_policy *p)
{
	size_t i, mark;
	int bad;

	if (!appctl_json_get(root, "environments"))
		return fail(c, "missing required field \"environments\"");
	bad = opt_string_array(c, root, "environments", 1, &p->environments,
		&p->environment_count);
	if (!appctl_json_get(root, "environments")->child && !bad) {
		fail_at_key(c, "environments", "must name at least one environment");
		return BAD;
	}
	mark = push_key(c, "environments");
	for (i = 0; i < p->environment_count; i++) {
		if (p->environments[i] &&
		    !appctl_env_name_is_valid(p->environments[i])) {
			size_t inner = push_index(c, i);

			bad = fail(c, "\"%s\" is not a valid environment name "
				"([a-z0-9][a-z0-9-]{0,62})", p->environments[i]);
			pop(c, inner);
		}
	}
	pop(c, mark);
	return bad;
}

/* An optional object member with a closed set of keys; *out is the object. */
static int parse_small_object(ctx *c, const cJSON *root, const char *key,
	const char *const *keys, const cJSON **out)
{
	size_t mark;
	int bad;

	*out = appctl_json_get(root, key);
	if (!*out)
		return OK;
	mark = push_key(c, key);
	if (expect_object(c, *out)) {
		*out = NULL;
		pop(c, mark);
		return BAD;
	}
	bad = check_keys(c, *out, keys);
	pop(c, mark);
	return bad;
}

/* Paths appctl.json names are read from git trees: inside the repository only. */
static int repo_path_is_valid(const char *path)
{
	return path[0] != '/' && !strstr(path, "..") && !strchr(path, '\\');
}

static int check_repo_path(ctx *c, const char *path)
{
	if (repo_path_is_valid(path))
		return OK;
	return fail(c, "\"%s\" must be a path inside the repository", path);
}

/* "groups_from": one path or a list of paths of SCIM exports. */
static int parse_groups_from(ctx *c, const cJSON *root, appctl_policy *p)
{
	const cJSON *item = appctl_json_get(root, "groups_from");
	size_t mark, i;
	int bad = OK;

	if (!item)
		return OK;
	mark = push_key(c, "groups_from");
	if (cJSON_IsString(item)) {
		p->groups_from = appctl_arena_calloc(c->arena, 1, sizeof(char *));
		if (!p->groups_from)
			bad = nomem_at(c);
		else if (!(bad = string_value(c, item, &p->groups_from[0])))
			p->groups_from_count = 1;
	} else if (!cJSON_IsArray(item)) {
		bad = fail(c, "expected a path or an array of paths, found %s",
			type_name(item));
	} else {
		bad = string_array(c, item, 1, &p->groups_from,
			&p->groups_from_count);
	}
	for (i = 0; i < p->groups_from_count; i++) {
		size_t inner = cJSON_IsArray(item) ? push_index(c, i) : c->path.len;

		if (p->groups_from[i] && check_repo_path(c, p->groups_from[i]))
			bad = BAD;
		pop(c, inner);
	}
	pop(c, mark);
	return bad;
}

static int parse_role_template(ctx *c, const cJSON *item, void *elem,
	void *arg)
{
	static const char *const keys[] = { "actions", "description", NULL };
	appctl_role_template *t = elem;
	const char **actions;
	size_t n, i;
	int bad;

	(void)arg;
	if (expect_object(c, item))
		return BAD;
	bad = check_keys(c, item, keys);
	bad |= opt_string(c, item, "description", &t->description);
	if (!appctl_json_get(item, "actions"))
		return fail(c, "missing required field \"actions\"");
	if (opt_string_array(c, item, "actions", 1, &actions, &n))
		return BAD;
	/* A role that may do nothing is no template: new apps could not use it. */
	if (n == 0) {
		size_t mark = push_key(c, "actions");

		bad = fail(c, "must list at least one action");
		pop(c, mark);
	}
	for (i = 0; i < n; i++) {
		unsigned bit = appctl_action_parse(actions[i]);

		if (!bit) {
			size_t mark = push_key(c, "actions");

			push_index(c, i);
			bad = fail_unknown(c, "action", actions[i], action_names);
			pop(c, mark);
			continue;
		}
		t->actions |= bit;
	}
	return bad;
}

/* "role_templates": { class: { role: {actions, description} } }. */
static int parse_role_templates(ctx *c, const cJSON *root, appctl_policy *p)
{
	const cJSON *item = appctl_json_get(root, "role_templates"), *child;
	size_t mark;
	int bad = OK, i;

	if (!item)
		return OK;
	p->has_role_templates = 1;
	mark = push_key(c, "role_templates");
	if (expect_object(c, item)) {
		pop(c, mark);
		return BAD;
	}
	for (child = item->child; child; child = child->next) {
		if ((i = name_index(child->string, appctl_class_names)) < 0) {
			size_t inner = push_key(c, child->string);

			bad = fail_unknown(c, "class", child->string,
				appctl_class_names);
			pop(c, inner);
			continue;
		}
		bad |= named_entries(c, item, child->string, 1,
			sizeof(appctl_role_template), parse_role_template, NULL,
			(void **)&p->role_templates[i],
			&p->role_template_count[i]);
	}
	pop(c, mark);
	return bad;
}

/* The lint rule ids, NULL-terminated, for suggestions (arena memory). */
static const char *const *lint_rule_names(ctx *c)
{
	const appctl_lint_rule *rules;
	const char **names;
	size_t n, i;

	rules = appctl_lint_rules(&n);
	names = appctl_arena_calloc(c->arena, n + 1, sizeof(*names));
	if (!names)
		return NULL;
	for (i = 0; i < n; i++)
		names[i] = rules[i].id;
	return names;
}

static int parse_lint_override(ctx *c, const cJSON *item, void *elem,
	void *arg)
{
	static const char *const keys[] = { "severity", "justification", NULL };
	static const char *const levels[] = { "off", "warning", "error", NULL };
	const char *const *rule_names = arg;
	appctl_lint_override *o = elem;
	int bad = OK, level;

	if (!appctl_lint_rule_find(o->rule)) {
		const char *hint = rule_names && c->error_count < MAX_ERRORS
			? appctl_suggest(o->rule, rule_names) : NULL;

		if (hint)
			bad = fail(c, "unknown lint rule \"%s\" (did you mean "
				"\"%s\"?)", o->rule, hint);
		else
			bad = fail(c, "unknown lint rule \"%s\" (see 'appctl "
				"validate --rules')", o->rule);
	}
	if (expect_object(c, item))
		return BAD;
	bad |= check_keys(c, item, keys);
	bad |= req_string(c, item, "justification", &o->justification);
	if (!appctl_json_get(item, "severity"))
		return fail(c, "missing required field \"severity\"");
	if (opt_enum(c, item, "severity", "value", levels, &level))
		return BAD;
	o->level = (appctl_lint_level)level;
	return bad;
}

/* "lint": the organisation's own settings of the security lint. */
static int parse_lint_settings(ctx *c, const cJSON *root, appctl_policy *p)
{
	static const char *const keys[] = { "rules", "broad_scopes",
		"integration_name_pattern", "admin_panel_max_writers", NULL };
	const cJSON *item = appctl_json_get(root, "lint");
	const char *const *rule_names;
	size_t mark;
	int bad;

	if (!item)
		return OK;
	mark = push_key(c, "lint");
	if (expect_object(c, item)) {
		pop(c, mark);
		return BAD;
	}
	if (!(rule_names = lint_rule_names(c)))
		bad = nomem_at(c);
	else
		bad = check_keys(c, item, keys);
	bad |= named_entries(c, item, "rules", 0, sizeof(appctl_lint_override),
		parse_lint_override, (void *)rule_names,
		(void **)&p->lint_overrides, &p->lint_override_count);
	bad |= opt_string_array(c, item, "broad_scopes", 1, &p->broad_scopes,
		&p->broad_scope_count);
	bad |= opt_integer(c, item, "admin_panel_max_writers", 0, 1000000,
		&p->has_admin_panel_max_writers, &p->admin_panel_max_writers);
	bad |= opt_string(c, item, "integration_name_pattern",
		&p->integration_name_pattern);
	if (p->integration_name_pattern) {
		regex_t re;

		if (regcomp(&re, p->integration_name_pattern,
			    REG_EXTENDED | REG_NOSUB) != 0) {
			fail_at_key(c, "integration_name_pattern", "\"%s\" is not a "
				"valid POSIX extended regular expression",
				p->integration_name_pattern);
			bad = BAD;
		} else {
			regfree(&re);
		}
	}
	pop(c, mark);
	return bad;
}

/* Parses the policy in `root`; errors are collected in `c`. */
static void parse_policy_root(ctx *c, const cJSON *root, appctl_policy *p)
{
	static const char *const keys[] = { "$schema", "appctl",
		"environments", "groups", "signers", "approvals", "rollback",
		"notify", "break_glass", "freeze", "description", "groups_from",
		"role_templates", "lint", NULL };
	static const char *const rollback_keys[] = { "required", NULL };
	static const char *const glass_keys[] = { "group", "count", NULL };
	const cJSON *sub;
	int64_t version;
	int has;

	if (expect_object(c, root))
		return;
	check_keys(c, root, keys);
	if (!opt_integer(c, root, "appctl", 1, 1, &has, &version) && !has)
		fail(c, "missing required field \"appctl\" (the format version, 1)");
	opt_schema_ref(c, root);
	parse_environments(c, root, p);
	named_entries(c, root, "groups", 0, sizeof(appctl_group), parse_group,
		NULL, (void **)&p->groups, &p->group_count);
	if (!opt_string(c, root, "signers", &p->signers) && !p->signers)
		p->signers = "allowed_signers";
	else if (p->signers) {
		size_t mark = push_key(c, "signers");

		check_repo_path(c, p->signers);
		pop(c, mark);
	}
	opt_string(c, root, "description", &p->description);
	parse_groups_from(c, root, p);
	parse_role_templates(c, root, p);
	parse_lint_settings(c, root, p);
	if ((sub = appctl_json_get(root, "approvals"))) {
		size_t mark = push_key(c, "approvals");

		parse_approvals(c, sub, p);
		pop(c, mark);
	}
	parse_small_object(c, root, "rollback", rollback_keys, &sub);
	if (sub) {
		size_t mark = push_key(c, "rollback");

		opt_integer(c, sub, "required", 0, 1000, NULL,
			&p->rollback_required);
		pop(c, mark);
	}
	parse_small_object(c, root, "break_glass", glass_keys, &sub);
	if (sub) {
		size_t mark = push_key(c, "break_glass");

		p->has_break_glass = 1;
		req_string(c, sub, "group", &p->break_glass_group);
		opt_integer(c, sub, "count", 0, 1000, NULL, &p->break_glass_count);
		pop(c, mark);
	}
	object_array(c, root, "notify", sizeof(appctl_notify),
		parse_notify_entry, (void **)&p->notify, &p->notify_count);
	object_array(c, root, "freeze", sizeof(appctl_freeze),
		parse_freeze_entry, (void **)&p->freezes, &p->freeze_count);
}

appctl_error *appctl_policy_parse(appctl_policy **out, appctl_arena *arena,
	const appctl_file *file)
{
	appctl_error *err;
	appctl_policy *p;
	appctl_arena *tree;
	cJSON *root = NULL;
	int i;
	ctx c;

	*out = NULL;
	/* As for an app: the tree in an arena of its own (5 000 members). */
	if (!(tree = appctl_arena_new()))
		return appctl_error_nomem();
	ctx_init(&c, arena, file->path);
	err = appctl_json_parse_arena(&root, tree, file->path, file->data,
		file->len);
	if (err) {
		appctl_strbuf_dispose(&c.path);
		appctl_arena_free(tree);
		return err;
	}
	p = appctl_arena_calloc(arena, 1, sizeof(*p));
	if (!p || !(p->file = appctl_arena_strdup(arena, file->path))) {
		nomem_at(&c);
	} else {
		memcpy(p->blob_id, file->id, sizeof(p->blob_id));
		p->blob_id[40] = '\0';
		/* Defaults: the safe side. One approval per class, signatures required. */
		for (i = 0; i < APPCTL_CLASS_COUNT; i++)
			p->required[i] = 1;
		p->require_signature = 1;
		parse_policy_root(&c, root, p);
	}
	appctl_arena_free(tree);
	err = ctx_finish(&c);
	if (!err)
		*out = p;
	return err;
}

/* ---- snapshot ---- */

static int app_cmp(const void *a, const void *b)
{
	const appctl_app *x = *(const appctl_app *const *)a;
	const appctl_app *y = *(const appctl_app *const *)b;

	return strcmp(x->name, y->name);
}

/*
 * Every file is parsed even after a bad one, so that one run names the
 * errors of all of them: the policy's first, then the apps' in the order
 * given.
 */
appctl_error *appctl_snapshot_parse(appctl_snapshot **out,
	const appctl_file *policy, const appctl_file *signers,
	const appctl_file *apps, const char *const *dirs, size_t app_count)
{
	return appctl_snapshot_parse_ext(out, policy, signers, NULL, 0, apps,
		dirs, app_count);
}

/* The loader of a snapshot without a cache. */
static appctl_error *parse_app(appctl_app **out, appctl_arena *arena,
	const appctl_file *file, const char *dir, void *unused)
{
	(void)unused;
	return appctl_app_parse(out, arena, file, dir);
}

appctl_error *appctl_snapshot_parse_ext(appctl_snapshot **out,
	const appctl_file *policy, const appctl_file *signers,
	const appctl_file *groups_from, size_t groups_from_count,
	const appctl_file *apps, const char *const *dirs, size_t app_count)
{
	return appctl_snapshot_parse_with(out, policy, signers, groups_from,
		groups_from_count, apps, dirs, app_count, parse_app, NULL);
}

appctl_error *appctl_snapshot_parse_with(appctl_snapshot **out,
	const appctl_file *policy, const appctl_file *signers,
	const appctl_file *groups_from, size_t groups_from_count,
	const appctl_file *apps, const char *const *dirs, size_t app_count,
	appctl_app_load_fn load, void *load_ctx)
{
	appctl_snapshot *snap;
	appctl_error *err = NULL;
	size_t i;

	*out = NULL;
	snap = calloc(1, sizeof(*snap));
	if (!snap || !(snap->arena = appctl_arena_new())) {
		free(snap);
		return appctl_error_nomem();
	}
	err = appctl_policy_parse(&snap->policy, snap->arena, policy);
	if (err == appctl_error_nomem())
		goto fail;
	/* The identity provider's groups join appctl.json's (scim.h). */
	if (snap->policy) {
		err = appctl_error_append(err, appctl_policy_merge_scim(
			snap->policy, snap->arena, groups_from,
			groups_from_count));
		if (err == appctl_error_nomem())
			goto fail;
	}
	if (!snap->policy) {
		/* No policy to name the signers file: go on with the apps. */
	} else if (!signers) {
		err = appctl_error_input(snap->policy->signers, NULL,
			"allowed-signers file named by appctl.json is missing");
		goto fail;
	} else if (signers->len > APPCTL_JSON_MAX_BYTES) {
		err = appctl_error_input(signers->path, NULL,
			"file is %zu bytes, over the 16 MiB limit", signers->len);
		goto fail;
	} else if (appctl_utf8_invalid_at(signers->data, signers->len)) {
		err = appctl_error_input(signers->path, NULL,
			"not valid UTF-8 text (or contains a NUL byte)");
		goto fail;
	} else {
		snap->signers_text = appctl_arena_strndup(snap->arena,
			signers->data, signers->len);
		snap->signers_len = signers->len;
		memcpy(snap->signers_id, signers->id, sizeof(snap->signers_id));
		snap->signers_id[40] = '\0';
		if (!snap->signers_text) {
			err = appctl_error_nomem();
			goto fail;
		}
	}
	snap->apps = appctl_arena_calloc(snap->arena, app_count,
		sizeof(*snap->apps));
	if (!snap->apps) {
		err = appctl_error_append(err, appctl_error_nomem());
		goto fail;
	}
	for (i = 0; i < app_count; i++) {
		err = appctl_error_append(err, load(&snap->apps[i],
			snap->arena, &apps[i], dirs[i], load_ctx));
		if (err == appctl_error_nomem())
			goto fail;
	}
	/* Every app is here: someone will ask about access in bulk. */
	if (!err && appctl_policy_index_members(snap->policy, snap->arena) != 0)
		err = appctl_error_nomem();
	if (err)
		goto fail;
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
