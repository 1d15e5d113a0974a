/* scaffold.c: a new app's definition from the class's role model, built-in or the policy's. */
#include "appctl/scaffold.h"

#include <stdlib.h>
#include <string.h>

#include "appctl/json.h"
#include "appctl/strbuf.h"

#define R APPCTL_ACTION_READ
#define C APPCTL_ACTION_CREATE
#define U APPCTL_ACTION_UPDATE
#define D APPCTL_ACTION_DELETE
#define A APPCTL_ACTION_ADMIN

/*
 * The built-in role model, by blast radius. A dashboard only reads; an
 * admin panel separates who administers, who edits and who looks; a client
 * portal's staff never export, delete or administer customers' records
 * from it. Sorted by role name, as a policy's templates are.
 */
static const appctl_role_template dashboard_roles[] = {
	{ "Viewer", R, "sees the dashboard" },
};
static const appctl_role_template admin_panel_roles[] = {
	{ "Admin", R | C | U | D | A, "administers the records and the app" },
	{ "Editor", R | C | U, "creates and updates records" },
	{ "Viewer", R, "looks up records" },
};
static const appctl_role_template client_portal_roles[] = {
	{ "Support", R | U, "answers customers: reads and corrects their records" },
	{ "Viewer", R, "looks up customers' records" },
};

static const struct {
	const appctl_role_template *roles;
	size_t count;
} builtin[APPCTL_CLASS_COUNT] = {
	{ dashboard_roles, sizeof(dashboard_roles) / sizeof(dashboard_roles[0]) },
	{ admin_panel_roles, sizeof(admin_panel_roles) / sizeof(admin_panel_roles[0]) },
	{ client_portal_roles, sizeof(client_portal_roles) / sizeof(client_portal_roles[0]) },
};

void appctl_scaffold_roles(const appctl_role_template **out, size_t *count,
	int *from_policy, const appctl_policy *policy, appctl_app_class cls)
{
	if (policy && policy->has_role_templates &&
	    policy->role_template_count[cls]) {
		*out = policy->role_templates[cls];
		*count = policy->role_template_count[cls];
		*from_policy = 1;
		return;
	}
	*out = builtin[cls].roles;
	*count = builtin[cls].count;
	*from_policy = 0;
}

static unsigned bit_count(unsigned v)
{
	unsigned n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

static void put_actions(appctl_strbuf *b, unsigned actions)
{
	unsigned bit;
	int first = 1;

	appctl_strbuf_putc(b, '[');
	for (bit = 1; bit <= APPCTL_ACTION_ADMIN; bit <<= 1) {
		if (!(actions & bit))
			continue;
		appctl_strbuf_printf(b, "%s\"%s\"", first ? "" : ", ",
			appctl_action_name(bit));
		first = 0;
	}
	appctl_strbuf_putc(b, ']');
}

appctl_error *appctl_scaffold_app(char **out, const appctl_policy *policy,
	const appctl_scaffold_spec *spec)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	const appctl_role_template *roles;
	size_t count, i, top = 0, low = 0;
	int from_policy, portal = spec->app_class == APPCTL_CLASS_CLIENT_PORTAL;

	*out = NULL;
	if (!appctl_name_is_valid(spec->name))
		return appctl_error_new(APPCTL_EUSAGE, "'%s' is not a valid app "
			"name (use [a-z0-9][a-z0-9-]{0,62})", spec->name);
	if (!appctl_principal_is_valid(spec->business_owner) ||
	    !appctl_principal_is_valid(spec->technical_owner))
		return appctl_error_new(APPCTL_EUSAGE, "'%s' is not a principal "
			"(an email-like name)",
			appctl_principal_is_valid(spec->business_owner)
				? spec->technical_owner : spec->business_owner);
	appctl_scaffold_roles(&roles, &count, &from_policy, policy,
		spec->app_class);
	/*
	 * The technical owner runs the app at first (the role with the most
	 * actions); the business owner can look at it (the one with the
	 * fewest). Both then appear in a role, as owners should.
	 */
	for (i = 1; i < count; i++) {
		if (bit_count(roles[i].actions) > bit_count(roles[top].actions))
			top = i;
		if (bit_count(roles[i].actions) < bit_count(roles[low].actions))
			low = i;
	}
	appctl_strbuf_puts(&b, "{\n  \"name\": ");
	appctl_json_quote(&b, spec->name);
	appctl_strbuf_printf(&b, ",\n  \"class\": \"%s\",\n",
		appctl_class_name(spec->app_class));
	appctl_strbuf_puts(&b, "  \"description\": ");
	appctl_json_quote(&b, "What this app is for and who uses it (edit me).");
	appctl_strbuf_puts(&b, ",\n  \"owners\": { \"business\": ");
	appctl_json_quote(&b, spec->business_owner);
	appctl_strbuf_puts(&b, ", \"technical\": ");
	appctl_json_quote(&b, spec->technical_owner);
	appctl_strbuf_puts(&b, " },\n  \"data\": {\n    \"records\": {\n"
		"      \"description\": \"A starter data set: rename it and "
		"describe its fields.\",\n"
		"      \"storage\": \"stored\",\n"
		"      \"retention_days\": 365,\n");
	if (portal)
		appctl_strbuf_puts(&b, "      \"tenant_key\": \"account_id\",\n"
			"      \"fields\": {\n"
			"        \"id\": {},\n"
			"        \"account_id\": {}\n      }\n");
	else
		appctl_strbuf_puts(&b, "      \"fields\": {\n"
			"        \"id\": {}\n      }\n");
	appctl_strbuf_puts(&b, "    }\n  },\n  \"roles\": {\n");
	for (i = 0; i < count; i++) {
		appctl_strbuf_puts(&b, "    ");
		appctl_json_quote(&b, roles[i].role);
		appctl_strbuf_puts(&b, ": {\n");
		if (roles[i].description) {
			appctl_strbuf_puts(&b, "      \"description\": ");
			appctl_json_quote(&b, roles[i].description);
			appctl_strbuf_puts(&b, ",\n");
		}
		appctl_strbuf_puts(&b, "      \"members\": [");
		if (i == top)
			appctl_json_quote(&b, spec->technical_owner);
		if (i == low && (i != top || strcmp(spec->business_owner,
						 spec->technical_owner) != 0)) {
			if (i == top)
				appctl_strbuf_puts(&b, ", ");
			appctl_json_quote(&b, spec->business_owner);
		}
		appctl_strbuf_puts(&b, "],\n      \"grants\": [\n"
			"        { \"resource\": \"records\", \"actions\": ");
		put_actions(&b, roles[i].actions);
		appctl_strbuf_printf(&b, " }\n      ]\n    }%s\n",
			i + 1 < count ? "," : "");
	}
	appctl_strbuf_puts(&b, "  },\n  \"pages\": {\n"
		"    \"Records\": { \"resource\": \"records\", \"roles\": [");
	for (i = 0; i < count; i++) {
		if (i)
			appctl_strbuf_puts(&b, ", ");
		appctl_json_quote(&b, roles[i].role);
	}
	appctl_strbuf_puts(&b, "] }\n  }\n}\n");
	*out = appctl_strbuf_detach(&b);
	return *out ? NULL : appctl_error_nomem();
}
