/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 8-block Salsa20 path for AVX2 CPUs. Built with a target attribute
 * and chosen at run time, so the rest of the library needs no -mavx2.
 */
#include "salsa20_impl.h"

#ifdef ZTDP_SALSA20_HAVE_X86
#define TGT __attribute__((target("avx2")))
/* AVX2 has no vector rotate. */
#define ROTL(v, n) \
	_mm256_or_si256(_mm256_slli_epi32(v, n), _mm256_srli_epi32(v, 32 - (n)))
#define SALSA20_X8_FN ztdp_salsa20_batch_avx2
#include "salsa20_x8.h"
#endif
