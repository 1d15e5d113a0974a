/* fuzz_model_fast.c: libFuzzer target: the one-pass app reader never accepts what the full parse refuses, nor builds another model. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/arena.h"
#include "appctl/model.h"
#include "appctl/model_cache.h"
#include "../src/core/model_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Any bytes, read as apps/x/app.json (the seeds are named "x"): when the
 * fast reader accepts them, the full parse must too, and both models must
 * encode to the same bytes (every field, NULL arrays told from empty ones).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	appctl_file file = { "apps/x/app.json", (const char *)data, size,
		"0123456789abcdef0123456789abcdef01234567" };
	appctl_arena *a = appctl_arena_new(), *b = appctl_arena_new();
	appctl_app *full = NULL, *fast = NULL;
	appctl_error *err;

	if (!a || !b)
		abort();
	err = appctl_app_parse_tree(&full, a, &file, "x");
	if (appctl_app_parse_fast(&fast, b, &file, "x")) {
		unsigned char *x = NULL, *y = NULL;
		size_t nx = 0, ny = 0;

		if (err || !fast)
			abort();
		if (appctl_model_cache_encode(&x, &nx, full) ||
		    appctl_model_cache_encode(&y, &ny, fast))
			abort();
		if (nx != ny || memcmp(x, y, nx) != 0)
			abort();
		free(x);
		free(y);
	}
	appctl_error_free(err);
	appctl_arena_free(a);
	appctl_arena_free(b);
	return 0;
}
