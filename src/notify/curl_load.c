/* curl_load.c: libcurl, loaded when a webhook URL is first checked or sent, not when appctl starts. */
#include <dlfcn.h>
#include <string.h>

#include "notify_internal.h"

notify_curl_api notify_curl;

/*
 * Linked like the other libraries, libcurl and the thirty libraries it
 * pulls in (TLS, HTTP/2, LDAP, Kerberos, IDN, ...) are mapped and
 * relocated whenever any command starts: 5-8 ms, more than the rest of
 * appctl's start-up, paid by every `status` and every hook run for the few
 * commands that send a webhook. So the notify layer calls libcurl through
 * this table, filled on first use. A symbol is copied into its slot with
 * memcpy: POSIX guarantees a function pointer has the size of a void *,
 * where ISO C forbids the cast.
 */
appctl_error *notify_curl_load(void)
{
	static const struct {
		const char *name;
		void *slot;
	} table[] = {
		{ "curl_global_init", &notify_curl.global_init },
		{ "curl_global_cleanup", &notify_curl.global_cleanup },
		{ "curl_easy_init", &notify_curl.easy_init },
		{ "curl_easy_setopt", &notify_curl.easy_setopt },
		{ "curl_easy_getinfo", &notify_curl.easy_getinfo },
		{ "curl_easy_perform", &notify_curl.easy_perform },
		{ "curl_easy_cleanup", &notify_curl.easy_cleanup },
		{ "curl_easy_strerror", &notify_curl.easy_strerror },
		{ "curl_slist_append", &notify_curl.slist_append },
		{ "curl_slist_free_all", &notify_curl.slist_free_all },
		{ "curl_url", &notify_curl.url },
		{ "curl_url_set", &notify_curl.url_set },
		{ "curl_url_get", &notify_curl.url_get },
		{ "curl_url_cleanup", &notify_curl.url_cleanup },
		{ "curl_url_strerror", &notify_curl.url_strerror },
		{ "curl_free", &notify_curl.free },
	};
	static int loaded;
	void *lib, *sym;
	size_t i;

	if (loaded)
		return NULL;
	/* Never closed: the table points into it until the process ends. */
	lib = dlopen(APPCTL_LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return appctl_error_new(APPCTL_ESYSTEM, "cannot load libcurl "
			"(%s), which webhooks are sent with: %s",
			APPCTL_LIBCURL_SONAME, dlerror());
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		sym = dlsym(lib, table[i].name);
		if (!sym)
			return appctl_error_new(APPCTL_ESYSTEM, "%s has no %s: "
				"appctl needs libcurl 7.80 or later",
				APPCTL_LIBCURL_SONAME, table[i].name);
		memcpy(table[i].slot, &sym, sizeof(sym));
	}
	loaded = 1;
	return NULL;
}
