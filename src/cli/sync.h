/* sync.h: exchanging the event log, releases and release tags with a remote; `appctl sync` and the --push of approve and promote. */
#ifndef APPCTL_SYNC_H
#define APPCTL_SYNC_H

#include <stdio.h>

#include "cli.h"

/*
 * Syncs cli->repo with the remote `remote` (SPEC §3; a configured remote,
 * a URL or a repository path, reached through the system git): fetches
 * its event log, environment branches and release tags; re-parents the
 * local events it lacks onto its log (their bytes unchanged, so ids and
 * signatures stay valid; events it already has are never repeated) after
 * judging every event it adopts; sets the local log to the merged one and
 * moves local environment branches and tags the remote has ahead, when
 * they match the log; then pushes the log, environment branches and
 * release tags in one atomic push, each update a compare-and-swap,
 * fetching and retrying (bounded) when someone pushed first. Prints what
 * it did on `out`: text, or JSON when `out` is stdout and cli->json (the
 * --push of other commands passes stderr, keeping their own output the
 * only document on stdout). A refusal by the remote's hook is
 * APPCTL_EDENIED, the remote's lines printed on stderr; when it refused a
 * local event that can never be pushed, the error names it and the way
 * out (`appctl sync --drop EVENT`).
 */
appctl_error *appctl_sync_run(appctl_cli *cli, const char *remote, FILE *out);

#endif
