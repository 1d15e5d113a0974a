/* complete.h: the candidates shell completion offers, for completion/appctl.bash and completion/_appctl. */
#ifndef APPCTL_COMPLETE_H
#define APPCTL_COMPLETE_H

/*
 * `appctl __complete WORD...`: argv holds the command line after "appctl"
 * up to the word being completed (the last, possibly empty). Prints the
 * candidates starting with it, one per line: global options, the names in
 * `commands` (NULL-terminated, main's table), a command's options and
 * subcommands as its page states them. Prints nothing where a file name
 * belongs (the shell then offers files). Returns the exit status, 0.
 */
int appctl_cli_complete(const char *const *commands, int argc, char **argv);

#endif
