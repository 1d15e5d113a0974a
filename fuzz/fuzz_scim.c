/* fuzz_scim.c: libFuzzer target for the SCIM group export parser and its merge into a policy. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/model.h"
#include "appctl/scim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_text[] =
	"{\"appctl\":1,\"environments\":[\"dev\",\"prod\"],"
	"\"groups\":{\"support\":[\"dan@example.com\"]},"
	"\"groups_from\":\"idp/groups.scim.json\","
	"\"approvals\":{\"approvers\":[\"group:release-managers\"]}}";

/*
 * An export is a file anyone with commit rights on dev can write: the bytes
 * go through the parser alone and through the merge every reader runs.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	appctl_file policy = { "appctl.json", policy_text, sizeof(policy_text) - 1, "" };
	appctl_file scim = { "idp/groups.scim.json", (const char *)data, size, "" };
	appctl_scim_group *groups = NULL;
	appctl_policy *parsed = NULL;
	appctl_arena *arena = appctl_arena_new();
	size_t count = 0, i, k;

	if (!arena)
		return 0;
	appctl_error_free(appctl_scim_parse(&groups, &count, arena, &scim));
	for (i = 0; i < count; i++) {
		if (!appctl_group_name_is_valid(groups[i].name))
			abort();
		for (k = 0; k < groups[i].member_count; k++)
			if (!appctl_principal_is_valid(groups[i].members[k]))
				abort();
	}
	if (!appctl_policy_parse(&parsed, arena, &policy))
		appctl_error_free(appctl_policy_merge_scim(parsed, arena, &scim, 1));
	appctl_arena_free(arena);
	return 0;
}
