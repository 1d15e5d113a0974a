/* model_fast.c: app.json straight into the model, no JSON tree, for the files that need no error reported. */
#include "json_internal.h"
#include "model_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Why a second reader: most app files read are correct, and for those the
 * tree of the full parse (model_parse.c) is built only to be walked once
 * and freed; with it go a strcmp per key lookup and a copy of every string.
 * This file reads the grammar of a correct app.json and nothing else, in
 * one pass: each value is checked as the full parse checks it and stored
 * where the full parse would store it. At the first thing it does not
 * expect (any error, but also an escape, a number with a fraction, a
 * literal), it gives up and the full parse runs from scratch, so error
 * messages, their paths and their order have one author. What this file
 * must get right is only that it never accepts what the full parse refuses,
 * and builds, for what it accepts, the same model: same values, same order,
 * same NULL or empty arrays (the model cache encodes that difference).
 * test_model_fast.c and fuzz_model_fast compare the two on every input.
 *
 * What the full parse checks before any schema rule, and how this file
 * keeps it: the 16 MiB limit (checked first); UTF-8 without NUL (bytes
 * outside strings are ASCII grammar, strings with bytes of 0x80 and up are
 * checked as the precheck checks the file, and bytes below 0x20 end the
 * attempt); "\u" escapes (no escape is read: pages, the one place of free
 * JSON, go through appctl_json_parse_arena, precheck included); nesting
 * (this grammar is 6 levels deep, and a page, 3 levels down, may nest
 * 62 more); duplicate keys (a closed object remembers the keys it saw;
 * named entries are sorted anyway and compared with their neighbour).
 */

typedef struct fast {
	const unsigned char *p;
	const unsigned char *end;
	appctl_arena *arena;
	appctl_arena *pages;     /* page trees, made on the first page */
	const char *file;
	/*
	 * Elements of the collections being read, stacked: a collection's
	 * elements sit above its parent's, and are copied into the arena and
	 * popped once it is complete. Only offsets are kept across reads, as a
	 * nested collection may move the buffer.
	 */
	unsigned char *stack;
	size_t top, cap;
} fast;

/* Every reader returns 1 when it read its part, 0 when it gives up. */

/* Eight bytes at a time: a quarter of a pretty-printed file is indentation. */
#define ONES 0x0101010101010101ull

static uint64_t load8(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void ws(fast *f)
{
	const unsigned char *p = f->p, *end = f->end;

	/* Most calls meet a token at once: one compare sends them back. */
	while (p < end && *p <= ' ') {
		if (*p == '\n') {
			p++;
			while (end - p >= 8 && load8(p) == ONES * ' ')
				p += 8;
		} else if (*p == ' ' || *p == '\t' || *p == '\r') {
			p++;
		} else {
			break;
		}
	}
	f->p = p;
}

static int take(fast *f, unsigned char ch)
{
	ws(f);
	if (f->p == f->end || *f->p != ch)
		return 0;
	f->p++;
	return 1;
}

/* A string without escapes: its bytes in the text, not NUL-terminated. */
static int text(fast *f, const char **s, size_t *n)
{
	const unsigned char *p, *start;
	int high = 0;

	if (!take(f, '"'))
		return 0;
	start = p = f->p;
	/* An escape or a control character ends it too: the full parse decides. */
	p += appctl_json_plain_run(p, f->end, &high);
	if (p == f->end || *p != '"')
		return 0;
	if (high && appctl_utf8_invalid_at((const char *)start,
			    (size_t)(p - start)) != 0)
		return 0;
	*s = (const char *)start;
	*n = (size_t)(p - start);
	f->p = p + 1;
	return 1;
}

/* A non-empty string value, copied into the arena. */
static int string(fast *f, const char **out)
{
	const char *s;
	size_t n;

	if (!text(f, &s, &n) || n == 0)
		return 0;
	return (*out = appctl_arena_strndup(f->arena, s, n)) != NULL;
}

/*
 * True when `name` (NUL-terminated) is the `n` bytes at `s`, none of them
 * NUL (text() takes no control byte). Inline: keys and actions are a few
 * bytes, and libc's strncmp spent more setting up than comparing, 4 % of
 * a cold diff's time. A shorter `name` stops the loop at its NUL, which
 * no byte of `s` equals.
 */
static inline int spells(const char *name, const char *s, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (name[k] != s[k])
			return 0;
	return name[n] == '\0';
}

/* The index of `s` in the NULL-terminated `names`, or -1. */
static int index_of(const char *s, size_t n, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (n && names[i][0] == s[0] && spells(names[i], s, n))
			return i;
	return -1;
}

/* A string that must be one of `names`. */
static int choice(fast *f, const char *const *names, int *out)
{
	const char *s;
	size_t n;

	return text(f, &s, &n) && (*out = index_of(s, n, names)) >= 0;
}

/*
 * An integer in [0, max] written as plain digits: what the full parse takes
 * as an integer and this one gives up on (a sign, a fraction, an exponent,
 * 16 digits or more) it leaves to it.
 */
static int integer(fast *f, int64_t max, int64_t *out)
{
	const unsigned char *p;
	int64_t v = 0;
	int digits = 0;

	ws(f);
	p = f->p;
	if (p < f->end && *p == '0') {
		p++;
	} else {
		while (p < f->end && *p >= '0' && *p <= '9' && digits < 15) {
			v = v * 10 + (*p++ - '0');
			digits++;
		}
		if (!digits)
			return 0;
	}
	if (p < f->end && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' ||
			   *p == 'E'))
		return 0;
	if (v > max)
		return 0;
	f->p = p;
	*out = v;
	return 1;
}

/*
 * Steps through an object's members: call with *first set after the '{';
 * 1 when a key follows (then read up to its ':'), 0 at the closing '}' or
 * when giving up (*done tells which).
 */
static int member(fast *f, int *first, const char **key, size_t *n, int *done)
{
	*done = 0;
	ws(f);
	if (f->p == f->end)
		return 0;
	if (*f->p == '}') {
		f->p++;
		*done = 1;
		return 0;
	}
	if (!*first && !take(f, ','))
		return 0;
	*first = 0;
	return text(f, key, n) && take(f, ':');
}

/* The same for an array: 1 when an element follows, 0 at ']' or on giving up. */
static int element(fast *f, int *first, int *done)
{
	*done = 0;
	ws(f);
	if (f->p == f->end)
		return 0;
	if (*f->p == ']') {
		f->p++;
		*done = 1;
		return 0;
	}
	if (!*first && !take(f, ','))
		return 0;
	*first = 0;
	return 1;
}

/*
 * The index of `key` in a closed object's `keys`, each allowed once (`seen`
 * holds one bit per key): -1 for an unknown or repeated key.
 */
static int closed_key(const char *key, size_t n, const char *const *keys,
	unsigned *seen)
{
	int i = index_of(key, n, keys);

	if (i < 0 || (*seen & (1u << i)))
		return -1;
	*seen |= 1u << i;
	return i;
}

/* ---- the element stack ---- */

/*
 * An element's `size` bytes cleared or copied a word at a time. gcc expands
 * memset and memcpy of a size it cannot see into rep stos/movs, whose
 * start-up costs more than a 24-byte field: three of them per named entry
 * were 4.7 % of a cold diff's cycles.
 */
static inline void elem_clear(void *elem, size_t size)
{
	unsigned char *p = elem;
	size_t i = 0;

	for (; i + 8 <= size; i += 8)
		memset(p + i, 0, 8);
	for (; i < size; i++)
		p[i] = 0;
}

static inline void elem_copy(void *dst, const void *src, size_t size)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	size_t i = 0;
	uint64_t w;

	for (; i + 8 <= size; i += 8) {
		memcpy(&w, s + i, 8);
		memcpy(d + i, &w, 8);
	}
	for (; i < size; i++)
		d[i] = s[i];
}

/* Room for `need` more bytes on the stack; 0 out of memory. */
static int stack_grow(fast *f, size_t need)
{
	size_t cap = f->cap ? f->cap : 4096;
	unsigned char *grown;

	while (cap - f->top < need)
		cap *= 2;
	if (!(grown = realloc(f->stack, cap)))
		return 0;
	f->stack = grown;
	f->cap = cap;
	return 1;
}

/* Inline, with the rare growth apart: it runs for every element read. */
static inline int push(fast *f, const void *elem, size_t size)
{
	size_t need = (size + 7) & ~(size_t)7;

	if (f->cap - f->top < need && !stack_grow(f, need))
		return 0;
	elem_copy(f->stack + f->top, elem, size);
	f->top += need;
	return 1;
}

/*
 * Moves the `n` elements of `size` pushed since `mark` into the arena (an
 * array even when empty, as the full parse allocates one) and pops them.
 */
static void *pop_into_arena(fast *f, size_t mark, size_t n, size_t size)
{
	size_t stride = (size + 7) & ~(size_t)7, i;
	unsigned char *out = appctl_arena_calloc(f->arena, n, size);

	/* Elements of pointers and counts are whole words: one block. */
	if (out && stride == size && n)
		memcpy(out, f->stack + mark, n * size);
	else if (out)
		for (i = 0; i < n; i++)
			elem_copy(out + i * size, f->stack + mark + i * stride, size);
	f->top = mark;
	return out;
}

typedef int (*cmp_fn)(const void *, const void *);

/* True when two of the `n` elements at `base` compare equal. */
static int any_equal(const void *base, size_t n, size_t size, cmp_fn cmp)
{
	const unsigned char *b = base;
	unsigned char *copy;
	size_t i, j;
	int found = 0;

	if (n <= 16) {
		for (i = 1; i < n; i++)
			for (j = 0; j < i; j++)
				if (cmp(b + i * size, b + j * size) == 0)
					return 1;
		return 0;
	}
	if (!(copy = malloc(n * size)))
		return 1; /* give up: the full parse will say why */
	memcpy(copy, base, n * size);
	qsort(copy, n, size, cmp);
	for (i = 1; i < n && !found; i++)
		found = cmp(copy + (i - 1) * size, copy + i * size) == 0;
	free(copy);
	return found;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- values the schema knows ---- */

/* An array of non-empty strings, none repeated: every one app.json has. */
static int strings(fast *f, const char ***out, size_t *count)
{
	size_t mark = f->top, n = 0;
	int first = 1, done;
	const char *s;

	if (!take(f, '['))
		return 0;
	while (element(f, &first, &done)) {
		if (!string(f, &s) || !push(f, &s, sizeof(s)))
			return 0;
		n++;
	}
	if (!done || !(*out = pop_into_arena(f, mark, n, sizeof(s))))
		return 0;
	*count = n;
	return !any_equal(*out, n, sizeof(s), str_cmp);
}

static int principal(fast *f, const char **out)
{
	return string(f, out) && appctl_principal_is_valid(*out);
}

/* ---- objects and lists the schema knows ---- */

/* Reads the value of member `key` (its index in the object's keys) into `obj`. */
typedef int (*value_fn)(fast *f, int key, void *obj);

/*
 * A closed object: each member's key is looked up in `keys`, each allowed
 * once (`seen` says which came), and its value read by `each`.
 */
static int closed(fast *f, const char *const *keys, value_fn each, void *obj,
	unsigned *seen)
{
	const char *key;
	size_t n;
	int first = 1, done, k;

	*seen = 0;
	if (!take(f, '{'))
		return 0;
	while (member(f, &first, &key, &n, &done))
		if ((k = closed_key(key, n, keys, seen)) < 0 || !each(f, k, obj))
			return 0;
	return done;
}

/* Every element a list holds. */
typedef union list_elem {
	appctl_member member;
	appctl_grant grant;
	appctl_ai_read ai_read;
} list_elem;

/* Reads the list's element number `index` into `elem` (zeroed). */
typedef int (*item_fn)(fast *f, void *elem, size_t index);

/* An array, each element of `size` read by `each`, in the file's order. */
static int list(fast *f, size_t size, item_fn each, void **out, size_t *count)
{
	size_t mark = f->top, n = 0;
	int first = 1, done;
	list_elem elem;

	if (!take(f, '['))
		return 0;
	while (element(f, &first, &done)) {
		elem_clear(&elem, size);
		if (!each(f, &elem, n++) || !push(f, &elem, size))
			return 0;
	}
	if (!done || !(*out = pop_into_arena(f, mark, n, size)))
		return 0;
	*count = n;
	return 1;
}

static int member_value(fast *f, int key, void *obj)
{
	appctl_member *m = obj;

	if (key == K_MEMBER_PRINCIPAL)
		return principal(f, &m->name);
	m->has_expires = 1;
	return string(f, &m->expires_text) &&
		appctl_date_parse(&m->expires, m->expires_text) == 0;
}

/* A role member: "a@b.c", "group:name" or {"principal", "expires"}. */
static int one_member(fast *f, void *elem, size_t index)
{
	appctl_member *m = elem;
	unsigned seen;

	m->index = index;
	ws(f);
	if (f->p < f->end && *f->p == '"') {
		const char *s;

		if (!string(f, &s))
			return 0;
		/* The first byte spares most principals a strncmp call. */
		if (s[0] == 'g' && strncmp(s, "group:", 6) == 0) {
			m->kind = APPCTL_MEMBER_GROUP;
			m->name = s + 6;
			return appctl_group_name_is_valid(m->name);
		}
		m->name = s;
		return appctl_principal_is_valid(s);
	}
	return closed(f, appctl_member_keys, member_value, m, &seen) && m->name;
}

static int member_cmp(const void *a, const void *b)
{
	const appctl_member *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * The bit of a known action, 0 for any other word: index_of's test over
 * appctl_action_names, giving the bit rather than the index.
 */
static unsigned action_bit(const char *s, size_t n)
{
	unsigned i;

	for (i = 0; i < APPCTL_ACTION_COUNT; i++) {
		const char *name = appctl_action_names[i];

		if (name[0] == s[0] && spells(name, s, n))
			return 1u << i;
	}
	return 0;
}

/* A grant as read: its actions go straight to bits, but for unknown ones. */
typedef struct grant_read {
	appctl_grant *g;
	size_t count;            /* actions named */
	const char **unknown;    /* the unknown ones, kept for lint */
	size_t *unknown_index;   /* and where each was */
	size_t unknown_count;
} grant_read;

/* The actions: a repeated one, known or not, the full parse reports. */
static int actions(fast *f, grant_read *r)
{
	size_t mark = f->top, n = 0, i;
	int first = 1, done;
	const char *s;
	size_t len;
	unsigned bit;

	if (!take(f, '['))
		return 0;
	while (element(f, &first, &done)) {
		if (!text(f, &s, &len) || len == 0)
			return 0;
		if ((bit = action_bit(s, len))) {
			if (r->g->actions & bit)
				return 0;
			r->g->actions |= bit;
		} else if (!(s = appctl_arena_strndup(f->arena, s, len)) ||
			   !push(f, &s, sizeof(s)) || !push(f, &n, sizeof(n))) {
			return 0;
		} else {
			r->unknown_count++;
		}
		n++;
	}
	if (!done)
		return 0;
	r->count = n;
	/* Room for every action, as the full parse makes. */
	r->unknown = appctl_arena_calloc(f->arena, n ? n : 1, sizeof(char *));
	r->unknown_index = appctl_arena_calloc(f->arena, n ? n : 1,
		sizeof(size_t));
	if (!r->unknown || !r->unknown_index)
		return 0;
	for (i = 0; i < r->unknown_count; i++) {
		memcpy(&r->unknown[i], f->stack + mark + 16 * i, sizeof(char *));
		memcpy(&r->unknown_index[i], f->stack + mark + 16 * i + 8,
			sizeof(size_t));
	}
	f->top = mark;
	return !any_equal(r->unknown, r->unknown_count, sizeof(char *),
		str_cmp);
}

static int grant_value(fast *f, int key, void *obj)
{
	grant_read *r = obj;
	appctl_grant *g = r->g;

	switch (key) {
	case K_GRANT_RESOURCE: return string(f, &g->resource);
	case K_GRANT_ACTIONS: return actions(f, r);
	case K_GRANT_HIDDEN_FIELDS:
		return strings(f, &g->hidden_fields, &g->hidden_field_count);
	default: return string(f, &g->justification);
	}
}

static int one_grant(fast *f, void *elem, size_t index)
{
	grant_read r = { elem, 0, NULL, NULL, 0 };
	appctl_grant *g = elem;
	unsigned seen;

	g->index = index;
	if (!closed(f, appctl_grant_keys, grant_value, &r, &seen) ||
	    !g->resource || r.count == 0)
		return 0;
	g->unknown_actions = r.unknown;
	g->unknown_action_index = r.unknown_index;
	g->unknown_action_count = r.unknown_count;
	return 1;
}

/* ---- named entries: objects whose keys are names ---- */

/* Every element a named collection holds; each starts with its name. */
typedef union named_elem {
	appctl_field field;
	appctl_resource resource;
	appctl_role role;
	appctl_page page;
	appctl_credential credential;
	appctl_integration integration;
} named_elem;

typedef int (*entry_fn)(fast *f, void *elem);

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * An object of named entries, each value read by `each` into an element of
 * `size`: sorted by name as the full parse sorts them. Sorted, a repeated
 * name (a duplicate key) sits next to its twin.
 */
static int named(fast *f, size_t size, entry_fn each, void **out,
	size_t *count)
{
	size_t mark = f->top, n = 0, i, kn;
	int first = 1, done;
	const char *key;
	unsigned char *base;
	named_elem elem;

	if (!take(f, '{'))
		return 0;
	while (member(f, &first, &key, &kn, &done)) {
		elem_clear(&elem, size);
		if (kn == 0 || !(*(const char **)(void *)&elem =
				appctl_arena_strndup(f->arena, key, kn)) ||
		    !each(f, &elem) || !push(f, &elem, size))
			return 0;
		n++;
	}
	if (!done || !(base = pop_into_arena(f, mark, n, size)))
		return 0;
	/* Files often list names in order already: then one pass does. */
	for (i = 1; i < n; i++)
		if (name_cmp(base + (i - 1) * size, base + i * size) >= 0)
			break;
	if (i < n) {
		qsort(base, n, size, name_cmp);
		for (i = 1; i < n; i++)
			if (name_cmp(base + (i - 1) * size, base + i * size) == 0)
				return 0;
	}
	*out = base;
	*count = n;
	return 1;
}

static int field_value(fast *f, int key, void *obj)
{
	appctl_field *fd = obj;
	int level;

	if (key == K_FIELD_DESCRIPTION)
		return string(f, &fd->description);
	if (!choice(f, appctl_sensitivity_names, &level))
		return 0;
	fd->sensitivity = (appctl_sensitivity)level;
	return 1;
}

static int field(fast *f, void *elem)
{
	unsigned seen;

	return closed(f, appctl_field_keys, field_value, elem, &seen);
}

static int resource_value(fast *f, int key, void *obj)
{
	appctl_resource *r = obj;
	int storage;

	switch (key) {
	case K_RESOURCE_SOURCE: return string(f, &r->source);
	case K_RESOURCE_TENANT_KEY: return string(f, &r->tenant_key);
	case K_RESOURCE_RETENTION_DAYS:
		r->has_retention = 1;
		return integer(f, APPCTL_RETENTION_DAYS_MAX, &r->retention_days);
	case K_RESOURCE_FIELDS:
		return named(f, sizeof(appctl_field), field, (void **)&r->fields,
			&r->field_count);
	case K_RESOURCE_STORAGE:
		if (!choice(f, appctl_storage_names, &storage))
			return 0;
		r->storage = (appctl_storage)(storage + 1);
		return 1;
	default: return string(f, &r->description);
	}
}

static int resource(fast *f, void *elem)
{
	unsigned seen;

	return closed(f, appctl_resource_keys, resource_value, elem, &seen);
}

static int role_value(fast *f, int key, void *obj)
{
	appctl_role *r = obj;

	switch (key) {
	case K_ROLE_MEMBERS:
		return list(f, sizeof(appctl_member), one_member,
			       (void **)&r->members, &r->member_count) &&
			!any_equal(r->members, r->member_count,
				sizeof(appctl_member), member_cmp);
	case K_ROLE_GRANTS:
		return list(f, sizeof(appctl_grant), one_grant,
			(void **)&r->grants, &r->grant_count);
	case K_ROLE_JUSTIFICATION: return string(f, &r->justification);
	default: return string(f, &r->description);
	}
}

static int role(fast *f, void *elem)
{
	unsigned seen;

	return closed(f, appctl_role_keys, role_value, elem, &seen);
}

/*
 * The end of the JSON value at f->p, brackets matched and strings skipped,
 * without judging it: the tree parser does. NULL past `max_depth` levels.
 */
static const unsigned char *value_end(fast *f, int max_depth)
{
	const unsigned char *p = f->p, *end = f->end;
	int depth = 0;

	while (p < end) {
		unsigned char ch = *p++;

		if (ch == '"') {
			while (p < end && *p != '"') {
				if (*p == '\\' && end - p < 2)
					return NULL;
				p += *p == '\\' ? 2 : 1;
			}
			if (p == end)
				return NULL;
			p++;
		} else if (ch == '{' || ch == '[') {
			if (++depth > max_depth)
				return NULL;
		} else if (ch == '}' || ch == ']') {
			if (--depth <= 0)
				return depth == 0 ? p : NULL;
		} else if (depth == 0) {
			return NULL; /* a page must be an object */
		}
	}
	return NULL;
}

/*
 * A page: free JSON (the builder's own fields are allowed), kept in
 * canonical form; so it is parsed as a tree and read by the full parse's
 * own page reader. It sits 2 levels below the root: the file's limit of 64
 * leaves it 62.
 */
static int page(fast *f, void *elem)
{
	const unsigned char *start, *stop;
	appctl_error *err;
	cJSON *tree = NULL;

	ws(f);
	start = f->p;
	if (!(stop = value_end(f, APPCTL_JSON_MAX_DEPTH - 2)))
		return 0;
	if (!f->pages && !(f->pages = appctl_arena_new()))
		return 0;
	err = appctl_json_parse_arena(&tree, f->pages, f->file,
		(const char *)start, (size_t)(stop - start));
	if (err) {
		appctl_error_free(err);
		return 0;
	}
	f->p = stop;
	return appctl_page_from_tree(elem, f->arena, tree, f->file);
}

static int credential(fast *f, void *elem)
{
	appctl_credential *cred = elem;

	return appctl_env_name_is_valid(cred->env) && string(f, &cred->ref);
}

static int integration_value(fast *f, int key, void *obj)
{
	appctl_integration *in = obj;

	switch (key) {
	case K_INTEGRATION_KIND: return string(f, &in->kind);
	case K_INTEGRATION_OWNER: return principal(f, &in->owner);
	case K_INTEGRATION_SCOPES:
		return strings(f, &in->scopes, &in->scope_count);
	case K_INTEGRATION_CREDENTIAL:
		return named(f, sizeof(appctl_credential), credential,
			(void **)&in->credentials, &in->credential_count);
	case K_INTEGRATION_ON_FAILURE:
		return string(f, &in->on_failure) &&
			index_of(in->on_failure, strlen(in->on_failure),
				appctl_on_failure_names) >= 0;
	case K_INTEGRATION_RATE_LIMIT:
		in->has_rate_limit = 1;
		return integer(f, APPCTL_RATE_LIMIT_MAX, &in->rate_limit_per_min);
	case K_INTEGRATION_JUSTIFICATION: return string(f, &in->justification);
	case K_INTEGRATION_DESCRIPTION: return string(f, &in->description);
	case K_INTEGRATION_READS: return strings(f, &in->reads, &in->read_count);
	default: return strings(f, &in->writes, &in->write_count);
	}
}

static int integration(fast *f, void *elem)
{
	unsigned seen;

	return closed(f, appctl_integration_keys, integration_value, elem,
		       &seen) &&
		((appctl_integration *)elem)->kind;
}

static int owner_value(fast *f, int key, void *obj)
{
	appctl_app *app = obj;

	return principal(f, key == K_OWNER_BUSINESS ? &app->business_owner
						   : &app->technical_owner);
}

static int ai_read_value(fast *f, int key, void *obj)
{
	appctl_ai_read *r = obj;

	if (key == K_AI_READ_RESOURCE)
		return string(f, &r->resource);
	return strings(f, &r->fields, &r->field_count);
}

static int ai_read(fast *f, void *elem, size_t index)
{
	appctl_ai_read *r = elem;
	unsigned seen;

	r->index = index;
	if (!closed(f, appctl_ai_read_keys, ai_read_value, r, &seen))
		return 0;
	r->all_fields = !(seen & (1u << K_AI_READ_FIELDS));
	return r->resource != NULL;
}

static int ai_value(fast *f, int key, void *obj)
{
	appctl_app *app = obj;

	switch (key) {
	case K_AI_READS:
		return list(f, sizeof(appctl_ai_read), ai_read,
			(void **)&app->ai_reads, &app->ai_read_count);
	case K_AI_JUSTIFICATION: return string(f, &app->ai_justification);
	default: return string(f, &app->ai_description);
	}
}

static int app_value(fast *f, int key, void *obj)
{
	appctl_app *app = obj;
	const char *ignored;
	unsigned seen;
	int cls;

	switch (key) {
	case K_APP_SCHEMA: return string(f, &ignored);
	case K_APP_NAME: return string(f, &app->name);
	case K_APP_CLASS:
		if (!choice(f, appctl_class_names, &cls))
			return 0;
		app->app_class = (appctl_app_class)cls;
		return 1;
	case K_APP_OWNERS:
		return closed(f, appctl_owner_keys, owner_value, app, &seen);
	case K_APP_DATA:
		return named(f, sizeof(appctl_resource), resource,
			(void **)&app->resources, &app->resource_count);
	case K_APP_ROLES:
		return named(f, sizeof(appctl_role), role, (void **)&app->roles,
			&app->role_count);
	case K_APP_PAGES:
		return named(f, sizeof(appctl_page), page, (void **)&app->pages,
			&app->page_count);
	case K_APP_INTEGRATIONS:
		return named(f, sizeof(appctl_integration), integration,
			(void **)&app->integrations, &app->integration_count);
	case K_APP_DESCRIPTION: return string(f, &app->description);
	default:
		app->has_ai = 1;
		return closed(f, appctl_ai_keys, ai_value, app, &seen);
	}
}

static int root(fast *f, appctl_app *app, const char *dir)
{
	unsigned seen;

	if (!closed(f, appctl_app_keys, app_value, app, &seen))
		return 0;
	ws(f);
	return f->p == f->end && (seen & (1u << K_APP_CLASS)) && app->name &&
		appctl_name_is_valid(app->name) && strcmp(app->name, dir) == 0;
}

int appctl_app_parse_fast(appctl_app **out, appctl_arena *arena,
	const appctl_file *file, const char *dir)
{
	appctl_app *app;
	fast f;
	int ok;

	*out = NULL;
	if (file->len > APPCTL_JSON_MAX_BYTES || !dir)
		return 0;
	app = appctl_arena_calloc(arena, 1, sizeof(*app));
	if (!app || !(app->file = appctl_arena_strdup(arena, file->path)))
		return 0;
	memcpy(app->blob_id, file->id, sizeof(app->blob_id));
	app->blob_id[40] = '\0';
	memset(&f, 0, sizeof(f));
	f.p = (const unsigned char *)file->data;
	f.end = f.p + file->len;
	f.arena = arena;
	f.file = file->path;
	ok = root(&f, app, dir);
	free(f.stack);
	appctl_arena_free(f.pages);
	if (ok)
		*out = app;
	return ok;
}
