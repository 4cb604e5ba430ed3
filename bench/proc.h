/*
 * The real processes a benchmark runs: tally-hub servers started with a
 * ready file and stopped with SIGTERM, any other program run to its end
 * and timed, the resident memory of a process as the kernel counts it,
 * and a plain HTTP GET for the dashboard's API.
 */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A started server. */
struct bench_proc {
	pid_t pid;
	char  name[64];
	char  ready[512]; /* its ready file */
	char  url[512];   /* the ready file's first line: the bound URL */
	char  http[256];  /* its second line, "" when none */
	char  log[512];
};

/* Starts argv[0] with argv, its standard output and error appended to
 * log; argv must name ready with --ready-file. Returns 0, or -1 with a
 * message on stderr. */
int bench_proc_spawn(struct bench_proc *p, const char *name,
    char *const argv[], const char *ready, const char *log);

/* Waits up to timeout_ms for the ready file of a spawned server and reads
 * it. Returns 0, or -1 with a message on stderr when the server exited
 * or did not get ready (it is then stopped). */
int bench_proc_wait_ready(struct bench_proc *p, int timeout_ms);

/* Sends SIGTERM and waits up to timeout_ms, then SIGKILL. Returns the
 * exit status as waitpid gives it, or -1. A pid of 0 is ignored. */
int bench_proc_stop(struct bench_proc *p, int timeout_ms);

/* Runs argv to its end with stdout sent to out (NULL: /dev/null) and
 * stderr to err (NULL: inherited). Returns the exit code, or -1 when it
 * could not run or died of a signal. */
int bench_run(char *const argv[], const char *out, const char *err);

/* VmRSS and VmHWM of pid in KiB, from /proc/PID/status. Returns 0 or -1. */
int bench_rss_kib(pid_t pid, long *rss, long *hwm);

/* The bytes pid has caused to be written to storage (write_bytes of
 * /proc/PID/io); -1 when it cannot be read. */
long long bench_write_bytes(pid_t pid);

/* The CPU time pid has used, user and system, in milliseconds, from
 * /proc/PID/stat; -1 when it cannot be read. */
double bench_cpu_ms(pid_t pid);

/* GET url ("http://HOST:PORT/PATH") with a fresh connection, saying
 * "Accept-Encoding: gzip" when gzip is set, as a browser does. Sets the
 * status code and the body length as sent (compressed or not). Returns
 * 0, or -1 on a connection or protocol error. */
int bench_http_get(const char *url, bool gzip, int *status, size_t *body_len);

#endif
