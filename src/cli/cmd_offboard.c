/* cmd_offboard.c placeholder */
#include "cli.h"
appctl_error *cmd_offboard(appctl_cli *cli, int argc, char **argv)
{
	(void)cli; (void)argc; (void)argv;
	return appctl_error_new(APPCTL_EUSAGE, "not yet");
}
