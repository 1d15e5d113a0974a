/* fuzz_model_cache.c: libFuzzer target for the decoder of the per-blob cache of parsed apps. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/access.h"
#include "appctl/model.h"
#include "appctl/model_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A cache entry is a file under the git dir: input like any other. The
 * blob id the decoder expects is taken from the input's own header, so the
 * fuzzer reaches past that check; the app must be named "fuzz", as the
 * seeds are. Whatever decodes must encode again to an entry that decodes to
 * an equal app: a hit is exactly the facts it stored.
 */
static void one(const uint8_t *data, size_t size);

/*
 * Each input twice: as it is (the header and checksum checks), then with
 * its checksum made to match, so that mutations reach the structure's
 * checks behind it, which a random 64-bit checksum would otherwise hide.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy;

	one(data, size);
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	appctl_model_cache_seal(copy, size);
	one(copy, size);
	free(copy);
	return 0;
}

static void one(const uint8_t *data, size_t size)
{
	char blob_id[41] = "0000000000000000000000000000000000000000";
	appctl_arena *arena = appctl_arena_new();
	appctl_app *app = NULL, *again = NULL;
	unsigned char *bytes = NULL;
	size_t len = 0;
	appctl_error *err;

	if (!arena)
		return;
	if (size >= 52 && !memchr(data + 12, '\0', 40))
		memcpy(blob_id, data + 12, 40);
	if (appctl_model_cache_decode(&app, arena, data, size, blob_id,
		    "fuzz") == 1) {
		if (!app || strcmp(app->name, "fuzz") != 0)
			abort();
		(void)appctl_app_uses_group(app, "g00");
		err = appctl_model_cache_encode(&bytes, &len, app);
		if (!err) {
			if (appctl_model_cache_decode(&again, arena, bytes, len,
				    blob_id, "fuzz") != 1 ||
			    !appctl_model_cache_app_equal(app, again))
				abort();
		}
		appctl_error_free(err);
		free(bytes);
	}
	appctl_arena_free(arena);
}
