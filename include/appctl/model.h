/* model.h: the parsed form of app definitions and of appctl.json (SPEC §1). */
#ifndef APPCTL_MODEL_H
#define APPCTL_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/arena.h"
#include "appctl/error.h"

/*
 * Everything here is allocated from an arena and freed with it; no function
 * in this header does I/O. Parsers check the schema strictly (unknown keys in
 * the normative core, wrong types, malformed principals, bad enum values are
 * APPCTL_EINPUT errors naming file and JSON path). Cross-references (a grant
 * on an undefined resource, an unknown action, ...) are not schema errors:
 * they are kept as written and reported by lint (lint.h).
 *
 * Named collections (resources, fields, roles, pages, integrations, groups,
 * credentials) are sorted by name, so every consumer sees one stable order.
 * Arrays that are lists in the file (members, grants, scopes, ...) keep the
 * file's order, and each element remembers its index for JSON paths.
 */

typedef enum {
	APPCTL_CLASS_DASHBOARD = 0,
	APPCTL_CLASS_ADMIN_PANEL,
	APPCTL_CLASS_CLIENT_PORTAL,
	APPCTL_CLASS_COUNT
} appctl_app_class;

typedef enum {
	APPCTL_SENS_PUBLIC = 0,
	APPCTL_SENS_INTERNAL,
	APPCTL_SENS_PII,
	APPCTL_SENS_RESTRICTED
} appctl_sensitivity;

/* Actions as bits, in SPEC order. */
enum {
	APPCTL_ACTION_READ = 1u << 0,
	APPCTL_ACTION_CREATE = 1u << 1,
	APPCTL_ACTION_UPDATE = 1u << 2,
	APPCTL_ACTION_DELETE = 1u << 3,
	APPCTL_ACTION_EXPORT = 1u << 4,
	APPCTL_ACTION_ADMIN = 1u << 5
};
#define APPCTL_ACTION_COUNT 6

/* Days since 1970-01-01 (proleptic Gregorian), for inclusive ISO dates. */
typedef int32_t appctl_date;

/* Where a resource's records live, as far as the app is concerned. */
typedef enum {
	APPCTL_STORAGE_UNSPECIFIED = 0,
	APPCTL_STORAGE_LIVE,      /* read through from its source, never kept */
	APPCTL_STORAGE_CACHED,    /* copies kept for a while */
	APPCTL_STORAGE_STORED     /* the app keeps the records */
} appctl_storage;

typedef struct appctl_field {
	const char *name;
	appctl_sensitivity sensitivity;
	const char *description;          /* or NULL */
} appctl_field;

typedef struct appctl_resource {
	const char *name;
	const char *source;      /* integration name, or NULL */
	const char *tenant_key;  /* or NULL */
	int has_retention;
	int64_t retention_days;
	appctl_storage storage;
	const char *description; /* or NULL */
	appctl_field *fields;
	size_t field_count;
} appctl_resource;

typedef enum {
	APPCTL_MEMBER_PRINCIPAL = 0,
	APPCTL_MEMBER_GROUP
} appctl_member_kind;

typedef struct appctl_member {
	appctl_member_kind kind;
	const char *name;       /* principal, or group name without "group:" */
	int has_expires;
	appctl_date expires;    /* last day of access (inclusive) */
	const char *expires_text;
	size_t index;           /* position in the members array */
} appctl_member;

typedef struct appctl_grant {
	const char *resource;
	unsigned actions;                 /* APPCTL_ACTION_* bits */
	const char **unknown_actions;     /* actions not in the SPEC list */
	size_t *unknown_action_index;     /* their positions in "actions" */
	size_t unknown_action_count;
	const char **hidden_fields;
	size_t hidden_field_count;
	const char *justification;        /* or NULL */
	size_t index;
} appctl_grant;

typedef struct appctl_role {
	const char *name;
	appctl_member *members;
	size_t member_count;
	appctl_grant *grants;
	size_t grant_count;
	const char *justification;        /* or NULL */
	const char *description;          /* or NULL */
} appctl_role;

typedef struct appctl_page {
	const char *name;
	const char *resource;             /* or NULL */
	const char **roles;
	size_t role_count;
	const char *canonical;            /* the whole page object, canonical JSON */
	const char *description;          /* or NULL */
} appctl_page;

typedef struct appctl_credential {
	const char *env;
	const char *ref;
} appctl_credential;

typedef struct appctl_integration {
	const char *name;
	const char *kind;
	const char *owner;                /* or NULL */
	const char **scopes;
	size_t scope_count;
	appctl_credential *credentials;   /* sorted by env */
	size_t credential_count;
	const char *on_failure;           /* "fail_closed", "fail_open", or NULL */
	int has_rate_limit;
	int64_t rate_limit_per_min;
	const char *justification;        /* or NULL */
	const char *description;          /* or NULL */
	const char **reads;               /* resources it reads, file order */
	size_t read_count;
	const char **writes;              /* resources it writes, file order */
	size_t write_count;
} appctl_integration;

/*
 * One entry of an app's "ai" section: a resource its AI features may read,
 * and which fields. Without an "ai" section AI features read nothing.
 */
typedef struct appctl_ai_read {
	const char *resource;
	const char **fields;              /* NULL when all_fields */
	size_t field_count;
	int all_fields;                   /* "fields" absent: every field */
	size_t index;                     /* position in ai.reads */
} appctl_ai_read;

typedef struct appctl_app {
	const char *name;
	const char *file;                 /* "apps/<name>/app.json" */
	char blob_id[41];                 /* git blob id, "" when not from git */
	appctl_app_class app_class;
	const char *business_owner;       /* or NULL */
	const char *technical_owner;      /* or NULL */
	appctl_resource *resources;
	size_t resource_count;
	appctl_role *roles;
	size_t role_count;
	appctl_page *pages;
	size_t page_count;
	appctl_integration *integrations;
	size_t integration_count;
	const char *description;          /* plain-English purpose, or NULL */
	int has_ai;                       /* an "ai" section is present */
	appctl_ai_read *ai_reads;
	size_t ai_read_count;
	const char *ai_justification;     /* or NULL */
	const char *ai_description;       /* or NULL */
} appctl_app;

typedef struct appctl_group {
	const char *name;
	const char **members;             /* principals only: groups do not nest */
	size_t member_count;
	const char **sorted_members;      /* the same, sorted: for lookups */
	const char *source;               /* NULL: appctl.json; else the file
	                                     of "groups_from" it came from */
} appctl_group;

typedef enum {
	APPCTL_WHEN_INTEGRATION = 0,
	APPCTL_WHEN_ACCESS,
	APPCTL_WHEN_POLICY,
	APPCTL_WHEN_DATA
} appctl_rule_when;

typedef struct appctl_rule {
	appctl_rule_when when;
	const char *group;
	int64_t count;
} appctl_rule;

/* Notification event bits. */
enum {
	APPCTL_NOTIFY_APPROVE = 1u << 0,
	APPCTL_NOTIFY_PROMOTE = 1u << 1,
	APPCTL_NOTIFY_ROLLBACK = 1u << 2,
	APPCTL_NOTIFY_BREAK_GLASS = 1u << 3
};

typedef struct appctl_notify {
	const char *url;
	unsigned events;
	const char *secret;               /* a reference, or NULL */
	int has_timeout;
	int64_t timeout_s;
} appctl_notify;

typedef struct appctl_freeze {
	const char **envs;
	size_t env_count;
	const char *from;                 /* ISO date or date-time, as written */
	const char *to;
	const char *reason;               /* or NULL */
} appctl_freeze;

/* A per-organisation change of a lint rule's severity ("lint.rules"). */
typedef enum {
	APPCTL_LINT_OFF = 0,
	APPCTL_LINT_AS_WARNING,
	APPCTL_LINT_AS_ERROR
} appctl_lint_level;

typedef struct appctl_lint_override {
	const char *rule;                 /* a rule id of lint.h */
	appctl_lint_level level;
	const char *justification;        /* required */
} appctl_lint_override;

/* A role a new app of some class starts with (`appctl new app`). */
typedef struct appctl_role_template {
	const char *role;
	unsigned actions;                 /* APPCTL_ACTION_* on every resource */
	const char *description;          /* or NULL */
} appctl_role_template;

/* A principal's membership of a group (appctl_policy.memberships). */
typedef struct appctl_membership {
	const char *principal;
	const appctl_group *group;
} appctl_membership;

typedef struct appctl_policy {
	const char *file;                 /* "appctl.json" */
	char blob_id[41];
	const char **environments;        /* promotion chain, in order */
	size_t environment_count;
	appctl_group *groups;
	size_t group_count;
	const char *signers;              /* path of the allowed-signers file */
	int64_t required[APPCTL_CLASS_COUNT];
	appctl_rule *rules;
	size_t rule_count;
	appctl_member *approvers;         /* principals and group references */
	size_t approver_count;
	int allow_self_approval;
	int require_signature;
	int64_t rollback_required;
	appctl_notify *notify;
	size_t notify_count;
	int has_break_glass;
	const char *break_glass_group;
	int64_t break_glass_count;
	appctl_freeze *freezes;
	size_t freeze_count;
	const char *description;          /* or NULL */
	const char **groups_from;         /* SCIM files in the repository */
	size_t groups_from_count;
	int has_role_templates;           /* else the built-in defaults apply */
	appctl_role_template *role_templates[APPCTL_CLASS_COUNT]; /* by name */
	size_t role_template_count[APPCTL_CLASS_COUNT];
	appctl_lint_override *lint_overrides;   /* sorted by rule id */
	size_t lint_override_count;
	const char **broad_scopes;        /* added to the built-in list */
	size_t broad_scope_count;
	const char *integration_name_pattern;   /* POSIX ERE, or NULL */
	int has_admin_panel_max_writers;
	int64_t admin_panel_max_writers;  /* principals with create/update/
	                                     delete/admin in one admin panel */
	/*
	 * Every group membership, sorted by principal: the groups that hold a
	 * principal are one search away (appctl_policy_groups_of). NULL until
	 * appctl_policy_index_members, which whoever asks about access in bulk
	 * calls once the groups are final (a snapshot, a diff with apps to
	 * compare): building it (a merge of the groups' sorted members) costs
	 * about half a millisecond for 5 000 memberships, and most
	 * commands ask about a few principals or none. Without it, access
	 * asks each group: the same answers.
	 */
	const appctl_membership *memberships;
	size_t membership_count;
} appctl_policy;

/* One file handed to the parsers: repository-relative path and its bytes. */
typedef struct appctl_file {
	const char *path;
	const char *data;
	size_t len;
	char id[41];                      /* git blob id, or "" */
} appctl_file;

/*
 * A revision's definitions: the policy, the allowed-signers text and every
 * app, sorted by name. Owns its arena.
 */
typedef struct appctl_snapshot {
	appctl_arena *arena;
	appctl_policy *policy;
	const char *signers_text;         /* NUL-terminated copy, may be "" */
	size_t signers_len;
	char signers_id[41];
	appctl_app **apps;
	size_t app_count;
} appctl_snapshot;

/* Parses appctl.json into arena memory; *out lives as long as the arena. */
appctl_error *appctl_policy_parse(appctl_policy **out, appctl_arena *arena,
	const appctl_file *file);

/*
 * Parses one apps/<dir>/app.json; `dir` is the folder name, which must equal
 * the app's `name`. *out lives as long as the arena.
 */
appctl_error *appctl_app_parse(appctl_app **out, appctl_arena *arena,
	const appctl_file *file, const char *dir);

/*
 * Builds a snapshot from already-read files: `policy` (appctl.json), `signers`
 * (the file the policy's "signers" names; NULL when absent, an input error),
 * and `apps[i]` with folder names `dirs[i]`. On success the caller frees *out
 * with appctl_snapshot_free. The input buffers are copied where kept.
 */
appctl_error *appctl_snapshot_parse(appctl_snapshot **out,
	const appctl_file *policy, const appctl_file *signers,
	const appctl_file *apps, const char *const *dirs, size_t app_count);

/*
 * appctl_snapshot_parse with the files appctl.json's "groups_from" names
 * (`groups_from`, `groups_from_count` of them, matched by path): their
 * groups are merged into the policy's as scim.h describes, so every reader
 * of a snapshot sees one set of groups. appctl_snapshot_parse passes none,
 * which is an input error when the policy names some.
 */
appctl_error *appctl_snapshot_parse_ext(appctl_snapshot **out,
	const appctl_file *policy, const appctl_file *signers,
	const appctl_file *groups_from, size_t groups_from_count,
	const appctl_file *apps, const char *const *dirs, size_t app_count);

/*
 * How appctl_snapshot_parse_with gets one app's model into `arena`: the
 * model of a file it has seen (a cache by blob id), or appctl_app_parse's.
 */
typedef appctl_error *(*appctl_app_load_fn)(appctl_app **out,
	appctl_arena *arena, const appctl_file *file, const char *dir,
	void *ctx);

/* appctl_snapshot_parse_ext with each app from `load(..., load_ctx)`. */
appctl_error *appctl_snapshot_parse_with(appctl_snapshot **out,
	const appctl_file *policy, const appctl_file *signers,
	const appctl_file *groups_from, size_t groups_from_count,
	const appctl_file *apps, const char *const *dirs, size_t app_count,
	appctl_app_load_fn load, void *load_ctx);

void appctl_snapshot_free(appctl_snapshot *snap);

/* Lookups by name (binary search on the sorted arrays); NULL when absent. */
const appctl_app *appctl_snapshot_app(const appctl_snapshot *snap, const char *name);
const appctl_group *appctl_policy_group(const appctl_policy *policy, const char *name);
/* Whether `s` is among the `n` strings of `sorted` (strcmp order): O(log n). */
int appctl_sorted_has(const char *const *sorted, size_t n, const char *s);
/*
 * In `n` elements of `size` bytes at `base`, sorted by the string each one
 * begins with (a `const char *` first member, or the element itself, in
 * strcmp order): the index of the first whose string is not before `s`,
 * `n` when there is none.
 */
size_t appctl_sorted_lower_bound(const void *base, size_t n, size_t size,
	const char *s);
/* Sorts the `n` strings of `list` (strcmp order) and drops repeats: the count left. */
size_t appctl_sort_unique(const char **list, size_t n);
/*
 * Builds policy->memberships from its groups, in `arena`, unless built
 * already: 0, or -1 out of memory. appctl_policy_groups_of gives the
 * memberships of `principal` (*first, and their count): none when the
 * index is not built.
 */
int appctl_policy_index_members(appctl_policy *policy, appctl_arena *arena);
size_t appctl_policy_groups_of(const appctl_policy *policy,
	const char *principal, const appctl_membership **first);
const appctl_resource *appctl_app_resource(const appctl_app *app, const char *name);
const appctl_role *appctl_app_role(const appctl_app *app, const char *name);
const appctl_integration *appctl_app_integration(const appctl_app *app, const char *name);
const appctl_field *appctl_resource_field(const appctl_resource *res, const char *name);

/* Names <-> enums. *_name never return NULL for valid values. */
const char *appctl_class_name(appctl_app_class c);
const char *appctl_sensitivity_name(appctl_sensitivity s);
/* The same name as a JSON string ("\"pii\""), as diffs report values. */
const char *appctl_sensitivity_json(appctl_sensitivity s);
/* The spelling of a storage in app.json; NULL when unspecified. */
const char *appctl_storage_name(appctl_storage s);
const char *appctl_action_name(unsigned action_bit);
/* The same names by bit index: appctl_action_names[i] names 1u << i. */
extern const char *const appctl_action_names[APPCTL_ACTION_COUNT];
/* Returns the bit for a SPEC action name, 0 when unknown. */
unsigned appctl_action_parse(const char *name);
const char *appctl_when_name(appctl_rule_when w);

/*
 * The name of the NULL-terminated `names` that `s` most likely meant, for
 * "did you mean" hints: the same name in another case, else the closest at
 * most two edits away (Damerau-Levenshtein, an adjacent swap is one edit;
 * fewer edits than `s` has bytes), else the first name `s` (3 bytes or
 * more) begins. NULL when none is close. Returns one of `names`.
 */
const char *appctl_suggest(const char *s, const char *const *names);

/* The name rules of SPEC §1: app folders/names, principals, groups, envs. */
int appctl_name_is_valid(const char *s);        /* [a-z0-9][a-z0-9-]{0,62} */
int appctl_principal_is_valid(const char *s);   /* email-like */
int appctl_group_name_is_valid(const char *s);  /* [a-z0-9][a-z0-9._-]{0,62} */
int appctl_env_name_is_valid(const char *s);    /* same as app names */

/* Parses "YYYY-MM-DD" (a real calendar day); 0 on success. */
int appctl_date_parse(appctl_date *out, const char *s);
/* Writes "YYYY-MM-DD" into buf (at least 11 bytes). */
void appctl_date_format(char *buf, appctl_date d);
/* Converts a Unix time (seconds, UTC) to its day. */
appctl_date appctl_date_from_unix(int64_t t);

/* Days from 1970-01-01 to year-month-day (proleptic Gregorian; the fields are not range-checked). */
int64_t appctl_days_from_civil(int64_t y, int m, int d);

/* True when a (possibly temporary) membership is in force on day `at`. */
int appctl_member_active(const appctl_member *m, appctl_date at);

#endif
