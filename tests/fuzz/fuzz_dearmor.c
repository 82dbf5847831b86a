/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: packet dearmor (and armor) with a fixed peer key.
 *
 * Input byte 0 chooses: bits 0-1 the suite for the round trip (0, 1, 3, or
 * 2 which must be refused), bit 2 the AES backend (among those this CPU
 * runs), bit 3 single-packet or burst API. The rest is the packet.
 *
 * 1. ztdp_dearmor on an exact-size copy must not crash (and, with a random
 *    key, must essentially never succeed; no check, though).
 * 2. For packets of ZTDP_PKT_MIN_LEN .. ZTDP_MAX_PACKET_LEN bytes: armor
 *    with the chosen suite, then dearmor, must give back the plaintext; a
 *    flipped bit must be rejected and a different hop count must not matter.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_armor.h"
#include "ztdp_crypto.h"
#include "ztdp_wire.h"

#define MAX_BACKENDS	4

static struct ztdp_peer_key keys[MAX_BACKENDS];
static unsigned int n_keys;

static const unsigned int suite_of_choice[4] = {
	ZTDP_CIPHER_POLY1305_NONE,
	ZTDP_CIPHER_POLY1305_SALSA2012,
	ZTDP_CIPHER_AES_GMAC_SIV,
	ZTDP_CIPHER_NONE_TRUSTED,	/* never valid for armor/dearmor */
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *const *names;
	uint8_t key[ZTDP_PEER_KEY_LEN];

	(void)argc;
	(void)argv;
	if (ztdp_crypto_init(NULL) != 0)
		abort();
	/* The arbitrary key of vectors/armor.json: byte i = 7i + 3. */
	for (unsigned int i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(7 * i + 3);
	/* One key context per usable AES backend. */
	names = ztdp_crypto_aes_backend_names();
	for (size_t i = 0; names != NULL && names[i] != NULL && n_keys < MAX_BACKENDS; i++) {
		if (!ztdp_crypto_aes_backend_usable(names[i]) ||
		    ztdp_crypto_select_aes_backend(names[i]) != 0)
			continue;
		if (ztdp_peer_key_init(&keys[n_keys], key) != ZTDP_ARMOR_OK)
			abort();
		n_keys++;
	}
	if (n_keys == 0)
		abort();
	return 0;
}

static int dearmor(const struct ztdp_peer_key *pk, uint8_t *pkt, size_t len,
		   bool burst)
{
	struct ztdp_crypto_op op;
	unsigned int ok;

	if (!burst)
		return ztdp_dearmor(pk, pkt, len);
	memset(&op, 0, sizeof(op));
	op.pkt = pkt;
	op.key = pk;
	op.len = (uint32_t)len;
	ok = ztdp_dearmor_burst(&op, 1);
	CHECK(ok == (op.status == 0 ? 1u : 0u));
	return op.status == 0 ? op.suite : op.status;
}

static int armor(const struct ztdp_peer_key *pk, uint8_t *pkt, size_t len,
		 unsigned int suite, bool burst)
{
	struct ztdp_crypto_op op;
	unsigned int ok;

	if (!burst)
		return ztdp_armor(pk, pkt, len, suite);
	memset(&op, 0, sizeof(op));
	op.pkt = pkt;
	op.key = pk;
	op.len = (uint32_t)len;
	op.suite = (uint8_t)suite;
	ok = ztdp_armor_burst(&op, 1);
	CHECK(ok == (op.status == 0 ? 1u : 0u));
	return op.status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ztdp_peer_key *pk;
	unsigned int suite;
	uint8_t *pkt, *plain;
	bool burst;
	size_t len;
	int rc;

	if (size < 1)
		return 0;
	suite = suite_of_choice[data[0] & 3];
	pk = &keys[((data[0] >> 2) & 1) % n_keys];
	burst = (data[0] >> 3) & 1;
	data++;
	len = size - 1;

	/* 1: whatever comes in, dearmor must not crash. An exact-size heap
	 * copy lets ASan see any access past the end. */
	pkt = malloc(len ? len : 1);
	if (pkt == NULL)
		return 0;
	memcpy(pkt, data, len);
	rc = dearmor(pk, pkt, len, burst);
	CHECK(rc == ZTDP_CIPHER_POLY1305_NONE || rc == ZTDP_CIPHER_POLY1305_SALSA2012 ||
	      rc == ZTDP_CIPHER_AES_GMAC_SIV || rc == ZTDP_ARMOR_EINVAL ||
	      rc == ZTDP_ARMOR_EAUTH || rc == ZTDP_ARMOR_ESUITE ||
	      rc == ZTDP_ARMOR_ENOMEM);
	if (len < ZTDP_PKT_MIN_LEN || len > ZTDP_MAX_PACKET_LEN)
		CHECK(rc < 0);

	/* 2: armor then dearmor must round-trip. */
	if (len < ZTDP_PKT_MIN_LEN || len > ZTDP_MAX_PACKET_LEN) {
		free(pkt);
		return 0;
	}
	memcpy(pkt, data, len);
	if (suite == ZTDP_CIPHER_POLY1305_NONE)
		pkt[ZTDP_PKT_IDX_VERB] = ZTDP_VERB_HELLO; /* suite 0 is HELLO only */
	plain = malloc(len);
	if (plain == NULL) {
		free(pkt);
		return 0;
	}
	memcpy(plain, pkt, len);
	rc = armor(pk, pkt, len, suite, burst);
	if (suite == ZTDP_CIPHER_NONE_TRUSTED) {
		CHECK(rc < 0);
		goto out;
	}
	CHECK(rc == ZTDP_ARMOR_OK);
	/* Armor leaves the addresses alone and zeroes the hops. */
	CHECK(memcmp(pkt + ZTDP_PKT_IDX_DEST, plain + ZTDP_PKT_IDX_DEST,
		     2 * ZTDP_ADDRESS_LEN) == 0);
	CHECK((pkt[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAGS_HOPS_MASK) == 0);
	CHECK(((pkt[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAGS_CIPHER_MASK) >>
	       ZTDP_PKT_FLAGS_CIPHER_SHIFT) == suite);
	CHECK((pkt[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAG_FRAGMENTED) ==
	      (plain[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAG_FRAGMENTED));

	{
		uint8_t *copy = malloc(len);
		size_t at;

		if (copy == NULL)
			goto out;
		/* A relay may change the hop count; nothing else. */
		memcpy(copy, pkt, len);
		copy[ZTDP_PKT_IDX_FLAGS] |= (uint8_t)(1 + (data[0] % ZTDP_MAX_HOPS));
		CHECK(dearmor(pk, copy, len, burst) == (int)suite);
		CHECK(memcmp(copy + ZTDP_PKT_IDX_VERB, plain + ZTDP_PKT_IDX_VERB,
			     len - ZTDP_PKT_IDX_VERB) == 0);
		/* A flipped bit anywhere authenticated must be refused:
		 * IV/tag, addresses, flags (not hops), MAC, verb, payload. */
		memcpy(copy, pkt, len);
		at = data[1] % len;
		if (at == ZTDP_PKT_IDX_FLAGS)
			copy[at] ^= 0x40;	/* the fragmented flag */
		else
			copy[at] ^= (uint8_t)(1u << (data[2] & 7));
		CHECK(dearmor(pk, copy, len, burst) < 0);
		free(copy);
	}

	rc = dearmor(pk, pkt, len, burst);
	CHECK(rc == (int)suite);
	CHECK(memcmp(pkt + ZTDP_PKT_IDX_VERB, plain + ZTDP_PKT_IDX_VERB,
		     len - ZTDP_PKT_IDX_VERB) == 0);
out:
	free(plain);
	free(pkt);
	return 0;
}
