/* sign.h: SSH signatures: signed through ssh-keygen -Y as git does, verified in-process with ssh-keygen's rules (src/sign is the only code that runs it). */
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
 * ssh-keygen -O verify-time), with ssh-keygen -Y's rules: the principals
 * of the first line whose key matches and which is valid at `at` (as
 * `ssh-keygen -Y find-principals` names them; patterns such as
 * "*@example.com" are not identities), then for each in turn what
 * `ssh-keygen -Y verify -n appctl -I principal` decides. Ed25519, ECDSA
 * and RSA keys, and OpenSSH certificates of such keys by such CAs
 * (cert-authority lines), are verified in-process (sshsig.c, libcrypto);
 * any other signing key (a security key, DSA) goes to ssh-keygen itself
 * (appctl_ssh_verify_keygen). On success *principal is that principal
 * (caller frees) and *why NULL; when the signature does not verify
 * *principal is NULL and *why says why (caller frees). An error is
 * returned only when verification could not be attempted (no ssh-keygen,
 * I/O, no memory).
 */
appctl_error *appctl_ssh_verify(char **principal, char **why,
	const char *allowed_signers, const char *data, size_t len,
	const char *signature, int64_t at);

/*
 * appctl_ssh_verify by running ssh-keygen -Y find-principals and verify,
 * for every key type: the fallback for keys not verified in-process, and
 * the reference the tests compare the in-process verifier with. Same
 * contract and ownership as appctl_ssh_verify.
 */
appctl_error *appctl_ssh_verify_keygen(char **principal, char **why,
	const char *allowed_signers, const char *data, size_t len,
	const char *signature, int64_t at);

/*
 * Who a signature made with `key_file` would verify as against
 * `allowed_signers` at `at`, told from the key's public half (KEY.pub, or
 * KEY itself when it is a .pub file, as ssh-keygen -Y sign reads them)
 * without signing anything. *known is 0 when only a signature can tell
 * (no readable public half, a certificate, a key type ssh-keygen
 * verifies): sign a probe then. Otherwise *principal, or *why when the
 * key would not be accepted (caller frees either). The signature made
 * next must still be verified: a .pub file may not match its key. An
 * error only when out of memory.
 */
appctl_error *appctl_ssh_key_principal(int *known, char **principal,
	char **why, const char *key_file, const char *allowed_signers,
	int64_t at);

/* The public key of a private key file (`ssh-keygen -y -f`), for messages. */
appctl_error *appctl_ssh_public_key(char **out, const char *key_file);

#endif
