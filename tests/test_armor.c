/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet armor through the public API, for every AES backend this CPU runs
 * (key contexts rebuilt per backend): armor.json byte for byte, tampering
 * with every byte and every header bit, round trips at every size from 28
 * to 10000 bytes (suite 3 armored by one backend and dearmored by each),
 * suites 0/1 against an outside reference built from libsodium's Salsa20/12,
 * bursts with mixed suites, keys and bad packets, and the rejections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test_util.h"

#include "ztdp_armor.h"
#include "ztdp_crypto.h"
#include "ztdp_salsa20.h"
#include "ztdp_wire.h"

#define VECTORS "vectors/armor.json"
#define MAX_BACKENDS 8
#define MAX_SIZE 10000

static const char *const salsa_impls[] = { "scalar", "avx2", "avx512" };

/* Peer key of armor.json, or a fixed one when it is absent. */
static uint8_t key48[ZTDP_PEER_KEY_LEN];
static uint8_t key48_b[ZTDP_PEER_KEY_LEN];

static const char *backends[MAX_BACKENDS];
static unsigned int n_backends;

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void rng_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rng() >> 56);
}

static int group_setup(void **state)
{
	const char *const *names;

	(void)state;
	if (ztdp_crypto_init(NULL) != 0)
		return -1;
	for (int i = 0; i < ZTDP_PEER_KEY_LEN; i++) {
		key48[i] = (uint8_t)(7 * i + 3);
		key48_b[i] = (uint8_t)(11 * i + 5);
	}
	if (ztdp_test_have_shared(VECTORS)) {
		json_t *root = ztdp_test_load_json(VECTORS);

		ztdp_test_unhex_exact(ztdp_test_json_str(root, "shared_key_48"),
				      key48, sizeof(key48));
		json_decref(root);
	}
	for (names = ztdp_crypto_aes_backend_names(); *names != NULL; names++) {
		if (!ztdp_crypto_aes_backend_usable(*names)) {
			print_message("note: AES backend %s is not usable here; "
				      "its passes are skipped\n", *names);
			continue;
		}
		if (n_backends < MAX_BACKENDS)
			backends[n_backends++] = *names;
	}
	return n_backends > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	ztdp_salsa20_select_impl("auto");
	ztdp_crypto_select_aes_backend("auto");
	return 0;
}

/* A key context built by the named backend. */
static void key_for(struct ztdp_peer_key *pk, const char *backend,
		    const uint8_t k[ZTDP_PEER_KEY_LEN])
{
	assert_int_equal(ztdp_crypto_select_aes_backend(backend), 0);
	assert_int_equal(ztdp_peer_key_init(pk, k), 0);
	assert_non_null(pk->aes);
	assert_memory_equal(pk->key, k, ZTDP_PEER_KEY_LEN);
}

/* A plaintext packet of len bytes: random ID, addresses and payload;
 * random hops and fragment bit, garbage in the cipher and MAC fields
 * (armor must overwrite them); verb HELLO for suite 0. */
static void make_packet(uint8_t *pkt, size_t len, unsigned int suite)
{
	rng_fill(pkt, len);
	if (suite == ZTDP_CIPHER_POLY1305_NONE)
		pkt[ZTDP_PKT_IDX_VERB] = ZTDP_VERB_HELLO |
			(pkt[ZTDP_PKT_IDX_VERB] & ZTDP_PKT_VERB_FLAG_COMPRESSED);
}

static uint8_t expected_flags(uint8_t plain_flags, unsigned int suite)
{
	uint8_t f = (plain_flags & ZTDP_PKT_FLAG_FRAGMENTED) |
		    (uint8_t)(suite << ZTDP_PKT_FLAGS_CIPHER_SHIFT);

	if (suite == ZTDP_CIPHER_POLY1305_SALSA2012)
		f |= ZTDP_PKT_FLAG_ENCRYPTED_LEGACY;
	return f;
}

/* What dearmor must give back: the plaintext with the final flags, the
 * MAC field as on the wire, and for suite 3 the SIV tag as packet ID. */
static void check_dearmored(const uint8_t *got, const uint8_t *plain,
			    const uint8_t *armored, size_t len,
			    unsigned int suite)
{
	if (suite == ZTDP_CIPHER_AES_GMAC_SIV)
		assert_memory_equal(got, armored, ZTDP_PKT_IDX_DEST);
	else
		assert_memory_equal(got, plain, ZTDP_PKT_IDX_DEST);
	assert_memory_equal(got + ZTDP_PKT_IDX_DEST, plain + ZTDP_PKT_IDX_DEST,
			    ZTDP_PKT_IDX_FLAGS - ZTDP_PKT_IDX_DEST);
	assert_int_equal(got[ZTDP_PKT_IDX_FLAGS], armored[ZTDP_PKT_IDX_FLAGS]);
	assert_memory_equal(got + ZTDP_PKT_IDX_MAC, armored + ZTDP_PKT_IDX_MAC,
			    ZTDP_PKT_MAC_LEN);
	assert_memory_equal(got + ZTDP_PKT_IDX_VERB, plain + ZTDP_PKT_IDX_VERB,
			    len - ZTDP_PKT_IDX_VERB);
}

/* ---- armor.json ---- */

static json_t *load_vectors_or_skip(void)
{
	if (!ztdp_test_have_shared(VECTORS))
		skip();
	return ztdp_test_load_json(VECTORS);
}

static void test_kbkdf(void **state)
{
	json_t *root = load_vectors_or_skip();
	uint8_t want[48], got[48];

	(void)state;
	ztdp_test_unhex_exact(ztdp_test_json_str(root, "kbkdf_aes_k0_48"), want, 48);
	ztdp_kbkdf_hmac_sha384(key48, ZTDP_KBKDF_LABEL_AES_GMAC_SIV_K0, got);
	assert_memory_equal(got, want, 48);
	ztdp_test_unhex_exact(ztdp_test_json_str(root, "kbkdf_aes_k1_48"), want, 48);
	ztdp_kbkdf_hmac_sha384(key48, ZTDP_KBKDF_LABEL_AES_GMAC_SIV_K1, got);
	assert_memory_equal(got, want, 48);
	json_decref(root);
}

static void vector_one(const struct ztdp_peer_key *pk, const uint8_t *plain,
		       size_t len, const char *hex, unsigned int suite)
{
	uint8_t want[256], pkt[256];

	assert_true(len <= sizeof(pkt));
	ztdp_test_unhex_exact(hex, want, len);
	memcpy(pkt, plain, len);
	assert_int_equal(ztdp_armor(pk, pkt, len, suite), 0);
	assert_memory_equal(pkt, want, len);
	if (suite == ZTDP_CIPHER_POLY1305_NONE) {
		/* The vector's verb is ECHO: only HELLO may use suite 0. */
		assert_int_equal(ztdp_dearmor(pk, pkt, len), ZTDP_ARMOR_ESUITE);
		return;
	}
	assert_int_equal(ztdp_dearmor(pk, pkt, len), (int)suite);
	check_dearmored(pkt, plain, want, len, suite);
}

static void test_vectors(void **state)
{
	json_t *root = load_vectors_or_skip();
	json_t *armored = json_object_get(root, "armored");
	size_t len;
	uint8_t *plain = ztdp_test_unhex(
		ztdp_test_json_str(root, "plaintext_packet"), &len);

	(void)state;
	assert_non_null(armored);
	for (unsigned int b = 0; b < n_backends; b++) {
		struct ztdp_peer_key pk;

		key_for(&pk, backends[b], key48);
		for (size_t i = 0; i < 3; i++) {
			if (ztdp_salsa20_select_impl(salsa_impls[i]) != 0)
				continue;
			vector_one(&pk, plain, len,
				   ztdp_test_json_str(armored, "suite0_poly1305_none"),
				   ZTDP_CIPHER_POLY1305_NONE);
			vector_one(&pk, plain, len,
				   ztdp_test_json_str(armored, "suite1_poly1305_salsa2012"),
				   ZTDP_CIPHER_POLY1305_SALSA2012);
		}
		ztdp_salsa20_select_impl("auto");
		vector_one(&pk, plain, len,
			   ztdp_test_json_str(armored, "suite3_aes_gmac_siv"),
			   ZTDP_CIPHER_AES_GMAC_SIV);
		ztdp_peer_key_clear(&pk);
	}
	free(plain);
	json_decref(root);
}

static void test_cryptfield(void **state)
{
	json_t *root = load_vectors_or_skip();
	json_t *cf = json_object_get(root, "cryptfield");
	struct ztdp_peer_key pk;
	size_t len, start;
	uint8_t *pkt = ztdp_test_unhex(
		ztdp_test_json_str(root, "plaintext_packet"), &len);
	uint8_t *orig = malloc(len), *want;

	(void)state;
	assert_non_null(cf);
	assert_non_null(orig);
	start = (size_t)json_integer_value(json_object_get(cf, "start"));
	assert_true(start < len);
	want = malloc(len - start);
	assert_non_null(want);
	ztdp_test_unhex_exact(ztdp_test_json_str(cf, "output_bytes_28_to_end"),
			      want, len - start);
	pkt[ZTDP_PKT_IDX_VERB] = ZTDP_VERB_HELLO;
	memcpy(orig, pkt, len);
	key_for(&pk, backends[0], key48);
	for (size_t i = 0; i < 3; i++) {
		if (ztdp_salsa20_select_impl(salsa_impls[i]) != 0)
			continue;
		ztdp_hello_cryptfield(&pk, pkt, start, len);
		assert_memory_equal(pkt, orig, start);
		assert_memory_equal(pkt + start, want, len - start);
		/* Its own inverse. */
		ztdp_hello_cryptfield(&pk, pkt, start, len);
		assert_memory_equal(pkt, orig, len);
	}
	ztdp_salsa20_select_impl("auto");
	/* The low 3 bits of byte 7 are not part of the nonce. */
	pkt[7] ^= 0x07;
	ztdp_hello_cryptfield(&pk, pkt, start, len);
	assert_memory_equal(pkt + start, want, len - start);
	ztdp_peer_key_clear(&pk);
	free(pkt);
	free(orig);
	free(want);
	json_decref(root);
}

/* ---- suites 0/1 against libsodium's Salsa20/12 and section 4 ---- */

static void ref_salsa_armor(const uint8_t k[ZTDP_PEER_KEY_LEN], uint8_t *pkt,
			    size_t len, unsigned int suite)
{
	static uint8_t scratch[64 + MAX_SIZE];
	uint8_t mk[32], tag[16];
	size_t blen = len - ZTDP_PKT_IDX_VERB;

	pkt[ZTDP_PKT_IDX_FLAGS] = expected_flags(pkt[ZTDP_PKT_IDX_FLAGS], suite);
	for (int i = 0; i < 18; i++)
		mk[i] = k[i] ^ pkt[i];
	mk[18] = k[18] ^ (pkt[18] & 0xf8);
	mk[19] = k[19] ^ (uint8_t)(len & 0xff);
	mk[20] = k[20] ^ (uint8_t)((len >> 8) & 0xff);
	memcpy(mk + 21, k + 21, 11);
	/* scratch = 64 zero bytes then the body: one call gives the Poly1305
	 * key in block 0 and the body XORed from block 1. */
	memset(scratch, 0, 64);
	memcpy(scratch + 64, pkt + ZTDP_PKT_IDX_VERB, blen);
	crypto_stream_salsa2012_xor(scratch, scratch, 64 + blen, pkt, mk);
	if (suite == ZTDP_CIPHER_POLY1305_SALSA2012)
		memcpy(pkt + ZTDP_PKT_IDX_VERB, scratch + 64, blen);
	crypto_onetimeauth_poly1305(tag, pkt + ZTDP_PKT_IDX_VERB, blen, scratch);
	memcpy(pkt + ZTDP_PKT_IDX_MAC, tag, 8);
}

static void test_salsa_suites_reference(void **state)
{
	uint8_t *plain = malloc(MAX_SIZE), *want = malloc(MAX_SIZE);
	uint8_t *got = malloc(MAX_SIZE);
	struct ztdp_peer_key pk;
	char widest[16];

	(void)state;
	assert_non_null(plain);
	assert_non_null(want);
	assert_non_null(got);
	key_for(&pk, backends[0], key48);
	ztdp_salsa20_select_impl("auto");
	snprintf(widest, sizeof(widest), "%s", ztdp_salsa20_impl_name());
	for (size_t im = 0; im < 3; im++) {
		if (ztdp_salsa20_select_impl(salsa_impls[im]) != 0) {
			print_message("note: salsa20 impl %s not usable, skipped\n",
				      salsa_impls[im]);
			continue;
		}
		/* Every size with the impl used by default, every 7th with
		 * the narrower ones. */
		size_t step = strcmp(widest, salsa_impls[im]) == 0 ? 1 : 7;

		for (size_t len = ZTDP_PKT_MIN_LEN; len <= MAX_SIZE; len += step) {
			for (unsigned int suite = 0; suite <= 1; suite++) {
				make_packet(plain, len, suite);
				memcpy(want, plain, len);
				ref_salsa_armor(key48, want, len, suite);
				memcpy(got, plain, len);
				assert_int_equal(ztdp_armor(&pk, got, len, suite), 0);
				assert_memory_equal(got, want, len);
				assert_int_equal(ztdp_dearmor(&pk, got, len), (int)suite);
				check_dearmored(got, plain, want, len, suite);
			}
		}
	}
	ztdp_salsa20_select_impl("auto");
	ztdp_peer_key_clear(&pk);
	free(plain);
	free(want);
	free(got);
}

/* ---- round trips at every size, every backend ---- */

static void test_round_trip_all_sizes(void **state)
{
	uint8_t *plain = malloc(MAX_SIZE), *armored = malloc(MAX_SIZE);
	uint8_t *pkt = malloc(MAX_SIZE);
	struct ztdp_peer_key pk[MAX_BACKENDS];
	static const unsigned int suites[] = { 0, 1, 3 };

	(void)state;
	assert_non_null(plain);
	assert_non_null(armored);
	assert_non_null(pkt);
	for (unsigned int b = 0; b < n_backends; b++)
		key_for(&pk[b], backends[b], key48);
	for (size_t len = ZTDP_PKT_MIN_LEN; len <= MAX_SIZE; len++) {
		for (size_t s = 0; s < 3; s++) {
			unsigned int suite = suites[s];
			/* Armor with one backend in turn, dearmor with every
			 * one: suite 3 outputs must agree across backends. */
			unsigned int ab = (unsigned int)(len % n_backends);

			make_packet(plain, len, suite);
			memcpy(armored, plain, len);
			assert_int_equal(ztdp_armor(&pk[ab], armored, len, suite), 0);
			assert_int_equal(armored[ZTDP_PKT_IDX_FLAGS],
					 expected_flags(plain[ZTDP_PKT_IDX_FLAGS], suite));
			if (suite != ZTDP_CIPHER_POLY1305_NONE && len > 40)
				assert_memory_not_equal(armored + ZTDP_PKT_IDX_VERB,
							plain + ZTDP_PKT_IDX_VERB,
							len - ZTDP_PKT_IDX_VERB);
			for (unsigned int db = 0; db < n_backends; db++) {
				if (suite != ZTDP_CIPHER_AES_GMAC_SIV && db != ab)
					continue;
				memcpy(pkt, armored, len);
				assert_int_equal(ztdp_dearmor(&pk[db], pkt, len),
						 (int)suite);
				check_dearmored(pkt, plain, armored, len, suite);
			}
			if (suite == ZTDP_CIPHER_AES_GMAC_SIV && n_backends > 1) {
				/* Same input through the other backend gives
				 * the same bytes (SIV is deterministic). */
				memcpy(pkt, plain, len);
				assert_int_equal(ztdp_armor(&pk[(ab + 1) % n_backends],
							    pkt, len, suite), 0);
				assert_memory_equal(pkt, armored, len);
			}
		}
	}
	for (unsigned int b = 0; b < n_backends; b++)
		ztdp_peer_key_clear(&pk[b]);
	free(plain);
	free(armored);
	free(pkt);
}

/* ---- tampering ---- */

static void tamper_one(const struct ztdp_peer_key *pk, size_t len,
		       unsigned int suite)
{
	uint8_t *plain = malloc(len), *armored = malloc(len), *pkt = malloc(len);

	assert_non_null(plain);
	assert_non_null(armored);
	assert_non_null(pkt);
	make_packet(plain, len, suite);
	memcpy(armored, plain, len);
	assert_int_equal(ztdp_armor(pk, armored, len, suite), 0);

	/* Every bit of the header. */
	for (size_t i = 0; i < ZTDP_PKT_HEADER_LEN; i++) {
		for (int bit = 0; bit < 8; bit++) {
			uint8_t m = (uint8_t)(1u << bit);
			int rc;

			memcpy(pkt, armored, len);
			pkt[i] ^= m;
			rc = ztdp_dearmor(pk, pkt, len);
			if (i == ZTDP_PKT_IDX_FLAGS && (m & ZTDP_PKT_FLAGS_HOPS_MASK)) {
				/* Relays change the hops: not authenticated,
				 * and left as received. */
				assert_int_equal(rc, (int)suite);
				assert_int_equal(pkt[i] & ZTDP_PKT_FLAGS_HOPS_MASK, m);
				pkt[i] &= (uint8_t)~m;
				check_dearmored(pkt, plain, armored, len, suite);
				continue;
			}
			if (rc >= 0)
				fail_msg("suite %u len %zu: flipping bit %d of byte %zu "
					 "still dearmors", suite, len, bit, i);
		}
	}
	/* Every byte of the body, with a bit that moves around. */
	for (size_t i = ZTDP_PKT_HEADER_LEN - 1; i < len; i++) {
		memcpy(pkt, armored, len);
		pkt[i] ^= (uint8_t)(1u << (i % 8));
		if (ztdp_dearmor(pk, pkt, len) >= 0)
			fail_msg("suite %u len %zu: flipping byte %zu still dearmors",
				 suite, len, i);
	}
	/* Cut short or extended by a byte. */
	memcpy(pkt, armored, len);
	assert_true(ztdp_dearmor(pk, pkt, len - 1) < 0);
	if (len < MAX_SIZE) {
		uint8_t *longer = malloc(len + 1);

		assert_non_null(longer);
		memcpy(longer, armored, len);
		longer[len] = 0;
		assert_true(ztdp_dearmor(pk, longer, len + 1) < 0);
		free(longer);
	}
	free(plain);
	free(armored);
	free(pkt);
}

static void test_tamper(void **state)
{
	static const size_t sizes[] = { 28, 29, 64, 91, 92, 1400 };
	static const unsigned int suites[] = { 0, 1, 3 };

	(void)state;
	for (unsigned int b = 0; b < n_backends; b++) {
		struct ztdp_peer_key pk;

		key_for(&pk, backends[b], key48);
		for (size_t s = 0; s < 3; s++)
			for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
				tamper_one(&pk, sizes[i], suites[s]);
		ztdp_peer_key_clear(&pk);
	}
}

/* A packet armored with one key must not dearmor with another. */
static void test_wrong_key(void **state)
{
	uint8_t pkt[300];
	static const unsigned int suites[] = { 0, 1, 3 };

	(void)state;
	for (unsigned int b = 0; b < n_backends; b++) {
		struct ztdp_peer_key pa, pb;

		key_for(&pa, backends[b], key48);
		key_for(&pb, backends[b], key48_b);
		for (size_t s = 0; s < 3; s++) {
			make_packet(pkt, sizeof(pkt), suites[s]);
			assert_int_equal(ztdp_armor(&pa, pkt, sizeof(pkt), suites[s]), 0);
			assert_int_equal(ztdp_dearmor(&pb, pkt, sizeof(pkt)),
					 ZTDP_ARMOR_EAUTH);
		}
		ztdp_peer_key_clear(&pa);
		ztdp_peer_key_clear(&pb);
	}
}

/* ---- rejections ---- */

static void test_rejects(void **state)
{
	uint8_t *pkt = calloc(1, ZTDP_MAX_PACKET_LEN + 1);
	struct ztdp_peer_key pk;

	(void)state;
	assert_non_null(pkt);
	key_for(&pk, backends[0], key48);

	/* Suite 0 only for HELLO, whatever the MAC says. */
	make_packet(pkt, 100, 0);
	pkt[ZTDP_PKT_IDX_VERB] = ZTDP_VERB_FRAME;
	assert_int_equal(ztdp_armor(&pk, pkt, 100, 0), 0);
	assert_int_equal(ztdp_dearmor(&pk, pkt, 100), ZTDP_ARMOR_ESUITE);
	/* HELLO with the compressed bit is still HELLO. */
	make_packet(pkt, 100, 0);
	pkt[ZTDP_PKT_IDX_VERB] = ZTDP_VERB_HELLO | ZTDP_PKT_VERB_FLAG_COMPRESSED;
	assert_int_equal(ztdp_armor(&pk, pkt, 100, 0), 0);
	assert_int_equal(ztdp_dearmor(&pk, pkt, 100), 0);

	/* Suite 2 (trusted path) is refused; unknown suites are invalid. */
	for (unsigned int suite = 0; suite < 8; suite++) {
		make_packet(pkt, 100, 0);
		pkt[ZTDP_PKT_IDX_FLAGS] = (uint8_t)(suite << ZTDP_PKT_FLAGS_CIPHER_SHIFT);
		int rc = ztdp_dearmor(&pk, pkt, 100);

		if (suite == ZTDP_CIPHER_NONE_TRUSTED)
			assert_int_equal(rc, ZTDP_ARMOR_ESUITE);
		else if (suite > ZTDP_CIPHER_AES_GMAC_SIV)
			assert_int_equal(rc, ZTDP_ARMOR_EINVAL);
		else
			assert_int_equal(rc, ZTDP_ARMOR_EAUTH);
		if (suite == ZTDP_CIPHER_NONE_TRUSTED ||
		    suite > ZTDP_CIPHER_AES_GMAC_SIV)
			assert_int_equal(ztdp_armor(&pk, pkt, 100, suite),
					 ZTDP_ARMOR_EINVAL);
	}
	assert_int_equal(ztdp_armor(&pk, pkt, 100, 256 + 1), ZTDP_ARMOR_EINVAL);

	/* Lengths. */
	static const size_t bad_lens[] = {
		0, 1, ZTDP_PKT_MIN_LEN - 1, ZTDP_MAX_PACKET_LEN + 1,
		(size_t)UINT32_MAX + 100,
	};
	for (size_t i = 0; i < sizeof(bad_lens) / sizeof(bad_lens[0]); i++) {
		for (unsigned int suite = 0; suite <= 3; suite++) {
			if (suite == 2)
				continue;
			make_packet(pkt, ZTDP_MAX_PACKET_LEN + 1, suite);
			assert_int_equal(ztdp_armor(&pk, pkt, bad_lens[i], suite),
					 ZTDP_ARMOR_EINVAL);
			pkt[ZTDP_PKT_IDX_FLAGS] =
				(uint8_t)(suite << ZTDP_PKT_FLAGS_CIPHER_SHIFT);
			assert_int_equal(ztdp_dearmor(&pk, pkt, bad_lens[i]),
					 ZTDP_ARMOR_EINVAL);
		}
	}
	/* The extremes that are allowed. */
	for (unsigned int suite = 0; suite <= 3; suite++) {
		if (suite == 2)
			continue;
		make_packet(pkt, ZTDP_MAX_PACKET_LEN, suite);
		assert_int_equal(ztdp_armor(&pk, pkt, ZTDP_MAX_PACKET_LEN, suite), 0);
		assert_int_equal(ztdp_dearmor(&pk, pkt, ZTDP_MAX_PACKET_LEN), (int)suite);
		make_packet(pkt, ZTDP_PKT_MIN_LEN, suite);
		assert_int_equal(ztdp_armor(&pk, pkt, ZTDP_PKT_MIN_LEN, suite), 0);
		assert_int_equal(ztdp_dearmor(&pk, pkt, ZTDP_PKT_MIN_LEN), (int)suite);
	}
	ztdp_peer_key_clear(&pk);
	free(pkt);
}

static void test_key_clear(void **state)
{
	struct ztdp_peer_key pk;
	static const uint8_t zero[sizeof(pk)];

	(void)state;
	for (unsigned int b = 0; b < n_backends; b++) {
		key_for(&pk, backends[b], key48);
		assert_string_equal(ztdp_crypto_aes_backend_name(), backends[b]);
		ztdp_peer_key_clear(&pk);
		assert_memory_equal(&pk, zero, sizeof(pk));
	}
}

/* ---- bursts ---- */

#define BURST_N 150	/* more than one internal chunk */

enum fault {
	F_NONE,
	F_SHORT,	/* len < 28 */
	F_LONG,		/* len > max */
	F_SUITE2,	/* armor: suite 2; dearmor: trusted-path flags */
	F_SUITE6,	/* unknown suite */
	F_TAMPER,	/* dearmor only: one payload bit flipped */
	F_NOT_HELLO,	/* dearmor only: suite 0 with verb FRAME */
	F_N
};

struct burst_pkt {
	uint8_t plain[1600];
	uint8_t single[1600];	/* armored with ztdp_armor */
	uint8_t buf[1600];
	uint32_t len;
	unsigned int suite;
	enum fault fault;
	const struct ztdp_peer_key *key;
};

static void test_burst(void **state)
{
	static const unsigned int suites[] = { 0, 1, 3 };
	struct burst_pkt *bp = calloc(BURST_N, sizeof(*bp));
	struct ztdp_crypto_op ops[BURST_N];
	struct ztdp_peer_key keys[2 * MAX_BACKENDS];
	unsigned int nkeys = 0, want_ok;

	(void)state;
	assert_non_null(bp);
	/* Two peers per backend, so one burst mixes keys and backends. */
	for (unsigned int b = 0; b < n_backends; b++) {
		key_for(&keys[nkeys++], backends[b], key48);
		key_for(&keys[nkeys++], backends[b], key48_b);
	}

	/* Armor. */
	want_ok = 0;
	for (unsigned int i = 0; i < BURST_N; i++) {
		struct burst_pkt *p = &bp[i];

		p->suite = suites[rng() % 3];
		p->key = &keys[rng() % nkeys];
		p->len = ZTDP_PKT_MIN_LEN + (uint32_t)(rng() % (sizeof(p->plain) - ZTDP_PKT_MIN_LEN + 1));
		p->fault = rng() % 4 == 0 ? (enum fault)(1 + rng() % 4) : F_NONE;
		make_packet(p->plain, sizeof(p->plain), p->suite);
		memcpy(p->buf, p->plain, sizeof(p->plain));
		memcpy(p->single, p->plain, sizeof(p->plain));
		ops[i] = (struct ztdp_crypto_op){
			.pkt = p->buf, .key = p->key, .len = p->len,
			.suite = (uint8_t)p->suite, .status = 99,
		};
		switch (p->fault) {
		case F_SHORT:
			ops[i].len = (uint32_t)(rng() % ZTDP_PKT_MIN_LEN);
			break;
		case F_LONG:
			ops[i].len = ZTDP_MAX_PACKET_LEN + 1 + (uint32_t)(rng() % 100);
			break;
		case F_SUITE2:
			ops[i].suite = ZTDP_CIPHER_NONE_TRUSTED;
			break;
		case F_SUITE6:
			ops[i].suite = 6;
			break;
		default:
			want_ok++;
			assert_int_equal(ztdp_armor(p->key, p->single, p->len, p->suite), 0);
			break;
		}
	}
	assert_int_equal(ztdp_armor_burst(ops, BURST_N), want_ok);
	for (unsigned int i = 0; i < BURST_N; i++) {
		struct burst_pkt *p = &bp[i];

		if (p->fault != F_NONE) {
			assert_int_equal(ops[i].status, ZTDP_ARMOR_EINVAL);
			/* Rejected packets are left alone. */
			assert_memory_equal(p->buf, p->plain, sizeof(p->plain));
			continue;
		}
		assert_int_equal(ops[i].status, 0);
		/* Bursts give the same bytes as one packet at a time. */
		assert_memory_equal(p->buf, p->single, p->len);
	}

	/* Dearmor the good ones, with new faults. */
	want_ok = 0;
	for (unsigned int i = 0; i < BURST_N; i++) {
		struct burst_pkt *p = &bp[i];

		if (p->fault != F_NONE) {
			/* Re-armor properly so the dearmor faults stand alone. */
			memcpy(p->buf, p->plain, sizeof(p->plain));
			assert_int_equal(ztdp_armor(p->key, p->buf, p->len, p->suite), 0);
			memcpy(p->single, p->buf, sizeof(p->buf));
		}
		p->fault = rng() % 3 == 0 ? (enum fault)(1 + rng() % (F_N - 1)) : F_NONE;
		if (p->fault == F_NOT_HELLO && p->suite != 0)
			p->fault = F_NONE;
		ops[i] = (struct ztdp_crypto_op){
			.pkt = p->buf, .key = p->key, .len = p->len,
			.suite = 99, .status = 99,
		};
		switch (p->fault) {
		case F_SHORT:
			ops[i].len = (uint32_t)(rng() % ZTDP_PKT_MIN_LEN);
			break;
		case F_LONG:
			ops[i].len = ZTDP_MAX_PACKET_LEN + 1;
			break;
		case F_SUITE2:
			p->buf[ZTDP_PKT_IDX_FLAGS] = (p->buf[ZTDP_PKT_IDX_FLAGS] &
						      ~ZTDP_PKT_FLAGS_CIPHER_MASK) |
						     ZTDP_CIPHER_NONE_TRUSTED << ZTDP_PKT_FLAGS_CIPHER_SHIFT;
			break;
		case F_SUITE6:
			p->buf[ZTDP_PKT_IDX_FLAGS] |= 6 << ZTDP_PKT_FLAGS_CIPHER_SHIFT;
			break;
		case F_TAMPER:
			/* Payload or MAC, not the verb: a suite-0 verb
			 * change would be ESUITE instead. */
			if (p->len > ZTDP_PKT_IDX_PAYLOAD)
				p->buf[ZTDP_PKT_IDX_PAYLOAD +
				       rng() % (p->len - ZTDP_PKT_IDX_PAYLOAD)] ^= 0x10;
			else
				p->buf[ZTDP_PKT_IDX_MAC] ^= 0x10;
			break;
		case F_NOT_HELLO:
			p->buf[ZTDP_PKT_IDX_VERB] = ZTDP_VERB_FRAME;
			break;
		default:
			want_ok++;
			break;
		}
	}
	assert_int_equal(ztdp_dearmor_burst(ops, BURST_N), want_ok);
	for (unsigned int i = 0; i < BURST_N; i++) {
		struct burst_pkt *p = &bp[i];
		int want;

		switch (p->fault) {
		case F_SHORT:
		case F_LONG:
		case F_SUITE6:
			want = ZTDP_ARMOR_EINVAL;
			break;
		case F_SUITE2:
		case F_NOT_HELLO:
			want = ZTDP_ARMOR_ESUITE;
			break;
		case F_TAMPER:
			want = ZTDP_ARMOR_EAUTH;
			break;
		default:
			want = 0;
			break;
		}
		assert_int_equal(ops[i].status, want);
		if (want == 0) {
			assert_int_equal(ops[i].suite, p->suite);
			check_dearmored(p->buf, p->plain, p->single, p->len, p->suite);
		}
	}
	for (unsigned int k = 0; k < nkeys; k++)
		ztdp_peer_key_clear(&keys[k]);
	free(bp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kbkdf),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_cryptfield),
		cmocka_unit_test(test_salsa_suites_reference),
		cmocka_unit_test(test_round_trip_all_sizes),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_key_clear),
		cmocka_unit_test(test_burst),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
