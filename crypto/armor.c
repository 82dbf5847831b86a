/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet armor (section 4). Suites 0 and 1 are done here with Salsa20/12
 * and libsodium's Poly1305; suite 3 is handed to the AES backend that built
 * the peer's key context, a vector of packets per call.
 *
 * A burst is sorted into one vector per suite first (as DPDK's ipsec-secgw
 * does in prepare_traffic), so the AES backend sees all its packets at once
 * and can run several streams through its pipelines in parallel.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "aes_backend.h"
#include "ztdp_armor.h"
#include "ztdp_salsa20.h"

#define unlikely(x) __builtin_expect(!!(x), 0)

/* Bursts are worked in chunks so the per-suite vectors live on the stack. */
#define CHUNK 64

/* Salsa20 blocks generated ahead on dearmor: one 16-block SIMD batch. */
#define DEARMOR_AHEAD_BLOCKS 16

#define POLY1305_TAG_LEN 16
#define SALSA20_BLOCK 64
/* Encryption and authentication cover the verb byte onwards. */
#define ARMORED_OFF ZTDP_PKT_IDX_VERB

bool ztdp_ct_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void ztdp_kbkdf_hmac_sha384(const uint8_t key[ZTDP_PEER_KEY_LEN], char label,
			    uint8_t out[48])
{
	/* counter(4) 'Z' 'T' label 0x00 context(1) output-bits(4), big endian */
	const uint8_t msg[13] = {
		0, 0, 0, 0, 'Z', 'T', (uint8_t)label, 0, 0, 0, 0, 0x01, 0x80,
	};
	unsigned int olen = 48;

	/* Fixed-size inputs in memory: this fails only if OpenSSL itself
	 * cannot do SHA-384, and then there is no safe key to hand back. */
	if (HMAC(EVP_sha384(), key, ZTDP_PEER_KEY_LEN, msg, sizeof(msg), out,
		 &olen) == NULL || olen != 48)
		abort();
}

int ztdp_peer_key_init(struct ztdp_peer_key *pk,
		       const uint8_t key[ZTDP_PEER_KEY_LEN])
{
	const struct ztdp_aes_backend *be = ztdp_aes_backend_current();
	uint8_t k0[48], k1[48];
	int rc;

	memset(pk, 0, sizeof(*pk));
	if (be == NULL)
		return ZTDP_ARMOR_ENOMEM;	/* ztdp_crypto_init not called */
	memcpy(pk->key, key, ZTDP_PEER_KEY_LEN);
	ztdp_kbkdf_hmac_sha384(key, ZTDP_KBKDF_LABEL_AES_GMAC_SIV_K0, k0);
	ztdp_kbkdf_hmac_sha384(key, ZTDP_KBKDF_LABEL_AES_GMAC_SIV_K1, k1);
	rc = be->key_init(&pk->aes_state, k0, k1);
	sodium_memzero(k0, sizeof(k0));
	sodium_memzero(k1, sizeof(k1));
	if (rc != 0) {
		sodium_memzero(pk, sizeof(*pk));
		return ZTDP_ARMOR_ENOMEM;
	}
	pk->aes = be;
	return 0;
}

void ztdp_peer_key_clear(struct ztdp_peer_key *pk)
{
	if (pk->aes != NULL && pk->aes_state != NULL)
		pk->aes->key_free(pk->aes_state);
	sodium_memzero(pk, sizeof(*pk));
}

/* Section 4.1: bind the Salsa20 key to this packet's header and length. */
static void salsa_init_packet(struct ztdp_salsa20 *s,
			      const struct ztdp_peer_key *pk,
			      const uint8_t *pkt, size_t len)
{
	uint8_t mk[32];

	for (int i = 0; i < ZTDP_PKT_IDX_FLAGS; i++)
		mk[i] = pk->key[i] ^ pkt[i];
	mk[18] = pk->key[18] ^ (pkt[ZTDP_PKT_IDX_FLAGS] &
				ZTDP_PKT_FLAGS_AUTH_MASK);
	mk[19] = pk->key[19] ^ (uint8_t)len;
	mk[20] = pk->key[20] ^ (uint8_t)(len >> 8);
	memcpy(mk + 21, pk->key + 21, sizeof(mk) - 21);
	ztdp_salsa20_init(s, mk, pkt + ZTDP_PKT_IDX_IV,
			  ZTDP_ARMOR_SALSA20_ROUNDS);
	/* mk is the peer key XOR public bytes: as secret as the key. */
	sodium_memzero(mk, sizeof(mk));
}

static void salsa_armor(const struct ztdp_peer_key *pk, uint8_t *pkt,
			size_t len, unsigned int suite)
{
	struct ztdp_salsa20 s;
	uint8_t block0[SALSA20_BLOCK], tag[POLY1305_TAG_LEN];
	uint8_t *body = pkt + ARMORED_OFF;
	size_t blen = len - ARMORED_OFF;
	uint8_t flags = pkt[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAG_FRAGMENTED;

	flags |= (uint8_t)(suite << ZTDP_PKT_FLAGS_CIPHER_SHIFT);
	if (suite == ZTDP_CIPHER_POLY1305_SALSA2012)
		flags |= ZTDP_PKT_FLAG_ENCRYPTED_LEGACY;
	pkt[ZTDP_PKT_IDX_FLAGS] = flags;

	salsa_init_packet(&s, pk, pkt, len);
	/* Poly1305 key and encryption in one keystream pass: block 0 keys the
	 * MAC and blocks 1.. encrypt, computed in the same SIMD batches. */
	if (suite == ZTDP_CIPHER_POLY1305_SALSA2012)
		ztdp_salsa20_block0_xor(&s, block0, body, body, blen);
	else
		ztdp_salsa20_keystream(&s, block0, SALSA20_BLOCK);
	crypto_onetimeauth_poly1305(tag, body, blen, block0);
	memcpy(pkt + ZTDP_PKT_IDX_MAC, tag, ZTDP_PKT_MAC_LEN);

	sodium_memzero(&s, sizeof(s));
	sodium_memzero(block0, sizeof(block0));
}

static int salsa_dearmor(const struct ztdp_peer_key *pk, uint8_t *pkt,
			 size_t len, unsigned int suite)
{
	struct ztdp_salsa20 s;
	uint8_t ks[DEARMOR_AHEAD_BLOCKS * SALSA20_BLOCK];
	uint8_t tag[POLY1305_TAG_LEN];
	uint8_t *body = pkt + ARMORED_OFF;
	size_t blen = len - ARMORED_OFF;
	size_t nb = 1, head = 0;
	int rc = 0;

	salsa_init_packet(&s, pk, pkt, len);
	if (suite == ZTDP_CIPHER_POLY1305_SALSA2012) {
		/* The MAC covers the ciphertext, so it must be checked before
		 * decrypting in place. Generating block 0 together with the
		 * first payload blocks keeps the batch as wide as on armor. */
		nb += (blen + SALSA20_BLOCK - 1) / SALSA20_BLOCK;
		if (nb > DEARMOR_AHEAD_BLOCKS)
			nb = DEARMOR_AHEAD_BLOCKS;
		head = (nb - 1) * SALSA20_BLOCK;
		if (head > blen)
			head = blen;
	}
	ztdp_salsa20_keystream(&s, ks, nb * SALSA20_BLOCK);
	crypto_onetimeauth_poly1305(tag, body, blen, ks);
	if (unlikely(!ztdp_ct_equal(tag, pkt + ZTDP_PKT_IDX_MAC,
				    ZTDP_PKT_MAC_LEN))) {
		rc = ZTDP_ARMOR_EAUTH;
		goto out;
	}
	if (suite == ZTDP_CIPHER_POLY1305_SALSA2012) {
		const uint8_t *k = ks + SALSA20_BLOCK;
		size_t i = 0;

		for (; i + 8 <= head; i += 8) {
			uint64_t a, b;

			memcpy(&a, body + i, 8);
			memcpy(&b, k + i, 8);
			a ^= b;
			memcpy(body + i, &a, 8);
		}
		for (; i < head; i++)
			body[i] ^= k[i];
		if (blen > head)
			ztdp_salsa20_xor(&s, body + head, body + head,
					 blen - head);
	}
out:
	sodium_memzero(&s, sizeof(s));
	sodium_memzero(ks, nb * SALSA20_BLOCK);
	return rc;
}

/* Suite 3 through each op's backend; usually all keys share one backend
 * and this is a single call. Reorders v. */
static void siv_burst(struct ztdp_crypto_op **v, unsigned int n, bool armor)
{
	while (n > 0) {
		const struct ztdp_aes_backend *be = v[0]->key->aes;
		unsigned int same = 0;

		for (unsigned int i = 0; i < n; i++) {
			if (v[i]->key->aes == be) {
				struct ztdp_crypto_op *t = v[same];

				v[same++] = v[i];
				v[i] = t;
			}
		}
		if (armor)
			be->siv_armor_burst(v, same);
		else
			be->siv_dearmor_burst(v, same);
		v += same;
		n -= same;
	}
}

static inline bool len_ok(uint32_t len)
{
	return len >= ZTDP_PKT_MIN_LEN && len <= ZTDP_MAX_PACKET_LEN;
}

static unsigned int count_ok(const struct ztdp_crypto_op *ops, unsigned int n)
{
	unsigned int ok = 0;

	for (unsigned int i = 0; i < n; i++)
		ok += ops[i].status == ZTDP_ARMOR_OK;
	return ok;
}

static unsigned int armor_chunk(struct ztdp_crypto_op *ops, unsigned int n)
{
	struct ztdp_crypto_op *salsa[CHUNK], *siv[CHUNK];
	unsigned int ns = 0, nsiv = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct ztdp_crypto_op *op = &ops[i];

		if (unlikely(!len_ok(op->len))) {
			op->status = ZTDP_ARMOR_EINVAL;
			continue;
		}
		switch (op->suite) {
		case ZTDP_CIPHER_POLY1305_NONE:
		case ZTDP_CIPHER_POLY1305_SALSA2012:
			salsa[ns++] = op;
			break;
		case ZTDP_CIPHER_AES_GMAC_SIV:
			if (unlikely(op->key->aes == NULL)) {
				op->status = ZTDP_ARMOR_EINVAL;
				break;
			}
			/* The backend authenticates the flags byte as it
			 * stands, so it must be final (hops 0) first. */
			op->pkt[ZTDP_PKT_IDX_FLAGS] =
				(op->pkt[ZTDP_PKT_IDX_FLAGS] &
				 ZTDP_PKT_FLAG_FRAGMENTED) |
				ZTDP_CIPHER_AES_GMAC_SIV <<
					ZTDP_PKT_FLAGS_CIPHER_SHIFT;
			siv[nsiv++] = op;
			break;
		default:
			op->status = ZTDP_ARMOR_EINVAL;
			break;
		}
	}
	for (unsigned int i = 0; i < ns; i++) {
		salsa_armor(salsa[i]->key, salsa[i]->pkt, salsa[i]->len,
			    salsa[i]->suite);
		salsa[i]->status = ZTDP_ARMOR_OK;
	}
	siv_burst(siv, nsiv, true);
	return count_ok(ops, n);
}

static unsigned int dearmor_chunk(struct ztdp_crypto_op *ops, unsigned int n)
{
	struct ztdp_crypto_op *salsa[CHUNK], *siv[CHUNK];
	/* Suite 3's AAD excludes the hops, and the backend reads the flags
	 * byte as it stands: clear them for it, give them back afterwards. */
	uint8_t hops[CHUNK];
	bool is_siv[CHUNK];
	unsigned int ns = 0, nsiv = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct ztdp_crypto_op *op = &ops[i];
		uint8_t flags, suite;

		is_siv[i] = false;
		if (unlikely(!len_ok(op->len))) {
			op->status = ZTDP_ARMOR_EINVAL;
			continue;
		}
		flags = op->pkt[ZTDP_PKT_IDX_FLAGS];
		suite = (flags & ZTDP_PKT_FLAGS_CIPHER_MASK) >>
			ZTDP_PKT_FLAGS_CIPHER_SHIFT;
		op->suite = suite;
		switch (suite) {
		case ZTDP_CIPHER_POLY1305_NONE:
			/* Unencrypted, so the verb is readable already. */
			if (unlikely((op->pkt[ZTDP_PKT_IDX_VERB] &
				      ZTDP_PKT_VERB_MASK) != ZTDP_VERB_HELLO)) {
				op->status = ZTDP_ARMOR_ESUITE;
				break;
			}
			salsa[ns++] = op;
			break;
		case ZTDP_CIPHER_POLY1305_SALSA2012:
			salsa[ns++] = op;
			break;
		case ZTDP_CIPHER_NONE_TRUSTED:
			op->status = ZTDP_ARMOR_ESUITE;
			break;
		case ZTDP_CIPHER_AES_GMAC_SIV:
			if (unlikely(op->key->aes == NULL)) {
				op->status = ZTDP_ARMOR_EINVAL;
				break;
			}
			hops[i] = flags & ZTDP_PKT_FLAGS_HOPS_MASK;
			is_siv[i] = true;
			op->pkt[ZTDP_PKT_IDX_FLAGS] =
				flags & ZTDP_PKT_FLAGS_AUTH_MASK;
			siv[nsiv++] = op;
			break;
		default:
			op->status = ZTDP_ARMOR_EINVAL;
			break;
		}
	}
	for (unsigned int i = 0; i < ns; i++)
		salsa[i]->status = (int8_t)salsa_dearmor(
			salsa[i]->key, salsa[i]->pkt, salsa[i]->len,
			salsa[i]->suite);
	if (nsiv > 0) {
		siv_burst(siv, nsiv, false);
		for (unsigned int i = 0; i < n; i++)
			if (is_siv[i])
				ops[i].pkt[ZTDP_PKT_IDX_FLAGS] |= hops[i];
	}
	return count_ok(ops, n);
}

unsigned int ztdp_armor_burst(struct ztdp_crypto_op *ops, unsigned int n)
{
	unsigned int ok = 0;

	for (unsigned int i = 0; i < n; i += CHUNK)
		ok += armor_chunk(ops + i, n - i < CHUNK ? n - i : CHUNK);
	return ok;
}

unsigned int ztdp_dearmor_burst(struct ztdp_crypto_op *ops, unsigned int n)
{
	unsigned int ok = 0;

	for (unsigned int i = 0; i < n; i += CHUNK)
		ok += dearmor_chunk(ops + i, n - i < CHUNK ? n - i : CHUNK);
	return ok;
}

int ztdp_armor(const struct ztdp_peer_key *pk, uint8_t *pkt, size_t len,
	       unsigned int suite)
{
	struct ztdp_crypto_op op = {
		.pkt = pkt,
		.key = pk,
		/* Out of range stays out of range after the cast. */
		.len = len > ZTDP_MAX_PACKET_LEN ? UINT32_MAX : (uint32_t)len,
		.suite = suite > 0xff ? 0xff : (uint8_t)suite,
	};

	ztdp_armor_burst(&op, 1);
	return op.status;
}

int ztdp_dearmor(const struct ztdp_peer_key *pk, uint8_t *pkt, size_t len)
{
	struct ztdp_crypto_op op = {
		.pkt = pkt,
		.key = pk,
		.len = len > ZTDP_MAX_PACKET_LEN ? UINT32_MAX : (uint32_t)len,
	};

	ztdp_dearmor_burst(&op, 1);
	return op.status == ZTDP_ARMOR_OK ? op.suite : op.status;
}

void ztdp_hello_cryptfield(const struct ztdp_peer_key *pk, uint8_t *pkt,
			   size_t start, size_t len)
{
	struct ztdp_salsa20 s;
	uint8_t iv[8];

	if (start >= len || len < sizeof(iv))
		return;
	memcpy(iv, pkt + ZTDP_PKT_IDX_IV, sizeof(iv));
	iv[7] &= ZTDP_HELLO_CRYPTFIELD_IV7_MASK;
	ztdp_salsa20_init(&s, pk->key, iv, ZTDP_ARMOR_SALSA20_ROUNDS);
	ztdp_salsa20_xor(&s, pkt + start, pkt + start, len - start);
	sodium_memzero(&s, sizeof(s));
}
