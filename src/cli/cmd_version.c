/* cmd_version.c: `appctl version`. */
#include <stdio.h>

#include "cli.h"

appctl_error *cmd_version(appctl_cli *cli, int argc, char **argv)
{
	static const appctl_opt opts[] = { { 0 } };
	const char *pos[1];
	int npos, help;
	appctl_error *err;

	err = appctl_cli_parse(argc, argv, opts, pos, 0, &npos, &help);
	if (err)
		return err;
	if (help) {
		appctl_cli_print_help("version");
		return NULL;
	}
	if (cli->json)
		printf("{\"version\":\"%s\"}\n", APPCTL_VERSION);
	else
		printf("appctl %s\n", APPCTL_VERSION);
	return NULL;
}
