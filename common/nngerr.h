/*
 * The one place NNG's error codes become Tally's (errors.h), so that the
 * same failure reads the same in the node's uplink and in the hub's
 * server, and is logged once, with what was being done.
 */
#ifndef TALLY_NNGERR_H
#define TALLY_NNGERR_H

/* rv, an NNG error code (0 for none), as a Tally error: TALLY_ENOMEM,
 * TALLY_ETIMEDOUT, TALLY_ECLOSED, TALLY_EINVAL for an address or argument
 * NNG refuses, TALLY_EBUSY for an address in use, TALLY_EIO for the rest.
 * Logs every failure but a timeout, which callers expect and handle, as
 * "nng: WHAT: NNG's message". */
int tally_nngerr(int rv, const char *what);

#endif
