/* ustack demo: the in-memory demo. */
#include <stdio.h>
#include "cli.h"
#include "ustack/ustack.h"

void ust_cmd_demo_usage(void)
{
	printf("usage: ustack demo [--pcap FILE]\n");
}

int ust_cmd_demo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return UST_EXIT_OK;
}
