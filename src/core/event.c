/* event.c: log events as canonical JSON and their strict reading (pure: no I/O). */
#include "appctl/event.h"

#include <stdlib.h>
#include <string.h>

#include "appctl/json.h"
#include "appctl/model.h"
#include "appctl/strbuf.h"

int appctl_event_id_is_valid(const char *s)
{
	size_t i;

	for (i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[40] == '\0';
}

static int digits(const char *s, size_t n, int *value)
{
	size_t i;

	*value = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*value = *value * 10 + (s[i] - '0');
	}
	return 1;
}

int appctl_event_time_is_valid(const char *s)
{
	char date[11];
	appctl_date day;
	int h, m, sec;

	if (strlen(s) != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
		s[19] != 'Z')
		return 0;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (appctl_date_parse(&day, date) != 0)
		return 0;
	/* 60 seconds: a leap second is a real UTC time. */
	return digits(s + 11, 2, &h) && digits(s + 14, 2, &m) &&
		digits(s + 17, 2, &sec) && h < 24 && m < 60 && sec <= 60;
}

/* Principals are shown in reports one per line: no control characters. */
static int principal_is_printable(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* The checks shared by the writer and the reader; NULL when the event is sound. */
static const char *init_event_problem(const appctl_init_event *ev,
	size_t *bad_index)
{
	size_t i, j;

	*bad_index = 0;
	if (!ev->commit || !appctl_event_id_is_valid(ev->commit))
		return "commit";
	if (ev->environment_count == 0)
		return "environments";
	for (i = 0; i < ev->environment_count; i++) {
		*bad_index = i;
		if (!appctl_env_name_is_valid(ev->environments[i]))
			return "environments";
		for (j = 0; j < i; j++)
			if (!strcmp(ev->environments[i], ev->environments[j]))
				return "environments";
		if (!ev->releases[i] ||
			!appctl_event_id_is_valid(ev->releases[i]))
			return "releases";
	}
	if (!ev->time || !appctl_event_time_is_valid(ev->time))
		return "time";
	if (!ev->principal || !principal_is_printable(ev->principal))
		return "principal";
	return NULL;
}

appctl_error *appctl_init_event_format(char **out,
	const appctl_init_event *event)
{
	appctl_error *err = NULL;
	appctl_strbuf buf = APPCTL_STRBUF_INIT;
	cJSON *root = NULL, *envs, *releases;
	const char *problem;
	size_t i, bad;

	*out = NULL;
	problem = init_event_problem(event, &bad);
	if (problem) {
		err = appctl_error_new(APPCTL_ESYSTEM,
			"cannot write an init event with an invalid \"%s\"",
			problem);
		goto cleanup;
	}
	root = cJSON_CreateObject();
	envs = cJSON_AddArrayToObject(root, "environments");
	releases = cJSON_AddObjectToObject(root, "releases");
	if (!root || !envs || !releases ||
		!cJSON_AddNumberToObject(root, "appctl_event",
			APPCTL_EVENT_VERSION) ||
		!cJSON_AddStringToObject(root, "type", "init") ||
		!cJSON_AddStringToObject(root, "commit", event->commit) ||
		!cJSON_AddStringToObject(root, "time", event->time) ||
		!cJSON_AddStringToObject(root, "principal", event->principal) ||
		!cJSON_AddBoolToObject(root, "verified",
			event->verified ? 1 : 0)) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	for (i = 0; i < event->environment_count; i++) {
		cJSON *name = cJSON_CreateString(event->environments[i]);

		if (!name || !cJSON_AddItemToArray(envs, name)) {
			cJSON_Delete(name);
			err = appctl_error_nomem();
			goto cleanup;
		}
		if (!cJSON_AddStringToObject(releases, event->environments[i],
			    event->releases[i])) {
			err = appctl_error_nomem();
			goto cleanup;
		}
	}
	appctl_json_canonical(&buf, root);
	*out = appctl_strbuf_detach(&buf);
	if (!*out)
		err = appctl_error_nomem();
cleanup:
	appctl_strbuf_dispose(&buf);
	cJSON_Delete(root);
	return err;
}

static const char *const init_keys[] = { "appctl_event", "commit",
	"environments", "principal", "releases", "time", "type", "verified",
	NULL };

/* An input error at `$.key` (or `$.key[index]` / `$.key.sub`), in `file`. */
static appctl_error *field_error(const char *file, const char *key,
	const char *sub, long index, const char *message)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT;
	appctl_error *err;

	appctl_strbuf_putc(&path, '$');
	if (key)
		appctl_json_path_key(&path, key);
	if (sub)
		appctl_json_path_key(&path, sub);
	if (index >= 0)
		appctl_json_path_index(&path, (size_t)index);
	if (path.failed) {
		appctl_strbuf_dispose(&path);
		return appctl_error_nomem();
	}
	err = appctl_error_input(file, path.ptr, "%s", message);
	appctl_strbuf_dispose(&path);
	return err;
}

static appctl_error *check_keys(const cJSON *root, const char *file)
{
	const cJSON *item;
	size_t i;

	for (item = root->child; item; item = item->next) {
		for (i = 0; init_keys[i]; i++)
			if (strcmp(item->string, init_keys[i]) == 0)
				break;
		if (!init_keys[i])
			return field_error(file, item->string, NULL, -1,
				"unknown field in an init event");
	}
	for (i = 0; init_keys[i]; i++)
		if (!appctl_json_get(root, init_keys[i]))
			return field_error(file, init_keys[i], NULL, -1,
				"missing field of an init event");
	return NULL;
}

static const char *string_of(const cJSON *root, const char *key)
{
	const cJSON *item = appctl_json_get(root, key);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

appctl_error *appctl_init_event_parse(appctl_init_event **out, const char *file,
	const char *data, size_t len)
{
	appctl_error *err = NULL;
	appctl_init_event *ev = NULL;
	appctl_arena *arena = NULL;
	cJSON *root = NULL;
	const cJSON *item, *envs, *releases;
	const char *problem;
	int64_t version;
	size_t i, bad;

	*out = NULL;
	err = appctl_json_parse(&root, file, data, len);
	if (err)
		goto cleanup;
	if (!cJSON_IsObject(root)) {
		err = appctl_error_input(file, "$",
			"an event must be a JSON object");
		goto cleanup;
	}
	err = check_keys(root, file);
	if (err)
		goto cleanup;
	if (!appctl_json_integer(appctl_json_get(root, "appctl_event"),
		    &version) ||
		version != APPCTL_EVENT_VERSION) {
		err = field_error(file, "appctl_event", NULL, -1,
			"unsupported event version (expected 1)");
		goto cleanup;
	}
	item = appctl_json_get(root, "type");
	if (!cJSON_IsString(item) || strcmp(item->valuestring, "init") != 0) {
		err = field_error(file, "type", NULL, -1, "expected \"init\"");
		goto cleanup;
	}
	if (!cJSON_IsBool(appctl_json_get(root, "verified"))) {
		err = field_error(file, "verified", NULL, -1,
			"expected true or false");
		goto cleanup;
	}
	envs = appctl_json_get(root, "environments");
	releases = appctl_json_get(root, "releases");
	if (!cJSON_IsArray(envs)) {
		err = field_error(file, "environments", NULL, -1,
			"expected an array of environment names");
		goto cleanup;
	}
	if (!cJSON_IsObject(releases)) {
		err = field_error(file, "releases", NULL, -1,
			"expected an object of commit ids");
		goto cleanup;
	}
	if (cJSON_GetArraySize(envs) == 0) {
		err = field_error(file, "environments", NULL, -1,
			"needs at least one environment");
		goto cleanup;
	}
	arena = appctl_arena_new();
	ev = arena ? appctl_arena_calloc(arena, 1, sizeof(*ev)) : NULL;
	if (!ev) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	ev->arena = arena;
	ev->environment_count = (size_t)cJSON_GetArraySize(envs);
	ev->environments = appctl_arena_calloc(arena, ev->environment_count + 1,
		sizeof(*ev->environments));
	ev->releases = appctl_arena_calloc(arena, ev->environment_count + 1,
		sizeof(*ev->releases));
	if (!ev->environments || !ev->releases) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	i = 0;
	for (item = envs->child; item; item = item->next, i++) {
		if (!cJSON_IsString(item)) {
			err = field_error(file, "environments", NULL, (long)i,
				"expected an environment name");
			goto cleanup;
		}
		ev->environments[i] = item->valuestring;
		ev->releases[i] = string_of(releases, item->valuestring);
		if (!appctl_json_get(releases, item->valuestring)) {
			err = field_error(file, "releases", NULL, -1,
				"no release 0 for an environment of \"environments\"");
			goto cleanup;
		}
	}
	for (item = releases->child; item; item = item->next) {
		for (i = 0; i < ev->environment_count; i++)
			if (strcmp(item->string, ev->environments[i]) == 0)
				break;
		if (i == ev->environment_count) {
			err = field_error(file, "releases", item->string, -1,
				"not one of \"environments\"");
			goto cleanup;
		}
	}
	ev->commit = string_of(root, "commit");
	ev->time = string_of(root, "time");
	ev->principal = string_of(root, "principal");
	ev->verified = cJSON_IsTrue(appctl_json_get(root, "verified"));
	problem = init_event_problem(ev, &bad);
	if (problem) {
		if (strcmp(problem, "environments") == 0)
			err = field_error(file, problem, NULL, (long)bad,
				"invalid or repeated environment name");
		else if (strcmp(problem, "releases") == 0)
			err = field_error(file, problem, ev->environments[bad],
				-1,
				"expected a full commit id (40 lowercase hex digits)");
		else if (strcmp(problem, "commit") == 0)
			err = field_error(file, problem, NULL, -1,
				"expected a full commit id (40 lowercase hex digits)");
		else if (strcmp(problem, "time") == 0)
			err = field_error(file, problem, NULL, -1,
				"expected a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"");
		else
			err = field_error(file, problem, NULL, -1,
				"expected a non-empty string without control characters");
		goto cleanup;
	}
	/* The strings still point into the cJSON tree: move them to the arena. */
	ev->commit = appctl_arena_strdup(arena, ev->commit);
	ev->time = appctl_arena_strdup(arena, ev->time);
	ev->principal = appctl_arena_strdup(arena, ev->principal);
	if (!ev->commit || !ev->time || !ev->principal) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	for (i = 0; i < ev->environment_count; i++) {
		ev->environments[i] =
			appctl_arena_strdup(arena, ev->environments[i]);
		ev->releases[i] = appctl_arena_strdup(arena, ev->releases[i]);
		if (!ev->environments[i] || !ev->releases[i]) {
			err = appctl_error_nomem();
			goto cleanup;
		}
	}
	*out = ev;
	arena = NULL;
cleanup:
	appctl_arena_free(arena);
	cJSON_Delete(root);
	return err;
}

void appctl_init_event_free(appctl_init_event *event)
{
	/* The event itself lives in its arena. */
	if (event)
		appctl_arena_free(event->arena);
}

const char *appctl_init_event_release(const appctl_init_event *event,
	const char *env)
{
	size_t i;

	for (i = 0; i < event->environment_count; i++)
		if (strcmp(event->environments[i], env) == 0)
			return event->releases[i];
	return NULL;
}
