/* scim.c: SCIM 2.0 ListResponse exports of groups, read strictly and merged into the policy. */
#include "appctl/scim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/json.h"
#include "appctl/strbuf.h"

#define SCIM_LIST "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define SCIM_GROUP "urn:ietf:params:scim:schemas:core:2.0:Group"
#define SCIM_USER "urn:ietf:params:scim:schemas:core:2.0:User"

/* A resource by id: Users and Groups are looked up once per member. */
typedef struct scim_id {
	const char *id;
	const cJSON *item;
	int is_group;
} scim_id;

typedef struct scim_ctx {
	appctl_arena *arena;
	const char *file;
	const cJSON *resources;
	scim_id *ids;           /* sorted by id, then Users first */
	size_t id_count;
} scim_ctx;

/*
 * An input error at "$.Resources[i]" (resource >= 0) plus an optional key
 * and index; `fmt` has exactly one %s, filled with `value` (cut when long).
 */
static appctl_error *scim_fail(const scim_ctx *c, long resource,
	const char *key, long index, const char *fmt, const char *value)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT, msg = APPCTL_STRBUF_INIT;
	appctl_error *err;

	appctl_strbuf_puts(&path, "$");
	if (resource >= 0) {
		appctl_json_path_key(&path, "Resources");
		appctl_json_path_index(&path, (size_t)resource);
	}
	if (key)
		appctl_json_path_key(&path, key);
	if (index >= 0)
		appctl_json_path_index(&path, (size_t)index);
	/* Values come from outside: cut long ones so one line stays one line. */
	if (value && strlen(value) > 80)
		appctl_strbuf_printf(&msg, fmt, "(a long value)");
	else
		appctl_strbuf_printf(&msg, fmt, value ? value : "");
	if (path.failed || msg.failed)
		err = appctl_error_nomem();
	else
		err = appctl_error_input(c->file, path.ptr, "%s", msg.ptr);
	appctl_strbuf_dispose(&path);
	appctl_strbuf_dispose(&msg);
	return err;
}

/* True when the "schemas" array of `obj` lists `urn`. */
static int has_schema(const cJSON *obj, const char *urn)
{
	const cJSON *schemas = appctl_json_get(obj, "schemas"), *s;

	if (!cJSON_IsArray(schemas))
		return 0;
	cJSON_ArrayForEach(s, schemas)
		if (cJSON_IsString(s) && strcmp(s->valuestring, urn) == 0)
			return 1;
	return 0;
}

static const char *get_string(const cJSON *obj, const char *key)
{
	const cJSON *v = appctl_json_get(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int appctl_scim_group_name(char *buf, size_t len, const char *display_name)
{
	size_t n = 0;
	const char *p;
	int dash = 0;

	if (len < 64)
		return -1;
	for (p = display_name; *p; p++) {
		char ch = *p;

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '_' || ch == '-') {
			if (dash && n > 0) {
				if (n >= 63)
					return -1;
				buf[n++] = '-';
			}
			dash = 0;
			if (n == 0 && (ch == '.' || ch == '_' || ch == '-'))
				continue;
			if (n >= 63)
				return -1;
			buf[n++] = ch;
		} else {
			dash = 1;
		}
	}
	while (n > 0 && strchr(".-_", buf[n - 1]))
		n--;
	buf[n] = '\0';
	return n > 0 && appctl_group_name_is_valid(buf) ? 0 : -1;
}

/* Lowercased copy of `s` in arena memory when it is a valid principal. */
static const char *as_principal(appctl_arena *arena, const char *s)
{
	char *copy, *p;

	if (!s || !appctl_principal_is_valid(s))
		return NULL;
	copy = appctl_arena_strdup(arena, s);
	for (p = copy; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return copy;
}

static int scim_id_cmp(const void *a, const void *b)
{
	const scim_id *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c ? c : x->is_group - y->is_group;
}

/*
 * Indexes the Users and Groups of the file by id, so that naming every
 * member costs a binary search: a 16 MiB export must not take quadratic
 * time.
 */
static appctl_error *index_ids(scim_ctx *c)
{
	const cJSON *r;
	size_t n = 0;

	c->ids = appctl_arena_calloc(c->arena,
		(size_t)cJSON_GetArraySize(c->resources) + 1, sizeof(*c->ids));
	if (!c->ids)
		return appctl_error_nomem();
	cJSON_ArrayForEach(r, c->resources) {
		const char *id = get_string(r, "id");
		int group = has_schema(r, SCIM_GROUP);

		if (!id || (!group && !has_schema(r, SCIM_USER)))
			continue;
		c->ids[n].id = id;
		c->ids[n].item = r;
		c->ids[n].is_group = group;
		n++;
	}
	qsort(c->ids, n, sizeof(*c->ids), scim_id_cmp);
	c->id_count = n;
	return NULL;
}

/* The first User (want_group 0) or Group (1) with id `id`, or NULL. */
static const cJSON *resource_by_id(const scim_ctx *c, const char *id,
	int want_group)
{
	size_t lo = 0, hi = c->id_count;
	scim_id key;

	key.id = id;
	key.is_group = want_group;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (scim_id_cmp(&c->ids[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->id_count && strcmp(c->ids[lo].id, id) == 0 &&
	    c->ids[lo].is_group == want_group)
		return c->ids[lo].item;
	return NULL;
}

/* A member's principal with its position, for finding duplicates by sorting. */
typedef struct seen_member {
	const char *who;
	size_t at;
} seen_member;

static int seen_cmp(const void *a, const void *b)
{
	const seen_member *x = a, *y = b;
	int c = strcmp(x->who, y->who);

	return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* The principal a User resource stands for, or NULL. */
static const char *user_principal(const scim_ctx *c, const cJSON *user)
{
	const cJSON *emails = appctl_json_get(user, "emails"), *e;
	const char *p = as_principal(c->arena, get_string(user, "userName"));

	if (p || !cJSON_IsArray(emails))
		return p;
	cJSON_ArrayForEach(e, emails) {
		const cJSON *primary = appctl_json_get(e, "primary");

		if (cJSON_IsTrue(primary) &&
		    (p = as_principal(c->arena, get_string(e, "value"))))
			return p;
	}
	cJSON_ArrayForEach(e, emails)
		if ((p = as_principal(c->arena, get_string(e, "value"))))
			return p;
	return NULL;
}

static appctl_error *parse_members(const scim_ctx *c, appctl_scim_group *g,
	const cJSON *group, long at)
{
	const cJSON *members = appctl_json_get(group, "members"), *m;
	seen_member *seen;
	unsigned char *drop;
	size_t n = 0, i;
	long k = 0;

	if (!members)
		return NULL;
	if (!cJSON_IsArray(members))
		return scim_fail(c, at, "members", -1, "expected an array%s", "");
	g->members = appctl_arena_calloc(c->arena,
		(size_t)cJSON_GetArraySize(members) + 1, sizeof(char *));
	if (!g->members)
		return appctl_error_nomem();
	for (m = members->child; m; m = m->next, k++) {
		const char *value = get_string(m, "value"), *type, *who = NULL;
		const cJSON *user;

		if (!cJSON_IsObject(m) || !value)
			return scim_fail(c, at, "members", k,
				"expected an object with a string \"value\"%s", "");
		type = get_string(m, "type");
		if ((type && strcmp(type, "Group") == 0) ||
		    resource_by_id(c, value, 1))
			return scim_fail(c, at, "members", k,
				"nested group \"%s\" is not supported: export "
				"groups with their members flattened", value);
		user = resource_by_id(c, value, 0);
		if (user)
			who = user_principal(c, user);
		if (!who)
			who = as_principal(c->arena, get_string(m, "display"));
		if (!who)
			who = as_principal(c->arena, value);
		if (!who)
			return scim_fail(c, at, "members", k,
				"cannot tell who member \"%s\" is: no User "
				"resource with a userName or e-mail, and neither "
				"display nor value is an e-mail-like principal",
				value);
		g->members[n++] = who;
	}
	/* Duplicates once, the first kept, in O(n log n). */
	seen = appctl_arena_calloc(c->arena, n + 1, sizeof(*seen));
	drop = appctl_arena_calloc(c->arena, n + 1, 1);
	if (!seen || !drop)
		return appctl_error_nomem();
	for (i = 0; i < n; i++) {
		seen[i].who = g->members[i];
		seen[i].at = i;
	}
	qsort(seen, n, sizeof(*seen), seen_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(seen[i].who, seen[i - 1].who) == 0)
			drop[seen[i].at] = 1;
	for (i = 0, k = 0; i < n; i++)
		if (!drop[i])
			g->members[k++] = g->members[i];
	g->member_count = (size_t)k;
	return NULL;
}

static int group_index_cmp(const void *a, const void *b)
{
	const appctl_scim_group *const *x = a, *const *y = b;
	int c = strcmp((*x)->name, (*y)->name);

	return c ? c : ((*x)->index > (*y)->index) - ((*x)->index < (*y)->index);
}

/* Two groups with one appctl name: the later one is the error. */
static appctl_error *check_unique_names(const scim_ctx *c,
	appctl_scim_group *groups, size_t n)
{
	appctl_scim_group **sorted;
	size_t i;

	sorted = appctl_arena_calloc(c->arena, n + 1, sizeof(*sorted));
	if (!sorted)
		return appctl_error_nomem();
	for (i = 0; i < n; i++)
		sorted[i] = &groups[i];
	qsort(sorted, n, sizeof(*sorted), group_index_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(sorted[i]->name, sorted[i - 1]->name) == 0)
			return scim_fail(c, (long)sorted[i]->index, "displayName",
				-1, "a second group named \"%s\" in this file",
				sorted[i]->name);
	return NULL;
}

appctl_error *appctl_scim_parse(appctl_scim_group **out, size_t *count,
	appctl_arena *arena, const appctl_file *file)
{
	appctl_error *err = NULL;
	cJSON *root = NULL;
	const cJSON *r;
	appctl_scim_group *groups = NULL;
	scim_ctx c;
	size_t n = 0;
	long at = 0;

	*out = NULL;
	*count = 0;
	memset(&c, 0, sizeof(c));
	c.arena = arena;
	c.file = file->path;
	err = appctl_json_parse(&root, file->path, file->data, file->len);
	if (err)
		return err;
	if (!cJSON_IsObject(root) || !has_schema(root, SCIM_LIST)) {
		err = scim_fail(&c, -1, "schemas", -1, "not a SCIM 2.0 "
			"ListResponse (\"schemas\" must list " SCIM_LIST ")%s", "");
		goto done;
	}
	c.resources = appctl_json_get(root, "Resources");
	if (!c.resources)
		goto done;  /* an IdP with no groups exports no Resources */
	if (!cJSON_IsArray(c.resources)) {
		err = scim_fail(&c, -1, "Resources", -1, "expected an array%s", "");
		goto done;
	}
	err = index_ids(&c);
	if (err)
		goto done;
	groups = appctl_arena_calloc(arena,
		(size_t)cJSON_GetArraySize(c.resources) + 1, sizeof(*groups));
	if (!groups) {
		err = appctl_error_nomem();
		goto done;
	}
	for (r = c.resources->child; r; r = r->next, at++) {
		const char *display;
		char name[64];

		if (!cJSON_IsObject(r)) {
			err = scim_fail(&c, at, NULL, -1, "expected an object%s", "");
			goto done;
		}
		if (!has_schema(r, SCIM_GROUP))
			continue;  /* Users name members; other resources are not ours */
		display = get_string(r, "displayName");
		if (!display) {
			err = scim_fail(&c, at, "displayName", -1,
				"a Group needs a string displayName%s", "");
			goto done;
		}
		if (appctl_scim_group_name(name, sizeof(name), display) < 0)
			continue;  /* nothing could reference it (see scim.h) */
		groups[n].name = appctl_arena_strdup(arena, name);
		groups[n].display_name = appctl_arena_strdup(arena, display);
		groups[n].index = (size_t)at;
		if (!groups[n].name || !groups[n].display_name) {
			err = appctl_error_nomem();
			goto done;
		}
		err = parse_members(&c, &groups[n], r, at);
		if (err)
			goto done;
		n++;
	}
	err = check_unique_names(&c, groups, n);
	if (err)
		goto done;
	*out = groups;
	*count = n;
done:
	cJSON_Delete(root);
	return err;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}


/* A merged group with its place, for a stable sort. */
typedef struct ordered_group {
	appctl_group g;
	size_t seq;
	size_t index;
} ordered_group;

static int ordered_cmp(const void *a, const void *b)
{
	const ordered_group *x = a, *y = b;
	int c = strcmp(x->g.name, y->g.name);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

appctl_error *appctl_policy_merge_scim(appctl_policy *policy,
	appctl_arena *arena, const appctl_file *files, size_t count)
{
	appctl_scim_group **parsed = NULL;
	size_t *parsed_count = NULL, total = policy->group_count, f, i, k, n;
	size_t *origin_index;
	appctl_error *err = NULL;
	appctl_group *merged;
	ordered_group *order;

	if (!policy->groups_from_count)
		return NULL;
	parsed = appctl_arena_calloc(arena, policy->groups_from_count,
		sizeof(*parsed));
	parsed_count = appctl_arena_calloc(arena, policy->groups_from_count,
		sizeof(*parsed_count));
	if (!parsed || !parsed_count)
		return appctl_error_nomem();
	for (f = 0; f < policy->groups_from_count; f++) {
		const appctl_file *file = NULL;

		for (i = 0; i < count; i++)
			if (strcmp(files[i].path, policy->groups_from[f]) == 0)
				file = &files[i];
		if (!file)
			return appctl_error_input(policy->groups_from[f], NULL,
				"no such file (appctl.json names it in "
				"\"groups_from\")");
		/* The same file named twice is read once. */
		for (i = 0; i < f; i++)
			if (strcmp(policy->groups_from[i],
				   policy->groups_from[f]) == 0)
				break;
		if (i < f)
			continue;
		err = appctl_scim_parse(&parsed[f], &parsed_count[f], arena, file);
		if (err)
			return err;
		total += parsed_count[f];
	}
	merged = appctl_arena_calloc(arena, total + 1, sizeof(*merged));
	origin_index = appctl_arena_calloc(arena, total + 1, sizeof(size_t));
	if (!merged || !origin_index)
		return appctl_error_nomem();
	if (policy->group_count)
		memcpy(merged, policy->groups,
			policy->group_count * sizeof(*merged));
	n = policy->group_count;
	for (f = 0; f < policy->groups_from_count; f++) {
		for (k = 0; k < parsed_count[f]; k++) {
			const appctl_scim_group *sg = &parsed[f][k];
			appctl_group *g;

			origin_index[n] = sg->index;
			g = &merged[n++];
			g->name = sg->name;
			g->members = sg->members;
			g->member_count = sg->member_count;
			g->source = policy->groups_from[f];
			g->sorted_members = appctl_arena_calloc(arena,
				sg->member_count + 1, sizeof(char *));
			if (!g->sorted_members)
				return appctl_error_nomem();
			if (sg->member_count)
				memcpy(g->sorted_members, sg->members,
					sg->member_count * sizeof(char *));
			qsort(g->sorted_members, sg->member_count,
				sizeof(char *), str_cmp);
		}
	}
	/*
	 * Sorted (stably: appctl.json first, then the exports in order), a
	 * group defined twice shows as two neighbours: one source each.
	 */
	order = appctl_arena_calloc(arena, n + 1, sizeof(*order));
	if (!order)
		return appctl_error_nomem();
	for (i = 0; i < n; i++) {
		order[i].g = merged[i];
		order[i].seq = i;
		order[i].index = origin_index[i];
	}
	qsort(order, n, sizeof(*order), ordered_cmp);
	for (i = 1; i < n; i++) {
		const ordered_group *a = &order[i - 1], *b = &order[i];
		char path[64];

		if (strcmp(a->g.name, b->g.name) != 0)
			continue;
		(void)snprintf(path, sizeof(path), "$.Resources[%zu]", b->index);
		return appctl_error_input(b->g.source, path, "group \"%s\" is "
			"also defined in %s: a group has one source", b->g.name,
			a->g.source ? a->g.source : "appctl.json");
	}
	for (i = 0; i < n; i++)
		merged[i] = order[i].g;
	policy->groups = merged;
	policy->group_count = n;
	/* An index of the groups before would lie now: it is built again. */
	policy->memberships = NULL;
	policy->membership_count = 0;
	return NULL;
}
