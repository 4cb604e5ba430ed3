/*
 * What LeakSanitizer lets pass in sanitized builds: leaks inside the
 * libraries Debian ships, each named as narrowly as its report allows,
 * so that every leak of Tally's own still fails the tests.
 */

#if defined(__SANITIZE_ADDRESS__)
const char *__lsan_default_suppressions(void);

/* Debian's cairo 1.16.0 loses 768 bytes (one realloc'd array) in every
 * PDF surface that shows text, wherever the surface is destroyed and its
 * static data reset (a ten-line program that shows one string through
 * pango does the same). Its library has no frame pointers, so the
 * report's stack is that realloc in libcairo alone.
 *
 * NNG 1.5.2 never frees a listener that stopped accepting after a peer
 * left during the handshake (listen.h), nor the connections it completed
 * and held, even once it is closed: a few KB at each such stop. The
 * listener's objects are reported from nng_listener_create and
 * nng_listener_start, and the connections only as reachable from them,
 * so suppressing those two takes nothing else of NNG's (sockets,
 * contexts, aios, messages) out of the report. */
const char *
__lsan_default_suppressions(void)
{
	return "leak:libcairo.so.2\n"
	       "leak:nng_listener_create\n"
	       "leak:nng_listener_start\n";
}
#else
/* ISO C wants something in a translation unit. */
typedef int hub_lsan_unused;
#endif
