/* sign.h: SSH signatures through ssh-keygen -Y, as git does (the only code that runs it). */
#ifndef APPCTL_SIGN_H
#define APPCTL_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/error.h"

/* The signature namespace of every appctl signature. */
#define APPCTL_SIGN_NAMESPACE "appctl"

/*
 * Signs `data` with `ssh-keygen -Y sign -n appctl -f key_file`. *out is the
 * armored signature (caller frees). A missing ssh-keygen or an unusable key
 * is APPCTL_ESYSTEM with ssh-keygen's own message.
 */
appctl_error *appctl_ssh_sign(char **out, const char *key_file,
	const char *data, size_t len);

/*
 * Verifies `signature` over `data` against `allowed_signers` (the text of
 * the allowed-signers file that judges it), as of Unix time `at` (the
 * verifier's clock for a new event, the event's time for a recorded one;
 * ssh-keygen -O verify-time):
 * `ssh-keygen -Y find-principals` names the principal the key belongs to
 * (honouring valid-after / valid-before and namespaces=), then
 * `ssh-keygen -Y verify -n appctl -I principal` must exit 0 and print a
 * "Good" line. On success *principal is that principal (caller frees) and
 * *why NULL; when the signature does not verify *principal is NULL and *why
 * says why (caller frees). An error is returned only when verification
 * could not be attempted (no ssh-keygen, I/O).
 */
appctl_error *appctl_ssh_verify(char **principal, char **why,
	const char *allowed_signers, const char *data, size_t len,
	const char *signature, int64_t at);

/* The public key of a private key file (`ssh-keygen -y -f`), for messages. */
appctl_error *appctl_ssh_public_key(char **out, const char *key_file);

#endif
