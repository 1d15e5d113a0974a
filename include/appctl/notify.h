/* notify.h: webhook notifications (SPEC §7): payload, Standard Webhooks signing, delivery, outbox. */
#ifndef APPCTL_NOTIFY_H
#define APPCTL_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "appctl/progress.h"
#include "appctl/arena.h"
#include "appctl/error.h"
#include "appctl/event.h"
#include "appctl/model.h"

/*
 * The flow, for the caller of appctl_notify_deliver (promote, rollback,
 * approve): first commit the event to the log, then notify. Every notify
 * entry of the TARGET environment's policy whose `events` match gets one
 * delivery; each delivery is first written to the outbox
 * (<gitdir>/appctl/outbox/<webhook-id>.json, atomically and fsynced), then
 * sent, and its file is removed once the receiver answered 2xx. Whatever is
 * not delivered within the command's time budget stays there for
 * `appctl notify flush`. Delivery problems are reported, never returned as
 * errors: a webhook cannot undo or block what already happened.
 *
 * Only src/core/notify_payload.c (the pure payload) and src/notify/ (libcurl,
 * libcrypto, the outbox files) implement this header.
 */

/* Per-request timeout when the entry has no timeout_s. */
#define APPCTL_NOTIFY_TIMEOUT_DEFAULT_S 10
/* Total time one command may spend on deliveries (APPCTL_NOTIFY_BUDGET_S overrides). */
#define APPCTL_NOTIFY_BUDGET_DEFAULT_S 20
/* Bytes of a response body read at most; the rest is not downloaded. */
#define APPCTL_NOTIFY_RESPONSE_MAX (64u * 1024u)
/* Size of a webhook-id buffer: "msg_" + 40 hex + "_" + 16 hex + NUL. */
#define APPCTL_NOTIFY_ID_SIZE 64

/*
 * What a notification says. Strings are borrowed (the caller keeps them
 * alive during the call); NULL / -1 fields are left out of the payload.
 */
typedef struct appctl_notify_event {
	const char *type;           /* "promote", "rollback", "approve", "test" */
	const char *id;             /* the log event's id (40 hex): the dedupe key */
	const char *time;           /* ISO 8601 UTC, the event's time */
	const char *repository;     /* the repository's name (its folder) */
	const char *env;            /* the target environment */
	const char *principal;      /* the promoter / approver */
	int verified;               /* the principal's signature verified */
	const char *source;         /* promote: the environment promoted from */
	const char *from;           /* commit before (promote, rollback) */
	const char *to;             /* commit after */
	const char *commit;         /* approve: the approved commit */
	const char *base;           /* approve: the environment's commit then */
	int64_t release;            /* N of release/<env>/<N>, or -1 */
	int64_t rollback_to;        /* rollback: the release returned to, or -1 */
	int break_glass;
	const char *comment;        /* or NULL */
	const char *const *approvers; /* principals of the approvals relied on */
	size_t approver_count;
	int has_summary;
	size_t summary[3];          /* risk counts, indexed by APPCTL_RISK_* (low, medium, high) */
} appctl_notify_event;

/*
 * Fills `out` from a log event as appended (`event_id` is its id; NULL
 * means ev->id). Pointers borrow from `ev`; repository, approvers and
 * summary are left empty for the caller to set.
 */
void appctl_notify_event_from_log(appctl_notify_event *out,
	const appctl_event *ev, const char *event_id);

/*
 * True when notify entry `entry` subscribes to `ev`: its `events` name the
 * type, or `break_glass` for a break-glass promote/rollback. A "test" event
 * goes to every entry.
 */
int appctl_notify_wants(const appctl_notify *entry,
	const appctl_notify_event *ev);

/*
 * The payload: canonical JSON (sorted keys, no whitespace), the exact bytes
 * sent and signed:
 *   {"data":{"approvers":[...],"env":...,"from":...,"release":N,
 *            "repository":...,"summary":{"high":H,"low":L,"medium":M},...},
 *    "id":EVENT_ID,"timestamp":TIME,"type":TYPE}
 * Pure (no I/O). The caller frees *out.
 */
appctl_error *appctl_notify_payload(char **out, const appctl_notify_event *ev);

/* ---- signing (Standard Webhooks) ---- */

/*
 * The webhook-id of the delivery of event `event_id` to `url`:
 * "msg_<event id>_<first 16 hex digits of SHA-256(url)>". Stable across
 * retries, flushes and processes, and distinct per endpoint, so a receiver
 * deduplicates on it. `out` receives APPCTL_NOTIFY_ID_SIZE bytes at most.
 * Returns -1 when `event_id` is not 1 to 40 [0-9a-f] characters.
 */
int appctl_notify_webhook_id(char out[APPCTL_NOTIFY_ID_SIZE],
	const char *event_id, const char *url);

/* True for a webhook-id this code could have made (safe as a file name). */
int appctl_notify_id_is_valid(const char *id);

/* 40 random hex digits (for test events). */
appctl_error *appctl_notify_random_id(char out[41]);

/*
 * Resolves a secret reference to the secret's text. `env://NAME` reads the
 * environment variable NAME. `secret://PATH` has no local vault to ask, so
 * it reads the environment variable APPCTL_SECRET_<PATH>, PATH upper-cased
 * with every other character than A-Z and 0-9 turned into '_'
 * (secret://vault/hooks-prod -> APPCTL_SECRET_VAULT_HOOKS_PROD). An unset
 * or empty variable, or any other form, is an APPCTL_EINPUT error naming
 * the variable (never the value). The caller frees *out.
 */
appctl_error *appctl_notify_secret_resolve(char **out, const char *ref);

/*
 * The signing key of a secret: "whsec_<base64>" is base64-decoded (the
 * Standard Webhooks form); anything else is used as its raw bytes. Bad
 * base64 is an APPCTL_EINPUT error. The caller frees *key with free().
 */
appctl_error *appctl_notify_secret_key(unsigned char **key, size_t *key_len,
	const char *secret);

/*
 * The webhook-signature header value "v1,<base64 HMAC-SHA256(key,
 * id + "." + timestamp + "." + body)>". The caller frees *out.
 */
appctl_error *appctl_notify_sign(char **out, const unsigned char *key,
	size_t key_len, const char *webhook_id, int64_t timestamp,
	const char *body, size_t body_len);

/*
 * Checks a notify URL before anything is sent (parsed with curl_url(), the
 * parser libcurl itself then uses): `https` to any host; `http` only to a
 * loopback host (localhost, 127.0.0.0/8, ::1) for tests and local relays;
 * every other scheme (file, gopher, ftp, ...) and unparsable URLs are
 * APPCTL_EINPUT errors saying why.
 */
appctl_error *appctl_notify_url_check(const char *url);

/* ---- the outbox: <gitdir>/appctl/outbox/ ---- */

/* One delivery waiting in the outbox (one file, <id>.json). */
typedef struct appctl_outbox_entry {
	char id[APPCTL_NOTIFY_ID_SIZE]; /* webhook-id */
	const char *url;
	const char *event;          /* the payload's type */
	const char *event_id;
	const char *secret;         /* the reference, never the secret; or NULL */
	int64_t timeout_s;          /* per request */
	const char *body;           /* the payload bytes, NUL-terminated */
	size_t body_len;
	int64_t attempts;           /* over all commands */
	const char *created;        /* ISO 8601 UTC */
	const char *last_attempt;   /* or NULL */
	int64_t last_status;        /* last HTTP status, 0 when none */
	const char *last_error;     /* or NULL */
	int failed;                 /* refused for good (4xx, 3xx, bad URL or
				       secret): not retried until a flush */
} appctl_outbox_entry;

/* An endpoint that answered 410 Gone: nothing more is sent to it. */
typedef struct appctl_notify_disabled {
	const char *url;
	const char *time;           /* when it was disabled */
	int64_t status;             /* 410 */
	const char *id;             /* the delivery that got the 410 */
} appctl_notify_disabled;

typedef struct appctl_outbox {
	appctl_arena *arena;        /* owns everything below */
	appctl_outbox_entry *entries; /* oldest first (created, then id) */
	size_t count;
	appctl_notify_disabled *disabled; /* sorted by URL */
	size_t disabled_count;
	const char **broken;        /* "<file>: <why>" for unreadable entries */
	size_t broken_count;
} appctl_outbox;

/*
 * Reads the outbox of the repository whose git directory is `gitdir`
 * (appctl_repo_gitdir). A missing outbox is an empty one. Unreadable entry
 * files are listed in `broken`, not errors. The caller frees *out with
 * appctl_outbox_free.
 */
appctl_error *appctl_outbox_read(appctl_outbox **out, const char *gitdir);

/* Frees an outbox; NULL is a no-op. */
void appctl_outbox_free(appctl_outbox *outbox);

/*
 * Writes `entry` as <gitdir>/appctl/outbox/<id>.json: a temporary file,
 * fsync, rename, fsync of the directory, so a crash leaves the old entry or
 * the new one, never a torn file. Creates the directories as needed.
 */
appctl_error *appctl_outbox_write(const char *gitdir,
	const appctl_outbox_entry *entry);

/* Removes entry `id` (durably); *found is 0 when there was none. */
appctl_error *appctl_outbox_remove(int *found, const char *gitdir,
	const char *id);

/* Records `url` as disabled (answered `status`, for delivery `id`). */
appctl_error *appctl_notify_disable(const char *gitdir, const char *url,
	int64_t status, const char *id);

/* Re-enables a disabled endpoint; *found is 0 when it was not disabled. */
appctl_error *appctl_notify_enable(int *found, const char *gitdir,
	const char *url);

/* ---- delivery ---- */

typedef enum {
	APPCTL_NOTIFY_DELIVERED = 0, /* 2xx: done, removed from the outbox */
	APPCTL_NOTIFY_KEPT,          /* not delivered in time: in the outbox */
	APPCTL_NOTIFY_FAILED,        /* refused for good (URL, secret, 3xx,
					4xx): in the outbox, not retried */
	APPCTL_NOTIFY_DISABLED       /* the endpoint answered 410 (now or
					before): in the outbox, not sent */
} appctl_notify_outcome;

/* "delivered", "kept", "failed", "disabled". */
const char *appctl_notify_outcome_name(appctl_notify_outcome outcome);

typedef struct appctl_notify_result {
	const char *id;             /* webhook-id */
	const char *url;
	const char *event;          /* the payload's type */
	appctl_notify_outcome outcome;
	unsigned attempts;          /* requests made by this command */
	int64_t status;             /* last HTTP status, 0 when none */
	const char *error;          /* why it is not delivered, or NULL */
	int in_outbox;              /* 1 when its file is in the outbox now */
} appctl_notify_result;

typedef struct appctl_notify_report {
	appctl_arena *arena;        /* owns everything below */
	appctl_notify_result *results;
	size_t count;
	size_t delivered;           /* results with outcome DELIVERED */
} appctl_notify_report;

/* Frees a report; NULL is a no-op. */
void appctl_notify_report_free(appctl_notify_report *report);

/*
 * Notifies every entry of `policy` (the target environment's, in force when
 * the event happened) that subscribes to `ev`; call it after the event is
 * committed. Sends at once, retries 408/429/5xx/timeouts/connection errors
 * with exponential backoff and jitter, honouring Retry-After, all within
 * one budget (APPCTL_NOTIFY_BUDGET_S seconds, default 20; 0 only queues);
 * a 410 disables the endpoint. What is not delivered stays in the outbox
 * of `gitdir`. Each retry is announced through `progress` (a note naming
 * the URL, the reason, the attempt and the wait; may be NULL). The only error returned is out of memory; every delivery
 * problem (including an outbox that cannot be written) is in the report.
 * The caller frees *out with appctl_notify_report_free.
 */
appctl_error *appctl_notify_deliver(appctl_notify_report **out,
	const char *gitdir, const appctl_policy *policy,
	const appctl_notify_event *ev, const appctl_progress *progress);

/*
 * Re-sends every outbox entry whose endpoint is not disabled (same
 * webhook-id and body, a fresh timestamp and signature per attempt), with
 * the retries and budget of appctl_notify_deliver, removing each one the
 * receiver accepts. Only one flush runs at a time per repository: another
 * is APPCTL_ECONFLICT. The caller frees *out with appctl_notify_report_free.
 */
appctl_error *appctl_notify_flush(appctl_notify_report **out,
	const char *gitdir, const appctl_progress *progress);

/*
 * One line per result, for stderr ("notify: delivered promote to URL ..."),
 * ending in '\n'; "" for an empty report. The caller frees *out.
 */
appctl_error *appctl_notify_report_text(char **out,
	const appctl_notify_report *report);

/*
 * The results as a JSON array of {"id","url","event","outcome","attempts",
 * "status","error"}; NULL when out of memory. The caller frees it with
 * cJSON_Delete.
 */
cJSON *appctl_notify_report_json(const appctl_notify_report *report);

#endif
