/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the interface every AES-GMAC-SIV backend implements. A backend
 * owns the expanded key schedules of K0 (GMAC) and K1 (ECB + CTR) and runs
 * suite 3 over a vector of packets.
 */
#ifndef ZTDP_AES_BACKEND_H
#define ZTDP_AES_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "ztdp_armor.h"

struct ztdp_aes_backend {
	const char *name;
	/* Can this CPU and build run it? */
	bool (*usable)(void);
	/* Expand K0 and K1 (32 bytes each) into *state. 0 or -1. */
	int (*key_init)(void **state, const uint8_t k0[32], const uint8_t k1[32]);
	void (*key_free)(void *state);
	/* Suite 3 on n packets. Headers are final except the cipher bits and
	 * hops, which the caller has already set (flags = final & ~hops).
	 * Armor sets status 0. Dearmor sets status 0 or ZTDP_ARMOR_EAUTH. Each
	 * op has its own key (op->key->aes_state). */
	void (*siv_armor_burst)(struct ztdp_crypto_op *const *ops, unsigned int n);
	void (*siv_dearmor_burst)(struct ztdp_crypto_op *const *ops, unsigned int n);
};

extern const struct ztdp_aes_backend ztdp_aes_backend_openssl;
extern const struct ztdp_aes_backend ztdp_aes_backend_ipsec_mb;

/* The backend key contexts are built with (set by ztdp_crypto_init). */
const struct ztdp_aes_backend *ztdp_aes_backend_current(void);

#endif /* ZTDP_AES_BACKEND_H */
