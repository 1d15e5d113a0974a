/* cli_notify.h: how promote, rollback and approve hand a committed event to the notify layer. */
#ifndef APPCTL_CLI_NOTIFY_H
#define APPCTL_CLI_NOTIFY_H

#include <stddef.h>

#include "appctl/event.h"
#include "appctl/model.h"
#include "appctl/notify.h"
#include "cli.h"

/*
 * Sends the webhooks for `ev`, an event already committed to the log (call
 * it after the log append and the refs that follow it, never before):
 * every notify entry of `policy` (the TARGET environment's policy, the one
 * that judged the step) subscribing to the event's type. `event_id` is the
 * event's id (NULL: ev->id); `approvers` the principals of the approvals
 * relied on; `summary` the diff's risk counts indexed by APPCTL_RISK_* (or
 * NULL). One line per delivery goes to stderr; undelivered events stay in
 * the outbox. Never fails the command: the only error returned is out of
 * memory, and the step already happened, so callers may ignore even that.
 * With a non-NULL `report_out`, the report is handed to the caller (for
 * --json output), who frees it with appctl_notify_report_free.
 */
appctl_error *appctl_cli_notify(appctl_cli *cli, const appctl_policy *policy,
	const appctl_event *ev, const char *event_id,
	const char *const *approvers, size_t approver_count,
	const size_t *summary, appctl_notify_report **report_out);

#endif
