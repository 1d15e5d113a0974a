/* model_cache.c: a parsed app (and an app's facts) to bytes and back, so a diff re-reads only what it has not seen. */
#include "appctl/model_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Layout (integers little-endian):
 *   0  magic "APPCTLM\n"           8 bytes
 *   8  version                     u32
 *  12  blob id                     40 hex characters
 *  52  string table length S       u32
 *  56  structure length T          u32
 *  60  string table                S bytes of NUL-terminated strings
 *      structure                   T bytes of u32/u64 fields and string refs
 *      checksum of bytes 0..end    u64
 * A string reference is the offset of its first byte in the table, or
 * NO_REF for NULL. An array is its count, or NO_REF for a NULL pointer,
 * then its elements. Decoding copies the table into the arena in one
 * piece: that single copy is what makes a hit cheaper than cJSON plus the
 * schema checks. A facts entry stores each string once, however often it
 * occurs (one principal, resource and "via" for a hundred facts); an app
 * entry stores each occurrence, as finding the repeats (a field name in
 * hidden_fields) cost a cold diff more than the bigger entry saves.
 */

#define MAGIC "APPCTLM\n"
#define FACTS_MAGIC "APPCTLF\n"
#define HEADER_LEN APPCTL_MODEL_CACHE_HEADER_LEN
#define TRAILER_LEN 8u
#define NO_REF 0xffffffffu

/* ---- checksum: catches truncation and stray bytes, not forgery ---- */

static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static uint64_t finish(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

/* One lane, eight bytes a step: what short strings are hashed with. */
static uint64_t chain(uint64_t h, const unsigned char *p, size_t n)
{
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = mix(h, w);
	}
	for (; i < n; i++) {
		h = (h ^ p[i]) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

static uint64_t checksum(const unsigned char *p, size_t n)
{
	uint64_t h[4] = { 0x243f6a8885a308d3ull ^ (uint64_t)n,
		0x13198a2e03707344ull, 0xa4093822299f31d0ull,
		0x082efa98ec4e6c89ull };
	uint64_t w[4];
	size_t i = 0, k;

	/*
	 * Four lanes of eight bytes a step: a multiply waits only for the one
	 * before it in its lane, so an entry is summed at the speed the core
	 * can multiply, not at one multiply's latency per eight bytes. Every
	 * entry is summed when written and again whenever it is read.
	 */
	for (; i + 32 <= n; i += 32) {
		memcpy(w, p + i, 32);
		for (k = 0; k < 4; k++)
			h[k] = mix(h[k], w[k]);
	}
	h[0] = chain(h[0], p + i, n - i);
	return finish(mix(mix(mix(h[0], h[1]), h[2]), h[3]));
}

static void put_le(unsigned char *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* ---- encoding ---- */

/* A growable byte buffer; `failed` makes every later write a no-op. */
typedef struct bytes {
	unsigned char *p;
	size_t len, cap;
	int failed;
} bytes;

static void b_reserve(bytes *b, size_t more)
{
	size_t cap;
	unsigned char *grown;

	if (b->failed || b->cap - b->len >= more)
		return;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < more) {
		if (cap > SIZE_MAX / 2) {
			b->failed = 1;
			return;
		}
		cap *= 2;
	}
	grown = realloc(b->p, cap);
	if (!grown) {
		b->failed = 1;
		return;
	}
	b->p = grown;
	b->cap = cap;
}

static inline void b_add(bytes *b, const void *data, size_t n)
{
	if (b->cap - b->len < n) {
		b_reserve(b, n);
		if (b->failed)
			return;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

/*
 * Most of an entry is u32s: room is checked once, the bytes set in place.
 * Always inline: gcc's choice flips with unrelated edits to this file, and
 * a call per u32 costs a cold diff 0.4 % more instructions.
 */
__attribute__((always_inline))
static inline void b_le(bytes *b, uint64_t v, size_t n)
{
	unsigned char *p;

	if (b->cap - b->len < n) {
		b_reserve(b, n);
		if (b->failed)
			return;
	}
	p = b->p + b->len;
	if (n == 4) {
		p[0] = (unsigned char)v;
		p[1] = (unsigned char)(v >> 8);
		p[2] = (unsigned char)(v >> 16);
		p[3] = (unsigned char)(v >> 24);
	} else {
		put_le(p, v, n);
	}
	b->len += n;
}

/* The string table: each distinct string once, found again by hash. */
typedef struct slot {
	const char *s;
	uint32_t off;
	uint32_t hash;   /* compared before the strings; kept for growing */
} slot;

/* A string met before at the same address: its offset, without hashing. */
#define SEEN_SLOTS 256

typedef struct encoder {
	bytes strings;
	bytes body;
	int each;        /* every occurrence stored: no table */
	slot *slots;
	size_t nslots, used;
	struct {
		const char *s;
		uint32_t off;
	} seen[SEEN_SLOTS];
} encoder;

static uint64_t str_hash(const char *s, size_t n)
{
	return finish(chain(0x243f6a8885a308d3ull ^ (uint64_t)n,
		(const unsigned char *)s, n));
}

static int enc_grow(encoder *e)
{
	size_t n = e->nslots ? e->nslots * 2 : 256, i;
	slot *grown = calloc(n, sizeof(*grown));

	if (!grown)
		return -1;
	for (i = 0; i < e->nslots; i++) {
		size_t k;

		if (!e->slots[i].s)
			continue;
		k = e->slots[i].hash & (n - 1);
		while (grown[k].s)
			k = (k + 1) & (n - 1);
		grown[k] = e->slots[i];
	}
	free(e->slots);
	e->slots = grown;
	e->nslots = n;
	return 0;
}

/* Appends the `n` bytes of `s` and its NUL to the table: their offset goes in the body. */
static inline void put_new_str(encoder *e, const char *s, size_t n)
{
	/* Offsets are u32 and NO_REF is taken: keep well below. */
	if (e->strings.len + n + 1 >= NO_REF) {
		e->body.failed = 1;
		return;
	}
	b_le(&e->body, e->strings.len, 4);
	b_add(&e->strings, s, n + 1);
}

/*
 * A string through the table: the same address as a recent one (a facts
 * entry names one principal and one "via" for many changes) costs a load,
 * the same text a hash and a compare.
 */
static void put_shared_str(encoder *e, const char *s)
{
	size_t n, k, memo = ((uintptr_t)s >> 3) & (SEEN_SLOTS - 1);
	uint32_t h, off;

	if (e->seen[memo].s == s) {
		b_le(&e->body, e->seen[memo].off, 4);
		return;
	}
	n = strlen(s);
	if ((e->used + 1) * 2 > e->nslots && enc_grow(e) < 0) {
		e->body.failed = 1;
		return;
	}
	h = (uint32_t)str_hash(s, n);
	k = h & (e->nslots - 1);
	while (e->slots[k].s &&
	       (e->slots[k].hash != h || strcmp(e->slots[k].s, s) != 0))
		k = (k + 1) & (e->nslots - 1);
	if (e->slots[k].s) {
		off = e->slots[k].off;
		b_le(&e->body, off, 4);
	} else {
		off = (uint32_t)e->strings.len;
		put_new_str(e, s, n);
		if (e->body.failed)
			return;
		e->slots[k].s = s;
		e->slots[k].off = off;
		e->slots[k].hash = h;
		e->used++;
	}
	e->seen[memo].s = s;
	e->seen[memo].off = off;
}

/* Inline for app entries, which store each occurrence: most calls come from them. */
static inline void put_str(encoder *e, const char *s)
{
	if (!s)
		b_le(&e->body, NO_REF, 4);
	else if (e->each)
		put_new_str(e, s, strlen(s));
	else
		put_shared_str(e, s);
}

static void put_u32(encoder *e, uint64_t v)
{
	/* Counts and indexes beyond u32 cannot come from a 16 MiB file. */
	if (v >= NO_REF)
		e->body.failed = 1;
	b_le(&e->body, v, 4);
}

static void put_u64(encoder *e, uint64_t v)
{
	b_le(&e->body, v, 8);
}

/* An array's count, or NO_REF for a NULL pointer. */
static void put_count(encoder *e, const void *array, size_t count)
{
	if (!array)
		b_le(&e->body, NO_REF, 4);
	else
		put_u32(e, count);
}

static void put_strs(encoder *e, const char *const *v, size_t n)
{
	size_t i;

	put_count(e, v, n);
	if (v)
		for (i = 0; i < n; i++)
			put_str(e, v[i]);
}

static void put_resource(encoder *e, const appctl_resource *r)
{
	size_t i;

	put_str(e, r->name);
	put_str(e, r->source);
	put_str(e, r->tenant_key);
	put_u32(e, (uint64_t)(r->has_retention != 0));
	put_u64(e, (uint64_t)r->retention_days);
	put_u32(e, (uint64_t)r->storage);
	put_str(e, r->description);
	put_count(e, r->fields, r->field_count);
	if (r->fields)
		for (i = 0; i < r->field_count; i++) {
			put_str(e, r->fields[i].name);
			put_u32(e, (uint64_t)r->fields[i].sensitivity);
			put_str(e, r->fields[i].description);
		}
}

static void put_role(encoder *e, const appctl_role *r)
{
	size_t i, j;

	put_str(e, r->name);
	put_count(e, r->members, r->member_count);
	if (r->members)
		for (i = 0; i < r->member_count; i++) {
			const appctl_member *m = &r->members[i];

			put_u32(e, (uint64_t)m->kind);
			put_str(e, m->name);
			put_u32(e, (uint64_t)(m->has_expires != 0));
			put_u32(e, (uint64_t)(uint32_t)m->expires);
			put_str(e, m->expires_text);
			put_u32(e, m->index);
		}
	put_count(e, r->grants, r->grant_count);
	if (r->grants)
		for (i = 0; i < r->grant_count; i++) {
			const appctl_grant *g = &r->grants[i];

			put_str(e, g->resource);
			put_u32(e, g->actions);
			put_count(e, g->unknown_actions, g->unknown_action_count);
			if (g->unknown_actions)
				for (j = 0; j < g->unknown_action_count; j++)
					put_str(e, g->unknown_actions[j]);
			put_count(e, g->unknown_action_index,
				g->unknown_action_count);
			if (g->unknown_action_index)
				for (j = 0; j < g->unknown_action_count; j++)
					put_u32(e, g->unknown_action_index[j]);
			put_strs(e, g->hidden_fields, g->hidden_field_count);
			put_str(e, g->justification);
			put_u32(e, g->index);
		}
	put_str(e, r->justification);
	put_str(e, r->description);
}

static void put_integration(encoder *e, const appctl_integration *g)
{
	size_t i;

	put_str(e, g->name);
	put_str(e, g->kind);
	put_str(e, g->owner);
	put_strs(e, g->scopes, g->scope_count);
	put_count(e, g->credentials, g->credential_count);
	if (g->credentials)
		for (i = 0; i < g->credential_count; i++) {
			put_str(e, g->credentials[i].env);
			put_str(e, g->credentials[i].ref);
		}
	put_str(e, g->on_failure);
	put_u32(e, (uint64_t)(g->has_rate_limit != 0));
	put_u64(e, (uint64_t)g->rate_limit_per_min);
	put_str(e, g->justification);
	put_str(e, g->description);
	put_strs(e, g->reads, g->read_count);
	put_strs(e, g->writes, g->write_count);
}

static void put_app(encoder *e, const appctl_app *app)
{
	size_t i;

	put_str(e, app->name);
	put_str(e, app->file);
	put_u32(e, (uint64_t)app->app_class);
	put_str(e, app->business_owner);
	put_str(e, app->technical_owner);
	put_count(e, app->resources, app->resource_count);
	if (app->resources)
		for (i = 0; i < app->resource_count; i++)
			put_resource(e, &app->resources[i]);
	put_count(e, app->roles, app->role_count);
	if (app->roles)
		for (i = 0; i < app->role_count; i++)
			put_role(e, &app->roles[i]);
	put_count(e, app->pages, app->page_count);
	if (app->pages)
		for (i = 0; i < app->page_count; i++) {
			const appctl_page *p = &app->pages[i];

			put_str(e, p->name);
			put_str(e, p->resource);
			put_strs(e, p->roles, p->role_count);
			put_str(e, p->canonical);
			put_str(e, p->description);
		}
	put_count(e, app->integrations, app->integration_count);
	if (app->integrations)
		for (i = 0; i < app->integration_count; i++)
			put_integration(e, &app->integrations[i]);
	put_str(e, app->description);
	put_u32(e, (uint64_t)(app->has_ai != 0));
	put_count(e, app->ai_reads, app->ai_read_count);
	if (app->ai_reads)
		for (i = 0; i < app->ai_read_count; i++) {
			const appctl_ai_read *r = &app->ai_reads[i];

			put_str(e, r->resource);
			put_strs(e, r->fields, r->field_count);
			put_u32(e, (uint64_t)(r->all_fields != 0));
			put_u32(e, r->index);
		}
	put_str(e, app->ai_justification);
	put_str(e, app->ai_description);
}

/*
 * The whole entry around what `e` holds: header (`magic`, `version`, `id`),
 * string table, structure, checksum. Frees e's buffers.
 */
static appctl_error *seal_entry(unsigned char **out, size_t *len, encoder *e,
	const char *magic, uint32_t version, const char *id)
{
	bytes whole = { 0 };
	unsigned char header[HEADER_LEN];
	size_t id_len = strnlen(id, 40);

	*out = NULL;
	*len = 0;
	if (!e->body.failed && !e->strings.failed && e->strings.len < NO_REF &&
	    e->body.len < NO_REF) {
		memcpy(header, magic, 8);
		put_le(header + 8, version, 4);
		memset(header + 12, '0', 40);
		memcpy(header + 12, id, id_len);
		put_le(header + 52, e->strings.len, 4);
		put_le(header + 56, e->body.len, 4);
		b_reserve(&whole, HEADER_LEN + e->strings.len + e->body.len +
			TRAILER_LEN);
		b_add(&whole, header, HEADER_LEN);
		if (e->strings.len)
			b_add(&whole, e->strings.p, e->strings.len);
		if (e->body.len)
			b_add(&whole, e->body.p, e->body.len);
		if (!whole.failed)
			b_le(&whole, checksum(whole.p, whole.len), 8);
	} else {
		whole.failed = 1;
	}
	free(e->strings.p);
	free(e->body.p);
	free(e->slots);
	if (whole.failed) {
		free(whole.p);
		return appctl_error_nomem();
	}
	*out = whole.p;
	*len = whole.len;
	return NULL;
}

appctl_error *appctl_model_cache_encode(unsigned char **out, size_t *len,
	const appctl_app *app)
{
	encoder e;

	memset(&e, 0, sizeof(e));
	e.each = 1;
	/*
	 * Room for a large app at once: growing by doubling from 4 KiB copied
	 * each buffer about once more. Freed right after, it is reused.
	 */
	b_reserve(&e.strings, 32 * 1024);
	b_reserve(&e.body, 32 * 1024);
	put_app(&e, app);
	return seal_entry(out, len, &e, MAGIC, APPCTL_MODEL_CACHE_VERSION,
		app->blob_id);
}

/* ---- decoding ---- */

typedef struct decoder {
	const unsigned char *p, *end;
	const char *strings;     /* the table, copied into the arena */
	size_t strings_len;
	appctl_arena *arena;
	int bad;                 /* a miss: malformed or against an invariant */
	int nomem;
} decoder;

static uint32_t get_u32(decoder *d)
{
	uint32_t v;

	if (d->bad || d->end - d->p < 4) {
		d->bad = 1;
		return 0;
	}
	v = (uint32_t)get_le(d->p, 4);
	d->p += 4;
	return v;
}

static uint64_t get_u64(decoder *d)
{
	uint64_t v;

	if (d->bad || d->end - d->p < 8) {
		d->bad = 1;
		return 0;
	}
	v = get_le(d->p, 8);
	d->p += 8;
	return v;
}

/* A flag: 0 or 1, nothing else. */
static int get_flag(decoder *d)
{
	uint32_t v = get_u32(d);

	if (v > 1)
		d->bad = 1;
	return (int)v;
}

/* An enum value below `limit`. */
static uint32_t get_enum(decoder *d, uint32_t limit)
{
	uint32_t v = get_u32(d);

	if (v >= limit)
		d->bad = 1;
	return v;
}

static const char *get_str(decoder *d)
{
	uint32_t off = get_u32(d);

	if (d->bad || off == NO_REF)
		return NULL;
	/* The table ends with a NUL (checked once), so any offset is a string. */
	if (off >= d->strings_len) {
		d->bad = 1;
		return NULL;
	}
	return d->strings + off;
}

/*
 * A non-NULL string: what a successful parse never leaves NULL (names,
 * list elements, references). Consumers strcmp these without a check, so a
 * NULL here must be a miss, not a crash.
 */
static const char *get_name(decoder *d)
{
	const char *s = get_str(d);

	if (!s)
		d->bad = 1;
	return s;
}

/*
 * An array of `count` elements of `size` bytes, each taking at least
 * `min_bytes` of input: a hostile count cannot make a large allocation
 * that the remaining bytes could never fill.
 */
static void *get_array(decoder *d, size_t *count, size_t size,
	size_t min_bytes)
{
	uint32_t n = get_u32(d);
	void *v;

	*count = 0;
	if (d->bad || n == NO_REF)
		return NULL;
	if ((size_t)(d->end - d->p) / min_bytes < n) {
		d->bad = 1;
		return NULL;
	}
	v = appctl_arena_calloc(d->arena, n ? n : 1, size);
	if (!v) {
		d->nomem = d->bad = 1;
		return NULL;
	}
	*count = n;
	return v;
}

static const char **get_strs(decoder *d, size_t *count)
{
	const char **v = get_array(d, count, sizeof(*v), 4);
	size_t i;

	for (i = 0; v && i < *count && !d->bad; i++)
		v[i] = get_name(d);
	return v;
}

/* Named collections stay sorted: consumers merge and search by name. */
static void check_sorted(decoder *d, const void *base, size_t n, size_t size)
{
	size_t i;
	const char *prev, *cur;

	for (i = 1; i < n && !d->bad; i++) {
		memcpy(&prev, (const char *)base + (i - 1) * size, sizeof(prev));
		memcpy(&cur, (const char *)base + i * size, sizeof(cur));
		if (strcmp(prev, cur) >= 0)
			d->bad = 1;
	}
}

static void get_resource(decoder *d, appctl_resource *r)
{
	size_t i;

	r->name = get_name(d);
	r->source = get_str(d);
	r->tenant_key = get_str(d);
	r->has_retention = get_flag(d);
	r->retention_days = (int64_t)get_u64(d);
	r->storage = (appctl_storage)get_enum(d, APPCTL_STORAGE_STORED + 1);
	r->description = get_str(d);
	r->fields = get_array(d, &r->field_count, sizeof(*r->fields), 12);
	for (i = 0; r->fields && i < r->field_count && !d->bad; i++) {
		r->fields[i].name = get_name(d);
		r->fields[i].sensitivity = (appctl_sensitivity)get_enum(d,
			APPCTL_SENS_RESTRICTED + 1);
		r->fields[i].description = get_str(d);
	}
	if (r->fields)
		check_sorted(d, r->fields, r->field_count, sizeof(*r->fields));
}

static void get_role(decoder *d, appctl_role *r)
{
	size_t i, j, n;

	r->name = get_name(d);
	r->members = get_array(d, &r->member_count, sizeof(*r->members), 24);
	for (i = 0; r->members && i < r->member_count && !d->bad; i++) {
		appctl_member *m = &r->members[i];

		m->kind = (appctl_member_kind)get_enum(d, APPCTL_MEMBER_GROUP + 1);
		m->name = get_name(d);
		m->has_expires = get_flag(d);
		m->expires = (appctl_date)(int32_t)get_u32(d);
		m->expires_text = get_str(d);
		m->index = get_u32(d);
	}
	r->grants = get_array(d, &r->grant_count, sizeof(*r->grants), 28);
	for (i = 0; r->grants && i < r->grant_count && !d->bad; i++) {
		appctl_grant *g = &r->grants[i];

		g->resource = get_name(d);
		g->actions = get_u32(d);
		if (g->actions >= 1u << APPCTL_ACTION_COUNT)
			d->bad = 1;
		g->unknown_actions = get_array(d, &g->unknown_action_count,
			sizeof(*g->unknown_actions), 4);
		for (j = 0; g->unknown_actions && j < g->unknown_action_count &&
		     !d->bad; j++)
			g->unknown_actions[j] = get_name(d);
		g->unknown_action_index = get_array(d, &n,
			sizeof(*g->unknown_action_index), 4);
		/* One count for both arrays: they must agree. */
		if (n != g->unknown_action_count)
			d->bad = 1;
		for (j = 0; g->unknown_action_index && j < n && !d->bad; j++)
			g->unknown_action_index[j] = get_u32(d);
		g->hidden_fields = get_strs(d, &g->hidden_field_count);
		g->justification = get_str(d);
		g->index = get_u32(d);
	}
	r->justification = get_str(d);
	r->description = get_str(d);
}

static void get_integration(decoder *d, appctl_integration *g)
{
	size_t i;

	g->name = get_name(d);
	g->kind = get_name(d);
	g->owner = get_str(d);
	g->scopes = get_strs(d, &g->scope_count);
	g->credentials = get_array(d, &g->credential_count,
		sizeof(*g->credentials), 8);
	for (i = 0; g->credentials && i < g->credential_count && !d->bad; i++) {
		g->credentials[i].env = get_name(d);
		g->credentials[i].ref = get_name(d);
	}
	if (g->credentials)
		check_sorted(d, g->credentials, g->credential_count,
			sizeof(*g->credentials));
	g->on_failure = get_str(d);
	g->has_rate_limit = get_flag(d);
	g->rate_limit_per_min = (int64_t)get_u64(d);
	g->justification = get_str(d);
	g->description = get_str(d);
	g->reads = get_strs(d, &g->read_count);
	g->writes = get_strs(d, &g->write_count);
}

static void get_app(decoder *d, appctl_app *app)
{
	size_t i;

	app->name = get_name(d);
	app->file = get_name(d);
	app->app_class = (appctl_app_class)get_enum(d, APPCTL_CLASS_COUNT);
	app->business_owner = get_str(d);
	app->technical_owner = get_str(d);
	app->resources = get_array(d, &app->resource_count,
		sizeof(*app->resources), 36);
	for (i = 0; app->resources && i < app->resource_count && !d->bad; i++)
		get_resource(d, &app->resources[i]);
	if (app->resources)
		check_sorted(d, app->resources, app->resource_count,
			sizeof(*app->resources));
	app->roles = get_array(d, &app->role_count, sizeof(*app->roles), 20);
	for (i = 0; app->roles && i < app->role_count && !d->bad; i++)
		get_role(d, &app->roles[i]);
	if (app->roles)
		check_sorted(d, app->roles, app->role_count, sizeof(*app->roles));
	app->pages = get_array(d, &app->page_count, sizeof(*app->pages), 20);
	for (i = 0; app->pages && i < app->page_count && !d->bad; i++) {
		appctl_page *p = &app->pages[i];

		p->name = get_name(d);
		p->resource = get_str(d);
		p->roles = get_strs(d, &p->role_count);
		p->canonical = get_name(d);
		p->description = get_str(d);
	}
	if (app->pages)
		check_sorted(d, app->pages, app->page_count, sizeof(*app->pages));
	app->integrations = get_array(d, &app->integration_count,
		sizeof(*app->integrations), 52);
	for (i = 0; app->integrations && i < app->integration_count && !d->bad;
	     i++)
		get_integration(d, &app->integrations[i]);
	if (app->integrations)
		check_sorted(d, app->integrations, app->integration_count,
			sizeof(*app->integrations));
	app->description = get_str(d);
	app->has_ai = get_flag(d);
	app->ai_reads = get_array(d, &app->ai_read_count, sizeof(*app->ai_reads),
		16);
	for (i = 0; app->ai_reads && i < app->ai_read_count && !d->bad; i++) {
		appctl_ai_read *r = &app->ai_reads[i];

		r->resource = get_name(d);
		r->fields = get_strs(d, &r->field_count);
		r->all_fields = get_flag(d);
		r->index = get_u32(d);
	}
	app->ai_justification = get_str(d);
	app->ai_description = get_str(d);
}

/*
 * Checks an entry's frame (magic, version, id, lengths, checksum) and points
 * `d` at its structure, with the string table copied into `arena`. 1 when
 * the frame holds, 0 when not (a miss), -1 when out of memory.
 */
static int open_entry(decoder *d, appctl_arena *arena,
	const unsigned char *data, size_t len, const char *magic,
	uint32_t version, const char *id)
{
	size_t s, t;
	char *strings;

	if (len < HEADER_LEN + TRAILER_LEN || memcmp(data, magic, 8) != 0 ||
	    get_le(data + 8, 4) != version || !id || strlen(id) != 40 ||
	    memcmp(data + 12, id, 40) != 0)
		return 0;
	s = (size_t)get_le(data + 52, 4);
	t = (size_t)get_le(data + 56, 4);
	if (len - HEADER_LEN - TRAILER_LEN < s ||
	    len - HEADER_LEN - TRAILER_LEN - s != t)
		return 0;
	if (get_le(data + len - TRAILER_LEN, 8) !=
	    checksum(data, len - TRAILER_LEN))
		return 0;
	if (s && data[HEADER_LEN + s - 1] != '\0')
		return 0;
	memset(d, 0, sizeof(*d));
	d->arena = arena;
	d->p = data + HEADER_LEN + s;
	d->end = d->p + t;
	strings = appctl_arena_calloc(arena, s ? s : 1, 1);
	if (!strings)
		return -1;
	if (s)
		memcpy(strings, data + HEADER_LEN, s);
	d->strings = strings;
	d->strings_len = s;
	return 1;
}

int appctl_model_cache_decode(appctl_app **out, appctl_arena *arena,
	const unsigned char *data, size_t len, const char *blob_id,
	const char *dir)
{
	decoder d;
	appctl_app *app;
	int rc;

	*out = NULL;
	rc = open_entry(&d, arena, data, len, MAGIC,
		APPCTL_MODEL_CACHE_VERSION, blob_id);
	if (rc <= 0)
		return rc;
	app = appctl_arena_calloc(arena, 1, sizeof(*app));
	if (!app)
		return -1;
	get_app(&d, app);
	if (d.nomem)
		return -1;
	/* Every byte accounted for, and the app is the one asked for. */
	if (d.bad || d.p != d.end || !dir || strcmp(app->name, dir) != 0)
		return 0;
	memcpy(app->blob_id, blob_id, 40);
	app->blob_id[40] = '\0';
	*out = app;
	return 1;
}

int appctl_model_cache_frame(const unsigned char *data, size_t avail,
	char *kind, char id[41], size_t *len)
{
	uint64_t s, t;
	size_t i;

	if (avail < HEADER_LEN || get_le(data + 8, 4) != APPCTL_MODEL_CACHE_VERSION)
		return -1;
	if (memcmp(data, MAGIC, 8) == 0)
		*kind = 'M';
	else if (memcmp(data, FACTS_MAGIC, 8) == 0)
		*kind = 'F';
	else
		return -1;
	for (i = 0; i < 40; i++) {
		char c = (char)data[12 + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		id[i] = c;
	}
	id[40] = '\0';
	s = get_le(data + 52, 4);
	t = get_le(data + 56, 4);
	if (s + t > (uint64_t)SIZE_MAX - HEADER_LEN - TRAILER_LEN)
		return -1;
	*len = (size_t)(HEADER_LEN + s + t + TRAILER_LEN);
	return 0;
}

int appctl_model_cache_intact(const unsigned char *data, size_t len)
{
	return len >= HEADER_LEN + TRAILER_LEN &&
		get_le(data + len - TRAILER_LEN, 8) ==
		checksum(data, len - TRAILER_LEN);
}

void appctl_model_cache_seal(unsigned char *data, size_t len)
{
	if (len < HEADER_LEN + TRAILER_LEN)
		return;
	put_le(data + len - TRAILER_LEN, checksum(data, len - TRAILER_LEN), 8);
}

/* ---- equality, for the round-trip tests ---- */

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int strs_eq(const char *const *a, const char *const *b, size_t n)
{
	size_t i;

	if (!a != !b)
		return 0;
	for (i = 0; a && i < n; i++)
		if (!str_eq(a[i], b[i]))
			return 0;
	return 1;
}

static int resource_eq(const appctl_resource *a, const appctl_resource *b)
{
	size_t i;

	if (!str_eq(a->name, b->name) || !str_eq(a->source, b->source) ||
	    !str_eq(a->tenant_key, b->tenant_key) ||
	    !a->has_retention != !b->has_retention ||
	    a->retention_days != b->retention_days ||
	    a->storage != b->storage ||
	    !str_eq(a->description, b->description) ||
	    a->field_count != b->field_count || !a->fields != !b->fields)
		return 0;
	for (i = 0; a->fields && i < a->field_count; i++)
		if (!str_eq(a->fields[i].name, b->fields[i].name) ||
		    a->fields[i].sensitivity != b->fields[i].sensitivity ||
		    !str_eq(a->fields[i].description, b->fields[i].description))
			return 0;
	return 1;
}

static int grant_eq(const appctl_grant *a, const appctl_grant *b)
{
	size_t i;

	if (!str_eq(a->resource, b->resource) || a->actions != b->actions ||
	    a->unknown_action_count != b->unknown_action_count ||
	    !strs_eq(a->unknown_actions, b->unknown_actions,
		    a->unknown_action_count) ||
	    !a->unknown_action_index != !b->unknown_action_index ||
	    a->hidden_field_count != b->hidden_field_count ||
	    !strs_eq(a->hidden_fields, b->hidden_fields,
		    a->hidden_field_count) ||
	    !str_eq(a->justification, b->justification) ||
	    a->index != b->index)
		return 0;
	for (i = 0; a->unknown_action_index && i < a->unknown_action_count; i++)
		if (a->unknown_action_index[i] != b->unknown_action_index[i])
			return 0;
	return 1;
}

static int role_eq(const appctl_role *a, const appctl_role *b)
{
	size_t i;

	if (!str_eq(a->name, b->name) || a->member_count != b->member_count ||
	    !a->members != !b->members || a->grant_count != b->grant_count ||
	    !a->grants != !b->grants ||
	    !str_eq(a->justification, b->justification) ||
	    !str_eq(a->description, b->description))
		return 0;
	for (i = 0; a->members && i < a->member_count; i++) {
		const appctl_member *x = &a->members[i], *y = &b->members[i];

		if (x->kind != y->kind || !str_eq(x->name, y->name) ||
		    !x->has_expires != !y->has_expires ||
		    x->expires != y->expires ||
		    !str_eq(x->expires_text, y->expires_text) ||
		    x->index != y->index)
			return 0;
	}
	for (i = 0; a->grants && i < a->grant_count; i++)
		if (!grant_eq(&a->grants[i], &b->grants[i]))
			return 0;
	return 1;
}

static int integration_eq(const appctl_integration *a,
	const appctl_integration *b)
{
	size_t i;

	if (!str_eq(a->name, b->name) || !str_eq(a->kind, b->kind) ||
	    !str_eq(a->owner, b->owner) || a->scope_count != b->scope_count ||
	    !strs_eq(a->scopes, b->scopes, a->scope_count) ||
	    a->credential_count != b->credential_count ||
	    !a->credentials != !b->credentials ||
	    !str_eq(a->on_failure, b->on_failure) ||
	    !a->has_rate_limit != !b->has_rate_limit ||
	    a->rate_limit_per_min != b->rate_limit_per_min ||
	    !str_eq(a->justification, b->justification) ||
	    !str_eq(a->description, b->description) ||
	    a->read_count != b->read_count ||
	    !strs_eq(a->reads, b->reads, a->read_count) ||
	    a->write_count != b->write_count ||
	    !strs_eq(a->writes, b->writes, a->write_count))
		return 0;
	for (i = 0; a->credentials && i < a->credential_count; i++)
		if (!str_eq(a->credentials[i].env, b->credentials[i].env) ||
		    !str_eq(a->credentials[i].ref, b->credentials[i].ref))
			return 0;
	return 1;
}

int appctl_model_cache_app_equal(const appctl_app *a, const appctl_app *b)
{
	size_t i;

	if (!str_eq(a->name, b->name) || !str_eq(a->file, b->file) ||
	    strcmp(a->blob_id, b->blob_id) != 0 || a->app_class != b->app_class ||
	    !str_eq(a->business_owner, b->business_owner) ||
	    !str_eq(a->technical_owner, b->technical_owner) ||
	    a->resource_count != b->resource_count ||
	    !a->resources != !b->resources || a->role_count != b->role_count ||
	    !a->roles != !b->roles || a->page_count != b->page_count ||
	    !a->pages != !b->pages ||
	    a->integration_count != b->integration_count ||
	    !a->integrations != !b->integrations ||
	    !str_eq(a->description, b->description) ||
	    !a->has_ai != !b->has_ai || a->ai_read_count != b->ai_read_count ||
	    !a->ai_reads != !b->ai_reads ||
	    !str_eq(a->ai_justification, b->ai_justification) ||
	    !str_eq(a->ai_description, b->ai_description))
		return 0;
	for (i = 0; a->resources && i < a->resource_count; i++)
		if (!resource_eq(&a->resources[i], &b->resources[i]))
			return 0;
	for (i = 0; a->roles && i < a->role_count; i++)
		if (!role_eq(&a->roles[i], &b->roles[i]))
			return 0;
	for (i = 0; a->pages && i < a->page_count; i++) {
		const appctl_page *x = &a->pages[i], *y = &b->pages[i];

		if (!str_eq(x->name, y->name) || !str_eq(x->resource, y->resource) ||
		    x->role_count != y->role_count ||
		    !strs_eq(x->roles, y->roles, x->role_count) ||
		    !str_eq(x->canonical, y->canonical) ||
		    !str_eq(x->description, y->description))
			return 0;
	}
	for (i = 0; a->integrations && i < a->integration_count; i++)
		if (!integration_eq(&a->integrations[i], &b->integrations[i]))
			return 0;
	for (i = 0; a->ai_reads && i < a->ai_read_count; i++) {
		const appctl_ai_read *x = &a->ai_reads[i], *y = &b->ai_reads[i];

		if (!str_eq(x->resource, y->resource) ||
		    x->field_count != y->field_count ||
		    !strs_eq(x->fields, y->fields, x->field_count) ||
		    !x->all_fields != !y->all_fields || x->index != y->index)
			return 0;
	}
	return 1;
}

/* ---- an unchanged app's access facts under a group move ---- */

/*
 * Same frame, magic "APPCTLF\n", the entry's key in place of a blob id.
 * Structure: the app's name, a count, then per change its kind and risk
 * (u32), principal, resource, action, field, via and expires (string refs)
 * and the field's sensitivity (u32, NO_REF when none). Only the four kinds
 * access_facts makes can be stored, so the decoder can check each change
 * against what that function could have produced.
 */

static const char *const fact_kinds[] = {
	"access.granted", "access.revoked", "field.exposed", "field.hidden"
};
#define FACT_KIND_COUNT (sizeof(fact_kinds) / sizeof(fact_kinds[0]))

/* Where `s` stands in `table`, or -1 (and for NULL). */
static int table_index(const char *const *table, size_t n, const char *s)
{
	size_t i;

	/* The writer's own literals are usually the very same (merged) strings. */
	for (i = 0; s && i < n; i++)
		if (s == table[i])
			return (int)i;
	for (i = 0; s && i < n; i++)
		if (strcmp(s, table[i]) == 0)
			return (int)i;
	return -1;
}

static int fact_kind(const char *kind)
{
	return table_index(fact_kinds, FACT_KIND_COUNT, kind);
}

/* The level whose JSON string (as access_facts writes it) `json` is; -1 for another. */
static int sens_of(const char *json)
{
	int s;

	for (s = APPCTL_SENS_PUBLIC; json && s <= APPCTL_SENS_RESTRICTED; s++)
		if (strcmp(json, appctl_sensitivity_json((appctl_sensitivity)s)) == 0)
			return s;
	return -1;
}

/*
 * 1 when `c` is one access_facts could make for `app` (kind 0-1 access,
 * 2-3 field): the one rule the encoder stores by and the decoder accepts
 * by. Risks as it grades them (a loss is low, a gain is not; a field
 * exposed is high from pii up), a known action, a real date, a field's
 * sensitivity other than public (public fields ride on access).
 */
static int fact_valid(const appctl_change *c, const char *app, int kind)
{
	const char *value = kind == 2 ? c->after : c->before;
	const char *other = kind == 2 ? c->before : c->after;
	appctl_date day;
	int sens;

	if (kind < 0 || (unsigned)c->risk > APPCTL_RISK_HIGH || !c->app ||
	    strcmp(c->app, app) != 0 || !c->principal || !c->resource ||
	    c->role || c->group || c->member || c->integration || c->scope ||
	    c->env || c->path || c->page || c->owner || c->scopes ||
	    c->credentials)
		return 0;
	if ((kind % 2 == 1) != (c->risk == APPCTL_RISK_LOW))
		return 0;
	if (kind < 2)
		return c->action && appctl_action_parse(c->action) && !c->field &&
			!c->before && !c->after && (!c->expires || (kind == 0 &&
				appctl_date_parse(&day, c->expires) == 0));
	sens = sens_of(value);
	return c->field && !c->action && !c->expires && !other &&
		sens > (int)APPCTL_SENS_PUBLIC && (kind == 3 ||
			(c->risk == APPCTL_RISK_HIGH) ==
			(sens >= (int)APPCTL_SENS_PII));
}

appctl_error *appctl_facts_cache_encode(unsigned char **out, size_t *len,
	const char *key, const char *app, const appctl_change *items,
	size_t count)
{
	encoder e;
	size_t i;

	*out = NULL;
	*len = 0;
	for (i = 0; i < count; i++)
		if (!fact_valid(&items[i], app, fact_kind(items[i].kind)))
			return NULL;
	memset(&e, 0, sizeof(e));
	put_str(&e, app);
	put_u32(&e, count);
	for (i = 0; i < count; i++) {
		const appctl_change *c = &items[i];
		int kind = fact_kind(c->kind);

		put_u32(&e, (uint64_t)kind);
		put_u32(&e, (uint64_t)c->risk);
		put_str(&e, c->principal);
		put_str(&e, c->resource);
		put_str(&e, c->action);
		put_str(&e, c->field);
		put_str(&e, c->via);
		put_str(&e, c->expires);
		if (kind >= 2)
			put_u32(&e, (uint64_t)sens_of(kind == 2 ? c->after
				: c->before));
		else
			b_le(&e.body, NO_REF, 4);
	}
	return seal_entry(out, len, &e, FACTS_MAGIC,
		APPCTL_MODEL_CACHE_VERSION, key);
}

/* One change as fact_valid accepts it, or d->bad. */
static void get_fact(decoder *d, appctl_change *c, const char *app)
{
	/* Copied, not memset: gcc clears 176 bytes with rep stos, slower to start. */
	static const appctl_change no_change;
	uint32_t kind = get_enum(d, FACT_KIND_COUNT), sens;

	*c = no_change;
	c->kind = fact_kinds[kind < FACT_KIND_COUNT ? kind : 0];
	c->risk = (appctl_risk)get_enum(d, APPCTL_RISK_HIGH + 1);
	c->app = app;
	c->principal = get_name(d);
	c->resource = get_name(d);
	c->action = get_str(d);
	c->field = get_str(d);
	c->via = get_str(d);
	c->expires = get_str(d);
	sens = get_u32(d);
	if (d->bad)
		return;
	/* A sensitivity for field facts only, written back as access_facts does. */
	if ((kind >= 2) != (sens != NO_REF) ||
	    (kind >= 2 && sens > APPCTL_SENS_RESTRICTED)) {
		d->bad = 1;
		return;
	}
	if (kind == 2)
		c->after = appctl_sensitivity_json((appctl_sensitivity)sens);
	else if (kind == 3)
		c->before = appctl_sensitivity_json((appctl_sensitivity)sens);
	if (!fact_valid(c, app, (int)kind))
		d->bad = 1;
}

int appctl_facts_cache_decode(appctl_changes *out, const unsigned char *data,
	size_t len, const char *key, const char *app)
{
	decoder d;
	appctl_change *items;
	const char *name;
	size_t count, i;
	int rc;

	rc = open_entry(&d, out->arena, data, len, FACTS_MAGIC,
		APPCTL_MODEL_CACHE_VERSION, key);
	if (rc <= 0)
		return rc;
	name = get_name(&d);
	if (d.bad || !app || strcmp(name, app) != 0)
		return 0;
	/* A change takes 36 bytes of input: a hostile count allocates nothing. */
	count = get_u32(&d);
	if (d.bad || count == NO_REF || (size_t)(d.end - d.p) / 36 < count)
		return 0;
	items = appctl_changes_reserve(out, count);
	if (!items)
		return -1;
	/* Filled past the end; counted only once every change checked out. */
	for (i = 0; i < count && !d.bad; i++)
		get_fact(&d, &items[i], name);
	if (d.bad || d.p != d.end)
		return 0;
	out->count += count;
	return 1;
}
