/* json_edit.h: editing JSON text in place, so a file keeps its formatting where it is not changed. */
#ifndef APPCTL_JSON_EDIT_H
#define APPCTL_JSON_EDIT_H

#include <stddef.h>

#include "appctl/error.h"

/* One step of a path: an object key, or (key NULL) an array index. */
typedef struct appctl_json_step {
	const char *key;
	size_t index;
} appctl_json_step;

/*
 * Finds the value at `steps` in `text` (which must be valid JSON, as the
 * parsers checked) and sets [*start, *end) to its bytes. Keys are compared
 * after decoding their escapes. Returns 0, or -1 when the path does not
 * occur.
 */
int appctl_json_span(size_t *start, size_t *end, const char *text,
	size_t len, const appctl_json_step *steps, size_t count);

/* A replacement of bytes [start, end) of a text. */
typedef struct appctl_text_edit {
	size_t start;
	size_t end;
	char *replacement;            /* owned, NUL-terminated */
} appctl_text_edit;

/*
 * The edit that removes the elements of the array at `steps` whose
 * indexes are flagged in `drop` (one flag per element, `drop_count` of
 * them), keeping the text between the remaining elements as it was (an
 * array left empty becomes "[]"). Returns 0 with *out filled (the caller
 * frees out->replacement), 1 when the array has no such path or its length
 * differs from `drop_count`, -1 out of memory.
 */
int appctl_json_array_drop(appctl_text_edit *out, const char *text,
	size_t len, const appctl_json_step *steps, size_t count,
	const unsigned char *drop, size_t drop_count);

/*
 * Applies non-overlapping `edits` (any order) to `text`, into a new
 * NUL-terminated string the caller frees (*out_len its length). Returns
 * NULL out of memory or when two edits overlap.
 */
char *appctl_text_apply_edits(const char *text, size_t len,
	appctl_text_edit *edits, size_t count, size_t *out_len);

#endif
