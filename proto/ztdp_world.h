/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worlds: planets and moons (protocol notes section 7). A world lists the
 * root servers (identity and stable endpoints) and carries the public key
 * that must sign its next version.
 *
 * Wire form: type u8 (0 null, 1 planet, 127 moon), id u64, timestamp u64,
 * updates-must-be-signed-by key (64), signature (96), root count u8 (<= 4),
 * per root: identity (71, public only), endpoint count u8 (<= 32),
 * endpoints (InetAddress each); moons end with a u16 dictionary length and
 * that many bytes (skipped; always 0 today).
 *
 * The signature is a C25519 signature (section 2.5) over
 *   7f x 8 || the serialization without the signature || f7 x 8
 * (note: f7 at the end, unlike the other credentials).
 *
 * The decoder is strict so that encode(decode(x)) == x for every world it
 * accepts: it rejects an unknown type, more than 4 roots or 32 endpoints,
 * a root identity carrying a private key, reserved InetAddress types (1, 2,
 * 3), and a moon dictionary of non-zero length.
 */
#ifndef ZTDP_WORLD_H
#define ZTDP_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_buf.h"
#include "ztdp_identity.h"
#include "ztdp_inetaddr.h"
#include "ztdp_wire.h"

/* Error codes (0 = success). */
enum {
	ZTDP_WORLD_OK = 0,
	ZTDP_WORLD_ESHORT = -1,		/* input ends inside the world */
	ZTDP_WORLD_EMALFORMED = -2,	/* a field holds a value not allowed */
	ZTDP_WORLD_ELIMIT = -3,		/* too many roots or endpoints */
	ZTDP_WORLD_ETRAILING = -4,	/* ztdp_world_parse: bytes after the world */
	ZTDP_WORLD_ENOSPC = -5,		/* encoder: output full */
};

const char *ztdp_world_strerror(int err);

struct ztdp_world_root {
	struct ztdp_identity identity;	/* public key only */
	unsigned int endpoint_count;
	struct ztdp_inetaddr endpoints[ZTDP_WORLD_MAX_ENDPOINTS];
};

struct ztdp_world {
	uint8_t type;		/* ZTDP_WORLD_TYPE_* */
	uint64_t id;
	uint64_t timestamp;	/* ms; higher is newer */
	uint8_t updates_key[ZTDP_C25519_PUBLIC_LEN];	/* signs the next version */
	uint8_t signature[ZTDP_C25519_SIGNATURE_LEN];
	unsigned int root_count;
	struct ztdp_world_root roots[ZTDP_WORLD_MAX_ROOTS];
};

/* Read one world from r (e.g. out of OK(HELLO)), leaving r after it. */
int ztdp_world_decode(struct ztdp_rd *r, struct ztdp_world *w);
/* A whole buffer that must hold exactly one world (a planet file). */
int ztdp_world_parse(const void *buf, size_t len, struct ztdp_world *w);
int ztdp_world_encode(struct ztdp_wr *wr, const struct ztdp_world *w);
/* Serialized length of w. */
size_t ztdp_world_size(const struct ztdp_world *w);

/* The message a world's signature covers (see above); returns its length,
 * or 0 if cap is too small (ZTDP_WORLD_MAX_LEN + 16 always suffices). */
size_t ztdp_world_signing_message(const struct ztdp_world *w, uint8_t *buf,
				  size_t cap);

/* Signature check against a given key (normally the current world's
 * updates_key). */
bool ztdp_world_verify(const struct ztdp_world *w,
		       const uint8_t key[ZTDP_C25519_PUBLIC_LEN]);
/* Signature check against the world's own updates_key: true for a world
 * signed by the key it names as the next signer (as the default planet). */
bool ztdp_world_verify_self(const struct ztdp_world *w);

/* Sign w with a C25519 key pair (64-byte public + 64-byte private, the two
 * halves of a ZeroTier .c25519 file). Sets w->signature; does not touch
 * w->updates_key. Returns 0, or -1 if w does not serialize. */
int ztdp_world_sign(struct ztdp_world *w,
		    const uint8_t pub[ZTDP_C25519_PUBLIC_LEN],
		    const uint8_t priv[ZTDP_C25519_PRIVATE_LEN]);

/* Update rule: update replaces current only if both are the same type and
 * ID (and not null), update's timestamp is strictly newer, and update's
 * signature verifies with current->updates_key. */
bool ztdp_world_should_replace(const struct ztdp_world *current,
			       const struct ztdp_world *update);

/* Index of the root with this address, or -1. */
int ztdp_world_find_root(const struct ztdp_world *w, uint64_t address);

/* The default public planet compiled into ZeroTierOne 1.14.1 ("Earth"),
 * serialized. */
const uint8_t *ztdp_planet_default(size_t *len);
/* The same, decoded. Returns 0 (it always parses) or an error code. */
int ztdp_planet_default_load(struct ztdp_world *w);

#endif /* ZTDP_WORLD_H */
