/* json_arena.c: appctl_json_parse's contract with the tree in an arena: a strict parser, cJSON for the rest. */
#include "appctl/json.h"
#include "json_internal.h"

#include <limits.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Why this gives the same answers as appctl_json_parse for every input:
 * both run the same precheck first; then this file's parser accepts only
 * RFC 8259 texts, and of those not the few that cJSON refuses or reads
 * oddly (lone surrogates, a byte order mark, numbers past 63 characters),
 * so cJSON 1.7.15 accepts each into the tree built here; whatever it
 * refuses goes to
 * appctl_json_parse itself, whose error is returned unchanged and whose
 * tree (cJSON is lenient: "01", "1.", raw control characters...) is copied
 * into the arena. So this file never has to reproduce cJSON's leniency or
 * its error positions, only its trees for valid JSON.
 */

/*
 * cJSON 1.7.15 reads at most 63 characters of a number, and refuses longer
 * ones; builds with the fix for CVE-2023-26819 (Debian's 1.7.15-1+deb12u3
 * on) read them all. Longer numbers go to cJSON, right for either build.
 */
#define NUMBER_MAX 63

typedef struct parser {
	const unsigned char *p;
	const unsigned char *end;
	appctl_arena *arena;
	int nomem;            /* the arena ran out: an error, not a refusal */
	int decimal_point_ok; /* the locale's decimal point is '.' */
} parser;

/* What parse_value returns for a text the strict grammar refuses. */
#define REFUSED NULL

static cJSON *parse_value(parser *ps, int depth);

static cJSON *new_node(parser *ps, int type)
{
	cJSON *node = appctl_arena_calloc(ps->arena, 1, sizeof(*node));

	if (!node) {
		ps->nomem = 1;
		return NULL;
	}
	node->type = type;
	return node;
}

static void skip_whitespace(parser *ps)
{
	const unsigned char *p = ps->p, *end = ps->end;

	while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	ps->p = p;
}

/* The value of the four hex digits at `s` (the caller checked they exist), or -1. */
static long hex4(const unsigned char *s)
{
	long v = 0;
	int i, d;

	for (i = 0; i < 4; i++) {
		d = appctl_json_hex_value(s[i]);
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * Decodes the escapes of the string body `s` (NUL-terminated, `n` bytes) in
 * place: every escape is at least as long as the bytes it stands for, so
 * the writer never passes the reader. Produces cJSON's bytes (surrogate
 * pairs joined, code points as UTF-8); returns -1 for what strict JSON or
 * cJSON refuses (a bad hex digit, which the precheck refuses first): the
 * fallback decides those.
 */
static int decode_escapes(char *s, size_t n)
{
	unsigned char *in = (unsigned char *)s, *end = in + n;
	unsigned char *out = in;

	while (in < end) {
		long cp, low;

		if (*in != '\\') {
			*out++ = *in++;
			continue;
		}
		/* The scan that found the string's end saw a byte after each '\\'. */
		switch (in[1]) {
		case '"': *out++ = '"'; in += 2; continue;
		case '\\': *out++ = '\\'; in += 2; continue;
		case '/': *out++ = '/'; in += 2; continue;
		case 'b': *out++ = '\b'; in += 2; continue;
		case 'f': *out++ = '\f'; in += 2; continue;
		case 'n': *out++ = '\n'; in += 2; continue;
		case 'r': *out++ = '\r'; in += 2; continue;
		case 't': *out++ = '\t'; in += 2; continue;
		case 'u': break;
		default: return -1;
		}
		if (end - in < 6 || (cp = hex4(in + 2)) < 0)
			return -1;
		in += 6;
		/* The precheck refuses "\u0000"; a NUL would end the C string early. */
		if (cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
			return -1;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (end - in < 6 || in[0] != '\\' || in[1] != 'u' ||
			    (low = hex4(in + 2)) < 0xDC00 || low > 0xDFFF)
				return -1;
			in += 6;
			cp = 0x10000 + (((cp & 0x3FF) << 10) | (low & 0x3FF));
		}
		if (cp < 0x80) {
			*out++ = (unsigned char)cp;
		} else if (cp < 0x800) {
			*out++ = (unsigned char)(0xC0 | cp >> 6);
			*out++ = (unsigned char)(0x80 | (cp & 0x3F));
		} else if (cp < 0x10000) {
			*out++ = (unsigned char)(0xE0 | cp >> 12);
			*out++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
			*out++ = (unsigned char)(0x80 | (cp & 0x3F));
		} else {
			*out++ = (unsigned char)(0xF0 | cp >> 18);
			*out++ = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
			*out++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
			*out++ = (unsigned char)(0x80 | (cp & 0x3F));
		}
	}
	*out = '\0';
	return 0;
}

/*
 * The string starting at the '"' under ps->p, copied into the arena once
 * (and decoded there when it has escapes), or NULL when refused or out of
 * memory. Raw control characters are refused: cJSON keeps them, the
 * fallback copies its tree.
 */
static char *parse_string(parser *ps)
{
	const unsigned char *start = ps->p + 1, *q = start, *end = ps->end;
	int escaped = 0;
	char *s;

	for (;;) {
		q += appctl_json_plain_run(q, end, NULL);
		if (q >= end)
			return REFUSED;
		if (*q == '"')
			break;
		if (*q == '\\') {
			if (end - q < 2)
				return REFUSED;
			escaped = 1;
			q += 2;
		} else if (*q < 0x20) {
			return REFUSED;
		} else {
			q++;
		}
	}
	s = appctl_arena_strndup(ps->arena, (const char *)start,
		(size_t)(q - start));
	if (!s) {
		ps->nomem = 1;
		return NULL;
	}
	if (escaped && decode_escapes(s, (size_t)(q - start)) != 0)
		return REFUSED;
	ps->p = q + 1;
	return s;
}

/*
 * A number of the RFC grammar, read by strtod as cJSON reads it. Refuses
 * the forms only cJSON takes ("01" stops at the 0 and fails in the caller,
 * "1.", "-.5"), texts longer than cJSON 1.7.15 reads, and fractions where
 * the locale's decimal point is not '.' (cJSON swaps it in: the fallback
 * keeps that exact).
 */
static cJSON *parse_number(parser *ps)
{
	const unsigned char *start = ps->p, *p = start, *end = ps->end;
	char text[NUMBER_MAX + 1];
	int fraction = 0;
	double number;
	size_t n;
	cJSON *node;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
	} else if (p < end && *p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return REFUSED;
	}
	if (p < end && *p == '.') {
		p++;
		fraction = 1;
		if (p >= end || *p < '0' || *p > '9')
			return REFUSED;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return REFUSED;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	n = (size_t)(p - start);
	if (n > NUMBER_MAX || (fraction && !ps->decimal_point_ok))
		return REFUSED;
	/*
	 * strtod on a NUL-terminated copy of the checked span only: the text is
	 * not terminated, and strtod alone would read hex, "inf" and "nan".
	 */
	memcpy(text, start, n);
	text[n] = '\0';
	number = strtod(text, NULL);
	node = new_node(ps, cJSON_Number);
	if (!node)
		return NULL;
	node->valuedouble = number;
	/* cJSON saturates valueint. */
	if (number >= INT_MAX)
		node->valueint = INT_MAX;
	else if (number <= (double)INT_MIN)
		node->valueint = INT_MIN;
	else
		node->valueint = (int)number;
	ps->p = p;
	return node;
}

static int take_literal(parser *ps, const char *word, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return 0;
	ps->p += n;
	return 1;
}

/* Links `child` after `last` the way cJSON's parse_array and parse_object do. */
static void append_child(cJSON *parent, cJSON **last, cJSON *child)
{
	if (*last) {
		(*last)->next = child;
		child->prev = *last;
	} else {
		parent->child = child;
	}
	*last = child;
}

/*
 * After a member of an array or object: 1 when a comma says another
 * follows (whitespace after it skipped), 0 at `close`, -1 for anything
 * else. The closing bracket itself is left for the caller.
 */
static int next_member(parser *ps, char close)
{
	skip_whitespace(ps);
	if (ps->p >= ps->end)
		return -1;
	if (*ps->p == (unsigned char)close)
		return 0;
	if (*ps->p != ',')
		return -1;
	ps->p++;
	skip_whitespace(ps);
	return 1;
}

static cJSON *parse_array(parser *ps, int depth)
{
	cJSON *node = new_node(ps, cJSON_Array), *last = NULL, *child;
	int more;

	if (!node)
		return NULL;
	ps->p++;
	skip_whitespace(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return node;
	}
	do {
		child = parse_value(ps, depth);
		if (!child)
			return NULL;
		append_child(node, &last, child);
	} while ((more = next_member(ps, ']')) > 0);
	if (more < 0)
		return REFUSED;
	ps->p++;
	/* cJSON's convention: the first child's prev is the last child. */
	node->child->prev = last;
	return node;
}

static cJSON *parse_object(parser *ps, int depth)
{
	cJSON *node = new_node(ps, cJSON_Object), *last = NULL, *child;
	char *key;
	int more;

	if (!node)
		return NULL;
	ps->p++;
	skip_whitespace(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return node;
	}
	do {
		if (ps->p >= ps->end || *ps->p != '"')
			return REFUSED;
		key = parse_string(ps);
		if (!key)
			return NULL;
		skip_whitespace(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return REFUSED;
		ps->p++;
		skip_whitespace(ps);
		child = parse_value(ps, depth);
		if (!child)
			return NULL;
		child->string = key;
		append_child(node, &last, child);
	} while ((more = next_member(ps, '}')) > 0);
	if (more < 0)
		return REFUSED;
	ps->p++;
	node->child->prev = last;
	return node;
}

/*
 * One value at ps->p (whitespace before it skipped by the caller), or NULL
 * when refused or out of memory (ps->nomem tells which). `depth` counts the
 * containers around the value.
 */
static cJSON *parse_value(parser *ps, int depth)
{
	cJSON *node;
	char *s;

	if (ps->p >= ps->end)
		return REFUSED;
	switch (*ps->p) {
	case '{':
	case '[':
		/* The precheck bounds nesting; this only guards the recursion. */
		if (depth >= APPCTL_JSON_MAX_DEPTH)
			return REFUSED;
		return *ps->p == '{' ? parse_object(ps, depth + 1)
				     : parse_array(ps, depth + 1);
	case '"':
		s = parse_string(ps);
		if (!s)
			return NULL;
		node = new_node(ps, cJSON_String);
		if (node)
			node->valuestring = s;
		return node;
	case 't':
		if (!take_literal(ps, "true", 4))
			return REFUSED;
		node = new_node(ps, cJSON_True);
		/* cJSON sets valueint of true, and of nothing else but numbers. */
		if (node)
			node->valueint = 1;
		return node;
	case 'f':
		if (!take_literal(ps, "false", 5))
			return REFUSED;
		return new_node(ps, cJSON_False);
	case 'n':
		if (!take_literal(ps, "null", 4))
			return REFUSED;
		return new_node(ps, cJSON_NULL);
	default:
		return parse_number(ps);
	}
}

/* An arena copy of the cJSON tree `from`, links and all, or NULL when out of memory. */
static cJSON *copy_tree(appctl_arena *arena, const cJSON *from)
{
	cJSON *node = appctl_arena_calloc(arena, 1, sizeof(*node)), *last = NULL;
	const cJSON *it;

	if (!node)
		return NULL;
	node->type = from->type;
	node->valueint = from->valueint;
	node->valuedouble = from->valuedouble;
	if (from->string &&
	    !(node->string = appctl_arena_strdup(arena, from->string)))
		return NULL;
	if (from->valuestring &&
	    !(node->valuestring = appctl_arena_strdup(arena, from->valuestring)))
		return NULL;
	for (it = from->child; it; it = it->next) {
		cJSON *child = copy_tree(arena, it);

		if (!child)
			return NULL;
		append_child(node, &last, child);
	}
	if (node->child)
		node->child->prev = last;
	return node;
}

/* The text the strict parser refused: cJSON decides, through appctl_json_parse. */
static appctl_error *parse_fallback(cJSON **out, appctl_arena *arena,
	const char *file, const char *data, size_t len)
{
	appctl_error *err;
	cJSON *tree = NULL;

	/* Its duplicate-key check has run on this tree: nothing left to check. */
	err = appctl_json_parse(&tree, file, data, len);
	if (err)
		return err;
	*out = copy_tree(arena, tree);
	if (!*out)
		err = appctl_error_nomem();
	cJSON_Delete(tree);
	return err;
}

appctl_error *appctl_json_parse_arena(cJSON **out, appctl_arena *arena,
	const char *file, const char *data, size_t len)
{
	parser ps;
	appctl_error *err;
	cJSON *root;

	*out = NULL;
	err = appctl_json_precheck(file, data, len);
	if (err)
		return err;
	ps.p = (const unsigned char *)data;
	ps.end = ps.p + len;
	ps.arena = arena;
	ps.nomem = 0;
	ps.decimal_point_ok = localeconv()->decimal_point[0] == '.';
	skip_whitespace(&ps);
	root = parse_value(&ps, 0);
	if (root) {
		skip_whitespace(&ps);
		if (ps.p != ps.end)
			root = REFUSED;
	}
	if (ps.nomem)
		return appctl_error_nomem();
	if (!root)
		return parse_fallback(out, arena, file, data, len);
	err = appctl_json_check_duplicates(file, root);
	if (err)
		return err;
	*out = root;
	return NULL;
}
