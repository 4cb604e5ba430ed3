/*
 * `tally-hub approve`, `unapprove` and `approvals` (docs/approval.md):
 * commands with options of their own, parsed here, so that hub/main.c
 * only hands them over.
 */
#ifndef HUB_APPROVE_H
#define HUB_APPROVE_H

#include <stdbool.h>

/* Whether cmd is one of these commands. */
bool hub_approve_is_command(const char *cmd);

/* Runs the command argv[0] with its options; returns the exit code. */
int hub_approve_main(int argc, char **argv);

#endif
