/* model.c: names, dates and lookups of the definitions model (no parsing here). */
#include "appctl/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const class_names[APPCTL_CLASS_COUNT] = {
	"dashboard", "admin_panel", "client_portal"
};
/* Each level's name, and the same as a JSON string (what a diff reports). */
#define SENSITIVITIES(X) X(public) X(internal) X(pii) X(restricted)
#define NAME(s) #s,
#define JSON(s) "\"" #s "\"",
static const char *const sensitivity_names[] = { SENSITIVITIES(NAME) };
static const char *const sensitivity_json[] = { SENSITIVITIES(JSON) };
#undef NAME
#undef JSON
const char *const appctl_action_names[APPCTL_ACTION_COUNT] = {
	"read", "create", "update", "delete", "export", "admin"
};
static const char *const when_names[] = {
	"integration", "access", "policy", "data"
};

const char *appctl_class_name(appctl_app_class c)
{
	return (unsigned)c < APPCTL_CLASS_COUNT ? class_names[c] : "unknown";
}

const char *appctl_sensitivity_name(appctl_sensitivity s)
{
	return (unsigned)s < 4 ? sensitivity_names[s] : "unknown";
}

const char *appctl_sensitivity_json(appctl_sensitivity s)
{
	return (unsigned)s < 4 ? sensitivity_json[s] : "\"unknown\"";
}

const char *appctl_storage_name(appctl_storage s)
{
	switch (s) {
	case APPCTL_STORAGE_LIVE:
		return "live";
	case APPCTL_STORAGE_CACHED:
		return "cached";
	case APPCTL_STORAGE_STORED:
		return "stored";
	case APPCTL_STORAGE_UNSPECIFIED:
		break;
	}
	return NULL;
}

const char *appctl_action_name(unsigned action_bit)
{
	unsigned i;

	for (i = 0; i < APPCTL_ACTION_COUNT; i++)
		if (action_bit == (1u << i))
			return appctl_action_names[i];
	return "unknown";
}

unsigned appctl_action_parse(const char *name)
{
	unsigned i;

	for (i = 0; i < APPCTL_ACTION_COUNT; i++)
		if (strcmp(name, appctl_action_names[i]) == 0)
			return 1u << i;
	return 0;
}

const char *appctl_when_name(appctl_rule_when w)
{
	return (unsigned)w < 4 ? when_names[w] : "unknown";
}

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int appctl_name_is_valid(const char *s)
{
	size_t i;

	if (!s || !is_lower_alnum(s[0]))
		return 0;
	for (i = 1; s[i]; i++)
		if (i > 62 || !(is_lower_alnum(s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

int appctl_env_name_is_valid(const char *s)
{
	return appctl_name_is_valid(s);
}

int appctl_group_name_is_valid(const char *s)
{
	size_t i;

	if (!s || !is_lower_alnum(s[0]))
		return 0;
	for (i = 1; s[i]; i++)
		if (i > 62 || !(is_lower_alnum(s[i]) || s[i] == '-' ||
				s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

/*
 * What each byte may be in a principal, by table: one load a byte in the
 * loops every principal of every app goes through.
 */
enum { ALNUM = 1, MARK = 2 };  /* MARK: "._%+-", local part only */
#define RUN5(c) [(c)] = ALNUM, [(c) + 1] = ALNUM, [(c) + 2] = ALNUM, \
	[(c) + 3] = ALNUM, [(c) + 4] = ALNUM
#define RUN26(c) RUN5(c), RUN5((c) + 5), RUN5((c) + 10), RUN5((c) + 15), \
	RUN5((c) + 20), [(c) + 25] = ALNUM
static const unsigned char principal_bytes[256] = {
	RUN5('0'), RUN5('5'), RUN26('A'), RUN26('a'),
	['.'] = MARK, ['_'] = MARK, ['%'] = MARK, ['+'] = MARK, ['-'] = MARK,
};
#undef RUN26
#undef RUN5

/*
 * "Email-like": local@domain with conservative characters, a dotted domain,
 * at most 254 bytes. Stricter than RFC 5322 on purpose: a principal is
 * compared byte for byte with what ssh-keygen's allowed_signers names.
 */
int appctl_principal_is_valid(const char *s)
{
	const char *at, *p;
	int label_len = 0, dots = 0;

	if (!s)
		return 0;
	/* One pass, no strlen: every principal of every app comes here. */
	for (at = s; principal_bytes[(unsigned char)*at]; at++)
		;
	if (*at != '@' || at == s || s[0] == '.' || at[-1] == '.')
		return 0;
	/* Labels of letters, digits and inner hyphens; a second '@' fails. */
	for (p = at + 1; *p; p++) {
		if (*p == '.') {
			if (label_len == 0 || p[-1] == '-')
				return 0;
			dots++;
			label_len = 0;
		} else if (principal_bytes[(unsigned char)*p] == ALNUM ||
			   (*p == '-' && label_len > 0)) {
			if (++label_len > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return p - s <= 254 && dots > 0 && label_len > 0 && p[-1] != '-';
}

/* Days from civil, after Howard Hinnant's public-domain algorithm. */
int64_t appctl_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int appctl_date_parse(appctl_date *out, const char *s)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	int y, m, d, i;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return -1;
	if ((unsigned)d > mdays[m - 1] + (m == 2 && is_leap(y)))
		return -1;
	*out = (appctl_date)appctl_days_from_civil(y, m, d);
	return 0;
}

void appctl_date_format(char *buf, appctl_date days)
{
	int64_t z = (int64_t)days + 719468, era, doe, yoe, y, doy, mp, d, m;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	/* appctl_date_parse only yields years 1970..9999; clamp for the printer. */
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	buf[0] = (char)('0' + y / 1000);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	buf[10] = '\0';
}

appctl_date appctl_date_from_unix(int64_t t)
{
	return (appctl_date)(t >= 0 ? t / 86400 : (t - 86399) / 86400);
}

int appctl_member_active(const appctl_member *m, appctl_date at)
{
	return !m->has_expires || at <= m->expires;
}

size_t appctl_sorted_lower_bound(const void *base, size_t n, size_t size,
	const char *s)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *const *entry =
			(const char *const *)((const char *)base + mid * size);

		if (strcmp(*entry, s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t appctl_sort_unique(const char **list, size_t n)
{
	size_t i, w = 0;

	if (n)
		qsort(list, n, sizeof(*list), str_cmp);
	for (i = 0; i < n; i++)
		if (w == 0 || strcmp(list[w - 1], list[i]) != 0)
			list[w++] = list[i];
	return w;
}

/*
 * The element named `name` of an array of structs whose first member is
 * the name, or NULL. Every named collection in the model is sorted by name
 * at parse time.
 */
static const void *find_named(const void *base, size_t count, size_t size,
	const char *name)
{
	size_t i = appctl_sorted_lower_bound(base, count, size, name);
	const char *const *entry;

	if (i == count)
		return NULL;
	entry = (const char *const *)((const char *)base + i * size);
	return strcmp(*entry, name) == 0 ? entry : NULL;
}

int appctl_sorted_has(const char *const *sorted, size_t n, const char *s)
{
	size_t i = appctl_sorted_lower_bound(sorted, n, sizeof(*sorted), s);

	return i < n && strcmp(sorted[i], s) == 0;
}

/*
 * Merges the sorted runs [from, mid) and [mid, to) of `src` into `dst`;
 * on a tie the first run's entry (the earlier group) comes first.
 */
static void merge_runs(appctl_membership *dst, const appctl_membership *src,
	size_t from, size_t mid, size_t to)
{
	size_t i = from, j = mid, k = from;

	while (i < mid && j < to)
		dst[k++] = strcmp(src[j].principal, src[i].principal) < 0
			? src[j++] : src[i++];
	while (i < mid)
		dst[k++] = src[i++];
	while (j < to)
		dst[k++] = src[j++];
}

int appctl_policy_index_members(appctl_policy *policy, appctl_arena *arena)
{
	appctl_membership *kept, *scratch, *from, *to, *t;
	size_t *ends, g, m, n = 0, runs = 0, w, k;

	if (policy->memberships)
		return 0;
	for (g = 0; g < policy->group_count; g++)
		n += policy->groups[g].member_count;
	kept = appctl_arena_calloc(arena, n, sizeof(*kept));
	scratch = malloc((n ? n : 1) * sizeof(*scratch));
	ends = malloc((policy->group_count + 1) * sizeof(*ends));
	if (!kept || !scratch || !ends) {
		free(scratch);
		free(ends);
		return -1;
	}
	/*
	 * Each group's members are sorted already: merging those runs pairwise
	 * takes half the compares a sort of the whole would, and keeps the
	 * order by principal, then group (groups are in name order, and the
	 * earlier run wins a tie).
	 */
	n = 0;
	for (g = 0; g < policy->group_count; g++) {
		const appctl_group *grp = &policy->groups[g];

		for (m = 0; m < grp->member_count; m++) {
			kept[n].principal = grp->sorted_members[m];
			kept[n++].group = grp;
		}
		if (grp->member_count)
			ends[runs++] = n;
	}
	from = kept;
	to = scratch;
	while (runs > 1) {
		size_t start = 0;

		for (k = 0, w = 0; k < runs; k += 2) {
			size_t end = k + 1 < runs ? ends[k + 1] : ends[k];

			merge_runs(to, from, start, ends[k], end);
			ends[w++] = end;
			start = end;
		}
		runs = w;
		t = from;
		from = to;
		to = t;
	}
	if (from != kept)
		memcpy(kept, from, n * sizeof(*kept));
	free(scratch);
	free(ends);
	policy->memberships = kept;
	policy->membership_count = n;
	return 0;
}

size_t appctl_policy_groups_of(const appctl_policy *policy,
	const char *principal, const appctl_membership **first)
{
	size_t lo = appctl_sorted_lower_bound(policy->memberships,
		policy->membership_count, sizeof(*policy->memberships),
		principal), end;

	*first = NULL;
	for (end = lo; end < policy->membership_count &&
	     strcmp(policy->memberships[end].principal, principal) == 0; end++)
		;
	if (end > lo)
		*first = &policy->memberships[lo];
	return end - lo;
}

const appctl_app *appctl_snapshot_app(const appctl_snapshot *snap,
	const char *name)
{
	size_t lo = 0, hi = snap->app_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, snap->apps[mid]->name);

		if (c == 0)
			return snap->apps[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const appctl_group *appctl_policy_group(const appctl_policy *policy,
	const char *name)
{
	return find_named(policy->groups, policy->group_count,
		sizeof(appctl_group), name);
}

const appctl_resource *appctl_app_resource(const appctl_app *app,
	const char *name)
{
	return find_named(app->resources, app->resource_count,
		sizeof(appctl_resource), name);
}

const appctl_role *appctl_app_role(const appctl_app *app, const char *name)
{
	return find_named(app->roles, app->role_count, sizeof(appctl_role), name);
}

const appctl_integration *appctl_app_integration(const appctl_app *app,
	const char *name)
{
	return find_named(app->integrations, app->integration_count,
		sizeof(appctl_integration), name);
}

const appctl_field *appctl_resource_field(const appctl_resource *res,
	const char *name)
{
	return find_named(res->fields, res->field_count, sizeof(appctl_field),
		name);
}
