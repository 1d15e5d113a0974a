/* platforms.h: the git servers the server hook runs on, as one table: where each runs a repository's hooks and how a refusal must start there (pure core). */
#ifndef APPCTL_PLATFORMS_H
#define APPCTL_PLATFORMS_H

#include <stddef.h>

/* What the shim paths of a platform are relative to. */
typedef enum {
	/* The repository's hooks directory: core.hooksPath, else GIT_DIR/hooks. */
	APPCTL_PLATFORM_IN_HOOKS_DIR,
	/* The repository's git directory (a bare repository is its own). */
	APPCTL_PLATFORM_IN_GIT_DIR,
	/* The directory `-C DIR` names (else the current one); not a repository. */
	APPCTL_PLATFORM_IN_DIR
} appctl_platform_base;

/*
 * One kind of git server. `install` writes appctl's shim as `pre_receive`
 * (or `update`) under `base`; the hook starts every refusal line with
 * `prefix`. Every string is static.
 */
typedef struct appctl_platform {
	const char *name;          /* what --platform takes */
	const char *title;         /* the server, in a few words */
	appctl_platform_base base;
	const char *base_text;     /* what `base` is there, for people */
	const char *pre_receive;   /* the pre-receive shim's path under base */
	const char *update;        /* the update shim's path; NULL: not on this server */
	const char *prefix;        /* starts each refusal line: "" or "GL-HOOK-ERR: " */
	const char *env;           /* set by the server for every hook: names this
	                            * platform when the shim does not; NULL */
	const char *setup;         /* what else the server needs (Markdown); NULL */
} appctl_platform;

/* The table, the plain server first; *count rows. */
const appctl_platform *appctl_platforms(size_t *count);

/* The row named `name`, or NULL. */
const appctl_platform *appctl_platform_find(const char *name);

/* The plain server: a bare repository's hooks/, refusals without a prefix. */
const appctl_platform *appctl_platform_plain(void);

#endif
