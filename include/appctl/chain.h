/* chain.h: the event log as the judge reads it: a trusted base and the events judged on top of it, with the look-ups every verdict needs (service layer). */
#ifndef APPCTL_CHAIN_H
#define APPCTL_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "appctl/error.h"
#include "appctl/event.h"
#include "appctl/store.h"

/*
 * A chain is a log commit whose state is trusted (verified earlier: the
 * local checkpoint, the server's log before a push, the merge base of a
 * sync; or nothing, for a log judged from its root), plus the events
 * judged since, kept in memory oldest first with the state recomputed
 * after each. Nothing in it comes from a state.json that was not derived
 * again from verified events.
 */
typedef struct appctl_chain appctl_chain;

/*
 * Opens a chain on `base` ("" or NULL: an empty log). The state stored at
 * `base` is taken as trusted: the caller vouches for it. Free with
 * appctl_chain_free.
 */
appctl_error *appctl_chain_open(appctl_chain **out, appctl_repo *repo,
	const char *base);

/* NULL is a no-op. */
void appctl_chain_free(appctl_chain *chain);

appctl_repo *appctl_chain_repo(const appctl_chain *chain);

/* The state after the last event (NULL for an empty chain); owned by the chain. */
const appctl_log_state *appctl_chain_state(const appctl_chain *chain);

/* The log commit of the last event ("" for an empty chain). */
const char *appctl_chain_head(const appctl_chain *chain);

/* How many events the chain holds in all (the position the next one takes, minus one). */
int64_t appctl_chain_length(const appctl_chain *chain);

/*
 * Appends a judged event: derives the next state (APPCTL_EINPUT when the
 * event does not continue the chain: a second init, a release that does
 * not follow) and keeps a copy of `ev` (its id, log commit, bytes and
 * signature). `ev->log_commit` must be set.
 */
appctl_error *appctl_chain_push(appctl_chain *chain, const appctl_event *ev);

/*
 * Called for each event from the newest back; `position` is its place in
 * the log (the root is 1). Set *stop to end the visit.
 */
typedef appctl_error *(*appctl_chain_fn)(const appctl_event *ev,
	int64_t position, void *arg, int *stop);

/* Visits the events in memory, then the log below the base. */
appctl_error *appctl_chain_visit(appctl_chain *chain, appctl_chain_fn fn,
	void *arg);

/*
 * The commit of release `n` of `env` in the chain into `out`; *found is 0
 * when the chain records no such release.
 */
appctl_error *appctl_chain_release_commit(char out[41], int *found,
	appctl_chain *chain, const char *env, int64_t n);

/* Whether `env` held `commit` as one of its releases (release 0 included). */
appctl_error *appctl_chain_env_held(int *held, appctl_chain *chain,
	const char *env, const char *commit);

/* Copies `ev` with its id, log commit and signature; free with appctl_event_free. */
appctl_error *appctl_event_dup(appctl_event **out, const appctl_event *ev);

#endif
