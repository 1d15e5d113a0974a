/* fuzz_hook_input.c: libFuzzer target for the ref updates a hook reads on stdin (pre-receive and pre-push forms). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hook_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Whoever can push writes what git hands the hook: ref names are the
 * pusher's. Both forms must parse or refuse, never crash or hang, and what
 * parses must hold 40-digit ids (or "") and a ref without a newline.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	appctl_ref_update *updates = NULL;
	appctl_error *err;
	size_t count = 0, i;
	int form;

	for (form = 0; form < 2; form++) {
		err = hook_updates_parse(&updates, &count, (const char *)data,
			size, form);
		for (i = 0; !err && i < count; i++)
			if ((updates[i].old_id[0] && strlen(updates[i].old_id) != 40) ||
			    (updates[i].new_id[0] && strlen(updates[i].new_id) != 40) ||
			    strchr(updates[i].ref, '\n'))
				__builtin_trap();
		appctl_error_free(err);
		hook_updates_free(updates, count);
		updates = NULL;
		count = 0;
	}
	return 0;
}
