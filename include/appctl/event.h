/* event.h: the events of the log (refs/appctl/log) as canonical JSON, and reading them back. */
#ifndef APPCTL_EVENT_H
#define APPCTL_EVENT_H

#include <stddef.h>
#include <stdint.h>

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

/*
 * ---- Every event of the log (SPEC §1, §3) ----
 *
 * Each log commit's tree holds `event.json` (canonical JSON, the signed
 * bytes), optionally `event.json.sig` (an armored SSH signature made with
 * `ssh-keygen -Y sign -n appctl`) and `state.json` (derived: see
 * appctl_log_state). An event's identity is the git blob id of its
 * event.json: it does not depend on its place in the chain, so `sync` may
 * re-parent events without changing what approvals and promotions refer to.
 *
 * Keys by type (all events: "appctl_event":1, "type", "time", "principal",
 * "verified"):
 *   approve   env, commit, tree, base, [comment]
 *   revoke    env, commit, [comment]         (withdraws the principal's approvals
 *                                             of that env+commit made before it)
 *   promote   env, source, from, to, release, approvals[ids], break_glass, [comment]
 *   rollback  env, from, to, release, rollback_to, approvals[ids], break_glass, [comment]
 *   init      see appctl_init_event above
 */
typedef enum {
	APPCTL_EV_INIT = 0,
	APPCTL_EV_APPROVE,
	APPCTL_EV_REVOKE,
	APPCTL_EV_PROMOTE,
	APPCTL_EV_ROLLBACK
} appctl_event_type;

typedef struct appctl_event {
	appctl_arena *arena;          /* owns everything below when parsed */
	appctl_event_type type;
	const char *time;             /* ISO 8601 UTC, as the writer claimed */
	const char *principal;
	int verified;                 /* the writer's claim; readers re-verify */
	const char *env;              /* NULL for init */
	const char *comment;          /* -m TEXT, or NULL */
	/* approve, revoke */
	const char *commit;           /* approve/revoke: the commit; init: its commit */
	const char *tree;             /* approve: the tree of `commit` */
	const char *base;             /* approve: the env's commit when approving */
	/* promote, rollback */
	const char *source;           /* promote: the env promoted from */
	const char *from;             /* the env's commit before */
	const char *to;               /* the env's commit after */
	int64_t release;              /* N of release/<env>/<N> */
	int64_t rollback_to;          /* rollback: the release returned to; else -1 */
	const char **approvals;       /* ids of the approve events relied on */
	size_t approval_count;
	int break_glass;
	const appctl_init_event *init;/* init: the full init event */
	/* Where it was read from (filled by the store; "" when not from the log). */
	char id[41];                  /* blob id of event.json */
	char log_commit[41];          /* the log commit holding it */
	const char *json;             /* the canonical bytes (NUL-terminated) */
	size_t json_len;
	const char *signature;        /* armored signature text, or NULL */
	size_t signature_len;
} appctl_event;

/* "approve" etc.; never NULL. */
const char *appctl_event_type_name(appctl_event_type type);

/*
 * Formats `ev` (of any type but init) as canonical JSON, checking its fields
 * as appctl_event_parse would. The caller frees *out.
 */
appctl_error *appctl_event_format(char **out, const appctl_event *ev);

/*
 * Reads event.json bytes strictly: canonical form required (the bytes must
 * equal their own canonical serialisation, so one event has one encoding),
 * every key of its type present with the right type, no unknown keys. `file`
 * names it in errors. The caller frees *out with appctl_event_free. `json`
 * points at a copy of the bytes; id/log_commit/signature are left empty.
 */
appctl_error *appctl_event_parse(appctl_event **out, const char *file,
	const char *data, size_t len);

/* Frees a parsed event; NULL is a no-op. */
void appctl_event_free(appctl_event *event);

/*
 * ---- The derived state carried by every log commit (state.json) ----
 *
 * Per environment: the current release number, its commit, the commit
 * before it and the id of the event that made it; plus the number of events
 * so far. Reading the head's state answers "what is released where" in
 * O(1) however long the log grows, and tells a crashed promotion (log ahead
 * of the branch) from a hand-moved branch. It is derived data: audit
 * recomputes it from the events and flags any difference.
 */
typedef struct appctl_env_state {
	const char *env;
	int64_t release;
	char commit[41];
	char previous[41];            /* commit before this release; "" for release 0 */
	char event[41];               /* id of the event that made this release */
} appctl_env_state;

typedef struct appctl_log_state {
	appctl_arena *arena;
	int64_t seq;                  /* events in the log, this one included */
	appctl_env_state *envs;       /* sorted by env */
	size_t env_count;
} appctl_log_state;

/* The entry for `env`, or NULL. */
const appctl_env_state *appctl_log_state_env(const appctl_log_state *state,
	const char *env);

/*
 * The state after appending `ev` (whose blob id is `event_id`) to a log
 * whose head state is `prev` (NULL when `ev` is the init event). A promote
 * or rollback must continue the chain: release = prev release + 1 and from =
 * the env's current commit, else APPCTL_ECONFLICT (someone else released
 * first). The caller frees *out with appctl_log_state_free.
 */
appctl_error *appctl_log_state_next(appctl_log_state **out,
	const appctl_log_state *prev, const appctl_event *ev, const char *event_id);

/* Canonical JSON of a state; the caller frees *out. */
appctl_error *appctl_log_state_format(char **out, const appctl_log_state *state);

/* Strict reading of state.json; the caller frees *out with appctl_log_state_free. */
appctl_error *appctl_log_state_parse(appctl_log_state **out, const char *file,
	const char *data, size_t len);

void appctl_log_state_free(appctl_log_state *state);

#endif
