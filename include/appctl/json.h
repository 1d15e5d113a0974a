/* json.h: strict JSON reading on top of cJSON, JSON paths, canonical output. */
#ifndef APPCTL_JSON_H
#define APPCTL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "appctl/arena.h"
#include "appctl/error.h"
#include "appctl/strbuf.h"

/* SPEC §6 limits. */
#define APPCTL_JSON_MAX_BYTES (16u * 1024u * 1024u)
#define APPCTL_JSON_MAX_DEPTH 64

/*
 * Parses `len` bytes (not necessarily NUL-terminated) as one JSON document,
 * closing cJSON 1.7.15's traps: rejects documents over 16 MiB, NUL bytes,
 * invalid UTF-8 (overlong forms, surrogates, code points past U+10FFFF),
 * "\u0000" escapes, nesting deeper than 64 (checked before cJSON recurses),
 * trailing garbage and duplicate object keys. `file` names the input in
 * errors, which carry the JSON path (or "line L column C" for syntax errors).
 * On success *out is a cJSON tree the caller frees with cJSON_Delete.
 */
appctl_error *appctl_json_parse(cJSON **out, const char *file,
	const char *data, size_t len);

/*
 * appctl_json_parse's contract (the same texts accepted, the same trees, the
 * same errors), with every node and string of the tree allocated in `arena`
 * instead of by cJSON's malloc: free the arena to free the tree, never call
 * cJSON_Delete on it, and treat it as read-only (cJSON's editing functions
 * would free or realloc arena memory). The nodes read exactly as cJSON's
 * (types, values, keys, and `prev` of a first child pointing at the last).
 * On error *out is NULL and the caller frees the error. Texts outside strict
 * RFC 8259 that cJSON still takes ("01", raw tabs in strings) are parsed by
 * appctl_json_parse and copied in; then, as after an error, the arena also
 * holds the nodes of the abandoned strict attempt until it is freed.
 */
appctl_error *appctl_json_parse_arena(cJSON **out, appctl_arena *arena,
	const char *file, const char *data, size_t len);

/*
 * The case-sensitive member lookup (cJSON_GetObjectItem ignores case).
 * Returns NULL when `object` is not an object or has no such key.
 */
const cJSON *appctl_json_get(const cJSON *object, const char *key);

/*
 * Appends one path step to `path`: ".key" for identifier-like keys,
 * "[\"key\"]" (JSON-escaped) otherwise; appctl_json_path_index appends "[i]".
 */
void appctl_json_path_key(appctl_strbuf *path, const char *key);
void appctl_json_path_index(appctl_strbuf *path, size_t index);

/*
 * Finds the 1-based line and column where the value at `path` (as built by the
 * functions above, starting with "$") begins in `data`. Returns 0 when found,
 * -1 when the path does not occur (then *line and *column are 1 and 1).
 * Used to point SARIF results and text findings at a line.
 */
int appctl_json_locate(const char *data, size_t len, const char *path,
	unsigned *line, unsigned *column);

/* Where a value begins: 1-based line and column (characters), 0 and 0 when absent. */
typedef struct appctl_json_location {
	unsigned line;
	unsigned column;
} appctl_json_location;

/*
 * Locates `count` paths (none NULL) in one pass over `data`, so that the
 * cost is the length of the text plus the length of the paths, however many
 * there are: out[i] receives where paths[i] begins, exactly what
 * appctl_json_locate would answer, or 0 and 0 when it does not occur.
 * `out` is the caller's array of `count` entries; nothing to free. Returns
 * an error only when memory runs out.
 */
appctl_error *appctl_json_locate_all(appctl_json_location *out,
	const char *data, size_t len, const char *const *paths, size_t count);

/*
 * Appends `item` as canonical JSON: object keys sorted by their UTF-8 bytes,
 * no insignificant whitespace, integers without exponent. Two documents that
 * differ only in key order or formatting give the same bytes, so the result
 * can be signed and compared.
 */
void appctl_json_canonical(appctl_strbuf *out, const cJSON *item);

/* Appends `s` as a JSON string literal (with quotes), escaping as needed. */
void appctl_json_quote(appctl_strbuf *out, const char *s);

/*
 * True when `item` is a number holding an integer exactly representable in a
 * double (|v| < 2^53); stores it in *value.
 */
int appctl_json_integer(const cJSON *item, int64_t *value);

/* Checks that `data` is valid UTF-8 without NUL bytes; 0 if so, else the offset+1 of the first bad byte. */
size_t appctl_utf8_invalid_at(const char *data, size_t len);

#endif
