/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Salsa20 with 20 or 12 rounds: DJB's layout, 8-byte nonce, 64-bit block
 * counter. One implementation serves the identity hash (20 rounds) and
 * packet armor (12 rounds); wide SIMD paths are picked at start-up.
 */
#ifndef ZTDP_SALSA20_H
#define ZTDP_SALSA20_H

#include <stddef.h>
#include <stdint.h>

struct ztdp_salsa20 {
	uint32_t state[16];	/* input block; words 8..9 are the counter */
	unsigned int rounds;	/* 12 or 20 */
};

void ztdp_salsa20_init(struct ztdp_salsa20 *s, const uint8_t key[32],
		       const uint8_t nonce[8], unsigned int rounds);
void ztdp_salsa20_set_counter(struct ztdp_salsa20 *s, uint64_t block);
/* out = in XOR keystream. Consumes ceil(len / 64) blocks: only the last
 * call on a stream may have a length that is not a multiple of 64. in and
 * out may be the same buffer. */
void ztdp_salsa20_xor(struct ztdp_salsa20 *s, uint8_t *out, const uint8_t *in,
		      size_t len);
/* out = keystream, same block accounting as ztdp_salsa20_xor. */
void ztdp_salsa20_keystream(struct ztdp_salsa20 *s, uint8_t *out, size_t len);
/* Packet armor's pattern in one pass: the keystream block at the current
 * position goes to block0 (it keys Poly1305), then out = in XOR the keystream
 * that follows it. Consumes one block more than ztdp_salsa20_xor. */
void ztdp_salsa20_block0_xor(struct ztdp_salsa20 *s, uint8_t block0[64],
			     uint8_t *out, const uint8_t *in, size_t len);

/* Name of the implementation in use ("scalar", "avx2", "avx512"). */
const char *ztdp_salsa20_impl_name(void);
/* Force an implementation (tests, benches), or "auto" for the widest one
 * this CPU runs (the default). Returns -1 if not usable here. */
int ztdp_salsa20_select_impl(const char *name);

#endif /* ZTDP_SALSA20_H */
