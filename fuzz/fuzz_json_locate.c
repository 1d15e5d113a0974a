/* fuzz_json_locate.c: libFuzzer target for locating findings' JSON paths in a definition's text. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "appctl/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The text is the user's (any bytes, broken JSON included) and so are the
 * paths a finding names (keys come from the definitions). The input is
 * split at its first NUL: paths, one per line, then the document. Every
 * path located in one pass must land where the single-path call says.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nul = memchr(text, '\0', size);
	char paths_buf[4096];
	const char *paths[64];
	appctl_json_location where[64];
	size_t count = 0, plen, i;
	char *p, *line;

	if (!nul)
		return 0;
	plen = (size_t)(nul - text);
	if (plen >= sizeof(paths_buf))
		return 0;
	memcpy(paths_buf, text, plen);
	paths_buf[plen] = '\0';
	for (p = paths_buf; count < 64 && (line = p) != NULL;) {
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
		paths[count++] = line;
		if (!p)
			break;
	}
	if (appctl_json_locate_all(where, nul + 1, size - plen - 1, paths,
			count) != NULL)
		return 0;
	for (i = 0; i < count; i++) {
		unsigned l = 0, c = 0;
		int rc = appctl_json_locate(nul + 1, size - plen - 1, paths[i], &l, &c);

		if ((rc == 0) != (where[i].line != 0) ||
		    (rc == 0 && (l != where[i].line || c != where[i].column)))
			__builtin_trap();
	}
	return 0;
}
