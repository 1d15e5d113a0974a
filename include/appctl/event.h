/* event.h: the events of the log (refs/appctl/log) as canonical JSON, and reading them back. */
#ifndef APPCTL_EVENT_H
#define APPCTL_EVENT_H

#include <stddef.h>

#include "appctl/arena.h"
#include "appctl/error.h"

/* The version written in every event's "appctl_event" key. */
#define APPCTL_EVENT_VERSION 1

/*
 * The `init` event, the root of the log: the commit `init` started from, the
 * environments (promotion order) and, per environment, the commit of its
 * release 0:
 *
 *   {"appctl_event":1,"commit":C,"environments":["dev",...],
 *    "principal":P,"releases":{"dev":C,...},"time":"YYYY-MM-DDTHH:MM:SSZ",
 *    "type":"init","verified":false}
 */
typedef struct appctl_init_event {
	appctl_arena *arena; /* owns the strings when parsed; else NULL */
	const char *commit;  /* 40 hex digits */
	const char **environments;
	const char **releases; /* releases[i]: release 0 of environments[i] */
	size_t environment_count;
	const char *time; /* ISO 8601 UTC */
	const char *principal;
	int verified;
} appctl_init_event;

/*
 * Formats `event` as canonical JSON (sorted keys, no whitespace), the exact
 * bytes stored and signed. Fields are checked as the parser would check
 * them, so what is written can always be read back. The caller frees *out.
 */
appctl_error *appctl_init_event_format(char **out,
	const appctl_init_event *event);

/*
 * Reads an `init` event strictly (appctl_json_parse; unknown keys, wrong
 * types, bad ids, names or times are APPCTL_EINPUT errors naming `file` and
 * the JSON path). The caller frees *out with appctl_init_event_free.
 */
appctl_error *appctl_init_event_parse(appctl_init_event **out, const char *file,
	const char *data, size_t len);

/* Frees a parsed event; NULL is a no-op. */
void appctl_init_event_free(appctl_init_event *event);

/* The commit of release 0 of `env`, or NULL when the event does not name it. */
const char *appctl_init_event_release(const appctl_init_event *event,
	const char *env);

/* True for 40 lowercase hex digits (a full git object id). */
int appctl_event_id_is_valid(const char *s);

/* True for "YYYY-MM-DDTHH:MM:SSZ" naming a real calendar time. */
int appctl_event_time_is_valid(const char *s);

#endif
