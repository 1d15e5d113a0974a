/* help.h: the --help pages, generated at build time from docs/commands/. */
#ifndef APPCTL_HELP_H
#define APPCTL_HELP_H

typedef struct appctl_help_page {
	const char *name;
	const char *text;
} appctl_help_page;

/* Terminated by an entry with name NULL. */
extern const appctl_help_page appctl_help_pages[];

#endif
