/* model_cache.h: a parsed app, and an unchanged app's access facts, in a compact binary form for .git/appctl/cache (pure, no I/O). */
#ifndef APPCTL_MODEL_CACHE_H
#define APPCTL_MODEL_CACHE_H

#include <stddef.h>

#include "appctl/arena.h"
#include "appctl/diff.h"
#include "appctl/error.h"
#include "appctl/model.h"

/*
 * The format version of an entry. Bump it whenever appctl_app (model.h), the
 * parser's output for some input, or this serialisation changes: an entry of
 * another version is never decoded, so a new appctl re-parses every blob
 * once instead of trusting facts an older parser produced.
 */
#define APPCTL_MODEL_CACHE_VERSION 2u

/*
 * Serialises `app` (as appctl_app_parse made it from blob app->blob_id) into
 * one malloc'd buffer: a header (magic, version, blob id, lengths), a string
 * table and the structure, ending with a checksum of all that precedes it.
 * The caller frees *out with free(). Errors: out of memory only.
 */
appctl_error *appctl_model_cache_encode(unsigned char **out, size_t *len,
	const appctl_app *app);

/*
 * Decodes an entry made by appctl_model_cache_encode into `arena`. The bytes
 * are untrusted input (a file anyone with write access to the git dir may
 * have changed, or a crash truncated): anything but a complete entry of this
 * version, for blob `blob_id`, whose checksum holds and whose contents keep
 * the model's invariants (enum ranges, sorted names, indexes in range, app
 * name `dir`), is a miss. Returns 1 and sets *out (living as long as the
 * arena) on a hit; 0 and *out = NULL on a miss; -1 when out of memory.
 * Nothing in `data` is referenced after the call.
 */
int appctl_model_cache_decode(appctl_app **out, appctl_arena *arena,
	const unsigned char *data, size_t len, const char *blob_id,
	const char *dir);

/*
 * Rewrites the checksum at the end of the `len` bytes of `data` to match
 * what precedes it (nothing when `len` is too short to hold one). Only for
 * fuzzing and tests: it lets damaged structures reach the decoder's checks
 * behind the checksum.
 */
void appctl_model_cache_seal(unsigned char *data, size_t len);

/*
 * Reads the header of the entry at the head of `data` (`avail` bytes):
 * its kind ('M' a parsed app, 'F' an app's facts), its id (40 lowercase
 * hex digits and a NUL) and its whole length, which may exceed `avail`.
 * 0, or -1 when the header is not one of this version. Whether the rest
 * holds is for appctl_model_cache_intact and the decoders: this is what
 * lets many entries share one file and be found again by walking it.
 */
#define APPCTL_MODEL_CACHE_HEADER_LEN 60u
int appctl_model_cache_frame(const unsigned char *data, size_t avail,
	char *kind, char id[41], size_t *len);

/* 1 when the checksum ending the `len` bytes of `data` holds, else 0. */
int appctl_model_cache_intact(const unsigned char *data, size_t len);

/*
 * 1 when two apps hold the same facts (every field, NULL and empty told
 * apart), else 0: what a cache round trip must preserve. For tests.
 */
int appctl_model_cache_app_equal(const appctl_app *a, const appctl_app *b);

/*
 * The access facts of one app whose file is the same blob on both sides of
 * a diff that moves group members (appctl_diff_app with principals), as an
 * entry named `key` (40 characters: the caller's hash of everything those
 * facts depend on). Only access.granted/revoked and field.exposed/hidden of
 * app `app` can be stored: *out is NULL (and nothing an error) when `items`
 * hold anything else. The caller frees *out with free().
 */
appctl_error *appctl_facts_cache_encode(unsigned char **out, size_t *len,
	const char *key, const char *app, const appctl_change *items,
	size_t count);

/*
 * Appends the facts of an entry made by appctl_facts_cache_encode to `out`
 * (strings in out->arena). Untrusted bytes, as for the model entry: a
 * frame that does not hold, another key or app, or a change access_facts
 * could not have made (a kind, action, date or sensitivity it never
 * writes, a field it leaves out) is a miss and appends nothing. 1 on a
 * hit, 0 on a miss, -1 when out of memory.
 */
int appctl_facts_cache_decode(appctl_changes *out, const unsigned char *data,
	size_t len, const char *key, const char *app);

#endif
