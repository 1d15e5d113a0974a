/* fuzz_definitions.c: libFuzzer target for the definition/policy parsers and the linter. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/json.h"
#include "appctl/lint.h"
#include "appctl/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A schema check reports every error, but keeps the text of at most 50 per
 * file plus one "... and N more" line: a chain longer than that for `files`
 * files means the cap leaks. Each line is formatted, as main.c prints it.
 */
static void check_chain(const appctl_error *err, unsigned long files)
{
	const appctl_error *e;

	if (appctl_error_count(err) > files * 51)
		abort();
	for (e = err; e; e = e->next)
		free(appctl_error_format(e));
}

static const char policy_text[] =
	"{\"appctl\":1,\"environments\":[\"dev\",\"staging\",\"prod\"],"
	"\"groups\":{\"support\":[\"dan@example.com\"]},"
	"\"approvals\":{\"approvers\":[\"group:support\"]}}";

/*
 * The same bytes go through every entry point an attacker can reach with a
 * file in the repository: app.json (and then lint), appctl.json, the JSON
 * locator and the canonical printer.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	appctl_file policy = { "appctl.json", policy_text, sizeof(policy_text) - 1, "" };
	appctl_file signers = { "allowed_signers", "", 0, "" };
	appctl_file app = { "apps/fuzz/app.json", (const char *)data, size, "" };
	const char *dirs[1] = { "fuzz" };
	appctl_findings findings = APPCTL_FINDINGS_INIT;
	appctl_snapshot *snap = NULL;
	appctl_arena *arena;
	appctl_policy *parsed_policy;
	appctl_error *err;
	cJSON *root = NULL;
	unsigned line, column;

	err = appctl_snapshot_parse(&snap, &policy, &signers, &app, dirs, 1);
	check_chain(err, 2);
	if (!err) {
		appctl_error_free(appctl_lint(&findings, snap, 20000));
		appctl_findings_dispose(&findings);
		appctl_snapshot_free(snap);
	}
	appctl_error_free(err);

	arena = appctl_arena_new();
	if (arena) {
		app.path = "appctl.json";
		err = appctl_policy_parse(&parsed_policy, arena, &app);
		check_chain(err, 1);
		appctl_error_free(err);
		appctl_arena_free(arena);
	}

	err = appctl_json_parse(&root, "fuzz.json", (const char *)data, size);
	if (!err) {
		appctl_strbuf canon = APPCTL_STRBUF_INIT;

		appctl_json_canonical(&canon, root);
		appctl_strbuf_dispose(&canon);
		(void)appctl_json_locate((const char *)data, size,
			"$.roles.Agent.grants[0].resource", &line, &column);
		(void)appctl_json_locate((const char *)data, size,
			"$[\"a b\"][3]", &line, &column);
		cJSON_Delete(root);
	}
	appctl_error_free(err);
	return 0;
}
