/* gitdir.c: where a repository keeps its private files (the notify outbox lives there). */
#include "store_internal.h"

const char *appctl_repo_gitdir(const appctl_repo *repo)
{
	/*
	 * The common directory, not a linked worktree's own: every worktree of
	 * a repository shares one outbox, as they share one event log.
	 */
	/* A twin wraps its parent's object database alone: no folder of its own. */
	if (repo->parent)
		return appctl_repo_gitdir(repo->parent);
	return git_repository_commondir(repo->git);
}
