/* cmd_inventory.c: `appctl inventory [ENV]`: every app, its owners, connections and who can do what. */
#include <stdio.h>
#include <string.h>

#include "appctl/review.h"
#include "appctl/strbuf.h"
#include "cli.h"

typedef enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV, FORMAT_MARKDOWN } format;

/* "name (kind): owner X; scopes a b; credentials dev staging (missing prod)". */
static void describe_integration(appctl_strbuf *b, appctl_arena *arena,
	const appctl_integration *in, const appctl_policy *policy)
{
	const char **missing = NULL;
	size_t i, nmissing = 0;

	appctl_strbuf_printf(b, "%s (%s): owner %s; scopes", in->name,
		in->kind ? in->kind : "?", in->owner ? in->owner : "none");
	for (i = 0; i < in->scope_count; i++)
		appctl_strbuf_printf(b, " %s", in->scopes[i]);
	if (!in->scope_count)
		appctl_strbuf_puts(b, " none");
	appctl_strbuf_puts(b, "; credentials");
	for (i = 0; i < in->credential_count; i++)
		appctl_strbuf_printf(b, " %s", in->credentials[i].env);
	if (!in->credential_count)
		appctl_strbuf_puts(b, " none");
	appctl_error_free(appctl_integration_missing_credentials(&missing,
		&nmissing, arena, in, policy));
	for (i = 0; i < nmissing; i++)
		appctl_strbuf_printf(b, "%s%s", i ? " " : " (missing ",
			missing[i]);
	if (nmissing)
		appctl_strbuf_putc(b, ')');
	if (in->read_count)
		appctl_strbuf_puts(b, "; reads");
	for (i = 0; i < in->read_count; i++)
		appctl_strbuf_printf(b, " %s", in->reads[i]);
	if (in->write_count)
		appctl_strbuf_puts(b, "; writes");
	for (i = 0; i < in->write_count; i++)
		appctl_strbuf_printf(b, " %s", in->writes[i]);
}

/* "name (stored, 365 days): pii email name; restricted ssn". */
static void describe_resource(appctl_strbuf *b, const appctl_resource *r)
{
	static const appctl_sensitivity shown[] = { APPCTL_SENS_PII,
		APPCTL_SENS_RESTRICTED };
	const char *storage = appctl_storage_name(r->storage);
	size_t s, f;
	int any = 0;

	appctl_strbuf_printf(b, "%s (%s", r->name, storage ? storage : "storage unspecified");
	if (r->has_retention)
		appctl_strbuf_printf(b, ", %lld days", (long long)r->retention_days);
	appctl_strbuf_puts(b, ")");
	for (s = 0; s < 2; s++) {
		int first = 1;

		for (f = 0; f < r->field_count; f++) {
			if (r->fields[f].sensitivity != shown[s])
				continue;
			appctl_strbuf_printf(b, "%s%s%s %s", first && any ? "; " : "",
				first && !any ? ": " : "",
				first ? appctl_sensitivity_name(shown[s]) : "",
				r->fields[f].name);
			first = 0;
			any = 1;
		}
	}
}

static void describe_owners(appctl_strbuf *b, const appctl_app *app)
{
	appctl_strbuf_printf(b, "business %s, technical %s",
		app->business_owner ? app->business_owner : "none",
		app->technical_owner ? app->technical_owner : "none");
}

static appctl_error *print_text(const appctl_inventory_report *r)
{
	const appctl_policy *policy = r->base.snap->policy;
	char day[11];
	size_t a, i, k;

	appctl_date_format(day, r->base.at);
	printf("inventory of %s (%.7s), access as of %s: %zu app%s\n",
		r->base.env, r->base.commit, day, r->row_count,
		r->row_count == 1 ? "" : "s");
	for (a = 0; a < r->row_count; a++) {
		const appctl_inventory_row *row = &r->rows[a];
		const appctl_app *app = row->app;
		appctl_strbuf b = APPCTL_STRBUF_INIT;

		printf("\n%s  %s\n", app->name, appctl_class_name(app->app_class));
		if (app->description)
			printf("  %s\n", app->description);
		describe_owners(&b, app);
		printf("  owners: %s\n", b.ptr ? b.ptr : "");
		appctl_strbuf_truncate(&b, 0);
		printf("  integrations:%s\n", app->integration_count ? "" : " none");
		for (i = 0; i < app->integration_count; i++) {
			describe_integration(&b, r->base.arena,
				&app->integrations[i], policy);
			printf("    %s\n", b.ptr ? b.ptr : "");
			appctl_strbuf_truncate(&b, 0);
		}
		printf("  resources:%s\n", app->resource_count ? "" : " none");
		for (i = 0; i < app->resource_count; i++) {
			describe_resource(&b, &app->resources[i]);
			printf("    %s\n", b.ptr ? b.ptr : "");
			appctl_strbuf_truncate(&b, 0);
		}
		if (app->has_ai) {
			printf("  ai reads:%s", app->ai_read_count ? "" : " nothing");
			for (i = 0; i < app->ai_read_count; i++) {
				const appctl_ai_read *ar = &app->ai_reads[i];

				printf("%s %s (", i ? "," : "", ar->resource);
				if (ar->all_fields)
					fputs("every field", stdout);
				for (k = 0; k < ar->field_count; k++)
					printf("%s%s", k ? " " : "", ar->fields[k]);
				putchar(')');
			}
			putchar('\n');
		}
		fputs("  principals who can:", stdout);
		for (k = 0; k < APPCTL_INV_COUNT; k++)
			printf("%s %s %zu", k ? "," : "",
				k >= APPCTL_INV_PII ? (k == APPCTL_INV_PII
					? "see pii" : "see restricted")
					: appctl_inventory_kind_name(k),
				row->principal_count[k]);
		putchar('\n');
		if (b.failed) {
			appctl_strbuf_dispose(&b);
			return appctl_error_nomem();
		}
		appctl_strbuf_dispose(&b);
	}
	return NULL;
}

/* ---- the table formats: one row per app, the same columns ---- */

static const char *const columns[] = { "app", "class", "business_owner",
	"technical_owner", "integrations", "resources", "read", "write",
	"export", "admin", "pii", "restricted", "description", NULL };

/* The cells of one row (caller disposes each buffer). */
static void row_cells(appctl_strbuf *cells, const appctl_inventory_report *r,
	const appctl_inventory_row *row)
{
	const appctl_app *app = row->app;
	size_t i, k;

	appctl_strbuf_puts(&cells[0], app->name);
	appctl_strbuf_puts(&cells[1], appctl_class_name(app->app_class));
	appctl_strbuf_puts(&cells[2], app->business_owner ? app->business_owner : "");
	appctl_strbuf_puts(&cells[3], app->technical_owner ? app->technical_owner : "");
	for (i = 0; i < app->integration_count; i++) {
		if (i)
			appctl_strbuf_puts(&cells[4], " | ");
		describe_integration(&cells[4], r->base.arena,
			&app->integrations[i], r->base.snap->policy);
	}
	for (i = 0; i < app->resource_count; i++) {
		if (i)
			appctl_strbuf_puts(&cells[5], " | ");
		describe_resource(&cells[5], &app->resources[i]);
	}
	for (k = 0; k < APPCTL_INV_COUNT; k++)
		appctl_strbuf_printf(&cells[6 + k], "%zu", row->principal_count[k]);
	appctl_strbuf_puts(&cells[12], app->description ? app->description : "");
}

/*
 * RFC 4180: quoted when needed, quotes doubled, CRLF line ends. A cell a
 * spreadsheet would run as a formula (=, +, -, @ first) gets a leading
 * apostrophe: the definitions are untrusted and auditors open this file.
 */
static void csv_cell(const char *s, int first)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL, formula = strchr("=+-@\t\r", s[0]) && s[0];
	const char *p;

	if (!first)
		putchar(',');
	if (quote || formula)
		putchar('"');
	if (formula)
		putchar('\'');
	for (p = s; *p; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	if (quote || formula)
		putchar('"');
}

/* Markdown table cells: pipes escaped, line breaks as spaces. */
static void md_cell(const char *s)
{
	const char *p;

	fputs(" ", stdout);
	for (p = s; *p; p++) {
		if (*p == '|')
			fputs("\\|", stdout);
		else if (*p == '\n' || *p == '\r')
			putchar(' ');
		else
			putchar(*p);
	}
	fputs(" |", stdout);
}

static appctl_error *print_table(const appctl_inventory_report *r, format f)
{
	size_t a, c, ncols = 0;
	appctl_error *err = NULL;
	char day[11];

	while (columns[ncols])
		ncols++;
	appctl_date_format(day, r->base.at);
	if (f == FORMAT_MARKDOWN) {
		printf("## Inventory of %s (%.7s), access as of %s\n\n|",
			r->base.env, r->base.commit, day);
		for (c = 0; c < ncols; c++)
			md_cell(columns[c]);
		fputs("\n|", stdout);
		for (c = 0; c < ncols; c++)
			fputs(" --- |", stdout);
		putchar('\n');
	} else {
		for (c = 0; c < ncols; c++)
			csv_cell(columns[c], c == 0);
		fputs("\r\n", stdout);
	}
	for (a = 0; a < r->row_count && !err; a++) {
		appctl_strbuf cells[13];

		memset(cells, 0, sizeof(cells));
		row_cells(cells, r, &r->rows[a]);
		if (f == FORMAT_MARKDOWN)
			putchar('|');
		for (c = 0; c < ncols; c++) {
			if (cells[c].failed)
				err = appctl_error_nomem();
			if (f == FORMAT_MARKDOWN)
				md_cell(cells[c].ptr ? cells[c].ptr : "");
			else
				csv_cell(cells[c].ptr ? cells[c].ptr : "", c == 0);
			appctl_strbuf_dispose(&cells[c]);
		}
		fputs(f == FORMAT_MARKDOWN ? "\n" : "\r\n", stdout);
	}
	return err;
}

static cJSON *string_list(const char *const *items, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; a && i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(items[i]));
	return a;
}

static void add_string_or_null(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static cJSON *integration_json(const appctl_inventory_report *r,
	const appctl_integration *in)
{
	cJSON *o = cJSON_CreateObject(), *creds;
	const char **missing = NULL;
	size_t i, nmissing = 0;

	cJSON_AddStringToObject(o, "name", in->name);
	add_string_or_null(o, "kind", in->kind);
	add_string_or_null(o, "owner", in->owner);
	cJSON_AddItemToObject(o, "scopes", string_list(in->scopes, in->scope_count));
	creds = cJSON_AddObjectToObject(o, "credentials");
	for (i = 0; creds && i < in->credential_count; i++)
		cJSON_AddStringToObject(creds, in->credentials[i].env,
			in->credentials[i].ref);
	appctl_error_free(appctl_integration_missing_credentials(&missing,
		&nmissing, r->base.arena, in, r->base.snap->policy));
	cJSON_AddItemToObject(o, "missing_credentials",
		string_list(missing, nmissing));
	add_string_or_null(o, "on_failure", in->on_failure);
	cJSON_AddItemToObject(o, "reads", string_list(in->reads, in->read_count));
	cJSON_AddItemToObject(o, "writes", string_list(in->writes, in->write_count));
	return o;
}

static cJSON *resource_json(const appctl_resource *res)
{
	cJSON *o = cJSON_CreateObject(), *fields;
	size_t f;

	cJSON_AddStringToObject(o, "name", res->name);
	add_string_or_null(o, "source", res->source);
	add_string_or_null(o, "storage", appctl_storage_name(res->storage));
	if (res->has_retention)
		cJSON_AddNumberToObject(o, "retention_days", (double)res->retention_days);
	else
		cJSON_AddNullToObject(o, "retention_days");
	add_string_or_null(o, "tenant_key", res->tenant_key);
	fields = cJSON_AddObjectToObject(o, "fields");
	for (f = 0; fields && f < res->field_count; f++)
		cJSON_AddStringToObject(fields, res->fields[f].name,
			appctl_sensitivity_name(res->fields[f].sensitivity));
	return o;
}

static appctl_error *print_json(const appctl_inventory_report *r)
{
	cJSON *root = cJSON_CreateObject(), *apps;
	char day[11];
	size_t a, i, k;

	if (!root)
		return appctl_error_nomem();
	appctl_date_format(day, r->base.at);
	cJSON_AddStringToObject(root, "env", r->base.env);
	cJSON_AddStringToObject(root, "commit", r->base.commit);
	cJSON_AddStringToObject(root, "at", day);
	apps = cJSON_AddArrayToObject(root, "apps");
	for (a = 0; apps && a < r->row_count; a++) {
		const appctl_inventory_row *row = &r->rows[a];
		const appctl_app *app = row->app;
		cJSON *o = cJSON_CreateObject(), *owners, *list, *counts, *who, *ai;

		cJSON_AddItemToArray(apps, o);
		cJSON_AddStringToObject(o, "app", app->name);
		cJSON_AddStringToObject(o, "class", appctl_class_name(app->app_class));
		add_string_or_null(o, "description", app->description);
		owners = cJSON_AddObjectToObject(o, "owners");
		add_string_or_null(owners, "business", app->business_owner);
		add_string_or_null(owners, "technical", app->technical_owner);
		list = cJSON_AddArrayToObject(o, "integrations");
		for (i = 0; list && i < app->integration_count; i++)
			cJSON_AddItemToArray(list,
				integration_json(r, &app->integrations[i]));
		list = cJSON_AddArrayToObject(o, "resources");
		for (i = 0; list && i < app->resource_count; i++)
			cJSON_AddItemToArray(list, resource_json(&app->resources[i]));
		if (app->has_ai) {
			ai = cJSON_AddArrayToObject(o, "ai_reads");
			for (i = 0; ai && i < app->ai_read_count; i++)
				cJSON_AddItemToArray(ai, cJSON_CreateString(
					app->ai_reads[i].resource));
		} else {
			cJSON_AddNullToObject(o, "ai_reads");
		}
		counts = cJSON_AddObjectToObject(o, "counts");
		who = cJSON_AddObjectToObject(o, "principals");
		for (k = 0; counts && who && k < APPCTL_INV_COUNT; k++) {
			cJSON_AddNumberToObject(counts,
				appctl_inventory_kind_name(k),
				(double)row->principal_count[k]);
			cJSON_AddItemToObject(who, appctl_inventory_kind_name(k),
				string_list(row->principals[k],
					row->principal_count[k]));
		}
	}
	return appctl_cli_print_json(root);
}

/* ---- --principals: the access review, one line per app and principal ---- */

static const char *const review_columns[] = { "app", "class", "principal",
	"via", "access", "read", "write", "export", "admin", "pii",
	"restricted", "expires", NULL };

static const char *yes_no(unsigned kinds, appctl_inventory_kind k)
{
	return kinds & (1u << k) ? "yes" : "no";
}

static appctl_error *print_review(const appctl_inventory_report *r, format f)
{
	size_t i, c, k;
	char day[11];

	appctl_date_format(day, r->base.at);
	if (f == FORMAT_JSON) {
		cJSON *root = cJSON_CreateObject(), *list;

		if (!root)
			return appctl_error_nomem();
		cJSON_AddStringToObject(root, "env", r->base.env);
		cJSON_AddStringToObject(root, "commit", r->base.commit);
		cJSON_AddStringToObject(root, "at", day);
		list = cJSON_AddArrayToObject(root, "review");
		for (i = 0; list && i < r->review_count; i++) {
			const appctl_review_row *row = &r->review[i];
			cJSON *o = cJSON_CreateObject();

			cJSON_AddItemToArray(list, o);
			cJSON_AddStringToObject(o, "app", row->app->name);
			cJSON_AddStringToObject(o, "class",
				appctl_class_name(row->app->app_class));
			cJSON_AddStringToObject(o, "principal", row->principal);
			cJSON_AddStringToObject(o, "via", row->via);
			cJSON_AddStringToObject(o, "access", row->access);
			for (k = 0; k < APPCTL_INV_COUNT; k++)
				cJSON_AddBoolToObject(o, appctl_inventory_kind_name(k),
					(row->kinds >> k) & 1u);
			add_string_or_null(o, "expires", row->expires);
		}
		return appctl_cli_print_json(root);
	}
	if (f == FORMAT_TEXT) {
		printf("access review of %s (%.7s), as of %s: %zu line%s\n",
			r->base.env, r->base.commit, day, r->review_count,
			r->review_count == 1 ? "" : "s");
		for (i = 0; i < r->review_count; i++) {
			const appctl_review_row *row = &r->review[i];

			if (i == 0 || row->app != r->review[i - 1].app)
				printf("\n%s  %s\n", row->app->name,
					appctl_class_name(row->app->app_class));
			printf("  %s: %s\n    via %s", row->principal, row->access,
				row->via);
			if (row->kinds & (1u << APPCTL_INV_PII))
				fputs("; sees pii", stdout);
			if (row->kinds & (1u << APPCTL_INV_RESTRICTED))
				fputs("; sees restricted", stdout);
			if (row->expires)
				printf("; until %s", row->expires);
			putchar('\n');
		}
		return NULL;
	}
	if (f == FORMAT_MARKDOWN) {
		printf("## Access review of %s (%.7s), as of %s\n\n|",
			r->base.env, r->base.commit, day);
		for (c = 0; review_columns[c]; c++)
			md_cell(review_columns[c]);
		fputs("\n|", stdout);
		for (c = 0; review_columns[c]; c++)
			fputs(" --- |", stdout);
		putchar('\n');
	} else {
		for (c = 0; review_columns[c]; c++)
			csv_cell(review_columns[c], c == 0);
		fputs("\r\n", stdout);
	}
	for (i = 0; i < r->review_count; i++) {
		const appctl_review_row *row = &r->review[i];
		const char *cells[12];

		cells[0] = row->app->name;
		cells[1] = appctl_class_name(row->app->app_class);
		cells[2] = row->principal;
		cells[3] = row->via;
		cells[4] = row->access;
		for (k = 0; k < APPCTL_INV_COUNT; k++)
			cells[5 + k] = yes_no(row->kinds, (appctl_inventory_kind)k);
		cells[11] = row->expires ? row->expires : "";
		if (f == FORMAT_MARKDOWN)
			putchar('|');
		for (c = 0; c < 12; c++) {
			if (f == FORMAT_MARKDOWN)
				md_cell(cells[c]);
			else
				csv_cell(cells[c], c == 0);
		}
		fputs(f == FORMAT_MARKDOWN ? "\n" : "\r\n", stdout);
	}
	return NULL;
}

appctl_error *cmd_inventory(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[1] = { NULL }, *at = NULL;
	int npos, help, json = 0, csv = 0, markdown = 0, principals = 0;
	const appctl_opt opts[] = {
		{ "principals", 0, APPCTL_OPT_FLAG, &principals, NULL },
		{ "json", 0, APPCTL_OPT_FLAG, &json, NULL },
		{ "csv", 0, APPCTL_OPT_FLAG, &csv, NULL },
		{ "markdown", 0, APPCTL_OPT_FLAG, &markdown, NULL },
		{ "at", 0, APPCTL_OPT_STRING, &at, "DATE" },
		{ 0 }
	};
	appctl_inventory_report *report = NULL;
	appctl_date day = appctl_cli_today();
	appctl_error *err;
	format f = FORMAT_TEXT;

	err = appctl_cli_parse(argc, argv, opts, pos, 1, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("inventory");
		return NULL;
	}
	json |= cli->json;
	if (json + csv + markdown > 1)
		return appctl_error_new(APPCTL_EUSAGE,
			"choose one of --json, --csv and --markdown");
	f = json ? FORMAT_JSON : csv ? FORMAT_CSV : markdown ? FORMAT_MARKDOWN
							  : FORMAT_TEXT;
	if (at && appctl_date_parse(&day, at) != 0)
		return appctl_error_new(APPCTL_EUSAGE,
			"--at: '%s' is not a date (YYYY-MM-DD)", at);
	err = appctl_inventory_report_load(&report, cli->repo,
		npos ? pos[0] : NULL, day);
	if (err)
		return appctl_error_wrap(err, "inventory");
	if (principals) {
		err = print_review(report, f);
		appctl_inventory_report_free(report);
		return err;
	}
	switch (f) {
	case FORMAT_JSON:
		err = print_json(report);
		break;
	case FORMAT_TEXT:
		err = print_text(report);
		break;
	default:
		err = print_table(report, f);
	}
	appctl_inventory_report_free(report);
	return err;
}
