/* notify_internal.h: what the files of the notify layer share, and nothing else sees. */
#ifndef APPCTL_NOTIFY_INTERNAL_H
#define APPCTL_NOTIFY_INTERNAL_H

#include <stddef.h>

#include <curl/curl.h>

#include "appctl/notify.h"
#include "appctl/strbuf.h"

/*
 * The libcurl functions the notify layer calls, through notify_curl once
 * notify_curl_load has filled it (curl_load.c says why it is not linked).
 */
typedef struct notify_curl_api {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	CURLcode (*easy_perform)(CURL *curl);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *list,
		const char *line);
	void (*slist_free_all)(struct curl_slist *list);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *h, CURLUPart what, const char *part,
		unsigned int flags);
	CURLUcode (*url_get)(CURLU *h, CURLUPart what, char **part,
		unsigned int flags);
	void (*url_cleanup)(CURLU *h);
	const char *(*url_strerror)(CURLUcode rc);
	void (*free)(void *p);
} notify_curl_api;

extern notify_curl_api notify_curl;

/*
 * Loads libcurl and fills notify_curl, the first time; then does nothing.
 * A library that cannot be loaded, or lacks a function, is APPCTL_ESYSTEM.
 */
appctl_error *notify_curl_load(void);

/*
 * Parses and checks a notify URL (the rules of appctl_notify_url_check).
 * On success *out is the parsed handle libcurl is then given
 * (CURLOPT_CURLU), so what was checked is exactly what is requested; the
 * caller frees it with curl_url_cleanup. *loopback is 1 for a loopback host.
 */
appctl_error *notify_url_parse(CURLU **out, int *loopback, const char *url);

/*
 * The outbox directory "<gitdir>/appctl/outbox" into `path` (caller
 * disposes), created with its parent when `create` is set.
 */
appctl_error *notify_outbox_dir(appctl_strbuf *path, const char *gitdir,
	int create);

/* Current time as "YYYY-MM-DDTHH:MM:SSZ" into buf[21]. */
void notify_now_iso(char buf[21]);

#endif
