/* platforms.c: the git servers the server hook runs on, as one table that `hook install`, the hook itself and `hook --help` all read (pure core). */
#include "appctl/platforms.h"

#include <string.h>

/*
 * One row per server. A server that runs a directory of scripts in turn
 * gets appctl's shim as one of them, never in place of the server's own
 * hook; only GitLab needs a prefix, since it shows as the rejection
 * message only the lines that start with "GL-HOOK-ERR: ", and every other
 * pusher would see that noise.
 */
static const appctl_platform platforms[] = {
	{ "plain",
	  "git itself: a bare repository served over SSH (git-shell, sshd) "
	  "or by `git daemon`",
	  APPCTL_PLATFORM_IN_HOOKS_DIR, "the repository's hooks directory",
	  "pre-receive", "update", "", NULL, NULL },
	{ "http",
	  "`git http-backend` behind a web server (Apache, nginx with "
	  "fcgiwrap)",
	  APPCTL_PLATFORM_IN_HOOKS_DIR, "the repository's hooks directory",
	  "pre-receive", "update", "", NULL,
	  "Authenticate pushers in the web server: `git http-backend` "
	  "accepts pushes from authenticated users (`http.receivepack true` "
	  "would also let anonymous ones push); the hook runs as the web "
	  "server's user." },
	{ "gitolite",
	  "gitolite 3.6, as a repo-specific hook",
	  APPCTL_PLATFORM_IN_DIR,
	  "a clone of gitolite-admin (`-C DIR`)",
	  "local/hooks/repo-specific/appctl", NULL, "", NULL,
	  "In the server's `~/.gitolite.rc` set `LOCAL_CODE => "
	  "\"$rc{GL_ADMIN_BASE}/local\",` and uncomment `'repo-specific-hooks',` "
	  "in `ENABLE`; in `conf/gitolite.conf` give the repository `option "
	  "hook.pre-receive = appctl`; commit and push gitolite-admin. gitolite "
	  "keeps `update` for its own rules. Before 3.6.10 it ignores a failing "
	  "repo-specific hook that is not the last one listed: list `appctl` "
	  "last." },
	{ "gitea",
	  "Gitea",
	  APPCTL_PLATFORM_IN_GIT_DIR,
	  "the repository (`gitea-repositories/OWNER/NAME.git`)",
	  "hooks/pre-receive.d/appctl", "hooks/update.d/appctl", "", NULL,
	  "Gitea's own `hooks/pre-receive` runs every script in "
	  "`hooks/pre-receive.d/`: leave it in place." },
	{ "forgejo",
	  "Forgejo (laid out as Gitea)",
	  APPCTL_PLATFORM_IN_GIT_DIR,
	  "the repository (`forgejo-repositories/OWNER/NAME.git`)",
	  "hooks/pre-receive.d/appctl", "hooks/update.d/appctl", "", NULL,
	  "Forgejo's own `hooks/pre-receive` runs every script in "
	  "`hooks/pre-receive.d/`: leave it in place." },
	{ "gitlab",
	  "GitLab (Gitaly server hooks)",
	  APPCTL_PLATFORM_IN_GIT_DIR,
	  "the repository at its hashed path (`@hashed/ab/cd/abcd....git`)",
	  "custom_hooks/pre-receive.d/appctl", "custom_hooks/update.d/appctl",
	  "GL-HOOK-ERR: ", "GL_ID",
	  "GitLab shows the lines that start with `GL-HOOK-ERR:` as the "
	  "rejection message. Since GitLab 15.11 hooks are set with `gitaly "
	  "hooks set` from a tarball whose root is `custom_hooks/`: make that "
	  "directory and install with `--into custom_hooks/pre-receive.d`. For "
	  "every repository at once, install with `--into` into "
	  "`pre-receive.d/` of Gitaly's `custom_hooks_dir`." },
};

const appctl_platform *appctl_platforms(size_t *count)
{
	*count = sizeof(platforms) / sizeof(platforms[0]);
	return platforms;
}

const appctl_platform *appctl_platform_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(platforms) / sizeof(platforms[0]); i++)
		if (strcmp(platforms[i].name, name) == 0)
			return &platforms[i];
	return NULL;
}

const appctl_platform *appctl_platform_plain(void)
{
	return &platforms[0];
}
