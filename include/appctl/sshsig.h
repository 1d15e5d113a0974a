/* sshsig.h: SSHSIG signatures (OpenSSH PROTOCOL.sshsig) parsed and checked in-process with libcrypto; for src/sign, its tests and fuzz targets. */
#ifndef APPCTL_SSHSIG_H
#define APPCTL_SSHSIG_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/allowed_signers.h"
#include "appctl/error.h"

/* The key families verified in-process; the rest go to ssh-keygen. */
typedef enum {
	APPCTL_SSHKEY_OTHER = 0,   /* security keys, DSA, … */
	APPCTL_SSHKEY_ED25519,
	APPCTL_SSHKEY_ECDSA_P256,
	APPCTL_SSHKEY_ECDSA_P384,
	APPCTL_SSHKEY_ECDSA_P521,
	APPCTL_SSHKEY_RSA
} appctl_sshkey_kind;

/* An OpenSSH certificate's fields (PROTOCOL.certkeys), pointing into the signature's blob. */
typedef struct appctl_sshcert {
	uint32_t type;                     /* 1 user, 2 host */
	const unsigned char *principals;   /* a run of SSH strings */
	size_t principals_len;
	uint64_t valid_after, valid_before;
	const unsigned char *ca_key;       /* the CA's public key blob */
	size_t ca_key_len;
	appctl_sshkey_kind ca_kind;
	const unsigned char *signed_part;  /* what the CA signed */
	size_t signed_len;
	const unsigned char *signature;    /* the CA's signature blob */
	size_t signature_len;
} appctl_sshcert;

/*
 * A parsed signature. Every pointer points into `blob`, the decoded
 * armor, or `plain_key`, both owned by the sshsig; appctl_sshsig_dispose
 * frees them.
 */
typedef struct appctl_sshsig {
	unsigned char *blob;
	size_t blob_len;
	const unsigned char *key;          /* the signer's public key blob */
	size_t key_len;
	appctl_sshkey_kind kind;           /* of the key (a certificate's own key) */
	int is_cert;
	appctl_sshcert cert;               /* when is_cert */
	unsigned char *plain_key;          /* a certificate's key as a plain key blob */
	size_t plain_key_len;
	char namespace_[64];               /* "" when longer: never a match */
	char hashalg[16];                  /* "sha256" or "sha512" */
	const unsigned char *sig;          /* the key's signature blob */
	size_t sig_len;
} appctl_sshsig;

/*
 * Dearmors and parses `armored` (len bytes), and a certificate key's
 * fields (not its CA signature: appctl_sshsig_check_cert). On success 0
 * and *s filled (the caller calls appctl_sshsig_dispose); otherwise -1 with
 * *why a static reason (nothing to free) and nothing to dispose.
 */
int appctl_sshsig_parse(appctl_sshsig *s, const char *armored, size_t len,
	const char **why);

/* Frees what appctl_sshsig_parse kept; a zeroed sshsig is a no-op. */
void appctl_sshsig_dispose(appctl_sshsig *s);

/*
 * Checks the signature over `data` for namespace `ns` with the embedded
 * key (PROTOCOL.sshsig: the signed blob is MAGIC, namespace, reserved,
 * hash algorithm and H(data)). 1 good; 0 bad, *why a static reason;
 * -1 when libcrypto itself failed (out of memory). Only for kinds other
 * than APPCTL_SSHKEY_OTHER.
 */
int appctl_sshsig_check(const appctl_sshsig *s, const char *ns,
	const void *data, size_t len, const char **why);

/*
 * The CA's signature over a certificate (any RSA signature algorithm, as
 * ssh-keygen takes for certificates): 1 good, 0 bad (*why static), -1 when
 * libcrypto failed.
 */
int appctl_sshsig_check_cert(const appctl_sshsig *s, const char **why);

/*
 * appctl_ssh_verify's in-process answer, with ssh-keygen's rules
 * (find-principals, then verify -I each principal found). *decided is 1
 * when it decided: *principal, or else *why, is set (caller frees); 0 when
 * the signature's key (or its certificate's CA key) is not one verified
 * in-process (a security key, DSA), and the caller asks ssh-keygen. An error only when out of
 * memory.
 */
appctl_error *appctl_sshsig_verify(int *decided, char **principal,
	char **why, const char *allowed_signers, const char *data, size_t len,
	const char *signature, int64_t at);

/*
 * Who a signature by public key `key` (its wire blob) would verify as,
 * found without a signature: appctl_sshsig_verify's choice of principal
 * (find-principals, then the first principal with a line allowing the key
 * for "appctl" at `at`), which a good signature by that key then confirms.
 * *decided is 0 for certificates (their principals are in the certificate)
 * and keys not verified in-process; else 1 with *principal, or *why when
 * no principal would be accepted (caller frees either). An error only when
 * out of memory.
 */
appctl_error *appctl_sshsig_key_principal(int *decided, char **principal,
	char **why, const char *allowed_signers, const unsigned char *key,
	size_t key_len, int64_t at);

#endif
