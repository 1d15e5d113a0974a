/* forge_event.c: appends one hand-made event to refs/appctl/log, as someone with git plumbing and a key could (tests only). */
/*
 * usage: forge_event -C REPO --type promote|rollback|approve|revoke --env ENV
 *          [--source ENV] [--from REV] [--to REV] [--release N]
 *          [--rollback-to N] [--approval ID]... [--break-glass]
 *          [--commit REV] [--tree TREE] [--base REV] [--principal P]
 *          [--time ISO] [--verified] [--comment TEXT] [--key PRIVATE_KEY]
 *          [--state-json FILE]
 *
 * Writes the event as canonical event.json (appctl_event_format), signs it
 * with `ssh-keygen -Y sign -n appctl -f KEY` when --key is given (the event
 * then claims to be verified), derives the next state.json honestly from
 * the log head's state (appctl_log_state_next) unless --state-json names a
 * file whose bytes are stored instead, and appends one log commit
 * (appctl_log_append). Nothing is judged: that is the point. Branches and
 * release tags are left alone; the caller moves them as an attacker would.
 *
 * Defaults: --from: the env's commit in the log state; --release: the
 * env's release + 1; --source: the environment before ENV in the policy
 * at the env's commit; --to (promote): the source branch's head; --to
 * (rollback): refs/tags/release/ENV/<rollback-to>; --commit: the source
 * branch's head; --base: the env's commit; --tree: the tree of --commit;
 * --time: now (UTC, by appctl's clock, which tests steer); --principal: git config user.email.
 *
 * Prints the event's id on stdout. Exit 0 on success, 2 on a usage error,
 * 1 on any other error (message on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "appctl/clock.h"
#include "appctl/error.h"
#include "appctl/event.h"
#include "appctl/log.h"
#include "appctl/model.h"
#include "appctl/rules.h"
#include "appctl/store.h"

#define MAX_APPROVALS 64
#define MAX_FILE (16L * 1024 * 1024)

typedef struct options {
	const char *dir;
	const char *type;
	const char *env;
	const char *source;
	const char *from;
	const char *to;
	const char *release;
	const char *rollback_to;
	const char *approvals[MAX_APPROVALS];
	size_t approval_count;
	int break_glass;
	const char *commit;
	const char *tree;
	const char *base;
	const char *principal;
	const char *time;
	int verified;
	const char *comment;
	const char *key;
	const char *state_json;
} options;

/* Everything main allocates, freed in one place. */
typedef struct forge {
	appctl_repo *repo;
	appctl_log_state *state;
	appctl_log_state *next;
	appctl_app_listing *listing;
	char *email;
	char *json;
	char *signature;
	char *state_text;
	char head[41];
	char from[41];
	char to[41];
	char commit[41];
	char tree[41];
	char base[41];
	char source_head[41];
	char id[41];
	char log_commit[41];
	char now[32];
} forge;

static void usage(FILE *to)
{
	fputs("usage: forge_event -C REPO --type promote|rollback|approve|revoke "
		"--env ENV\n"
		"         [--source ENV] [--from REV] [--to REV] [--release N]\n"
		"         [--rollback-to N] [--approval ID]... [--break-glass]\n"
		"         [--commit REV] [--tree TREE] [--base REV] [--principal P]\n"
		"         [--time ISO] [--verified] [--comment TEXT] [--key KEY]\n"
		"         [--state-json FILE]\n", to);
}

/* Prints `err` (consumed) as "forge_event: WHAT: TEXT"; returns 1. */
static int report(appctl_error *err, const char *what)
{
	char *text = appctl_error_format(err);

	fprintf(stderr, "forge_event: %s: %s\n", what,
		text ? text : "out of memory");
	free(text);
	appctl_error_free(err);
	return 1;
}

static int parse_options(options *o, int argc, char **argv)
{
	static const struct {
		const char *name;
		size_t offset;
	} strings[] = {
		{ "-C", offsetof(options, dir) },
		{ "--type", offsetof(options, type) },
		{ "--env", offsetof(options, env) },
		{ "--source", offsetof(options, source) },
		{ "--from", offsetof(options, from) },
		{ "--to", offsetof(options, to) },
		{ "--release", offsetof(options, release) },
		{ "--rollback-to", offsetof(options, rollback_to) },
		{ "--commit", offsetof(options, commit) },
		{ "--tree", offsetof(options, tree) },
		{ "--base", offsetof(options, base) },
		{ "--principal", offsetof(options, principal) },
		{ "--time", offsetof(options, time) },
		{ "--comment", offsetof(options, comment) },
		{ "--key", offsetof(options, key) },
		{ "--state-json", offsetof(options, state_json) },
	};
	int i;
	size_t k;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--break-glass") == 0) {
			o->break_glass = 1;
			continue;
		}
		if (strcmp(a, "--verified") == 0) {
			o->verified = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		for (k = 0; k < sizeof(strings) / sizeof(strings[0]); k++)
			if (strcmp(a, strings[k].name) == 0)
				break;
		if (k == sizeof(strings) / sizeof(strings[0]) &&
		    strcmp(a, "--approval") != 0) {
			fprintf(stderr, "forge_event: unknown option '%s'\n", a);
			return -1;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "forge_event: '%s' needs a value\n", a);
			return -1;
		}
		if (strcmp(a, "--approval") == 0) {
			if (o->approval_count == MAX_APPROVALS) {
				fprintf(stderr, "forge_event: too many approvals\n");
				return -1;
			}
			o->approvals[o->approval_count++] = argv[++i];
			continue;
		}
		*(const char **)((char *)o + strings[k].offset) = argv[++i];
	}
	if (!o->type || !o->env) {
		fprintf(stderr, "forge_event: --type and --env are required\n");
		return -1;
	}
	return 0;
}

/* A non-negative decimal number; -1 when `s` is not one. */
static int64_t parse_number(const char *s)
{
	char *end = NULL;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0)
		return -1;
	return (int64_t)v;
}

/*
 * A revision as a commit id. 40 lowercase hex digits are taken as they
 * are (an attacker may name any object, even a missing one); anything
 * else is resolved like appctl resolves revisions.
 */
static appctl_error *resolve(char out[41], appctl_repo *repo, const char *rev)
{
	if (appctl_event_id_is_valid(rev)) {
		memcpy(out, rev, 41);
		return NULL;
	}
	return appctl_repo_resolve(out, repo, rev);
}

/* The environment before `env` in the policy at commit `at`. */
static appctl_error *default_source(const char **out, forge *f,
	const char *env, const char *at)
{
	appctl_error *err;
	size_t i;

	*out = NULL;
	err = appctl_repo_list_apps(&f->listing, f->repo, at);
	if (err)
		return err;
	for (i = 1; i < f->listing->policy->environment_count; i++)
		if (strcmp(f->listing->policy->environments[i], env) == 0) {
			*out = f->listing->policy->environments[i - 1];
			return NULL;
		}
	return appctl_error_new(APPCTL_EUSAGE, "'%s' has no source environment "
		"in the policy at %.12s: pass --source", env, at);
}

/* The head of branch `name` into `out`. */
static appctl_error *branch_head(char out[41], appctl_repo *repo,
	const char *name)
{
	char ref[300];
	appctl_error *err;
	int found = 0;

	snprintf(ref, sizeof(ref), "refs/heads/%s", name);
	err = appctl_ref_read(out, &found, repo, ref);
	if (!err && !found)
		err = appctl_error_new(APPCTL_EUSAGE, "%s does not exist", ref);
	return err;
}

/*
 * Reads a whole file (at most 16 MiB) into a NUL-terminated string; with
 * `strip`, trailing newlines dropped (jq's, after a state.json).
 */
static appctl_error *read_file(char **out, const char *path, int strip)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL, *grown;
	size_t len = 0, cap = 0, n;

	*out = NULL;
	if (!fp)
		return appctl_error_new(APPCTL_ESYSTEM, "%s: %s", path,
			strerror(errno));
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (cap > (size_t)MAX_FILE || !(grown = realloc(buf, cap))) {
				free(buf);
				fclose(fp);
				return appctl_error_new(APPCTL_ESYSTEM, "%s: too large "
					"or out of memory", path);
			}
			buf = grown;
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		fclose(fp);
		return appctl_error_new(APPCTL_ESYSTEM, "%s: read error", path);
	}
	fclose(fp);
	while (strip && len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	*out = buf;
	return NULL;
}

static appctl_error *write_file(const char *path, const char *data)
{
	size_t len = strlen(data);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ssize_t n;

	if (fd < 0)
		return appctl_error_new(APPCTL_ESYSTEM, "%s: %s", path,
			strerror(errno));
	while (len) {
		n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return appctl_error_new(APPCTL_ESYSTEM, "%s: %s", path,
				strerror(errno));
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0)
		return appctl_error_new(APPCTL_ESYSTEM, "%s: %s", path,
			strerror(errno));
	return NULL;
}

/* Runs ssh-keygen -Y sign, its output into `log`; its exit status in *status. */
static appctl_error *run_ssh_keygen(int *status, const char *key,
	const char *data_path, const char *log)
{
	pid_t pid, w;
	int st = 0;

	pid = fork();
	if (pid < 0)
		return appctl_error_new(APPCTL_ESYSTEM, "fork: %s", strerror(errno));
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(out, 2) < 0)
			_exit(127);
		execlp("ssh-keygen", "ssh-keygen", "-q", "-Y", "sign", "-n",
			"appctl", "-f", key, data_path, (char *)NULL);
		_exit(127);
	}
	do
		w = waitpid(pid, &st, 0);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return appctl_error_new(APPCTL_ESYSTEM, "waitpid: %s",
			strerror(errno));
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return NULL;
}

/* The armored signature of `json` made with `key`, as appctl makes it. */
static appctl_error *sign(char **out, const char *key, const char *json)
{
	const char *base = getenv("TMPDIR");
	char dir[4096], data[4200], sig[4200], log[4200];
	appctl_error *err;
	int status = 0;

	*out = NULL;
	snprintf(dir, sizeof(dir), "%s/forge_event.XXXXXX",
		base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		return appctl_error_new(APPCTL_ESYSTEM, "mkdtemp %s: %s", dir,
			strerror(errno));
	snprintf(data, sizeof(data), "%s/event.json", dir);
	snprintf(sig, sizeof(sig), "%s/event.json.sig", dir);
	snprintf(log, sizeof(log), "%s/ssh-keygen.log", dir);
	err = write_file(data, json);
	if (!err)
		err = run_ssh_keygen(&status, key, data, log);
	if (!err && status != 0) {
		char *text = NULL;
		appctl_error *rerr = read_file(&text, log, 1);

		err = appctl_error_new(APPCTL_ESYSTEM, "ssh-keygen -Y sign -f %s "
			"exited %d: %s", key, status, text ? text : "");
		free(text);
		appctl_error_free(rerr);
	}
	if (!err)
		err = read_file(out, sig, 0);
	unlink(data);
	unlink(sig);
	unlink(log);
	rmdir(dir);
	return err;
}

static int type_of(appctl_event_type *out, const char *name)
{
	static const struct {
		const char *name;
		appctl_event_type type;
	} types[] = {
		{ "approve", APPCTL_EV_APPROVE },
		{ "revoke", APPCTL_EV_REVOKE },
		{ "promote", APPCTL_EV_PROMOTE },
		{ "rollback", APPCTL_EV_ROLLBACK },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0) {
			*out = types[i].type;
			return 0;
		}
	return -1;
}

static void forge_dispose(forge *f)
{
	free(f->email);
	free(f->json);
	free(f->signature);
	free(f->state_text);
	appctl_app_listing_free(f->listing);
	appctl_log_state_free(f->next);
	appctl_log_state_free(f->state);
	appctl_repo_free(f->repo);
}

/* Fills `ev` from the options and the log; the strings live in `f` and `o`. */
static appctl_error *build_event(appctl_event *ev, forge *f, const options *o)
{
	const appctl_env_state *e;
	appctl_error *err = NULL;
	const char *source = o->source;
	int release_type, need_source;
	int64_t n;

	memset(ev, 0, sizeof(*ev));
	if (type_of(&ev->type, o->type) != 0)
		return appctl_error_new(APPCTL_EUSAGE, "--type must be promote, "
			"rollback, approve or revoke, not '%s'", o->type);
	release_type = ev->type == APPCTL_EV_PROMOTE ||
		ev->type == APPCTL_EV_ROLLBACK;
	e = appctl_log_state_env(f->state, o->env);
	ev->env = o->env;
	ev->comment = o->comment;
	ev->release = -1;
	ev->rollback_to = -1;
	ev->verified = o->verified || o->key != NULL;

	if (o->time) {
		ev->time = o->time;
	} else {
		/* The clock the tests steer (APPCTL_TODAY), as appctl reads it. */
		appctl_time_format(f->now, sizeof(f->now), appctl_clock_now());
		ev->time = f->now;
	}
	if (o->principal) {
		ev->principal = o->principal;
	} else {
		err = appctl_repo_config_string(&f->email, f->repo, "user.email");
		if (!err && !f->email)
			err = appctl_error_new(APPCTL_EUSAGE, "no --principal and no "
				"git config user.email");
		if (err)
			return err;
		ev->principal = f->email;
	}

	/* The source environment: a promote names it; a default commit is its head. */
	need_source = ev->type == APPCTL_EV_PROMOTE ||
		(!release_type && !o->commit);
	if (need_source && !source) {
		if (!e)
			return appctl_error_new(APPCTL_EUSAGE, "'%s' is not in the "
				"log state: pass --source", o->env);
		if ((err = default_source(&source, f, o->env, e->commit)))
			return err;
	}
	if (need_source && !(ev->type == APPCTL_EV_PROMOTE ? o->to : o->commit) &&
	    (err = branch_head(f->source_head, f->repo, source)))
		return err;

	if (release_type) {
		if (o->from) {
			if ((err = resolve(f->from, f->repo, o->from)))
				return err;
		} else if (e) {
			memcpy(f->from, e->commit, 41);
		} else {
			return appctl_error_new(APPCTL_EUSAGE, "'%s' is not in the "
				"log state: pass --from", o->env);
		}
		ev->from = f->from;
		if (o->release) {
			if ((n = parse_number(o->release)) < 0)
				return appctl_error_new(APPCTL_EUSAGE, "--release "
					"'%s' is not a number", o->release);
			ev->release = n;
		} else if (e) {
			ev->release = e->release + 1;
		} else {
			return appctl_error_new(APPCTL_EUSAGE, "'%s' is not in the "
				"log state: pass --release", o->env);
		}
		ev->approvals = (const char **)o->approvals;
		ev->approval_count = o->approval_count;
		ev->break_glass = o->break_glass;
	}
	switch (ev->type) {
	case APPCTL_EV_PROMOTE:
		ev->source = source;
		if (o->to)
			err = resolve(f->to, f->repo, o->to);
		else
			memcpy(f->to, f->source_head, 41);
		ev->to = f->to;
		break;
	case APPCTL_EV_ROLLBACK:
		if (!o->rollback_to || (n = parse_number(o->rollback_to)) < 0)
			return appctl_error_new(APPCTL_EUSAGE, "a rollback needs "
				"--rollback-to N");
		ev->rollback_to = n;
		if (o->to) {
			err = resolve(f->to, f->repo, o->to);
		} else {
			char tag[300];
			int found = 0;

			snprintf(tag, sizeof(tag), "refs/tags/release/%s/%lld",
				o->env, (long long)n);
			err = appctl_ref_read(f->to, &found, f->repo, tag);
			if (!err && !found)
				err = appctl_error_new(APPCTL_EUSAGE, "%s does not "
					"exist: pass --to", tag);
		}
		ev->to = f->to;
		break;
	case APPCTL_EV_APPROVE:
	case APPCTL_EV_REVOKE:
		if (o->commit)
			err = resolve(f->commit, f->repo, o->commit);
		else
			memcpy(f->commit, f->source_head, 41);
		if (err)
			return err;
		ev->commit = f->commit;
		if (ev->type == APPCTL_EV_REVOKE)
			break;
		if (o->base) {
			if ((err = resolve(f->base, f->repo, o->base)))
				return err;
		} else if (e) {
			memcpy(f->base, e->commit, 41);
		} else {
			return appctl_error_new(APPCTL_EUSAGE, "'%s' is not in the "
				"log state: pass --base", o->env);
		}
		ev->base = f->base;
		if (o->tree)
			snprintf(f->tree, sizeof(f->tree), "%s", o->tree);
		else if ((err = appctl_commit_tree(f->tree, f->repo, f->commit)))
			return err;
		ev->tree = f->tree;
		break;
	case APPCTL_EV_INIT:
		break;
	}
	return err;
}

int main(int argc, char **argv)
{
	options o;
	forge f;
	appctl_event ev;
	appctl_error *err;
	int rc = 1;

	if (parse_options(&o, argc, argv) != 0) {
		usage(stderr);
		return 2;
	}
	memset(&f, 0, sizeof(f));
	err = appctl_repo_open(&f.repo, o.dir);
	if (err) {
		rc = report(err, "opening the repository");
		goto done;
	}
	err = appctl_log_head(f.head, &f.state, f.repo);
	if (!err && !f.state)
		err = appctl_error_new(APPCTL_EUSAGE, "%s does not exist yet: run "
			"'appctl init' first", APPCTL_LOG_REF);
	if (err) {
		rc = report(err, "reading the log head");
		goto done;
	}
	err = build_event(&ev, &f, &o);
	if (err) {
		rc = err->code == APPCTL_EUSAGE ? 2 : 1;
		report(err, "building the event");
		goto done;
	}
	if ((err = appctl_event_format(&f.json, &ev))) {
		rc = report(err, "formatting the event");
		goto done;
	}
	if (o.key && (err = sign(&f.signature, o.key, f.json))) {
		rc = report(err, "signing");
		goto done;
	}
	if ((err = appctl_log_event_id(f.id, f.repo, f.json))) {
		rc = report(err, "event id");
		goto done;
	}
	if (o.state_json) {
		err = read_file(&f.state_text, o.state_json, 1);
	} else {
		err = appctl_log_state_next(&f.next, f.state, &ev, f.id);
		if (!err)
			err = appctl_log_state_format(&f.state_text, f.next);
	}
	if (err) {
		rc = report(err, o.state_json ? "reading --state-json"
			: "deriving state.json (pass --state-json to store another)");
		goto done;
	}
	err = appctl_log_append(f.log_commit, f.repo, f.head, f.json,
		f.signature, f.state_text);
	if (err) {
		rc = report(err, "appending to " APPCTL_LOG_REF);
		goto done;
	}
	printf("%s\n", f.id);
	rc = fflush(stdout) == 0 ? 0 : 1;
done:
	forge_dispose(&f);
	return rc;
}
