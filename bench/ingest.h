/*
 * `tally-bench ingest`: one hub's ingest rate against raw SQLite upserts
 * of the same rows in the same batches (the group-commit limit), and the
 * hub's and an idle county node's resident memory.
 */
#ifndef BENCH_INGEST_H
#define BENCH_INGEST_H

#include "harness.h"

/* The floor under any freshness: one commit of one state with the hub's
 * settings, n times; its p50 and p99 in ms. */
int bench_commit_latency(const char *path, int n, double *p50, double *p99);

/* `tally-bench ingest`; an exit code (sysexits.h). */
int bench_cmd_ingest(const struct bench_opts *o);

#endif
