/* hook_input.c: reading the ref updates git hands a hook on stdin, strictly (untrusted input). */
#include <stdlib.h>
#include <string.h>

#include "hook_check.h"

static int is_hex40(const char *s, size_t len)
{
	size_t i;

	if (len != 40)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Copies a 40-digit id, turning git's all-zero id into "". */
static void copy_id(char out[41], const char *s)
{
	size_t i;

	memcpy(out, s, 40);
	out[40] = '\0';
	for (i = 0; i < 40 && s[i] == '0'; i++)
		;
	if (i == 40)
		out[0] = '\0';
}

/* Splits one line into at most `max` space-separated fields; returns how many. */
static size_t split_fields(const char *line, size_t len, const char **starts,
	size_t *lens, size_t max)
{
	size_t n = 0, i = 0;

	while (i < len) {
		size_t start = i;

		while (i < len && line[i] != ' ')
			i++;
		if (n == max)
			return max + 1;
		starts[n] = line + start;
		lens[n++] = i - start;
		if (i < len)
			i++;
		else
			break;
	}
	return n;
}

appctl_error *hook_updates_parse(appctl_ref_update **out, size_t *count,
	const char *text, size_t len, int pre_push)
{
	appctl_ref_update *list = NULL;
	appctl_error *err = NULL;
	size_t n = 0, cap = 0, pos = 0, line_no = 0;
	size_t want = pre_push ? 4 : 3;

	*out = NULL;
	*count = 0;
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t line_len = nl ? (size_t)(nl - line) : len - pos;
		const char *f[5];
		size_t fl[5], nf;
		const char *old_id, *new_id, *ref;
		size_t ref_len;

		pos += line_len + (nl ? 1 : 0);
		line_no++;
		if (line_len && line[line_len - 1] == '\r')
			line_len--;
		if (line_len == 0)
			continue;
		nf = split_fields(line, line_len, f, fl, 4);
		if (nf != want || memchr(line, '\0', line_len)) {
			err = appctl_error_input("hook input", NULL, "line %zu: "
				"expected '%s'", line_no, pre_push
				? "LOCAL_REF LOCAL_ID REMOTE_REF REMOTE_ID"
				: "OLD_ID NEW_ID REF");
			goto cleanup;
		}
		/* Both forms hold the new id second and the ref third. */
		old_id = pre_push ? f[3] : f[0];
		new_id = f[1];
		ref = f[2];
		ref_len = fl[2];
		if (!is_hex40(old_id, pre_push ? fl[3] : fl[0]) ||
		    !is_hex40(new_id, fl[1]) || ref_len == 0) {
			err = appctl_error_input("hook input", NULL, "line %zu: "
				"object ids must be 40 hex digits and a ref name must "
				"follow", line_no);
			goto cleanup;
		}
		if (n == cap) {
			size_t grown_cap = cap ? cap * 2 : 64;
			appctl_ref_update *grown = realloc(list, grown_cap * sizeof(*grown));

			if (!grown) {
				err = appctl_error_nomem();
				goto cleanup;
			}
			list = grown;
			cap = grown_cap;
		}
		memset(&list[n], 0, sizeof(list[n]));
		copy_id(list[n].old_id, old_id);
		copy_id(list[n].new_id, new_id);
		list[n].ref = malloc(ref_len + 1);
		if (!list[n].ref) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		memcpy(list[n].ref, ref, ref_len);
		list[n].ref[ref_len] = '\0';
		n++;
	}
	*out = list;
	*count = n;
	list = NULL;
	n = 0;
cleanup:
	hook_updates_free(list, n);
	return err;
}

void hook_updates_free(appctl_ref_update *updates, size_t count)
{
	size_t i;

	for (i = 0; updates && i < count; i++) {
		free(updates[i].ref);
		free(updates[i].reason);
		free(updates[i].note);
	}
	free(updates);
}
