/* json_locate.c: find the lines of JSON paths in the original text, for findings. */
#include "appctl/json.h"
#include "json_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * cJSON keeps no positions, so locating a value means re-reading the text.
 * All the paths wanted in one file are merged into a trie, and one
 * recursive scan of the text walks it, so that 100 000 findings in a file
 * cost one pass, not one pass each. The scanner is tolerant (a path it has
 * not reached when the text turns odd is "not found") because it only ever
 * runs on text that appctl_json_parse already accepted; what it finds is
 * exactly what a scan for each path alone would find: the first value in
 * text order whose keys and indices spell the path.
 */

typedef struct step {
	int is_index;
	size_t index;
	char *key;
} step;

typedef struct scanner {
	const char *s;
	size_t len;
	size_t pos;
} scanner;

static void skip_ws(scanner *sc)
{
	while (sc->pos < sc->len && (sc->s[sc->pos] == ' ' ||
	       sc->s[sc->pos] == '\t' || sc->s[sc->pos] == '\n' ||
	       sc->s[sc->pos] == '\r'))
		sc->pos++;
}

static void put_utf8(appctl_strbuf *b, unsigned long cp)
{
	if (cp < 0x80) {
		appctl_strbuf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		appctl_strbuf_putc(b, (char)(0xC0 | (cp >> 6)));
		appctl_strbuf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		appctl_strbuf_putc(b, (char)(0xE0 | (cp >> 12)));
		appctl_strbuf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		appctl_strbuf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		appctl_strbuf_putc(b, (char)(0xF0 | (cp >> 18)));
		appctl_strbuf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		appctl_strbuf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		appctl_strbuf_putc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

static int read_hex4(const char *s, size_t len, size_t at, unsigned long *cp)
{
	int k, h;

	*cp = 0;
	if (at + 4 > len)
		return -1;
	for (k = 0; k < 4; k++) {
		h = appctl_json_hex_value((unsigned char)s[at + k]);
		if (h < 0)
			return -1;
		*cp = (*cp << 4) | (unsigned long)h;
	}
	return 0;
}

/* Decodes a JSON string starting at the opening quote into `out` (may be NULL to skip). */
static int scan_string(scanner *sc, appctl_strbuf *out)
{
	if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
		return -1;
	sc->pos++;
	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos++];
		unsigned long cp, lo;

		if (c == '"')
			return 0;
		if (c != '\\') {
			if (out)
				appctl_strbuf_putc(out, c);
			continue;
		}
		if (sc->pos >= sc->len)
			return -1;
		c = sc->s[sc->pos++];
		switch (c) {
		case 'n': c = '\n'; break;
		case 't': c = '\t'; break;
		case 'r': c = '\r'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'u':
			if (read_hex4(sc->s, sc->len, sc->pos, &cp) < 0)
				return -1;
			sc->pos += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF && sc->pos + 6 <= sc->len &&
			    sc->s[sc->pos] == '\\' && sc->s[sc->pos + 1] == 'u' &&
			    read_hex4(sc->s, sc->len, sc->pos + 2, &lo) == 0 &&
			    lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				sc->pos += 6;
			}
			if (out)
				put_utf8(out, cp);
			continue;
		default: break; /* \" \\ \/ stand for themselves */
		}
		if (out)
			appctl_strbuf_putc(out, c);
	}
	return -1;
}

#define NO_NODE SIZE_MAX

/* One step of a wanted path, below its parent step; node 0 is the root "$". */
typedef struct trie_node {
	size_t parent;
	int is_index;
	size_t index;
	char *key;    /* compared up to its first NUL, as strcmp would */
	size_t chain; /* next node in the same hash bucket */
	int has_children;
	int found;
	unsigned line;
	unsigned column;
} trie_node;

typedef struct trie {
	trie_node *nodes;
	size_t count;
	size_t cap;
	size_t *buckets; /* heads of chains; NO_NODE when empty */
	size_t bucket_mask;
	size_t unfound; /* nodes still to find: the scan stops at 0 */
} trie;

/* Where the scan has counted lines up to; positions only ever grow. */
typedef struct line_counter {
	size_t pos;
	unsigned line;
	unsigned column;
} line_counter;

typedef struct locate_scan {
	scanner sc;
	trie *t;
	line_counter lc;
	appctl_strbuf key; /* the key being matched, reused */
} locate_scan;

/* FNV-1a over the step, so that siblings spread over the buckets. */
static size_t step_hash(size_t parent, int is_index, size_t index,
	const char *key)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	h = (h ^ (uint64_t)parent) * 1099511628211ULL;
	if (is_index)
		return (size_t)((h ^ (uint64_t)index ^ 0x5bd1e995ULL) *
			1099511628211ULL);
	for (i = 0; key[i]; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	return (size_t)h;
}

static size_t trie_find(const trie *t, size_t parent, int is_index,
	size_t index, const char *key)
{
	size_t n = t->buckets[step_hash(parent, is_index, index, key) &
		t->bucket_mask];

	for (; n != NO_NODE; n = t->nodes[n].chain) {
		const trie_node *node = &t->nodes[n];

		if (node->parent != parent || node->is_index != is_index)
			continue;
		if (is_index ? node->index == index
			     : strcmp(node->key, key) == 0)
			return n;
	}
	return NO_NODE;
}

/* Doubles the buckets when they fill, keeping chains short. */
static int trie_grow(trie *t)
{
	size_t nb = (t->bucket_mask + 1) * 2, i, *buckets;

	if (t->count < t->bucket_mask / 2 + 1)
		return 0;
	if (nb > SIZE_MAX / sizeof(*buckets))
		return -1;
	buckets = malloc(nb * sizeof(*buckets));
	if (!buckets)
		return -1;
	for (i = 0; i < nb; i++)
		buckets[i] = NO_NODE;
	for (i = 1; i < t->count; i++) {
		trie_node *node = &t->nodes[i];
		size_t b = step_hash(node->parent, node->is_index, node->index,
				   node->key) &
			(nb - 1);

		node->chain = buckets[b];
		buckets[b] = i;
	}
	free(t->buckets);
	t->buckets = buckets;
	t->bucket_mask = nb - 1;
	return 0;
}

/*
 * The child of `parent` for step `st`, added when missing; takes st->key
 * when it adds a node. NO_NODE when memory runs out.
 */
static size_t trie_child(trie *t, size_t parent, step *st)
{
	const char *key = st->is_index ? "" : st->key;
	size_t n = trie_find(t, parent, st->is_index, st->index, key), b;
	trie_node *node;

	if (n != NO_NODE)
		return n;
	if (t->count == t->cap) {
		trie_node *grown;

		if (t->cap > SIZE_MAX / 2 / sizeof(*grown))
			return NO_NODE;
		grown = realloc(t->nodes, 2 * t->cap * sizeof(*grown));
		if (!grown)
			return NO_NODE;
		t->nodes = grown;
		t->cap *= 2;
	}
	n = t->count++;
	node = &t->nodes[n];
	memset(node, 0, sizeof(*node));
	node->parent = parent;
	node->is_index = st->is_index;
	node->index = st->is_index ? st->index : 0;
	node->key = st->is_index ? NULL : st->key;
	if (!st->is_index)
		st->key = NULL;
	b = step_hash(parent, node->is_index, node->index,
		    node->key ? node->key : "") &
		t->bucket_mask;
	node->chain = t->buckets[b];
	t->buckets[b] = n;
	t->nodes[parent].has_children = 1;
	t->unfound++;
	if (trie_grow(t) < 0)
		return NO_NODE;
	return n;
}

static void trie_dispose(trie *t)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		free(t->nodes[i].key);
	free(t->nodes);
	free(t->buckets);
}

static int trie_init(trie *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->cap = 16;
	t->nodes = calloc(t->cap, sizeof(*t->nodes));
	t->bucket_mask = 31;
	t->buckets = malloc((t->bucket_mask + 1) * sizeof(*t->buckets));
	if (!t->nodes || !t->buckets)
		return -1;
	for (i = 0; i <= t->bucket_mask; i++)
		t->buckets[i] = NO_NODE;
	t->count = 1; /* the root, "$" */
	t->nodes[0].parent = NO_NODE;
	t->unfound = 1;
	return 0;
}

/*
 * Lines count '\n'; columns count characters (UTF-8 lead bytes), so a
 * column is what an editor shows. Called in text order only, so the whole
 * scan counts each byte once.
 */
static void count_lines_to(line_counter *lc, const char *s, size_t pos)
{
	for (; lc->pos < pos; lc->pos++) {
		if (s[lc->pos] == '\n') {
			lc->line++;
			lc->column = 1;
		} else if (((unsigned char)s[lc->pos] & 0xC0) != 0x80) {
			lc->column++;
		}
	}
}

/*
 * Scans one value whose path is trie node `node` (NO_NODE when no wanted
 * path goes through it). Returns 0 when the value was read, -1 when the
 * text is odd, 1 when every wanted path has been found.
 */
static int scan_value(locate_scan *ls, size_t node, int depth)
{
	scanner *sc = &ls->sc;
	trie *t = ls->t;
	char c;

	skip_ws(sc);
	if (node != NO_NODE) {
		trie_node *n = &t->nodes[node];

		if (!n->found) {
			count_lines_to(&ls->lc, sc->s, sc->pos);
			n->found = 1;
			n->line = ls->lc.line;
			n->column = ls->lc.column;
			if (--t->unfound == 0)
				return 1;
		}
		if (!n->has_children)
			node = NO_NODE;
	}
	if (depth > APPCTL_JSON_MAX_DEPTH || sc->pos >= sc->len)
		return -1;
	c = sc->s[sc->pos];
	if (c == '{') {
		sc->pos++;
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
			sc->pos++;
			return 0;
		}
		for (;;) {
			size_t next = NO_NODE;
			int r;

			skip_ws(sc);
			/* Keys are decoded only where a wanted path may follow them. */
			appctl_strbuf_truncate(&ls->key, 0);
			if (scan_string(sc, node == NO_NODE ? NULL : &ls->key) <
				0)
				return -1;
			if (node != NO_NODE) {
				if (ls->key.failed)
					return -1;
				next = trie_find(t, node, 0, 0,
					ls->key.ptr ? ls->key.ptr : "");
			}
			skip_ws(sc);
			if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
				return -1;
			sc->pos++;
			r = scan_value(ls, next, depth + 1);
			if (r != 0)
				return r;
			skip_ws(sc);
			if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
				sc->pos++;
				continue;
			}
			if (sc->pos < sc->len && sc->s[sc->pos] == '}') {
				sc->pos++;
				return 0;
			}
			return -1;
		}
	}
	if (c == '[') {
		size_t index = 0;

		sc->pos++;
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
			sc->pos++;
			return 0;
		}
		for (;; index++) {
			size_t next = node == NO_NODE
				? NO_NODE
				: trie_find(t, node, 1, index, "");
			int r;

			r = scan_value(ls, next, depth + 1);
			if (r != 0)
				return r;
			skip_ws(sc);
			if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
				sc->pos++;
				continue;
			}
			if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
				sc->pos++;
				return 0;
			}
			return -1;
		}
	}
	if (c == '"')
		return scan_string(sc, NULL) < 0 ? -1 : 0;
	/* A scalar: number, true, false, null. */
	while (sc->pos < sc->len && !strchr(",]} \t\r\n", sc->s[sc->pos]))
		sc->pos++;
	return 0;
}

static void free_steps(step *steps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(steps[i].key);
	free(steps);
}

/*
 * Splits "$.a[\"b c\"][2]" into steps; returns the count, -1 when `path`
 * is not a path, -2 when memory runs out.
 */
static long parse_path(const char *path, step **out)
{
	size_t cap = 8, n = 0, len = strlen(path);
	step *steps = calloc(cap, sizeof(*steps));
	scanner sc = { path, len, 1 };

	*out = NULL;
	if (!steps)
		goto nomem;
	if (path[0] != '$')
		goto fail;
	while (sc.pos < len) {
		if (n == cap) {
			step *grown = realloc(steps, 2 * cap * sizeof(*steps));
			if (!grown)
				goto nomem;
			memset(grown + cap, 0, cap * sizeof(*steps));
			steps = grown;
			cap *= 2;
		}
		if (path[sc.pos] == '.') {
			size_t start = ++sc.pos;

			while (sc.pos < len && path[sc.pos] != '.' && path[sc.pos] != '[')
				sc.pos++;
			steps[n].key = strndup(path + start, sc.pos - start);
			if (!steps[n++].key)
				goto nomem;
		} else if (path[sc.pos] == '[' && sc.pos + 1 < len &&
			   path[sc.pos + 1] == '"') {
			appctl_strbuf key = APPCTL_STRBUF_INIT;

			sc.pos++;
			if (scan_string(&sc, &key) < 0 || sc.pos >= len ||
			    path[sc.pos] != ']') {
				appctl_strbuf_dispose(&key);
				goto fail;
			}
			sc.pos++;
			steps[n].key = appctl_strbuf_detach(&key);
			if (!steps[n++].key)
				goto nomem;
		} else if (path[sc.pos] == '[') {
			size_t v = 0;

			sc.pos++;
			if (sc.pos >= len || path[sc.pos] < '0' || path[sc.pos] > '9')
				goto fail;
			while (sc.pos < len && path[sc.pos] >= '0' && path[sc.pos] <= '9' &&
			       v < SIZE_MAX / 10)
				v = v * 10 + (size_t)(path[sc.pos++] - '0');
			if (sc.pos >= len || path[sc.pos] != ']')
				goto fail;
			sc.pos++;
			steps[n].is_index = 1;
			steps[n++].index = v;
		} else {
			goto fail;
		}
	}
	*out = steps;
	return (long)n;
fail:
	free_steps(steps, n);
	return -1;
nomem:
	free_steps(steps, n);
	return -2;
}

/*
 * Locates every path in one scan: the paths become a trie, and out[i]
 * points at the node of paths[i] (NO_NODE when it is not a path).
 */
appctl_error *appctl_json_locate_all(appctl_json_location *out,
	const char *data, size_t len, const char *const *paths, size_t count)
{
	locate_scan ls;
	size_t *path_node = NULL, i, j;
	appctl_error *err = NULL;
	trie t;

	memset(&ls, 0, sizeof(ls));
	memset(out, 0, count * sizeof(*out));
	if (trie_init(&t) < 0)
		goto nomem;
	path_node = malloc((count ? count : 1) * sizeof(*path_node));
	if (!path_node)
		goto nomem;
	for (i = 0; i < count; i++) {
		step *steps;
		long n = parse_path(paths[i], &steps);
		size_t node = 0;

		path_node[i] = NO_NODE;
		if (n == -2)
			goto nomem;
		if (n < 0)
			continue; /* not a path: never found */
		for (j = 0; j < (size_t)n && node != NO_NODE; j++)
			node = trie_child(&t, node, &steps[j]);
		free_steps(steps, (size_t)n);
		if (node == NO_NODE)
			goto nomem;
		path_node[i] = node;
	}
	ls.sc.s = data;
	ls.sc.len = len;
	ls.t = &t;
	ls.lc.line = ls.lc.column = 1;
	(void)scan_value(&ls, 0, 0);
	if (ls.key.failed)
		goto nomem;
	for (i = 0; i < count; i++) {
		const trie_node *node =
			path_node[i] == NO_NODE ? NULL : &t.nodes[path_node[i]];

		if (node && node->found) {
			out[i].line = node->line;
			out[i].column = node->column;
		}
	}
	goto done;
nomem:
	err = appctl_error_nomem();
done:
	appctl_strbuf_dispose(&ls.key);
	free(path_node);
	trie_dispose(&t);
	return err;
}

int appctl_json_locate(const char *data, size_t len, const char *path,
	unsigned *line, unsigned *column)
{
	appctl_json_location loc;
	appctl_error *err = appctl_json_locate_all(&loc, data, len, &path, 1);

	*line = *column = 1;
	if (err) {
		appctl_error_free(err);
		return -1;
	}
	if (!loc.line)
		return -1;
	*line = loc.line;
	*column = loc.column;
	return 0;
}
