/* allowed_signers.c: the allowed_signers file read line by line with ssh-keygen's rules, and the SSH wire helpers the verifier shares. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "appctl/allowed_signers.h"

#include "appctl/model.h"

/* Key type names ssh-keygen reads in a key line; anything else is an option. */
static const char *const key_types[] = {
	"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521", "ssh-rsa", "ssh-dss",
	"sk-ecdsa-sha2-nistp256@openssh.com", "sk-ssh-ed25519@openssh.com",
	"ssh-ed25519-cert-v01@openssh.com",
	"ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"ecdsa-sha2-nistp384-cert-v01@openssh.com",
	"ecdsa-sha2-nistp521-cert-v01@openssh.com",
	"ssh-rsa-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com",
	"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"sk-ssh-ed25519-cert-v01@openssh.com",
};

int appctl_ssh_read_u32(appctl_ssh_reader *r, uint32_t *v)
{
	if (r->left < 4)
		return -1;
	*v = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) |
		((uint32_t)r->p[2] << 8) | (uint32_t)r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

int appctl_ssh_read_string(appctl_ssh_reader *r, const unsigned char **s,
	size_t *len)
{
	uint32_t n;
	appctl_ssh_reader save = *r;

	if (appctl_ssh_read_u32(r, &n) != 0 || n > r->left) {
		*r = save;
		return -1;
	}
	*s = r->p;
	*len = n;
	r->p += n;
	r->left -= n;
	return 0;
}

int appctl_ssh_string_is(const unsigned char *s, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(s, name, len) == 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int appctl_base64_decode(unsigned char **out, size_t *out_len,
	const char *in, size_t in_len)
{
	unsigned char *buf;
	size_t i, n = 0, pad = 0;
	uint32_t acc = 0;
	int bits = 0;

	*out = NULL;
	*out_len = 0;
	buf = malloc(in_len / 4 * 3 + 3);
	if (!buf)
		return -1;
	for (i = 0; i < in_len; i++) {
		char c = in[i];
		int v;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = b64_value(c);
		/* Data after padding, or a foreign character, is not base64. */
		if (v < 0 || pad)
			goto fail;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/*
	 * As b64_pton: a partial byte must be padded ("==" after two sextets,
	 * "=" after three) and its spare bits zero; a lone sextet is garbage.
	 */
	if (acc != 0 || !((bits == 0 && pad == 0) || (bits == 4 && pad == 2) ||
			  (bits == 2 && pad == 1)))
		goto fail;
	*out = buf;
	*out_len = n;
	return 0;
fail:
	free(buf);
	return -1;
}

/* OpenSSH's match_pattern: `*` any run, `?` any one character. */
static int glob_match(const char *s, const char *p, size_t plen)
{
	size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0, slen = strlen(s);

	while (si < slen) {
		if (pi < plen && (p[pi] == '?' || p[pi] == s[si])) {
			si++;
			pi++;
		} else if (pi < plen && p[pi] == '*') {
			star_p = pi++;
			star_s = si;
		} else if (star_p != (size_t)-1) {
			pi = star_p + 1;
			si = ++star_s;
		} else {
			return 0;
		}
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

int appctl_ssh_pattern_match(const char *s, const char *pattern)
{
	return glob_match(s, pattern, strlen(pattern));
}

int appctl_ssh_pattern_list_match(const char *s, const char *list)
{
	int got_positive = 0;

	while (*list) {
		size_t len = strcspn(list, ",");
		const char *p = list;
		int negated = 0;

		if (*p == '!') {
			negated = 1;
			p++;
			len--;
		}
		if (glob_match(s, p, len)) {
			if (negated)
				return -1;
			got_positive = 1;
		}
		list += len + (size_t)negated;
		if (*list == ',')
			list++;
	}
	return got_positive;
}

static int all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int appctl_ssh_time_parse(uint64_t *out, const char *s)
{
	size_t l = strlen(s);
	int utc = 0, y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t t;

	*out = 0;
	if (l > 1 && (s[l - 1] == 'Z' || s[l - 1] == 'z')) {
		utc = 1;
		l--;
	} else if (l > 3 && strcasecmp(s + l - 3, "UTC") == 0) {
		utc = 1;
		l -= 3;
	}
	if ((l != 8 && l != 12 && l != 14) || !all_digits(s, l))
		return -1;
	y = two(s) * 100 + two(s + 2);
	mo = two(s + 4);
	d = two(s + 6);
	if (l >= 12) {
		h = two(s + 8);
		mi = two(s + 10);
	}
	if (l == 14)
		sec = two(s + 12);
	/*
	 * strptime's ranges, not the calendar's: it takes day 31 of any month
	 * and seconds up to 61, and timegm/mktime roll them over ("20200230"
	 * is 1 March), so the same values mean the same times here.
	 */
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 61)
		return -1;
	if (utc) {
		t = appctl_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	} else {
		struct tm tm;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = sec;
		tm.tm_isdst = -1;
		t = (int64_t)mktime(&tm);
	}
	if (t < 0)
		return -1;
	*out = (uint64_t)t;
	return 0;
}

/* A copy of [s, s+n) as a C string, or NULL. */
static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/*
 * sshkey_read: "type base64" at *cp. On success the decoded blob (caller
 * frees) and *cp past the base64. A type ssh-keygen does not know, bad
 * base64 or a blob of another type is -1, which makes the caller read
 * options first, as ssh-keygen does.
 */
static int read_key(unsigned char **blob, size_t *blob_len, const char **cp)
{
	const char *s = *cp, *b64;
	size_t tlen = strcspn(s, " \t"), blen, i, slen;
	appctl_ssh_reader r;
	const unsigned char *name;
	int known = 0;

	*blob = NULL;
	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (strlen(key_types[i]) == tlen && memcmp(key_types[i], s, tlen) == 0)
			known = 1;
	if (!known)
		return -1;
	b64 = s + tlen;
	b64 += strspn(b64, " \t");
	blen = strcspn(b64, " \t");
	if (blen == 0 || appctl_base64_decode(blob, blob_len, b64, blen) != 0)
		return -1;
	r.p = *blob;
	r.left = *blob_len;
	if (appctl_ssh_read_string(&r, &name, &slen) != 0 || slen != tlen ||
	    memcmp(name, s, tlen) != 0) {
		free(*blob);
		*blob = NULL;
		return -1;
	}
	*cp = b64 + blen;
	return 0;
}

/* opt_dequote: a "quoted" value with \" escapes; NULL when unterminated. */
static char *dequote(const char **sp)
{
	const char *s = *sp;
	char *ret;
	size_t i = 0;

	if (*s != '"')
		return NULL;
	s++;
	ret = malloc(strlen(s) + 1);
	if (!ret)
		return NULL;
	while (*s && *s != '"') {
		if (s[0] == '\\' && s[1] == '"')
			s++;
		ret[i++] = *s++;
	}
	if (*s == '\0') {
		free(ret);
		return NULL;
	}
	ret[i] = '\0';
	*sp = s + 1;
	return ret;
}

/* opt_match: "name=" case-insensitively, moving *sp past it. */
static int opt_match(const char **sp, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(*sp, name, n) != 0 || (*sp)[n] != '=')
		return 0;
	*sp += n + 1;
	return 1;
}

/*
 * A quoted time at *sp into *slot; -1 when given twice, malformed or 0
 * (ssh-keygen takes 0 for "unset", so it refuses it as a value).
 */
static int parse_time_option(uint64_t *slot, const char **sp)
{
	char *v;
	int bad;

	if (*slot != 0)
		return -1;
	v = dequote(sp);
	if (!v)
		return -1;
	bad = appctl_ssh_time_parse(slot, v) != 0 || *slot == 0;
	free(v);
	return bad ? -1 : 0;
}

/* sshsigopt_parse over `opts` (ends at NUL); 0, or -1 when ssh-keygen refuses them. */
static int parse_options(appctl_signer *e, const char *opts)
{
	while (*opts) {
		if (strncasecmp(opts, "cert-authority", 14) == 0 &&
		    (opts[14] == '\0' || opts[14] == ',' || opts[14] == ' ' ||
		     opts[14] == '\t')) {
			e->cert_authority = 1;
			opts += 14;
		} else if (opt_match(&opts, "namespaces")) {
			if (e->namespaces)
				return -1;
			e->namespaces = dequote(&opts);
			if (!e->namespaces)
				return -1;
		} else if (opt_match(&opts, "valid-after")) {
			if (parse_time_option(&e->valid_after, &opts) != 0)
				return -1;
		} else if (opt_match(&opts, "valid-before")) {
			if (parse_time_option(&e->valid_before, &opts) != 0)
				return -1;
		} else {
			return -1;
		}
		if (*opts == '\0' || *opts == ' ' || *opts == '\t')
			break;
		if (*opts != ',')
			return -1;
		opts++;
		if (*opts == '\0')
			return -1;
	}
	if (e->valid_after && e->valid_before && e->valid_before <= e->valid_after)
		return -1;
	return 0;
}

static void signer_dispose(appctl_signer *e)
{
	free(e->principals);
	free(e->namespaces);
	free(e->key);
	memset(e, 0, sizeof(*e));
}

/*
 * parse_principals_key_and_options for one line (NUL-terminated, no
 * newline). 1: an entry in *e (caller disposes); 0: a line ssh-keygen skips;
 * -1: out of memory.
 */
static int parse_line(appctl_signer *e, const char *line)
{
	const char *cp = line + strspn(line, " \t\r\n"), *end;
	char *opts = NULL;

	memset(e, 0, sizeof(*e));
	if (*cp == '#' || *cp == '\0')
		return 0;
	/* The principals: one word, or a "quoted" one (strdelimw). */
	if (*cp == '"') {
		end = strchr(cp + 1, '"');
		if (!end)
			return 0;
		e->principals = dup_n(cp + 1, (size_t)(end - cp - 1));
		end++;
	} else {
		end = cp + strcspn(cp, " \t\r\n");
		e->principals = dup_n(cp, (size_t)(end - cp));
	}
	if (!e->principals)
		return -1;
	if (*end == '\0')
		goto skip;
	cp = end + strspn(end, " \t\r\n");
	if (read_key(&e->key, &e->key_len, &cp) != 0) {
		/* No key here: options first (sshkey_advance_past_options). */
		const char *o = cp;
		int quoted = 0;

		for (; *o && (quoted || (*o != ' ' && *o != '\t')); o++) {
			if (*o == '\\' && o[1] == '"')
				o++;
			else if (*o == '"')
				quoted = !quoted;
		}
		if (*o == '\0')
			goto skip;
		opts = dup_n(cp, (size_t)(o - cp));
		if (!opts) {
			signer_dispose(e);
			return -1;
		}
		cp = o + 1;
		cp += strspn(cp, " \t");
		if (read_key(&e->key, &e->key_len, &cp) != 0)
			goto skip;
		if (parse_options(e, opts) != 0)
			goto skip;
		free(opts);
	}
	return 1;
skip:
	free(opts);
	signer_dispose(e);
	return 0;
}

appctl_error *appctl_allowed_signers_parse(appctl_allowed_signers **out,
	const char *text, size_t len)
{
	appctl_allowed_signers *s = calloc(1, sizeof(*s));
	size_t pos = 0, line_no = 0, cap = 0;

	*out = NULL;
	if (!s)
		return appctl_error_nomem();
	while (pos < len) {
		size_t n = 0;
		char *line;
		appctl_signer e;
		int rc;

		while (pos + n < len && text[pos + n] != '\n')
			n++;
		line_no++;
		/* A NUL ends the line as it ends getline's C string for ssh-keygen. */
		line = dup_n(text + pos, n);
		pos += n + 1;
		if (!line)
			goto nomem;
		rc = parse_line(&e, line);
		free(line);
		if (rc < 0)
			goto nomem;
		if (rc == 0) {
			s->skipped++;
			continue;
		}
		e.line_no = line_no;
		if (s->count == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			appctl_signer *grown = realloc(s->lines, ncap * sizeof(*grown));

			if (!grown) {
				signer_dispose(&e);
				goto nomem;
			}
			s->lines = grown;
			cap = ncap;
		}
		s->lines[s->count++] = e;
	}
	*out = s;
	return NULL;
nomem:
	appctl_allowed_signers_free(s);
	return appctl_error_nomem();
}

void appctl_allowed_signers_free(appctl_allowed_signers *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->count; i++)
		signer_dispose(&s->lines[i]);
	free(s->lines);
	free(s);
}
