/* fuzz_json_arena.c: libFuzzer target: the arena parser must answer exactly as appctl_json_parse. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/arena.h"
#include "appctl/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_string(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Equal for any reader of cJSON: values, keys, order and links (a first child's prev is the last). */
static int same_tree(const cJSON *a, const cJSON *b)
{
	const cJSON *x, *y, *last_x = NULL, *last_y = NULL;

	if (a->type != b->type || a->valueint != b->valueint ||
	    !same_string(a->string, b->string) ||
	    !same_string(a->valuestring, b->valuestring))
		return 0;
	if (memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) != 0 &&
	    !(isnan(a->valuedouble) && isnan(b->valuedouble)))
		return 0;
	for (x = a->child, y = b->child; x && y; x = x->next, y = y->next) {
		if (x != a->child && (x->prev != last_x || y->prev != last_y))
			return 0;
		if (!same_tree(x, y))
			return 0;
		last_x = x;
		last_y = y;
	}
	if (x || y)
		return 0;
	return !a->child || (a->child->prev == last_x && b->child->prev == last_y);
}

static int same_error(const appctl_error *a, const appctl_error *b)
{
	for (; a && b; a = a->next, b = b->next)
		if (a->code != b->code || !same_string(a->message, b->message) ||
		    !same_string(a->file, b->file) || !same_string(a->path, b->path))
			return 0;
	return a == NULL && b == NULL;
}

/*
 * Any bytes: the same tree or the same error from both, and nothing left
 * behind (ASan's leak check covers the fallback's cJSON tree and errors).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	appctl_arena *arena = appctl_arena_new();
	cJSON *heap = NULL, *in_arena = NULL;
	appctl_error *heap_err, *arena_err;

	if (!arena)
		return 0;
	heap_err = appctl_json_parse(&heap, "fuzz.json", text, size);
	arena_err = appctl_json_parse_arena(&in_arena, arena, "fuzz.json", text,
		size);
	if ((heap_err == NULL) != (arena_err == NULL) ||
	    (heap_err && (!same_error(heap_err, arena_err) || in_arena)) ||
	    (!heap_err && (!in_arena || in_arena->next || in_arena->prev ||
			      !same_tree(heap, in_arena))))
		abort();
	appctl_error_free(heap_err);
	appctl_error_free(arena_err);
	cJSON_Delete(heap);
	appctl_arena_free(arena);
	return 0;
}
