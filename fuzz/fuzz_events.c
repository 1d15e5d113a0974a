/* fuzz_events.c: libFuzzer target for the log's event.json and state.json readers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "appctl/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Events arrive from other machines (sync, pushes to the server hook): every
 * byte is hostile. What parses must also survive formatting and the state
 * transition, and a state that parses must format again.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	appctl_log_state *state = NULL, *next = NULL;
	appctl_event *ev = NULL;
	appctl_error *err;
	char *out = NULL;

	err = appctl_event_parse(&ev, "event.json", (const char *)data, size);
	if (!err && ev->type != APPCTL_EV_INIT) {
		appctl_error_free(appctl_event_format(&out, ev));
		free(out);
		out = NULL;
	}
	appctl_error_free(err);

	err = appctl_log_state_parse(&state, "state.json", (const char *)data, size);
	if (!err) {
		appctl_error_free(appctl_log_state_format(&out, state));
		free(out);
		out = NULL;
		if (ev)
			appctl_error_free(appctl_log_state_next(&next, state, ev,
				"0123456789abcdef0123456789abcdef01234567"));
	}
	appctl_error_free(err);
	appctl_log_state_free(next);
	appctl_log_state_free(state);
	appctl_event_free(ev);
	return 0;
}
