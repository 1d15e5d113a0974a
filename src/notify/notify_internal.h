/* notify_internal.h: what the files of the notify layer share, and nothing else sees. */
#ifndef APPCTL_NOTIFY_INTERNAL_H
#define APPCTL_NOTIFY_INTERNAL_H

#include <stddef.h>

#include <curl/curl.h>

#include "appctl/notify.h"
#include "appctl/strbuf.h"

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
