/*
 * `tally-bench tree`: a province's three-level tree: convergence, the
 * freshness of the province's figure under background load, report
 * latency and the dashboard's first view. Its probe and its wait for a
 * tree to hold everything serve the national run too.
 */
#ifndef BENCH_TREE_H
#define BENCH_TREE_H

#include "harness.h"

/* One probe: a correction at a county, pushed (or left to its daemon),
 * and the time until the province's figure of that indicator for the
 * year is the flat figure with it. */
int bench_probe_once(struct bench_run *r, struct tally_store *pst,
    size_t county, size_t probe_ii, size_t k, size_t pslot, bool push,
    double *lat, double *ack, size_t *row_out);

/* Waits until every province holds every region below it (drill-down):
 * the cities forward their counties after their own figures. Returns
 * the milliseconds it took, or -1 after timeout_ms. */
double bench_wait_held(struct bench_run *r, const char *const *provs,
    size_t np, size_t nper, int timeout_ms);

/* `tally-bench tree`; an exit code (sysexits.h). */
int bench_cmd_tree(const struct bench_opts *o);

#endif
