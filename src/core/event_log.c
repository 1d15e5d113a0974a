/* event_log.c: every event type of the log, strictly read and written, and the derived state. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/event.h"
#include "appctl/json.h"
#include "appctl/model.h"
#include "appctl/strbuf.h"

static const char *const type_names[] = { "init", "approve", "revoke",
	"promote", "rollback" };

const char *appctl_event_type_name(appctl_event_type type)
{
	return (unsigned)type < 5 ? type_names[type] : "unknown";
}

/* How one key of an event is checked and where it lands in appctl_event. */
typedef enum {
	KEY_TIME,        /* "YYYY-MM-DDTHH:MM:SSZ" */
	KEY_PRINCIPAL,   /* email-like */
	KEY_NAME,        /* printable, non-empty (a promoter may be unverified) */
	KEY_ENV,         /* environment name */
	KEY_ID,          /* 40 hex digits */
	KEY_TEXT,        /* free text (comments) */
	KEY_BOOL,
	KEY_RELEASE,     /* integer >= 0 */
	KEY_IDS          /* array of ids */
} key_kind;

typedef struct event_key {
	const char *name;
	key_kind kind;
	int required;
	size_t offset;
} event_key;

#define F(member) offsetof(appctl_event, member)

static const event_key common_keys[] = {
	{ "time", KEY_TIME, 1, F(time) },
	{ "verified", KEY_BOOL, 1, F(verified) },
	{ NULL, 0, 0, 0 }
};

static const event_key approve_keys[] = {
	{ "principal", KEY_PRINCIPAL, 1, F(principal) },
	{ "env", KEY_ENV, 1, F(env) },
	{ "commit", KEY_ID, 1, F(commit) },
	{ "tree", KEY_ID, 1, F(tree) },
	{ "base", KEY_ID, 1, F(base) },
	{ "comment", KEY_TEXT, 0, F(comment) },
	{ NULL, 0, 0, 0 }
};

static const event_key revoke_keys[] = {
	{ "principal", KEY_PRINCIPAL, 1, F(principal) },
	{ "env", KEY_ENV, 1, F(env) },
	{ "commit", KEY_ID, 1, F(commit) },
	{ "comment", KEY_TEXT, 0, F(comment) },
	{ NULL, 0, 0, 0 }
};

static const event_key promote_keys[] = {
	{ "principal", KEY_NAME, 1, F(principal) },
	{ "env", KEY_ENV, 1, F(env) },
	{ "source", KEY_ENV, 1, F(source) },
	{ "from", KEY_ID, 1, F(from) },
	{ "to", KEY_ID, 1, F(to) },
	{ "release", KEY_RELEASE, 1, F(release) },
	{ "approvals", KEY_IDS, 1, F(approvals) },
	{ "break_glass", KEY_BOOL, 1, F(break_glass) },
	{ "comment", KEY_TEXT, 0, F(comment) },
	{ NULL, 0, 0, 0 }
};

static const event_key rollback_keys[] = {
	{ "principal", KEY_NAME, 1, F(principal) },
	{ "env", KEY_ENV, 1, F(env) },
	{ "from", KEY_ID, 1, F(from) },
	{ "to", KEY_ID, 1, F(to) },
	{ "release", KEY_RELEASE, 1, F(release) },
	{ "rollback_to", KEY_RELEASE, 1, F(rollback_to) },
	{ "approvals", KEY_IDS, 1, F(approvals) },
	{ "break_glass", KEY_BOOL, 1, F(break_glass) },
	{ "comment", KEY_TEXT, 0, F(comment) },
	{ NULL, 0, 0, 0 }
};

static const event_key *keys_of(appctl_event_type type)
{
	switch (type) {
	case APPCTL_EV_APPROVE: return approve_keys;
	case APPCTL_EV_REVOKE: return revoke_keys;
	case APPCTL_EV_PROMOTE: return promote_keys;
	case APPCTL_EV_ROLLBACK: return rollback_keys;
	default: return NULL;
	}
}

static const event_key *find_key(const event_key *keys, const char *name)
{
	for (; keys->name; keys++)
		if (strcmp(keys->name, name) == 0)
			return keys;
	return NULL;
}

/* Free text may not forge lines in reports or carry control characters. */
static int text_is_clean(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || n >= max)
			return 0;
	return 1;
}

static appctl_error *key_error(const char *file, const char *key,
	const char *message)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	appctl_error *err;

	appctl_strbuf_putc(&path, '$');
	if (key)
		appctl_json_path_key(&path, key);
	err = path.failed ? appctl_error_nomem()
		: appctl_error_input(file, path.ptr, "%s", message);
	appctl_strbuf_dispose(&path);
	return err;
}

/* Checks one value and stores it (strings copied into the arena). */
static appctl_error *take_value(appctl_event *ev, const char *file,
	const event_key *key, const cJSON *item)
{
	char *slot = (char *)ev + key->offset;
	int64_t n;

	switch (key->kind) {
	case KEY_BOOL:
		if (!cJSON_IsBool(item))
			return key_error(file, key->name, "expected true or false");
		*(int *)slot = cJSON_IsTrue(item);
		return NULL;
	case KEY_RELEASE:
		if (!appctl_json_integer(item, &n) || n < 0)
			return key_error(file, key->name,
				"expected a release number (an integer >= 0)");
		*(int64_t *)slot = n;
		return NULL;
	case KEY_IDS: {
		const cJSON *child;
		const char **ids;
		size_t count = (size_t)cJSON_GetArraySize(item), i = 0;

		if (!cJSON_IsArray(item))
			return key_error(file, key->name, "expected an array of event ids");
		ids = appctl_arena_calloc(ev->arena, count + 1, sizeof(*ids));
		if (!ids)
			return appctl_error_nomem();
		for (child = item->child; child; child = child->next, i++) {
			if (!cJSON_IsString(child) ||
			    !appctl_event_id_is_valid(child->valuestring))
				return key_error(file, key->name,
					"expected event ids (40 lowercase hex digits)");
			if (!(ids[i] = appctl_arena_strdup(ev->arena, child->valuestring)))
				return appctl_error_nomem();
		}
		ev->approvals = ids;
		ev->approval_count = count;
		return NULL;
	}
	default:
		break;
	}
	if (!cJSON_IsString(item))
		return key_error(file, key->name, "expected a string");
	switch (key->kind) {
	case KEY_TIME:
		if (!appctl_event_time_is_valid(item->valuestring))
			return key_error(file, key->name,
				"expected a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"");
		break;
	case KEY_PRINCIPAL:
		if (!appctl_principal_is_valid(item->valuestring))
			return key_error(file, key->name, "expected a principal");
		break;
	case KEY_NAME:
		if (!item->valuestring[0] || !text_is_clean(item->valuestring, 254))
			return key_error(file, key->name,
				"expected a name without control characters");
		break;
	case KEY_ENV:
		if (!appctl_env_name_is_valid(item->valuestring))
			return key_error(file, key->name, "expected an environment name");
		break;
	case KEY_ID:
		if (!appctl_event_id_is_valid(item->valuestring))
			return key_error(file, key->name,
				"expected a full id (40 lowercase hex digits)");
		break;
	default: /* KEY_TEXT */
		if (!text_is_clean(item->valuestring, 4096))
			return key_error(file, key->name,
				"expected one line of at most 4096 bytes");
		break;
	}
	*(const char **)slot = appctl_arena_strdup(ev->arena, item->valuestring);
	return *(const char **)slot ? NULL : appctl_error_nomem();
}

static appctl_error *take_keys(appctl_event *ev, const char *file,
	const cJSON *root, const event_key *keys)
{
	const event_key *k;
	appctl_error *err;

	for (k = keys; k->name; k++) {
		const cJSON *item = appctl_json_get(root, k->name);

		if (!item) {
			if (k->required)
				return key_error(file, k->name, "missing field");
			continue;
		}
		if ((err = take_value(ev, file, k, item)))
			return err;
	}
	return NULL;
}

static appctl_error *parse_generic(appctl_event *ev, const char *file,
	const cJSON *root)
{
	const event_key *keys = keys_of(ev->type);
	const cJSON *item;
	appctl_error *err;

	for (item = root->child; item; item = item->next) {
		if (strcmp(item->string, "appctl_event") == 0 ||
		    strcmp(item->string, "type") == 0 ||
		    find_key(common_keys, item->string) ||
		    find_key(keys, item->string))
			continue;
		return key_error(file, item->string, "unknown field for this event type");
	}
	if ((err = take_keys(ev, file, root, common_keys)) ||
	    (err = take_keys(ev, file, root, keys)))
		return err;
	if (ev->type == APPCTL_EV_PROMOTE && strcmp(ev->env, ev->source) == 0)
		return key_error(file, "source", "an environment is not promoted from itself");
	if ((ev->type == APPCTL_EV_PROMOTE || ev->type == APPCTL_EV_ROLLBACK) &&
	    ev->release < 1)
		return key_error(file, "release", "releases after init start at 1");
	if (ev->type == APPCTL_EV_ROLLBACK && ev->rollback_to >= ev->release)
		return key_error(file, "rollback_to",
			"a rollback returns to an earlier release");
	return NULL;
}

appctl_error *appctl_event_parse(appctl_event **out, const char *file,
	const char *data, size_t len)
{
	appctl_strbuf canon = APPCTL_STRBUF_INIT;
	appctl_arena *arena = NULL;
	appctl_event *ev = NULL;
	appctl_error *err = NULL;
	const cJSON *type, *version;
	cJSON *root = NULL;
	int64_t v;
	int t;

	*out = NULL;
	err = appctl_json_parse(&root, file, data, len);
	if (err)
		goto done;
	if (!cJSON_IsObject(root)) {
		err = key_error(file, NULL, "an event must be a JSON object");
		goto done;
	}
	/* One event, one encoding: the signed bytes are the canonical ones. */
	appctl_json_canonical(&canon, root);
	if (canon.failed) {
		err = appctl_error_nomem();
		goto done;
	}
	if (canon.len != len || memcmp(canon.ptr, data, len) != 0) {
		err = key_error(file, NULL,
			"not in canonical form (sorted keys, no whitespace)");
		goto done;
	}
	version = appctl_json_get(root, "appctl_event");
	if (!appctl_json_integer(version, &v) || v != APPCTL_EVENT_VERSION) {
		err = key_error(file, "appctl_event",
			"unsupported event version (expected 1)");
		goto done;
	}
	type = appctl_json_get(root, "type");
	for (t = 0; t < 5 && cJSON_IsString(type); t++)
		if (strcmp(type->valuestring, type_names[t]) == 0)
			break;
	if (!cJSON_IsString(type) || t == 5) {
		err = key_error(file, "type", "unknown event type");
		goto done;
	}
	arena = appctl_arena_new();
	ev = arena ? appctl_arena_calloc(arena, 1, sizeof(*ev)) : NULL;
	if (!ev || !(ev->json = appctl_arena_strndup(arena, data, len))) {
		err = appctl_error_nomem();
		goto done;
	}
	ev->arena = arena;
	ev->type = (appctl_event_type)t;
	ev->json_len = len;
	ev->rollback_to = -1;
	if (ev->type == APPCTL_EV_INIT) {
		appctl_init_event *init = NULL;

		err = appctl_init_event_parse(&init, file, data, len);
		if (err)
			goto done;
		/* Keep the init event alive as long as the generic one. */
		ev->init = init;
		ev->commit = init->commit;
		ev->time = init->time;
		ev->principal = init->principal;
		ev->verified = init->verified;
	} else if ((err = parse_generic(ev, file, root))) {
		goto done;
	}
	*out = ev;
	arena = NULL;
done:
	if (arena && ev && ev->init)
		appctl_init_event_free((appctl_init_event *)ev->init);
	appctl_arena_free(arena);
	appctl_strbuf_dispose(&canon);
	cJSON_Delete(root);
	return err;
}

void appctl_event_free(appctl_event *event)
{
	if (!event)
		return;
	if (event->init)
		appctl_init_event_free((appctl_init_event *)event->init);
	appctl_arena_free(event->arena);
}

static int add_value(cJSON *root, const appctl_event *ev, const event_key *k)
{
	const char *slot = (const char *)ev + k->offset;
	cJSON *arr;
	size_t i;

	switch (k->kind) {
	case KEY_BOOL:
		return cJSON_AddBoolToObject(root, k->name, *(const int *)slot) != NULL;
	case KEY_RELEASE:
		return cJSON_AddNumberToObject(root, k->name,
			(double)*(const int64_t *)slot) != NULL;
	case KEY_IDS:
		arr = cJSON_AddArrayToObject(root, k->name);
		for (i = 0; arr && i < ev->approval_count; i++) {
			cJSON *s = cJSON_CreateString(ev->approvals[i]);

			if (!s || !cJSON_AddItemToArray(arr, s)) {
				cJSON_Delete(s);
				return 0;
			}
		}
		return arr != NULL;
	default:
		if (!*(const char *const *)slot)
			return !k->required;
		return cJSON_AddStringToObject(root, k->name,
			*(const char *const *)slot) != NULL;
	}
}

appctl_error *appctl_event_format(char **out, const appctl_event *ev)
{
	appctl_strbuf buf = APPCTL_STRBUF_INIT;
	const event_key *keys = keys_of(ev->type), *k;
	appctl_event *check = NULL;
	appctl_error *err = NULL;
	cJSON *root = NULL;

	*out = NULL;
	if (!keys)
		return appctl_error_new(APPCTL_ESYSTEM,
			"init events are written with appctl_init_event_format");
	root = cJSON_CreateObject();
	if (!root || !cJSON_AddNumberToObject(root, "appctl_event",
			APPCTL_EVENT_VERSION) ||
	    !cJSON_AddStringToObject(root, "type", type_names[ev->type])) {
		err = appctl_error_nomem();
		goto done;
	}
	for (k = common_keys; k->name; k++)
		if (!add_value(root, ev, k))
			goto missing;
	for (k = keys; k->name; k++)
		if (!add_value(root, ev, k))
			goto missing;
	appctl_json_canonical(&buf, root);
	if (buf.failed) {
		err = appctl_error_nomem();
		goto done;
	}
	/* What is written must read back: the parser is the one authority. */
	err = appctl_event_parse(&check, "event.json", buf.ptr, buf.len);
	if (err) {
		err = appctl_error_wrap(err, "cannot write this %s event",
			type_names[ev->type]);
		goto done;
	}
	*out = appctl_strbuf_detach(&buf);
	if (!*out)
		err = appctl_error_nomem();
	goto done;
missing:
	err = appctl_error_new(APPCTL_ESYSTEM, "cannot write a %s event without "
		"\"%s\"", type_names[ev->type], k->name);
done:
	appctl_event_free(check);
	appctl_strbuf_dispose(&buf);
	cJSON_Delete(root);
	return err;
}

/* ---- derived state ---- */

static int env_state_cmp(const void *a, const void *b)
{
	return strcmp(((const appctl_env_state *)a)->env,
		((const appctl_env_state *)b)->env);
}

const appctl_env_state *appctl_log_state_env(const appctl_log_state *state,
	const char *env)
{
	size_t i;

	for (i = 0; state && i < state->env_count; i++)
		if (strcmp(state->envs[i].env, env) == 0)
			return &state->envs[i];
	return NULL;
}

static appctl_log_state *state_new(size_t env_count)
{
	appctl_arena *arena = appctl_arena_new();
	appctl_log_state *s = arena ? appctl_arena_calloc(arena, 1, sizeof(*s)) : NULL;

	if (!s) {
		appctl_arena_free(arena);
		return NULL;
	}
	s->arena = arena;
	s->envs = appctl_arena_calloc(arena, env_count, sizeof(*s->envs));
	if (!s->envs) {
		appctl_arena_free(arena);
		return NULL;
	}
	return s;
}

void appctl_log_state_free(appctl_log_state *state)
{
	if (state)
		appctl_arena_free(state->arena);
}

static void copy_id(char dst[41], const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n > 40)
		n = 40;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

appctl_error *appctl_log_state_next(appctl_log_state **out,
	const appctl_log_state *prev, const appctl_event *ev, const char *event_id)
{
	appctl_log_state *s;
	appctl_env_state *e = NULL;
	size_t i, n;

	*out = NULL;
	if (ev->type == APPCTL_EV_INIT) {
		if (prev)
			return appctl_error_input(NULL, NULL,
				"an init event can only start the log");
		n = ev->init->environment_count;
		if (!(s = state_new(n)))
			return appctl_error_nomem();
		for (i = 0; i < n; i++) {
			e = &s->envs[i];
			if (!(e->env = appctl_arena_strdup(s->arena,
					ev->init->environments[i]))) {
				appctl_log_state_free(s);
				return appctl_error_nomem();
			}
			e->release = 0;
			copy_id(e->commit, ev->init->releases[i]);
			copy_id(e->event, event_id);
		}
		s->env_count = n;
		s->seq = 1;
		qsort(s->envs, n, sizeof(*s->envs), env_state_cmp);
		*out = s;
		return NULL;
	}
	if (!prev)
		return appctl_error_input(NULL, NULL,
			"the log must start with an init event");
	if (!(s = state_new(prev->env_count)))
		return appctl_error_nomem();
	for (i = 0; i < prev->env_count; i++) {
		s->envs[i] = prev->envs[i];
		if (!(s->envs[i].env = appctl_arena_strdup(s->arena, prev->envs[i].env))) {
			appctl_log_state_free(s);
			return appctl_error_nomem();
		}
		if (ev->env && strcmp(ev->env, s->envs[i].env) == 0)
			e = &s->envs[i];
	}
	s->env_count = prev->env_count;
	s->seq = prev->seq + 1;
	if (ev->type == APPCTL_EV_PROMOTE || ev->type == APPCTL_EV_ROLLBACK) {
		if (!e) {
			appctl_log_state_free(s);
			return appctl_error_input(NULL, NULL,
				"environment \"%s\" has no release 0 in the log",
				ev->env);
		}
		/* A release continues exactly where the environment stands. */
		if (ev->release != e->release + 1 || strcmp(ev->from, e->commit) != 0) {
			appctl_error *err = appctl_error_new(APPCTL_ECONFLICT,
				"%s is at release %lld (%.7s), not the release %lld "
				"from %.7s this %s continues", e->env,
				(long long)e->release, e->commit,
				(long long)ev->release - 1, ev->from,
				appctl_event_type_name(ev->type));

			appctl_log_state_free(s);
			return err;
		}
		copy_id(e->previous, e->commit);
		copy_id(e->commit, ev->to);
		copy_id(e->event, event_id);
		e->release = ev->release;
	}
	*out = s;
	return NULL;
}

appctl_error *appctl_log_state_format(char **out, const appctl_log_state *state)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	size_t i;

	appctl_strbuf_puts(&b, "{\"envs\":{");
	for (i = 0; i < state->env_count; i++) {
		const appctl_env_state *e = &state->envs[i];

		appctl_strbuf_puts(&b, i ? "," : "");
		appctl_json_quote(&b, e->env);
		appctl_strbuf_printf(&b, ":{\"commit\":\"%s\",\"event\":\"%s\"",
			e->commit, e->event);
		if (e->previous[0])
			appctl_strbuf_printf(&b, ",\"previous\":\"%s\"", e->previous);
		appctl_strbuf_printf(&b, ",\"release\":%lld}", (long long)e->release);
	}
	appctl_strbuf_printf(&b, "},\"seq\":%lld}", (long long)state->seq);
	*out = appctl_strbuf_detach(&b);
	return *out ? NULL : appctl_error_nomem();
}

appctl_error *appctl_log_state_parse(appctl_log_state **out, const char *file,
	const char *data, size_t len)
{
	static const char *const entry_keys[] = { "commit", "event", "previous",
		"release", NULL };
	const cJSON *envs, *item, *k;
	appctl_log_state *s = NULL;
	appctl_error *err = NULL;
	cJSON *root = NULL;
	size_t i = 0, j;
	int64_t v;

	*out = NULL;
	if ((err = appctl_json_parse(&root, file, data, len)))
		return err;
	envs = appctl_json_get(root, "envs");
	if (!cJSON_IsObject(root) || cJSON_GetArraySize(root) != 2 ||
	    !cJSON_IsObject(envs) ||
	    !appctl_json_integer(appctl_json_get(root, "seq"), &v) || v < 1) {
		err = appctl_error_input(file, "$",
			"expected {\"envs\": {...}, \"seq\": N}");
		goto done;
	}
	if (!(s = state_new((size_t)cJSON_GetArraySize(envs)))) {
		err = appctl_error_nomem();
		goto done;
	}
	s->seq = v;
	for (item = envs->child; item; item = item->next, i++) {
		appctl_env_state *e = &s->envs[i];
		const cJSON *commit = appctl_json_get(item, "commit");
		const cJSON *event = appctl_json_get(item, "event");
		const cJSON *prev = appctl_json_get(item, "previous");

		for (k = cJSON_IsObject(item) ? item->child : NULL; k; k = k->next) {
			for (j = 0; entry_keys[j]; j++)
				if (strcmp(entry_keys[j], k->string) == 0)
					break;
			if (!entry_keys[j])
				break;
		}
		if (!cJSON_IsObject(item) || k || !appctl_env_name_is_valid(item->string) ||
		    !cJSON_IsString(commit) || !appctl_event_id_is_valid(commit->valuestring) ||
		    !cJSON_IsString(event) || !appctl_event_id_is_valid(event->valuestring) ||
		    (prev && (!cJSON_IsString(prev) ||
			      !appctl_event_id_is_valid(prev->valuestring))) ||
		    !appctl_json_integer(appctl_json_get(item, "release"), &v) || v < 0) {
			appctl_strbuf path = APPCTL_STRBUF_INIT;

			appctl_strbuf_puts(&path, "$.envs");
			appctl_json_path_key(&path, item->string);
			err = path.failed ? appctl_error_nomem()
				: appctl_error_input(file, path.ptr,
					"expected {commit, event, [previous], release}");
			appctl_strbuf_dispose(&path);
			goto done;
		}
		if (!(e->env = appctl_arena_strdup(s->arena, item->string))) {
			err = appctl_error_nomem();
			goto done;
		}
		e->release = v;
		copy_id(e->commit, commit->valuestring);
		copy_id(e->event, event->valuestring);
		copy_id(e->previous, prev ? prev->valuestring : "");
	}
	s->env_count = i;
	qsort(s->envs, i, sizeof(*s->envs), env_state_cmp);
	*out = s;
	s = NULL;
done:
	appctl_log_state_free(s);
	cJSON_Delete(root);
	return err;
}
