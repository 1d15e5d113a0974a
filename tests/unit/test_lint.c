/* test_lint.c: every lint rule on crafted definitions, and the secret detector. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "appctl/lint.h"
#include "appctl/model.h"
#include "appctl/strbuf.h"

/* clang-format off */
/*
 * Definitions are written with single quotes, which the test turns into
 * double quotes before parsing, so that the tables stay readable.
 */

/* The policy of SPEC §1.2, plus a "big" group for the reach rule. */
#define POLICY_GROUPS                                                         \
	"'groups':{'support':['dan@example.com'],'security':['sam@example.com']," \
	"'release-managers':['rita@example.com','ann@example.com']," \
	"'big':[" U20(g) "],'big2':[" U5(ga) "," U5(h) "]}"
#define POLICY_APPROVALS                                                      \
	"'approvals':{'required':{'dashboard':1,'admin_panel':2,'client_portal':2}," \
	"'rules':[{'when':'integration','group':'security','count':1}," \
	"{'when':'policy','group':'release-managers','count':2}]," \
	"'approvers':['group:release-managers','group:security']," \
	"'allow_self_approval':false,'require_signature':true}"
#define POLICY_NOTIFY(url, secret)                                            \
	"'notify':[{'url':'" url "','events':['promote','rollback'],"         \
	"'secret':'" secret "'}]"
#define POLICY_WITH(groups, approvals, notify, extra)                         \
	"{'appctl':1,'environments':['dev','staging','prod']," groups ","     \
	"'signers':'allowed_signers'," approvals ",'rollback':{'required':0}," \
	notify extra "}"
#define POLICY POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,                   \
	POLICY_NOTIFY("https://hooks.example.com/appctl",                     \
		"env://APPCTL_WEBHOOK_SECRET"), "")

/* Principals in bulk: U5(x) is x1..x5@example.com. */
#define U5(p) "'" #p "1@example.com','" #p "2@example.com','" #p "3@example.com'," \
	"'" #p "4@example.com','" #p "5@example.com'"
#define U20(p) U5(p##a) "," U5(p##b) "," U5(p##c) "," U5(p##d)
#define U25(p) U20(p) "," U5(p##e)

/* SPEC §1.1's app, made clean: the export grant hides ssn too. */
#define OWNERS ",'owners':{'business':'ann@example.com','technical':'bo@example.com'}"
#define FIELDS "'fields':{'account_id':{},'email':{'sensitivity':'pii'},'ssn':{'sensitivity':'restricted'},'name':{}}"
#define DATA_WITH(source, tenant) ",'data':{'customers':{'source':'" source "'," \
	tenant "'retention_days':365," FIELDS "}}"
#define DATA DATA_WITH("salesforce", "'tenant_key':'account_id',")
#define MEMBERS "'dan@example.com','group:support'," \
	"{'principal':'cy@contractor.example','expires':'2026-12-31'}"
#define GRANT0 "{'resource':'customers','actions':['read','update'],'hidden_fields':['ssn']}"
#define GRANT1 "{'resource':'customers','actions':['export'],'hidden_fields':['ssn']}"
#define GRANT_READ "{'resource':'customers','actions':['read'],'hidden_fields':['ssn']}"
#define ROLES_WITH(members, grants) ",'roles':{'Agent':{'members':[" members "],'grants':[" grants "]}}"
#define ROLES ROLES_WITH(MEMBERS, GRANT0 "," GRANT1)
#define PAGES_WITH(resource, roles, extra) ",'pages':{'Customers':{'resource':'" resource "','roles':[" roles "]" extra "}}"
#define PAGES PAGES_WITH("customers", "'Agent'", "")
#define SF_WITH(owner, scopes, creds, rest) ",'integrations':{'salesforce':{'kind':'salesforce'," owner \
	"'scopes':[" scopes "],'credential':{" creds "}," rest "'rate_limit_per_min':100}}"
#define SF_OWNER "'owner':'bo@example.com',"
#define SF_SCOPES "'api','refresh_token'"
/* Every environment of the chain has a credential; staging's follows dev's. */
#define SF_CREDS(dev, prod) "'dev':'" dev "','staging':'" dev "-staging','prod':'" prod "'"
#define SF_FAIL "'on_failure':'fail_closed',"
#define SF_CRED(dev, prod) SF_WITH(SF_OWNER, SF_SCOPES, SF_CREDS(dev, prod), SF_FAIL)
#define SF SF_CRED("secret://vault/sf-sandbox", "secret://vault/sf-prod-ro")
#define APP(name, cls, owners, data, roles, pages, integrations) \
	"{'name':'" name "','class':'" cls "'" owners data roles pages integrations "}"
#define BASE(name) APP(name, "client_portal", OWNERS, DATA, ROLES, PAGES, SF)

#define FILE_A "apps/a/app.json"
#define FILE_B "apps/b/app.json"

typedef struct lint_case {
	const char *name;
	const char *policy;               /* NULL: POLICY */
	const char *apps[3];              /* NULL-terminated */
	const char *expected;             /* "S rule file path" lines */
	const char *secret;               /* must never appear in a finding */
} lint_case;

static const lint_case lint_cases[] = {
	{ "clean baseline", NULL, { BASE("a") }, "", NULL },
	{ "clean dashboard and admin panel", NULL,
	  { APP("a", "dashboard", OWNERS, DATA_WITH("salesforce", ""),
		ROLES_WITH(MEMBERS, GRANT_READ "," GRANT1), PAGES, SF),
	    APP("b", "admin_panel", OWNERS, DATA_WITH("salesforce", ""), ROLES, PAGES,
		SF_CRED("secret://vault/b-dev", "env://B_PROD")) },
	  "", NULL },
	{ "empty app", NULL, { "{'name':'a','class':'dashboard'}" },
	  "E app.owner-missing " FILE_A " $.owners\n"
	  "E app.owner-missing " FILE_A " $.owners\n", NULL },

	/* secret.literal */
	{ "credential is a Stripe key", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_CRED("secret://vault/sf-sandbox", "sk_live_4eC39HqLyjWDarjtT1zdp7dc")) },
	  "E secret.literal " FILE_A " $.integrations.salesforce.credential.prod\n",
	  "4eC39HqLyjWDarjtT1zdp7dc" },
	{ "credential is not a reference", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_CRED("hunter2", "env://")) },
	  "E secret.literal " FILE_A " $.integrations.salesforce.credential.dev\n"
	  "E secret.literal " FILE_A " $.integrations.salesforce.credential.prod\n"
	  "E secret.literal " FILE_A " $.integrations.salesforce.credential.staging\n",
	  "hunter2" },
	{ "token in a justification", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_WITH(SF_OWNER, SF_SCOPES, SF_CREDS("env://SF_DEV", "env://SF_PROD"),
			SF_FAIL "'justification':'use ghp_16C7e42F292c6912E7710c838347Ae178B4a',")) },
	  "E secret.literal " FILE_A " $.integrations.salesforce.justification\n",
	  "16C7e42F292c6912E7710c838347Ae178B4a" },
	{ "token in a page field", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES,
		PAGES_WITH("customers", "'Agent'",
			",'widget':{'webhook':'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'}"),
		SF) },
	  "E secret.literal " FILE_A " $.pages.Customers.widget.webhook\n",
	  "AbCdEfGhIjKlMnOpQrStUvWx" },
	{ "secret as a page key is reported once, at the page", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES,
		PAGES_WITH("customers", "'Agent'",
			",'sk_live_4eC39HqLyjWDarjtT1zdp7dc':{'x':'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'}"),
		SF) },
	  "E secret.literal " FILE_A " $.pages.Customers\n",
	  "4eC39HqLyjWDarjtT1zdp7dc" },
	{ "AWS key as a scope", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_WITH(SF_OWNER, "'api','AKIAIOSFODNN7EXAMPLE'",
			SF_CREDS("env://SF_DEV", "env://SF_PROD"), SF_FAIL)) },
	  "E secret.literal " FILE_A " $.integrations.salesforce.scopes[1]\n",
	  "AKIAIOSFODNN7EXAMPLE" },
	{ "secret as a field name is reported at its parent", NULL,
	  { APP("a", "dashboard", OWNERS,
		",'data':{'customers':{'source':'salesforce','fields':{'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY':{}}}}",
		ROLES_WITH(MEMBERS, GRANT0), PAGES, SF) },
	  "E secret.literal " FILE_A " $.data.customers.fields\n"
	  "E access.dashboard-write " FILE_A " $.roles.Agent.grants[0].actions\n"
	  "E ref.undefined-field " FILE_A " $.roles.Agent.grants[0].hidden_fields[0]\n",
	  "bPxRfiCYEXAMPLEKEY" },
	{ "notify secret literal and url with password",
	  POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,
		POLICY_NOTIFY("https://appctl:Tr0ub4dor@hooks.example.com/appctl",
			"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), ""),
	  { BASE("a") },
	  "E secret.literal appctl.json $.notify[0].secret\n"
	  "E secret.literal appctl.json $.notify[0].url\n",
	  "Tr0ub4dor" },
	{ "notify url schemes",
	  POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,
		"'notify':[{'url':'file:///etc/passwd'},{'url':'gopher://x.example/'},"
		"{'url':'http://hooks.example.com/x'},{'url':'http://127.0.0.1:8080/x'},"
		"{'url':'http://localhost/x'},{'url':'http://[::1]:9/x'},"
		"{'url':'http://127.0.0.1.evil.example/x'}]", ""),
	  { BASE("a") },
	  "E notify.insecure-url appctl.json $.notify[0].url\n"
	  "E notify.insecure-url appctl.json $.notify[1].url\n"
	  "E notify.insecure-url appctl.json $.notify[2].url\n"
	  "E notify.insecure-url appctl.json $.notify[6].url\n", NULL },
	{ "notify secret plain word",
	  POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,
		POLICY_NOTIFY("https://hooks.example.com/appctl", "changeme"), ""),
	  { BASE("a") },
	  "E secret.literal appctl.json $.notify[0].secret\n", "changeme" },

	/* integration.* */
	{ "integration without owner and on_failure", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_WITH("", SF_SCOPES, SF_CREDS("env://SF_DEV", "env://SF_PROD"), "")) },
	  "W integration.on-failure-missing " FILE_A " $.integrations.salesforce\n"
	  "E integration.owner-missing " FILE_A " $.integrations.salesforce\n", NULL },
	{ "broad scopes, sorted by index", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_WITH(SF_OWNER, "'api','s1','*','s3','s4','s5','s6','s7','s8','s9','full_access',"
			"'*:read','repo:*','org:admin','Admin','administrator','api:read'",
			SF_CREDS("env://SF_DEV", "env://SF_PROD"), SF_FAIL)) },
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[2]\n"
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[10]\n"
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[11]\n"
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[12]\n"
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[13]\n"
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[14]\n", NULL },
	{ "broad scope with a justification", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_WITH(SF_OWNER, "'api','full_access'", SF_CREDS("env://SF_DEV", "env://SF_PROD"),
			SF_FAIL "'justification':'bulk sync needs it (SEC-112)',")) },
	  "", NULL },

	/* credential.* */
	{ "prod credential shared by two apps", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_CRED("secret://vault/a-dev", "secret://vault/sf-prod")),
	    APP("b", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_CRED("secret://vault/b-dev", "secret://vault/sf-prod")) },
	  "E credential.shared-prod " FILE_A " $.integrations.salesforce.credential.prod\n"
	  "E credential.shared-prod " FILE_B " $.integrations.salesforce.credential.prod\n", NULL },
	{ "dev credential shared by two apps", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_CRED("secret://vault/sf-sandbox", "secret://vault/a-prod")),
	    APP("b", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_CRED("secret://vault/sf-sandbox", "secret://vault/b-prod")) },
	  "W credential.shared " FILE_A " $.integrations.salesforce.credential.dev\n"
	  "W credential.shared " FILE_A " $.integrations.salesforce.credential.staging\n"
	  "W credential.shared " FILE_B " $.integrations.salesforce.credential.dev\n"
	  "W credential.shared " FILE_B " $.integrations.salesforce.credential.staging\n", NULL },
	{ "prod credential in dev of the same integration", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_CRED("secret://vault/sf-prod-ro", "secret://vault/sf-prod-ro")) },
	  "E credential.prod-in-nonprod " FILE_A " $.integrations.salesforce.credential.dev\n", NULL },
	{ "another app's prod credential in staging", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_WITH(SF_OWNER, SF_SCOPES, "'staging':'secret://vault/b-prod','prod':'secret://vault/a-prod'",
			SF_FAIL)),
	    APP("b", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_CRED("secret://vault/b-dev", "secret://vault/b-prod")) },
	  "W credential.missing-env " FILE_A " $.integrations.salesforce.credential\n"
	  "E credential.prod-in-nonprod " FILE_A " $.integrations.salesforce.credential.staging\n", NULL },
	{ "credential for an unknown environment", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_WITH(SF_OWNER, SF_SCOPES, "'qa':'secret://vault/sf-qa','prod':'secret://vault/a-prod'",
			SF_FAIL)) },
	  "W credential.missing-env " FILE_A " $.integrations.salesforce.credential\n"
	  "E credential.unknown-env " FILE_A " $.integrations.salesforce.credential.qa\n", NULL },

	/* app.* and data.* */
	{ "technical owner missing", NULL,
	  { APP("a", "client_portal", ",'owners':{'business':'ann@example.com'}", DATA, ROLES, PAGES, SF) },
	  "E app.owner-missing " FILE_A " $.owners\n", NULL },
	{ "client portal data set without tenant key", NULL,
	  { APP("a", "client_portal", OWNERS, DATA_WITH("salesforce", ""), ROLES, PAGES, SF) },
	  "E data.tenant-key-missing " FILE_A " $.data.customers\n", NULL },
	{ "restricted field visible without justification", NULL,
	  { APP("a", "client_portal", OWNERS, DATA,
		ROLES_WITH(MEMBERS, GRANT0 ",{'resource':'customers','actions':['export']}"), PAGES, SF) },
	  "W data.restricted-visible " FILE_A " $.roles.Agent.grants[1]\n", NULL },
	{ "restricted field visible with a grant justification", NULL,
	  { APP("a", "client_portal", OWNERS, DATA,
		ROLES_WITH(MEMBERS, GRANT0 ",{'resource':'customers','actions':['read'],"
			"'justification':'fraud review (SEC-9)'}"), PAGES, SF) },
	  "", NULL },
	{ "restricted field visible with a role justification", NULL,
	  { APP("a", "client_portal", OWNERS, DATA,
		",'roles':{'Agent':{'justification':'KYC team','members':[" MEMBERS "],"
		"'grants':[{'resource':'customers','actions':['read']}]}}", PAGES, SF) },
	  "", NULL },

	/* ref.* */
	{ "grant and page on undefined data sets", NULL,
	  { APP("a", "client_portal", OWNERS, DATA,
		ROLES_WITH(MEMBERS, "{'resource':'orders','actions':['read'],'hidden_fields':['x']}"),
		PAGES_WITH("invoices", "'Agent'", ""), SF) },
	  "E ref.undefined-resource " FILE_A " $.pages.Customers.resource\n"
	  "E ref.undefined-resource " FILE_A " $.roles.Agent.grants[0].resource\n", NULL },
	{ "page role undefined", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES,
		PAGES_WITH("customers", "'Agent','Ghost'", ""), SF) },
	  "E ref.undefined-role " FILE_A " $.pages.Customers.roles[1]\n", NULL },
	{ "data source undefined", NULL,
	  { APP("a", "client_portal", OWNERS, DATA_WITH("hubspot", "'tenant_key':'account_id',"),
		ROLES, PAGES, SF) },
	  "E ref.undefined-source " FILE_A " $.data.customers.source\n", NULL },
	{ "role member group undefined", NULL,
	  { APP("a", "client_portal", OWNERS, DATA,
		ROLES_WITH(MEMBERS ",'group:nobody'", GRANT0), PAGES, SF) },
	  "E ref.undefined-group " FILE_A " $.roles.Agent.members[3]\n", NULL },
	{ "policy groups undefined",
	  POLICY_WITH(POLICY_GROUPS,
		"'approvals':{'rules':[{'when':'access','group':'auditors','count':1}],"
		"'approvers':['rita@example.com','group:approvers']}",
		POLICY_NOTIFY("https://hooks.example.com/appctl", "env://HOOK"),
		",'break_glass':{'group':'oncall','count':1}"),
	  { BASE("a") },
	  "E ref.undefined-group appctl.json $.approvals.approvers[1]\n"
	  "E ref.undefined-group appctl.json $.approvals.rules[0].group\n"
	  "E ref.undefined-group appctl.json $.break_glass.group\n", NULL },
	{ "unknown actions", NULL,
	  { APP("a", "client_portal", OWNERS, DATA,
		ROLES_WITH(MEMBERS, "{'resource':'customers','actions':['read','exprot','purge'],"
			"'hidden_fields':['ssn']}"), PAGES, SF) },
	  "E ref.unknown-action " FILE_A " $.roles.Agent.grants[0].actions[1]\n"
	  "E ref.unknown-action " FILE_A " $.roles.Agent.grants[0].actions[2]\n", NULL },
	{ "hidden field undefined", NULL,
	  { APP("a", "client_portal", OWNERS, DATA,
		ROLES_WITH(MEMBERS, "{'resource':'customers','actions':['read'],'hidden_fields':['ssn','sssn']}"),
		PAGES, SF) },
	  "E ref.undefined-field " FILE_A " $.roles.Agent.grants[0].hidden_fields[1]\n", NULL },
	{ "freeze on an unknown environment",
	  POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,
		POLICY_NOTIFY("https://hooks.example.com/appctl", "env://HOOK"),
		",'freeze':[{'envs':['prod','production'],'from':'2026-12-20','to':'2027-01-05',"
		"'reason':'year-end close'}]"),
	  { BASE("a") },
	  "E ref.unknown-env appctl.json $.freeze[0].envs[1]\n", NULL },

	/* access.* */
	{ "expired temporary member", NULL,
	  { APP("a", "client_portal", OWNERS, DATA,
		ROLES_WITH("'dan@example.com',{'principal':'cy@contractor.example','expires':'2026-06-14'}",
			GRANT0), PAGES, SF) },
	  "W access.expired-member " FILE_A " $.roles.Agent.members[1].expires\n", NULL },
	{ "membership expiring today is still active", NULL,
	  { APP("a", "client_portal", OWNERS, DATA,
		ROLES_WITH("{'principal':'cy@contractor.example','expires':'2026-06-15'}", GRANT0),
		PAGES, SF) },
	  "", NULL },
	{ "dashboard export to 26 principals", NULL,
	  { APP("a", "dashboard", OWNERS, DATA_WITH("salesforce", ""),
		ROLES_WITH(U25(d) ",'dan@example.com'", GRANT1), PAGES, SF) },
	  "W access.dashboard-export " FILE_A " $.roles.Agent.grants[0].actions\n", NULL },
	{ "dashboard export to 25 principals", NULL,
	  { APP("a", "dashboard", OWNERS, DATA_WITH("salesforce", ""),
		ROLES_WITH(U25(d), GRANT1), PAGES, SF) },
	  "", NULL },
	{ "dashboard export through a group", NULL,
	  { APP("a", "dashboard", OWNERS, DATA_WITH("salesforce", ""),
		ROLES_WITH("'group:big'," U5(x) ",'x6@example.com'", GRANT_READ "," GRANT1), PAGES, SF) },
	  "W access.dashboard-export " FILE_A " $.roles.Agent.grants[1].actions\n", NULL },
	{ "dashboard export: overlap and expired members do not count", NULL,
	  { APP("a", "dashboard", OWNERS, DATA_WITH("salesforce", ""),
		ROLES_WITH("'group:big'," U5(ga) ",'x1@example.com',"
			"{'principal':'x2@example.com','expires':'2026-12-31'},"
			"{'principal':'x3@example.com','expires':'2026-12-31'},"
			"{'principal':'x4@example.com','expires':'2026-12-31'},"
			"{'principal':'x5@example.com','expires':'2026-12-31'},"
			"{'principal':'x6@example.com','expires':'2026-01-01'}", GRANT1), PAGES, SF) },
	  "W access.expired-member " FILE_A " $.roles.Agent.members[11].expires\n", NULL },
	{ "dashboard export through two overlapping groups", NULL,
	  { APP("a", "dashboard", OWNERS, DATA_WITH("salesforce", ""),
		ROLES_WITH("'group:big','group:big2','ga1@example.com'", GRANT1), PAGES, SF) },
	  "", NULL },
	{ "dashboard export through two groups and one more person", NULL,
	  { APP("a", "dashboard", OWNERS, DATA_WITH("salesforce", ""),
		ROLES_WITH("'group:big','group:big2','dan@example.com'", GRANT1), PAGES, SF) },
	  "W access.dashboard-export " FILE_A " $.roles.Agent.grants[0].actions\n", NULL },
	{ "export in an admin panel is not limited", NULL,
	  { APP("a", "admin_panel", OWNERS, DATA_WITH("salesforce", ""),
		ROLES_WITH(U25(d) ",'dan@example.com'", GRANT1), PAGES, SF) },
	  "", NULL },
	/* Issue 13: broad scopes, extended and from the policy. */
	{ "broad scopes of the extended list", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_WITH(SF_OWNER, "'api','full','ALL','root','sudo','admin:org','superuser','read:org'",
			SF_CREDS("env://SF_DEV", "env://SF_PROD"), SF_FAIL)) },
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[1]\n"
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[2]\n"
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[3]\n"
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[4]\n"
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[5]\n"
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[6]\n", NULL },
	{ "broad scopes named by the policy",
	  POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,
		POLICY_NOTIFY("https://hooks.example.com/appctl", "env://HOOK"),
		",'lint':{'broad_scopes':['api','Modify_All_Data']}"),
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_WITH(SF_OWNER, "'API','refresh_token','modify_all_data'",
			SF_CREDS("env://SF_DEV", "env://SF_PROD"), SF_FAIL)) },
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[0]\n"
	  "E integration.broad-scope " FILE_A " $.integrations.salesforce.scopes[2]\n", NULL },

	/* access.dashboard-write */
	{ "dashboard granting writes", NULL,
	  { APP("a", "dashboard", OWNERS, DATA_WITH("salesforce", ""),
		ROLES_WITH(MEMBERS, GRANT_READ ",{'resource':'customers','actions':['read','delete'],'hidden_fields':['ssn']},"
			"{'resource':'customers','actions':['admin'],'hidden_fields':['ssn']}"), PAGES, SF) },
	  "E access.dashboard-write " FILE_A " $.roles.Agent.grants[1].actions\n"
	  "E access.dashboard-write " FILE_A " $.roles.Agent.grants[2].actions\n", NULL },

	/* credential.missing-env */
	{ "credential missing for staging and dev", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_WITH(SF_OWNER, SF_SCOPES, "'prod':'secret://vault/a-prod'", SF_FAIL)) },
	  "W credential.missing-env " FILE_A " $.integrations.salesforce.credential\n", NULL },
	{ "integration without any credential needs none", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_WITH(SF_OWNER, SF_SCOPES, "", SF_FAIL)) },
	  "", NULL },

	/* access.admin-panel-writers */
	{ "admin panel writers above the limit",
	  POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,
		POLICY_NOTIFY("https://hooks.example.com/appctl", "env://HOOK"),
		",'lint':{'admin_panel_max_writers':3}"),
	  { APP("a", "admin_panel", OWNERS, DATA_WITH("salesforce", ""),
		",'roles':{'Agent':{'members':['group:release-managers','dan@example.com',"
		"{'principal':'x1@example.com','expires':'2026-01-01'}],'grants':[" GRANT0 "]},"
		"'Viewer':{'members':['group:big'],'grants':[" GRANT_READ "]},"
		"'Admin':{'members':['ann@example.com','sam@example.com'],"
		"'grants':[{'resource':'customers','actions':['admin'],'hidden_fields':['ssn']}]}}",
		PAGES, SF) },
	  "E access.admin-panel-writers " FILE_A " $.roles\n"
	  "W access.expired-member " FILE_A " $.roles.Agent.members[2].expires\n", NULL },
	{ "admin panel writers at the limit",
	  POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,
		POLICY_NOTIFY("https://hooks.example.com/appctl", "env://HOOK"),
		",'lint':{'admin_panel_max_writers':4}"),
	  { APP("a", "admin_panel", OWNERS, DATA_WITH("salesforce", ""),
		",'roles':{'Agent':{'members':['group:release-managers','dan@example.com'],'grants':[" GRANT0 "]},"
		"'Viewer':{'members':['group:big'],'grants':[" GRANT_READ "]},"
		"'Admin':{'members':['ann@example.com','sam@example.com'],"
		"'grants':[{'resource':'customers','actions':['admin'],'hidden_fields':['ssn']}]}}",
		PAGES, SF) },
	  "", NULL },

	/* integration.name-pattern */
	{ "integration names against the policy's pattern",
	  POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,
		POLICY_NOTIFY("https://hooks.example.com/appctl", "env://HOOK"),
		",'lint':{'integration_name_pattern':'[a-z]+(-[a-z]+)*'}"),
	  { APP("a", "client_portal", OWNERS, DATA_WITH("salesforce-eu", "'tenant_key':'account_id',"),
		ROLES, PAGES,
		",'integrations':{'salesforce-eu':{'kind':'salesforce','owner':'bo@example.com',"
		"'on_failure':'fail_closed'},'Stripe_1':{'kind':'stripe','owner':'bo@example.com',"
		"'on_failure':'fail_closed'},'x-salesforce-':{'kind':'x','owner':'bo@example.com',"
		"'on_failure':'fail_closed'}}") },
	  "W integration.name-pattern " FILE_A " $.integrations.Stripe_1\n"
	  "W integration.name-pattern " FILE_A " $.integrations.x-salesforce-\n", NULL },

	{ "a name pattern with a back-reference is not evaluated",
	  POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,
		POLICY_NOTIFY("https://hooks.example.com/appctl", "env://HOOK"),
		",'lint':{'integration_name_pattern':'(a*)(a*)(a*)\\\\3\\\\2\\\\1c'}"),
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		",'integrations':{'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa':"
		"{'kind':'x','owner':'bo@example.com','on_failure':'fail_closed'}}") },
	  "W integration.name-pattern appctl.json $.lint.integration_name_pattern\n"
	  "E ref.undefined-source " FILE_A " $.data.customers.source\n", NULL },

	/* ref.undefined-tenant-key, data.retention-missing */
	{ "tenant key that is not a field", NULL,
	  { APP("a", "client_portal", OWNERS, DATA_WITH("salesforce", "'tenant_key':'org_id',"),
		ROLES, PAGES, SF) },
	  "E ref.undefined-tenant-key " FILE_A " $.data.customers.tenant_key\n", NULL },
	{ "stored and cached pii without retention", NULL,
	  { APP("a", "admin_panel", OWNERS,
		",'data':{'customers':{'source':'salesforce','storage':'stored'," FIELDS "},"
		"'cache':{'storage':'cached','fields':{'email':{'sensitivity':'pii'}}},"
		"'live':{'storage':'live','fields':{'email':{'sensitivity':'pii'}}},"
		"'kept':{'storage':'stored','retention_days':30,'fields':{'email':{'sensitivity':'pii'}}},"
		"'plain':{'storage':'stored','fields':{'name':{}}}}",
		ROLES, PAGES, SF) },
	  "E data.retention-missing " FILE_A " $.data.cache\n"
	  "E data.retention-missing " FILE_A " $.data.customers\n", NULL },

	/* data flow and ai references */
	{ "integration reads and writes undefined data sets", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_WITH(SF_OWNER, SF_SCOPES, SF_CREDS("env://SF_DEV", "env://SF_PROD"),
			SF_FAIL "'reads':['customers','orders'],'writes':['invoices'],")) },
	  "E ref.undefined-resource " FILE_A " $.integrations.salesforce.reads[1]\n"
	  "E ref.undefined-resource " FILE_A " $.integrations.salesforce.writes[0]\n", NULL },
	{ "ai reads undefined data sets and fields", NULL,
	  { APP("a", "admin_panel", OWNERS, DATA, ROLES, PAGES, SF
		",'ai':{'reads':[{'resource':'orders'},{'resource':'customers','fields':['name','dob']}]}") },
	  "E ref.undefined-resource " FILE_A " $.ai.reads[0].resource\n"
	  "E ref.undefined-field " FILE_A " $.ai.reads[1].fields[1]\n", NULL },
	{ "ai reaching pii in a client portal without a justification", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES, SF
		",'ai':{'reads':[{'resource':'customers','fields':['name']},{'resource':'customers'}]}") },
	  "W ai.sensitive-read " FILE_A " $.ai.reads[1]\n", NULL },
	{ "ai reaching pii with a justification, or in an admin panel", NULL,
	  { APP("a", "client_portal", OWNERS, DATA, ROLES, PAGES, SF
		",'ai':{'justification':'reply drafts (DPA-7)','reads':[{'resource':'customers','fields':['email']}]}"),
	    APP("b", "admin_panel", OWNERS, DATA, ROLES, PAGES,
		SF_CRED("secret://vault/b-dev", "env://B_PROD")
		",'ai':{'reads':[{'resource':'customers'}]}") },
	  "", NULL },

	/* principal.unknown */
	{ "owners and approvers nobody lists",
	  POLICY_WITH(POLICY_GROUPS,
		"'approvals':{'approvers':['group:security','gone@example.com','x@signers.example']}",
		POLICY_NOTIFY("https://hooks.example.com/appctl", "env://HOOK"), ""),
	  { APP("a", "client_portal", ",'owners':{'business':'Ann@example.com','technical':'left@example.com'}",
		DATA, ROLES, PAGES,
		SF_WITH("'owner':'cy@contractor.example',", SF_SCOPES,
			SF_CREDS("env://SF_DEV", "env://SF_PROD"), SF_FAIL)),
	    APP("b", "client_portal", OWNERS, DATA, ROLES, PAGES,
		SF_WITH("'owner':'ghost@example.com',", SF_SCOPES,
			SF_CREDS("env://B_DEV", "env://B_PROD"), SF_FAIL)) },
	  "W principal.unknown appctl.json $.approvals.approvers[1]\n"
	  "W principal.unknown " FILE_A " $.owners.technical\n"
	  "W principal.unknown " FILE_B " $.integrations.salesforce.owner\n", NULL },

	/* lint.rules overrides */
	{ "overrides turn a rule off, down and up",
	  POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,
		POLICY_NOTIFY("https://hooks.example.com/appctl", "env://HOOK"),
		",'lint':{'rules':{"
		"'integration.owner-missing':{'severity':'warning','justification':'owners tracked in the CMDB'},"
		"'integration.on-failure-missing':{'severity':'error','justification':'SEC-3'},"
		"'app.owner-missing':{'severity':'off','justification':'legacy apps, SEC-4'},"
		"'credential.shared':{'severity':'off','justification':'nothing to turn off here'}}}"),
	  { APP("a", "client_portal", "", DATA, ROLES, PAGES,
		SF_WITH("", SF_SCOPES, SF_CREDS("env://SF_DEV", "env://SF_PROD"), "")) },
	  "E integration.on-failure-missing " FILE_A " $.integrations.salesforce\n"
	  "W integration.owner-missing " FILE_A " $.integrations.salesforce\n", NULL },
	{ "overrides of fixed rules are errors and change nothing",
	  POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,
		POLICY_NOTIFY("https://hooks.example.com/appctl", "env://HOOK"),
		",'lint':{'rules':{"
		"'secret.literal':{'severity':'off','justification':'we know'},"
		"'ref.undefined-role':{'severity':'warning','justification':'pages are drafts'}}}"),
	  { APP("a", "client_portal", OWNERS, DATA, ROLES,
		PAGES_WITH("customers", "'Agent','Ghost'", ""),
		SF_CRED("hunter2", "env://SF_PROD")) },
	  "E lint.override-not-allowed appctl.json $.lint.rules[\"ref.undefined-role\"]\n"
	  "E lint.override-not-allowed appctl.json $.lint.rules[\"secret.literal\"]\n"
	  "E secret.literal " FILE_A " $.integrations.salesforce.credential.dev\n"
	  "E secret.literal " FILE_A " $.integrations.salesforce.credential.staging\n"
	  "E ref.undefined-role " FILE_A " $.pages.Customers.roles[1]\n", "hunter2" },
};

/* clang-format on */

static char *single_to_double_quotes(const char *s)
{
	char *out = strdup(s), *p;

	assert_non_null(out);
	for (p = out; *p; p++)
		if (*p == '\'')
			*p = '"';
	return out;
}

/* The "name" of an app text, which is also its folder. */
static char *app_name_of(const char *text)
{
	const char *p = strstr(text, "\"name\":\""), *end;
	char *name;

	assert_non_null(p);
	p += 8;
	end = strchr(p, '"');
	assert_non_null(end);
	name = strndup(p, (size_t)(end - p));
	assert_non_null(name);
	return name;
}

static const char signers_text[] =
	"ann@example.com namespaces=\"appctl\" ssh-ed25519 "
	"AAAAC3NzaC1lZDI1NTE5AAAAIGdxhf0Ibq1dJ8oN3hTzb2pq9Ofbm4Lq2lGvFsC0uAnn\n"
	"bo@example.com,*@signers.example namespaces=\"appctl\" ssh-ed25519 "
	"AAAAC3NzaC1lZDI1NTE5AAAAIGdxhf0Ibq1dJ8oN3hTzb2pq9Ofbm4Lq2lGvFsC0uAnn\n";

static appctl_date test_today(void)
{
	appctl_date d;

	assert_int_equal(appctl_date_parse(&d, "2026-06-15"), 0);
	return d;
}

/* Parses the case's files into a snapshot; frees everything it allocated. */
static appctl_snapshot *snapshot_of(const lint_case *c)
{
	appctl_file policy = { "appctl.json", NULL, 0, "" };
	appctl_file signers = { "allowed_signers", signers_text,
		sizeof(signers_text) - 1, "" };
	appctl_file apps[3];
	char *texts[3] = { NULL, NULL, NULL }, *names[3] = { NULL, NULL, NULL };
	char *paths[3] = { NULL, NULL, NULL };
	const char *dirs[3];
	char *policy_text;
	appctl_snapshot *snap = NULL;
	appctl_error *err;
	size_t n = 0, i;

	policy_text = single_to_double_quotes(c->policy ? c->policy : POLICY);
	policy.data = policy_text;
	policy.len = strlen(policy_text);
	for (; n < 3 && c->apps[n]; n++) {
		size_t len;

		texts[n] = single_to_double_quotes(c->apps[n]);
		names[n] = app_name_of(texts[n]);
		len = strlen(names[n]) + 16;
		paths[n] = malloc(len);
		assert_non_null(paths[n]);
		snprintf(paths[n], len, "apps/%s/app.json", names[n]);
		memset(&apps[n], 0, sizeof(apps[n]));
		apps[n].path = paths[n];
		apps[n].data = texts[n];
		apps[n].len = strlen(texts[n]);
		dirs[n] = names[n];
	}
	err = appctl_snapshot_parse(&snap, &policy, &signers, apps, dirs, n);
	if (err) {
		print_error("case \"%s\": %s: %s: %s\n", c->name,
			err->file ? err->file : "", err->path ? err->path : "",
			err->message);
		appctl_error_free(err);
	}
	for (i = 0; i < n; i++) {
		free(texts[i]);
		free(names[i]);
		free(paths[i]);
	}
	free(policy_text);
	assert_non_null(snap);
	return snap;
}

/* "S rule file path" per finding, one line each. */
static char *findings_text(const appctl_findings *f)
{
	appctl_strbuf out = APPCTL_STRBUF_INIT;
	char *s;
	size_t i;

	appctl_strbuf_puts(&out, "");
	for (i = 0; i < f->count; i++)
		appctl_strbuf_printf(&out, "%c %s %s %s\n",
			f->items[i].severity == APPCTL_SEV_ERROR ? 'E' : 'W',
			f->items[i].rule, f->items[i].file, f->items[i].path);
	s = appctl_strbuf_detach(&out);
	assert_non_null(s);
	return s;
}

static void test_lint_cases(void **state)
{
	int fired[64] = { 0 };
	size_t rule_count, i, j, mismatches = 0;
	const appctl_lint_rule *rules = appctl_lint_rules(&rule_count);

	(void)state;
	assert_true(rule_count <= 64);
	for (i = 0; i < sizeof(lint_cases) / sizeof(lint_cases[0]); i++) {
		const lint_case *c = &lint_cases[i];
		appctl_findings findings = APPCTL_FINDINGS_INIT;
		appctl_snapshot *snap = snapshot_of(c);
		appctl_error *err = appctl_lint(&findings, snap, test_today());
		size_t errors = 0, warnings = 0;
		char *got;

		assert_null(err);
		got = findings_text(&findings);
		/* Every differing case is shown before the test fails. */
		if (strcmp(got, c->expected) != 0) {
			print_error("case \"%s\":\nexpected:\n%sgot:\n%s",
				c->name, c->expected, got);
			mismatches++;
		}
		for (j = 0; j < findings.count; j++) {
			const appctl_finding *f = &findings.items[j];
			const appctl_lint_rule *r =
				appctl_lint_rule_find(f->rule);

			appctl_severity sev;
			size_t k;

			assert_non_null(r);
			/* The rule's severity, unless the policy overrides it. */
			sev = r->severity;
			for (k = 0; k < findings.override_count; k++)
				if (strcmp(findings.overrides[k].rule, r->id) == 0) {
					assert_int_not_equal(findings.overrides[k].level,
						APPCTL_LINT_OFF);
					sev = findings.overrides[k].level ==
							APPCTL_LINT_AS_ERROR
						? APPCTL_SEV_ERROR
						: APPCTL_SEV_WARNING;
				}
			assert_int_equal(sev, f->severity);
			fired[r - rules] = 1;
			errors += f->severity == APPCTL_SEV_ERROR;
			warnings += f->severity == APPCTL_SEV_WARNING;
			/* One line, and never the secret itself. */
			assert_null(strchr(f->message, '\n'));
			assert_true(strlen(f->message) > 10);
			if (c->secret) {
				assert_null(strstr(f->message, c->secret));
				assert_null(strstr(f->path, c->secret));
			}
		}
		assert_int_equal(findings.errors, errors);
		assert_int_equal(findings.warnings, warnings);
		free(got);
		appctl_findings_dispose(&findings);
		appctl_snapshot_free(snap);
	}
	assert_int_equal(mismatches, 0);
	for (i = 0; i < rule_count; i++) {
		if (!fired[i])
			print_error("rule %s never fired\n", rules[i].id);
		assert_true(fired[i]);
	}
}

/* Messages name the thing; spot-check the wording of a few. */
static void test_lint_messages(void **state)
{
	static const lint_case c = { "messages", NULL,
		{ APP("a", "client_portal", OWNERS, DATA,
			ROLES_WITH(MEMBERS,
				GRANT0
				",{'resource':'customers','actions':['exprot']}"),
			PAGES,
			SF_WITH("", SF_SCOPES,
				SF_CREDS("secret://vault/sf-sandbox",
					"sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
				SF_FAIL)) },
		"", NULL };
	static const char *const expected[] = {
		"integration \"salesforce\" has no owner",
		"the \"prod\" credential of integration \"salesforce\" is a literal "
		"secret (a Stripe secret key); use a secret:// or env:// reference",
		"role \"Agent\" is granted unknown action \"exprot\" (did you mean "
		"\"export\"?)",
	};
	appctl_findings findings = APPCTL_FINDINGS_INIT;
	appctl_snapshot *snap = snapshot_of(&c);
	size_t i, j;

	(void)state;
	assert_null(appctl_lint(&findings, snap, test_today()));
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		int found = 0;

		for (j = 0; j < findings.count; j++)
			found |= strcmp(findings.items[j].message,
					 expected[i]) == 0;
		if (!found)
			print_error("no finding says: %s\n", expected[i]);
		assert_true(found);
	}
	appctl_findings_dispose(&findings);
	appctl_snapshot_free(snap);
}

/* Replaces every "NAME" in `tmpl` with `name`; the caller frees the result. */
static char *with_name(const char *tmpl, const char *name)
{
	appctl_strbuf out = APPCTL_STRBUF_INIT;
	const char *p;
	char *s;

	for (p = tmpl; *p;) {
		if (strncmp(p, "NAME", 4) == 0) {
			appctl_strbuf_puts(&out, name);
			p += 4;
		} else {
			appctl_strbuf_putc(&out, *p++);
		}
	}
	s = appctl_strbuf_detach(&out);
	assert_non_null(s);
	return s;
}

/* Many apps sharing one prod reference: one finding each, no blowup. */
static void test_lint_many_apps_share(void **state)
{
	enum { APPS = 300 };
	appctl_file policy = { "appctl.json", NULL, 0, "" };
	appctl_file signers = { "allowed_signers", signers_text,
		sizeof(signers_text) - 1, "" };
	appctl_file *apps = calloc(APPS, sizeof(*apps));
	char **texts = calloc(APPS, sizeof(*texts));
	char **paths = calloc(APPS, sizeof(*paths));
	char **names = calloc(APPS, sizeof(*names));
	char *policy_text = single_to_double_quotes(POLICY);
	char *tmpl = single_to_double_quotes(APP("NAME", "admin_panel", OWNERS,
		DATA_WITH("salesforce", ""), ROLES, PAGES,
		SF_CRED("secret://vault/dev-NAME",
			"secret://vault/shared-prod")));
	appctl_findings findings = APPCTL_FINDINGS_INIT;
	appctl_snapshot *snap = NULL;
	size_t i;

	(void)state;
	assert_true(apps && texts && paths && names);
	policy.data = policy_text;
	policy.len = strlen(policy_text);
	for (i = 0; i < APPS; i++) {
		names[i] = malloc(16);
		paths[i] = malloc(32);
		assert_true(names[i] && paths[i]);
		snprintf(names[i], 16, "app%03zu", i);
		snprintf(paths[i], 32, "apps/%s/app.json", names[i]);
		texts[i] = with_name(tmpl, names[i]);
		apps[i].path = paths[i];
		apps[i].data = texts[i];
		apps[i].len = strlen(texts[i]);
	}
	assert_null(appctl_snapshot_parse(&snap, &policy, &signers, apps,
		(const char *const *)names, APPS));
	assert_null(appctl_lint(&findings, snap, test_today()));
	assert_int_equal(findings.count, APPS);
	assert_int_equal(findings.errors, APPS);
	assert_int_equal(findings.warnings, 0);
	for (i = 0; i < findings.count; i++)
		assert_string_equal(findings.items[i].rule,
			"credential.shared-prod");
	assert_string_equal(findings.items[0].file, "apps/app000/app.json");
	assert_string_equal(findings.items[0].message,
		"the prod credential of integration \"salesforce\" is also the prod "
		"credential of app \"app001\" and 298 other apps");

	appctl_findings_dispose(&findings);
	appctl_snapshot_free(snap);
	for (i = 0; i < APPS; i++) {
		free(texts[i]);
		free(paths[i]);
		free(names[i]);
	}
	free(apps);
	free(texts);
	free(paths);
	free(names);
	free(tmpl);
	free(policy_text);
}

/* Reads a whole file of the source tree; the caller frees it. */
static char *read_source_file(const char *rel, size_t *len)
{
	appctl_strbuf path = APPCTL_STRBUF_INIT, data = APPCTL_STRBUF_INIT;
	char chunk[4096], *s;
	size_t n;
	FILE *f;

	appctl_strbuf_printf(&path, "%s/%s", APPCTL_SOURCE_DIR, rel);
	assert_false(path.failed);
	f = fopen(path.ptr, "rb");
	if (!f)
		print_error("cannot open %s\n", path.ptr);
	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		appctl_strbuf_add(&data, chunk, n);
	assert_false(ferror(f));
	fclose(f);
	appctl_strbuf_dispose(&path);
	*len = data.len;
	s = appctl_strbuf_detach(&data);
	assert_non_null(s);
	return s;
}

/*
 * The example organisation is what users copy: it must lint without errors,
 * and its realistic values must not look like secrets.
 */
static void test_lint_example_org(void **state)
{
	enum { MAX_APPS = 64 };
	appctl_file policy = { "appctl.json", NULL, 0, "" };
	appctl_file signers = { "allowed_signers", NULL, 0, "" };
	appctl_file scim = { "idp/groups.scim.json", NULL, 0, "" };
	appctl_file apps[MAX_APPS];
	char *names[MAX_APPS], *paths[MAX_APPS], *rel;
	appctl_findings findings = APPCTL_FINDINGS_INIT;
	appctl_snapshot *snap = NULL;
	appctl_error *err;
	struct dirent *de;
	size_t n = 0, i, len;
	DIR *dir;

	(void)state;
	policy.data = read_source_file("examples/org/appctl.json", &policy.len);
	signers.data =
		read_source_file("examples/org/allowed_signers", &signers.len);
	{
		appctl_strbuf d = APPCTL_STRBUF_INIT;

		appctl_strbuf_printf(&d, "%s/examples/org/apps",
			APPCTL_SOURCE_DIR);
		assert_false(d.failed);
		dir = opendir(d.ptr);
		appctl_strbuf_dispose(&d);
	}
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		assert_true(n < MAX_APPS);
		names[n] = strdup(de->d_name);
		assert_non_null(names[n]);
		len = strlen(names[n]) + 32;
		paths[n] = malloc(len);
		rel = malloc(len);
		assert_true(paths[n] && rel);
		snprintf(paths[n], len, "apps/%s/app.json", names[n]);
		snprintf(rel, len, "examples/org/%s", paths[n]);
		memset(&apps[n], 0, sizeof(apps[n]));
		apps[n].path = paths[n];
		apps[n].data = read_source_file(rel, &apps[n].len);
		free(rel);
		n++;
	}
	closedir(dir);
	assert_true(n > 0);

	/* The example reads its security group from an IdP export. */
	scim.data = read_source_file("examples/org/idp/groups.scim.json",
		&scim.len);
	err = appctl_snapshot_parse_ext(&snap, &policy, &signers, &scim, 1,
		apps, (const char *const *)names, n);
	assert_null(err);
	assert_null(appctl_lint(&findings, snap, test_today()));
	for (i = 0; i < findings.count; i++)
		print_error("%s %s %s: %s\n", findings.items[i].rule,
			findings.items[i].file, findings.items[i].path,
			findings.items[i].message);
	assert_int_equal(findings.errors, 0);
	for (i = 0; i < findings.count; i++)
		assert_string_not_equal(findings.items[i].rule,
			"secret.literal");

	appctl_findings_dispose(&findings);
	appctl_snapshot_free(snap);
	for (i = 0; i < n; i++) {
		free((char *)apps[i].data);
		free(paths[i]);
		free(names[i]);
	}
	free((char *)policy.data);
	free((char *)signers.data);
	free((char *)scim.data);
}

/* The findings of `c` must include each of `expected` (exact messages). */
static void expect_messages(const lint_case *c, const char *const *expected,
	size_t n, appctl_findings *findings)
{
	appctl_snapshot *snap = snapshot_of(c);
	size_t i, j;

	assert_null(appctl_lint(findings, snap, test_today()));
	for (i = 0; i < n; i++) {
		int found = 0;

		for (j = 0; j < findings->count; j++)
			found |= strcmp(findings->items[j].message,
					 expected[i]) == 0;
		if (!found)
			print_error("case \"%s\": no finding says: %s\n",
				c->name, expected[i]);
		assert_true(found);
	}
	appctl_snapshot_free(snap);
}

/* The issue-13 rules say what they found: counts, limits, names. */
static void test_lint_new_rule_messages(void **state)
{
	static const lint_case c = { "new rule messages",
		POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,
			POLICY_NOTIFY("https://hooks.example.com/appctl", "env://HOOK"),
			",'lint':{'admin_panel_max_writers':1,"
			"'integration_name_pattern':'[a-z]+'}"),
		{ APP("a", "admin_panel",
			",'owners':{'business':'ann@example.com','technical':'left@example.com'}",
			DATA_WITH("salesforce", ""), ROLES, PAGES,
			SF_WITH(SF_OWNER, SF_SCOPES, "'prod':'env://A_PROD'", SF_FAIL)),
		  APP("d", "dashboard", OWNERS, DATA_WITH("salesforce", ""),
			ROLES_WITH(MEMBERS, GRANT0), PAGES,
			SF_CRED("env://D_DEV", "env://D_PROD")) },
		"", NULL };
	static const char *const expected[] = {
		"admin panel \"a\" lets 2 principals create, update, delete or "
		"admin (the policy allows at most 1)",
		"integration \"salesforce\" has no credential for environments "
		"dev, staging",
		"technical owner \"left@example.com\" is unknown to every group, "
		"role and signer list (left the organisation?)",
		"dashboard \"d\" grants update on \"customers\" to role \"Agent\"; "
		"a dashboard is read-only (use class admin_panel for an app that "
		"writes)",
	};
	appctl_findings findings = APPCTL_FINDINGS_INIT;

	(void)state;
	expect_messages(&c, expected, sizeof(expected) / sizeof(expected[0]),
		&findings);
	appctl_findings_dispose(&findings);
}

/*
 * Every valid override is recorded with its justification and how many
 * findings it changed, so `validate` can show an auditor what was turned
 * down; an override of a fixed rule is not recorded (it applies nothing).
 */
static void test_lint_overrides_recorded(void **state)
{
	static const lint_case c = { "overrides recorded",
		POLICY_WITH(POLICY_GROUPS, POLICY_APPROVALS,
			POLICY_NOTIFY("https://hooks.example.com/appctl", "env://HOOK"),
			",'lint':{'rules':{"
			"'app.owner-missing':{'severity':'off','justification':'legacy apps,\\nSEC-4'},"
			"'credential.shared':{'severity':'error','justification':'SEC-5'},"
			"'secret.literal':{'severity':'warning','justification':'no'}}}"),
		{ APP("a", "client_portal", "", DATA, ROLES, PAGES, SF) },
		"", NULL };
	static const char *const expected[] = {
		"override of secret.literal is not allowed: secret.literal and the "
		"ref.* rules cannot be turned off or down",
	};
	appctl_findings findings = APPCTL_FINDINGS_INIT;
	size_t i;

	(void)state;
	expect_messages(&c, expected, 1, &findings);
	assert_int_equal(findings.override_count, 2);
	assert_string_equal(findings.overrides[0].rule, "app.owner-missing");
	assert_int_equal(findings.overrides[0].level, APPCTL_LINT_OFF);
	assert_int_equal(findings.overrides[0].from, APPCTL_SEV_ERROR);
	/* Printed as is by validate: a newline cannot forge a line. */
	assert_string_equal(findings.overrides[0].justification,
		"legacy apps, SEC-4");
	assert_int_equal(findings.overrides[0].findings, 2);
	assert_string_equal(findings.overrides[1].rule, "credential.shared");
	assert_int_equal(findings.overrides[1].findings, 0);
	for (i = 0; i < findings.count; i++)
		assert_string_not_equal(findings.items[i].rule,
			"app.owner-missing");
	assert_int_equal(findings.errors, 1);
	assert_int_equal(findings.warnings, 0);
	assert_string_equal(appctl_lint_level_name(APPCTL_LINT_AS_WARNING),
		"warning");
	appctl_findings_dispose(&findings);
	appctl_findings_dispose(&findings);
}

static void test_lint_rule_table(void **state)
{
	size_t count, i, j;
	const appctl_lint_rule *rules = appctl_lint_rules(&count);

	(void)state;
	assert_int_equal(count, 30);
	for (i = 0; i < count; i++) {
		assert_ptr_equal(appctl_lint_rule_find(rules[i].id), &rules[i]);
		assert_true(strlen(rules[i].summary) > 0);
		assert_true(strlen(rules[i].summary) < 80);
		/* What code scanning shows: why, how to fix, a score. */
		assert_non_null(rules[i].why);
		assert_non_null(rules[i].fix);
		assert_true(strlen(rules[i].why) > 20 && strlen(rules[i].fix) > 20);
		assert_non_null(rules[i].security_severity);
		assert_true(atof(rules[i].security_severity) > 0.0 &&
			atof(rules[i].security_severity) <= 10.0);
		for (j = 0; j < i; j++)
			assert_string_not_equal(rules[i].id, rules[j].id);
	}
	assert_null(appctl_lint_rule_find("no.such-rule"));
	assert_null(appctl_lint_rule_find(NULL));
	assert_int_equal(appctl_lint_rule_find("secret.literal")->severity,
		APPCTL_SEV_ERROR);
	assert_int_equal(appctl_lint_rule_find("credential.shared")->severity,
		APPCTL_SEV_WARNING);
	/* Fixed: secret.literal, every ref.* rule and the override check. */
	for (i = 0; i < count; i++)
		assert_int_equal(rules[i].fixed,
			strcmp(rules[i].id, "secret.literal") == 0 ||
				strncmp(rules[i].id, "ref.", 4) == 0 ||
				strcmp(rules[i].id, "lint.override-not-allowed") == 0);
}

/*
 * Every rule id is documented: on the validate page, in docs/lint.md, and
 * in the field reference docs/definitions.md (its rule table).
 */
static void test_lint_rules_documented(void **state)
{
	static const char *const pages[] = { "docs/commands/validate.md",
		"docs/lint.md", "docs/definitions.md" };
	size_t count, i, p, len;
	const appctl_lint_rule *rules = appctl_lint_rules(&count);

	(void)state;
	for (p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
		char *text = read_source_file(pages[p], &len);

		for (i = 0; i < count; i++)
			if (!strstr(text, rules[i].id)) {
				print_error("%s does not mention %s\n", pages[p],
					rules[i].id);
				fail();
			}
		free(text);
	}
}

static void test_findings_dispose(void **state)
{
	appctl_findings empty = APPCTL_FINDINGS_INIT;

	(void)state;
	appctl_findings_dispose(&empty);
	appctl_findings_dispose(&empty);
	appctl_findings_dispose(NULL);
	assert_int_equal(empty.count, 0);
}

typedef struct secret_case {
	const char *text;
	const char *why; /* NULL: not a secret */
} secret_case;

/* clang-format off */
static const secret_case secret_cases[] = {
	/* Token shapes. */
	{ "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "a Stripe secret key" },
	{ "key=sk_test_4eC39HqLyjWDarjtT1zdp7dc", "a Stripe secret key" },
	{ "rk_live_51H8abcDEFghiJKLmnoPQR", "a Stripe restricted key" },
	{ "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "a Slack token" },
	{ "xoxp-2234567890-2234567890-223456789012-0123456789abcdef", "a Slack token" },
	{ "xapp-1-A0123456789-1234567890123-abcdef0123456789", "a Slack token" },
	{ "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "a GitHub token" },
	{ "gho_16C7e42F292c6912E7710c838347Ae178B4a", "a GitHub token" },
	{ "ghs_16C7e42F292c6912E7710c838347Ae178B4a", "a GitHub token" },
	{ "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGH", "a GitHub token" },
	{ "AKIAIOSFODNN7EXAMPLE", "an AWS access key id" },
	/* Each shape at its least length. */
	{ "xoxb-1234567890", "a Slack token" },
	{ "xoxb-123456789", NULL },
	{ "a://:p@", "a URL with a password" },
	{ "eyJAAAAAAAAAAAAA.ab.", "a JWT" },
	{ "eyJAAAAAAAAAAAA.ab.", NULL },
	{ "-----BEGIN PRIVATE KEY-----", "a PEM private key" },
	{ "aws ASIAY34FZKBOKMUTVV7A session", "an AWS access key id" },
	{ "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
	  "a PEM private key" },
	{ "-----BEGIN OPENSSH PRIVATE KEY-----", "a PEM private key" },
	{ "-----BEGIN PRIVATE KEY-----\nabc", "a PEM private key" },
	{ "postgres://admin:s3cr3t@db.example.com:5432/app", "a URL with a password" },
	{ "https://user:pass@example.com", "a URL with a password" },
	{ "see https://bot:x@hooks.example.com/x for details", "a URL with a password" },
	{ "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
	  "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "a JWT" },
	{ "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "a JWT" },
	/* High-entropy runs. */
	{ "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "a high-entropy string" },
	{ "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "a high-entropy string" },
	{ "token 9f8Kx2LmQ7vR4tZ1pW6yB3nC5hJ0sD8e", "a high-entropy string" },
	{ "https://hooks.slack.com/services/T024BE7LD/B01ABCDEF12/aB3dE5gH7jK9mN1pQ3sT5vX7",
	  "a high-entropy string" },
	{ "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI", "a high-entropy string" },
	{ "password=Xy8kP2mQ9vR4tZ1pW6yB3nC5hJ0sD8eL", "a high-entropy string" },
	{ "https://api.example.com/v1/export?api_key=9f8Kx2LmQ7vR4tZ1pW6yB3nC5hJ0sD8e",
	  "a high-entropy string" },
	{ "c2VjcmV0LXBhc3N3b3JkLWZvci10aGUtZGF0YWJhc2U=", "a high-entropy string" },

	/* Realistic values that are not secrets. */
	{ "ann@example.com", NULL },
	{ "cy@contractor.example", NULL },
	{ "rita.o-malley+appctl@finance.example.co.uk", NULL },
	{ "secret://vault/sf-prod-ro", NULL },
	{ "secret://vault/sk_live_4eC39HqLyjWDarjtT1zdp7dc", NULL },
	{ "env://APPCTL_WEBHOOK_SECRET", NULL },
	{ "env://STRIPE_SECRET_KEY_PRODUCTION_EU_WEST_1", NULL },
	{ "https://hooks.example.com/appctl", NULL },
	{ "https://hooks.example.com/services/appctl-notifications-2024", NULL },
	{ "https://example.com/api/v1/customers/records/export?format=csv&page=2", NULL },
	{ "https://user@example.com/x", NULL },
	{ "ssh://git@github.com/org/repo.git", NULL },
	{ "postgres://db.internal.example.com:5432/billing", NULL },
	{ "postgres://app:${DB_PASSWORD}@db.internal/billing", NULL },
	{ "mailto:ann@example.com", NULL },
	{ "2026-12-31", NULL },
	{ "2026-12-31T23:59:59Z", NULL },
	{ "support-portal", NULL },
	{ "billing-admin", NULL },
	{ "Customers", NULL },
	{ "fail_closed", NULL },
	{ "refresh_token", NULL },
	{ "salesforce", NULL },
	{ "account_id", NULL },
	{ "release-managers", NULL },
	{ "allowed_signers", NULL },
	{ "api", NULL },
	{ "customer_records_export_2024_q1", NULL },
	{ "customer-records-export-v2-eu-west-1-prod", NULL },
	{ "internalAnalyticsDashboardV2", NULL },
	{ "Finance needs admin to reconcile refunds quarterly (TICKET-4821)", NULL },
	{ "Rotate the sk_live_ key quarterly", NULL },
	{ "ghp_ tokens are not allowed here", NULL },
	{ "550e8400-e29b-41d4-a716-446655440000", NULL },
	{ "da39a3ee5e6b4b0d3255bfef95601890afd80709", NULL },
	{ "AKIA is the prefix of AWS key ids", NULL },
	{ "eyJohnson.smith.x@example.com", NULL },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZ", NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", NULL },
	{ "internalAnalyticsDashboardV2Prod2024", NULL },
	{ "monthlyScopeTokenTeamXml859V9", NULL },
	{ "https://hooks.example.com/x?justification=rollback683&page=2", NULL },
	{ "secret://vault/billing-admin/stripe-live-restricted", NULL },
	{ "billing disputes need tax ids; card data is last four digits only", NULL },
	{ "one technical owner fixes data the finance team cannot", NULL },
	{ "customers_write", NULL },
	{ "p99_latency_ms", NULL },
	{ "", NULL },
};

/* clang-format on */

static void test_looks_like_secret(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(secret_cases) / sizeof(secret_cases[0]); i++) {
		const secret_case *c = &secret_cases[i];
		const char *why = NULL;
		int got = appctl_looks_like_secret(c->text, &why);

		if (got != (c->why != NULL) ||
			(got && strcmp(why, c->why) != 0))
			print_error("\"%s\": expected %s, got %s\n", c->text,
				c->why ? c->why : "no secret",
				got ? why : "no secret");
		assert_int_equal(got, c->why != NULL);
		if (got)
			assert_string_equal(why, c->why);
	}
	assert_false(appctl_looks_like_secret(NULL, NULL));
	assert_true(appctl_looks_like_secret("sk_live_4eC39HqLyjWDarjtT1zdp7dc",
		NULL));
}

static void test_is_secret_reference(void **state)
{
	(void)state;
	assert_true(appctl_is_secret_reference("secret://vault/sf-prod-ro"));
	assert_true(appctl_is_secret_reference("env://APPCTL_WEBHOOK_SECRET"));
	assert_false(appctl_is_secret_reference("secret://"));
	assert_false(appctl_is_secret_reference("env://"));
	assert_false(appctl_is_secret_reference("vault://x"));
	assert_false(appctl_is_secret_reference("SECRET://x"));
	assert_false(appctl_is_secret_reference("hunter2"));
	assert_false(appctl_is_secret_reference(""));
	assert_false(appctl_is_secret_reference(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lint_rule_table),
		cmocka_unit_test(test_lint_new_rule_messages),
		cmocka_unit_test(test_lint_overrides_recorded),
		cmocka_unit_test(test_lint_rules_documented),
		cmocka_unit_test(test_findings_dispose),
		cmocka_unit_test(test_is_secret_reference),
		cmocka_unit_test(test_looks_like_secret),
		cmocka_unit_test(test_lint_cases),
		cmocka_unit_test(test_lint_messages),
		cmocka_unit_test(test_lint_many_apps_share),
		cmocka_unit_test(test_lint_example_org),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
