/* sign.c: Standard Webhooks ids, secrets and signatures, with libcrypto's HMAC and base64. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "appctl/notify.h"
#include "appctl/strbuf.h"

static const char hex_digits[] = "0123456789abcdef";

static void to_hex(char *out, const unsigned char *bytes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex_digits[bytes[i] >> 4];
		out[2 * i + 1] = hex_digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

int appctl_notify_webhook_id(char out[APPCTL_NOTIFY_ID_SIZE],
	const char *event_id, const char *url)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	char url_hex[17];
	size_t n = strlen(event_id), i;

	out[0] = '\0';
	if (n == 0 || n > 40)
		return -1;
	for (i = 0; i < n; i++)
		if (!strchr(hex_digits, event_id[i]))
			return -1;
	/* The URL's hash makes one event's deliveries distinct per endpoint. */
	if (EVP_Digest(url, strlen(url), digest, &digest_len, EVP_sha256(),
			NULL) != 1 || digest_len < 8)
		return -1;
	to_hex(url_hex, digest, 8);
	snprintf(out, APPCTL_NOTIFY_ID_SIZE, "msg_%s_%s", event_id, url_hex);
	return 0;
}

int appctl_notify_id_is_valid(const char *id)
{
	size_t n = strlen(id), i;

	/* Also a file name in the outbox: no dots, no slashes, bounded. */
	if (n < 5 || n >= APPCTL_NOTIFY_ID_SIZE || strncmp(id, "msg_", 4) != 0)
		return 0;
	for (i = 4; i < n; i++)
		if (!strchr(hex_digits, id[i]) && id[i] != '_')
			return 0;
	return 1;
}

appctl_error *appctl_notify_random_id(char out[41])
{
	unsigned char bytes[20];

	if (RAND_bytes(bytes, (int)sizeof(bytes)) != 1)
		return appctl_error_new(APPCTL_ESYSTEM,
			"cannot get random bytes for an event id");
	to_hex(out, bytes, sizeof(bytes));
	return NULL;
}

/* secret://vault/hooks-prod -> APPCTL_SECRET_VAULT_HOOKS_PROD */
static char *secret_variable(const char *path)
{
	appctl_strbuf name = APPCTL_STRBUF_INIT;
	const char *p;

	appctl_strbuf_puts(&name, "APPCTL_SECRET_");
	for (p = path; *p; p++) {
		char c = *p;

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			c = '_';
		appctl_strbuf_putc(&name, c);
	}
	return appctl_strbuf_detach(&name);
}

appctl_error *appctl_notify_secret_resolve(char **out, const char *ref)
{
	char *variable = NULL;
	const char *value;
	appctl_error *err = NULL;

	*out = NULL;
	if (strncmp(ref, "env://", 6) == 0 && ref[6]) {
		variable = strdup(ref + 6);
	} else if (strncmp(ref, "secret://", 9) == 0 && ref[9]) {
		variable = secret_variable(ref + 9);
	} else {
		return appctl_error_new(APPCTL_EINPUT,
			"notify secret is not an env:// or secret:// reference");
	}
	if (!variable)
		return appctl_error_nomem();
	value = getenv(variable);
	if (!value || !*value) {
		err = appctl_error_new(APPCTL_EINPUT,
			"secret '%s' is not available: set the environment variable %s",
			ref, variable);
		goto cleanup;
	}
	*out = strdup(value);
	if (!*out)
		err = appctl_error_nomem();
cleanup:
	free(variable);
	return err;
}

appctl_error *appctl_notify_secret_key(unsigned char **key, size_t *key_len,
	const char *secret)
{
	size_t len = strlen(secret), b64_len, pad = 0;
	unsigned char *bytes, *check = NULL;
	appctl_error *err = NULL;
	int decoded;

	*key = NULL;
	*key_len = 0;
	if (strncmp(secret, "whsec_", 6) != 0) {
		bytes = malloc(len ? len : 1);
		if (!bytes)
			return appctl_error_nomem();
		memcpy(bytes, secret, len);
		*key = bytes;
		*key_len = len;
		return NULL;
	}
	b64_len = len - 6;
	/* EVP_DecodeBlock wants whole quanta and counts padding as zero bytes. */
	if (b64_len == 0 || b64_len % 4 != 0 || b64_len > 4096)
		return appctl_error_new(APPCTL_EINPUT,
			"notify secret: 'whsec_' is not followed by base64");
	if (secret[len - 1] == '=')
		pad++;
	if (secret[len - 2] == '=')
		pad++;
	bytes = malloc(b64_len / 4 * 3);
	check = malloc(b64_len + 1);
	if (!bytes || !check) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	decoded = EVP_DecodeBlock(bytes, (const unsigned char *)secret + 6,
		(int)b64_len);
	/*
	 * EVP_DecodeBlock is lenient (it skips blanks, decodes "====");
	 * re-encoding must give back the exact text, or it was not base64.
	 */
	if (decoded < 0 || (size_t)decoded <= pad ||
	    EVP_EncodeBlock(check, bytes, decoded - (int)pad) != (int)b64_len ||
	    memcmp(check, secret + 6, b64_len) != 0) {
		err = appctl_error_new(APPCTL_EINPUT,
			"notify secret: 'whsec_' is not followed by base64");
		goto cleanup;
	}
	*key = bytes;
	*key_len = (size_t)decoded - pad;
	bytes = NULL;
cleanup:
	free(bytes);
	free(check);
	return err;
}

appctl_error *appctl_notify_sign(char **out, const unsigned char *key,
	size_t key_len, const char *webhook_id, int64_t timestamp,
	const char *body, size_t body_len)
{
	appctl_strbuf msg = APPCTL_STRBUF_INIT, sig = APPCTL_STRBUF_INIT;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	/* base64 of 32 bytes is 44 characters plus NUL. */
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	appctl_error *err = NULL;
	static const unsigned char empty_key[1] = { 0 };

	*out = NULL;
	if (key_len > 65536)
		return appctl_error_new(APPCTL_EINPUT,
			"notify secret is longer than 64 KiB");
	appctl_strbuf_printf(&msg, "%s.%lld.", webhook_id, (long long)timestamp);
	appctl_strbuf_add(&msg, body, body_len);
	if (msg.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	/* HMAC() refuses a NULL key even when its length is 0. */
	if (!HMAC(EVP_sha256(), key_len ? key : empty_key, (int)key_len,
			(const unsigned char *)msg.ptr, msg.len, mac, &mac_len)) {
		err = appctl_error_new(APPCTL_ESYSTEM,
			"cannot compute the webhook signature (HMAC-SHA256)");
		goto cleanup;
	}
	EVP_EncodeBlock(b64, mac, (int)mac_len);
	appctl_strbuf_printf(&sig, "v1,%s", (const char *)b64);
	*out = appctl_strbuf_detach(&sig);
	if (!*out)
		err = appctl_error_nomem();
cleanup:
	appctl_strbuf_dispose(&msg);
	appctl_strbuf_dispose(&sig);
	return err;
}
