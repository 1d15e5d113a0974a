/* sshsig.c: SSHSIG signatures (plain keys and OpenSSH certificates) verified in-process with libcrypto, judged against allowed_signers as ssh-keygen -Y find-principals and verify judge them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "appctl/model.h"
#include "appctl/sign.h"
#include "appctl/sshsig.h"
#include "appctl/strbuf.h"

#define BEGIN_ARMOR "-----BEGIN SSH SIGNATURE-----"
#define END_ARMOR "\n-----END SSH SIGNATURE-----"
/* OpenSSH refuses RSA moduli below this, and bignums above 16384 bits. */
#define RSA_MIN_BITS 1024
#define MPINT_MAX_BYTES 2048

/* The plain key types, and their certificate forms. */
static const struct {
	const char *name;
	const char *cert_name;
	appctl_sshkey_kind kind;
} kinds[] = {
	{ "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", APPCTL_SSHKEY_ED25519 },
	{ "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
		APPCTL_SSHKEY_ECDSA_P256 },
	{ "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
		APPCTL_SSHKEY_ECDSA_P384 },
	{ "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
		APPCTL_SSHKEY_ECDSA_P521 },
	{ "ssh-rsa", "ssh-rsa-cert-v01@openssh.com", APPCTL_SSHKEY_RSA },
};

/* The kind of key type `name`; *is_cert when it names a certificate. */
static appctl_sshkey_kind key_kind(const unsigned char *name, size_t len,
	int *is_cert)
{
	size_t i;

	*is_cert = 0;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (appctl_ssh_string_is(name, len, kinds[i].name))
			return kinds[i].kind;
		if (appctl_ssh_string_is(name, len, kinds[i].cert_name)) {
			*is_cert = 1;
			return kinds[i].kind;
		}
	}
	/* Other certificates (security keys, DSA) are certificates too. */
	{
		static const char suffix[] = "-cert-v01@openssh.com";
		size_t sl = sizeof(suffix) - 1;

		*is_cert = len > sl && memcmp(name + len - sl, suffix, sl) == 0;
	}
	return APPCTL_SSHKEY_OTHER;
}

static int read_u64(appctl_ssh_reader *r, uint64_t *v)
{
	uint32_t hi, lo;

	if (appctl_ssh_read_u32(r, &hi) != 0 || appctl_ssh_read_u32(r, &lo) != 0)
		return -1;
	*v = ((uint64_t)hi << 32) | lo;
	return 0;
}

/*
 * True when `p` is a run of SSH strings: at most `max` of them (0: any),
 * an even count when `pairs` (name, value), none holding a NUL when
 * `cstrings`.
 */
static int well_formed_strings(const unsigned char *p, size_t len, size_t max,
	int pairs, int cstrings)
{
	appctl_ssh_reader r = { p, len };
	const unsigned char *v;
	size_t vlen, n = 0;

	while (r.left) {
		if (appctl_ssh_read_string(&r, &v, &vlen) != 0)
			return 0;
		if (cstrings && memchr(v, '\0', vlen))
			return 0;
		n++;
	}
	return (!max || n <= max) && (!pairs || n % 2 == 0);
}

/*
 * A certificate key (PROTOCOL.certkeys), `k` just past its type name:
 * nonce, the key's own fields, serial, type, key id, principals, validity,
 * critical options, extensions, reserved, CA key, CA signature; nothing
 * after. Its key is copied as a plain key blob (s->plain_key) for the
 * message's signature. 0, or -1 with *why.
 */
static int parse_cert(appctl_sshsig *s, appctl_ssh_reader *k, const char **why)
{
	const unsigned char *f, *fields, *crit, *ext, *plain_name = NULL;
	size_t flen, crit_len, ext_len, i;
	uint64_t serial;
	int is_cert;
	appctl_ssh_reader ca;

	*why = "bad certificate in the signature";
	if (appctl_ssh_read_string(k, &f, &flen) != 0)   /* nonce */
		return -1;
	fields = k->p;
	if (s->kind == APPCTL_SSHKEY_RSA) {
		if (appctl_ssh_read_string(k, &f, &flen) != 0 ||
		    appctl_ssh_read_string(k, &f, &flen) != 0)
			return -1;
	} else if (s->kind == APPCTL_SSHKEY_ED25519) {
		if (appctl_ssh_read_string(k, &f, &flen) != 0)
			return -1;
	} else {
		if (appctl_ssh_read_string(k, &f, &flen) != 0 ||
		    appctl_ssh_read_string(k, &f, &flen) != 0)
			return -1;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == s->kind)
			plain_name = (const unsigned char *)kinds[i].name;
	{
		size_t nlen = strlen((const char *)plain_name),
			klen = (size_t)(k->p - fields);

		s->plain_key_len = 4 + nlen + klen;
		s->plain_key = malloc(s->plain_key_len);
		if (!s->plain_key) {
			*why = "out of memory";
			return -1;
		}
		s->plain_key[0] = (unsigned char)(nlen >> 24);
		s->plain_key[1] = (unsigned char)(nlen >> 16);
		s->plain_key[2] = (unsigned char)(nlen >> 8);
		s->plain_key[3] = (unsigned char)nlen;
		memcpy(s->plain_key + 4, plain_name, nlen);
		memcpy(s->plain_key + 4 + nlen, fields, klen);
	}
	if (read_u64(k, &serial) != 0 ||
	    appctl_ssh_read_u32(k, &s->cert.type) != 0 ||
	    appctl_ssh_read_string(k, &f, &flen) != 0 ||            /* key id */
	    appctl_ssh_read_string(k, &s->cert.principals,
		    &s->cert.principals_len) != 0 ||
	    read_u64(k, &s->cert.valid_after) != 0 ||
	    read_u64(k, &s->cert.valid_before) != 0 ||
	    appctl_ssh_read_string(k, &crit, &crit_len) != 0 ||
	    appctl_ssh_read_string(k, &ext, &ext_len) != 0 ||
	    appctl_ssh_read_string(k, &f, &flen) != 0 ||            /* reserved */
	    appctl_ssh_read_string(k, &s->cert.ca_key, &s->cert.ca_key_len) != 0)
		return -1;
	s->cert.signed_part = s->key;
	s->cert.signed_len = (size_t)(k->p - s->key);
	if (appctl_ssh_read_string(k, &s->cert.signature,
		    &s->cert.signature_len) != 0 || k->left != 0)
		return -1;
	/* OpenSSH's limits: user or host, 256 principals, options as pairs. */
	if ((s->cert.type != 1 && s->cert.type != 2) ||
	    !well_formed_strings(s->cert.principals, s->cert.principals_len, 256, 0, 1) ||
	    !well_formed_strings(crit, crit_len, 0, 1, 0) ||
	    !well_formed_strings(ext, ext_len, 0, 1, 0))
		return -1;
	ca.p = s->cert.ca_key;
	ca.left = s->cert.ca_key_len;
	if (appctl_ssh_read_string(&ca, &f, &flen) != 0)
		return -1;
	s->cert.ca_kind = key_kind(f, flen, &is_cert);
	/* A certificate cannot be a CA. */
	if (is_cert)
		return -1;
	return 0;
}

int appctl_sshsig_parse(appctl_sshsig *s, const char *armored, size_t len,
	const char **why)
{
	size_t begin = strlen(BEGIN_ARMOR), end;
	appctl_ssh_reader r, k;
	const unsigned char *field, *name;
	size_t flen, nlen;
	uint32_t version;


	memset(s, 0, sizeof(*s));
	if (len < begin || memcmp(armored, BEGIN_ARMOR, begin) != 0) {
		*why = "not an SSH signature: missing header";
		return -1;
	}
	if (len - begin >= 2 && armored[begin] == '\r' && armored[begin + 1] == '\n')
		begin += 2;
	else if (len > begin && armored[begin] == '\n')
		begin += 1;
	else {
		*why = "not an SSH signature: no end of line after the header";
		return -1;
	}
	/* The footer is the first "\n-----END…" (anything may follow it). */
	for (end = begin; ; end++) {
		if (len - end < strlen(END_ARMOR)) {
			*why = "not an SSH signature: missing footer";
			return -1;
		}
		if (memcmp(armored + end, END_ARMOR, strlen(END_ARMOR)) == 0)
			break;
	}
	/* A NUL inside is where ssh-keygen's C string would stop. */
	if (memchr(armored + begin, '\0', end - begin) ||
	    appctl_base64_decode(&s->blob, &s->blob_len, armored + begin,
		    end - begin) != 0) {
		*why = "not an SSH signature: bad base64";
		return -1;
	}
	r.p = s->blob;
	r.left = s->blob_len;
	if (r.left < 6 || memcmp(r.p, "SSHSIG", 6) != 0) {
		*why = "not an SSH signature: bad magic";
		goto fail;
	}
	r.p += 6;
	r.left -= 6;
	if (appctl_ssh_read_u32(&r, &version) != 0 || version != 1) {
		*why = "unsupported SSH signature version";
		goto fail;
	}
	*why = "truncated SSH signature";
	if (appctl_ssh_read_string(&r, &s->key, &s->key_len) != 0)
		goto fail;
	if (appctl_ssh_read_string(&r, &field, &flen) != 0)
		goto fail;
	/* ssh-keygen reads the namespace as a C string: no NUL inside. */
	if (memchr(field, '\0', flen)) {
		*why = "SSH signature namespace holds a NUL";
		goto fail;
	}
	if (flen < sizeof(s->namespace_)) {
		memcpy(s->namespace_, field, flen);
		s->namespace_[flen] = '\0';
	} else {
		/* Longer than any namespace appctl checks for: never matches. */
		memcpy(s->namespace_, "(too long)", sizeof("(too long)"));
	}
	if (appctl_ssh_read_string(&r, &field, &flen) != 0)   /* reserved */
		goto fail;
	if (appctl_ssh_read_string(&r, &field, &flen) != 0)
		goto fail;
	if (!appctl_ssh_string_is(field, flen, "sha256") &&
	    !appctl_ssh_string_is(field, flen, "sha512")) {
		*why = "unsupported SSH signature hash algorithm";
		goto fail;
	}
	memcpy(s->hashalg, field, flen);
	s->hashalg[flen] = '\0';
	if (appctl_ssh_read_string(&r, &s->sig, &s->sig_len) != 0)
		goto fail;
	if (r.left != 0) {
		*why = "SSH signature contains trailing data";
		goto fail;
	}
	k.p = s->key;
	k.left = s->key_len;
	if (appctl_ssh_read_string(&k, &name, &nlen) != 0) {
		*why = "SSH signature has no key type";
		goto fail;
	}
	s->kind = key_kind(name, nlen, &s->is_cert);
	if (s->is_cert && s->kind != APPCTL_SSHKEY_OTHER &&
	    parse_cert(s, &k, why) != 0)
		goto fail;
	*why = NULL;
	return 0;
fail:
	free(s->blob);
	free(s->plain_key);
	memset(s, 0, sizeof(*s));
	return -1;
}

void appctl_sshsig_dispose(appctl_sshsig *s)
{
	free(s->blob);
	free(s->plain_key);
	memset(s, 0, sizeof(*s));
}

/*
 * An SSH mpint as OpenSSH reads it: not negative, at most 16384 bits,
 * leading zero bytes dropped. -1 when refused.
 */
static int read_mpint(appctl_ssh_reader *r, const unsigned char **v, size_t *len)
{
	if (appctl_ssh_read_string(r, v, len) != 0)
		return -1;
	if (*len > 0 && ((*v)[0] & 0x80))
		return -1;
	if (*len > MPINT_MAX_BYTES + 1 ||
	    (*len == MPINT_MAX_BYTES + 1 && (*v)[0] != 0))
		return -1;
	while (*len > 0 && (*v)[0] == 0) {
		(*v)++;
		(*len)--;
	}
	return 0;
}

/* Public key blob `key` of kind `kind` as libcrypto's, or NULL (*why set). */
static EVP_PKEY *load_key(appctl_sshkey_kind kind, const unsigned char *key,
	size_t key_len, size_t *rsa_bytes, const char **why)
{
	appctl_ssh_reader r;
	const unsigned char *name, *a, *b;
	size_t nlen, alen, blen;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *n = NULL, *e = NULL;

	*why = "bad public key in the signature";
	r.p = key;
	r.left = key_len;
	if (appctl_ssh_read_string(&r, &name, &nlen) != 0)
		return NULL;
	switch (kind) {
	case APPCTL_SSHKEY_ED25519:
		if (appctl_ssh_read_string(&r, &a, &alen) != 0 || alen != 32 ||
		    r.left != 0)
			return NULL;
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, a, alen);
	case APPCTL_SSHKEY_ECDSA_P256:
	case APPCTL_SSHKEY_ECDSA_P384:
	case APPCTL_SSHKEY_ECDSA_P521: {
		const char *curve = kind == APPCTL_SSHKEY_ECDSA_P256 ? "nistp256" :
			kind == APPCTL_SSHKEY_ECDSA_P384 ? "nistp384" : "nistp521";
		const char *group = kind == APPCTL_SSHKEY_ECDSA_P256 ? "prime256v1" :
			kind == APPCTL_SSHKEY_ECDSA_P384 ? "secp384r1" : "secp521r1";

		if (appctl_ssh_read_string(&r, &a, &alen) != 0 ||
		    !appctl_ssh_string_is(a, alen, curve) ||
		    appctl_ssh_read_string(&r, &b, &blen) != 0 || r.left != 0 ||
		    blen == 0 || b[0] != 0x04)
			return NULL;
		bld = OSSL_PARAM_BLD_new();
		if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld,
				OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
				b, blen))
			goto done;
		break;
	}
	case APPCTL_SSHKEY_RSA:
		if (read_mpint(&r, &a, &alen) != 0 || read_mpint(&r, &b, &blen) != 0 ||
		    r.left != 0 || blen * 8 < RSA_MIN_BITS || alen == 0)
			return NULL;
		e = BN_bin2bn(a, (int)alen, NULL);
		n = BN_bin2bn(b, (int)blen, NULL);
		if (!e || !n)
			goto done;
		if (BN_num_bits(n) < RSA_MIN_BITS) {
			*why = "RSA key too small";
			goto done;
		}
		*rsa_bytes = (size_t)BN_num_bytes(n);
		bld = OSSL_PARAM_BLD_new();
		if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			goto done;
		break;
	default:
		return NULL;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL,
		kind == APPCTL_SSHKEY_RSA ? "RSA" : "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

/* "len || bytes" in SSH wire form. */
static void put_string(appctl_strbuf *b, const void *p, size_t len)
{
	unsigned char n[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
		(unsigned char)(len >> 8), (unsigned char)len };

	appctl_strbuf_add(b, (const char *)n, 4);
	appctl_strbuf_add(b, p, len);
}

/*
 * ECDSA's r and s (two mpints) as the DER libcrypto verifies; *der is
 * OPENSSL_malloc'd (OPENSSL_free it). -1 when malformed.
 */
static int ecdsa_sig_der(unsigned char **der, int *der_len,
	const unsigned char *p, size_t len)
{
	appctl_ssh_reader r = { p, len };
	const unsigned char *rb, *sb;
	size_t rlen, slen;
	ECDSA_SIG *sig = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	int ok = -1;

	*der = NULL;
	if (read_mpint(&r, &rb, &rlen) != 0 || read_mpint(&r, &sb, &slen) != 0 ||
	    r.left != 0)
		return -1;
	sig = ECDSA_SIG_new();
	br = BN_bin2bn(rb, (int)rlen, NULL);
	bs = BN_bin2bn(sb, (int)slen, NULL);
	if (!sig || !br || !bs || !ECDSA_SIG_set0(sig, br, bs))
		goto done;
	br = bs = NULL;   /* owned by sig */
	*der_len = i2d_ECDSA_SIG(sig, der);
	if (*der_len > 0)
		ok = 0;
done:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(sig);
	return ok;
}

/*
 * Signature blob `sig` (type name, then the raw signature) over `msg` by
 * key blob `key` of kind `kind`: 1 good, 0 bad (*why), -1 libcrypto failed.
 * RSA's SHA-1 "ssh-rsa" only when `allow_sha1` (certificates: ssh-keygen
 * refuses it for messages, not for a CA's signature).
 */
static int verify_blob(appctl_sshkey_kind kind, const unsigned char *key,
	size_t key_len, const unsigned char *sig, size_t sig_len,
	const unsigned char *msg, size_t msg_len, int allow_sha1, const char **why)
{
	unsigned char *der = NULL, *padded = NULL;
	const EVP_MD *md = NULL;
	appctl_ssh_reader r = { sig, sig_len };
	const unsigned char *type, *raw;
	size_t type_len, raw_len, rsa_bytes = 0;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *mctx = NULL;
	int der_len = 0, rc = 0;

	if (appctl_ssh_read_string(&r, &type, &type_len) != 0 ||
	    appctl_ssh_read_string(&r, &raw, &raw_len) != 0 || r.left != 0) {
		*why = "malformed signature blob";
		return 0;
	}
	pkey = load_key(kind, key, key_len, &rsa_bytes, why);
	if (!pkey)
		return 0;
	*why = "signature verification failed";
	switch (kind) {
	case APPCTL_SSHKEY_ED25519:
		if (!appctl_ssh_string_is(type, type_len, "ssh-ed25519") ||
		    raw_len != 64)
			goto done;
		break;
	case APPCTL_SSHKEY_ECDSA_P256:
	case APPCTL_SSHKEY_ECDSA_P384:
	case APPCTL_SSHKEY_ECDSA_P521: {
		appctl_ssh_reader k = { key, key_len };
		const unsigned char *kt;
		size_t kt_len;

		/* The signature's type must be the key's own. */
		if (appctl_ssh_read_string(&k, &kt, &kt_len) != 0 ||
		    kt_len != type_len || memcmp(kt, type, kt_len) != 0)
			goto done;
		md = kind == APPCTL_SSHKEY_ECDSA_P256 ? EVP_sha256() :
			kind == APPCTL_SSHKEY_ECDSA_P384 ? EVP_sha384() : EVP_sha512();
		if (ecdsa_sig_der(&der, &der_len, raw, raw_len) != 0)
			goto done;
		raw = der;
		raw_len = (size_t)der_len;
		break;
	}
	case APPCTL_SSHKEY_RSA:
		/* ssh-keygen refuses SHA-1 ("ssh-rsa") signatures of messages. */
		if (appctl_ssh_string_is(type, type_len, "rsa-sha2-256"))
			md = EVP_sha256();
		else if (appctl_ssh_string_is(type, type_len, "rsa-sha2-512"))
			md = EVP_sha512();
		else if (allow_sha1 && appctl_ssh_string_is(type, type_len, "ssh-rsa"))
			md = EVP_sha1();
		else {
			*why = "unsupported RSA signature algorithm";
			goto done;
		}
		if (raw_len == 0 || raw_len > rsa_bytes)
			goto done;
		if (raw_len < rsa_bytes) {
			/* OpenSSH left-pads short signatures; libcrypto wants them full. */
			padded = calloc(1, rsa_bytes);
			if (!padded) {
				rc = -1;
				goto done;
			}
			memcpy(padded + (rsa_bytes - raw_len), raw, raw_len);
			raw = padded;
			raw_len = rsa_bytes;
		}
		break;
	default:
		goto done;
	}
	mctx = EVP_MD_CTX_new();
	if (!mctx) {
		rc = -1;
		goto done;
	}
	if (EVP_DigestVerifyInit(mctx, NULL, md, NULL, pkey) == 1 &&
	    EVP_DigestVerify(mctx, raw, raw_len, msg, msg_len) == 1) {
		*why = NULL;
		rc = 1;
	}
done:
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(pkey);
	OPENSSL_free(der);
	free(padded);
	return rc;
}

int appctl_sshsig_check(const appctl_sshsig *s, const char *ns,
	const void *data, size_t len, const char **why)
{
	appctl_strbuf signed_blob = APPCTL_STRBUF_INIT;
	unsigned char hash[EVP_MAX_MD_SIZE];
	unsigned int hash_len = 0;
	const EVP_MD *msg_md = strcmp(s->hashalg, "sha256") == 0 ?
		EVP_sha256() : EVP_sha512();
	int rc;

	*why = NULL;
	if (strcmp(s->namespace_, ns) != 0) {
		*why = "signature namespace does not match";
		return 0;
	}
	if (!EVP_Digest(data, len, hash, &hash_len, msg_md, NULL))
		return -1;
	appctl_strbuf_add(&signed_blob, "SSHSIG", 6);
	put_string(&signed_blob, ns, strlen(ns));
	put_string(&signed_blob, "", 0);
	put_string(&signed_blob, s->hashalg, strlen(s->hashalg));
	put_string(&signed_blob, hash, hash_len);
	if (!signed_blob.ptr)
		return -1;
	/* A certificate signs with its own key, held as a plain key blob. */
	rc = verify_blob(s->kind, s->is_cert ? s->plain_key : s->key,
		s->is_cert ? s->plain_key_len : s->key_len, s->sig, s->sig_len,
		(const unsigned char *)signed_blob.ptr, signed_blob.len, 0, why);
	appctl_strbuf_dispose(&signed_blob);
	return rc;
}

int appctl_sshsig_check_cert(const appctl_sshsig *s, const char **why)
{
	return verify_blob(s->cert.ca_kind, s->cert.ca_key, s->cert.ca_key_len,
		s->cert.signature, s->cert.signature_len, s->cert.signed_part,
		s->cert.signed_len, 1, why);
}

/*
 * sshkey_cert_check_authority for a user certificate at `at`, with a
 * principal list required; `name` (when set) must be one of its principals
 * exactly. NULL when it holds, else the reason.
 */
static const char *cert_authority_problem(const appctl_sshcert *c, uint64_t at,
	const char *name)
{
	appctl_ssh_reader r = { c->principals, c->principals_len };
	const unsigned char *p;
	size_t plen;

	if (c->type != 1)
		return "Certificate invalid: not a user certificate";
	if (at < c->valid_after)
		return "Certificate invalid: not yet valid";
	if (at >= c->valid_before)
		return "Certificate invalid: expired";
	if (c->principals_len == 0)
		return "Certificate lacks principal list";
	if (!name)
		return NULL;
	while (appctl_ssh_read_string(&r, &p, &plen) == 0)
		if (appctl_ssh_string_is(p, plen, name))
			return NULL;
	return "Certificate invalid: name is not a listed principal";
}

/*
 * cert_filter_principals: the certificate's principals that some pattern
 * of `patterns` matches (find-principals' answer for a cert-authority
 * line), comma-joined into `out`; empty when none.
 */
static void cert_principals_matching(appctl_strbuf *out, const appctl_sshcert *c,
	const char *patterns, uint64_t at)
{
	const char *cp = patterns;

	if (cert_authority_problem(c, at, NULL))
		return;
	while (*cp && *cp != ',') {
		size_t plen = strcspn(cp, ",");
		char *pattern = malloc(plen + 1);
		appctl_ssh_reader r = { c->principals, c->principals_len };
		const unsigned char *p;
		size_t len;

		if (!pattern)
			return;
		memcpy(pattern, cp, plen);
		pattern[plen] = '\0';
		while (appctl_ssh_read_string(&r, &p, &len) == 0) {
			char *name = malloc(len + 1);

			if (!name)
				break;
			memcpy(name, p, len);
			name[len] = '\0';
			if (appctl_ssh_pattern_match(name, pattern)) {
				if (out->len)
					appctl_strbuf_putc(out, ',');
				appctl_strbuf_puts(out, name);
			}
			free(name);
		}
		free(pattern);
		cp += plen;
		if (*cp == ',')
			cp++;
	}
}

/* ssh-keygen's format_absolute_time, in UTC (appctl's servers' zone). */
static void format_time(char *buf, size_t len, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(buf, len, "%llu", (unsigned long long)t);
}

/* Appends one line's refusal to `msgs`. */
static void add_msg(appctl_strbuf *msgs, const appctl_signer *e,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add_msg(appctl_strbuf *msgs, const appctl_signer *e,
	const char *fmt, ...)
{
	va_list ap;

	if (msgs->len)
		appctl_strbuf_puts(msgs, "; ");
	appctl_strbuf_printf(msgs, "allowed_signers:%zu: ", e->line_no);
	va_start(ap, fmt);
	appctl_strbuf_vprintf(msgs, fmt, ap);
	va_end(ap);
}

/*
 * check_allowed_keys_line: 1 when line `e` accepts the signing key for
 * `principal` (NULL: any, as find-principals asks), namespace `ns` (NULL:
 * unchecked, as find-principals does) at time `at`. When it accepts and
 * `names` is given, *names gets the principals find-principals prints
 * (comma-joined; caller frees). A refusal of a matching key goes to `msgs`.
 * -1 when out of memory.
 */
static int line_accepts(const appctl_signer *e, const appctl_sshsig *s,
	const char *principal, const char *ns, uint64_t at, appctl_strbuf *msgs,
	char **names)
{
	appctl_strbuf found = APPCTL_STRBUF_INIT;
	char t1[48], t2[48];

	if (principal && appctl_ssh_pattern_list_match(principal, e->principals) != 1)
		return 0;
	if (!e->cert_authority && e->key_len == s->key_len &&
	    memcmp(e->key, s->key, s->key_len) == 0) {
		appctl_strbuf_puts(&found, e->principals);
	} else if (e->cert_authority && s->is_cert &&
		   e->key_len == s->cert.ca_key_len &&
		   memcmp(e->key, s->cert.ca_key, e->key_len) == 0) {
		if (principal) {
			const char *why = cert_authority_problem(&s->cert, at, principal);

			if (why) {
				add_msg(msgs, e, "certificate not authorized: %s", why);
				return 0;
			}
			appctl_strbuf_puts(&found, principal);
		} else {
			cert_principals_matching(&found, &s->cert, e->principals, at);
			if (!found.len) {
				add_msg(msgs, e, "no valid principals found");
				return 0;
			}
		}
	} else {
		return 0;
	}
	if (e->namespaces && ns && appctl_ssh_pattern_list_match(ns, e->namespaces) != 1) {
		add_msg(msgs, e, "key is not permitted for use in signature "
			"namespace \"%s\"", ns);
		goto refused;
	}
	format_time(t1, sizeof(t1), at);
	if (e->valid_after && at < e->valid_after) {
		format_time(t2, sizeof(t2), e->valid_after);
		add_msg(msgs, e, "key is not yet valid: verify time %s < "
			"valid-after %s", t1, t2);
		goto refused;
	}
	if (e->valid_before && at > e->valid_before) {
		format_time(t2, sizeof(t2), e->valid_before);
		add_msg(msgs, e, "key has expired: verify time %s > valid-before %s",
			t1, t2);
		goto refused;
	}
	if (names) {
		*names = appctl_strbuf_detach(&found);
		if (!*names)
			return -1;
	}
	appctl_strbuf_dispose(&found);
	return 1;
refused:
	appctl_strbuf_dispose(&found);
	return 0;
}

/*
 * Whether some line accepts (the first, by file order, gives *names when
 * asked): 1, or 0 with the refusals in `msgs`, or -1 when out of memory.
 */
static int first_accepting(const appctl_allowed_signers *list,
	const appctl_sshsig *s, const char *principal, const char *ns,
	uint64_t at, appctl_strbuf *msgs, char **names)
{
	size_t i;

	for (i = 0; i < list->count; i++) {
		int rc = line_accepts(&list->lines[i], s, principal, ns, at, msgs,
			names);

		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Each principal of the line find-principals chose (`names`, comma-joined,
 * cut up in place), in turn, as appctl asked ssh-keygen verify -I for each
 * (find-principals stops at an empty one): the signature over `data` (when
 * `data` is not NULL; the same for every principal), then a line for that
 * principal allowing the key for "appctl" at `at`. The first that passes
 * goes to *principal (caller frees); each refusal is added to `reasons`.
 * An error only when out of memory.
 */
static appctl_error *pick_principal(char **principal, appctl_strbuf *reasons,
	const appctl_allowed_signers *list, const appctl_sshsig *s, char *names,
	uint64_t at, const void *data, size_t len)
{
	appctl_strbuf msgs = APPCTL_STRBUF_INIT;
	appctl_error *err = NULL;
	const char *bad = NULL;
	char *cursor, *next;
	int good = data ? -2 : 1, rc;

	for (cursor = names; cursor && *cursor; cursor = next) {
		char *comma = strchr(cursor, ',');

		next = comma ? comma + 1 : NULL;
		if (comma)
			*comma = '\0';
		if (!appctl_principal_is_valid(cursor)) {
			if (reasons->len)
				appctl_strbuf_puts(reasons, "; ");
			appctl_strbuf_printf(reasons,
				"allowed_signers names '%.100s', not a principal", cursor);
			continue;
		}
		if (good == -2)
			good = appctl_sshsig_check(s, APPCTL_SIGN_NAMESPACE, data, len, &bad);
		if (good < 0) {
			err = appctl_error_nomem();
			break;
		}
		if (reasons->len)
			appctl_strbuf_puts(reasons, "; ");
		if (!good) {
			appctl_strbuf_printf(reasons, "%s: %s", cursor, bad);
			continue;
		}
		appctl_strbuf_truncate(&msgs, 0);
		rc = first_accepting(list, s, cursor, APPCTL_SIGN_NAMESPACE, at,
			&msgs, NULL);
		if (rc < 0) {
			err = appctl_error_nomem();
			break;
		}
		if (rc > 0) {
			if (reasons->len >= 2)
				appctl_strbuf_truncate(reasons, reasons->len - 2);
			*principal = strdup(cursor);
			if (!*principal)
				err = appctl_error_nomem();
			break;
		}
		appctl_strbuf_printf(reasons, "%s: %s", cursor, msgs.len ? msgs.ptr :
			"no line of allowed_signers allows this key for it");
	}
	appctl_strbuf_dispose(&msgs);
	return err;
}

/*
 * ssh-keygen's two steps for the key of `s` against the allowed_signers
 * text: find-principals (the first line with this key valid at `at`, any
 * namespace), then pick_principal over its principals (the signature over
 * `data` checked too, unless `data` is NULL). *principal is set (caller
 * frees), or the refusals are in `reasons`. An error only when out of
 * memory.
 */
static appctl_error *judge_key(char **principal, appctl_strbuf *reasons,
	const char *allowed_signers, const appctl_sshsig *s, uint64_t at,
	const void *data, size_t len)
{
	appctl_allowed_signers *list = NULL;
	appctl_strbuf msgs = APPCTL_STRBUF_INIT;
	char *names = NULL;
	appctl_error *err;
	int rc;

	err = appctl_allowed_signers_parse(&list, allowed_signers ? allowed_signers : "",
		allowed_signers ? strlen(allowed_signers) : 0);
	if (err)
		return err;
	rc = first_accepting(list, s, NULL, NULL, at, &msgs, &names);
	if (rc < 0) {
		err = appctl_error_nomem();
	} else if (rc == 0) {
		if (msgs.len)
			appctl_strbuf_printf(reasons, "%s; ", msgs.ptr);
		appctl_strbuf_puts(reasons, "no principal in allowed_signers has this key");
	} else {
		err = pick_principal(principal, reasons, list, s, names, at, data,
			len);
	}
	free(names);
	appctl_strbuf_dispose(&msgs);
	appctl_allowed_signers_free(list);
	return err;
}

appctl_error *appctl_sshsig_verify(int *decided, char **principal,
	char **why, const char *allowed_signers, const char *data, size_t len,
	const char *signature, int64_t at)
{
	appctl_sshsig s;
	appctl_strbuf reasons = APPCTL_STRBUF_INIT;
	const char *bad = NULL;
	int parsed = 0;
	appctl_error *err = NULL;

	*decided = 0;
	*principal = NULL;
	*why = NULL;
	if (!signature || !*signature) {
		*decided = 1;
		*why = strdup("not signed");
		return *why ? NULL : appctl_error_nomem();
	}
	if (appctl_sshsig_parse(&s, signature, strlen(signature), &bad) != 0) {
		*decided = 1;
		*why = strdup(bad);
		return *why ? NULL : appctl_error_nomem();
	}
	parsed = 1;
	/* Security keys, DSA and certificates by such CAs: ssh-keygen decides. */
	if (s.kind == APPCTL_SSHKEY_OTHER ||
	    (s.is_cert && s.cert.ca_kind == APPCTL_SSHKEY_OTHER))
		goto done;
	*decided = 1;
	if (at < 0) {
		appctl_strbuf_puts(&reasons, "invalid verification time");
		goto refuse;
	}
	/* ssh-keygen checks a certificate's CA signature as it reads the key. */
	if (s.is_cert) {
		int ok = appctl_sshsig_check_cert(&s, &bad);

		if (ok < 0) {
			err = appctl_error_nomem();
			goto done;
		}
		if (!ok) {
			appctl_strbuf_printf(&reasons, "bad certificate in the "
				"signature: %s", bad);
			goto refuse;
		}
	}
	err = judge_key(principal, &reasons, allowed_signers, &s, (uint64_t)at,
		data ? data : "", len);
	if (err || *principal)
		goto done;
	if (!reasons.len)
		appctl_strbuf_puts(&reasons, "no principal matched");
refuse:
	*why = appctl_strbuf_detach(&reasons);
	if (!*why)
		err = appctl_error_nomem();
done:
	appctl_strbuf_dispose(&reasons);
	if (parsed)
		appctl_sshsig_dispose(&s);
	return err;
}

appctl_error *appctl_sshsig_key_principal(int *decided, char **principal,
	char **why, const char *allowed_signers, const unsigned char *key,
	size_t key_len, int64_t at)
{
	appctl_ssh_reader r = { key, key_len };
	appctl_strbuf reasons = APPCTL_STRBUF_INIT;
	appctl_sshsig s;
	const unsigned char *name;
	size_t nlen;
	appctl_error *err = NULL;

	*decided = 0;
	*principal = NULL;
	*why = NULL;
	memset(&s, 0, sizeof(s));
	if (appctl_ssh_read_string(&r, &name, &nlen) != 0 || at < 0)
		return NULL;
	s.kind = key_kind(name, nlen, &s.is_cert);
	/* A certificate's principals come from the certificate: sign to learn them. */
	if (s.kind == APPCTL_SSHKEY_OTHER || s.is_cert)
		return NULL;
	s.key = key;
	s.key_len = key_len;
	*decided = 1;
	/* The same two steps as appctl_sshsig_verify, minus the signature itself. */
	err = judge_key(principal, &reasons, allowed_signers, &s, (uint64_t)at,
		NULL, 0);
	if (err || *principal)
		goto done;
	if (!reasons.len)
		appctl_strbuf_puts(&reasons, "no principal matched");
	*why = appctl_strbuf_detach(&reasons);
	if (!*why)
		err = appctl_error_nomem();
done:
	appctl_strbuf_dispose(&reasons);
	return err;
}
