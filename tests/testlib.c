/*
 * The Check tests' shared helpers (testlib.h). The waits for a process
 * are long (60 s) because a test must not fail for a slow start on a
 * loaded machine under the sanitizers, and end at once when the process
 * has exited, so that a failure is quick and says what happened.
 */
#include "testlib.h"

#include "errors.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TESTLIB_WAIT_MS 60000
#define TESTLIB_STOP_MS 30000

struct tally_catalog *
testlib_catalog(void)
{
	struct tally_catalog *cat = NULL;
	struct tally_errbuf   eb  = { "" };

	ck_assert_msg(tally_catalog_load_default(&cat, &eb) == TALLY_OK,
	    "catalogue: %s", eb.text);
	return cat;
}

const struct tally_indicator *
testlib_indicator(const struct tally_catalog *cat, const char *id)
{
	const struct tally_indicator *ind = tally_catalog_indicator(cat, id);

	ck_assert_msg(ind != NULL, "no indicator %s", id);
	return ind;
}

void
testlib_tmpdir(char *dir, size_t len, const char *name)
{
	snprintf(dir, len, "/tmp/tally-%s-XXXXXX", name);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

void
testlib_rmdir(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

void
testlib_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static pid_t
spawn(const char *const *argv)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execv(argv[0], (char *const *) argv);
		_exit(127);
	}
	return pid;
}

pid_t
testlib_start(const char *const *argv, const char *ready)
{
	pid_t pid;
	int   status;

	unlink(ready);
	pid = spawn(argv);
	for (int waited = 0; waited < TESTLIB_WAIT_MS; waited += 10) {
		struct stat sb;

		if (stat(ready, &sb) == 0 && sb.st_size > 0) {
			return pid;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			ck_abort_msg(
			    "%s exited (status %d) before it was ready",
			    argv[0], status);
		}
		testlib_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ck_abort_msg("%s not ready within %d ms", argv[0], TESTLIB_WAIT_MS);
	return -1;
}

int
testlib_exit_status(const char *const *argv)
{
	pid_t pid = spawn(argv);
	int   status;

	for (int waited = 0; waited < TESTLIB_WAIT_MS; waited += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			ck_assert_msg(WIFEXITED(status), "%s died (status %d)",
			    argv[0], status);
			return WEXITSTATUS(status);
		}
		testlib_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ck_abort_msg("%s still running after %d ms", argv[0], TESTLIB_WAIT_MS);
	return -1;
}

void
testlib_stop(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	for (int waited = 0; waited < TESTLIB_STOP_MS; waited += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			ck_assert_msg(
			    WIFEXITED(status) && WEXITSTATUS(status) == 0,
			    "exited with status %d", status);
			return;
		}
		testlib_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ck_abort_msg("did not stop within %d ms of SIGTERM", TESTLIB_STOP_MS);
}

int
testlib_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int      failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
