/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Salsa20, 16 blocks at a time with AVX-512F: the AVX2 layout (register i
 * = word i of every block) at twice the width, with native rotates, and a
 * 16x16 transpose at the end so each block comes out as one register.
 * Short tails take the 8-block template built with AVX-512VL rotates.
 */
#include "salsa20_impl.h"

#ifdef ZTDP_SALSA20_HAVE_X86
#include <immintrin.h>
#include <string.h>

#define TGT __attribute__((target("avx512f,avx512vl")))
#define ROTL(v, n) _mm256_rol_epi32(v, n)
#define SALSA20_X8_FN ztdp_salsa20_batch_avx512vl8
#include "salsa20_x8.h"
#undef ROTL

#define ADD(a, b) _mm512_add_epi32(a, b)
#define XOR(a, b) _mm512_xor_si512(a, b)
#define QR(a, b, c, d) do {					\
	b = XOR(b, _mm512_rol_epi32(ADD(a, d), 7));		\
	c = XOR(c, _mm512_rol_epi32(ADD(b, a), 9));		\
	d = XOR(d, _mm512_rol_epi32(ADD(c, b), 13));		\
	a = XOR(a, _mm512_rol_epi32(ADD(d, c), 18));		\
} while (0)

/* r[w] = word w of lanes 0..15 in; o[j] = the 16 words of lane j out. */
static inline TGT void transpose16(const __m512i r[16], __m512i o[16])
{
	__m512i t[16], u[16];

	for (int i = 0; i < 16; i += 2) {
		t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
		t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
	}
	/* u[4g+m]: 128-bit chunk k holds words 4g..4g+3 of lane 4k+m. */
	for (int g = 0; g < 4; g++) {
		u[4 * g + 0] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
		u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
		u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1],
						     t[4 * g + 3]);
		u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1],
						     t[4 * g + 3]);
	}
	/* A 4x4 transpose of 128-bit chunks for each m. */
	for (int m = 0; m < 4; m++) {
		__m512i a = _mm512_shuffle_i32x4(u[m], u[4 + m], 0x44);
		__m512i b = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0x44);
		__m512i c = _mm512_shuffle_i32x4(u[m], u[4 + m], 0xee);
		__m512i d = _mm512_shuffle_i32x4(u[8 + m], u[12 + m], 0xee);

		o[m] = _mm512_shuffle_i32x4(a, b, 0x88);
		o[4 + m] = _mm512_shuffle_i32x4(a, b, 0xdd);
		o[8 + m] = _mm512_shuffle_i32x4(c, d, 0x88);
		o[12 + m] = _mm512_shuffle_i32x4(c, d, 0xdd);
	}
}

static inline TGT void emit16(__m512i v, uint8_t *dst, const uint8_t *src,
			    size_t n)
{
	if (n >= 64) {
		if (src != NULL)
			v = XOR(v, _mm512_loadu_si512(src));
		_mm512_storeu_si512(dst, v);
		return;
	}
	uint8_t ks[64];

	_mm512_storeu_si512(ks, v);
	if (src == NULL) {
		memcpy(dst, ks, n);
	} else {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i] ^ ks[i];
	}
}

TGT void ztdp_salsa20_batch_avx512(const uint32_t st[16], unsigned int rounds,
				   uint8_t *block0, uint8_t *out,
				   const uint8_t *in, size_t len)
{
	__m512i x[16], o[16], blk[16];
	__m512i c0 = _mm512_set1_epi32((int)st[8]);
	__mmask16 carry;

	for (int i = 0; i < 16; i++)
		o[i] = _mm512_set1_epi32((int)st[i]);
	o[8] = ADD(c0, _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
					 12, 13, 14, 15));
	/* Lanes whose low word wrapped carry into word 9. */
	carry = _mm512_cmplt_epu32_mask(o[8], c0);
	o[9] = _mm512_mask_add_epi32(o[9], carry, o[9], _mm512_set1_epi32(1));

	__m512i x0 = o[0], x1 = o[1], x2 = o[2], x3 = o[3];
	__m512i x4 = o[4], x5 = o[5], x6 = o[6], x7 = o[7];
	__m512i x8 = o[8], x9 = o[9], x10 = o[10], x11 = o[11];
	__m512i x12 = o[12], x13 = o[13], x14 = o[14], x15 = o[15];

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
	transpose16(x, blk);

	unsigned int j = 0;
	size_t off = 0;

	if (block0 != NULL) {
		_mm512_storeu_si512(block0, blk[0]);
		j = 1;
	}
	for (; j < 16 && off < len; j++, off += 64)
		emit16(blk[j], out + off, in != NULL ? in + off : NULL,
		     len - off);
}
#endif /* ZTDP_SALSA20_HAVE_X86 */
