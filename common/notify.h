/*
 * Readiness and status for systemd (Type=notify units): READY=1 once a
 * daemon serves, STOPPING=1 when it is asked to stop, RELOADING=1 around
 * a reload, and STATUS= lines for `systemctl status`. Without a
 * NOTIFY_SOCKET (not started by systemd) every call does nothing.
 */
#ifndef TALLY_NOTIFY_H
#define TALLY_NOTIFY_H

/* READY=1 with a status line. */
void tally_notify_ready(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* STOPPING=1 with a status line. */
void tally_notify_stopping(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* RELOADING=1 with a status line; tally_notify_ready ends the reload. */
void tally_notify_reloading(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* A STATUS= line alone. */
void tally_notify_status(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
