/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp-dump: the identities it knows and the peer keys made from them.
 *
 * Identities come from --identity files (secret or public) and from the
 * capture itself (HELLO carries the sender's public identity in clear,
 * OK(WHOIS) carries identities once decrypted). A learned identity is
 * accepted only if its address derivation holds (section 2.2), which binds
 * the key to the address; the first identity seen for an address wins, a
 * different one later is a collision and is not stored.
 *
 * A packet between a and b is dearmored with the 48-byte key both derive
 * (X25519 is symmetric), which needs either side's secret and the other
 * side's public key. Each unordered pair's key context is built once, on
 * first use, and kept: no key agreement or AES key expansion per packet.
 */
#ifndef ZTDP_DUMP_KEYS_H
#define ZTDP_DUMP_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_armor.h"
#include "ztdp_identity.h"

/* Where an identity came from. */
enum ztdp_dump_id_origin {
	ZTDP_DUMP_ID_GIVEN = 0,		/* --identity */
	ZTDP_DUMP_ID_HELLO,		/* learned from a HELLO */
	ZTDP_DUMP_ID_WHOIS,		/* learned from an OK(WHOIS) */
};

/* Result of ztdp_dump_keys_add / _learn. */
enum ztdp_dump_id_add {
	ZTDP_DUMP_ID_NEW = 0,		/* stored */
	ZTDP_DUMP_ID_KNOWN,		/* same public key already stored */
	ZTDP_DUMP_ID_UPGRADED,		/* known public; now with its secret */
	ZTDP_DUMP_ID_COLLISION,		/* another key holds this address */
	ZTDP_DUMP_ID_INVALID,		/* address derivation or key check fails */
	ZTDP_DUMP_ID_ENOMEM,
};

/* Why no peer key could be had (ztdp_dump_keys_peer). */
enum ztdp_dump_nokey {
	ZTDP_DUMP_NOKEY_NONE = 0,
	ZTDP_DUMP_NOKEY_SRC_UNKNOWN,	/* sender's identity not known */
	ZTDP_DUMP_NOKEY_DST_UNKNOWN,	/* receiver's identity not known */
	ZTDP_DUMP_NOKEY_NO_SECRET,	/* neither side's secret given */
	ZTDP_DUMP_NOKEY_AGREE,		/* key agreement refused (bad key) */
	ZTDP_DUMP_NOKEY_ENOMEM,
};

struct ztdp_dump_keys;

struct ztdp_dump_keys *ztdp_dump_keys_create(void);
/* Wipes every secret and peer key. */
void ztdp_dump_keys_destroy(struct ztdp_dump_keys *k);

/* Add an identity as given by the user; it is validated here (about 5 ms,
 * the memory-hard hash). */
enum ztdp_dump_id_add ztdp_dump_keys_add(struct ztdp_dump_keys *k,
					 const struct ztdp_identity *id,
					 enum ztdp_dump_id_origin origin);
/* Same for an identity seen in the capture: public part only, and if
 * validate is false the address derivation is not checked (fuzzing).
 * A key that failed validation once is remembered, so a capture repeating
 * a bad identity costs one check. */
enum ztdp_dump_id_add ztdp_dump_keys_learn(struct ztdp_dump_keys *k,
					   const struct ztdp_identity *id,
					   enum ztdp_dump_id_origin origin,
					   bool validate);

/* Load an identity file (text form, secret or public), or every
 * "*.secret" / "*.public" file of a directory. Returns the number of
 * identities read (>= 1), or -1 with *why set to a one-line reason. */
int ztdp_dump_keys_load(struct ztdp_dump_keys *k, const char *path,
			char *why, size_t whylen);

/* The stored identity of an address, or NULL. */
const struct ztdp_identity *ztdp_dump_keys_find(const struct ztdp_dump_keys *k,
						uint64_t address);
/* Origin of a stored identity (address must be known). */
enum ztdp_dump_id_origin ztdp_dump_keys_origin(const struct ztdp_dump_keys *k,
					       uint64_t address);

/* Key context for packets between a and b (either direction), built on
 * first use. NULL if none can be had; *why says why. */
const struct ztdp_peer_key *ztdp_dump_keys_peer(struct ztdp_dump_keys *k,
						uint64_t a, uint64_t b,
						enum ztdp_dump_nokey *why);
/* A one-off key between the stored identity of `known` and an identity
 * that is not stored (a HELLO whose key collides with the stored one):
 * 0 and pk initialised (caller clears it), or -1 with *why. */
int ztdp_dump_keys_peer_with(struct ztdp_dump_keys *k, uint64_t known,
			     const struct ztdp_identity *other,
			     struct ztdp_peer_key *pk, enum ztdp_dump_nokey *why);

/* Counts for the summary. */
unsigned int ztdp_dump_keys_count(const struct ztdp_dump_keys *k);
unsigned int ztdp_dump_keys_secrets(const struct ztdp_dump_keys *k);
unsigned int ztdp_dump_keys_learned(const struct ztdp_dump_keys *k);

/* One-line text of a reason. */
const char *ztdp_dump_nokey_str(enum ztdp_dump_nokey why);
const char *ztdp_dump_id_origin_str(enum ztdp_dump_id_origin o);

#endif /* ZTDP_DUMP_KEYS_H */
