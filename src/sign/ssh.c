/* ssh.c: SSH signatures by running ssh-keygen -Y (signing, and verifying what sshsig.c leaves to it) (through appctl/proc.h) with explicit argv, private temp files and a timeout. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appctl/model.h"
#include "appctl/proc.h"
#include "appctl/sign.h"
#include "appctl/sshsig.h"
#include "appctl/strbuf.h"

/* ssh-keygen never needs long: a hung one (a prompt nobody answers) is killed. */
#define VERIFY_TIMEOUT_MS 30000
/* Signing may ask for a passphrase on the terminal, so it gets longer. */
#define SIGN_TIMEOUT_MS 120000
/* More output than this is not ssh-keygen talking to us; the rest is dropped. */
#define OUTPUT_CAP (256 * 1024)

/* What one ssh-keygen run produced. */
typedef appctl_proc_result run_result;

static void run_result_dispose(run_result *r)
{
	appctl_proc_result_dispose(r);
}

/*
 * Runs ssh-keygen with `argv` (argv[0] "ssh-keygen", no shell involved),
 * stdin from `stdin_path` (NULL: /dev/null), collecting stdout and stderr.
 * A run that outlives `timeout_ms` is killed and reported as an error, so a
 * prompt nobody answers cannot hang appctl. The caller disposes *r unless
 * an error is returned.
 */
static appctl_error *run_ssh_keygen(run_result *r, char *const argv[],
	const char *stdin_path, int timeout_ms)
{
	appctl_proc_spec spec;
	appctl_error *err;

	memset(&spec, 0, sizeof(spec));
	spec.argv = (const char *const *)argv;
	spec.stdin_path = stdin_path;
	spec.timeout_ms = timeout_ms;
	spec.out_cap = OUTPUT_CAP;
	spec.err_cap = OUTPUT_CAP;
	err = appctl_proc_run(r, &spec);
	if (err)
		run_result_dispose(r);
	return err;
}

/* A private directory (0700) for the files ssh-keygen reads and writes. */
typedef struct tmpdir {
	char path[4096];
	int made;
} tmpdir;

static appctl_error *tmpdir_make(tmpdir *t)
{
	const char *base = getenv("TMPDIR");
	int n;

	t->made = 0;
	if (!base || !*base)
		base = "/tmp";
	n = snprintf(t->path, sizeof(t->path), "%s/appctl-sign.XXXXXX", base);
	if (n < 0 || (size_t)n >= sizeof(t->path))
		return appctl_error_new(APPCTL_ESYSTEM, "TMPDIR is too long");
	if (!mkdtemp(t->path))
		return appctl_error_new(APPCTL_ESYSTEM, "%s: %s", t->path,
			strerror(errno));
	t->made = 1;
	return NULL;
}

/* Removes the directory and whatever ssh-keygen left in it; no-op if not made. */
static void tmpdir_remove(tmpdir *t)
{
	DIR *d;
	struct dirent *e;
	char file[4200];

	if (!t->made)
		return;
	d = opendir(t->path);
	if (d) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (snprintf(file, sizeof(file), "%s/%s", t->path,
					e->d_name) < (int)sizeof(file))
				unlink(file);
		}
		closedir(d);
	}
	rmdir(t->path);
	t->made = 0;
}

/* "<dir>/<name>" into `out` (at least 4200 bytes). */
static void tmpdir_file(char *out, size_t len, const tmpdir *t,
	const char *name)
{
	snprintf(out, len, "%s/%s", t->path, name);
}

/* Writes `len` bytes to a new file (0600; never follows or reuses a file). */
static appctl_error *write_new_file(const char *path, const char *data,
	size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	appctl_error *err = NULL;

	if (fd < 0)
		return appctl_error_new(APPCTL_ESYSTEM, "%s: %s", path,
			strerror(errno));
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = appctl_error_new(APPCTL_ESYSTEM, "%s: %s", path,
				strerror(errno));
			break;
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0 && !err)
		err = appctl_error_new(APPCTL_ESYSTEM, "%s: %s", path,
			strerror(errno));
	return err;
}

/* Reads a small file whole; *out is NUL-terminated, the caller frees it. */
static appctl_error *read_small_file(char **out, const char *path)
{
	appctl_strbuf buf = APPCTL_STRBUF_INIT;
	int fd = open(path, O_RDONLY | O_NOFOLLOW);

	*out = NULL;
	if (fd < 0)
		return appctl_error_new(APPCTL_ESYSTEM, "%s: %s", path,
			strerror(errno));
	while (buf.len < OUTPUT_CAP) {
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		appctl_strbuf_add(&buf, chunk, (size_t)n);
	}
	close(fd);
	appctl_strbuf_add(&buf, "", 0);
	*out = appctl_strbuf_detach(&buf);
	return *out ? NULL : appctl_error_nomem();
}

/*
 * ssh-keygen's messages as one line: lines joined by "; ", our temp
 * directory's path dropped (so "…/allowed_signers:2: key has expired"
 * reads as the file the user knows). The caller frees the result.
 */
static char *messages_line(const appctl_strbuf *text, const tmpdir *t)
{
	appctl_strbuf line = APPCTL_STRBUF_INIT;
	size_t plen = strlen(t->path), i = 0;
	const char *s = text->ptr ? text->ptr : "";
	size_t len = text->len;

	while (i < len) {
		size_t end = i, start;

		while (end < len && s[end] != '\n' && s[end] != '\r')
			end++;
		start = i;
		/* Progress chatter, not a reason. */
		if (end > start && !(end - start >= 7 &&
		    (strncmp(s + start, "Signing", 7) == 0 ||
		     strncmp(s + start, "Write s", 7) == 0))) {
			if (line.len)
				appctl_strbuf_puts(&line, "; ");
			while (start < end) {
				if (plen && end - start > plen && strncmp(s + start, t->path,
						plen) == 0 && s[start + plen] == '/') {
					start += plen + 1;
					continue;
				}
				appctl_strbuf_putc(&line,
					(unsigned char)s[start] < 0x20 ? ' ' : s[start]);
				start++;
			}
		}
		i = end + 1;
	}
	if (!line.len)
		appctl_strbuf_puts(&line, "ssh-keygen gave no reason");
	return appctl_strbuf_detach(&line);
}

appctl_error *appctl_ssh_sign(char **out, const char *key_file,
	const char *data, size_t len)
{
	tmpdir t;
	char data_path[4200], sig_path[4300];
	run_result r;
	int have_result = 0;
	appctl_error *err;

	*out = NULL;
	if (!key_file || !*key_file)
		return appctl_error_new(APPCTL_EUSAGE, "no signing key given");
	err = tmpdir_make(&t);
	if (err)
		return err;
	tmpdir_file(data_path, sizeof(data_path), &t, "event.json");
	snprintf(sig_path, sizeof(sig_path), "%s.sig", data_path);
	err = write_new_file(data_path, data, len);
	if (err)
		goto done;
	{
		char *argv[] = { (char *)"ssh-keygen", (char *)"-Y", (char *)"sign",
			(char *)"-n", (char *)APPCTL_SIGN_NAMESPACE, (char *)"-f",
			(char *)key_file, data_path, NULL };

		err = run_ssh_keygen(&r, argv, NULL, SIGN_TIMEOUT_MS);
	}
	if (err)
		goto done;
	have_result = 1;
	if (!r.exited || r.status != 0) {
		char *why = messages_line(&r.err, &t);

		err = appctl_error_new(APPCTL_ESYSTEM, "cannot sign with '%s': %s",
			key_file, why ? why : "out of memory");
		free(why);
		goto done;
	}
	err = read_small_file(out, sig_path);
done:
	if (have_result)
		run_result_dispose(&r);
	tmpdir_remove(&t);
	return err;
}

/* True when some line of `text` starts with "Good". */
static int has_good_line(const appctl_strbuf *text)
{
	const char *s = text->ptr;

	if (!s)
		return 0;
	for (;;) {
		if (strncmp(s, "Good", 4) == 0)
			return 1;
		s = strchr(s, '\n');
		if (!s)
			return 0;
		s++;
	}
}

/* ssh-keygen's -O verify-time=YYYYMMDDHHMMSSZ for Unix time `at`. */
static void verify_time_option(char *buf, size_t len, int64_t at)
{
	time_t t = (time_t)at;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "verify-time=%Y%m%d%H%M%SZ", &tm);
}

appctl_error *appctl_ssh_verify_keygen(char **principal, char **why,
	const char *allowed_signers, const char *data, size_t len,
	const char *signature, int64_t at)
{
	char at_option[48];

	tmpdir t;
	char allowed_path[4200], data_path[4200], sig_path[4200];
	run_result found;
	int have_found = 0;
	appctl_strbuf reasons = APPCTL_STRBUF_INIT;
	appctl_error *err;
	char *cursor, *line;

	*principal = NULL;
	*why = NULL;
	if (!signature || !*signature) {
		*why = strdup("not signed");
		return *why ? NULL : appctl_error_nomem();
	}
	verify_time_option(at_option, sizeof(at_option), at);
	err = tmpdir_make(&t);
	if (err)
		return err;
	/* Named as the user knows them, since ssh-keygen's messages name them. */
	tmpdir_file(allowed_path, sizeof(allowed_path), &t, "allowed_signers");
	tmpdir_file(data_path, sizeof(data_path), &t, "event.json");
	tmpdir_file(sig_path, sizeof(sig_path), &t, "event.json.sig");
	err = write_new_file(allowed_path, allowed_signers ? allowed_signers : "",
		allowed_signers ? strlen(allowed_signers) : 0);
	if (!err)
		err = write_new_file(data_path, data, len);
	if (!err)
		err = write_new_file(sig_path, signature, strlen(signature));
	if (err)
		goto done;
	{
		char *argv[] = { (char *)"ssh-keygen", (char *)"-Y",
			(char *)"find-principals", (char *)"-s", sig_path,
			(char *)"-f", allowed_path, (char *)"-O", at_option, NULL };

		err = run_ssh_keygen(&found, argv, NULL, VERIFY_TIMEOUT_MS);
	}
	if (err)
		goto done;
	have_found = 1;
	if (!found.exited || found.status != 0 || !found.out.ptr) {
		/* The usual case deserves plain words; others keep ssh-keygen's. */
		if (found.err.ptr && strcmp(found.err.ptr, "No principal matched.\n") == 0)
			*why = strdup("no principal in allowed_signers has this key");
		else
			*why = messages_line(&found.err, &t);
		if (!*why)
			err = appctl_error_nomem();
		goto done;
	}
	/*
	 * Several principals may share one key; each is tried, since
	 * find-principals does not check namespaces= and verify does.
	 * Patterns ("*@example.com") are not identities and are skipped.
	 */
	for (cursor = found.out.ptr; cursor && *cursor; cursor = line) {
		run_result ver;
		char *nl = strchr(cursor, '\n'), *candidate = cursor;

		line = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		if (!appctl_principal_is_valid(candidate)) {
			if (*candidate) {
				if (reasons.len)
					appctl_strbuf_puts(&reasons, "; ");
				appctl_strbuf_printf(&reasons,
					"allowed_signers names '%.100s', not a principal",
					candidate);
			}
			continue;
		}
		{
			char *argv[] = { (char *)"ssh-keygen", (char *)"-Y",
				(char *)"verify", (char *)"-f", allowed_path,
				(char *)"-I", candidate, (char *)"-n",
				(char *)APPCTL_SIGN_NAMESPACE, (char *)"-s", sig_path,
				(char *)"-O", at_option, NULL };

			err = run_ssh_keygen(&ver, argv, data_path,
				VERIFY_TIMEOUT_MS);
		}
		if (err)
			goto done;
		if (ver.exited && ver.status == 0 && has_good_line(&ver.out)) {
			run_result_dispose(&ver);
			*principal = strdup(candidate);
			if (!*principal)
				err = appctl_error_nomem();
			goto done;
		}
		{
			char *m = messages_line(&ver.err, &t);

			if (reasons.len)
				appctl_strbuf_puts(&reasons, "; ");
			appctl_strbuf_printf(&reasons, "%s: %s", candidate,
				m ? m : "out of memory");
			free(m);
		}
		run_result_dispose(&ver);
	}
	if (!reasons.len)
		appctl_strbuf_puts(&reasons, "no principal matched");
	*why = appctl_strbuf_detach(&reasons);
	if (!*why)
		err = appctl_error_nomem();
done:
	appctl_strbuf_dispose(&reasons);
	if (have_found)
		run_result_dispose(&found);
	tmpdir_remove(&t);
	return err;
}

appctl_error *appctl_ssh_verify(char **principal, char **why,
	const char *allowed_signers, const char *data, size_t len,
	const char *signature, int64_t at)
{
	int decided = 0;
	appctl_error *err = appctl_sshsig_verify(&decided, principal, why,
		allowed_signers, data, len, signature, at);

	/* Keys not verified in-process (security keys, DSA) keep ssh-keygen's answer. */
	if (err || decided)
		return err;
	return appctl_ssh_verify_keygen(principal, why, allowed_signers, data,
		len, signature, at);
}

appctl_error *appctl_ssh_public_key(char **out, const char *key_file)
{
	run_result r;
	appctl_error *err;
	char *argv[] = { (char *)"ssh-keygen", (char *)"-y", (char *)"-f",
		(char *)key_file, NULL };
	char *nl;

	*out = NULL;
	err = run_ssh_keygen(&r, argv, NULL, VERIFY_TIMEOUT_MS);
	if (err)
		return err;
	if (!r.exited || r.status != 0 || !r.out.ptr) {
		tmpdir none = { "", 0 };
		char *why = messages_line(&r.err, &none);

		err = appctl_error_new(APPCTL_ESYSTEM, "cannot read key '%s': %s",
			key_file, why ? why : "out of memory");
		free(why);
		goto done;
	}
	nl = strchr(r.out.ptr, '\n');
	if (nl)
		*nl = '\0';
	*out = strdup(r.out.ptr);
	if (!*out)
		err = appctl_error_nomem();
done:
	run_result_dispose(&r);
	return err;
}

/*
 * The wire blob of the public key in a .pub file's first line ("type
 * base64 [comment]"); *blob NULL when the text is not one (caller frees).
 */
static void pub_line_blob(unsigned char **blob, size_t *len, const char *text)
{
	const char *type_end = strchr(text, ' '), *b64, *end;
	appctl_ssh_reader r;
	const unsigned char *name;
	size_t nlen;

	*blob = NULL;
	if (!type_end)
		return;
	b64 = type_end + 1;
	end = b64 + strcspn(b64, " \r\n");
	if (appctl_base64_decode(blob, len, b64, (size_t)(end - b64)) != 0)
		return;
	r.p = *blob;
	r.left = *len;
	/* A blob that names another type than its line is not this key. */
	if (appctl_ssh_read_string(&r, &name, &nlen) != 0 ||
	    nlen != (size_t)(type_end - text) || memcmp(name, text, nlen) != 0) {
		free(*blob);
		*blob = NULL;
	}
}

appctl_error *appctl_ssh_key_principal(int *known, char **principal,
	char **why, const char *key_file, const char *allowed_signers,
	int64_t at)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	unsigned char *blob = NULL;
	char *text = NULL;
	size_t len = 0, n = strlen(key_file);
	appctl_error *err;

	*known = 0;
	*principal = NULL;
	*why = NULL;
	/* ssh-keygen -Y sign reads KEY.pub (or KEY, when it is the public half). */
	appctl_strbuf_puts(&path, key_file);
	if (n < 4 || strcmp(key_file + n - 4, ".pub") != 0)
		appctl_strbuf_puts(&path, ".pub");
	if (path.failed) {
		appctl_strbuf_dispose(&path);
		return appctl_error_nomem();
	}
	/* No public half to read: the caller learns the principal by signing. */
	err = read_small_file(&text, path.ptr);
	appctl_strbuf_dispose(&path);
	if (err) {
		appctl_error_free(err);
		return NULL;
	}
	pub_line_blob(&blob, &len, text);
	err = blob ? appctl_sshsig_key_principal(known, principal, why,
		allowed_signers, blob, len, at) : NULL;
	free(blob);
	free(text);
	return err;
}
