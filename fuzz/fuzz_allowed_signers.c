/* fuzz_allowed_signers.c: libFuzzer target for the allowed_signers parser and the rules applied with it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/allowed_signers.h"
#include "appctl/sshsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A real signature by the first seed's key over `event`. */
static const char event[] = "{\"appctl_event\":1,\"type\":\"approve\"}";
static const char signature[] =
	"-----BEGIN SSH SIGNATURE-----\n"
	"U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg92ILrn8rtdetGydeA19GazN9TU\n"
	"H2N3Q2J8Rzb0rz7YEAAAAGYXBwY3RsAAAAAAAAAAZzaGE1MTIAAABTAAAAC3NzaC1lZDI1\n"
	"NTE5AAAAQIy7rDtWT+L3traEfcot96L3uNMdC801vZmfeQUvriduJPKLONiCbdko7R0Oww\n"
	"4bkQYWdl/dltSFKVCnnlMiPwo=\n"
	"-----END SSH SIGNATURE-----\n";

/*
 * allowed_signers comes from the repository's definitions, which anyone
 * with push access writes. Every line is parsed; every pattern list and
 * time value it holds goes through the matchers; a real signature is
 * judged against the whole file; the bytes are also tried as base64, a
 * time, and a principal against themselves as a pattern list.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	appctl_allowed_signers *list = NULL;
	char *text, *principal = NULL, *why = NULL;
	unsigned char *bytes = NULL;
	size_t i, n = 0;
	uint64_t t;
	int decided = 0;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!appctl_allowed_signers_parse(&list, (const char *)data, size)) {
		for (i = 0; i < list->count; i++) {
			(void)appctl_ssh_pattern_list_match("seed@example.com",
				list->lines[i].principals);
			if (list->lines[i].namespaces)
				(void)appctl_ssh_pattern_list_match("appctl",
					list->lines[i].namespaces);
		}
		appctl_allowed_signers_free(list);
	}
	appctl_error_free(appctl_sshsig_verify(&decided, &principal, &why, text,
		event, strlen(event), signature, 1767225600));
	free(principal);
	free(why);
	if (appctl_base64_decode(&bytes, &n, (const char *)data, size) == 0)
		free(bytes);
	(void)appctl_ssh_time_parse(&t, text);
	(void)appctl_ssh_pattern_list_match(text, text);
	free(text);
	return 0;
}
