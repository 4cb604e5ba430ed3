/*
 * What the Check tests share: the catalogue, temporary directories, a
 * tally-hub process started and stopped with bounded waits, and the
 * runner. Each helper fails the running test (ck_abort) rather than
 * return an error, so that a test reads as what it checks.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include "catalog.h"

#include <check.h>
#include <stddef.h>
#include <sys/types.h>

/* The reference catalogue (configs/, or TALLY_DATA_DIR); the caller
 * frees it with tally_catalog_free. */
struct tally_catalog *testlib_catalog(void);

/* The indicator id of cat, which must be there. */
const struct tally_indicator *testlib_indicator(
    const struct tally_catalog *cat, const char *id);

/* Makes a new directory /tmp/tally-NAME-XXXXXX into dir (len bytes). */
void testlib_tmpdir(char *dir, size_t len, const char *name);

/* Removes dir and all it holds. */
void testlib_rmdir(const char *dir);

void testlib_sleep_ms(int ms);

/* Starts argv (argv[0] the program's path) and waits until it has
 * written the file ready: its pid. A program that exits first, or has
 * not written it within 60 s, fails the test. */
pid_t testlib_start(const char *const *argv, const char *ready);

/* Runs argv to its end: its exit status. One still running after 60 s
 * fails the test. */
int testlib_exit_status(const char *const *argv);

/* Stops pid with SIGTERM: it must exit 0 (a clean stop, with no leak
 * under the sanitizers) within 30 s. */
void testlib_stop(pid_t pid);

/* Runs every test of s: EXIT_SUCCESS when all passed. Frees s. */
int testlib_run(Suite *s);

#endif
