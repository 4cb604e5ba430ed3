/*
 * `tally-bench national`: every province: convergence to the national
 * figure, against PostgreSQL's COPY and GROUP BY ROLLUP, and the
 * freshness after a county's correction against re-running the query.
 */
#ifndef BENCH_NATIONAL_H
#define BENCH_NATIONAL_H

#include "harness.h"

/* `tally-bench national`; an exit code (sysexits.h). */
int bench_cmd_national(const struct bench_opts *o);

#endif
