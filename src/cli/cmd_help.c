/* cmd_help.c: `appctl help [COMMAND]`. */
#include <string.h>

#include "cli.h"

appctl_error *cmd_help(appctl_cli *cli, int argc, char **argv)
{
	const char *pos[1];
	int npos, help;
	static const appctl_opt opts[] = { { 0 } };
	appctl_error *err;

	(void)cli;
	err = appctl_cli_parse(argc, argv, opts, pos, 1, &npos, &help);
	if (err)
		return err;
	if (help)
		pos[0] = "help";
	else if (npos == 0)
		pos[0] = "appctl";
	switch (appctl_cli_print_help(pos[0])) {
	case 0:
		return NULL;
	case -1:
		return appctl_error_new(APPCTL_EUSAGE,
			"no help for '%s'; see 'appctl --help'", pos[0]);
	default:
		return appctl_error_nomem();
	}
}
