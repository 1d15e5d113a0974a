/* model_internal.h: the two ways model_parse.c and model_fast.c turn app.json into a model, for each other and the tests. */
#ifndef APPCTL_MODEL_INTERNAL_H
#define APPCTL_MODEL_INTERNAL_H

#include "appctl/json.h"
#include "appctl/model.h"

/*
 * The full parse: JSON tree, then every schema check, every error found.
 * appctl_app_parse is this after appctl_app_parse_fast said no.
 */
appctl_error *appctl_app_parse_tree(appctl_app **out, appctl_arena *arena,
	const appctl_file *file, const char *dir);

/*
 * The same model as appctl_app_parse_tree, straight from the bytes, for a
 * file it accepts without a single error; 1 then, with *out in `arena`.
 * Anything else (an error, an escape, a number or a byte it does not read
 * plainly, no memory) is 0 and leaves no trace but unused arena memory:
 * the caller goes the full way, which decides and words the errors. So this
 * may refuse whatever it likes, and never accept what the full parse
 * refuses, nor build another model.
 */
int appctl_app_parse_fast(appctl_app **out, appctl_arena *arena,
	const appctl_file *file, const char *dir);

/*
 * One page of "pages" from its JSON object, as the full parse builds it
 * (`p->name` is left alone): 1, or 0 when the page holds an error.
 */
int appctl_page_from_tree(appctl_page *p, appctl_arena *arena,
	const cJSON *item, const char *file);

/*
 * The keys each closed object of app.json allows, and the words of its
 * enums, NULL-terminated: one table for both parsers, so that the fast one
 * can never allow a key the full one refuses. The enums name the positions.
 */
enum { K_APP_SCHEMA, K_APP_NAME, K_APP_CLASS, K_APP_OWNERS, K_APP_DATA,
	K_APP_ROLES, K_APP_PAGES, K_APP_INTEGRATIONS, K_APP_DESCRIPTION,
	K_APP_AI };
extern const char *const appctl_app_keys[];
enum { K_OWNER_BUSINESS, K_OWNER_TECHNICAL };
extern const char *const appctl_owner_keys[];
enum { K_RESOURCE_SOURCE, K_RESOURCE_TENANT_KEY, K_RESOURCE_RETENTION_DAYS,
	K_RESOURCE_FIELDS, K_RESOURCE_STORAGE, K_RESOURCE_DESCRIPTION };
extern const char *const appctl_resource_keys[];
enum { K_FIELD_SENSITIVITY, K_FIELD_DESCRIPTION };
extern const char *const appctl_field_keys[];
enum { K_ROLE_MEMBERS, K_ROLE_GRANTS, K_ROLE_JUSTIFICATION,
	K_ROLE_DESCRIPTION };
extern const char *const appctl_role_keys[];
enum { K_MEMBER_PRINCIPAL, K_MEMBER_EXPIRES };
extern const char *const appctl_member_keys[];
enum { K_GRANT_RESOURCE, K_GRANT_ACTIONS, K_GRANT_HIDDEN_FIELDS,
	K_GRANT_JUSTIFICATION };
extern const char *const appctl_grant_keys[];
enum { K_INTEGRATION_KIND, K_INTEGRATION_OWNER, K_INTEGRATION_SCOPES,
	K_INTEGRATION_CREDENTIAL, K_INTEGRATION_ON_FAILURE,
	K_INTEGRATION_RATE_LIMIT, K_INTEGRATION_JUSTIFICATION,
	K_INTEGRATION_DESCRIPTION, K_INTEGRATION_READS, K_INTEGRATION_WRITES };
extern const char *const appctl_integration_keys[];
enum { K_AI_READS, K_AI_JUSTIFICATION, K_AI_DESCRIPTION };
extern const char *const appctl_ai_keys[];
enum { K_AI_READ_RESOURCE, K_AI_READ_FIELDS };
extern const char *const appctl_ai_read_keys[];

/* Enums: the model stores the position (storage: plus one, 0 = unset). */
extern const char *const appctl_class_names[];
extern const char *const appctl_sensitivity_names[];
extern const char *const appctl_storage_names[];
extern const char *const appctl_on_failure_names[];

/* The limits of the two integers of app.json. */
#define APPCTL_RETENTION_DAYS_MAX 365000
#define APPCTL_RATE_LIMIT_MAX 100000000

#endif
