/* fuzz_webhook_url.c: libFuzzer target for the notify URLs of appctl.json, checked with the parser libcurl then sends with. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appctl/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A notify URL is whatever a builder committed to appctl.json. It must be
 * accepted or refused, never crash; an accepted one is https, or http to
 * a loopback host (the check's whole point); and the delivery id derived
 * from it keeps its fixed shape.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = malloc(size + 1);
	appctl_error *err;

	if (!url)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';
	err = appctl_notify_url_check(url);
	if (!err) {
		const char *p = url;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "https:", 6) != 0 && strncasecmp(p, "http:", 5) != 0)
			__builtin_trap();
	}
	appctl_error_free(err);
	{
		char id[APPCTL_NOTIFY_ID_SIZE];

		if (appctl_notify_webhook_id(id, "0123456789abcdef", url) != 0 ||
		    !appctl_notify_id_is_valid(id))
			__builtin_trap();
	}
	free(url);
	return 0;
}
