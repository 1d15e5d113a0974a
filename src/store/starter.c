/* starter.c: the files `appctl init` writes into an empty repository. */
#include "store_internal.h"

/*
 * The policy of SPEC §1.2 without "notify" (a webhook URL that does not
 * exist would only produce failed deliveries), plus a group for the
 * example app's technical owner, whom lint's principal.unknown would
 * otherwise report as gone. Replace the example people.
 */
const char store_starter_policy[] =
	"{\n"
	"  \"appctl\": 1,\n"
	"  \"environments\": [\"dev\", \"staging\", \"prod\"],\n"
	"  \"groups\": {\n"
	"    \"support\": [\"dan@example.com\"],\n"
	"    \"engineering\": [\"bo@example.com\"],\n"
	"    \"security\": [\"sam@example.com\"],\n"
	"    \"release-managers\": [\"rita@example.com\", \"ann@example.com\"]\n"
	"  },\n"
	"  \"signers\": \"allowed_signers\",\n"
	"  \"approvals\": {\n"
	"    \"required\": { \"dashboard\": 1, \"admin_panel\": 2, \"client_portal\": 2 },\n"
	"    \"rules\": [\n"
	"      { \"when\": \"integration\", \"group\": \"security\", \"count\": 1 },\n"
	"      { \"when\": \"policy\", \"group\": \"release-managers\", \"count\": 2 }\n"
	"    ],\n"
	"    \"approvers\": [\"group:release-managers\", \"group:security\"],\n"
	"    \"allow_self_approval\": false,\n"
	"    \"require_signature\": true\n"
	"  },\n"
	"  \"rollback\": { \"required\": 0 }\n"
	"}\n";

/* No keys yet: nobody can approve until someone adds theirs, which is the safe start. */
const char store_starter_signers[] =
	"# allowed_signers: the SSH keys whose signatures appctl accepts on approvals.\n"
	"# Same format as git's gpg.ssh.allowedSignersFile (see ssh-keygen(1),\n"
	"# ALLOWED SIGNERS), one key per line:\n"
	"#   PRINCIPAL [OPTIONS] KEYTYPE BASE64-KEY [COMMENT]\n"
	"# for example:\n"
	"#   ann@example.com namespaces=\"appctl\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... ann@laptop\n"
	"# The principal must be one of the approvers in appctl.json. Changing this\n"
	"# file is a policy change: promoting it needs the approvals \"policy\" rules ask for.\n";

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
