/*
 * Node identity: Ed25519 signatures (libsodium). Each node and each hub
 * that forwards has a key pair; it signs the exact body bytes of every
 * envelope it sends, and the hub above checks the signature against the
 * public keys its keys file authorises for each child region before it
 * looks at anything else in the message.
 *
 * A private key file (PREFIX.key) holds the 32-byte seed in base64 and is
 * created mode 0600; loading refuses a file that the group or others may
 * read, because a key that others can read no longer identifies anyone.
 * A public key file (PREFIX.pub) is one line, the public key in base64,
 * ready to be added to a hub's keys file as `region,public_key`. A key's
 * id is derived from its public key alone, so it names the key without
 * revealing anything and cannot be chosen by a sender.
 */
#ifndef TALLY_SIGN_H
#define TALLY_SIGN_H

#include "catalog.h"
#include "errors.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TALLY_SIGN_BYTES   64 /* an Ed25519 signature */
#define TALLY_PUBLIC_BYTES 32 /* an Ed25519 public key */
/* A key id: 16 lowercase hex digits and the terminating NUL. */
#define TALLY_KEY_ID_STRLEN 17
/* A public key in base64 with padding, and the NUL. */
#define TALLY_PUBLIC_B64_STRLEN 45
/* Keys a region may have at once: two during a change of key. */
#define TALLY_KEYS_PER_REGION 2

/* Writes a new key pair to PREFIX.key (mode 0600) and PREFIX.pub. Refuses
 * to overwrite either file (TALLY_EEXIST). On success *key_id is the new
 * key's id. */
int tally_sign_keygen(const char *prefix, char key_id[TALLY_KEY_ID_STRLEN],
    struct tally_errbuf *eb);

/* The id of a public key. */
void tally_sign_key_id(
    const uint8_t pk[TALLY_PUBLIC_BYTES], char out[TALLY_KEY_ID_STRLEN]);

/* Parses a public key in base64 (44 characters). TALLY_EINVAL otherwise. */
int tally_sign_public_parse(const char *text, uint8_t pk[TALLY_PUBLIC_BYTES]);

/* Whether sig is pk's signature of the len bytes at body. */
bool tally_sign_check(const uint8_t pk[TALLY_PUBLIC_BYTES],
    const uint8_t *body, size_t len, const uint8_t *sig, size_t sig_len);

/* A private key loaded for signing. */
struct tally_signer;

/* Loads a private key file written by tally_sign_keygen. TALLY_ECONFIG
 * when the group or others may read it, or when it is malformed (eb says
 * which, with the file and line). */
int tally_signer_load(
    const char *path, struct tally_signer **out, struct tally_errbuf *eb);

/* Wipes the key from memory and frees it; NULL is accepted. */
void tally_signer_free(struct tally_signer *s);

const char *tally_signer_key_id(const struct tally_signer *s);

/* The public key in base64. */
const char *tally_signer_public_b64(const struct tally_signer *s);

/* Signs the len bytes at body. */
void tally_signer_sign(const struct tally_signer *s, const uint8_t *body,
    size_t len, uint8_t sig[TALLY_SIGN_BYTES]);

/* The public keys a hub accepts, each authorised for one region. */
struct tally_keyring;

/* Loads a keys file: CSV with the header `region,public_key`, one key a
 * line, at most TALLY_KEYS_PER_REGION per region, no key twice. With cat,
 * every region must be in the division tree. Errors name the file, line
 * and field, with TALLY_ECONFIG. A file that lists no key is refused: a
 * hub meant to run in open mode is given no keys file at all. */
int tally_keyring_load(const char *path, const struct tally_catalog *cat,
    struct tally_keyring **out, struct tally_errbuf *eb);

void tally_keyring_free(struct tally_keyring *kr);

size_t tally_keyring_count(const struct tally_keyring *kr);

/* Why an envelope's signature was not accepted. */
enum tally_verify {
	TALLY_VERIFY_OK = 0,
	TALLY_VERIFY_UNSIGNED,      /* no signature or no key id */
	TALLY_VERIFY_UNKNOWN_KEY,   /* no key with that id is authorised */
	TALLY_VERIFY_BAD_SIGNATURE, /* the signature does not match */
	TALLY_VERIFY_WRONG_REGION,  /* the key belongs to another region */
};

/* Checks sig over the len bytes at body with the key named key_id
 * (a NUL-terminated string of any content). Returns an enum tally_verify;
 * on TALLY_VERIFY_OK, *region is the region the key is authorised for
 * and *pk its public key (both owned by kr). */
int tally_keyring_verify(const struct tally_keyring *kr, const uint8_t *body,
    size_t len, const uint8_t *sig, size_t sig_len, const char *key_id,
    const char **region, const uint8_t **pk);

/* A short English reason for an enum tally_verify, for acknowledgements
 * and logs. */
const char *tally_verify_reason(int result);

/* Whether the keys file lists at least one key for region. */
bool tally_keyring_has_region(
    const struct tally_keyring *kr, const char *region);

/*
 * A state claim: what a region signs for each of its own states, so that
 * the state can travel through hubs above it and still prove who made it
 * (end-to-end signatures). The signed bytes are a fixed binary layout,
 * not a protobuf encoding, so that no encoder's choices can change them:
 *
 *   "tally-state-v1" and one 0x00 byte   domain separation
 *   str region                           the region the state is of
 *   str indicator
 *   str period                           canonical text (period.h)
 *   u64 version
 *   f64 sum_a, f64 sum_b
 *   u32 leaves
 *   u8  1 when min and max follow, else 0, then when 1:
 *       f64 min_value, str min_region, f64 max_value, str max_region
 *   str newest period                    canonical text
 *   str leaves_out                       only when not empty (catalog.h)
 *
 * str is one byte of length (at most 255) and the bytes, without NUL; u64
 * and u32 are big-endian; f64 is the IEEE 754 binary64 bit pattern,
 * big-endian, with -0 written as +0 (a store may give back either).
 */
#define TALLY_CLAIM_DOMAIN "tally-state-v1"
/* The largest claim: the prefix, seven strings of at most 255 bytes with
 * their lengths and the numbers. */
#define TALLY_CLAIM_MAX 1900

struct tally_claim {
	const char *region;
	const char *indicator;
	const char *period;
	uint64_t    version;
	double      sum_a;
	double      sum_b;
	uint32_t    leaves;
	bool        has_minmax;
	double      min_value;
	const char *min_region;
	double      max_value;
	const char *max_region;
	const char *newest;
	/* What the region left out of the state; NULL or "" for nothing,
	 * which adds no bytes, so that every claim made before it existed
	 * keeps its signature. */
	const char *leaves_out;
};

/* Writes the canonical bytes of c to buf (TALLY_CLAIM_MAX bytes) and
 * their length to *len. TALLY_EINVAL when a string is NULL or longer
 * than 255 bytes. */
int tally_claim_encode(const struct tally_claim *c, uint8_t *buf, size_t *len);

/* Signs the claim c with s. */
int tally_claim_sign(const struct tally_signer *s, const struct tally_claim *c,
    uint8_t sig[TALLY_SIGN_BYTES]);

/* Checks sig (made by the key key_id) over the claim c against the keys
 * file: the key must be listed and authorised for c->region. Returns an
 * enum tally_verify (TALLY_VERIFY_WRONG_REGION when the key belongs to
 * another region, with *key_region set); on TALLY_VERIFY_OK *pk is the
 * public key (owned by kr). */
int tally_claim_verify(const struct tally_keyring *kr,
    const struct tally_claim *c, const uint8_t *sig, size_t sig_len,
    const char *key_id, const char **key_region, const uint8_t **pk);

/* Whether sig is pk's signature of the claim c. */
bool tally_claim_check(const uint8_t pk[TALLY_PUBLIC_BYTES],
    const struct tally_claim *c, const uint8_t *sig, size_t sig_len);

/* Whether text has the form of a key id: 16 lowercase hex digits. */
bool tally_key_id_valid(const char *text);

#endif
