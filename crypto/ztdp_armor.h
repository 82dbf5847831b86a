/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet armor and dearmor (section 4): suites 0 and 1 (Salsa20/12 with
 * Poly1305) and suite 3 (AES-GMAC-SIV), one packet at a time or a burst at
 * a time. A peer key context is built once per peer; after that no key
 * setup happens per packet.
 *
 * Packets are contiguous, whole (already reassembled) ZeroTier packets of
 * ZTDP_PKT_MIN_LEN .. ZTDP_MAX_PACKET_LEN bytes, worked on in place.
 */
#ifndef ZTDP_ARMOR_H
#define ZTDP_ARMOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_wire.h"

struct ztdp_aes_backend;

/* Per-peer key context. Read-only once built, so any number of threads may
 * use one context at the same time. */
struct ztdp_peer_key {
	uint8_t key[ZTDP_PEER_KEY_LEN];		/* the agreed 48-byte key */
	const struct ztdp_aes_backend *aes;	/* backend that built aes_state */
	void *aes_state;			/* expanded K0/K1 schedules */
};

/* Error codes of armor and dearmor (negative). */
#define ZTDP_ARMOR_OK		0
#define ZTDP_ARMOR_EINVAL	(-1)	/* bad length or unknown suite */
#define ZTDP_ARMOR_EAUTH	(-2)	/* MAC did not verify */
#define ZTDP_ARMOR_ESUITE	(-3)	/* suite not allowed here (2, or 0 with a verb other than HELLO) */
#define ZTDP_ARMOR_ENOMEM	(-4)

/* Build the context: copies the key, derives K0/K1 with KBKDF and expands
 * them with the selected AES backend. Returns 0 or ZTDP_ARMOR_ENOMEM. */
int ztdp_peer_key_init(struct ztdp_peer_key *pk,
		       const uint8_t key[ZTDP_PEER_KEY_LEN]);
/* Free the backend state and wipe the key. */
void ztdp_peer_key_clear(struct ztdp_peer_key *pk);

/* KBKDF-HMAC-SHA-384 of section 2.6 (label '0' or '1'), 48 bytes out. */
void ztdp_kbkdf_hmac_sha384(const uint8_t key[ZTDP_PEER_KEY_LEN], char label,
			    uint8_t out[48]);

/* Armor in place with the given suite (0, 1 or 3). The caller has written
 * the header, including the fragmented flag if the packet will be
 * fragmented; armor sets the cipher bits (and 0x80 for suite 1) and zeroes
 * the hop count. For suite 3 the packet ID (bytes 0..7) is replaced by the
 * SIV tag. Returns 0 or a negative ZTDP_ARMOR_E* code. */
int ztdp_armor(const struct ztdp_peer_key *pk, uint8_t *pkt, size_t len,
	       unsigned int suite);
/* Dearmor in place, using the suite in the flags byte. Suite 0 is accepted
 * only for HELLO. Returns the suite (0, 1, 3) on success or a negative
 * ZTDP_ARMOR_E* code; on failure the packet contents are undefined. */
int ztdp_dearmor(const struct ztdp_peer_key *pk, uint8_t *pkt, size_t len);

/* HELLO's encrypted tail (section 6.2): XOR bytes [start, len) with
 * Salsa20/12 keyed by the unmangled key, nonce = packet ID with byte 7 &
 * 0xf8. Its own inverse. */
void ztdp_hello_cryptfield(const struct ztdp_peer_key *pk, uint8_t *pkt,
			   size_t start, size_t len);

/* One packet of a burst. */
struct ztdp_crypto_op {
	uint8_t *pkt;
	const struct ztdp_peer_key *key;
	uint32_t len;
	uint8_t suite;	/* armor: the suite to apply; dearmor: set on success */
	int8_t status;	/* out: 0 or a negative ZTDP_ARMOR_E* code */
};

/* Armor or dearmor n packets in one call, grouping them by suite so each
 * backend works on a vector. Returns how many succeeded; each op's status
 * says which. */
unsigned int ztdp_armor_burst(struct ztdp_crypto_op *ops, unsigned int n);
unsigned int ztdp_dearmor_burst(struct ztdp_crypto_op *ops, unsigned int n);

/* Constant-time comparison of n bytes; true if equal. */
bool ztdp_ct_equal(const void *a, const void *b, size_t n);

#endif /* ZTDP_ARMOR_H */
