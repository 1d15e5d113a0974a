/* deliver.c: sending webhooks with libcurl: hardened requests, bounded retries, the outbox. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "appctl/json.h"
#include "notify_internal.h"

#ifndef APPCTL_VERSION
#define APPCTL_VERSION "unknown"
#endif

#define BACKOFF_BASE_MS 500
#define BACKOFF_CAP_MS 8000
#define FLUSH_LOCK "flush.lock"
/* What of a response body goes into an error message. */
#define ERROR_SNIPPET 160

/* One delivery being worked on by this command. */
typedef struct job {
	appctl_outbox_entry entry;   /* strings owned by the report's arena */
	appctl_notify_result *result;
	int64_t next_ms;             /* monotonic time of the next attempt */
	int active;                  /* still to be tried by this command */
	int stored;                  /* its file is in the outbox */
} job;

/* What one request ended with. */
typedef enum {
	SEND_DELIVERED,
	SEND_RETRY,
	SEND_FAILED,
	SEND_GONE
} send_verdict;

typedef struct send_result {
	send_verdict verdict;
	long status;
	int64_t retry_after_ms;      /* from Retry-After, 0 when none */
	char error[512];
} send_result;

/* The response body as read, capped so a hostile receiver cannot fill memory. */
typedef struct capped_body {
	char data[APPCTL_NOTIFY_RESPONSE_MAX];
	size_t len;
	int overflow;
} capped_body;

const char *appctl_notify_outcome_name(appctl_notify_outcome outcome)
{
	switch (outcome) {
	case APPCTL_NOTIFY_DELIVERED:
		return "delivered";
	case APPCTL_NOTIFY_KEPT:
		return "kept";
	case APPCTL_NOTIFY_FAILED:
		return "failed";
	case APPCTL_NOTIFY_DISABLED:
		return "disabled";
	}
	return "unknown";
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The command's total time for deliveries, in milliseconds. */
static int64_t budget_ms(void)
{
	const char *s = getenv("APPCTL_NOTIFY_BUDGET_S");
	char *end = NULL;
	long v;

	if (!s || !*s)
		return (int64_t)APPCTL_NOTIFY_BUDGET_DEFAULT_S * 1000;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 3600)
		return (int64_t)APPCTL_NOTIFY_BUDGET_DEFAULT_S * 1000;
	return (int64_t)v * 1000;
}

/*
 * Exponential backoff with jitter: the n-th retry waits a random time in
 * [d/2, d], d = 500 ms * 2^(n-1) capped at 8 s, so that many appctl
 * processes retrying one receiver do not come back in step.
 */
static int64_t backoff_ms(unsigned tries)
{
	int64_t d = BACKOFF_BASE_MS;
	unsigned r = 0;

	while (tries-- > 1 && d < BACKOFF_CAP_MS)
		d *= 2;
	if (d > BACKOFF_CAP_MS)
		d = BACKOFF_CAP_MS;
	if (RAND_bytes((unsigned char *)&r, (int)sizeof(r)) != 1)
		r = (unsigned)monotonic_ms();
	return d / 2 + (int64_t)(r % (unsigned)(d / 2 + 1));
}

static size_t write_capped(char *ptr, size_t size, size_t nmemb, void *arg)
{
	capped_body *body = arg;
	size_t n = size * nmemb, room = sizeof(body->data) - body->len;

	if (n > room) {
		/* Returning less than given makes libcurl stop the transfer. */
		body->overflow = 1;
		return 0;
	}
	memcpy(body->data + body->len, ptr, n);
	body->len += n;
	return n;
}

/* A short, printable excerpt of what the receiver said, for error messages. */
static void body_snippet(char *out, size_t size, const capped_body *body)
{
	size_t i, j = 0;

	for (i = 0; i < body->len && j + 1 < size && j < ERROR_SNIPPET; i++) {
		unsigned char c = (unsigned char)body->data[i];

		out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
	}
	out[j] = '\0';
}

static send_verdict classify_status(long status)
{
	if (status >= 200 && status < 300)
		return SEND_DELIVERED;
	if (status == 410)
		return SEND_GONE;
	if (status == 408 || status == 425 || status == 429 || status >= 500)
		return SEND_RETRY;
	return SEND_FAILED;
}

/* Errors that waiting will not fix: certificates, protocols, bad URLs. */
static int curl_error_is_permanent(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_NOT_BUILT_IN:
		return 1;
	default:
		return 0;
	}
}

static void describe_http(send_result *r, CURL *curl, const capped_body *body)
{
	char snippet[ERROR_SNIPPET + 1];
	char *location = NULL;

	body_snippet(snippet, sizeof(snippet), body);
	if (r->status >= 300 && r->status < 400 &&
	    notify_curl.easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK &&
	    location) {
		snprintf(r->error, sizeof(r->error),
			"HTTP %ld: redirect to '%s' not followed", r->status,
			location);
	} else if (r->verdict == SEND_GONE) {
		snprintf(r->error, sizeof(r->error),
			"HTTP 410: the endpoint is gone; it is disabled");
	} else {
		snprintf(r->error, sizeof(r->error), "HTTP %ld%s%s", r->status,
			*snippet ? ": " : "", snippet);
	}
}

/*
 * Every safety setting is explicit rather than trusted to libcurl's
 * defaults: the URL was checked and is passed parsed, only its scheme is
 * enabled, redirects are off, TLS is verified, both timeouts are set, the
 * response is capped and no signal handler is installed. 0 when libcurl
 * took them all.
 */
static int harden(CURL *curl, CURLU *url, int loopback, int64_t timeout_ms)
{
	long ms = (long)(timeout_ms < 1 ? 1 : timeout_ms);
	int bad = 0;

	bad |= notify_curl.easy_setopt(curl, CURLOPT_CURLU, url) != CURLE_OK;
	bad |= notify_curl.easy_setopt(curl, CURLOPT_PROTOCOLS_STR,
		loopback ? "http,https" : "https") != CURLE_OK;
	bad |= notify_curl.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR,
		"https") != CURLE_OK;
	bad |= notify_curl.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= notify_curl.easy_setopt(curl, CURLOPT_MAXREDIRS, 0L) != CURLE_OK;
	bad |= notify_curl.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= notify_curl.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	bad |= notify_curl.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= notify_curl.easy_setopt(curl, CURLOPT_TIMEOUT_MS, ms) != CURLE_OK;
	bad |= notify_curl.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, ms) != CURLE_OK;
	bad |= notify_curl.easy_setopt(curl, CURLOPT_WRITEFUNCTION,
		write_capped) != CURLE_OK;
	bad |= notify_curl.easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
		(curl_off_t)APPCTL_NOTIFY_RESPONSE_MAX) != CURLE_OK;
	bad |= notify_curl.easy_setopt(curl, CURLOPT_USERAGENT,
		"appctl/" APPCTL_VERSION) != CURLE_OK;
	/* A loopback receiver must never be reached through a proxy. */
	if (loopback)
		bad |= notify_curl.easy_setopt(curl, CURLOPT_NOPROXY, "*") != CURLE_OK;
	return bad ? -1 : 0;
}

/* One signed POST of an outbox entry; the verdict goes to *r. */
static appctl_error *send_once(send_result *r, const appctl_outbox_entry *e,
	const unsigned char *key, size_t key_len, int has_key, int64_t timeout_ms)
{
	appctl_strbuf h = APPCTL_STRBUF_INIT;
	struct curl_slist *headers = NULL, *grown;
	char errbuf[CURL_ERROR_SIZE] = "";
	char *signature = NULL;
	capped_body *body = NULL;
	CURLU *url = NULL;
	CURL *curl = NULL;
	appctl_error *err = NULL;
	curl_off_t retry_after = 0;
	int64_t now = (int64_t)time(NULL);
	int loopback = 0;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	err = notify_url_parse(&url, &loopback, e->url);
	if (err) {
		if (err == appctl_error_nomem())
			return err;
		r->verdict = SEND_FAILED;
		snprintf(r->error, sizeof(r->error), "%s", err->message);
		appctl_error_free(err);
		return NULL;
	}
	if (has_key) {
		err = appctl_notify_sign(&signature, key, key_len, e->id, now,
			e->body, e->body_len);
		if (err)
			goto cleanup;
	}
	body = calloc(1, sizeof(*body));
	curl = notify_curl.easy_init();
	if (!body || !curl) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	{
		const char *lines[6];
		size_t n = 0, i;
		char id_line[APPCTL_NOTIFY_ID_SIZE + 16], ts_line[48];

		snprintf(id_line, sizeof(id_line), "webhook-id: %s", e->id);
		snprintf(ts_line, sizeof(ts_line), "webhook-timestamp: %lld",
			(long long)now);
		lines[n++] = "Content-Type: application/json";
		lines[n++] = id_line;
		lines[n++] = ts_line;
		/* No "Expect: 100-continue" round trip before the body. */
		lines[n++] = "Expect:";
		for (i = 0; i < n; i++) {
			grown = notify_curl.slist_append(headers, lines[i]);
			if (!grown) {
				err = appctl_error_nomem();
				goto cleanup;
			}
			headers = grown;
		}
		if (signature) {
			appctl_strbuf_printf(&h, "webhook-signature: %s", signature);
			grown = h.failed ? NULL : notify_curl.slist_append(headers, h.ptr);
			if (!grown) {
				err = appctl_error_nomem();
				goto cleanup;
			}
			headers = grown;
		}
	}
	if (harden(curl, url, loopback, timeout_ms) != 0 ||
	    notify_curl.easy_setopt(curl, CURLOPT_POST, 1L) != CURLE_OK ||
	    notify_curl.easy_setopt(curl, CURLOPT_POSTFIELDS, e->body) != CURLE_OK ||
	    notify_curl.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		(curl_off_t)e->body_len) != CURLE_OK ||
	    notify_curl.easy_setopt(curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
	    notify_curl.easy_setopt(curl, CURLOPT_WRITEDATA, body) != CURLE_OK ||
	    notify_curl.easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK) {
		err = appctl_error_new(APPCTL_ESYSTEM,
			"libcurl refused a required option (libcurl too old?)");
		goto cleanup;
	}
	rc = notify_curl.easy_perform(curl);
	notify_curl.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (notify_curl.easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
	    retry_after > 0)
		r->retry_after_ms = (int64_t)retry_after * 1000;
	if (rc == CURLE_OUT_OF_MEMORY) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	/*
	 * A status line came back: the status decides. A body cut short at the
	 * cap does not undo a 2xx; the receiver has taken the event.
	 */
	if (r->status > 0 && (rc == CURLE_OK || body->overflow ||
			rc == CURLE_FILESIZE_EXCEEDED)) {
		r->verdict = classify_status(r->status);
		if (r->verdict != SEND_DELIVERED)
			describe_http(r, curl, body);
		if (r->verdict == SEND_DELIVERED && rc != CURLE_OK)
			snprintf(r->error, sizeof(r->error),
				"response body over %u bytes was not read",
				APPCTL_NOTIFY_RESPONSE_MAX);
		goto cleanup;
	}
	r->verdict = curl_error_is_permanent(rc) ? SEND_FAILED : SEND_RETRY;
	r->retry_after_ms = 0;
	snprintf(r->error, sizeof(r->error), "%s",
		*errbuf ? errbuf : notify_curl.easy_strerror(rc));
cleanup:
	notify_curl.easy_cleanup(curl);
	notify_curl.slist_free_all(headers);
	notify_curl.url_cleanup(url);
	free(body);
	free(signature);
	appctl_strbuf_dispose(&h);
	return err;
}

/* Report strings live in the report's arena; NULL only when out of memory. */
static const char *keep(appctl_arena *arena, const char *s)
{
	return s ? appctl_arena_strdup(arena, s) : NULL;
}

static appctl_error *store(const char *gitdir, job *j, appctl_arena *arena)
{
	appctl_error *err = appctl_outbox_write(gitdir, &j->entry);

	if (!err) {
		j->stored = 1;
		return NULL;
	}
	if (err == appctl_error_nomem())
		return err;
	/* Not fatal: the delivery is still tried, only not kept for later. */
	j->result->error = appctl_arena_printf(arena, "not kept: %s",
		err->message);
	appctl_error_free(err);
	return j->result->error ? NULL : appctl_error_nomem();
}

static int same_url(const job *a, const job *b)
{
	return strcmp(a->entry.url, b->entry.url) == 0;
}

static int url_disabled(const appctl_outbox *box, const char *url)
{
	size_t i;

	for (i = 0; box && i < box->disabled_count; i++)
		if (strcmp(box->disabled[i].url, url) == 0)
			return 1;
	return 0;
}

/* Records an attempt's outcome in the job's entry and result. */
static appctl_error *record_attempt(job *j, const send_result *r,
	appctl_arena *arena)
{
	char now[21];

	notify_now_iso(now);
	j->entry.attempts++;
	j->result->attempts++;
	j->entry.last_attempt = keep(arena, now);
	j->entry.last_status = r->status;
	j->result->status = r->status;
	j->entry.last_error = *r->error ? keep(arena, r->error) : NULL;
	if (!j->entry.last_attempt || (*r->error && !j->entry.last_error))
		return appctl_error_nomem();
	j->result->error = r->verdict == SEND_DELIVERED ? NULL
		: j->entry.last_error;
	return NULL;
}

/* Marks a job as done for this command and rewrites or removes its file. */
static appctl_error *settle(const char *gitdir, job *j,
	appctl_notify_outcome outcome, appctl_arena *arena)
{
	appctl_error *err = NULL;
	int found;

	j->active = 0;
	j->result->outcome = outcome;
	if (outcome == APPCTL_NOTIFY_DELIVERED) {
		err = appctl_outbox_remove(&found, gitdir, j->entry.id);
		if (err && err != appctl_error_nomem()) {
			/* Delivered; a stale file would only be re-sent and deduplicated. */
			appctl_error_free(err);
			err = NULL;
		}
		j->stored = 0;
	} else if (j->stored && outcome != APPCTL_NOTIFY_KEPT) {
		/* A kept entry was rewritten after its last attempt already. */
		err = store(gitdir, j, arena);
	}
	j->result->in_outbox = j->stored;
	return err;
}

/* The signing key of a job, or why there is none (then the job failed). */
static appctl_error *job_key(unsigned char **key, size_t *key_len,
	int *has_key, char *why, size_t why_size, const appctl_outbox_entry *e)
{
	char *secret = NULL;
	appctl_error *err;

	*key = NULL;
	*key_len = 0;
	*has_key = 0;
	why[0] = '\0';
	if (!e->secret)
		return NULL;
	err = appctl_notify_secret_resolve(&secret, e->secret);
	if (!err)
		err = appctl_notify_secret_key(key, key_len, secret);
	if (secret) {
		/* The secret does not outlive its use. */
		memset(secret, 0, strlen(secret));
		free(secret);
	}
	if (err && err != appctl_error_nomem()) {
		snprintf(why, why_size, "%s", err->message);
		appctl_error_free(err);
		return NULL;
	}
	*has_key = !err;
	return err;
}

/*
 * The one worker behind deliver and flush: attempts jobs in order of their
 * next attempt time until every job is settled or the budget is spent.
 */
static appctl_error *run_jobs(const char *gitdir, job *jobs, size_t n,
	appctl_arena *arena, const appctl_progress *progress)
{
	int64_t start = monotonic_ms(), deadline = start + budget_ms();
	appctl_error *err = NULL;
	size_t i, k;

	/* Nothing is due before the budget starts (a budget of 0 sends nothing). */
	for (i = 0; i < n; i++)
		if (jobs[i].active && jobs[i].next_ms < start)
			jobs[i].next_ms = start;
	for (;;) {
		job *j = NULL;
		send_result r;
		unsigned char *key = NULL;
		size_t key_len = 0;
		int has_key = 0;
		int64_t now, timeout_ms;

		for (i = 0; i < n; i++)
			if (jobs[i].active && (!j || jobs[i].next_ms < j->next_ms))
				j = &jobs[i];
		if (!j)
			break;
		if (j->next_ms >= deadline) {
			/* Out of time: what is left waits for a flush. */
			for (i = 0; i < n && !err; i++)
				if (jobs[i].active)
					err = settle(gitdir, &jobs[i],
						APPCTL_NOTIFY_KEPT, arena);
			break;
		}
		sleep_ms(j->next_ms - monotonic_ms());
		now = monotonic_ms();
		timeout_ms = j->entry.timeout_s * 1000;
		if (timeout_ms > deadline - now)
			timeout_ms = deadline - now;
		memset(&r, 0, sizeof(r));
		err = job_key(&key, &key_len, &has_key, r.error, sizeof(r.error),
			&j->entry);
		if (err)
			break;
		if (j->entry.secret && !has_key) {
			r.verdict = SEND_FAILED;
		} else {
			err = send_once(&r, &j->entry, key, key_len, has_key,
				timeout_ms);
		}
		if (key) {
			memset(key, 0, key_len);
			free(key);
		}
		if (err && err != appctl_error_nomem()) {
			/* A delivery problem like any other, never the command's. */
			r.verdict = SEND_FAILED;
			snprintf(r.error, sizeof(r.error), "%s", err->message);
			appctl_error_free(err);
			err = NULL;
		}
		if (err)
			break;
		err = record_attempt(j, &r, arena);
		if (err)
			break;
		switch (r.verdict) {
		case SEND_DELIVERED:
			err = settle(gitdir, j, APPCTL_NOTIFY_DELIVERED, arena);
			break;
		case SEND_FAILED:
			j->entry.failed = 1;
			err = settle(gitdir, j, APPCTL_NOTIFY_FAILED, arena);
			break;
		case SEND_GONE:
			err = appctl_notify_disable(gitdir, j->entry.url, r.status,
				j->entry.id);
			if (err && err != appctl_error_nomem()) {
				j->result->error = appctl_arena_printf(arena,
					"%s; could not record it: %s",
					r.error, err->message);
				appctl_error_free(err);
				err = NULL;
			}
			/* The endpoint is gone for every event, not only this one. */
			for (k = 0; k < n && !err; k++)
				if (jobs[k].active && same_url(&jobs[k], j))
					err = settle(gitdir, &jobs[k],
						APPCTL_NOTIFY_DISABLED, arena);
			break;
		case SEND_RETRY:
			now = monotonic_ms();
			j->next_ms = now + backoff_ms(j->result->attempts);
			if (r.retry_after_ms > j->next_ms - now)
				j->next_ms = now + r.retry_after_ms;
			/* Someone is waiting on this: say why, instead of sitting silent. */
			if (j->next_ms < deadline)
				appctl_progress_note(progress,
					"webhook %s: %s; retry %u in %lld s (kept in the "
					"outbox for 'appctl notify flush' after %lld s)",
					j->entry.url, *r.error ? r.error : "no answer",
					j->result->attempts + 1,
					(long long)((j->next_ms - now + 999) / 1000),
					(long long)((deadline - now + 999) / 1000));
			/* Rewritten now, so the attempt count survives a crash. */
			if (j->stored)
				err = store(gitdir, j, arena);
			break;
		}
		if (err)
			break;
	}
	return err;
}

static appctl_error *report_new(appctl_notify_report **out, size_t n)
{
	appctl_arena *arena = appctl_arena_new();
	appctl_notify_report *report;

	*out = NULL;
	if (!arena)
		return appctl_error_nomem();
	report = appctl_arena_calloc(arena, 1, sizeof(*report));
	if (report)
		report->results = appctl_arena_calloc(arena, n ? n : 1,
			sizeof(*report->results));
	if (!report || !report->results) {
		appctl_arena_free(arena);
		return appctl_error_nomem();
	}
	report->arena = arena;
	*out = report;
	return NULL;
}

void appctl_notify_report_free(appctl_notify_report *report)
{
	if (report)
		appctl_arena_free(report->arena);
}

static void count_delivered(appctl_notify_report *report)
{
	size_t i;

	report->delivered = 0;
	for (i = 0; i < report->count; i++)
		if (report->results[i].outcome == APPCTL_NOTIFY_DELIVERED)
			report->delivered++;
}

/* Starts a job for `entry`; skipped (result DISABLED) when its URL is disabled. */
static appctl_error *job_init(job *j, appctl_notify_result *result,
	const appctl_outbox *box, appctl_arena *arena)
{
	j->result = result;
	/* The jobs go before the report does. */
	result->id = keep(arena, j->entry.id);
	if (!result->id)
		return appctl_error_nomem();
	result->url = j->entry.url;
	result->event = j->entry.event;
	result->outcome = APPCTL_NOTIFY_KEPT;
	if (url_disabled(box, j->entry.url)) {
		result->outcome = APPCTL_NOTIFY_DISABLED;
		result->error = "the endpoint is disabled (it answered 410 Gone)";
		result->in_outbox = j->stored;
		return NULL;
	}
	j->active = 1;
	j->next_ms = monotonic_ms();
	return NULL;
}

/* Every wanted delivery of `ev` as a job, each written to the outbox first. */
static appctl_error *deliver_jobs(job *jobs, size_t *count,
	appctl_notify_report *report, const char *gitdir,
	const appctl_policy *policy, const appctl_notify_event *ev,
	const char *payload, const char *payload_error, const appctl_outbox *box,
	int have_curl)
{
	appctl_arena *arena = report->arena;
	char now[21];
	size_t i, n = 0;

	notify_now_iso(now);
	for (i = 0; i < policy->notify_count; i++) {
		const appctl_notify *entry = &policy->notify[i];
		job *j = &jobs[n];
		appctl_notify_result *res = &report->results[n];
		appctl_error *err;

		if (!appctl_notify_wants(entry, ev))
			continue;
		report->count = ++n;
		*count = n;
		res->url = keep(arena, entry->url);
		res->event = keep(arena, ev->type);
		res->outcome = APPCTL_NOTIFY_FAILED;
		if (!res->url || !res->event)
			return appctl_error_nomem();
		if (appctl_notify_webhook_id(j->entry.id, ev->id ? ev->id : "",
				entry->url) != 0) {
			res->error = "the event has no valid id";
			continue;
		}
		res->id = keep(arena, j->entry.id);
		if (!res->id)
			return appctl_error_nomem();
		if (payload_error) {
			/* Nothing unsendable is kept. */
			res->error = payload_error;
			continue;
		}
		/*
		 * Nor anything for a URL that no flush could ever send to. Without
		 * libcurl the URL is checked when a flush sends it.
		 */
		err = have_curl ? appctl_notify_url_check(entry->url) : NULL;
		if (err) {
			if (err == appctl_error_nomem())
				return err;
			res->error = keep(arena, err->message);
			appctl_error_free(err);
			if (!res->error)
				return appctl_error_nomem();
			continue;
		}
		j->entry.url = res->url;
		j->entry.event = res->event;
		j->entry.event_id = keep(arena, ev->id);
		j->entry.secret = keep(arena, entry->secret);
		j->entry.timeout_s = entry->has_timeout ? entry->timeout_s
			: APPCTL_NOTIFY_TIMEOUT_DEFAULT_S;
		j->entry.body = keep(arena, payload);
		j->entry.body_len = strlen(payload);
		j->entry.created = keep(arena, now);
		if (!j->entry.event_id || (entry->secret && !j->entry.secret) ||
		    !j->entry.body || !j->entry.created)
			return appctl_error_nomem();
		/* Durable before the first byte leaves: a crash mid-send loses nothing. */
		err = store(gitdir, j, arena);
		if (!err)
			err = job_init(j, res, box, arena);
		if (err)
			return err;
	}
	return NULL;
}

appctl_error *appctl_notify_deliver(appctl_notify_report **out,
	const char *gitdir, const appctl_policy *policy,
	const appctl_notify_event *ev, const appctl_progress *progress)
{
	appctl_notify_report *report = NULL;
	appctl_outbox *box = NULL;
	appctl_error *err, *payload_err = NULL, *read_err = NULL;
	appctl_error *load_err = NULL;
	char *payload = NULL;
	job *jobs = NULL;
	size_t i, n = 0;
	int curl_ready = 0;

	*out = NULL;
	/*
	 * libcurl that cannot be loaded (a broken installation) sends nothing
	 * and loses nothing: every delivery is kept in the outbox, with the
	 * reason, for a flush once it loads again.
	 */
	if (policy->notify_count)
		load_err = notify_curl_load();
	if (load_err == appctl_error_nomem())
		return load_err;
	err = report_new(&report, policy->notify_count);
	if (err)
		return err;
	jobs = calloc(policy->notify_count ? policy->notify_count : 1,
		sizeof(*jobs));
	if (!jobs) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	payload_err = appctl_notify_payload(&payload, ev);
	/* Which endpoints are disabled; an unreadable list disables none. */
	read_err = appctl_outbox_read(&box, gitdir);
	if (payload_err == appctl_error_nomem() ||
	    read_err == appctl_error_nomem()) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	err = deliver_jobs(jobs, &n, report, gitdir, policy, ev, payload,
		payload_err ? keep(report->arena, payload_err->message) : NULL,
		box, !load_err);
	if (err)
		goto cleanup;
	for (i = 0; i < n && !curl_ready && !load_err; i++) {
		if (!jobs[i].active)
			continue;
		if (notify_curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			break;
		curl_ready = 1;
	}
	/* Without libcurl everything stays in the outbox, reported as kept. */
	for (i = 0; i < n && !curl_ready; i++)
		if (jobs[i].active && !report->results[i].error &&
		    !(report->results[i].error = load_err
			    ? keep(report->arena, load_err->message)
			    : "cannot initialize libcurl")) {
			err = appctl_error_nomem();
			goto cleanup;
		}
	if (curl_ready) {
		err = run_jobs(gitdir, jobs, n, report->arena, progress);
		if (err)
			goto cleanup;
	}
	count_delivered(report);
	*out = report;
	report = NULL;
cleanup:
	if (curl_ready)
		notify_curl.global_cleanup();
	appctl_error_free(payload_err);
	appctl_error_free(read_err);
	appctl_error_free(load_err);
	appctl_outbox_free(box);
	appctl_notify_report_free(report);
	free(jobs);
	free(payload);
	return err;
}

/* Only one flush per repository at a time, so no entry is sent twice at once. */
static appctl_error *flush_lock(int *fd_out, const char *gitdir)
{
	appctl_strbuf dir = APPCTL_STRBUF_INIT, path = APPCTL_STRBUF_INIT;
	struct flock lk;
	appctl_error *err;
	int fd = -1;

	*fd_out = -1;
	err = notify_outbox_dir(&dir, gitdir, 1);
	if (err)
		goto cleanup;
	appctl_strbuf_printf(&path, "%s/%s", dir.ptr, FLUSH_LOCK);
	if (path.failed) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	fd = open(path.ptr, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = appctl_error_new(APPCTL_ESYSTEM, "cannot open '%s': %s",
			path.ptr, strerror(errno));
		goto cleanup;
	}
	memset(&lk, 0, sizeof(lk));
	lk.l_type = F_WRLCK;
	lk.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &lk) != 0) {
		err = appctl_error_new(APPCTL_ECONFLICT,
			"another 'appctl notify flush' is running in this repository");
		goto cleanup;
	}
	*fd_out = fd;
	fd = -1;
cleanup:
	if (fd >= 0)
		close(fd);
	appctl_strbuf_dispose(&dir);
	appctl_strbuf_dispose(&path);
	return err;
}

appctl_error *appctl_notify_flush(appctl_notify_report **out,
	const char *gitdir, const appctl_progress *progress)
{
	appctl_notify_report *report = NULL;
	appctl_outbox *box = NULL;
	job *jobs = NULL;
	appctl_error *err;
	size_t i;
	int lock = -1, curl_ready = 0;

	*out = NULL;
	err = notify_curl_load();
	if (!err)
		err = flush_lock(&lock, gitdir);
	if (!err)
		err = appctl_outbox_read(&box, gitdir);
	if (!err)
		err = report_new(&report, box->count);
	if (err)
		goto cleanup;
	jobs = calloc(box->count ? box->count : 1, sizeof(*jobs));
	if (!jobs) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	for (i = 0; i < box->count; i++) {
		job *j = &jobs[i];

		j->entry = box->entries[i];
		/* Copied into the report's arena: the outbox is freed first. */
		j->entry.url = keep(report->arena, j->entry.url);
		j->entry.event = keep(report->arena, j->entry.event);
		j->entry.event_id = keep(report->arena, j->entry.event_id);
		j->entry.secret = keep(report->arena, j->entry.secret);
		j->entry.body = keep(report->arena, j->entry.body);
		j->entry.created = keep(report->arena, j->entry.created);
		j->entry.last_attempt = keep(report->arena, j->entry.last_attempt);
		j->entry.last_error = keep(report->arena, j->entry.last_error);
		if (!j->entry.url || !j->entry.event || !j->entry.event_id ||
		    !j->entry.body || !j->entry.created ||
		    (box->entries[i].secret && !j->entry.secret) ||
		    (box->entries[i].last_attempt && !j->entry.last_attempt) ||
		    (box->entries[i].last_error && !j->entry.last_error)) {
			err = appctl_error_nomem();
			goto cleanup;
		}
		/* A flush is the operator saying "try again": failures included. */
		j->entry.failed = 0;
		j->stored = 1;
		report->count++;
		err = job_init(j, &report->results[i], box, report->arena);
		if (err)
			goto cleanup;
		if (!j->active)
			report->results[i].error = j->entry.last_error
				? j->entry.last_error : report->results[i].error;
	}
	if (notify_curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		err = appctl_error_new(APPCTL_ESYSTEM, "cannot initialize libcurl");
		goto cleanup;
	}
	curl_ready = 1;
	err = run_jobs(gitdir, jobs, box->count, report->arena, progress);
	if (err)
		goto cleanup;
	count_delivered(report);
	*out = report;
	report = NULL;
cleanup:
	if (curl_ready)
		notify_curl.global_cleanup();
	if (lock >= 0)
		close(lock);
	appctl_notify_report_free(report);
	appctl_outbox_free(box);
	free(jobs);
	return err;
}

/* ---- reporting ---- */

appctl_error *appctl_notify_report_text(char **out,
	const appctl_notify_report *report)
{
	appctl_strbuf buf = APPCTL_STRBUF_INIT;
	size_t i;

	*out = NULL;
	appctl_strbuf_puts(&buf, "");
	for (i = 0; i < report->count; i++) {
		const appctl_notify_result *r = &report->results[i];
		const char *url = r->url ? r->url : "?";
		const char *event = r->event ? r->event : "event";

		switch (r->outcome) {
		case APPCTL_NOTIFY_DELIVERED:
			appctl_strbuf_printf(&buf,
				"notify: delivered %s to %s (%s)\n", event, url, r->id);
			break;
		case APPCTL_NOTIFY_KEPT:
			if (r->in_outbox)
				appctl_strbuf_printf(&buf,
					"notify: %s to %s not delivered yet: %s; kept "
					"as %s, run 'appctl notify flush'\n", event,
					url, r->error ? r->error : "out of time", r->id);
			else
				appctl_strbuf_printf(&buf,
					"notify: %s to %s not delivered: %s; the outbox "
					"could not keep it\n", event, url,
					r->error ? r->error : "out of time");
			break;
		case APPCTL_NOTIFY_FAILED:
			appctl_strbuf_printf(&buf,
				"notify: %s to %s failed: %s%s%s\n", event, url,
				r->error ? r->error : "unknown error",
				r->in_outbox ? "; kept as " : "",
				r->in_outbox ? r->id : "");
			break;
		case APPCTL_NOTIFY_DISABLED:
			appctl_strbuf_printf(&buf,
				"notify: %s to %s %s: the endpoint is disabled "
				"(410 Gone); kept as %s, 'appctl notify enable URL' "
				"re-enables it\n", event, url,
				r->attempts ? "failed" : "not sent",
				r->id ? r->id : "?");
			break;
		}
	}
	*out = appctl_strbuf_detach(&buf);
	return *out ? NULL : appctl_error_nomem();
}

cJSON *appctl_notify_report_json(const appctl_notify_report *report)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; arr && i < report->count; i++) {
		const appctl_notify_result *r = &report->results[i];
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			goto fail;
		}
		if ((r->id && !cJSON_AddStringToObject(o, "id", r->id)) ||
		    (r->url && !cJSON_AddStringToObject(o, "url", r->url)) ||
		    (r->event && !cJSON_AddStringToObject(o, "event", r->event)) ||
		    !cJSON_AddStringToObject(o, "outcome",
			appctl_notify_outcome_name(r->outcome)) ||
		    !cJSON_AddNumberToObject(o, "attempts", r->attempts) ||
		    !cJSON_AddNumberToObject(o, "status", (double)r->status) ||
		    !(r->error ? cJSON_AddStringToObject(o, "error", r->error)
			       : cJSON_AddNullToObject(o, "error")) ||
		    !cJSON_AddBoolToObject(o, "in_outbox", r->in_outbox))
			goto fail;
	}
	return arr;
fail:
	cJSON_Delete(arr);
	return NULL;
}
