/*
 * The processes and HTTP client declared in proc.h.
 */
#include "proc.h"

#include "stats.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* posix_spawn rather than fork: the benchmark has many threads, and a
 * child of a threaded process may only call async-signal-safe code. */
static int
spawn(pid_t *pid, char *const argv[], const char *out, const char *err)
{
	posix_spawn_file_actions_t fa;
	int                        rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1,
	    out != NULL ? out : "/dev/null", O_WRONLY | O_CREAT | O_APPEND,
	    0644);
	if (err != NULL) {
		posix_spawn_file_actions_addopen(
		    &fa, 2, err, O_WRONLY | O_CREAT | O_APPEND, 0644);
	}
	rc = posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr, "tally-bench: cannot run %s: %s\n", argv[0],
		    strerror(rc));
		return -1;
	}
	return 0;
}

static void
read_ready(struct bench_proc *p)
{
	FILE *f = fopen(p->ready, "r");

	p->url[0]  = '\0';
	p->http[0] = '\0';
	if (f == NULL) {
		return;
	}
	if (fgets(p->url, sizeof(p->url), f) != NULL) {
		p->url[strcspn(p->url, "\n")] = '\0';
	}
	if (fgets(p->http, sizeof(p->http), f) != NULL) {
		p->http[strcspn(p->http, "\n")] = '\0';
	}
	fclose(f);
}

int
bench_proc_spawn(struct bench_proc *p, const char *name, char *const argv[],
    const char *ready, const char *log)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->ready, sizeof(p->ready), "%s", ready);
	snprintf(p->log, sizeof(p->log), "%s", log);
	unlink(ready);
	if (spawn(&p->pid, argv, log, log) != 0) {
		p->pid = 0;
		return -1;
	}
	return 0;
}

int
bench_proc_wait_ready(struct bench_proc *p, int timeout_ms)
{
	uint64_t t0 = bench_now_ns();

	for (;;) {
		struct stat sb;
		int         status;

		if (stat(p->ready, &sb) == 0) {
			read_ready(p);
			return 0;
		}
		if (p->pid <= 0 ||
		    waitpid(p->pid, &status, WNOHANG) == p->pid) {
			fprintf(stderr,
			    "tally-bench: %s exited before it was ready "
			    "(see %s)\n",
			    p->name, p->log);
			p->pid = 0;
			return -1;
		}
		if (bench_ms_since(t0) > timeout_ms) {
			fprintf(stderr,
			    "tally-bench: %s not ready in %d ms (see %s)\n",
			    p->name, timeout_ms, p->log);
			bench_proc_stop(p, 1000);
			return -1;
		}
		bench_sleep_ms(2);
	}
}

int
bench_proc_stop(struct bench_proc *p, int timeout_ms)
{
	uint64_t t0 = bench_now_ns();
	int      status;

	if (p->pid <= 0) {
		return -1;
	}
	kill(p->pid, SIGTERM);
	for (;;) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);

		if (r == p->pid) {
			break;
		}
		if (r < 0 && errno != EINTR) {
			status = -1;
			break;
		}
		if (bench_ms_since(t0) > timeout_ms) {
			fprintf(stderr,
			    "tally-bench: %s did not stop in %d ms: killed\n",
			    p->name, timeout_ms);
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			break;
		}
		bench_sleep_ms(2);
	}
	p->pid = 0;
	return status;
}

int
bench_run(char *const argv[], const char *out, const char *err)
{
	pid_t pid;
	int   status;

	if (spawn(&pid, argv, out, err) != 0) {
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			return -1;
		}
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
bench_rss_kib(pid_t pid, long *rss, long *hwm)
{
	char  path[64], line[256];
	FILE *f;
	long  r = -1, h = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long) pid);
	f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0) {
			r = strtol(line + 6, NULL, 10);
		} else if (strncmp(line, "VmHWM:", 6) == 0) {
			h = strtol(line + 6, NULL, 10);
		}
	}
	fclose(f);
	if (r < 0 || h < 0) {
		return -1;
	}
	*rss = r;
	*hwm = h;
	return 0;
}

long long
bench_write_bytes(pid_t pid)
{
	char      path[64], line[256];
	FILE     *f;
	long long n = -1;

	snprintf(path, sizeof(path), "/proc/%ld/io", (long) pid);
	f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "write_bytes:", 12) == 0) {
			n = strtoll(line + 12, NULL, 10);
		}
	}
	fclose(f);
	return n;
}

double
bench_cpu_ms(pid_t pid)
{
	char          path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE         *f;
	size_t        n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long) pid);
	f = fopen(path, "r");
	if (f == NULL) {
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold blanks; the fields after it are
	 * counted from its closing parenthesis: utime and stime are the
	 * 14th and 15th fields. */
	p = strrchr(buf, ')');
	if (p == NULL ||
	    sscanf(p + 2,
	        "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
	        &st) != 2) {
		return -1;
	}
	return (double) (ut + st) * 1000.0 / (double) sysconf(_SC_CLK_TCK);
}

/* Splits "http://HOST:PORT/PATH" (HOST an IPv4 address). */
static int
parse_url(const char *url, struct sockaddr_in *sa, const char **path)
{
	char        host[64];
	const char *p = url, *colon, *slash;
	long        port;

	if (strncmp(p, "http://", 7) != 0) {
		return -1;
	}
	p += 7;
	colon = strchr(p, ':');
	slash = strchr(p, '/');
	if (colon == NULL || (slash != NULL && slash < colon) ||
	    (size_t) (colon - p) >= sizeof(host)) {
		return -1;
	}
	memcpy(host, p, (size_t) (colon - p));
	host[colon - p] = '\0';
	port            = strtol(colon + 1, NULL, 10);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port   = htons((uint16_t) port);
	if (port <= 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		return -1;
	}
	*path = slash != NULL ? slash : "/";
	return 0;
}

int
bench_http_get(const char *url, bool gzip, int *status, size_t *body_len)
{
	struct sockaddr_in sa;
	const char        *path;
	char               req[1024];
	char              *buf = NULL, *body;
	size_t             len = 0, cap = 0;
	int                fd, n, rv = -1;

	if (parse_url(url, &sa, &path) != 0) {
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		return -1;
	}
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
		goto fail;
	}
	n = snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
	    "%s\r\n",
	    path, gzip ? "Accept-Encoding: gzip\r\n" : "");
	if (n < 0 || (size_t) n >= sizeof(req) ||
	    write(fd, req, (size_t) n) != n) {
		goto fail;
	}
	/* The whole answer, to its end: the time of a report includes
	 * reading all of it. */
	for (;;) {
		ssize_t got;

		if (cap - len < 65536) {
			char *nb = realloc(buf, cap + 262144);

			if (nb == NULL) {
				goto fail;
			}
			buf = nb;
			cap += 262144;
		}
		got = read(fd, buf + len, cap - len - 1);
		if (got < 0 && errno == EINTR) {
			continue;
		}
		if (got < 0) {
			goto fail;
		}
		if (got == 0) {
			break;
		}
		len += (size_t) got;
	}
	if (buf == NULL) {
		goto fail;
	}
	buf[len] = '\0';
	body     = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.", 7) != 0 || body == NULL ||
	    strlen(buf) < 12 || !isdigit((unsigned char) buf[9]) ||
	    !isdigit((unsigned char) buf[10]) ||
	    !isdigit((unsigned char) buf[11])) {
		goto fail;
	}
	*status =
	    (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	*body_len = len - (size_t) (body + 4 - buf);
	rv        = 0;
fail:
	free(buf);
	close(fd);
	return rv;
}
