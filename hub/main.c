/*
 * tally-hub: merges its children's partial states into its region's
 * rollup and forwards that rollup to its own parent. This first version
 * carries the command-line frame only; `run` and `report` arrive with the
 * wire protocol (issue 3), and until then the program says so plainly.
 */
#include "errors.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#ifndef TALLY_VERSION
#define TALLY_VERSION "0.0.0"
#endif

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: tally-hub COMMAND [OPTIONS]\n"
	    "\n"
	    "Commands (arriving with the wire protocol):\n"
	    "  run     serve children and forward to the parent\n"
	    "  report  print the rollup held in a hub's database\n"
	    "\n"
	    "Options:\n"
	    "  -h, --help     show this help\n"
	    "  -V, --version  show the version\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("tally-hub %s\n", TALLY_VERSION);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
		    "tally-hub: %s: not available in this version\n",
		    argv[optind]);
		return EX_UNAVAILABLE;
	}
	usage(stderr);
	return EX_USAGE;
}
