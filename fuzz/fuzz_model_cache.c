/* fuzz_model_cache.c: libFuzzer target for the decoders of .git/appctl/cache: parsed apps and an app's facts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/access.h"
#include "appctl/diff.h"
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
static void facts(const uint8_t *data, size_t size, const char *key);

/*
 * Each input twice: as it is (the header and checksum checks), then with
 * its checksum made to match, so that mutations reach the structure's
 * checks behind it, which a random 64-bit checksum would otherwise hide.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy;
	char kind, id[41];
	size_t len;

	/* A pack is walked by its headers: what one says must be sane. */
	if (appctl_model_cache_frame(data, size, &kind, id, &len) == 0) {
		if ((kind != 'M' && kind != 'F') || strlen(id) != 40 ||
		    strspn(id, "0123456789abcdef") != 40 ||
		    len < APPCTL_MODEL_CACHE_HEADER_LEN + 8)
			abort();
		if (len <= size)
			(void)appctl_model_cache_intact(data, len);
	}
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
	facts(data, size, blob_id);
}

/*
 * The same input as an app's facts entry (key from its header, app
 * "fuzz"): a hit appends only changes the encoder would store again, and
 * those decode to the same changes; a miss appends nothing.
 */
static void facts(const uint8_t *data, size_t size, const char *key)
{
	appctl_changes got, again;
	unsigned char *bytes = NULL;
	size_t len = 0, i;
	appctl_error *err;
	int rc;

	if (appctl_changes_init(&got) != 0)
		return;
	if (appctl_changes_init(&again) != 0) {
		appctl_changes_dispose(&got);
		return;
	}
	rc = appctl_facts_cache_decode(&got, data, size, key, "fuzz");
	if (rc != 1 && got.count != 0)
		abort();
	if (rc == 1) {
		err = appctl_facts_cache_encode(&bytes, &len, key, "fuzz",
			got.items, got.count);
		if (!err && !bytes)
			abort();
		if (bytes && (appctl_facts_cache_decode(&again, bytes, len, key,
				      "fuzz") != 1 || again.count != got.count))
			abort();
		for (i = 0; bytes && i < got.count; i++)
			if (!appctl_change_equal(&got.items[i], &again.items[i]))
				abort();
		appctl_error_free(err);
		free(bytes);
	}
	appctl_changes_dispose(&again);
	appctl_changes_dispose(&got);
}
