/* secret.c: recognising literal secrets and secret references in definition strings. */
#include <stddef.h>
#include <string.h>

#include "appctl/lint.h"

/*
 * The shapes below are deliberately conservative: a false positive is a lint
 * error that blocks a builder, so every shape needs a token boundary and a
 * minimum length that ordinary prose, emails and references never reach.
 */

#define ENTROPY_MIN_RUN 24
/*
 * The least length of a string each shape can match (a bound, never above
 * it): "-----BEGIN " and "PRIVATE KEY"; "a://:p@"; "xoxb-" and 10 more;
 * "AKIA" and 16 more; a 16-character header, '.', 2 characters and '.'.
 */
#define PEM_MIN 22
#define URL_PASSWORD_MIN 7
#define PREFIX_SHAPE_MIN 15
#define AWS_KEY_ID_LEN 20
#define JWT_MIN 20
#define ENTROPY_MIN_BITS 4.0

static int is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static int is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(unsigned char c)
{
	return is_lower(c) || is_upper(c) || is_digit(c);
}

static int is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_base64url(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '_';
}

/* True when a token may start at `s + i`: not glued to a preceding word. */
static int at_boundary(const char *s, size_t i)
{
	return i == 0 || !is_alnum((unsigned char)s[i - 1]);
}

/* Length of the run of characters accepted by `pred` starting at `p`. */
static size_t span(const char *p, int (*pred)(unsigned char))
{
	size_t n = 0;

	while (p[n] && pred((unsigned char)p[n]))
		n++;
	return n;
}

static int is_github_pat_char(unsigned char c)
{
	return is_alnum(c) || c == '_';
}

static int is_slack_char(unsigned char c)
{
	return is_alnum(c) || c == '-';
}

static int is_aws_char(unsigned char c)
{
	return is_upper(c) || is_digit(c);
}

struct prefix_shape {
	const char *prefix;
	int (*body)(unsigned char);
	size_t min_body;
	const char *why;
};

/*
 * Vendor prefixes. The minimum body lengths are below the real key lengths
 * (so truncated pastes still count) but above what prose mentioning the
 * prefix ("rotate the sk_live_ key") would contain.
 */
static const struct prefix_shape prefix_shapes[] = {
	{ "sk_live_", is_alnum, 10, "a Stripe secret key" },
	{ "sk_test_", is_alnum, 10, "a Stripe secret key" },
	{ "rk_live_", is_alnum, 10, "a Stripe restricted key" },
	{ "rk_test_", is_alnum, 10, "a Stripe restricted key" },
	{ "xoxb-", is_slack_char, 10, "a Slack token" },
	{ "xoxp-", is_slack_char, 10, "a Slack token" },
	{ "xoxa-", is_slack_char, 10, "a Slack token" },
	{ "xoxr-", is_slack_char, 10, "a Slack token" },
	{ "xoxs-", is_slack_char, 10, "a Slack token" },
	{ "xapp-", is_slack_char, 10, "a Slack token" },
	{ "ghp_", is_alnum, 20, "a GitHub token" },
	{ "gho_", is_alnum, 20, "a GitHub token" },
	{ "ghs_", is_alnum, 20, "a GitHub token" },
	{ "ghu_", is_alnum, 20, "a GitHub token" },
	{ "ghr_", is_alnum, 20, "a GitHub token" },
	{ "github_pat_", is_github_pat_char, 20, "a GitHub token" },
};

static const char *match_prefix_shape(const char *s)
{
	size_t i, k;

	for (i = 0; s[i]; i++) {
		if (!at_boundary(s, i))
			continue;
		for (k = 0;
			k < sizeof(prefix_shapes) / sizeof(prefix_shapes[0]);
			k++) {
			const struct prefix_shape *ps = &prefix_shapes[k];
			size_t plen;

			/* Every string of every app comes here: first bytes first. */
			if (ps->prefix[0] != s[i])
				continue;
			plen = strlen(ps->prefix);
			if (strncmp(s + i, ps->prefix, plen) == 0 &&
				span(s + i + plen, ps->body) >= ps->min_body)
				return ps->why;
		}
	}
	return NULL;
}

/* AWS access key ids: AKIA/ASIA and exactly 16 more upper-case alphanumerics. */
static const char *match_aws_key_id(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (!at_boundary(s, i))
			continue;
		if (s[i] == 'A' && (strncmp(s + i, "AKIA", 4) == 0 ||
			    strncmp(s + i, "ASIA", 4) == 0) &&
			span(s + i + 4, is_aws_char) == 16 &&
			!is_alnum((unsigned char)s[i + 20]))
			return "an AWS access key id";
	}
	return NULL;
}

/* "-----BEGIN <label>-----" where the label names a private key. */
static const char *match_pem_private_key(const char *s)
{
	const char *p = s;

	while ((p = strstr(p, "-----BEGIN ")) != NULL) {
		const char *label = p + 11, *end = strstr(label, "-----");
		const char *q;

		if (!end)
			return NULL;
		for (q = label; q + 11 <= end; q++)
			if (strncmp(q, "PRIVATE KEY", 11) == 0)
				return "a PEM private key";
		p = end;
	}
	return NULL;
}

static int is_scheme_char(unsigned char c)
{
	return is_alnum(c) || c == '+' || c == '-' || c == '.';
}

/*
 * A password that is a placeholder for templating ("${DB_PASSWORD}",
 * "<password>", "****") is not a secret, just a confusing example.
 */
static int is_placeholder(const char *p, size_t len)
{
	size_t i;

	if (p[0] == '$' || p[0] == '{' || p[0] == '<')
		return 1;
	for (i = 0; i < len; i++)
		if (p[i] != '*')
			return 0;
	return 1;
}

/* "scheme://user:password@host": a credential riding in a URL. */
static const char *match_url_password(const char *s)
{
	const char *p = s;

	while ((p = strstr(p, "://")) != NULL) {
		const char *auth = p + 3, *end = auth, *at = NULL, *colon;

		if (p == s || !is_scheme_char((unsigned char)p[-1])) {
			p = auth;
			continue;
		}
		while (*end && !strchr("/?#\" \t\r\n", *end)) {
			if (*end == '@')
				at = end;
			end++;
		}
		if (at) {
			colon = memchr(auth, ':', (size_t)(at - auth));
			if (colon && colon + 1 < at &&
				!is_placeholder(colon + 1,
					(size_t)(at - colon - 1)))
				return "a URL with a password";
		}
		p = end;
	}
	return NULL;
}

/* JWTs: base64url("{\"...") header, payload and optional signature. */
static const char *match_jwt(const char *s)
{
	size_t i, n1, n2;

	for (i = 0; s[i]; i++) {
		if (s[i] != 'e' || !at_boundary(s, i) ||
		    strncmp(s + i, "eyJ", 3) != 0)
			continue;
		n1 = span(s + i, is_base64url);
		/* A real header ({"alg":"none"} at least) is 16+ characters. */
		if (n1 < 16 || s[i + n1] != '.')
			continue;
		n2 = span(s + i + n1 + 1, is_base64url);
		if (n2 >= 2 && s[i + n1 + 1 + n2] == '.')
			return "a JWT";
	}
	return NULL;
}

/*
 * log2 by series, so that the entropy verdict does not depend on the libm
 * the tool is linked with (and the core needs no libm at all).
 */
static double log2_of(double x)
{
	double m = x, t, t2, term, sum = 0.0;
	int e = 0, k;

	while (m >= 2.0) {
		m /= 2.0;
		e++;
	}
	while (m < 1.0) {
		m *= 2.0;
		e--;
	}
	/* ln(m) = 2 atanh(t) with t in [0, 1/3): the series converges fast. */
	t = (m - 1.0) / (m + 1.0);
	t2 = t * t;
	term = t;
	for (k = 1; k < 40; k += 2) {
		sum += term / k;
		term *= t2;
	}
	return e + 2.0 * sum / 0.69314718055994530942;
}

/* Shannon entropy of `len` bytes, in bits per character. */
static double shannon_entropy(const char *p, size_t len)
{
	size_t counts[256] = { 0 };
	double sum = 0.0;
	size_t i;

	for (i = 0; i < len; i++)
		counts[(unsigned char)p[i]]++;
	for (i = 0; i < 256; i++)
		if (counts[i])
			sum += (double)counts[i] * log2_of((double)counts[i]);
	return log2_of((double)len) - sum / (double)len;
}

/* Character classes for splitting identifiers into words. */
static int char_class(unsigned char c)
{
	return is_lower(c) ? 1 : is_upper(c) ? 2 : is_digit(c) ? 3 : 0;
}

/*
 * A segment reads like words and numbers ("customers", "EXPORT", "Agent",
 * "2024", "internalAnalyticsDashboardV2"): split at every change of
 * character class except capital-then-lower, its pieces average 3.5 or
 * more characters. A random token changes class every two characters or so
 * (tuned on generated identifiers against random base62 tokens).
 */
static int segment_is_plain(const char *p, size_t len)
{
	size_t i, pieces = 1;

	if (len <= 3)
		return 1;
	for (i = 1; i < len; i++) {
		int prev = char_class((unsigned char)p[i - 1]);
		int cur = char_class((unsigned char)p[i]);

		if (prev != cur && !(prev == 2 && cur == 1))
			pieces++;
	}
	return 2 * len >= 7 * pieces;
}

static int is_separator(unsigned char c)
{
	return c == '-' || c == '_' || c == '/' || c == '+';
}

/*
 * Whether a long run is a random token rather than joined words
 * ("customer-records-export-2024") or a hex identifier (git ids, UUIDs,
 * which are ids, not secrets, and top out near 4 bits per character).
 */
static int run_is_random(const char *p, size_t len)
{
	size_t i, start, letters = 0, digits = 0, hex = 0;
	int all_plain = 1;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		letters += is_lower(c) || is_upper(c);
		digits += is_digit(c);
		hex += is_hex(c) || c == '-';
	}
	if (!letters || !digits || hex == len)
		return 0;
	for (start = 0, i = 0; i <= len; i++) {
		if (i < len && !is_separator((unsigned char)p[i]))
			continue;
		if (!segment_is_plain(p + start, i - start))
			all_plain = 0;
		start = i + 1;
	}
	if (all_plain)
		return 0;
	return shannon_entropy(p, len) >= ENTROPY_MIN_BITS;
}

/*
 * Maximal runs of [A-Za-z0-9+/_-]. '=' ends a run: it splits "key=value"
 * (so the value is judged alone) and only pads base64 at its end. Inside
 * URLs '/' separates path segments rather than joining base64, so
 * "https://hooks.example.com/a/b" is judged segment by segment.
 */
static const char *match_high_entropy(const char *s)
{
	int in_url = strstr(s, "://") != NULL;
	size_t i = 0, start;

	while (s[i]) {
		unsigned char c;

		start = i;
		while ((c = (unsigned char)s[i]) != '\0' &&
			(is_alnum(c) || c == '+' || c == '_' || c == '-' ||
				(c == '/' && !in_url)))
			i++;
		if (i - start >= ENTROPY_MIN_RUN &&
			run_is_random(s + start, i - start))
			return "a high-entropy string";
		if (i == start)
			i++;
	}
	return NULL;
}

/*
 * A reference names where the secret lives ("secret://vault/sf-prod",
 * "env://STRIPE_KEY"); the scheme alone references nothing.
 */
int appctl_is_secret_reference(const char *s)
{
	if (!s)
		return 0;
	if (strncmp(s, "secret://", 9) == 0)
		return s[9] != '\0';
	if (strncmp(s, "env://", 6) == 0)
		return s[6] != '\0';
	return 0;
}

/*
 * Checks `s` against the known token shapes, then for a long random run.
 * *why (when `why` is not NULL) receives a static string naming the shape, so
 * that callers can report a secret without ever repeating it.
 */
int appctl_looks_like_secret(const char *s, const char **why)
{
	const char *shape = NULL;
	size_t len;

	if (!s || appctl_is_secret_reference(s))
		return 0;
	/*
	 * Every string of every app comes here, and most (names, principals)
	 * are shorter than most shapes: each is tried from its least length.
	 * Most specific first, so the message names the vendor when it can.
	 */
	len = strlen(s);
	if (len >= PEM_MIN)
		shape = match_pem_private_key(s);
	if (!shape && len >= URL_PASSWORD_MIN)
		shape = match_url_password(s);
	if (!shape && len >= PREFIX_SHAPE_MIN)
		shape = match_prefix_shape(s);
	if (!shape && len >= AWS_KEY_ID_LEN)
		shape = match_aws_key_id(s);
	if (!shape && len >= JWT_MIN)
		shape = match_jwt(s);
	if (!shape && len >= ENTROPY_MIN_RUN)
		shape = match_high_entropy(s);
	if (shape && why)
		*why = shape;
	return shape != NULL;
}
