/* json_internal.h: the checks of json.c that the arena parser (json_arena.c) and the fast app reader (model_fast.c) share, and nothing else sees. */
#ifndef APPCTL_JSON_INTERNAL_H
#define APPCTL_JSON_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
 * string's plain run ends. The usual has-zero-byte test: bytes after the
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
 * The length of the plain run at `p` (before `end`): bytes up to the first
 * '"', '\\' or control character, where every scanner of JSON text has to
 * look closer. Strings are most of a definition, so the run is taken 16
 * bytes a step where SSE2 is (every x86-64), else 8. With `high`, *high is
 * set when the run holds a byte of 0x80 or more (UTF-8 to check).
 */
static inline size_t appctl_json_plain_run(const unsigned char *p,
	const unsigned char *end, int *high)
{
	const unsigned char *start = p;
	int hi = 0;
	uint64_t w, m;

#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
		controls = _mm_set1_epi8(0x1f), zero = _mm_setzero_si128();

	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* v <= 0x1f, unsigned: subtracting 0x1f with saturation leaves 0. */
		__m128i care = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
			_mm_cmpeq_epi8(v, backslash)),
			_mm_cmpeq_epi8(_mm_subs_epu8(v, controls), zero));
		unsigned stops = (unsigned)_mm_movemask_epi8(care);
		unsigned highs = (unsigned)_mm_movemask_epi8(v);

		if (stops) {
			unsigned k = (unsigned)__builtin_ctz(stops);

			hi |= (highs & ((1u << k) - 1)) != 0;
			p += k;
			goto done;
		}
		hi |= highs != 0;
		p += 16;
	}
#endif
	while (end - p >= 8) {
		memcpy(&w, p, 8);
		m = appctl_json_care_marks(w);
		if (m) {
			m &= ~m + 1;
			/* The byte of the lowest mark, and the high bits before it. */
			hi |= (w & 0x8080808080808080ull & (m - 1)) != 0;
			p += (size_t)(((m >> 7) * 0x0001020304050607ull) >> 56);
			goto done;
		}
		hi |= (w & 0x8080808080808080ull) != 0;
		p += 8;
	}
	while (p < end && *p != '"' && *p != '\\' && *p >= 0x20) {
		hi |= *p >> 7;
		p++;
	}
done:
	if (high)
		*high |= hi;
	return (size_t)(p - start);
}

#endif
