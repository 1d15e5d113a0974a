/* gen_log.c: writes a `git fast-import` stream that grows refs/appctl/log by N valid events, for bench/promote.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "appctl/event.h"

/*
 * Usage: gen_log N STATE_JSON_FILE LOG_HEAD ENV SOURCE A B TREE_A TREE_B
 *
 * Continues the log whose head commit is LOG_HEAD and whose head state is
 * in STATE_JSON_FILE, where ENV stands at commit A or B. Writes N events on
 * stdout as a fast-import stream, in cycles of five: two approvals of the
 * other commit for ENV (rita, ann), the promote that uses them, and two
 * approvals for another environment that are never used (noise, as real
 * logs have). Each cycle's release tag is written as well. The last events
 * are two approvals of the other commit again, so the next `appctl promote
 * ENV <other>` has what it needs. Every event is formatted by appctl's own
 * code, its id is its blob id and every log commit carries the state
 * derived from the events (appctl_log_state_next), so `appctl audit
 * --verify` (with signatures not required) accepts the result.
 * Deterministic: no clock, no randomness.
 */

static const char *noise_env = "prod";

typedef struct gen {
	appctl_log_state *state;
	const char *env;
	const char *source;
	const char *commit[2];
	const char *tree[2];
	long long clock;
	long long mark;
	char parent[64];
} gen;

static void die(const char *what, appctl_error *err)
{
	char *text = err ? appctl_error_format(err) : NULL;

	fprintf(stderr, "gen_log: %s%s%s\n", what, text ? ": " : "",
		text ? text : "");
	exit(1);
}

/* The git blob id of `data`: what `appctl_log_event_id` computes. */
static void blob_id(char out[41], const char *data, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, i;
	char header[64];
	int n = snprintf(header, sizeof(header), "blob %zu", len);

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) ||
	    !EVP_DigestUpdate(ctx, header, (size_t)n + 1) ||
	    !EVP_DigestUpdate(ctx, data, len) ||
	    !EVP_DigestFinal_ex(ctx, md, &md_len))
		die("sha1", NULL);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < md_len && i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[40] = '\0';
}

static void iso_time(char *buf, size_t len, long long t)
{
	long long days = t / 86400, rem = t % 86400;
	/* Civil from days (Howard Hinnant), valid for the dates used here. */
	long long z = days + 719468, era = z / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	long long m = mp < 10 ? mp + 3 : mp - 9;

	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		(int)(y + (m <= 2)) % 10000, (int)m % 100, (int)d % 100,
		(int)(rem / 3600) % 100, (int)(rem / 60 % 60), (int)(rem % 60));
}

static void put_data(const char *data, size_t len)
{
	printf("data %zu\n", len);
	fwrite(data, 1, len, stdout);
	putchar('\n');
}

/* One log commit: the event, its derived state; returns the event id. */
static void append(gen *g, appctl_event *ev, char id[41])
{
	appctl_log_state *next = NULL;
	appctl_error *err;
	char *json = NULL, *state_json = NULL, when[64];

	iso_time(when, sizeof(when), g->clock);
	ev->time = when;
	if ((err = appctl_event_format(&json, ev)))
		die("format", err);
	blob_id(id, json, strlen(json));
	if ((err = appctl_log_state_next(&next, g->state, ev, id)))
		die("state", err);
	if ((err = appctl_log_state_format(&state_json, next)))
		die("state format", err);
	printf("commit refs/appctl/log\nmark :%lld\n", ++g->mark);
	printf("committer appctl <appctl@localhost> %lld +0000\n", g->clock);
	put_data(appctl_event_type_name(ev->type),
		strlen(appctl_event_type_name(ev->type)));
	printf("from %s\ndeleteall\n", g->parent);
	printf("M 100644 inline event.json\n");
	put_data(json, strlen(json));
	printf("M 100644 inline state.json\n");
	put_data(state_json, strlen(state_json));
	snprintf(g->parent, sizeof(g->parent), ":%lld", g->mark);
	appctl_log_state_free(g->state);
	g->state = next;
	g->clock += 7;
	free(json);
	free(state_json);
}

static void approve(gen *g, const char *env, int target, const char *base,
	const char *principal, char id[41])
{
	appctl_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = APPCTL_EV_APPROVE;
	ev.principal = principal;
	ev.env = env;
	ev.commit = g->commit[target];
	ev.tree = g->tree[target];
	ev.base = base;
	ev.release = -1;
	ev.rollback_to = -1;
	append(g, &ev, id);
}

/* An approval for another environment, never used by any promotion. */
static void noise(gen *g, int target, const char *principal)
{
	const appctl_env_state *e = appctl_log_state_env(g->state, noise_env);
	char base[41], id[41];

	if (!e)
		die("the noise environment is not in the state", NULL);
	memcpy(base, e->commit, 41);
	approve(g, noise_env, target, base, principal, id);
}

static int at_index(const gen *g)
{
	const appctl_env_state *e = appctl_log_state_env(g->state, g->env);

	if (!e)
		die("the environment is not in the state", NULL);
	return strcmp(e->commit, g->commit[0]) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	appctl_error *err;
	gen g;
	long long n, c, cycles;
	char *text = NULL, ids[2][41], id[41], base[41];
	const char *approvals[2];
	size_t len = 0;
	FILE *f;

	if (argc != 10) {
		fprintf(stderr, "usage: gen_log N STATE_JSON_FILE LOG_HEAD ENV "
			"SOURCE A B TREE_A TREE_B\n");
		return 2;
	}
	memset(&g, 0, sizeof(g));
	n = strtoll(argv[1], NULL, 10);
	if (!(f = fopen(argv[2], "rb")))
		die("cannot open the state", NULL);
	text = malloc(1 << 20);
	if (!text)
		die("out of memory", NULL);
	len = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	if ((err = appctl_log_state_parse(&g.state, argv[2], text, len)))
		die("state", err);
	free(text);
	snprintf(g.parent, sizeof(g.parent), "%s", argv[3]);
	g.env = argv[4];
	g.source = argv[5];
	g.commit[0] = argv[6];
	g.commit[1] = argv[7];
	g.tree[0] = argv[8];
	g.tree[1] = argv[9];
	g.clock = 1767225600; /* 2026-01-01 */
	if (n < 2)
		die("N must be at least 2", NULL);
	cycles = (n - 2) / 5;
	for (c = 0; c < cycles; c++) {
		int from = at_index(&g), to = 1 - from;
		appctl_event ev;

		memcpy(base, g.commit[from], 41);
		approve(&g, g.env, to, base, "rita@example.com", ids[0]);
		approve(&g, g.env, to, base, "ann@example.com", ids[1]);
		approvals[0] = ids[0];
		approvals[1] = ids[1];
		memset(&ev, 0, sizeof(ev));
		ev.type = APPCTL_EV_PROMOTE;
		ev.principal = "rita@example.com";
		ev.env = g.env;
		ev.source = g.source;
		ev.from = base;
		ev.to = g.commit[to];
		ev.release = appctl_log_state_env(g.state, g.env)->release + 1;
		ev.rollback_to = -1;
		ev.approvals = approvals;
		ev.approval_count = 2;
		append(&g, &ev, id);
		printf("reset refs/tags/release/%s/%lld\nfrom %s\n\n", g.env,
			(long long)ev.release, g.commit[to]);
		/* Noise: approvals for another environment that nobody uses. */
		noise(&g, to, "rita@example.com");
		noise(&g, to, "ann@example.com");
	}
	for (c = 0; c < (n - 2) % 5; c++)
		noise(&g, c % 2, "sam@example.com");
	/* The promotion the benchmark times has its two approvals. */
	memcpy(base, g.commit[at_index(&g)], 41);
	approve(&g, g.env, 1 - at_index(&g), base, "rita@example.com", ids[0]);
	approve(&g, g.env, 1 - at_index(&g), base, "ann@example.com", ids[1]);
	printf("reset refs/heads/%s\nfrom %s\n\n", g.env, g.commit[at_index(&g)]);
	printf("done\n");
	fprintf(stderr, "gen_log: %lld events; %s at release %lld\n",
		(long long)g.state->seq, g.env,
		(long long)appctl_log_state_env(g.state, g.env)->release);
	appctl_log_state_free(g.state);
	return ferror(stdout) ? 1 : 0;
}
