/* cmd_version.c: `appctl version`. */
#include <stdio.h>

#include "cli.h"

appctl_error *cmd_version(appctl_cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (cli->json)
		printf("{\"version\":\"%s\"}\n", APPCTL_VERSION);
	else
		printf("appctl %s\n", APPCTL_VERSION);
	return NULL;
}
