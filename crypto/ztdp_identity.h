/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ZeroTier identities (type 0, "C25519"): key pairs on libsodium, the
 * memory-hard address derivation, signatures, key agreement and the text and
 * binary forms that zerotier-idtool and the wire use.
 */
#ifndef ZTDP_IDENTITY_H
#define ZTDP_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_wire.h"

/* Longest text form: 10 + 1 + 1 + 1 + 128 + 1 + 128 + NUL. */
#define ZTDP_IDENTITY_TEXT_MAX 272

struct ztdp_identity {
	uint64_t address;		/* 40 bits */
	uint8_t pub[ZTDP_C25519_PUBLIC_LEN];	/* X25519 pub || Ed25519 pub */
	uint8_t priv[ZTDP_C25519_PRIVATE_LEN];	/* X25519 secret || Ed25519 seed */
	bool has_private;
};

/* True for 0000000000 and for addresses beginning with 0xff. */
bool ztdp_address_is_reserved(uint64_t address);
void ztdp_address_to_bytes(uint64_t address, uint8_t out[ZTDP_ADDRESS_LEN]);
uint64_t ztdp_address_from_bytes(const uint8_t in[ZTDP_ADDRESS_LEN]);

/* The memory-hard hash of a 64-byte public key (section 2.2). Returns 0, or
 * -1 if the 2 MiB work area could not be allocated. */
int ztdp_identity_address_digest(const uint8_t pub[ZTDP_C25519_PUBLIC_LEN],
				 uint8_t digest[64]);

/* New identity with a fresh private key; loops until the hashcash holds. */
int ztdp_identity_generate(struct ztdp_identity *id);

/* Address derivation holds, the address is not reserved and, if the
 * private key is present, it matches the public key. */
bool ztdp_identity_locally_validate(const struct ztdp_identity *id);
/* The same, saying why it fails (*why is NULL when it holds). */
bool ztdp_identity_check(const struct ztdp_identity *id, const char **why);

/* Text form "addr:0:pub[:priv]". On error returns -1 and points *why at a
 * one-line reason. Does not run the address derivation. */
int ztdp_identity_from_string(struct ztdp_identity *id, const char *text,
			      const char **why);
/* Writes the text form; returns its length, or -1 if buf is too small. */
int ztdp_identity_to_string(const struct ztdp_identity *id, bool with_private,
			    char *buf, size_t buflen);

/* Binary form (section 2.4). Serialize returns bytes written or -1;
 * deserialize returns bytes consumed or -1 (truncated, bad type, bad
 * private key length). */
int ztdp_identity_serialize(const struct ztdp_identity *id, bool with_private,
			    uint8_t *buf, size_t buflen);
int ztdp_identity_deserialize(struct ztdp_identity *id, const uint8_t *buf,
			      size_t buflen);

/* 96-byte ZeroTier signature: Ed25519 over SHA-512(msg)[0..31], then that
 * 32-byte digest. Sign needs the private key. */
int ztdp_identity_sign(const struct ztdp_identity *id, const void *msg,
		       size_t len, uint8_t sig[ZTDP_C25519_SIGNATURE_LEN]);
bool ztdp_identity_verify(const struct ztdp_identity *id, const void *msg,
			  size_t len, const uint8_t *sig, size_t siglen);
/* The same two on bare 64-byte key pairs (worlds, controllers). */
void ztdp_c25519_sign(const uint8_t priv[ZTDP_C25519_PRIVATE_LEN],
		      const uint8_t pub[ZTDP_C25519_PUBLIC_LEN],
		      const void *msg, size_t len,
		      uint8_t sig[ZTDP_C25519_SIGNATURE_LEN]);
bool ztdp_c25519_verify(const uint8_t pub[ZTDP_C25519_PUBLIC_LEN],
			const void *msg, size_t len, const uint8_t *sig,
			size_t siglen);

/* A fresh bare key pair (a world's signing key, ZeroTier's .c25519 file:
 * public then private). Returns 0, or -1 if libsodium fails. */
int ztdp_c25519_generate(uint8_t pub[ZTDP_C25519_PUBLIC_LEN],
			 uint8_t priv[ZTDP_C25519_PRIVATE_LEN]);
/* Does pub belong to priv (a key file that was not damaged or mixed up)? */
bool ztdp_c25519_pair_ok(const uint8_t pub[ZTDP_C25519_PUBLIC_LEN],
			 const uint8_t priv[ZTDP_C25519_PRIVATE_LEN]);

/* 48-byte peer key: SHA-512(X25519(my priv, their pub))[0..47]. Returns -1
 * without a private key or for a low-order peer key. */
int ztdp_identity_agree(const struct ztdp_identity *me,
			const struct ztdp_identity *peer,
			uint8_t key[ZTDP_PEER_KEY_LEN]);

/* Wipe the private key. */
void ztdp_identity_clear(struct ztdp_identity *id);

#endif /* ZTDP_IDENTITY_H */
