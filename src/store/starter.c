/* starter.c: the files `appctl init` writes into an empty repository. */
#include <stdlib.h>

#include "appctl/strbuf.h"
#include "store_internal.h"

/*
 * The policy of SPEC §1.2 without "notify" (a webhook URL that does not
 * exist would only produce failed deliveries), with the first approvers
 * `init --signer` named in both approving groups, and a group for the
 * example app's owners, whom lint's principal.unknown would otherwise
 * report as gone (replace them with the app's real owners). Counts never exceed the
 * number of approvers: a starter policy nobody can satisfy would make a
 * release 0 nobody can approve past.
 */
static void starter_policy(appctl_strbuf *b, const appctl_init_signer *s,
	size_t n)
{
	long long two = n >= 2 ? 2 : 1;
	size_t i;

	appctl_strbuf_puts(b,
		"{\n"
		"  \"appctl\": 1,\n"
		"  \"environments\": [\"dev\", \"staging\", \"prod\"],\n"
		"  \"groups\": {\n"
		"    \"support\": [\"dan@example.com\"],\n"
		"    \"example-owners\": [\"ann@example.com\", \"bo@example.com\"],\n");
	appctl_strbuf_puts(b, "    \"security\": [");
	for (i = 0; i < n; i++)
		appctl_strbuf_printf(b, "%s\"%s\"", i ? ", " : "",
			s[i].principal);
	appctl_strbuf_puts(b, "],\n    \"release-managers\": [");
	for (i = 0; i < n; i++)
		appctl_strbuf_printf(b, "%s\"%s\"", i ? ", " : "",
			s[i].principal);
	appctl_strbuf_puts(b, "]\n  },\n"
		"  \"signers\": \"allowed_signers\",\n"
		"  \"approvals\": {\n");
	appctl_strbuf_printf(b,
		"    \"required\": { \"dashboard\": 1, \"admin_panel\": %lld, "
		"\"client_portal\": %lld },\n",
		two, two);
	appctl_strbuf_printf(b,
		"    \"rules\": [\n"
		"      { \"when\": \"integration\", \"group\": \"security\", "
		"\"count\": 1 },\n"
		"      { \"when\": \"policy\", \"group\": \"release-managers\", "
		"\"count\": %lld }\n"
		"    ],\n",
		two);
	appctl_strbuf_puts(b,
		"    \"approvers\": [\"group:release-managers\", "
		"\"group:security\"],\n"
		"    \"allow_self_approval\": ");
	/*
	 * A lone approver who may not approve their own commits could not even
	 * add a second approver: that change would need them too.
	 */
	appctl_strbuf_puts(b, n == 1 ? "true" : "false");
	appctl_strbuf_puts(b, ",\n"
		"    \"require_signature\": true\n"
		"  },\n"
		"  \"rollback\": { \"required\": 0 }\n"
		"}\n");
}

/* The header of the starter allowed_signers: what the file is and how to add a key. */
static const char starter_signers_header[] =
	"# allowed_signers: the SSH keys whose signatures appctl accepts on approvals.\n"
	"# Same format as git's gpg.ssh.allowedSignersFile (see ssh-keygen(1),\n"
	"# ALLOWED SIGNERS), one key per line:\n"
	"#   PRINCIPAL [OPTIONS] KEYTYPE BASE64-KEY [COMMENT]\n"
	"# The principal must be one of the approvers in appctl.json. Changing this\n"
	"# file is a policy change: promoting it needs the approvals \"policy\" rules ask for.\n";

appctl_error *store_starter_build(char **policy, char **signers,
	const appctl_init_signer *s, size_t n)
{
	appctl_strbuf p = APPCTL_STRBUF_INIT, k = APPCTL_STRBUF_INIT;
	size_t i;

	*policy = NULL;
	*signers = NULL;
	starter_policy(&p, s, n);
	appctl_strbuf_puts(&k, starter_signers_header);
	for (i = 0; i < n; i++)
		appctl_strbuf_printf(&k, "%s namespaces=\"appctl\" %s\n",
			s[i].principal, s[i].key);
	if (p.failed || k.failed) {
		appctl_strbuf_dispose(&p);
		appctl_strbuf_dispose(&k);
		return appctl_error_nomem();
	}
	*policy = appctl_strbuf_detach(&p);
	*signers = appctl_strbuf_detach(&k);
	if (!*policy || !*signers) {
		free(*policy);
		free(*signers);
		*policy = *signers = NULL;
		return appctl_error_nomem();
	}
	return NULL;
}

const char store_starter_app_dir[] = "example-dashboard";

/* A read-only dashboard that passes every lint rule: a model to copy. */
const char store_starter_app[] =
	"{\n"
	"  \"name\": \"example-dashboard\",\n"
	"  \"class\": \"dashboard\",\n"
	"  \"owners\": { \"business\": \"ann@example.com\", \"technical\": \"bo@example.com\" },\n"
	"  \"data\": {\n"
	"    \"orders\": {\n"
	"      \"source\": \"warehouse\",\n"
	"      \"retention_days\": 90,\n"
	"      \"fields\": {\n"
	"        \"order_id\": {},\n"
	"        \"region\": { \"sensitivity\": \"internal\" },\n"
	"        \"total\": { \"sensitivity\": \"internal\" }\n"
	"      }\n"
	"    }\n"
	"  },\n"
	"  \"roles\": {\n"
	"    \"Viewer\": {\n"
	"      \"members\": [\"group:support\"],\n"
	"      \"grants\": [ { \"resource\": \"orders\", \"actions\": [\"read\"] } ]\n"
	"    }\n"
	"  },\n"
	"  \"pages\": { \"Orders\": { \"resource\": \"orders\", \"roles\": [\"Viewer\"] } },\n"
	"  \"integrations\": {\n"
	"    \"warehouse\": {\n"
	"      \"kind\": \"postgres\",\n"
	"      \"owner\": \"bo@example.com\",\n"
	"      \"scopes\": [\"read\"],\n"
	"      \"credential\": {\n"
	"        \"dev\": \"secret://vault/warehouse-dev\",\n"
	"        \"staging\": \"secret://vault/warehouse-staging\",\n"
	"        \"prod\": \"secret://vault/warehouse-prod-readonly\"\n"
	"      },\n"
	"      \"on_failure\": \"fail_closed\",\n"
	"      \"rate_limit_per_min\": 60\n"
	"    }\n"
	"  }\n"
	"}\n";
