/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Salsa20 front end: state set-up, the portable one-block path, and the
 * dispatcher that feeds a stream through the widest batch function the CPU
 * can run (salsa20_avx2.c: 8 blocks; salsa20_avx512.c: 16 blocks, and 8
 * with AVX-512VL rotates for tails). The template both 8-block paths share
 * is salsa20_x8.h.
 */
#include <stdbool.h>
#include <string.h>

#include "salsa20_impl.h"
#include "ztdp_salsa20.h"

#define unlikely(x) __builtin_expect(!!(x), 0)

static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void ztdp_salsa20_init(struct ztdp_salsa20 *s, const uint8_t key[32],
		       const uint8_t nonce[8], unsigned int rounds)
{
	/* "expand 32-byte k" */
	s->state[0] = 0x61707865;
	s->state[5] = 0x3320646e;
	s->state[10] = 0x79622d32;
	s->state[15] = 0x6b206574;
	for (int i = 0; i < 4; i++) {
		s->state[1 + i] = load_le32(key + 4 * i);
		s->state[11 + i] = load_le32(key + 16 + 4 * i);
	}
	s->state[6] = load_le32(nonce);
	s->state[7] = load_le32(nonce + 4);
	s->state[8] = 0;
	s->state[9] = 0;
	s->rounds = rounds;
}

void ztdp_salsa20_set_counter(struct ztdp_salsa20 *s, uint64_t block)
{
	s->state[8] = (uint32_t)block;
	s->state[9] = (uint32_t)(block >> 32);
}

#define ROTL32(v, n) ((uint32_t)((v) << (n)) | ((v) >> (32 - (n))))
#define QR(a, b, c, d) do {			\
	b ^= ROTL32(a + d, 7);			\
	c ^= ROTL32(b + a, 9);			\
	d ^= ROTL32(c + b, 13);			\
	a ^= ROTL32(d + c, 18);			\
} while (0)

static void salsa20_core(const uint32_t in[16], unsigned int rounds,
			 uint8_t out[64])
{
	/* Sixteen named locals so the compiler keeps them all in registers. */
	uint32_t x0 = in[0], x1 = in[1], x2 = in[2], x3 = in[3];
	uint32_t x4 = in[4], x5 = in[5], x6 = in[6], x7 = in[7];
	uint32_t x8 = in[8], x9 = in[9], x10 = in[10], x11 = in[11];
	uint32_t x12 = in[12], x13 = in[13], x14 = in[14], x15 = in[15];

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
	store_le32(out + 0, x0 + in[0]);
	store_le32(out + 4, x1 + in[1]);
	store_le32(out + 8, x2 + in[2]);
	store_le32(out + 12, x3 + in[3]);
	store_le32(out + 16, x4 + in[4]);
	store_le32(out + 20, x5 + in[5]);
	store_le32(out + 24, x6 + in[6]);
	store_le32(out + 28, x7 + in[7]);
	store_le32(out + 32, x8 + in[8]);
	store_le32(out + 36, x9 + in[9]);
	store_le32(out + 40, x10 + in[10]);
	store_le32(out + 44, x11 + in[11]);
	store_le32(out + 48, x12 + in[12]);
	store_le32(out + 52, x13 + in[13]);
	store_le32(out + 56, x14 + in[14]);
	store_le32(out + 60, x15 + in[15]);
}

static void batch_scalar(const uint32_t st[16], unsigned int rounds,
			 uint8_t *block0, uint8_t *out, const uint8_t *in,
			 size_t len)
{
	uint8_t ks[64];

	if (block0 != NULL) {
		salsa20_core(st, rounds, block0);
		return;
	}
	salsa20_core(st, rounds, ks);
	if (len > 64)
		len = 64;
	if (in == NULL) {
		memcpy(out, ks, len);
	} else {
		for (size_t i = 0; i < len; i++)
			out[i] = in[i] ^ ks[i];
	}
}

struct salsa20_impl {
	const char *name;
	ztdp_salsa20_batch_fn *x16;	/* NULL if this impl has none */
	ztdp_salsa20_batch_fn *x8;
	bool (*usable)(void);
};

static bool scalar_usable(void)
{
	return true;
}

#ifdef ZTDP_SALSA20_HAVE_X86
static bool avx2_usable(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}

static bool avx512_usable(void)
{
	__builtin_cpu_init();
	/* Short tails use 256-bit registers with AVX-512VL rotates. */
	return __builtin_cpu_supports("avx512f") &&
	       __builtin_cpu_supports("avx512vl");
}
#endif

/* Widest first: the automatic choice is the first usable entry. */
static const struct salsa20_impl impls[] = {
#ifdef ZTDP_SALSA20_HAVE_X86
	{ "avx512", ztdp_salsa20_batch_avx512, ztdp_salsa20_batch_avx512vl8,
	  avx512_usable },
	{ "avx2", NULL, ztdp_salsa20_batch_avx2, avx2_usable },
#endif
	{ "scalar", NULL, NULL, scalar_usable },
};

#define N_IMPLS (sizeof(impls) / sizeof(impls[0]))

static const struct salsa20_impl *impl_cur;

static const struct salsa20_impl *impl_pick(void)
{
	const struct salsa20_impl *im = &impls[N_IMPLS - 1];

	for (size_t i = 0; i < N_IMPLS; i++) {
		if (impls[i].usable()) {
			im = &impls[i];
			break;
		}
	}
	/* Racing first callers all pick the same entry, so a lost store is
	 * harmless; the atomic only keeps the access well defined. */
	__atomic_store_n(&impl_cur, im, __ATOMIC_RELEASE);
	return im;
}

static inline const struct salsa20_impl *impl_get(void)
{
	const struct salsa20_impl *im =
		__atomic_load_n(&impl_cur, __ATOMIC_ACQUIRE);

	if (unlikely(im == NULL))
		im = impl_pick();
	return im;
}

const char *ztdp_salsa20_impl_name(void)
{
	return impl_get()->name;
}

int ztdp_salsa20_select_impl(const char *name)
{
	if (strcmp(name, "auto") == 0) {
		impl_pick();
		return 0;
	}
	for (size_t i = 0; i < N_IMPLS; i++) {
		if (strcmp(impls[i].name, name) == 0) {
			if (!impls[i].usable())
				return -1;
			__atomic_store_n(&impl_cur, &impls[i],
					 __ATOMIC_RELEASE);
			return 0;
		}
	}
	return -1;
}

static void salsa20_run(struct ztdp_salsa20 *s, uint8_t *block0,
			uint8_t *out, const uint8_t *in, size_t len)
{
	const struct salsa20_impl *im = impl_get();
	uint64_t ctr = (uint64_t)s->state[9] << 32 | s->state[8];

	for (;;) {
		size_t nb = (block0 != NULL) + (len + 63) / 64;
		ztdp_salsa20_batch_fn *fn;
		size_t width, bytes;

		if (nb == 0)
			break;
		/* A wide batch costs about the same however many of its
		 * blocks are used, so short tails take the narrowest batch
		 * that covers them, and one block takes the scalar core. */
		if (nb > 8 && im->x16 != NULL) {
			fn = im->x16;
			width = 16;
		} else if (nb > 1 && im->x8 != NULL) {
			fn = im->x8;
			width = 8;
		} else {
			fn = batch_scalar;
			width = 1;
		}
		fn(s->state, s->rounds, block0, out, in, len);
		if (nb > width)
			nb = width;
		ctr += nb;
		s->state[8] = (uint32_t)ctr;
		s->state[9] = (uint32_t)(ctr >> 32);
		bytes = nb * 64;
		if (block0 != NULL) {
			bytes -= 64;
			block0 = NULL;
		}
		if (bytes > len)
			bytes = len;
		out += bytes;
		if (in != NULL)
			in += bytes;
		len -= bytes;
	}
}

void ztdp_salsa20_xor(struct ztdp_salsa20 *s, uint8_t *out, const uint8_t *in,
		      size_t len)
{
	salsa20_run(s, NULL, out, in, len);
}

void ztdp_salsa20_keystream(struct ztdp_salsa20 *s, uint8_t *out, size_t len)
{
	salsa20_run(s, NULL, out, NULL, len);
}

void ztdp_salsa20_block0_xor(struct ztdp_salsa20 *s, uint8_t block0[64],
			     uint8_t *out, const uint8_t *in, size_t len)
{
	salsa20_run(s, block0, out, in, len);
}
