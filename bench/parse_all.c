/* parse_all.c: the anchor of bench/validate.sh, a plain cJSON parse of every file named. */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

/*
 * Usage: parse_all FILE...
 *
 * Reads and parses each file with cJSON and frees the tree: the least any
 * validator of the same files must do, so the time `appctl validate` takes
 * is reported as a multiple of this. Exits 1 if a file cannot be read or
 * parsed, so that a broken org is not timed as a fast one.
 */
int main(int argc, char **argv)
{
	char *buf = NULL;
	size_t cap = 0;
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t len = 0, n;
		cJSON *root;

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		for (;;) {
			if (len == cap) {
				char *grown =
					realloc(buf, cap ? 2 * cap : 1 << 20);

				if (!grown) {
					perror("parse_all");
					return 1;
				}
				buf = grown;
				cap = cap ? 2 * cap : 1 << 20;
			}
			n = fread(buf + len, 1, cap - len, f);
			if (n == 0)
				break;
			len += n;
		}
		fclose(f);
		root = cJSON_ParseWithLength(buf, len);
		if (!root) {
			fprintf(stderr, "parse_all: %s: not JSON\n", argv[i]);
			return 1;
		}
		cJSON_Delete(root);
	}
	free(buf);
	return 0;
}
