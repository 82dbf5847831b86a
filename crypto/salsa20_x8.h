/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Salsa20, 8 blocks at a time in 256-bit registers: register i holds state
 * word i of eight consecutive blocks, so a round is the scalar round on
 * vectors with no shuffles; one 8x8 transpose per half-block at the end
 * puts the bytes back in stream order.
 *
 * A template: the includer defines TGT (the target attribute), ROTL(v, n)
 * and SALSA20_X8_FN (the function's name). salsa20_avx2.c builds it with
 * shift-and-or rotates, salsa20_avx512.c with AVX-512VL's vprold for the
 * short tails of the 16-block path.
 */
#ifndef ZTDP_SALSA20_X8_H
#define ZTDP_SALSA20_X8_H

#include <immintrin.h>
#include <string.h>

#include "salsa20_impl.h"

#define ADD(a, b) _mm256_add_epi32(a, b)
#define XOR(a, b) _mm256_xor_si256(a, b)
#define QR(a, b, c, d) do {			\
	b = XOR(b, ROTL(ADD(a, d), 7));		\
	c = XOR(c, ROTL(ADD(b, a), 9));		\
	d = XOR(d, ROTL(ADD(c, b), 13));	\
	a = XOR(a, ROTL(ADD(d, c), 18));	\
} while (0)

/* r[w] = word w of lanes 0..7 in; o[j] = words 0..7 of lane j out. */
static inline TGT void transpose8(const __m256i r[8], __m256i o[8])
{
	__m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]);
	__m256i t1 = _mm256_unpackhi_epi32(r[0], r[1]);
	__m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]);
	__m256i t3 = _mm256_unpackhi_epi32(r[2], r[3]);
	__m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]);
	__m256i t5 = _mm256_unpackhi_epi32(r[4], r[5]);
	__m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]);
	__m256i t7 = _mm256_unpackhi_epi32(r[6], r[7]);
	/* Each 128-bit half k of uN_m: 4 words of lane 4k+m. */
	__m256i u00 = _mm256_unpacklo_epi64(t0, t2);
	__m256i u01 = _mm256_unpackhi_epi64(t0, t2);
	__m256i u02 = _mm256_unpacklo_epi64(t1, t3);
	__m256i u03 = _mm256_unpackhi_epi64(t1, t3);
	__m256i u10 = _mm256_unpacklo_epi64(t4, t6);
	__m256i u11 = _mm256_unpackhi_epi64(t4, t6);
	__m256i u12 = _mm256_unpacklo_epi64(t5, t7);
	__m256i u13 = _mm256_unpackhi_epi64(t5, t7);

	o[0] = _mm256_permute2x128_si256(u00, u10, 0x20);
	o[1] = _mm256_permute2x128_si256(u01, u11, 0x20);
	o[2] = _mm256_permute2x128_si256(u02, u12, 0x20);
	o[3] = _mm256_permute2x128_si256(u03, u13, 0x20);
	o[4] = _mm256_permute2x128_si256(u00, u10, 0x31);
	o[5] = _mm256_permute2x128_si256(u01, u11, 0x31);
	o[6] = _mm256_permute2x128_si256(u02, u12, 0x31);
	o[7] = _mm256_permute2x128_si256(u03, u13, 0x31);
}

static inline TGT void emit8(__m256i lo, __m256i hi, uint8_t *dst,
			    const uint8_t *src, size_t n)
{
	if (n >= 64) {
		if (src != NULL) {
			lo = XOR(lo, _mm256_loadu_si256((const __m256i *)src));
			hi = XOR(hi, _mm256_loadu_si256(
					     (const __m256i *)(src + 32)));
		}
		_mm256_storeu_si256((__m256i *)dst, lo);
		_mm256_storeu_si256((__m256i *)(dst + 32), hi);
		return;
	}
	uint8_t ks[64];

	_mm256_storeu_si256((__m256i *)ks, lo);
	_mm256_storeu_si256((__m256i *)(ks + 32), hi);
	if (src == NULL) {
		memcpy(dst, ks, n);
	} else {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i] ^ ks[i];
	}
}

TGT void SALSA20_X8_FN(const uint32_t st[16], unsigned int rounds,
		       uint8_t *block0, uint8_t *out, const uint8_t *in,
		       size_t len)
{
	__m256i x[16], o[16], lo[8], hi[8];
	const __m256i bias = _mm256_set1_epi32((int)0x80000000);
	__m256i c0 = _mm256_set1_epi32((int)st[8]);
	__m256i ctr_lo, carry;

	for (int i = 0; i < 16; i++)
		o[i] = _mm256_set1_epi32((int)st[i]);
	ctr_lo = ADD(c0, _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
	/* Unsigned lo < c0 means the low word wrapped: carry into word 9. */
	carry = _mm256_cmpgt_epi32(XOR(c0, bias), XOR(ctr_lo, bias));
	o[8] = ctr_lo;
	o[9] = _mm256_sub_epi32(o[9], carry);

	__m256i x0 = o[0], x1 = o[1], x2 = o[2], x3 = o[3];
	__m256i x4 = o[4], x5 = o[5], x6 = o[6], x7 = o[7];
	__m256i x8 = o[8], x9 = o[9], x10 = o[10], x11 = o[11];
	__m256i x12 = o[12], x13 = o[13], x14 = o[14], x15 = o[15];

	for (unsigned int r = 0; r < rounds; r += 2) {
		QR(x0, x4, x8, x12);
		QR(x5, x9, x13, x1);
		QR(x10, x14, x2, x6);
		QR(x15, x3, x7, x11);
		QR(x0, x1, x2, x3);
		QR(x5, x6, x7, x4);
		QR(x10, x11, x8, x9);
		QR(x15, x12, x13, x14);
	}
	x[0] = ADD(x0, o[0]);
	x[1] = ADD(x1, o[1]);
	x[2] = ADD(x2, o[2]);
	x[3] = ADD(x3, o[3]);
	x[4] = ADD(x4, o[4]);
	x[5] = ADD(x5, o[5]);
	x[6] = ADD(x6, o[6]);
	x[7] = ADD(x7, o[7]);
	x[8] = ADD(x8, o[8]);
	x[9] = ADD(x9, o[9]);
	x[10] = ADD(x10, o[10]);
	x[11] = ADD(x11, o[11]);
	x[12] = ADD(x12, o[12]);
	x[13] = ADD(x13, o[13]);
	x[14] = ADD(x14, o[14]);
	x[15] = ADD(x15, o[15]);
	transpose8(x, lo);
	transpose8(x + 8, hi);

	unsigned int j = 0;
	size_t off = 0;

	if (block0 != NULL) {
		_mm256_storeu_si256((__m256i *)block0, lo[0]);
		_mm256_storeu_si256((__m256i *)(block0 + 32), hi[0]);
		j = 1;
	}
	for (; j < 8 && off < len; j++, off += 64)
		emit8(lo[j], hi[j], out + off, in != NULL ? in + off : NULL,
		     len - off);
}

#undef ADD
#undef XOR
#undef QR

#endif /* ZTDP_SALSA20_X8_H */
