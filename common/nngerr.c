/*
 * NNG's error codes as Tally's (nngerr.h).
 */
#include "nngerr.h"

#include "errors.h"
#include "log.h"

#include <nng/nng.h>

int
tally_nngerr(int rv, const char *what)
{
	if (rv == 0) {
		return TALLY_OK;
	}
	if (rv == NNG_ETIMEDOUT) {
		return TALLY_ETIMEDOUT;
	}
	TALLY_LOG(TALLY_LOG_ERROR, "nng: %s: %s", what, nng_strerror(rv));
	switch (rv) {
	case NNG_ENOMEM:
		return TALLY_ENOMEM;
	case NNG_ECLOSED:
		return TALLY_ECLOSED;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
		return TALLY_EINVAL;
	case NNG_EADDRINUSE:
		return TALLY_EBUSY;
	default:
		return TALLY_EIO;
	}
}
