/* json_internal.h: the checks of json.c that the arena parser (json_arena.c) and the fast app reader (model_fast.c) share, and nothing else sees. */
#ifndef APPCTL_JSON_INTERNAL_H
#define APPCTL_JSON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "appctl/error.h"
#include "appctl/json.h"

/*
 * What appctl_json_parse checks before any parser sees the text: the 16 MiB
 * limit, then UTF-8 without NUL bytes, no "\u0000" escape, no "\u" without
 * four hex digits, and nesting of at most 64. Returns exactly the error
 * appctl_json_parse returns for it (the caller frees it), or NULL. Both
 * parsers call this one function, so that they refuse the same texts with
 * the same words.
 */
appctl_error *appctl_json_precheck(const char *file, const char *data,
	size_t len);

/* The value of hex digit `c` (either case), or -1: for every \u escape. */
int appctl_json_hex_value(int c);

/*
 * The duplicate-key check appctl_json_parse runs on the tree it parsed:
 * returns the error naming the first duplicate and its JSON path (the caller
 * frees it), or NULL. `root` nests at most APPCTL_JSON_MAX_DEPTH + 1 levels,
 * which the precheck guarantees for any tree parsed from a text it passed.
 */
appctl_error *appctl_json_check_duplicates(const char *file, const cJSON *root);

/*
 * The high bit of each byte of `w` that is '"', '\\' or below 0x20: where a
 * string's plain run ends, so that every scanner of JSON text skips the
 * rest eight bytes at a time. The usual has-zero-byte test: bytes after the
 * first marked one may be marked wrongly (a borrow runs on), the lowest
 * mark never is, and bytes of 0x80 and up are never marked.
 */
static inline uint64_t appctl_json_care_marks(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');

	return (((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) |
		((w - ones * 0x20) & ~w)) & (ones * 0x80);
}

/*
 * Which byte of a word holds `bit`, the high bit of one byte: in
 * little-endian order, 0 for the first byte in memory.
 */
static inline size_t appctl_json_mark_index(uint64_t bit)
{
	return (size_t)(((bit >> 7) * 0x0001020304050607ull) >> 56);
}

/* The bytes at `p` before the first one appctl_json_care_marks marks, at most 8. */
static inline size_t appctl_json_plain_prefix(const unsigned char *p)
{
	uint64_t w, m;

	memcpy(&w, p, 8);
	m = appctl_json_care_marks(w);
	return m ? appctl_json_mark_index(m & (~m + 1)) : 8;
}

#endif
