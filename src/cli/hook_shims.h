/* hook_shims.h: the shims of hooks/, generated at build time, that `appctl hook install` writes. */
#ifndef APPCTL_HOOK_SHIMS_H
#define APPCTL_HOOK_SHIMS_H

typedef struct appctl_hook_shim {
	const char *name;      /* "pre-receive", "update", "pre-push" */
	const char *text;      /* the script, with the line APPCTL='' to fill */
} appctl_hook_shim;

/* Terminated by an entry with name NULL. */
extern const appctl_hook_shim appctl_hook_shims[];

#endif
