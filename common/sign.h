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

#endif
