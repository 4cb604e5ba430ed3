/*
 * sd_notify(3) from Debian's libsystemd for the daemons (notify.h). The
 * socket is left in the environment (unset_environment 0) so that every
 * later message of the same process reaches systemd too.
 */
#include "notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

static void notify_v(const char *head, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Sends "HEAD\nSTATUS=text" in one datagram. */
static void
notify_v(const char *head, const char *fmt, va_list ap)
{
	char status[512];

	vsnprintf(status, sizeof(status), fmt, ap);
	(void) sd_notifyf(
	    0, "%s%sSTATUS=%s", head, head[0] ? "\n" : "", status);
}

void
tally_notify_ready(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_v("READY=1", fmt, ap);
	va_end(ap);
}

void
tally_notify_stopping(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_v("STOPPING=1", fmt, ap);
	va_end(ap);
}

void
tally_notify_reloading(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_v("RELOADING=1", fmt, ap);
	va_end(ap);
}

void
tally_notify_status(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	notify_v("", fmt, ap);
	va_end(ap);
}
