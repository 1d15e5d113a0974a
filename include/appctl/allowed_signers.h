/* allowed_signers.h: the allowed_signers file and SSH wire helpers, parsed as ssh-keygen -Y reads them (pure, no I/O). */
#ifndef APPCTL_ALLOWED_SIGNERS_H
#define APPCTL_ALLOWED_SIGNERS_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/error.h"

/*
 * One usable line: "principals [options] keytype base64 [comment]".
 * Lines ssh-keygen would skip (blank, comment, malformed, unknown option)
 * are not entries; `skipped` counts them.
 */
typedef struct appctl_signer {
	size_t line_no;            /* 1-based, for messages */
	char *principals;          /* the comma-separated pattern list as written */
	int cert_authority;
	char *namespaces;          /* pattern list, or NULL: any namespace */
	uint64_t valid_after;      /* Unix time; 0: no bound */
	uint64_t valid_before;     /* Unix time; 0: no bound */
	unsigned char *key;        /* the public key's wire blob */
	size_t key_len;
} appctl_signer;

typedef struct appctl_allowed_signers {
	appctl_signer *lines;
	size_t count;
	size_t skipped;
} appctl_allowed_signers;

/*
 * Parses the text of an allowed_signers file. Malformed lines are skipped,
 * as ssh-keygen skips them (a bad line never makes a good one fail). The
 * caller frees *out with appctl_allowed_signers_free. Only running out of
 * memory is an error.
 */
appctl_error *appctl_allowed_signers_parse(appctl_allowed_signers **out,
	const char *text, size_t len);

/* Frees what appctl_allowed_signers_parse made; NULL is a no-op. */
void appctl_allowed_signers_free(appctl_allowed_signers *s);

/* OpenSSH's match_pattern: one glob (`*`, `?`), no negation; true when `s` matches. */
int appctl_ssh_pattern_match(const char *s, const char *pattern);

/*
 * OpenSSH's match_pattern_list: `s` against the comma-separated glob
 * patterns (`*`, `?`) of `list`, case-sensitive. 1 when a pattern matches
 * and no negated ("!pattern") one does, -1 when a negated one matches,
 * 0 otherwise. Nothing to free.
 */
int appctl_ssh_pattern_list_match(const char *s, const char *list);

/*
 * ssh-keygen's time for valid-after/valid-before: YYYYMMDD, YYYYMMDDHHMM or
 * YYYYMMDDHHMMSS, UTC when followed by "Z" (or "UTC"), else local time
 * (mktime, as ssh-keygen does; appctl servers run with TZ=UTC). Digits
 * only; fields take strptime's ranges and roll over as ssh-keygen's do
 * ("20200230" is 1 March). 0 on success with *out set; -1 when malformed
 * or before 1970 (1970-01-01T00:00:00Z itself is 0, which the callers
 * refuse as ssh-keygen does).
 */
int appctl_ssh_time_parse(uint64_t *out, const char *s);

/*
 * Decodes base64 ignoring whitespace, as OpenSSH's b64_pton does. *out is
 * malloc'd (caller frees), NULL on failure. Returns 0, or -1 on bad input
 * or no memory.
 */
int appctl_base64_decode(unsigned char **out, size_t *out_len,
	const char *in, size_t in_len);

/* A cursor over SSH wire data (RFC 4251 uint32 and string). Frees nothing. */
typedef struct appctl_ssh_reader {
	const unsigned char *p;
	size_t left;
} appctl_ssh_reader;

/* Reads a uint32; -1 when too short. */
int appctl_ssh_read_u32(appctl_ssh_reader *r, uint32_t *v);

/*
 * Reads a string: *s points into the reader's buffer (not NUL-terminated,
 * not to be freed). -1 when its length runs past the end.
 */
int appctl_ssh_read_string(appctl_ssh_reader *r, const unsigned char **s,
	size_t *len);

/* True when the string [s, s+len) equals the C string `name`. */
int appctl_ssh_string_is(const unsigned char *s, size_t len, const char *name);

#endif
