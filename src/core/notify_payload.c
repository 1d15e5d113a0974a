/* notify_payload.c: the JSON a webhook receives, built from an event (pure, no I/O). */
#include <string.h>

#include "appctl/json.h"
#include "appctl/notify.h"
#include "appctl/strbuf.h"

void appctl_notify_event_from_log(appctl_notify_event *out,
	const appctl_event *ev, const char *event_id)
{
	memset(out, 0, sizeof(*out));
	out->type = appctl_event_type_name(ev->type);
	out->id = event_id ? event_id : ev->id;
	out->time = ev->time;
	out->env = ev->env;
	out->principal = ev->principal;
	out->verified = ev->verified;
	out->comment = ev->comment;
	out->release = -1;
	out->rollback_to = -1;
	switch (ev->type) {
	case APPCTL_EV_APPROVE:
	case APPCTL_EV_REVOKE:
		out->commit = ev->commit;
		out->base = ev->base;
		break;
	case APPCTL_EV_PROMOTE:
	case APPCTL_EV_ROLLBACK:
		out->source = ev->source;
		out->from = ev->from;
		out->to = ev->to;
		out->release = ev->release;
		out->rollback_to = ev->type == APPCTL_EV_ROLLBACK
			? ev->rollback_to : -1;
		out->break_glass = ev->break_glass;
		break;
	case APPCTL_EV_INIT:
		break;
	}
}

int appctl_notify_wants(const appctl_notify *entry,
	const appctl_notify_event *ev)
{
	unsigned bit = 0;

	if (!ev->type)
		return 0;
	if (strcmp(ev->type, "test") == 0)
		return 1;
	if (strcmp(ev->type, "promote") == 0)
		bit = APPCTL_NOTIFY_PROMOTE;
	else if (strcmp(ev->type, "rollback") == 0)
		bit = APPCTL_NOTIFY_ROLLBACK;
	else if (strcmp(ev->type, "approve") == 0)
		bit = APPCTL_NOTIFY_APPROVE;
	/* A break-glass release is what a `break_glass` subscriber waits for. */
	if (ev->break_glass && bit != APPCTL_NOTIFY_APPROVE)
		bit |= APPCTL_NOTIFY_BREAK_GLASS;
	return (entry->events & bit) != 0;
}

/* cJSON's adders return NULL when out of memory; count such failures. */
static void add_string(cJSON *obj, const char *key, const char *value,
	int *failed)
{
	if (value && !cJSON_AddStringToObject(obj, key, value))
		*failed = 1;
}

static void add_integer(cJSON *obj, const char *key, int64_t value,
	int *failed)
{
	if (!cJSON_AddNumberToObject(obj, key, (double)value))
		*failed = 1;
}

static void add_bool(cJSON *obj, const char *key, int value, int *failed)
{
	if (!cJSON_AddBoolToObject(obj, key, value ? 1 : 0))
		*failed = 1;
}

static cJSON *build_data(const appctl_notify_event *ev, int *failed)
{
	cJSON *data = cJSON_CreateObject();
	int is_release = ev->type && (strcmp(ev->type, "promote") == 0 ||
		strcmp(ev->type, "rollback") == 0);
	size_t i;

	if (!data) {
		*failed = 1;
		return NULL;
	}
	add_string(data, "repository", ev->repository, failed);
	add_string(data, "env", ev->env, failed);
	add_string(data, "principal", ev->principal, failed);
	add_bool(data, "verified", ev->verified, failed);
	add_string(data, "source", ev->source, failed);
	add_string(data, "from", ev->from, failed);
	add_string(data, "to", ev->to, failed);
	add_string(data, "commit", ev->commit, failed);
	add_string(data, "base", ev->base, failed);
	add_string(data, "comment", ev->comment, failed);
	if (ev->release >= 0)
		add_integer(data, "release", ev->release, failed);
	if (ev->rollback_to >= 0)
		add_integer(data, "rollback_to", ev->rollback_to, failed);
	if (is_release)
		add_bool(data, "break_glass", ev->break_glass, failed);
	/* Releases always say who approved, even nobody (an empty list). */
	if (is_release || ev->approver_count) {
		cJSON *arr = cJSON_AddArrayToObject(data, "approvers");

		if (!arr)
			*failed = 1;
		for (i = 0; arr && i < ev->approver_count; i++) {
			cJSON *s = cJSON_CreateString(ev->approvers[i]);

			if (!s || !cJSON_AddItemToArray(arr, s)) {
				cJSON_Delete(s);
				*failed = 1;
			}
		}
	}
	if (ev->has_summary) {
		cJSON *sum = cJSON_AddObjectToObject(data, "summary");

		if (!sum) {
			*failed = 1;
		} else {
			add_integer(sum, "high", (int64_t)ev->summary[2], failed);
			add_integer(sum, "medium", (int64_t)ev->summary[1], failed);
			add_integer(sum, "low", (int64_t)ev->summary[0], failed);
		}
	}
	return data;
}

appctl_error *appctl_notify_payload(char **out, const appctl_notify_event *ev)
{
	appctl_strbuf buf = APPCTL_STRBUF_INIT;
	cJSON *root = NULL, *data;
	appctl_error *err = NULL;
	int failed = 0;

	*out = NULL;
	if (!ev->type || !ev->id || !ev->time)
		return appctl_error_new(APPCTL_EINPUT,
			"notification without type, id or time");
	root = cJSON_CreateObject();
	if (!root) {
		err = appctl_error_nomem();
		goto cleanup;
	}
	add_string(root, "type", ev->type, &failed);
	add_string(root, "id", ev->id, &failed);
	add_string(root, "timestamp", ev->time, &failed);
	data = build_data(ev, &failed);
	if (data && !cJSON_AddItemToObject(root, "data", data)) {
		cJSON_Delete(data);
		failed = 1;
	}
	if (failed) {
		err = appctl_error_nomem();
		goto cleanup;
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
