/* fuzz_help_render.c: libFuzzer target for the Markdown-to-text renderer of the help pages. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "help_render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The pages are ours, but a page edited in a hurry must still print: any
 * text renders, in bold or not, at any width, without a crash, and the
 * layout's marker bytes never reach the output. The first byte picks the
 * width and the bold; the rest, up to a NUL, is the page.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *md, *text;
	int width, bold;

	if (size < 1)
		return 0;
	width = 20 + data[0] % 120;
	bold = data[0] & 1;
	md = malloc(size);
	if (!md)
		return 0;
	memcpy(md, data + 1, size - 1);
	md[size - 1] = '\0';
	text = appctl_help_render(md, width, bold);
	if (text && (strchr(text, '\001') || strchr(text, '\002')))
		__builtin_trap();
	if (text && !bold && !strchr(md, '\033') && strchr(text, '\033'))
		__builtin_trap();
	free(text);
	free(md);
	return 0;
}
