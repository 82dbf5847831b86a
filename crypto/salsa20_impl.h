/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal to salsa20*.c: the batch functions the dispatcher chooses from.
 *
 * A batch function computes a fixed number of consecutive blocks (1, 8 or
 * 16) starting at the counter in st[8..9], without changing st, and hands
 * them out as one stream: if block0 is not NULL the first block goes there
 * whole; the following blocks give out = in XOR keystream (out = keystream
 * if in is NULL) for at most len bytes. Blocks beyond that are discarded,
 * so the caller advances the counter by the number of blocks it used.
 */
#ifndef ZTDP_SALSA20_IMPL_H
#define ZTDP_SALSA20_IMPL_H

#include <stddef.h>
#include <stdint.h>

#define ZTDP_SALSA20_BLOCK_LEN 64

typedef void ztdp_salsa20_batch_fn(const uint32_t st[16], unsigned int rounds,
				   uint8_t *block0, uint8_t *out,
				   const uint8_t *in, size_t len);

#if defined(__x86_64__) || defined(__i386__)
#define ZTDP_SALSA20_HAVE_X86 1
ztdp_salsa20_batch_fn ztdp_salsa20_batch_avx2;		/* 8 blocks */
ztdp_salsa20_batch_fn ztdp_salsa20_batch_avx512;	/* 16 blocks */
ztdp_salsa20_batch_fn ztdp_salsa20_batch_avx512vl8;	/* 8, VL rotates */
#endif

#endif /* ZTDP_SALSA20_IMPL_H */
