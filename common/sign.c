/*
 * The key files, signing and the keys registry declared in sign.h, over
 * libsodium's Ed25519 (crypto_sign) and BLAKE2b (crypto_generichash).
 */
#include "sign.h"

#include "csvfile.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The one line of a private key file that matters; comments (#) and blank
 * lines around it are allowed. */
#define SEED_TAG "ed25519-seed:"
/* A private key file is a few lines; anything longer is not one. */
#define KEY_FILE_MAX 4096
#define B64_VARIANT  sodium_base64_VARIANT_ORIGINAL

struct tally_signer {
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	uint8_t pk[TALLY_PUBLIC_BYTES];
	char    id[TALLY_KEY_ID_STRLEN];
	char    pk_b64[TALLY_PUBLIC_B64_STRLEN];
};

struct keyring_key {
	char    id[TALLY_KEY_ID_STRLEN];
	char    region[TALLY_REGION_STRLEN];
	uint8_t pk[TALLY_PUBLIC_BYTES];
	size_t  line;
};

struct tally_keyring {
	struct keyring_key *keys; /* sorted by id once loaded */
	size_t              n;
	size_t              cap;
};

static int
sodium_ready(struct tally_errbuf *eb)
{
	if (sodium_init() < 0) {
		return tally_fail(eb, TALLY_EIO, "libsodium failed to start");
	}
	return TALLY_OK;
}

void
tally_sign_key_id(
    const uint8_t pk[TALLY_PUBLIC_BYTES], char out[TALLY_KEY_ID_STRLEN])
{
	uint8_t h[crypto_generichash_BYTES_MIN];

	/* BLAKE2b's shortest output, of which the first 8 bytes name the
	 * key: enough to tell apart the keys of every region of a country,
	 * and a sender can only pick an id by picking a key. */
	crypto_generichash(h, sizeof(h), pk, TALLY_PUBLIC_BYTES, NULL, 0);
	sodium_bin2hex(out, TALLY_KEY_ID_STRLEN, h, 8);
}

int
tally_sign_public_parse(const char *text, uint8_t pk[TALLY_PUBLIC_BYTES])
{
	uint8_t raw[TALLY_PUBLIC_BYTES];
	size_t  n = 0;

	if (text == NULL || strlen(text) != TALLY_PUBLIC_B64_STRLEN - 1 ||
	    sodium_base642bin(raw, sizeof(raw), text, strlen(text), NULL, &n,
	        NULL, B64_VARIANT) != 0 ||
	    n != TALLY_PUBLIC_BYTES) {
		return TALLY_EINVAL;
	}
	memcpy(pk, raw, TALLY_PUBLIC_BYTES);
	return TALLY_OK;
}

bool
tally_sign_check(const uint8_t pk[TALLY_PUBLIC_BYTES], const uint8_t *body,
    size_t len, const uint8_t *sig, size_t sig_len)
{
	if (sodium_init() < 0 || sig == NULL || sig_len != TALLY_SIGN_BYTES) {
		return false;
	}
	return crypto_sign_verify_detached(sig, body, len, pk) == 0;
}

/* Writes all of buf to fd. */
static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return TALLY_EIO;
		}
		buf += n;
		len -= (size_t) n;
	}
	return TALLY_OK;
}

/* Creates path with mode, refusing to replace anything, and writes text. */
static int
create_file(
    const char *path, mode_t mode, const char *text, struct tally_errbuf *eb)
{
	int fd, rv;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0) {
		return tally_fail(eb,
		    errno == EEXIST ? TALLY_EEXIST : TALLY_EIO, "%s: %s", path,
		    errno == EEXIST ? "already exists; not replacing a key"
		                    : strerror(errno));
	}
	/* The umask can only take bits away; fchmod makes the mode exact. */
	rv = fchmod(fd, mode) == 0 ? TALLY_OK : TALLY_EIO;
	if (rv == TALLY_OK) {
		rv = write_all(fd, text, strlen(text));
	}
	if (rv == TALLY_OK && fsync(fd) != 0) {
		rv = TALLY_EIO;
	}
	if (close(fd) != 0 && rv == TALLY_OK) {
		rv = TALLY_EIO;
	}
	if (rv != TALLY_OK) {
		unlink(path);
		return tally_fail(
		    eb, rv, "%s: cannot write: %s", path, strerror(errno));
	}
	return TALLY_OK;
}

int
tally_sign_keygen(const char *prefix, char key_id[TALLY_KEY_ID_STRLEN],
    struct tally_errbuf *eb)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	char    seed_b64[sodium_base64_ENCODED_LEN(
	       crypto_sign_SEEDBYTES, B64_VARIANT)];
	char    pk_b64[TALLY_PUBLIC_B64_STRLEN];
	char    id[TALLY_KEY_ID_STRLEN];
	char    key_path[4096], pub_path[4096];
	char    text[512];
	int     rv;

	rv = sodium_ready(eb);
	if (rv != TALLY_OK) {
		return rv;
	}
	if (snprintf(key_path, sizeof(key_path), "%s.key", prefix) >=
	        (int) sizeof(key_path) ||
	    snprintf(pub_path, sizeof(pub_path), "%s.pub", prefix) >=
	        (int) sizeof(pub_path)) {
		return tally_fail(eb, TALLY_EINVAL, "--out: path too long");
	}
	/* Neither file may exist: a new private key beside an old public
	 * key would leave a pair that does not match. */
	if (access(pub_path, F_OK) == 0) {
		return tally_fail(eb, TALLY_EEXIST,
		    "%s: already exists; not replacing a key", pub_path);
	}
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	tally_sign_key_id(pk, id);
	sodium_bin2base64(
	    seed_b64, sizeof(seed_b64), seed, sizeof(seed), B64_VARIANT);
	sodium_bin2base64(pk_b64, sizeof(pk_b64), pk, sizeof(pk), B64_VARIANT);
	snprintf(text, sizeof(text),
	    "# Tally private key %s (Ed25519). Keep it secret: mode 0600,\n"
	    "# readable by the node's user alone; never send it anywhere.\n"
	    "%s%s\n",
	    id, SEED_TAG, seed_b64);
	rv = create_file(key_path, 0600, text, eb);
	if (rv == TALLY_OK) {
		snprintf(text, sizeof(text), "%s\n", pk_b64);
		rv = create_file(pub_path, 0644, text, eb);
		if (rv != TALLY_OK) {
			unlink(key_path);
		}
	}
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(seed_b64, sizeof(seed_b64));
	sodium_memzero(text, sizeof(text));
	if (rv == TALLY_OK) {
		memcpy(key_id, id, TALLY_KEY_ID_STRLEN);
	}
	return rv;
}

/* Reads a private key file whole, after checking who may read it. */
static int
read_key_file(const char *path, char *buf, size_t cap, struct tally_errbuf *eb)
{
	struct stat sb;
	size_t      len = 0;
	int         fd, rv = TALLY_OK;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		return tally_fail(eb,
		    errno == ENOENT ? TALLY_ENOENT : TALLY_EIO, "%s: %s", path,
		    strerror(errno));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rv = tally_fail(
		    eb, TALLY_ECONFIG, "%s: not a regular file", path);
	} else if ((sb.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		rv = tally_fail(eb, TALLY_ECONFIG,
		    "%s: the private key is open to others (mode %04o); "
		    "run chmod 600 %s",
		    path, (unsigned) (sb.st_mode & 07777), path);
	}
	while (rv == TALLY_OK) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			rv = tally_fail(
			    eb, TALLY_EIO, "%s: %s", path, strerror(errno));
		} else if (n == 0) {
			break;
		} else {
			len += (size_t) n;
			if (len == cap - 1) {
				rv = tally_fail(eb, TALLY_ECONFIG,
				    "%s: too long for a key file", path);
			}
		}
	}
	close(fd);
	buf[len] = '\0';
	return rv;
}

/* Finds the seed line of a key file's text and decodes it. */
static int
parse_key_text(
    const char *path, char *text, uint8_t seed[32], struct tally_errbuf *eb)
{
	size_t line  = 0;
	bool   found = false;
	char  *l     = text;

	while (*l != '\0') {
		char  *end = strchr(l, '\n');
		char  *next;
		size_t n;

		line++;
		next = end != NULL ? end + 1 : l + strlen(l);
		if (end != NULL) {
			*end = '\0';
		}
		n = strlen(l);
		if (n > 0 && l[n - 1] == '\r') {
			l[--n] = '\0';
		}
		if (n > 0 && l[0] != '#') {
			if (found ||
			    strncmp(l, SEED_TAG, strlen(SEED_TAG)) != 0) {
				return tally_fail(eb, TALLY_ECONFIG,
				    "%s:%zu: expected one line '%s<base64>'",
				    path, line, SEED_TAG);
			}
			l += strlen(SEED_TAG);
			if (sodium_base642bin(seed, 32, l, strlen(l), NULL, &n,
			        NULL, B64_VARIANT) != 0 ||
			    n != 32) {
				return tally_fail(eb, TALLY_ECONFIG,
				    "%s:%zu: the seed is not 32 bytes in "
				    "base64",
				    path, line);
			}
			found = true;
		}
		l = next;
	}
	if (!found) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s: no '%s' line: not a Tally private key", path,
		    SEED_TAG);
	}
	return TALLY_OK;
}

int
tally_signer_load(
    const char *path, struct tally_signer **out, struct tally_errbuf *eb)
{
	struct tally_signer *s;
	char                 text[KEY_FILE_MAX];
	uint8_t              seed[crypto_sign_SEEDBYTES];
	int                  rv;

	rv = sodium_ready(eb);
	if (rv == TALLY_OK) {
		rv = read_key_file(path, text, sizeof(text), eb);
	}
	if (rv == TALLY_OK) {
		rv = parse_key_text(path, text, seed, eb);
	}
	sodium_memzero(text, sizeof(text));
	if (rv != TALLY_OK) {
		sodium_memzero(seed, sizeof(seed));
		return rv;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		sodium_memzero(seed, sizeof(seed));
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	crypto_sign_seed_keypair(s->pk, s->sk, seed);
	sodium_memzero(seed, sizeof(seed));
	tally_sign_key_id(s->pk, s->id);
	sodium_bin2base64(
	    s->pk_b64, sizeof(s->pk_b64), s->pk, sizeof(s->pk), B64_VARIANT);
	*out = s;
	return TALLY_OK;
}

void
tally_signer_free(struct tally_signer *s)
{
	if (s == NULL) {
		return;
	}
	sodium_memzero(s, sizeof(*s));
	free(s);
}

const char *
tally_signer_key_id(const struct tally_signer *s)
{
	return s->id;
}

const char *
tally_signer_public_b64(const struct tally_signer *s)
{
	return s->pk_b64;
}

void
tally_signer_sign(const struct tally_signer *s, const uint8_t *body,
    size_t len, uint8_t sig[TALLY_SIGN_BYTES])
{
	crypto_sign_detached(sig, NULL, body, len, s->sk);
}

struct keyring_load {
	struct tally_keyring       *kr;
	const struct tally_catalog *cat;
	const char                 *path;
};

static int
keyring_row(
    void *arg, size_t line, char **f, size_t n, struct tally_errbuf *eb)
{
	struct keyring_load  *ld = arg;
	struct tally_keyring *kr = ld->kr;
	struct keyring_key    k;
	int                   same_region = 0;

	if (line == 1) {
		if (n != 2 || strcmp(f[0], "region") != 0 ||
		    strcmp(f[1], "public_key") != 0) {
			return tally_fail(eb, TALLY_ECONFIG,
			    "%s:1: the header must be region,public_key",
			    ld->path);
		}
		return TALLY_OK;
	}
	if (n != 2) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: %zu fields, expected 2", ld->path, line, n);
	}
	memset(&k, 0, sizeof(k));
	if (!tally_region_code_valid(f[0]) ||
	    (ld->cat != NULL &&
	        tally_catalog_division(ld->cat, f[0]) == NULL)) {
		tally_one_line(f[0]);
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field region: unknown region '%.40s'", ld->path,
		    line, f[0]);
	}
	if (tally_sign_public_parse(f[1], k.pk) != TALLY_OK) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field public_key: not an Ed25519 public key in "
		    "base64 (the one line of a .pub file)",
		    ld->path, line);
	}
	memcpy(k.region, f[0], TALLY_REGION_STRLEN);
	tally_sign_key_id(k.pk, k.id);
	k.line = line;
	for (size_t i = 0; i < kr->n; i++) {
		const struct keyring_key *o = &kr->keys[i];

		if (memcmp(o->pk, k.pk, sizeof(k.pk)) == 0) {
			return tally_fail(eb, TALLY_ECONFIG,
			    "%s:%zu: field public_key: the key of line %zu "
			    "again (a key belongs to one region)",
			    ld->path, line, o->line);
		}
		if (strcmp(o->id, k.id) == 0) {
			return tally_fail(eb, TALLY_ECONFIG,
			    "%s:%zu: field public_key: its key id %s is the "
			    "id of line %zu; make a new key",
			    ld->path, line, k.id, o->line);
		}
		same_region += strcmp(o->region, k.region) == 0;
	}
	if (same_region >= TALLY_KEYS_PER_REGION) {
		return tally_fail(eb, TALLY_ECONFIG,
		    "%s:%zu: field region: region %s has %d keys already (at "
		    "most %d: the current and the next)",
		    ld->path, line, k.region, same_region,
		    TALLY_KEYS_PER_REGION);
	}
	if (kr->n == kr->cap) {
		size_t              cap = kr->cap == 0 ? 16 : kr->cap * 2;
		struct keyring_key *p   = realloc(kr->keys, cap * sizeof(*p));
		if (p == NULL) {
			return tally_fail(eb, TALLY_ENOMEM, "out of memory");
		}
		kr->keys = p;
		kr->cap  = cap;
	}
	kr->keys[kr->n++] = k;
	return TALLY_OK;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct keyring_key *) a)->id,
	    ((const struct keyring_key *) b)->id);
}

int
tally_keyring_load(const char *path, const struct tally_catalog *cat,
    struct tally_keyring **out, struct tally_errbuf *eb)
{
	struct keyring_load ld;
	int                 rv;

	rv = sodium_ready(eb);
	if (rv != TALLY_OK) {
		return rv;
	}
	ld.kr   = calloc(1, sizeof(*ld.kr));
	ld.cat  = cat;
	ld.path = path;
	if (ld.kr == NULL) {
		return tally_fail(eb, TALLY_ENOMEM, "out of memory");
	}
	rv = tally_csv_read(path, keyring_row, &ld, eb);
	if (rv == TALLY_OK && ld.kr->n == 0) {
		rv = tally_fail(eb, TALLY_ECONFIG,
		    "%s: lists no key (for open mode, give no keys file)",
		    path);
	}
	if (rv != TALLY_OK) {
		tally_keyring_free(ld.kr);
		return rv;
	}
	qsort(ld.kr->keys, ld.kr->n, sizeof(*ld.kr->keys), key_cmp);
	*out = ld.kr;
	return TALLY_OK;
}

void
tally_keyring_free(struct tally_keyring *kr)
{
	if (kr == NULL) {
		return;
	}
	free(kr->keys);
	free(kr);
}

size_t
tally_keyring_count(const struct tally_keyring *kr)
{
	return kr != NULL ? kr->n : 0;
}

int
tally_keyring_verify(const struct tally_keyring *kr, const uint8_t *body,
    size_t len, const uint8_t *sig, size_t sig_len, const char *key_id,
    const char **region, const uint8_t **pk)
{
	struct keyring_key        probe;
	const struct keyring_key *k;

	if (sig == NULL || sig_len == 0 || tally_text_empty(key_id)) {
		return TALLY_VERIFY_UNSIGNED;
	}
	if (strlen(key_id) != TALLY_KEY_ID_STRLEN - 1) {
		return TALLY_VERIFY_UNKNOWN_KEY;
	}
	memcpy(probe.id, key_id, TALLY_KEY_ID_STRLEN);
	k = bsearch(&probe, kr->keys, kr->n, sizeof(*kr->keys), key_cmp);
	if (k == NULL) {
		return TALLY_VERIFY_UNKNOWN_KEY;
	}
	if (!tally_sign_check(k->pk, body, len, sig, sig_len)) {
		return TALLY_VERIFY_BAD_SIGNATURE;
	}
	*region = k->region;
	*pk     = k->pk;
	return TALLY_VERIFY_OK;
}

const char *
tally_verify_reason(int result)
{
	switch (result) {
	case TALLY_VERIFY_OK:
		return "signature verified";
	case TALLY_VERIFY_UNSIGNED:
		return "unsigned envelope: this hub accepts signed envelopes "
		       "only";
	case TALLY_VERIFY_UNKNOWN_KEY:
		return "unknown key";
	case TALLY_VERIFY_BAD_SIGNATURE:
		return "bad signature";
	case TALLY_VERIFY_WRONG_REGION:
		return "key not authorised for the sender region";
	default:
		return "signature not verified";
	}
}

bool
tally_keyring_has_region(const struct tally_keyring *kr, const char *region)
{
	for (size_t i = 0; kr != NULL && i < kr->n; i++) {
		if (strcmp(kr->keys[i].region, region) == 0) {
			return true;
		}
	}
	return false;
}

bool
tally_key_id_valid(const char *text)
{
	if (text == NULL || strlen(text) != TALLY_KEY_ID_STRLEN - 1) {
		return false;
	}
	for (const char *p = text; *p != '\0'; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
			return false;
		}
	}
	return true;
}

/* The writer of a claim's bytes; ok turns false on a string that does
 * not fit, and nothing more is written. */
struct claim_buf {
	uint8_t *p;
	size_t   len;
	bool     ok;
};

static void
claim_u64(struct claim_buf *b, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--) {
		b->p[b->len++] = (uint8_t) (v >> (8 * i));
	}
}

static void
claim_f64(struct claim_buf *b, double d)
{
	uint64_t bits;

	/* -0 and +0 are the same figure; SQLite may return either. */
	if (d == 0) {
		d = 0;
	}
	memcpy(&bits, &d, sizeof(bits));
	claim_u64(b, bits, 8);
}

static void
claim_str(struct claim_buf *b, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (s == NULL || n > 255) {
		b->ok = false;
		return;
	}
	b->p[b->len++] = (uint8_t) n;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

int
tally_claim_encode(const struct tally_claim *c, uint8_t *buf, size_t *len)
{
	struct claim_buf b = { buf, 0, true };

	memcpy(b.p, TALLY_CLAIM_DOMAIN, strlen(TALLY_CLAIM_DOMAIN));
	b.len        = strlen(TALLY_CLAIM_DOMAIN);
	b.p[b.len++] = 0;
	claim_str(&b, c->region);
	if (b.ok) {
		claim_str(&b, c->indicator);
	}
	if (b.ok) {
		claim_str(&b, c->period);
	}
	if (!b.ok) {
		return TALLY_EINVAL;
	}
	claim_u64(&b, c->version, 8);
	claim_f64(&b, c->sum_a);
	claim_f64(&b, c->sum_b);
	claim_u64(&b, c->leaves, 4);
	b.p[b.len++] = c->has_minmax ? 1 : 0;
	if (c->has_minmax) {
		claim_f64(&b, c->min_value);
		claim_str(&b, c->min_region);
		if (b.ok) {
			claim_f64(&b, c->max_value);
			claim_str(&b, c->max_region);
		}
	}
	if (b.ok) {
		claim_str(&b, c->newest);
	}
	if (b.ok && c->leaves_out != NULL && c->leaves_out[0] != '\0') {
		claim_str(&b, c->leaves_out);
	}
	if (!b.ok) {
		return TALLY_EINVAL;
	}
	*len = b.len;
	return TALLY_OK;
}

int
tally_claim_sign(const struct tally_signer *s, const struct tally_claim *c,
    uint8_t sig[TALLY_SIGN_BYTES])
{
	uint8_t buf[TALLY_CLAIM_MAX];
	size_t  len;
	int     rv = tally_claim_encode(c, buf, &len);

	if (rv == TALLY_OK) {
		tally_signer_sign(s, buf, len, sig);
	}
	return rv;
}

bool
tally_claim_check(const uint8_t pk[TALLY_PUBLIC_BYTES],
    const struct tally_claim *c, const uint8_t *sig, size_t sig_len)
{
	uint8_t buf[TALLY_CLAIM_MAX];
	size_t  len;

	return tally_claim_encode(c, buf, &len) == TALLY_OK &&
	    tally_sign_check(pk, buf, len, sig, sig_len);
}

int
tally_claim_verify(const struct tally_keyring *kr, const struct tally_claim *c,
    const uint8_t *sig, size_t sig_len, const char *key_id,
    const char **key_region, const uint8_t **pk)
{
	uint8_t        buf[TALLY_CLAIM_MAX];
	size_t         len;
	const char    *region;
	const uint8_t *k;
	int            res;

	if (tally_claim_encode(c, buf, &len) != TALLY_OK) {
		return TALLY_VERIFY_BAD_SIGNATURE;
	}
	res = tally_keyring_verify(
	    kr, buf, len, sig, sig_len, key_id, &region, &k);
	if (res != TALLY_VERIFY_OK) {
		return res;
	}
	*key_region = region;
	if (strcmp(region, c->region) != 0) {
		return TALLY_VERIFY_WRONG_REGION;
	}
	*pk = k;
	return TALLY_VERIFY_OK;
}
