/* gen_org.c: writes a large, deterministic org (300 apps, ~27 MB) for bench/diff.sh and bench/validate.sh. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * Usage: gen_org [--head] [--findings=many|few] DIR
 *
 * Writes appctl.json, allowed_signers and apps/app-NNN/app.json under DIR.
 * The same arguments always give the same bytes (no clock, no randomness
 * but a fixed linear congruential sequence). With --head, the org is the
 * base plus the change the benchmark measures: 1 % of the apps (3) edited,
 * and one principal added to group g00, which Role00 of 9 apps in 10 uses,
 * so that the group change reaches most apps whose files did not change.
 *
 * --findings tunes what `appctl validate` finds, for bench/validate.sh:
 * without it, most grants show restricted fields without a justification
 * (~394 k warnings); "many" justifies 3 roles in 10 (~280 k findings);
 * "few" justifies every role, leaving the dashboard exports (~12 k).
 *
 * Shape per app: 40 resources x 20 fields, 30 roles (12 members, 10 grants
 * each), 10 pages, 8 integrations. The policy has 5 000 principals in 80
 * groups.
 */

#define APPS 300
#define RESOURCES 40
#define FIELDS 20
#define ROLES 30
#define MEMBERS 12
#define GRANTS 10
#define PAGES 10
#define INTEGRATIONS 8
#define PRINCIPALS 5000
#define GROUPS 80

static unsigned long long lcg_state;

/* Which roles carry a justification (see --findings). */
static enum { JUSTIFY_NONE, JUSTIFY_SOME, JUSTIFY_ALL } justify = JUSTIFY_NONE;

/* A fixed sequence, so every run writes the same org. */
static unsigned next_rand(unsigned bound)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((lcg_state >> 33) % bound);
}

static void die(const char *what)
{
	fprintf(stderr, "gen_org: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void make_dir(const char *path)
{
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		die(path);
}

static FILE *open_out(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static FILE *open_out(const char *fmt, ...)
{
	char path[4096];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "w");
	if (!f)
		die(path);
	return f;
}

static void close_out(FILE *f)
{
	if (fflush(f) != 0 || ferror(f) || fclose(f) != 0)
		die("write");
}

static const char *const sensitivities[] = { "public", "internal", "pii",
	"restricted" };
static const char *const classes[] = { "dashboard", "admin_panel",
	"client_portal" };
static const char *const actions[] = { "read", "create", "update", "delete",
	"export" };

static void write_policy(const char *dir, int head)
{
	FILE *f = open_out("%s/appctl.json", dir);
	int g, m, first;

	fputs("{\n  \"appctl\": 1,\n  \"environments\": [\"dev\", \"staging\", \"prod\"],\n"
	      "  \"groups\": {\n", f);
	for (g = 0; g < GROUPS; g++) {
		fprintf(f, "    \"g%02d\": [", g);
		first = 1;
		/* Principal p belongs to group p % GROUPS: 62 or 63 members each. */
		for (m = g; m < PRINCIPALS; m += GROUPS) {
			fprintf(f, "%s\"user%04d@example.com\"", first ? "" : ", ", m);
			first = 0;
		}
		if (head && g == 0)
			fputs(", \"newhire@example.com\"", f);
		fputs("],\n", f);
	}
	fputs("    \"release-managers\": [\"rita@example.com\", \"ann@example.com\"],\n"
	      "    \"security\": [\"sam@example.com\"]\n  },\n"
	      "  \"signers\": \"allowed_signers\",\n"
	      "  \"approvals\": {\n"
	      "    \"required\": { \"dashboard\": 1, \"admin_panel\": 2, \"client_portal\": 2 },\n"
	      "    \"rules\": [\n"
	      "      { \"when\": \"integration\", \"group\": \"security\", \"count\": 1 },\n"
	      "      { \"when\": \"policy\", \"group\": \"release-managers\", \"count\": 2 }\n"
	      "    ],\n"
	      "    \"approvers\": [\"group:release-managers\", \"group:security\"],\n"
	      "    \"allow_self_approval\": false,\n"
	      "    \"require_signature\": true\n  },\n"
	      "  \"rollback\": { \"required\": 0 }\n}\n", f);
	close_out(f);
	f = open_out("%s/allowed_signers", dir);
	fputs("# generated for the benchmark: no real keys\n", f);
	close_out(f);
}

static void write_app(const char *dir, int a, int head)
{
	/* 1 % of the apps change in the head revision. */
	int changed = head && (a == 17 || a == 151 || a == 283);
	int r, k, m, g, p, cls = a % 3;
	unsigned retention;
	FILE *f;

	lcg_state = 0x9e3779b97f4a7c15ULL ^ (unsigned long long)a;
	f = open_out("%s/apps/app-%03d/app.json", dir, a);
	fprintf(f, "{\n  \"name\": \"app-%03d\",\n  \"class\": \"%s\",\n", a,
		classes[cls]);
	fprintf(f, "  \"owners\": { \"business\": \"user%04u@example.com\", "
		"\"technical\": \"user%04u@example.com\" },\n",
		next_rand(PRINCIPALS), next_rand(PRINCIPALS));
	fputs("  \"data\": {\n", f);
	for (r = 0; r < RESOURCES; r++) {
		fprintf(f, "    \"res-%02d\": {\n      \"source\": \"int-%d\",\n", r,
			r % INTEGRATIONS);
		if (cls == 2)
			fputs("      \"tenant_key\": \"field-00\",\n", f);
		retention = 30u + next_rand(3000);
		fprintf(f, "      \"retention_days\": %u,\n      \"fields\": {\n",
			changed && r == 3 ? 30u : retention);
		for (k = 0; k < FIELDS; k++) {
			unsigned s = k == 0 ? 0 : next_rand(4);

			if (s == 0)
				fprintf(f, "        \"field-%02d\": {}%s\n", k,
					k + 1 < FIELDS ? "," : "");
			else
				fprintf(f, "        \"field-%02d\": { \"sensitivity\": \"%s\" }%s\n",
					k, sensitivities[s], k + 1 < FIELDS ? "," : "");
		}
		fprintf(f, "      }\n    }%s\n", r + 1 < RESOURCES ? "," : "");
	}
	fputs("  },\n  \"roles\": {\n", f);
	for (r = 0; r < ROLES; r++) {
		/* Members must be distinct: two groups apart, principals 613 apart. */
		unsigned g1 = 1 + next_rand(GROUPS - 1);
		unsigned g2 = 1 + (g1 + next_rand(GROUPS - 2)) % (GROUPS - 1);
		unsigned p0 = next_rand(PRINCIPALS);

		fprintf(f, "    \"Role%02d\": {\n", r);
		/* Justifying a role silences data.restricted-visible for all its grants. */
		if (justify == JUSTIFY_ALL ||
			(justify == JUSTIFY_SOME && r % 10 < 3))
			fputs("      \"justification\": \"reviewed\",\n", f);
		fputs("      \"members\": [\n", f);
		for (m = 0; m < MEMBERS; m++) {
			const char *sep = m + 1 < MEMBERS ? "," : "";
			unsigned who = (p0 + 613u * (unsigned)m) % PRINCIPALS;

			if (m == 0)
				fprintf(f, "        \"group:g%02u\"%s\n",
					r == 0 && a % 10 != 9 ? 0u : g1, sep);
			else if (m == 1)
				fprintf(f, "        \"group:g%02u\"%s\n", g2, sep);
			else if (m == 2)
				fprintf(f, "        { \"principal\": \"user%04u@example.com\", "
					"\"expires\": \"2027-%02u-15\" }%s\n",
					who, 1 + next_rand(12), sep);
			else
				fprintf(f, "        \"user%04u@example.com\"%s\n", who, sep);
		}
		fputs("      ],\n      \"grants\": [\n", f);
		for (g = 0; g < GRANTS; g++) {
			unsigned n = 1 + next_rand(3), start = next_rand(5);
			unsigned h1 = 1 + next_rand(FIELDS - 1);
			unsigned h2 = 1 + (h1 + next_rand(FIELDS - 2)) % (FIELDS - 1);

			fprintf(f, "        { \"resource\": \"res-%02u\", \"actions\": [",
				(unsigned)((r * GRANTS + g) % RESOURCES));
			for (k = 0; k < (int)n; k++)
				fprintf(f, "%s\"%s\"", k ? ", " : "",
					actions[(start + (unsigned)k) % 5]);
			fprintf(f, "], \"hidden_fields\": [\"field-%02u\", \"field-%02u\"] }%s\n",
				h1, h2, g + 1 < GRANTS ? "," : "");
		}
		if (changed && r == 5)
			fputs("      ,{ \"resource\": \"res-07\", \"actions\": [\"export\"] }\n", f);
		fprintf(f, "      ]\n    }%s\n", r + 1 < ROLES ? "," : "");
	}
	fputs("  },\n  \"pages\": {\n", f);
	for (p = 0; p < PAGES; p++)
		fprintf(f, "    \"Page%02d\": { \"resource\": \"res-%02d\", \"roles\": "
			"[\"Role%02d\", \"Role%02d\"] }%s\n", p, p * 4, p, p + 10,
			p + 1 < PAGES ? "," : "");
	fputs("  },\n  \"integrations\": {\n", f);
	for (k = 0; k < INTEGRATIONS; k++) {
		fprintf(f, "    \"int-%d\": {\n      \"kind\": \"kind-%d\",\n"
			"      \"owner\": \"user%04u@example.com\",\n"
			"      \"scopes\": [\"read\", \"write:%d\", \"sync\"%s],\n"
			"      \"credential\": {\n"
			"        \"dev\": \"secret://vault/app-%03d/int-%d-dev\",\n"
			"        \"staging\": \"secret://vault/app-%03d/int-%d-staging\",\n"
			"        \"prod\": \"secret://vault/app-%03d/int-%d-prod\"\n"
			"      },\n      \"on_failure\": \"fail_closed\",\n"
			"      \"rate_limit_per_min\": %u\n    }%s\n",
			k, k, next_rand(PRINCIPALS), k,
			changed && k == 2 ? ", \"bulk\"" : "", a, k, a, k, a, k,
			100 + next_rand(900), k + 1 < INTEGRATIONS ? "," : "");
	}
	fputs("  }\n}\n", f);
	close_out(f);
}

int main(int argc, char **argv)
{
	const char *dir;
	char path[4096];
	int head = 0, a, i;

	for (i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "--head") == 0)
			head = 1;
		else if (strcmp(argv[i], "--findings=many") == 0)
			justify = JUSTIFY_SOME;
		else if (strcmp(argv[i], "--findings=few") == 0)
			justify = JUSTIFY_ALL;
		else
			break;
	}
	if (i != argc - 1 || argv[i][0] == '-') {
		fputs("usage: gen_org [--head] [--findings=many|few] DIR\n",
			stderr);
		return 2;
	}
	dir = argv[argc - 1];
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/apps", dir);
	make_dir(path);
	write_policy(dir, head);
	for (a = 0; a < APPS; a++) {
		snprintf(path, sizeof(path), "%s/apps/app-%03d", dir, a);
		make_dir(path);
		write_app(dir, a, head);
	}
	return 0;
}
