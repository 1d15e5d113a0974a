/* url.c: which URLs a webhook may go to: https anywhere, http only to this machine. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "notify_internal.h"

/*
 * Plain http would hand the signed payload and its timing to anyone on the
 * path; it is only allowed where there is no path: the loopback interface.
 */
static int host_is_loopback(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];
	char v6[64];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, addr) == 1)
		return addr[0] == 127;
	if (n > 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(v6)) {
		memcpy(v6, host + 1, n - 2);
		v6[n - 2] = '\0';
		if (inet_pton(AF_INET6, v6, addr) == 1) {
			const struct in6_addr *a = (const struct in6_addr *)addr;

			if (IN6_IS_ADDR_LOOPBACK(a))
				return 1;
			/* ::ffff:127.x.y.z is IPv4 loopback in IPv6 form. */
			return IN6_IS_ADDR_V4MAPPED(a) && addr[12] == 127;
		}
	}
	return 0;
}

appctl_error *notify_url_parse(CURLU **out, int *loopback, const char *url)
{
	CURLU *h = NULL;
	CURLUcode rc;
	char *scheme = NULL, *host = NULL;
	appctl_error *err = NULL;

	*out = NULL;
	*loopback = 0;
	if ((err = notify_curl_load()))
		return err;
	h = notify_curl.url();
	if (!h)
		return appctl_error_nomem();
	/* Unknown schemes parse too, so the message can name them. */
	rc = notify_curl.url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (rc != CURLUE_OK) {
		err = appctl_error_new(APPCTL_EINPUT, "notify url '%s': %s", url,
			notify_curl.url_strerror(rc));
		goto cleanup;
	}
	if (notify_curl.url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		err = appctl_error_new(APPCTL_EINPUT,
			"notify url '%s' has no scheme", url);
		goto cleanup;
	}
	if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0) {
		err = appctl_error_new(APPCTL_EINPUT,
			"notify url '%s': scheme '%s' is not allowed (use https)",
			url, scheme);
		goto cleanup;
	}
	if (notify_curl.url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
		err = appctl_error_new(APPCTL_EINPUT,
			"notify url '%s' has no host", url);
		goto cleanup;
	}
	*loopback = host_is_loopback(host);
	if (strcasecmp(scheme, "http") == 0 && !*loopback) {
		err = appctl_error_new(APPCTL_EINPUT,
			"notify url '%s': http is only allowed to a loopback "
			"address (localhost, 127.0.0.0/8, ::1); use https", url);
		goto cleanup;
	}
	*out = h;
	h = NULL;
cleanup:
	notify_curl.free(host);
	notify_curl.free(scheme);
	notify_curl.url_cleanup(h);
	return err;
}

appctl_error *appctl_notify_url_check(const char *url)
{
	CURLU *h = NULL;
	int loopback;
	appctl_error *err = notify_url_parse(&h, &loopback, url);

	/* Not when libcurl could not be loaded: then there is nothing to free. */
	if (h)
		notify_curl.url_cleanup(h);
	return err;
}
