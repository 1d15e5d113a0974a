/* json_internal.h: the checks of json.c that the arena parser (json_arena.c) shares, and nothing else sees. */
#ifndef APPCTL_JSON_INTERNAL_H
#define APPCTL_JSON_INTERNAL_H

#include <stddef.h>

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

#endif
